"""Every sample event in `events/` runs through its function's handler, in-process against moto,
as `sam local invoke <Function> -e events/<file>.json` would run it, and answers as expected.

The events belong to one user (the sample Cognito `sub`) and name fixed ids, so they run as one
scenario, in order: the post-confirmation trigger creates the user, later events use what
earlier ones created. A file is named after its function's directory (`timer-start.json` ->
`functions/timer`); a new file must be added to SCENARIO with what it should answer.
"""

from __future__ import annotations

import importlib.util
import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import boto3
import pytest

from stint import config
from stint.store import WebhookStore

REPO = Path(__file__).resolve().parents[2]
EVENTS = REPO / "events"
FUNCTIONS = REPO / "functions"
USER = "7d3f4c2a-1b2c-4d5e-8f90-123456789abc"  # the `sub` of every sample event
NO_FAILURES = {"batchItemFailures": []}

# (event file, expected answer): an API event's status code, or a non-API handler's result.
SCENARIO: list[tuple[str, Any]] = [
    ("post-confirmation-confirmed.json", "the event"),  # Cognito triggers return their event
    ("users-get-me.json", 200),
    ("users-patch-me.json", 200),
    ("catalog-create-project.json", 201),
    ("catalog-create-category.json", 201),
    ("catalog-create-client.json", 201),
    ("catalog-list-projects.json", 200),
    ("tasks-create-task.json", 201),
    ("tasks-list-tasks.json", 200),
    ("tasks-get-subtask.json", 404),  # a subtask id that does not exist
    ("tasks-task-event.json", 200),
    ("sessions-create-session.json", 201),
    ("sessions-list-sessions.json", 200),
    ("catalog-create-tag.json", 201),
    ("sessions-batch.json", 200),
    ("timer-start.json", 201),
    ("timer-get.json", 200),
    ("timer-stop.json", 200),
    ("workspaces-create-workspace.json", 201),
    ("workspaces-list-workspaces.json", 200),
    ("workspaces-list-invitations.json", 200),  # none pending for the sample user
    ("webhooks-list-webhooks.json", 200),
    ("webhooks-get-webhook.json", 200),
    ("webhooks-patch-webhook.json", 200),  # re-enabled, If-Match "1"
    ("webhooks-rotate-secret.json", 200),
    ("webhooks-test-webhook.json", 202),  # a webhook.ping on the delivery queue
    ("sync-full-sync.json", 200),
    ("oauth-authorize.json", 302),  # Tyme's /v1/authorize: to the user pool domain
    ("docs-openapi-document.json", 200),  # the OpenAPI document, without a token
    ("reports-summary.json", 200),
    ("reports-search.json", 200),
    ("reports-detailed.json", 200),
    ("reports-weekly.json", 200),
    ("dispatcher-task-created.json", NO_FAILURES),
    ("rerate-project-rate.json", NO_FAILURES),  # Acme's rate changed: a job on its queue
    ("rerate-job.json", NO_FAILURES),  # the job: Acme's sessions priced again
    ("delivery-task-created.json", NO_FAILURES),
    ("webhooks-list-deliveries.json", 200),  # the delivery above, attempt 1
]


class Context:
    """The context object `sam local invoke` passes."""

    def __init__(self, function: str) -> None:
        self.function_name = function
        self.function_version = "$LATEST"
        self.invoked_function_arn = f"arn:aws:lambda:us-east-1:123456789012:function:{function}"
        self.memory_limit_in_mb = "512"
        self.aws_request_id = "c6af9ac6-7b61-11e6-9a41-93e8deadbeef"

    def get_remaining_time_in_millis(self) -> int:
        return 15_000


def function_dir(event_file: str) -> Path:
    """`functions/<dir>` whose name (dashes for underscores) prefixes the file's name."""
    matches = [
        path
        for path in FUNCTIONS.iterdir()
        if event_file.startswith(path.name.replace("_", "-") + "-")
    ]
    assert len(matches) == 1, f"{event_file}: names no function directory"
    return matches[0]


def handler_of(directory: Path) -> Any:
    spec = importlib.util.spec_from_file_location(f"events_{directory.name}", directory / "app.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.lambda_handler


@pytest.fixture
def receiver() -> Iterator[list[dict[str, str]]]:
    """A webhook receiver on 127.0.0.1 for the delivery event; records the headers it got."""
    received: list[dict[str, str]] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            self.rfile.read(int(self.headers.get("Content-Length", "0")))
            received.append(dict(self.headers.items()))
            self.send_response(204)
            self.end_headers()

        def log_message(self, *_: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    received.append({"url": f"http://127.0.0.1:{server.server_address[1]}/hooks"})
    yield received
    server.shutdown()


def test_every_event_file_is_in_the_scenario() -> None:
    files = sorted(path.name for path in EVENTS.glob("*.json"))
    assert files == sorted(name for name, _ in SCENARIO)
    covered = {function_dir(name) for name, _ in SCENARIO}
    assert covered == {path for path in FUNCTIONS.iterdir() if (path / "app.py").exists()}


def test_every_event_through_its_handler(
    table: str, monkeypatch: pytest.MonkeyPatch, receiver: list[dict[str, str]]
) -> None:
    # The webhook path: a queue for the dispatcher, and a subscription to the receiver.
    queue = boto3.client("sqs").create_queue(QueueName="deliveries")["QueueUrl"]
    monkeypatch.setenv("DELIVERY_QUEUE_URL", queue)
    monkeypatch.setenv("DEAD_LETTER_QUEUE_URL", queue)
    rerate_queue = boto3.client("sqs").create_queue(QueueName="rerate")["QueueUrl"]
    monkeypatch.setenv("RERATE_QUEUE_URL", rerate_queue)
    monkeypatch.setenv("STINT_LOCAL", "1")  # a receiver on 127.0.0.1 over http
    monkeypatch.setenv("OAUTH_BASE_URL", "https://stint-example.auth.us-east-1.amazoncognito.com")
    config.settings.cache_clear()
    hook = {
        "id": "hook-tasks",
        "hookUrl": receiver.pop()["url"],
        "triggerType": "task",
        "status": "active",
        "createdAt": "2026-11-23T00:00:00.000Z",
        "secret": "whsec_c2VjcmV0LXNlY3JldC1zZWNyZXQ=",
    }
    WebhookStore(USER).create(hook, limit=20, full=RuntimeError("full"))

    for name, expected in SCENARIO:
        event = json.loads((EVENTS / name).read_text(encoding="utf-8"))
        directory = function_dir(name)
        result = handler_of(directory)(event, Context(directory.name))
        if isinstance(expected, int):
            assert result["statusCode"] == expected, f"{name}: {result}"
            if expected < 300:
                json.loads(result["body"] or "{}")  # a JSON body (or none)
        elif expected == "the event":
            assert result == event, name
        else:
            assert result == expected, f"{name}: {result}"

    queued = boto3.client("sqs").receive_message(QueueUrl=queue, MaxNumberOfMessages=10)
    types = sorted(json.loads(m["Body"])["type"] for m in queued["Messages"])
    assert types == ["task.created", "webhook.ping"]
    assert [headers["webhook-id"] for headers in receiver] == [
        "msg_0123456789abcdef0123456789abcdef"
    ]
    # Signed by the rotated secret and the one before it.
    assert len(receiver[0]["webhook-signature"].split(" ")) == 2
    (logged,), _ = WebhookStore(USER).delivery_attempts(
        "hook-tasks", limit=10, next_token=None, now=0
    )
    assert logged["id"] == "msg_0123456789abcdef0123456789abcdef"
    assert logged["status"] == "succeeded" and logged["responseStatus"] == 204
    config.settings.cache_clear()

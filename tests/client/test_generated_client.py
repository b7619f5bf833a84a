"""A client generated from openapi.json by a stock generator (openapi-python-client, pinned in
requirements-dev.txt) runs a user's scenario against the stack: sign in, a project, a task, a
timer started and stopped, a full sync and an incremental one, a webhook's delivery log.
Generated at test time into a temporary directory (never committed: it is what any integrator
would generate today)."""

from __future__ import annotations

import importlib
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from tests.api.conftest import sign_up
from tests.api.test_webhooks import serving_receiver

REPO = Path(__file__).resolve().parents[2]
GENERATOR = Path(sys.executable).parent / "openapi-python-client"
PACKAGE = "stint_generated_client"


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ModuleType]:
    """The package the generator writes for openapi.json, importable for this module's tests."""
    root = tmp_path_factory.mktemp("client")
    config = root / "config.yaml"
    # No formatter run afterwards: the generated code is imported, not read.
    config.write_text(f"package_name_override: {PACKAGE}\npost_hooks: []\n", encoding="utf-8")
    result = subprocess.run(
        [str(GENERATOR), "generate", "--path", str(REPO / "openapi.json"), "--meta", "none",
         "--output-path", str(root / PACKAGE), "--config", str(config), "--fail-on-warning"],
        capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    sys.path.insert(0, str(root))
    try:
        yield importlib.import_module(PACKAGE)
    finally:
        sys.path.remove(str(root))
        for name in [name for name in sys.modules if name.split(".")[0] == PACKAGE]:
            del sys.modules[name]


def api(package: ModuleType, group: str, operation: str) -> Any:
    """An operation's module: `api(package, "catalog", "create_project").sync_detailed(...)`."""
    return importlib.import_module(f"{package.__name__}.api.{group}.{operation}")


def model(package: ModuleType, name: str) -> Any:
    return getattr(importlib.import_module(f"{package.__name__}.models"), name)


def test_a_generated_client_runs_a_users_day(generated: ModuleType, stack: dict[str, Any]) -> None:
    tokens = sign_up(stack)  # sign in: Cognito's USER_PASSWORD_AUTH, as a first-party app
    client = generated.AuthenticatedClient(
        base_url=stack["ApiUrl"], token=tokens["AccessToken"], raise_on_unexpected_status=True
    )

    me = api(generated, "users", "get_me").sync(client=client)
    assert me.email == tokens["email"]

    full = api(generated, "sync", "sync").sync(client=client)
    assert full.has_more is False

    ProjectBody, ProjectFields = model(generated, "ProjectBody"), model(generated, "ProjectFields")
    created = api(generated, "catalog", "create_project").sync_detailed(
        client=client, body=ProjectBody(project=ProjectFields(title="Acme", hourly_rate=95))
    )
    assert created.status_code == 201
    project = created.parsed.project
    assert created.headers["Location"].endswith(f"/v1/projects/{project.id}")

    TaskBody, TaskFields = model(generated, "TaskBody"), model(generated, "TaskFields")
    fields = TaskFields(title="Write report", project_id=project.id)
    create_task = api(generated, "tasks", "create_task")
    task = create_task.sync(client=client, body=TaskBody(task=fields)).task
    assert task.project_id == project.id

    started = api(generated, "timer", "start_timer").sync(
        client=client, body=model(generated, "TimerStart")(task_id=task.id)
    )
    assert started.timer.task.id == task.id and started.timer.session.running is True
    running = api(generated, "timer", "get_timer").sync(client=client)
    assert running.timer.session.id == started.timer.session.id
    stopped = api(generated, "timer", "stop_timer").sync(
        client=client, body=model(generated, "TimerStop")(note="first draft")
    )
    assert stopped.session.id == started.timer.session.id
    assert stopped.session.running is False and stopped.session.note == "first draft"

    changes = api(generated, "sync", "sync").sync(client=client, sync_token=full.sync_token)
    assert {p.id for p in changes.projects} == {project.id}
    assert {t.id for t in changes.tasks} == {task.id}
    assert {s.id for s in changes.sessions} == {stopped.session.id}
    nothing = api(generated, "sync", "sync").sync(client=client, sync_token=changes.sync_token)
    assert not nothing.projects and not nothing.tasks and not nothing.sessions

    # A webhook's delivery log: a webhook to a receiver, a test ping, and the attempt logged.
    with serving_receiver() as receiver:
        fields = model(generated, "WebhookFields")(
            hook_url=receiver.url + "/client",
            # No category changes in this scenario: the ping is the only event.
            trigger_type=model(generated, "WebhookFieldsTriggertype").CATEGORY,
        )
        webhook = api(generated, "webhooks", "create_webhook").sync(client=client, body=fields)
        receiver.secrets["/client"] = webhook.webhook.secret
        queued = api(generated, "webhooks", "test_webhook").sync_detailed(
            webhook.webhook.id, client=client
        )
        assert queued.status_code == 202
        ping_id = queued.parsed.delivery.id
        receiver.wait_for("/client", lambda got: any(d.verified for d in got))
        list_deliveries = api(generated, "webhooks", "list_webhook_deliveries")
        deadline = time.monotonic() + 30
        while not (log := list_deliveries.sync(webhook.webhook.id, client=client)).deliveries:
            assert time.monotonic() < deadline, "the attempt was not logged"
            time.sleep(0.3)
        (attempt,) = log.deliveries
        assert (attempt.id, attempt.event_type, attempt.attempt) == (ping_id, "webhook.ping", 1)
        assert attempt.status.value == "succeeded" and attempt.response_status == 204


def test_a_generated_client_reads_the_error_body(
    generated: ModuleType, stack: dict[str, Any]
) -> None:
    token = sign_up(stack)["AccessToken"]
    client = generated.AuthenticatedClient(base_url=stack["ApiUrl"], token=token)
    get_project = api(generated, "catalog", "get_project")
    missing = get_project.sync_detailed(client=client, project_id="nope")
    assert missing.status_code == 404
    assert missing.parsed.error.code == "not_found"
    assert missing.parsed.error.request_id == missing.headers["X-Request-Id"]

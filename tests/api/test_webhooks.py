"""docs/API.md, "Webhooks": webhook subscriptions, and deliveries from the table's stream to a real
receiver on 127.0.0.1 that verifies each one with the stock `standardwebhooks` library."""

from __future__ import annotations

import contextlib
import json
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import boto3
import pytest
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from tests.api.conftest import DEPLOYED, Api, assert_error, local_only

pytestmark = pytest.mark.http  # over HTTP, against the run's shared local stack

TRIGGERS = ("category", "project", "task", "subtask", "time", "stopped_time")


@dataclass
class Delivery:
    path: str
    headers: dict[str, str]
    body: bytes
    verified: dict[str, Any] | None  # the payload, when the signature checked out
    during: frozenset[str] = frozenset()  # the paths whose requests were being held meanwhile


@dataclass
class Receiver:
    """An HTTP receiver: records every POST; per path, a secret to verify it with and how
    many first attempts of each webhook-id to fail (with a 500)."""

    url: str = ""
    secrets: dict[str, str] = field(default_factory=dict)
    fail_first: dict[str, int] = field(default_factory=dict)
    hold_seconds: dict[str, float] = field(default_factory=dict)  # answer after so long
    deliveries: list[Delivery] = field(default_factory=list)
    holding: set[str] = field(default_factory=set)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def handle(self, path: str, headers: dict[str, str], body: bytes) -> int:
        verified = None
        with contextlib.suppress(KeyError, WebhookVerificationError):
            verified = Webhook(self.secrets[path]).verify(body, headers)
        with self.lock:
            self.deliveries.append(Delivery(path, headers, body, verified, frozenset(self.holding)))
            if path in self.hold_seconds:
                self.holding.add(path)
        if path in self.hold_seconds:
            time.sleep(self.hold_seconds[path])
            with self.lock:
                self.holding.discard(path)
        with self.lock:
            attempts = sum(
                1
                for d in self.deliveries
                if d.path == path and d.headers.get("webhook-id") == headers.get("webhook-id")
            )
        if verified is None:
            return 400
        return 500 if attempts <= self.fail_first.get(path, 0) else 204

    def at(self, path: str) -> list[Delivery]:
        with self.lock:
            return [d for d in self.deliveries if d.path == path]

    def wait_for(
        self, path: str, done: Callable[[list[Delivery]], bool], seconds: float = 30
    ) -> list[Delivery]:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if done(self.at(path)):
                return self.at(path)
            time.sleep(0.2)
        raise AssertionError(f"{path}: not delivered in {seconds} s: {self.at(path)}")


@pytest.fixture(scope="module")
def receiver() -> Iterator[Receiver]:
    with serving_receiver() as receiver:
        yield receiver


@contextlib.contextmanager
def serving_receiver() -> Iterator[Receiver]:
    """A `Receiver` listening on 127.0.0.1 (an ephemeral port) while the block runs."""
    receiver = Receiver()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            status = receiver.handle(self.path, dict(self.headers.items()), body)
            self.send_response(status)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *_: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    receiver.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield receiver
    server.shutdown()


def hook_url(receiver: Receiver, path: str) -> str:
    """The receiver on 127.0.0.1 (the local stack allows http to loopback); a deployed stack
    accepts only public https URLs, so subscription-only tests use one there."""
    return ("https://example.com" if DEPLOYED else receiver.url) + path


def subscribe(api: Api, receiver: Receiver, path: str, trigger: str) -> dict[str, Any]:
    response = api.post(
        "/v1/webhooks", json={"hookUrl": hook_url(receiver, path), "triggerType": trigger}
    )
    assert response.status_code == 201, response.text
    webhook = dict(response.json()["webhook"])
    receiver.secrets[path] = webhook["secret"]
    return webhook


def verified_types(deliveries: list[Delivery]) -> list[str]:
    return [d.verified["type"] for d in deliveries if d.verified is not None]


# ----------------------------------------------------------------------------- subscriptions


def test_subscribe_list_delete(api: Api, other: Api, receiver: Receiver) -> None:
    created = api.post(
        "/v1/webhooks", json={"hookUrl": hook_url(receiver, "/crud"), "triggerType": "task"}
    )
    assert created.status_code == 201, created.text
    webhook = created.json()["webhook"]
    fields = {"id", "hookUrl", "triggerType", "status", "createdAt", "secret", "workspaceId"}
    assert set(webhook) == fields
    assert webhook["secret"].startswith("whsec_") and webhook["status"] == "active"
    listed = api.get("/v1/webhooks").json()["webhooks"]
    assert listed == [{k: v for k, v in webhook.items() if k != "secret"}]
    assert other.get("/v1/webhooks").json() == {"webhooks": []}
    assert_error(other.delete(f"/v1/webhooks/{webhook['id']}"), 404, "not_found")
    deleted = api.delete(f"/v1/webhooks/{webhook['id']}")
    assert deleted.status_code == 204 and deleted.text == ""
    assert_error(api.delete(f"/v1/webhooks/{webhook['id']}"), 404, "not_found")
    assert api.get("/v1/webhooks").json() == {"webhooks": []}


def test_at_most_20_webhooks(api: Api, receiver: Receiver) -> None:
    ids = [subscribe(api, receiver, f"/limit/{n}", "task")["id"] for n in range(20)]
    full = api.post(
        "/v1/webhooks", json={"hookUrl": hook_url(receiver, "/x"), "triggerType": "task"}
    )
    assert_error(full, 409, "conflict")
    assert api.delete(f"/v1/webhooks/{ids[0]}").status_code == 204
    subscribe(api, receiver, "/limit/again", "task")
    assert len(api.get("/v1/webhooks").json()["webhooks"]) == 20


@pytest.mark.parametrize(
    "url",
    [
        "https://10.0.0.1/hook",
        "https://10.255.1.2:8443/hook",
        "https://172.16.0.1/hook",
        "https://192.168.1.10/hook",
        "https://169.254.169.254/latest/meta-data/",
        "https://[fe80::1]/hook",
        "https://[fc00::1]/hook",
        "https://[::ffff:10.0.0.1]/hook",
        "https://224.0.0.1/hook",
        "https://0.0.0.0/hook",
        "https://240.0.0.1/hook",
        "https://100.64.0.1/hook",
        "https://no-such-host.invalid/hook",
        "ftp://example.com/hook",
        "file:///etc/passwd",
        "https://user:pass@10.0.0.1/",
        "not a url",
        "https://" + "a" * 2040 + ".com",
    ],
)
def test_forbidden_hook_urls(api: Api, url: str) -> None:
    """Refused at subscribe time even in local mode (which only adds http and loopback);
    the forms refused only outside local mode are in tests/unit/test_hook_urls.py."""
    error = assert_error(
        api.post("/v1/webhooks", json={"hookUrl": url, "triggerType": "task"}),
        400,
        "validation_error",
    )
    assert "hookUrl" in error["message"]
    assert api.get("/v1/webhooks").json() == {"webhooks": []}


def test_subscription_body_errors(api: Api, receiver: Receiver) -> None:
    for body in (
        {},
        {"hookUrl": receiver.url},
        {"hookUrl": receiver.url, "triggerType": "everything"},
        {"hookUrl": receiver.url, "triggerType": "task", "secret": "mine"},
        {"hookUrl": 7, "triggerType": "task"},
    ):
        assert_error(api.post("/v1/webhooks", json=body), 400, "validation_error")


# ----------------------------------------------------------------------------- deliveries


@local_only  # the receiver listens on 127.0.0.1
def test_every_trigger_type_is_delivered_and_verifies(api: Api, receiver: Receiver) -> None:
    prefix = f"/all/{time.monotonic_ns()}"
    for trigger in TRIGGERS:
        subscribe(api, receiver, f"{prefix}/{trigger}", trigger)
    category = api.create("/v1/categories", "category", title="Clients")
    api.patch(f"/v1/categories/{category['id']}", json={"category": {"title": "Customers"}})
    project = api.create("/v1/projects", "project", title="Acme")
    api.patch(f"/v1/projects/{project['id']}", json={"project": {"color": "red"}})
    task = api.create("/v1/tasks", "task", title="Design", projectId=project["id"])
    subtask = api.create(f"/v1/tasks/{task['id']}/subtasks", "subtask", title="Sketch")
    api.patch(f"/v1/subtasks/{subtask['id']}", json={"subtask": {"isCompleted": True}})
    timer = api.post("/v1/timer", json={"taskId": task["id"]}).json()["timer"]
    stopped = api.post("/v1/timer/stop", json={"note": "done"}).json()["session"]
    for path in (
        f"/v1/subtasks/{subtask['id']}",
        f"/v1/sessions/{stopped['id']}",
        f"/v1/tasks/{task['id']}",
        f"/v1/projects/{project['id']}",
        f"/v1/categories/{category['id']}",
    ):
        assert api.delete(path).status_code == 204, path

    expected = {
        "category": ["category.created", "category.updated", "category.deleted"],
        "project": ["project.created", "project.updated", "project.deleted"],
        # created; in_progress (timer); paused (stop); deleted
        "task": ["task.created", "task.updated", "task.updated", "task.deleted"],
        "subtask": ["subtask.created", "subtask.updated", "subtask.deleted"],
        "time": ["time.created", "time.updated", "time.deleted"],
        "stopped_time": ["time.stopped"],
    }
    # Only this test's entities: the dispatcher may still be catching up with the sign-up's
    # changes (the default project) when the subscriptions appear.
    ours = {category["id"], project["id"], task["id"], subtask["id"], stopped["id"]}

    def of_ours(path: str) -> list[Delivery]:
        return [d for d in receiver.at(path) if d.verified and d.verified["data"]["id"] in ours]

    for trigger, types in expected.items():
        path = f"{prefix}/{trigger}"
        receiver.wait_for(path, lambda _, p=path, n=len(types): len(of_ours(p)) >= n)
        time.sleep(0.5)  # anything more would be a wrong delivery
        assert all(d.verified is not None for d in receiver.at(path))
        deliveries = of_ours(path)
        assert sorted(verified_types(deliveries)) == sorted(types), trigger
        for delivery in deliveries:
            payload = delivery.verified or {}
            assert set(payload) == {"id", "type", "triggerType", "occurredAt", "data"}
            assert payload["id"] == delivery.headers["webhook-id"]
            expected_trigger = "stopped_time" if payload["type"] == "time.stopped" else trigger
            assert payload["triggerType"] == expected_trigger
            if payload["type"].endswith(".deleted"):
                assert set(payload["data"]) == {"id"}  # a deletion delivers {id}
    by_type = {d.verified["type"]: d.verified for d in receiver.at(f"{prefix}/time") if d.verified}
    assert by_type["time.created"]["data"] == timer["session"]
    assert by_type["time.updated"]["data"] == stopped
    assert by_type["time.deleted"]["data"] == {"id": stopped["id"]}
    stop = receiver.at(f"{prefix}/stopped_time")[0].verified or {}
    assert stop["data"] == stopped and stop["occurredAt"] == stopped["lastUpdated"]


@local_only  # the receiver listens on 127.0.0.1
def test_client_events_are_delivered(api: Api, receiver: Receiver) -> None:
    """docs/API.md, "Clients": trigger `client`; deleting one changes its projects, which the
    project trigger delivers."""
    prefix = f"/clients/{time.monotonic_ns()}"
    subscribe(api, receiver, f"{prefix}/client", "client")
    subscribe(api, receiver, f"{prefix}/project", "project")
    made = api.create("/v1/clients", "client", name="Acme")
    renamed = api.patch(f"/v1/clients/{made['id']}", json={"client": {"name": "Acme Ltd"}})
    project = api.create("/v1/projects", "project", title="Site", clientId=made["id"])
    assert api.delete(f"/v1/clients/{made['id']}").status_code == 204
    cleared = api.get(f"/v1/projects/{project['id']}").json()["project"]
    assert cleared["clientId"] is None

    def of(path: str, entity_id: str) -> list[dict[str, Any]]:
        return [
            d.verified
            for d in receiver.at(path)
            if d.verified and d.verified["data"]["id"] == entity_id
        ]

    clients, projects = f"{prefix}/client", f"{prefix}/project"
    receiver.wait_for(clients, lambda _: len(of(clients, made["id"])) >= 3)
    receiver.wait_for(projects, lambda _: len(of(projects, project["id"])) >= 2)
    by_type = {event["type"]: event for event in of(clients, made["id"])}
    assert set(by_type) == {"client.created", "client.updated", "client.deleted"}
    assert {event["triggerType"] for event in by_type.values()} == {"client"}
    assert by_type["client.created"]["data"] == made
    assert by_type["client.updated"]["data"] == renamed.json()["client"]
    assert by_type["client.deleted"]["data"] == {"id": made["id"]}
    changed = {event["type"]: event["data"] for event in of(projects, project["id"])}
    assert changed == {"project.created": project, "project.updated": cleared}


@local_only  # the receiver listens on 127.0.0.1
def test_a_failing_receiver_gets_each_event_with_the_same_id(api: Api, receiver: Receiver) -> None:
    path = f"/flaky/{time.monotonic_ns()}"
    subscribe(api, receiver, path, "project")
    receiver.fail_first[path] = 3
    project = api.create("/v1/projects", "project", title="Retried")

    def of_project() -> list[Delivery]:  # not the sign-up's default project, if it comes late
        return [
            d for d in receiver.at(path) if d.verified and d.verified["data"]["id"] == project["id"]
        ]

    receiver.wait_for(path, lambda _: len(of_project()) >= 4, seconds=40)
    deliveries = of_project()
    assert len({d.headers["webhook-id"] for d in deliveries}) == 1
    assert [d.verified["type"] for d in deliveries if d.verified] == ["project.created"] * 4
    time.sleep(3)  # delivered on the 4th attempt: no 5th
    assert len(of_project()) == 4


@local_only  # the receiver listens on 127.0.0.1
def test_an_endpoint_that_keeps_failing_is_dead_lettered_and_disabled(
    stack: dict[str, Any], api: Api, receiver: Receiver
) -> None:
    path = f"/down/{time.monotonic_ns()}"
    webhook = subscribe(api, receiver, path, "category")
    receiver.fail_first[path] = 10**6
    for n in range(5):
        api.create("/v1/categories", "category", title=f"c{n}")
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        listed = api.get("/v1/webhooks").json()["webhooks"]
        if listed[0]["status"] == "disabled":
            break
        time.sleep(0.5)
    assert listed == [{**{k: v for k, v in webhook.items() if k != "secret"}, "status": "disabled"}]
    attempts: dict[str, int] = {}
    for delivery in receiver.at(path):
        attempts[delivery.headers["webhook-id"]] = (
            attempts.get(delivery.headers["webhook-id"], 0) + 1
        )
    assert sorted(attempts.values()) == [5] * 5  # every event tried 5 times
    sqs = boto3.client(
        "sqs", region_name=stack["Region"], endpoint_url=stack.get("CognitoEndpointUrl")
    )
    dead: list[dict[str, Any]] = []
    for _ in range(20):
        messages = sqs.receive_message(
            QueueUrl=stack["WebhookDeadLetterQueueUrl"], MaxNumberOfMessages=10
        ).get("Messages", [])
        dead += [json.loads(m["Body"]) for m in messages]
        if not messages:
            break
    mine = [d for d in dead if d.get("message", {}).get("webhookId") == webhook["id"]]
    assert sorted(d["message"]["id"] for d in mine) == sorted(attempts)
    assert all(d["attempts"] == 5 and d["lastError"] == "HTTP 500" for d in mine)
    # Disabled: later events are not delivered.
    api.create("/v1/categories", "category", title="after")
    time.sleep(2)
    assert len(receiver.at(path)) == 25


@local_only  # the receiver listens on 127.0.0.1
def test_a_fractional_number_stops_no_webhook(api: Api, other: Api, receiver: Receiver) -> None:
    """A regression: a project with a fractional rate stopped every later delivery, of every
    user."""
    prefix = f"/fractional/{time.monotonic_ns()}"
    subscribe(api, receiver, f"{prefix}/mine", "project")
    subscribe(other, receiver, f"{prefix}/theirs", "project")
    fractional = api.create(
        "/v1/projects",
        "project",
        title="Consulting",
        hourlyRate=95.5,
        plannedBudget=1000.25,
        plannedDurationHours=1.5,
    )
    after = api.create("/v1/projects", "project", title="After")
    theirs = other.create("/v1/projects", "project", title="Another user's")

    def data(path: str) -> dict[str, dict[str, Any]]:
        return {
            d.verified["data"]["id"]: d.verified["data"] for d in receiver.at(path) if d.verified
        }

    receiver.wait_for(
        f"{prefix}/mine", lambda _: {fractional["id"], after["id"]} <= set(data(f"{prefix}/mine"))
    )
    receiver.wait_for(f"{prefix}/theirs", lambda _: theirs["id"] in data(f"{prefix}/theirs"))
    assert data(f"{prefix}/mine")[fractional["id"]] == fractional  # 95.5, 1000.25, 1.5


@local_only  # the receiver listens on 127.0.0.1
def test_a_slow_receiver_does_not_delay_another_users_delivery(
    api: Api, other: Api, receiver: Receiver
) -> None:
    """docs/API.md, "Webhooks": one subscriber's slow endpoint never delays another's deliveries.
    The slow one answers after 9 s (within the 10 s attempt); the other user's event, made
    once the slow delivery is being held, arrives while it still is."""
    prefix = f"/slow/{time.monotonic_ns()}"
    slow, fast = f"{prefix}/slow", f"{prefix}/fast"
    subscribe(api, receiver, slow, "category")
    subscribe(other, receiver, fast, "category")
    receiver.hold_seconds[slow] = 9
    api.create("/v1/categories", "category", title="Slow")
    receiver.wait_for(slow, lambda deliveries: len(deliveries) >= 1)
    mine = other.create("/v1/categories", "category", title="Fast")

    def of_mine(deliveries: list[Delivery]) -> list[Delivery]:
        return [d for d in deliveries if d.verified and d.verified["data"]["id"] == mine["id"]]

    (delivered,) = of_mine(receiver.wait_for(fast, lambda d: bool(of_mine(d))))
    assert slow in delivered.during

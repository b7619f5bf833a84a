"""The local stack keeps its state across a stop and a start (local/persistence.py).

Each test runs the real template's stack in a state directory of its own, twice: stopped with
SIGTERM or killed with SIGKILL; either way no acknowledged write is lost.
"""

from __future__ import annotations

import random
import signal
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
import requests

from local.testing import start_local_stack, stop
from tests.api.conftest import PASSWORD, Api, cognito, sign_up

SNAPSHOT_WAIT_S = 60.0  # bounded waits only: a loaded machine is slow, never stuck
WRITES_EACH = 25


@pytest.fixture(autouse=True)
def _local_stack_only(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("STINT_OUTPUTS", raising=False)  # these tests are about the local stack


@dataclass
class Receiver:
    """A webhook receiver on 127.0.0.1: answers 500 while `failing`, else 204."""

    url: str = ""
    failing: bool = False
    received: list[tuple[int, bytes]] = field(default_factory=list)  # (status answered, body)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def answered(self, marker: str, status: int) -> int:
        with self.lock:
            return sum(1 for code, body in self.received if code == status and marker in str(body))

    def wait_until(self, marker: str, status: int) -> None:
        deadline = time.monotonic() + SNAPSHOT_WAIT_S
        while self.answered(marker, status) == 0:
            assert time.monotonic() < deadline, f"no delivery of {marker} answered {status}"
            time.sleep(0.1)


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    receiver = Receiver()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            status = 500 if receiver.failing else 204
            with receiver.lock:
                receiver.received.append((status, body))
            self.send_response(status)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *_: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    receiver.url = f"http://127.0.0.1:{server.server_address[1]}"
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield receiver
    server.shutdown()


def sign_in(outputs: dict[str, Any], email: str) -> dict[str, str]:
    result: dict[str, str] = cognito(outputs).initiate_auth(
        ClientId=outputs["UserPoolClientId"],
        AuthFlow="USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": email, "PASSWORD": PASSWORD},
    )["AuthenticationResult"]
    return result


def full_sync(api: Api) -> dict[str, Any]:
    """Every entity of the user (the sync token, which carries the time it was made, left out)."""
    response = api.get("/v1/sync")
    assert response.status_code == 200, response.text
    return {key: value for key, value in response.json().items() if key != "syncToken"}


def test_a_stack_stopped_with_sigterm_starts_again_with_everything(
    tmp_path: Path, receiver: Receiver
) -> None:
    process, outputs = start_local_stack(tmp_path)
    try:
        user = sign_up(outputs)
        api = Api(outputs["ApiUrl"], user["AccessToken"])
        project = api.create("/v1/projects", "project", title="Acme")
        webhook = api.post(
            "/v1/webhooks", json={"hookUrl": f"{receiver.url}/hooks", "triggerType": "task"}
        )
        assert webhook.status_code == 201, webhook.text
        task = api.create("/v1/tasks", "task", title="Report", projectId=project["id"])
        receiver.wait_until(task["id"], 204)  # delivered before the stop
        # A delivery whose first attempt fails waits in the queue for its retry.
        receiver.failing = True
        pending = api.create("/v1/tasks", "task", title="Delivered after the restart")
        receiver.wait_until(pending["id"], 500)
        before = full_sync(api)
    finally:
        assert stop(process) == 0  # SIGTERM

    receiver.failing = False
    process, outputs = start_local_stack(tmp_path)
    try:
        old_token = Api(outputs["ApiUrl"], user["AccessToken"])  # issued before the restart
        assert old_token.get(f"/v1/tasks/{task['id']}").status_code == 200
        tokens = sign_in(outputs, user["email"])  # the same password
        again = Api(outputs["ApiUrl"], tokens["AccessToken"])
        assert full_sync(again) == before
        webhooks = again.get("/v1/webhooks").json()["webhooks"]
        assert [w["id"] for w in webhooks] == [webhook.json()["webhook"]["id"]]
        refreshed = cognito(outputs).initiate_auth(
            ClientId=outputs["UserPoolClientId"],
            AuthFlow="REFRESH_TOKEN_AUTH",
            AuthParameters={"REFRESH_TOKEN": user["RefreshToken"]},
        )["AuthenticationResult"]
        assert Api(outputs["ApiUrl"], refreshed["AccessToken"]).get("/v1/me").status_code == 200
        # The pending delivery arrives; the stream goes on where it was: a change made now is
        # delivered, and the events handled before the stop are not sent again.
        receiver.wait_until(pending["id"], 204)
        later = again.create("/v1/tasks", "task", title="Made after the restart")
        receiver.wait_until(later["id"], 204)
        assert receiver.answered(pending["id"], 204) == 1
        assert receiver.answered(task["id"], 204) == 1
    finally:
        assert stop(process) == 0


@dataclass
class Writers:
    """Writers of projects, each write retried with its own Idempotency-Key until answered."""

    token: str
    url: str  # the front's: the restarted stack listens on another port
    acknowledged: list[str] = field(default_factory=list)  # the markers a 201 answered
    failures: list[str] = field(default_factory=list)

    def write(self, marker: str) -> None:
        key = str(uuid.uuid4())
        deadline = time.monotonic() + SNAPSHOT_WAIT_S
        while time.monotonic() < deadline:
            try:
                response = Api(self.url, self.token).post(
                    "/v1/projects",
                    json={"project": {"title": marker}},
                    headers={"Idempotency-Key": key},
                )
            except requests.RequestException:  # refused, reset, cut short: the stack is down
                time.sleep(0.05)  # again once it is back
                continue
            if response.status_code >= 500:
                continue  # the stack is going down
            if response.status_code == 201:
                self.acknowledged.append(marker)
            else:
                self.failures.append(f"{marker}: {response.status_code} {response.text}")
            return
        self.failures.append(f"{marker}: never answered")

    def run(self, n: int) -> None:
        for i in range(WRITES_EACH):
            self.write(f"writer {n} write {i} {uuid.uuid4().hex[:8]}")


def test_a_killed_stack_loses_no_acknowledged_write(tmp_path: Path) -> None:
    """4 writers, each retrying every write with its own Idempotency-Key until it is answered
    (through a connection error, until the stack is back); `kill -9` at a random moment."""
    process, outputs = start_local_stack(tmp_path)
    assert process is not None
    user = sign_up(outputs)
    writing = Writers(user["AccessToken"], outputs["ApiUrl"])
    acknowledged, failures = writing.acknowledged, writing.failures
    writers = [threading.Thread(target=writing.run, args=(n,), daemon=True) for n in range(4)]
    for thread in writers:
        thread.start()
    try:
        kill_after = random.randint(1, 4 * WRITES_EACH - 20)  # a random moment while writing
        deadline = time.monotonic() + SNAPSHOT_WAIT_S
        while len(acknowledged) < kill_after and time.monotonic() < deadline:
            time.sleep(0.001)
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=30)
        killed_after = len(acknowledged)
        process, outputs = start_local_stack(tmp_path)
        writing.url = outputs["ApiUrl"]
        for thread in writers:
            thread.join(timeout=SNAPSHOT_WAIT_S)
        assert not failures, failures
        titles = [p["title"] for p in full_sync(Api(writing.url, writing.token))["projects"]]
    finally:
        assert stop(process) == 0
    print(f"\nkill -9 after {killed_after} acknowledged writes; {len(acknowledged)} in all")
    assert 0 < killed_after < len(acknowledged) == 4 * WRITES_EACH  # a kill while writing
    assert [m for m in acknowledged if m not in titles] == []  # none lost...
    assert [t for t in titles if titles.count(t) > 1] == []  # ...and none made twice


def test_a_clean_start_forgets_the_state(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    process, outputs = start_local_stack(tmp_path)
    try:
        user = sign_up(outputs)
    finally:
        assert stop(process) == 0
    monkeypatch.setenv("STINT_CLEAN", "1")  # what `make dev-clean` sets
    process, outputs = start_local_stack(tmp_path)
    try:
        users = cognito(outputs).list_users(UserPoolId=outputs["UserPoolId"])["Users"]
        emails = {a["Value"] for u in users for a in u["Attributes"] if a["Name"] == "email"}
        assert user["email"] not in emails
        assert outputs["DemoUsername"] in emails  # a clean start has the demo user again
    finally:
        assert stop(process) == 0

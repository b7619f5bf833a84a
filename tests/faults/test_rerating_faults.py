"""Re-rating under faults (docs/DESIGN.md, "Money"): a project's new rate reaches every one of
its sessions exactly once, through the local stack's stream and queue pollers, while the fault
switch throttles, fails and conflicts DynamoDB calls and fails SQS sends.

`STINT_RERATE_SESSIONS` sessions (default 300; 10,000 for the full check) are written, the
rate is changed with faults on, and once every session carries the new rate (faults off to
look): each is re-rated exactly once (a sync from before the change lists each once, and its
seq moved by one), and the switch did inject faults meanwhile.
"""

from __future__ import annotations

import base64
import json
import os
import uuid
from typing import Any

import pytest

from tests.api.conftest import Api, new_api
from tests.pipeline import Answers, fault_state, set_faults, until_answered, wait_until

pytestmark = pytest.mark.exclusive  # faults are switched on for the whole stack

SESSIONS = int(os.environ.get("STINT_RERATE_SESSIONS") or 300)
PLAN = {"throttle": 0.1, "internal_error": 0.05, "transaction_conflict": 0.1, "sqs_send": 0.2}
BATCH = 100


def _start(n: int) -> str:
    return f"2026-11-{1 + n % 28:02d}T{n % 24:02d}:{n % 60:02d}:00Z"


def _write_sessions(api: Api, task_id: str) -> None:
    for first in range(0, SESSIONS, BATCH):
        operations = [
            {
                "op": "create",
                "body": {
                    "task": {"id": task_id},
                    "session": {
                        "startTimestamp": _start(n),
                        "duration": 60 + n % 3600,
                    },
                },
            }
            for n in range(first, min(first + BATCH, SESSIONS))
        ]
        response = api.post("/v1/sessions/batch", json={"atomic": False, "operations": operations})
        assert response.status_code == 200, response.text


def _sync(api: Api, token: str) -> tuple[list[dict[str, Any]], str]:
    """Every session the sync from `token` lists (as often as it lists it), and the token."""
    listed: list[dict[str, Any]] = []
    while True:
        response = api.get("/v1/sync", params={"syncToken": token, "limit": 500})
        assert response.status_code == 200, response.text
        page = response.json()
        listed += page.get("sessions", [])
        token = page["syncToken"]
        if not page["hasMore"]:
            return listed, token


def test_a_new_rate_reaches_every_session_exactly_once_under_faults(
    stack: dict[str, Any],
) -> None:
    api = new_api(stack)
    project = api.create("/v1/projects", "project", title="Rated", hourlyRate=36)
    task = api.create("/v1/tasks", "task", title="T", projectId=project["id"])
    _write_sessions(api, task["id"])
    before, token = _sync(api, "*")
    seqs = {s["id"]: s["lastUpdated"] for s in before if s["taskId"] == task["id"]}
    assert len(seqs) == SESSIONS
    answers = Answers()
    set_faults(stack, **PLAN)
    try:
        key = str(uuid.uuid4())
        changed = until_answered(
            lambda: api.patch(
                f"/v1/projects/{project['id']}",
                json={"project": {"hourlyRate": 72}},
                headers={"Idempotency-Key": key},
            ),
            answers,
            crashes_allowed=True,
        )
        assert changed.response.status_code == 200, changed.response.text
        injected = fault_state(stack)["injected"]

        wait_until(lambda: _rerated_count(api, task["id"]) == SESSIONS, 120 + SESSIONS / 10)
        injected = fault_state(stack)["injected"]
    finally:
        set_faults(stack)
    assert answers.refused == []
    assert sum(injected.values()) > 0, f"no fault was injected: {injected}"
    after, last = _sync(api, token)
    listed = [s for s in after if s["taskId"] == task["id"]]
    assert sorted(s["id"] for s in listed) == sorted(seqs), "each session changed"
    assert all(s["billableRate"] == 72 and s["lastUpdated"] != seqs[s["id"]] for s in listed)
    # Exactly once: the workspace's change sequence moved by one a session, and the project's.
    me = api.get("/v1/me").json()["id"]
    assert _position(last, me) - _position(token, me) == SESSIONS + 1


def _position(token: str, workspace_id: str) -> int:
    """The change sequence a sync token stands at in a workspace (its readable payload: the
    part after the seal)."""
    payload = token.split(".", 1)[1]
    decoded = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    return int(decoded["p"][workspace_id])


def _rerated_count(api: Api, task_id: str) -> int:
    """How many of the task's sessions carry the new rate (faults may fail a page: None)."""
    count, token = 0, None
    while True:
        params: dict[str, Any] = {"taskId": task_id, "limit": 500}
        if token:
            params["nextToken"] = token
        response = api.get("/v1/sessions", params=params)
        if response.status_code != 200:
            return -1
        page = response.json()
        count += sum(1 for s in page["sessions"] if s["billableRate"] == 72)
        token = page.get("nextToken")
        if not token:
            return count

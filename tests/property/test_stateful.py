"""Sync and webhooks after any mix of writes: a `hypothesis.stateful` machine.

Rules create, change and delete projects, tasks and sessions of one fresh account (bodies
drawn from the models); after every step the replica built from sync tokens equals a full
sync and holds every acknowledged state; at the end of each scenario every committed change
on the table's stream reached the receiver (verified, one delivery per change after
de-duplication by `webhook-id`). No step may answer a 5xx.
"""

from __future__ import annotations

import os
from typing import Any

from hypothesis import HealthCheck, Phase, settings
from hypothesis import strategies as st
from hypothesis.stateful import Bundle, RuleBasedStateMachine, consumes, invariant, rule

from stint import models
from tests.api.conftest import new_api
from tests.pipeline import (
    Answers,
    Receiver,
    Replica,
    answer_problem,
    committed_changes,
    duplicated,
    full_sync,
    subscribe,
    undelivered,
    wait_until,
)
from tests.property.conftest import STATS, TRIGGERS
from tests.property.strategies import OMIT, SESSION_START_MAX, body, plain, timestamps

CHANGE = {"categoryId": st.just(OMIT), "id": st.just(OMIT)}
SCENARIOS = int(os.environ.get("STINT_STATEFUL_SCENARIOS") or 4)
STEPS = 12


class Account(RuleBasedStateMachine):
    """One user's random writes; after each, a replica kept by delta sync equals a full sync
    and holds what was acknowledged; at the end, every committed change was delivered once.
    The test gives it the stack and the webhook receiver (`stack`, `receiver`)."""

    stack: dict[str, Any]
    receiver: Receiver
    projects = Bundle("projects")
    tasks = Bundle("tasks")
    sessions = Bundle("sessions")

    def __init__(self) -> None:
        super().__init__()
        self.api = new_api(self.stack)
        subscribe(self.api, self.receiver, TRIGGERS)
        self.user_id = self.api.get("/v1/me").json()["id"]
        self.answers = Answers()
        self.replica = Replica(self.api, self.answers)
        self.acknowledged: dict[tuple[str, str], dict[str, Any] | None] = {}

    def _write(self, kind: str, method: str, path: str, payload: Any = None) -> Any:
        STATS["steps"] += 1
        response = self.api.request(method, path, json=plain(payload))
        problem = answer_problem(response, crashes_allowed=False)
        assert problem is None, f"{method} {path}: {problem}: {response.text[:300]}"
        assert 200 <= response.status_code < 300, f"{method} {path}: {response.text[:300]}"
        if response.status_code == 204:
            return None
        entity = response.json()[kind]
        self.acknowledged[(kind, entity["id"])] = entity
        return entity["id"]

    @rule(target=projects, fields=body(models.ProjectFields, {"categoryId": st.just(OMIT)}))
    def create_project(self, fields: dict[str, Any]) -> str:
        return str(self._write("project", "POST", "/v1/projects", {"project": fields}))

    @rule(project=projects, fields=body(models.ProjectFields, CHANGE))
    def change_project(self, project: str, fields: dict[str, Any]) -> None:
        self._write("project", "PATCH", f"/v1/projects/{project}", {"project": fields})

    @rule(target=tasks, project=projects)
    def create_task(self, project: str) -> str:
        task = {"title": "t", "projectId": project}
        return str(self._write("task", "POST", "/v1/tasks", {"task": task}))

    @rule(target=sessions, task=tasks, start=timestamps(SESSION_START_MAX),
          duration=st.integers(0, models.MAX_SESSION_SECONDS))  # fmt: skip
    def create_session(self, task: str, start: str, duration: int) -> str:
        payload = {"task": {"id": task}, "session": {"startTimestamp": start,
                                                     "duration": duration}}  # fmt: skip
        return str(self._write("session", "POST", "/v1/sessions", payload))

    @rule(session=consumes(sessions))
    def delete_session(self, session: str) -> None:
        self._write("session", "DELETE", f"/v1/sessions/{session}")
        self.acknowledged[("session", session)] = None

    @invariant()
    def the_replica_is_a_full_sync(self) -> None:
        self.replica.sync()
        full = full_sync(self.api, self.answers)
        assert self.replica.entities == full.entities
        for key, entity in self.acknowledged.items():
            assert full.entities.get(key) == entity, f"{key}: not as acknowledged"

    def teardown(self) -> None:
        changes = committed_changes(self.stack, self.user_id)
        wait_until(lambda: not undelivered(changes, self.receiver), 30)
        STATS["changes"] += len(changes)
        assert undelivered(changes, self.receiver) == [], "committed changes not delivered"
        assert duplicated(self.receiver) == []


def test_sync_and_webhooks_after_any_writes(stack: dict[str, Any], receiver: Receiver) -> None:
    machine: Any = type("Account", (Account,), {"stack": stack, "receiver": receiver})
    machine.TestCase.settings = settings(
        max_examples=SCENARIOS,
        stateful_step_count=STEPS,
        deadline=None,
        database=None,
        derandomize=True,
        phases=[Phase.generate],  # no shrinking: against a live server it repeats writes
        suppress_health_check=list(HealthCheck),
    )
    machine.TestCase().runTest()

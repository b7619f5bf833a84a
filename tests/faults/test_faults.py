"""Nothing lost, nothing made twice, nothing 5xx: 8 writers and a syncing reader under faults.

The local stack's fault switch (local.faults) answers a share of DynamoDB calls with
throttling, `InternalServerError` and `TransactionConflict`, a share of SQS sends with errors,
and makes a share of the API functions die after their write and before their answer (the
gateway's 502). Meanwhile 8 writers each create, change and delete entities of one account
(half of them in a shared workspace of the account's: its own sequence, sync streams and
webhooks), each request retried with its own `Idempotency-Key` while its answer is retryable
(a 5xx, a 429, or a 409 with Retry-After), and a reader syncs with tokens throughout. A receiver on
127.0.0.1, subscribed to every trigger, fails the first attempt of some deliveries.

At the end:

- every answer was a 2xx, a 4xx with docs/API.md's error body, a 503 with Retry-After, or the
  gateway's 502 for a function that died; every write got a 2xx in the end;
- the reader's replica equals a full sync, and holds every entity in the state of its last
  acknowledged write (and none a writer deleted);
- no write was made twice (each write's marker is on exactly one entity);
- every committed change on the table's stream reached the receiver, verified with
  `standardwebhooks`; de-duplicated by `webhook-id`, exactly once.

`STINT_FAULT_RUNS` runs (default 1; 10 for the "ten in a row" check), each with its own account
and seed (`STINT_FAULT_SEED` + run); `STINT_FAULT_PLAN` (JSON) overrides shares. Counts are
printed at the end of the session.
"""

from __future__ import annotations

import json
import os
import threading
import uuid
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import pytest
import requests

from tests.api.conftest import Api, new_api
from tests.faults.conftest import STATS
from tests.pipeline import (
    Answers,
    Receiver,
    Replica,
    committed_changes,
    duplicated,
    fault_state,
    full_sync,
    running_receiver,
    set_faults,
    subscribe,
    undelivered,
    until_answered,
    wait_until,
)

# Faults are switched on for the whole stack: no other test may use it meanwhile.
pytestmark = pytest.mark.exclusive

RUNS = int(os.environ.get("STINT_FAULT_RUNS") or 1)
SEED = int(os.environ.get("STINT_FAULT_SEED") or 20261201)
WRITERS = 8
ROUNDS = 2  # each writer's sequence of writes, repeated
PLAN = {
    "throttle": 0.15,
    "internal_error": 0.05,
    "transaction_conflict": 0.15,
    "sqs_send": 0.2,
    "die": 0.06,
    # STINT_FAULT_PLAN='{"die": 0.2}' changes shares for a harsher (or narrower) run.
    **json.loads(os.environ.get("STINT_FAULT_PLAN") or "{}"),
}
TRIGGERS = ["project", "category", "task", "time"]
DELIVERY_WAIT_S = 40.0
SETTLE_S = 30.0


@dataclass
class Writer:
    """One writer's requests and what their acknowledged answers say the account holds."""

    api: Api
    answers: Answers
    tag: str  # in every title and note it writes: finds duplicates
    workspace: str | None = None  # the shared workspace its projects and categories go in
    expected: dict[tuple[str, str], dict[str, Any] | None] = field(default_factory=dict)
    markers: dict[str, set[str]] = field(default_factory=dict)  # kind -> markers alive
    refused: list[str] = field(default_factory=list)  # writes that did not succeed
    requests: int = 0

    def send(self, method: str, path: str, body: Any = None) -> requests.Response | None:
        """The request, retried with one Idempotency-Key; None when it did not succeed."""
        headers = {"Idempotency-Key": str(uuid.uuid4())} if method == "POST" else {}
        outcome = until_answered(
            lambda: self.api.request(method, path, json=body, headers=headers),
            self.answers,
            crashes_allowed=True,
        )
        self.requests += outcome.attempts
        response = outcome.response
        # A DELETE retried after its function died may find the entity gone already.
        gone_already = method == "DELETE" and response.status_code == 404 and outcome.attempts > 1
        if 200 <= response.status_code < 300 or gone_already:
            return response
        self.refused.append(f"{method} {path}: {response.status_code} {response.text[:300]}")
        return None

    def create(self, path: str, kind: str, body: dict[str, Any], marker: str) -> str | None:
        response = self.send("POST", path, body)
        if response is None:
            return None
        entity = response.json()[kind]
        self.expected[(kind, entity["id"])] = entity
        self.markers.setdefault(kind, set()).add(marker)
        return str(entity["id"])

    def change(self, path: str, kind: str, entity_id: str, body: dict[str, Any]) -> None:
        response = self.send("PATCH", f"{path}/{entity_id}", body)
        if response is not None:
            self.expected[(kind, entity_id)] = response.json()[kind]

    def delete(self, path: str, kind: str, entity_id: str, marker: str) -> None:
        if self.send("DELETE", f"{path}/{entity_id}") is not None:
            self.expected[(kind, entity_id)] = None
            self.markers[kind].discard(marker)

    def run(self, rounds: int) -> None:
        try:
            self.writes(rounds)
        except Exception as error:  # a failed thread must fail the test, not vanish
            self.refused.append(f"the writer failed: {error!r}")

    def writes(self, rounds: int) -> None:
        for n in range(rounds):
            mark = f"{self.tag}-{n}"
            where = {"workspaceId": self.workspace} if self.workspace else {}
            project = self.create(
                "/v1/projects", "project",
                {"project": {"title": f"P {mark}", "hourlyRate": 90, **where}}, f"P {mark}",
            )  # fmt: skip
            category = self.create(
                "/v1/categories", "category", {"category": {"title": f"C {mark}", **where}},
                f"C {mark}",
            )  # fmt: skip
            if project is None or category is None:
                continue
            task = self.create(
                "/v1/tasks", "task", {"task": {"title": f"T {mark}", "projectId": project}},
                f"T {mark}",
            )  # fmt: skip
            if task is None:
                continue
            session = {"startTimestamp": f"2026-11-{n + 1:02d}T09:00:00Z", "duration": 1500}
            self.create(
                "/v1/sessions", "session",
                {"task": {"id": task}, "session": {**session, "note": f"S {mark}"}}, f"S {mark}",
            )  # fmt: skip
            self.change("/v1/projects", "project", project, {"project": {"color": "#00aa00"}})
            self.change("/v1/tasks", "task", task, {"task": {"billable": False}})
            self.delete("/v1/categories", "category", category, f"C {mark}")


def marker_of(kind: str, entity: dict[str, Any]) -> str | None:
    return entity.get("note") if kind == "session" else entity.get("title")


def reader_loop(replica: Replica, stop: threading.Event, failures: list[str]) -> None:
    try:
        while not stop.is_set():
            replica.sync()
            stop.wait(0.1)
    except Exception as error:  # a failed thread must fail the test, not vanish
        failures.append(f"the reader failed: {error!r}")


@pytest.mark.parametrize("run", range(RUNS))
def test_writers_and_a_reader_under_faults(stack: dict[str, Any], run: int) -> None:
    with running_receiver(fail_share=0.1) as receiver:
        api = new_api(stack)  # signed up while faults are off
        shared = api.post("/v1/workspaces", json={"workspace": {"name": f"Faults {run}"}})
        assert shared.status_code == 201, shared.text
        workspace_id = shared.json()["workspace"]["id"]
        subscribe(api, receiver, TRIGGERS)
        subscribe(api, receiver, TRIGGERS, workspace_id)
        user_id = api.get("/v1/me").json()["id"]
        answers = Answers()
        # Half the writers in the shared workspace (its own sequence, streams and webhooks).
        writers = [
            Writer(
                api,
                answers,
                tag=f"r{run}w{number}-{uuid.uuid4().hex[:6]}",
                workspace=workspace_id if number % 2 else None,
            )
            for number in range(WRITERS)
        ]
        replica = Replica(api, answers, crashes_allowed=True)
        set_faults(stack, seed=SEED + run, **PLAN)
        try:
            stop = threading.Event()
            reader_failures: list[str] = []
            reader = threading.Thread(target=reader_loop, args=(replica, stop, reader_failures))
            threads = [threading.Thread(target=w.run, args=(ROUNDS,)) for w in writers]
            reader.start()
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            stop.set()
            reader.join()
            # After the last acknowledged write (read-your-writes), and again until the
            # background (re-rating: docs/DESIGN.md, "Money") is done writing: a change the
            # tokens missed would stay missing however often the replica syncs.
            latest: list[Replica] = []

            def settled() -> bool:
                replica.sync()
                latest[:] = [full_sync(api, answers, crashes_allowed=True)]
                return not diff(replica, latest[0])

            wait_until(settled, SETTLE_S)
            full = latest[0]
            changes = [
                *committed_changes(stack, user_id),
                *committed_changes(stack, user_id, workspace_id),
            ]
            delivered = wait_until(lambda: not undelivered(changes, receiver), DELIVERY_WAIT_S)
        finally:
            state = fault_state(stack)
            set_faults(stack)

        record(state, answers, writers, replica, full, changes, receiver)
        problems = {
            # A switch that injects nothing turns this into a plain concurrency test.
            "fault kinds of the plan never injected": [
                kind for kind, share in PLAN.items() if share > 0 and not state["injected"][kind]
            ],
            "answers docs/API.md does not allow": answers.refused,
            # Each injected death is one 502; any other 502 is a function that failed.
            "502s that no injected death explains": (
                [f"{answers.statuses[502]} 502s, {state['injected']['die']} deaths"]
                if answers.statuses[502] > state["injected"]["die"]
                else []
            ),
            "the reader failed": reader_failures,
            "writes that never succeeded": [r for w in writers for r in w.refused],
            "the replica built from tokens differs from a full sync": diff(replica, full),
            "acknowledged writes not in the sync as acknowledged": unacknowledged(writers, full),
            "writes made more than once, or missing": duplicates(writers, full),
            "committed changes not delivered": [str(c) for c in undelivered(changes, receiver)],
            "deliveries de-duplication would not fix": duplicated(receiver),
        }
        found = {name: items[:5] for name, items in problems.items() if items}
        assert not found, "\n".join(f"{name}: {items}" for name, items in found.items())
        assert delivered


def diff(replica: Replica, full: Replica) -> list[str]:
    keys = set(replica.entities) | set(full.entities)
    return [
        f"{key}: replica {replica.entities.get(key)}, full sync {full.entities.get(key)}"
        for key in sorted(keys)
        if replica.entities.get(key) != full.entities.get(key)
    ]


# What re-rating changes in the background after a session's acknowledged write (a task's
# `billable`, a project's rate: docs/DESIGN.md, "Money"), and the stamp with it.
REPRICED = ("billableRate", "costRate", "amount", "cost", "lastUpdated")


def unacknowledged(writers: list[Writer], full: Replica) -> list[str]:
    wrong = []
    for writer in writers:
        for key, entity in writer.expected.items():
            found = full.entities.get(key)
            if _as_written(key[0], found) != _as_written(key[0], entity):
                wrong.append(f"{key}: acknowledged {entity}, synced {found}")
    return wrong


def _as_written(kind: str, entity: dict[str, Any] | None) -> dict[str, Any] | None:
    """An entity as its writer's request left it: a session's price may move since."""
    if entity is None or kind != "session":
        return entity
    return {k: v for k, v in entity.items() if k not in REPRICED}


def duplicates(writers: list[Writer], full: Replica) -> list[str]:
    by_kind: dict[str, Counter[str]] = {}
    for (kind, _), entity in full.entities.items():
        marker = marker_of(kind, entity)
        if marker:
            by_kind.setdefault(kind, Counter())[marker] += 1
    wrong = []
    for writer in writers:
        for kind in ("project", "category", "task", "session"):
            mine = {m: c for m, c in by_kind.get(kind, Counter()).items() if writer.tag in m}
            wrong += [f"{kind} {m!r}: {c} entities" for m, c in mine.items() if c > 1]
            expected = writer.markers.get(kind, set())
            wrong += [f"{kind} {m!r}: none" for m in sorted(expected - set(mine))]
            # Written although its request was not acknowledged.
            wrong += [f"{kind} {m!r}: unacknowledged" for m in sorted(set(mine) - expected)]
    return wrong


def record(
    state: dict[str, Any],
    answers: Answers,
    writers: list[Writer],
    replica: Replica,
    full: Replica,
    changes: list[Any],
    receiver: Receiver,
) -> None:
    STATS["runs"] += 1
    for kind, count in state["injected"].items():
        STATS[f"fault {kind}"] += count
    STATS["writes"] += sum(len(w.expected) for w in writers)
    STATS["requests"] += sum(w.requests for w in writers)
    STATS["syncs"] += replica.pages + full.pages
    for status, count in answers.statuses.items():
        STATS[
            f"answers {status // 100}xx" if status not in (502, 503) else f"answers {status}"
        ] += count
    unique = receiver.unique()
    STATS["deliveries"] += len(unique)
    STATS["redeliveries"] += len(receiver.snapshot()) - len(unique)
    STATS["changes"] += len(changes)
    print(f"faults injected: {state['injected']}; by operation: {state['byOperation']}")

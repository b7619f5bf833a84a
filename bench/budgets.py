"""Budgets: what keeping every project's usage, and a budget, add to a session write.

    .venv/bin/python -m bench.budgets [--rounds 5]

One user's personal workspace, each `POST /v1/sessions` through the Sessions function's real
handler (in this process, warm, against the emulator: `bench.common.Stack`); `bench.meter`
counts its DynamoDB calls and capacity (DynamoDB's rules: a transaction's action costs twice a
plain write), and the transaction's actions are counted beside. Four writes, each `--rounds`
times, interleaved (the figure is the last round's; every round is the same):

- **before**: the commit's budgets hook taken out (`stint.store.unit._BEFORE_COMMIT` emptied):
  what a session write cost before budgets existed;
- **no budget**: the project's usage kept anyway (so a budget set later counts the time tracked
  before it): its usage items read in the BatchGetItem that reads the project (for its rates),
  and the total's and the month's blind additions in the write's transaction;
- **a budget** (monthly, alerts at 80 and 100 %, enforced), a write that crosses no threshold:
  the same reads, the total conditioned on its version;
- **a budget, crossing 80 %**: the same, plus the alert's item.

And what a lock adds (docs/DESIGN.md, "Locked time"): in a shared workspace with `lockedBefore`
set, a member's write (bound by the lock: the gate's conditions on the record and the member's
lock item) beside the owner's same write (owners and admins are not bound).
"""

from __future__ import annotations

import argparse
import contextlib
import uuid
from collections.abc import Iterator
from typing import Any

from bench.common import Stack, new_user
from bench.meter import Meter, metered
from bench.table import Figure, write_json

MONTHLY = {"kind": "time", "amount": 1000, "period": "month", "alertAt": [80, 100], "enforce": True}


@contextlib.contextmanager
def no_budgets() -> Iterator[None]:
    """The write as it was before budgets: the commit's hook taken out for the block, and the
    usage items no longer read along with the project."""
    from stint.services import budgets
    from stint.store import unit

    saved, keys = list(unit._BEFORE_COMMIT), budgets.usage_keys
    unit._BEFORE_COMMIT.clear()
    budgets.usage_keys = lambda *_: []
    try:
        yield
    finally:
        unit._BEFORE_COMMIT.extend(saved)
        budgets.usage_keys = keys


class Actions:
    """Counts the actions of the TransactWriteItems calls made while attached."""

    def __init__(self) -> None:
        self.count = 0

    def __call__(self, params: dict[str, Any], model: Any, **_: Any) -> None:
        if model.name == "TransactWriteItems":
            self.count += len(params.get("TransactItems", []))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--json", default=None)
    args = parser.parse_args()
    stack = Stack()
    try:
        figures = run(stack, args.rounds)
    finally:
        stack.stop()
    write_json(figures, args.json)


def run(stack: Stack, rounds: int) -> list[Figure]:
    from stint.store import dynamodb

    user = new_user()

    def call(method: str, path: str, body: Any) -> dict[str, Any]:
        function = "SessionsFunction" if path.startswith("/v1/sessions") else "CatalogFunction"
        if path == "/v1/tasks":
            function = "TasksFunction"
        answer = stack.call(function, method, path, user, body=body)
        assert answer["statusCode"] in (200, 201), answer
        return dict(answer["json"])

    def task_of(budget: dict[str, Any] | None) -> str:
        project = call("POST", "/v1/projects", {"project": {"title": "P", "budget": budget}})
        task = {"title": "T", "projectId": project["project"]["id"]}
        return str(call("POST", "/v1/tasks", {"task": task})["task"]["id"])

    def write(task_id: str, seconds: int = 60, who: str | None = None) -> tuple[Meter, int]:
        session = {"startTimestamp": "2026-11-22T09:00:00Z", "duration": seconds}
        body = {"task": {"id": task_id}, "session": {**session, "id": uuid.uuid4().hex}}
        actions = Actions()
        client = dynamodb()
        client.meta.events.register("provide-client-params.dynamodb", actions)
        try:
            with metered(client) as meter:
                answer = stack.call(
                    "SessionsFunction", "POST", "/v1/sessions", who or user, body=body
                )
                assert answer["statusCode"] == 201, answer
        finally:
            client.meta.events.unregister("provide-client-params.dynamodb", actions)
        return meter, actions.count

    plain, budgeted = task_of(None), task_of(MONTHLY)
    owner, member, locked = _locked_workspace()
    results: dict[str, tuple[Meter, int]] = {}
    locks: dict[str, tuple[Meter, int]] = {}
    for who in (owner, member):  # warm: a user's first request reads what later ones do not
        write(locked, who=who)
    for round_ in range(rounds):
        locks["the owner (not bound)"] = write(locked, who=owner)
        locks["a member (bound by the lock)"] = write(locked, who=member)
        with no_budgets():
            results["before"] = write(plain)
        results["no budget"] = write(plain)
        results["a budget"] = write(budgeted)
        crossing = task_of({**MONTHLY, "amount": 1})
        write(crossing, 2800)  # 78 %
        results["a budget, crossing 80 %"] = write(crossing, 100)  # 80.6 %
        print(f"round {round_ + 1} of {rounds}", flush=True)
    budget_rows = _rows("Budgets", results, "before", "the same write before budgets")
    lock_rows = _rows("Locks", locks, "the owner (not bound)", "the owner's same write")
    return [*budget_rows, *lock_rows]


def _rows(
    title: str, results: dict[str, tuple[Meter, int]], base_name: str, baseline_name: str
) -> list[Figure]:
    """Each write's calls, WCU and RCU beside those of `results[base_name]`, printed too."""
    base = results[base_name][0]
    heading = f"{title}: a session write"
    print(f"{heading:34} {'calls':>5} {'actions':>7} {'RCU':>4} {'WCU':>4}  operations")
    figures = []
    for name, (meter, actions) in results.items():
        print(
            f"{name:34} {meter.calls:5} {actions:7} {meter.rcu:4} {meter.wcu:4}  "
            f"{meter.operations()}"
        )
        for unit, value, baseline in (
            ("calls", meter.calls, base.calls),
            ("WCU", meter.wcu, base.wcu),
            ("RCU", meter.rcu, base.rcu),
        ):
            figures.append(
                Figure(
                    f"{title}: POST /v1/sessions, {name}, {unit}",
                    value,
                    baseline,
                    unit,
                    baseline_name=baseline_name,
                )
            )
    return figures


def _locked_workspace() -> tuple[str, str, str]:
    """A shared workspace locked before 2026-01-01 (the writes are after it: the lock is checked,
    not hit), its owner and a member: (owner, member, a task of the workspace)."""
    from bench.shared_workspaces import _join, _user
    from stint.models import ProjectFields, TaskFields, WorkspaceFields, WorkspacePatchFields
    from stint.services import catalog, tasks, workspaces

    owner, member = _user("lock owner"), _user("lock member")
    created = workspaces.create_workspace(owner.caller, WorkspaceFields(name="Locked"))
    workspace_id = str(created.entity["id"])
    _join(owner, workspace_id, member)
    fields = ProjectFields(title="P", workspaceId=workspace_id)
    project = catalog.create_project(owner.caller, fields).entity
    task = TaskFields(title="T", projectId=project["id"])
    task_id = str(tasks.create_task(owner.caller, task).entity["id"])
    lock = WorkspacePatchFields.model_validate({"settings": {"lockedBefore": "2026-01-01"}})
    workspaces.update_workspace(owner.caller, workspace_id, lock, None)
    return owner.id, member.id, task_id


if __name__ == "__main__":
    main()

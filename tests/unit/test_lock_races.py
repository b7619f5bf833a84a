"""A lock set while a session's write is in flight (docs/DESIGN.md, "Locked time"): the lock is
a condition of the write's own transaction, so the write that read the workspace unlocked
and commits after the lock fails its condition, runs again, and answers `409 period_locked`;
no session slips into the locked period.

In process over moto, so the lock lands at an exact point: after the write's reads and checks,
before its transaction."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from stint.errors import Conflict
from stint.models import (
    ApprovalBody,
    ProjectFields,
    SessionBody,
    TaskFields,
    WorkspaceFields,
    WorkspacePatchFields,
)
from stint.services import approvals, catalog, locks, sessions, tasks, workspaces
from stint.services.common import Caller
from stint.store import MAX_ACTIONS_PER_TRANSACTION, Change, Delete, Holds, Require, Store
from stint.store.commits import chunks

from .conftest import join, pool_user


def _crew(pool: str) -> tuple[Caller, Caller, str, str]:
    (owner, _), (member, email) = pool_user(pool, 1), pool_user(pool, 2)
    workspace_id = workspaces.create_workspace(owner, WorkspaceFields(name="Studio")).entity["id"]
    join(owner, workspace_id, member, email)
    project = catalog.create_project(owner, ProjectFields(title="P", workspaceId=workspace_id))
    task = tasks.create_task(owner, TaskFields(title="T", projectId=project.entity["id"]))
    return owner, member, workspace_id, str(task.entity["id"])


def _session_on(task_id: str, start: str) -> SessionBody:
    session = {"startTimestamp": start, "duration": 60}
    return SessionBody.model_validate({"task": {"id": task_id}, "session": session})


def _just_before_commit(monkeypatch: pytest.MonkeyPatch, meanwhile: Callable[[], None]) -> None:
    """Run `meanwhile` once, when the first write's conditions are built (its checks passed)."""
    conditions = locks.SessionLock.conditions

    def then(self: locks.SessionLock) -> list[locks.Change]:
        monkeypatch.setattr(locks.SessionLock, "conditions", conditions)
        meanwhile()
        return conditions(self)

    monkeypatch.setattr(locks.SessionLock, "conditions", then)


def test_a_lock_set_in_flight_refuses_the_write(pool: str, monkeypatch: pytest.MonkeyPatch) -> None:
    owner, member, workspace_id, task_id = _crew(pool)

    def lock() -> None:
        fields = WorkspacePatchFields.model_validate({"settings": {"lockedBefore": "2026-12-01"}})
        workspaces.update_workspace(owner, workspace_id, fields, None)

    _just_before_commit(monkeypatch, lock)
    body = _session_on(task_id, "2026-11-30T10:00:00Z")
    with pytest.raises(Conflict) as refused:
        sessions.write_session(member, body)
    assert refused.value.code == "period_locked"
    assert not Store(owner.user_id, workspace_id).has_any("session")


def test_a_period_submitted_in_flight_refuses_the_members_write(
    pool: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    _, member, workspace_id, task_id = _crew(pool)
    period = ApprovalBody.model_validate({"from": "2026-11-30", "to": "2026-11-30"})
    _just_before_commit(monkeypatch, lambda: approvals.submit(member, workspace_id, period))
    body = _session_on(task_id, "2026-11-30T10:00:00Z")
    with pytest.raises(Conflict) as refused:
        sessions.write_session(member, body)
    assert refused.value.code == "period_locked"


def test_a_session_written_while_its_period_is_submitted_is_in_the_totals(
    pool: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The member's session lands after the submit read the period's totals, before its
    transaction: the submit runs again, so the totals are those of the period it locks."""
    _, member, workspace_id, task_id = _crew(pool)
    sessions.write_session(member, _session_on(task_id, "2026-11-30T09:00:00Z"))
    counted = approvals._totals

    def then_a_session(*args: object) -> dict[str, object]:
        totals = counted(*args)  # type: ignore[arg-type]
        monkeypatch.setattr(approvals, "_totals", counted)  # once
        sessions.write_session(member, _session_on(task_id, "2026-11-30T10:00:00Z"))
        return totals

    monkeypatch.setattr(approvals, "_totals", then_a_session)
    period = ApprovalBody.model_validate({"from": "2026-11-30", "to": "2026-11-30"})
    approval = approvals.submit(member, workspace_id, period).entity
    assert approval["totals"]["sessions"] == 2  # was 1: the later session was locked uncounted
    assert approval["totals"]["duration"] == 120


# ----------------------------------------------------------------------------- every run


@settings(max_examples=100, deadline=None)
@given(
    sizes=st.lists(st.sampled_from([1, 2]), max_size=250),
    checks=st.integers(min_value=0, max_value=5),
)
def test_the_conditions_of_a_write_lead_each_of_its_transactions(
    sizes: list[int], checks: int
) -> None:
    """`chunks`: every run fits a transaction with the counter, starts with every `Holds`
    (a write of several transactions is held to its locks in each), and the other changes
    come once each, in order."""
    writes: list[Change] = [
        Delete("session", f"s{n}", 1) if size == 2 else Require("task", f"t{n}")
        for n, size in enumerate(sizes)
    ]
    conditions: list[Change] = [
        Holds(f"LOCK#u{n}", "attribute_not_exists(pk)") for n in range(checks)
    ]
    runs = chunks([*conditions, *writes])
    assert all(sum(c.size for c in run) <= MAX_ACTIONS_PER_TRANSACTION for run in runs)
    assert all(run[:checks] == conditions for run in runs)
    assert [c for run in runs for c in run[checks:]] == writes
    assert bool(runs) == bool(writes or conditions)

"""A lock set while a session's write is in flight (docs/DESIGN.md, "Locked time"): the lock is
a condition of the write's own transaction, so the write that read the workspace unlocked
and commits after the lock fails its condition, runs again, and answers `409 period_locked`;
no session slips into the locked period.

In process over moto, so the lock lands at an exact point: after the write's reads and checks,
before its transaction."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from stint.errors import Conflict
from stint.models import (
    MemberBody,
    ProjectFields,
    SessionBody,
    TaskFields,
    WorkspaceFields,
    WorkspacePatchFields,
)
from stint.services import catalog, locks, sessions, tasks, workspaces
from stint.services.common import Caller

from .conftest import pool_user


def _crew(pool: str) -> tuple[Caller, Caller, str, str]:
    (owner, _), (member, email) = pool_user(pool, 1), pool_user(pool, 2)
    workspace_id = workspaces.create_workspace(owner, WorkspaceFields(name="Studio")).entity["id"]
    invitation = workspaces.invite(owner, workspace_id, MemberBody(email=email)).entity
    workspaces.accept_invitation(member, invitation["id"])
    project = catalog.create_project(owner, ProjectFields(title="P", workspaceId=workspace_id))
    task = tasks.create_task(owner, TaskFields(title="T", projectId=project.entity["id"]))
    return owner, member, workspace_id, str(task.entity["id"])


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
    body = SessionBody.model_validate(
        {
            "task": {"id": task_id},
            "session": {"startTimestamp": "2026-11-30T10:00:00Z", "duration": 60},
        }
    )
    with pytest.raises(Conflict) as refused:
        sessions.write_session(member, body)
    assert refused.value.code == "period_locked"
    listed, _ = sessions.list_sessions(
        owner,
        start=None,
        end=None,
        task_id=task_id,
        workspace_id=workspace_id,
        limit=100,
        next_token=None,
    )
    assert listed == []

"""docs/DESIGN.md, "Workspaces": a member's incremental sync costs the changes it returns plus
the counters it reads with the workspace's record, never the other members' traffic.

A shared workspace's changes are two streams to a member (its catalog, their own sessions),
each read only when its counter item says it moved. Colleagues starting and stopping timers
move neither, so the member's sync makes the same calls and reads the same items with or
without them; the member's own change is one Query that reads exactly it, and no lookup of
who sees it while no project of the workspace was ever private.
"""

from __future__ import annotations

from typing import Any

from stint.models import ProjectFields, SessionBody, TaskFields, WorkspaceFields
from stint.services import catalog, sessions, workspaces
from stint.services.common import Caller
from stint.services.sync import sync
from stint.services.tasks import create_task
from tests.recorders import listening

from .conftest import join, pool_user

COLLEAGUES = 6


class ChangeQueries:
    """The Queries a sync makes of changes (on `bySeq` or `byStream`), each as the number of
    items it read; and every call made while attached."""

    def __init__(self) -> None:
        self.calls = 0
        self.queries: list[int] = []
        self._index: str | None = None

    def params(self, params: dict[str, Any], **_: Any) -> None:
        self._index = params.get("IndexName")

    def __call__(self, parsed: dict[str, Any], model: Any, **_: Any) -> None:
        self.calls += 1
        if model.name == "Query" and self._index in ("bySeq", "byStream"):
            self.queries.append(int(parsed.get("ScannedCount", 0)))


def _synced(caller: Caller, token: str) -> tuple[ChangeQueries, dict[str, Any]]:
    """What one sync page from `token` read, and the page."""
    meter = ChangeQueries()
    with listening(
        ("provide-client-params.dynamodb.Query", meter.params), ("after-call.dynamodb", meter)
    ):
        page = sync(caller, token, 100)
    assert page["hasMore"] is False
    return meter, page


def _full(caller: Caller) -> str:
    page = sync(caller, None, 1000)
    assert page["hasMore"] is False
    return str(page["syncToken"])


def _track(who: Caller, task_id: str) -> None:
    """A session of `who` logged on the task (the task itself unchanged)."""
    body = {
        "task": {"id": task_id},
        "session": {"startTimestamp": "2026-11-22T09:30:00Z", "duration": 600},
    }
    sessions.write_session(who, SessionBody.model_validate(body))


def test_colleagues_sessions_cost_a_members_sync_nothing(pool: str) -> None:
    users = [pool_user(pool, 500 + n) for n in range(COLLEAGUES + 2)]
    owner, (member, member_email) = users[0][0], users[1]
    workspace_id = workspaces.create_workspace(owner, WorkspaceFields(name="Busy")).entity["id"]
    join(owner, workspace_id, member, member_email)
    for colleague, email in users[2:]:
        join(owner, workspace_id, colleague, email)
    project = catalog.create_project(
        owner, ProjectFields(title="Shared", workspaceId=workspace_id)
    ).entity
    task = create_task(owner, TaskFields(title="Work", projectId=project["id"])).entity
    _track(member, task["id"])
    token = _full(member)

    quiet, _ = _synced(member, token)  # nothing changed since the token
    for colleague, _email in users[2:]:
        _track(colleague, task["id"])
        _track(colleague, task["id"])
    busy, page = _synced(member, token)
    print(f"\nmember's sync: quiet {quiet.calls} calls, after colleagues' writes {busy.calls}")
    # Was: one more call, a Query reading the colleagues' 12 session changes.
    assert (busy.calls, busy.queries) == (quiet.calls, []) == (2, [])
    assert "sessions" not in page

    _track(member, task["id"])  # the member's own session: one Query, reading it alone
    own, page = _synced(member, token)
    assert [s["userId"] for s in page["sessions"]] == [member.user_id]
    assert own.queries == [1]
    # No project of the workspace was ever private: nobody's sight to judge (was: +2 lookups).
    assert own.calls == quiet.calls + 1

    catalog.create_project(owner, ProjectFields(title="New", workspaceId=workspace_id))
    both, page = _synced(member, token)
    assert [p["title"] for p in page["projects"]] == ["New"]
    assert both.queries == [1, 1]  # the catalog's change, then the member's session


def test_a_member_following_tokens_gets_their_sessions_and_the_catalog_only(pool: str) -> None:
    (owner, _), (member, email), (colleague, colleague_email) = (
        pool_user(pool, 600 + n) for n in range(3)
    )
    workspace_id = workspaces.create_workspace(owner, WorkspaceFields(name="Two")).entity["id"]
    join(owner, workspace_id, member, email)
    join(owner, workspace_id, colleague, colleague_email)
    project = catalog.create_project(
        owner, ProjectFields(title="Shared", workspaceId=workspace_id)
    ).entity
    task = create_task(owner, TaskFields(title="Work", projectId=project["id"])).entity
    token = _full(member)
    seen: dict[str, set[str]] = {"sessions": set(), "tasks": set()}
    for round_number in range(3):
        _track(member, task["id"])
        _track(colleague, task["id"])
        create_task(colleague, TaskFields(title=f"T{round_number}", projectId=project["id"]))
        page = sync(member, token, 1)  # one change a page: the streams page apart
        while True:
            for name, ids in seen.items():
                ids.update(e["id"] for e in page.get(name, []))
                assert all(
                    e.get("userId", member.user_id) == member.user_id
                    for e in page.get("sessions", [])
                )
            token = page["syncToken"]
            if not page["hasMore"]:
                break
            page = sync(member, token, 1)
    full = sync(member, None, 1000)
    assert seen["sessions"] == {s["id"] for s in full["sessions"]}
    assert len(seen["sessions"]) == 3
    assert seen["tasks"] == {t["id"] for t in full["tasks"]} - {task["id"]}

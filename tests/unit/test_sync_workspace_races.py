"""A shared workspace deleted while a member's sync page is read (docs/DESIGN.md, "Workspaces"
and "Sync": after a deletion, the next sync lists `{type: "workspace", id}` in `deleted`).

In process over moto, so the deletion lands at an exact point inside the page: after the page
read the member's workspaces, before it read this one's counter. On the stack the DynamoDB
calls of concurrent requests interleave so too (tests/api/test_workspace_concurrency.py runs
them at random)."""

from __future__ import annotations

from typing import Any

import pytest

from stint.errors import ValidationFailed
from stint.models import MemberBody, ProjectFields, WorkspaceFields
from stint.services import access, catalog, workspaces
from stint.services.common import Caller
from stint.services.sync import sync

from .conftest import pool_user


@pytest.mark.xfail(
    strict=True,
    raises=ValidationFailed,
    reason=(
        "services/sync.py reads the caller's workspaces first, then each one's COUNTER; a "
        "workspace deleted in between has lost its COUNTER (WorkspaceStore.delete removes "
        "every item of the partition), so change_sequence() answers 0 for it, below the "
        "token's position, and sync raises 400 invalid_sync_token instead of answering the page "
        "and listing the workspace as deleted on the next one"
    ),
)
def test_a_workspace_deleted_during_a_members_page_is_listed_deleted_next(
    pool: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    (owner, _), (member, email) = pool_user(pool, 1), pool_user(pool, 2)
    workspace_id = workspaces.create_workspace(owner, WorkspaceFields(name="Studio")).entity["id"]
    invitation = workspaces.invite(owner, workspace_id, MemberBody(email=email)).entity
    workspaces.accept_invitation(member, invitation["id"])
    catalog.create_project(owner, ProjectFields(title="Shared", workspaceId=workspace_id))
    first = sync(member, None, 100)  # the member's position in the workspace is past 0 now
    assert not first["hasMore"] and "Shared" in [p["title"] for p in first["projects"]]

    read_memberships = access.memberships

    def deleted_right_after(caller: Caller) -> list[access.Membership]:
        mine = read_memberships(caller)
        monkeypatch.setattr(access, "memberships", read_memberships)  # once
        workspaces.delete_workspace(owner, workspace_id, None)
        return mine

    monkeypatch.setattr(access, "memberships", deleted_right_after)
    racing = sync(member, first["syncToken"], 100)  # here: ValidationFailed, invalid_sync_token
    after: dict[str, Any] = sync(member, racing["syncToken"], 100)
    deleted = [(d["type"], d["id"]) for d in racing.get("deleted", []) + after.get("deleted", [])]
    assert ("workspace", workspace_id) in deleted

"""A shared workspace deleted while a member's sync page is read (docs/DESIGN.md, "Workspaces"
and "Sync": after a deletion, the next sync lists `{type: "workspace", id}` in `deleted`).

In process over moto, so the deletion lands at an exact point inside the page: after the page
read the member's memberships, before it read the workspaces' records and counters. On the
stack the DynamoDB calls of concurrent requests interleave so too
(tests/api/test_workspace_concurrency.py runs them at random)."""

from __future__ import annotations

from typing import Any

import pytest

from stint.models import ProjectFields, WorkspaceFields
from stint.services import access, catalog, workspaces
from stint.services.common import Caller
from stint.services.sync import sync
from stint.timeutil import parse_timestamp, utc_now

from .conftest import join, pool_user


def test_a_workspace_deleted_during_a_members_page_is_listed_deleted_next(
    pool: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    (owner, _), (member, email) = pool_user(pool, 1), pool_user(pool, 2)
    workspace_id = workspaces.create_workspace(owner, WorkspaceFields(name="Studio")).entity["id"]
    join(owner, workspace_id, member, email)
    catalog.create_project(owner, ProjectFields(title="Shared", workspaceId=workspace_id))
    first = sync(member, None, 100)  # the member's position in the workspace is past 0 now
    assert not first["hasMore"] and "Shared" in [p["title"] for p in first["projects"]]

    read_memberships = access.shared_ids

    def deleted_right_after(caller: Caller) -> list[str]:
        mine = read_memberships(caller)
        monkeypatch.setattr(access, "shared_ids", read_memberships)  # once
        workspaces.delete_workspace(owner, workspace_id, None)
        return mine

    monkeypatch.setattr(access, "shared_ids", deleted_right_after)
    racing = sync(member, first["syncToken"], 100)  # was: 400 invalid_sync_token
    after: dict[str, Any] = sync(member, racing["syncToken"], 100)
    deleted = [
        d for d in racing.get("deleted", []) + after.get("deleted", []) if d["id"] == workspace_id
    ]
    # As every deletion (docs/API.md, "Sync tokens"): {type, id, lastUpdated}.
    assert [(d["type"], sorted(d)) for d in deleted] == [
        ("workspace", ["id", "lastUpdated", "type"])
    ]
    assert parse_timestamp(deleted[0]["lastUpdated"]) <= utc_now()

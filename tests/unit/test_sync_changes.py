"""What a sync page lists (docs/DESIGN.md, "Sync"; docs/API.md, "Sync tokens"): exactly the
changes after the token's positions, tombstones as `{type, id, lastUpdated}` and none a client
never had, pages of at most `limit` changes across the caller's workspaces, and a paging token
that keeps the first page's issue time."""

from __future__ import annotations

from typing import Any

import pytest

from stint.models import WorkspaceFields, WorkspacePatchFields
from stint.services import members, workspaces
from stint.services import sync as sync_service
from stint.services.common import Caller
from stint.services.sync import SyncToken, sync
from stint.store import Delete, Put, Store

from .conftest import join, pool_user

USER = "sync-user"
CALLER = Caller(user_id=USER, username=USER)


def _ids(page: dict[str, Any], key: str) -> list[str]:
    return sorted(entity["id"] for entity in page.get(key, []))


def _create(store: Store, *ids: str) -> dict[str, int]:
    committed = store.commit([Put("project", {"id": i, "title": i.upper()}) for i in ids])
    return {i: committed.seq_of("project", i) for i in ids}


@pytest.mark.usefixtures("table")
def test_an_incremental_sync_lists_exactly_the_changes_since_the_token() -> None:
    store = Store(USER)
    seqs = _create(store, "a", "b", "c")
    first = sync(CALLER, None, 100)
    assert _ids(first, "projects") == ["a", "b", "c"] and "deleted" not in first
    renamed = store.commit([Put("project", {"id": "a", "title": "A2"}, expect_seq=seqs["a"])])
    gone = store.commit([Delete("project", "b", seqs["b"])])
    _create(store, "d")
    second = sync(CALLER, first["syncToken"], 100)
    assert _ids(second, "projects") == ["a", "d"]
    assert [p["title"] for p in second["projects"] if p["id"] == "a"] == ["A2"]
    assert second["projects"][0]["lastUpdated"] == renamed.timestamp
    assert second["deleted"] == [{"type": "project", "id": "b", "lastUpdated": gone.timestamp}]
    assert SyncToken.decode(second["syncToken"], USER).positions == {USER: seqs["c"] + 3}
    third = sync(CALLER, second["syncToken"], 100)
    assert set(third) == {"syncToken", "hasMore", "workspaces"} and third["hasMore"] is False


@pytest.mark.usefixtures("table")
def test_an_id_deleted_and_made_again_since_the_token_is_listed_live_only() -> None:
    store = Store(USER)
    token = sync(CALLER, None, 100)["syncToken"]
    seqs = _create(store, "x")
    store.commit([Delete("project", "x", seqs["x"])])
    store.commit([Put("project", {"id": "x", "title": "X again"})])
    page = sync(CALLER, token, 100)
    assert [p["title"] for p in page["projects"]] == ["X again"]
    assert set(page) == {"syncToken", "hasMore", "workspaces", "projects"}


@pytest.mark.usefixtures("table")
def test_a_syncs_workspaces_are_the_callers_workspaces_as_listed() -> None:
    """The personal workspace as its record has it (renamed here), not its defaults."""
    workspaces.update_workspace(CALLER, USER, WorkspacePatchFields(name="Home"), None)
    listed = sync(CALLER, None, 100)["workspaces"]
    assert listed == workspaces.list_workspaces(CALLER)
    assert [w["name"] for w in listed] == ["Home"]


@pytest.mark.usefixtures("table")
def test_a_full_sync_lists_no_tombstone_not_even_of_the_last_write() -> None:
    store = Store(USER)
    seqs = _create(store, "a", "b")
    store.commit([Delete("project", "b", seqs["b"])])  # its tombstone's seq is the counter's
    page = sync(CALLER, "*", 100)
    assert _ids(page, "projects") == ["a"] and "deleted" not in page


@pytest.mark.usefixtures("table")
def test_pages_hold_at_most_limit_changes_and_keep_the_first_pages_issue_time(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    store = Store(USER)
    _create(store, "a", "b", "c", "d", "e")
    clock = [1_800_000_000]
    monkeypatch.setattr(sync_service.time, "time", lambda: clock[0])
    pages = [sync(CALLER, None, 2)]
    while pages[-1]["hasMore"]:
        clock[0] += 1000
        pages.append(sync(CALLER, pages[-1]["syncToken"], 2))
    assert [_ids(page, "projects") for page in pages] == [["a", "b"], ["c", "d"], ["e"]]
    tokens = [SyncToken.decode(page["syncToken"], USER) for page in pages]
    assert tokens[0].issued == 1_800_000_000 and tokens[0].positions == {USER: 2}
    assert tokens[0].bases == {USER: 5}  # the full read's end, while it pages
    # A page with more to come keeps the first page's time, not its own.
    assert tokens[1].issued == 1_800_000_000 and tokens[1].positions == {USER: 4}
    assert tokens[1].bases == {USER: 5}
    assert tokens[2].issued == 1_800_002_000 and tokens[2].positions == {USER: 5}
    assert tokens[2].bases == {}


def _shared(pool: str) -> tuple[Caller, Caller, str]:
    """An owner and a member of a shared workspace."""
    (owner, _), (member, email) = pool_user(pool, 1), pool_user(pool, 2)
    workspace_id = workspaces.create_workspace(owner, WorkspaceFields(name="Team")).entity["id"]
    join(owner, workspace_id, member, email)
    return owner, member, workspace_id


def _session(session_id: str, user_id: str) -> Put:
    fields = {"taskId": "t", "startTimestamp": "2026-01-01T00:00:00Z", "duration": 60}
    return Put("session", {"id": session_id, "userId": user_id, **fields})


def test_a_members_sync_has_their_own_sessions_of_a_workspace_not_the_others(pool: str) -> None:
    owner, member, workspace_id = _shared(pool)
    Store(owner.user_id, workspace_id).commit([_session("theirs", owner.user_id)])
    Store(member.user_id, workspace_id).commit([_session("mine", member.user_id)])
    assert _ids(sync(member, None, 100), "sessions") == ["mine"]
    assert _ids(sync(owner, None, 100), "sessions") == ["theirs"]


def test_a_page_full_of_one_workspace_leaves_the_next_for_the_next_page(pool: str) -> None:
    owner, member, workspace_id = _shared(pool)
    # The personal workspace, read first, has the member's Inbox (made with the profile) and p1.
    _create(Store(member.user_id), "p1")
    shared = Store(owner.user_id, workspace_id)
    shared.commit([Put("project", {"id": "s1", "title": "S1"})])
    first = sync(member, None, 2)
    assert first["hasMore"] and sorted(p["title"] for p in first["projects"]) == ["Inbox", "P1"]
    token = SyncToken.decode(first["syncToken"], member.user_id)
    assert token.positions == {member.user_id: 2}  # the shared one not reached yet
    second = sync(member, first["syncToken"], 2)
    assert not second["hasMore"] and _ids(second, "projects") == ["s1"]
    assert set(SyncToken.decode(second["syncToken"], member.user_id).positions) == {
        member.user_id,
        workspace_id,
    }
    assert [w["id"] for w in second["workspaces"]] == [member.user_id, workspace_id]


def test_an_id_live_in_one_workspace_and_deleted_in_another_is_listed_live_only(pool: str) -> None:
    """Ids are unique in a workspace, not across a caller's workspaces. A page never lists one
    (type, id) both live and deleted: a client applying `deleted` after the lists would lose the
    live one, which is the one `GET /v1/projects/{id}` answers (the personal workspace wins)."""
    owner, member, workspace_id = _shared(pool)
    personal = _create(Store(member.user_id), "twin")
    shared = _create(Store(owner.user_id, workspace_id), "twin")
    token = sync(member, None, 100)["syncToken"]
    Store(owner.user_id, workspace_id).commit([Delete("project", "twin", shared["twin"])])
    Store(member.user_id).commit(
        [Put("project", {"id": "twin", "title": "Mine"}, expect_seq=personal["twin"])]
    )
    page = sync(member, token, 100)
    assert [p["title"] for p in page["projects"]] == ["Mine"]
    assert "deleted" not in page


def test_a_workspace_lost_before_a_page_read_it_is_new_again_when_rejoined(pool: str) -> None:
    """A page with no room left for a workspace notes where its full read starts (a base, no
    position yet). Lost before a page read it, the workspace is forgotten by the next page,
    more pages to come or not: back, it is new to the client again, its live entities and none
    of the deletions since."""
    owner, member, workspace_id = _shared(pool)
    _create(Store(member.user_id), "p1")
    shared = _create(Store(owner.user_id, workspace_id), "s1", "s2")
    first = sync(member, None, 2)
    token = SyncToken.decode(first["syncToken"], member.user_id)
    assert first["hasMore"] and workspace_id in token.bases
    assert workspace_id not in token.positions
    members.remove_member(owner, workspace_id, member.user_id, None)
    _create(Store(member.user_id), "p2", "p3", "p4")
    second = sync(member, first["syncToken"], 2)
    assert second["hasMore"] and SyncToken.decode(second["syncToken"], member.user_id).bases == {}
    Store(owner.user_id, workspace_id).commit([Delete("project", "s1", shared["s1"])])
    join(owner, workspace_id, member, "member2@example.com")
    rest = sync(member, second["syncToken"], 100)
    assert _ids(rest, "projects") == ["p4", "s2"] and "deleted" not in rest

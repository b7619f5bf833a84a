"""Shared workspaces' records, memberships and invitations in the store
(stint.store.workspaces), and approvals with the locks they hold (stint.store.approvals;
docs/DESIGN.md, "Workspaces" and "Locked time"): each write conditioned on the version it read,
with its memberships and invitations in the same transaction."""

from __future__ import annotations

from typing import Any

import pytest

from stint.config import settings
from stint.dispatch import events_of
from stint.store import Partition, StaleRead, dynamodb
from stint.store.approvals import ApprovalStore
from stint.store.transactions import TRANSACTION_LIMIT
from stint.store.workspaces import WorkspaceStore, entities_of_users, running_refs
from tests.recorders import calls

from .test_store_keys import _raw_put


def _workspace(workspace_id: str, *members: str, **fields: Any) -> dict[str, Any]:
    people = [{"userId": m, "displayName": m.upper(), "role": "member"} for m in members]
    return {"id": workspace_id, "name": workspace_id, "members": people, **fields}


@pytest.mark.usefixtures("table")
def test_a_workspace_is_written_with_its_memberships_and_invitations_at_its_version() -> None:
    invited = {"id": "i1", "email": "x@example.com", "expiresAt": 500}
    version = WorkspaceStore.write(
        _workspace("w1", "u1", "u2"), expect_version=None, joining=("u1", "u2"), invited=invited
    )
    assert version == 1 and WorkspaceStore.get("w1")["version"] == 1  # type: ignore[index]
    assert WorkspaceStore.memberships("u2", limit=5, next_token=None) == (["w1"], None)
    assert WorkspaceStore.invitations(
        "x@example.com", limit=5, next_token=None, expiring_after=499
    )[0] == [
        {**invited, "pk": "INVITEE#x@example.com", "sk": "INVITATION#i1", "kind": "invitation"}
    ]
    assert WorkspaceStore.invitations(
        "x@example.com", limit=5, next_token=None, expiring_after=500
    ) == ([], None)
    with pytest.raises(StaleRead):  # created already
        WorkspaceStore.write(_workspace("w1"), expect_version=None)
    with pytest.raises(StaleRead):  # the invitation exists
        WorkspaceStore.write(_workspace("w1"), expect_version=1, invited=invited)
    assert (
        WorkspaceStore.write(
            _workspace("w1", "u1"),
            expect_version=1,
            leaving=("u2",),
            withdrawn=("x@example.com", "i1"),
        )
        == 2
    )
    assert WorkspaceStore.memberships("u2", limit=5, next_token=None) == ([], None)
    with pytest.raises(StaleRead):  # withdrawn already
        WorkspaceStore.write(_workspace("w1"), expect_version=2, withdrawn=("x@example.com", "i1"))
    with pytest.raises(StaleRead):  # version 1 was read: 2 is stored
        WorkspaceStore.write(_workspace("w1"), expect_version=1)
    assert WorkspaceStore.get("w1")["version"] == 2  # type: ignore[index]


@pytest.mark.usefixtures("table")
def test_a_renamed_personal_workspace_is_in_its_users_partition() -> None:
    WorkspaceStore.write({"id": "u1", "name": "Mine"}, expect_version=None, personal=True)
    assert WorkspaceStore.get("u1") is None  # not a shared workspace's
    assert WorkspaceStore.get_many(["u1"]) == []


@pytest.mark.usefixtures("table")
def test_workspaces_are_read_in_the_order_asked_for() -> None:
    for workspace_id in ("w1", "w2", "w3"):
        WorkspaceStore.write(_workspace(workspace_id), expect_version=None)
    found = WorkspaceStore.get_many(["w3", "gone", "w1"])
    assert [w["id"] for w in found] == ["w3", "w1"]
    assert WorkspaceStore.fields(found[0]) == _workspace("w3")


@pytest.mark.usefixtures("table")
def test_a_members_new_name_reaches_each_of_their_workspaces() -> None:
    WorkspaceStore.write(_workspace("w1", "u1", "u2"), expect_version=None, joining=("u1", "u2"))
    WorkspaceStore.write(_workspace("w2", "u1"), expect_version=None, joining=("u1",))
    _raw_put("USER#u1", "MEMBERSHIP#gone", kind="membership", workspaceId="gone")
    WorkspaceStore.refresh_member("u1", {"displayName": "New"})
    for workspace_id, version in (("w1", 2), ("w2", 2)):
        record = WorkspaceStore.get(workspace_id)
        assert record is not None and record["version"] == version
        names = {m["userId"]: m["displayName"] for m in record["members"]}
        assert names["u1"] == "New" and names.get("u2", "U2") == "U2"
    WorkspaceStore.refresh_member("u1", {"displayName": "New"})  # unchanged: not written
    assert WorkspaceStore.get("w1")["version"] == 2  # type: ignore[index]


@pytest.mark.usefixtures("table")
def test_a_deleted_workspace_leaves_nothing_of_it() -> None:
    members = [f"u{n}" for n in range(120)]  # more than one transaction's memberships
    WorkspaceStore.write(_workspace("w1"), expect_version=None, joining=tuple(members[:60]))
    WorkspaceStore.write(_workspace("w1"), expect_version=1, joining=tuple(members[60:]))
    for n in range(130):  # more than the last transaction's 98 and one BatchWriteItem's 25
        _raw_put("WS#w1", f"PROJECT#p{n}", kind="project", id=f"p{n}")
    invitation = {"id": "i1", "email": "x@example.com", "expiresAt": 500}
    WorkspaceStore.write(_workspace("w1"), expect_version=2, invited=invitation)
    WorkspaceStore.delete("w1", members=members, invitations=[("x@example.com", "i1")])
    assert WorkspaceStore.get("w1") is None
    assert all(
        WorkspaceStore.memberships(m, limit=5, next_token=None) == ([], None) for m in members
    )
    assert WorkspaceStore.invitations(
        "x@example.com", limit=5, next_token=None, expiring_after=0
    ) == ([], None)
    assert list(Partition("WS#w1").query_all(between=("0", "~"))) == []


@pytest.mark.usefixtures("table")
def test_an_approval_and_its_lock_are_written_at_the_versions_read() -> None:
    store = ApprovalStore("w1")
    approval = {"id": "a1", "userId": "u1", "status": "submitted"}
    periods = [{"id": "a1", "from": "2026-01-01", "to": "2026-01-31"}]
    assert store.write(approval, expect_version=None, periods=periods) == 1
    lock = store.lock("u1")
    assert lock is not None and lock["periods"] == periods and lock["version"] == 1
    with pytest.raises(StaleRead):  # the lock moved since version 0 was read
        store.write(approval, expect_version=1, periods=[], lock_version=None)
    with pytest.raises(StaleRead):
        store.write(approval, expect_version=None)
    approved = {**approval, "status": "approved"}
    assert store.write(approved, expect_version=1, periods=periods, lock_version=1) == 2
    assert store.lock("u1")["version"] == 2  # type: ignore[index]
    assert store.write({**approved, "status": "x"}, expect_version=2) == 3
    assert store.get("a1")["status"] == "x"  # type: ignore[index]
    assert store.lock("u1")["version"] == 2  # type: ignore[index]


@pytest.mark.usefixtures("table")
def test_an_approval_is_found_in_the_first_workspace_that_has_it() -> None:
    for workspace_id in ("w1", "w2"):
        approval = {"id": "a1", "userId": "u1", "status": workspace_id}
        ApprovalStore(workspace_id).write(approval, expect_version=None)
    found = ApprovalStore.find(["w0", "w2", "w1"], "a1")
    assert found is not None and found[0] == "w2" and found[1]["status"] == "w2"
    assert ApprovalStore.find(["w0"], "a1") is None
    for n in (2, 3, 4):
        approval = {"id": f"a{n}", "userId": "u1", "status": "approved" if n % 2 else "x"}
        ApprovalStore("w1").write(approval, expect_version=None)

    def approved(record: dict[str, Any]) -> bool:
        return bool(record["status"] == "approved")

    page, token = ApprovalStore("w1").page(limit=1, next_token=None, keep=approved)
    assert [a["id"] for a in page] == ["a3"] and token is not None
    page, token = ApprovalStore("w1").page(limit=1, next_token=token, keep=approved)
    assert page == [] and token is None


@pytest.mark.usefixtures("table")
def test_entities_and_running_timers_of_several_users_in_one_read() -> None:
    _raw_put("USER#u1", "SESSION#s1", kind="session", id="s1")
    _raw_put("USER#u2", "SESSION#s2", kind="session", id="s2")
    _raw_put("USER#u2", "RUNNING", kind="guard", ref="s2")
    found = entities_of_users("session", [("u1", "s1"), ("u2", "s2"), ("u1", "s2")])
    assert {ref: record["id"] for ref, record in found.items()} == {
        ("u1", "s1"): "s1",
        ("u2", "s2"): "s2",
    }
    assert running_refs(["u1", "u2"]) == {"u2": "s2"}


@pytest.mark.usefixtures("table")
def test_a_member_of_more_workspaces_than_a_page_is_renamed_in_each() -> None:
    ids = [f"w{n:03d}" for n in range(101)]  # one more than a page of memberships
    for workspace_id in ids:
        _raw_put("USER#u1", f"MEMBERSHIP#{workspace_id}", workspaceId=workspace_id)
        _raw_put(f"WS#{workspace_id}", "WORKSPACE", **_workspace(workspace_id, "u1"), version=1)
    WorkspaceStore.refresh_member("u1", {"displayName": "New"})
    renamed = WorkspaceStore.get_many(ids)
    assert [w["members"][0]["displayName"] for w in renamed] == ["New"] * 101


@pytest.mark.usefixtures("table")
def test_an_approval_as_stored_is_an_approval_event_on_the_stream() -> None:
    approval = {"id": "a1", "userId": "u1", "status": "submitted", "lastUpdated": "t"}
    ApprovalStore("w1").write(approval, expect_version=None)
    raw = dynamodb().get_item(
        TableName=settings().table_name,
        Key={"pk": {"S": "WS#w1"}, "sk": {"S": "APPROVAL#a1"}},
    )["Item"]
    events = events_of({"eventName": "INSERT", "dynamodb": {"NewImage": raw}})
    assert [(e["type"], e["data"]) for e in events] == [("approval.submitted", approval)]


@pytest.mark.usefixtures("table")
def test_a_workspace_write_holds_each_running_guard_as_read() -> None:
    """A member removed with their timer read as running `s1` (or not running): the removal
    commits only while their RUNNING guard is still so (docs/DESIGN.md, "Workspaces")."""
    WorkspaceStore.write(_workspace("w1", "u1", "u2"), expect_version=None, joining=("u1", "u2"))
    _raw_put("USER#u1", "RUNNING", kind="guard", ref="s1")
    for guard in (("u1", None), ("u1", "s2"), ("u2", "s1")):  # each changed since read
        with pytest.raises(StaleRead):
            WorkspaceStore.write(_workspace("w1", "u2"), expect_version=1, guards=(guard,))
    assert WorkspaceStore.get("w1")["version"] == 1  # type: ignore[index]
    guards = (("u1", "s1"), ("u2", None))  # both as read
    assert WorkspaceStore.write(_workspace("w1"), expect_version=1, guards=guards) == 2


@pytest.mark.usefixtures("table")
def test_a_submit_holds_the_members_session_counter_as_read_none_yet_too() -> None:
    """`sessions_at=0`: the member had no session change when the totals were read; one made
    since makes the submit stale (docs/DESIGN.md, "Locked time")."""
    store = ApprovalStore("w1")
    approval = {"id": "a1", "userId": "u1", "status": "submitted"}
    _raw_put("WS#w1", "COUNTER#u1", counter=1)  # a session of theirs written since
    with pytest.raises(StaleRead):
        store.write(approval, expect_version=None, sessions_at=0)
    with pytest.raises(StaleRead):
        store.write(approval, expect_version=None, sessions_at=2)
    assert store.write(approval, expect_version=None, sessions_at=1) == 1
    assert ApprovalStore("w2").write(approval, expect_version=None, sessions_at=0) == 1


@pytest.mark.usefixtures("table")
def test_an_emails_invitations_continue_page_after_page() -> None:
    for n in range(3):
        invited = {"id": f"i{n}", "email": "x@example.com", "expiresAt": 500}
        WorkspaceStore.write(_workspace(f"w{n}"), expect_version=None, invited=invited)
    first, token = WorkspaceStore.invitations(
        "x@example.com", limit=2, next_token=None, expiring_after=0
    )
    rest, token = WorkspaceStore.invitations(
        "x@example.com", limit=2, next_token=token, expiring_after=0
    )
    assert [i["id"] for i in [*first, *rest]] == ["i0", "i1", "i2"] and token is None


def test_a_deleted_workspaces_links_go_with_its_mark_only_when_they_fit_its_transaction() -> None:
    """The mark's transaction is the record's Put and a Delete per link: DynamoDB's 100
    actions hold 99 links."""
    assert WorkspaceStore.unlinked_when_marked(TRANSACTION_LIMIT - 1)
    assert not WorkspaceStore.unlinked_when_marked(TRANSACTION_LIMIT)


@pytest.mark.usefixtures("table")
def test_a_deletion_takes_a_transaction_per_100_links_and_a_batch_per_25_items() -> None:
    """docs/DESIGN.md, "Workspaces": the links in transactions of 100, the partition's items
    by BatchWriteItem (25 a call) but the last 98, which go in one transaction with the record
    and the owner's membership; a small workspace is that one transaction alone."""
    members = [f"u{n}" for n in range(121)]  # 120 links besides the owner's: 2 transactions
    WorkspaceStore.write(_workspace("w1"), expect_version=None, joining=tuple(members[:60]))
    WorkspaceStore.write(_workspace("w1"), expect_version=1, joining=tuple(members[60:]))
    for n in range(130):  # 32 by BatchWriteItem (2 calls), 98 with the record
        _raw_put("WS#w1", f"PROJECT#p{n:03d}", kind="project", id=f"p{n}")
    with calls() as counted:
        WorkspaceStore.delete("w1", members=members, invitations=[])
    assert (counted["TransactWriteItems"], counted["BatchWriteItem"]) == (3, 2)
    assert list(Partition("WS#w1").query_all(between=("0", "~"))) == []
    WorkspaceStore.write(_workspace("w2"), expect_version=None, joining=("u1",))
    for n in range(98):
        _raw_put("WS#w2", f"PROJECT#p{n:03d}", kind="project", id=f"p{n}")
    with calls() as counted:
        WorkspaceStore.delete("w2", members=["u1"], invitations=[])
    assert (counted["TransactWriteItems"], counted["BatchWriteItem"]) == (1, 0)
    assert WorkspaceStore.get("w2") is None

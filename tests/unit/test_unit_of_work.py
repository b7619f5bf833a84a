"""The unit of work (stint.store.unit; docs/DESIGN.md, "Performance"): its first read brings the
counter along and `prefetch` reads several items in one round trip; a read of an item a pending
change writes answers what it will be; the commit writes one change per item, with the changes
of another workspace's unit in the same transaction."""

from __future__ import annotations

from typing import Any

import pytest

from stint.errors import NotFound
from stint.store import PENDING_SEQ, Delete, Guard, Put, StaleRead, Store, UnitOfWork, deferring
from tests.recorders import calls, listening

from .test_store_keys import _raw_put

USER = "worker"


def _project(entity_id: str, title: str = "T") -> Put:
    return Put("project", {"id": entity_id, "title": title})


def _sessions(count: int, member: str = "m") -> list[Put]:
    """Updates of a member's sessions: one action each, and (in a shared workspace) one for
    the member's stream counter in all."""
    start = "2026-01-01T00:00:00Z"
    entities = [
        {"id": f"s{n:03d}", "userId": member, "taskId": "t", "startTimestamp": start}
        for n in range(count)
    ]
    return [Put("session", entity, expect_seq=1) for entity in entities]


class _Gate:
    """A session gate that reads the running guard ahead and admits every write."""

    keys = ("RUNNING",)

    def admit(self, unit: UnitOfWork, before: Any, after: Any) -> None:
        return None

    def conditions(self) -> list[Any]:
        return []


class _AskedGate(_Gate):
    """A session gate that admits every write and notes what it was asked: each session as
    (id, seq, note), before and after the write."""

    def __init__(self) -> None:
        self.asked: list[tuple[Any, Any]] = []

    def admit(self, unit: UnitOfWork, before: Any, after: Any) -> None:
        def seen(record: Any) -> Any:
            return None if record is None else (record["id"], record["seq"], record.get("note"))

        self.asked.append((seen(before), seen(after)))


@pytest.mark.usefixtures("table")
def test_reads_ahead_bring_the_counter_and_save_round_trips() -> None:
    Store(USER).commit([_project("a"), _project("b")])
    unit = UnitOfWork(USER)
    with calls() as counted:
        # A key over DynamoDB's 1,024 bytes names nothing: left out, not failing the batch.
        unit.prefetch("PROJECT#a", "PROJECT#b", "PROJECT#none", "X" * 1100)
        assert unit.get("project", "a")["seq"] == 1  # type: ignore[index]
        assert unit.get("project", "b")["seq"] == 2  # type: ignore[index]
        assert unit.get("project", "none") is None
        unit.add(Put("project", {"id": "a", "title": "A2"}, expect_seq=1))
        committed = unit.commit()
    assert counted == {"BatchGetItem": 1, "TransactWriteItems": 1}
    assert committed.seq_of("project", "a") == 3
    assert Store(USER).get("project", "a")["title"] == "A2"  # type: ignore[index]
    with calls() as counted:  # the counter is used once: the next commit reads it afresh
        unit.commit([_project("c")])
    assert counted == {"GetItem": 1, "TransactWriteItems": 1}


@pytest.mark.usefixtures("table")
def test_a_first_read_of_an_entity_or_guard_brings_the_counter_along() -> None:
    Store(USER).commit([_project("a"), Guard("RUNNING", ref="s1", expect=None)])
    for read in ("entity", "guard"):
        unit = UnitOfWork(USER)
        with calls() as counted:
            if read == "entity":
                unit.get("project", "a")
            else:
                assert unit.get_guard("RUNNING") == "s1"
            unit.commit([_project(f"new-{read}")])
        assert counted == {"BatchGetItem": 1, "TransactWriteItems": 1}


@pytest.mark.usefixtures("table")
def test_reads_answer_what_the_pending_changes_will_make() -> None:
    Store(USER).commit([_project("a"), _project("b")])
    unit = UnitOfWork(USER)
    unit.add(Put("project", {"id": "a", "title": "A2"}, expect_seq=1), Delete("project", "b", 2))
    unit.add(Guard("RUNNING", ref="s9", expect=None))
    pending = unit.get("project", "a")
    assert pending is not None and pending["title"] == "A2" and pending["seq"] == PENDING_SEQ
    assert unit.get("project", "b") is None and unit.get_guard("RUNNING") == "s9"
    assert unit.original("PROJECT#b")["seq"] == 2  # type: ignore[index]
    listed = {r["id"]: r["title"] for r in unit.query_all(prefix="PROJECT#")}
    assert listed == {"a": "A2"}
    assert [p["id"] for p in unit.created("project")] == []
    unit.add(_project("c"))
    assert [p["id"] for p in unit.created("project", since=3)] == ["c"]
    assert [p["id"] for p in unit.created("project", since=4)] == []
    unit.commit()
    assert Store(USER).get("project", "b") is None
    assert unit.get("project", "a")["title"] == "A2"  # type: ignore[index]


@pytest.mark.usefixtures("table")
def test_a_check_is_added_only_for_an_entity_the_unit_does_not_write() -> None:
    Store(USER).commit([_project("a")])
    unit = UnitOfWork(USER)
    unit.add(Put("project", {"id": "a", "title": "A2"}, expect_seq=1))
    unit.require("project", "a")
    unit.require("category", "c", on_conflict=NotFound("no category"))
    assert len(unit.planned) == 2
    with pytest.raises(NotFound):
        unit.commit()
    assert Store(USER).get("project", "a")["title"] == "T"  # type: ignore[index]


@pytest.mark.usefixtures("table")
def test_another_workspaces_changes_commit_in_the_same_transaction() -> None:
    personal, shared = UnitOfWork(USER), UnitOfWork(USER, "w1")
    personal.add(_project("mine"))
    shared.add(_project("ours"))
    personal.commit_along(shared)
    assert personal.fits_one_transaction()
    # 48 creates and the counter here, one create and its counter there: 100 actions.
    assert personal.fits_one_transaction(*[_project(f"x{n}") for n in range(47)])
    assert not personal.fits_one_transaction(*[_project(f"x{n}") for n in range(48)])
    with calls() as counted:
        personal.commit()
    assert counted["TransactWriteItems"] == 1
    assert Store(USER).get("project", "mine") is not None
    assert Store(USER, "w1").get("project", "ours")["seq"] == 1  # type: ignore[index]
    with pytest.raises(ValueError):
        personal.commit_along(UnitOfWork(USER))


@pytest.mark.usefixtures("table")
def test_the_gates_keys_come_with_the_first_read_and_the_counter_only_then() -> None:
    Store(USER).commit([_project("a"), _project("b"), Guard("RUNNING", ref="s1", expect=None)])
    unit = UnitOfWork(USER)
    unit.gate = _Gate()
    with calls() as counted:
        assert unit.get("project", "a") is not None
        assert unit.get_guard("RUNNING") == "s1"  # read ahead with the first read
        assert unit.get("project", "b") is not None  # the counter is read already: a GetItem
    assert counted == {"BatchGetItem": 1, "GetItem": 1}


@pytest.mark.usefixtures("table")
def test_a_read_ahead_asks_for_a_key_once_and_never_for_one_over_1024_bytes() -> None:
    longest = "X" * 1024  # DynamoDB's largest sort key
    Store(USER).commit([_project("a"), _project("b")])
    _raw_put(f"USER#{USER}", longest, kind="note")
    asked: list[set[str]] = []

    def record(params: dict[str, Any], **_: Any) -> None:
        for request in params["RequestItems"].values():
            asked.append({key["sk"]["S"] for key in request["Keys"]})

    unit = UnitOfWork(USER)
    with listening(("before-parameter-build.dynamodb.BatchGetItem", record)):
        unit.prefetch("PROJECT#a", longest, longest + "X")
        unit.prefetch("PROJECT#a", "PROJECT#b")
    assert asked == [{"PROJECT#a", longest, "COUNTER"}, {"PROJECT#b"}]
    with calls() as counted:
        assert unit.read(longest) is not None
    assert counted == {}


@pytest.mark.usefixtures("table")
def test_the_counter_read_ahead_is_what_the_commit_and_the_audience_rules_use() -> None:
    fresh = UnitOfWork("fresh")
    assert fresh.get("project", "a") is None  # no counter item yet
    assert not fresh.ever_private
    fresh.add(_project("a"))
    assert fresh.commit_unless_changed().seq_of("project", "a") == 1  # not a StaleRead
    _raw_put("WS#w1", "COUNTER", counter=3, privateSeen=True)
    shared = UnitOfWork(USER, "w1")
    assert shared.get("project", "x") is None
    assert shared.ever_private


@pytest.mark.usefixtures("table")
def test_an_item_the_unit_writes_is_read_without_a_round_trip() -> None:
    unit = UnitOfWork(USER)
    unit.add(_project("n", "N"))
    with calls() as counted:
        assert unit.get("project", "n")["title"] == "N"  # type: ignore[index]
    assert counted == {}
    assert [p["id"] for p in unit.created("project")] == ["n"]


@pytest.mark.usefixtures("table")
def test_items_the_request_read_before_are_answered_as_read() -> None:
    mine = {"pk": f"USER#{USER}", "sk": "PROJECT#k", "kind": "project", "id": "k", "seq": 4}
    foreign = {"pk": "USER#other", "sk": "PROJECT#f", "kind": "project", "id": "f", "seq": 1}
    unit = UnitOfWork(USER)
    unit.known(mine, foreign)
    unit.known({**mine, "seq": 5})  # the first read stands
    with calls() as counted:
        assert unit.get("project", "k") == mine and unit.original("PROJECT#k") == mine
    assert counted == {}
    assert unit.get("project", "f") is None  # another partition's item is not this one's
    profile = {"pk": f"USER#{USER}", "sk": "PROFILE", "kind": "profile", "version": 2}
    shared = UnitOfWork(USER, "w1")  # the profile is in the user's own partition
    shared.known(profile)
    with calls() as counted:
        assert shared.read("PROFILE") == profile
    assert counted == {}


@pytest.mark.usefixtures("table")
def test_a_change_is_planned_on_the_item_as_a_page_read_it() -> None:
    Store(USER).commit([_project("a")])
    unit = UnitOfWork(USER)
    [page_read], _ = unit.query_page(prefix="PROJECT#", limit=10, next_token=None)
    Store(USER).commit([Put("project", {"id": "a", "title": "A2"}, expect_seq=1)])
    with calls() as counted:
        assert unit.original("PROJECT#a") == page_read
    assert counted == {}


@pytest.mark.usefixtures("table")
def test_a_units_size_counts_its_members_stream_counters() -> None:
    shared = UnitOfWork(USER, "w1")
    shared.add(*_sessions(98))
    assert shared.fits_one_transaction()  # 98, the counter and the member's stream counter
    assert not shared.fits_one_transaction(*_sessions(99)[98:])
    # Committed along: a create and the counter (3 actions) in the personal workspace, 95
    # sessions, the counter and the stream counter (97) in the shared one; the one writing
    # through the other either way. One session more: 101 actions.
    for writer in ("personal", "shared"):
        personal, shared = UnitOfWork(USER), UnitOfWork(USER, "w1")
        personal.add(_project("a"))
        shared.add(*_sessions(95))
        unit, along = (personal, shared) if writer == "personal" else (shared, personal)
        unit.commit_along(along)
        assert unit.fits_one_transaction()
        shared.add(Put("session", {**_sessions(1)[0].entity, "id": "s999"}, expect_seq=1))
        assert not unit.fits_one_transaction()


@pytest.mark.usefixtures("table")
def test_a_commit_unless_changed_too_big_for_one_transaction_is_refused() -> None:
    shared = UnitOfWork(USER, "w2")
    assert shared.get("project", "x") is None  # the counter read ahead
    shared.add(*_sessions(99))  # 99, the counter and the stream counter: 101
    with calls() as counted, pytest.raises(ValueError):
        shared.commit_unless_changed()
    assert "TransactWriteItems" not in counted


@pytest.mark.usefixtures("table")
def test_a_pending_entity_reads_as_the_commit_stores_it() -> None:
    """A later read of an entity the unit puts sees what its commit stores: its kind, and the
    workspace it is fixed in at creation (this unit's)."""
    for workspace in (None, "w1"):
        unit = UnitOfWork(USER, workspace)
        unit.add(_project("a"))
        pending = unit.get("project", "a")
        assert pending is not None
        assert (pending["kind"], pending["workspaceId"]) == ("project", workspace or USER)
        unit.commit()
        stored = Store(USER, workspace).get("project", "a")
        assert stored is not None
        assert {k: stored[k] for k in ("kind", "workspaceId", "title")} == {
            k: pending[k] for k in ("kind", "workspaceId", "title")
        }


@pytest.mark.usefixtures("table")
def test_the_gate_is_asked_about_each_session_write_as_read_and_as_it_leaves_it() -> None:
    """Before: the session as the unit's earlier changes leave it, else as stored (None for a
    create); after: as the change leaves it (None for a delete). Other kinds are not asked."""
    start = "2026-01-01T00:00:00Z"
    sessions = [
        {"id": f"s{n}", "userId": USER, "taskId": "t", "startTimestamp": start} for n in range(3)
    ]
    Store(USER).commit([Put("session", sessions[0]), Put("session", sessions[1])])
    unit = UnitOfWork(USER)
    unit.gate = gate = _AskedGate()
    unit.add(Put("session", {**sessions[0], "note": "x"}, expect_seq=1))
    unit.add(Delete("session", "s0", expect_seq=1))
    unit.add(Delete("session", "s1", expect_seq=2), _project("p"))
    unit.add(Put("session", sessions[2]))
    assert gate.asked == [
        (("s0", 1, None), ("s0", PENDING_SEQ, "x")),
        (("s0", PENDING_SEQ, "x"), None),
        (("s1", 2, None), None),
        (None, ("s2", PENDING_SEQ, None)),
    ]


@pytest.mark.usefixtures("table")
def test_a_unit_held_to_commit_unchanged_fails_on_any_write_since_its_first_read() -> None:
    """`only_unchanged` (a hook read by a query, which no condition on an item covers): a write
    of the partition between the unit's first read and its commit is a StaleRead, where another
    unit's commit is sent again with the fresh counter; a unit that read nothing ahead commits
    as any other."""
    Store(USER).commit([_project("a")])
    for held in (False, True):
        unit = UnitOfWork(USER)
        unit.only_unchanged = held
        assert unit.get("project", "a") is not None  # the counter read ahead
        Store(USER).commit([_project(f"meanwhile-{held}")])
        unit.add(_project(f"late-{held}"))
        if held:
            with pytest.raises(StaleRead):
                unit.commit()
        else:
            unit.commit()
        assert (Store(USER).get("project", f"late-{held}") is None) == held
    blind = UnitOfWork(USER)
    blind.only_unchanged = True
    blind.add(_project("blind"))
    blind.commit()
    assert Store(USER).get("project", "blind") is not None


@pytest.mark.usefixtures("table")
def test_a_unit_sent_now_is_not_held_for_an_idempotent_requests_record() -> None:
    """`send_now`, as `Store.commit`'s: a write exactly once by its own conditions goes at once
    inside `deferring` too."""
    with deferring() as deferral:
        UnitOfWork(USER).commit([_project("now")], send_now=True)
        assert Store(USER).get("project", "now") is not None
    assert deferral.held is None

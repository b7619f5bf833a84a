"""The store's reads (stint.store.reads): batch reads of any number of keys, the changes between
two seqs, pages by prefix, range and index in either order, and page tokens that only continue
the query that gave them."""

from __future__ import annotations

from typing import Any

import pytest

from stint import jsonio
from stint.errors import ValidationFailed
from stint.store import Delete, Put, Store, batch_get
from tests.recorders import calls, listening

from .test_store_keys import _raw_put

USER = "reader"


@pytest.mark.usefixtures("table")
def test_a_batch_read_reads_any_number_of_keys_each_once() -> None:
    for n in range(150):
        _raw_put(f"USER#{USER}", f"PROJECT#p{n:03d}", kind="project", id=f"p{n:03d}")
    keys = [(f"USER#{USER}", f"PROJECT#p{n:03d}") for n in range(150)]
    with calls() as counted:
        found = batch_get([*keys, *keys[:10], (f"USER#{USER}", "PROJECT#none")])
    assert sorted(found) == sorted(keys) and counted["BatchGetItem"] == 2
    assert found[keys[7]]["id"] == "p007"
    with calls() as counted:
        assert batch_get([]) == {}
    assert counted["BatchGetItem"] == 0
    store = Store(USER)
    many = store.get_many("project", ["p001", "p149", "nope"])
    assert sorted(many) == ["p001", "p149"]
    refs = store.get_many_of([("project", "p002"), ("task", "p002")])
    assert list(refs) == [("project", "p002")]


@pytest.mark.usefixtures("table")
def test_the_changes_after_a_seq_up_to_another_in_seq_order() -> None:
    store = Store(USER)
    committed = store.commit([Put("project", {"id": f"p{n}", "title": "t"}) for n in range(5)])
    store.commit([Delete("project", "p0", committed.seq_of("project", "p0"))])  # seq 6
    records, more = store.changes(2, 6, 10)
    assert [(r["kind"], r["id"]) for r in records] == [
        ("project", "p2"),
        ("project", "p3"),
        ("project", "p4"),
        ("tombstone", "p0"),
    ]
    assert not more
    records, more = store.changes(2, 6, 2)
    assert [r["seq"] for r in records] == [3, 4] and more
    assert store.changes(6, 6, 10) == ([], False)
    assert store.changes(0, 1, 10) == ([], False)  # p0's seq 1 is its tombstone's 6 now
    records, _ = store.changes(1, 3, 10)
    assert [r["id"] for r in records] == ["p1", "p2"]


@pytest.mark.usefixtures("table")
def test_pages_by_range_and_index_in_either_order_continue_with_their_token() -> None:
    store = Store(USER)
    sessions = [
        Put("session", {"id": f"s{n}", "taskId": "t1", "startTimestamp": f"2026-01-0{n}T00:00Z"})
        for n in range(1, 6)
    ]
    store.commit(sessions)
    window = ("2026-01-02T00:00Z", "2026-01-04T00:00Z")  # both ends included
    seen: list[str] = []
    token = None
    while True:
        page, token = store.query_page(
            between=window, index="byStart", limit=2, next_token=token, descending=True
        )
        seen += [r["id"] for r in page]
        if token is None:
            break
    assert seen == ["s4", "s3", "s2"]
    first, token = store.entities_page("session", parent=("task", "t1"), limit=3, next_token=None)
    assert [r["id"] for r in first] == ["s1", "s2", "s3"] and token is not None
    rest, token = store.entities_page("session", parent=("task", "t1"), limit=3, next_token=token)
    assert [r["id"] for r in rest] == ["s4", "s5"] and token is None
    assert store.has_any("session", parent=("task", "t1"))
    assert not store.has_any("session", parent=("task", "t2"))
    assert not store.has_any("project")
    assert len(list(store.all_entities("session", page_size=2))) == 5
    store.commit([Put("session", {"id": "other", "taskId": "t2", "startTimestamp": "x"})])
    assert [r["id"] for r in store.all_entities("session", parent=("task", "t2"))] == ["other"]


@pytest.mark.usefixtures("table")
def test_a_token_continues_only_a_query_of_its_own_shape() -> None:
    store = Store(USER)
    store.commit([Put("task", {"id": f"t{n}", "projectId": "p"}) for n in range(3)])
    _, table_token = store.entities_page("task", limit=1, next_token=None)
    _, index_token = store.entities_page("task", parent=("project", "p"), limit=1, next_token=None)
    assert table_token is not None and index_token is not None
    for token, parent in ((table_token, ("project", "p")), (index_token, None)):
        with pytest.raises(ValidationFailed) as refused:
            store.entities_page("task", parent=parent, limit=1, next_token=token)
        assert refused.value.message == "nextToken: malformed"
        assert refused.value.details == [{"field": "nextToken"}]
    for bad in ("%%%", jsonio.to_token({"sk": 1}), jsonio.to_token(["TASK#t0"])):
        with pytest.raises(ValidationFailed) as refused:
            store.entities_page("task", limit=1, next_token=bad)
        assert refused.value.message == "nextToken: malformed"
        assert refused.value.details == [{"field": "nextToken"}]
    deep: Any = "x"
    for _ in range(jsonio.MAX_DEPTH + 1):
        deep = [deep]
    with pytest.raises(ValidationFailed) as refused:
        store.entities_page("task", limit=1, next_token=jsonio.to_token(deep))
    assert refused.value.code == "invalid_json" and refused.value.details == [
        {"field": "nextToken"}
    ]


def _session(session_id: str, member: str) -> Put:
    fields = {"id": session_id, "userId": member, "taskId": "t1", "startTimestamp": "2026-01-01"}
    return Put("session", fields)


@pytest.mark.usefixtures("table")
def test_a_stream_holds_its_members_sessions_and_their_tombstones_after_a_seq() -> None:
    """docs/DESIGN.md, "Workspaces": a member's sync reads the catalog's stream and their own
    sessions' (a deleted session's tombstone too), from the seq after the one it has."""
    store = Store("u1", "w1")
    store.commit([Put("project", {"id": "p1", "title": "P"})])  # seq 1, the catalog's
    store.commit([_session("s1", "u1")])  # seq 2
    store.commit([_session("s2", "u2")])  # seq 3
    store.commit([_session("s3", "u2")])  # seq 4
    store.commit([Delete("session", "s2", expect_seq=3, owner="u2")])  # seq 5
    records, more = store.stream_changes("u2", 3, 5, 10)
    assert [(r["kind"], r["id"], r["seq"]) for r in records] == [
        ("session", "s3", 4),
        ("tombstone", "s2", 5),
    ]
    assert not more
    assert [r["id"] for r in store.stream_changes("u2", 4, 5, 10)[0]] == ["s2"]
    assert [r["id"] for r in store.stream_changes("u1", 0, 5, 10)[0]] == ["s1"]
    assert [r["id"] for r in store.stream_changes(None, 0, 5, 10)[0]] == ["p1"]


@pytest.mark.usefixtures("table")
def test_the_changes_are_read_consistently() -> None:
    """The sync's reads of what changed are consistent (docs/DESIGN.md, "Data design": the
    indexes are local so that they can be): a change just committed is never missed."""
    store = Store("u1", "w1")
    store.commit([_session("s1", "u1")])
    consistent: list[object] = []

    def record(params: dict[str, Any], **_: Any) -> None:
        consistent.append(params.get("ConsistentRead"))

    with listening(("provide-client-params.dynamodb.Query", record)):
        store.changes(0, 1, 10)
        store.stream_changes("u1", 0, 1, 10)
    assert consistent == [True, True]


@pytest.mark.usefixtures("table")
def test_what_a_query_keeps_and_how_many_it_reads_a_call() -> None:
    store = Store(USER)
    store.commit([Put("task", {"id": f"t{n}", "projectId": "p"}) for n in range(5)])

    def odd(record: dict[str, Any]) -> bool:
        return int(str(record["id"])[1:]) % 2 == 1

    assert [r["id"] for r in store.query_all(prefix="TASK#", keep=odd)] == ["t1", "t3"]
    page, token = store.entities_page("task", limit=5, next_token=None, keep=odd)
    assert [r["id"] for r in page] == ["t1", "t3"] and token is None
    with calls() as counted:  # pages of 2: three Query calls
        assert len(list(store.all_entities("task", page_size=2))) == 5
    assert counted["Query"] == 3


@pytest.mark.usefixtures("table")
def test_every_read_of_the_store_is_consistent() -> None:
    """A point read, a batch read and a page each see every write committed before them
    (docs/DESIGN.md, "Data design"): a request reads what the one before it wrote."""
    store = Store("u1", "w1")
    store.commit([_session("s1", "u1")])
    consistent: list[tuple[str, object]] = []

    def record(params: dict[str, Any], model: Any, **_: Any) -> None:
        if model.name == "BatchGetItem":
            [asked] = params["RequestItems"].values()
            consistent.append((model.name, asked.get("ConsistentRead")))
        else:
            consistent.append((model.name, params.get("ConsistentRead")))

    with listening(("provide-client-params.dynamodb", record)):
        assert store.get("session", "s1") is not None
        assert store.get_profile() is None
        assert list(store.get_many("session", ["s1"])) == ["s1"]
        assert len(store.entities_page("session", limit=5, next_token=None)[0]) == 1
        assert store.has_any("session", parent=("task", "t1"))
    assert consistent == [
        ("GetItem", True),
        ("GetItem", True),
        ("BatchGetItem", True),
        ("Query", True),
        ("Query", True),
    ]


@pytest.mark.usefixtures("table")
def test_the_counter_reads_minus_one_until_the_first_commit_then_the_last_seq() -> None:
    store = Store("counted")
    assert store.read_counter() == -1 and store.change_sequence() == 0
    store.commit([Put("project", {"id": f"p{n}", "title": "t"}) for n in range(2)])
    assert store.read_counter() == 2 == store.change_sequence()

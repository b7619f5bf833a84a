"""The store against moto's DynamoDB, with the table built from template.yaml."""

from __future__ import annotations

import time

import pytest

from stint.errors import Conflict
from stint.store import (
    Delete,
    Put,
    PutProfile,
    StaleRead,
    Store,
    children_prefix,
    dynamodb,
    entity_sk,
    from_item,
    tombstone_sk,
)


def _project(entity_id: str, **fields: object) -> dict[str, object]:
    return {"id": entity_id, "title": f"P {entity_id}", "isArchived": False, **fields}


def _raw(store: Store, sk: str) -> dict[str, object] | None:
    item = (
        dynamodb()
        .get_item(
            TableName=store._table,
            Key={"pk": {"S": store.pk}, "sk": {"S": sk}},
            ConsistentRead=True,
        )
        .get("Item")
    )
    return from_item(item) if item else None


@pytest.mark.usefixtures("table")
def test_each_write_takes_the_next_sequence_numbers() -> None:
    store = Store("u-seq")
    first = store.commit([Put("project", _project("a")), Put("project", _project("b"))])
    assert first.seqs == {("project", "a"): 1, ("project", "b"): 2}
    second = store.commit([Put("project", _project("a", title="A2"), expect_seq=1)])
    assert second.seq_of("project", "a") == 3
    assert _raw(store, "COUNTER") is not None and _raw(store, "COUNTER")["counter"] == 3  # type: ignore[index]
    record = store.get("project", "a")
    assert record is not None and record["seq"] == 3 and record["title"] == "A2"
    assert record["lastUpdated"] == second.timestamp


@pytest.mark.usefixtures("table")
def test_stale_writes_are_refused() -> None:
    store = Store("u-stale")
    store.commit([Put("project", _project("a"))])
    store.commit([Put("project", _project("a", title="new"), expect_seq=1)])
    with pytest.raises(StaleRead):
        store.commit([Put("project", _project("a", title="stale"), expect_seq=1)])
    with pytest.raises(Conflict):
        store.commit([Put("project", _project("a"), on_conflict=Conflict("exists"))])
    assert store.get("project", "a")["title"] == "new"  # type: ignore[index]
    with pytest.raises(StaleRead):  # deleted as read at seq 1: 2 is stored
        store.commit([Delete("project", "a", expect_seq=1)])
    with pytest.raises(Conflict):
        store.commit([Delete("project", "a", expect_seq=1, on_conflict=Conflict("changed"))])
    assert store.get("project", "a")["title"] == "new"  # type: ignore[index]


@pytest.mark.usefixtures("table")
def test_a_profile_is_created_at_version_1_and_each_write_must_have_read_the_last() -> None:
    """The profile's `version` is its ETag: a create makes version 1 (once), each write the
    next, and a write planned on another version fails with its `on_conflict` (else a
    StaleRead)."""
    store = Store("u-profile")
    exists, changed = Conflict("exists"), Conflict("changed")
    store.commit([PutProfile({"displayName": "A"}, expect_version=None)])
    profile = store.get_profile()
    assert profile is not None
    assert (profile["kind"], profile["displayName"], profile["version"]) == ("profile", "A", 1)
    with pytest.raises(Conflict) as refused:
        store.commit([PutProfile({"displayName": "again"}, None, on_conflict=exists)])
    assert refused.value is exists
    store.commit([PutProfile({"displayName": "B"}, expect_version=1)])
    assert store.get_profile()["version"] == 2  # type: ignore[index]
    with pytest.raises(StaleRead):
        store.commit([PutProfile({"displayName": "stale"}, expect_version=1)])
    with pytest.raises(Conflict) as refused:
        store.commit([PutProfile({"displayName": "stale"}, 1, on_conflict=changed)])
    assert refused.value is changed
    store.commit([PutProfile({"displayName": "C"}, expect_version=2)])
    assert (store.get_profile() or {}).items() >= {"displayName": "C", "version": 3}.items()


@pytest.mark.usefixtures("table")
def test_delete_leaves_an_expiring_tombstone_and_recreate_removes_it() -> None:
    store = Store("u-tomb")
    store.commit([Put("project", _project("a"))])
    deleted = store.commit([Delete("project", "a", expect_seq=1)])
    assert store.get("project", "a") is None
    tombstone = _raw(store, tombstone_sk("project", "a"))
    assert tombstone is not None
    assert tombstone["seq"] == deleted.seq_of("project", "a") == 2
    days = (int(tombstone["expiresAt"]) - time.time()) / 86400  # type: ignore[call-overload]
    assert 30 < days <= 31.01
    store.commit([Put("project", _project("a"))])
    assert _raw(store, tombstone_sk("project", "a")) is None


@pytest.mark.usefixtures("table")
def test_big_changes_commit_in_chunks_with_distinct_sequence_numbers() -> None:
    store = Store("u-big")
    # The byParent key follows from the task's projectId (stint.kinds).
    tasks = [Put("task", {"id": f"t{i}", "projectId": "p"}) for i in range(130)]
    committed = store.commit(tasks)
    assert sorted(committed.seqs.values()) == list(range(1, 131))
    records = list(
        store.query_all(prefix=children_prefix("project", "p", "task"), index="byParent")
    )
    assert len(records) == 130
    deletes = [Delete("task", r["id"], int(r["seq"])) for r in records]
    done = store.commit(deletes)
    assert sorted(done.seqs.values()) == list(range(131, 261))
    assert not store.has_any("task")


@pytest.mark.usefixtures("table")
def test_pages_are_filled_across_dynamodb_pages_and_never_repeat() -> None:
    store = Store("u-page")
    store.commit([Put("project", _project(f"p{i:02d}", isArchived=i % 3 == 0)) for i in range(20)])
    seen: list[str] = []
    token = None
    while True:
        page, token = store.query_page(
            prefix=entity_sk("project", ""),
            limit=4,
            next_token=token,
            keep=lambda r: not r["isArchived"],
        )
        assert len(page) <= 4
        seen.extend(r["id"] for r in page)
        if not token:
            break
    assert seen == [f"p{i:02d}" for i in range(20) if i % 3]


@pytest.mark.usefixtures("table")
def test_a_page_token_only_reaches_the_callers_partition() -> None:
    alice, bob = Store("alice"), Store("bob")
    alice.commit([Put("project", _project(f"a{i}")) for i in range(3)])
    bob.commit([Put("project", _project(f"b{i}")) for i in range(3)])
    _, token = alice.query_page(prefix=entity_sk("project", ""), limit=1, next_token=None)
    page, _ = bob.query_page(prefix=entity_sk("project", ""), limit=10, next_token=token)
    assert all(r["id"].startswith("b") for r in page)

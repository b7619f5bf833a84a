"""The store's bookkeeping changes (stint.store.changes): a count capped at its limit (`Tally`),
the marks sync reads when who sees a subtree changed (`Mark`, on `bySeq` with a seq of their
own), a guard read back as its change leaves it, and the hooks every commit runs once each."""

from __future__ import annotations

import pytest

from stint.errors import Conflict
from stint.store import Guard, Mark, Put, Store, Tally, UnitOfWork
from stint.store import unit as store_unit

from .test_store_keys import _raw_put

USER = "keeper"
FULL = Conflict("full")


@pytest.mark.usefixtures("table")
def test_a_count_stays_within_its_limit() -> None:
    store = Store(USER)
    store.commit([Tally("TAGS", 2, limit=3)])
    with pytest.raises(Conflict) as refused:
        store.commit([Tally("TAGS", 2, limit=3, on_conflict=FULL)])
    assert refused.value is FULL
    store.commit([Tally("TAGS", 1, limit=3)])  # exactly at the limit
    store.commit([Tally("TAGS", -2)])
    assert store.read("TAGS")["count"] == 1  # type: ignore[index]
    assert "seq" not in store.read("TAGS")  # type: ignore[operator]
    assert store.change_sequence() == 0  # a count is no change to sync


@pytest.mark.usefixtures("table")
def test_a_mark_takes_the_next_seq_for_anyone_or_for_one_user() -> None:
    store = Store(USER)
    store.commit([Put("project", {"id": "p", "title": "P"})])
    committed = store.commit([Mark("project", "p"), Mark("project", "p", user_id="u2")])
    records, _ = store.changes(1, 3, 10)
    assert [(r["sk"], r["seq"]) for r in records] == [
        ("AUDIENCE#PROJECT#p", 2),
        ("AUDIENCE#PROJECT#p#USER#u2", 3),
    ]
    assert records[0]["kind"] == "audience" and (records[0]["type"], records[0]["id"]) == (
        "project",
        "p",
    )
    assert "userId" not in records[0] and records[1]["userId"] == "u2"
    assert sorted(committed.seqs.values()) == [2, 3]


@pytest.mark.usefixtures("table")
def test_a_guard_reads_as_its_change_leaves_it() -> None:
    _raw_put(f"USER#{USER}", "RUNNING", kind="guard", ref="s1")
    unit = UnitOfWork(USER)
    assert unit.get_guard("RUNNING") == "s1"
    unit.add(Guard("RUNNING", ref=None, expect="s1"))
    assert unit.get_guard("RUNNING") is None and unit.read("RUNNING") is None
    unit.add(Guard("RUNNING", ref="s2", expect=None))
    assert unit.get_guard("RUNNING") == "s2"
    unit.commit()
    assert Store(USER).get_guard("RUNNING") == "s2"


@pytest.mark.usefixtures("table")
def test_a_hook_runs_once_at_each_commit_however_often_it_was_registered(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(store_unit, "_BEFORE_COMMIT", [])
    seen: list[int] = []

    def hook(unit: UnitOfWork) -> None:
        seen.append(len(unit.planned))
        unit.add(Tally("TAGS", 1))  # a hook may add changes of its own

    store_unit.on_commit(hook)
    store_unit.on_commit(hook)
    UnitOfWork(USER).commit([Put("project", {"id": "p", "title": "P"})])
    assert seen == [1] and Store(USER).read("TAGS")["count"] == 1  # type: ignore[index]


@pytest.mark.usefixtures("table")
def test_a_guard_is_taken_or_cleared_only_as_it_was_read() -> None:
    store = Store(USER)
    store.commit([Guard("RUNNING", ref="s1", expect=None)])
    with pytest.raises(Conflict):  # taken already: it was read as absent
        store.commit([Guard("RUNNING", ref="s2", expect=None, on_conflict=FULL)])
    with pytest.raises(Conflict):  # another session holds it
        store.commit([Guard("RUNNING", ref="s3", expect="s0", on_conflict=FULL)])
    with pytest.raises(Conflict):
        store.commit([Guard("RUNNING", ref=None, expect="s0", on_conflict=FULL)])
    store.commit([Guard("RUNNING", ref="s3", expect="s1")])
    assert store.get_guard("RUNNING") == "s3"
    store.commit([Guard("RUNNING", ref=None, expect="s3")])
    assert store.get_guard("RUNNING") is None
    with pytest.raises(Conflict):  # cleared already
        store.commit([Guard("RUNNING", ref=None, expect="s3", on_conflict=FULL)])


@pytest.mark.usefixtures("table")
def test_a_count_already_stored_is_counted_on() -> None:
    _raw_put(f"USER#{USER}", "TAGS", count=5)  # the layout's count item
    with pytest.raises(Conflict):
        Store(USER).commit([Tally("TAGS", 1, limit=5, on_conflict=FULL)])
    Store(USER).commit([Tally("TAGS", 1)])
    assert Store(USER).read("TAGS")["count"] == 6  # type: ignore[index]

"""A user's change sequence under racing writes (docs/DESIGN.md, "Sync"): every commit holds
the condition that the counter is still what it was read at (or, for the first write, that
there is none), so two writes never take the same seq and the counter ends at the last one.
A sync that read the counter between them would otherwise miss one of them for good.

The race is made exact: a unit of work reads the counter ahead with its first read, another
write of the same user commits, then the unit commits."""

from __future__ import annotations

import pytest

from stint.store import COUNTER_SK, Guard, Put, StaleRead, Store, UnitOfWork, from_item
from stint.store import dynamodb as client


def _project(entity_id: str) -> Put:
    return Put("project", {"id": entity_id, "title": entity_id.upper()})


def _stored_seqs(store: Store) -> dict[str, int]:
    return {r["id"]: int(r["seq"]) for r in store.all_entities("project")}


def _counter(store: Store) -> int:
    item = client().get_item(
        TableName=store._table, Key={"pk": {"S": store.pk}, "sk": {"S": COUNTER_SK}}
    )["Item"]
    return int(from_item(item)["counter"])


@pytest.mark.usefixtures("table")
@pytest.mark.parametrize("written_before", [0, 2])
def test_a_write_racing_a_units_counter_read_takes_the_next_seq(written_before: int) -> None:
    user = "racer"
    other = Store(user)
    if written_before:
        other.commit([_project(f"old{i}") for i in range(written_before)])
    unit = UnitOfWork(user)
    assert unit.get("project", "mine") is None  # reads the counter ahead, with the item
    other.commit([_project("theirs")])  # the counter moves after the unit read it
    committed = unit.commit([_project("mine")])
    seqs = _stored_seqs(Store(user))
    assert seqs["theirs"] == written_before + 1
    assert seqs["mine"] == committed.seq_of("project", "mine") == written_before + 2
    assert _counter(other) == written_before + 2
    assert sorted(seqs.values()) == list(range(1, written_before + 3))


@pytest.mark.usefixtures("table")
def test_commit_unless_changed_refuses_after_any_write_of_the_user() -> None:
    user = "careful"
    Store(user).commit([_project("a")])
    unit = UnitOfWork(user)
    unit.get("project", "a")
    Store(user).commit([_project("b")])
    unit.add(_project("c"))
    with pytest.raises(StaleRead):
        unit.commit_unless_changed()
    assert "c" not in _stored_seqs(Store(user))
    again = UnitOfWork(user)
    again.get("project", "a")
    again.add(_project("c"))
    assert again.commit_unless_changed().seq_of("project", "c") == 3
    assert _counter(Store(user)) == 3


@pytest.mark.usefixtures("table")
def test_a_counter_left_at_zero_is_the_value_the_next_write_is_conditioned_on() -> None:
    """`commit_unless_changed` moves the counter even when it writes no entity (a guard): in a
    partition without one, the counter item is then made at 0. The next write holds the
    condition that it is still 0, not that there is none."""
    user = "zeroed"
    unit = UnitOfWork(user)
    assert unit.get("project", "a") is None  # the counter read ahead: none yet
    unit.add(Guard("RUNNING", ref="s1", expect=None))
    unit.commit_unless_changed()
    assert _counter(Store(user)) == 0
    again = UnitOfWork(user)
    assert again.get("project", "a") is None  # the counter read ahead: 0
    again.add(_project("a"))
    assert again.commit_unless_changed().seq_of("project", "a") == 1
    assert Store(user).commit([_project("b")]).seq_of("project", "b") == 2
    assert _counter(Store(user)) == 2

"""The unit of work (stint.store.unit; docs/DESIGN.md, "Performance"): its first read brings the
counter along and `prefetch` reads several items in one round trip; a read of an item a pending
change writes answers what it will be; the commit writes one change per item, with the changes
of another workspace's unit in the same transaction."""

from __future__ import annotations

import pytest

from stint.errors import NotFound
from stint.store import PENDING_SEQ, Delete, Guard, Put, Store, UnitOfWork
from tests.recorders import calls

USER = "worker"


def _project(entity_id: str, title: str = "T") -> Put:
    return Put("project", {"id": entity_id, "title": title})


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

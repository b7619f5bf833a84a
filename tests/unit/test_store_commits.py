"""Commits of more than a transaction holds (stint.store.commits): runs in order, each under
DynamoDB's 100 actions with the counter, the conditions of the whole write (`Holds`) in every
run; and what an idempotent request's deferral may hold (one transaction) or must send."""

from __future__ import annotations

import pytest

from stint.errors import Conflict
from stint.store import Holds, Put, Require, Store, deferring, fits_one_transaction
from stint.store.commits import chunks, size_of
from tests.recorders import calls

from .test_store_keys import _raw_put

USER = "committer"
OPEN = Conflict("locked")


def _tasks(count: int) -> list[Put]:
    return [Put("task", {"id": f"t{n:03d}", "projectId": "p"}) for n in range(count)]


def _lock(expected: str) -> Holds:
    return Holds("LOCK#x", "#s = :s", {"#s": "state"}, {":s": expected}, on_conflict=OPEN)


def test_runs_keep_the_order_and_lead_with_the_conditions_of_the_whole_write() -> None:
    holds = _lock("open")
    changes = [*_tasks(60), holds, *[Put("task", {"id": f"u{n}"}, expect_seq=1) for n in range(60)]]
    runs = chunks(changes)
    assert [run[0] for run in runs] == [holds] * len(runs)
    assert [c for run in runs for c in run[1:]] == [c for c in changes if c is not holds]
    assert all(size_of(run) <= 100 for run in runs)
    assert [sum(c.size for c in run) for run in runs] == [99, 83]
    updates = [Put("task", {"id": f"v{n}"}, expect_seq=1) for n in range(120)]
    assert [size_of(run) for run in chunks([holds, *updates])] == [100, 24]
    assert chunks([holds]) == [[holds]] and chunks([]) == []
    assert fits_one_transaction([*_tasks(49), Require("project", "p")])
    assert not fits_one_transaction(_tasks(50))
    # In a shared workspace, the member whose sessions they are has a stream counter to move.
    start = "2026-01-01T00:00:00Z"
    sessions = [
        Put("session", {"id": f"s{n}", "userId": "m", "startTimestamp": start}, expect_seq=1)
        for n in range(99)
    ]
    assert fits_one_transaction(sessions[:98], shared=True)
    assert not fits_one_transaction(sessions, shared=True)
    assert fits_one_transaction(sessions)  # a personal workspace has no streams
    assert size_of(_tasks(2)) == 5 and size_of([Require("project", "p")]) == 1


@pytest.mark.usefixtures("table")
def test_a_condition_of_the_whole_write_holds_in_every_run() -> None:
    _raw_put(f"USER#{USER}", "LOCK#x", state="open")
    with calls() as counted:
        committed = Store(USER).commit([*_tasks(120), _lock("open")])
    assert counted["TransactWriteItems"] == 3 and len(committed.seqs) == 120
    with pytest.raises(Conflict):
        Store(USER).commit([Put("task", {"id": "late", "projectId": "p"}), _lock("closed")])
    assert Store(USER).get("task", "late") is None


@pytest.mark.usefixtures("table")
def test_a_deferral_holds_one_transaction_and_sends_a_bigger_write_at_once() -> None:
    with deferring() as deferral:
        Store(USER).commit(_tasks(2))
    assert deferral.held is not None and Store(USER).get("task", "t000") is None
    with deferring() as deferral:
        Store(USER).commit(_tasks(60))
    assert deferral.held is None and deferral.sent_alone
    Store(USER).commit([Put("project", {"id": "p"})])
    with deferring() as deferral:  # 100 actions with the counter: none left for the record
        tasks = [Put("task", {"id": f"big{n}", "projectId": "p"}) for n in range(49)]
        Store(USER).commit([*tasks, Require("project", "p")])
    assert deferral.held is None and deferral.sent_alone
    assert Store(USER).get("task", "t059") is not None
    with deferring() as deferral:
        Store(USER).commit([Put("task", {"id": "now", "projectId": "p"})], send_now=True)
    assert deferral.held is None and Store(USER).get("task", "now") is not None


@pytest.mark.usefixtures("table")
def test_changes_committed_along_others_must_fit_one_transaction() -> None:
    other = Store(USER, "w1")
    with pytest.raises(ValueError):
        Store(USER).commit(_tasks(60), along=[(other, _tasks(1))])
    with pytest.raises(ValueError):
        Store(USER).commit(_tasks(30), along=[(other, _tasks(25))])  # 62 + 52 actions
    committed = Store(USER).commit([], along=[(other, _tasks(2))])
    assert committed.seqs == {("task", "t000"): 1, ("task", "t001"): 2}
    assert Store(USER, "w1").get("task", "t001") is not None

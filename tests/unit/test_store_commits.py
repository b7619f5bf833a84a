"""Commits of more than a transaction holds (stint.store.commits): runs in order, each under
DynamoDB's 100 actions with the counter, the conditions of the whole write (`Holds`) in every
run; and what an idempotent request's deferral may hold (one transaction) or must send."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from stint.errors import Conflict
from stint.store import (
    Change,
    Guard,
    Holds,
    Mark,
    Put,
    Require,
    Store,
    deferring,
    fits_one_transaction,
)
from stint.store.commits import chunks, size_of
from tests.recorders import calls

from .test_store_keys import _raw_put

USER = "committer"
OPEN = Conflict("locked")


def _tasks(count: int, prefix: str = "t") -> list[Put]:
    return [Put("task", {"id": f"{prefix}{n:03d}", "projectId": "p"}) for n in range(count)]


def _lock(expected: str) -> Holds:
    return Holds("LOCK#x", "#s = :s", {"#s": "state"}, {":s": expected}, on_conflict=OPEN)


def _sessions(member: str, count: int, first: int = 0, *, new: bool = False) -> list[Put]:
    """Changes of existing sessions (one action each; `new`: creations, two) on `member`'s
    stream."""
    start = "2026-01-01T00:00:00Z"
    return [
        Put(
            "session",
            {"id": f"{member}{n}", "userId": member, "startTimestamp": start},
            None if new else 1,
        )
        for n in range(first, first + count)
    ]


def _assert_runs_fit_and_are_full(changes: list[Change], runs: list[list[Change]]) -> None:
    """In order; each run fits one transaction with the counter and its members' stream
    counters; and none could have taken the change that opens the next."""
    assert [c for run in runs for c in run if not c.every_run] == [
        c for c in changes if not c.every_run
    ]
    assert all(fits_one_transaction(run, shared=True) for run in runs)
    for run, after in itertools.pairwise(runs):
        opening = next(c for c in after if not c.every_run)
        assert not fits_one_transaction([*run, opening], shared=True)


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


def test_a_shared_workspaces_runs_count_each_members_stream_counter_once() -> None:
    """A member's stream counter is one action per transaction however many of their sessions
    it writes, and none in a personal workspace (the default)."""
    one_member = _sessions("m", 99)
    assert [len(run) for run in chunks(one_member)] == [99] and size_of(one_member) == 100
    assert [len(run) for run in chunks(one_member, shared=True)] == [98, 1]
    assert size_of(one_member, shared=True) == 101
    cases = [
        one_member,
        [*_sessions("m", 97), *_sessions("n", 1)],  # the second member's counter does not fit
        [*_sessions("m", 1), *_tasks(1), *_sessions("m", 95, first=1)],  # 99 exactly
        [*_sessions("m", 40), *_sessions("n", 40), *_sessions("m", 17, first=40)],
        [_lock("open"), *_sessions("m", 60), *_tasks(30), *_sessions("n", 60)],
    ]
    expected = [[98, 1], [97, 1], [97], [97], [79, 73]]
    for changes, lengths in zip(cases, expected, strict=True):
        runs = chunks(changes, shared=True)
        _assert_runs_fit_and_are_full(changes, runs)
        assert [len(run) for run in runs] == lengths


@settings(max_examples=25, deadline=None)
@given(
    blocks=st.lists(
        st.tuples(st.sampled_from(["m", "n", "o", "task"]), st.integers(1, 70)), max_size=5
    )
)
def test_runs_of_a_shared_workspace_fit_one_transaction_and_are_full(
    blocks: list[tuple[str, int]],
) -> None:
    changes: list[Change] = [_lock("open")]
    for n, (what, count) in enumerate(blocks):
        if what == "task":
            changes += [Put("task", {"id": f"t{n}-{i}"}) for i in range(count)]
        else:
            changes += _sessions(what, count, first=100 * n)
    _assert_runs_fit_and_are_full(changes, chunks(changes, shared=True))


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
    # Two runs of its own are refused even when the first and the others' would fit together.
    with pytest.raises(ValueError):
        Store(USER).commit(_tasks(60), along=[(other, [Require("task", "t000")])])
    assert Store(USER).get("task", "t000") is None
    # 100 actions: the transaction is full, and commits.
    exact = Store(USER).commit(_tasks(48), along=[(other, [Put("task", {"id": "x"})])])
    assert len(exact.seqs) == 49 and Store(USER, "w1").get("task", "x") is not None
    # Each part's failed condition means what its change says.
    taken = Conflict("taken")
    with pytest.raises(Conflict) as raised:
        Store(USER).commit(
            [Put("task", {"id": "t001"}, on_conflict=taken)], along=[(other, _tasks(1, "y"))]
        )
    assert raised.value is taken


@pytest.mark.usefixtures("table")
def test_a_members_stream_counter_takes_an_action_of_a_shared_workspaces_transaction() -> None:
    """99 actions of a member's sessions and a mark, their stream counter and the counter are
    more than a transaction holds; 98 fill it, so a deferral cannot hold them with the key's
    record."""
    with calls() as counted:
        committed = Store(USER, "w1").commit([*_sessions("m", 49, new=True), Mark("project", "p")])
    assert counted["TransactWriteItems"] == 2 and len(committed.seqs) == 50
    with deferring() as deferral:
        Store(USER, "w1").commit(_sessions("n", 49, new=True))
    assert deferral.held is None and deferral.sent_alone
    assert Store(USER, "w1").get("session", "n48") is not None


@pytest.mark.usefixtures("table")
def test_a_write_of_no_entity_neither_reads_nor_moves_the_counter() -> None:
    Store(USER).commit([Put("project", {"id": "p"})])
    with calls() as counted:
        assert Store(USER).commit([]).seqs == {}
        Store(USER).commit([Require("project", "p"), Guard("RUNNING", ref="s1", expect=None)])
    assert counted == {"TransactWriteItems": 1}
    assert Store(USER).read_counter() == 1


@pytest.mark.usefixtures("table")
def test_a_users_own_items_stay_in_their_partition_when_written_in_a_shared_workspace() -> None:
    Store(USER, "w1").commit([Guard("RUNNING", ref="s1", expect=None)])
    assert Store(USER).get_guard("RUNNING") == "s1"
    assert Store(USER, "w1").get_guard("RUNNING") == "s1"

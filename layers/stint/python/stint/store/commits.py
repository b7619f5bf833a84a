"""A user's partition of a workspace (`Store`) and its counter-sequenced commit.

A commit reads the user's counter and writes its items together with `counter = new` under
the condition `counter = old`, so one user's writes commit in `seq` order with no gap (a lost
race is sent again with a fresh counter: `transactions.send`). More than one transaction holds
is committed in runs (`chunks`), in order.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from stint.store.changes import Change, Draft
from stint.store.keys import user_pk, workspace_pk
from stint.store.reads import Partition
from stint.store.transactions import (
    MAX_ACTIONS_PER_TRANSACTION,
    TRANSACTION_LIMIT,
    Transaction,
    transact,
)
from stint.timeutil import format_timestamp, utc_now


@dataclass
class Committed:
    """What a commit wrote: each changed entity's new seq and the timestamp it carries."""

    seqs: dict[tuple[str, str], int]
    timestamp: str

    def seq_of(self, kind: str, entity_id: str) -> int:
        return self.seqs[(kind, entity_id)]


def _streams(changes: Sequence[Change], shared: bool) -> set[str]:
    """The members whose session streams `changes` write (each moves their counter item:
    store.keys), in a shared workspace."""
    if not shared:
        return set()
    return {owner for change in changes if (owner := change.stream_owner) is not None}


def chunks(changes: list[Change], *, shared: bool = False) -> list[list[Change]]:
    """The changes in order, in runs that fit one transaction with the counter (and, in a
    shared workspace, its members' stream counters); the conditions of the whole write
    (`every_run`) lead each run."""
    every = [change for change in changes if change.every_run]
    budget = MAX_ACTIONS_PER_TRANSACTION - sum(change.size for change in every)
    runs: list[list[Change]] = []
    size = 0
    run_streams: set[str] = set()
    for change in changes:
        if change.every_run:
            continue
        streams = _streams([change], shared)
        if not runs or size + change.size + len(streams - run_streams) > budget:
            runs.append([*every])
            size = 0
            run_streams = set()
        runs[-1].append(change)
        size += change.size + len(streams - run_streams)
        run_streams |= streams
    return runs or ([every] if every else [])


def fits_one_transaction(changes: list[Change], *, shared: bool = False) -> bool:
    """Whether `changes` (with the counter) commit in one transaction."""
    size = sum(change.size for change in changes) + len(_streams(changes, shared))
    return size <= MAX_ACTIONS_PER_TRANSACTION


def size_of(changes: Sequence[Change], *, shared: bool = False) -> int:
    """The actions of `changes` and, if they take seqs, of their counter's move (and, in a
    shared workspace, of their members' stream counters)."""
    sequenced = any(change.sequenced for change in changes)
    return sum(change.size for change in changes) + sequenced + len(_streams(changes, shared))


class Store(Partition):
    """A workspace's partition as a user works in it: its reads, and commits of changes to it.
    Without `workspace`, the user's personal workspace (their own partition)."""

    def __init__(self, user_id: str, workspace: str | None = None):
        own = user_pk(user_id)
        personal = workspace in (None, user_id)
        pk = own if personal else workspace_pk(str(workspace), personal=False)
        super().__init__(pk, own)
        self.user_id = user_id
        self.workspace_id = user_id if personal else str(workspace)
        self.shared = not personal

    def commit(
        self,
        changes: list[Change],
        *,
        send_now: bool = False,
        along: Sequence[tuple[Store, list[Change]]] = (),
    ) -> Committed:
        """Commit changes atomically, each entity stamped with the next change sequence.

        More than 99 actions (a cascade) are committed in several transactions, in order, so
        put the parent's deletion last: an interruption then leaves the parent in place, and
        repeating the request finishes the job. Inside `deferring` (an idempotent POST) the
        write is held, not sent (`Deferral`); `send_now` sends it anyway, for a write that is
        exactly-once by its own conditions (a profile's creation) made before the request's own.
        `along`: changes of other workspaces' partitions (each stamped on its own sequence),
        committed in the same transaction (which must hold them all).
        """
        timestamp = format_timestamp(utc_now())
        runs = chunks(changes, shared=self.shared) or ([[]] if along else [])
        if along and len(runs) > 1:
            raise ValueError("changes committed along others' must fit one transaction")
        seqs: dict[tuple[str, str], int] = {}
        for run in runs:
            seqs.update(
                self._commit_run(
                    run, timestamp, holdable=len(runs) == 1, send_now=send_now, along=along
                )
            )
        return Committed(seqs, timestamp)

    def _commit_run(
        self,
        changes: list[Change],
        timestamp: str,
        *,
        holdable: bool,
        send_now: bool,
        along: Sequence[tuple[Store, list[Change]]] = (),
    ) -> dict[tuple[str, str], int]:
        # This partition's last: its seqs win where an id is in several (the answer's are its).
        parts = [*along, (self, changes)]

        def build() -> Transaction:
            transaction = Transaction()
            for store, part in parts:
                built = store._built(part, timestamp).transaction
                transaction.actions += built.actions
                transaction.on_failed += built.on_failed
                transaction.seqs.update(built.seqs)
            return transaction

        # Only writes of entities take part in a change sequence.
        size = sum(size_of(part, shared=store.shared) for store, part in parts)
        if along and size > TRANSACTION_LIMIT:
            raise ValueError(f"{size} actions: more than one transaction holds")
        transaction = transact(
            build, size=size if holdable else TRANSACTION_LIMIT, send_now=send_now
        )
        return transaction.seqs

    def _built(self, changes: list[Change], timestamp: str) -> Draft:
        """The draft of `changes`, stamped after the counter read now (if they take seqs)."""
        sequenced = any(change.sequenced for change in changes)
        counter = self.read_counter() if sequenced else -1
        return self._draft(changes, timestamp, counter, sequenced=sequenced)

    def _draft(
        self, changes: list[Change], timestamp: str, counter: int, *, sequenced: bool
    ) -> Draft:
        """The transaction of `changes`, its entities stamped after `counter` (-1: no counter
        item yet) and, when `sequenced`, the counter's move from it."""
        draft = Draft(self.pk, self._table, timestamp, max(counter, 0), user_pk=self.user_pk)
        for change in changes:
            change.actions(draft)
        if sequenced:
            draft.sequence_after(counter)
        return draft

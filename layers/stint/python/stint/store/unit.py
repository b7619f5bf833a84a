"""A user's partition (`Store`), and the unit of work of one attempt of a read-then-write
operation (`UnitOfWork`): its reads, made ahead where it can, and its counter-sequenced commit.

A commit reads the user's counter and writes its items together with `counter = new` under
the condition `counter = old`, so one user's writes commit in `seq` order with no gap (a lost
race is sent again with a fresh counter: `transactions.send`).
"""

from __future__ import annotations

from dataclasses import dataclass

from stint.store.changes import Change, Draft
from stint.store.keys import COUNTER_SK, entity_sk, user_pk
from stint.store.reads import Partition, Record, batch_get
from stint.store.transactions import (
    MAX_ACTIONS_PER_TRANSACTION,
    TRANSACTION_LIMIT,
    send_once,
    transact,
)
from stint.timeutil import format_timestamp, utc_now

# Over DynamoDB's 1,024-byte sort key, a key names nothing (and would fail a whole batch).
_MAX_SORT_KEY_BYTES = 1024


@dataclass
class Committed:
    """What a commit wrote: each changed entity's new seq and the timestamp it carries."""

    seqs: dict[tuple[str, str], int]
    timestamp: str

    def seq_of(self, kind: str, entity_id: str) -> int:
        return self.seqs[(kind, entity_id)]


def chunks(changes: list[Change]) -> list[list[Change]]:
    """The changes in order, in runs that fit one transaction with the counter."""
    runs: list[list[Change]] = []
    size = 0
    for change in changes:
        if not runs or size + change.size > MAX_ACTIONS_PER_TRANSACTION:
            runs.append([])
            size = 0
        runs[-1].append(change)
        size += change.size
    return runs


def fits_one_transaction(changes: list[Change]) -> bool:
    """Whether `changes` (with the counter) commit in one transaction."""
    return sum(change.size for change in changes) <= MAX_ACTIONS_PER_TRANSACTION


class Store(Partition):
    """The user's partition: its reads, and commits of changes to it."""

    def __init__(self, user_id: str):
        super().__init__(user_pk(user_id))
        self.user_id = user_id

    def commit(self, changes: list[Change], *, send_now: bool = False) -> Committed:
        """Commit changes atomically, each entity stamped with the next change sequence.

        More than 99 actions (a cascade) are committed in several transactions, in order, so
        put the parent's deletion last: an interruption then leaves the parent in place, and
        repeating the request finishes the job. Inside `deferring` (an idempotent POST) the
        write is held, not sent (`Deferral`); `send_now` sends it anyway, for a write that is
        exactly-once by its own conditions (a profile's creation) made before the request's own.
        """
        timestamp = format_timestamp(utc_now())
        runs = chunks(changes)
        seqs: dict[tuple[str, str], int] = {}
        for run in runs:
            seqs.update(
                self._commit_run(run, timestamp, holdable=len(runs) == 1, send_now=send_now)
            )
        return Committed(seqs, timestamp)

    def _commit_run(
        self, changes: list[Change], timestamp: str, *, holdable: bool, send_now: bool
    ) -> dict[tuple[str, str], int]:
        # Only writes of entities take part in the change sequence.
        sequenced = any(change.sequenced for change in changes)

        def build() -> Draft:
            counter = self.read_counter() if sequenced else -1
            return self._draft(changes, timestamp, counter, sequenced=sequenced)

        size = sum(change.size for change in changes) + sequenced
        transaction = transact(
            lambda: build().transaction,
            size=size if holdable else TRANSACTION_LIMIT,
            send_now=send_now,
        )
        return transaction.seqs

    def _draft(
        self, changes: list[Change], timestamp: str, counter: int, *, sequenced: bool
    ) -> Draft:
        """The transaction of `changes`, its entities stamped after `counter` (-1: no counter
        item yet) and, when `sequenced`, the counter's move from it."""
        draft = Draft(self.pk, self._table, timestamp, max(counter, 0))
        for change in changes:
            change.actions(draft)
        if sequenced:
            draft.sequence_after(counter)
        return draft


class UnitOfWork(Store):
    """One attempt of a read-then-write operation on the user's partition. A service makes one
    per attempt (inside `retrying`) and does its reads and its commit through it.

    Its first read of an entity or guard also reads the user's COUNTER, in the same
    BatchGetItem, and its commit uses that value instead of a GetItem of its own; `prefetch`
    reads several keys the operation will need in one BatchGetItem. One round trip fewer for
    every update and delete, more where the keys are known together (docs/DESIGN.md,
    "Performance"). A counter that is stale by the commit only fails the transaction's
    condition on it, and the commit then reads it again; an item is read ahead within the
    attempt that checks it, and an attempt re-runs from its reads when a condition on it fails,
    so nothing is decided on a value older than before. A plain `Store` reads nothing ahead
    (a read-only request reads no counter).
    """

    def __init__(self, user_id: str):
        super().__init__(user_id)
        self._ahead: dict[str, Record | None] = {}  # sk -> the item read ahead (None: none)
        self._counter: int | None = None  # read along and not used yet
        self._counter_read = False

    def prefetch(self, *sks: str) -> None:
        """Read these items (and the counter, unless read already) in one BatchGetItem; the
        attempt's `get`, `get_guard` and `get_profile` of them are answered from it."""
        wanted = [
            sk
            for sk in dict.fromkeys(sks)
            if sk not in self._ahead and len(sk.encode()) <= _MAX_SORT_KEY_BYTES
        ]
        counter_too = not self._counter_read
        found = batch_get((self.pk, sk) for sk in [*wanted, *[COUNTER_SK] * counter_too])
        self._ahead.update({sk: found.get((self.pk, sk)) for sk in wanted})
        if counter_too:
            counter = found.get((self.pk, COUNTER_SK))
            self._counter = int(counter["counter"]) if counter else -1
            self._counter_read = True

    def read(self, sk: str) -> Record | None:
        """The item as read ahead in this attempt, or read now."""
        return self._ahead[sk] if sk in self._ahead else super().read(sk)

    def get(self, kind: str, entity_id: str) -> Record | None:
        return self._read_with_counter(entity_sk(kind, entity_id))

    def get_guard(self, sk: str) -> str | None:
        record = self._read_with_counter(sk)
        return str(record["ref"]) if record else None

    def _read_with_counter(self, sk: str) -> Record | None:
        """`read`, bringing the counter along when the commit will need it."""
        if sk not in self._ahead and not self._counter_read:
            self.prefetch(sk)
        return self.read(sk)

    def read_counter(self) -> int:
        if self._counter is not None:
            counter, self._counter = self._counter, None  # used once: a retry reads afresh
            return counter
        return super().read_counter()

    def commit(self, changes: list[Change], *, send_now: bool = False) -> Committed:
        committed = super().commit(changes, send_now=send_now)
        self._forget(changes)
        return committed

    def commit_unless_changed(self, changes: list[Change]) -> Committed:
        """Commit `changes` (one transaction) only if no write of the user committed since
        this unit of work first read the counter (with its first read): for an operation whose
        reads are a query no condition on an item can cover (the sessions that carry a tag).
        Otherwise StaleRead: the operation runs again from its reads. Never held for an
        Idempotency-Key."""
        if self._counter is None:
            raise ValueError("commit_unless_changed needs the counter read ahead")
        if not fits_one_transaction(changes):
            raise ValueError(f"at most {MAX_ACTIONS_PER_TRANSACTION} actions")
        counter, self._counter = self._counter, None
        draft = self._draft(changes, format_timestamp(utc_now()), counter, sequenced=True)
        send_once(draft.transaction)  # the counter moved: StaleRead
        self._forget(changes)
        return Committed(draft.transaction.seqs, draft.timestamp)

    def _forget(self, changes: list[Change]) -> None:
        """What a commit wrote is read again if asked for."""
        for change in changes:
            if change.written_sk is not None:
                self._ahead.pop(change.written_sk, None)

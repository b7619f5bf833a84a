"""The unit of work of one attempt of a read-then-write operation (`UnitOfWork`): its reads,
made ahead where it can, the changes it collects (read back as they will be), and their commit
(`commits`: counter-sequenced), with the hooks every commit runs (`on_commit`) and the gate a
write of a session passes (`SessionGate`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import Any, Protocol

from stint.errors import StintError
from stint.store.changes import Change, Delete, Put, Require
from stint.store.commits import Committed, Store, fits_one_transaction, size_of
from stint.store.keys import COUNTER_SK, entity_sk, kind_prefix
from stint.store.merging import merged
from stint.store.reads import Record, batch_get
from stint.store.transactions import (
    MAX_ACTIONS_PER_TRANSACTION,
    TRANSACTION_LIMIT,
    send_once,
)
from stint.timeutil import format_timestamp, utc_now

_SESSION_PREFIX = kind_prefix("session")
# Over DynamoDB's 1,024-byte sort key, a key names nothing (and would fail a whole batch).
_MAX_SORT_KEY_BYTES = 1024


class SessionGate(Protocol):
    """What a unit of work asks before it writes a session (`stint.services.locks`): whether
    the write may change the session as it was (`before`) into what it will be (`after`;
    None: none, a create or a delete) (raises if not), and the conditions its commit holds so
    that what was allowed is still allowed when it commits."""

    keys: tuple[str, ...]  # read ahead with the unit's first reads

    def admit(self, unit: UnitOfWork, before: Record | None, after: Record | None) -> None: ...

    def conditions(self) -> list[Change]: ...


# What runs when a unit of work commits, before its changes are merged: a service's rule that
# adds changes of its own to every write that needs them (`on_commit`).
_BEFORE_COMMIT: list[Callable[[UnitOfWork], None]] = []


def on_commit(hook: Callable[[UnitOfWork], None]) -> None:
    """Run `hook(unit)` as every unit of work commits, before its changes are merged: it may
    read through the unit and add changes (the budgets' usage: docs/DESIGN.md, "Budgets")."""
    if hook not in _BEFORE_COMMIT:
        _BEFORE_COMMIT.append(hook)


class UnitOfWork(Store):
    """One attempt of a read-then-write operation on the user's partition: a service makes one
    per attempt (inside `retrying`), reads through it, adds its changes and commits them.

    Reads ahead: its first read of an entity or guard also reads the user's COUNTER, in the
    same BatchGetItem, and its commit uses that value instead of a GetItem of its own;
    `prefetch` reads several keys the operation will need in one BatchGetItem. One round trip
    fewer for every update and delete, more where the keys are known together (docs/DESIGN.md,
    "Performance"). A counter that is stale by the commit only fails the transaction's
    condition on it, and the commit then reads it again; an item is read ahead within the
    attempt that checks it, and an attempt re-runs from its reads when a condition on it fails,
    so nothing is decided on a value older than before. A plain `Store` reads nothing ahead
    (a read-only request reads no counter).

    Collects: `add` and `require` gather the changes the commit writes, and a read of an item
    a pending change writes answers what it will be (an entity at `PENDING_SEQ`, a guard's new
    `ref`, nothing once deleted), so several writes (an atomic batch's operations) plan one
    after the other as if each had committed. The commit writes one change per item
    (`merged`): the first change's condition, the last one's value.
    """

    def __init__(self, user_id: str, workspace: str | None = None):
        super().__init__(user_id, workspace)
        self._ahead: dict[str, Record | None] = {}  # sk -> the item read ahead (None: none)
        self._counter: int | None = None  # read along and not used yet
        self._counter_read = False
        # A project of the workspace was ever made private (the counter item's `privateSeen`;
        # until the counter is read: assume so).
        self.ever_private = True
        self.planned: list[Change] = []
        self._pending: dict[str, Record | None] = {}  # sk -> as the changes leave it
        self._seen: dict[str, Record] = {}  # sk -> an item as read from the table
        # Commit as `commit_unless_changed` does (a hook's reads were a query: budgets' moved
        # task's sessions).
        self.only_unchanged = False
        self._along: list[UnitOfWork] = []  # other workspaces' units committed with this one
        self.gate: SessionGate | None = None  # asked before each write of a session
        self._sessions_read: dict[str, Record] = {}  # sk -> a session as read (for the gate)

    # ------------------------------------------------------------------- reads

    def prefetch(self, *sks: str) -> None:
        """Read these items (and the counter, unless read already) in one BatchGetItem; the
        attempt's `get`, `get_guard` and `get_profile` of them are answered from it."""
        gate_keys = () if self._counter_read or self.gate is None else self.gate.keys
        wanted = [
            sk
            for sk in dict.fromkeys([*sks, *gate_keys])
            if sk not in self._ahead and len(sk.encode()) <= _MAX_SORT_KEY_BYTES
        ]
        counter_too = not self._counter_read
        found = batch_get((self.pk_of(sk), sk) for sk in [*wanted, *[COUNTER_SK] * counter_too])
        self._ahead.update({sk: found.get((self.pk_of(sk), sk)) for sk in wanted})
        self._seen.update({record["sk"]: record for record in found.values()})
        if counter_too:
            counter = found.get((self.pk, COUNTER_SK))
            self._counter = int(counter["counter"]) if counter else -1
            self._counter_read = True
            self.ever_private = bool(counter and counter.get("privateSeen"))

    def known(self, *records: Record) -> None:
        """Items of this unit's partitions the request has read already (consistently, in
        this attempt's turn: the first attempt's), answered as if read ahead. A change planned
        on one is conditioned on it as read, so one changed since fails the commit and the
        attempt runs again, reading afresh."""
        for record in records:
            sk = str(record["sk"])
            if record["pk"] == self.pk_of(sk) and sk not in self._ahead:
                self._ahead[sk] = record
                self._seen[sk] = record

    def read(self, sk: str) -> Record | None:
        """The item as this unit's changes leave it, as read ahead, or read now."""
        if sk in self._pending:
            return self._pending[sk]
        record = self._ahead[sk] if sk in self._ahead else self._read_now(sk)
        if record is not None and sk.startswith(_SESSION_PREFIX):
            self._sessions_read[sk] = record
        return record

    def _read_now(self, sk: str) -> Record | None:
        record = super().read(sk)
        if record is not None:
            self._seen[sk] = record
        return record

    def query_page(self, **query: Any) -> tuple[list[Record], str | None]:
        """A page of records (`Partition.query_page`), each kept as this unit read it: a change
        planned on one (a re-rated session, at the seq the page read) is not read again."""
        records, token = super().query_page(**query)
        for record in records:
            self._seen.setdefault(str(record["sk"]), record)
        return records, token

    def original(self, sk: str) -> Record | None:
        """The item as this unit read it from the table (read now if it has not): what a
        change's condition on it was planned on."""
        if sk in self._seen:
            return self._seen[sk]
        if sk not in self._ahead:
            self._ahead[sk] = self._read_now(sk)
        return self._ahead[sk]

    def get(self, kind: str, entity_id: str) -> Record | None:
        return self._read_with_counter(entity_sk(kind, entity_id))

    def get_guard(self, sk: str) -> str | None:
        record = self._read_with_counter(sk)
        return str(record["ref"]) if record else None

    def _read_with_counter(self, sk: str) -> Record | None:
        """`read`, bringing the counter along when the commit will need it."""
        if sk not in self._pending and sk not in self._ahead and not self._counter_read:
            self.prefetch(sk)
        return self.read(sk)

    def query_all(self, **kwargs: Any) -> Iterator[Record]:
        """`Partition.query_all`, as this unit's changes leave the items found."""
        for record in super().query_all(**kwargs):
            sk = record["sk"]
            if sk.startswith(_SESSION_PREFIX):
                self._sessions_read.setdefault(sk, record)
            self._seen.setdefault(sk, record)
            if sk not in self._pending:
                yield record
            elif (pending := self._pending[sk]) is not None:
                yield {**record, **pending}

    def read_counter(self) -> int:
        if self._counter is not None:
            counter, self._counter = self._counter, None  # used once: a retry reads afresh
            return counter
        return super().read_counter()

    # ------------------------------------------------------------------- changes

    def add(self, *changes: Change) -> None:
        """Changes to commit; later reads of their items see them."""
        for change in changes:
            if isinstance(change, Put):  # fixed at creation: this workspace's
                change.entity.setdefault("workspaceId", self.workspace_id)
            self._admit(change)
            self.planned.append(change)
            if change.changes_reads:
                self._pending[change.item_sk] = change.pending()

    def _admit(self, change: Change) -> None:
        """Ask the gate whether a write of a session may be made: the session as this unit
        read it (or as its earlier changes leave it), and as the change leaves it."""
        if self.gate is None or not isinstance(change, Put | Delete) or change.kind != "session":
            return
        sk = change.item_sk
        before = None
        if isinstance(change, Delete) or change.expect_seq is not None:
            if sk in self._pending:
                before = self._pending[sk]
            else:
                before = self._sessions_read.get(sk) or self.read(sk)
        after = change.pending() if isinstance(change, Put) else None
        self.gate.admit(self, before, after)

    def _writes(self, *more: Change) -> list[Change]:
        """The changes to commit (and `more`), one per item, with the conditions the gate
        holds them to."""
        conditions = self.gate.conditions() if self.gate else []
        return merged([*self.planned, *more, *conditions])

    def require(self, kind: str, entity_id: str, on_conflict: StintError | None = None) -> None:
        """Commit only if the entity still exists (an entity this unit writes is checked by its
        own write)."""
        sk = entity_sk(kind, entity_id)
        if not any(change.item_sk == sk for change in self.planned):
            self.add(Require(kind, entity_id, on_conflict=on_conflict))

    def created(self, kind: str, *, since: int = 0) -> list[Record]:
        """The entities of `kind` the changes from `since` on create."""
        return [
            change.entity
            for change in self.planned[since:]
            if isinstance(change, Put) and change.kind == kind and change.expect_seq is None
        ]

    def fits_one_transaction(self, *more: Change) -> bool:
        """Whether the changes added (and `more`), and those of the units `commit_along`
        names, commit in one transaction."""
        writes = self._writes(*more)
        if not self._along:
            return fits_one_transaction(writes, shared=self.shared)
        along = sum(size_of(unit._writes(), shared=unit.shared) for unit in self._along)
        return size_of(writes, shared=self.shared) + along <= TRANSACTION_LIMIT

    # ------------------------------------------------------------------- commits

    def commit_along(self, unit: UnitOfWork) -> None:
        """Commit the changes `unit` (of another workspace of the user) collects in this unit's
        transaction: one write of the request, all or nothing (an idempotent request's write
        is held with its key's record only when it is the request's one write)."""
        if unit.pk == self.pk:
            raise ValueError("a unit of the same partition: add its changes to this one")
        self._along.append(unit)

    def commit(
        self,
        changes: list[Change] | None = None,
        *,
        send_now: bool = False,
        along: Sequence[tuple[Store, list[Change]]] = (),
    ) -> Committed:
        """Commit the changes added (and `changes`), one per item, with those of the units
        `commit_along` names."""
        self.add(*changes or ())
        for unit in [self, *self._along]:
            unit._before_commit()
        if self.only_unchanged and self._counter is not None and self.fits_one_transaction():
            return self._commit_unchanged()
        writes = self._writes()
        others = [(unit, unit._writes()) for unit in self._along]
        committed = super().commit(writes, send_now=send_now, along=[*along, *others])
        for unit, unit_writes in others:
            unit._committed(unit_writes)
        self._along = []
        self._committed(writes)
        return committed

    def commit_unless_changed(self) -> Committed:
        """Commit the changes added (one transaction) only if no write of the user committed
        since this unit of work first read the counter (with its first read): for an operation
        whose reads are a query no condition on an item can cover (the sessions that carry a
        tag). Otherwise StaleRead: the operation runs again from its reads. Never held for an
        Idempotency-Key."""
        self._before_commit()
        return self._commit_unchanged()

    def _commit_unchanged(self) -> Committed:
        writes = self._writes()
        if self._counter is None:
            raise ValueError("commit_unless_changed needs the counter read ahead")
        if self._along:
            raise ValueError("commit_unless_changed commits one partition's changes")
        if not fits_one_transaction(writes, shared=self.shared):
            raise ValueError(f"at most {MAX_ACTIONS_PER_TRANSACTION} actions")
        counter, self._counter = self._counter, None
        draft = self._draft(writes, format_timestamp(utc_now()), counter, sequenced=True)
        send_once(draft.transaction)  # the counter moved: StaleRead
        self._committed(writes)
        return Committed(draft.transaction.seqs, draft.timestamp)

    def _before_commit(self) -> None:
        for hook in _BEFORE_COMMIT:
            hook(self)

    def _committed(self, writes: list[Change]) -> None:
        """What a commit wrote is read again if asked for; the unit starts afresh."""
        for change in writes:
            if change.written_sk is not None:
                self._ahead.pop(change.written_sk, None)
                self._sessions_read.pop(change.written_sk, None)
                self._seen.pop(change.written_sk, None)
        self.planned, self._pending = [], {}

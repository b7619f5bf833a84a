"""Sessions in bulk (contract section 16): `POST /v1/sessions/batch`.

Each operation means what its single route means (`stint.services.sessions`), in order.

- `atomic: false`: each operation runs as its own request would, one after the other, and
  commits on its own; a refused one is a result with its status and error, and the others
  still run.
- `atomic: true`: every operation is planned against what the ones before it wrote (`_Pending`:
  the batch's own writes, read before the table's), and everything commits in one transaction
  or nothing does. A transaction may touch an item once, so the changes of several operations
  to one item are merged into one (`merged`): the first one's condition (what was read from
  the table), the last one's value. A refusal, while planning or by a condition at the commit,
  is the failing operation's own status and error body with `error.index`.
"""

from __future__ import annotations

import dataclasses
from typing import Any, cast

from stint.errors import StintError, invalid_field
from stint.models import MAX_ATOMIC_BATCH, BatchCreate, BatchDelete, BatchReplace, SessionBatch
from stint.services import sessions, tags
from stint.services.common import Caller, check_if_match, load
from stint.services.session_plan import Plan, SessionWrite
from stint.services.tasks import session_deletion
from stint.store import (
    Change,
    Committed,
    Delete,
    Guard,
    Put,
    Require,
    Tally,
    UnitOfWork,
    entity_sk,
    fits_one_transaction,
    index_keys,
    retrying,
    send_writes_now,
)

Operation = BatchCreate | BatchReplace | BatchDelete
# The seq of an entity an earlier operation of the batch wrote: its write's condition is that
# operation's (`merged`), and no ETag matches it.
_PENDING_SEQ = -1
# BatchGetItem reads 100 keys a call, the counter one of them.
_PREFETCH_KEYS = 99


class OperationFailed(StintError):
    """An atomic batch refused for its operation `index`: that operation's own error."""

    def __init__(self, error: StintError, index: int):
        super().__init__(
            error.message, code=error.code, details=error.details, retry_after=error.retry_after
        )
        self.status = error.status
        self.index = index

    def body(self, request_id: str | None = None) -> dict[str, Any]:
        body = super().body(request_id)
        body["error"]["index"] = self.index
        return body


def run(caller: Caller, batch: SessionBatch) -> list[dict[str, Any]]:
    """The results of the batch's operations, in order."""
    if not batch.atomic:
        send_writes_now()  # an Idempotency-Key's record follows the answer
        return [_one(caller, operation) for operation in batch.operations]
    if len(batch.operations) > MAX_ATOMIC_BATCH:
        raise invalid_field("operations", f"at most {MAX_ATOMIC_BATCH} when atomic")
    return _atomic(caller, batch.operations)


# ----------------------------------------------------------------------------- one by one


def _one(caller: Caller, operation: Operation) -> dict[str, Any]:
    try:
        if isinstance(operation, BatchDelete):
            sessions.delete_session(caller, operation.id, if_match=operation.ifMatch)
            return {"status": 204}
        if isinstance(operation, BatchReplace):
            write = sessions.write_session(
                caller, operation.body, path_id=operation.id, if_match=operation.ifMatch
            )
        else:
            write = sessions.write_session(caller, operation.body)
    except StintError as refused:
        error = refused.body()["error"]
        return {"status": refused.status, "error": error}
    return {"status": 201 if write.created else 200, **write.payload()}


# ----------------------------------------------------------------------------- all or none


class _Pending(UnitOfWork):
    """The caller's partition as an atomic batch's next operation sees it: what the operations
    before it wrote (not committed yet), else what the table holds."""

    def __init__(self, user_id: str):
        super().__init__(user_id)
        self.pending: dict[str, dict[str, Any] | None] = {}

    def note(self, changes: list[Change]) -> None:
        for change in changes:
            if isinstance(change, Put):
                sk = entity_sk(change.kind, change.entity["id"])
                keys = index_keys(change.kind, change.entity)
                record = {**change.entity, **keys, "kind": change.kind, "seq": _PENDING_SEQ}
                self.pending[sk] = record
            elif isinstance(change, Delete):
                self.pending[entity_sk(change.kind, change.entity_id)] = None
            elif isinstance(change, Guard):
                self.pending[change.sk] = None if change.ref is None else {"ref": change.ref}

    def get(self, kind: str, entity_id: str) -> dict[str, Any] | None:
        sk = entity_sk(kind, entity_id)
        return self.pending[sk] if sk in self.pending else super().get(kind, entity_id)

    def get_guard(self, sk: str) -> str | None:
        if sk in self.pending:
            record = self.pending[sk]
            return None if record is None else str(record["ref"])
        return super().get_guard(sk)

    def query_all(self, **kwargs: Any) -> Any:
        for record in super().query_all(**kwargs):
            sk = record["sk"]
            if sk not in self.pending:
                yield record
            elif self.pending[sk] is not None:
                yield {**record, **(self.pending[sk] or {})}


@dataclasses.dataclass
class _Planned:
    operation: Operation
    write: SessionWrite | None  # None: a delete


def _atomic(caller: Caller, operations: list[Operation]) -> list[dict[str, Any]]:
    for index, operation in enumerate(operations):
        if not isinstance(operation, BatchDelete):
            path_id = operation.id if isinstance(operation, BatchReplace) else None
            _refused_as(index, sessions.check_session_path, operation.body, path_id)

    def attempt() -> list[dict[str, Any]]:
        store = _Pending(caller.user_id)
        store.prefetch(*_keys(operations)[:_PREFETCH_KEYS])
        changes: list[Change] = []
        planned = []
        for index, operation in enumerate(operations):
            start = len(changes)
            planned.append(_refused_as(index, _plan, store, changes, caller, operation))
            changes[start:] = [_indexed(change, index) for change in changes[start:]]
            store.note(changes[start:])
        writes = merged(changes)
        writes += tags.count_change(writes)
        if not fits_one_transaction(writes):
            raise invalid_field(
                "operations", "too many writes for one transaction: fewer, or atomic: false"
            )
        committed = store.commit(writes)
        return [_result(item, committed) for item in planned]

    return retrying(attempt)


def _refused_as(index: int, function: Any, *args: Any) -> Any:
    try:
        return function(*args)
    except OperationFailed:
        raise
    except StintError as refused:
        raise OperationFailed(refused, index) from refused


def _keys(operations: list[Operation]) -> list[str]:
    """What the operations name directly, read ahead together."""
    keys: list[str] = []
    for operation in operations:
        if isinstance(operation, BatchDelete):
            keys.append(entity_sk("session", operation.id))
        else:
            path_id = operation.id if isinstance(operation, BatchReplace) else None
            keys += sessions.session_keys(operation.body, path_id)
    return list(dict.fromkeys(keys))


def _plan(
    store: UnitOfWork, changes: list[Change], caller: Caller, operation: Operation
) -> _Planned:
    if isinstance(operation, BatchDelete):
        record = load(store, "session", operation.id)
        on_conflict = check_if_match(operation.ifMatch, record)
        changes.extend(session_deletion(record, on_conflict=on_conflict))
        return _Planned(operation, None)
    replace = operation if isinstance(operation, BatchReplace) else None
    write = sessions.plan_session_write(
        store,
        Plan(changes=changes),  # the batch's changes, this operation's creations
        caller,
        operation.body,
        path_id=replace.id if replace else None,
        if_match=replace.ifMatch if replace else None,
    )
    return _Planned(operation, write)


def _indexed(change: Change, index: int) -> Change:
    """The change with its refusal (a failed condition's error) naming the operation."""
    error = getattr(change, "on_conflict", None)
    if error is None or isinstance(error, OperationFailed):
        return change
    return cast(
        Change, dataclasses.replace(cast(Any, change), on_conflict=OperationFailed(error, index))
    )


def _result(item: _Planned, committed: Committed) -> dict[str, Any]:
    if item.write is None:
        return {"status": 204}
    write = item.write
    for entity in [write.session.entity, write.task, write.project, *write.tags]:
        if entity is not None:
            entity["lastUpdated"] = committed.timestamp
    return {"status": 201 if write.created else 200, **write.payload()}


# ----------------------------------------------------------------------------- merging


def merged(changes: list[Change]) -> list[Change]:
    """One change per item: the changes of several operations to one item (a session stopped
    by the next start, the running guard taken over twice, a task reused) as one, in the place
    of the first."""
    out: list[Change] = []
    where: dict[str, int] = {}
    for change in changes:
        key = _item(change)
        if key not in where:
            where[key] = len(out)
            out.append(change)
        else:
            out[where[key]] = _combined(out[where[key]], change)
    return out


def _item(change: Change) -> str:
    if isinstance(change, Put):
        return entity_sk(change.kind, change.entity["id"])
    if isinstance(change, Delete | Require):
        return entity_sk(change.kind, change.entity_id)
    if isinstance(change, Guard | Tally):
        return change.sk
    return "PROFILE"


def _combined(first: Change, later: Change) -> Change:
    """Both changes of one item as one: the first's condition (it was read from the table),
    the later's effect."""
    if isinstance(later, Require):
        return first
    if isinstance(first, Require):
        return later
    if isinstance(first, Put | Delete) and isinstance(later, Put):
        expect = first.expect_seq
        return Put(later.kind, later.entity, expect_seq=expect, on_conflict=first.on_conflict)
    if isinstance(first, Put) and isinstance(later, Delete):
        if first.expect_seq is None:  # created, then deleted: it must not have existed
            sk = entity_sk(first.kind, first.entity["id"])
            return Guard(sk, ref=None, expect=None, on_conflict=first.on_conflict)
        return Delete(later.kind, later.entity_id, first.expect_seq, on_conflict=first.on_conflict)
    if isinstance(first, Guard) and isinstance(later, Guard):
        return Guard(first.sk, ref=later.ref, expect=first.expect, on_conflict=first.on_conflict)
    if isinstance(first, Tally) and isinstance(later, Tally):
        return dataclasses.replace(first, delta=first.delta + later.delta)
    raise invalid_field("operations", "change one session in ways one transaction cannot hold")

"""Sessions in bulk: `POST /v1/sessions/batch` (docs/API.md, "Sessions in bulk").

Each operation means what its single route means (`stint.services.sessions`), in order.

- `atomic: false`: each operation runs as its own request would, one after the other, and
  commits on its own; a refused one is a result with its status and error, and the others
  still run.
- `atomic: true`: every operation is the single route's write, made through one unit of work
  that answers each operation's reads with what the ones before it wrote; everything commits
  in one transaction or nothing does. A refusal, while planning or by a condition at the
  commit, is the failing operation's own status and error body with `error.index`.
"""

from __future__ import annotations

import dataclasses
import logging
from typing import Any, cast

from stint.errors import StintError, invalid_field
from stint.models import MAX_ATOMIC_BATCH, BatchCreate, BatchDelete, BatchReplace, SessionBatch
from stint.services import access, budgets, sessions
from stint.services.access import Membership
from stint.services.common import Caller
from stint.store import (
    Change,
    ChangesCollide,
    Committed,
    UnitOfWork,
    entity_sk,
    retrying,
    send_writes_now,
)

log = logging.getLogger(__name__)

Operation = BatchCreate | BatchReplace | BatchDelete
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


def _path_id(operation: BatchCreate | BatchReplace) -> str | None:
    return operation.id if isinstance(operation, BatchReplace) else None


def _if_match(operation: BatchCreate | BatchReplace) -> str | None:
    return operation.ifMatch if isinstance(operation, BatchReplace) else None


def _result(written: sessions.Written | None) -> dict[str, Any]:
    if written is None:
        return {"status": 204}
    return {"status": 201 if written.created else 200, **written.payload()}


# ----------------------------------------------------------------------------- one by one


def _one(caller: Caller, operation: Operation) -> dict[str, Any]:
    try:
        if isinstance(operation, BatchDelete):
            sessions.delete_session(caller, operation.id, if_match=operation.ifMatch)
            return _result(None)
        written = sessions.write_session(
            caller, operation.body, path_id=_path_id(operation), if_match=_if_match(operation)
        )
    except StintError as refused:  # this operation's answer; the others still run
        error = refused.body()["error"]
        log.info("batch operation %s refused: %s %s", operation.op, refused.status, error["code"])
        return {"status": refused.status, "error": error}
    return _result(written)


# ----------------------------------------------------------------------------- all or none


def _atomic(caller: Caller, operations: list[Operation]) -> list[dict[str, Any]]:
    for index, operation in enumerate(operations):
        if not isinstance(operation, BatchDelete):
            _refused_as(index, sessions.check_session_path, operation.body, _path_id(operation))
    members = [_refused_as(i, _workspace, caller, op) for i, op in enumerate(operations)]
    if len({member.workspace_id for member in members}) > 1:
        # One transaction writes one workspace's change sequence.
        raise invalid_field("operations", "an atomic batch writes in one workspace")
    member = members[0] if members else access.personal(caller)

    def attempt() -> list[dict[str, Any]]:
        store = member.unit(caller)
        store.prefetch(*_keys(operations)[:_PREFETCH_KEYS])
        written = []
        for index, operation in enumerate(operations):
            since = len(store.planned)
            written.append(_refused_as(index, _plan, store, caller, operation, member))
            store.planned[since:] = [_indexed(change, index) for change in store.planned[since:]]
        try:
            fits = store.fits_one_transaction()
        except ChangesCollide as collision:
            message = "change one session in ways one transaction cannot hold"
            raise invalid_field("operations", message) from collision
        if not fits:
            raise invalid_field(
                "operations", "too many writes for one transaction: fewer, or atomic: false"
            )
        try:
            committed = store.commit()
        except budgets.OverBudget as refused:
            index = _last_of(operations, written, refused.sessions)
            raise OperationFailed(refused, index) from refused
        return [_result(_stamped(item, committed)) for item in written]

    return retrying(attempt)


def _last_of(
    operations: list[Operation], written: list[sessions.Written | None], ids: set[str]
) -> int:
    """The last operation that writes one of the sessions `ids` (the batch's refusal names it)."""
    named = [
        index
        for index, (operation, item) in enumerate(zip(operations, written, strict=True))
        if (item.session.entity["id"] if item else getattr(operation, "id", None)) in ids
    ]
    return max(named, default=len(operations) - 1)


def _stamped(written: sessions.Written | None, committed: Committed) -> sessions.Written | None:
    return None if written is None else written.committed(committed)


def _workspace(caller: Caller, operation: Operation) -> Membership:
    if isinstance(operation, BatchDelete):
        return access.locate(caller, "session", operation.id)
    return sessions.session_workspace(caller, operation.body, _path_id(operation))


def _plan(
    store: UnitOfWork, caller: Caller, operation: Operation, member: Membership
) -> sessions.Written | None:
    if isinstance(operation, BatchDelete):
        sessions.plan_delete_session(store, caller, member, operation.id, operation.ifMatch)
        return None
    return sessions.plan_write(
        store,
        caller,
        operation.body,
        path_id=_path_id(operation),
        if_match=_if_match(operation),
        member=member,
    )


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
            keys += sessions.session_keys(operation.body, _path_id(operation))
    return list(dict.fromkeys(keys))


def _indexed(change: Change, index: int) -> Change:
    """The change with its refusal (a failed condition's error) naming the operation."""
    error = getattr(change, "on_conflict", None)
    if error is None or isinstance(error, OperationFailed):
        return change
    return cast(
        Change, dataclasses.replace(cast(Any, change), on_conflict=OperationFailed(error, index))
    )

"""What every service shares: the caller, versioned results, ids, `If-Match`."""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from stint.errors import PreconditionFailed, StintError, invalid_field, not_found
from stint.kinds import KINDS
from stint.models import CLIENT_ID_PATTERN, _Body
from stint.store import (
    Change,
    Committed,
    Delete,
    Put,
    Require,
    Store,
    UnitOfWork,
    entity_of,
    entity_sk,
    etag,
    retrying,
)

ID_PATTERN = re.compile(CLIENT_ID_PATTERN)


@dataclass(frozen=True)
class Caller:
    """The authenticated user, from the Cognito authorizer's claims."""

    user_id: str  # the token's `sub`
    username: str  # Cognito's user name (the sub for e-mail sign-in pools)


@dataclass
class Versioned:
    """An entity as the API returns it, with the change sequence that is its ETag."""

    entity: dict[str, Any]
    seq: int

    @property
    def etag(self) -> str:
        return etag(self.seq)


def new_id() -> str:
    return str(uuid.uuid4())


def versioned(record: dict[str, Any]) -> Versioned:
    return Versioned(entity_of(record), int(record["seq"]))


def save(store: Store, put: Put, *with_it: Change) -> Versioned:
    """Commit `put` (and what must commit with it); the entity as the API returns it."""
    committed = store.commit([put, *with_it])
    return Versioned(stamped(put.entity, committed), committed.seq_of(put.kind, put.entity["id"]))


def stamped(entity: dict[str, Any], committed: Committed) -> dict[str, Any]:
    """An entity written by `committed`, as the API returns it."""
    return {**entity, "lastUpdated": committed.timestamp}


def rewrite(
    kind: str,
    record: dict[str, Any],
    entity: dict[str, Any],
    *,
    on_conflict: StintError | None = None,
) -> Put:
    """The write of a changed entity, conditioned on the seq its `record` was read at."""
    return Put(kind, entity, expect_seq=int(record["seq"]), on_conflict=on_conflict)


# What a kind's PATCH does beyond writing the fields sent: checks, derived fields, and changes
# to commit with it. Called with the record as read and the entity as patched.
PatchRule = Callable[[UnitOfWork, dict[str, Any], dict[str, Any]], list[Change]]


def patch(
    caller: Caller,
    kind: str,
    entity_id: str,
    fields: _Body,
    if_match: str | None,
    rule: PatchRule | None = None,
) -> Versioned:
    """`PATCH` of any entity: the fields sent replace the stored ones (`null` clears a nullable
    one), its parent (stint.kinds) may change to another of the caller's entities, `If-Match`
    is the write's condition, and the kind's `rule` adds what is particular to it."""
    check_path_id(getattr(fields, "id", None), entity_id)

    def attempt() -> Versioned:
        store = UnitOfWork(caller.user_id)
        record = load(store, kind, entity_id)
        on_conflict = check_if_match(if_match, record)
        entity = {**entity_of(record), **fields.written()}
        changes = parent_guard(store, kind, entity, before=record)
        if rule is not None:
            changes += rule(store, record, entity)
        return save(store, rewrite(kind, record, entity, on_conflict=on_conflict), *changes)

    return retrying(attempt)


# The changes that delete an entity as read (and what goes with it), given the error its
# failed condition raises (If-Match).
Deletion = Callable[[UnitOfWork, dict[str, Any], StintError | None], list[Change]]


def delete(
    caller: Caller,
    kind: str,
    entity_id: str,
    if_match: str | None,
    deletion: Deletion | None = None,
    *,
    read_ahead: tuple[str, ...] = (),
) -> None:
    """`DELETE` of any entity: read it (with the keys `read_ahead` names, in one round trip),
    check `If-Match`, and commit its `deletion` (by default: it alone), again from the reads
    when something changed meanwhile."""

    def attempt() -> None:
        store = UnitOfWork(caller.user_id)
        if read_ahead:
            store.prefetch(entity_sk(kind, entity_id), *read_ahead)
        record = load(store, kind, entity_id)
        on_conflict = check_if_match(if_match, record)
        if deletion is None:
            store.commit([Delete(kind, entity_id, int(record["seq"]), on_conflict=on_conflict)])
        else:
            store.commit(deletion(store, record, on_conflict))

    retrying(attempt)


def parent_guard(
    store: Store, kind: str, entity: dict[str, Any], *, before: dict[str, Any] | None = None
) -> list[Change]:
    """An entity's parent (stint.kinds), new or changed since `before`, must be the caller's
    (`400` naming the field) and must still exist when the write commits."""
    parent = KINDS[kind].parent
    if parent is None:
        return []
    moved_to = entity.get(parent.field)
    if not moved_to or moved_to == (before or {}).get(parent.field):
        return []
    field = f"{kind}.{parent.field}"
    load_field(store, parent.kind, str(moved_to), field)
    missing = invalid_field(field, f"the {parent.kind} was deleted")
    return [Require(parent.kind, str(moved_to), on_conflict=missing)]


def load(store: Store, kind: str, entity_id: str) -> dict[str, Any]:
    """The caller's entity, or 404 (another user's id is a 404 too: partitions are per user)."""
    record = store.get(kind, entity_id) if ID_PATTERN.match(entity_id) else None
    if record is None:
        raise not_found(kind, entity_id)
    return record


def load_field(store: Store, kind: str, entity_id: str, field: str) -> dict[str, Any]:
    """Like `load`, for an id given in a body field: a missing one is a 400 naming the field."""
    record = store.get(kind, entity_id) if ID_PATTERN.match(entity_id) else None
    if record is None:
        raise invalid_field(field, f"no {kind} with id {entity_id!r}")
    return record


def check_if_match(if_match: str | None, record: dict[str, Any]) -> StintError | None:
    """Check `If-Match` against what was read; return the error the conditional write raises.

    The write itself is conditioned on the seq that was read, so a change between this check
    and the write is caught by DynamoDB, not by this function.
    """
    if if_match is None:
        return None
    failed = PreconditionFailed("If-Match does not match the current ETag")
    candidates = {tag.strip() for tag in if_match.split(",")}
    if "*" not in candidates and etag(int(record["seq"])) not in candidates:
        raise failed
    return failed


def check_path_id(body_id: str | None, path_id: str) -> None:
    """A body may carry the entity's own id (sent back as it was got), never another one."""
    if body_id is not None and body_id != path_id:
        raise invalid_field("id", "must equal the id in the path")


def list_page(
    store: Store,
    kind: str,
    *,
    parent: tuple[str, str] | None = None,
    limit: int,
    next_token: str | None,
    keep: Callable[[dict[str, Any]], bool] = lambda _: True,
) -> tuple[list[dict[str, Any]], str | None]:
    """A page of the caller's entities of a kind, all of them or a parent's `(kind, id)`."""
    records, token = store.entities_page(
        kind, parent=parent, limit=limit, next_token=next_token, keep=keep
    )
    return [entity_of(r) for r in records], token

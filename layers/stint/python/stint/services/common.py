"""What every service shares: the caller, an entity as returned with its ETag, ids, reads of
one entity (404 or 400 naming the field), and `If-Match`."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from typing import Any

from stint.errors import PreconditionFailed, StintError, invalid_field, not_found
from stint.models import CLIENT_ID_PATTERN
from stint.store import Committed, Store, entity_of, etag

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


def stamped(entity: dict[str, Any], committed: Committed) -> dict[str, Any]:
    """An entity written by `committed`, as the API returns it."""
    return {**entity, "lastUpdated": committed.timestamp}


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

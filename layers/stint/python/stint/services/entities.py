"""The operations every kind's routes share: a create's save, the one PATCH path, the one
DELETE path (docs/DESIGN.md, "The change sequence"), and a page of a kind."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from stint import jsonio, kinds
from stint.errors import StintError, invalid_field
from stint.kinds import KINDS
from stint.models import RequestBody
from stint.services import access, common
from stint.services.common import Caller, Versioned, load, stamped, versioned
from stint.store import (
    Change,
    Delete,
    Put,
    Require,
    StaleRead,
    Store,
    UnitOfWork,
    entity_of,
    fits_one_transaction,
    next_token_value,
    retrying,
)
from stint.store import entity_sk as entity_key

# Entities read a Query page when a kind is read whole.
_PAGE = 1000


def get(caller: Caller, kind: str, entity_id: str) -> Versioned:
    """`GET` of any entity of the caller's workspaces, or 404."""
    member, found = access.find(caller, kind, entity_id)
    record = found or load(member.store(caller), kind, entity_id)
    access.check(caller, member, kind, record, "read")
    return versioned(record)


def fixed_workspace(fields: dict[str, Any], record: dict[str, Any]) -> dict[str, Any]:
    """The fields a PATCH writes: `workspaceId` is fixed at creation (sent back as it was got,
    it is ignored; another one is a 400)."""
    written = dict(fields)
    sent = written.pop("workspaceId", None)
    if sent is not None and sent != entity_of(record)["workspaceId"]:
        raise invalid_field("workspaceId", "is fixed when the entity is created")
    return written


def save(store: UnitOfWork, put: Put, *with_it: Change) -> Versioned:
    """Commit `put` (and what must commit with it); the entity as the API returns it."""
    committed = store.commit([put, *with_it])
    return Versioned(stamped(put.entity, committed), committed.seq_of(put.kind, put.entity["id"]))


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
    fields: RequestBody,
    if_match: str | None,
    rule: PatchRule | None = None,
) -> Versioned:
    """`PATCH` of any entity: the fields sent replace the stored ones (`null` clears a nullable
    one), its parent (stint.kinds) may change to another of the caller's entities, `If-Match`
    is the write's condition, and the kind's `rule` adds what is particular to it."""
    common.check_path_id(getattr(fields, "id", None), entity_id)

    member = access.locate(caller, kind, entity_id)

    def attempt() -> Versioned:
        store = member.unit(caller)
        record = load(store, kind, entity_id)
        access.check(caller, member, kind, record, "write")
        on_conflict = common.check_if_match(if_match, record)
        entity = {**entity_of(record), **fixed_workspace(fields.written(), record)}
        changes = parent_guard(store, kind, entity, before=record)
        _moved_where_seen(caller, member, store, kind, entity, record)
        if rule is not None:
            changes += rule(store, record, entity)
        return save(store, rewrite(kind, record, entity, on_conflict=on_conflict), *changes)

    return retrying(attempt)


def _moved_where_seen(
    caller: Caller,
    member: access.Membership,
    store: Store,
    kind: str,
    entity: dict[str, Any],
    record: dict[str, Any],
) -> None:
    """An entity moves only to a parent the caller sees (else a 400 naming the field, as a
    parent that does not exist)."""
    parent = KINDS[kind].parent
    moved_to = entity.get(parent.field) if parent is not None else None
    if parent is not None and moved_to and moved_to != record.get(parent.field):
        target = load(store, parent.kind, str(moved_to))
        access.seen(caller, member, parent.kind, target, f"{kind}.{parent.field}")


# The changes that delete an entity as read (and what goes with it), given the error its
# failed condition raises (If-Match).
Deletion = Callable[[UnitOfWork, dict[str, Any], StintError | None], list[Change]]


def plan_delete(
    store: UnitOfWork,
    kind: str,
    entity_id: str,
    if_match: str | None,
    deletion: Deletion | None = None,
    *,
    check: Callable[[dict[str, Any]], None] = lambda _: None,
) -> None:
    """Add to `store` the deletion of the caller's entity (by default: it alone), `If-Match`
    its condition, once `check` allows it."""
    record = load(store, kind, entity_id)
    check(record)
    on_conflict = common.check_if_match(if_match, record)
    if deletion is None:
        store.add(Delete(kind, entity_id, int(record["seq"]), on_conflict=on_conflict))
    else:
        store.add(*deletion(store, record, on_conflict))


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
    check `If-Match`, and commit its `deletion`, again from the reads when something changed
    meanwhile."""

    member = access.locate(caller, kind, entity_id)

    def allowed(record: dict[str, Any]) -> None:
        access.check(caller, member, kind, record, "delete")

    def attempt() -> None:
        store = member.unit(caller)
        if read_ahead:
            store.prefetch(entity_key(kind, entity_id), *read_ahead)
        plan_delete(store, kind, entity_id, if_match, deletion, check=allowed)
        store.commit()

    retrying(attempt)


def parent_guard(
    store: Store, kind: str, entity: dict[str, Any], *, before: dict[str, Any] | None = None
) -> list[Change]:
    """An entity's parent and the entities it refers to (stint.kinds), new or changed since
    `before`, must be the caller's, in the entity's workspace (`400` naming the field), and must
    still exist when the write commits."""
    spec = KINDS[kind]
    named = [spec.parent] if spec.parent is not None else []
    guards: list[Change] = []
    for other in [*named, *spec.references]:
        moved_to = entity.get(other.field)
        if not moved_to or moved_to == (before or {}).get(other.field):
            continue
        field = f"{kind}.{other.field}"
        common.load_field(store, other.kind, str(moved_to), field)
        missing = invalid_field(field, f"the {other.kind} was deleted")
        guards.append(Require(other.kind, str(moved_to), on_conflict=missing))
    return guards


def delete_clearing(
    caller: Caller,
    kind: str,
    entity_id: str,
    if_match: str | None,
    cleared: Callable[[UnitOfWork], list[Change]],
) -> None:
    """`DELETE` of an entity that others name: the writes `cleared` makes of them (found by a
    Query, which no condition on an item covers) commit with the deletion only if no write of
    the workspace came in between (`UnitOfWork.commit_unless_changed`), so one made to name it
    meanwhile is read again. More than a transaction holds are cleared first, 99 a
    transaction, and the delete runs again from its reads: the entity goes last, so an
    interrupted delete leaves it in place, and repeating the request finishes the job."""
    member = access.locate(caller, kind, entity_id)

    def attempt() -> None:
        store = member.unit(caller)
        record = load(store, kind, entity_id)  # reads the counter along
        access.check(caller, member, kind, record, "delete")
        on_conflict = common.check_if_match(if_match, record)
        clearing = cleared(store)
        deletion = Delete(kind, entity_id, int(record["seq"]), on_conflict=on_conflict)
        if fits_one_transaction([*clearing, deletion], shared=store.shared):
            store.add(*clearing, deletion)
            store.commit_unless_changed()
            return
        store.add(*clearing)
        store.commit()
        raise StaleRead()  # read again: the entity, and any that came to name it meanwhile

    retrying(attempt)


def references_cleared(store: Store, kind: str, entity_id: str) -> list[Change]:
    """The writes that clear every reference to an entity about to be deleted (a client's
    projects get `clientId: null`), each conditioned on the seq it was read at. The entities
    that refer to it are found by reading their kind whole (stint.kinds, `references`): commit
    them with `UnitOfWork.commit_unless_changed`, so that one made to refer to it meanwhile is
    read again."""
    return [
        rewrite(referrer, record, {**entity_of(record), field: None})
        for referrer, field in kinds.referrers(kind)
        for record in store.query_all(prefix=entity_key(referrer, ""), page_size=_PAGE)
        if record.get(field) == entity_id
    ]


def list_page(
    store: Store,
    kind: str,
    *,
    parent: tuple[str, str] | None = None,
    limit: int,
    next_token: str | None,
    keep: Callable[[dict[str, Any]], bool] = lambda _: True,
    seen: Seen | None = None,
) -> tuple[list[dict[str, Any]], str | None]:
    """A page of the caller's entities of a kind, all of them or a parent's `(kind, id)`; with
    `seen`, only those it leaves (what the caller sees: `seen_by`), so a page may be short."""
    records, token = store.entities_page(
        kind, parent=parent, limit=limit, next_token=next_token, keep=keep
    )
    if seen is not None:
        records = seen(records)
    return [entity_of(r) for r in records], token


# What of a page of stored records the caller sees (`access.visible` for one workspace).
Seen = Callable[[list[dict[str, Any]]], list[dict[str, Any]]]


def seen_by(caller: Caller, member: access.Membership) -> Seen:
    return functools.partial(access.visible, caller, member)


def list_across(
    caller: Caller,
    kind: str,
    *,
    workspace_id: str | None,
    limit: int,
    next_token: str | None,
    keep: Callable[[dict[str, Any]], bool] = lambda _: True,
) -> tuple[list[dict[str, Any]], str | None]:
    """A page of a kind's entities in every workspace of the caller (the personal one first,
    then the shared ones by id), or in `workspace_id` alone. The token names the workspace the
    next page goes on in and the page token within it."""
    where = access.listed(caller, workspace_id)
    ids = [member.workspace_id for member in where]
    start, inner = 0, None
    if next_token:
        value = next_token_value(
            next_token,
            lambda v: (
                isinstance(v, dict)
                and v.get("w") in ids
                and isinstance(v.get("k"), str | None)
                and set(v) <= {"w", "k"}
            ),
        )
        start, inner = ids.index(value["w"]), value.get("k")
    found: list[dict[str, Any]] = []
    for index in range(start, len(where)):
        store = where[index].store(caller)
        seen = seen_by(caller, where[index])
        left = limit - len(found)
        page, inner = list_page(store, kind, limit=left, next_token=inner, keep=keep, seen=seen)
        found += page
        if inner:
            return found, jsonio.to_token({"w": ids[index], "k": inner})
        if len(found) >= limit and index + 1 < len(where):
            return found, jsonio.to_token({"w": ids[index + 1], "k": None})
    return found, None


def list_children(
    caller: Caller,
    kind: str,
    *,
    parent: tuple[str, str] | None,
    workspace_id: str | None,
    limit: int,
    next_token: str | None,
    keep: Callable[[dict[str, Any]], bool] = lambda _: True,
    parent_must_exist: bool = False,
) -> tuple[list[dict[str, Any]], str | None]:
    """A page of a kind's entities under `parent` (`(kind, id)`: a project's tasks), in the
    parent's workspace (none when `workspace_id` names another), or with no parent in every
    workspace of the caller (`list_across`). `parent_must_exist`: a parent the caller cannot
    see is 404, not an empty page."""
    if parent is None:
        return list_across(
            caller, kind, workspace_id=workspace_id, limit=limit, next_token=next_token, keep=keep
        )
    parent_kind, parent_id = parent
    member = access.locate(caller, parent_kind, parent_id)
    store = member.store(caller)
    if parent_must_exist:
        access.seen(caller, member, parent_kind, load(store, parent_kind, parent_id))
    if workspace_id is not None and member.workspace_id != workspace_id:
        return [], None
    seen = seen_by(caller, member)
    return list_page(
        store, kind, parent=parent, limit=limit, next_token=next_token, keep=keep, seen=seen
    )

"""Tags (docs/API.md, "Tags"): names the caller puts on sessions, by id or by name.

A tag's name is unique per user (trimmed, case-insensitive): a guard item per normalized name
(`store.title_guard_sk("tag", "all", name)`) names the tag that has it, and is written in the
same transaction as every create, rename and delete of a tag, so it is never stale and two
concurrent writers cannot both take a name. A count item (`store.TAG_COUNT_SK`) holds how many
tags the user has, conditioned in the same transaction, so the 1,000th is the last.

A session names its tags by id or by name (`session_tags`); a name no tag has yet is a tag
created in the session's transaction. Deleting a tag changes every session that carries it
(docs/DESIGN.md, "Tags and sessions in bulk").
"""

from __future__ import annotations

from typing import Any

from stint.errors import Conflict, invalid_field
from stint.models import TAGS_PER_SESSION, SessionFields, TagFields, TagPatchFields, new_entity
from stint.services import access, entities
from stint.services.common import (
    Caller,
    Versioned,
    check_if_match,
    load,
    load_field,
    new_id,
)
from stint.services.entities import patch, save
from stint.services.pages import key_of_token, token_after
from stint.store import (
    TAG_COUNT_SK,
    Change,
    Delete,
    Guard,
    Put,
    StaleRead,
    Tally,
    UnitOfWork,
    entity_of,
    entity_sk,
    normalized_title,
    retrying,
    title_guard_sk,
)

MAX_TAGS = 1000
# A user's tags are read whole (at most 1,000 small items: one Query page) to list them by name.
_PAGE = 1000


def name_guard_sk(name: str) -> str:
    return title_guard_sk("tag", "all", name)


def too_many() -> Conflict:
    return Conflict(f"A user has at most {MAX_TAGS} tags; delete one first")


def name_taken(name: str) -> Conflict:
    return Conflict(f"a tag named {name.strip()!r} exists")


def creation(tag: dict[str, Any], *, owner: str | None) -> tuple[Put, Guard]:
    """The changes that create `tag`: it and its name's guard (read as `owner`: None, or a
    stale guard); `counted` counts it. A failed condition on the guard means another writer
    took the name since it was read: the operation runs again and finds that tag."""
    exists = Conflict(f"a tag with id {tag['id']!r} already exists")
    return (
        Put("tag", tag, on_conflict=exists),
        Guard(name_guard_sk(tag["name"]), ref=tag["id"], expect=owner),
    )


def counted(created: int) -> Tally:
    """The change of the user's tag count for `created` new tags (a transaction may touch the
    count item once: a unit of work's counts are merged into one)."""
    return Tally(TAG_COUNT_SK, created, limit=MAX_TAGS, on_conflict=too_many())


def owner_of(store: UnitOfWork, name: str) -> tuple[dict[str, Any] | None, str | None]:
    """The caller's tag with this name (trimmed, case-insensitive), if any, and the name's
    guard as read (to condition a write on)."""
    owner = store.get_guard(name_guard_sk(name))
    if owner is None:
        return None, None
    record = store.get("tag", owner)
    if record is None or normalized_title(record["name"]) != normalized_title(name):
        return None, owner  # stale: the tag is gone or renamed (not by this design's writes)
    return record, owner


def name_keys(fields: SessionFields) -> list[str]:
    """What a session's tags are read by first: the tags by id, the names' guards."""
    return [
        *(entity_sk("tag", tag_id) for tag_id in fields.tagIds or ()),
        *(name_guard_sk(name) for name in fields.tags or ()),
    ]


def session_tags(store: UnitOfWork, fields: SessionFields) -> list[str]:
    """A session's tags: `tagIds` (each the caller's, else 400 naming the field) and `tags`
    by name (the caller's tag with that name, else one created in the same transaction,
    race-free by its name's guard), at most 20 in all."""
    missing = invalid_field("session.tagIds", "the tag was deleted")
    chosen: list[str] = []
    for tag_id in dict.fromkeys(fields.tagIds or ()):
        load_field(store, "tag", tag_id, "session.tagIds")
        store.require("tag", tag_id, on_conflict=missing)
        chosen.append(tag_id)
    names: dict[str, str] = {}  # the first spelling of each name
    for name in fields.tags or ():
        names.setdefault(normalized_title(name), name)
    owners = [store.get_guard(name_guard_sk(name)) for name in names.values()]
    store.prefetch(*(entity_sk("tag", owner) for owner in owners if owner))  # one round trip
    created = 0
    for name in names.values():
        record, owner = owner_of(store, name)
        if record is not None:
            store.require("tag", record["id"])  # deleted meanwhile: run again, and create it
            chosen.append(str(record["id"]))
            continue
        tag = new_entity("tag", id=new_id(), name=name)
        store.add(*creation(tag, owner=owner))
        created += 1
        chosen.append(str(tag["id"]))
    chosen = list(dict.fromkeys(chosen))
    if len(chosen) > TAGS_PER_SESSION:
        raise invalid_field("session.tags", f"a session carries at most {TAGS_PER_SESSION} tags")
    if created:
        store.add(counted(created))
    return chosen


# ----------------------------------------------------------------------------- routes


def create_tag(caller: Caller, fields: TagFields) -> Versioned:
    name = fields.name
    member = access.where(caller, fields.workspaceId, "tag.workspaceId")
    member.require("catalog")

    def attempt() -> Versioned:
        store = member.unit(caller)
        existing, owner = owner_of(store, name)
        if existing is not None:
            raise name_taken(name)
        tag = new_entity("tag", id=fields.id or new_id(), name=name, color=fields.color)
        return save(store, *creation(tag, owner=owner), counted(1))

    return retrying(attempt)


def get_tag(caller: Caller, tag_id: str) -> Versioned:
    return entities.get(caller, "tag", tag_id)


def list_tags(
    caller: Caller, *, workspace_id: str | None = None, limit: int, next_token: str | None
) -> tuple[list[dict[str, Any]], str | None]:
    """A page of the tags of the caller's workspaces (or of `workspace_id`) by name
    (case-insensitive, then as written, then id)."""
    after = key_of_token(next_token, 3) if next_token else None
    where = access.listed(caller, workspace_id)
    records = [
        record
        for member in where
        for record in member.store(caller).query_all(prefix=entity_sk("tag", ""), page_size=_PAGE)
    ]
    ordered = sorted((_order(record), entity_of(record)) for record in records)
    rest = [tag for key, tag in ordered if after is None or key > after]
    page = rest[:limit]
    token = token_after(_order(page[-1])) if len(rest) > limit else None
    return page, token


def _order(tag: dict[str, Any]) -> tuple[str, str, str]:
    return (normalized_title(tag["name"]), tag["name"], tag["id"])


def update_tag(
    caller: Caller, tag_id: str, fields: TagPatchFields, if_match: str | None
) -> Versioned:
    def rename(store: UnitOfWork, record: dict[str, Any], tag: dict[str, Any]) -> list[Change]:
        """A new name moves the name's guard, in the same transaction (409 if it is taken)."""
        old, new = record["name"], tag["name"]
        if normalized_title(old) == normalized_title(new):
            return []
        existing, owner = owner_of(store, new)
        if existing is not None:
            raise name_taken(new)
        return [
            Guard(name_guard_sk(old), ref=None, expect=tag_id),
            Guard(name_guard_sk(new), ref=tag_id, expect=owner),
        ]

    return patch(caller, "tag", tag_id, fields, if_match, rename)


def delete_tag(caller: Caller, tag_id: str, *, if_match: str | None) -> None:
    """Delete a tag and take it off every session that carries it, each session changed.

    The sessions are found by a Query of the caller's sessions, which no condition on an item
    covers: the last transaction (the tag's delete, with the sessions left to change) commits
    only if no write of the user came in between (`UnitOfWork.commit_unless_changed`), so a session
    tagged meanwhile is never left carrying a deleted tag. More sessions than one transaction
    holds are changed first, in transactions of 99 (as cascades are), and the delete runs again
    from its reads; the tag goes last, so an interrupted delete leaves it in place, and
    repeating the request finishes the job.
    """

    member = access.locate(caller, "tag", tag_id)
    member.require("catalog")

    def attempt() -> None:
        store = member.unit(caller)
        record = load(store, "tag", tag_id)  # reads the counter along
        on_conflict = check_if_match(if_match, record)
        untagged = [
            Put("session", _without(session, tag_id), expect_seq=int(session["seq"]))
            for session in store.query_all(
                prefix=entity_sk("session", ""),
                page_size=_PAGE,
                keep=lambda session: tag_id in (session.get("tagIds") or ()),
            )
        ]
        store.add(*untagged)
        tag_deletion: list[Change] = [
            Guard(name_guard_sk(record["name"]), ref=None, expect=tag_id),
            Tally(TAG_COUNT_SK, -1),
            Delete("tag", tag_id, int(record["seq"]), on_conflict=on_conflict),
        ]
        if store.fits_one_transaction(*tag_deletion):  # the sessions' lock checks too
            store.add(*tag_deletion)
            store.commit_unless_changed()
            return
        store.commit()
        raise StaleRead()  # read again: the tag, and any session tagged meanwhile

    retrying(attempt)


def _without(session: dict[str, Any], tag_id: str) -> dict[str, Any]:
    entity = entity_of(session)
    entity["tagIds"] = [t for t in entity.get("tagIds") or () if t != tag_id]
    return entity

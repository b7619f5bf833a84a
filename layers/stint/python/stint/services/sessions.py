"""Sessions (contract section 5): time entries, running timers, tasks and projects by title."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from stint.errors import Conflict, PreconditionFailed, StintError, invalid_field, not_found
from stint.models import MAX_SESSION_SECONDS, TAGS_PER_SESSION, SessionBody, SessionFields
from stint.services import tags, users
from stint.services.common import (
    ID_PATTERN,
    Caller,
    Versioned,
    check_if_match,
    check_path_id,
    delete,
    load,
    load_field,
    new_id,
    versioned,
)
from stint.services.tasks import (
    new_task,
    session_deletion,
    set_completion,
    task_update,
)
from stint.store import (
    RUNNING_SK,
    Change,
    Committed,
    Delete,
    Guard,
    Put,
    Require,
    Store,
    UnitOfWork,
    entity_of,
    entity_sk,
    normalized_title,
    retrying,
    title_guard_sk,
)
from stint.timeutil import format_timestamp, parse_timestamp, utc_now

# Sort before / after every timestamp: the open ends of a range (a key cannot be "").
_BEGINNING_OF_TIME = "0000"
_END_OF_TIME = "9999"


@dataclass
class SessionWrite:
    """What a create or replace did: the session, and the task / project it created."""

    session: Versioned
    created: bool
    task: dict[str, Any] | None = None
    project: dict[str, Any] | None = None
    tags: list[dict[str, Any]] = field(default_factory=list)

    def payload(self) -> dict[str, Any]:
        payload: dict[str, Any] = {"session": self.session.entity}
        if self.task is not None:
            payload["task"] = self.task
        if self.project is not None:
            payload["project"] = self.project
        if self.tags:
            payload["tags"] = self.tags
        return payload


@dataclass
class Plan:
    """The changes one request commits together, and the entities it creates (a batch's
    operations share their `changes`, each with its own `created`)."""

    changes: list[Change] = field(default_factory=list)
    created: dict[str, dict[str, Any]] = field(default_factory=dict)  # kind -> entity
    created_tags: list[dict[str, Any]] = field(default_factory=list)

    def stop(
        self, running: dict[str, Any], now: datetime, note: str | None = None
    ) -> dict[str, Any]:
        """Stop the running session `running` (as read) in this plan; the stopped session."""
        session = stopped(running, now, note)
        self.changes.append(session_put(session, expect_seq=int(running["seq"])))
        return session

    def require(self, kind: str, entity_id: str, on_conflict: StintError | None = None) -> None:
        """Commit only if the entity still exists (once per entity: a transaction may not
        touch one item twice; an entity the plan writes is checked by its own write)."""
        if not any(_names(change, kind, entity_id) for change in self.changes):
            self.changes.append(Require(kind, entity_id, on_conflict=on_conflict))


def _names(change: Change, kind: str, entity_id: str) -> bool:
    if isinstance(change, Put):
        return change.kind == kind and change.entity["id"] == entity_id
    if isinstance(change, Delete | Require):
        return change.kind == kind and change.entity_id == entity_id
    return False


# ----------------------------------------------------------------------------- session entity


def session_entity(
    session_id: str, task_id: str, fields: SessionFields, *, edited: bool
) -> dict[str, Any]:
    start = parse_timestamp(fields.startTimestamp)
    return {
        "id": session_id,
        "taskId": task_id,
        "subtaskId": fields.subtaskId,
        "startTimestamp": format_timestamp(start),
        **_timing(start, fields.duration),
        "note": fields.note,
        "type": fields.type,
        "tagIds": [],  # resolved by the write (`_resolve_tags`)
        "edited": edited,
        "retroAdded": fields.retroAdded,
    }


def _timing(start: datetime, duration: int | None) -> dict[str, Any]:
    # In range: an accepted start is at least a week before the end of year 9999 (timeutil).
    end = None if duration is None else format_timestamp(start + timedelta(seconds=duration))
    return {"duration": duration, "endTimestamp": end, "running": duration is None}


def session_put(session: dict[str, Any], *, expect_seq: int | None, **kwargs: Any) -> Put:
    return Put("session", session, expect_seq=expect_seq, **kwargs)


def stopped(record: dict[str, Any], now: datetime, note: str | None = None) -> dict[str, Any]:
    """The running session `record`, stopped now: duration in whole seconds since its start."""
    session = entity_of(record)
    start = parse_timestamp(session["startTimestamp"])
    seconds = min(max(int((now - start).total_seconds()), 0), MAX_SESSION_SECONDS)
    session.update(_timing(start, seconds))
    if note is not None:
        session["note"] = note
    return session


def running_session(store: Store) -> tuple[dict[str, Any] | None, str | None]:
    """The user's running session record (None if there is none) and the RUNNING guard as
    read. A guard naming a session that is gone or stopped is stale: the next start or stop
    overwrites it, conditioned on the value read here."""
    running_id = store.get_guard(RUNNING_SK)
    if running_id is None:
        return None, None
    record = store.get("session", running_id)
    if record is None or not record.get("running"):
        return None, running_id
    return record, running_id


def stop_running(
    store: Store, plan: Plan, *, keep: str | None = None
) -> tuple[dict[str, Any] | None, str | None]:
    """Stop the caller's running session (unless it is `keep`) in the plan's transaction.

    Returns the stopped session and the RUNNING guard as read; the caller writes the guard's
    new value conditioned on that, so two concurrent starts cannot both leave one running.
    """
    record, running_id = running_session(store)
    if record is None or running_id == keep:
        return None, running_id
    return plan.stop(record, utc_now()), running_id


# ----------------------------------------------------------------------------- titles (#40)


def _find_or_create_by_title(
    store: Store,
    plan: Plan,
    *,
    kind: str,
    title: str,
    scope: str,
    candidates: Any,
    active: Any,
    make: Any,
) -> tuple[dict[str, Any], int | None]:
    """The caller's active entity with this title (trimmed, case-insensitive) and the seq it
    was read at, else a new one (seq None, recorded in `plan.created`; the caller puts it).

    A guard item per normalized title, written in the same transaction as the entity, makes
    two concurrent requests with the same new title create one entity: the loser's condition
    fails, it runs again, and finds the winner's entity.
    """
    guard_sk = title_guard_sk(kind, scope, title)
    owner_id = store.get_guard(guard_sk)

    def matches(record: dict[str, Any] | None) -> bool:
        return (
            record is not None
            and active(record)
            and normalized_title(record.get("title") or "") == normalized_title(title)
        )

    if owner_id is not None:
        record = store.get(kind, owner_id)
        if record is not None and matches(record):
            return entity_of(record), int(record["seq"])
    # No guard, or a stale one (renamed, archived, completed, deleted): look for a match.
    found = next((r for r in candidates() if matches(r)), None)
    if found is not None:
        plan.changes.append(Guard(guard_sk, ref=found["id"], expect=owner_id))
        return entity_of(found), int(found["seq"])
    entity: dict[str, Any] = make()
    plan.created[kind] = entity
    plan.changes.append(Guard(guard_sk, ref=entity["id"], expect=owner_id))
    return entity, None


def _resolve_project(store: Store, plan: Plan, caller: Caller, body: SessionBody) -> str:
    ref = body.project
    if ref is not None and ref.id is not None:
        return str(load_field(store, "project", ref.id, "project.id")["id"])
    if ref is not None and ref.title is not None:
        project, seq = _find_or_create_by_title(
            store,
            plan,
            kind="project",
            title=ref.title,
            scope="all",
            candidates=lambda: store.all_entities("project"),
            active=lambda r: not r.get("isArchived"),
            make=lambda: users.new_project(new_id(), title=ref.title),
        )
        if seq is None:
            plan.changes.append(Put("project", project))
        else:
            plan.require("project", project["id"])
        return str(project["id"])
    if ref is not None:
        raise invalid_field("project", "needs an id or a title")
    if body.task is not None and body.task.projectId is not None:
        return str(load_field(store, "project", body.task.projectId, "task.projectId")["id"])
    return users.default_project_id(caller, store)


def _resolve_task(store: Store, plan: Plan, caller: Caller, body: SessionBody) -> str:
    ref = body.task
    if ref.id is not None:
        record = load(store, "task", ref.id)  # contract section 5: an unknown task.id is a 404
        task = entity_of(record)
        if ref.isCompleted is not None and ref.isCompleted != task.get("isCompleted"):
            set_completion(task, ref.isCompleted)
            plan.changes.append(task_update(record, task))
        else:
            plan.require("task", task["id"])
        return str(task["id"])
    if ref.title is None:
        raise invalid_field("task", "needs an id or a title")
    project_id = _resolve_project(store, plan, caller, body)
    title = ref.title
    task, seq = _find_or_create_by_title(
        store,
        plan,
        kind="task",
        title=title,
        scope=project_id,
        candidates=lambda: store.all_entities("task", parent=("project", project_id)),
        active=lambda r: not r.get("isCompleted"),
        make=lambda: new_task(new_id(), project_id, title=title),
    )
    if ref.isCompleted is not None and ref.isCompleted != task.get("isCompleted"):
        set_completion(task, ref.isCompleted)
        if seq is not None:  # a reused task, completed by the same write
            plan.changes.append(Put("task", task, expect_seq=seq))
    elif seq is not None:
        plan.require("task", task["id"])
    if seq is None:
        plan.changes.append(Put("task", task))
        plan.require("project", project_id)
    return str(task["id"])


def check_subtask(
    store: Store, subtask_id: str | None, task_id: str, field: str = "session.subtaskId"
) -> None:
    """A session's subtask must be a subtask of its task (400 naming the body field)."""
    if subtask_id is None:
        return
    subtask = load_field(store, "subtask", subtask_id, field)
    if subtask["taskId"] != task_id:
        raise invalid_field(field, "must be a subtask of the session's task")


def _resolve_tags(store: UnitOfWork, plan: Plan, fields: SessionFields) -> list[str]:
    """The session's tags: `tagIds` (each the caller's, else 400 naming the field) and `tags`
    by name (the caller's tag with that name, trimmed, case-insensitive, else one created in
    the same transaction, race-free by its name's guard), at most 20 in all."""
    missing = invalid_field("session.tagIds", "the tag was deleted")
    chosen: list[str] = []
    for tag_id in dict.fromkeys(fields.tagIds or ()):
        load_field(store, "tag", tag_id, "session.tagIds")
        plan.require("tag", tag_id, on_conflict=missing)
        chosen.append(tag_id)
    names: dict[str, str] = {}  # the first spelling of each name
    for name in fields.tags or ():
        names.setdefault(normalized_title(name), name)
    owners = [store.get_guard(tags.name_guard_sk(name)) for name in names.values()]
    store.prefetch(*(entity_sk("tag", owner) for owner in owners if owner))  # one round trip
    chosen.extend(_tag_named(store, plan, name) for name in names.values())
    chosen = list(dict.fromkeys(chosen))
    if len(chosen) > TAGS_PER_SESSION:
        raise invalid_field("session.tags", f"a session carries at most {TAGS_PER_SESSION} tags")
    return chosen


def _tag_named(store: UnitOfWork, plan: Plan, name: str) -> str:
    """The id of the caller's tag with this name: found (also among the tags this plan creates)
    or created in the plan."""
    pending = next(
        (t for t in plan.created_tags if normalized_title(t["name"]) == normalized_title(name)),
        None,
    )
    if pending is not None:
        return str(pending["id"])
    record, owner = tags.owner_of(store, name)
    if record is not None:
        plan.require("tag", record["id"])  # deleted meanwhile: run again, and create it
        return str(record["id"])
    tag = tags.new_tag(new_id(), name)
    plan.changes.extend(tags.creation(tag, owner=owner))
    plan.created_tags.append(tag)
    return str(tag["id"])


# ----------------------------------------------------------------------------- routes


def check_session_path(body: SessionBody, path_id: str | None) -> None:
    """What a body must be before anything is read: a PUT's path id an id (else 404, as on
    every route) and the body's own; the task and the project named by an id or a title (what
    the document says, checked before an `If-Match` is)."""
    if path_id is not None:
        if not ID_PATTERN.match(path_id):
            raise not_found("session", path_id)
        check_path_id(body.session.id, path_id)
    for name, ref in (("task", body.task), ("project", body.project)):
        if ref is not None and ref.id is None and ref.title is None:
            raise invalid_field(name, "needs an id or a title")


def session_keys(body: SessionBody, path_id: str | None) -> list[str]:
    """What a write of `body` reads of what it names directly: read ahead in one round trip."""
    fields = body.session
    return [
        *([entity_sk("session", path_id)] if path_id is not None else []),
        *([entity_sk("task", body.task.id)] if body.task and body.task.id else []),
        *([RUNNING_SK] if fields.duration is None else []),
        *(entity_sk("tag", tag_id) for tag_id in fields.tagIds or ()),
        *(tags.name_guard_sk(name) for name in fields.tags or ()),
    ]


def plan_session_write(
    store: UnitOfWork,
    plan: Plan,
    caller: Caller,
    body: SessionBody,
    *,
    path_id: str | None,
    if_match: str | None,
) -> SessionWrite:
    """Add to `plan` the changes that POST (path_id None) or PUT a session; what it will write
    (seqs and timestamps are the commit's: see `finish`)."""
    session_id = path_id or body.session.id or new_id()
    existing = store.get("session", session_id) if path_id is not None else None
    if existing is None and if_match is not None:
        raise PreconditionFailed("If-Match given, but there is no such session")
    on_conflict = check_if_match(if_match, existing) if existing else None
    task_id = _resolve_task(store, plan, caller, body)
    check_subtask(store, body.session.subtaskId, task_id)
    session = session_entity(session_id, task_id, body.session, edited=existing is not None)
    session["tagIds"] = _resolve_tags(store, plan, body.session)
    if session["running"]:
        _, running_id = stop_running(store, plan, keep=session_id)
        if running_id != session_id:
            plan.changes.append(Guard(RUNNING_SK, ref=session_id, expect=running_id))
    elif existing and existing.get("running"):
        plan.changes.append(Guard(RUNNING_SK, ref=None, expect=session_id))
    exists = Conflict(f"a session with id {session_id!r} already exists")
    plan.changes.append(
        session_put(
            session,
            expect_seq=int(existing["seq"]) if existing else None,
            on_conflict=on_conflict if existing else (exists if path_id is None else None),
        )
    )
    return SessionWrite(
        Versioned(session, 0),
        created=existing is None,
        task=plan.created.get("task"),
        project=plan.created.get("project"),
        tags=plan.created_tags,
    )


def finish(write: SessionWrite, committed: Committed) -> SessionWrite:
    """`write` as committed: its entities stamped, the session's seq (its ETag)."""
    for entity in [write.session.entity, write.task, write.project, *write.tags]:
        if entity is not None:
            entity["lastUpdated"] = committed.timestamp
    write.session.seq = committed.seq_of("session", write.session.entity["id"])
    return write


def write_session(
    caller: Caller,
    body: SessionBody,
    *,
    path_id: str | None = None,
    if_match: str | None = None,
) -> SessionWrite:
    """POST (path_id None) or PUT (replace, or create with that id) a session."""
    check_session_path(body, path_id)

    def attempt() -> SessionWrite:
        store = UnitOfWork(caller.user_id)
        plan = Plan()
        store.prefetch(*session_keys(body, path_id))
        write = plan_session_write(store, plan, caller, body, path_id=path_id, if_match=if_match)
        committed = store.commit([*plan.changes, *tags.count_change(plan.changes)])
        return finish(write, committed)

    return retrying(attempt)


def get_session(caller: Caller, session_id: str) -> Versioned:
    return versioned(load(Store(caller.user_id), "session", session_id))


def list_sessions(
    caller: Caller,
    *,
    start: str | None,
    end: str | None,
    task_id: str | None,
    tag_id: str | None = None,
    limit: int,
    next_token: str | None,
) -> tuple[list[dict[str, Any]], str | None]:
    """Sessions by startTimestamp ascending, `start` inclusive, `end` exclusive, optionally of
    one task and / or carrying one tag."""
    low = _bound("start", start) or _BEGINNING_OF_TIME
    high = _bound("end", end) or _END_OF_TIME

    def keep(record: dict[str, Any]) -> bool:
        return (
            record["start"] != high
            and (task_id is None or record["taskId"] == task_id)
            and (tag_id is None or tag_id in (record.get("tagIds") or ()))
        )

    records, token = Store(caller.user_id).query_page(
        between=(low, high), index="byStart", limit=limit, next_token=next_token, keep=keep
    )
    return [entity_of(r) for r in records], token


def _bound(name: str, value: str | None) -> str | None:
    if value is None:
        return None
    try:
        return format_timestamp(parse_timestamp(value))
    except ValueError as error:
        raise invalid_field(name, str(error)) from error


def delete_session(caller: Caller, session_id: str, *, if_match: str | None) -> None:
    def deletion(
        store: UnitOfWork, record: dict[str, Any], on_conflict: StintError | None
    ) -> list[Change]:
        return session_deletion(record, on_conflict=on_conflict)

    delete(caller, "session", session_id, if_match, deletion)

"""Sessions (contract section 5): time entries, running timers, tasks and projects by title.

The routes' operations; a write's plan and the session entity are `session_plan`'s, what a
session names (task, project, subtask, tags) is resolved by `session_refs`."""

from __future__ import annotations

from typing import Any

from stint.errors import Conflict, PreconditionFailed, StintError, invalid_field, not_found
from stint.models import SessionBody
from stint.services import tags
from stint.services.common import (
    ID_PATTERN,
    Caller,
    Versioned,
    check_if_match,
    check_path_id,
    delete,
    load,
    new_id,
    versioned,
)
from stint.services.session_plan import (
    Plan,
    SessionWrite,
    session_entity,
    session_put,
    stop_running,
)
from stint.services.session_refs import check_subtask, resolve_tags, resolve_task
from stint.services.tasks import (
    session_deletion,
)
from stint.store import (
    RUNNING_SK,
    Change,
    Committed,
    Guard,
    Store,
    UnitOfWork,
    entity_of,
    entity_sk,
    retrying,
)
from stint.timeutil import format_timestamp, parse_timestamp

# Sort before / after every timestamp: the open ends of a range (a key cannot be "").
_BEGINNING_OF_TIME = "0000"
_END_OF_TIME = "9999"


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
    task_id = resolve_task(store, plan, caller, body)
    check_subtask(store, body.session.subtaskId, task_id)
    session = session_entity(session_id, task_id, body.session, edited=existing is not None)
    session["tagIds"] = resolve_tags(store, plan, body.session)
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

"""Sessions (contract section 5): time entries, running timers, tasks and projects by title."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from stint.errors import Conflict, PreconditionFailed, StintError, invalid_field, not_found
from stint.models import MAX_SESSION_SECONDS, SessionBody, SessionFields
from stint.services import users
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
    Guard,
    Put,
    Require,
    Store,
    UnitOfWork,
    entity_of,
    entity_sk,
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

    def payload(self) -> dict[str, Any]:
        payload: dict[str, Any] = {"session": self.session.entity}
        if self.task is not None:
            payload["task"] = self.task
        if self.project is not None:
            payload["project"] = self.project
        return payload


@dataclass
class Plan:
    """The changes one request commits together, and the entities it creates."""

    changes: list[Change] = field(default_factory=list)
    created: dict[str, dict[str, Any]] = field(default_factory=dict)  # kind -> entity
    _required: set[tuple[str, str]] = field(default_factory=set)

    def stop(
        self, running: dict[str, Any], now: datetime, note: str | None = None
    ) -> dict[str, Any]:
        """Stop the running session `running` (as read) in this plan; the stopped session."""
        session = stopped(running, now, note)
        self.changes.append(session_put(session, expect_seq=int(running["seq"])))
        return session

    def require(self, kind: str, entity_id: str) -> None:
        """Commit only if the entity still exists (once per entity: a transaction may not
        touch one item twice)."""
        created_here = self.created.get(kind, {}).get("id") == entity_id
        if not created_here and (kind, entity_id) not in self._required:
            self._required.add((kind, entity_id))
            self.changes.append(Require(kind, entity_id))


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


def _normalized(title: str) -> str:
    return title.strip().casefold()


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
    guard_sk = title_guard_sk(kind, scope, _normalized(title))
    owner_id = store.get_guard(guard_sk)

    def matches(record: dict[str, Any] | None) -> bool:
        return (
            record is not None
            and active(record)
            and _normalized(record.get("title") or "") == _normalized(title)
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


# ----------------------------------------------------------------------------- routes


def write_session(
    caller: Caller,
    body: SessionBody,
    *,
    path_id: str | None = None,
    if_match: str | None = None,
) -> SessionWrite:
    """POST (path_id None) or PUT (replace, or create with that id) a session."""
    if path_id is not None:
        if not ID_PATTERN.match(path_id):  # not an id: a 404, as on every route (no create)
            raise not_found("session", path_id)
        check_path_id(body.session.id, path_id)

    def attempt() -> SessionWrite:
        store = UnitOfWork(caller.user_id)
        plan = Plan()
        session_id = path_id or body.session.id or new_id()
        store.prefetch(  # what it reads of what the request names, in one round trip
            *([entity_sk("session", session_id)] if path_id is not None else []),
            *([entity_sk("task", body.task.id)] if body.task and body.task.id else []),
            *([RUNNING_SK] if body.session.duration is None else []),
        )
        existing = store.get("session", session_id) if path_id is not None else None
        if existing is None and if_match is not None:
            raise PreconditionFailed("If-Match given, but there is no such session")
        on_conflict = check_if_match(if_match, existing) if existing else None
        task_id = _resolve_task(store, plan, caller, body)
        check_subtask(store, body.session.subtaskId, task_id)
        session = session_entity(session_id, task_id, body.session, edited=existing is not None)
        if session["running"]:
            _, running_id = stop_running(store, plan, keep=session_id)
            if running_id != session_id:
                plan.changes.append(Guard(RUNNING_SK, ref=session_id, expect=running_id))
        elif existing and existing.get("running"):
            plan.changes.append(Guard(RUNNING_SK, ref=None, expect=session_id))
        exists = Conflict(f"a session with id {session_id!r} already exists")
        put = session_put(
            session,
            expect_seq=int(existing["seq"]) if existing else None,
            on_conflict=on_conflict if existing else (exists if path_id is None else None),
        )
        committed = store.commit([*plan.changes, put])
        session["lastUpdated"] = committed.timestamp
        for entity in plan.created.values():
            entity["lastUpdated"] = committed.timestamp
        return SessionWrite(
            Versioned(session, committed.seq_of("session", session_id)),
            created=existing is None,
            task=plan.created.get("task"),
            project=plan.created.get("project"),
        )

    return retrying(attempt)


def get_session(caller: Caller, session_id: str) -> Versioned:
    return versioned(load(Store(caller.user_id), "session", session_id))


def list_sessions(
    caller: Caller,
    *,
    start: str | None,
    end: str | None,
    task_id: str | None,
    limit: int,
    next_token: str | None,
) -> tuple[list[dict[str, Any]], str | None]:
    """Sessions by startTimestamp ascending, `start` inclusive, `end` exclusive."""
    low = _bound("start", start) or _BEGINNING_OF_TIME
    high = _bound("end", end) or _END_OF_TIME

    def keep(record: dict[str, Any]) -> bool:
        return record["start"] != high and (task_id is None or record["taskId"] == task_id)

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

"""Sessions: the entity, its write (POST, PUT), its deletion, its reads.

A write reads what the body names (`session_keys`, one round trip with the counter), adds its
changes to a unit of work and commits them: the task (by id, or by title: `titles`), the
subtask, the tags (`tags.session_tags`), the running session it takes over (`running`). An
atomic batch makes the same writes through one unit of work (`stint.services.batch`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from stint import jsonio
from stint.errors import Conflict, PreconditionFailed, StintError, invalid_field, not_found
from stint.models import SessionBody, SessionFields, new_entity
from stint.services import access, entities, rates, running, tags, titles
from stint.services.access import Membership
from stint.services.common import (
    ID_PATTERN,
    Caller,
    Versioned,
    check_if_match,
    check_path_id,
    load,
    load_field,
    new_id,
)
from stint.services.entities import delete, plan_delete, rewrite
from stint.services.task_state import set_completion
from stint.store import (
    RUNNING_SK,
    WORKSPACE_SK,
    Change,
    Committed,
    Delete,
    Put,
    Store,
    UnitOfWork,
    entity_of,
    entity_sk,
    next_token_value,
    retrying,
)
from stint.timeutil import format_timestamp, parse_timestamp, utc_now

# Sort before / after every timestamp: the open ends of a range (a key cannot be "").
_BEGINNING_OF_TIME = "0000"
_END_OF_TIME = "9999"


@dataclass
class Written:
    """What a create or replace wrote: the session, and the task, project and tags it
    created (stamped by `committed`)."""

    session: Versioned
    created: bool
    task: dict[str, Any] | None = None
    project: dict[str, Any] | None = None
    tags: list[dict[str, Any]] = field(default_factory=list)

    def committed(self, committed: Committed) -> Written:
        """As `committed` wrote it: its entities stamped, the session's seq (its ETag)."""
        for entity in [self.session.entity, self.task, self.project, *self.tags]:
            if entity is not None:
                entity["lastUpdated"] = committed.timestamp
        # No seq: a later operation of an atomic batch deleted the session (no ETag to give).
        self.session.seq = committed.seqs.get(("session", self.session.entity["id"]), 0)
        return self

    def payload(self) -> dict[str, Any]:
        payload: dict[str, Any] = {"session": self.session.entity}
        if self.task is not None:
            payload["task"] = self.task
        if self.project is not None:
            payload["project"] = self.project
        if self.tags:
            payload["tags"] = self.tags
        return payload


def session_entity(
    session_id: str, task_id: str, fields: SessionFields, *, edited: bool
) -> dict[str, Any]:
    start = parse_timestamp(fields.startTimestamp)
    return new_entity(
        "session",
        id=session_id,
        taskId=task_id,
        subtaskId=fields.subtaskId,
        startTimestamp=format_timestamp(start),
        **running.timing(start, fields.duration),
        note=fields.note,
        type=fields.type,
        edited=edited,
        retroAdded=fields.retroAdded,
    )


def deletion(
    store: Store, record: dict[str, Any], on_conflict: StintError | None = None
) -> list[Change]:
    """Delete a session; a running one also frees the RUNNING guard."""
    changes: list[Change] = [
        Delete(
            "session",
            record["id"],
            int(record["seq"]),
            on_conflict=on_conflict,
            owner=entity_of(record).get("userId"),
        )
    ]
    if record.get("running"):
        changes.append(running.released(store, record["id"]))
    return changes


def _deletion_of_read(
    store: UnitOfWork, record: dict[str, Any], on_conflict: StintError | None
) -> list[Change]:
    return deletion(store, record, on_conflict)


# ----------------------------------------------------------------------------- writes


def check_session_path(body: SessionBody, path_id: str | None) -> None:
    """What a body must be before anything is read: a PUT's path id an id (else 404, as on
    every route) and the body's own; the task and the project named by an id or a title (what
    the single routes' schema states, SessionTaskRef, and an atomic batch's, SessionBatch; a
    non-atomic batch's operations leave it to this check, BatchSessionTaskRef; checked before
    an `If-Match` is)."""
    if path_id is not None:
        if not ID_PATTERN.match(path_id):
            raise not_found("session", path_id)
        check_path_id(body.session.id, path_id)
    for name, ref in (("task", body.task), ("project", body.project)):
        if ref is not None and ref.id is None and ref.title is None:
            raise invalid_field(name, "needs an id or a title")


def session_keys(body: SessionBody, path_id: str | None) -> list[str]:
    """What a write of `body` reads of what it names directly: read ahead in one round trip
    (with the workspace's record, whose rates price the session: services/rates.py)."""
    return [
        WORKSPACE_SK,
        *([entity_sk("session", path_id)] if path_id is not None else []),
        *([entity_sk("task", body.task.id)] if body.task and body.task.id else []),
        *([RUNNING_SK] if body.session.duration is None else []),
        *tags.name_keys(body.session),
    ]


def session_workspace(caller: Caller, body: SessionBody, path_id: str | None) -> Membership:
    """The workspace a session's write happens in: its task's (by id, or by the project its
    title is found in: `project.id`, `project.workspaceId`, `task.projectId`; else the
    personal one); a replaced session stays in its own (another is a 400)."""
    if body.task.id is not None:
        member = access.locate(caller, "task", body.task.id)
    elif body.project is not None and body.project.id is not None:
        member = access.locate(caller, "project", body.project.id)
    elif body.project is not None:
        member = access.where(caller, body.project.workspaceId, "project.workspaceId")
    elif body.task.projectId is not None:
        member = access.locate(caller, "project", body.task.projectId)
    else:
        member = access.personal(caller)
    if path_id is not None:
        current = access.locate(caller, "session", path_id)
        if current.workspace_id != member.workspace_id and _exists(caller, current, path_id):
            raise invalid_field("task", "a session stays in the workspace it was created in")
    return member


def _exists(caller: Caller, member: Membership, session_id: str) -> bool:
    return member.store(caller).get("session", session_id) is not None


def plan_write(
    store: UnitOfWork,
    caller: Caller,
    body: SessionBody,
    *,
    path_id: str | None,
    if_match: str | None,
    member: Membership | None = None,
) -> Written:
    """Add to `store` the changes that POST (path_id None) or PUT a session; what it will
    write (seqs and timestamps are the commit's: `Written.committed`)."""
    member = member or access.personal(caller)
    since = len(store.planned)
    session_id = path_id or body.session.id or new_id()
    existing = store.get("session", session_id) if path_id is not None else None
    if existing is not None:
        access.check(caller, member, "session", existing, "write")
    if existing is None and if_match is not None:
        raise PreconditionFailed("If-Match given, but there is no such session")
    on_conflict = check_if_match(if_match, existing) if existing else None
    task_id = _task_id(store, caller, body)
    _task_seen(store, caller, member, body, task_id)
    check_subtask(store, body.session.subtaskId, task_id)
    session = session_entity(session_id, task_id, body.session, edited=existing is not None)
    session["userId"] = entity_of(existing)["userId"] if existing else caller.user_id
    session["tagIds"] = tags.session_tags(store, body.session)
    if session["running"] and session["userId"] != caller.user_id:
        raise invalid_field("session.duration", "only its member runs a timer")
    if session["running"]:
        running.take_over(store, running.read(store), session_id, utc_now())
    elif existing and existing.get("running"):
        store.add(running.released(store, session_id))
    exists = Conflict(f"a session with id {session_id!r} already exists")
    store.add(
        Put(
            "session",
            rates.price(store, session),
            expect_seq=int(existing["seq"]) if existing else None,
            on_conflict=on_conflict if existing else (exists if path_id is None else None),
        )
    )
    task, project = (store.created(kind, since=since) for kind in ("task", "project"))
    return Written(
        Versioned(session, 0),
        created=existing is None,
        task=task[0] if task else None,
        project=project[0] if project else None,
        tags=store.created("tag", since=since),
    )


def _task_id(store: UnitOfWork, caller: Caller, body: SessionBody) -> str:
    """The session's task: by id (an unknown one is a 404, docs/API.md), else by title."""
    ref = body.task
    if ref.id is None:
        return titles.task_named(store, caller, body)
    record = load(store, "task", ref.id)
    task = entity_of(record)
    if ref.isCompleted is not None and ref.isCompleted != task.get("isCompleted"):
        set_completion(task, ref.isCompleted)
        store.add(rewrite("task", record, task))
    else:
        store.require("task", task["id"])
    return str(task["id"])


def _task_seen(
    store: UnitOfWork, caller: Caller, member: Membership, body: SessionBody, task_id: str
) -> None:
    """A session goes only on a task the caller sees (access.sees_project): a task named by id
    is a 404 otherwise, a project named by the body a 400 naming the field that named it. No
    project of the workspace was ever private (read with the task): nothing to judge."""
    task = None if access.sees_all(member) else store.get("task", task_id)
    if task is None or not store.ever_private or access.visible(caller, member, [task]):
        return
    if body.task.id is not None:
        raise not_found("task", task_id)
    project = body.project
    field = (
        "task.projectId"
        if project is None
        else f"project.{'title' if project.id is None else 'id'}"
    )
    raise invalid_field(field, "names a project the caller does not see")


def check_subtask(
    store: Store, subtask_id: str | None, task_id: str, field: str = "session.subtaskId"
) -> None:
    """A session's subtask must be a subtask of its task (400 naming the body field)."""
    if subtask_id is None:
        return
    subtask = load_field(store, "subtask", subtask_id, field)
    if subtask["taskId"] != task_id:
        raise invalid_field(field, "must be a subtask of the session's task")


def plan_delete_session(
    store: UnitOfWork, caller: Caller, member: Membership, session_id: str, if_match: str | None
) -> None:
    """Add to `store` the deletion of a session the caller may delete."""

    def allowed(record: dict[str, Any]) -> None:
        access.check(caller, member, "session", record, "delete")

    plan_delete(store, "session", session_id, if_match, _deletion_of_read, check=allowed)


# ----------------------------------------------------------------------------- routes


def write_session(
    caller: Caller,
    body: SessionBody,
    *,
    path_id: str | None = None,
    if_match: str | None = None,
) -> Written:
    """POST (path_id None) or PUT (replace, or create with that id) a session."""
    check_session_path(body, path_id)

    member = session_workspace(caller, body, path_id)

    def attempt() -> Written:
        store = member.unit(caller)
        store.prefetch(*session_keys(body, path_id))
        written = plan_write(store, caller, body, path_id=path_id, if_match=if_match, member=member)
        created = [*store.created("project"), *store.created("tag")]
        if created:
            member.require("catalog")
        return written.committed(store.commit())

    return retrying(attempt)


def delete_session(caller: Caller, session_id: str, *, if_match: str | None) -> None:
    delete(caller, "session", session_id, if_match, _deletion_of_read)


def get_session(caller: Caller, session_id: str) -> Versioned:
    return entities.get(caller, "session", session_id)


def list_sessions(
    caller: Caller,
    *,
    start: str | None,
    end: str | None,
    task_id: str | None,
    tag_id: str | None = None,
    workspace_id: str | None = None,
    user_id: str | None = None,
    limit: int,
    next_token: str | None,
) -> tuple[list[dict[str, Any]], str | None]:
    """Sessions by startTimestamp ascending, `start` inclusive, `end` exclusive, optionally of
    one task and / or carrying one tag: the caller's own in every workspace, or a workspace's
    (`access.time_scopes`). Each workspace's range is read from the page token's key on, at
    most `limit` a workspace, and merged."""
    low = _bound("start", start) or _BEGINNING_OF_TIME
    high = _bound("end", end) or _END_OF_TIME
    where = access.time_scopes(caller, workspace_id, user_id)
    after = _after(next_token, [member.workspace_id for member, _ in where])
    if after is not None:
        low = max(low, after[0])
    found: list[tuple[tuple[str, str, str], dict[str, Any]]] = []
    more = False
    for member, whose in where:

        def keep(record: dict[str, Any], ws: str = member.workspace_id, who: Any = whose) -> bool:
            return (
                record["start"] != high
                and (task_id is None or record["taskId"] == task_id)
                and (tag_id is None or tag_id in (record.get("tagIds") or ()))
                and (who is None or entity_of(record)["userId"] == who)
                and (after is None or (record["start"], ws, record["sk"]) > after)
            )

        records, token = member.store(caller).query_page(
            between=(low, high), index="byStart", limit=limit, next_token=None, keep=keep
        )
        records = access.visible(caller, member, records)
        more = more or token is not None
        found += [((r["start"], member.workspace_id, r["sk"]), r) for r in records]
    found.sort(key=lambda pair: pair[0])
    page = found[:limit]
    if (more or len(found) > limit) and page:
        return [entity_of(r) for _, r in page], jsonio.to_token(list(page[-1][0]))
    return [entity_of(r) for _, r in page], None


def _after(token: str | None, workspace_ids: list[str]) -> tuple[str, str, str] | None:
    """The key a page token continues after: (start, workspace id, sort key)."""
    if token is None:
        return None
    value = next_token_value(
        token,
        lambda v: (
            isinstance(v, list)
            and len(v) == 3
            and all(isinstance(part, str) for part in v)
            and v[1] in workspace_ids
        ),
    )
    return (value[0], value[1], value[2])


def _bound(name: str, value: str | None) -> str | None:
    if value is None:
        return None
    try:
        return format_timestamp(parse_timestamp(value))
    except ValueError as error:
        raise invalid_field(name, str(error)) from error

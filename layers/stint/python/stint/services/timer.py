"""Task events and my timer (docs/DESIGN.md, "Tasks and timers"; docs/API.md,
"Timers"): the sessions they start and stop are `running`'s, the task's status follows the
events (`task_state`), and the task and its sessions commit in one transaction."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from stint.errors import NotFound, not_found
from stint.models import TaskEvent, TimerStart
from stint.services import access, running
from stint.services.common import (
    Caller,
    Versioned,
    check_if_match,
    load,
    load_field,
    stamped,
)
from stint.services.entities import rewrite
from stint.services.sessions import check_subtask
from stint.services.task_state import STOPPING_EVENTS, apply_event_status, refuse_completed
from stint.store import (
    RUNNING_SK,
    WORKSPACE_SK,
    Store,
    UnitOfWork,
    entity_of,
    entity_sk,
    retrying,
)
from stint.timeutil import utc_now

# ----------------------------------------------------------------------------- task events


@dataclass
class EventResult:
    task: Versioned
    session: dict[str, Any] | None  # the session the event started or stopped

    def payload(self) -> dict[str, Any]:
        payload: dict[str, Any] = {"task": self.task.entity}
        if self.session is not None:
            payload["session"] = self.session
        return payload


def apply_event(
    caller: Caller, task_id: str, event: TaskEvent, note: str | None, if_match: str | None
) -> EventResult:
    """A Time Magic task event, task and sessions in one transaction."""

    member = access.locate(caller, "task", task_id)

    def attempt() -> EventResult:
        store, now = member.unit(caller), utc_now()
        store.prefetch(entity_sk("task", task_id), RUNNING_SK)  # one round trip
        record = load(store, "task", task_id)
        access.seen(caller, member, "task", record)
        on_conflict = check_if_match(if_match, record)
        task = entity_of(record)
        refuse_completed(task, event)
        now_running = running.read(store)
        # The running session, if it is this task's (a user has at most one).
        session = now_running.session
        here = now_running.workspace_id == store.workspace_id
        running_here = session if here and session and session["taskId"] == task_id else None
        written = None  # the session this event starts or stops
        if event == "start_tracking" and running_here is None:
            written = running.new_running_session(task_id, now, note=note, userId=caller.user_id)
            running.start(store, now_running, written, now)
        elif event in STOPPING_EVENTS and running_here is not None:
            written = running.stop(store, running_here, now, note=note)
        apply_event_status(task, event)
        store.add(rewrite("task", record, task, on_conflict=on_conflict))
        committed = store.commit()
        answered = None if written is None else stamped(written, committed)
        if event == "start_tracking" and written is None and running_here is not None:
            answered = entity_of(running_here)  # the task was tracked already: unchanged
        task = stamped(task, committed)
        return EventResult(Versioned(task, committed.seq_of("task", task_id)), answered)

    return retrying(attempt)


# ----------------------------------------------------------------------------- my timer


def _timer(
    store: Store, session: dict[str, Any], task: dict[str, Any], now: datetime
) -> dict[str, Any]:
    """The timer's answer: the session with its task, project and elapsed time."""
    project = entity_of(load(store, "project", task["projectId"]))
    return {
        "session": session,
        "task": task,
        "project": project,
        "elapsed": running.elapsed_seconds(session, now),
    }


def get_timer(caller: Caller) -> dict[str, Any] | None:
    """The caller's running timer, in whichever of their workspaces it runs."""
    now_running = running.read(Store(caller.user_id))
    session = now_running.session
    if session is None:
        return None
    store = Store(caller.user_id, now_running.workspace_id)
    task = entity_of(load(store, "task", session["taskId"]))
    return _timer(store, entity_of(session), task, utc_now())


@dataclass
class TimerStarted:
    timer: dict[str, Any]
    stopped: dict[str, Any] | None

    def payload(self) -> dict[str, Any]:
        payload: dict[str, Any] = {"timer": self.timer}
        if self.stopped is not None:
            payload["stopped"] = self.stopped
        return payload


def start_timer(caller: Caller, body: TimerStart) -> TimerStarted:
    """Start a timer on a task (Worksection's start_my_timer, Time Magic's start_tracking):
    always a new session, the running one stopped first and returned as `stopped`."""

    member = access.locate(caller, "task", body.taskId)

    def attempt() -> TimerStarted:
        store, now = member.unit(caller), utc_now()
        store.prefetch(entity_sk("task", body.taskId), RUNNING_SK)  # one round trip
        record = load_field(store, "task", body.taskId, "taskId")
        access.seen(caller, member, "task", record, "taskId")
        task = entity_of(record)
        refuse_completed(task)
        # The next round trip: the running session (to stop it) and the project (the answer).
        running_id = running.session_here(store, store.get_guard(RUNNING_SK))
        store.prefetch(
            *([entity_sk("session", running_id)] if running_id else []),
            entity_sk("project", task["projectId"]),
        )
        check_subtask(store, body.subtaskId, body.taskId, "subtaskId")
        fields = {"note": body.note, "type": body.type, "subtaskId": body.subtaskId}
        session = running.new_running_session(body.taskId, now, userId=caller.user_id, **fields)
        previous = running.start(store, running.read(store), session, now)
        task_changed = task["status"] != "in_progress"
        if task_changed:
            task["status"] = "in_progress"
            store.add(rewrite("task", record, task))
        else:
            store.require("task", body.taskId)
        committed = store.commit()
        if task_changed:
            task = stamped(task, committed)
        timer = _timer(store, stamped(session, committed), task, now)
        return TimerStarted(timer, previous and stamped(previous, committed))

    return retrying(attempt)


def stop_timer(
    owner_id: str,
    note: str | None,
    *,
    session_id: str | None = None,
    workspace: str | None = None,
    known: Sequence[dict[str, Any]] = (),
) -> Versioned:
    """Stop the owner's running timer (theirs: `POST /v1/timer/stop`, in whichever workspace it
    runs; a member's, by a manager: `session_id` in `workspace` names it). Its task, if in
    progress, is paused. `known`: items of the workspace the request has read (the named
    session, the workspace's record), which the first attempt is not to read again."""
    given = list(known)

    def attempt() -> Versioned:
        store, now = UnitOfWork(owner_id, workspace), utc_now()
        store.known(*given)
        if session_id is not None:  # named: the guard with the session, or its task if known
            sk = entity_sk("session", session_id)
            named = next((r for r in given if r["sk"] == sk), None)
            after = [entity_sk("task", named["taskId"]), WORKSPACE_SK] if named else []
            store.prefetch(RUNNING_SK, sk, *after)
        elif (where := running.workspace_of_guard(store)) not in (None, store.workspace_id):
            store = UnitOfWork(owner_id, where)
        given.clear()  # an attempt that runs again reads afresh
        session = running.read(store).session
        if session is None and session_id is None:
            raise NotFound("There is no running timer", code="no_running_timer")
        if session is None or (session_id is not None and session["id"] != session_id):
            raise not_found("timer", session_id or "")
        stopped = running.stop(store, session, now, note=note)
        running.pause_task(store, session["taskId"])
        committed = store.commit()
        return Versioned(stamped(stopped, committed), committed.seq_of("session", stopped["id"]))

    return retrying(attempt)

"""Task lifecycle and timers (contract section 7): task events, my timer, stopping a timer.

A user has at most one running session (a running timer). The `RUNNING` guard item names it,
and every start writes the guard conditioned on the value it read, in the same transaction as
the new session and the stop of the previous one: two concurrent starts cannot both commit,
the loser runs again and stops the winner's session. So there is never more than one running
session, and never none after a start.

Task status follows the events: a task being tracked is `in_progress`; stopping its session
makes it `paused` (and so does starting another task, which stops this one's session).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from stint.errors import Conflict, NotFound, not_found
from stint.models import SessionFields, TaskEvent, TimerStart
from stint.services.common import (
    Caller,
    Versioned,
    check_if_match,
    load,
    load_field,
    new_id,
    stamped,
)
from stint.services.session_plan import Plan, running_session, session_entity, session_put
from stint.services.session_refs import check_subtask
from stint.services.tasks import set_completion, task_update
from stint.store import (
    RUNNING_SK,
    Committed,
    Guard,
    Store,
    UnitOfWork,
    entity_of,
    entity_sk,
    retrying,
)
from stint.timeutil import format_timestamp, parse_timestamp, utc_now

# Events that stop the task's running session, if it has one.
_STOPPING_EVENTS = frozenset({"stop_tracking", "pause", "finish", "reopen"})
# Events a completed task refuses (`409 conflict`): it must be reopened first.
_OPEN_TASK_EVENTS = frozenset(
    {"start_tracking", "start_without_tracking", "stop_tracking", "pause"}
)


@dataclass
class Tracking:
    """The sessions and tasks one attempt writes, stamped once the commit is done."""

    store: UnitOfWork
    plan: Plan
    now: datetime

    @classmethod
    def of(cls, user_id: str) -> Tracking:
        return cls(UnitOfWork(user_id), Plan(), utc_now())

    def start(
        self, running: dict[str, Any] | None, guard: str | None, session: dict[str, Any]
    ) -> dict[str, Any] | None:
        """Start `session`, stopping `running` (as read with the guard) first; its task, if
        another one and in progress, is paused. Returns the stopped session."""
        previous = None
        if running is not None:
            previous = self.stop(running, note=None, clear_guard=False)
            if running["taskId"] != session["taskId"]:
                self.pause_task(running["taskId"])
        self.plan.changes.append(Guard(RUNNING_SK, ref=session["id"], expect=guard))
        self.plan.changes.append(session_put(session, expect_seq=None))
        return previous

    def stop(
        self, running: dict[str, Any], *, note: str | None, clear_guard: bool = True
    ) -> dict[str, Any]:
        """Stop the running session `running`: whole seconds since its start."""
        session = self.plan.stop(running, self.now, note)
        if clear_guard:
            self.plan.changes.append(Guard(RUNNING_SK, ref=None, expect=running["id"]))
        return session

    def pause_task(self, task_id: str) -> None:
        """A task whose session was stopped is paused (if it was in progress)."""
        record = self.store.get("task", task_id)
        if record is not None and record.get("status") == "in_progress":
            self.write_task(record, {**entity_of(record), "status": "paused"})

    def write_task(
        self, record: dict[str, Any], task: dict[str, Any], on_conflict: Any = None
    ) -> None:
        self.plan.changes.append(task_update(record, task, on_conflict))

    def commit(self) -> Committed:
        return self.store.commit(self.plan.changes)


def new_running_session(
    task_id: str, now: datetime, *, note: str | None = None, **fields: Any
) -> dict[str, Any]:
    """A running session starting now, at a whole second (so its duration, once stopped, is
    exactly the seconds between its start and end timestamps)."""
    start = format_timestamp(now.replace(microsecond=0))
    body = SessionFields(startTimestamp=start, duration=None, note=note, **fields)
    return session_entity(new_id(), task_id, body, edited=False)


def _refuse_completed(task: dict[str, Any]) -> None:
    if task.get("isCompleted"):
        raise Conflict("The task is completed; reopen it first")


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
    """A Time Magic task event (contract section 7), task and sessions in one transaction."""

    def attempt() -> EventResult:
        tracking = Tracking.of(caller.user_id)
        tracking.store.prefetch(entity_sk("task", task_id), RUNNING_SK)  # one round trip
        record = load(tracking.store, "task", task_id)
        on_conflict = check_if_match(if_match, record)
        task = entity_of(record)
        if event in _OPEN_TASK_EVENTS:
            _refuse_completed(task)
        running, guard = running_session(tracking.store)
        # The running session, if it is this task's (a user has at most one).
        running_here = running if running is not None and running["taskId"] == task_id else None
        written = None  # the session this event starts or stops
        if event == "start_tracking" and running_here is None:
            written = new_running_session(task_id, tracking.now, note=note)
            tracking.start(running, guard, written)
        elif event in _STOPPING_EVENTS and running_here is not None:
            written = tracking.stop(running_here, note=note)
        if event in ("start_tracking", "start_without_tracking"):
            task["status"] = "in_progress"
        elif event in ("stop_tracking", "pause"):
            task["status"] = "paused"
        elif event == "finish":
            set_completion(task, True)  # a permanent task: 409 permanent_task
        else:  # reopen
            set_completion(task, False)
            task["status"] = "todo"
        tracking.write_task(record, task, on_conflict)
        committed = tracking.commit()
        session = None if written is None else stamped(written, committed)
        if event == "start_tracking" and written is None and running_here is not None:
            session = entity_of(running_here)  # the task was tracked already: unchanged
        task = stamped(task, committed)
        return EventResult(Versioned(task, committed.seq_of("task", task_id)), session)

    return retrying(attempt)


# ----------------------------------------------------------------------------- my timer


def elapsed_seconds(session: dict[str, Any], now: datetime) -> int:
    return max(int((now - parse_timestamp(session["startTimestamp"])).total_seconds()), 0)


def _timer(
    store: Store, session: dict[str, Any], task: dict[str, Any], now: datetime
) -> dict[str, Any]:
    """The timer shape of section 7: the session with its task, project and elapsed time."""
    project = entity_of(load(store, "project", task["projectId"]))
    return {
        "session": session,
        "task": task,
        "project": project,
        "elapsed": elapsed_seconds(session, now),
    }


def get_timer(caller: Caller) -> dict[str, Any] | None:
    store = Store(caller.user_id)
    running, _ = running_session(store)
    if running is None:
        return None
    task = entity_of(load(store, "task", running["taskId"]))
    return _timer(store, entity_of(running), task, utc_now())


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

    def attempt() -> TimerStarted:
        tracking = Tracking.of(caller.user_id)
        tracking.store.prefetch(entity_sk("task", body.taskId), RUNNING_SK)  # one round trip
        record = load_field(tracking.store, "task", body.taskId, "taskId")
        task = entity_of(record)
        _refuse_completed(task)
        # The next round trip: the running session (to stop it) and the project (the answer).
        running_id = tracking.store.get_guard(RUNNING_SK)
        tracking.store.prefetch(
            *([entity_sk("session", running_id)] if running_id else []),
            entity_sk("project", task["projectId"]),
        )
        check_subtask(tracking.store, body.subtaskId, body.taskId, "subtaskId")
        running, guard = running_session(tracking.store)
        session = new_running_session(
            body.taskId, tracking.now, note=body.note, type=body.type, subtaskId=body.subtaskId
        )
        previous = tracking.start(running, guard, session)
        task_changed = task["status"] != "in_progress"
        if task_changed:
            task["status"] = "in_progress"
            tracking.write_task(record, task)
        else:
            tracking.plan.require("task", body.taskId)
        committed = tracking.commit()
        if task_changed:
            task = stamped(task, committed)
        timer = _timer(tracking.store, stamped(session, committed), task, tracking.now)
        return TimerStarted(timer, previous and stamped(previous, committed))

    return retrying(attempt)


def stop_timer(owner_id: str, note: str | None, *, session_id: str | None = None) -> Versioned:
    """Stop the owner's running timer (theirs: `POST /v1/timer/stop`; a member's, by a team
    admin: `session_id` names it). Its task, if in progress, is paused."""

    def attempt() -> Versioned:
        tracking = Tracking.of(owner_id)
        if session_id is not None:  # named: read the guard and the session in one round trip
            tracking.store.prefetch(RUNNING_SK, entity_sk("session", session_id))
        running, _ = running_session(tracking.store)
        if running is None and session_id is None:
            raise NotFound("There is no running timer", code="no_running_timer")
        if running is None or (session_id is not None and running["id"] != session_id):
            raise not_found("timer", session_id or "")
        session = tracking.stop(running, note=note)
        tracking.pause_task(running["taskId"])
        committed = tracking.commit()
        return Versioned(stamped(session, committed), committed.seq_of("session", session["id"]))

    return retrying(attempt)

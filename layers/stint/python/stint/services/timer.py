"""Task lifecycle events and my timer (contract section 7: Time Magic, Worksection).

A timer is a running session. At most one runs per user: starting one takes over the RUNNING
guard, conditioned on what it held, in the same transaction that stops the old session and
starts the new one, so concurrent starts leave exactly one running.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from stint.errors import Conflict, NotFound
from stint.services.common import Caller, load, load_field, new_id
from stint.services.sessions import Plan, session_put, stop_running, stopped
from stint.services.tasks import set_completion, task_parent
from stint.store import RUNNING_SK, Guard, Put, Store, entity_of, retrying
from stint.timeutil import format_timestamp, parse_timestamp, utc_now

TaskEvent = Literal[
    "start_tracking", "stop_tracking", "pause", "start_without_tracking", "finish", "reopen"
]
_STATUS_AFTER: dict[str, str] = {
    "start_tracking": "in_progress",
    "start_without_tracking": "in_progress",
    "stop_tracking": "paused",
    "pause": "paused",
}


@dataclass
class EventResult:
    task: dict[str, Any]
    session: dict[str, Any] | None  # the session started or stopped, if any


def _new_running_session(
    task_id: str, *, subtask_id: str | None = None, note: str | None = None, kind: str = "session"
) -> dict[str, Any]:
    # Whole seconds: a stopped timer's duration is whole seconds since its start.
    start = utc_now().replace(microsecond=0)
    return {
        "id": new_id(),
        "taskId": task_id,
        "subtaskId": subtask_id,
        "startTimestamp": format_timestamp(start),
        "duration": None,
        "endTimestamp": None,
        "running": True,
        "note": note,
        "type": kind,
        "edited": False,
        "retroAdded": False,
    }


def _refuse_start_of_completed(task: dict[str, Any]) -> None:
    if task.get("isCompleted"):
        raise Conflict("The task is completed; reopen it first")


def _start(store: Store, plan: Plan, session: dict[str, Any]) -> dict[str, Any] | None:
    """Plan a new running session; returns the session it stops first, if any."""
    stopped_session, running_id = stop_running(store, plan)
    plan.changes.append(Guard(RUNNING_SK, ref=session["id"], expect=running_id))
    plan.changes.append(session_put(session, expect_seq=None))
    return stopped_session


def _stop_on_task(
    store: Store, plan: Plan, task_id: str, note: str | None
) -> dict[str, Any] | None:
    """Plan stopping the caller's running session if it is on this task."""
    running_id = store.get_guard(RUNNING_SK)
    if running_id is None:
        return None
    record = store.get("session", running_id)
    if record is None or not record.get("running") or record["taskId"] != task_id:
        return None
    session = stopped(record, utc_now(), note)
    plan.changes.append(session_put(session, expect_seq=int(record["seq"])))
    plan.changes.append(Guard(RUNNING_SK, ref=None, expect=running_id))
    return session


def _commit(store: Store, plan: Plan, *entities: tuple[str, dict[str, Any]]) -> None:
    committed = store.commit(plan.changes)
    for _, entity in entities:
        entity["lastUpdated"] = committed.timestamp


def apply_event(caller: Caller, task_id: str, event: TaskEvent, note: str | None) -> EventResult:
    def attempt() -> EventResult:
        store = Store(caller.user_id)
        record = load(store, "task", task_id)
        task = entity_of(record)
        plan = Plan()
        session: dict[str, Any] | None = None
        if event in ("start_tracking", "start_without_tracking"):
            _refuse_start_of_completed(task)
        if event == "start_tracking":
            session = _new_running_session(task_id, note=note)
            _start(store, plan, session)
        elif event in ("stop_tracking", "pause", "finish"):
            session = _stop_on_task(store, plan, task_id, note)
        if event == "finish":
            if task.get("taskType") == "permanent":
                raise Conflict("A permanent task cannot be finished", code="permanent_task")
            set_completion(task, True)
        elif event == "reopen":
            set_completion(task, False)
            task["status"] = "todo"
        else:
            task["status"] = _STATUS_AFTER[event]
        plan.changes.append(
            Put("task", task, expect_seq=int(record["seq"]), parent=task_parent(task))
        )
        _commit(store, plan, ("task", task), *([("session", session)] if session else []))
        return EventResult(task, session)

    return retrying(attempt)


# ----------------------------------------------------------------------------- my timer


def current_timer(caller: Caller) -> dict[str, Any] | None:
    """`{session, task, project, elapsed}` of the running session, or None."""
    store = Store(caller.user_id)
    running_id = store.get_guard(RUNNING_SK)
    record = store.get("session", running_id) if running_id else None
    if record is None or not record.get("running"):
        return None
    session = entity_of(record)
    task = store.get("task", session["taskId"])
    project = store.get("project", task["projectId"]) if task else None
    elapsed = int((utc_now() - parse_timestamp(session["startTimestamp"])).total_seconds())
    return {
        "session": session,
        "task": entity_of(task) if task else None,
        "project": entity_of(project) if project else None,
        "elapsed": max(elapsed, 0),
    }


def start_timer(
    caller: Caller,
    task_id: str,
    *,
    subtask_id: str | None = None,
    note: str | None = None,
    kind: str = "session",
) -> tuple[dict[str, Any], dict[str, Any] | None]:
    """Start a timer on a task (stopping the running one first); (timer, stopped)."""

    def attempt() -> tuple[dict[str, Any], dict[str, Any] | None]:
        store = Store(caller.user_id)
        record = load_field(store, "task", task_id, "taskId")
        task = entity_of(record)
        _refuse_start_of_completed(task)
        if subtask_id is not None:
            subtask = load_field(store, "subtask", subtask_id, "subtaskId")
            if subtask["taskId"] != task_id:
                raise Conflict("The subtask belongs to another task")
        plan = Plan()
        session = _new_running_session(task_id, subtask_id=subtask_id, note=note, kind=kind)
        stopped_session = _start(store, plan, session)
        task["status"] = "in_progress"
        plan.changes.append(
            Put("task", task, expect_seq=int(record["seq"]), parent=task_parent(task))
        )
        _commit(
            store,
            plan,
            ("session", session),
            ("task", task),
            *([("session", stopped_session)] if stopped_session else []),
        )
        project = store.get("project", task["projectId"])
        timer = {
            "session": session,
            "task": task,
            "project": entity_of(project) if project else None,
            "elapsed": 0,
        }
        return timer, stopped_session

    return retrying(attempt)


def stop_timer(caller: Caller, note: str | None) -> dict[str, Any]:
    """Stop the caller's running session; 404 no_running_timer when there is none."""

    def attempt() -> dict[str, Any]:
        store = Store(caller.user_id)
        running_id = store.get_guard(RUNNING_SK)
        record = store.get("session", running_id) if running_id else None
        if record is None or not record.get("running"):
            raise NotFound("No timer is running", code="no_running_timer")
        plan = Plan()
        session = stopped(record, utc_now(), note)
        plan.changes.append(session_put(session, expect_seq=int(record["seq"])))
        plan.changes.append(Guard(RUNNING_SK, ref=None, expect=running_id))
        _commit(store, plan, ("session", session))
        return session

    return retrying(attempt)

"""A task's status and completion: `status == "completed"` iff `isCompleted`, a permanent task
is never completed, and what each task event makes of the status (docs/DESIGN.md, "Tasks
and timers")."""

from __future__ import annotations

from typing import Any

from stint.errors import Conflict
from stint.models import TaskEvent

# Events that stop the task's running session, if it has one.
STOPPING_EVENTS = frozenset({"stop_tracking", "pause", "finish", "reopen"})
# Events a completed task refuses (`409 conflict`): it must be reopened first.
_OPEN_TASK_EVENTS = frozenset(
    {"start_tracking", "start_without_tracking", "stop_tracking", "pause"}
)


def set_completion(task: dict[str, Any], is_completed: bool) -> None:
    """Set isCompleted and keep status in agreement (completed iff isCompleted)."""
    if is_completed:
        task["status"] = "completed"
    elif task.get("isCompleted"):
        task["status"] = "todo"
    task["isCompleted"] = is_completed
    check_not_completed_permanent(task)


def completion_patched(record: dict[str, Any], task: dict[str, Any]) -> None:
    """A PATCH's `isCompleted` (already in `task`) moves the status from what was `record`."""
    if task["isCompleted"] != bool(record.get("isCompleted")):
        task["status"] = "completed" if task["isCompleted"] else "todo"
    check_not_completed_permanent(task)


def check_not_completed_permanent(task: dict[str, Any]) -> None:
    """A permanent task (Time Magic) is never completed: finishing it is `409 permanent_task`,
    and so is any other way of completing it (isCompleted, or making a completed task
    permanent)."""
    if task.get("taskType") == "permanent" and task.get("isCompleted"):
        raise Conflict("A permanent task cannot be completed", code="permanent_task")


def refuse_completed(task: dict[str, Any], event: TaskEvent | None = None) -> None:
    """A completed task refuses being tracked (and the events of an open task): `409`."""
    if task.get("isCompleted") and (event is None or event in _OPEN_TASK_EVENTS):
        raise Conflict("The task is completed; reopen it first")


def apply_event_status(task: dict[str, Any], event: TaskEvent) -> None:
    """The task's status after `event` (the sessions it starts or stops are `running`'s)."""
    if event in ("start_tracking", "start_without_tracking"):
        task["status"] = "in_progress"
    elif event in ("stop_tracking", "pause"):
        task["status"] = "paused"
    elif event == "finish":
        set_completion(task, True)  # a permanent task: 409 permanent_task
    else:  # reopen
        set_completion(task, False)
        task["status"] = "todo"

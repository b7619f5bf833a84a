"""Tasks and subtasks (TasksFunction): their request bodies and their answers. Task events
(`POST /v1/tasks/{taskId}/events`) are the timer's, in `stint.models.timer`."""

from __future__ import annotations

from typing import Any, ClassVar, NotRequired

from pydantic import Field, StrictBool
from typing_extensions import TypedDict

from stint.models.base import BaseModel, Ignored, RequestBody, absent
from stint.models.entities import Subtask, Task, TaskType
from stint.models.values import ClientId, IgnoredTimestamp, Note, PlannedSeconds, Title


class TaskFields(RequestBody):
    title: Title | None = None
    projectId: ClientId = absent()
    isCompleted: StrictBool = absent()
    taskType: TaskType = absent()
    billable: StrictBool = absent()
    plannedDuration: PlannedSeconds | None = None
    assigneeId: ClientId | None = None
    id: ClientId = absent()
    # Read-only: changed by isCompleted and by task events (services/task_state.py).
    status: Ignored = None
    # Read-only: a task is in its project's workspace, made by the member who created it.
    workspaceId: Ignored = None
    createdBy: Ignored = None
    lastUpdated: IgnoredTimestamp | None = None


class SubtaskPatchFields(RequestBody):
    """Writable subtask fields; a PATCH sets only those present."""

    title: Title = absent()
    taskId: ClientId = absent()
    isCompleted: StrictBool = absent()
    plannedDuration: PlannedSeconds | None = None
    id: ClientId = absent()
    workspaceId: Ignored = None  # its task's
    lastUpdated: IgnoredTimestamp | None = None


class TaskBody(RequestBody):
    task: TaskFields


# One schema for both forms, not a union of `{task}` and `{note}`: openapi-python-client could
# not send a union as an optional body (docs/DESIGN.md, "The OpenAPI document"). At most one of
# the two is sent.
class TaskPatch(RequestBody):
    """`PATCH /v1/tasks/{taskId}`'s body: `{task}` changes the task; with `?event=` (Time
    Magic's form of a task event) it is `{note}` or nothing."""

    max_fields: ClassVar[int | None] = 1
    example: ClassVar[dict[str, Any] | None] = {"task": {"title": "Homepage", "isCompleted": True}}
    task: TaskFields = absent("The fields to change: only those sent change (not with `?event=`)")
    note: Note | None = Field(None, description="With `?event=`: the note of the session")


class SubtaskFields(SubtaskPatchFields):
    """A new subtask's fields: as a PATCH's, its title required."""

    title: Title


class SubtaskBody(RequestBody):
    subtask: SubtaskFields


class SubtaskPatch(RequestBody):
    subtask: SubtaskPatchFields


class TaskEnvelope(BaseModel):
    task: Task


class TaskList(TypedDict):
    tasks: list[Task]
    nextToken: NotRequired[str]


class SubtaskEnvelope(BaseModel):
    subtask: Subtask


class SubtaskList(TypedDict):
    subtasks: list[Subtask]
    nextToken: NotRequired[str]

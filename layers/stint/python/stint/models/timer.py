"""The timer (TimerFunction) and task events (`POST /v1/tasks/{taskId}/events`,
docs/API.md "Timers"), which start, pause and stop it: their bodies and their answers."""

from __future__ import annotations

from typing import Annotated, Literal, NotRequired

from pydantic import Field
from typing_extensions import TypedDict

from stint.models.base import BaseModel, RequestBody
from stint.models.entities import Project, Session, SessionType, Task
from stint.models.values import ClientId, Note

TaskEvent = Literal[
    "start_tracking", "stop_tracking", "pause", "start_without_tracking", "finish", "reopen"
]


class TaskEventBody(RequestBody):
    """`POST /v1/tasks/{taskId}/events` (docs/API.md, "Timers")."""

    event: TaskEvent
    note: Note | None = None


class TimerStart(RequestBody):
    taskId: ClientId
    subtaskId: ClientId | None = None
    note: Note | None = None
    type: SessionType = "session"


class TimerStop(RequestBody):
    note: Note | None = None


class TaskEventResult(TypedDict):
    """A task event's answer (and a task's PATCH's, whose `{task}` is one without a session)."""

    task: Task
    session: NotRequired[
        Annotated[Session, Field(description="The session the event started or stopped")]
    ]


class Timer(BaseModel):
    session: Session
    task: Task
    project: Project
    elapsed: int = Field(description="Seconds since the session started")


class TimerEnvelope(BaseModel):
    timer: Timer | None


class TimerStarted(TypedDict):
    timer: Timer
    stopped: NotRequired[Session]

"""Sessions (SessionsFunction): the body that writes one, with its task and project found or
created by title, and the answers."""

from __future__ import annotations

from typing import Annotated, ClassVar, NotRequired

from pydantic import Field, StrictBool
from typing_extensions import TypedDict

from stint.models.base import BaseModel, Ignored, RequestBody, absent
from stint.models.entities import Project, Session, SessionType, Tag, Task
from stint.models.values import (
    TAGS_PER_SESSION,
    ClientId,
    IgnoredTimestamp,
    Note,
    SessionSeconds,
    TagName,
    Timestamp,
    Title,
)


class SessionTaskRef(RequestBody):
    """The session's task: an existing one by `id`, or one found or created by `title` (one of
    the two is required: `400 validation_error` without either)."""

    # The document states it; services/sessions.py (`check_session_path`) refuses it, after a
    # PUT's path id is checked (a malformed one is a 404 first), as it did before the document
    # stated it. A batch's operation has BatchSessionTaskRef (models/batch.py).
    one_required: ClassVar[tuple[str, ...]] = ("id", "title")

    id: ClientId = absent()
    title: Title = absent()
    projectId: ClientId | None = None
    isCompleted: StrictBool = absent()
    lastUpdated: IgnoredTimestamp | None = None


class SessionProjectRef(RequestBody):
    """The task's project: an existing one by `id`, or one found or created by `title` (one of
    the two is required when `project` is sent)."""

    one_required: ClassVar[tuple[str, ...]] = ("id", "title")  # as SessionTaskRef's

    id: ClientId = absent()
    title: Title = absent()
    workspaceId: ClientId = absent(
        "Where a project named by `title` is found or created (default: the personal one)"
    )
    lastUpdated: IgnoredTimestamp | None = None


class SessionFields(RequestBody):
    id: ClientId = absent()
    startTimestamp: Timestamp
    # null: a running session (a running timer)
    duration: SessionSeconds | None
    note: Note | None = None
    type: SessionType = "session"
    retroAdded: StrictBool = False
    subtaskId: ClientId | None = None
    tagIds: Annotated[
        list[ClientId],
        Field(max_length=TAGS_PER_SESSION, description="Tags of the caller, by id"),
    ] = absent()
    tags: Annotated[
        list[TagName],
        Field(
            max_length=TAGS_PER_SESSION,
            description="Tags by name (trimmed, case-insensitive): reused, else created",
        ),
    ] = absent()
    # Server-managed: sent back, ignored.
    taskId: Ignored = None
    endTimestamp: Ignored = None
    running: Ignored = None
    edited: Ignored = None
    workspaceId: Ignored = None  # its task's
    userId: Ignored = None  # the caller's, or as it was
    billableRate: Ignored = None  # the rates in force, and what they make of it
    costRate: Ignored = None
    amount: Ignored = None
    cost: Ignored = None
    lastUpdated: IgnoredTimestamp | None = None


class SessionBody(RequestBody):
    """The body of `POST /v1/sessions` and `PUT /v1/sessions/{sessionId}` (a batch's
    operations take BatchSessionBody)."""

    task: SessionTaskRef
    project: SessionProjectRef | None = None
    session: SessionFields


class SessionEnvelope(BaseModel):
    session: Session


class SessionWrite(TypedDict):
    session: Session
    task: NotRequired[Task]
    project: NotRequired[Project]
    tags: NotRequired[Annotated[list[Tag], Field(description="The tags this request created")]]


class SessionList(TypedDict):
    sessions: list[Session]
    nextToken: NotRequired[str]

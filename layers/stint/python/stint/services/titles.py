"""Projects and tasks found or created by title (docs/API.md, "Titles are reused"): the
caller's active one with the title (trimmed, case-insensitive), else a new one in the same
transaction as the session that names it.

A guard item per normalized title names its owner and is written in the same transaction,
conditioned on what was read: of two concurrent requests with one new title, one commits and
the other runs again and finds the winner's entity. A missing or stale guard (renamed,
archived, completed, deleted) makes the request read the candidates once.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from stint.errors import invalid_field
from stint.models import SessionBody, new_entity
from stint.services import users
from stint.services.common import Caller, load_field, new_id
from stint.services.task_state import set_completion
from stint.store import (
    Guard,
    Put,
    UnitOfWork,
    entity_of,
    normalized_title,
    title_guard_sk,
)

Record = dict[str, Any]


def _find_or_create(
    store: UnitOfWork,
    *,
    kind: str,
    title: str,
    scope: str,
    candidates: Callable[[], Iterable[Record]],
    active: Callable[[Record], bool],
    make: Callable[[], Record],
) -> tuple[Record, int | None]:
    """The caller's active entity with this title and the seq it was read at, else a new one
    (seq None: the caller puts it). Either way the title's guard names it."""
    guard_sk = title_guard_sk(kind, scope, title)
    owner_id = store.get_guard(guard_sk)

    def matches(record: Record | None) -> bool:
        return (
            record is not None
            and active(record)
            and normalized_title(record.get("title") or "") == normalized_title(title)
        )

    if owner_id is not None:
        record = store.get(kind, owner_id)
        if record is not None and matches(record):
            return entity_of(record), int(record["seq"])
    found = next((r for r in candidates() if matches(r)), None)
    entity, seq = (entity_of(found), int(found["seq"])) if found else (make(), None)
    store.add(Guard(guard_sk, ref=entity["id"], expect=owner_id))
    return entity, seq


def _project_id(store: UnitOfWork, caller: Caller, body: SessionBody) -> str:
    """The project a task named by title is in: `project` by id or title, else
    `task.projectId`, else the caller's default project."""
    ref = body.project
    if ref is not None and ref.id is not None:
        return str(load_field(store, "project", ref.id, "project.id")["id"])
    if ref is not None and ref.title is not None:
        title = ref.title
        project, seq = _find_or_create(
            store,
            kind="project",
            title=title,
            scope="all",
            candidates=lambda: store.all_entities("project"),
            active=lambda r: not r.get("isArchived"),
            make=lambda: new_entity("project", id=new_id(), title=title),
        )
        if seq is None:
            store.add(Put("project", project))
        else:
            store.require("project", project["id"])
        return str(project["id"])
    if ref is not None:
        raise invalid_field("project", "needs an id or a title")
    if body.task.projectId is not None:
        return str(load_field(store, "project", body.task.projectId, "task.projectId")["id"])
    return users.default_project_id(caller, store)


def task_named(store: UnitOfWork, caller: Caller, body: SessionBody) -> str:
    """The id of the task `body.task.title` names in its project (`_project_id`), found or
    created; `task.isCompleted` sets its completion."""
    ref = body.task
    if ref.title is None:
        raise invalid_field("task", "needs an id or a title")
    project_id = _project_id(store, caller, body)
    title = ref.title
    task, seq = _find_or_create(
        store,
        kind="task",
        title=title,
        scope=project_id,
        candidates=lambda: store.all_entities("task", parent=("project", project_id)),
        active=lambda r: not r.get("isCompleted"),
        make=lambda: new_entity(
            "task", id=new_id(), projectId=project_id, title=title, createdBy=caller.user_id
        ),
    )
    if ref.isCompleted is not None and ref.isCompleted != task.get("isCompleted"):
        set_completion(task, ref.isCompleted)
        if seq is not None:  # a reused task, completed by the same write
            store.add(Put("task", task, expect_seq=seq))
    elif seq is not None:
        store.require("task", task["id"])
    if seq is None:
        store.add(Put("task", task))
        store.require("project", project_id)
    return str(task["id"])

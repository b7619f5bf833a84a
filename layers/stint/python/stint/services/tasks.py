"""Tasks and subtasks: their routes, and a task's deletion with its subtasks and sessions
(docs/DESIGN.md, "The change sequence": cascades)."""

from __future__ import annotations

from typing import Any

from stint.errors import Conflict, StintError, invalid_field
from stint.models import SubtaskFields, SubtaskPatchFields, TaskFields, new_entity
from stint.services import access, entities, sessions, users
from stint.services.common import (
    Caller,
    Versioned,
    load,
    load_field,
    new_id,
)
from stint.services.entities import delete, list_children, list_page, patch, save
from stint.services.task_state import completion_patched, set_completion
from stint.store import (
    PROFILE_SK,
    Change,
    Delete,
    Mark,
    Put,
    Require,
    Store,
    UnitOfWork,
    children_prefix,
)

# ----------------------------------------------------------------------------- tasks


def create_task(
    caller: Caller, fields: TaskFields, *, path_project_id: str | None = None
) -> Versioned:
    # A failed condition here is a domain error, never a stale read: no `retrying`.
    project_named = path_project_id or fields.projectId
    member = (
        access.locate(caller, "project", project_named)
        if project_named
        else access.personal(caller)
    )
    store = member.unit(caller)
    if path_project_id is not None:
        access.seen(caller, member, "project", load(store, "project", path_project_id))
        if fields.projectId is not None and fields.projectId != path_project_id:
            raise invalid_field("task.projectId", "must equal the project in the path")
        project_id = path_project_id
        missing: StintError = invalid_field("projectId", "the project was deleted")
    elif fields.projectId is not None:
        project_id = fields.projectId
        project = load_field(store, "project", project_id, "task.projectId")
        access.seen(caller, member, "project", project, "task.projectId")
        missing = invalid_field("task.projectId", f"no project with id {project_id!r}")
    else:
        store.prefetch(PROFILE_SK)  # the profile names the default project
        project_id = users.default_project_id(caller, store)
        missing = invalid_field("task.projectId", "the default project was deleted")
    task = new_entity(
        "task",
        id=fields.id or new_id(),
        projectId=project_id,
        title=fields.title,
        taskType=fields.taskType or "default",
        billable=True if fields.billable is None else fields.billable,
        plannedDuration=fields.plannedDuration,
        assigneeId=assignee(caller, member, fields.assigneeId),
        createdBy=caller.user_id,
    )
    if fields.isCompleted:
        set_completion(task, True)
    exists = Conflict(f"a task with id {task['id']!r} already exists")
    return save(
        store,
        Put("task", task, on_conflict=exists),
        Require("project", project_id, on_conflict=missing),
    )


def assignee(caller: Caller, member: access.Membership, user_id: str | None) -> str | None:
    """A task's assignee: a member of its workspace, or nobody (400 naming the field)."""
    if user_id is None:
        return None
    members = (
        [caller.user_id]
        if member.personal
        else [m["userId"] for m in (member.record or {}).get("members", [])]
    )
    if user_id not in members:
        raise invalid_field("task.assigneeId", "is not a member of the task's workspace")
    return user_id


def get_task(caller: Caller, task_id: str) -> Versioned:
    return entities.get(caller, "task", task_id)


def list_tasks(
    caller: Caller,
    *,
    project_id: str | None,
    status: str | None,
    is_completed: bool | None,
    limit: int,
    next_token: str | None,
    project_must_exist: bool = False,
    assignee_id: str | None = None,
    workspace_id: str | None = None,
) -> tuple[list[dict[str, Any]], str | None]:
    def keep(record: dict[str, Any]) -> bool:
        return (
            (status is None or record.get("status") == status)
            and (is_completed is None or bool(record.get("isCompleted")) == is_completed)
            and (assignee_id is None or record.get("assigneeId") == assignee_id)
        )

    return list_children(
        caller,
        "task",
        parent=("project", project_id) if project_id else None,
        workspace_id=workspace_id,
        limit=limit,
        next_token=next_token,
        keep=keep,
        parent_must_exist=project_must_exist,
    )


def update_task(
    caller: Caller, task_id: str, fields: TaskFields, if_match: str | None
) -> Versioned:
    def rule(store: UnitOfWork, record: dict[str, Any], task: dict[str, Any]) -> list[Change]:
        completion_patched(record, task)
        if task.get("assigneeId") != record.get("assigneeId"):  # a member of its workspace
            assignee(caller, access.membership(caller, store.workspace_id), task.get("assigneeId"))
        # Moved: who sees its subtasks and sessions may have changed (docs/DESIGN.md).
        return [Mark("task", task_id)] if task["projectId"] != record["projectId"] else []

    return patch(caller, "task", task_id, fields, if_match, rule)


def task_deletion(
    store: Store, task: dict[str, Any], *, cascade: bool, on_conflict: StintError | None = None
) -> list[Change]:
    """The changes that delete a task: its subtasks and sessions first (cascade), then it."""
    children = list(store.query_all(prefix=children_prefix("task", task["id"]), index="byParent"))
    if children and not cascade:
        raise Conflict(
            "The task has subtasks or sessions; delete them first or pass cascade=true",
            code="not_empty",
        )
    changes: list[Change] = []
    for child in children:
        if child["kind"] == "session":
            changes.extend(sessions.deletion(store, child))
        elif child["kind"] == "subtask":
            changes.append(Delete("subtask", child["id"], int(child["seq"])))
    changes.append(Delete("task", task["id"], int(task["seq"]), on_conflict=on_conflict))
    return changes


def delete_task(caller: Caller, task_id: str, *, cascade: bool, if_match: str | None) -> None:
    def deletion(
        store: UnitOfWork, record: dict[str, Any], on_conflict: StintError | None
    ) -> list[Change]:
        return task_deletion(store, record, cascade=cascade, on_conflict=on_conflict)

    delete(caller, "task", task_id, if_match, deletion)


# ----------------------------------------------------------------------------- subtasks


def create_subtask(caller: Caller, task_id: str, fields: SubtaskFields) -> Versioned:
    # A failed condition here is a domain error, never a stale read: no `retrying`.
    member = access.locate(caller, "task", task_id)
    store = member.unit(caller)
    access.seen(caller, member, "task", load(store, "task", task_id))
    if fields.taskId is not None and fields.taskId != task_id:
        raise invalid_field("subtask.taskId", "must equal the task in the path")
    subtask = new_entity(
        "subtask",
        id=fields.id or new_id(),
        taskId=task_id,
        title=fields.title,
        isCompleted=bool(fields.isCompleted),
        plannedDuration=fields.plannedDuration,
    )
    exists = Conflict(f"a subtask with id {subtask['id']!r} already exists")
    return save(
        store,
        Put("subtask", subtask, on_conflict=exists),
        Require("task", task_id, on_conflict=invalid_field("taskId", "the task was deleted")),
    )


def list_subtasks(
    caller: Caller, task_id: str, *, limit: int, next_token: str | None
) -> tuple[list[dict[str, Any]], str | None]:
    member = access.locate(caller, "task", task_id)
    store = member.store(caller)
    access.seen(caller, member, "task", load(store, "task", task_id))
    return list_page(store, "subtask", parent=("task", task_id), limit=limit, next_token=next_token)


def get_subtask(caller: Caller, subtask_id: str) -> Versioned:
    return entities.get(caller, "subtask", subtask_id)


def update_subtask(
    caller: Caller, subtask_id: str, fields: SubtaskPatchFields, if_match: str | None
) -> Versioned:
    return patch(caller, "subtask", subtask_id, fields, if_match)


def delete_subtask(caller: Caller, subtask_id: str, *, if_match: str | None) -> None:
    delete(caller, "subtask", subtask_id, if_match)

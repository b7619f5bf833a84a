"""What a session names, resolved for a write: its project and task (an existing one by id,
or found or created by title, race-free by the title's guard), its subtask and its tags (by id,
or by name: reused, else created in the same transaction)."""

from __future__ import annotations

from typing import Any

from stint.errors import invalid_field
from stint.models import TAGS_PER_SESSION, SessionBody, SessionFields
from stint.services import tags, users
from stint.services.common import (
    Caller,
    load,
    load_field,
    new_id,
)
from stint.services.session_plan import Plan
from stint.services.tasks import (
    new_task,
    set_completion,
    task_update,
)
from stint.store import (
    Guard,
    Put,
    Store,
    UnitOfWork,
    entity_of,
    entity_sk,
    normalized_title,
    title_guard_sk,
)

# ----------------------------------------------------------------------------- titles (#40)


def _find_or_create_by_title(
    store: Store,
    plan: Plan,
    *,
    kind: str,
    title: str,
    scope: str,
    candidates: Any,
    active: Any,
    make: Any,
) -> tuple[dict[str, Any], int | None]:
    """The caller's active entity with this title (trimmed, case-insensitive) and the seq it
    was read at, else a new one (seq None, recorded in `plan.created`; the caller puts it).

    A guard item per normalized title, written in the same transaction as the entity, makes
    two concurrent requests with the same new title create one entity: the loser's condition
    fails, it runs again, and finds the winner's entity.
    """
    guard_sk = title_guard_sk(kind, scope, title)
    owner_id = store.get_guard(guard_sk)

    def matches(record: dict[str, Any] | None) -> bool:
        return (
            record is not None
            and active(record)
            and normalized_title(record.get("title") or "") == normalized_title(title)
        )

    if owner_id is not None:
        record = store.get(kind, owner_id)
        if record is not None and matches(record):
            return entity_of(record), int(record["seq"])
    # No guard, or a stale one (renamed, archived, completed, deleted): look for a match.
    found = next((r for r in candidates() if matches(r)), None)
    if found is not None:
        plan.changes.append(Guard(guard_sk, ref=found["id"], expect=owner_id))
        return entity_of(found), int(found["seq"])
    entity: dict[str, Any] = make()
    plan.created[kind] = entity
    plan.changes.append(Guard(guard_sk, ref=entity["id"], expect=owner_id))
    return entity, None


def resolve_project(store: Store, plan: Plan, caller: Caller, body: SessionBody) -> str:
    ref = body.project
    if ref is not None and ref.id is not None:
        return str(load_field(store, "project", ref.id, "project.id")["id"])
    if ref is not None and ref.title is not None:
        project, seq = _find_or_create_by_title(
            store,
            plan,
            kind="project",
            title=ref.title,
            scope="all",
            candidates=lambda: store.all_entities("project"),
            active=lambda r: not r.get("isArchived"),
            make=lambda: users.new_project(new_id(), title=ref.title),
        )
        if seq is None:
            plan.changes.append(Put("project", project))
        else:
            plan.require("project", project["id"])
        return str(project["id"])
    if ref is not None:
        raise invalid_field("project", "needs an id or a title")
    if body.task is not None and body.task.projectId is not None:
        return str(load_field(store, "project", body.task.projectId, "task.projectId")["id"])
    return users.default_project_id(caller, store)


def resolve_task(store: Store, plan: Plan, caller: Caller, body: SessionBody) -> str:
    ref = body.task
    if ref.id is not None:
        record = load(store, "task", ref.id)  # contract section 5: an unknown task.id is a 404
        task = entity_of(record)
        if ref.isCompleted is not None and ref.isCompleted != task.get("isCompleted"):
            set_completion(task, ref.isCompleted)
            plan.changes.append(task_update(record, task))
        else:
            plan.require("task", task["id"])
        return str(task["id"])
    if ref.title is None:
        raise invalid_field("task", "needs an id or a title")
    project_id = resolve_project(store, plan, caller, body)
    title = ref.title
    task, seq = _find_or_create_by_title(
        store,
        plan,
        kind="task",
        title=title,
        scope=project_id,
        candidates=lambda: store.all_entities("task", parent=("project", project_id)),
        active=lambda r: not r.get("isCompleted"),
        make=lambda: new_task(new_id(), project_id, title=title),
    )
    if ref.isCompleted is not None and ref.isCompleted != task.get("isCompleted"):
        set_completion(task, ref.isCompleted)
        if seq is not None:  # a reused task, completed by the same write
            plan.changes.append(Put("task", task, expect_seq=seq))
    elif seq is not None:
        plan.require("task", task["id"])
    if seq is None:
        plan.changes.append(Put("task", task))
        plan.require("project", project_id)
    return str(task["id"])


def check_subtask(
    store: Store, subtask_id: str | None, task_id: str, field: str = "session.subtaskId"
) -> None:
    """A session's subtask must be a subtask of its task (400 naming the body field)."""
    if subtask_id is None:
        return
    subtask = load_field(store, "subtask", subtask_id, field)
    if subtask["taskId"] != task_id:
        raise invalid_field(field, "must be a subtask of the session's task")


def resolve_tags(store: UnitOfWork, plan: Plan, fields: SessionFields) -> list[str]:
    """The session's tags: `tagIds` (each the caller's, else 400 naming the field) and `tags`
    by name (the caller's tag with that name, trimmed, case-insensitive, else one created in
    the same transaction, race-free by its name's guard), at most 20 in all."""
    missing = invalid_field("session.tagIds", "the tag was deleted")
    chosen: list[str] = []
    for tag_id in dict.fromkeys(fields.tagIds or ()):
        load_field(store, "tag", tag_id, "session.tagIds")
        plan.require("tag", tag_id, on_conflict=missing)
        chosen.append(tag_id)
    names: dict[str, str] = {}  # the first spelling of each name
    for name in fields.tags or ():
        names.setdefault(normalized_title(name), name)
    owners = [store.get_guard(tags.name_guard_sk(name)) for name in names.values()]
    store.prefetch(*(entity_sk("tag", owner) for owner in owners if owner))  # one round trip
    chosen.extend(_tag_named(store, plan, name) for name in names.values())
    chosen = list(dict.fromkeys(chosen))
    if len(chosen) > TAGS_PER_SESSION:
        raise invalid_field("session.tags", f"a session carries at most {TAGS_PER_SESSION} tags")
    return chosen


def _tag_named(store: UnitOfWork, plan: Plan, name: str) -> str:
    """The id of the caller's tag with this name: found (also among the tags this plan creates)
    or created in the plan."""
    pending = next(
        (t for t in plan.created_tags if normalized_title(t["name"]) == normalized_title(name)),
        None,
    )
    if pending is not None:
        return str(pending["id"])
    record, owner = tags.owner_of(store, name)
    if record is not None:
        plan.require("tag", record["id"])  # deleted meanwhile: run again, and create it
        return str(record["id"])
    tag = tags.new_tag(new_id(), name)
    plan.changes.extend(tags.creation(tag, owner=owner))
    plan.created_tags.append(tag)
    return str(tag["id"])

"""Projects, categories and clients; a category's delete clears its projects' `categoryId`, a
client's their `clientId`."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Literal

from stint.errors import Conflict, StintError
from stint.models import (
    CategoryFields,
    CategoryPatchFields,
    ClientFields,
    ClientPatchFields,
    ProjectFields,
    new_entity,
)
from stint.rerating import KEEP_RATES
from stint.services import access, budgets, entities, private_projects, users
from stint.services.common import Caller, Versioned, new_id
from stint.services.entities import (
    delete,
    delete_clearing,
    list_across,
    list_children,
    parent_guard,
    patch,
    references_cleared,
    rewrite,
    save,
)
from stint.services.tasks import task_deletion
from stint.store import (
    PROFILE_SK,
    Change,
    Delete,
    Put,
    UnitOfWork,
    entity_of,
)

ArchivedFilter = Literal["false", "true", "all"]


def _archived(archived: ArchivedFilter) -> Callable[[dict[str, Any]], bool]:
    """What a list with `archived=` keeps: the entities not archived, the archived ones, all."""

    def keep(record: dict[str, Any]) -> bool:
        return archived == "all" or bool(record.get("isArchived")) == (archived == "true")

    return keep


# ----------------------------------------------------------------------------- projects


def create_project(caller: Caller, fields: ProjectFields) -> Versioned:
    member = access.where(caller, fields.workspaceId, "project.workspaceId")
    member.require("catalog")
    store = member.unit(caller)
    written = {k: v for k, v in fields.written().items() if k != "workspaceId"}
    project = new_entity("project", id=fields.id or new_id(), **written)
    budgets.normalize(project)
    exists = Conflict(f"a project with id {project['id']!r} already exists")
    guard = parent_guard(store, "project", project)
    return save(store, Put("project", project, on_conflict=exists), *guard)


def get_project(caller: Caller, project_id: str) -> Versioned:
    return entities.get(caller, "project", project_id)


def list_projects(
    caller: Caller,
    *,
    archived: ArchivedFilter,
    category_id: str | None,
    workspace_id: str | None = None,
    limit: int,
    next_token: str | None,
) -> tuple[list[dict[str, Any]], str | None]:
    return list_children(
        caller,
        "project",
        parent=None if category_id is None else ("category", category_id),
        workspace_id=workspace_id,
        limit=limit,
        next_token=next_token,
        keep=_archived(archived),
    )


def update_project(
    caller: Caller,
    project_id: str,
    fields: ProjectFields,
    if_match: str | None,
    *,
    rerate: bool = True,
) -> Versioned:
    """Change a project; a change of its rates or rounding re-rates its sessions in the
    background (stint.rerating) unless `rerate` is False."""

    def rule(store: UnitOfWork, record: dict[str, Any], project: dict[str, Any]) -> list[Change]:
        budgets.normalize(project)
        archiving = project["isArchived"] and not record.get("isArchived")
        if archiving and users.default_project_id(caller, store) == project_id:
            raise Conflict("The default project cannot be archived", code="default_project")
        if not rerate:
            project[KEEP_RATES] = True
        return private_projects.audience_marks(entity_of(record), project)

    result = patch(caller, "project", project_id, fields, if_match, rule)
    result.entity.pop(KEEP_RATES, None)
    return result


def delete_project(caller: Caller, project_id: str, *, cascade: bool, if_match: str | None) -> None:
    def deletion(
        store: UnitOfWork, record: dict[str, Any], on_conflict: StintError | None
    ) -> list[Change]:
        if users.default_project_id(caller, store) == project_id:
            raise Conflict("The default project cannot be deleted", code="default_project")
        project = ("project", project_id)
        changes: list[Change] = []
        if cascade:
            for task in list(store.all_entities("task", parent=project)):
                changes.extend(task_deletion(store, task, cascade=True))
        elif store.has_any("task", parent=project):
            raise Conflict(
                "The project has tasks; delete them first or pass cascade=true", code="not_empty"
            )
        changes.append(Delete("project", project_id, int(record["seq"]), on_conflict=on_conflict))
        return changes

    # The profile names the default project: read along with the project.
    delete(caller, "project", project_id, if_match, deletion, read_ahead=(PROFILE_SK,))


# ----------------------------------------------------------------------------- categories


def create_category(caller: Caller, fields: CategoryFields) -> Versioned:
    member = access.where(caller, fields.workspaceId, "category.workspaceId")
    member.require("catalog")
    category = new_entity("category", id=fields.id or new_id(), title=fields.title)
    exists = Conflict(f"a category with id {category['id']!r} already exists")
    return save(member.unit(caller), Put("category", category, on_conflict=exists))


def get_category(caller: Caller, category_id: str) -> Versioned:
    return entities.get(caller, "category", category_id)


def list_categories(
    caller: Caller, *, workspace_id: str | None = None, limit: int, next_token: str | None
) -> tuple[list[dict[str, Any]], str | None]:
    return list_across(
        caller, "category", workspace_id=workspace_id, limit=limit, next_token=next_token
    )


def update_category(
    caller: Caller, category_id: str, fields: CategoryPatchFields, if_match: str | None
) -> Versioned:
    return patch(caller, "category", category_id, fields, if_match)


def delete_category(caller: Caller, category_id: str, *, if_match: str | None) -> None:
    """Delete a category; its projects stay, with `categoryId: null` (`delete_clearing`: a
    project put in it meanwhile is read again, never left naming a deleted category)."""

    def cleared(store: UnitOfWork) -> list[Change]:
        return [
            rewrite("project", record, {**entity_of(record), "categoryId": None})
            for record in store.all_entities("project", parent=("category", category_id))
        ]

    delete_clearing(caller, "category", category_id, if_match, cleared)


# ----------------------------------------------------------------------------- clients


def create_client(caller: Caller, fields: ClientFields) -> Versioned:
    member = access.where(caller, fields.workspaceId, "client.workspaceId")
    member.require("catalog")
    written = {k: v for k, v in fields.written().items() if k != "workspaceId"}
    client = new_entity("client", id=fields.id or new_id(), **written)
    exists = Conflict(f"a client with id {client['id']!r} already exists")
    return save(member.unit(caller), Put("client", client, on_conflict=exists))


def get_client(caller: Caller, client_id: str) -> Versioned:
    return entities.get(caller, "client", client_id)


def list_clients(
    caller: Caller,
    *,
    archived: ArchivedFilter,
    workspace_id: str | None = None,
    limit: int,
    next_token: str | None,
) -> tuple[list[dict[str, Any]], str | None]:
    return list_across(
        caller,
        "client",
        workspace_id=workspace_id,
        limit=limit,
        next_token=next_token,
        keep=_archived(archived),
    )


def update_client(
    caller: Caller, client_id: str, fields: ClientPatchFields, if_match: str | None
) -> Versioned:
    return patch(caller, "client", client_id, fields, if_match)


def delete_client(caller: Caller, client_id: str, *, if_match: str | None) -> None:
    """Delete a client; its projects stay, with `clientId: null`, in the same transaction.

    No index holds a client's projects (docs/DESIGN.md, "Clients"): one Query reads the
    workspace's projects (`references_cleared`), and `delete_clearing` commits only if no write
    of the workspace came in between."""

    def cleared(store: UnitOfWork) -> list[Change]:
        return references_cleared(store, "client", client_id)

    delete_clearing(caller, "client", client_id, if_match, cleared)

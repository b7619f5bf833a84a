"""The registry of entity kinds: every fact about a kind of entity, in one place.

A kind is something a user owns, that sync returns, that webhooks announce and (most) that
search finds. The store takes its key prefix and its index keys from here, sync its list
name, the dispatcher its trigger, search its parent and what makes it inactive, and the models
their `Literal`s and the sync page's lists. Adding a kind is one entry here, its model in
`stint.models.entities` (registered with `@entity_model`), its service and its routes.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Parent:
    """An entity that an entity of a kind names by one of its fields: the entity it belongs to
    (its parent), or one it refers to (a reference): its kind, and the field that names it."""

    kind: str
    field: str


@dataclass(frozen=True)
class Kind:
    name: str  # as the API names it: "project"; a tombstone's `type`
    prefix: str  # the sort key prefix of its items: PROJECT#<id>
    plural: str  # its list in a sync page: "projects"
    trigger: str  # the webhook triggerType its changes are delivered to
    parent: Parent | None = None  # children are found on the `byParent` index
    # Entities it refers to besides its parent (a project's client): each must exist, in its
    # workspace, when the reference is written, and its delete clears the field. No index holds
    # them: a deletion finds the entities that refer to it by reading the kind whole, so only
    # a kind that a workspace holds few of (projects) may refer (docs/DESIGN.md, "Clients").
    references: tuple[Parent, ...] = ()
    searchable: bool = True  # GET /v1/search?type=<name>
    inactive_field: str | None = None  # true when the entity is inactive (search: last)
    title_field: str = "title"  # what search matches and answers as `title`
    # Index attributes written with the item: attribute -> the entity field it copies.
    index_fields: dict[str, str] = field(default_factory=dict)


KINDS: dict[str, Kind] = {
    kind.name: kind
    for kind in (
        Kind("category", "CATEGORY", "categories", "category"),
        Kind(
            "client",
            "CLIENT",
            "clients",
            "client",
            inactive_field="isArchived",
            title_field="name",
        ),
        Kind(
            "project",
            "PROJECT",
            "projects",
            "project",
            parent=Parent("category", "categoryId"),
            inactive_field="isArchived",
            references=(Parent("client", "clientId"),),
        ),
        Kind(
            "task",
            "TASK",
            "tasks",
            "task",
            parent=Parent("project", "projectId"),
            inactive_field="isCompleted",
        ),
        Kind(
            "subtask",
            "SUBTASK",
            "subtasks",
            "subtask",
            parent=Parent("task", "taskId"),
            inactive_field="isCompleted",
        ),
        Kind(
            "session",
            "SESSION",
            "sessions",
            "time",
            parent=Parent("task", "taskId"),
            searchable=False,
            index_fields={"start": "startTimestamp"},
        ),
        Kind("tag", "TAG", "tags", "tag", title_field="name"),
    )
}
NAMES = tuple(KINDS)
SEARCHABLE = tuple(name for name, kind in KINDS.items() if kind.searchable)
TRIGGERS = tuple(dict.fromkeys(kind.trigger for kind in KINDS.values()))


def referrers(kind: str) -> list[tuple[str, str]]:
    """The kinds that refer to `kind` (`Kind.references`), each with the field that names it."""
    return [
        (other.name, reference.field)
        for other in KINDS.values()
        for reference in other.references
        if reference.kind == kind
    ]

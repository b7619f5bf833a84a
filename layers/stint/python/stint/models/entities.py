"""The entities that are kinds (stint.kinds): projects, categories, clients, tasks,
sessions, tags and subtasks, as the API returns them and sync pages list them.

Each is registered with `@entity_model(kind)`: the sync page (`stint.models.sync`) and the
document's lists derive from `ENTITY_MODELS`, in the order registered here, and a new entity's
defaults from its model (`new_entity`).
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any, Literal

from pydantic import Field

from stint import kinds
from stint.models.base import BaseModel, no_stated_default
from stint.models.budgets import Budget
from stint.models.money import Amount, ExactNumber

# Each entity kind's model (stint.kinds), registered by `@entity_model`: sync pages and the
# document's lists derive from it.
ENTITY_MODELS: dict[str, type[BaseModel]] = {}


def entity_model(kind: str) -> Callable[[type[BaseModel]], type[BaseModel]]:
    def register(model: type[BaseModel]) -> type[BaseModel]:
        ENTITY_MODELS[kind] = model
        return model

    return register


RoundingMethod = Literal["down", "nearest", "up"]
TaskType = Literal["default", "permanent"]
TaskStatus = Literal["todo", "in_progress", "paused", "completed"]
SessionType = Literal["session", "break", "long-break"]


class ProjectMember(BaseModel):
    """A member of a project: they see it while it is private, at these rates."""

    userId: str
    billableRate: ExactNumber | None = Field(None, description="Their billable rate here")
    costRate: ExactNumber | None = Field(None, description="What an hour of theirs costs here")


@entity_model("project")
class Project(BaseModel):
    id: str
    workspaceId: str = Field(description="The workspace that holds it; fixed at creation")
    title: str | None = None
    isArchived: bool = False
    categoryId: str | None = None
    clientId: str | None = Field(None, description="The client it is for (of its workspace)")
    color: str | None = None
    roundingMethod: RoundingMethod = "nearest"
    roundingMinutes: int = 0
    hourlyRate: ExactNumber | None = None
    plannedDurationHours: ExactNumber | None = None
    plannedBudget: ExactNumber | None = None
    isPublic: bool = Field(
        True,
        description="False: in a shared workspace only its `members` and the owners, admins "
        "and managers see it and all under it",
    )
    members: list[ProjectMember] = Field(
        default_factory=list,
        description="Who sees it while private, with their rates here (read-only: "
        "`PUT /v1/projects/{projectId}/members/{userId}` and `DELETE` change it)",
    )
    budget: Budget | None = Field(None, description='Its budget (docs/API.md, "Budgets")')
    lastUpdated: str


@entity_model("category")
class Category(BaseModel):
    id: str
    workspaceId: str = Field(description="The workspace that holds it; fixed at creation")
    title: str
    lastUpdated: str


@entity_model("client")
class Client(BaseModel):
    id: str
    workspaceId: str = Field(description="The workspace that holds it; fixed at creation")
    name: str
    isArchived: bool = False
    lastUpdated: str


@entity_model("task")
class Task(BaseModel):
    id: str
    workspaceId: str = Field(description="The workspace that holds it; fixed at creation")
    projectId: str
    title: str | None = None
    isCompleted: bool = False
    taskType: TaskType = "default"
    status: TaskStatus = "todo"
    billable: bool = True
    plannedDuration: int | None = None
    assigneeId: str | None = Field(None, description="The member it is assigned to")
    createdBy: str | None = Field(None, description="The member who created it (read-only)")
    lastUpdated: str


@entity_model("session")
class Session(BaseModel):
    id: str
    workspaceId: str = Field(description="The workspace that holds it; fixed at creation")
    taskId: str
    subtaskId: str | None = None
    startTimestamp: str
    duration: int | None
    endTimestamp: str | None
    running: bool
    note: str | None = None
    type: SessionType = "session"
    tagIds: list[str] = Field(default_factory=list)
    edited: bool = False
    retroAdded: bool = False
    userId: str | None = Field(None, description="The member whose time it is")
    # Read-only, set when it is written or re-rated (docs/API.md, "Money"); absent to those
    # who do not see money.
    billableRate: ExactNumber | None = Field(None, description="The billable rate in force")
    costRate: ExactNumber | None = Field(None, description="The cost rate in force")
    amount: Amount = Field(
        Decimal(0),
        description="Billable rounded hours x billableRate (absent to those who do not see money)",
        json_schema_extra=no_stated_default,
    )
    cost: Amount = Field(
        Decimal(0),
        description="Rounded hours x costRate, to the cent (absent to those who do not see money)",
        json_schema_extra=no_stated_default,
    )
    lastUpdated: str


@entity_model("tag")
class Tag(BaseModel):
    id: str
    workspaceId: str = Field(description="The workspace that holds it; fixed at creation")
    name: str
    color: str | None = None
    lastUpdated: str


@entity_model("subtask")
class Subtask(BaseModel):
    id: str
    workspaceId: str = Field(description="The workspace that holds it; fixed at creation")
    taskId: str
    title: str
    isCompleted: bool = False
    plannedDuration: int | None = None
    lastUpdated: str


def new_entity(kind: str, **values: Any) -> dict[str, Any]:
    """A new entity of `kind` as stored: `values`, and its model's defaults for the fields left
    out, in the model's order (`lastUpdated` is the commit's)."""
    fields = ENTITY_MODELS[kind].model_fields
    unknown = set(values) - set(fields)
    if unknown:
        raise ValueError(f"a {kind} has no fields {sorted(unknown)}")
    return {
        name: values[name] if name in values else field.get_default(call_default_factory=True)
        for name, field in fields.items()
        if name in values or not field.is_required()
    }


if set(ENTITY_MODELS) != set(kinds.NAMES):  # a kind without its model would sync nothing
    raise RuntimeError(f"entity models {sorted(ENTITY_MODELS)} != kinds {sorted(kinds.NAMES)}")

"""Projects, categories and clients (CatalogFunction): their request bodies and their answers."""

from __future__ import annotations

from typing import NotRequired

from pydantic import Field, StrictBool
from typing_extensions import TypedDict

from stint.models.base import BaseModel, Ignored, RequestBody, absent
from stint.models.budgets import BudgetFields
from stint.models.entities import Category, Client, Project, RoundingMethod
from stint.models.money import HourlyRate, PlannedBudget, PlannedHours
from stint.models.values import ClientId, Color, IgnoredTimestamp, RoundingMinutes, Title


class ProjectFields(RequestBody):
    """Writable project fields; a PATCH sets only those present."""

    title: Title | None = None
    isArchived: StrictBool = absent()
    categoryId: ClientId | None = None
    clientId: ClientId | None = Field(
        None, description="A client of the project's workspace (null: none)"
    )
    color: Color | None = None
    roundingMethod: RoundingMethod = absent()
    roundingMinutes: RoundingMinutes = absent()
    hourlyRate: HourlyRate | None = None
    plannedDurationHours: PlannedHours | None = None
    plannedBudget: PlannedBudget | None = None
    isPublic: StrictBool = absent(
        "False: in a shared workspace only its members, owners, admins and managers see it"
    )
    members: Ignored = None
    budget: BudgetFields | None = None
    workspaceId: ClientId = absent("The workspace to create it in (default: the personal one)")
    id: ClientId = absent()
    lastUpdated: IgnoredTimestamp | None = None


class CategoryPatchFields(RequestBody):
    """Writable category fields; a PATCH sets only those present."""

    title: Title = absent()
    workspaceId: ClientId = absent("The workspace to create it in (default: the personal one)")
    id: ClientId = absent()
    lastUpdated: IgnoredTimestamp | None = None


class ProjectMemberFields(RequestBody):
    """A project member's rates (`null` or left out: none; the rates of the workspace member
    apply); the entry sent back as it was got passes (its `userId` is the path's)."""

    billableRate: HourlyRate | None = None
    costRate: HourlyRate | None = None
    userId: ClientId = absent()


class ClientPatchFields(RequestBody):
    """Writable client fields; a PATCH sets only those present."""

    name: Title = absent()
    isArchived: StrictBool = absent()
    workspaceId: ClientId = absent("The workspace to create it in (default: the personal one)")
    id: ClientId = absent()
    lastUpdated: IgnoredTimestamp | None = None


# A new one's fields: as a PATCH's, but what it cannot go without is required.
class CategoryFields(CategoryPatchFields):
    title: Title


class ClientFields(ClientPatchFields):
    name: Title


class ProjectBody(RequestBody):
    project: ProjectFields


class CategoryBody(RequestBody):
    category: CategoryFields


class CategoryPatch(RequestBody):
    category: CategoryPatchFields


class ProjectEnvelope(BaseModel):
    project: Project


class ProjectList(TypedDict):
    projects: list[Project]
    nextToken: NotRequired[str]


class ClientBody(RequestBody):
    client: ClientFields


class ClientPatch(RequestBody):
    client: ClientPatchFields


class CategoryEnvelope(BaseModel):
    category: Category


class CategoryList(TypedDict):
    categories: list[Category]
    nextToken: NotRequired[str]


class ClientEnvelope(BaseModel):
    client: Client


class ClientList(TypedDict):
    clients: list[Client]
    nextToken: NotRequired[str]

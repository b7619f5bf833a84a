"""Pydantic models: the entities of contract section 2 and the request bodies that make them.

Request bodies forbid unknown fields (`400`), use strict types (no `"true"` for a bool), and
accept the server-managed fields a client may send back unchanged (`lastUpdated`, ...), which
the services ignore, so a client can send back what it got.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import TYPE_CHECKING, Annotated, Any, Literal, NotRequired, cast

from pydantic import (
    AfterValidator,
    BeforeValidator,
    ConfigDict,
    Discriminator,
    Field,
    PlainSerializer,
    StrictBool,
    StrictStr,
    WithJsonSchema,
    model_validator,
)
from pydantic import BaseModel as PydanticModel
from pydantic import Tag as UnionTag
from typing_extensions import TypedDict

from stint import kinds
from stint.timeutil import MAX_SESSION_SECONDS, RANGE_TEXT, parse_timestamp


class BaseModel(PydanticModel):
    """Every Stint model: its validator is built on first use, not at import, so a function's
    cold start builds the models its request uses and not the other fifty (DESIGN.md,
    "Performance")."""

    model_config = ConfigDict(defer_build=True)


if TYPE_CHECKING:
    from aws_lambda_powertools.event_handler.openapi.types import OpenAPIResponse

CLIENT_ID_PATTERN = r"^[A-Za-z0-9_-]{1,64}$"
TITLE_MAX = 500
NOTE_MAX = 10_000


TAG_NAME_MAX = 100
TAGS_PER_SESSION = 20


def _trimmed(value: str, maximum: int) -> str:
    trimmed = value.strip()
    if not 1 <= len(trimmed) <= maximum:
        raise ValueError(f"must be 1..{maximum} characters after trimming")
    return trimmed


def _trimmed_title(value: str) -> str:
    return _trimmed(value, TITLE_MAX)


def _trimmed_tag_name(value: str) -> str:
    return _trimmed(value, TAG_NAME_MAX)


def _rfc3339(value: str) -> str:
    parse_timestamp(value)  # raises ValueError without an offset or out of range
    return value


ClientId = Annotated[StrictStr, Field(pattern=CLIENT_ID_PATTERN)]
Title = Annotated[StrictStr, AfterValidator(_trimmed_title)]
Color = Annotated[StrictStr, Field(min_length=1, max_length=32)]
TagName = Annotated[StrictStr, AfterValidator(_trimmed_tag_name)]
HexColor = Annotated[StrictStr, Field(pattern=r"^#[0-9A-Fa-f]{6}$", description="`#rrggbb`")]
# Planned durations of tasks and subtasks: up to 100,000 hours, in seconds.
PLANNED_SECONDS_MAX = 360_000_000


def _whole(value: Any) -> Any:
    """JSON Schema's `integer` takes 1500.0 (a number whose fraction is zero): so does Stint.
    Anything else is left to the strict int check (1500.5, "1500" and true are refused)."""
    if isinstance(value, Decimal) and value.is_finite() and value == value.to_integral_value():
        return int(value)
    return value


# Integers of bodies: a range in the document, strict but for `_whole`.
_WHOLE = BeforeValidator(_whole)
PlannedSeconds = Annotated[int, Field(ge=0, le=PLANNED_SECONDS_MAX, strict=True), _WHOLE]
RoundingMinutes = Annotated[int, Field(ge=0, le=1440, strict=True), _WHOLE]
SessionSeconds = Annotated[int, Field(ge=0, le=MAX_SESSION_SECONDS, strict=True), _WHOLE]
RoundingMethod = Literal["down", "nearest", "up"]
TaskType = Literal["default", "permanent"]
TaskStatus = Literal["todo", "in_progress", "paused", "completed"]
SessionType = Literal["session", "break", "long-break"]
# JSON Schema's `date-time` is RFC 3339's date-time, which always has an offset.
DATE_TIME = Field(
    json_schema_extra={
        "format": "date-time",
        "description": f"RFC 3339 with an offset, {RANGE_TEXT}",
    }
)
# An RFC 3339 timestamp with an offset; kept as sent (the service normalizes it to UTC).
Timestamp = Annotated[StrictStr, AfterValidator(_rfc3339), DATE_TIME]
# Server-managed fields: accepted in a body (so a client can send back what it got), ignored.
Ignored = Any
# A server-managed timestamp sent back: ignored, but it must still be a timestamp with an offset.
IgnoredTimestamp = Annotated[StrictStr, AfterValidator(_rfc3339), DATE_TIME]


def _no_default(schema: dict[str, Any]) -> None:
    schema.pop("default", None)


def absent(description: str | None = None) -> Any:
    """The default of a field that may be left out but not sent as `null`: its type does not
    admit null, and a field left out is None without being validated. (Typed Any so that a
    field typed `StrictBool` can default to None.)"""
    if description is None:
        return Field(default=None, json_schema_extra=_no_default)
    return Field(default=None, json_schema_extra=_no_default, description=description)


# Exact numbers (Decimal, stored as DynamoDB N as sent, never float). Bodies are parsed with
# `parse_float=Decimal` (stint.jsonio), so 95.55 arrives as Decimal("95.55"), not as a float.
# The bounds keep every amount a report can reach (367 days x 24 h x the highest rate) within 15
# significant digits, so its JSON text (float's shortest repr, as Powertools writes numbers) is
# exactly the decimal value.
HOURLY_RATE_MAX = Decimal(100_000_000)
PLANNED_BUDGET_MAX = Decimal(1_000_000_000_000)
PLANNED_HOURS_MAX = Decimal(100_000)
_CENT = Decimal("0.01")


def _json_number(value: Decimal) -> int | float:
    """A Decimal as a JSON number: 95 stays 95, 95.5 stays 95.5 (pydantic would write "95.5")."""
    return int(value) if value == value.to_integral_value() else float(value)


def _cents(maximum: Decimal) -> Callable[[Any], Decimal]:
    """A validator of a number from 0 to `maximum` with at most 2 decimals."""

    def validate(value: Any) -> Decimal:
        if isinstance(value, bool) or not isinstance(value, int | float | Decimal):
            raise ValueError("must be a number")
        number = Decimal(repr(value)) if isinstance(value, float) else Decimal(value)
        if not number.is_finite() or not 0 <= number <= maximum:
            raise ValueError(f"must be a number from 0 to {maximum}")
        if number != number.quantize(_CENT):
            raise ValueError("must have at most 2 decimals")
        # One form per value: 95.0 is stored and returned as 95, 95.50 as 95.5.
        return Decimal(int(number)) if number == number.to_integral_value() else number.normalize()

    return validate


def _cents_schema(maximum: Decimal) -> dict[str, Any]:
    limits = {"minimum": 0, "maximum": int(maximum), "multipleOf": 0.01}
    return {"type": "number", **limits, "description": "at most 2 decimals"}


_AS_JSON_NUMBER = PlainSerializer(_json_number, when_used="json")
HourlyRate = Annotated[
    Decimal,
    BeforeValidator(_cents(HOURLY_RATE_MAX)),
    _AS_JSON_NUMBER,
    WithJsonSchema(_cents_schema(HOURLY_RATE_MAX)),
]
PlannedBudget = Annotated[
    Decimal,
    BeforeValidator(_cents(PLANNED_BUDGET_MAX)),
    _AS_JSON_NUMBER,
    WithJsonSchema(_cents_schema(PLANNED_BUDGET_MAX)),
]
PlannedHours = Annotated[
    Decimal,
    BeforeValidator(_cents(PLANNED_HOURS_MAX)),
    _AS_JSON_NUMBER,
    WithJsonSchema(_cents_schema(PLANNED_HOURS_MAX)),
]
# An exact number in a response (a stored rate or budget, a report's amount).
ExactNumber = Annotated[Decimal, _AS_JSON_NUMBER, WithJsonSchema({"type": "number"})]


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")

    @model_validator(mode="before")
    @classmethod
    def _only_objects(cls, data: Any) -> Any:
        # Powertools validates bodies with from_attributes=True, which takes any object that is
        # not a builtin (such as the Decimal a JSON number is parsed into) for an empty body.
        if not isinstance(data, dict | BaseModel):
            raise ValueError("must be a JSON object")
        return data

    def written(self) -> dict[str, Any]:
        """What a PATCH writes: the fields the client sent, but the server-managed ones (`id`,
        `lastUpdated`, and every `Ignored` field), which may be sent back and are ignored."""
        fields = type(self).model_fields
        return {
            name: getattr(self, name)
            for name in self.model_fields_set
            if name not in ("id", "lastUpdated") and fields[name].annotation is not Ignored
        }


# ----------------------------------------------------------------------------- entities


# Each entity kind's model (stint.kinds), registered by `@entity_model`: sync pages and the
# document's lists derive from it.
ENTITY_MODELS: dict[str, type[BaseModel]] = {}


def entity_model(kind: str) -> Callable[[type[BaseModel]], type[BaseModel]]:
    def register(model: type[BaseModel]) -> type[BaseModel]:
        ENTITY_MODELS[kind] = model
        return model

    return register


if TYPE_CHECKING:  # mypy cannot read Literals built from the registry; pydantic can
    KindName = str
    TriggerType = str
    SearchType = str
else:
    KindName = Literal[kinds.NAMES]
    TriggerType = Literal[(*kinds.TRIGGERS, "stopped_time")]
    SearchType = Literal[kinds.SEARCHABLE]


class User(BaseModel):
    id: str
    displayName: str
    email: str
    defaultProject: str


@entity_model("project")
class Project(BaseModel):
    id: str
    title: str | None = None
    isArchived: bool = False
    categoryId: str | None = None
    color: str | None = None
    roundingMethod: RoundingMethod = "nearest"
    roundingMinutes: int = 0
    hourlyRate: ExactNumber | None = None
    plannedDurationHours: ExactNumber | None = None
    plannedBudget: ExactNumber | None = None
    lastUpdated: str


@entity_model("category")
class Category(BaseModel):
    id: str
    title: str
    lastUpdated: str


@entity_model("task")
class Task(BaseModel):
    id: str
    projectId: str
    title: str | None = None
    isCompleted: bool = False
    taskType: TaskType = "default"
    status: TaskStatus = "todo"
    billable: bool = True
    plannedDuration: int | None = None
    lastUpdated: str


@entity_model("session")
class Session(BaseModel):
    id: str
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
    lastUpdated: str


@entity_model("tag")
class Tag(BaseModel):
    id: str
    name: str
    color: str | None = None
    lastUpdated: str


@entity_model("subtask")
class Subtask(BaseModel):
    id: str
    taskId: str
    title: str
    isCompleted: bool = False
    plannedDuration: int | None = None
    lastUpdated: str


# ----------------------------------------------------------------------------- request bodies


class UserPatch(_Body):
    displayName: Title = absent()
    defaultProject: ClientId = absent()
    id: Ignored = None
    email: Ignored = None


class ProjectFields(_Body):
    """Writable project fields; a PATCH sets only those present."""

    title: Title | None = None
    isArchived: StrictBool = absent()
    categoryId: ClientId | None = None
    color: Color | None = None
    roundingMethod: RoundingMethod = absent()
    roundingMinutes: RoundingMinutes = absent()
    hourlyRate: HourlyRate | None = None
    plannedDurationHours: PlannedHours | None = None
    plannedBudget: PlannedBudget | None = None
    id: ClientId = absent()
    lastUpdated: IgnoredTimestamp | None = None


class CategoryFields(_Body):
    title: Title = absent()
    id: ClientId = absent()
    lastUpdated: IgnoredTimestamp | None = None


class TaskFields(_Body):
    title: Title | None = None
    projectId: ClientId = absent()
    isCompleted: StrictBool = absent()
    taskType: TaskType = absent()
    billable: StrictBool = absent()
    plannedDuration: PlannedSeconds | None = None
    id: ClientId = absent()
    # Read-only: changed by isCompleted and by task events (contract section 7).
    status: Ignored = None
    lastUpdated: IgnoredTimestamp | None = None


class SubtaskFields(_Body):
    title: Title = absent()
    taskId: ClientId = absent()
    isCompleted: StrictBool = absent()
    plannedDuration: PlannedSeconds | None = None
    id: ClientId = absent()
    lastUpdated: IgnoredTimestamp | None = None


class SessionTaskRef(_Body):
    """The session's task: an existing one by `id`, or one found or created by `title` (one of
    the two is required: `400 validation_error` without either)."""

    id: ClientId = absent()
    title: Title = absent()
    projectId: ClientId | None = None
    isCompleted: StrictBool = absent()
    lastUpdated: IgnoredTimestamp | None = None


class SessionProjectRef(_Body):
    """The task's project: an existing one by `id`, or one found or created by `title` (one of
    the two is required when `project` is sent)."""

    id: ClientId = absent()
    title: Title = absent()
    lastUpdated: IgnoredTimestamp | None = None


class SessionFields(_Body):
    id: ClientId = absent()
    startTimestamp: Timestamp
    # null: a running session (a running timer)
    duration: SessionSeconds | None
    note: Annotated[StrictStr, Field(max_length=NOTE_MAX)] | None = None
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
    lastUpdated: IgnoredTimestamp | None = None


class SessionBody(_Body):
    task: SessionTaskRef
    project: SessionProjectRef | None = None
    session: SessionFields


class ProjectBody(_Body):
    project: ProjectFields


# ----------------------------------------------------------------------------- sessions in bulk

MAX_BATCH = 100
MAX_ATOMIC_BATCH = 25
ETagText = Annotated[StrictStr, Field(min_length=1, max_length=255, description="An ETag")]


class BatchCreate(_Body):
    """`POST /v1/sessions` with this body."""

    op: Literal["create"]
    body: SessionBody


class BatchReplace(_Body):
    """`PUT /v1/sessions/{id}` with this body, and `ifMatch` as its `If-Match`."""

    op: Literal["replace"]
    id: ClientId
    ifMatch: ETagText = absent()
    body: SessionBody


class BatchDelete(_Body):
    """`DELETE /v1/sessions/{id}`, with `ifMatch` as its `If-Match`."""

    op: Literal["delete"]
    id: ClientId
    ifMatch: ETagText = absent()


def _operation_tag(value: Any) -> str | None:
    """The member of `BatchOperation` a value is, by its `op`. The tags do not look like field
    names, so an error names the fields as the client wrote them (`operations.0.body...`)."""
    op = value.get("op") if isinstance(value, dict) else getattr(value, "op", None)
    return f"op={op}" if op in ("create", "replace", "delete") else None


BatchOperation = Annotated[
    Annotated[BatchCreate, UnionTag("op=create")]
    | Annotated[BatchReplace, UnionTag("op=replace")]
    | Annotated[BatchDelete, UnionTag("op=delete")],
    Discriminator(_operation_tag),
]


class SessionBatch(_Body):
    """`POST /v1/sessions/batch` (contract section 16)."""

    atomic: StrictBool = Field(
        default=True, description="One transaction: all or none (at most 25 operations)"
    )
    operations: Annotated[list[BatchOperation], Field(min_length=1, max_length=MAX_BATCH)]


class CategoryBody(_Body):
    category: CategoryFields


class TaskBody(_Body):
    task: TaskFields


class SubtaskBody(_Body):
    subtask: SubtaskFields


class TagFields(_Body):
    """Writable tag fields; a PATCH sets only those present."""

    name: TagName = absent()
    color: HexColor | None = None
    id: ClientId = absent()
    lastUpdated: IgnoredTimestamp | None = None


class TagBody(_Body):
    tag: TagFields


# ----------------------------------------------------------------------------- responses


class ErrorDetail(TypedDict):
    code: str
    message: str
    details: NotRequired[list[Any]]
    requestId: Annotated[str, Field(description="API Gateway's id of the request (X-Request-Id)")]
    index: NotRequired[
        Annotated[int, Field(description="An atomic batch's failing operation (from 0)")]
    ]


class OperationError(TypedDict):
    code: str
    message: str
    details: NotRequired[list[Any]]


class ErrorBody(BaseModel):
    """Every error other than the authorizer's 401 (contract section 1)."""

    error: ErrorDetail


class GatewayMessage(BaseModel):
    """API Gateway's own answer, as its authorizer's 401: `{"message": "Unauthorized"}`."""

    message: str


class ProjectEnvelope(BaseModel):
    project: Project


class ProjectList(TypedDict):
    projects: list[Project]
    nextToken: NotRequired[str]


class CategoryEnvelope(BaseModel):
    category: Category


class CategoryList(TypedDict):
    categories: list[Category]
    nextToken: NotRequired[str]


class TaskEnvelope(BaseModel):
    task: Task


class TaskList(TypedDict):
    tasks: list[Task]
    nextToken: NotRequired[str]


class SubtaskEnvelope(BaseModel):
    subtask: Subtask


class SessionEnvelope(BaseModel):
    session: Session


class SessionWrite(TypedDict):
    session: Session
    task: NotRequired[Task]
    project: NotRequired[Project]
    tags: NotRequired[Annotated[list[Tag], Field(description="The tags this request created")]]


class BatchResult(TypedDict):
    status: Annotated[int, Field(description="What the operation's own route answers")]
    session: NotRequired[Session]
    task: NotRequired[Task]
    project: NotRequired[Project]
    tags: NotRequired[list[Tag]]
    error: NotRequired[OperationError]


class BatchResults(TypedDict):
    results: Annotated[list[BatchResult], Field(description="One per operation, in order")]


class TagEnvelope(BaseModel):
    tag: Tag


class TagList(TypedDict):
    tags: list[Tag]
    nextToken: NotRequired[str]


class SessionList(TypedDict):
    sessions: list[Session]
    nextToken: NotRequired[str]


class Tombstone(BaseModel):
    type: KindName
    id: str
    lastUpdated: str


if set(ENTITY_MODELS) != set(kinds.NAMES):  # a kind without its model would sync nothing
    raise RuntimeError(f"entity models {sorted(ENTITY_MODELS)} != kinds {sorted(kinds.NAMES)}")

if TYPE_CHECKING:
    SyncPage = dict[str, Any]
else:
    # A sync page: a list per kind (omitted when empty) and the deleted ones' tombstones.
    SyncPage = TypedDict(
        "SyncPage",
        {
            "syncToken": str,
            "hasMore": bool,
            **{
                kinds.KINDS[kind].plural: NotRequired[list[model]]
                for kind, model in ENTITY_MODELS.items()
            },
            "deleted": NotRequired[list[Tombstone]],
        },
    )


class SubtaskList(TypedDict):
    subtasks: list[Subtask]
    nextToken: NotRequired[str]


# ----------------------------------------------------------------------------- timers and teams

TaskEvent = Literal[
    "start_tracking", "stop_tracking", "pause", "start_without_tracking", "finish", "reopen"
]
TeamRole = Literal["admin", "member"]
Note = Annotated[StrictStr, Field(max_length=NOTE_MAX)]
EMAIL_MAX = 254


# Blanks as an explicit set, not `\s`: Python's, pydantic's (Rust) and JSON Schema's (ECMA) `\s`
# each hold other characters (U+0085 is one in Python, not in ECMA), so a client validating
# with the document would disagree with the server. The same six in the trim and the pattern.
_BLANKS = " \t\n\r\f\v"
_BLANK_CLASS = r" \t\n\r\f\v"  # in a regex: every engine reads these escapes alike


def normalized_email(value: str) -> str:
    """The one spelling of an email that invitations compare: trimmed, lowercase."""
    return value.strip(_BLANKS).lower()


# Enough to refuse what cannot be an address, with blanks around it allowed (they are trimmed);
# the pattern and the length bound say exactly what is accepted, in the document too.
_EMAIL_PATTERN = rf"^[{_BLANK_CLASS}]*[^@{_BLANK_CLASS}]+@[^@{_BLANK_CLASS}]+[{_BLANK_CLASS}]*$"
Email = Annotated[
    StrictStr,
    Field(max_length=EMAIL_MAX, pattern=_EMAIL_PATTERN),
    AfterValidator(normalized_email),
]


class TaskEventBody(_Body):
    """`POST /v1/tasks/{taskId}/events` (contract section 7)."""

    event: TaskEvent
    note: Note | None = None


class TaskEventNote(_Body):
    """The optional body of Time Magic's `PATCH /v1/tasks/{taskId}?event=...`."""

    note: Note | None = None


class TimerStart(_Body):
    taskId: ClientId
    subtaskId: ClientId | None = None
    note: Note | None = None
    type: SessionType = "session"


class TimerStop(_Body):
    note: Note | None = None


class TeamFields(_Body):
    name: Title


class TeamBody(_Body):
    team: TeamFields


class MemberBody(_Body):
    email: Email
    role: TeamRole = "member"


class TaskEventResult(TypedDict):
    task: Task
    session: NotRequired[Session]


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


class Member(BaseModel):
    userId: str
    email: str
    displayName: str
    role: TeamRole


class TeamInvitation(BaseModel):
    """A pending invitation as the team's admins see it."""

    id: str
    email: str = Field(description="Trimmed and lowercase")
    role: TeamRole
    createdAt: Annotated[str, DATE_TIME]


class Team(TypedDict):
    id: str
    name: str
    members: list[Member]
    invitations: NotRequired[
        Annotated[
            list[TeamInvitation],
            Field(description="Pending, unexpired invitations; only in an admin's view"),
        ]
    ]


class TeamEnvelope(BaseModel):
    team: Team


class TeamList(TypedDict):
    teams: list[Team]
    nextToken: NotRequired[str]


class InvitedBy(BaseModel):
    userId: str
    displayName: str


class Invitation(BaseModel):
    """An invitation to a team, as its invitee sees it (`GET /v1/invitations`) and as the admin
    who made it gets it back. It expires 14 days after `createdAt`."""

    id: str
    teamId: str
    teamName: str
    email: str = Field(description="The invitee's email, trimmed and lowercase")
    role: TeamRole
    invitedBy: InvitedBy
    createdAt: Annotated[str, DATE_TIME]


class InvitationEnvelope(BaseModel):
    invitation: Invitation


class InvitationList(TypedDict):
    invitations: list[Invitation]
    nextToken: NotRequired[str]


class TimerUser(BaseModel):
    id: str
    email: str
    displayName: str


class TimerProject(BaseModel):
    id: str
    title: str | None


class TimerTask(BaseModel):
    id: str
    title: str | None
    project: TimerProject


class TeamTimer(BaseModel):
    """A member's running timer as the team sees it (Worksection's get_timers)."""

    id: str = Field(description="The running session's id")
    startTimestamp: str
    elapsed: int
    note: str | None = None
    user: TimerUser
    task: TimerTask


class TeamTimers(TypedDict):
    timers: list[TeamTimer]


# ----------------------------------------------------------------------------- webhooks

HOOK_URL_MAX = 2048
HookUrl = Annotated[StrictStr, Field(min_length=1, max_length=HOOK_URL_MAX)]
WebhookStatus = Literal["active", "disabled"]


class WebhookFields(_Body):
    """`POST /v1/webhooks` (contract section 11)."""

    hookUrl: HookUrl
    triggerType: TriggerType


class WebhookPatchFields(_Body):
    """What `PATCH /v1/webhooks/{webhookId}` may change. A webhook sent back as it was got
    passes: its `id`, `createdAt` and its `triggerType` (which cannot change) are ignored."""

    hookUrl: HookUrl = absent()
    status: WebhookStatus = absent(
        "`active` re-enables a disabled webhook (and clears its failure count)"
    )
    id: ClientId = absent()
    triggerType: TriggerType = absent()
    createdAt: IgnoredTimestamp | None = None


class WebhookPatch(_Body):
    webhook: WebhookPatchFields


class Webhook(BaseModel):
    id: str
    hookUrl: str
    triggerType: TriggerType
    status: WebhookStatus
    createdAt: str


class WebhookCreated(Webhook):
    secret: str = Field(description="`whsec_...`: shown only in the create and rotate answers")


class WebhookEnvelope(BaseModel):
    webhook: Webhook


class WebhookSecretEnvelope(BaseModel):
    webhook: WebhookCreated


class WebhookList(TypedDict):
    webhooks: list[Webhook]
    nextToken: NotRequired[str]


class QueuedDelivery(TypedDict):
    id: Annotated[str, Field(description="The event's id: `webhook-id` and the log's `id`")]


class QueuedDeliveryEnvelope(TypedDict):
    delivery: QueuedDelivery


class DeliveryAttempt(BaseModel):
    """One attempt to deliver an event, as the delivery log keeps it (30 days)."""

    id: str = Field(description="The event's id (`webhook-id`), the same on each attempt")
    eventType: str = Field(description="e.g. `task.updated`, `webhook.ping`")
    attempt: int = Field(ge=1, le=1_000_000, description="1 for the first attempt")
    status: Literal["succeeded", "failed"]
    responseStatus: int | None = Field(
        ge=100, le=999, description="The receiver's HTTP status; null when none came"
    )
    error: str | None = Field(description="Why it failed (at most 500 characters); null if not")
    durationMs: int = Field(ge=0, le=900_000)
    attemptedAt: Annotated[str, DATE_TIME]


class DeliveryAttemptList(TypedDict):
    deliveries: list[DeliveryAttempt]
    nextToken: NotRequired[str]


# ----------------------------------------------------------------------------- OpenAPI

# A route's decorator declares its own responses (`responses=`): its success responses and the
# errors the contract names for that route. What every route shares (contract section 1: 400,
# 401, 403, 404 on a path id, 409 on writes, 412, 413, 429, the Idempotency-Key and If-Match
# headers, the security requirement) is added by tools/openapi.py, which writes openapi.json.

_ETAG = {
    "description": "The entity's version; send it back in `If-Match` to update or delete it",
    "required": True,
    "schema": {"type": "string"},
}


def returns(description: str, *, etag: bool = False) -> OpenAPIResponse:
    """A success response whose body is the route's return annotation (with `ETag`: one entity)."""
    response: OpenAPIResponse = {"description": description}
    if etag:
        response["headers"] = {"ETag": cast(Any, _ETAG)}
    return response


def returns_nothing(description: str) -> OpenAPIResponse:
    """A success response without a body (204)."""
    return {"description": description, "content": {}}


def fails(description: str) -> OpenAPIResponse:
    """An error response: the contract's error body, `{"error": {code, message, details?}}`."""
    return {"description": description, "content": {"application/json": {"model": ErrorBody}}}


# ----------------------------------------------------------------------------- reports and search

ReportGroupBy = Literal["project", "task", "day", "tag"]
WeeklyGroupBy = Literal["project", "task", "tag"]
ReportFormat = Literal["json", "csv"]
# A report's amount: an exact number of cents, written as a JSON number (at most 2 decimals).
Amount = Annotated[
    Decimal,
    _AS_JSON_NUMBER,
    WithJsonSchema({"type": "number", "minimum": 0, "description": "at most 2 decimals"}),
]


class ReportTotals(TypedDict):
    sessions: int
    duration: int
    roundedDuration: int
    billableDuration: int
    amount: Amount
    breakDuration: int


class ReportGroup(TypedDict):
    id: Annotated[
        str | None,
        Field(
            description="A project id, a task id, a day (YYYY-MM-DD) or a tag id (null: untagged)"
        ),
    ]
    title: str | None
    sessions: int
    duration: int
    roundedDuration: int
    billableDuration: int
    amount: Amount
    # Project groups only.
    plannedDurationHours: NotRequired[ExactNumber | None]
    plannedBudget: NotRequired[ExactNumber | None]


# Functional form: `from` is a Python keyword.
SummaryReport = TypedDict(
    "SummaryReport",
    {
        "from": Annotated[str, DATE_TIME],
        "to": Annotated[str, DATE_TIME],
        "tz": str,
        "groupBy": ReportGroupBy,
        "totals": ReportTotals,
        "groups": list[ReportGroup],
    },
)


class EntityRef(TypedDict):
    id: str
    title: str | None


class TagRef(TypedDict):
    id: str
    name: str


class DetailedEntry(TypedDict):
    sessionId: str
    startTimestamp: Annotated[str, DATE_TIME]
    endTimestamp: Annotated[str | None, Field(description="null while it runs")]
    date: Annotated[str, Field(description="The local day (in tz) it starts on, YYYY-MM-DD")]
    project: EntityRef
    task: EntityRef
    subtask: EntityRef | None
    tags: list[TagRef]
    note: str | None
    duration: int
    roundedDuration: int
    billable: bool
    hourlyRate: ExactNumber | None
    amount: Amount


DetailedReport = TypedDict(
    "DetailedReport",
    {
        "from": Annotated[str, DATE_TIME],
        "to": Annotated[str, DATE_TIME],
        "tz": str,
        "totals": Annotated[ReportTotals, Field(description="The whole range's, on every page")],
        "entries": list[DetailedEntry],
        "nextToken": NotRequired[str],
    },
)

# Seven numbers: one a day, from `from`.
Week = Annotated[list[int], Field(min_length=7, max_length=7)]


class WeeklyGroup(TypedDict):
    id: Annotated[str | None, Field(description="A project, task or tag id (null: untagged)")]
    title: str | None
    days: Week
    roundedDuration: int
    amount: Amount


class WeeklyTotals(TypedDict):
    days: Week
    roundedDuration: int
    amount: Amount


WeeklyReport = TypedDict(
    "WeeklyReport",
    {
        "from": Annotated[str, Field(json_schema_extra={"format": "date"})],
        "to": Annotated[
            str, Field(json_schema_extra={"format": "date"}, description="from + 7 (exclusive)")
        ],
        "tz": str,
        "groupBy": WeeklyGroupBy,
        "days": Annotated[list[str], Field(min_length=7, max_length=7)],
        "groups": list[WeeklyGroup],
        "totals": WeeklyTotals,
    },
)


class SearchResult(TypedDict):
    type: SearchType
    id: str
    title: str | None
    parentId: str | None
    active: bool


class SearchResults(TypedDict):
    results: list[SearchResult]

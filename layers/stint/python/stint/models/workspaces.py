"""Workspaces (WorkspacesFunction): a workspace, its members and pending invitations, an
invitation as its invitee sees it, and the workspace's running timers; the bodies that make and
change them."""

from __future__ import annotations

from typing import Annotated, Any, Literal, NotRequired

from pydantic import AfterValidator, Field, StrictBool, StrictStr
from typing_extensions import TypedDict

from stint.models.base import BaseModel, Ignored, RequestBody, absent
from stint.models.money import ExactNumber, HourlyRate
from stint.models.values import DATE_TIME, ClientId, Currency, Date, IgnoredTimestamp, Title

Role = Literal["owner", "admin", "manager", "member"]
# The roles an invitation may give: ownership is handed over, never given by an invitation.
InvitedRole = Literal["admin", "manager", "member"]
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


class WorkspaceSettings(TypedDict):
    """A workspace's settings. A TypedDict, not a model: `billableRate` is absent for those who
    do not see money (a model would write its default back)."""

    membersManageCatalog: Annotated[
        bool, Field(description="Members (not only managers) create and change the catalog")
    ]
    currency: Annotated[str, Field(description="ISO 4217: the currency of every amount")]
    billableRate: NotRequired[
        Annotated[
            ExactNumber | None,
            Field(description='The billable rate of last resort (docs/API.md, "Money")'),
        ]
    ]
    membersSeeRates: Annotated[
        bool,
        Field(description="Members (not only owners, admins and managers) see rates and money"),
    ]
    lockedBefore: Annotated[
        str | None,
        Field(
            description="No session starting before this date (UTC) is created, changed or "
            "deleted but by the owner and admins",
            json_schema_extra={"format": "date"},
        ),
    ]


# Every setting of a workspace never given that one.
DEFAULT_SETTINGS: dict[str, Any] = {
    "membersManageCatalog": False,
    "currency": "EUR",
    "billableRate": None,
    "membersSeeRates": False,
    "lockedBefore": None,
}


class WorkspaceSettingsFields(RequestBody):
    membersManageCatalog: StrictBool = absent()
    currency: Currency = absent()
    billableRate: HourlyRate | None = None
    membersSeeRates: StrictBool = absent()
    lockedBefore: Date | None = None


class WorkspaceFields(RequestBody):
    """A new workspace's name and settings."""

    name: Title
    settings: WorkspaceSettingsFields = absent()


class WorkspaceBody(RequestBody):
    workspace: WorkspaceFields


class WorkspacePatchFields(RequestBody):
    """What a PATCH changes (name, settings: only those present); the workspace sent back as it
    was got passes: its read-only fields are ignored, its `id` must be the path's."""

    name: Title = absent()
    settings: WorkspaceSettingsFields = absent()
    id: ClientId = absent()
    personal: Ignored = None
    role: Ignored = None
    memberCount: Ignored = None
    lastUpdated: IgnoredTimestamp | None = None


class WorkspacePatch(RequestBody):
    workspace: WorkspacePatchFields


class MemberBody(RequestBody):
    email: Email
    role: InvitedRole = "member"


class MemberPatch(RequestBody):
    """A member's new role and / or rates (`null` clears a rate); the member sent back as it was
    got passes (its other fields are ignored)."""

    role: Role = absent()
    billableRate: HourlyRate | None = None
    costRate: HourlyRate | None = None
    userId: Ignored = None
    email: Ignored = None
    displayName: Ignored = None
    joinedAt: IgnoredTimestamp | None = None


class Member(TypedDict):
    """A member of a workspace (a TypedDict: the rates are absent for those who do not see
    money)."""

    userId: str
    email: str
    displayName: str
    role: Role
    joinedAt: Annotated[str, DATE_TIME]
    billableRate: NotRequired[
        Annotated[ExactNumber | None, Field(description="Their billable rate here")]
    ]
    costRate: NotRequired[
        Annotated[ExactNumber | None, Field(description="What an hour of theirs costs")]
    ]


class InvitedBy(BaseModel):
    userId: str
    displayName: str


class Invitation(BaseModel):
    """An invitation to a workspace, as its invitee sees it (`GET /v1/invitations`) and as the
    owner or admin who made it gets it back. It expires 14 days after `createdAt`."""

    id: str
    workspaceId: str
    workspaceName: str
    email: str = Field(description="The invitee's email, trimmed and lowercase")
    role: InvitedRole
    invitedBy: InvitedBy
    createdAt: Annotated[str, DATE_TIME]


class Workspace(BaseModel):
    id: str
    name: str
    personal: bool = Field(description="The caller's personal workspace (one member: them)")
    role: Role = Field(description="The caller's role in it")
    settings: WorkspaceSettings
    memberCount: int
    lastUpdated: Annotated[str, DATE_TIME]


class WorkspaceEnvelope(BaseModel):
    workspace: Workspace


class WorkspaceList(TypedDict):
    workspaces: list[Workspace]


class MemberEnvelope(BaseModel):
    member: Member


class MemberList(TypedDict):
    members: list[Member]
    invitations: NotRequired[
        Annotated[
            list[Invitation],
            Field(description="Pending, unexpired invitations; only for owners and admins"),
        ]
    ]


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
    assigneeId: str | None
    project: TimerProject


class WorkspaceTimer(BaseModel):
    """A member's running timer on a task of the workspace (Worksection's get_timers)."""

    id: str = Field(description="The running session's id")
    startTimestamp: str
    elapsed: int
    note: str | None = None
    user: TimerUser
    task: TimerTask


class WorkspaceTimers(TypedDict):
    timers: list[WorkspaceTimer]

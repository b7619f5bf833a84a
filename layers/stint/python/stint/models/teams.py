"""Teams (TeamsFunction): a team, its members and pending invitations, an invitation as its
invitee sees it, and the team's running timers; the bodies that make and change them."""

from __future__ import annotations

from typing import Annotated, Literal, NotRequired

from pydantic import AfterValidator, Field, StrictStr
from typing_extensions import TypedDict

from stint.models.base import BaseModel, RequestBody
from stint.models.values import DATE_TIME, Title

TeamRole = Literal["admin", "member"]
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


class TeamFields(RequestBody):
    name: Title


class TeamBody(RequestBody):
    team: TeamFields


class MemberBody(RequestBody):
    email: Email
    role: TeamRole = "member"


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

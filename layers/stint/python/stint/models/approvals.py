"""Approvals (WorkspacesFunction; docs/API.md, "Locked time and approvals"): a member's period
submitted for approval, approved or rejected, and the bodies that make and decide them."""

from __future__ import annotations

from typing import Annotated, Literal, NotRequired

from pydantic import Field
from typing_extensions import TypedDict

from stint.models.base import BaseModel, RequestBody
from stint.models.money import Amount
from stint.models.values import DATE_TIME, Date, Note

ApprovalStatus = Literal["submitted", "approved", "rejected"]
_DATE = Field(json_schema_extra={"format": "date"})


class ApprovalBody(RequestBody):
    """The period of the caller's own time to submit: dates, `from` to `to` inclusive (UTC)."""

    from_: Date = Field(alias="from", description="The period's first day (UTC)")
    to: Date = Field(description="The period's last day (UTC), not before `from`")


class ApprovalDecision(RequestBody):
    note: Note | None = None


class ApprovalTotals(TypedDict):
    """The member's time in the period when it was submitted, as a report's totals (UTC)."""

    sessions: int
    duration: int
    roundedDuration: int
    billableDuration: int
    breakDuration: int
    amount: NotRequired[
        Annotated[Amount, Field(description="Absent for a member who does not see money")]
    ]
    cost: NotRequired[Annotated[Amount, Field(description="Absent where amount is")]]
    profit: NotRequired[Annotated[Amount, Field(description="Absent where amount is")]]


Approval = TypedDict(
    "Approval",
    {
        "id": str,
        "workspaceId": str,
        "userId": Annotated[str, Field(description="The member whose time it is")],
        "from": Annotated[str, _DATE],
        "to": Annotated[str, _DATE],
        "status": ApprovalStatus,
        "totals": ApprovalTotals,
        "note": Annotated[str | None, Field(description="The approver's note, if any")],
        "submittedAt": Annotated[str, DATE_TIME],
        "decidedBy": Annotated[str | None, Field(description="Who approved or rejected it")],
        "decidedAt": Annotated[str | None, DATE_TIME],
        "lastUpdated": Annotated[str, DATE_TIME],
    },
)


class ApprovalEnvelope(BaseModel):
    approval: Approval


class ApprovalList(TypedDict):
    approvals: list[Approval]
    nextToken: NotRequired[str]

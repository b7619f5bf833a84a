"""Reports and search (ReportsFunction): the summary report's answer and the search results."""

from __future__ import annotations

from typing import Annotated, Literal, NotRequired

from typing_extensions import TypedDict

from stint.models.money import Amount, ExactNumber
from stint.models.values import DATE_TIME, SearchType

ReportGroupBy = Literal["project", "task", "day"]
ReportFormat = Literal["json", "csv"]


class ReportTotals(TypedDict):
    sessions: int
    duration: int
    roundedDuration: int
    billableDuration: int
    amount: Amount
    breakDuration: int


class ReportGroup(TypedDict):
    id: str  # a project id, a task id or a day, YYYY-MM-DD
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


class SearchResult(TypedDict):
    type: SearchType
    id: str
    title: str | None
    parentId: str | None
    active: bool


class SearchResults(TypedDict):
    results: list[SearchResult]

"""Reports and search (ReportsFunction): the summary report's answer and the search results."""

from __future__ import annotations

from typing import Annotated, Literal, NotRequired

from pydantic import Field
from typing_extensions import TypedDict

from stint.models.money import Amount, ExactNumber, Profit
from stint.models.values import DATE_TIME, SearchType

ReportGroupBy = Literal["project", "task", "day", "tag", "user", "client"]
WeeklyGroupBy = Literal["project", "task", "tag", "user", "client"]


class Money(TypedDict):
    """A report's money figures: only for those who see money (docs/API.md, "Money")."""

    amount: NotRequired[Amount]
    cost: NotRequired[Amount]
    profit: NotRequired[Profit]


class ReportTotals(Money):
    sessions: int
    duration: int
    roundedDuration: int
    billableDuration: int
    breakDuration: int


class ReportGroup(Money):
    id: Annotated[
        str | None,
        Field(
            description=(
                "A project id, a task id, a day (YYYY-MM-DD), a tag id (null: untagged), a"
                " member's id or a client id (null: no client)"
            )
        ),
    ]
    title: str | None
    sessions: int
    duration: int
    roundedDuration: int
    billableDuration: int
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


class DetailedEntry(Money):
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
    hourlyRate: NotRequired[
        Annotated[ExactNumber | None, Field(description="The billable rate it is priced at")]
    ]


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


class WeeklyGroup(Money):
    id: Annotated[
        str | None, Field(description="A project, task, tag, member or client id (null: none)")
    ]
    title: str | None
    days: Week
    roundedDuration: int


class WeeklyTotals(Money):
    days: Week
    roundedDuration: int


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

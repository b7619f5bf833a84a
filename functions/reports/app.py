"""Reports function: the summary, detailed and weekly reports and search (docs/DESIGN.md,
"Reports and search").

Both only read the caller's data. A thin HTTP adapter.
"""

from typing import Annotated

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Query

from stint.api import CurrentCaller, create_app, handler, json_response, next_link
from stint.models import (
    DetailedReport,
    ReportFormat,
    ReportGroupBy,
    SearchResults,
    SearchType,
    SummaryReport,
    WeeklyGroupBy,
    WeeklyReport,
    fails,
    returns,
)
from stint.services import report_range, reports, search

CSV = "text/csv; charset=utf-8"

app = create_app()

From = Annotated[
    str,
    Query(
        alias="from",
        description="Sessions that start at or after this",
        json_schema_extra={"format": "date-time"},
    ),
]
To = Annotated[
    str,
    Query(
        alias="to",
        description="... and before this; at most 367 days after `from`",
        json_schema_extra={"format": "date-time"},
    ),
]
Zone = Annotated[str, Query(description="IANA time zone of the days")]
Format = Annotated[ReportFormat, Query(alias="format")]
TagFilter = Annotated[str | None, Query(description="Only sessions carrying this tag")]
NOT_FOUND = fails("`not_found`: `projectId`, `taskId` or `tagId` names nothing of the caller's")


def _csv(text: str, name: str) -> Response[str]:
    disposition = f'attachment; filename="{name}.csv"'
    return Response(200, CSV, text, {"Content-Disposition": disposition})


@app.get(
    "/v1/reports/summary",
    responses={
        200: {
            "description": (
                "The summary: JSON, or with `format=csv` the groups as CSV (UTF-8 with a byte "
                "order mark, a header row: id, title, sessions, duration, roundedDuration, "
                "billableDuration, amount, and for projects plannedDurationHours, plannedBudget)"
            ),
            "content": {
                "application/json": {"model": SummaryReport},
                "text/csv": {"schema": {"type": "string"}},
            },
        },
        404: fails("`not_found`: `projectId` or `tagId` names nothing of the caller's"),
    },
)
def summary(
    caller: CurrentCaller,
    start: From,
    end: To,
    groupBy: Annotated[ReportGroupBy, Query()] = "project",
    tz: Zone = "UTC",
    projectId: Annotated[str | None, Query()] = None,
    tagId: TagFilter = None,
    output: Format = "json",
) -> Response[SummaryReport | str]:  # str: the CSV text
    """Summary report.

    The work sessions that start in `[from, to)`, rounded by their project's rule, grouped
    by project, task, day (in `tz`) or tag (a session counts in each of its tags' groups, an
    untagged one in the group with `id: null`), with the billable amounts; as JSON, or as CSV
    with `format=csv`.
    """
    query = report_range.parse_query(
        start=start, end=end, tz=tz, group_by=groupBy, project_id=projectId, tag_id=tagId
    )
    report = reports.summary(caller, query)
    if output == "csv":
        return _csv(reports.to_csv(report), f"summary-by-{groupBy}")
    return json_response(200, report)


@app.get(
    "/v1/reports/detailed",
    responses={
        200: {
            "description": (
                "The entries: JSON, a page of `limit` with the whole range's totals; or with "
                "`format=csv` every entry of the range (UTF-8 with a byte order mark, a header "
                "row: " + ", ".join(reports.DETAILED_COLUMNS) + ")"
            ),
            "content": {
                "application/json": {"model": DetailedReport},
                "text/csv": {"schema": {"type": "string"}},
            },
        },
        404: NOT_FOUND,
    },
)
def detailed(
    caller: CurrentCaller,
    start: From,
    end: To,
    tz: Zone = "UTC",
    projectId: Annotated[str | None, Query()] = None,
    taskId: Annotated[str | None, Query()] = None,
    tagId: TagFilter = None,
    billable: Annotated[bool | None, Query(description="Only (non-)billable tasks")] = None,
    output: Format = "json",
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    nextToken: Annotated[str | None, Query()] = None,
) -> Response[DetailedReport | str]:  # str: the CSV text
    """Detailed report.

    Every work session that starts in `[from, to)`, one entry each by start, with its
    project, task, subtask, tags, rounded duration and amount. JSON pages carry the whole
    range's totals, and the pages' amounts add up to them to the cent; `format=csv` is every
    entry in one answer.
    """
    query = report_range.parse_query(
        start=start,
        end=end,
        tz=tz,
        project_id=projectId,
        tag_id=tagId,
        task_id=taskId,
        billable=billable,
    )
    if output == "csv":
        whole = reports.detailed(caller, query, limit=None, next_token=None)
        return _csv(reports.detailed_csv(whole.report), "detailed")
    page = reports.detailed(caller, query, limit=limit, next_token=nextToken)
    if page.next_token is None:
        return json_response(200, page.report)
    body = {**page.report, "nextToken": page.next_token}
    return json_response(200, body, next_link(app, "nextToken", page.next_token))


@app.get(
    "/v1/reports/weekly",
    responses={
        200: {
            "description": (
                "The week: JSON, or with `format=csv` a row per group (id, title, a column per "
                "day, roundedDuration, amount) and a totals row (empty id, title `Total`)"
            ),
            "content": {
                "application/json": {"model": WeeklyReport},
                "text/csv": {"schema": {"type": "string"}},
            },
        },
    },
)
def weekly(
    caller: CurrentCaller,
    start: Annotated[
        str,
        Query(
            alias="from",
            description="The first of the seven local days, YYYY-MM-DD",
            json_schema_extra={"format": "date"},
        ),
    ],
    tz: Zone = "UTC",
    groupBy: Annotated[WeeklyGroupBy, Query()] = "project",
    output: Format = "json",
) -> Response[WeeklyReport | str]:  # str: the CSV text
    """Weekly report.

    Seven local days (in `tz`) from `from`: the rounded durations of each project, task or
    tag a day, and its amount, with the totals a day.
    """
    query = reports.weekly_query(start=start, tz=tz, group_by=groupBy)
    report = reports.weekly(caller, query)
    if output == "csv":
        return _csv(reports.weekly_csv(report), f"weekly-by-{groupBy}")
    return json_response(200, report)


@app.get(
    "/v1/search",
    responses={
        200: returns("Up to 50 matches: active ones first, then exact matches, then by title"),
        404: fails("`not_found`: `parentId` names no category, project or task of the caller"),
    },
)
def search_entities(
    caller: CurrentCaller,
    kind: Annotated[SearchType, Query(alias="type")],
    name: Annotated[str | None, Query(max_length=500)] = None,
    parentId: Annotated[str | None, Query()] = None,
) -> Response[SearchResults]:
    """Search by name.

    Categories, projects, tasks, subtasks or tags whose title (a tag's name) contains `name`,
    case-insensitive, optionally under one parent; active ones first, then exact matches, at
    most 50.
    """
    results = search.search(caller, kind, name, parentId)
    return json_response(200, {"results": results})


lambda_handler = handler(app)

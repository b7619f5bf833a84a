"""Reports function: the summary, detailed and weekly reports and search (docs/DESIGN.md,
"Reports and search").

Both only read the caller's data. A thin HTTP adapter.
"""

from typing import Annotated, Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Query

from stint.api import CurrentCaller, create_app, handler
from stint.models import (
    DetailedReport,
    ReportGroupBy,
    SearchResults,
    SearchType,
    SummaryReport,
    WeeklyGroupBy,
    WeeklyReport,
    fails,
    returns,
)
from stint.responses import json_response, next_link
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
TagFilter = Annotated[str | None, Query(description="Only sessions carrying this tag")]
NOT_FOUND = fails(
    "`not_found`: `projectId`, `taskId`, `tagId` or `workspaceId` names nothing of the caller's"
)
NOT_ALLOWED = fails("`forbidden`: a member's reports are of their own time (`userId`)")
WorkspaceFilter = Annotated[
    str | None,
    Query(
        description="One workspace: every member's time for its owners, admins and managers, a"
        " member's own; without it, the caller's own time in every workspace"
    ),
]
UserFilter = Annotated[str | None, Query(description="One member's time (needs `workspaceId`)")]


def _csv(text: str, name: str) -> Response[str]:
    disposition = f'attachment; filename="{name}.csv"'
    return Response(200, CSV, text, {"Content-Disposition": disposition})


def _csv_answer(description: str) -> dict[int, Any]:
    return {
        200: {"description": description, "content": {"text/csv": {"schema": {"type": "string"}}}},
        403: NOT_ALLOWED,
        404: NOT_FOUND,
    }


_SUMMARY_CSV = (
    "The groups as CSV (UTF-8 with a byte order mark, a header row: id, title, sessions,"
    " duration, roundedDuration, billableDuration, amount, and for projects"
    " plannedDurationHours, plannedBudget); formula cells neutralised"
)


def _summary_report(
    caller: Any,
    start: str,
    end: str,
    groupBy: ReportGroupBy,
    tz: str,
    projectId: str | None,
    tagId: str | None,
    workspaceId: str | None,
    userId: str | None,
) -> dict[str, Any]:
    query = report_range.parse_query(
        start=start,
        end=end,
        tz=tz,
        group_by=groupBy,
        project_id=projectId,
        tag_id=tagId,
        workspace_id=workspaceId,
        user_id=userId,
    )
    return reports.summary(caller, query)


@app.get(
    "/v1/reports/summary",
    responses={200: returns("The summary"), 403: NOT_ALLOWED, 404: NOT_FOUND},
)
def summary(
    caller: CurrentCaller,
    start: From,
    end: To,
    groupBy: Annotated[ReportGroupBy, Query()] = "project",
    tz: Zone = "UTC",
    projectId: Annotated[str | None, Query()] = None,
    tagId: TagFilter = None,
    workspaceId: WorkspaceFilter = None,
    userId: UserFilter = None,
) -> Response[SummaryReport]:
    """Summary report.

    The work sessions that start in `[from, to)`, rounded by their project's rule, grouped
    by project, task, day (in `tz`), tag (a session counts in each of its tags' groups, an
    untagged one in the group with `id: null`), member (`user`) or client (a project with no
    client's in the group with `id: null`, last), with the billable amounts.
    The same as CSV: `GET /v1/reports/summary.csv`.
    """
    report = _summary_report(caller, start, end, groupBy, tz, projectId, tagId, workspaceId, userId)
    return json_response(200, report)


@app.get("/v1/reports/summary.csv", responses=_csv_answer(_SUMMARY_CSV))
def summary_csv(
    caller: CurrentCaller,
    start: From,
    end: To,
    groupBy: Annotated[ReportGroupBy, Query()] = "project",
    tz: Zone = "UTC",
    projectId: Annotated[str | None, Query()] = None,
    tagId: TagFilter = None,
    workspaceId: WorkspaceFilter = None,
    userId: UserFilter = None,
) -> Response[str]:
    """Summary report as CSV.

    `GET /v1/reports/summary`'s groups, a row each, with a header row.
    """
    report = _summary_report(caller, start, end, groupBy, tz, projectId, tagId, workspaceId, userId)
    return _csv(reports.to_csv(report), f"summary-by-{groupBy}")


@app.get(
    "/v1/reports/detailed",
    responses={
        200: returns("A page of entries, with the whole range's totals"),
        403: NOT_ALLOWED,
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
    workspaceId: WorkspaceFilter = None,
    userId: UserFilter = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    nextToken: Annotated[str | None, Query()] = None,
) -> Response[DetailedReport]:
    """Detailed report.

    Every work session that starts in `[from, to)`, one entry each by start, with its
    project, task, subtask, tags, rounded duration and amount. Pages carry the whole range's
    totals, and the pages' amounts add up to them to the cent. Every entry in one CSV answer:
    `GET /v1/reports/detailed.csv`.
    """
    query = report_range.parse_query(
        start=start,
        end=end,
        tz=tz,
        project_id=projectId,
        tag_id=tagId,
        task_id=taskId,
        billable=billable,
        workspace_id=workspaceId,
        user_id=userId,
    )
    page = reports.detailed(caller, query, limit=limit, next_token=nextToken)
    if page.next_token is None:
        return json_response(200, page.report)
    body = {**page.report, "nextToken": page.next_token}
    return json_response(200, body, next_link(app, "nextToken", page.next_token))


@app.get(
    "/v1/reports/detailed.csv",
    responses=_csv_answer(
        "Every entry of the range as CSV (UTF-8 with a byte order mark, a header row: "
        + ", ".join(reports.DETAILED_COLUMNS)
        + "); formula cells neutralised"
    ),
)
def detailed_csv(
    caller: CurrentCaller,
    start: From,
    end: To,
    tz: Zone = "UTC",
    projectId: Annotated[str | None, Query()] = None,
    taskId: Annotated[str | None, Query()] = None,
    tagId: TagFilter = None,
    billable: Annotated[bool | None, Query(description="Only (non-)billable tasks")] = None,
    workspaceId: WorkspaceFilter = None,
    userId: UserFilter = None,
) -> Response[str]:
    """Detailed report as CSV.

    Every entry of `GET /v1/reports/detailed`'s range in one answer.
    """
    query = report_range.parse_query(
        start=start,
        end=end,
        tz=tz,
        project_id=projectId,
        tag_id=tagId,
        task_id=taskId,
        billable=billable,
        workspace_id=workspaceId,
        user_id=userId,
    )
    whole = reports.detailed(caller, query, limit=None, next_token=None)
    return _csv(reports.detailed_csv(whole.report), "detailed")


FirstDay = Annotated[
    str,
    Query(
        alias="from",
        description="The first of the seven local days, YYYY-MM-DD",
        json_schema_extra={"format": "date"},
    ),
]


@app.get(
    "/v1/reports/weekly", responses={200: returns("The week"), 403: NOT_ALLOWED, 404: NOT_FOUND}
)
def weekly(
    caller: CurrentCaller,
    start: FirstDay,
    tz: Zone = "UTC",
    groupBy: Annotated[WeeklyGroupBy, Query()] = "project",
    workspaceId: WorkspaceFilter = None,
    userId: UserFilter = None,
) -> Response[WeeklyReport]:
    """Weekly report.

    Seven local days (in `tz`) from `from`: the rounded durations of each project, task, tag,
    member or client a day, and its amount, with the totals a day. As CSV:
    `GET /v1/reports/weekly.csv`.
    """
    query = reports.weekly_query(
        start=start, tz=tz, group_by=groupBy, workspace_id=workspaceId, user_id=userId
    )
    return json_response(200, reports.weekly(caller, query))


@app.get(
    "/v1/reports/weekly.csv",
    responses=_csv_answer(
        "A row per group (id, title, a column per day, roundedDuration, amount) and a totals"
        " row (empty id, title `Total`)"
    ),
)
def weekly_csv(
    caller: CurrentCaller,
    start: FirstDay,
    tz: Zone = "UTC",
    groupBy: Annotated[WeeklyGroupBy, Query()] = "project",
    workspaceId: WorkspaceFilter = None,
    userId: UserFilter = None,
) -> Response[str]:
    """Weekly report as CSV.

    `GET /v1/reports/weekly`'s groups, a row each, with a totals row.
    """
    query = reports.weekly_query(
        start=start, tz=tz, group_by=groupBy, workspace_id=workspaceId, user_id=userId
    )
    return _csv(reports.weekly_csv(reports.weekly(caller, query)), f"weekly-by-{groupBy}")


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
    workspaceId: Annotated[
        str | None, Query(description="Only this workspace's (default: every workspace of yours)")
    ] = None,
) -> Response[SearchResults]:
    """Search by name.

    Categories, clients, projects, tasks, subtasks or tags whose title (a tag's or client's
    name) contains `name`, case-insensitive, optionally under one parent; active ones first
    (not archived, not completed), then exact matches, at most 50.
    """
    results = search.search(caller, kind, name, parentId, workspaceId)
    return json_response(200, {"results": results})


lambda_handler = handler(app)

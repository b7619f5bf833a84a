"""Reports function: the summary report (contract section 9) and search (section 10).

Both only read the caller's data. A thin HTTP adapter.
"""

from typing import Annotated

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Query

from stint.api import caller, create_app, handler, json_response
from stint.models import (
    ReportFormat,
    ReportGroupBy,
    SearchResults,
    SearchType,
    SummaryReport,
    fails,
    returns,
)
from stint.services import reports, search

CSV = "text/csv; charset=utf-8"

app = create_app()


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
        404: fails("`not_found`: `projectId` names no project of the caller"),
    },
)
def summary(
    start: Annotated[
        str,
        Query(
            alias="from",
            description="Sessions that start at or after this",
            json_schema_extra={"format": "date-time"},
        ),
    ],
    end: Annotated[
        str,
        Query(
            alias="to",
            description="... and before this; at most 367 days after `from`",
            json_schema_extra={"format": "date-time"},
        ),
    ],
    groupBy: Annotated[ReportGroupBy, Query()] = "project",
    tz: Annotated[str, Query(description="IANA time zone of the days (groupBy=day)")] = "UTC",
    projectId: Annotated[str | None, Query()] = None,
    output: Annotated[ReportFormat, Query(alias="format")] = "json",
) -> Response[SummaryReport | str]:  # str: the CSV text
    """Summary report.

    The work sessions that start in `[from, to)`, rounded by their project's rule, grouped
    by project, task or day (in `tz`), with the billable amounts; as JSON, or as CSV with
    `format=csv`.
    """
    query = reports.parse_query(start=start, end=end, tz=tz, group_by=groupBy, project_id=projectId)
    report = reports.summary(caller(app), query)
    if output == "csv":
        disposition = f'attachment; filename="summary-by-{groupBy}.csv"'
        return Response(200, CSV, reports.to_csv(report), {"Content-Disposition": disposition})
    return json_response(200, report)


@app.get(
    "/v1/search",
    responses={
        200: returns("Up to 50 matches: active ones first, then exact matches, then by title"),
        404: fails("`not_found`: `parentId` names no category, project or task of the caller"),
    },
)
def search_entities(
    kind: Annotated[SearchType, Query(alias="type")],
    name: Annotated[str | None, Query(max_length=500)] = None,
    parentId: Annotated[str | None, Query()] = None,
) -> Response[SearchResults]:
    """Search by name.

    Categories, projects, tasks, subtasks or tags whose title (a tag's name) contains `name`,
    case-insensitive, optionally under one parent; active ones first, then exact matches, at
    most 50.
    """
    results = search.search(caller(app), kind, name, parentId)
    return json_response(200, {"results": results})


lambda_handler = handler(app)

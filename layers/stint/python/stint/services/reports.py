"""Reports (docs/DESIGN.md, "Reports and search"; Tyme's summary, solidtime's and Kimai's
detailed and weekly reports): JSON and CSV.

A report reads, all consistently from the caller's partition:

1. one Query on `byStart` for the sessions that start in `[from, to)` (pages of 1,000);
2. BatchGetItems (100 keys a call) of what those sessions name: their tasks, and for the
   reports that show them their subtasks and tags, together;
3. BatchGetItems of the projects those tasks name;
4. grouped by client, BatchGetItems of the clients those projects name.

So its cost is the sessions in the range plus the distinct entities they refer to, whatever the
size of the account. The rounding and the money are `stint.billing`'s: each work session's
amount stays exact until a report turns a set of them into cents at once (`allocate_cents`),
so whatever adds up in the report adds up to the cent.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from stint.errors import invalid_field
from stint.models import ReportGroupBy as GroupBy
from stint.models import WeeklyGroupBy
from stint.services.common import Caller
from stint.services.pages import key_of_token, token_after
from stint.services.report_range import (
    FIGURES,
    PLANNED,
    WEEK,
    Group,
    Range,
    ReportQuery,
    Work,
    check_zone,
    grouped,
    money_figures,
    read_range,
)
from stint.store import entity_of
from stint.timeutil import EARLIEST, LATEST, RANGE_TEXT, format_timestamp

# A spreadsheet runs a cell that starts with one of these as a formula (CSV injection).
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")

# ----------------------------------------------------------------------------- summary (9)


def summary(caller: Caller, query: ReportQuery) -> dict[str, Any]:
    """The summary report's answer (`SummaryReport` in openapi.json)."""
    naming = _naming(query.group_by)
    found = read_range(caller, query, naming=naming)
    groups = grouped(query.group_by, found)
    totals = Group(None, None)
    for work in found.works:
        totals.add(work)
    total_money, group_money = _money_of(found, groups, totals, partition=query.group_by != "tag")
    rows = []
    for group, money in zip(groups, group_money, strict=True):
        row: dict[str, Any] = {"id": group.id, "title": group.title, **_figures(group), **money}
        if group.planned is not None:
            row.update(group.planned)
        rows.append(row)
    return {
        "from": format_timestamp(query.start),
        "to": format_timestamp(query.end),
        "tz": query.tz,
        "groupBy": query.group_by,
        "totals": {**_figures(totals), **total_money, "breakDuration": found.breaks},
        "groups": rows,
    }


def _naming(group_by: str) -> tuple[str, ...]:
    """What a report grouped so reads besides the sessions, tasks and projects: the names of
    its groups' tags or clients."""
    return (group_by,) if group_by in ("tag", "client") else ()


def _figures(group: Group) -> dict[str, Any]:
    return {
        "sessions": group.sessions,
        "duration": group.duration,
        "roundedDuration": group.rounded,
        "billableDuration": group.billable,
    }


def _money_of(
    found: Range, groups: list[Group], totals: Group, *, partition: bool
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The money figures of the totals and of each group; none for a caller who does not see
    money in a workspace the report reads (docs/API.md, "Money")."""
    if not found.money:
        return {}, [{} for _ in groups]
    return money_figures(groups, totals, partition=partition)


# ----------------------------------------------------------------------------- detailed (17)

DETAILED_COLUMNS = [
    "sessionId",
    "startTimestamp",
    "endTimestamp",
    "date",
    "projectId",
    "projectTitle",
    "taskId",
    "taskTitle",
    "subtaskId",
    "subtaskTitle",
    "tags",
    "note",
    "duration",
    "roundedDuration",
    "billable",
    "hourlyRate",
    "amount",
    "cost",
    "profit",
]
# What a caller who does not see money (docs/API.md, "Money") finds in no report.
MONEY_COLUMNS = ("hourlyRate", "amount", "cost", "profit")


def _shown(columns: Iterable[str], report: dict[str, Any]) -> list[str]:
    """The columns of a report's CSV: without the money ones when the report has none."""
    money = "amount" in report["totals"]
    return [c for c in columns if money or c not in MONEY_COLUMNS]


@dataclass
class Detailed:
    report: dict[str, Any]  # {from, to, tz, totals, entries}: every entry of the range
    next_token: str | None = None


def detailed(
    caller: Caller, query: ReportQuery, *, limit: int | None, next_token: str | None
) -> Detailed:
    """The work sessions of the range, one entry each, by start (then id); with `limit`, the
    page after `next_token`. The totals are the whole range's, and the cents of every entry of
    the range are allocated together, so the pages' amounts add up to them exactly."""
    after = key_of_token(next_token, 2) if next_token else None
    found = read_range(caller, query, naming=("subtask", "tag"))
    works = sorted(found.works, key=_entry_key)
    totals = Group(None, None)
    for work in works:
        totals.add(work)
    # Each entry is a group of one: allocated together, the pages add up to the totals.
    total_money, shares = _money_of(found, [_alone(work) for work in works], totals, partition=True)
    rest = [
        (work, share)
        for work, share in zip(works, shares, strict=True)
        if after is None or _entry_key(work) > after
    ]
    page = rest if limit is None else rest[:limit]
    token = token_after(_entry_key(page[-1][0])) if len(page) < len(rest) else None
    report = {
        "from": format_timestamp(query.start),
        "to": format_timestamp(query.end),
        "tz": query.tz,
        "totals": {**_figures(totals), **total_money, "breakDuration": found.breaks},
        "entries": [_entry(work, found, share) for work, share in page],
    }
    return Detailed(report, token)


def _entry_key(work: Work) -> tuple[str, str]:
    return (str(work.session["start"]), str(work.session["id"]))


def _alone(work: Work) -> Group:
    group = Group(None, None)
    group.add(work)
    return group


def _entry(work: Work, found: Range, money: dict[str, Any]) -> dict[str, Any]:
    session, task, project = work.session, work.task, work.project
    subtask_id = session.get("subtaskId")
    return {
        "sessionId": session["id"],
        "startTimestamp": session["startTimestamp"],
        "endTimestamp": session.get("endTimestamp"),
        "date": work.day.isoformat(),
        "project": {"id": project["id"], "title": project.get("title")},
        "task": {"id": task["id"], "title": task.get("title")},
        "subtask": (
            None
            if not subtask_id
            else {"id": subtask_id, "title": found.title_of("subtask", subtask_id)}
        ),
        "tags": [
            {"id": tag_id, "name": name}
            for tag_id in work.tag_ids
            if (name := found.title_of("tag", tag_id)) is not None
        ],
        "note": session.get("note"),
        "duration": work.duration,
        "roundedDuration": work.rounded,
        "billable": bool(task.get("billable", True)),
        **({"hourlyRate": _rate_of(work), **money} if found.money else {}),
    }


def _rate_of(work: Work) -> Any:
    """The billable rate the entry is priced at: the session's (a session written before
    sessions carried rates: its project's)."""
    session = entity_of(work.session)
    return session["billableRate"] if "billableRate" in session else work.project.get("hourlyRate")


def detailed_csv(report: dict[str, Any]) -> str:
    """Every entry of the report as a CSV row (the JSON entry's fields, nested ones flattened:
    `projectId`, `projectTitle`, ...; tags as their names, comma-separated)."""

    def row(entry: dict[str, Any]) -> list[Any]:
        subtask = entry["subtask"] or {}
        return [
            entry["sessionId"],
            entry["startTimestamp"],
            entry["endTimestamp"],
            entry["date"],
            entry["project"]["id"],
            entry["project"]["title"],
            entry["task"]["id"],
            entry["task"]["title"],
            subtask.get("id"),
            subtask.get("title"),
            ", ".join(tag["name"] for tag in entry["tags"]),
            entry["note"],
            entry["duration"],
            entry["roundedDuration"],
            "true" if entry["billable"] else "false",
            entry.get("hourlyRate"),
            *(_money(entry[c]) for c in ("amount", "cost", "profit") if c in entry),
        ]

    columns = _shown(DETAILED_COLUMNS, report)
    return _csv(columns, (row(entry) for entry in report["entries"]))


# ----------------------------------------------------------------------------- weekly (17)


def weekly_query(
    *,
    start: str,
    tz: str,
    group_by: WeeklyGroupBy,
    workspace_id: str | None = None,
    user_id: str | None = None,
) -> ReportQuery:
    """Seven local days from the date `from` (YYYY-MM-DD) in `tz`, from its local midnight to
    the eighth day's."""
    check_zone(tz)
    try:
        first = date.fromisoformat(start) if _DATE.match(start) else None
    except ValueError:
        first = None
    if first is None:
        raise invalid_field("from", "must be a date, YYYY-MM-DD")
    zone = ZoneInfo(tz)
    try:
        begin = datetime.combine(first, time(), zone)
        finish = datetime.combine(first + timedelta(days=WEEK), time(), zone)
        in_range = begin >= EARLIEST and finish <= LATEST
    except OverflowError:
        in_range = False
    if not in_range:
        raise invalid_field("from", f"must be within {RANGE_TEXT}, with its seven days")
    return ReportQuery(
        begin, finish, tz, group_by, None, workspace_id=workspace_id, user_id=user_id
    )


def weekly(caller: Caller, query: ReportQuery) -> dict[str, Any]:
    """Rounded durations by group and local day, with the amounts (docs/API.md, "Detailed and
    weekly reports")."""
    naming = _naming(query.group_by)
    found = read_range(caller, query, naming=naming)
    first = query.start.astimezone(ZoneInfo(query.tz)).date()

    def day_of(work: Work) -> int:
        return min(max((work.day - first).days, 0), WEEK - 1)

    def on_each(group: Group, work: Work) -> None:
        group.days[day_of(work)] += work.rounded

    groups = grouped(query.group_by, found, on_each)
    totals = Group(None, None)
    for work in found.works:
        totals.add(work)
        totals.days[day_of(work)] += work.rounded
    total_money, group_money = _money_of(found, groups, totals, partition=query.group_by != "tag")
    return {
        "from": first.isoformat(),
        "to": (first + timedelta(days=WEEK)).isoformat(),
        "tz": query.tz,
        "groupBy": query.group_by,
        "days": [(first + timedelta(days=n)).isoformat() for n in range(WEEK)],
        "groups": [
            {
                "id": group.id,
                "title": group.title,
                "days": group.days,
                "roundedDuration": group.rounded,
                **money,
            }
            for group, money in zip(groups, group_money, strict=True)
        ],
        "totals": {"days": totals.days, "roundedDuration": totals.rounded, **total_money},
    }


def weekly_csv(report: dict[str, Any]) -> str:
    """A row per group, a column per day (rounded seconds), and a totals row (empty id, title
    `Total`)."""
    money = _shown(("amount", "cost", "profit"), report)
    columns = ["id", "title", *report["days"], "roundedDuration", *money]

    def row(group: dict[str, Any], title: Any) -> list[Any]:
        figures = [_money(group[c]) for c in money]
        return [group.get("id"), title, *group["days"], group["roundedDuration"], *figures]

    rows = [row(group, group["title"]) for group in report["groups"]]
    rows.append(row(report["totals"], "Total"))
    return _csv(columns, rows)


# ----------------------------------------------------------------------------- CSV


def csv_columns(group_by: GroupBy) -> list[str]:
    """The summary CSV's header: the JSON group's fields, in this order (the money ones only
    for those who see money: `_shown`)."""
    return ["id", "title", *FIGURES, *(PLANNED if group_by == "project" else ())]


def to_csv(report: dict[str, Any]) -> str:
    """The summary's groups as CSV, with a header row."""
    columns = _shown(csv_columns(report["groupBy"]), report)
    rows = (
        [_money(g[c]) if c in MONEY_COLUMNS else g.get(c) for c in columns]
        for g in report["groups"]
    )
    return _csv(columns, rows)


def _csv(columns: list[str], rows: Iterable[list[Any]]) -> str:
    """RFC 4180 CSV (CRLF, quoted where needed) with a header row and a UTF-8 byte order mark,
    so that spreadsheets open it as UTF-8 as it is; null is an empty cell; a text cell that a
    spreadsheet would run as a formula starts with `'`."""
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out)
    writer.writerow(columns)
    writer.writerows([_cell(value) for value in row] for row in rows)
    return out.getvalue()


def _money(amount: Any) -> str:
    return f"{amount:.2f}"


def _cell(value: Any) -> str:
    if value is None:
        return ""
    text = str(value)
    if isinstance(value, str) and text.startswith(_FORMULA_START):
        return "'" + text  # shown as text, never run as a formula
    return text

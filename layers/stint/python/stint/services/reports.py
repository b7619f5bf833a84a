"""Summary reports (contract section 9, Tyme's summary): JSON and CSV.

A report reads, all consistently from the caller's partition:

1. one Query on `byStart` for the sessions that start in `[from, to)` (pages of 1,000);
2. one BatchGetItem (100 keys a call) for the tasks those sessions name;
3. one BatchGetItem for the projects those tasks name (with `projectId`: one GetItem of it).

So its cost is the sessions in the range plus the distinct tasks and projects they refer to,
whatever the size of the account. The rounding and the money are `stint.billing`'s.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from fractions import Fraction
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo, available_timezones

from stint.billing import allocate_cents, cents_to_decimal, exact_amount, round_duration
from stint.errors import invalid_field
from stint.models import ReportGroupBy as GroupBy
from stint.services.common import Caller, load
from stint.services.sessions import stopped
from stint.store import Store
from stint.timeutil import format_timestamp, parse_timestamp, utc_now

# A year in any time zone, with room for the offsets of its two ends.
MAX_RANGE = timedelta(days=367)
WORK = "session"  # the session type that is work; break and long-break are breaks
_PAGE = 1000
_FIGURES = ("sessions", "duration", "roundedDuration", "billableDuration", "amount")
_PLANNED = ("plannedDurationHours", "plannedBudget")
# A spreadsheet runs a cell that starts with one of these as a formula (CSV injection).
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


@dataclass
class _Group:
    id: str
    title: str | None
    planned: dict[str, Any] | None = None  # project groups: plannedDurationHours, plannedBudget
    sessions: int = 0
    duration: int = 0
    rounded: int = 0
    billable: int = 0
    amount: Fraction = field(default_factory=Fraction)

    def add(self, duration: int, rounded: int, billable: int, amount: Fraction) -> None:
        self.sessions += 1
        self.duration += duration
        self.rounded += rounded
        self.billable += billable
        self.amount += amount


@dataclass(frozen=True)
class ReportQuery:
    start: datetime
    end: datetime
    tz: str
    group_by: GroupBy
    project_id: str | None


def parse_query(
    *, start: str, end: str, tz: str, group_by: GroupBy, project_id: str | None
) -> ReportQuery:
    """Check the parameters: `from` < `to`, at most 367 days apart, a known IANA zone."""
    begin, finish = _timestamp("from", start), _timestamp("to", end)
    if finish <= begin:
        raise invalid_field("to", "must be after from")
    if finish - begin > MAX_RANGE:
        raise invalid_field("to", f"must be at most {MAX_RANGE.days} days after from")
    if tz not in _time_zones():
        raise invalid_field("tz", f"{tz!r} is not an IANA time zone (e.g. Europe/Berlin, UTC)")
    return ReportQuery(begin, finish, tz, group_by, project_id)


def _timestamp(name: str, value: str) -> datetime:
    try:
        return parse_timestamp(value)
    except ValueError as error:
        raise invalid_field(name, str(error)) from error


@lru_cache(maxsize=1)
def _time_zones() -> frozenset[str]:
    # Only names of the tz database: ZoneInfo would also try paths and other files.
    return frozenset(available_timezones())


def summary(caller: Caller, query: ReportQuery) -> dict[str, Any]:
    """The report as contract section 9 shapes it."""
    store = Store(caller.user_id)
    projects: dict[str, dict[str, Any]] = {}
    if query.project_id is not None:
        projects[query.project_id] = load(store, "project", query.project_id)
    low, high = format_timestamp(query.start), format_timestamp(query.end)
    sessions = list(
        store.query_all(
            between=(low, high),
            index="byStart",
            page_size=_PAGE,
            keep=lambda record: record["start"] != high,  # `to` is exclusive
        )
    )
    tasks = store.get_many("task", (s["taskId"] for s in sessions))
    if query.project_id is not None:
        tasks = {i: t for i, t in tasks.items() if t["projectId"] == query.project_id}
    else:
        projects = store.get_many("project", (t["projectId"] for t in tasks.values()))
    zone = ZoneInfo(query.tz)
    now = utc_now()
    groups: dict[str, _Group] = {}
    breaks = 0
    for session in sessions:
        task = tasks.get(session["taskId"])
        project = projects.get(task["projectId"]) if task else None
        if task is None or project is None:
            # Not in the project asked for; or deleted (with this session) while we read.
            continue
        duration = _duration(session, now)
        if session.get("type", WORK) != WORK:
            breaks += duration
            continue
        rounded = round_duration(
            duration, project.get("roundingMethod", "nearest"), project.get("roundingMinutes", 0)
        )
        billable = rounded if task.get("billable", True) else 0
        group = _group_of(groups, query, session, task, project, zone)
        group.add(duration, rounded, billable, exact_amount(billable, project.get("hourlyRate")))
    return _report(query, _ordered(groups.values(), query.group_by), breaks)


def _duration(session: dict[str, Any], now: datetime) -> int:
    """Seconds as tracked; a running session counts up to now (as if stopped now)."""
    if session.get("running"):
        return int(stopped(session, now)["duration"])
    return int(session["duration"])


def _group_of(
    groups: dict[str, _Group],
    query: ReportQuery,
    session: dict[str, Any],
    task: dict[str, Any],
    project: dict[str, Any],
    zone: ZoneInfo,
) -> _Group:
    if query.group_by == "project":
        key = str(project["id"])
        if key not in groups:
            planned = {name: project.get(name) for name in _PLANNED}
            groups[key] = _Group(key, project.get("title"), planned)
    elif query.group_by == "task":
        key = str(task["id"])
        groups.setdefault(key, _Group(key, task.get("title")))
    else:
        # A session belongs to the day (in `tz`) it starts on, however long that day is.
        key = parse_timestamp(session["startTimestamp"]).astimezone(zone).date().isoformat()
        groups.setdefault(key, _Group(key, key))
    return groups[key]


def _ordered(groups: Iterable[_Group], group_by: GroupBy) -> list[_Group]:
    if group_by == "day":
        return sorted(groups, key=lambda g: g.id)
    return sorted(groups, key=lambda g: ((g.title or "").casefold(), g.title or "", g.id))


def _report(query: ReportQuery, groups: list[_Group], breaks: int) -> dict[str, Any]:
    total_cents, group_cents = allocate_cents([g.amount for g in groups])
    rows = []
    for group, cents in zip(groups, group_cents, strict=True):
        row: dict[str, Any] = {"id": group.id, "title": group.title}
        row.update(_figures(group.sessions, group.duration, group.rounded, group.billable, cents))
        if group.planned is not None:
            row.update(group.planned)
        rows.append(row)
    totals = _figures(
        sum(g.sessions for g in groups),
        sum(g.duration for g in groups),
        sum(g.rounded for g in groups),
        sum(g.billable for g in groups),
        total_cents,
    )
    totals["breakDuration"] = breaks
    return {
        "from": format_timestamp(query.start),
        "to": format_timestamp(query.end),
        "tz": query.tz,
        "groupBy": query.group_by,
        "totals": totals,
        "groups": rows,
    }


def _figures(
    sessions: int, duration: int, rounded: int, billable: int, cents: int
) -> dict[str, Any]:
    return {
        "sessions": sessions,
        "duration": duration,
        "roundedDuration": rounded,
        "billableDuration": billable,
        "amount": cents_to_decimal(cents),
    }


# ----------------------------------------------------------------------------- CSV


def csv_columns(group_by: GroupBy) -> list[str]:
    """The CSV's header: the JSON group's fields, in this order."""
    return ["id", "title", *_FIGURES, *(_PLANNED if group_by == "project" else ())]


def to_csv(report: dict[str, Any]) -> str:
    """The report's groups as CSV (RFC 4180: CRLF, quoted where needed), with a header row and
    a UTF-8 byte order mark, so that spreadsheets open it as UTF-8 as it is."""
    out = io.StringIO()
    out.write("\ufeff")
    columns = csv_columns(report["groupBy"])
    writer = csv.writer(out)
    writer.writerow(columns)
    for group in report["groups"]:
        writer.writerow([_cell(column, group.get(column)) for column in columns])
    return out.getvalue()


def _cell(column: str, value: Any) -> str:
    if value is None:
        return ""
    if column == "amount":
        return f"{value:.2f}"
    text = str(value)
    if column == "title" and text.startswith(_FORMULA_START):
        return "'" + text  # shown as text, never run as a formula
    return text

"""Reports (contract sections 9 and 17, Tyme's summary, solidtime's and Kimai's detailed and
weekly reports): JSON and CSV.

A report reads, all consistently from the caller's partition:

1. one Query on `byStart` for the sessions that start in `[from, to)` (pages of 1,000);
2. BatchGetItems (100 keys a call) of what those sessions name: their tasks, and for the
   reports that show them their subtasks and tags, together;
3. BatchGetItems of the projects those tasks name.

So its cost is the sessions in the range plus the distinct entities they refer to, whatever the
size of the account. The rounding and the money are `stint.billing`'s: each work session's
amount stays exact until a report turns a set of them into cents at once (`allocate_cents`),
so whatever adds up in the report adds up to the cent.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from fractions import Fraction
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo, available_timezones

from stint.billing import allocate_cents, cents_to_decimal, exact_amount, round_duration, to_cents
from stint.errors import invalid_field
from stint.models import ReportGroupBy as GroupBy
from stint.models import WeeklyGroupBy
from stint.services.common import Caller, load
from stint.services.pages import key_of_token, token_after
from stint.services.sessions import stopped
from stint.store import Store
from stint.timeutil import EARLIEST, LATEST, RANGE_TEXT, format_timestamp, parse_timestamp, utc_now

# A year in any time zone, with room for the offsets of its two ends.
MAX_RANGE = timedelta(days=367)
WORK = "session"  # the session type that is work; break and long-break are breaks
WEEK = 7
_PAGE = 1000
_FIGURES = ("sessions", "duration", "roundedDuration", "billableDuration", "amount")
_PLANNED = ("plannedDurationHours", "plannedBudget")
# A spreadsheet runs a cell that starts with one of these as a formula (CSV injection).
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


@dataclass
class _Group:
    id: str | None
    title: str | None
    planned: dict[str, Any] | None = None  # project groups: plannedDurationHours, plannedBudget
    sessions: int = 0
    duration: int = 0
    rounded: int = 0
    billable: int = 0
    amount: Fraction = field(default_factory=Fraction)
    days: list[int] = field(default_factory=lambda: [0] * WEEK)  # weekly: rounded per day

    def add(self, work: Work) -> None:
        self.sessions += 1
        self.duration += work.duration
        self.rounded += work.rounded
        self.billable += work.billable_seconds
        self.amount += work.amount


@dataclass(frozen=True)
class ReportQuery:
    start: datetime
    end: datetime
    tz: str
    group_by: GroupBy | WeeklyGroupBy
    project_id: str | None
    tag_id: str | None = None
    task_id: str | None = None
    billable: bool | None = None


def parse_query(
    *,
    start: str,
    end: str,
    tz: str,
    group_by: GroupBy = "project",
    project_id: str | None = None,
    tag_id: str | None = None,
    task_id: str | None = None,
    billable: bool | None = None,
) -> ReportQuery:
    """Check the parameters: `from` < `to`, at most 367 days apart, a known IANA zone."""
    begin, finish = _timestamp("from", start), _timestamp("to", end)
    if finish <= begin:
        raise invalid_field("to", "must be after from")
    if finish - begin > MAX_RANGE:
        raise invalid_field("to", f"must be at most {MAX_RANGE.days} days after from")
    check_zone(tz)
    return ReportQuery(begin, finish, tz, group_by, project_id, tag_id, task_id, billable)


def check_zone(tz: str) -> None:
    if tz not in _time_zones():
        raise invalid_field("tz", f"{tz!r} is not an IANA time zone (e.g. Europe/Berlin, UTC)")


def _timestamp(name: str, value: str) -> datetime:
    try:
        return parse_timestamp(value)
    except ValueError as error:
        raise invalid_field(name, str(error)) from error


@lru_cache(maxsize=1)
def _time_zones() -> frozenset[str]:
    # Only names of the tz database: ZoneInfo would also try paths and other files.
    return frozenset(available_timezones())


# ----------------------------------------------------------------------------- reading a range


@dataclass
class Work:
    """A work session of the range, priced: what every report is made of."""

    session: dict[str, Any]
    task: dict[str, Any]
    project: dict[str, Any]
    duration: int  # as tracked (a running session: up to now)
    rounded: int  # by the project's rule
    billable_seconds: int  # the rounded seconds when the task is billable, else 0
    amount: Fraction  # exact
    day: date  # the local day (in tz) it starts on

    @property
    def tag_ids(self) -> list[str]:
        return list(self.session.get("tagIds") or ())


@dataclass
class _Range:
    works: list[Work]
    breaks: int
    named: dict[tuple[str, str], dict[str, Any]]  # the subtasks and tags read, by (kind, id)

    def title_of(self, kind: str, entity_id: str | None) -> str | None:
        record = self.named.get((kind, entity_id or ""))
        return None if record is None else record.get("name" if kind == "tag" else "title")


def _read_range(caller: Caller, query: ReportQuery, *, naming: tuple[str, ...] = ()) -> _Range:
    """The work sessions that start in the range and pass the filters, priced, and the breaks'
    seconds; with `naming`, the subtasks and / or tags the sessions name, read along."""
    store = Store(caller.user_id)
    projects: dict[str, dict[str, Any]] = {}
    if query.project_id is not None:
        projects[query.project_id] = load(store, "project", query.project_id)
    for kind, entity_id in (("task", query.task_id), ("tag", query.tag_id)):
        if entity_id is not None:
            load(store, kind, entity_id)  # not the caller's: 404
    low, high = format_timestamp(query.start), format_timestamp(query.end)
    sessions = [
        record
        for record in store.query_all(
            between=(low, high), index="byStart", page_size=_PAGE, keep=lambda r: r["start"] != high
        )
        if query.tag_id is None or query.tag_id in (record.get("tagIds") or ())
    ]
    refs: list[tuple[str, str]] = [("task", s["taskId"]) for s in sessions]
    if "subtask" in naming:
        refs += [("subtask", s["subtaskId"]) for s in sessions if s.get("subtaskId")]
    if "tag" in naming:
        refs += [("tag", tag_id) for s in sessions for tag_id in s.get("tagIds") or ()]
    named = store.get_many_of(refs)
    tasks = {entity_id: record for (kind, entity_id), record in named.items() if kind == "task"}
    if query.project_id is None:
        projects = store.get_many("project", (t["projectId"] for t in tasks.values()))
    zone, now = ZoneInfo(query.tz), utc_now()
    works: list[Work] = []
    breaks = 0
    for session in sessions:
        task = tasks.get(session["taskId"])
        project = projects.get(task["projectId"]) if task else None
        if task is None or project is None or not _kept(query, task):
            # Filtered out; or deleted (with this session) while we read.
            continue
        if session.get("type", WORK) != WORK:
            breaks += _duration(session, now)
            continue
        works.append(_priced(session, task, project, zone, now))
    return _Range(works, breaks, named)


def _kept(query: ReportQuery, task: dict[str, Any]) -> bool:
    return (query.task_id is None or task["id"] == query.task_id) and (
        query.billable is None or bool(task.get("billable", True)) == query.billable
    )


def _priced(
    session: dict[str, Any],
    task: dict[str, Any],
    project: dict[str, Any],
    zone: ZoneInfo,
    now: datetime,
) -> Work:
    duration = _duration(session, now)
    rounded = round_duration(
        duration, project.get("roundingMethod", "nearest"), project.get("roundingMinutes", 0)
    )
    billable = rounded if task.get("billable", True) else 0
    # A session belongs to the day (in the zone) it starts on, however long that day is.
    day = parse_timestamp(session["startTimestamp"]).astimezone(zone).date()
    amount = exact_amount(billable, project.get("hourlyRate"))
    return Work(session, task, project, duration, rounded, billable, amount, day)


def _duration(session: dict[str, Any], now: datetime) -> int:
    """Seconds as tracked; a running session counts up to now (as if stopped now)."""
    if session.get("running"):
        return int(stopped(session, now)["duration"])
    return int(session["duration"])


# ----------------------------------------------------------------------------- groups

GroupKey = tuple[str | None, str | None, dict[str, Any] | None]  # id, title, planned figures


def _keys_of(group_by: str, work: Work, found: _Range) -> list[GroupKey]:
    """The groups a work session counts in: one, or (by tag) one per tag it carries."""
    if group_by == "project":
        planned = {name: work.project.get(name) for name in _PLANNED}
        return [(str(work.project["id"]), work.project.get("title"), planned)]
    if group_by == "task":
        return [(str(work.task["id"]), work.task.get("title"), None)]
    if group_by == "day":
        return [(work.day.isoformat(), work.day.isoformat(), None)]
    tags = [(tag_id, found.title_of("tag", tag_id)) for tag_id in work.tag_ids]
    # A tag deleted while the report read is no group; no tag left: the untagged group.
    named: list[GroupKey] = [(i, title, None) for i, title in tags if title is not None]
    return named or [(None, None, None)]


def _grouped(
    group_by: str, found: _Range, on_each: Callable[[_Group, Work], None] | None = None
) -> list[_Group]:
    groups: dict[str | None, _Group] = {}
    for work in found.works:
        for key, title, planned in _keys_of(group_by, work, found):
            group = groups.setdefault(key, _Group(key, title, planned))
            group.add(work)
            if on_each is not None:
                on_each(group, work)
    if group_by == "day":
        return sorted(groups.values(), key=lambda g: g.id or "")
    return sorted(groups.values(), key=_by_title)


def _by_title(group: _Group) -> tuple[bool, str, str, str]:
    title = group.title or ""
    return (group.id is None, title.casefold(), title, group.id or "")  # untagged last


def _cents_of(groups: list[_Group], total: Fraction, *, partition: bool) -> tuple[int, list[int]]:
    """The total in cents and each group's. Groups that partition the sessions add up to the
    total exactly (largest remainder); tag groups overlap (a session counts in each of its
    tags), so each is its own exact amount rounded, and the total counts each session once."""
    if partition:
        return allocate_cents([group.amount for group in groups])
    return to_cents(total), [to_cents(group.amount) for group in groups]


# ----------------------------------------------------------------------------- summary (9)


def summary(caller: Caller, query: ReportQuery) -> dict[str, Any]:
    """The report as contract section 9 shapes it."""
    naming = ("tag",) if query.group_by == "tag" else ()
    found = _read_range(caller, query, naming=naming)
    groups = _grouped(query.group_by, found)
    totals = _Group(None, None)
    for work in found.works:
        totals.add(work)
    total_cents, group_cents = _cents_of(groups, totals.amount, partition=query.group_by != "tag")
    rows = []
    for group, cents in zip(groups, group_cents, strict=True):
        row: dict[str, Any] = {"id": group.id, "title": group.title, **_figures(group, cents)}
        if group.planned is not None:
            row.update(group.planned)
        rows.append(row)
    return {
        "from": format_timestamp(query.start),
        "to": format_timestamp(query.end),
        "tz": query.tz,
        "groupBy": query.group_by,
        "totals": {**_figures(totals, total_cents), "breakDuration": found.breaks},
        "groups": rows,
    }


def _figures(group: _Group, cents: int) -> dict[str, Any]:
    return {
        "sessions": group.sessions,
        "duration": group.duration,
        "roundedDuration": group.rounded,
        "billableDuration": group.billable,
        "amount": cents_to_decimal(cents),
    }


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
]


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
    found = _read_range(caller, query, naming=("subtask", "tag"))
    works = sorted(found.works, key=_entry_key)
    totals = _Group(None, None)
    for work in works:
        totals.add(work)
    total_cents, cents = allocate_cents([work.amount for work in works])
    rest = [
        (work, share)
        for work, share in zip(works, cents, strict=True)
        if after is None or _entry_key(work) > after
    ]
    page = rest if limit is None else rest[:limit]
    token = token_after(_entry_key(page[-1][0])) if len(page) < len(rest) else None
    report = {
        "from": format_timestamp(query.start),
        "to": format_timestamp(query.end),
        "tz": query.tz,
        "totals": {**_figures(totals, total_cents), "breakDuration": found.breaks},
        "entries": [_entry(work, found, share) for work, share in page],
    }
    return Detailed(report, token)


def _entry_key(work: Work) -> tuple[str, str]:
    return (str(work.session["start"]), str(work.session["id"]))


def _entry(work: Work, found: _Range, cents: int) -> dict[str, Any]:
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
        "hourlyRate": project.get("hourlyRate"),
        "amount": cents_to_decimal(cents),
    }


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
            entry["hourlyRate"],
            _money(entry["amount"]),
        ]

    return _csv(DETAILED_COLUMNS, (row(entry) for entry in report["entries"]))


# ----------------------------------------------------------------------------- weekly (17)


def weekly_query(*, start: str, tz: str, group_by: WeeklyGroupBy) -> ReportQuery:
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
    return ReportQuery(begin, finish, tz, group_by, None)


def weekly(caller: Caller, query: ReportQuery) -> dict[str, Any]:
    """Rounded durations by group and local day, with the amounts (contract section 17)."""
    naming = ("tag",) if query.group_by == "tag" else ()
    found = _read_range(caller, query, naming=naming)
    first = query.start.astimezone(ZoneInfo(query.tz)).date()

    def day_of(work: Work) -> int:
        return min(max((work.day - first).days, 0), WEEK - 1)

    def on_each(group: _Group, work: Work) -> None:
        group.days[day_of(work)] += work.rounded

    groups = _grouped(query.group_by, found, on_each)
    totals = _Group(None, None)
    for work in found.works:
        totals.add(work)
        totals.days[day_of(work)] += work.rounded
    total_cents, group_cents = _cents_of(groups, totals.amount, partition=query.group_by != "tag")
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
                "amount": cents_to_decimal(cents),
            }
            for group, cents in zip(groups, group_cents, strict=True)
        ],
        "totals": {
            "days": totals.days,
            "roundedDuration": totals.rounded,
            "amount": cents_to_decimal(total_cents),
        },
    }


def weekly_csv(report: dict[str, Any]) -> str:
    """A row per group, a column per day (rounded seconds), and a totals row (empty id, title
    `Total`)."""
    columns = ["id", "title", *report["days"], "roundedDuration", "amount"]

    def row(group: dict[str, Any], title: Any) -> list[Any]:
        amount = _money(group["amount"])
        return [group.get("id"), title, *group["days"], group["roundedDuration"], amount]

    rows = [row(group, group["title"]) for group in report["groups"]]
    rows.append(row(report["totals"], "Total"))
    return _csv(columns, rows)


# ----------------------------------------------------------------------------- CSV


def csv_columns(group_by: GroupBy) -> list[str]:
    """The summary CSV's header: the JSON group's fields, in this order."""
    return ["id", "title", *_FIGURES, *(_PLANNED if group_by == "project" else ())]


def to_csv(report: dict[str, Any]) -> str:
    """The summary's groups as CSV, with a header row."""
    columns = csv_columns(report["groupBy"])
    rows = (
        [_money(g[c]) if c == "amount" else g.get(c) for c in columns] for g in report["groups"]
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

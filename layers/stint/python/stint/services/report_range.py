"""What a report reads and how it groups it (`stint.services.reports` builds the answers): the
query's range and time zone, the work sessions of the range with what they name, priced, and
their groups by project, task, day, tag, member or client."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from fractions import Fraction
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo, available_timezones

from stint.billing import allocate_cents, cents_to_decimal, to_cents
from stint.errors import invalid_field
from stint.kinds import KINDS
from stint.models import ReportGroupBy as GroupBy
from stint.models import WeeklyGroupBy
from stint.services import access, rates, users
from stint.services.access import Membership
from stint.services.common import Caller, load
from stint.services.running import stopped
from stint.store import entity_of
from stint.timeutil import format_timestamp, parse_timestamp, utc_now

# A year in any time zone, with room for the offsets of its two ends.
MAX_RANGE = timedelta(days=367)
WORK = "session"  # the session type that is work; break and long-break are breaks
WEEK = 7
_PAGE = 1000
FIGURES = (
    "sessions",
    "duration",
    "roundedDuration",
    "billableDuration",
    "amount",
    "cost",
    "profit",
)
PLANNED = ("plannedDurationHours", "plannedBudget")


@dataclass
class Group:
    id: str | None
    title: str | None
    planned: dict[str, Any] | None = None  # project groups: plannedDurationHours, plannedBudget
    sessions: int = 0
    duration: int = 0
    rounded: int = 0
    billable: int = 0
    amount: Fraction = field(default_factory=Fraction)
    cost: Fraction = field(default_factory=Fraction)
    days: list[int] = field(default_factory=lambda: [0] * WEEK)  # weekly: rounded per day

    def add(self, work: Work) -> None:
        self.sessions += 1
        self.duration += work.duration
        self.rounded += work.rounded
        self.billable += work.billable_seconds
        self.amount += work.amount
        self.cost += work.cost


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
    workspace_id: str | None = None  # None: the caller's own time in every workspace
    user_id: str | None = None  # a member's time (managers and up, in `workspace_id`)


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
    workspace_id: str | None = None,
    user_id: str | None = None,
) -> ReportQuery:
    """Check the parameters: `from` < `to`, at most 367 days apart, a known IANA zone."""
    begin, finish = _timestamp("from", start), _timestamp("to", end)
    if finish <= begin:
        raise invalid_field("to", "must be after from")
    if finish - begin > MAX_RANGE:
        raise invalid_field("to", f"must be at most {MAX_RANGE.days} days after from")
    check_zone(tz)
    return ReportQuery(
        begin, finish, tz, group_by, project_id, tag_id, task_id, billable, workspace_id, user_id
    )


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
    amount: Fraction  # exact, at the rates the session carries (services/rates.py)
    day: date  # the local day (in tz) it starts on
    user_id: str = ""  # the member whose time it is
    cost: Fraction = Fraction(0)  # exact, as `amount`

    @property
    def tag_ids(self) -> list[str]:
        return list(self.session.get("tagIds") or ())


@dataclass
class Range:
    works: list[Work]
    breaks: int
    # The subtasks, tags and clients read, by (kind, id).
    named: dict[tuple[str, str], dict[str, Any]]
    users: dict[str, str] = field(default_factory=dict)  # member id -> display name
    money: bool = True  # the caller sees money in every workspace read (access.sees_money)

    def title_of(self, kind: str, entity_id: str | None) -> str | None:
        record = self.named.get((kind, entity_id or ""))
        return None if record is None else record.get(KINDS[kind].title_field)


def read_range(caller: Caller, query: ReportQuery, *, naming: tuple[str, ...] = ()) -> Range:
    """The work sessions that start in the range and pass the filters, priced, and the breaks'
    seconds; with `naming`, the subtasks and / or tags the sessions name, read along, and / or
    the clients their projects name. One range query a workspace read (and its lookups in one
    BatchGetItem each)."""
    where = access.time_scopes(caller, query.workspace_id, query.user_id)
    for kind, entity_id in (
        ("project", query.project_id),
        ("task", query.task_id),
        ("tag", query.tag_id),
    ):
        if entity_id is not None:  # the one workspace that holds it (not the caller's: 404)
            holder = access.locate(caller, kind, entity_id)
            where = [(m, user) for m, user in where if m.workspace_id == holder.workspace_id]
            load(holder.store(caller), kind, entity_id)
    found = Range([], 0, {}, {}, money=all(member.sees_money for member, _ in where))
    for member, user_id in where:
        _read_workspace(caller, member, user_id, query, naming, found)
    return found


def _read_workspace(
    caller: Caller,
    member: Membership,
    user_id: str | None,
    query: ReportQuery,
    naming: tuple[str, ...],
    found: Range,
) -> None:
    store = member.store(caller)
    low, high = format_timestamp(query.start), format_timestamp(query.end)
    sessions = [
        record
        for record in store.query_all(
            between=(low, high), index="byStart", page_size=_PAGE, keep=lambda r: r["start"] != high
        )
        if query.tag_id is None or query.tag_id in (record.get("tagIds") or ())
    ]
    sessions = [s for s in sessions if user_id is None or entity_of(s)["userId"] == user_id]
    refs: list[tuple[str, str]] = [("task", s["taskId"]) for s in sessions]
    if "subtask" in naming:
        refs += [("subtask", s["subtaskId"]) for s in sessions if s.get("subtaskId")]
    if "tag" in naming:
        refs += [("tag", tag_id) for s in sessions for tag_id in s.get("tagIds") or ()]
    named = store.get_many_of(refs)
    found.named.update(named)
    tasks = {entity_id: record for (kind, entity_id), record in named.items() if kind == "task"}
    projects = store.get_many("project", (t["projectId"] for t in tasks.values()))
    if "client" in naming:
        clients = {str(p["clientId"]) for p in projects.values() if p.get("clientId")}
        found.named.update(store.get_many_of(("client", c) for c in clients))
    found.users.update(_member_names(caller, member))
    zone, now = ZoneInfo(query.tz), utc_now()
    for session in sessions:
        task = tasks.get(session["taskId"])
        project = projects.get(task["projectId"]) if task else None
        if task is None or project is None or not _kept(query, task, project):
            # Filtered out; or deleted (with this session) while we read.
            continue
        if session.get("type", WORK) != WORK:
            found.breaks += _duration(session, now)
            continue
        found.works.append(_priced(session, task, project, member.record, zone, now))


def _member_names(caller: Caller, member: Membership) -> dict[str, str]:
    if member.record is None:
        return {caller.user_id: str(users.profile(caller).entity["displayName"])}
    return {m["userId"]: str(m["displayName"]) for m in member.record["members"]}


def _kept(query: ReportQuery, task: dict[str, Any], project: dict[str, Any]) -> bool:
    return (
        (query.project_id is None or project["id"] == query.project_id)
        and (query.task_id is None or task["id"] == query.task_id)
        and (query.billable is None or bool(task.get("billable", True)) == query.billable)
    )


def _priced(
    session: dict[str, Any],
    task: dict[str, Any],
    project: dict[str, Any],
    workspace: dict[str, Any] | None,
    zone: ZoneInfo,
    now: datetime,
) -> Work:
    duration = _duration(session, now)
    rounded, billable = rates.rounded_seconds(duration, task, project)
    # A session belongs to the day (in the zone) it starts on, however long that day is.
    day = parse_timestamp(session["startTimestamp"]).astimezone(zone).date()
    user_id = str(entity_of(session)["userId"])
    amount, cost = rates.money_of(entity_of(session), task, project, workspace, duration)
    return Work(session, task, project, duration, rounded, billable, amount, day, user_id, cost)


def _duration(session: dict[str, Any], now: datetime) -> int:
    """Seconds as tracked; a running session counts up to now (as if stopped now)."""
    if session.get("running"):
        return int(stopped(session, now)["duration"])
    return int(session["duration"])


# ----------------------------------------------------------------------------- groups

GroupKey = tuple[str | None, str | None, dict[str, Any] | None]  # id, title, planned figures


def _keys_of(group_by: str, work: Work, found: Range) -> list[GroupKey]:
    """The groups a work session counts in: one, or (by tag) one per tag it carries."""
    if group_by == "project":
        planned = {name: work.project.get(name) for name in PLANNED}
        return [(str(work.project["id"]), work.project.get("title"), planned)]
    if group_by == "task":
        return [(str(work.task["id"]), work.task.get("title"), None)]
    if group_by == "day":
        return [(work.day.isoformat(), work.day.isoformat(), None)]
    if group_by == "user":
        return [(work.user_id, found.users.get(work.user_id), None)]
    if group_by == "client":
        # A project with no client, or whose client was deleted while the report read: the
        # group with `id: null`.
        client_id = work.project.get("clientId")
        name = found.title_of("client", client_id) if client_id else None
        return [(None if name is None else str(client_id), name, None)]
    tags = [(tag_id, found.title_of("tag", tag_id)) for tag_id in work.tag_ids]
    # A tag deleted while the report read is no group; no tag left: the untagged group.
    named: list[GroupKey] = [(i, title, None) for i, title in tags if title is not None]
    return named or [(None, None, None)]


def grouped(
    group_by: str, found: Range, on_each: Callable[[Group, Work], None] | None = None
) -> list[Group]:
    groups: dict[str | None, Group] = {}
    for work in found.works:
        for key, title, planned in _keys_of(group_by, work, found):
            group = groups.setdefault(key, Group(key, title, planned))
            group.add(work)
            if on_each is not None:
                on_each(group, work)
    if group_by == "day":
        return sorted(groups.values(), key=lambda g: g.id or "")
    return sorted(groups.values(), key=_by_title)


def _by_title(group: Group) -> tuple[bool, str, str, str]:
    title = group.title or ""
    return (group.id is None, title.casefold(), title, group.id or "")  # untagged last


def cents_of(
    groups: list[Group], totals: Group, *, partition: bool, figure: str = "amount"
) -> tuple[int, list[int]]:
    """The total `figure` (amount or cost) in cents and each group's. Groups that partition the
    sessions add up to the total exactly (largest remainder); tag groups overlap (a session
    counts in each of its tags), so each is its own exact figure rounded, and the total counts
    each session once."""
    values: list[Fraction] = [getattr(group, figure) for group in groups]
    if partition:
        return allocate_cents(values)
    return to_cents(getattr(totals, figure)), [to_cents(value) for value in values]


def money_figures(
    groups: list[Group], totals: Group, *, partition: bool
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The totals' and each group's `amount`, `cost` and `profit` (amount - cost), in cents
    allocated as `cents_of` does, so that groups and totals agree to the cent."""
    total_amount, amounts = cents_of(groups, totals, partition=partition)
    total_cost, costs = cents_of(groups, totals, partition=partition, figure="cost")

    def figures(amount: int, cost: int) -> dict[str, Any]:
        return {
            "amount": cents_to_decimal(amount),
            "cost": cents_to_decimal(cost),
            "profit": cents_to_decimal(amount - cost),
        }

    return figures(total_amount, total_cost), [
        figures(amount, cost) for amount, cost in zip(amounts, costs, strict=True)
    ]

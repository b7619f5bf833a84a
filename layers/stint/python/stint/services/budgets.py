"""Budgets (docs/API.md, "Budgets"; docs/DESIGN.md, "Budgets"): every project's tracked work,
kept per period in the transaction of each write that changes it; a budget's alerts, each made
once; and its enforcement.

`account` runs as every unit of work commits (`store.on_commit`). It finds the sessions the
commit writes, what each counted as read and counts as written, and adds to the commit the
moves of the projects' usage items, the budget's conditions and its alerts. What a session
counts: a stopped work session (`type: session`; breaks and running sessions count nothing)
counts its `duration` and its `amount` in its project's total and in the calendar month (UTC)
of its start. A project's budget is copied onto its total usage item with every change of it
(`BudgetMark`), so a write reads the usage items alone, never the project.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from stint.errors import Conflict, invalid_field
from stint.models import PLANNED_HOURS_MAX
from stint.store import (
    BudgetMark,
    Delete,
    Once,
    Put,
    Require,
    UnitOfWork,
    Usage,
    alert_sk,
    children_prefix,
    entity_sk,
    merged,
    usage_sk,
)
from stint.timeutil import format_timestamp, utc_now

TOTAL = "total"  # the period of a project's whole usage (else a month, `YYYY-MM`)
_WORK = "session"  # the session type that is work (docs/API.md, "Reports")
_HOUR = Decimal(3600)
_CENT = Decimal("0.01")
_ZERO = Decimal(0)
# What a session's share of its project's usage follows, but for its price (its `amount`).
_WHAT_COUNTS = ("taskId", "startTimestamp", "duration", "type", "running")


class OverBudget(Conflict):
    """A write that would take an enforced budget past 100 %, or a timer started on a project
    whose enforced budget is used up. `sessions`: the ids of the sessions whose writes did."""

    code = "over_budget"

    def __init__(self, message: str, sessions: set[str]):
        super().__init__(message)
        self.sessions = sessions


# ----------------------------------------------------------------------------- a project's budget


def normalize(project: dict[str, Any]) -> None:
    """A project's budget as stored (the body's model as a plain map); a `time` budget's hours
    within their range (a 400 naming the field)."""
    budget = project.get("budget")
    if budget is None or isinstance(budget, dict):
        return
    stored = budget.model_dump()
    if stored["kind"] == "time" and stored["amount"] > PLANNED_HOURS_MAX:
        raise invalid_field("project.budget.amount", f"at most {PLANNED_HOURS_MAX} hours")
    project["budget"] = stored


def usage_keys(project_id: str, session: dict[str, Any]) -> list[str]:
    """The usage items a write of `session` in the project reads: read along with the project
    (services/rates.py), the commit's `account` finds them read."""
    return [usage_sk(project_id, TOTAL), usage_sk(project_id, str(session["startTimestamp"])[:7])]


# ----------------------------------------------------------------------------- what a write moves


@dataclass
class Moves:
    """What one commit moves of one project's usage: per period (TOTAL and each month), the
    seconds and amount it adds; the part of it an enforced budget lets past 100 % (`stopped`:
    stops and re-pricings, `_exempt`); the months in which it starts a running session."""

    added: dict[str, list[Any]] = field(default_factory=lambda: defaultdict(lambda: [0, _ZERO]))
    stopped: dict[str, list[Any]] = field(default_factory=lambda: defaultdict(lambda: [0, _ZERO]))
    starts: set[str] = field(default_factory=set)
    sessions: set[str] = field(default_factory=set)

    def add(self, share: tuple[str, int, Decimal], sign: int, *, stop: bool) -> None:
        month, seconds, amount = share
        for period in (TOTAL, month):
            for moved in (self.added, self.stopped) if stop else (self.added,):
                moved[period][0] += sign * seconds
                moved[period][1] += sign * amount


def _share(unit: UnitOfWork, session: dict[str, Any] | None, *, written: bool) -> Any:
    """(task id, project id, (month, seconds, amount)) that a session counts, or None: a break, a
    running session, a session whose task is gone. The task as the commit leaves it
    (`written`) or as it was read."""
    share = _counted(session)
    if session is None or share is None:
        return None
    task_sk = entity_sk("task", str(session["taskId"]))
    task = unit.read(task_sk) if written else unit.original(task_sk)
    if task is None:
        return None
    return str(session["taskId"]), str(task["projectId"]), share


def _counted(session: dict[str, Any] | None) -> tuple[str, int, Decimal] | None:
    """(month, seconds, amount) that a session counts, or None: a break, a running session."""
    if session is None or session.get("type", _WORK) != _WORK or session.get("duration") is None:
        return None
    amount = Decimal(session.get("amount") or 0)
    return str(session["startTimestamp"])[:7], int(session["duration"]), amount


Written = tuple[dict[str, Any] | None, dict[str, Any] | None]  # a session as read, as written


def _sessions_written(unit: UnitOfWork) -> list[Written]:
    """The sessions the commit writes: each as read (None: new) and as written (None: gone);
    and those of a task it moves to another project, unchanged (so they move with it)."""
    found: dict[str, Written] = {}
    for change in merged(unit.planned):
        if isinstance(change, Put | Delete) and change.kind == "session":
            old = None
            if isinstance(change, Delete) or change.expect_seq is not None:
                old = unit.original(change.item_sk)
            found[change.item_sk] = (old, change.entity if isinstance(change, Put) else None)
    for task_id in _moved_tasks(unit):
        # A query no condition on an item covers: the commit holds only if no write of the
        # workspace came between (a session of the task written meanwhile re-runs the move).
        unit.only_unchanged = True
        prefix = children_prefix("task", task_id, "session")
        for record in unit.query_all(prefix=prefix, index="byParent"):
            found.setdefault(record["sk"], (record, record))
    return list(found.values())


def _moved_tasks(unit: UnitOfWork) -> list[str]:
    """The tasks the commit moves to another project."""
    moved = []
    for change in merged(unit.planned):
        if isinstance(change, Put) and change.kind == "task" and change.expect_seq is not None:
            before = unit.original(change.item_sk) or {}
            if before.get("projectId") != change.entity.get("projectId"):
                moved.append(str(change.entity["id"]))
    return moved


def _moves(unit: UnitOfWork) -> dict[str, Moves]:
    """What the commit moves, per project."""
    written = _sessions_written(unit)
    tasks = {str(s["taskId"]) for pair in written for s in pair if s is not None}
    if tasks:
        unit.prefetch(*(entity_sk("task", task_id) for task_id in sorted(tasks)))
    moves: dict[str, Moves] = defaultdict(Moves)
    for old, new in written:
        session_id = str((new or old or {}).get("id"))
        was_running = bool(old and old.get("running"))
        stop = _exempt(old, new)
        for session, sign, as_written in ((old, -1, False), (new, 1, True)):
            counted = _share(unit, session, written=as_written)
            if counted is not None:
                task_id, project_id, share = counted
                moves[project_id].add(share, sign, stop=stop)
                moves[project_id].sessions.add(session_id)
                _keep_in(unit, task_id, project_id)
        if new is not None and new.get("running") and not was_running:
            task = unit.read(entity_sk("task", str(new["taskId"])))
            if task is not None:
                project = moves[str(task["projectId"])]
                project.starts.add(str(new["startTimestamp"])[:7])
                project.sessions.add(session_id)
    return moves


def _exempt(old: dict[str, Any] | None, new: dict[str, Any] | None) -> bool:
    """A change an enforced budget lets past 100 %: a running session's stop (the time was
    worked: its start as it was, its end not after now), or a session priced again with
    nothing else of it changed (a rate changed: stint.rerating)."""
    if old is None or new is None:
        return False
    if old.get("running") and not new.get("running"):
        same_start = new["startTimestamp"] == old["startTimestamp"]
        return same_start and str(new["endTimestamp"]) <= format_timestamp(utc_now())
    return all(old.get(key) == new.get(key) for key in _WHAT_COUNTS)


def _keep_in(unit: UnitOfWork, task_id: str, project_id: str) -> None:
    """The commit holds only while the task is in the project its session counted in (a task
    moved meanwhile moved its sessions' usage: the write runs again), unless the commit
    writes the task itself (its write is conditioned on the task as read)."""
    sk = entity_sk("task", task_id)
    if not any(isinstance(c, Put | Delete) and c.item_sk == sk for c in unit.planned):
        unit.add(Require("task", task_id, holds=("projectId", project_id)))


# ----------------------------------------------------------------------------- the commit's part


def account(unit: UnitOfWork) -> None:
    """Add to `unit`'s commit the usage its session writes move, each budget's conditions and
    its alerts; `OverBudget` if an enforced budget refuses it. A project whose budget changes
    has it copied onto its usage (`BudgetMark`)."""
    _mark_budgets(unit)
    moves = {project: moved for project, moved in _moves(unit).items() if _moving(moved)}
    if not moves:
        return
    unit.prefetch(
        *(
            usage_sk(project, period)
            for project, moved in moves.items()
            for period in [TOTAL, *moved.added, *moved.starts]
        )
    )
    for project_id, moved in sorted(moves.items()):
        _account_project(unit, project_id, moved)


def _moving(moved: Moves) -> bool:
    return bool(moved.starts) or any(s or a for s, a in moved.added.values())


def _mark_budgets(unit: UnitOfWork) -> None:
    """A new project's usage starts counted at zero; a changed budget is copied onto the usage,
    which is first counted from the sessions if it never was (a project from before budgets)."""
    for change in merged(unit.planned):
        if not (isinstance(change, Put) and change.kind == "project"):
            continue
        project_id, budget = str(change.entity["id"]), change.entity.get("budget")
        total_sk = usage_sk(project_id, TOTAL)
        if change.expect_seq is None:
            unit.add(BudgetMark(total_sk, budget, recount=(0, _ZERO)))
        elif budget != (unit.original(change.item_sk) or {}).get("budget"):
            counted = budget is None or (unit.original(total_sk) or {}).get("counted")
            recount = None if counted else _recount(unit, project_id)
            unit.add(BudgetMark(total_sk, budget, recount=recount))


def _recount(unit: UnitOfWork, project_id: str) -> tuple[int, Decimal]:
    """Count a project's usage from its sessions (its tasks', one Query each): each month's
    item set (a month no session counts in any more, zeroed), the total's returned. A query no
    condition on an item covers: the commit holds only if no write of the workspace came
    between."""
    unit.only_unchanged = True
    periods: dict[str, list[Any]] = defaultdict(lambda: [0, _ZERO])
    tasks = unit.query_all(prefix=children_prefix("project", project_id, "task"), index="byParent")
    for task in list(tasks):
        prefix = children_prefix("task", str(task["id"]), "session")
        for session in unit.query_all(prefix=prefix, index="byParent"):
            if (share := _counted(session)) is not None:
                for period in (TOTAL, share[0]):
                    periods[period][0] += share[1]
                    periods[period][1] += share[2]
    for item in unit.query_all(prefix=usage_sk(project_id, "")):
        periods.setdefault(str(item["sk"]).rsplit("#", 1)[1], [0, _ZERO])
    total = periods.pop(TOTAL, [0, _ZERO])
    for month, (seconds, amount) in sorted(periods.items()):
        unit.add(Usage(usage_sk(project_id, month), seconds, amount, exact=True))
    return total[0], total[1]


def _account_project(unit: UnitOfWork, project_id: str, moved: Moves) -> None:
    total_sk = usage_sk(project_id, TOTAL)
    total = unit.original(total_sk) or {}
    budget = total.get("budget")
    months = [p for p in sorted(moved.added) if p != TOTAL and any(moved.added[p])]
    if not months and (budget is None or not budget.get("enforce")):
        return  # only timers started: nothing counted, nothing to check
    alerted: dict[str, list[int]] = {}
    if budget is not None:
        for period in _budget_periods(budget, moved):
            item = total if period == TOTAL else unit.original(usage_sk(project_id, period)) or {}
            alerted[period] = _judge(unit, project_id, budget, period, item, moved)
    seconds, amount = moved.added[TOTAL]
    unit.add(
        Usage(
            total_sk,
            seconds,
            amount,
            version=None if budget is None else int(total.get("version") or 0),
            unbudgeted=budget is None,
            alerted=alerted.get(TOTAL),
        )
    )
    for month in months:
        seconds, amount = moved.added[month]
        sk = usage_sk(project_id, month)
        unit.add(Usage(sk, seconds, amount, alerted=alerted.get(month)))


def _budget_periods(budget: dict[str, Any], moved: Moves) -> list[str]:
    """The periods of the budget's kind that the write touches."""
    if budget["period"] == TOTAL:
        return [TOTAL]
    return sorted({*(p for p in moved.added if p != TOTAL), *moved.starts})


def _measure(budget: dict[str, Any], moved: list[Any]) -> Decimal:
    """Seconds or amount, as the budget's kind counts."""
    return Decimal(moved[0]) if budget["kind"] == "time" else Decimal(moved[1])


def _judge(
    unit: UnitOfWork,
    project_id: str,
    budget: dict[str, Any],
    period: str,
    item: dict[str, Any],
    moved: Moves,
) -> list[int]:
    """Refuse what the enforced budget does not allow; add the alerts of the percentages the
    write reaches first; the period's alerted percentages after it."""
    limit = Decimal(budget["amount"]) * (_HOUR if budget["kind"] == "time" else 1)
    before = _measure(budget, [item.get("seconds", 0), item.get("amount", 0)])
    added = _measure(budget, moved.added[period]) if period in moved.added else _ZERO
    stopped = _measure(budget, moved.stopped[period]) if period in moved.stopped else _ZERO
    after = before + added
    if budget.get("enforce"):
        if added - stopped > 0 and after > limit:
            raise OverBudget(
                f"project {project_id!r}: this write would take it past its budget",
                moved.sessions,
            )
        starts = moved.starts if period == TOTAL else moved.starts & {period}
        if starts and after >= limit:
            raise OverBudget(f"project {project_id!r}: its budget is used up", moved.sessions)
    alerted = [int(p) for p in item.get("alerted") or []]
    if added <= 0:
        return alerted
    reached = [p for p in budget["alertAt"] if p not in alerted and after * 100 >= p * limit]
    for percent in reached:
        data = _alert(project_id, budget, period, percent, after)
        made = {"kind": "budget_alert", "alert": data, "createdAt": format_timestamp(utc_now())}
        unit.add(Once(alert_sk(project_id, period, percent), made))
    return sorted([*alerted, *reached])


def _alert(
    project_id: str, budget: dict[str, Any], period: str, percent: int, used: Decimal
) -> dict[str, Any]:
    """The `project.budget_alert` event's data (docs/API.md, "Budgets")."""
    in_units = used / _HOUR if budget["kind"] == "time" else used
    return {
        "projectId": project_id,
        "threshold": percent,
        "used": in_units.quantize(_CENT, ROUND_HALF_UP),
        "budget": budget["amount"],
        "period": budget["period"],
        "periodStart": None if period == TOTAL else f"{period}-01T00:00:00.000Z",
    }

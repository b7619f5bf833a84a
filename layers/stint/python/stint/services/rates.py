"""A session's rates and money (docs/API.md, "Money"): the billable and cost rates in force for
its member on its project, and what they make of its rounded duration, to the cent.

Every write of a session prices it (`price`), so a session always carries the rates that were in
force when it was last written, with its `amount` and `cost`; a report adds up what the sessions
carry. A running session carries its rates and no money yet (it has no duration).
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal
from fractions import Fraction
from typing import Any

from stint.billing import cents_to_decimal, exact_amount, round_duration, to_cents
from stint.services import budgets
from stint.store import WORKSPACE_SK, Store, UnitOfWork, entity_sk

# The fields only those who see money read (services/money_view.py hides them from the rest).
SESSION_MONEY = ("billableRate", "costRate", "amount", "cost")


def _entry(entries: Iterable[dict[str, Any]] | None, user_id: str) -> dict[str, Any]:
    return next((e for e in entries or () if e.get("userId") == user_id), {})


def _first_set(*rates: Any) -> Decimal | None:
    return next((Decimal(rate) for rate in rates if rate is not None), None)


def in_force(
    project: dict[str, Any], workspace: dict[str, Any] | None, user_id: str
) -> tuple[Decimal | None, Decimal | None]:
    """The billable and cost rates of `user_id`'s time on `project`: the first set of the
    project member's, the project's (`hourlyRate`), the workspace member's and the workspace's
    billable rate; the project member's cost rate, else the workspace member's. `workspace`:
    the workspace's record (None: a personal workspace never given settings)."""
    on_project = _entry(project.get("members"), user_id)
    member = _entry((workspace or {}).get("members"), user_id)
    settings = (workspace or {}).get("settings") or {}
    billable = _first_set(
        on_project.get("billableRate"),
        project.get("hourlyRate"),
        member.get("billableRate"),
        settings.get("billableRate"),
    )
    cost = _first_set(on_project.get("costRate"), member.get("costRate"))
    return billable, cost


def exact_money(
    seconds: int,
    task: dict[str, Any],
    project: dict[str, Any],
    billable_rate: Decimal | None,
    cost_rate: Decimal | None,
) -> tuple[Fraction, Fraction]:
    """The exact amount (billable rounded hours x billable rate; nothing when the task is not
    billable) and cost (rounded hours x cost rate) of `seconds` on `task` of `project`."""
    rounded, billable = rounded_seconds(seconds, task, project)
    return exact_amount(billable, billable_rate), exact_amount(rounded, cost_rate)


def rounded_seconds(seconds: int, task: dict[str, Any], project: dict[str, Any]) -> tuple[int, int]:
    """`seconds` rounded by the project's rule, and the billable part of that (all of it, or
    nothing when the task is not billable)."""
    rounded = round_duration(
        seconds, project.get("roundingMethod", "nearest"), project.get("roundingMinutes", 0)
    )
    return rounded, rounded if task.get("billable", True) else 0


def priced(
    session: dict[str, Any],
    task: dict[str, Any],
    project: dict[str, Any],
    workspace: dict[str, Any] | None,
    user_id: str,
) -> dict[str, Any]:
    """`session` with the rates in force and its amount and cost, to the cent."""
    billable_rate, cost_rate = in_force(project, workspace, str(session.get("userId") or user_id))
    amount, cost = exact_money(
        session.get("duration") or 0, task, project, billable_rate, cost_rate
    )
    return {
        **session,
        "billableRate": billable_rate,
        "costRate": cost_rate,
        "amount": cents_to_decimal(to_cents(amount)),
        "cost": cents_to_decimal(to_cents(cost)),
    }


def price(store: Store, session: dict[str, Any]) -> dict[str, Any]:
    """Set the session's rates, amount and cost (in place) from its task's project and the
    workspace as `store` reads them (a unit of work answers what it is about to write); the
    session."""
    task_sk = entity_sk("task", session["taskId"])
    ahead = store.prefetch if isinstance(store, UnitOfWork) else lambda *_: None
    ahead(task_sk, WORKSPACE_SK)  # a round trip for what the unit has not read already
    task = store.read(task_sk)
    project_sk = entity_sk("project", task["projectId"]) if task else None
    if task and project_sk:  # the project, with its budget's usage (services/budgets.py)
        ahead(project_sk, *budgets.usage_keys(task["projectId"], session))
    project = store.read(project_sk) if project_sk else None
    if task is None or project is None:  # the write's own conditions refuse it
        return session
    session.update(priced(session, task, project, store.read(WORKSPACE_SK), store.user_id))
    return session


def money_of(
    session: dict[str, Any],
    task: dict[str, Any],
    project: dict[str, Any],
    workspace: dict[str, Any] | None,
    seconds: int,
) -> tuple[Fraction, Fraction]:
    """A report's exact amount and cost of `seconds` of `session` (a running one counts up to
    now) at the rates it carries (a session written before sessions carried rates: at those in
    force). Exact: a report rounds its sums to the cent at the end (docs/API.md, "Reports")."""
    if "billableRate" in session:
        billable_rate, cost_rate = session.get("billableRate"), session.get("costRate")
    else:
        billable_rate, cost_rate = in_force(project, workspace, str(session.get("userId")))
    return exact_money(seconds, task, project, billable_rate, cost_rate)

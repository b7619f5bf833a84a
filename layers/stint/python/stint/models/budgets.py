"""A project's budget (docs/API.md, "Budgets"): what a request sets and what a project holds."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import AfterValidator, Field, StrictBool

from stint.models.base import BaseModel, RequestBody
from stint.models.money import BudgetAmount, ExactNumber
from stint.models.values import Percent

BudgetKind = Literal["time", "money"]
BudgetPeriod = Literal["total", "month"]
DEFAULT_ALERTS = (80, 100)


def _distinct(percents: list[int]) -> list[int]:
    if len(set(percents)) != len(percents):
        raise ValueError("must not repeat a percentage")
    return sorted(percents)


class BudgetFields(RequestBody):
    """A budget as set on a project (the whole budget: a PATCH replaces it, `null` removes it)."""

    kind: BudgetKind = Field(description="`time`: tracked hours; `money`: the sessions' amounts")
    amount: BudgetAmount = Field(
        description="Hours for a `time` budget (at most 100000), the workspace's currency for "
        "a `money` one"
    )
    period: BudgetPeriod = Field(
        "total", description="`month`: each calendar month (UTC) of the sessions' starts"
    )
    alertAt: Annotated[list[Percent], AfterValidator(_distinct)] = Field(
        default_factory=lambda: list(DEFAULT_ALERTS),
        max_length=100,
        description="Distinct percentages (1..100) whose first crossing sends a budget alert",
    )
    enforce: StrictBool = Field(
        False, description="Refuse (`409 over_budget`) a write that takes the project past 100 %"
    )


class Budget(BaseModel):
    kind: BudgetKind
    amount: ExactNumber
    period: BudgetPeriod
    alertAt: list[int]
    enforce: bool

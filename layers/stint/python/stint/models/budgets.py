"""A project's budget (docs/API.md, "Budgets"): what a request sets and what a project holds."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import AfterValidator, Field, StrictBool

from stint.models.base import BaseModel, RequestBody
from stint.models.money import BudgetAmount, BudgetHours, ExactNumber
from stint.models.values import Percent

BudgetKind = Literal["time", "money"]
BudgetPeriod = Literal["total", "month"]
DEFAULT_ALERTS = (80, 100)


def _distinct(percents: list[int]) -> list[int]:
    if len(set(percents)) != len(percents):
        raise ValueError("must not repeat a percentage")
    return sorted(percents)


class _BudgetCommon(RequestBody):
    period: BudgetPeriod = Field(
        "total", description="`month`: each calendar month (UTC) of the sessions' starts"
    )
    alertAt: Annotated[list[Percent], AfterValidator(_distinct)] = Field(
        default_factory=lambda: list(DEFAULT_ALERTS),
        max_length=100,
        description="Distinct percentages (1..100) whose first crossing sends a budget alert",
        json_schema_extra={"uniqueItems": True},
    )
    enforce: StrictBool = Field(
        False, description="Refuse (`409 over_budget`) a write that takes the project past 100 %"
    )


class TimeBudgetFields(_BudgetCommon):
    """A budget of tracked hours."""

    kind: Literal["time"] = Field(description="Tracked hours")
    amount: BudgetHours = Field(description="Hours (at most 100000)")


class MoneyBudgetFields(_BudgetCommon):
    """A budget of money: the sessions' amounts."""

    kind: Literal["money"] = Field(description="The sessions' amounts")
    amount: BudgetAmount = Field(description="In the workspace's currency")


# A budget as set on a project (the whole budget: a PATCH replaces it, `null` removes it); its
# `kind` says which, and so what `amount` may be.
BudgetFields = Annotated[TimeBudgetFields | MoneyBudgetFields, Field(discriminator="kind")]


class Budget(BaseModel):
    kind: BudgetKind
    amount: ExactNumber
    period: BudgetPeriod
    alertAt: list[int]
    enforce: bool

"""Exact numbers: Decimal, stored as DynamoDB N as sent, never float.

Bodies are parsed with `parse_float=Decimal` (stint.jsonio), so 95.55 arrives as
Decimal("95.55"), not as a float. The bounds keep every amount a report can reach (367 days x
24 h x the highest rate) within 15 significant digits, so its JSON text (float's shortest repr,
as Powertools writes numbers) is exactly the decimal value.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Annotated, Any

from annotated_types import GroupedMetadata
from pydantic import BeforeValidator, PlainSerializer, WithJsonSchema

HOURLY_RATE_MAX = Decimal(100_000_000)
PLANNED_BUDGET_MAX = Decimal(1_000_000_000_000)
PLANNED_HOURS_MAX = Decimal(100_000)
_CENT = Decimal("0.01")


def _json_number(value: Decimal) -> int | float:
    """A Decimal as a JSON number: 95 stays 95, 95.5 stays 95.5 (pydantic would write "95.5")."""
    return int(value) if value == value.to_integral_value() else float(value)


def _cents(maximum: Decimal, *, positive: bool = False) -> Callable[[Any], Decimal]:
    """A validator of a number from 0 (above 0 if `positive`) to `maximum` with at most 2
    decimals."""

    def validate(value: Any) -> Decimal:
        if isinstance(value, bool) or not isinstance(value, int | float | Decimal):
            raise ValueError("must be a number")
        number = Decimal(repr(value)) if isinstance(value, float) else Decimal(value)
        if not number.is_finite() or not 0 <= number <= maximum or (positive and number == 0):
            raise ValueError(f"must be a number from {'0.01' if positive else 0} to {maximum}")
        if number != number.quantize(_CENT):
            raise ValueError("must have at most 2 decimals")
        # One form per value: 95.0 is stored and returned as 95, 95.50 as 95.5.
        return Decimal(int(number)) if number == number.to_integral_value() else number.normalize()

    return validate


def _cents_schema(maximum: Decimal, *, positive: bool = False) -> dict[str, Any]:
    limits = {"minimum": 0.01 if positive else 0, "maximum": int(maximum), "multipleOf": 0.01}
    return {"type": "number", **limits, "description": "at most 2 decimals"}


_AS_JSON_NUMBER = PlainSerializer(_json_number, when_used="json")


@dataclass(frozen=True)
class _Cents(GroupedMetadata):
    """A Decimal from 0 (above 0 if `positive`) to `maximum` with at most 2 decimals: its
    validator, its JSON number, its schema."""

    maximum: Decimal
    positive: bool = False

    def __iter__(self) -> Iterator[object]:
        yield BeforeValidator(_cents(self.maximum, positive=self.positive))
        yield _AS_JSON_NUMBER
        yield WithJsonSchema(_cents_schema(self.maximum, positive=self.positive))


HourlyRate = Annotated[Decimal, _Cents(HOURLY_RATE_MAX)]
PlannedBudget = Annotated[Decimal, _Cents(PLANNED_BUDGET_MAX)]
PlannedHours = Annotated[Decimal, _Cents(PLANNED_HOURS_MAX)]
# A budget's amount: hours (a `time` budget, at most PLANNED_HOURS_MAX: checked by the service)
# or money in the workspace's currency; above 0, at most 2 decimals.
BudgetHours = Annotated[Decimal, _Cents(PLANNED_HOURS_MAX, positive=True)]
BudgetAmount = Annotated[Decimal, _Cents(PLANNED_BUDGET_MAX, positive=True)]
# An exact number in a response (a stored rate or budget, a report's amount).
ExactNumber = Annotated[Decimal, _AS_JSON_NUMBER, WithJsonSchema({"type": "number"})]
# A report's amount: an exact number of cents, written as a JSON number (at most 2 decimals).
Amount = Annotated[
    Decimal,
    _AS_JSON_NUMBER,
    WithJsonSchema({"type": "number", "minimum": 0, "description": "at most 2 decimals"}),
]
# A report's profit, amount - cost: exact cents, negative when the cost is higher.
Profit = Annotated[
    Decimal,
    _AS_JSON_NUMBER,
    WithJsonSchema({"type": "number", "description": "amount - cost, at most 2 decimals"}),
]

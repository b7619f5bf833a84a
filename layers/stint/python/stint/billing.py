"""Rounding and money for reports (docs/DESIGN.md, "Reports and search"): pure functions, no
DynamoDB.

Amounts stay exact (`fractions.Fraction`: seconds x rate / 3600 has no finite decimal form in
general, e.g. 1,000 s at 10/h is 2.777...) until the very end, where a report's groups are
turned into cents together by `allocate_cents`. Never float.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from fractions import Fraction
from math import floor
from typing import Literal

RoundingMethod = Literal["down", "nearest", "up"]
ROUNDING_METHODS: tuple[RoundingMethod, ...] = ("down", "nearest", "up")
SECONDS_PER_HOUR = 3600


def round_duration(seconds: int, method: str, minutes: int) -> int:
    """`seconds` rounded to a multiple of `minutes` minutes by `method` (0 minutes: as is).

    `nearest` rounds halves up: 7:30 to a multiple of 15 minutes is 15:00.
    """
    if seconds < 0:
        raise ValueError(f"a duration cannot be negative: {seconds}")
    if minutes < 0:
        raise ValueError(f"rounding minutes cannot be negative: {minutes}")
    if method not in ROUNDING_METHODS:
        raise ValueError(f"unknown rounding method {method!r}")
    if minutes == 0:
        return seconds
    unit = minutes * 60
    whole, rest = divmod(seconds, unit)
    if method == "up":
        whole += rest > 0
    elif method == "nearest":
        whole += 2 * rest >= unit
    return whole * unit


def exact_amount(seconds: int, hourly_rate: Decimal | int | None) -> Fraction:
    """The exact price of `seconds` at `hourly_rate` an hour (no rate: nothing)."""
    if seconds < 0:
        raise ValueError(f"a duration cannot be negative: {seconds}")
    if hourly_rate is None:
        return Fraction(0)
    rate = Fraction(hourly_rate)
    if rate < 0:
        raise ValueError(f"an hourly rate cannot be negative: {hourly_rate}")
    return Fraction(seconds, SECONDS_PER_HOUR) * rate


def to_cents(value: Fraction) -> int:
    """An exact amount in whole cents, halves rounded up (away from zero: amounts are >= 0)."""
    cents = value * 100
    whole = floor(cents)
    return whole + (1 if 2 * (cents - whole) >= 1 else 0)


def allocate_cents(amounts: Sequence[Fraction]) -> tuple[int, list[int]]:
    """The total in cents, and each amount in cents, such that they add up exactly.

    The total is the exact sum rounded to the cent (so it does not depend on how the report
    groups its sessions); each group gets its exact amount rounded down, and the cents left
    over go one each to the groups with the largest remainders (the largest remainder method;
    ties to the earlier group). So every group is less than one cent from its exact amount and
    the groups add up to the total, for any input.
    """
    if any(amount < 0 for amount in amounts):
        raise ValueError("amounts cannot be negative")
    total = to_cents(sum(amounts, Fraction(0)))
    floors = [floor(amount * 100) for amount in amounts]
    left = total - sum(floors)
    # 0 <= left <= the number of amounts with a remainder: each gets at most one cent.
    by_remainder = sorted(range(len(amounts)), key=lambda i: (-(amounts[i] * 100 - floors[i]), i))
    for index in by_remainder[:left]:
        floors[index] += 1
    return total, floors


def cents_to_decimal(cents: int) -> Decimal:
    """1230 -> Decimal("12.30"), exactly."""
    return Decimal(cents).scaleb(-2)

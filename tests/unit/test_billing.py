"""stint.billing: rounding rules and money arithmetic (docs/DESIGN.md, "Reports and search")."""

from __future__ import annotations

import json
import re
from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import TypeAdapter

from stint.billing import (
    allocate_cents,
    cents_to_decimal,
    exact_amount,
    round_duration,
    to_cents,
)
from stint.models import HOURLY_RATE_MAX, Amount, ExactNumber

# ----------------------------------------------------------------------------- rounding


@pytest.mark.parametrize(
    ("seconds", "method", "minutes", "expected"),
    [
        # 0 minutes: no rounding, whatever the method.
        (1234, "up", 0, 1234),
        (1234, "down", 0, 1234),
        (1234, "nearest", 0, 1234),
        (0, "up", 15, 0),
        # up: to the next multiple of 15 min (900 s), unless already on one.
        (1, "up", 15, 900),
        (900, "up", 15, 900),
        (901, "up", 15, 1800),
        # down
        (899, "down", 15, 0),
        (900, "down", 15, 900),
        (1799, "down", 15, 900),
        # nearest: halves up (7:30 of 15 min is 15 min), below half down.
        (449, "nearest", 15, 0),
        (450, "nearest", 15, 900),
        (1349, "nearest", 15, 900),
        (1350, "nearest", 15, 1800),
        (1260, "nearest", 6, 1440),  # 3.5 units of 6 min -> 4
        (59, "nearest", 1, 60),
        (29, "nearest", 1, 0),
        (30, "nearest", 1, 60),
        (86_399, "up", 1440, 86_400),  # a whole day
    ],
)
def test_rounding(seconds: int, method: str, minutes: int, expected: int) -> None:
    assert round_duration(seconds, method, minutes) == expected


@pytest.mark.parametrize(
    ("seconds", "method", "minutes", "refused"),
    [
        (-1, "up", 15, "duration cannot be negative: -1"),
        (-1, "nearest", 0, "duration cannot be negative: -1"),
        (10, "up", -1, "minutes cannot be negative: -1"),
        (10, "down", -15, "minutes cannot be negative: -15"),
        (10, "sideways", 5, "unknown rounding method 'sideways'"),
    ],
)
def test_negative_durations_and_minutes_and_unknown_methods_are_refused(
    seconds: int, method: str, minutes: int, refused: str
) -> None:
    # The message names the argument refused and its value: a caller's bug shows where it is.
    with pytest.raises(ValueError, match=re.escape(refused)):
        round_duration(seconds, method, minutes)


@given(
    seconds=st.integers(min_value=0, max_value=604_800),
    minutes=st.integers(min_value=1, max_value=1440),
)
def test_rounding_lands_on_a_multiple_within_one_unit(seconds: int, minutes: int) -> None:
    unit = minutes * 60
    down = round_duration(seconds, "down", minutes)
    up = round_duration(seconds, "up", minutes)
    nearest = round_duration(seconds, "nearest", minutes)
    for value in (down, up, nearest):
        assert value % unit == 0
    assert down <= seconds < down + unit
    assert up - unit < seconds <= up
    assert nearest in (down, up)
    # Nearest: the closer one; at exactly half way, the upper one.
    assert abs(nearest - seconds) <= abs(seconds - (down if nearest == up else up))
    if 2 * (seconds - down) == unit:
        assert nearest == up


# ----------------------------------------------------------------------------- money


def test_exact_amounts() -> None:
    assert exact_amount(3600, Decimal("95.5")) == Fraction(191, 2)
    assert exact_amount(1000, 10) == Fraction(25, 9)  # 2.777... never a float
    assert exact_amount(3600, None) == 0
    assert exact_amount(0, Decimal("99.99")) == 0
    with pytest.raises(ValueError, match="duration cannot be negative: -1"):
        exact_amount(-1, 10)
    with pytest.raises(ValueError, match="rate cannot be negative: -1"):
        exact_amount(10, Decimal("-1"))


@pytest.mark.parametrize(
    ("value", "cents"),
    [
        (Fraction(0), 0),
        (Fraction(1, 200), 1),  # 0.005 -> 0.01: halves up
        (Fraction(49, 10000), 0),  # 0.0049
        (Fraction(25, 9), 278),  # 2.7777...
        (Fraction(207125, 1000), 20713),
        (Fraction(2071249, 10000), 20712),
    ],
)
def test_to_cents(value: Fraction, cents: int) -> None:
    assert to_cents(value) == cents


def test_largest_remainder_by_hand() -> None:
    # 71.625 + 127.5 + 8 = 207.125 -> 207.13; floors 7162 + 12750 + 800 = 20712; the spare cent
    # goes to the largest remainder (0.5 of a cent, the first group).
    total, groups = allocate_cents([Fraction(71625, 1000), Fraction(1275, 10), Fraction(8)])
    assert (total, groups) == (20713, [7163, 12750, 800])
    # Three groups of 0.004 each: 0.012 -> 0.01; one cent to the first of the tied.
    assert allocate_cents([Fraction(4, 1000)] * 3) == (1, [1, 0, 0])
    # Three thirds of a cent: 0.01 in total; plain rounding would give 0 + 0 + 0.
    assert allocate_cents([Fraction(1, 300)] * 3) == (1, [1, 0, 0])
    assert allocate_cents([]) == (0, [])
    with pytest.raises(ValueError, match="amounts cannot be negative"):
        allocate_cents([Fraction(1), Fraction(-1)])


session = st.tuples(
    st.integers(min_value=0, max_value=604_800),  # tracked seconds
    st.sampled_from(["down", "nearest", "up"]),
    st.integers(min_value=0, max_value=1440),  # rounding minutes
    st.none() | st.decimals(min_value=0, max_value=HOURLY_RATE_MAX, places=2),  # rate
    st.booleans(),  # billable
    st.integers(min_value=0, max_value=9),  # group
)


@given(st.lists(session, max_size=60))
def test_totals_equal_the_sum_of_groups_to_the_cent(sessions: list[tuple]) -> None:  # type: ignore[type-arg]
    exact = [Fraction(0)] * 10
    for seconds, method, minutes, rate, billable, group in sessions:
        rounded = round_duration(seconds, method, minutes)
        exact[group] += exact_amount(rounded if billable else 0, rate)
    total, groups = allocate_cents(exact)
    assert sum(groups) == total
    assert total == to_cents(sum(exact, Fraction(0)))
    for cents, amount in zip(groups, exact, strict=True):
        assert abs(Fraction(cents, 100) - amount) < Fraction(1, 100)  # within one cent
    # Decimals to the cent, and their sum is the total's, exactly.
    assert sum((cents_to_decimal(c) for c in groups), Decimal(0)) == cents_to_decimal(total)


@pytest.mark.parametrize(
    ("cents", "text"), [(0, "0.00"), (5, "0.05"), (1230, "12.30"), (20713, "207.13")]
)
def test_cents_are_decimals_to_the_cent(cents: int, text: str) -> None:
    amount = cents_to_decimal(cents)
    assert (str(amount), amount) == (text, Decimal(text))


@given(st.integers(min_value=0, max_value=10**14))
def test_cents_to_decimal_is_a_hundredth_with_two_places(cents: int) -> None:
    amount = cents_to_decimal(cents)
    assert amount * 100 == cents
    assert amount.as_tuple().exponent == -2  # always two places: 12.30, not 12.3


@given(st.integers(min_value=0, max_value=10**14))
def test_amounts_are_written_as_exact_json_numbers(cents: int) -> None:
    # Up to 10^12 (a planned budget's maximum; a report's amount stays below 367 days x 24 h x
    # the highest rate, under 10^12 too): written as Powertools writes a response (json.dumps of
    # the model's JSON-mode dump), the number's text is the exact decimal.
    amount = cents_to_decimal(cents)
    text = json.dumps(TypeAdapter(Amount).dump_python(amount, mode="json"))
    assert json.loads(text, parse_float=Decimal) == amount


def test_exact_numbers_keep_their_form() -> None:
    dump = TypeAdapter(ExactNumber).dump_python
    assert json.dumps(dump(Decimal(95), mode="json")) == "95"
    assert json.dumps(dump(Decimal("95.5"), mode="json")) == "95.5"
    assert json.dumps(dump(Decimal("0.10"), mode="json")) == "0.1"

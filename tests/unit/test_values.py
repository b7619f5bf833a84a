"""The value space (docs/DESIGN.md, "Values"), as families rather than examples.

- Every timestamp in the accepted range is written with a four-digit year, read back as the
  same instant, sorts as text in time order, and everything derived from it (a session's end,
  its local day in any time zone) stays inside years 0001..9999.
- Every JSON text within the limits parses; every text past one of them is InvalidJson.
- Every number a request body can carry has a finite minimum and maximum in the document.
- Every field the document does not mark nullable refuses `null`, naming the field as the
  client wrote it.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo, available_timezones

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import BaseModel, ValidationError

from stint import jsonio, models
from stint.timeutil import EARLIEST, LATEST, MAX_SESSION_SECONDS, format_timestamp, parse_timestamp

ZONES = sorted(available_timezones())
moments = st.datetimes(
    min_value=EARLIEST.replace(tzinfo=None), max_value=LATEST.replace(tzinfo=None)
).map(lambda moment: moment.replace(tzinfo=UTC))


@given(moments, st.integers(-14 * 60, 14 * 60))
def test_every_accepted_timestamp_round_trips_with_a_four_digit_year(
    moment: datetime, offset_minutes: int
) -> None:
    written = format_timestamp(moment)
    assert len(written) == 24 and written[4] == "-" and written.endswith("Z")
    sent = moment.astimezone(timezone(timedelta(minutes=offset_minutes))).isoformat()
    assert parse_timestamp(sent) == moment
    assert parse_timestamp(written) == moment.replace(microsecond=moment.microsecond // 1000 * 1000)


@given(moments, moments)
def test_written_timestamps_sort_as_text_in_time_order(first: datetime, second: datetime) -> None:
    one, two = format_timestamp(first), format_timestamp(second)
    if first.replace(microsecond=0) < second.replace(microsecond=0):
        assert one < two


@given(moments, st.integers(0, MAX_SESSION_SECONDS), st.sampled_from(ZONES))
@settings(max_examples=300)
def test_what_derives_from_an_accepted_timestamp_stays_in_range(
    moment: datetime, duration: int, zone: str
) -> None:
    end = moment + timedelta(seconds=duration)  # would raise OverflowError past year 9999
    assert format_timestamp(end)[:4] <= "9999"
    local_day = moment.astimezone(ZoneInfo(zone)).date()
    assert 1 <= local_day.year <= 9999


@pytest.mark.parametrize(
    "text",
    [
        "0001-01-01T00:00:00Z",
        "0001-01-01T23:59:59.999Z",
        "0001-01-02T00:00:00+00:01",
        "9999-12-23T00:00:00.001Z",
        "9999-12-31T23:59:59Z",
        "0000-06-01T00:00:00Z",
    ],
)
def test_timestamps_outside_the_range_are_refused(text: str) -> None:
    with pytest.raises(ValueError, match="must be within"):
        parse_timestamp(text)


# Regression: strftime("%Y") does not pad years below 1000 on glibc, so year 999 was
# written "999-01-01T...", which sorted after every four-digit year and broke the timer routes.
def test_year_999_is_written_with_four_digits() -> None:
    moment = parse_timestamp("0999-01-01T00:00:00Z")
    assert format_timestamp(moment) == "0999-01-01T00:00:00.000Z"


# ----------------------------------------------------------------------------- JSON limits

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(10**30) + 1, 10**30 - 1)
    | st.decimals(allow_nan=False, allow_infinity=False, places=4, min_value=-1e9, max_value=1e9)
    | st.text(st.characters(exclude_categories=["Cs"], exclude_characters="\x00")),
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(
            st.text(max_size=8).filter(lambda k: "\x00" not in k), children, max_size=4
        )
    ),
    max_leaves=20,
)


def _depth(value: Any) -> int:
    if isinstance(value, list):
        return 1 + max((_depth(v) for v in value), default=0)
    if isinstance(value, dict):
        return 1 + max((_depth(v) for v in value.values()), default=0)
    return 0


@given(json_values)
def test_json_within_the_limits_parses_to_the_same_value(value: Any) -> None:
    assert jsonio.loads(jsonio.dumps(value)) == value


@given(st.integers(jsonio.MAX_DEPTH + 1, 20_000), st.sampled_from(["[]", "{}"]))
def test_json_deeper_than_the_limit_is_refused(depth: int, brackets: str) -> None:
    objects = brackets == "{}"
    text = '{"a":' * depth + "1" + "}" * depth if objects else "[" * depth + "]" * depth
    with pytest.raises(jsonio.InvalidJson, match="nested deeper"):
        jsonio.loads(text)


@given(st.integers(jsonio.MAX_INTEGER_DIGITS + 1, 6000))
def test_integers_longer_than_the_limit_are_refused(digits: int) -> None:
    with pytest.raises(jsonio.InvalidJson, match="digits"):
        jsonio.loads('{"n": ' + "7" * digits + "}")


@given(st.sampled_from(["\\ud800", "\\udfff", "\\u0000", "\\ude00\\ud83d"]), st.text(max_size=5))
def test_strings_with_a_lone_surrogate_or_nul_are_refused(escape: str, around: str) -> None:
    text = json.dumps({"title": around})[:-2] + escape + '"}'
    with pytest.raises(jsonio.InvalidJson, match="surrogate"):
        jsonio.loads(text)


@pytest.mark.parametrize("constant", ["NaN", "Infinity", "-Infinity"])
def test_non_finite_constants_are_left_to_the_field_to_refuse(constant: str) -> None:
    assert not jsonio.loads('{"n": ' + constant + "}")["n"].is_finite()


def test_a_pair_of_surrogates_is_one_character() -> None:
    assert jsonio.loads('"\\ud83d\\ude00"') == "\U0001f600"


@given(st.decimals(min_value=0, max_value=10**12, places=2, allow_nan=False))
def test_stored_decimals_are_written_as_their_exact_number(value: Decimal) -> None:
    assert Decimal(repr(json.loads(jsonio.dumps({"n": value}))["n"])) == value


# ----------------------------------------------------------------------------- the models


def _request_models() -> list[type[BaseModel]]:
    found = []
    for value in vars(models).values():
        if (
            isinstance(value, type)
            and issubclass(value, models.RequestBody)
            and value is not models.RequestBody
        ):
            found.append(value)
    return found


def _numbers(schema: dict[str, Any], path: str, defs: dict[str, Any]) -> list[tuple[str, dict]]:
    if "$ref" in schema:
        return _numbers(defs[schema["$ref"].split("/")[-1]], path, defs)
    found: list[tuple[str, dict[str, Any]]] = []
    if schema.get("type") in ("number", "integer"):
        found.append((path, schema))
    for option in schema.get("anyOf", []):
        found += _numbers(option, path, defs)
    for name, child in (schema.get("properties") or {}).items():
        found += _numbers(child, f"{path}.{name}" if path else name, defs)
    if "items" in schema:
        found += _numbers(schema["items"], path + "[]", defs)
    return found


@pytest.mark.parametrize("model", _request_models(), ids=lambda m: m.__name__)
def test_every_number_a_body_carries_has_a_finite_range(model: type[BaseModel]) -> None:
    schema = model.model_json_schema()
    for path, number in _numbers(schema, "", schema.get("$defs", {})):
        assert "minimum" in number and "maximum" in number, f"{model.__name__}.{path}"


def _nullable(schema: dict[str, Any]) -> bool:
    return any(option.get("type") == "null" for option in schema.get("anyOf", [])) or (
        schema.get("type") == "null"
    )


@pytest.mark.parametrize("model", _request_models(), ids=lambda m: m.__name__)
def test_every_field_not_marked_nullable_refuses_null(model: type[BaseModel]) -> None:
    schema = model.model_json_schema()
    for name, field in schema["properties"].items():
        if _nullable(field) or not set(field) - {"title", "description", "default"}:
            continue  # null allowed, or any value (a server-managed field sent back, ignored)
        with pytest.raises(ValidationError) as raised:
            model.model_validate({name: None})
        locations = [error["loc"] for error in raised.value.errors()]
        assert (name,) in locations, (model.__name__, name, locations)

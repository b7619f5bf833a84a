"""The value types of fields: ids, titles, notes, timestamps, bounded integers, and the
`Literal`s made from the registry of kinds (stint.kinds). Exact numbers are in `money`."""

from __future__ import annotations

import unicodedata
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING, Annotated, Any, Literal

from pydantic import AfterValidator, BeforeValidator, Field, StrictStr

from stint import kinds
from stint.timeutil import MAX_SESSION_SECONDS, RANGE_TEXT, parse_timestamp

CLIENT_ID_PATTERN = r"^[A-Za-z0-9_-]{1,64}$"
TITLE_MAX = 500
NOTE_MAX = 10_000


TAG_NAME_MAX = 100
TAGS_PER_SESSION = 20


# Characters that show nothing (docs/API.md, "Requests and answers": a title needs a visible
# one): separators, format and control characters (zero-width spaces and joiners, U+2060, the
# byte-order mark U+FEFF, U+180E, ...), and the default-ignorable ones of other categories
# (the combining grapheme joiner, the Hangul fillers, variation selectors).
_INVISIBLE_CATEGORIES = frozenset({"Zs", "Zl", "Zp", "Cf", "Cc"})
_INVISIBLE = frozenset(
    "\u034f\u115f\u1160\u17b4\u17b5\u180b\u180c\u180d\u180f\u3164\uffa0"
    + "".join(map(chr, range(0xFE00, 0xFE10)))
    + "".join(map(chr, range(0xE0100, 0xE01F0)))
)


def visible(character: str) -> bool:
    return character not in _INVISIBLE and unicodedata.category(character) not in (
        _INVISIBLE_CATEGORIES
    )


def _trimmed(value: str, maximum: int) -> str:
    """The one check of every title and name: trimmed, 1..maximum characters, and at least
    one of them visible (one of spaces and zero-width characters is blank)."""
    trimmed = value.strip()
    if not any(visible(character) for character in trimmed):
        raise ValueError("must have a visible character (it is blank)")
    if len(trimmed) > maximum:
        raise ValueError(f"must be 1..{maximum} characters after trimming")
    return trimmed


def _trimmed_title(value: str) -> str:
    return _trimmed(value, TITLE_MAX)


def _trimmed_tag_name(value: str) -> str:
    return _trimmed(value, TAG_NAME_MAX)


def _rfc3339(value: str) -> str:
    parse_timestamp(value)  # raises ValueError without an offset or out of range
    return value


ClientId = Annotated[StrictStr, Field(pattern=CLIENT_ID_PATTERN)]


class _NotBlank:
    r"""What JSON Schema can say of a title or name: not empty, and not all blanks (in the
    document only; the server's check is `_trimmed`). `\S` (searched, not anchored) is sound in
    every engine (ECMA's, Python's, pydantic's): each one's `\s` holds only characters that
    `visible` calls invisible, so every title the server accepts matches. A title of zero-width
    characters matches too and is refused: that part stays the server's (docs/DESIGN.md,
    "Schemathesis and its argued refusals")."""

    def __get_pydantic_json_schema__(self, core_schema: Any, handler: Any) -> dict[str, Any]:
        schema: dict[str, Any] = handler(core_schema)
        schema.update(minLength=1, pattern=r"\S")
        schema.setdefault("description", "Trimmed; at least one visible character")
        return schema


Title = Annotated[StrictStr, AfterValidator(_trimmed_title), _NotBlank()]
Color = Annotated[StrictStr, Field(min_length=1, max_length=32)]
TagName = Annotated[StrictStr, AfterValidator(_trimmed_tag_name), _NotBlank()]
HexColor = Annotated[StrictStr, Field(pattern=r"^#[0-9A-Fa-f]{6}$", description="`#rrggbb`")]
Note = Annotated[StrictStr, Field(max_length=NOTE_MAX)]
# Planned durations of tasks and subtasks: up to 100,000 hours, in seconds.
PLANNED_SECONDS_MAX = 360_000_000


def _whole(value: Any) -> Any:
    """JSON Schema's `integer` takes 1500.0 (a number whose fraction is zero): so does Stint.
    Anything else is left to the strict int check (1500.5, "1500" and true are refused)."""
    if isinstance(value, Decimal) and value.is_finite() and value == value.to_integral_value():
        return int(value)
    return value


# Integers of bodies: a range in the document, strict but for `_whole`.
_WHOLE = BeforeValidator(_whole)
PlannedSeconds = Annotated[int, Field(ge=0, le=PLANNED_SECONDS_MAX, strict=True), _WHOLE]
RoundingMinutes = Annotated[int, Field(ge=0, le=1440, strict=True), _WHOLE]
SessionSeconds = Annotated[int, Field(ge=0, le=MAX_SESSION_SECONDS, strict=True), _WHOLE]
Percent = Annotated[int, Field(ge=1, le=100, strict=True), _WHOLE]


def _calendar_date(value: str) -> str:
    date.fromisoformat(value)  # raises ValueError for 2026-02-30
    return value


# A calendar date, `YYYY-MM-DD` (a workspace's `lockedBefore`, an approval's period).
Date = Annotated[
    StrictStr,
    Field(pattern=r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$", json_schema_extra={"format": "date"}),
    AfterValidator(_calendar_date),
]
# ISO 4217's alphabetic code: three capital letters.
Currency = Annotated[StrictStr, Field(pattern=r"^[A-Z]{3}$", description="ISO 4217, as `EUR`")]
# JSON Schema's `date-time` is RFC 3339's date-time, which always has an offset.
DATE_TIME = Field(
    json_schema_extra={
        "format": "date-time",
        "description": f"RFC 3339 with an offset, {RANGE_TEXT}",
    }
)
# An RFC 3339 timestamp with an offset; kept as sent (the service normalizes it to UTC).
Timestamp = Annotated[StrictStr, AfterValidator(_rfc3339), DATE_TIME]
# A server-managed timestamp sent back: ignored, but it must still be a timestamp with an offset.
IgnoredTimestamp = Timestamp

if TYPE_CHECKING:  # mypy cannot read Literals built from the registry; pydantic can
    KindName = str
    TriggerType = str
    SearchType = str
else:
    KindName = Literal[kinds.NAMES]
    TriggerType = Literal[(*kinds.TRIGGERS, "stopped_time", "approval", "budget")]
    SearchType = Literal[kinds.SEARCHABLE]

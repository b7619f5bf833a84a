"""Hypothesis strategies derived from the request models in stint.models.

`body(Model, refs)` walks `Model.model_fields`: each field's annotation (`X | None`, `Literal`,
`Annotated` metadata: `Ge`/`Le`/`MinLen`/`MaxLen`, `pattern`, `Strict`) and its custom
validators, which have their documented ranges registered here (`VALIDATORS`: titles are 1..500
characters after trimming, timestamps RFC 3339 with an offset in the documented range, money at
most 2 decimals within the `WithJsonSchema` bounds, an invitation's email as its pattern says).
A field added to a model is covered without new test code; a field whose validator is not
registered here fails the walk (`Unregistered`), so a new constrained type cannot slip through
untested. Nested request models are walked too.

Values lean to the edges of each range: 0 and the maximum, fractional money, the longest
title, astral characters, combining marks, right-to-left text, years 0001 and 9999, odd
offsets. `null` is sent only where the model's type admits it. Fields that name
another entity (`projectId`, ...) come from `refs`, so writes can succeed; `id` is a fresh
client id or left out.

`invalid_bodies(Model)` is the other side: for each field, values docs/DESIGN.md ("Values") says
are a `400` at once (NaN, Infinity, past a bound, 31-digit integers, lone surrogates, U+0000, JSON
nested 65 deep), each in an otherwise valid body.
"""

from __future__ import annotations

import types
import typing
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import annotated_types
from hypothesis import strategies as st
from pydantic import AfterValidator, BaseModel, BeforeValidator, WithJsonSchema
from pydantic.fields import FieldInfo

from stint import models, timeutil
from stint.models.values import visible

OMIT = object()  # a field left out of the body
# The documented range of every timestamp (stint.timeutil), at its edges too. It already leaves
# room for a session's longest duration and for any time zone's offset.
MAX_TIMESTAMP = timeutil.LATEST
MIN_TIMESTAMP = timeutil.EARLIEST
SESSION_START_MAX = MAX_TIMESTAMP
# Fields that name another entity, or a member: only what a test gives (`refs`), so that a
# write can succeed.
REFERENCES = (
    "projectId",
    "categoryId",
    "clientId",
    "taskId",
    "subtaskId",
    "defaultProject",
    "tagIds",
    "workspaceId",
    "assigneeId",
)

# Characters a client may send: every plane, combining marks, right-to-left scripts, emoji,
# never a surrogate (not encodable) nor U+0000 (refused: docs/DESIGN.md, "Values").
CHARACTERS = st.characters(exclude_categories=("Cs",), exclude_characters="\x00")
EDGE_TEXT = [
    "a",
    "\U0001f600",  # astral
    "e\u0301",  # combining
    "\u05e9\u05dc\u05d5\u05dd",  # right to left
    "\u202eevil\u202c",  # a bidi override
    "\U00010348\U0001d11e",  # astral letters and symbols
    "\ufeff\u200b",  # invisible
    " x ",
]


class Unregistered(TypeError):
    """A field whose type the walker has no strategy for: register one in VALIDATORS."""


@dataclass
class Constraints:
    base: Any
    ge: Any = None
    le: Any = None
    min_length: int | None = None
    max_length: int | None = None
    pattern: str | None = None
    validators: list[Any] = field(default_factory=list)
    json_schema: dict[str, Any] = field(default_factory=dict)


# The annotated_types constraints that set the Constraints field of their own name.
_BOUNDS = (
    (annotated_types.Ge, "ge"),
    (annotated_types.Le, "le"),
    (annotated_types.MinLen, "min_length"),
    (annotated_types.MaxLen, "max_length"),
)


def constraints(annotation: Any, metadata: list[Any]) -> Constraints:
    """The base type and every constraint of one (non-optional) annotation."""
    found = Constraints(annotation)
    items = list(metadata)
    if typing.get_origin(annotation) is typing.Annotated:
        found.base, *extra = typing.get_args(annotation)
        items += extra
    while items:
        item = items.pop(0)
        if isinstance(item, FieldInfo):
            items += item.metadata
        elif isinstance(item, annotated_types.GroupedMetadata):  # several as one, pydantic unpacks
            items += list(item)
        else:
            _note(found, item)
    return found


def _note(found: Constraints, item: Any) -> None:
    """Record one constraint of an annotation's metadata (others are left alone)."""
    bound = next((name for kind, name in _BOUNDS if isinstance(item, kind)), None)
    if bound is not None:
        setattr(found, bound, getattr(item, bound))
    elif getattr(item, "pattern", None):
        found.pattern = item.pattern
    elif isinstance(item, AfterValidator | BeforeValidator):
        found.validators.append(item.func)
    elif isinstance(item, WithJsonSchema) and isinstance(item.json_schema, dict):
        found.json_schema = item.json_schema


# ----------------------------------------------------------------------------- values


def calendar_dates() -> st.SearchStrategy[str]:
    """`YYYY-MM-DD`, every day a calendar has (the leap days and the ends of months)."""
    return st.dates().map(lambda day: day.isoformat())


def timestamps(latest: datetime = MAX_TIMESTAMP) -> st.SearchStrategy[str]:
    """RFC 3339 with an offset, in the documented range (the instant, in UTC)."""
    edges = st.sampled_from([MIN_TIMESTAMP, latest, datetime(999, 12, 31, 23, 59, tzinfo=UTC)])
    instants = st.one_of(
        edges,
        st.datetimes(
            min_value=MIN_TIMESTAMP.replace(tzinfo=None), max_value=latest.replace(tzinfo=None)
        ).map(lambda moment: moment.replace(tzinfo=UTC)),
    )
    offsets = st.sampled_from([0, 0, 60, -300, 330, 345, -570, 840, -720])
    return st.builds(_with_offset, instants, offsets)


def _with_offset(instant: datetime, offset_minutes: int) -> str:
    try:
        local = instant + timedelta(minutes=offset_minutes)
    except OverflowError:  # before year 0001 or after 9999 locally: no offset then
        offset_minutes, local = 0, instant
    sign = "-" if offset_minutes < 0 else "+"
    hours, minutes = divmod(abs(offset_minutes), 60)
    text = local.replace(tzinfo=None).isoformat(timespec="milliseconds")
    return f"{text}Z" if offset_minutes == 0 else f"{text}{sign}{hours:02d}:{minutes:02d}"


def plain(value: Any) -> Any:
    """A body for `requests`' json=: money as floats (exact: at most 15 significant digits,
    which float's shortest repr writes back as the same decimal)."""
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, dict):
        return {key: plain(item) for key, item in value.items()}
    if isinstance(value, list):
        return [plain(item) for item in value]
    return value


def texts(min_size: int = 0, max_size: int | None = None) -> st.SearchStrategy[str]:
    longest = max_size if max_size is not None else 2000
    edges = [t for t in EDGE_TEXT if min_size <= len(t) <= longest]
    strategies = [
        st.sampled_from(edges),
        st.text(CHARACTERS, min_size=min_size, max_size=min(longest, 40)),
    ]
    if max_size is not None:
        strategies.append(
            st.builds(lambda c: (c * max_size)[:max_size], st.sampled_from(EDGE_TEXT))
        )
    return st.one_of(strategies).filter(lambda text: min_size <= len(text) <= longest)


def trimmed_texts(maximum: int) -> st.SearchStrategy[str]:
    """1..`maximum` characters after trimming, one of them visible (blanks around are allowed,
    and trimmed)."""
    return st.one_of(
        texts(1, maximum),
        st.builds(lambda c: " " + (c * maximum)[:maximum] + " ", st.sampled_from(EDGE_TEXT)),
    ).filter(lambda text: len(text.strip()) <= maximum and any(visible(c) for c in text.strip()))


def titles() -> st.SearchStrategy[str]:
    return trimmed_texts(models.TITLE_MAX)


def tag_names() -> st.SearchStrategy[str]:
    return trimmed_texts(models.TAG_NAME_MAX)


# The blanks an email may have around it (trimmed: stint.models.workspaces).
EMAIL_BLANKS = " \t\n\r\f\v"
_EMAIL_CHARACTERS = st.characters(
    exclude_categories=("Cs",), exclude_characters="\x00@" + EMAIL_BLANKS
)


def emails(maximum: int = models.EMAIL_MAX) -> st.SearchStrategy[str]:
    """What the invitations' email pattern takes: one `@` between two runs of anything but
    blanks and `@`, blanks around (trimmed), upper case (lowered), any plane; at most
    `maximum` characters, the longest too."""
    part = st.text(_EMAIL_CHARACTERS, min_size=1, max_size=40)
    blanks = st.text(st.sampled_from(EMAIL_BLANKS), max_size=3)
    longest = st.builds(
        lambda c: f"{(c * maximum)[: maximum - 6]}@x.org"[:maximum],
        st.sampled_from("aZ\u00e9\U0001f600"),
    )
    edges = st.sampled_from(["a@b", "Ada.Lovelace@Example.COM", "\u00e9l\u00e8ve@\u00e9cole.fr"])
    drawn = st.builds(lambda a, b, c, d: f"{a}{b}@{c}{d}", blanks, part, part, blanks)
    return st.one_of(edges, longest, drawn).filter(lambda email: len(email) <= maximum)


def money(minimum: Decimal, maximum: Decimal) -> st.SearchStrategy[Decimal]:
    edges = [minimum, maximum, Decimal("0.01"), Decimal("95.5"), maximum - Decimal("0.01")]
    return st.one_of(
        st.sampled_from(edges),
        st.decimals(minimum, maximum, places=2, allow_nan=False, allow_infinity=False),
    )


def integers(ge: Any, le: Any) -> st.SearchStrategy[int]:
    low = int(ge) if ge is not None else -(2**53)
    high = int(le) if le is not None else 2**53
    return st.one_of(st.sampled_from([low, high]), st.integers(low, high))


def floats(ge: Any, le: Any) -> st.SearchStrategy[Any]:
    low = float(ge) if ge is not None else None
    high = float(le) if le is not None else None
    values = st.floats(low, high, allow_nan=False, allow_infinity=False)
    edges = [v for v in (low, high, 1.5, 0.25) if v is not None]
    if low is not None:
        edges = [v for v in edges if v >= low and (high is None or v <= high)]
    return st.one_of(st.sampled_from(edges), values) if edges else values


def _validated(found: Constraints, name: str) -> st.SearchStrategy[Any]:
    """A strategy for a field with custom validators (their documented ranges)."""
    functions = {getattr(f, "__qualname__", repr(f)) for f in found.validators}
    if functions <= {"_trimmed_title"}:
        return titles()
    if functions <= {"_trimmed_tag_name"}:
        return tag_names()
    if functions <= {"_rfc3339"}:
        return timestamps()
    if functions <= {"_calendar_date"}:
        return calendar_dates()
    if functions <= {"_distinct"} and typing.get_origin(found.base) is list:
        (item,) = typing.get_args(found.base)
        items = value(f"{name}[]", item, [])
        longest = found.max_length or 10
        return st.lists(items, min_size=found.min_length or 0, max_size=longest, unique=True)
    if functions <= {"normalized_email"}:
        return emails(found.max_length or models.EMAIL_MAX)
    if functions <= {"_whole"} and found.base is int:
        # What JSON Schema's `integer` takes: an int, or one written with a zero fraction.
        whole = integers(found.ge, found.le)
        return st.one_of(whole, whole.map(float))
    schema = found.json_schema
    if all(f.startswith("_cents.") for f in functions) and schema.get("type") == "number":
        return money(Decimal(schema["minimum"]), Decimal(schema["maximum"]))
    raise Unregistered(f"{name}: no strategy for the validators {sorted(functions)}")


def value(name: str, annotation: Any, metadata: list[Any]) -> st.SearchStrategy[Any]:
    """A strategy for one field's valid values (without null)."""
    found = constraints(annotation, metadata)
    base = found.base
    if found.validators:
        return _validated(found, name)
    if typing.get_origin(base) is typing.Literal:
        return st.sampled_from(typing.get_args(base))
    if isinstance(base, type) and issubclass(base, BaseModel):
        return body(base)
    if typing.get_origin(base) is list:
        (item,) = typing.get_args(base)
        items = value(f"{name}[]", item, [])
        return st.lists(items, min_size=found.min_length or 0, max_size=found.max_length or 10)
    if base is bool:
        return st.booleans()
    if base is int:
        return integers(found.ge, found.le)
    if base is float:
        return floats(found.ge, found.le)
    if base is str:
        if found.pattern:
            return st.from_regex(found.pattern, fullmatch=True)
        return texts(found.min_length or 0, found.max_length)
    raise Unregistered(f"{name}: no strategy for {annotation!r}")


def _variants(annotation: Any) -> tuple[list[Any], bool]:
    """The union's members without None, and whether None is one of them."""
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated and _is_union(typing.get_args(annotation)[0]):
        return _variants(typing.get_args(annotation)[0])  # a discriminated union: its members
    if _is_union(annotation):
        members, nullable = [], False
        for member in typing.get_args(annotation):
            if member is type(None):
                nullable = True
                continue
            inner, inner_nullable = _variants(member)
            members += inner
            nullable = nullable or inner_nullable
        return members, nullable
    return [annotation], False


def _is_union(annotation: Any) -> bool:
    return typing.get_origin(annotation) in (typing.Union, types.UnionType)


def field_values(model: type[BaseModel], name: str, info: FieldInfo) -> st.SearchStrategy[Any]:
    members, nullable = _variants(info.annotation)
    options = [value(f"{model.__name__}.{name}", m, list(info.metadata)) for m in members]
    if nullable and name not in getattr(model, "NOT_NULL", ()):
        options.append(st.none())
    return st.one_of(options)


def body(
    model: type[BaseModel], refs: dict[str, st.SearchStrategy[Any]] | None = None
) -> st.SearchStrategy[dict[str, Any]]:
    """Valid bodies of `model`: required fields always, the others present or left out."""
    refs = refs or {}
    model.model_rebuild()
    fields: dict[str, st.SearchStrategy[Any]] = {}
    for name, info in model.model_fields.items():
        if name in refs:
            fields[name] = refs[name]  # exactly what the test gives (OMIT: left out)
            continue
        if info.annotation is Any:
            continue  # server-managed and ignored: what a client sends back, not a value
        if name == "id":
            strategy = st.builds(lambda: f"c-{uuid.uuid4().hex}")
        elif name in REFERENCES:
            continue  # names another entity: only from refs
        else:
            strategy = field_values(model, name, info)
        fields[name] = strategy if info.is_required() else st.one_of(st.just(OMIT), strategy)
    return st.fixed_dictionaries(fields).map(
        lambda drawn: {key: item for key, item in drawn.items() if item is not OMIT}
    )


# ----------------------------------------------------------------------------- invalid values

NESTED_65 = "[" * 65 + "]" * 65


@dataclass(frozen=True)
class Invalid:
    path: str  # the field, as the client wrote it
    json_value: str  # raw JSON text


def invalid_values(model: type[BaseModel], prefix: str = "") -> list[Invalid]:
    """For every field: values refused with a 400 (raw JSON text; docs/DESIGN.md, "Values")."""
    model.model_rebuild()
    found = []
    for name, info in model.model_fields.items():
        path = f"{prefix}{name}"
        found.append(Invalid(path, NESTED_65))
        members, _ = _variants(info.annotation)
        for member in members:
            constraint = constraints(member, list(info.metadata))
            base = constraint.base
            if isinstance(base, type) and issubclass(base, BaseModel):
                found += invalid_values(base, f"{path}.")
            elif base in (int, float) or constraint.json_schema.get("type") == "number":
                found += [Invalid(path, text) for text in ("NaN", "Infinity", "-Infinity")]
                found.append(Invalid(path, "1" + "0" * 30))  # 31 digits
                high = (
                    constraint.le
                    if constraint.le is not None
                    else constraint.json_schema.get("maximum")
                )
                if high is not None:
                    found.append(Invalid(path, str(Decimal(str(high)) + 1)))
                low = (
                    constraint.ge
                    if constraint.ge is not None
                    else constraint.json_schema.get("minimum")
                )
                if low is not None:
                    found.append(Invalid(path, str(Decimal(str(low)) - 1)))
            elif base is str or base is Any or typing.get_origin(base) is typing.Literal:
                found += [Invalid(path, '"a\\ud800b"'), Invalid(path, '"a\\u0000b"')]
    return found

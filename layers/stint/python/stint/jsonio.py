"""JSON in and out, the one way Stint reads and writes it (docs/DESIGN.md, "Values").

`loads` is the only parser of text a client sent (request bodies, page and sync tokens). It
refuses (`OverLimit`), before building anything, what would make the parser or a later step
fail: nesting deeper than `MAX_DEPTH`, an integer of more than `MAX_INTEGER_DIGITS` digits,
and strings holding a lone surrogate or U+0000 (valid JSON, but not encodable UTF-8, or cut
short by C code downstream). Numbers with a fraction are `Decimal`, exact; `NaN` and
`Infinity` are `Decimal` too, so that the field that gets one refuses it by name.

`dumps` is the only writer of stored values as JSON (webhook bodies, idempotency records,
tokens): values read back from DynamoDB carry `Decimal`, which `json.dumps` refuses. Every
number field has a range small enough (at most 15 significant digits) that its shortest float
text is its exact decimal value, so a `Decimal` is written as that number.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from decimal import Decimal
from typing import Any

MAX_DEPTH = 64
MAX_INTEGER_DIGITS = 30
# A number with a fraction or an exponent: longer than this is not a value any field takes.
MAX_NUMBER_CHARS = 100
# Everything inside a JSON string, escapes included, so that brackets there are not counted.
_STRING = re.compile(r'"(?:[^"\\]|\\.)*"', re.DOTALL)
_NOT_A_BRACKET = re.compile(r"[^\[\]{}]+")
_UNENCODABLE = re.compile("[\ud800-\udfff\x00]")


class InvalidJson(ValueError):
    """The text is not JSON Stint accepts; the message says why, for the client."""


class OverLimit(InvalidJson):
    """JSON, but past one of Stint's limits: `400 invalid_json` (docs/DESIGN.md, "Values")."""


def _integer(digits: str) -> int:
    if len(digits.lstrip("-")) > MAX_INTEGER_DIGITS:
        raise OverLimit(f"an integer has more than {MAX_INTEGER_DIGITS} digits")
    return int(digits)


def _fraction(text: str) -> Decimal:
    if len(text) > MAX_NUMBER_CHARS:
        raise OverLimit(f"a number is longer than {MAX_NUMBER_CHARS} characters")
    return Decimal(text)


def _constant(name: str) -> Decimal:
    return Decimal(name)  # NaN, Infinity, -Infinity: no field's range holds them


def _depth(text: str) -> int:
    brackets = _NOT_A_BRACKET.sub("", _STRING.sub('""', text))
    depth = deepest = 0
    for bracket in brackets:
        if bracket in "[{":
            depth += 1
            deepest = max(deepest, depth)
        else:
            depth -= 1
    return deepest


def unencodable(text: str) -> bool:
    """Whether the text holds a lone surrogate or U+0000."""
    return _UNENCODABLE.search(text) is not None


def _check_strings(value: Any) -> None:
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            if unencodable(item):
                raise OverLimit("a string holds a lone surrogate or U+0000")
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)


def loads(text: str | bytes) -> Any:
    """Parse client JSON within Stint's limits; InvalidJson for anything else."""
    if isinstance(text, bytes):
        try:
            text = text.decode("utf-8")
        except UnicodeDecodeError as error:
            raise InvalidJson("the text is not UTF-8") from error
    if _depth(text) > MAX_DEPTH:
        raise OverLimit(f"nested deeper than {MAX_DEPTH} levels")
    try:
        value = json.loads(
            text, parse_float=_fraction, parse_int=_integer, parse_constant=_constant
        )
    except OverLimit:
        raise
    except ValueError as error:  # JSONDecodeError is a ValueError
        raise InvalidJson(f"not valid JSON ({error})") from error
    _check_strings(value)
    return value


def _stored_number(value: Any) -> int | float:
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    raise TypeError(f"{type(value).__name__} is not JSON")


def dumps(value: Any, *, sort_keys: bool = False) -> str:
    """Compact JSON of a stored value (its Decimals as numbers)."""
    return json.dumps(
        value,
        default=_stored_number,
        allow_nan=False,
        sort_keys=sort_keys,
        separators=(",", ":"),
    )


def to_token(value: Any) -> str:
    """An opaque token holding a JSON value (page and sync tokens): base64url, unpadded."""
    return base64.urlsafe_b64encode(json.dumps(value).encode()).decode().rstrip("=")


def from_token(token: str) -> Any:
    """The value a token holds: InvalidJson when it holds none, OverLimit past the limits."""
    try:
        text = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
    except (binascii.Error, ValueError) as error:
        raise InvalidJson("not base64url") from error
    try:
        return loads(text)
    except UnicodeDecodeError as error:
        raise InvalidJson("not UTF-8") from error

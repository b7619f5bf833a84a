"""JSON in and out, the one way Stint reads and writes it (contract section 1, "Values").

`loads` is the only parser of text a client sent (request bodies, page and sync tokens). It
refuses, before building anything, what would make the parser or a later step fail: nesting
deeper than `MAX_DEPTH`, an integer of more than `MAX_INTEGER_DIGITS` digits, `NaN` and
`Infinity`, and strings holding a lone surrogate or U+0000 (valid JSON, but not encodable
UTF-8, or cut short by C code downstream). Numbers with a fraction are `Decimal`, exact.

`dumps` is the only writer of stored values as JSON (webhook bodies, idempotency records,
tokens): values read back from DynamoDB carry `Decimal`, which `json.dumps` refuses. Every
number field has a range small enough (at most 15 significant digits) that its shortest float
text is its exact decimal value, so a `Decimal` is written as that number.
"""

from __future__ import annotations

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


def _integer(digits: str) -> int:
    if len(digits.lstrip("-")) > MAX_INTEGER_DIGITS:
        raise InvalidJson(f"an integer has more than {MAX_INTEGER_DIGITS} digits")
    return int(digits)


def _fraction(text: str) -> Decimal:
    if len(text) > MAX_NUMBER_CHARS:
        raise InvalidJson(f"a number is longer than {MAX_NUMBER_CHARS} characters")
    return Decimal(text)


def _constant(name: str) -> Any:
    raise InvalidJson(f"{name} is not a JSON number")


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


def _check_strings(value: Any) -> None:
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            if _UNENCODABLE.search(item):
                raise InvalidJson("a string holds a lone surrogate or U+0000")
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
        raise InvalidJson(f"nested deeper than {MAX_DEPTH} levels")
    try:
        value = json.loads(
            text, parse_float=_fraction, parse_int=_integer, parse_constant=_constant
        )
    except InvalidJson:
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

"""The checks at the edge of the Lambda that refuse a request before any route runs or anything
parses its body: a body too large (413), of a type other than JSON (415), outside Stint's JSON
limits or not an object (400), a parameter no string may hold (400), a page token this API did
not hand out (400) (docs/DESIGN.md, "Values").
"""

from __future__ import annotations

import base64
from typing import Any

from stint import jsonio, page_tokens, urls
from stint.errors import PayloadTooLarge, UnsupportedMediaType, ValidationFailed, invalid_field
from stint.responses import JSON, raw_error, request_id

MAX_BODY_BYTES = 256 * 1024
REPLACEMENT_CHARACTER = "\ufffd"  # what a decoding puts for bytes that are not UTF-8


def refused(event: dict[str, Any], user_id: str | None) -> dict[str, Any] | None:
    """The answer refusing the request (a Lambda proxy response), or None: it goes on."""
    return (
        _body_too_large(event)
        or _body_not_json(event)
        or _unacceptable_json(event)
        or _unencodable_parameter(event)
        or _foreign_token(event, user_id)
    )


def media_type(content_type: str) -> str:
    """The media type of a Content-Type value, lower-cased, without its parameters: type and
    subtype are case-insensitive (RFC 9110, 8.3.1)."""
    return content_type.split(";")[0].strip().lower()


def _body_too_large(event: dict[str, Any]) -> dict[str, Any] | None:
    """The 413 answer for a body over 256 KiB (decoded), checked before anything parses it."""
    body = _body_text(event)
    size = len(body) if isinstance(body, bytes) else len(body.encode("utf-8", "surrogatepass"))
    if size <= MAX_BODY_BYTES:
        return None
    return raw_error(
        PayloadTooLarge(f"The request body is over {MAX_BODY_BYTES} bytes"), request_id(event)
    )


def _body_not_json(event: dict[str, Any]) -> dict[str, Any] | None:
    """A 415 for a body of a media type other than application/json, however spelled (no
    Content-Type: taken as JSON; docs/API.md, "Requests and answers")."""
    if not event.get("body"):
        return None
    given = media_type(urls.header(event, "Content-Type") or "")
    if not given or given == JSON:
        return None
    return raw_error(
        UnsupportedMediaType(f"Content-Type: must be {JSON}, not {given}"),
        request_id(event),
    )


def _body_text(event: dict[str, Any]) -> str | bytes:
    body = event.get("body") or ""
    return base64.b64decode(body) if event.get("isBase64Encoded") else str(body)


def _unacceptable_json(event: dict[str, Any]) -> dict[str, Any] | None:
    """A 400 invalid_json for a body outside Stint's JSON limits (stint.jsonio), checked before
    anything parses it: too deep, an integer too long, a lone surrogate or U+0000; and a 400
    validation_error for a body that is not a JSON object (every route's body is one)."""
    if not event.get("body"):
        return None
    text = _body_text(event)
    if isinstance(text, str) and REPLACEMENT_CHARACTER in text:
        # API Gateway hands a text body to the function decoded, each byte that is not UTF-8
        # replaced by U+FFFD: such a body is refused, not stored (docs/DESIGN.md, "Values").
        return raw_error(
            ValidationFailed(
                "The body is not acceptable JSON: it is not UTF-8 (it holds U+FFFD)",
                code="invalid_json",
            ),
            request_id(event),
        )
    try:
        body = jsonio.loads(text)
    except jsonio.InvalidJson as error:
        return raw_error(
            ValidationFailed(f"The body is not acceptable JSON: {error}", code="invalid_json"),
            request_id(event),
        )
    # Every Stint body is an object, or `null` where a route's body is optional (Powertools took
    # a list for a model).
    if body is not None and not isinstance(body, dict):
        message = "must be a JSON object"
        return raw_error(invalid_field("body", message), request_id(event))
    return None


def _unencodable_parameter(event: dict[str, Any]) -> dict[str, Any] | None:
    """A 400 for a path or query parameter holding U+0000 or a lone surrogate (no string
    may: docs/DESIGN.md, "Values"), before any route reads it."""
    for source in ("pathParameters", "queryStringParameters"):
        for name, value in (event.get(source) or {}).items():
            if isinstance(value, str) and jsonio.unencodable(value):
                message = "must not hold U+0000 or a lone surrogate"
                return raw_error(invalid_field(str(name), message), request_id(event))
    return None


def _foreign_token(event: dict[str, Any], user_id: str | None) -> dict[str, Any] | None:
    """A page or sync token this API did not hand out for this caller, route and query: 400
    before the route reads anything (stint.page_tokens)."""
    if not user_id:
        return None
    refused = page_tokens.unseal_event(event, user_id)
    return None if refused is None else raw_error(refused, request_id(event))

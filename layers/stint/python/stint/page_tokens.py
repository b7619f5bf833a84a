"""Page and sync tokens bound to whom, where and what they were handed out for (docs/API.md,
"Lists", "Sync tokens").

A `nextToken` or `syncToken` leaves the API sealed: the services' own token (a position) with
an HMAC over it and over the caller, the route (method and resource) and the request's query
(every parameter but the token itself and `limit`, which a client may change between pages).
A token comes back unsealed before the route runs: one that another caller got, that another
route or query got, or that anyone made or changed, fails its MAC and is a `400` before any
read of the caller's data. The key is random, made once per table (an item of its own,
created by a conditional write the first time any function needs it) and read once per
execution environment.

The sealing happens at the edge of the Lambda (`stint.api.handler`), on the event and on the
answer, so no route or service handles sealed tokens and a new list route is covered as it is.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import hmac
import json
import logging
import secrets
from collections.abc import Mapping
from typing import Any

from stint import jsonio
from stint.config import settings
from stint.errors import ServiceUnavailable, StintError, ValidationFailed
from stint.store import dynamodb

log = logging.getLogger(__name__)

TOKENS = ("nextToken", "syncToken")
FULL_SYNC = ("", "*")  # a sync token that is no position: a full sync
_UNBOUND = frozenset({*TOKENS, "limit"})
_KEY_PK, _KEY_SK = "CONFIG", "PAGE_TOKEN_KEY"
_MAC_BYTES = 16
_MAX_TOKEN = 8192  # far over any token this API makes


_KEY_ATTEMPTS = 3


@functools.cache
def _key() -> bytes:
    """The table's token key: read, or made and stored the first time (a race's loser reads
    the winner's). A write cancelled for another reason than the key existing (a conflict
    with another transaction) wrote nothing: read, and try again."""
    table = settings().table_name
    key = {"pk": {"S": _KEY_PK}, "sk": {"S": _KEY_SK}}
    client = dynamodb()
    for _ in range(_KEY_ATTEMPTS):
        found = client.get_item(TableName=table, Key=key, ConsistentRead=True).get("Item")
        if found is not None:
            return base64.b64decode(found["secret"]["S"])
        made = base64.b64encode(secrets.token_bytes(32)).decode()
        put: Any = {
            "TableName": table,
            "Item": {**key, "secret": {"S": made}},
            "ConditionExpression": "attribute_not_exists(pk)",
        }
        try:  # a transaction: the one write action every API function may take
            client.transact_write_items(TransactItems=[{"Put": put}])
        except client.exceptions.TransactionCanceledException as cancelled:
            reasons = [r.get("Code") for r in cancelled.response.get("CancellationReasons", [])]
            log.info("the page token key was not written (%s): reading it again", reasons)
        else:
            return base64.b64decode(made)
    log.warning("no page token key after %d attempts", _KEY_ATTEMPTS)
    raise ServiceUnavailable("The service is busy; retry the request shortly")


def _binding(event: Mapping[str, Any], user_id: str) -> bytes:
    """What a token is good for: the caller, the route, the query but the tokens and limit."""
    query = event.get("multiValueQueryStringParameters") or {}
    pairs = sorted(
        (name, value) for name, values in query.items() if name not in _UNBOUND for value in values
    )
    route = f"{event.get('httpMethod')} {event.get('resource')}"
    return json.dumps([user_id, route, pairs], separators=(",", ":")).encode()


def _mac(inner: str, binding: bytes) -> str:
    digest = hmac.new(_key(), binding + b"\0" + inner.encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest[:_MAC_BYTES]).decode().rstrip("=")


def seal(inner: str, event: Mapping[str, Any], user_id: str) -> str:
    mac = _mac(inner, _binding(event, user_id))
    return f"{mac}.{inner}"


def _refused(name: str) -> StintError:
    if name == "syncToken":
        return ValidationFailed(
            "syncToken: not a token this API issued to you for this request; use * for a full sync",
            code="invalid_sync_token",
        )
    message = "not a token this API issued to you for this request"
    return ValidationFailed(
        f"nextToken: {message}", details=[{"field": "nextToken", "message": message}]
    )


def unseal_event(event: dict[str, Any], user_id: str) -> StintError | None:
    """Replace each sealed token of the event's query by the services' own; the error to answer
    when one is not a token this API handed out for this caller, route and query."""
    single = event.get("queryStringParameters") or {}
    multi = event.get("multiValueQueryStringParameters") or {}
    for name in TOKENS:
        values = multi.get(name) or ([single[name]] if name in single else [])
        if not values or (name == "syncToken" and values[-1] in FULL_SYNC):
            continue
        inner = _opened(name, str(values[-1]), event, user_id)
        if isinstance(inner, StintError):
            return inner
        if single:
            single[name] = inner
        if name in multi:
            multi[name] = [inner]
    return None


def _opened(name: str, sealed: str, event: Mapping[str, Any], user_id: str) -> str | StintError:
    """The services' token inside `sealed`, or the error: JSON past the limits inside it is
    `invalid_json` whoever made it (as in a body); anything else not sealed for this caller,
    route and query is refused."""
    mac, dot, inner = sealed.partition(".")
    try:
        jsonio.from_token(inner if dot else sealed)
    except jsonio.OverLimit as error:
        return ValidationFailed(f"{name}: {error}", code="invalid_json")
    except ValueError:
        pass  # not JSON at all: refused below
    if not dot or len(sealed) > _MAX_TOKEN:
        return _refused(name)
    # As bytes: compare_digest refuses str with characters outside ASCII (a TypeError).
    if not hmac.compare_digest(mac.encode(), _mac(inner, _binding(event, user_id)).encode()):
        return _refused(name)
    return inner


def seal_response(event: Mapping[str, Any], response: dict[str, Any], user_id: str) -> None:
    """Seal the tokens of a JSON answer's body, and the same tokens in its `Link` header."""
    body = response.get("body")
    payload = _json_object(body)
    if payload is None or not isinstance(body, str):
        return
    replaced = {
        inner: seal(inner, event, user_id)
        for name in TOKENS
        if isinstance(inner := payload.get(name), str) and inner not in FULL_SYNC
    }
    # The body as serialized (its numbers as written), each token swapped in place: a token
    # is base64url, so its quoted text occurs nowhere else.
    for inner, sealed in replaced.items():
        body = body.replace(f'"{inner}"', f'"{sealed}"')
    response["body"] = body
    for headers in (response.get("headers") or {}, response.get("multiValueHeaders") or {}):
        for header in [h for h in headers if h.lower() == "link"]:
            headers[header] = _replace_all(headers[header], replaced)


def _json_object(body: Any) -> dict[str, Any] | None:
    """The answer's body, if it is a JSON object that may carry a token."""
    if not isinstance(body, str) or not any(f'"{name}"' in body for name in TOKENS):
        return None
    try:
        payload = json.loads(body)
    except ValueError:
        return None  # not JSON (a CSV): it carries no token
    return payload if isinstance(payload, dict) else None


def _replace_all(value: Any, replaced: dict[str, str]) -> Any:
    if isinstance(value, list):
        return [_replace_all(item, replaced) for item in value]
    text = str(value)
    for inner, sealed in replaced.items():
        text = text.replace(f"={inner}>", f"={sealed}>").replace(f"={inner}&", f"={sealed}&")
    return text

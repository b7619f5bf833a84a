"""`Idempotency-Key` on every POST (contract section 1).

The same key (per user) with the same request within 24 h returns the first response and
writes nothing; with another request it is `409 idempotency_conflict`; a retry while the first
is still running waits for its response (up to a few seconds, then `409 conflict`).

Only successful (2xx) responses are kept: a 4xx wrote nothing, so running the retry again is
the same as replaying it, and a 5xx may be transient. The record is written before the request
runs and completed after it; should the function die in between, the key is taken over once
the record is older than the function's timeout (the same window Powertools' idempotency
utility has). Records expire by TTL.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import time
from collections.abc import Callable
from typing import Any

from stint.errors import Conflict, StintError, ValidationFailed
from stint.store import Store

HEADER = "idempotency-key"
MAX_KEY_LENGTH = 255
RETENTION_SECONDS = 24 * 3600
STALE_AFTER_SECONDS = 30  # over the functions' 15 s timeout
WAIT_FOR_FIRST_SECONDS = 5.0
REPLAYED_HEADER = "Idempotent-Replayed"

Resolve = Callable[[], dict[str, Any]]
ErrorResponse = Callable[[StintError], dict[str, Any]]


def idempotency_key(event: dict[str, Any]) -> str | None:
    if str(event.get("httpMethod", "")).upper() != "POST":
        return None
    headers = event.get("headers") or {}
    return next((str(v) for k, v in headers.items() if k.lower() == HEADER), None)


def fingerprint(event: dict[str, Any]) -> str:
    """The request a key was first used with: method, resource path and body (as JSON)."""
    body = event.get("body") or ""
    with contextlib.suppress(ValueError):  # not JSON: compare it as sent
        body = json.dumps(json.loads(body), sort_keys=True, separators=(",", ":"))
    request = f"{event.get('httpMethod')} {event.get('path')}\n{body}"
    return hashlib.sha256(request.encode()).hexdigest()


def run_once(
    event: dict[str, Any], user_id: str, resolve: Resolve, error: ErrorResponse
) -> dict[str, Any]:
    """Resolve the request, at most once per (user, Idempotency-Key)."""
    key = idempotency_key(event)
    if key is None:
        return resolve()
    if not 1 <= len(key) <= MAX_KEY_LENGTH:
        return error(ValidationFailed(f"Idempotency-Key: must be 1..{MAX_KEY_LENGTH} characters"))
    store = Store(user_id)
    request_print = fingerprint(event)
    deadline = time.monotonic() + WAIT_FOR_FIRST_SECONDS
    while True:
        now = int(time.time())
        held = store.claim_idempotency_key(
            key,
            request_print,
            now=now,
            expires_at=now + RETENTION_SECONDS,
            stale_before=now - STALE_AFTER_SECONDS,
        )
        if held is None:
            break  # this request runs
        if held.get("fingerprint", request_print) != request_print:
            return error(
                Conflict(
                    "This Idempotency-Key was used with another request",
                    code="idempotency_conflict",
                )
            )
        if held.get("state") == "done":
            return _replayed(json.loads(held["response"]))
        if time.monotonic() > deadline:
            return error(Conflict("A request with this Idempotency-Key is still in progress"))
        time.sleep(0.05)
    try:
        response = resolve()
    except BaseException:
        store.release_idempotency_key(key)
        raise
    if 200 <= int(response.get("statusCode", 500)) < 300:
        store.finish_idempotency_key(key, json.dumps(response))
    else:
        store.release_idempotency_key(key)
    return response


def _replayed(response: dict[str, Any]) -> dict[str, Any]:
    headers = dict(response.get("headers") or {})
    headers[REPLAYED_HEADER] = "true"
    response["headers"] = headers
    if response.get("multiValueHeaders") is not None:
        response["multiValueHeaders"] = {
            **response["multiValueHeaders"],
            REPLAYED_HEADER: ["true"],
        }
    return response

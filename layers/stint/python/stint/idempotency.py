"""`Idempotency-Key` on every POST (docs/API.md, "Retrying safely: Idempotency-Key"): exactly
once, even when a function dies.

The same key (per user) with the same request within 24 h returns the first response and
writes nothing; with another request it is `409 idempotency_conflict`.

The key's record holds the request's fingerprint and its first 2xx response, and it is written
in the same DynamoDB transaction as the request's write, never apart: while the request runs,
its write is held (`store.deferring`), the response is rendered from what the write will commit
(its seqs and timestamp are known before it is sent), and then the write goes out with the
record's Put, conditioned on there being no live record. So either both commit or neither:

- a function that dies before the transaction wrote nothing, and a retry simply runs;
- a function that dies after it left the record, and a retry finds the first response;
- a retry that runs while the first is still running races it: one transaction commits, the
  other's condition on the record fails and it answers with the winner's response.

A request that answers without a held write (a 4xx, or a request whose write could not be held)
looks the record up before answering, so a retry of a request that succeeded is never answered
from state that request changed (a second `POST /v1/timer/stop` is not a 404). A side effect
outside the table (`store.outside_effect`: a webhook's test ping on the delivery queue) waits
until the request is known to be no retry of one answered before; two retries at the very same
moment may both run it (at least once, as deliveries are). Records expire by TTL
(docs/DESIGN.md, "Retries and concurrency control").
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import ClientError

from stint.errors import Conflict, StintError, ValidationFailed
from stint.store import IdempotencyKeyTaken, IdempotencyRecords, StaleRead, client_error, deferring
from stint.store import transactions as store_transactions

HEADER = "idempotency-key"
MAX_KEY_LENGTH = 255
RETENTION_SECONDS = 24 * 3600
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


@dataclass
class _KeyedRequest:
    records: IdempotencyRecords
    key: str
    fingerprint: str
    error: ErrorResponse

    def record_of(self, response: dict[str, Any]) -> dict[str, Any]:
        """The Put of this key's record, holding `response`."""
        now = int(time.time())
        return self.records.put_request(
            self.key,
            self.fingerprint,
            json.dumps(response),
            now=now,
            expires_at=now + RETENTION_SECONDS,
        )

    def earlier_answer(self) -> dict[str, Any] | None:
        """The answer a live record of the key gives, if there is one."""
        record = self.records.live(self.key, now=int(time.time()))
        if record is None:
            return None
        if record.get("fingerprint") != self.fingerprint:
            return self.error(
                Conflict(
                    "This Idempotency-Key was used with another request",
                    code="idempotency_conflict",
                )
            )
        return _replayed(json.loads(record["response"]))


def run_once(
    event: dict[str, Any], user_id: str, resolve: Resolve, error: ErrorResponse
) -> dict[str, Any]:
    """Resolve the request, at most once per (user, Idempotency-Key)."""
    key = idempotency_key(event)
    if key is None:
        return resolve()
    if not 1 <= len(key) <= MAX_KEY_LENGTH:
        return error(ValidationFailed(f"Idempotency-Key: must be 1..{MAX_KEY_LENGTH} characters"))
    request = _KeyedRequest(IdempotencyRecords(user_id), key, fingerprint(event), error)
    for attempt in store_transactions.attempts():
        try:
            return _answered(request, resolve)
        except StaleRead:
            pass  # the held write lost a race for the counter: run the request again
        except StintError as refused:  # what a failed condition of the held write means
            return error(refused)
        except ClientError as failed:  # DynamoDB throttled or refused the held write
            answer = client_error(failed)
            if answer is None:
                raise
            return error(answer)
        store_transactions.backoff(attempt)
    return error(Conflict("Too many concurrent writes; retry the request", retry_after=1))


def _answered(request: _KeyedRequest, resolve: Resolve) -> dict[str, Any]:
    """`_run`, or the first answer when another run of the request committed first. Reading
    that answer may fail as any call may (a throttle: the caller maps it to its 503)."""
    try:
        return _run(request, resolve)
    except IdempotencyKeyTaken:
        earlier = request.earlier_answer()
        if earlier is None:  # its record is gone again (expired): run the request again
            raise StaleRead() from None
        return earlier


def _run(request: _KeyedRequest, resolve: Resolve) -> dict[str, Any]:
    def answered_before() -> None:  # before writes that go out without the record
        if request.records.live(request.key, now=int(time.time())) is not None:
            raise IdempotencyKeyTaken()

    with deferring(answered_before) as deferral:
        response = resolve()
    if not 200 <= int(response.get("statusCode", 500)) < 300:
        return request.earlier_answer() or response  # a held write, if any, is dropped
    if deferral.held is not None and not deferral.sent_alone:
        deferral.send_with(request.record_of(response))
        deferral.run_effects()
        return response
    if deferral.effects:  # a queued message, say: not again for a retry answered before
        earlier = request.earlier_answer()
        if earlier is not None:
            return earlier
        deferral.run_effects()
    # Nothing held (the write went out alone): the record follows the answer.
    if request.records.put(request.record_of(response)):
        return response
    return request.earlier_answer() or response


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

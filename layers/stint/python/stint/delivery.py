"""Webhook deliveries (docs/DESIGN.md, "Webhooks"), fed by the delivery queue.

Each message is one event for one subscription. A delivery POSTs the event to the hook URL
with Standard Webhooks headers (`webhook-id`: the event id, the same on every attempt;
`webhook-timestamp`: this attempt's time; `webhook-signature`: `v1,<base64 HMAC-SHA256 of
"id.timestamp.body">` keyed by the secret's bytes), so a receiver verifies it with a stock
Standard Webhooks library. After a rotation the header lists a signature by the new secret and
one by the previous secret, space-separated, until the overlap ends (`signature`).

- The URL is checked again (`stint.hook_urls`): DNS may have changed since the subscription.
  The connection goes to the address that was checked, redirects are not followed (a 3xx is a
  failed attempt), and an attempt gives up 10 s after it began to connect, however the
  receiver trickles its answer.
- A non-2xx, a timeout or a refused URL fails the attempt: the message goes back on the queue,
  visible again after a backoff that doubles from `retry_base` seconds. The attempt that
  reaches `MAX_ATTEMPTS` sends the event to the dead-letter queue instead.
- A subscription whose events were dead-lettered `DISABLE_AFTER` times in a row is set
  `disabled` (a delivered event resets the count); disabled and deleted subscriptions get
  nothing more.
- Each attempt is written to the subscription's delivery log (one small item, kept 30 days):
  the event, the attempt's number, its outcome, the receiver's status, the time it took. The
  log is for people: a write that fails is logged and the delivery goes on as if it had not
  been tried.
- Each message of a batch has its own outcome (`batchItemFailures`): the messages are
  delivered concurrently, and an exception in one (a DynamoDB error reading its subscription)
  is logged and retries that message alone, never the ones delivered beside it. A message
  that is not a delivery message at all is dead-lettered at once.
"""

from __future__ import annotations

import base64
import contextvars
import hashlib
import hmac
import http.client
import json
import logging
import socket
import ssl
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from stint import aws, hook_urls, jsonio
from stint.config import settings
from stint.store import WebhookStore
from stint.timeutil import format_timestamp, utc_now

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 5  # the first attempt and 4 retries
DISABLE_AFTER = 5  # events dead-lettered in a row
TIMEOUT_SECONDS = 10.0
USER_AGENT = "Stint-Webhooks/1"
LOG_RETENTION_SECONDS = 30 * 24 * 3600  # each attempt in the delivery log (docs/API.md, "Webhooks")
LOG_ERROR_MAX = 500  # characters of an attempt's error kept in the log


def retry_delays() -> tuple[int, int]:
    """(first delay, longest delay) in seconds between attempts. The local stack backs off
    from 1 s (capped at 2 s) so that retries are seen within seconds; AWS from 30 s to 15 min."""
    return (1, 2) if hook_urls.local_mode() else (30, 900)


def backoff_seconds(attempt: int) -> int:
    """The delay after failed attempt number `attempt` (1-based)."""
    first, longest = retry_delays()
    return int(min(longest, first * 2 ** (attempt - 1)))


def sign(secret: str, message_id: str, timestamp: int, body: str) -> str:
    """The Standard Webhooks `webhook-signature` header value."""
    key = base64.b64decode(secret.removeprefix("whsec_"))
    digest = hmac.new(key, f"{message_id}.{timestamp}.{body}".encode(), hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


def signature(webhook: dict[str, Any], message_id: str, timestamp: int, body: str) -> str:
    """The `webhook-signature` of an attempt at `timestamp`: by the subscription's secret and,
    while a rotation's overlap lasts, by the previous one too (Standard Webhooks' list)."""
    secrets = [str(webhook["secret"])]
    if webhook.get("previousSecret") and timestamp < int(webhook["previousSecretExpiresAt"]):
        secrets.append(str(webhook["previousSecret"]))
    return " ".join(sign(secret, message_id, timestamp, body) for secret in secrets)


@dataclass
class Outcome:
    delivered: bool
    reason: str = ""
    status: int | None = None  # the receiver's HTTP status, when it answered


def deliver(message: dict[str, Any], webhook: dict[str, Any]) -> Outcome:
    """One attempt to deliver the event in `message` to the subscription `webhook`."""
    try:
        target = hook_urls.check(str(webhook["hookUrl"]))
    except hook_urls.ForbiddenUrl as error:
        return Outcome(False, f"hookUrl {error}")
    event = {key: message[key] for key in ("id", "type", "triggerType", "occurredAt", "data")}
    body = jsonio.dumps(event)
    timestamp = int(time.time())
    headers = {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        "webhook-id": message["id"],
        "webhook-timestamp": str(timestamp),
        "webhook-signature": signature(webhook, message["id"], timestamp, body),
    }
    path = target.url.path or "/"
    if target.url.query:
        path += "?" + target.url.query
    connection = _connection(target)
    deadline = _Deadline(connection, TIMEOUT_SECONDS)
    try:
        connection.request("POST", path, body=body.encode(), headers=headers)
        status = connection.getresponse().status
    except (OSError, http.client.HTTPException) as error:  # timeouts are OSErrors
        if deadline.passed:
            return Outcome(False, f"no answer within {TIMEOUT_SECONDS:g} s")
        return Outcome(False, f"{type(error).__name__}: {error}")
    finally:
        deadline.cancel()
        connection.close()
    if 200 <= status < 300:
        return Outcome(True, status=status)
    return Outcome(False, f"HTTP {status}", status)


class _Deadline:
    """Ends an exchange `seconds` after it began. Socket timeouts bound each read, not the
    exchange: a receiver sending a byte every few seconds would never time out. At the
    deadline the socket is shut down, and a blocked read returns at once."""

    def __init__(self, connection: http.client.HTTPConnection, seconds: float) -> None:
        self.passed = False
        self._connection = connection
        self._timer = threading.Timer(seconds, self._cut)
        self._timer.daemon = True
        self._timer.start()

    def cancel(self) -> None:
        self._timer.cancel()

    def _cut(self) -> None:
        self.passed = True
        sock = self._connection.sock
        if sock is None:
            return  # still connecting: the connect timeout (the same length) ends it
        try:
            sock.shutdown(socket.SHUT_RDWR)
        except OSError as error:  # closed in between: the exchange ended by itself
            log.debug("deadline of a webhook delivery: %s", error)


def _connection(target: hook_urls.Target) -> http.client.HTTPConnection:
    if target.url.scheme == "https":
        return _PinnedHTTPSConnection(target)
    return _PinnedHTTPConnection(target)


class _PinnedHTTPConnection(http.client.HTTPConnection):
    """Connects to the checked address, whatever the name resolves to by now."""

    def __init__(self, target: hook_urls.Target) -> None:
        super().__init__(target.host, target.port, timeout=TIMEOUT_SECONDS)
        self._address = target.address

    def connect(self) -> None:
        self.sock = socket.create_connection((self._address, self.port), self.timeout)


class _PinnedHTTPSConnection(http.client.HTTPSConnection):
    """TLS to the checked address, the certificate checked against the URL's host name."""

    def __init__(self, target: hook_urls.Target) -> None:
        context = ssl.create_default_context()
        super().__init__(target.host, target.port, timeout=TIMEOUT_SECONDS, context=context)
        self._address = target.address
        self._tls = context

    def connect(self) -> None:
        sock = socket.create_connection((self._address, self.port), self.timeout)
        self.sock = self._tls.wrap_socket(sock, server_hostname=self.host)


# ----------------------------------------------------------------------------- the queue


def handle(records: list[dict[str, Any]]) -> dict[str, Any]:
    """An SQS batch: deliver each message (concurrently); report those to try again."""
    # Each worker runs in a copy of the invocation's context (Powertools' logger keys, and
    # the local stack's IAM check, follow the work).
    contexts = [contextvars.copy_context() for _ in records]
    with ThreadPoolExecutor(max_workers=max(1, len(records))) as pool:
        handled = pool.map(lambda c, r: c.run(_outcome_of, r), contexts, records)
        retry = [r["messageId"] for r in handled if r is not None]
    return {"batchItemFailures": [{"itemIdentifier": message_id} for message_id in retry]}


def _outcome_of(record: dict[str, Any]) -> dict[str, Any] | None:
    """`_handle_one`, its exceptions logged and answered by a retry of this message alone."""
    try:
        return _handle_one(record)
    except Exception:
        log.exception("delivery message %s: failed, to be retried", record.get("messageId"))
        return _retried_after_backoff(record)


def _handle_one(record: dict[str, Any]) -> dict[str, Any] | None:
    """Returns the record when it must be tried again, None when it is done with."""
    message = _message_of(record)
    if message is None:
        return None
    attempt = int(record.get("attributes", {}).get("ApproximateReceiveCount", "1"))
    store = WebhookStore(message.get("userId", ""), message.get("workspaceId"))
    webhook = store.get_webhook(message["webhookId"])
    if webhook is None or webhook.get("status") != "active":
        return None  # unsubscribed or disabled since the event was queued
    attempted_at = format_timestamp(utc_now())
    started = time.monotonic()
    outcome = deliver(message, webhook)
    _log_attempt(store, message, attempt, outcome, attempted_at, time.monotonic() - started)
    if outcome.delivered:
        store.record_delivery(message["webhookId"], delivered=True, disable_after=DISABLE_AFTER)
        return None
    log.warning("webhook %s, %s attempt %d: %s", webhook["id"], message["id"], attempt, outcome)
    if attempt >= MAX_ATTEMPTS:
        _dead_letter(message, attempt, outcome.reason)
        store.record_delivery(message["webhookId"], delivered=False, disable_after=DISABLE_AFTER)
        return None
    return _retried_after_backoff(record)


def _retried_after_backoff(record: dict[str, Any]) -> dict[str, Any]:
    """The record, to be retried once the backoff after its attempt has passed (not after the
    queue's whole visibility timeout, which a failed call would otherwise leave it under)."""
    attempt = int(record.get("attributes", {}).get("ApproximateReceiveCount", "1"))
    try:
        aws.client("sqs").change_message_visibility(
            QueueUrl=settings().delivery_queue_url,
            ReceiptHandle=record["receiptHandle"],
            VisibilityTimeout=backoff_seconds(attempt),
        )
    except Exception:  # it comes back after the visibility timeout instead: later, not lost
        log.exception("delivery message %s: its backoff was not set", record.get("messageId"))
    return record


def _log_attempt(
    store: WebhookStore,
    message: dict[str, Any],
    attempt: int,
    outcome: Outcome,
    attempted_at: str,
    seconds: float,
) -> None:
    """Write the attempt to the delivery log; a failure to is logged, never the delivery's."""
    entry = {
        "id": message["id"],
        "eventType": message["type"],
        "attempt": attempt,
        "status": "succeeded" if outcome.delivered else "failed",
        "responseStatus": outcome.status,
        "error": None if outcome.delivered else outcome.reason[:LOG_ERROR_MAX],
        "durationMs": int(seconds * 1000),
        "attemptedAt": attempted_at,
    }
    try:
        store.log_delivery_attempt(
            message["webhookId"], entry, expires_at=int(time.time()) + LOG_RETENTION_SECONDS
        )
    except Exception:
        log.exception(
            "webhook %s, %s attempt %d: not logged", message["webhookId"], message["id"], attempt
        )


_MESSAGE_FIELDS = ("webhookId", "id", "type", "triggerType", "occurredAt", "data")


def _message_of(record: dict[str, Any]) -> dict[str, Any] | None:
    """The delivery message in an SQS record; None (dead-lettered) for a body that is not
    one: it could never be delivered, and retrying it would only delay it to the same end."""
    try:
        message = json.loads(record["body"])
    except (KeyError, TypeError, ValueError) as error:
        reason = f"not a delivery message ({type(error).__name__}: {error})"
    else:
        fields = message if isinstance(message, dict) else {}
        missing = [key for key in _MESSAGE_FIELDS if key not in fields]
        if "userId" not in fields and "workspaceId" not in fields:  # whose subscription
            missing.append("userId")
        if not missing:
            return fields
        reason = f"not a delivery message (no {', '.join(missing)})"
    log.error("delivery message %s: %s; dead-lettered", record.get("messageId"), reason)
    body = {"body": record.get("body"), "lastError": reason}
    aws.client("sqs").send_message(
        QueueUrl=settings().dead_letter_queue_url, MessageBody=jsonio.dumps(body)
    )
    return None


def _dead_letter(message: dict[str, Any], attempts: int, reason: str) -> None:
    body = {"message": message, "attempts": attempts, "lastError": reason}
    aws.client("sqs").send_message(
        QueueUrl=settings().dead_letter_queue_url, MessageBody=jsonio.dumps(body)
    )

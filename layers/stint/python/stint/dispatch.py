"""The webhook dispatcher: the table's change stream -> one delivery message per event and
subscription, on the delivery queue (docs/API.md, "Webhooks"). Deliveries themselves are
`stint.delivery`'s, off the stream, so a slow receiver never holds the stream back.

Each stream record of an entity (project, category, task, subtask, session) becomes the events
of docs/API.md's "Webhooks": `<trigger>.created|updated|deleted` (a session's trigger is
`time`), plus `time.stopped` for the `stopped_time` subscriptions when a running session
stops. An approval's record (not an entity) becomes `approval.submitted`, `.approved` or
`.rejected` (trigger `approval`) when it is made or its status changes. A budget alert's item
(made once, by the write that first reaches its percentage: docs/DESIGN.md, "Budgets") is a
`project.budget_alert` event (trigger `budget`) when it is created. Bookkeeping items (counter,
guards, profiles, workspace records, lock items, webhooks, usage) are not events.
A change in a shared workspace reaches that workspace's subscriptions, whoever made it.

A deletion is announced by the tombstone the deletion writes, not by the entity's removal: the
tombstone's `lastUpdated` is the time of the deletion to the millisecond, the one the sync's
`deleted` entry says (docs/API.md, "Webhooks": `occurredAt` is the time the change gave the
entity), where the removal's stream record carries only a whole-second approximate time. The
entity's removal and a tombstone's own removal (a re-created id, its expiry) are not events.

At least once, and no record holds back the ones after it (docs/DESIGN.md, "Webhooks"):

- A record that fails for a reason outside it (an AWS error: throttling, an SQS or DynamoDB
  outage, a refused permission) is reported as the batch's first failure
  (`ReportBatchItemFailures`): the event source mapping retries from it, so nothing after it
  is lost, and the records before it are not handled again.
- A record that can never become messages (a defect: data the code cannot turn into an event
  or JSON) would fail on every retry and stall the shard. It is logged with its keys and
  sequence number, its description goes to the dead-letter queue, and the batch goes on.

A retried record may enqueue its messages twice; they carry the same id (derived from the
stream record and the subscription), which is the `webhook-id` a receiver uses to drop
duplicates.
"""

from __future__ import annotations

import hashlib
import logging
from datetime import UTC, datetime
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError, ParamValidationError

from stint import aws, jsonio
from stint.config import settings
from stint.kinds import KINDS
from stint.store import WebhookStore, entity_of, from_item, user_of, workspace_of
from stint.timeutil import format_timestamp, utc_now

_ACTIONS = {"INSERT": "created", "MODIFY": "updated"}  # a removal is no event (above)
_SQS_BATCH = 10  # SendMessageBatch takes at most 10 messages
# SQS takes at most 256 KiB in one message and in one SendMessageBatch request.
_SQS_MAX_BYTES = 256 * 1024

log = logging.getLogger(__name__)


class Unavailable(Exception):
    """The delivery queue cannot take messages now (it failed them on its side, or it is
    not configured): a reason outside the record."""


class Undeliverable(Exception):
    """A record's messages can never be enqueued as they are (a defect, not an outage)."""


def is_transient(error: Exception) -> bool:
    """An error of the environment, not of the record: an outage, throttling, a timeout, or a
    setting that every record would fail on (a refused permission, a missing queue). The
    record is retried. An AWS refusal of the request itself (a validation error) is not."""
    if isinstance(error, Unavailable):
        return True
    if isinstance(error, BotoCoreError):  # connection errors and timeouts, not bad parameters
        return not isinstance(error, ParamValidationError)
    if not isinstance(error, ClientError):
        return False
    status = int(error.response.get("ResponseMetadata", {}).get("HTTPStatusCode") or 0)
    code = str(error.response.get("Error", {}).get("Code", ""))
    return status >= 500 or status == 429 or any(mark in code for mark in _TRANSIENT_CODES)


# Parts of the codes of AWS errors worth a retry (throttling comes as 400 with these).
_TRANSIENT_CODES = (
    "Throttl",
    "ProvisionedThroughputExceeded",
    "RequestLimitExceeded",
    "TooManyRequests",
    "AccessDenied",
    "ResourceNotFound",
    "NonExistentQueue",
)


def events_of(record: dict[str, Any]) -> list[dict[str, Any]]:
    """The webhook events of one stream record (none for bookkeeping items)."""
    change = record.get("dynamodb") or {}
    new = from_item(change["NewImage"]) if change.get("NewImage") else None
    old = from_item(change["OldImage"]) if change.get("OldImage") else None
    if new is None or workspace_of(str(new.get("pk", ""))) is None:
        return []  # a removal: an entity's deletion is its tombstone's event
    if new.get("kind") == "tombstone" and new.get("type") in KINDS:
        trigger = KINDS[new["type"]].trigger
        deleted = {"id": new["id"]}
        return [_event(trigger, f"{trigger}.deleted", deleted, str(new["lastUpdated"]))]
    kind = new.get("kind")
    if kind == "approval":
        return _approval_events(new, old)
    if kind == "budget_alert" and record["eventName"] == "INSERT":
        return [_event("budget", "project.budget_alert", new["alert"], str(new["createdAt"]))]
    if kind not in KINDS:
        return []
    trigger = KINDS[kind].trigger
    action = _ACTIONS[record["eventName"]]
    entity = entity_of(new)
    occurred = str(new.get("lastUpdated") or _approximate_time(change))
    events = [_event(trigger, f"{trigger}.{action}", entity, occurred)]
    if kind == "session" and old is not None and old.get("running") and not new.get("running"):
        events.append(_event("stopped_time", "time.stopped", entity, occurred))
    return events


def _approval_events(new: dict[str, Any], old: dict[str, Any] | None) -> list[dict[str, Any]]:
    """`approval.<status>` when an approval is made or its status changes (a subscriber is an
    owner or admin: the approval whole, money too)."""
    if old is not None and old.get("status") == new.get("status"):
        return []
    approval = {k: v for k, v in new.items() if k not in ("pk", "sk", "kind", "version")}
    status = str(new["status"])
    return [_event("approval", f"approval.{status}", approval, str(new["lastUpdated"]))]


def _event(trigger: str, event_type: str, data: dict[str, Any], occurred: str) -> dict[str, Any]:
    return {"type": event_type, "triggerType": trigger, "occurredAt": occurred, "data": data}


def _approximate_time(change: dict[str, Any]) -> str:
    seconds = change.get("ApproximateCreationDateTime")
    moment = datetime.fromtimestamp(float(seconds), UTC) if seconds else utc_now()
    return format_timestamp(moment)


def partition_of(record: dict[str, Any]) -> str:
    """The partition (a user's personal workspace, or a shared one) a record is in."""
    return str(record["dynamodb"]["Keys"]["pk"]["S"])


def message_id(record: dict[str, Any], webhook_id: str, event_type: str) -> str:
    """The event's id for this subscription: the same on every retry of the record."""
    seed = f"{record['eventID']}|{webhook_id}|{event_type}"
    return "msg_" + hashlib.sha256(seed.encode()).hexdigest()[:32]


class Dispatcher:
    """Turns a batch of stream records into delivery messages."""

    def __init__(self) -> None:
        self._subscriptions: dict[str, list[dict[str, Any]]] = {}  # per workspace, one batch

    def subscriptions(self, pk: str) -> list[dict[str, Any]]:
        """The active subscriptions of the workspace whose partition is `pk`: every change in
        it, by any member, reaches them."""
        if pk not in self._subscriptions:
            records = WebhookStore.of_partition(pk).webhooks()
            self._subscriptions[pk] = [r for r in records if r.get("status") == "active"]
        return self._subscriptions[pk]

    def messages_of(self, record: dict[str, Any]) -> list[dict[str, Any]]:
        events = events_of(record)
        if not events:
            return []
        pk = partition_of(record)
        owner = {"userId": user_of(pk)} if user_of(pk) else {"workspaceId": workspace_of(pk)}
        messages = []
        for webhook in self.subscriptions(pk):
            for event in events:
                if event["triggerType"] == webhook["triggerType"]:
                    event_id = message_id(record, webhook["id"], event["type"])
                    messages.append({**owner, "webhookId": webhook["id"], "id": event_id, **event})
        return messages

    def handle(self, records: list[dict[str, Any]]) -> dict[str, Any]:
        """Enqueue every record's messages, in order; report the first record to retry."""
        for record in records:
            if not self._handled(record):
                sequence = record["dynamodb"]["SequenceNumber"]
                return {"batchItemFailures": [{"itemIdentifier": sequence}]}
        return {"batchItemFailures": []}

    def _handled(self, record: dict[str, Any]) -> bool:
        """Enqueue one record's messages; False when the record must be retried."""
        try:
            enqueue(self.messages_of(record))
        except Exception as error:
            if is_transient(error):
                log.warning("%s: not enqueued, to be retried: %r", describe(record), error)
                return False
            log.exception("%s: cannot become webhook messages", describe(record))
            return self._dead_letter(record, error)
        return True

    def _dead_letter(self, record: dict[str, Any], error: Exception) -> bool:
        """Describe a record that cannot be handled to the dead-letter queue; False when the
        queue did not take it (the record is then retried, not lost)."""
        body = {"streamRecord": record_summary(record), "error": f"{type(error).__name__}: {error}"}
        try:
            aws.client("sqs").send_message(
                QueueUrl=settings().dead_letter_queue_url, MessageBody=jsonio.dumps(body)
            )
        except Exception:
            log.exception("%s: the dead-letter queue did not take it", describe(record))
            return False
        return True


def record_summary(record: dict[str, Any]) -> dict[str, Any]:
    """What identifies a stream record (its data stays in the stream and the table)."""
    change = record.get("dynamodb") or {}
    return {
        "eventID": record.get("eventID"),
        "eventName": record.get("eventName"),
        "eventSourceARN": record.get("eventSourceARN"),
        "keys": change.get("Keys"),
        "sequenceNumber": change.get("SequenceNumber"),
        "approximateCreationDateTime": change.get("ApproximateCreationDateTime"),
    }


def describe(record: dict[str, Any]) -> str:
    summary = record_summary(record)
    return f"stream record {summary['sequenceNumber']} ({summary['eventName']} {summary['keys']})"


def enqueue(messages: list[dict[str, Any]]) -> None:
    """Send delivery messages to the delivery queue; raises if any was not accepted."""
    if not messages:
        return
    queue_url = settings().delivery_queue_url
    if not queue_url:
        raise Unavailable("DELIVERY_QUEUE_URL is not set")
    sqs = aws.client("sqs")
    for chunk in _chunks([jsonio.dumps(message) for message in messages]):
        entries = [{"Id": str(n), "MessageBody": body} for n, body in enumerate(chunk)]
        failed = sqs.send_message_batch(QueueUrl=queue_url, Entries=entries).get("Failed")
        if not failed:
            continue
        if any(entry.get("SenderFault") for entry in failed):
            raise Undeliverable(f"the delivery queue refused messages: {failed}")
        raise Unavailable(f"the delivery queue failed messages: {failed}")


def _chunks(bodies: list[str]) -> list[list[str]]:
    """The bodies in SendMessageBatch requests: at most 10 messages and 256 KiB each."""
    chunks: list[list[str]] = []
    size = 0
    for body in bodies:
        length = len(body.encode())
        if length > _SQS_MAX_BYTES:
            raise Undeliverable(f"a message of {length} bytes is over the SQS limit")
        if not chunks or len(chunks[-1]) == _SQS_BATCH or size + length > _SQS_MAX_BYTES:
            chunks.append([])
            size = 0
        chunks[-1].append(body)
        size += length
    return chunks

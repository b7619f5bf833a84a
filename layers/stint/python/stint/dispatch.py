"""The webhook dispatcher: the table's change stream -> one delivery message per event and
subscription, on the delivery queue (contract section 11). Deliveries themselves are
`stint.delivery`'s, off the stream, so a slow receiver never holds the stream back.

Each stream record of an entity (project, category, task, subtask, session) becomes the events
of section 11: `<trigger>.created|updated|deleted` (a session's trigger is `time`), plus
`time.stopped` for the `stopped_time` subscriptions when a running session stops. Bookkeeping
items (counter, guards, profiles, teams, webhooks) are not events; tombstones neither (the
entity's own removal is the `deleted` event).

At least once: records are handled in order; when one fails, the handler reports its sequence
number as the batch's first failure (`ReportBatchItemFailures`), so the event source mapping
retries from it and nothing after it is lost. A retried record may enqueue its messages twice;
they carry the same id (derived from the stream record and the subscription), which is the
`webhook-id` a receiver uses to drop duplicates.
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from typing import Any

from stint import aws
from stint.config import settings
from stint.kinds import KINDS
from stint.store import Store, entity_of, from_item
from stint.timeutil import format_timestamp, utc_now

_ACTIONS = {"INSERT": "created", "MODIFY": "updated", "REMOVE": "deleted"}
_SQS_BATCH = 10  # SendMessageBatch takes at most 10 messages


def events_of(record: dict[str, Any]) -> list[dict[str, Any]]:
    """The section 11 events of one stream record (none for bookkeeping items)."""
    change = record.get("dynamodb") or {}
    new = from_item(change["NewImage"]) if change.get("NewImage") else None
    old = from_item(change["OldImage"]) if change.get("OldImage") else None
    image = new or old or {}
    kind = image.get("kind")
    if kind not in KINDS or not str(image.get("pk", "")).startswith("USER#"):
        return []
    trigger = KINDS[kind].trigger
    action = _ACTIONS[record["eventName"]]
    if new is None:
        occurred = _approximate_time(change)
        return [_event(trigger, f"{trigger}.{action}", {"id": image["id"]}, occurred)]
    entity = entity_of(new)
    occurred = str(new.get("lastUpdated") or _approximate_time(change))
    events = [_event(trigger, f"{trigger}.{action}", entity, occurred)]
    if kind == "session" and old is not None and old.get("running") and not new.get("running"):
        events.append(_event("stopped_time", "time.stopped", entity, occurred))
    return events


def _event(trigger: str, event_type: str, data: dict[str, Any], occurred: str) -> dict[str, Any]:
    return {"type": event_type, "triggerType": trigger, "occurredAt": occurred, "data": data}


def _approximate_time(change: dict[str, Any]) -> str:
    seconds = change.get("ApproximateCreationDateTime")
    moment = datetime.fromtimestamp(float(seconds), UTC) if seconds else utc_now()
    return format_timestamp(moment)


def owner_of(record: dict[str, Any]) -> str:
    pk = str(record["dynamodb"]["Keys"]["pk"]["S"])
    return pk.removeprefix("USER#")


def message_id(record: dict[str, Any], webhook_id: str, event_type: str) -> str:
    """The event's id for this subscription: the same on every retry of the record."""
    seed = f"{record['eventID']}|{webhook_id}|{event_type}"
    return "msg_" + hashlib.sha256(seed.encode()).hexdigest()[:32]


class Dispatcher:
    """Turns a batch of stream records into delivery messages."""

    def __init__(self) -> None:
        self._subscriptions: dict[str, list[dict[str, Any]]] = {}  # per user, for one batch

    def subscriptions(self, user_id: str) -> list[dict[str, Any]]:
        if user_id not in self._subscriptions:
            records = Store(user_id).webhooks()
            self._subscriptions[user_id] = [r for r in records if r.get("status") == "active"]
        return self._subscriptions[user_id]

    def messages_of(self, record: dict[str, Any]) -> list[dict[str, Any]]:
        events = events_of(record)
        if not events:
            return []
        user_id = owner_of(record)
        messages = []
        for webhook in self.subscriptions(user_id):
            for event in events:
                if event["triggerType"] == webhook["triggerType"]:
                    event_id = message_id(record, webhook["id"], event["type"])
                    messages.append(
                        {"userId": user_id, "webhookId": webhook["id"], "id": event_id, **event}
                    )
        return messages

    def handle(self, records: list[dict[str, Any]]) -> dict[str, Any]:
        """Enqueue every record's messages, in order; report the first record that failed."""
        for record in records:
            try:
                enqueue(self.messages_of(record))
            except Exception:
                sequence = record["dynamodb"]["SequenceNumber"]
                return {"batchItemFailures": [{"itemIdentifier": sequence}]}
        return {"batchItemFailures": []}


def enqueue(messages: list[dict[str, Any]]) -> None:
    """Send delivery messages to the delivery queue; raises if any was not accepted."""
    queue_url = settings().delivery_queue_url
    if not messages:
        return
    if not queue_url:
        raise RuntimeError("DELIVERY_QUEUE_URL is not set")
    sqs = aws.client("sqs")
    for start in range(0, len(messages), _SQS_BATCH):
        chunk = messages[start : start + _SQS_BATCH]
        entries = [
            {"Id": str(n), "MessageBody": json.dumps(message, separators=(",", ":"))}
            for n, message in enumerate(chunk)
        ]
        response = sqs.send_message_batch(QueueUrl=queue_url, Entries=entries)
        if response.get("Failed"):
            raise RuntimeError(f"the delivery queue refused messages: {response['Failed']}")

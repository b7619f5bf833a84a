"""Event source mappings: the template's `DynamoDB` and `SQS` function events, run locally.

As Lambda's event source mappings do, a poller thread per event reads its source in the
emulator and invokes the function through the runtime with Lambda's event shape:

- `DynamoDB` (a table's stream): records from the shard in order, in batches of `BatchSize`,
  each with `eventSourceARN`. With `ReportBatchItemFailures`, the batch is retried from the
  first failed sequence number the function reports; a function error retries the whole
  batch. After `MaximumRetryAttempts` the batch's description goes to the `OnFailure` queue
  and the poller moves on.
- `SQS`: up to `BatchSize` visible messages; the ones the function did not report failed are
  deleted; on a function error none are (they come back after their visibility timeout, and
  SQS itself moves them to the dead-letter queue after `maxReceiveCount` receives).

Polls never wait inside the emulator (no long polling): the emulator serves one call at a
time, and a waiting receive would hold every other caller up.

A stream poller's position (the sequence number of the last record it handled) is part of the
local stack's saved state (local/persistence.py): after a restart it reads on after that
record, or from the shard's start if it had handled none: no record is lost, and one handled
just before a hard kill may be handled again (at least once, as Lambda's mappings are).
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable
from datetime import datetime
from typing import Any

from local.emulator import Emulator
from local.functions import Function, Runtime
from local.resources import Provisioner

log = logging.getLogger("stint.local")

POLL_SECONDS = 0.2
RETRY_PAUSE_SECONDS = 0.5


class EventSources:
    """One poller thread per DynamoDB-stream and SQS event of the template's functions."""

    def __init__(self, stack: Provisioner, emulator: Emulator, runtime: Runtime) -> None:
        self.stack = stack
        self.emulator = emulator
        self.runtime = runtime
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self._streams: dict[str, StreamPoller] = {}

    def start(self, positions: dict[str, str | None] | None = None) -> None:
        """Start polling; `positions` (those of `positions()` before a restart) resumes the
        streams where they were, and reads a stream not named there from its start."""
        for function in self.runtime.functions:
            for name, event in function.events.items():
                properties = self.stack.resolve(event.get("Properties") or {})
                poll: Callable[[], bool] | None = None
                if event.get("Type") == "DynamoDB":
                    stream = StreamPoller(self.emulator, self.runtime, function, properties)
                    key = f"{function.logical_id}.{name}"
                    if positions is not None:
                        stream.resume_after(positions.get(key))
                    self._streams[key] = stream
                    poll = stream.poll
                elif event.get("Type") == "SQS":
                    poll = QueuePoller(self.emulator, self.runtime, function, properties).poll
                if poll is not None:
                    thread = threading.Thread(
                        target=self._run, args=(poll,), name=f"{function.logical_id}.{name}"
                    )
                    thread.daemon = True
                    thread.start()
                    self._threads.append(thread)

    def stop(self) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=5)

    def positions(self) -> dict[str, str | None]:
        """Each stream event's last handled sequence number (None: none handled yet)."""
        return {key: stream.position for key, stream in self._streams.items()}

    def _run(self, poll: Callable[[], bool]) -> None:
        while not self._stop.is_set():
            try:
                busy = poll()
            except Exception:  # the poller must outlive a failed call; Lambda's does
                log.exception("event source poller failed")
                busy = False
            if not busy:
                self._stop.wait(POLL_SECONDS)


def _queue_url(emulator: Emulator, arn: str) -> str:
    url: str = emulator.client("sqs").get_queue_url(QueueName=arn.rsplit(":", 1)[-1])["QueueUrl"]
    return url


class _Poller:
    """An event source mapping: where it reads, which function it invokes."""

    def __init__(
        self, emulator: Emulator, runtime: Runtime, function: Function, properties: dict[str, Any]
    ) -> None:
        self.emulator = emulator
        self.runtime = runtime
        self.function = function
        self.configure(properties)

    def configure(self, properties: dict[str, Any]) -> None:
        raise NotImplementedError


class StreamPoller(_Poller):
    """A DynamoDB stream event source mapping (one shard: the emulator's tables have one)."""

    def configure(self, properties: dict[str, Any]) -> None:
        self.arn = str(properties["Stream"])
        self.batch_size = int(properties.get("BatchSize", 100))
        self.max_retries = int(properties.get("MaximumRetryAttempts", -1))
        self.reports_failures = "ReportBatchItemFailures" in (
            properties.get("FunctionResponseTypes") or []
        )
        destination = ((properties.get("DestinationConfig") or {}).get("OnFailure") or {}).get(
            "Destination"
        )
        self.on_failure = str(destination) if destination else None
        self.starting_position = str(properties.get("StartingPosition", "LATEST"))
        self.position: str | None = None  # the last handled record's sequence number
        self._iterator: str | None = None
        self._pending: list[dict[str, Any]] = []  # read, not yet handled, in order
        self._failures = 0

    def poll(self) -> bool:
        """Handle one batch; True when there was one (poll again at once)."""
        if len(self._pending) < self.batch_size:
            self._read()
        if not self._pending:
            return False
        batch = self._pending[: self.batch_size]
        event = {"Records": batch}
        try:
            response = self.runtime.invoke(self.function, event)
        except Exception:
            log.exception("%s failed on a stream batch", self.function.logical_id)
            return self._failed(batch)
        failed = _failed_ids(response) if self.reports_failures else []
        if not failed:
            self._done(len(batch))
            return True
        sequences = [record["dynamodb"]["SequenceNumber"] for record in batch]
        first = min(sequences.index(item) for item in failed if item in sequences)
        self._done(first)  # the records before the first failure are checkpointed
        return self._failed(batch[first:])

    def resume_after(self, position: str | None) -> None:
        """Read on after the record `position` (a restart), or from the shard's start."""
        self.position = position
        self.starting_position = "TRIM_HORIZON"

    def _read(self) -> None:
        streams = self.emulator.client("dynamodbstreams")
        if self._iterator is None:
            shard = streams.describe_stream(StreamArn=self.arn)["StreamDescription"]["Shards"][0]
            where: dict[str, str] = {"ShardIteratorType": self.starting_position}
            if self.position is not None:
                where = {
                    "ShardIteratorType": "AFTER_SEQUENCE_NUMBER",
                    "SequenceNumber": self.position,
                }
            self._iterator = streams.get_shard_iterator(
                StreamArn=self.arn, ShardId=shard["ShardId"], **where
            )["ShardIterator"]
        response = streams.get_records(ShardIterator=self._iterator, Limit=1000)
        self._iterator = response.get("NextShardIterator") or self._iterator
        for record in response.get("Records", []):
            self._pending.append(lambda_stream_record(record, self.arn))

    def _done(self, count: int) -> None:
        if count:
            self.position = self._pending[count - 1]["dynamodb"]["SequenceNumber"]
        del self._pending[:count]
        self._failures = 0

    def _failed(self, batch: list[dict[str, Any]]) -> bool:
        self._failures += 1
        if 0 <= self.max_retries < self._failures:
            self._discard(batch)
        time.sleep(RETRY_PAUSE_SECONDS)
        return True

    def _discard(self, batch: list[dict[str, Any]]) -> None:
        """After the last retry: describe the batch to the OnFailure queue, move on."""
        log.error("%s: a stream batch failed every retry", self.function.logical_id)
        if self.on_failure:
            description = {
                "requestContext": {"functionArn": self.function.arn, "condition": "RetryAttempts"},
                "DDBStreamBatchInfo": {
                    "streamArn": self.arn,
                    "startSequenceNumber": batch[0]["dynamodb"]["SequenceNumber"],
                    "endSequenceNumber": batch[-1]["dynamodb"]["SequenceNumber"],
                    "batchSize": len(batch),
                },
            }
            self.emulator.client("sqs").send_message(
                QueueUrl=_queue_url(self.emulator, self.on_failure),
                MessageBody=json.dumps(description),
            )
        self._done(len(batch))


class QueuePoller(_Poller):
    """An SQS event source mapping."""

    def configure(self, properties: dict[str, Any]) -> None:
        self.arn = str(properties["Queue"])
        self.batch_size = min(int(properties.get("BatchSize", 10)), 10)
        self._url: str | None = None

    def poll(self) -> bool:
        sqs = self.emulator.client("sqs")
        self._url = self._url or _queue_url(self.emulator, self.arn)
        messages = sqs.receive_message(
            QueueUrl=self._url,
            MaxNumberOfMessages=self.batch_size,
            AttributeNames=["All"],
            MessageAttributeNames=["All"],
            WaitTimeSeconds=0,
        ).get("Messages", [])
        if not messages:
            return False
        event = {"Records": [self._lambda_record(message) for message in messages]}
        try:
            response = self.runtime.invoke(self.function, event)
        except Exception:
            log.exception("%s failed on an SQS batch", self.function.logical_id)
            return True
        failed = set(_failed_ids(response))
        done = [m for m in messages if m["MessageId"] not in failed]
        if done:
            sqs.delete_message_batch(
                QueueUrl=self._url,
                Entries=[
                    {"Id": str(n), "ReceiptHandle": m["ReceiptHandle"]} for n, m in enumerate(done)
                ],
            )
        return True

    def _lambda_record(self, message: dict[str, Any]) -> dict[str, Any]:
        return {
            "messageId": message["MessageId"],
            "receiptHandle": message["ReceiptHandle"],
            "body": message["Body"],
            "attributes": message.get("Attributes", {}),
            "messageAttributes": message.get("MessageAttributes", {}),
            "md5OfBody": message.get("MD5OfBody", ""),
            "eventSource": "aws:sqs",
            "eventSourceARN": self.arn,
            "awsRegion": self.emulator.region,
        }


def lambda_stream_record(record: dict[str, Any], arn: str) -> dict[str, Any]:
    """A GetRecords record as Lambda passes it: with `eventSourceARN`, times as numbers."""
    change = dict(record["dynamodb"])
    created = change.get("ApproximateCreationDateTime")
    if isinstance(created, datetime):  # boto3 parses it; Lambda passes epoch seconds
        change["ApproximateCreationDateTime"] = int(created.timestamp())
    return {**record, "dynamodb": change, "eventSourceARN": arn}


def _failed_ids(response: Any) -> list[str]:
    """The item identifiers of a `ReportBatchItemFailures` response."""
    if not isinstance(response, dict):
        return []
    failures = response.get("batchItemFailures") or []
    return [str(item["itemIdentifier"]) for item in failures if item.get("itemIdentifier")]

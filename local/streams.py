"""The local `DynamoDB` event source mapping (local/event_sources.py runs it).

Records from the table stream's shard in order, in batches of `BatchSize`, each with
`eventSourceARN`, as AWS documents it ("Retain discarded records for a DynamoDB event source",
"Configuring partial batch response with DynamoDB"):

- A function error retries the batch. With `BisectBatchOnFunctionError` a failed batch of more
  than one record is split in two, and the halves are invoked in order; a split does not count
  as a retry.
- With `ReportBatchItemFailures` the records before the lowest reported sequence number are
  checkpointed and the batch is retried from it (with bisecting on, only the rest of that
  batch). A reported identifier that is empty or not in the batch fails the whole batch.
- Retries are counted for the record at the checkpoint, and start again from zero when the
  checkpoint moves. After `MaximumRetryAttempts` retries, and for records older than
  `MaximumRecordAgeInSeconds`, the batch is discarded: its description (Lambda's invocation
  record, `DDBStreamBatchInfo`) goes to the `OnFailure` queue and the poller moves on.
"""

from __future__ import annotations

import json
import logging
import time
import uuid
from datetime import UTC, datetime
from typing import Any

from local.mapping import EventSourcePoller, queue_url

log = logging.getLogger("stint.local")

RETRY_PAUSE_SECONDS = 0.5


class StreamPoller(EventSourcePoller):
    """A DynamoDB stream event source mapping (one shard: the emulator's tables have one)."""

    def configure(self, properties: dict[str, Any]) -> None:
        self.arn = str(properties["Stream"])
        self.batch_size = int(properties.get("BatchSize", 100))
        self.max_retries = int(properties.get("MaximumRetryAttempts", -1))
        self.max_age = int(properties.get("MaximumRecordAgeInSeconds", -1))
        self.bisect = bool(properties.get("BisectBatchOnFunctionError", False))
        self.reports_failures = "ReportBatchItemFailures" in (
            properties.get("FunctionResponseTypes") or []
        )
        destination = ((properties.get("DestinationConfig") or {}).get("OnFailure") or {}).get(
            "Destination"
        )
        self.on_failure = str(destination) if destination else None
        self.starting_position = str(properties.get("StartingPosition", "LATEST"))
        self._shard_id = ""
        self.position: str | None = None  # the last handled record's sequence number
        self._iterator: str | None = None
        self._pending: list[dict[str, Any]] = []  # read, not yet checkpointed, in order
        # The sizes of the batches that bisecting made of a failed batch, to invoke in order.
        self._splits: list[int] = []
        self._retries = 0  # failed invocations from the checkpoint (splits not counted)
        self._invocations = 0  # invocations from the checkpoint

    def poll(self) -> bool:
        """Handle one batch; True when there was one (poll again at once)."""
        if len(self._pending) < self.batch_size:
            self._read()
        self._expire()
        if not self._pending:
            return False
        batch = self._pending[: self._splits[0] if self._splits else self.batch_size]
        self._invocations += 1
        try:
            response = self.runtime.invoke(self.function, {"Records": batch})
        except Exception:
            log.exception("%s failed on a stream batch", self.function.logical_id)
            return self._function_error(batch)
        first = self._first_failure(batch, response)
        if first is None:
            self._checkpoint(len(batch))
            return True
        self._checkpoint(first)
        self._invocations = max(self._invocations, 1)  # the rest of the batch was invoked
        if self.bisect:  # "bisected at the returned sequence number": retry the rest alone
            self._splits[0:1] = [len(batch) - first]
        return self._retry(batch[first:], function_error=False)

    def _first_failure(self, batch: list[dict[str, Any]], response: Any) -> int | None:
        """The index of the first record to retry; None when the batch succeeded."""
        if not self.reports_failures or not isinstance(response, dict):
            return None
        failures = response.get("batchItemFailures")
        if not failures:
            return None
        sequences = [record["dynamodb"]["SequenceNumber"] for record in batch]
        found = []
        for failure in failures:
            identifier = failure.get("itemIdentifier") if isinstance(failure, dict) else None
            if not identifier or identifier not in sequences:
                log.error("%s: malformed batchItemFailures %r", self.function.logical_id, failure)
                return 0  # AWS takes a malformed report as the whole batch failing
            found.append(sequences.index(identifier))
        return min(found)

    def _function_error(self, batch: list[dict[str, Any]]) -> bool:
        if self.bisect and len(batch) > 1:
            half = (len(batch) + 1) // 2
            self._splits[0:1] = [half, len(batch) - half]
            return True
        return self._retry(batch, function_error=True)

    def _retry(self, batch: list[dict[str, Any]], *, function_error: bool) -> bool:
        self._retries += 1
        if 0 <= self.max_retries < self._retries:
            log.error("%s: a stream batch failed every retry", self.function.logical_id)
            self._discard(batch, "RetryAttemptsExhausted", function_error=function_error)
        else:
            time.sleep(RETRY_PAUSE_SECONDS)
        return True

    def _expire(self) -> None:
        """Discard the records older than MaximumRecordAgeInSeconds (they lead the shard)."""
        if self.max_age < 0:
            return
        now = time.time()
        expired = 0
        for record in self._pending:
            created = record["dynamodb"].get("ApproximateCreationDateTime")
            if created is None or now - float(created) <= self.max_age:
                break
            expired += 1
        if expired:
            log.error("%s: %d stream records too old", self.function.logical_id, expired)
            self._discard(self._pending[:expired], "RecordAgeExceeded", function_error=None)

    def resume_after(self, position: str | None) -> None:
        """Read on after the record `position` (a restart), or from the shard's start."""
        self.position = position
        self.starting_position = "TRIM_HORIZON"

    def _read(self) -> None:
        streams = self.emulator.client("dynamodbstreams")
        if self._iterator is None:
            shard = streams.describe_stream(StreamArn=self.arn)["StreamDescription"]["Shards"][0]
            self._shard_id = shard["ShardId"]
            where: dict[str, str] = {"ShardIteratorType": self.starting_position}
            if self.position is not None:
                where = {
                    "ShardIteratorType": "AFTER_SEQUENCE_NUMBER",
                    "SequenceNumber": self.position,
                }
            self._iterator = streams.get_shard_iterator(
                StreamArn=self.arn, ShardId=self._shard_id, **where
            )["ShardIterator"]
        response = streams.get_records(ShardIterator=self._iterator, Limit=1000)
        self._iterator = response.get("NextShardIterator") or self._iterator
        for record in response.get("Records", []):
            self._pending.append(lambda_stream_record(record, self.arn))

    def _checkpoint(self, count: int) -> None:
        """The first `count` pending records are done with: the checkpoint moves past them."""
        if count <= 0:
            return
        self.position = self._pending[count - 1]["dynamodb"]["SequenceNumber"]
        del self._pending[:count]
        self._retries = self._invocations = 0
        left = count
        while left and self._splits:
            taken = min(left, self._splits[0])
            left -= taken
            self._splits[0] -= taken
            if not self._splits[0]:
                self._splits.pop(0)

    def _discard(
        self, batch: list[dict[str, Any]], condition: str, *, function_error: bool | None
    ) -> None:
        """Describe the batch to the OnFailure queue (as Lambda does), move on."""
        if self.on_failure:
            self.emulator.client("sqs").send_message(
                QueueUrl=queue_url(self.emulator, self.on_failure),
                MessageBody=json.dumps(self._invocation_record(batch, condition, function_error)),
            )
        self._checkpoint(len(batch))

    def _invocation_record(
        self, batch: list[dict[str, Any]], condition: str, function_error: bool | None
    ) -> dict[str, Any]:
        """Lambda's description of a discarded batch. `function_error`: None when the batch
        was not invoked, False when the function answered with failed items."""
        created = [record["dynamodb"].get("ApproximateCreationDateTime") for record in batch]
        description: dict[str, Any] = {
            "requestContext": {
                "requestId": str(uuid.uuid4()),
                "functionArn": self.function.arn,
                "condition": condition,
                "approximateInvokeCount": self._invocations,
            },
            "version": "1.0",
            "timestamp": _iso(time.time()),
            "DDBStreamBatchInfo": {
                "shardId": self._shard_id,
                "startSequenceNumber": batch[0]["dynamodb"]["SequenceNumber"],
                "endSequenceNumber": batch[-1]["dynamodb"]["SequenceNumber"],
                "approximateArrivalOfFirstRecord": _iso(created[0]),
                "approximateArrivalOfLastRecord": _iso(created[-1]),
                "batchSize": len(batch),
                "streamArn": self.arn,
            },
        }
        if function_error is not None:
            response = {"statusCode": 200, "executedVersion": "$LATEST"}
            if function_error:
                response["functionError"] = "Unhandled"
            description["responseContext"] = response
        return description


def _iso(seconds: Any) -> str | None:
    if seconds is None:
        return None
    moment = datetime.fromtimestamp(float(seconds), UTC)
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def lambda_stream_record(record: dict[str, Any], arn: str) -> dict[str, Any]:
    """A GetRecords record as Lambda passes it: with `eventSourceARN`, times as numbers."""
    change = dict(record["dynamodb"])
    created = change.get("ApproximateCreationDateTime")
    if isinstance(created, datetime):  # boto3 parses it; Lambda passes epoch seconds
        change["ApproximateCreationDateTime"] = int(created.timestamp())
    return {**record, "dynamodb": change, "eventSourceARN": arn}


def lambda_modify_event(
    keys: dict[str, Any], old: dict[str, Any], new: dict[str, Any], *, arn: str, region: str
) -> dict[str, Any]:
    """The event Lambda's stream mapping invokes a function with for one MODIFY of the item
    `keys` names, from `old` to `new` (a stream of NEW_AND_OLD_IMAGES): what a caller that runs
    no poller (a test, a bench) hands the function for a write it read before and after."""
    record = {
        "eventID": uuid.uuid4().hex,
        "eventName": "MODIFY",
        "eventSource": "aws:dynamodb",
        "eventSourceARN": arn,
        "awsRegion": region,
        "dynamodb": {
            "Keys": keys,
            "OldImage": old,
            "NewImage": new,
            "SequenceNumber": "1",
            "StreamViewType": "NEW_AND_OLD_IMAGES",
        },
    }
    return {"Records": [record]}

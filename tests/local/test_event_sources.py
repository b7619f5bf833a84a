"""The local event source mappings (local/event_sources.py) keep AWS's semantics, so that a record
or message a function cannot handle never holds back the ones after it:

- stream: bisecting on a function error (splits are not retries), `ReportBatchItemFailures`
  (retry from the first reported record), `MaximumRetryAttempts` counted for the record at
  the checkpoint, `MaximumRecordAgeInSeconds`, and Lambda's invocation record on the
  `OnFailure` queue;
- SQS: concurrent invocations (a slow batch does not hold back the next), per-message
  outcomes.

The pollers run against an in-process emulator and are polled by the test itself, one poll
at a time, with a stand-in for the runtime: nothing here depends on timing."""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest

from local import streams
from local.emulator import Emulator
from local.queues import QueuePoller
from local.streams import StreamPoller

POISON = "poison"


@pytest.fixture(scope="module")
def emulator() -> Iterator[Emulator]:
    emulator = Emulator().start()
    yield emulator
    emulator.stop()


@pytest.fixture(autouse=True)
def no_pauses(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(streams, "RETRY_PAUSE_SECONDS", 0)


@dataclass
class Consumer:
    """Stands in for the runtime and the function: records every batch it is invoked with."""

    handler: Callable[[list[dict[str, Any]]], Any]
    logical_id: str = "Consumer"
    arn: str = "arn:aws:lambda:us-east-1:123456789012:function:consumer"
    batches: list[list[str]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def invoke(self, function: Any, event: dict[str, Any]) -> Any:
        with self.lock:
            self.batches.append([name_of(record) for record in event["Records"]])
        return self.handler(event["Records"])


def name_of(record: dict[str, Any]) -> str:
    if "dynamodb" in record:
        return str(record["dynamodb"]["Keys"]["sk"]["S"])
    return str(record["body"])


def sequence(record: dict[str, Any]) -> str:
    return str(record["dynamodb"]["SequenceNumber"])


@dataclass
class Stream:
    emulator: Emulator
    arn: str
    on_failure: str  # the OnFailure queue's ARN
    on_failure_url: str

    def failures(self) -> list[dict[str, Any]]:
        sqs = self.emulator.client("sqs")
        found: list[dict[str, Any]] = []
        while messages := sqs.receive_message(
            QueueUrl=self.on_failure_url, MaxNumberOfMessages=10
        ).get("Messages"):
            found += [json.loads(m["Body"]) for m in messages]
        return found

    def poller(self, consumer: Consumer, **properties: Any) -> StreamPoller:
        base = {
            "Stream": self.arn,
            "StartingPosition": "TRIM_HORIZON",
            "DestinationConfig": {"OnFailure": {"Destination": self.on_failure}},
        }
        return StreamPoller(self.emulator, consumer, consumer, {**base, **properties})  # type: ignore[arg-type]


@pytest.fixture
def stream(emulator: Emulator) -> Stream:
    """A new table with a stream, and ten items written to it: r0 ... r9, r4 the poison."""
    name = f"events-{uuid.uuid4().hex[:8]}"
    dynamodb = emulator.client("dynamodb")
    table = dynamodb.create_table(
        TableName=name,
        KeySchema=[
            {"AttributeName": "pk", "KeyType": "HASH"},
            {"AttributeName": "sk", "KeyType": "RANGE"},
        ],
        AttributeDefinitions=[
            {"AttributeName": "pk", "AttributeType": "S"},
            {"AttributeName": "sk", "AttributeType": "S"},
        ],
        BillingMode="PAY_PER_REQUEST",
        StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"},
    )["TableDescription"]
    for n in range(10):
        sk = POISON if n == 4 else f"r{n}"
        dynamodb.put_item(TableName=name, Item={"pk": {"S": "p"}, "sk": {"S": sk}})
    sqs = emulator.client("sqs")
    url = sqs.create_queue(QueueName=f"{name}-failures")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    return Stream(emulator, table["LatestStreamArn"], arn, url)


def run(poller: StreamPoller, polls: int = 200) -> None:
    """Poll until the shard is drained (bounded: a poller that never moves on fails here)."""
    for _ in range(polls):
        if not poller.poll():
            return
    raise AssertionError(f"the shard was not drained in {polls} polls")


def handled(consumer: Consumer, succeeded: list[list[str]]) -> list[str]:
    return [name for batch in succeeded for name in batch]


def test_a_function_error_is_bisected_to_the_poison_record_and_the_rest_flow(
    stream: Stream,
) -> None:
    succeeded: list[list[str]] = []

    def handler(records: list[dict[str, Any]]) -> None:
        names = [name_of(r) for r in records]
        if POISON in names:
            raise ValueError("cannot handle it")
        succeeded.append(names)

    consumer = Consumer(handler)
    run(
        stream.poller(
            consumer, BatchSize=10, BisectBatchOnFunctionError=True, MaximumRetryAttempts=2
        )
    )
    assert handled(consumer, succeeded) == [f"r{n}" for n in range(10) if n != 4]
    # Splits are not retries: the poison alone is invoked once and retried twice.
    assert consumer.batches.count([POISON]) == 3
    (failure,) = stream.failures()
    info = failure["DDBStreamBatchInfo"]
    assert info["batchSize"] == 1 and info["startSequenceNumber"] == info["endSequenceNumber"]
    assert info["streamArn"] == stream.arn and info["shardId"]
    assert failure["requestContext"]["condition"] == "RetryAttemptsExhausted"
    assert failure["requestContext"]["functionArn"] == consumer.arn
    assert failure["responseContext"]["functionError"] == "Unhandled"


def test_a_reported_failure_reaches_the_retry_limit_and_the_rest_flow(stream: Stream) -> None:
    """The record keeps failing at the head of its batch: its retries add up."""
    succeeded: list[list[str]] = []

    def handler(records: list[dict[str, Any]]) -> dict[str, Any]:
        for n, record in enumerate(records):
            if name_of(record) == POISON:
                succeeded.append([name_of(r) for r in records[:n]])
                return {"batchItemFailures": [{"itemIdentifier": sequence(record)}]}
        succeeded.append([name_of(r) for r in records])
        return {"batchItemFailures": []}

    consumer = Consumer(handler)
    run(
        stream.poller(
            consumer,
            BatchSize=5,
            BisectBatchOnFunctionError=True,
            MaximumRetryAttempts=3,
            FunctionResponseTypes=["ReportBatchItemFailures"],
        )
    )
    assert handled(consumer, succeeded) == [f"r{n}" for n in range(10) if n != 4]
    # r0-r4 once, then the rest of that batch alone (bisected at the failure): 3 retries.
    assert consumer.batches[:4] == [["r0", "r1", "r2", "r3", POISON]] + [[POISON]] * 3
    assert consumer.batches[4] == ["r5", "r6", "r7", "r8", "r9"]
    (failure,) = stream.failures()
    assert failure["DDBStreamBatchInfo"]["batchSize"] == 1
    assert failure["requestContext"]["approximateInvokeCount"] == 4
    assert "functionError" not in failure["responseContext"]


def test_a_malformed_report_fails_the_whole_batch(stream: Stream) -> None:
    answers = iter([{"batchItemFailures": [{"itemIdentifier": ""}]}])

    def handler(records: list[dict[str, Any]]) -> Any:
        return next(answers, None)

    consumer = Consumer(handler)
    run(stream.poller(consumer, BatchSize=10, FunctionResponseTypes=["ReportBatchItemFailures"]))
    assert len(consumer.batches) == 2 and consumer.batches[0] == consumer.batches[1]
    assert stream.failures() == []


def test_records_older_than_the_maximum_age_are_discarded_uninvoked(
    stream: Stream, monkeypatch: pytest.MonkeyPatch
) -> None:
    consumer = Consumer(lambda records: None)
    later = time.time() + 120
    monkeypatch.setattr(streams.time, "time", lambda: later)
    run(stream.poller(consumer, BatchSize=100, MaximumRecordAgeInSeconds=60))
    assert consumer.batches == []
    (failure,) = stream.failures()
    assert failure["requestContext"]["condition"] == "RecordAgeExceeded"
    assert failure["DDBStreamBatchInfo"]["batchSize"] == 10
    assert "responseContext" not in failure


# ----------------------------------------------------------------------------- SQS


@dataclass
class Queue:
    emulator: Emulator
    arn: str
    url: str

    def send(self, *bodies: str) -> None:
        for body in bodies:
            self.emulator.client("sqs").send_message(QueueUrl=self.url, MessageBody=body)

    def left(self) -> int:
        attributes = self.emulator.client("sqs").get_queue_attributes(
            QueueUrl=self.url,
            AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
        )["Attributes"]
        return sum(int(value) for value in attributes.values())

    def poller(self, consumer: Consumer, **properties: Any) -> QueuePoller:
        return QueuePoller(self.emulator, consumer, consumer, {"Queue": self.arn, **properties})  # type: ignore[arg-type]


@pytest.fixture
def queue(emulator: Emulator) -> Queue:
    sqs = emulator.client("sqs")
    url = sqs.create_queue(
        QueueName=f"deliveries-{uuid.uuid4().hex[:8]}", Attributes={"VisibilityTimeout": "300"}
    )["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    return Queue(emulator, arn, url)


def settle(poller: QueuePoller) -> None:
    """Wait for every invocation the poller started to end."""
    for _ in range(poller.concurrency):
        assert poller._slots.acquire(timeout=30)
    for _ in range(poller.concurrency):
        poller._slots.release()


def test_a_slow_batch_does_not_hold_back_the_next(queue: Queue) -> None:
    second_started = threading.Event()
    seen_by_first: list[bool] = []

    def handler(records: list[dict[str, Any]]) -> None:
        if records[0]["body"] == "slow":
            seen_by_first.append(second_started.wait(10))
        else:
            second_started.set()

    queue.send("slow")
    consumer = Consumer(handler)
    poller = queue.poller(consumer, BatchSize=1, ScalingConfig={"MaximumConcurrency": 2})
    assert poller.poll()  # invokes "slow" in a thread of its own
    queue.send("fast")
    deadline = time.monotonic() + 30
    while not second_started.is_set() and time.monotonic() < deadline:
        poller.poll()
    settle(poller)
    assert seen_by_first == [True]  # "fast" ran while "slow" was still running
    assert queue.left() == 0


def test_concurrency_is_bounded_by_maximum_concurrency(queue: Queue) -> None:
    release = threading.Event()
    queue.send("a", "b", "c")
    consumer = Consumer(lambda records: release.wait(30))
    poller = queue.poller(consumer, BatchSize=1, ScalingConfig={"MaximumConcurrency": 2})
    assert poller.poll() and poller.poll()
    assert not poller.poll()  # both invocations busy: the third message waits
    release.set()
    settle(poller)
    assert poller.poll()
    settle(poller)
    assert sorted(b[0] for b in consumer.batches) == ["a", "b", "c"]
    assert queue.left() == 0


def test_a_message_that_fails_stays_and_the_rest_are_deleted(queue: Queue) -> None:
    def handler(records: list[dict[str, Any]]) -> dict[str, Any]:
        failed = [r["messageId"] for r in records if r["body"] == POISON]
        if any(r["body"] == "crash" for r in records):
            raise RuntimeError("the function crashed")
        return {"batchItemFailures": [{"itemIdentifier": m} for m in failed]}

    queue.send("m1", POISON, "m2")
    consumer = Consumer(handler)
    poller = queue.poller(consumer, BatchSize=10, FunctionResponseTypes=["ReportBatchItemFailures"])
    while poller.poll():
        pass
    settle(poller)
    assert queue.left() == 1  # the poison, invisible until its visibility timeout
    queue.send("crash", "m3")
    poller = queue.poller(consumer, BatchSize=1, FunctionResponseTypes=["ReportBatchItemFailures"])
    while poller.poll():
        pass
    settle(poller)
    assert "m3" in [b[0] for b in consumer.batches]
    assert queue.left() == 2  # the poison and the crashed batch: both retried later

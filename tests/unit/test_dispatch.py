"""Contract section 11: the dispatcher turns stream records into delivery messages, at least
once: a crash in the middle of a batch loses nothing, and a retried record's messages keep
their ids (the receiver's `webhook-id`)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto.core import DEFAULT_ACCOUNT_ID
from moto.dynamodbstreams.models import dynamodbstreams_backends

from local.streams import lambda_stream_record
from stint import config, dispatch
from stint.store import Delete, Put, Store

USER = "dispatch-user"


@pytest.fixture
def queue(table: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    url = boto3.client("sqs").create_queue(QueueName="deliveries")["QueueUrl"]
    monkeypatch.setenv("DELIVERY_QUEUE_URL", url)
    config.settings.cache_clear()
    yield url
    config.settings.cache_clear()


def stream_records(table: str) -> list[dict[str, Any]]:
    """The table's stream, read through moto's streams backend: moto's in-process mock does not
    route DynamoDB Streams calls (DescribeStream answers 404 "Not yet implemented"); the local
    stack's emulator, a moto server, does, and its poller reads them with boto3."""
    arn = boto3.client("dynamodb").describe_table(TableName=table)["Table"]["LatestStreamArn"]
    backend = dynamodbstreams_backends[DEFAULT_ACCOUNT_ID]["us-east-1"]
    shard_id = backend.describe_stream(arn)["Shards"][0]["ShardId"]
    iterator = backend.get_shard_iterator(arn, shard_id, "TRIM_HORIZON")
    records = backend.get_records(iterator.arn, 1000)["Records"]
    return [lambda_stream_record(record, arn) for record in records]


def queued(url: str) -> list[dict[str, Any]]:
    sqs = boto3.client("sqs")
    found = []
    while True:
        messages = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", [])
        if not messages:
            return found
        found += [json.loads(m["Body"]) for m in messages]


def subscribe(trigger: str) -> str:
    webhook = {
        "id": f"hook-{trigger}",
        "hookUrl": "https://hooks.example.com/in",
        "triggerType": trigger,
        "status": "active",
        "createdAt": "2026-11-23T00:00:00.000Z",
        "secret": "whsec_c2VjcmV0",
    }
    Store(USER).create_webhook(webhook, limit=20, full=RuntimeError("full"))
    return str(webhook["id"])


def test_events_of_each_change(table: str, queue: str) -> None:
    subscribe("project")
    subscribe("time")
    subscribe("stopped_time")
    store = Store(USER)
    store.commit([Put("project", {"id": "p1", "title": "One"})])
    store.commit([Put("project", {"id": "p1", "title": "Uno"}, expect_seq=1)])
    session = {"id": "s1", "taskId": "t1", "startTimestamp": "2026-11-23T09:00:00.000Z"}
    store.commit([Put("session", {**session, "running": True})])
    store.commit([Put("session", {**session, "running": False, "duration": 60}, expect_seq=3)])
    store.commit([Delete("project", "p1", 2)])
    result = dispatch.Dispatcher().handle(stream_records(table))
    assert result == {"batchItemFailures": []}
    messages = queued(queue)
    by_hook: dict[str, list[tuple[str, Any]]] = {}
    for message in messages:
        by_hook.setdefault(message["webhookId"], []).append((message["type"], message["data"]))
    assert [t for t, _ in by_hook["hook-project"]] == [
        "project.created",
        "project.updated",
        "project.deleted",
    ]
    assert by_hook["hook-project"][2][1] == {"id": "p1"}
    assert [t for t, _ in by_hook["hook-time"]] == ["time.created", "time.updated"]
    assert [(t, d["id"]) for t, d in by_hook["hook-stopped_time"]] == [("time.stopped", "s1")]
    assert len({m["id"] for m in messages}) == len(messages)


def test_a_crash_mid_batch_loses_nothing(
    table: str, queue: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    subscribe("project")
    store = Store(USER)
    for n in (1, 2, 3):
        store.commit([Put("project", {"id": f"p{n}", "title": f"P{n}"})])
    records = stream_records(table)
    real_enqueue = dispatch.enqueue

    def crash_on_p2(messages: list[dict[str, Any]]) -> None:
        if any(m["data"].get("id") == "p2" for m in messages):
            raise ConnectionError("the function died here")
        real_enqueue(messages)

    monkeypatch.setattr(dispatch, "enqueue", crash_on_p2)
    failed = dispatch.Dispatcher().handle(records)["batchItemFailures"]
    sequences = [r["dynamodb"]["SequenceNumber"] for r in records]
    resume_at = sequences.index(failed[0]["itemIdentifier"])
    assert records[resume_at]["dynamodb"]["Keys"]["sk"]["S"] == "PROJECT#p2"
    # The event source mapping retries from the reported record.
    monkeypatch.setattr(dispatch, "enqueue", real_enqueue)
    assert dispatch.Dispatcher().handle(records[resume_at:]) == {"batchItemFailures": []}
    first_pass = queued(queue)
    assert sorted(m["data"]["id"] for m in first_pass) == ["p1", "p2", "p3"]
    # A whole batch retried (e.g. the function timed out after enqueueing) sends duplicates
    # with the same ids, which receivers drop by webhook-id.
    dispatch.Dispatcher().handle(records)
    again = queued(queue)
    assert sorted(m["id"] for m in again) == sorted(m["id"] for m in first_pass)

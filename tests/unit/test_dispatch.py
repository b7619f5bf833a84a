"""docs/API.md, "Webhooks": the dispatcher turns stream records into delivery messages, at least
once: a crash in the middle of a batch loses nothing, and a retried record's messages keep
their ids (the receiver's `webhook-id`). A record that can never become messages is
dead-lettered and the records after it still flow; an AWS error retries the record."""

from __future__ import annotations

import copy
import json
import logging
import uuid
from collections.abc import Callable, Iterator
from decimal import Decimal
from typing import Any

import boto3
import pytest
from botocore.exceptions import EndpointConnectionError
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from moto.core import DEFAULT_ACCOUNT_ID
from moto.dynamodbstreams.models import dynamodbstreams_backends

from local.streams import lambda_stream_record
from stint import aws, config, dispatch
from stint.kinds import KINDS
from stint.services import sync as sync_service
from stint.services.common import Caller
from stint.store import Delete, Put, Store, UnitOfWork, WebhookStore
from stint.timeutil import parse_timestamp

USER = "dispatch-user"


@pytest.fixture
def queue(table: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    url = boto3.client("sqs").create_queue(QueueName="deliveries")["QueueUrl"]
    monkeypatch.setenv("DELIVERY_QUEUE_URL", url)
    dead = boto3.client("sqs").create_queue(QueueName="dead-letters")["QueueUrl"]
    monkeypatch.setenv("DEAD_LETTER_QUEUE_URL", dead)
    config.settings.cache_clear()
    yield url
    config.settings.cache_clear()


@pytest.fixture
def dead_letters(queue: str) -> str:
    return str(config.settings().dead_letter_queue_url)


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
    WebhookStore(USER).create(webhook, limit=20, full=RuntimeError("full"))
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
            raise EndpointConnectionError(endpoint_url="https://sqs.us-east-1.amazonaws.com")
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


# ----------------------------------------------------------------------------- no poison pill


def answer_with_error(
    service: str, operation: str, code: str, status: int, when: Callable[[Any], bool]
) -> None:
    """Make Stint's client for `service` answer `operation` with an AWS error when
    `when(request)` (botocore's before-call event, with the serialized request: the call never
    reaches moto)."""

    class Answer:
        status_code = status

    def before_call(params: Any, **_: Any) -> Any:
        if not when(params):  # params: the serialized request
            return None
        error = {"Code": code, "Message": f"injected {code}"}
        return Answer(), {"Error": error, "ResponseMetadata": {"HTTPStatusCode": status}}

    aws.client(service).meta.events.register(f"before-call.{service}.{operation}", before_call)


def poisoned(record: dict[str, Any]) -> dict[str, Any]:
    """The record with a value no JSON writer takes (bytes): it cannot become a message, on
    this attempt or any other."""
    bad = copy.deepcopy(record)
    bad["dynamodb"]["NewImage"]["note"] = {"B": b"\x00"}
    return bad


def sequence(record: dict[str, Any]) -> str:
    return str(record["dynamodb"]["SequenceNumber"])


def project_records(table: str) -> list[dict[str, Any]]:
    """The stream's records of projects (not of the subscription, counters and guards)."""
    return [
        r for r in stream_records(table) if r["dynamodb"]["Keys"]["sk"]["S"].startswith("PROJECT#")
    ]


def sends(project_id: str) -> Callable[[Any], bool]:
    """Whether a serialized SQS request carries a message about this project."""
    marker = f'\\"id\\":\\"{project_id}\\"'  # a JSON message body inside the JSON request
    return lambda request: marker in request["body"].decode()


@pytest.mark.parametrize(
    "fraction", [{"hourlyRate": 95.5}, {"plannedBudget": 1000.25}, {"plannedDurationHours": 1.5}]
)
def test_a_fractional_number_is_delivered(
    table: str, queue: str, fraction: dict[str, float]
) -> None:
    """A regression: stored numbers come back as Decimal, which json.dumps refused (a project
    with a fractional rate stopped every later delivery)."""
    subscribe("project")
    stored = {key: Decimal(str(value)) for key, value in fraction.items()}
    Store(USER).commit([Put("project", {"id": "p1", "title": "Rates", **stored})])
    assert dispatch.Dispatcher().handle(stream_records(table)) == {"batchItemFailures": []}
    (message,) = queued(queue)
    assert {key: message["data"][key] for key in fraction} == fraction


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    rate=st.decimals(min_value=0, max_value=10**9, places=2),
    hours=st.decimals(min_value=0, max_value=10**6, places=4),
)
def test_any_stored_number_reaches_the_queue_as_its_value(
    table: str, queue: str, rate: Decimal, hours: Decimal
) -> None:
    if not WebhookStore(USER).webhooks():
        subscribe("project")
    project = {
        "id": uuid.uuid4().hex,
        "title": "P",
        "hourlyRate": rate,
        "plannedDurationHours": hours,
    }
    Store(USER).commit([Put("project", project)])
    record = stream_records(table)[-1]
    assert dispatch.Dispatcher().handle([record]) == {"batchItemFailures": []}
    (body,) = queued(queue)
    assert Decimal(str(body["data"]["hourlyRate"])) == rate
    assert Decimal(str(body["data"]["plannedDurationHours"])) == hours


def test_a_record_that_cannot_become_messages_is_dead_lettered_and_the_rest_flow(
    table: str, queue: str, dead_letters: str, caplog: pytest.LogCaptureFixture
) -> None:
    subscribe("project")
    store = Store(USER)
    for n in (1, 2, 3):
        store.commit([Put("project", {"id": f"p{n}", "title": f"P{n}"})])
    first, second, third = project_records(table)
    with caplog.at_level(logging.ERROR, logger="stint.dispatch"):
        result = dispatch.Dispatcher().handle([first, poisoned(second), third])
    assert result == {"batchItemFailures": []}
    assert sorted(m["data"]["id"] for m in queued(queue)) == ["p1", "p3"]
    (dead,) = queued(dead_letters)
    assert dead["streamRecord"]["sequenceNumber"] == sequence(second)
    assert dead["streamRecord"]["keys"] == second["dynamodb"]["Keys"]
    assert dead["error"].startswith("TypeError")
    logged = [r for r in caplog.records if sequence(second) in r.getMessage()]
    assert logged and "PROJECT#p2" in logged[0].getMessage()


@pytest.mark.parametrize(
    ("code", "status"),
    [
        ("ThrottlingException", 400),
        ("AWS.SimpleQueueService.NonExistentQueue", 400),
        ("InternalError", 500),
    ],
)
def test_an_aws_error_retries_the_record_and_nothing_after_it_is_lost(
    table: str, queue: str, dead_letters: str, code: str, status: int
) -> None:
    subscribe("project")
    store = Store(USER)
    for n in (1, 2, 3):
        store.commit([Put("project", {"id": f"p{n}", "title": f"P{n}"})])
    records = project_records(table)
    failing = {"on": True}
    answer_with_error(
        "sqs",
        "SendMessageBatch",
        code,
        status,
        lambda request: failing["on"] and sends("p2")(request),
    )
    failed = dispatch.Dispatcher().handle(records)["batchItemFailures"]
    assert failed == [{"itemIdentifier": sequence(records[1])}]
    assert [m["data"]["id"] for m in queued(queue)] == ["p1"]
    failing["on"] = False  # the outage is over: the event source mapping retries from p2
    assert dispatch.Dispatcher().handle(records[1:]) == {"batchItemFailures": []}
    assert sorted(m["data"]["id"] for m in queued(queue)) == ["p2", "p3"]
    assert queued(dead_letters) == []


def test_a_refused_request_is_a_defect_of_the_record_not_a_retry(
    table: str, queue: str, dead_letters: str
) -> None:
    """A validation error would come back on every retry: it stalls nothing."""
    subscribe("project")
    store = Store(USER)
    for n in (1, 2):
        store.commit([Put("project", {"id": f"p{n}", "title": f"P{n}"})])
    records = project_records(table)
    answer_with_error("sqs", "SendMessageBatch", "InvalidParameterValue", 400, sends("p1"))
    assert dispatch.Dispatcher().handle(records) == {"batchItemFailures": []}
    assert [m["data"]["id"] for m in queued(queue)] == ["p2"]
    assert [d["streamRecord"]["sequenceNumber"] for d in queued(dead_letters)] == [
        sequence(records[0])
    ]


def test_a_record_is_retried_when_the_dead_letter_queue_refuses_it(
    table: str, queue: str, dead_letters: str
) -> None:
    subscribe("project")
    Store(USER).commit([Put("project", {"id": "p1", "title": "P1"})])
    (record,) = project_records(table)
    answer_with_error("sqs", "SendMessage", "ServiceUnavailable", 503, lambda _: True)
    failed = dispatch.Dispatcher().handle([poisoned(record)])["batchItemFailures"]
    assert failed == [{"itemIdentifier": sequence(record)}]


def _entity_of_kind(kind: str, entity_id: str, title: str) -> dict[str, Any]:
    """A minimal entity of any kind of the registry (the store does not validate)."""
    spec = KINDS[kind]
    entity: dict[str, Any] = {"id": entity_id, spec.title_field: title}
    if spec.parent is not None:
        entity[spec.parent.field] = f"parent-of-{entity_id}"
    for name in spec.index_fields.values():
        entity[name] = "2026-11-23T09:00:00.000Z"
    return entity


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_a_deletion_occurs_when_its_tombstone_says(kind: str, table: str, queue: str) -> None:
    """docs/API.md, "Webhooks": an event's `occurredAt` is the time its change gave the entity;
    a deletion's is the time of the deletion, to the millisecond, the `lastUpdated` of the
    sync's `deleted` entry. Every kind of the registry, so a new kind is covered."""
    trigger = KINDS[kind].trigger
    subscribe(trigger)
    store = Store(USER)
    caller = Caller(USER, USER)
    store.commit([Put(kind, _entity_of_kind(kind, "e1", "One"))])
    store.commit([Put(kind, _entity_of_kind(kind, "e1", "Uno"), expect_seq=1)])
    token = sync_service.sync(caller, None, 100)["syncToken"]
    store.commit([Delete(kind, "e1", 2)])
    deleted = sync_service.sync(caller, token, 100)["deleted"]
    assert [(d["type"], d["id"]) for d in deleted] == [(kind, "e1")]
    assert dispatch.Dispatcher().handle(stream_records(table)) == {"batchItemFailures": []}
    events = {m["type"]: m for m in queued(queue) if m["data"].get("id") == "e1"}
    assert events[f"{trigger}.deleted"]["data"] == {"id": "e1"}
    updated_at = events[f"{trigger}.updated"]["occurredAt"]
    deleted_at = events[f"{trigger}.deleted"]["occurredAt"]
    assert deleted_at == deleted[0]["lastUpdated"]
    assert parse_timestamp(deleted_at) >= parse_timestamp(updated_at)


def test_a_shared_workspaces_changes_reach_its_subscriptions_whoever_makes_them(
    table: str, queue: str
) -> None:
    """A subscription in a shared workspace receives every member's changes there, and no
    personal workspace's; the message names the workspace, whose subscription it is."""
    hook = {
        "id": "hook-shared",
        "hookUrl": "https://hooks.example.com/in",
        "triggerType": "project",
        "status": "active",
        "createdAt": "2026-11-23T00:00:00.000Z",
        "secret": "whsec_c2VjcmV0",
    }
    WebhookStore(USER, "ws-1").create(hook, limit=20, full=RuntimeError("full"))
    subscribe("project")  # the personal workspace's
    Store("member-a", "ws-1").commit([Put("project", {"id": "p1", "title": "Shared"})])
    Store("member-b", "ws-1").commit([Delete("project", "p1", 1)])
    Store(USER).commit([Put("project", {"id": "p2", "title": "Mine"})])
    assert dispatch.Dispatcher().handle(stream_records(table)) == {"batchItemFailures": []}
    shared = [m for m in queued(queue) if m["webhookId"] == "hook-shared"]
    assert [(m["type"], m["data"]["id"]) for m in shared] == [
        ("project.created", "p1"),
        ("project.deleted", "p1"),
    ]
    assert all(m["workspaceId"] == "ws-1" and "userId" not in m for m in shared)
    assert shared[0]["data"]["workspaceId"] == "ws-1"


def test_a_budget_alert_is_one_event_under_one_id(table: str, queue: str) -> None:
    """docs/DESIGN.md, "Budgets": the write that first reaches a percentage creates its alert
    item; the item's INSERT is the one `project.budget_alert` event, and the same record
    handled again (a retried batch) gives the same id."""
    subscribe("budget")
    subscribe("project")
    budget = {"kind": "time", "amount": 1, "period": "total", "alertAt": [50], "enforce": False}
    UnitOfWork(USER).commit([Put("project", {"id": "p1", "title": "B", "budget": budget})])
    UnitOfWork(USER).commit([Put("task", {"id": "t1", "projectId": "p1", "title": "T"})])
    for n in range(3):  # 1200 s, 2400 s (67 %: the alert), 3600 s
        session = {"id": f"s{n}", "taskId": "t1", "type": "session", "duration": 1200}
        session["startTimestamp"] = "2026-11-23T09:00:00.000Z"
        UnitOfWork(USER).commit([Put("session", session)])
    records = stream_records(table)
    assert dispatch.Dispatcher().handle(records) == {"batchItemFailures": []}
    assert dispatch.Dispatcher().handle(records) == {"batchItemFailures": []}
    alerts = [m for m in queued(queue) if m["webhookId"] == "hook-budget"]
    assert len(alerts) == 2 and len({m["id"] for m in alerts}) == 1
    assert alerts[0]["type"] == "project.budget_alert" and alerts[0]["triggerType"] == "budget"
    assert alerts[0]["data"] == {
        "projectId": "p1",
        "threshold": 50,
        "used": 0.67,
        "budget": 1,
        "period": "total",
        "periodStart": None,
    }

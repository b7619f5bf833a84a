"""docs/API.md, "Webhooks": webhook operations in-process over moto, where the API tests cannot
reach: the end of a rotation's overlap (the clock moved), a delivery log that cannot be
written, a refused URL in the log, and a test ping queued once per Idempotency-Key whatever
the sequence of retries."""

from __future__ import annotations

import json
import logging
import time
import uuid
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from local.resources import Provisioner
from stint import config, delivery
from stint.services import webhooks
from stint.services.common import Caller
from stint.store import WebhookStore

from .conftest import template
from .handlers import call, pool, pool_user

__all__ = ["pool"]  # the fixture, used by name

USER = "operations-user"
SECRET = "whsec_c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0"
DAY = 24 * 3600


def subscribe(webhook_id: str, hook_url: str = "http://127.0.0.1:9/in", user: str = USER) -> None:
    webhook = {
        "id": webhook_id,
        "hookUrl": hook_url,
        "triggerType": "project",
        "status": "active",
        "createdAt": "2026-11-23T00:00:00.000Z",
        "secret": SECRET,
        "version": 1,
    }
    WebhookStore(user).create(webhook, limit=20, full=RuntimeError("full"))


def headers_for(record: dict[str, Any], body: str, timestamp: int) -> dict[str, str]:
    return {
        "webhook-id": "msg_1",
        "webhook-timestamp": str(timestamp),
        "webhook-signature": delivery.signature(record, "msg_1", timestamp, body),
    }


def verifies(secret: str, body: str, headers: dict[str, str]) -> bool:
    try:
        Webhook(secret).verify(body, headers)
    except WebhookVerificationError:
        return False
    return True


class _Clock:
    """The `time` module, `seconds` off (monotonic clocks and sleeps unchanged)."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds

    def time(self) -> float:
        return time.time() + self.seconds

    def __getattr__(self, name: str) -> Any:
        return getattr(time, name)


@pytest.mark.parametrize(
    ("rotated_ago", "old_verifies"),
    [(0, True), (DAY - 60, True), (DAY, False), (DAY + 60, False), (30 * DAY, False)],
)
def test_the_previous_secret_signs_for_24_hours_after_a_rotation(
    table: str, monkeypatch: pytest.MonkeyPatch, rotated_ago: int, old_verifies: bool
) -> None:
    subscribe("h1")
    monkeypatch.setattr(webhooks, "time", _Clock(-rotated_ago))  # rotated so long ago
    new = webhooks.rotate_secret(Caller(USER, USER), "h1").entity["secret"]
    record = WebhookStore(USER).get_webhook("h1")
    assert record is not None
    body = json.dumps({"id": "msg_1", "type": "webhook.ping"})
    headers = headers_for(record, body, int(time.time()))
    assert verifies(new, body, headers)
    assert verifies(SECRET, body, headers) is old_verifies
    assert len(headers["webhook-signature"].split(" ")) == (2 if old_verifies else 1)
    assert headers["webhook-signature"].startswith(
        delivery.sign(new, "msg_1", int(headers["webhook-timestamp"]), body)
    )


# ----------------------------------------------------------------------------- the log


@pytest.fixture
def queues(table: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, str]]:
    sqs = boto3.client("sqs")
    urls = {name: sqs.create_queue(QueueName=name)["QueueUrl"] for name in ("deliveries", "dead")}
    monkeypatch.setenv("DELIVERY_QUEUE_URL", urls["deliveries"])
    monkeypatch.setenv("DEAD_LETTER_QUEUE_URL", urls["dead"])
    monkeypatch.setenv("STINT_LOCAL", "1")  # http to 127.0.0.1
    config.settings.cache_clear()
    yield urls
    config.settings.cache_clear()


def record_of(message: dict[str, Any], receive_count: int = 1) -> dict[str, Any]:
    return {
        "messageId": str(uuid.uuid4()),
        "receiptHandle": "handle",
        "body": json.dumps(message),
        "attributes": {"ApproximateReceiveCount": str(receive_count)},
    }


def ping_message(webhook_id: str) -> dict[str, Any]:
    return {
        "userId": USER,
        "webhookId": webhook_id,
        "id": f"msg_{webhook_id}",
        "type": "webhook.ping",
        "triggerType": "project",
        "occurredAt": "2026-11-23T09:00:00.000Z",
        "data": {"webhookId": webhook_id},
    }


def test_a_delivery_log_that_cannot_be_written_fails_no_delivery(
    queues: dict[str, str], monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    subscribe("h1")
    delivered: list[str] = []

    def deliver(message: dict[str, Any], _: dict[str, Any]) -> delivery.Outcome:
        delivered.append(message["id"])
        return delivery.Outcome(True, status=204)

    def log_write(*_: Any, **__: Any) -> None:
        error = {"Code": "ProvisionedThroughputExceededException", "Message": "injected"}
        raise ClientError({"Error": error}, "PutItem")

    monkeypatch.setattr(delivery, "deliver", deliver)
    monkeypatch.setattr(WebhookStore, "log_delivery_attempt", log_write)
    with caplog.at_level(logging.ERROR, logger="stint.delivery"):
        assert delivery.handle([record_of(ping_message("h1"))]) == {"batchItemFailures": []}
    assert delivered == ["msg_h1"]
    assert any("not logged" in r.getMessage() for r in caplog.records)


def test_a_refused_url_is_logged_as_a_failed_attempt_without_a_status(
    queues: dict[str, str],
) -> None:
    subscribe("h1", hook_url="http://10.0.0.1/in")  # private: refused at delivery time too
    last = record_of(ping_message("h1"), delivery.MAX_ATTEMPTS)  # dead-lettered, not retried
    assert delivery.handle([last]) == {"batchItemFailures": []}
    (entry,), _ = WebhookStore(USER).delivery_attempts("h1", limit=10, next_token=None, now=0)
    assert entry["attempt"] == delivery.MAX_ATTEMPTS and entry["status"] == "failed"
    assert entry["responseStatus"] is None and entry["error"].startswith("hookUrl")


# ----------------------------------------------------------------------------- the test ping


@pytest.fixture
def queue(pool: str, monkeypatch: pytest.MonkeyPatch) -> str:
    provisioner = Provisioner(template(), lambda service: boto3.client(service))
    url = str(provisioner.ref("DeliveryQueue"))
    monkeypatch.setenv("DELIVERY_QUEUE_URL", url)
    config.settings.cache_clear()
    return url


def drained(url: str) -> list[dict[str, Any]]:
    sqs = boto3.client("sqs")
    found: list[dict[str, Any]] = []
    while messages := sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages"):
        found += [json.loads(m["Body"]) for m in messages]
        for m in messages:
            sqs.delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])
    return found


@settings(
    max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(keys=st.lists(st.sampled_from(["a", "b", "c", None]), min_size=1, max_size=6))
def test_a_ping_is_queued_once_per_idempotency_key(
    pool: str, queue: str, keys: list[str | None]
) -> None:
    """Any sequence of test pings, some retried with the key of an earlier one: one ping on
    the queue per key (and per unkeyed request), and every retry answers the first's id."""
    user, _ = pool_user(pool)
    hook = call(
        "webhooks",
        "POST",
        "/v1/webhooks",
        user,
        body={"hookUrl": "http://127.0.0.1:9/in", "triggerType": "task"},
    ).body["webhook"]["id"]
    answered: dict[str, str] = {}
    unkeyed: list[str] = []
    for key in keys:
        headers = {"Idempotency-Key": key} if key else {}
        answer = call("webhooks", "POST", f"/v1/webhooks/{hook}/test", user, headers=headers)
        assert answer.status == 202, answer.body
        ping_id = answer.body["delivery"]["id"]
        if key is None:
            unkeyed.append(ping_id)
        else:
            assert answered.setdefault(key, ping_id) == ping_id
    queued = [m["id"] for m in drained(queue) if m["webhookId"] == hook]
    assert sorted(queued) == sorted([*answered.values(), *unkeyed])

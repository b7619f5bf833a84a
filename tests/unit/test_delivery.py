"""docs/API.md, "Webhooks": the delivery function gives each message of a batch its own outcome.
An exception in one message retries that message alone (never the ones delivered beside it),
a body that is not a delivery message is dead-lettered at once, and an attempt ends 10 s after
it began however slowly the receiver answers."""

from __future__ import annotations

import ipaddress
import json
import socket
import threading
import time
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from standardwebhooks.webhooks import Webhook

from stint import config, delivery
from stint.store import WebhookStore

USER = "delivery-user"
SECRET = "whsec_c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0"


class Receiver:
    """A raw HTTP receiver on 127.0.0.1: answers 204 after `delay` seconds, or trickles its
    status line and headers a byte every `trickle` seconds."""

    def __init__(self) -> None:
        self.bodies: list[dict[str, Any]] = []
        self.trickle = 0.0
        self.cut_off = threading.Event()  # the client closed before the answer was sent
        self._server = socket.create_server(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self._server.getsockname()[1]}/in"
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while True:
            try:
                connection, _ = self._server.accept()
            except OSError:
                return
            threading.Thread(target=self._answer, args=(connection,), daemon=True).start()

    def _answer(self, connection: socket.socket) -> None:
        with connection:
            reader = connection.makefile("rb")
            headers = {}
            while (line := reader.readline().strip()) != b"":
                name, _, value = line.decode().partition(":")
                headers[name.strip().lower()] = value.strip()
            body = reader.read(int(headers.get("content-length", "0")))
            Webhook(SECRET).verify(body, headers)  # raises: no answer, a failed attempt
            self.bodies.append(json.loads(body))
            answer = b"HTTP/1.1 204 No Content\r\nX-Slow: " + b"z" * 40 + b"\r\n\r\n"
            try:
                for n in range(len(answer)) if self.trickle else [0]:
                    connection.sendall(answer[n : n + 1] if self.trickle else answer)
                    time.sleep(self.trickle)
            except OSError:
                self.cut_off.set()

    def close(self) -> None:
        self._server.close()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    receiver = Receiver()
    yield receiver
    receiver.close()


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


def subscribe(receiver: Receiver, webhook_id: str) -> None:
    webhook = {
        "id": webhook_id,
        "hookUrl": receiver.url,
        "triggerType": "project",
        "status": "active",
        "createdAt": "2026-11-23T00:00:00.000Z",
        "secret": SECRET,
    }
    WebhookStore(USER).create(webhook, limit=20, full=RuntimeError("full"))


def message(webhook_id: str, event_id: str) -> dict[str, Any]:
    return {
        "userId": USER,
        "webhookId": webhook_id,
        "id": event_id,
        "type": "project.created",
        "triggerType": "project",
        "occurredAt": "2026-11-23T09:00:00.000Z",
        "data": {"id": event_id, "hourlyRate": 95.5},
    }


def received(url: str, bodies: list[str]) -> list[dict[str, Any]]:
    """Send `bodies` to the queue and receive them as the event source mapping passes them."""
    sqs = boto3.client("sqs")
    for body in bodies:
        sqs.send_message(QueueUrl=url, MessageBody=body)
    records: list[dict[str, Any]] = []
    while len(records) < len(bodies):
        answer = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, AttributeNames=["All"])
        records += [
            {
                "messageId": m["MessageId"],
                "receiptHandle": m["ReceiptHandle"],
                "body": m["Body"],
                "attributes": m["Attributes"],
            }
            for m in answer.get("Messages", [])
        ]
    return records


def drain(url: str) -> list[dict[str, Any]]:
    sqs = boto3.client("sqs")
    found: list[dict[str, Any]] = []
    while messages := sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages"):
        found += [json.loads(m["Body"]) for m in messages]
    return found


def test_an_exception_in_one_message_retries_it_alone(
    queues: dict[str, str], receiver: Receiver, monkeypatch: pytest.MonkeyPatch
) -> None:
    for hook in ("h1", "h2", "h3"):
        subscribe(receiver, hook)
    records = received(
        queues["deliveries"], [json.dumps(message(h, f"msg_{h}")) for h in ("h1", "h2", "h3")]
    )
    real_get = WebhookStore.get_webhook

    def get_webhook(store: WebhookStore, webhook_id: str) -> dict[str, Any] | None:
        if webhook_id == "h2":
            error = {"Code": "InternalServerError", "Message": "injected"}
            raise ClientError({"Error": error}, "GetItem")
        return real_get(store, webhook_id)

    monkeypatch.setattr(WebhookStore, "get_webhook", get_webhook)
    result = delivery.handle(records)
    by_hook = {json.loads(r["body"])["webhookId"]: r["messageId"] for r in records}
    assert result == {"batchItemFailures": [{"itemIdentifier": by_hook["h2"]}]}
    assert sorted(b["id"] for b in receiver.bodies) == ["msg_h1", "msg_h3"]  # each once
    assert receiver.bodies[0]["data"]["hourlyRate"] == 95.5


def test_a_message_that_is_not_a_delivery_is_dead_lettered_and_the_rest_flow(
    queues: dict[str, str], receiver: Receiver
) -> None:
    subscribe(receiver, "h1")
    bodies = ["not json", json.dumps({"userId": USER}), json.dumps(message("h1", "msg_ok"))]
    records = received(queues["deliveries"], bodies)
    assert delivery.handle(records) == {"batchItemFailures": []}
    assert [b["id"] for b in receiver.bodies] == ["msg_ok"]
    dead = drain(queues["dead"])
    assert sorted(d["body"] for d in dead) == sorted(bodies[:2])
    assert all(d["lastError"].startswith("not a delivery message") for d in dead)


def test_an_attempt_ends_at_its_deadline_however_the_receiver_trickles(
    queues: dict[str, str], receiver: Receiver, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every read gets a byte within the socket timeout, yet the exchange is cut off."""
    monkeypatch.setattr(delivery, "TIMEOUT_SECONDS", 1.0)
    receiver.trickle = 0.25  # ~60 bytes: 15 s for the whole answer
    webhook = {"id": "h1", "hookUrl": receiver.url, "secret": SECRET}
    outcome = delivery.deliver(message("h1", "msg_slow"), webhook)
    assert outcome == delivery.Outcome(False, "no answer within 1 s")
    assert receiver.cut_off.wait(10)


@pytest.mark.parametrize(
    ("url", "local", "checked", "rebound"),
    [
        ("https://hooks.example.com/in", False, "93.184.216.34", "10.0.0.9"),
        ("http://hooks.localhost:8080/in", True, "127.0.0.1", "10.0.0.9"),
    ],
)
def test_a_delivery_connects_to_the_address_it_checked(
    monkeypatch: pytest.MonkeyPatch, url: str, local: bool, checked: str, rebound: str
) -> None:
    """DNS rebinding (docs/DESIGN.md, "Webhooks"): the name answers a public address to the
    check and a private one to every later lookup; the connection must still go to the first."""
    monkeypatch.setenv("STINT_LOCAL", "1" if local else "0")
    lookups: list[str] = []

    def getaddrinfo(host: str, port: int, *args: Any, **kwargs: Any) -> list[Any]:
        try:
            address = str(ipaddress.ip_address(host))  # an address resolves to itself
        except ValueError:
            address = rebound if lookups else checked
            lookups.append(host)
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (address, port))]

    connected: list[tuple[str, int]] = []

    def create_connection(endpoint: tuple[str, int], *args: Any, **kwargs: Any) -> Any:
        """Where socket.create_connection would connect (it resolves a name, as here), then
        refused: nothing leaves the machine."""
        host, port = endpoint
        address = socket.getaddrinfo(host, port)[0][4]
        connected.append((str(address[0]), int(address[1])))
        raise ConnectionRefusedError(f"refused by the test at {connected[-1]}")

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    monkeypatch.setattr(socket, "create_connection", create_connection)
    webhook = {"id": "h1", "hookUrl": url, "secret": SECRET}
    outcome = delivery.deliver(message("h1", "msg_rebound"), webhook)
    assert lookups, "the check resolved the host name"
    port = 443 if url.startswith("https") else 8080
    assert connected == [(checked, port)], f"connected to {connected}, checked {checked}"
    assert not outcome.delivered and outcome.reason.startswith("ConnectionRefusedError")

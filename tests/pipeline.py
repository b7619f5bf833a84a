"""What the whole-pipeline tests share: a webhook receiver, a sync replica, the fault switch,
the answers a client may see, and the committed changes as the table's stream has them.

Used by tests/faults (writers under injected faults) and tests/property (values from the
models). Everything here talks to a running local stack over HTTP, as a client would, except
`committed_changes`, which reads the emulator's stream (local stacks only).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import boto3
import requests
from boto3.dynamodb.types import TypeDeserializer
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from stint.kinds import KINDS
from tests.api.conftest import Api

# From the registry of kinds, so a new kind is checked without new test code: each kind's
# webhook trigger, and its list in a sync page.
TRIGGER_OF_KIND = {name: kind.trigger for name, kind in KINDS.items()}
SYNC_LISTS = {kind.plural: name for name, kind in KINDS.items()}
GATEWAY_CRASH = {"message": "Internal server error"}  # API Gateway's 502 for a failed function


# ----------------------------------------------------------------------------- answers


class Answers:
    """Every answer the tests saw, by status, and the ones docs/API.md does not allow."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.statuses: Counter[int] = Counter()
        self.refused: list[str] = []  # answers docs/API.md does not allow, described

    def check(self, response: requests.Response, *, crashes_allowed: bool) -> None:
        """2xx; 4xx with docs/API.md's error body (or the authorizer's 401); 503 with
        Retry-After; and, when functions may die, the gateway's 502 for a crashed function."""
        problem = answer_problem(response, crashes_allowed=crashes_allowed)
        with self.lock:
            self.statuses[response.status_code] += 1
            if problem:
                request = response.request
                self.refused.append(
                    f"{request.method} {request.path_url}: {response.status_code} {problem}: "
                    f"{response.text[:300]}"
                )


def answer_problem(response: requests.Response, *, crashes_allowed: bool) -> str | None:
    status = response.status_code
    if 200 <= status < 300:
        return None
    if 400 <= status < 500:
        return error_body_problem(response)
    if status == 503:
        return None if response.headers.get("Retry-After") else "a 503 without Retry-After"
    if status == 502 and crashes_allowed:
        with contextlib.suppress(ValueError):
            if response.json() == GATEWAY_CRASH:
                return None
    return "a 5xx"


def error_body_problem(response: requests.Response) -> str | None:
    try:
        body = response.json()
    except ValueError:
        return "a 4xx that is not JSON"
    if response.status_code == 401 and body == {"message": "Unauthorized"}:
        return None
    if not isinstance(body, dict) or set(body) != {"error"} or not isinstance(body["error"], dict):
        return "a 4xx without docs/API.md's error body"
    error = body["error"]
    if not (isinstance(error.get("code"), str) and error["code"]):
        return "an error body without a code"
    if not (isinstance(error.get("message"), str) and error["message"]):
        return "an error body without a message"
    return None


def retryable(response: requests.Response) -> bool:
    """What a client retries with the same request (and the same Idempotency-Key)."""
    status = response.status_code
    if status >= 500 or status == 429:
        return True
    return status == 409 and bool(response.headers.get("Retry-After"))


def retry_pause(response: requests.Response, attempt: int) -> float:
    """Retry-After (capped, so a test does not sleep long) or a short doubling pause."""
    with contextlib.suppress(KeyError, ValueError):
        return min(float(response.headers["Retry-After"]), 1.0)
    return min(0.05 * 2**attempt, 1.0)


@dataclass
class Outcome:
    response: requests.Response
    attempts: int


def until_answered(
    send: Callable[[], requests.Response],
    answers: Answers,
    *,
    crashes_allowed: bool,
    deadline_s: float = 45.0,
) -> Outcome:
    """Send the same request again while its answer is retryable (each answer checked)."""
    deadline = time.monotonic() + deadline_s
    attempt = 0
    while True:
        attempt += 1
        response = send()
        answers.check(response, crashes_allowed=crashes_allowed)
        if not retryable(response) or time.monotonic() > deadline:
            return Outcome(response, attempt)
        time.sleep(retry_pause(response, attempt))


# ----------------------------------------------------------------------------- the switch


def set_faults(stack: dict[str, Any], **plan: float) -> dict[str, Any]:
    """Put a fault plan in force (local.faults); no arguments: faults off."""
    response = requests.post(stack["ApiUrl"] + "/_local/faults", json=plan, timeout=30)
    assert response.status_code == 200, response.text
    return dict(response.json())


def fault_state(stack: dict[str, Any]) -> dict[str, Any]:
    response = requests.get(stack["ApiUrl"] + "/_local/faults", timeout=30)
    assert response.status_code == 200, response.text
    return dict(response.json())


# ----------------------------------------------------------------------------- webhooks


@dataclass(frozen=True)
class Delivery:
    path: str
    webhook_id: str
    body: bytes
    payload: dict[str, Any] | None  # when the signature verified


@dataclass
class Receiver:
    """A receiver on 127.0.0.1: verifies each POST with `standardwebhooks` (a secret per
    path) and answers 500 to the first attempt of `fail_share` of the webhook-ids (chosen by
    a hash, so retries of the same id succeed), 204 to the rest."""

    url: str = ""
    fail_share: float = 0.0
    secrets: dict[str, str] = field(default_factory=dict)
    deliveries: list[Delivery] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def handle(self, path: str, headers: dict[str, str], body: bytes) -> int:
        payload = None
        with contextlib.suppress(KeyError, WebhookVerificationError):
            payload = Webhook(self.secrets[path]).verify(body, headers)
        webhook_id = headers.get("webhook-id", "")
        with self.lock:
            first = all(d.webhook_id != webhook_id for d in self.deliveries)
            self.deliveries.append(Delivery(path, webhook_id, body, payload))
        if payload is None:
            return 400
        return 500 if first and self._fails(webhook_id) else 204

    def _fails(self, webhook_id: str) -> bool:
        digest = hashlib.sha256(webhook_id.encode()).digest()
        return digest[0] / 256 < self.fail_share

    def snapshot(self) -> list[Delivery]:
        with self.lock:
            return list(self.deliveries)

    def unique(self) -> dict[str, Delivery]:
        """The verified deliveries, one per webhook-id (after de-duplication)."""
        return {d.webhook_id: d for d in self.snapshot() if d.payload is not None}


@contextlib.contextmanager
def running_receiver(fail_share: float = 0.0) -> Iterator[Receiver]:
    receiver = Receiver(fail_share=fail_share)

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            headers = {name.lower(): value for name, value in self.headers.items()}
            status = receiver.handle(self.path, headers, body)
            self.send_response(status)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *_: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    receiver.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield receiver
    finally:
        server.shutdown()
        server.server_close()


def subscribe(
    api: Api, receiver: Receiver, triggers: list[str], workspace_id: str | None = None
) -> None:
    """One subscription per trigger, at receiver path `/<user>/<trigger>` (of a shared
    workspace: `/<user>/<workspace>/<trigger>`)."""
    where = {"workspaceId": workspace_id} if workspace_id else {}
    for trigger in triggers:
        user = hashlib.sha256(api.token.encode()).hexdigest()[:10]
        path = f"/{user}/{workspace_id}/{trigger}" if workspace_id else f"/{user}/{trigger}"
        body = {"hookUrl": receiver.url + path, "triggerType": trigger, **where}
        response = api.post("/v1/webhooks", json=body)
        assert response.status_code == 201, response.text
        receiver.secrets[path] = response.json()["webhook"]["secret"]


# ----------------------------------------------------------------------------- sync


@dataclass
class Replica:
    """A client's copy of an account, built from sync pages (docs/API.md, "Sync tokens")."""

    api: Api
    answers: Answers
    crashes_allowed: bool = False
    token: str = "*"
    entities: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)
    pages: int = 0
    limit: int | None = None  # a page's `limit` (None: the server's default)
    # Every (kind, id, version) its pages delivered, the version the entity's whole JSON (or
    # "deleted"): one change delivered twice (on two pages, or under two tokens) counts 2,
    # which merging by id would hide.
    delivered: Counter[tuple[str, str, str]] = field(default_factory=Counter)

    def sync(self, max_pages: int = 10_000) -> None:
        """Follow the tokens until `hasMore` is false (a token that never moves on would go
        on for ever: at most `max_pages`)."""
        for _ in range(max_pages):
            page = self._page(self.token)
            for name, kind in SYNC_LISTS.items():
                for entity in page.get(name, []):
                    self.entities[(kind, entity["id"])] = entity
                    version = json.dumps(entity, sort_keys=True)
                    self.delivered[(kind, entity["id"], version)] += 1
            for gone in page.get("deleted", []):
                self.entities.pop((gone["type"], gone["id"]), None)
                self.delivered[(gone["type"], gone["id"], "deleted")] += 1
            self.token = page["syncToken"]
            self.pages += 1
            if not page["hasMore"]:
                return
        raise AssertionError(f"hasMore after {max_pages} pages: the token does not move on")

    def _page(self, token: str) -> dict[str, Any]:
        outcome = until_answered(
            lambda: self.api.get("/v1/sync", params={"syncToken": token, "limit": self.limit}),
            self.answers,
            crashes_allowed=self.crashes_allowed,
        )
        assert outcome.response.status_code == 200, outcome.response.text
        return dict(outcome.response.json())


def full_sync(api: Api, answers: Answers, *, crashes_allowed: bool = False) -> Replica:
    replica = Replica(api, answers, crashes_allowed)
    replica.sync()
    return replica


# ----------------------------------------------------------------------------- the stream


@dataclass(frozen=True)
class Change:
    """A committed change of an entity, as the table's stream recorded it."""

    kind: str
    id: str
    action: str  # created / updated / deleted
    last_updated: str | None  # the new image's; None for a deletion


def committed_changes(
    stack: dict[str, Any], user_id: str, workspace_id: str | None = None
) -> list[Change]:
    """Every change of the user's entities (of a shared workspace's) on the table's stream (the
    emulator's, read directly: the local stack only) after the partition's first webhook
    subscription: a change the stream carries before it may or may not be delivered, as the
    dispatcher reads the subscriptions when it gets to the change."""
    partition = f"WS#{workspace_id}" if workspace_id else f"USER#{user_id}"
    region = stack["Region"]
    endpoint = stack["CognitoEndpointUrl"]
    table = boto3.client("dynamodb", region_name=region, endpoint_url=endpoint).describe_table(
        TableName=stack["TableName"]
    )["Table"]
    streams = boto3.client("dynamodbstreams", region_name=region, endpoint_url=endpoint)
    shard = streams.describe_stream(StreamArn=table["LatestStreamArn"])["StreamDescription"][
        "Shards"
    ][0]
    iterator = streams.get_shard_iterator(
        StreamArn=table["LatestStreamArn"],
        ShardId=shard["ShardId"],
        ShardIteratorType="TRIM_HORIZON",
    )["ShardIterator"]
    actions = {"INSERT": "created", "MODIFY": "updated", "REMOVE": "deleted"}
    deserialize = TypeDeserializer().deserialize
    changes = []
    subscribed = False
    while iterator:
        response = streams.get_records(ShardIterator=iterator, Limit=1000)
        for record in response["Records"]:
            change = record["dynamodb"]
            image = change.get("NewImage") or change.get("OldImage") or {}
            item = {name: deserialize(value) for name, value in image.items()}
            if item.get("pk") != partition:
                continue
            subscribed = subscribed or item.get("kind") == "webhook"
            if not subscribed or item.get("kind") not in TRIGGER_OF_KIND:
                continue
            new = change.get("NewImage")
            changes.append(
                Change(
                    kind=str(item["kind"]),
                    id=str(item["id"]),
                    action=actions[record["eventName"]],
                    last_updated=str(deserialize(new["lastUpdated"])) if new else None,
                )
            )
        if not response["Records"]:
            break
        iterator = response.get("NextShardIterator")
    return changes


def undelivered(changes: list[Change], receiver: Receiver) -> list[Change]:
    """The committed changes no verified delivery carries (type, id and lastUpdated)."""
    delivered = set()
    for delivery in receiver.unique().values():
        payload = delivery.payload or {}
        data = payload.get("data") or {}
        event_type = str(payload.get("type", ""))
        delivered.add((event_type, str(data.get("id")), data.get("lastUpdated")))
    missing = []
    for change in changes:
        trigger = TRIGGER_OF_KIND[change.kind]
        if (f"{trigger}.{change.action}", change.id, change.last_updated) not in delivered:
            missing.append(change)
    return missing


def duplicated(receiver: Receiver) -> list[str]:
    """Changes delivered under more than one webhook-id, and webhook-ids whose retries
    carried different bodies: what de-duplication by webhook-id would not fix."""
    problems = []
    bodies: dict[str, set[bytes]] = {}
    for delivery in receiver.snapshot():
        if delivery.payload is not None:
            bodies.setdefault(delivery.webhook_id, set()).add(delivery.body)
    problems += [f"{wid}: {len(b)} different bodies" for wid, b in bodies.items() if len(b) > 1]
    seen: dict[tuple[str, str, str, Any], str] = {}
    for webhook_id, delivery in receiver.unique().items():
        payload = delivery.payload or {}
        data = payload.get("data") or {}
        change = (
            delivery.path,
            str(payload.get("type")),
            str(data.get("id")),
            data.get("lastUpdated"),
        )
        if change in seen and seen[change] != webhook_id:
            problems.append(f"{change}: delivered as {seen[change]} and as {webhook_id}")
        seen[change] = webhook_id
    return problems


def wait_until(done: Callable[[], bool], seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if done():
            return True
        time.sleep(0.25)
    return done()


def json_of(response: requests.Response) -> Any:
    return json.loads(response.text)

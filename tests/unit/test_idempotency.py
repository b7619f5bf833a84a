"""docs/API.md, "Retrying safely: Idempotency-Key": which requests are the same, what a retry is
answered, and what is kept.

Through the real functions over moto where a route shows it; `idempotency.run_once` itself, with
a stand-in request, for what no route answers (a 3xx, a response without multiValueHeaders, a
request that loses every race, a run that another run of the same request overtakes).
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from botocore.exceptions import ClientError
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from stint import idempotency
from stint.errors import StintError
from stint.store import StaleRead
from stint.store import transactions as store_transactions

from .handlers import Answer, call, pool, pool_user

__all__ = ["pool"]  # the fixture, used by name


class User:
    def __init__(self, pool_id: str) -> None:
        self.sub, self.email = pool_user(pool_id)

    def post(self, group: str, path: str, body: Any, key: str) -> Answer:
        headers = {"Idempotency-Key": key}
        return call(group, "POST", path, self.sub, username=self.email, body=body, headers=headers)

    def synced(self) -> dict[str, Any]:
        """Everything the user has (a full sync, without its token)."""
        answer = call("sync", "GET", "/v1/sync", self.sub, username=self.email)
        assert answer.status == 200 and not answer.body["hasMore"], answer.body
        answer.body.pop("syncToken")
        return dict(answer.body)

    def project(self, title: str) -> str:
        answer = self.post("catalog", "/v1/projects", {"project": {"title": title}}, new_key())
        assert answer.status == 201, answer.body
        return str(answer.body["project"]["id"])


def new_key() -> str:
    return f"key-{uuid.uuid4()}"


def _conflict(answer: Answer) -> None:
    assert answer.status == 409, answer.body
    assert answer.body["error"]["code"] == "idempotency_conflict"
    assert "Idempotency-Key" in answer.body["error"]["message"]  # says which rule refused it


# ----------------------------------------------------------------------------- through routes


@pytest.mark.parametrize("change", ["another body", "another path"])
def test_the_same_key_with_another_request_is_409_and_writes_nothing(
    pool: str, change: str
) -> None:
    """The request is its path and body: the same body to another project's tasks is another
    request, as is another body to the same path."""
    me = User(pool)
    first, second = me.project("A"), me.project("B")
    key = new_key()
    created = me.post("tasks", f"/v1/projects/{first}/tasks", {"task": {"title": "W"}}, key)
    assert created.status == 201, created.body
    before = me.synced()

    if change == "another body":
        retry = me.post("tasks", f"/v1/projects/{first}/tasks", {"task": {"title": "X"}}, key)
    else:
        retry = me.post("tasks", f"/v1/projects/{second}/tasks", {"task": {"title": "W"}}, key)
    _conflict(retry)
    assert me.synced() == before


def test_the_same_body_in_another_key_order_is_the_same_request(pool: str) -> None:
    """The body is compared as JSON, not as text: a client that serializes its fields in
    another order on a retry is answered as a retry."""
    me = User(pool)
    project = me.project("P")
    key = new_key()
    first = me.post("tasks", "/v1/tasks", {"task": {"title": "W", "projectId": project}}, key)
    assert first.status == 201, first.body
    before = me.synced()
    retry = me.post("tasks", "/v1/tasks", {"task": {"projectId": project, "title": "W"}}, key)
    assert (retry.status, retry.body) == (201, first.body)
    assert retry.headers.get("Idempotent-Replayed") == "true"
    assert me.synced() == before


@pytest.mark.parametrize(("length", "status"), [(0, 400), (1, 201), (255, 201), (256, 400)])
def test_a_key_is_1_to_255_characters(pool: str, length: int, status: int) -> None:
    me = User(pool)
    answer = me.post("catalog", "/v1/projects", {"project": {"title": "A"}}, "k" * length)
    assert answer.status == status, answer.body
    if status == 400:
        assert answer.body["error"]["code"] == "validation_error"
        assert "Idempotency-Key" in answer.body["error"]["message"]
    else:  # the key was kept: the same request again is a replay
        again = me.post("catalog", "/v1/projects", {"project": {"title": "A"}}, "k" * length)
        assert again.headers.get("Idempotent-Replayed") == "true"


def test_a_retried_batch_that_wrote_alone_replays_and_writes_nothing_again(pool: str) -> None:
    """A non-atomic batch sends each operation's write as it goes (its key is recorded after
    its answer): a retry must find the key answered before it writes anything."""
    me = User(pool)
    task = me.post("tasks", "/v1/tasks", {"task": {"title": "T"}}, new_key()).body["task"]["id"]
    session = {"startTimestamp": "2026-11-22T09:00:00Z", "duration": 60}
    operation = {"op": "create", "body": {"task": {"id": task}, "session": session}}
    body = {"atomic": False, "operations": [operation, operation]}
    key = new_key()
    first = me.post("sessions", "/v1/sessions/batch", body, key)
    assert first.status == 200, first.body
    written = me.synced()
    retry = me.post("sessions", "/v1/sessions/batch", body, key)
    assert (retry.status, retry.body) == (200, first.body)
    assert retry.headers.get("Idempotent-Replayed") == "true"
    assert me.synced() == written


# ----------------------------------------------------------------------------- run_once itself


class Requests:
    """A stand-in POST with an Idempotency-Key, answered by `run_once` as the functions call it
    (the error answer as `stint.api` writes it). A retry is run again (its writes, held, are
    dropped): what it answers is what shows whether it was taken for a retry."""

    def __init__(self, key: str | None = None) -> None:
        self.user = f"user-{uuid.uuid4()}"
        self.event = {
            "httpMethod": "POST",
            "path": "/v1/things",
            "headers": {"Idempotency-Key": key or new_key()},
            "body": '{"thing": {"title": "T"}}',
        }

    def send(self, response: dict[str, Any]) -> dict[str, Any]:
        def resolve() -> dict[str, Any]:
            return json.loads(json.dumps(response))  # a new dict each run, as a function makes

        return idempotency.run_once(self.event, self.user, resolve, error_answer)


def error_answer(error: StintError) -> dict[str, Any]:
    return {
        "statusCode": error.status,
        "headers": error.headers(),
        "body": json.dumps(error.body()),
    }


@pytest.fixture
def stand_in(table: str) -> Iterator[type[Requests]]:
    yield Requests


HEADER_SHAPES = {
    "both views": ({"ETag": '"v1"'}, {"ETag": ['"v1"'], "Vary": ["Origin", "Accept"]}),
    "no multiValueHeaders": ({"ETag": '"v1"'}, None),
    "no headers": (None, None),
}


@pytest.mark.parametrize("shape", HEADER_SHAPES)
def test_a_replay_is_the_first_answer_marked_replayed_in_every_view_of_its_headers(
    stand_in: type[Requests], shape: str
) -> None:
    """API Gateway merges a proxy response's `headers` and `multiValueHeaders`; a reader of
    either (the local gateway, a test client) sees the replay and the first answer's headers."""
    headers, multi = HEADER_SHAPES[shape]
    response: dict[str, Any] = {"statusCode": 201, "body": '{"id": "1"}'}
    if headers is not None:
        response["headers"] = headers
    if multi is not None or headers is not None:
        response["multiValueHeaders"] = multi
    request = stand_in()
    assert request.send(response) == response  # the first answer as it was
    replay = request.send({"statusCode": 201, "body": '{"id": "2"}'})

    assert replay["body"] == '{"id": "1"}'
    assert replay["headers"] == {**(headers or {}), "Idempotent-Replayed": "true"}
    if multi is None:
        assert replay.get("multiValueHeaders") is None
    else:
        assert replay["multiValueHeaders"] == {**multi, "Idempotent-Replayed": ["true"]}


@settings(max_examples=60, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.integers(100, 599))
@example(199).via("the edge below 2xx")
@example(200).via("the first 2xx")
@example(299).via("the last 2xx")
@example(300).via("the edge above 2xx")
def test_only_a_2xx_answer_is_kept(stand_in: type[Requests], status: int) -> None:
    """A 2xx answer is the one a retry gets; any other status leaves the key unused, and a
    retry is answered as a new request. (Each example has its own key: the table is shared.)"""
    request = stand_in()
    first = request.send({"statusCode": status, "body": "first"})
    assert first["statusCode"] == status
    again = request.send({"statusCode": 201, "body": "second"})
    assert again["body"] == ("first" if 200 <= status < 300 else "second")


def test_a_request_that_loses_every_race_is_answered_409_retry_after_1(
    stand_in: type[Requests], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Its held write lost the race for a counter on every attempt: the client is told to
    retry, in a second. Three attempts here, not the seconds of attempts a function makes."""
    monkeypatch.setattr(store_transactions, "attempts", lambda: iter(range(3)))
    runs = 0

    def loses() -> dict[str, Any]:
        nonlocal runs
        runs += 1
        raise StaleRead()

    request = stand_in()
    answer = idempotency.run_once(request.event, request.user, loses, error_answer)
    assert runs == 3
    assert (answer["statusCode"], answer["headers"]) == (409, {"Retry-After": "1"})
    error = json.loads(answer["body"])["error"]
    assert error["code"] == "conflict"
    assert "concurrent writes" in error["message"]


def test_a_run_overtaken_by_another_run_of_the_request_answers_with_the_winners_answer(
    stand_in: type[Requests],
) -> None:
    """Two runs of one request at once (a client's retry while the first still runs): the one
    whose record is written first wins, and the other answers with its answer, not its own."""
    request = stand_in()

    def overtaken() -> dict[str, Any]:
        # The other run starts and finishes while this one is resolving.
        winner = request.send({"statusCode": 201, "body": "winner"})
        assert winner["body"] == "winner"
        return {"statusCode": 201, "body": "loser"}

    answer = idempotency.run_once(request.event, request.user, overtaken, error_answer)
    assert answer["body"] == "winner"
    assert answer["headers"]["Idempotent-Replayed"] == "true"


def test_a_side_effect_is_not_run_again_by_a_run_overtaken_by_the_first(
    stand_in: type[Requests],
) -> None:
    """A run that wrote nothing but queued a side effect (a message, say) and was overtaken by
    another run of the request: it answers with the winner's answer and drops its effect, which
    the winner ran already."""
    request = stand_in()
    ran: list[str] = []

    def overtaken() -> dict[str, Any]:
        winner = request.send({"statusCode": 202, "body": "winner"})
        assert winner["body"] == "winner"
        store_transactions.outside_effect(lambda: ran.append("loser's effect"))
        return {"statusCode": 202, "body": "loser"}

    answer = idempotency.run_once(request.event, request.user, overtaken, error_answer)
    assert answer["body"] == "winner"
    assert ran == []


def test_a_throttled_write_of_a_keyed_request_is_answered_503_not_raised(
    stand_in: type[Requests],
) -> None:
    """DynamoDB throttling the request's write (its own, or the one held for the record) past
    botocore's retries is the API's `503 service_unavailable`, as without a key: it never
    escapes the function as an exception (the gateway's 502)."""
    request = stand_in()

    def throttled() -> dict[str, Any]:
        error = {"Error": {"Code": "ThrottlingException", "Message": "Rate exceeded"}}
        raise ClientError(error, "TransactWriteItems")

    answer = idempotency.run_once(request.event, request.user, throttled, error_answer)
    assert answer["statusCode"] == 503
    assert json.loads(answer["body"])["error"]["code"] == "service_unavailable"

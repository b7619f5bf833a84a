"""DynamoDB's errors as inputs (docs/DESIGN.md, "Testing"): what the store does with
each, and what the client sees. Errors are injected with botocore's `before-send` event on the
store's own client, so botocore parses them (and retries them, where it does) as it would
DynamoDB's; moto stays the table. Only a race is retried; anything else is answered at once.
"""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal
from typing import Any

import pytest
from botocore.awsrequest import AWSResponse
from botocore.exceptions import ClientError
from botocore.retries import standard
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from moto.core.models import botocore_stubber

from stint.config import settings as stint_settings
from stint.errors import Conflict, ServiceUnavailable, StintError, ValidationFailed
from stint.store import (
    COUNTER_SK,
    Put,
    StaleRead,
    Store,
    batch_get,
    client_error,
    deferring,
    dynamodb,
    entity_sk,
    reads,
    transactions,
    user_pk,
)
from stint.store import workspaces as workspace_store
from stint.store.keys import item_key

from .handlers import call

NUMBER_OVERFLOW = (
    "Number overflow. Attempting to store a number with magnitude larger than supported range"
)
# What the client reads of each refusal (the error's message).
ANSWERS = {
    400: "a number is outside what can be stored (38 digits, 1E-130 to 1E+126)",
    500: "The request could not be completed",
    503: "The service is busy; retry the request shortly",
}


class _Body:
    def __init__(self, payload: dict[str, Any]) -> None:
        self.payload = json.dumps(payload).encode()

    def stream(self, **_: Any) -> Iterator[bytes]:
        yield self.payload


def dynamodb_error(status: int, code: str, message: str = "injected", **extra: Any) -> AWSResponse:
    body = {"__type": f"com.amazonaws.dynamodb.v20120810#{code}", "message": message, **extra}
    return AWSResponse("https://dynamodb.local/", status, {}, _Body(body))


def cancelled(*codes: str, message: str = "injected") -> AWSResponse:
    """A TransactionCanceledException with one reason per action."""
    reasons = [{"Code": code, "Message": message} for code in codes]
    return dynamodb_error(400, "TransactionCanceledException", CancellationReasons=reasons)


class Injector:
    """Answers the next calls of an operation with the responses given, then lets DynamoDB
    (moto) answer. It takes the place of moto's own `before-send` handler on the store's client
    while attached: botocore calls every `before-send` handler, so moto would otherwise apply
    the very write that the injected error says failed."""

    def __init__(self, operation: str, responses: list[AWSResponse], *, forever: bool) -> None:
        self.event = f"before-send.dynamodb.{operation}"
        self.responses = responses
        self.forever = forever
        self.calls = 0  # every attempt of the operation, botocore's retries included

    def __call__(self, event_name: str, request: Any, **kwargs: Any) -> AWSResponse | None:
        if event_name == self.event:
            self.calls += 1
            if self.forever:
                return self.responses[0]
            if self.responses:
                return self.responses.pop(0)
        return botocore_stubber(event_name, request, **kwargs)


@contextmanager
def inject(operation: str, *responses: AWSResponse, forever: bool = False) -> Iterator[Injector]:
    injector = Injector(operation, list(responses), forever=forever)
    events = dynamodb().meta.events
    events.unregister("before-send", botocore_stubber)
    events.register("before-send", injector)
    try:
        yield injector
    finally:
        events.unregister("before-send", injector)
        events.register("before-send", botocore_stubber)


@pytest.fixture(autouse=True)
def backoffs(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The store's backoffs (a retry loop), counted; botocore's retries happen (their attempts
    are counted too) without their seconds of backoff. "At once" is one call and no backoff:
    no wall-clock bound, which a loaded machine would break."""
    monkeypatch.setattr(standard.ExponentialBackoff, "delay_amount", lambda self, context: 0)
    slept: list[int] = []
    for module, name in (
        (transactions, "backoff"),
        (reads, "throttled_backoff"),
        (workspace_store, "throttled_backoff"),
    ):
        real = getattr(module, name)

        def counted(attempt: int, real: Any = real) -> None:
            slept.append(attempt)
            real(attempt)

        monkeypatch.setattr(module, name, counted)
    return slept


def _project(entity_id: str, **fields: Any) -> dict[str, Any]:
    return {"id": entity_id, "title": f"P {entity_id}", **fields}


def _counter(store: Store) -> int:
    item = (
        dynamodb()
        .get_item(TableName=store._table, Key={"pk": {"S": store.pk}, "sk": {"S": COUNTER_SK}})
        .get("Item")
    )
    return int(item["counter"]["N"]) if item else 0


# ----------------------------------------------------------------------------- unstorable data


@pytest.mark.usefixtures("table")
@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("plannedDurationHours", Decimal("1e308")),
        ("plannedDurationHours", float("inf")),
        ("plannedDuration", int("9" * 4300)),
        ("hourlyRate", Decimal("1." + "1" * 40)),
        ("plannedBudget", Decimal("1e-131")),
        ("title", "lone \ud800 surrogate"),
    ],
)
def test_data_dynamodb_cannot_hold_is_a_400_naming_the_field_before_anything_is_sent(
    field: str, value: Any, backoffs: list[int]
) -> None:
    store = Store(f"u-{uuid.uuid4()}")
    with inject("TransactWriteItems") as sent, pytest.raises(ValidationFailed) as refused:
        store.commit([Put("project", _project("p", **{field: value}))])
    assert sent.calls == 0 and backoffs == []
    assert refused.value.details[0]["field"] == field
    assert store.get("project", "p") is None


@pytest.mark.usefixtures("table")
def test_numbers_at_dynamodbs_edges_are_stored_exactly() -> None:
    store = Store(f"u-{uuid.uuid4()}")
    edges = {"a": Decimal("9." + "9" * 37 + "E+125"), "b": Decimal("1E-130"), "c": 10**125}
    store.commit([Put("project", _project("p", **edges))])
    record = store.get("project", "p")
    assert record is not None and {k: record[k] for k in edges} == edges


# ----------------------------------------------------------------------------- per error class


@pytest.mark.usefixtures("table")
@pytest.mark.parametrize(
    ("reason", "message", "expected", "status"),
    [
        ("ValidationError", NUMBER_OVERFLOW, ValidationFailed, 400),
        (
            "ValidationError",
            "Item size has exceeded the maximum allowed size",
            ValidationFailed,
            400,
        ),
        ("ValidationError", "Invalid UpdateExpression: Syntax error", StintError, 500),
        ("ThrottlingError", "Throughput exceeds the current capacity", ServiceUnavailable, 503),
        ("ProvisionedThroughputExceeded", "slow down", ServiceUnavailable, 503),
        ("ItemCollectionSizeLimitExceeded", "10 GB", StintError, 500),
    ],
)
def test_a_refused_transaction_is_answered_at_once(
    reason: str, message: str, expected: type[StintError], status: int, backoffs: list[int]
) -> None:
    store = Store(f"u-{uuid.uuid4()}")
    with (
        inject(
            "TransactWriteItems", cancelled("None", reason, message=message), forever=True
        ) as tx,
        pytest.raises(expected) as raised,
    ):
        store.commit([Put("project", _project("p"))])
    assert tx.calls == 1 and backoffs == []  # at once: no retry loop
    assert raised.value.status == status
    assert (raised.value.retry_after is not None) == (status == 503)


@pytest.mark.usefixtures("table")
@pytest.mark.parametrize(
    "race",
    [("ConditionalCheckFailed", "None", "None"), ("None", "TransactionConflict", "None")],
    ids=["counter moved", "transaction conflict"],
)
def test_a_race_is_retried_and_commits_once(race: tuple[str, ...]) -> None:
    store = Store(f"u-{uuid.uuid4()}")
    with inject("TransactWriteItems", cancelled(*race), cancelled(*race)) as tx:
        committed = store.commit([Put("project", _project("p"))])
    assert tx.calls == 3
    assert committed.seq_of("project", "p") == 1 and _counter(store) == 1


@pytest.mark.usefixtures("table")
def test_a_race_that_never_ends_is_409_with_retry_after(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(transactions, "_RETRY_DEADLINE_SECONDS", 0.2)
    store = Store(f"u-{uuid.uuid4()}")
    race = cancelled("None", "TransactionConflict", "None")
    with inject("TransactWriteItems", race, forever=True), pytest.raises(Conflict) as raised:
        store.commit([Put("project", _project("p"))])
    assert raised.value.headers() == {"Retry-After": "1"}
    assert raised.value.message == "Too many concurrent writes; retry the request"
    assert store.get("project", "p") is None


@pytest.mark.usefixtures("table")
def test_each_run_of_a_write_too_big_to_hold_retries_a_lost_race(backoffs: list[int]) -> None:
    """Inside a deferral, a write of more than one transaction is sent run by run as it is
    made, each run retrying a lost race with a fresh counter (none is held for the next)."""
    store = Store(f"u-{uuid.uuid4()}")
    tasks = [Put("task", {"id": f"t{n}", "projectId": "p"}) for n in range(60)]
    race = cancelled("ConditionalCheckFailed", "None")
    with deferring() as deferral, inject("TransactWriteItems", race) as tx:
        committed = store.commit(tasks)
    assert tx.calls == 3 and backoffs == [0]
    assert deferral.held is None and deferral.sent_alone
    assert len(committed.seqs) == 60 and _counter(store) == 60


@pytest.mark.usefixtures("table")
@pytest.mark.parametrize(
    ("status", "code"),
    [
        (400, "ProvisionedThroughputExceededException"),
        (400, "ThrottlingException"),
        (400, "RequestLimitExceeded"),
        (500, "InternalServerError"),
        (503, "ServiceUnavailable"),
    ],
)
@pytest.mark.parametrize("keyed", [False, True], ids=["no key", "Idempotency-Key"])
def test_throttling_after_botocores_retries_is_503_with_retry_after(
    status: int, code: str, keyed: bool
) -> None:
    user = f"u-{uuid.uuid4()}"
    call("users", "GET", "/v1/me", user)  # the profile exists: the POST's write is its only one
    headers = {"Idempotency-Key": "k"} if keyed else {}
    body = {"project": {"title": "A"}}
    with inject("TransactWriteItems", dynamodb_error(status, code), forever=True) as tx:
        answer = call("catalog", "POST", "/v1/projects", user, body=body, headers=headers)
    assert tx.calls == 3  # botocore's attempts (standard mode, 3 in all), none of the store's
    assert answer.status == 503 and answer.body["error"]["code"] == "service_unavailable"
    assert answer.headers["Retry-After"] == "1"
    projects = call("catalog", "GET", "/v1/projects", user).body["projects"]
    assert [p["title"] for p in projects] == ["Inbox"]


@pytest.mark.usefixtures("table")
@pytest.mark.parametrize("keyed", [False, True], ids=["no key", "Idempotency-Key"])
@pytest.mark.parametrize(
    ("reason", "message", "status"),
    [
        ("ThrottlingError", "slow", 503),
        ("ValidationError", NUMBER_OVERFLOW, 400),
        ("ValidationError", "Invalid ConditionExpression", 500),
    ],
)
def test_what_the_client_sees_of_a_refused_transaction(
    keyed: bool,
    reason: str,
    message: str,
    status: int,
    caplog: pytest.LogCaptureFixture,
    backoffs: list[int],
) -> None:
    user = f"u-{uuid.uuid4()}"
    call("users", "GET", "/v1/me", user)
    headers = {"Idempotency-Key": "k"} if keyed else {}
    refused = cancelled("None", reason, "None", message=message)
    with inject("TransactWriteItems", refused, forever=True) as tx:
        answer = call(
            "catalog", "POST", "/v1/projects", user, body={"project": {}}, headers=headers
        )
    assert tx.calls == 1 and backoffs == []
    assert answer.status == status, answer.body
    assert set(answer.body) == {"error"}
    assert answer.body["error"]["message"] == ANSWERS[status]
    assert ("Retry-After" in answer.headers) == (status == 503)
    if status == 500:
        assert any("a defect" in record.getMessage() for record in caplog.records)


@pytest.mark.usefixtures("table")
@pytest.mark.parametrize(
    ("reason", "message", "level"),
    [
        ("ValidationError", NUMBER_OVERFLOW, "INFO"),
        ("ThrottlingError", "slow", "WARNING"),
        ("ValidationError", "Invalid ConditionExpression: a typo", "ERROR"),
    ],
    ids=["unstorable data", "unavailable", "a defect"],
)
def test_the_log_of_a_refusal_names_the_operation_and_what_dynamodb_said(
    reason: str, message: str, level: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger=transactions.__name__)
    refused = cancelled("None", reason, "None", message=message)
    with inject("TransactWriteItems", refused, forever=True), pytest.raises(StintError):
        Store(f"u-{uuid.uuid4()}").commit([Put("project", _project("p"))])
    [logged] = [r for r in caplog.records if r.name == transactions.__name__]
    text = logged.getMessage()
    assert logged.levelname == level and "TransactWriteItems" in text
    assert (reason if level == "WARNING" else message) in text
    if level == "ERROR":  # and the error itself, for what else it says
        assert "TransactionCanceledException" in text


@pytest.mark.usefixtures("table")
@pytest.mark.parametrize(
    "codes",
    [
        ("None", "None", "ConditionalCheckFailed"),
        ("ItemCollectionSizeLimitExceeded", "None", "None"),
    ],
    ids=["a condition where none was set", "the counter's action refused otherwise"],
)
def test_a_cancellation_that_is_no_race_is_a_defect_not_retried(
    codes: tuple[str, ...], backoffs: list[int]
) -> None:
    store = Store(f"u-{uuid.uuid4()}")  # [the counter, the new project, its tombstone's Delete]
    with inject("TransactWriteItems", cancelled(*codes)) as tx, pytest.raises(StintError) as raised:
        store.commit([Put("project", _project("p"))])
    assert raised.value.status == 500 and tx.calls == 1 and backoffs == []
    assert store.get("project", "p") is None


def test_an_error_outside_a_transaction_means_what_the_same_reason_in_one_does() -> None:
    def error(code: str, message: str) -> ClientError:
        return ClientError({"Error": {"Code": code, "Message": message}}, "UpdateItem")  # type: ignore[arg-type]

    unstorable = client_error(error("ValidationException", NUMBER_OVERFLOW))
    assert isinstance(unstorable, ValidationFailed) and unstorable.message == ANSWERS[400]
    defect = client_error(error("ValidationException", "Invalid UpdateExpression: a typo"))
    assert defect is not None and (defect.status, defect.message) == (500, ANSWERS[500])
    busy = client_error(error("ThrottlingException", "slow"))
    assert isinstance(busy, ServiceUnavailable) and busy.message == ANSWERS[503]
    assert client_error(error("AccessDeniedException", "not allowed")) is None  # the function fails


@pytest.mark.usefixtures("table")
def test_a_read_throttled_after_botocores_retries_is_503() -> None:
    user = f"u-{uuid.uuid4()}"
    call("users", "GET", "/v1/me", user)
    with inject(
        "Query", dynamodb_error(400, "ProvisionedThroughputExceededException"), forever=True
    ):
        answer = call("catalog", "GET", "/v1/projects", user)
    assert answer.status == 503 and answer.headers["Retry-After"] == "1"


@pytest.mark.usefixtures("table")
def test_keys_a_batch_read_keeps_handing_back_are_503_after_a_few_tries(
    backoffs: list[int], caplog: pytest.LogCaptureFixture
) -> None:
    """Read again after a backoff, 3 tries in all, then the busy service's 503; the log says
    how many keys were left."""
    user = f"u-{uuid.uuid4()}"
    keys = [(user_pk(user), "PROFILE"), (user_pk(user), "RUNNING")]
    table = stint_settings().table_name
    unprocessed = {
        "Responses": {table: []},
        "UnprocessedKeys": {table: {"Keys": [item_key(pk, sk) for pk, sk in keys]}},
    }
    response = AWSResponse("https://dynamodb.local/", 200, {}, _Body(unprocessed))
    with (
        inject("BatchGetItem", response, forever=True) as asked,
        pytest.raises(ServiceUnavailable) as refused,
    ):
        batch_get(keys)
    assert asked.calls == 3 and backoffs == [1, 2]
    assert refused.value.message == ANSWERS[503]
    logged = [r.getMessage() for r in caplog.records if r.name == reads.__name__]
    assert logged == ["BatchGetItem: 2 keys still unprocessed (throttled)"]


@pytest.mark.usefixtures("table")
def test_deletes_a_batch_write_keeps_handing_back_are_503_after_a_few_tries(
    backoffs: list[int], caplog: pytest.LogCaptureFixture
) -> None:
    """A deleted workspace's items (BatchWriteItem) that DynamoDB keeps leaving unprocessed:
    sent again after a backoff, 4 tries in all, then the answer is the busy service's 503, and
    the log says how many were left."""
    table = stint_settings().table_name
    keys = [item_key("WS#w1", f"PROJECT#p{n}") for n in range(3)]
    unprocessed = {"UnprocessedItems": {table: [{"DeleteRequest": {"Key": k}} for k in keys]}}
    response = AWSResponse("https://dynamodb.local/", 200, {}, _Body(unprocessed))
    with (
        inject("BatchWriteItem", response, forever=True) as writes,
        pytest.raises(ServiceUnavailable) as refused,
    ):
        workspace_store._delete_items(table, keys)
    assert writes.calls == 4 and backoffs == [1, 2, 3]
    assert refused.value.message == "The service is busy; retry the request shortly"
    logged = [r.getMessage() for r in caplog.records if r.name == workspace_store.__name__]
    assert logged == ["BatchWriteItem: 3 deletes still unprocessed (throttled)"]


# ----------------------------------------------------------------------------- the property

CODES = [
    "None",
    "ConditionalCheckFailed",
    "TransactionConflict",
    "ThrottlingError",
    "ProvisionedThroughputExceeded",
    "ValidationError",
]
# The commit below: [counter, Put new (its tombstone's Delete), Put existing at its seq].
COUNTER, NEW, TOMBSTONE, EXISTING = range(4)
EXISTS = Conflict("a project with id 'new' already exists")


def _expected(codes: list[str]) -> type[BaseException] | None:
    """What one cancellation means by the store's rules; None: a race, to be retried."""
    failed = {i for i, code in enumerate(codes) if code == "ConditionalCheckFailed"}
    if NEW in failed:
        return Conflict  # the entity's own domain error
    if EXISTING in failed:
        return StaleRead  # the operation runs again from its reads
    if "ValidationError" in codes:
        return ValidationFailed
    if {"ThrottlingError", "ProvisionedThroughputExceeded"} & set(codes):
        return ServiceUnavailable
    if TOMBSTONE in failed:  # a failed condition where there is none: a defect
        return StintError
    return None


@pytest.mark.usefixtures("table")
@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(cancellations=st.lists(st.lists(st.sampled_from(CODES), min_size=4, max_size=4), max_size=5))
def test_any_sequence_of_cancellations_commits_once_or_raises_the_right_error(
    cancellations: list[list[str]], backoffs: list[int]
) -> None:
    backoffs.clear()  # one fixture for every example
    store = Store(f"u-{uuid.uuid4()}")
    store.commit([Put("project", _project("old"))])
    changes = [
        Put("project", _project("new"), on_conflict=EXISTS),
        Put("project", _project("old", title="changed"), expect_seq=1),
    ]
    injected = [cancelled(*codes, message=NUMBER_OVERFLOW) for codes in cancellations]
    outcomes = [_expected(codes) for codes in cancellations]
    error = next((outcome for outcome in outcomes if outcome is not None), None)
    with inject("TransactWriteItems", *injected) as tx:
        if error is None:
            committed = store.commit(changes)
        else:
            with pytest.raises(error):
                store.commit(changes)
    new, old = store.get("project", "new"), store.get("project", "old")
    assert old is not None
    if error is None:  # committed once: the next two seqs, one new entity, one change
        assert tx.calls == len(cancellations) + 1 and len(backoffs) == len(cancellations)
        assert committed.seqs == {("project", "new"): 2, ("project", "old"): 3}
        assert _counter(store) == 3 and new is not None and new["seq"] == 2
        assert old["title"] == "changed" and old["seq"] == 3
    else:  # at once (a backoff only after each race before it), and nothing written
        assert tx.calls == outcomes.index(error) + 1 and len(backoffs) == outcomes.index(error)
        assert _counter(store) == 1 and new is None and old["seq"] == 1
    assert len(list(store.query_all(prefix=entity_sk("project", "")))) == (1 if error else 2)

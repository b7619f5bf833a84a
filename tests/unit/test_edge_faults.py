"""The calls a function makes outside its routes (stint.api's edge: the page token key, read or
made once per execution environment, to open a token before the route and seal one after it)
meet DynamoDB's errors as the routes' calls do: a 503 with Retry-After for a throttle or a
failure, a retry for a cancelled write that wrote nothing, never a failed function (the
gateway's 502). Errors are injected on the store's client as tests/unit/test_store_faults.py
does."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
from botocore.awsrequest import AWSResponse

from stint import page_tokens

from .handlers import call
from .test_store_faults import backoffs, cancelled, dynamodb_error, inject

__all__ = ["backoffs"]  # the autouse fixture: botocore's retries without their seconds

THROTTLED = dynamodb_error(400, "ProvisionedThroughputExceededException")
FAILED = dynamodb_error(500, "InternalServerError")
CONFLICT = cancelled("TransactionConflict")


@pytest.fixture
def fresh_environment(table: str) -> Iterator[str]:
    """A new execution environment: the key not yet read (the table may or may not hold it)."""
    page_tokens._key.cache_clear()
    yield table
    page_tokens._key.cache_clear()


def _user() -> str:
    user = f"u-{uuid.uuid4()}"
    call("users", "GET", "/v1/me", user)  # the profile: no token involved
    page_tokens._key.cache_clear()
    return user


@pytest.mark.usefixtures("fresh_environment")
@pytest.mark.parametrize(
    ("operation", "error"),
    [
        ("GetItem", THROTTLED),
        ("GetItem", FAILED),
        ("TransactWriteItems", THROTTLED),
        ("TransactWriteItems", FAILED),
        ("TransactWriteItems", CONFLICT),
    ],
    ids=["read throttled", "read failed", "write throttled", "write failed", "write conflicted"],
)
def test_making_the_key_fails_only_as_a_503_with_retry_after(
    operation: str, error: AWSResponse
) -> None:
    user = _user()
    with inject(operation, error, forever=True):
        answer = call("sync", "GET", "/v1/sync", user)  # its answer carries a token to seal
    assert answer.status == 503, answer.body
    assert answer.body["error"]["code"] == "service_unavailable"
    assert answer.headers["Retry-After"] == "1"


@pytest.mark.usefixtures("fresh_environment")
def test_a_key_write_cancelled_by_a_conflict_is_tried_again() -> None:
    """A cancelled write wrote nothing: the key is read again, missing, and made."""
    user = _user()
    with inject("TransactWriteItems", CONFLICT) as write:
        answer = call("sync", "GET", "/v1/sync", user)
    assert answer.status == 200, answer.body
    assert write.calls == 2
    token = answer.body["syncToken"]
    assert call("sync", "GET", "/v1/sync", user, query={"syncToken": token}).status == 200


@pytest.mark.usefixtures("fresh_environment")
@pytest.mark.parametrize("error", [THROTTLED, FAILED], ids=["throttled", "failed"])
def test_reading_the_key_to_open_a_token_fails_only_as_a_503(error: AWSResponse) -> None:
    user = _user()
    token = call("sync", "GET", "/v1/sync", user).body["syncToken"]
    page_tokens._key.cache_clear()  # another environment, with the key in the table
    with inject("GetItem", error, forever=True):
        answer = call("sync", "GET", "/v1/sync", user, query={"syncToken": token})
    assert answer.status == 503, answer.body
    assert answer.headers["Retry-After"] == "1"

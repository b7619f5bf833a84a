"""`GET /v1/me` reads the profile once, on a container's first request of a user too.

Every request passes the middleware that makes sure the caller's profile exists (reading it
on the container's first request of that user, creating it where the sign-up trigger did
not); the route answers with the profile the middleware read or made instead of reading it
again. Round trips are counted on the real handler (functions/users/app.py) over moto.
"""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from stint.services.users import create_profile
from stint.store import dynamodb

from .handlers import Answer, call, pool_user


def _metered_get_me(user: str, username: str | None = None) -> tuple[Answer, list[str]]:
    """The answer to `GET /v1/me` and the DynamoDB operations it made, in order."""
    operations: list[str] = []

    def record(model: Any, **_: Any) -> None:
        operations.append(str(model.name))

    events = dynamodb().meta.events
    events.register("after-call.dynamodb", record)
    try:
        answer = call("users", "GET", "/v1/me", user, username=username)
    finally:
        events.unregister("after-call.dynamodb", record)
    return answer, operations


@pytest.mark.usefixtures("table")
def test_a_first_get_me_reads_the_profile_once() -> None:
    user = f"first-{uuid.uuid4().hex}"
    made = create_profile(user, "first@example.com", "First")  # as the sign-up trigger does
    answer, operations = _metered_get_me(user)
    assert answer.status == 200, answer.body
    profile = {k: made[k] for k in ("id", "displayName", "email", "defaultProject")}
    assert answer.body == {**profile, "personalWorkspaceId": made["id"]}
    assert answer.headers["ETag"] == '"1"'
    assert operations == ["GetItem"]


@pytest.mark.usefixtures("table")
def test_a_later_get_me_reads_the_profile_once() -> None:
    user = f"later-{uuid.uuid4().hex}"
    create_profile(user, "later@example.com", "Later")
    assert call("users", "GET", "/v1/me", user).status == 200
    answer, operations = _metered_get_me(user)
    assert answer.status == 200, answer.body
    assert operations == ["GetItem"]


def test_a_first_get_me_without_a_profile_answers_with_the_one_it_created(pool: str) -> None:
    """No sign-up trigger ran: the middleware reads nothing, creates the profile and its
    default project in one transaction, and the route answers with what it created."""
    user, email = pool_user(pool)
    answer, operations = _metered_get_me(user, username=email)
    assert answer.status == 200, answer.body
    assert answer.body["id"] == user and answer.body["email"] == email
    # The profile (absent), the change counter (the default project is an entity), the write.
    assert operations == ["GetItem", "GetItem", "TransactWriteItems"]
    again = call("users", "GET", "/v1/me", user, username=email)
    assert again.body == answer.body and again.headers["ETag"] == answer.headers["ETag"]

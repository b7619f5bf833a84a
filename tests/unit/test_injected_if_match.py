"""`If-Match` reaches the routes that take it as a parameter (`stint.api.IfMatch`).

Header names are case-insensitive (RFC 9110) and API Gateway passes them as the client spelt
them, so every spelling is honoured. Called on the real handlers over moto.
"""

from __future__ import annotations

import uuid

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from stint.services.users import create_profile

from .handlers import call

NAME = "If-Match"
spellings = st.lists(st.booleans(), min_size=len(NAME), max_size=len(NAME)).map(
    lambda upper: "".join(c.upper() if up else c.lower() for c, up in zip(NAME, upper, strict=True))
)


def _user() -> str:
    user = f"if-match-{uuid.uuid4().hex}"
    create_profile(user, f"{user}@example.com", "Ann")
    return user


@settings(
    max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(name=spellings)
@pytest.mark.usefixtures("table")
def test_if_match_is_honoured_however_its_name_is_spelt(name: str) -> None:
    user = _user()
    stale = call("users", "GET", "/v1/me", user).headers["ETag"]
    changed = call("users", "PATCH", "/v1/me", user, body={"displayName": "B"})
    assert changed.status == 200 and changed.headers["ETag"] != stale
    refused = call(
        "users", "PATCH", "/v1/me", user, body={"displayName": "C"}, headers={name: stale}
    )
    assert refused.status == 412, refused.body
    assert refused.body["error"]["code"] == "precondition_failed"
    fresh = {name: changed.headers["ETag"]}
    assert (
        call("users", "PATCH", "/v1/me", user, body={"displayName": "D"}, headers=fresh).status
        == 200
    )


@pytest.mark.usefixtures("table")
def test_a_task_event_honours_if_match() -> None:
    """The one POST that takes If-Match (openapi.json documents it there)."""
    user = _user()
    created = call("tasks", "POST", "/v1/tasks", user, body={"task": {"title": "T"}})
    assert created.status == 201, created.body
    path = f"/v1/tasks/{created.body['task']['id']}/events"
    stale = {"If-Match": '"0"'}
    refused = call("tasks", "POST", path, user, body={"event": "finish"}, headers=stale)
    assert refused.status == 412, refused.body
    matching = {"If-Match": created.headers["ETag"]}
    finished = call("tasks", "POST", path, user, body={"event": "finish"}, headers=matching)
    assert finished.status == 200, finished.body
    assert finished.body["task"]["isCompleted"] is True

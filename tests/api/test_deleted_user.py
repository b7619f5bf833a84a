"""docs/API.md, "Errors": a valid token whose user no longer exists (deleted from the pool) is
`401` (`{"message": "Unauthorized"}`) on every route, whether or not their profile exists."""

from __future__ import annotations

from typing import Any

import pytest

from stint.services import users
from tests.api.conftest import DEPLOYED, Api, cognito, new_api

pytestmark = pytest.mark.skipif(DEPLOYED, reason="sets how long a function trusts a check")

UNAUTHORIZED = {"message": "Unauthorized"}
SESSION = {"startTimestamp": "2026-11-22T09:30:00Z", "duration": 60}
ROUTES = [
    ("GET", "/v1/me", None),
    ("GET", "/v1/projects", None),
    ("POST", "/v1/projects", {"project": {"title": "p"}}),
    ("GET", "/v1/tasks", None),
    ("POST", "/v1/sessions", {"task": {"title": "t"}, "session": SESSION}),
    ("GET", "/v1/sync", None),
    ("GET", "/v1/workspaces", None),
]


def _refused_everywhere(api: Api) -> None:
    for method, path, body in ROUTES:
        response = api.request(method, path, json=body)
        assert response.status_code == 401, (method, path, response.status_code, response.text)
        assert response.json() == UNAUTHORIZED, (method, path)


def _delete(stack: dict[str, Any], api: Api) -> None:
    cognito(stack).admin_delete_user(UserPoolId=stack["UserPoolId"], Username=api.email)


def test_a_user_deleted_before_their_first_request_is_401(stack: dict[str, Any]) -> None:
    api = new_api(stack)
    _delete(stack, api)
    _refused_everywhere(api)


def test_a_user_deleted_after_using_the_api_is_401(
    stack: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    api = new_api(stack)
    assert api.get("/v1/me").status_code == 200
    _delete(stack, api)
    # A function trusts its last check of the pool for POOL_CHECK_SECONDS: here, not at all.
    monkeypatch.setattr(users, "POOL_CHECK_SECONDS", 0.0, raising=False)
    _refused_everywhere(api)

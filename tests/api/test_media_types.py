"""docs/API.md, "Requests and answers": a body is JSON when its media type is `application/json`,
compared as RFC 9110 says (type and subtype case-insensitive, parameters allowed); a body of
another type is `415 unsupported_media_type`, with the API's error body on every route that takes
a body. A body that is not UTF-8 is `400 invalid_json`, and nothing is written."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from typing import Any

import pytest
import requests

from tests.api.conftest import Api, assert_error

# Every spelling of application/json a client may send (RFC 9110, 8.3.1).
JSON_SPELLINGS = [
    "application/json",
    "APPLICATION/JSON",
    "Application/Json; charset=UTF-8",
    "application/JSON;charset=utf-8",
    'application/json ; charset="utf-8"',
]
# Media types that are not JSON, some of them close to it.
OTHER_TYPES = [
    "text/plain",
    "TEXT/PLAIN; charset=utf-8",
    "application/x-www-form-urlencoded",
    "multipart/form-data; boundary=x",
    "application/jsonx",
    "text/json",
    "application/merge-patch+json",
]

Route = Callable[[Api], tuple[str, str, str]]  # method, path, body (JSON text)


def _new_project(api: Api) -> tuple[str, str, str]:
    return "POST", "/v1/projects", '{"project": {"title": "p"}}'


def _task_patch(api: Api) -> tuple[str, str, str]:
    task = api.create("/v1/tasks", "task", title="t")
    return "PATCH", f"/v1/tasks/{task['id']}", '{"task": {"title": "u"}}'


def _new_session(api: Api) -> tuple[str, str, str]:
    session = '{"startTimestamp": "2026-11-22T09:30:00Z", "duration": 60}'
    body = '{"task": {"title": "s"}, "session": ' + session + "}"
    return "POST", "/v1/sessions", body


def _me_patch(api: Api) -> tuple[str, str, str]:
    return "PATCH", "/v1/me", '{"displayName": "Me"}'


ROUTES: dict[str, Route] = {
    "POST /v1/projects": _new_project,
    "PATCH /v1/tasks/{id}": _task_patch,
    "POST /v1/sessions": _new_session,
    "PATCH /v1/me": _me_patch,
}


def _send(api: Api, request: tuple[str, str, str], content_type: str) -> Any:
    method, path, body = request
    return api.request(method, path, data=body.encode(), headers={"Content-Type": content_type})


@pytest.mark.parametrize("route", ROUTES)
def test_every_spelling_of_application_json_is_json(api: Api, route: str) -> None:
    for content_type in JSON_SPELLINGS:
        response = _send(api, ROUTES[route](api), content_type)
        assert 200 <= response.status_code < 300, (content_type, response.text)


@pytest.mark.parametrize(("route", "content_type"), itertools.product(ROUTES, OTHER_TYPES))
def test_a_body_of_another_type_is_415_with_the_error_body(
    api: Api, route: str, content_type: str
) -> None:
    request = ROUTES[route](api)
    before = _everything(api)
    error = assert_error(_send(api, request, content_type), 415, "unsupported_media_type")
    assert error["requestId"]
    assert _everything(api) == before


def _everything(api: Api) -> dict[str, Any]:
    """A full sync's entities, without its token (each sync has its own)."""
    response = api.get("/v1/sync", params={"syncToken": "*"})
    assert response.status_code == 200, response.text
    page: dict[str, Any] = response.json()
    page.pop("syncToken", None)
    return page


# Bytes that are not UTF-8 (API Gateway hands a text body over with each such byte replaced
# by U+FFFD; the local gateway does the same: local/events.py).
NOT_UTF8 = [b"\xff\xfe", b"ok \xc3", b"\xed\xa0\x80"]


@pytest.mark.parametrize(("route", "raw"), itertools.product(ROUTES, NOT_UTF8))
def test_a_body_that_is_not_utf8_is_400_invalid_json_and_writes_nothing(
    api: Api, route: str, raw: bytes
) -> None:
    method, path, body = ROUTES[route](api)
    before = _everything(api)
    data = body.replace('"p"', '"X"').replace('"u"', '"X"').replace('"s"', '"X"')
    data = data.replace('"Me"', '"X"').encode().replace(b"X", raw)
    assert raw in data
    response: requests.Response = api.request(
        method, path, data=data, headers={"Content-Type": "application/json"}
    )
    assert_error(response, 400, "invalid_json")
    assert _everything(api) == before

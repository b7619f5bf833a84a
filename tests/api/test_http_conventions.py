"""The HTTP conventions (docs/API.md, "Requests and answers"), over the stack: CORS, X-Request-Id,
Location, Link, no-store and nosniff; and the reference page (GET /docs, GET /openapi.json).

Preflights are SAM's (`Cors` on the Api): API Gateway answers them from a mock integration
with 200, which the local stack reproduces from the template (docs/DESIGN.md, "HTTP conventions
and browser apps").
"""

from __future__ import annotations

import json
import re
import uuid
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest
import requests

from tests.api.conftest import Api, assert_error, cognito, local_only, new_api

pytestmark = pytest.mark.http  # over HTTP, against the run's shared local stack

REPO = Path(__file__).resolve().parents[2]
DOCUMENT = json.loads((REPO / "openapi.json").read_text(encoding="utf-8"))
ORIGIN = "http://localhost:5173"  # a browser app's dev server
EXPOSED = {"ETag", "Location", "Retry-After", "Idempotent-Replayed", "X-Request-Id", "Link"}
PREFLIGHT_HEADERS = {"authorization", "content-type", "idempotency-key", "if-match"}
REFERENCE_PATHS = ["/docs", "/docs/swagger-ui.css", "/openapi.json"]


def concrete(path: str) -> str:
    """A path of the document with an id in each parameter."""
    return re.sub(r"\{[^}]+\}", "some-id", path)


def names(header: str | None) -> set[str]:
    return {name.strip().lower() for name in (header or "").split(",") if name.strip()}


def assert_cors(response: requests.Response) -> None:
    assert response.headers.get("Access-Control-Allow-Origin") in ("*", ORIGIN), response.headers
    assert {name.lower() for name in EXPOSED} <= names(
        response.headers.get("Access-Control-Expose-Headers")
    ), response.headers


# ----------------------------------------------------------------------------- CORS


@pytest.mark.parametrize("path", [*sorted(DOCUMENT["paths"]), *REFERENCE_PATHS])
def test_every_route_answers_a_preflight_without_a_token(stack: dict[str, Any], path: str) -> None:
    methods = {m.upper() for m in DOCUMENT["paths"].get(path, {"get": None})}
    response = requests.options(
        stack["ApiUrl"] + concrete(path),
        headers={
            "Origin": ORIGIN,
            "Access-Control-Request-Method": sorted(methods)[0],
            "Access-Control-Request-Headers": "authorization,content-type,idempotency-key",
        },
        timeout=30,
    )
    assert response.ok, (path, response.status_code, response.text)
    assert response.headers["Access-Control-Allow-Origin"] in ("*", ORIGIN)
    allowed = {m.upper() for m in names(response.headers["Access-Control-Allow-Methods"])}
    assert methods | {"OPTIONS"} <= allowed, (path, allowed)
    assert names(response.headers["Access-Control-Allow-Headers"]) >= PREFLIGHT_HEADERS
    assert int(response.headers["Access-Control-Max-Age"]) > 0


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [
        ("GET", "/v1/me", 401),  # no token: the authorizer's answer
        ("GET", "/v1/no-such-route", 404),  # API Gateway's MISSING_AUTHENTICATION_TOKEN
        ("DELETE", "/v1/me", 404),  # no such method on the resource
    ],
)
def test_the_gateways_own_answers_carry_cors(
    stack: dict[str, Any], method: str, path: str, status: int
) -> None:
    response = requests.request(method, stack["ApiUrl"] + path, headers={"Origin": ORIGIN})
    assert response.status_code == status, response.text
    assert_cors(response)
    if status == 404:  # docs/API.md's error body, with API Gateway's request id
        error = assert_error(response, 404, "not_found")
        assert error["requestId"] == response.headers["x-amzn-RequestId"]


def test_an_answer_carries_cors_request_id_no_store_and_nosniff(api: Api) -> None:
    response = api.get("/v1/me", headers={"Origin": ORIGIN})
    assert response.status_code == 200
    assert_cors(response)
    assert response.headers["X-Request-Id"] == response.headers["x-amzn-RequestId"]
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_an_origin_is_not_needed_for_the_other_headers(api: Api) -> None:
    response = api.get("/v1/projects")
    assert response.headers["X-Request-Id"]
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["X-Content-Type-Options"] == "nosniff"


# ----------------------------------------------------------------------------- errors


@pytest.mark.parametrize(
    ("method", "path", "kwargs", "status", "code"),
    [
        ("GET", "/v1/projects/nope", {}, 404, "not_found"),
        ("POST", "/v1/projects", {"json": {"project": {"title": ""}}}, 400, "validation_error"),
        (
            "POST",
            "/v1/projects",
            {"data": "{", "headers": {"Content-Type": "application/json"}},
            400,
            "invalid_json",
        ),
        (
            "POST",
            "/v1/projects",
            {"json": {"project": {"title": "x" * 300_000}}},
            413,
            "payload_too_large",
        ),
        ("GET", "/v1/sync?syncToken=garbage", {}, 400, "invalid_sync_token"),
    ],
)
def test_every_error_body_carries_the_request_id(
    api: Api, method: str, path: str, kwargs: dict[str, Any], status: int, code: str
) -> None:
    kwargs = {**kwargs, "headers": {"Origin": ORIGIN, **kwargs.get("headers", {})}}
    response = api.request(method, path, **kwargs)
    error = assert_error(response, status, code)
    assert error["requestId"] == response.headers["X-Request-Id"]
    assert_cors(response)


def test_an_idempotent_replay_carries_its_own_request_id(api: Api) -> None:
    """The replayed response was stored with the first request's headers."""
    key = {"Idempotency-Key": uuid.uuid4().hex}
    first = api.post("/v1/projects", json={"project": {"title": "Once"}}, headers=key)
    again = api.post("/v1/projects", json={"project": {"title": "Once"}}, headers=key)
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.json() == first.json()
    assert again.headers["X-Request-Id"] == again.headers["x-amzn-RequestId"]
    assert again.headers["X-Request-Id"] != first.headers["X-Request-Id"]
    assert again.headers["Location"] == first.headers["Location"]


# ----------------------------------------------------------------------------- Location


def _created(api: Api, stack: dict[str, Any]) -> dict[tuple[str, str], requests.Response]:
    """One answer of each route that creates (as the document names them)."""
    other = new_api(stack)
    project = api.create("/v1/projects", "project", title="Acme")
    task = api.create("/v1/tasks", "task", title="Write", projectId=project["id"])
    workspace = api.create("/v1/workspaces", "workspace", name="Crew")
    session_id = uuid.uuid4().hex
    start = "2026-11-22T09:30:00+01:00"
    return {
        ("POST", "/v1/projects"): api.post("/v1/projects", json={"project": {"title": "P"}}),
        ("POST", "/v1/categories"): api.post("/v1/categories", json={"category": {"title": "C"}}),
        ("POST", "/v1/clients"): api.post("/v1/clients", json={"client": {"name": "C"}}),
        ("POST", "/v1/tags"): api.post("/v1/tags", json={"tag": {"name": "T"}}),
        ("POST", "/v1/tasks"): api.post("/v1/tasks", json={"task": {"title": "T"}}),
        ("POST", "/v1/projects/{projectId}/tasks"): api.post(
            f"/v1/projects/{project['id']}/tasks", json={"task": {"title": "T2"}}
        ),
        ("POST", "/v1/tasks/{taskId}/subtasks"): api.post(
            f"/v1/tasks/{task['id']}/subtasks", json={"subtask": {"title": "S"}}
        ),
        ("POST", "/v1/sessions"): api.post(
            "/v1/sessions",
            json={"task": {"id": task["id"]}, "session": {"startTimestamp": start, "duration": 60}},
        ),
        ("PUT", "/v1/sessions/{sessionId}"): api.put(
            f"/v1/sessions/{session_id}",
            json={
                "task": {"id": task["id"]},
                "session": {"id": session_id, "startTimestamp": start, "duration": 60},
            },
        ),
        ("POST", "/v1/timer"): api.post("/v1/timer", json={"taskId": task["id"]}),
        ("POST", "/v1/workspaces"): api.post("/v1/workspaces", json={"workspace": {"name": "T"}}),
        ("POST", "/v1/workspaces/{workspaceId}/members"): api.post(
            f"/v1/workspaces/{workspace['id']}/members", json={"email": other.email}
        ),
        ("POST", "/v1/workspaces/{workspaceId}/approvals"): api.post(
            f"/v1/workspaces/{workspace['id']}/approvals",
            json={"from": "2026-11-01", "to": "2026-11-07"},
        ),
        ("POST", "/v1/webhooks"): api.post(
            # Locally http to loopback is allowed; nothing changes after it, so nothing is sent.
            "/v1/webhooks",
            json={"hookUrl": "http://127.0.0.1:9/hooks", "triggerType": "task"},
        ),
    }


@local_only  # its webhook case uses http to loopback, allowed only locally
def test_every_201_carries_the_new_entitys_url(api: Api, stack: dict[str, Any]) -> None:
    answers = _created(api, stack)
    creating = {
        (method.upper(), path)
        for path, item in DOCUMENT["paths"].items()
        for method, operation in item.items()
        if "201" in operation["responses"]
    }
    assert set(answers) == creating  # a new route that creates needs its case here
    for (method, path), response in answers.items():
        where = f"{method} {path}"
        assert response.status_code == 201, (where, response.text)
        location = response.headers["Location"]
        assert location.startswith(stack["ApiUrl"] + "/v1/"), (where, location)
        body = response.json()
        key = next(iter(body))
        entity = body[key]["session"] if key == "timer" else body[key]
        assert location.endswith("/" + entity["id"]), (where, location)
        if key == "invitation":  # no GET of one invitation; its URL is the one to revoke it
            invitations = f"/v1/workspaces/{entity['workspaceId']}/invitations"
            assert location.endswith(f"{invitations}/{entity['id']}")
            continue
        got = api.session.get(location, headers={"Authorization": f"Bearer {api.token}"})
        assert got.status_code == 200, (where, location, got.text)
        fetched = got.json()
        fetched = fetched.get(key if key != "timer" else "session", fetched)
        assert fetched["id"] == entity["id"], where


# ----------------------------------------------------------------------------- Link


def _follow(api: Api, path: str, key: str) -> tuple[list[dict[str, Any]], int]:
    """Every item of a list, by following Link headers; and how many pages that took."""
    items: list[dict[str, Any]] = []
    url: str | None = api.base + path
    pages = 0
    while url:
        response = api.session.get(url, headers={"Authorization": f"Bearer {api.token}"})
        assert response.status_code == 200, response.text
        body = response.json()
        items.extend(body.get(key, []))
        pages += 1
        link = response.headers.get("Link")
        assert (link is not None) == ("nextToken" in body), (link, body)
        url = None
        if link:
            match = re.fullmatch(r'<([^>]+)>; rel="next"', link)
            assert match, link
            url = match.group(1)
            query = dict(parse_qsl(urlsplit(url).query))
            assert query["nextToken"] == body["nextToken"]
    return items, pages


def test_list_pages_link_to_the_next_page(api: Api) -> None:
    for title in ("One", "Two", "Three"):
        api.create("/v1/projects", "project", title=title)
    everything = api.get("/v1/projects?archived=all&limit=500").json()["projects"]
    items, pages = _follow(api, "/v1/projects?archived=all&limit=1", "projects")
    assert pages == len(everything) == 4  # the three and the default project
    assert [p["id"] for p in items] == [p["id"] for p in everything]


def test_a_sync_page_with_more_links_to_the_next(api: Api) -> None:
    api.create("/v1/projects", "project", title="Synced")
    first = api.get("/v1/sync?limit=1")
    assert first.json()["hasMore"] is True
    match = re.fullmatch(r'<([^>]+)>; rel="next"', first.headers["Link"])
    assert match
    query = dict(parse_qsl(urlsplit(match.group(1)).query))
    assert query == {"limit": "1", "syncToken": first.json()["syncToken"]}
    last = api.get("/v1/sync?limit=1000")
    assert last.json()["hasMore"] is False and "Link" not in last.headers


# ----------------------------------------------------------------------------- the reference


def test_the_reference_page_and_every_asset_it_loads_are_served_by_the_stack(
    stack: dict[str, Any],
) -> None:
    page = requests.get(stack["ApiUrl"] + "/docs", timeout=30)
    assert page.status_code == 200
    assert page.headers["Content-Type"].startswith("text/html")
    assets = re.findall(r'(?:src|href)="([^"]+)"', page.text)
    assert len(assets) == 3, assets
    for url in assets:
        assert url.startswith(stack["ApiUrl"] + "/docs/"), url  # no CDN
        response = requests.get(url, timeout=30)
        assert response.status_code == 200, url
        assert response.headers["X-Content-Type-Options"] == "nosniff"
    initializer = requests.get(stack["ApiUrl"] + "/docs/swagger-initializer.js", timeout=30).text
    assert f'"clientId": "{stack["UserPoolClientId"]}"' in initializer
    assert f'"url": "{stack["ApiUrl"]}/openapi.json"' in initializer
    redirect = requests.get(stack["ApiUrl"] + "/docs/oauth2-redirect.html", timeout=30)
    assert redirect.status_code == 200 and "swaggerUIRedirectOauth2" in redirect.text


def test_an_unknown_asset_is_a_404_with_the_error_body(stack: dict[str, Any]) -> None:
    response = requests.get(stack["ApiUrl"] + "/docs/nothing.js", timeout=30)
    error = assert_error(response, 404, "not_found")
    assert error["requestId"] == response.headers["X-Request-Id"]


@local_only
def test_the_pages_redirect_is_a_callback_of_the_first_party_client(
    stack: dict[str, Any],
) -> None:
    client = cognito(stack).describe_user_pool_client(
        UserPoolId=stack["UserPoolId"], ClientId=stack["UserPoolClientId"]
    )["UserPoolClient"]
    assert stack["ApiUrl"] + "/docs/oauth2-redirect.html" in client["CallbackURLs"]
    assert stack["DocsUrl"] == stack["ApiUrl"] + "/docs"


# ----------------------------------------------------------------------------- OAuth2


def test_the_token_endpoint_answers_cors(stack: dict[str, Any]) -> None:
    token_url = stack["OAuthBaseUrl"] + "/oauth2/token"
    preflight = requests.options(
        token_url,
        headers={"Origin": ORIGIN, "Access-Control-Request-Method": "POST"},
        timeout=30,
    )
    assert preflight.ok
    assert preflight.headers["Access-Control-Allow-Origin"] in ("*", ORIGIN)
    assert "content-type" in names(preflight.headers["Access-Control-Allow-Headers"])
    refused = requests.post(
        token_url, data={"grant_type": "authorization_code"}, headers={"Origin": ORIGIN}
    )
    assert refused.status_code in (400, 401), refused.text
    assert refused.headers["Access-Control-Allow-Origin"] in ("*", ORIGIN)


# ----------------------------------------------------------------------------- the front's URL


@local_only
def test_no_url_the_stack_writes_follows_the_clients_host(api: Api, stack: dict[str, Any]) -> None:
    """Location, Link, the document's servers and the reference page name the stack's own URL
    (API Gateway's domain; locally the front's), whatever Host the client sent."""
    base = stack["ApiUrl"]
    evil = {"Host": "evil.example", "X-Forwarded-Proto": "https", "X-Forwarded-Port": "443"}
    created = api.post("/v1/projects", json={"project": {"title": "Hosted"}}, headers=evil)
    assert created.status_code == 201, created.text
    assert created.headers["Location"].startswith(f"{base}/v1/projects/")
    api.create("/v1/projects", "project", title="Hosted too")
    page = api.get("/v1/projects?limit=1", headers=evil)
    assert page.headers["Link"].startswith(f"<{base}/v1/projects?")
    document = requests.get(f"{base}/openapi.json", headers=evil, timeout=30).json()
    assert document["servers"][0]["url"] == base
    for path in ("/docs", "/docs/swagger-initializer.js"):
        text = requests.get(base + path, headers=evil, timeout=30).text
        assert base in text and "evil.example" not in text, path

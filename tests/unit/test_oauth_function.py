"""functions/oauth on its own: what it sends the user pool domain, and what it answers itself.

A small HTTP server on 127.0.0.1 plays the domain's /oauth2/token (tests/api/test_oauth.py
runs the function against the local stack's real one).
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl

import pytest

from .handlers import app_module


def load_app() -> Any:
    return app_module("oauth", "oauth_function_under_test")


app = load_app()


class Context:
    function_name = "stint-OAuthFunction"
    function_version = "$LATEST"
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:stint-OAuthFunction"
    memory_limit_in_mb = "512"
    aws_request_id = "c6af9ac6-7b61-11e6-9a41-93e8deadbeef"


@pytest.fixture
def domain(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[dict[str, Any]]]:
    """A stand-in for the domain's token endpoint: records requests, answers invalid_client."""
    seen: list[dict[str, Any]] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", "0"))).decode()
            seen.append({"path": self.path, "headers": dict(self.headers), "form": body})
            answer = json.dumps({"error": "invalid_client"}).encode()
            self.send_response(401)
            self.send_header("Content-Type", "application/json;charset=UTF-8")
            self.send_header("WWW-Authenticate", 'Basic realm="x"')
            self.send_header("Content-Length", str(len(answer)))
            self.end_headers()
            self.wfile.write(answer)

        def log_message(self, *_: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    monkeypatch.setenv("OAUTH_BASE_URL", f"http://127.0.0.1:{server.server_address[1]}/")
    yield seen
    server.shutdown()
    server.server_close()


def event(method: str, resource: str, **fields: Any) -> dict[str, Any]:
    return {"httpMethod": method, "resource": resource, "path": resource, **fields}


def call(proxy_event: dict[str, Any]) -> dict[str, Any]:
    result: dict[str, Any] = app.lambda_handler(proxy_event, Context())
    return result


def test_json_body_goes_on_as_a_form_with_the_routes_grant(domain: list[dict[str, Any]]) -> None:
    body = {"code": "c", "redirect_uri": "https://x/cb", "client_id": "id", "client_secret": None}
    result = call(
        event(
            "POST",
            "/v1/access_token",
            headers={"content-type": "application/json", "Authorization": "Basic aWQ6cw=="},
            body=json.dumps(body),
        )
    )
    assert result["statusCode"] == 401  # the domain's answer, passed on
    assert json.loads(result["body"]) == {"error": "invalid_client"}
    assert result["headers"]["WWW-Authenticate"] == 'Basic realm="x"'
    assert result["headers"]["Cache-Control"] == "no-store"
    [request] = domain
    assert request["path"] == "/oauth2/token"
    assert request["headers"]["Content-Type"] == "application/x-www-form-urlencoded"
    assert request["headers"]["Authorization"] == "Basic aWQ6cw=="
    assert parse_qsl(request["form"]) == [
        ("grant_type", "authorization_code"),
        ("code", "c"),
        ("redirect_uri", "https://x/cb"),
        ("client_id", "id"),  # a null is left out
    ]


def test_form_body_keeps_its_parameters(domain: list[dict[str, Any]]) -> None:
    form = "grant_type=refresh_token&refresh_token=r%2B1&client_id=id"
    result = call(
        event(
            "POST",
            "/v1/refresh_token",
            headers={"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"},
            body=form,
        )
    )
    assert result["statusCode"] == 401
    assert parse_qsl(domain[0]["form"]) == parse_qsl(form)
    assert "Authorization" not in domain[0]["headers"]


@pytest.mark.parametrize(
    ("resource", "headers", "body", "error"),
    [
        ("/v1/access_token", {"Content-Type": "text/plain"}, "code=x", "invalid_request"),
        ("/v1/access_token", {"Content-Type": "application/json"}, "[1]", "invalid_request"),
        (
            "/v1/access_token",
            {"Content-Type": "application/json"},
            '{"code": 1}',
            "invalid_request",
        ),
        ("/v1/access_token", {"Content-Type": "application/json"}, "{", "invalid_request"),
        (
            "/v1/access_token",
            {"Content-Type": "application/x-www-form-urlencoded"},
            "&".join(f"p{i}=1" for i in range(60)),
            "invalid_request",
        ),
        (
            "/v1/refresh_token",
            {"Content-Type": "application/x-www-form-urlencoded"},
            "grant_type=authorization_code&code=x",
            "unsupported_grant_type",
        ),
    ],
)
def test_bad_bodies_are_answered_here(
    domain: list[dict[str, Any]], resource: str, headers: dict[str, str], body: str, error: str
) -> None:
    result = call(event("POST", resource, headers=headers, body=body))
    assert result["statusCode"] == 400
    assert json.loads(result["body"])["error"] == error
    assert not domain  # nothing reached the domain


def test_unreachable_domain_is_a_503(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OAUTH_BASE_URL", "http://127.0.0.1:9")  # discard port: refused
    result = call(
        event(
            "POST",
            "/v1/refresh_token",
            headers={"Content-Type": "application/x-www-form-urlencoded"},
            body="refresh_token=r",
        )
    )
    assert result["statusCode"] == 503
    assert json.loads(result["body"])["error"] == "temporarily_unavailable"


def test_authorize_redirects_with_the_query(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OAUTH_BASE_URL", "https://stint-x.auth.us-east-1.amazoncognito.com")
    bare = call(event("GET", "/v1/authorize"))
    assert bare["statusCode"] == 302
    assert bare["headers"]["Location"] == (
        "https://stint-x.auth.us-east-1.amazoncognito.com/oauth2/authorize"
    )
    query = {"state": ["a b&c"], "client_id": ["id"]}
    result = call(event("GET", "/v1/authorize", multiValueQueryStringParameters=query))
    assert result["headers"]["Location"].endswith("/oauth2/authorize?state=a+b%26c&client_id=id")

"""API tests: each module runs in this process (tests/inprocess.py: the real handlers behind the
local gateway, over moto's mock) unless it is marked `http`, which runs it over HTTP against the
run's one local stack (tests/conftest.py). With STINT_OUTPUTS=outputs.json every module runs
over HTTP against that deployed stack."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import boto3
import pytest
import requests

from bench.meter import WRITES
from tests import inprocess, streams
from tests.recorders import calls, sleeps

PASSWORD = "Test-pass-1234"  # every user sign_up makes has it
# Against a deployed stack (STINT_OUTPUTS): what needs the local stack itself is skipped.
DEPLOYED = bool(os.environ.get("STINT_OUTPUTS"))
local_only = pytest.mark.skipif(DEPLOYED, reason="needs the local stack (emulator, 127.0.0.1)")


@pytest.fixture(scope="module")
def stack(request: pytest.FixtureRequest) -> dict[str, Any]:
    """The module's stack: in this process, or over HTTP for an `http` module."""
    if inprocess.serves(request.node):
        return inprocess.stack().outputs
    return dict(request.getfixturevalue("http_stack"))


def cognito(stack: dict[str, Any]) -> Any:
    return boto3.client(
        "cognito-idp",
        region_name=stack["Region"],
        endpoint_url=stack.get("CognitoEndpointUrl"),
    )


def sign_up(
    stack: dict[str, Any], *, pool_id: str | None = None, client_id: str | None = None
) -> dict[str, str]:
    """Sign a new user up, confirm them and sign them in; returns Cognito's tokens."""
    idp = cognito(stack)
    email = f"user-{uuid.uuid4().hex[:12]}@example.com"
    client_id = client_id or stack["UserPoolClientId"]
    idp.sign_up(
        ClientId=client_id,
        Username=email,
        Password=PASSWORD,
        UserAttributes=[{"Name": "email", "Value": email}],
    )
    idp.admin_confirm_sign_up(UserPoolId=pool_id or stack["UserPoolId"], Username=email)
    auth = idp.initiate_auth(
        ClientId=client_id,
        AuthFlow="USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": email, "PASSWORD": PASSWORD},
    )["AuthenticationResult"]
    return {"email": email, **auth}


@dataclass
class Api:
    """A signed-in user's HTTP client for the API."""

    base: str
    token: str
    email: str = ""
    session: requests.Session = field(init=False)

    def __post_init__(self) -> None:
        self.session = inprocess.session_for(self.base)

    def request(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        headers = {"Authorization": f"Bearer {self.token}", **kwargs.pop("headers", {})}
        return self.session.request(method, self.base + path, headers=headers, timeout=30, **kwargs)

    def get(self, path: str, **kwargs: Any) -> requests.Response:
        return self.request("GET", path, **kwargs)

    def post(self, path: str, **kwargs: Any) -> requests.Response:
        return self.request("POST", path, **kwargs)

    def put(self, path: str, **kwargs: Any) -> requests.Response:
        return self.request("PUT", path, **kwargs)

    def patch(self, path: str, **kwargs: Any) -> requests.Response:
        return self.request("PATCH", path, **kwargs)

    def delete(self, path: str, **kwargs: Any) -> requests.Response:
        return self.request("DELETE", path, **kwargs)

    def create(self, path: str, key: str, **fields: Any) -> dict[str, Any]:
        response = self.post(path, json={key: fields})
        assert response.status_code == 201, response.text
        return dict(response.json()[key])


def new_api(stack: dict[str, Any]) -> Api:
    tokens = sign_up(stack)
    return Api(stack["ApiUrl"], tokens["AccessToken"], tokens["email"])


@pytest.fixture(autouse=True)
def streams_kept(request: pytest.FixtureRequest) -> Iterator[None]:
    """In process, every transaction a test's requests send keeps the shared workspaces'
    streams (tests/streams.py)."""
    if not inprocess.serves(request.node):
        yield
        return
    inprocess.stack()
    with streams.checked() as broken:
        yield
    assert not broken, broken


@pytest.fixture
def api(stack: dict[str, Any]) -> Api:
    """A fresh user for each test: tests never see each other's data."""
    return new_api(stack)


@pytest.fixture
def other(stack: dict[str, Any]) -> Api:
    return new_api(stack)


def assert_error(response: requests.Response, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"error"}, body
    assert body["error"]["code"] == code, body
    assert isinstance(body["error"]["message"], str) and body["error"]["message"]
    return dict(body["error"])


def refused_at_once(api: Api, method: str, path: str, **kwargs: Any) -> requests.Response:
    """The answer to the request, which refuses it at once: while the handlers answered, nothing
    in this process waited (no backoff, no botocore retry: `tests.recorders.sleeps`) and nothing
    was written to DynamoDB. The defect this guards against was a bad value that reached the
    store, whose write DynamoDB refused and the store retried with backoff for 8 s before the
    answer. Counted, not timed, so a loaded machine cannot fail it.

    Only in process can the server side be counted: over HTTP (an `http` module,
    STINT_OUTPUTS) the answer is returned unchecked, for the caller's checks of it."""
    if api.base != inprocess.URL:
        return api.request(method, path, **kwargs)
    with calls() as called, sleeps() as waits:
        response = api.request(method, path, **kwargs)
    writes = {name: n for name, n in called.items() if name in WRITES}
    assert not waits, f"{response.status_code} after waiting (a retry loop): {waits}"
    assert not writes, f"{response.status_code} after writing to DynamoDB: {writes}"
    return response

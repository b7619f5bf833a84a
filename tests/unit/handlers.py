"""The API functions' real handlers (`functions/<group>/app.py`), called in this process over
moto, as API Gateway calls them: for tests of what a client sees that need to reach inside
(inject DynamoDB errors on the client, make a function die after its write)."""

from __future__ import annotations

import importlib.util
import json
import sys
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from local.events import direct_event
from local.resources import Provisioner
from stint import config

from .conftest import sdk_client, template

FUNCTIONS = Path(__file__).resolve().parents[2] / "functions"
Handler = Callable[[dict[str, Any], Any], dict[str, Any]]
_loaded: dict[str, Handler] = {}


def app_module(group: str, name: str) -> ModuleType:
    """`functions/<group>/app.py` imported anew as the module `name` (a test that patches a
    function's module gets one of its own)."""
    spec = importlib.util.spec_from_file_location(name, FUNCTIONS / group / "app.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def handler(group: str) -> Handler:
    """`functions/<group>/app.py`'s lambda_handler, imported once per test process."""
    if group not in _loaded:
        _loaded[group] = app_module(group, f"stint_unit_{group}_app").lambda_handler
    return _loaded[group]


class Context:
    """The parts of Lambda's context object Powertools reads."""

    function_name = "unit"
    function_version = "$LATEST"
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:unit"
    memory_limit_in_mb = "256"
    log_group_name = "/aws/lambda/unit"
    log_stream_name = "unit"

    def __init__(self) -> None:
        self.aws_request_id = str(uuid.uuid4())

    def get_remaining_time_in_millis(self) -> int:
        return 15_000


@dataclass
class Answer:
    status: int
    headers: dict[str, str]
    body: Any


def call(
    group: str,
    method: str,
    path: str,
    user: str,
    *,
    username: str | None = None,
    body: Any = None,
    headers: dict[str, str] | None = None,
    query: dict[str, str] | None = None,
) -> Answer:
    """Invoke a function with an API Gateway (REST, proxy) event of `user`'s access token."""
    event = direct_event(
        method,
        path,
        user,
        caller="unit",
        username=username,
        body=body,
        query=query,
        headers=headers,
    )
    response = handler(group)(event, Context())
    text = response.get("body") or ""
    headers = dict(response.get("headers") or {})
    for name, values in (response.get("multiValueHeaders") or {}).items():
        headers[name] = ", ".join(values)
    return Answer(int(response["statusCode"]), headers, json.loads(text) if text else None)


@pytest.fixture
def pool(table: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """The user pool of template.yaml, in moto (for routes that look users up by email)."""
    provisioner = Provisioner(template(), sdk_client)
    pool_id = str(provisioner.ref("UserPool"))
    monkeypatch.setenv("USER_POOL_ID", pool_id)
    monkeypatch.setenv("STINT_LOCAL", "1")  # webhooks to 127.0.0.1, as the local stack allows
    config.settings.cache_clear()
    yield pool_id
    config.settings.cache_clear()


def pool_user(pool_id: str) -> tuple[str, str]:
    """A new user of the pool, with a verified email: (sub, email)."""
    email = f"user-{uuid.uuid4().hex[:10]}@example.com"
    user = sdk_client("cognito-idp").admin_create_user(
        UserPoolId=pool_id,
        Username=email,
        UserAttributes=[
            {"Name": "email", "Value": email},
            {"Name": "email_verified", "Value": "true"},
        ],
        MessageAction="SUPPRESS",
    )["User"]
    sub = next(a["Value"] for a in user["Attributes"] if a["Name"] == "sub")
    return sub, email

"""The invalid side: values docs/API.md refuses get a 400 at once (docs/DESIGN.md, "Values").

For every field of every request body (walked from the models, tests/property/strategies.py,
so a new field is covered): NaN, Infinity, numbers past the field's bound, 31-digit integers,
JSON nested 65 deep, a lone surrogate, U+0000, each in an otherwise valid body; and the same
shapes inside a `nextToken` and a `syncToken`. Each is a 400 with the error body of docs/API.md
("Errors"), answered without a retry loop (the defect was an 8 s retry): counted, not timed, by
`refused_at_once` (tests/api/conftest.py), which sees nothing wait and nothing written to
DynamoDB while the handlers refuse it. So the module runs in this process, as tests/api does
(marked `inprocess`, tests/inprocess.py): the real handlers behind the local gateway, over moto.

Each is refused for its own value: the same body without it is accepted
(`test_the_valid_body_is_accepted`), and the refusal names it: a `validation_error` names the
field as the client wrote it (`message` "field: ...", and `details[].field`); an
`invalid_json` refuses the body before any field is read, and names the flaw planted (nested
too deep, a lone surrogate or U+0000, an integer of too many digits).

A webhook's URL must resolve: `https://hooks.localhost/in` does in process as in the local stack
(local/names.py, RFC 6761's loopback names), whatever the machine's DNS.
"""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest

from stint import models
from tests.api import conftest as api_tests
from tests.api.conftest import Api, new_api, refused_at_once
from tests.pipeline import error_body_problem
from tests.property.conftest import STATS
from tests.property.strategies import NESTED_65, Invalid, invalid_values

pytestmark = pytest.mark.inprocess
stack = api_tests.stack  # in process, not the property tests' shared local stack
HOOK_URL = "https://hooks.localhost/in"  # resolves to 127.0.0.1 (local/names.py)
PLACEHOLDER = "\x01VALUE\x01"

# (method, path, the body's model, the key it is wrapped in or None, a minimal valid body).
# {task} is the account's task, {workspace} a shared workspace of theirs, {user} their id.
ROUTES: list[tuple[str, str, type[models.BaseModel], str | None, dict[str, Any]]] = [
    ("POST", "/v1/projects", models.ProjectFields, "project", {"title": "x"}),
    ("POST", "/v1/categories", models.CategoryFields, "category", {"title": "x"}),
    ("POST", "/v1/clients", models.ClientFields, "client", {"name": "x"}),
    ("POST", "/v1/tags", models.TagFields, "tag", {"name": "x"}),
    ("POST", "/v1/tasks", models.TaskFields, "task", {"title": "x"}),
    ("POST", "/v1/tasks/{task}/subtasks", models.SubtaskFields, "subtask", {"title": "x"}),
    (
        "POST",
        "/v1/sessions",
        models.SessionBody,
        None,
        {
            "task": {"title": "x"},
            "session": {"startTimestamp": "2026-01-01T00:00:00Z", "duration": 60},
        },
    ),
    ("PATCH", "/v1/me", models.UserPatch, None, {"displayName": "x"}),
    ("POST", "/v1/timer", models.TimerStart, None, {"taskId": "{task}"}),
    ("POST", "/v1/tasks/{task}/events", models.TaskEventBody, None, {"event": "pause"}),
    ("POST", "/v1/workspaces", models.WorkspaceFields, "workspace", {"name": "x"}),
    (
        "PATCH",
        "/v1/workspaces/{workspace}",
        models.WorkspacePatchFields,
        "workspace",
        {"name": "x"},
    ),
    (
        "POST",
        "/v1/workspaces/{workspace}/members",
        models.MemberBody,
        None,
        {"email": "x@example.com"},
    ),
    (
        "PATCH",
        "/v1/workspaces/{workspace}/members/{user}",
        models.MemberPatch,
        None,
        {"role": "owner"},
    ),
    (
        "POST",
        "/v1/webhooks",
        models.WebhookFields,
        None,
        {"hookUrl": HOOK_URL, "triggerType": "task"},
    ),
]
# A nested object a planted value goes in, where `{}` is not valid: a budget's `kind` says which
# budget it is (a discriminated union), a session's new project needs a title; without them the
# refusal would be for what is missing.
VALID_PARENTS: dict[str, dict[str, Any]] = {
    "budget": {"kind": "time", "amount": 1},
    "project": {"title": "x"},
}
# What an `invalid_json` refusal names for each planted value that is not JSON Stint accepts.
JSON_FLAWS = {
    NESTED_65: "nested deeper than 64 levels",
    '"a\\ud800b"': "a lone surrogate or U+0000",
    '"a\\u0000b"': "a lone surrogate or U+0000",
    "1" + "0" * 30: "more than 30 digits",
}


def cases() -> list[Any]:
    found = []
    for method, path, model, key, valid in ROUTES:
        for invalid in invalid_values(model):
            label = f"{method} {path} {invalid.path}={invalid.json_value[:12]}"
            found.append(pytest.param(method, path, key, valid, invalid, id=label))
    return found


@pytest.fixture(scope="module")
def user(stack: dict[str, Any]) -> tuple[Api, dict[str, str]]:
    """A user, and what the routes' paths name: {task}, {workspace}, {user}."""
    api = new_api(stack)
    names = {
        "task": api.create("/v1/tasks", "task", title="target")["id"],
        "workspace": api.create("/v1/workspaces", "workspace", name="target")["id"],
        "user": api.get("/v1/me").json()["id"],
    }
    return api, names


def filled(text: str, names: dict[str, str]) -> str:
    for name, value in names.items():
        text = text.replace("{" + name + "}", value)
    return text


def framed(valid: dict[str, Any], path: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """A copy of the valid body holding the objects the field at `path` is in (each a valid
    one), and the innermost of them."""
    body = json.loads(json.dumps(valid))
    target = body
    for parent in path.split(".")[:-1]:
        target = target.setdefault(parent, json.loads(json.dumps(VALID_PARENTS.get(parent, {}))))
    return body, target


def with_value(valid: dict[str, Any], key: str | None, invalid: Invalid) -> str:
    """The valid body with the field at `invalid.path` set to its raw JSON text."""
    body, target = framed(valid, invalid.path)
    target[invalid.path.split(".")[-1]] = PLACEHOLDER
    text = json.dumps({key: body} if key else body)
    return text.replace(json.dumps(PLACEHOLDER), invalid.json_value)


def field_name(key: str | None, invalid: Invalid) -> str:
    """The field as the client wrote it, as a refusal names it (docs/API.md, "Errors")."""
    return f"{key}.{invalid.path}" if key else invalid.path


def assert_names(response: Any, field: str, invalid: Invalid) -> None:
    """The refusal is for the planted value: it names the field, or the JSON flaw."""
    error = response.json()["error"]
    if error["code"] == "invalid_json":
        flaw = JSON_FLAWS.get(invalid.json_value)
        assert flaw is not None, f"{field}={invalid.json_value[:20]}: refused as JSON: {error}"
        assert flaw in error["message"], f"{field}: not refused for {flaw!r}: {error}"
        return
    assert error["code"] == "validation_error", error
    assert error["message"].startswith(f"{field}: "), f"does not name {field}: {error}"
    named = [detail.get("field") for detail in error.get("details") or []]
    assert field in named, f"details do not name {field}: {error}"


def assert_quick_400(api: Api, method: str, path: str, **kwargs: Any) -> Any:
    response = refused_at_once(api, method, path, **kwargs)
    STATS["invalid"] += 1
    assert response.status_code == 400, f"{response.status_code}: {response.text[:300]}"
    assert error_body_problem(response) is None, response.text[:300]
    return response


@pytest.mark.parametrize(("method", "path", "key", "valid", "invalid"), cases())
def test_an_invalid_value_is_a_400_at_once(
    user: tuple[Api, dict[str, str]],
    method: str,
    path: str,
    key: str | None,
    valid: dict[str, Any],
    invalid: Invalid,
) -> None:
    api, names = user
    text = filled(with_value(valid, key, invalid), names)
    headers = {"Content-Type": "application/json"}
    response = assert_quick_400(
        api, method, filled(path, names), data=text.encode(), headers=headers
    )
    assert_names(response, field_name(key, invalid), invalid)


def valid_cases() -> list[Any]:
    """Each route's valid body, once with each set of objects an invalid value is put in:
    (method, path, the body's JSON text)."""
    found = []
    for method, path, model, key, valid in ROUTES:
        frames = {invalid.path.rpartition(".")[0] for invalid in invalid_values(model)}
        for frame in sorted(frames):
            body, _ = framed(valid, f"{frame}.field" if frame else "field")
            text = json.dumps({key: body} if key else body)
            label = f"{method} {path} {frame or '(top)'}"
            found.append(pytest.param((method, path, text), id=label))
    return found


@pytest.mark.parametrize("case", valid_cases())
def test_the_valid_body_is_accepted(
    user: tuple[Api, dict[str, str]], case: tuple[str, str, str]
) -> None:
    """What the invalid cases change is all that makes them invalid: without it the body is
    accepted (a webhook's among them: its URL's host resolves)."""
    (api, names), (method, path, text) = user, case
    headers = {"Content-Type": "application/json"}
    data = filled(text, names).encode()
    response = api.request(method, filled(path, names), data=data, headers=headers)
    assert 200 <= response.status_code < 300, f"{response.status_code}: {response.text[:300]}"


TOKEN_SHAPES = {
    "nested 65 deep": "[" * 65 + "]" * 65,
    "a 31-digit integer": '{"sk": 1' + "0" * 30 + "}",
    "NaN": '{"sk": NaN}',
    "a lone surrogate": '{"sk": "\\ud800"}',
}


@pytest.mark.parametrize("shape", sorted(TOKEN_SHAPES))
@pytest.mark.parametrize(
    ("path", "parameter"),
    [("/v1/sync", "syncToken"), ("/v1/projects", "nextToken"), ("/v1/sessions", "nextToken")],
)
def test_an_invalid_token_is_a_400_at_once(
    user: tuple[Api, dict[str, str]], path: str, parameter: str, shape: str
) -> None:
    token = base64.urlsafe_b64encode(TOKEN_SHAPES[shape].encode()).decode().rstrip("=")
    assert_quick_400(user[0], "GET", path, params={parameter: token})

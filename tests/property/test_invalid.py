"""The invalid side: values refused get a 400 at once (docs/DESIGN.md, "Values").

For every field of every request body (walked from the models, tests/property/strategies.py,
so a new field is covered): NaN, Infinity, numbers past the field's bound, 31-digit integers,
JSON nested 65 deep, a lone surrogate, U+0000, each in an otherwise valid body; and the same
shapes inside a `nextToken` and a `syncToken`. Each is a 400 with docs/API.md's error body,
answered without a retry loop: under `QUICK_S` seconds (the defect was an 8 s retry), a bound
loose enough for a loaded machine.
"""

from __future__ import annotations

import base64
import json
import time
from typing import Any

import pytest

from stint import models
from tests.api.conftest import Api, new_api
from tests.pipeline import error_body_problem
from tests.property.conftest import STATS
from tests.property.strategies import Invalid, invalid_values

QUICK_S = 2.0
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
        {"hookUrl": "https://example.com/h", "triggerType": "task"},
    ),
]


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


def with_value(valid: dict[str, Any], key: str | None, invalid: Invalid) -> str:
    """The valid body with the field at `invalid.path` set to its raw JSON text."""
    body = json.loads(json.dumps(valid))
    target = body
    *parents, name = invalid.path.split(".")
    for parent in parents:
        target = target.setdefault(parent, {})
    target[name] = PLACEHOLDER
    text = json.dumps({key: body} if key else body)
    return text.replace(json.dumps(PLACEHOLDER), invalid.json_value)


def assert_quick_400(api: Api, method: str, path: str, **kwargs: Any) -> None:
    started = time.monotonic()
    response = api.request(method, path, **kwargs)
    elapsed = time.monotonic() - started
    STATS["invalid"] += 1
    assert response.status_code == 400, f"{response.status_code}: {response.text[:300]}"
    assert error_body_problem(response) is None, response.text[:300]
    assert elapsed < QUICK_S, f"a 400 after {elapsed:.1f} s: a retry loop"


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
    assert_quick_400(api, method, filled(path, names), data=text.encode(), headers=headers)


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

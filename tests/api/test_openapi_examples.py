"""openapi.json's request body examples, each sent to its route: accepted (2xx), as a reader who
copies one would expect. A route with path ids gets them as the document says a client does:
by its links (tools/openapi.py), from an operation run first with its own example."""

from __future__ import annotations

import json
import socket
from typing import Any

import pytest
import requests

from tests.api.conftest import Api
from tools.openapi import OUTPUT

DOCUMENT: dict[str, Any] = json.loads(OUTPUT.read_text(encoding="utf-8"))
OPERATIONS: dict[str, tuple[str, str, dict[str, Any]]] = {
    operation["operationId"]: (method.upper(), path, operation)
    for path, item in DOCUMENT["paths"].items()
    for method, operation in item.items()
}
# A body's id that no link can give (OpenAPI's links fill parameters, not bodies): the operation
# that makes the entity, run first, and where its answer has the id.
BODY_IDS = {"startTimer": ("createTask", "taskId", "/task/id")}
# What a route needs done first, beyond its ids: a running timer to stop.
BEFORE = {"stopTimer": "startTimer"}
WITH_BODIES = sorted(name for name, (_, _, op) in OPERATIONS.items() if "requestBody" in op)


def example(operation_id: str) -> Any:
    operation = OPERATIONS[operation_id][2]
    return (
        operation.get("requestBody", {})
        .get("content", {})
        .get("application/json", {})
        .get("example")
    )


def links_to(target: str) -> list[tuple[str, str, dict[str, str]]]:
    """(source, status, parameters) of every link to `target`, in the document's order."""
    return [
        (source, status, link["parameters"])
        for source, (_, _, operation) in OPERATIONS.items()
        for status, response in operation["responses"].items()
        for link in response.get("links", {}).values()
        if link["operationId"] == target
    ]


def pointed(body: Any, pointer: str) -> Any:
    for part in pointer.strip("/").split("/"):
        body = body[int(part)] if isinstance(body, list) else body[part]
    return body


def call(api: Api, operation_id: str, path_ids: dict[str, str]) -> requests.Response:
    method, path, _ = OPERATIONS[operation_id]
    body = example(operation_id)
    if operation_id in BODY_IDS:
        maker, field, pointer = BODY_IDS[operation_id]
        made = call(api, maker, reach(api, maker))
        body = {**body, field: pointed(made.json(), pointer)}
    if operation_id in BEFORE:
        done = call(api, BEFORE[operation_id], reach(api, BEFORE[operation_id]))
        assert done.status_code < 300, done.text
    url = path.format(**path_ids)
    return api.request(method, url, **({} if body is None else {"json": body}))


def reach(api: Api, operation_id: str, depth: int = 0) -> dict[str, str]:
    """The path ids of `operation_id`, from the first of its links whose source succeeds."""
    _, _, operation = OPERATIONS[operation_id]
    if not any(p["in"] == "path" for p in operation.get("parameters", [])):
        return {}
    assert depth < 4, f"no chain of links reaches {operation_id}"
    tried = []
    for source, status, parameters in links_to(operation_id):
        source_ids = reach(api, source, depth + 1)
        response = call(api, source, source_ids)
        if response.status_code != int(status):
            tried.append(f"{source}: {response.status_code} {response.text[:200]}")
            continue
        try:
            return {
                name: evaluated(expression, source_ids, response)
                for name, expression in parameters.items()
            }
        except (KeyError, IndexError) as missing:  # a list the link points into is shorter
            tried.append(f"{source}: no {missing} in {response.text[:200]}")
    raise AssertionError(f"no link to {operation_id} worked: {tried}")


def evaluated(expression: str, source_ids: dict[str, str], response: requests.Response) -> str:
    """A link's runtime expression: `$request.path.X` or `$response.body#/pointer`."""
    if expression.startswith("$request.path."):
        return source_ids[expression.removeprefix("$request.path.")]
    return str(pointed(response.json(), expression.removeprefix("$response.body#")))


# Routes one user alone cannot be allowed: the body is read and valid, and the caller refused.
ANOTHER_USERS = {
    # docs/API.md, "Approvals": nobody approves or rejects their own time.
    "approveApproval": "forbidden",
    "rejectApproval": "forbidden",
}


@pytest.fixture(autouse=True)
def hook_host_resolves(monkeypatch: pytest.MonkeyPatch) -> None:
    """The examples' hook URL host resolves to a public address (example.com's), as it does
    with a network: the server resolves a hook URL's host (stint.hook_urls), and this process
    may have no resolver to ask."""
    from stint import hook_urls

    resolve = hook_urls._lookup

    def public(host: str, port: int) -> list[Any]:
        if host != "hooks.example.com":
            return resolve(host, port)
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("93.184.215.14", port))]

    monkeypatch.setattr(hook_urls, "_lookup", public)


@pytest.mark.parametrize("operation_id", WITH_BODIES)
def test_each_request_body_example_is_accepted(api: Api, operation_id: str) -> None:
    response = call(api, operation_id, reach(api, operation_id))
    if operation_id in ANOTHER_USERS:
        assert response.status_code == 403, response.text
        assert response.json()["error"]["code"] == ANOTHER_USERS[operation_id]
        return
    assert 200 <= response.status_code < 300, response.text


def test_every_request_body_has_an_example() -> None:
    assert len(WITH_BODIES) > 25
    assert [name for name in WITH_BODIES if example(name) is None] == []

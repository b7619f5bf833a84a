"""docs/API.md, "Lists" and "Sync tokens": a `nextToken` or `syncToken` is good only for the
caller, the route and the query it was handed out for. Every paged route, every other use of
its token (another user, another route, another query, a changed token) is a 400, and the
token's own next page still works."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.api.conftest import Api, assert_error

# A paged route, its query (limit 1: a second page exists), and the token it hands out.
PAGED = [
    ("/v1/projects", {"limit": "1", "archived": "all"}, "nextToken"),
    ("/v1/categories", {"limit": "1"}, "nextToken"),
    ("/v1/tags", {"limit": "1"}, "nextToken"),
    ("/v1/tasks", {"limit": "1"}, "nextToken"),
    ("/v1/sessions", {"limit": "1"}, "nextToken"),
    (
        "/v1/reports/detailed",
        {"limit": "1", "from": "2026-11-01T00:00:00Z", "to": "2026-12-01T00:00:00Z"},
        "nextToken",
    ),
    ("/v1/sync", {"limit": "1"}, "syncToken"),
]


def _seed(api: Api) -> None:
    for n in range(2):
        project = api.create("/v1/projects", "project", title=f"P{n}")
        api.create("/v1/categories", "category", title=f"C{n}")
        api.create("/v1/tags", "tag", name=f"T{n}")
        body = {
            "task": {"title": f"Task {n}", "projectId": project["id"]},
            "session": {"startTimestamp": f"2026-11-0{n + 1}T09:00:00Z", "duration": 60},
        }
        assert api.post("/v1/sessions", json=body).status_code == 201


@pytest.fixture(scope="module")
def seeded(stack: dict[str, Any]) -> tuple[Api, Api]:
    from tests.api.conftest import new_api

    owner, other = new_api(stack), new_api(stack)
    _seed(owner)
    _seed(other)
    return owner, other


def _code(name: str) -> str:
    return "invalid_sync_token" if name == "syncToken" else "validation_error"


@pytest.mark.parametrize(("path", "query", "name"), PAGED, ids=[p for p, _, _ in PAGED])
def test_a_token_is_good_for_its_caller_route_and_query_only(
    seeded: tuple[Api, Api], path: str, query: dict[str, str], name: str
) -> None:
    owner, other = seeded
    first = owner.get(path, params=query)
    assert first.status_code == 200, first.text
    token = first.json()[name]
    assert owner.get(path, params={**query, name: token}).status_code == 200

    assert_error(other.get(path, params={**query, name: token}), 400, _code(name))
    for elsewhere, elsewhere_query, elsewhere_name in PAGED:
        if elsewhere != path:
            answer = owner.get(elsewhere, params={**elsewhere_query, elsewhere_name: token})
            assert_error(answer, 400, _code(elsewhere_name))
    changed_query = {**query, "workspaceId": owner.get("/v1/me").json()["personalWorkspaceId"]}
    assert_error(owner.get(path, params={**changed_query, name: token}), 400, _code(name))
    mac, _, inner = token.partition(".")
    flipped = inner[:-1] + ("A" if inner[-1] != "A" else "B")
    assert_error(owner.get(path, params={**query, name: f"{mac}.{flipped}"}), 400, _code(name))
    # The page size may change between pages: `limit` is not part of what a token is for.
    assert owner.get(path, params={**query, "limit": "2", name: token}).status_code == 200


# Regression: a token with a character outside ASCII was a 502 (hmac.compare_digest refuses such
# a str); the family: any text as any route's token is a 400, never a 5xx.
@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    route=st.sampled_from(PAGED),
    token=st.text(min_size=1, max_size=80).filter(lambda t: t not in ("*",)),
)
def test_any_text_as_a_token_is_a_400(
    seeded: tuple[Api, Api], route: tuple[str, dict[str, str], str], token: str
) -> None:
    path, query, name = route
    answer = seeded[0].get(path, params={**query, name: token})
    assert answer.status_code == 400, (token, answer.status_code, answer.text)
    assert answer.json()["error"]["code"] in ("validation_error", "invalid_json", _code(name))

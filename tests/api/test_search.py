"""docs/API.md: search by name (Tyme's search_entity)."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

import pytest

from tests.api.conftest import Api, assert_error

RESULT_FIELDS = {"type", "id", "title", "parentId", "active"}


def search(api: Api, **params: str) -> list[dict[str, Any]]:
    response = api.get("/v1/search?" + urlencode(params))
    assert response.status_code == 200, response.text
    body = response.json()
    assert set(body) == {"results"}
    assert all(set(result) == RESULT_FIELDS for result in body["results"])
    return list(body["results"])


def titles(results: list[dict[str, Any]]) -> list[str | None]:
    return [result["title"] for result in results]


def test_projects_active_first_then_exact_then_by_title_ignoring_case(api: Api) -> None:
    for title in ("Old Acme", "Big acme", "Acme Corp", "Acme", "Beta"):
        api.create("/v1/projects", "project", title=title)
    api.create("/v1/projects", "project", title="ACME", isArchived=True)
    old = next(p for p in api.get("/v1/projects").json()["projects"] if p["title"] == "Old Acme")
    api.patch(f"/v1/projects/{old['id']}", json={"project": {"isArchived": True}})
    results = search(api, type="project", name="aCmE")
    # Active: "Acme" (exact), then "Acme Corp", "Big acme" by title; archived: "ACME" (exact),
    # then "Old Acme".
    assert titles(results) == ["Acme", "Acme Corp", "Big acme", "ACME", "Old Acme"]
    assert [r["active"] for r in results] == [True, True, True, False, False]
    assert all(r["type"] == "project" and r["parentId"] is None for r in results)
    # No name (or a blank one): everything of that type, the default project "Inbox" too.
    everything = titles(search(api, type="project"))
    assert everything == ["Acme", "Acme Corp", "Beta", "Big acme", "Inbox", "ACME", "Old Acme"]
    assert titles(search(api, type="project", name="  ")) == everything
    assert search(api, type="project", name="zzz") == []


def test_parent_narrows_and_parent_ids_are_returned(api: Api) -> None:
    clients = api.create("/v1/categories", "category", title="Clients")
    api.create("/v1/categories", "category", title="Internal clients")
    inside = api.create("/v1/projects", "project", title="Site", categoryId=clients["id"])
    api.create("/v1/projects", "project", title="Site 2")
    other_task = api.create("/v1/tasks", "task", title="Write copy")
    done = api.create("/v1/tasks", "task", title="Write specs", projectId=inside["id"])
    api.patch(f"/v1/tasks/{done['id']}", json={"task": {"isCompleted": True}})
    task = api.create("/v1/tasks", "task", title="Write code", projectId=inside["id"])
    api.post(f"/v1/tasks/{task['id']}/subtasks", json={"subtask": {"title": "Write tests"}})
    api.post(f"/v1/tasks/{other_task['id']}/subtasks", json={"subtask": {"title": "Write it"}})

    categories = search(api, type="category", name="CLIENTS")
    assert titles(categories) == ["Clients", "Internal clients"]  # exact first
    assert all(c["active"] and c["parentId"] is None for c in categories)

    assert titles(search(api, type="project", name="site")) == ["Site", "Site 2"]
    narrowed = search(api, type="project", name="site", parentId=clients["id"])
    assert [(r["id"], r["parentId"]) for r in narrowed] == [(inside["id"], clients["id"])]

    assert titles(search(api, type="task", name="write")) == [
        "Write code",
        "Write copy",
        "Write specs",  # completed: last
    ]
    in_site = search(api, type="task", name="write", parentId=inside["id"])
    assert [(r["title"], r["parentId"], r["active"]) for r in in_site] == [
        ("Write code", inside["id"], True),
        ("Write specs", inside["id"], False),
    ]
    subtasks = search(api, type="subtask", name="write", parentId=task["id"])
    assert [(r["title"], r["parentId"]) for r in subtasks] == [("Write tests", task["id"])]
    assert titles(search(api, type="subtask", name="WRITE")) == ["Write it", "Write tests"]


def test_at_most_50(api: Api) -> None:
    for number in range(55):
        api.create("/v1/categories", "category", title=f"Cap {number:02d}")
    results = search(api, type="category", name="cap")
    assert titles(results) == [f"Cap {n:02d}" for n in range(50)]


def test_another_users_entities_never_appear(api: Api, other: Api) -> None:
    mine = api.create("/v1/projects", "project", title="Shared name")
    theirs = other.create("/v1/projects", "project", title="Shared name")
    assert [r["id"] for r in search(api, type="project", name="shared")] == [mine["id"]]
    assert [r["id"] for r in search(other, type="project", name="shared")] == [theirs["id"]]
    # Their project as a parent: a 404, as for any id that is not the caller's.
    response = api.get("/v1/search?" + urlencode({"type": "task", "parentId": theirs["id"]}))
    assert_error(response, 404, "not_found")


@pytest.mark.parametrize(
    ("params", "status", "code"),
    [
        ({}, 400, "validation_error"),  # type is required
        ({"type": "Project"}, 400, "validation_error"),
        ({"type": "session"}, 400, "validation_error"),
        ({"type": "task", "name": "x" * 501}, 400, "validation_error"),
        ({"type": "category", "parentId": "anything"}, 400, "validation_error"),
        ({"type": "task", "parentId": "no-such-project"}, 404, "not_found"),
        ({"type": "subtask", "parentId": "not an id!"}, 404, "not_found"),
    ],
)
def test_bad_parameters(api: Api, params: dict[str, str], status: int, code: str) -> None:
    assert_error(api.get("/v1/search?" + urlencode(params)), status, code)

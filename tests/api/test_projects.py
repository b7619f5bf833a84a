"""docs/API.md: projects."""

import pytest

from tests.api.conftest import Api, assert_error

PROJECT_FIELDS = {
    "id",
    "isPublic",
    "members",
    "title",
    "isArchived",
    "categoryId",
    "clientId",
    "color",
    "roundingMethod",
    "roundingMinutes",
    "hourlyRate",
    "plannedDurationHours",
    "plannedBudget",
    "budget",
    "workspaceId",
    "lastUpdated",
}


def test_create_get_and_defaults(api: Api) -> None:
    response = api.post("/v1/projects", json={"project": {"title": "  Acme  "}})
    assert response.status_code == 201, response.text
    project = response.json()["project"]
    assert set(project) == PROJECT_FIELDS
    assert project["title"] == "Acme"
    assert project["isArchived"] is False
    assert project["roundingMethod"] == "nearest" and project["roundingMinutes"] == 0
    assert project["lastUpdated"].endswith("Z") and len(project["lastUpdated"]) == 24
    assert response.headers["ETag"]
    got = api.get(f"/v1/projects/{project['id']}")
    assert got.status_code == 200
    assert got.json()["project"] == project
    assert got.headers["ETag"] == response.headers["ETag"]


def test_create_with_every_field_and_a_client_id(api: Api) -> None:
    category = api.create("/v1/categories", "category", title="Clients")
    fields = {
        "id": "acme-2026",
        "title": "Acme",
        "isArchived": False,
        "categoryId": category["id"],
        "color": "#ff8800",
        "roundingMethod": "up",
        "roundingMinutes": 15,
        "hourlyRate": 95.5,
        "plannedDurationHours": 40,
        "plannedBudget": 3820,
    }
    project = api.create("/v1/projects", "project", **fields)
    assert {k: project[k] for k in fields} == fields
    assert_error(api.post("/v1/projects", json={"project": {"id": "acme-2026"}}), 409, "conflict")


def test_create_rejects_bad_fields_and_writes_nothing(api: Api) -> None:
    bad_bodies = [
        {"project": {"title": "x" * 501}},
        {"project": {"title": "   "}},
        {"project": {"title": 12}},
        {"project": {"isArchived": "true"}},
        {"project": {"roundingMethod": "sideways"}},
        {"project": {"roundingMinutes": -1}},
        {"project": {"hourlyRate": -5}},
        {"project": {"hourlyRate": "12"}},
        {"project": {"id": "has space"}},
        {"project": {"id": "x" * 65}},
        {"project": {"title": "a", "owner": "me"}},
        {"project": {"title": "a"}, "extra": True},
        {"project": {"title": "a", "lastUpdated": "2026-11-22T09:30:00"}},
        {"project": {"categoryId": "no-such-category"}},
        {},
        [],
    ]
    for body in bad_bodies:
        assert_error(api.post("/v1/projects", json=body), 400, "validation_error")
    error = assert_error(
        api.post("/v1/projects", json={"project": {"categoryId": "nope"}}), 400, "validation_error"
    )
    assert "categoryId" in error["message"]
    projects = api.get("/v1/projects?archived=all").json()["projects"]
    assert [p["title"] for p in projects] == ["Inbox"]


def test_patch_sets_only_given_fields_and_accepts_what_get_returned(api: Api) -> None:
    project = api.create("/v1/projects", "project", title="Acme", color="#123456")
    response = api.patch(f"/v1/projects/{project['id']}", json={"project": {"hourlyRate": 80}})
    assert response.status_code == 200, response.text
    patched = response.json()["project"]
    assert (
        patched["hourlyRate"] == 80 and patched["color"] == "#123456" and patched["title"] == "Acme"
    )
    assert patched["lastUpdated"] >= project["lastUpdated"]
    # Send back what was got (server-managed fields included): accepted and unchanged.
    again = api.patch(f"/v1/projects/{project['id']}", json={"project": patched})
    assert again.status_code == 200, again.text
    assert {k: v for k, v in again.json()["project"].items() if k != "lastUpdated"} == {
        k: v for k, v in patched.items() if k != "lastUpdated"
    }
    cleared = api.patch(f"/v1/projects/{project['id']}", json={"project": {"color": None}})
    assert cleared.json()["project"]["color"] is None


def test_patch_errors(api: Api) -> None:
    project = api.create("/v1/projects", "project", title="Acme")
    path = f"/v1/projects/{project['id']}"
    assert_error(api.patch("/v1/projects/nope", json={"project": {"title": "x"}}), 404, "not_found")
    assert_error(api.patch(path, json={"project": {"id": "other"}}), 400, "validation_error")
    assert_error(api.patch(path, json={"project": {"isArchived": None}}), 400, "validation_error")
    assert_error(api.patch(path, json={"project": {"categoryId": "nope"}}), 400, "validation_error")
    assert_error(api.patch(path, json={"title": "x"}), 400, "validation_error")
    assert api.get(path).json()["project"] == project


def test_default_project_cannot_be_archived_or_deleted(api: Api) -> None:
    inbox_id = api.get("/v1/me").json()["defaultProject"]
    path = f"/v1/projects/{inbox_id}"
    assert_error(api.patch(path, json={"project": {"isArchived": True}}), 409, "default_project")
    assert_error(api.delete(path), 409, "default_project")
    assert_error(api.delete(path + "?cascade=true"), 409, "default_project")
    assert api.get(path).status_code == 200


def test_list_filters_archived_and_category(api: Api) -> None:
    category = api.create("/v1/categories", "category", title="Clients")
    live = api.create("/v1/projects", "project", title="Live", categoryId=category["id"])
    old = api.create("/v1/projects", "project", title="Old", isArchived=True)

    def ids(query: str) -> set[str]:
        response = api.get("/v1/projects" + query)
        assert response.status_code == 200, response.text
        return {p["id"] for p in response.json()["projects"]}

    assert live["id"] in ids("") and old["id"] not in ids("")
    assert ids("?archived=true") == {old["id"]}
    assert {live["id"], old["id"]} <= ids("?archived=all")
    assert ids(f"?categoryId={category['id']}") == {live["id"]}
    assert_error(api.get("/v1/projects?archived=maybe"), 400, "validation_error")


def test_list_pages_with_limit_and_next_token(api: Api) -> None:
    created = {api.create("/v1/projects", "project", title=f"P{i}")["id"] for i in range(7)}
    seen: list[str] = []
    token = None
    pages = 0
    while True:
        query = "?limit=3" + (f"&nextToken={token}" if token else "")
        body = api.get("/v1/projects" + query).json()
        assert len(body["projects"]) <= 3
        seen.extend(p["id"] for p in body["projects"])
        pages += 1
        token = body.get("nextToken")
        if not token:
            break
    assert pages == 3
    assert len(seen) == len(set(seen)) == 8  # 7 + Inbox, none twice
    assert created < set(seen)
    assert_error(api.get("/v1/projects?limit=0"), 400, "validation_error")
    assert_error(api.get("/v1/projects?limit=501"), 400, "validation_error")
    assert_error(api.get("/v1/projects?limit=ten"), 400, "validation_error")
    assert_error(api.get("/v1/projects?nextToken=garbage"), 400, "validation_error")


def test_delete_empty_project_and_not_empty_without_cascade(api: Api) -> None:
    empty = api.create("/v1/projects", "project", title="Empty")
    assert api.delete(f"/v1/projects/{empty['id']}").status_code == 204
    assert_error(api.get(f"/v1/projects/{empty['id']}"), 404, "not_found")
    assert_error(api.delete(f"/v1/projects/{empty['id']}"), 404, "not_found")

    busy = api.create("/v1/projects", "project", title="Busy")
    api.create("/v1/tasks", "task", title="t", projectId=busy["id"])
    assert_error(api.delete(f"/v1/projects/{busy['id']}"), 409, "not_empty")
    assert api.get(f"/v1/projects/{busy['id']}").status_code == 200


def test_cascade_deletes_tasks_and_subtasks(api: Api) -> None:
    project = api.create("/v1/projects", "project", title="Doomed")
    tasks = [
        api.create("/v1/tasks", "task", title=f"t{i}", projectId=project["id"]) for i in range(3)
    ]
    subtask = api.create(f"/v1/tasks/{tasks[0]['id']}/subtasks", "subtask", title="s")
    keeper = api.create("/v1/tasks", "task", title="keep")
    assert api.delete(f"/v1/projects/{project['id']}?cascade=true").status_code == 204
    for task in tasks:
        assert_error(api.get(f"/v1/tasks/{task['id']}"), 404, "not_found")
    assert_error(api.get(f"/v1/subtasks/{subtask['id']}"), 404, "not_found")
    assert api.get(f"/v1/tasks/{keeper['id']}").status_code == 200


def test_a_deleted_id_can_be_created_again(api: Api) -> None:
    api.create("/v1/projects", "project", id="reuse-me", title="One")
    assert api.delete("/v1/projects/reuse-me").status_code == 204
    again = api.create("/v1/projects", "project", id="reuse-me", title="Two")
    assert again["title"] == "Two"


@pytest.mark.parametrize("blank", ["\u200b", "\ufeff\u2060", " \u180e\u200d ", "\u3000\u2028"])
@pytest.mark.parametrize(
    ("path", "key", "field"),
    [
        ("/v1/projects", "project", "title"),
        ("/v1/categories", "category", "title"),
        ("/v1/tags", "tag", "name"),
        ("/v1/workspaces", "workspace", "name"),
    ],
)
def test_a_title_of_nothing_visible_is_blank(
    api: Api, path: str, key: str, field: str, blank: str
) -> None:
    """docs/API.md, "Requests and answers": a title or name needs a visible character
    (every field of those types: tests/unit/test_titles.py)."""
    error = assert_error(api.post(path, json={key: {field: blank}}), 400, "validation_error")
    assert error["message"] == f"{key}.{field}: must have a visible character (it is blank)"
    made = api.post(path, json={key: {field: blank + "Visible" + blank}})
    assert made.status_code == 201, made.text

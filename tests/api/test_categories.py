"""docs/API.md: categories."""

from tests.api.conftest import Api, assert_error


def test_category_lifecycle(api: Api) -> None:
    response = api.post("/v1/categories", json={"category": {"title": " Clients "}})
    assert response.status_code == 201, response.text
    category = response.json()["category"]
    assert (
        set(category) == {"id", "workspaceId", "title", "lastUpdated"}
        and category["title"] == "Clients"
    )
    assert response.headers["ETag"]
    path = f"/v1/categories/{category['id']}"
    assert api.get(path).json()["category"] == category
    patched = api.patch(path, json={"category": {"title": "Customers"}})
    assert patched.status_code == 200 and patched.json()["category"]["title"] == "Customers"
    listed = api.get("/v1/categories").json()["categories"]
    assert [c["title"] for c in listed] == ["Customers"]
    assert api.delete(path).status_code == 204
    assert_error(api.get(path), 404, "not_found")
    assert_error(api.patch(path, json={"category": {"title": "x"}}), 404, "not_found")
    assert_error(api.delete(path), 404, "not_found")


def test_category_errors(api: Api) -> None:
    assert_error(api.post("/v1/categories", json={"category": {}}), 400, "validation_error")
    assert_error(
        api.post("/v1/categories", json={"category": {"title": ""}}), 400, "validation_error"
    )
    assert_error(
        api.post("/v1/categories", json={"category": {"title": "a", "color": "red"}}),
        400,
        "validation_error",
    )
    api.create("/v1/categories", "category", id="cat-1", title="One")
    assert_error(
        api.post("/v1/categories", json={"category": {"id": "cat-1", "title": "Two"}}),
        409,
        "conflict",
    )
    assert_error(
        api.patch("/v1/categories/cat-1", json={"category": {"title": None}}),
        400,
        "validation_error",
    )
    assert_error(
        api.patch("/v1/categories/cat-1", json={"category": {"id": "cat-2"}}),
        400,
        "validation_error",
    )
    assert [c["title"] for c in api.get("/v1/categories").json()["categories"]] == ["One"]


def test_deleting_a_category_clears_its_projects(api: Api) -> None:
    category = api.create("/v1/categories", "category", title="Clients")
    projects = [
        api.create("/v1/projects", "project", title=f"P{i}", categoryId=category["id"])
        for i in range(3)
    ]
    assert api.delete(f"/v1/categories/{category['id']}").status_code == 204
    for project in projects:
        assert api.get(f"/v1/projects/{project['id']}").json()["project"]["categoryId"] is None
    assert api.get(f"/v1/projects?categoryId={category['id']}").json()["projects"] == []


def test_list_pages(api: Api) -> None:
    for i in range(5):
        api.create("/v1/categories", "category", title=f"C{i}")
    first = api.get("/v1/categories?limit=2").json()
    assert len(first["categories"]) == 2 and first["nextToken"]
    second = api.get(f"/v1/categories?limit=10&nextToken={first['nextToken']}").json()
    assert len(second["categories"]) == 3 and "nextToken" not in second

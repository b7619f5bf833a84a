"""docs/API.md: GET / PATCH /v1/me."""

from tests.api.conftest import Api, assert_error


def test_profile_and_default_project_exist_from_the_first_request(api: Api) -> None:
    response = api.get("/v1/me")
    assert response.status_code == 200
    me = response.json()
    assert set(me) == {"id", "displayName", "email", "defaultProject", "personalWorkspaceId"}
    assert me["email"] == api.email
    inbox = api.get(f"/v1/projects/{me['defaultProject']}")
    assert inbox.status_code == 200
    assert inbox.json()["project"]["title"] == "Inbox"


def test_patch_display_name_and_default_project(api: Api) -> None:
    project = api.create("/v1/projects", "project", title="Work")
    response = api.patch("/v1/me", json={"displayName": "  Ada  ", "defaultProject": project["id"]})
    assert response.status_code == 200, response.text
    assert response.json()["displayName"] == "Ada"
    assert api.get("/v1/me").json()["defaultProject"] == project["id"]
    # A task without a project now goes to the new default project.
    task = api.create("/v1/tasks", "task", title="t")
    assert task["projectId"] == project["id"]


def test_patch_default_project_must_be_an_existing_unarchived_project(api: Api, other: Api) -> None:
    before = api.get("/v1/me").json()
    error = assert_error(
        api.patch("/v1/me", json={"defaultProject": "nope"}), 400, "validation_error"
    )
    assert "defaultProject" in error["message"]
    archived = api.create("/v1/projects", "project", title="Old", isArchived=True)
    assert_error(
        api.patch("/v1/me", json={"defaultProject": archived["id"]}), 400, "validation_error"
    )
    foreign = other.create("/v1/projects", "project", title="Theirs")
    assert_error(
        api.patch("/v1/me", json={"defaultProject": foreign["id"]}), 400, "validation_error"
    )
    assert api.get("/v1/me").json() == before


def test_patch_rejects_bad_input(api: Api) -> None:
    before = api.get("/v1/me").json()
    assert_error(api.patch("/v1/me", json={"displayName": 5}), 400, "validation_error")
    assert_error(api.patch("/v1/me", json={"displayName": "x" * 501}), 400, "validation_error")
    assert_error(api.patch("/v1/me", json={"nickname": "x"}), 400, "validation_error")
    assert_error(api.patch("/v1/me", json={"displayName": None}), 400, "validation_error")
    assert_error(
        api.patch("/v1/me", data="{nope", headers={"content-type": "application/json"}),
        400,
        "invalid_json",
    )
    assert api.get("/v1/me").json() == before


def test_patch_accepts_what_get_returned(api: Api) -> None:
    me = api.get("/v1/me").json()
    response = api.patch("/v1/me", json=me)
    assert response.status_code == 200, response.text
    assert response.json() == me

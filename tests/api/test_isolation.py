"""One user never sees or touches another's data: every id of theirs is a 404."""

from tests.api.conftest import Api, assert_error


def test_a_second_user_gets_404_for_every_id_of_the_first(api: Api, other: Api) -> None:
    category = api.create("/v1/categories", "category", title="Mine")
    project = api.create("/v1/projects", "project", title="Mine", categoryId=category["id"])
    task = api.create("/v1/tasks", "task", title="Mine", projectId=project["id"])
    subtask = api.create(f"/v1/tasks/{task['id']}/subtasks", "subtask", title="Mine")
    inbox = api.get("/v1/me").json()["defaultProject"]

    for path, key in [
        (f"/v1/projects/{project['id']}", "project"),
        (f"/v1/projects/{inbox}", "project"),
        (f"/v1/categories/{category['id']}", "category"),
        (f"/v1/tasks/{task['id']}", "task"),
        (f"/v1/subtasks/{subtask['id']}", "subtask"),
    ]:
        assert_error(other.get(path), 404, "not_found")
        assert_error(other.patch(path, json={key: {"title": "Theirs"}}), 404, "not_found")
        assert_error(other.delete(path), 404, "not_found")
        assert_error(other.delete(path + "?cascade=true"), 404, "not_found")
    assert_error(other.get(f"/v1/projects/{project['id']}/tasks"), 404, "not_found")
    assert_error(
        other.post(f"/v1/projects/{project['id']}/tasks", json={"task": {"title": "x"}}),
        404,
        "not_found",
    )
    assert_error(other.get(f"/v1/tasks/{task['id']}/subtasks"), 404, "not_found")
    assert_error(
        other.post(f"/v1/tasks/{task['id']}/subtasks", json={"subtask": {"title": "x"}}),
        404,
        "not_found",
    )
    # Ids in body fields name only the caller's entities.
    assert_error(
        other.post("/v1/tasks", json={"task": {"projectId": project["id"]}}),
        400,
        "validation_error",
    )
    assert_error(
        other.post("/v1/projects", json={"project": {"categoryId": category["id"]}}),
        400,
        "validation_error",
    )
    assert_error(
        other.patch("/v1/me", json={"defaultProject": project["id"]}), 400, "validation_error"
    )
    # Lists and filters show none of it.
    assert other.get(f"/v1/projects?categoryId={category['id']}").json()["projects"] == []
    assert other.get(f"/v1/tasks?projectId={project['id']}").json()["tasks"] == []
    assert other.get("/v1/categories").json()["categories"] == []
    assert [p["title"] for p in other.get("/v1/projects?archived=all").json()["projects"]] == [
        "Inbox"
    ]
    # The same client id is free for another user: ids are unique per owner.
    assert (
        other.create("/v1/projects", "project", id=project["id"], title="Theirs")["title"]
        == "Theirs"
    )
    # And the first user's data is untouched.
    assert api.get(f"/v1/projects/{project['id']}").json()["project"] == project
    assert api.get(f"/v1/subtasks/{subtask['id']}").json()["subtask"] == subtask

"""docs/API.md: tasks and subtasks (and Time Magic's /v1/projects/{id}/tasks)."""

from tests.api.conftest import Api, assert_error

TASK_FIELDS = {
    "id",
    "projectId",
    "title",
    "isCompleted",
    "taskType",
    "status",
    "billable",
    "plannedDuration",
    "workspaceId",
    "assigneeId",
    "createdBy",
    "lastUpdated",
}


def test_create_in_default_project_and_get(api: Api) -> None:
    inbox = api.get("/v1/me").json()["defaultProject"]
    response = api.post("/v1/tasks", json={"task": {"title": "Write report"}})
    assert response.status_code == 201, response.text
    task = response.json()["task"]
    assert set(task) == TASK_FIELDS
    assert task["projectId"] == inbox
    assert (task["status"], task["isCompleted"], task["taskType"], task["billable"]) == (
        "todo",
        False,
        "default",
        True,
    )
    got = api.get(f"/v1/tasks/{task['id']}")
    assert got.json()["task"] == task and got.headers["ETag"] == response.headers["ETag"]


def test_create_under_a_project_both_ways(api: Api) -> None:
    project = api.create("/v1/projects", "project", title="Acme")
    one = api.create(
        "/v1/tasks",
        "task",
        title="one",
        projectId=project["id"],
        billable=False,
        plannedDuration=3600,
    )
    two = api.create(
        f"/v1/projects/{project['id']}/tasks", "task", title="two", taskType="permanent"
    )
    assert one["projectId"] == two["projectId"] == project["id"]
    assert one["billable"] is False and one["plannedDuration"] == 3600
    assert two["taskType"] == "permanent"
    listed = api.get(f"/v1/projects/{project['id']}/tasks").json()["tasks"]
    assert {t["id"] for t in listed} == {one["id"], two["id"]}
    assert {t["id"] for t in api.get(f"/v1/tasks?projectId={project['id']}").json()["tasks"]} == {
        one["id"],
        two["id"],
    }


def test_create_errors(api: Api) -> None:
    assert_error(
        api.post("/v1/projects/nope/tasks", json={"task": {"title": "x"}}), 404, "not_found"
    )
    assert_error(api.get("/v1/projects/nope/tasks"), 404, "not_found")
    error = assert_error(
        api.post("/v1/tasks", json={"task": {"projectId": "nope"}}), 400, "validation_error"
    )
    assert "projectId" in error["message"]
    assert_error(
        api.post("/v1/tasks", json={"task": {"taskType": "forever"}}), 400, "validation_error"
    )
    assert_error(api.post("/v1/tasks", json={"task": {"billable": "yes"}}), 400, "validation_error")
    assert_error(
        api.post("/v1/tasks", json={"task": {"plannedDuration": 1.5}}), 400, "validation_error"
    )
    assert_error(
        api.post("/v1/tasks", json={"task": {"title": "x" * 501}}), 400, "validation_error"
    )
    api.create("/v1/tasks", "task", id="task-1", title="x")
    assert_error(api.post("/v1/tasks", json={"task": {"id": "task-1"}}), 409, "conflict")
    assert len(api.get("/v1/tasks").json()["tasks"]) == 1


def test_completion_and_status_agree(api: Api) -> None:
    task = api.create("/v1/tasks", "task", title="t")
    path = f"/v1/tasks/{task['id']}"
    done = api.patch(path, json={"task": {"isCompleted": True}}).json()["task"]
    assert (done["isCompleted"], done["status"]) == (True, "completed")
    # status is read-only: sent back, it is ignored
    same = api.patch(path, json={"task": {**done, "status": "todo"}}).json()["task"]
    assert (same["isCompleted"], same["status"]) == (True, "completed")
    reopened = api.patch(path, json={"task": {"isCompleted": False}}).json()["task"]
    assert (reopened["isCompleted"], reopened["status"]) == (False, "todo")
    born_done = api.create("/v1/tasks", "task", title="d", isCompleted=True)
    assert born_done["status"] == "completed"
    assert {t["id"] for t in api.get("/v1/tasks?isCompleted=true").json()["tasks"]} == {
        born_done["id"]
    }
    assert {t["id"] for t in api.get("/v1/tasks?status=todo").json()["tasks"]} == {task["id"]}
    assert_error(api.get("/v1/tasks?status=sleeping"), 400, "validation_error")


def test_patch_moves_and_errors(api: Api) -> None:
    task = api.create("/v1/tasks", "task", title="t")
    target = api.create("/v1/projects", "project", title="Target")
    path = f"/v1/tasks/{task['id']}"
    moved = api.patch(path, json={"task": {"projectId": target["id"], "title": "renamed"}})
    assert moved.status_code == 200, moved.text
    assert moved.json()["task"]["projectId"] == target["id"]
    assert [t["id"] for t in api.get(f"/v1/projects/{target['id']}/tasks").json()["tasks"]] == [
        task["id"]
    ]
    assert_error(api.patch(path, json={"task": {"projectId": "nope"}}), 400, "validation_error")
    assert_error(api.patch(path, json={"task": {"projectId": None}}), 400, "validation_error")
    assert_error(api.patch(path, json={"task": {"id": "other"}}), 400, "validation_error")
    assert_error(api.patch("/v1/tasks/nope", json={"task": {"title": "x"}}), 404, "not_found")


def test_delete_task_not_empty_and_cascade(api: Api) -> None:
    task = api.create("/v1/tasks", "task", title="t")
    subtask = api.create(f"/v1/tasks/{task['id']}/subtasks", "subtask", title="s")
    assert_error(api.delete(f"/v1/tasks/{task['id']}"), 409, "not_empty")
    assert api.delete(f"/v1/tasks/{task['id']}?cascade=true").status_code == 204
    assert_error(api.get(f"/v1/tasks/{task['id']}"), 404, "not_found")
    assert_error(api.get(f"/v1/subtasks/{subtask['id']}"), 404, "not_found")
    assert_error(api.delete(f"/v1/tasks/{task['id']}"), 404, "not_found")
    lone = api.create("/v1/tasks", "task", title="lone")
    assert api.delete(f"/v1/tasks/{lone['id']}").status_code == 204


def test_subtask_lifecycle(api: Api) -> None:
    task = api.create("/v1/tasks", "task", title="t")
    response = api.post(
        f"/v1/tasks/{task['id']}/subtasks",
        json={"subtask": {"title": "step", "plannedDuration": 600}},
    )
    assert response.status_code == 201, response.text
    subtask = response.json()["subtask"]
    assert set(subtask) == {
        "id",
        "taskId",
        "title",
        "isCompleted",
        "plannedDuration",
        "workspaceId",
        "lastUpdated",
    }
    assert subtask["taskId"] == task["id"] and subtask["isCompleted"] is False
    path = f"/v1/subtasks/{subtask['id']}"
    assert api.get(path).json()["subtask"] == subtask
    done = api.patch(path, json={"subtask": {"isCompleted": True}}).json()["subtask"]
    assert done["isCompleted"] is True and done["plannedDuration"] == 600
    listed = api.get(f"/v1/tasks/{task['id']}/subtasks").json()["subtasks"]
    assert [s["id"] for s in listed] == [subtask["id"]]
    assert api.delete(path).status_code == 204
    assert_error(api.get(path), 404, "not_found")
    assert_error(api.delete(path), 404, "not_found")


def test_subtask_errors(api: Api) -> None:
    task = api.create("/v1/tasks", "task", title="t")
    assert_error(
        api.post("/v1/tasks/nope/subtasks", json={"subtask": {"title": "s"}}), 404, "not_found"
    )
    assert_error(api.get("/v1/tasks/nope/subtasks"), 404, "not_found")
    assert_error(
        api.post(f"/v1/tasks/{task['id']}/subtasks", json={"subtask": {}}), 400, "validation_error"
    )
    assert_error(
        api.post(
            f"/v1/tasks/{task['id']}/subtasks", json={"subtask": {"title": "s", "taskId": "other"}}
        ),
        400,
        "validation_error",
    )
    api.create(f"/v1/tasks/{task['id']}/subtasks", "subtask", id="sub-1", title="s")
    assert_error(
        api.post(
            f"/v1/tasks/{task['id']}/subtasks", json={"subtask": {"id": "sub-1", "title": "s"}}
        ),
        409,
        "conflict",
    )
    assert_error(
        api.patch("/v1/subtasks/sub-1", json={"subtask": {"taskId": "nope"}}),
        400,
        "validation_error",
    )
    assert_error(api.patch("/v1/subtasks/nope", json={"subtask": {"title": "x"}}), 404, "not_found")

"""docs/API.md, "Titles are reused": sessions, with tasks and projects by title (seed 000)."""

from typing import Any

from tests.api.conftest import Api, assert_error

SESSION_FIELDS = {
    "id",
    "taskId",
    "subtaskId",
    "startTimestamp",
    "duration",
    "endTimestamp",
    "tagIds",
    "running",
    "note",
    "type",
    "edited",
    "retroAdded",
    "workspaceId",
    "userId",
    "billableRate",
    "costRate",
    "amount",
    "cost",
    "lastUpdated",
}


def _session(**fields: Any) -> dict[str, Any]:
    return {"startTimestamp": "2026-11-22T09:30:00+01:00", "duration": 1500, **fields}


def test_seed_payload_with_titles_creates_project_and_task(api: Api) -> None:
    # As seed 000 writes it: titles instead of ids, retroAdded, a break.
    body = {
        "task": {"title": "Write report", "isCompleted": False},
        "project": {"title": "Acme"},
        "session": {
            "startTimestamp": "2026-11-22T09:30:00+01:00",
            "duration": 1500,
            "note": "draft",
            "type": "session",
            "retroAdded": True,
        },
    }
    response = api.post("/v1/sessions", json=body)
    assert response.status_code == 201, response.text
    created = response.json()
    assert set(created) == {"session", "task", "project"}
    session, task, project = created["session"], created["task"], created["project"]
    assert set(session) == SESSION_FIELDS
    assert session["startTimestamp"] == "2026-11-22T08:30:00.000Z"
    assert session["endTimestamp"] == "2026-11-22T08:55:00.000Z"
    assert (session["running"], session["edited"], session["retroAdded"]) == (False, False, True)
    assert session["taskId"] == task["id"] and task["projectId"] == project["id"]
    assert (task["title"], project["title"]) == ("Write report", "Acme")
    assert response.headers["ETag"]
    # The same titles again (other case, spaces): reused, so neither appears in the response.
    again = api.post(
        "/v1/sessions",
        json={
            "task": {"title": "  write REPORT "},
            "project": {"title": "ACME"},
            "session": _session(type="break"),
        },
    )
    assert again.status_code == 201, again.text
    assert set(again.json()) == {"session"}
    assert again.json()["session"]["taskId"] == task["id"]
    assert again.json()["session"]["type"] == "break"


def test_three_session_types_and_task_ids(api: Api) -> None:
    task = api.create("/v1/tasks", "task", title="t")
    for kind in ("session", "break", "long-break"):
        response = api.post(
            "/v1/sessions", json={"task": {"id": task["id"]}, "session": _session(type=kind)}
        )
        assert response.status_code == 201, response.text
        assert response.json()["session"]["type"] == kind
    assert_error(
        api.post(
            "/v1/sessions", json={"task": {"id": task["id"]}, "session": _session(type="nap")}
        ),
        400,
        "validation_error",
    )


def test_completed_tasks_and_archived_projects_are_not_reused(api: Api) -> None:
    first = api.post(
        "/v1/sessions",
        json={"task": {"title": "Review"}, "project": {"title": "Old"}, "session": _session()},
    ).json()
    api.patch(f"/v1/tasks/{first['task']['id']}", json={"task": {"isCompleted": True}})
    second = api.post(
        "/v1/sessions",
        json={"task": {"title": "Review"}, "project": {"title": "Old"}, "session": _session()},
    ).json()
    assert "project" not in second and second["task"]["id"] != first["task"]["id"]
    api.patch(f"/v1/projects/{first['project']['id']}", json={"project": {"isArchived": True}})
    third = api.post(
        "/v1/sessions",
        json={"task": {"title": "Review"}, "project": {"title": "Old"}, "session": _session()},
    ).json()
    assert third["project"]["id"] != first["project"]["id"]


def test_task_title_without_project_goes_to_default_and_is_completed_in_the_same_write(
    api: Api,
) -> None:
    inbox = api.get("/v1/me").json()["defaultProject"]
    created = api.post(
        "/v1/sessions",
        json={
            "task": {"title": "Done thing", "isCompleted": True},
            "session": _session(),
        },
    ).json()
    assert created["task"]["projectId"] == inbox
    assert (created["task"]["isCompleted"], created["task"]["status"]) == (True, "completed")
    project = api.create("/v1/projects", "project", title="Via projectId")
    via = api.post(
        "/v1/sessions",
        json={
            "task": {"title": "x", "projectId": project["id"]},
            "session": _session(),
        },
    ).json()
    assert via["task"]["projectId"] == project["id"]
    # isCompleted on an existing task id updates it
    api.post(
        "/v1/sessions",
        json={"task": {"id": via["task"]["id"], "isCompleted": True}, "session": _session()},
    )
    assert api.get(f"/v1/tasks/{via['task']['id']}").json()["task"]["status"] == "completed"


def test_rejected_requests_leave_nothing_behind(api: Api) -> None:
    def counts() -> tuple[int, int, int]:
        return (
            len(api.get("/v1/projects?archived=all").json()["projects"]),
            len(api.get("/v1/tasks").json()["tasks"]),
            len(api.get("/v1/sessions").json()["sessions"]),
        )

    before = counts()
    bad = [
        {
            "task": {"title": "New task"},
            "project": {"title": "New project"},
            "session": _session(duration=-1),
        },
        {
            "task": {"title": "New task"},
            "project": {"title": "New project"},
            "session": _session(duration=604801),
        },
        {
            "task": {"title": "New task"},
            "project": {"title": "New project"},
            "session": _session(startTimestamp="2026-11-22T09:30:00"),
        },
        {
            "task": {"title": "New task"},
            "project": {"title": "New project"},
            "session": _session(note="n" * 10001),
        },
        {
            "task": {"title": "New task"},
            "project": {"title": "New project"},
            "session": _session(subtaskId="nope"),
        },
        {
            "task": {"title": "New task"},
            "project": {"id": "no-such-project"},
            "session": _session(),
        },
        {"task": {"title": "New task", "projectId": "no-such-project"}, "session": _session()},
        {"project": {"title": "New project"}, "session": _session()},
        {
            "task": {"title": "New task"},
            "project": {"title": "New project"},
            "session": _session(),
            "x": 1,
        },
    ]
    for body in bad:
        assert_error(api.post("/v1/sessions", json=body), 400, "validation_error")
    # docs/API.md, "Titles are reused": an unknown task.id is a 404 (not a body-field 400).
    unknown_task = {
        "task": {"id": "no-such-task"},
        "project": {"title": "New project"},
        "session": _session(),
    }
    assert_error(api.post("/v1/sessions", json=unknown_task), 404, "not_found")
    assert_error(api.put("/v1/sessions/s-x", json=unknown_task), 404, "not_found")
    assert counts() == before


def test_a_task_or_project_without_an_id_or_a_title_is_a_400_naming_it(api: Api) -> None:
    """docs/API.md, "Titles are reused": `task` (and `project`, when sent) by `id` or `title`.
    openapi.json states it for these routes (tests/test_openapi.py); the server answers as it
    did before it did: a 400 `validation_error` naming the field, for POST and PUT alike, once
    a PUT's path id is checked (a malformed one is a 404, another than the body's a 400 naming
    `id`), and nothing is written."""
    unnamed = {
        "task": [{"task": {}}, {"task": {"projectId": "p1", "isCompleted": True}}],
        "project": [
            {"task": {"title": "New task"}, "project": {}},
            {"task": {"title": "New task"}, "project": {"workspaceId": "w1"}},
        ],
    }
    for field, bodies in unnamed.items():
        for body in bodies:
            for response in (
                api.post("/v1/sessions", json={**body, "session": _session()}),
                api.put("/v1/sessions/s-unnamed", json={**body, "session": _session()}),
            ):
                error = assert_error(response, 400, "validation_error")
                assert error["message"] == f"{field}: needs an id or a title", error
                assert error["details"] == [{"field": field, "message": "needs an id or a title"}]
                assert set(error) == {"code", "message", "details", "requestId"}, error
    body = {"task": {}, "session": _session()}
    assert_error(api.put("/v1/sessions/" + "s" * 65, json=body), 404, "not_found")
    other = api.put("/v1/sessions/s-unnamed", json={**body, "session": _session(id="s-other")})
    assert assert_error(other, 400, "validation_error")["details"][0]["field"] == "id"
    assert api.get("/v1/tasks").json()["tasks"] == []
    assert api.get("/v1/sessions").json()["sessions"] == []


def test_subtask_must_belong_to_the_task(api: Api) -> None:
    task = api.create("/v1/tasks", "task", title="t")
    other_task = api.create("/v1/tasks", "task", title="u")
    subtask = api.create(f"/v1/tasks/{task['id']}/subtasks", "subtask", title="s")
    ok = api.post(
        "/v1/sessions",
        json={"task": {"id": task["id"]}, "session": _session(subtaskId=subtask["id"])},
    )
    assert ok.status_code == 201 and ok.json()["session"]["subtaskId"] == subtask["id"]
    assert_error(
        api.post(
            "/v1/sessions",
            json={"task": {"id": other_task["id"]}, "session": _session(subtaskId=subtask["id"])},
        ),
        400,
        "validation_error",
    )


def test_get_put_delete(api: Api) -> None:
    task = api.create("/v1/tasks", "task", title="t")
    created = api.post(
        "/v1/sessions", json={"task": {"id": task["id"]}, "session": _session(id="s-1")}
    )
    assert created.status_code == 201
    session = created.json()["session"]
    got = api.get("/v1/sessions/s-1")
    assert got.status_code == 200 and got.json() == {"session": session}
    # PUT what was got, changed: replaced, edited
    replaced = api.put(
        "/v1/sessions/s-1",
        json={"task": {"id": task["id"]}, "session": {**session, "duration": 60}},
    )
    assert replaced.status_code == 200, replaced.text
    assert (
        replaced.json()["session"]["edited"] is True
        and replaced.json()["session"]["duration"] == 60
    )
    # PUT a new id: created
    new = api.put("/v1/sessions/s-2", json={"task": {"id": task["id"]}, "session": _session()})
    assert new.status_code == 201 and new.json()["session"]["edited"] is False
    assert_error(
        api.post("/v1/sessions", json={"task": {"id": task["id"]}, "session": _session(id="s-1")}),
        409,
        "conflict",
    )
    assert_error(
        api.put(
            "/v1/sessions/s-1", json={"task": {"id": task["id"]}, "session": _session(id="s-9")}
        ),
        400,
        "validation_error",
    )
    assert api.delete("/v1/sessions/s-1").status_code == 204
    assert_error(api.get("/v1/sessions/s-1"), 404, "not_found")
    assert_error(api.delete("/v1/sessions/s-1"), 404, "not_found")


def test_list_by_range_is_ordered_start_inclusive_end_exclusive(api: Api) -> None:
    task = api.create("/v1/tasks", "task", title="t")
    other = api.create("/v1/tasks", "task", title="u")
    starts = [
        "2026-11-20T10:00:00Z",
        "2026-11-21T10:00:00Z",
        "2026-11-22T10:00:00Z",
        "2026-11-23T10:00:00Z",
    ]
    for i, start in enumerate(reversed(starts)):
        owner = task if i % 2 else other
        api.post(
            "/v1/sessions",
            json={"task": {"id": owner["id"]}, "session": _session(startTimestamp=start)},
        )

    def listed(query: str) -> list[str]:
        response = api.get("/v1/sessions" + query)
        assert response.status_code == 200, response.text
        return [s["startTimestamp"][:10] for s in response.json()["sessions"]]

    assert listed("") == ["2026-11-20", "2026-11-21", "2026-11-22", "2026-11-23"]
    assert listed("?start=2026-11-21T10:00:00Z&end=2026-11-23T10:00:00Z") == [
        "2026-11-21",
        "2026-11-22",
    ]
    assert listed("?start=2026-11-21T11:00:00%2B01:00") == [
        "2026-11-21",
        "2026-11-22",
        "2026-11-23",
    ]
    assert len(listed(f"?taskId={task['id']}")) == 2
    first = api.get("/v1/sessions?limit=3").json()
    assert len(first["sessions"]) == 3 and first["nextToken"]
    rest = api.get(f"/v1/sessions?limit=3&nextToken={first['nextToken']}").json()
    assert [s["startTimestamp"][:10] for s in rest["sessions"]] == ["2026-11-23"]
    assert_error(api.get("/v1/sessions?start=2026-11-21T10:00:00"), 400, "validation_error")
    assert_error(api.get("/v1/sessions?end=tomorrow"), 400, "validation_error")


def test_running_sessions_at_most_one(api: Api) -> None:
    task = api.create("/v1/tasks", "task", title="t")
    first = api.post(
        "/v1/sessions",
        json={
            "task": {"id": task["id"]},
            "session": _session(startTimestamp="2026-11-23T08:00:00Z", duration=None),
        },
    ).json()["session"]
    assert first["running"] is True and first["duration"] is None and first["endTimestamp"] is None
    second = api.post(
        "/v1/sessions",
        json={
            "task": {"id": task["id"]},
            "session": _session(startTimestamp="2026-11-23T09:00:00Z", duration=None),
        },
    ).json()["session"]
    assert second["running"] is True
    stopped = api.get(f"/v1/sessions/{first['id']}").json()["session"]
    assert (
        stopped["running"] is False
        and isinstance(stopped["duration"], int)
        and stopped["duration"] > 0
    )
    running = [s for s in api.get("/v1/sessions").json()["sessions"] if s["running"]]
    assert [s["id"] for s in running] == [second["id"]]
    # Deleting the running one frees the slot.
    assert api.delete(f"/v1/sessions/{second['id']}").status_code == 204
    third = api.post(
        "/v1/sessions", json={"task": {"id": task["id"]}, "session": _session(duration=None)}
    ).json()["session"]
    assert [s["id"] for s in api.get("/v1/sessions").json()["sessions"] if s["running"]] == [
        third["id"]
    ]


def test_another_users_sessions_are_404(api: Api, other: Api) -> None:
    task = api.create("/v1/tasks", "task", title="t")
    session = api.post(
        "/v1/sessions", json={"task": {"id": task["id"]}, "session": _session()}
    ).json()["session"]
    path = f"/v1/sessions/{session['id']}"
    assert_error(other.get(path), 404, "not_found")
    assert_error(other.delete(path), 404, "not_found")
    assert_error(
        other.post("/v1/sessions", json={"task": {"id": task["id"]}, "session": _session()}),
        404,
        "not_found",
    )
    assert other.get("/v1/sessions").json()["sessions"] == []
    # PUT on their id creates the caller's own session; theirs stays as it was.
    assert (
        other.put(path, json={"task": {"title": "mine"}, "session": _session()}).status_code == 201
    )
    assert api.get(path).json()["session"] == session

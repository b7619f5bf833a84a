"""docs/API.md, "Timers": my timer (Worksection's get / start / stop my timer)."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from typing import Any

from tests.api.conftest import Api, assert_error


def start(api: Api, task_id: str, **fields: Any) -> dict[str, Any]:
    response = api.post("/v1/timer", json={"taskId": task_id, **fields})
    assert response.status_code == 201, response.text
    return dict(response.json())


def duration_matches_timestamps(session: dict[str, Any]) -> bool:
    start_at = datetime.fromisoformat(session["startTimestamp"])
    end_at = datetime.fromisoformat(session["endTimestamp"])
    return bool(session["duration"] == (end_at - start_at).total_seconds())


def test_no_timer(api: Api) -> None:
    response = api.get("/v1/timer")
    assert response.status_code == 200 and response.json() == {"timer": None}
    assert_error(api.post("/v1/timer/stop"), 404, "no_running_timer")
    assert_error(api.post("/v1/timer/stop", json={"note": "x"}), 404, "no_running_timer")


def test_start_get_and_stop(api: Api) -> None:
    project = api.create("/v1/projects", "project", title="Acme")
    task = api.create("/v1/tasks", "task", title="Design", projectId=project["id"])
    started = start(api, task["id"], note="starting")
    assert set(started) == {"timer"}
    timer = started["timer"]
    assert set(timer) == {"session", "task", "project", "elapsed"}
    session = timer["session"]
    assert session["running"] is True and session["duration"] is None
    assert session["taskId"] == task["id"] and session["note"] == "starting"
    assert session["type"] == "session" and session["subtaskId"] is None
    assert session["startTimestamp"].endswith(".000Z")  # a timer starts on a whole second
    assert timer["task"]["status"] == "in_progress" and timer["project"]["id"] == project["id"]
    assert timer["project"]["title"] == "Acme" and timer["elapsed"] in (0, 1)
    time.sleep(1.1)
    got = api.get("/v1/timer").json()["timer"]
    assert got["session"] == session and got["task"] == timer["task"]
    assert got["elapsed"] >= 1
    stop = api.post("/v1/timer/stop", json={"note": "done for today"})
    assert stop.status_code == 200, stop.text
    stopped = stop.json()["session"]
    assert stopped["id"] == session["id"] and stopped["running"] is False
    assert stopped["note"] == "done for today" and stopped["duration"] >= 1
    assert duration_matches_timestamps(stopped)
    assert stop.headers["ETag"] == api.get(f"/v1/sessions/{session['id']}").headers["ETag"]
    assert api.get(f"/v1/sessions/{session['id']}").json()["session"] == stopped
    assert api.get(f"/v1/tasks/{task['id']}").json()["task"]["status"] == "paused"
    assert api.get("/v1/timer").json() == {"timer": None}
    assert_error(api.post("/v1/timer/stop"), 404, "no_running_timer")


def test_starting_stops_the_running_timer_first(api: Api) -> None:
    one = api.create("/v1/tasks", "task", title="one")
    two = api.create("/v1/tasks", "task", title="two")
    subtask = api.create(f"/v1/tasks/{two['id']}/subtasks", "subtask", title="part")
    first = start(api, one["id"])["timer"]["session"]
    second = start(api, two["id"], subtaskId=subtask["id"], type="break")
    assert second["stopped"]["id"] == first["id"] and second["stopped"]["running"] is False
    assert duration_matches_timestamps(second["stopped"])
    session = second["timer"]["session"]
    assert session["subtaskId"] == subtask["id"] and session["type"] == "break"
    assert api.get(f"/v1/tasks/{one['id']}").json()["task"]["status"] == "paused"
    # Starting the same task again is a new session too (another subtask, type or note).
    third = start(api, two["id"])
    assert third["stopped"]["id"] == session["id"]
    assert third["timer"]["session"]["id"] != session["id"]
    running = [s for s in api.get("/v1/sessions").json()["sessions"] if s["running"]]
    assert [s["id"] for s in running] == [third["timer"]["session"]["id"]]


def test_starting_in_a_workspace_stops_the_timer_running_in_another(api: Api) -> None:
    """One timer across workspaces: a start stops the one running elsewhere, pauses its task,
    and both commit together (the stop is stamped as the start is)."""
    workspace = api.create("/v1/workspaces", "workspace", name="Shared")["id"]
    project = api.create("/v1/projects", "project", title="Q", workspaceId=workspace)
    shared = api.create("/v1/tasks", "task", title="there", projectId=project["id"])
    mine = api.create("/v1/tasks", "task", title="here")
    first = start(api, mine["id"])["timer"]["session"]
    second = start(api, shared["id"])
    stopped, session = second["stopped"], second["timer"]["session"]
    assert stopped["id"] == first["id"] and stopped["running"] is False
    assert stopped["lastUpdated"] == session["lastUpdated"]
    assert session["workspaceId"] == workspace and session["running"] is True
    assert api.get(f"/v1/sessions/{first['id']}").json()["session"] == stopped
    assert api.get(f"/v1/tasks/{mine['id']}").json()["task"]["status"] == "paused"
    assert api.get("/v1/timer").json()["timer"]["session"]["id"] == session["id"]
    # And back: the shared workspace's timer is stopped by a start in the personal one.
    third = start(api, mine["id"])
    assert third["stopped"]["id"] == session["id"] and third["stopped"]["running"] is False
    assert api.get(f"/v1/tasks/{shared['id']}").json()["task"]["status"] == "paused"
    assert api.get("/v1/timer").json()["timer"]["session"]["id"] == third["timer"]["session"]["id"]


def test_start_errors(api: Api, other: Api) -> None:
    task = api.create("/v1/tasks", "task", title="mine")
    elsewhere = api.create("/v1/tasks", "task", title="elsewhere")
    foreign_subtask = api.create(f"/v1/tasks/{elsewhere['id']}/subtasks", "subtask", title="s")
    assert_error(other.post("/v1/timer", json={"taskId": task["id"]}), 400, "validation_error")
    unknown = assert_error(api.post("/v1/timer", json={"taskId": "nope"}), 400, "validation_error")
    assert unknown["details"][0]["field"] == "taskId"
    wrong_subtask = api.post(
        "/v1/timer", json={"taskId": task["id"], "subtaskId": foreign_subtask["id"]}
    )
    assert_error(wrong_subtask, 400, "validation_error")
    for body in (
        {},
        {"taskId": task["id"], "type": "nap"},
        {"taskId": task["id"], "type": None},
        {"taskId": task["id"], "extra": 1},
        {"taskId": 7},
    ):
        assert_error(api.post("/v1/timer", json=body), 400, "validation_error")
    done = api.post(f"/v1/tasks/{task['id']}/events", json={"event": "finish"})
    assert done.status_code == 200
    assert_error(api.post("/v1/timer", json={"taskId": task["id"]}), 409, "conflict")
    assert api.get("/v1/timer").json() == {"timer": None}


def test_concurrent_starts_leave_exactly_one_running(api: Api) -> None:
    """8 concurrent POST /v1/timer of one user: one running session, the 7 others stopped with
    whole-second durations (the RUNNING guard commits with each start)."""
    tasks = [api.create("/v1/tasks", "task", title=f"task {i}")["id"] for i in range(8)]
    with ThreadPoolExecutor(max_workers=8) as pool:
        responses = list(pool.map(lambda t: api.post("/v1/timer", json={"taskId": t}), tasks))
    assert [r.status_code for r in responses] == [201] * 8, [r.text for r in responses]
    started = {r.json()["timer"]["session"]["id"] for r in responses}
    sessions = api.get("/v1/sessions").json()["sessions"]
    assert {s["id"] for s in sessions} == started and len(started) == 8
    running = [s for s in sessions if s["running"]]
    assert len(running) == 1
    assert api.get("/v1/timer").json()["timer"]["session"] == running[0]
    for session in sessions:
        if not session["running"]:
            assert isinstance(session["duration"], int) and duration_matches_timestamps(session)
    # Each start but the first stopped exactly the session that ran before it.
    stopped = [r.json()["stopped"]["id"] for r in responses if "stopped" in r.json()]
    assert len(stopped) == 7 and len(set(stopped)) == 7 and running[0]["id"] not in stopped
    in_progress = [t for t in api.get("/v1/tasks").json()["tasks"] if t["status"] == "in_progress"]
    assert [t["id"] for t in in_progress] == [running[0]["taskId"]]


def test_timers_take_part_in_sync(api: Api) -> None:
    task = api.create("/v1/tasks", "task", title="synced")
    token = api.get("/v1/sync").json()["syncToken"]
    session = start(api, task["id"])["timer"]["session"]
    page = api.get(f"/v1/sync?syncToken={token}").json()
    assert page["sessions"] == [session]
    assert [t["status"] for t in page["tasks"]] == ["in_progress"]
    stopped = api.post("/v1/timer/stop").json()["session"]
    page = api.get(f"/v1/sync?syncToken={page['syncToken']}").json()
    assert page["sessions"] == [stopped]
    assert [t["status"] for t in page["tasks"]] == ["paused"]

"""docs/API.md, "Timers": task events, from every status, in both forms (Time Magic's PATCH
`?event=` and `POST /v1/tasks/{id}/events`)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

import pytest
import requests

from tests.api.conftest import Api, assert_error

EVENTS = ("start_tracking", "stop_tracking", "pause", "start_without_tracking", "finish", "reopen")
STATUSES = ("todo", "in_progress", "paused", "completed")


def post_event(api: Api, task_id: str, event: str, note: str | None = None) -> requests.Response:
    body: dict[str, Any] = {"event": event}
    if note is not None:
        body["note"] = note
    return api.post(f"/v1/tasks/{task_id}/events", json=body)


def patch_event(api: Api, task_id: str, event: str, note: str | None = None) -> requests.Response:
    kwargs: dict[str, Any] = {"json": {"note": note}} if note is not None else {}
    return api.patch(f"/v1/tasks/{task_id}?event={event}", **kwargs)


FORMS: dict[str, Callable[..., requests.Response]] = {"post": post_event, "patch": patch_event}


def task_in(api: Api, status: str, **fields: Any) -> dict[str, Any]:
    """A task in `status`; `in_progress` is reached by start_tracking, so it is being tracked."""
    task = api.create("/v1/tasks", "task", title=f"a {status} task", **fields)
    steps = {
        "todo": [],
        "in_progress": ["start_tracking"],
        "paused": ["start_tracking", "pause"],
        "completed": ["finish"],
    }[status]
    for event in steps:
        response = post_event(api, task["id"], event)
        assert response.status_code == 200, response.text
        task = response.json()["task"]
    assert task["status"] == status
    return task


def running(api: Api) -> dict[str, Any] | None:
    timer = api.get("/v1/timer").json()["timer"]
    return None if timer is None else dict(timer["session"])


def whole_seconds(session: dict[str, Any]) -> int:
    start = datetime.fromisoformat(session["startTimestamp"])
    end = datetime.fromisoformat(session["endTimestamp"])
    return int((end - start).total_seconds())


# What each event does from each status: the task's status after it, and what happens to the
# session running on the task ("started", "stopped", "kept": the running one stays, "none").
# A completed task refuses the events that start or pause it (409 conflict).
EXPECTED: dict[tuple[str, str], tuple[str, str] | None] = {
    ("todo", "start_tracking"): ("in_progress", "started"),
    ("todo", "stop_tracking"): ("paused", "none"),
    ("todo", "pause"): ("paused", "none"),
    ("todo", "start_without_tracking"): ("in_progress", "none"),
    ("todo", "finish"): ("completed", "none"),
    ("todo", "reopen"): ("todo", "none"),
    ("in_progress", "start_tracking"): ("in_progress", "kept"),
    ("in_progress", "stop_tracking"): ("paused", "stopped"),
    ("in_progress", "pause"): ("paused", "stopped"),
    ("in_progress", "start_without_tracking"): ("in_progress", "running"),
    ("in_progress", "finish"): ("completed", "stopped"),
    ("in_progress", "reopen"): ("todo", "stopped"),
    ("paused", "start_tracking"): ("in_progress", "started"),
    ("paused", "stop_tracking"): ("paused", "none"),
    ("paused", "pause"): ("paused", "none"),
    ("paused", "start_without_tracking"): ("in_progress", "none"),
    ("paused", "finish"): ("completed", "none"),
    ("paused", "reopen"): ("todo", "none"),
    ("completed", "start_tracking"): None,
    ("completed", "stop_tracking"): None,
    ("completed", "pause"): None,
    ("completed", "start_without_tracking"): None,
    ("completed", "finish"): ("completed", "none"),
    ("completed", "reopen"): ("todo", "none"),
}


@pytest.mark.parametrize("form", sorted(FORMS))
@pytest.mark.parametrize(("status", "event"), sorted(EXPECTED))
def test_every_event_from_every_status(api: Api, form: str, status: str, event: str) -> None:
    task = task_in(api, status)
    before = running(api)
    response = FORMS[form](api, task["id"], event, note="a note")
    expected = EXPECTED[(status, event)]
    if expected is None:
        assert_error(response, 409, "conflict")
        assert api.get(f"/v1/tasks/{task['id']}").json()["task"] == task  # nothing changed
        return
    assert response.status_code == 200, response.text
    body = response.json()
    new_status, session_effect = expected
    got = body["task"]
    assert got["status"] == new_status
    assert got["isCompleted"] is (new_status == "completed")
    assert response.headers["ETag"] == api.get(f"/v1/tasks/{task['id']}").headers["ETag"]
    assert api.get(f"/v1/tasks/{task['id']}").json()["task"] == got
    now_running = running(api)
    if session_effect == "started":
        session = body["session"]
        assert session["running"] is True and session["taskId"] == task["id"]
        assert session["note"] == "a note" and session["duration"] is None
        assert now_running == session
    elif session_effect == "kept":
        assert before is not None and body["session"] == before == now_running
    elif session_effect == "stopped":
        session = body["session"]
        assert before is not None and session["id"] == before["id"]
        assert session["running"] is False and session["note"] == "a note"
        assert session["duration"] == whole_seconds(session) >= 0
        assert now_running is None
    elif session_effect == "running":  # start_without_tracking leaves the session alone
        assert "session" not in body and now_running == before is not None
    else:
        assert "session" not in body and now_running is None


@pytest.mark.parametrize("status", ["todo", "in_progress", "paused"])
def test_finishing_a_permanent_task_is_refused(api: Api, status: str) -> None:
    task = task_in(api, status, taskType="permanent")
    for form in FORMS.values():
        assert_error(form(api, task["id"], "finish"), 409, "permanent_task")
    assert api.get(f"/v1/tasks/{task['id']}").json()["task"] == task


def test_a_permanent_task_is_never_completed_otherwise(api: Api) -> None:
    task = api.create("/v1/tasks", "task", title="standup", taskType="permanent")
    patch = api.patch(f"/v1/tasks/{task['id']}", json={"task": {"isCompleted": True}})
    assert_error(patch, 409, "permanent_task")
    create = api.post(
        "/v1/tasks", json={"task": {"title": "x", "taskType": "permanent", "isCompleted": True}}
    )
    assert_error(create, 409, "permanent_task")
    done = task_in(api, "completed")
    made_permanent = api.patch(f"/v1/tasks/{done['id']}", json={"task": {"taskType": "permanent"}})
    assert_error(made_permanent, 409, "permanent_task")


def test_tracking_another_task_stops_and_pauses_the_first(api: Api) -> None:
    first = task_in(api, "in_progress")
    first_session = running(api)
    assert first_session is not None
    second = api.create("/v1/tasks", "task", title="second")
    response = post_event(api, second["id"], "start_tracking")
    assert response.status_code == 200, response.text
    started = response.json()["session"]
    assert running(api) == started and started["taskId"] == second["id"]
    assert api.get(f"/v1/tasks/{first['id']}").json()["task"]["status"] == "paused"
    stopped = api.get(f"/v1/sessions/{first_session['id']}").json()["session"]
    assert stopped["running"] is False and stopped["duration"] == whole_seconds(stopped)


def test_events_take_part_in_sync(api: Api) -> None:
    token = api.get("/v1/sync").json()["syncToken"]
    task = task_in(api, "in_progress")
    session = running(api)
    assert session is not None
    finished = post_event(api, task["id"], "finish").json()
    page = api.get(f"/v1/sync?syncToken={token}").json()
    assert page["tasks"] == [finished["task"]]
    assert page["sessions"] == [finished["session"]]


def test_event_errors(api: Api, other: Api) -> None:
    task = api.create("/v1/tasks", "task", title="mine")
    assert_error(post_event(api, "no-such-task", "finish"), 404, "not_found")
    assert_error(post_event(other, task["id"], "finish"), 404, "not_found")  # another user's
    assert_error(patch_event(other, task["id"], "finish"), 404, "not_found")
    assert_error(post_event(api, task["id"], "explode"), 400, "validation_error")
    assert_error(patch_event(api, task["id"], "explode"), 400, "validation_error")
    missing = api.post(f"/v1/tasks/{task['id']}/events", json={"note": "x"})
    assert_error(missing, 400, "validation_error")
    extra = api.post(f"/v1/tasks/{task['id']}/events", json={"event": "pause", "x": 1})
    assert_error(extra, 400, "validation_error")
    long_note = post_event(api, task["id"], "start_tracking", note="n" * 10_001)
    assert_error(long_note, 400, "validation_error")
    # Time Magic's form takes {note} or nothing; the task body belongs to a plain PATCH.
    mixed = api.patch(f"/v1/tasks/{task['id']}?event=pause", json={"task": {"title": "y"}})
    assert_error(mixed, 400, "validation_error")
    assert_error(api.patch(f"/v1/tasks/{task['id']}"), 400, "validation_error")
    assert_error(api.patch(f"/v1/tasks/{task['id']}", json={"note": "x"}), 400, "validation_error")
    assert api.get(f"/v1/tasks/{task['id']}").json()["task"] == task
    assert running(api) is None


def test_if_match_on_the_patch_form(api: Api) -> None:
    task = api.create("/v1/tasks", "task", title="versioned")
    etag = api.get(f"/v1/tasks/{task['id']}").headers["ETag"]
    api.patch(f"/v1/tasks/{task['id']}", json={"task": {"title": "renamed"}})
    stale = api.patch(f"/v1/tasks/{task['id']}?event=finish", headers={"If-Match": etag})
    assert_error(stale, 412, "precondition_failed")
    fresh = api.get(f"/v1/tasks/{task['id']}").headers["ETag"]
    ok = api.patch(f"/v1/tasks/{task['id']}?event=finish", headers={"If-Match": fresh})
    assert ok.status_code == 200, ok.text

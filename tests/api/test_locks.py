"""docs/API.md, "Locked time and approvals": a workspace's `lockedBefore` locks every session
starting before 00:00 UTC of that date. Managers and members get `409 period_locked` for a
create, a change (in place, into or out of the period), a delete, in a batch, through a
cascade or a tag's deletion; the owner and admins are not bound. Stopping a running timer is
not a change of its session."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from stint.services.locks import is_stop
from tests.api.conftest import Api, assert_error
from tests.api.workspace_helpers import (
    Crew,
    make_crew,
    project_in,
    session_body,
    start_timer,
    task_in,
)

LOCKED_BEFORE = "2026-11-01"
LOCKED = "2026-10-31T23:59:59Z"  # the last second before the lock
OPEN = "2026-11-01T00:00:00Z"  # the lock's own first second: open


def lock(crew: Crew, date: str | None) -> None:
    body = {"workspace": {"settings": {"lockedBefore": date}}}
    response = crew.owner.patch(crew.path, json=body)
    assert response.status_code == 200, response.text
    assert response.json()["workspace"]["settings"]["lockedBefore"] == date


def log(api: Api, task_id: str, start: str, **fields: Any) -> dict[str, Any]:
    response = api.post("/v1/sessions", json=session_body(task_id, startTimestamp=start, **fields))
    assert response.status_code == 201, response.text
    return dict(response.json()["session"])


def replace(api: Api, session: dict[str, Any], **fields: Any) -> Any:
    body = session_body(session["taskId"], **{**_fields(session), **fields})
    body["session"]["id"] = session["id"]
    return api.put(f"/v1/sessions/{session['id']}", json=body)


def _fields(session: dict[str, Any]) -> dict[str, Any]:
    return {"startTimestamp": session["startTimestamp"], "duration": session["duration"]}


def assert_locked(response: Any) -> None:
    assert_error(response, 409, "period_locked")


@pytest.fixture(scope="module")
def crew(stack: dict[str, Any]) -> Crew:
    return make_crew(stack, "Locked")


@pytest.fixture
def sessions(crew: Crew) -> dict[str, dict[str, Any]]:
    """Sessions of the worker, the member and the manager before and after the lock, logged
    while nothing was locked; then the lock."""
    lock(crew, None)
    task = crew.task["id"]
    made = {
        f"{who}_{when}": log(getattr(crew, who), task, start)
        for who in ("worker", "member", "manager")
        for when, start in (("locked", LOCKED), ("open", OPEN))
    }
    lock(crew, LOCKED_BEFORE)
    return made


@pytest.mark.parametrize("role", ["manager", "member"])
def test_a_bound_role_creates_no_session_in_the_locked_period(
    crew: Crew, sessions: dict[str, Any], role: str
) -> None:
    actor = crew.by_role(role)
    body = session_body(crew.task["id"], startTimestamp=LOCKED)
    assert_locked(actor.post("/v1/sessions", json=body))
    # Read as 00:00 UTC: a start at that instant in another offset is open.
    log(actor, crew.task["id"], "2026-11-01T01:00:00+01:00")


@pytest.mark.parametrize("role", ["manager", "member"])
def test_a_bound_role_changes_and_deletes_no_locked_session(
    crew: Crew, sessions: dict[str, Any], role: str
) -> None:
    actor = crew.by_role(role)
    mine = sessions[f"{role}_locked"]
    assert_locked(replace(actor, mine, note="later"))
    assert_locked(replace(actor, mine, startTimestamp=OPEN))  # out of the period
    assert_locked(replace(actor, sessions[f"{role}_open"], startTimestamp=LOCKED))  # into it
    assert_locked(actor.delete(f"/v1/sessions/{mine['id']}"))
    assert replace(actor, sessions[f"{role}_open"], note="fine").status_code == 200
    got = actor.get(f"/v1/sessions/{mine['id']}").json()["session"]
    assert got["note"] == mine["note"] and got["startTimestamp"] == mine["startTimestamp"]


def test_a_manager_changes_no_locked_session_of_another_member(
    crew: Crew, sessions: dict[str, Any]
) -> None:
    theirs = sessions["worker_locked"]
    assert_locked(replace(crew.manager, theirs, note="corrected"))
    assert_locked(crew.manager.delete(f"/v1/sessions/{theirs['id']}"))
    assert replace(crew.manager, sessions["worker_open"], note="corrected").status_code == 200


@pytest.mark.parametrize("role", ["owner", "admin"])
def test_the_owner_and_admins_change_locked_time(
    crew: Crew, sessions: dict[str, Any], role: str
) -> None:
    actor = crew.by_role(role)
    theirs = sessions["worker_locked"]
    assert replace(actor, theirs, note="corrected").status_code == 200
    assert replace(actor, sessions["worker_open"], startTimestamp=LOCKED).status_code == 200
    log(actor, crew.task["id"], LOCKED)
    assert actor.delete(f"/v1/sessions/{theirs['id']}").status_code == 204


def test_an_atomic_batch_with_a_locked_operation_commits_nothing(
    crew: Crew, sessions: dict[str, Any]
) -> None:
    mine = sessions["member_locked"]
    operations = [
        {"op": "create", "body": session_body(crew.task["id"], startTimestamp=OPEN, note="b")},
        {"op": "delete", "id": mine["id"]},
    ]
    response = crew.member.post("/v1/sessions/batch", json={"operations": operations})
    assert assert_error(response, 409, "period_locked")["index"] == 1
    assert crew.member.get(f"/v1/sessions/{mine['id']}").status_code == 200
    listed = crew.member.get("/v1/sessions", params={"workspaceId": crew.id}).json()["sessions"]
    assert all(s.get("note") != "b" for s in listed)

    one_by_one = {"atomic": False, "operations": operations}
    results = crew.member.post("/v1/sessions/batch", json=one_by_one).json()["results"]
    assert [r["status"] for r in results] == [201, 409]
    assert results[1]["error"]["code"] == "period_locked"


def test_cascades_and_a_tag_deletion_leave_locked_sessions_alone(
    crew: Crew, sessions: dict[str, Any]
) -> None:
    project = project_in(crew.manager, crew.id, "Cascade")
    task = task_in(crew.manager, project)
    tag = crew.manager.create("/v1/tags", "tag", name="billed", workspaceId=crew.id)
    lock(crew, None)
    locked = log(crew.worker, task["id"], LOCKED, tagIds=[tag["id"]])
    lock(crew, LOCKED_BEFORE)
    assert_locked(crew.manager.delete(f"/v1/tags/{tag['id']}"))
    assert_locked(crew.manager.delete(f"/v1/tasks/{task['id']}", params={"cascade": "true"}))
    assert_locked(crew.manager.delete(f"/v1/projects/{project['id']}", params={"cascade": "true"}))
    got = crew.owner.get(f"/v1/sessions/{locked['id']}").json()["session"]
    assert got["tagIds"] == [tag["id"]]
    assert crew.owner.delete(f"/v1/tags/{tag['id']}").status_code == 204
    assert (
        crew.admin.delete(f"/v1/projects/{project['id']}", params={"cascade": "true"}).status_code
        == 204
    )


def test_a_timer_started_before_the_lock_still_stops(stack: dict[str, Any]) -> None:
    crew = make_crew(stack, "Timers")
    task_id = crew.task["id"]
    start_timer(crew.member, task_id)
    start_timer(crew.worker, task_id)
    tomorrow = (datetime.now(UTC) + timedelta(days=2)).date().isoformat()
    lock(crew, tomorrow)
    stopped = crew.member.post("/v1/timer/stop")
    assert stopped.status_code == 200, stopped.text
    running = list(crew.owner.get(f"{crew.path}/timers").json()["timers"])
    path = f"{crew.path}/timers/{running[0]['id']}/stop"
    assert crew.manager.post(path).status_code == 200
    # A new timer starts now, before the (future) lock: refused.
    assert_locked(crew.member.post("/v1/timer", json={"taskId": task_id}))
    lock(crew, None)


def test_the_personal_workspace_has_its_owner_only_and_is_never_locked(api: Api) -> None:
    personal = api.get("/v1/me").json()["personalWorkspaceId"]
    body = {"workspace": {"settings": {"lockedBefore": LOCKED_BEFORE}}}
    assert api.patch(f"/v1/workspaces/{personal}", json=body).status_code == 200
    response = api.post("/v1/sessions", json={**session_body("t"), "task": {"title": "T"}})
    assert response.status_code == 201, response.text


# ----------------------------------------------------------------------------- a stop


_STARTS = st.sampled_from(["2026-10-31T23:00:00.000Z", "2026-11-01T00:00:00.000Z"])


@settings(max_examples=50, deadline=None)
@given(
    start=_STARTS,
    moved=_STARTS,
    task=st.sampled_from(["a", "b"]),
    was_running=st.booleans(),
    runs=st.booleans(),
)
def test_only_a_running_session_ending_as_it_was_is_a_stop(
    start: str, moved: str, task: str, was_running: bool, runs: bool
) -> None:
    before = {"startTimestamp": start, "taskId": "a", "running": was_running}
    after = {"startTimestamp": moved, "taskId": task, "running": runs}
    expected = was_running and not runs and start == moved and task == "a"
    assert is_stop(before, after) is expected
    assert not is_stop(None, after) and not is_stop(before, None)

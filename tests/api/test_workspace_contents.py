"""docs/API.md, "Workspaces": what a workspace holds. Projects, categories and tags are made in
the workspace their body names, tasks in their project's, subtasks and sessions in their task's;
ids name anything of any of the caller's workspaces; lists cover them all; a task's assignee is a
member of its workspace; a user has one running timer across all their workspaces.
"""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from tests.api.conftest import Api, assert_error
from tests.api.workspace_helpers import (
    create_workspace,
    join,
    log_session,
    project_in,
    session_body,
    start_timer,
    task_in,
    timers,
    uid,
    verified_user,
)


@pytest.fixture
def owner(stack: dict[str, Any]) -> Api:
    return verified_user(stack)


@pytest.fixture
def other(stack: dict[str, Any]) -> Api:
    return verified_user(stack)


# ----------------------------------------------------------------------------- what it holds


def test_entities_are_made_in_the_workspace_their_body_names(owner: Api) -> None:
    mine = uid(owner)
    shared = create_workspace(owner)["id"]
    for path, kind, field in (
        ("/v1/projects", "project", "title"),
        ("/v1/categories", "category", "title"),
        ("/v1/tags", "tag", "name"),
    ):
        personal = owner.create(path, kind, **{field: f"{kind} here"})
        there = owner.create(path, kind, **{field: f"{kind} there"}, workspaceId=shared)
        assert (personal["workspaceId"], there["workspaceId"]) == (mine, shared)
        # Fixed at creation: sent back as it is, it is ignored; another is a 400.
        same = owner.patch(f"{path}/{there['id']}", json={kind: {"workspaceId": shared}})
        assert same.status_code == 200, same.text
        moved = owner.patch(f"{path}/{there['id']}", json={kind: {"workspaceId": mine}})
        assert_error(moved, 400, "validation_error")
    project = project_in(owner, shared)
    task = task_in(owner, project)
    subtask = owner.create(f"/v1/tasks/{task['id']}/subtasks", "subtask", title="part")
    session = log_session(owner, task["id"])
    assert {e["workspaceId"] for e in (task, subtask, session)} == {shared}
    assert (task["createdBy"], task["assigneeId"], session["userId"]) == (mine, None, mine)
    # createdBy is read-only.
    patched = owner.patch(f"/v1/tasks/{task['id']}", json={"task": {"createdBy": "someone"}})
    assert patched.status_code == 200 and patched.json()["task"]["createdBy"] == mine
    default = owner.create("/v1/tasks", "task", title="in the default project")
    assert default["workspaceId"] == mine
    named = owner.create("/v1/tasks", "task", title="t", workspaceId=mine, projectId=project["id"])
    assert named["workspaceId"] == shared  # its project's, whatever the body says


def test_a_session_names_anything_of_any_of_the_callers_workspaces(owner: Api, other: Api) -> None:
    shared = create_workspace(owner)["id"]
    join(owner, shared, other)
    project = project_in(owner, shared, "Shared project")
    task = task_in(owner, project, "Shared task")
    by_task = other.post("/v1/sessions", json=session_body(task["id"]))
    assert by_task.status_code == 201, by_task.text
    assert by_task.json()["session"]["workspaceId"] == shared
    by_project = other.post(
        "/v1/sessions",
        json={**session_body("-"), "task": {"title": "New task"}, "project": {"id": project["id"]}},
    )
    assert by_project.status_code == 201, by_project.text
    made = by_project.json()["task"]
    assert (made["projectId"], made["workspaceId"]) == (project["id"], shared)
    by_title = other.post(
        "/v1/sessions",
        json={
            **session_body("-"),
            "task": {"title": "New task"},
            "project": {"title": " shared PROJECT ", "workspaceId": shared},
        },
    )
    assert by_title.status_code == 201, by_title.text
    assert set(by_title.json()) == {"session"}  # both reused
    assert by_title.json()["session"]["taskId"] == made["id"]
    # Without workspaceId the title is the personal workspace's: found or created there.
    personal = other.post(
        "/v1/sessions",
        json={
            **session_body("-"),
            "task": {"title": "New task"},
            "project": {"title": "Shared project"},
        },
    )
    assert personal.status_code == 201, personal.text
    assert personal.json()["project"]["workspaceId"] == uid(other)
    assert personal.json()["session"]["workspaceId"] == uid(other)


def test_a_task_a_session_creates_by_title_carries_its_creator(owner: Api, other: Api) -> None:
    shared = create_workspace(owner)["id"]
    join(owner, shared, other)
    project = project_in(owner, shared)
    for body in (
        {**session_body("-"), "task": {"title": "By id"}, "project": {"id": project["id"]}},
        {
            **session_body("-"),
            "task": {"title": "By title"},
            "project": {"title": "Client work", "workspaceId": shared},
        },
        {**session_body("-"), "task": {"title": "Personal"}},
    ):
        response = other.post("/v1/sessions", json=body)
        assert response.status_code == 201, response.text
        assert response.json()["task"]["createdBy"] == uid(other)


def _one_of_each(owner: Api, where: str) -> dict[str, str]:
    """A project, a category, a tag and a task in the workspace `where`, by list key."""
    project = project_in(owner, where, f"Project {uuid.uuid4().hex[:6]}")
    return {
        "projects": project["id"],
        "categories": owner.create("/v1/categories", "category", title="C", workspaceId=where)[
            "id"
        ],
        "tags": owner.create("/v1/tags", "tag", name=uuid.uuid4().hex[:8], workspaceId=where)["id"],
        "tasks": task_in(owner, project)["id"],
    }


def test_lists_cover_every_workspace(owner: Api) -> None:
    mine, shared = uid(owner), create_workspace(owner)["id"]
    made = {where: _one_of_each(owner, where) for where in (mine, shared)}
    for key in ("projects", "categories", "tags", "tasks"):
        every = {e["id"] for e in owner.get(f"/v1/{key}").json()[key]}
        assert {made[mine][key], made[shared][key]} <= every, key
    # Paged across workspaces: every one once.
    seen, token = [], None
    while True:
        page = owner.get("/v1/projects", params={"limit": 1, "nextToken": token}).json()
        seen += [p["id"] for p in page["projects"]]
        if not (token := page.get("nextToken")):
            break
    assert len(seen) == len(set(seen))
    assert {made[mine]["projects"], made[shared]["projects"]} <= set(seen)


@pytest.mark.parametrize("key", ["projects", "categories", "tags", "tasks"])
def test_workspace_id_narrows_a_list_to_one_workspace(owner: Api, key: str) -> None:
    mine, shared = uid(owner), create_workspace(owner)["id"]
    made = {where: _one_of_each(owner, where) for where in (mine, shared)}
    for where, elsewhere in ((mine, shared), (shared, mine)):
        narrowed = owner.get(f"/v1/{key}?workspaceId={where}")
        assert narrowed.status_code == 200, narrowed.text
        found = narrowed.json()[key]
        assert made[where][key] in {e["id"] for e in found}
        assert {e["workspaceId"] for e in found} == {where}
        assert made[elsewhere][key] not in {e["id"] for e in found}


# ----------------------------------------------------------------------------- assignees


def test_a_tasks_assignee_is_a_member_of_its_workspace(
    stack: dict[str, Any], owner: Api, other: Api
) -> None:
    shared = create_workspace(owner)["id"]
    join(owner, shared, other)
    stranger = verified_user(stack)
    project = project_in(owner, shared)
    assigned = task_in(owner, project, "For other", assigneeId=uid(other))
    assert assigned["assigneeId"] == uid(other)
    assert task_in(other, project, "For owner", assigneeId=uid(owner))["assigneeId"] == uid(owner)
    for nobody in (uid(stranger), uuid.uuid4().hex):
        refused = owner.post(
            "/v1/tasks",
            json={"task": {"title": "x", "projectId": project["id"], "assigneeId": nobody}},
        )
        assert "assigneeId" in assert_error(refused, 400, "validation_error")["message"]
    # In the personal workspace, its one member.
    personal = project_in(owner, uid(owner))
    assert task_in(owner, personal, "Mine", assigneeId=uid(owner))["assigneeId"] == uid(owner)
    refused = owner.post(
        "/v1/tasks",
        json={"task": {"title": "x", "projectId": personal["id"], "assigneeId": uid(other)}},
    )
    assert_error(refused, 400, "validation_error")
    # Cleared with null.
    cleared = owner.patch(f"/v1/tasks/{assigned['id']}", json={"task": {"assigneeId": None}})
    assert cleared.status_code == 200 and cleared.json()["task"]["assigneeId"] is None
    reassigned = owner.patch(
        f"/v1/tasks/{assigned['id']}", json={"task": {"assigneeId": uid(owner)}}
    )
    assert reassigned.status_code == 200 and reassigned.json()["task"]["assigneeId"] == uid(owner)


def test_a_patch_cannot_assign_a_task_to_a_non_member(stack: dict[str, Any], owner: Api) -> None:
    shared = create_workspace(owner)["id"]
    task = task_in(owner, project_in(owner, shared))
    stranger = verified_user(stack)
    path = f"/v1/tasks/{task['id']}"
    for nobody in (uid(stranger), uuid.uuid4().hex):
        refused = owner.patch(path, json={"task": {"assigneeId": nobody}})
        assert "assigneeId" in assert_error(refused, 400, "validation_error")["message"]
    assert owner.get(path).json()["task"]["assigneeId"] is None


def test_tasks_are_filtered_by_assignee(owner: Api, other: Api) -> None:
    shared = create_workspace(owner)["id"]
    join(owner, shared, other)
    project = project_in(owner, shared)
    theirs = task_in(owner, project, "Theirs", assigneeId=uid(other))
    task_in(owner, project, "Mine", assigneeId=uid(owner))
    task_in(owner, project, "Nobody's")
    listed = owner.get(f"/v1/tasks?assigneeId={uid(other)}")
    assert listed.status_code == 200, listed.text
    assert [t["id"] for t in listed.json()["tasks"]] == [theirs["id"]]


# ----------------------------------------------------------------------------- one timer


def test_a_user_has_one_running_timer_across_their_workspaces(owner: Api, other: Api) -> None:
    first, second = create_workspace(owner, "A")["id"], create_workspace(owner, "B")["id"]
    join(owner, first, other)
    join(owner, second, other)
    in_first = task_in(owner, project_in(owner, first))
    in_second = task_in(owner, project_in(owner, second))
    in_personal = task_in(other, project_in(other, uid(other)))
    started = start_timer(other, in_first["id"])
    assert [t["id"] for t in timers(owner, first)] == [started["session"]["id"]]
    # A timer in B stops the one in A.
    response = other.post("/v1/timer", json={"taskId": in_second["id"]})
    assert response.status_code == 201, response.text
    stopped = response.json()["stopped"]
    assert (stopped["id"], stopped["running"]) == (started["session"]["id"], False)
    assert stopped["workspaceId"] == first
    assert timers(owner, first) == []
    assert owner.get(f"/v1/tasks/{in_first['id']}").json()["task"]["status"] == "paused"
    in_b = response.json()["timer"]["session"]
    assert [t["id"] for t in timers(owner, second)] == [in_b["id"]]
    # A task event in the personal workspace stops the one in B.
    event = other.post(f"/v1/tasks/{in_personal['id']}/events", json={"event": "start_tracking"})
    assert event.status_code == 200, event.text
    assert timers(owner, second) == []
    assert owner.get(f"/v1/sessions/{in_b['id']}").json()["session"]["running"] is False
    # A running session written in A stops the personal one.
    written = other.post("/v1/sessions", json=session_body(in_first["id"], duration=None))
    assert written.status_code == 201, written.text
    running = written.json()["session"]
    assert (
        other.get(f"/v1/sessions/{event.json()['session']['id']}").json()["session"]["running"]
        is False
    )
    assert other.get("/v1/timer").json()["timer"]["session"]["id"] == running["id"]
    assert [t["id"] for t in timers(owner, first)] == [running["id"]]
    assert timers(owner, second) == [] and timers(other, uid(other)) == []
    # Stopped through the workspace, none runs anywhere.
    assert owner.post(f"/v1/workspaces/{first}/timers/{running['id']}/stop").status_code == 200
    assert other.get("/v1/timer").json() == {"timer": None}
    assert all(timers(owner, w) == [] for w in (first, second))

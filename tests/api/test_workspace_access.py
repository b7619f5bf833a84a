"""docs/API.md, "Workspaces": who reaches a workspace. A non-member gets a 404 for the
workspace and for every id in it, on every route (an id in a body or a query: the answer an id
that names nothing gets), and changes nothing of it; a member removed, or who left, loses it all
on their very next request.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

import pytest
import requests

from tests.api.conftest import Api, assert_error
from tests.api.workspace_helpers import (
    assert_not_found,
    create_workspace,
    invite,
    join,
    log_session,
    project_in,
    session_body,
    start_timer,
    task_in,
    timers,
    uid,
    unknown_email,
    verified_user,
)


@pytest.fixture
def owner(stack: dict[str, Any]) -> Api:
    return verified_user(stack)


@pytest.fixture
def other(stack: dict[str, Any]) -> Api:
    return verified_user(stack)


# ------------------------------------------------------------------------- every id, every route


@dataclass
class Estate:
    """A shared workspace with one of everything in it: the owner's, and `member`'s session
    and running timer; a pending invitation."""

    owner: Api
    member: Api
    ids: dict[str, str]


def make_estate(stack: dict[str, Any]) -> Estate:
    owner, member = verified_user(stack), verified_user(stack)
    made = create_workspace(owner, "Estate")
    join(owner, made["id"], member)
    project = project_in(owner, made["id"])
    task = task_in(owner, project)
    ids = {
        "workspace": made["id"],
        "member": uid(member),
        "invitation": invite(owner, made["id"], unknown_email())["id"],
        "project": project["id"],
        "category": owner.create("/v1/categories", "category", title="C", workspaceId=made["id"])[
            "id"
        ],
        "tag": owner.create("/v1/tags", "tag", name="T", workspaceId=made["id"])["id"],
        "task": task["id"],
        "subtask": owner.create(f"/v1/tasks/{task['id']}/subtasks", "subtask", title="S")["id"],
        "session": log_session(member, task["id"])["id"],
        "timer": start_timer(member, task["id"])["session"]["id"],
    }
    return Estate(owner, member, ids)


@pytest.fixture(scope="module")
def estate(stack: dict[str, Any]) -> Estate:
    return make_estate(stack)


# Every route that names an id of a workspace in its path: (method, path, body).
PATH_ROUTES: list[tuple[str, str, dict[str, Any] | None]] = [
    ("GET", "/v1/workspaces/{workspace}", None),
    ("PATCH", "/v1/workspaces/{workspace}", {"workspace": {"name": "Taken"}}),
    ("DELETE", "/v1/workspaces/{workspace}", None),
    ("GET", "/v1/workspaces/{workspace}/members", None),
    ("POST", "/v1/workspaces/{workspace}/members", {"email": "x@example.com"}),
    ("PATCH", "/v1/workspaces/{workspace}/members/{member}", {"role": "manager"}),
    ("DELETE", "/v1/workspaces/{workspace}/members/{member}", None),
    ("DELETE", "/v1/workspaces/{workspace}/invitations/{invitation}", None),
    ("GET", "/v1/workspaces/{workspace}/timers", None),
    ("POST", "/v1/workspaces/{workspace}/timers/{timer}/stop", {"note": "n"}),
    ("POST", "/v1/invitations/{invitation}/accept", None),
    ("POST", "/v1/invitations/{invitation}/decline", None),
    ("GET", "/v1/projects/{project}", None),
    ("PATCH", "/v1/projects/{project}", {"project": {"title": "Taken"}}),
    ("DELETE", "/v1/projects/{project}?cascade=true", None),
    ("GET", "/v1/projects/{project}/tasks", None),
    ("POST", "/v1/projects/{project}/tasks", {"task": {"title": "In"}}),
    ("GET", "/v1/categories/{category}", None),
    ("PATCH", "/v1/categories/{category}", {"category": {"title": "Taken"}}),
    ("DELETE", "/v1/categories/{category}", None),
    ("GET", "/v1/tags/{tag}", None),
    ("PATCH", "/v1/tags/{tag}", {"tag": {"name": "Taken"}}),
    ("DELETE", "/v1/tags/{tag}", None),
    ("GET", "/v1/tasks/{task}", None),
    ("PATCH", "/v1/tasks/{task}", {"task": {"title": "Taken"}}),
    ("PATCH", "/v1/tasks/{task}?event=start_tracking", None),
    ("POST", "/v1/tasks/{task}/events", {"event": "finish"}),
    ("DELETE", "/v1/tasks/{task}?cascade=true", None),
    ("GET", "/v1/tasks/{task}/subtasks", None),
    ("POST", "/v1/tasks/{task}/subtasks", {"subtask": {"title": "In"}}),
    ("GET", "/v1/subtasks/{subtask}", None),
    ("PATCH", "/v1/subtasks/{subtask}", {"subtask": {"title": "Taken"}}),
    ("DELETE", "/v1/subtasks/{subtask}", None),
    ("GET", "/v1/sessions/{session}", None),
    ("DELETE", "/v1/sessions/{session}", None),
    ("GET", "/v1/sessions/{timer}", None),
    ("DELETE", "/v1/sessions/{timer}", None),
]

# Every route that names an id of a workspace in its body or query: the answer is the one an id
# that names nothing gets. (method, path, body)
BODY_ROUTES: list[tuple[str, str, dict[str, Any] | None]] = [
    ("POST", "/v1/projects", {"project": {"title": "P", "workspaceId": "{workspace}"}}),
    ("POST", "/v1/categories", {"category": {"title": "C", "workspaceId": "{workspace}"}}),
    ("POST", "/v1/tags", {"tag": {"name": "N", "workspaceId": "{workspace}"}}),
    ("POST", "/v1/tasks", {"task": {"title": "T", "projectId": "{project}"}}),
    ("POST", "/v1/timer", {"taskId": "{task}"}),
    ("POST", "/v1/sessions", session_body("{task}")),
    (
        "POST",
        "/v1/sessions",
        {**session_body("-"), "task": {"title": "T"}, "project": {"id": "{project}"}},
    ),
    (
        "POST",
        "/v1/sessions",
        {
            **session_body("-"),
            "task": {"title": "T"},
            "project": {"title": "P", "workspaceId": "{workspace}"},
        },
    ),
    (
        "POST",
        "/v1/sessions",
        {**session_body("-"), "task": {"title": "T", "projectId": "{project}"}},
    ),
    ("POST", "/v1/sessions", session_body("{task}", tagIds=["{tag}"], duration=60)),
    ("POST", "/v1/sessions", session_body("{task}", subtaskId="{subtask}", duration=60)),
    ("GET", "/v1/projects?workspaceId={workspace}", None),
    ("GET", "/v1/categories?workspaceId={workspace}", None),
    ("GET", "/v1/tags?workspaceId={workspace}", None),
    ("GET", "/v1/tasks?workspaceId={workspace}", None),
    ("GET", "/v1/tasks?projectId={project}", None),
    ("GET", "/v1/projects?categoryId={category}", None),
]


def _filled(value: Any, ids: dict[str, str]) -> Any:
    """`value` with every `{name}` replaced by ids[name]."""
    if isinstance(value, str):
        return value.format(**ids)
    if isinstance(value, dict):
        return {k: _filled(v, ids) for k, v in value.items()}
    if isinstance(value, list):
        return [_filled(v, ids) for v in value]
    return value


def _nothing(ids: dict[str, str]) -> dict[str, str]:
    """Ids of the same kinds that name nothing."""
    return {name: uuid.uuid4().hex for name in ids}


def _call(api: Api, route: tuple[str, str, dict[str, Any] | None], ids: dict[str, str]) -> Any:
    method, path, body = route
    kwargs = {} if body is None else {"json": _filled(body, ids)}
    return api.request(method, _filled(path, ids), **kwargs)


def _answer(response: requests.Response) -> tuple[int, Any]:
    """What a response says, but what differs between any two (ids, times)."""
    body = response.json() if response.content else None
    if isinstance(body, dict) and "error" in body:
        return response.status_code, body["error"]["code"]
    if isinstance(body, dict):  # a list: its entities' ids only, which name nothing of theirs
        return response.status_code, {k: len(v) for k, v in body.items() if isinstance(v, list)}
    return response.status_code, body


def _route_id(route: tuple[str, str, Any]) -> str:
    return f"{route[0]} {route[1]}"


@pytest.mark.parametrize("route", PATH_ROUTES, ids=_route_id)
def test_a_non_member_gets_404_for_every_id_of_a_workspace(
    stack: dict[str, Any], estate: Estate, route: tuple[str, str, Any]
) -> None:
    outsider = verified_user(stack)
    assert_not_found(_call(outsider, route, estate.ids))


@pytest.mark.parametrize("route", BODY_ROUTES, ids=_route_id)
def test_a_non_member_gets_what_an_unknown_id_gets(
    stack: dict[str, Any], estate: Estate, route: tuple[str, str, Any]
) -> None:
    outsider = verified_user(stack)
    answer = _answer(_call(outsider, route, estate.ids))
    assert answer == _answer(_call(outsider, route, _nothing(estate.ids)))
    assert answer[0] in (200, 400, 404), answer


def test_what_a_non_member_tried_changed_nothing(stack: dict[str, Any], estate: Estate) -> None:
    for route in PATH_ROUTES + BODY_ROUTES:
        _call(verified_user(stack), route, estate.ids)
    ids, owner = estate.ids, estate.owner
    for kind in ("project", "category", "tag", "task", "subtask", "session"):
        path = f"/v1/{'categories' if kind == 'category' else kind + 's'}/{ids[kind]}"
        assert owner.get(path).status_code == 200, path
    assert [t["id"] for t in timers(owner, ids["workspace"])] == [ids["timer"]]
    assert owner.get(f"/v1/workspaces/{ids['workspace']}").json()["workspace"]["name"] == "Estate"
    listed = owner.get(f"/v1/workspaces/{ids['workspace']}/members").json()
    assert [m["userId"] for m in listed["members"]] == [uid(owner), ids["member"]]
    assert [i["id"] for i in listed["invitations"]] == [ids["invitation"]]


def test_a_non_members_lists_and_batches_hold_nothing_of_it(
    stack: dict[str, Any], estate: Estate
) -> None:
    outsider = verified_user(stack)
    mine = {uid(outsider)}
    for path, key in (
        ("/v1/projects?archived=all", "projects"),
        ("/v1/categories", "categories"),
        ("/v1/tags", "tags"),
        ("/v1/tasks", "tasks"),
        ("/v1/sessions", "sessions"),
    ):
        listed = outsider.get(path).json()[key]
        assert {e["workspaceId"] for e in listed} <= mine, path
    batch = outsider.post(
        "/v1/sessions/batch",
        json={
            "atomic": False,
            "operations": [
                {"op": "delete", "id": estate.ids["session"]},
                {"op": "create", "body": session_body(estate.ids["task"])},
            ],
        },
    )
    assert batch.status_code == 200, batch.text
    assert [r["status"] for r in batch.json()["results"]] == [404, 404]
    assert estate.owner.get(f"/v1/sessions/{estate.ids['session']}").status_code == 200


def test_a_non_members_put_of_a_sessions_id_is_theirs_alone(
    stack: dict[str, Any], estate: Estate
) -> None:
    """PUT creates a session with a client's id: a non-member's makes one of their own, and
    the workspace's session with that id is untouched."""
    outsider = verified_user(stack)
    task = task_in(outsider, project_in(outsider, uid(outsider)))
    path = f"/v1/sessions/{estate.ids['session']}"
    before = estate.owner.get(path).json()["session"]
    put = outsider.put(path, json=session_body(task["id"], note="mine"))
    assert put.status_code == 201, put.text
    assert put.json()["session"]["workspaceId"] == uid(outsider)
    assert estate.owner.get(path).json()["session"] == before


# ----------------------------------------------------------------------------- removed


@pytest.mark.parametrize("how", ["removed", "left"])
def test_a_removed_member_loses_everything_on_their_next_request(
    stack: dict[str, Any], how: str
) -> None:
    estate = make_estate(stack)
    ids, member = estate.ids, estate.member
    # Before: a member reaches all of it (but the invitation, which is not theirs).
    assert member.get(f"/v1/tasks/{ids['task']}").status_code == 200
    assert member.get(f"/v1/sessions/{ids['session']}").status_code == 200
    leaver = member if how == "left" else estate.owner
    gone = leaver.delete(f"/v1/workspaces/{ids['workspace']}/members/{ids['member']}")
    assert gone.status_code == 204, gone.text
    for route in PATH_ROUTES:
        assert_not_found(_call(member, route, ids))
    for route in BODY_ROUTES:
        assert _answer(_call(member, route, ids)) == _answer(_call(member, route, _nothing(ids)))
    assert [w["id"] for w in member.get("/v1/workspaces").json()["workspaces"]] == [uid(member)]
    for path, key in (("/v1/projects?archived=all", "projects"), ("/v1/tasks", "tasks")):
        assert {e["workspaceId"] for e in member.get(path).json()[key]} <= {uid(member)}, path


def test_a_removed_members_timer_in_the_workspace_is_theirs_no_more(
    stack: dict[str, Any],
) -> None:
    """Their running timer was on a task of the workspace: neither `GET /v1/timer` nor
    stopping it reaches the workspace once they are out of it."""
    estate = make_estate(stack)
    ids, member = estate.ids, estate.member
    assert member.get("/v1/timer").json()["timer"]["session"]["id"] == ids["timer"]
    path = f"/v1/workspaces/{ids['workspace']}/members/{ids['member']}"
    assert estate.owner.delete(path).status_code == 204
    assert member.get("/v1/timer").json() == {"timer": None}
    assert_error(member.post("/v1/timer/stop"), 404, "no_running_timer")
    # They start another anywhere else as if none ran.
    started = member.post(
        "/v1/timer", json={"taskId": task_in(member, project_in(member, uid(member)))["id"]}
    )
    assert started.status_code == 201, started.text
    assert "stopped" not in started.json()
    assert timers(estate.owner, ids["workspace"]) == []

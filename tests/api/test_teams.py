"""Contract section 8: teams, members, and the team's running timers (Worksection)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.api.conftest import Api, assert_error, new_api


@pytest.fixture
def third(stack: dict[str, Any]) -> Api:
    return new_api(stack)


def me(api: Api) -> dict[str, Any]:
    return dict(api.get("/v1/me").json())


def create_team(api: Api, name: str = "Studio") -> dict[str, Any]:
    response = api.post("/v1/teams", json={"team": {"name": name}})
    assert response.status_code == 201, response.text
    assert response.headers["ETag"]
    return dict(response.json()["team"])


def add(api: Api, team: dict[str, Any], who: Api, role: str = "member") -> dict[str, Any]:
    response = api.post(f"/v1/teams/{team['id']}/members", json={"email": who.email, "role": role})
    assert response.status_code == 201, response.text
    return dict(response.json()["team"])


def start_timer(api: Api, title: str, project: str = "Client work") -> dict[str, Any]:
    project_id = api.create("/v1/projects", "project", title=project)["id"]
    task = api.create("/v1/tasks", "task", title=title, projectId=project_id)
    response = api.post("/v1/timer", json={"taskId": task["id"], "note": f"on {title}"})
    assert response.status_code == 201, response.text
    return dict(response.json()["timer"])


def test_create_list_get(api: Api, other: Api) -> None:
    profile = me(api)
    team = create_team(api, "  Studio  ")
    assert team["name"] == "Studio"
    assert team["members"] == [
        {
            "userId": profile["id"],
            "email": profile["email"],
            "displayName": profile["displayName"],
            "role": "admin",
        }
    ]
    second = create_team(api, "Second")
    listed = api.get("/v1/teams").json()
    assert sorted(t["id"] for t in listed["teams"]) == sorted([team["id"], second["id"]])
    page = api.get("/v1/teams?limit=1").json()
    assert len(page["teams"]) == 1 and page["nextToken"]
    rest = api.get(f"/v1/teams?limit=1&nextToken={page['nextToken']}").json()
    assert {page["teams"][0]["id"], rest["teams"][0]["id"]} == {team["id"], second["id"]}
    got = api.get(f"/v1/teams/{team['id']}")
    assert got.status_code == 200 and got.json()["team"] == team
    # A non-member does not see the team at all.
    assert other.get("/v1/teams").json() == {"teams": []}
    assert_error(other.get(f"/v1/teams/{team['id']}"), 404, "not_found")
    assert_error(api.get("/v1/teams/no-such-team"), 404, "not_found")


def test_create_errors(api: Api) -> None:
    for body in ({}, {"team": {}}, {"team": {"name": " "}}, {"team": {"name": "x", "id": "t"}}):
        assert_error(api.post("/v1/teams", json=body), 400, "validation_error")


def test_add_and_remove_members(api: Api, other: Api, third: Api) -> None:
    team = create_team(api)
    team = add(api, team, other)
    assert [m["role"] for m in team["members"]] == ["admin", "member"]
    assert team["members"][1]["email"] == other.email
    assert other.get(f"/v1/teams/{team['id']}").json()["team"] == team
    assert [t["id"] for t in other.get("/v1/teams").json()["teams"]] == [team["id"]]
    # A member is not an admin: they cannot add or remove others.
    denied = other.post(f"/v1/teams/{team['id']}/members", json={"email": third.email})
    assert_error(denied, 403, "forbidden")
    admin_id = me(api)["id"]
    assert_error(other.delete(f"/v1/teams/{team['id']}/members/{admin_id}"), 403, "forbidden")
    # A non-member gets 404, whatever they try.
    assert_error(
        third.post(f"/v1/teams/{team['id']}/members", json={"email": third.email}),
        404,
        "not_found",
    )
    # Errors of the admin's own requests.
    already = api.post(f"/v1/teams/{team['id']}/members", json={"email": other.email})
    assert_error(already, 409, "conflict")
    nobody = api.post(f"/v1/teams/{team['id']}/members", json={"email": "nobody@example.com"})
    assert_error(nobody, 404, "not_found")
    for body in ({"email": "not-an-email"}, {"email": third.email, "role": "owner"}, {}):
        bad = api.post(f"/v1/teams/{team['id']}/members", json=body)
        assert_error(bad, 400, "validation_error")
    assert_error(api.delete(f"/v1/teams/{team['id']}/members/nobody"), 404, "not_found")
    # A second admin, then the member leaves and the first admin removes the second.
    team = add(api, team, third, role="admin")
    other_id = me(other)["id"]
    left = other.delete(f"/v1/teams/{team['id']}/members/{other_id}")
    assert left.status_code == 204 and left.text == ""
    assert_error(other.get(f"/v1/teams/{team['id']}"), 404, "not_found")
    assert other.get("/v1/teams").json() == {"teams": []}
    third_id = me(third)["id"]
    removed = api.delete(f"/v1/teams/{team['id']}/members/{third_id}")
    assert removed.status_code == 204
    members = api.get(f"/v1/teams/{team['id']}").json()["team"]["members"]
    assert [m["userId"] for m in members] == [admin_id]


def test_the_last_admin_cannot_leave(api: Api, other: Api) -> None:
    team = add(api, create_team(api), other)
    admin_id = me(api)["id"]
    assert_error(api.delete(f"/v1/teams/{team['id']}/members/{admin_id}"), 409, "conflict")
    add_admin = api.post(
        f"/v1/teams/{team['id']}/members", json={"email": other.email, "role": "admin"}
    )
    assert_error(add_admin, 409, "conflict")  # already a member: remove and add again
    assert api.get(f"/v1/teams/{team['id']}").json()["team"] == team


def test_team_timers(api: Api, other: Api, third: Api) -> None:
    team = add(api, add(api, create_team(api), other), third)
    assert api.get(f"/v1/teams/{team['id']}/timers").json() == {"timers": []}
    mine = start_timer(api, "Admin's task", "Internal")
    theirs = start_timer(other, "Member's task")
    start_timer(third, "started, then stopped")
    assert third.post("/v1/timer/stop").status_code == 200
    for viewer in (api, other, third):  # every member sees the same running timers
        timers = viewer.get(f"/v1/teams/{team['id']}/timers").json()["timers"]
        by_user = {t["user"]["id"]: t for t in timers}
        assert set(by_user) == {me(api)["id"], me(other)["id"]}
    timer = by_user[me(other)["id"]]
    assert set(timer) == {"id", "startTimestamp", "elapsed", "note", "user", "task"}
    assert timer["id"] == theirs["session"]["id"]
    assert timer["startTimestamp"] == theirs["session"]["startTimestamp"]
    assert timer["note"] == "on Member's task" and timer["elapsed"] >= 0
    assert timer["user"] == {
        "id": me(other)["id"],
        "email": other.email,
        "displayName": me(other)["displayName"],
    }
    assert timer["task"] == {
        "id": theirs["task"]["id"],
        "title": "Member's task",
        "project": {"id": theirs["project"]["id"], "title": "Client work"},
    }
    assert by_user[me(api)["id"]]["task"]["project"]["title"] == "Internal"
    # Teams share running timers only: the member's task and session stay private.
    assert_error(api.get(f"/v1/tasks/{theirs['task']['id']}"), 404, "not_found")
    assert_error(api.get(f"/v1/sessions/{theirs['session']['id']}"), 404, "not_found")
    assert by_user[me(api)["id"]]["id"] == mine["session"]["id"]


def test_an_admin_stops_a_members_timer(
    stack: dict[str, Any], api: Api, other: Api, third: Api
) -> None:
    team = add(api, add(api, create_team(api), other), third)
    mine = start_timer(api, "admin's")
    theirs = start_timer(other, "member's")
    token = other.get("/v1/sync").json()["syncToken"]
    stop_path = f"/v1/teams/{team['id']}/timers/{{}}/stop"
    # A member cannot stop another's timer; a non-member does not see the team.
    denied = third.post(stop_path.format(mine["session"]["id"]))
    assert_error(denied, 403, "forbidden")
    outsider = new_api(stack)
    assert_error(outsider.post(stop_path.format(theirs["session"]["id"])), 404, "not_found")
    assert_error(outsider.get(f"/v1/teams/{team['id']}/timers"), 404, "not_found")
    other_id = me(other)["id"]
    assert_error(outsider.delete(f"/v1/teams/{team['id']}/members/{other_id}"), 404, "not_found")
    assert_error(api.post(stop_path.format("no-such-timer")), 404, "not_found")
    stopped = api.post(stop_path.format(theirs["session"]["id"]), json={"note": "stopped by admin"})
    assert stopped.status_code == 200, stopped.text
    session = stopped.json()["session"]
    assert session["id"] == theirs["session"]["id"] and session["running"] is False
    assert session["note"] == "stopped by admin" and isinstance(session["duration"], int)
    # The member sees it stopped: no timer, and the change in their next sync.
    assert other.get("/v1/timer").json() == {"timer": None}
    page = other.get(f"/v1/sync?syncToken={token}").json()
    assert page["sessions"] == [session]
    assert [t["status"] for t in page["tasks"]] == ["paused"]
    assert_error(api.post(stop_path.format(theirs["session"]["id"])), 404, "not_found")
    # A member may stop their own timer through the team too.
    own = start_timer(third, "third's")
    assert third.post(stop_path.format(own["session"]["id"])).status_code == 200
    timers = api.get(f"/v1/teams/{team['id']}/timers").json()["timers"]
    assert [t["id"] for t in timers] == [mine["session"]["id"]]


def test_a_renamed_member_is_renamed_in_their_teams(api: Api, other: Api) -> None:
    first = add(api, create_team(api, "One"), other)
    second = add(api, create_team(api, "Two"), other)
    renamed = other.patch("/v1/me", json={"displayName": "Grace H."})
    assert renamed.status_code == 200, renamed.text
    for team in (first, second):
        members = api.get(f"/v1/teams/{team['id']}").json()["team"]["members"]
        assert [m["displayName"] for m in members] == [me(api)["displayName"], "Grace H."]
    start_timer(other, "renamed")
    (timer,) = api.get(f"/v1/teams/{first['id']}/timers").json()["timers"]
    assert timer["user"]["displayName"] == "Grace H."

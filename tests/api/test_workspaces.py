"""docs/API.md, "Workspaces": every user's personal workspace, shared workspaces, their
members and running timers. Invitations: test_workspace_invitations.py; who may do what:
test_workspace_roles.py; what a non-member or a removed member gets: test_workspace_access.py;
what a workspace holds: test_workspace_contents.py.
"""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from tests.api.conftest import Api, assert_error
from tests.api.workspace_helpers import (
    DEFAULT_SETTINGS,
    MEMBER_KEYS,
    WORKSPACE_KEYS,
    assert_not_found,
    create_workspace,
    invitations,
    invite,
    join,
    me,
    member_ids,
    members,
    project_in,
    start_timer,
    task_in,
    timers,
    uid,
    unknown_email,
    verified_user,
    workspace,
)


@pytest.fixture
def owner(stack: dict[str, Any]) -> Api:
    return verified_user(stack)


@pytest.fixture
def other(stack: dict[str, Any]) -> Api:
    return verified_user(stack)


@pytest.fixture
def third(stack: dict[str, Any]) -> Api:
    return verified_user(stack)


# ----------------------------------------------------------------------------- workspaces


def test_every_user_has_a_personal_workspace_listed_first(owner: Api, other: Api) -> None:
    profile = me(owner)
    assert profile["personalWorkspaceId"] == profile["id"]
    personal = {
        "id": profile["id"],
        "name": "Personal",
        "personal": True,
        "role": "owner",
        "settings": DEFAULT_SETTINGS,
        "memberCount": 1,
        "lastUpdated": owner.get("/v1/workspaces").json()["workspaces"][0]["lastUpdated"],
    }
    assert owner.get("/v1/workspaces").json() == {"workspaces": [personal]}
    assert workspace(owner, profile["id"]) == personal
    first, second = create_workspace(owner, "One"), create_workspace(owner, "Two")
    listed = owner.get("/v1/workspaces").json()["workspaces"]
    assert listed[0] == personal
    assert sorted(w["id"] for w in listed[1:]) == sorted([first["id"], second["id"]])
    assert all(set(w) == WORKSPACE_KEYS and not w["personal"] for w in listed[1:])
    # Shared ones the caller joined are listed too, with the caller's role there.
    join(owner, first["id"], other, "manager")
    theirs = other.get("/v1/workspaces").json()["workspaces"]
    assert [w["id"] for w in theirs] == [uid(other), first["id"]]
    assert (theirs[1]["role"], theirs[1]["memberCount"]) == ("manager", 2)
    # Someone else's personal workspace is nobody else's to see.
    assert_not_found(other.get(f"/v1/workspaces/{profile['id']}"))


def test_create_get_update(owner: Api, other: Api) -> None:
    response = owner.post(
        "/v1/workspaces",
        json={"workspace": {"name": "  Studio  ", "settings": {"membersManageCatalog": True}}},
    )
    assert response.status_code == 201, response.text
    made = response.json()["workspace"]
    assert response.headers["Location"].endswith(f"/v1/workspaces/{made['id']}")
    assert made == {
        "id": made["id"],
        "name": "Studio",
        "personal": False,
        "role": "owner",
        "settings": {**DEFAULT_SETTINGS, "membersManageCatalog": True},
        "memberCount": 1,
        "lastUpdated": made["lastUpdated"],
    }
    got = owner.get(f"/v1/workspaces/{made['id']}")
    assert got.json()["workspace"] == made and got.headers["ETag"] == response.headers["ETag"]
    path = f"/v1/workspaces/{made['id']}"
    renamed = owner.patch(path, json={"workspace": {"name": "Atelier"}})
    assert renamed.status_code == 200, renamed.text
    assert renamed.json()["workspace"]["name"] == "Atelier"
    assert renamed.json()["workspace"]["settings"] == {
        **DEFAULT_SETTINGS,
        "membersManageCatalog": True,
    }
    assert renamed.headers["ETag"] != response.headers["ETag"]
    stale = {"If-Match": response.headers["ETag"]}
    changed = owner.patch(path, json={"workspace": {"name": "Late"}}, headers=stale)
    assert_error(changed, 412, "precondition_failed")
    settled = owner.patch(
        path,
        json={"workspace": {"settings": {"membersManageCatalog": False}}},
        headers={"If-Match": renamed.headers["ETag"]},
    )
    assert settled.status_code == 200, settled.text
    assert settled.json()["workspace"]["name"] == "Atelier"
    assert settled.json()["workspace"]["settings"] == DEFAULT_SETTINGS
    assert workspace(owner, made["id"]) == settled.json()["workspace"]
    # A non-member does not see it; an id that is no workspace is the same 404.
    assert_not_found(other.get(path))
    assert_not_found(other.patch(path, json={"workspace": {"name": "Mine"}}))
    assert_not_found(owner.get("/v1/workspaces/no-such-workspace"))
    assert_not_found(owner.get(f"/v1/workspaces/{uuid.uuid4().hex}"))


# docs/API.md, "Requests and answers": fields the server manages may be sent back and are
# ignored, "so you can PUT what you GET". Found by tests/property (the round trip of every
# request model sends back what it got).
def test_a_workspace_sent_back_as_got_is_accepted(owner: Api) -> None:
    for made in (create_workspace(owner), workspace(owner, uid(owner))):
        path = f"/v1/workspaces/{made['id']}"
        got = owner.get(path).json()["workspace"]
        again = owner.patch(path, json={"workspace": got})
        assert again.status_code == 200, again.text
        assert {**again.json()["workspace"], "lastUpdated": None} == {**got, "lastUpdated": None}


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"workspace": {}},
        {"workspace": {"name": " "}},
        {"workspace": {"name": None}},
        {"workspace": {"name": "x", "id": "w"}},
        {"workspace": {"name": "x", "settings": {"membersManageCatalog": "yes"}}},
        {"workspace": {"name": "x", "settings": {"other": True}}},
    ],
)
def test_create_errors(api: Api, body: dict[str, Any]) -> None:
    assert_error(api.post("/v1/workspaces", json=body), 400, "validation_error")


def test_the_personal_workspace_refuses_invitations_leaving_and_deletion(api: Api) -> None:
    mine = uid(api)
    base = f"/v1/workspaces/{mine}"
    assert_error(api.post(f"{base}/members", json={"email": unknown_email()}), 409, "conflict")
    assert_error(api.delete(f"{base}/members/{mine}"), 409, "conflict")
    assert_error(api.delete(base), 409, "conflict")
    assert_error(api.patch(f"{base}/members/{mine}", json={"role": "member"}), 409, "conflict")
    assert_error(api.delete(f"{base}/invitations/{uuid.uuid4().hex}"), 409, "conflict")
    # Its one member is the user, its owner; it can be renamed, and is still theirs.
    (only,) = members(api, mine)["members"]
    assert set(only) == MEMBER_KEYS
    assert (only["userId"], only["email"], only["role"]) == (mine, api.email, "owner")
    renamed = api.patch(base, json={"workspace": {"name": "Mine"}})
    assert renamed.status_code == 200, renamed.text
    assert renamed.json()["workspace"]["name"] == "Mine"
    assert renamed.json()["workspace"]["personal"] is True
    assert api.get("/v1/workspaces").json()["workspaces"] == [renamed.json()["workspace"]]
    assert timers(api, mine) == []


def test_deleting_a_workspace_deletes_all_in_it(owner: Api, other: Api) -> None:
    made = create_workspace(owner)
    join(owner, made["id"], other)
    project = project_in(owner, made["id"])
    task = task_in(other, project)
    subtask = other.create(f"/v1/tasks/{task['id']}/subtasks", "subtask", title="part")
    category = owner.create("/v1/categories", "category", title="C", workspaceId=made["id"])
    tag = owner.create("/v1/tags", "tag", name="T", workspaceId=made["id"])
    running = start_timer(other, task["id"])
    kept = project_in(owner, uid(owner), "Personal work")
    assert_error(other.delete(f"/v1/workspaces/{made['id']}"), 403, "forbidden")
    deleted = owner.delete(f"/v1/workspaces/{made['id']}")
    assert deleted.status_code == 204 and deleted.text == ""
    for who in (owner, other):
        assert_not_found(who.get(f"/v1/workspaces/{made['id']}"))
        assert [w["id"] for w in who.get("/v1/workspaces").json()["workspaces"]] == [uid(who)]
        for path in (
            f"/v1/projects/{project['id']}",
            f"/v1/tasks/{task['id']}",
            f"/v1/subtasks/{subtask['id']}",
            f"/v1/sessions/{running['session']['id']}",
            f"/v1/categories/{category['id']}",
            f"/v1/tags/{tag['id']}",
        ):
            assert_not_found(who.get(path))
    assert [p["id"] for p in owner.get("/v1/projects").json()["projects"]] == [
        p["id"] for p in owner.get(f"/v1/projects?workspaceId={uid(owner)}").json()["projects"]
    ]
    assert kept["id"] in [p["id"] for p in owner.get("/v1/projects").json()["projects"]]
    # The member's timer went with it; they start another one as if none ran.
    assert other.get("/v1/timer").json() == {"timer": None}
    mine = task_in(other, project_in(other, uid(other)))
    assert "stopped" not in other.post("/v1/timer", json={"taskId": mine["id"]}).json()


# ----------------------------------------------------------------------------- members


def test_members_leave_and_are_removed(owner: Api, other: Api, third: Api) -> None:
    made = create_workspace(owner)
    join(owner, made["id"], other)
    join(owner, made["id"], third, "admin")
    listed = members(owner, made["id"])["members"]
    assert [m["role"] for m in listed] == ["owner", "member", "admin"]
    assert all(set(m) == MEMBER_KEYS for m in listed)
    left = other.delete(f"/v1/workspaces/{made['id']}/members/{uid(other)}")
    assert left.status_code == 204 and left.text == ""
    assert_not_found(other.get(f"/v1/workspaces/{made['id']}"))
    assert [w["id"] for w in other.get("/v1/workspaces").json()["workspaces"]] == [uid(other)]
    removed = owner.delete(f"/v1/workspaces/{made['id']}/members/{uid(third)}")
    assert removed.status_code == 204
    assert member_ids(owner, made["id"]) == [uid(owner)]
    assert workspace(owner, made["id"])["memberCount"] == 1
    assert_not_found(owner.delete(f"/v1/workspaces/{made['id']}/members/{uid(third)}"))
    # Gone, a member is a stranger again: only a new invitation brings them back.
    assert invitations(other) == []
    assert join(owner, made["id"], other)["role"] == "member"


# As test_a_workspace_sent_back_as_got_is_accepted, for a member: the body of a role change is
# flat, `{role}`, so what is got is the member itself (GET .../members, or the PATCH's answer).
def test_a_member_sent_back_as_got_is_accepted(owner: Api, other: Api) -> None:
    made = create_workspace(owner)["id"]
    join(owner, made, other, "manager")
    (got,) = [m for m in members(owner, made)["members"] if m["userId"] == uid(other)]
    again = owner.patch(f"/v1/workspaces/{made}/members/{uid(other)}", json=got)
    assert again.status_code == 200, again.text
    assert again.json()["member"] == got


def test_the_owner_hands_ownership_over_and_only_then_may_leave(owner: Api, other: Api) -> None:
    made = create_workspace(owner)
    join(owner, made["id"], other)
    base = f"/v1/workspaces/{made['id']}/members"
    assert_error(owner.delete(f"{base}/{uid(owner)}"), 409, "conflict")
    assert_error(owner.patch(f"{base}/{uid(owner)}", json={"role": "admin"}), 409, "conflict")
    add_admin = owner.post(base, json={"email": other.email, "role": "admin"})
    assert_error(add_admin, 409, "conflict")  # already a member: change the role instead
    promoted = owner.patch(f"{base}/{uid(other)}", json={"role": "manager"})
    assert promoted.status_code == 200, promoted.text
    assert promoted.headers["ETag"] == owner.get(f"/v1/workspaces/{made['id']}").headers["ETag"]
    assert set(promoted.json()) == {"member"} and set(promoted.json()["member"]) == MEMBER_KEYS
    assert (promoted.json()["member"]["userId"], promoted.json()["member"]["role"]) == (
        uid(other),
        "manager",
    )
    handed = owner.patch(f"{base}/{uid(other)}", json={"role": "owner"})
    assert handed.status_code == 200, handed.text
    assert handed.json()["member"]["role"] == "owner"
    roles = {m["userId"]: m["role"] for m in members(owner, made["id"])["members"]}
    assert roles == {uid(owner): "admin", uid(other): "owner"}
    assert workspace(owner, made["id"])["role"] == "admin"
    assert workspace(other, made["id"])["role"] == "owner"
    assert_error(other.delete(f"{base}/{uid(other)}"), 409, "conflict")
    assert_error(owner.delete(f"/v1/workspaces/{made['id']}"), 403, "forbidden")
    assert owner.delete(f"{base}/{uid(owner)}").status_code == 204  # an admin now: may leave
    assert member_ids(other, made["id"]) == [uid(other)]


def test_a_renamed_member_is_renamed_in_their_workspaces(owner: Api, other: Api) -> None:
    first, second = create_workspace(owner, "One"), create_workspace(owner, "Two")
    for made in (first, second):
        join(owner, made["id"], other)
    pending = invite(owner, first["id"], unknown_email())
    renamed = other.patch("/v1/me", json={"displayName": "Grace H."})
    assert renamed.status_code == 200, renamed.text
    for made in (first, second):
        listed = members(owner, made["id"])["members"]
        assert [m["displayName"] for m in listed] == [me(owner)["displayName"], "Grace H."]
    assert [i["id"] for i in members(owner, first["id"])["invitations"]] == [pending["id"]]
    start_timer(other, task_in(owner, project_in(owner, first["id"]))["id"])
    (timer,) = timers(owner, first["id"])
    assert timer["user"]["displayName"] == "Grace H."


# ----------------------------------------------------------------------------- timers


def test_workspace_timers(owner: Api, other: Api, third: Api) -> None:
    made = create_workspace(owner)
    for who in (other, third):
        join(owner, made["id"], who)
    assert timers(owner, made["id"]) == []
    internal = task_in(owner, project_in(owner, made["id"], "Internal"), "Owner's task")
    client = project_in(owner, made["id"])
    theirs_task = task_in(other, client, "Member's task", assigneeId=uid(other))
    mine = start_timer(owner, internal["id"], "on Owner's task")
    theirs = start_timer(other, theirs_task["id"], "on Member's task")
    start_timer(third, task_in(third, client, "started, then stopped")["id"])
    assert third.post("/v1/timer/stop").status_code == 200
    # A member's timer in another workspace (their personal one) is not the workspace's.
    elsewhere = timer_elsewhere(third)
    for viewer in (owner, other, third):  # every member sees the same running timers
        by_user = {t["user"]["id"]: t for t in timers(viewer, made["id"])}
        assert set(by_user) == {uid(owner), uid(other)}
    timer = by_user[uid(other)]
    assert set(timer) == {"id", "startTimestamp", "elapsed", "note", "user", "task"}
    assert timer["id"] == theirs["session"]["id"]
    assert timer["startTimestamp"] == theirs["session"]["startTimestamp"]
    assert timer["note"] == "on Member's task" and timer["elapsed"] >= 0
    assert timer["user"] == {
        "id": uid(other),
        "email": other.email,
        "displayName": me(other)["displayName"],
    }
    assert timer["task"] == {
        "id": theirs_task["id"],
        "title": "Member's task",
        "assigneeId": uid(other),
        "project": {"id": client["id"], "title": "Client work"},
    }
    assert by_user[uid(owner)]["task"]["project"]["title"] == "Internal"
    assert by_user[uid(owner)]["task"]["assigneeId"] is None
    assert by_user[uid(owner)]["id"] == mine["session"]["id"]
    assert elsewhere not in {t["id"] for t in timers(owner, made["id"])}
    assert [t["id"] for t in timers(third, uid(third))] == [elsewhere]


def timer_elsewhere(who: Api) -> str:
    """`who` starts a timer in their personal workspace; its session's id."""
    task = task_in(who, project_in(who, uid(who), "Side project"))
    return str(start_timer(who, task["id"])["session"]["id"])


def test_stopping_a_members_timer(stack: dict[str, Any], owner: Api, other: Api) -> None:
    made = create_workspace(owner)
    join(owner, made["id"], other)
    task = task_in(owner, project_in(owner, made["id"]))
    theirs = start_timer(other, task["id"])
    stop = f"/v1/workspaces/{made['id']}/timers/{{}}/stop"
    assert_not_found(owner.post(stop.format("no-such-timer")))
    assert_not_found(owner.post(stop.format(uuid.uuid4().hex)))
    stopped = owner.post(stop.format(theirs["session"]["id"]), json={"note": "stopped by owner"})
    assert stopped.status_code == 200, stopped.text
    assert stopped.headers["ETag"]
    session = stopped.json()["session"]
    assert session["id"] == theirs["session"]["id"] and session["running"] is False
    assert session["note"] == "stopped by owner" and isinstance(session["duration"], int)
    assert (session["userId"], session["workspaceId"]) == (uid(other), made["id"])
    # The member sees it stopped: no timer; the task is paused.
    assert other.get("/v1/timer").json() == {"timer": None}
    assert other.get(f"/v1/tasks/{task['id']}").json()["task"]["status"] == "paused"
    # As the owner got it, but for the money a member does not see.
    unpriced = {k: v for k, v in session.items() if k not in {"billableRate", "costRate"}}
    assert other.get(f"/v1/sessions/{session['id']}").json()["session"] == {
        k: v for k, v in unpriced.items() if k not in {"amount", "cost"}
    }
    assert_not_found(owner.post(stop.format(theirs["session"]["id"])))  # not running now
    # Without a body too; and a member stops their own.
    own = start_timer(other, task["id"])
    assert other.post(stop.format(own["session"]["id"])).status_code == 200
    assert timers(owner, made["id"]) == []
    # A timer of the member's in another workspace is not this workspace's to stop.
    elsewhere = timer_elsewhere(other)
    assert_not_found(owner.post(stop.format(elsewhere)))
    assert other.get("/v1/timer").json()["timer"]["session"]["id"] == elsewhere

"""docs/API.md, "Team invitations": teams, invitations, members, and the team's running timers
(Worksection).

Nobody becomes a member without accepting an invitation sent to their own verified email, and
the invitation route tells nobody who has an account.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
import requests
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.api.conftest import PASSWORD, Api, assert_error, cognito, new_api

INVITATION_KEYS = {"id", "teamId", "teamName", "email", "role", "invitedBy", "createdAt"}


def verify_email(stack: dict[str, Any], api: Api) -> Api:
    """Mark the user's email verified, as confirming the code Cognito sent does."""
    cognito(stack).admin_update_user_attributes(
        UserPoolId=stack["UserPoolId"],
        Username=api.email,
        UserAttributes=[{"Name": "email_verified", "Value": "true"}],
    )
    return api


@pytest.fixture
def verified(stack: dict[str, Any]) -> Callable[[], Api]:
    """Makes new users whose email is verified (they can see and accept invitations)."""
    return lambda: verify_email(stack, new_api(stack))


@pytest.fixture
def other(verified: Callable[[], Api]) -> Api:
    return verified()


@pytest.fixture
def third(verified: Callable[[], Api]) -> Api:
    return verified()


def me(api: Api) -> dict[str, Any]:
    return dict(api.get("/v1/me").json())


def create_team(api: Api, name: str = "Studio") -> dict[str, Any]:
    response = api.post("/v1/teams", json={"team": {"name": name}})
    assert response.status_code == 201, response.text
    assert response.headers["ETag"]
    return dict(response.json()["team"])


def invite(api: Api, team: dict[str, Any], email: str, role: str = "member") -> dict[str, Any]:
    response = api.post(f"/v1/teams/{team['id']}/members", json={"email": email, "role": role})
    assert response.status_code == 201, response.text
    assert response.headers["ETag"]
    invitation = dict(response.json()["invitation"])
    assert set(response.json()) == {"invitation"} and set(invitation) == INVITATION_KEYS
    return invitation


def accept(who: Api, invitation: dict[str, Any]) -> dict[str, Any]:
    response = who.post(f"/v1/invitations/{invitation['id']}/accept")
    assert response.status_code == 200, response.text
    assert response.headers["ETag"]
    return dict(response.json()["team"])


def join(api: Api, team: dict[str, Any], who: Api, role: str = "member") -> dict[str, Any]:
    """The admin `api` invites `who`, who accepts; the team as the admin sees it then."""
    accept(who, invite(api, team, who.email, role))
    return dict(api.get(f"/v1/teams/{team['id']}").json()["team"])


def invitations(api: Api) -> list[dict[str, Any]]:
    response = api.get("/v1/invitations")
    assert response.status_code == 200, response.text
    return list(response.json()["invitations"])


def start_timer(api: Api, title: str, project: str = "Client work") -> dict[str, Any]:
    project_id = api.create("/v1/projects", "project", title=project)["id"]
    task = api.create("/v1/tasks", "task", title=title, projectId=project_id)
    response = api.post("/v1/timer", json={"taskId": task["id"], "note": f"on {title}"})
    assert response.status_code == 201, response.text
    return dict(response.json()["timer"])


def timer_users(api: Api, team: dict[str, Any]) -> set[str]:
    response = api.get(f"/v1/teams/{team['id']}/timers")
    assert response.status_code == 200, response.text
    return {timer["user"]["id"] for timer in response.json()["timers"]}


def unknown_email() -> str:
    return f"nobody-{uuid.uuid4().hex[:12]}@example.com"


# ----------------------------------------------------------------------------- teams


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
    assert team["invitations"] == []  # an admin's view
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


# ----------------------------------------------------------------------------- invitations


def test_an_invitee_becomes_a_member_only_by_accepting(api: Api, other: Api) -> None:
    team = create_team(api)
    admin = me(api)
    response = api.post(
        f"/v1/teams/{team['id']}/members", json={"email": other.email, "role": "member"}
    )
    assert response.status_code == 201, response.text
    invitation = response.json()["invitation"]
    assert invitation == {
        "id": invitation["id"],
        "teamId": team["id"],
        "teamName": "Studio",
        "email": other.email,
        "role": "member",
        "invitedBy": {"userId": admin["id"], "displayName": admin["displayName"]},
        "createdAt": invitation["createdAt"],
    }
    assert invitation["createdAt"].endswith("Z")
    # The admins see the pending invitation in the team; its ETag is the team's.
    got = api.get(f"/v1/teams/{team['id']}")
    assert got.headers["ETag"] == response.headers["ETag"]
    assert got.json()["team"]["invitations"] == [
        {key: invitation[key] for key in ("id", "email", "role", "createdAt")}
    ]
    assert [m["userId"] for m in got.json()["team"]["members"]] == [admin["id"]]
    # The invitee is not a member yet: the team is still not theirs to see.
    assert_error(other.get(f"/v1/teams/{team['id']}"), 404, "not_found")
    assert other.get("/v1/teams").json() == {"teams": []}
    assert invitations(other) == [invitation]
    joined = accept(other, invitation)
    assert [m["userId"] for m in joined["members"]] == [admin["id"], me(other)["id"]]
    assert joined["members"][1] == {
        "userId": me(other)["id"],
        "email": other.email,
        "displayName": me(other)["displayName"],
        "role": "member",
    }
    assert "invitations" not in joined  # members do not see invitations
    assert other.get(f"/v1/teams/{team['id']}").json()["team"] == joined
    assert [t["id"] for t in other.get("/v1/teams").json()["teams"]] == [team["id"]]
    assert invitations(other) == []
    admins_view = api.get(f"/v1/teams/{team['id']}").json()["team"]
    assert admins_view == {**joined, "invitations": []}
    # Accepted: the invitation is gone.
    gone = other.post(f"/v1/invitations/{invitation['id']}/accept")
    assert_error(gone, 404, "not_found")


def test_an_admin_invitation_makes_an_admin(api: Api, other: Api) -> None:
    team = create_team(api)
    joined = accept(other, invite(api, team, other.email, role="admin"))
    assert joined["members"][1]["role"] == "admin"
    assert joined["invitations"] == []  # an admin sees them
    pending = invite(other, team, unknown_email())
    assert [i["id"] for i in api.get(f"/v1/teams/{team['id']}").json()["team"]["invitations"]] == [
        pending["id"]
    ]


def test_invitations_are_paged(api: Api, other: Api) -> None:
    sent = [invite(api, create_team(api, name), other.email) for name in ("One", "Two")]
    first = other.get("/v1/invitations?limit=1").json()
    assert len(first["invitations"]) == 1 and first["nextToken"]
    rest = other.get(f"/v1/invitations?limit=1&nextToken={first['nextToken']}").json()
    assert "nextToken" not in rest
    got = first["invitations"] + rest["invitations"]
    assert sorted(got, key=lambda i: i["id"]) == sorted(sent, key=lambda i: i["id"])
    malformed = other.get("/v1/invitations?nextToken=not-a-token")
    assert_error(malformed, 400, "validation_error")
    assert_error(other.get("/v1/invitations?limit=0"), 400, "validation_error")


def test_decline_and_revoke(api: Api, other: Api, third: Api) -> None:
    team = create_team(api)
    declined = invite(api, team, other.email)
    answer = other.post(f"/v1/invitations/{declined['id']}/decline")
    assert answer.status_code == 204 and answer.text == ""
    assert invitations(other) == []
    assert api.get(f"/v1/teams/{team['id']}").json()["team"]["invitations"] == []
    assert_error(other.post(f"/v1/invitations/{declined['id']}/accept"), 404, "not_found")
    assert_error(other.post(f"/v1/invitations/{declined['id']}/decline"), 404, "not_found")
    # Declined, the email can be invited again.
    revoked = invite(api, team, other.email)
    path = f"/v1/teams/{team['id']}/invitations/{revoked['id']}"
    assert_error(third.delete(path), 404, "not_found")  # not a member
    removed = api.delete(path)
    assert removed.status_code == 204 and removed.text == ""
    assert_error(api.delete(path), 404, "not_found")
    assert invitations(other) == []
    assert_error(other.post(f"/v1/invitations/{revoked['id']}/accept"), 404, "not_found")
    assert_error(other.get(f"/v1/teams/{team['id']}"), 404, "not_found")
    assert api.get(f"/v1/teams/{team['id']}").json()["team"]["invitations"] == []


def test_invitation_errors(api: Api, other: Api, third: Api) -> None:
    team = join(api, create_team(api), other)
    members = f"/v1/teams/{team['id']}/members"
    # A member is not an admin: they cannot invite, revoke or remove others.
    assert_error(other.post(members, json={"email": third.email}), 403, "forbidden")
    pending = invite(api, team, third.email)
    revoke = f"/v1/teams/{team['id']}/invitations/{pending['id']}"
    assert_error(other.delete(revoke), 403, "forbidden")
    assert_error(other.delete(f"{members}/{me(api)['id']}"), 403, "forbidden")
    # A non-member gets 404, whatever they try.
    assert_error(third.post(members, json={"email": unknown_email()}), 404, "not_found")
    # A member, or an email invited already, in any spelling: 409.
    for email in (other.email, f"  {other.email.upper()} ", third.email, third.email.title()):
        assert_error(api.post(members, json={"email": email}), 409, "conflict")
    assert_error(api.post(members, json={"email": me(api)["email"]}), 409, "conflict")
    for body in (
        {"email": "not-an-email"},
        {"email": "two@at@signs.example"},
        {"email": "a b@example.com"},
        {"email": "x" * 250 + "@example.com"},
        {"email": unknown_email(), "role": "owner"},
        {"email": unknown_email(), "role": None},
        {"email": unknown_email(), "extra": 1},
        {"email": None},
        {},
    ):
        assert_error(api.post(members, json=body), 400, "validation_error")
    assert_error(api.delete(f"{members}/nobody"), 404, "not_found")
    assert_error(api.delete(f"/v1/teams/{team['id']}/invitations/nope"), 404, "not_found")
    for verb in ("accept", "decline"):
        for bad_id in ("no-such-invitation", "bad%20id"):
            assert_error(third.post(f"/v1/invitations/{bad_id}/{verb}"), 404, "not_found")


def test_if_match_on_the_teams_deletes(api: Api, other: Api) -> None:
    team = join(api, create_team(api), other)
    stale = api.get(f"/v1/teams/{team['id']}").headers["ETag"]
    pending = invite(api, team, unknown_email())  # the team changes: a new ETag
    revoke = f"/v1/teams/{team['id']}/invitations/{pending['id']}"
    leave = f"/v1/teams/{team['id']}/members/{me(other)['id']}"
    assert_error(api.delete(revoke, headers={"If-Match": stale}), 412, "precondition_failed")
    assert_error(other.delete(leave, headers={"If-Match": stale}), 412, "precondition_failed")
    fresh = api.get(f"/v1/teams/{team['id']}").headers["ETag"]
    assert api.delete(revoke, headers={"If-Match": fresh}).status_code == 204
    fresh = api.get(f"/v1/teams/{team['id']}").headers["ETag"]
    assert other.delete(leave, headers={"If-Match": fresh}).status_code == 204


def test_a_team_has_at_most_100_members_and_pending_invitations(api: Api, other: Api) -> None:
    team = join(api, create_team(api), other)  # 2 members
    pending = [invite(api, team, unknown_email()) for _ in range(98)]
    members = f"/v1/teams/{team['id']}/members"
    full = api.post(members, json={"email": unknown_email()})
    assert_error(full, 409, "conflict")
    assert "100" in full.json()["error"]["message"]
    assert api.delete(f"/v1/teams/{team['id']}/invitations/{pending[0]['id']}").status_code == 204
    invite(api, team, unknown_email())  # a seat freed
    view = api.get(f"/v1/teams/{team['id']}").json()["team"]
    assert len(view["members"]) + len(view["invitations"]) == 100


# ----------------------------------------------------------------------------- privacy


def test_an_unknown_email_answers_exactly_like_a_known_one(api: Api, other: Api) -> None:
    """Regression: the route answered `404 No user with email` for an email without an account,
    so it told anyone who has one."""
    team = create_team(api)
    answers = {
        "known": api.post(f"/v1/teams/{team['id']}/members", json={"email": other.email}),
        "unknown": api.post(f"/v1/teams/{team['id']}/members", json={"email": unknown_email()}),
    }

    def shape(response: requests.Response) -> tuple[Any, ...]:
        body = response.json()
        invitation = body.get("invitation", {})
        headers = {h for h in response.headers if h.lower() not in ("date", "content-length")}
        return response.status_code, set(body), set(invitation), invitation.get("role"), headers

    assert shape(answers["known"]) == shape(answers["unknown"])
    assert answers["unknown"].status_code == 201
    # Invited twice: the same 409 either way.
    again = {
        name: api.post(
            f"/v1/teams/{team['id']}/members",
            json={"email": response.json()["invitation"]["email"]},
        )
        for name, response in answers.items()
    }
    assert {r.status_code for r in again.values()} == {409}
    messages = {
        again[name]
        .json()["error"]["message"]
        .replace(answers[name].json()["invitation"]["email"], "<email>")
        for name in answers
    }
    assert len(messages) == 1, messages


def test_an_invited_users_timer_is_not_shared_until_they_accept(api: Api, other: Api) -> None:
    """Regression: adding a member by email shared their running timer (task title, note) with
    the team at once, without their consent."""
    start_timer(other, "Private work")
    team = create_team(api)
    invited = api.post(f"/v1/teams/{team['id']}/members", json={"email": other.email})
    assert invited.status_code == 201, invited.text
    assert timer_users(api, team) == set()
    members = api.get(f"/v1/teams/{team['id']}").json()["team"]["members"]
    assert [m["email"] for m in members] == [me(api)["email"]]
    accept(other, invited.json()["invitation"])
    assert timer_users(api, team) == {me(other)["id"]}


def test_a_user_who_is_not_the_invitee_cannot_accept(api: Api, other: Api, third: Api) -> None:
    """Regression: membership needs the invitee's consent; no one else can give it."""
    team = create_team(api)
    invited = api.post(f"/v1/teams/{team['id']}/members", json={"email": other.email})
    assert invited.status_code == 201, invited.text
    assert_error(other.get(f"/v1/teams/{team['id']}"), 404, "not_found")  # not without consent
    invitation = invited.json()["invitation"]
    for intruder in (third, api):  # another user, and the admin who invited
        assert invitations(intruder) == []
        for verb in ("accept", "decline"):
            answer = intruder.post(f"/v1/invitations/{invitation['id']}/{verb}")
            assert_error(answer, 404, "not_found")
    assert_error(third.get(f"/v1/teams/{team['id']}"), 404, "not_found")
    assert invitations(other) == [invitation]  # still pending for the invitee
    start_timer(third, "third's")
    assert timer_users(api, team) == set()


def test_an_unverified_email_sees_no_invitations(stack: dict[str, Any], api: Api) -> None:
    unverified = new_api(stack)  # confirmed by an admin: the email is not verified
    team = create_team(api)
    invitation = invite(api, team, unverified.email)
    assert invitations(unverified) == []
    for verb in ("accept", "decline"):
        answer = unverified.post(f"/v1/invitations/{invitation['id']}/{verb}")
        assert_error(answer, 404, "not_found")
    verify_email(stack, unverified)
    assert invitations(unverified) == [invitation]


def test_a_second_user_gets_404_for_the_first_users_team_and_invitation(
    api: Api, other: Api, third: Api
) -> None:
    team = join(api, create_team(api), other)
    invitation = invite(api, team, unknown_email())
    start_timer(other, "shared with the team only")
    timer_id = api.get(f"/v1/teams/{team['id']}/timers").json()["timers"][0]["id"]
    base = f"/v1/teams/{team['id']}"
    for method, path, body in (
        ("GET", base, None),
        ("GET", f"{base}/timers", None),
        ("POST", f"{base}/timers/{timer_id}/stop", {}),
        ("POST", f"{base}/members", {"email": unknown_email()}),
        ("DELETE", f"{base}/members/{me(other)['id']}", None),
        ("DELETE", f"{base}/invitations/{invitation['id']}", None),
        ("POST", f"/v1/invitations/{invitation['id']}/accept", None),
        ("POST", f"/v1/invitations/{invitation['id']}/decline", None),
    ):
        assert_error(third.request(method, path, json=body), 404, "not_found")
    assert api.get(base).json()["team"]["invitations"][0]["id"] == invitation["id"]
    assert len(api.get(base).json()["team"]["members"]) == 2


def _mixed_case_user(stack: dict[str, Any]) -> Api:
    """A user whose Cognito email has capitals (verified)."""
    email = f"Grace.{uuid.uuid4().hex[:8].upper()}@Example.COM"
    idp = cognito(stack)
    idp.sign_up(
        ClientId=stack["UserPoolClientId"],
        Username=email,
        Password=PASSWORD,
        UserAttributes=[{"Name": "email", "Value": email}],
    )
    idp.admin_confirm_sign_up(UserPoolId=stack["UserPoolId"], Username=email)
    tokens = idp.initiate_auth(
        ClientId=stack["UserPoolClientId"],
        AuthFlow="USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": email, "PASSWORD": PASSWORD},
    )["AuthenticationResult"]
    return verify_email(stack, Api(stack["ApiUrl"], tokens["AccessToken"], email))


def _spellings(email: str) -> st.SearchStrategy[str]:
    """The same email with any letter's case flipped and blanks around it."""
    letters = st.tuples(*(st.sampled_from(sorted({c.lower(), c.upper()})) for c in email))
    blanks = st.text(alphabet=" \t\n\r", max_size=3)
    return st.builds(lambda a, b, c: a + "".join(b) + c, blanks, letters, blanks)


@pytest.fixture(scope="module")
def grace(stack: dict[str, Any]) -> Api:
    return _mixed_case_user(stack)


@pytest.fixture(scope="module")
def inviter(stack: dict[str, Any]) -> Api:
    return new_api(stack)


@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
@given(data=st.data())
def test_any_spelling_of_the_invitees_email_reaches_them(
    inviter: Api, grace: Api, data: st.DataObject
) -> None:
    spelled = data.draw(_spellings(grace.email))
    team = create_team(inviter, "Spelling")
    invitation = invite(inviter, team, spelled)
    assert invitation["email"] == grace.email.lower()
    assert invitation in invitations(grace)
    joined = accept(grace, invitation)
    assert joined["members"][-1]["userId"] == me(grace)["id"]
    assert invitation not in invitations(grace)


# ----------------------------------------------------------------------------- races


def _twin(api: Api) -> Api:
    """The same user on a connection of its own (requests' sessions are not thread-safe)."""
    return Api(api.base, api.token, api.email)


def test_two_accepts_of_one_invitation_make_one_member(api: Api, other: Api) -> None:
    for _ in range(3):
        team = create_team(api)
        invitation = invite(api, team, other.email)
        path = f"/v1/invitations/{invitation['id']}/accept"
        with ThreadPoolExecutor(max_workers=2) as pool:
            answers = list(pool.map(Api.post, [other, _twin(other)], [path, path]))
        assert sorted(r.status_code for r in answers) == [200, 404], [r.text for r in answers]
        members = api.get(f"/v1/teams/{team['id']}").json()["team"]["members"]
        assert [m["userId"] for m in members].count(me(other)["id"]) == 1


def test_accept_against_revoke_one_wins(api: Api, other: Api) -> None:
    for _ in range(4):
        team = create_team(api)
        invitation = invite(api, team, other.email)
        accepting = (other, "POST", f"/v1/invitations/{invitation['id']}/accept")
        revoking = (api, "DELETE", f"/v1/teams/{team['id']}/invitations/{invitation['id']}")
        with ThreadPoolExecutor(max_workers=2) as pool:
            accepted, revoked = pool.map(
                lambda job: _twin(job[0]).request(job[1], job[2]), [accepting, revoking]
            )
        view = api.get(f"/v1/teams/{team['id']}").json()["team"]
        assert view["invitations"] == []
        is_member = any(m["email"] == other.email for m in view["members"])
        if accepted.status_code == 200:
            assert revoked.status_code == 404 and is_member, revoked.text
        else:
            assert (accepted.status_code, revoked.status_code) == (404, 204), accepted.text
            assert not is_member
            assert_error(other.get(f"/v1/teams/{team['id']}"), 404, "not_found")


# ----------------------------------------------------------------------------- members


def test_members_leave_and_are_removed(api: Api, other: Api, third: Api) -> None:
    team = join(api, create_team(api), other)
    assert [m["role"] for m in team["members"]] == ["admin", "member"]
    assert team["members"][1]["email"] == other.email
    team = join(api, team, third, role="admin")
    other_id = me(other)["id"]
    left = other.delete(f"/v1/teams/{team['id']}/members/{other_id}")
    assert left.status_code == 204 and left.text == ""
    assert_error(other.get(f"/v1/teams/{team['id']}"), 404, "not_found")
    assert other.get("/v1/teams").json() == {"teams": []}
    third_id = me(third)["id"]
    removed = api.delete(f"/v1/teams/{team['id']}/members/{third_id}")
    assert removed.status_code == 204
    members = api.get(f"/v1/teams/{team['id']}").json()["team"]["members"]
    assert [m["userId"] for m in members] == [me(api)["id"]]
    # Gone, a member is a stranger again: only a new invitation brings them back.
    assert invitations(other) == []
    join(api, team, other)


def test_the_last_admin_cannot_leave(api: Api, other: Api) -> None:
    team = join(api, create_team(api), other)
    admin_id = me(api)["id"]
    assert_error(api.delete(f"/v1/teams/{team['id']}/members/{admin_id}"), 409, "conflict")
    add_admin = api.post(
        f"/v1/teams/{team['id']}/members", json={"email": other.email, "role": "admin"}
    )
    assert_error(add_admin, 409, "conflict")  # already a member: remove and invite again
    assert api.get(f"/v1/teams/{team['id']}").json()["team"] == team


# ----------------------------------------------------------------------------- team timers


def test_team_timers(api: Api, other: Api, third: Api) -> None:
    team = join(api, join(api, create_team(api), other), third)
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
    team = join(api, join(api, create_team(api), other), third)
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
    first = join(api, create_team(api, "One"), other)
    second = join(api, create_team(api, "Two"), other)
    pending = invite(api, first, unknown_email())
    renamed = other.patch("/v1/me", json={"displayName": "Grace H."})
    assert renamed.status_code == 200, renamed.text
    for team in (first, second):
        members = api.get(f"/v1/teams/{team['id']}").json()["team"]["members"]
        assert [m["displayName"] for m in members] == [me(api)["displayName"], "Grace H."]
    # The rename rewrote the team item; its pending invitation is still there.
    view = api.get(f"/v1/teams/{first['id']}").json()["team"]
    assert [i["id"] for i in view["invitations"]] == [pending["id"]]
    start_timer(other, "renamed")
    (timer,) = api.get(f"/v1/teams/{first['id']}/timers").json()["timers"]
    assert timer["user"]["displayName"] == "Grace H."

"""docs/API.md, "Workspaces": invitations. Nobody becomes a member without accepting an
invitation sent to their own verified email; the invitation route tells nobody who has an
account; an invitee sees nothing of the workspace and shares nothing with it until they accept.
"""

from __future__ import annotations

import uuid
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
import requests
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.api.conftest import PASSWORD, Api, assert_error, cognito, new_api
from tests.api.workspace_helpers import (
    accept,
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
    timer_users,
    uid,
    unknown_email,
    verified_user,
    verify_email,
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


# ----------------------------------------------------------------------------- invitations


def test_an_invitee_becomes_a_member_only_by_accepting(owner: Api, other: Api) -> None:
    made = create_workspace(owner)
    profile = me(owner)
    response = owner.post(
        f"/v1/workspaces/{made['id']}/members", json={"email": other.email, "role": "manager"}
    )
    assert response.status_code == 201, response.text
    invitation = response.json()["invitation"]
    assert invitation == {
        "id": invitation["id"],
        "workspaceId": made["id"],
        "workspaceName": "Studio",
        "email": other.email,
        "role": "manager",
        "invitedBy": {"userId": profile["id"], "displayName": profile["displayName"]},
        "createdAt": invitation["createdAt"],
    }
    assert invitation["createdAt"].endswith("Z")
    assert response.headers["Location"].endswith(
        f"/v1/workspaces/{made['id']}/invitations/{invitation['id']}"
    )
    # The owner sees it pending; the invitee is not a member yet and sees nothing of it.
    assert members(owner, made["id"]) == {
        "members": members(owner, made["id"])["members"],
        "invitations": [invitation],
    }
    assert member_ids(owner, made["id"]) == [profile["id"]]
    assert_not_found(other.get(f"/v1/workspaces/{made['id']}"))
    assert_not_found(other.get(f"/v1/workspaces/{made['id']}/members"))
    assert [w["id"] for w in other.get("/v1/workspaces").json()["workspaces"]] == [uid(other)]
    assert invitations(other) == [invitation]
    joined = accept(other, invitation)
    assert joined == {**workspace(owner, made["id"]), "role": "manager"}
    assert joined["memberCount"] == 2
    listed = members(other, made["id"])
    assert "invitations" not in listed  # a manager does not see invitations
    assert listed["members"][1] == {
        "userId": uid(other),
        "email": other.email,
        "displayName": me(other)["displayName"],
        "role": "manager",
        "joinedAt": listed["members"][1]["joinedAt"],
        "billableRate": None,  # a manager sees money
        "costRate": None,
    }
    assert listed["members"][1]["joinedAt"].endswith("Z")
    assert invitations(other) == []
    assert members(owner, made["id"])["invitations"] == []
    # Accepted: the invitation is gone.
    assert_not_found(other.post(f"/v1/invitations/{invitation['id']}/accept"))


def test_an_admin_invitation_makes_an_admin(owner: Api, other: Api) -> None:
    made = create_workspace(owner)
    joined = join(owner, made["id"], other, "admin")
    assert joined["role"] == "admin"
    pending = invite(other, made["id"], unknown_email(), "manager")  # an admin invites
    assert pending["invitedBy"]["userId"] == uid(other)
    assert [i["id"] for i in members(owner, made["id"])["invitations"]] == [pending["id"]]
    assert [i["id"] for i in members(other, made["id"])["invitations"]] == [pending["id"]]


def test_invitations_are_paged(owner: Api, other: Api) -> None:
    sent = [invite(owner, create_workspace(owner, n)["id"], other.email) for n in ("One", "Two")]
    first = other.get("/v1/invitations?limit=1").json()
    assert len(first["invitations"]) == 1 and first["nextToken"]
    rest = other.get(f"/v1/invitations?limit=1&nextToken={first['nextToken']}").json()
    assert "nextToken" not in rest
    got = first["invitations"] + rest["invitations"]
    assert sorted(got, key=lambda i: i["id"]) == sorted(sent, key=lambda i: i["id"])
    assert_error(other.get("/v1/invitations?nextToken=not-a-token"), 400, "validation_error")
    assert_error(other.get("/v1/invitations?limit=0"), 400, "validation_error")


def test_decline_and_revoke(owner: Api, other: Api, third: Api) -> None:
    made = create_workspace(owner)
    declined = invite(owner, made["id"], other.email)
    answer = other.post(f"/v1/invitations/{declined['id']}/decline")
    assert answer.status_code == 204 and answer.text == ""
    assert invitations(other) == []
    assert members(owner, made["id"])["invitations"] == []
    assert_not_found(other.post(f"/v1/invitations/{declined['id']}/accept"))
    assert_not_found(other.post(f"/v1/invitations/{declined['id']}/decline"))
    # Declined, the email can be invited again.
    revoked = invite(owner, made["id"], other.email)
    path = f"/v1/workspaces/{made['id']}/invitations/{revoked['id']}"
    assert_not_found(third.delete(path))  # not a member
    removed = owner.delete(path)
    assert removed.status_code == 204 and removed.text == ""
    assert_not_found(owner.delete(path))
    assert invitations(other) == []
    assert_not_found(other.post(f"/v1/invitations/{revoked['id']}/accept"))
    assert_not_found(other.get(f"/v1/workspaces/{made['id']}"))
    assert members(owner, made["id"])["invitations"] == []


def test_invitation_errors(owner: Api, other: Api, third: Api) -> None:
    made = create_workspace(owner)
    join(owner, made["id"], other)
    path = f"/v1/workspaces/{made['id']}/members"
    invite(owner, made["id"], third.email)
    # A member, or an email invited already, in any spelling: 409.
    for email in (other.email, f"  {other.email.upper()} ", third.email, third.email.title()):
        assert_error(owner.post(path, json={"email": email}), 409, "conflict")
    assert_error(owner.post(path, json={"email": owner.email}), 409, "conflict")
    for body in (
        {"email": "not-an-email"},
        {"email": "two@at@signs.example"},
        {"email": "a b@example.com"},
        {"email": "x" * 250 + "@example.com"},
        {"email": unknown_email(), "role": "owner"},
        {"email": unknown_email(), "role": "boss"},
        {"email": unknown_email(), "role": None},
        {"email": unknown_email(), "extra": 1},
        {"email": None},
        {},
    ):
        assert_error(owner.post(path, json=body), 400, "validation_error")
    assert_not_found(owner.delete(f"{path}/nobody"))
    assert_not_found(owner.patch(f"{path}/{uuid.uuid4().hex}", json={"role": "manager"}))
    assert_error(
        owner.patch(f"{path}/{uid(other)}", json={"role": "boss"}), 400, "validation_error"
    )
    assert_not_found(owner.delete(f"/v1/workspaces/{made['id']}/invitations/nope"))
    for verb in ("accept", "decline"):
        for bad_id in ("no-such-invitation", "bad%20id", uuid.uuid4().hex):
            assert_not_found(third.post(f"/v1/invitations/{bad_id}/{verb}"))


def test_if_match_on_the_workspaces_deletes(owner: Api, other: Api) -> None:
    made = create_workspace(owner)
    join(owner, made["id"], other)
    base = f"/v1/workspaces/{made['id']}"
    stale = owner.get(base).headers["ETag"]
    pending = invite(owner, made["id"], unknown_email())  # the workspace changes: a new ETag
    revoke = f"{base}/invitations/{pending['id']}"
    leave = f"{base}/members/{uid(other)}"
    for who, path in ((owner, revoke), (other, leave), (owner, base)):
        assert_error(who.delete(path, headers={"If-Match": stale}), 412, "precondition_failed")
    for who, path in ((owner, revoke), (other, leave), (owner, base)):
        fresh = owner.get(base).headers["ETag"]
        assert who.delete(path, headers={"If-Match": fresh}).status_code == 204


def test_what_names_nothing_is_a_404_before_any_if_match(owner: Api) -> None:
    """docs/API.md: an id of nothing (one off the pattern too) is a 404, whatever `If-Match`
    says; it was a 412 when the ETag did not match (found by the fuzzer)."""
    made = create_workspace(owner)
    project = owner.create("/v1/projects", "project", title="P", workspaceId=made["id"])
    paths = [
        f"/v1/workspaces/{made['id']}/invitations/{bad_id}" for bad_id in ("nope", "%C3%97c")
    ] + [f"/v1/projects/{project['id']}/members/{bad_id}" for bad_id in ("nope", "%C2%B0")]
    for path in paths:
        assert_not_found(owner.delete(path, headers={"If-Match": 'W/"stale"'}))


def test_a_workspace_has_at_most_200_members_and_pending_invitations(
    owner: Api, other: Api
) -> None:
    made = create_workspace(owner)
    join(owner, made["id"], other)  # 2 members
    pending = [invite(owner, made["id"], unknown_email()) for _ in range(198)]
    path = f"/v1/workspaces/{made['id']}/members"
    full = owner.post(path, json={"email": unknown_email()})
    assert_error(full, 409, "conflict")
    assert "200" in full.json()["error"]["message"]
    revoke = f"/v1/workspaces/{made['id']}/invitations/{pending[0]['id']}"
    assert owner.delete(revoke).status_code == 204
    invite(owner, made["id"], unknown_email())  # a seat freed
    listed = members(owner, made["id"])
    assert len(listed["members"]) + len(listed["invitations"]) == 200


# ----------------------------------------------------------------------------- consent, privacy


def test_an_unknown_email_answers_exactly_like_a_known_one(owner: Api, other: Api) -> None:
    """Regression: the route answered `404 No user with email` for an email without an account,
    so it told anyone who has one."""
    path = f"/v1/workspaces/{create_workspace(owner)['id']}/members"
    answers = {
        "known": owner.post(path, json={"email": other.email}),
        "unknown": owner.post(path, json={"email": unknown_email()}),
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
        name: owner.post(path, json={"email": response.json()["invitation"]["email"]})
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


def test_nothing_is_shared_with_an_invitee_until_they_accept(owner: Api, other: Api) -> None:
    """Regression (teams): adding a member by email shared their running timer at once, without
    their consent. An invitee sees nothing of the workspace, and shares nothing with it: their
    own timer is never the workspace's."""
    start_timer(other, task_in(other, project_in(other, uid(other)), "Private work")["id"])
    made = create_workspace(owner)
    task = task_in(owner, project_in(owner, made["id"]))
    invitation = invite(owner, made["id"], other.email)
    assert timer_users(owner, made["id"]) == set()
    assert member_ids(owner, made["id"]) == [uid(owner)]
    assert_not_found(other.get(f"/v1/tasks/{task['id']}"))
    assert other.post("/v1/timer", json={"taskId": task["id"]}).status_code in (400, 404)
    accept(other, invitation)
    assert timer_users(owner, made["id"]) == set()  # their personal timer is theirs alone
    start_timer(other, task["id"])
    assert timer_users(owner, made["id"]) == {uid(other)}


def test_a_user_who_is_not_the_invitee_cannot_accept(owner: Api, other: Api, third: Api) -> None:
    """Regression: membership needs the invitee's consent; no one else can give it."""
    made = create_workspace(owner)
    invitation = invite(owner, made["id"], other.email)
    for intruder in (third, owner):  # another user, and the owner who invited
        assert invitations(intruder) == []
        for verb in ("accept", "decline"):
            assert_not_found(intruder.post(f"/v1/invitations/{invitation['id']}/{verb}"))
    assert_not_found(third.get(f"/v1/workspaces/{made['id']}"))
    assert member_ids(owner, made["id"]) == [uid(owner)]
    assert invitations(other) == [invitation]  # still pending for the invitee


def test_an_unverified_email_sees_no_invitations(stack: dict[str, Any], owner: Api) -> None:
    unverified = new_api(stack)  # confirmed by an admin: the email is not verified
    invitation = invite(owner, create_workspace(owner)["id"], unverified.email)
    assert invitations(unverified) == []
    for verb in ("accept", "decline"):
        assert_not_found(unverified.post(f"/v1/invitations/{invitation['id']}/{verb}"))
    verify_email(stack, unverified)
    assert invitations(unverified) == [invitation]


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


@settings(max_examples=15, deadline=None, suppress_health_check=list(HealthCheck))
@given(data=st.data())
def test_any_spelling_of_the_invitees_email_reaches_them(
    inviter: Api, grace: Api, data: st.DataObject
) -> None:
    spelled = data.draw(_spellings(grace.email))
    made = create_workspace(inviter, "Spelling")
    invitation = invite(inviter, made["id"], spelled)
    assert invitation["email"] == grace.email.lower()
    assert invitation in invitations(grace)
    joined = accept(grace, invitation)
    assert joined["id"] == made["id"] and member_ids(grace, made["id"])[-1] == uid(grace)
    assert invitation not in invitations(grace)


# ----------------------------------------------------------------------------- races


def _twin(api: Api) -> Api:
    """The same user on a connection of its own (requests' sessions are not thread-safe)."""
    return Api(api.base, api.token, api.email)


def test_two_accepts_of_one_invitation_make_one_member(owner: Api, other: Api) -> None:
    for _ in range(3):
        made = create_workspace(owner)
        invitation = invite(owner, made["id"], other.email)
        path = f"/v1/invitations/{invitation['id']}/accept"
        with ThreadPoolExecutor(max_workers=2) as pool:
            answers = list(pool.map(Api.post, [other, _twin(other)], [path, path]))
        assert sorted(r.status_code for r in answers) == [200, 404], [r.text for r in answers]
        assert member_ids(owner, made["id"]).count(uid(other)) == 1


def test_accept_against_revoke_one_wins(owner: Api, other: Api) -> None:
    for _ in range(4):
        made = create_workspace(owner)
        invitation = invite(owner, made["id"], other.email)
        accepting = (other, "POST", f"/v1/invitations/{invitation['id']}/accept")
        revoking = (
            owner,
            "DELETE",
            f"/v1/workspaces/{made['id']}/invitations/{invitation['id']}",
        )
        with ThreadPoolExecutor(max_workers=2) as pool:
            accepted, revoked = pool.map(
                lambda job: _twin(job[0]).request(job[1], job[2]), [accepting, revoking]
            )
        listed = members(owner, made["id"])
        assert listed["invitations"] == []
        is_member = uid(other) in [m["userId"] for m in listed["members"]]
        if accepted.status_code == 200:
            assert revoked.status_code == 404 and is_member, revoked.text
        else:
            assert (accepted.status_code, revoked.status_code) == (404, 204), accepted.text
            assert not is_member
            assert_not_found(other.get(f"/v1/workspaces/{made['id']}"))

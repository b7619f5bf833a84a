"""docs/API.md, "Workspaces" and "Sync": one sync token covers every workspace of the caller.
A member's sync carries the shared catalog and their own sessions, not the other members';
joining brings the whole catalog, leaving or removal lists the workspace as deleted."""

from __future__ import annotations

from typing import Any

from tests.api.conftest import Api, cognito, new_api
from tests.api.workspace_helpers import ids_in as _ids
from tests.api.workspace_helpers import sync_pages as _sync


def _verified(stack: dict[str, Any]) -> Api:
    """A new user whose email is verified, as confirming Cognito's code does: invitations
    reach verified emails only."""
    api = new_api(stack)
    cognito(stack).admin_update_user_attributes(
        UserPoolId=stack["UserPoolId"],
        Username=api.email,
        UserAttributes=[{"Name": "email_verified", "Value": "true"}],
    )
    return api


def test_a_members_sync_follows_the_workspaces_they_join_and_leave(
    api: Api, stack: dict[str, Any]
) -> None:
    member = _verified(stack)
    space = api.create("/v1/workspaces", "workspace", name="Studio")
    shared = api.create("/v1/projects", "project", title="Shared", workspaceId=space["id"])
    _, token = _sync(member)

    invitation = api.post(
        f"/v1/workspaces/{space['id']}/members", json={"email": member.email}
    ).json()["invitation"]
    assert member.post(f"/v1/invitations/{invitation['id']}/accept").status_code == 200
    joined, token = _sync(member, token)
    assert shared["id"] in _ids(joined, "projects")  # the whole catalog, on joining
    assert space["id"] in _ids(joined, "workspaces")

    # A colleague's session is theirs; the member's own is in their sync.
    task = member.create("/v1/tasks", "task", title="Draw", projectId=shared["id"])
    body = {"task": {"id": task["id"]}, "session": {"startTimestamp": "2026-11-22T09:30:00Z"}}
    body["session"]["duration"] = 600
    theirs = api.post("/v1/sessions", json=body).json()["session"]
    mine = member.post("/v1/sessions", json=body).json()["session"]
    changed, token = _sync(member, token)
    assert _ids(changed, "sessions") == {mine["id"]}
    assert task["id"] in _ids(changed, "tasks") and theirs["id"] not in _ids(changed, "sessions")
    assert {s["workspaceId"] for s in changed["sessions"]} == {space["id"]}

    assert api.delete(f"/v1/workspaces/{space['id']}/members/{mine['userId']}").status_code == 204
    removed, _ = _sync(member, token)
    assert {"type": "workspace", "id": space["id"]} in [
        {k: d[k] for k in ("type", "id")} for d in removed.get("deleted", [])
    ]
    assert member.get(f"/v1/projects/{shared['id']}").status_code == 404


def test_a_full_sync_lists_every_workspace_and_the_personal_one_first(api: Api) -> None:
    space = api.create("/v1/workspaces", "workspace", name="Studio")
    full, _ = _sync(api)
    listed = [w["id"] for w in full["workspaces"]]
    assert listed[0] == api.get("/v1/me").json()["personalWorkspaceId"]
    assert space["id"] in listed

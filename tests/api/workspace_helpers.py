"""What the workspace tests share (test_workspaces.py, test_workspace_roles.py,
test_workspace_access.py): users with a verified email, workspaces with a member of each role,
invitations made and accepted, and the bodies of sessions and timers on a workspace's tasks."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any

import requests

from tests.api.conftest import Api, assert_error, cognito, new_api

WORKSPACE_KEYS = {"id", "name", "personal", "role", "settings", "memberCount", "lastUpdated"}
MEMBER_KEYS = {"userId", "email", "displayName", "role", "joinedAt", "billableRate", "costRate"}
DEFAULT_SETTINGS = {
    "membersManageCatalog": False,
    "currency": "EUR",
    "billableRate": None,
    "membersSeeRates": False,
    "lockedBefore": None,
}
INVITATION_KEYS = {
    "id",
    "workspaceId",
    "workspaceName",
    "email",
    "role",
    "invitedBy",
    "createdAt",
}
ROLES = ("owner", "admin", "manager", "member")

_ids: dict[str, str] = {}  # a user's id by their token


def verify_email(stack: dict[str, Any], api: Api) -> Api:
    """Mark the user's email verified, as confirming the code Cognito sent does."""
    cognito(stack).admin_update_user_attributes(
        UserPoolId=stack["UserPoolId"],
        Username=api.email,
        UserAttributes=[{"Name": "email_verified", "Value": "true"}],
    )
    return api


def verified_user(stack: dict[str, Any]) -> Api:
    """A new user whose email is verified: invitations reach them."""
    return verify_email(stack, new_api(stack))


def me(api: Api) -> dict[str, Any]:
    response = api.get("/v1/me")
    assert response.status_code == 200, response.text
    return dict(response.json())


def uid(api: Api) -> str:
    if api.token not in _ids:
        _ids[api.token] = str(me(api)["id"])
    return _ids[api.token]


def unknown_email() -> str:
    return f"nobody-{uuid.uuid4().hex[:12]}@example.com"


def create_workspace(api: Api, name: str = "Studio", **settings: bool) -> dict[str, Any]:
    body: dict[str, Any] = {"name": name}
    if settings:
        body["settings"] = settings
    response = api.post("/v1/workspaces", json={"workspace": body})
    assert response.status_code == 201, response.text
    assert response.headers["ETag"]
    workspace = dict(response.json()["workspace"])
    assert set(workspace) == WORKSPACE_KEYS
    return workspace


def workspace(api: Api, workspace_id: str) -> dict[str, Any]:
    response = api.get(f"/v1/workspaces/{workspace_id}")
    assert response.status_code == 200, response.text
    return dict(response.json()["workspace"])


def invite(api: Api, workspace_id: str, email: str, role: str = "member") -> dict[str, Any]:
    path = f"/v1/workspaces/{workspace_id}/members"
    response = api.post(path, json={"email": email, "role": role})
    assert response.status_code == 201, response.text
    assert response.headers["ETag"]
    invitation = dict(response.json()["invitation"])
    assert set(response.json()) == {"invitation"} and set(invitation) == INVITATION_KEYS
    return invitation


def accept(who: Api, invitation: dict[str, Any]) -> dict[str, Any]:
    response = who.post(f"/v1/invitations/{invitation['id']}/accept")
    assert response.status_code == 200, response.text
    assert response.headers["ETag"]
    return dict(response.json()["workspace"])


def join(inviter: Api, workspace_id: str, who: Api, role: str = "member") -> dict[str, Any]:
    """`inviter` invites `who` with `role`, who accepts; the workspace as `who` sees it."""
    return accept(who, invite(inviter, workspace_id, who.email, role))


def members(api: Api, workspace_id: str) -> dict[str, Any]:
    response = api.get(f"/v1/workspaces/{workspace_id}/members")
    assert response.status_code == 200, response.text
    return dict(response.json())


def member_ids(api: Api, workspace_id: str) -> list[str]:
    return [m["userId"] for m in members(api, workspace_id)["members"]]


def invitations(api: Api) -> list[dict[str, Any]]:
    response = api.get("/v1/invitations")
    assert response.status_code == 200, response.text
    return list(response.json()["invitations"])


def project_in(api: Api, workspace_id: str, title: str = "Client work") -> dict[str, Any]:
    return api.create("/v1/projects", "project", title=title, workspaceId=workspace_id)


def task_in(
    api: Api, project: dict[str, Any], title: str = "Write", **fields: Any
) -> dict[str, Any]:
    return api.create("/v1/tasks", "task", title=title, projectId=project["id"], **fields)


def session_body(task_id: str, **fields: Any) -> dict[str, Any]:
    session = {"startTimestamp": "2026-11-22T09:30:00+01:00", "duration": 1500, **fields}
    return {"task": {"id": task_id}, "session": session}


def log_session(api: Api, task_id: str, **fields: Any) -> dict[str, Any]:
    response = api.post("/v1/sessions", json=session_body(task_id, **fields))
    assert response.status_code == 201, response.text
    return dict(response.json()["session"])


def start_timer(api: Api, task_id: str, note: str | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {"taskId": task_id}
    if note is not None:
        body["note"] = note
    response = api.post("/v1/timer", json=body)
    assert response.status_code == 201, response.text
    return dict(response.json()["timer"])


def timers(api: Api, workspace_id: str) -> list[dict[str, Any]]:
    response = api.get(f"/v1/workspaces/{workspace_id}/timers")
    assert response.status_code == 200, response.text
    return list(response.json()["timers"])


def timer_users(api: Api, workspace_id: str) -> set[str]:
    return {timer["user"]["id"] for timer in timers(api, workspace_id)}


def sync_pages(api: Api, token: str = "*", limit: int = 3) -> tuple[dict[str, Any], str]:
    """Every sync page from `token`, merged: (lists by name, the last token)."""
    merged: dict[str, Any] = {}
    while True:
        response = api.get(f"/v1/sync?syncToken={token}&limit={limit}")
        assert response.status_code == 200, response.text
        page = response.json()
        for key, value in page.items():
            if isinstance(value, list):
                merged.setdefault(key, []).extend(value)
        token = page["syncToken"]
        if not page["hasMore"]:
            return merged, token


def ids_in(merged: dict[str, Any], key: str) -> set[str]:
    return {entity["id"] for entity in merged.get(key, [])}


def assert_forbidden(response: requests.Response) -> None:
    assert_error(response, 403, "forbidden")


def assert_not_found(response: requests.Response) -> None:
    assert_error(response, 404, "not_found")


@dataclass
class Crew:
    """A shared workspace with a user in each role, and `worker`, another member whose time
    the others act on; a project and a task of it, the owner's."""

    stack: dict[str, Any]
    id: str
    owner: Api
    admin: Api
    manager: Api
    member: Api
    worker: Api
    project: dict[str, Any] = field(default_factory=dict)
    task: dict[str, Any] = field(default_factory=dict)

    def by_role(self, role: str) -> Api:
        return {
            "owner": self.owner,
            "admin": self.admin,
            "manager": self.manager,
            "member": self.member,
        }[role]

    @property
    def path(self) -> str:
        return f"/v1/workspaces/{self.id}"

    def newcomer(self, role: str = "member") -> Api:
        """A new user the owner brings in with `role`."""
        who = verified_user(self.stack)
        join(self.owner, self.id, who, role)
        return who


def make_crew(stack: dict[str, Any], name: str = "Crew", **settings: bool) -> Crew:
    owner = verified_user(stack)
    made = create_workspace(owner, name, **settings)
    users = [verified_user(stack) for _ in range(4)]
    return crew_in(Crew(stack, made["id"], owner, *users))


def crew_in(crew: Crew) -> Crew:
    """`crew`'s users brought into its workspace, with a project and a task of the owner's."""
    join(crew.owner, crew.id, crew.admin, "admin")
    join(crew.owner, crew.id, crew.manager, "manager")
    join(crew.owner, crew.id, crew.member)
    join(crew.owner, crew.id, crew.worker)
    crew.project = project_in(crew.owner, crew.id)
    crew.task = task_in(crew.owner, crew.project)
    return crew


def fresh_crew(crew: Crew) -> Crew:
    """A new workspace of the same users in the same roles, with the same settings (for what
    changes or ends the workspace)."""
    settings = workspace(crew.owner, crew.id)["settings"]
    made = create_workspace(crew.owner, "Fresh", **settings)
    users = (crew.owner, crew.admin, crew.manager, crew.member, crew.worker)
    return crew_in(Crew(crew.stack, made["id"], *users))

"""docs/API.md, "Workspaces": who may do what, cell by cell. Each action is taken by the owner,
an admin, a manager and a member of a shared workspace, and by a member of one whose settings
say `membersManageCatalog` (`member*`); a role that does not allow it gets `403 forbidden`,
another member's session is a `404` to a member (as if absent).

What an action acts on is made for it (by the owner, or by `worker`, another member), and an
action that changes or ends the workspace itself runs in a fresh one of the same users.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import pytest
import requests

from tests.api.conftest import Api, assert_error
from tests.api.workspace_helpers import (
    Crew,
    fresh_crew,
    invite,
    log_session,
    make_crew,
    members,
    project_in,
    session_body,
    start_timer,
    task_in,
    uid,
    unknown_email,
    workspace,
)

COLUMNS = ("owner", "admin", "manager", "member", "member*")
OWNER = {"owner"}
OWNER_ADMIN = {"owner", "admin"}
MANAGERS = {"owner", "admin", "manager"}
CATALOG = MANAGERS | {"member*"}
EVERYONE = set(COLUMNS)

Action = Callable[[Crew, Api], requests.Response]


@pytest.fixture(scope="module")
def crew(stack: dict[str, Any]) -> Crew:
    return make_crew(stack)


@pytest.fixture(scope="module")
def catalog_crew(stack: dict[str, Any]) -> Crew:
    """A workspace whose members manage the catalog too."""
    return make_crew(stack, "Open catalog", membersManageCatalog=True)


# ----------------------------------------------------------------------------- the workspace


def rename(crew: Crew, actor: Api) -> requests.Response:
    return actor.patch(crew.path, json={"workspace": {"name": f"Renamed {uuid.uuid4().hex[:4]}"}})


def change_settings(crew: Crew, actor: Api) -> requests.Response:
    settings = workspace(crew.owner, crew.id)["settings"]  # as they are: the crew stays as it is
    return actor.patch(crew.path, json={"workspace": {"settings": settings}})


def delete_workspace(crew: Crew, actor: Api) -> requests.Response:
    return actor.delete(fresh_crew(crew).path)


def hand_over(crew: Crew, actor: Api) -> requests.Response:
    fresh = fresh_crew(crew)
    return actor.patch(f"{fresh.path}/members/{uid(fresh.worker)}", json={"role": "owner"})


def get_workspace(crew: Crew, actor: Api) -> requests.Response:
    return actor.get(crew.path)


def list_members(crew: Crew, actor: Api) -> requests.Response:
    return actor.get(f"{crew.path}/members")


def list_timers(crew: Crew, actor: Api) -> requests.Response:
    return actor.get(f"{crew.path}/timers")


# ----------------------------------------------------------------------------- members


def inviting(role: str) -> Action:
    def action(crew: Crew, actor: Api) -> requests.Response:
        return actor.post(f"{crew.path}/members", json={"email": unknown_email(), "role": role})

    return action


def revoke_invitation(crew: Crew, actor: Api) -> requests.Response:
    pending = invite(crew.owner, crew.id, unknown_email())
    return actor.delete(f"{crew.path}/invitations/{pending['id']}")


def changing_role(of: str, to: str) -> Action:
    def action(crew: Crew, actor: Api) -> requests.Response:
        target = crew.newcomer(of)
        return actor.patch(f"{crew.path}/members/{uid(target)}", json={"role": to})

    return action


def change_owners_role(crew: Crew, actor: Api) -> requests.Response:
    return actor.patch(f"{crew.path}/members/{uid(crew.owner)}", json={"role": "member"})


def removing(role: str) -> Action:
    def action(crew: Crew, actor: Api) -> requests.Response:
        return actor.delete(f"{crew.path}/members/{uid(crew.newcomer(role))}")

    return action


def remove_owner(crew: Crew, actor: Api) -> requests.Response:
    return actor.delete(f"{crew.path}/members/{uid(crew.owner)}")


def leave(crew: Crew, actor: Api) -> requests.Response:
    return actor.delete(f"{fresh_crew(crew).path}/members/{uid(actor)}")


# ----------------------------------------------------------------------------- the catalog


def _catalog_item(crew: Crew, kind: str) -> dict[str, Any]:
    if kind == "project":
        return project_in(crew.owner, crew.id, "Catalog")
    field = "name" if kind == "tag" else "title"
    path = "/v1/categories" if kind == "category" else f"/v1/{kind}s"
    return crew.owner.create(path, kind, workspaceId=crew.id, **{field: uuid.uuid4().hex[:8]})


def _path(kind: str, entity_id: str) -> str:
    return f"/v1/{'categories' if kind == 'category' else kind + 's'}/{entity_id}"


def creating(kind: str) -> Action:
    def action(crew: Crew, actor: Api) -> requests.Response:
        field = "name" if kind == "tag" else "title"
        body = {field: uuid.uuid4().hex[:8], "workspaceId": crew.id}
        return actor.post(_path(kind, "").rstrip("/"), json={kind: body})

    return action


def changing(kind: str, **fields: Any) -> Action:
    def action(crew: Crew, actor: Api) -> requests.Response:
        item = _catalog_item(crew, kind)
        body = fields or {"name" if kind == "tag" else "title": uuid.uuid4().hex[:8]}
        return actor.patch(_path(kind, item["id"]), json={kind: body})

    return action


def deleting(kind: str) -> Action:
    def action(crew: Crew, actor: Api) -> requests.Response:
        return actor.delete(_path(kind, _catalog_item(crew, kind)["id"]))

    return action


# ----------------------------------------------------------------------------- tasks


def create_task(crew: Crew, actor: Api) -> requests.Response:
    return actor.post("/v1/tasks", json={"task": {"title": "New", "projectId": crew.project["id"]}})


def change_task(crew: Crew, actor: Api) -> requests.Response:
    task = task_in(crew.owner, crew.project)
    return actor.patch(f"/v1/tasks/{task['id']}", json={"task": {"title": "Changed"}})


def delete_task(crew: Crew, actor: Api) -> requests.Response:
    return actor.delete(f"/v1/tasks/{task_in(crew.owner, crew.project)['id']}")


def delete_own_task(crew: Crew, actor: Api) -> requests.Response:
    return actor.delete(f"/v1/tasks/{task_in(actor, crew.project)['id']}")


def _subtask(crew: Crew) -> dict[str, Any]:
    return crew.owner.create(f"/v1/tasks/{crew.task['id']}/subtasks", "subtask", title="Part")


def create_subtask(crew: Crew, actor: Api) -> requests.Response:
    body = {"subtask": {"title": "Part"}}
    return actor.post(f"/v1/tasks/{crew.task['id']}/subtasks", json=body)


def change_subtask(crew: Crew, actor: Api) -> requests.Response:
    body = {"subtask": {"title": "Changed", "isCompleted": True}}
    return actor.patch(f"/v1/subtasks/{_subtask(crew)['id']}", json=body)


def delete_subtask(crew: Crew, actor: Api) -> requests.Response:
    return actor.delete(f"/v1/subtasks/{_subtask(crew)['id']}")


# ----------------------------------------------------------------------------- time


def log_own_session(crew: Crew, actor: Api) -> requests.Response:
    return actor.post("/v1/sessions", json=session_body(crew.task["id"]))


def start_own_timer(crew: Crew, actor: Api) -> requests.Response:
    return actor.post("/v1/timer", json={"taskId": crew.task["id"]})


def send_task_event(crew: Crew, actor: Api) -> requests.Response:
    task = task_in(crew.owner, crew.project)
    return actor.post(f"/v1/tasks/{task['id']}/events", json={"event": "start_tracking"})


def stop_own_timer_here(crew: Crew, actor: Api) -> requests.Response:
    timer = start_timer(actor, crew.task["id"])
    return actor.post(f"{crew.path}/timers/{timer['session']['id']}/stop", json={})


def stop_anothers_timer(crew: Crew, actor: Api) -> requests.Response:
    timer = start_timer(crew.worker, crew.task["id"])
    return actor.post(f"{crew.path}/timers/{timer['session']['id']}/stop", json={"note": "x"})


def sessions_of(whose: str, verb: str) -> Action:
    """`verb` (read, replace, delete) a session of the actor's own or of `worker`'s."""

    def action(crew: Crew, actor: Api) -> requests.Response:
        author = actor if whose == "own" else crew.worker
        path = f"/v1/sessions/{log_session(author, crew.task['id'])['id']}"
        if verb == "read":
            return actor.get(path)
        if verb == "replace":
            return actor.put(path, json=session_body(crew.task["id"], note="changed"))
        return actor.delete(path)

    return action


def allowed(roles: set[str], ok: int, denied: int = 403) -> dict[str, int]:
    return {column: ok if column in roles else denied for column in COLUMNS}


TABLE: dict[str, tuple[Action, dict[str, int]]] = {
    # The workspace: rename and settings, owner and admins; delete and hand over, the owner.
    "rename": (rename, allowed(OWNER_ADMIN, 200)),
    "change settings": (change_settings, allowed(OWNER_ADMIN, 200)),
    "delete the workspace": (delete_workspace, allowed(OWNER, 204)),
    "hand ownership over": (hand_over, allowed(OWNER, 200)),
    "get the workspace": (get_workspace, allowed(EVERYONE, 200)),
    "list members": (list_members, allowed(EVERYONE, 200)),
    "list timers": (list_timers, allowed(EVERYONE, 200)),
    # Members: owner and admins; admins made (and unmade) by the owner only, nobody acts on
    # the owner, who cannot leave (409); everyone else may leave.
    "invite a member": (inviting("member"), allowed(OWNER_ADMIN, 201)),
    "invite a manager": (inviting("manager"), allowed(OWNER_ADMIN, 201)),
    "invite an admin": (inviting("admin"), allowed(OWNER, 201)),
    "revoke an invitation": (revoke_invitation, allowed(OWNER_ADMIN, 204)),
    "make a member a manager": (changing_role("member", "manager"), allowed(OWNER_ADMIN, 200)),
    "make a manager a member": (changing_role("manager", "member"), allowed(OWNER_ADMIN, 200)),
    "make a member an admin": (changing_role("member", "admin"), allowed(OWNER, 200)),
    "make an admin a member": (changing_role("admin", "member"), allowed(OWNER, 200)),
    "change the owner's role": (change_owners_role, {**allowed(set(), 0), "owner": 409}),
    "remove a member": (removing("member"), allowed(OWNER_ADMIN, 204)),
    "remove a manager": (removing("manager"), allowed(OWNER_ADMIN, 204)),
    "remove an admin": (removing("admin"), allowed(OWNER, 204)),
    "remove the owner": (remove_owner, {**allowed(set(), 0), "owner": 409}),
    "leave": (leave, {**allowed(EVERYONE, 204), "owner": 409}),
    # The catalog: managers, and members with membersManageCatalog.
    **{
        f"{verb} a {kind}": (make(kind), allowed(CATALOG, status))
        for kind in ("project", "category", "tag")
        for verb, make, status in (
            ("create", creating, 201),
            ("change", changing, 200),
            ("delete", deleting, 204),
        )
    },
    "archive a project": (changing("project", isArchived=True), allowed(CATALOG, 200)),
    # Tasks and subtasks: everyone creates and changes them; deleting is the catalog's.
    "create a task": (create_task, allowed(EVERYONE, 201)),
    "change a task": (change_task, allowed(EVERYONE, 200)),
    "delete a task": (delete_task, allowed(CATALOG, 204)),
    "delete a task of one's own": (delete_own_task, allowed(CATALOG, 204)),
    "create a subtask": (create_subtask, allowed(EVERYONE, 201)),
    "change a subtask": (change_subtask, allowed(EVERYONE, 200)),
    "delete a subtask": (delete_subtask, allowed(CATALOG, 204)),
    # Time: everyone tracks their own; managers act on everyone's (another's session is a
    # 404 to a member, another's timer a 403).
    "log a session": (log_own_session, allowed(EVERYONE, 201)),
    "start a timer": (start_own_timer, allowed(EVERYONE, 201)),
    "send a task event": (send_task_event, allowed(EVERYONE, 200)),
    "stop one's timer here": (stop_own_timer_here, allowed(EVERYONE, 200)),
    "read one's session": (sessions_of("own", "read"), allowed(EVERYONE, 200)),
    "replace one's session": (sessions_of("own", "replace"), allowed(EVERYONE, 200)),
    "delete one's session": (sessions_of("own", "delete"), allowed(EVERYONE, 204)),
    "read another's session": (sessions_of("worker", "read"), allowed(MANAGERS, 200, 404)),
    "replace another's session": (sessions_of("worker", "replace"), allowed(MANAGERS, 200, 404)),
    "delete another's session": (sessions_of("worker", "delete"), allowed(MANAGERS, 204, 404)),
    "stop another's timer": (stop_anothers_timer, allowed(MANAGERS, 200)),
}

CELLS = [
    pytest.param(name, column, expected[column], id=f"{name}-{column}")
    for name, (_, expected) in TABLE.items()
    for column in COLUMNS
]
_CODES = {403: "forbidden", 404: "not_found", 409: "conflict"}


@pytest.mark.parametrize(("action", "column", "status"), CELLS)
def test_role_table(request: pytest.FixtureRequest, action: str, column: str, status: int) -> None:
    crew: Crew = request.getfixturevalue("catalog_crew" if column == "member*" else "crew")
    actor = crew.by_role(column.rstrip("*"))
    response = TABLE[action][0](crew, actor)
    if status in _CODES:
        assert_error(response, status, _CODES[status])
    else:
        assert response.status_code == status, response.text


# ----------------------------------------------------------------------------- what a cell means


@pytest.mark.parametrize("column", COLUMNS)
def test_only_owners_and_admins_see_pending_invitations(
    request: pytest.FixtureRequest, column: str
) -> None:
    crew: Crew = request.getfixturevalue("catalog_crew" if column == "member*" else "crew")
    pending = invite(crew.owner, crew.id, unknown_email())
    listed = members(crew.by_role(column.rstrip("*")), crew.id)
    assert [m["userId"] for m in listed["members"]][:5] == [
        uid(who) for who in (crew.owner, crew.admin, crew.manager, crew.member, crew.worker)
    ]
    if column in OWNER_ADMIN:
        assert pending in listed["invitations"]
    else:
        assert "invitations" not in listed


def test_a_refused_action_changes_nothing(crew: Crew) -> None:
    before = workspace(crew.owner, crew.id)
    roster = members(crew.owner, crew.id)["members"]
    for actor in (crew.manager, crew.member):
        assert_error(rename(crew, actor), 403, "forbidden")
        assert_error(change_owners_role(crew, actor), 403, "forbidden")
        assert_error(remove_owner(crew, actor), 403, "forbidden")
        assert_error(actor.delete(crew.path), 403, "forbidden")
        worker = f"{crew.path}/members/{uid(crew.worker)}"
        assert_error(actor.patch(worker, json={"role": "admin"}), 403, "forbidden")
    assert_error(
        crew.admin.patch(f"{crew.path}/members/{uid(crew.admin)}", json={"role": "owner"}),
        403,
        "forbidden",
    )
    assert workspace(crew.owner, crew.id) == before
    assert members(crew.owner, crew.id)["members"][: len(roster)] == roster
    project = project_in(crew.owner, crew.id, "Kept")
    assert_error(crew.member.delete(f"/v1/projects/{project['id']}"), 403, "forbidden")
    assert crew.owner.get(f"/v1/projects/{project['id']}").json()["project"] == project


def test_a_member_cannot_create_catalog_entries_through_a_session(
    crew: Crew, catalog_crew: Crew
) -> None:
    """A session naming a project by title that does not exist creates it, and a tag by name
    too: the catalog's, so a member's is a 403; one that exists is reused by anyone."""
    title = f"By title {uuid.uuid4().hex[:6]}"
    body = {
        "task": {"title": "Written"},
        "project": {"title": title, "workspaceId": crew.id},
        "session": session_body("x")["session"],
    }
    assert_error(crew.member.post("/v1/sessions", json=body), 403, "forbidden")
    tagged = session_body(crew.task["id"], tags=[uuid.uuid4().hex[:8]])
    assert_error(crew.member.post("/v1/sessions", json=tagged), 403, "forbidden")
    made = crew.manager.post("/v1/sessions", json=body)
    assert made.status_code == 201, made.text
    project = made.json()["project"]
    assert (project["title"], project["workspaceId"]) == (title, crew.id)
    reused = crew.member.post("/v1/sessions", json=body)
    assert reused.status_code == 201, reused.text
    assert "project" not in reused.json() and "task" not in reused.json()
    assert reused.json()["session"]["taskId"] == made.json()["task"]["id"]
    opened = {**body, "project": {"title": title, "workspaceId": catalog_crew.id}}
    created = catalog_crew.member.post("/v1/sessions", json=opened)
    assert created.status_code == 201, created.text
    assert created.json()["project"]["workspaceId"] == catalog_crew.id

"""docs/API.md, "Private projects": in a shared workspace a project with `isPublic: false`
and all under it (tasks, subtasks, sessions) is seen only by its members and by owners, admins
and managers. To anyone else it is a 404 and absent from every list, report, search, the
workspace's timers and sync; writing to it is refused as for an id that names nothing. Its
members are chosen by owners, admins and managers; a member's sync drops it when they lose it
and gets it whole when they gain it."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.api.conftest import Api, assert_error
from tests.api.workspace_helpers import (
    Crew,
    assert_forbidden,
    assert_not_found,
    ids_in,
    log_session,
    make_crew,
    project_in,
    session_body,
    start_timer,
    sync_pages,
    task_in,
    timers,
    uid,
    verified_user,
)

ROOT = Path(__file__).resolve().parents[2]
SEES = ("owner", "admin", "manager")


def _path(project: dict[str, Any], user_id: str) -> str:
    return f"/v1/projects/{project['id']}/members/{user_id}"


def add_member(by: Api, project: dict[str, Any], user_id: str, **rates: Any) -> dict[str, Any]:
    response = by.put(_path(project, user_id), json=rates)
    assert response.status_code == 200, response.text
    assert response.headers["ETag"]
    return dict(response.json()["project"])


def set_public(by: Api, project: dict[str, Any], public: bool) -> dict[str, Any]:
    response = by.patch(f"/v1/projects/{project['id']}", json={"project": {"isPublic": public}})
    assert response.status_code == 200, response.text
    return dict(response.json()["project"])


@dataclass
class Secret:
    """A crew whose owner has a private project with a task and a subtask; `worker` is on it,
    logs a session there and runs a timer on it; `member` is not on it. `member` also had a
    session on a second project, `gone`, before it was made private without them."""

    crew: Crew
    project: dict[str, Any]
    task: dict[str, Any]
    subtask: dict[str, Any]
    session: dict[str, Any]  # the worker's, on `task`
    gone: dict[str, Any]  # a project made private after `member` logged time on it
    gone_task: dict[str, Any]
    gone_session: dict[str, Any]  # the member's own
    marker: str  # in every title of what is hidden

    @property
    def hidden_ids(self) -> list[str]:
        things = (self.project, self.task, self.subtask, self.gone, self.gone_task)
        return [t["id"] for t in things] + [self.session["id"], self.gone_session["id"]]


@pytest.fixture(scope="module")
def secret(stack: dict[str, Any]) -> Secret:
    crew = make_crew(stack, "Private")
    marker = f"hush{uuid.uuid4().hex[:8]}"
    owner = crew.owner
    project = owner.create(
        "/v1/projects", "project", title=f"{marker} P", workspaceId=crew.id, isPublic=False
    )
    assert project["isPublic"] is False and project["members"] == []
    project = add_member(owner, project, uid(crew.worker))
    task = task_in(owner, project, f"{marker} T")
    subtask = owner.create(f"/v1/tasks/{task['id']}/subtasks", "subtask", title=f"{marker} S")
    session = log_session(crew.worker, task["id"])
    start_timer(crew.worker, task["id"])
    gone = project_in(owner, crew.id, f"{marker} Q")
    gone_task = task_in(owner, gone, f"{marker} QT")
    gone_session = log_session(crew.member, gone_task["id"])
    set_public(owner, gone, False)
    return Secret(crew, project, task, subtask, session, gone, gone_task, gone_session, marker)


# ------------------------------------------------------------------------- the project's fields


def test_a_project_is_public_with_no_members_by_default(secret: Secret) -> None:
    project = project_in(secret.crew.owner, secret.crew.id, "Open")
    assert project["isPublic"] is True and project["members"] == []


def test_members_are_read_only_in_the_project_body(secret: Secret) -> None:
    owner, project = secret.crew.owner, secret.project
    got = owner.get(f"/v1/projects/{project['id']}").json()["project"]
    sent = owner.patch(f"/v1/projects/{project['id']}", json={"project": {**got, "members": []}})
    assert sent.status_code == 200, sent.text
    assert sent.json()["project"]["members"] == got["members"]  # sent back: ignored


def test_is_public_must_be_a_boolean(secret: Secret) -> None:
    response = secret.crew.owner.patch(
        f"/v1/projects/{secret.project['id']}", json={"project": {"isPublic": "no"}}
    )
    assert_error(response, 400, "validation_error")


# ------------------------------------------------------------------------- members of a project


@pytest.mark.parametrize("role", SEES)
def test_owners_admins_and_managers_choose_a_projects_members(secret: Secret, role: str) -> None:
    crew = secret.crew
    project = crew.owner.create(
        "/v1/projects", "project", title=f"Team {role}", workspaceId=crew.id, isPublic=False
    )
    who = uid(crew.member)
    added = add_member(crew.by_role(role), project, who, billableRate=95.5, costRate=40)
    assert added["members"] == [{"userId": who, "billableRate": 95.5, "costRate": 40}]
    # Rates left out stay; null clears one.
    changed = add_member(crew.by_role(role), project, who, costRate=None)
    assert changed["members"] == [{"userId": who, "billableRate": 95.5, "costRate": None}]
    assert crew.member.get(f"/v1/projects/{project['id']}").status_code == 200
    response = crew.by_role(role).delete(_path(project, who))
    assert response.status_code == 204, response.text
    assert_not_found(crew.member.get(f"/v1/projects/{project['id']}"))
    assert crew.owner.get(f"/v1/projects/{project['id']}").json()["project"]["members"] == []


def test_a_member_cannot_choose_a_projects_members(secret: Secret) -> None:
    crew = secret.crew
    public = project_in(crew.owner, crew.id, "Everyone's")
    assert_forbidden(crew.member.put(_path(public, uid(crew.member)), json={}))
    on_it = add_member(crew.owner, public, uid(crew.worker))
    assert_forbidden(crew.worker.delete(_path(on_it, uid(crew.worker))))
    # On a private project they do not see, it is not there at all.
    assert_not_found(crew.member.put(_path(secret.project, uid(crew.member)), json={}))


def test_a_project_member_must_be_a_member_of_its_workspace(
    secret: Secret, stack: dict[str, Any]
) -> None:
    stranger = verified_user(stack)
    crew = secret.crew
    assert_not_found(crew.owner.put(_path(secret.project, uid(stranger)), json={}))
    assert_not_found(crew.owner.put(_path(secret.project, "nobody"), json={}))
    assert_not_found(crew.owner.delete(_path(secret.project, uid(crew.member))))  # not on it
    # Not the caller's project at all: 404.
    assert_not_found(stranger.put(_path(secret.project, uid(stranger)), json={}))


def test_project_member_bodies_are_checked(secret: Secret) -> None:
    owner, path = secret.crew.owner, _path(secret.project, uid(secret.crew.worker))
    for body in ({"billableRate": -1}, {"costRate": 1.005}, {"rate": 1}, {"userId": "other"}):
        assert_error(owner.put(path, json=body), 400, "validation_error")
    response = owner.put(path, json={}, headers={"If-Match": '"1"'})
    assert_error(response, 412, "precondition_failed")


def test_in_a_personal_workspace_members_are_allowed_and_change_nothing(api: Api) -> None:
    project = api.create("/v1/projects", "project", title="Mine", isPublic=False)
    added = add_member(api, project, uid(api))
    assert added["members"][0]["userId"] == uid(api)
    assert api.get(f"/v1/projects/{project['id']}").status_code == 200
    assert_not_found(api.put(_path(project, "someone-else"), json={}))


# ------------------------------------------------------------------------- reading it


def _by_id_paths(secret: Secret) -> list[str]:
    return [
        f"/v1/projects/{secret.project['id']}",
        f"/v1/tasks/{secret.task['id']}",
        f"/v1/subtasks/{secret.subtask['id']}",
        f"/v1/projects/{secret.project['id']}/tasks",
        f"/v1/tasks/{secret.task['id']}/subtasks",
        f"/v1/sessions/{secret.gone_session['id']}",
    ]


def test_a_non_member_gets_404_for_it_and_all_under_it(secret: Secret) -> None:
    for path in _by_id_paths(secret):
        assert_not_found(secret.crew.member.get(path))


@pytest.mark.parametrize("role", (*SEES, "worker"))
def test_its_members_and_managers_see_it(secret: Secret, role: str) -> None:
    crew = secret.crew
    who = crew.worker if role == "worker" else crew.by_role(role)
    for path in _by_id_paths(secret)[:5]:
        assert who.get(path).status_code == 200, path
    assert who.get(f"/v1/sessions/{secret.session['id']}").status_code == 200
    assert secret.task["id"] in {t["task"]["id"] for t in timers(who, crew.id)}


def test_the_workspace_timers_leave_out_timers_on_it(secret: Secret) -> None:
    assert secret.task["id"] not in {
        t["task"]["id"] for t in timers(secret.crew.member, secret.crew.id)
    }


def test_search_leaves_it_out(secret: Secret) -> None:
    member = secret.crew.member
    for kind in ("project", "task", "subtask"):
        response = member.get(f"/v1/search?type={kind}&name={secret.marker}")
        assert response.status_code == 200 and response.json()["results"] == [], response.text
    assert_not_found(member.get(f"/v1/search?type=task&parentId={secret.project['id']}"))
    seen = secret.crew.manager.get(f"/v1/search?type=task&name={secret.marker}").json()
    assert {r["id"] for r in seen["results"]} >= {secret.task["id"]}


def test_reports_leave_out_the_members_own_time_on_it(secret: Secret) -> None:
    member, ws = secret.crew.member, secret.crew.id
    query = f"from=2026-11-01T00:00:00Z&to=2026-12-01T00:00:00Z&workspaceId={ws}"
    summary = member.get(f"/v1/reports/summary?{query}").json()
    assert summary["totals"]["sessions"] == 0, summary
    assert_not_found(member.get(f"/v1/reports/summary?{query}&projectId={secret.gone['id']}"))
    everyone = secret.crew.owner.get(f"/v1/reports/summary?{query}").json()
    assert secret.gone["id"] in {g["id"] for g in everyone["groups"]}


# ------------------------------------------------------------------------- writing to it


def test_a_non_member_cannot_write_to_it(secret: Secret) -> None:
    member, task, project = secret.crew.member, secret.task, secret.project
    assert_not_found(member.post("/v1/sessions", json=session_body(task["id"])))
    assert_not_found(
        member.post(f"/v1/projects/{project['id']}/tasks", json={"task": {"title": "x"}})
    )
    body = {"task": {"title": "x", "projectId": project["id"]}}
    assert_error(member.post("/v1/tasks", json=body), 400, "validation_error")
    by_title = {
        "task": {"title": "x", "projectId": project["id"]},
        "session": session_body("")["session"],
    }
    assert_error(member.post("/v1/sessions", json=by_title), 400, "validation_error")
    assert_error(member.post("/v1/timer", json={"taskId": task["id"]}), 400, "validation_error")
    event = {"event": "start_tracking"}
    assert_not_found(member.post(f"/v1/tasks/{task['id']}/events", json=event))
    assert_not_found(member.patch(f"/v1/tasks/{task['id']}", json={"task": {"title": "y"}}))
    assert_not_found(
        member.post(f"/v1/tasks/{task['id']}/subtasks", json={"subtask": {"title": "y"}})
    )
    assert_not_found(member.delete(f"/v1/sessions/{secret.gone_session['id']}"))
    # Nor move their own task into it.
    mine = task_in(member, project_in(secret.crew.owner, secret.crew.id, "Open for all"))
    moved = member.patch(f"/v1/tasks/{mine['id']}", json={"task": {"projectId": project["id"]}})
    assert_error(moved, 400, "validation_error")


def test_a_project_member_writes_to_it(secret: Secret) -> None:
    worker = secret.crew.worker
    task = task_in(worker, secret.project, "Worker's")
    response = worker.post("/v1/sessions", json=session_body(task["id"], duration=60))
    assert response.status_code == 201, response.text


# ------------------------------------------------------------------------- every list route


def _list_routes() -> list[tuple[str, dict[str, Any]]]:
    """Every GET of openapi.json without a path parameter (a new list route is in here), with
    each value of each enumerated query parameter in turn; the workspace's timers too."""
    document = json.loads((ROOT / "openapi.json").read_text())
    routes: list[tuple[str, dict[str, Any]]] = []
    for path, operations in document["paths"].items():
        if "get" not in operations or "{" in path:
            continue
        parameters = [p for p in operations["get"].get("parameters", []) if p["in"] == "query"]
        required = {p["name"]: _value_of(p["name"]) for p in parameters if p.get("required")}
        routes.append((path, required))
        for parameter in parameters:
            for value in parameter.get("schema", {}).get("enum", []):
                routes.append((path, {**required, parameter["name"]: value}))
    return routes


def _value_of(name: str) -> str:
    values = {"from": "2026-11-01T00:00:00Z", "to": "2026-12-01T00:00:00Z", "type": "task"}
    assert name in values, f"a new required query parameter {name!r}: give it a value here"
    return values[name]


@pytest.mark.parametrize("route", _list_routes(), ids=lambda r: f"{r[0]}?{r[1]}")
def test_every_list_leaves_it_out(secret: Secret, route: tuple[str, dict[str, Any]]) -> None:
    path, query = route
    if path.startswith("/v1/reports/weekly"):
        query = {**query, "from": "2026-11-20"}
    member = secret.crew.member
    for workspace in ({}, {"workspaceId": secret.crew.id}):
        response = member.get(path, params={**query, **workspace})
        if response.status_code == 400 and workspace:  # a route without workspaceId
            continue
        assert response.status_code == 200, (path, response.text)
        for hidden in [*secret.hidden_ids, secret.marker]:
            assert hidden not in response.text, (path, hidden)
    got = member.get(f"/v1/workspaces/{secret.crew.id}/timers")
    assert all(hidden not in got.text for hidden in secret.hidden_ids)


# ------------------------------------------------------------------------- sync


def _deleted(merged: dict[str, Any]) -> set[tuple[str, str]]:
    return {(d["type"], d["id"]) for d in merged.get("deleted", [])}


@dataclass
class Tree:
    project: dict[str, Any]
    task: dict[str, Any]
    subtask: dict[str, Any]
    session: dict[str, Any]  # the member's own

    def entries(self) -> set[tuple[str, str]]:
        return {
            ("project", self.project["id"]),
            ("task", self.task["id"]),
            ("subtask", self.subtask["id"]),
            ("session", self.session["id"]),
        }

    def in_lists(self, merged: dict[str, Any]) -> set[tuple[str, str]]:
        return {
            (kind, entity_id)
            for kind, entity_id in self.entries()
            if entity_id in ids_in(merged, f"{kind}s")
        }


def _tree(crew: Crew, who: Api, title: str) -> Tree:
    project = project_in(crew.owner, crew.id, title)
    task = task_in(crew.owner, project, f"{title} task")
    subtask = crew.owner.create(f"/v1/tasks/{task['id']}/subtasks", "subtask", title="Step")
    return Tree(project, task, subtask, log_session(who, task["id"]))


@pytest.mark.parametrize("limit", (2, 500))
def test_sync_drops_it_when_made_private_and_brings_it_back_whole(
    secret: Secret, limit: int
) -> None:
    crew = secret.crew
    tree = _tree(crew, crew.member, f"Sync {limit}")
    full, token = sync_pages(crew.member, limit=limit)
    assert tree.in_lists(full) == tree.entries()
    assert not ids_in(full, "projects") & set(secret.hidden_ids)

    set_public(crew.owner, tree.project, False)
    made_private, token = sync_pages(crew.member, token, limit)
    assert _deleted(made_private) >= tree.entries()
    assert not tree.in_lists(made_private)
    # Changes under it meanwhile stay out of their sync.
    crew.owner.patch(f"/v1/tasks/{tree.task['id']}", json={"task": {"title": "renamed"}})
    quiet, token = sync_pages(crew.member, token, limit)
    assert not tree.in_lists(quiet)

    add_member(crew.manager, tree.project, uid(crew.member))
    added, token = sync_pages(crew.member, token, limit)
    assert tree.in_lists(added) == tree.entries()
    assert not _deleted(added) & tree.entries()

    crew.owner.delete(_path(tree.project, uid(crew.member)))
    taken_off, token = sync_pages(crew.member, token, limit)
    assert _deleted(taken_off) >= tree.entries() and not tree.in_lists(taken_off)

    set_public(crew.owner, tree.project, True)
    public, _ = sync_pages(crew.member, token, limit)
    assert tree.in_lists(public) == tree.entries()


def test_a_rare_syncer_gets_the_state_as_it_is_now(secret: Secret) -> None:
    crew = secret.crew
    tree = _tree(crew, crew.member, "Rare")
    _, token = sync_pages(crew.member)
    set_public(crew.owner, tree.project, False)
    add_member(crew.owner, tree.project, uid(crew.member))
    crew.owner.delete(_path(tree.project, uid(crew.member)))
    add_member(crew.owner, tree.project, uid(crew.worker))
    later, token = sync_pages(crew.member, token)
    assert _deleted(later) >= tree.entries() and not tree.in_lists(later)
    set_public(crew.owner, tree.project, True)
    set_public(crew.owner, tree.project, False)
    add_member(crew.owner, tree.project, uid(crew.member))
    last, _ = sync_pages(crew.member, token)
    assert tree.in_lists(last) == tree.entries()


def test_a_project_member_and_the_managers_sync_are_unchanged(secret: Secret) -> None:
    crew = secret.crew
    tree = _tree(crew, crew.worker, "Kept")
    add_member(crew.owner, tree.project, uid(crew.worker))
    _, worker_token = sync_pages(crew.worker)
    _, manager_token = sync_pages(crew.manager)
    set_public(crew.owner, tree.project, False)
    for who, token in ((crew.worker, worker_token), (crew.manager, manager_token)):
        changed, _ = sync_pages(who, token)
        assert not _deleted(changed) & tree.entries()
        assert tree.project["id"] in ids_in(changed, "projects")


def test_a_task_moved_into_it_leaves_a_memberssync_pages(secret: Secret) -> None:
    crew = secret.crew
    tree = _tree(crew, crew.member, "Mover")
    _, token = sync_pages(crew.member)
    response = crew.owner.patch(
        f"/v1/tasks/{tree.task['id']}", json={"task": {"projectId": secret.project["id"]}}
    )
    assert response.status_code == 200, response.text
    moved, _ = sync_pages(crew.member, token)
    gone = {("task", tree.task["id"]), ("subtask", tree.subtask["id"])}
    assert _deleted(moved) >= gone | {("session", tree.session["id"])}


# ------------------------------------------------------------------------- sync, any history

OPS = ("private", "public", "add", "remove", "rename", "move", "sync")


def _replay(replica: dict[tuple[str, str], Any], page: dict[str, Any]) -> None:
    """What a client does with a sync: upsert each entity, drop each deletion."""
    for name, entities in page.items():
        if name in ("deleted", "workspaces") or not isinstance(entities, list):
            continue
        for entity in entities:
            replica[(name, entity["id"])] = entity
    plural = {d["type"]: f"{d['type']}s" for d in page.get("deleted", [])}
    for entry in page.get("deleted", []):
        replica.pop((plural[entry["type"]], entry["id"]), None)


def _follow(api: Api, token: str, limit: int, replica: dict[tuple[str, str], Any]) -> str:
    """Sync from `token` into `replica`, page by page in order; the last token."""
    while True:
        response = api.get(f"/v1/sync?syncToken={token}&limit={limit}")
        assert response.status_code == 200, response.text
        page = response.json()
        _replay(replica, page)
        token = page["syncToken"]
        if not page["hasMore"]:
            return str(token)


def _whole(merged: dict[str, Any]) -> dict[tuple[str, str], Any]:
    replica: dict[tuple[str, str], Any] = {}
    _replay(replica, merged)
    return replica


@settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    ops=st.lists(st.sampled_from(OPS), min_size=1, max_size=8),
    limit=st.sampled_from((2, 7, 500)),
)
def test_a_replica_from_sync_tokens_equals_a_full_sync(
    secret: Secret, ops: list[str], limit: int
) -> None:
    """Whatever happens to a project's audience and subtree between syncs, a member's replica
    built from sync tokens is what a full sync gives them: no entity they lost is left, none
    they gained is missing, each in its latest state."""
    crew = secret.crew
    tree = _tree(crew, crew.member, "Any")
    other = project_in(crew.owner, crew.id, "Elsewhere")
    replica: dict[tuple[str, str], Any] = {}
    token = _follow(crew.member, "*", 500, replica)
    member_id, where = uid(crew.member), tree.project["id"]
    for op in [*ops, "sync"]:
        project = f"/v1/projects/{tree.project['id']}"
        if op in ("private", "public"):
            set_public(crew.owner, tree.project, op == "public")
        elif op == "add":
            add_member(crew.manager, tree.project, member_id)
        elif op == "remove":
            crew.manager.delete(_path(tree.project, member_id))
        elif op == "rename":
            crew.owner.patch(project, json={"project": {"title": f"Any {uuid.uuid4().hex[:4]}"}})
        elif op == "move":
            where = other["id"] if where == tree.project["id"] else tree.project["id"]
            task = f"/v1/tasks/{tree.task['id']}"
            assert crew.owner.patch(task, json={"task": {"projectId": where}}).status_code == 200
        else:
            token = _follow(crew.member, token, limit, replica)
            full, _ = sync_pages(crew.member, limit=500)
            assert replica == _whole(full), ops


@pytest.mark.parametrize("start", ("manager", "member"))
def test_a_role_change_drops_or_brings_the_private_projects(secret: Secret, start: str) -> None:
    crew = secret.crew
    who = crew.newcomer(start)
    tree = _tree(crew, who, f"Role {start}")
    set_public(crew.owner, tree.project, False)
    replica: dict[tuple[str, str], Any] = {}
    token = _follow(who, "*", 500, replica)
    path = f"{crew.path}/members/{uid(who)}"
    for role in ("member", "manager") if start == "manager" else ("manager", "member"):
        assert crew.owner.patch(path, json={"role": role}).status_code == 200
        token = _follow(who, token, 3, replica)
        full, _ = sync_pages(who, limit=500)
        # What they hold (the money fields a role shows are the money view's, not this rule's).
        assert set(replica) == set(_whole(full)), role
        held = {(kind, entity_id) for (kind, entity_id) in replica}
        expected = {(f"{k}s", i) for k, i in tree.entries()}
        assert (expected <= held) == (role == "manager"), role
        assert not expected & held or role == "manager"


def test_one_who_left_the_workspace_can_still_be_taken_off(secret: Secret) -> None:
    crew = secret.crew
    leaver = crew.newcomer()
    project = crew.owner.create(
        "/v1/projects", "project", title="Left", workspaceId=crew.id, isPublic=False
    )
    add_member(crew.owner, project, uid(leaver))
    assert leaver.delete(f"{crew.path}/members/{uid(leaver)}").status_code == 204
    assert_not_found(crew.owner.put(_path(project, uid(leaver)), json={}))
    assert crew.owner.delete(_path(project, uid(leaver))).status_code == 204

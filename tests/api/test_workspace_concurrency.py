"""Concurrent writers in shared workspaces and readers that follow their sync tokens while
they join and leave workspaces: each reader's replica ends equal to its own full sync, holds
nobody else's sessions and nothing of a workspace it is not in (docs/DESIGN.md, "Workspaces"
and "Sync"). tests/api/test_concurrency.py is the same for one user's partition."""

from __future__ import annotations

import random
import threading
import time
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import pytest
import requests

from tests.api.conftest import Api
from tests.api.workspace_helpers import (
    create_workspace,
    join,
    log_session,
    project_in,
    task_in,
    uid,
    verified_user,
)

pytestmark = pytest.mark.http  # over HTTP, against the run's shared local stack

LISTS = ("sessions", "tasks", "projects", "categories", "subtasks", "tags")
TYPE_OF = {
    "sessions": "session",
    "tasks": "task",
    "projects": "project",
    "categories": "category",
    "subtasks": "subtask",
    "tags": "tag",
}
LIST_OF = {kind: key for key, kind in TYPE_OF.items()}
OPS_PER_WRITER = 40
# Each writer's role in the shared workspaces "a" and "b" (absent: not a member). "b" lets
# members manage the catalog (membersManageCatalog); in "a" only the owner and admins do.
WRITER_ROLES: list[dict[str, str]] = [
    {"a": "owner", "b": "owner"},
    {"a": "admin", "b": "member"},
    {"a": "member", "b": "admin"},
    {"a": "member"},
    {"b": "member"},
    {"a": "member", "b": "member"},
    {"a": "admin"},
    {"b": "admin"},
]
# The readers' workspaces at the start: r1 stays in "b"; r2 joins "b"; r3 is removed from "a".
READER_SPACES = {"r1": ("b",), "r2": ("a",), "r3": ("a", "b")}
MANAGING = {"owner", "admin", "manager"}


# ----------------------------------------------------------------------------- the world


@dataclass
class Space:
    """A shared workspace and what the owner made in it before the run: projects, tasks and
    tags nobody deletes; and a tag and a project (with a task) that the owner deletes during the
    run, which the readers' sessions carry or are of."""

    id: str
    projects: list[str] = field(default_factory=list)
    tasks: list[str] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)
    doomed_tag: str = ""
    doomed_project: str = ""
    doomed_task: str = ""
    reader_sessions: list[dict[str, Any]] = field(default_factory=list)  # id, taskId, userId


@dataclass
class World:
    stack: dict[str, Any]
    writers: list[Api]
    readers: dict[str, Api]
    spaces: dict[str, Space]  # by "a", "b"


def _stock(owner: Api, space: Space) -> None:
    for p in range(2):
        project = project_in(owner, space.id, f"{space.id[-6:]} stable {p}")
        space.projects.append(project["id"])
        space.tasks += [task_in(owner, project, f"stable {p}.{t}")["id"] for t in range(2)]
    space.tags = [
        owner.create("/v1/tags", "tag", name=f"stable {i}", workspaceId=space.id)["id"]
        for i in range(2)
    ]
    space.doomed_tag = owner.create("/v1/tags", "tag", name="doomed", workspaceId=space.id)["id"]
    doomed = project_in(owner, space.id, f"{space.id[-6:]} doomed")
    space.doomed_project, space.doomed_task = doomed["id"], task_in(owner, doomed, "doomed")["id"]


def _personal_things(reader: Api) -> None:
    """A reader's own workspace has a little of everything (none of it changes)."""
    project = reader.create("/v1/projects", "project", title="Mine")
    task = reader.create("/v1/tasks", "task", title="Mine", projectId=project["id"])
    reader.create(f"/v1/tasks/{task['id']}/subtasks", "subtask", title="Step")
    tag = reader.create("/v1/tags", "tag", name="mine")
    log_session(reader, task["id"], tagIds=[tag["id"]])


def _world(stack: dict[str, Any]) -> World:
    users = [verified_user(stack) for _ in range(len(WRITER_ROLES) + 3)]
    writers, readers = users[: len(WRITER_ROLES)], dict(zip(READER_SPACES, users[-3:], strict=True))
    owner = writers[0]
    spaces = {
        "a": Space(create_workspace(owner, "A")["id"]),
        "b": Space(create_workspace(owner, "B", membersManageCatalog=True)["id"]),
    }
    for writer, roles in zip(writers[1:], WRITER_ROLES[1:], strict=True):
        for name, role in roles.items():
            join(owner, spaces[name].id, writer, role)
    for name, reader in readers.items():
        for space_name in READER_SPACES[name]:
            join(owner, spaces[space_name].id, reader)
    for space in spaces.values():
        _stock(owner, space)
    for name, reader in readers.items():
        _personal_things(reader)
        for space_name in READER_SPACES[name]:
            space = spaces[space_name]
            for task_id in space.tasks[:2]:
                tags = [space.tags[0], space.doomed_tag]
                session = log_session(reader, task_id, tagIds=tags, note=f"{name}'s")
                space.reader_sessions.append(session)
            log_session(reader, space.doomed_task, note=f"{name}'s, doomed")
    return World(stack, writers, readers, spaces)


def _fresh(api: Api) -> Api:
    """The same user with an HTTP session of their own, for another thread."""
    return Api(api.base, api.token, api.email)


# ----------------------------------------------------------------------------- the writers


class Acks:
    """What the API acknowledged: writes of the catalog and sessions, by workspace, and ids
    deleted (with what a cascade took along); and how many operations are done."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.written: list[tuple[str, str, str, str]] = []  # (kind, id, lastUpdated, workspace)
        self.deleted: set[str] = set()
        self.done = 0

    def wrote(self, kind: str, entity: dict[str, Any]) -> None:
        with self.lock:
            self.written.append((kind, entity["id"], entity["lastUpdated"], entity["workspaceId"]))

    def gone(self, ids: set[str]) -> None:
        with self.lock:
            self.deleted |= ids

    def step(self) -> None:
        with self.lock:
            self.done += 1


@dataclass
class Made:
    """An entity a writer made: its kind, id, workspace and the ids of its ancestors (a cascade
    that deletes one of them deletes it)."""

    kind: str
    entity: dict[str, Any]
    parents: tuple[str, ...] = ()

    @property
    def id(self) -> str:
        return str(self.entity["id"])

    @property
    def workspace(self) -> str:
        return str(self.entity["workspaceId"])


class Writer:
    """One user's random writes in their personal workspace and their shared ones: projects,
    tasks, subtasks, tags and sessions made, changed and deleted; tasks every member edits; and,
    for the owner and admins, edits of the readers' sessions."""

    def __init__(self, api: Api, roles: dict[str, str], world: World, seed: int, acks: Acks):
        self.api, self.world, self.acks = api, world, acks
        self.rng = random.Random(seed)
        self.seed = seed
        self.me = uid(api)
        self.roles = {self.me: "owner", **{world.spaces[n].id: r for n, r in roles.items()}}
        self.shared = {world.spaces[n].id: world.spaces[n] for n in roles}
        self.made: list[Made] = []
        self.count = 0

    # What the writer may do where.
    def catalog(self, workspace: str) -> bool:
        b = self.world.spaces["b"].id
        return self.roles[workspace] in MANAGING or workspace == b

    def mine(self, kind: str, workspace: str) -> list[Made]:
        return [m for m in self.made if m.kind == kind and m.workspace == workspace]

    def name(self, what: str) -> str:
        self.count += 1
        return f"{what} w{self.seed}-{self.count}"

    def expect(self, response: requests.Response, status: int) -> dict[str, Any]:
        assert response.status_code == status, (
            response.request.method,
            response.url,
            response.text,
        )
        return dict(response.json()) if response.content else {}

    def keep(self, kind: str, entity: dict[str, Any], parents: tuple[str, ...] = ()) -> None:
        self.acks.wrote(kind, entity)
        self.made.append(Made(kind, entity, parents))

    # The operations; each falls back to a simpler one where it cannot run.
    def project(self, workspace: str) -> None:
        if not self.catalog(workspace):
            return self.task(workspace)
        body = {"project": {"title": self.name("p"), "workspaceId": workspace}}
        return self.keep(
            "project", self.expect(self.api.post("/v1/projects", json=body), 201)["project"]
        )

    def task(self, workspace: str) -> None:
        space = self.shared.get(workspace)
        parents: list[tuple[str, tuple[str, ...]]] = (
            [(p, ()) for p in space.projects] if space else []
        )
        parents += [(m.id, (m.id,)) for m in self.mine("project", workspace)]
        if not parents:
            return self.project(workspace)
        project_id, ancestry = self.rng.choice(parents)
        body = {"task": {"title": self.name("t"), "projectId": project_id}}
        task = self.expect(self.api.post("/v1/tasks", json=body), 201)["task"]
        return self.keep("task", task, ancestry)

    def tasks(self, workspace: str) -> list[tuple[str, tuple[str, ...]]]:
        """Tasks to work on in `workspace`: the stable ones, the writer's own (with ancestry)."""
        space = self.shared.get(workspace)
        found: list[tuple[str, tuple[str, ...]]] = [(t, ()) for t in space.tasks] if space else []
        return found + [(m.id, (m.id, *m.parents)) for m in self.mine("task", workspace)]

    def subtask(self, workspace: str) -> None:
        tasks = self.tasks(workspace)
        if not tasks:
            return self.task(workspace)
        task_id, ancestry = self.rng.choice(tasks)
        body = {"subtask": {"title": self.name("s")}}
        made = self.expect(self.api.post(f"/v1/tasks/{task_id}/subtasks", json=body), 201)
        return self.keep("subtask", made["subtask"], ancestry)

    def tag(self, workspace: str) -> None:
        if not self.catalog(workspace):
            return self.session(workspace)
        body = {"tag": {"name": self.name("g"), "workspaceId": workspace}}
        return self.keep("tag", self.expect(self.api.post("/v1/tags", json=body), 201)["tag"])

    def tag_ids(self, workspace: str) -> list[str]:
        space = self.shared.get(workspace)
        choices: list[list[str]] = [[]] + ([[space.tags[0]], space.tags[:]] if space else [])
        choices += [[m.id] for m in self.mine("tag", workspace)]
        return list(self.rng.choice(choices))

    def session_fields(self, workspace: str) -> dict[str, Any]:
        day, minute = self.rng.randint(1, 28), self.rng.randint(0, 59)
        return {
            "startTimestamp": f"2026-11-{day:02d}T10:{minute:02d}:00Z",
            "duration": self.rng.randint(60, 7200),
            "note": self.name("n"),
            "tagIds": self.tag_ids(workspace),
        }

    def session(self, workspace: str) -> None:
        tasks = self.tasks(workspace)
        if not tasks:
            return self.task(workspace)
        task_id, ancestry = self.rng.choice(tasks)
        body = {"task": {"id": task_id}, "session": self.session_fields(workspace)}
        session = self.expect(self.api.post("/v1/sessions", json=body), 201)["session"]
        return self.keep("session", session, ancestry)

    def session_by_title(self, workspace: str) -> None:
        """A session on a task named by a title other members use too, in a stable project:
        found, or created in the session's transaction (one task per title, whoever races)."""
        space = self.shared.get(workspace)
        if space is None:
            return self.session(workspace)
        title = {"title": f"common {self.rng.randint(0, 2)}", "projectId": space.projects[0]}
        body = {"task": title, "session": self.session_fields(workspace)}
        made = self.expect(self.api.post("/v1/sessions", json=body), 201)
        if "task" in made:
            self.acks.wrote("task", made["task"])
        return self.keep("session", made["session"])

    def change(self, workspace: str) -> None:
        """Rename a stable task (every member does: concurrent edits of one item), or change
        something of the writer's own."""
        space = self.shared.get(workspace)
        own = [m for m in self.made if m.workspace == workspace]
        if space and (not own or self.rng.random() < 0.4):
            body = {"task": {"title": self.name("renamed")}}
            task_id = self.rng.choice(space.tasks)
            task = self.expect(self.api.patch(f"/v1/tasks/{task_id}", json=body), 200)["task"]
            return self.acks.wrote("task", task)
        if not own:
            return self.session(workspace)
        target = self.rng.choice(own)
        if target.kind == "session":
            body = {
                "task": {"id": target.entity["taskId"]},
                "session": self.session_fields(workspace),
            }
            response = self.api.put(f"/v1/sessions/{target.id}", json=body)
        else:
            name = "name" if target.kind == "tag" else "title"
            body = {target.kind: {name: self.name("renamed")}}
            response = self.api.patch(f"/v1/{LIST_OF[target.kind]}/{target.id}", json=body)
        target.entity = self.expect(response, 200)[target.kind]
        return self.acks.wrote(target.kind, target.entity)

    def delete(self, workspace: str) -> None:
        own = [
            m
            for m in self.made
            if m.workspace == workspace and (m.kind == "session" or self.catalog(workspace))
        ]
        if not own:
            return self.session(workspace)
        victim = self.rng.choice(own)
        query = "?cascade=true" if victim.kind in ("project", "task") else ""
        self.expect(self.api.delete(f"/v1/{LIST_OF[victim.kind]}/{victim.id}{query}"), 204)
        taken = {m.id for m in self.made if m is victim or victim.id in m.parents}
        self.made = [m for m in self.made if m.id not in taken]
        self.acks.gone(taken)
        return None

    def edit_a_readers_session(self, workspace: str) -> None:
        """The owner and admins act on every member's time: a reader's session changed."""
        space = self.shared.get(workspace)
        if space is None or self.roles[workspace] not in MANAGING or not space.reader_sessions:
            return self.change(workspace)
        target = self.rng.choice(space.reader_sessions)
        fields = {"startTimestamp": target["startTimestamp"], "duration": self.rng.randint(60, 600)}
        body = {
            "task": {"id": target["taskId"]},
            "session": {**fields, "note": self.name("by admin")},
        }
        session = self.expect(self.api.put(f"/v1/sessions/{target['id']}", json=body), 200)[
            "session"
        ]
        assert session["userId"] == target["userId"]  # still the reader's
        return self.acks.wrote("session", session)

    def run(self) -> None:
        operations: list[Callable[[str], None]] = [
            self.session,
            self.session,
            self.session_by_title,
            self.task,
            self.subtask,
            self.project,
            self.tag,
            self.change,
            self.change,
            self.delete,
            self.delete,
            self.edit_a_readers_session,
        ]
        spaces = [self.me, *self.shared, *self.shared]  # shared ones twice as often
        for _ in range(OPS_PER_WRITER):
            self.rng.choice(operations)(self.rng.choice(spaces))
            self.acks.step()


# ----------------------------------------------------------------------------- the readers


class Reader:
    """A client keeping a replica by delta sync with small pages, and what went wrong on the
    way: ids twice in one list of a page, sessions of another user held, and entities of a
    workspace delivered on a page asked for after the reader was acknowledged out of it."""

    def __init__(self, api: Api, seed: int) -> None:
        self.api = api
        self.me = uid(api)
        self.rng = random.Random(seed)
        self.replica: dict[str, dict[str, dict[str, Any]]] = {key: {} for key in LISTS}
        self.workspaces: dict[str, dict[str, Any]] = {}
        self.token = "*"
        self.pages = 0
        self.duplicates: list[tuple[str, str, int]] = []
        self.foreign: list[dict[str, Any]] = []
        self.after_leaving: list[dict[str, Any]] = []
        self.dropped: set[str] = set()  # workspaces listed as deleted
        self.left: set[str] = set()  # workspaces the reader was acknowledged out of

    def read_page(self, limit: int) -> bool:
        """Apply the next page to the replica; whether more remain."""
        left = set(self.left)  # before the request: what it must not bring
        response = self.api.get(f"/v1/sync?syncToken={self.token}&limit={limit}")
        assert response.status_code == 200, response.text
        page = response.json()
        self.pages += 1
        for key in LISTS:
            entities = page.get(key, [])
            counts = Counter(entity["id"] for entity in entities)
            self.duplicates += [(key, i, n) for i, n in counts.items() if n > 1]
            for entity in entities:
                if entity["workspaceId"] in left:
                    self.after_leaving.append(entity)
                self.replica[key][entity["id"]] = entity
        deleted = page.get("deleted", [])
        counts = Counter((gone["type"], gone["id"]) for gone in deleted)
        self.duplicates += [("deleted", f"{t}/{i}", n) for (t, i), n in counts.items() if n > 1]
        for gone in deleted:
            if gone["type"] == "workspace":
                self.drop_workspace(gone["id"])
            else:
                self.replica[LIST_OF[gone["type"]]].pop(gone["id"], None)
        if "workspaces" in page:
            self.workspaces = {w["id"]: w for w in page["workspaces"]}
        self.foreign += [s for s in self.replica["sessions"].values() if s["userId"] != self.me]
        self.token = page["syncToken"]
        return bool(page["hasMore"])

    def drop_workspace(self, workspace_id: str) -> None:
        self.dropped.add(workspace_id)
        for key in LISTS:
            self.replica[key] = {
                i: e for i, e in self.replica[key].items() if e["workspaceId"] != workspace_id
            }

    def read_until(self, done: threading.Event) -> None:
        while not done.is_set():
            self.read_page(self.rng.randint(5, 20))

    def catch_up(self) -> None:
        while self.read_page(self.rng.randint(5, 20)):
            pass

    def holds(self) -> set[str]:
        """The workspaces of the entities in the replica."""
        return {e["workspaceId"] for key in LISTS for e in self.replica[key].values()}


def full_sync(api: Api, seed: int) -> Reader:
    """A client that syncs from `*`, every page."""
    full = Reader(api, seed)
    full.catch_up()
    return full


# ----------------------------------------------------------------------------- the run


def _when(acks: Acks, share: float, total: int, stop: threading.Event) -> bool:
    """Wait until `share` of the writers' operations are done; False if the run stopped."""
    while acks.done < share * total:
        if stop.is_set():
            return False
        time.sleep(0.02)
    return True


def _membership_changes(
    world: World, readers: dict[str, Reader], acks: Acks, stop: threading.Event
) -> None:
    """During the run: the owner deletes the tag on the readers' sessions and the project their
    doomed sessions are in, r2 joins "b" (invited by an admin of it, accepted), then an admin
    of "a" removes r3 from it."""
    total = OPS_PER_WRITER * len(world.writers)
    owner = _fresh(world.writers[0])
    if not _when(acks, 0.25, total, stop):
        return
    for space in world.spaces.values():
        response = owner.delete(f"/v1/tags/{space.doomed_tag}")
        assert response.status_code == 204, response.text
        response = owner.delete(f"/v1/projects/{space.doomed_project}?cascade=true")
        assert response.status_code == 204, response.text
    if not _when(acks, 0.4, total, stop):
        return
    b_admin = _fresh(world.writers[2])  # admin of "b"
    join(b_admin, world.spaces["b"].id, _fresh(world.readers["r2"]))
    if not _when(acks, 0.6, total, stop):
        return
    a_admin = _fresh(world.writers[1])  # admin of "a"
    r3 = readers["r3"]
    response = a_admin.delete(f"/v1/workspaces/{world.spaces['a'].id}/members/{r3.me}")
    assert response.status_code == 204, response.text
    r3.left.add(world.spaces["a"].id)


def _assert_agrees(reader: Reader, full: Reader, member_of: set[str], acks: Acks) -> None:
    for key in LISTS:
        missing = full.replica[key].keys() - reader.replica[key].keys()
        extra = reader.replica[key].keys() - full.replica[key].keys()
        assert not missing and not extra, f"{key}: the replica lacks {missing}, has {extra} more"
        differing = [i for i in full.replica[key] if reader.replica[key][i] != full.replica[key][i]]
        assert not differing, f"{key}: other content for {differing}"
    assert reader.workspaces == full.workspaces, "the list of workspaces differs"
    assert set(full.workspaces) == member_of
    assert not reader.duplicates and not full.duplicates, (reader.duplicates, full.duplicates)
    assert not reader.foreign and not full.foreign, "sessions of another user were held"
    assert reader.holds() <= member_of and full.holds() <= member_of
    assert not reader.after_leaving, "entities of a workspace left came after leaving"
    # Nothing acknowledged in a workspace of the reader's is missing or older (their own
    # sessions only), whatever the full sync says.
    for kind, entity_id, last_updated, workspace in acks.written:
        if workspace not in member_of or entity_id in acks.deleted:
            continue
        held = reader.replica[LIST_OF[kind]].get(entity_id)
        if kind == "session" and (held is None or held["userId"] != reader.me):
            continue  # another user's: not theirs to sync
        assert held is not None and held["lastUpdated"] >= last_updated, (kind, entity_id)


def test_writers_in_shared_workspaces_and_readers_joining_and_leaving_agree(
    stack: dict[str, Any],
) -> None:
    world = _world(stack)
    acks = Acks()
    writers = [
        Writer(api, roles, world, seed, acks)
        for seed, (api, roles) in enumerate(zip(world.writers, WRITER_ROLES, strict=True))
    ]
    readers = {name: Reader(api, 100 + i) for i, (name, api) in enumerate(world.readers.items())}
    done = threading.Event()
    with ThreadPoolExecutor(max_workers=len(writers) + len(readers) + 1) as pool:
        reading = [pool.submit(reader.read_until, done) for reader in readers.values()]
        changing = pool.submit(_membership_changes, world, readers, acks, done)
        writing = [pool.submit(writer.run) for writer in writers]
        try:
            for future in [*writing, changing]:
                future.result()
        finally:
            done.set()  # the readers stop, and so does the membership thread if a writer failed
        for future in reading:
            future.result()

    a, b = world.spaces["a"].id, world.spaces["b"].id
    member_of = {"r1": {b}, "r2": {a, b}, "r3": {b}}
    for i, (name, reader) in enumerate(readers.items()):
        reader.catch_up()
        full = full_sync(reader.api, 200 + i)
        _assert_agrees(reader, full, member_of[name] | {reader.me}, acks)
        doomed = {space.doomed_tag for space in world.spaces.values()}
        gone = {x for sp in world.spaces.values() for x in (sp.doomed_project, sp.doomed_task)}
        assert not gone & (reader.replica["projects"].keys() | reader.replica["tasks"].keys())
        assert not any(s["taskId"] in gone for s in reader.replica["sessions"].values())
        titles = Counter((t["projectId"], t["title"]) for t in full.replica["tasks"].values())
        assert not [title for title, n in titles.items() if n > 1], "one title, two tasks"
        assert not any(
            doomed & set(s.get("tagIds") or ()) for s in reader.replica["sessions"].values()
        )
    assert a in readers["r3"].dropped and not readers["r1"].dropped | readers["r2"].dropped
    assert readers["r2"].holds() >= {a, b}  # the whole catalog of "b" came on joining
    assert len(acks.written) >= len(writers) * OPS_PER_WRITER // 2  # the run did real work

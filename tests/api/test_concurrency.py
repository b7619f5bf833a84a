"""Concurrent writers and a syncing reader: nothing missed, nothing duplicated (GUIDE 3)."""

from __future__ import annotations

import json
import random
import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from tests.api.conftest import Api
from tests.api.test_sync import LISTS, sync_all

pytestmark = pytest.mark.http  # over HTTP, against the run's shared local stack

KINDS = {
    "sessions": "session",
    "tasks": "task",
    "projects": "project",
    "categories": "category",
    "subtasks": "subtask",
}
LIST_OF = {kind: key for key, kind in KINDS.items()}
WRITERS = 8
OPS_PER_WRITER = 12


class Acks:
    """What the API acknowledged: entities written and ids deleted."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.written: list[tuple[str, str, str]] = []  # (kind, id, lastUpdated)
        self.deleted: set[tuple[str, str]] = set()

    def wrote(self, kind: str, entity: dict[str, Any]) -> None:
        with self.lock:
            self.written.append((kind, entity["id"], entity["lastUpdated"]))

    def gone(self, kind: str, entity_id: str) -> None:
        with self.lock:
            self.deleted.add((kind, entity_id))


def _writer(api: Api, seed: int, shared_tasks: list[str], acks: Acks) -> None:
    rng = random.Random(seed)
    mine: list[dict[str, Any]] = []
    for op in range(OPS_PER_WRITER):
        choice = rng.choice(["session", "session", "task", "patch", "project", "delete"])
        if choice == "session":
            body = {
                "task": {"id": rng.choice(shared_tasks)},
                "session": {
                    "startTimestamp": f"2026-11-{rng.randint(1, 28):02d}T10:00:00Z",
                    "duration": 60,
                },
            }
            response = api.post("/v1/sessions", json=body)
            assert response.status_code == 201, response.text
            session = response.json()["session"]
            acks.wrote("session", session)
            mine.append({"kind": "session", **session})
        elif choice == "task":
            response = api.post("/v1/tasks", json={"task": {"title": f"w{seed}-{op}"}})
            assert response.status_code == 201, response.text
            acks.wrote("task", response.json()["task"])
            mine.append({"kind": "task", **response.json()["task"]})
        elif choice == "patch":  # several writers edit the same tasks
            task_id = rng.choice(shared_tasks)
            response = api.patch(
                f"/v1/tasks/{task_id}", json={"task": {"title": f"by {seed}/{op}"}}
            )
            assert response.status_code == 200, response.text
            acks.wrote("task", response.json()["task"])
        elif choice == "project":
            response = api.post("/v1/projects", json={"project": {"title": f"p{seed}-{op}"}})
            assert response.status_code == 201, response.text
            acks.wrote("project", response.json()["project"])
            mine.append({"kind": "project", **response.json()["project"]})
        elif mine:
            victim = mine.pop(rng.randrange(len(mine)))
            path = {"session": "sessions", "task": "tasks", "project": "projects"}[victim["kind"]]
            response = api.delete(f"/v1/{path}/{victim['id']}?cascade=true")
            assert response.status_code == 204, response.text
            acks.gone(victim["kind"], victim["id"])


class SyncReader:
    """A client that keeps a replica by delta sync, and everything each page showed it."""

    def __init__(self, api: Api) -> None:
        self.api = api
        self.replica: dict[str, dict[str, dict[str, Any]]] = {key: {} for key in LISTS}
        self.seen: set[tuple[str, str, str]] = set()  # (kind, id, lastUpdated)
        self.seen_deleted: set[tuple[str, str]] = set()
        # Every record each page delivered, by kind, id and the whole version it showed: one
        # write delivered on two pages (or under two tokens) counts 2.
        self.delivered: Counter[tuple[str, str, str]] = Counter()
        self.token = "*"

    def read_page(self) -> bool:
        """Apply the next page to the replica; whether more remain."""
        response = self.api.get(f"/v1/sync?syncToken={self.token}&limit=7")
        assert response.status_code == 200, response.text
        page = response.json()
        for key in LISTS:
            for entity in page.get(key, []):
                self.replica[key][entity["id"]] = entity
                self.seen.add((KINDS[key], entity["id"], entity["lastUpdated"]))
                self.delivered[(KINDS[key], entity["id"], json.dumps(entity, sort_keys=True))] += 1
        for gone in page.get("deleted", []):
            self.replica[LIST_OF[gone["type"]]].pop(gone["id"], None)
            self.seen_deleted.add((gone["type"], gone["id"]))
            self.delivered[(gone["type"], gone["id"], "deleted " + gone["lastUpdated"])] += 1
        self.token = page["syncToken"]
        return bool(page["hasMore"])

    def read_until(self, done: threading.Event) -> None:
        while not done.is_set():
            self.read_page()

    def catch_up(self) -> None:
        while self.read_page():
            pass

    def synced_after(self, kind: str, entity_id: str, last_updated: str) -> bool:
        """Whether a page showed this entity as written then, or later."""
        return any((k, i) == (kind, entity_id) and u >= last_updated for k, i, u in self.seen)


def test_writers_and_a_syncing_reader_agree(stack: dict[str, Any], api: Api) -> None:
    shared_tasks = [api.create("/v1/tasks", "task", title=f"shared {i}")["id"] for i in range(3)]
    reader = SyncReader(api)
    acks = Acks()
    done = threading.Event()
    with ThreadPoolExecutor(max_workers=WRITERS + 1) as pool:
        reading = pool.submit(reader.read_until, done)
        writers = [pool.submit(_writer, api, seed, shared_tasks, acks) for seed in range(WRITERS)]
        try:
            for future in writers:
                future.result()
        finally:
            done.set()
        reading.result()
    reader.catch_up()
    # The reader kept pace, so its pages were rarely full: one that starts from `*` afterwards
    # pages through everything, each page cut at `limit` (its next token mid-way).
    late = SyncReader(api)
    late.catch_up()

    full, _, _ = sync_all(api)
    for each in (reader, late):
        for key in LISTS:
            assert each.replica[key] == full[key], f"{key}: the replica differs from a full sync"
        twice = {record: n for record, n in each.delivered.items() if n > 1}
        assert not twice, f"records delivered more than once: {twice}"
    assert acks.deleted <= reader.seen_deleted, "an acknowledged delete was never synced"
    for kind, entity_id, last_updated in acks.written:
        assert (kind, entity_id) in acks.deleted or reader.synced_after(
            kind, entity_id, last_updated
        ), f"acknowledged write of {kind} {entity_id} at {last_updated} never synced"
    assert len(acks.written) >= WRITERS  # the run did real work


def test_six_concurrent_creates_of_one_new_title_make_one_project_and_one_task(api: Api) -> None:
    body = {
        "task": {"title": "Same task"},
        "project": {"title": "Same project"},
        "session": {"startTimestamp": "2026-11-22T09:30:00Z", "duration": 60},
    }
    with ThreadPoolExecutor(max_workers=6) as pool:
        responses = list(pool.map(lambda _: api.post("/v1/sessions", json=body), range(6)))
    assert [r.status_code for r in responses] == [201] * 6, [r.text for r in responses]
    projects = [
        p for p in api.get("/v1/projects").json()["projects"] if p["title"] == "Same project"
    ]
    tasks = [t for t in api.get("/v1/tasks").json()["tasks"] if t["title"] == "Same task"]
    assert len(projects) == 1 and len(tasks) == 1
    assert {r.json()["session"]["taskId"] for r in responses} == {tasks[0]["id"]}
    assert sum("project" in r.json() for r in responses) == 1
    assert sum("task" in r.json() for r in responses) == 1

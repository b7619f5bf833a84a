"""docs/API.md, "Sync tokens": delta sync with sync tokens."""

import base64
import json
from typing import Any

from stint import kinds
from tests.api.conftest import Api, assert_error

# Every kind's list in a sync page (stint.kinds): a new kind is followed too.
LISTS = tuple(kind.plural for kind in kinds.KINDS.values())


def sync_all(
    api: Api, token: str = "*", limit: int | None = None
) -> tuple[dict[str, Any], str, int]:
    """Follow the tokens until hasMore is false; return the merged page, the token, pages."""
    merged: dict[str, Any] = {key: {} for key in LISTS}
    merged["deleted"] = {}
    pages = 0
    while True:
        query = f"?syncToken={token}" + (f"&limit={limit}" if limit else "")
        response = api.get("/v1/sync" + query)
        assert response.status_code == 200, response.text
        page = response.json()
        pages += 1
        for key in LISTS:
            for entity in page.get(key, []):
                merged[key][entity["id"]] = entity
        for gone in page.get("deleted", []):
            merged["deleted"][(gone["type"], gone["id"])] = gone
        for key in (*LISTS, "deleted"):
            assert key not in page or page[key], "empty lists are omitted"
        token = page["syncToken"]
        if not page["hasMore"]:
            return merged, token, pages


def _one_of_each_kind(api: Api) -> tuple[dict[str, Any], ...]:
    """A category > project > task > subtask, and a session on the task."""
    category = api.create("/v1/categories", "category", title="C")
    project = api.create("/v1/projects", "project", title="P", categoryId=category["id"])
    task = api.create("/v1/tasks", "task", title="T", projectId=project["id"])
    subtask = api.create(f"/v1/tasks/{task['id']}/subtasks", "subtask", title="S")
    session = api.post(
        "/v1/sessions",
        json={
            "task": {"id": task["id"]},
            "session": {"startTimestamp": "2026-11-22T09:30:00Z", "duration": 60},
        },
    ).json()["session"]
    return category, project, task, subtask, session


def test_full_sync_has_every_live_entity_and_no_tombstones(api: Api) -> None:
    category, _, task, subtask, session = _one_of_each_kind(api)
    gone = api.create("/v1/tasks", "task", title="gone")
    api.delete(f"/v1/tasks/{gone['id']}")
    for first_page in (api.get("/v1/sync").json(), api.get("/v1/sync?syncToken=*").json()):
        assert first_page["hasMore"] is False and "deleted" not in first_page
        assert {c["id"] for c in first_page["categories"]} == {category["id"]}
        assert {s["id"] for s in first_page["subtasks"]} == {subtask["id"]}
        assert first_page["sessions"] == [
            api.get(f"/v1/sessions/{session['id']}").json()["session"]
        ]
        assert {t["id"] for t in first_page["tasks"]} == {task["id"]}
        assert len(first_page["projects"]) == 2  # + Inbox


def test_incremental_sync_returns_exactly_the_changes(api: Api) -> None:
    task = api.create("/v1/tasks", "task", title="T")
    doomed = api.create("/v1/tasks", "task", title="doomed")
    _, token, _ = sync_all(api)
    empty = api.get(f"/v1/sync?syncToken={token}").json()
    # Nothing changed: the token, and the caller's workspaces (always listed whole).
    assert set(empty) == {"syncToken", "hasMore", "workspaces"} and empty["hasMore"] is False
    api.patch(f"/v1/tasks/{task['id']}", json={"task": {"title": "T1"}})
    api.patch(f"/v1/tasks/{task['id']}", json={"task": {"title": "T2"}})
    api.delete(f"/v1/tasks/{doomed['id']}")
    new = api.create("/v1/projects", "project", title="new")
    changes, token2, _ = sync_all(api, token)
    assert list(changes["tasks"]) == [task["id"]] and changes["tasks"][task["id"]]["title"] == "T2"
    assert list(changes["projects"]) == [new["id"]]
    assert list(changes["deleted"]) == [("task", doomed["id"])]
    assert doomed["id"] not in changes["tasks"]
    # Read-your-writes: an acknowledged write is in the very next sync.
    api.patch(f"/v1/projects/{new['id']}", json={"project": {"color": "red"}})
    page = api.get(f"/v1/sync?syncToken={token2}").json()
    assert [p["color"] for p in page["projects"]] == ["red"]


def test_cascades_take_part_in_sync(api: Api) -> None:
    category, project, task, subtask, session = _one_of_each_kind(api)
    _, token, _ = sync_all(api)
    api.delete(f"/v1/categories/{category['id']}")
    changes, token, _ = sync_all(api, token)
    assert changes["projects"][project["id"]]["categoryId"] is None
    assert set(changes["deleted"]) == {("category", category["id"])}
    api.delete(f"/v1/projects/{project['id']}?cascade=true")
    changes, _, _ = sync_all(api, token)
    assert set(changes["deleted"]) == {
        ("project", project["id"]),
        ("task", task["id"]),
        ("subtask", subtask["id"]),
        ("session", session["id"]),
    }


def test_paging_with_limit_and_has_more(api: Api) -> None:
    ids = {api.create("/v1/tasks", "task", title=f"t{i}")["id"] for i in range(7)}
    merged, _, pages = sync_all(api, limit=3)
    assert pages >= 3
    assert ids <= set(merged["tasks"])
    first = api.get("/v1/sync?limit=3").json()
    assert first["hasMore"] is True
    assert sum(len(first.get(k, [])) for k in LISTS) == 3
    assert_error(api.get("/v1/sync?limit=0"), 400, "validation_error")
    assert_error(api.get("/v1/sync?limit=1001"), 400, "validation_error")


def test_bad_and_expired_tokens(api: Api, other: Api) -> None:
    for bad in [
        "garbage",
        "e30",
        base64.urlsafe_b64encode(b'{"s": -1, "t": 0, "u": "x"}').decode(),
    ]:
        assert_error(api.get(f"/v1/sync?syncToken={bad}"), 400, "invalid_sync_token")
    _, token, _ = sync_all(api)
    # Another user's token counts another sequence: refused, never silently misread.
    assert_error(other.get(f"/v1/sync?syncToken={token}"), 400, "invalid_sync_token")
    # A token changed by anyone (a position moved, its time rewound) is refused: it is sealed
    # for its caller and request (docs/API.md, "Sync tokens"). Expiry: test_sync_expiry.py.
    mac, _, inner = token.partition(".")
    fields = json.loads(base64.urlsafe_b64decode(inner + "=" * (-len(inner) % 4)))
    for changed in ({**fields, "t": fields["t"] - 31 * 86400}, {**fields, "p": {}}):
        forged = base64.urlsafe_b64encode(json.dumps(changed).encode()).decode().rstrip("=")
        assert_error(api.get(f"/v1/sync?syncToken={mac}.{forged}"), 400, "invalid_sync_token")
    assert api.get(f"/v1/sync?syncToken={token}").status_code == 200

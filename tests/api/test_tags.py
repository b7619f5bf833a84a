"""docs/API.md, "Tags": tags, and tags on sessions, in sync, search and lists."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any

from tests.api.conftest import Api, assert_error
from tests.api.test_sync import sync_all

START = "2026-11-22T09:30:00Z"


def session_with(api: Api, task_id: str, **session: Any) -> Any:
    body = {
        "task": {"id": task_id},
        "session": {"startTimestamp": START, "duration": 60, **session},
    }
    return api.post("/v1/sessions", json=body)


def test_tag_lifecycle(api: Api) -> None:
    response = api.post("/v1/tags", json={"tag": {"name": "  Meeting ", "color": "#a0B0c0"}})
    assert response.status_code == 201, response.text
    tag = response.json()["tag"]
    assert set(tag) == {"id", "workspaceId", "name", "color", "lastUpdated"}
    assert tag["name"] == "Meeting" and tag["color"] == "#a0B0c0"
    assert response.headers["ETag"] and response.headers["Location"].endswith(
        f"/v1/tags/{tag['id']}"
    )
    path = f"/v1/tags/{tag['id']}"
    got = api.get(path)
    assert got.json()["tag"] == tag and got.headers["ETag"] == response.headers["ETag"]
    patched = api.patch(path, json={"tag": {"name": "Meetings", "color": None}})
    assert patched.status_code == 200, patched.text
    assert patched.json()["tag"]["name"] == "Meetings" and patched.json()["tag"]["color"] is None
    # Sent back as got: accepted, nothing changes but lastUpdated.
    again = api.patch(path, json={"tag": patched.json()["tag"]})
    assert again.status_code == 200 and again.json()["tag"]["name"] == "Meetings"
    assert_error(
        api.patch(path, json={"tag": {"name": "x"}}, headers={"If-Match": '"1"'}),
        412,
        "precondition_failed",
    )
    assert api.delete(path, headers={"If-Match": again.headers["ETag"]}).status_code == 204
    assert_error(api.get(path), 404, "not_found")
    assert_error(api.patch(path, json={"tag": {"name": "x"}}), 404, "not_found")
    assert_error(api.delete(path), 404, "not_found")
    # The name is free again.
    assert api.post("/v1/tags", json={"tag": {"name": "meeting"}}).status_code == 201


def test_tag_errors(api: Api) -> None:
    for bad in (
        {},
        {"name": ""},
        {"name": "   "},
        {"name": "x" * 101},
        {"name": "a", "color": "red"},
        {"name": "a", "color": "#12345"},
        {"name": "a", "extra": 1},
        {"name": None},
    ):
        assert_error(api.post("/v1/tags", json={"tag": bad}), 400, "validation_error")
    assert api.post("/v1/tags", json={"tag": {"name": "x" * 100}}).status_code == 201
    api.create("/v1/tags", "tag", id="tag-1", name="Client call")
    assert_error(
        api.post("/v1/tags", json={"tag": {"id": "tag-1", "name": "Other"}}), 409, "conflict"
    )
    for taken in ("client call", "  CLIENT CALL  ", "Client call"):
        assert_error(api.post("/v1/tags", json={"tag": {"name": taken}}), 409, "conflict")
    other = api.create("/v1/tags", "tag", name="Other")
    assert_error(
        api.patch(f"/v1/tags/{other['id']}", json={"tag": {"name": "CLIENT call"}}), 409, "conflict"
    )
    # A change of case only is the same name: allowed.
    renamed = api.patch("/v1/tags/tag-1", json={"tag": {"name": "client CALL"}})
    assert renamed.status_code == 200 and renamed.json()["tag"]["name"] == "client CALL"
    assert_error(
        api.patch("/v1/tags/tag-1", json={"tag": {"id": "tag-2"}}), 400, "validation_error"
    )
    assert_error(api.patch("/v1/tags/tag-1", json={"tag": {"name": None}}), 400, "validation_error")
    assert_error(api.get("/v1/tags?nextToken=nope"), 400, "validation_error")
    assert_error(api.get("/v1/tags?limit=0"), 400, "validation_error")


def test_tags_are_listed_by_name_in_pages(api: Api) -> None:
    names = ["beta", "Alpha", "gamma", "delta", "Epsilon", "zeta", "eta"]
    for name in names:
        api.create("/v1/tags", "tag", name=name)
    seen: list[str] = []
    token = None
    while True:
        query = "?limit=3" + (f"&nextToken={token}" if token else "")
        page = api.get("/v1/tags" + query)
        assert page.status_code == 200, page.text
        seen += [tag["name"] for tag in page.json()["tags"]]
        token = page.json().get("nextToken")
        if not token:
            break
        assert 'rel="next"' in page.headers["Link"]
    assert seen == sorted(names, key=str.casefold)


def test_sessions_carry_tags_by_id_and_by_name(api: Api) -> None:
    task = api.create("/v1/tasks", "task", title="T")
    billing = api.create("/v1/tags", "tag", name="Billing")
    response = session_with(
        api, task["id"], tagIds=[billing["id"]], tags=["billing", " Meeting ", "meeting", "Call"]
    )
    assert response.status_code == 201, response.text
    body = response.json()
    created = {tag["name"]: tag for tag in body["tags"]}
    assert set(created) == {"Meeting", "Call"}, "reused before created, once per name"
    assert body["session"]["tagIds"] == [
        billing["id"],
        created["Meeting"]["id"],
        created["Call"]["id"],
    ]
    for tag in body["tags"]:
        assert api.get(f"/v1/tags/{tag['id']}").json()["tag"] == tag
    # Reused the next time, not created.
    again = session_with(api, task["id"], tags=["MEETING"])
    assert again.status_code == 201 and "tags" not in again.json()
    assert again.json()["session"]["tagIds"] == [created["Meeting"]["id"]]
    # A session without tags carries none.
    plain = session_with(api, task["id"]).json()["session"]
    assert plain["tagIds"] == []
    # The tagId filter.
    listed = api.get(f"/v1/sessions?tagId={created['Meeting']['id']}").json()["sessions"]
    assert {s["id"] for s in listed} == {body["session"]["id"], again.json()["session"]["id"]}
    # PUT replaces the tags; what was got may be sent back.
    got = api.get(f"/v1/sessions/{plain['id']}").json()["session"]
    put = api.put(
        f"/v1/sessions/{plain['id']}",
        json={"task": {"id": task["id"]}, "session": {**got, "tagIds": [billing["id"]]}},
    )
    assert put.status_code == 200 and put.json()["session"]["tagIds"] == [billing["id"]]


def test_session_tag_errors(api: Api, other: Api) -> None:
    task = api.create("/v1/tasks", "task", title="T")
    foreign = other.create("/v1/tags", "tag", name="Theirs")
    for tag_ids in (["nope"], [foreign["id"]]):
        error = assert_error(session_with(api, task["id"], tagIds=tag_ids), 400, "validation_error")
        assert error["details"][0]["field"] == "session.tagIds"
    too_many = [f"t{i}" for i in range(21)]
    assert_error(session_with(api, task["id"], tags=too_many), 400, "validation_error")
    ids = [api.create("/v1/tags", "tag", name=f"n{i}")["id"] for i in range(15)]
    error = assert_error(
        session_with(api, task["id"], tagIds=ids, tags=[f"m{i}" for i in range(6)]),
        400,
        "validation_error",
    )
    assert error["details"][0]["field"] == "session.tags"
    assert_error(session_with(api, task["id"], tags=[""]), 400, "validation_error")
    # Nothing of the refused requests was written: no session, no new tag.
    assert api.get("/v1/sessions").json()["sessions"] == []
    assert len(api.get("/v1/tags").json()["tags"]) == 15


def test_concurrent_sessions_naming_one_new_tag_make_one_tag(api: Api) -> None:
    task = api.create("/v1/tasks", "task", title="T")
    with ThreadPoolExecutor(max_workers=6) as pool:
        responses = list(
            pool.map(lambda _: session_with(api, task["id"], tags=["Brand new"]), range(6))
        )
    assert [r.status_code for r in responses] == [201] * 6, [r.text for r in responses]
    tags = api.get("/v1/tags").json()["tags"]
    assert [t["name"] for t in tags] == ["Brand new"]
    assert {tuple(r.json()["session"]["tagIds"]) for r in responses} == {(tags[0]["id"],)}
    assert sum(len(r.json().get("tags", [])) for r in responses) == 1


def test_deleting_a_tag_takes_it_off_250_sessions_and_sync_sees_each(api: Api) -> None:
    task = api.create("/v1/tasks", "task", title="T")
    doomed = api.create("/v1/tags", "tag", name="Doomed")
    kept = api.create("/v1/tags", "tag", name="Kept")
    batch = [
        {
            "op": "create",
            "body": {
                "task": {"id": task["id"]},
                "session": {
                    "startTimestamp": START,
                    "duration": 60,
                    "tagIds": [doomed["id"], kept["id"]],
                },
            },
        }
        for _ in range(100)
    ]
    tagged = []
    for count in (100, 100, 50):
        response = api.post(
            "/v1/sessions/batch", json={"atomic": False, "operations": batch[:count]}
        )
        assert response.status_code == 200, response.text
        tagged += [result["session"]["id"] for result in response.json()["results"]]
    untagged = session_with(api, task["id"], tagIds=[kept["id"]]).json()["session"]
    _, token, _ = sync_all(api)
    assert api.delete(f"/v1/tags/{doomed['id']}").status_code == 204
    changes, _, _ = sync_all(api, token)
    assert set(changes["sessions"]) == set(tagged), "every session that carried it changed"
    assert all(s["tagIds"] == [kept["id"]] for s in changes["sessions"].values())
    assert ("tag", doomed["id"]) in changes["deleted"]
    assert api.get(f"/v1/sessions?tagId={doomed['id']}").json()["sessions"] == []
    everything, _, _ = sync_all(api)
    assert all(doomed["id"] not in s["tagIds"] for s in everything["sessions"].values())
    assert everything["sessions"][untagged["id"]] == untagged


def test_tags_in_sync_and_search(api: Api) -> None:
    _, token, _ = sync_all(api)
    tag = api.create("/v1/tags", "tag", name="Deep work")
    gone = api.create("/v1/tags", "tag", name="Gone")
    api.delete(f"/v1/tags/{gone['id']}")
    changes, token, _ = sync_all(api, token)
    assert changes["tags"] == {tag["id"]: tag}
    assert ("tag", gone["id"]) in changes["deleted"]
    full, _, _ = sync_all(api)
    assert full["tags"] == {tag["id"]: tag}
    results = api.get("/v1/search?type=tag&name=DEEP").json()["results"]
    assert results == [
        {"type": "tag", "id": tag["id"], "title": "Deep work", "parentId": None, "active": True}
    ]
    assert_error(api.get(f"/v1/search?type=tag&parentId={tag['id']}"), 400, "validation_error")


def test_another_users_tags_are_not_found(api: Api, other: Api) -> None:
    tag = api.create("/v1/tags", "tag", name="Mine")
    path = f"/v1/tags/{tag['id']}"
    assert_error(other.get(path), 404, "not_found")
    assert_error(other.patch(path, json={"tag": {"name": "x"}}), 404, "not_found")
    assert_error(other.delete(path), 404, "not_found")
    assert other.get("/v1/tags").json()["tags"] == []
    # The other user may have a tag of the same name.
    assert other.post("/v1/tags", json={"tag": {"name": "Mine"}}).status_code == 201
    assert api.get(path).json()["tag"] == tag


def test_webhooks_take_the_tag_trigger(api: Api) -> None:
    response = api.post(
        "/v1/webhooks", json={"hookUrl": "http://127.0.0.1:9/hook", "triggerType": "tag"}
    )
    assert response.status_code == 201, response.text
    assert response.json()["webhook"]["triggerType"] == "tag"

"""ETag on single-entity responses; If-Match on PATCH / PUT / DELETE, checked in the write."""

from tests.api.conftest import Api, assert_error


def test_stale_etag_is_412_on_patch_and_delete(api: Api) -> None:
    created = api.post("/v1/projects", json={"project": {"title": "A"}})
    stale = created.headers["ETag"]
    path = f"/v1/projects/{created.json()['project']['id']}"
    fresh = api.patch(path, json={"project": {"title": "B"}}, headers={"If-Match": stale})
    assert fresh.status_code == 200 and fresh.headers["ETag"] != stale
    assert_error(
        api.patch(path, json={"project": {"title": "C"}}, headers={"If-Match": stale}),
        412,
        "precondition_failed",
    )
    assert_error(api.delete(path, headers={"If-Match": stale}), 412, "precondition_failed")
    assert api.get(path).json()["project"]["title"] == "B"
    assert api.delete(path, headers={"If-Match": fresh.headers["ETag"]}).status_code == 204


def test_stale_etag_is_412_on_session_put_and_delete(api: Api) -> None:
    task = api.create("/v1/tasks", "task", title="t")
    body = {
        "task": {"id": task["id"]},
        "session": {"startTimestamp": "2026-11-22T09:30:00Z", "duration": 60},
    }
    created = api.put("/v1/sessions/s-etag", json=body)
    assert created.status_code == 201
    stale = created.headers["ETag"]
    replaced = api.put("/v1/sessions/s-etag", json=body, headers={"If-Match": stale})
    assert replaced.status_code == 200 and replaced.headers["ETag"] != stale
    assert_error(
        api.put("/v1/sessions/s-etag", json=body, headers={"If-Match": stale}),
        412,
        "precondition_failed",
    )
    assert_error(
        api.delete("/v1/sessions/s-etag", headers={"If-Match": stale}), 412, "precondition_failed"
    )
    assert_error(
        api.put("/v1/sessions/s-new", json=body, headers={"If-Match": stale}),
        412,
        "precondition_failed",
    )
    assert api.delete("/v1/sessions/s-etag", headers={"If-Match": "*"}).status_code == 204


def test_profile_etag_and_if_match(api: Api) -> None:
    got = api.get("/v1/me")
    stale = got.headers["ETag"]
    patched = api.patch("/v1/me", json={"displayName": "One"}, headers={"If-Match": stale})
    assert patched.status_code == 200 and patched.headers["ETag"] != stale
    assert api.get("/v1/me").headers["ETag"] == patched.headers["ETag"]
    assert_error(
        api.patch("/v1/me", json={"displayName": "Two"}, headers={"If-Match": stale}),
        412,
        "precondition_failed",
    )
    assert api.get("/v1/me").json()["displayName"] == "One"


def test_two_concurrent_patches_with_one_etag_one_wins(api: Api) -> None:
    from concurrent.futures import ThreadPoolExecutor

    task = api.post("/v1/tasks", json={"task": {"title": "t"}})
    etag = task.headers["ETag"]
    path = f"/v1/tasks/{task.json()['task']['id']}"
    for _ in range(3):
        with ThreadPoolExecutor(max_workers=2) as pool:
            responses = list(
                pool.map(
                    lambda title, tag=etag: api.patch(
                        path, json={"task": {"title": title}}, headers={"If-Match": tag}
                    ),
                    ["a", "b"],
                )
            )
        assert sorted(r.status_code for r in responses) == [200, 412], [r.text for r in responses]
        etag = next(r.headers["ETag"] for r in responses if r.status_code == 200)
    me = api.get("/v1/me").headers["ETag"]
    with ThreadPoolExecutor(max_workers=2) as pool:
        responses = list(
            pool.map(
                lambda name: api.patch(
                    "/v1/me", json={"displayName": name}, headers={"If-Match": me}
                ),
                ["a", "b"],
            )
        )
    assert sorted(r.status_code for r in responses) == [200, 412]

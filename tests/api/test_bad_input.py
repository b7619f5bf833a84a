"""Bad input: a clear 4xx with the error body of docs/API.md, "Errors", and nothing written."""

from tests.api.conftest import Api, assert_error


def _titles(api: Api) -> list[str]:
    return sorted(p["title"] for p in api.get("/v1/projects?archived=all").json()["projects"])


def test_body_over_256_kib_is_413_and_writes_nothing(api: Api) -> None:
    big = {"project": {"title": "Big", "color": "#000000", "padding": "x" * (256 * 1024)}}
    assert_error(api.post("/v1/projects", json=big), 413, "payload_too_large")
    blob = "x" * (256 * 1024 + 1)
    assert_error(
        api.post("/v1/projects", data=blob, headers={"content-type": "application/json"}),
        413,
        "payload_too_large",
    )
    assert_error(
        api.post("/v1/tasks", json={"task": {"title": "t" * 300_000}}), 413, "payload_too_large"
    )
    assert _titles(api) == ["Inbox"]
    assert api.get("/v1/tasks").json()["tasks"] == []


def test_invalid_json_and_wrong_types(api: Api) -> None:
    for text in ["{", "not json", '{"project": {"title": "a",}}']:
        assert_error(
            api.post("/v1/projects", data=text, headers={"content-type": "application/json"}),
            400,
            "invalid_json",
        )
    assert_error(api.post("/v1/projects"), 400, "validation_error")
    for body in [
        {"project": "Acme"},
        {"project": {"title": ["a"]}},
        {"project": {"isArchived": 1}},
    ]:
        assert_error(api.post("/v1/projects", json=body), 400, "validation_error")
    assert _titles(api) == ["Inbox"]


def test_timestamps_without_offset_are_400(api: Api) -> None:
    project = api.create("/v1/projects", "project", title="Acme")
    for stamp in ["2026-11-22T09:30:00", "2026-11-22 09:30", "yesterday"]:
        error = assert_error(
            api.patch(
                f"/v1/projects/{project['id']}",
                json={"project": {"title": "New", "lastUpdated": stamp}},
            ),
            400,
            "validation_error",
        )
        assert "offset" in error["message"] or "lastUpdated" in error["message"]
    ok = api.patch(
        f"/v1/projects/{project['id']}",
        json={"project": {"title": "New", "lastUpdated": "2026-11-22T09:30:00+01:00"}},
    )
    assert ok.status_code == 200 and ok.json()["project"]["title"] == "New"
    assert ok.json()["project"]["lastUpdated"] != "2026-11-22T08:30:00.000Z"  # server-set


def test_unknown_fields_are_400_and_write_nothing(api: Api) -> None:
    assert_error(
        api.post("/v1/tasks", json={"task": {"title": "t", "priority": 1}}), 400, "validation_error"
    )
    assert_error(
        api.post("/v1/categories", json={"category": {"title": "c"}, "x": 1}),
        400,
        "validation_error",
    )
    assert api.get("/v1/tasks").json()["tasks"] == []
    assert api.get("/v1/categories").json()["categories"] == []


def test_titles_over_500_characters_are_400(api: Api) -> None:
    assert_error(
        api.post("/v1/projects", json={"project": {"title": "p" * 501}}), 400, "validation_error"
    )
    assert_error(
        api.post("/v1/tasks", json={"task": {"title": "t" * 501}}), 400, "validation_error"
    )
    assert_error(
        api.post("/v1/categories", json={"category": {"title": "c" * 501}}), 400, "validation_error"
    )
    ok = api.create("/v1/projects", "project", title=" " + "p" * 500 + " ")
    assert len(ok["title"]) == 500


def test_a_route_that_does_not_exist_is_404_in_the_error_body(api: Api) -> None:
    """API Gateway's "Missing Authentication Token", answered as docs/API.md's 404."""
    for method, path in (
        ("GET", "/v1/nothing-here"),
        ("PUT", "/v1/tasks"),  # a path that exists, with a method it does not serve
        ("DELETE", "/v1/me"),
    ):
        response = api.request(method, path)
        assert_error(response, 404, "not_found")

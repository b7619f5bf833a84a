"""Idempotency-Key on every POST (docs/API.md, "Retrying safely")."""

from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from tests.api.conftest import Api, assert_error


def _session_body(api: Api) -> dict[str, Any]:
    return {
        "task": {"title": "Idempotent task"},
        "project": {"title": "Idempotent project"},
        "session": {"startTimestamp": "2026-11-22T09:30:00Z", "duration": 60},
    }


CASES = {
    "sessions": ("/v1/sessions", lambda api: _session_body(api), "session"),
    "projects": ("/v1/projects", lambda api: {"project": {"title": "Acme"}}, "project"),
    "tasks": ("/v1/tasks", lambda api: {"task": {"title": "Write"}}, "task"),
}


def _count(api: Api, kind: str) -> int:
    if kind == "project":
        return sum(p["title"] != "Inbox" for p in api.get("/v1/projects").json()["projects"])
    return len(api.get(f"/v1/{kind}s").json()[f"{kind}s"])


@pytest.mark.parametrize("case", CASES)
def test_three_identical_posts_with_one_key_create_one_entity(api: Api, case: str) -> None:
    path, body, kind = CASES[case]
    headers = {"Idempotency-Key": f"key-{case}"}
    responses = [api.post(path, json=body(api), headers=headers) for _ in range(3)]
    assert [r.status_code for r in responses] == [201, 201, 201], responses[0].text
    assert responses[1].json() == responses[2].json() == responses[0].json()
    assert responses[1].headers["ETag"] == responses[0].headers["ETag"]
    assert responses[1].headers.get("Idempotent-Replayed") == "true"
    assert "Idempotent-Replayed" not in responses[0].headers
    assert _count(api, kind) == 1


@pytest.mark.parametrize("case", CASES)
def test_same_key_with_another_body_is_409(api: Api, case: str) -> None:
    path, body, kind = CASES[case]
    headers = {"Idempotency-Key": "reused"}
    assert api.post(path, json=body(api), headers=headers).status_code == 201
    other = body(api)
    other[kind] = {**other[kind], "id": "another-id"}
    assert_error(api.post(path, json=other, headers=headers), 409, "idempotency_conflict")
    assert _count(api, kind) == 1


@pytest.mark.parametrize("case", CASES)
def test_keys_are_per_user(api: Api, other: Api, case: str) -> None:
    path, body, kind = CASES[case]
    headers = {"Idempotency-Key": "shared-key"}
    mine = api.post(path, json=body(api), headers=headers)
    theirs = other.post(path, json=body(other), headers=headers)
    assert mine.status_code == theirs.status_code == 201
    assert "Idempotent-Replayed" not in theirs.headers
    assert mine.json()[kind]["id"] != theirs.json()[kind]["id"]
    assert _count(api, kind) == _count(other, kind) == 1


@pytest.mark.parametrize("case", CASES)
def test_eight_concurrent_posts_with_one_key_make_one_entity_and_one_answer(
    api: Api, case: str
) -> None:
    path, body, kind = CASES[case]
    headers = {"Idempotency-Key": f"burst-{case}"}
    with ThreadPoolExecutor(max_workers=8) as pool:
        responses = list(
            pool.map(lambda _: api.post(path, json=body(api), headers=headers), range(8))
        )
    assert [r.status_code for r in responses] == [201] * 8, [r.text for r in responses]
    assert len({(r.text, r.headers["ETag"]) for r in responses}) == 1  # identical answers
    assert sum("Idempotent-Replayed" not in r.headers for r in responses) == 1
    assert _count(api, kind) == 1


def test_a_retry_of_a_stopped_timer_answers_the_stop_not_404(api: Api) -> None:
    task = api.create("/v1/tasks", "task", title="Timed")
    assert api.post("/v1/timer", json={"taskId": task["id"]}).status_code == 201
    headers = {"Idempotency-Key": "stop-once"}
    first = api.post("/v1/timer/stop", headers=headers)
    retry = api.post("/v1/timer/stop", headers=headers)
    assert first.status_code == retry.status_code == 200, retry.text
    assert retry.json() == first.json() and retry.headers["Idempotent-Replayed"] == "true"


def test_a_rejected_request_does_not_hold_its_key(api: Api) -> None:
    headers = {"Idempotency-Key": "fix-and-retry"}
    assert_error(
        api.post("/v1/projects", json={"project": {"title": ""}}, headers=headers),
        400,
        "validation_error",
    )
    assert (
        api.post("/v1/projects", json={"project": {"title": "Fixed"}}, headers=headers).status_code
        == 201
    )


def test_key_length_is_bounded(api: Api) -> None:
    headers = {"Idempotency-Key": "k" * 256}
    assert_error(
        api.post("/v1/projects", json={"project": {"title": "x"}}, headers=headers),
        400,
        "validation_error",
    )
    ok = api.post(
        "/v1/projects", json={"project": {"title": "x"}}, headers={"Idempotency-Key": "k" * 255}
    )
    assert ok.status_code == 201

"""`PATCH /v1/tasks/{taskId}`'s bodies, with and without `?event=`: what each answers. The
document gives the body one schema (`TaskPatch`: docs/DESIGN.md, "The OpenAPI document"); the
answers are as they were when it was a union of `{task}` and `{note}`. Called on the real
handler over moto."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from stint.services.users import create_profile

from .handlers import call

NO_BODY = object()
TASK = {"task": {"title": "renamed"}}
CASES: list[tuple[str | None, Any, int]] = [
    # A plain PATCH: `{task}` only.
    (None, TASK, 200),
    (None, NO_BODY, 400),
    (None, {}, 400),
    (None, {"note": "x"}, 400),
    (None, {"task": None}, 400),
    (None, {**TASK, "note": "x"}, 400),
    (None, {"x": 1}, 400),
    (None, [], 400),
    (None, "task", 400),
    # Time Magic's form: `{note}` or nothing.
    ("start_without_tracking", NO_BODY, 200),
    ("start_without_tracking", {}, 200),
    ("start_without_tracking", {"note": "x"}, 200),
    ("start_without_tracking", {"note": None}, 200),
    ("start_without_tracking", {"note": "n" * 10_001}, 400),
    ("start_without_tracking", TASK, 400),
    ("start_without_tracking", {**TASK, "note": "x"}, 400),
    ("start_without_tracking", {"x": 1}, 400),
    ("start_without_tracking", [], 400),
]


@pytest.mark.usefixtures("table")
@pytest.mark.parametrize(("event", "body", "status"), CASES)
def test_each_body_answers_as_it_did(event: str | None, body: Any, status: int) -> None:
    user = f"task-patch-{uuid.uuid4().hex}"
    create_profile(user, f"{user}@example.com", "Ann")
    created = call("tasks", "POST", "/v1/tasks", user, body={"task": {"title": "T"}})
    assert created.status == 201, created.body
    task = created.body["task"]
    answer = call(
        "tasks",
        "PATCH",
        f"/v1/tasks/{task['id']}",
        user,
        body=None if body is NO_BODY else body,
        query={"event": event} if event else None,
    )
    assert answer.status == status, answer.body
    if status == 400:
        assert answer.body["error"]["code"] == "validation_error"
        return
    assert answer.body["task"]["id"] == task["id"]
    if event is None:
        assert answer.body["task"]["title"] == "renamed" and "session" not in answer.body
    else:
        assert answer.body["task"]["status"] == "in_progress"

"""A re-rating page while DynamoDB throttles or fails (docs/DESIGN.md, "Money"):
the page is tried again in the same run, from its reads, so one transient error does not leave
the job (and every page after it) waiting for the queue's visibility timeout; what is not
transient fails the run at once. Errors are injected on the store's client after botocore's
own retries (tests/unit/test_store_faults.py's `inject`)."""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Any

import pytest
from botocore.retries import standard

from stint import rerating
from stint.models import ProjectFields, SessionBatch, TaskFields
from stint.services import batch, catalog
from stint.services.common import Caller
from stint.services.tasks import create_task
from stint.store import Store, dynamodb

from .test_store_faults import cancelled, dynamodb_error, inject

SESSIONS = 5
THROTTLED = dynamodb_error(400, "ProvisionedThroughputExceededException", "slow down")
FAILED = dynamodb_error(500, "InternalServerError", "injected")


@pytest.fixture
def slept(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The page's backoffs, counted and not slept (botocore's retries happen, unslept too)."""
    monkeypatch.setattr(standard.ExponentialBackoff, "delay_amount", lambda self, context: 0)
    attempts: list[int] = []
    monkeypatch.setattr(rerating, "page_backoff", attempts.append)
    return attempts


@pytest.fixture
def repriced(table: str) -> dict[str, Any]:
    """A project at 36 an hour with SESSIONS sessions, its rate then set to 72 (no job run)."""
    user = f"u-{uuid.uuid4()}"
    caller = Caller(user, user)
    project = catalog.create_project(caller, ProjectFields(title="Rated", hourlyRate=36)).entity
    task = create_task(caller, TaskFields(title="T", projectId=project["id"])).entity
    operations = [
        {
            "op": "create",
            "body": {
                "task": {"id": task["id"]},
                "session": {"startTimestamp": f"2026-10-0{1 + n}T09:00:00Z", "duration": 3600},
            },
        }
        for n in range(SESSIONS)
    ]
    batch.run(caller, SessionBatch.model_validate({"atomic": False, "operations": operations}))
    catalog.update_project(caller, project["id"], ProjectFields(hourlyRate=72), None)
    job = rerating.Job(user, personal=True, project_id=str(project["id"]))
    return {"job": job, "store": Store(user)}


def _rates(store: Store) -> list[Decimal]:
    return [r["billableRate"] for r in store.query_all(prefix="SESSION#")]


def _throttled_thrice() -> list[Any]:
    return [THROTTLED] * 3  # botocore's 3 attempts: one error reaches the page


@pytest.mark.parametrize(
    ("operation", "responses"),
    [
        ("Query", _throttled_thrice()),
        ("GetItem", [FAILED] * 3),
        ("BatchGetItem", _throttled_thrice()),
        ("TransactWriteItems", _throttled_thrice()),
        # A cancellation whose reason is throttling: the store's 503 (ServiceUnavailable).
        ("TransactWriteItems", [cancelled("None", "ThrottlingError")]),
    ],
)
def test_a_transient_error_is_tried_again_in_the_same_run(
    repriced: dict[str, Any], slept: list[int], operation: str, responses: list[Any]
) -> None:
    with inject(operation, *responses) as injected:
        written, following = rerating.rerate_page(repriced["job"])
    assert injected.responses == []  # every injected error was met
    assert written == SESSIONS and len(slept) == 1
    assert following is not None and following.sweep and following.cursor is None
    assert _rates(repriced["store"]) == [72] * SESSIONS


def test_a_page_that_keeps_failing_fails_the_run_after_its_attempts(
    repriced: dict[str, Any], slept: list[int]
) -> None:
    with inject("Query", THROTTLED, forever=True), pytest.raises(Exception) as raised:
        rerating.rerate_page(repriced["job"])
    assert "ProvisionedThroughputExceeded" in repr(raised.value)
    assert len(slept) == rerating.PAGE_ATTEMPTS - 1
    assert _rates(repriced["store"]) == [36] * SESSIONS


def test_an_error_that_is_not_transient_fails_the_run_at_once(
    repriced: dict[str, Any], slept: list[int]
) -> None:
    refused = dynamodb_error(400, "ValidationException", "bad request")
    with inject("Query", refused, forever=True), pytest.raises(Exception) as raised:
        rerating.rerate_page(repriced["job"])
    assert "ValidationException" in repr(raised.value) and slept == []


def test_a_page_reads_its_sessions_once(repriced: dict[str, Any]) -> None:
    """The page's Query is what its writes are planned on: no session is read again one by one
    (the commit's budget accounting asks the unit for each session as read)."""
    read_alone: list[str] = []

    def note(params: dict[str, Any], model: Any, **_: Any) -> None:
        if model.name == "GetItem" and params["Key"]["sk"]["S"].startswith("SESSION#"):
            read_alone.append(params["Key"]["sk"]["S"])

    events = dynamodb().meta.events
    events.register("before-parameter-build.dynamodb", note)
    try:
        written, _ = rerating.rerate_page(repriced["job"])
    finally:
        events.unregister("before-parameter-build.dynamodb", note)
    assert written == SESSIONS
    assert read_alone == []

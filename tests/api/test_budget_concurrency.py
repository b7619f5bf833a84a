"""docs/API.md, "Budgets", over HTTP against the shared local stack: 20 members of a workspace
write to one budgeted project at once, across its alert percentages, ten rounds. Each round
delivers exactly one `project.budget_alert` per percentage (one webhook-id, whatever the
receiver's failures make the delivery retry), and with `enforce` the project's total never ends
above its budget (docs/DESIGN.md, "Budgets")."""

from __future__ import annotations

import functools
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
import requests

from tests.api.conftest import Api
from tests.api.test_webhooks import Receiver, serving_receiver
from tests.api.workspace_helpers import create_workspace, join, verified_user

pytestmark = pytest.mark.http  # over HTTP, against the run's shared local stack

WRITERS = 20
ROUNDS = 10
SECONDS = 300  # each writer's session: 20 x 300 s is 6000 s, the budget 3600 s
PERCENTS = [50, 100]


@pytest.fixture(scope="module")
def receiver() -> Iterator[Receiver]:
    with serving_receiver() as receiver:
        yield receiver


def _write(task_id: str, start: threading.Barrier, api: Api) -> str:
    """One session, sent when every writer is ready; retried on a 409 conflict or a 503 that
    says to (docs/API.md, "Errors"); the final status, and the error's code."""
    body = {
        "task": {"id": task_id},
        "session": {"startTimestamp": "2026-11-22T09:00:00Z", "duration": SECONDS},
    }
    start.wait()
    while True:
        response: requests.Response = api.post("/v1/sessions", json=body)
        if response.status_code not in (409, 503) or "Retry-After" not in response.headers:
            code = response.json()["error"]["code"] if response.status_code >= 400 else ""
            return f"{response.status_code} {code}".strip()
        time.sleep(float(response.headers["Retry-After"]))


def test_twenty_writers_cross_the_thresholds_once(
    stack: dict[str, Any], receiver: Receiver
) -> None:
    owner = verified_user(stack)
    workspace = create_workspace(owner, "Budgets")["id"]
    writers = [verified_user(stack) for _ in range(WRITERS)]
    for writer in writers:
        join(owner, workspace, writer)
    path = f"/budget/{time.monotonic_ns()}"
    made = owner.post(
        "/v1/webhooks",
        json={"hookUrl": receiver.url + path, "triggerType": "budget", "workspaceId": workspace},
    )
    assert made.status_code == 201, made.text
    receiver.secrets[path] = made.json()["webhook"]["secret"]
    receiver.fail_first[path] = 1  # every alert's first delivery fails: it is retried

    projects = []
    with ThreadPoolExecutor(WRITERS) as pool:
        for round_ in range(ROUNDS):
            enforce = round_ % 2 == 1
            budget = {"kind": "time", "amount": 1, "alertAt": PERCENTS, "enforce": enforce}
            project = owner.create(
                "/v1/projects", "project", title=f"R{round_}", workspaceId=workspace, budget=budget
            )
            task = owner.create("/v1/tasks", "task", title="Work", projectId=project["id"])
            barrier = threading.Barrier(WRITERS)
            statuses = list(pool.map(functools.partial(_write, task["id"], barrier), writers))
            taken = statuses.count("201")
            assert taken + statuses.count("409 over_budget") == WRITERS, statuses
            report = owner.get(
                "/v1/reports/summary",
                params={
                    "from": "2026-11-22T00:00:00Z",
                    "to": "2026-11-23T00:00:00Z",
                    "workspaceId": workspace,
                    "projectId": project["id"],
                },
            )
            assert report.status_code == 200, report.text
            total = report.json()["totals"]["duration"]
            assert total == taken * SECONDS
            if enforce:
                assert total == 3600, statuses  # never above; 12 of 20 fit exactly
            else:
                assert taken == WRITERS
            projects.append(project["id"])

    def alerts_of(project_id: str, deliveries: Any) -> dict[str, int]:
        """The webhook-ids delivered for a project, and each one's threshold."""
        return {
            d.headers["webhook-id"]: d.verified["data"]["threshold"]
            for d in deliveries
            if d.verified and d.verified["data"]["projectId"] == project_id
        }

    def all_in(deliveries: Any) -> bool:
        ok = [d for d in deliveries if d.verified and d.headers]
        return all(len(alerts_of(p, ok)) >= len(PERCENTS) for p in projects) and all(
            sum(1 for d in ok if d.headers["webhook-id"] == i) >= 2
            for p in projects
            for i in alerts_of(p, ok)
        )

    deliveries = receiver.wait_for(path, all_in, seconds=120)
    time.sleep(3)  # nothing more comes
    deliveries = receiver.at(path)
    for project_id in projects:
        alerts = alerts_of(project_id, deliveries)
        assert sorted(alerts.values()) == PERCENTS, (project_id, alerts)
    for delivery in deliveries:
        assert delivery.verified is not None
        assert delivery.verified["type"] == "project.budget_alert"

"""Re-rating (docs/DESIGN.md, "Money"): a changed rate prices again the sessions it governs,
in the background, a page at a time, exactly once in effect.

In process: the stream record a PATCH makes (its item's old and new images, read from the
table) is handed to the real RerateFunction as Lambda's stream mapping would, and the jobs it
queues are run as the queue's mapping would, until the queue is empty. What the pollers add
(their threads, over HTTP) is the local stack's, tested with webhooks and faults elsewhere."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import boto3
import pytest

from local.queues import lambda_sqs_event
from local.streams import lambda_modify_event
from stint import rerating
from stint.services import rates
from tests import inprocess
from tests.api.conftest import Api
from tests.api.test_sync import sync_all
from tests.api.workspace_helpers import log_session, make_crew, task_in

# The event sources' ARNs the RerateFunction is handed (it reads neither).
STREAM_ARN = "arn:aws:dynamodb:us-east-1:123456789012:table/t/stream/s"
QUEUE_ARN = "arn:aws:sqs:us-east-1:123456789012:rerate"
BATCH = "/v1/sessions/batch"
SESSIONS = 230  # more than two of the re-rating's pages


def _item(stack: dict[str, Any], pk: str, sk: str) -> dict[str, Any]:
    client = boto3.client("dynamodb", region_name=stack["Region"])
    return dict(client.get_item(TableName=stack["TableName"], Key=_key(pk, sk))["Item"])


def _key(pk: str, sk: str) -> dict[str, Any]:
    return {"pk": {"S": pk}, "sk": {"S": sk}}


@pytest.fixture(autouse=True)
def sweep_at_once(monkeypatch: pytest.MonkeyPatch) -> None:
    """The sweep after a job's last page is queued with no delay (this process runs the
    functions), so a test's queue runs it and ends empty."""
    monkeypatch.setattr(rerating, "SWEEP_DELAY_S", 0)


def _run_queue(stack: dict[str, Any], *, until_sweep: bool = False) -> int:
    """Run the re-rating queue's jobs until none is left, as its mapping would (`until_sweep`:
    up to the first sweep, left on the queue); how many."""
    sqs = boto3.client("sqs", region_name=stack["Region"])
    url = stack["RerateQueueUrl"]
    runs = 0
    while messages := sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=1).get("Messages"):
        message = messages[0]
        if until_sweep and rerating.Job.from_message(message["Body"]).sweep:
            sqs.change_message_visibility(
                QueueUrl=url, ReceiptHandle=message["ReceiptHandle"], VisibilityTimeout=0
            )
            break
        event = lambda_sqs_event([message], arn=QUEUE_ARN, region=stack["Region"])
        assert inprocess.stack().invoke("RerateFunction", event) == {"batchItemFailures": []}
        sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
        runs += 1
    return runs


def _patched(stack: dict[str, Any], api: Api, pk: str, sk: str, path: str, body: Any) -> Any:
    """PATCH `path`, and hand the stream record it made to the RerateFunction."""
    old = _item(stack, pk, sk)
    response = api.patch(path, json=body)
    assert response.status_code == 200, response.text
    keys, new = _key(pk, sk), _item(stack, pk, sk)
    event = lambda_modify_event(keys, old, new, arn=STREAM_ARN, region=stack["Region"])
    assert inprocess.stack().invoke("RerateFunction", event) == {"batchItemFailures": []}
    return response.json()


def _new_project_rate(stack: dict[str, Any], api: Api, priced: dict[str, Any], rate: int) -> None:
    project_id = priced["project"]["id"]
    path, body = f"/v1/projects/{project_id}", {"project": {"hourlyRate": rate}}
    _patched(stack, api, priced["pk"], f"PROJECT#{project_id}", path, body)


def _sessions(api: Api, project_id: str) -> dict[str, dict[str, Any]]:
    merged, _, _ = sync_all(api)
    tasks = {t["id"] for t in merged["tasks"].values() if t["projectId"] == project_id}
    return {s["id"]: s for s in merged["sessions"].values() if s["taskId"] in tasks}


def _sessions_listed(api: Api, token: str) -> list[str]:
    """The ids of the sessions every page of the sync from `token` lists (twice: twice)."""
    listed: list[str] = []
    while True:
        page = api.get("/v1/sync", params={"syncToken": token, "limit": 50}).json()
        listed += [s["id"] for s in page.get("sessions", [])]
        token = page["syncToken"]
        if not page["hasMore"]:
            return listed


def _start(n: int) -> str:
    """The n-th session's start: from 2026-10-01 on, a day each (so the first two are locked
    by a `lockedBefore` of 2026-10-03)."""
    return f"2026-{10 + n // 28 % 2:02d}-{1 + n % 28:02d}T{n // 56 % 24:02d}:{n % 60:02d}:00Z"


@pytest.fixture
def priced(api: Api, stack: dict[str, Any]) -> dict[str, Any]:
    """A project at 36 an hour (a cent a second) with SESSIONS sessions of its task, one of
    them running, the first ten locked (before the workspace's `lockedBefore`)."""
    project = api.create("/v1/projects", "project", title="Rated", hourlyRate=36)
    task = api.create("/v1/tasks", "task", title="T", projectId=project["id"])
    for first in range(0, SESSIONS, 100):
        operations = [
            {
                "op": "create",
                "body": {
                    "task": {"id": task["id"]},
                    "session": {
                        "startTimestamp": _start(n),
                        "duration": 60 + n,
                    },
                },
            }
            for n in range(first, min(first + 100, SESSIONS))
        ]
        response = api.post(BATCH, json={"operations": operations, "atomic": False})
        assert response.status_code in (200, 201), response.text
    running = api.post("/v1/timer", json={"taskId": task["id"]})
    assert running.status_code == 201, running.text
    me = api.get("/v1/me").json()
    return {"project": project, "task": task, "pk": f"USER#{me['id']}", "user": me["id"]}


def test_a_new_project_rate_reprices_each_session_exactly_once(
    api: Api, stack: dict[str, Any], priced: dict[str, Any]
) -> None:
    project_id = priced["project"]["id"]
    settings = {"workspace": {"settings": {"lockedBefore": "2026-10-03"}}}
    assert api.patch(f"/v1/workspaces/{priced['user']}", json=settings).status_code == 200
    before = _sessions(api, project_id)
    _, token, _ = sync_all(api)
    _new_project_rate(stack, api, priced, 72)
    # 230 sessions and the running one: three pages, and the sweep's three (no write).
    assert _run_queue(stack) == 6
    after = _sessions(api, project_id)
    changed = {i for i in before if after[i]["lastUpdated"] != before[i]["lastUpdated"]}
    locked = {i for i, s in before.items() if s["startTimestamp"] < "2026-10-03"}
    running = {i for i, s in before.items() if s["running"]}
    assert locked and running and changed == set(before) - locked - running
    for i in changed:
        assert after[i]["billableRate"] == 72
        assert Decimal(str(after[i]["amount"])) == 2 * Decimal(str(before[i]["amount"]))
    for i in locked | running:
        assert after[i] == before[i]
    # The sync after the change lists each re-rated session once.
    assert sorted(_sessions_listed(api, token)) == sorted(changed)
    # A job run again (a redelivery) finds nothing to do.
    again = _patched(
        stack,
        api,
        priced["pk"],
        f"PROJECT#{project_id}",
        f"/v1/projects/{project_id}",
        {"project": {"roundingMinutes": 0}},  # unchanged: no job
    )
    assert again["project"]["hourlyRate"] == 72 and _run_queue(stack) == 0


def test_a_session_priced_on_the_old_rate_after_its_page_is_rerated_by_the_sweep(
    api: Api, stack: dict[str, Any], priced: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A write that read the project before the new rate committed, and committed itself after
    the job had passed its page (a retry, a slow function): the sweep re-rates it, once."""
    project_id = priced["project"]["id"]
    _new_project_rate(stack, api, priced, 72)
    assert _run_queue(stack, until_sweep=True) == 3
    on_time = _sessions(api, project_id)
    real = rates.priced

    def as_read_before(session: Any, task: Any, project: Any, *rest: Any) -> Any:
        return real(session, task, {**project, "hourlyRate": 36}, *rest)

    monkeypatch.setattr(rates, "priced", as_read_before)
    body = {
        "task": {"id": priced["task"]["id"]},
        "session": {"startTimestamp": "2026-11-20T09:00:00Z", "duration": 3600},
    }
    late = api.post("/v1/sessions", json=body).json()["session"]
    monkeypatch.setattr(rates, "priced", real)
    assert (late["billableRate"], late["amount"]) == (36, 36)
    _, token, _ = sync_all(api)
    assert _run_queue(stack) == 3  # the sweep's pages
    swept = api.get(f"/v1/sessions/{late['id']}").json()["session"]
    assert (swept["billableRate"], swept["amount"]) == (72, 72)
    assert _sessions_listed(api, token) == [late["id"]]  # nothing else written again
    assert {i: s for i, s in _sessions(api, project_id).items() if i != late["id"]} == on_time


def test_rerate_false_keeps_past_sessions_as_they_are(
    api: Api, stack: dict[str, Any], priced: dict[str, Any]
) -> None:
    project_id = priced["project"]["id"]
    before = _sessions(api, project_id)
    _patched(
        stack,
        api,
        priced["pk"],
        f"PROJECT#{project_id}",
        f"/v1/projects/{project_id}?rerate=false",
        {"project": {"hourlyRate": 90}},
    )
    assert _run_queue(stack) == 0
    assert _sessions(api, project_id) == before
    # The next session is priced at the new rate.
    body = {
        "task": {"id": priced["task"]["id"]},
        "session": {"startTimestamp": "2026-11-20T09:00:00Z", "duration": 3600},
    }
    written = api.post("/v1/sessions", json=body)
    assert written.status_code == 201 and written.json()["session"]["amount"] == 90
    assert "keepRates" not in api.get(f"/v1/projects/{project_id}").json()["project"]


def test_a_workspace_rate_reprices_what_has_no_rate_of_its_own(
    api: Api, stack: dict[str, Any]
) -> None:
    project = api.create("/v1/projects", "project", title="Unrated")
    task = api.create("/v1/tasks", "task", title="T", projectId=project["id"])
    body = {
        "task": {"id": task["id"]},
        "session": {"startTimestamp": "2026-11-20T09:00:00Z", "duration": 1800},
    }
    session = api.post("/v1/sessions", json=body).json()["session"]
    assert session["amount"] == 0 and session["billableRate"] is None
    me = api.get("/v1/me").json()["id"]
    # The personal workspace's record is made by its first change: from then on its changes
    # re-rate (the first one prices what is written after it).
    assert api.patch(f"/v1/workspaces/{me}", json={"workspace": {"name": "Mine"}}).ok
    _patched(
        stack,
        api,
        f"USER#{me}",
        "WORKSPACE",
        f"/v1/workspaces/{me}",
        {"workspace": {"settings": {"billableRate": 50}}},
    )
    _run_queue(stack)
    repriced = api.get(f"/v1/sessions/{session['id']}").json()["session"]
    assert (repriced["billableRate"], repriced["amount"]) == (50, 25)


def test_sessions_in_a_submitted_period_keep_their_rates(stack: dict[str, Any]) -> None:
    """A member's submitted (or approved) period is locked as `lockedBefore` locks: a new rate
    reaches their later sessions only."""
    crew = make_crew(stack, "Locked rates")
    project = crew.owner.create(
        "/v1/projects", "project", title="Rated", workspaceId=crew.id, hourlyRate=36
    )
    task = task_in(crew.owner, project)
    days = ("2026-11-02", "2026-11-10", "2026-11-20")
    logged = {
        day: log_session(crew.member, task["id"], startTimestamp=f"{day}T09:00:00Z")["id"]
        for day in days
    }
    submitted = crew.member.post(
        f"{crew.path}/approvals", json={"from": "2026-11-01", "to": "2026-11-15"}
    )
    assert submitted.status_code == 201, submitted.text
    pk = f"WS#{crew.id}"
    _patched(
        stack,
        crew.owner,
        pk,
        f"PROJECT#{project['id']}",
        f"/v1/projects/{project['id']}",
        {"project": {"hourlyRate": 72}},
    )
    _run_queue(stack)
    rates = {
        day: crew.owner.get(f"/v1/sessions/{session_id}").json()["session"]["billableRate"]
        for day, session_id in logged.items()
    }
    assert rates == {"2026-11-02": 36, "2026-11-10": 36, "2026-11-20": 72}

"""docs/API.md, "Budgets": a project's budget, its alerts (once per percentage and period) and
its enforcement on every route that writes sessions; the usage kept exact through edits and
deletions (docs/DESIGN.md, "Budgets")."""

from __future__ import annotations

from typing import Any

import boto3

from tests.api.conftest import Api, assert_error
from tests.api.workspace_helpers import uid

START = "2026-11-22T09:30:00+00:00"


def _table(stack: dict[str, Any]) -> Any:
    return boto3.resource("dynamodb", region_name=stack["Region"]).Table(stack["TableName"])


def _items(stack: dict[str, Any], pk: str, prefix: str) -> list[dict[str, Any]]:
    from boto3.dynamodb.conditions import Key

    table = _table(stack)
    found = table.query(
        KeyConditionExpression=Key("pk").eq(pk) & Key("sk").begins_with(prefix), ConsistentRead=True
    )
    return list(found["Items"])


def _pk(api: Api) -> str:
    return f"USER#{uid(api)}"


def _usage(stack: dict[str, Any], api: Api, project_id: str, period: str = "total") -> int:
    found = _items(stack, _pk(api), f"USAGE#{project_id}#{period}")
    return int(found[0]["seconds"]) if found else 0


def _alerts(stack: dict[str, Any], api: Api, project_id: str) -> list[tuple[str, int]]:
    found = _items(stack, _pk(api), f"ALERT#{project_id}#")
    return sorted((str(a["alert"]["periodStart"]), int(a["alert"]["threshold"])) for a in found)


def _project(api: Api, **budget: Any) -> dict[str, Any]:
    body = {"kind": "time", "amount": 1, **budget}
    return api.create("/v1/projects", "project", title="Budgeted", budget=body)


def _task(api: Api, project: dict[str, Any]) -> dict[str, Any]:
    return api.create("/v1/tasks", "task", title="Work", projectId=project["id"])


def _log(api: Api, task: dict[str, Any], duration: int, start: str = START) -> Any:
    session = {"startTimestamp": start, "duration": duration}
    return api.post("/v1/sessions", json={"task": {"id": task["id"]}, "session": session})


def test_a_budget_is_written_and_read(api: Api) -> None:
    project = _project(api, amount=12.5)
    assert project["budget"] == {
        "kind": "time",
        "amount": 12.5,
        "period": "total",
        "alertAt": [80, 100],
        "enforce": False,
    }
    assert api.get(f"/v1/projects/{project['id']}").json()["project"] == project


def test_alerts_once_per_threshold(stack: dict[str, Any], api: Api) -> None:
    project = _project(api, alertAt=[50, 100])
    task = _task(api, project)
    assert _log(api, task, 1000).status_code == 201
    assert _alerts(stack, api, project["id"]) == []
    assert _log(api, task, 1000).status_code == 201
    assert _alerts(stack, api, project["id"]) == [("None", 50)]
    assert _log(api, task, 1000).status_code == 201
    assert _log(api, task, 1000).status_code == 201
    assert _alerts(stack, api, project["id"]) == [("None", 50), ("None", 100)]
    assert _usage(stack, api, project["id"]) == 4000


def test_enforce_refuses_past_the_budget(stack: dict[str, Any], api: Api) -> None:
    project = _project(api, enforce=True)
    task = _task(api, project)
    assert _log(api, task, 3000).status_code == 201
    assert_error(_log(api, task, 601), 409, "over_budget")
    assert _log(api, task, 600).status_code == 201
    assert _usage(stack, api, project["id"]) == 3600
    assert_error(api.post("/v1/timer", json={"taskId": task["id"]}), 409, "over_budget")

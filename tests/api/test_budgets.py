"""docs/API.md, "Budgets": a project's budget, its alerts (once per percentage and period) and
its enforcement on every route that writes sessions; the usage kept exact through edits and
deletions, whatever it was when the budget was set (docs/DESIGN.md, "Budgets")."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import boto3
import pytest
from boto3.dynamodb.conditions import Key
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.api.conftest import Api, assert_error
from tests.api.test_rerating import _patched, _run_queue
from tests.api.workspace_helpers import make_crew, uid

NOVEMBER = "2026-11-22T09:30:00+00:00"
DECEMBER = "2026-12-01T00:00:00+00:00"
HOUR = 3600


def _items(stack: dict[str, Any], pk: str, prefix: str) -> list[dict[str, Any]]:
    table = boto3.resource("dynamodb", region_name=stack["Region"]).Table(stack["TableName"])
    condition = Key("pk").eq(pk) & Key("sk").begins_with(prefix)
    return list(table.query(KeyConditionExpression=condition, ConsistentRead=True)["Items"])


def _pk(workspace: str) -> str:
    return f"USER#{workspace}" if "/" not in workspace else workspace


@pytest.fixture
def space(api: Api) -> str:
    """The partition of the caller's personal workspace."""
    return f"USER#{uid(api)}"


def used(stack: dict[str, Any], pk: str, project_id: str, period: str = "total") -> int:
    found = _items(stack, pk, f"USAGE#{project_id}#{period}")
    return int(found[0].get("seconds", 0)) if found else 0


def alerts(stack: dict[str, Any], pk: str, project_id: str) -> list[tuple[str | None, int]]:
    found = _items(stack, pk, f"ALERT#{project_id}#")
    return sorted(
        ((a["alert"]["periodStart"], int(a["alert"]["threshold"])) for a in found),
        key=lambda alert: (alert[0] or "", alert[1]),
    )


def budgeted(api: Api, workspace: str | None = None, **budget: Any) -> dict[str, Any]:
    fields: dict[str, Any] = {
        "title": "Budgeted",
        "budget": {"kind": "time", "amount": 1, **budget},
    }
    if workspace:
        fields["workspaceId"] = workspace
    return api.create("/v1/projects", "project", **fields)


def task_of(api: Api, project: dict[str, Any]) -> dict[str, Any]:
    return api.create("/v1/tasks", "task", title="Work", projectId=project["id"])


def body(task: dict[str, Any], duration: int | None, start: str = NOVEMBER, **fields: Any) -> Any:
    session = {"startTimestamp": start, "duration": duration, **fields}
    return {"task": {"id": task["id"]}, "session": session}


def log(api: Api, task: dict[str, Any], duration: int | None, start: str = NOVEMBER) -> Any:
    return api.post("/v1/sessions", json=body(task, duration, start))


def logged(api: Api, task: dict[str, Any], duration: int, start: str = NOVEMBER) -> Any:
    response = log(api, task, duration, start)
    assert response.status_code == 201, response.text
    return response.json()["session"]


def ago(seconds: int) -> str:
    return (datetime.now(UTC) - timedelta(seconds=seconds)).isoformat(timespec="seconds")


# ----------------------------------------------------------------------------- the field


def test_a_budget_is_written_read_changed_and_removed(api: Api) -> None:
    project = budgeted(api, amount=12.5)
    assert project["budget"] == {
        "kind": "time",
        "amount": 12.5,
        "period": "total",
        "alertAt": [80, 100],
        "enforce": False,
    }
    path = f"/v1/projects/{project['id']}"
    assert api.get(path).json()["project"] == project
    money = {"kind": "money", "amount": 1000000000000, "period": "month", "alertAt": [100, 50]}
    changed = api.patch(path, json={"project": {"budget": {**money, "enforce": True}}})
    assert changed.status_code == 200, changed.text
    assert changed.json()["project"]["budget"] == {**money, "alertAt": [50, 100], "enforce": True}
    assert api.patch(path, json={"project": {"title": "Renamed"}}).json()["project"]["budget"]
    removed = api.patch(path, json={"project": {"budget": None}})
    assert removed.json()["project"]["budget"] is None
    plain = api.create("/v1/projects", "project", title="Plain")
    assert plain["budget"] is None


@pytest.mark.parametrize(
    ("budget", "field"),
    [
        ({"amount": 1}, "kind"),
        ({"kind": "hours", "amount": 1}, "kind"),
        ({"kind": "time"}, "amount"),
        ({"kind": "time", "amount": 0}, "amount"),
        ({"kind": "time", "amount": -1}, "amount"),
        ({"kind": "time", "amount": 1.001}, "amount"),
        ({"kind": "time", "amount": "1"}, "amount"),
        ({"kind": "time", "amount": True}, "amount"),
        ({"kind": "time", "amount": 100000.01}, "amount"),
        ({"kind": "money", "amount": 1000000000000.01}, "amount"),
        ({"kind": "time", "amount": 1, "period": "week"}, "period"),
        ({"kind": "time", "amount": 1, "alertAt": [0]}, "alertAt"),
        ({"kind": "time", "amount": 1, "alertAt": [101]}, "alertAt"),
        ({"kind": "time", "amount": 1, "alertAt": [80, 80]}, "alertAt"),
        ({"kind": "time", "amount": 1, "alertAt": [50.5]}, "alertAt"),
        ({"kind": "time", "amount": 1, "alertAt": "80"}, "alertAt"),
        ({"kind": "time", "amount": 1, "alertAt": None}, "alertAt"),
        ({"kind": "time", "amount": 1, "enforce": "yes"}, "enforce"),
        ({"kind": "time", "amount": 1, "enforce": None}, "enforce"),
        ({"kind": "time", "amount": 1, "used": 0}, "used"),
        ([], "budget"),
    ],
)
def test_a_bad_budget_is_a_400_naming_the_field(api: Api, budget: Any, field: str) -> None:
    response = api.post("/v1/projects", json={"project": {"title": "B", "budget": budget}})
    error = assert_error(response, 400, "validation_error")
    assert "budget" in response.text and field in response.text, error
    project = api.create("/v1/projects", "project", title="P")
    patched = api.patch(f"/v1/projects/{project['id']}", json={"project": {"budget": budget}})
    assert_error(patched, 400, "validation_error")


def test_an_empty_alert_list_sends_no_alert(stack: dict[str, Any], api: Api, space: str) -> None:
    project = budgeted(api, alertAt=[])
    logged(api, task_of(api, project), 2 * HOUR)
    assert alerts(stack, space, project["id"]) == []


# ----------------------------------------------------------------------------- alerts


def test_each_threshold_alerts_once(stack: dict[str, Any], api: Api, space: str) -> None:
    project = budgeted(api, alertAt=[50, 100])
    task = task_of(api, project)
    logged(api, task, 1000)
    assert alerts(stack, space, project["id"]) == []
    second = logged(api, task, 1000)
    assert alerts(stack, space, project["id"]) == [(None, 50)]
    # Below and across 50 % again: no second alert.
    assert api.delete(f"/v1/sessions/{second['id']}").status_code == 204
    logged(api, task, 1000)
    assert alerts(stack, space, project["id"]) == [(None, 50)]
    logged(api, task, 2000)  # 50 % and 100 % are behind it: only 100 % is new
    assert alerts(stack, space, project["id"]) == [(None, 50), (None, 100)]
    (alert,) = [
        a["alert"]
        for a in _items(stack, space, f"ALERT#{project['id']}#")
        if a["alert"]["threshold"] == 100
    ]
    assert alert == {
        "projectId": project["id"],
        "threshold": 100,
        "used": Decimal("1.11"),
        "budget": 1,
        "period": "total",
        "periodStart": None,
    }
    assert used(stack, space, project["id"]) == 4000


def test_a_monthly_budget_alerts_once_a_month(stack: dict[str, Any], api: Api, space: str) -> None:
    project = budgeted(api, period="month", alertAt=[50, 100])
    task = task_of(api, project)
    logged(api, task, 2000, NOVEMBER)
    logged(api, task, 2000, NOVEMBER)
    logged(api, task, 2000, DECEMBER)
    logged(api, task, 1000, "2026-11-30T23:59:59+00:00")
    november, december = "2026-11-01T00:00:00.000Z", "2026-12-01T00:00:00.000Z"
    assert alerts(stack, space, project["id"]) == [(november, 50), (november, 100), (december, 50)]
    # A session's month is its start's in UTC: 00:30 on the 1st at +01:00 is in November.
    logged(api, task, 1700, "2026-12-01T00:30:00+01:00")
    assert used(stack, space, project["id"], "2026-11") == 6700
    assert used(stack, space, project["id"], "2026-12") == 2000
    assert alerts(stack, space, project["id"])[-1] == (december, 50)


def test_a_budget_set_later_counts_the_time_tracked_before(
    stack: dict[str, Any], api: Api, space: str
) -> None:
    project = api.create("/v1/projects", "project", title="Later")
    task = task_of(api, project)
    logged(api, task, 3000)
    budget = {"kind": "time", "amount": 1, "alertAt": [50, 90], "enforce": True}
    path = f"/v1/projects/{project['id']}"
    assert api.patch(path, json={"project": {"budget": budget}}).status_code == 200
    assert_error(log(api, task, 601), 409, "over_budget")
    logged(api, task, 300)  # the first write after it alerts every threshold it has reached
    assert alerts(stack, space, project["id"]) == [(None, 50), (None, 90)]


def test_a_project_from_before_budgets_is_counted_when_its_budget_is_set(
    stack: dict[str, Any], api: Api, space: str
) -> None:
    """A project whose usage was never kept (made before budgets: its usage items gone here)
    is counted from its sessions by the write that sets its budget."""
    project = api.create("/v1/projects", "project", title="Old")
    task = task_of(api, project)
    logged(api, task, 1000, NOVEMBER)
    logged(api, task, 700, DECEMBER)
    deleted = logged(api, task, 500, "2026-10-05T10:00:00Z")
    table = boto3.resource("dynamodb", region_name=stack["Region"]).Table(stack["TableName"])
    for item in _items(stack, space, f"USAGE#{project['id']}#"):
        table.delete_item(Key={"pk": item["pk"], "sk": item["sk"]})
    assert api.delete(f"/v1/sessions/{deleted['id']}").status_code == 204  # October: -500
    logged(api, task, 300, DECEMBER)  # counted from here on only: a partial total
    assert used(stack, space, project["id"]) == -200
    budget = {"kind": "time", "amount": 1, "period": "month", "alertAt": [25], "enforce": True}
    path = f"/v1/projects/{project['id']}"
    assert api.patch(path, json={"project": {"budget": budget}}).status_code == 200
    assert used(stack, space, project["id"]) == 2000
    assert used(stack, space, project["id"], "2026-11") == 1000
    assert used(stack, space, project["id"], "2026-12") == 1000
    assert used(stack, space, project["id"], "2026-10") == 0
    assert_error(log(api, task, 2601, DECEMBER), 409, "over_budget")
    logged(api, task, 100, DECEMBER)
    assert alerts(stack, space, project["id"]) == [("2026-12-01T00:00:00.000Z", 25)]


def test_breaks_and_running_sessions_count_nothing(
    stack: dict[str, Any], api: Api, space: str
) -> None:
    project = budgeted(api)
    task = task_of(api, project)
    assert api.post("/v1/sessions", json=body(task, 5000, type="break")).status_code == 201
    assert log(api, task, None, ago(100)).status_code == 201
    assert used(stack, space, project["id"]) == 0
    stopped = api.post("/v1/timer/stop", json={})
    assert stopped.status_code == 200
    assert used(stack, space, project["id"]) == stopped.json()["session"]["duration"] >= 100


# ----------------------------------------------------------------------------- usage moves


def test_edits_and_deletions_move_the_usage(stack: dict[str, Any], api: Api, space: str) -> None:
    project, other = budgeted(api), budgeted(api)
    task, elsewhere = task_of(api, project), task_of(api, other)
    session = logged(api, task, 1000)
    path = f"/v1/sessions/{session['id']}"
    assert api.put(path, json=body(task, 1500)).status_code == 200
    assert used(stack, space, project["id"]) == 1500
    assert api.put(path, json=body(task, 1500, DECEMBER)).status_code == 200
    assert used(stack, space, project["id"], "2026-11") == 0
    assert used(stack, space, project["id"], "2026-12") == 1500
    assert api.put(path, json=body(task, 1500, DECEMBER, type="break")).status_code == 200
    assert used(stack, space, project["id"]) == 0
    assert api.put(path, json=body(elsewhere, 700)).status_code == 200
    assert (used(stack, space, project["id"]), used(stack, space, other["id"])) == (0, 700)
    assert api.delete(path).status_code == 204
    assert used(stack, space, other["id"]) == 0


def test_a_task_moved_to_another_project_takes_its_usage_along(
    stack: dict[str, Any], api: Api, space: str
) -> None:
    project, other = budgeted(api), budgeted(api, enforce=True, alertAt=[50])
    task = task_of(api, project)
    logged(api, task, 1000)
    logged(api, task, 1000, DECEMBER)
    moved = api.patch(f"/v1/tasks/{task['id']}", json={"task": {"projectId": other["id"]}})
    assert moved.status_code == 200, moved.text
    assert (used(stack, space, project["id"]), used(stack, space, other["id"])) == (0, 2000)
    assert used(stack, space, other["id"], "2026-12") == 1000
    # The project it moved into counts it: 2000 s of its hour, alerted at the next write.
    assert_error(log(api, task, 1601), 409, "over_budget")
    logged(api, task, 1600)
    assert alerts(stack, space, other["id"]) == [(None, 50)]


def test_a_cascade_takes_its_sessions_usage_away(
    stack: dict[str, Any], api: Api, space: str
) -> None:
    project = budgeted(api)
    task = task_of(api, project)
    logged(api, task, 1000)
    logged(api, task, 500)
    assert api.delete(f"/v1/tasks/{task['id']}?cascade=true").status_code == 204
    assert used(stack, space, project["id"]) == 0


@settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    durations=st.lists(st.integers(0, 604800), min_size=1, max_size=5),
    starts=st.lists(st.sampled_from([NOVEMBER, DECEMBER, "2026-11-30T23:00:00-02:00"]), min_size=5),
    removed=st.sets(st.integers(0, 4)),
)
def test_the_usage_is_the_sum_of_the_sessions(
    stack: dict[str, Any], api: Api, durations: list[int], starts: list[str], removed: set[int]
) -> None:
    project = api.create("/v1/projects", "project", title="Sum")
    task = task_of(api, project)
    space = f"USER#{uid(api)}"
    sessions = [logged(api, task, d, s) for d, s in zip(durations, starts, strict=False)]
    for index in sorted(removed & set(range(len(sessions)))):
        assert api.delete(f"/v1/sessions/{sessions[index]['id']}").status_code == 204
    kept = [s for i, s in enumerate(sessions) if i not in removed]
    assert used(stack, space, project["id"]) == sum(s["duration"] for s in kept)
    for month in ("2026-11", "2026-12"):
        expected = sum(s["duration"] for s in kept if s["startTimestamp"].startswith(month))
        assert used(stack, space, project["id"], month) == expected


# ----------------------------------------------------------------------------- enforcement


def test_enforced_session_writes(stack: dict[str, Any], api: Api, space: str) -> None:
    project = budgeted(api, enforce=True)
    task = task_of(api, project)
    first = logged(api, task, 3000)
    assert_error(log(api, task, 601), 409, "over_budget")
    path = f"/v1/sessions/{first['id']}"
    assert_error(api.put(path, json=body(task, 3601)), 409, "over_budget")
    assert_error(api.put("/v1/sessions/new-one", json=body(task, 601)), 409, "over_budget")
    assert api.put(path, json=body(task, 3600)).status_code == 200  # exactly 100 %
    assert used(stack, space, project["id"]) == HOUR
    # Used up: no new running session, by any route; a shorter one is still taken.
    assert_error(log(api, task, None, ago(10)), 409, "over_budget")
    assert_error(api.post("/v1/timer", json={"taskId": task["id"]}), 409, "over_budget")
    event = api.post(f"/v1/tasks/{task['id']}/events", json={"event": "start_tracking"})
    assert_error(event, 409, "over_budget")
    assert api.get("/v1/timer").json()["timer"] is None
    assert api.put(path, json=body(task, 3000)).status_code == 200
    assert used(stack, space, project["id"]) == 3000


def test_an_enforced_monthly_budget_is_per_month(api: Api) -> None:
    project = budgeted(api, enforce=True, period="month")
    task = task_of(api, project)
    logged(api, task, HOUR, NOVEMBER)
    assert_error(log(api, task, 1, NOVEMBER), 409, "over_budget")
    logged(api, task, HOUR, DECEMBER)


@pytest.mark.parametrize("route", ["timer", "event"])
def test_a_running_timer_stops_past_the_budget(
    stack: dict[str, Any], api: Api, space: str, route: str
) -> None:
    """The time was worked: stopping is allowed, and alerts (docs/API.md, "Budgets")."""
    project = budgeted(api, enforce=True, alertAt=[100])
    task = task_of(api, project)
    started = log(api, task, None, ago(2 * HOUR))
    assert started.status_code == 201, started.text
    if route == "timer":
        stopped = api.post("/v1/timer/stop", json={})
    else:
        stopped = api.post(f"/v1/tasks/{task['id']}/events", json={"event": "stop_tracking"})
    assert stopped.status_code == 200, stopped.text
    assert used(stack, space, project["id"]) >= 2 * HOUR
    assert alerts(stack, space, project["id"]) == [(None, 100)]
    assert_error(log(api, task, None, ago(10)), 409, "over_budget")


def test_a_manager_stops_a_members_timer_past_the_budget(stack: dict[str, Any]) -> None:
    crew = make_crew(stack)
    project = budgeted(crew.owner, crew.id, enforce=True)
    task = task_of(crew.owner, project)
    started = log(crew.member, task, None, ago(2 * HOUR))
    assert started.status_code == 201, started.text
    timer = started.json()["session"]["id"]
    stopped = crew.manager.post(f"/v1/workspaces/{crew.id}/timers/{timer}/stop", json={})
    assert stopped.status_code == 200, stopped.text
    assert used(stack, f"WS#{crew.id}", project["id"]) >= 2 * HOUR
    assert_error(log(crew.member, task, 1), 409, "over_budget")


def test_an_atomic_batch_over_the_budget_fails_whole(
    stack: dict[str, Any], api: Api, space: str
) -> None:
    project, free = budgeted(api, enforce=True), api.create("/v1/projects", "project", title="F")
    task, other = task_of(api, project), task_of(api, free)
    operations = [
        {"op": "create", "body": body(other, 100)},
        {"op": "create", "body": body(task, 2000)},
        {"op": "create", "body": body(task, 2000)},
        {"op": "create", "body": body(other, 100)},
    ]
    refused = api.post("/v1/sessions/batch", json={"atomic": True, "operations": operations})
    assert assert_error(refused, 409, "over_budget")["index"] == 2
    assert used(stack, space, project["id"]) == used(stack, space, free["id"]) == 0
    # Within the budget as a whole: a deletion in the same batch makes room.
    kept = logged(api, task, 2000)
    operations = [
        {"op": "create", "body": body(task, 1600)},
        {"op": "delete", "id": kept["id"]},
        {"op": "create", "body": body(task, 2000)},
    ]
    taken = api.post("/v1/sessions/batch", json={"atomic": True, "operations": operations})
    assert taken.status_code == 200, taken.text
    assert used(stack, space, project["id"]) == 3600


def test_a_non_atomic_batch_refuses_only_the_operation_over_the_budget(
    stack: dict[str, Any], api: Api, space: str
) -> None:
    project = budgeted(api, enforce=True)
    task = task_of(api, project)
    operations = [{"op": "create", "body": body(task, 1500)} for _ in range(3)]
    answer = api.post("/v1/sessions/batch", json={"atomic": False, "operations": operations})
    assert [r["status"] for r in answer.json()["results"]] == [201, 201, 409]
    assert answer.json()["results"][2]["error"]["code"] == "over_budget"
    assert used(stack, space, project["id"]) == 3000


def test_a_money_budget_counts_the_sessions_amounts(
    stack: dict[str, Any], api: Api, space: str
) -> None:
    """The `amount` each session stores (its rate in force, docs/API.md, "Money")."""
    budget = {"kind": "money", "amount": 100, "alertAt": [50, 100], "enforce": True}
    project = api.create("/v1/projects", "project", title="Paid", hourlyRate=100, budget=budget)
    task = task_of(api, project)
    first = logged(api, task, 1800)
    assert first["amount"] == 50
    assert alerts(stack, space, project["id"]) == [(None, 50)]
    assert_error(log(api, task, 1801), 409, "over_budget")
    logged(api, task, 1800)
    assert alerts(stack, space, project["id"]) == [(None, 50), (None, 100)]
    (alert,) = [
        a["alert"]
        for a in _items(stack, space, f"ALERT#{project['id']}#")
        if a["alert"]["threshold"] == 100
    ]
    assert (alert["used"], alert["budget"]) == (100, 100)
    assert_error(api.post("/v1/timer", json={"taskId": task["id"]}), 409, "over_budget")


def test_a_rate_changed_later_moves_a_money_budget_past_100_percent(
    stack: dict[str, Any], api: Api, space: str
) -> None:
    """Re-rating (stint.rerating) prices sessions again: their amounts move the usage, past an
    enforced budget too (nothing new was tracked), and alert; the next write is refused."""
    budget = {"kind": "money", "amount": 100, "alertAt": [100], "enforce": True}
    project = api.create("/v1/projects", "project", title="Paid", hourlyRate=60, budget=budget)
    task = task_of(api, project)
    logged(api, task, 3600)
    path = f"/v1/projects/{project['id']}"
    _patched(stack, api, space, f"PROJECT#{project['id']}", path, {"project": {"hourlyRate": 120}})
    assert _run_queue(stack) >= 1
    (usage,) = _items(stack, space, f"USAGE#{project['id']}#total")
    assert usage["amount"] == 120
    assert alerts(stack, space, project["id"]) == [(None, 100)]
    assert_error(log(api, task, 60), 409, "over_budget")

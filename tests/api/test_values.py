"""Values at the edges, over the real API: refused at once with the error body of docs/API.md,
"Errors", or accepted and written as docs/API.md says; never a 5xx, never an 8 s retry loop
("at once": no wait and no DynamoDB write while refusing, counted by `refused_at_once`)."""

from __future__ import annotations

import base64
from typing import Any

import pytest
import requests

from tests.api.conftest import Api, assert_error, refused_at_once


def _raw(api: Api, method: str, path: str, text: str) -> requests.Response:
    headers = {"content-type": "application/json"}
    return refused_at_once(api, method, path, data=text.encode(), headers=headers)


def _session(start: str, duration: int | None = 60, title: str = "Work") -> dict[str, Any]:
    return {"task": {"title": title}, "session": {"startTimestamp": start, "duration": duration}}


# Regression: a running session started in year 999 was stored as "999-01-01T...": every timer
# route of its user and the workspace's timers answered 502 until it was deleted.
def test_a_running_session_in_year_999_keeps_the_timer_routes_working(api: Api) -> None:
    created = api.post("/v1/sessions", json=_session("0999-01-01T00:00:00Z", None))
    assert created.status_code == 201, created.text
    assert created.json()["session"]["startTimestamp"] == "0999-01-01T00:00:00.000Z"
    timer = api.get("/v1/timer")
    assert timer.status_code == 200, timer.text
    assert timer.json()["timer"]["session"]["startTimestamp"] == "0999-01-01T00:00:00.000Z"
    task_id = created.json()["session"]["taskId"]
    started = api.post("/v1/timer", json={"taskId": task_id})
    assert started.status_code == 201, started.text
    assert started.json()["stopped"]["id"] == created.json()["session"]["id"]
    assert api.post("/v1/timer/stop", json={}).status_code == 200
    workspace = api.create("/v1/workspaces", "workspace", name="Crew")
    assert api.get(f"/v1/workspaces/{workspace['id']}/timers").status_code == 200
    assert (
        api.get(
            f"/v1/workspaces/{api.get('/v1/me').json()['personalWorkspaceId']}/timers"
        ).status_code
        == 200
    )


# Regression: years below 1000 sorted after every four-digit year on `byStart`.
def test_sessions_of_every_century_list_in_time_order(api: Api) -> None:
    starts = ["2026-01-01T00:00:00Z", "0999-06-01T00:00:00Z", "0001-01-02T00:00:00Z"]
    for start in starts:
        assert api.post("/v1/sessions", json=_session(start)).status_code == 201
    listed = [s["startTimestamp"] for s in api.get("/v1/sessions").json()["sessions"]]
    assert listed == sorted(listed) and listed[0].startswith("0001-01-02")
    window = api.get(
        "/v1/sessions", params={"start": "0500-01-01T00:00:00Z", "end": "1500-01-01T00:00:00Z"}
    )
    assert [s["startTimestamp"][:4] for s in window.json()["sessions"]] == ["0999"]


@pytest.mark.parametrize(
    "start", ["0001-01-01T00:00:00Z", "0000-01-01T00:00:00Z", "9999-12-30T00:00:00Z"]
)
def test_timestamps_outside_the_range_are_a_400_naming_the_field(api: Api, start: str) -> None:
    error = assert_error(
        refused_at_once(api, "POST", "/v1/sessions", json=_session(start)), 400, "validation_error"
    )
    assert error["details"][0]["field"] == "session.startTimestamp"


# Regression: groupBy=day with a session whose local day fell outside years 1..9999 was a 502.
@pytest.mark.parametrize("tz", ["Etc/GMT+12", "Pacific/Kiritimati"])
def test_a_report_by_day_at_the_ends_of_the_range(api: Api, tz: str) -> None:
    for start in ["0001-01-02T00:00:00Z", "9999-12-22T23:00:00Z"]:
        assert api.post("/v1/sessions", json=_session(start, 3600)).status_code == 201
    for low, high in [
        ("0001-01-02T00:00:00Z", "0001-06-01T00:00:00Z"),
        ("9999-06-01T00:00:00Z", "9999-12-23T00:00:00Z"),
    ]:
        report = api.get(
            "/v1/reports/summary", params={"from": low, "to": high, "groupBy": "day", "tz": tz}
        )
        assert report.status_code == 200, report.text
        assert report.json()["totals"]["sessions"] == 1


# Regression: JSON nested 10,000 deep or an integer of 5,000 digits was a 502 on every write.
@pytest.mark.parametrize(
    "text",
    [
        '{"project": ' + "[" * 10_000 + "]" * 10_000 + "}",
        '{"project": {"title": "x", "color": ' + "[" * 65 + "]" * 65 + "}}",
        '{"project": {"title": "x", "roundingMinutes": ' + "9" * 5_000 + "}}",
        '{"project": {"title": "x", "roundingMinutes": ' + "9" * 31 + "}}",
        '{"project": {"title": "\\ud800"}}',
        '{"project": {"title": "a\\u0000b"}}',
    ],
    ids=["deep", "65-deep", "5000-digits", "31-digits", "surrogate", "nul"],
)
def test_json_past_the_limits_is_400_invalid_json_at_once(api: Api, text: str) -> None:
    for method, path in [("POST", "/v1/projects"), ("POST", "/v1/sessions")]:
        assert_error(_raw(api, method, path, text), 400, "invalid_json")
    assert [p["title"] for p in api.get("/v1/projects").json()["projects"]] == ["Inbox"]


def _token(text: str) -> str:
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


@pytest.mark.parametrize(
    "inside", ["[" * 10_000 + "]" * 10_000, '{"sk": ' + "1" * 5_000 + "}"], ids=["deep", "digits"]
)
def test_json_past_the_limits_inside_a_token_is_400_invalid_json(api: Api, inside: str) -> None:
    token = _token(inside)
    for path, name in [("/v1/projects", "nextToken"), ("/v1/sessions", "nextToken")]:
        response = refused_at_once(api, "GET", path, params={name: token})
        assert_error(response, 400, "invalid_json")
    assert_error(
        refused_at_once(api, "GET", "/v1/sync", params={"syncToken": token}), 400, "invalid_json"
    )


# Regression: these were retried for 8 s inside the store, then answered 409 "too many
# concurrent writes"; in POST /v1/sessions' task.title the surrogate was a 502.
@pytest.mark.parametrize(
    ("body", "field"),
    [
        (
            {"project": {"title": "x", "plannedDurationHours": 1e308}},
            "project.plannedDurationHours",
        ),
        (
            {"project": {"title": "x", "plannedDurationHours": 100_000.01}},
            "project.plannedDurationHours",
        ),
        ({"project": {"title": "x", "hourlyRate": 1.005}}, "project.hourlyRate"),
    ],
)
def test_numbers_out_of_range_are_a_400_naming_the_field(
    api: Api, body: dict[str, Any], field: str
) -> None:
    error = assert_error(
        refused_at_once(api, "POST", "/v1/projects", json=body), 400, "validation_error"
    )
    assert error["details"][0]["field"] == field


@pytest.mark.parametrize("constant", ["NaN", "Infinity", "-Infinity", "1e400"])
@pytest.mark.parametrize("field", ["plannedDurationHours", "hourlyRate", "roundingMinutes"])
def test_non_finite_numbers_are_a_400_naming_the_field(api: Api, constant: str, field: str) -> None:
    text = '{"project": {"title": "x", "' + field + '": ' + constant + "}}"
    error = assert_error(_raw(api, "POST", "/v1/projects", text), 400, "validation_error")
    assert error["details"][0]["field"] == f"project.{field}"


def test_a_planned_duration_of_4300_digits_is_refused_at_once(api: Api) -> None:
    text = '{"task": {"title": "t", "plannedDuration": ' + "9" * 4_300 + "}}"
    assert_error(_raw(api, "POST", "/v1/tasks", text), 400, "invalid_json")
    big = {"task": {"title": "t", "plannedDuration": 10**12}}
    error = assert_error(
        refused_at_once(api, "POST", "/v1/tasks", json=big), 400, "validation_error"
    )
    assert error["details"][0]["field"] == "task.plannedDuration"


def test_a_lone_surrogate_in_a_session_task_title_is_refused_at_once(api: Api) -> None:
    session = '"session": {"startTimestamp": "2026-01-01T00:00:00Z", "duration": 1}'
    text = '{"task": {"title": "\\udc00"}, ' + session + "}"
    assert_error(_raw(api, "POST", "/v1/sessions", text), 400, "invalid_json")
    assert api.get("/v1/tasks").json()["tasks"] == []


def test_a_nul_in_a_query_parameter_is_a_400(api: Api) -> None:
    response = refused_at_once(api, "GET", "/v1/search", params={"type": "task", "name": "a\x00b"})
    assert_error(response, 400, "validation_error")


# Regression: details named the server's validators: "function-after[_reject_nulls(),
# TaskBody].task.billable".
@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        ("/v1/tasks", {"task": {"title": "t", "billable": None}}, "task.billable"),
        ("/v1/projects", {"project": {"isArchived": None}}, "project.isArchived"),
        (
            "/v1/sessions",
            {"task": {"title": "t"}, "session": {"startTimestamp": None, "duration": 1}},
            "session.startTimestamp",
        ),
    ],
)
def test_details_name_fields_as_the_client_wrote_them(
    api: Api, path: str, body: dict[str, Any], field: str
) -> None:
    error = assert_error(refused_at_once(api, "POST", path, json=body), 400, "validation_error")
    assert [detail["field"] for detail in error["details"]] == [field]


def test_fractional_money_and_hours_round_trip(api: Api) -> None:
    project = api.create(
        "/v1/projects",
        "project",
        title="Exact",
        hourlyRate=95.55,
        plannedBudget=1000.25,
        plannedDurationHours=1.5,
    )
    got = api.get(f"/v1/projects/{project['id']}").json()["project"]
    assert (got["hourlyRate"], got["plannedBudget"], got["plannedDurationHours"]) == (
        95.55,
        1000.25,
        1.5,
    )
    assert api.patch(f"/v1/projects/{project['id']}", json={"project": got}).status_code == 200

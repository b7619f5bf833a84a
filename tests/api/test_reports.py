"""docs/API.md, "Detailed and weekly reports": the summary report, checked against figures worked
out by hand.

The fixture: three projects, four tasks and ten sessions around the end of summer time in
Europe/Berlin (Sunday 2026-10-25: clocks go back from 03:00 CEST to 02:00 CET, so that day has
25 hours, 2026-10-24T22:00Z to 2026-10-25T23:00Z).

    Acme   rate 95.5, up to 15 min (900 s)     Design (billable), Admin (not billable)
    Beta   rate 80,   nearest 6 min (360 s)    Build (billable)
    Gamma  no rate,   down to 10 min (600 s)   Research (billable)

    id  task      start (local, as sent)     UTC          tracked  rounded  amount (exact)
    s0  Design    2026-10-24T00:00:00+02:00  10-23 22:00       60      900  0.25 h x 95.5 = 23.875
    s1  Design    2026-10-24T23:30:00+02:00  10-24 21:30     1000     1800  0.5 h x 95.5 = 47.75
    s2  Design    2026-10-25T00:10:00+02:00  10-24 22:10     3000     3600  1 h x 95.5 = 95.5
    s3  Admin     2026-10-25T02:30:00+02:00  10-25 00:30      600      900  not billable: 0
    s4  Build     2026-10-25T02:30:00+01:00  10-25 01:30     1260     1440  0.4 h x 80 = 32 (*)
    s5  Research  2026-10-25T23:50:00+01:00  10-25 22:50     1799     1200  no rate: 0
    s8  Build     2026-10-26T00:00:00+01:00  10-25 23:00      200      360  0.1 h x 80 = 8 (**)
    b6  Design    break, 2026-10-25T12:00+01:00                300               break
    b7  Build     long-break, 2026-10-26T09:00+01:00           900               break
    out Design    2026-10-23T23:59:59+02:00 (before from) and 2026-10-27T00:00:00+01:00 (= to)

    (*) 1260 s is 3.5 units of 360 s: a half, rounded up to 4 units. (**) 200 s is 0.56 units.

    from = 2026-10-24T00:00:00+02:00 (inclusive), to = 2026-10-27T00:00:00+01:00 (exclusive)
"""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any
from urllib.parse import urlencode

import pytest
import requests

from tests.api.conftest import Api, assert_error, new_api

FROM = "2026-10-24T00:00:00+02:00"
TO = "2026-10-27T00:00:00+01:00"


def money(amount: Any) -> dict[str, Any]:
    """A report's money figures where nothing has a cost rate: the amount is all profit."""
    return {"amount": amount, "cost": 0, "profit": amount}


def report(api: Api, **params: str) -> requests.Response:
    """The summary; `as_csv="1"`: its CSV operation."""
    path = "/v1/reports/summary.csv" if params.pop("as_csv", None) else "/v1/reports/summary"
    return api.get(f"{path}?" + urlencode({"from": FROM, "to": TO, **params}))


def exact_json(response: requests.Response) -> Any:
    """The body with numbers as written: 95 is an int, 95.5 is Decimal("95.5")."""
    assert response.headers["Content-Type"].startswith("application/json"), response.text
    return json.loads(response.text, parse_float=Decimal)


def add_session(api: Api, task_id: str, start: str, duration: int | None, **fields: Any) -> None:
    session = {"startTimestamp": start, "duration": duration, **fields}
    response = api.post("/v1/sessions", json={"task": {"id": task_id}, "session": session})
    assert response.status_code == 201, response.text


@pytest.fixture(scope="module")
def fixture(stack: dict[str, Any]) -> dict[str, Any]:
    api = new_api(stack)
    acme = api.create(
        "/v1/projects",
        "project",
        title="Acme",
        hourlyRate=95.5,
        roundingMethod="up",
        roundingMinutes=15,
        plannedDurationHours=40,
        plannedBudget=3820.5,
    )
    beta = api.create(
        "/v1/projects",
        "project",
        title="Beta",
        hourlyRate=80,
        roundingMethod="nearest",
        roundingMinutes=6,
    )
    gamma = api.create(
        "/v1/projects", "project", title="=Gamma", roundingMethod="down", roundingMinutes=10
    )
    design = api.create("/v1/tasks", "task", title="Design", projectId=acme["id"])
    admin = api.create("/v1/tasks", "task", title="Admin", projectId=acme["id"], billable=False)
    build = api.create("/v1/tasks", "task", title="Build", projectId=beta["id"])
    research = api.create("/v1/tasks", "task", title="Research", projectId=gamma["id"])
    add_session(api, design["id"], "2026-10-24T00:00:00+02:00", 60)  # s0
    add_session(api, design["id"], "2026-10-24T23:30:00+02:00", 1000)  # s1
    add_session(api, design["id"], "2026-10-25T00:10:00+02:00", 3000)  # s2
    add_session(api, admin["id"], "2026-10-25T02:30:00+02:00", 600)  # s3
    add_session(api, build["id"], "2026-10-25T02:30:00+01:00", 1260)  # s4
    add_session(api, research["id"], "2026-10-25T23:50:00+01:00", 1799)  # s5
    add_session(api, build["id"], "2026-10-26T00:00:00+01:00", 200)  # s8
    add_session(api, design["id"], "2026-10-25T12:00:00+01:00", 300, type="break")  # b6
    add_session(api, build["id"], "2026-10-26T09:00:00+01:00", 900, type="long-break")  # b7
    add_session(api, design["id"], "2026-10-23T23:59:59+02:00", 5000)  # before `from`
    add_session(api, design["id"], TO, 5000)  # at `to`: excluded
    return {
        "api": api,
        "acme": acme,
        "beta": beta,
        "gamma": gamma,
        "tasks": {t["title"]: t["id"] for t in (design, admin, build, research)},
    }


# Totals, whatever the grouping:
#   sessions 7 (s0 s1 s2 s3 s4 s5 s8; breaks and the two outside the range do not count)
#   duration 60+1000+3000+600+1260+1799+200 = 7919
#   roundedDuration 900+1800+3600+900+1440+1200+360 = 10200
#   billableDuration 10200 - 900 (s3, Admin) = 9300
#   amount 23.875+47.75+95.5+32+8 = 207.125 exact -> 207.13 (half up)
#   breakDuration 300+900 = 1200
TOTALS = {
    "sessions": 7,
    "duration": 7919,
    "roundedDuration": 10200,
    "billableDuration": 9300,
    **money(Decimal("207.13")),
    "breakDuration": 1200,
}


def test_by_project(fixture: dict[str, Any]) -> None:
    response = report(fixture["api"], groupBy="project")
    assert response.status_code == 200, response.text
    body = exact_json(response)
    assert body["from"] == "2026-10-23T22:00:00.000Z" and body["to"] == "2026-10-26T23:00:00.000Z"
    assert (body["tz"], body["groupBy"]) == ("UTC", "project")
    assert body["totals"] == TOTALS
    # Ordered by title: "=Gamma" < "Acme" < "Beta".
    # Acme: s0 s1 s2 s3: 60+1000+3000+600 = 4660 s; 900+1800+3600+900 = 7200; billable 6300
    #   = 1.75 h x 95.5 = 167.125 -> 167.13 (its remainder, .5 cent, takes the total's last cent)
    # Beta: s4 s8: 1260+200 = 1460; 1440+360 = 1800, all billable; 0.5 h x 80 = 40
    # Gamma: s5: 1799; 1200; billable 1200 but no rate: 0
    assert body["groups"] == [
        {
            "id": fixture["gamma"]["id"],
            "title": "=Gamma",
            "sessions": 1,
            "duration": 1799,
            "roundedDuration": 1200,
            "billableDuration": 1200,
            **money(0),
            "plannedDurationHours": None,
            "plannedBudget": None,
        },
        {
            "id": fixture["acme"]["id"],
            "title": "Acme",
            "sessions": 4,
            "duration": 4660,
            "roundedDuration": 7200,
            "billableDuration": 6300,
            **money(Decimal("167.13")),
            "plannedDurationHours": 40,
            "plannedBudget": Decimal("3820.5"),
        },
        {
            "id": fixture["beta"]["id"],
            "title": "Beta",
            "sessions": 2,
            "duration": 1460,
            "roundedDuration": 1800,
            "billableDuration": 1800,
            **money(40),
            "plannedDurationHours": None,
            "plannedBudget": None,
        },
    ]


def test_by_task(fixture: dict[str, Any]) -> None:
    body = exact_json(report(fixture["api"], groupBy="task"))
    assert body["totals"] == TOTALS
    tasks = fixture["tasks"]
    figures = ("sessions", "duration", "roundedDuration", "billableDuration", "amount")
    # Admin s3: not billable. Build s4 s8. Design s0 s1 s2: 60+1000+3000 = 4060; 900+1800+3600
    # = 6300 = 1.75 h x 95.5 = 167.125 -> 167.13. Research s5.
    assert [(g["id"], g["title"], *(g[f] for f in figures)) for g in body["groups"]] == [
        (tasks["Admin"], "Admin", 1, 600, 900, 0, 0),
        (tasks["Build"], "Build", 2, 1460, 1800, 1800, 40),
        (tasks["Design"], "Design", 3, 4060, 6300, 6300, Decimal("167.13")),
        (tasks["Research"], "Research", 1, 1799, 1200, 1200, 0),
    ]
    assert all("plannedBudget" not in g for g in body["groups"])


def test_by_day_in_berlin_over_the_25_hour_day(fixture: dict[str, Any]) -> None:
    body = exact_json(report(fixture["api"], groupBy="day", tz="Europe/Berlin"))
    assert body["tz"] == "Europe/Berlin"
    assert body["totals"] == TOTALS
    figures = ("sessions", "duration", "roundedDuration", "billableDuration", "amount")
    # Each session counts on the day (in Berlin) it starts:
    # 10-24: s0 s1: 60+1000 = 1060; 900+1800 = 2700; 23.875+47.75 = 71.625
    # 10-25 (25 h, from 22:00Z the day before to 23:00Z): s2 s3 s4 s5 (s5 starts 23:50 CET,
    #   22:50Z): 3000+600+1260+1799 = 6659; 3600+900+1440+1200 = 7140; billable 7140-900 = 6240;
    #   95.5+0+32+0 = 127.5
    # 10-26: s8 (00:00 CET): 200; 360; 8
    # Cents: floors 7162 + 12750 + 800 = 20712 of 20713: the extra cent goes to the largest
    # remainder, 10-24's (.5): 71.63 + 127.50 + 8.00 = 207.13.
    assert [(g["id"], g["title"], *(g[f] for f in figures)) for g in body["groups"]] == [
        ("2026-10-24", "2026-10-24", 2, 1060, 2700, 2700, Decimal("71.63")),
        ("2026-10-25", "2026-10-25", 4, 6659, 7140, 6240, Decimal("127.5")),
        ("2026-10-26", "2026-10-26", 1, 200, 360, 360, 8),
    ]


def test_by_day_in_utc_puts_the_same_sessions_on_other_days(fixture: dict[str, Any]) -> None:
    body = exact_json(report(fixture["api"], groupBy="day"))
    assert body["totals"] == TOTALS
    # UTC days: 10-23: s0 (23.875); 10-24: s1 s2 (47.75+95.5 = 143.25); 10-25: s3 s4 s5 s8
    # (0+32+0+8 = 40). Floors 2387 + 14325 + 4000 = 20712: the cent goes to 10-23 (.5).
    assert [(g["id"], g["sessions"], g["amount"]) for g in body["groups"]] == [
        ("2026-10-23", 1, Decimal("23.88")),
        ("2026-10-24", 2, Decimal("143.25")),
        ("2026-10-25", 4, 40),
    ]


def test_project_filter(fixture: dict[str, Any]) -> None:
    body = exact_json(report(fixture["api"], projectId=fixture["acme"]["id"], groupBy="task"))
    # Acme only: s0 s1 s2 s3 and the break b6 (on Design); 167.125 -> 167.13.
    assert body["totals"] == {
        "sessions": 4,
        "duration": 4660,
        "roundedDuration": 7200,
        "billableDuration": 6300,
        **money(Decimal("167.13")),
        "breakDuration": 300,
    }
    assert [g["title"] for g in body["groups"]] == ["Admin", "Design"]


def test_csv(fixture: dict[str, Any]) -> None:
    response = report(fixture["api"], groupBy="project", as_csv="1")
    assert response.status_code == 200, response.text
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert response.content.startswith(b"\xef\xbb\xbf")  # UTF-8 BOM, for spreadsheets
    text = response.content.decode("utf-8-sig")
    assert text.endswith("\r\n")
    rows = list(csv.reader(io.StringIO(text)))
    assert rows == [
        [
            "id",
            "title",
            "sessions",
            "duration",
            "roundedDuration",
            "billableDuration",
            "amount",
            "cost",
            "profit",
            "plannedDurationHours",
            "plannedBudget",
        ],
        # "=Gamma" is written "'=Gamma", so that a spreadsheet shows it and runs nothing.
        [
            fixture["gamma"]["id"],
            "'=Gamma",
            "1",
            "1799",
            "1200",
            "1200",
            "0.00",
            "0.00",
            "0.00",
            "",
            "",
        ],
        [
            fixture["acme"]["id"],
            "Acme",
            "4",
            "4660",
            "7200",
            "6300",
            "167.13",
            "0.00",
            "167.13",
            "40",
            "3820.5",
        ],
        [
            fixture["beta"]["id"],
            "Beta",
            "2",
            "1460",
            "1800",
            "1800",
            "40.00",
            "0.00",
            "40.00",
            "",
            "",
        ],
    ]
    by_day = report(fixture["api"], groupBy="day", tz="Europe/Berlin", as_csv="1")
    rows = list(csv.reader(io.StringIO(by_day.content.decode("utf-8-sig"))))
    assert rows[0][-3:] == ["amount", "cost", "profit"]
    assert [row[0] for row in rows[1:]] == ["2026-10-24", "2026-10-25", "2026-10-26"]
    assert [row[-1] for row in rows[1:]] == ["71.63", "127.50", "8.00"]


def test_the_23_hour_day(api: Api) -> None:
    # 2026-03-29 in Berlin: 02:00 CET jumps to 03:00 CEST; the day runs 23:00Z to 22:00Z.
    project = api.create("/v1/projects", "project", title="P", hourlyRate=60)
    task = api.create("/v1/tasks", "task", title="T", projectId=project["id"])
    add_session(api, task["id"], "2026-03-29T00:30:00+01:00", 600)  # 03-28 23:30Z
    add_session(api, task["id"], "2026-03-29T03:30:00+02:00", 1200)  # 03-29 01:30Z
    add_session(api, task["id"], "2026-03-29T23:30:00+02:00", 1800)  # 03-29 21:30Z
    add_session(api, task["id"], "2026-03-30T00:15:00+02:00", 2400)  # 03-29 22:15Z
    query = {"from": "2026-03-28T00:00:00Z", "to": "2026-03-31T00:00:00Z", "groupBy": "day"}
    berlin = exact_json(
        api.get("/v1/reports/summary?" + urlencode({**query, "tz": "Europe/Berlin"}))
    )
    # Berlin: 03-29 has the first three (600+1200+1800 = 3600 s = 1 h x 60 = 60), 03-30 the
    # last (2400 s = 2/3 h x 60 = 40).
    assert [(g["id"], g["duration"], g["amount"]) for g in berlin["groups"]] == [
        ("2026-03-29", 3600, 60),
        ("2026-03-30", 2400, 40),
    ]
    utc = exact_json(api.get("/v1/reports/summary?" + urlencode(query)))
    # UTC: 03-28 the first (600 s = 10), 03-29 the rest (5400 s = 90).
    assert [(g["id"], g["duration"], g["amount"]) for g in utc["groups"]] == [
        ("2026-03-28", 600, 10),
        ("2026-03-29", 5400, 90),
    ]


def test_running_session_counts_up_to_now(api: Api) -> None:
    project = api.create("/v1/projects", "project", title="Live", hourlyRate=36)
    task = api.create("/v1/tasks", "task", title="Now", projectId=project["id"])
    started = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=2)
    add_session(api, task["id"], started.isoformat(), None)
    query = {
        "from": (started - timedelta(hours=1)).isoformat(),
        "to": (started + timedelta(days=1)).isoformat(),
    }
    totals = exact_json(api.get("/v1/reports/summary?" + urlencode(query)))["totals"]
    # Two hours and the few seconds the test took; no rounding (roundingMinutes 0).
    assert 7200 <= totals["duration"] <= 7260
    assert totals["roundedDuration"] == totals["billableDuration"] == totals["duration"]
    # 36 an hour is 1 cent a second: the amount is the seconds, in cents, exactly.
    assert totals["amount"] == Decimal(totals["duration"]) / 100
    assert totals["sessions"] == 1


def test_empty_report(api: Api) -> None:
    body = exact_json(report(api, groupBy="day", tz="Europe/Berlin"))
    assert body["groups"] == []
    assert body["totals"] == {
        "sessions": 0,
        "duration": 0,
        "roundedDuration": 0,
        "billableDuration": 0,
        **money(0),
        "breakDuration": 0,
    }
    text = report(api, as_csv="1").content.decode("utf-8-sig")
    assert text.splitlines()[1:] == []


def test_another_users_data_never_appears(fixture: dict[str, Any], stack: dict[str, Any]) -> None:
    stranger = new_api(stack)
    project = stranger.create("/v1/projects", "project", title="Theirs", hourlyRate=1000)
    task = stranger.create("/v1/tasks", "task", title="Theirs", projectId=project["id"])
    add_session(stranger, task["id"], "2026-10-25T10:00:00+01:00", 3600)
    # The fixture's figures are untouched, and the stranger sees only their own session.
    assert exact_json(report(fixture["api"]))["totals"] == TOTALS
    theirs = exact_json(report(stranger))
    assert theirs["totals"]["amount"] == 1000
    assert [g["id"] for g in theirs["groups"]] == [project["id"]]
    # Someone else's project id is a 404 both ways.
    assert_error(report(stranger, projectId=fixture["acme"]["id"]), 404, "not_found")
    assert_error(report(fixture["api"], projectId=project["id"]), 404, "not_found")


@pytest.mark.parametrize(
    "params",
    [
        {"from": None},
        {"to": None},
        {"from": "2026-10-24T00:00:00"},  # no offset
        {"from": "yesterday"},
        {"to": "2026-10-24T00:00:00+02:00"},  # to == from
        {"to": "2026-10-23T00:00:00+02:00"},  # to before from
        {"to": "2027-10-27T00:00:00+01:00"},  # more than 367 days
        {"tz": "Mars/Olympus_Mons"},
        {"tz": "../../etc/passwd"},
        {"tz": ""},
        {"groupBy": "week"},
    ],
)
def test_bad_parameters_are_400(fixture: dict[str, Any], params: dict[str, str | None]) -> None:
    query = {"from": FROM, "to": TO, **params}
    response = fixture["api"].get(
        "/v1/reports/summary?" + urlencode({k: v for k, v in query.items() if v is not None})
    )
    error = assert_error(response, 400, "validation_error")
    assert next(iter(params)) in error["message"]


def test_unknown_project_is_404(fixture: dict[str, Any]) -> None:
    assert_error(report(fixture["api"], projectId="no-such-project"), 404, "not_found")
    assert_error(report(fixture["api"], projectId="not an id!"), 404, "not_found")


# The reports' 404 names `workspaceId` with `projectId`, `taskId` and `tagId` (openapi.json,
# functions/reports/app.py NOT_FOUND); the fuzz suite took the 400 for an argued refusal (an id
# that names nothing), as GET /v1/sessions, which documents no 404, answers.
@pytest.mark.parametrize("path", ["summary", "summary.csv", "detailed", "weekly"])
def test_an_unknown_workspace_is_404(fixture: dict[str, Any], path: str) -> None:
    window = {"from": "2026-10-19"} if path == "weekly" else {"from": FROM, "to": TO}
    query = urlencode({**window, "workspaceId": "no-such-workspace"})
    assert_error(fixture["api"].get(f"/v1/reports/{path}?{query}"), 404, "not_found")

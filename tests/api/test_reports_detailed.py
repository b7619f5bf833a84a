"""docs/API.md, "Detailed and weekly reports" and "Tags": reports by tag, the detailed and the
weekly report.

The figures of the detailed and weekly reports over test_reports' fixture are worked out here
from the table in test_reports' docstring.
"""

from __future__ import annotations

import csv
import io
from decimal import Decimal
from fractions import Fraction
from typing import Any
from urllib.parse import urlencode

from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from stint.billing import round_duration, to_cents
from tests.api.conftest import Api, assert_error
from tests.api.test_reports import FROM, TO, TOTALS, exact_json, fixture  # noqa: F401

DETAILED = "/v1/reports/detailed"


def get(api: Api, path: str, **params: Any) -> Any:
    return api.get(f"{path}?{urlencode(params)}")


def all_pages(api: Api, limit: int, **params: Any) -> tuple[list[dict[str, Any]], list[Any]]:
    """Every entry, following nextToken; and each page's totals."""
    entries: list[dict[str, Any]] = []
    totals = []
    token = None
    while True:
        query = {**params, "limit": limit, **({"nextToken": token} if token else {})}
        response = get(api, DETAILED, **query)
        assert response.status_code == 200, response.text
        body = exact_json(response)
        assert len(body["entries"]) <= limit
        entries += body["entries"]
        totals.append(body["totals"])
        token = body.get("nextToken")
        if not token:
            return entries, totals
        assert 'rel="next"' in response.headers["Link"]


def test_detailed_entries_of_the_fixture(fixture: dict[str, Any]) -> None:  # noqa: F811
    api, tasks = fixture["api"], fixture["tasks"]
    entries, totals = all_pages(api, 3, **{"from": FROM, "to": TO, "tz": "Europe/Berlin"})
    assert totals == [TOTALS] * 3, "the whole range's totals on every page"
    # By start: s0 s1 s2 s3 s4 s5 s8. 207.125 exact is 207.13: s0's 23.875 takes the last cent.
    assert [e["task"]["id"] for e in entries] == [
        tasks[t] for t in ("Design", "Design", "Design", "Admin", "Build", "Research", "Build")
    ]
    assert [e["amount"] for e in entries] == [
        Decimal(a) for a in ("23.88", "47.75", "95.5", "0", "32", "0", "8")
    ]
    assert sum(e["amount"] for e in entries) == TOTALS["amount"]
    assert [e["date"] for e in entries] == [
        "2026-10-24",
        "2026-10-24",
        "2026-10-25",
        "2026-10-25",
        "2026-10-25",
        "2026-10-25",
        "2026-10-26",
    ]
    first = entries[0]
    assert set(first) == {
        "sessionId",
        "startTimestamp",
        "endTimestamp",
        "date",
        "project",
        "task",
        "subtask",
        "tags",
        "note",
        "duration",
        "roundedDuration",
        "billable",
        "hourlyRate",
        "amount",
        "cost",
        "profit",
    }
    assert first["project"] == {"id": fixture["acme"]["id"], "title": "Acme"}
    assert (first["duration"], first["roundedDuration"], first["hourlyRate"]) == (
        60,
        900,
        Decimal("95.5"),
    )
    assert first["subtask"] is None and first["tags"] == []
    assert [e["billable"] for e in entries].count(False) == 1  # Admin
    # Filters.
    admin, _ = all_pages(api, 100, **{"from": FROM, "to": TO, "billable": "false"})
    assert [e["task"]["id"] for e in admin] == [tasks["Admin"]]
    build, _ = all_pages(api, 100, **{"from": FROM, "to": TO, "taskId": tasks["Build"]})
    assert len(build) == 2
    beta, _ = all_pages(api, 100, **{"from": FROM, "to": TO, "projectId": fixture["beta"]["id"]})
    assert [e["amount"] for e in beta] == [Decimal(32), Decimal(8)]


def test_detailed_csv_is_every_entry_in_one_answer(fixture: dict[str, Any]) -> None:  # noqa: F811
    response = get(fixture["api"], DETAILED + ".csv", **{"from": FROM, "to": TO})
    assert response.status_code == 200 and response.headers["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0][:4] == ["sessionId", "startTimestamp", "endTimestamp", "date"]
    assert len(rows) == 1 + 7
    gamma = next(row for row in rows if row[4] == fixture["gamma"]["id"])
    assert gamma[5] == "'=Gamma", "a formula cell is neutralised"
    assert rows[0][-3:] == ["amount", "cost", "profit"]
    assert sum(Decimal(row[-3]) for row in rows[1:]) == TOTALS["amount"]


def test_weekly_of_the_fixture(fixture: dict[str, Any]) -> None:  # noqa: F811
    api = fixture["api"]
    response = get(api, "/v1/reports/weekly", **{"from": "2026-10-24", "tz": "Europe/Berlin"})
    assert response.status_code == 200, response.text
    body = exact_json(response)
    assert body["days"] == [f"2026-10-{d}" for d in range(24, 31)]
    assert (body["from"], body["to"], body["groupBy"]) == ("2026-10-24", "2026-10-31", "project")
    # The week holds the session at the fixture's `to` (10-27, 5000 s up to 15 min: 5400 s,
    # 1.5 h x 95.5 = 143.25) and not the one before `from`.
    groups = {g["title"]: g for g in body["groups"]}
    assert [g["title"] for g in body["groups"]] == ["=Gamma", "Acme", "Beta"]
    assert groups["Acme"]["days"] == [2700, 4500, 0, 5400, 0, 0, 0]
    assert groups["Acme"]["roundedDuration"] == 12600
    assert groups["Acme"]["amount"] == Decimal("310.38")  # 310.375, the remainder's cent
    assert groups["Beta"]["days"] == [0, 1440, 360, 0, 0, 0, 0]
    assert groups["Beta"]["amount"] == 40
    assert body["totals"] == {
        "days": [2700, 7140, 360, 5400, 0, 0, 0],
        "roundedDuration": 15600,
        "amount": Decimal("350.38"),
        "cost": 0,
        "profit": Decimal("350.38"),
    }
    as_csv = get(api, "/v1/reports/weekly.csv", **{"from": "2026-10-24", "tz": "Europe/Berlin"})
    rows = list(csv.reader(io.StringIO(as_csv.content.decode("utf-8-sig"))))
    assert rows[0] == ["id", "title", *body["days"], "roundedDuration", "amount", "cost", "profit"]
    assert rows[1][1] == "'=Gamma"
    assert rows[-1] == [
        "",
        "Total",
        "2700",
        "7140",
        "360",
        "5400",
        "0",
        "0",
        "0",
        "15600",
        "350.38",
        "0.00",
        "350.38",
    ]
    by_task = exact_json(
        get(api, "/v1/reports/weekly", **{"from": "2026-10-24", "groupBy": "task"})
    )
    assert {g["title"] for g in by_task["groups"]} == {"Design", "Admin", "Build", "Research"}


def test_weekly_and_detailed_refusals(fixture: dict[str, Any], other: Api) -> None:  # noqa: F811
    api = fixture["api"]
    for bad in ("2026-02-30", "20261024", "2026-10-24T00:00:00Z", "9999-12-30", "0001-01-01"):
        error = assert_error(
            get(api, "/v1/reports/weekly", **{"from": bad}), 400, "validation_error"
        )
        assert "from" in error["message"]
    assert_error(
        get(api, "/v1/reports/weekly", **{"from": "2026-10-24", "groupBy": "day"}),
        400,
        "validation_error",
    )
    assert_error(
        get(api, "/v1/reports/weekly", **{"from": "2026-10-24", "tz": "Nowhere"}),
        400,
        "validation_error",
    )
    window = {"from": FROM, "to": TO}
    assert_error(get(api, DETAILED, **window, nextToken="garbage"), 400, "validation_error")
    assert_error(get(api, DETAILED, **window, limit=501), 400, "validation_error")
    assert_error(get(api, DETAILED, **window, billable="maybe"), 400, "validation_error")
    for name in ("projectId", "taskId", "tagId"):
        assert_error(get(api, DETAILED, **window, **{name: "nope"}), 404, "not_found")
    # Another user's ids are not found, and their data never appears.
    acme = fixture["acme"]["id"]
    assert_error(get(other, DETAILED, **window, projectId=acme), 404, "not_found")
    assert_error(
        get(other, DETAILED, **window, taskId=fixture["tasks"]["Design"]), 404, "not_found"
    )
    assert exact_json(get(other, DETAILED, **window))["entries"] == []


def test_reports_by_tag(api: Api, other: Api) -> None:
    project = api.create("/v1/projects", "project", title="P", hourlyRate=10)
    task = api.create("/v1/tasks", "task", title="T", projectId=project["id"])

    def add(start: str, seconds: int, tags: list[str]) -> None:
        body = {
            "task": {"id": task["id"]},
            "session": {"startTimestamp": start, "duration": seconds, "tags": tags},
        }
        assert api.post("/v1/sessions", json=body).status_code == 201

    add("2026-03-02T09:00:00Z", 3600, ["client", "call"])  # 10.00 in both groups
    add("2026-03-03T09:00:00Z", 1800, ["client"])  # 5.00
    add("2026-03-04T09:00:00Z", 1000, [])  # 2.777... untagged
    tags = {t["name"]: t["id"] for t in api.get("/v1/tags").json()["tags"]}
    window = {"from": "2026-03-02T00:00:00Z", "to": "2026-03-09T00:00:00Z"}
    body = exact_json(get(api, "/v1/reports/summary", **window, groupBy="tag"))
    assert [(g["id"], g["title"], g["sessions"], g["amount"]) for g in body["groups"]] == [
        (tags["call"], "call", 1, 10),
        (tags["client"], "client", 2, 15),
        (None, None, 1, Decimal("2.78")),
    ]
    assert body["totals"]["sessions"] == 3, "each session counted once in the totals"
    assert body["totals"]["amount"] == Decimal("17.78")
    client = exact_json(get(api, "/v1/reports/summary", **window, tagId=tags["client"]))
    assert client["totals"]["sessions"] == 2 and client["totals"]["amount"] == 15
    assert_error(
        get(other, "/v1/reports/summary", **window, tagId=tags["client"]), 404, "not_found"
    )
    week = exact_json(get(api, "/v1/reports/weekly", **{"from": "2026-03-02", "groupBy": "tag"}))
    assert [g["days"] for g in week["groups"]] == [
        [3600, 0, 0, 0, 0, 0, 0],
        [3600, 1800, 0, 0, 0, 0, 0],
        [0, 0, 1000, 0, 0, 0, 0],
    ]
    assert week["totals"]["days"] == [3600, 1800, 1000, 0, 0, 0, 0]
    entries = exact_json(get(api, DETAILED, **window, tagId=tags["call"]))["entries"]
    assert [[t["name"] for t in e["tags"]] for e in entries] == [["client", "call"]]


# ----------------------------------------------------------------------------- pages add up

RATES = st.one_of(
    st.none(),
    st.decimals(Decimal("0.01"), Decimal(1000), places=2),
    st.sampled_from([Decimal("95.55"), Decimal("0.01"), Decimal(7)]),
)
PROJECTS = st.tuples(
    RATES, st.sampled_from(["down", "nearest", "up"]), st.sampled_from([0, 1, 6, 15])
)
SESSIONS = st.lists(
    st.tuples(st.integers(0, 2), st.integers(0, 30_000), st.booleans()), min_size=1, max_size=10
)


def test_detailed_pages_add_up_to_the_totals_to_the_cent(api: Api) -> None:
    """For any sessions (hypothesis): the entries of all pages add up to the totals the pages
    carry, which are the exact sum rounded to the cent, and each entry is within a cent of its
    exact amount."""
    day = iter(range(1, 10_000))

    @settings(
        max_examples=12,
        deadline=None,
        database=None,
        derandomize=True,
        suppress_health_check=list(HealthCheck),
        phases=[Phase.explicit, Phase.generate],
    )
    @given(
        projects=st.lists(PROJECTS, min_size=3, max_size=3),
        sessions=SESSIONS,
        limit=st.integers(1, 4),
    )
    def example(projects: list[Any], sessions: list[Any], limit: int) -> None:
        start = f"{2030 + next(day):04d}-01-01T"
        made = []
        for rate, method, minutes in projects:
            project = api.create(
                "/v1/projects",
                "project",
                title="p",
                roundingMethod=method,
                roundingMinutes=minutes,
                hourlyRate=None if rate is None else float(rate),
            )
            made.append((project, {True: None, False: None}))
        exact = Fraction(0)
        for n, (which, seconds, billable) in enumerate(sessions):
            project, tasks = made[which]
            if tasks[billable] is None:
                tasks[billable] = api.create(
                    "/v1/tasks", "task", title="t", billable=billable, projectId=project["id"]
                )["id"]
            body = {
                "task": {"id": tasks[billable]},
                "session": {"startTimestamp": f"{start}00:{n:02d}:00Z", "duration": seconds},
            }
            assert api.post("/v1/sessions", json=body).status_code == 201
            rate, method, minutes = projects[which]
            rounded = round_duration(seconds, method, minutes)
            if billable and rate is not None:
                exact += Fraction(rounded, 3600) * Fraction(rate)
        window = {"from": f"{start}00:00:00Z", "to": f"{start}23:00:00Z"}
        entries, totals = all_pages(api, limit, **window)
        assert len(entries) == len(sessions)
        assert all(t == totals[0] for t in totals)
        assert totals[0]["amount"] == Decimal(to_cents(exact)).scaleb(-2)
        assert sum(e["amount"] for e in entries) == totals[0]["amount"]
        summary = exact_json(get(api, "/v1/reports/summary", **window))
        assert summary["totals"] == totals[0]

    example()

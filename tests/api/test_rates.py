"""Rates and money (docs/API.md, "Money"): the rate hierarchy level by level, each session's
stored rates, amount and cost to the cent, reports' cost and profit, and money absent for
members of a workspace that does not let them see it: on every route that answers a session,
in sync, in reports and in the workspace's members and settings."""

from __future__ import annotations

import json
from decimal import Decimal
from fractions import Fraction
from math import floor
from typing import Any

import pytest
import requests
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.api.conftest import Api
from tests.api.workspace_helpers import (
    Crew,
    ids_in,
    log_session,
    make_crew,
    members,
    project_in,
    sync_pages,
    task_in,
    uid,
    workspace,
)

MONEY = {"billableRate", "costRate", "amount", "cost"}
RANGE = {"from": "2026-11-01T00:00:00Z", "to": "2026-12-01T00:00:00Z"}


def exact(response: requests.Response) -> Any:
    assert response.status_code < 300, response.text
    return json.loads(response.text, parse_float=Decimal)


def cents(value: Fraction) -> Decimal:
    """Half a cent and up rounds up (amounts are never negative)."""
    whole = floor(value * 100)
    return Decimal(whole + (1 if 2 * (value * 100 - whole) >= 1 else 0)).scaleb(-2)


@pytest.fixture(scope="module")
def crew(stack: dict[str, Any]) -> Crew:
    return make_crew(stack, "Rates")


def set_settings(crew: Crew, **settings: Any) -> None:
    response = crew.owner.patch(crew.path, json={"workspace": {"settings": settings}})
    assert response.status_code == 200, response.text


def set_member_rates(crew: Crew, who: Api, **rates: Any) -> dict[str, Any]:
    response = crew.owner.patch(f"{crew.path}/members/{uid(who)}", json=rates)
    assert response.status_code == 200, response.text
    return dict(response.json()["member"])


def test_each_level_of_the_hierarchy_in_turn(crew: Crew) -> None:
    """No rate: nothing; then the workspace's, the member's, the project's, each taking over."""
    project = project_in(crew.owner, crew.id, "Hierarchy")
    task = task_in(crew.owner, project)
    worker = crew.worker

    def logged() -> dict[str, Any]:
        session_id = log_session(worker, task["id"])["id"]
        return dict(exact(worker.get(f"/v1/sessions/{session_id}"))["session"])

    def figures(session: dict[str, Any]) -> tuple[Any, ...]:
        return tuple(session[k] for k in ("billableRate", "costRate", "amount", "cost"))

    set_settings(crew, membersSeeRates=True)
    assert figures(logged()) == (None, None, 0, 0)  # 1,500 s
    set_settings(crew, billableRate=60)
    assert figures(logged()) == (60, None, 25, 0)
    member = set_member_rates(crew, worker, billableRate=72, costRate=30)
    assert (member["billableRate"], member["costRate"]) == (72, 30)
    assert figures(logged()) == (72, 30, 30, Decimal("12.5"))
    rated = {"project": {"hourlyRate": 90}}
    patched = crew.owner.patch(f"/v1/projects/{project['id']}", json=rated)
    assert patched.status_code == 200, patched.text
    assert figures(logged()) == (90, 30, Decimal("37.5"), Decimal("12.5"))
    # A rate cleared falls back to the next level.
    set_member_rates(crew, worker, costRate=None)
    assert figures(logged()) == (90, None, Decimal("37.5"), 0)


def test_a_task_that_is_not_billable_costs_but_earns_nothing(crew: Crew) -> None:
    project = crew.owner.create(
        "/v1/projects", "project", title="Internal", workspaceId=crew.id, hourlyRate=100
    )
    task = task_in(crew.owner, project, billable=False)
    set_settings(crew, membersSeeRates=True)
    set_member_rates(crew, crew.member, costRate=40)
    session = log_session(crew.member, task["id"], duration=3600)
    assert (session["billableRate"], session["amount"], session["cost"]) == (100, 0, 40)


def test_a_running_session_carries_its_rates_and_no_money_until_it_stops(crew: Crew) -> None:
    project = crew.owner.create(
        "/v1/projects", "project", title="Running", workspaceId=crew.id, hourlyRate=36
    )
    task = task_in(crew.owner, project)
    set_settings(crew, membersSeeRates=True)
    started = crew.manager.post("/v1/timer", json={"taskId": task["id"]})
    assert started.status_code == 201, started.text
    session_id = started.json()["timer"]["session"]["id"]
    running = exact(crew.manager.get(f"/v1/sessions/{session_id}"))["session"]
    assert (running["billableRate"], running["amount"], running["cost"]) == (36, 0, 0)
    stopped = crew.manager.post("/v1/timer/stop")
    assert stopped.status_code == 200, stopped.text
    session = exact(crew.manager.get(f"/v1/sessions/{session_id}"))["session"]
    # 36 an hour is a cent a second.
    assert session["amount"] == Decimal(session["duration"]) / 100


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    rate=st.decimals(min_value=0, max_value=1000, places=2),
    cost_rate=st.decimals(min_value=0, max_value=1000, places=2),
    durations=st.lists(st.integers(min_value=0, max_value=36_000), min_size=1, max_size=4),
    rounding=st.sampled_from([0, 1, 6, 15]),
)
def test_amounts_are_exact_to_the_cent_and_reports_add_them_up(
    api: Api, rate: Decimal, cost_rate: Decimal, durations: list[int], rounding: int
) -> None:
    """In the personal workspace, at a project's rate and rounding: each session's amount and
    cost are its rounded hours x rate to the cent; the report's total is the exact sum rounded
    once (so within half a cent a session of the stored ones' sum), and its profit is its amount
    less its cost."""
    project = api.create(
        "/v1/projects",
        "project",
        title="Exact",
        hourlyRate=float(rate),
        roundingMinutes=rounding,
        roundingMethod="up",
    )
    task = api.create("/v1/tasks", "task", title="T", projectId=project["id"])
    # The personal workspace's own rate stands for the member's cost rate: none there, so cost 0;
    # a workspace billable rate is below the project's and changes nothing.
    sessions = [
        exact(
            api.post(
                "/v1/sessions",
                json={
                    "task": {"id": task["id"]},
                    "session": {"startTimestamp": "2026-11-10T10:00:00Z", "duration": seconds},
                },
            )
        )["session"]
        for seconds in durations
    ]
    unit = rounding * 60 or 1
    exact_amounts = [Fraction(-(-d // unit) * unit, 3600) * Fraction(rate) for d in durations]
    assert [s["amount"] for s in sessions] == [cents(a) for a in exact_amounts]
    assert all(s["billableRate"] == rate and s["cost"] == 0 for s in sessions)
    query = {**RANGE, "projectId": project["id"]}
    totals = exact(api.get("/v1/reports/summary", params=query))["totals"]
    assert totals["amount"] == cents(sum(exact_amounts, Fraction(0)))
    assert abs(totals["amount"] - sum(s["amount"] for s in sessions)) <= Decimal("0.005") * len(
        sessions
    )
    assert totals["profit"] == totals["amount"] - totals["cost"]
    api.delete(f"/v1/projects/{project['id']}", params={"cascade": "true"})


def test_reports_add_cost_and_profit(crew: Crew) -> None:
    project = crew.owner.create(
        "/v1/projects", "project", title="Profit", workspaceId=crew.id, hourlyRate=100
    )
    task = task_in(crew.owner, project)
    set_member_rates(crew, crew.admin, costRate=40)
    log_session(crew.admin, task["id"], duration=5400)
    query = {**RANGE, "workspaceId": crew.id, "projectId": project["id"]}
    totals = exact(crew.owner.get("/v1/reports/summary", params=query))["totals"]
    assert (totals["amount"], totals["cost"], totals["profit"]) == (150, 60, 90)
    detailed = exact(crew.owner.get("/v1/reports/detailed", params=query))
    [entry] = detailed["entries"]
    assert (entry["hourlyRate"], entry["amount"], entry["cost"], entry["profit"]) == (
        100,
        150,
        60,
        90,
    )


def _reads_of(who: Api, crew: Crew, session_id: str) -> list[Any]:
    """Everything `who` reads that holds the session or money of the workspace (what the
    answers hold of `who`'s personal workspace left out: its owner sees its money)."""
    answers = [
        who.get(f"/v1/sessions/{session_id}"),
        who.get("/v1/sessions", params={"workspaceId": crew.id}),
        who.get("/v1/sync"),
        who.get("/v1/reports/summary", params={**RANGE, "workspaceId": crew.id}),
        who.get("/v1/reports/detailed", params={**RANGE, "workspaceId": crew.id}),
        who.get("/v1/reports/weekly", params={"from": "2026-11-16", "workspaceId": crew.id}),
        who.get(f"/v1/projects/{crew.project['id']}"),
    ]
    return [_not_personal(exact(answer), uid(who)) for answer in answers]


def _not_personal(value: Any, personal_id: str) -> Any:
    if isinstance(value, dict):
        if personal_id in (value.get("workspaceId"), value.get("id")):
            return {}
        return {k: _not_personal(v, personal_id) for k, v in value.items()}
    if isinstance(value, list):
        return [_not_personal(item, personal_id) for item in value]
    return value


def _money_keys(value: Any) -> set[str]:
    found: set[str] = set()
    if isinstance(value, dict):
        found |= set(value) & (MONEY | {"hourlyRate", "profit"})
        for item in value.values():
            found |= _money_keys(item)
    elif isinstance(value, list):
        for item in value:
            found |= _money_keys(item)
    return found


def test_members_see_no_money_unless_the_workspace_lets_them(stack: dict[str, Any]) -> None:
    crew = make_crew(stack, "Blind")
    patched = crew.owner.patch(
        f"/v1/projects/{crew.project['id']}", json={"project": {"hourlyRate": 80}}
    )
    assert patched.status_code == 200, patched.text
    set_member_rates(crew, crew.member, billableRate=50, costRate=20)
    mine = log_session(crew.member, crew.task["id"])
    assert not MONEY & set(mine), "the write's own answer"
    for read in _reads_of(crew.member, crew, mine["id"]):
        assert _money_keys(read) == set(), read
    assert "billableRate" not in workspace(crew.member, crew.id)["settings"]
    assert all(
        not {"billableRate", "costRate"} & set(m) for m in members(crew.member, crew.id)["members"]
    )
    # Managers see money; and so do members, once the workspace lets them.
    assert _money_keys(_reads_of(crew.manager, crew, mine["id"])) >= MONEY
    set_settings(crew, membersSeeRates=True)
    assert MONEY | {"hourlyRate", "profit"} <= _money_keys(_reads_of(crew.member, crew, mine["id"]))
    assert workspace(crew.member, crew.id)["settings"]["billableRate"] is None


def test_member_rates_are_set_by_owners_and_admins_only(crew: Crew) -> None:
    path = f"{crew.path}/members/{uid(crew.worker)}"
    for who in (crew.manager, crew.member):
        response = who.patch(path, json={"billableRate": 10})
        assert response.status_code == 403, response.text
    by_admin = crew.admin.patch(path, json={"billableRate": 10, "costRate": 5})
    assert by_admin.status_code == 200, by_admin.text
    assert (by_admin.json()["member"]["billableRate"], by_admin.json()["member"]["role"]) == (
        10,
        "member",
    )
    for bad in ({"billableRate": -1}, {"costRate": "5"}, {"billableRate": 1.005}):
        response = crew.owner.patch(path, json=bad)
        assert response.status_code == 400, response.text


def test_a_member_sent_back_with_new_rates_keeps_everything_else(crew: Crew) -> None:
    """Regression: a member's read-only fields sent back (`joinedAt` among them) are ignored,
    whatever they say; only the role and the rates change."""
    path = f"{crew.path}/members/{uid(crew.worker)}"
    got = next(
        m for m in members(crew.owner, crew.id)["members"] if m["userId"] == uid(crew.worker)
    )
    sent = {**got, "joinedAt": "2020-01-01T00:00:00Z", "displayName": "x", "billableRate": 12}
    response = crew.owner.patch(path, json=sent)
    assert response.status_code == 200, response.text
    assert response.json()["member"] == {**got, "billableRate": 12}


def test_no_such_member_is_404_before_any_if_match(crew: Crew) -> None:
    """Regression (found by the fuzzer): a member id that names nobody is a 404 whatever
    `If-Match` says, on both routes that take one."""
    stale = {"If-Match": '"no-such-etag"'}
    for method in (crew.owner.delete, crew.owner.patch):
        response = method(
            f"{crew.path}/members/nobody-here", headers=stale, json={"role": "member"}
        )
        assert response.status_code == 404, response.text


RATE = st.one_of(st.none(), st.decimals(min_value=0, max_value=500, places=2))


@settings(
    max_examples=20,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    on_project=st.tuples(RATE, RATE),
    hourly=RATE,
    member=st.tuples(RATE, RATE),
    workspace_rate=RATE,
    seconds=st.integers(min_value=0, max_value=86_400),
    billable=st.booleans(),
)
def test_the_hierarchy_level_by_level_to_the_cent(
    crew: Crew,
    on_project: tuple[Decimal | None, Decimal | None],
    hourly: Decimal | None,
    member: tuple[Decimal | None, Decimal | None],
    workspace_rate: Decimal | None,
    seconds: int,
    billable: bool,
) -> None:
    """Any rates set or not at each level: the session carries the first set of the project
    member's, the project's, the member's, the workspace's billable rate (and of the project
    member's and the member's cost rate), and its amount and cost are exact to the cent."""
    worker, owner = crew.worker, crew.owner

    def number(value: Decimal | None) -> float | None:
        return None if value is None else float(value)

    set_settings(crew, billableRate=number(workspace_rate), membersSeeRates=True)
    set_member_rates(crew, worker, billableRate=number(member[0]), costRate=number(member[1]))
    project = owner.create(
        "/v1/projects", "project", title="Levels", workspaceId=crew.id, hourlyRate=number(hourly)
    )
    joined = owner.put(
        f"/v1/projects/{project['id']}/members/{uid(worker)}",
        json={"billableRate": number(on_project[0]), "costRate": number(on_project[1])},
    )
    assert joined.status_code == 200, joined.text
    task = task_in(owner, project, billable=billable)
    session = exact(
        worker.post(
            "/v1/sessions",
            json={
                "task": {"id": task["id"]},
                "session": {"startTimestamp": "2026-11-12T08:00:00Z", "duration": seconds},
            },
        )
    )["session"]
    rate = next(
        (r for r in (on_project[0], hourly, member[0], workspace_rate) if r is not None), None
    )
    cost_rate = next((r for r in (on_project[1], member[1]) if r is not None), None)
    hours = Fraction(seconds, 3600)
    assert (session["billableRate"], session["costRate"]) == (rate, cost_rate)
    assert session["amount"] == (cents(hours * Fraction(rate)) if rate and billable else 0)
    assert session["cost"] == (cents(hours * Fraction(cost_rate)) if cost_rate else 0)


def _synced_money(who: Api, token: str, crew: Crew) -> tuple[dict[str, Any], str]:
    """Every page of `who`'s sync from `token` (one entity a page: the re-read pages too), the
    lists merged, what holds the personal workspace left out."""
    merged, token = sync_pages(who, token, limit=1)
    return _not_personal(merged, uid(who)), token


@pytest.mark.parametrize("lets", (False, True), ids=("demoted", "promoted"))
def test_a_changed_sight_of_money_resends_what_holds_it(stack: dict[str, Any], lets: bool) -> None:
    """Demoted from manager to member (the workspace not letting members see money), the next
    sync sends the project and the member's own sessions again without their money, over the
    client's copies; promoted back, with it. Deletions since the token are still listed."""
    crew = make_crew(stack, "Sight of money")
    patched = crew.owner.patch(
        f"/v1/projects/{crew.project['id']}", json={"project": {"hourlyRate": 80}}
    )
    assert patched.status_code == 200, patched.text
    who = crew.newcomer("manager" if not lets else "member")
    kept, dropped = (log_session(who, crew.task["id"]) for _ in range(2))
    seen, token = _synced_money(who, "*", crew)
    assert bool(_money_keys(seen)) is not lets
    assert who.delete(f"/v1/sessions/{dropped['id']}").status_code == 204

    role = "member" if not lets else "manager"
    changed = crew.owner.patch(f"{crew.path}/members/{uid(who)}", json={"role": role})
    assert changed.status_code == 200, changed.text
    again, token = _synced_money(who, token, crew)
    assert kept["id"] in ids_in(again, "sessions")
    assert crew.project["id"] in ids_in(again, "projects")
    assert bool(_money_keys(again)) is lets
    assert ("session", dropped["id"]) in {(d["type"], d["id"]) for d in again.get("deleted", [])}
    quiet, _ = _synced_money(who, token, crew)  # once only
    assert not ids_in(quiet, "sessions") and not ids_in(quiet, "projects")

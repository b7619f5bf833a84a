"""docs/API.md, "Locked time and approvals": a member submits a period of their own time, an
owner, admin or manager (not the member themself) approves or rejects it; a submitted or
approved period locks the member's sessions (`409 period_locked`), a rejected one is open
again and can be submitted anew; overlapping periods are `409 approval_overlaps`."""

from __future__ import annotations

from typing import Any

import pytest

from stint.models import Approval
from tests.api.conftest import Api, assert_error
from tests.api.test_locks import assert_locked, log, replace
from tests.api.workspace_helpers import Crew, assert_forbidden, assert_not_found, make_crew

IN = "2026-09-10T09:00:00Z"
PERIOD = {"from": "2026-09-07", "to": "2026-09-13"}
APPROVAL_KEYS = set(Approval.__annotations__)


@pytest.fixture
def crew(stack: dict[str, Any]) -> Crew:
    return make_crew(stack, "Approvals")


def submit(api: Api, crew: Crew, period: dict[str, str] = PERIOD) -> dict[str, Any]:
    response = api.post(f"{crew.path}/approvals", json=period)
    assert response.status_code == 201, response.text
    assert response.headers["ETag"]
    approval = dict(response.json()["approval"])
    assert set(approval) == APPROVAL_KEYS
    return approval


def decide(api: Api, approval: dict[str, Any], verdict: str, **body: Any) -> Any:
    return api.post(f"/v1/approvals/{approval['id']}/{verdict}", json=body or None)


def listed(api: Api, crew: Crew, **query: str) -> list[dict[str, Any]]:
    response = api.get(f"{crew.path}/approvals", params=query)
    assert response.status_code == 200, response.text
    return list(response.json()["approvals"])


def test_a_submitted_period_carries_the_members_totals_and_locks_their_sessions(
    crew: Crew,
) -> None:
    inside = log(crew.member, crew.task["id"], IN, duration=3600)
    log(crew.member, crew.task["id"], "2026-09-14T00:00:00Z")  # the day after: outside
    approval = submit(crew.member, crew)
    assert approval["status"] == "submitted" and approval["from"] == PERIOD["from"]
    totals = approval["totals"]
    assert totals["sessions"] == 1 and totals["duration"] == 3600
    assert "amount" not in totals  # a member who does not see money
    assert_locked(replace(crew.member, inside, note="later"))
    assert_locked(crew.member.delete(f"/v1/sessions/{inside['id']}"))
    body = {"task": {"id": crew.task["id"]}, "session": {"startTimestamp": IN, "duration": 60}}
    assert_locked(crew.member.post("/v1/sessions", json=body))
    # A manager is bound too; the owner and admins are not. Others' time is not locked.
    assert_locked(replace(crew.manager, inside, note="fixed"))
    assert replace(crew.admin, inside, note="fixed").status_code == 200
    log(crew.worker, crew.task["id"], IN)
    assert "amount" in listed(crew.manager, crew)[0]["totals"]


def test_approve_and_reject_by_role(crew: Crew) -> None:
    approval = submit(crew.member, crew)
    assert_forbidden(decide(crew.member, approval, "approve"))
    assert_not_found(decide(crew.worker, approval, "reject"))  # another member's: as absent
    own = submit(crew.manager, crew)
    assert_forbidden(decide(crew.manager, own, "approve"))  # not their own
    outsider = make_crew(crew.stack, "Elsewhere").owner
    assert_not_found(decide(outsider, approval, "approve"))
    assert_not_found(crew.owner.post("/v1/approvals/nope/approve"))

    response = decide(crew.manager, approval, "approve", note="thanks")
    assert response.status_code == 200, response.text
    approved = response.json()["approval"]
    assert approved["status"] == "approved" and approved["note"] == "thanks"
    assert approved["decidedBy"] == crew.manager.get("/v1/me").json()["id"]
    assert_error(decide(crew.admin, approval, "reject"), 409, "conflict")
    assert decide(crew.admin, own, "reject").status_code == 200


def test_a_rejected_period_is_open_again_and_submitted_anew(crew: Crew) -> None:
    inside = log(crew.member, crew.task["id"], IN)
    approval = submit(crew.member, crew)
    assert_error(
        crew.member.post(f"{crew.path}/approvals", json={"from": "2026-09-13", "to": "2026-09-20"}),
        409,
        "approval_overlaps",
    )
    rejected = decide(crew.owner, approval, "reject", note="missing Friday").json()["approval"]
    assert rejected["status"] == "rejected"
    assert replace(crew.member, inside, note="Friday added").status_code == 200
    again = submit(crew.member, crew)
    assert again["id"] != approval["id"]
    assert_locked(replace(crew.member, inside, note="once more"))
    assert decide(crew.owner, again, "approve").status_code == 200
    assert_locked(replace(crew.member, inside, note="once more"))


def test_lists_by_status_and_member(crew: Crew) -> None:
    mine = submit(crew.member, crew)
    theirs = submit(crew.worker, crew)
    decide(crew.owner, theirs, "approve")
    assert [a["id"] for a in listed(crew.member, crew)] == [mine["id"]]
    assert_forbidden(crew.member.get(f"{crew.path}/approvals", params={"userId": theirs["userId"]}))
    assert {a["id"] for a in listed(crew.manager, crew)} == {mine["id"], theirs["id"]}
    assert [a["id"] for a in listed(crew.owner, crew, status="approved")] == [theirs["id"]]
    assert [a["id"] for a in listed(crew.owner, crew, userId=mine["userId"])] == [mine["id"]]


def test_refusals(crew: Crew, api: Api) -> None:
    wrong = crew.member.post(
        f"{crew.path}/approvals", json={"from": "2026-09-13", "to": "2026-09-07"}
    )
    assert_error(wrong, 400, "validation_error")
    year = {"from": "2026-01-01", "to": "2027-01-02"}
    assert_error(crew.member.post(f"{crew.path}/approvals", json=year), 400, "validation_error")
    assert_not_found(api.post(f"{crew.path}/approvals", json=PERIOD))
    personal = api.get("/v1/me").json()["personalWorkspaceId"]
    response = api.post(f"/v1/workspaces/{personal}/approvals", json=PERIOD)
    assert_error(response, 409, "conflict")
    assert api.get(f"/v1/workspaces/{personal}/approvals").json() == {"approvals": []}

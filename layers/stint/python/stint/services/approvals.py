"""Approvals (docs/API.md, "Locked time and approvals"; Kimai's and solidtime's timesheet
approvals): a member submits a period of their own time; an owner, admin or manager (not the
member themself) approves or rejects it.

A submitted or approved period locks its member's sessions as `lockedBefore` locks a
workspace's (`stint.services.locks`): the submit writes the period into the member's lock item,
in the approval's transaction, and a reject takes it out, so a session write racing either is
ordered with it by the lock item's version. Periods of one member never overlap unless one of
them was rejected. A personal workspace has nobody to approve: `409`.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

from stint.errors import Conflict, Forbidden, invalid_field, not_found
from stint.models import ApprovalBody, ApprovalStatus
from stint.services import access
from stint.services.access import Membership
from stint.services.common import ID_PATTERN, Caller, Versioned, new_id
from stint.services.locks import locked_periods
from stint.services.report_range import Group, ReportQuery, money_figures, read_range
from stint.store import retrying
from stint.store.approvals import ApprovalStore
from stint.timeutil import now_iso

MAX_DAYS = 366  # a period of at most a year (a report's range)
_FIELDS = (
    "id",
    "workspaceId",
    "userId",
    "from",
    "to",
    "status",
    "totals",
    "note",
    "submittedAt",
    "decidedBy",
    "decidedAt",
    "lastUpdated",
)


def overlapping(period: dict[str, Any], day_from: str, day_to: str) -> bool:
    return bool(period["from"] <= day_to and day_from <= period["to"])


def view(record: dict[str, Any]) -> dict[str, Any]:
    """The approval as the API answers it (its totals' money is taken out for a caller who
    does not see money by the one rule of every answer: `stint.services.money_view`)."""
    return {name: record.get(name) for name in _FIELDS}


def _shared(caller: Caller, workspace_id: str) -> Membership:
    member = access.membership(caller, workspace_id)
    if member.personal:
        raise Conflict("The personal workspace has one member: nobody approves their time")
    return member


def _totals(caller: Caller, member: Membership, day_from: date, day_to: date) -> dict[str, Any]:
    """The caller's time in the period (UTC days), as a report's totals, money included (who
    sees it is decided when the approval is read: `view`)."""
    start = datetime.combine(day_from, datetime.min.time(), UTC)
    end = datetime.combine(day_to + timedelta(days=1), datetime.min.time(), UTC)
    query = ReportQuery(
        start=start,
        end=end,
        tz="UTC",
        group_by="project",
        project_id=None,
        workspace_id=member.workspace_id,
        user_id=caller.user_id,
    )
    found = read_range(caller, query)
    totals = Group(None, None)
    for work in found.works:
        totals.add(work)
    money, _ = money_figures([], totals, partition=True)
    return {
        "sessions": totals.sessions,
        "duration": totals.duration,
        "roundedDuration": totals.rounded,
        "billableDuration": totals.billable,
        "breakDuration": found.breaks,
        **money,
    }


def submit(caller: Caller, workspace_id: str, body: ApprovalBody) -> Versioned:
    """Submit a period of the caller's own time; it is locked for them from now on."""
    member = _shared(caller, workspace_id)
    day_from, day_to = date.fromisoformat(body.from_), date.fromisoformat(body.to)
    if day_to < day_from:
        raise invalid_field("to", "must not be before from")
    if (day_to - day_from).days >= MAX_DAYS:
        raise invalid_field("to", f"a period is at most {MAX_DAYS} days")
    store = ApprovalStore(member.workspace_id)

    def attempt() -> Versioned:
        lock, sessions_at = store.lock_and_sessions(caller.user_id)  # before the totals
        periods = locked_periods(lock)
        taken = next((p for p in periods if overlapping(p, body.from_, body.to)), None)
        if taken is not None:
            raise Conflict(
                f"The period overlaps approval {taken['id']} ({taken['from']} to {taken['to']}),"
                " submitted or approved",
                code="approval_overlaps",
            )
        now = now_iso()
        approval = {
            "id": new_id(),
            "workspaceId": member.workspace_id,
            "userId": caller.user_id,
            "from": body.from_,
            "to": body.to,
            "status": "submitted",
            "totals": _totals(caller, member, day_from, day_to),
            "note": None,
            "submittedAt": now,
            "decidedBy": None,
            "decidedAt": None,
            "lastUpdated": now,
        }
        period = {"id": approval["id"], "from": body.from_, "to": body.to}
        version = store.write(
            approval,
            expect_version=None,
            periods=[*periods, period],
            lock_version=None if lock is None else int(lock["version"]),
            sessions_at=sessions_at,
        )
        return Versioned(view(approval), version)

    return retrying(attempt)


def _locate(caller: Caller, approval_id: str) -> tuple[Membership, dict[str, Any]]:
    """The approval with this id in a workspace of the caller's, and the caller there (404
    when there is none, or it is another member's and the caller sees only their own)."""
    found = None
    if ID_PATTERN.match(approval_id):
        found = ApprovalStore.find(access.shared_ids(caller), approval_id)
    if found is None:
        raise not_found("approval", approval_id)
    workspace_id, record = found
    member = access.membership(caller, workspace_id)  # 404 unless still a member
    if record["userId"] != caller.user_id and not member.may("everyone"):
        raise not_found("approval", approval_id)
    return member, record


def get(caller: Caller, approval_id: str) -> Versioned:
    """One approval: its member's, and any of the workspace's for owners, admins, managers."""
    _, record = _locate(caller, approval_id)
    return Versioned(view(record), int(record["version"]))


def decide(caller: Caller, approval_id: str, status: ApprovalStatus, note: str | None) -> Versioned:
    """Approve or reject a submitted approval: owners, admins and managers, not their own.
    A rejected period is open again (taken out of its member's lock item)."""

    def attempt() -> Versioned:
        member, record = _locate(caller, approval_id)
        if record["userId"] == caller.user_id:
            raise Forbidden("Nobody approves or rejects their own time")
        member.require("everyone")
        if record["status"] != "submitted":
            raise Conflict(f"The approval is {record['status']} already")
        store = ApprovalStore(member.workspace_id)
        now = now_iso()
        decided = {
            **{name: record.get(name) for name in _FIELDS},
            "status": status,
            "note": note,
            "decidedBy": caller.user_id,
            "decidedAt": now,
            "lastUpdated": now,
        }
        periods = lock_version = None
        if status == "rejected":
            lock = store.lock(record["userId"])
            periods = [p for p in locked_periods(lock) if p["id"] != approval_id]
            lock_version = None if lock is None else int(lock["version"])
        version = store.write(
            decided,
            expect_version=int(record["version"]),
            periods=periods,
            lock_version=lock_version,
        )
        return Versioned(view(decided), version)

    return retrying(attempt)


def list_approvals(
    caller: Caller,
    workspace_id: str,
    *,
    status: ApprovalStatus | None,
    user_id: str | None,
    limit: int,
    next_token: str | None,
) -> tuple[list[dict[str, Any]], str | None]:
    """A workspace's approvals, by id: every member's for owners, admins and managers (or
    `user_id`'s), a member's own otherwise (another's: 403). The personal workspace has none."""
    member = access.membership(caller, workspace_id)
    if member.personal:
        return [], None
    if not member.may("everyone"):
        if user_id not in (None, caller.user_id):
            raise Forbidden("A member sees their own approvals only")
        user_id = caller.user_id

    def keep(record: dict[str, Any]) -> bool:
        return (status is None or record["status"] == status) and (
            user_id is None or record["userId"] == user_id
        )

    records, token = ApprovalStore(member.workspace_id).page(
        limit=limit, next_token=next_token, keep=keep
    )
    return [view(record) for record in records], token

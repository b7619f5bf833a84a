"""A shared workspace's members: the list (with the pending invitations for its owners and
admins), a member's role and rates, and a member's removal or leaving (docs/DESIGN.md,
"Workspaces")."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger

from stint.errors import Conflict, Forbidden, NotFound, not_found
from stint.models import MemberPatch, Role
from stint.services import access, running, users
from stint.services.access import Membership
from stint.services.common import Caller, Versioned, check_if_match
from stint.services.invitations import public_invitation
from stint.services.money_view import without_money
from stint.services.timer import stop_timer
from stint.services.workspaces import (
    NEVER,
    member_entry,
    pending_invitations,
    shared,
    shared_membership,
    write,
)
from stint.store import RUNNING_SK, retrying, user_pk
from stint.timeutil import utc_now

logger = Logger()


def members(caller: Caller, workspace_id: str) -> dict[str, Any]:
    """The members; owners and admins also see the pending invitations."""
    member = access.membership(caller, workspace_id)
    if member.personal:
        profile = users.profile(caller).entity
        me = {**member_entry(caller.user_id, profile, "owner"), "joinedAt": NEVER}
        return {"members": [member_view(me)]}
    assert member.record is not None
    shown = [member_view(m) for m in member.record["members"]]
    listed: dict[str, Any] = {"members": shown if member.sees_money else without_money(shown)}
    if member.may("members"):
        listed["invitations"] = [
            public_invitation(
                {**i, "workspaceId": workspace_id, "workspaceName": member.record["name"]}
            )
            for i in pending_invitations(member.record, utc_now())
        ]
    return listed


_MEMBER_WRITABLE = ("role", "billableRate", "costRate")


def update_member(
    caller: Caller,
    workspace_id: str,
    user_id: str,
    patch: MemberPatch,
    if_match: str | None,
    *,
    rerate: bool = True,
) -> Versioned:
    """Owners and admins change a member's role and rates; only the owner makes or unmakes an
    admin, and `owner` hands ownership over (the old owner becomes an admin). New rates re-rate
    the member's sessions in the background unless `rerate` is False. `If-Match`: the
    workspace's ETag."""
    # The role and the rates; the rest of a member sent back as got is ignored.
    changes = {k: v for k, v in patch.written().items() if k in _MEMBER_WRITABLE}

    def attempt() -> Versioned:
        member = shared_membership(caller, workspace_id)
        member.require("members")
        record = member.record
        assert record is not None
        target = _member_in(record, user_id, if_match)
        role = changes.get("role")
        if role is not None:
            _check_role_change(member, target, role)
        changed = []
        for entry in record["members"]:
            if entry["userId"] == user_id:
                entry = {**entry, **changes}
            elif role == "owner" and entry["role"] == "owner":
                entry = {**entry, "role": "admin"}
            changed.append(entry)
        written = write(record, members=changed, keep_rates=not rerate)
        updated = next(m for m in changed if m["userId"] == user_id)
        return Versioned(member_view(updated), int(written["version"]))

    return retrying(attempt)


def _member_in(record: dict[str, Any], user_id: str, if_match: str | None) -> dict[str, Any]:
    """The member `user_id` of the workspace read as `record` (404 before any If-Match), once
    `If-Match` matches the workspace's ETag."""
    entry = next((m for m in record["members"] if m["userId"] == user_id), None)
    if entry is None:
        raise not_found("member", user_id)
    check_if_match(if_match, {"seq": record["version"]})
    return entry


def member_view(entry: dict[str, Any]) -> dict[str, Any]:
    """A member as the API answers it: the rates it has not been given are null."""
    return {"billableRate": None, "costRate": None, **entry}


def _check_role_change(member: Membership, target: dict[str, Any], role: Role) -> None:
    """Nobody but the owner acts on the owner (403, as removing them is); the owner's own role
    changes only by handing ownership over (409)."""
    if target["role"] == "owner":
        if member.role != "owner":
            raise Forbidden("Only the owner changes the owner's role, by handing ownership over")
        if role != "owner":
            raise Conflict("The owner's role changes only by handing ownership to another member")
        return
    by_owner = member.role == "owner"
    if (role in ("owner", "admin") or target["role"] == "admin") and not by_owner:
        raise Forbidden("Only the owner makes or unmakes an admin, or hands ownership over")


def remove_member(caller: Caller, workspace_id: str, user_id: str, if_match: str | None) -> None:
    """Owners and admins remove members (admins: not the owner, not another admin), anyone may
    leave but the owner (409: hand ownership over first). `If-Match`: the workspace's ETag.

    A member gone while their timer runs on a task of the workspace: it stops now (the session
    stays the workspace's), so nothing of the workspace is theirs any more (their
    `GET /v1/timer` would show its task and project). Their RUNNING guard is read with the
    record, and the removal holds only while it is as read: a timer started meanwhile runs the
    removal again, which then stops it."""

    def attempt() -> str | None:
        guard = (user_pk(user_id), RUNNING_SK)
        member, found = access.membership_with(caller, workspace_id, guard)
        record = shared(member).record
        assert record is not None
        leaving = _member_in(record, user_id, if_match)
        if user_id != caller.user_id:
            member.require("members")
            if leaving["role"] in ("owner", "admin") and member.role != "owner":
                raise Forbidden("Only the owner removes an admin; nobody removes the owner")
        if leaving["role"] == "owner":
            raise Conflict("The owner cannot leave; hand ownership over first")
        remaining = [m for m in record["members"] if m["userId"] != user_id]
        ref = str(found[guard]["ref"]) if guard in found else None
        write(record, members=remaining, leaving=(user_id,), guards=((user_id, ref),))
        return ref

    ref = retrying(attempt)
    if ref is not None:
        _stop_timer_here(user_id, workspace_id, ref)


def _stop_timer_here(user_id: str, workspace_id: str, ref: str) -> None:
    """Stop the removed member's timer (their RUNNING guard as it was at the removal: `ref`) if
    it runs on a task of the workspace."""
    where, session_id = running.parse_ref(user_id, ref)
    if where != workspace_id:
        return
    try:
        stop_timer(user_id, None, session_id=session_id, workspace=workspace_id)
    except NotFound:
        logger.info(
            "the leaving member's timer stopped or went meanwhile",
            extra={"user_id": user_id, "session_id": session_id},
        )

"""Invitations to a shared workspace: an owner or admin invites an email, only the user whose
verified email it is accepts or declines, and an invitation expires after 14 days
(docs/DESIGN.md, "Workspaces")."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from aws_lambda_powertools import Logger

from stint import aws
from stint.config import settings
from stint.errors import Conflict, Forbidden, not_found
from stint.models import MemberBody, normalized_email
from stint.services import access, users
from stint.services.access import Membership
from stint.services.common import ID_PATTERN, Caller, Versioned, check_if_match, new_id
from stint.services.workspaces import (
    MAX_WORKSPACES,
    epoch,
    member_entry,
    pending_invitations,
    shared_membership,
    view,
    write,
)
from stint.store import WorkspaceStore, retrying
from stint.timeutil import format_timestamp, utc_now

logger = Logger()

# Members and pending invitations together: an invitation holds a seat until it is accepted,
# declined, revoked or expired, so accepting one never finds the workspace full.
MAX_MEMBERS = 200
INVITATION_DAYS = 14


def invite(caller: Caller, workspace_id: str, body: MemberBody) -> Versioned:
    """An owner or admin invites an email (already normalized by the model). No account is
    looked up: the answer is the same whether or not anyone has that email. An email that is a
    member or invited already, or a workspace whose members and pending invitations number
    200: 409. Only the owner invites an admin."""

    def attempt() -> Versioned:
        member = shared_membership(caller, workspace_id)
        member.require("members")
        if body.role == "admin" and member.role != "owner":
            raise Forbidden("Only the owner makes an admin")
        record = member.record
        assert record is not None
        now = utc_now()
        pending = pending_invitations(record, now)
        if any(normalized_email(m["email"]) == body.email for m in record["members"]):
            raise Conflict(f"{body.email} is already a member of the workspace")
        if any(i["email"] == body.email for i in pending):
            raise Conflict(f"{body.email} is already invited to the workspace")
        if len(record["members"]) + len(pending) >= MAX_MEMBERS:
            raise Conflict(
                f"A workspace has at most {MAX_MEMBERS} members, pending invitations included"
            )
        me = next(m for m in record["members"] if m["userId"] == caller.user_id)
        invitation = {
            "id": new_id(),
            "workspaceId": record["id"],
            "workspaceName": record["name"],
            "email": body.email,
            "role": body.role,
            "invitedBy": {"userId": caller.user_id, "displayName": me["displayName"]},
            "createdAt": format_timestamp(now),
            "expiresAt": epoch(now + timedelta(days=INVITATION_DAYS)),
        }
        written = write(record, invitations=[*pending, invitation], invited=invitation)
        return Versioned(public_invitation(invitation), int(written["version"]))

    return retrying(attempt)


def revoke_invitation(
    caller: Caller, workspace_id: str, invitation_id: str, if_match: str | None
) -> None:
    """An owner or admin withdraws a pending invitation. `If-Match`: the workspace's ETag."""

    def attempt() -> None:
        member = shared_membership(caller, workspace_id)
        member.require("members")
        record = member.record
        assert record is not None
        pending = pending_invitations(record, utc_now())
        invitation = next((i for i in pending if i["id"] == invitation_id), None)
        if invitation is None:
            raise not_found("invitation", invitation_id)  # 404 before any If-Match
        check_if_match(if_match, {"seq": record["version"]})
        remaining = [i for i in pending if i["id"] != invitation_id]
        write(record, invitations=remaining, withdrawn=(invitation["email"], invitation_id))

    retrying(attempt)


def my_invitations(
    caller: Caller, *, limit: int, next_token: str | None
) -> tuple[list[dict[str, Any]], str | None]:
    """The pending invitations to the caller's verified email (none while it is unverified)."""
    email = _verified_email(caller)
    if email is None:
        return [], None
    records, token = WorkspaceStore.invitations(
        email, limit=limit, next_token=next_token, expiring_after=epoch(utc_now())
    )
    return [public_invitation(record) for record in records], token


def accept_invitation(caller: Caller, invitation_id: str) -> Versioned:
    """The invitee joins with the invited role: in one transaction, conditioned on the
    workspace's version and on the invitation still existing, the member is added, the
    membership item written and the invitation removed. Anyone but the invitee: 404."""
    email = _verified_email(caller)

    def attempt() -> Versioned:
        record, invitation, profile = _invitation_to(caller, email, invitation_id)
        if access.role_in(record, caller.user_id) is not None:
            raise Conflict("You are already a member of the workspace")
        if len(access.shared_ids(caller)) + 1 >= MAX_WORKSPACES:
            raise Conflict(f"A user belongs to at most {MAX_WORKSPACES} workspaces")
        pending = pending_invitations(record, utc_now())
        if len(record["members"]) >= MAX_MEMBERS:  # never while invitations hold their seats
            raise Conflict(f"A workspace has at most {MAX_MEMBERS} members")
        entry = member_entry(caller.user_id, profile, invitation["role"], invitation["email"])
        written = write(
            record,
            members=[*record["members"], entry],
            invitations=[i for i in pending if i["id"] != invitation_id],
            joining=(caller.user_id,),
            withdrawn=(invitation["email"], invitation_id),
        )
        member = Membership(str(record["id"]), False, invitation["role"], written)
        return Versioned(view(member), int(written["version"]))

    return retrying(attempt)


def decline_invitation(caller: Caller, invitation_id: str) -> None:
    """The invitee declines: the invitation is removed from the workspace and from their list."""
    email = _verified_email(caller)

    def attempt() -> None:
        record, invitation, _ = _invitation_to(caller, email, invitation_id)
        pending = pending_invitations(record, utc_now())
        write(
            record,
            invitations=[i for i in pending if i["id"] != invitation_id],
            withdrawn=(invitation["email"], invitation_id),
        )

    retrying(attempt)


def _invitation_to(
    caller: Caller, email: str | None, invitation_id: str
) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
    """The workspace, the pending invitation `invitation_id` to the caller's verified `email`,
    and the caller's profile (read along, for the member entry); 404 when there is no such
    invitation (another user's, an unverified email's, expired, accepted, declined, revoked)."""
    found = profile = None
    if email is not None and ID_PATTERN.match(invitation_id):
        found, profile = WorkspaceStore.invitation_and_profile(email, invitation_id, caller.user_id)
    record = WorkspaceStore.get(str(found["workspaceId"])) if found else None
    pending = pending_invitations(record, utc_now()) if record else []
    invitation = next((i for i in pending if i["id"] == invitation_id), None)
    if record is None or invitation is None:
        raise not_found("invitation", invitation_id)
    # Missing only for a caller whose profile no request has created yet: create it now.
    return record, invitation, profile or users.profile(caller).entity


def public_invitation(record: dict[str, Any]) -> dict[str, Any]:
    keys = ("id", "workspaceId", "workspaceName", "email", "role", "invitedBy", "createdAt")
    return {key: record[key] for key in keys}


def _verified_email(caller: Caller) -> str | None:
    """The caller's email, normalized, when Cognito has verified it; else None.

    Read from the user pool on each call: the access token carries no email, and the profile's
    copy is taken once at sign-up and says nothing about verification (a user confirmed by an
    admin, or who changed their email since, has an unverified one)."""
    pool_id = settings().user_pool_id
    if not pool_id:
        return None
    idp = aws.client("cognito-idp")
    try:
        user = idp.admin_get_user(UserPoolId=pool_id, Username=caller.username)
    except idp.exceptions.UserNotFoundException:
        # A user deleted from the pool whose access token has not expired yet.
        logger.warning("caller not in the user pool", extra={"username": caller.username})
        return None
    attributes = {a["Name"]: a["Value"] for a in user.get("UserAttributes", [])}
    if attributes.get("email_verified") != "true" or not attributes.get("email"):
        # The one hint there is: invitations reach verified emails only (docs/DESIGN.md).
        logger.info("the caller's email is not verified: no invitation reaches them")
        return None
    return normalized_email(attributes["email"])

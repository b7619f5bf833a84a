"""Teams, their invitations and their running timers (docs/DESIGN.md, "Tasks, timers and
teams"; Worksection's get_timers / stop_timer).

A team shares its members' running timers and nothing else: each user's projects, tasks and
sessions stay in their own partition, read here only to describe a running timer (its task's
and project's id and title). A caller who is not a member gets `404` for the team, as for any
id that is not theirs.

Nobody becomes a member without consent: an admin invites an email (no account is looked up,
so the answer is the same whether or not anyone has that email), and only the user whose
verified email it is can accept the invitation; until then the team shares nothing with them.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from aws_lambda_powertools import Logger

from stint import aws
from stint.config import settings
from stint.errors import Conflict, Forbidden, not_found
from stint.models import MemberBody, TeamFields, TeamRole, normalized_email
from stint.services import users
from stint.services.common import ID_PATTERN, Caller, Versioned, check_if_match, new_id
from stint.services.running import elapsed_seconds
from stint.services.timer import stop_timer
from stint.store import TeamStore, entities_of_users, retrying, running_refs
from stint.timeutil import format_timestamp, utc_now

logger = Logger()

# Members and pending invitations together: an invitation holds a seat until it is accepted,
# declined, revoked or expired, so accepting one never finds the team full.
MAX_MEMBERS = 100
INVITATION_DAYS = 14


def _epoch(moment: datetime) -> int:
    return int(moment.timestamp())


def _pending(record: dict[str, Any], now: datetime) -> list[dict[str, Any]]:
    """The team's invitations that have not expired."""
    return [i for i in record.get("invitations", []) if int(i["expiresAt"]) > _epoch(now)]


def _role_of(record: dict[str, Any], user_id: str) -> TeamRole | None:
    return next((m["role"] for m in record["members"] if m["userId"] == user_id), None)


def _view(record: dict[str, Any], viewer_id: str) -> dict[str, Any]:
    """The team as this member sees it: admins see its pending invitations, members do not."""
    team = {"id": record["id"], "name": record["name"], "members": record["members"]}
    if _role_of(record, viewer_id) == "admin":
        team["invitations"] = [
            {key: i[key] for key in ("id", "email", "role", "createdAt")}
            for i in _pending(record, utc_now())
        ]
    return team


def _write(
    record: dict[str, Any],
    viewer_id: str,
    *,
    members: list[dict[str, Any]] | None = None,
    invitations: list[dict[str, Any]] | None = None,
    **links: Any,
) -> Versioned:
    """Write the team read as `record` with new `members` and / or `invitations` (else as
    read, expired invitations dropped), under its version, with `links` (TeamStore.write's
    membership and invitation items); the team as written, as the viewer sees it."""
    team = {
        **TeamStore.fields(record),
        "members": record["members"] if members is None else members,
        "invitations": _pending(record, utc_now()) if invitations is None else invitations,
    }
    version = TeamStore.write(team, expect_version=int(record["version"]), **links)
    return Versioned(_view(team, viewer_id), version)


def _member(
    user_id: str, profile: dict[str, Any], role: TeamRole, email: str | None = None
) -> dict[str, Any]:
    """A member entry: the display name as the user's profile has it now, and the email they
    were invited at (the creator: their profile's)."""
    return {
        "userId": user_id,
        "email": email or profile["email"],
        "displayName": profile["displayName"],
        "role": role,
    }


def _team_of_member(caller: Caller, team_id: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """The team and the caller's member entry; 404 when there is no such team for the caller."""
    record = TeamStore.get(team_id) if ID_PATTERN.match(team_id) else None
    me = next((m for m in (record or {}).get("members", []) if m["userId"] == caller.user_id), None)
    if record is None or me is None:
        raise not_found("team", team_id)
    return record, me


def _require_admin(me: dict[str, Any], action: str) -> None:
    if me["role"] != "admin":
        raise Forbidden(f"Only a team admin can {action}")


# ----------------------------------------------------------------------------- teams


def create_team(caller: Caller, fields: TeamFields) -> Versioned:
    """A new team whose only member, the caller, is its admin."""
    me = _member(caller.user_id, users.profile(caller).entity, "admin")

    def attempt() -> Versioned:
        team = {"id": new_id(), "name": fields.name, "members": [me], "invitations": []}
        version = TeamStore.write(team, expect_version=None, joining=(caller.user_id,))
        return Versioned(_view(team, caller.user_id), version)

    return retrying(attempt)


def list_teams(
    caller: Caller, *, limit: int, next_token: str | None
) -> tuple[list[dict[str, Any]], str | None]:
    team_ids, token = TeamStore.memberships(caller.user_id, limit=limit, next_token=next_token)
    teams = [_view(record, caller.user_id) for record in TeamStore.get_many(team_ids)]
    return teams, token


def get_team(caller: Caller, team_id: str) -> Versioned:
    record, _ = _team_of_member(caller, team_id)
    return Versioned(_view(record, caller.user_id), int(record["version"]))


def remove_member(caller: Caller, team_id: str, user_id: str, if_match: str | None) -> None:
    """An admin removes a member, or a member leaves; the last admin cannot leave (409).
    `If-Match` names the team's ETag."""

    def attempt() -> None:
        record, me = _team_of_member(caller, team_id)
        if user_id != caller.user_id:
            _require_admin(me, "remove other members")
        check_if_match(if_match, {"seq": record["version"]})
        members = record["members"]
        leaving = next((m for m in members if m["userId"] == user_id), None)
        if leaving is None:
            raise not_found("member", user_id)
        remaining = [m for m in members if m["userId"] != user_id]
        if leaving["role"] == "admin" and not any(m["role"] == "admin" for m in remaining):
            raise Conflict("The team's last admin cannot leave; make another member admin first")
        _write(record, caller.user_id, members=remaining, leaving=(user_id,))

    retrying(attempt)


# ----------------------------------------------------------------------------- invitations


def invite(caller: Caller, team_id: str, body: MemberBody) -> Versioned:
    """An admin invites an email (already normalized by the model). No account is looked up:
    the answer is the same whether or not anyone has that email. An email that is a member or
    invited already, or a team whose members and pending invitations number 100: 409."""

    def attempt() -> Versioned:
        record, me = _team_of_member(caller, team_id)
        _require_admin(me, "invite members")
        now = utc_now()
        pending = _pending(record, now)
        if any(normalized_email(m["email"]) == body.email for m in record["members"]):
            raise Conflict(f"{body.email} is already a member of the team")
        if any(i["email"] == body.email for i in pending):
            raise Conflict(f"{body.email} is already invited to the team")
        if len(record["members"]) + len(pending) >= MAX_MEMBERS:
            raise Conflict(
                f"A team has at most {MAX_MEMBERS} members, pending invitations included"
            )
        invitation = {
            "id": new_id(),
            "teamId": record["id"],
            "teamName": record["name"],
            "email": body.email,
            "role": body.role,
            "invitedBy": {"userId": caller.user_id, "displayName": me["displayName"]},
            "createdAt": format_timestamp(now),
            "expiresAt": _epoch(now + timedelta(days=INVITATION_DAYS)),
        }
        invitations = [*pending, invitation]
        written = _write(record, caller.user_id, invitations=invitations, invited=invitation)
        return Versioned(_public_invitation(invitation), written.seq)

    return retrying(attempt)


def revoke_invitation(
    caller: Caller, team_id: str, invitation_id: str, if_match: str | None
) -> None:
    """An admin withdraws a pending invitation. `If-Match` names the team's ETag."""

    def attempt() -> None:
        record, me = _team_of_member(caller, team_id)
        _require_admin(me, "revoke invitations")
        check_if_match(if_match, {"seq": record["version"]})
        pending = _pending(record, utc_now())
        invitation = next((i for i in pending if i["id"] == invitation_id), None)
        if invitation is None:
            raise not_found("invitation", invitation_id)
        remaining = [i for i in pending if i["id"] != invitation_id]
        _write(
            record,
            caller.user_id,
            invitations=remaining,
            withdrawn=(invitation["email"], invitation_id),
        )

    retrying(attempt)


def my_invitations(
    caller: Caller, *, limit: int, next_token: str | None
) -> tuple[list[dict[str, Any]], str | None]:
    """The pending invitations to the caller's verified email (none while it is unverified)."""
    email = _verified_email(caller)
    if email is None:
        return [], None
    records, token = TeamStore.invitations(
        email, limit=limit, next_token=next_token, expiring_after=_epoch(utc_now())
    )
    return [_public_invitation(record) for record in records], token


def accept_invitation(caller: Caller, invitation_id: str) -> Versioned:
    """The invitee joins the team with the invited role: in one transaction, conditioned on the
    team's version and on the invitation still existing, the member is added to the team, the
    membership item written and the invitation removed. Anyone but the invitee: 404."""
    email = _verified_email(caller)

    def attempt() -> Versioned:
        record, invitation, profile = _invitation_to(caller, email, invitation_id)
        if _role_of(record, caller.user_id) is not None:
            raise Conflict("You are already a member of the team")
        pending = _pending(record, utc_now())
        if len(record["members"]) >= MAX_MEMBERS:  # never while invitations hold their seats
            raise Conflict(f"A team has at most {MAX_MEMBERS} members")
        member = _member(caller.user_id, profile, invitation["role"], invitation["email"])
        return _write(
            record,
            caller.user_id,
            members=[*record["members"], member],
            invitations=[i for i in pending if i["id"] != invitation_id],
            joining=(caller.user_id,),
            withdrawn=(invitation["email"], invitation_id),
        )

    return retrying(attempt)


def decline_invitation(caller: Caller, invitation_id: str) -> None:
    """The invitee declines: the invitation is removed from the team and from their list."""
    email = _verified_email(caller)

    def attempt() -> None:
        record, invitation, _ = _invitation_to(caller, email, invitation_id)
        pending = _pending(record, utc_now())
        _write(
            record,
            caller.user_id,
            invitations=[i for i in pending if i["id"] != invitation_id],
            withdrawn=(invitation["email"], invitation_id),
        )

    retrying(attempt)


def _invitation_to(
    caller: Caller, email: str | None, invitation_id: str
) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
    """The team, the pending invitation `invitation_id` to the caller's verified `email`, and
    the caller's profile (read along, for the member entry); 404 when there is no such
    invitation (another user's, an unverified email's, expired, accepted, declined, revoked)."""
    found = profile = None
    if email is not None and ID_PATTERN.match(invitation_id):
        found, profile = TeamStore.invitation_and_profile(email, invitation_id, caller.user_id)
    record = TeamStore.get(str(found["teamId"])) if found else None
    pending = _pending(record, utc_now()) if record else []
    invitation = next((i for i in pending if i["id"] == invitation_id), None)
    if record is None or invitation is None:
        raise not_found("invitation", invitation_id)
    # Missing only for a caller whose profile no request has created yet: create it now.
    return record, invitation, profile or users.profile(caller).entity


def _public_invitation(record: dict[str, Any]) -> dict[str, Any]:
    keys = ("id", "teamId", "teamName", "email", "role", "invitedBy", "createdAt")
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


# ----------------------------------------------------------------------------- team timers


def team_timers(caller: Caller, team_id: str) -> list[dict[str, Any]]:
    """Every member's running timer with its user, task and project (Worksection's
    get_timers). At most 5 round trips whatever the team's size (at most 100 members, so each
    batch is one BatchGetItem): the team; the members' RUNNING guards; their sessions; the
    sessions' tasks; the tasks' projects."""
    record, _ = _team_of_member(caller, team_id)
    members = {m["userId"]: m for m in record["members"]}
    running = running_refs(list(members))
    sessions = entities_of_users("session", list(running.items()))
    sessions = {key: s for key, s in sessions.items() if s.get("running")}
    tasks = entities_of_users("task", [(uid, s["taskId"]) for (uid, _), s in sessions.items()])
    projects = entities_of_users(
        "project", [(uid, t["projectId"]) for (uid, _), t in tasks.items()]
    )
    now = utc_now()
    timers = []
    for (user_id, session_id), session in sessions.items():
        task = tasks.get((user_id, session["taskId"]))
        if task is None:  # deleted since the session was read
            continue
        project = projects.get((user_id, task["projectId"]), {})
        member = members[user_id]
        timers.append(
            {
                "id": session_id,
                "startTimestamp": session["startTimestamp"],
                "elapsed": elapsed_seconds(session, now),
                "note": session.get("note"),
                "user": {
                    "id": user_id,
                    "email": member["email"],
                    "displayName": member["displayName"],
                },
                "task": {
                    "id": task["id"],
                    "title": task.get("title"),
                    "project": {"id": task["projectId"], "title": project.get("title")},
                },
            }
        )
    timers.sort(key=lambda timer: (timer["startTimestamp"], timer["user"]["id"]))
    return timers


def stop_team_timer(caller: Caller, team_id: str, timer_id: str, note: str | None) -> Versioned:
    """An admin stops any member's running timer (a member may stop their own); the member
    sees the stopped session in their next sync, as if they had stopped it."""
    record, me = _team_of_member(caller, team_id)
    running = running_refs([m["userId"] for m in record["members"]])
    owners = [user_id for user_id, session_id in running.items() if session_id == timer_id]
    if not owners:
        raise not_found("timer", timer_id)
    if len(owners) > 1:  # client-chosen session ids may collide across users
        raise Conflict(f"Several members run a timer with id {timer_id!r}; they stop their own")
    owner = owners[0]
    if owner != caller.user_id:
        _require_admin(me, "stop another member's timer")
    return stop_timer(owner, note, session_id=timer_id)

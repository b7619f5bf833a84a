"""Workspaces: shared ones with their members, roles and invitations, everyone's personal one,
and a workspace's running timers (docs/DESIGN.md, "Workspaces"; Worksection's get_timers /
stop_timer).

Nobody becomes a member without consent: an owner or admin invites an email (no account is
looked up, so the answer is the same whether or not anyone has that email), and only the user
whose verified email it is can accept the invitation; until then the workspace shares nothing
with them. A caller who is not a member gets `404` for the workspace and all in it.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from aws_lambda_powertools import Logger

from stint import aws
from stint.config import settings
from stint.errors import Conflict, Forbidden, NotFound, invalid_field, not_found
from stint.models import (
    DEFAULT_SETTINGS,
    MemberBody,
    MemberPatch,
    Role,
    WorkspaceFields,
    WorkspacePatchFields,
    normalized_email,
)
from stint.rerating import KEEP_RATES
from stint.services import access, running, users
from stint.services.access import Membership
from stint.services.common import ID_PATTERN, Caller, Versioned, check_if_match, new_id
from stint.services.money_view import without_money
from stint.services.running import elapsed_seconds
from stint.services.timer import stop_timer
from stint.store import (
    Partition,
    WorkspaceStore,
    batch_get,
    entity_of,
    entity_sk,
    retrying,
    running_refs,
)
from stint.timeutil import format_timestamp, utc_now

logger = Logger()

# Members and pending invitations together: an invitation holds a seat until it is accepted,
# declined, revoked or expired, so accepting one never finds the workspace full.
MAX_MEMBERS = 200
MAX_WORKSPACES = 50  # a user's, the personal one included
INVITATION_DAYS = 14
PERSONAL_NAME = "Personal"
# A personal workspace never renamed has no record: its `lastUpdated` is the epoch's.
_NEVER = "1970-01-01T00:00:00.000Z"


def _epoch(moment: datetime) -> int:
    return int(moment.timestamp())


def _pending(record: dict[str, Any], now: datetime) -> list[dict[str, Any]]:
    """The workspace's invitations that have not expired."""
    return [i for i in record.get("invitations", []) if int(i["expiresAt"]) > _epoch(now)]


def _settings(record: dict[str, Any] | None) -> dict[str, Any]:
    return {**DEFAULT_SETTINGS, **(record or {}).get("settings", {})}


def _settings_sent(fields: WorkspaceFields) -> dict[str, Any]:
    """The settings a body sends (those present), as a dict: `written()` leaves the nested
    model as it is."""
    return {} if fields.settings is None else fields.settings.written()


def view(member: Membership, personal_record: dict[str, Any] | None = None) -> dict[str, Any]:
    """The workspace as the caller sees it."""
    record = member.record if not member.personal else personal_record
    return {
        "id": member.workspace_id,
        "name": (record or {}).get("name", PERSONAL_NAME),
        "personal": member.personal,
        "role": member.role,
        "settings": _settings(record) if member.sees_money else without_money(_settings(record)),
        "memberCount": len(member.record["members"]) if member.record else 1,
        "lastUpdated": (record or {}).get("lastUpdated", _NEVER),
    }


def _version(member: Membership, personal_record: dict[str, Any] | None) -> int:
    record = member.record if not member.personal else personal_record
    return int((record or {}).get("version", 0))


def _write(
    record: dict[str, Any],
    *,
    members: list[dict[str, Any]] | None = None,
    invitations: list[dict[str, Any]] | None = None,
    personal: bool = False,
    keep_rates: bool = False,
    **links: Any,
) -> dict[str, Any]:
    """Write the workspace read as `record` with new `members` and / or `invitations` (else as
    read, expired invitations dropped), under its version, with `links` (WorkspaceStore.write's
    membership and invitation items); the record as written."""
    workspace = {
        **WorkspaceStore.fields(record),
        "lastUpdated": format_timestamp(utc_now()),
    }
    # A change of rates made with `rerate=false` re-rates nothing (stint.rerating).
    workspace.pop(KEEP_RATES, None)
    if keep_rates:
        workspace[KEEP_RATES] = True
    if not personal:
        workspace["members"] = record["members"] if members is None else members
        workspace["invitations"] = (
            _pending(record, utc_now()) if invitations is None else invitations
        )
    expect = int(record["version"]) if "version" in record else None
    version = WorkspaceStore.write(workspace, expect_version=expect, personal=personal, **links)
    return {**workspace, "version": version}


def _member_entry(
    user_id: str, profile: dict[str, Any], role: Role, email: str | None = None
) -> dict[str, Any]:
    """A member entry: the display name as the user's profile has it now, and the email they
    were invited at (the creator: their profile's)."""
    return {
        "userId": user_id,
        "email": email or profile["email"],
        "displayName": profile["displayName"],
        "role": role,
        "joinedAt": format_timestamp(utc_now()),
    }


def _shared(caller: Caller, workspace_id: str) -> Membership:
    """The caller in a shared workspace; the personal one: 409 (it has one member)."""
    member = access.membership(caller, workspace_id)
    if member.personal:
        raise Conflict("The personal workspace has one member, its owner")
    assert member.record is not None
    return member


# ----------------------------------------------------------------------------- workspaces


def list_workspaces(caller: Caller) -> list[dict[str, Any]]:
    mine = access.memberships(caller)
    personal_record = access.personal_record(caller)
    return [view(member, personal_record) for member in mine]


def get_workspace(caller: Caller, workspace_id: str) -> Versioned:
    member = access.membership(caller, workspace_id)
    personal_record = access.personal_record(caller) if member.personal else None
    return Versioned(view(member, personal_record), _version(member, personal_record))


def create_workspace(caller: Caller, fields: WorkspaceFields) -> Versioned:
    """A new shared workspace whose only member, the caller, is its owner."""
    if fields.name is None:
        raise invalid_field("workspace.name", "is required")
    profile = users.profile(caller).entity
    if len(access.shared_ids(caller)) + 1 >= MAX_WORKSPACES:
        raise Conflict(f"A user belongs to at most {MAX_WORKSPACES} workspaces")
    me = _member_entry(caller.user_id, profile, "owner")

    def attempt() -> Versioned:
        workspace = {
            "id": new_id(),
            "name": fields.name,
            "settings": _settings({"settings": _settings_sent(fields)}),
            "members": [me],
            "invitations": [],
        }
        written = _write(workspace, joining=(caller.user_id,))
        member = Membership(str(written["id"]), False, "owner", written)
        return Versioned(view(member), int(written["version"]))

    return retrying(attempt)


def update_workspace(
    caller: Caller,
    workspace_id: str,
    fields: WorkspacePatchFields,
    if_match: str | None,
    *,
    rerate: bool = True,
) -> Versioned:
    """Rename or change the settings: owner and admins. A new billable rate re-rates the
    workspace's sessions in the background unless `rerate` is False."""
    if fields.id is not None and fields.id != workspace_id:
        raise invalid_field("workspace.id", "must equal the id in the path")

    def attempt() -> Versioned:
        member = access.membership(caller, workspace_id)
        member.require("manage")
        personal_record = access.personal_record(caller) if member.personal else None
        record = member.record or personal_record or {"id": caller.user_id}
        check_if_match(if_match, {"seq": _version(member, personal_record)})
        changed = {**record}
        written_fields = fields.written()
        if "name" in written_fields:
            changed["name"] = written_fields["name"]
        if "settings" in written_fields:
            changed["settings"] = {**_settings(record), **_settings_sent(fields)}
        written = _write(changed, personal=member.personal, keep_rates=not rerate)
        if member.personal:
            return Versioned(view(member, written), int(written["version"]))
        updated = Membership(member.workspace_id, False, member.role, written)
        return Versioned(view(updated), int(written["version"]))

    return retrying(attempt)


def delete_workspace(caller: Caller, workspace_id: str, if_match: str | None) -> None:
    """The owner deletes a shared workspace. First its record is marked `deleting`, under its
    version (an invitation or a member's change racing it fails its own condition), and from
    then on nobody reaches it; then its members' memberships, its invitations and all it holds
    go, the record last. A deletion cut short is finished by the owner's next DELETE."""
    record = WorkspaceStore.get(workspace_id) if ID_PATTERN.match(workspace_id) else None
    if record is not None and record.get("deleting"):
        if access.role_in(record, caller.user_id) != "owner":
            raise not_found("workspace", workspace_id)
    else:

        def mark() -> dict[str, Any]:
            member = _shared(caller, workspace_id)
            member.require("delete")
            assert member.record is not None
            check_if_match(if_match, {"seq": member.record["version"]})
            return _write({**member.record, "deleting": True})

        record = retrying(mark)
    others = [m["userId"] for m in record["members"] if m["userId"] != caller.user_id]
    pending = [(i["email"], i["id"]) for i in record.get("invitations", [])]
    WorkspaceStore.delete(workspace_id, members=[*others, caller.user_id], invitations=pending)


# ----------------------------------------------------------------------------- members


def members(caller: Caller, workspace_id: str) -> dict[str, Any]:
    """The members; owners and admins also see the pending invitations."""
    member = access.membership(caller, workspace_id)
    if member.personal:
        profile = users.profile(caller).entity
        me = {**_member_entry(caller.user_id, profile, "owner"), "joinedAt": _NEVER}
        return {"members": [member_view(me)]}
    assert member.record is not None
    shown = [member_view(m) for m in member.record["members"]]
    listed: dict[str, Any] = {"members": shown if member.sees_money else without_money(shown)}
    if member.may("members"):
        listed["invitations"] = [
            _public_invitation(
                {**i, "workspaceId": workspace_id, "workspaceName": member.record["name"]}
            )
            for i in _pending(member.record, utc_now())
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
        member = _shared(caller, workspace_id)
        member.require("members")
        record = member.record
        assert record is not None
        check_if_match(if_match, {"seq": record["version"]})
        target = next((m for m in record["members"] if m["userId"] == user_id), None)
        if target is None:
            raise not_found("member", user_id)
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
        written = _write(record, members=changed, keep_rates=not rerate)
        updated = next(m for m in changed if m["userId"] == user_id)
        return Versioned(member_view(updated), int(written["version"]))

    return retrying(attempt)


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
    leave but the owner (409: hand ownership over first). `If-Match`: the workspace's ETag."""

    def attempt() -> None:
        member = _shared(caller, workspace_id)
        record = member.record
        assert record is not None
        check_if_match(if_match, {"seq": record["version"]})
        leaving = next((m for m in record["members"] if m["userId"] == user_id), None)
        if leaving is None:
            raise not_found("member", user_id)
        if user_id != caller.user_id:
            member.require("members")
            if leaving["role"] in ("owner", "admin") and member.role != "owner":
                raise Forbidden("Only the owner removes an admin; nobody removes the owner")
        if leaving["role"] == "owner":
            raise Conflict("The owner cannot leave; hand ownership over first")
        remaining = [m for m in record["members"] if m["userId"] != user_id]
        _write(record, members=remaining, leaving=(user_id,))

    retrying(attempt)
    _stop_timer_here(user_id, workspace_id)


def _stop_timer_here(user_id: str, workspace_id: str) -> None:
    """A member gone while their timer runs on a task of the workspace: it stops now (the
    session stays the workspace's), so nothing of the workspace is theirs any more (their
    `GET /v1/timer` would show its task and project)."""
    ref = running_refs([user_id]).get(user_id)
    if ref is None:
        return
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


# ----------------------------------------------------------------------------- invitations


def invite(caller: Caller, workspace_id: str, body: MemberBody) -> Versioned:
    """An owner or admin invites an email (already normalized by the model). No account is
    looked up: the answer is the same whether or not anyone has that email. An email that is a
    member or invited already, or a workspace whose members and pending invitations number
    200: 409. Only the owner invites an admin."""

    def attempt() -> Versioned:
        member = _shared(caller, workspace_id)
        member.require("members")
        if body.role == "admin" and member.role != "owner":
            raise Forbidden("Only the owner makes an admin")
        record = member.record
        assert record is not None
        now = utc_now()
        pending = _pending(record, now)
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
            "expiresAt": _epoch(now + timedelta(days=INVITATION_DAYS)),
        }
        written = _write(record, invitations=[*pending, invitation], invited=invitation)
        return Versioned(_public_invitation(invitation), int(written["version"]))

    return retrying(attempt)


def revoke_invitation(
    caller: Caller, workspace_id: str, invitation_id: str, if_match: str | None
) -> None:
    """An owner or admin withdraws a pending invitation. `If-Match`: the workspace's ETag."""

    def attempt() -> None:
        member = _shared(caller, workspace_id)
        member.require("members")
        record = member.record
        assert record is not None
        check_if_match(if_match, {"seq": record["version"]})
        pending = _pending(record, utc_now())
        invitation = next((i for i in pending if i["id"] == invitation_id), None)
        if invitation is None:
            raise not_found("invitation", invitation_id)
        remaining = [i for i in pending if i["id"] != invitation_id]
        _write(record, invitations=remaining, withdrawn=(invitation["email"], invitation_id))

    retrying(attempt)


def my_invitations(
    caller: Caller, *, limit: int, next_token: str | None
) -> tuple[list[dict[str, Any]], str | None]:
    """The pending invitations to the caller's verified email (none while it is unverified)."""
    email = _verified_email(caller)
    if email is None:
        return [], None
    records, token = WorkspaceStore.invitations(
        email, limit=limit, next_token=next_token, expiring_after=_epoch(utc_now())
    )
    return [_public_invitation(record) for record in records], token


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
        pending = _pending(record, utc_now())
        if len(record["members"]) >= MAX_MEMBERS:  # never while invitations hold their seats
            raise Conflict(f"A workspace has at most {MAX_MEMBERS} members")
        entry = _member_entry(caller.user_id, profile, invitation["role"], invitation["email"])
        written = _write(
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
        pending = _pending(record, utc_now())
        _write(
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
    pending = _pending(record, utc_now()) if record else []
    invitation = next((i for i in pending if i["id"] == invitation_id), None)
    if record is None or invitation is None:
        raise not_found("invitation", invitation_id)
    # Missing only for a caller whose profile no request has created yet: create it now.
    return record, invitation, profile or users.profile(caller).entity


def _public_invitation(record: dict[str, Any]) -> dict[str, Any]:
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


# ----------------------------------------------------------------------------- timers


def workspace_timers(caller: Caller, workspace_id: str) -> list[dict[str, Any]]:
    """The members' running timers on the workspace's tasks (Worksection's get_timers); a
    member's timer in another workspace is not shown. At most 4 round trips whatever the
    workspace's size (each batch is one or two BatchGetItems): the record, the members'
    RUNNING guards, their sessions here, the sessions' tasks and projects."""
    member = access.membership(caller, workspace_id)
    if member.personal:
        profile = users.profile(caller).entity
        entries = {caller.user_id: _member_entry(caller.user_id, profile, "owner")}
    else:
        assert member.record is not None
        entries = {m["userId"]: m for m in member.record["members"]}
    pk = member.pk
    # The guards naming a session of this workspace: `<workspaceId>/<sessionId>` (running.py).
    here = {
        user_id: session_id
        for user_id, ref in running_refs(list(entries)).items()
        for workspace_id, session_id in [running.parse_ref(user_id, ref)]
        if workspace_id == member.workspace_id
    }
    sessions = batch_get((pk, entity_sk("session", s)) for s in here.values())
    mine = {
        record["id"]: record
        for record in sessions.values()
        if record.get("running") and here.get(entity_of(record)["userId"]) == record["id"]
    }
    tasks = batch_get((pk, entity_sk("task", s["taskId"])) for s in mine.values())
    projects = batch_get((pk, entity_sk("project", t["projectId"])) for t in tasks.values())
    now = utc_now()
    timers = []
    for session_id, session in mine.items():
        task = tasks.get((pk, entity_sk("task", session["taskId"])))
        if task is None:  # deleted since the session was read
            continue
        project = projects.get((pk, entity_sk("project", task["projectId"])), {})
        user_id = str(entity_of(session)["userId"])
        entry = entries[user_id]
        timers.append(
            {
                "id": session_id,
                "startTimestamp": session["startTimestamp"],
                "elapsed": elapsed_seconds(session, now),
                "note": session.get("note"),
                "user": {
                    "id": user_id,
                    "email": entry["email"],
                    "displayName": entry["displayName"],
                },
                "task": {
                    "id": task["id"],
                    "title": task.get("title"),
                    "assigneeId": task.get("assigneeId"),
                    "project": {"id": task["projectId"], "title": project.get("title")},
                },
            }
        )
    timers.sort(key=lambda timer: (timer["startTimestamp"], timer["user"]["id"]))
    return timers


def stop_workspace_timer(
    caller: Caller, workspace_id: str, timer_id: str, note: str | None
) -> Versioned:
    """An owner, admin or manager stops any member's running timer on the workspace's tasks (a
    member their own); the member sees the stopped session in their next sync."""
    member = access.membership(caller, workspace_id)
    session = Partition(member.pk).get("session", timer_id) if ID_PATTERN.match(timer_id) else None
    if session is None or not session.get("running"):
        raise not_found("timer", timer_id)
    owner = str(entity_of(session)["userId"])
    if owner != caller.user_id:
        member.require("everyone")
    return stop_timer(owner, note, session_id=timer_id, workspace=member.workspace_id)

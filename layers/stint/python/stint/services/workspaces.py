"""Workspaces: shared ones and everyone's personal one, with their settings, and what the
modules of a workspace's members, invitations and team timers share: the workspace as the caller
sees it, and its record written under its version (docs/DESIGN.md, "Workspaces").

Nobody becomes a member without consent: an owner or admin invites an email (no account is
looked up, so the answer is the same whether or not anyone has that email), and only the user
whose verified email it is can accept the invitation; until then the workspace shares nothing
with them. A caller who is not a member gets `404` for the workspace and all in it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from stint.errors import Conflict, invalid_field, not_found
from stint.models import DEFAULT_SETTINGS, Role, WorkspaceFields, WorkspacePatchFields
from stint.rerating import KEEP_RATES
from stint.services import access, users
from stint.services.access import Membership
from stint.services.common import ID_PATTERN, Caller, Versioned, check_if_match, new_id
from stint.services.money_view import without_money
from stint.store import WorkspaceStore, retrying
from stint.timeutil import format_timestamp, utc_now

MAX_WORKSPACES = 50  # a user's, the personal one included
PERSONAL_NAME = "Personal"
# A personal workspace never renamed has no record: its `lastUpdated` is the epoch's.
NEVER = "1970-01-01T00:00:00.000Z"


def epoch(moment: datetime) -> int:
    return int(moment.timestamp())


def pending_invitations(record: dict[str, Any], now: datetime) -> list[dict[str, Any]]:
    """The workspace's invitations that have not expired."""
    return [i for i in record.get("invitations", []) if int(i["expiresAt"]) > epoch(now)]


def _settings(record: dict[str, Any] | None) -> dict[str, Any]:
    return {**DEFAULT_SETTINGS, **(record or {}).get("settings", {})}


def _settings_sent(fields: WorkspaceFields | WorkspacePatchFields) -> dict[str, Any]:
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
        "lastUpdated": (record or {}).get("lastUpdated", NEVER),
    }


def _version(member: Membership, personal_record: dict[str, Any] | None) -> int:
    record = member.record if not member.personal else personal_record
    return int((record or {}).get("version", 0))


def write(
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
            pending_invitations(record, utc_now()) if invitations is None else invitations
        )
    expect = int(record["version"]) if "version" in record else None
    try:
        version = WorkspaceStore.write(workspace, expect_version=expect, personal=personal, **links)
    except BaseException:  # maybe written: what this request resolved from it may be stale
        access.forget(str(record["id"]))
        raise
    written = {**workspace, "version": version}
    access.written(written)
    return written


def member_entry(
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


def shared_membership(caller: Caller, workspace_id: str) -> Membership:
    """The caller in a shared workspace; the personal one: 409 (it has one member)."""
    return shared(access.membership(caller, workspace_id))


def shared(member: Membership) -> Membership:
    """`member`, in a shared workspace; in the personal one: 409 (it has one member)."""
    if member.personal:
        raise Conflict("The personal workspace has one member, its owner")
    assert member.record is not None
    return member


# ----------------------------------------------------------------------------- workspaces


def list_workspaces(caller: Caller) -> list[dict[str, Any]]:
    mine, personal_record = access.memberships_and_personal_record(caller)
    return [view(member, personal_record) for member in mine]


def get_workspace(caller: Caller, workspace_id: str) -> Versioned:
    member = access.membership(caller, workspace_id)
    personal_record = access.personal_record(caller) if member.personal else None
    return Versioned(view(member, personal_record), _version(member, personal_record))


def create_workspace(caller: Caller, fields: WorkspaceFields) -> Versioned:
    """A new shared workspace whose only member, the caller, is its owner."""
    profile = users.profile(caller).entity
    if len(access.shared_ids(caller)) + 1 >= MAX_WORKSPACES:
        raise Conflict(f"A user belongs to at most {MAX_WORKSPACES} workspaces")
    me = member_entry(caller.user_id, profile, "owner")

    def attempt() -> Versioned:
        workspace = {
            "id": new_id(),
            "name": fields.name,
            "settings": _settings({"settings": _settings_sent(fields)}),
            "members": [me],
            "invitations": [],
        }
        written = write(workspace, joining=(caller.user_id,))
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
        written = write(changed, personal=member.personal, keep_rates=not rerate)
        if member.personal:
            return Versioned(view(member, written), int(written["version"]))
        updated = Membership(member.workspace_id, False, member.role, written)
        return Versioned(view(updated), int(written["version"]))

    return retrying(attempt)


def delete_workspace(caller: Caller, workspace_id: str, if_match: str | None) -> None:
    """The owner deletes a shared workspace. First its record is marked `deleting`, under its
    version (an invitation or a member's change racing it fails its own condition), and from
    then on nobody reaches it; then its members' memberships and its invitations go (with the
    mark, when they fit its transaction) and all it holds, the record last. A deletion cut
    short is finished by the owner's next DELETE."""
    if workspace_id == caller.user_id:
        shared_membership(caller, workspace_id)  # the personal workspace: 409

    def mark() -> tuple[dict[str, Any], bool]:
        """The record marked `deleting`, and whether the mark's transaction removed the other
        members' memberships and the invitations along."""
        record = WorkspaceStore.get(workspace_id) if ID_PATTERN.match(workspace_id) else None
        if record is not None and record.get("deleting"):  # cut short: the owner finishes it
            if access.role_in(record, caller.user_id) != "owner":
                raise not_found("workspace", workspace_id)
            return record, False
        member = access.member_of(caller, record)
        if member is None:
            raise not_found("workspace", workspace_id)
        member.require("delete")
        assert member.record is not None
        check_if_match(if_match, {"seq": member.record["version"]})
        others, pending = _links(member.record, caller.user_id)
        along = WorkspaceStore.unlinked_when_marked(len(others) + len(pending))
        links: dict[str, Any] = {"leaving": tuple(others), "dropped": tuple(pending)}
        return write({**member.record, "deleting": True}, **(links if along else {})), along

    record, unlinked = retrying(mark)
    others, pending = ([], []) if unlinked else _links(record, caller.user_id)
    WorkspaceStore.delete(workspace_id, members=[*others, caller.user_id], invitations=pending)


def _links(record: dict[str, Any], owner: str) -> tuple[list[str], list[tuple[str, str]]]:
    """The items outside a workspace's partition that its deletion removes besides its
    `owner`'s membership: the other members' memberships (their ids) and its invitations'
    (email, id)."""
    others = [str(m["userId"]) for m in record["members"] if m["userId"] != owner]
    return others, [(i["email"], i["id"]) for i in record.get("invitations", [])]

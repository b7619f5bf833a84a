"""Who may do what where: the caller's workspaces, their role in each, and where an entity named
by its id alone lives (docs/DESIGN.md, "Workspaces").

Access is checked where the data is read, on every request: a workspace's record lists its
members, so a member removed a moment ago finds nothing of it on their very next request.
Every user's personal workspace is their own partition, its id their user id, its only member
them, as owner.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from stint.errors import Forbidden, invalid_field, not_found
from stint.models import Role
from stint.services.common import ID_PATTERN, Caller
from stint.store import (
    WORKSPACE_SK,
    Partition,
    Store,
    UnitOfWork,
    WorkspaceStore,
    batch_get,
    entity_sk,
    user_pk,
    workspace_pk,
)

# What a role may do (docs/API.md, "Workspaces"): actions by the roles that may take them.
Action = Literal["manage", "delete", "members", "catalog", "everyone"]
_MANAGERS: frozenset[Role] = frozenset({"owner", "admin", "manager"})
_ALLOWED: dict[Action, frozenset[Role]] = {
    "manage": frozenset({"owner", "admin"}),  # rename, change settings
    "delete": frozenset({"owner"}),  # delete the workspace, hand ownership over
    "members": frozenset({"owner", "admin"}),  # invite, remove, change roles
    "catalog": _MANAGERS,  # projects, categories, clients, tags; deleting tasks (or the setting)
    "everyone": _MANAGERS,  # every member's sessions, reports of everyone, stopping any timer
}
_WHAT: dict[Action, str] = {
    "manage": "change the workspace",
    "delete": "do this (the owner only)",
    "members": "manage the workspace's members",
    "catalog": "change the workspace's catalog",
    "everyone": "act on other members' time",
}


@dataclass(frozen=True)
class Membership:
    """The caller in one of their workspaces: the workspace's id, whether it is their personal
    one, their role, and the shared workspace's record as read (None: personal)."""

    workspace_id: str
    personal: bool
    role: Role
    record: dict[str, Any] | None

    def may(self, action: Action) -> bool:
        if self.role in _ALLOWED[action]:
            return True
        settings = (self.record or {}).get("settings", {})
        return action == "catalog" and bool(settings.get("membersManageCatalog"))

    @property
    def sees_money(self) -> bool:
        """Rates, amounts, costs and profits: owners, admins and managers see them, members
        only where the workspace's `membersSeeRates` lets them (docs/API.md, "Money")."""
        settings = (self.record or {}).get("settings", {})
        return self.role in _MANAGERS or bool(settings.get("membersSeeRates"))

    def require(self, action: Action) -> None:
        if not self.may(action):
            raise Forbidden(f"A {self.role} of this workspace cannot {_WHAT[action]}")

    @property
    def pk(self) -> str:
        return workspace_pk(self.workspace_id, self.personal)

    def store(self, caller: Caller) -> Store:
        return Store(caller.user_id, self.workspace_id)

    def unit(self, caller: Caller) -> UnitOfWork:
        return UnitOfWork(caller.user_id, self.workspace_id)


def personal(caller: Caller) -> Membership:
    return Membership(caller.user_id, True, "owner", None)


def role_in(record: dict[str, Any], user_id: str) -> Role | None:
    return next((m["role"] for m in record.get("members", []) if m["userId"] == user_id), None)


def member_of(caller: Caller, record: dict[str, Any] | None) -> Membership | None:
    """The caller in the workspace `record`; None when they are not a member, or it is being
    deleted (gone for everyone; its owner finishes the deletion: services/workspaces.py)."""
    role = role_in(record, caller.user_id) if record else None
    if record is None or role is None or record.get("deleting"):
        return None
    return Membership(str(record["id"]), False, role, record)


def membership(caller: Caller, workspace_id: str, field: str | None = None) -> Membership:
    """The caller in the workspace `workspace_id`: 404 when it is not one of theirs (a body's
    `field`: 400 naming it)."""
    if workspace_id == caller.user_id:
        return personal(caller)
    found = None
    if ID_PATTERN.match(workspace_id):
        found = member_of(caller, WorkspaceStore.get(workspace_id))
    if found is None:
        if field is not None:
            raise invalid_field(field, f"no workspace with id {workspace_id!r}")
        raise not_found("workspace", workspace_id)
    return found


def where(caller: Caller, workspace_id: str | None, field: str = "workspaceId") -> Membership:
    """The workspace a body or query names (default: the caller's personal one)."""
    return personal(caller) if workspace_id is None else membership(caller, workspace_id, field)


def shared_ids(caller: Caller) -> list[str]:
    """The ids of the shared workspaces the caller's memberships name (at most 50)."""
    ids: list[str] = []
    token: str | None = None
    while True:
        page, token = WorkspaceStore.memberships(caller.user_id, limit=100, next_token=token)
        ids += page
        if not token:
            return ids


def memberships(caller: Caller) -> list[Membership]:
    """Every workspace of the caller: the personal one first, then the shared ones whose record
    lists them (a membership item outliving its workspace counts for nothing)."""
    shared = [member_of(caller, record) for record in WorkspaceStore.get_many(shared_ids(caller))]
    return [personal(caller), *(m for m in shared if m is not None)]


def blind_to_money(caller: Caller, workspace_ids: set[str]) -> set[str]:
    """Those of the shared workspaces `workspace_ids` where the caller does not see money (one
    BatchGetItem of their records; one the caller is not in shows them nothing anyway)."""
    records = WorkspaceStore.get_many(sorted(i for i in workspace_ids if ID_PATTERN.match(i)))
    seen = {str(record["id"]): member_of(caller, record) for record in records}
    return {i for i in workspace_ids if (m := seen.get(i)) is None or not m.sees_money}


def listed(caller: Caller, workspace_id: str | None) -> list[Membership]:
    """The workspaces a list covers: the one a `workspaceId` query names (404 when it is none
    of the caller's), else every workspace of theirs."""
    if workspace_id is not None:
        return [membership(caller, workspace_id)]
    return memberships(caller)


def locate(caller: Caller, kind: str, entity_id: str) -> Membership:
    """The workspace of the caller's that holds the entity `kind`/`entity_id` (`find`)."""
    return find(caller, kind, entity_id)[0]


def find(caller: Caller, kind: str, entity_id: str) -> tuple[Membership, dict[str, Any] | None]:
    """The workspace of the caller's that holds the entity `kind`/`entity_id`, and the entity's
    record when this read it (None: read it from the workspace; a 404 when it is not there).

    One Query of the caller's memberships; a caller in shared workspaces also reads, in one
    BatchGetItem, the key in each and each one's record (who is a member). The personal
    workspace wins a tie (an id chosen by a client may exist in several: so an id's meaning to
    a caller never depends on what another member creates later in a shared workspace), then
    the shared ones in the order of their ids."""
    ids = shared_ids(caller) if ID_PATTERN.match(entity_id) else []
    if not ids:
        return personal(caller), None
    sk = entity_sk(kind, entity_id)
    mine = (user_pk(caller.user_id), sk)
    keys = [(workspace_pk(i, False), sk) for i in ids]
    records = [(workspace_pk(i, False), WORKSPACE_SK) for i in ids]
    found = batch_get([mine, *keys, *records])
    if mine in found:
        return personal(caller), found[mine]
    for key, record_key in zip(keys, records, strict=True):
        member = member_of(caller, found.get(record_key)) if key in found else None
        if member is not None:
            return member, found[key]
    return personal(caller), None  # the personal partition answers 404 as before


def personal_record(caller: Caller) -> dict[str, Any] | None:
    """The personal workspace's record, once renamed or given settings (None: the defaults)."""
    return Partition(user_pk(caller.user_id)).read(WORKSPACE_SK)


# The kinds only the roles that manage the catalog create, change and delete.
_CATALOG_KINDS = frozenset({"project", "category", "client", "tag"})
Use = Literal["read", "write", "delete"]


def check(caller: Caller, member: Membership, kind: str, record: dict[str, Any], use: Use) -> None:
    """May the caller, as `member`, `use` this entity of the workspace? A member reads and
    writes their own sessions only (another's is a 404, as if absent); the catalog is the
    managers' (or everyone's, with `membersManageCatalog`), and so is deleting tasks."""
    if kind == "session":
        if record.get("userId", caller.user_id) != caller.user_id and not member.may("everyone"):
            raise not_found(kind, str(record["id"]))
        return
    if use == "delete" or (use == "write" and kind in _CATALOG_KINDS):
        member.require("catalog")


def time_scopes(
    caller: Caller, workspace_id: str | None, user_id: str | None
) -> list[tuple[Membership, str | None]]:
    """Whose sessions a list or report reads, where: without `workspaceId`, the caller's own in
    every workspace of theirs; with it, that workspace's: every member's (or `userId`'s) for
    owners, admins and managers, a member's own only (another's: 403). Each workspace with the
    member whose time it is (None: everyone's)."""
    if workspace_id is None:
        if user_id not in (None, caller.user_id):
            raise invalid_field("userId", "another member's time needs workspaceId")
        return [(member, caller.user_id) for member in memberships(caller)]
    member = membership(caller, workspace_id)
    if member.may("everyone"):
        return [(member, user_id)]
    if user_id not in (None, caller.user_id):
        raise Forbidden("A member sees their own time only")
    return [(member, caller.user_id)]

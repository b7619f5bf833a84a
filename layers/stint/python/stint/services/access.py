"""Who may do what where: the caller's workspaces, their role in each, and where an entity named
by its id alone lives (docs/DESIGN.md, "Workspaces").

Access is checked where the data is read, on every request: a workspace's record lists its
members, so a member removed a moment ago finds nothing of it on their very next request.
Every user's personal workspace is their own partition, its id their user id, its only member
them, as owner.
"""

from __future__ import annotations

import contextlib
import contextvars
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Literal

from stint.errors import Forbidden, invalid_field, not_found
from stint.models import Role
from stint.services import locks
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
Action = Literal["manage", "delete", "members", "catalog", "everyone", "audience"]
_MANAGERS: frozenset[Role] = frozenset({"owner", "admin", "manager"})
_ALLOWED: dict[Action, frozenset[Role]] = {
    "manage": frozenset({"owner", "admin"}),  # rename, change settings
    "delete": frozenset({"owner"}),  # delete the workspace, hand ownership over
    "members": frozenset({"owner", "admin"}),  # invite, remove, change roles
    "catalog": _MANAGERS,  # projects, categories, clients, tags; deleting tasks (or the setting)
    "everyone": _MANAGERS,  # every member's sessions, reports of everyone, stopping any timer
    "audience": _MANAGERS,  # who sees a private project: its members
}
_WHAT: dict[Action, str] = {
    "manage": "change the workspace",
    "delete": "do this (the owner only)",
    "members": "manage the workspace's members",
    "catalog": "change the workspace's catalog",
    "everyone": "act on other members' time",
    "audience": "choose who sees a project",
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
        """A unit of work in the workspace, its writes of sessions held to the locks that bind
        the caller (`stint.services.locks`)."""
        unit = UnitOfWork(caller.user_id, self.workspace_id)
        unit.gate = locks.gate(caller.user_id, self.role, self.record)
        return unit


def personal(caller: Caller) -> Membership:
    return Membership(caller.user_id, True, "owner", None)


def role_in(record: dict[str, Any], user_id: str) -> Role | None:
    return next((m["role"] for m in record.get("members", []) if m["userId"] == user_id), None)


# The memberships resolved while one request is served (None outside one), by (user, workspace):
# the answer's money rule (`blind_to_money`) decides on the record the route read, without
# reading it again. A write of a workspace's record forgets it (`forget`).
_resolved: contextvars.ContextVar[dict[tuple[str, str], Membership] | None] = (
    contextvars.ContextVar("stint_resolved_memberships", default=None)
)


@contextlib.contextmanager
def resolving() -> Iterator[None]:
    """Around one request: the memberships its route resolves are kept for its answer."""
    token = _resolved.set({})
    try:
        yield
    finally:
        _resolved.reset(token)


def forget(workspace_id: str) -> None:
    """The workspace's record was written: what was resolved from it no longer holds."""
    resolved = _resolved.get()
    if resolved is not None:
        for key in [key for key in resolved if key[1] == workspace_id]:
            del resolved[key]


def written(record: dict[str, Any]) -> None:
    """The workspace's record as just written: what this request resolved from it, as of now."""
    resolved = _resolved.get()
    if resolved is None:
        return
    for key in [key for key in resolved if key[1] == str(record["id"])]:
        role = role_in(record, key[0])
        if role is None or record.get("deleting"):
            del resolved[key]
        else:
            resolved[key] = Membership(str(record["id"]), False, role, record)


def member_of(caller: Caller, record: dict[str, Any] | None) -> Membership | None:
    """The caller in the workspace `record`; None when they are not a member, or it is being
    deleted (gone for everyone; its owner finishes the deletion: services/workspaces.py)."""
    role = role_in(record, caller.user_id) if record else None
    if record is None or role is None or record.get("deleting"):
        return None
    found = Membership(str(record["id"]), False, role, record)
    resolved = _resolved.get()
    if resolved is not None:
        resolved[(caller.user_id, found.workspace_id)] = found
    return found


def membership(caller: Caller, workspace_id: str, field: str | None = None) -> Membership:
    """The caller in the workspace `workspace_id`: 404 when it is not one of theirs (a body's
    `field`: 400 naming it)."""
    if workspace_id == caller.user_id:
        return personal(caller)
    found = None
    if ID_PATTERN.match(workspace_id):
        found = member_of(caller, WorkspaceStore.get(workspace_id))
    return _found(found, workspace_id, field)


def _found(member: Membership | None, workspace_id: str, field: str | None = None) -> Membership:
    """`member`, unless None: then the workspace is none of the caller's (404; a body's `field`:
    400 naming it)."""
    if member is None:
        if field is not None:
            raise invalid_field(field, f"no workspace with id {workspace_id!r}")
        raise not_found("workspace", workspace_id)
    return member


Key = tuple[str, str]


def membership_with(
    caller: Caller, workspace_id: str, *keys: Key
) -> tuple[Membership, dict[Key, dict[str, Any]]]:
    """`membership`, and the items `keys` (`(pk, sk)`, of any partition: what the path names
    besides the workspace) read in the same BatchGetItem as the workspace's record, by key
    (those found). Access is decided on the record read with them, and they are handed back
    only to a member."""
    if workspace_id == caller.user_id:
        return personal(caller), batch_get(keys)
    record_key = (workspace_pk(workspace_id, personal=False), WORKSPACE_SK)
    found = batch_get([record_key, *keys]) if ID_PATTERN.match(workspace_id) else {}
    member = _found(member_of(caller, found.pop(record_key, None)), workspace_id)
    return member, found


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
    return memberships_and_personal_record(caller, personal_record=False)[0]


def memberships_and_personal_record(
    caller: Caller, *, personal_record: bool = True
) -> tuple[list[Membership], dict[str, Any] | None]:
    """`memberships`, and the personal workspace's record (`personal_record`: read in the same
    BatchGetItem as the shared ones')."""
    own = (user_pk(caller.user_id), WORKSPACE_SK)
    keys = [(workspace_pk(i, personal=False), WORKSPACE_SK) for i in shared_ids(caller)]
    found = batch_get([own, *keys] if personal_record else keys)
    shared = [member_of(caller, found[key]) for key in keys if key in found]
    return [personal(caller), *(m for m in shared if m is not None)], found.get(own)


def blind_to_money(caller: Caller, workspace_ids: set[str]) -> set[str]:
    """Those of the shared workspaces `workspace_ids` where the caller does not see money: the
    memberships this request resolved, and one BatchGetItem of the other records (a workspace
    the caller is not in shows them nothing anyway)."""
    resolved = _resolved.get() or {}
    seen = {i: m for i in workspace_ids if (m := resolved.get((caller.user_id, i))) is not None}
    unread = sorted(i for i in workspace_ids - seen.keys() if ID_PATTERN.match(i))
    for record in WorkspaceStore.get_many(unread) if unread else []:
        if (member := member_of(caller, record)) is not None:
            seen[member.workspace_id] = member
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
    writes their own sessions only (another's is a 404, as if absent), and nothing of a private
    project they do not see (`visible`: a 404); the catalog is the managers' (or everyone's,
    with `membersManageCatalog`), and so is deleting tasks."""
    others = kind == "session" and record.get("userId", caller.user_id) != caller.user_id
    if others and not member.may("everyone"):
        raise not_found(kind, str(record["id"]))
    seen(caller, member, kind, record)
    if kind == "session":
        return
    if use == "delete" or (use == "write" and kind in _CATALOG_KINDS):
        member.require("catalog")


# ----------------------------------------------------------------------------- private projects

# What a private project hides with it: itself, its tasks, their subtasks and sessions.
UNDER_PROJECT = frozenset({"project", "task", "subtask", "session"})


def sees_all(member: Membership) -> bool:
    """Whether the caller sees every project of the workspace: owners, admins and managers of a
    shared one, and everyone in their personal one."""
    return member.personal or member.may("everyone")


def sees_project(caller: Caller, member: Membership, project: dict[str, Any] | None) -> bool:
    """The rule (docs/API.md, "Private projects"): a project and all under it is seen by
    everyone in its workspace while it is public; while private, by its `members` and those who
    see all (`sees_all`). A project that is gone hides nothing."""
    if project is None or sees_all(member) or project.get("isPublic", True):
        return True
    return any(entry.get("userId") == caller.user_id for entry in project.get("members") or ())


def seen(
    caller: Caller,
    member: Membership,
    kind: str,
    record: dict[str, Any],
    field: str | None = None,
) -> None:
    """An entity the caller does not see is as if absent: a 404, or for a body's `field` a 400
    naming it (what an id that names nothing of theirs is)."""
    if not visible(caller, member, [{**record, "kind": kind}]):
        if field is not None:
            raise invalid_field(field, f"no {kind} with id {record['id']!r}")
        raise not_found(kind, str(record["id"]))


def visible(
    caller: Caller, member: Membership, records: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    """The stored records (each with its `kind`) of the workspace that the caller sees, in
    their order: every one for those who see all (no read); else each under a project only if
    `sees_project` allows its project, read with the tasks they name in at most two
    BatchGetItems (what a page names, never the whole workspace)."""
    if sees_all(member) or not any(r.get("kind") in UNDER_PROJECT for r in records):
        return records
    store = member.store(caller)
    tasks = {str(r["id"]): r for r in records if r.get("kind") == "task"}
    named = {str(r["taskId"]) for r in records if r.get("kind") in ("subtask", "session")}
    tasks.update(store.get_many("task", named - set(tasks)))
    projects = {str(r["id"]): r for r in records if r.get("kind") == "project"}
    wanted = {str(t["projectId"]) for t in tasks.values() if t.get("projectId")}
    projects.update(store.get_many("project", wanted - set(projects)))

    def project_id(record: dict[str, Any]) -> str | None:
        kind = record.get("kind")
        if kind == "project":
            return str(record["id"])
        task = record if kind == "task" else tasks.get(str(record.get("taskId")))
        return str(task["projectId"]) if task and task.get("projectId") else None

    return [
        record
        for record in records
        if record.get("kind") not in UNDER_PROJECT
        or sees_project(caller, member, projects.get(project_id(record) or ""))
    ]


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

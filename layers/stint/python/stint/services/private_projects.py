"""Private projects: a project's members (`PUT` / `DELETE /v1/projects/{id}/members/{userId}`)
and the marks that tell sync who sees a project's subtree may have changed (docs/DESIGN.md,
"Private projects"). Who sees what is `access.sees_project`, the one rule."""

from __future__ import annotations

from typing import Any

from stint.errors import invalid_field, not_found
from stint.models import ProjectMemberFields
from stint.services import access, common
from stint.services.common import Caller, Versioned, load
from stint.services.entities import rewrite, save
from stint.store import Change, Mark, children_prefix, entity_of, retrying


def is_public(project: dict[str, Any]) -> bool:
    return bool(project.get("isPublic", True))


def audience_marks(before: dict[str, Any] | None, after: dict[str, Any]) -> list[Change]:
    """The marks a project's write carries when it changes who sees it: one for everyone when
    made private or public, one for each member added or taken off while it is private; none
    otherwise (a rename, a member's rates), so a sync re-reads a subtree only when its
    audience changed, and only for those it may have changed for."""
    if before is None:  # new: nobody had it, so its own change (and its children's) suffice
        return []
    project_id = str(after["id"])
    was, now = is_public(before), is_public(after)
    if was != now:  # everyone but its members
        return [Mark("project", project_id)]
    if now:
        return []
    ids = {str(entry["userId"]) for entry in before.get("members") or ()}
    changed = ids ^ {str(entry["userId"]) for entry in after.get("members") or ()}
    return [Mark("project", project_id, user_id) for user_id in sorted(changed)]


def _workspace_members(member: access.Membership, caller: Caller) -> set[str]:
    if member.personal:
        return {caller.user_id}
    return {str(entry["userId"]) for entry in (member.record or {}).get("members", [])}


def _change_members(
    caller: Caller,
    project_id: str,
    user_id: str,
    if_match: str | None,
    change: Any,
    *,
    adding: bool,
) -> Versioned:
    """Read the project, check who may change its members, apply `change` to its list of
    members (entries by userId), and write it with its audience mark; again from the reads when
    something changed meanwhile."""
    member = access.locate(caller, "project", project_id)

    def attempt() -> Versioned:
        store = member.unit(caller)
        record = load(store, "project", project_id)
        access.check(caller, member, "project", record, "read")  # a hidden one: 404
        member.require("audience")
        if adding and user_id not in _workspace_members(member, caller):
            raise not_found("member", user_id)  # one who left may still be taken off
        project = entity_of(record)
        entries = {str(e["userId"]): e for e in project.get("members") or ()}
        changed = list(change(entries).values())  # a member not on it: 404 before any If-Match
        on_conflict = common.check_if_match(if_match, record)
        project["members"] = changed
        marks = audience_marks(entity_of(record), project)
        return save(store, rewrite("project", record, project, on_conflict=on_conflict), *marks)

    return retrying(attempt)


def put_member(
    caller: Caller,
    project_id: str,
    user_id: str,
    fields: ProjectMemberFields,
    if_match: str | None,
) -> Versioned:
    """Add a member of the workspace to the project, or change their rates here: the rates sent
    are set (`null` clears one), those left out stay (none, for a new member)."""
    if fields.userId is not None and fields.userId != user_id:
        raise invalid_field("userId", "must equal the userId in the path")
    rates = {k: v for k, v in fields.written().items() if k != "userId"}

    def change(entries: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
        entry = entries.get(user_id, {"userId": user_id, "billableRate": None, "costRate": None})
        return {**entries, user_id: {**entry, **rates}}

    return _change_members(caller, project_id, user_id, if_match, change, adding=True)


def delete_member(caller: Caller, project_id: str, user_id: str, if_match: str | None) -> None:
    """Take a member off the project (404 when they are not on it)."""

    def change(entries: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
        if user_id not in entries:
            raise not_found("project member", user_id)
        return {k: v for k, v in entries.items() if k != user_id}

    _change_members(caller, project_id, user_id, if_match, change, adding=False)


# ----------------------------------------------------------------------------- sync


def changes_seen(
    caller: Caller,
    member: access.Membership,
    records: list[dict[str, Any]],
    base: int | None,
    *,
    judged: bool = True,
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """What a page of a workspace's changes (`bySeq`, in seq order) gives a caller who does not
    see all of it: the records to list as sync lists them (tombstones, what they see, and the
    whole subtree of a project or task whose audience changed for them and that they see now),
    and the deletions of what they do not see (changed under a private project, or the subtree
    whose audience changed), which they may hold. `base`: a full read's, whose records up to it
    the client never had (docs/DESIGN.md, "Private projects"). `judged` False: no project of
    the workspace was ever private when its counter was read, so everyone saw every record of
    the page when it was written (no lookup)."""
    if access.sees_all(member) or not judged:
        return [r for r in records if r["kind"] != "audience"], []
    listed: list[dict[str, Any]] = []
    gone: list[dict[str, Any]] = []
    shown = {id(r) for r in access.visible(caller, member, records)}
    for record in records:
        news = base is None or int(record["seq"]) > base
        if record["kind"] == "audience":
            if news and record.get("userId") in (None, caller.user_id):
                _subtree(caller, member, record, listed, gone)
        elif id(record) in shown:
            listed.append(record)
        elif news and _may_hold(caller, record):
            gone.append(_deletion(record))
    return listed, gone


def sight_changed(
    caller: Caller, member: access.Membership
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """After the caller's role changed: every private project of the workspace they are no
    member of, with all under it, as `changes_seen` gives a subtree (one Query of the projects,
    then each one's subtree)."""
    listed: list[dict[str, Any]] = []
    gone: list[dict[str, Any]] = []
    for project in member.store(caller).all_entities("project", page_size=1000):
        on_it = any(e.get("userId") == caller.user_id for e in project.get("members") or ())
        if not is_public(project) and not on_it:
            mark = {"type": "project", "id": project["id"], "userId": caller.user_id}
            _subtree(caller, member, mark, listed, gone)
    return listed, gone


def _may_hold(caller: Caller, record: dict[str, Any]) -> bool:
    """Whether the caller's sync ever listed it: not another member's session."""
    return record["kind"] != "session" or entity_of(record).get("userId") == caller.user_id


def _deletion(record: dict[str, Any]) -> dict[str, Any]:
    return {"type": record["kind"], "id": record["id"], "lastUpdated": record["lastUpdated"]}


def _subtree(
    caller: Caller,
    member: access.Membership,
    mark: dict[str, Any],
    listed: list[dict[str, Any]],
    gone: list[dict[str, Any]],
) -> None:
    """The entity a mark names and all under it, as it is now: listed whole when the caller sees
    it, else each as deleted. A project's mark for everyone leaves its members alone (they saw
    it before and see it now); one that is gone is the sequence's own tombstones."""
    store = member.store(caller)
    root = store.get(str(mark["type"]), str(mark["id"]))
    if root is None:
        return
    members = {str(e.get("userId")) for e in root.get("members") or ()}
    if mark["type"] == "project" and "userId" not in mark and caller.user_id in members:
        return
    tasks = (
        [root]
        if mark["type"] == "task"
        else list(store.all_entities("task", parent=("project", root["id"])))
    )
    records = [root] if mark["type"] == "project" else []
    for task in tasks:
        records.append(task)
        records.extend(
            store.query_all(prefix=children_prefix("task", task["id"]), index="byParent")
        )
    records = [r for r in records if _may_hold(caller, r)]
    if access.visible(caller, member, [root]):
        listed.extend(records)
    else:
        gone.extend(_deletion(r) for r in records)

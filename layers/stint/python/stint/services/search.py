"""Search by name (docs/DESIGN.md, "Reports and search"; Tyme's search_entity).

One consistent Query reads the candidates: every entity of the kind (`sk` begins with
`<KIND>#`), or, with `parentId`, only that parent's children on the `byParent` index (a
category's projects, a project's tasks, a task's subtasks), after one GetItem that checks the
parent is the caller's. Titles are matched in memory: a case-insensitive substring
(`str.casefold`), which no DynamoDB condition can express; a filter expression would not read
fewer items anyway.
"""

from __future__ import annotations

from typing import Any

from stint.errors import invalid_field
from stint.kinds import KINDS
from stint.models import SearchType
from stint.services import access
from stint.services.common import Caller, load

MAX_RESULTS = 50
_PAGE = 1000


def search(
    caller: Caller,
    kind: SearchType,
    name: str | None,
    parent_id: str | None,
    workspace_id: str | None = None,
) -> list[dict[str, Any]]:
    """Up to 50 of the entities of `kind` in the caller's workspaces (or `workspace_id`'s)
    whose title contains `name` (ignoring case; no name or a blank one: all), active ones
    first, then exact matches, then by title."""
    where = access.listed(caller, workspace_id)
    parent = KINDS[kind].parent
    scope = None
    if parent_id is not None:
        if parent is None:
            raise invalid_field("parentId", f"a {kind} has no parent")
        holder = access.locate(caller, parent.kind, parent_id)
        load(holder.store(caller), parent.kind, parent_id)  # no such parent of theirs: 404
        where = [m for m in where if m.workspace_id == holder.workspace_id]
        scope = (parent.kind, parent_id)
    candidates = [
        record
        for member in where
        for record in member.store(caller).all_entities(kind, parent=scope, page_size=_PAGE)
    ]
    needle = (name or "").strip().casefold()
    title = KINDS[kind].title_field  # a tag's is its `name`
    found = [
        _result(kind, record)
        for record in candidates
        if needle in (record.get(title) or "").casefold()
    ]

    def order(result: dict[str, Any]) -> tuple[bool, bool, str, str, str]:
        title = result["title"] or ""
        exact = bool(needle) and title.casefold() == needle
        return (not result["active"], not exact, title.casefold(), title, result["id"])

    return sorted(found, key=order)[:MAX_RESULTS]


def _result(kind: str, record: dict[str, Any]) -> dict[str, Any]:
    spec = KINDS[kind]
    # Archived projects and clients, completed tasks and subtasks are inactive; categories and
    # tags never.
    inactive = bool(record.get(spec.inactive_field)) if spec.inactive_field else False
    return {
        "type": kind,
        "id": record["id"],
        "title": record.get(spec.title_field),
        "parentId": record.get(spec.parent.field) if spec.parent else None,
        "active": not inactive,
    }

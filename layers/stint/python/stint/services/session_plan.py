"""A session write's plan (the changes one request commits together and what it creates) and
the session entity: built from a body, stopped, the running one found and stopped."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from stint.errors import StintError
from stint.models import MAX_SESSION_SECONDS, SessionFields
from stint.services.common import (
    Versioned,
)
from stint.store import (
    RUNNING_SK,
    Change,
    Delete,
    Put,
    Require,
    Store,
    entity_of,
)
from stint.timeutil import format_timestamp, parse_timestamp, utc_now


@dataclass
class SessionWrite:
    """What a create or replace did: the session, and the task / project it created."""

    session: Versioned
    created: bool
    task: dict[str, Any] | None = None
    project: dict[str, Any] | None = None
    tags: list[dict[str, Any]] = field(default_factory=list)

    def payload(self) -> dict[str, Any]:
        payload: dict[str, Any] = {"session": self.session.entity}
        if self.task is not None:
            payload["task"] = self.task
        if self.project is not None:
            payload["project"] = self.project
        if self.tags:
            payload["tags"] = self.tags
        return payload


@dataclass
class Plan:
    """The changes one request commits together, and the entities it creates (a batch's
    operations share their `changes`, each with its own `created`)."""

    changes: list[Change] = field(default_factory=list)
    created: dict[str, dict[str, Any]] = field(default_factory=dict)  # kind -> entity
    created_tags: list[dict[str, Any]] = field(default_factory=list)

    def stop(
        self, running: dict[str, Any], now: datetime, note: str | None = None
    ) -> dict[str, Any]:
        """Stop the running session `running` (as read) in this plan; the stopped session."""
        session = stopped(running, now, note)
        self.changes.append(session_put(session, expect_seq=int(running["seq"])))
        return session

    def require(self, kind: str, entity_id: str, on_conflict: StintError | None = None) -> None:
        """Commit only if the entity still exists (once per entity: a transaction may not
        touch one item twice; an entity the plan writes is checked by its own write)."""
        if not any(_names(change, kind, entity_id) for change in self.changes):
            self.changes.append(Require(kind, entity_id, on_conflict=on_conflict))


def _names(change: Change, kind: str, entity_id: str) -> bool:
    if isinstance(change, Put):
        return change.kind == kind and change.entity["id"] == entity_id
    if isinstance(change, Delete | Require):
        return change.kind == kind and change.entity_id == entity_id
    return False


# ----------------------------------------------------------------------------- session entity


def session_entity(
    session_id: str, task_id: str, fields: SessionFields, *, edited: bool
) -> dict[str, Any]:
    start = parse_timestamp(fields.startTimestamp)
    return {
        "id": session_id,
        "taskId": task_id,
        "subtaskId": fields.subtaskId,
        "startTimestamp": format_timestamp(start),
        **_timing(start, fields.duration),
        "note": fields.note,
        "type": fields.type,
        "tagIds": [],  # resolved by the write (`_resolve_tags`)
        "edited": edited,
        "retroAdded": fields.retroAdded,
    }


def _timing(start: datetime, duration: int | None) -> dict[str, Any]:
    # In range: an accepted start is at least a week before the end of year 9999 (timeutil).
    end = None if duration is None else format_timestamp(start + timedelta(seconds=duration))
    return {"duration": duration, "endTimestamp": end, "running": duration is None}


def session_put(session: dict[str, Any], *, expect_seq: int | None, **kwargs: Any) -> Put:
    return Put("session", session, expect_seq=expect_seq, **kwargs)


def stopped(record: dict[str, Any], now: datetime, note: str | None = None) -> dict[str, Any]:
    """The running session `record`, stopped now: duration in whole seconds since its start."""
    session = entity_of(record)
    start = parse_timestamp(session["startTimestamp"])
    seconds = min(max(int((now - start).total_seconds()), 0), MAX_SESSION_SECONDS)
    session.update(_timing(start, seconds))
    if note is not None:
        session["note"] = note
    return session


def running_session(store: Store) -> tuple[dict[str, Any] | None, str | None]:
    """The user's running session record (None if there is none) and the RUNNING guard as
    read. A guard naming a session that is gone or stopped is stale: the next start or stop
    overwrites it, conditioned on the value read here."""
    running_id = store.get_guard(RUNNING_SK)
    if running_id is None:
        return None, None
    record = store.get("session", running_id)
    if record is None or not record.get("running"):
        return None, running_id
    return record, running_id


def stop_running(
    store: Store, plan: Plan, *, keep: str | None = None
) -> tuple[dict[str, Any] | None, str | None]:
    """Stop the caller's running session (unless it is `keep`) in the plan's transaction.

    Returns the stopped session and the RUNNING guard as read; the caller writes the guard's
    new value conditioned on that, so two concurrent starts cannot both leave one running.
    """
    record, running_id = running_session(store)
    if record is None or running_id == keep:
        return None, running_id
    return plan.stop(record, utc_now()), running_id

"""Locked time (docs/API.md, "Locked time and approvals"; docs/DESIGN.md, "Locked time").

A session whose start is before its workspace's `lockedBefore` (00:00 UTC of that date), or in
a period of its member's time that is submitted or approved, is locked: nobody but the owner
and admins creates, changes (into or out of the period) or deletes it. Stopping a running
session is not a change of it: a timer started before the lock still stops.

The check is made twice: when the write is planned (`SessionLock.admit`, from what the request
read: a clear `409 period_locked`), and as conditions of the write's own transaction
(`SessionLock.conditions`), so a lock set while the request was in flight refuses it too:

- the workspace's record must leave the earliest start the write touches open:
  `lockedBefore` absent, null, or not after it (a date compares with a timestamp as text:
  `2026-01-10` <= `2026-01-10T00:00:00.000Z` < `2026-01-11`);
- each member's lock item (`LOCK#<userId>`: the approvals' periods and a `version` that every
  submit and reject moves) must still be at the version read (or still absent).

A failed condition on the record is the `409` itself (the lock now covers a start the write
touches); one on a lock item runs the write again from its reads, which then answers `409` if
the new period covers it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from stint.errors import Conflict
from stint.store import WORKSPACE_SK, Change, Holds, UnitOfWork, member_lock_sk
from stint.store.reads import Record

# The roles that change locked time (docs/API.md, "Locked time and approvals").
EXEMPT_ROLES = frozenset({"owner", "admin"})
# A record's settings.lockedBefore leaves `:start` open.
_OPEN_AFTER = (
    "attribute_not_exists(#settings.#lockedBefore)"
    " OR attribute_type(#settings.#lockedBefore, :null)"
    " OR #settings.#lockedBefore <= :start"
)


def period_locked(what: str) -> Conflict:
    return Conflict(what, code="period_locked")


def locked_periods(lock: Record | None) -> list[dict[str, Any]]:
    """The periods ({id, from, to}, dates) a member's lock item holds."""
    return list((lock or {}).get("periods") or [])


def covering(periods: list[dict[str, Any]], day: str) -> dict[str, Any] | None:
    """The period that holds the date `day`, if one does."""
    return next((p for p in periods if p["from"] <= day <= p["to"]), None)


def is_stop(before: Record | None, after: Record | None) -> bool:
    """A running session stopped: the same session, start and task, no longer running."""
    return (
        before is not None
        and after is not None
        and bool(before.get("running"))
        and not after.get("running")
        and before["startTimestamp"] == after["startTimestamp"]
        and before["taskId"] == after["taskId"]
    )


@dataclass
class SessionLock:
    """The gate of a writer whom locks bind, in one shared workspace (`UnitOfWork.gate`), for
    one attempt of a write. `locked_before` is the workspace's as the request read its record
    (to check who the caller is); the members' lock items are read through the attempt's unit
    (the writer's own ahead, with its first reads), so an attempt that runs again after a
    failed condition on one sees what failed it."""

    user_id: str
    locked_before: str | None
    keys: tuple[str, ...] = ()
    _earliest: str | None = None
    _locks: dict[str, Record | None] = field(default_factory=dict)  # userId -> lock item read

    def __post_init__(self) -> None:
        self.keys = (member_lock_sk(self.user_id),)

    def admit(self, unit: UnitOfWork, before: Record | None, after: Record | None) -> None:
        if is_stop(before, after):
            return
        for record in (before, after):
            if record is None:
                continue
            start, user_id = str(record["start"]), str(record.get("userId") or unit.user_id)
            if self.locked_before is not None and start < self.locked_before:
                raise _before(self.locked_before)
            if user_id not in self._locks:
                self._locks[user_id] = unit.read(member_lock_sk(user_id))
            period = covering(locked_periods(self._locks[user_id]), start[:10])
            if period is not None:
                raise period_locked(
                    f"The member's time from {period['from']} to {period['to']} is submitted"
                    f" for approval (approval {period['id']})"
                )
            self._earliest = start if self._earliest is None else min(self._earliest, start)

    def conditions(self) -> list[Change]:
        if self._earliest is None:
            return []
        # Failing, it says the workspace now locks the earliest start written: a refusal, not
        # a stale read (the record's lock is read once a request, with the caller's role).
        open_after = Holds(
            WORKSPACE_SK,
            _OPEN_AFTER,
            names={"#settings": "settings", "#lockedBefore": "lockedBefore"},
            values={":null": "NULL", ":start": self._earliest},
            on_conflict=period_locked(
                "Sessions this early were locked in this workspace meanwhile"
            ),
        )
        return [open_after, *(_unchanged(user, lock) for user, lock in self._locks.items())]


def _before(locked_before: str) -> Conflict:
    return period_locked(f"Sessions starting before {locked_before} are locked in this workspace")


def _unchanged(user_id: str, lock: Record | None) -> Holds:
    """The member's lock item as read: absent, or at the version read."""
    if lock is None:
        return Holds(member_lock_sk(user_id), "attribute_not_exists(pk)")
    return Holds(
        member_lock_sk(user_id),
        "#version = :version",
        names={"#version": "version"},
        values={":version": int(lock["version"])},
    )


def gate(user_id: str, role: str, record: Record | None) -> SessionLock | None:
    """The gate of `user_id`, with `role` in the shared workspace `record` (None: their personal
    workspace, where the only member is its owner, whom no lock binds)."""
    if record is None or role in EXEMPT_ROLES:
        return None
    locked_before = (record.get("settings") or {}).get("lockedBefore")
    return SessionLock(user_id, str(locked_before) if locked_before else None)

"""The running session: a user has at most one, and the `RUNNING` guard item names it.

Every start writes the guard conditioned on the value it read, in the same transaction as the
new session and the stop of the previous one: two concurrent starts cannot both commit, the
loser runs again and stops the winner's session. So there is never more than one running
session, and never none after a start (docs/DESIGN.md, "Sessions and titles"). A session
stopped by a timer or an event pauses its task, if it was in progress.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from stint.models import MAX_SESSION_SECONDS, new_entity
from stint.services import rates
from stint.services.common import new_id
from stint.services.entities import rewrite
from stint.store import RUNNING_SK, Guard, Put, Store, UnitOfWork, entity_of
from stint.timeutil import format_timestamp, parse_timestamp


@dataclass(frozen=True)
class Running:
    """The RUNNING guard as read (`guard`: the session it names, None: no guard), the running
    session it names (None: none runs; a guard naming a session that is gone or stopped is
    stale, and the next start or stop overwrites it, conditioned on `guard`) and the workspace
    that holds that session."""

    guard: str | None
    session: dict[str, Any] | None
    workspace_id: str | None = None


def guard_ref(store: Store, session_id: str) -> str:
    """What the guard holds for a session of the store's workspace: a user has one running
    session across their workspaces, so outside the personal one the guard names the
    workspace too (`<workspaceId>/<sessionId>`: neither id holds a `/`)."""
    if store.workspace_id == store.user_id:
        return session_id
    return f"{store.workspace_id}/{session_id}"


def parse_ref(user_id: str, ref: str) -> tuple[str, str]:
    workspace_id, _, session_id = ref.rpartition("/")
    return workspace_id or user_id, session_id


def session_here(store: Store, guard: str | None) -> str | None:
    """The id of the session `guard` names, if it is one of the store's workspace."""
    if guard is None:
        return None
    workspace_id, session_id = parse_ref(store.user_id, guard)
    return session_id if workspace_id == store.workspace_id else None


def workspace_of_guard(store: Store) -> str | None:
    """The workspace of the session the user's guard names (None: no guard)."""
    guard = store.get_guard(RUNNING_SK)
    return None if guard is None else parse_ref(store.user_id, guard)[0]


def read(store: Store) -> Running:
    guard = store.get_guard(RUNNING_SK)
    if guard is None:
        return Running(None, None)
    workspace_id, session_id = parse_ref(store.user_id, guard)
    here = workspace_id == store.workspace_id
    record = (store if here else Store(store.user_id, workspace_id)).get("session", session_id)
    if record is None or not record.get("running"):
        return Running(guard, None, workspace_id)
    return Running(guard, record, workspace_id)


def timing(start: datetime, duration: int | None) -> dict[str, Any]:
    """A session's fields that follow from its start and duration (None: it runs)."""
    # In range: an accepted start is at least a week before the end of year 9999 (timeutil).
    end = None if duration is None else format_timestamp(start + timedelta(seconds=duration))
    return {"duration": duration, "endTimestamp": end, "running": duration is None}


def elapsed_seconds(session: dict[str, Any], now: datetime) -> int:
    return max(int((now - parse_timestamp(session["startTimestamp"])).total_seconds()), 0)


def stopped(record: dict[str, Any], now: datetime, note: str | None = None) -> dict[str, Any]:
    """The running session `record`, stopped now: whole seconds since its start, at most a
    week."""
    session = entity_of(record)
    seconds = min(elapsed_seconds(session, now), MAX_SESSION_SECONDS)
    session.update(timing(parse_timestamp(session["startTimestamp"]), seconds))
    if note is not None:
        session["note"] = note
    return session


def new_running_session(task_id: str, now: datetime, **fields: Any) -> dict[str, Any]:
    """A running session starting now, at a whole second (so its duration, once stopped, is
    exactly the seconds between its start and end timestamps)."""
    start = now.replace(microsecond=0)
    return new_entity(
        "session",
        id=new_id(),
        taskId=task_id,
        startTimestamp=format_timestamp(start),
        **timing(start, None),
        **fields,
    )


def released(store: Store, session_id: str) -> Guard:
    """The change that frees the guard, if it still names `session_id` (of `store`'s
    workspace)."""
    return Guard(RUNNING_SK, ref=None, expect=guard_ref(store, session_id))


def stop(
    store: UnitOfWork,
    record: dict[str, Any],
    now: datetime,
    *,
    note: str | None = None,
    release: bool = True,
) -> dict[str, Any]:
    """Stop the running session `record` (as read), and free the guard unless `release` is
    False (another session takes it over); the stopped session."""
    session = rates.price(store, stopped(record, now, note))
    store.add(Put("session", session, expect_seq=int(record["seq"])))
    if release:
        store.add(released(store, record["id"]))
    return session


def take_over(
    store: UnitOfWork, running: Running, session_id: str, now: datetime
) -> dict[str, Any] | None:
    """Make `session_id` the running session: stop the one running (unless it is this one)
    and point the guard at it, conditioned on the guard as read; the session it stopped.

    A session running in another workspace is stopped, and its task paused, in the same
    transaction (`UnitOfWork.commit_along`: each workspace's changes on its own sequence): the
    request makes one write, so an idempotent one commits with its key's record."""
    ref = guard_ref(store, session_id)
    previous = None
    if running.session is not None and running.workspace_id != store.workspace_id:
        previous = _stop_elsewhere(store, running, now)
    elif running.session is not None and running.guard != ref:
        previous = stop(store, running.session, now, release=False)
    if running.guard != ref:
        store.add(Guard(RUNNING_SK, ref=ref, expect=running.guard))
    return previous


def _stop_elsewhere(store: UnitOfWork, running: Running, now: datetime) -> dict[str, Any]:
    """Stop the session running in another workspace in `store`'s commit; the guard is taken
    over, not freed."""
    assert running.session is not None and running.workspace_id is not None
    there = UnitOfWork(store.user_id, running.workspace_id)
    session = stop(there, running.session, now, release=False)
    pause_task(there, running.session["taskId"])
    store.commit_along(there)
    return session


def start(
    store: UnitOfWork, running: Running, session: dict[str, Any], now: datetime
) -> dict[str, Any] | None:
    """Start the new `session` (a timer's or a task event's), taking over from the running
    one, whose task, if another one, is paused; the session it stopped."""
    previous = take_over(store, running, session["id"], now)
    here = running.workspace_id == store.workspace_id
    if here and running.session is not None and running.session["taskId"] != session["taskId"]:
        pause_task(store, running.session["taskId"])
    store.add(Put("session", rates.price(store, session)))
    return previous


def pause_task(store: UnitOfWork, task_id: str) -> None:
    """A task whose session was stopped is paused (if it was in progress)."""
    record = store.get("task", task_id)
    if record is not None and record.get("status") == "in_progress":
        store.add(rewrite("task", record, {**entity_of(record), "status": "paused"}))

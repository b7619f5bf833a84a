"""A workspace's running timers: the members' timers on its tasks, and stopping one
(docs/DESIGN.md, "Workspaces"; Worksection's get_timers / stop_timer)."""

from __future__ import annotations

from typing import Any

from stint.errors import not_found
from stint.services import access, running, users
from stint.services.common import ID_PATTERN, Caller, Versioned
from stint.services.running import elapsed_seconds
from stint.services.timer import stop_timer
from stint.services.workspaces import member_entry
from stint.store import batch_get, entity_of, entity_sk, running_refs, workspace_pk
from stint.timeutil import utc_now


def workspace_timers(caller: Caller, workspace_id: str) -> list[dict[str, Any]]:
    """The members' running timers on the workspace's tasks (Worksection's get_timers); a
    member's timer in another workspace is not shown. At most 4 round trips whatever the
    workspace's size (each batch is one or two BatchGetItems): the record, the members'
    RUNNING guards, their sessions here, the sessions' tasks and projects."""
    member = access.membership(caller, workspace_id)
    if member.personal:
        profile = users.profile(caller).entity
        entries = {caller.user_id: member_entry(caller.user_id, profile, "owner")}
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
        if not access.sees_project(caller, member, project):  # private, not the caller's
            continue
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
    member their own); the member sees the stopped session in their next sync. The session is
    read with the workspace's record (both named by the path), and the stop reads neither
    again."""
    pk = workspace_pk(workspace_id, personal=workspace_id == caller.user_id)
    key = (pk, entity_sk("session", timer_id))
    member, found = access.membership_with(
        caller, workspace_id, *([key] if ID_PATTERN.match(timer_id) else [])
    )
    session = found.get(key)
    if session is None or not session.get("running"):
        raise not_found("timer", timer_id)
    owner = str(entity_of(session)["userId"])
    if owner != caller.user_id:
        member.require("everyone")
    known = [session, *([member.record] if member.record else [])]
    return stop_timer(owner, note, session_id=timer_id, workspace=member.workspace_id, known=known)

"""Teams and their running timers (contract section 8, Worksection's get_timers / stop_timer).

A team shares its members' running timers and nothing else: each user's projects, tasks and
sessions stay in their own partition, read here only to describe a running timer (its task's
and project's id and title). A caller who is not a member gets `404` for the team, as for any
id that is not theirs.
"""

from __future__ import annotations

from typing import Any

from stint import aws
from stint.config import settings
from stint.errors import Conflict, Forbidden, NotFound, not_found
from stint.models import MemberBody, TeamFields, TeamRole
from stint.services import users
from stint.services.common import ID_PATTERN, Caller, Versioned, new_id
from stint.services.timer import elapsed_seconds, stop_timer
from stint.store import TeamStore, entities_of_users, retrying, running_refs
from stint.timeutil import utc_now

MAX_MEMBERS = 100


def _public(record: dict[str, Any]) -> dict[str, Any]:
    return {"id": record["id"], "name": record["name"], "members": record["members"]}


def _versioned(record: dict[str, Any]) -> Versioned:
    return Versioned(_public(record), int(record["version"]))


def _member(user_id: str, username: str, role: TeamRole) -> dict[str, Any]:
    """A member entry: the user's email and display name as their profile has them now."""
    profile = users.profile(Caller(user_id=user_id, username=username)).entity
    return {
        "userId": user_id,
        "email": profile["email"],
        "displayName": profile["displayName"],
        "role": role,
    }


def _team_of_member(caller: Caller, team_id: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """The team and the caller's member entry; 404 when there is no such team for the caller."""
    record = TeamStore.get(team_id) if ID_PATTERN.match(team_id) else None
    me = next((m for m in (record or {}).get("members", []) if m["userId"] == caller.user_id), None)
    if record is None or me is None:
        raise not_found("team", team_id)
    return record, me


def _require_admin(me: dict[str, Any], action: str) -> None:
    if me["role"] != "admin":
        raise Forbidden(f"Only a team admin can {action}")


# ----------------------------------------------------------------------------- teams


def create_team(caller: Caller, fields: TeamFields) -> Versioned:
    """A new team whose only member, the caller, is its admin."""
    me = _member(caller.user_id, caller.username, "admin")

    def attempt() -> Versioned:
        team = {"id": new_id(), "name": fields.name, "members": [me]}
        version = TeamStore.write(team, expect_version=None, joining=(caller.user_id,))
        return Versioned(team, version)

    return retrying(attempt)


def list_teams(
    caller: Caller, *, limit: int, next_token: str | None
) -> tuple[list[dict[str, Any]], str | None]:
    team_ids, token = TeamStore.memberships(caller.user_id, limit=limit, next_token=next_token)
    return [_public(record) for record in TeamStore.get_many(team_ids)], token


def get_team(caller: Caller, team_id: str) -> Versioned:
    record, _ = _team_of_member(caller, team_id)
    return _versioned(record)


def add_member(caller: Caller, team_id: str, body: MemberBody) -> Versioned:
    """An admin adds a user by email; no such user is a 404, a member already a 409."""
    user_id, username = _user_with_email(body.email)
    member = _member(user_id, username, body.role)

    def attempt() -> Versioned:
        record, me = _team_of_member(caller, team_id)
        _require_admin(me, "add members")
        members = record["members"]
        if any(m["userId"] == user_id for m in members):
            raise Conflict(f"{body.email} is already a member of the team")
        if len(members) >= MAX_MEMBERS:
            raise Conflict(f"A team has at most {MAX_MEMBERS} members")
        team = {**_public(record), "members": [*members, member]}
        version = TeamStore.write(team, expect_version=int(record["version"]), joining=(user_id,))
        return Versioned(team, version)

    return retrying(attempt)


def remove_member(caller: Caller, team_id: str, user_id: str) -> None:
    """An admin removes a member, or a member leaves; the last admin cannot leave (409)."""

    def attempt() -> None:
        record, me = _team_of_member(caller, team_id)
        if user_id != caller.user_id:
            _require_admin(me, "remove other members")
        members = record["members"]
        leaving = next((m for m in members if m["userId"] == user_id), None)
        if leaving is None:
            raise not_found("member", user_id)
        remaining = [m for m in members if m["userId"] != user_id]
        if leaving["role"] == "admin" and not any(m["role"] == "admin" for m in remaining):
            raise Conflict("The team's last admin cannot leave; make another member admin first")
        team = {**_public(record), "members": remaining}
        TeamStore.write(team, expect_version=int(record["version"]), leaving=(user_id,))

    retrying(attempt)


def _user_with_email(email: str) -> tuple[str, str]:
    """The user pool's user with this email: (sub, username). Cognito is the source of truth
    for emails, so every user is found, including one who has never called the API."""
    pool_id = settings().user_pool_id
    users_found = []
    if pool_id:
        response = aws.client("cognito-idp").list_users(
            UserPoolId=pool_id, Filter=f'email = "{email}"', Limit=2
        )
        users_found = response.get("Users", [])
    if not users_found:
        raise NotFound(f"No user with email {email!r}")
    user = users_found[0]
    attributes = {a["Name"]: a["Value"] for a in user.get("Attributes", [])}
    return attributes["sub"], user["Username"]


# ----------------------------------------------------------------------------- team timers


def team_timers(caller: Caller, team_id: str) -> list[dict[str, Any]]:
    """Every member's running timer with its user, task and project (Worksection's
    get_timers). At most 5 round trips whatever the team's size (at most 100 members, so each
    batch is one BatchGetItem): the team; the members' RUNNING guards; their sessions; the
    sessions' tasks; the tasks' projects."""
    record, _ = _team_of_member(caller, team_id)
    members = {m["userId"]: m for m in record["members"]}
    running = running_refs(list(members))
    sessions = entities_of_users("session", list(running.items()))
    sessions = {key: s for key, s in sessions.items() if s.get("running")}
    tasks = entities_of_users("task", [(uid, s["taskId"]) for (uid, _), s in sessions.items()])
    projects = entities_of_users(
        "project", [(uid, t["projectId"]) for (uid, _), t in tasks.items()]
    )
    now = utc_now()
    timers = []
    for (user_id, session_id), session in sessions.items():
        task = tasks.get((user_id, session["taskId"]))
        if task is None:  # deleted since the session was read
            continue
        project = projects.get((user_id, task["projectId"]), {})
        member = members[user_id]
        timers.append(
            {
                "id": session_id,
                "startTimestamp": session["startTimestamp"],
                "elapsed": elapsed_seconds(session, now),
                "note": session.get("note"),
                "user": {
                    "id": user_id,
                    "email": member["email"],
                    "displayName": member["displayName"],
                },
                "task": {
                    "id": task["id"],
                    "title": task.get("title"),
                    "project": {"id": task["projectId"], "title": project.get("title")},
                },
            }
        )
    timers.sort(key=lambda timer: (timer["startTimestamp"], timer["user"]["id"]))
    return timers


def stop_team_timer(caller: Caller, team_id: str, timer_id: str, note: str | None) -> Versioned:
    """An admin stops any member's running timer (a member may stop their own); the member
    sees the stopped session in their next sync, as if they had stopped it."""
    record, me = _team_of_member(caller, team_id)
    running = running_refs([m["userId"] for m in record["members"]])
    owners = [user_id for user_id, session_id in running.items() if session_id == timer_id]
    if not owners:
        raise not_found("timer", timer_id)
    if len(owners) > 1:  # client-chosen session ids may collide across users
        raise Conflict(f"Several members run a timer with id {timer_id!r}; they stop their own")
    owner = owners[0]
    if owner != caller.user_id:
        _require_admin(me, "stop another member's timer")
    return stop_timer(owner, note, session_id=timer_id)

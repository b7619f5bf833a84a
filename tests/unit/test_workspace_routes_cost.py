"""docs/DESIGN.md, "Workspaces": the workspace routes make the DynamoDB round trips the data design
needs (bench/roundtrips.py's `MINIMUM`, with the reasons) and no more. Through the real handlers,
in a warm execution environment (each user has made a request before), with every DynamoDB call
counted by operation; and what the fewer reads leave to the transaction's conditions."""

from __future__ import annotations

from typing import Any

import pytest

from stint.config import settings
from stint.services import access, timer
from stint.store import dynamodb, entity_sk, item_key, workspace_pk
from tests.recorders import calls

from .handlers import Answer, call, pool_user

# The function of a path's first segment, where they differ.
_GROUPS = {"invitations": "workspaces", "projects": "catalog", "me": "users"}


class User:
    """A user of the pool, calling the handlers as themselves."""

    def __init__(self, pool_id: str) -> None:
        self.id, self.email = pool_user(pool_id)

    def __call__(self, method: str, path: str, body: Any = None) -> Answer:
        answer = self.answer(method, path, body)
        assert answer.status < 300, (method, path, answer.status, answer.body)
        return answer

    def answer(self, method: str, path: str, body: Any = None) -> Answer:
        group = path.split("/")[2]
        group = _GROUPS.get(group, group)
        return call(group, method, path, self.id, username=self.email, body=body)

    def counted(self, method: str, path: str, body: Any = None) -> dict[str, int]:
        """The request's DynamoDB calls, by operation."""
        with calls() as counted:
            self(method, path, body)
        return dict(counted)


@pytest.fixture
def team(pool: str) -> tuple[User, User, str]:
    """An owner and a member of a shared workspace, both warm (they have made requests)."""
    owner, member = User(pool), User(pool)
    workspace = owner("POST", "/v1/workspaces", {"workspace": {"name": "Team"}}).body
    workspace_id = workspace["workspace"]["id"]
    invited = owner("POST", f"/v1/workspaces/{workspace_id}/members", {"email": member.email})
    member("GET", "/v1/invitations")
    member("POST", f"/v1/invitations/{invited.body['invitation']['id']}/accept")
    return owner, member, workspace_id


def _task(owner: User, workspace_id: str) -> str:
    """A task on a new project of the workspace (its owner makes them): its id."""
    project = {"project": {"title": "Shared", "workspaceId": workspace_id}}
    project_id = owner("POST", "/v1/projects", project).body["project"]["id"]
    task = {"task": {"projectId": project_id, "title": "Work"}}
    return str(owner("POST", "/v1/tasks", task).body["task"]["id"])


def _running_timer(user: User, task_id: str) -> str:
    """A timer of `user` on the task: its session's id."""
    started = user("POST", "/v1/timer", {"taskId": task_id}).body
    return str(started["timer"]["session"]["id"])


def test_removing_a_member_reads_their_running_guard_with_the_record(
    team: tuple[User, User, str],
) -> None:
    owner, member, workspace_id = team
    removal = owner.counted("DELETE", f"/v1/workspaces/{workspace_id}/members/{member.id}")
    assert removal == {"BatchGetItem": 1, "TransactWriteItems": 1}


def test_a_timer_started_while_a_member_is_removed_is_stopped_with_the_removal(
    team: tuple[User, User, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The removal read no running guard; the member starts a timer here before its
    transaction: the guard's condition fails it, and the removal, run again, stops the timer."""
    owner, member, workspace_id = team
    task_id = _task(owner, workspace_id)
    read = access.membership_with
    started: list[str] = []

    def then_a_start(*args: Any) -> Any:
        found = read(*args)
        if not started:
            started.append(_running_timer(member, task_id))
        return found

    monkeypatch.setattr(access, "membership_with", then_a_start)
    owner("DELETE", f"/v1/workspaces/{workspace_id}/members/{member.id}")
    monkeypatch.undo()
    assert member("GET", "/v1/timer").body == {"timer": None}
    session = owner("GET", f"/v1/sessions/{started[0]}").body["session"]
    assert session["running"] is False and session["userId"] == member.id


def test_the_invitations_list_is_one_query(pool: str) -> None:
    owner, invitee = User(pool), User(pool)
    workspace = owner("POST", "/v1/workspaces", {"workspace": {"name": "Team"}}).body
    workspace_id = workspace["workspace"]["id"]
    owner("POST", f"/v1/workspaces/{workspace_id}/members", {"email": invitee.email})
    invitee("GET", "/v1/me")
    with calls() as counted:
        listed = invitee("GET", "/v1/invitations").body
    assert [i["workspaceId"] for i in listed["invitations"]] == [workspace_id]
    assert dict(counted) == {"Query": 1}


def test_stopping_a_members_timer_reads_each_item_once(team: tuple[User, User, str]) -> None:
    """The record with the session (the path names both), the member's guard with the task
    and the counter, the project (to price the stop), the transaction."""
    owner, member, workspace_id = team
    session_id = _running_timer(member, _task(owner, workspace_id))
    stop = owner.counted("POST", f"/v1/workspaces/{workspace_id}/timers/{session_id}/stop")
    assert stop == {"BatchGetItem": 3, "TransactWriteItems": 1}
    assert member("GET", "/v1/timer").body == {"timer": None}


def test_a_stop_on_a_session_changed_since_the_route_read_it_reads_it_again(
    team: tuple[User, User, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The session the route read with the record is the stop's first attempt's: written
    before the stop commits (here its note, its seq moved), the stop's condition on it fails,
    and the stop, run again, reads it afresh: what was written stays."""
    owner, member, workspace_id = team
    session_id = _running_timer(member, _task(owner, workspace_id))
    real = timer.stop_timer

    def after_a_write(*args: Any, **kwargs: Any) -> Any:
        dynamodb().update_item(
            TableName=settings().table_name,
            Key=item_key(
                workspace_pk(workspace_id, personal=False), entity_sk("session", session_id)
            ),
            UpdateExpression="SET note = :note, seq = seq + :one",
            ExpressionAttributeValues={":note": {"S": "mine"}, ":one": {"N": "1"}},
        )
        return real(*args, **kwargs)

    monkeypatch.setattr("stint.services.team_timers.stop_timer", after_a_write)
    stopped = owner("POST", f"/v1/workspaces/{workspace_id}/timers/{session_id}/stop").body
    assert stopped["session"]["running"] is False and stopped["session"]["note"] == "mine"


def test_deleting_a_workspace_holding_a_project(pool: str) -> None:
    """The record; one transaction marks it with the other links removed; a Query of the
    partition; one transaction deletes what it held with the record and the owner's
    membership."""
    owner, member = User(pool), User(pool)
    workspace = owner("POST", "/v1/workspaces", {"workspace": {"name": "Team"}}).body
    workspace_id = workspace["workspace"]["id"]
    invited = owner("POST", f"/v1/workspaces/{workspace_id}/members", {"email": member.email})
    member("POST", f"/v1/invitations/{invited.body['invitation']['id']}/accept")
    owner("POST", f"/v1/workspaces/{workspace_id}/members", {"email": "someone@example.com"})
    owner("POST", "/v1/projects", {"project": {"title": "P", "workspaceId": workspace_id}})
    deletion = owner.counted("DELETE", f"/v1/workspaces/{workspace_id}")
    assert deletion == {"GetItem": 1, "TransactWriteItems": 2, "Query": 1}
    assert [w["id"] for w in member("GET", "/v1/workspaces").body["workspaces"]] == [member.id]
    assert [w["id"] for w in owner("GET", "/v1/workspaces").body["workspaces"]] == [owner.id]


def test_a_members_session_costs_the_owners_where_no_project_was_ever_private(
    team: tuple[User, User, str],
) -> None:
    """Who sees the task's project is judged only where a project was ever private (the counter
    item's `privateSeen`, read with the task): until then a member's session write makes the
    owner's calls (was: one BatchGetItem more, the project read to judge it)."""
    owner, member, workspace_id = team
    task_id = _task(owner, workspace_id)

    def session() -> dict[str, Any]:
        start = {"startTimestamp": "2026-11-22T09:00:00Z", "duration": 60}
        return {"task": {"id": task_id}, "session": start}

    owners, members = (who.counted("POST", "/v1/sessions", session()) for who in (owner, member))
    assert members == owners
    hidden = {"project": {"title": "Hidden", "workspaceId": workspace_id, "isPublic": False}}
    owner("POST", "/v1/projects", hidden)
    judged = member.counted("POST", "/v1/sessions", session())
    assert judged["BatchGetItem"] == owners["BatchGetItem"] + 1

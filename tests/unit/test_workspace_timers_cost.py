"""docs/API.md, "Workspaces": the workspace-timers call costs the same number of DynamoDB round
trips for a workspace of 100 members as for one of 2; and a workspace's members and pending
invitations are limited.

Users live in moto's user pool (provisioned from template.yaml) with verified emails, members
join through the service (an admin invites their email, they accept), and every member runs a
timer.
"""

from __future__ import annotations

from typing import Any

import pytest

from stint.errors import Conflict
from stint.models import MemberBody, ProjectFields, TaskFields, TimerStart, WorkspaceFields
from stint.services import catalog, invitations, members, team_timers, timer, workspaces
from stint.services.common import Caller
from stint.services.tasks import create_task
from stint.store import dynamodb

from .conftest import join, pool_user
from .test_sync_cost import ReadMeter


def _team_with_running_timers(pool_id: str, size: int, offset: int) -> tuple[Caller, str]:
    """A team of `size` members (the first is its admin), each running a timer."""
    users = [pool_user(pool_id, offset + n) for n in range(size)]
    admin = users[0][0]
    workspace_id = workspaces.create_workspace(
        admin, WorkspaceFields(name=f"team of {size}")
    ).entity["id"]
    for member, email in users[1:]:
        join(admin, workspace_id, member, email)
    project = catalog.create_project(
        admin, ProjectFields(title="Shared", workspaceId=workspace_id)
    ).entity
    for member, _ in users:
        task_id = f"task-of-{member.user_id}"
        create_task(member, TaskFields(id=task_id, title="work", projectId=project["id"]))
        timer.start_timer(member, TimerStart(taskId=task_id))
    return admin, workspace_id


def _round_trips(admin: Caller, workspace_id: str) -> tuple[int, list[dict[str, Any]]]:
    meter = ReadMeter()
    events = dynamodb().meta.events
    events.register("after-call.dynamodb", meter)
    try:
        timers = team_timers.workspace_timers(admin, workspace_id)
    finally:
        events.unregister("after-call.dynamodb", meter)
    return meter.calls, timers


def test_team_timers_round_trips_do_not_grow_with_the_team(pool: str) -> None:
    small_admin, small_team = _team_with_running_timers(pool, 2, offset=0)
    large_admin, large_team = _team_with_running_timers(pool, 100, offset=1000)
    small_calls, small_timers = _round_trips(small_admin, small_team)
    large_calls, large_timers = _round_trips(large_admin, large_team)
    print(f"\nteam timers round trips: 2 members={small_calls} 100 members={large_calls}")
    assert len(small_timers) == 2 and len(large_timers) == 100
    assert all(t["task"]["project"]["title"] == "Shared" for t in large_timers)
    assert small_calls == large_calls == 5


def test_a_workspace_has_at_most_its_members_pending_invitations_included(
    pool: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(invitations, "MAX_MEMBERS", 100)  # the rule, at half the size
    admin, workspace_id = _team_with_running_timers(pool, 1, offset=2000)
    invitees = [pool_user(pool, 3000 + n) for n in range(100)]
    for _, email in invitees[:99]:
        invitations.invite(admin, workspace_id, MemberBody(email=email))
    with pytest.raises(Conflict, match="at most 100"):  # 1 member + 99 invitations
        invitations.invite(admin, workspace_id, MemberBody(email=invitees[99][1]))
    team = members.members(admin, workspace_id)
    assert len(team["members"]) == 1 and len(team["invitations"]) == 99
    for member, email in invitees[:99]:  # each invitation holds a seat: every accept succeeds
        invitation_id = next(i["id"] for i in team["invitations"] if i["email"] == email)
        invitations.accept_invitation(member, invitation_id)
    team = members.members(admin, workspace_id)
    assert len(team["members"]) == 100 and team["invitations"] == []
    with pytest.raises(Conflict, match="at most 100"):
        invitations.invite(admin, workspace_id, MemberBody(email=invitees[99][1]))

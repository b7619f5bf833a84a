"""Contract section 8: the team-timers call costs the same number of DynamoDB round trips for
a team of 100 members as for a team of 2; and a team has at most 100 members.

Users live in moto's user pool (provisioned from template.yaml), members are added through the
service by email, and every member runs a timer.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import boto3
import pytest

from local.resources import Provisioner
from local.template import load_template
from stint import config
from stint.errors import Conflict
from stint.models import MemberBody, TaskFields, TeamFields, TimerStart
from stint.services import teams, timer
from stint.services.common import Caller
from stint.services.tasks import create_task
from stint.store import dynamodb

from .conftest import TEMPLATE
from .test_sync_cost import ReadMeter


@pytest.fixture
def pool(table: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    provisioner = Provisioner(load_template(TEMPLATE), lambda service: boto3.client(service))
    pool_id = str(provisioner.ref("UserPool"))  # the user pool as template.yaml declares it
    monkeypatch.setenv("USER_POOL_ID", pool_id)
    config.settings.cache_clear()
    yield pool_id
    config.settings.cache_clear()


def _user(pool_id: str, n: int) -> tuple[Caller, str]:
    email = f"member{n}@example.com"
    user = boto3.client("cognito-idp").admin_create_user(
        UserPoolId=pool_id,
        Username=email,
        UserAttributes=[{"Name": "email", "Value": email}],
        MessageAction="SUPPRESS",
    )["User"]
    sub = next(a["Value"] for a in user["Attributes"] if a["Name"] == "sub")
    return Caller(user_id=sub, username=user["Username"]), email


def _team_with_running_timers(pool_id: str, size: int, offset: int) -> tuple[Caller, str]:
    """A team of `size` members (the first is its admin), each running a timer."""
    users = [_user(pool_id, offset + n) for n in range(size)]
    admin = users[0][0]
    team_id = teams.create_team(admin, TeamFields(name=f"team of {size}")).entity["id"]
    for _, email in users[1:]:
        teams.add_member(admin, team_id, MemberBody(email=email))
    for member, _ in users:
        task_id = f"task-of-{member.user_id}"
        create_task(member, TaskFields(id=task_id, title="work"))
        timer.start_timer(member, TimerStart(taskId=task_id))
    return admin, team_id


def _round_trips(admin: Caller, team_id: str) -> tuple[int, list[dict[str, Any]]]:
    meter = ReadMeter()
    events = dynamodb().meta.events
    events.register("after-call.dynamodb", meter)
    try:
        timers = teams.team_timers(admin, team_id)
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
    assert all(t["task"]["project"]["title"] == "Inbox" for t in large_timers)
    assert small_calls == large_calls == 5


def test_a_team_has_at_most_100_members(pool: str) -> None:
    admin, team_id = _team_with_running_timers(pool, 1, offset=2000)
    emails = [_user(pool, 3000 + n)[1] for n in range(100)]
    for email in emails[:99]:
        teams.add_member(admin, team_id, MemberBody(email=email))
    assert len(teams.get_team(admin, team_id).entity["members"]) == 100
    with pytest.raises(Conflict, match="at most 100"):
        teams.add_member(admin, team_id, MemberBody(email=emails[99]))
    assert len(teams.get_team(admin, team_id).entity["members"]) == 100

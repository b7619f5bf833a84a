"""Team invitations at the service level, against moto: they expire after 14 days (neither
listed nor acceptable, and TTL removes their items), and the team's transaction retries a lost
race only, never a refusal."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest
from botocore.exceptions import ClientError

from stint import config
from stint.errors import NotFound
from stint.models import MemberBody, TeamFields
from stint.services import teams
from stint.store import INVITATION_PREFIX, StaleRead, TeamStore, dynamodb, invitee_pk
from stint.timeutil import utc_now

from .conftest import pool_user

DAYS = timedelta(days=teams.INVITATION_DAYS)


def _at(monkeypatch: pytest.MonkeyPatch, moment: datetime) -> None:
    monkeypatch.setattr(teams, "utc_now", lambda: moment)


def test_an_invitation_expires_after_14_days(pool: str, monkeypatch: pytest.MonkeyPatch) -> None:
    (admin, _), (invitee, email) = pool_user(pool, 1), pool_user(pool, 2)
    team_id = teams.create_team(admin, TeamFields(name="Studio")).entity["id"]
    start = utc_now().replace(microsecond=0)
    _at(monkeypatch, start)
    invitation = teams.invite(admin, team_id, MemberBody(email=email)).entity
    # The invitee's item expires by TTL (the table's `expiresAt`) when the invitation does.
    item = dynamodb().get_item(
        TableName=config.settings().table_name,
        Key={"pk": {"S": invitee_pk(email)}, "sk": {"S": INVITATION_PREFIX + invitation["id"]}},
    )["Item"]
    assert int(item["expiresAt"]["N"]) == int((start + DAYS).timestamp())

    _at(monkeypatch, start + DAYS - timedelta(seconds=1))
    assert teams.my_invitations(invitee, limit=100, next_token=None) == ([invitation], None)

    # Expired, though TTL has not removed it yet: not listed, not acceptable, holds no seat.
    _at(monkeypatch, start + DAYS)
    assert teams.my_invitations(invitee, limit=100, next_token=None) == ([], None)
    with pytest.raises(NotFound):
        teams.accept_invitation(invitee, invitation["id"])
    with pytest.raises(NotFound):
        teams.decline_invitation(invitee, invitation["id"])
    assert teams.get_team(admin, team_id).entity["invitations"] == []
    with pytest.raises(NotFound):
        teams.revoke_invitation(admin, team_id, invitation["id"], None)
    # The email can be invited again; the expired entry is dropped from the team item.
    again = teams.invite(admin, team_id, MemberBody(email=email)).entity
    stored = TeamStore.get(team_id)
    assert stored is not None and [i["id"] for i in stored["invitations"]] == [again["id"]]
    teams.accept_invitation(invitee, again["id"])
    members = teams.get_team(admin, team_id).entity["members"]
    assert [m["userId"] for m in members] == [admin.user_id, invitee.user_id]


def _canceled_with(code: str) -> Any:
    """A botocore before-call handler answering TransactWriteItems as DynamoDB cancels one."""

    def answer(**_: Any) -> tuple[Any, dict[str, Any]]:
        error = {
            "Error": {"Code": "TransactionCanceledException", "Message": f"canceled: [{code}]"},
            "CancellationReasons": [{"Code": code}],
            "ResponseMetadata": {"HTTPStatusCode": 400},
        }
        return type("Http", (), {"status_code": 400})(), error

    return answer


@pytest.mark.parametrize("code", ["ConditionalCheckFailed", "TransactionConflict"])
def test_a_lost_race_is_read_again(table: str, code: str) -> None:
    events = dynamodb().meta.events
    handler = _canceled_with(code)
    events.register("before-call.dynamodb.TransactWriteItems", handler)
    try:
        with pytest.raises(StaleRead):
            TeamStore.write({"id": "t", "name": "n", "members": []}, expect_version=None)
    finally:
        events.unregister("before-call.dynamodb.TransactWriteItems", handler)


def test_a_refused_transaction_is_not_retried(table: str) -> None:
    events = dynamodb().meta.events
    handler = _canceled_with("ValidationError")
    events.register("before-call.dynamodb.TransactWriteItems", handler)
    try:
        with pytest.raises(ClientError, match="TransactionCanceledException"):
            TeamStore.write({"id": "t", "name": "n", "members": []}, expect_version=None)
    finally:
        events.unregister("before-call.dynamodb.TransactWriteItems", handler)

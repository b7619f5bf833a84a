"""Workspace invitations at the service level, against moto: they expire after 14 days (neither
listed nor acceptable, and TTL removes their items), and the workspace's transaction retries a lost
race only, never a refusal."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import Any

import pytest

from stint import config
from stint.errors import NotFound, StintError
from stint.models import MemberBody, WorkspaceFields
from stint.services import invitations, members, workspaces
from stint.store import INVITATION_PREFIX, StaleRead, WorkspaceStore, dynamodb, invitee_pk
from stint.timeutil import utc_now

from .conftest import pool_user

DAYS = timedelta(days=invitations.INVITATION_DAYS)


def _at(monkeypatch: pytest.MonkeyPatch, moment: datetime) -> None:
    for module in (workspaces, members, invitations):
        monkeypatch.setattr(module, "utc_now", lambda: moment)


def test_an_invitation_expires_after_14_days(pool: str, monkeypatch: pytest.MonkeyPatch) -> None:
    (admin, _), (invitee, email) = pool_user(pool, 1), pool_user(pool, 2)
    workspace_id = workspaces.create_workspace(admin, WorkspaceFields(name="Studio")).entity["id"]
    start = utc_now().replace(microsecond=0)
    _at(monkeypatch, start)
    invitation = invitations.invite(admin, workspace_id, MemberBody(email=email)).entity
    # The invitee's item expires by TTL (the table's `expiresAt`) when the invitation does.
    item = dynamodb().get_item(
        TableName=config.settings().table_name,
        Key={"pk": {"S": invitee_pk(email)}, "sk": {"S": INVITATION_PREFIX + invitation["id"]}},
    )["Item"]
    assert int(item["expiresAt"]["N"]) == int((start + DAYS).timestamp())

    _at(monkeypatch, start + DAYS - timedelta(seconds=1))
    assert invitations.my_invitations(invitee, limit=100, next_token=None) == ([invitation], None)

    # Expired, though TTL has not removed it yet: not listed, not acceptable, holds no seat.
    _at(monkeypatch, start + DAYS)
    assert invitations.my_invitations(invitee, limit=100, next_token=None) == ([], None)
    with pytest.raises(NotFound):
        invitations.accept_invitation(invitee, invitation["id"])
    with pytest.raises(NotFound):
        invitations.decline_invitation(invitee, invitation["id"])
    assert members.members(admin, workspace_id)["invitations"] == []
    with pytest.raises(NotFound):
        invitations.revoke_invitation(admin, workspace_id, invitation["id"], None)
    # The email can be invited again; the expired entry is dropped from the team item.
    again = invitations.invite(admin, workspace_id, MemberBody(email=email)).entity
    stored = WorkspaceStore.get(workspace_id)
    assert stored is not None and [i["id"] for i in stored["invitations"]] == [again["id"]]
    invitations.accept_invitation(invitee, again["id"])
    team = members.members(admin, workspace_id)["members"]
    assert [m["userId"] for m in team] == [admin.user_id, invitee.user_id]


def _canceled_with(code: str, times: int = 10**6) -> Any:
    """A botocore before-call handler answering TransactWriteItems as DynamoDB cancels one, the
    first `times` calls (it counts every call in `.calls`)."""

    def answer(**_: Any) -> tuple[Any, dict[str, Any]] | None:
        answer.calls += 1  # type: ignore[attr-defined]
        if answer.calls > times:  # type: ignore[attr-defined]
            return None  # sent on to moto
        error = {
            "Error": {"Code": "TransactionCanceledException", "Message": f"canceled: [{code}]"},
            "CancellationReasons": [{"Code": code}],
            "ResponseMetadata": {"HTTPStatusCode": 400},
        }
        return type("Http", (), {"status_code": 400})(), error

    answer.calls = 0  # type: ignore[attr-defined]
    return answer


@contextmanager
def _transactions_answered_by(handler: Any) -> Iterator[None]:
    events = dynamodb().meta.events
    events.register("before-call.dynamodb.TransactWriteItems", handler)
    try:
        yield
    finally:
        events.unregister("before-call.dynamodb.TransactWriteItems", handler)


def test_a_team_changed_since_it_was_read_is_read_again(table: str) -> None:
    with (
        _transactions_answered_by(_canceled_with("ConditionalCheckFailed")),
        pytest.raises(StaleRead),
    ):
        WorkspaceStore.write({"id": "t", "name": "n", "members": []}, expect_version=None)


def test_a_transaction_conflict_is_sent_again_and_commits(table: str) -> None:
    handler = _canceled_with("TransactionConflict", times=1)
    with _transactions_answered_by(handler):
        WorkspaceStore.write({"id": "t", "name": "n", "members": []}, expect_version=None)
    assert handler.calls == 2
    assert WorkspaceStore.get("t") is not None


def test_a_refused_transaction_is_not_retried(table: str) -> None:
    handler = _canceled_with("ValidationError")
    with _transactions_answered_by(handler), pytest.raises(StintError):
        WorkspaceStore.write({"id": "t", "name": "n", "members": []}, expect_version=None)
    assert handler.calls == 1

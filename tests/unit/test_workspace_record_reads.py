"""The answer's money rule (services/money_view.py, applied by the caller middleware to every
answer) decides on the workspace records the route read, without reading them again
(docs/DESIGN.md, "Money"). Through the real handlers, as a member of a workspace that hides money
from members and as its owner: the rule's own DynamoDB calls are counted."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from stint.models import (
    ProjectFields,
    WorkspaceFields,
    WorkspacePatchFields,
)
from stint.models.workspaces import WorkspaceSettingsFields
from stint.services import access, catalog, money_view, workspaces
from stint.services.common import Caller
from stint.store import dynamodb

from .conftest import join, pool_user
from .handlers import call
from .test_sync_cost import ReadMeter


@pytest.fixture
def money_rule_calls(monkeypatch: pytest.MonkeyPatch) -> Iterator[ReadMeter]:
    """The DynamoDB calls made inside the money rule, over every answer of the test."""
    meter = ReadMeter()
    real = money_view.hidden

    def metered(caller: Caller, payload: Any) -> Any:
        events = dynamodb().meta.events
        events.register("after-call.dynamodb", meter)
        try:
            return real(caller, payload)
        finally:
            events.unregister("after-call.dynamodb", meter)

    monkeypatch.setattr(money_view, "hidden", metered)
    yield meter


@pytest.fixture
def team(pool: str) -> tuple[Caller, Caller, str, str]:
    """An owner and a member of a workspace whose members do not see money, with a project."""
    (owner, _), (member, email) = pool_user(pool, 1), pool_user(pool, 2)
    fields = WorkspaceFields(name="team")
    workspace_id = workspaces.create_workspace(owner, fields).entity["id"]
    join(owner, workspace_id, member, email)
    project = ProjectFields(title="Shared", workspaceId=workspace_id, hourlyRate=90)
    project_id = catalog.create_project(owner, project).entity["id"]
    return owner, member, workspace_id, project_id


def _requests(workspace_id: str, project_id: str) -> list[tuple[str, str, str, Any, Any]]:
    session = {
        "project": {"id": project_id},
        "task": {"title": "Write"},
        "session": {
            "startTimestamp": "2026-01-05T09:00:00.000Z",
            "duration": 3600,
        },
    }
    in_workspace = {"workspaceId": workspace_id}
    return [
        ("sessions", "POST", "/v1/sessions", session, None),
        ("sessions", "GET", "/v1/sessions", None, in_workspace),
        ("catalog", "GET", "/v1/projects", None, in_workspace),
        ("sync", "GET", "/v1/sync", None, None),
    ]


def _money_in(workspace_id: str, value: Any, path: str = "") -> list[str]:
    """Where the answer holds a money field of an object of the workspace."""
    if isinstance(value, dict):
        ours = value.get("workspaceId") == workspace_id
        here = [f"{path}.{k}" for k in value if ours and k in money_view.MONEY_FIELDS]
        return here + [
            p for k, v in value.items() for p in _money_in(workspace_id, v, f"{path}.{k}")
        ]
    if isinstance(value, list):
        return [p for i, v in enumerate(value) for p in _money_in(workspace_id, v, f"{path}[{i}]")]
    return []


@pytest.mark.parametrize("who", ["owner", "member"])
def test_the_money_rule_reads_nothing_the_route_read(
    team: tuple[Caller, Caller, str, str], who: str, money_rule_calls: ReadMeter
) -> None:
    owner, member, workspace_id, project_id = team
    caller = owner if who == "owner" else member
    for group, method, path, body, query in _requests(workspace_id, project_id):
        answer = call(
            group, method, path, caller.user_id, username=caller.username, body=body, query=query
        )
        assert answer.status in (200, 201), (path, answer.body)
        money = _money_in(workspace_id, answer.body)
        assert bool(money) == (who == "owner"), (path, money)
        assert money_rule_calls.calls == 0, (method, path)


def test_a_write_of_the_record_in_the_request_is_what_the_money_rule_decides_on(
    team: tuple[Caller, Caller, str, str],
) -> None:
    """A membership resolved before the request wrote its workspace's record is not reused."""
    owner, member, workspace_id, _ = team
    with access.resolving():
        assert access.blind_to_money(member, {workspace_id}) == {workspace_id}
        shown = WorkspacePatchFields(settings=WorkspaceSettingsFields(membersSeeRates=True))
        workspaces.update_workspace(owner, workspace_id, shown, None)
        assert access.blind_to_money(member, {workspace_id}) == set()

"""tools/backfill_streams.py: a shared workspace written before sync streams existed (its items
with no `stream` key, its counters with no ends) syncs whole again once backfilled, and a second
run changes nothing (docs/DESIGN.md, "Workspaces")."""

from __future__ import annotations

from typing import Any

from stint.models import ProjectFields, SessionBody, TaskFields, WorkspaceFields
from stint.services import catalog, sessions, workspaces
from stint.services.common import Caller
from stint.services.sync import sync
from stint.services.tasks import create_task
from stint.store import COUNTER_SK, dynamodb, item_key
from stint.store.keys import WORKSPACE_PREFIX
from tools.backfill_streams import backfill

from .conftest import join, pool_user


def _lists(caller: Caller) -> dict[str, set[str]]:
    page = sync(caller, None, 1000)
    assert page["hasMore"] is False
    names = ("projects", "tasks", "sessions")
    return {name: {e["id"] for e in page.get(name, [])} for name in names}


def _as_before_streams(table: str) -> None:
    """Every shared workspace's items without their stream keys, its counters without ends."""
    client = dynamodb()
    for item in client.scan(TableName=table, ConsistentRead=True)["Items"]:
        pk, sk = item["pk"]["S"], item["sk"]["S"]
        if not pk.startswith(WORKSPACE_PREFIX):
            continue
        key = item_key(pk, sk)
        if sk.startswith(f"{COUNTER_SK}#"):
            client.delete_item(TableName=table, Key=key)
        elif sk == COUNTER_SK:
            client.update_item(
                TableName=table,
                Key=key,
                UpdateExpression="REMOVE #c",
                ExpressionAttributeNames={"#c": "catalog"},
            )
        elif "stream" in item:
            client.update_item(
                TableName=table,
                Key=key,
                UpdateExpression="REMOVE #s",
                ExpressionAttributeNames={"#s": "stream"},
            )


def _log(who: Caller, task_id: str) -> dict[str, Any]:
    session = {"startTimestamp": "2026-11-22T09:30:00Z", "duration": 600}
    body = SessionBody.model_validate({"task": {"id": task_id}, "session": session})
    return sessions.write_session(who, body).session.entity


def test_a_workspace_from_before_streams_syncs_whole_once_backfilled(pool: str, table: str) -> None:
    (owner, _), (member, email) = pool_user(pool, 1), pool_user(pool, 2)
    workspace_id = workspaces.create_workspace(owner, WorkspaceFields(name="Old")).entity["id"]
    join(owner, workspace_id, member, email)
    project = catalog.create_project(owner, ProjectFields(title="P", workspaceId=workspace_id))
    task = create_task(owner, TaskFields(title="T", projectId=project.entity["id"])).entity
    kept, gone = _log(member, task["id"]), _log(member, task["id"])
    sessions.delete_session(member, gone["id"], if_match=None)
    expected = _lists(member)
    assert expected["sessions"] == {kept["id"]} and task["id"] in expected["tasks"]

    _as_before_streams(table)
    assert _lists(member) != expected  # what no sync finds any more
    assert backfill(table) > 0
    assert _lists(member) == expected
    assert backfill(table) == 0

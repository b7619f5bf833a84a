"""docs/API.md, "Sync tokens": a sync's cost grows with the changes, not the account.

Counts the DynamoDB items each sync reads (GetItem: 1; Query: its ScannedCount) and the
capacity DynamoDB reports, for 10 changes in an account of 10 entities and of 10,000.
"""

from __future__ import annotations

from typing import Any

import pytest

from stint.services.common import Caller
from stint.services.sync import sync
from stint.store import Put, Store, dynamodb


class ReadMeter:
    """Counts items read by every DynamoDB call made while it is attached."""

    def __init__(self) -> None:
        self.calls = 0
        self.items = 0

    def __call__(self, parsed: dict[str, Any], model: Any, **_: Any) -> None:
        self.calls += 1
        if model.name == "Query":
            self.items += int(parsed.get("ScannedCount", 0))
        elif model.name == "GetItem":
            self.items += 1 if parsed.get("Item") else 0
        elif model.name == "BatchGetItem":
            self.items += sum(len(items) for items in parsed.get("Responses", {}).values())


def _account_with(user: str, entities: int) -> Store:
    store = Store(user)
    batch = [Put("project", {"id": f"p{i}", "title": f"P{i}"}) for i in range(entities)]
    store.commit(batch)
    return store


def _incremental_sync_reads(user: str, entities: int) -> tuple[int, int]:
    store = _account_with(user, entities)
    caller = Caller(user, user)
    token = sync(caller, None, 1000)["syncToken"]
    while True:  # follow a full sync to the end
        page = sync(caller, token, 1000)
        token = page["syncToken"]
        if not page["hasMore"]:
            break
    store.commit([Put("task", {"id": f"t{i}", "projectId": "p0"}) for i in range(10)])
    meter = ReadMeter()
    events = dynamodb().meta.events
    events.register("after-call.dynamodb", meter)
    try:
        page = sync(caller, token, 1000)
    finally:
        events.unregister("after-call.dynamodb", meter)
    assert len(page["tasks"]) == 10 and page["hasMore"] is False
    return meter.calls, meter.items


@pytest.mark.usefixtures("table")
def test_incremental_sync_reads_the_same_for_10_and_10000_entities() -> None:
    small = _incremental_sync_reads("small-account", 10)
    large = _incremental_sync_reads("large-account", 10_000)
    print(f"\nsync of 10 changes: (calls, items read) small={small} large={large}")
    # One Query of the caller's memberships (none: a one-workspace account), one BatchGetItem of
    # the workspace's record (none) and counter, and one Query on bySeq that reads exactly the 10
    # changes.
    assert small == large == (3, 11)

"""Sync scaling: an incremental sync of 10 changes, in an account of 10 entities and of 10,000.

Both accounts are made in the emulated table (their entities committed in transactions of 99,
as a client's writes would leave them), each followed to the end by a full sync; then 10 tasks
are created through the Tasks function and the account syncs once from its token through the
Sync function (warm). The read capacity of that sync (by DynamoDB's rule, `bench.meter`) in
the large account is the figure; the small account's is its baseline. docs/API.md, "Sync tokens",
guarantee 3: the cost grows with the changes, not with the account.
"""

from __future__ import annotations

import argparse
import json
import time
from typing import Any

from bench.common import Stack, api_event, new_user
from bench.meter import Meter, metered
from bench.table import Figure, write_json

CHANGES = 10
SMALL, LARGE = 10, 10_000


def _account(stack: Stack, entities: int) -> tuple[str, str]:
    """A user with `entities` projects, synced to the end: (user, their sync token)."""
    from stint.store import Change, Put, Store

    user = new_user()
    store = Store(user)
    batch: list[Change] = [
        Put("project", {"id": f"p{i}", "title": f"P{i}"}) for i in range(entities - 1)
    ]
    store.commit(batch)  # with the default project: `entities` entities
    token = ""
    query: dict[str, str] = {"limit": "1000"}
    while True:
        page = _sync(stack, user, query)
        token = page["syncToken"]
        query = {"syncToken": token, "limit": "1000"}
        if not page["hasMore"]:
            return user, token


def _sync(stack: Stack, user: str, query: dict[str, str]) -> dict[str, Any]:
    response = stack.invoke("SyncFunction", api_event("GET", "/v1/sync", user, query=query))
    assert response["statusCode"] == 200, response
    return dict(json.loads(response["body"]))


def _incremental(stack: Stack, user: str, token: str) -> Meter:
    from stint.store import dynamodb

    for n in range(CHANGES):
        body = {"task": {"title": f"change {n}"}}
        response = stack.invoke("TasksFunction", api_event("POST", "/v1/tasks", user, body=body))
        assert response["statusCode"] == 201, response
    with metered(dynamodb()) as meter:
        page = _sync(stack, user, {"syncToken": token, "limit": "1000"})
    assert len(page.get("tasks", [])) == CHANGES and not page["hasMore"], page
    return meter


def run() -> list[Figure]:
    stack = Stack()
    try:
        began = time.perf_counter()
        small_user, small_token = _account(stack, SMALL)
        large_user, large_token = _account(stack, LARGE)
        made = time.perf_counter() - began
        small = _incremental(stack, small_user, small_token)
        large = _incremental(stack, large_user, large_token)
    finally:
        stack.stop()
    for name, meter in ((f"{SMALL:,}", small), (f"{LARGE:,}", large)):
        print(
            f"sync of {CHANGES} changes in an account of {name:>6} entities:"
            f" {meter.calls} calls ({meter.operations()}), {meter.items} items read,"
            f" {meter.rcu} RCU (moto says {meter.moto_capacity:g})"
        )
    print(f"(accounts made in {made:.1f} s)")
    return [
        Figure(
            f"sync of {CHANGES} changes, account of {LARGE:,}: read capacity",
            large.rcu,
            small.rcu,
            "RCU",
            ("<=", 1.05),
            f"account of {SMALL}",
        ),
        Figure(
            f"sync of {CHANGES} changes, account of {LARGE:,}: items read",
            large.items,
            small.items,
            "items",
            None,
            f"account of {SMALL}",
        ),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--json", help="write the figures there")
    write_json(run(), parser.parse_args().json)


if __name__ == "__main__":
    main()

"""A workspace's webhook subscriptions in the store (stint.store.webhooks): the count that caps
them, versions that order their writes, the dead-letter count that disables one, and each
subscription's delivery log, newest first and without attempts past their TTL."""

from __future__ import annotations

from typing import Any

import pytest

from stint.errors import Conflict, PreconditionFailed
from stint.store import StaleRead, dynamodb, to_item
from stint.store.webhooks import WebhookStore

FULL = Conflict("full")
CHANGED = PreconditionFailed("changed")


def _hook(webhook_id: str) -> dict[str, Any]:
    return {"id": webhook_id, "url": "https://example.com/h", "status": "active", "version": 1}


@pytest.mark.usefixtures("table")
def test_subscriptions_are_counted_up_to_the_limit_and_uncounted_when_deleted() -> None:
    store = WebhookStore("hook-user")
    store.create(_hook("a"), limit=2, full=FULL)
    store.create(_hook("b"), limit=2, full=FULL)
    with pytest.raises(Conflict) as refused:
        store.create(_hook("c"), limit=2, full=FULL)
    assert refused.value is FULL
    assert sorted(w["id"] for w in store.webhooks()) == ["a", "b"]
    assert store.delete("a") is True
    assert store.delete("a") is False  # gone: not uncounted twice
    store.create(_hook("c"), limit=2, full=FULL)
    with pytest.raises(Conflict):
        store.create(_hook("d"), limit=2, full=FULL)
    assert WebhookStore("other-user").webhooks() == []
    with pytest.raises(StaleRead):  # an id taken already: made by a run before, run again
        store.create({**_hook("c"), "url": "https://example.com/other"}, limit=5, full=FULL)
    assert store.get_webhook("c")["url"] == "https://example.com/h"  # type: ignore[index]


@pytest.mark.usefixtures("table")
def test_a_write_holds_the_version_it_read() -> None:
    store = WebhookStore("hook-user")
    store.create(_hook("a"), limit=20, full=FULL)
    read = store.get_webhook("a")
    assert read is not None
    assert store.update(read, {"url": "https://example.com/2"}) == 2
    now = store.get_webhook("a")
    assert now is not None and now["version"] == 2 and now["url"] == "https://example.com/2"
    with pytest.raises(StaleRead):
        store.update(read, {"url": "https://example.com/3"})
    with pytest.raises(PreconditionFailed):
        store.update(read, {"url": "https://example.com/3"}, on_conflict=CHANGED)
    with pytest.raises(PreconditionFailed):
        store.delete("a", read=read, on_conflict=CHANGED)
    assert store.delete("a", read=now) is True
    assert store.get_webhook("a") is None


@pytest.mark.usefixtures("table")
def test_a_subscription_stored_before_versions_is_version_1() -> None:
    store = WebhookStore("hook-user")
    old = {"pk": store.pk, "sk": "WEBHOOK#old", "kind": "webhook", "id": "old", "url": "u"}
    dynamodb().put_item(TableName=store._table, Item=to_item(old))
    read = store.get_webhook("old")
    assert read is not None
    assert store.update(read, {"url": "v"}) == 2
    with pytest.raises(StaleRead):  # it has a version now: the read without one is stale
        store.update(read, {"url": "w"})
    assert store.get_webhook("old")["url"] == "v"  # type: ignore[index]


@pytest.mark.usefixtures("table")
def test_dead_letters_in_a_row_disable_a_subscription_and_a_delivery_resets_them() -> None:
    store = WebhookStore("hook-user")
    store.create(_hook("a"), limit=20, full=FULL)
    store.record_delivery("a", delivered=False, disable_after=3)
    store.record_delivery("a", delivered=False, disable_after=3)
    store.record_delivery("a", delivered=True, disable_after=3)
    store.record_delivery("a", delivered=True, disable_after=3)  # nothing to reset
    assert store.get_webhook("a")["deadLettered"] == 0  # type: ignore[index]
    for _ in range(2):
        store.record_delivery("a", delivered=False, disable_after=3)
    assert store.get_webhook("a")["status"] == "active"  # type: ignore[index]
    store.record_delivery("a", delivered=False, disable_after=3)
    disabled = store.get_webhook("a")
    assert disabled is not None and disabled["status"] == "disabled"
    assert disabled["version"] == 2 and disabled["deadLettered"] == 3
    store.record_delivery("a", delivered=False, disable_after=3)  # disabled already: as it is
    assert store.get_webhook("a")["version"] == 2  # type: ignore[index]
    store.record_delivery("gone", delivered=False, disable_after=3)  # deleted meanwhile: no error
    assert store.get_webhook("gone") is None


@pytest.mark.usefixtures("table")
def test_a_delivery_log_is_newest_first_without_expired_attempts() -> None:
    store = WebhookStore("hook-user", "w1")
    for n, (at, expires) in enumerate([("01", 500), ("02", 100), ("03", 500), ("04", 101)]):
        attempt = {"id": f"e{n}", "attempt": 1, "attemptedAt": f"2026-01-{at}T00:00:00Z"}
        store.log_delivery_attempt("a", attempt, expires_at=expires)
    # Past its TTL from the second it names: e1 (at 100) is left out at 100.
    first, token = store.delivery_attempts("a", limit=2, next_token=None, now=100)
    assert [a["id"] for a in first] == ["e3", "e2"] and token is not None
    rest, token = store.delivery_attempts("a", limit=2, next_token=token, now=100)
    assert [a["id"] for a in rest] == ["e0"] and token is None
    assert "expiresAt" not in first[0] and first[0]["attempt"] == 1
    assert WebhookStore("hook-user").delivery_attempts("a", limit=5, next_token=None, now=0) == (
        [],
        None,
    )


def test_a_partitions_subscriptions_are_its_workspaces() -> None:
    personal = WebhookStore.of_partition("USER#u1")
    assert (personal.pk, personal.workspace_id) == ("USER#u1", "u1")
    shared = WebhookStore.of_partition("WS#w1")
    assert (shared.pk, shared.workspace_id) == ("WS#w1", "w1")
    assert WebhookStore("u1", "u1").pk == "USER#u1"


@pytest.mark.usefixtures("table")
def test_a_count_already_stored_caps_the_next_subscription() -> None:
    store = WebhookStore("hook-user")
    count = {"pk": store.pk, "sk": "WEBHOOKS", "count": 20}  # the layout's count item
    dynamodb().put_item(TableName=store._table, Item=to_item(count))
    with pytest.raises(Conflict):
        store.create(_hook("a"), limit=20, full=FULL)
    store.create(_hook("a"), limit=21, full=FULL)

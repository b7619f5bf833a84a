"""Sync pages against what commits while they are read (docs/DESIGN.md, "Sync").

In process over moto: a write is made to commit at an exact point inside a sync (between its
read of the counter and its query), which the local stack, serializing every request, never
does by itself; and a full sync pages across deletions, each page leaving out the tombstones
up to the first page's `upto` and none after it.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest

from stint.services.common import Caller
from stint.services.sync import sync
from stint.store import Delete, Put, Store, dynamodb

LISTS = ("projects", "tasks", "deleted")


class Client:
    """Follows sync tokens and counts every record each page delivered, by its id and its
    version (lastUpdated), so a record delivered twice or never shows."""

    def __init__(self, user: str) -> None:
        self.caller = Caller(user, user)
        self.token = "*"
        self.delivered: Counter[tuple[str, str, str]] = Counter()
        self.live: dict[str, dict[str, Any]] = {}

    def page(self, limit: int) -> bool:
        """Read one page; whether more remain."""
        page = sync(self.caller, self.token, limit)
        for key in LISTS:
            for record in page.get(key, []):
                self.delivered[(key, record["id"], record["lastUpdated"])] += 1
                if key == "deleted":
                    self.live.pop(record["id"], None)
                else:
                    self.live[record["id"]] = record
        self.token = page["syncToken"]
        return bool(page["hasMore"])

    def catch_up(self, limit: int) -> None:
        while self.page(limit):
            pass


def projects(store: Store, *ids: str) -> dict[str, int]:
    """Create projects; their seqs by id."""
    committed = store.commit([Put("project", {"id": i, "title": i.upper()}) for i in ids])
    return {i: committed.seq_of("project", i) for i in ids}


@contextmanager
def during_the_query(action: Callable[[], object]) -> Iterator[None]:
    """Run `action` once, as the next sync's Query on bySeq is built (after the sync read the
    counter, before the query reads)."""
    events = dynamodb().meta.events
    done: list[bool] = []

    def before_query(params: dict[str, Any], **_: Any) -> None:
        if not done and params.get("IndexName") == "bySeq":
            done.append(True)
            action()

    events.register("before-parameter-build.dynamodb.Query", before_query)
    try:
        yield
    finally:
        events.unregister("before-parameter-build.dynamodb.Query", before_query)
    assert done, "no sync query ran: nothing was made to race it"


@pytest.mark.usefixtures("table")
@pytest.mark.parametrize("limit", [1, 2, 100])
def test_a_write_committing_during_a_page_is_delivered_exactly_once(limit: int) -> None:
    store = Store("racing-user")
    projects(store, "a", "b", "c")
    client = Client("racing-user")
    client.catch_up(limit)
    projects(store, "d", "e")  # the next page's changes, then one that races it
    with during_the_query(lambda: projects(store, "late")):
        client.page(limit)
    client.catch_up(limit)
    client.page(limit)  # a later sync, as a client makes: nothing new, nothing again
    late = [key for key in client.delivered if key[1] == "late"]
    assert len(late) == 1, f"the write committed during a page was delivered {late or 'never'}"
    twice = {key: n for key, n in client.delivered.items() if n > 1}
    assert not twice, f"delivered more than once: {twice}"
    assert sorted(client.live) == ["a", "b", "c", "d", "e", "late"]


@pytest.mark.usefixtures("table")
@pytest.mark.parametrize("limit", [1, 2, 3])
def test_a_full_sync_pages_across_deletions_without_their_tombstones(limit: int) -> None:
    store = Store("deleting-user")
    seqs = projects(store, "a", "b")
    store.commit([Delete("project", "a", seqs["a"])])
    seqs |= projects(store, "c", "d")
    store.commit([Delete("project", "c", seqs["c"]), Delete("project", "b", seqs["b"])])
    seqs |= projects(store, "e", "f", "g")
    store.commit([Delete("project", "f", seqs["f"])])
    client = Client("deleting-user")
    assert client.page(limit), "the full sync takes several pages"
    # Deleted after the full sync began: news on a later page, as an incremental sync's.
    store.commit([Delete("project", "g", seqs["g"])])
    client.catch_up(limit)
    deleted = sorted(key[1] for key in client.delivered if key[0] == "deleted")
    assert deleted == ["g"], f"a full sync delivered the tombstones of {deleted}, not only g's"
    assert sorted(client.live) == ["d", "e"]

"""An idempotent request's writes and side effects (stint.store.transactions, `deferring`;
docs/DESIGN.md, "Idempotency"): the first write is held to commit with the key's record; a
second write sends what was held and itself at once, after asking whether the key was answered
before; a side effect waits until the request is known to be the key's first; and `retrying`
runs an operation again from its reads until it commits or the deadline passes."""

from __future__ import annotations

import itertools

import pytest

from stint.errors import Conflict, ValidationFailed
from stint.store import (
    IdempotencyKeyTaken,
    IdempotencyRecords,
    Put,
    StaleRead,
    Store,
    WebhookStore,
    deferring,
    outside_effect,
    retrying,
    send_writes_now,
)
from stint.store import reads as store_reads
from stint.store import transactions as store_transactions

USER = "deferred"


def _project(entity_id: str) -> list[Put]:
    return [Put("project", {"id": entity_id, "title": entity_id})]


@pytest.mark.usefixtures("table")
def test_a_second_write_sends_the_held_one_and_itself_after_asking_once(
    caplog: pytest.LogCaptureFixture,
) -> None:
    asked: list[bool] = []
    with deferring(lambda: asked.append(True)) as deferral:
        Store(USER).commit(_project("a"))
        assert Store(USER).get("project", "a") is None and not asked
        Store(USER).commit(_project("b"))
        Store(USER).commit(_project("c"))
    assert asked == [True] and deferral.sent_alone and deferral.held is None
    # Logged once: the key's record followed the answer (what it says, not how it is worded).
    [warned] = [r.getMessage().lower() for r in caplog.records if r.levelname == "WARNING"]
    assert "wrote twice" in warned and "recorded after its answer" in warned
    assert [Store(USER).get("project", i)["seq"] for i in "abc"] == [1, 2, 3]  # type: ignore[index]


@pytest.mark.usefixtures("table")
def test_a_key_answered_before_stops_a_second_write() -> None:
    def answered() -> None:
        raise IdempotencyKeyTaken()

    with deferring(answered), pytest.raises(IdempotencyKeyTaken):
        Store(USER).commit(_project("a"))
        Store(USER).commit(_project("b"))
    assert Store(USER).get("project", "a") is None and Store(USER).get("project", "b") is None


@pytest.mark.usefixtures("table")
def test_writes_made_after_send_writes_now_each_commit_at_once() -> None:
    with deferring() as deferral:
        send_writes_now()
        Store(USER).commit(_project("a"))
        assert Store(USER).get("project", "a") is not None
    assert deferral.sent_alone and deferral.held is None
    send_writes_now()  # outside a deferral: nothing to do
    with pytest.raises(ValueError):
        deferral.send_with({})


@pytest.mark.usefixtures("table")
def test_a_webhooks_creation_is_held_like_a_commit() -> None:
    full = ValidationFailed("full")
    with deferring() as deferral:
        WebhookStore(USER).create({"id": "h1", "url": "https://example.com/h"}, limit=20, full=full)
    assert deferral.held is not None and WebhookStore(USER).get_webhook("h1") is None
    deferral.send_with(IdempotencyRecords(USER).put_request("k", "f", "r", now=0, expires_at=9))
    assert WebhookStore(USER).get_webhook("h1") is not None


def test_a_side_effect_waits_for_the_deferral_and_runs_once() -> None:
    ran: list[str] = []
    outside_effect(lambda: ran.append("now"))
    assert ran == ["now"]
    with deferring() as deferral:
        outside_effect(lambda: ran.append("later"))
        assert ran == ["now"]
    deferral.run_effects()
    deferral.run_effects()
    assert ran == ["now", "later"]


def test_an_operation_runs_again_from_its_reads_until_it_commits(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(store_transactions, "backoff", lambda attempt: None)
    runs: list[int] = []

    def stale_twice() -> str:
        runs.append(len(runs))
        if len(runs) < 3:
            raise StaleRead()
        return "done"

    assert retrying(stale_twice) == "done" and runs == [0, 1, 2]
    monkeypatch.setattr(store_transactions, "_RETRY_DEADLINE_SECONDS", 0.05)

    def always_stale() -> str:
        raise StaleRead()

    with pytest.raises(Conflict) as raised:
        retrying(always_stale)
    assert raised.value.headers() == {"Retry-After": "1"}
    assert raised.value.message == "The entity is changing too often; retry the request"


def test_attempts_are_numbered_one_by_one_until_the_deadline_has_passed(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The backoff doubles with each attempt's number; a clock one second further at each
    look gives the attempts of the 8 s deadline's first 8 seconds."""
    clock = itertools.count()
    monkeypatch.setattr(store_transactions.time, "monotonic", lambda: float(next(clock)))
    assert list(store_transactions.attempts()) == list(range(8))


def test_attempts_run_at_least_once_and_stop_at_the_deadline(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(store_transactions, "_RETRY_DEADLINE_SECONDS", -1)
    assert list(store_transactions.attempts()) == [0]
    slept: list[float] = []
    monkeypatch.setattr(store_transactions.time, "sleep", slept.append)
    # Full jitter: up to 5 ms doubling each attempt, capped at 100 ms (the bound taken here).
    monkeypatch.setattr(store_transactions.random, "uniform", lambda low, high: (low, high))
    for attempt in range(7):
        store_transactions.backoff(attempt)
    assert slept == [(0, 0.005 * 2**n) for n in range(5)] + [(0, 0.1)] * 2
    slept.clear()
    # A batch read's unprocessed keys (2 backoffs), a batch write's (3): 50 ms doubling, no cap.
    for attempt in range(1, 4):
        store_reads.throttled_backoff(attempt)
    assert slept == [(0, 0.1), (0, 0.2), (0, 0.4)]

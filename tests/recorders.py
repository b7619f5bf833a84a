"""What the code under test did while a block ran, counted rather than timed: its DynamoDB calls
by operation (the store's round trips in the unit tests)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from stint.store import dynamodb


@contextmanager
def calls() -> Iterator[Counter[str]]:
    """DynamoDB's operations called inside, counted by name."""
    counted: Counter[str] = Counter()

    def count(model: Any, **_: Any) -> None:
        counted[model.name] += 1

    events = dynamodb().meta.events
    events.register("before-call.dynamodb", count)
    try:
        yield counted
    finally:
        events.unregister("before-call.dynamodb", count)

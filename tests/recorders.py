"""What the code under test did while a block ran, counted rather than timed: its DynamoDB calls
by operation, and every sleep anyone in this process took (`time.sleep`: each backoff, each retry).

Used by the unit tests (the store's round trips) and by the refusals made "at once" (tests/api's
`refused_at_once`), whose handlers run in this process (tests/inprocess.py).
"""

from __future__ import annotations

import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from stint.store import dynamodb


@contextmanager
def listening(*handlers: tuple[str, Callable[..., Any]]) -> Iterator[None]:
    """Each `(event, handler)` on the DynamoDB client's botocore events inside the block (in
    process, the client the handlers use): how tests count, meter or check its calls."""
    events = dynamodb().meta.events
    for event, handler in handlers:
        events.register(event, handler)
    try:
        yield
    finally:
        for event, handler in handlers:
            events.unregister(event, handler)


@contextmanager
def calls() -> Iterator[Counter[str]]:
    """DynamoDB's operations called inside, counted by name."""
    counted: Counter[str] = Counter()

    def count(model: Any, **_: Any) -> None:
        counted[model.name] += 1

    with listening(("before-call.dynamodb", count)):
        yield counted


@contextmanager
def sleeps() -> Iterator[list[str]]:
    """Every `time.sleep` called inside, on any thread of this process, each as
    `module.function(seconds)` of its caller; each still sleeps.

    Every backoff on a request's path is one: the store's between attempts
    (`stint.store.transactions.backoff`, which `retrying` and `stint.idempotency` take), a batch
    read's (`stint.store.reads.throttled_backoff`), a re-rating page's
    (`stint.rerating.page_backoff`), and botocore's retries of a throttled or failed call
    (`botocore.endpoint`, the retry handler `stint.aws` configures): all call `time.sleep`
    through the module, as patched here."""
    taken: list[str] = []
    real = time.sleep

    def counted(seconds: float) -> None:
        caller = sys._getframe(1)
        name = caller.f_globals.get("__name__", "?")
        taken.append(f"{name}.{caller.f_code.co_name}({seconds:.3f} s)")
        real(seconds)

    time.sleep = counted
    try:
        yield taken
    finally:
        time.sleep = real

"""Handlers on the DynamoDB client's botocore events for the length of a `with` block: how tests
count, meter or check the calls the code makes (in process, the client the handlers use)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from stint.store import dynamodb


@contextmanager
def listening(*handlers: tuple[str, Callable[..., Any]]) -> Iterator[None]:
    """Each `(event, handler)` registered inside the block, unregistered after it."""
    events = dynamodb().meta.events
    for event, handler in handlers:
        events.register(event, handler)
    try:
        yield
    finally:
        for event, handler in handlers:
            events.unregister(event, handler)

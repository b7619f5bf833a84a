"""Environment of a function, validated once per cold start (lazily, on first use)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import lru_cache


@dataclass(frozen=True)
class Settings:
    # A dataclass, not a pydantic model: the stream and queue functions (dispatcher, delivery)
    # need no pydantic otherwise, and importing it is most of their cold start (DESIGN.md,
    # "Performance").
    table_name: str
    user_pool_id: str | None = None
    # Tombstones (and with them sync tokens) live this long: docs/API.md, "Sync tokens", promises
    # at least 30 days.
    tombstone_retention_days: int = 30
    # Webhooks: the queue of deliveries and the dead-letter queue after the last attempt.
    delivery_queue_url: str | None = None
    dead_letter_queue_url: str | None = None
    # Re-rating: the queue of its jobs (stint.rerating).
    rerate_queue_url: str | None = None

    def __post_init__(self) -> None:
        if not self.table_name:
            raise ValueError("TABLE_NAME: must be set")
        if self.tombstone_retention_days < 30:
            # A sync token lives 30 days (docs/DESIGN.md, "Sync"): its tombstones must outlive it.
            raise ValueError("TOMBSTONE_RETENTION_DAYS: must be at least 30")


@lru_cache(maxsize=1)
def settings() -> Settings:
    return Settings(
        table_name=os.environ.get("TABLE_NAME", ""),
        user_pool_id=os.environ.get("USER_POOL_ID") or None,
        tombstone_retention_days=int(os.environ.get("TOMBSTONE_RETENTION_DAYS", "30")),
        delivery_queue_url=os.environ.get("DELIVERY_QUEUE_URL") or None,
        dead_letter_queue_url=os.environ.get("DEAD_LETTER_QUEUE_URL") or None,
        rerate_queue_url=os.environ.get("RERATE_QUEUE_URL") or None,
    )

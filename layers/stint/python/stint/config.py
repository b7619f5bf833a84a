"""Environment of a function, validated once per cold start (lazily, on first use)."""

from __future__ import annotations

import os
from functools import lru_cache

from pydantic import BaseModel, Field


class Settings(BaseModel):
    table_name: str = Field(min_length=1)
    user_pool_id: str | None = None
    # Tombstones (and with them sync tokens) live this long; contract: at least 30 days.
    tombstone_retention_days: int = Field(default=30, ge=30)
    # Webhooks: the queue of deliveries and the dead-letter queue after the last attempt.
    delivery_queue_url: str | None = None
    dead_letter_queue_url: str | None = None


@lru_cache(maxsize=1)
def settings() -> Settings:
    return Settings(
        table_name=os.environ.get("TABLE_NAME", ""),
        user_pool_id=os.environ.get("USER_POOL_ID") or None,
        tombstone_retention_days=int(os.environ.get("TOMBSTONE_RETENTION_DAYS", "30")),
        delivery_queue_url=os.environ.get("DELIVERY_QUEUE_URL") or None,
        dead_letter_queue_url=os.environ.get("DEAD_LETTER_QUEUE_URL") or None,
    )

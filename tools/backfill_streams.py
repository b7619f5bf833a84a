"""Give the items of shared workspaces written before sync streams existed their stream keys.

    TABLE_NAME=<table> .venv/bin/python -m tools.backfill_streams   (AWS_ENDPOINT_URL: local)

A shared workspace's member syncs read its catalog and their own sessions as two streams of
the `byStream` index, each read when its end (the counter item's `catalog`, the member's
`COUNTER#<userId>`) moved (docs/DESIGN.md, "Workspaces"). Items written before carry no
`stream` key, so no sync finds them there: a table carried over (export and import into a
table with the index) needs this once. For each sequenced item of a shared workspace without
one, it sets the key of its seq (a session's in its member's stream; a session's tombstone,
which names no member, in the catalog's: every member is told of the deletion), conditioned on
the seq it read (a write since set the key itself), then moves each stream's end up to the
largest seq it keyed (never down). Running it again changes nothing; it may run while the API
serves.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from typing import Any

from stint.config import settings
from stint.store import COUNTER_SK, dynamodb, from_item, item_key, member_counter_sk
from stint.store.keys import WORKSPACE_PREFIX, stream_key

log = logging.getLogger("stint.backfill")

Ends = dict[str, dict[str | None, int]]  # partition -> owner (None: the catalog) -> last seq


def backfill(table: str | None = None) -> int:
    """Key every unkeyed item and move the streams' ends; how many items it keyed."""
    table = table or settings().table_name
    ends: Ends = defaultdict(dict)
    keyed = 0
    for item in _unkeyed(table):
        owner = str(item["userId"]) if item["kind"] == "session" else None
        seq = int(item["seq"])
        if _set_stream(table, item, stream_key(owner, seq)):
            keyed += 1
        stream_ends = ends[str(item["pk"])]
        stream_ends[owner] = max(stream_ends.get(owner, 0), seq)
    for pk, stream_ends in ends.items():
        for owner, seq in stream_ends.items():
            _move_end(table, pk, owner, seq)
    return keyed


def _unkeyed(table: str) -> Any:
    """The sequenced items of shared workspaces that carry no stream key (a Scan)."""
    pages = (
        dynamodb()
        .get_paginator("scan")
        .paginate(
            TableName=table,
            FilterExpression="begins_with(pk, :ws) AND attribute_exists(seq) AND "
            "attribute_not_exists(#stream)",
            ExpressionAttributeNames={"#stream": "stream"},
            ExpressionAttributeValues={":ws": {"S": WORKSPACE_PREFIX}},
            ConsistentRead=True,
        )
    )
    for page in pages:
        for item in page.get("Items", []):
            yield from_item(item)


def _set_stream(table: str, item: dict[str, Any], key: str) -> bool:
    """Set the item's stream key if it is still at the seq read (else a write since keyed it)."""
    return _update_if(
        table,
        str(item["pk"]),
        str(item["sk"]),
        set_=("stream", {"S": key}),
        condition="#seq = :seq AND attribute_not_exists(#set)",
        values={":seq": {"N": str(item["seq"])}},
        names={"#seq": "seq"},
        unless="changed since read: its write keyed it",
    )


def _move_end(table: str, pk: str, owner: str | None, seq: int) -> None:
    """Move a stream's end up to `seq` (the counter item's `catalog`, or the member's counter);
    an end already there or past it stays."""
    sk, attribute = (
        (COUNTER_SK, "catalog") if owner is None else (member_counter_sk(owner), "counter")
    )
    _update_if(
        table,
        pk,
        sk,
        set_=(attribute, {"N": str(seq)}),
        condition="attribute_not_exists(#set) OR #set < :set",
        unless=f"its {attribute} is at {seq} or past it already",
    )


def _update_if(
    table: str,
    pk: str,
    sk: str,
    *,
    set_: tuple[str, dict[str, str]],
    condition: str,
    unless: str,
    values: dict[str, Any] | None = None,
    names: dict[str, str] | None = None,
) -> bool:
    """SET one attribute of the item (`#set` and `:set` in `condition`) if `condition` holds;
    False, logged with `unless`, when it does not."""
    attribute, value = set_
    try:
        dynamodb().update_item(
            TableName=table,
            Key=item_key(pk, sk),
            UpdateExpression="SET #set = :set",
            ConditionExpression=condition,
            ExpressionAttributeNames={"#set": attribute, **(names or {})},
            ExpressionAttributeValues={":set": value, **(values or {})},
        )
    except dynamodb().exceptions.ConditionalCheckFailedException:
        log.info("%s %s: %s", pk, sk, unless)
        return False
    return True


def main() -> None:
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    print(f"stream keys set on {backfill()} items")


if __name__ == "__main__":
    main()

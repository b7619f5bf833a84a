"""The streams of a shared workspace (layers/stint/python/stint/store/keys.py), checked on every
transaction a test sends, so every route that writes is checked, one added later too.

In a shared workspace's partition every sequenced item (entity, tombstone, audience mark)
must carry the `stream` key of its seq: a session's and a session's tombstone in its member's
stream, all else in the catalog's; and the same transaction must move that stream's counter
(the counter item's `catalog`, or the member's `COUNTER#<userId>`) to at least its seq. A write
that misses either hides its change from the members' syncs (docs/DESIGN.md, "Workspaces").
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from stint.store import COUNTER_SK, from_item, member_counter_sk
from stint.store.keys import WORKSPACE_PREFIX, stream_key, stream_prefix
from tests.recorders import listening


def _stream_ends(actions: list[dict[str, Any]]) -> dict[tuple[str, str | None], int]:
    """(partition, owner or None for the catalog) -> where the transaction moves that
    stream's counter."""
    ends: dict[tuple[str, str | None], int] = {}
    for action in actions:
        update = action.get("Update")
        if update is None:
            continue
        pk, sk = update["Key"]["pk"]["S"], update["Key"]["sk"]["S"]
        values = update.get("ExpressionAttributeValues", {})
        if sk == COUNTER_SK and ":catalog" in values:
            ends[(pk, None)] = int(values[":catalog"]["N"])
        elif sk.startswith(f"{COUNTER_SK}#") and ":seq" in values:
            ends[(pk, sk.removeprefix(f"{COUNTER_SK}#"))] = int(values[":seq"]["N"])
    return ends


def _owner(item: dict[str, Any]) -> str | None:
    """The member whose stream a sequenced item belongs in (None: the catalog's); a session's
    tombstone names no member: its stream's does."""
    if item["kind"] == "session":
        return str(item["userId"])
    if item["kind"] == "tombstone" and item["type"] == "session":
        stream = str(item.get("stream", ""))
        return stream.split("#")[1] if stream.startswith("U#") else "?"
    return None


def problems(actions: list[dict[str, Any]]) -> list[str]:
    """What a TransactWriteItems' actions break of the streams' rule."""
    found = []
    ends = _stream_ends(actions)
    for action in actions:
        put = action.get("Put")
        if put is None or not put["Item"]["pk"]["S"].startswith(WORKSPACE_PREFIX):
            continue
        item = from_item(put["Item"])
        if "seq" not in item:
            continue
        what = f"{item['kind']} {item.get('type', '')} {item.get('id')} at seq {item['seq']}"
        owner = _owner(item)
        if owner == "?":
            found.append(f"{what}: a session's tombstone in {item.get('stream')!r}")
            continue
        if item.get("stream") != stream_key(owner, int(item["seq"])):
            found.append(f"{what}: stream {item.get('stream')!r}, not {stream_prefix(owner)}…")
        if ends.get((item["pk"], owner), -1) < int(item["seq"]):
            counter = member_counter_sk(owner) if owner else f"{COUNTER_SK}.catalog"
            found.append(f"{what}: the transaction does not move {counter} to it")
    return found


@contextmanager
def checked() -> Iterator[list[str]]:
    """Every TransactWriteItems sent inside is checked; the problems found are listed."""
    found: list[str] = []

    def check(params: dict[str, Any], **_: Any) -> None:
        found.extend(problems(params.get("TransactItems", [])))

    with listening(("provide-client-params.dynamodb.TransactWriteItems", check)):
        yield found

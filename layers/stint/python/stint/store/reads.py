"""Reads: point reads of a partition, BatchGetItem across partitions, queries by page and the
page tokens that continue them. Every read is consistent."""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from stint import jsonio
from stint.config import settings
from stint.errors import ServiceUnavailable, ValidationFailed
from stint.store.keys import (
    COUNTER_SK,
    PROFILE_SK,
    USER_ITEMS,
    entity_sk,
    from_item,
    item_key,
    kind_range,
    stream_key,
)
from stint.store.transactions import MAX_ACTIONS_PER_TRANSACTION, dynamodb

log = logging.getLogger(__name__)

# BatchGetItem reads at most 100 keys a call.
MAX_KEYS_PER_BATCH = 100
# Keys a BatchGetItem hands back unread (throttling) are asked for again this many times in all,
# as botocore retries a throttled call, then the answer is 503.
_BATCH_GET_ATTEMPTS = 3
_THROTTLED_BACKOFF_SECONDS = 0.05
# The sort key of the table and of each string-keyed index.
_SORT_ATTRIBUTE: dict[str | None, str] = {None: "sk", "byParent": "parent", "byStart": "start"}

Record = dict[str, Any]
Keep = Callable[[Record], bool]


def _keep_all(_: Record) -> bool:
    return True


def throttled_backoff(attempt: int) -> None:
    time.sleep(random.uniform(0, _THROTTLED_BACKOFF_SECONDS * 2**attempt))


def batch_get(keys: Iterable[tuple[str, str]]) -> dict[tuple[str, str], Record]:
    """Read items by `(pk, sk)` with BatchGetItem (consistent), by key; missing ones left out.

    One round trip a 100 keys, so a team's reads cost the same whatever its size; no keys, no
    call. Keys DynamoDB leaves unprocessed (throttling) are read again after a backoff, a few
    times; then the answer is 503.
    """
    unique = list(dict.fromkeys(keys))
    found: dict[tuple[str, str], Record] = {}
    for start in range(0, len(unique), MAX_KEYS_PER_BATCH):
        found.update(_batch_get_once(unique[start : start + MAX_KEYS_PER_BATCH]))
    return found


def _batch_get_once(keys: list[tuple[str, str]]) -> dict[tuple[str, str], Record]:
    found: dict[tuple[str, str], Record] = {}
    pending: list[Any] = [item_key(pk, sk) for pk, sk in keys]
    table = settings().table_name
    for attempt in range(_BATCH_GET_ATTEMPTS):
        if not pending:
            return found
        if attempt:
            throttled_backoff(attempt)
        response = dynamodb().batch_get_item(
            RequestItems={table: {"Keys": pending, "ConsistentRead": True}}
        )
        for item in response.get("Responses", {}).get(table, []):
            record = from_item(item)
            found[(record["pk"], record["sk"])] = record
        unprocessed: Any = response.get("UnprocessedKeys", {})
        pending = unprocessed.get(table, {}).get("Keys", [])
    if not pending:
        return found
    log.warning("BatchGetItem: %d keys still unprocessed (throttled)", len(pending))
    raise ServiceUnavailable("The service is busy; retry the request shortly")


class Partition:
    """The reads of one partition (a user's, a workspace's, an invitee's). With `user_pk`, the
    items that are the user's wherever they work (`USER_ITEMS`: the profile, the running
    guard) are read from the user's partition."""

    def __init__(self, pk: str, user_pk: str | None = None):
        self.pk = pk
        self.user_pk = user_pk or pk

    @property
    def _table(self) -> str:
        return settings().table_name

    def pk_of(self, sk: str) -> str:
        """The partition that holds the item with this sort key."""
        return self.user_pk if sk in USER_ITEMS else self.pk

    def _key(self, sk: str) -> dict[str, Any]:
        return item_key(self.pk_of(sk), sk)

    def read(self, sk: str) -> Record | None:
        """The item with this sort key, or None."""
        response = dynamodb().get_item(
            TableName=self._table, Key=self._key(sk), ConsistentRead=True
        )
        item = response.get("Item")
        return from_item(item) if item else None

    # ------------------------------------------------------------------- a user's items

    def get(self, kind: str, entity_id: str) -> Record | None:
        """The stored record (entity fields + `seq`), or None."""
        return self.read(entity_sk(kind, entity_id))

    def get_profile(self) -> Record | None:
        return self.read(PROFILE_SK)

    def get_guard(self, sk: str) -> str | None:
        record = self.read(sk)
        return str(record["ref"]) if record else None

    def get_many(self, kind: str, entity_ids: Iterable[str]) -> dict[str, Record]:
        """The entities of a kind with these ids, by id (BatchGetItem); ids that name nothing
        are left out."""
        found = batch_get((self.pk, entity_sk(kind, entity_id)) for entity_id in entity_ids)
        return {str(record["id"]): record for record in found.values()}

    def get_many_of(self, refs: Iterable[tuple[str, str]]) -> dict[tuple[str, str], Record]:
        """The entities named by `(kind, id)`, of any kinds together (BatchGetItem), by
        `(kind, id)`; refs that name nothing are left out."""
        wanted = {
            (self.pk, entity_sk(kind, entity_id)): (kind, entity_id) for kind, entity_id in refs
        }
        return {wanted[key]: record for key, record in batch_get(wanted).items()}

    def read_counter(self) -> int:
        """The user's change sequence; -1 while the user has no counter item yet."""
        record = self.read(COUNTER_SK)
        return int(record["counter"]) if record else -1

    def change_sequence(self) -> int:
        """The seq of the user's last committed write (0 before any)."""
        return max(self.read_counter(), 0)

    def changes(self, after: int, upto: int, limit: int) -> tuple[list[Record], bool]:
        """Entities and tombstones written with `after < seq <= upto`, in seq order; and
        whether more remain. One consistent query on `bySeq`: it reads only those items."""
        between = ({"N": str(after + 1)}, {"N": str(upto)})
        return self._changes("bySeq", "seq", between, limit)

    def stream_changes(
        self, owner: str | None, after: int, upto: int, limit: int
    ) -> tuple[list[Record], bool]:
        """`changes` of one stream of a shared workspace (store.keys): a member's sessions
        (`owner`) or the catalog (None). One consistent query on `byStream`."""
        between = ({"S": stream_key(owner, after + 1)}, {"S": stream_key(owner, upto)})
        return self._changes("byStream", "stream", between, limit)

    def _changes(
        self, index: str, attribute: str, between: tuple[dict[str, str], dict[str, str]], limit: int
    ) -> tuple[list[Record], bool]:
        response = dynamodb().query(
            TableName=self._table,
            IndexName=index,
            KeyConditionExpression="pk = :pk AND #at BETWEEN :after AND :upto",
            ExpressionAttributeNames={"#at": attribute},
            ExpressionAttributeValues={
                ":pk": {"S": self.pk},
                ":after": between[0],
                ":upto": between[1],
            },
            ConsistentRead=True,
            Limit=limit,
        )
        records = [from_item(item) for item in response.get("Items", [])]
        return records, "LastEvaluatedKey" in response

    # ------------------------------------------------------------------- queries

    def query_page(
        self,
        *,
        prefix: str | None = None,
        between: tuple[str, str] | None = None,
        index: str | None = None,
        limit: int,
        next_token: str | None,
        keep: Keep = _keep_all,
        descending: bool = False,
    ) -> tuple[list[Record], str | None]:
        """One page of records whose sort key (sk, or the index's) starts with `prefix` or lies
        in `between` (both ends inclusive), in sort-key order (`descending`: the reverse).

        `keep` filters records; pages are filled up to `limit` across DynamoDB pages, and the
        next token points after the last record returned, so nothing is skipped or repeated.
        """
        sort_attr = _SORT_ATTRIBUTE[index]
        request: dict[str, Any] = {
            "TableName": self._table,
            **_key_condition(self.pk, sort_attr, prefix, between),
            "ConsistentRead": True,
            "ScanIndexForward": not descending,
            **({"IndexName": index} if index else {}),
        }
        start_key = self._decode_page_token(next_token, sort_attr) if next_token else None
        records: list[Record] = []
        last: Record | None = None
        while len(records) < limit:
            start: dict[str, Any] = {"ExclusiveStartKey": start_key} if start_key else {}
            response = dynamodb().query(**request, **start, Limit=limit - len(records))
            page = [from_item(raw) for raw in response.get("Items", [])]
            last = page[-1] if page else last
            records += filter(keep, page)
            start_key = response.get("LastEvaluatedKey")
            if not start_key:
                return records, None
        return records, None if last is None else _encode_page_token(last, sort_attr)

    def query_all(
        self,
        *,
        prefix: str | None = None,
        between: tuple[str, str] | None = None,
        index: str | None = None,
        page_size: int = MAX_ACTIONS_PER_TRANSACTION,
        keep: Keep = _keep_all,
    ) -> Iterator[Record]:
        """Every record `query_page` would return, page after page of `page_size`."""
        token: str | None = None
        while True:
            page, token = self.query_page(
                prefix=prefix,
                between=between,
                index=index,
                limit=page_size,
                next_token=token,
                keep=keep,
            )
            yield from page
            if not token:
                return

    def entities_page(
        self,
        kind: str,
        *,
        parent: tuple[str, str] | None = None,
        limit: int,
        next_token: str | None,
        keep: Keep = _keep_all,
    ) -> tuple[list[Record], str | None]:
        """A page of the records of a kind: all of them, or a parent's `(kind, id)`."""
        prefix, index = kind_range(kind, parent)
        return self.query_page(
            prefix=prefix, index=index, limit=limit, next_token=next_token, keep=keep
        )

    def all_entities(
        self,
        kind: str,
        *,
        parent: tuple[str, str] | None = None,
        page_size: int = MAX_ACTIONS_PER_TRANSACTION,
    ) -> Iterator[Record]:
        """Every record of a kind: all of them, or a parent's `(kind, id)`."""
        prefix, index = kind_range(kind, parent)
        return self.query_all(prefix=prefix, index=index, page_size=page_size)

    def has_any(self, kind: str, *, parent: tuple[str, str] | None = None) -> bool:
        """Whether there is an entity of a kind (of a parent `(kind, id)`)."""
        page, _ = self.entities_page(kind, parent=parent, limit=1, next_token=None)
        return bool(page)

    def _decode_page_token(self, token: str, sort_attr: str) -> dict[str, Any]:
        names = {"sk", sort_attr}

        def valid(key: Any) -> bool:
            return (
                isinstance(key, dict)
                and set(key) == names
                and all(isinstance(key[n], str) for n in names)
            )

        key = next_token_value(token, valid)
        # The partition is always the caller's: a token cannot reach another user's items.
        return {"pk": {"S": self.pk}, **{n: {"S": key[n]} for n in names}}


def next_token_value(token: str, valid: Callable[[Any], bool]) -> Any:
    """The value a `nextToken` holds, if `valid`; any other token is a 400 naming it."""
    try:
        value = jsonio.from_token(token)
    except jsonio.OverLimit as error:
        raise ValidationFailed(
            f"nextToken: {error}", code="invalid_json", details=[{"field": "nextToken"}]
        ) from error
    except ValueError as error:
        raise ValidationFailed("nextToken: malformed", details=[{"field": "nextToken"}]) from error
    if not valid(value):
        raise ValidationFailed("nextToken: malformed", details=[{"field": "nextToken"}])
    return value


def _key_condition(
    pk: str, sort_attr: str, prefix: str | None, between: tuple[str, str] | None
) -> dict[str, Any]:
    """A query's key condition: the partition, and the sort key in a range or by prefix."""
    if between is not None:
        condition = "pk = :pk AND #sort BETWEEN :low AND :high"
        values = {":low": {"S": between[0]}, ":high": {"S": between[1]}}
    else:
        condition = "pk = :pk AND begins_with(#sort, :prefix)"
        values = {":prefix": {"S": prefix or ""}}
    return {
        "KeyConditionExpression": condition,
        "ExpressionAttributeNames": {"#sort": sort_attr},
        "ExpressionAttributeValues": {":pk": {"S": pk}, **values},
    }


def _encode_page_token(record: Record, sort_attr: str) -> str:
    key = {"sk": record["sk"]}
    if sort_attr != "sk":
        key[sort_attr] = record[sort_attr]
    return jsonio.to_token(key)

"""The DynamoDB store: every key format and every DynamoDB call of Stint lives here.

One partition per user (`pk = USER#<sub>`). In it:

    sk = PROFILE                 the user's profile
    sk = COUNTER                 the user's change sequence (attribute `counter`)
    sk = <KIND>#<id>             an entity (PROJECT, CATEGORY, TASK, SUBTASK, SESSION)
    sk = TOMB#<KIND>#<id>        a deleted entity's tombstone, expiring by TTL (`expiresAt`)
    sk = RUNNING                 guard: `ref` = the user's running session
    sk = TITLE#<KIND>#...#<hash> guard: `ref` = the active entity owning a normalized title
    sk = IDEMPOTENCY#<hash>      an Idempotency-Key: fingerprint, state, response (TTL 24 h)
    sk = MEMBERSHIP#<teamId>     the user belongs to that team (lists the user's teams)
    sk = WEBHOOK#<id>            a webhook subscription (with its secret)
    sk = WEBHOOKS                how many webhooks the user has (`count`, at most 20)

A team is shared, so it has a partition of its own (`pk = TEAM#<id>`, `sk = TEAM`): its name,
its members (each with userId, email, displayName, role), its pending invitations (each with id,
email, role, createdAt, expiresAt, invitedBy; members and invitations at most 100 together) and
a `version`. Each pending invitation also has an item in its invitee's partition, keyed by the
normalized email (`pk = INVITEE#<email>`, `sk = INVITATION#<id>`, TTL `expiresAt`), so the
invitations of an email are one query.

Every entity and tombstone carries `seq`: the value of the user's change sequence assigned by
the transaction that last wrote it. A write reads the counter and commits its items together
with `counter = new` under the condition `counter = old`, so one user's writes commit in `seq`
order with no gap. The LSI `bySeq` (pk, seq) answers "what changed after seq N" with a
consistent read; `byParent` (pk, parent) finds children (a project's tasks, a task's subtasks
and sessions, a category's projects); `byStart` (pk, start) orders sessions by start time.
"""

from __future__ import annotations

import base64
import binascii
import contextvars
import functools
import hashlib
import json
import random
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any, TypeVar

from stint import aws, jsonio
from stint.config import settings
from stint.errors import Conflict, StintError, ValidationFailed
from stint.kinds import KINDS
from stint.timeutil import format_timestamp, utc_now

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.client import DynamoDBClient

PROFILE_SK = "PROFILE"
COUNTER_SK = "COUNTER"
RUNNING_SK = "RUNNING"  # guard: the id of the user's running session (at most one)
TITLE_PREFIX = "TITLE#"  # guards: the active project / task that owns a normalized title
IDEMPOTENCY_PREFIX = "IDEMPOTENCY#"  # a POST's Idempotency-Key: its state and first response
TOMBSTONE_PREFIX = "TOMB#"
MEMBERSHIP_PREFIX = "MEMBERSHIP#"  # the teams a user belongs to
WEBHOOK_PREFIX = "WEBHOOK#"
WEBHOOK_COUNT_SK = "WEBHOOKS"
TEAM_SK = "TEAM"
INVITATION_PREFIX = "INVITATION#"  # an invitation, in its invitee's partition
# A transaction canceled for one of these reasons only lost a race: read again and retry.
_RACE_CODES = frozenset({"None", "ConditionalCheckFailed", "TransactionConflict"})
# BatchGetItem reads at most 100 keys a call.
MAX_KEYS_PER_BATCH = 100
# Attributes that belong to the item, not to the entity.
_ITEM_ONLY = frozenset({"pk", "sk", "kind", "seq", "parent", "start", "expiresAt"})
# DynamoDB allows 100 actions a transaction; one is the counter.
MAX_ACTIONS_PER_TRANSACTION = 99
# Writes of one user race for its counter; a loser backs off (full jitter, capped) and tries
# again until a deadline, well inside the functions' 15 s timeout. A count of attempts is not
# enough: with 8 concurrent writers of one user each attempt is won by one of them, and a
# writer that kept losing 20 times in a row was seen (tests/api/test_concurrency.py).
_RETRY_DEADLINE_SECONDS = 8.0
_BACKOFF_BASE_SECONDS = 0.005
_BACKOFF_CAP_SECONDS = 0.1
# BatchGetItem reads at most 100 keys a call.
_BATCH_GET_KEYS = 100
# The sort key of the table and of each string-keyed index.
_SORT_ATTRIBUTE: dict[str | None, str] = {None: "sk", "byParent": "parent", "byStart": "start"}
T = TypeVar("T")


@dataclass
class _ReadAhead:
    """Reads of one attempt of a read-then-write operation (`retrying`), made ahead.

    The attempt's first read of a user's entity or guard also reads that user's COUNTER, in the
    same BatchGetItem, and the commit uses that value instead of a GetItem of its own; and
    `Store.prefetch` reads several keys the operation will need in one BatchGetItem. One round
    trip fewer for every update and delete, more where the keys are known together
    (docs/DESIGN.md, "Performance"). A counter that is stale by the commit only fails the
    transaction's condition on it, and the commit then reads it again, as it always did; an
    item is read ahead within the attempt that checks it, and an attempt re-runs from its
    reads when a condition on it fails, so nothing is decided on a value older than before.
    """

    counters: dict[str, int | None] = field(default_factory=dict)  # pk -> counter; None: used
    items: dict[tuple[str, str], dict[str, Any] | None] = field(default_factory=dict)


_read_ahead: contextvars.ContextVar[_ReadAhead | None] = contextvars.ContextVar(
    "stint_read_ahead", default=None
)


def dynamodb() -> DynamoDBClient:
    """The DynamoDB client, created once per process on first use (not at import)."""
    client: DynamoDBClient = aws.client("dynamodb")
    return client


def user_pk(user_id: str) -> str:
    return f"USER#{user_id}"


def entity_sk(kind: str, entity_id: str) -> str:
    return f"{KINDS[kind].prefix}#{entity_id}"


def tombstone_sk(kind: str, entity_id: str) -> str:
    return f"{TOMBSTONE_PREFIX}{entity_sk(kind, entity_id)}"


def parent_key(parent_kind: str, parent_id: str, kind: str, entity_id: str) -> str:
    """`byParent` sort key: e.g. PROJECT#p1#TASK#t1 (task t1 in project p1)."""
    return f"{entity_sk(parent_kind, parent_id)}#{entity_sk(kind, entity_id)}"


def children_prefix(parent_kind: str, parent_id: str, kind: str | None = None) -> str:
    prefix = f"{entity_sk(parent_kind, parent_id)}#"
    return prefix + (f"{KINDS[kind].prefix}#" if kind else "")


def index_keys(kind: str, entity: dict[str, Any]) -> dict[str, Any]:
    """The index attributes an entity's item carries, from its kind (stint.kinds): `parent`
    (byParent) when it belongs to another entity, and the kind's own (a session's `start`)."""
    spec = KINDS[kind]
    keys = {attribute: entity[name] for attribute, name in spec.index_fields.items()}
    if spec.parent is not None and entity.get(spec.parent.field):
        parent_id = str(entity[spec.parent.field])
        keys["parent"] = parent_key(spec.parent.kind, parent_id, kind, entity["id"])
    return keys


def team_pk(team_id: str) -> str:
    return f"TEAM#{team_id}"


def invitee_pk(email: str) -> str:
    """The partition of an invitee's invitations, by the normalized email they were sent to."""
    return f"INVITEE#{email}"


def _idempotency_sk(key: str) -> str:
    return IDEMPOTENCY_PREFIX + hashlib.sha256(key.encode()).hexdigest()


def etag(seq: int) -> str:
    return f'"{seq}"'


# ----------------------------------------------------------------------------- (de)serialization


def _to_dynamo(value: Any) -> dict[str, Any]:
    if value is None:
        return {"NULL": True}
    if isinstance(value, bool):
        return {"BOOL": value}
    if isinstance(value, Decimal):
        return {"N": format(value, "f")}  # positional: never "1E+2"
    if isinstance(value, int | float):
        return {"N": str(value)}
    if isinstance(value, str):
        return {"S": value}
    if isinstance(value, list):
        return {"L": [_to_dynamo(v) for v in value]}
    if isinstance(value, dict):
        return {"M": {k: _to_dynamo(v) for k, v in value.items()}}
    raise TypeError(f"cannot store {type(value).__name__}")


def _from_dynamo(attr: dict[str, Any]) -> Any:
    ((tag, value),) = attr.items()
    if tag == "N":
        # Exact: an integer as int, anything else as Decimal (never float: money, contract 2).
        number = Decimal(value)
        return int(number) if number == number.to_integral_value() else number
    if tag == "L":
        return [_from_dynamo(v) for v in value]
    if tag == "M":
        return {k: _from_dynamo(v) for k, v in value.items()}
    if tag == "NULL":
        return None
    return value  # S, BOOL


def to_item(values: dict[str, Any]) -> dict[str, Any]:
    return {k: _to_dynamo(v) for k, v in values.items()}


def from_item(item: dict[str, Any]) -> dict[str, Any]:
    return {k: _from_dynamo(v) for k, v in item.items()}


def entity_of(record: dict[str, Any]) -> dict[str, Any]:
    """The entity's fields of a stored record (drops keys and bookkeeping)."""
    return {k: v for k, v in record.items() if k not in _ITEM_ONLY}


# ----------------------------------------------------------------------------- changes


class StaleRead(Exception):
    """An item changed between the read and the write; the operation must run again."""


@dataclass
class Put:
    """Write an entity. `expect_seq`: None = create (must not exist), else the seq read."""

    kind: str
    entity: dict[str, Any]
    expect_seq: int | None = None
    # Raised when the condition fails; None means "re-run the operation" (StaleRead).
    on_conflict: StintError | None = None


@dataclass
class Delete:
    """Delete an entity read at `expect_seq`, leaving a tombstone for sync."""

    kind: str
    entity_id: str
    expect_seq: int
    on_conflict: StintError | None = None


@dataclass
class Require:
    """Commit only if the entity exists (e.g. the project a new task goes into)."""

    kind: str
    entity_id: str
    on_conflict: StintError | None = None


@dataclass
class PutProfile:
    """Write the profile: `expect_version` None creates it (version 1), else it must still be
    at that version (its ETag) and the write takes the next one."""

    profile: dict[str, Any]
    expect_version: int | None
    on_conflict: StintError | None = None


@dataclass
class Guard:
    """Set (`ref`) or remove (`ref=None`) a bookkeeping item that is not an entity and takes
    no part in sync: the user's running session, the owner of an active title. `expect` is the
    `ref` it was read with (None: it must not exist), so two racing writers cannot both win.
    """

    sk: str
    ref: str | None
    expect: str | None
    on_conflict: StintError | None = None


Change = Put | Delete | Require | PutProfile | Guard


@dataclass
class Committed:
    """What a commit wrote: each changed entity's new seq and the timestamp it carries."""

    seqs: dict[tuple[str, str], int]
    timestamp: str

    def seq_of(self, kind: str, entity_id: str) -> int:
        return self.seqs[(kind, entity_id)]


# ----------------------------------------------------------------------------- the store


class Store:
    def __init__(self, user_id: str):
        self.user_id = user_id
        self.pk = user_pk(user_id)

    @property
    def _table(self) -> str:
        return settings().table_name

    # ------------------------------------------------------------------- reads

    def get(self, kind: str, entity_id: str) -> dict[str, Any] | None:
        """The stored record (entity fields + `seq`), read consistently, or None."""
        return self._get_with_counter(entity_sk(kind, entity_id))

    def get_profile(self) -> dict[str, Any] | None:
        return self._read_or_get(PROFILE_SK)

    def get_guard(self, sk: str) -> str | None:
        record = self._get_with_counter(sk)
        return str(record["ref"]) if record else None

    def change_sequence(self) -> int:
        """The seq of the user's last committed write (0 before any)."""
        return max(self._read_counter(), 0)

    def changes(self, after: int, upto: int, limit: int) -> tuple[list[dict[str, Any]], bool]:
        """Entities and tombstones written with `after < seq <= upto`, in seq order; and
        whether more remain. One consistent query on `bySeq`: it reads only those items.
        """
        response = dynamodb().query(
            TableName=self._table,
            IndexName="bySeq",
            KeyConditionExpression="pk = :pk AND seq BETWEEN :after AND :upto",
            ExpressionAttributeValues={
                ":pk": {"S": self.pk},
                ":after": {"N": str(after + 1)},
                ":upto": {"N": str(upto)},
            },
            ConsistentRead=True,
            Limit=limit,
        )
        records = [from_item(item) for item in response.get("Items", [])]
        return records, "LastEvaluatedKey" in response

    def _get(self, sk: str) -> dict[str, Any] | None:
        response = dynamodb().get_item(
            TableName=self._table,
            Key={"pk": {"S": self.pk}, "sk": {"S": sk}},
            ConsistentRead=True,
        )
        item = response.get("Item")
        return from_item(item) if item else None

    def prefetch(self, *sks: str) -> None:
        """Inside `retrying`: read these items of the user (and the user's counter, unless read
        already) in one BatchGetItem; the attempt's `get`, `get_guard` and `get_profile` of them
        are answered from it. Outside `retrying`: nothing."""
        ahead = _read_ahead.get()
        if ahead is None:
            return
        keys = [
            (self.pk, sk)
            for sk in dict.fromkeys(sks)
            # Over DynamoDB's 1,024-byte sort key, a key names nothing (and would fail the
            # whole batch): the operation's own read of it finds nothing, as it would anyway.
            if (self.pk, sk) not in ahead.items and len(sk.encode()) <= 1024
        ]
        counter_too = self.pk not in ahead.counters
        if counter_too:
            keys.append((self.pk, COUNTER_SK))
        found = batch_get(keys)
        for key in keys:
            if key[1] != COUNTER_SK:
                ahead.items[key] = found.get(key)
        if counter_too:
            counter = found.get((self.pk, COUNTER_SK))
            ahead.counters[self.pk] = int(counter["counter"]) if counter else -1

    def _read_or_get(self, sk: str) -> dict[str, Any] | None:
        """The item as read ahead in this attempt, or read now."""
        ahead = _read_ahead.get()
        if ahead is not None and (self.pk, sk) in ahead.items:
            return ahead.items[(self.pk, sk)]
        return self._get(sk)

    def _get_with_counter(self, sk: str) -> dict[str, Any] | None:
        """`_read_or_get`, reading the counter along when a write will need it."""
        ahead = _read_ahead.get()
        if ahead is not None and (self.pk, sk) not in ahead.items and self.pk not in ahead.counters:
            self.prefetch(sk)
        return self._read_or_get(sk)

    def query_page(
        self,
        *,
        prefix: str | None = None,
        between: tuple[str, str] | None = None,
        index: str | None = None,
        limit: int,
        next_token: str | None,
        keep: Callable[[dict[str, Any]], bool] = lambda _: True,
    ) -> tuple[list[dict[str, Any]], str | None]:
        """One page of records whose sort key (sk, or the index's) starts with `prefix` or lies
        in `between` (both ends inclusive), in sort-key order.

        `keep` filters records; pages are filled up to `limit` across DynamoDB pages, and the
        next token points after the last record returned, so nothing is skipped or repeated.
        """
        sort_attr = _SORT_ATTRIBUTE[index]
        if between is not None:
            condition = "pk = :pk AND #sort BETWEEN :low AND :high"
            values = {":low": {"S": between[0]}, ":high": {"S": between[1]}}
        else:
            condition = "pk = :pk AND begins_with(#sort, :prefix)"
            values = {":prefix": {"S": prefix or ""}}
        start_key = self._decode_page_token(next_token, sort_attr) if next_token else None
        records: list[dict[str, Any]] = []
        last_key: dict[str, Any] | None = None
        exhausted = False
        while len(records) < limit:
            kwargs: dict[str, Any] = {
                "TableName": self._table,
                "KeyConditionExpression": condition,
                "ExpressionAttributeNames": {"#sort": sort_attr},
                "ExpressionAttributeValues": {":pk": {"S": self.pk}, **values},
                "ConsistentRead": True,
                "Limit": limit - len(records),
            }
            if index:
                kwargs["IndexName"] = index
            if start_key:
                kwargs["ExclusiveStartKey"] = start_key
            response = dynamodb().query(**kwargs)
            for raw in response.get("Items", []):
                record = from_item(raw)
                last_key = record
                if keep(record):
                    records.append(record)
            start_key = response.get("LastEvaluatedKey")
            if not start_key:
                exhausted = True
                break
        if exhausted or last_key is None:
            return records, None
        return records, self._encode_page_token(last_key, sort_attr)

    def query_all(
        self,
        *,
        prefix: str | None = None,
        between: tuple[str, str] | None = None,
        index: str | None = None,
        page_size: int = MAX_ACTIONS_PER_TRANSACTION,
        keep: Callable[[dict[str, Any]], bool] = lambda _: True,
    ) -> Iterator[dict[str, Any]]:
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

    def get_many(self, kind: str, entity_ids: Iterable[str]) -> dict[str, dict[str, Any]]:
        """The caller's entities of a kind with these ids, by id, read consistently with
        BatchGetItem (100 keys a call); ids that name nothing are left out."""
        keys = [self._key(entity_sk(kind, entity_id)) for entity_id in dict.fromkeys(entity_ids)]
        found: dict[str, dict[str, Any]] = {}
        for start in range(0, len(keys), _BATCH_GET_KEYS):
            pending: dict[str, Any] = {
                self._table: {"Keys": keys[start : start + _BATCH_GET_KEYS], "ConsistentRead": True}
            }
            for attempt in _attempts():
                response = dynamodb().batch_get_item(RequestItems=pending)
                for raw in response.get("Responses", {}).get(self._table, []):
                    record = from_item(raw)
                    found[str(record["id"])] = record
                pending = response.get("UnprocessedKeys") or {}
                if not pending:
                    break
                _backoff(attempt)  # throttled: DynamoDB handed some keys back
            if pending:
                raise Conflict("DynamoDB kept throttling the reads; retry the request")
        return found

    def has_any(self, *, prefix: str, index: str | None = None) -> bool:
        page, _ = self.query_page(prefix=prefix, index=index, limit=1, next_token=None)
        return bool(page)

    @staticmethod
    def _encode_page_token(record: dict[str, Any], sort_attr: str) -> str:
        key = {"sk": record["sk"]}
        if sort_attr != "sk":
            key[sort_attr] = record[sort_attr]
        return base64.urlsafe_b64encode(json.dumps(key).encode()).decode().rstrip("=")

    def _decode_page_token(self, token: str, sort_attr: str) -> dict[str, Any]:
        try:
            padded = token + "=" * (-len(token) % 4)
            key = jsonio.loads(base64.urlsafe_b64decode(padded.encode()))
            if not isinstance(key, dict):
                raise ValueError
            names = {"sk", sort_attr}
            if set(key) != names or not all(isinstance(key[n], str) for n in names):
                raise ValueError
        except jsonio.OverLimit as error:
            raise ValidationFailed(
                f"nextToken: {error}", code="invalid_json", details=[{"field": "nextToken"}]
            ) from error
        except (ValueError, binascii.Error, UnicodeDecodeError) as error:
            raise ValidationFailed(
                "nextToken: malformed", details=[{"field": "nextToken"}]
            ) from error
        # The partition is always the caller's: a token cannot reach another user's items.
        return {"pk": {"S": self.pk}, **{n: {"S": key[n]} for n in names}}

    # ------------------------------------------------------------------- idempotency keys

    def claim_idempotency_key(
        self, key: str, fingerprint: str, *, now: int, expires_at: int, stale_before: int
    ) -> dict[str, Any] | None:
        """Record the key as in progress unless a live record holds it; return that record.

        Expired records and in-progress ones older than `stale_before` (their function died)
        are taken over. Not part of sync (no `seq`).
        """
        item = {
            "pk": self.pk,
            "sk": _idempotency_sk(key),
            "kind": "idempotency",
            "fingerprint": fingerprint,
            "state": "in_progress",
            "startedAt": now,
            "expiresAt": expires_at,
        }
        try:
            dynamodb().put_item(
                TableName=self._table,
                Item=to_item(item),
                ConditionExpression=(
                    "attribute_not_exists(pk) OR expiresAt < :now"
                    " OR (#state = :in_progress AND startedAt < :stale)"
                ),
                ExpressionAttributeNames={"#state": "state"},
                ExpressionAttributeValues={
                    ":now": {"N": str(now)},
                    ":stale": {"N": str(stale_before)},
                    ":in_progress": {"S": "in_progress"},
                },
            )
        except dynamodb().exceptions.ConditionalCheckFailedException:
            return self._get(_idempotency_sk(key)) or {"state": "in_progress"}
        return None

    def finish_idempotency_key(self, key: str, response: str) -> None:
        dynamodb().update_item(
            TableName=self._table,
            Key=self._key(_idempotency_sk(key)),
            UpdateExpression="SET #state = :done, #response = :response",
            ExpressionAttributeNames={"#state": "state", "#response": "response"},
            ExpressionAttributeValues={":done": {"S": "done"}, ":response": {"S": response}},
        )

    def release_idempotency_key(self, key: str) -> None:
        dynamodb().delete_item(TableName=self._table, Key=self._key(_idempotency_sk(key)))

    # ------------------------------------------------------------------- webhooks

    def create_webhook(self, webhook: dict[str, Any], *, limit: int, full: StintError) -> None:
        """Store a subscription and count it, unless the user already has `limit` (`full`)."""
        table = self._table
        count: dict[str, Any] = {
            "TableName": table,
            "Key": self._key(WEBHOOK_COUNT_SK),
            "UpdateExpression": "SET #n = if_not_exists(#n, :zero) + :one",
            "ConditionExpression": "attribute_not_exists(#n) OR #n < :limit",
            "ExpressionAttributeNames": {"#n": "count"},
            "ExpressionAttributeValues": {
                ":zero": {"N": "0"},
                ":one": {"N": "1"},
                ":limit": {"N": str(limit)},
            },
        }
        item = {"pk": self.pk, "sk": WEBHOOK_PREFIX + webhook["id"], "kind": "webhook", **webhook}
        put: dict[str, Any] = {
            "TableName": table,
            "Item": to_item(item),
            "ConditionExpression": "attribute_not_exists(pk)",
        }
        try:
            actions: list[Any] = [{"Update": count}, {"Put": put}]
            dynamodb().transact_write_items(TransactItems=actions)
        except dynamodb().exceptions.TransactionCanceledException as error:
            reasons = error.response.get("CancellationReasons", [])
            if reasons and reasons[0].get("Code") == "ConditionalCheckFailed":
                raise full from error
            raise StaleRead() from error

    def webhooks(self) -> list[dict[str, Any]]:
        return list(self.query_all(prefix=WEBHOOK_PREFIX))

    def get_webhook(self, webhook_id: str) -> dict[str, Any] | None:
        return self._get(WEBHOOK_PREFIX + webhook_id)

    def delete_webhook(self, webhook_id: str) -> bool:
        """Delete a subscription and uncount it; False when there is no such subscription."""
        table = self._table
        delete: dict[str, Any] = {
            "TableName": table,
            "Key": self._key(WEBHOOK_PREFIX + webhook_id),
            "ConditionExpression": "attribute_exists(pk)",
        }
        count: dict[str, Any] = {
            "TableName": table,
            "Key": self._key(WEBHOOK_COUNT_SK),
            "UpdateExpression": "ADD #n :minus_one",
            "ExpressionAttributeNames": {"#n": "count"},
            "ExpressionAttributeValues": {":minus_one": {"N": "-1"}},
        }
        try:
            actions: list[Any] = [{"Delete": delete}, {"Update": count}]
            dynamodb().transact_write_items(TransactItems=actions)
        except dynamodb().exceptions.TransactionCanceledException as error:
            reasons = error.response.get("CancellationReasons", [])
            if reasons and reasons[0].get("Code") == "ConditionalCheckFailed":
                return False
            raise StaleRead() from error
        return True

    def record_delivery(self, webhook_id: str, *, delivered: bool, disable_after: int) -> None:
        """Count the subscription's events dead-lettered in a row (a delivery resets it);
        after `disable_after` of them the subscription is `disabled`."""
        key = self._key(WEBHOOK_PREFIX + webhook_id)
        try:
            if delivered:
                dynamodb().update_item(
                    TableName=self._table,
                    Key=key,
                    UpdateExpression="SET deadLettered = :zero",
                    ConditionExpression="attribute_exists(pk) AND deadLettered > :zero",
                    ExpressionAttributeValues={":zero": {"N": "0"}},
                )
                return
            response = dynamodb().update_item(
                TableName=self._table,
                Key=key,
                UpdateExpression="SET deadLettered = if_not_exists(deadLettered, :zero) + :one",
                ConditionExpression="attribute_exists(pk)",
                ExpressionAttributeValues={":zero": {"N": "0"}, ":one": {"N": "1"}},
                ReturnValues="UPDATED_NEW",
            )
            if int(response["Attributes"]["deadLettered"]["N"]) >= disable_after:
                dynamodb().update_item(
                    TableName=self._table,
                    Key=key,
                    UpdateExpression="SET #status = :disabled",
                    ConditionExpression="attribute_exists(pk)",
                    ExpressionAttributeNames={"#status": "status"},
                    ExpressionAttributeValues={":disabled": {"S": "disabled"}},
                )
        except dynamodb().exceptions.ConditionalCheckFailedException:
            return  # deleted meanwhile, or nothing to reset

    # ------------------------------------------------------------------- writes

    def commit(self, changes: list[Change]) -> Committed:
        """Commit changes atomically, each entity stamped with the next change sequence.

        More than 99 actions (a cascade) are committed in several transactions, in order, so
        put the parent's deletion last: an interruption then leaves the parent in place, and
        repeating the request finishes the job.
        """
        timestamp = format_timestamp(utc_now())
        seqs: dict[tuple[str, str], int] = {}
        chunk: list[Change] = []
        for change in changes:
            chunk.append(change)
            if len(self._actions_of(chunk)) > MAX_ACTIONS_PER_TRANSACTION:
                chunk.pop()
                seqs.update(self._commit_chunk(chunk, timestamp))
                chunk = [change]
        if chunk:
            seqs.update(self._commit_chunk(chunk, timestamp))
        self._forget_read_ahead(changes)
        return Committed(seqs, timestamp)

    def _forget_read_ahead(self, changes: list[Change]) -> None:
        """Items read ahead that this commit wrote are read again if asked for."""
        ahead = _read_ahead.get()
        if ahead is None:
            return
        for change in changes:
            if isinstance(change, Put):
                sk = entity_sk(change.kind, change.entity["id"])
            elif isinstance(change, Delete):
                sk = entity_sk(change.kind, change.entity_id)
            elif isinstance(change, Guard):
                sk = change.sk
            elif isinstance(change, PutProfile):
                sk = PROFILE_SK
            else:
                continue
            ahead.items.pop((self.pk, sk), None)

    def _actions_of(self, changes: list[Change]) -> list[int]:
        # Deletes take two actions (the item and its tombstone); creates clear a tombstone.
        counts = []
        for change in changes:
            two = isinstance(change, Delete) or (
                isinstance(change, Put) and change.expect_seq is None
            )
            counts.extend([1, 1] if two else [1])
        return counts

    def _commit_chunk(self, changes: list[Change], timestamp: str) -> dict[tuple[str, str], int]:
        sequenced = any(isinstance(change, Put | Delete) for change in changes)
        for attempt in _attempts():
            # Only writes of entities take part in the change sequence.
            counter = self._read_counter() if sequenced else None
            actions, owners, seqs = self._build_actions(changes, counter, timestamp)
            try:
                dynamodb().transact_write_items(TransactItems=actions)  # type: ignore[arg-type]
                return seqs
            except dynamodb().exceptions.TransactionCanceledException as error:
                reasons = error.response.get("CancellationReasons", [])
                self._raise_for_conditions(reasons, owners)
                # The counter moved (another write of this user) or a transaction conflict.
                _backoff(attempt)
        raise Conflict("Too many concurrent writes; retry the request")

    def _read_counter(self) -> int:
        """The user's change sequence; -1 while the user has no counter item yet."""
        ahead = _read_ahead.get()
        read_along = ahead.counters.get(self.pk) if ahead is not None else None
        if ahead is not None and read_along is not None:
            ahead.counters[self.pk] = None  # used once: a retry reads the counter afresh
            return read_along
        record = self._get(COUNTER_SK)
        return int(record["counter"]) if record else -1

    def _build_actions(
        self, changes: list[Change], counter: int | None, timestamp: str
    ) -> tuple[list[dict[str, Any]], list[Change | None], dict[tuple[str, str], int]]:
        table = self._table
        seq = max(counter or 0, 0)
        actions: list[dict[str, Any]] = []
        owners: list[Change | None] = []  # which change each action belongs to
        seqs: dict[tuple[str, str], int] = {}
        expires_at = int(
            (utc_now() + timedelta(days=settings().tombstone_retention_days + 1)).timestamp()
        )
        for change in changes:
            if isinstance(change, Require):
                actions.append(
                    {
                        "ConditionCheck": {
                            "TableName": table,
                            "Key": self._key(entity_sk(change.kind, change.entity_id)),
                            "ConditionExpression": "attribute_exists(pk)",
                        }
                    }
                )
                owners.append(change)
            elif isinstance(change, Guard):
                actions.append(self._guard_action(change))
                owners.append(change)
            elif isinstance(change, PutProfile):
                version = (change.expect_version or 0) + 1
                values = {
                    "pk": self.pk,
                    "sk": PROFILE_SK,
                    "kind": "profile",
                    **change.profile,
                    "version": version,
                }
                put: dict[str, Any] = {"TableName": table, "Item": to_item(values)}
                if change.expect_version is None:
                    put["ConditionExpression"] = "attribute_not_exists(pk)"
                else:
                    put["ConditionExpression"] = "version = :version"
                    put["ExpressionAttributeValues"] = {
                        ":version": {"N": str(change.expect_version)}
                    }
                actions.append({"Put": put})
                owners.append(change)
            elif isinstance(change, Put):
                seq += 1
                entity_id = change.entity["id"]
                seqs[(change.kind, entity_id)] = seq
                values = {
                    "pk": self.pk,
                    "sk": entity_sk(change.kind, entity_id),
                    "kind": change.kind,
                    "seq": seq,
                    **change.entity,
                    "lastUpdated": timestamp,
                    **index_keys(change.kind, change.entity),
                }
                put = {"TableName": table, "Item": to_item(values)}
                if change.expect_seq is None:
                    put["ConditionExpression"] = "attribute_not_exists(pk)"
                else:
                    put["ConditionExpression"] = "seq = :expected"
                    put["ExpressionAttributeValues"] = {":expected": {"N": str(change.expect_seq)}}
                actions.append({"Put": put})
                owners.append(change)
                if change.expect_seq is None:  # a re-created id supersedes its tombstone
                    actions.append(
                        {
                            "Delete": {
                                "TableName": table,
                                "Key": self._key(tombstone_sk(change.kind, entity_id)),
                            }
                        }
                    )
                    owners.append(None)
            else:  # Delete
                seq += 1
                seqs[(change.kind, change.entity_id)] = seq
                actions.append(
                    {
                        "Delete": {
                            "TableName": table,
                            "Key": self._key(entity_sk(change.kind, change.entity_id)),
                            "ConditionExpression": "seq = :expected",
                            "ExpressionAttributeValues": {
                                ":expected": {"N": str(change.expect_seq)}
                            },
                        }
                    }
                )
                owners.append(change)
                tombstone = {
                    "pk": self.pk,
                    "sk": tombstone_sk(change.kind, change.entity_id),
                    "kind": "tombstone",
                    "type": change.kind,
                    "id": change.entity_id,
                    "seq": seq,
                    "lastUpdated": timestamp,
                    "expiresAt": expires_at,
                }
                actions.append({"Put": {"TableName": table, "Item": to_item(tombstone)}})
                owners.append(None)
        if counter is None:
            return actions, owners, seqs
        counter_update: dict[str, Any] = {
            "TableName": table,
            "Key": self._key(COUNTER_SK),
            "UpdateExpression": "SET #c = :new",
            "ExpressionAttributeNames": {"#c": "counter"},
            "ExpressionAttributeValues": {":new": {"N": str(seq)}},
        }
        if counter >= 0:
            counter_update["ConditionExpression"] = "#c = :old"
            counter_update["ExpressionAttributeValues"][":old"] = {"N": str(counter)}
        else:
            counter_update["ConditionExpression"] = "attribute_not_exists(#c)"
        return [{"Update": counter_update}, *actions], [None, *owners], seqs

    def _guard_action(self, guard: Guard) -> dict[str, Any]:
        action: dict[str, Any] = {"TableName": self._table}
        if guard.expect is None:
            action["ConditionExpression"] = "attribute_not_exists(pk)"
        else:
            action["ConditionExpression"] = "#ref = :expected"
            action["ExpressionAttributeNames"] = {"#ref": "ref"}
            action["ExpressionAttributeValues"] = {":expected": {"S": guard.expect}}
        if guard.ref is None:
            return {"Delete": {**action, "Key": self._key(guard.sk)}}
        item = to_item({"pk": self.pk, "sk": guard.sk, "kind": "guard", "ref": guard.ref})
        return {"Put": {**action, "Item": item}}

    @staticmethod
    def _raise_for_conditions(reasons: list[Any], owners: list[Change | None]) -> None:
        """Turn a failed condition on an entity into its domain error (or StaleRead)."""
        for reason, owner in zip(reasons, owners, strict=False):
            if owner is None or reason.get("Code") != "ConditionalCheckFailed":
                continue
            if owner.on_conflict is not None:
                raise owner.on_conflict
            raise StaleRead()

    def _key(self, sk: str) -> dict[str, Any]:
        return {"pk": {"S": self.pk}, "sk": {"S": sk}}


def _attempts() -> Iterator[int]:
    """Attempt numbers until the retry deadline has passed (at least one)."""
    deadline = time.monotonic() + _RETRY_DEADLINE_SECONDS
    attempt = 0
    while attempt == 0 or time.monotonic() < deadline:
        yield attempt
        attempt += 1


def _backoff(attempt: int) -> None:
    time.sleep(random.uniform(0, min(_BACKOFF_CAP_SECONDS, _BACKOFF_BASE_SECONDS * 2**attempt)))


def retrying(operation: Callable[[], T]) -> T:
    """Run a read-then-write operation, again from its reads when an item changed under it."""
    for attempt in _attempts():
        reading = _read_ahead.set(_ReadAhead())
        try:
            return operation()
        except StaleRead:
            _backoff(attempt)
        finally:
            _read_ahead.reset(reading)
    raise Conflict("The entity is changing too often; retry the request")


# ----------------------------------------------------------------------------- teams and reads
# across users (contract section 8)


def batch_get(keys: list[tuple[str, str]]) -> dict[tuple[str, str], dict[str, Any]]:
    """Read many items by `(pk, sk)` in one BatchGetItem (consistent), by key.

    At most 100 keys: one round trip, so a team's reads cost the same whatever its size.
    Keys DynamoDB leaves unprocessed (throttling) are read again after a backoff.
    """
    if len(keys) > MAX_KEYS_PER_BATCH:
        raise ValueError(f"at most {MAX_KEYS_PER_BATCH} keys a batch")
    found: dict[tuple[str, str], dict[str, Any]] = {}
    pending: list[Any] = [{"pk": {"S": pk}, "sk": {"S": sk}} for pk, sk in dict.fromkeys(keys)]
    table = settings().table_name
    for attempt in _attempts():
        if not pending:
            break
        response = dynamodb().batch_get_item(
            RequestItems={table: {"Keys": pending, "ConsistentRead": True}}
        )
        for item in response.get("Responses", {}).get(table, []):
            record = from_item(item)
            found[(record["pk"], record["sk"])] = record
        unprocessed: Any = response.get("UnprocessedKeys", {})
        pending = unprocessed.get(table, {}).get("Keys", [])
        if pending:
            _backoff(attempt)
    return found


def running_refs(user_ids: list[str]) -> dict[str, str]:
    """Each user's running session id (their RUNNING guard), for users that have one."""
    records = batch_get([(user_pk(user_id), RUNNING_SK) for user_id in user_ids])
    return {
        user_id: str(records[(user_pk(user_id), RUNNING_SK)]["ref"])
        for user_id in user_ids
        if (user_pk(user_id), RUNNING_SK) in records
    }


def entities_of_users(kind: str, refs: list[tuple[str, str]]) -> dict[tuple[str, str], Any]:
    """Entities of several users by `(user_id, entity_id)`, in one batch."""
    records = batch_get([(user_pk(user_id), entity_sk(kind, eid)) for user_id, eid in refs])
    return {
        (user_id, eid): records[(user_pk(user_id), entity_sk(kind, eid))]
        for user_id, eid in refs
        if (user_pk(user_id), entity_sk(kind, eid)) in records
    }


class _Partition(Store):
    """`Store`'s reads over a partition that is not a user's (an invitee's)."""

    def __init__(self, pk: str):
        super().__init__("")
        self.pk = pk


class TeamStore:
    """Teams: one item per team in its own partition, a membership item in each member's
    partition (not an entity: no `seq`, no part in sync), and an item per pending invitation in
    its invitee's partition."""

    @staticmethod
    def get(team_id: str) -> dict[str, Any] | None:
        response = dynamodb().get_item(
            TableName=settings().table_name,
            Key={"pk": {"S": team_pk(team_id)}, "sk": {"S": TEAM_SK}},
            ConsistentRead=True,
        )
        item = response.get("Item")
        return from_item(item) if item else None

    @staticmethod
    def get_many(team_ids: list[str]) -> list[dict[str, Any]]:
        """Teams by id, in the order given (missing ones left out); any number of ids."""
        found: dict[tuple[str, str], dict[str, Any]] = {}
        for start in range(0, len(team_ids), MAX_KEYS_PER_BATCH):
            chunk = team_ids[start : start + MAX_KEYS_PER_BATCH]
            found.update(batch_get([(team_pk(team_id), TEAM_SK) for team_id in chunk]))
        keys = [(team_pk(team_id), TEAM_SK) for team_id in team_ids]
        return [found[key] for key in keys if key in found]

    @staticmethod
    def memberships(
        user_id: str, *, limit: int, next_token: str | None
    ) -> tuple[list[str], str | None]:
        """A page of the ids of the teams the user belongs to."""
        records, token = Store(user_id).query_page(
            prefix=MEMBERSHIP_PREFIX, limit=limit, next_token=next_token
        )
        return [str(record["teamId"]) for record in records], token

    @staticmethod
    def invitation_and_profile(
        email: str, invitation_id: str, user_id: str
    ) -> tuple[dict[str, Any] | None, dict[str, Any] | None]:
        """The invitation with this id sent to this (normalized) email, expired or not, and the
        user's profile, in one round trip."""
        invitation = (invitee_pk(email), INVITATION_PREFIX + invitation_id)
        profile = (user_pk(user_id), PROFILE_SK)
        found = batch_get([invitation, profile])
        return found.get(invitation), found.get(profile)

    @staticmethod
    def invitations(
        email: str, *, limit: int, next_token: str | None, expiring_after: int
    ) -> tuple[list[dict[str, Any]], str | None]:
        """A page of the invitations sent to this (normalized) email that expire after
        `expiring_after` (epoch seconds): TTL deletes expired items only eventually."""
        return _Partition(invitee_pk(email)).query_page(
            prefix=INVITATION_PREFIX,
            limit=limit,
            next_token=next_token,
            keep=lambda record: int(record["expiresAt"]) > expiring_after,
        )

    @staticmethod
    def refresh_member(user_id: str, fields: dict[str, Any]) -> None:
        """Copy a member's new profile fields (email, displayName) into each of their teams."""
        token: str | None = None
        while True:
            team_ids, token = TeamStore.memberships(user_id, limit=100, next_token=token)
            for team_id in team_ids:
                retrying(functools.partial(TeamStore._refresh_in, team_id, user_id, fields))
            if not token:
                return

    @staticmethod
    def _refresh_in(team_id: str, user_id: str, fields: dict[str, Any]) -> None:
        record = TeamStore.get(team_id)
        if record is None:
            return
        members = [
            {**member, **fields} if member["userId"] == user_id else member
            for member in record["members"]
        ]
        if members != record["members"]:
            team = {**TeamStore.fields(record), "members": members}
            TeamStore.write(team, expect_version=int(record["version"]))

    @staticmethod
    def fields(record: dict[str, Any]) -> dict[str, Any]:
        """The team's own fields of its stored record (no keys, no version)."""
        return {k: v for k, v in record.items() if k not in {"pk", "sk", "kind", "version"}}

    @staticmethod
    def write(
        team: dict[str, Any],
        *,
        expect_version: int | None,
        joining: tuple[str, ...] = (),
        leaving: tuple[str, ...] = (),
        invited: dict[str, Any] | None = None,
        withdrawn: tuple[str, str] | None = None,
    ) -> int:
        """Write the team (created when `expect_version` is None, else conditioned on it), in
        one transaction with: the membership items of the users joining or leaving; the
        invitee's item of a new invitation (`invited`, with its `email`); and the removal of an
        invitation's item (`withdrawn`: its email and id; it must still exist). Returns the
        team's new version; StaleRead when the team or the invitation changed since read."""
        table = settings().table_name
        version = (expect_version or 0) + 1
        item = {"pk": team_pk(team["id"]), "sk": TEAM_SK, "kind": "team", **team}
        put: dict[str, Any] = {"TableName": table, "Item": to_item({**item, "version": version})}
        if expect_version is None:
            put["ConditionExpression"] = "attribute_not_exists(pk)"
        else:
            put["ConditionExpression"] = "version = :version"
            put["ExpressionAttributeValues"] = {":version": {"N": str(expect_version)}}
        actions: list[dict[str, Any]] = [{"Put": put}]
        for user_id in joining:
            membership = {
                "pk": user_pk(user_id),
                "sk": MEMBERSHIP_PREFIX + team["id"],
                "kind": "membership",
                "teamId": team["id"],
            }
            actions.append({"Put": {"TableName": table, "Item": to_item(membership)}})
        for user_id in leaving:
            key = {"pk": {"S": user_pk(user_id)}, "sk": {"S": MEMBERSHIP_PREFIX + team["id"]}}
            actions.append({"Delete": {"TableName": table, "Key": key}})
        if invited is not None:
            invitation = {
                "pk": invitee_pk(invited["email"]),
                "sk": INVITATION_PREFIX + invited["id"],
                "kind": "invitation",
                **invited,
            }
            condition = "attribute_not_exists(pk)"
            put_invitation = {"Item": to_item(invitation), "ConditionExpression": condition}
            actions.append({"Put": {"TableName": table, **put_invitation}})
        if withdrawn is not None:
            email, invitation_id = withdrawn
            key = {"pk": {"S": invitee_pk(email)}, "sk": {"S": INVITATION_PREFIX + invitation_id}}
            condition = "attribute_exists(pk)"
            actions.append(
                {"Delete": {"TableName": table, "Key": key, "ConditionExpression": condition}}
            )
        try:
            dynamodb().transact_write_items(TransactItems=actions)  # type: ignore[arg-type]
        except dynamodb().exceptions.TransactionCanceledException as error:
            reasons = error.response.get("CancellationReasons", [])
            if {reason.get("Code") for reason in reasons} <= _RACE_CODES:
                raise StaleRead() from error
            raise  # refused for another reason: not a race, so not retried
        return version

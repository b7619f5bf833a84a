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
    sk = WEBHOOK#<id>            a webhook subscription (with its secret, its previous secret
                                 while a rotation's overlap lasts, and a `version`: its ETag)
    sk = WEBHOOKS                how many webhooks the user has (`count`, at most 20)
    sk = TAGS                    how many tags the user has (`count`, at most 1,000)

Each webhook's delivery log has a partition of its own (`pk = DELIVERIES#<sub>#<webhookId>`,
`sk = ATTEMPT#<attemptedAt>#<eventId>#<attempt>`, TTL `expiresAt`): one small item per attempt,
newest first by a plain Query in reverse, and never counted in the user's item collection
(the LSIs' 10 GB limit) however busy the webhook is.

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
import contextlib
import contextvars
import enum
import functools
import hashlib
import json
import logging
import random
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any, TypeVar

from stint import aws, jsonio
from stint.config import settings
from stint.errors import (
    Conflict,
    ServiceUnavailable,
    StintError,
    ValidationFailed,
    invalid_field,
)
from stint.kinds import KINDS
from stint.timeutil import format_timestamp, utc_now

if TYPE_CHECKING:
    from botocore.exceptions import ClientError
    from mypy_boto3_dynamodb.client import DynamoDBClient

log = logging.getLogger(__name__)

PROFILE_SK = "PROFILE"
COUNTER_SK = "COUNTER"
RUNNING_SK = "RUNNING"  # guard: the id of the user's running session (at most one)
TITLE_PREFIX = "TITLE#"  # guards: the active project / task that owns a normalized title
IDEMPOTENCY_PREFIX = "IDEMPOTENCY#"  # a POST's Idempotency-Key: its state and first response
TOMBSTONE_PREFIX = "TOMB#"
MEMBERSHIP_PREFIX = "MEMBERSHIP#"  # the teams a user belongs to
WEBHOOK_PREFIX = "WEBHOOK#"
WEBHOOK_COUNT_SK = "WEBHOOKS"
ATTEMPT_PREFIX = "ATTEMPT#"  # a delivery attempt, in its webhook's delivery log partition
TAG_COUNT_SK = "TAGS"  # how many tags the user has
TEAM_SK = "TEAM"
INVITATION_PREFIX = "INVITATION#"  # an invitation, in its invitee's partition
# A transaction canceled for one of these reasons only lost a race: read again and retry.
# BatchGetItem reads at most 100 keys a call.
MAX_KEYS_PER_BATCH = 100
# Attributes that belong to the item, not to the entity.
_ITEM_ONLY = frozenset({"pk", "sk", "kind", "seq", "parent", "start", "expiresAt"})
# DynamoDB allows 100 actions a transaction; one is the counter.
_TRANSACTION_LIMIT = 100
MAX_ACTIONS_PER_TRANSACTION = _TRANSACTION_LIMIT - 1
# Writes of one user race for its counter; a loser backs off (full jitter, capped) and tries
# again until a deadline, well inside the functions' 15 s timeout. A count of attempts is not
# enough: with 8 concurrent writers of one user each attempt is won by one of them, and a
# writer that kept losing 20 times in a row was seen (tests/api/test_concurrency.py). Only a
# race is retried so (docs/DESIGN.md, "Retries and concurrency control").
_RETRY_DEADLINE_SECONDS = 8.0
_BACKOFF_BASE_SECONDS = 0.005
_BACKOFF_CAP_SECONDS = 0.1
# Keys a BatchGetItem hands back unread (throttling) are asked for again this many times in all,
# as botocore retries a throttled call, then the answer is 503.
_BATCH_GET_ATTEMPTS = 3
_THROTTLED_BACKOFF_SECONDS = 0.05
# The numbers DynamoDB holds: 38 significant digits, magnitude 1E-130 to 9.99...E+125.
_MAX_DIGITS = 38
_MIN_EXPONENT, _MAX_EXPONENT = -130, 125
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


def deliveries_pk(user_id: str, webhook_id: str) -> str:
    """The partition of a webhook's delivery log."""
    return f"DELIVERIES#{user_id}#{webhook_id}"


def team_pk(team_id: str) -> str:
    return f"TEAM#{team_id}"


def invitee_pk(email: str) -> str:
    """The partition of an invitee's invitations, by the normalized email they were sent to."""
    return f"INVITEE#{email}"


def normalized_title(title: str) -> str:
    """The one spelling of a title (or a tag's name) that uniqueness compares."""
    return title.strip().casefold()


def title_guard_sk(kind: str, scope: str, title: str) -> str:
    """The guard of a normalized title among a scope's entities of a kind (a project's tasks:
    the project id; the user's projects and tags: `all`)."""
    digest = hashlib.sha256(normalized_title(title).encode()).hexdigest()
    return f"{TITLE_PREFIX}{kind.upper()}#{scope}#{digest}"


def _idempotency_sk(key: str) -> str:
    return IDEMPOTENCY_PREFIX + hashlib.sha256(key.encode()).hexdigest()


def etag(seq: int) -> str:
    return f'"{seq}"'


# ----------------------------------------------------------------------------- (de)serialization


def _to_dynamo(value: Any, path: str) -> dict[str, Any]:
    """`value` as a DynamoDB attribute; a value DynamoDB cannot hold is a 400 naming `path`
    here, before anything is sent (a refused write would otherwise fail the whole request)."""
    if value is None:
        return {"NULL": True}
    if isinstance(value, bool):
        return {"BOOL": value}
    if isinstance(value, int | float | Decimal):
        return {"N": _number_text(value, path)}
    if isinstance(value, str):
        _check_text(value, path)
        return {"S": value}
    if isinstance(value, list):
        return {"L": [_to_dynamo(v, f"{path}[{i}]") for i, v in enumerate(value)]}
    if isinstance(value, dict):
        return {"M": {k: _to_dynamo(v, f"{path}.{k}") for k, v in value.items()}}
    raise TypeError(f"cannot store {type(value).__name__}")


def _number_text(value: int | float | Decimal, path: str) -> str:
    """A number as DynamoDB takes it (positional: never "1E+2"), if DynamoDB can hold it:
    finite, at most 38 significant digits, magnitude 1E-130 to 9.99...E+125."""
    number = Decimal(str(value)) if isinstance(value, float) else Decimal(value)
    if not number.is_finite():
        raise invalid_field(path, "must be a finite number")
    significant = "".join(map(str, number.as_tuple().digits)).strip("0")
    if significant and (
        len(significant) > _MAX_DIGITS or not _MIN_EXPONENT <= number.adjusted() <= _MAX_EXPONENT
    ):
        raise invalid_field(
            path, "is outside the numbers that can be stored (38 digits, 1E-130 to 1E+126)"
        )
    return format(number, "f")


def _check_text(value: str, path: str) -> None:
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as error:
        raise invalid_field(path, "is not valid UTF-8 text (a lone surrogate)") from error


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
    return {k: _to_dynamo(v, k) for k, v in values.items()}


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


@dataclass
class Tally:
    """Add `delta` to a count item (`count`; not an entity, no part in sync): the user's tags.
    With `limit`, the transaction commits only if the count stays at most `limit`."""

    sk: str
    delta: int
    limit: int | None = None
    on_conflict: StintError | None = None


Change = Put | Delete | Require | PutProfile | Guard | Tally


@dataclass
class Committed:
    """What a commit wrote: each changed entity's new seq and the timestamp it carries."""

    seqs: dict[tuple[str, str], int]
    timestamp: str

    def seq_of(self, kind: str, entity_id: str) -> int:
        return self.seqs[(kind, entity_id)]


# ----------------------------------------------------------------------------- transactions


class Outcome(enum.Enum):
    """What a failed condition on one action of a transaction means for the request."""

    RACE = "the counter moved (another write of the user): send it again with a fresh counter"
    STALE = "an item changed since it was read: run the operation again from its reads"
    ANSWERED = "the Idempotency-Key's record exists: the request was answered before"


# Per action of a transaction: a domain error to raise, an Outcome, or None (no condition).
OnFailedCondition = StintError | Outcome | None


class IdempotencyKeyTaken(Exception):
    """Another run of the same idempotent request committed first (`Outcome.ANSWERED`)."""


@dataclass
class _Transaction:
    """A TransactWriteItems request, what each action's failed condition means, and the seqs
    its entities take."""

    actions: list[dict[str, Any]]
    on_failed: list[OnFailedCondition]
    seqs: dict[tuple[str, str], int] = field(default_factory=dict)


# DynamoDB's codes (errors, and reasons a transaction was cancelled), by what they mean.
_UNAVAILABLE = frozenset(
    {
        "ProvisionedThroughputExceeded",
        "ProvisionedThroughputExceededException",
        "ThrottlingError",
        "ThrottlingException",
        "Throttling",
        "RequestLimitExceeded",
        "InternalServerError",
        "InternalFailure",
        "ServiceUnavailable",
        "ServiceUnavailableException",
        "TooManyRequestsException",  # Cognito's throttling
    }
)
_REFUSED = frozenset({"ValidationError", "ValidationException"})
# A refusal whose message names data DynamoDB cannot hold was caused by the input (a 400);
# any other refusal is a request the store built wrong (a defect, 500).
_INPUT_REFUSALS = (
    ("number", "a number is outside what can be stored (38 digits, 1E-130 to 1E+126)"),
    ("numeric", "a number is outside what can be stored (38 digits, 1E-130 to 1E+126)"),
    ("item size", "the entity is larger than the 400 KB that can be stored"),
    ("nesting levels", "a value is nested too deeply to be stored"),
)
_NO_ERROR = "None"
_CONDITION_FAILED = "ConditionalCheckFailed"
_CONFLICT = "TransactionConflict"


def _settle(error: ClientError, on_failed: list[OnFailedCondition]) -> None:
    """Raise what a cancelled transaction means for the request; return when it only lost a
    race (the counter, or a `TransactionConflict`), so the same write may commit if sent again.
    """
    reasons = list(error.response.get("CancellationReasons") or [])
    codes = [str(reason.get("Code") or _NO_ERROR) for reason in reasons]
    # One reason per action, in order (none when the whole request was refused).
    pairs = list(zip(codes, [*on_failed, *[None] * len(codes)], strict=False))
    failed = [meaning for code, meaning in pairs if code == _CONDITION_FAILED]
    if Outcome.ANSWERED in failed:  # the first answer stands, whatever else failed
        raise IdempotencyKeyTaken()
    for meaning in failed:
        if isinstance(meaning, StintError):
            raise meaning
    if Outcome.STALE in failed:
        raise StaleRead()
    refused = next((reason for reason in reasons if reason.get("Code") in _REFUSED), None)
    if refused is not None:
        raise _refusal(str(refused.get("Message", "")), error)
    if any(code in _UNAVAILABLE for code in codes):
        raise _unavailable(error, codes)
    unexplained = [
        code
        for code, meaning in pairs
        if code not in (_NO_ERROR, _CONFLICT)
        and not (code == _CONDITION_FAILED and meaning is Outcome.RACE)
    ]
    if not codes or unexplained:
        raise _defect(error, codes)


def client_error(error: ClientError) -> StintError | None:
    """What a DynamoDB error (left after botocore's retries) means for the request: 503 while
    DynamoDB throttles or fails, 400 for data it cannot hold, a logged defect (500) for another
    refusal; None for an error that is none of these (e.g. AccessDenied: the function fails)."""
    code = str(error.response.get("Error", {}).get("Code", ""))
    if code in _UNAVAILABLE:
        return _unavailable(error, [code])
    if code in _REFUSED:
        return _refusal(str(error.response.get("Error", {}).get("Message", "")), error)
    return None


def _refusal(message: str, error: ClientError) -> StintError:
    what = next((text for phrase, text in _INPUT_REFUSALS if phrase in message.lower()), None)
    if what is None:
        return _defect(error, [message])
    log.info("DynamoDB refused the data of %s: %s", error.operation_name, message)
    return ValidationFailed(what)


def _unavailable(error: ClientError, codes: list[str]) -> StintError:
    log.warning("%s unavailable after botocore's retries: %s", error.operation_name, codes)
    return ServiceUnavailable("The service is busy; retry the request shortly")


def _defect(error: ClientError, what: list[str]) -> StintError:
    log.error("%s refused (a defect): %s %s", error.operation_name, what, error)
    return StintError("The request could not be completed")


def _too_many_writes() -> Conflict:
    return Conflict("Too many concurrent writes; retry the request", retry_after=1)


def _send(build: Callable[[], _Transaction]) -> _Transaction:
    """Send the transaction `build` makes; after a lost race, back off and send a fresh one
    (`build` reads the counter again), until the deadline."""
    for attempt in attempts():
        transaction = build()
        try:
            dynamodb().transact_write_items(TransactItems=transaction.actions)  # type: ignore[arg-type]
            return transaction
        except dynamodb().exceptions.TransactionCanceledException as error:
            _settle(error, transaction.on_failed)
        backoff(attempt)
    raise _too_many_writes()


def _send_once(transaction: _Transaction) -> None:
    """Send a transaction built before: a lost race is StaleRead (what was answered on its
    counter must be built again)."""
    try:
        dynamodb().transact_write_items(TransactItems=transaction.actions)  # type: ignore[arg-type]
    except dynamodb().exceptions.TransactionCanceledException as error:
        _settle(error, transaction.on_failed)
        raise StaleRead() from error


# ----------------------------------------------------------------------------- deferred writes


@dataclass
class Deferral:
    """An idempotent request's write, built but not yet sent (`deferring`).

    Inside `deferring`, the request's first write (`Store.commit`, `TeamStore.write`,
    `Store.create_webhook`) reads what it must, builds its transaction and returns as if it had
    committed; `stint.idempotency` then sends it with the Idempotency-Key's record added, so
    the write and its recorded answer commit together or not at all. A second write in the same
    request (none does today), or one too big for a single transaction, cannot be held: what
    was held and it are sent at once, and the record follows the answer (`sent_alone`).

    A side effect outside the table (`outside_effect`: a message on a queue) is held too, and
    run only once the request is known not to be a retry of one answered before.
    """

    held: _Transaction | None = None
    sent_alone: bool = False
    effects: list[Callable[[], None]] = field(default_factory=list)
    # Called before the first write is sent alone: raises IdempotencyKeyTaken when the key was
    # answered before, so a repeated request is not run again (its record would follow).
    before_alone: Callable[[], None] | None = None

    def run_effects(self) -> None:
        effects, self.effects = self.effects, []
        for effect in effects:
            effect()

    def go_alone(self) -> None:
        if not self.sent_alone and self.before_alone is not None:
            self.before_alone()
        self.sent_alone = True

    def write(self, build: Callable[[], _Transaction], *, size: int) -> _Transaction:
        """Hold the write `build` makes (of `size` actions), or send it now if it cannot be."""
        if self.held is None and not self.sent_alone and size < _TRANSACTION_LIMIT:
            self.held = build()
            return self.held
        if not self.sent_alone:
            log.warning("an idempotent request wrote twice: its key is recorded after its answer")
            self.go_alone()
        held, self.held = self.held, None
        if held is not None:
            _send_once(held)
        return _send(build)

    def send_with(self, record: dict[str, Any]) -> None:
        """Send the held write with the record's Put (conditioned on no live record): raises
        IdempotencyKeyTaken, StaleRead (run the request again), or what a condition means."""
        held = self.held
        if held is None:
            raise ValueError("no write is held")
        self.held = None
        _send_once(
            _Transaction([*held.actions, {"Put": record}], [*held.on_failed, Outcome.ANSWERED])
        )


_deferral: contextvars.ContextVar[Deferral | None] = contextvars.ContextVar(
    "stint_deferral", default=None
)


@contextlib.contextmanager
def deferring(before_alone: Callable[[], None] | None = None) -> Iterator[Deferral]:
    """Hold the first write made inside (see `Deferral`)."""
    deferral = Deferral(before_alone=before_alone)
    token = _deferral.set(deferral)
    try:
        yield deferral
    finally:
        _deferral.reset(token)


def send_writes_now() -> None:
    """Inside `deferring`: send this request's writes as they are made, so that each reads what
    the ones before it wrote (a batch of operations that commit each on its own); its key is
    then recorded after its answer (`Deferral.sent_alone`)."""
    deferral = _deferral.get()
    if deferral is not None and deferral.held is None:
        deferral.go_alone()


def outside_effect(effect: Callable[[], None]) -> None:
    """Run a side effect outside the table now or, inside `deferring`, when the idempotent
    request turns out to be the first of its key (`stint.idempotency`): a retry that replays
    the first answer must not repeat it."""
    deferral = _deferral.get()
    if deferral is None:
        effect()
    else:
        deferral.effects.append(effect)


def _write(build: Callable[[], _Transaction], *, size: int, send_now: bool = False) -> _Transaction:
    """Send the transaction `build` makes, or hold it for an idempotent request's record."""
    deferral = None if send_now else _deferral.get()
    return _send(build) if deferral is None else deferral.write(build, size=size)


def webhook_version(record: dict[str, Any]) -> int:
    """A subscription's version (its ETag); 1 for one stored before subscriptions had one."""
    return int(record.get("version", 1))


def _version_condition(read: dict[str, Any]) -> tuple[str, dict[str, str], dict[str, Any]]:
    """The condition that a subscription still is at the version it was `read` at."""
    names = {"#version": "version"}
    if "version" not in read:
        return "attribute_exists(pk) AND attribute_not_exists(#version)", names, {}
    values = {":read": {"N": str(webhook_version(read))}}
    return "attribute_exists(pk) AND #version = :read", names, values


class _WebhookGone(StintError):
    """`delete_webhook`'s condition failed: there is no such subscription."""


_GONE = _WebhookGone("no such webhook")

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
        descending: bool = False,
    ) -> tuple[list[dict[str, Any]], str | None]:
        """One page of records whose sort key (sk, or the index's) starts with `prefix` or lies
        in `between` (both ends inclusive), in sort-key order (`descending`: the reverse).

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
                "ScanIndexForward": not descending,
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
        keys = [(self.pk, entity_sk(kind, entity_id)) for entity_id in dict.fromkeys(entity_ids)]
        found: dict[str, dict[str, Any]] = {}
        for start in range(0, len(keys), MAX_KEYS_PER_BATCH):
            for record in batch_get(keys[start : start + MAX_KEYS_PER_BATCH]).values():
                found[str(record["id"])] = record
        return found

    def get_many_of(self, refs: Iterable[tuple[str, str]]) -> dict[tuple[str, str], dict[str, Any]]:
        """The caller's entities named by `(kind, id)`, of any kinds together, read consistently
        with BatchGetItem (100 keys a call), by `(kind, id)`; refs that name nothing are left
        out."""
        wanted = {
            (self.pk, entity_sk(kind, entity_id)): (kind, entity_id)
            for kind, entity_id in dict.fromkeys(refs)
        }
        keys = list(wanted)
        found: dict[tuple[str, str], dict[str, Any]] = {}
        for start in range(0, len(keys), MAX_KEYS_PER_BATCH):
            for key, record in batch_get(keys[start : start + MAX_KEYS_PER_BATCH]).items():
                found[wanted[key]] = record
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

    def idempotency_record(self, key: str, *, now: int) -> dict[str, Any] | None:
        """The live record of an Idempotency-Key (its request's fingerprint and first
        response), read consistently; None when there is none, or it expired."""
        record = self._get(_idempotency_sk(key))
        if record is None or int(record.get("expiresAt", 0)) < now or "response" not in record:
            return None
        return record

    def idempotency_put(
        self, key: str, fingerprint: str, response: str, *, now: int, expires_at: int
    ) -> dict[str, Any]:
        """The Put of a key's record (not part of sync: no `seq`), conditioned on there being no
        live one: to be sent in the same transaction as the request's write."""
        item = {
            "pk": self.pk,
            "sk": _idempotency_sk(key),
            "kind": "idempotency",
            "fingerprint": fingerprint,
            "state": "done",
            "response": response,
            "expiresAt": expires_at,
        }
        return {
            "TableName": self._table,
            "Item": to_item(item),
            # An expired record, or one left "in_progress" by the design before, is no answer.
            "ConditionExpression": "attribute_not_exists(pk) OR expiresAt < :now"
            " OR attribute_not_exists(#response)",
            "ExpressionAttributeNames": {"#response": "response"},
            "ExpressionAttributeValues": {":now": {"N": str(now)}},
        }

    def put_idempotency_record(self, record: dict[str, Any]) -> bool:
        """Write a key's record on its own (a request whose write could not be held); False
        when a live one exists."""
        try:
            dynamodb().put_item(**record)
        except dynamodb().exceptions.ConditionalCheckFailedException:
            return False
        return True

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
        transaction = _Transaction([{"Update": count}, {"Put": put}], [full, Outcome.STALE])
        _write(lambda: transaction, size=2)

    def webhooks(self) -> list[dict[str, Any]]:
        return list(self.query_all(prefix=WEBHOOK_PREFIX))

    def get_webhook(self, webhook_id: str) -> dict[str, Any] | None:
        return self._get(WEBHOOK_PREFIX + webhook_id)

    def update_webhook(
        self,
        read: dict[str, Any],
        changes: dict[str, Any],
        *,
        on_conflict: StintError | None = None,
    ) -> int:
        """Write `changes` to the subscription `read` and give it the next version (returned).
        A change since that read (or its deletion) is `on_conflict`, else StaleRead (run the
        operation again). Inside `deferring` the write is held like any other request's."""
        condition, names, values = _version_condition(read)
        sets = []
        for n, (name, value) in enumerate(changes.items()):
            names[f"#f{n}"] = name
            values[f":f{n}"] = _to_dynamo(value, name)
            sets.append(f"#f{n} = :f{n}")
        values[":next"] = {"N": str(webhook_version(read) + 1)}
        update: dict[str, Any] = {
            "TableName": self._table,
            "Key": self._key(WEBHOOK_PREFIX + str(read["id"])),
            "UpdateExpression": "SET " + ", ".join([*sets, "#version = :next"]),
            "ConditionExpression": condition,
            "ExpressionAttributeNames": names,
            "ExpressionAttributeValues": values,
        }
        transaction = _Transaction([{"Update": update}], [on_conflict or Outcome.STALE])
        _write(lambda: transaction, size=1)
        return webhook_version(read) + 1

    def delete_webhook(
        self,
        webhook_id: str,
        *,
        read: dict[str, Any] | None = None,
        on_conflict: StintError | None = None,
    ) -> bool:
        """Delete a subscription and uncount it; False when there is no such subscription.
        With `read`, only while it is still at that version (else `on_conflict`)."""
        table = self._table
        delete: dict[str, Any] = {
            "TableName": table,
            "Key": self._key(WEBHOOK_PREFIX + webhook_id),
            "ConditionExpression": "attribute_exists(pk)",
        }
        if read is not None:
            condition, names, values = _version_condition(read)
            delete.update(ConditionExpression=condition, ExpressionAttributeNames=names)
            if values:
                delete["ExpressionAttributeValues"] = values
        count: dict[str, Any] = {
            "TableName": table,
            "Key": self._key(WEBHOOK_COUNT_SK),
            "UpdateExpression": "ADD #n :minus_one",
            "ExpressionAttributeNames": {"#n": "count"},
            "ExpressionAttributeValues": {":minus_one": {"N": "-1"}},
        }
        gone = on_conflict if read is not None and on_conflict is not None else _GONE
        try:
            _send(lambda: _Transaction([{"Delete": delete}, {"Update": count}], [gone, None]))
        except _WebhookGone:
            return False
        return True

    def record_delivery(self, webhook_id: str, *, delivered: bool, disable_after: int) -> None:
        """Count the subscription's events dead-lettered in a row (a delivery resets it);
        after `disable_after` of them the subscription is `disabled` (a new version)."""
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
                    UpdateExpression="SET #status = :disabled,"
                    " #version = if_not_exists(#version, :one) + :one",
                    ConditionExpression="attribute_exists(pk) AND #status = :active",
                    ExpressionAttributeNames={"#status": "status", "#version": "version"},
                    ExpressionAttributeValues={
                        ":disabled": {"S": "disabled"},
                        ":active": {"S": "active"},
                        ":one": {"N": "1"},
                    },
                )
        except dynamodb().exceptions.ConditionalCheckFailedException:
            return  # deleted or disabled meanwhile, or nothing to reset

    def log_delivery_attempt(
        self, webhook_id: str, attempt: dict[str, Any], *, expires_at: int
    ) -> None:
        """One attempt (`id`: the event's, `attempt`, `attemptedAt`, ...) in the webhook's
        delivery log, removed by TTL at `expires_at`."""
        number = int(attempt["attempt"])
        sk = f"{ATTEMPT_PREFIX}{attempt['attemptedAt']}#{attempt['id']}#{number:06d}"
        item = {
            "pk": deliveries_pk(self.user_id, webhook_id),
            "sk": sk,
            "kind": "attempt",
            **attempt,
            "expiresAt": expires_at,
        }
        dynamodb().put_item(TableName=self._table, Item=to_item(item))

    def delivery_attempts(
        self, webhook_id: str, *, limit: int, next_token: str | None, now: int
    ) -> tuple[list[dict[str, Any]], str | None]:
        """A page of the webhook's delivery log, newest first, without the attempts past their
        TTL that DynamoDB has not removed yet."""
        log_partition = _Partition(deliveries_pk(self.user_id, webhook_id))
        records, token = log_partition.query_page(
            prefix=ATTEMPT_PREFIX,
            limit=limit,
            next_token=next_token,
            keep=lambda record: int(record.get("expiresAt", 0)) > now,
            descending=True,
        )
        return [entity_of(record) for record in records], token

    # ------------------------------------------------------------------- writes

    def commit(self, changes: list[Change], *, send_now: bool = False) -> Committed:
        """Commit changes atomically, each entity stamped with the next change sequence.

        More than 99 actions (a cascade) are committed in several transactions, in order, so
        put the parent's deletion last: an interruption then leaves the parent in place, and
        repeating the request finishes the job. Inside `deferring` (an idempotent POST) the
        write is held, not sent (`Deferral`); `send_now` sends it anyway, for a write that is
        exactly-once by its own conditions (a profile's creation) made before the request's own.
        """
        timestamp = format_timestamp(utc_now())
        chunks: list[list[Change]] = [[]]
        for change in changes:
            chunks[-1].append(change)
            if len(self._actions_of(chunks[-1])) > MAX_ACTIONS_PER_TRANSACTION:
                chunks[-1].pop()
                chunks.append([change])
        seqs: dict[tuple[str, str], int] = {}
        for chunk in filter(None, chunks):
            seqs.update(
                self._commit_chunk(chunk, timestamp, holdable=len(chunks) == 1, send_now=send_now)
            )
        self._forget_read_ahead(changes)
        return Committed(seqs, timestamp)

    def commit_unless_changed(self, changes: list[Change]) -> Committed:
        """Commit `changes` (one transaction) only if no write of the user committed since this
        attempt of `retrying` first read the user's counter (read ahead with its first read):
        for an operation whose reads are a query that no condition on an item can cover (the
        sessions that carry a tag). Otherwise StaleRead: the operation runs again from its
        reads. Never held for an Idempotency-Key (a DELETE's)."""
        ahead = _read_ahead.get()
        counter = ahead.counters.get(self.pk) if ahead is not None else None
        if ahead is None or counter is None:
            raise ValueError("commit_unless_changed needs the counter read ahead in `retrying`")
        if not self.fits_one_transaction(changes):
            raise ValueError(f"at most {MAX_ACTIONS_PER_TRANSACTION} actions")
        ahead.counters[self.pk] = None
        timestamp = format_timestamp(utc_now())
        transaction = self._build_actions(changes, counter, timestamp)
        _send_once(transaction)  # the counter moved: StaleRead
        self._forget_read_ahead(changes)
        return Committed(transaction.seqs, timestamp)

    def fits_one_transaction(self, changes: list[Change]) -> bool:
        """Whether `changes` (with the counter) commit in one transaction."""
        return len(self._actions_of(changes)) <= MAX_ACTIONS_PER_TRANSACTION

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
            elif isinstance(change, Guard | Tally):
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

    def _commit_chunk(
        self, changes: list[Change], timestamp: str, *, holdable: bool, send_now: bool
    ) -> dict[tuple[str, str], int]:
        # Only writes of entities take part in the change sequence.
        sequenced = any(isinstance(change, Put | Delete) for change in changes)

        def build() -> _Transaction:
            counter = self._read_counter() if sequenced else None
            return self._build_actions(changes, counter, timestamp)

        size = len(self._actions_of(changes)) + sequenced if holdable else _TRANSACTION_LIMIT
        return _write(build, size=size, send_now=send_now).seqs

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
    ) -> _Transaction:
        table = self._table
        seq = max(counter or 0, 0)
        actions: list[dict[str, Any]] = []
        on_failed: list[OnFailedCondition] = []  # what a failed condition of each action means
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
                on_failed.append(change.on_conflict or Outcome.STALE)
            elif isinstance(change, Guard):
                actions.append(self._guard_action(change))
                on_failed.append(change.on_conflict or Outcome.STALE)
            elif isinstance(change, Tally):
                actions.append(self._tally_action(change))
                on_failed.append(change.on_conflict or Outcome.STALE)
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
                on_failed.append(change.on_conflict or Outcome.STALE)
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
                on_failed.append(change.on_conflict or Outcome.STALE)
                if change.expect_seq is None:  # a re-created id supersedes its tombstone
                    actions.append(
                        {
                            "Delete": {
                                "TableName": table,
                                "Key": self._key(tombstone_sk(change.kind, entity_id)),
                            }
                        }
                    )
                    on_failed.append(None)
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
                on_failed.append(change.on_conflict or Outcome.STALE)
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
                on_failed.append(None)
        if counter is None:
            return _Transaction(actions, on_failed, seqs)
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
        actions.insert(0, {"Update": counter_update})
        on_failed.insert(0, Outcome.RACE)
        return _Transaction(actions, on_failed, seqs)

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

    def _tally_action(self, tally: Tally) -> dict[str, Any]:
        update: dict[str, Any] = {
            "TableName": self._table,
            "Key": self._key(tally.sk),
            "UpdateExpression": "SET #n = if_not_exists(#n, :zero) + :delta",
            "ExpressionAttributeNames": {"#n": "count"},
            "ExpressionAttributeValues": {":zero": {"N": "0"}, ":delta": {"N": str(tally.delta)}},
        }
        if tally.limit is not None:
            update["ConditionExpression"] = "attribute_not_exists(#n) OR #n <= :most"
            update["ExpressionAttributeValues"][":most"] = {"N": str(tally.limit - tally.delta)}
        return {"Update": update}

    def _key(self, sk: str) -> dict[str, Any]:
        return {"pk": {"S": self.pk}, "sk": {"S": sk}}


def attempts() -> Iterator[int]:
    """Attempt numbers until the retry deadline has passed (at least one)."""
    deadline = time.monotonic() + _RETRY_DEADLINE_SECONDS
    attempt = 0
    while attempt == 0 or time.monotonic() < deadline:
        yield attempt
        attempt += 1


def backoff(attempt: int) -> None:
    time.sleep(random.uniform(0, min(_BACKOFF_CAP_SECONDS, _BACKOFF_BASE_SECONDS * 2**attempt)))


def throttled_backoff(attempt: int) -> None:
    time.sleep(random.uniform(0, _THROTTLED_BACKOFF_SECONDS * 2**attempt))


def retrying(operation: Callable[[], T]) -> T:
    """Run a read-then-write operation, again from its reads when an item changed under it."""
    for attempt in attempts():
        reading = _read_ahead.set(_ReadAhead())
        try:
            return operation()
        except StaleRead:
            backoff(attempt)
        finally:
            _read_ahead.reset(reading)
    raise Conflict("The entity is changing too often; retry the request", retry_after=1)


# ----------------------------------------------------------------------------- teams and reads
# across users (contract section 8)


def batch_get(keys: list[tuple[str, str]]) -> dict[tuple[str, str], dict[str, Any]]:
    """Read many items by `(pk, sk)` in one BatchGetItem (consistent), by key.

    At most 100 keys: one round trip, so a team's reads cost the same whatever its size.
    Keys DynamoDB leaves unprocessed (throttling) are read again after a backoff, a few times;
    then the answer is 503.
    """
    if len(keys) > MAX_KEYS_PER_BATCH:
        raise ValueError(f"at most {MAX_KEYS_PER_BATCH} keys a batch")
    found: dict[tuple[str, str], dict[str, Any]] = {}
    pending: list[Any] = [{"pk": {"S": pk}, "sk": {"S": sk}} for pk, sk in dict.fromkeys(keys)]
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
        # A failed condition on the team (its version) or on an invitation: it changed since read.
        on_failed: list[OnFailedCondition] = [Outcome.STALE, *[None] * (len(actions) - 1)]
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
            on_failed.append(Outcome.STALE)
        if withdrawn is not None:
            email, invitation_id = withdrawn
            key = {"pk": {"S": invitee_pk(email)}, "sk": {"S": INVITATION_PREFIX + invitation_id}}
            condition = "attribute_exists(pk)"
            actions.append(
                {"Delete": {"TableName": table, "Key": key, "ConditionExpression": condition}}
            )
            on_failed.append(Outcome.STALE)
        _write(lambda: _Transaction(actions, on_failed), size=len(actions))
        return version

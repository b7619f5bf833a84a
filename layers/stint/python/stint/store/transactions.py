"""Sending a transaction: what each failed condition means, retries of a lost race, backoff,
and the deferral that lets an idempotent request's write commit with its key's record.

Writes of one user race for its counter; a loser backs off (full jitter, capped) and sends a
fresh transaction until a deadline, well inside the functions' 15 s timeout. A count of attempts
is not enough: with 8 concurrent writers of one user each attempt is won by one of them, and a
writer that kept losing 20 times in a row was seen (tests/api/test_concurrency.py). Only a race
is retried so (docs/DESIGN.md, "Retries and concurrency control"); an item that changed since it
was read is `StaleRead`, and `retrying` runs the operation again from its reads.
"""

from __future__ import annotations

import contextlib
import contextvars
import enum
import logging
import random
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeVar

from stint import aws
from stint.errors import Conflict, ServiceUnavailable, StintError, ValidationFailed

if TYPE_CHECKING:
    from botocore.exceptions import ClientError
    from mypy_boto3_dynamodb.client import DynamoDBClient

log = logging.getLogger(__name__)

# DynamoDB allows 100 actions a transaction; a user's write takes one for the counter.
TRANSACTION_LIMIT = 100
MAX_ACTIONS_PER_TRANSACTION = TRANSACTION_LIMIT - 1
_RETRY_DEADLINE_SECONDS = 8.0
_BACKOFF_BASE_SECONDS = 0.005
_BACKOFF_CAP_SECONDS = 0.1
T = TypeVar("T")


def dynamodb() -> DynamoDBClient:
    """The DynamoDB client, created once per process on first use (not at import)."""
    client: DynamoDBClient = aws.client("dynamodb")
    return client


class StaleRead(Exception):
    """An item changed between the read and the write; the operation must run again."""


class IdempotencyKeyTaken(Exception):
    """Another run of the same idempotent request committed first (`Outcome.ANSWERED`)."""


class Outcome(enum.Enum):
    """What a failed condition on one action of a transaction means for the request."""

    RACE = "the counter moved (another write of the user): send it again with a fresh counter"
    STALE = "an item changed since it was read: run the operation again from its reads"
    ANSWERED = "the Idempotency-Key's record exists: the request was answered before"


# Per action of a transaction: a domain error to raise, an Outcome, or None (no condition).
OnFailedCondition = StintError | Outcome | None


@dataclass
class Transaction:
    """A TransactWriteItems request, what each action's failed condition means, and the seqs
    its entities take."""

    actions: list[dict[str, Any]] = field(default_factory=list)
    on_failed: list[OnFailedCondition] = field(default_factory=list)
    seqs: dict[tuple[str, str], int] = field(default_factory=dict)

    def add(self, verb: str, request: dict[str, Any], on_failed: OnFailedCondition) -> None:
        """Add an action (`verb`: Put, Delete, Update, ConditionCheck) of `request`."""
        self.actions.append({verb: request})
        self.on_failed.append(on_failed)


# ----------------------------------------------------------------------------- what failed means

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
    _raise_failed_conditions([meaning for code, meaning in pairs if code == _CONDITION_FAILED])
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


def _raise_failed_conditions(failed: list[OnFailedCondition]) -> None:
    """What the failed conditions mean, most decisive first: the first answer of an idempotent
    request stands, then a domain error, then a stale read (a lost race is returned from)."""
    if Outcome.ANSWERED in failed:
        raise IdempotencyKeyTaken()
    for meaning in failed:
        if isinstance(meaning, StintError):
            raise meaning
    if Outcome.STALE in failed:
        raise StaleRead()


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


# ----------------------------------------------------------------------------- sending


def send(build: Callable[[], Transaction]) -> Transaction:
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
    raise Conflict("Too many concurrent writes; retry the request", retry_after=1)


def send_once(transaction: Transaction) -> None:
    """Send a transaction built before: a lost race is StaleRead (what was answered on its
    counter must be built again)."""
    try:
        dynamodb().transact_write_items(TransactItems=transaction.actions)  # type: ignore[arg-type]
    except dynamodb().exceptions.TransactionCanceledException as error:
        _settle(error, transaction.on_failed)
        raise StaleRead() from error


@dataclass
class Deferral:
    """An idempotent request's write, built but not yet sent (`deferring`).

    Inside `deferring`, the request's first write (a unit of work's commit, `TeamStore.write`,
    `WebhookStore.create`) reads what it must, builds its transaction and returns as if it had
    committed; `stint.idempotency` then sends it with the Idempotency-Key's record added, so
    the write and its recorded answer commit together or not at all. A second write in the same
    request (none does today), or one too big for a single transaction, cannot be held: what
    was held and it are sent at once, and the record follows the answer (`sent_alone`).

    A side effect outside the table (`outside_effect`: a message on a queue) is held too, and
    run only once the request is known not to be a retry of one answered before.
    """

    held: Transaction | None = None
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

    def write(self, build: Callable[[], Transaction], *, size: int) -> Transaction:
        """Hold the write `build` makes (of `size` actions), or send it now if it cannot be."""
        if self.held is None and not self.sent_alone and size < TRANSACTION_LIMIT:
            self.held = build()
            return self.held
        if not self.sent_alone:
            log.warning("an idempotent request wrote twice: its key is recorded after its answer")
            self.go_alone()
        held, self.held = self.held, None
        if held is not None:
            send_once(held)
        return send(build)

    def send_with(self, record: dict[str, Any]) -> None:
        """Send the held write with the record's Put (conditioned on no live record): raises
        IdempotencyKeyTaken, StaleRead (run the request again), or what a condition means."""
        held = self.held
        if held is None:
            raise ValueError("no write is held")
        self.held = None
        send_once(
            Transaction([*held.actions, {"Put": record}], [*held.on_failed, Outcome.ANSWERED])
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


def transact(build: Callable[[], Transaction], *, size: int, send_now: bool = False) -> Transaction:
    """Send the transaction `build` makes (of `size` actions), or hold it for an idempotent
    request's record (`deferring`) unless `send_now`."""
    deferral = None if send_now else _deferral.get()
    return send(build) if deferral is None else deferral.write(build, size=size)


# ----------------------------------------------------------------------------- retries


def attempts() -> Iterator[int]:
    """Attempt numbers until the retry deadline has passed (at least one)."""
    deadline = time.monotonic() + _RETRY_DEADLINE_SECONDS
    attempt = 0
    while attempt == 0 or time.monotonic() < deadline:
        yield attempt
        attempt += 1


def backoff(attempt: int) -> None:
    time.sleep(random.uniform(0, min(_BACKOFF_CAP_SECONDS, _BACKOFF_BASE_SECONDS * 2**attempt)))


def retrying(operation: Callable[[], T]) -> T:
    """Run a read-then-write operation, again from its reads when an item changed under it.
    An operation on a user's entities makes its `UnitOfWork` inside, so each attempt reads
    afresh."""
    for attempt in attempts():
        try:
            return operation()
        except StaleRead:
            backoff(attempt)
    raise Conflict("The entity is changing too often; retry the request", retry_after=1)

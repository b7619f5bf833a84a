"""The fault switch: the local stack answers a chosen share of calls the way AWS fails them.

Faults are inputs (docs/DESIGN.md, "Testing"). With the switch on, the local stack

- answers DynamoDB calls (the data operations of `FAULTED_DYNAMODB`) with throttling
  (`ProvisionedThroughputExceededException` or `ThrottlingException`, 400) or
  `InternalServerError` (500), and `TransactWriteItems` with `TransactionCanceledException`
  whose `CancellationReasons` name a `TransactionConflict`;
- answers SQS sends (`SendMessage`, `SendMessageBatch`) with `InternalError` (500) or
  `ServiceUnavailable` (503);
- makes a function that serves API routes die after its write (a successful
  `TransactWriteItems`, every Stint write is one) and before its answer: every AWS call it
  makes after that fails, its handler's answer is dropped, and the gateway answers `502`, as
  API Gateway does for a function that crashed.

The DynamoDB and SQS faults are answered in the emulator's WSGI layer (`Emulator.app`'s
interceptors), on the wire, before moto sees the call: the functions' SDK clients receive
them as they would from AWS, and botocore's own retry policy (by default `standard`: 3
attempts and a retry quota) applies to each attempt unchanged; what is left after its retries
reaches Stint's code. Nothing reaches moto for a faulted call, so nothing was written.

Dying needs to know which invocation made a call, which only the calling thread knows: a
botocore event handler (`after-call` / `before-call`, registered in every botocore session
made after `install()`) reads the invocation's context variable, which `Runtime.invoke` sets
through `local.functions.invocation_wrappers`.

Configuration: `STINT_FAULTS` at start (JSON, `{"throttle": 0.1, "seed": 7}`, or
`throttle=0.1,seed=7`), and at run time `POST /_local/faults` with the same JSON as
`application/json` (this machine's tools only, never a page of another origin: local.control;
the answer and `GET /_local/faults` carry the plan and the counters of faults
injected, by kind). Each share is the probability that one call (one attempt) is faulted,
drawn from a `random.Random(seed)`, so a run with one writer repeats exactly; concurrent calls
draw in the order they arrive.
"""

from __future__ import annotations

import contextlib
import contextvars
import dataclasses
import io
import json
import logging
import os
import random
import threading
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from http import HTTPStatus
from typing import Any

from local.control import answer

log = logging.getLogger("stint.local")

ENVIRONMENT_VARIABLE = "STINT_FAULTS"
CONTROL_PATH = "/_local/faults"
LOOPBACK = frozenset({"127.0.0.1", "::1"})

DYNAMODB_TARGET = "DynamoDB_20120810."
SQS_TARGET = "AmazonSQS."
FAULTED_DYNAMODB = frozenset(
    {
        "GetItem",
        "PutItem",
        "UpdateItem",
        "DeleteItem",
        "Query",
        "Scan",
        "BatchGetItem",
        "BatchWriteItem",
        "TransactGetItems",
        "TransactWriteItems",
    }
)
FAULTED_SQS = frozenset({"SendMessage", "SendMessageBatch"})
# A function dies after the first of these succeeds (every Stint write is one transaction).
DIE_AFTER = frozenset({"TransactWriteItems"})
KINDS = ("throttle", "internal_error", "transaction_conflict", "sqs_send", "die")

Response = tuple[str, list[tuple[str, str]], bytes]
StartResponse = Callable[..., Any]


class FaultConfigError(ValueError):
    """A fault plan that cannot be read."""


@dataclasses.dataclass(frozen=True)
class FaultPlan:
    """The share (0..1) of calls answered with each fault, and the seed that draws them."""

    seed: int = 0
    throttle: float = 0.0  # DynamoDB data calls
    internal_error: float = 0.0  # DynamoDB data calls
    transaction_conflict: float = 0.0  # TransactWriteItems
    sqs_send: float = 0.0  # SendMessage, SendMessageBatch
    die: float = 0.0  # invocations of functions that serve API routes

    @property
    def active(self) -> bool:
        return any(getattr(self, kind) > 0 for kind in KINDS)

    @classmethod
    def parse(cls, text: str) -> FaultPlan:
        """`{"throttle": 0.1, "seed": 7}` or `throttle=0.1,seed=7`; empty: no faults."""
        text = text.strip()
        if not text:
            return cls()
        if text.startswith("{"):
            try:
                values = json.loads(text)
            except ValueError as error:
                raise FaultConfigError(f"{ENVIRONMENT_VARIABLE}: not JSON: {error}") from error
        else:
            pairs = [part.partition("=") for part in text.split(",") if part.strip()]
            values = {name.strip(): value.strip() for name, _, value in pairs}
        return cls.of(values)

    @classmethod
    def of(cls, values: Any) -> FaultPlan:
        if not isinstance(values, dict):
            raise FaultConfigError("a fault plan is an object of shares")
        unknown = set(values) - {field.name for field in dataclasses.fields(cls)}
        if unknown:
            raise FaultConfigError(f"unknown fault kinds: {sorted(unknown)}; known: {KINDS}")
        shares = {}
        for kind in KINDS:
            try:
                share = float(values.get(kind, 0))
            except (TypeError, ValueError) as error:
                raise FaultConfigError(f"{kind}: not a number") from error
            if not 0 <= share <= 1:
                raise FaultConfigError(f"{kind}: a share from 0 to 1, not {share}")
            shares[kind] = share
        try:
            seed = int(values.get("seed", 0))
        except (TypeError, ValueError) as error:
            raise FaultConfigError("seed: not an integer") from error
        return cls(seed=seed, **shares)


class FaultSwitch:
    """The plan in force, its random draws and the counters of what it injected."""

    def __init__(self, plan: FaultPlan | None = None) -> None:
        self._lock = threading.Lock()
        self.plan = FaultPlan()
        self._random = random.Random(0)
        self.injected: Counter[str] = Counter()  # fault kind -> count
        self.by_operation: Counter[str] = Counter()  # "kind Operation" -> count
        self.set(plan or FaultPlan())

    def set(self, plan: FaultPlan) -> None:
        """Put a plan in force: its seed restarts the draws, the counters start from zero."""
        with self._lock:
            self.plan = plan
            self._random = random.Random(plan.seed)
            self.injected.clear()
            self.by_operation.clear()
        if plan.active:
            log.warning("faults on: %s", dataclasses.asdict(plan))

    def state(self) -> dict[str, Any]:
        with self._lock:
            return {
                "plan": dataclasses.asdict(self.plan),
                "injected": {kind: self.injected[kind] for kind in KINDS},
                "byOperation": dict(sorted(self.by_operation.items())),
            }

    def draw(self, kind: str, operation: str, *, count: bool = True) -> random.Random | None:
        """The switch's random source when this call gets fault `kind`, else None."""
        with self._lock:
            share = float(getattr(self.plan, kind))
            if share <= 0 or self._random.random() >= share:
                return None
        if count:
            self.count(kind, operation)
        return self._random

    def count(self, kind: str, operation: str) -> None:
        with self._lock:
            self.injected[kind] += 1
            self.by_operation[f"{kind} {operation}"] += 1

    # ------------------------------------------------------------------ the emulator's side

    def intercept(self, environ: dict[str, Any]) -> Response | None:
        """An AWS error answer for this emulator call, or None to let moto serve it."""
        target = str(environ.get("HTTP_X_AMZ_TARGET", ""))
        if target.startswith(DYNAMODB_TARGET):
            operation = target.removeprefix(DYNAMODB_TARGET)
            if operation in FAULTED_DYNAMODB:
                return self._dynamodb_fault(operation, environ)
        elif target.startswith(SQS_TARGET):
            operation = target.removeprefix(SQS_TARGET)
            if operation in FAULTED_SQS and (rng := self.draw("sqs_send", operation)):
                code, status = rng.choice([("InternalError", 500), ("ServiceUnavailable", 503)])
                return aws_json_error("com.amazonaws.sqs", code, "Injected fault", status)
        return None

    def _dynamodb_fault(self, operation: str, environ: dict[str, Any]) -> Response | None:
        namespace = "com.amazonaws.dynamodb.v20120810"
        if rng := self.draw("throttle", operation):
            code = rng.choice(["ProvisionedThroughputExceededException", "ThrottlingException"])
            return aws_json_error(namespace, code, "Injected fault: throughput exceeded", 400)
        if rng := self.draw("internal_error", operation):
            return aws_json_error(namespace, "InternalServerError", "Internal server error", 500)
        if operation == "TransactWriteItems" and (
            rng := self.draw("transaction_conflict", operation)
        ):
            count = len(_json_body(environ).get("TransactItems") or []) or 1
            conflicting = rng.randrange(count)
            reasons = [
                {"Code": "TransactionConflict", "Message": "Transaction is ongoing for the item"}
                if index == conflicting
                else {"Code": "None"}
                for index in range(count)
            ]
            listed = ", ".join(str(reason["Code"]) for reason in reasons)
            message = (
                "Transaction cancelled, please refer cancellation reasons for specific reasons "
                f"[{listed}]"
            )
            return aws_json_error(
                namespace, "TransactionCanceledException", message, 400, CancellationReasons=reasons
            )
        return None

    # ------------------------------------------------------------------ the functions' side

    @contextlib.contextmanager
    def invocation(self, function: Any) -> Iterator[None]:
        """Around one handler call: maybe doom it to die after its write (see `Invocation`)."""
        doomed = serves_api(function) and self.draw("die", "", count=False) is not None
        invocation = _Invocation(self, function.logical_id, doomed)
        token = _invocation.set(invocation)
        try:
            yield
        except _Dead:
            pass
        finally:
            _invocation.reset(token)
        if invocation.dead:  # whatever the handler went on to return never left it
            raise FunctionDied(f"{function.logical_id} died after its write (an injected fault)")

    # ------------------------------------------------------------------ the control route

    def control_app(
        self, environ: dict[str, Any], start_response: StartResponse
    ) -> Iterable[bytes]:
        """`GET` / `POST /_local/faults`, from the loopback only (else a plain 404); behind
        local.control's guard of the whole `/_local` prefix."""
        method = str(environ.get("REQUEST_METHOD", "GET")).upper()
        if environ.get("PATH_INFO") != CONTROL_PATH or environ.get("REMOTE_ADDR") not in LOOPBACK:
            return answer(start_response, 404, {"message": "Not Found"})
        if method == "POST":
            try:
                self.set(FaultPlan.of(_json_body(environ, strict=True)))
            except (FaultConfigError, ValueError) as error:
                return answer(start_response, 400, {"message": str(error)})
        elif method != "GET":
            return answer(start_response, 405, {"message": "GET or POST"})
        return answer(start_response, 200, self.state())


class FunctionDied(Exception):
    """The invocation died (an injected fault): Lambda reports it as the function's error."""


class _Dead(BaseException):
    """Unwinds a dying invocation; a BaseException, so the handler's own `except Exception`
    cannot catch it and carry on as if it were alive."""


@dataclasses.dataclass
class _Invocation:
    switch: FaultSwitch
    function: str
    doomed: bool  # dies after its first write
    dead: bool = False


_invocation: contextvars.ContextVar[_Invocation | None] = contextvars.ContextVar(
    "stint_local_fault_invocation", default=None
)


def _before_call(model: Any = None, **_: Any) -> None:
    invocation = _invocation.get()
    if invocation is not None and invocation.dead:
        raise _Dead()


def _after_call(http_response: Any = None, model: Any = None, **_: Any) -> None:
    invocation = _invocation.get()
    if invocation is None or not invocation.doomed or invocation.dead:
        return
    succeeded = http_response is not None and http_response.status_code < 300
    if succeeded and getattr(model, "name", "") in DIE_AFTER:
        invocation.dead = True
        invocation.switch.count("die", invocation.function)
        log.warning("%s dies after its %s (an injected fault)", invocation.function, model.name)
        raise _Dead()


def install_event_handlers() -> None:
    """Register the dying hooks in every botocore session made from now on (idempotent)."""
    from botocore import handlers

    for spec in (("before-call", _before_call), ("after-call", _after_call)):
        if spec not in handlers.BUILTIN_HANDLERS:
            handlers.BUILTIN_HANDLERS.append(spec)


def serves_api(function: Any) -> bool:
    return any(event.get("Type") == "Api" for event in (function.events or {}).values())


def from_environment() -> FaultSwitch:
    """A switch with the plan of `STINT_FAULTS` (none when unset)."""
    return FaultSwitch(FaultPlan.parse(os.environ.get(ENVIRONMENT_VARIABLE, "")))


# ----------------------------------------------------------------------------- helpers


def aws_json_error(namespace: str, code: str, message: str, status: int, **fields: Any) -> Response:
    """An AWS JSON-protocol error answer, as DynamoDB and SQS send them."""
    body = json.dumps({"__type": f"{namespace}#{code}", "message": message, **fields}).encode()
    headers = [
        ("Content-Type", "application/x-amz-json-1.0"),
        ("x-amzn-ErrorType", code),
        ("x-amzn-query-error", f"{code};{'Receiver' if status >= 500 else 'Sender'}"),
        ("Content-Length", str(len(body))),
    ]
    return f"{status} {HTTPStatus(status).phrase}", headers, body


def _json_body(environ: dict[str, Any], *, strict: bool = False) -> dict[str, Any]:
    """The request's JSON object; the stream is replaced so that the next reader gets it too."""
    length = int(environ.get("CONTENT_LENGTH") or 0)
    raw = environ["wsgi.input"].read(length) if length else b""
    environ["wsgi.input"] = io.BytesIO(raw)
    try:
        body = json.loads(raw or b"{}")
    except ValueError:
        if strict:
            raise
        return {}
    if not isinstance(body, dict):
        if strict:
            raise FaultConfigError("a fault plan is an object of shares")
        return {}
    return body

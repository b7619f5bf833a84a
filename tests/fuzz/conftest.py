"""Schemathesis over the local stack (or a deployed one: STINT_OUTPUTS=outputs.json).

A webhook's `hookUrl` is a string to openapi.json, and what schemathesis draws for it is never
a URL whose host resolves to an address a delivery may reach (stint.hook_urls), so without help
the fuzzer would never subscribe a webhook, nor reach what follows from one (its operations,
deliveries). `flatmap_body` below sends, for half the bodies of the two webhook writes whose
drawn `hookUrl` keeps to the document, `https://hooks.localhost/in` instead: the local stack
resolves `.localhost` names to loopback (local/names.py, RFC 6761), which it accepts. A string
that keeps to the document is replaced by another that does, so a body drawn to break the
document still breaks it, for the same field.

Likewise an optional reference drawn at random (`workspaceId`, `categoryId`, ...) names nothing,
a refusal the document cannot state: a positive body carrying one never reaches what it would
write. `map_case` leaves them out of half the positive bodies (leaving out an optional field
keeps a body positive), so that those succeed: without it a crash planted at a valid edge
(`roundingMinutes: 1440` on `POST /v1/projects`) went unfound at 60 examples per operation.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from hypothesis import strategies as st
from schemathesis import Case
from schemathesis.core.parameters import ParameterLocation
from schemathesis.hooks import HookContext

from tests import stats
from tests.api.conftest import sign_up

# What the schemathesis tests ran, for the summary line at the end of the session.
STATS = stats.FUZZ  # printed at the end of the run (tests/stats.py)
OPERATIONS = stats.FUZZ_OPERATIONS
STATEFUL_2XX = stats.FUZZ_STATEFUL_2XX  # the operations a stateful step got a 2xx from

HOOK_URL = "https://hooks.localhost/in"  # resolves to 127.0.0.1 in the local stack
HOOK_URL_MAX_LENGTH = 2048  # WebhookFields' and WebhookPatchFields' maxLength
# The webhook writes, and the key their body's webhook is under (None: the body itself).
WEBHOOK_WRITES = {"POST /v1/webhooks": None, "PATCH /v1/webhooks/{webhookId}": "webhook"}


@schemathesis.hook
def flatmap_body(context: HookContext, body: Any) -> st.SearchStrategy[Any]:
    """A webhook write's body as drawn, or with a `hookUrl` that resolves (see above)."""
    label = context.operation.label if context.operation is not None else ""
    if label not in WEBHOOK_WRITES or not isinstance(body, dict):
        return st.just(body)
    key = WEBHOOK_WRITES[label]
    webhook = body.get(key) if key else body
    if not isinstance(webhook, dict):
        return st.just(body)
    drawn = webhook.get("hookUrl")
    if not (isinstance(drawn, str) and 1 <= len(drawn) <= HOOK_URL_MAX_LENGTH):
        return st.just(body)  # absent, or drawn to break the document: sent as drawn
    resolving = {**webhook, "hookUrl": HOOK_URL}
    return st.sampled_from([body, {**body, key: resolving} if key else resolving])


@pytest.fixture(scope="session")
def stack(http_stack: dict[str, Any]) -> dict[str, Any]:
    """The run's shared local stack (tests/conftest.py)."""
    return http_stack


@pytest.fixture(scope="session")
def token(stack: dict[str, Any]) -> str:
    """A real access token of a fresh user (first-party sign-in: every route's scope)."""
    return str(sign_up(stack)["AccessToken"])


@pytest.fixture(autouse=True)
def _timed() -> Iterator[None]:
    started = time.perf_counter()
    yield
    STATS["milliseconds"] += int((time.perf_counter() - started) * 1000)


BODY = ParameterLocation.BODY
# Optional fields that name another entity: drawn, they name nothing (a 400 the document cannot
# state, argued), so a positive body that carries one never reaches what it would create.
OPTIONAL_REFERENCES = frozenset(
    {"workspaceId", "categoryId", "clientId", "assigneeId", "tagIds", "subtaskId"}
)


def _without_references(body: Any) -> Any:
    if not isinstance(body, dict):
        return body
    return {
        key: _without_references(value) if isinstance(value, dict) else value
        for key, value in body.items()
        if key not in OPTIONAL_REFERENCES
    }


@schemathesis.hook
def map_case(context: HookContext, case: Case) -> Case:
    """Half the positive bodies (by a hash of the body: deterministic) without their optional
    references, so that they can succeed; leaving out an optional field keeps a body positive.
    A negative body is sent as drawn (its flaw may be in a reference)."""
    body = case.body
    if not isinstance(body, dict) or case.meta is None or case.meta.is_negative_at(BODY):
        return case
    digest = hashlib.sha256(json.dumps(body, sort_keys=True, default=str).encode()).digest()
    if digest[0] % 2 == 0:
        case.body = _without_references(body)
    return case

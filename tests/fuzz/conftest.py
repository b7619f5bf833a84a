"""Schemathesis over the local stack (or a deployed one: STINT_OUTPUTS=outputs.json).

A webhook's `hookUrl` is a string to openapi.json, and what schemathesis draws for it is never
a URL whose host resolves to an address a delivery may reach (stint.hook_urls), so without help
the fuzzer would never subscribe a webhook, nor reach what follows from one (its operations,
deliveries). `flatmap_body` below sends, for half the bodies of the two webhook writes whose
drawn `hookUrl` keeps to the document, `https://hooks.localhost/in` instead: the local stack
resolves `.localhost` names to loopback (local/names.py, RFC 6761), which it accepts. A string
that keeps to the document is replaced by another that does, so a body drawn to break the
document still breaks it, for the same field.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from hypothesis import strategies as st
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

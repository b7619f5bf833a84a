"""Schemathesis over the local stack (or a deployed one: STINT_OUTPUTS=outputs.json)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest

from tests import stats
from tests.api.conftest import sign_up

# What the schemathesis tests ran, for the summary line at the end of the session.
STATS = stats.FUZZ  # printed at the end of the run (tests/stats.py)
OPERATIONS = stats.FUZZ_OPERATIONS
STATEFUL_2XX = stats.FUZZ_STATEFUL_2XX  # the operations a stateful step got a 2xx from


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

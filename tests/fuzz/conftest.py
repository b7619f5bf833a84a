"""Schemathesis over the local stack (or a deployed one: STINT_OUTPUTS=outputs.json)."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest

from local.testing import start_local_stack, stop
from tests.api.conftest import sign_up

# What the schemathesis tests ran, for the summary line at the end of the session.
STATS: Counter[str] = Counter()
OPERATIONS: set[str] = set()


@pytest.fixture(scope="session")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    process, outputs = start_local_stack(tmp_path_factory.mktemp("fuzz-stack"))
    yield outputs
    stop(process)


@pytest.fixture(scope="session")
def token(stack: dict[str, Any]) -> str:
    """A real access token of a fresh user (first-party sign-in: every route's scope)."""
    return str(sign_up(stack)["AccessToken"])


@pytest.fixture(autouse=True)
def _timed() -> Iterator[None]:
    started = time.perf_counter()
    yield
    STATS["milliseconds"] += int((time.perf_counter() - started) * 1000)


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if STATS["cases"] or STATS["steps"]:
        terminalreporter.write_line(
            f"schemathesis: {len(OPERATIONS)} operations, {STATS['cases']} test cases, "
            f"{STATS['scenarios']} stateful scenarios of {STATS['steps']} calls, "
            f"{STATS['milliseconds'] / 1000:.0f} s"
        )

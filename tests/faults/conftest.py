"""The fault-injection run's stack (the run's shared one, faults switched on at run time) and its
counts (summed and printed by tests/stats.py)."""

from __future__ import annotations

from typing import Any

import pytest

from tests import stats

# What the runs injected and checked, for the summary line at the end of the run.
STATS = stats.FAULTS


@pytest.fixture(scope="session")
def stack(http_stack: dict[str, Any]) -> dict[str, Any]:
    """The run's shared local stack (tests/conftest.py)."""
    return http_stack

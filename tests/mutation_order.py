"""A pytest plugin for `make mutate` only: each mutant's tests run cheapest first.

mutmut runs the tests that reach a mutant with `-x`, in no particular order, so a mutant costs
the tests that run before the first one fails. Most of the store's mutants are killed by
nearly every test that reaches them, so the cheapest test first kills them for the least.
mutmut's stats run (the whole selection, once, before any mutant) measures every test, its
fixtures' setup included (the part mutmut's own durations leave out, and most of a store
test's time), into DURATIONS; each mutant's run then sorts its tests by it.
"""

from __future__ import annotations

import json
import math
import os
from collections import defaultdict
from pathlib import Path

import pytest

# In mutants/, where mutmut runs pytest; a run without it (the stats run itself) keeps the order.
DURATIONS = Path("test-durations.json")

_measured: defaultdict[str, float] = defaultdict(float)


def _stats_run() -> bool:
    return os.environ.get("MUTANT_UNDER_TEST") == "stats"


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    _measured[report.nodeid] += report.duration


def pytest_sessionfinish(session: pytest.Session) -> None:
    if _stats_run():
        DURATIONS.write_text(json.dumps(_measured))


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    if _stats_run() or not DURATIONS.exists():
        return
    durations: dict[str, float] = json.loads(DURATIONS.read_text())
    items.sort(key=lambda item: durations.get(item.nodeid, math.inf))

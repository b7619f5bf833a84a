"""What every test shares: hypothesis' profile, and the one local stack of the run.

Benchmarks are not tests: on a loaded machine (CI, two cores) an example that takes longer than
hypothesis' default 200 ms deadline says nothing about the code, so the deadline is off and the
too-slow health check is not a failure.

The tests that need HTTP (tests/api's `http` modules, property, fuzz, faults, browser, the
generated client) share ONE local stack of template.yaml, started without saved state by the
first test that asks for it and stopped when the run ends, whichever pytest-xdist worker asked
(tests/shared_stack.py). A test marked `exclusive` (the fault runs, which switch the stack's
faults on) has it to itself: the others wait while it runs.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, settings

from tests import inprocess, shared_stack, stats

settings.register_profile(
    "stint", deadline=None, suppress_health_check=[HealthCheck.too_slow], print_blob=True
)
settings.load_profile("stint")


def pytest_configure(config: pytest.Config) -> None:
    if not hasattr(config, "workerinput"):  # the controller, or a run without workers
        shared_stack.begin_run()


def pytest_runtest_setup(item: pytest.Item) -> None:
    if not inprocess.serves(item):
        inprocess.suspend()


def pytest_sessionfinish(session: pytest.Session) -> None:
    output = getattr(session.config, "workeroutput", None)
    if output is not None:  # a worker: its counts go to the controller
        output["stint_stats"] = stats.worker_output()


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node: Any, error: Any) -> None:
    """pytest-xdist: a worker is done; add up what it counted."""
    stats.add_worker_output(getattr(node, "workeroutput", {}))


def pytest_terminal_summary(terminalreporter: Any) -> None:
    for line in stats.summary_lines():
        terminalreporter.write_line(line)


def pytest_unconfigure(config: pytest.Config) -> None:
    if not hasattr(config, "workerinput"):
        shared_stack.end_run()


@pytest.fixture(scope="session")
def http_stack() -> dict[str, Any]:
    """The outputs of the run's one local stack (or of a deployed one: STINT_OUTPUTS)."""
    return shared_stack.outputs()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_protocol(item: pytest.Item, nextitem: pytest.Item | None) -> Iterator[None]:
    """A test of the shared stack holds it shared, or alone when marked `exclusive`, from the
    set-up of its first fixture (a module's account, made while faults are off) to the
    teardown of its last."""
    over_http = "http_stack" in getattr(item, "fixturenames", ()) or (
        item.get_closest_marker("http") is not None
    )
    if not over_http:
        yield
        return
    with shared_stack.in_use(exclusive=item.get_closest_marker("exclusive") is not None):
        yield

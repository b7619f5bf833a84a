"""The fault-injection run's stack (faults switched on at run time) and its summary line."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest

from local.testing import start_local_stack, stop

# What the runs injected and checked, for the summary line at the end of the session.
STATS: Counter[str] = Counter()


@pytest.fixture(scope="session")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    process, outputs = start_local_stack(tmp_path_factory.mktemp("faults-stack"))
    yield outputs
    stop(process)


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if not STATS["runs"]:
        return
    injected = ", ".join(
        f"{kind} {STATS['fault ' + kind]}"
        for kind in ("throttle", "internal_error", "transaction_conflict", "sqs_send", "die")
    )
    terminalreporter.write_line(
        f"faults: {STATS['runs']} runs, {STATS['writes']} writes acknowledged "
        f"({STATS['requests']} requests), {STATS['syncs']} sync pages; faults injected: "
        f"{injected}; answers {STATS['answers 2xx']} 2xx, {STATS['answers 4xx']} 4xx, "
        f"{STATS['answers 502']} 502 (a function died), {STATS['answers 503']} 503; "
        f"deliveries checked {STATS['deliveries']} ({STATS['changes']} committed changes, "
        f"{STATS['redeliveries']} redeliveries de-duplicated)"
    )

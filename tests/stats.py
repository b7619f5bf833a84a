"""What the property, fuzz and fault runs count, summed over pytest-xdist's workers, and the
summary line of each that the run prints at its end.

Each worker counts into these objects; at its end it hands them to the controller
(`worker_output`), which adds them up (`add_worker_output`) and prints the lines. A run
without workers prints its own counts.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable
from typing import Any

PROPERTY: Counter[str] = Counter()
FUZZ: Counter[str] = Counter()
FAULTS: Counter[str] = Counter()
FUZZ_OPERATIONS: set[str] = set()  # schemathesis' operation labels
FUZZ_STATEFUL_2XX: set[str] = set()  # the operations a stateful step got a 2xx from

_COUNTERS = {"property": PROPERTY, "fuzz": FUZZ, "faults": FAULTS}
_OUTPUT_KEY = "stint_stats"


def worker_output() -> str:
    return json.dumps(
        {
            "counters": {name: dict(counter) for name, counter in _COUNTERS.items()},
            "fuzz_operations": sorted(FUZZ_OPERATIONS),
            "fuzz_stateful_2xx": sorted(FUZZ_STATEFUL_2XX),
        }
    )


def add_worker_output(output: dict[str, Any]) -> None:
    if _OUTPUT_KEY not in output:
        return
    content = json.loads(output[_OUTPUT_KEY])
    for name, counts in content["counters"].items():
        _COUNTERS[name].update(counts)
    FUZZ_OPERATIONS.update(content["fuzz_operations"])
    FUZZ_STATEFUL_2XX.update(content["fuzz_stateful_2xx"])


def _property_line() -> str | None:
    if not (PROPERTY["examples"] or PROPERTY["invalid"]):
        return None
    return (
        f"property: {PROPERTY['examples']} valid examples through the API "
        f"({PROPERTY['writes']} writes round-tripped), {PROPERTY['invalid']} invalid values "
        f"refused, {PROPERTY['zones']} time zones reported, {PROPERTY['steps']} stateful steps; "
        f"deliveries checked {PROPERTY['deliveries']} ({PROPERTY['changes']} committed changes)"
    )


def _fuzz_line() -> str | None:
    if not (FUZZ["cases"] or FUZZ["steps"]):
        return None
    return (
        f"schemathesis: {len(FUZZ_OPERATIONS)} operations, {FUZZ['cases']} test cases, "
        f"{FUZZ['scenarios']} stateful scenarios of {FUZZ['steps']} calls "
        f"({len(FUZZ_STATEFUL_2XX)} operations answered them a 2xx), "
        f"{FUZZ['milliseconds'] / 1000:.0f} s"
    )


def _faults_line() -> str | None:
    if not FAULTS["runs"]:
        return None
    injected = ", ".join(
        f"{kind} {FAULTS['fault ' + kind]}"
        for kind in ("throttle", "internal_error", "transaction_conflict", "sqs_send", "die")
    )
    return (
        f"faults: {FAULTS['runs']} runs, {FAULTS['writes']} writes acknowledged "
        f"({FAULTS['requests']} requests), {FAULTS['syncs']} sync pages; faults injected: "
        f"{injected}; answers {FAULTS['answers 2xx']} 2xx, {FAULTS['answers 4xx']} 4xx, "
        f"{FAULTS['answers 502']} 502 (a function died), {FAULTS['answers 503']} 503; "
        f"deliveries checked {FAULTS['deliveries']} ({FAULTS['changes']} committed changes, "
        f"{FAULTS['redeliveries']} redeliveries de-duplicated)"
    )


SUMMARIES: list[Callable[[], str | None]] = [_property_line, _fuzz_line, _faults_line]


def summary_lines() -> list[str]:
    return [line for line in (summary() for summary in SUMMARIES) if line is not None]

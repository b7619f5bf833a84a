"""docs/PERFORMANCE.md, written by `make bench` from one run: nothing in it is edited by hand.

The method text is `bench/performance.md.in` (a `string.Template`); this module fills in the
run (date, machine, options, duration), each benchmark's figures as a Markdown table, the
per-route round trips as `bench.roundtrips` printed them, and the design minimum of every
route from `bench.roundtrips.MINIMUM`.
"""

from __future__ import annotations

import os
import platform
import re
import string
from datetime import UTC, datetime
from pathlib import Path

from bench.common import REPO
from bench.table import Figure, goal_text, met_text, number

TEMPLATE = REPO / "bench" / "performance.md.in"
DOCUMENT = REPO / "docs" / "PERFORMANCE.md"
# The lines of bench.roundtrips' output that are its per-route table (not the functions' logs).
_ROUTE_LINE = re.compile(r"^(route\s|(GET|POST|PUT|PATCH|DELETE) /)")


def machine() -> str:
    """What the figures were measured on, in one line."""
    cpu = platform.processor() or platform.machine()
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        models = [
            line.split(":", 1)[1].strip()
            for line in cpuinfo.read_text(encoding="utf-8", errors="replace").splitlines()
            if line.startswith("model name")
        ]
        cpu = models[0] if models else cpu
    memory = ""
    meminfo = Path("/proc/meminfo")
    if meminfo.exists():
        total_kb = int(meminfo.read_text(encoding="utf-8").split()[1])
        memory = f", {total_kb / 1024 / 1024:.1f} GiB memory"
    load = ", ".join(f"{value:.1f}" for value in os.getloadavg())
    return (
        f"{cpu}, {os.cpu_count()} cores{memory}; {platform.system()} {platform.release()};"
        f" Python {platform.python_version()}; load average at the start {load}"
    )


def figures_table(figures: list[Figure]) -> str:
    """A Markdown table: each figure, its baseline, their ratio, the goal and whether it is met."""
    lines = ["| figure | value | baseline | ratio | goal |", "|---|--:|---|--:|---|"]
    for figure in figures:
        baseline = number(figure.baseline, figure.unit)
        if figure.baseline_name:
            baseline = f"{baseline} ({figure.baseline_name})"
        goal = goal_text(figure)
        if figure.met is not None:
            goal = f"{goal}: {met_text(figure)}"
        lines.append(
            f"| {figure.name} | {number(figure.value, figure.unit)} | {baseline}"
            f" | {figure.ratio:.2f}x | {goal} |"
        )
    return "\n".join(lines)


def route_lines(output: str) -> str:
    """The per-route table out of everything `bench.roundtrips` printed."""
    return "\n".join(line for line in output.splitlines() if _ROUTE_LINE.match(line))


def minimums_table() -> str:
    from bench.roundtrips import MINIMUM

    lines = ["| route | minimum | the calls |", "|---|--:|---|"]
    lines += [f"| `{route}` | {calls} | {why} |" for route, (calls, why) in MINIMUM.items()]
    return "\n".join(lines)


def write(
    figures: dict[str, list[Figure]],
    outputs: dict[str, str],
    *,
    command: str,
    seconds: float,
    began: datetime,
    path: Path = DOCUMENT,
) -> Path:
    """Write the document of one run: `figures` and `outputs` (what each printed) by benchmark."""
    everything = [figure for group in figures.values() for figure in group]
    with_goal = [figure for figure in everything if figure.met is not None]
    values = {
        "date": began.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "machine": machine(),
        "command": command,
        "seconds": f"{seconds:.0f}",
        "goals_met": f"{sum(1 for f in with_goal if f.met)} of {len(with_goal)}",
        "routes": route_lines(outputs.get("roundtrips", "")),
        "minimums": minimums_table(),
        **{f"figures_{name}": figures_table(group) for name, group in figures.items()},
    }
    text = string.Template(TEMPLATE.read_text(encoding="utf-8")).substitute(values)
    path.write_text(text, encoding="utf-8")
    return path

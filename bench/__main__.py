"""`make bench`: every benchmark of Stint, one table of all their figures, docs/PERFORMANCE.md.

    .venv/bin/python -m bench [--quick] [--no-document]

Each benchmark runs in a process of its own (its lines are printed as it goes), in this order:

- `bench.coldstart`     cold start of every function vs a bare boto3 floor (time, memory)
- `bench.roundtrips`    DynamoDB calls and read capacity of every route vs the design minimum
- `bench.sync_scaling`  an incremental sync's read capacity, account of 10,000 vs of 10
- `bench.peer`          TimeTagger beside Stint's local stack, 8 concurrent clients
- `bench.report_bench`  a month's report of a heavy user vs a plain Query
- `bench.shared_workspaces`  a member's sync across 10 workspaces (and while 50 colleagues
  write), a workspace's month for its manager, a burst of 50 members writing at once
- `bench.rerating`     a re-rating job over 2,000 sessions (a page, the whole job) vs a plain
  Query + TransactWriteItems of the same pages; what pricing adds to `POST /v1/sessions`
- `bench.budgets`      what keeping a project's usage, and a budget, add to a session write

Every figure is measured beside its baseline in the same run; the table gives their ratio and
the goal where there is one. Timings are this machine's (and moto's, where the emulator
answers): read the ratios. Not a test: nothing fails on a figure (exit 0 unless a benchmark
itself breaks). At the end the run is written to docs/PERFORMANCE.md (`bench.document`).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from bench import document
from bench.common import REPO
from bench.table import Figure, read_json, render


def _run(name: str, extra: list[str], out: Path) -> tuple[int, str]:
    """Run one benchmark, echoing what it prints; its exit code and its output."""
    command = [sys.executable, "-m", f"bench.{name}", "--json", str(out), *extra]
    environment = {**os.environ, "PYTHONUNBUFFERED": "1"}
    lines = []
    with subprocess.Popen(
        command, cwd=REPO, env=environment, stdout=subprocess.PIPE, text=True
    ) as process:
        assert process.stdout is not None
        for line in process.stdout:
            print(line, end="", flush=True)
            lines.append(line)
    return process.returncode, "".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--quick", action="store_true", help="fewer runs and a smaller report (a smoke run)"
    )
    parser.add_argument(
        "--no-document", action="store_true", help="print the table only; leave docs/ alone"
    )
    args = parser.parse_args()
    quick = args.quick
    benchmarks: list[tuple[str, list[str]]] = [
        ("coldstart", ["--runs", "3" if quick else "5"]),
        ("roundtrips", []),
        ("sync_scaling", []),
        ("peer", ["--iterations", "5" if quick else "25"]),
        ("report_bench", ["--sessions", "300" if quick else "3000"]),
        ("shared_workspaces", ["--rounds", "1" if quick else "3"]),
        ("rerating", ["--sessions", "500" if quick else "2000"]),
        ("budgets", ["--rounds", "1" if quick else "3"]),
    ]
    figures: dict[str, list[Figure]] = {}
    outputs: dict[str, str] = {}
    started = datetime.now(UTC)
    began = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="stint-bench-") as tmp:
        for name, extra in benchmarks:
            out = Path(tmp) / f"{name}.json"
            print(f"\n== bench.{name} {' '.join(extra)}", flush=True)
            returncode, outputs[name] = _run(name, extra, out)
            if returncode != 0:
                print(f"bench.{name} failed (exit {returncode})", flush=True)
                return returncode
            figures[name] = read_json(out)
    seconds = time.perf_counter() - began
    print(f"\n== Stint benchmarks ({seconds:.0f} s)\n")
    print(render([figure for group in figures.values() for figure in group]))
    if not args.no_document:
        command = "python -m bench" + (" --quick" if quick else "")
        written = document.write(figures, outputs, command=command, seconds=seconds, began=started)
        print(f"\nwritten: {written.relative_to(REPO)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

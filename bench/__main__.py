"""`make bench`: every benchmark of Stint, then one table of all their figures.

    .venv/bin/python -m bench [--quick]

Each benchmark runs in a process of its own (its lines are printed as it goes), in this order:

- `bench.coldstart`     cold start of every function vs a bare boto3 floor (time, memory)
- `bench.roundtrips`    DynamoDB calls and read capacity of every route vs the design minimum
- `bench.sync_scaling`  an incremental sync's read capacity, account of 10,000 vs of 10
- `bench.peer`          TimeTagger beside Stint's local stack, 8 concurrent clients
- `bench.report_bench`  a month's report of a heavy user vs a plain Query (issue 7)

Every figure is measured beside its baseline in the same run; the table gives their ratio and
the goal of issue 10 where it sets one. Timings are this machine's (and moto's, where the
emulator answers): read the ratios. Not a test: nothing fails on a figure (exit 0 unless a
benchmark itself breaks).
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.common import REPO
from bench.table import Figure, read_json, render


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--quick", action="store_true", help="fewer runs and a smaller report (a smoke run)"
    )
    args = parser.parse_args()
    quick = args.quick
    benchmarks: list[tuple[str, list[str]]] = [
        ("coldstart", ["--runs", "3" if quick else "5"]),
        ("roundtrips", []),
        ("sync_scaling", []),
        ("peer", ["--iterations", "5" if quick else "25"]),
        ("report_bench", ["--sessions", "300" if quick else "3000"]),
    ]
    figures: list[Figure] = []
    began = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="stint-bench-") as tmp:
        for name, extra in benchmarks:
            out = Path(tmp) / f"{name}.json"
            print(f"\n== bench.{name} {' '.join(extra)}", flush=True)
            command = [sys.executable, "-m", f"bench.{name}", "--json", str(out), *extra]
            result = subprocess.run(command, cwd=REPO, check=False)
            if result.returncode != 0:
                print(f"bench.{name} failed (exit {result.returncode})", flush=True)
                return result.returncode
            figures += read_json(out)
    print(f"\n== Stint benchmarks, issue 10 ({time.perf_counter() - began:.0f} s)\n")
    print(render(figures))
    return 0


if __name__ == "__main__":
    sys.exit(main())

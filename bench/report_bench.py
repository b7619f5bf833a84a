"""Benchmark: a month's summary report of a heavy user, beside a plain query of the same range.

    .venv/bin/python bench/report_bench.py [--sessions 3000] [--runs 3]

Runs in-process against moto (the table built from template.yaml, as the unit tests do). The
user has one month (October 2026, over Berlin's 25-hour day) of `--sessions` sessions (one in
ten a break) on 60 tasks in 10 projects, and as many sessions again in the months around it,
which the report must not read. For each grouping it prints the report's time (median of
`--runs`, default 3, after one warm-up) and what DynamoDB read: calls, items (Query: ScannedCount,
GetItem / BatchGetItem: items returned) and the read capacity: by DynamoDB's rule from the
items' sizes (consistent reads: a Query page 1 unit per 4 KB, a BatchGetItem item 1 unit per
4 KB each), and as moto reports it (ReturnConsumedCapacity=TOTAL is added to every read; moto
answers a flat figure per call or item, not DynamoDB's). The baseline is a plain boto3 Query of
the same `byStart` range (consistent, all pages, nothing else), timed in the same run; the
ratios are report / baseline. moto's timings are not DynamoDB's: the ratios and the counts are
the figures to read. Not a test: nothing fails on a timing.
"""

from __future__ import annotations

import argparse
import functools
import os
import statistics
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(REPO / "layers" / "stint" / "python"), str(REPO)]
for name, value in {
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_ACCESS_KEY_ID": "bench",
    "AWS_SECRET_ACCESS_KEY": "bench",
}.items():
    os.environ[name] = value
for name in ("AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_DYNAMODB"):
    os.environ.pop(name, None)

import boto3  # noqa: E402
from moto import mock_aws  # noqa: E402

from bench.meter import Meter, metered  # noqa: E402
from bench.table import Figure, write_json  # noqa: E402
from local import patches  # noqa: E402
from local.resources import Provisioner  # noqa: E402
from local.template import load_template  # noqa: E402
from stint import aws, config  # noqa: E402
from stint.models import ReportGroupBy, SessionFields, new_entity  # noqa: E402
from stint.services import report_range, reports  # noqa: E402
from stint.services.common import Caller  # noqa: E402
from stint.services.sessions import session_entity  # noqa: E402
from stint.store import Change, Put, Store, dynamodb  # noqa: E402
from stint.timeutil import format_timestamp  # noqa: E402

USER = "bench-user"
MONTH_START = datetime(2026, 10, 1, tzinfo=UTC) - timedelta(hours=2)  # 00:00 in Berlin
MONTH_END = datetime(2026, 11, 1, tzinfo=UTC) - timedelta(hours=1)


def populate(store: Store, sessions: int) -> None:
    """10 projects, 60 tasks, `sessions` in the month and as many around it (one in ten a break)."""
    methods = ("up", "down", "nearest")
    projects = [
        new_entity(
            "project",
            id=f"p{i}",
            title=f"Project {i}",
            roundingMethod=methods[i % 3],
            roundingMinutes=(0, 6, 15)[i % 3],
            hourlyRate=None if i == 9 else Decimal("95.5") + i,
            plannedBudget=Decimal(10_000),
        )
        for i in range(10)
    ]
    store.commit([Put("project", p) for p in projects])
    tasks = [
        new_entity(
            "task", id=f"t{i}", projectId=f"p{i % 10}", title=f"Task {i}", billable=i % 7 != 0
        )
        for i in range(60)
    ]
    store.commit([Put("task", t) for t in tasks])
    span = MONTH_END - MONTH_START
    puts: list[Change] = []
    for i in range(sessions):
        for offset, prefix in ((timedelta(0), "s"), (-span, "before"), (span, "after")):
            start = MONTH_START + offset + span * i / sessions
            fields = SessionFields(
                startTimestamp=format_timestamp(start),
                duration=300 + (i * 137) % 5400,
                type="break" if i % 10 == 9 else "session",
            )
            entity = session_entity(f"{prefix}{i}", f"t{i % 60}", fields, edited=False)
            puts.append(Put("session", entity))
    store.commit(puts)  # in transactions of up to 99 actions


def timed(action: Callable[[], Any], runs: int) -> tuple[float, Any]:
    action()  # warm-up: imports, the zone list, moto's first queries
    times = []
    result = None
    for _ in range(runs):
        begin = time.perf_counter()
        result = action()
        times.append(time.perf_counter() - begin)
    return statistics.median(times), result


def baseline(store: Store, low: str, high: str) -> int:
    """A plain boto3 Query of the same byStart range: every page, consistent, nothing else."""
    count = 0
    kwargs: dict[str, Any] = {
        "TableName": store._table,
        "IndexName": "byStart",
        "KeyConditionExpression": "pk = :pk AND #start BETWEEN :low AND :high",
        "ExpressionAttributeNames": {"#start": "start"},
        "ExpressionAttributeValues": {
            ":pk": {"S": store.pk},
            ":low": {"S": low},
            ":high": {"S": high},
        },
        "ConsistentRead": True,
    }
    while True:
        page = dynamodb().query(**kwargs)
        count += len(page.get("Items", []))
        if "LastEvaluatedKey" not in page:
            return count
        kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]


def run(sessions: int = 3000, runs: int = 3) -> list[Figure]:
    """Print the benchmark's lines; return its figures for `make bench`'s table."""
    figures: list[Figure] = []
    patches.apply()
    with mock_aws():
        # boto3-stubs type `client` per literal service name; the template names it at run time.
        client: Callable[[str], Any] = boto3.client  # type: ignore[assignment]
        provisioner = Provisioner(load_template(REPO / "template.yaml"), client)
        os.environ["TABLE_NAME"] = str(provisioner.ref("StintTable"))
        config.settings.cache_clear()
        aws.reset()
        store = Store(USER)
        begin = time.perf_counter()
        populate(store, sessions)
        print(
            f"setup: {sessions:,} sessions in October 2026 (one in ten a break) on 60 tasks"
            f" in 10 projects, {2 * sessions:,} more in September and November"
            f" ({time.perf_counter() - begin:.1f} s)"
        )
        low, high = format_timestamp(MONTH_START), format_timestamp(MONTH_END)
        base_meter: Meter
        with metered(dynamodb()) as base_meter:
            base_count = baseline(store, low, high)
        base_time, _ = timed(lambda: baseline(store, low, high), runs)
        print(
            f"baseline  plain Query of byStart [{low}, {high}]: {base_time * 1000:8.1f} ms"
            f"  {base_meter.calls} calls, {base_meter.items:,} items ({base_count:,} returned),"
            f" {base_meter.rcu:,} RCU (moto says {base_meter.moto_capacity:,.0f})"
        )
        caller = Caller(USER, USER)
        groupings: tuple[tuple[ReportGroupBy, str], ...] = (
            ("project", "UTC"),
            ("task", "UTC"),
            ("day", "Europe/Berlin"),
        )
        for group_by, tz in groupings:
            query = report_range.parse_query(
                start=low, end=high, tz=tz, group_by=group_by, project_id=None
            )
            with metered(dynamodb()) as meter:
                report = reports.summary(caller, query)
            took, report = timed(functools.partial(reports.summary, caller, query), runs)
            totals = report["totals"]
            print(
                f"report    groupBy={group_by:<7} tz={tz:<13}: {took * 1000:8.1f} ms"
                f"  {meter.calls} calls, {meter.items:,} items,"
                f" {meter.rcu:,} RCU (moto says {meter.moto_capacity:,.0f})"
                f"  | {len(report['groups'])} groups, {totals['sessions']:,} work sessions,"
                f" amount {totals['amount']}"
                f"  | ratio to baseline: time {took / base_time:.2f}x,"
                f" items {meter.items / base_meter.items:.3f}x,"
                f" RCU {meter.rcu / base_meter.rcu:.2f}x"
            )
            name = f"report of a month, groupBy={group_by}"
            base = "plain Query of the range"
            figures += [
                Figure(f"{name}: time (moto)", took * 1000, base_time * 1000, "ms", None, base),
                Figure(f"{name}: calls", meter.calls, base_meter.calls, "", None, base),
                Figure(f"{name}: RCU", meter.rcu, base_meter.rcu, "RCU", None, base),
            ]
        took, _ = timed(lambda: reports.to_csv(report), runs)
        print(f"csv       of the last report: {took * 1000:8.1f} ms (no DynamoDB call)")
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sessions", type=int, default=3000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--json", help="write the figures there (for `python -m bench`)")
    args = parser.parse_args()
    write_json(run(args.sessions, args.runs), args.json)


if __name__ == "__main__":
    main()

"""Cold start of every function beside its floor, in the same run.

For each function of template.yaml, a whole new Python process (`bench/coldstart_child.py`)
imports the function's `app.py` (layer on PYTHONPATH, the function's environment, every SDK
call pointed at the emulator) and answers one representative event against the emulated
table. Its floor is the same process running `bench/floor_app.py`: a bare handler that makes
the same DynamoDB calls (recorded from the Stint function for the same event) with plain boto3.

Runs alternate Stint / floor (and which goes first), so the machine's noise hits both alike.
Figures per function: median wall time of the whole process (spawn to exit), median CPU time
(user + system, from wait4), median peak RSS (wait4's ru_maxrss); ratio to the floor's.

SnapStart's priming (stint/priming.py): for each API function, the first request's latency in
a process that ran `prime(app)` after the import (as SnapStart runs it before its snapshot)
beside the same in a process that did not, runs alternated the same way. What priming moves
out of the first request is the difference; its own time is paid before the snapshot.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench.common import REPO, Stack, api_event, new_user
from bench.table import Figure, write_json

CHILD = REPO / "bench" / "coldstart_child.py"
FLOOR = REPO / "bench" / "floor_app.py"
TIME_GOAL = ("<=", 1.3)


@dataclass
class Scenario:
    function: str
    label: str
    event: dict[str, Any]
    expect: Any  # the response's statusCode, or a check of the whole response
    fresh_user: bool = False  # replace the user id with a new one on every run

    @property
    def primed_by_snapstart(self) -> bool:
        """An API function: the template's SnapStart option and its priming apply."""
        return self.label.startswith("GET ")


@dataclass
class Sample:
    wall_ms: list[float] = field(default_factory=list)
    cpu_ms: list[float] = field(default_factory=list)
    rss_mb: list[float] = field(default_factory=list)
    init_ms: list[float] = field(default_factory=list)
    invoke_ms: list[float] = field(default_factory=list)
    prime_ms: list[float] = field(default_factory=list)

    def median(self, name: str) -> float:
        return float(statistics.median(getattr(self, name)))


def scenarios(stack: Stack) -> list[Scenario]:
    """One representative request per function, on data made through the handlers."""
    user = new_user()

    def call(function: str, method: str, path: str, **kwargs: Any) -> dict[str, Any]:
        response = stack.call(function, method, path, user, **kwargs)
        assert response["statusCode"] < 300, (method, path, response)
        return response

    project = call("CatalogFunction", "POST", "/v1/projects", body={"project": {"title": "P"}})
    project_id = project["json"]["project"]["id"]
    task = call("TasksFunction", "POST", "/v1/tasks", body={"task": {"projectId": project_id}})
    task_id = task["json"]["task"]["id"]
    session = call(
        "SessionsFunction",
        "POST",
        "/v1/sessions",
        body={
            "task": {"id": task_id},
            "session": {"startTimestamp": "2026-10-05T09:00:00Z", "duration": 1800},
        },
    )
    session_id = session["json"]["session"]["id"]
    team = call(
        "WorkspacesFunction", "POST", "/v1/workspaces", body={"workspace": {"name": "Bench"}}
    )
    team_id = team["json"]["workspace"]["id"]
    token = call("SyncFunction", "GET", "/v1/sync")["json"]["syncToken"]
    for n in range(10):  # 10 changes since the token
        call("TasksFunction", "POST", "/v1/tasks", body={"task": {"title": f"t{n}"}})
    call("TimerFunction", "POST", "/v1/timer", body={"taskId": task_id})
    stream_record = {
        "eventID": "1",
        "eventName": "INSERT",
        "eventSource": "aws:dynamodb",
        "dynamodb": {
            "Keys": {"pk": {"S": f"USER#{user}"}, "sk": {"S": f"TASK#{task_id}"}},
            "NewImage": {
                "pk": {"S": f"USER#{user}"},
                "sk": {"S": f"TASK#{task_id}"},
                "kind": {"S": "task"},
                "id": {"S": task_id},
                "seq": {"N": "2"},
                "lastUpdated": {"S": "2026-10-05T09:00:00.000Z"},
            },
            "SequenceNumber": "100",
            "StreamViewType": "NEW_AND_OLD_IMAGES",
        },
    }
    delivery = {
        "messageId": "m1",
        "receiptHandle": "r1",
        "attributes": {"ApproximateReceiveCount": "1"},
        "body": json.dumps(
            {"userId": user, "webhookId": "gone", "id": "msg_1", "type": "task.created"}
        ),
    }
    confirmation = {
        "version": "1",
        "triggerSource": "PostConfirmation_ConfirmSignUp",
        "region": "us-east-1",
        "userPoolId": "bench",
        "userName": "BENCH-USER",
        "request": {"userAttributes": {"sub": "BENCH-USER", "email": "new@bench.local"}},
        "response": {},
    }

    def get(function: str, path: str, route: str = "", **query: str) -> Scenario:
        event = api_event("GET", path, user, query=query or None)
        return Scenario(function, f"GET {route or path}", event, 200)

    return [
        get("UsersFunction", "/v1/me"),
        get("CatalogFunction", f"/v1/projects/{project_id}", "/v1/projects/{id}"),
        get("TasksFunction", f"/v1/tasks/{task_id}", "/v1/tasks/{id}"),
        get("SessionsFunction", f"/v1/sessions/{session_id}", "/v1/sessions/{id}"),
        get("TimerFunction", "/v1/timer"),
        get("WorkspacesFunction", f"/v1/workspaces/{team_id}", "/v1/workspaces/{id}"),
        get("WebhooksFunction", "/v1/webhooks"),
        get("SyncFunction", "/v1/sync", syncToken=token),
        get(
            "ReportsFunction",
            "/v1/reports/summary",
            **{"from": "2026-10-01T00:00:00Z", "to": "2026-11-01T00:00:00Z"},
        ),
        Scenario("DispatcherFunction", "stream record", {"Records": [stream_record]}, None),
        Scenario("DeliveryFunction", "queue message", {"Records": [delivery]}, None),
        Scenario(
            "PostConfirmationFunction", "confirm sign-up", confirmation, None, fresh_user=True
        ),
    ]


def _run_child(
    environment: dict[str, str], handler: Path, event: dict[str, Any], work: Path, record: bool
) -> tuple[dict[str, Any], float, float, float, list[Any]]:
    event_file, result_file, record_file = work / "event.json", work / "result.json", None
    event_file.write_text(json.dumps(event))
    result_file.unlink(missing_ok=True)
    command = [sys.executable, str(CHILD), str(handler), str(event_file), str(result_file)]
    if record:
        record_file = work / "calls.json"
        command.append(str(record_file))
    began = time.perf_counter()
    process = subprocess.Popen(
        command,
        env=environment,
        cwd=work,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    assert process.stderr is not None
    error = process.stderr.read()
    _, status, usage = os.wait4(process.pid, 0)
    wall_ms = (time.perf_counter() - began) * 1000
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode != 0:
        raise RuntimeError(f"{handler} failed:\n{error.decode(errors='replace')[-3000:]}")
    result = json.loads(result_file.read_text())
    cpu_ms = (usage.ru_utime + usage.ru_stime) * 1000
    # Not wait4's ru_maxrss: it counts the pages the child shared with this process before
    # its exec. VmHWM belongs to the new program alone.
    rss_mb = result["hwm_kb"] / 1024
    calls = json.loads(record_file.read_text()) if record_file else []
    return result, wall_ms, cpu_ms, rss_mb, calls


def _with_user(event: dict[str, Any], old: str, new: str) -> dict[str, Any]:
    return dict(json.loads(json.dumps(event).replace(old, new)))


def _check(scenario: Scenario, response: Any) -> None:
    if scenario.expect is None:
        return
    status = response.get("statusCode") if isinstance(response, dict) else None
    if status != scenario.expect:
        raise RuntimeError(f"{scenario.function} {scenario.label}: answered {response!r}")


def _record_floors(stack: Stack, todo: list[Scenario], work: Path) -> dict[str, dict[str, str]]:
    """Run each function once, recording the DynamoDB calls it makes: the environment of its
    floor (a bare boto3 handler that makes those calls), by function."""
    floors: dict[str, dict[str, str]] = {}
    for scenario in todo:
        event = _event_for(scenario, f"rec-{os.urandom(6).hex()}")
        environment = stack.function_environment(scenario.function)
        handler = stack.function(scenario.function).handler_file
        result, *_, calls = _run_child(environment, handler, event, work, record=True)
        _check(scenario, result["response"])
        calls_file = work / f"{scenario.function}.calls.json"
        calls_file.write_text(json.dumps([c for c in calls if c[0] == "dynamodb"]))
        floors[scenario.function] = {**environment, "BENCH_FLOOR_CALLS": str(calls_file)}
    return floors


def _event_for(scenario: Scenario, fresh: str) -> dict[str, Any]:
    return (
        _with_user(scenario.event, "BENCH-USER", fresh) if scenario.fresh_user else scenario.event
    )


def _measure_stint(
    stack: Stack, scenario: Scenario, sample: Sample, fresh: str, work: Path
) -> None:
    environment = stack.function_environment(scenario.function)
    handler = stack.function(scenario.function).handler_file
    result = _measure(environment, handler, _event_for(scenario, fresh), sample, work)
    _check(scenario, result["response"])


def _measure_floor(
    environment: dict[str, str], scenario: Scenario, sample: Sample, fresh: str, work: Path
) -> None:
    if scenario.fresh_user:  # the recorded calls name another user
        calls = json.loads(Path(environment["BENCH_FLOOR_CALLS"]).read_text())
        calls_file = work / "fresh.calls.json"
        calls_file.write_text(json.dumps(calls).replace(_recorded_user(calls), fresh))
        environment = {**environment, "BENCH_FLOOR_CALLS": str(calls_file)}
    _measure(environment, FLOOR, _event_for(scenario, fresh), sample, work)


def _measure(
    environment: dict[str, str], handler: Path, event: dict[str, Any], sample: Sample, work: Path
) -> dict[str, Any]:
    """One cold start of `handler`, added to `sample`; the child's result."""
    result, wall, cpu, rss, _ = _run_child(environment, handler, event, work, record=False)
    sample.wall_ms.append(wall)
    sample.cpu_ms.append(cpu)
    sample.rss_mb.append(rss)
    sample.init_ms.append(result["init_ms"])
    sample.invoke_ms.append(result["invoke_ms"])
    return result


def run(runs: int = 5, only: tuple[str, ...] = ()) -> list[Figure]:
    """Measure every function (or those named in `only`); print a line each; return the
    figures for the table."""
    stack = Stack()
    figures: list[Figure] = []
    try:
        todo = [
            s for s in scenarios(stack) if not only or s.function.removesuffix("Function") in only
        ]
        results: dict[str, tuple[Sample, Sample]] = {s.function: (Sample(), Sample()) for s in todo}
        with tempfile.TemporaryDirectory(prefix="stint-coldstart-") as tmp:
            work = Path(tmp)
            floors = _record_floors(stack, todo, work)
            for n in range(runs):
                for scenario in todo:
                    stint, floor = results[scenario.function]
                    order = [("stint", stint), ("floor", floor)]
                    for kind, sample in order if n % 2 == 0 else order[::-1]:
                        fresh = f"u{n}-{kind}-{os.urandom(6).hex()}"
                        if kind == "stint":
                            _measure_stint(stack, scenario, sample, fresh, work)
                        else:
                            _measure_floor(floors[scenario.function], scenario, sample, fresh, work)
        for scenario in todo:
            stint, floor = results[scenario.function]
            name = scenario.function.removesuffix("Function")
            print(
                f"cold start {name:<17} {scenario.label:<26}"
                f" wall {stint.median('wall_ms'):6.0f} / {floor.median('wall_ms'):6.0f} ms"
                f" ({stint.median('wall_ms') / floor.median('wall_ms'):.2f}x)"
                f"  cpu {stint.median('cpu_ms'):5.0f} / {floor.median('cpu_ms'):5.0f} ms"
                f"  rss {stint.median('rss_mb'):5.1f} / {floor.median('rss_mb'):5.1f} MB"
                f"  | stint init {stint.median('init_ms'):4.0f} + request"
                f" {stint.median('invoke_ms'):4.0f} ms, floor {floor.median('init_ms'):4.0f}"
                f" + {floor.median('invoke_ms'):4.0f} ms"
            )
            base = "floor"
            figures += [
                Figure(
                    f"cold start {name}: wall time",
                    stint.median("wall_ms"),
                    floor.median("wall_ms"),
                    "ms",
                    TIME_GOAL,
                    base,
                ),
                Figure(
                    f"cold start {name}: CPU time",
                    stint.median("cpu_ms"),
                    floor.median("cpu_ms"),
                    "ms",
                    TIME_GOAL,
                    base,
                ),
                Figure(
                    f"cold start {name}: peak memory",
                    stint.median("rss_mb"),
                    floor.median("rss_mb"),
                    "MB",
                    TIME_GOAL,
                    base,
                ),
            ]
        figures += measure_priming(stack, [s for s in todo if s.primed_by_snapstart], runs)
    finally:
        stack.stop()
    return figures


def measure_priming(stack: Stack, todo: list[Scenario], runs: int) -> list[Figure]:
    """First request after `priming.prime(app)` against without, per API function."""
    samples = {s.function: (Sample(), Sample()) for s in todo}
    with tempfile.TemporaryDirectory(prefix="stint-priming-") as tmp:
        for n in range(runs):
            for scenario in todo:
                primed, plain = samples[scenario.function]
                order = [("1", primed), ("0", plain)]
                for prime, sample in order if n % 2 == 0 else order[::-1]:
                    environment = {**stack.function_environment(scenario.function)}
                    environment["BENCH_PRIME"] = prime
                    handler = stack.function(scenario.function).handler_file
                    result, *_ = _run_child(
                        environment, handler, scenario.event, Path(tmp), record=False
                    )
                    _check(scenario, result["response"])
                    sample.invoke_ms.append(result["invoke_ms"])
                    sample.prime_ms.append(result["prime_ms"])
    figures = []
    for scenario in todo:
        primed, plain = samples[scenario.function]
        name = scenario.function.removesuffix("Function")
        print(
            f"priming {name:<17} first request {primed.median('invoke_ms'):5.1f} ms after"
            f" priming, {plain.median('invoke_ms'):5.1f} ms without"
            f" (priming itself {primed.median('prime_ms'):5.0f} ms, before the snapshot)"
        )
        figures.append(
            Figure(
                f"first request {name}: after SnapStart priming",
                primed.median("invoke_ms"),
                plain.median("invoke_ms"),
                "ms",
                None,
                "without priming",
            )
        )
    return figures


def _recorded_user(calls: list[Any]) -> str:
    """The user id a recorded call names (`USER#<id>`)."""
    text = json.dumps(calls)
    start = text.index("USER#") + len("USER#")
    return text[start : text.index('"', start)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=5, help="runs of each (median; default 5)")
    parser.add_argument("--json", help="write the figures there")
    parser.add_argument("only", nargs="*", help="functions to measure (e.g. Tasks Sync)")
    args = parser.parse_args()
    write_json(run(args.runs, tuple(args.only)), args.json)


if __name__ == "__main__":
    main()

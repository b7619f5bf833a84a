"""Re-rating: what pricing a page of sessions again costs, and what pricing adds to a write.

    .venv/bin/python -m bench.rerating [--sessions 2000]

In this process, against the emulator (`bench.common.Stack`: moto behind one lock, as the
local stack runs it), through the real RerateFunction handler (docs/DESIGN.md, "Money"):

1. **A re-rating job.** A user's project at 36 an hour holds N sessions (default 2,000, written
   by `POST /v1/sessions/batch`'s service, 100 at a time). Its rate becomes 72: the stream
   record of that PATCH (the project's old and new images, read from the table) is handed to
   the function as the stream's mapping would, and the jobs it queues are run one at a time as
   the queue's mapping would (receive, invoke, delete) until the queue is empty: N / 100 pages
   (DynamoDB would answer a last, empty one when N is a multiple of 100; moto does not). Each
   invocation is timed and metered (`bench.meter`: DynamoDB calls, items, RCU and WCU by
   DynamoDB's rules; the SQS send of the next job is in the time, not in the calls).
   Afterwards every session must carry the new rate, each written once.
   **Baseline**, interleaved (after each job's page, on the same 100 sessions): a plain
   consistent Query of 100 sessions of the partition and one TransactWriteItems putting them
   back as read, with plain boto3: the least I/O that reads a page and writes it atomically,
   with no pricing, no counter, no conditions and no queue. What re-rating does on top: reads
   the workspace's record, the page's tasks and their projects (a BatchGetItem each), prices
   each session, and commits through the workspace's change sequence (the counter read and
   moved, each Put conditioned on the seq it read), 99 actions a transaction with the counter,
   so a page of 100 is two transactions. Figures: sessions re-rated per second of invocation
   (one full page: the median of the pages; the whole job: N over the sum of its
   invocations), and DynamoDB calls, RCU and WCU per session re-rated, each beside the
   baseline's.
2. **What pricing adds to `POST /v1/sessions`.** The same write (a session on a task of a
   project at 36 an hour; in the personal workspace, and by a member in a shared workspace),
   warm, metered, in this tree and in the tree of the commit before pricing (the parent of
   the commit that added `services/rates.py`, exported with `git archive` to a temporary
   directory), each in a child process of this run (both measured the same way; the counts do
   not depend on timing). Without git history only this tree's figures are printed.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench.common import REPO, Stack, api_event, new_user
from bench.meter import Meter, metered
from bench.table import Figure, write_json
from local.template import REGION

PAGE = 100  # stint.rerating.PAGE, checked at the start of a run
OLD_RATE, NEW_RATE = 36, 72
_CHILD_FLAG = "--post-session-child"
# The event sources' ARNs the RerateFunction is handed (it reads neither).
STREAM_ARN = "arn:aws:dynamodb:us-east-1:123456789012:table/t/stream/s"
QUEUE_ARN = "arn:aws:sqs:us-east-1:123456789012:rerate"


# ----------------------------------------------------------------------------- 1: a job


@dataclass
class Run:
    """One invocation (a job's page, or the baseline's page): time, DynamoDB meter, sessions
    written."""

    seconds: float
    meter: Meter
    sessions: int


@dataclass
class Job:
    pages: list[Run] = field(default_factory=list)
    baseline: list[Run] = field(default_factory=list)
    stream_seconds: float = 0.0  # the stream record's invocation (queues the first job)
    queue_seconds: float = 0.0  # receive and delete of the jobs' messages, this side
    wall_seconds: float = 0.0  # from the stream record to an empty queue, baseline excluded


class SessionPuts:
    """How many sessions the TransactWriteItems sent while registered put (sk `SESSION#`)."""

    def __init__(self) -> None:
        self.count = 0

    def before(self, params: dict[str, Any], **_: Any) -> None:
        for action in params.get("TransactItems", []):
            put = action.get("Put")
            if put and str(put["Item"]["sk"]["S"]).startswith("SESSION#"):
                self.count += 1


def _sessions(user_id: str, task_id: str, count: int) -> None:
    """`count` finished sessions of the task, 100 a call of the batch service (not atomic)."""
    from stint.models import SessionBatch
    from stint.services import batch
    from stint.services.common import Caller

    caller = Caller(user_id, user_id)
    for first in range(0, count, PAGE):
        operations = [
            {
                "op": "create",
                "body": {
                    "task": {"id": task_id},
                    "session": {
                        "startTimestamp": (
                            f"2026-{9 + n // 672 % 3:02d}-{1 + n // 24 % 28:02d}"
                            f"T{n % 24:02d}:{n % 60:02d}:00Z"
                        ),
                        "duration": 60 + n % 3600,
                    },
                },
            }
            for n in range(first, min(first + PAGE, count))
        ]
        batch.run(caller, SessionBatch.model_validate({"atomic": False, "operations": operations}))


def _item(table: str, pk: str, sk: str) -> dict[str, Any]:
    from stint.store import dynamodb

    key = {"pk": {"S": pk}, "sk": {"S": sk}}
    return dict(dynamodb().get_item(TableName=table, Key=key, ConsistentRead=True)["Item"])


def _sessions_query(table: str, pk: str, start: Any) -> Any:
    """A consistent Query of the partition's sessions, from `start` (None: the first)."""
    return {
        "TableName": table,
        "KeyConditionExpression": "pk = :pk AND begins_with(sk, :prefix)",
        "ExpressionAttributeValues": {":pk": {"S": pk}, ":prefix": {"S": "SESSION#"}},
        "ConsistentRead": True,
        **({"ExclusiveStartKey": start} if start else {}),
    }


def _baseline_page(table: str, pk: str, start: dict[str, Any] | None) -> tuple[Run, Any]:
    """A plain consistent Query of a page of the partition's sessions and one
    TransactWriteItems putting them back as read (plain boto3; no pricing, counter or
    conditions): the run, and where the next page starts."""
    from stint.store import dynamodb

    client = dynamodb()
    request = {**_sessions_query(table, pk, start), "Limit": PAGE}
    with metered(client) as meter:
        began = time.perf_counter()
        page = client.query(**request)
        items = page.get("Items", [])
        if items:
            client.transact_write_items(
                TransactItems=[{"Put": {"TableName": table, "Item": item}} for item in items]
            )
        seconds = time.perf_counter() - began
    return Run(seconds, meter, len(items)), page.get("LastEvaluatedKey")


def _job(stack: Stack, sessions: int) -> Job:
    """A user's project of `sessions` sessions, its rate changed, the whole re-rating job run."""
    # Here, not at the top: the child run in the tree before pricing imports this module, and
    # its local/ has neither.
    from local.queues import lambda_sqs_event
    from local.streams import lambda_modify_event
    from stint import aws, rerating
    from stint.config import settings
    from stint.models import ProjectFields, TaskFields
    from stint.services import catalog
    from stint.services.common import Caller
    from stint.services.tasks import create_task
    from stint.store import dynamodb

    assert rerating.PAGE == PAGE, rerating.PAGE
    table = settings().table_name
    queue_url = stack.function("RerateFunction").environment["RERATE_QUEUE_URL"]
    user_id = new_user()
    caller = Caller(user_id, user_id)
    project = catalog.create_project(caller, ProjectFields(title="Rated", hourlyRate=OLD_RATE))
    project_id = str(project.entity["id"])
    task = create_task(caller, TaskFields(title="T", projectId=project_id))
    began = time.perf_counter()
    _sessions(user_id, str(task.entity["id"]), sessions)
    print(f"({sessions:,} sessions written: {time.perf_counter() - began:.1f} s)")

    pk, sk = f"USER#{user_id}", f"PROJECT#{project_id}"
    old = _item(table, pk, sk)
    changed = stack.call(
        "CatalogFunction",
        "PATCH",
        f"/v1/projects/{project_id}",
        user_id,
        body={"project": {"hourlyRate": NEW_RATE}},
    )
    assert changed["statusCode"] == 200, changed
    keys = {"pk": {"S": pk}, "sk": {"S": sk}}
    event = lambda_modify_event(keys, old, _item(table, pk, sk), arn=STREAM_ARN, region=REGION)

    job = Job()
    sqs = aws.client("sqs")
    puts = SessionPuts()
    events = dynamodb().meta.events
    events.register("provide-client-params.dynamodb.TransactWriteItems", puts.before)
    start_key: Any = None
    try:
        began = time.perf_counter()
        assert stack.invoke("RerateFunction", event) == {"batchItemFailures": []}
        job.stream_seconds = time.perf_counter() - began
        while True:
            received = time.perf_counter()
            messages = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=1)
            job.queue_seconds += time.perf_counter() - received
            if not messages.get("Messages"):
                break
            message = messages["Messages"][0]
            before = puts.count
            with metered(dynamodb()) as meter:
                invoked = time.perf_counter()
                event = lambda_sqs_event([message], arn=QUEUE_ARN, region=REGION)
                answer = stack.invoke("RerateFunction", event)
                seconds = time.perf_counter() - invoked
            assert answer == {"batchItemFailures": []}, answer
            job.pages.append(Run(seconds, meter, puts.count - before))
            deleted = time.perf_counter()
            sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=message["ReceiptHandle"])
            job.queue_seconds += time.perf_counter() - deleted
            # Interleaved: the baseline on the same page (putting back what was re-rated).
            if len(job.baseline) < sessions // PAGE + 1:
                run, start_key = _baseline_page(table, pk, start_key)
                job.baseline.append(run)
        job.wall_seconds = (
            job.stream_seconds + job.queue_seconds + sum(p.seconds for p in job.pages)
        )
    finally:
        events.unregister("provide-client-params.dynamodb.TransactWriteItems", puts.before)
    _check(table, pk, sessions, job)
    return job


def _check(table: str, pk: str, sessions: int, job: Job) -> None:
    """Every session carries the new rate, and the job wrote each once."""
    from stint.store import dynamodb

    rated, start = 0, None
    while True:
        page = dynamodb().query(**_sessions_query(table, pk, start))
        rated += sum(
            1 for i in page["Items"] if i.get("billableRate", {}).get("N") == str(NEW_RATE)
        )
        start = page.get("LastEvaluatedKey")
        if not start:
            break
    written = sum(p.sessions for p in job.pages)
    assert rated == written == sessions, (rated, written, sessions)


# ----------------------------------------------------------------------------- 2: one write


def _post_session_child() -> None:
    """In a child process (of this tree or the one before pricing): a warm `POST /v1/sessions`
    metered, personal and shared; one JSON line. Uses only what both trees have."""
    from bench.shared_workspaces import _join, _user
    from stint.models import ProjectFields, TaskFields, WorkspaceFields
    from stint.services import catalog, workspaces
    from stint.services.tasks import create_task
    from stint.store import dynamodb

    stack = Stack()
    try:
        owner, member = _user("owner"), _user("member")
        shared = str(
            workspaces.create_workspace(owner.caller, WorkspaceFields(name="Client")).entity["id"]
        )
        _join(owner, shared, member)
        answers: dict[str, Any] = {}
        for case, writer, workspace in (
            ("personal", owner, None),
            ("shared", member, shared),
        ):
            where = {"workspaceId": workspace} if workspace else {}
            fields = ProjectFields(title=f"P {case}", hourlyRate=OLD_RATE, **where)
            project = catalog.create_project(owner.caller, fields).entity
            task_fields = TaskFields(title="T", projectId=str(project["id"]))
            task_id = str(create_task(owner.caller, task_fields).entity["id"])
            meters = []
            for n in range(4):  # the first warms the environment for the writer
                body = {
                    "task": {"id": task_id},
                    "session": {"startTimestamp": f"2026-10-0{1 + n}T09:00:00Z", "duration": 1800},
                }
                event = api_event("POST", "/v1/sessions", writer.id, body=body)
                with metered(dynamodb()) as meter:
                    answer = stack.invoke("SessionsFunction", event)
                assert answer["statusCode"] == 201, answer
                meters.append(meter)
            last = meters[-1]
            answers[case] = {
                "calls": last.calls,
                "operations": last.operations(),
                "rcu": last.rcu,
                "wcu": last.wcu,
                "items": last.items,
                "same": all(m.calls == last.calls and m.rcu == last.rcu for m in meters[1:]),
                "amount": json.loads(answer["body"])["session"].get("amount"),
            }
    finally:
        stack.stop()
    print("POST-SESSION " + json.dumps(answers), flush=True)


def _before_pricing() -> str | None:
    """The commit before pricing: the parent of the one that added services/rates.py."""
    try:
        added = subprocess.run(
            [
                "git",
                "log",
                "--format=%H",
                "--diff-filter=A",
                "--",
                "layers/stint/python/stint/services/rates.py",
            ],
            cwd=REPO,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.split()
        if not added:
            return None
        parent = subprocess.run(
            ["git", "rev-parse", f"{added[-1]}^"],
            cwd=REPO,
            capture_output=True,
            text=True,
            check=True,
        )
        return parent.stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return None


def _post_session(tree: Path) -> dict[str, Any]:
    """The child's figures in `tree` (its bench.common: its layer, its template)."""
    done = subprocess.run(
        [sys.executable, "-m", "bench.rerating", _CHILD_FLAG],
        cwd=tree,
        capture_output=True,
        text=True,
        check=False,
    )
    line = next(
        (x for x in done.stdout.splitlines() if x.startswith("POST-SESSION ")),
        None,
    )
    if done.returncode != 0 or line is None:
        raise RuntimeError(f"the POST child in {tree} failed: {done.stderr[-2000:]}")
    answer: dict[str, Any] = json.loads(line.removeprefix("POST-SESSION "))
    return answer


def _post_sessions() -> tuple[dict[str, Any], dict[str, Any] | None, str | None]:
    """The write's figures in this tree, and in the tree before pricing (None: no history)."""
    now = _post_session(REPO)
    commit = _before_pricing()
    if commit is None:
        return now, None, None
    with tempfile.TemporaryDirectory(prefix="stint-before-pricing-") as tmp:
        tree = Path(tmp)
        archive = subprocess.run(
            ["git", "archive", commit], cwd=REPO, capture_output=True, check=True
        ).stdout
        subprocess.run(["tar", "-x", "-C", str(tree)], input=archive, check=True)
        shutil.copy(Path(__file__), tree / "bench" / "rerating.py")  # this child, in that tree
        before = _post_session(tree)
    return now, before, commit


# ----------------------------------------------------------------------------- the run


def _per_session(runs: list[Run]) -> tuple[float, float, float, int]:
    """Calls, RCU and WCU per session written, and the sessions."""
    sessions = sum(r.sessions for r in runs)
    calls = sum(r.meter.calls for r in runs)
    rcu = sum(r.meter.rcu for r in runs)
    wcu = sum(r.meter.wcu for r in runs)
    return calls / sessions, rcu / sessions, wcu / sessions, sessions


def _full(runs: list[Run]) -> list[Run]:
    return [r for r in runs if r.sessions == PAGE]


def _rate(runs: list[Run]) -> float:
    """Sessions a second of a full page: a page over the median page's time."""
    return PAGE / statistics.median(r.seconds for r in _full(runs))


def _print_job(job: Job, sessions: int) -> None:
    page, base = _full(job.pages)[0], _full(job.baseline)[0]
    for name, run in (("a job's page", page), ("baseline page", base)):
        meter = run.meter
        split = ", ".join(f"{o} {n}" for o, n in sorted(meter.rcu_by_operation.items()))
        print(
            f"{name} of {run.sessions} sessions: {meter.calls} calls ({meter.operations()}),"
            f" {meter.items} items read, {meter.rcu} RCU ({split}), {meter.wcu} WCU"
        )
    times = sorted(r.seconds * 1000 for r in _full(job.pages))
    base_times = sorted(r.seconds * 1000 for r in _full(job.baseline))
    print(
        f"full pages: {len(times)}; a job's page {statistics.median(times):.0f} ms median"
        f" ({times[0]:.0f}-{times[-1]:.0f}), baseline {statistics.median(base_times):.0f} ms"
        f" ({base_times[0]:.0f}-{base_times[-1]:.0f})"
    )
    calls, rcu, wcu, written = _per_session(job.pages)
    b_calls, b_rcu, b_wcu, _ = _per_session(job.baseline)
    invoked = sum(p.seconds for p in job.pages)
    print(
        f"whole job over {sessions:,} sessions: {len(job.pages)} invocations ({written:,}"
        f" sessions written, each once), {invoked:.1f} s invoked ({written / invoked:.0f}"
        f" sessions/s), {job.wall_seconds:.1f} s from the stream record to an empty queue (the"
        f" stream's invocation {job.stream_seconds * 1000:.0f} ms, receiving and deleting the"
        f" messages {job.queue_seconds:.1f} s); per session: {calls:.3f} calls, {rcu:.3f} RCU,"
        f" {wcu:.2f} WCU (baseline {b_calls:.3f} calls, {b_rcu:.3f} RCU, {b_wcu:.2f} WCU)"
    )


def _print_posts(now: dict[str, Any], before: dict[str, Any] | None, commit: str | None) -> None:
    for case, figures in now.items():
        line = (
            f"POST /v1/sessions, {case} workspace: {figures['calls']} calls"
            f" ({figures['operations']}), {figures['rcu']} RCU, {figures['wcu']} WCU"
        )
        if before is not None and commit is not None:
            was = before[case]
            line += (
                f"; before pricing ({commit[:7]}): {was['calls']} calls ({was['operations']}),"
                f" {was['rcu']} RCU, {was['wcu']} WCU"
            )
        if not figures["same"] or (before is not None and not before[case]["same"]):
            line += " (the warm writes differed: the last one is given)"
        print(line)


def _figures(
    job: Job, sessions: int, now: dict[str, Any], before: dict[str, Any] | None
) -> list[Figure]:
    calls, rcu, wcu, _ = _per_session(job.pages)
    b_calls, b_rcu, b_wcu, _ = _per_session(job.baseline)
    base = "plain Query + TransactWriteItems"
    job_name = f"re-rating job over {sessions:,} sessions"
    b_seconds = sum(r.seconds for r in job.baseline)
    figures = [
        Figure(
            f"re-rating, one page of {PAGE} sessions: sessions/s (moto)",
            _rate(job.pages),
            _rate(job.baseline),
            "sessions/s",
            None,
            base,
        ),
        Figure(
            f"{job_name}: sessions/s of invocation (moto)",
            sum(p.sessions for p in job.pages) / sum(p.seconds for p in job.pages),
            sum(r.sessions for r in job.baseline) / b_seconds,
            "sessions/s",
            None,
            base,
        ),
        Figure(f"{job_name}: calls per session", calls, b_calls, "", None, base),
        Figure(f"{job_name}: RCU per session", rcu, b_rcu, "RCU", None, base),
        Figure(f"{job_name}: WCU per session", wcu, b_wcu, "WCU", None, base),
    ]
    if before is not None:
        for case in now:
            name = f"POST /v1/sessions, {case} workspace, priced"
            was = "before pricing"
            figures += [
                Figure(f"{name}: calls", now[case]["calls"], before[case]["calls"], "", None, was),
                Figure(f"{name}: RCU", now[case]["rcu"], before[case]["rcu"], "RCU", None, was),
                Figure(f"{name}: WCU", now[case]["wcu"], before[case]["wcu"], "WCU", None, was),
            ]
    return figures


def run(sessions: int = 2000) -> list[Figure]:
    """Print the benchmark's lines; return its figures for `make bench`'s table."""
    began = time.perf_counter()
    stack = Stack()
    try:
        job = _job(stack, sessions)
    finally:
        stack.stop()
    now, before, commit = _post_sessions()
    seconds = time.perf_counter() - began
    _print_job(job, sessions)
    _print_posts(now, before, commit)
    print(f"(all of it: {seconds:.0f} s)")
    return _figures(job, sessions, now, before)


def main() -> None:
    if _CHILD_FLAG in sys.argv:
        _post_session_child()
        return
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--sessions", type=int, default=2000, help="sessions the job re-rates (default 2,000)"
    )
    parser.add_argument("--json", help="write the figures there")
    args = parser.parse_args()
    if args.sessions < PAGE:
        parser.error(f"--sessions: at least {PAGE} (a full page)")
    write_json(run(args.sessions), args.json)


if __name__ == "__main__":
    main()

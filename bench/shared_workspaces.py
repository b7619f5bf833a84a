"""Shared workspaces: a member's sync, a workspace's report, a burst of members writing at once.

    .venv/bin/python -m bench.shared_workspaces [--rounds 3]

One team, made through the services in this process against the emulator (`bench.common.Stack`:
moto behind one lock, as the local stack runs it; members invited and accepted with verified
emails from the emulated user pool): an owner with 10 shared workspaces, a member in all 10, 50
colleagues in all 10, a manager in the first. The first workspace holds a month (October 2026) of
the colleagues' sessions, 20 each on 50 tasks in 10 projects. Every call measured goes through
its function's real handler, warm; what its DynamoDB calls cost is counted by `bench.meter`
(calls, items, capacity by DynamoDB's rules, moto's `ConsumedCapacity` printed beside).

1. **A member's sync.** The member syncs to the end (their token), then writes one session in
   each of the 10 workspaces; the incremental sync from the token (every page) is the figure.
   Baseline: a one-workspace account (a user in no shared workspace), synced to the end, with 10
   sessions written since, synced the same way. The design minimum of that sync's calls is
   2 + W (W = 11 workspaces, the personal one included): Query memberships, one BatchGetItem of
   the records and every counter, then a Query of its changes per workspace.
2. **The same sync while colleagues write.** Each of the 50 colleagues then writes one session in
   each workspace (500, between the token and the sync), and the member syncs from the same
   token again: the same answer (their 10 sessions). Goal: the same read capacity. A shared
   workspace's catalog and each member's sessions are streams of their own (docs/DESIGN.md,
   "Workspaces"), each read only when its counter moved, so the colleagues' sessions are never
   read.
3. **A workspace's month** (`GET /v1/reports/summary?workspaceId=` for October) asked by the
   manager: its read capacity beside a plain consistent Query of the workspace's `byStart` range;
   its calls beside the design minimum (the workspace's record, for the caller's role; the
   range's pages; one BatchGetItem of the tasks the range names, one of their projects).
4. **A burst of 50 members writing at once** in the first workspace: each colleague's
   `POST /v1/sessions` through the Sessions function's handler, all 50 in threads released
   together (in process, against the emulator; concurrent calls of a function each get an
   execution environment of their own, as in Lambda; a burst and a round one at a time before,
   not measured, warm 50 of them). Every write of the workspace races for its counter: a
   loser's transaction is cancelled and sent again with a fresh counter
   (`stint.store.transactions.send`), counted here on the DynamoDB client's events (every
   cancelled `TransactWriteItems` and which of its conditions failed).
   Interleaved with the baseline, the same 50 writes one at a time; p50 and p99 of every write,
   transactions sent per write (1 + retries), writes that succeeded. moto answers one call at a
   time (the emulator's lock), so it never reports a `TransactionConflict`: the races here are
   the counter's only, and the latencies are mostly queueing for the emulator.
"""

from __future__ import annotations

import argparse
import json
import statistics
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from bench.common import Stack, api_event
from bench.meter import Meter, metered
from bench.table import Figure, write_json

WORKSPACES = 10
COLLEAGUES = 50
CHANGES = 10  # the member's: one session in each workspace
MONTH_SESSIONS = 20  # each colleague's in October, in the first workspace
PROJECTS, TASKS_EACH = 10, 5
MONTH = {"from": "2026-10-01T00:00:00Z", "to": "2026-11-01T00:00:00Z"}
T = TypeVar("T")


@dataclass(frozen=True)
class User:
    id: str
    email: str

    @property
    def caller(self) -> Any:
        from stint.services.common import Caller

        return Caller(self.id, self.id)


def _user(name: str) -> User:
    """A user of the emulated pool with a verified email and a profile (as sign-up makes)."""
    from stint import aws
    from stint.config import settings
    from stint.services.users import create_profile

    email = f"{name.replace(' ', '-')}-{uuid.uuid4().hex[:6]}@bench.local"
    attributes = [{"Name": "email", "Value": email}, {"Name": "email_verified", "Value": "true"}]
    created = aws.client("cognito-idp").admin_create_user(
        UserPoolId=settings().user_pool_id,
        Username=email,
        UserAttributes=attributes,
        MessageAction="SUPPRESS",
    )["User"]
    user_id = next(a["Value"] for a in created["Attributes"] if a["Name"] == "sub")
    create_profile(user_id, email, name)
    return User(user_id, email)


def _join(owner: User, workspace_id: str, user: User, role: str = "member") -> None:
    """The owner invites the user's email; the user accepts."""
    from stint.models import MemberBody
    from stint.services import invitations

    body = MemberBody.model_validate({"email": user.email, "role": role})
    invitation = invitations.invite(owner.caller, workspace_id, body).entity
    invitations.accept_invitation(user.caller, invitation["id"])


def _session_body(task_id: str, start: str) -> dict[str, Any]:
    return {"task": {"id": task_id}, "session": {"startTimestamp": start, "duration": 1800}}


def _write(user: User, task_id: str, start: str) -> None:
    from stint.models import SessionBody
    from stint.services.sessions import write_session

    write_session(user.caller, SessionBody.model_validate(_session_body(task_id, start)))


@dataclass
class Team:
    owner: User
    member: User
    manager: User
    colleagues: list[User]
    solo: User  # the one-workspace account
    workspaces: list[str]
    tasks: list[list[str]]  # per workspace


def _shared_workspace(owner: User, n: int, joining: list[User]) -> tuple[str, list[str]]:
    """The owner's workspace `Client n`, which `joining` join: its id and its tasks (the first
    workspace: PROJECTS projects of TASKS_EACH tasks; the others: one of one)."""
    from stint.models import ProjectFields, TaskFields, WorkspaceFields
    from stint.services import catalog, workspaces
    from stint.services.tasks import create_task

    made = workspaces.create_workspace(owner.caller, WorkspaceFields(name=f"Client {n}"))
    workspace_id = str(made.entity["id"])
    for user in joining:
        _join(owner, workspace_id, user)
    projects, tasks_each = (PROJECTS, TASKS_EACH) if n == 0 else (1, 1)
    tasks = []
    for p in range(projects):
        fields = ProjectFields(title=f"Project {p}", workspaceId=workspace_id)
        project_id = str(catalog.create_project(owner.caller, fields).entity["id"])
        for t in range(tasks_each):
            task = create_task(owner.caller, TaskFields(title=f"Task {t}", projectId=project_id))
            tasks.append(str(task.entity["id"]))
    return workspace_id, tasks


def _team() -> Team:
    from stint.models import SessionBatch
    from stint.services import batch

    owner, member, manager, solo = (_user(n) for n in ("owner", "member", "manager", "solo"))
    colleagues = [_user(f"colleague {n}") for n in range(COLLEAGUES)]
    made = [_shared_workspace(owner, n, [member, *colleagues]) for n in range(WORKSPACES)]
    ids, tasks = [w for w, _ in made], [t for _, t in made]
    _join(owner, ids[0], manager, "manager")
    month = tasks[0]
    for c, colleague in enumerate(colleagues):  # their October in the first workspace
        operations = [
            {
                "op": "create",
                "body": _session_body(
                    month[(c + s) % len(month)], f"2026-10-{1 + s:02d}T{8 + c % 10:02d}:00:00Z"
                ),
            }
            for s in range(MONTH_SESSIONS)
        ]
        batch.run(colleague.caller, SessionBatch.model_validate({"operations": operations}))
    return Team(owner, member, manager, colleagues, solo, ids, tasks)


# ----------------------------------------------------------------------------- 1, 2: sync


def _sync_pages(stack: Stack, user: User, token: str) -> tuple[str, list[dict[str, Any]]]:
    """Sync from `token` (`*`: a full sync) to the end: the last token and every page."""
    pages = []
    while True:
        query = {} if token == "*" else {"syncToken": token}
        response = stack.invoke("SyncFunction", api_event("GET", "/v1/sync", user.id, query=query))
        assert response["statusCode"] == 200, response
        page = json.loads(response["body"])
        pages.append(page)
        token = page["syncToken"]
        if not page["hasMore"]:
            return token, pages


def _sessions(pages: list[dict[str, Any]]) -> set[str]:
    return {str(session["id"]) for page in pages for session in page.get("sessions", [])}


@dataclass
class Synced:
    """An incremental sync, every page of it, metered."""

    meter: Meter
    pages: int


def _metered_sync(stack: Stack, user: User, token: str, expected: set[str]) -> Synced:
    """The sync from `token`, whose answer must be the `expected` sessions, metered."""
    from stint.store import dynamodb

    with metered(dynamodb()) as meter:
        _, pages = _sync_pages(stack, user, token)
    got = _sessions(pages)
    assert got == expected, (len(got), len(expected))
    return Synced(meter, len(pages))


def _syncs(stack: Stack, team: Team) -> tuple[Synced, Synced, Synced]:
    """The one-workspace account's sync of 10 changes, the member's, and the member's again
    after the colleagues wrote (from the same token: the same answer)."""
    from stint.models import TaskFields
    from stint.services.tasks import create_task

    member, solo = team.member, team.solo
    solo_task = str(create_task(solo.caller, TaskFields(title="work")).entity["id"])
    member_token, _ = _sync_pages(stack, member, "*")
    solo_token, _ = _sync_pages(stack, solo, "*")
    for n in range(CHANGES):
        _write(solo, solo_task, f"2026-11-{2 + n:02d}T09:00:00Z")
        _write(member, team.tasks[n % WORKSPACES][0], f"2026-11-{2 + n:02d}T09:00:00Z")
    # Once unmetered: what the answer is, and the functions' environments warm for both users.
    own = _sessions(_sync_pages(stack, member, member_token)[1])
    solo_own = _sessions(_sync_pages(stack, solo, solo_token)[1])
    assert len(own) == len(solo_own) == CHANGES, (len(own), len(solo_own))
    alone = _metered_sync(stack, solo, solo_token, solo_own)
    quiet = _metered_sync(stack, member, member_token, own)

    def colleagues_write() -> None:
        for c, colleague in enumerate(team.colleagues):
            for w in range(WORKSPACES):
                start = f"2026-11-{2 + c % 20:02d}T{10 + w:02d}:{c % 60:02d}:00Z"
                _write(colleague, team.tasks[w][0], start)

    _timed(f"{COLLEAGUES * WORKSPACES} colleagues' sessions written", colleagues_write)
    busy = _metered_sync(stack, member, member_token, own)
    return alone, quiet, busy


# ----------------------------------------------------------------------------- 3: the report


def _report(stack: Stack, team: Team) -> tuple[Meter, Meter]:
    """The first workspace's October as its manager asks for it (warm), metered; and a plain
    consistent Query of the same range of its partition, metered."""
    from stint.store import Store, dynamodb

    query = {**MONTH, "workspaceId": team.workspaces[0]}
    event = api_event("GET", "/v1/reports/summary", team.manager.id, query=query)
    stack.invoke("ReportsFunction", event)  # warm
    with metered(dynamodb()) as report:
        answer = stack.invoke("ReportsFunction", event)
    assert answer["statusCode"] == 200, answer
    totals = json.loads(answer["body"])["totals"]
    assert totals["sessions"] == COLLEAGUES * MONTH_SESSIONS, totals
    low, high = "2026-10-01T00:00:00.000Z", "2026-11-01T00:00:00.000Z"
    store = Store(team.manager.id, team.workspaces[0])
    with metered(dynamodb()) as plain:
        found = list(store.query_all(between=(low, high), index="byStart", page_size=1000))
    assert len(found) == COLLEAGUES * MONTH_SESSIONS, len(found)
    return report, plain


# ----------------------------------------------------------------------------- 4: the burst


@dataclass
class Transactions:
    """Every TransactWriteItems the DynamoDB client sends (any thread): how many, how many were
    cancelled, and which conditions failed (the counter's: a lost race, sent again)."""

    sent: int = 0
    cancelled: int = 0
    calls: int = 0
    failed_on: Counter[str] = field(default_factory=Counter)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def before(self, params: dict[str, Any], context: dict[str, Any], **_: Any) -> None:
        """Keep the sort key of each action's item, to name a failed condition's item."""
        sks = []
        for action in params.get("TransactItems", []):
            ((_verb, request),) = action.items()
            sks.append((request.get("Key") or request["Item"])["sk"]["S"])
        context["bench_sks"] = sks

    def after(self, parsed: dict[str, Any], model: Any, context: dict[str, Any], **_: Any) -> None:
        with self._lock:
            self.calls += 1
            if model.name != "TransactWriteItems":
                return
            self.sent += 1
            if parsed.get("Error", {}).get("Code") != "TransactionCanceledException":
                return
            self.cancelled += 1
            sks = context.get("bench_sks", [])
            for n, reason in enumerate(parsed.get("CancellationReasons") or []):
                code = reason.get("Code") or "None"
                if code != "None":
                    sk = sks[n] if n < len(sks) else "?"
                    self.failed_on[f"{code} on {sk.split('#')[0]}"] += 1


@dataclass
class Writes:
    latencies_ms: list[float] = field(default_factory=list)
    failures: Counter[str] = field(default_factory=Counter)
    transactions: Transactions = field(default_factory=Transactions)

    @property
    def count(self) -> int:
        return len(self.latencies_ms)

    def percentile(self, p: float) -> float:
        """As bench.peer: the value at rank round(p% of n-1) of the sorted values."""
        values = sorted(self.latencies_ms)
        return values[min(len(values) - 1, round(p / 100 * (len(values) - 1)))]


def _writes(
    stack: Stack, writers: list[User], task_id: str, starts: list[str], *, at_once: bool
) -> Writes:
    """Each writer POSTs a session (its start from `starts`): all at once (threads released
    together) or one after another. Their latencies and the transactions they sent."""
    from stint.store import dynamodb

    result = Writes()
    lock = threading.Lock()
    gate = threading.Barrier(len(writers) if at_once else 1)

    def write(user: User, start: str) -> None:
        event = api_event("POST", "/v1/sessions", user.id, body=_session_body(task_id, start))
        gate.wait()
        began = time.perf_counter()
        try:
            status = stack.invoke("SessionsFunction", event)["statusCode"]
            outcome = "" if status == 201 else f"HTTP {status}"
        except Exception as error:  # counted, not raised: a benchmark reports
            outcome = type(error).__name__
        took = (time.perf_counter() - began) * 1000
        with lock:
            result.latencies_ms.append(took)
            if outcome:
                result.failures[outcome] += 1

    events = dynamodb().meta.events
    events.register("provide-client-params.dynamodb.TransactWriteItems", result.transactions.before)
    events.register("after-call.dynamodb", result.transactions.after)
    try:
        if at_once:
            threads = [
                threading.Thread(target=write, args=pair)
                for pair in zip(writers, starts, strict=True)
            ]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
        else:
            for user, start in zip(writers, starts, strict=True):
                write(user, start)
    finally:
        events.unregister(
            "provide-client-params.dynamodb.TransactWriteItems", result.transactions.before
        )
        events.unregister("after-call.dynamodb", result.transactions.after)
    return result


def _merged(rounds: list[Writes]) -> Writes:
    total = Writes()
    for one in rounds:
        total.latencies_ms += one.latencies_ms
        total.failures.update(one.failures)
        total.transactions.sent += one.transactions.sent
        total.transactions.cancelled += one.transactions.cancelled
        total.transactions.calls += one.transactions.calls
        total.transactions.failed_on.update(one.transactions.failed_on)
    return total


def _burst(stack: Stack, team: Team, rounds: int) -> tuple[Writes, Writes]:
    """A warm-up burst, then `rounds` of (the 50 writes one at a time, the 50 at once)."""
    writers, task_id = team.colleagues, team.tasks[0][0]
    made = iter(range(10_000))

    def starts() -> list[str]:  # December, an hour apart
        return [
            f"2026-12-{1 + n // 24 % 28:02d}T{n % 24:02d}:00:00Z"
            for n in (next(made) for _ in writers)
        ]

    # Warm: 50 execution environments (a burst), then one at a time once.
    _writes(stack, writers, task_id, starts(), at_once=True)
    _writes(stack, writers, task_id, starts(), at_once=False)
    alone, together = [], []
    for _ in range(rounds):
        alone.append(_writes(stack, writers, task_id, starts(), at_once=False))
        together.append(_writes(stack, writers, task_id, starts(), at_once=True))
    return _merged(alone), _merged(together)


# ----------------------------------------------------------------------------- the run


def _timed(label: str, action: Callable[[], T]) -> T:
    began = time.perf_counter()
    result = action()
    print(f"({label}: {time.perf_counter() - began:.1f} s)")
    return result


def _split(meter: Meter) -> str:
    return ", ".join(f"{op} {n}" for op, n in sorted(meter.rcu_by_operation.items()))


def _print_syncs(alone: Synced, quiet: Synced, busy: Synced) -> None:
    colleague_sessions = COLLEAGUES * WORKSPACES
    for name, synced in (
        ("one-workspace account", alone),
        (f"member of {WORKSPACES} workspaces", quiet),
        (f"the same, {colleague_sessions} colleagues' sessions since", busy),
    ):
        meter = synced.meter
        print(
            f"sync of {CHANGES} changes, {name}: {synced.pages} page(s), {meter.calls} calls"
            f" ({meter.operations()}), {meter.items} items read, {meter.rcu} RCU"
            f" ({_split(meter)}; moto says {meter.moto_capacity:g})"
        )
    extra = busy.meter.rcu - quiet.meter.rcu
    print(
        f"colleagues writing: {extra:+} RCU ({extra / quiet.meter.rcu:+.0%}) for the same answer,"
        f" {busy.pages - quiet.pages:+} page(s); design minimum of the calls: {_sync_minimum()}"
        f" (2 + {WORKSPACES + 1} workspaces)"
    )


def _sync_minimum() -> int:
    """Query memberships, BatchGetItem records + counters, a Query of changes a workspace."""
    return 2 + WORKSPACES + 1  # the personal workspace too


def _report_minimum(plain: Meter) -> int:
    """GetItem the record (the caller's role), the range's pages, BatchGetItem tasks, projects."""
    return 3 + plain.calls


def _print_report(report: Meter, plain: Meter) -> None:
    print(
        f"report of a workspace's month ({plain.returned:,} sessions of {COLLEAGUES} members),"
        f" by its manager: {report.calls} calls ({report.operations()}), {report.items:,} items,"
        f" {report.rcu} RCU ({_split(report)}; moto says {report.moto_capacity:g}); a plain"
        f" Query of the range: {plain.calls} call(s), {plain.items:,} items, {plain.rcu} RCU;"
        f" design minimum of the calls: {_report_minimum(plain)}"
    )


def _print_writes(alone: Writes, together: Writes) -> None:
    for name, writes in (("one at a time", alone), (f"{COLLEAGUES} at once", together)):
        sent = writes.transactions
        reasons = ", ".join(f"{n} {why}" for why, n in sent.failed_on.most_common()) or "none"
        failures = ", ".join(f"{n} {why}" for why, n in writes.failures.items()) or "0"
        print(
            f"writes in one workspace, {name}: {writes.count} writes, p50"
            f" {writes.percentile(50):.1f} ms, p99 {writes.percentile(99):.1f} ms, mean"
            f" {statistics.fmean(writes.latencies_ms):.1f} ms; {sent.sent} transactions,"
            f" {sent.cancelled} cancelled and sent again ({sent.cancelled / writes.count:.2f}"
            f" retries per write; failed conditions: {reasons}); {sent.calls / writes.count:.1f}"
            f" DynamoDB calls per write; failed writes: {failures}"
        )


def _figures(
    syncs: tuple[Synced, Synced, Synced], report: Meter, plain: Meter, writes: tuple[Writes, Writes]
) -> list[Figure]:
    (alone, quiet, busy), (one_by_one, together) = syncs, writes
    one = "one-workspace account"
    sync = f"sync of {CHANGES} changes, member of {WORKSPACES} workspaces"
    busy_sync = f"{sync}, {COLLEAGUES} colleagues writing"
    no_colleagues = "no colleagues writing"
    month = f"workspace month's report, manager of {COLLEAGUES} members"
    burst = f"burst of {COLLEAGUES} members writing in one workspace"
    singly = "the same writes one at a time"
    design = "design minimum"
    ranged = "a plain Query of the range"
    q, b = quiet.meter, busy.meter
    return [
        Figure(f"{sync}: calls", q.calls, alone.meter.calls, "", None, one),
        Figure(f"{sync}: calls", q.calls, _sync_minimum(), "", ("<=", 1.0), design),
        Figure(f"{sync}: read capacity", q.rcu, alone.meter.rcu, "RCU", None, one),
        Figure(f"{busy_sync}: read capacity", b.rcu, q.rcu, "RCU", ("<=", 1.0), no_colleagues),
        Figure(f"{busy_sync}: items read", b.items, q.items, "items", None, no_colleagues),
        Figure(f"{busy_sync}: calls", b.calls, q.calls, "", None, no_colleagues),
        Figure(f"{month}: read capacity", report.rcu, plain.rcu, "RCU", None, ranged),
        Figure(f"{month}: calls", report.calls, _report_minimum(plain), "", ("<=", 1.0), design),
        Figure(
            f"{burst}: p50 latency (moto)",
            together.percentile(50),
            one_by_one.percentile(50),
            "ms",
            None,
            singly,
        ),
        Figure(
            f"{burst}: p99 latency (moto)",
            together.percentile(99),
            one_by_one.percentile(99),
            "ms",
            None,
            singly,
        ),
        Figure(
            f"{burst}: transactions per write (1 + retries)",
            together.transactions.sent / together.count,
            one_by_one.transactions.sent / one_by_one.count,
            "",
            None,
            singly,
        ),
        Figure(
            f"{burst}: writes that succeeded",
            together.count - sum(together.failures.values()),
            together.count,
            "",
            (">=", 1.0),
            "writes made",
        ),
    ]


def run(rounds: int = 3) -> list[Figure]:
    """Print the benchmark's lines; return its figures for `make bench`'s table."""
    stack = Stack()
    try:
        began = time.perf_counter()
        team = _timed("the team, its workspaces and its month made", _team)
        syncs = _syncs(stack, team)
        report, plain = _report(stack, team)
        writes = _timed("the bursts", lambda: _burst(stack, team, rounds))
        seconds = time.perf_counter() - began
    finally:
        stack.stop()
    _print_syncs(*syncs)
    _print_report(report, plain)
    _print_writes(*writes)
    print(f"(all of it: {seconds:.0f} s)")
    return _figures(syncs, report, plain, writes)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=3, help="bursts measured, as many one by one")
    parser.add_argument("--json", help="write the figures there")
    args = parser.parse_args()
    write_json(run(args.rounds), args.json)


if __name__ == "__main__":
    main()

"""Re-rating (docs/DESIGN.md, "Money"): when a rate changes, the sessions it governs are priced
again, in the background, a bounded page at a time.

The table's stream says what changed (`jobs_of`): a project's rates or rounding (its
sessions), a task's `billable` (its project's sessions), a workspace's billable rate (all its
sessions) or a member's rates (that member's sessions). Each becomes a job on the re-rating
queue; a job prices one page of the workspace's sessions (`rerate_page`), writes those whose
rates, amount or cost differ, conditioned on the seq each was read at, and names the next page.
So a job does bounded work per invocation, resumes from its cursor, and is exactly-once in
effect however often it runs: a page run again finds its sessions priced already and writes
nothing, and each session re-rated is one change that sync and webhooks see. Locked sessions
(before the workspace's `lockedBefore`, or in a member's submitted or approved period) keep
what they carry, the lock held as a condition of the page's commit as a member's write holds
it (`services/locks.py`). A write made with `rerate=false`
carries `keepRates` on its item, and no job comes of it.

A session write prices from what it read, and may commit after the job has passed its page: it
read the old rates before the change committed, and its commit came later (a retry, a slow
function). Such a write commits within the API functions' timeout of the change, so when a job
has gone through every page it runs once more, a sweep, `SWEEP_DELAY_S` later: the sweep finds
and re-rates any session priced on the old rates meanwhile, and writes nothing else.
"""

from __future__ import annotations

import logging
import time
from dataclasses import asdict, dataclass, replace
from typing import Any

from stint import dispatch, jsonio
from stint.errors import Conflict, ServiceUnavailable
from stint.services import locks, rates
from stint.store import (
    WORKSPACE_SK,
    Change,
    Put,
    StaleRead,
    UnitOfWork,
    entity_of,
    from_item,
    retrying,
    user_of,
    workspace_of,
)

log = logging.getLogger(__name__)

PAGE = 100  # sessions a job reads per step
# Tries of a page in one run while DynamoDB throttles or fails (after botocore's own retries):
# a run that fails leaves its job to come back only after the queue's visibility timeout
# (6 minutes), and a job is a chain of pages, so every failed run delays all the pages after it.
PAGE_ATTEMPTS = 4
_PAGE_BACKOFF_SECONDS = 0.2
KEEP_RATES = "keepRates"  # on an item written with `rerate=false`: no re-rating comes of it
# What a project's sessions are priced by, beside the members' rates.
_PROJECT_PRICING = ("hourlyRate", "roundingMethod", "roundingMinutes")
# Any user id: a shared workspace's store is that workspace's partition whoever writes.
_ANYONE = "-"
# After the last page, the sweep's delay: over the API functions' timeout (15 s in template.yaml),
# by which any write that priced a session on the old rates has committed or failed.
SWEEP_DELAY_S = 60


@dataclass(frozen=True)
class Job:
    """Re-rate the sessions of a workspace (of one project and / or one member), from `cursor`
    on (None: the first page)."""

    workspace_id: str
    personal: bool
    project_id: str | None = None
    user_id: str | None = None
    cursor: str | None = None
    failures: int = 0  # runs of this page that failed (functions/rerate: queued again)
    sweep: bool = False  # the pass after the last page (see the module's docstring)

    def to_message(self) -> str:
        return jsonio.dumps(asdict(self))

    @classmethod
    def from_message(cls, body: str) -> Job:
        return cls(**jsonio.loads(body))

    def store(self) -> UnitOfWork:
        return UnitOfWork(self.workspace_id if self.personal else _ANYONE, self.workspace_id)


# ----------------------------------------------------------------------------- what changed


def jobs_of(record: dict[str, Any]) -> list[Job]:
    """The re-rating jobs one stream record asks for (none for most)."""
    change = record.get("dynamodb") or {}
    if not change.get("NewImage") or not change.get("OldImage"):
        return []  # a creation prices its own sessions when they are written; a removal: none
    new, old = from_item(change["NewImage"]), from_item(change["OldImage"])
    if new.get(KEEP_RATES):
        return []
    pk, sk = str(new["pk"]), str(new["sk"])
    personal = user_of(pk) is not None
    workspace_id = user_of(pk) or workspace_of(pk)
    if workspace_id is None:
        return []
    if new.get("kind") == "project" and _project_repriced(old, new):
        return [Job(workspace_id, personal, project_id=str(new["id"]))]
    if new.get("kind") == "task" and new.get("billable", True) != old.get("billable", True):
        return [Job(workspace_id, personal, project_id=str(new["projectId"]))]
    if sk == WORKSPACE_SK:
        return _workspace_jobs(workspace_id, personal, old, new)
    return []


def _project_repriced(old: dict[str, Any], new: dict[str, Any]) -> bool:
    return any(old.get(f) != new.get(f) for f in _PROJECT_PRICING) or _rates_by_user(
        old
    ) != _rates_by_user(new)


def _rates_by_user(holder: dict[str, Any]) -> dict[str, tuple[Any, Any]]:
    return {
        str(m["userId"]): (m.get("billableRate"), m.get("costRate"))
        for m in holder.get("members") or ()
    }


def _workspace_jobs(
    workspace_id: str, personal: bool, old: dict[str, Any], new: dict[str, Any]
) -> list[Job]:
    if (old.get("settings") or {}).get("billableRate") != (new.get("settings") or {}).get(
        "billableRate"
    ):
        return [Job(workspace_id, personal)]  # every session: the last resort changed
    before, after = _rates_by_user(old), _rates_by_user(new)
    changed = sorted(u for u in after.keys() & before.keys() if before[u] != after[u])
    return [Job(workspace_id, personal, user_id=user) for user in changed]


# ----------------------------------------------------------------------------- a page


def rerate_page(job: Job) -> tuple[int, Job | None]:
    """Price one page of the job's sessions and write those that changed; how many it wrote,
    and the job of the next page (None: done)."""

    def attempt() -> tuple[int, str | None]:
        store = job.store()
        records, token = store.query_page(
            prefix="SESSION#", limit=PAGE, next_token=job.cursor, keep=_of_member(job)
        )
        changes = _repriced(store, job, records)
        if changes:
            try:
                store.commit(changes)
            except Conflict as error:  # a lock set meanwhile: read the page again
                log.info("re-rating a page again: %s", error)
                raise StaleRead() from error
        return sum(isinstance(change, Put) for change in changes), token

    written, token = _transient_retried(lambda: retrying(attempt))
    if token:
        return written, replace(job, cursor=token, failures=0)
    if not job.sweep:  # the last page: the sweep, once, from the first page
        return written, replace(job, cursor=None, failures=0, sweep=True)
    return written, None


def _transient_retried(run: Any) -> tuple[int, str | None]:
    """`run` (a page, from its reads), again after a backoff while DynamoDB throttles or fails,
    up to PAGE_ATTEMPTS times. Each try reads the page afresh and writes only the sessions
    still priced otherwise, on the seq it read, so a try after one that committed part of the
    page (its first transaction) writes the rest, and nothing twice."""
    for attempt in range(1, PAGE_ATTEMPTS + 1):
        try:
            result: tuple[int, str | None] = run()
            return result
        except Exception as error:
            transient = isinstance(error, ServiceUnavailable) or dispatch.is_transient(error)
            if attempt == PAGE_ATTEMPTS or not transient:
                raise
            log.warning("re-rating page failed, trying again: %r", error)
            page_backoff(attempt)
    raise AssertionError("unreachable")


def page_backoff(attempt: int) -> None:
    time.sleep(_PAGE_BACKOFF_SECONDS * 2 ** (attempt - 1))


def _of_member(job: Job) -> Any:
    def keep(record: dict[str, Any]) -> bool:
        return job.user_id is None or entity_of(record).get("userId") == job.user_id

    return keep


def _repriced(store: UnitOfWork, job: Job, records: list[dict[str, Any]]) -> list[Change]:
    """The writes of the sessions of `records` whose price changed (running and locked ones
    left as they are)."""
    workspace = store.read(WORKSPACE_SK)
    locked_before = ((workspace or {}).get("settings") or {}).get("lockedBefore")
    # Locked sessions keep what they carry: the lock's rule (before `lockedBefore`, or in a
    # member's submitted or approved period) read now and held as the commit's conditions.
    lock = locks.SessionLock(_ANYONE, str(locked_before) if locked_before else None)
    tasks = store.get_many("task", {str(r["taskId"]) for r in records})
    projects = store.get_many("project", {str(t["projectId"]) for t in tasks.values()})
    owner = job.workspace_id if job.personal else _ANYONE
    changes: list[Change] = []
    for record in records:
        task = tasks.get(str(record["taskId"]))
        project = projects.get(str(task["projectId"])) if task else None
        if (
            project is None
            or task is None
            or record.get("running")
            or (job.project_id is not None and project["id"] != job.project_id)
        ):
            continue
        session = entity_of(record)
        priced = rates.priced(session, task, project, workspace, owner)
        if all(priced.get(f) == session.get(f) for f in rates.SESSION_MONEY):
            continue
        try:
            lock.admit(store, record, None)
        except Conflict:
            continue  # locked
        changes.append(Put("session", priced, expect_seq=int(record["seq"])))
    return [*changes, *lock.conditions()] if changes else []

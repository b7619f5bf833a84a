"""A client generated from openapi.json by a stock generator (openapi-python-client, pinned in
requirements-dev.txt) runs a user's scenario against the stack, the one the TypeScript client
runs (test_typescript_client.py): sign in, money settings, a project at 95.5, a task,
tags, a session by task title, a timer stopped with no body, a task event, a batch, a full sync
and an incremental one, every report in JSON and CSV, a webhook's deliveries and log.
Generated at test time into a temporary directory (never committed: it is what any integrator
would generate today)."""

from __future__ import annotations

import csv
import importlib
import io
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from tests.api.conftest import sign_up
from tests.api.test_webhooks import serving_receiver, verified_types

REPO = Path(__file__).resolve().parents[2]
GENERATOR = Path(sys.executable).parent / "openapi-python-client"
PACKAGE = "stint_generated_client"


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ModuleType]:
    """The package the generator writes for openapi.json, importable for this module's tests."""
    root = tmp_path_factory.mktemp("client")
    config = root / "config.yaml"
    # No formatter run afterwards: the generated code is imported, not read.
    config.write_text(f"package_name_override: {PACKAGE}\npost_hooks: []\n", encoding="utf-8")
    result = subprocess.run(
        [str(GENERATOR), "generate", "--path", str(REPO / "openapi.json"), "--meta", "none",
         "--output-path", str(root / PACKAGE), "--config", str(config), "--fail-on-warning"],
        capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    sys.path.insert(0, str(root))
    try:
        yield importlib.import_module(PACKAGE)
    finally:
        sys.path.remove(str(root))
        for name in [name for name in sys.modules if name.split(".")[0] == PACKAGE]:
            del sys.modules[name]


def api(package: ModuleType, group: str, operation: str) -> Any:
    """An operation's module: `api(package, "catalog", "create_project").sync_detailed(...)`."""
    return importlib.import_module(f"{package.__name__}.api.{group}.{operation}")


def model(package: ModuleType, name: str) -> Any:
    return getattr(importlib.import_module(f"{package.__name__}.models"), name)


def test_a_generated_client_runs_a_users_day(generated: ModuleType, stack: dict[str, Any]) -> None:
    """A user's day, as the TypeScript one (test_typescript_client.py) runs it: workspace
    money settings, a project at 95.5, a task, tags, a session by its task's title, a timer
    stopped with no body, a task event (stopped by `PATCH ?event=` with no body), a batch, the
    syncs, every report in JSON and CSV, a webhook and its deliveries."""
    tokens = sign_up(stack)  # sign in: Cognito's USER_PASSWORD_AUTH, as a first-party app
    client = generated.AuthenticatedClient(
        base_url=stack["ApiUrl"], token=tokens["AccessToken"], raise_on_unexpected_status=True
    )
    unique = uuid.uuid4().hex[:8]

    me = api(generated, "users", "get_me").sync(client=client)
    assert me.email == tokens["email"]

    full = api(generated, "sync", "sync").sync(client=client)
    assert full.has_more is False

    # The money settings of the personal workspace (before any session: nothing to re-rate).
    (personal,) = [
        w for w in api(generated, "workspaces", "list_workspaces").sync(client=client).workspaces
        if w.personal
    ]  # fmt: skip
    settings = model(generated, "WorkspaceSettingsFields")(
        currency="USD", billable_rate=40, members_see_rates=False
    )
    patch = model(generated, "WorkspacePatch")(
        workspace=model(generated, "WorkspacePatchFields")(settings=settings)
    )
    workspace = (
        api(generated, "workspaces", "update_workspace")
        .sync(personal.id, client=client, body=patch)
        .workspace
    )
    assert (workspace.settings.currency, workspace.settings.billable_rate) == ("USD", 40)
    assert workspace.settings.members_see_rates is False

    with serving_receiver() as receiver:
        # A webhook first, so its receiver knows the secret before anything happens.
        fields = model(generated, "WebhookFields")(
            hook_url=receiver.url + "/client",
            trigger_type=model(generated, "WebhookFieldsTriggertype").PROJECT,
        )
        webhook = api(generated, "webhooks", "create_webhook").sync(client=client, body=fields)
        receiver.secrets["/client"] = webhook.webhook.secret

        ProjectBody, ProjectFields = (
            model(generated, "ProjectBody"),
            model(generated, "ProjectFields"),
        )
        created = api(generated, "catalog", "create_project").sync_detailed(
            client=client,
            body=ProjectBody(project=ProjectFields(title=f"Acme {unique}", hourly_rate=95.5)),
        )
        assert created.status_code == 201
        project = created.parsed.project
        assert project.hourly_rate == 95.5
        assert created.headers["Location"].endswith(f"/v1/projects/{project.id}")

        TaskBody, TaskFields = model(generated, "TaskBody"), model(generated, "TaskFields")
        fields = TaskFields(title=f"Report {unique}", project_id=project.id)
        task = (
            api(generated, "tasks", "create_task")
            .sync(client=client, body=TaskBody(task=fields))
            .task
        )
        assert task.project_id == project.id

        tag = (
            api(generated, "catalog", "create_tag")
            .sync(
                client=client,
                body=model(generated, "TagBody")(
                    tag=model(generated, "TagFields")(name=f"client {unique}")
                ),
            )
            .tag
        )

        # A session by its task's title (no retro_added, no type: the server's defaults), one
        # tag by id and one by name (created).
        SessionBody, SessionFields = (
            model(generated, "SessionBody"),
            model(generated, "SessionFields"),
        )
        SessionTaskRef = model(generated, "SessionTaskRef")
        written = api(generated, "sessions", "create_session").sync(
            client=client,
            body=SessionBody(
                task=SessionTaskRef(title=task.title, project_id=project.id),
                session=SessionFields(
                    start_timestamp=datetime(2026, 11, 23, 9, tzinfo=UTC),
                    duration=3600,
                    tag_ids=[tag.id],
                    tags=[f"deep {unique}"],
                ),
            ),
        )
        session = written.session
        assert session.task_id == task.id
        assert (session.amount, session.billable_rate) == (95.5, 95.5)
        assert (session.retro_added, session.type_.value) == (False, "session")
        assert tag.id in session.tag_ids and len(session.tag_ids) == 2
        assert [t.name for t in written.tags] == [f"deep {unique}"]
        tags = api(generated, "catalog", "list_tags").sync(client=client).tags
        assert {t.id for t in tags} == set(session.tag_ids)

        # A timer started, and stopped with no body.
        started = api(generated, "timer", "start_timer").sync(
            client=client, body=model(generated, "TimerStart")(task_id=task.id)
        )
        assert started.timer.task.id == task.id and started.timer.session.running is True
        running = api(generated, "timer", "get_timer").sync(client=client)
        assert running.timer.session.id == started.timer.session.id
        stopped = api(generated, "timer", "stop_timer").sync(client=client)
        assert stopped.session.id == started.timer.session.id
        assert stopped.session.running is False

        # A task event: tracking started by the events route, stopped by Time Magic's PATCH
        # form with no body.
        tracking = api(generated, "tasks", "task_event").sync(
            task.id,
            client=client,
            body=model(generated, "TaskEventBody")(
                event=model(generated, "TaskEventBodyEvent").START_TRACKING, note="by event"
            ),
        )
        assert tracking.session.running is True and tracking.session.note == "by event"
        untracked = api(generated, "tasks", "patch_task").sync(
            task.id, client=client, event=model(generated, "PatchTaskEventType0").STOP_TRACKING
        )
        assert untracked.session.id == tracking.session.id
        assert untracked.session.running is False

        # A batch: a session created (30 min at 95.5), the timer's deleted.
        # (A batch's operation has its own body schema: the rule the single route's states,
        # an id or a title, a non-atomic batch refuses per operation.)
        BatchCreate, BatchDelete = model(generated, "BatchCreate"), model(generated, "BatchDelete")
        BatchSessionBody = model(generated, "BatchSessionBody")
        batch = api(generated, "sessions", "session_batch").sync(
            client=client,
            body=model(generated, "SessionBatch")(
                operations=[
                    BatchCreate(
                        op="create",
                        body=BatchSessionBody(
                            task=model(generated, "BatchSessionTaskRef")(id=task.id),
                            session=SessionFields(
                                start_timestamp=datetime(2026, 11, 24, 9, tzinfo=UTC),
                                duration=1800,
                            ),
                        ),
                    ),
                    BatchDelete(op="delete", id=stopped.session.id),
                ]
            ),
        )
        made, deleted = batch.results
        assert (made.status, made.session.amount, deleted.status) == (201, 47.75, 204)

        # What changed since the first sync; then nothing.
        changes = api(generated, "sync", "sync").sync(client=client, sync_token=full.sync_token)
        assert {p.id for p in changes.projects} == {project.id}
        assert {t.id for t in changes.tasks} == {task.id}
        assert {s.id for s in changes.sessions} == {
            session.id,
            made.session.id,
            tracking.session.id,
        }
        assert {t.id for t in changes.tags} == set(session.tag_ids)
        assert stopped.session.id in {d.id for d in changes.deleted}
        nothing = api(generated, "sync", "sync").sync(client=client, sync_token=changes.sync_token)
        assert not nothing.projects and not nothing.tasks and not nothing.sessions

        # Every report, in JSON and in CSV: the week's two sessions (1 h and 30 min at 95.5).
        week = {
            "from_": datetime(2026, 11, 23, tzinfo=UTC),
            "to": datetime(2026, 11, 30, tzinfo=UTC),
        }
        summary = api(generated, "reports", "report_summary").sync(client=client, **week)
        assert (summary.totals.sessions, summary.totals.duration) == (2, 5400)
        assert summary.totals.amount == 143.25
        assert [(g.id, g.amount) for g in summary.groups] == [(project.id, 143.25)]
        detailed = api(generated, "reports", "report_detailed").sync(client=client, **week)
        assert detailed.totals.amount == 143.25
        assert sorted((e.session_id, e.amount, e.hourly_rate) for e in detailed.entries) == sorted(
            [(session.id, 95.5, 95.5), (made.session.id, 47.75, 95.5)]
        )
        weekly = api(generated, "reports", "report_weekly").sync(
            client=client, from_=date(2026, 11, 23)
        )
        assert weekly.totals.days[:3] == [3600, 1800, 0] and weekly.totals.amount == 143.25

        (group,) = rows(api(generated, "reports", "report_summary_csv").sync(client=client, **week))
        assert (group["id"], Decimal(group["amount"])) == (project.id, Decimal("143.25"))
        entries = rows(api(generated, "reports", "report_detailed_csv").sync(client=client, **week))
        assert {row["sessionId"] for row in entries} == {session.id, made.session.id}
        assert {row["projectTitle"] for row in entries} == {project.title}
        by_week = rows(
            api(generated, "reports", "report_weekly_csv").sync(
                client=client, from_=date(2026, 11, 23)
            )
        )
        assert [row["id"] for row in by_week] == [project.id, ""]  # the group, then Total

        # The webhook: a test ping, and the attempts logged (the ping, the project's creation).
        queued = api(generated, "webhooks", "test_webhook").sync_detailed(
            webhook.webhook.id, client=client
        )
        assert queued.status_code == 202
        ping_id = queued.parsed.delivery.id
        receiver.wait_for("/client", lambda got: "webhook.ping" in verified_types(got))
        assert "project.created" in verified_types(receiver.at("/client"))
        list_deliveries = api(generated, "webhooks", "list_webhook_deliveries")
        deadline = time.monotonic() + 30
        while True:
            log = list_deliveries.sync(webhook.webhook.id, client=client)
            if ping_id in {d.id for d in log.deliveries}:
                break
            assert time.monotonic() < deadline, "the attempt was not logged"
            time.sleep(0.3)
        (attempt,) = [d for d in log.deliveries if d.id == ping_id]
        assert (attempt.event_type, attempt.attempt) == ("webhook.ping", 1)
        assert attempt.status.value == "succeeded" and attempt.response_status == 204


def rows(text: str) -> list[dict[str, str]]:
    """A report's CSV (RFC 4180, after a byte order mark), row by row."""
    return list(csv.DictReader(io.StringIO(text.lstrip("\ufeff"))))


def test_a_generated_client_reads_the_error_body(
    generated: ModuleType, stack: dict[str, Any]
) -> None:
    token = sign_up(stack)["AccessToken"]
    client = generated.AuthenticatedClient(base_url=stack["ApiUrl"], token=token)
    get_project = api(generated, "catalog", "get_project")
    missing = get_project.sync_detailed(client=client, project_id="nope")
    assert missing.status_code == 404
    assert missing.parsed.error.code == "not_found"
    assert missing.parsed.error.request_id == missing.headers["X-Request-Id"]


def test_a_generated_client_reads_money_that_is_absent_as_absent(generated: ModuleType) -> None:
    """A member who does not see money gets a session without `amount` and `cost` (docs/API.md,
    "Money"): the client keeps them absent, not 0 (the document states no default for them)."""
    Session = model(generated, "Session")
    seen = {
        "id": "s1", "workspaceId": "w1", "taskId": "t1", "startTimestamp": "2026-11-23T09:00:00Z",
        "duration": 3600, "endTimestamp": "2026-11-23T10:00:00Z", "running": False,
        "lastUpdated": "2026-11-23T10:00:00Z",
    }  # fmt: skip
    hidden = Session.from_dict(seen)
    assert isinstance(hidden.amount, generated.types.Unset)
    assert isinstance(hidden.cost, generated.types.Unset)
    shown = Session.from_dict({**seen, "amount": 95.5, "cost": 0})
    assert (shown.amount, shown.cost) == (95.5, 0)

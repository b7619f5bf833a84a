"""A TypeScript client generated from openapi.json by stock tools, with their default options
(openapi-typescript for the types, openapi-fetch for the calls; pinned in package.json), runs a
user's day against the stack: tests/client/typescript/scenario.ts, type-checked by `tsc --strict`
and run with node. Generated at test time into a temporary directory, as any integrator would.

The scenario prints what it got as JSON; the assertions are here. Its webhook's receiver is this
process's (tests/api/test_webhooks.py): the scenario prints the webhook's secret and waits for a
line on stdin, so every delivery, the first one too, is verified.
"""

from __future__ import annotations

import csv
import io
import json
import os
import shutil
import subprocess
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from tests.api.conftest import sign_up
from tests.api.test_webhooks import serving_receiver, verified_types

REPO = Path(__file__).resolve().parents[2]
NODE_MODULES = REPO / "node_modules"
BIN = NODE_MODULES / ".bin"
SCENARIO = Path(__file__).resolve().parent / "typescript" / "scenario.ts"
# ES modules (top-level await, openapi-fetch's own exports), Node's own types; the rest is tsc's
# defaults, with --strict.
TSC_OPTIONS = ["--strict", "--module", "nodenext", "--target", "es2022", "--types", "node"]


def run(command: list[str], cwd: Path, timeout: float = 300) -> str:
    result = subprocess.run(
        command, cwd=cwd, capture_output=True, text=True, timeout=timeout, check=False
    )
    assert result.returncode == 0, f"{' '.join(command)}:\n{result.stdout}{result.stderr}"
    return result.stdout


@pytest.fixture(scope="module")
def compiled(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The scenario, type-checked and compiled beside the types generated for openapi.json;
    the JavaScript file node runs."""
    if shutil.which("node") is None or not (BIN / "tsc").exists():
        pytest.fail("node and node_modules are needed: `make node_modules/.installed` (npm ci)")
    root = tmp_path_factory.mktemp("typescript")
    (root / "node_modules").symlink_to(NODE_MODULES)  # openapi-fetch and @types/node, as installed
    (root / "package.json").write_text('{"type": "module"}\n', encoding="utf-8")
    # openapi-typescript's default options: no flag but where to read and write.
    run([str(BIN / "openapi-typescript"), str(REPO / "openapi.json"), "-o", "api.d.ts"], root)
    shutil.copy(SCENARIO, root / "scenario.ts")
    run([str(BIN / "tsc"), *TSC_OPTIONS, "--noEmit", "scenario.ts"], root)
    # Checked above: now only the JavaScript, for node (which does not run TypeScript).
    run([str(BIN / "tsc"), *TSC_OPTIONS, "--noCheck", "--outDir", "out", "scenario.ts"], root)
    return root / "out" / "scenario.js"


def test_a_generated_typescript_client_runs_a_users_day(
    compiled: Path, stack: dict[str, Any]
) -> None:
    tokens = sign_up(stack)
    with serving_receiver() as receiver:
        environment = {
            **os.environ,
            "STINT_API_URL": stack["ApiUrl"],
            "STINT_TOKEN": tokens["AccessToken"],
            "STINT_HOOK_URL": receiver.url + "/typescript",
        }
        process = subprocess.Popen(
            ["node", str(compiled)],
            cwd=compiled.parent,
            env=environment,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        assert process.stdin is not None and process.stdout is not None
        try:
            first = process.stdout.readline()
            if not first:
                pytest.fail(f"the scenario stopped early:\n{process.communicate(timeout=30)[1]}")
            webhook = json.loads(first)["webhook"]
            receiver.secrets["/typescript"] = webhook["secret"]
            out, err = process.communicate("go\n", timeout=300)
        finally:
            if process.poll() is None:
                process.kill()
                process.wait()
        assert process.returncode == 0, out + err
        delivered = verified_types(receiver.at("/typescript"))

    (line,) = out.splitlines()
    got = json.loads(line)["result"]

    assert got["email"] == tokens["email"] and got["fullHasMore"] is False

    # Workspace settings: the money ones.
    settings = got["workspace"]["settings"]
    assert (settings["currency"], settings["billableRate"]) == ("USD", 40)
    assert settings["membersSeeRates"] is False

    # A fractional rate, and a session by its task's title priced by it: 1 h x 95.5.
    project, task, session = got["project"], got["task"], got["session"]
    assert project["hourlyRate"] == 95.5
    assert session["taskId"] == task["id"]
    assert (session["amount"], session["billableRate"]) == (95.5, 95.5)
    # Left out, so the server's defaults.
    assert (session["retroAdded"], session["type"]) == (False, "session")
    assert len(session["tagIds"]) == 2 and got["tag"] in session["tagIds"]
    assert session["createdTags"] == [name for name in got["tags"] if name.startswith("deep ")]
    assert len(got["tags"]) == 2

    # The timer, stopped with no body; the task event's session, stopped with no body.
    timer = got["timer"]
    assert timer["running"] is True and timer["stoppedRunning"] is False
    assert timer["stopped"] == timer["started"]
    event = got["taskEvent"]
    assert event["startedRunning"] is True and event["note"] == "by event"
    assert event["stopped"] == event["started"] and event["stoppedRunning"] is False

    # The batch: a session created (30 min x 95.5), the timer's deleted.
    created, deleted = got["batch"]
    assert (created["status"], created["amount"]) == (201, 47.75)
    assert deleted["status"] == 204

    # The sync since the first: everything written, the timer's session as a tombstone.
    sync = got["sync"]
    assert sync["projects"] == [project["id"]] and sync["tasks"] == [task["id"]]
    assert set(sync["sessions"]) == {session["id"], created["session"], event["started"]}
    assert timer["stopped"] in sync["deleted"]
    assert set(sync["tags"]) == set(session["tagIds"])

    # Every report, JSON and CSV: the two sessions of the week (1 h and 30 min at 95.5).
    reports = got["reports"]
    totals = reports["summary"]["totals"]
    assert (totals["sessions"], totals["duration"], totals["amount"]) == (2, 5400, 143.25)
    assert reports["summary"]["groups"] == [[project["id"], 143.25]]
    assert reports["detailed"]["totals"]["amount"] == 143.25
    assert sorted(reports["detailed"]["entries"]) == sorted(
        [[session["id"], 95.5, 95.5], [created["session"], 47.75, 95.5]]
    )
    weekly = reports["weekly"]
    assert weekly["days"][0] == "2026-11-23" and len(weekly["days"]) == 7
    assert weekly["totals"]["days"][:3] == [3600, 1800, 0]
    assert weekly["totals"]["amount"] == 143.25

    def rows(text: str) -> list[dict[str, str]]:
        return list(csv.DictReader(io.StringIO(text.lstrip("\ufeff"))))

    (group,) = rows(reports["summaryCsv"])
    assert (group["id"], Decimal(group["amount"]), group["sessions"]) == (
        project["id"],
        Decimal("143.25"),
        "2",
    )
    entries = {row["sessionId"]: row for row in rows(reports["detailedCsv"])}
    assert set(entries) == {session["id"], created["session"]}
    assert Decimal(entries[session["id"]]["amount"]) == Decimal("95.5")
    assert entries[session["id"]]["projectTitle"] == project["title"]
    weekly_rows = rows(reports["weeklyCsv"])
    assert [row["id"] for row in weekly_rows] == [project["id"], ""]  # the group, then Total

    # The webhook: its ping and the project's creation, delivered, verified and logged.
    hook = got["webhook"]
    assert {"webhook.ping", "project.created"} <= set(delivered)
    logged = {attempt[0]: attempt[1:] for attempt in hook["deliveries"]}
    assert logged[hook["ping"]] == ["webhook.ping", "succeeded", 204]
    assert hook["deleted"] == 204

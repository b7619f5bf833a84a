"""README.md's walk-through, run as it is written: its shell blocks are read from README.md at
test time and run by bash, in order, in one shell, at the repo's root, against the real
template's stack on a port that is not the default; each step's answer is checked against
what the README says it is. A README that stops working breaks this test."""

from __future__ import annotations

import json
import os
import re
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest
import requests

from local.testing import REPO, free_port, start_local_stack, stop

README = REPO / "README.md"
# The sections whose shell blocks make one session (the OAuth2 one needs a browser), and how
# many blocks each has: a block added, moved or removed is noticed here.
SECTIONS = {
    "Walk-through with curl": 1,
    "A second user, their email verified, and a shared workspace": 1,
    "A stock Cognito client: pycognito": 1,
    "Webhooks, locally": 2,
    "Faults, locally": 1,  # the run-time one (the others start a stack or run tests)
}
MARK = "@@@ README block"
# After the blocks: wait (60 s at most) until the README's receiver has answered an attempt,
# then stop it (the blocks started it with &).
EPILOGUE = r"""
for _ in $(seq 300); do
  curl -s $API/v1/webhooks/$ID/deliveries -H "Authorization: Bearer $TOKEN" | python3 -c \
    'import json,sys; sys.exit(not any(d["responseStatus"] for d in json.load(sys.stdin)[
"deliveries"]))' \
    && break
  sleep 0.2
done
kill $(jobs -p)
"""


@pytest.fixture(autouse=True)
def _local_stack_only(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("STINT_OUTPUTS", raising=False)  # these tests are about the local stack


def shell_blocks_by_section() -> dict[str, list[str]]:
    """README.md's ```sh blocks under each heading (headings inside code blocks are not)."""
    sections: dict[str, list[str]] = {}
    heading, block, other = "", None, False  # block: the lines of an open sh block
    for line in README.read_text(encoding="utf-8").splitlines(keepends=True):
        fence = line.startswith("```")
        if block is not None and fence:
            sections.setdefault(heading, []).append("".join(block))
            block = None
        elif block is not None:
            block.append(line)
        elif fence:
            block, other = (
                ([], False) if line.startswith("```sh") and not other else (None, not other)
            )
        elif not other and (match := re.match(r"#+ (.*)", line)):
            heading = match.group(1).strip()
    return sections


def walk_through_blocks() -> list[str]:
    """The ```sh blocks of SECTIONS, in README order (in Faults, those that call the API)."""
    sections = shell_blocks_by_section()
    blocks: list[str] = []
    for section, count in SECTIONS.items():
        found = sections.get(section, [])
        found = [block for block in found if "$API" in block or section != "Faults, locally"]
        assert len(found) == count, f"{section}: {len(found)} shell blocks, expected {count}"
        blocks += found
    return blocks


def run(blocks: list[str], state_dir: Path, receiver_port: int) -> tuple[list[str], str]:
    """Each block's standard output (split at the marks this adds between them), and stderr."""
    script = "set -e -o pipefail\n"
    script += "".join(f"echo '{MARK} {index}'\n{block}\n" for index, block in enumerate(blocks))
    script += EPILOGUE
    environment = {**os.environ, "STINT_STATE_DIR": str(state_dir)}
    environment["RECEIVER_PORT"] = str(receiver_port)
    done = subprocess.run(
        ["bash", "-c", script],
        cwd=REPO,
        env=environment,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert done.returncode == 0, f"exit {done.returncode}\n{done.stdout}\n{done.stderr}"
    parts = re.split(rf"^{MARK} \d+\n", done.stdout, flags=re.M)
    assert parts[0] == "" and len(parts) == len(blocks) + 1, done.stdout
    return parts[1:], done.stderr


def answers(output: str) -> list[Any]:
    """The JSON answers a block printed, one a line (curl -w "\\n")."""
    return [json.loads(line) for line in output.splitlines() if line.strip()]


def test_the_readme_walk_through_works_as_written(tmp_path: Path) -> None:
    blocks = walk_through_blocks()
    port = free_port()
    assert port != 3000
    state = tmp_path / "state"
    process, outputs = start_local_stack(state, port=port)
    try:
        output, stderr = run(blocks, state, free_port())
        token = sign_in_demo(outputs)
        webhook_id = only_webhook(outputs, token)
        deliveries = deliveries_of(outputs, token, webhook_id)
    finally:
        assert stop(process) == 0
    walk, shared, srp, hook, ping, fault = (answers(part) for part in output)

    me, projects, tasks, started, running, stopped = walk
    assert me["email"] == outputs["DemoUsername"]
    assert "Acme" in [p["title"] for p in projects["projects"]]
    assert [t["title"] for t in tasks["tasks"]] == ["Write report"]
    task_id = tasks["tasks"][0]["id"]
    assert task_id in json.dumps(started) and task_id in json.dumps(running)
    assert "first draft done" in json.dumps(stopped)
    assert all("error" not in answer for answer in walk)

    # Step 6 prints nothing (the token is in $SAM_TOKEN); 7 and 8 print these.
    invited, listed, accepted, workspaces, projects, started, timers, stopped = shared
    assert all("error" not in answer for answer in shared)
    email = invited["invitation"]["email"]
    assert re.fullmatch(r"sam-\d+@example\.com", email)
    assert [i["workspaceName"] for i in listed["invitations"]] == ["Acme team"]
    workspace = accepted["workspace"]
    assert workspace["name"] == "Acme team" and workspace["role"] == "member"
    assert workspace["memberCount"] == 2 and not workspace["personal"]
    personal, joined = workspaces["workspaces"]
    assert personal["personal"] and joined == workspace
    by_title = {p["title"]: p["workspaceId"] for p in projects["projects"]}
    assert by_title == {"Inbox": personal["id"], "Acme website": workspace["id"]}
    session = started["timer"]["session"]
    assert started["timer"]["task"]["title"] == "Landing page"
    [timer] = timers["timers"]
    assert timer["id"] == session["id"] and timer["user"]["email"] == email
    assert timer["task"]["project"]["title"] == "Acme website"
    assert stopped["session"]["id"] == session["id"] and not stopped["session"]["running"]
    assert stopped["session"]["note"] == "stand-up"

    [srp_me] = srp  # the demo user's profile, through a token pycognito got with SRP
    assert srp_me["email"] == outputs["DemoUsername"]

    assert hook == [] and '"secret"' in stderr  # the subscription, shown by tee
    pinged, logged = ping
    assert pinged["delivery"]["id"] and "deliveries" in logged
    # The README's receiver (python3 -m http.server) answered the ping's POST with 501.
    ping_attempts = [d for d in deliveries if d["id"] == pinged["delivery"]["id"]]
    assert 501 in [d["responseStatus"] for d in ping_attempts], deliveries

    switched, state_now, off = fault
    assert switched["plan"]["throttle"] == 0.2 and switched["plan"]["sqs_send"] == 0.3
    assert state_now["plan"] == switched["plan"] and "injected" in state_now
    assert not any(off["plan"][kind] for kind in ("throttle", "sqs_send"))


def sign_in_demo(outputs: dict[str, Any]) -> str:
    import boto3

    idp = boto3.client(
        "cognito-idp", region_name=outputs["Region"], endpoint_url=outputs["CognitoEndpointUrl"]
    )
    result = idp.initiate_auth(
        ClientId=outputs["UserPoolClientId"],
        AuthFlow="USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": outputs["DemoUsername"], "PASSWORD": outputs["DemoPassword"]},
    )
    return str(result["AuthenticationResult"]["AccessToken"])


def only_webhook(outputs: dict[str, Any], token: str) -> str:
    answer = requests.get(
        outputs["ApiUrl"] + "/v1/webhooks", headers={"Authorization": f"Bearer {token}"}, timeout=30
    )
    webhooks = answer.json()["webhooks"]
    assert len(webhooks) == 1, webhooks
    return str(webhooks[0]["id"])


def deliveries_of(outputs: dict[str, Any], token: str, webhook_id: str) -> list[dict[str, Any]]:
    """The subscription's delivery log once it has an answered attempt (bounded wait)."""
    url = f"{outputs['ApiUrl']}/v1/webhooks/{webhook_id}/deliveries"
    deadline = time.monotonic() + 60
    while True:
        answer = requests.get(url, headers={"Authorization": f"Bearer {token}"}, timeout=30)
        deliveries: list[dict[str, Any]] = answer.json()["deliveries"]
        if any(d.get("responseStatus") for d in deliveries) or time.monotonic() > deadline:
            return deliveries
        time.sleep(0.2)

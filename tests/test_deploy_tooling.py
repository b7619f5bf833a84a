"""The deploy tooling: `make help` lists every target; `make outputs` (tools/stack_outputs.py)
writes a deployed stack's outputs as the file the API tests read; samconfig.toml's
environments name their stacks."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import tomllib
from pathlib import Path

import boto3
import pytest
from moto import mock_aws

from tools import stack_outputs

REPO = Path(__file__).resolve().parent.parent


@pytest.mark.skipif(shutil.which("make") is None, reason="needs make")
def test_make_help_lists_every_target() -> None:
    makefile = (REPO / "Makefile").read_text(encoding="utf-8")
    targets = set(re.findall(r"^([a-z][a-z-]*):", makefile, flags=re.MULTILINE))
    result = subprocess.run(
        ["make", "--no-print-directory", "help"],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=True,
    )
    listed = {line.split()[1] for line in result.stdout.splitlines() if line.strip()}
    assert listed == targets
    assert {"deploy", "sync", "logs", "outputs", "delete", "build", "dev-clean"} <= listed


def test_the_environments_name_their_stacks() -> None:
    config = tomllib.loads((REPO / "samconfig.toml").read_text(encoding="utf-8"))
    stacks = {
        name: stack_outputs.environment(name)["stack_name"] for name in config if name != "version"
    }
    assert set(stacks) >= {"default", "prod"}
    assert len(set(stacks.values())) == len(stacks)  # one stack per environment
    for name in stacks:
        deploy = config[name]["deploy"]["parameters"]
        assert "CAPABILITY_AUTO_EXPAND" in deploy["capabilities"]
    assert "SnapStart=Enabled" in config["prod"]["deploy"]["parameters"]["parameter_overrides"]


def test_outputs_are_written_as_the_api_tests_read_them(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name, value in (("AWS_ACCESS_KEY_ID", "testing"), ("AWS_SECRET_ACCESS_KEY", "testing")):
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    template = {
        "Resources": {"Queue": {"Type": "AWS::SQS::Queue"}},
        "Outputs": {
            "ApiUrl": {"Value": "https://example.execute-api.us-east-1.amazonaws.com/dev"},
            "QueueUrl": {"Value": {"Ref": "Queue"}},
        },
    }
    with mock_aws():
        boto3.client("cloudformation", region_name="us-east-1").create_stack(
            StackName="stint-dev", TemplateBody=json.dumps(template)
        )
        outputs = stack_outputs.stack_outputs("stint-dev", "us-east-1")
    assert outputs["ApiUrl"] == "https://example.execute-api.us-east-1.amazonaws.com/dev"
    assert outputs["QueueUrl"].startswith("https://")

"""SnapStart priming (stint/priming.py) and tracing (stint/tracing.py), in fresh interpreters:
what a function's import leaves undone is what priming must do, and only a new process shows
that (this one has built every model already)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
# Runs in the child: a stand-in for Lambda's snapshot_restore_py records the hook the function
# registers at import; the hook is then run, as Lambda runs it before the snapshot.
CHILD = """
import importlib.util, json, sys, types
hooks = []
fake = types.ModuleType("snapshot_restore_py")
fake.register_before_snapshot = lambda func, *args: hooks.append((func, args))
if sys.argv[2] == "snapstart":
    sys.modules["snapshot_restore_py"] = fake
spec = importlib.util.spec_from_file_location("app", sys.argv[1])
module = importlib.util.module_from_spec(spec)
spec.loader.exec_module(module)
from stint import aws, priming
def deferred():
    return sorted(m.__name__ for m in priming._subclasses(priming.BaseModel)
                  if m.__module__.startswith("stint.") and priming._deferred(m))
before = deferred()
for func, args in hooks:
    func(*args)
print(json.dumps({"hooks": [f.__qualname__ for f, _ in hooks], "before": before,
                  "after": deferred(), "clients": sorted(aws._clients),
                  "routes_built": all(r._dependant is not None for r in module.app._static_routes
                                      + module.app._dynamic_routes)}))
"""


def run_child(function: str, runtime: str, **environment: str) -> dict[str, object]:
    code_dir = REPO / "functions" / function
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(REPO / "layers" / "stint" / "python"), str(code_dir)]),
        "TABLE_NAME": "stint",
        "USER_POOL_ID": "us-east-1_test",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "POWERTOOLS_TRACE_DISABLED": "true",
        **environment,
    }
    result = subprocess.run(
        [sys.executable, "-c", CHILD, str(code_dir / "app.py"), runtime],
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    output: dict[str, object] = json.loads(result.stdout.splitlines()[-1])
    return output


@pytest.mark.parametrize("function", ["users", "tasks", "reports"])
def test_priming_builds_what_the_first_request_would(function: str) -> None:
    primed = run_child(function, "snapstart")
    assert primed["hooks"] == ["prime"]  # registered by stint.api.handler at import
    assert primed["before"], "defer_build leaves models unbuilt at import"
    assert primed["after"] == []
    assert primed["clients"] == ["cognito-idp", "dynamodb"]
    assert primed["routes_built"] is True


def test_without_snapstart_nothing_is_registered_or_built() -> None:
    plain = run_child("users", "plain")
    assert plain["hooks"] == []
    assert plain["after"] == plain["before"] != []
    assert plain["clients"] == []


TRACER_CHILD = """
import sys
from stint import tracing
handler = tracing.traced(lambda event, context: {"statusCode": 200})
print(tracing.enabled(), handler(None, None)["statusCode"],
      "aws_xray_sdk.core" in sys.modules, "aws_lambda_powertools.tracing" in sys.modules)
"""


@pytest.mark.parametrize(
    ("environment", "expected"),
    [
        ({}, "False 200 False False"),  # not in Lambda: nothing of the X-Ray SDK is imported
        (
            {"LAMBDA_TASK_ROOT": "/var/task", "POWERTOOLS_TRACE_DISABLED": "true"},
            "False 200 False False",
        ),
        (
            {"LAMBDA_TASK_ROOT": "/var/task", "POWERTOOLS_TRACE_DISABLED": "false"},
            "True 200 True True",
        ),
    ],
)
def test_the_tracer_is_set_up_only_where_tracing_is_on(
    environment: dict[str, str], expected: str
) -> None:
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("LAMBDA_TASK_ROOT", "POWERTOOLS_TRACE_DISABLED")
    }
    env.update(
        environment,
        PYTHONPATH=str(REPO / "layers" / "stint" / "python"),
        AWS_DEFAULT_REGION="us-east-1",
        AWS_XRAY_CONTEXT_MISSING="IGNORE_ERROR",
    )
    result = subprocess.run(
        [sys.executable, "-c", TRACER_CHILD],
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split("\n")[-2] == expected

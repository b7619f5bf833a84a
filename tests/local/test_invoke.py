"""`make invoke` / `python -m local invoke` and `make event` / `python -m local generate-event`.

Every file in `events/` is invoked with `make invoke`, a process each as a person runs it, in
the order of tests/unit/test_events.py's scenario, against a fresh emulator (each invocation its
own: nothing carries over) and against a running local stack (the invocations see and change its
state, so ids made by one are used by the next, as in the unit test).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import boto3
import pytest
import requests

from local.template import load_template
from local.testing import start_local_stack, stop
from tests.local.support import FIXTURE_TEMPLATE
from tests.unit.test_events import SCENARIO, function_dir

REPO = Path(__file__).resolve().parents[2]
EVENTS = REPO / "events"
SAMPLE_SUB = "7d3f4c2a-1b2c-4d5e-8f90-123456789abc"  # the sample events' user
SAMPLE_HOOK = "hook-tasks"  # the sample events' webhook
DELIVERY_MESSAGE = "059f36b4-87a3-44ab-83d2-661975830a7d"  # delivery-task-created.json's
CLOSED_PORT_URL = "http://127.0.0.1:9/hooks"  # the discard port: nothing listens, so it fails

# A fresh emulator per invocation: what an event names (the task "report", the webhook
# "hook-tasks", a running timer) was made by no earlier one.
FRESH = {
    **dict(SCENARIO),
    "tasks-task-event.json": 404,
    "sessions-create-session.json": 404,  # its task does not exist
    "sessions-batch.json": 404,
    "timer-start.json": 400,  # a timer on a task that does not exist
    "timer-stop.json": 404,  # no timer running
    "webhooks-get-webhook.json": 404,
    "webhooks-patch-webhook.json": 404,
    "webhooks-rotate-secret.json": 404,
    "webhooks-test-webhook.json": 404,
    "webhooks-list-deliveries.json": 404,
}
# The running stack: the scenario's answers; the delivery goes to the demo user's webhook, whose
# URL fails, so its message is handed back for a retry.
RUNNING = {
    **dict(SCENARIO),
    "delivery-task-created.json": {"batchItemFailures": [{"itemIdentifier": DELIVERY_MESSAGE}]},
}


def logical_ids() -> dict[str, str]:
    """functions/<dir> -> the template's logical id of the function whose code it is."""
    template = load_template(REPO / "template.yaml")
    return {
        Path(str(template.properties(logical_id)["CodeUri"])).name: logical_id
        for logical_id in template.resources_of_type("AWS::Serverless::Function")
    }


def environment(state_dir: Path) -> dict[str, str]:
    variables = {**os.environ, "STINT_STATE_DIR": str(state_dir)}
    variables.pop("STINT_OUTPUTS", None)
    return variables


def run_many(invocations: list[tuple[str, Path]], env: dict[str, str]) -> list[dict[str, Any]]:
    """`make invoke FUNCTION=... EVENT=...` for each, in order."""
    results = []
    for function, event in invocations:
        done = make("invoke", env, FUNCTION=function, EVENT=str(event))
        results.append({"status": done.returncode, "stdout": done.stdout, "stderr": done.stderr})
    return results


def make(
    target: str, env: dict[str, str], stdin: str | None = None, **variables: str
) -> subprocess.CompletedProcess[str]:
    """The real make target, its variables on the command line."""
    arguments = [f"{name}={value}" for name, value in variables.items()]
    return command(["make", "--no-print-directory", target, *arguments], stdin, env)


def python_m_local(
    *arguments: str, stdin: str | None = None, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """`python -m local <arguments>` in a process of its own."""
    return command([sys.executable, "-m", "local", *arguments], stdin, env)


def command(
    argv: list[str], stdin: str | None, env: dict[str, str] | None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        argv, input=stdin, cwd=REPO, env=env, capture_output=True, text=True, timeout=300
    )


def check_scenario(results: list[dict[str, Any]], expected: dict[str, Any], events: Path) -> None:
    assert len(results) == len(SCENARIO)
    for (name, _), result in zip(SCENARIO, results, strict=True):
        assert result["status"] == 0, f"{name}: {result['stderr'][-3000:]}"
        answer = json.loads(result["stdout"])  # the handler's return value, and nothing else
        want = expected[name]
        if isinstance(want, int):
            assert answer["statusCode"] == want, f"{name}: {answer}"
        elif want == "the event":
            assert answer == json.loads((events / name).read_text()), name
        else:
            assert answer == want, f"{name}: {answer}"


def scenario(events: Path) -> list[tuple[str, Path]]:
    """(the function's logical id, the event file) of each step of the scenario."""
    ids = logical_ids()
    return [(ids[function_dir(name).name], events / name) for name, _ in SCENARIO]


def test_every_event_against_a_fresh_emulator(tmp_path: Path) -> None:
    env = environment(tmp_path)  # no outputs.json there: a fresh emulator
    check_scenario(run_many(scenario(EVENTS), env), FRESH, EVENTS)

    done = make("invoke", env, FUNCTION="UsersFunction", EVENT="events/users-get-me.json")
    assert done.returncode == 0, done.stderr
    assert "a fresh emulator" in done.stderr
    profile = json.loads(json.loads(done.stdout)["body"])
    assert (profile["email"], profile["displayName"]) == ("demo@stint.local", "Demo")


def test_every_event_against_the_running_local_stack(tmp_path: Path) -> None:
    state = tmp_path / "state"
    process, outputs = start_local_stack(state)
    try:
        env = environment(state)
        idp = boto3.client(
            "cognito-idp", region_name="us-east-1", endpoint_url=outputs["CognitoEndpointUrl"]
        )
        demo = idp.admin_get_user(UserPoolId=outputs["UserPoolId"], Username="demo@stint.local")
        demo_sub = next(a["Value"] for a in demo["UserAttributes"] if a["Name"] == "sub")

        # users-get-me.json answers the running stack's demo user's profile.
        done = make("invoke", env, FUNCTION="UsersFunction", EVENT="events/users-get-me.json")
        assert done.returncode == 0, done.stderr
        assert "the running local stack" in done.stderr
        assert json.loads(json.loads(done.stdout)["body"])["id"] == demo_sub

        # The demo user's webhook, made through generate-event and make invoke, takes the place
        # of the sample events' "hook-tasks" (the unit test writes that one into its table).
        created = make(
            "event",
            env,
            ROUTE="POST /v1/webhooks",
            BODY=json.dumps({"hookUrl": CLOSED_PORT_URL, "triggerType": "task"}),
        )
        assert "goes to WebhooksFunction" in created.stderr
        done = make("invoke", env, created.stdout, FUNCTION="WebhooksFunction", EVENT="-")
        answer = json.loads(done.stdout)
        assert answer["statusCode"] == 201, answer
        hook = json.loads(answer["body"])["webhook"]["id"]

        events = tmp_path / "events"
        events.mkdir()
        for name, _ in SCENARIO:
            text = (EVENTS / name).read_text()
            if name.startswith(("webhooks-", "delivery-")):
                text = text.replace(SAMPLE_HOOK, hook).replace(SAMPLE_SUB, demo_sub)
            (events / name).write_text(text)
        check_scenario(run_many(scenario(events), env), RUNNING, events)

        # What the invocations wrote is the running stack's: its API serves the task.
        tokens = idp.initiate_auth(
            ClientId=outputs["UserPoolClientId"],
            AuthFlow="USER_PASSWORD_AUTH",
            AuthParameters={"USERNAME": "demo@stint.local", "PASSWORD": outputs["DemoPassword"]},
        )["AuthenticationResult"]
        task = requests.get(
            outputs["ApiUrl"] + "/v1/tasks/report",
            headers={"Authorization": f"Bearer {tokens['AccessToken']}"},
            timeout=30,
        )
        assert task.status_code == 200 and task.json()["task"]["title"] == "Write report"
    finally:
        assert stop(process) == 0


def test_an_unhandled_error_prints_lambdas_error_and_exits_non_zero(tmp_path: Path) -> None:
    env = environment(tmp_path)
    done = make("invoke", env, FUNCTION="TasksFunction")  # no EVENT: `{}`, as SAM sends
    assert done.returncode != 0
    error = json.loads(done.stdout)
    assert set(error) == {"errorMessage", "errorType", "stackTrace"}
    assert (error["errorType"], error["errorMessage"]) == ("KeyError", "'httpMethod'")
    assert all(isinstance(line, str) for line in error["stackTrace"]) and error["stackTrace"]
    assert "[ERROR] KeyError: 'httpMethod'" in done.stderr

    # The fixture's function raising on purpose; the trace starts in the function's code.
    fixture = str(FIXTURE_TEMPLATE)
    event = python_m_local("generate-event", "GET /files/boom", "-t", fixture).stdout
    done = python_m_local("invoke", "EchoFunction", "-e", "-", "-t", fixture, stdin=event, env=env)
    assert done.returncode == 1
    error = json.loads(done.stdout)
    assert (error["errorType"], error["errorMessage"]) == (
        "RuntimeError",
        "the fixture fails on purpose",
    )
    assert "functions/echo/app.py" in error["stackTrace"][0]


def test_generate_event_and_env_vars_reach_the_handler(tmp_path: Path) -> None:
    fixture = str(FIXTURE_TEMPLATE)
    event = python_m_local("generate-event", "GET /items/42?x=1", "-t", fixture)
    assert event.returncode == 0, event.stderr
    generated = json.loads(event.stdout)
    assert (generated["resource"], generated["httpMethod"]) == ("/items/{itemId}", "GET")
    assert generated["pathParameters"] == {"itemId": "42"}
    assert generated["queryStringParameters"] == {"x": "1"}
    assert generated["requestContext"]["authorizer"]["claims"]["token_use"] == "access"
    assert "goes to EchoFunction" in event.stderr

    overrides = tmp_path / "env.json"
    overrides.write_text(
        json.dumps(
            {
                "Parameters": {"TABLE_NAME": "from-parameters", "ECHO_ONLY": "from-parameters"},
                "EchoFunction": {"ECHO_ONLY": False, "NOT_DECLARED": "x"},
            }
        )
    )
    done = python_m_local(
        *("invoke", "EchoFunction", "-e", "-", "-t", fixture, "--env-vars", str(overrides)),
        *("--user", "a@example.com"),
        stdin=event.stdout,
        env=environment(tmp_path),
    )
    assert done.returncode == 0, done.stderr
    echo = json.loads(json.loads(done.stdout)["body"])
    assert echo["environment"]["ECHO_ONLY"] == "false"  # the function's own section wins
    assert echo["environment"]["TABLE_NAME"] == "from-parameters"
    assert "NOT_DECLARED is not in EchoFunction's environment; ignored" in done.stderr
    claims = echo["event"]["requestContext"]["authorizer"]["claims"]
    assert claims["sub"] != generated["requestContext"]["authorizer"]["claims"]["sub"]
    assert echo["context"]["function_name"] == "stint-local-EchoFunction"


@pytest.mark.parametrize("route", ["POST /nope", "nonsense"])
def test_generate_event_refuses_an_unknown_route(route: str) -> None:
    done = make("event", dict(os.environ), ROUTE=route)
    assert done.returncode != 0 and "no route of" in done.stderr


def test_the_commands_import_no_emulator_until_they_make_one() -> None:
    """`invoke` against a running stack and `generate-event` need neither moto nor the stack's
    server modules (local/layout.py holds what they read of a stack): importing them would double
    the commands' start-up time."""
    heavy = "m == 'moto' or m.startswith('moto.') or m in ('local.stack', 'local.emulator')"
    code = (
        "import sys, local.invoke, local.generate_event, local.__main__;"
        f" print(sorted(m for m in sys.modules if {heavy}))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, check=True
    )
    assert done.stdout.strip() == "[]"

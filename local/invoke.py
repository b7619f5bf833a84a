"""`python -m local invoke`: one function, one event, as `sam local invoke` runs them, no Docker.

    python -m local invoke TasksFunction -e events/tasks-create-task.json
    make invoke FUNCTION=TasksFunction EVENT=events/tasks-create-task.json

The function is the template's (by logical id), run as the local stack runs it
(local/functions.py): its environment from template.yaml, its layers on sys.path, every AWS call
checked against its policy (local/iam.py) and sent to an emulator, either

- the running local stack's (`make dev`), when its outputs.json is in the state directory
  (`--state-dir`, env STINT_STATE_DIR, default .stint) and its `CognitoEndpointUrl` answers: the
  invocation sees and changes that stack's state, and the stack's pollers see its writes (a task
  created is dispatched to webhooks as one created through the API); the resources' physical ids
  are the stack's `resources.json`;
- or a fresh one in this process, the template's resources provisioned in it as the stack
  provisions them, gone when the command ends.

An event's Cognito claims (`requestContext.authorizer.claims`) are made those of a user of the
emulator's pool: the demo user, or the one `--user` names (in a fresh emulator that user is signed
up first, the post-confirmation trigger running, as `make dev` signs up the demo user).
`--keep-claims` sends them as written.

As `sam local invoke`: `-e -` reads the event from standard input and no `-e` sends `{}`;
`--env-vars` is SAM's file (`{"Parameters": {...}}` for every function, `{"<LogicalId>": {...}}`
for one, which wins; only variables the template declares for the function are overridden);
the handler's return value is printed as JSON on standard output and everything else (the
handler's logs, print() included) goes to standard error; an unhandled exception prints Lambda's
`{"errorMessage", "errorType", "stackTrace"}` on standard output and exits 1. Exit 2: the command
could not run (no such function, an unreadable event, a user not in the pool).
"""

from __future__ import annotations

import argparse
import copy
import json
import logging
import os
import sys
import traceback
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from local import iam
from local.authorizer import issuer_of
from local.functions import Function, FunctionError, Runtime, load_functions
from local.layout import (
    CREDENTIALS,
    DEMO_DISPLAY_NAME,
    DEMO_USERNAME,
    OUTPUTS_FILE,
    REPO,
    RESOURCES_FILE,
    forget_foreign_aws_variables,
    lambda_environment,
    read_physical_ids,
)
from local.resources import Provisioner, sam_cognito_triggers
from local.template import REGION, Template, TemplateError, load_template

# A fresh emulator's modules (moto, the stack's) are imported when one is made (`Target.fresh`):
# an invocation against the running stack spends a third less CPU without them.
if TYPE_CHECKING:
    from local.emulator import Emulator

log = logging.getLogger("stint.invoke")

# How long to wait for a running stack's emulator to answer before starting a fresh one.
PROBE = Config(connect_timeout=2, read_timeout=10, retries={"max_attempts": 1})


class UsageError(Exception):
    """The command cannot run as asked (exit 2)."""


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m local invoke",
        description="Invoke one function of template.yaml with one event, as `sam local"
        " invoke` does, against the running local stack or a fresh emulator.",
    )
    parser.add_argument("function", help="the function's logical id (TasksFunction)")
    parser.add_argument(
        "-e", "--event", help="the event's JSON file, or - for standard input (default: {})"
    )
    parser.add_argument(
        "-n", "--env-vars", type=Path, help="SAM's JSON file of environment variable overrides"
    )
    parser.add_argument(
        "--user",
        help="the email of the pool's user the event's claims name (default: the demo user)",
    )
    parser.add_argument(
        "--keep-claims", action="store_true", help="send the event's Cognito claims as written"
    )
    parser.add_argument(
        "-t", "--template", type=Path, default=REPO / "template.yaml", help="the SAM template"
    )
    parser.add_argument(
        "--state-dir",
        type=Path,
        default=Path(os.environ.get("STINT_STATE_DIR") or REPO / ".stint"),
        help="where a running local stack's outputs.json is (env STINT_STATE_DIR)",
    )
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    output = result_stream()
    logging.basicConfig(level=logging.INFO, format="%(message)s", stream=sys.stderr)
    for noisy in ("werkzeug", "botocore", "boto3", "stint.local"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    try:
        status, answer = invoke(args)
    except (UsageError, TemplateError, OSError, ValueError) as error:
        log.error("invoke %s: %s", args.function, error)
        return 2
    output.write(answer + "\n")
    output.flush()
    return status


def result_stream() -> TextIO:
    """Standard output, kept for the result alone: from here on whatever else writes to it
    (the handler's print(), Powertools' logger) goes to standard error, as with SAM."""
    sys.stdout.flush()
    stream = os.fdopen(os.dup(1), "w", encoding="utf-8")
    os.dup2(2, 1)
    return stream


def invoke(args: argparse.Namespace) -> tuple[int, str]:
    """(exit status, the answer as JSON)."""
    template = load_template(args.template)
    functions = template.resources_of_type("AWS::Serverless::Function")
    if args.function not in functions:
        raise UsageError(
            f"{args.function} is not a function of the template ({', '.join(functions)})"
        )
    event = read_event(args.event)
    target = Target.running(template, args.state_dir) or Target.fresh(template)
    try:
        function = target.function(args.function)
        if has_claims(event) and not args.keep_claims:
            email = args.user or target.outputs.get("DemoUsername") or DEMO_USERNAME
            event = with_user(event, target.user(email), target.outputs)
        elif args.user:
            log.warning("--user %s: the event has no Cognito claims to fill", args.user)
        apply_overrides(function, read_overrides(args.env_vars, function))
        runtime = target.runtime(function)
        if function.import_error is not None:
            return 1, json.dumps(import_error(function))
        return run(runtime, function, event)
    finally:
        target.close()


def read_event(source: str | None) -> Any:
    if source is None:
        return {}
    text = sys.stdin.read() if source == "-" else Path(source).read_text(encoding="utf-8")
    return json.loads(text)


# ----------------------------------------------------------------------------- where it runs


@dataclass
class Target:
    """The emulator the invocation's AWS calls go to, and the template's resources in it."""

    endpoint: str
    stack: Provisioner
    outputs: dict[str, Any]
    emulator: Emulator | None = None  # a fresh one, in this process
    # A fresh emulator's: the process environment before the triggers' runtime changed it.
    environment_before: dict[str, str] | None = None

    @classmethod
    def running(cls, template: Template, state_dir: Path) -> Target | None:
        """The running local stack whose outputs are in `state_dir`, if its emulator answers."""
        outputs_path = state_dir / OUTPUTS_FILE
        if not outputs_path.exists():
            return None
        outputs = json.loads(outputs_path.read_text(encoding="utf-8"))
        endpoint = str(outputs.get("CognitoEndpointUrl") or "")
        try:
            _client(endpoint, "cognito-idp", PROBE).list_user_pools(MaxResults=1)
        except (BotoCoreError, ClientError, ValueError) as error:
            log.info("%s names %r, which does not answer (%s)", outputs_path, endpoint, error)
            return None
        resources = state_dir / RESOURCES_FILE
        if not resources.exists():
            raise UsageError(f"the local stack at {endpoint} wrote no {resources}: restart it")
        log.info("invoking against the running local stack's emulator at %s", endpoint)
        stack = Provisioner(template, _no_new_resources, read_physical_ids(resources))
        return cls(endpoint, stack, outputs)

    @classmethod
    def fresh(cls, template: Template) -> Target:
        """A new emulator in this process, with the template's resources."""
        from local.emulator import Emulator
        from local.stack import resolve_outputs

        emulator = Emulator().start()
        log.info("no local stack is running: invoking against a fresh emulator at %s", emulator.url)
        try:
            stack = Provisioner(template, emulator.client)
            stack.provision_all()
            outputs = {**resolve_outputs(stack), "CognitoEndpointUrl": emulator.url}
            target = cls(emulator.url, stack, outputs, emulator, dict(os.environ))
            target.start_triggers()
        except Exception:
            emulator.stop()
            raise
        return target

    def start_triggers(self) -> None:
        """The pool's Cognito triggers, run around the emulator's calls as the stack runs them
        (a user signed up here gets a profile), in a runtime of their own: so the invoked
        function's environment (and its overrides) is its own, as in Lambda."""
        from local.triggers import CognitoTriggers

        assert self.emulator is not None
        triggers = sam_cognito_triggers(self.stack.template).values()
        names = sorted({name for found in triggers for name in found.values()})
        CognitoTriggers(
            self.emulator, self._start([self.function(name) for name in names])
        ).install()

    def close(self) -> None:
        if self.emulator is not None:
            self.emulator.stop()

    def function(self, logical_id: str) -> Function:
        for function in load_functions(self.stack):
            if function.logical_id == logical_id:
                return function
        raise UsageError(f"{logical_id} is not in the stack (its Condition is false)")

    def runtime(self, function: Function) -> Runtime:
        """A runtime with the function imported, in the process environment it had at start
        (a fresh emulator's triggers' variables gone) with the function's own added."""
        if self.environment_before is not None:
            os.environ.clear()
            os.environ.update(self.environment_before)
        return self._start([function])

    def _start(self, functions: list[Function]) -> Runtime:
        for function in functions:
            function.policy = iam.policy_of(self.stack, function.logical_id)
        iam.enforce()
        forget_foreign_aws_variables()
        runtime = Runtime(functions)
        runtime.start(lambda_environment(self.endpoint))
        return runtime

    def user(self, email: str) -> dict[str, str]:
        """The pool's user `email` (signed up first in a fresh emulator): username, sub, email."""
        pool_id, client_id = self.outputs.get("UserPoolId"), self.outputs.get("UserPoolClientId")
        if not pool_id or not client_id:
            raise UsageError("the template's outputs name no UserPoolId / UserPoolClientId")
        if self.emulator is not None:
            from local.stack import create_demo_user

            name = DEMO_DISPLAY_NAME if email == DEMO_USERNAME else email.split("@")[0]
            create_demo_user(self.emulator, pool_id, client_id, email, name)
        idp = _client(self.endpoint, "cognito-idp")
        try:
            user = idp.admin_get_user(UserPoolId=pool_id, Username=email)
        except idp.exceptions.UserNotFoundException as error:
            raise UsageError(f"no user {email} in the local stack's pool {pool_id}") from error
        attributes = {item["Name"]: item["Value"] for item in user["UserAttributes"]}
        return {"username": user["Username"], "sub": attributes["sub"], "email": email}


def _client(endpoint: str, service: str, config: Config | None = None) -> Any:
    session: Any = boto3.session.Session(
        region_name=REGION,
        aws_access_key_id=CREDENTIALS["aws_access_key_id"],
        aws_secret_access_key=CREDENTIALS["aws_secret_access_key"],
    )
    return session.client(service, endpoint_url=endpoint, config=config)


def _no_new_resources(service: str) -> Any:
    raise TemplateError(
        f"the template has a {service} resource the running local stack lacks (it runs another"
        " template, or this one from before it changed): restart it, or stop it to invoke"
        " against a fresh emulator"
    )


# ----------------------------------------------------------------------------- the event


def has_claims(event: Any) -> bool:
    context = event.get("requestContext") if isinstance(event, dict) else None
    authorizer = context.get("authorizer") if isinstance(context, dict) else None
    return isinstance(authorizer, dict) and isinstance(authorizer.get("claims"), dict)


def with_user(event: dict[str, Any], user: dict[str, str], outputs: dict[str, Any]) -> Any:
    """The event with its claims naming `user` of the local pool (the other claims kept)."""
    event = copy.deepcopy(event)
    claims = event["requestContext"]["authorizer"]["claims"]
    claims.update(sub=user["sub"], username=user["username"])
    replaced = {
        "cognito:username": user["username"],
        "email": user["email"],
        "iss": issuer_of(str(outputs.get("UserPoolId"))),
        "client_id": outputs.get("UserPoolClientId"),
        "aud": outputs.get("UserPoolClientId"),
    }
    claims.update({name: value for name, value in replaced.items() if name in claims})
    log.info("the event's claims name %s (sub %s)", user["email"], user["sub"])
    return event


# ----------------------------------------------------------------------------- overrides


def read_overrides(path: Path | None, function: Function) -> dict[str, Any]:
    """SAM's `--env-vars` for this function: "Parameters", then its own section over them."""
    if path is None:
        return {}
    content = json.loads(path.read_text(encoding="utf-8"))
    if not isinstance(content, dict) or not all(isinstance(v, dict) for v in content.values()):
        raise UsageError(f'{path}: expected {{"Parameters": {{...}}, "<LogicalId>": {{...}}}}')
    own = content.get(function.logical_id) or content.get(function.name) or {}
    for name in sorted(set(own) - set(function.environment)):
        log.warning("--env-vars: %s is not in %s's environment; ignored", name, function.logical_id)
    return {**content.get("Parameters", {}), **own}


def apply_overrides(function: Function, overrides: dict[str, Any]) -> None:
    """Only variables the template declares are overridden, as SAM does."""
    for name, value in overrides.items():
        if name in function.environment:
            function.environment[name] = _stringified(value)


def _stringified(value: Any) -> str:
    """A value as SAM passes it: true / false, a list, map or null as ""."""
    if isinstance(value, dict | list | tuple) or value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


# ----------------------------------------------------------------------------- the answer


def run(runtime: Runtime, function: Function, event: Any) -> tuple[int, str]:
    """(0, the result as JSON) or (1, Lambda's error as JSON)."""
    try:
        result = runtime.invoke(function, event, str(uuid.uuid4()))
    except FunctionError as error:  # the import failed at this invocation
        log.error("%s", error)
        return 1, json.dumps(import_error(function))
    except Exception as error:
        answer = lambda_error(error)
        log.error("[ERROR] %s: %s\n%s", answer["errorType"], error, "".join(answer["stackTrace"]))
        return 1, json.dumps(answer)
    try:
        return 0, json.dumps(result)
    except (TypeError, ValueError) as error:
        log.error("%s returned what JSON cannot hold: %s", function.logical_id, error)
        message = f"Unable to marshal response: {error}"
        return 1, json.dumps(_error(message, "Runtime.MarshalError", []))


def lambda_error(error: BaseException) -> dict[str, Any]:
    """Lambda's answer for an unhandled exception; the runtime's frames (here: this module's
    and local/functions.py's) left out, as Lambda's bootstrap leaves out its own."""
    frames = traceback.extract_tb(error.__traceback__)
    runtime_files = {__file__, sys.modules[Runtime.__module__].__file__}
    while frames and frames[0].filename in runtime_files:
        frames.pop(0)
    return _error(str(error), type(error).__name__, traceback.format_list(frames))


def import_error(function: Function) -> dict[str, Any]:
    reason = (function.import_error or "").strip().splitlines()[-1:] or ["?"]
    module = function.handler_file.stem
    message = f"Unable to import module '{module}': {reason[0]}"
    return _error(message, "Runtime.ImportModuleError", [])


def _error(message: str, error_type: str, stack_trace: list[str]) -> dict[str, Any]:
    return {"errorMessage": message, "errorType": error_type, "stackTrace": stack_trace}


if __name__ == "__main__":
    sys.exit(main())

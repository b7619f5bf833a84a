"""The whole local stack: emulator, resources, functions, triggers, gateway, outputs.

Start-up order: the saved state, if any (local/persistence.py); the emulator; the template's
resources in it (those the saved state has are not created again); the functions
(environment pointing every AWS SDK call at the emulator, handlers imported); the Cognito
triggers; the event source mappings (stream and queue pollers, resumed where they were); the
HTTP front; the demo user (signed up and confirmed through the emulator's HTTP endpoint, so
the post-confirmation trigger creates its profile; kept if the state has it); the snapshots of
the state; and last the outputs file, written atomically once the front is listening.
"""

from __future__ import annotations

import logging
import time
from pathlib import Path
from typing import Any

from botocore.exceptions import ClientError

from local import control, faults, iam, mailbox, names
from local.authorizer import JwksCache
from local.emulator import Emulator
from local.event_sources import EventSources
from local.functions import Function, Runtime, load_functions
from local.gateway import Gateway, WsgiApp
from local.layout import (
    DEMO_DISPLAY_NAME,
    DEMO_PASSWORD,
    DEMO_USERNAME,
    OUTPUTS_FILE,
    RESOURCES_FILE,
    Settings,
    forget_foreign_aws_variables,
    lambda_environment,
    physical_ids,
    write_json_atomically,
)
from local.oauth import UserPoolDomain
from local.persistence import Persistence
from local.resources import Provisioner
from local.routes import load_routes
from local.servers import FrontRequestHandler, Server
from local.template import REGION, TemplateError, load_template
from local.triggers import CognitoTriggers

log = logging.getLogger("stint.local")

# Routes (local.routes), triggers (local.triggers), event source mappings (local.event_sources).
SERVED_EVENTS = {"Api", "Cognito", "DynamoDB", "SQS"}
SERVED_TRIGGERS = {"PostConfirmation"}


class LocalStack:
    """Starts and stops everything; `start()` returns the outputs it wrote."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.emulator: Emulator | None = None
        self.front: Server | None = None
        self.event_sources: EventSources | None = None
        self.faults = faults.FaultSwitch()  # off until the stack is ready (local.faults)
        self.state: Persistence | None = None

    @property
    def outputs_path(self) -> Path:
        return self.settings.state_dir / OUTPUTS_FILE

    @property
    def resources_path(self) -> Path:
        return self.settings.state_dir / RESOURCES_FILE

    def start(self) -> dict[str, Any]:
        started = time.perf_counter()
        self.outputs_path.unlink(missing_ok=True)  # never leave a stale stack's outputs
        template = load_template(self.settings.template)
        self.emulator = Emulator(self.settings.moto_port)
        self.emulator.app.interceptors.append(self.faults.intercept)
        mailbox.install(self.settings.state_dir / mailbox.MAILBOX_FILE)  # email verification
        names.install()  # `.localhost` names are loopback (webhooks to a local receiver)
        faults.install_event_handlers()
        state = self.state = Persistence(self.emulator, self.settings.state_dir)
        if self.settings.clean:
            state.clear()
        state.restore()
        self.emulator.start()
        stack = Provisioner(template, self.emulator.client, state.loaded("resources"))
        resources = stack.provision_all()
        state.track("resources", lambda: resources)

        forget_foreign_aws_variables()
        functions = load_functions(stack)
        for function in functions:
            function.policy = iam.policy_of(stack, function.logical_id)
        iam.enforce()
        runtime = Runtime(functions)
        runtime.wrappers.append(self.faults.invocation)
        warn_about_unserved_events(runtime.functions)
        runtime.start(lambda_environment(self.emulator.url))
        CognitoTriggers(self.emulator, runtime).install()
        self.event_sources = EventSources(stack, self.emulator, runtime)
        self.event_sources.start(state.loaded("streams") if state.restored else None)
        state.track("streams", self.event_sources.positions)

        jwks = JwksCache(self.emulator.url)
        routes = load_routes(stack, runtime.functions, jwks)
        domain = UserPoolDomain.from_stack(
            stack, self.emulator.client("cognito-idp"), jwks, routes.default_api.cors
        )
        if domain is not None:
            domain.server.restore_state(state.loaded("oauth") or {})
            state.track("oauth", domain.server.saved_state)
        local_only = {
            faults.CONTROL_PATH: self.faults.control_app,
            control.EMULATOR_PATH: control.under(control.EMULATOR_PATH, self.emulator.app),
        }
        mounts: dict[str, WsgiApp] = {control.PREFIX: control.LocalOnly(local_only)}
        # The OAuth2 endpoints' codes and refresh tokens are journaled before their answers.
        mounts.update(
            {path: state.journaled(app) for path, app in (domain.mounts if domain else {}).items()}
        )
        gateway = Gateway(routes, runtime, mounts)
        self.front = Server(gateway, self.settings.port, FrontRequestHandler).start()

        resolved = resolve_outputs(stack)
        api_url = resolved.get("ApiUrl")  # the API's URL in AWS: the front's, here
        outputs = {
            **localize(resolved, str(api_url), self.front.url),
            "ApiUrl": self.front.url,
            "Region": REGION,
            # Every emulated service, at the front: the same URL at every start on one port.
            "CognitoEndpointUrl": self.front.url + control.EMULATOR_PATH,
        }
        if domain is not None:  # its OAuth2 endpoints are the front's /oauth2/ (local.oauth)
            outputs = domain.localize(self.front.url, runtime.functions, outputs)
            if isinstance(api_url, str):
                domain.move_callback_urls(api_url, self.front.url)
        if "UserPoolId" in outputs and "UserPoolClientId" in outputs:
            outputs.update(
                create_demo_user(self.emulator, outputs["UserPoolId"], outputs["UserPoolClientId"])
            )
        state.save()
        state.start()
        self.faults.set(faults.from_environment().plan)  # the set-up above ran without faults
        write_json_atomically(self.resources_path, physical_ids(resources))
        write_json_atomically(self.outputs_path, outputs)
        log.info(
            "%d functions, %d routes, emulator at %s; ready in %.1f s (state: %s, %s)",
            len(runtime.functions),
            len(routes),
            self.emulator.url,
            time.perf_counter() - started,
            state.path,
            "restored" if state.restored else "new",
        )
        return outputs

    def stop(self) -> None:
        """Stop the pollers and the front, save the state a last time, stop the emulator."""
        if self.event_sources is not None:
            self.event_sources.stop()
        if self.front is not None:
            self.front.stop()
        if self.state is not None:
            self.state.stop()
        if self.emulator is not None:
            self.emulator.stop()
        self.outputs_path.unlink(missing_ok=True)
        self.resources_path.unlink(missing_ok=True)


def warn_about_unserved_events(functions: list[Function]) -> None:
    """Say which of the template's event sources do not run locally."""
    for function in functions:
        for name, event in function.events.items():
            kind = event.get("Type")
            trigger = (event.get("Properties") or {}).get("Trigger")
            triggers = trigger if isinstance(trigger, list) else [trigger]
            if kind not in SERVED_EVENTS or (kind == "Cognito" and set(triggers) - SERVED_TRIGGERS):
                log.warning("%s.%s: %s events do not run locally", function.logical_id, name, kind)


def resolve_outputs(stack: Provisioner) -> dict[str, Any]:
    """The template's Outputs, each Value resolved (those that cannot be are left out)."""
    outputs = {}
    for name, output in stack.template.section("Outputs").items():
        try:
            if stack.resolver.included(output):
                outputs[name] = stack.resolve(output["Value"])
        except TemplateError as error:
            log.warning("output %s: %s", name, error)
    return outputs


def localize(outputs: dict[str, Any], aws_url: str, local_url: str) -> dict[str, Any]:
    """Outputs that name a URL under `aws_url` (DocsUrl under ApiUrl) name it under `local_url`."""
    return {
        name: local_url + value[len(aws_url) :]
        if isinstance(value, str) and value.startswith(aws_url)
        else value
        for name, value in outputs.items()
    }


def create_demo_user(
    emulator: Emulator,
    pool_id: str,
    client_id: str,
    username: str = DEMO_USERNAME,
    display_name: str = DEMO_DISPLAY_NAME,
) -> dict[str, str]:
    """Sign the demo user (or `username`) up and confirm them, as any client would (the
    trigger runs)."""
    idp = emulator.client("cognito-idp")
    pool = idp.describe_user_pool(UserPoolId=pool_id)["UserPool"]
    minimum = int(pool.get("Policies", {}).get("PasswordPolicy", {}).get("MinimumLength", 8))
    password = DEMO_PASSWORD + "0" * max(0, minimum - len(DEMO_PASSWORD))
    try:
        idp.sign_up(
            ClientId=client_id,
            Username=username,
            Password=password,
            UserAttributes=[
                {"Name": "email", "Value": username},
                {"Name": "name", "Value": display_name},
            ],
        )
    except ClientError as error:  # a restored state has them already
        if error.response["Error"]["Code"] != "UsernameExistsException":
            raise
        log.info("the user %s exists (restored state)", username)
    else:
        idp.admin_confirm_sign_up(UserPoolId=pool_id, Username=username)
    return {"DemoUsername": username, "DemoPassword": password}

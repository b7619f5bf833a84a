"""What the benchmarks share: the repo on sys.path, an emulated stack, handlers, events.

`Stack` starts the local stack's emulator (moto behind one lock, `local.emulator`), creates
the resources of template.yaml in it (`local.resources.Provisioner`) and loads the template's
functions in this process as the local stack does (`local.functions.Runtime`): the same
handlers, layer on sys.path, environment pointing every AWS SDK call at the emulator.
"""

from __future__ import annotations

import json
import os
import sys
import uuid
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
for _path in (REPO / "layers" / "stint" / "python", REPO):
    if str(_path) not in sys.path:
        sys.path.insert(0, str(_path))

from local.emulator import Emulator  # noqa: E402
from local.events import direct_event  # noqa: E402
from local.functions import Function, Runtime, load_functions  # noqa: E402
from local.layout import lambda_environment  # noqa: E402
from local.resources import Provisioner  # noqa: E402
from local.template import load_template  # noqa: E402

TEMPLATE = REPO / "template.yaml"


class RequestClock:
    """The time the layer reads (`stint.timeutil.set_clock`) in a bench whose figures must not
    depend on how long its requests take: fixed while a function runs, `step` later at every
    invocation (`Stack.invoke`). So a timer stopped a request after its start has run `step`,
    on every run, and its stop counts that in its project's usage."""

    def __init__(self, start: datetime, step: timedelta) -> None:
        self.now = start
        self.step = step

    def __call__(self) -> datetime:
        return self.now

    def tick(self) -> None:
        self.now += self.step


class Stack:
    """The emulator with the template's resources, and the template's functions loaded; the
    system's clock, or `clock`."""

    def __init__(self, clock: RequestClock | None = None) -> None:
        self.emulator = Emulator().start()
        self.provisioner = Provisioner(load_template(TEMPLATE), self.emulator.client)
        self.provisioner.provision_all()
        self.functions = {f.logical_id: f for f in load_functions(self.provisioner)}
        self.environment = lambda_environment(self.emulator.url)
        for name in ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_SESSION_TOKEN"):
            os.environ.pop(name, None)
        self.runtime = Runtime(list(self.functions.values()))
        self.runtime.start(self.environment)  # sets os.environ, imports every handler
        from stint import aws, config, timeutil

        config.settings.cache_clear()
        aws.reset()
        self.clock = clock
        timeutil.set_clock(clock)

    def stop(self) -> None:
        from stint import timeutil

        timeutil.set_clock(None)
        self.emulator.stop()

    def function(self, logical_id: str) -> Function:
        return self.functions[logical_id]

    def invoke(self, logical_id: str, event: dict[str, Any]) -> Any:
        if self.clock is not None:
            self.clock.tick()
        return self.runtime.invoke(self.functions[logical_id], event)

    def call(
        self, logical_id: str, method: str, path: str, user: str, **kwargs: Any
    ) -> dict[str, Any]:
        """Invoke an API function; the response with its body parsed (`json`)."""
        response = self.invoke(logical_id, api_event(method, path, user, **kwargs))
        body = response.get("body") or ""
        try:
            response["json"] = json.loads(body) if body else None
        except ValueError:
            response["json"] = None
        return dict(response)

    def function_environment(self, logical_id: str) -> dict[str, str]:
        """Everything a new process of the function needs: Lambda's variables, the template's,
        and PYTHONPATH = its layers and its code directory."""
        function = self.functions[logical_id]
        paths = [str(p) for p in function.layer_paths] + [str(function.code_dir)]
        return {
            **self.environment,
            **function.environment,
            "PYTHONPATH": os.pathsep.join(paths),
        }


def api_event(method: str, path: str, user: str, **kwargs: Any) -> dict[str, Any]:
    """An API Gateway (REST, proxy) event from the Cognito authorizer of `user`
    (`local.events.direct_event`: `body`, `query`, `headers`)."""
    return direct_event(method, path, user, caller="bench", **kwargs)


def new_user(email: str | None = None) -> str:
    """A user of the pool with a profile and default project, as the post-confirmation trigger
    makes. In the pool: a function answers 401 to a user it cannot find there."""
    from stint import aws
    from stint.config import settings
    from stint.services.users import create_profile

    user = str(uuid.uuid4())
    email = email or f"{user[:8]}@bench.local"
    pool_id = settings().user_pool_id
    if pool_id:
        created = aws.client("cognito-idp").admin_create_user(
            UserPoolId=pool_id,
            Username=email,
            UserAttributes=[{"Name": "email", "Value": email}],
            MessageAction="SUPPRESS",
        )["User"]
        user = next(a["Value"] for a in created["Attributes"] if a["Name"] == "sub")
    create_profile(user, email, "Bench")
    return user

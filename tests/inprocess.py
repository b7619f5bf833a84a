"""The API in this process: the real handlers behind the local gateway, over moto's mock.

A route's rule needs no HTTP to be proved: `InProcessStack` provisions template.yaml's
resources in moto's in-process mock (`mock_aws`), loads every function as the local stack does
(its environment, its IAM policy checked on every call), and puts the local gateway in front:
routes, the Cognito authorizer with real tokens of the emulated pool, the proxy event API
Gateway sends, the gateway's own answers. `requests` reaches it through a transport adapter
mounted on `URL`, so a test's `requests.Session` calls work unchanged, with no socket.

What needs more than that (the stream and queue pollers behind webhooks, concurrency against
the emulator's lock, CORS as a browser sees it, OAuth2, faults) runs over HTTP against the
one shared local stack (tests/conftest.py).

moto is not safe under concurrent calls (it loses updates: see docs/DESIGN.md, the local
stack), so every call into the mock goes through one lock, as every call into the local stack's
emulator does; tests that write from many threads prove the same here as there.

moto's mock keeps its data in module globals, shared with any other mock in the process (the
unit tests' own `mock_aws()`), so the stack is suspended before any test that is not one of its
own (tests/conftest.py) and started again, anew, when one of its own comes.
"""

from __future__ import annotations

import dataclasses
import datetime
import functools
import io
import os
import threading
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import boto3
import jwt
import pytest
import requests
from botocore.client import BaseClient
from botocore.exceptions import ClientError
from moto import mock_aws
from moto.core.botocore_stubber import BotocoreStubber
from moto.utilities.utils import load_resource
from requests.adapters import BaseAdapter
from requests.structures import CaseInsensitiveDict
from werkzeug.test import EnvironBuilder, run_wsgi_app

from local import iam, names, patches
from local.authorizer import JwksCache
from local.emulator import HookError
from local.functions import Runtime, load_functions
from local.gateway import Gateway
from local.layout import CREDENTIALS, REPO
from local.resources import Provisioner
from local.routes import load_routes
from local.stack import resolve_outputs
from local.template import REGION, load_template
from local.triggers import POST_CONFIRMATION_SOURCES, CognitoTriggers
from stint import aws, config

URL = "http://api.stint.test:8000"  # the gateway's own host (Host, domainName) is this one
TEMPLATE = REPO / "template.yaml"


class InProcessStack:
    """template.yaml in moto's mock, its functions and the local gateway in this process.

    Started, it owns moto's mock (and the process environment the functions need); suspended,
    it gives both back, so that tests with a mock of their own (tests/unit) find a fresh moto
    and the environment they had; the next `start()` builds it anew.
    """

    def __init__(self) -> None:
        self.template = load_template(TEMPLATE)
        self.outputs: dict[str, Any] = {}
        self.gateway: Gateway | None = None
        self.runtime: Runtime | None = None
        self._mock: Any = None
        self._saved_environment: dict[str, str] = {}

    @property
    def started(self) -> bool:
        return self._mock is not None

    def start(self) -> None:
        """Provision the resources, load the functions, put the gateway in front."""
        self._saved_environment = dict(os.environ)
        os.environ.update(
            AWS_DEFAULT_REGION=REGION,
            AWS_ACCESS_KEY_ID=CREDENTIALS["aws_access_key_id"],
            AWS_SECRET_ACCESS_KEY=CREDENTIALS["aws_secret_access_key"],
        )
        for name in [name for name in os.environ if name.startswith("AWS_ENDPOINT_URL")]:
            del os.environ[name]  # every SDK call goes to moto's mock
        patches.apply()
        names.install()  # `.localhost` names are loopback, as in the local stack
        _serialize_moto_calls()
        self._mock = mock_aws()
        self._mock.start()
        stack = Provisioner(self.template, boto3.client)
        stack.provision_all()
        config.settings.cache_clear()  # a stack started again has a new pool and new clients
        aws.reset()
        functions = load_functions(stack)
        for function in functions:
            function.policy = iam.policy_of(stack, function.logical_id)
        iam.enforce()
        runtime = self.runtime = Runtime(functions)
        runtime.start(
            {"AWS_REGION": REGION, "AWS_DEFAULT_REGION": REGION, "TZ": "UTC", "STINT_LOCAL": "1"}
        )
        _confirmations.triggers = CognitoTriggers(_MockEmulator(), runtime)  # type: ignore[arg-type]
        _run_triggers_after_confirmations()
        routes = load_routes(stack, runtime.functions, MotoJwks())
        self.gateway = Gateway(routes, runtime)
        self.outputs = {**resolve_outputs(stack), "ApiUrl": URL, "Region": REGION}

    def suspend(self) -> None:
        """Stop the mock (its data goes) and give the environment back."""
        if self._mock is None:
            return
        self._mock.stop()
        self._mock = None
        names.uninstall()
        _confirmations.triggers = None
        self.gateway = None
        os.environ.clear()
        os.environ.update(self._saved_environment)
        time.tzset()

    def invoke(self, logical_id: str, event: Any) -> Any:
        """Invoke the template's function `logical_id` with `event`, as an event source would
        (for what a poller drives over HTTP: a queue's messages, a stream's records)."""
        assert self.runtime is not None, "the stack is not started"
        function = next(f for f in self.runtime.functions if f.logical_id == logical_id)
        return self.runtime.invoke(function, event)

    def session(self) -> requests.Session:
        """A `requests.Session` whose calls to `URL` reach the gateway in this process."""
        session = requests.Session()
        # No proxies or netrc from the environment: requests would iterate os.environ, which a
        # new execution environment's import changes meanwhile on another thread (KeyError).
        session.trust_env = False
        session.mount(URL, GatewayAdapter(self))
        return session


class _MockEmulator:
    """What `local.triggers.CognitoTriggers` asks of the emulator, over moto's mock."""

    region = REGION

    def client(self, service: str) -> Any:
        return boto3.client(service)  # type: ignore[call-overload]


@dataclasses.dataclass
class _Confirmations:
    triggers: CognitoTriggers | None = None  # while the stack is started


_confirmations = _Confirmations()


def _run_triggers_after_confirmations() -> None:
    """A successful ConfirmSignUp or AdminConfirmSignUp runs the pool's PostConfirmation
    function before the call returns, as Cognito (and the local stack's emulator) does;
    a trigger that fails is Cognito's UserLambdaValidationException (idempotent)."""
    original = BaseClient._make_api_call
    if getattr(original, "_stint_triggers", False):
        return

    @functools.wraps(original)
    def _make_api_call(client: BaseClient, operation: str, params: dict[str, Any]) -> Any:
        answer = original(client, operation, params)
        source = POST_CONFIRMATION_SOURCES.get(operation)
        triggers = _confirmations.triggers
        if (
            triggers is not None
            and source
            and client.meta.service_model.signing_name == ("cognito-idp")
        ):
            try:
                triggers.post_confirmation(source, params)
            except HookError as error:
                failure = {"Error": {"Code": error.error_type, "Message": error.message}}
                raise ClientError(failure, operation) from error  # type: ignore[arg-type]
        return answer

    _make_api_call._stint_triggers = True  # type: ignore[attr-defined]
    BaseClient._make_api_call = _make_api_call  # type: ignore[method-assign]


class MotoJwks(JwksCache):
    """The pools' signing keys as moto serves them: one key set for every pool, shipped with
    moto (what its JWKS endpoint answers), read here without a request to fetch it."""

    def __init__(self) -> None:
        super().__init__("https://cognito-idp.moto.invalid")

    def _client(self, pool_id: str) -> jwt.PyJWKClient:
        return _MotoJwkClient(f"https://cognito-idp.moto.invalid/{pool_id}")


class _MotoJwkClient(jwt.PyJWKClient):
    def fetch_data(self) -> Any:
        return load_resource("cognitoidp/resources/jwks-public.json")


_moto_lock = threading.RLock()  # moto calls boto3 inside a call (CloudFormation)


def _serialize_moto_calls() -> None:
    """One call at a time into moto's mock (idempotent)."""
    original = BotocoreStubber.process_request
    if getattr(original, "_stint_serialized", False):
        return

    @functools.wraps(original)
    def process_request(self: BotocoreStubber, request: Any) -> Any:
        with _moto_lock:
            return original(self, request)

    process_request._stint_serialized = True  # type: ignore[attr-defined]
    BotocoreStubber.process_request = process_request  # type: ignore[method-assign]


class GatewayAdapter(BaseAdapter):
    """A `requests` transport that hands each request to the gateway's WSGI app."""

    def __init__(self, stack: InProcessStack) -> None:
        super().__init__()
        self.stack = stack

    def send(self, request: requests.PreparedRequest, **kwargs: Any) -> requests.Response:
        assert self.stack.gateway is not None
        body = request.body
        if isinstance(body, str):
            body = body.encode()
        builder = EnvironBuilder(
            path=request.path_url,
            base_url=URL,
            method=request.method,
            headers=list(request.headers.items()),
            input_stream=io.BytesIO(body or b""),
            content_length=len(body or b""),
        )
        environ = builder.get_environ()
        environ["REMOTE_ADDR"] = "127.0.0.1"
        started = time.perf_counter()
        chunks, status, headers = run_wsgi_app(self.stack.gateway, environ)
        content = b"".join(chunks)
        response = requests.Response()
        response.status_code = int(status.split(" ", 1)[0])
        response.reason = status.split(" ", 1)[1] if " " in status else ""
        response.headers = _joined(headers.items())
        response._content = content
        response.url = request.url or ""
        response.request = request
        response.encoding = "utf-8"
        response.elapsed = datetime.timedelta(seconds=time.perf_counter() - started)
        return response

    def close(self) -> None:
        pass


def _joined(headers: Iterable[tuple[str, str]]) -> CaseInsensitiveDict[str]:
    """Repeated header lines as one, joined by ", " (as urllib3 hands them to requests)."""
    joined: CaseInsensitiveDict[str] = CaseInsensitiveDict()
    for name, value in headers:
        joined[name] = f"{joined[name]}, {value}" if name in joined else value
    return joined


_stack = InProcessStack()
_API_TESTS = Path(__file__).parent / "api"


def serves(node: pytest.Item | pytest.Collector) -> bool:
    """Whether a test (or a module) runs in process: one of tests/api or of a module marked
    `inprocess` elsewhere, not marked `http`, and no deployed stack named (STINT_OUTPUTS:
    everything over HTTP)."""
    return (
        (
            Path(str(node.path)).parent == _API_TESTS
            or node.get_closest_marker("inprocess") is not None
        )
        and node.get_closest_marker("http") is None
        and not os.environ.get("STINT_OUTPUTS")
    )


def stack() -> InProcessStack:
    """This process's in-process stack, started if it is not."""
    if not _stack.started:
        _stack.start()
    return _stack


def suspend() -> None:
    """Give moto's mock back to tests that bring their own (see InProcessStack)."""
    _stack.suspend()


def session_for(base_url: str) -> requests.Session:
    """A session that reaches `base_url`: the in-process gateway's or the network's."""
    if base_url == URL:
        return stack().session()
    return requests.Session()

"""The embedded AWS emulator: moto's server app, one request at a time.

moto's threaded server loses updates under concurrent DynamoDB transactions (see
docs/DESIGN.md, "The local stack"), so every request into moto goes through one lock. The same
endpoint
serves every moto service; the stack uses DynamoDB (with streams) and Cognito.

Hooks run after a successful call, keyed by its `X-Amz-Target`, *outside* the lock (a
hook may call the emulator again, as a Cognito trigger's Lambda does) and before the
response leaves, so the caller sees the hook's effects when the call returns.

`SerializedApp.changes` counts the calls that may have changed moto's state (inside the lock,
so a snapshot taken under the lock knows which calls it holds); local/persistence.py saves
the state only when it moved. Each such call is handed to `SerializedApp.journal` (set by
local/persistence.py) inside the lock, before its answer leaves, with what makes it
reproducible: the seed moto's ids were drawn from and the times it read (local/journal.py).
"""

from __future__ import annotations

import io
import json
import threading
from collections.abc import Callable, Iterable
from http import HTTPStatus
from typing import Any

import boto3
from moto.moto_server.werkzeug_app import MotoRequestHandler

from local import direct, journal
from local.layout import CREDENTIALS
from local.servers import QuietRequestHandler, Server
from local.template import REGION

Hook = Callable[[dict[str, Any]], None]
StartResponse = Callable[..., Any]
Interceptor = Callable[[dict[str, Any]], "tuple[str, list[tuple[str, str]], bytes] | None"]

# Calls that change nothing in moto (a GET changes nothing either: the JWKS). Every other call
# counts as a change; this list only spares the state on disk needless saves.
READ_ONLY_TARGETS = frozenset(
    f"{prefix}.{operation}"
    for prefix, operations in {
        "DynamoDB_20120810": (
            "GetItem BatchGetItem Query Scan DescribeTable ListTables DescribeTimeToLive"
        ),
        "DynamoDBStreams_20120810": "DescribeStream GetShardIterator GetRecords ListStreams",
        "AWSCognitoIdentityProviderService": (
            "AdminGetUser DescribeUserPool DescribeUserPoolClient DescribeUserPoolDomain"
            " DescribeResourceServer ListUserPoolClients ListResourceServers ListUsers"
            " AdminListGroupsForUser"
        ),
        "AmazonSQS": "GetQueueUrl GetQueueAttributes ListQueues",
    }.items()
    for operation in operations.split()
)
# A receive that returned messages changed them (receive count, visibility); an empty one did not.
_RECEIVE_MESSAGE = "AmazonSQS.ReceiveMessage"


class HookError(Exception):
    """Raised by a hook: the caller gets this AWS JSON error instead of the success."""

    def __init__(self, error_type: str, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.error_type = error_type
        self.message = message
        self.status = status

    def response(self) -> tuple[str, list[tuple[str, str]], bytes]:
        body = json.dumps({"__type": self.error_type, "message": self.message}).encode()
        headers = [
            ("Content-Type", "application/x-amz-json-1.1"),
            ("x-amzn-ErrorType", self.error_type),
            ("Content-Length", str(len(body))),
        ]
        return f"{self.status} {HTTPStatus(self.status).phrase}", headers, body


class SerializedApp:
    """A WSGI app that runs the wrapped app under one lock, then the matching hook."""

    def __init__(self, app: Callable[[dict[str, Any], StartResponse], Iterable[bytes]]) -> None:
        self._app = app
        self.lock = threading.Lock()  # held for each call; a snapshot of moto holds it too
        self.hooks: dict[str, Hook] = {}
        # Each may answer a call in moto's stead (local.faults); the first answer is sent.
        self.interceptors: list[Interceptor] = []
        self.changes = 0  # calls that may have changed moto's state (see READ_ONLY_TARGETS)
        # Given each call that may have changed moto's state, in the lock (local.persistence).
        self.journal: Callable[[dict[str, Any]], None] | None = None

    @property
    def moto(self) -> Callable[[dict[str, Any], StartResponse], Iterable[bytes]]:
        """moto's own app: no lock, hook, interceptor or journal (a replay runs calls in it)."""
        return self._app

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> list[bytes]:
        for intercept in self.interceptors:
            answer = intercept(environ)
            if answer is not None:
                start_response(answer[0], answer[1])
                return [answer[2]]
        hook = self.hooks.get(environ.get("HTTP_X_AMZ_TARGET", ""))
        raw = _request_body(environ)
        params = _json(raw) if hook else {}
        status, headers, body = self._serialized(environ, raw)
        if hook and status.startswith("2"):
            try:
                hook(params)
            except HookError as error:
                status, headers, body = error.response()
        start_response(status, headers)
        return [body]

    def _serialized(
        self, environ: dict[str, Any], raw: bytes
    ) -> tuple[str, list[tuple[str, str]], bytes]:
        """Run the app to completion (body included) while holding the lock; journal it."""
        response: dict[str, Any] = {}
        chunks: list[bytes] = []

        def capture(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            response.update(status=status, headers=headers)
            return chunks.append

        with self.lock:
            seed = journal.new_seed()
            journal.seed_moto(seed)
            readings = journal.CLOCK.record()
            try:
                result = self._app(environ, capture)
                try:
                    chunks.extend(result)
                finally:
                    close = getattr(result, "close", None)
                    if close is not None:
                        close()
            finally:
                journal.CLOCK.stop()
            body = b"".join(chunks)
            if _may_have_changed(environ, body):
                self.changes += 1
                if self.journal is not None:
                    self.journal(journal.call_record(environ, raw, seed, readings))
        return response["status"], list(response["headers"]), body


def _may_have_changed(environ: dict[str, Any], body: bytes) -> bool:
    if environ.get("REQUEST_METHOD") == "GET":
        return False
    target = environ.get("HTTP_X_AMZ_TARGET", "")
    if target == _RECEIVE_MESSAGE:
        return b'"Messages"' in body
    return target not in READ_ONLY_TARGETS


def _request_body(environ: dict[str, Any]) -> bytes:
    """The request's body; the stream is replaced so the app can read it again."""
    length = int(environ.get("CONTENT_LENGTH") or 0)
    raw: bytes = environ["wsgi.input"].read(length) if length else b""
    environ["wsgi.input"] = io.BytesIO(raw)
    return raw


def _json(raw: bytes) -> dict[str, Any]:
    try:
        body = json.loads(raw or b"{}")
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


class _MotoHandler(MotoRequestHandler, QuietRequestHandler):
    """moto's header handling, without an access log line per emulator call."""


class Emulator:
    """moto on 127.0.0.1 (port 0: a free one), serialized, with boto3 clients for it."""

    def __init__(self, port: int = 0, region: str = REGION) -> None:
        from moto.server import DomainDispatcherApplication, create_backend_app

        from local import patches

        patches.apply()
        journal.CLOCK.install()
        self.region = region
        moto_app = patches.without_flask(DomainDispatcherApplication(create_backend_app))
        self.app = SerializedApp(moto_app)
        self._server = Server(self.app, port, handler=_MotoHandler)
        # Typed Any: boto3-stubs only types clients whose service name is a literal.
        self._session: Any = boto3.session.Session(
            region_name=region,
            aws_access_key_id=CREDENTIALS["aws_access_key_id"],
            aws_secret_access_key=CREDENTIALS["aws_secret_access_key"],
        )
        self._clients: dict[str, Any] = {}
        self._clients_lock = threading.Lock()

    @property
    def url(self) -> str:
        return self._server.url

    def start(self) -> Emulator:
        self._server.start()
        direct.serve(self.url, self.app)  # this process's calls skip the socket (local.direct)
        return self

    def stop(self) -> None:
        direct.forget(self.url)
        self._server.stop()

    def client(self, service: str) -> Any:
        """A boto3 client for `service` at the emulator (created once; safe across threads)."""
        with self._clients_lock:
            if service not in self._clients:
                self._clients[service] = self._session.client(service, endpoint_url=self.url)
            return self._clients[service]

"""The emulator called in this process: a botocore request for its URL skips the socket.

The functions, the pollers, the triggers and the stack's own set-up all run in the local
stack's process and call the emulator through boto3. Sent over HTTP, each call opened a new
connection (werkzeug's server closes every one after its response) served by a new thread,
and was parsed twice more; here botocore's request (already serialized and signed) becomes a
WSGI environ (built here, as a WSGI server builds one: werkzeug's `EnvironBuilder` was a
twentieth of the stack's time) handed to the emulator's app,
the same `SerializedApp` the HTTP server serves: its lock, its journal, its hooks and its
fault interceptors all apply. Calls from other processes (tests, clients) still come over HTTP.

Such a request is not signed either: moto reads only the credential scope of the
`Authorization` header (the access key, the region, the service), never the signature, so the
header names the scope and carries no signature; SigV4's canonical request and HMACs were a
tenth of the stack's time.
"""

from __future__ import annotations

import io
import sys
import time
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import unquote, urlsplit

from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSPreparedRequest, AWSResponse
from botocore.endpoint import Endpoint

App = Callable[[dict[str, Any], Callable[..., Any]], Any]
_PATCHED = "_stint_local_direct"

_apps: dict[str, App] = {}  # "http://127.0.0.1:port" -> the app served there


class _Body(io.BytesIO):
    """What botocore reads a response's body from (urllib3's `stream()`)."""

    def stream(self, **_: Any) -> Iterator[bytes]:
        data = self.read()
        if data:
            yield data


def serve(url: str, app: App) -> None:
    """Send this process's botocore requests for `url` to `app` (until `forget`)."""
    _apps[url.rstrip("/")] = app
    original = getattr(Endpoint, "_send")  # noqa: B009 (private: botocore-stubs lacks it)
    if getattr(original, _PATCHED, False):
        return

    def _send(endpoint: Endpoint, request: AWSPreparedRequest) -> Any:
        parts = urlsplit(request.url)
        app = _apps.get(f"{parts.scheme}://{parts.netloc}")
        if app is None:
            return original(endpoint, request)
        return call(app, request, parts.scheme, parts.netloc)

    setattr(_send, _PATCHED, True)
    setattr(Endpoint, "_send", _send)  # noqa: B010
    _sign_with_scope_only()


def _sign_with_scope_only() -> None:
    original = SigV4Auth.add_auth

    def add_auth(auth: Any, request: Any) -> None:  # Any: botocore-stubs lack these members
        parts = urlsplit(request.url)
        if f"{parts.scheme}://{parts.netloc}" not in _apps or auth.credentials is None:
            original(auth, request)
            return
        date = time.strftime("%Y%m%d", time.gmtime())
        scope = f"{auth.credentials.access_key}/{date}/{auth._region_name}/{auth._service_name}"
        for name in ("Authorization", "X-Amz-Date"):
            if name in request.headers:
                del request.headers[name]
        request.headers["X-Amz-Date"] = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
        request.headers["Authorization"] = (
            f"AWS4-HMAC-SHA256 Credential={scope}/aws4_request, SignedHeaders=host, Signature=-"
        )

    setattr(SigV4Auth, "add_auth", add_auth)  # noqa: B010


def forget(url: str) -> None:
    _apps.pop(url.rstrip("/"), None)


def call(app: App, request: AWSPreparedRequest, scheme: str, netloc: str) -> AWSResponse:
    raw: Any = request.body
    body: bytes = raw.read() if hasattr(raw, "read") else raw or b""
    if isinstance(body, str):
        body = body.encode()
    parts = urlsplit(request.url)
    environ: dict[str, Any] = {
        "REQUEST_METHOD": request.method,
        "SCRIPT_NAME": "",
        "PATH_INFO": unquote(parts.path or "/", "latin-1"),
        "QUERY_STRING": parts.query,
        "REQUEST_URI": parts.path or "/",
        "RAW_URI": parts.path or "/",
        "SERVER_NAME": parts.hostname or "",
        "SERVER_PORT": str(parts.port or (443 if scheme == "https" else 80)),
        "SERVER_PROTOCOL": "HTTP/1.1",
        "HTTP_HOST": netloc,
        "CONTENT_LENGTH": str(len(body)),
        "wsgi.version": (1, 0),
        "wsgi.url_scheme": scheme,
        "wsgi.input": io.BytesIO(body),
        "wsgi.errors": sys.stderr,
        "wsgi.multithread": True,
        "wsgi.multiprocess": False,
        "wsgi.run_once": False,
    }
    for name, value in request.headers.items():
        key = name.upper().replace("-", "_")
        text = value.decode() if isinstance(value, bytes) else str(value)
        if key in ("CONTENT_TYPE", "CONTENT_LENGTH"):
            environ[key] = text
        elif key != "HOST":
            environ[f"HTTP_{key}"] = text
    answer: dict[str, Any] = {}

    def start_response(status: str, response_headers: list[tuple[str, str]], *_: Any) -> None:
        answer.update(status=int(status.split(" ", 1)[0]), headers=dict(response_headers))

    chunks = app(environ, start_response)
    try:
        data = b"".join(chunks)
    finally:
        close = getattr(chunks, "close", None)
        if close is not None:
            close()
    return AWSResponse(request.url, answer["status"], answer["headers"], _Body(data))

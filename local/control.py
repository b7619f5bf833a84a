"""`/_local`: what the front serves besides the API, for this machine's own tools only.

Under the prefix (a mount of the gateway, local.gateway): `/_local/faults`, the fault switch
(local.faults), and `/_local/aws`, the emulator itself (local.emulator: every service it
emulates), which is the `CognitoEndpointUrl` output: the front's URL and a fixed path, so it
stays the same across restarts on one port (docs/DESIGN.md, "The local stack").

Nothing here asks for a token, so a request is refused (`403`, `{"message": ...}`, logged)
unless nothing in it says that a browser sent it for a page of another origin:

- it comes from the loopback;
- its `Host` names the front (127.0.0.1, localhost or [::1], the front's port): a page whose
  DNS name was rebound to 127.0.0.1 sends its own name;
- its `Origin`, if any, is the front's own, and its `Sec-Fetch-Site`, if any, `same-origin` or
  `none` (another port of 127.0.0.1 is the same *site*, not the same origin);
- a request with a body declares a content type that no page can send without a CORS
  preflight (not `text/plain`, `application/x-www-form-urlencoded`, `multipart/form-data`, nor
  none), or is signed (`Authorization`, as an AWS SDK signs a query-protocol call). A preflight
  is never answered here, so the browser sends nothing after it.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterable, Mapping
from http import HTTPStatus
from typing import Any
from urllib.parse import urlsplit

from werkzeug.datastructures import EnvironHeaders

from local.servers import RAW_HEADERS_KEY

log = logging.getLogger("stint.local")

PREFIX = "/_local"
EMULATOR_PATH = "/_local/aws"
LOOPBACK = frozenset({"127.0.0.1", "::1"})
LOOPBACK_NAMES = frozenset({"127.0.0.1", "localhost", "::1"})
# The content types of a "simple" request: a page may send them to any origin, unasked.
SIMPLE_CONTENT_TYPES = frozenset(
    {"", "text/plain", "application/x-www-form-urlencoded", "multipart/form-data"}
)
SAME_ORIGIN_FETCHES = frozenset({"same-origin", "none"})

StartResponse = Callable[..., Any]
WsgiApp = Callable[[dict[str, Any], StartResponse], Iterable[bytes]]


class LocalOnly:
    """The WSGI app of `/_local`: the guard above, then the app mounted at the path."""

    def __init__(self, apps: Mapping[str, WsgiApp]) -> None:
        self.apps = dict(apps)  # path prefix (under PREFIX) -> app

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        method, path = environ.get("REQUEST_METHOD", "GET"), str(environ.get("PATH_INFO", ""))
        refusal = refusal_of(environ)
        if refusal is not None:
            log.warning("%s %s refused: %s", method, path, refusal)
            return answer(start_response, 403, {"message": f"Forbidden: {refusal}"})
        for prefix, app in self.apps.items():
            if path == prefix or path.startswith(prefix + "/"):
                return app(environ, start_response)
        return answer(start_response, 404, {"message": "Not Found"})


def refusal_of(environ: dict[str, Any]) -> str | None:
    """Why this request may come from a page of another origin; None if nothing says so."""
    headers = _headers(environ)
    port = str(environ.get("SERVER_PORT", ""))
    if environ.get("REMOTE_ADDR") not in LOOPBACK:
        return "not from this machine"
    hosts = headers.get("host", [])
    if len(hosts) != 1 or not _is_front(f"http://{hosts[0]}", port):
        return "Host does not name this stack"
    if any(not _is_front(origin, port) for origin in headers.get("origin", [])):
        return "sent for a page of another origin"
    if any(site.lower() not in SAME_ORIGIN_FETCHES for site in headers.get("sec-fetch-site", [])):
        return "sent for a page of another origin (Sec-Fetch-Site)"
    has_body = int(environ.get("CONTENT_LENGTH") or 0) > 0 or bool(headers.get("transfer-encoding"))
    content_type = (headers.get("content-type") or [""])[-1].split(";")[0].strip().lower()
    if has_body and content_type in SIMPLE_CONTENT_TYPES and not headers.get("authorization"):
        return f"a body of type {content_type or 'none'} (send application/json)"
    return None


def _is_front(url: str, port: str) -> bool:
    try:
        parts = urlsplit(url)
        return (
            parts.scheme == "http"
            and parts.hostname in LOOPBACK_NAMES
            and str(parts.port or 80) == port
            and parts.path in ("", "/")
        )
    except ValueError:  # an unreadable URL (a bad port) names nothing
        return False


def _headers(environ: dict[str, Any]) -> dict[str, list[str]]:
    """Every value of every header as sent (lower-cased names), repeats included."""
    raw = environ.get(RAW_HEADERS_KEY)
    if raw is None:
        raw = list(EnvironHeaders(environ).items())
    headers: dict[str, list[str]] = {}
    for name, value in raw:
        headers.setdefault(str(name).lower(), []).append(str(value))
    return headers


def under(prefix: str, app: WsgiApp) -> WsgiApp:
    """`app` served at `prefix`: it sees the path after it (SCRIPT_NAME gets the prefix)."""

    def mounted(environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        path = str(environ.get("PATH_INFO", ""))
        inner = {**environ, "PATH_INFO": path[len(prefix) :] or "/"}
        inner["SCRIPT_NAME"] = str(environ.get("SCRIPT_NAME", "")) + prefix
        for key in ("REQUEST_URI", "RAW_URI"):
            if str(environ.get(key, "")).startswith(prefix):
                inner[key] = str(environ[key])[len(prefix) :] or "/"
        return app(inner, start_response)

    return mounted


def answer(start_response: StartResponse, status: int, body: dict[str, Any]) -> list[bytes]:
    data = json.dumps(body).encode()
    start_response(
        f"{status} {HTTPStatus(status).phrase}",
        [("Content-Type", "application/json"), ("Content-Length", str(len(data)))],
    )
    return [data]

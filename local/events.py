"""What the local gateway reads from an HTTP request, and the Lambda proxy event it builds.

API Gateway's REST API, payload format 1.0: the headers as the client sent them but those
API Gateway sets itself (`Host`, its domain's: here the front's own address, never a client's
`Host`; `X-Forwarded-*`), the query string, the path parameters, the authorizer's claims, the
body (base64 for the API's `BinaryMediaTypes`) and the request context.
"""

from __future__ import annotations

import base64
import fnmatch
import io
import json
import time
import uuid
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, quote, urlsplit

from werkzeug.datastructures import EnvironHeaders
from werkzeug.wsgi import get_input_stream

from local.resources import fake_id
from local.routes import Api, Route
from local.servers import RAW_HEADERS_KEY, own_host
from local.template import ACCOUNT_ID

MAX_BODY_BYTES = 10 * 1024 * 1024  # API Gateway's payload limit


@dataclass(frozen=True)
class IncomingRequest:
    """What the gateway reads from an HTTP request."""

    request_id: str
    method: str
    path: str  # as sent: percent-encoded, as a REST API passes it on
    query_string: str
    headers: list[tuple[str, str]]  # as sent: names' case, order, repeats
    source_ip: str
    host: str  # the front's own (its socket's address), never the client's Host header
    port: str
    scheme: str
    protocol: str

    @classmethod
    def from_environ(cls, environ: dict[str, Any], request_id: str) -> IncomingRequest:
        raw = environ.get("REQUEST_URI") or environ.get("RAW_URI")
        if raw:
            path = urlsplit(raw).path or "/"
        else:
            path = quote(environ.get("PATH_INFO", "/").encode("latin-1"), safe="/%")
        headers = environ.get(RAW_HEADERS_KEY)  # see servers.RawHeadersRequestHandler
        if headers is None:
            headers = list(EnvironHeaders(environ).items())
        return cls(
            request_id=request_id,
            method=str(environ["REQUEST_METHOD"]).upper(),
            path=path,
            query_string=str(environ.get("QUERY_STRING", "")),
            headers=[(str(name), str(value)) for name, value in headers],
            source_ip=str(environ.get("REMOTE_ADDR", "127.0.0.1")),
            host=own_host(environ),
            port=str(environ.get("SERVER_PORT", "")),
            scheme=str(environ.get("wsgi.url_scheme", "http")),
            protocol=str(environ.get("SERVER_PROTOCOL", "HTTP/1.1")),
        )

    def header(self, name: str) -> str | None:
        """The last value of a header, any case."""
        values = [value for key, value in self.headers if key.lower() == name.lower()]
        return values[-1] if values else None


def read_body(environ: dict[str, Any]) -> bytes | None:
    """The request body, or None when it is over the limit (the rest is read and dropped).

    Raises ClientDisconnected when the body ends (the client closed, or sent nothing for
    servers.READ_TIMEOUT_S) before its Content-Length."""
    stream = get_input_stream(environ, max_content_length=None)
    chunks: list[bytes] = []
    size = 0
    # Until the Content-Length, or one byte past the limit: a read that ends early raises.
    while size <= MAX_BODY_BYTES and (chunk := stream.read(MAX_BODY_BYTES + 1 - size)):
        chunks.append(chunk)
        size += len(chunk)
    if size <= MAX_BODY_BYTES:
        return b"".join(chunks)
    while stream.read(1 << 20):
        pass
    return None


def mounted_environ(
    environ: dict[str, Any], request: IncomingRequest, body: bytes
) -> dict[str, Any]:
    """What a mounted app gets: the body read (as the gateway read it) and the front's Host."""
    return {
        **environ,
        "wsgi.input": io.BytesIO(body),
        "CONTENT_LENGTH": str(len(body)),
        "HTTP_HOST": request.host,
    }


def proxy_event(
    route: Route,
    request: IncomingRequest,
    path_parameters: dict[str, str],
    body: bytes,
    claims: dict[str, str] | None,
) -> dict[str, Any]:
    """API Gateway's Lambda proxy event, payload format 1.0."""
    headers: dict[str, str] = {}
    multi_headers: dict[str, list[str]] = {}
    for name, value in _event_headers(request):
        headers[name] = value
        multi_headers.setdefault(name, []).append(value)
    query: dict[str, str] = {}
    multi_query: dict[str, list[str]] = {}
    for name, value in parse_qsl(request.query_string, keep_blank_values=True):
        query[name] = value
        multi_query.setdefault(name, []).append(value)
    is_binary = bool(body) and _is_binary(request.header("Content-Type") or "", route.api)
    now = time.time()
    host = request.host
    context: dict[str, Any] = {
        "resourceId": fake_id(route.path, 6),
        "resourcePath": route.path,
        "httpMethod": request.method,
        "extendedRequestId": fake_id(request.request_id, 16),
        "requestTime": time.strftime("%d/%b/%Y:%H:%M:%S +0000", time.gmtime(now)),
        # The path as requested: API Gateway's has the stage first (/prod/v1/me) on its
        # execute-api domain; the local front serves the routes at its root.
        "path": request.path,
        "accountId": ACCOUNT_ID,
        "protocol": request.protocol,
        "stage": route.api.stage,
        "domainPrefix": host.split(".")[0],
        "requestTimeEpoch": int(now * 1000),
        "requestId": request.request_id,
        "identity": {
            "cognitoIdentityPoolId": None,
            "accountId": None,
            "cognitoIdentityId": None,
            "caller": None,
            "sourceIp": request.source_ip,
            "principalOrgId": None,
            "accessKey": None,
            "cognitoAuthenticationType": None,
            "cognitoAuthenticationProvider": None,
            "userArn": None,
            "userAgent": request.header("User-Agent"),
            "user": None,
        },
        "domainName": host,
        "apiId": route.api.api_id,
    }
    if claims is not None:
        context["authorizer"] = {"claims": claims}
    event_body = None
    if body:  # text unless the API lists the content type in BinaryMediaTypes
        event_body = base64.b64encode(body).decode() if is_binary else body.decode(errors="replace")
    return {
        "resource": route.path,
        "path": request.path,
        "httpMethod": request.method,
        "headers": headers or None,
        "multiValueHeaders": multi_headers or None,
        "queryStringParameters": query or None,
        "multiValueQueryStringParameters": multi_query or None,
        "pathParameters": path_parameters or None,
        "stageVariables": None,
        "requestContext": context,
        "body": event_body,
        "isBase64Encoded": is_binary,
    }


SET_BY_THE_GATEWAY = frozenset({"host", "x-forwarded-port", "x-forwarded-proto"})


def _event_headers(request: IncomingRequest) -> list[tuple[str, str]]:
    """The client's headers as sent, but those API Gateway sets: `Host` (its domain's),
    `X-Forwarded-Port` and `-Proto` (the front's), `X-Forwarded-For` (the client's, then the
    source IP)."""
    kept = [(n, v) for n, v in request.headers if n.lower() not in SET_BY_THE_GATEWAY]
    forwarded_for = request.header("X-Forwarded-For")
    set_here = {
        "Host": request.host,
        "X-Forwarded-For": f"{forwarded_for}, {request.source_ip}"
        if forwarded_for
        else request.source_ip,
        "X-Forwarded-Port": request.port,
        "X-Forwarded-Proto": request.scheme,
    }
    kept = [(n, v) for n, v in kept if n.lower() != "x-forwarded-for"]
    return [*kept, *set_here.items()]


def _is_binary(content_type: str, api: Api) -> bool:
    media_type = content_type.split(";", 1)[0].strip().lower()
    return any(fnmatch.fnmatch(media_type, pattern.lower()) for pattern in api.binary_media_types)


def direct_event(
    method: str,
    path: str,
    user: str,
    *,
    caller: str,
    username: str | None = None,
    body: Any = None,
    query: dict[str, str] | None = None,
    headers: dict[str, str] | None = None,
) -> dict[str, Any]:
    """A REST proxy event of `user`'s access token (the Cognito authorizer's claims), built
    without the gateway or its route table (the resource is the path itself, no path
    parameters): for a caller that invokes a handler directly, a bench or a unit test, which
    `caller` names in the Host header, the API id and the user agent."""
    all_headers = {"Content-Type": "application/json", "Host": f"{caller}.local", **(headers or {})}
    claims = {
        "sub": user,
        "username": username or user,
        "token_use": "access",
        "scope": "aws.cognito.signin.user.admin",
    }
    return {
        "resource": path,
        "path": path,
        "httpMethod": method,
        "headers": all_headers,
        "multiValueHeaders": {k: [v] for k, v in all_headers.items()},
        "queryStringParameters": query or None,
        "multiValueQueryStringParameters": {k: [v] for k, v in query.items()} if query else None,
        "pathParameters": None,
        "stageVariables": None,
        "requestContext": {
            "resourcePath": path,
            "httpMethod": method,
            "path": f"/prod{path}",
            "stage": "prod",
            "requestId": str(uuid.uuid4()),
            "accountId": ACCOUNT_ID,
            "apiId": caller,
            "protocol": "HTTP/1.1",
            "identity": {"sourceIp": "127.0.0.1", "userAgent": caller},
            "authorizer": {"claims": claims},
        },
        "body": None if body is None else json.dumps(body),
        "isBase64Encoded": False,
    }

"""The HTTP front: API Gateway (REST API, Lambda proxy integration) in front of the handlers.

Per request, in API Gateway's order: the body limit (10 MB, else REQUEST_TOO_LARGE),
the route (else MISSING_AUTHENTICATION_TOKEN, API Gateway's 403 for unknown paths and
methods), the route's Cognito authorizer (else UNAUTHORIZED), then the function with a
proxy event in payload format 1.0; its response is returned as API Gateway returns it.
A failed function or a malformed proxy response is a 502 `Internal server error`.

An `OPTIONS` request on a resource without an OPTIONS route is the API's CORS preflight when
the API has `Cors` (SAM's mock integration: 200, `{}`, the configured headers; behind the
default authorizer unless `AddDefaultAuthorizerToCorsPreflight` is false). Paths under a mount
(the user pool domain's `/oauth2/`, see `local.oauth`) go to that WSGI app instead.

The gateway's own error responses honour the API's `GatewayResponses` from the template
(status code, `application/json` template, literal headers), falling back to DEFAULT_4XX /
DEFAULT_5XX and then to API Gateway's defaults.
"""

from __future__ import annotations

import base64
import fnmatch
import json
import logging
import time
import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, quote, urlsplit

from werkzeug.datastructures import EnvironHeaders, Headers
from werkzeug.wrappers import Response
from werkzeug.wsgi import get_input_stream

from local.functions import Runtime
from local.resources import fake_id
from local.routes import Api, Route, RouteTable
from local.servers import RAW_HEADERS_KEY
from local.template import ACCOUNT_ID

log = logging.getLogger("stint.local")

MAX_BODY_BYTES = 10 * 1024 * 1024  # API Gateway's payload limit

# Gateway response type -> API Gateway's default status, message and x-amzn-ErrorType.
GATEWAY_RESPONSES: dict[str, tuple[int, str | None, str]] = {
    "MISSING_AUTHENTICATION_TOKEN": (
        403,
        "Missing Authentication Token",
        "MissingAuthenticationTokenException",
    ),
    "UNAUTHORIZED": (401, "Unauthorized", "UnauthorizedException"),
    "REQUEST_TOO_LARGE": (413, "Request Too Long", "RequestTooLargeException"),
    "AUTHORIZER_CONFIGURATION_ERROR": (500, None, "AuthorizerConfigurationException"),
    "AUTHORIZER_FAILURE": (500, None, "AuthorizerFailureException"),
}

StartResponse = Callable[..., Any]
WsgiApp = Callable[[dict[str, Any], StartResponse], Iterable[bytes]]


@dataclass(frozen=True)
class IncomingRequest:
    """What the gateway reads from an HTTP request."""

    request_id: str
    method: str
    path: str  # as sent: percent-encoded, as a REST API passes it on
    query_string: str
    headers: list[tuple[str, str]]  # as sent: names' case, order, repeats
    source_ip: str
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
            port=str(environ.get("SERVER_PORT", "")),
            scheme=str(environ.get("wsgi.url_scheme", "http")),
            protocol=str(environ.get("SERVER_PROTOCOL", "HTTP/1.1")),
        )

    def header(self, name: str) -> str | None:
        """The last value of a header, any case."""
        values = [value for key, value in self.headers if key.lower() == name.lower()]
        return values[-1] if values else None


class Gateway:
    """The WSGI app that plays API Gateway for every route in the table."""

    def __init__(
        self,
        routes: RouteTable,
        runtime: Runtime,
        mounts: Mapping[str, WsgiApp] | None = None,
    ) -> None:
        self.routes = routes
        self.runtime = runtime
        self.mounts = dict(mounts or {})  # path prefix -> a WSGI app that is not API Gateway's

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        path = str(environ.get("PATH_INFO", ""))
        for prefix, app in self.mounts.items():
            if path.startswith(prefix):
                return app(environ, start_response)
        started = time.perf_counter()
        request = IncomingRequest.from_environ(environ, str(uuid.uuid4()))
        try:
            response = self._handle(request, read_body(environ))
        except Exception:
            log.exception("%s %s: the local gateway failed", request.method, request.path)
            response = self._error(None, "AUTHORIZER_FAILURE", request)
        response.headers["x-amzn-RequestId"] = request.request_id
        elapsed_ms = (time.perf_counter() - started) * 1000
        log.info("%s %s %d %.1fms", request.method, request.path, response.status_code, elapsed_ms)
        return response(environ, start_response)

    def _handle(self, request: IncomingRequest, body: bytes | None) -> Response:
        if body is None:
            return self._error(None, "REQUEST_TOO_LARGE", request)
        match = self.routes.match(request.method, request.path)
        if match is None and request.method == "OPTIONS":
            return self._preflight(request)
        if match is None:
            return self._error(None, "MISSING_AUTHENTICATION_TOKEN", request)
        route, path_parameters = match
        if route.authorizer_error:
            return self._error(route.api, "AUTHORIZER_CONFIGURATION_ERROR", request)
        claims = None
        if route.authorizer:
            headers = {name.lower(): value for name, value in request.headers}
            claims = route.authorizer.authorize(headers, route.scopes)
            if claims is None:
                return self._error(route.api, "UNAUTHORIZED", request)
        event = proxy_event(route, request, path_parameters, body, claims)
        try:
            result = self.runtime.invoke(route.function, event)
        except Exception:
            log.exception("%s failed", route.function.logical_id)
            return internal_server_error()
        response = proxy_response(result)
        if response is None:
            log.error("%s: malformed Lambda proxy response: %.500r", route.function.name, result)
            return internal_server_error()
        return response

    def _preflight(self, request: IncomingRequest) -> Response:
        """SAM's OPTIONS method of the resource, when its API has `Cors`."""
        resource = self.routes.resource(request.path)
        routes = list(resource[0].values()) if resource else []
        api = routes[0].api if routes else None
        if api is None or api.cors is None:
            return self._error(api, "MISSING_AUTHENTICATION_TOKEN", request)
        if api.preflight_authorizer is not None:
            headers = {name.lower(): value for name, value in request.headers}
            if api.preflight_authorizer.authorize(headers, api.preflight_authorizer.scopes) is None:
                return self._error(api, "UNAUTHORIZED", request)
        headers = api.cors.preflight_headers(route.method for route in routes)
        return Response("{}\n", status=200, headers={"Content-Type": "application/json", **headers})

    def _error(self, api: Api | None, response_type: str, request: IncomingRequest) -> Response:
        return gateway_response(api or self.routes.default_api, response_type, request.request_id)


# ----------------------------------------------------------------------------- requests


def read_body(environ: dict[str, Any]) -> bytes | None:
    """The request body, or None when it is over the limit (the rest is read and dropped)."""
    stream = get_input_stream(environ, max_content_length=None)
    body = stream.read(MAX_BODY_BYTES + 1)
    if len(body) <= MAX_BODY_BYTES:
        return body
    while stream.read(1 << 20):
        pass
    return None


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
    for name, value in [*request.headers, *_forwarded_headers(request)]:
        headers[name] = value
        multi_headers.setdefault(name, []).append(value)
    query: dict[str, str] = {}
    multi_query: dict[str, list[str]] = {}
    for name, value in parse_qsl(request.query_string, keep_blank_values=True):
        query[name] = value
        multi_query.setdefault(name, []).append(value)
    is_binary = bool(body) and _is_binary(request.header("Content-Type") or "", route.api)
    now = time.time()
    host = request.header("Host") or "127.0.0.1"
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


def _forwarded_headers(request: IncomingRequest) -> list[tuple[str, str]]:
    """The X-Forwarded-* headers API Gateway adds (a client's own are kept as sent)."""
    added = {
        "X-Forwarded-For": request.source_ip,
        "X-Forwarded-Port": request.port,
        "X-Forwarded-Proto": request.scheme,
    }
    return [(name, value) for name, value in added.items() if request.header(name) is None]


def _is_binary(content_type: str, api: Api) -> bool:
    media_type = content_type.split(";", 1)[0].strip().lower()
    return any(fnmatch.fnmatch(media_type, pattern.lower()) for pattern in api.binary_media_types)


# ----------------------------------------------------------------------------- responses


def proxy_response(result: Any) -> Response | None:
    """The HTTP response for a Lambda proxy result, or None if API Gateway would reject it."""
    if not isinstance(result, dict):
        return None
    try:
        status = int(result.get("statusCode", ""))
    except ValueError:
        return None
    data = _proxy_body(result)
    headers = _proxy_headers(result)
    if data is None or headers is None:
        return None
    return Response(data, status=status, headers=headers)


def _proxy_body(result: dict[str, Any]) -> bytes | None:
    """A proxy result's body as bytes (decoded if base64), or None if it is malformed."""
    body = result.get("body")
    if body is not None and not isinstance(body, str):
        return None
    if not (result.get("isBase64Encoded") and body):
        return (body or "").encode()
    try:
        return base64.b64decode(body, validate=True)
    except ValueError:
        return None


def _proxy_headers(result: dict[str, Any]) -> Headers | None:
    """A proxy result's headers, single and multi-value, or None if they are malformed."""
    single = result.get("headers") or {}
    multi = result.get("multiValueHeaders") or {}
    if not isinstance(single, dict) or not isinstance(multi, dict):
        return None
    headers = Headers()
    for name, value in single.items():
        if name not in multi:  # API Gateway: multiValueHeaders win for the same name
            headers.add(name, str(value))
    for name, values in multi.items():
        for value in values if isinstance(values, list) else [values]:
            headers.add(name, str(value))
    if "Content-Type" not in headers:
        headers["Content-Type"] = "application/json"  # API Gateway's default
    return headers


def gateway_response(api: Api, response_type: str, request_id: str) -> Response:
    """One of API Gateway's own responses, as the API's `GatewayResponses` customize it."""
    status, message, error_type = GATEWAY_RESPONSES[response_type]
    specific = api.gateway_responses.get(response_type) or {}
    default = api.gateway_responses.get("DEFAULT_4XX" if status < 500 else "DEFAULT_5XX") or {}
    custom = specific or default
    status = int(specific.get("StatusCode", status))
    template = (custom.get("ResponseTemplates") or {}).get("application/json")
    body = (
        _render(str(template), response_type, message, request_id)
        if template is not None
        else json.dumps({"message": message})
    )
    headers = Headers({"Content-Type": "application/json", "x-amzn-ErrorType": error_type})
    for name, value in ((custom.get("ResponseParameters") or {}).get("Headers") or {}).items():
        headers[name] = str(value).strip("'")  # only literal values ('...') are supported
    return Response(body, status=status, headers=headers)


def internal_server_error() -> Response:
    """API Gateway's answer when the function fails or returns a malformed response."""
    return Response(
        json.dumps({"message": "Internal server error"}),
        status=502,
        headers={
            "Content-Type": "application/json",
            "x-amzn-ErrorType": "InternalServerErrorException",
        },
    )


def _render(template: str, response_type: str, message: str | None, request_id: str) -> str:
    """The few `$context` variables a gateway response template usually uses."""
    return (
        template.replace("$context.error.messageString", json.dumps(message))
        .replace("$context.error.message", message or "")
        .replace("$context.error.responseType", response_type)
        .replace("$context.requestId", request_id)
    )

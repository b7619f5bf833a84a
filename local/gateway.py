"""The HTTP front: API Gateway (REST API, Lambda proxy integration) in front of the handlers.

Per request, in API Gateway's order: the body limit (10 MB, else REQUEST_TOO_LARGE),
the route (else MISSING_AUTHENTICATION_TOKEN, API Gateway's 403 for unknown paths and
methods), the route's Cognito authorizer (else UNAUTHORIZED), then the function with a
proxy event in payload format 1.0; its response is returned as API Gateway returns it.
A failed function or a malformed proxy response is a 502 `Internal server error`.

An `OPTIONS` request on a resource without an OPTIONS route is the API's CORS preflight when
the API has `Cors` (SAM's mock integration: 200, `{}`, the configured headers; behind the
default authorizer unless `AddDefaultAuthorizerToCorsPreflight` is false). Paths under a mount
(the user pool domain's `/oauth2/`, see `local.oauth`; `/_local`, see `local.control`) go to that
WSGI app instead, with the body read as for the API and `Host` naming the front.

The host every event names (`Host`, `requestContext.domainName`) and the `X-Forwarded-Proto`
and `-Port` are the front's own (its socket's), as API Gateway sets them for its domain: no
URL the functions write (`Location`, `Link`, the document's `servers`) follows a client's `Host`.
A body shorter than its `Content-Length` (the client went silent or closed) is a quick `400`
(BAD_REQUEST_BODY, in the API's error shape unless the template customizes it).

The gateway's own error responses honour the API's `GatewayResponses` from the template
(status code, `application/json` template, literal headers), falling back to DEFAULT_4XX /
DEFAULT_5XX and then to API Gateway's defaults.
"""

from __future__ import annotations

import base64
import json
import logging
import time
import uuid
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from werkzeug.datastructures import Headers
from werkzeug.exceptions import ClientDisconnected
from werkzeug.wrappers import Response

from local.events import IncomingRequest, mounted_environ, proxy_event, read_body
from local.functions import Runtime
from local.routes import Api, RouteTable

log = logging.getLogger("stint.local")

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
    "BAD_REQUEST_BODY": (
        400,
        "Invalid request body: it ended before its Content-Length",
        "BadRequestException",
    ),
}
# What a gateway response says when the template does not customize it, if not API Gateway's
# `{"message": ...}`: a broken body in the API's error shape (docs/API.md, "Errors").
DEFAULT_TEMPLATES = {
    "BAD_REQUEST_BODY": '{"error": {"code": "invalid_json", "message": '
    '$context.error.messageString, "requestId": "$context.requestId"}}',
}

StartResponse = Callable[..., Any]
WsgiApp = Callable[[dict[str, Any], StartResponse], Iterable[bytes]]


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
        started = time.perf_counter()
        request = IncomingRequest.from_environ(environ, str(uuid.uuid4()))
        broken = False
        try:
            body = read_body(environ)
        except ClientDisconnected:
            log.warning("%s %s: the body ended before its length", request.method, request.path)
            body, broken = b"", True
        app = None if broken or body is None else self._mount(environ)
        if app is not None and body is not None:
            return app(mounted_environ(environ, request, body), start_response)
        try:
            if broken:
                response = self._error(None, "BAD_REQUEST_BODY", request)
            else:
                response = self._handle(request, body)
        except Exception:
            log.exception("%s %s: the local gateway failed", request.method, request.path)
            response = self._error(None, "AUTHORIZER_FAILURE", request)
        response.headers["x-amzn-RequestId"] = request.request_id
        elapsed_ms = (time.perf_counter() - started) * 1000
        log.info("%s %s %d %.1fms", request.method, request.path, response.status_code, elapsed_ms)
        return response(environ, start_response)

    def _mount(self, environ: dict[str, Any]) -> WsgiApp | None:
        path = str(environ.get("PATH_INFO", ""))
        return next((app for prefix, app in self.mounts.items() if path.startswith(prefix)), None)

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
    template = DEFAULT_TEMPLATES.get(response_type) if template is None else template
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

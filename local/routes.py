"""The REST APIs and routes that template.yaml declares, and API Gateway's route matching.

Routes are the functions' `Type: Api` events (SAM): Path (with `{param}` and `{proxy+}`
placeholders), Method (or ANY), the API they belong to (RestApiId, else SAM's implicit
`ServerlessRestApi`), and Auth (Authorizer, AuthorizationScopes) over the API's
`Auth.DefaultAuthorizer` and `Auth.Authorizers`.

Matching is API Gateway's: the resource whose path matches most specifically wins
(segment by segment: literal before `{param}` before `{proxy+}`), then the method on that
resource (an exact method before ANY).

An API's `Cors` (SAM) adds an `OPTIONS` method without authorizer to every resource that has
none: a mock integration answering the preflight with the configured headers (`Cors`).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from local.authorizer import CognitoAuthorizer, JwksCache
from local.functions import Function
from local.resources import Provisioner, fake_id
from local.template import ref_target

log = logging.getLogger("stint.local")

IMPLICIT_API = "ServerlessRestApi"  # SAM's API for events without a RestApiId
IMPLICIT_STAGE = "Prod"
# What SAM's preflight allows on a resource with an ANY method (samtranslator's swagger.py).
ALL_METHODS = ("DELETE", "GET", "HEAD", "OPTIONS", "PATCH", "POST", "PUT")


@dataclass(frozen=True)
class Cors:
    """An API's `Cors`, as SAM turns it into each resource's OPTIONS method (a mock
    integration: status 200, body `{}`, these headers; values are API Gateway's literals)."""

    allow_origin: str
    allow_headers: str | None = None
    allow_methods: str | None = None  # None: the resource's own methods and OPTIONS
    max_age: str | None = None
    allow_credentials: bool = False

    @classmethod
    def from_property(cls, value: Any) -> Cors | None:
        """From the resolved `Cors` property: a string (the origin) or a map."""
        if value is None:
            return None
        if not isinstance(value, dict):
            return cls(allow_origin=_literal(value))
        optional = {
            name: _literal(value[key]) if value.get(key) is not None else None
            for name, key in (
                ("allow_headers", "AllowHeaders"),
                ("allow_methods", "AllowMethods"),
                ("max_age", "MaxAge"),
            )
        }
        return cls(
            allow_origin=_literal(value["AllowOrigin"]),
            allow_credentials=value.get("AllowCredentials") is True,
            **optional,
        )

    def preflight_headers(self, methods: Iterable[str]) -> dict[str, str]:
        """The preflight answer's headers on a resource that has `methods`."""
        if self.allow_methods is not None:
            allowed = self.allow_methods
        else:
            names = {method.upper() for method in methods} | {"OPTIONS"}
            allowed = ",".join(sorted(ALL_METHODS if "ANY" in names else names))
        headers = {"Access-Control-Allow-Origin": self.allow_origin}
        if self.allow_headers:
            headers["Access-Control-Allow-Headers"] = self.allow_headers
        headers["Access-Control-Allow-Methods"] = allowed
        if self.max_age is not None:
            headers["Access-Control-Max-Age"] = self.max_age
        if self.allow_credentials:
            headers["Access-Control-Allow-Credentials"] = "true"
        return headers


def _literal(value: Any) -> str:
    """API Gateway's literal `'value'` (SAM's Cors values are written so) as its value."""
    text = str(value)
    return text[1:-1] if len(text) >= 2 and text[0] == text[-1] == "'" else text


@dataclass
class Api:
    """One REST API: its stage, authorizers and the responses the gateway itself sends."""

    logical_id: str
    api_id: str
    stage: str
    binary_media_types: tuple[str, ...] = ()
    gateway_responses: dict[str, Any] = field(default_factory=dict)
    authorizers: dict[str, CognitoAuthorizer] = field(default_factory=dict)
    default_authorizer: str | None = None
    cors: Cors | None = None
    # SAM puts the default authorizer on the preflights too, unless
    # Auth.AddDefaultAuthorizerToCorsPreflight is false (then browsers' preflights get a 401).
    preflight_authorizer: CognitoAuthorizer | None = None


@dataclass(frozen=True)
class Route:
    """One method on one resource, and the function behind it."""

    api: Api
    path: str
    method: str
    function: Function
    authorizer: CognitoAuthorizer | None
    scopes: tuple[str, ...]
    authorizer_error: str | None = None  # an authorizer the local stack cannot run
    event: str = ""  # the name of the function's event that declares the route

    @property
    def segments(self) -> tuple[str, ...]:
        return split_path(self.path)


def split_path(path: str) -> tuple[str, ...]:
    """`/v1/me/` -> ("v1", "me"): one trailing slash does not make another resource."""
    trimmed = path[1:] if path.startswith("/") else path
    if trimmed.endswith("/"):
        trimmed = trimmed[:-1]
    return tuple(trimmed.split("/")) if trimmed else ()


class RouteTable:
    """All routes of all APIs, matched as API Gateway matches them."""

    def __init__(self, routes: list[Route], apis: dict[str, Api]) -> None:
        self.apis = apis
        self._resources: dict[tuple[str, ...], dict[str, Route]] = {}
        for route in routes:
            methods = self._resources.setdefault(route.segments, {})
            if route.method in methods:
                log.warning("%s %s is declared twice; the first wins", route.method, route.path)
                continue
            methods[route.method] = route

    @property
    def default_api(self) -> Api:
        """The API whose gateway responses answer requests that match no route."""
        return next(iter(self.apis.values()))

    def __len__(self) -> int:
        return sum(len(methods) for methods in self._resources.values())

    def __iter__(self) -> Iterator[Route]:
        """Every route, in the template's order."""
        for methods in self._resources.values():
            yield from methods.values()

    def match(self, method: str, path: str) -> tuple[Route, dict[str, str]] | None:
        """The route for `method` on `path` (raw, still percent-encoded) and its parameters."""
        found = self.resource(path)
        if found is None:
            return None
        methods, parameters = found
        route = methods.get(method.upper()) or methods.get("ANY")
        return (route, parameters) if route else None

    def resource(self, path: str) -> tuple[dict[str, Route], dict[str, str]] | None:
        """The routes (by method) of the resource `path` falls on, and its path parameters."""
        segments = split_path(path)
        best: tuple[tuple[int, ...], tuple[str, ...], dict[str, str]] | None = None
        for resource in self._resources:
            found = _match_resource(resource, segments)
            if found is not None and (best is None or found[0] < best[0]):
                best = (found[0], resource, found[1])
        return None if best is None else (self._resources[best[1]], best[2])


def _match_resource(
    resource: tuple[str, ...], segments: tuple[str, ...]
) -> tuple[tuple[int, ...], dict[str, str]] | None:
    """(rank: lower is more specific, path parameters) if `segments` fall on `resource`."""
    rank: list[int] = []
    parameters: dict[str, str] = {}
    for index, part in enumerate(resource):
        if part.startswith("{") and part.endswith("+}"):  # greedy: the rest of the path
            rest = segments[index:]
            if not rest or not all(rest):
                return None
            parameters[part[1:-2]] = "/".join(rest)
            return (*rank, 2), parameters
        if index >= len(segments):
            return None
        if part.startswith("{") and part.endswith("}"):
            if not segments[index]:
                return None
            parameters[part[1:-1]] = segments[index]
            rank.append(1)
        elif part == segments[index]:
            rank.append(0)
        else:
            return None
    if len(segments) != len(resource):
        return None
    return tuple(rank), parameters


# ----------------------------------------------------------------------------- from the template


def load_routes(stack: Provisioner, functions: list[Function], jwks: JwksCache) -> RouteTable:
    """The route table of every API event of every function."""
    apis = _load_apis(stack, jwks)
    routes = []
    for function in functions:
        for event_name, event in function.events.items():
            if event.get("Type") != "Api":
                continue
            raw = event.get("Properties") or {}
            api_id = ref_target(raw.get("RestApiId")) or IMPLICIT_API
            if api_id not in apis:
                apis[api_id] = _api(stack, api_id, _implicit_api_properties(stack), jwks)
            properties = stack.resolve({k: v for k, v in raw.items() if k != "RestApiId"})
            routes.append(_route(apis[api_id], function, event_name, properties))
    return RouteTable(routes, apis or {IMPLICIT_API: Api(IMPLICIT_API, "local", IMPLICIT_STAGE)})


def _route(api: Api, function: Function, event: str, properties: dict[str, Any]) -> Route:
    where = f"{function.logical_id}.{event}"
    auth = properties.get("Auth") or {}
    name = auth.get("Authorizer", api.default_authorizer)
    authorizer = api.authorizers.get(name) if name and name != "NONE" else None
    error = None
    if name and name != "NONE" and authorizer is None:
        error = f"{where}: authorizer {name!r} is not a Cognito user-pool authorizer"
        log.warning("%s; the route answers 500 locally", error)
    scopes = auth.get("AuthorizationScopes") or (authorizer.scopes if authorizer else ())
    return Route(
        api=api,
        path=str(properties["Path"]),
        method=str(properties.get("Method", "ANY")).upper(),
        function=function,
        authorizer=authorizer,
        scopes=tuple(scopes),
        authorizer_error=error,
        event=event,
    )


def _load_apis(stack: Provisioner, jwks: JwksCache) -> dict[str, Api]:
    apis = {}
    for logical_id, resource in stack.template.resources_of_type("AWS::Serverless::Api").items():
        if stack.resolver.included(resource):
            properties = stack.resolve(stack.template.properties(logical_id))
            if "DefinitionBody" in properties or "DefinitionUri" in properties:
                log.warning("%s: routes from an OpenAPI definition are not served", logical_id)
            apis[logical_id] = _api(stack, logical_id, properties, jwks)
    return apis


def _implicit_api_properties(stack: Provisioner) -> dict[str, Any]:
    properties = stack.resolve(stack.template.section("Globals").get("Api") or {})
    return {"StageName": IMPLICIT_STAGE, **properties}


def _api(stack: Provisioner, logical_id: str, properties: dict[str, Any], jwks: JwksCache) -> Api:
    auth = properties.get("Auth") or {}
    authorizers = {}
    for name, config in (auth.get("Authorizers") or {}).items():
        if "UserPoolArn" not in config:
            continue  # a Lambda authorizer: routes using it answer 500 (see _route)
        arns = config["UserPoolArn"]
        authorizers[name] = CognitoAuthorizer(
            name=name,
            pool_ids=tuple(str(arn).rsplit("/", 1)[-1] for arn in _as_list(arns)),
            header=str((config.get("Identity") or {}).get("Header", "Authorization")),
            scopes=tuple(config.get("AuthorizationScopes") or ()),
            jwks=jwks,
        )
    is_resource = logical_id in stack.template.resources
    return Api(
        logical_id=logical_id,
        api_id=str(stack.ref(logical_id)) if is_resource else fake_id(logical_id),
        stage=str(properties.get("StageName", IMPLICIT_STAGE)),
        binary_media_types=tuple(
            str(media_type).replace("~1", "/")  # SAM escapes "/" as "~1"
            for media_type in properties.get("BinaryMediaTypes") or ()
        ),
        gateway_responses=dict(properties.get("GatewayResponses") or {}),
        authorizers=authorizers,
        default_authorizer=auth.get("DefaultAuthorizer"),
        cors=Cors.from_property(properties.get("Cors")),
        preflight_authorizer=(
            authorizers.get(str(auth.get("DefaultAuthorizer")))
            if auth.get("AddDefaultAuthorizerToCorsPreflight", True) is not False
            else None
        ),
    )


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]

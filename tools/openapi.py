"""openapi.json: the OpenAPI 3.1 document of the whole API, generated from the code.

    .venv/bin/python -m tools.openapi           # (re)write openapi.json (`make openapi`)
    .venv/bin/python -m tools.openapi --check   # exit 1 when the committed file is stale

Where each part of the document comes from:

- The routes: template.yaml's `Api` events (path, method, AuthorizationScopes), read with the
  local stack's own loaders (`local.routes`) over the template resolved offline: nothing is
  created and no AWS API is called. Routes without the authorizer (`Auth: {Authorizer: NONE}`)
  are left out and only named in `info.description`: the OAuth2 calls (Tyme's
  `/v1/authorize`, `/v1/access_token`, `/v1/refresh_token`), which take no token since they
  give one, speak OAuth2's protocol (a redirect, form bodies, RFC 6749's error bodies) and share
  none of the rules below (Idempotency-Key, the error body, 401 from the authorizer); and the
  reference itself (`GET /docs`, its assets, `GET /openapi.json`: pages, not API calls).
- The operations: each function with `Api` events is imported as the local stack imports it
  (`local.functions`: its layers on sys.path, its environment set), and its resolver's
  Powertools schema is taken: parameters, request body and the responses its route
  decorators declare (`responses=`, built with `stint.models.returns` / `fails`: the success
  responses with their `ETag` header, and the errors docs/API.md names for that route).
  The functions' documents are merged into one; a component schema that two functions define
  differently is an error, as is a route of the template that no function serves (or the
  other way round). Each operationId is its template event's name (`ListProjects` ->
  `listProjects`), so it stays put while handlers are renamed. Each operation's summary and
  description are its handler's docstring (first line, the rest), its tag its function
  (`CatalogFunction` -> `Catalog`, described by the function's Description).
- The security scheme: OAuth2's authorization code flow with the template's scopes (the
  resource server's and the first-party one), so tools and the reference page offer them. Its
  endpoints and `servers` name the local stack here; a stack's own `GET /openapi.json` (the docs
  function) names its own URL and its user pool domain instead.
- Then what every route shares, which no decorator repeats (docs/API.md, "Requests and answers"; API
Gateway):
  Powertools' 422 is removed (a request that fails validation is a 400 with docs/API.md's
  error body); 400 (routes with parameters or a body), 401 (API Gateway's body), 403, 404 (a
  path id), 409 (every write: a retry after concurrent writes; every POST: the
  Idempotency-Key reused with another body), 412 (where `If-Match` is honoured), 413 (a body)
  and 429 are added; `Idempotency-Key` on every POST (and `Idempotent-Replayed` on its
  success responses); `If-Match` where the route takes it (`stint.api.IfMatch`: Powertools
  documents it, spelt `if-match` and nullable, and it gets docs/API.md's spelling and words
  here); path ids get their pattern; each operation gets the template's scopes (any one of
  them is enough: alternative requirements); a body the route may go without (`X | None =
  None`) is an optional request body (`required: false`) of schema X, not `anyOf[X, null]`.
  The response headers docs/API.md names: `X-Request-Id` on every answer of the functions,
  `Location` on a 201, `Link` on a page that takes a `nextToken` or `syncToken`, `Retry-After`
  on a 429.
- Links: where each route with a path id gets it, for readers and for schemathesis' stateful
  phase (tests/fuzz). A `POST` whose 201 answers an entity (`{webhook: {id, ...}}`) links to
  every route whose last path id is that entity's and whose other path ids it gives too
  (`derived_links`): a new route gets its links without a hand edit. `LINKS` adds the ones no
  creation gives: a workspace's members, invitations and timers, a project's members.
  Schemathesis also infers links by itself from names, each filling one parameter; the routes
  with two path ids get both only from an explicit link, and inferred links that an explicit
  one covers are dropped. Each link is checked: its operations, its status and its parameters
  exist, and `$request.path.X` names a path parameter of its source.

The output is stable: sorted keys, 2-space indent, a trailing newline.
"""

from __future__ import annotations

import argparse
import contextlib
import copy
import difflib
import inspect
import json
import os
import re
import sys
import tomllib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from local.template import load_template

REPO = Path(__file__).resolve().parent.parent
TEMPLATE = REPO / "template.yaml"
OUTPUT = REPO / "openapi.json"
TITLE = "Stint"
OPENAPI_VERSION = "3.1.0"
SECURITY_SCHEME = "cognito"
JSON = "application/json"
REF = "#/components/schemas/"
# Components Powertools adds for its own 422 answers, which this API never gives.
POWERTOOLS_COMPONENTS = ("HTTPValidationError", "ValidationError", "ResponseValidationError")
# A POST that is an action with nothing to return (declining an invitation) answers 204; one
# whose work goes on after the answer (a webhook's test ping, queued) answers 202.
SUCCESS = {
    "GET": {200},
    "POST": {200, 201, 202, 204},
    "PATCH": {200},
    "PUT": {200, 201},
    "DELETE": {204},
}
# Where the committed document says the API is: the local stack (`make dev`, README, "The local
# stack keeps its state").
LOCAL_URL = "http://127.0.0.1:3000"
FIRST_PARTY_SCOPE = "aws.cognito.signin.user.admin"
PAGE_TOKENS = ("nextToken", "syncToken")  # a route taking one answers pages with `Link`
# Importing a handler must not call AWS; if it tried, it would fail fast here, not reach one.
OFFLINE_ENVIRONMENT = {
    "AWS_REGION": "us-east-1",
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_ACCESS_KEY_ID": "offline",
    "AWS_SECRET_ACCESS_KEY": "offline",
    "AWS_ENDPOINT_URL": "http://127.0.0.1:9",
    "AWS_EC2_METADATA_DISABLED": "true",
}

DESCRIPTION = """\
Stint, a serverless time-tracking API. Every route needs a Cognito access token
(`Authorization: Bearer <token>`; a raw token is accepted too). Errors other than the
authorizer's 401 are `{"error": {"code", "message", "details"?, "requestId"}}`. Single-entity
responses carry an `ETag`; the changes that take `If-Match` honour it (a mismatch is 412).
Every `POST` honours an `Idempotency-Key`: the same key and body within 24 h return the first
response. A `201` carries the new entity's URL as `Location`; a page with more to come carries
`Link: <next page>; rel="next"` beside its token. Browser apps may call the API from the origins
the stack allows (CORS). The guide for callers is docs/API.md in the project; this document is
served at `GET /openapi.json` and as an interactive reference at `GET /docs` (no token)."""

SERVER_NOTE = "The local stack (make dev); a stack's own GET /openapi.json names its own URL"

OAUTH_NOTE = """

Not in this document: the OAuth2 calls {routes}. They take no token (they give one) and
speak OAuth2 (RFC 6749 with PKCE, RFC 7636) on the stack's Cognito user pool domain: a redirect
to its `/oauth2/authorize`, and form bodies forwarded to its `/oauth2/token` with OAuth2's JSON
answers and errors (the README's "OAuth2" section)."""

IDEMPOTENCY_KEY = {
    "name": "Idempotency-Key",
    "in": "header",
    "required": False,
    "description": (
        "Makes a retry safe: the same key and body within 24 h return the first response and "
        "change nothing; the same key with another body is 409 `idempotency_conflict`"
    ),
    "schema": {"type": "string", "minLength": 1, "maxLength": 255},
}
REPLAYED = {
    "description": "`true` when this is the first response to the key, replayed",
    "schema": {"type": "string", "enum": ["true"]},
}
REQUEST_ID = {
    "description": "API Gateway's id of this request (`error.requestId` in an error body)",
    "schema": {"type": "string"},
}
LOCATION = {
    "description": "The new entity's URL",
    "required": True,
    "schema": {"type": "string", "format": "uri"},
}
LINK = {
    "description": 'While more remain: `<URL of the next page>; rel="next"` (RFC 8288)',
    "schema": {"type": "string"},
}
RETRY_AFTER = {
    "description": "Seconds to wait before trying again",
    "schema": {"type": "integer", "minimum": 0},
}
IF_MATCH = {
    "name": "If-Match",
    "in": "header",
    "required": False,
    "description": "The ETag the change is based on; a mismatch is 412 `precondition_failed`",
    "schema": {"type": "string"},
}


Link = tuple[str, str, str, str, dict[str, str]]
# (source operationId, its status, link name, target operationId, {target parameter: expression}):
# OpenAPI's runtime expressions, read by schemathesis' stateful phase (the module's docstring).
WORKSPACE_ID = "$response.body#/workspace/id"
IN_PATH = "$request.path.workspaceId"
PROJECT_MEMBER = {
    "projectId": "$request.path.projectId",
    "userId": "$response.body#/task/createdBy",
}


def _operation_name(name: str) -> str:
    """lowerCamelCase: `ListProjects` -> `listProjects` (a link's target, an operationId)."""
    return name[:1].lower() + name[1:]


LINKS: list[Link] = [
    # An invitation: revoked by its workspace, accepted or declined by its invitee; the inviter
    # is a member of the workspace (their role, their leaving).
    (
        "inviteMember",
        "201",
        "RevokeInvitation",
        "revokeInvitation",
        {"workspaceId": IN_PATH, "invitationId": "$response.body#/invitation/id"},
    ),
    (
        "inviteMember",
        "201",
        "AcceptInvitation",
        "acceptInvitation",
        {"invitationId": "$response.body#/invitation/id"},
    ),
    (
        "inviteMember",
        "201",
        "DeclineInvitation",
        "declineInvitation",
        {"invitationId": "$response.body#/invitation/id"},
    ),
    (
        "inviteMember",
        "201",
        "ChangeInvitersRole",
        "changeRole",
        {"workspaceId": IN_PATH, "userId": "$response.body#/invitation/invitedBy/userId"},
    ),
    (
        "inviteMember",
        "201",
        "RemoveInviter",
        "removeMember",
        {"workspaceId": IN_PATH, "userId": "$response.body#/invitation/invitedBy/userId"},
    ),
    ("inviteMember", "201", "ListMembers", "listMembers", {"workspaceId": IN_PATH}),
    # The members' list: the first member to join after the owner (the owner's own role and
    # leaving come from inviteMember's links), the first pending invitation.
    (
        "listMembers",
        "200",
        "ChangeRole",
        "changeRole",
        {"workspaceId": IN_PATH, "userId": "$response.body#/members/1/userId"},
    ),
    (
        "listMembers",
        "200",
        "RemoveMember",
        "removeMember",
        {"workspaceId": IN_PATH, "userId": "$response.body#/members/1/userId"},
    ),
    (
        "listMembers",
        "200",
        "RevokeInvitation",
        "revokeInvitation",
        {"workspaceId": IN_PATH, "invitationId": "$response.body#/invitations/0/id"},
    ),
    # The workspace an invitation joined.
    ("acceptInvitation", "200", "GetWorkspace", "getWorkspace", {"workspaceId": WORKSPACE_ID}),
    ("acceptInvitation", "200", "ListMembers", "listMembers", {"workspaceId": WORKSPACE_ID}),
    # A project's member: the task's creator, the caller (the owner of the project's workspace).
    *(
        ("createProjectTask", "201", name, _operation_name(name), PROJECT_MEMBER)
        for name in ("PutProjectMember", "DeleteProjectMember")
    ),
    # A running timer (its session's id) in its workspace, stopped as the workspace's.
    (
        "startTimer",
        "201",
        "WorkspaceTimers",
        "workspaceTimers",
        {"workspaceId": "$response.body#/timer/session/workspaceId"},
    ),
    (
        "startTimer",
        "201",
        "StopWorkspaceTimer",
        "stopWorkspaceTimer",
        {
            "workspaceId": "$response.body#/timer/session/workspaceId",
            "timerId": "$response.body#/timer/session/id",
        },
    ),
    (
        "workspaceTimers",
        "200",
        "StopWorkspaceTimer",
        "stopWorkspaceTimer",
        {"workspaceId": IN_PATH, "timerId": "$response.body#/timers/0/id"},
    ),
]


# Examples of scalar fields by name (`add_examples`): what a caller would see. A field whose
# name is not here, or whose schema this value breaks, gets one made from its schema.
EXAMPLE_ID = "01JD4T7QK2"
EXAMPLE_TIME = "2026-03-02T09:30:00Z"
EXAMPLES: dict[str, Any] = {
    "title": "Homepage redesign",
    "defaultProject": EXAMPLE_ID,
    "lastUpdated": EXAMPLE_TIME,
    "name": "Acme Ltd",
    "displayName": "Ada Lovelace",
    "workspaceName": "Studio",
    "email": "ada@example.com",
    "note": "Reviewed the mock-ups with the client",
    "message": "task.title: must have a visible character (it is blank)",
    "code": "validation_error",
    "error": "the receiver answered 500",
    "requestId": "9f1c2b7e-4d3a-4c1e-9a57-2f3b8e6d0c41",
    "hookUrl": "https://hooks.example.com/stint",
    "secret": "whsec_5nQy0m7ZkC3v",
    "nextToken": "eyJzayI6InByb2plY3QjMDFKRDRUN1FLMiJ9",
    "syncToken": "eyJzZXEiOjQyfQ",
    "tz": "Europe/Berlin",
    "color": "#3366cc",
    "currency": "EUR",
    "ifMatch": '"7"',
    "eventType": "session.created",
    "from": "2026-03-01",
    "to": "2026-03-31",
    "date": "2026-03-02",
    "duration": 3600,
    "billableDuration": 3600,
    "roundedDuration": 3600,
    "breakDuration": 900,
    "elapsed": 1200,
    "durationMs": 87,
    "plannedDuration": 7200,
    "roundingMinutes": 15,
    "memberCount": 3,
    "sessions": 12,
    "amount": 95.5,
    "cost": 40,
    "profit": 55.5,
    "billableRate": 95.5,
    "costRate": 40,
    "hourlyRate": 95.5,
}


class OpenAPIError(Exception):
    """The code and the template do not make one consistent document."""


# ----------------------------------------------------------------------------- building


def build_document() -> dict[str, Any]:
    """The whole API's OpenAPI document (process state is restored afterwards)."""
    with _process_state_restored():
        template = load_template(TEMPLATE)
        routes, oauth_routes, apps = _load_routes_and_apps(template)
        from stint.models import CLIENT_ID_PATTERN, ErrorBody, GatewayMessage

        for function, app in apps:
            _describe_operations(app, _tag(function))
        document = _merge([_powertools_document(app) for _, app in apps])
        document["tags"] = [
            {"name": _tag(function), "description": _function_description(template, function)}
            for function, _ in apps
        ]
        document["servers"] = [{"url": LOCAL_URL, "description": SERVER_NOTE}]
        document["components"]["securitySchemes"] = {SECURITY_SCHEME: _security_scheme(template)}
        if oauth_routes:
            document["info"]["description"] += OAUTH_NOTE.format(
                routes=", ".join(f"`{route.method} {route.path}`" for route in oauth_routes)
            )
        _check_routes(document, routes)
        for model in (ErrorBody, GatewayMessage):
            schema = model.model_json_schema(ref_template=REF + "{model}")
            _add_components(document, _pydantic_components(schema))
        if CLIENT_ID_PATTERN != ID_PATTERN:
            raise OpenAPIError("ID_PATTERN is not stint.models.CLIENT_ID_PATTERN")
        for route in routes:
            operation = document["paths"][route.path][route.method.lower()]
            _complete_operation(operation, route, CLIENT_ID_PATTERN)
        _add_links(document, LINKS + derived_links(document, LINKS))
        add_examples(document)
        add_body_examples(document)
        _drop_unused_powertools_components(document)
    return document


def render(document: dict[str, Any]) -> str:
    return json.dumps(document, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def _load_routes_and_apps(template: Any) -> tuple[list[Any], list[Any], list[Any]]:
    """The documented routes, the OAuth2 routes (no authorizer), and (function, app) for each
    function of the documented routes."""
    from aws_lambda_powertools.event_handler import APIGatewayRestResolver

    from local.authorizer import JwksCache
    from local.functions import Runtime, load_functions
    from local.resources import OfflineProvisioner
    from local.routes import load_routes

    stack = OfflineProvisioner(template)
    functions = [
        function
        for function in load_functions(stack)
        if any(event.get("Type") == "Api" for event in function.events.values())
    ]
    routes = list(load_routes(stack, functions, JwksCache("http://127.0.0.1:9")))
    oauth_routes = [route for route in routes if is_oauth_route(route)]
    routes = [route for route in routes if not is_public_route(route)]
    functions = [function for function in functions if any(r.function is function for r in routes)]
    for route in routes:
        if route.method not in SUCCESS:
            raise OpenAPIError(f"{route.method} {route.path}: method not documented by this tool")
    Runtime(functions).start(OFFLINE_ENVIRONMENT)
    apps = []
    for function in functions:
        if function.import_error or function.module is None:
            raise OpenAPIError(f"{function.logical_id}: cannot import:\n{function.import_error}")
        app = getattr(function.module, "app", None)
        if not isinstance(app, APIGatewayRestResolver):
            raise OpenAPIError(f"{function.handler_file}: no APIGatewayRestResolver named `app`")
        apps.append((function, app))
    return routes, oauth_routes, apps


def is_public_route(route: Any) -> bool:
    """A route without the authorizer: an OAuth2 call or the reference (the module's docstring)."""
    return route.authorizer is None and route.authorizer_error is None


def is_oauth_route(route: Any) -> bool:
    """A public route of the API's own (`/v1/`): one of the OAuth2 calls."""
    return is_public_route(route) and str(route.path).startswith("/v1/")


def _tag(function: Any) -> str:
    """`CatalogFunction` -> `Catalog`: the operations of one function share a tag."""
    return str(function.logical_id).removesuffix("Function")


def _function_description(template: Any, function: Any) -> str:
    return str(template.properties(function.logical_id).get("Description") or _tag(function))


def _describe_operations(app: Any, tag: str) -> None:
    """Each route's summary and description from its handler's docstring, and its tag."""
    for route in app._static_routes + app._dynamic_routes:
        docstring = inspect.getdoc(route.func)
        if not docstring:
            raise OpenAPIError(
                f"{route.method} {route.openapi_path}: {route.func.__name__} has no docstring "
                "(its first line is the operation's summary, the rest its description)"
            )
        summary, _, description = docstring.partition("\n\n")
        route.summary = " ".join(summary.split())
        route.description = description.strip() or None
        route.tags = [tag]


def _security_scheme(template: Any) -> dict[str, Any]:
    """OAuth2's code flow with the template's scopes; endpoints at the local stack's domain."""
    scopes = {FIRST_PARTY_SCOPE: "First-party sign-in (the apps, this reference): every route"}
    for logical_id in template.resources_of_type("AWS::Cognito::UserPoolResourceServer"):
        server = template.properties(logical_id)
        for scope in server.get("Scopes") or ():
            scopes[f"{server['Identifier']}/{scope['ScopeName']}"] = scope["ScopeDescription"]
    return {
        "type": "oauth2",
        "description": (
            "An access token of the stack's Cognito user pool, from a first-party sign-in or "
            "OAuth2's authorization code flow with PKCE. Each operation lists the scopes it "
            "accepts, any one of them is enough. The flow's endpoints here are the local "
            "stack's; a stack's own `GET /openapi.json` names its user pool domain's."
        ),
        "flows": {
            "authorizationCode": {
                "authorizationUrl": f"{LOCAL_URL}/oauth2/authorize",
                "tokenUrl": f"{LOCAL_URL}/oauth2/token",
                "refreshUrl": f"{LOCAL_URL}/oauth2/token",
                "scopes": dict(sorted(scopes.items())),
            }
        },
    }


@contextlib.contextmanager
def _process_state_restored() -> Iterator[None]:
    """Importing the handlers sets environment variables and sys.path; undo that after."""
    environment, path = dict(os.environ), list(sys.path)
    try:
        yield
    finally:
        os.environ.clear()
        os.environ.update(environment)
        sys.path[:] = path


def _powertools_document(app: Any) -> dict[str, Any]:
    text = app.get_openapi_json_schema(
        title=TITLE, version=_version(), openapi_version=OPENAPI_VERSION
    )
    document: dict[str, Any] = json.loads(text)
    return document


def _version() -> str:
    with (REPO / "pyproject.toml").open("rb") as stream:
        return str(tomllib.load(stream)["project"]["version"])


def _merge(documents: list[dict[str, Any]]) -> dict[str, Any]:
    merged: dict[str, Any] = {
        "openapi": OPENAPI_VERSION,
        "info": {
            "title": TITLE,
            "version": _version(),
            "description": DESCRIPTION,
            "license": {"name": "Apache-2.0", "identifier": "Apache-2.0"},
        },
        "paths": {},
        "components": {"schemas": {}, "securitySchemes": {}},
    }
    for document in documents:
        for path, item in document.get("paths", {}).items():
            target = merged["paths"].setdefault(path, {})
            for method, operation in item.items():
                if method in target:
                    raise OpenAPIError(f"{method.upper()} {path} is served by two functions")
                target[method] = operation
        _add_components(merged, document.get("components", {}).get("schemas", {}))
    return merged


def _add_components(document: dict[str, Any], schemas: dict[str, Any]) -> None:
    """Add component schemas; one name with two different schemas is an error."""
    known = document["components"]["schemas"]
    for name, schema in schemas.items():
        if name in known and known[name] != schema:
            raise OpenAPIError(
                f"component schema {name!r} is defined differently by two functions (or models):"
                f"\n{json.dumps(known[name], sort_keys=True)}\n{json.dumps(schema, sort_keys=True)}"
            )
        known[name] = schema


def _pydantic_components(schema: dict[str, Any]) -> dict[str, Any]:
    """A pydantic model's JSON schema as components: itself and its `$defs`."""
    schema = copy.deepcopy(schema)
    definitions = schema.pop("$defs", {})
    return {**definitions, schema["title"]: schema}


def _check_routes(document: dict[str, Any], routes: list[Any]) -> None:
    served = {(method.upper(), path) for path, item in document["paths"].items() for method in item}
    routed = {(route.method, route.path) for route in routes}
    problems = [f"{m} {p}: in template.yaml, but no function serves it" for m, p in routed - served]
    problems += [
        f"{m} {p}: served, but no event of template.yaml routes it" for m, p in served - routed
    ]
    names: dict[str, str] = {}
    for route in routes:
        name = _operation_id(route.event)
        if name in names:
            problems.append(
                f"{route.method} {route.path} and {names[name]}: both events are named "
                f"{route.event!r}; operationIds are the events' names, so rename one"
            )
        names[name] = f"{route.method} {route.path}"
    if problems:
        raise OpenAPIError("\n".join(sorted(problems)))


def _operation_id(event_name: str) -> str:
    """The template event's name, lowerCamelCase: `ListProjects` -> `listProjects`."""
    return _operation_name(event_name)


# ------------------------------------------------------------------------ shared by every route


def _complete_operation(operation: dict[str, Any], route: Any, id_pattern: str) -> None:
    method = route.method
    operation["operationId"] = _operation_id(route.event)
    responses: dict[str, Any] = operation["responses"]
    responses.pop("422", None)
    _check_successes(responses, method, route.path)
    parameters: list[dict[str, Any]] = operation.setdefault("parameters", [])
    path_ids = _describe_path_ids(parameters, id_pattern)
    has_body = "requestBody" in operation
    if has_body:
        _declare_optional_body(operation["requestBody"])
    has_input = bool(parameters) or has_body
    honours_if_match = _add_headers(parameters, responses, method)
    if not parameters:
        del operation["parameters"]
    errors = _errors(method, path_ids, has_input, has_body, honours_if_match)
    for code, description in errors.items():
        _add_error(responses, code, description)
    for response in responses.values():
        response.setdefault("headers", {})["X-Request-Id"] = dict(REQUEST_ID)
    # API Gateway's own answer: its request id is in the body (and x-amzn-RequestId) only.
    responses["429"]["headers"] = {"Retry-After": dict(RETRY_AFTER)}
    responses["401"] = {
        "description": "No valid token (API Gateway's authorizer; not the error body)",
        "content": {JSON: {"schema": {"$ref": REF + "GatewayMessage"}}},
    }
    operation["security"] = _security(route)


def _declare_optional_body(request_body: dict[str, Any]) -> None:
    """A body the route may go without (`body: X | None = None`) is an optional request body
    whose schema is X, not a required-or-absent `anyOf[X, null]`: a generated client then
    sends nothing when given nothing (openapi-python-client sent its `Unset` marker into
    `json.dumps`). Sending `null` is still accepted, as it always was; it is just not offered."""
    if request_body.get("required") is True:
        return
    request_body["required"] = False
    for media in request_body["content"].values():
        schema = media["schema"]
        branches = schema.get("anyOf")
        if branches is None or {"type": "null"} not in branches:
            continue
        kept = [branch for branch in branches if branch != {"type": "null"}]
        media["schema"] = kept[0] if len(kept) == 1 else {"anyOf": kept}


def _check_successes(responses: dict[str, Any], method: str, path: str) -> None:
    """Every success a route declares is one its method answers with; a 204 has no body."""
    for status in list(responses):
        if status.startswith("2") and int(status) not in SUCCESS[method]:
            raise OpenAPIError(f"{method} {path}: a {status} success is not {method}'s")
        if status == "204":
            responses[status].pop("content", None)
    if not any(status.startswith("2") for status in responses):
        raise OpenAPIError(f"{method} {path}: no success response")


def _describe_path_ids(parameters: list[dict[str, Any]], id_pattern: str) -> list[str]:
    """Give each path parameter (an id) its pattern and a description; their names."""
    path_ids = []
    for parameter in parameters:
        if parameter["in"] == "path":
            path_ids.append(parameter["name"])
            parameter["schema"] = {**parameter["schema"], "pattern": id_pattern}
            parameter.setdefault(
                "description", f"The {_kind(parameter['name'])}'s id (another one is a 404)"
            )
    return path_ids


def _add_headers(parameters: list[dict[str, Any]], responses: dict[str, Any], method: str) -> bool:
    """The HTTP conventions' headers: Idempotency-Key (POST), Location (201), Link (pages),
    If-Match (the routes that take it); whether the route honours If-Match."""
    if method == "POST":
        _add_header(parameters, IDEMPOTENCY_KEY)
        for status, response in responses.items():
            if status.startswith("2"):
                response.setdefault("headers", {})["Idempotent-Replayed"] = dict(REPLAYED)
    if "201" in responses:
        responses["201"].setdefault("headers", {})["Location"] = dict(LOCATION)
    if any(p["in"] == "query" and p["name"] in PAGE_TOKENS for p in parameters):
        responses["200"].setdefault("headers", {})["Link"] = dict(LINK)
    return _document_if_match(parameters)


def _errors(
    method: str, path_ids: list[str], has_input: bool, has_body: bool, honours_if_match: bool
) -> dict[int, str]:
    """The error responses a route can give, by status."""
    errors: dict[int, str] = {}
    if has_input:
        errors[400] = (
            "`validation_error`: a parameter or the body breaks a rule "
            "(`invalid_json`: the body is not JSON, or not UTF-8)"
        )
    errors[403] = "`forbidden`: authenticated, but not allowed"
    if path_ids:
        kinds = " or ".join(_kind(name) for name in path_ids)
        errors[404] = f"`not_found`: no such {kinds} of the caller"
    if method != "GET":
        errors[409] = "`conflict`: concurrent writes kept this one from committing (retry)"
    if method == "POST":
        errors[409] += "; `idempotency_conflict`: the Idempotency-Key was used with another body"
    if honours_if_match:
        errors[412] = "`precondition_failed`: If-Match does not match the current ETag"
    if has_body:
        errors[413] = "`payload_too_large`: the body is over 256 KiB"
        errors[415] = "`unsupported_media_type`: the body's Content-Type is not application/json"
    errors[429] = "`throttled`: too many requests; retry later"
    return errors


def _security(route: Any) -> list[dict[str, list[str]]]:
    if route.authorizer is None:
        return []
    scopes = sorted(route.scopes)
    return [{SECURITY_SCHEME: [scope]} for scope in scopes] or [{SECURITY_SCHEME: []}]


def _document_if_match(parameters: list[dict[str, Any]]) -> bool:
    """Give the route's own `If-Match` parameter (if it takes one) docs/API.md's spelling and
    words; whether it takes one."""
    for index, parameter in enumerate(parameters):
        if parameter["in"] == "header" and parameter["name"].lower() == "if-match":
            parameters[index] = copy.deepcopy(IF_MATCH)
            return True
    return False


def _add_header(parameters: list[dict[str, Any]], header: dict[str, Any]) -> None:
    """Add a header parameter unless the route declares it itself."""
    names = {(p["in"], p["name"].lower()) for p in parameters}
    if ("header", header["name"].lower()) not in names:
        parameters.append(copy.deepcopy(header))


def _add_error(responses: dict[str, Any], status: int, description: str) -> None:
    """Add an error response with the error body; merged into one the route declares."""
    body = {JSON: {"schema": {"$ref": REF + "ErrorBody"}}}
    declared = responses.get(str(status))
    if declared is None:
        responses[str(status)] = {"description": description, "content": body}
        return
    if declared.get("content") != body:
        raise OpenAPIError(f"a declared {status} must have the error body (stint.models.fails)")
    declared["description"] = f"{declared['description']}; {description}"


def _kind(path_parameter: str) -> str:
    """`projectId` -> `project`."""
    return re.sub(r"Id$", "", path_parameter)


def derived_links(document: dict[str, Any], explicit: list[Link]) -> list[Link]:
    """The links every creating operation gets without a hand edit: a `POST` whose 201 answers
    `{kind: {id, ...}}` (an entity) links to each operation whose last path id is that kind's
    (`createWebhook` -> `getWebhook`, `listWebhookDeliveries`, ...), when the source gives every
    path id of the target: the entity's `id`, its other ids that are always there
    (`workspaceId`, `taskId`, ...), or the source's own path ids. A source and target that an
    explicit link (`LINKS`) already joins get no other."""
    schemas = document["components"]["schemas"]
    joined = {(source, target) for source, _, _, target, _ in explicit}
    operations = [operation for item in document["paths"].values() for operation in item.values()]
    links: list[Link] = []
    for source in operations:
        created = _created_entities(source, schemas)
        own = {name: f"$request.path.{name}" for name in _path_ids(source)}
        for kind, entity in created.items():
            given = {**own, **_entity_ids(kind, entity)}
            for target in operations:
                path_ids = _path_ids(target)
                if (
                    target is source
                    or not path_ids
                    or path_ids[-1] != f"{kind}Id"
                    or not set(path_ids) <= set(given)
                    or (source["operationId"], target["operationId"]) in joined
                ):
                    continue
                name = target["operationId"][:1].upper() + target["operationId"][1:]
                parameters = {path_id: given[path_id] for path_id in path_ids}
                links.append(
                    (source["operationId"], "201", name, target["operationId"], parameters)
                )
    return links


def _path_ids(operation: dict[str, Any]) -> list[str]:
    return [p["name"] for p in operation.get("parameters", []) if p["in"] == "path"]


def _created_entities(operation: dict[str, Any], schemas: dict[str, Any]) -> dict[str, Any]:
    """What a POST's 201 always answers as `{kind: entity}`: each kind's schema that has an
    `id` (a session's new task or project, answered only when made, is not one)."""
    response = operation["responses"].get("201", {})
    schema = response.get("content", {}).get(JSON, {}).get("schema", {})
    envelope = _resolved(schema, schemas)
    created = {}
    for kind, member in envelope.get("properties", {}).items():
        entity = _resolved(member, schemas)
        if kind in envelope.get("required", []) and "id" in entity.get("required", []):
            created[kind] = entity
    return created


def _entity_ids(kind: str, entity: dict[str, Any]) -> dict[str, str]:
    """An entity's ids as path ids: its own (`{kind}Id`), and its `...Id` fields always there."""
    ids = {f"{kind}Id": f"$response.body#/{kind}/id"}
    for name in entity.get("required", []):
        if name.endswith("Id"):
            ids[name] = f"$response.body#/{kind}/{name}"
    return ids


def _resolved(schema: dict[str, Any], schemas: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        schema = schemas[schema["$ref"].removeprefix(REF)]
    return schema


def _add_links(document: dict[str, Any], links: list[Link]) -> None:
    """Add each link to its source's response, checked against the operations it joins."""
    operations = {
        operation["operationId"]: operation
        for item in document["paths"].values()
        for operation in item.values()
    }
    problems = []
    for source, status, name, target, parameters in links:
        label = f"link {name} of {source} {status}"
        if source not in operations or target not in operations:
            problems.append(
                f"{label}: no operation {source if source not in operations else target}"
            )
            continue
        response = operations[source]["responses"].get(status)
        if response is None or not status.startswith("2"):
            problems.append(f"{label}: {source} has no {status} success")
            continue
        path_names = {
            p["name"] for p in operations[target].get("parameters", []) if p["in"] == "path"
        }
        source_path = {
            p["name"] for p in operations[source].get("parameters", []) if p["in"] == "path"
        }
        if set(parameters) != path_names:
            problems.append(
                f"{label}: gives {sorted(parameters)}, {target} takes {sorted(path_names)}"
            )
        for expression in parameters.values():
            if expression.startswith("$request.path.") and (
                expression.removeprefix("$request.path.") not in source_path
            ):
                problems.append(f"{label}: {expression} is no path parameter of {source}")
            elif not expression.startswith(("$request.path.", "$response.body#/")):
                problems.append(f"{label}: {expression} is not a path or body expression")
        response.setdefault("links", {})[name] = {
            "operationId": target,
            "parameters": dict(parameters),
        }
    if problems:
        raise OpenAPIError("\n".join(problems))


def add_examples(document: dict[str, Any]) -> None:
    """An example for every scalar property of every component schema that has none (Redocly's
    `scalar-property-missing-example`): by its name (`EXAMPLES`), else made from its schema
    (`const`, an enum's first value, the default, a format's, the bounds). Each one is checked
    against its property's schema; a property none fits is an error, to be given an example."""
    from jsonschema import Draft202012Validator

    problems = []
    for name, schema in document["components"]["schemas"].items():
        for field, prop in _scalar_properties(schema):
            if "example" in prop or "examples" in prop:
                continue
            validator = Draft202012Validator(
                prop, format_checker=Draft202012Validator.FORMAT_CHECKER
            )
            fitting = [v for v in _example_candidates(field, prop) if validator.is_valid(v)]
            if not fitting:
                problems.append(f"{name}.{field}: no example fits {json.dumps(prop)}")
                continue
            prop["examples"] = [fitting[0]]
    if problems:
        raise OpenAPIError("\n".join(problems))


SCALARS = {"string", "number", "integer", "boolean"}


ID_PATTERN = "^[A-Za-z0-9_-]{1,64}$"  # stint.models.CLIENT_ID_PATTERN (checked in build_document)


def add_body_examples(document: dict[str, Any]) -> None:
    """Each request body's example (its media type's `example`), made of its properties'
    examples: those it requires, and the other scalars a caller writes (not the ids naming
    other entities, which would name nothing, nor what the server manages and a client only
    sends back). Checked against its schema here; tests/api/test_openapi_examples.py sends
    each one to its route."""
    from jsonschema import Draft202012Validator

    schemas = document["components"]["schemas"]
    resource = {"components": document["components"]}
    problems = []
    for path, item in document["paths"].items():
        for method, operation in item.items():
            media = operation.get("requestBody", {}).get("content", {}).get(JSON)
            if media is None:
                continue
            example = _body_example(media["schema"], schemas)
            validator = Draft202012Validator(
                {**media["schema"], **resource},
                format_checker=Draft202012Validator.FORMAT_CHECKER,
            )
            errors = [error.message for error in validator.iter_errors(example)]
            if errors:
                problems.append(f"{method.upper()} {path}: its example {example}: {errors}")
            media["example"] = example
    if problems:
        raise OpenAPIError("\n".join(problems))


def _names_an_entity(name: str, prop: dict[str, Any]) -> bool:
    """An id (by its name, or its pattern: `defaultProject`)."""
    patterns = {branch.get("pattern") for branch in prop.get("anyOf", [prop])}
    return name == "id" or name.endswith("Id") or ID_PATTERN in patterns


def _body_example(schema: dict[str, Any], schemas: dict[str, Any]) -> Any:
    schema = _resolved(schema, schemas)
    if "examples" in schema:
        return schema["examples"][0]
    for union in ("oneOf", "anyOf"):
        if union in schema and "properties" not in schema:
            return _body_example(schema[union][0], schemas)
    if schema.get("type") == "array":
        return [_body_example(schema["items"], schemas)] if schema.get("minItems") else []
    required = set(schema.get("required", []))
    example = {}
    for name, prop in schema.get("properties", {}).items():
        written = "examples" in prop and not (
            _names_an_entity(name, prop) or name.endswith("At") or name == "lastUpdated"
        )
        if name in required or written:
            example[name] = _body_example(prop, schemas)
    return example


def _scalar_properties(schema: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    """(name, schema) of each property of `schema` that is a scalar (or a nullable one), in
    nested objects and arrays too; no `$ref`s are followed (each component is its own)."""
    for field, prop in schema.get("properties", {}).items():
        branches = prop.get("anyOf", [prop])
        types = {branch.get("type") for branch in branches}
        if "enum" in prop or "const" in prop or (types & SCALARS and types <= SCALARS | {"null"}):
            yield field, prop
        for branch in branches:
            yield from _scalar_properties(branch)
            yield from _scalar_properties(branch.get("items", {}))


def _example_candidates(field: str, prop: dict[str, Any]) -> Iterator[Any]:
    if field in EXAMPLES:
        yield EXAMPLES[field]
    if field.endswith(("Id", "At", "Timestamp")) or field in ("id", "createdBy", "decidedBy"):
        yield from (EXAMPLE_ID, EXAMPLE_TIME)
    if "anyOf" in prop:  # a nullable one: what the union says (`format`), then its branches
        yield from _schema_candidates(field, prop)
    for branch in prop.get("anyOf", [prop]):
        yield from _schema_candidates(field, branch)


def _schema_candidates(field: str, branch: dict[str, Any]) -> Iterator[Any]:
    """Examples made from a (non-union) schema alone."""
    if "const" in branch:
        yield branch["const"]
    yield from branch.get("enum", [])[:1]
    if "default" in branch:
        yield branch["default"]
    formats = {"date-time": EXAMPLE_TIME, "date": EXAMPLE_TIME[:10]}
    if branch.get("format") in formats:
        yield formats[branch["format"]]
    kind = branch.get("type")
    if kind == "boolean":
        yield False
    elif kind == "integer":
        yield max(int(branch.get("minimum", 0)) + 1, 1)
    elif kind == "number":
        yield max(branch.get("minimum", 0), 1)
    elif kind == "string":
        yield f"{field} example"


def _drop_unused_powertools_components(document: dict[str, Any]) -> None:
    text = json.dumps(document["paths"])
    schemas = document["components"]["schemas"]
    for name in POWERTOOLS_COMPONENTS:
        if name in schemas and f'"{REF}{name}"' not in text:
            del schemas[name]


# ----------------------------------------------------------------------------- command line


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.openapi", description=__doc__)
    parser.add_argument(
        "--check", action="store_true", help="exit 1 if openapi.json is not what the code makes"
    )
    args = parser.parse_args(argv)
    try:
        text = render(build_document())
    except OpenAPIError as error:
        print(f"tools.openapi: {error}", file=sys.stderr)
        return 2
    if not args.check:
        OUTPUT.write_text(text, encoding="utf-8")
        print(f"wrote {OUTPUT.relative_to(REPO)}")
        return 0
    committed = OUTPUT.read_text(encoding="utf-8") if OUTPUT.exists() else ""
    if committed == text:
        print(f"{OUTPUT.relative_to(REPO)} is up to date")
        return 0
    diff = difflib.unified_diff(
        committed.splitlines(), text.splitlines(), "openapi.json", "generated", lineterm="", n=2
    )
    print(
        f"{OUTPUT.relative_to(REPO)} is stale: the code documents something else. Run "
        "`.venv/bin/python -m tools.openapi` (or `make openapi`) and commit the result.\n"
        + "\n".join(list(diff)[:60]),
        file=sys.stderr,
    )
    return 1


if __name__ == "__main__":
    sys.exit(main())

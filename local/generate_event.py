"""`python -m local generate-event "POST /v1/tasks" --body '{...}'`: an API event for a route.

The equivalent of `sam local generate-event apigateway aws-proxy`, filled for the route as
template.yaml routes it: the request goes through the local gateway's own route table and proxy
event (local/routes.py, local/gateway.py), so the event has the resource path, the path
parameters, the method, the stage and API id, and, on a route behind the Cognito authorizer,
claims for `python -m local invoke` to fill with a real user's (placeholders here). The event is
printed on standard output; which function the route goes to, and how to invoke it, on
standard error.

    make event ROUTE="POST /v1/tasks" BODY='{"task": {"title": "Write report"}}' > task.json
    make invoke FUNCTION=TasksFunction EVENT=task.json
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import uuid
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from local.authorizer import JwksCache, api_gateway_claims, issuer_of
from local.functions import load_functions
from local.gateway import IncomingRequest, proxy_event
from local.layout import REPO
from local.resources import OfflineProvisioner
from local.routes import Route, RouteTable, load_routes
from local.template import REGION, load_template

# What `python -m local invoke` replaces with the user's own (the sample events' values).
PLACEHOLDER_SUB = "7d3f4c2a-1b2c-4d5e-8f90-123456789abc"
FIRST_PARTY_SCOPE = "aws.cognito.signin.user.admin"


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m local generate-event",
        description="Print the API Gateway proxy event (aws-proxy) of a request to a route of"
        " template.yaml, to edit and pass to `python -m local invoke`.",
    )
    parser.add_argument(
        "route", help='the method and path, with a query if any: "GET /v1/tasks/report?x=1"'
    )
    parser.add_argument("--body", default="", help="the request body (JSON, as text)")
    parser.add_argument(
        "-t", "--template", type=Path, default=REPO / "template.yaml", help="the SAM template"
    )
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    method, _, target = args.route.strip().partition(" ")
    url = urlsplit(target.strip())
    routes = route_table(args.template)
    match = routes.match(method, url.path)
    if not method or not url.path.startswith("/") or match is None:
        print(f'no route of {args.template} answers "{args.route}"', file=sys.stderr)
        return 2
    route, parameters = match
    event = route_event(route, parameters, method.upper(), url.path, url.query, args.body)
    print(json.dumps(event, indent=2))
    print(
        f"{route.method} {route.path} goes to {route.function.logical_id}: make invoke"
        f" FUNCTION={route.function.logical_id} EVENT=<this event's file>",
        file=sys.stderr,
    )
    return 0


def route_table(template_path: Path) -> RouteTable:
    """The template's routes, resolved without an emulator."""
    stack = OfflineProvisioner(load_template(template_path))
    return load_routes(stack, load_functions(stack), JwksCache("http://127.0.0.1:9"))


def route_event(
    route: Route, parameters: dict[str, str], method: str, path: str, query: str, body: str
) -> dict[str, Any]:
    """The proxy event the gateway would send for this request, as a deployed API's."""
    host = f"{route.api.api_id}.execute-api.{REGION}.amazonaws.com"
    headers = [("Accept", "application/json"), ("Host", host), ("User-Agent", "curl/8.0")]
    if body:
        headers.append(("Content-Type", "application/json"))
    claims = None
    if route.authorizer is not None:
        headers.append(("Authorization", "Bearer <an access token>"))
        claims = placeholder_claims(route)
    request = IncomingRequest(
        request_id=str(uuid.uuid4()),
        method=method,
        path=path,
        query_string=query,
        headers=headers,
        source_ip="203.0.113.7",
        host=host,
        port="443",
        scheme="https",
        protocol="HTTP/1.1",
    )
    return proxy_event(route, request, parameters, body.encode(), claims)


def placeholder_claims(route: Route) -> dict[str, str]:
    """An access token's claims as the authorizer passes them on, for a placeholder user."""
    now = int(time.time())
    # A first-party app's token where the route takes one, else one of the route's scopes.
    first_party = not route.scopes or FIRST_PARTY_SCOPE in route.scopes
    scope = FIRST_PARTY_SCOPE if first_party else route.scopes[0]
    return api_gateway_claims(
        {
            "sub": PLACEHOLDER_SUB,
            "username": PLACEHOLDER_SUB,
            "token_use": "access",
            "scope": scope,
            "client_id": "4example0client0id0000000",
            "iss": issuer_of(f"{REGION}_EXAMPLE"),
            "exp": now + 3600,
            "iat": now,
            "jti": str(uuid.uuid4()),
        }
    )

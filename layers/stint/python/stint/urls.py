"""This API's URLs as its caller sees them: for `Location`, `Link` and the served document's
`servers` (docs/API.md). The standard library only (the docs function uses it).

The host is the event's `requestContext.domainName`: API Gateway's domain (the execute-api one,
or the custom domain the request came through), which the gateway sets, not the client; the
`Host` header only stands in for an event without it. The local gateway sets both to its own
address (local/events.py).

API Gateway passes the path without the stage (`event.path`: `/v1/projects`) and the path as
requested (`requestContext.path`: `/prod/v1/projects` on the execute-api domain, the base path
mapping's prefix on a custom domain), so what comes before the route's path is the prefix.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import urlencode


def header(event: Mapping[str, Any], name: str) -> str | None:
    """A request header, any case."""
    headers = event.get("headers") or {}
    return next((str(v) for k, v in headers.items() if k.lower() == name.lower()), None)


def base_url(event: Mapping[str, Any]) -> str:
    """`https://<host><stage or base path>`: where this API's routes start for this caller."""
    context = event.get("requestContext") or {}
    host = str(context.get("domainName") or header(event, "Host") or "localhost")
    scheme = (header(event, "X-Forwarded-Proto") or "https").split(",")[0].strip()
    requested, route_path = str(context.get("path") or ""), str(event.get("path") or "")
    prefix = requested[: -len(route_path)] if route_path and requested.endswith(route_path) else ""
    return f"{scheme}://{host}{prefix.rstrip('/')}"


def url_for(event: Mapping[str, Any], path: str, query: Iterable[tuple[str, str]] = ()) -> str:
    """The absolute URL of `path` (`/v1/...`) on this API, with a query string if given."""
    pairs = list(query)
    return base_url(event) + path + (f"?{urlencode(pairs)}" if pairs else "")


def next_page_url(event: Mapping[str, Any], token_name: str, token: str) -> str:
    """This request's URL with `token_name` set to `token`: the next page of a list."""
    query = event.get("multiValueQueryStringParameters") or {}
    pairs = [(name, value) for name, values in query.items() for value in values]
    pairs = [(name, value) for name, value in pairs if name != token_name]
    return url_for(event, str(event.get("path") or "/"), [*pairs, (token_name, token)])

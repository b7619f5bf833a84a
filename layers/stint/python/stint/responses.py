"""The answers the routes give and every answer's headers: the response helpers of
`functions/<group>/app.py` (an entity with its ETag, a created one with its `Location`, a list
page with its `Link`, no content), the error body, and the headers of docs/DESIGN.md's "HTTP
conventions and browser apps" (`with_http_conventions`): CORS, `X-Request-Id`, `no-store`,
`nosniff`.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from functools import lru_cache
from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayRestResolver, CORSConfig, Response

from stint import urls
from stint.errors import StintError
from stint.services.common import Versioned

JSON = "application/json"


def request_id(event: Mapping[str, Any]) -> str:
    """API Gateway's id of the request (also in the logs, as the correlation id)."""
    return str((event.get("requestContext") or {}).get("requestId") or "")


def json_response(status: int, payload: Any, headers: dict[str, str] | None = None) -> Response:
    # The resolver serializes the payload after checking it against the route's response model.
    return Response(status, JSON, payload, headers=headers)


def bare_response(result: Versioned) -> Response:
    """A 200 with the entity itself as the body (the profile, seed 000), with its ETag."""
    return json_response(200, result.entity, {"ETag": result.etag})


def entity_response(status: int, key: str, result: Versioned) -> Response:
    """A single-entity response, `{key: entity}`, with its ETag."""
    return json_response(status, {key: result.entity}, {"ETag": result.etag})


def created(app: APIGatewayRestResolver, key: str, result: Versioned, collection: str) -> Response:
    """A 201 `{key: entity}` with its ETag and its URL (`Location`: `<collection>/<id>`)."""
    path = f"{collection}/{result.entity['id']}"
    return json_response(201, {key: result.entity}, {"ETag": result.etag, **location(app, path)})


def location(app: APIGatewayRestResolver, path: str) -> dict[str, str]:
    """The `Location` header of a 201: the new entity's absolute URL (`path`: `/v1/...`)."""
    return {"Location": urls.url_for(app.current_event.raw_event, path)}


def list_response(
    app: APIGatewayRestResolver, key: str, items: list[dict[str, Any]], next_token: str | None
) -> Response:
    """A list page; while more remain, `nextToken` and `Link: <next page>; rel="next"`."""
    payload: dict[str, Any] = {key: items}
    if not next_token:
        return json_response(200, payload)
    payload["nextToken"] = next_token
    return json_response(200, payload, next_link(app, "nextToken", next_token))


def next_link(app: APIGatewayRestResolver, token_name: str, token: str) -> dict[str, str]:
    """The `Link` header to this request's next page (RFC 8288)."""
    url = urls.next_page_url(app.current_event.raw_event, token_name, token)
    return {"Link": f'<{url}>; rel="next"'}


def no_content() -> Any:
    """A 204 without a body. Routes that return it are annotated `-> None`, so the resolver
    neither validates nor serializes a body (typed Any so that mypy accepts that)."""
    return Response(204)


def error_response(error: StintError, request_id: str) -> Response:
    return json_response(error.status, error.body(request_id), error.headers() or None)


def raw_error(error: StintError, request_id: str) -> dict[str, Any]:
    """An error as a Lambda proxy response, for answers given before the resolver runs."""
    return {
        "statusCode": error.status,
        "headers": {"Content-Type": JSON, **error.headers()},
        "body": json.dumps(error.body(request_id)),
        "isBase64Encoded": False,
    }


# ----------------------------------------------------------------------------- HTTP conventions


@lru_cache(maxsize=1)
def cors() -> CORSConfig:
    """What browser apps may do (template.yaml's AllowedOrigins and Mappings.Cors)."""
    exposed = os.environ.get("CORS_EXPOSE_HEADERS", "")
    return CORSConfig(
        allow_origin=os.environ.get("CORS_ALLOW_ORIGIN") or "*",
        expose_headers=[name.strip() for name in exposed.split(",") if name.strip()],
    )


def with_http_conventions(event: Mapping[str, Any], response: dict[str, Any]) -> dict[str, Any]:
    """Every answer's headers (docs/API.md, "Requests and answers"), on any answer: the
    resolver's, one refused before it runs, an idempotent replay (whose stored headers were
    another request's)."""
    origin = urls.header(event, "Origin")
    allowed = cors().to_dict(cors().allowed_origin(origin) if origin else None)
    allowed.pop("Access-Control-Allow-Headers", None)  # a preflight's (API Gateway answers those)
    headers = {
        **allowed,
        "X-Request-Id": request_id(event),
        "Cache-Control": "no-store",
        "X-Content-Type-Options": "nosniff",
    }
    for name, value in headers.items():
        _set_header(response, name, value)
    return response


def _set_header(response: dict[str, Any], name: str, value: str) -> None:
    """Set one header of a proxy response, in `multiValueHeaders` if it has them (they win)."""
    multi = response.get("multiValueHeaders")
    if isinstance(multi, dict):
        multi[name] = [value]
        (response.get("headers") or {}).pop(name, None)
    else:
        response["headers"] = {**(response.get("headers") or {}), name: value}

"""OAuth function: Tyme's three OAuth2 calls (docs/DESIGN.md, "OAuth2"), served by the pool's
domain.

- `GET /v1/authorize`      -> 302 to `<domain>/oauth2/authorize` with the same query string
- `POST /v1/access_token`  -> `<domain>/oauth2/token` with `grant_type=authorization_code`
- `POST /v1/refresh_token` -> `<domain>/oauth2/token` with `grant_type=refresh_token`

No authorizer on these routes: they are how a client gets a token. The token calls take their
parameters as a form (what OAuth2 clients send) or as a JSON object (how Tyme's documents show
them), and forward them as the form Cognito requires, with the client's `Authorization` header
(client_secret_basic) when it sent one; `grant_type` may be left out (the route says it), another
one is `unsupported_grant_type`. The domain's answer (tokens, or an OAuth2 error) goes back as it
came. The domain's URL is OAUTH_BASE_URL, read per call (the local stack points it at itself
once it listens). Only the standard library and Powertools' logger: a small cold start.
"""

from __future__ import annotations

import base64
import json
import os
import urllib.error
import urllib.parse
import urllib.request
from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

FORM = "application/x-www-form-urlencoded"
JSON = "application/json"
TIMEOUT_S = 10
MAX_PARAMETERS = 50
TOKEN_GRANTS = {
    ("POST", "/v1/access_token"): "authorization_code",
    ("POST", "/v1/refresh_token"): "refresh_token",
}
NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}  # RFC 6749 5.1

logger = Logger()


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    route = (str(event.get("httpMethod")), str(event.get("resource")))
    if route == ("GET", "/v1/authorize"):
        return authorize(event)
    grant_type = TOKEN_GRANTS.get(route)
    if grant_type is None:  # API Gateway routes nothing else here
        return oauth_error(404, "invalid_request", f"{route[0]} {route[1]} is not an OAuth2 call")
    return token(event, grant_type)


def base_url() -> str:
    return os.environ["OAUTH_BASE_URL"].rstrip("/")


def authorize(event: dict[str, Any]) -> dict[str, Any]:
    """The domain's authorize endpoint (its sign-in page) with the caller's parameters."""
    query = event.get("multiValueQueryStringParameters") or {}
    pairs = [(name, value) for name, values in query.items() for value in values]
    location = f"{base_url()}/oauth2/authorize"
    if pairs:
        location += "?" + urllib.parse.urlencode(pairs)
    return {
        "statusCode": 302,
        "headers": {"Location": location, "Cache-Control": "no-store"},
        "body": "",
    }


def token(event: dict[str, Any], grant_type: str) -> dict[str, Any]:
    """The domain's token endpoint's answer to the caller's parameters."""
    try:
        pairs = parameters(event)
    except ValueError as error:
        return oauth_error(400, "invalid_request", str(error))
    grants = [value for name, value in pairs if name == "grant_type"]
    if any(grant != grant_type for grant in grants):
        return oauth_error(
            400, "unsupported_grant_type", f"{event.get('resource')} takes grant_type={grant_type}"
        )
    if not grants:
        pairs.insert(0, ("grant_type", grant_type))
    headers = {"Content-Type": FORM, "Accept": JSON}
    authorization = header(event, "Authorization")
    if authorization:
        headers["Authorization"] = authorization
    request = urllib.request.Request(
        f"{base_url()}/oauth2/token",
        data=urllib.parse.urlencode(pairs).encode(),
        headers=headers,
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT_S) as response:
            status, answer, answer_headers = response.status, response.read(), response.headers
    except urllib.error.HTTPError as error:  # the domain's 4xx: an OAuth2 error, passed on
        status, answer, answer_headers = error.code, error.read(), error.headers
    except (urllib.error.URLError, TimeoutError):
        logger.exception("the user pool domain did not answer")
        return oauth_error(503, "temporarily_unavailable", "The user pool domain is unreachable")
    result_headers = {"Content-Type": answer_headers.get("Content-Type") or JSON, **NO_STORE}
    if answer_headers.get("WWW-Authenticate"):
        result_headers["WWW-Authenticate"] = answer_headers["WWW-Authenticate"]
    logger.info("token call forwarded", extra={"grant_type": grant_type, "status": status})
    return {"statusCode": status, "headers": result_headers, "body": answer.decode()}


def parameters(event: dict[str, Any]) -> list[tuple[str, str]]:
    """The body's parameters, from a form or a JSON object of strings (nulls left out)."""
    body = event.get("body") or ""
    raw = base64.b64decode(body) if event.get("isBase64Encoded") else body.encode()
    media_type = (header(event, "Content-Type") or "").split(";")[0].strip().lower()
    if media_type == FORM:
        return urllib.parse.parse_qsl(
            raw.decode(), keep_blank_values=True, max_num_fields=MAX_PARAMETERS
        )
    if media_type == JSON or media_type.endswith("+json"):
        data = json.loads(raw or b"null")
        if not isinstance(data, dict) or len(data) > MAX_PARAMETERS:
            raise ValueError("The body must be a JSON object of OAuth2 parameters")
        if not all(isinstance(value, str | None) for value in data.values()):
            raise ValueError("Every parameter must be a string")
        return [(str(name), value) for name, value in data.items() if value is not None]
    raise ValueError(f"Content-Type must be {FORM} or {JSON}")


def header(event: dict[str, Any], name: str) -> str | None:
    headers = event.get("headers") or {}
    return next((str(v) for k, v in headers.items() if k.lower() == name.lower()), None)


def oauth_error(status: int, error: str, description: str) -> dict[str, Any]:
    """An OAuth2 error response (RFC 6749 5.2), as the domain gives them."""
    return {
        "statusCode": status,
        "headers": {"Content-Type": JSON, **NO_STORE},
        "body": json.dumps({"error": error, "error_description": description}),
    }

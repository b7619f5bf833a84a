"""Docs function: the API reference page and the OpenAPI document (docs/DESIGN.md, "The
OpenAPI document").

- `GET /docs`: Swagger UI over this stack's `/openapi.json`.
- `GET /docs/{asset}`: what the page loads, all served here (no CDN): Swagger UI's script and
  style sheet as Powertools ships them (in the layer), the page's initializer, and the
  `oauth2-redirect.html` that Swagger UI's sign-in window returns to.
- `GET /openapi.json`: `openapi.json` (beside this file) with `servers` naming this stack's URL
  as the caller reached it and the OAuth2 flow at this stack's user pool domain.

No token on these routes: they are how a person finds out how to get one. The page's Authorize
button runs the authorization code flow with PKCE on the first-party client, which has this
page's `oauth2-redirect.html` among its callback URLs (template.yaml); its id is looked up by
name once per execution environment (see the template for why it is not a variable).
Only the standard library, Powertools' logger and `stint.urls` at import: a small cold start.
"""

from __future__ import annotations

import importlib.util
import json
import os
from functools import lru_cache
from pathlib import Path
from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from stint import urls

DOCUMENT = Path(__file__).resolve().parent / "openapi.json"
SCOPE_FOR_EVERY_ROUTE = "aws.cognito.signin.user.admin"
HTML = "text/html; charset=utf-8"
JAVASCRIPT = "text/javascript; charset=utf-8"
# The page loads only what this function serves; the sign-in happens in a window of its own.
PAGE_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; font-src 'self' data:; connect-src 'self' {oauth}; "
    "base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)
ASSET_CACHE = "public, max-age=3600"

logger = Logger()


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    resource = str(event.get("resource"))
    if resource == "/openapi.json":
        response = document(event)
    elif resource == "/docs":
        response = page(event)
    else:
        asset = str((event.get("pathParameters") or {}).get("asset") or "")
        response = ASSETS.get(asset, not_found)(event)
    response["headers"] = {
        **response["headers"],
        # Public, so readable from any page the stack allows (as the gateway's own answers).
        "Access-Control-Allow-Origin": os.environ.get("CORS_ALLOW_ORIGIN") or "*",
        "Access-Control-Expose-Headers": os.environ.get("CORS_EXPOSE_HEADERS", ""),
        "X-Request-Id": request_id(event),
        "X-Content-Type-Options": "nosniff",
    }
    return response


def request_id(event: dict[str, Any]) -> str:
    return str((event.get("requestContext") or {}).get("requestId") or "")


def oauth_base_url() -> str:
    return os.environ["OAUTH_BASE_URL"].rstrip("/")


# ----------------------------------------------------------------------------- the document


def document(event: dict[str, Any]) -> dict[str, Any]:
    """openapi.json, pointed at this stack: its URL, its user pool domain's OAuth2 endpoints."""
    spec = json.loads(DOCUMENT.read_text(encoding="utf-8"))  # per request: a new file at once
    spec["servers"] = [{"url": urls.base_url(event), "description": "This stack"}]
    for scheme in spec.get("components", {}).get("securitySchemes", {}).values():
        for flow in (scheme.get("flows") or {}).values():
            flow["authorizationUrl"] = f"{oauth_base_url()}/oauth2/authorize"
            flow["tokenUrl"] = f"{oauth_base_url()}/oauth2/token"
            flow["refreshUrl"] = f"{oauth_base_url()}/oauth2/token"
    body = json.dumps(spec, indent=2, ensure_ascii=False)
    return {"statusCode": 200, "headers": {"Content-Type": "application/json"}, "body": body}


# ----------------------------------------------------------------------------- the page

PAGE = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Stint API reference</title>
<link rel="stylesheet" href="{base}/docs/swagger-ui.css">
</head>
<body>
<div id="swagger-ui"></div>
<script src="{base}/docs/swagger-ui-bundle.js"></script>
<script src="{base}/docs/swagger-initializer.js"></script>
</body>
</html>
"""


def page(event: dict[str, Any]) -> dict[str, Any]:
    base = urls.base_url(event)
    oauth_origin = "/".join(oauth_base_url().split("/")[:3])
    headers = {
        "Content-Type": HTML,
        "Cache-Control": "no-cache",
        "Content-Security-Policy": PAGE_POLICY.format(oauth=oauth_origin),
    }
    return {"statusCode": 200, "headers": headers, "body": PAGE.format(base=base)}


def initializer(event: dict[str, Any]) -> dict[str, Any]:
    """The script that starts Swagger UI: the document, the redirect page, the client."""
    base = urls.base_url(event)
    options = {
        "url": f"{base}/openapi.json",
        "dom_id": "#swagger-ui",
        "deepLinking": True,
        "persistAuthorization": False,
        "validatorUrl": None,
        "oauth2RedirectUrl": f"{base}/docs/oauth2-redirect.html",
    }
    oauth = {
        "clientId": first_party_client_id() or "",
        "usePkceWithAuthorizationCodeGrant": True,
        "scopes": [SCOPE_FOR_EVERY_ROUTE],
        "appName": "Stint API reference",
    }
    script = (
        f"window.ui = SwaggerUIBundle({json.dumps(options)});\n"
        f"window.ui.initOAuth({json.dumps(oauth)});\n"
    )
    headers = {"Content-Type": JAVASCRIPT, "Cache-Control": "no-cache"}
    return {"statusCode": 200, "headers": headers, "body": script}


@lru_cache(maxsize=1)
def first_party_client_id() -> str | None:
    """The id of the pool's client named FIRST_PARTY_CLIENT_NAME (None: the page asks for it)."""
    import boto3  # only this asset needs it

    name, pool_id = os.environ["FIRST_PARTY_CLIENT_NAME"], os.environ["USER_POOL_ID"]
    pages = boto3.client("cognito-idp").get_paginator("list_user_pool_clients")
    for result in pages.paginate(UserPoolId=pool_id, PaginationConfig={"PageSize": 60}):
        for client in result["UserPoolClients"]:
            if client["ClientName"] == name:
                return str(client["ClientId"])
    logger.error("no app client named %s in pool %s: the page cannot sign in", name, pool_id)
    return None


def oauth2_redirect(event: dict[str, Any]) -> dict[str, Any]:
    """Where the sign-in window lands with the code: it hands it to the page and closes."""
    from aws_lambda_powertools.event_handler.openapi.swagger_ui.oauth2 import (
        generate_oauth2_redirect_html,
    )

    # The code is in this page's URL: no Referer may carry it elsewhere.
    headers = {"Content-Type": HTML, "Cache-Control": "no-store", "Referrer-Policy": "no-referrer"}
    return {"statusCode": 200, "headers": headers, "body": generate_oauth2_redirect_html()}


def swagger_ui_file(name: str, content_type: str) -> Any:
    """An asset of Swagger UI as Powertools ships it (found without importing its modules)."""

    def serve(event: dict[str, Any]) -> dict[str, Any]:
        spec = importlib.util.find_spec("aws_lambda_powertools")
        assert spec is not None and spec.submodule_search_locations
        root = Path(next(iter(spec.submodule_search_locations)))
        body = (root / "event_handler" / "openapi" / "swagger_ui" / name).read_text("utf-8")
        headers = {"Content-Type": content_type, "Cache-Control": ASSET_CACHE}
        return {"statusCode": 200, "headers": headers, "body": body}

    return serve


def not_found(event: dict[str, Any]) -> dict[str, Any]:
    body = {
        "error": {
            "code": "not_found",
            "message": f"No such file: {urls.base_url(event)}{event.get('path')}",
            "requestId": request_id(event),
        }
    }
    return {
        "statusCode": 404,
        "headers": {"Content-Type": "application/json"},
        "body": json.dumps(body),
    }


ASSETS = {
    "swagger-ui-bundle.js": swagger_ui_file("swagger-ui-bundle.min.js", JAVASCRIPT),
    "swagger-ui.css": swagger_ui_file("swagger-ui.min.css", "text/css; charset=utf-8"),
    "swagger-initializer.js": initializer,
    "oauth2-redirect.html": oauth2_redirect,
}

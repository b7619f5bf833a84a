"""The HTTP adapter every function shares: one resolver setup, error mapping, responses.

Each `functions/<group>/app.py` builds its resolver with `create_app()`, declares its routes,
and exports `lambda_handler = handler(app)`. Domain errors become the contract's error body
here and nowhere else.
"""

from __future__ import annotations

import base64
import json
import os
from collections.abc import Callable, Mapping, Sequence
from decimal import Decimal
from functools import partial
from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response
from aws_lambda_powertools.event_handler.middlewares import NextMiddleware
from aws_lambda_powertools.event_handler.openapi.exceptions import RequestValidationError
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.metrics import EphemeralMetrics, MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from stint import idempotency, priming, tracing
from stint.errors import NotFound, PayloadTooLarge, StintError, ValidationFailed
from stint.services.common import Caller, Versioned
from stint.services.users import ensure_profile

MAX_BODY_BYTES = 256 * 1024
JSON = "application/json"

logger = Logger()


class _Resolver(APIGatewayRestResolver):
    """Powertools' resolver, with the current request pinned on the instance.

    Powertools stores the current event on the `BaseRouter` class (fine in Lambda: one request
    per process). The local stack runs several execution environments on threads of one
    process, so each resolver keeps its own request in instance attributes, which shadow the
    class's. Found by tests/api/test_concurrency.py, where bodies of concurrent requests to
    different functions got mixed.
    """

    def resolve(self, event: Mapping[str, Any], context: LambdaContext) -> dict[str, Any]:
        self.current_event = self._to_proxy_event(dict(event))  # type: ignore[assignment]
        self.lambda_context = context
        return super().resolve(event, context)


def create_app() -> APIGatewayRestResolver:
    # JSON numbers with a fraction are parsed as Decimal, so money is exact from the first byte
    # (95.55 is never the float 95.549999...); pydantic turns them into floats where a field is
    # a float, and into nothing else: a strict int still refuses 1500.0.
    app = _Resolver(
        enable_validation=True, json_body_deserializer=partial(json.loads, parse_float=Decimal)
    )
    app.use(middlewares=[_known_caller])

    @app.exception_handler(StintError)
    def _domain_error(error: StintError) -> Response:
        return error_response(error)

    @app.exception_handler(RequestValidationError)
    def _invalid_request(error: RequestValidationError) -> Response:
        return error_response(_validation_error(error.errors()))

    @app.not_found
    def _no_route(_: Exception) -> Response:
        return error_response(NotFound("No such route"))

    return app


def handler(
    app: APIGatewayRestResolver,
) -> Callable[[dict[str, Any], LambdaContext], dict[str, Any]]:
    """The Lambda entry point: structured logs with the request id and the user id, and
    CloudWatch metrics (embedded metric format): cold starts, requests, 4xx and 5xx answers."""
    # Made here, once per execution environment (each imports its function's app), and
    # ephemeral: Powertools' `Metrics` shares its metric set between instances of a process,
    # which the local stack's concurrent environments would mix.
    metrics = EphemeralMetrics(namespace=os.environ.get("POWERTOOLS_METRICS_NAMESPACE", "Stint"))

    @metrics.log_metrics(capture_cold_start_metric=True)
    @logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST)
    def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
        claims = (event.get("requestContext") or {}).get("authorizer", {}).get("claims") or {}
        logger.append_keys(user_id=claims.get("sub"))
        refused = _body_too_large(event) or _body_not_json(event)
        if refused or not claims.get("sub"):
            response = refused or app.resolve(event, context)
        else:
            response = idempotency.run_once(
                event,
                claims["sub"],
                lambda: app.resolve(event, context),
                _raw_error,
            )
        _count(metrics, int(response.get("statusCode", 500)))
        return response

    priming.register(app)  # SnapStart: the first request's one-time work before the snapshot
    return tracing.traced(lambda_handler)


def _count(metrics: EphemeralMetrics, status: int) -> None:
    metrics.add_metric(name="Requests", unit=MetricUnit.Count, value=1)
    if status >= 500:
        metrics.add_metric(name="ServerErrors", unit=MetricUnit.Count, value=1)
    elif status >= 400:
        metrics.add_metric(name="ClientErrors", unit=MetricUnit.Count, value=1)


# ----------------------------------------------------------------------------- request context


def caller(app: APIGatewayRestResolver) -> Caller:
    claims = app.current_event.request_context.authorizer.claims or {}
    return Caller(user_id=claims["sub"], username=claims.get("username") or claims["sub"])


def if_match(app: APIGatewayRestResolver) -> str | None:
    return app.current_event.headers.get("if-match") or app.current_event.headers.get("If-Match")


def _body_too_large(event: dict[str, Any]) -> dict[str, Any] | None:
    """The 413 answer for a body over 256 KiB (decoded), checked before anything parses it."""
    body = event.get("body") or ""
    size = len(base64.b64decode(body)) if event.get("isBase64Encoded") else len(body.encode())
    if size <= MAX_BODY_BYTES:
        return None
    return _raw_error(PayloadTooLarge(f"The request body is over {MAX_BODY_BYTES} bytes"))


def _body_not_json(event: dict[str, Any]) -> dict[str, Any] | None:
    """A 400 for a body sent as something other than JSON (no Content-Type: taken as JSON)."""
    if not event.get("body"):
        return None
    headers = event.get("headers") or {}
    content_type = next((str(v) for k, v in headers.items() if k.lower() == "content-type"), "")
    media_type = content_type.split(";")[0].strip().lower()
    if not media_type or media_type == JSON or media_type.endswith("+json"):
        return None
    return _raw_error(
        ValidationFailed(f"Content-Type: must be {JSON}, not {media_type}", code="invalid_json")
    )


def _raw_error(error: StintError) -> dict[str, Any]:
    """An error as a Lambda proxy response, for answers given before the resolver runs."""
    return {
        "statusCode": error.status,
        "headers": {"Content-Type": JSON},
        "body": json.dumps(error.body()),
        "isBase64Encoded": False,
    }


def _known_caller(app: APIGatewayRestResolver, next_middleware: NextMiddleware) -> Response:
    claims = app.current_event.request_context.authorizer.claims or {}
    if not claims.get("sub"):  # API Gateway's authorizer always passes claims
        return Response(401, JSON, json.dumps({"message": "Unauthorized"}))
    ensure_profile(caller(app))
    return next_middleware(app)


# ----------------------------------------------------------------------------- responses


def json_response(status: int, payload: Any, headers: dict[str, str] | None = None) -> Response:
    # The resolver serializes the payload after checking it against the route's response model.
    return Response(status, JSON, payload, headers=headers)


def bare_response(result: Versioned) -> Response:
    """A 200 with the entity itself as the body (the profile, seed 000), with its ETag."""
    return json_response(200, result.entity, {"ETag": result.etag})


def entity_response(status: int, key: str, result: Versioned) -> Response:
    """A single-entity response, `{key: entity}`, with its ETag."""
    return json_response(status, {key: result.entity}, {"ETag": result.etag})


def list_response(key: str, items: list[dict[str, Any]], next_token: str | None) -> Response:
    payload: dict[str, Any] = {key: items}
    if next_token:
        payload["nextToken"] = next_token
    return json_response(200, payload)


def no_content() -> Any:
    """A 204 without a body. Routes that return it are annotated `-> None`, so the resolver
    neither validates nor serializes a body (typed Any so that mypy accepts that)."""
    return Response(204)


def error_response(error: StintError) -> Response:
    return json_response(error.status, error.body())


def _validation_error(errors: Sequence[Any]) -> StintError:
    details = []
    for error in errors:
        location = [
            str(part) for part in error.get("loc", ()) if part not in ("body", "query", "path")
        ]
        if error.get("type") == "json_invalid":
            return ValidationFailed("The body is not valid JSON", code="invalid_json")
        message = str(error.get("msg", "invalid")).removeprefix("Value error, ")
        details.append({"field": ".".join(location) or "body", "message": message})
    first = details[0] if details else {"field": "body", "message": "invalid"}
    return ValidationFailed(f"{first['field']}: {first['message']}", details=details)

"""The HTTP adapter every function shares: one resolver setup, error mapping, the request's
context (the caller, `If-Match`, the workspace).

Each `functions/<group>/app.py` builds its resolver with `create_app()`, declares its routes,
answers with `stint.responses`, and exports `lambda_handler = handler(app)`. Domain errors
become the error body here and nowhere else; a request the edge refuses (`stint.edge`) never
reaches a route; every answer gets the headers of docs/DESIGN.md's "HTTP conventions and
browser apps" (`stint.responses.with_http_conventions`).
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable, Mapping, Sequence
from functools import partial
from typing import Annotated, Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.event_handler import (
    APIGatewayRestResolver,
    Depends,
    Request,
    Response,
)
from aws_lambda_powertools.event_handler.exceptions import ServiceError
from aws_lambda_powertools.event_handler.middlewares import NextMiddleware
from aws_lambda_powertools.event_handler.openapi.exceptions import (
    RequestUnsupportedContentType,
    RequestValidationError,
)
from aws_lambda_powertools.event_handler.openapi.params import Header, Query
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.metrics import EphemeralMetrics, MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext
from botocore.exceptions import ClientError

from stint import edge, idempotency, jsonio, page_tokens, priming, store, tracing, urls
from stint.edge import media_type
from stint.errors import (
    Forbidden,
    NotFound,
    PayloadTooLarge,
    StintError,
    Unauthorized,
    UnsupportedMediaType,
    ValidationFailed,
)
from stint.responses import JSON, error_response, raw_error, request_id, with_http_conventions
from stint.services import access, money_view
from stint.services.common import Caller
from stint.services.users import check_in_pool, ensure_profile

logger = Logger()


class _Resolver(APIGatewayRestResolver):
    """Powertools' resolver, given JSON's media type as Powertools spells it."""

    def resolve(self, event: Mapping[str, Any], context: LambdaContext) -> dict[str, Any]:
        return super().resolve(_json_spelled_plainly(event), context)


def _json_spelled_plainly(event: Mapping[str, Any]) -> Mapping[str, Any]:
    """The event with its Content-Type as `application/json` where it is JSON spelled another
    way (`APPLICATION/JSON`, `Application/Json; charset=UTF-8`): Powertools compares the header
    case-sensitively and would answer 415 itself. A body of any other type was refused before
    the resolver runs (`stint.edge`)."""
    content_type = urls.header(event, "Content-Type")
    if content_type is None or content_type == JSON or media_type(content_type) != JSON:
        return event
    plain = dict(event)
    for source in ("headers", "multiValueHeaders"):
        headers = event.get(source)
        if isinstance(headers, dict):
            kept = {k: v for k, v in headers.items() if k.lower() != "content-type"}
            kept["Content-Type"] = [JSON] if source == "multiValueHeaders" else JSON
            plain[source] = kept
    return plain


def create_app() -> APIGatewayRestResolver:
    # JSON numbers with a fraction are parsed as Decimal, so money is exact from the first byte
    # (95.55 is never the float 95.549999...); an integer field takes 1500.0 as 1500. The body was
    # checked against Stint's JSON limits before the resolver runs (`stint.edge`).
    app = _Resolver(enable_validation=True, json_body_deserializer=jsonio.loads)
    app.use(middlewares=[_known_caller])

    @app.exception_handler(StintError)
    def _domain_error(error: StintError) -> Response:
        return error_response(error, request_id(app.current_event.raw_event))

    @app.exception_handler(ClientError)
    def _dynamodb_error(error: ClientError) -> Response:
        answer = store.client_error(error)
        if answer is None:
            raise error  # not the request's doing nor a throttle: the function fails (5xx)
        return error_response(answer, request_id(app.current_event.raw_event))

    @app.exception_handler(RequestValidationError)
    def _invalid_request(error: RequestValidationError) -> Response:
        return error_response(
            _validation_error(error.errors()), request_id(app.current_event.raw_event)
        )

    @app.not_found
    def _no_route(_: Exception) -> Response:
        return error_response(NotFound("No such route"), request_id(app.current_event.raw_event))

    # What Powertools would otherwise answer with its own body (`{"statusCode", "detail"}`):
    # every error has the error body (docs/API.md, "Errors").
    @app.exception_handler(RequestUnsupportedContentType)
    def _unsupported_type(error: RequestUnsupportedContentType) -> Response:
        logger.info("Powertools refused the body's type", extra={"errors": error.errors()})
        refused = UnsupportedMediaType(f"Content-Type: must be {JSON}")
        return error_response(refused, request_id(app.current_event.raw_event))

    @app.exception_handler(ServiceError)
    def _powertools_error(error: ServiceError) -> Response:
        logger.info("Powertools answered %s: %s", error.status_code, error.msg)
        return error_response(
            _stint_error(error.status_code, str(error.msg)),
            request_id(app.current_event.raw_event),
        )

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
        try:
            response = _answer(app, event, context, claims.get("sub"))
        except (StintError, ClientError) as failed:
            response = _edge_error(failed, event)
        _count(metrics, int(response.get("statusCode", 500)))
        return with_http_conventions(event, response)

    priming.register(app)  # SnapStart: the first request's one-time work before the snapshot
    return tracing.traced(lambda_handler)


def _answer(
    app: APIGatewayRestResolver, event: dict[str, Any], context: LambdaContext, user_id: str | None
) -> dict[str, Any]:
    """The route's answer, with the edge's checks before it and its tokens sealed after it."""
    refused = edge.refused(event, user_id)
    if refused or not user_id:
        return refused or app.resolve(event, context)
    response = idempotency.run_once(
        event,
        user_id,
        lambda: app.resolve(event, context),
        partial(raw_error, request_id=request_id(event)),
    )
    page_tokens.seal_response(event, response, user_id)
    return response


def _edge_error(failed: StintError | ClientError, event: dict[str, Any]) -> dict[str, Any]:
    """An error of the edge's own calls (the page token key, read once per environment), which
    run outside the resolver's error handlers: the answer the resolver would give."""
    answer = store.client_error(failed) if isinstance(failed, ClientError) else failed
    if answer is None:
        raise failed  # not the request's doing nor a throttle: the function fails (5xx)
    logger.warning("the edge answered %s: %s", answer.status, answer)
    return raw_error(answer, request_id=request_id(event))


def _count(metrics: EphemeralMetrics, status: int) -> None:
    metrics.add_metric(name="Requests", unit=MetricUnit.Count, value=1)
    if status >= 500:
        metrics.add_metric(name="ServerErrors", unit=MetricUnit.Count, value=1)
    elif status >= 400:
        metrics.add_metric(name="ClientErrors", unit=MetricUnit.Count, value=1)


# ----------------------------------------------------------------------------- request context


# What the caller middleware (`_known_caller`) puts into the resolver's context for the routes.
_CALLER = "stint_caller"
_PROFILE = "stint_profile"


def current_caller(request: Request) -> Caller:
    """The authenticated caller, whose profile the middleware made sure exists."""
    known: Caller = request.context[_CALLER]
    return known


def profile_read(request: Request) -> dict[str, Any] | None:
    """The caller's profile as the middleware read or created it on this request, or None when
    this execution environment had seen the caller before (and the middleware read nothing)."""
    record: dict[str, Any] | None = request.context.get(_PROFILE)
    return record


# What a route declares to be given (Powertools resolves them before it calls the route):
# `caller: CurrentCaller`, `profile: ProfileRead`, and `if_match: IfMatch = None` where the
# route honours If-Match (that parameter is what documents the header in openapi.json).
CurrentCaller = Annotated[Caller, Depends(current_caller)]
ProfileRead = Annotated[dict[str, Any] | None, Depends(profile_read)]
IfMatch = Annotated[str | None, Header(alias="If-Match")]
# A change of rates re-rates the sessions they govern in the background, but with `rerate=false`.
Rerate = Annotated[
    bool,
    Query(description="`false`: the sessions written before keep the rates they carry"),
]
# The answer to a `workspaceId` query naming no workspace of the caller's.
NO_SUCH_WORKSPACE = "`not_found`: `workspaceId` names no workspace of yours"
# A list narrowed to one workspace of the caller's (else every one of theirs).
InWorkspace = Annotated[
    str | None, Query(description="Only this workspace's (default: every workspace of yours)")
]  # its words: tools/openapi.py IF_MATCH


def _stint_error(status: int, message: str) -> StintError:
    """An error Powertools raised (a `ServiceError`) as the API's error of that status."""
    by_status: dict[int, type[StintError]] = {
        400: ValidationFailed,
        401: Unauthorized,
        403: Forbidden,
        404: NotFound,
        413: PayloadTooLarge,
        415: UnsupportedMediaType,
    }
    known = by_status.get(status)
    if known is not None:
        return known(message)
    error = StintError(message)
    error.status = status
    return error


def _known_caller(app: APIGatewayRestResolver, next_middleware: NextMiddleware) -> Response:
    """The caller from the authorizer's claims, with their profile made sure of (created where
    the sign-up trigger did not), into the context for `current_caller` and `profile_read`."""
    claims = app.current_event.request_context.authorizer.claims or {}
    if not claims.get("sub"):  # API Gateway's authorizer always passes claims
        return Response(401, JSON, json.dumps({"message": "Unauthorized"}))
    known = Caller(user_id=claims["sub"], username=claims.get("username") or claims["sub"])
    check_in_pool(known)  # Unauthorized (401) when the token's user was deleted
    app.append_context(**{_CALLER: known, _PROFILE: ensure_profile(known)})
    with access.resolving():  # the route's memberships, for the money rule of its answer
        response = next_middleware(app)
        # Money only for those who see it, on every route: the body is the payload, or JSON
        # text once the resolver's response validation has serialized it.
        if isinstance(response.body, dict):
            response.body = money_view.hidden(known, response.body)
        elif isinstance(response.body, str) and money_view.names_shared(known, response.body):
            payload = jsonio.loads(response.body)
            shown = money_view.hidden(known, payload)
            if shown is not payload:
                response.body = jsonio.dumps(shown)
    return response


# Parts of a pydantic error location that name a field or an index as the client wrote it;
# the rest (validator and union member tags such as `function-after[...]`) are internals.
_FIELD_NAME = re.compile(r"^(?:[A-Za-z_][A-Za-z0-9_-]*|\d+)$")


def _validation_error(errors: Sequence[Any]) -> StintError:
    details = []
    for error in errors:
        where = list(error.get("loc", ()))
        if where and where[0] in ("body", "query", "path"):
            where = where[1:]  # where it was sent, not a field (a batch's `body` is one)
        location = [str(part) for part in where if _FIELD_NAME.match(str(part))]
        if error.get("type") == "json_invalid":
            return ValidationFailed("The body is not valid JSON", code="invalid_json")
        message = str(error.get("msg", "invalid")).removeprefix("Value error, ")
        details.append({"field": ".".join(location) or "body", "message": message})
    first = details[0] if details else {"field": "body", "message": "invalid"}
    return ValidationFailed(f"{first['field']}: {first['message']}", details=details)

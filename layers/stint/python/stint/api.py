"""The HTTP adapter every function shares: one resolver setup, error mapping, responses.

Each `functions/<group>/app.py` builds its resolver with `create_app()`, declares its routes,
and exports `lambda_handler = handler(app)`. Domain errors become the error body
here and nowhere else, and every answer gets the headers of docs/DESIGN.md's "HTTP
conventions and browser apps" here (`with_http_conventions`): CORS, `X-Request-Id`, `no-store`,
`nosniff`.
"""

from __future__ import annotations

import base64
import json
import os
import re
from collections.abc import Callable, Mapping, Sequence
from functools import lru_cache, partial
from typing import Annotated, Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.event_handler import (
    APIGatewayRestResolver,
    CORSConfig,
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

from stint import idempotency, jsonio, page_tokens, priming, store, tracing, urls
from stint.errors import (
    Forbidden,
    NotFound,
    PayloadTooLarge,
    StintError,
    Unauthorized,
    UnsupportedMediaType,
    ValidationFailed,
    invalid_field,
)
from stint.services import money_view
from stint.services.common import Caller, Versioned
from stint.services.users import check_in_pool, ensure_profile

MAX_BODY_BYTES = 256 * 1024
JSON = "application/json"
REPLACEMENT_CHARACTER = "\ufffd"  # what a decoding puts for bytes that are not UTF-8

logger = Logger()


class _Resolver(APIGatewayRestResolver):
    """Powertools' resolver, given JSON's media type as Powertools spells it."""

    def resolve(self, event: Mapping[str, Any], context: LambdaContext) -> dict[str, Any]:
        return super().resolve(_json_spelled_plainly(event), context)


def _json_spelled_plainly(event: Mapping[str, Any]) -> Mapping[str, Any]:
    """The event with its Content-Type as `application/json` where it is JSON spelled another
    way (`APPLICATION/JSON`, `Application/Json; charset=UTF-8`): Powertools compares the header
    case-sensitively and would answer 415 itself. A body of any other type was refused before
    the resolver runs (`_body_not_json`)."""
    content_type = urls.header(event, "Content-Type")
    if content_type is None or content_type == JSON or _media_type(content_type) != JSON:
        return event
    plain = dict(event)
    for source in ("headers", "multiValueHeaders"):
        headers = event.get(source)
        if isinstance(headers, dict):
            kept = {k: v for k, v in headers.items() if k.lower() != "content-type"}
            kept["Content-Type"] = [JSON] if source == "multiValueHeaders" else JSON
            plain[source] = kept
    return plain


def _media_type(content_type: str) -> str:
    """The media type of a Content-Type value, lower-cased, without its parameters: type and
    subtype are case-insensitive (RFC 9110, 8.3.1)."""
    return content_type.split(";")[0].strip().lower()


def create_app() -> APIGatewayRestResolver:
    # JSON numbers with a fraction are parsed as Decimal, so money is exact from the first byte
    # (95.55 is never the float 95.549999...); an integer field takes 1500.0 as 1500. The body was
    # checked against Stint's JSON limits before the resolver runs (`_unacceptable_json`).
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
        refused = (
            _body_too_large(event)
            or _body_not_json(event)
            or _unacceptable_json(event)
            or _unencodable_parameter(event)
            or _foreign_token(event, claims.get("sub"))
        )
        if refused or not claims.get("sub"):
            response = refused or app.resolve(event, context)
        else:
            response = idempotency.run_once(
                event,
                claims["sub"],
                lambda: app.resolve(event, context),
                partial(_raw_error, request_id=request_id(event)),
            )
        if claims.get("sub"):
            page_tokens.seal_response(event, response, claims["sub"])
        _count(metrics, int(response.get("statusCode", 500)))
        return with_http_conventions(event, response)

    priming.register(app)  # SnapStart: the first request's one-time work before the snapshot
    return tracing.traced(lambda_handler)


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


def request_id(event: Mapping[str, Any]) -> str:
    """API Gateway's id of the request (also in the logs, as the correlation id)."""
    return str((event.get("requestContext") or {}).get("requestId") or "")


def _body_too_large(event: dict[str, Any]) -> dict[str, Any] | None:
    """The 413 answer for a body over 256 KiB (decoded), checked before anything parses it."""
    body = _body_text(event)
    size = len(body) if isinstance(body, bytes) else len(body.encode("utf-8", "surrogatepass"))
    if size <= MAX_BODY_BYTES:
        return None
    return _raw_error(
        PayloadTooLarge(f"The request body is over {MAX_BODY_BYTES} bytes"), request_id(event)
    )


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


def _body_not_json(event: dict[str, Any]) -> dict[str, Any] | None:
    """A 415 for a body of a media type other than application/json, however spelled (no
    Content-Type: taken as JSON; docs/API.md, "Requests and answers")."""
    if not event.get("body"):
        return None
    media_type = _media_type(urls.header(event, "Content-Type") or "")
    if not media_type or media_type == JSON:
        return None
    return _raw_error(
        UnsupportedMediaType(f"Content-Type: must be {JSON}, not {media_type}"),
        request_id(event),
    )


def _body_text(event: dict[str, Any]) -> str | bytes:
    body = event.get("body") or ""
    return base64.b64decode(body) if event.get("isBase64Encoded") else str(body)


def _unacceptable_json(event: dict[str, Any]) -> dict[str, Any] | None:
    """A 400 invalid_json for a body outside Stint's JSON limits (stint.jsonio), checked before
    anything parses it: too deep, an integer too long, a lone surrogate or U+0000; and a 400
    validation_error for a body that is not a JSON object (every route's body is one)."""
    if not event.get("body"):
        return None
    text = _body_text(event)
    if isinstance(text, str) and REPLACEMENT_CHARACTER in text:
        # API Gateway hands a text body to the function decoded, each byte that is not UTF-8
        # replaced by U+FFFD: such a body is refused, not stored (docs/DESIGN.md, "Values").
        return _raw_error(
            ValidationFailed(
                "The body is not acceptable JSON: it is not UTF-8 (it holds U+FFFD)",
                code="invalid_json",
            ),
            request_id(event),
        )
    try:
        body = jsonio.loads(text)
    except jsonio.InvalidJson as error:
        return _raw_error(
            ValidationFailed(f"The body is not acceptable JSON: {error}", code="invalid_json"),
            request_id(event),
        )
    # Every Stint body is an object, or `null` where a route's body is optional (Powertools took
    # a list for a model).
    if body is not None and not isinstance(body, dict):
        message = "must be a JSON object"
        return _raw_error(invalid_field("body", message), request_id(event))
    return None


def _unencodable_parameter(event: dict[str, Any]) -> dict[str, Any] | None:
    """A 400 for a path or query parameter holding U+0000 or a lone surrogate (no string
    may: docs/DESIGN.md, "Values"), before any route reads it."""
    for source in ("pathParameters", "queryStringParameters"):
        for name, value in (event.get(source) or {}).items():
            if isinstance(value, str) and jsonio.unencodable(value):
                message = "must not hold U+0000 or a lone surrogate"
                return _raw_error(invalid_field(str(name), message), request_id(event))
    return None


def _foreign_token(event: dict[str, Any], user_id: str | None) -> dict[str, Any] | None:
    """A page or sync token this API did not hand out for this caller, route and query: 400
    before the route reads anything (stint.page_tokens)."""
    if not user_id:
        return None
    refused = page_tokens.unseal_event(event, user_id)
    return None if refused is None else _raw_error(refused, request_id(event))


def _raw_error(error: StintError, request_id: str) -> dict[str, Any]:
    """An error as a Lambda proxy response, for answers given before the resolver runs."""
    return {
        "statusCode": error.status,
        "headers": {"Content-Type": JSON, **error.headers()},
        "body": json.dumps(error.body(request_id)),
        "isBase64Encoded": False,
    }


def _known_caller(app: APIGatewayRestResolver, next_middleware: NextMiddleware) -> Response:
    """The caller from the authorizer's claims, with their profile made sure of (created where
    the sign-up trigger did not), into the context for `current_caller` and `profile_read`."""
    claims = app.current_event.request_context.authorizer.claims or {}
    if not claims.get("sub"):  # API Gateway's authorizer always passes claims
        return Response(401, JSON, json.dumps({"message": "Unauthorized"}))
    known = Caller(user_id=claims["sub"], username=claims.get("username") or claims["sub"])
    check_in_pool(known)  # Unauthorized (401) when the token's user was deleted
    app.append_context(**{_CALLER: known, _PROFILE: ensure_profile(known)})
    response = next_middleware(app)
    # Money only for those who see it, on every route: the body is the payload, or JSON text
    # once the resolver's response validation has serialized it.
    if isinstance(response.body, dict):
        response.body = money_view.hidden(known, response.body)
    elif isinstance(response.body, str) and money_view.names_shared(known, response.body):
        payload = jsonio.loads(response.body)
        shown = money_view.hidden(known, payload)
        if shown is not payload:
            response.body = jsonio.dumps(shown)
    return response


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

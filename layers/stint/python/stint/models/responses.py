"""The error body (docs/API.md, "Errors") and the responses a route's decorator declares.

A route's decorator declares its own responses (`responses=`): its success responses and the
errors docs/API.md names for that route. What every route shares (docs/API.md, "Errors": 400,
401, 403, 404 on a path id, 409 on writes, 412, 413, 429, the Idempotency-Key and If-Match
headers, the security requirement) is added by tools/openapi.py, which writes openapi.json.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any, NotRequired, cast

from pydantic import Field
from typing_extensions import TypedDict

from stint.models.base import BaseModel

if TYPE_CHECKING:
    from aws_lambda_powertools.event_handler.openapi.types import OpenAPIResponse


class ErrorDetail(TypedDict):
    code: str
    message: str
    details: NotRequired[list[Any]]
    requestId: Annotated[str, Field(description="API Gateway's id of the request (X-Request-Id)")]
    index: NotRequired[
        Annotated[int, Field(description="An atomic batch's failing operation (from 0)")]
    ]


class ErrorBody(BaseModel):
    """Every error other than the authorizer's 401 (docs/API.md, "Errors")."""

    error: ErrorDetail


class GatewayMessage(BaseModel):
    """API Gateway's own answer, as its authorizer's 401: `{"message": "Unauthorized"}`."""

    message: str


_ETAG = {
    "description": "The entity's version; send it back in `If-Match` to update or delete it",
    "required": True,
    "schema": {"type": "string"},
}


def returns(description: str, *, etag: bool = False) -> OpenAPIResponse:
    """A success response whose body is the route's return annotation (with `ETag`: one entity)."""
    response: OpenAPIResponse = {"description": description}
    if etag:
        response["headers"] = {"ETag": cast(Any, _ETAG)}
    return response


def returns_nothing(description: str) -> OpenAPIResponse:
    """A success response without a body (204)."""
    return {"description": description, "content": {}}


# What a route that writes sessions answers a writer whom locked time binds.
PERIOD_LOCKED = (
    "`period_locked`: a session in locked time (the workspace's `lockedBefore`, or a period"
    " submitted for approval) for a manager or member"
)


def fails(description: str) -> OpenAPIResponse:
    """An error response: the error body, `{"error": {code, message, details?}}`."""
    return {"description": description, "content": {"application/json": {"model": ErrorBody}}}

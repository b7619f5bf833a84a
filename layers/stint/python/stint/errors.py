"""Domain errors and their mapping to the error body (docs/API.md, "Errors").

Every error a service raises is a `StintError`; the HTTP layer (`stint.api`) turns it into
`{"error": {"code", "message", "details", "requestId"}}` with the error's status code, and its
`Retry-After` header when a retry later can succeed (docs/API.md, "Errors").
"""

from __future__ import annotations

from typing import Any


class StintError(Exception):
    status = 500
    code = "internal_error"
    retry_after: int | None = None  # seconds: the answer's Retry-After header

    def __init__(
        self,
        message: str,
        *,
        code: str | None = None,
        details: list[Any] | None = None,
        retry_after: int | None = None,
    ):
        super().__init__(message)
        self.message = message
        if code:
            self.code = code
        self.details = details or []
        if retry_after is not None:
            self.retry_after = retry_after

    def headers(self) -> dict[str, str]:
        return {} if self.retry_after is None else {"Retry-After": str(self.retry_after)}

    def body(self, request_id: str | None = None) -> dict[str, Any]:
        """The error body; `request_id` is API Gateway's id of the request."""
        error: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.details:
            error["details"] = self.details
        if request_id:
            error["requestId"] = request_id
        return {"error": error}


class ValidationFailed(StintError):
    status = 400
    code = "validation_error"


class Unauthorized(StintError):
    """The token is valid but names no user of the pool any more (deleted): the same answer
    as the authorizer's `401`, whose body is not the error body (docs/API.md, "Errors")."""

    status = 401
    code = "unauthorized"

    def body(self, request_id: str | None = None) -> dict[str, Any]:
        return {"message": "Unauthorized"}


class Forbidden(StintError):
    status = 403
    code = "forbidden"


class NotFound(StintError):
    status = 404
    code = "not_found"


class Conflict(StintError):
    status = 409
    code = "conflict"


class PreconditionFailed(StintError):
    status = 412
    code = "precondition_failed"


class PayloadTooLarge(StintError):
    status = 413
    code = "payload_too_large"


class UnsupportedMediaType(StintError):
    """A body whose Content-Type is not application/json (docs/API.md, "Requests and answers")."""

    status = 415
    code = "unsupported_media_type"


class ServiceUnavailable(StintError):
    """DynamoDB kept throttling (or failing) after botocore's retries: try again shortly."""

    status = 503
    code = "service_unavailable"
    retry_after = 1


def not_found(kind: str, entity_id: str) -> NotFound:
    return NotFound(f"{kind} {entity_id!r} not found")


def invalid_field(field: str, message: str) -> ValidationFailed:
    return ValidationFailed(f"{field}: {message}", details=[{"field": field, "message": message}])

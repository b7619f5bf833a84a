"""Sessions in bulk (`POST /v1/sessions/batch`, docs/API.md "Sessions in bulk"): the
operations, each the body of its single route (but for what the document states of it), and
the results."""

from __future__ import annotations

from typing import Annotated, Any, Literal, NotRequired

from pydantic import ConfigDict, Discriminator, Field, StrictBool, StrictStr
from pydantic import Tag as UnionTag
from typing_extensions import TypedDict

from stint.models.base import RequestBody, absent, one_of_required, request_schema
from stint.models.entities import Project, Session, Tag, Task
from stint.models.sessions import SessionBody, SessionProjectRef, SessionTaskRef
from stint.models.values import ClientId

MAX_BATCH = 100
MAX_ATOMIC_BATCH = 25
ETagText = Annotated[StrictStr, Field(min_length=1, max_length=255, description="An ETag")]


class BatchSessionTaskRef(SessionTaskRef):
    """The session's task, as in `POST /v1/sessions`: by `id` or by `title`. Without either,
    the operation's own `400 validation_error`: in a non-atomic batch its result, in an atomic
    one the batch's answer (with `error.index`), which SessionBatch's schema states."""

    # Unstated here: a non-atomic batch answers an operation that breaks the rule with 200 and
    # that operation's 400 (as every rule its services check), so its document must allow it.
    # SessionBatch states it for an atomic batch (`_strict_when_atomic`).
    one_required = ()


class BatchSessionProjectRef(SessionProjectRef):
    """The task's project, as in `POST /v1/sessions`: by `id` or by `title` when sent (without
    either, as BatchSessionTaskRef's)."""

    one_required = ()


class BatchSessionBody(SessionBody):
    """A batch's `create` or `replace`: the body of `POST /v1/sessions`, with the task and the
    project by `id` or `title` left to the batch (BatchSessionTaskRef)."""

    task: BatchSessionTaskRef
    project: BatchSessionProjectRef | None = None


class BatchCreate(RequestBody):
    """`POST /v1/sessions` with this body."""

    op: Literal["create"]
    body: BatchSessionBody


class BatchReplace(RequestBody):
    """`PUT /v1/sessions/{id}` with this body, and `ifMatch` as its `If-Match`."""

    op: Literal["replace"]
    id: ClientId
    ifMatch: ETagText = absent()
    body: BatchSessionBody


class BatchDelete(RequestBody):
    """`DELETE /v1/sessions/{id}`, with `ifMatch` as its `If-Match`."""

    op: Literal["delete"]
    id: ClientId
    ifMatch: ETagText = absent()


def _operation_tag(value: Any) -> str | None:
    """The member of `BatchOperation` a value is, by its `op`. The tags do not look like field
    names, so an error names the fields as the client wrote them (`operations.0.body...`)."""
    op = value.get("op") if isinstance(value, dict) else getattr(value, "op", None)
    return f"op={op}" if op in ("create", "replace", "delete") else None


BatchOperation = Annotated[
    Annotated[BatchCreate, UnionTag("op=create")]
    | Annotated[BatchReplace, UnionTag("op=replace")]
    | Annotated[BatchDelete, UnionTag("op=delete")],
    Discriminator(_operation_tag),
]


def _strict_when_atomic(schema: dict[str, Any], model: type[Any]) -> None:
    """An atomic batch holds at most `MAX_ATOMIC_BATCH` operations, each with its task and
    project by `id` or `title`, as SessionBody's: `if` the batch is atomic (`atomic` true or left
    out: its default), `then` `operations` states both. Beside the operations' own schema, not
    in copies of it: both generators skip `if` (openapi-python-client keeps it as an unknown
    keyword, openapi-typescript reads none), so their types are the loose body's, as a
    non-atomic batch needs."""
    request_schema(schema, model)
    body = {
        "properties": {
            "task": one_of_required(SessionTaskRef.one_required),
            # `required` asks nothing of a null project.
            "project": one_of_required(SessionProjectRef.one_required),
        }
    }
    schema["if"] = {"properties": {"atomic": {"const": True}}}
    operations = {"maxItems": MAX_ATOMIC_BATCH, "items": {"properties": {"body": body}}}
    schema["then"] = {"properties": {"operations": operations}}


class SessionBatch(RequestBody):
    """`POST /v1/sessions/batch` (docs/API.md, "Sessions in bulk"). When atomic, each
    operation's task (and project, when sent) is by `id` or `title`, as in `POST /v1/sessions`;
    a non-atomic batch answers such an operation with its own `400` among the results."""

    model_config = ConfigDict(json_schema_extra=_strict_when_atomic)

    atomic: StrictBool = Field(
        default=True, description="One transaction: all or none (at most 25 operations)"
    )
    operations: Annotated[list[BatchOperation], Field(min_length=1, max_length=MAX_BATCH)]


class OperationError(TypedDict):
    code: str
    message: str
    details: NotRequired[list[Any]]


class BatchResult(TypedDict):
    status: Annotated[int, Field(description="What the operation's own route answers")]
    session: NotRequired[Session]
    task: NotRequired[Task]
    project: NotRequired[Project]
    tags: NotRequired[list[Tag]]
    error: NotRequired[OperationError]


class BatchResults(TypedDict):
    results: Annotated[list[BatchResult], Field(description="One per operation, in order")]

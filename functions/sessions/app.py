"""Sessions function: time entries (docs/DESIGN.md, "Sessions and titles"). A thin HTTP adapter."""

from typing import Annotated

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Body, Query

from stint.api import NO_SUCH_WORKSPACE, CurrentCaller, IfMatch, create_app, handler
from stint.models import (
    PERIOD_LOCKED,
    BatchResults,
    SessionBatch,
    SessionBody,
    SessionEnvelope,
    SessionList,
    SessionWrite,
    fails,
    returns,
    returns_nothing,
)
from stint.responses import entity_response, json_response, list_response, location, no_content
from stint.services import batch, sessions

app = create_app()


@app.get(
    "/v1/sessions",
    responses={
        200: returns("A page of sessions, by startTimestamp"),
        403: fails("`forbidden`: a member lists their own sessions only (`userId`)"),
        404: fails(NO_SUCH_WORKSPACE),
    },
)
def list_sessions(
    caller: CurrentCaller,
    start: Annotated[str | None, Query(json_schema_extra={"format": "date-time"})] = None,
    end: Annotated[str | None, Query(json_schema_extra={"format": "date-time"})] = None,
    taskId: Annotated[str | None, Query()] = None,
    tagId: Annotated[str | None, Query(description="Only sessions carrying this tag")] = None,
    workspaceId: Annotated[
        str | None,
        Query(
            description="One workspace: every member's sessions for its owners, admins and"
            " managers, a member's own; without it, the caller's own in every workspace"
        ),
    ] = None,
    userId: Annotated[
        str | None, Query(description="One member's sessions (needs `workspaceId`)")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    nextToken: Annotated[str | None, Query()] = None,
) -> Response[SessionList]:
    """List sessions.

    By `startTimestamp`, ascending: `start` inclusive, `end` exclusive, optionally of one
    task and / or carrying one tag. Pages of `limit`; follow `nextToken` (or `Link:
    rel="next"`).
    """
    found, token = sessions.list_sessions(
        caller,
        start=start,
        end=end,
        task_id=taskId,
        tag_id=tagId,
        workspace_id=workspaceId,
        user_id=userId,
        limit=limit,
        next_token=nextToken,
    )
    return list_response(app, "sessions", found, token)


@app.post(
    "/v1/sessions/batch",
    responses={
        200: returns("One result per operation, in order"),
        404: fails("`not_found` (atomic): the operation `error.index` names nothing"),
        409: fails("`conflict` (atomic): the operation `error.index` conflicts; " + PERIOD_LOCKED),
        412: fails("`precondition_failed` (atomic): the operation `error.index`'s ifMatch"),
    },
)
def session_batch(
    caller: CurrentCaller, body: Annotated[SessionBatch, Body()]
) -> Response[BatchResults]:
    """Create, replace and delete sessions in bulk.

    Each operation means what its own route means (`POST /v1/sessions`, `PUT` and `DELETE
    /v1/sessions/{id}`, `ifMatch` as its `If-Match`), in order: a title or tag one creates is
    reused by the next. `atomic: true` (the default, at most 25 operations): all commit in one
    transaction or none does, and a refused operation refuses the batch with its own status
    and error, plus `error.index`. `atomic: false` (at most 100): each commits on its own and
    has its result, refused or not. The `Idempotency-Key` covers the batch.
    """
    return json_response(200, {"results": batch.run(caller, body)})


@app.get("/v1/sessions/<sessionId>", responses={200: returns("The session", etag=True)})
def get_session(caller: CurrentCaller, sessionId: str) -> Response[SessionEnvelope]:
    """Get a session.

    One of the caller's sessions (running ones too), with its ETag for a later `If-Match`.
    """
    return entity_response(200, "session", sessions.get_session(caller, sessionId))


@app.post(
    "/v1/sessions",
    responses={
        201: returns("The session, and the task and project if it created them", etag=True),
        404: fails("`not_found`: `task.id` names no task of the caller"),
        409: fails("`conflict`: a session with that id exists; " + PERIOD_LOCKED),
    },
)
def create_session(
    caller: CurrentCaller, body: Annotated[SessionBody, Body()]
) -> Response[SessionWrite]:
    """Create a session (a time entry).

    The task and project may be named by id or by title: an active task or project with
    that title (trimmed, case-insensitive) is reused, and only created when none exists, in
    the same transaction. `duration: null` starts a running session, stopping the caller's
    running one first. `session.tagIds` names the caller's tags; `session.tags` names tags by
    name, reused before created (the created ones are in the answer's `tags`); at most 20 in
    all. The answer's `Location` is the session's URL.
    """
    return _session_written(sessions.write_session(caller, body))


@app.put(
    "/v1/sessions/<sessionId>",
    responses={
        200: returns("The session, replaced (`edited: true`)", etag=True),
        201: returns("The session, created with that id (`edited: false`)", etag=True),
        404: fails("`not_found`: `task.id` names no task of the caller"),
        409: fails(PERIOD_LOCKED),
    },
)
def replace_session(
    caller: CurrentCaller,
    sessionId: str,
    body: Annotated[SessionBody, Body()],
    if_match: IfMatch = None,
) -> Response[SessionWrite]:
    """Replace or create a session with this id.

    200 with `edited: true` when it existed, 201 when it is created with this id. The body
    is the one of `POST /v1/sessions`.
    """
    return _session_written(
        sessions.write_session(caller, body, path_id=sessionId, if_match=if_match)
    )


def _session_written(result: sessions.Written) -> Response[SessionWrite]:
    """200 (replaced) or 201 with the session's URL; the session's ETag either way."""
    headers = {"ETag": result.session.etag}
    if not result.created:
        return json_response(200, result.payload(), headers)
    headers.update(location(app, f"/v1/sessions/{result.session.entity['id']}"))
    return json_response(201, result.payload(), headers)


@app.delete(
    "/v1/sessions/<sessionId>",
    responses={204: returns_nothing("Deleted"), 409: fails(PERIOD_LOCKED)},
)
def delete_session(caller: CurrentCaller, sessionId: str, if_match: IfMatch = None) -> None:
    """Delete a session.

    `If-Match` makes the deletion conditional on its ETag; the next sync lists it as deleted.
    """
    sessions.delete_session(caller, sessionId, if_match=if_match)
    return no_content()


lambda_handler = handler(app)

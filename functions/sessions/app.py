"""Sessions function: time entries (contract section 5). A thin HTTP adapter."""

from typing import Annotated

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Body, Query

from stint.api import (
    caller,
    create_app,
    entity_response,
    handler,
    if_match,
    json_response,
    list_response,
    no_content,
)
from stint.models import SessionBody, SessionEnvelope, SessionList, SessionWrite
from stint.services import sessions

app = create_app()


@app.get("/v1/sessions")
def list_sessions(
    start: Annotated[str | None, Query()] = None,
    end: Annotated[str | None, Query()] = None,
    taskId: Annotated[str | None, Query()] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    nextToken: Annotated[str | None, Query()] = None,
) -> Response[SessionList]:
    found, token = sessions.list_sessions(
        caller(app), start=start, end=end, task_id=taskId, limit=limit, next_token=nextToken
    )
    return list_response("sessions", found, token)


@app.get("/v1/sessions/<sessionId>")
def get_session(sessionId: str) -> Response[SessionEnvelope]:
    return entity_response(200, "session", sessions.get_session(caller(app), sessionId))


@app.post("/v1/sessions")
def create_session(body: Annotated[SessionBody, Body()]) -> Response[SessionWrite]:
    result = sessions.write_session(caller(app), body)
    return json_response(201, result.payload(), {"ETag": result.session.etag})


@app.put("/v1/sessions/<sessionId>")
def replace_session(sessionId: str, body: Annotated[SessionBody, Body()]) -> Response[SessionWrite]:
    result = sessions.write_session(caller(app), body, path_id=sessionId, if_match=if_match(app))
    status = 201 if result.created else 200
    return json_response(status, result.payload(), {"ETag": result.session.etag})


@app.delete("/v1/sessions/<sessionId>")
def delete_session(sessionId: str) -> None:
    sessions.delete_session(caller(app), sessionId, if_match=if_match(app))
    return no_content()


lambda_handler = handler(app)

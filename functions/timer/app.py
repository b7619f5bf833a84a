"""Timer function: the caller's running timer (docs/API.md, "Timers"; Worksection's my timer)."""

from typing import Annotated

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Body

from stint.api import CurrentCaller, create_app, handler
from stint.models import (
    PERIOD_LOCKED,
    SessionEnvelope,
    TimerEnvelope,
    TimerStart,
    TimerStarted,
    TimerStop,
    fails,
    returns,
)
from stint.responses import entity_response, json_response, location
from stint.services import timer

app = create_app()


@app.get("/v1/timer", responses={200: returns("The running timer, or `{timer: null}`")})
def get_timer(caller: CurrentCaller) -> Response[TimerEnvelope]:
    """The caller's running timer.

    Its session, task, project and the seconds elapsed, or `{timer: null}`.
    """
    return json_response(200, {"timer": timer.get_timer(caller)})


@app.post(
    "/v1/timer",
    responses={
        201: returns("The timer started; `stopped`: the running session it stopped first"),
        409: fails("`conflict`: the task is completed; " + PERIOD_LOCKED),
    },
)
def start_timer(
    caller: CurrentCaller, body: Annotated[TimerStart, Body()]
) -> Response[TimerStarted]:
    """Start a timer on a task.

    Always a new running session; the caller's running one is stopped first and returned as
    `stopped`. `Location` is the new session's URL.
    """
    started = timer.start_timer(caller, body)
    session_path = f"/v1/sessions/{started.timer['session']['id']}"  # the new running session
    return json_response(201, started.payload(), location(app, session_path))


@app.post(
    "/v1/timer/stop",
    responses={
        200: returns("The session, stopped", etag=True),
        404: fails("`no_running_timer`: the caller has no running timer"),
    },
)
def stop_timer(
    caller: CurrentCaller, body: Annotated[TimerStop | None, Body()] = None
) -> Response[SessionEnvelope]:
    """Stop the caller's timer.

    The session gets the whole seconds since it started as its duration, and `note` if
    given.
    """
    note = body.note if body else None
    return entity_response(200, "session", timer.stop_timer(caller.user_id, note))


lambda_handler = handler(app)

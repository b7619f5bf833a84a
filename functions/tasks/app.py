"""Tasks function: tasks, subtasks and task events. A thin HTTP adapter."""

from typing import Annotated

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Body, Query

from stint.api import NO_SUCH_WORKSPACE, CurrentCaller, IfMatch, InWorkspace, create_app, handler
from stint.errors import ValidationFailed
from stint.models import (
    PERIOD_LOCKED,
    SubtaskBody,
    SubtaskEnvelope,
    SubtaskList,
    SubtaskPatch,
    TaskBody,
    TaskEnvelope,
    TaskEvent,
    TaskEventBody,
    TaskEventResult,
    TaskList,
    TaskPatch,
    TaskStatus,
    fails,
    returns,
    returns_nothing,
)
from stint.responses import created, entity_response, json_response, list_response, no_content
from stint.services import tasks, timer
from stint.services.common import Caller

app = create_app()

Limit = Annotated[int, Query(ge=1, le=500)]
NextToken = Annotated[str | None, Query()]
Cascade = Annotated[bool, Query()]


@app.get(
    "/v1/tasks",
    responses={200: returns("A page of tasks"), 404: fails(NO_SUCH_WORKSPACE)},
)
def list_tasks(
    caller: CurrentCaller,
    projectId: Annotated[str | None, Query()] = None,
    status: Annotated[TaskStatus | None, Query()] = None,
    isCompleted: Annotated[bool | None, Query()] = None,
    assigneeId: Annotated[
        str | None, Query(description="Only tasks assigned to this member")
    ] = None,
    workspaceId: InWorkspace = None,
    limit: Limit = 100,
    nextToken: NextToken = None,
) -> Response[TaskList]:
    """List tasks.

    Optionally of one project, with a status, or (not) completed. Pages of `limit`; follow
    `nextToken` (or `Link: rel="next"`).
    """
    found, token = tasks.list_tasks(
        caller,
        project_id=projectId,
        status=status,
        is_completed=isCompleted,
        assignee_id=assigneeId,
        workspace_id=workspaceId,
        limit=limit,
        next_token=nextToken,
    )
    return list_response(app, "tasks", found, token)


@app.get(
    "/v1/projects/<projectId>/tasks",
    responses={200: returns("A page of the project's tasks")},
)
def list_project_tasks(
    caller: CurrentCaller,
    projectId: str,
    status: Annotated[TaskStatus | None, Query()] = None,
    isCompleted: Annotated[bool | None, Query()] = None,
    limit: Limit = 100,
    nextToken: NextToken = None,
) -> Response[TaskList]:
    """List a project's tasks.

    The same as `GET /v1/tasks?projectId=` (Time Magic's form); an unknown project is a
    404.
    """
    found, token = tasks.list_tasks(
        caller,
        project_id=projectId,
        status=status,
        is_completed=isCompleted,
        limit=limit,
        next_token=nextToken,
        project_must_exist=True,
    )
    return list_response(app, "tasks", found, token)


@app.post(
    "/v1/tasks",
    responses={
        201: returns("The task, created", etag=True),
        409: fails("`conflict`: a task with that id exists"),
    },
)
def create_task(caller: CurrentCaller, body: Annotated[TaskBody, Body()]) -> Response[TaskEnvelope]:
    """Create a task.

    In `projectId`, or the default project when none is given. The answer's `Location` is
    the task's URL.
    """
    return created(app, "task", tasks.create_task(caller, body.task), "/v1/tasks")


@app.post(
    "/v1/projects/<projectId>/tasks",
    responses={
        201: returns("The task, created in the project", etag=True),
        409: fails("`conflict`: a task with that id exists"),
    },
)
def create_project_task(
    caller: CurrentCaller, projectId: str, body: Annotated[TaskBody, Body()]
) -> Response[TaskEnvelope]:
    """Create a task in a project.

    Time Magic's form of `POST /v1/tasks` with the project in the path.
    """
    result = tasks.create_task(caller, body.task, path_project_id=projectId)
    return created(app, "task", result, "/v1/tasks")


@app.get("/v1/tasks/<taskId>", responses={200: returns("The task", etag=True)})
def get_task(caller: CurrentCaller, taskId: str) -> Response[TaskEnvelope]:
    """Get a task.

    One of the caller's tasks, with its ETag for a later `If-Match`.
    """
    return entity_response(200, "task", tasks.get_task(caller, taskId))


_EVENT_ERRORS = {
    404: fails("`not_found`: no such task for the caller"),
    409: fails(
        "`conflict`: starting, stopping or pausing a completed task;"
        " `permanent_task`: finishing a permanent task; " + PERIOD_LOCKED
    ),
}


# One answer schema for both forms (`{task}` is a TaskEventResult without `session`): with a
# union of the two, openapi-python-client took every answer for the first that parsed, `{task}`,
# and left the session untyped (docs/DESIGN.md, "The OpenAPI document": each success answers one
# schema).
@app.patch(
    "/v1/tasks/<taskId>",
    responses={
        200: returns(
            "The task, changed. With `?event=` (Time Magic): the task and the session the"
            " event started or stopped, as `POST /v1/tasks/{taskId}/events`",
            etag=True,
        ),
        **_EVENT_ERRORS,
    },
)
def patch_task(
    caller: CurrentCaller,
    taskId: str,
    body: Annotated[TaskPatch | None, Body()] = None,
    event: Annotated[TaskEvent | None, Query()] = None,
    if_match: IfMatch = None,
) -> Response[TaskEventResult]:
    """Change a task, or send it an event.

    With a `{task}` body: only the fields sent change. With `?event=` (Time Magic's form)
    it is `POST /v1/tasks/{taskId}/events` and the body is `{note}` or nothing.
    """
    if event is not None:  # Time Magic's form of a task event; the body, if any, is {note}
        if body is not None and body.task is not None:
            raise ValidationFailed('With ?event= the body is {"note": ...} or nothing')
        return _task_event(caller, taskId, event, body.note if body else None, if_match)
    if body is None or body.task is None:
        raise ValidationFailed('The body must be {"task": {...}} (or pass ?event=)')
    return entity_response(200, "task", tasks.update_task(caller, taskId, body.task, if_match))


@app.post(
    "/v1/tasks/<taskId>/events",
    responses={
        200: returns("The task and the session the event started or stopped", etag=True),
        **_EVENT_ERRORS,
    },
)
def post_task_event(
    caller: CurrentCaller,
    taskId: str,
    body: Annotated[TaskEventBody, Body()],
    if_match: IfMatch = None,
) -> Response[TaskEventResult]:
    """Send a task an event.

    `start_tracking` starts a running session (stopping the caller's other one first),
    `stop_tracking` and `pause` stop it, `start_without_tracking` marks the task in
    progress, `finish` completes it (not a permanent task), `reopen` opens it again. The
    answer holds the task and the session started or stopped.
    """
    return _task_event(caller, taskId, body.event, body.note, if_match)


def _task_event(
    caller: Caller, task_id: str, event: TaskEvent, note: str | None, if_match: str | None
) -> Response:
    result = timer.apply_event(caller, task_id, event, note, if_match)
    return json_response(200, result.payload(), {"ETag": result.task.etag})


@app.delete(
    "/v1/tasks/<taskId>",
    responses={
        204: returns_nothing("Deleted (`cascade=true`: with its subtasks and sessions)"),
        409: fails(
            "`not_empty`: the task has subtasks or sessions and `cascade` is not true; "
            + PERIOD_LOCKED
        ),
    },
)
def delete_task(
    caller: CurrentCaller, taskId: str, cascade: Cascade = False, if_match: IfMatch = None
) -> None:
    """Delete a task.

    A task with subtasks or sessions is a 409 `not_empty` unless `cascade=true`.
    """
    tasks.delete_task(caller, taskId, cascade=cascade, if_match=if_match)
    return no_content()


@app.get("/v1/tasks/<taskId>/subtasks", responses={200: returns("A page of the task's subtasks")})
def list_subtasks(
    caller: CurrentCaller, taskId: str, limit: Limit = 100, nextToken: NextToken = None
) -> Response[SubtaskList]:
    """List a task's subtasks.

    Pages of `limit`; follow `nextToken` (or `Link: rel="next"`). An unknown task is a 404.
    """
    found, token = tasks.list_subtasks(caller, taskId, limit=limit, next_token=nextToken)
    return list_response(app, "subtasks", found, token)


@app.post(
    "/v1/tasks/<taskId>/subtasks",
    responses={
        201: returns("The subtask, created", etag=True),
        409: fails("`conflict`: a subtask with that id exists"),
    },
)
def create_subtask(
    caller: CurrentCaller, taskId: str, body: Annotated[SubtaskBody, Body()]
) -> Response[SubtaskEnvelope]:
    """Create a subtask.

    The answer's `Location` is the subtask's URL (`/v1/subtasks/{id}`).
    """
    result = tasks.create_subtask(caller, taskId, body.subtask)
    return created(app, "subtask", result, "/v1/subtasks")


@app.get("/v1/subtasks/<subtaskId>", responses={200: returns("The subtask", etag=True)})
def get_subtask(caller: CurrentCaller, subtaskId: str) -> Response[SubtaskEnvelope]:
    """Get a subtask.

    One of the caller's subtasks, with its ETag for a later `If-Match`.
    """
    return entity_response(200, "subtask", tasks.get_subtask(caller, subtaskId))


@app.patch("/v1/subtasks/<subtaskId>", responses={200: returns("The subtask, changed", etag=True)})
def patch_subtask(
    caller: CurrentCaller,
    subtaskId: str,
    body: Annotated[SubtaskPatch, Body()],
    if_match: IfMatch = None,
) -> Response[SubtaskEnvelope]:
    """Change a subtask.

    Only the fields sent change; its task stays.
    """
    result = tasks.update_subtask(caller, subtaskId, body.subtask, if_match)
    return entity_response(200, "subtask", result)


@app.delete("/v1/subtasks/<subtaskId>", responses={204: returns_nothing("Deleted")})
def delete_subtask(caller: CurrentCaller, subtaskId: str, if_match: IfMatch = None) -> None:
    """Delete a subtask.

    `If-Match` makes the deletion conditional on its ETag; the next sync lists it as deleted.
    """
    tasks.delete_subtask(caller, subtaskId, if_match=if_match)
    return no_content()


lambda_handler = handler(app)

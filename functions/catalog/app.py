"""Catalog function: projects and categories (contract section 6). A thin HTTP adapter."""

from typing import Annotated

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Body, Query

from stint.api import (
    CurrentCaller,
    IfMatch,
    create_app,
    created,
    entity_response,
    handler,
    list_response,
    no_content,
)
from stint.models import (
    CategoryBody,
    CategoryEnvelope,
    CategoryList,
    ProjectBody,
    ProjectEnvelope,
    ProjectList,
    fails,
    returns,
    returns_nothing,
)
from stint.services import catalog
from stint.services.catalog import ArchivedFilter

app = create_app()

Limit = Annotated[int, Query(ge=1, le=500)]
NextToken = Annotated[str | None, Query()]
Cascade = Annotated[bool, Query()]


@app.get("/v1/projects", responses={200: returns("A page of projects")})
def list_projects(
    caller: CurrentCaller,
    archived: Annotated[ArchivedFilter, Query()] = "false",
    categoryId: Annotated[str | None, Query()] = None,
    limit: Limit = 100,
    nextToken: NextToken = None,
) -> Response[ProjectList]:
    """List projects.

    The caller's projects, not archived ones by default (`archived=true` or `all` for the
    others), optionally those of one category. Pages of `limit`; follow `nextToken` (or the
    `Link: rel="next"` header) for the rest.
    """
    projects, token = catalog.list_projects(
        caller, archived=archived, category_id=categoryId, limit=limit, next_token=nextToken
    )
    return list_response(app, "projects", projects, token)


@app.post(
    "/v1/projects",
    responses={
        201: returns("The project, created", etag=True),
        409: fails("`conflict`: a project with that id exists"),
    },
)
def create_project(
    caller: CurrentCaller, body: Annotated[ProjectBody, Body()]
) -> Response[ProjectEnvelope]:
    """Create a project.

    Rounding, hourly rate, planned duration and budget are optional. A client-chosen `id`
    is kept (an id that exists is a 409). The answer's `Location` is the project's URL.
    """
    result = catalog.create_project(caller, body.project)
    return created(app, "project", result, "/v1/projects")


@app.get("/v1/projects/<projectId>", responses={200: returns("The project", etag=True)})
def get_project(caller: CurrentCaller, projectId: str) -> Response[ProjectEnvelope]:
    """Get a project.

    One of the caller's projects, archived or not, with its ETag for a later `If-Match`.
    """
    return entity_response(200, "project", catalog.get_project(caller, projectId))


@app.patch(
    "/v1/projects/<projectId>",
    responses={
        200: returns("The project, changed", etag=True),
        409: fails("`default_project`: the default project cannot be archived"),
    },
)
def patch_project(
    caller: CurrentCaller,
    projectId: str,
    body: Annotated[ProjectBody, Body()],
    if_match: IfMatch = None,
) -> Response[ProjectEnvelope]:
    """Change a project.

    Only the fields sent change. Archiving the default project is a 409 `default_project`.
    """
    result = catalog.update_project(caller, projectId, body.project, if_match)
    return entity_response(200, "project", result)


@app.delete(
    "/v1/projects/<projectId>",
    responses={
        204: returns_nothing("Deleted (`cascade=true`: with its tasks, subtasks and sessions)"),
        409: fails(
            "`not_empty`: the project has tasks and `cascade` is not true; "
            "`default_project`: the default project cannot be deleted"
        ),
    },
)
def delete_project(
    caller: CurrentCaller, projectId: str, cascade: Cascade = False, if_match: IfMatch = None
) -> None:
    """Delete a project.

    A project with tasks is a 409 `not_empty` unless `cascade=true`, which deletes its
    tasks, subtasks and sessions too. The default project cannot be deleted.
    """
    catalog.delete_project(caller, projectId, cascade=cascade, if_match=if_match)
    return no_content()


@app.get("/v1/categories", responses={200: returns("A page of categories")})
def list_categories(
    caller: CurrentCaller, limit: Limit = 100, nextToken: NextToken = None
) -> Response[CategoryList]:
    """List categories.

    Pages of `limit`; follow `nextToken` (or `Link: rel="next"`).
    """
    categories, token = catalog.list_categories(caller, limit=limit, next_token=nextToken)
    return list_response(app, "categories", categories, token)


@app.post(
    "/v1/categories",
    responses={
        201: returns("The category, created", etag=True),
        409: fails("`conflict`: a category with that id exists"),
    },
)
def create_category(
    caller: CurrentCaller, body: Annotated[CategoryBody, Body()]
) -> Response[CategoryEnvelope]:
    """Create a category.

    The answer's `Location` is the category's URL.
    """
    result = catalog.create_category(caller, body.category)
    return created(app, "category", result, "/v1/categories")


@app.get("/v1/categories/<categoryId>", responses={200: returns("The category", etag=True)})
def get_category(caller: CurrentCaller, categoryId: str) -> Response[CategoryEnvelope]:
    """Get a category.

    One of the caller's categories, with its ETag for a later `If-Match`.
    """
    return entity_response(200, "category", catalog.get_category(caller, categoryId))


@app.patch(
    "/v1/categories/<categoryId>",
    responses={200: returns("The category, changed", etag=True)},
)
def patch_category(
    caller: CurrentCaller,
    categoryId: str,
    body: Annotated[CategoryBody, Body()],
    if_match: IfMatch = None,
) -> Response[CategoryEnvelope]:
    """Change a category.

    Only the fields sent change; `If-Match` makes the change conditional on its ETag.
    """
    result = catalog.update_category(caller, categoryId, body.category, if_match)
    return entity_response(200, "category", result)


@app.delete(
    "/v1/categories/<categoryId>",
    responses={204: returns_nothing("Deleted; its projects get `categoryId: null`")},
)
def delete_category(caller: CurrentCaller, categoryId: str, if_match: IfMatch = None) -> None:
    """Delete a category.

    Its projects stay, with `categoryId: null`.
    """
    catalog.delete_category(caller, categoryId, if_match=if_match)
    return no_content()


lambda_handler = handler(app)

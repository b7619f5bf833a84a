"""Catalog function: projects, categories, clients and tags (docs/API.md, "Tags", "Clients").
A thin HTTP adapter."""

from typing import Annotated

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Body, Query

from stint.api import (
    NO_SUCH_WORKSPACE,
    CurrentCaller,
    IfMatch,
    InWorkspace,
    Rerate,
    create_app,
    handler,
)
from stint.models import (
    PERIOD_LOCKED,
    CategoryBody,
    CategoryEnvelope,
    CategoryList,
    CategoryPatch,
    ClientBody,
    ClientEnvelope,
    ClientList,
    ClientPatch,
    ProjectBody,
    ProjectEnvelope,
    ProjectList,
    ProjectMemberFields,
    TagBody,
    TagEnvelope,
    TagList,
    TagPatch,
    fails,
    returns,
    returns_nothing,
)
from stint.responses import created, entity_response, list_response, no_content
from stint.services import catalog, private_projects, tags
from stint.services.catalog import ArchivedFilter

app = create_app()

Limit = Annotated[int, Query(ge=1, le=500)]
NextToken = Annotated[str | None, Query()]
Cascade = Annotated[bool, Query()]


@app.get(
    "/v1/projects",
    responses={200: returns("A page of projects"), 404: fails(NO_SUCH_WORKSPACE)},
)
def list_projects(
    caller: CurrentCaller,
    archived: Annotated[ArchivedFilter, Query()] = "false",
    categoryId: Annotated[str | None, Query()] = None,
    workspaceId: InWorkspace = None,
    limit: Limit = 100,
    nextToken: NextToken = None,
) -> Response[ProjectList]:
    """List projects.

    The caller's projects, not archived ones by default (`archived=true` or `all` for the
    others), optionally those of one category. Pages of `limit`; follow `nextToken` (or the
    `Link: rel="next"` header) for the rest.
    """
    projects, token = catalog.list_projects(
        caller,
        archived=archived,
        category_id=categoryId,
        workspace_id=workspaceId,
        limit=limit,
        next_token=nextToken,
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
    rerate: Rerate = True,
) -> Response[ProjectEnvelope]:
    """Change a project.

    Only the fields sent change. Archiving the default project is a 409 `default_project`.
    A new hourly rate or rounding re-rates its sessions in the background (not the locked
    ones), unless `rerate=false`.
    """
    result = catalog.update_project(caller, projectId, body.project, if_match, rerate=rerate)
    return entity_response(200, "project", result)


@app.delete(
    "/v1/projects/<projectId>",
    responses={
        204: returns_nothing("Deleted (`cascade=true`: with its tasks, subtasks and sessions)"),
        409: fails(
            "`not_empty`: the project has tasks and `cascade` is not true; "
            "`default_project`: the default project cannot be deleted; " + PERIOD_LOCKED
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


@app.put(
    "/v1/projects/<projectId>/members/<userId>",
    responses={
        200: returns("The project, with the member added or their rates changed", etag=True),
        403: fails("`forbidden`: only owners, admins and managers choose a project's members"),
        404: fails("`not_found`: no such project of the caller's, or no such workspace member"),
    },
)
def put_project_member(
    caller: CurrentCaller,
    projectId: str,
    userId: str,
    body: Annotated[ProjectMemberFields, Body()],
    if_match: IfMatch = None,
) -> Response[ProjectEnvelope]:
    """Add a project member, or change their rates.

    The user must be a member of the project's workspace. A member of a private project sees
    it and all under it. The rates sent are set (`null` clears one), those left out stay.
    """
    result = private_projects.put_member(caller, projectId, userId, body, if_match)
    return entity_response(200, "project", result)


@app.delete(
    "/v1/projects/<projectId>/members/<userId>",
    responses={
        204: returns_nothing("Taken off the project"),
        403: fails("`forbidden`: only owners, admins and managers choose a project's members"),
        404: fails("`not_found`: no such project of the caller's, or the user is not on it"),
    },
)
def delete_project_member(
    caller: CurrentCaller, projectId: str, userId: str, if_match: IfMatch = None
) -> None:
    """Take a member off a project.

    While the project is private, they no longer see it (their next sync lists it and all
    under it as deleted).
    """
    private_projects.delete_member(caller, projectId, userId, if_match)
    return no_content()


@app.get(
    "/v1/categories",
    responses={200: returns("A page of categories"), 404: fails(NO_SUCH_WORKSPACE)},
)
def list_categories(
    caller: CurrentCaller,
    workspaceId: InWorkspace = None,
    limit: Limit = 100,
    nextToken: NextToken = None,
) -> Response[CategoryList]:
    """List categories.

    Pages of `limit`; follow `nextToken` (or `Link: rel="next"`).
    """
    categories, token = catalog.list_categories(
        caller, workspace_id=workspaceId, limit=limit, next_token=nextToken
    )
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
    body: Annotated[CategoryPatch, Body()],
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


@app.get(
    "/v1/clients",
    responses={200: returns("A page of clients"), 404: fails(NO_SUCH_WORKSPACE)},
)
def list_clients(
    caller: CurrentCaller,
    archived: Annotated[ArchivedFilter, Query()] = "false",
    workspaceId: InWorkspace = None,
    limit: Limit = 100,
    nextToken: NextToken = None,
) -> Response[ClientList]:
    """List clients.

    The clients of the caller's workspaces (or of `workspaceId`), not archived ones by default
    (`archived=true` or `all` for the others). Pages of `limit`; follow `nextToken` (or
    `Link: rel="next"`).
    """
    clients, token = catalog.list_clients(
        caller, archived=archived, workspace_id=workspaceId, limit=limit, next_token=nextToken
    )
    return list_response(app, "clients", clients, token)


@app.post(
    "/v1/clients",
    responses={
        201: returns("The client, created", etag=True),
        409: fails("`conflict`: a client with that id exists"),
    },
)
def create_client(
    caller: CurrentCaller, body: Annotated[ClientBody, Body()]
) -> Response[ClientEnvelope]:
    """Create a client.

    In the personal workspace, or in `client.workspaceId`'s. Names need not be unique. The
    answer's `Location` is the client's URL.
    """
    result = catalog.create_client(caller, body.client)
    return created(app, "client", result, "/v1/clients")


@app.get("/v1/clients/<clientId>", responses={200: returns("The client", etag=True)})
def get_client(caller: CurrentCaller, clientId: str) -> Response[ClientEnvelope]:
    """Get a client.

    One of the caller's clients, archived or not, with its ETag for a later `If-Match`.
    """
    return entity_response(200, "client", catalog.get_client(caller, clientId))


@app.patch("/v1/clients/<clientId>", responses={200: returns("The client, changed", etag=True)})
def patch_client(
    caller: CurrentCaller,
    clientId: str,
    body: Annotated[ClientPatch, Body()],
    if_match: IfMatch = None,
) -> Response[ClientEnvelope]:
    """Change a client.

    Only the fields sent change (`isArchived: true` archives it); `If-Match` makes the change
    conditional on its ETag.
    """
    result = catalog.update_client(caller, clientId, body.client, if_match)
    return entity_response(200, "client", result)


@app.delete(
    "/v1/clients/<clientId>",
    responses={204: returns_nothing("Deleted; its projects get `clientId: null`")},
)
def delete_client(caller: CurrentCaller, clientId: str, if_match: IfMatch = None) -> None:
    """Delete a client.

    Its projects stay, with `clientId: null` (each is changed: the next sync lists it).
    """
    catalog.delete_client(caller, clientId, if_match=if_match)
    return no_content()


@app.get(
    "/v1/tags",
    responses={200: returns("A page of tags, by name"), 404: fails(NO_SUCH_WORKSPACE)},
)
def list_tags(
    caller: CurrentCaller,
    workspaceId: InWorkspace = None,
    limit: Limit = 100,
    nextToken: NextToken = None,
) -> Response[TagList]:
    """List tags.

    By name (case-insensitive). Pages of `limit`; follow `nextToken` (or `Link: rel="next"`).
    """
    found, token = tags.list_tags(
        caller, workspace_id=workspaceId, limit=limit, next_token=nextToken
    )
    return list_response(app, "tags", found, token)


@app.post(
    "/v1/tags",
    responses={
        201: returns("The tag, created", etag=True),
        409: fails(
            "`conflict`: a tag with that id, or with that name (trimmed, case-insensitive), "
            "exists; or the caller has 1,000 tags"
        ),
    },
)
def create_tag(caller: CurrentCaller, body: Annotated[TagBody, Body()]) -> Response[TagEnvelope]:
    """Create a tag.

    Names are unique per user (trimmed, case-insensitive). The answer's `Location` is the
    tag's URL.
    """
    return created(app, "tag", tags.create_tag(caller, body.tag), "/v1/tags")


@app.get("/v1/tags/<tagId>", responses={200: returns("The tag", etag=True)})
def get_tag(caller: CurrentCaller, tagId: str) -> Response[TagEnvelope]:
    """Get a tag.

    One of the caller's tags, with its ETag for a later `If-Match`.
    """
    return entity_response(200, "tag", tags.get_tag(caller, tagId))


@app.patch(
    "/v1/tags/<tagId>",
    responses={
        200: returns("The tag, changed", etag=True),
        409: fails("`conflict`: another tag of the caller has that name"),
    },
)
def patch_tag(
    caller: CurrentCaller,
    tagId: str,
    body: Annotated[TagPatch, Body()],
    if_match: IfMatch = None,
) -> Response[TagEnvelope]:
    """Change a tag.

    Only the fields sent change; `color: null` clears the color.
    """
    return entity_response(200, "tag", tags.update_tag(caller, tagId, body.tag, if_match))


@app.delete(
    "/v1/tags/<tagId>",
    responses={
        204: returns_nothing("Deleted, and taken off every session that carried it"),
        409: fails(PERIOD_LOCKED + " carries it (the owner or an admin deletes it)"),
    },
)
def delete_tag(caller: CurrentCaller, tagId: str, if_match: IfMatch = None) -> None:
    """Delete a tag.

    Every session that carries it loses it (and is changed: the next sync lists it).
    """
    tags.delete_tag(caller, tagId, if_match=if_match)
    return no_content()


lambda_handler = handler(app)

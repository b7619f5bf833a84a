"""Catalog function: projects and categories (contract section 6). A thin HTTP adapter."""

from typing import Annotated

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Body, Query

from stint.api import (
    caller,
    create_app,
    entity_response,
    handler,
    if_match,
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
)
from stint.services import catalog
from stint.services.catalog import ArchivedFilter

app = create_app()

Limit = Annotated[int, Query(ge=1, le=500)]
NextToken = Annotated[str | None, Query()]
Cascade = Annotated[bool, Query()]


@app.get("/v1/projects")
def list_projects(
    archived: Annotated[ArchivedFilter, Query()] = "false",
    categoryId: Annotated[str | None, Query()] = None,
    limit: Limit = 100,
    nextToken: NextToken = None,
) -> Response[ProjectList]:
    projects, token = catalog.list_projects(
        caller(app), archived=archived, category_id=categoryId, limit=limit, next_token=nextToken
    )
    return list_response("projects", projects, token)


@app.post("/v1/projects")
def create_project(body: Annotated[ProjectBody, Body()]) -> Response[ProjectEnvelope]:
    return entity_response(201, "project", catalog.create_project(caller(app), body.project))


@app.get("/v1/projects/<projectId>")
def get_project(projectId: str) -> Response[ProjectEnvelope]:
    return entity_response(200, "project", catalog.get_project(caller(app), projectId))


@app.patch("/v1/projects/<projectId>")
def patch_project(
    projectId: str, body: Annotated[ProjectBody, Body()]
) -> Response[ProjectEnvelope]:
    result = catalog.update_project(caller(app), projectId, body.project, if_match(app))
    return entity_response(200, "project", result)


@app.delete("/v1/projects/<projectId>")
def delete_project(projectId: str, cascade: Cascade = False) -> None:
    catalog.delete_project(caller(app), projectId, cascade=cascade, if_match=if_match(app))
    return no_content()


@app.get("/v1/categories")
def list_categories(limit: Limit = 100, nextToken: NextToken = None) -> Response[CategoryList]:
    categories, token = catalog.list_categories(caller(app), limit=limit, next_token=nextToken)
    return list_response("categories", categories, token)


@app.post("/v1/categories")
def create_category(body: Annotated[CategoryBody, Body()]) -> Response[CategoryEnvelope]:
    return entity_response(201, "category", catalog.create_category(caller(app), body.category))


@app.get("/v1/categories/<categoryId>")
def get_category(categoryId: str) -> Response[CategoryEnvelope]:
    return entity_response(200, "category", catalog.get_category(caller(app), categoryId))


@app.patch("/v1/categories/<categoryId>")
def patch_category(
    categoryId: str, body: Annotated[CategoryBody, Body()]
) -> Response[CategoryEnvelope]:
    result = catalog.update_category(caller(app), categoryId, body.category, if_match(app))
    return entity_response(200, "category", result)


@app.delete("/v1/categories/<categoryId>")
def delete_category(categoryId: str) -> None:
    catalog.delete_category(caller(app), categoryId, if_match=if_match(app))
    return no_content()


lambda_handler = handler(app)

"""Users function: GET / PATCH /v1/me (contract section 3). A thin HTTP adapter."""

from typing import Annotated

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Body

from stint.api import caller, create_app, handler, json_response
from stint.models import User, UserPatch
from stint.services import users

app = create_app()


@app.get("/v1/me")
def get_me() -> Response[User]:
    return json_response(200, users.profile(caller(app)))


@app.patch("/v1/me")
def patch_me(body: Annotated[UserPatch, Body()]) -> Response[User]:
    return json_response(200, users.update_profile(caller(app), body))


lambda_handler = handler(app)

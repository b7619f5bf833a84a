"""Users function: GET / PATCH /v1/me. A thin HTTP adapter."""

from typing import Annotated

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Body

from stint.api import CurrentCaller, IfMatch, ProfileRead, create_app, handler
from stint.models import User, UserPatch, returns
from stint.responses import bare_response
from stint.services import users

app = create_app()


@app.get("/v1/me", responses={200: returns("The caller's profile", etag=True)})
def get_me(caller: CurrentCaller, profile: ProfileRead) -> Response[User]:
    """The caller's profile.

    The bare profile (not wrapped in an envelope). It and the default project ("Inbox")
    exist from the first authenticated request on.
    """
    return bare_response(users.profile(caller, known=profile))


@app.patch("/v1/me", responses={200: returns("The caller's profile, changed", etag=True)})
def patch_me(
    caller: CurrentCaller, body: Annotated[UserPatch, Body()], if_match: IfMatch = None
) -> Response[User]:
    """Change the caller's profile.

    `displayName` and `defaultProject` (an existing, not archived project of the caller).
    `If-Match` makes the change conditional on the profile's ETag.
    """
    return bare_response(users.update_profile(caller, body, if_match))


lambda_handler = handler(app)

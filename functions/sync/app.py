"""Sync function: GET /v1/sync, the delta sync (docs/DESIGN.md, "Sync"). A thin HTTP adapter."""

from typing import Annotated

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Query

from stint.api import CurrentCaller, create_app, handler
from stint.models import SyncPage, fails, returns
from stint.responses import json_response, next_link
from stint.services import sync as sync_service

app = create_app()


@app.get(
    "/v1/sync",
    responses={
        200: returns("A page of changes since the token (`*` or none: everything)"),
        400: fails("`invalid_sync_token`: not a token this API issued to the caller"),
        410: fails("`sync_token_expired`: older than the tombstone retention; sync `*`"),
    },
)
def sync(
    caller: CurrentCaller,
    syncToken: Annotated[str | None, Query()] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 500,
) -> Response[SyncPage]:
    """Delta sync.

    Without a token (or `*`): everything. With the `syncToken` of the last answer: exactly
    what was created, changed or deleted since (deletions in `deleted`). While `hasMore` is
    true, call again with the new token (the `Link: rel="next"` header names that URL). A
    token older than the tombstone retention is a 410: sync from `*` again.
    """
    page = sync_service.sync(caller, syncToken, limit)
    more = next_link(app, "syncToken", page["syncToken"]) if page["hasMore"] else None
    return json_response(200, page, more)


lambda_handler = handler(app)

"""Webhooks function: webhook subscriptions (contract section 11). A thin HTTP adapter."""

from typing import Annotated

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Body

from stint.api import CurrentCaller, create_app, handler, json_response, location, no_content
from stint.models import (
    WebhookEnvelope,
    WebhookFields,
    WebhookList,
    fails,
    returns,
    returns_nothing,
)
from stint.services import webhooks

app = create_app()


@app.post(
    "/v1/webhooks",
    responses={
        201: returns("The subscription, with its secret (shown only here)"),
        400: fails("`validation_error`: e.g. a hookUrl that is not https or not public"),
        409: fails("`conflict`: the caller has 20 webhooks"),
    },
)
def create_webhook(
    caller: CurrentCaller, body: Annotated[WebhookFields, Body()]
) -> Response[WebhookEnvelope]:
    """Subscribe a webhook.

    Events of `triggerType` are POSTed to `hookUrl` (https, a public address) as Standard
    Webhooks, signed with the `secret` that only this answer shows. At most 20 a user.
    """
    webhook = webhooks.create_webhook(caller, body)
    return json_response(201, {"webhook": webhook}, location(app, f"/v1/webhooks/{webhook['id']}"))


@app.get("/v1/webhooks", responses={200: returns("The caller's webhooks, without secrets")})
def list_webhooks(caller: CurrentCaller) -> Response[WebhookList]:
    """List the caller's webhooks.

    Without their secrets.
    """
    return json_response(200, {"webhooks": webhooks.list_webhooks(caller)})


@app.delete("/v1/webhooks/<webhookId>", responses={204: returns_nothing("Deleted")})
def delete_webhook(caller: CurrentCaller, webhookId: str) -> None:
    """Delete a webhook.

    Deliveries already queued may still arrive.
    """
    webhooks.delete_webhook(caller, webhookId)
    return no_content()


lambda_handler = handler(app)

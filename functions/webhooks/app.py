"""Webhooks function: webhook subscriptions (docs/API.md, "Webhooks"). A thin HTTP adapter."""

from typing import Annotated

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Body, Query

from stint.api import CurrentCaller, IfMatch, create_app, handler
from stint.models import (
    DeliveryAttemptList,
    QueuedDeliveryEnvelope,
    WebhookEnvelope,
    WebhookFields,
    WebhookList,
    WebhookPatch,
    WebhookSecretEnvelope,
    fails,
    returns,
    returns_nothing,
)
from stint.responses import created, entity_response, json_response, list_response, no_content
from stint.services import webhooks

app = create_app()


@app.post(
    "/v1/webhooks",
    responses={
        201: returns("The subscription, with its secret (shown only here)", etag=True),
        400: fails("`validation_error`: e.g. a hookUrl that is not https or not public"),
        409: fails("`conflict`: the caller has 20 webhooks"),
    },
)
def create_webhook(
    caller: CurrentCaller, body: Annotated[WebhookFields, Body()]
) -> Response[WebhookSecretEnvelope]:
    """Subscribe a webhook.

    Events of `triggerType` are POSTed to `hookUrl` (https, a public address) as Standard
    Webhooks, signed with the `secret` that only this answer shows. At most 20 a user. The
    answer's `Location` is the webhook's URL.
    """
    return created(app, "webhook", webhooks.create_webhook(caller, body), "/v1/webhooks")


@app.get("/v1/webhooks", responses={200: returns("The caller's webhooks, without secrets")})
def list_webhooks(caller: CurrentCaller) -> Response[WebhookList]:
    """List the caller's webhooks.

    Without their secrets.
    """
    return json_response(200, {"webhooks": webhooks.list_webhooks(caller)})


@app.get(
    "/v1/webhooks/<webhookId>",
    responses={200: returns("The webhook, without its secret", etag=True)},
)
def get_webhook(caller: CurrentCaller, webhookId: str) -> Response[WebhookEnvelope]:
    """Get a webhook.

    Without its secret; `status` tells whether it still gets events (`disabled` after its
    events failed again and again, or by a PATCH). Its ETag is for a later `If-Match`.
    """
    return entity_response(200, "webhook", webhooks.get_webhook(caller, webhookId))


@app.patch(
    "/v1/webhooks/<webhookId>",
    responses={
        200: returns("The webhook, changed", etag=True),
        400: fails(
            "`validation_error`: e.g. a hookUrl that is not https or not public, or another "
            "triggerType"
        ),
    },
)
def patch_webhook(
    caller: CurrentCaller,
    webhookId: str,
    body: Annotated[WebhookPatch, Body()],
    if_match: IfMatch = None,
) -> Response[WebhookEnvelope]:
    """Change a webhook: re-enable it, pause it or move it.

    `status: "active"` re-enables a disabled webhook and clears its failure count;
    `"disabled"` pauses it. A new `hookUrl` is checked as at subscribe time. Only the fields
    sent change; the trigger type cannot (subscribe another webhook).
    """
    result = webhooks.update_webhook(caller, webhookId, body.webhook, if_match)
    return entity_response(200, "webhook", result)


@app.post(
    "/v1/webhooks/<webhookId>/rotate-secret",
    responses={200: returns("The webhook, with its new secret (shown only here)", etag=True)},
)
def rotate_webhook_secret(caller: CurrentCaller, webhookId: str) -> Response[WebhookSecretEnvelope]:
    """Rotate a webhook's secret.

    The answer shows the new `secret`, once. For 24 h every delivery carries two signatures
    in `webhook-signature` (`v1,<by the new> v1,<by the old>`), so the receiver can switch to
    the new secret at its pace; after that, only the new one signs.
    """
    return entity_response(200, "webhook", webhooks.rotate_secret(caller, webhookId))


@app.post(
    "/v1/webhooks/<webhookId>/test",
    responses={
        202: returns("The ping event, queued: its id"),
        409: fails("`webhook_disabled`: re-enable the webhook first"),
    },
)
def test_webhook(caller: CurrentCaller, webhookId: str) -> Response[QueuedDeliveryEnvelope]:
    """Send a test ping to a webhook.

    A `webhook.ping` event (`data: {webhookId}`) goes through the ordinary delivery path:
    signed, retried with backoff, and written to the delivery log under the `id` answered.
    """
    delivery_id = webhooks.send_test(caller, webhookId)
    return json_response(202, {"delivery": {"id": delivery_id}})


@app.get(
    "/v1/webhooks/<webhookId>/deliveries",
    responses={200: returns("A page of the webhook's delivery attempts, newest first")},
)
def list_webhook_deliveries(
    caller: CurrentCaller,
    webhookId: str,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    nextToken: Annotated[str | None, Query()] = None,
) -> Response[DeliveryAttemptList]:
    """List a webhook's delivery attempts.

    Every attempt of the last 30 days, newest first: the event, the attempt's number, whether
    it succeeded, the receiver's status, the error and how long it took. Pages of `limit`;
    follow `nextToken` (or `Link: rel="next"`).
    """
    attempts, token = webhooks.list_deliveries(caller, webhookId, limit=limit, next_token=nextToken)
    return list_response(app, "deliveries", attempts, token)


@app.delete(
    "/v1/webhooks/<webhookId>",
    responses={204: returns_nothing("Deleted")},
)
def delete_webhook(caller: CurrentCaller, webhookId: str, if_match: IfMatch = None) -> None:
    """Delete a webhook.

    Deliveries already queued may still arrive. `If-Match` makes the deletion conditional on
    its ETag.
    """
    webhooks.delete_webhook(caller, webhookId, if_match)
    return no_content()


lambda_handler = handler(app)

"""Webhooks (WebhooksFunction; docs/API.md, "Webhooks"): a subscription's bodies and answers, and
its delivery log."""

from __future__ import annotations

from typing import Annotated, Literal, NotRequired

from pydantic import Field, StrictStr
from typing_extensions import TypedDict

from stint.models.base import BaseModel, Ignored, RequestBody, absent
from stint.models.values import DATE_TIME, ClientId, IgnoredTimestamp, TriggerType

HOOK_URL_MAX = 2048
HookUrl = Annotated[StrictStr, Field(min_length=1, max_length=HOOK_URL_MAX)]
WebhookStatus = Literal["active", "disabled"]


class WebhookFields(RequestBody):
    """`POST /v1/webhooks` (docs/API.md, "Webhooks")."""

    hookUrl: HookUrl
    triggerType: TriggerType
    workspaceId: ClientId = absent(
        "The workspace whose changes it receives, by any member (owners and admins; default:"
        " the personal one)"
    )


class WebhookPatchFields(RequestBody):
    """What `PATCH /v1/webhooks/{webhookId}` may change. A webhook sent back as it was got
    passes: its `id`, `createdAt` and its `triggerType` (which cannot change) are ignored."""

    hookUrl: HookUrl = absent()
    status: WebhookStatus = absent(
        "`active` re-enables a disabled webhook (and clears its failure count)"
    )
    id: ClientId = absent()
    triggerType: TriggerType = absent()
    workspaceId: Ignored = None  # fixed at creation
    createdAt: IgnoredTimestamp | None = None


class WebhookPatch(RequestBody):
    webhook: WebhookPatchFields


class Webhook(BaseModel):
    id: str
    hookUrl: str
    triggerType: TriggerType
    status: WebhookStatus
    createdAt: str
    workspaceId: str = Field(description="The workspace whose changes it receives")


class WebhookCreated(Webhook):
    secret: str = Field(description="`whsec_...`: shown only in the create and rotate answers")


class WebhookEnvelope(BaseModel):
    webhook: Webhook


class WebhookSecretEnvelope(BaseModel):
    webhook: WebhookCreated


class WebhookList(TypedDict):
    webhooks: list[Webhook]
    nextToken: NotRequired[str]


class QueuedDelivery(TypedDict):
    id: Annotated[str, Field(description="The event's id: `webhook-id` and the log's `id`")]


class QueuedDeliveryEnvelope(TypedDict):
    delivery: QueuedDelivery


class DeliveryAttempt(BaseModel):
    """One attempt to deliver an event, as the delivery log keeps it (30 days)."""

    id: str = Field(description="The event's id (`webhook-id`), the same on each attempt")
    eventType: str = Field(description="e.g. `task.updated`, `webhook.ping`")
    attempt: int = Field(ge=1, le=1_000_000, description="1 for the first attempt")
    status: Literal["succeeded", "failed"]
    responseStatus: int | None = Field(
        ge=100, le=999, description="The receiver's HTTP status; null when none came"
    )
    error: str | None = Field(description="Why it failed (at most 500 characters); null if not")
    durationMs: int = Field(ge=0, le=900_000)
    attemptedAt: Annotated[str, DATE_TIME]


class DeliveryAttemptList(TypedDict):
    deliveries: list[DeliveryAttempt]
    nextToken: NotRequired[str]

"""Webhook subscriptions (contract section 11). Deliveries: `stint.dispatch`, `stint.delivery`."""

from __future__ import annotations

import base64
import secrets
from typing import Any

from stint import hook_urls
from stint.errors import Conflict, invalid_field, not_found
from stint.models import WebhookFields
from stint.services.common import ID_PATTERN, Caller, new_id
from stint.store import WebhookStore, entity_of, retrying
from stint.timeutil import now_iso

MAX_WEBHOOKS = 20
SECRET_PREFIX = "whsec_"
_SECRET_BYTES = 32


def public(record: dict[str, Any]) -> dict[str, Any]:
    """A subscription as `GET /v1/webhooks` shows it: never its secret."""
    fields = ("id", "hookUrl", "triggerType", "status", "createdAt")
    return {name: entity_of(record)[name] for name in fields}


def create_webhook(caller: Caller, fields: WebhookFields) -> dict[str, Any]:
    """Subscribe; the response is the only place the secret is ever shown."""
    try:
        hook_urls.check(fields.hookUrl)
    except hook_urls.ForbiddenUrl as error:
        raise invalid_field("hookUrl", str(error)) from error
    secret = SECRET_PREFIX + base64.b64encode(secrets.token_bytes(_SECRET_BYTES)).decode()
    full = Conflict(f"A user has at most {MAX_WEBHOOKS} webhooks; delete one first")

    def attempt() -> dict[str, Any]:
        webhook = {
            "id": new_id(),
            "hookUrl": fields.hookUrl,
            "triggerType": fields.triggerType,
            "status": "active",
            "createdAt": now_iso(),
            "secret": secret,
        }
        WebhookStore(caller.user_id).create(webhook, limit=MAX_WEBHOOKS, full=full)
        return webhook

    return retrying(attempt)


def list_webhooks(caller: Caller) -> list[dict[str, Any]]:
    records = WebhookStore(caller.user_id).webhooks()
    return sorted((public(r) for r in records), key=lambda w: (w["createdAt"], w["id"]))


def delete_webhook(caller: Caller, webhook_id: str) -> None:
    store = WebhookStore(caller.user_id)
    if not ID_PATTERN.match(webhook_id) or not store.delete(webhook_id):
        raise not_found("webhook", webhook_id)

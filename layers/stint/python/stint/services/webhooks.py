"""Webhook subscriptions (docs/API.md, "Webhooks"). Deliveries: `stint.dispatch`, `stint.delivery`.

A subscription is versioned like the profile: its `version` is its ETag, and every change (a
PATCH, a rotation, being disabled by the delivery function) takes the next one.
"""

from __future__ import annotations

import base64
import secrets
import time
from typing import Any

from stint import dispatch, hook_urls
from stint.errors import Conflict, ServiceUnavailable, invalid_field, not_found
from stint.models import WebhookFields, WebhookPatchFields
from stint.services import access
from stint.services.common import ID_PATTERN, Caller, Versioned, check_if_match, new_id
from stint.store import (
    WebhookStore,
    batch_get,
    entity_of,
    outside_effect,
    retrying,
    webhook_sk,
    webhook_version,
    workspace_of,
)
from stint.timeutil import now_iso

MAX_WEBHOOKS = 20
SECRET_PREFIX = "whsec_"
_SECRET_BYTES = 32
# After a rotation, deliveries are signed by the previous secret too for this long.
SECRET_OVERLAP_SECONDS = 24 * 3600
PING = "webhook.ping"


def public(record: dict[str, Any]) -> dict[str, Any]:
    """A subscription as `GET /v1/webhooks` shows it: never its secret."""
    fields = ("id", "hookUrl", "triggerType", "status", "createdAt")
    shown = {name: entity_of(record)[name] for name in fields}
    return {**shown, "workspaceId": workspace_of(str(record["pk"]))}


def _versioned(record: dict[str, Any]) -> Versioned:
    return Versioned(public(record), webhook_version(record))


def _new_secret() -> str:
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(_SECRET_BYTES)).decode()


def _checked_url(url: str, field: str) -> str:
    """A hook URL that `stint.hook_urls` allows, or 400 naming `field`."""
    try:
        hook_urls.check(url)
    except hook_urls.ForbiddenUrl as error:
        raise invalid_field(field, str(error)) from error
    return url


def _load(store: WebhookStore, webhook_id: str) -> dict[str, Any]:
    """The caller's subscription, or 404 (another user's id is a 404 too)."""
    record = store.get_webhook(webhook_id) if ID_PATTERN.match(webhook_id) else None
    if record is None:
        raise not_found("webhook", webhook_id)
    return record


def _managed(caller: Caller) -> list[WebhookStore]:
    """The subscriptions the caller manages: their personal workspace's, and those of each
    shared workspace where they are an owner or admin."""
    return [
        WebhookStore(caller.user_id, member.workspace_id)
        for member in access.memberships(caller)
        if member.may("manage")
    ]


def _store_of(caller: Caller, webhook_id: str) -> WebhookStore:
    """The store of the caller's subscription `webhook_id` (its workspace's; the personal one
    when none has it, which then answers 404)."""
    stores = _managed(caller) if ID_PATTERN.match(webhook_id) else []
    if len(stores) <= 1:
        return WebhookStore(caller.user_id)
    keys = [(store.pk, webhook_sk(webhook_id)) for store in stores]
    found = batch_get(keys)
    return next(
        (store for store, key in zip(stores, keys, strict=True) if key in found),
        WebhookStore(caller.user_id),
    )


def create_webhook(caller: Caller, fields: WebhookFields) -> Versioned:
    """Subscribe, in the personal workspace or (owners and admins) a shared one; the response
    is the only place the secret is shown (but a rotation's)."""
    _checked_url(fields.hookUrl, "hookUrl")
    member = access.where(caller, fields.workspaceId)
    member.require("manage")
    store = WebhookStore(caller.user_id, member.workspace_id)
    secret = _new_secret()
    full = Conflict(f"A workspace has at most {MAX_WEBHOOKS} webhooks; delete one first")

    def attempt() -> Versioned:
        webhook = {
            "id": new_id(),
            "hookUrl": fields.hookUrl,
            "triggerType": fields.triggerType,
            "status": "active",
            "createdAt": now_iso(),
            "secret": secret,
            "version": 1,
        }
        store.create(webhook, limit=MAX_WEBHOOKS, full=full)
        shown = public({**webhook, "pk": store.pk})
        return Versioned({**shown, "secret": secret}, 1)

    return retrying(attempt)


def list_webhooks(caller: Caller) -> list[dict[str, Any]]:
    """The subscriptions of every workspace whose webhooks the caller manages."""
    records = [record for store in _managed(caller) for record in store.webhooks()]
    return sorted((public(r) for r in records), key=lambda w: (w["createdAt"], w["id"]))


def get_webhook(caller: Caller, webhook_id: str) -> Versioned:
    return _versioned(_load(_store_of(caller, webhook_id), webhook_id))


def update_webhook(
    caller: Caller, webhook_id: str, fields: WebhookPatchFields, if_match: str | None
) -> Versioned:
    """Move (`hookUrl`, checked as at subscribe time) or switch (`status`) a subscription.
    `status: "active"` re-enables it and clears its count of events dead-lettered in a row, so
    it gets the full `DISABLE_AFTER` again. Sent back as got, `id`, `createdAt` and an
    unchanged `triggerType` are accepted; a subscription's trigger never changes."""
    if fields.id is not None and fields.id != webhook_id:
        raise invalid_field("webhook.id", "must equal the id in the path")
    changes = {k: v for k, v in fields.written().items() if k in ("hookUrl", "status")}
    if "hookUrl" in changes:
        _checked_url(changes["hookUrl"], "webhook.hookUrl")
    if changes.get("status") == "active":
        changes["deadLettered"] = 0
    store = _store_of(caller, webhook_id)

    def attempt() -> Versioned:
        record = _load(store, webhook_id)
        if fields.triggerType is not None and fields.triggerType != record["triggerType"]:
            raise invalid_field(
                "webhook.triggerType", "cannot change; subscribe another webhook for it"
            )
        on_conflict = check_if_match(if_match, {"seq": webhook_version(record)})
        version = store.update(record, changes, on_conflict=on_conflict)
        return Versioned(public({**record, **changes}), version)

    return retrying(attempt)


def rotate_secret(caller: Caller, webhook_id: str) -> Versioned:
    """A new secret, shown only in this answer; for `SECRET_OVERLAP_SECONDS` deliveries are
    signed by the previous one too (`stint.delivery.signature`), so a receiver can switch at
    its pace. A second rotation within the overlap ends the first one's: only the secret it
    replaces stays valid beside the new one."""
    store = _store_of(caller, webhook_id)
    secret = _new_secret()

    def attempt() -> Versioned:
        record = _load(store, webhook_id)
        changes = {
            "secret": secret,
            "previousSecret": record["secret"],
            "previousSecretExpiresAt": int(time.time()) + SECRET_OVERLAP_SECONDS,
        }
        version = store.update(record, changes)
        return Versioned({**public(record), "secret": secret}, version)

    return retrying(attempt)


def send_test(caller: Caller, webhook_id: str) -> str:
    """Queue a `webhook.ping` event for the subscription (the ordinary delivery path: the
    delivery function signs, retries and logs it); the event's id."""
    store = _store_of(caller, webhook_id)
    record = _load(store, webhook_id)
    if record["status"] != "active":
        raise Conflict(
            "The webhook is disabled; PATCH its status to active first", code="webhook_disabled"
        )
    owner = "userId" if store.workspace_id == caller.user_id else "workspaceId"
    message = {
        owner: store.workspace_id,
        "webhookId": webhook_id,
        "id": "msg_" + secrets.token_hex(16),
        "type": PING,
        "triggerType": record["triggerType"],
        "occurredAt": now_iso(),
        "data": {"webhookId": webhook_id},
    }

    def enqueue() -> None:
        try:
            dispatch.enqueue([message])
        except dispatch.Unavailable as error:
            raise ServiceUnavailable("The delivery queue is busy; retry shortly") from error

    outside_effect(enqueue)  # after the Idempotency-Key's check: a retry queues no second ping
    return str(message["id"])


def list_deliveries(
    caller: Caller, webhook_id: str, *, limit: int, next_token: str | None
) -> tuple[list[dict[str, Any]], str | None]:
    """A page of the subscription's delivery attempts, newest first (kept 30 days)."""
    store = _store_of(caller, webhook_id)
    _load(store, webhook_id)
    return store.delivery_attempts(
        webhook_id, limit=limit, next_token=next_token, now=int(time.time())
    )


def delete_webhook(caller: Caller, webhook_id: str, if_match: str | None = None) -> None:
    store = _store_of(caller, webhook_id)
    if not ID_PATTERN.match(webhook_id):
        raise not_found("webhook", webhook_id)
    if if_match is None:
        deleted = retrying(lambda: store.delete(webhook_id))
    else:
        record = _load(store, webhook_id)
        changed = check_if_match(if_match, {"seq": webhook_version(record)})
        deleted = store.delete(webhook_id, read=record, on_conflict=changed)
    if not deleted:
        raise not_found("webhook", webhook_id)

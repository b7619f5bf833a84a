"""A user's webhook subscriptions (their secrets included), the count that caps them, and each
subscription's delivery log."""

from __future__ import annotations

from typing import Any

from stint.errors import StintError
from stint.store.keys import (
    ATTEMPT_PREFIX,
    WEBHOOK_COUNT_SK,
    WEBHOOK_PREFIX,
    attempt_sk,
    deliveries_pk,
    entity_of,
    to_dynamo,
    to_item,
    user_of,
    user_pk,
    webhook_sk,
    workspace_of,
    workspace_pk,
)
from stint.store.reads import Partition, Record
from stint.store.transactions import (
    OnFailedCondition,
    Outcome,
    Transaction,
    dynamodb,
    send,
    transact,
)


class _WebhookGone(StintError):
    """`delete`'s condition failed: there is no such subscription."""


_GONE = _WebhookGone("no such webhook")


def webhook_version(record: Record) -> int:
    """A subscription's version (its ETag); 1 for one stored before subscriptions had one."""
    return int(record.get("version", 1))


def _version_condition(read: Record) -> tuple[str, dict[str, str], dict[str, Any]]:
    """The condition that a subscription still is at the version it was `read` at."""
    names = {"#version": "version"}
    if "version" not in read:
        return "attribute_exists(pk) AND attribute_not_exists(#version)", names, {}
    values = {":read": {"N": str(webhook_version(read))}}
    return "attribute_exists(pk) AND #version = :read", names, values


class WebhookStore(Partition):
    """The webhook subscriptions of one workspace: a user's personal one (`user_id` alone), or
    the shared `workspace` (in its partition)."""

    def __init__(self, user_id: str, workspace: str | None = None):
        personal = workspace in (None, user_id)
        super().__init__(user_pk(user_id) if personal else workspace_pk(str(workspace), False))
        self.user_id = user_id if personal else str(workspace)  # names its delivery logs
        self.workspace_id = self.user_id

    @classmethod
    def of_partition(cls, pk: str) -> WebhookStore:
        """The subscriptions of the workspace whose partition is `pk`."""
        user = user_of(pk)
        return cls(user) if user is not None else cls("", workspace_of(pk))

    def webhooks(self) -> list[Record]:
        return list(self.query_all(prefix=WEBHOOK_PREFIX))

    def get_webhook(self, webhook_id: str) -> Record | None:
        return self.read(webhook_sk(webhook_id))

    def create(self, webhook: dict[str, Any], *, limit: int, full: StintError) -> None:
        """Store a subscription and count it, unless the user already has `limit` (`full`)."""
        transaction = Transaction()
        transaction.add("Update", self._count_update(+1, limit=limit), full)
        item = {"pk": self.pk, "sk": webhook_sk(webhook["id"]), "kind": "webhook", **webhook}
        put = {
            "TableName": self._table,
            "Item": to_item(item),
            "ConditionExpression": "attribute_not_exists(pk)",
        }
        transaction.add("Put", put, Outcome.STALE)
        transact(lambda: transaction, size=2)

    def update(
        self, read: Record, changes: dict[str, Any], *, on_conflict: StintError | None = None
    ) -> int:
        """Write `changes` to the subscription `read` and give it the next version (returned).
        A change since that read (or its deletion) is `on_conflict`, else StaleRead (run the
        operation again). Inside `deferring` the write is held like any other request's."""
        condition, names, values = _version_condition(read)
        sets = []
        for n, (name, value) in enumerate(changes.items()):
            names[f"#f{n}"] = name
            values[f":f{n}"] = to_dynamo(value, name)
            sets.append(f"#f{n} = :f{n}")
        values[":next"] = {"N": str(webhook_version(read) + 1)}
        update = {
            "TableName": self._table,
            "Key": self._key(webhook_sk(str(read["id"]))),
            "UpdateExpression": "SET " + ", ".join([*sets, "#version = :next"]),
            "ConditionExpression": condition,
            "ExpressionAttributeNames": names,
            "ExpressionAttributeValues": values,
        }
        transaction = Transaction()
        transaction.add("Update", update, on_conflict or Outcome.STALE)
        transact(lambda: transaction, size=1)
        return webhook_version(read) + 1

    def delete(
        self,
        webhook_id: str,
        *,
        read: Record | None = None,
        on_conflict: StintError | None = None,
    ) -> bool:
        """Delete a subscription and uncount it; False when there is no such subscription.
        With `read`, only while it is still at that version (else `on_conflict`)."""
        delete: dict[str, Any] = {
            "TableName": self._table,
            "Key": self._key(webhook_sk(webhook_id)),
            "ConditionExpression": "attribute_exists(pk)",
        }
        gone: OnFailedCondition = _GONE
        if read is not None:
            condition, names, values = _version_condition(read)
            delete.update(ConditionExpression=condition, ExpressionAttributeNames=names)
            if values:
                delete["ExpressionAttributeValues"] = values
            gone = on_conflict or _GONE
        transaction = Transaction()
        transaction.add("Delete", delete, gone)
        transaction.add("Update", self._count_update(-1), None)
        try:
            send(lambda: transaction)
        except _WebhookGone:
            return False
        return True

    def _count_update(self, step: int, *, limit: int | None = None) -> dict[str, Any]:
        """Add `step` to the user's count of webhooks; with `limit`, only while below it."""
        update: dict[str, Any] = {
            "TableName": self._table,
            "Key": self._key(WEBHOOK_COUNT_SK),
            "UpdateExpression": "SET #n = if_not_exists(#n, :zero) + :step",
            "ExpressionAttributeNames": {"#n": "count"},
            "ExpressionAttributeValues": {":zero": {"N": "0"}, ":step": {"N": str(step)}},
        }
        if limit is not None:
            update["ConditionExpression"] = "attribute_not_exists(#n) OR #n < :limit"
            update["ExpressionAttributeValues"][":limit"] = {"N": str(limit)}
        return update

    def record_delivery(self, webhook_id: str, *, delivered: bool, disable_after: int) -> None:
        """Count the subscription's events dead-lettered in a row (a delivery resets it);
        after `disable_after` of them the subscription is `disabled` (a new version)."""
        try:
            if delivered:
                self._update(
                    webhook_id,
                    "SET deadLettered = :zero",
                    {":zero": {"N": "0"}},
                    condition="attribute_exists(pk) AND deadLettered > :zero",
                )
                return
            response = self._update(
                webhook_id,
                "SET deadLettered = if_not_exists(deadLettered, :zero) + :one",
                {":zero": {"N": "0"}, ":one": {"N": "1"}},
                ReturnValues="UPDATED_NEW",
            )
            if int(response["Attributes"]["deadLettered"]["N"]) >= disable_after:
                self._update(
                    webhook_id,
                    "SET #status = :disabled, #version = if_not_exists(#version, :one) + :one",
                    {
                        ":disabled": {"S": "disabled"},
                        ":active": {"S": "active"},
                        ":one": {"N": "1"},
                    },
                    condition="attribute_exists(pk) AND #status = :active",
                    ExpressionAttributeNames={"#status": "status", "#version": "version"},
                )
        except dynamodb().exceptions.ConditionalCheckFailedException:
            return  # deleted or disabled meanwhile, or nothing to reset

    def log_delivery_attempt(self, webhook_id: str, attempt: Record, *, expires_at: int) -> None:
        """One attempt (`id`: the event's, `attempt`, `attemptedAt`, ...) in the webhook's
        delivery log, removed by TTL at `expires_at`."""
        item = {
            "pk": deliveries_pk(self.user_id, webhook_id),
            "sk": attempt_sk(attempt),
            "kind": "attempt",
            **attempt,
            "expiresAt": expires_at,
        }
        dynamodb().put_item(TableName=self._table, Item=to_item(item))

    def delivery_attempts(
        self, webhook_id: str, *, limit: int, next_token: str | None, now: int
    ) -> tuple[list[Record], str | None]:
        """A page of the webhook's delivery log, newest first, without the attempts past their
        TTL that DynamoDB has not removed yet."""
        records, token = Partition(deliveries_pk(self.user_id, webhook_id)).query_page(
            prefix=ATTEMPT_PREFIX,
            limit=limit,
            next_token=next_token,
            keep=lambda record: int(record.get("expiresAt", 0)) > now,
            descending=True,
        )
        return [entity_of(record) for record in records], token

    def _update(
        self,
        webhook_id: str,
        expression: str,
        values: dict[str, Any],
        *,
        condition: str = "attribute_exists(pk)",
        **extra: Any,
    ) -> Any:
        """An UpdateItem of the subscription (it must exist, unless `condition` says more)."""
        return dynamodb().update_item(
            TableName=self._table,
            Key=self._key(webhook_sk(webhook_id)),
            UpdateExpression=expression,
            ConditionExpression=condition,
            ExpressionAttributeValues=values,
            **extra,
        )

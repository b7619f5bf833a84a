"""A user's webhook subscriptions (their secrets included) and the count that caps them."""

from __future__ import annotations

from typing import Any

from stint.errors import StintError
from stint.store.keys import WEBHOOK_COUNT_SK, WEBHOOK_PREFIX, to_item, user_pk, webhook_sk
from stint.store.reads import Partition, Record
from stint.store.transactions import Outcome, Transaction, dynamodb, send, transact


class _WebhookGone(StintError):
    """`delete`'s condition failed: there is no such subscription."""


_GONE = _WebhookGone("no such webhook")


class WebhookStore(Partition):
    """The webhook subscriptions of one user."""

    def __init__(self, user_id: str):
        super().__init__(user_pk(user_id))

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

    def delete(self, webhook_id: str) -> bool:
        """Delete a subscription and uncount it; False when there is no such subscription."""
        delete = {
            "TableName": self._table,
            "Key": self._key(webhook_sk(webhook_id)),
            "ConditionExpression": "attribute_exists(pk)",
        }
        transaction = Transaction()
        transaction.add("Delete", delete, _GONE)
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
        after `disable_after` of them the subscription is `disabled`."""
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
                    "SET #status = :disabled",
                    {":disabled": {"S": "disabled"}},
                    ExpressionAttributeNames={"#status": "status"},
                )
        except dynamodb().exceptions.ConditionalCheckFailedException:
            return  # deleted meanwhile, or nothing to reset

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

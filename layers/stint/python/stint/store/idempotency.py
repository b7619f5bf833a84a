"""The records of Idempotency-Keys (`stint.idempotency` runs requests exactly once with them):
per user, the request's fingerprint and its first response, expiring after a day. Not part of
sync (no `seq`)."""

from __future__ import annotations

from typing import Any

from stint.store.keys import idempotency_sk, to_item, user_pk
from stint.store.reads import Partition, Record
from stint.store.transactions import dynamodb


class IdempotencyRecords(Partition):
    """The Idempotency-Key records of one user."""

    def __init__(self, user_id: str):
        super().__init__(user_pk(user_id))

    def live(self, key: str, *, now: int) -> Record | None:
        """The live record of an Idempotency-Key (its request's fingerprint and first
        response); None when there is none, or it expired."""
        record = self.read(idempotency_sk(key))
        if record is None or int(record.get("expiresAt", 0)) < now or "response" not in record:
            return None
        return record

    def put_request(
        self, key: str, fingerprint: str, response: str, *, now: int, expires_at: int
    ) -> dict[str, Any]:
        """The Put of a key's record, conditioned on there being no live one: to be sent in the
        same transaction as the request's write (`Deferral.send_with`), or alone (`put`)."""
        item = {
            "pk": self.pk,
            "sk": idempotency_sk(key),
            "kind": "idempotency",
            "fingerprint": fingerprint,
            "state": "done",
            "response": response,
            "expiresAt": expires_at,
        }
        return {
            "TableName": self._table,
            "Item": to_item(item),
            # An expired record, or one left "in_progress" by the design before, is no answer.
            "ConditionExpression": "attribute_not_exists(pk) OR expiresAt < :now"
            " OR attribute_not_exists(#response)",
            "ExpressionAttributeNames": {"#response": "response"},
            "ExpressionAttributeValues": {":now": {"N": str(now)}},
        }

    def put(self, request: dict[str, Any]) -> bool:
        """Write a key's record on its own (a request whose write could not be held); False
        when a live one exists."""
        try:
            dynamodb().put_item(**request)
        except dynamodb().exceptions.ConditionalCheckFailedException:
            return False
        return True

"""A transaction being built from a unit of work's changes (`Draft`): the partition, the
timestamp, the seqs it assigns, and where it moves the partition's counter and, in a shared
workspace, its streams' counters (store.keys)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from stint.store.keys import (
    COUNTER_SK,
    USER_ITEMS,
    WORKSPACE_PREFIX,
    item_key,
    member_counter_sk,
    stream_key,
    to_item,
)
from stint.store.transactions import OnFailedCondition, Outcome, Transaction


@dataclass
class Draft:
    """A transaction being built from changes: whose partition, when, and the seqs it assigns
    (each entity written takes the next one after `seq`)."""

    pk: str
    table: str
    timestamp: str
    seq: int
    transaction: Transaction = field(default_factory=Transaction)
    user_pk: str | None = None  # where the user's own items are (`USER_ITEMS`); None: `pk`
    # A shared workspace's streams (store.keys) this draft writes: owner (None: the catalog)
    # -> the last seq it takes in it.
    stream_ends: dict[str | None, int] = field(default_factory=dict)
    private_seen: bool = False  # it makes a project private (the counter item keeps that once)

    @property
    def shared(self) -> bool:
        return self.pk.startswith(WORKSPACE_PREFIX)

    def pk_of(self, sk: str) -> str:
        return self.user_pk if self.user_pk and sk in USER_ITEMS else self.pk

    def key(self, sk: str) -> dict[str, Any]:
        return item_key(self.pk_of(sk), sk)

    def item(self, sk: str, values: dict[str, Any]) -> dict[str, Any]:
        return to_item({"pk": self.pk_of(sk), "sk": sk, **values})

    def add(self, verb: str, request: dict[str, Any], on_failed: OnFailedCondition) -> None:
        self.transaction.add(verb, {"TableName": self.table, **request}, on_failed)

    def next_seq(self, kind: str, entity_id: str) -> int:
        self.seq += 1
        self.transaction.seqs[(kind, entity_id)] = self.seq
        return self.seq

    def stream(self, owner: str | None, seq: int) -> dict[str, str]:
        """The `stream` attribute of an item written at `seq`: in a shared workspace, its
        member's sessions' stream (`owner`) or the catalog's (None); nothing elsewhere."""
        if not self.shared:
            return {}
        self.stream_ends[owner] = seq
        return {"stream": stream_key(owner, seq)}

    def sequence_after(self, counter: int) -> None:
        """Write the counter's new value first, conditioned on the value read (-1: none yet):
        a failed condition only lost the race to another write of the user."""
        update: dict[str, Any] = {
            "TableName": self.table,
            "Key": self.key(COUNTER_SK),
            "UpdateExpression": "SET #c = :new",
            "ExpressionAttributeNames": {"#c": "counter"},
            "ExpressionAttributeValues": {":new": {"N": str(self.seq)}},
        }
        if counter >= 0:
            update["ConditionExpression"] = "#c = :old"
            update["ExpressionAttributeValues"][":old"] = {"N": str(counter)}
        else:
            update["ConditionExpression"] = "attribute_not_exists(#c)"
        if self.private_seen and self.shared:  # from now on, sync judges who sees what
            update["UpdateExpression"] += ", #private = :private"
            update["ExpressionAttributeNames"]["#private"] = "privateSeen"
            update["ExpressionAttributeValues"][":private"] = {"BOOL": True}
        if None in self.stream_ends:  # where the catalog's stream ends now
            update["UpdateExpression"] += ", #catalog = :catalog"
            update["ExpressionAttributeNames"]["#catalog"] = "catalog"
            update["ExpressionAttributeValues"][":catalog"] = {"N": str(self.stream_ends[None])}
        self.transaction.actions.insert(0, {"Update": update})
        self.transaction.on_failed.insert(0, Outcome.RACE)
        # Where each member's stream ends now: unconditional, the counter's condition orders them.
        for owner, seq in self.stream_ends.items():
            if owner is not None:
                mark = {
                    "Key": self.key(member_counter_sk(owner)),
                    "UpdateExpression": "SET #c = :seq",
                    "ExpressionAttributeNames": {"#c": "counter"},
                    "ExpressionAttributeValues": {":seq": {"N": str(seq)}},
                }
                self.add("Update", mark, None)

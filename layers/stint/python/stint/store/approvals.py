"""Approvals and the periods they lock (docs/DESIGN.md, "Locked time").

In a shared workspace's partition: an approval (`APPROVAL#<id>`: the member's period, its status,
its totals, a `version`) and, per member, the periods their submitted and approved approvals
lock (`LOCK#<userId>`: `periods` [{id, from, to}] and a `version`). Every session write of a
member whom locks bind holds a condition on that member's lock item as read
(`stint.services.locks`), so a submit or a reject, which moves its version in the same
transaction as the approval, orders itself with every such write. A submit also holds the
member's sessions' stream counter (`COUNTER#<userId>`, store.keys) as read before its totals: a
session of theirs written since makes it run again, so its totals are the period's as locked.
"""

from __future__ import annotations

from typing import Any

from stint.config import settings
from stint.store.keys import (
    APPROVAL_PREFIX,
    approval_sk,
    expecting,
    item_key,
    member_counter_sk,
    member_lock_sk,
    to_item,
    workspace_pk,
)
from stint.store.reads import Partition, Record, batch_get
from stint.store.transactions import Outcome, Transaction, transact


class ApprovalStore:
    """A shared workspace's approvals and its members' lock items."""

    def __init__(self, workspace_id: str):
        self.workspace_id = workspace_id
        self.pk = workspace_pk(workspace_id, personal=False)

    def lock(self, user_id: str) -> Record | None:
        return Partition(self.pk).read(member_lock_sk(user_id))

    def lock_and_sessions(self, user_id: str) -> tuple[Record | None, int]:
        """A member's lock item and the seq of their last session change (0: none yet), in one
        round trip."""
        keys = [(self.pk, member_lock_sk(user_id)), (self.pk, member_counter_sk(user_id))]
        found = batch_get(keys)
        counter = found.get(keys[1])
        return found.get(keys[0]), 0 if counter is None else int(counter["counter"])

    def get(self, approval_id: str) -> Record | None:
        return Partition(self.pk).read(approval_sk(approval_id))

    @staticmethod
    def find(workspace_ids: list[str], approval_id: str) -> tuple[str, Record] | None:
        """The approval with this id in one of these workspaces (the first by the order
        given), with its workspace's id, in one round trip."""
        keys = [(workspace_pk(w, personal=False), approval_sk(approval_id)) for w in workspace_ids]
        found = batch_get(keys)
        return next(
            ((w, found[key]) for w, key in zip(workspace_ids, keys, strict=True) if key in found),
            None,
        )

    def page(
        self, *, limit: int, next_token: str | None, keep: Any
    ) -> tuple[list[Record], str | None]:
        return Partition(self.pk).query_page(
            prefix=APPROVAL_PREFIX, limit=limit, next_token=next_token, keep=keep
        )

    def write(
        self,
        approval: dict[str, Any],
        *,
        expect_version: int | None,
        periods: list[dict[str, Any]] | None = None,
        lock_version: int | None = None,
        sessions_at: int = -1,
    ) -> int:
        """Write the approval (created when `expect_version` is None, else conditioned on it)
        and, when `periods` is given, its member's lock item with those periods, conditioned on
        the version it was read at (`lock_version`; None: absent); with `sessions_at` (0 or
        more), only if the member's last session change is still that seq (0: none yet).
        StaleRead when any changed since read; the approval's new version."""
        table = settings().table_name
        version = (expect_version or 0) + 1
        transaction = Transaction()
        item = {
            "pk": self.pk,
            "sk": approval_sk(approval["id"]),
            "kind": "approval",
            **approval,
            "version": version,
        }
        put = {"TableName": table, "Item": to_item(item), **expecting("version", expect_version)}
        transaction.add("Put", put, Outcome.STALE)
        if periods is not None:
            lock = {
                "pk": self.pk,
                "sk": member_lock_sk(approval["userId"]),
                "kind": "lock",
                "periods": periods,
                "version": (lock_version or 0) + 1,
            }
            put_lock = {"TableName": table, "Item": to_item(lock)}
            transaction.add(
                "Put", {**put_lock, **expecting("version", lock_version)}, Outcome.STALE
            )
        if sessions_at >= 0:
            counter = member_counter_sk(approval["userId"])
            unchanged = {
                "Key": item_key(self.pk, counter),
                **expecting("counter", sessions_at or None),
            }
            transaction.add("ConditionCheck", {"TableName": table, **unchanged}, Outcome.STALE)
        transact(lambda: transaction, size=len(transaction.actions))
        return version

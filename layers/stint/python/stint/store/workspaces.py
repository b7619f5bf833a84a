"""Shared workspaces' records, memberships and invitations, and the reads across users that a
workspace's views need (docs/DESIGN.md, "Workspaces").

A shared workspace's record (name, settings, members, pending invitations) is one item of its
own partition, beside its entities; each member has a membership item in their partition (not
an entity: no `seq`; sync compares the set), and each pending invitation an item in its
invitee's partition. A personal workspace's record, when it has been renamed, is the same item
in its user's partition."""

from __future__ import annotations

import functools
import logging
from typing import Any

from stint.config import settings
from stint.errors import ServiceUnavailable
from stint.store.keys import (
    INVITATION_PREFIX,
    MEMBERSHIP_PREFIX,
    PROFILE_SK,
    RUNNING_SK,
    WORKSPACE_SK,
    entity_sk,
    expecting,
    invitation_sk,
    invitee_pk,
    item_key,
    membership_sk,
    to_item,
    user_pk,
    workspace_pk,
)
from stint.store.reads import Partition, Record, batch_get, throttled_backoff
from stint.store.transactions import Outcome, Transaction, dynamodb, retrying, transact

_DELETES_PER_TRANSACTION = 100
# A deleted workspace's items deleted in the transaction of its record and owner's membership.
_WITH_THE_RECORD = _DELETES_PER_TRANSACTION - 2
_BATCH_WRITE = 25  # BatchWriteItem takes at most 25 requests
_BATCH_WRITE_ATTEMPTS = 4

log = logging.getLogger(__name__)


def running_refs(user_ids: list[str]) -> dict[str, str]:
    """Each user's running session id (their RUNNING guard), for users that have one."""
    records = batch_get((user_pk(user_id), RUNNING_SK) for user_id in user_ids)
    return {
        user_id: str(records[(user_pk(user_id), RUNNING_SK)]["ref"])
        for user_id in user_ids
        if (user_pk(user_id), RUNNING_SK) in records
    }


def entities_of_users(kind: str, refs: list[tuple[str, str]]) -> dict[tuple[str, str], Any]:
    """Entities of several users by `(user_id, entity_id)`, in one batch."""
    keys = {ref: (user_pk(ref[0]), entity_sk(kind, ref[1])) for ref in refs}
    records = batch_get(keys.values())
    return {ref: records[key] for ref, key in keys.items() if key in records}


class WorkspaceStore:
    """Shared workspaces: their records, the members' memberships, the invitees' invitations."""

    @staticmethod
    def get(workspace_id: str) -> Record | None:
        return Partition(workspace_pk(workspace_id, personal=False)).read(WORKSPACE_SK)

    @staticmethod
    def get_many(workspace_ids: list[str]) -> list[Record]:
        """Workspaces by id, in the order given (missing ones left out); any number of ids."""
        keys = [
            (workspace_pk(workspace_id, personal=False), WORKSPACE_SK)
            for workspace_id in workspace_ids
        ]
        found = batch_get(keys)
        return [found[key] for key in keys if key in found]

    @staticmethod
    def memberships(
        user_id: str, *, limit: int, next_token: str | None
    ) -> tuple[list[str], str | None]:
        """A page of the ids of the shared workspaces the user belongs to."""
        records, token = Partition(user_pk(user_id)).query_page(
            prefix=MEMBERSHIP_PREFIX, limit=limit, next_token=next_token
        )
        return [str(record["workspaceId"]) for record in records], token

    @staticmethod
    def invitation_and_profile(
        email: str, invitation_id: str, user_id: str
    ) -> tuple[Record | None, Record | None]:
        """The invitation with this id sent to this (normalized) email, expired or not, and the
        user's profile, in one round trip."""
        invitation = (invitee_pk(email), invitation_sk(invitation_id))
        profile = (user_pk(user_id), PROFILE_SK)
        found = batch_get([invitation, profile])
        return found.get(invitation), found.get(profile)

    @staticmethod
    def invitations(
        email: str, *, limit: int, next_token: str | None, expiring_after: int
    ) -> tuple[list[Record], str | None]:
        """A page of the invitations sent to this (normalized) email that expire after
        `expiring_after` (epoch seconds): TTL deletes expired items only eventually."""
        return Partition(invitee_pk(email)).query_page(
            prefix=INVITATION_PREFIX,
            limit=limit,
            next_token=next_token,
            keep=lambda record: int(record["expiresAt"]) > expiring_after,
        )

    @staticmethod
    def refresh_member(user_id: str, fields: dict[str, Any]) -> None:
        """Copy a member's new profile fields (email, displayName) into each of their workspaces."""
        token: str | None = None
        while True:
            workspace_ids, token = WorkspaceStore.memberships(user_id, limit=100, next_token=token)
            for workspace_id in workspace_ids:
                retrying(
                    functools.partial(WorkspaceStore._refresh_in, workspace_id, user_id, fields)
                )
            if not token:
                return

    @staticmethod
    def _refresh_in(workspace_id: str, user_id: str, fields: dict[str, Any]) -> None:
        record = WorkspaceStore.get(workspace_id)
        if record is None:
            return
        members = [
            {**member, **fields} if member["userId"] == user_id else member
            for member in record["members"]
        ]
        if members != record["members"]:
            workspace = {**WorkspaceStore.fields(record), "members": members}
            WorkspaceStore.write(workspace, expect_version=int(record["version"]))

    @staticmethod
    def fields(record: Record) -> dict[str, Any]:
        """The workspace's own fields of its stored record (no keys, no version)."""
        return {k: v for k, v in record.items() if k not in {"pk", "sk", "kind", "version"}}

    @staticmethod
    def write(
        workspace: dict[str, Any],
        *,
        expect_version: int | None,
        joining: tuple[str, ...] = (),
        leaving: tuple[str, ...] = (),
        invited: dict[str, Any] | None = None,
        withdrawn: tuple[str, str] | None = None,
        dropped: tuple[tuple[str, str], ...] = (),
        guards: tuple[tuple[str, str | None], ...] = (),
        personal: bool = False,
    ) -> int:
        """Write the workspace (created when `expect_version` is None, else conditioned on it), in
        one transaction with: the membership items of the users joining or leaving; the
        invitee's item of a new invitation (`invited`, with its `email`); the removal of an
        invitation's item (`withdrawn`: its email and id; it must still exist) or of several
        (`dropped`, gone or not: a deletion's); and `guards`, each `(user_id, ref)`: the user's
        RUNNING guard as read (None: none), which must still be so. A `personal` workspace's
        record is in its user's partition. Returns the workspace's new version; StaleRead when
        the workspace, the invitation or a guard changed since read."""
        table = settings().table_name
        version = (expect_version or 0) + 1
        transaction = Transaction()
        # A failed condition on the workspace (its version) or on an invitation: changed since read.
        item = {
            "pk": workspace_pk(workspace["id"], personal=personal),
            "sk": WORKSPACE_SK,
            "kind": "workspace",
            **workspace,
            "version": version,
        }
        put = {"TableName": table, "Item": to_item(item), **expecting("version", expect_version)}
        transaction.add("Put", put, Outcome.STALE)
        for user_id in joining:
            membership = {
                "pk": user_pk(user_id),
                "sk": membership_sk(workspace["id"]),
                "kind": "membership",
                "workspaceId": workspace["id"],
            }
            transaction.add("Put", {"TableName": table, "Item": to_item(membership)}, None)
        for user_id in leaving:
            key = item_key(user_pk(user_id), membership_sk(workspace["id"]))
            transaction.add("Delete", {"TableName": table, "Key": key}, None)
        if invited is not None:
            invitation = {
                "pk": invitee_pk(invited["email"]),
                "sk": invitation_sk(invited["id"]),
                "kind": "invitation",
                **invited,
            }
            put_invitation = {
                "TableName": table,
                "Item": to_item(invitation),
                "ConditionExpression": "attribute_not_exists(pk)",
            }
            transaction.add("Put", put_invitation, Outcome.STALE)
        if withdrawn is not None:
            email, invitation_id = withdrawn
            delete = {
                "TableName": table,
                "Key": item_key(invitee_pk(email), invitation_sk(invitation_id)),
                "ConditionExpression": "attribute_exists(pk)",
            }
            transaction.add("Delete", delete, Outcome.STALE)
        for email, invitation_id in dropped:
            key = item_key(invitee_pk(email), invitation_sk(invitation_id))
            transaction.add("Delete", {"TableName": table, "Key": key}, None)
        for user_id, ref in guards:
            check = {"TableName": table, "Key": item_key(user_pk(user_id), RUNNING_SK)}
            transaction.add("ConditionCheck", {**check, **_as_read(ref)}, Outcome.STALE)
        transact(lambda: transaction, size=len(transaction.actions))
        return version

    @staticmethod
    def delete(
        workspace_id: str, *, members: list[str], invitations: list[tuple[str, str]]
    ) -> None:
        """Delete a shared workspace whose record is marked `deleting` (so nobody reaches it
        any more): the memberships but the owner's (`members`, the owner last) and pending
        invitations still there (the mark's transaction removes them when they fit it:
        `unlinked_when_marked`), then every item of its partition (BatchWriteItem, 25 a call),
        the last 98 in one transaction with its record and the owner's membership, so the
        record goes only with the last of what it held. Each step is idempotent: an interrupted
        deletion is finished by running it again (the owner still reaches the marked record, and
        nobody else does)."""
        table = settings().table_name
        pk = workspace_pk(workspace_id, personal=False)
        *others, owner = members
        links = [item_key(user_pk(u), membership_sk(workspace_id)) for u in others]
        links += [item_key(invitee_pk(e), invitation_sk(i)) for e, i in invitations]
        for start in range(0, len(links), _DELETES_PER_TRANSACTION):
            chunk = links[start : start + _DELETES_PER_TRANSACTION]
            transact(functools.partial(_deletes, table, chunk), size=len(chunk))
        held = [r["sk"] for r in Partition(pk).query_all(between=("0", "~"))]
        items = [item_key(pk, sk) for sk in held if sk != WORKSPACE_SK]
        split = max(len(items) - _WITH_THE_RECORD, 0)
        _delete_items(table, items[:split])
        last = [
            *items[split:],
            item_key(pk, WORKSPACE_SK),
            item_key(user_pk(owner), membership_sk(workspace_id)),
        ]
        _delete_last(table, last)

    @staticmethod
    def unlinked_when_marked(links: int) -> bool:
        """Whether a deleted workspace's other members' memberships and pending invitations,
        `links` in all, fit its mark's transaction (the record, on its version), which then
        removes them along: else `delete` does, first."""
        return links < _DELETES_PER_TRANSACTION


def _as_read(ref: str | None) -> dict[str, Any]:
    """A guard's condition: it holds `ref` (None: it does not exist)."""
    if ref is None:
        return {"ConditionExpression": "attribute_not_exists(pk)"}
    return {
        "ConditionExpression": "#ref = :ref",
        "ExpressionAttributeNames": {"#ref": "ref"},
        "ExpressionAttributeValues": {":ref": {"S": ref}},
    }


def _delete_last(table: str, keys: list[dict[str, Any]]) -> None:
    """A deleted workspace's last items, its record and its owner's membership: one
    transaction."""
    transact(functools.partial(_deletes, table, keys), size=len(keys))


def _delete_items(table: str, keys: list[dict[str, Any]]) -> None:
    """Delete items with BatchWriteItem, 25 a call; keys DynamoDB leaves unprocessed
    (throttling) are sent again after a backoff, a few times, then the answer is 503."""
    for start in range(0, len(keys), _BATCH_WRITE):
        pending: list[Any] = [
            {"DeleteRequest": {"Key": key}} for key in keys[start : start + _BATCH_WRITE]
        ]
        for attempt in range(_BATCH_WRITE_ATTEMPTS):
            if attempt:
                throttled_backoff(attempt)
            answer = dynamodb().batch_write_item(RequestItems={table: pending})
            pending = answer.get("UnprocessedItems", {}).get(table, [])
            if not pending:
                break
        else:
            log.warning("BatchWriteItem: %d deletes still unprocessed (throttled)", len(pending))
            raise ServiceUnavailable("The service is busy; retry the request shortly")


def _deletes(table: str, keys: list[dict[str, Any]]) -> Transaction:
    transaction = Transaction()
    for key in keys:
        transaction.add("Delete", {"TableName": table, "Key": key}, None)
    return transaction

"""Teams, and the reads across users that team views need (docs/DESIGN.md, "Tasks, timers
and teams").

A team is one item in its own partition; each member has a membership item in their partition
(not an entity: no `seq`, no part in sync), and each pending invitation an item in its
invitee's partition."""

from __future__ import annotations

import functools
from typing import Any

from stint.config import settings
from stint.store.keys import (
    INVITATION_PREFIX,
    MEMBERSHIP_PREFIX,
    PROFILE_SK,
    RUNNING_SK,
    TEAM_SK,
    entity_sk,
    expecting,
    invitation_sk,
    invitee_pk,
    item_key,
    membership_sk,
    team_pk,
    to_item,
    user_pk,
)
from stint.store.reads import Partition, Record, batch_get
from stint.store.transactions import Outcome, Transaction, retrying, transact


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


class TeamStore:
    """Teams: their items, the members' memberships, the invitees' invitations."""

    @staticmethod
    def get(team_id: str) -> Record | None:
        return Partition(team_pk(team_id)).read(TEAM_SK)

    @staticmethod
    def get_many(team_ids: list[str]) -> list[Record]:
        """Teams by id, in the order given (missing ones left out); any number of ids."""
        keys = [(team_pk(team_id), TEAM_SK) for team_id in team_ids]
        found = batch_get(keys)
        return [found[key] for key in keys if key in found]

    @staticmethod
    def memberships(
        user_id: str, *, limit: int, next_token: str | None
    ) -> tuple[list[str], str | None]:
        """A page of the ids of the teams the user belongs to."""
        records, token = Partition(user_pk(user_id)).query_page(
            prefix=MEMBERSHIP_PREFIX, limit=limit, next_token=next_token
        )
        return [str(record["teamId"]) for record in records], token

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
        """Copy a member's new profile fields (email, displayName) into each of their teams."""
        token: str | None = None
        while True:
            team_ids, token = TeamStore.memberships(user_id, limit=100, next_token=token)
            for team_id in team_ids:
                retrying(functools.partial(TeamStore._refresh_in, team_id, user_id, fields))
            if not token:
                return

    @staticmethod
    def _refresh_in(team_id: str, user_id: str, fields: dict[str, Any]) -> None:
        record = TeamStore.get(team_id)
        if record is None:
            return
        members = [
            {**member, **fields} if member["userId"] == user_id else member
            for member in record["members"]
        ]
        if members != record["members"]:
            team = {**TeamStore.fields(record), "members": members}
            TeamStore.write(team, expect_version=int(record["version"]))

    @staticmethod
    def fields(record: Record) -> dict[str, Any]:
        """The team's own fields of its stored record (no keys, no version)."""
        return {k: v for k, v in record.items() if k not in {"pk", "sk", "kind", "version"}}

    @staticmethod
    def write(
        team: dict[str, Any],
        *,
        expect_version: int | None,
        joining: tuple[str, ...] = (),
        leaving: tuple[str, ...] = (),
        invited: dict[str, Any] | None = None,
        withdrawn: tuple[str, str] | None = None,
    ) -> int:
        """Write the team (created when `expect_version` is None, else conditioned on it), in
        one transaction with: the membership items of the users joining or leaving; the
        invitee's item of a new invitation (`invited`, with its `email`); and the removal of an
        invitation's item (`withdrawn`: its email and id; it must still exist). Returns the
        team's new version; StaleRead when the team or the invitation changed since read."""
        table = settings().table_name
        version = (expect_version or 0) + 1
        transaction = Transaction()
        # A failed condition on the team (its version) or on an invitation: it changed since read.
        item = {
            "pk": team_pk(team["id"]),
            "sk": TEAM_SK,
            "kind": "team",
            **team,
            "version": version,
        }
        put = {"TableName": table, "Item": to_item(item), **expecting("version", expect_version)}
        transaction.add("Put", put, Outcome.STALE)
        for user_id in joining:
            membership = {
                "pk": user_pk(user_id),
                "sk": membership_sk(team["id"]),
                "kind": "membership",
                "teamId": team["id"],
            }
            transaction.add("Put", {"TableName": table, "Item": to_item(membership)}, None)
        for user_id in leaving:
            key = item_key(user_pk(user_id), membership_sk(team["id"]))
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
        transact(lambda: transaction, size=len(transaction.actions))
        return version

"""The changes a unit of work commits, each building its own DynamoDB actions.

A change is one write of the user's partition and the condition it holds on what was read:
`Put` and `Delete` write entities (and take the next seq of the user's change sequence),
`Require` checks that an entity still exists, `Guard` sets or clears a bookkeeping item,
`PutProfile` writes the profile, `Tally` counts, `Holds` checks a condition on an item that
the write does not change (the locks a session's write must leave open). A project's tracked
work and budget have changes of their own (`usage_changes`), and `merging` makes the changes of
one unit of work one per item, as a transaction must. Each says what its failed condition
means (`on_conflict`: a domain error; None: the operation runs again from its reads,
`StaleRead`), which item it touches, and what a read of that item sees before the commit
(`pending`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from stint.config import settings
from stint.errors import StintError
from stint.store.drafts import Draft
from stint.store.keys import (
    PROFILE_SK,
    audience_sk,
    entity_sk,
    expecting,
    index_keys,
    to_item,
    tombstone_sk,
    workspace_of,
)
from stint.store.transactions import OnFailedCondition, Outcome
from stint.timeutil import utc_now

# The seq of an entity written earlier in the same unit of work, as its later reads see it:
# no ETag matches it, and a later write of the entity is merged with that one (`merged`).
PENDING_SEQ = -1
Record = dict[str, Any]


class Change:
    """One write of a unit of work (see the subclasses)."""

    on_conflict: StintError | None
    sequenced = False  # writes an entity: takes a seq, so the commit writes the counter
    changes_reads = False  # a later read of its item sees something else (`pending`)
    every_run = False  # a condition of the whole write: in each of its transactions (`chunks`)

    @property
    def stream_owner(self) -> str | None:
        """In a shared workspace: the member whose sessions' stream it writes (None: the
        catalog's, or no stream)."""
        return None

    @property
    def size(self) -> int:
        """How many actions of a transaction it takes."""
        return 1

    @property
    def written_sk(self) -> str | None:
        """The sort key of the item it writes (None: it writes nothing)."""
        return None

    @property
    def item_sk(self) -> str:
        """The sort key of the item it writes or checks."""
        assert self.written_sk is not None
        return self.written_sk

    def pending(self) -> Record | None:
        """The item as a later read of the same unit of work sees it (None: gone)."""
        raise NotImplementedError

    @property
    def if_condition_fails(self) -> OnFailedCondition:
        return self.on_conflict or Outcome.STALE

    def actions(self, draft: Draft) -> None:
        raise NotImplementedError


class ItemChange(Change):
    """A change of the one item its `sk` names, not an entity's (no seq, no part in sync): a
    bookkeeping item, a usage item, an alert (a dataclass subclass declares `sk` a field)."""

    sk: str

    @property
    def written_sk(self) -> str:
        return self.sk


@dataclass
class Put(Change):
    """Write an entity. `expect_seq`: None = create (must not exist), else the seq read."""

    kind: str
    entity: dict[str, Any]
    expect_seq: int | None = None
    # Raised when the condition fails; None means "re-run the operation" (StaleRead).
    on_conflict: StintError | None = None
    sequenced = True

    @property
    def stream_owner(self) -> str | None:
        return self.entity.get("userId") if self.kind == "session" else None

    @property
    def size(self) -> int:
        return 1 if self.expect_seq is not None else 2  # a create clears a tombstone

    @property
    def written_sk(self) -> str:
        return entity_sk(self.kind, self.entity["id"])

    changes_reads = True

    def pending(self) -> Record:
        keys = index_keys(self.kind, self.entity)
        return {**self.entity, **keys, "kind": self.kind, "seq": PENDING_SEQ}

    def actions(self, draft: Draft) -> None:
        entity_id = self.entity["id"]
        # Fixed at creation: the workspace is the partition's (the entity dict is the one the
        # service answers with, so the answer carries it too).
        self.entity.setdefault("workspaceId", workspace_of(draft.pk))
        seq = draft.next_seq(self.kind, entity_id)
        if self.kind == "project" and self.entity.get("isPublic") is False:
            draft.private_seen = True
        values = {
            "kind": self.kind,
            "seq": seq,
            **draft.stream(self.stream_owner, seq),
            **self.entity,
            "lastUpdated": draft.timestamp,
            **index_keys(self.kind, self.entity),
        }
        item = draft.item(self.written_sk, values)
        draft.add(
            "Put", {"Item": item, **expecting("seq", self.expect_seq)}, self.if_condition_fails
        )
        if self.expect_seq is None:  # a re-created id supersedes its tombstone
            draft.add("Delete", {"Key": draft.key(tombstone_sk(self.kind, entity_id))}, None)


@dataclass
class Delete(Change):
    """Delete an entity read at `expect_seq`, leaving a tombstone for sync."""

    kind: str
    entity_id: str
    expect_seq: int
    on_conflict: StintError | None = None
    owner: str | None = None  # a session's member (`userId`): its tombstone is in their stream
    sequenced = True

    @property
    def stream_owner(self) -> str | None:
        return self.owner if self.kind == "session" else None

    @property
    def size(self) -> int:
        return 2  # the item and its tombstone

    @property
    def written_sk(self) -> str:
        return entity_sk(self.kind, self.entity_id)

    changes_reads = True

    def pending(self) -> None:
        return None

    def actions(self, draft: Draft) -> None:
        seq = draft.next_seq(self.kind, self.entity_id)
        delete = {"Key": draft.key(self.written_sk), **expecting("seq", self.expect_seq)}
        draft.add("Delete", delete, self.if_condition_fails)
        retention = timedelta(days=settings().tombstone_retention_days + 1)
        tombstone = {
            "kind": "tombstone",
            "type": self.kind,
            "id": self.entity_id,
            "seq": seq,
            **draft.stream(self.stream_owner, seq),
            "lastUpdated": draft.timestamp,
            "expiresAt": int((utc_now() + retention).timestamp()),
        }
        item = draft.item(tombstone_sk(self.kind, self.entity_id), tombstone)
        draft.add("Put", {"Item": item}, None)


@dataclass
class Mark(Change):
    """Mark that who sees the subtree of an entity (a project, a task) may have changed: an item
    of its own that takes the next seq, so a sync after an earlier seq finds it on `bySeq`
    (kind `audience`: no entity, no event, never listed)."""

    kind: str
    entity_id: str
    user_id: str | None = None  # only this user's sight changed (None: anyone's may have)
    on_conflict: StintError | None = None
    sequenced = True

    @property
    def written_sk(self) -> str:
        return audience_sk(self.kind, self.entity_id, self.user_id)

    def actions(self, draft: Draft) -> None:
        seq = draft.next_seq("audience", self.written_sk)
        values = {"kind": "audience", "type": self.kind, "id": self.entity_id, "seq": seq}
        values.update(draft.stream(None, seq))
        if self.user_id is not None:
            values["userId"] = self.user_id
        draft.add("Put", {"Item": draft.item(self.written_sk, values)}, None)


@dataclass
class Require(Change):
    """Commit only if the entity exists (e.g. the project a new task goes into) and, with
    `holds` (attribute, value), still has that value (a session's task still in the project
    its usage is counted in)."""

    kind: str
    entity_id: str
    on_conflict: StintError | None = None
    holds: tuple[str, str] | None = None

    @property
    def item_sk(self) -> str:
        return entity_sk(self.kind, self.entity_id)

    def actions(self, draft: Draft) -> None:
        check: dict[str, Any] = {
            "Key": draft.key(entity_sk(self.kind, self.entity_id)),
            "ConditionExpression": "attribute_exists(pk)",
        }
        if self.holds is not None:
            check["ConditionExpression"] += " AND #h = :h"
            check["ExpressionAttributeNames"] = {"#h": self.holds[0]}
            check["ExpressionAttributeValues"] = {":h": {"S": self.holds[1]}}
        draft.add("ConditionCheck", check, self.if_condition_fails)


@dataclass
class Holds(Change):
    """Commit only if `condition` holds on the item `sk` (which the write does not change),
    in every transaction of the write: e.g. the workspace's lock leaves a session's start
    open. `values` are plain values (`to_dynamo`)."""

    sk: str
    condition: str
    names: dict[str, str] = field(default_factory=dict)
    values: dict[str, Any] = field(default_factory=dict)
    on_conflict: StintError | None = None
    every_run = True

    @property
    def item_sk(self) -> str:
        return self.sk

    def actions(self, draft: Draft) -> None:
        check: dict[str, Any] = {"Key": draft.key(self.sk), "ConditionExpression": self.condition}
        if self.names:
            check["ExpressionAttributeNames"] = self.names
        if self.values:
            check["ExpressionAttributeValues"] = to_item(self.values)
        draft.add("ConditionCheck", check, self.if_condition_fails)


@dataclass
class PutProfile(Change):
    """Write the profile: `expect_version` None creates it (version 1), else it must still be
    at that version (its ETag) and the write takes the next one."""

    profile: dict[str, Any]
    expect_version: int | None
    on_conflict: StintError | None = None

    @property
    def written_sk(self) -> str:
        return PROFILE_SK

    def actions(self, draft: Draft) -> None:
        version = (self.expect_version or 0) + 1
        item = draft.item(PROFILE_SK, {"kind": "profile", **self.profile, "version": version})
        put = {"Item": item, **expecting("version", self.expect_version)}
        draft.add("Put", put, self.if_condition_fails)


@dataclass
class Guard(ItemChange):
    """Set (`ref`) or remove (`ref=None`) a bookkeeping item that is not an entity and takes
    no part in sync: the user's running session, the owner of an active title. `expect` is the
    `ref` it was read with (None: it must not exist), so two racing writers cannot both win.
    """

    sk: str
    ref: str | None
    expect: str | None
    on_conflict: StintError | None = None

    changes_reads = True

    def pending(self) -> Record | None:
        return None if self.ref is None else {"ref": self.ref}

    def actions(self, draft: Draft) -> None:
        condition: dict[str, Any] = {"ConditionExpression": "attribute_not_exists(pk)"}
        if self.expect is not None:
            condition = {
                "ConditionExpression": "#ref = :expected",
                "ExpressionAttributeNames": {"#ref": "ref"},
                "ExpressionAttributeValues": {":expected": {"S": self.expect}},
            }
        if self.ref is None:
            draft.add("Delete", {**condition, "Key": draft.key(self.sk)}, self.if_condition_fails)
            return
        item = draft.item(self.sk, {"kind": "guard", "ref": self.ref})
        draft.add("Put", {**condition, "Item": item}, self.if_condition_fails)


@dataclass
class Tally(ItemChange):
    """Add `delta` to a count item (`count`; not an entity, no part in sync): the user's tags.
    With `limit`, the transaction commits only if the count stays at most `limit`."""

    sk: str
    delta: int
    limit: int | None = None
    on_conflict: StintError | None = None

    def actions(self, draft: Draft) -> None:
        update: dict[str, Any] = {
            "Key": draft.key(self.sk),
            "UpdateExpression": "SET #n = if_not_exists(#n, :zero) + :delta",
            "ExpressionAttributeNames": {"#n": "count"},
            "ExpressionAttributeValues": {":zero": {"N": "0"}, ":delta": {"N": str(self.delta)}},
        }
        if self.limit is not None:
            update["ConditionExpression"] = "attribute_not_exists(#n) OR #n <= :most"
            update["ExpressionAttributeValues"][":most"] = {"N": str(self.limit - self.delta)}
        draft.add("Update", update, self.if_condition_fails)

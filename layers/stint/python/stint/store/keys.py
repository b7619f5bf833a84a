"""Every key of the table, and the codec between Python values and DynamoDB's attributes.

One partition per user (`pk = USER#<sub>`), which is also the user's personal workspace. In it:

    sk = PROFILE                 the user's profile
    sk = COUNTER                 the user's change sequence (attribute `counter`)
    sk = <KIND>#<id>             an entity (PROJECT, CATEGORY, CLIENT, TASK, SUBTASK, SESSION,
                                 TAG)
    sk = TOMB#<KIND>#<id>        a deleted entity's tombstone, expiring by TTL (`expiresAt`)
    sk = RUNNING                 guard: `ref` = the user's running session
    sk = TITLE#<KIND>#...#<hash> guard: `ref` = the active entity owning a normalized title
    sk = IDEMPOTENCY#<hash>      an Idempotency-Key: fingerprint, state, response (TTL 24 h)
    sk = MEMBERSHIP#<wsId>       the user belongs to that shared workspace (lists them)
    sk = WORKSPACE               the personal workspace's record, once renamed
    sk = WEBHOOK#<id>            a webhook subscription (with its secret, its previous secret
                                 while a rotation's overlap lasts, and a `version`: its ETag)
    sk = WEBHOOKS                how many webhooks the user has (`count`, at most 20)
    sk = TAGS                    how many tags the user has (`count`, at most 1,000)
    sk = AUDIENCE#<KIND>#<id>[#USER#<userId>]  who sees that project's (or task's) subtree
                                 may have changed at its `seq` (a project made private or
                                 public, a task moved; with USER#: that member added to or
                                 taken off a private project): sync re-sends or deletes it
    sk = LOCK#<userId>           the periods of a member's time that approvals lock
                                 (`periods`: [{id, from, to}]) and a `version`
    sk = APPROVAL#<id>           an approval: a member's period submitted, approved or rejected
    sk = USAGE#<projectId>#<p>   a project's tracked work in period p (`total`, or a month
                                 `YYYY-MM`): `seconds`, `amount`, the `alerted` percentages;
                                 the total also a `version` and a copy of the project's `budget`
    sk = ALERT#<projectId>#<p>#<percent>  a budget alert, made once (its stream INSERT is the
                                 `project.budget_alert` event)

Each webhook's delivery log has a partition of its own (`pk = DELIVERIES#<sub>#<webhookId>`,
`sk = ATTEMPT#<attemptedAt>#<eventId>#<attempt>`, TTL `expiresAt`): one small item per attempt,
newest first by a plain Query in reverse, and never counted in the user's item collection
(the LSIs' 10 GB limit) however busy the webhook is.

A shared workspace has a partition of its own (`pk = WS#<id>`) holding what a personal one's
holds of a workspace: its COUNTER, entities, tombstones, title guards and tag count, every
member's sessions (each with its `userId`), and its record (`sk = WORKSPACE`): name, settings,
members (each with userId, email, displayName, role, joinedAt), pending invitations (each with id,
email, role, createdAt, expiresAt, invitedBy; members and invitations at most 200 together) and
a `version`. Each pending invitation also has an item in its invitee's partition, keyed by the
normalized email (`pk = INVITEE#<email>`, `sk = INVITATION#<id>`, TTL `expiresAt`), so the
invitations of an email are one query. The items that are the user's wherever they work (the
profile, the running guard: `USER_ITEMS`) stay in the user's partition.

Every entity and tombstone carries `seq`: the value of the user's change sequence assigned by
the transaction that last wrote it (`stint.store.commits`). The LSI `bySeq` (pk, seq) answers
"what changed after seq N" with a consistent read; `byParent` (pk, parent) finds children (a
project's tasks, a task's subtasks and sessions, a category's projects); `byStart` (pk, start)
orders sessions by start time. A kind's prefix and index keys come from `stint.kinds`.

In a shared workspace a change also belongs to a *stream* (`byStream`, (pk, stream)): a
member's sessions and their tombstones to that member's (`stream = U#<userId>#<seq>`), all
else to the catalog's (`C#<seq>`), so a member's sync reads the catalog and their own sessions,
never their colleagues'. The counter item's `catalog` is the seq of the catalog's last change,
and `sk = COUNTER#<userId>` holds (`counter`) the seq of that member's last session change.
"""

from __future__ import annotations

import hashlib
from decimal import Decimal
from typing import Any

from stint.errors import invalid_field
from stint.kinds import KINDS

USER_PREFIX = "USER#"
WORKSPACE_PREFIX = "WS#"  # a shared workspace's partition (the personal one is its user's)
INVITEE_PREFIX = "INVITEE#"
PROFILE_SK = "PROFILE"
COUNTER_SK = "COUNTER"
RUNNING_SK = "RUNNING"  # guard: the user's running session (at most one, in any workspace)
TITLE_PREFIX = "TITLE#"  # guards: the active project / task that owns a normalized title
IDEMPOTENCY_PREFIX = "IDEMPOTENCY#"  # a POST's Idempotency-Key: its state and first response
TOMBSTONE_PREFIX = "TOMB#"
AUDIENCE_PREFIX = "AUDIENCE#"  # a sequenced mark: the audience of an entity's subtree changed
MEMBERSHIP_PREFIX = "MEMBERSHIP#"  # the shared workspaces a user belongs to
WEBHOOK_PREFIX = "WEBHOOK#"
WEBHOOK_COUNT_SK = "WEBHOOKS"
ATTEMPT_PREFIX = "ATTEMPT#"  # a delivery attempt, in its webhook's delivery log partition
TAG_COUNT_SK = "TAGS"  # how many tags the user has
WORKSPACE_SK = "WORKSPACE"  # a workspace's record, in its partition
INVITATION_PREFIX = "INVITATION#"  # an invitation, in its invitee's partition
LOCK_PREFIX = "LOCK#"  # a member's periods that approvals lock, in the workspace's partition
APPROVAL_PREFIX = "APPROVAL#"  # an approval, in its workspace's partition
USAGE_PREFIX = "USAGE#"  # a project's tracked work in a period (docs/DESIGN.md, "Budgets")
ALERT_PREFIX = "ALERT#"  # a budget alert of a project, a period and a percentage
# The items that belong to the user wherever they work: in the user's partition.
USER_ITEMS = frozenset({PROFILE_SK, RUNNING_SK})
# Attributes that belong to the item, not to the entity.
# `keepRates`: a write made with `rerate=false` (stint.rerating).
_ITEM_ONLY = frozenset(
    {"pk", "sk", "kind", "seq", "stream", "parent", "start", "expiresAt", "keepRates"}
)
_SEQ_DIGITS = 15  # a stream key's seq, zero-padded so that the string order is the seq order
# The numbers DynamoDB holds: 38 significant digits, magnitude 1E-130 to 9.99...E+125.
_MAX_DIGITS = 38
_MIN_EXPONENT, _MAX_EXPONENT = -130, 125

# ----------------------------------------------------------------------------- partitions


def user_pk(user_id: str) -> str:
    return f"{USER_PREFIX}{user_id}"


def user_of(pk: str) -> str | None:
    """The user whose partition `pk` is; None for another (a shared workspace's, an invitee's)."""
    return pk.removeprefix(USER_PREFIX) if pk.startswith(USER_PREFIX) else None


def workspace_pk(workspace_id: str, personal: bool) -> str:
    """A workspace's partition: a personal workspace is its user's partition (its id is the
    user's id), a shared one has its own."""
    return user_pk(workspace_id) if personal else f"{WORKSPACE_PREFIX}{workspace_id}"


def workspace_of(pk: str) -> str | None:
    """The workspace whose entities partition `pk` holds (None: no workspace's)."""
    if pk.startswith(WORKSPACE_PREFIX):
        return pk.removeprefix(WORKSPACE_PREFIX)
    return user_of(pk)


def deliveries_pk(user_id: str, webhook_id: str) -> str:
    """The partition of a webhook's delivery log."""
    return f"DELIVERIES#{user_id}#{webhook_id}"


def attempt_sk(attempt: dict[str, Any]) -> str:
    """A delivery attempt's key in its log: newest last in key order."""
    return f"{ATTEMPT_PREFIX}{attempt['attemptedAt']}#{attempt['id']}#{int(attempt['attempt']):06d}"


def invitee_pk(email: str) -> str:
    """The partition of an invitee's invitations, by the normalized email they were sent to."""
    return f"{INVITEE_PREFIX}{email}"


def item_key(pk: str, sk: str) -> dict[str, Any]:
    """An item's key as DynamoDB takes it."""
    return {"pk": {"S": pk}, "sk": {"S": sk}}


# ----------------------------------------------------------------------------- sort keys


def kind_prefix(kind: str) -> str:
    """The sort-key prefix of every entity of a kind: e.g. PROJECT#."""
    return f"{KINDS[kind].prefix}#"


def entity_sk(kind: str, entity_id: str) -> str:
    return kind_prefix(kind) + entity_id


def tombstone_sk(kind: str, entity_id: str) -> str:
    return f"{TOMBSTONE_PREFIX}{entity_sk(kind, entity_id)}"


def member_counter_sk(user_id: str) -> str:
    """The item holding the seq of a member's last session change in a shared workspace."""
    return f"{COUNTER_SK}#{user_id}"


def stream_prefix(owner: str | None) -> str:
    """The `byStream` keys of a shared workspace's catalog (`owner` None) or of a member's
    sessions."""
    return "C#" if owner is None else f"U#{owner}#"


def stream_key(owner: str | None, seq: int) -> str:
    return f"{stream_prefix(owner)}{seq:0{_SEQ_DIGITS}d}"


def audience_sk(kind: str, entity_id: str, user_id: str | None = None) -> str:
    """The mark that who sees an entity's subtree changed (for one user, or anyone)."""
    mark = f"{AUDIENCE_PREFIX}{entity_sk(kind, entity_id)}"
    return mark if user_id is None else f"{mark}#USER#{user_id}"


def parent_key(parent_kind: str, parent_id: str, kind: str, entity_id: str) -> str:
    """`byParent` sort key: e.g. PROJECT#p1#TASK#t1 (task t1 in project p1)."""
    return f"{entity_sk(parent_kind, parent_id)}#{entity_sk(kind, entity_id)}"


def children_prefix(parent_kind: str, parent_id: str, kind: str | None = None) -> str:
    prefix = f"{entity_sk(parent_kind, parent_id)}#"
    return prefix + (kind_prefix(kind) if kind else "")


def kind_range(kind: str, parent: tuple[str, str] | None = None) -> tuple[str, str | None]:
    """The prefix and index (None: the table) to query for the entities of a kind: all of the
    user's, or those of one parent `(kind, id)`."""
    if parent is None:
        return kind_prefix(kind), None
    return children_prefix(*parent, kind), "byParent"


def index_keys(kind: str, entity: dict[str, Any]) -> dict[str, Any]:
    """The index attributes an entity's item carries, from its kind (stint.kinds): `parent`
    (byParent) when it belongs to another entity, and the kind's own (a session's `start`)."""
    spec = KINDS[kind]
    keys = {attribute: entity[name] for attribute, name in spec.index_fields.items()}
    if spec.parent is not None and entity.get(spec.parent.field):
        parent_id = str(entity[spec.parent.field])
        keys["parent"] = parent_key(spec.parent.kind, parent_id, kind, entity["id"])
    return keys


def normalized_title(title: str) -> str:
    """The one spelling of a title (or a tag's name) that uniqueness compares."""
    return title.strip().casefold()


def title_guard_sk(kind: str, scope: str, title: str) -> str:
    """The guard naming the active entity of a kind with this title, normalized, in `scope`
    (a project's tasks: the project id; the user's projects and tags: `all`)."""
    digest = hashlib.sha256(normalized_title(title).encode()).hexdigest()
    return f"{TITLE_PREFIX}{kind.upper()}#{scope}#{digest}"


def idempotency_sk(key: str) -> str:
    return IDEMPOTENCY_PREFIX + hashlib.sha256(key.encode()).hexdigest()


def webhook_sk(webhook_id: str) -> str:
    return WEBHOOK_PREFIX + webhook_id


def membership_sk(workspace_id: str) -> str:
    return MEMBERSHIP_PREFIX + workspace_id


def invitation_sk(invitation_id: str) -> str:
    return INVITATION_PREFIX + invitation_id


def member_lock_sk(user_id: str) -> str:
    return LOCK_PREFIX + user_id


def approval_sk(approval_id: str) -> str:
    return APPROVAL_PREFIX + approval_id


def usage_sk(project_id: str, period: str) -> str:
    """A project's usage in `period`: `total` or a month, `YYYY-MM`."""
    return f"{USAGE_PREFIX}{project_id}#{period}"


def alert_sk(project_id: str, period: str, percent: int) -> str:
    return f"{ALERT_PREFIX}{project_id}#{period}#{percent:03d}"


def etag(seq: int) -> str:
    return f'"{seq}"'


# ----------------------------------------------------------------------------- (de)serialization


def to_dynamo(value: Any, path: str) -> dict[str, Any]:
    """`value` as a DynamoDB attribute; a value DynamoDB cannot hold is a 400 naming `path`
    here, before anything is sent (a refused write would otherwise fail the whole request)."""
    if value is None:
        return {"NULL": True}
    if isinstance(value, bool):
        return {"BOOL": value}
    if isinstance(value, int | float | Decimal):
        return {"N": _number_text(value, path)}
    if isinstance(value, str):
        _check_text(value, path)
        return {"S": value}
    if isinstance(value, list):
        return {"L": [to_dynamo(v, f"{path}[{i}]") for i, v in enumerate(value)]}
    if isinstance(value, dict):
        return {"M": {k: to_dynamo(v, f"{path}.{k}") for k, v in value.items()}}
    raise TypeError(f"cannot store {type(value).__name__}")


def _number_text(value: int | float | Decimal, path: str) -> str:
    """A number as DynamoDB takes it (positional: never "1E+2"), if DynamoDB can hold it:
    finite, at most 38 significant digits, magnitude 1E-130 to 9.99...E+125."""
    number = Decimal(str(value)) if isinstance(value, float) else Decimal(value)
    if not number.is_finite():
        raise invalid_field(path, "must be a finite number")
    significant = "".join(map(str, number.as_tuple().digits)).strip("0")
    if significant and (
        len(significant) > _MAX_DIGITS or not _MIN_EXPONENT <= number.adjusted() <= _MAX_EXPONENT
    ):
        raise invalid_field(
            path, "is outside the numbers that can be stored (38 digits, 1E-130 to 1E+126)"
        )
    return format(number, "f")


def _check_text(value: str, path: str) -> None:
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as error:
        raise invalid_field(path, "is not valid UTF-8 text (a lone surrogate)") from error


def _from_dynamo(attr: dict[str, Any]) -> Any:
    ((tag, value),) = attr.items()
    if tag == "N":
        # Exact: an integer as int, anything else as Decimal (never float: money, docs/API.md).
        number = Decimal(value)
        return int(number) if number == number.to_integral_value() else number
    if tag == "L":
        return [_from_dynamo(v) for v in value]
    if tag == "M":
        return {k: _from_dynamo(v) for k, v in value.items()}
    if tag == "NULL":
        return None
    return value  # S, BOOL


def to_item(values: dict[str, Any]) -> dict[str, Any]:
    return {k: to_dynamo(v, k) for k, v in values.items()}


def from_item(item: dict[str, Any]) -> dict[str, Any]:
    return {k: _from_dynamo(v) for k, v in item.items()}


def entity_of(record: dict[str, Any]) -> dict[str, Any]:
    """The entity's fields of a stored record (drops keys and bookkeeping). Items written
    before workspaces existed lie in their user's partition, the personal workspace: their
    `workspaceId` is that user's id, and so are a session's `userId` and a task's `createdBy`.
    A project written before clients existed has `clientId: null`."""
    entity = {k: v for k, v in record.items() if k not in _ITEM_ONLY}
    pk = record.get("pk")
    if pk is None or record.get("kind") not in KINDS:
        return entity
    owner = user_of(pk)
    entity.setdefault("workspaceId", workspace_of(pk))
    if record["kind"] == "session" and owner is not None:
        entity.setdefault("userId", owner)
    if record["kind"] == "task":
        if owner is not None:
            entity.setdefault("createdBy", owner)
        entity.setdefault("assigneeId", None)
    if record["kind"] == "project":
        entity.setdefault("clientId", None)
    return entity


def expecting(attribute: str, value: int | None) -> dict[str, Any]:
    """The condition of a write on what it read: the item must not exist (`value` None), or its
    numeric `attribute` (seq, version, a counter's `counter`: named through a placeholder, as
    DynamoDB reserves some names) must still be `value`."""
    if value is None:
        return {"ConditionExpression": "attribute_not_exists(pk)"}
    return {
        "ConditionExpression": "#expected = :expected",
        "ExpressionAttributeNames": {"#expected": attribute},
        "ExpressionAttributeValues": {":expected": {"N": str(value)}},
    }

"""The DynamoDB store: every key format and every DynamoDB call of Stint lives in this package.

By job, each module small enough to read at once:

- `keys`          every key of the table (the table of keys is its docstring) and the codec
                  between Python values and DynamoDB attributes (`to_item`, `from_item`)
- `reads`         point reads of a partition, `batch_get`, queries by page and page tokens
- `changes`       the changes a commit writes (`Put`, `Delete`, `Require`, `Guard`,
                  `PutProfile`, `Tally`), each building its own DynamoDB actions and saying
                  what a read of its item sees before the commit; `merged`, one per item
- `unit`          a workspace's partition as a user works in it (`Store`) and the unit of
                  work of one attempt of a read-then-write operation (`UnitOfWork`): reads
                  ahead, collects changes (read back as they will be), commits them
                  counter-sequenced
- `transactions`  sending a transaction: what a failed condition means, retries of a lost race,
                  backoff, `retrying`, and the deferral an idempotent request's write waits in
- `idempotency`   the records of Idempotency-Keys
- `webhooks`      webhook subscriptions and their count
- `workspaces`    shared workspaces, memberships, invitations, and reads across users

Services import what they need from here (`from stint.store import Store, Put, ...`).
"""

from stint.store.changes import (
    PENDING_SEQ,
    BudgetMark,
    Change,
    ChangesCollide,
    Delete,
    Draft,
    Guard,
    Once,
    Put,
    PutProfile,
    Require,
    Tally,
    Usage,
    merged,
)
from stint.store.idempotency import IdempotencyRecords
from stint.store.keys import (
    COUNTER_SK,
    IDEMPOTENCY_PREFIX,
    INVITATION_PREFIX,
    MEMBERSHIP_PREFIX,
    PROFILE_SK,
    RUNNING_SK,
    TAG_COUNT_SK,
    TITLE_PREFIX,
    TOMBSTONE_PREFIX,
    WEBHOOK_COUNT_SK,
    WEBHOOK_PREFIX,
    WORKSPACE_SK,
    alert_sk,
    children_prefix,
    entity_of,
    entity_sk,
    etag,
    from_item,
    index_keys,
    invitee_pk,
    item_key,
    kind_prefix,
    kind_range,
    normalized_title,
    parent_key,
    title_guard_sk,
    to_item,
    tombstone_sk,
    usage_sk,
    user_of,
    user_pk,
    webhook_sk,
    workspace_of,
    workspace_pk,
)
from stint.store.reads import MAX_KEYS_PER_BATCH, Partition, batch_get, next_token_value
from stint.store.transactions import (
    MAX_ACTIONS_PER_TRANSACTION,
    Deferral,
    IdempotencyKeyTaken,
    OnFailedCondition,
    Outcome,
    StaleRead,
    Transaction,
    attempts,
    backoff,
    client_error,
    deferring,
    dynamodb,
    outside_effect,
    retrying,
    send_writes_now,
)
from stint.store.unit import Committed, Store, UnitOfWork, fits_one_transaction, on_commit
from stint.store.webhooks import WebhookStore, webhook_version
from stint.store.workspaces import WorkspaceStore, entities_of_users, running_refs

__all__ = [
    "COUNTER_SK",
    "IDEMPOTENCY_PREFIX",
    "INVITATION_PREFIX",
    "MAX_ACTIONS_PER_TRANSACTION",
    "MAX_KEYS_PER_BATCH",
    "MEMBERSHIP_PREFIX",
    "PENDING_SEQ",
    "PROFILE_SK",
    "RUNNING_SK",
    "TAG_COUNT_SK",
    "TITLE_PREFIX",
    "TOMBSTONE_PREFIX",
    "WEBHOOK_COUNT_SK",
    "WEBHOOK_PREFIX",
    "WORKSPACE_SK",
    "BudgetMark",
    "Change",
    "ChangesCollide",
    "Committed",
    "Deferral",
    "Delete",
    "Draft",
    "Guard",
    "IdempotencyKeyTaken",
    "IdempotencyRecords",
    "OnFailedCondition",
    "Once",
    "Outcome",
    "Partition",
    "Put",
    "PutProfile",
    "Require",
    "StaleRead",
    "Store",
    "Tally",
    "Transaction",
    "UnitOfWork",
    "Usage",
    "WebhookStore",
    "WorkspaceStore",
    "alert_sk",
    "attempts",
    "backoff",
    "batch_get",
    "children_prefix",
    "client_error",
    "deferring",
    "dynamodb",
    "entities_of_users",
    "entity_of",
    "entity_sk",
    "etag",
    "fits_one_transaction",
    "from_item",
    "index_keys",
    "invitee_pk",
    "item_key",
    "kind_prefix",
    "kind_range",
    "merged",
    "next_token_value",
    "normalized_title",
    "on_commit",
    "outside_effect",
    "parent_key",
    "retrying",
    "running_refs",
    "send_writes_now",
    "title_guard_sk",
    "to_item",
    "tombstone_sk",
    "usage_sk",
    "user_of",
    "user_pk",
    "webhook_sk",
    "webhook_version",
    "workspace_of",
    "workspace_pk",
]

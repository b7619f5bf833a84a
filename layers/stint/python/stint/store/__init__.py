"""The DynamoDB store: every key format and every DynamoDB call of Stint lives in this package.

By job, each module small enough to read at once:

- `keys`          every key of the table (the table of keys is its docstring) and the codec
                  between Python values and DynamoDB attributes (`to_item`, `from_item`)
- `reads`         point reads of a partition, `batch_get`, queries by page and page tokens
- `changes`       the changes a commit writes (`Put`, `Delete`, `Require`, `Guard`, `Mark`,
                  `PutProfile`, `Tally`, `Holds`), each building its own DynamoDB actions and saying
                  what a read of its item sees before the commit
- `usage_changes` the changes of a project's tracked work and budget (`Usage`, `BudgetMark`,
                  `Once`)
- `merging`       the changes of one unit of work one per item (`merged`)
- `commits`       a workspace's partition as a user works in it (`Store`) and its commits,
                  counter-sequenced
- `unit`          the unit of work of one attempt of a read-then-write operation
                  (`UnitOfWork`): reads ahead, collects changes (read back as they will be),
                  commits them
- `transactions`  sending a transaction: what a failed condition means, retries of a lost race,
                  backoff, `retrying`, and the deferral an idempotent request's write waits in
- `idempotency`   the records of Idempotency-Keys
- `webhooks`      webhook subscriptions and their count
- `workspaces`    shared workspaces, memberships, invitations, and reads across users

Services import what they need from here (`from stint.store import Store, Put, ...`).
"""

from stint.store.changes import (
    PENDING_SEQ,
    Change,
    Delete,
    Draft,
    Guard,
    Holds,
    Mark,
    Put,
    PutProfile,
    Require,
    Tally,
)
from stint.store.commits import Committed, Store, fits_one_transaction
from stint.store.idempotency import IdempotencyRecords
from stint.store.keys import (
    APPROVAL_PREFIX,
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
    approval_sk,
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
    member_counter_sk,
    member_lock_sk,
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
from stint.store.merging import ChangesCollide, merged
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
from stint.store.unit import SessionGate, UnitOfWork, on_commit
from stint.store.usage_changes import BudgetMark, Once, Usage
from stint.store.webhooks import WebhookStore, webhook_version
from stint.store.workspaces import WorkspaceStore, entities_of_users, running_refs

__all__ = [
    "APPROVAL_PREFIX",
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
    "Holds",
    "IdempotencyKeyTaken",
    "IdempotencyRecords",
    "Mark",
    "OnFailedCondition",
    "Once",
    "Outcome",
    "Partition",
    "Put",
    "PutProfile",
    "Require",
    "SessionGate",
    "StaleRead",
    "Store",
    "Tally",
    "Transaction",
    "UnitOfWork",
    "Usage",
    "WebhookStore",
    "WorkspaceStore",
    "alert_sk",
    "approval_sk",
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
    "member_counter_sk",
    "member_lock_sk",
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

"""Pydantic models: the entities (stint.kinds) and the request bodies that make them.

Request bodies forbid unknown fields (`400`), use strict types (no `"true"` for a bool), and
accept the server-managed fields a client may send back unchanged (`lastUpdated`, ...), which
the services ignore, so a client can send back what it got.

A module a job, each re-exported here (`from stint.models import X` is the way to import them;
`import X as X` is how a package re-exports a name, PEP 484):

- `base`: `BaseModel` (every model, `defer_build`), `RequestBody` (every request body), `absent()`;
- `values`: ids, titles, notes, timestamps, bounded integers, the registry's `Literal`s;
- `money`: exact numbers (rates, budgets, amounts): Decimal, never float;
- `entities`: the kinds' entities (projects, categories, clients, tasks, sessions, subtasks,
  tags),
  registered in `ENTITY_MODELS` with `@entity_model`;
- `users`, `catalog`, `tasks`, `sessions`, `batch`, `tags`, `timer`, `workspaces`, `approvals`,
  `webhooks`, `reports`, `sync`: each
  area's request bodies and answers, as the functions serve them;
- `responses`: the error body and the responses a route's decorator declares.
"""

from __future__ import annotations

from stint.models.approvals import Approval as Approval
from stint.models.approvals import ApprovalBody as ApprovalBody
from stint.models.approvals import ApprovalDecision as ApprovalDecision
from stint.models.approvals import ApprovalEnvelope as ApprovalEnvelope
from stint.models.approvals import ApprovalList as ApprovalList
from stint.models.approvals import ApprovalStatus as ApprovalStatus
from stint.models.approvals import ApprovalTotals as ApprovalTotals
from stint.models.base import BaseModel as BaseModel
from stint.models.base import Ignored as Ignored
from stint.models.base import RequestBody as RequestBody
from stint.models.base import absent as absent
from stint.models.batch import MAX_ATOMIC_BATCH as MAX_ATOMIC_BATCH
from stint.models.batch import MAX_BATCH as MAX_BATCH
from stint.models.batch import BatchCreate as BatchCreate
from stint.models.batch import BatchDelete as BatchDelete
from stint.models.batch import BatchOperation as BatchOperation
from stint.models.batch import BatchReplace as BatchReplace
from stint.models.batch import BatchResult as BatchResult
from stint.models.batch import BatchResults as BatchResults
from stint.models.batch import BatchSessionBody as BatchSessionBody
from stint.models.batch import BatchSessionProjectRef as BatchSessionProjectRef
from stint.models.batch import BatchSessionTaskRef as BatchSessionTaskRef
from stint.models.batch import ETagText as ETagText
from stint.models.batch import OperationError as OperationError
from stint.models.batch import SessionBatch as SessionBatch
from stint.models.budgets import Budget as Budget
from stint.models.budgets import BudgetFields as BudgetFields
from stint.models.catalog import CategoryBody as CategoryBody
from stint.models.catalog import CategoryEnvelope as CategoryEnvelope
from stint.models.catalog import CategoryFields as CategoryFields
from stint.models.catalog import CategoryList as CategoryList
from stint.models.catalog import CategoryPatch as CategoryPatch
from stint.models.catalog import CategoryPatchFields as CategoryPatchFields
from stint.models.catalog import ClientBody as ClientBody
from stint.models.catalog import ClientEnvelope as ClientEnvelope
from stint.models.catalog import ClientFields as ClientFields
from stint.models.catalog import ClientList as ClientList
from stint.models.catalog import ClientPatch as ClientPatch
from stint.models.catalog import ClientPatchFields as ClientPatchFields
from stint.models.catalog import ProjectBody as ProjectBody
from stint.models.catalog import ProjectEnvelope as ProjectEnvelope
from stint.models.catalog import ProjectFields as ProjectFields
from stint.models.catalog import ProjectList as ProjectList
from stint.models.catalog import ProjectMemberFields as ProjectMemberFields
from stint.models.entities import ENTITY_MODELS as ENTITY_MODELS
from stint.models.entities import Category as Category
from stint.models.entities import Client as Client
from stint.models.entities import Project as Project
from stint.models.entities import ProjectMember as ProjectMember
from stint.models.entities import RoundingMethod as RoundingMethod
from stint.models.entities import Session as Session
from stint.models.entities import SessionType as SessionType
from stint.models.entities import Subtask as Subtask
from stint.models.entities import Tag as Tag
from stint.models.entities import Task as Task
from stint.models.entities import TaskStatus as TaskStatus
from stint.models.entities import TaskType as TaskType
from stint.models.entities import entity_model as entity_model
from stint.models.entities import new_entity as new_entity
from stint.models.money import HOURLY_RATE_MAX as HOURLY_RATE_MAX
from stint.models.money import PLANNED_BUDGET_MAX as PLANNED_BUDGET_MAX
from stint.models.money import PLANNED_HOURS_MAX as PLANNED_HOURS_MAX
from stint.models.money import Amount as Amount
from stint.models.money import ExactNumber as ExactNumber
from stint.models.money import HourlyRate as HourlyRate
from stint.models.money import PlannedBudget as PlannedBudget
from stint.models.money import PlannedHours as PlannedHours
from stint.models.reports import DetailedEntry as DetailedEntry
from stint.models.reports import DetailedReport as DetailedReport
from stint.models.reports import EntityRef as EntityRef
from stint.models.reports import ReportGroup as ReportGroup
from stint.models.reports import ReportGroupBy as ReportGroupBy
from stint.models.reports import ReportTotals as ReportTotals
from stint.models.reports import SearchResult as SearchResult
from stint.models.reports import SearchResults as SearchResults
from stint.models.reports import SummaryReport as SummaryReport
from stint.models.reports import TagRef as TagRef
from stint.models.reports import Week as Week
from stint.models.reports import WeeklyGroup as WeeklyGroup
from stint.models.reports import WeeklyGroupBy as WeeklyGroupBy
from stint.models.reports import WeeklyReport as WeeklyReport
from stint.models.reports import WeeklyTotals as WeeklyTotals
from stint.models.responses import PERIOD_LOCKED as PERIOD_LOCKED
from stint.models.responses import ErrorBody as ErrorBody
from stint.models.responses import ErrorDetail as ErrorDetail
from stint.models.responses import GatewayMessage as GatewayMessage
from stint.models.responses import fails as fails
from stint.models.responses import returns as returns
from stint.models.responses import returns_nothing as returns_nothing
from stint.models.sessions import SessionBody as SessionBody
from stint.models.sessions import SessionEnvelope as SessionEnvelope
from stint.models.sessions import SessionFields as SessionFields
from stint.models.sessions import SessionList as SessionList
from stint.models.sessions import SessionProjectRef as SessionProjectRef
from stint.models.sessions import SessionTaskRef as SessionTaskRef
from stint.models.sessions import SessionWrite as SessionWrite
from stint.models.sync import SyncPage as SyncPage
from stint.models.sync import Tombstone as Tombstone
from stint.models.tags import TagBody as TagBody
from stint.models.tags import TagEnvelope as TagEnvelope
from stint.models.tags import TagFields as TagFields
from stint.models.tags import TagList as TagList
from stint.models.tags import TagPatch as TagPatch
from stint.models.tags import TagPatchFields as TagPatchFields
from stint.models.tasks import SubtaskBody as SubtaskBody
from stint.models.tasks import SubtaskEnvelope as SubtaskEnvelope
from stint.models.tasks import SubtaskFields as SubtaskFields
from stint.models.tasks import SubtaskList as SubtaskList
from stint.models.tasks import SubtaskPatch as SubtaskPatch
from stint.models.tasks import SubtaskPatchFields as SubtaskPatchFields
from stint.models.tasks import TaskBody as TaskBody
from stint.models.tasks import TaskEnvelope as TaskEnvelope
from stint.models.tasks import TaskFields as TaskFields
from stint.models.tasks import TaskList as TaskList
from stint.models.tasks import TaskPatch as TaskPatch
from stint.models.timer import TaskEvent as TaskEvent
from stint.models.timer import TaskEventBody as TaskEventBody
from stint.models.timer import TaskEventResult as TaskEventResult
from stint.models.timer import Timer as Timer
from stint.models.timer import TimerEnvelope as TimerEnvelope
from stint.models.timer import TimerStart as TimerStart
from stint.models.timer import TimerStarted as TimerStarted
from stint.models.timer import TimerStop as TimerStop
from stint.models.users import User as User
from stint.models.users import UserPatch as UserPatch
from stint.models.values import CLIENT_ID_PATTERN as CLIENT_ID_PATTERN
from stint.models.values import DATE_TIME as DATE_TIME
from stint.models.values import NOTE_MAX as NOTE_MAX
from stint.models.values import PLANNED_SECONDS_MAX as PLANNED_SECONDS_MAX
from stint.models.values import TAG_NAME_MAX as TAG_NAME_MAX
from stint.models.values import TAGS_PER_SESSION as TAGS_PER_SESSION
from stint.models.values import TITLE_MAX as TITLE_MAX
from stint.models.values import ClientId as ClientId
from stint.models.values import Color as Color
from stint.models.values import HexColor as HexColor
from stint.models.values import IgnoredTimestamp as IgnoredTimestamp
from stint.models.values import KindName as KindName
from stint.models.values import Note as Note
from stint.models.values import PlannedSeconds as PlannedSeconds
from stint.models.values import RoundingMinutes as RoundingMinutes
from stint.models.values import SearchType as SearchType
from stint.models.values import SessionSeconds as SessionSeconds
from stint.models.values import TagName as TagName
from stint.models.values import Timestamp as Timestamp
from stint.models.values import Title as Title
from stint.models.values import TriggerType as TriggerType
from stint.models.webhooks import HOOK_URL_MAX as HOOK_URL_MAX
from stint.models.webhooks import DeliveryAttempt as DeliveryAttempt
from stint.models.webhooks import DeliveryAttemptList as DeliveryAttemptList
from stint.models.webhooks import HookUrl as HookUrl
from stint.models.webhooks import QueuedDelivery as QueuedDelivery
from stint.models.webhooks import QueuedDeliveryEnvelope as QueuedDeliveryEnvelope
from stint.models.webhooks import Webhook as Webhook
from stint.models.webhooks import WebhookCreated as WebhookCreated
from stint.models.webhooks import WebhookEnvelope as WebhookEnvelope
from stint.models.webhooks import WebhookFields as WebhookFields
from stint.models.webhooks import WebhookList as WebhookList
from stint.models.webhooks import WebhookPatch as WebhookPatch
from stint.models.webhooks import WebhookPatchFields as WebhookPatchFields
from stint.models.webhooks import WebhookSecretEnvelope as WebhookSecretEnvelope
from stint.models.webhooks import WebhookStatus as WebhookStatus
from stint.models.workspaces import DEFAULT_SETTINGS as DEFAULT_SETTINGS
from stint.models.workspaces import EMAIL_MAX as EMAIL_MAX
from stint.models.workspaces import Email as Email
from stint.models.workspaces import Invitation as Invitation
from stint.models.workspaces import InvitationEnvelope as InvitationEnvelope
from stint.models.workspaces import InvitationList as InvitationList
from stint.models.workspaces import InvitedBy as InvitedBy
from stint.models.workspaces import InvitedRole as InvitedRole
from stint.models.workspaces import Member as Member
from stint.models.workspaces import MemberBody as MemberBody
from stint.models.workspaces import MemberEnvelope as MemberEnvelope
from stint.models.workspaces import MemberList as MemberList
from stint.models.workspaces import MemberPatch as MemberPatch
from stint.models.workspaces import Role as Role
from stint.models.workspaces import TimerProject as TimerProject
from stint.models.workspaces import TimerTask as TimerTask
from stint.models.workspaces import TimerUser as TimerUser
from stint.models.workspaces import Workspace as Workspace
from stint.models.workspaces import WorkspaceBody as WorkspaceBody
from stint.models.workspaces import WorkspaceEnvelope as WorkspaceEnvelope
from stint.models.workspaces import WorkspaceFields as WorkspaceFields
from stint.models.workspaces import WorkspaceList as WorkspaceList
from stint.models.workspaces import WorkspacePatch as WorkspacePatch
from stint.models.workspaces import WorkspacePatchFields as WorkspacePatchFields
from stint.models.workspaces import WorkspaceSettings as WorkspaceSettings
from stint.models.workspaces import WorkspaceTimer as WorkspaceTimer
from stint.models.workspaces import WorkspaceTimers as WorkspaceTimers
from stint.models.workspaces import normalized_email as normalized_email
from stint.timeutil import MAX_SESSION_SECONDS as MAX_SESSION_SECONDS

"""DynamoDB round trips and capacity of every route, against the data design's minimum.

Every route of template.yaml is called once through its real handler (in this process, as the
local stack runs it, against the emulator), in a warm execution environment: the function has
answered a request of the same user before, as almost every request finds it; and `GET /v1/me`
once more as a user's first request to the environment (whose caller middleware reads the
profile, which the route then answers with). What the request's DynamoDB calls cost is counted
by `bench.meter` (capacity by DynamoDB's rules).

The bench's user owns a shared workspace besides their personal one (and a second one from
`POST /v1/workspaces` on), as a member of a team would; the entities the routes by id name are
in the personal workspace, the timers of `/v1/workspaces/{id}/timers` on the shared one's tasks.
Reports, search and `GET /v1/sessions` read the personal workspace only for now (DESIGN.md,
"Workspaces": not done yet), so their rows are what they were.

`MINIMUM` below is, per route, the fewest calls the data design (docs/DESIGN.md: one partition
per workspace, a user's personal one being their own; the change counter written in the same
transaction as the items; LSIs read consistently) allows, and why. An id alone is looked for
in every workspace of the caller, the personal one winning a tie (services/access.py): so an id
of the personal workspace can be read there first, with the route's other keys, at the minimum
the route had before workspaces; the caller's memberships are needed only for an id it lacks.
Where the code makes more calls the reason says which. The capacity baseline is
`Meter.rcu_needed`: the read units of the same answer had no item been read twice.

The table is the same on every run (it is compared row by row across commits): the layer's
clock is the bench's (`CLOCK_START`, a minute later at every request), and the random ids and
names the bench makes are all of one length, so no item's size depends on them.
"""

from __future__ import annotations

import argparse
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from bench.common import RequestClock, Stack, new_user
from bench.meter import Meter, metered
from bench.table import Figure, write_json

# Route -> (minimum calls, why). "counter" = GetItem of the workspace's COUNTER, which every
# write of an entity must read to commit `counter = old + n` (DESIGN.md, "The change sequence");
# "tx" = one TransactWriteItems; "record" = a shared workspace's item (its name, settings,
# members and pending invitations). Reads of several known keys can share one BatchGetItem.
# What the code adds to a route that names an entity by id alone: it finds the workspace first.
_LOCATE = (
    "; the code: +2, it finds the id first: Query memberships, BatchGetItem the id in every"
    " workspace (a user in no shared workspace: +1, the Query)"
)
# A list without `workspaceId` covers every workspace of the caller, one partition each.
_ACROSS = (
    "Query memberships, BatchGetItem their records (who is a member), then a Query a page per"
    " workspace until the page is full"
)
MINIMUM: dict[str, tuple[int, str]] = {
    "GET /v1/me": (1, "GetItem profile"),
    "GET /v1/me, first request": (1, "GetItem profile (the middleware's, answered with)"),
    "PATCH /v1/me": (
        5,
        "GetItem profile (its version), tx; a new displayName is copied into the user's shared"
        " workspaces: Query memberships, then per workspace (the bench's user has 1) GetItem its"
        " record, tx",
    ),
    "GET /v1/projects": (4, _ACROSS + " (the bench's user: 2 workspaces)"),
    "POST /v1/projects": (2, "counter, tx (project + tombstone delete + counter)"),
    "GET /v1/projects/{id}": (1, "GetItem" + _LOCATE),
    "PATCH /v1/projects/{id}": (2, "BatchGetItem project + counter, tx" + _LOCATE),
    "DELETE /v1/projects/{id}": (
        3,
        "BatchGetItem project + counter, Query its children, tx" + _LOCATE,
    ),
    "GET /v1/categories": (4, _ACROSS + " (the bench's user: 2 workspaces)"),
    "POST /v1/categories": (2, "counter, tx"),
    "GET /v1/categories/{id}": (1, "GetItem" + _LOCATE),
    "PATCH /v1/categories/{id}": (2, "BatchGetItem category + counter, tx" + _LOCATE),
    "DELETE /v1/categories/{id}": (
        3,
        "BatchGetItem category + counter, Query its projects, tx" + _LOCATE,
    ),
    "GET /v1/clients": (4, _ACROSS + " (the bench's user: 2 workspaces)"),
    "POST /v1/clients": (2, "counter, tx"),
    "GET /v1/clients/{id}": (1, "GetItem" + _LOCATE),
    "PATCH /v1/clients/{id}": (2, "BatchGetItem client + counter, tx" + _LOCATE),
    "DELETE /v1/clients/{id}": (
        3,
        "BatchGetItem client + counter, Query the workspace's projects, tx" + _LOCATE,
    ),
    "GET /v1/tasks": (4, _ACROSS + " (the bench's user: 2 workspaces)"),
    "POST /v1/tasks": (2, "BatchGetItem profile (default project) + counter, tx"),
    "GET /v1/projects/{id}/tasks": (2, "GetItem project (404), Query byParent" + _LOCATE),
    "POST /v1/projects/{id}/tasks": (2, "BatchGetItem project (404) + counter, tx" + _LOCATE),
    "GET /v1/tasks/{id}": (1, "GetItem" + _LOCATE),
    "PATCH /v1/tasks/{id}": (2, "BatchGetItem task + counter, tx" + _LOCATE),
    "PATCH /v1/tasks/{id}?event=": (
        2,
        "BatchGetItem task + RUNNING guard + counter, tx" + _LOCATE,
    ),
    "POST /v1/tasks/{id}/events": (
        2,
        "BatchGetItem task + RUNNING guard + counter, tx" + _LOCATE,
    ),
    "DELETE /v1/tasks/{id}": (3, "BatchGetItem task + counter, Query its children, tx" + _LOCATE),
    "GET /v1/tasks/{id}/subtasks": (2, "GetItem task (404), Query byParent" + _LOCATE),
    "POST /v1/tasks/{id}/subtasks": (2, "BatchGetItem task (404) + counter, tx" + _LOCATE),
    "GET /v1/subtasks/{id}": (1, "GetItem" + _LOCATE),
    "PATCH /v1/subtasks/{id}": (2, "BatchGetItem subtask + counter, tx" + _LOCATE),
    "DELETE /v1/subtasks/{id}": (2, "BatchGetItem subtask + counter, tx" + _LOCATE),
    "GET /v1/sessions": (1, "Query a page of byStart (of the personal workspace: see above)"),
    "POST /v1/sessions": (2, "BatchGetItem task + counter (+ RUNNING guard), tx" + _LOCATE),
    "GET /v1/sessions/{id}": (1, "GetItem" + _LOCATE),
    "PUT /v1/sessions/{id}": (
        2,
        "BatchGetItem session + task + counter, tx; the code: +4, it finds the task's workspace"
        " and then the session's, each with a Query of the memberships and a BatchGetItem",
    ),
    "DELETE /v1/sessions/{id}": (2, "BatchGetItem session + counter, tx" + _LOCATE),
    "GET /v1/timer": (
        4,
        "GetItem RUNNING (it names the workspace too), its session, its task, its project:"
        " each names the next",
    ),
    "POST /v1/timer": (
        4,
        "BatchGetItem task + RUNNING + counter, BatchGetItem running session + project,"
        " GetItem the running session's task (to pause it), tx" + _LOCATE,
    ),
    "POST /v1/timer/stop": (
        4,
        "BatchGetItem RUNNING + counter, GetItem its session, GetItem the session's task, tx",
    ),
    "POST /v1/workspaces": (
        3,
        "GetItem profile (email, name for the member list), Query memberships (a user belongs"
        " to at most 50 workspaces), tx (record + membership)",
    ),
    "GET /v1/workspaces": (
        2,
        "Query memberships, BatchGetItem their records + the personal workspace's (once"
        " renamed); the code: +1, it reads the personal one's on its own",
    ),
    "GET /v1/workspaces/{id}": (1, "GetItem record (is the caller a member, their role)"),
    "GET /v1/workspaces/{id} (personal)": (1, "GetItem its record (absent until renamed)"),
    "PATCH /v1/workspaces/{id}": (2, "GetItem record, tx (record, on its version)"),
    "GET /v1/workspaces/{id}/members": (1, "GetItem record (members and invitations are in it)"),
    "POST /v1/workspaces/{id}/members": (2, "GetItem record, tx (record + the invitee's item)"),
    "PATCH /v1/workspaces/{id}/members/{userId}": (2, "GetItem record, tx (record)"),
    "DELETE /v1/workspaces/{id}/members/{userId}": (
        2,
        "BatchGetItem record + the member's RUNNING guard (a timer of theirs here stops), tx"
        " (record + the member's membership, on the guard as read)",
    ),
    "DELETE /v1/workspaces/{id}/invitations/{invitationId}": (
        2,
        "GetItem record, tx (record + the invitee's item)",
    ),
    "GET /v1/invitations": (1, "Query the invitee's partition (the verified email from Cognito)"),
    "POST /v1/invitations/{id}/accept": (
        4,
        "BatchGetItem invitation + profile, GetItem its workspace's record, Query memberships"
        " (at most 50 workspaces), tx (record + membership + invitation)",
    ),
    "POST /v1/invitations/{id}/decline": (
        3,
        "GetItem invitation (the code reads the profile along), GetItem its workspace's"
        " record, tx (record + invitation)",
    ),
    "GET /v1/workspaces/{id}/timers": (
        5,
        "GetItem record (members), BatchGetItem their RUNNING guards, BatchGetItem the sessions"
        " they name here, their tasks, their projects: each names the next",
    ),
    "POST /v1/workspaces/{id}/timers/{timerId}/stop": (
        4,
        "BatchGetItem record + session (both named by the path), BatchGetItem the session's"
        " owner's RUNNING guard + its task + counter, BatchGetItem the task's project + its"
        " usage (the stop is priced: the project's rounding and rates, its budget), tx: each"
        " names the next",
    ),
    "DELETE /v1/workspaces/{id} (holding a project)": (
        4,
        "GetItem record, tx (record marked deleting + the other members' memberships and the"
        " invitations: more than 99 go after it, 100 a tx), Query its partition, tx (its items"
        " + record + the owner's membership; more than 98 items: BatchWriteItem the rest first,"
        " 25 a call)",
    ),
    "POST /v1/webhooks": (1, "tx (subscription + count)"),
    "GET /v1/webhooks": (1, "Query"),
    "DELETE /v1/webhooks/{id}": (1, "tx (delete + count)"),
    "GET /v1/sync": (
        5,
        "Query memberships, BatchGetItem their records + every workspace's counter (upto) + the"
        " personal workspace's record (for the workspaces list), then per workspace a Query of"
        " its changes (DESIGN.md, Sync; the bench's user: 3 workspaces, one joined since the"
        " token);"
        " the code: +4, it reads each counter and the personal record on its own",
    ),
    "GET /v1/reports/summary": (3, "Query byStart, BatchGetItem tasks, BatchGetItem projects"),
    "GET /v1/search": (1, "Query the kind's items"),
    "GET /v1/tags": (
        5,
        _ACROSS + " (the bench's user: 3 workspaces); a workspace holds at most 1,000 tags",
    ),
    "POST /v1/tags": (2, "BatchGetItem the name's guard + counter, tx (tag + guard + count)"),
    "GET /v1/tags/{id}": (1, "GetItem" + _LOCATE),
    "PATCH /v1/tags/{id}": (
        2,
        "BatchGetItem tag + counter, tx (a new name: its guard too)" + _LOCATE,
    ),
    "DELETE /v1/tags/{id}": (
        3,
        "BatchGetItem tag + counter, Query the sessions, tx (tag, guard, count, its sessions)"
        + _LOCATE,
    ),
    "POST /v1/sessions (tags by name)": (
        3,
        "BatchGetItem task + counter + the names' guards, BatchGetItem the tags they name, tx"
        + _LOCATE,
    ),
    "POST /v1/sessions/batch (atomic, 3 creates)": (
        2,
        "BatchGetItem the tasks + counter, one tx for all; the code: +6, it finds each operation's"
        " task with a Query of the memberships and a BatchGetItem",
    ),
    "POST /v1/sessions/batch (not atomic, 3 creates)": (
        6,
        "per operation what its route needs: BatchGetItem task + counter, tx; the code: +6, it"
        " finds each operation's task with a Query of the memberships and a BatchGetItem",
    ),
    "GET /v1/reports/detailed": (
        3,
        "Query byStart, BatchGetItem tasks + subtasks + tags, BatchGetItem projects",
    ),
    "GET /v1/reports/weekly": (3, "Query byStart, BatchGetItem tasks, BatchGetItem projects"),
}


@dataclass
class Measured:
    route: str
    status: int
    meter: Meter


class World:
    """A user with some of everything, and helpers to make more (not metered)."""

    def __init__(self, stack: Stack) -> None:
        self.stack = stack
        self.user = new_user()
        self.other = new_user(f"other-{uuid.uuid4().hex[:8]}@bench.local")

    def call(self, function: str, method: str, path: str, **kwargs: Any) -> dict[str, Any]:
        user = kwargs.pop("user", self.user)
        response = self.stack.call(function, method, path, user, **kwargs)
        if response["statusCode"] >= 300:
            raise RuntimeError(f"{method} {path}: {response['statusCode']} {response['body']}")
        return response["json"] or {}

    def project(self, **fields: Any) -> str:
        body = {"project": {"title": f"P {uuid.uuid4().hex[:6]}", **fields}}
        return str(self.call("CatalogFunction", "POST", "/v1/projects", body=body)["project"]["id"])

    def category(self) -> str:
        body = {"category": {"title": "C"}}
        return str(
            self.call("CatalogFunction", "POST", "/v1/categories", body=body)["category"]["id"]
        )

    def client(self) -> str:
        body = {"client": {"name": "C"}}
        return str(self.call("CatalogFunction", "POST", "/v1/clients", body=body)["client"]["id"])

    def task(self, project: str) -> str:
        body = {"task": {"projectId": project, "title": f"T {uuid.uuid4().hex[:6]}"}}
        return str(self.call("TasksFunction", "POST", "/v1/tasks", body=body)["task"]["id"])

    def subtask(self, task: str) -> str:
        body = {"subtask": {"title": "S"}}
        path = f"/v1/tasks/{task}/subtasks"
        return str(self.call("TasksFunction", "POST", path, body=body)["subtask"]["id"])

    def session(self, task: str, start: str = "2026-10-05T09:00:00Z") -> str:
        body = {"task": {"id": task}, "session": {"startTimestamp": start, "duration": 1800}}
        return str(
            self.call("SessionsFunction", "POST", "/v1/sessions", body=body)["session"]["id"]
        )

    def workspace(self, name: str = "W") -> str:
        """A new shared workspace of the bench's user (its owner): its id."""
        body = {"workspace": {"name": name}}
        created = self.call("WorkspacesFunction", "POST", "/v1/workspaces", body=body)
        return str(created["workspace"]["id"])

    def invitation(self, workspace: str, email: str | None = None) -> str:
        """An invitation to the workspace (by the bench's user, its owner): its id."""
        body = {"email": email or f"nobody-{uuid.uuid4().hex[:8]}@bench.local"}
        path = f"/v1/workspaces/{workspace}/members"
        return str(self.call("WorkspacesFunction", "POST", path, body=body)["invitation"]["id"])

    def invitee(self, workspace: str) -> tuple[str, str]:
        """A user of the pool with a verified email, invited to the workspace, who has called
        the API (warm): their user id and the invitation's id."""
        email = f"member-{uuid.uuid4().hex[:8]}@bench.local"
        pool = str(self.stack.provisioner.ref("UserPool"))
        verified = [{"Name": "email", "Value": email}, {"Name": "email_verified", "Value": "true"}]
        created = self.stack.emulator.client("cognito-idp").admin_create_user(
            UserPoolId=pool, Username=email, UserAttributes=verified, MessageAction="SUPPRESS"
        )["User"]
        user = next(a["Value"] for a in created["Attributes"] if a["Name"] == "sub")
        invitation = self.invitation(workspace, email)
        self.call("WorkspacesFunction", "GET", "/v1/invitations", user=user)
        return user, invitation

    def member(self, workspace: str) -> str:
        """A new member of the workspace (invited, accepted): their user id."""
        user, invitation = self.invitee(workspace)
        path = f"/v1/invitations/{invitation}/accept"
        self.call("WorkspacesFunction", "POST", path, user=user)
        return user

    def tag(self, name: str | None = None) -> str:
        body = {"tag": {"name": name or f"tag {uuid.uuid4().hex[:6]}"}}
        return str(self.call("CatalogFunction", "POST", "/v1/tags", body=body)["tag"]["id"])

    def webhook(self) -> str:
        return str(
            self.call("WebhooksFunction", "POST", "/v1/webhooks", body=HOOK)["webhook"]["id"]
        )


HOOK = {"hookUrl": "http://127.0.0.1:9/hook", "triggerType": "task"}
Request = tuple[str, str, str, dict[str, Any]]  # function, method, path, kwargs
Setup = Callable[[World], Request]


def requests(world: World) -> list[tuple[str, Setup]]:
    """(route, setup): setup makes what the request needs and returns the request."""
    project = world.project()
    task = world.task(project)
    for _ in range(3):
        world.session(task)
    workspace = world.workspace("Bench")
    shared_project = world.project(workspaceId=workspace)
    token = world.call("SyncFunction", "GET", "/v1/sync")["syncToken"]
    for _ in range(10):
        world.task(project)
    session_body = {"startTimestamp": "2026-10-06T09:00:00Z", "duration": 600}

    def timer_running(w: World) -> str:
        started = w.call("TimerFunction", "POST", "/v1/timer", body={"taskId": w.task(project)})
        return str(started["timer"]["session"]["id"])

    return [
        ("GET /v1/me", lambda w: ("UsersFunction", "GET", "/v1/me", {})),
        (
            "GET /v1/me, first request",
            lambda w: ("UsersFunction", "GET", "/v1/me", {"user": new_user()}),
        ),
        (
            "PATCH /v1/me",
            lambda w: ("UsersFunction", "PATCH", "/v1/me", {"body": {"displayName": "B"}}),
        ),
        ("GET /v1/projects", lambda w: ("CatalogFunction", "GET", "/v1/projects", {})),
        (
            "POST /v1/projects",
            lambda w: ("CatalogFunction", "POST", "/v1/projects", {"body": {"project": {}}}),
        ),
        (
            "GET /v1/projects/{id}",
            lambda w: ("CatalogFunction", "GET", f"/v1/projects/{project}", {}),
        ),
        (
            "PATCH /v1/projects/{id}",
            lambda w: (
                "CatalogFunction",
                "PATCH",
                f"/v1/projects/{w.project()}",
                {"body": {"project": {"color": "#ff0000"}}},
            ),
        ),
        (
            "DELETE /v1/projects/{id}",
            lambda w: ("CatalogFunction", "DELETE", f"/v1/projects/{w.project()}", {}),
        ),
        ("GET /v1/categories", lambda w: ("CatalogFunction", "GET", "/v1/categories", {})),
        (
            "POST /v1/categories",
            lambda w: (
                "CatalogFunction",
                "POST",
                "/v1/categories",
                {"body": {"category": {"title": "C"}}},
            ),
        ),
        (
            "GET /v1/categories/{id}",
            lambda w: ("CatalogFunction", "GET", f"/v1/categories/{w.category()}", {}),
        ),
        (
            "PATCH /v1/categories/{id}",
            lambda w: (
                "CatalogFunction",
                "PATCH",
                f"/v1/categories/{w.category()}",
                {"body": {"category": {"title": "D"}}},
            ),
        ),
        (
            "DELETE /v1/categories/{id}",
            lambda w: ("CatalogFunction", "DELETE", f"/v1/categories/{w.category()}", {}),
        ),
        ("GET /v1/clients", lambda w: ("CatalogFunction", "GET", "/v1/clients", {})),
        (
            "POST /v1/clients",
            lambda w: (
                "CatalogFunction",
                "POST",
                "/v1/clients",
                {"body": {"client": {"name": "C"}}},
            ),
        ),
        (
            "GET /v1/clients/{id}",
            lambda w: ("CatalogFunction", "GET", f"/v1/clients/{w.client()}", {}),
        ),
        (
            "PATCH /v1/clients/{id}",
            lambda w: (
                "CatalogFunction",
                "PATCH",
                f"/v1/clients/{w.client()}",
                {"body": {"client": {"name": "D"}}},
            ),
        ),
        (
            "DELETE /v1/clients/{id}",
            lambda w: ("CatalogFunction", "DELETE", f"/v1/clients/{w.client()}", {}),
        ),
        ("GET /v1/tasks", lambda w: ("TasksFunction", "GET", "/v1/tasks", {})),
        (
            "POST /v1/tasks",
            lambda w: ("TasksFunction", "POST", "/v1/tasks", {"body": {"task": {"title": "x"}}}),
        ),
        (
            "GET /v1/projects/{id}/tasks",
            lambda w: ("TasksFunction", "GET", f"/v1/projects/{project}/tasks", {}),
        ),
        (
            "POST /v1/projects/{id}/tasks",
            lambda w: (
                "TasksFunction",
                "POST",
                f"/v1/projects/{project}/tasks",
                {"body": {"task": {"title": "y"}}},
            ),
        ),
        ("GET /v1/tasks/{id}", lambda w: ("TasksFunction", "GET", f"/v1/tasks/{task}", {})),
        (
            "PATCH /v1/tasks/{id}",
            lambda w: (
                "TasksFunction",
                "PATCH",
                f"/v1/tasks/{w.task(project)}",
                {"body": {"task": {"title": "renamed"}}},
            ),
        ),
        (
            "PATCH /v1/tasks/{id}?event=",
            lambda w: (
                "TasksFunction",
                "PATCH",
                f"/v1/tasks/{w.task(project)}",
                {"query": {"event": "start_without_tracking"}},
            ),
        ),
        (
            "POST /v1/tasks/{id}/events",
            lambda w: (
                "TasksFunction",
                "POST",
                f"/v1/tasks/{w.task(project)}/events",
                {"body": {"event": "finish"}},
            ),
        ),
        (
            "DELETE /v1/tasks/{id}",
            lambda w: ("TasksFunction", "DELETE", f"/v1/tasks/{w.task(project)}", {}),
        ),
        (
            "GET /v1/tasks/{id}/subtasks",
            lambda w: ("TasksFunction", "GET", f"/v1/tasks/{task}/subtasks", {}),
        ),
        (
            "POST /v1/tasks/{id}/subtasks",
            lambda w: (
                "TasksFunction",
                "POST",
                f"/v1/tasks/{task}/subtasks",
                {"body": {"subtask": {"title": "s"}}},
            ),
        ),
        (
            "GET /v1/subtasks/{id}",
            lambda w: ("TasksFunction", "GET", f"/v1/subtasks/{w.subtask(task)}", {}),
        ),
        (
            "PATCH /v1/subtasks/{id}",
            lambda w: (
                "TasksFunction",
                "PATCH",
                f"/v1/subtasks/{w.subtask(task)}",
                {"body": {"subtask": {"title": "t"}}},
            ),
        ),
        (
            "DELETE /v1/subtasks/{id}",
            lambda w: ("TasksFunction", "DELETE", f"/v1/subtasks/{w.subtask(task)}", {}),
        ),
        (
            "GET /v1/sessions",
            lambda w: (
                "SessionsFunction",
                "GET",
                "/v1/sessions",
                {"query": {"start": "2026-10-01T00:00:00Z", "end": "2026-11-01T00:00:00Z"}},
            ),
        ),
        (
            "POST /v1/sessions",
            lambda w: (
                "SessionsFunction",
                "POST",
                "/v1/sessions",
                {"body": {"task": {"id": task}, "session": session_body}},
            ),
        ),
        (
            "GET /v1/sessions/{id}",
            lambda w: ("SessionsFunction", "GET", f"/v1/sessions/{w.session(task)}", {}),
        ),
        (
            "PUT /v1/sessions/{id}",
            lambda w: (
                "SessionsFunction",
                "PUT",
                f"/v1/sessions/{w.session(task)}",
                {"body": {"task": {"id": task}, "session": session_body}},
            ),
        ),
        (
            "DELETE /v1/sessions/{id}",
            lambda w: ("SessionsFunction", "DELETE", f"/v1/sessions/{w.session(task)}", {}),
        ),
        (
            "GET /v1/timer",
            lambda w: (timer_running(w), ("TimerFunction", "GET", "/v1/timer", {}))[1],
        ),
        (
            "POST /v1/timer",
            lambda w: (
                timer_running(w),
                ("TimerFunction", "POST", "/v1/timer", {"body": {"taskId": w.task(project)}}),
            )[1],
        ),
        (
            "POST /v1/timer/stop",
            lambda w: (timer_running(w), ("TimerFunction", "POST", "/v1/timer/stop", {}))[1],
        ),
        *_workspace_requests(world, workspace, shared_project),
        (
            "POST /v1/webhooks",
            lambda w: ("WebhooksFunction", "POST", "/v1/webhooks", {"body": HOOK}),
        ),
        ("GET /v1/webhooks", lambda w: ("WebhooksFunction", "GET", "/v1/webhooks", {})),
        (
            "DELETE /v1/webhooks/{id}",
            lambda w: ("WebhooksFunction", "DELETE", f"/v1/webhooks/{w.webhook()}", {}),
        ),
        (
            "GET /v1/sync",
            lambda w: ("SyncFunction", "GET", "/v1/sync", {"query": {"syncToken": token}}),
        ),
        (
            "GET /v1/reports/summary",
            lambda w: (
                "ReportsFunction",
                "GET",
                "/v1/reports/summary",
                {"query": {"from": "2026-10-01T00:00:00Z", "to": "2026-11-01T00:00:00Z"}},
            ),
        ),
        (
            "GET /v1/search",
            lambda w: (
                "ReportsFunction",
                "GET",
                "/v1/search",
                {"query": {"type": "task", "name": "T"}},
            ),
        ),
        *_tag_and_bulk_requests(world, task, session_body),
    ]


def _workspace_requests(world: World, workspace: str, project: str) -> list[tuple[str, Setup]]:
    """Workspaces, their members, invitations and timers: the bench's user owns `workspace`,
    which holds `project`."""
    base = f"/v1/workspaces/{workspace}"

    def my_timer(w: World) -> str:
        """The bench's user's timer, started on a new task of the workspace: its session."""
        body = {"taskId": w.task(project)}
        return str(
            w.call("TimerFunction", "POST", "/v1/timer", body=body)["timer"]["session"]["id"]
        )

    def members_timer(w: World) -> str:
        """A new member's timer on a new task of the workspace: its session."""
        user, body = w.member(workspace), {"taskId": w.task(project)}
        started = w.call("TimerFunction", "POST", "/v1/timer", body=body, user=user)
        return str(started["timer"]["session"]["id"])

    def holding_a_project(w: World) -> str:
        """A new workspace of the bench's user holding a project: its id."""
        created = w.workspace()
        w.project(workspaceId=created)
        return created

    return [
        (
            "POST /v1/workspaces",
            lambda w: (
                "WorkspacesFunction",
                "POST",
                "/v1/workspaces",
                {"body": {"workspace": {"name": "W"}}},
            ),
        ),
        ("GET /v1/workspaces", lambda w: ("WorkspacesFunction", "GET", "/v1/workspaces", {})),
        ("GET /v1/workspaces/{id}", lambda w: ("WorkspacesFunction", "GET", base, {})),
        (
            "GET /v1/workspaces/{id} (personal)",
            lambda w: ("WorkspacesFunction", "GET", f"/v1/workspaces/{w.user}", {}),
        ),
        (
            "PATCH /v1/workspaces/{id}",
            lambda w: (
                "WorkspacesFunction",
                "PATCH",
                base,
                {"body": {"workspace": {"name": "Bench, renamed"}}},
            ),
        ),
        (
            "GET /v1/workspaces/{id}/members",
            lambda w: ("WorkspacesFunction", "GET", f"{base}/members", {}),
        ),
        (
            "POST /v1/workspaces/{id}/members",
            lambda w: (
                "WorkspacesFunction",
                "POST",
                f"{base}/members",
                {"body": {"email": f"nobody-{uuid.uuid4().hex[:8]}@bench.local"}},
            ),
        ),
        (
            "PATCH /v1/workspaces/{id}/members/{userId}",
            lambda w: (
                "WorkspacesFunction",
                "PATCH",
                f"{base}/members/{w.member(workspace)}",
                {"body": {"role": "manager"}},
            ),
        ),
        (
            "DELETE /v1/workspaces/{id}/members/{userId}",
            lambda w: ("WorkspacesFunction", "DELETE", f"{base}/members/{w.member(workspace)}", {}),
        ),
        (
            "DELETE /v1/workspaces/{id}/invitations/{invitationId}",
            lambda w: (
                "WorkspacesFunction",
                "DELETE",
                f"{base}/invitations/{w.invitation(workspace)}",
                {},
            ),
        ),
        (
            "GET /v1/invitations",
            lambda w: (
                "WorkspacesFunction",
                "GET",
                "/v1/invitations",
                {"user": w.invitee(workspace)[0]},
            ),
        ),
        ("POST /v1/invitations/{id}/accept", lambda w: _as_invitee(w, workspace, "accept")),
        ("POST /v1/invitations/{id}/decline", lambda w: _as_invitee(w, workspace, "decline")),
        (
            "GET /v1/workspaces/{id}/timers",
            lambda w: (my_timer(w), ("WorkspacesFunction", "GET", f"{base}/timers", {}))[1],
        ),
        (
            "POST /v1/workspaces/{id}/timers/{timerId}/stop",
            lambda w: (
                "WorkspacesFunction",
                "POST",
                f"{base}/timers/{members_timer(w)}/stop",
                {},
            ),
        ),
        (
            "DELETE /v1/workspaces/{id} (holding a project)",
            lambda w: (
                "WorkspacesFunction",
                "DELETE",
                f"/v1/workspaces/{holding_a_project(w)}",
                {},
            ),
        ),
    ]


def _tag_and_bulk_requests(
    world: World, task: str, session_body: dict[str, Any]
) -> list[tuple[str, Setup]]:
    """Tags, sessions with tags and in bulk, detailed and weekly."""
    reused = world.tag("reused")
    tagged = {"task": {"id": task}, "session": {**session_body, "tagIds": [reused]}}
    for _ in range(3):
        world.call("SessionsFunction", "POST", "/v1/sessions", body=tagged)
    creates = [{"op": "create", "body": {"task": {"id": task}, "session": session_body}}] * 3
    month = {"from": "2026-10-01T00:00:00Z", "to": "2026-11-01T00:00:00Z"}
    return [
        ("GET /v1/tags", lambda w: ("CatalogFunction", "GET", "/v1/tags", {})),
        (
            "POST /v1/tags",
            lambda w: ("CatalogFunction", "POST", "/v1/tags", {"body": {"tag": {"name": "new"}}}),
        ),
        ("GET /v1/tags/{id}", lambda w: ("CatalogFunction", "GET", f"/v1/tags/{w.tag()}", {})),
        (
            "PATCH /v1/tags/{id}",
            lambda w: (
                "CatalogFunction",
                "PATCH",
                f"/v1/tags/{w.tag()}",
                {"body": {"tag": {"color": "#00ff00"}}},
            ),
        ),
        ("DELETE /v1/tags/{id}", lambda w: ("CatalogFunction", "DELETE", f"/v1/tags/{reused}", {})),
        (
            "POST /v1/sessions (tags by name)",
            lambda w: (
                "SessionsFunction",
                "POST",
                "/v1/sessions",
                {
                    "body": {
                        "task": {"id": task},
                        "session": {**session_body, "tags": [w.tag("by name") and "BY NAME"]},
                    }
                },
            ),
        ),
        (
            "POST /v1/sessions/batch (atomic, 3 creates)",
            lambda w: (
                "SessionsFunction",
                "POST",
                "/v1/sessions/batch",
                {"body": {"operations": creates}},
            ),
        ),
        (
            "POST /v1/sessions/batch (not atomic, 3 creates)",
            lambda w: (
                "SessionsFunction",
                "POST",
                "/v1/sessions/batch",
                {"body": {"atomic": False, "operations": creates}},
            ),
        ),
        (
            "GET /v1/reports/detailed",
            lambda w: ("ReportsFunction", "GET", "/v1/reports/detailed", {"query": month}),
        ),
        (
            "GET /v1/reports/weekly",
            lambda w: (
                "ReportsFunction",
                "GET",
                "/v1/reports/weekly",
                {"query": {"from": "2026-10-05", "groupBy": "tag"}},
            ),
        ),
    ]


def _as_invitee(world: World, workspace: str, verb: str) -> Request:
    user, invitation = world.invitee(workspace)
    return ("WorkspacesFunction", "POST", f"/v1/invitations/{invitation}/{verb}", {"user": user})


def measure(stack: Stack) -> list[Measured]:
    from stint.store import dynamodb

    world = World(stack)
    todo = requests(world)
    results = []
    for route, setup in todo:
        function, method, path, kwargs = setup(world)
        user = kwargs.pop("user", world.user)
        # Warm: this environment has seen the user (ensure_profile's read is behind it), but
        # for the first-request rows, whose setup made a new user.
        with metered(dynamodb()) as meter:
            response = stack.call(function, method, path, user, **kwargs)
        if response["statusCode"] >= 300:
            raise RuntimeError(f"{route}: {response['statusCode']} {response['body']}")
        results.append(Measured(route, int(response["statusCode"]), meter))
    return results


DETAILED_SESSIONS = 300


def detailed_capacity(stack: Stack) -> tuple[Meter, Meter]:
    """A month's detailed report (300 sessions on 30 tasks in 5 projects, each with a tag, and
    as many in the months around it), metered, and a plain Query of the same range."""
    from stint.store import Store, dynamodb

    world = World(stack)
    tasks = [world.task(world.project(hourlyRate=90)) for _ in range(5) for _ in range(6)][:30]
    tag = world.tag("billable work")
    operations = [
        {
            "op": "create",
            "body": {
                "task": {"id": tasks[n % len(tasks)]},
                "session": {
                    "startTimestamp": f"2026-{month:02d}-{1 + n % 28:02d}T{n % 24:02d}:00:00Z",
                    "duration": 600 + n,
                    "tagIds": [tag],
                },
            },
        }
        for month in (9, 10, 11)
        for n in range(DETAILED_SESSIONS)
    ]
    for start in range(0, len(operations), 100):
        body = {"atomic": False, "operations": operations[start : start + 100]}
        world.call("SessionsFunction", "POST", "/v1/sessions/batch", body=body)
    month = {"from": "2026-10-01T00:00:00Z", "to": "2026-11-01T00:00:00Z"}
    with metered(dynamodb()) as report:
        answer = stack.call(
            "ReportsFunction", "GET", "/v1/reports/detailed", world.user, query=month
        )
    if answer["statusCode"] != 200 or answer["json"]["totals"]["sessions"] != DETAILED_SESSIONS:
        raise RuntimeError(f"detailed report: {answer['statusCode']} {answer['body'][:200]}")
    with metered(dynamodb()) as plain:
        low, high = "2026-10-01T00:00:00.000Z", "2026-11-01T00:00:00.000Z"
        list(Store(world.user).query_all(between=(low, high), index="byStart", page_size=1000))
    return report, plain


# The layer's clock (bench.common.RequestClock): a minute later at every request, from a day of
# a month no session of the bench's own starts in (theirs are in September to November 2026).
# So a timer stopped a request after its start has run a minute, its stop counts in its
# project's usage of that month (as any real stop does), and the table is the same on every
# run, on any day.
CLOCK_START = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)
CLOCK_STEP = timedelta(minutes=1)


def run() -> list[Figure]:
    stack = Stack(clock=RequestClock(CLOCK_START, CLOCK_STEP))
    try:
        results = measure(stack)
        report, plain = detailed_capacity(stack)
    finally:
        stack.stop()
    figures = []
    at_minimum = 0
    total_calls = total_minimum = 0
    total_rcu = total_needed = 0
    width = max(len("route"), *(len(result.route) for result in results))
    print(
        f"{'route':<{width}} {'calls':>5} {'min':>3}  {'RCU':>4} {'need':>4} {'WCU':>4}  operations"
    )
    for result in results:
        minimum, _ = MINIMUM[result.route]
        meter = result.meter
        at_minimum += meter.calls <= minimum
        total_calls += meter.calls
        total_minimum += minimum
        total_rcu += meter.rcu
        total_needed += meter.rcu_needed
        flag = "" if meter.calls <= minimum else "  <- over"
        print(
            f"{result.route:<{width}} {meter.calls:>5} {minimum:>3}  {meter.rcu:>4}"
            f" {meter.rcu_needed:>4} {meter.wcu:>4}  {meter.operations()}{flag}"
        )
    routes = len(results)
    figures.append(
        Figure(
            f"round trips: routes at their minimum (of {routes})",
            at_minimum,
            routes,
            "",
            (">=", 1.0),
            "all routes",
        )
    )
    figures.append(
        Figure(
            "round trips: DynamoDB calls, all routes",
            total_calls,
            total_minimum,
            "",
            ("<=", 1.0),
            "design minimum",
        )
    )
    figures.append(
        Figure(
            "read capacity, all routes (by DynamoDB's rule)",
            total_rcu,
            total_needed,
            "RCU",
            ("<=", 1.0),
            "each item once",
        )
    )
    print(
        f"detailed report of {DETAILED_SESSIONS} sessions: {report.calls} calls, {report.rcu} RCU"
        f" ({report.operations()}); a plain Query of the range: {plain.calls} calls,"
        f" {plain.rcu} RCU"
    )
    figures.append(
        Figure(
            f"detailed report, a month of {DETAILED_SESSIONS} sessions: read capacity",
            report.rcu,
            plain.rcu,
            "RCU",
            None,
            "a plain Query of the range",
        )
    )
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--json", help="write the figures there")
    write_json(run(), parser.parse_args().json)


if __name__ == "__main__":
    main()

"""Exactly once, even when a function dies between its write and its answer (docs/API.md,
"Retrying safely").

Every POST route, through its real handler over moto: the function dies right after DynamoDB
applied its write (every later call of that "process" fails too, so nothing it would have done
afterwards happens). A retry with the same key, an hour later (past any function timeout),
answers with the first response and writes nothing: the synced state and the lists are what the
dead request left, and a second retry answers the same again.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import pytest

from stint import idempotency
from stint.store import Store, dynamodb, entity_of

from .handlers import Answer, call, pool, pool_user

__all__ = ["pool"]  # the fixture, used by name


class Died(BaseException):
    """The function's process ended (not an Exception: nothing in the function handles it)."""


@contextmanager
def dies_after_its_write() -> Iterator[None]:
    """The function dies once DynamoDB has applied its (last) TransactWriteItems."""
    events = dynamodb().meta.events
    dead = False

    def after_write(**_: Any) -> None:
        nonlocal dead
        dead = True
        raise Died()

    def any_call(**_: Any) -> None:
        if dead:
            raise Died()

    events.register("before-call.dynamodb", any_call)
    events.register("after-call.dynamodb.TransactWriteItems", after_write)
    try:
        yield
    finally:
        events.unregister("after-call.dynamodb.TransactWriteItems", after_write)
        events.unregister("before-call.dynamodb", any_call)


class _Later:
    """The `time` module, `seconds` later (monotonic clocks and sleeps unchanged)."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds

    def time(self) -> float:
        return time.time() + self.seconds

    def __getattr__(self, name: str) -> Any:
        return getattr(time, name)


@dataclass
class User:
    sub: str
    email: str

    def call(self, group: str, method: str, path: str, **kwargs: Any) -> Answer:
        return call(group, method, path, self.sub, username=self.email, **kwargs)

    def create(self, group: str, path: str, key: str, **fields: Any) -> str:
        answer = self.call(group, "POST", path, body={key: fields})
        assert answer.status == 201, answer.body
        return str(answer.body[key]["id"])

    def state(self) -> dict[str, Any]:
        """Everything the user can see: a full sync, their webhooks and workspaces, and what
        each shared workspace holds."""
        synced = self.call("sync", "GET", "/v1/sync").body
        assert not synced["hasMore"]
        synced.pop("syncToken")
        hooks = self.call("webhooks", "GET", "/v1/webhooks").body
        workspaces = self.call("workspaces", "GET", "/v1/workspaces").body
        return {
            "sync": synced,
            "webhooks": hooks,
            # A rotation shows only in the webhook's version.
            "webhookETags": [
                self.call("webhooks", "GET", f"/v1/webhooks/{hook['id']}").headers["ETag"]
                for hook in hooks["webhooks"]
            ],
            "workspaces": workspaces,
            "shared": {
                workspace["id"]: _shared_sync(self.sub, workspace["id"])
                for workspace in workspaces["workspaces"]
                if not workspace["personal"]
            },
        }


def _shared_sync(user_id: str, workspace_id: str) -> list[dict[str, Any]]:
    """What a full sync of a shared workspace will give: its entities and tombstones, in seq
    order. `GET /v1/sync` covers the personal workspace only so far (sync of the shared ones is
    not done yet), and no list shows a shared workspace's sessions: read its partition as sync
    reads the personal one."""
    store = Store(user_id, workspace_id)
    records, more = store.changes(0, store.change_sequence(), 1000)
    assert not more
    return [
        {k: r[k] for k in ("type", "id", "lastUpdated")}
        if r["kind"] == "tombstone"
        else entity_of(r)
        for r in records
    ]


Request = tuple[str, str, Any]  # group, path, body
Setup = Callable[[User, User], Request]


def _running_timer(me: User, project: str | None = None) -> str:
    project = project or me.create("catalog", "/v1/projects", "project", title="P")
    task = me.create("tasks", "/v1/tasks", "task", title="T", projectId=project)
    started = me.call("timer", "POST", "/v1/timer", body={"taskId": task})
    assert started.status == 201, started.body
    return str(started.body["timer"]["session"]["id"])


def _member_timer(me: User, member: User) -> str:
    """The stop path of the member's timer on a task of a workspace of `me`'s."""
    team = _team(me, member)
    project = me.create("catalog", "/v1/projects", "project", title="Q", workspaceId=team)
    return f"/v1/workspaces/{team}/timers/{_running_timer(member, project)}/stop"


def _team(me: User, *members: User) -> str:
    body = {"workspace": {"name": "T"}}
    team = me.call("workspaces", "POST", "/v1/workspaces", body=body).body["workspace"]["id"]
    for member in members:  # invited, and joining by accepting (docs/API.md, "Team invitations")
        invited = me.call(
            "workspaces", "POST", f"/v1/workspaces/{team}/members", body={"email": member.email}
        )
        assert invited.status == 201, invited.body
        invitation = invited.body["invitation"]["id"]
        accepted = member.call("workspaces", "POST", f"/v1/invitations/{invitation}/accept")
        assert accepted.status == 200, accepted.body
    return str(team)


def _webhook(me: User) -> str:
    body = {"hookUrl": "http://127.0.0.1:9/hook", "triggerType": "task"}
    answer = me.call("webhooks", "POST", "/v1/webhooks", body=body)
    assert answer.status == 201, answer.body
    return str(answer.body["webhook"]["id"])


def _task(me: User) -> str:
    return me.create("tasks", "/v1/tasks", "task", title="T")


def _shared_project(owner: User, *members: User) -> tuple[str, str]:
    """A shared workspace of `owner`'s, with `members`, and a project in it."""
    workspace = _team(owner, *members)
    return workspace, owner.create(
        "catalog", "/v1/projects", "project", title="Q", workspaceId=workspace
    )


def _shared_task(owner: User, *members: User) -> str:
    """A task of a shared workspace of `owner`'s, with `members`."""
    _, project = _shared_project(owner, *members)
    return owner.create("tasks", "/v1/tasks", "task", title="T", projectId=project)


def _batch_elsewhere(me: User, _: User) -> Request:
    """An atomic batch starting a session in a shared workspace while a timer runs in `me`'s
    personal one."""
    _running_timer(me)
    body = {"task": {"id": _shared_task(me)}, "session": {**SESSION, "duration": None}}
    return "sessions", "/v1/sessions/batch", {"operations": [{"op": "create", "body": body}]}


def _in_workspace(me: User, other: User) -> Request:
    """A session of `me`, a member of `other`'s workspace, on a task of it."""
    return "sessions", "/v1/sessions", {"task": {"id": _shared_task(other, me)}, "session": SESSION}


SESSION = {"startTimestamp": "2026-11-22T09:30:00Z", "duration": 60}
ROUTES: dict[str, Setup] = {
    "POST /v1/projects": lambda me, _: ("catalog", "/v1/projects", {"project": {"title": "A"}}),
    "POST /v1/categories": lambda me, _: (
        "catalog",
        "/v1/categories",
        {"category": {"title": "C"}},
    ),
    "POST /v1/clients": lambda me, _: ("catalog", "/v1/clients", {"client": {"name": "C"}}),
    "POST /v1/tasks": lambda me, _: ("tasks", "/v1/tasks", {"task": {"title": "W"}}),
    "POST /v1/projects/{id}/tasks": lambda me, _: (
        "tasks",
        f"/v1/projects/{me.create('catalog', '/v1/projects', 'project', title='P')}/tasks",
        {"task": {"title": "W"}},
    ),
    "POST /v1/tasks/{id}/subtasks": lambda me, _: (
        "tasks",
        f"/v1/tasks/{_task(me)}/subtasks",
        {"subtask": {"title": "S"}},
    ),
    "POST /v1/tasks/{id}/events": lambda me, _: (
        "tasks",
        f"/v1/tasks/{_task(me)}/events",
        {"event": "start_tracking"},
    ),
    "POST /v1/sessions (by titles)": lambda me, _: (
        "sessions",
        "/v1/sessions",
        {"task": {"title": "New"}, "project": {"title": "New"}, "session": SESSION},
    ),
    "POST /v1/timer": lambda me, _: ("timer", "/v1/timer", {"taskId": _task(me)}),
    "POST /v1/timer/stop": lambda me, _: (_running_timer(me), ("timer", "/v1/timer/stop", None))[1],
    "POST /v1/workspaces": lambda me, _: (
        "workspaces",
        "/v1/workspaces",
        {"workspace": {"name": "T"}},
    ),
    "POST /v1/workspaces/{id}/members": lambda me, other: (
        "workspaces",
        f"/v1/workspaces/{_team(me)}/members",
        {"email": other.email},
    ),
    "POST /v1/workspaces/{id}/timers/{id}/stop": lambda me, other: (
        "workspaces",
        _member_timer(me, other),
        None,
    ),
    "POST /v1/webhooks": lambda me, _: (
        "webhooks",
        "/v1/webhooks",
        {"hookUrl": "http://127.0.0.1:9/hook", "triggerType": "task"},
    ),
    "POST /v1/webhooks/{id}/rotate-secret": lambda me, _: (
        "webhooks",
        f"/v1/webhooks/{_webhook(me)}/rotate-secret",
        None,
    ),
    # Writes in a shared workspace (its partition, WS#<id>, and its counter).
    "POST /v1/projects (in a workspace)": lambda me, _: (
        "catalog",
        "/v1/projects",
        {"project": {"title": "A", "workspaceId": _team(me)}},
    ),
    "POST /v1/categories (in a workspace)": lambda me, _: (
        "catalog",
        "/v1/categories",
        {"category": {"title": "C", "workspaceId": _team(me)}},
    ),
    "POST /v1/tags (in a workspace)": lambda me, _: (
        "catalog",
        "/v1/tags",
        {"tag": {"name": "t", "workspaceId": _team(me)}},
    ),
    "POST /v1/tasks (in a workspace)": lambda me, _: (
        "tasks",
        "/v1/tasks",
        {"task": {"title": "W", "projectId": _shared_project(me)[1]}},
    ),
    "POST /v1/projects/{id}/tasks (in a workspace)": lambda me, _: (
        "tasks",
        f"/v1/projects/{_shared_project(me)[1]}/tasks",
        {"task": {"title": "W"}},
    ),
    "POST /v1/tasks/{id}/subtasks (in a workspace)": lambda me, _: (
        "tasks",
        f"/v1/tasks/{_shared_task(me)}/subtasks",
        {"subtask": {"title": "S"}},
    ),
    "POST /v1/tasks/{id}/events (in a workspace)": lambda me, _: (
        "tasks",
        f"/v1/tasks/{_shared_task(me)}/events",
        {"event": "start_tracking"},
    ),
    "POST /v1/sessions (a member's, in a workspace)": _in_workspace,
    "POST /v1/sessions (running, in a workspace)": lambda me, _: (
        "sessions",
        "/v1/sessions",
        {"task": {"id": _shared_task(me)}, "session": {**SESSION, "duration": None}},
    ),
    "POST /v1/sessions (by titles, in a workspace)": lambda me, _: (
        "sessions",
        "/v1/sessions",
        {
            "task": {"title": "New"},
            "project": {"title": "New", "workspaceId": _team(me)},
            "session": SESSION,
        },
    ),
    "POST /v1/sessions/batch (in a workspace)": lambda me, _: (
        "sessions",
        "/v1/sessions/batch",
        {
            "operations": [
                {"op": "create", "body": {"task": {"id": _shared_task(me)}, "session": SESSION}}
            ]
        },
    ),
    "POST /v1/timer (in a workspace)": lambda me, _: (
        "timer",
        "/v1/timer",
        {"taskId": _shared_task(me)},
    ),
    # A timer running in another workspace is stopped by the start (running.take_over).
    "POST /v1/timer (in a workspace, one running in the personal one)": lambda me, _: (
        _running_timer(me),
        ("timer", "/v1/timer", {"taskId": _shared_task(me)}),
    )[1],
    "POST /v1/timer (one running in a workspace)": lambda me, _: (
        _running_timer(me, _shared_project(me)[1]),
        ("timer", "/v1/timer", {"taskId": _task(me)}),
    )[1],
    "POST /v1/tasks/{id}/events (in a workspace, one running in the personal one)": lambda me, _: (
        _running_timer(me),
        ("tasks", f"/v1/tasks/{_shared_task(me)}/events", {"event": "start_tracking"}),
    )[1],
    "POST /v1/sessions (running, in a workspace, one running in the personal one)": lambda me, _: (
        _running_timer(me),
        (
            "sessions",
            "/v1/sessions",
            {"task": {"id": _shared_task(me)}, "session": {**SESSION, "duration": None}},
        ),
    )[1],
    "POST /v1/sessions/batch (running, in a workspace, one running in the personal one)": (
        _batch_elsewhere
    ),
    "POST /v1/timer/stop (in a workspace)": lambda me, _: (
        _running_timer(me, _shared_project(me)[1]),
        ("timer", "/v1/timer/stop", None),
    )[1],
    "POST /v1/workspaces/{id}/timers/{id}/stop (their own)": lambda me, other: (
        "workspaces",
        _member_timer(other, me),
        None,
    ),
}


def _entities(body: Any) -> Iterator[tuple[str, str]]:
    """(id, lastUpdated) of every entity in an answer."""
    if isinstance(body, dict):
        if "id" in body and "lastUpdated" in body:
            yield str(body["id"]), str(body["lastUpdated"])
        for value in body.values():
            yield from _entities(value)
    elif isinstance(body, list):
        for value in body:
            yield from _entities(value)


@pytest.mark.parametrize("route", ROUTES)
def test_a_retry_after_the_function_died_answers_the_first_response(
    pool: str, route: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    me, other = (User(*pool_user(pool)) for _ in range(2))
    other.call("users", "GET", "/v1/me")  # has called the API: has a profile
    group, path, body = ROUTES[route](me, other)
    headers = {"Idempotency-Key": f"dies-{uuid.uuid4()}"}
    before = (me.state(), other.state())

    with dies_after_its_write(), pytest.raises(Died):
        me.call(group, "POST", path, body=body, headers=headers)
    written = (me.state(), other.state())
    assert written != before  # the write was made

    monkeypatch.setattr(idempotency, "time", _Later(3600))
    retry = me.call(group, "POST", path, body=body, headers=headers)
    assert 200 <= retry.status < 300, retry.body
    assert retry.headers.get("Idempotent-Replayed") == "true"
    assert (me.state(), other.state()) == written  # nothing written twice
    # The answer is of the write that was made: each entity in it (a workspace too, which sync
    # does not carry) is, at that version, what the user saw after the dead request.
    assert set(_entities(retry.body)) <= set(_entities(list(written)))
    again = me.call(group, "POST", path, body=body, headers=headers)
    assert (again.status, again.body, again.headers.get("ETag")) == (
        retry.status,
        retry.body,
        retry.headers.get("ETag"),
    )

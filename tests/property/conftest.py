"""The property tests' stack, one account with a receiver subscribed to every trigger, and
their summary line."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest

from stint import kinds
from tests import stats
from tests.api.conftest import Api, new_api
from tests.pipeline import Answers, Receiver, Replica, running_receiver, subscribe

STATS = stats.PROPERTY  # printed at the end of the run (tests/stats.py)
TRIGGERS = list(kinds.TRIGGERS)  # every kind's (stint.kinds): a new kind is delivered too


@pytest.fixture(scope="session")
def stack(http_stack: dict[str, Any]) -> dict[str, Any]:
    """The run's shared local stack (tests/conftest.py)."""
    return http_stack


@pytest.fixture(scope="session")
def receiver() -> Iterator[Receiver]:
    with running_receiver() as receiver:
        yield receiver


@dataclass
class Account:
    """A user subscribed to every trigger, its replica, and the entities tests refer to."""

    stack: dict[str, Any]
    api: Api
    user_id: str
    receiver: Receiver
    answers: Answers
    replica: Replica
    refs: dict[str, str] = field(default_factory=dict)
    # (event type, entity) of every acknowledged write: the receiver must get each as is.
    expected: list[tuple[str, dict[str, Any]]] = field(default_factory=list)


@pytest.fixture(scope="module")
def account(stack: dict[str, Any], receiver: Receiver) -> Account:
    api = new_api(stack)
    subscribe(api, receiver, TRIGGERS)
    answers = Answers()
    account = Account(
        stack, api, api.get("/v1/me").json()["id"], receiver, answers, Replica(api, answers)
    )
    project = api.create("/v1/projects", "project", title="Refs")
    task = api.create("/v1/tasks", "task", title="Refs", projectId=project["id"])
    category = api.create("/v1/categories", "category", title="Refs")
    client = api.create("/v1/clients", "client", name="Refs")
    response = api.post(f"/v1/tasks/{task['id']}/subtasks", json={"subtask": {"title": "Refs"}})
    assert response.status_code == 201, response.text
    account.refs = {
        "workspace": api.get("/v1/me").json()["personalWorkspaceId"],
        "project": project["id"],
        "task": task["id"],
        "category": category["id"],
        "client": client["id"],
        "subtask": response.json()["subtask"]["id"],
    }
    return account

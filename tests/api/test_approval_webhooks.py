"""docs/API.md, "Locked time and approvals" and "Webhooks": a workspace's webhooks subscribed
to `approval` receive `approval.submitted`, `.approved` and `.rejected`, from the table's
stream through the real dispatcher, verified with the stock `standardwebhooks` library."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest

from tests.api.conftest import local_only
from tests.api.test_webhooks import Delivery, Receiver, hook_url, serving_receiver
from tests.api.workspace_helpers import make_crew

pytestmark = pytest.mark.http  # over HTTP, against the run's shared local stack


@pytest.fixture(scope="module")
def receiver() -> Iterator[Receiver]:
    with serving_receiver() as receiver:
        yield receiver


@local_only  # the receiver listens on 127.0.0.1
def test_a_subscribed_webhook_receives_approval_events(
    stack: dict[str, Any], receiver: Receiver
) -> None:
    crew = make_crew(stack, "Approved")
    path = f"/approvals/{time.monotonic_ns()}"
    body = {"hookUrl": hook_url(receiver, path), "triggerType": "approval", "workspaceId": crew.id}
    made = crew.owner.post("/v1/webhooks", json=body)
    assert made.status_code == 201, made.text
    receiver.secrets[path] = made.json()["webhook"]["secret"]

    def submitted(period: dict[str, str]) -> dict[str, Any]:
        response = crew.member.post(f"{crew.path}/approvals", json=period)
        assert response.status_code == 201, response.text
        return dict(response.json()["approval"])

    first = submitted({"from": "2026-08-03", "to": "2026-08-09"})
    second = submitted({"from": "2026-08-10", "to": "2026-08-16"})
    for approval, verdict in ((first, "approve"), (second, "reject")):
        decided = crew.manager.post(f"/v1/approvals/{approval['id']}/{verdict}")
        assert decided.status_code == 200, decided.text

    def verified(deliveries: list[Delivery]) -> list[tuple[str, str]]:
        return [(d.verified["type"], d.verified["data"]["id"]) for d in deliveries if d.verified]

    receiver.wait_for(path, lambda deliveries: len(verified(deliveries)) >= 4)
    time.sleep(0.5)  # anything more would be a wrong delivery
    assert sorted(set(verified(receiver.at(path)))) == sorted(
        [
            ("approval.submitted", first["id"]),
            ("approval.submitted", second["id"]),
            ("approval.approved", first["id"]),
            ("approval.rejected", second["id"]),
        ]
    )
    event = next(d.verified for d in receiver.at(path) if d.verified)
    assert event["triggerType"] == "approval" and event["data"]["workspaceId"] == crew.id

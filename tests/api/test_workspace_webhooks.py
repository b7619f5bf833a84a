"""docs/API.md, "Workspaces" and "Webhooks": a subscription may name a shared workspace (its
owners and admins only) and then receives every member's changes there; a webhook's routes
find it by id in any workspace whose webhooks the caller manages, and nobody else's."""

from __future__ import annotations

from typing import Any

import pytest

from tests.api.conftest import Api, assert_error
from tests.api.workspace_helpers import create_workspace, join, verified_user

# Locally, http to loopback is allowed (docs/API.md, "Webhooks"); nothing is delivered here.
HOOK = {"hookUrl": "http://127.0.0.1:9/hooks", "triggerType": "task"}


@pytest.fixture
def owner(stack: dict[str, Any]) -> Api:
    return verified_user(stack)


@pytest.fixture
def other(stack: dict[str, Any]) -> Api:
    return verified_user(stack)


def _subscribe(api: Api, **fields: Any) -> Any:
    return api.post("/v1/webhooks", json={**HOOK, **fields})


def test_owners_and_admins_subscribe_to_a_shared_workspace(owner: Api, other: Api) -> None:
    shared = create_workspace(owner)["id"]
    made = _subscribe(owner, workspaceId=shared)
    assert made.status_code == 201, made.text
    webhook = made.json()["webhook"]
    assert webhook["workspaceId"] == shared and webhook["secret"].startswith("whsec_")
    mine = _subscribe(owner).json()["webhook"]
    assert mine["workspaceId"] == owner.get("/v1/me").json()["personalWorkspaceId"]
    listed = {w["id"] for w in owner.get("/v1/webhooks").json()["webhooks"]}
    assert listed == {webhook["id"], mine["id"]}
    assert owner.get(f"/v1/webhooks/{webhook['id']}").json()["webhook"]["workspaceId"] == shared

    # A plain member may not subscribe there, sees none of its webhooks, reaches none by id.
    join(owner, shared, other, "member")
    assert_error(_subscribe(other, workspaceId=shared), 403, "forbidden")
    assert other.get("/v1/webhooks").json()["webhooks"] == []
    assert_error(other.get(f"/v1/webhooks/{webhook['id']}"), 404, "not_found")
    assert_error(other.delete(f"/v1/webhooks/{webhook['id']}"), 404, "not_found")

    # An admin manages them.
    assert (
        owner.patch(
            f"/v1/workspaces/{shared}/members/{other.get('/v1/me').json()['id']}",
            json={"role": "admin"},
        ).status_code
        == 200
    )
    assert webhook["id"] in {w["id"] for w in other.get("/v1/webhooks").json()["webhooks"]}
    assert other.delete(f"/v1/webhooks/{webhook['id']}").status_code == 204


def test_a_non_members_workspace_is_refused(owner: Api, other: Api) -> None:
    shared = create_workspace(owner)["id"]
    assert_error(_subscribe(other, workspaceId=shared), 400, "validation_error")

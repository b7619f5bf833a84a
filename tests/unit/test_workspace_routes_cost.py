"""docs/DESIGN.md, "Workspaces": the workspace routes make the DynamoDB round trips the data design
needs (bench/roundtrips.py's `MINIMUM`, with the reasons) and no more. Through the real handlers,
in a warm execution environment (each user has made a request before), with every DynamoDB call
counted by operation; and what the fewer reads leave to the transaction's conditions."""

from __future__ import annotations

from typing import Any

from tests.recorders import calls

from .handlers import Answer, call, pool_user

# The function of a path's first segment, where they differ.
_GROUPS = {"invitations": "workspaces", "projects": "catalog", "me": "users"}


class User:
    """A user of the pool, calling the handlers as themselves."""

    def __init__(self, pool_id: str) -> None:
        self.id, self.email = pool_user(pool_id)

    def __call__(self, method: str, path: str, body: Any = None) -> Answer:
        answer = self.answer(method, path, body)
        assert answer.status < 300, (method, path, answer.status, answer.body)
        return answer

    def answer(self, method: str, path: str, body: Any = None) -> Answer:
        group = path.split("/")[2]
        group = _GROUPS.get(group, group)
        return call(group, method, path, self.id, username=self.email, body=body)

    def counted(self, method: str, path: str, body: Any = None) -> dict[str, int]:
        """The request's DynamoDB calls, by operation."""
        with calls() as counted:
            self(method, path, body)
        return dict(counted)


def test_the_invitations_list_is_one_query(pool: str) -> None:
    owner, invitee = User(pool), User(pool)
    workspace = owner("POST", "/v1/workspaces", {"workspace": {"name": "Team"}}).body
    workspace_id = workspace["workspace"]["id"]
    owner("POST", f"/v1/workspaces/{workspace_id}/members", {"email": invitee.email})
    invitee("GET", "/v1/me")
    with calls() as counted:
        listed = invitee("GET", "/v1/invitations").body
    assert [i["workspaceId"] for i in listed["invitations"]] == [workspace_id]
    assert dict(counted) == {"Query": 1}

"""A member's paged sync while they leave and rejoin a shared workspace (docs/DESIGN.md, "Sync";
docs/API.md, "Sync tokens"), as a property: whatever the order of the owner's writes and
deletions, the member's own writes, their removals and returns and the pages they read (of any
`limit`), a client following the tokens ends with what a full sync gives, and gets no tombstone
for a project it never had and that was deleted while the member was away: back in the
workspace, it is new to them, its deletions from meanwhile no news. (A project deleted while they
were in, between two pages, may come as a tombstone: the page that lists it cannot know whether
an earlier one sent it.)"""

from __future__ import annotations

import itertools
from typing import Any

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from stint.models import WorkspaceFields
from stint.services import members, workspaces
from stint.services.sync import sync
from stint.store import Delete, Put, Store

from .conftest import join, pool_user

_users = itertools.count(1000)  # each example's users are new to the test's pool

STEPS = st.lists(
    st.one_of(
        st.tuples(st.just("own"), st.integers(1, 3)),
        st.tuples(st.just("shared")),
        st.tuples(st.just("delete"), st.integers(0, 5)),
        st.tuples(st.just("page"), st.integers(1, 3)),
        st.tuples(st.just("leave")),
        st.tuples(st.just("rejoin")),
    ),
    min_size=1,
    max_size=20,
)


class _Client:
    """Follows the member's sync tokens: upserts projects, drops the deleted ones and, for a
    workspace's tombstone, that workspace's."""

    def __init__(self, member: Any) -> None:
        self.member = member
        self.token = "*"
        self.live: dict[str, dict[str, Any]] = {}
        self.deleted_while_away: set[str] = set()

    def page(self, limit: int) -> bool:
        page = sync(self.member, self.token, limit)
        for gone in page.get("deleted", []):
            if gone["type"] == "project":
                had = self.live.pop(gone["id"], None)
                assert had is not None or gone["id"] not in self.deleted_while_away, gone
            elif gone["type"] == "workspace":
                for project_id, project in list(self.live.items()):
                    if project.get("workspaceId") == gone["id"]:
                        del self.live[project_id]
        for project in page.get("projects", []):
            self.live[project["id"]] = project
        self.token = page["syncToken"]
        return bool(page["hasMore"])


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(steps=STEPS)
# A page that reached the workspace with no room left, the member removed before the next, the
# pages going on, a deletion while away, and a return before the last page.
@example(
    steps=[
        ("own", 1),
        ("shared",),
        ("shared",),
        ("page", 2),
        ("leave",),
        ("own", 3),
        ("page", 2),
        ("delete", 0),
        ("rejoin",),
    ]
)
def test_a_members_pages_across_leaving_and_rejoining_agree_with_a_full_sync(
    pool: str, steps: list[tuple[Any, ...]]
) -> None:
    (owner, _), (member, email) = pool_user(pool, next(_users)), pool_user(pool, next(_users))
    workspace_id = workspaces.create_workspace(owner, WorkspaceFields(name="T")).entity["id"]
    join(owner, workspace_id, member, email)
    inside, shared, made = True, {}, itertools.count()
    client = _Client(member)
    for step in steps:
        if step[0] == "own":
            own = [f"own{next(made)}" for _ in range(step[1])]
            Store(member.user_id).commit([Put("project", {"id": i, "title": "O"}) for i in own])
        elif step[0] == "shared":
            project_id = f"shared{next(made)}"
            committed = Store(owner.user_id, workspace_id).commit(
                [Put("project", {"id": project_id, "title": "S"})]
            )
            shared[project_id] = committed.seq_of("project", project_id)
        elif step[0] == "delete" and shared:
            project_id = sorted(shared)[step[1] % len(shared)]
            Store(owner.user_id, workspace_id).commit(
                [Delete("project", project_id, shared.pop(project_id))]
            )
            if not inside:
                client.deleted_while_away.add(project_id)
        elif step[0] == "page":
            client.page(step[1])
        elif step[0] == "leave" and inside:
            members.remove_member(owner, workspace_id, member.user_id, None)
            inside = False
        elif step[0] == "rejoin" and not inside:
            join(owner, workspace_id, member, email)
            inside = True
    while client.page(100):
        pass
    full = sync(member, None, 1000)
    assert not full["hasMore"]
    assert set(client.live) == {project["id"] for project in full.get("projects", [])}

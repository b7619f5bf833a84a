"""A member's sync when what they may see changes (docs/DESIGN.md, "Private projects" and
"Money"; docs/API.md, "Sync tokens").

A role change sends the private projects the member came to see, whole, or their deletions;
what it sends counts against the page's `limit`. A change under a private project reaches a
member who does not see it as its deletion, never its content, and a full sync lists none.
When the member comes to see money (or stops), the workspace is read whole again, their own
sessions too, with the deletions since the token still news; a page that does not reach the
workspace leaves that for a later one. Each time a client following the tokens ends with what
a full sync gives, and the sync after it lists nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest

from stint.kinds import KINDS
from stint.models import (
    MemberPatch,
    ProjectFields,
    SessionBody,
    TaskFields,
    WorkspaceFields,
    WorkspacePatchFields,
)
from stint.services import catalog, members, sessions, workspaces
from stint.services.common import Caller
from stint.services.sync import SyncToken, sync
from stint.services.tasks import create_task

from .conftest import join, pool_user

LISTS = ("projects", "tasks", "sessions")
QUIET = {"syncToken", "hasMore", "workspaces"}


@dataclass
class Team:
    owner: Caller
    member: Caller
    workspace_id: str
    open_task: str  # under a public project
    secret: str  # a private project the member is not on
    secret_task: str


def _team(pool: str, n: int, *, name: str = "Team", rates: bool = True) -> Team:
    """An owner and a member of a shared workspace, a public project with a task, and a private
    one with a task; `n` numbers the pool's users. `rates`: members see money there, so that
    a role change changes only what they see of private projects."""
    (owner, _), (member, email) = pool_user(pool, n), pool_user(pool, n + 1)
    workspace_id = workspaces.create_workspace(owner, WorkspaceFields(name=name)).entity["id"]
    join(owner, workspace_id, member, email)
    return _with_projects(owner, member, workspace_id, rates=rates)


def _with_projects(owner: Caller, member: Caller, workspace_id: str, *, rates: bool = True) -> Team:
    open_project = catalog.create_project(
        owner, ProjectFields(title="Open", workspaceId=workspace_id)
    ).entity
    open_task = create_task(owner, TaskFields(title="Work", projectId=open_project["id"])).entity
    secret = catalog.create_project(
        owner, ProjectFields(title="Secret", workspaceId=workspace_id, isPublic=False)
    ).entity
    secret_task = create_task(owner, TaskFields(title="Hidden", projectId=secret["id"])).entity
    team = Team(owner, member, workspace_id, open_task["id"], secret["id"], secret_task["id"])
    _sees_rates(team, rates)
    return team


def _role(team: Team, role: str) -> None:
    patch = MemberPatch.model_validate({"role": role})
    members.update_member(team.owner, team.workspace_id, team.member.user_id, patch, None)


def _track(who: Caller, task_id: str) -> str:
    body = {
        "task": {"id": task_id},
        "session": {"startTimestamp": "2026-11-22T09:30:00Z", "duration": 600},
    }
    return str(sessions.write_session(who, SessionBody.model_validate(body)).session.entity["id"])


def _deleted(page: dict[str, Any]) -> set[tuple[str, str]]:
    return {(d["type"], d["id"]) for d in page.get("deleted", [])}


class Replica:
    """A client following sync tokens: upserts each entity, drops each deletion."""

    def __init__(self, caller: Caller) -> None:
        self.caller = caller
        self.token = "*"
        self.live: dict[tuple[str, str], dict[str, Any]] = {}
        self.pages: list[dict[str, Any]] = []

    def page(self, limit: int) -> dict[str, Any]:
        page = sync(self.caller, self.token, limit)
        for name in LISTS:
            for entity in page.get(name, []):
                self.live[(name, entity["id"])] = entity
        for gone in page.get("deleted", []):
            if gone["type"] in KINDS:
                self.live.pop((KINDS[gone["type"]].plural, gone["id"]), None)
        self.token = page["syncToken"]
        self.pages.append(page)
        return page

    def catch_up(self, limit: int = 100) -> list[dict[str, Any]]:
        """Follow the pages to the end; the pages read."""
        first = len(self.pages)
        while self.page(limit)["hasMore"]:
            pass
        return self.pages[first:]

    def sent(self, pages: list[dict[str, Any]], name: str) -> set[str]:
        return {e["id"] for page in pages for e in page.get(name, [])}

    def check(self) -> None:
        """The replica is what a full sync gives, and the next sync lists nothing."""
        full = sync(self.caller, None, 1000)
        assert not full["hasMore"]
        assert set(self.live) == {(n, e["id"]) for n in LISTS for e in full.get(n, [])}
        assert set(sync(self.caller, self.token, 100)) == QUIET


def test_a_role_change_sends_the_private_projects_whole_or_their_deletions(pool: str) -> None:
    team = _team(pool, 1)
    client = Replica(team.member)
    client.catch_up()
    assert ("projects", team.secret) not in client.live

    _role(team, "manager")
    (up,) = client.catch_up()
    assert {p["id"] for p in up["projects"]} == {team.secret}
    assert {t["id"] for t in up["tasks"]} == {team.secret_task} and "deleted" not in up
    client.check()

    _role(team, "member")
    (down,) = client.catch_up()
    assert _deleted(down) == {("project", team.secret), ("task", team.secret_task)}
    assert set(down) == QUIET | {"deleted"}
    assert all(d["lastUpdated"] for d in down["deleted"])
    client.check()


def test_what_a_role_change_sends_fills_the_page(pool: str) -> None:
    team = _team(pool, 10)
    client = Replica(team.member)
    client.catch_up()
    _role(team, "manager")
    client.catch_up()
    _role(team, "member")
    mine = catalog.create_project(team.member, ProjectFields(title="Mine")).entity["id"]
    # The two deletions fill a page of 2: the member's own change waits for the next page.
    first = client.page(2)
    assert first["hasMore"] and set(first) == QUIET | {"deleted"}
    assert len(first["deleted"]) == 2
    (second,) = client.catch_up(2)
    assert [p["id"] for p in second["projects"]] == [mine]
    client.check()


def test_role_changes_in_two_workspaces_are_both_sent_and_counted(pool: str) -> None:
    first = _team(pool, 20, name="First")
    second = _with_projects(
        first.owner,
        first.member,
        workspaces.create_workspace(first.owner, WorkspaceFields(name="Second")).entity["id"],
    )
    email = "member21@example.com"
    join(first.owner, second.workspace_id, first.member, email)
    client = Replica(first.member)
    for team in (first, second):
        _role(team, "manager")
    client.catch_up()
    for team in (first, second):
        _role(team, "member")
    catalog.create_project(first.member, ProjectFields(title="Mine"))
    page = client.page(4)
    assert page["hasMore"] and set(page) == QUIET | {"deleted"}
    assert _deleted(page) == {
        (kind, entity_id)
        for team in (first, second)
        for kind, entity_id in (("project", team.secret), ("task", team.secret_task))
    }
    client.catch_up(4)
    client.check()


def test_a_workspace_new_to_the_token_does_not_hide_a_role_change_after_it(pool: str) -> None:
    """Sync reads the shared workspaces by id: the one joined since the token comes first."""
    (owner, _), (member, email) = pool_user(pool, 30), pool_user(pool, 31)
    ids = sorted(
        workspaces.create_workspace(owner, WorkspaceFields(name=name)).entity["id"]
        for name in ("A", "B")
    )
    joined_later, changed = ids
    team = _with_projects(owner, member, changed)
    _with_projects(owner, member, joined_later)
    join(owner, changed, member, email)
    client = Replica(member)
    client.catch_up()
    join(owner, joined_later, member, email)
    _role(team, "manager")
    (page,) = client.catch_up()
    assert team.secret in {p["id"] for p in page["projects"]}
    client.check()


def test_a_change_under_a_private_project_reaches_a_member_as_its_deletion(pool: str) -> None:
    team = _team(pool, 40)
    client = Replica(team.member)
    (full,) = client.catch_up()
    assert "deleted" not in full  # what they never had: no deletion either
    assert ("tasks", team.secret_task) not in client.live and (
        "tasks",
        team.open_task,
    ) in client.live

    added = create_task(team.owner, TaskFields(title="More", projectId=team.secret)).entity
    (page,) = client.catch_up()
    assert set(page) == QUIET | {"deleted"}  # never its content
    assert page["deleted"] == [
        {"type": "task", "id": added["id"], "lastUpdated": added["lastUpdated"]}
    ]
    client.check()


def test_an_audience_change_counts_what_it_sends_against_the_page(pool: str) -> None:
    team = _team(pool, 50)
    public = catalog.create_project(
        team.owner, ProjectFields(title="Soon private", workspaceId=team.workspace_id)
    ).entity
    create_task(team.owner, TaskFields(title="Under it", projectId=public["id"]))
    client = Replica(team.member)
    client.catch_up()
    hidden = ProjectFields.model_validate({"isPublic": False})
    catalog.update_project(team.owner, public["id"], hidden, None)
    _track(team.member, team.open_task)  # the member's own stream, read after the catalog
    # Two changes (the project, its mark) send three deletions (the project twice, its task):
    # a page of 3 is full, the member's session waits for the next.
    first = client.page(3)
    assert first["hasMore"] and set(first) == QUIET | {"deleted"}
    assert {d["type"] for d in first["deleted"]} == {"project", "task"}
    (second,) = client.catch_up(3)
    assert len(second["sessions"]) == 1
    client.check()


def _sees_rates(team: Team, see: bool) -> None:
    patch = WorkspacePatchFields.model_validate({"settings": {"membersSeeRates": see}})
    workspaces.update_workspace(team.owner, team.workspace_id, patch, None)


def test_coming_to_see_money_reads_the_workspace_whole_again(pool: str) -> None:
    team = _team(pool, 60, rates=False)
    own = _track(team.member, team.open_task)
    client = Replica(team.member)
    client.catch_up()
    assert SyncToken.decode(client.token, team.member.user_id).blind == [team.workspace_id]

    _sees_rates(team, True)
    again = client.catch_up()
    assert client.sent(again, "sessions") == {own}
    assert client.sent(again, "tasks") == {team.open_task}
    assert len(client.sent(again, "projects")) == 1  # Open, the first entity written in it
    assert SyncToken.decode(client.token, team.member.user_id).blind == []
    client.check()

    _sees_rates(team, False)
    again = client.catch_up()
    assert client.sent(again, "sessions") == {own}
    assert SyncToken.decode(client.token, team.member.user_id).blind == [team.workspace_id]
    client.check()


@pytest.mark.parametrize("personal", [1, 2])
def test_a_page_without_room_for_the_workspace_leaves_its_reread_for_later(
    pool: str, personal: int
) -> None:
    """`personal` changes in the personal workspace, read first, fill a page of 1: with 1 the
    page reaches the workspace with no room left, with 2 it does not reach it."""
    team = _team(pool, 70 + 10 * personal, rates=False)
    own = _track(team.member, team.open_task)
    client = Replica(team.member)
    client.catch_up()
    _sees_rates(team, True)
    for n in range(personal):
        catalog.create_project(team.member, ProjectFields(title=f"Mine {n}"))
    first = client.page(1)
    assert first["hasMore"] and "sessions" not in first
    rest = client.catch_up(1)
    assert client.sent(rest, "sessions") == {own}
    # Open, the first change of the workspace (seq 1), comes again too.
    assert "Open" in {p["title"] for page in rest for p in page.get("projects", [])}
    client.check()


def test_the_deletions_since_the_token_are_news_when_it_is_read_whole_again(pool: str) -> None:
    team = _team(pool, 100, rates=False)
    own = _track(team.member, team.open_task)
    client = Replica(team.member)
    client.catch_up()
    # The member deletes their session, then the catalog changes; a page of 1 reads the catalog
    # past the deletion and is full before the member's own stream.
    sessions.delete_session(team.member, own, if_match=None)
    catalog.create_project(team.owner, ProjectFields(title="Later", workspaceId=team.workspace_id))
    assert client.page(1)["hasMore"]
    _sees_rates(team, True)
    client.catch_up()
    assert ("sessions", own) not in client.live
    client.check()

"""Every valid value of every request model through the whole pipeline.

For bodies drawn from the models (tests/property/strategies.py), over the real HTTP API of the
local stack: the write is a 2xx (a valid value is never refused, nor answered with a 5xx);
what it returns is what a `GET` returns and what the next sync returns; sending back what was
got (`PATCH`, or `PUT` for sessions) is accepted and changes nothing but `lastUpdated`; and
each change reaches the subscribed receiver with that same state, its signature verified with
`standardwebhooks`, and every committed change on the table's stream is delivered.
The workspace routes' bodies (a workspace, an invitation, a role) are checked against GET, the
sync's `workspaces` and the members' list, which is what shows them.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from stint import models
from tests.api.workspace_helpers import create_workspace, join, uid, verified_user
from tests.pipeline import (
    TRIGGER_OF_KIND,
    answer_problem,
    committed_changes,
    undelivered,
    wait_until,
)
from tests.property.conftest import STATS, Account
from tests.property.strategies import (
    OMIT,
    SESSION_START_MAX,
    body,
    plain,
    tag_names,
    timestamps,
    titles,
)

EXAMPLES = int(os.environ.get("STINT_PROPERTY_EXAMPLES") or 25)
DELIVERY_WAIT_S = 30.0
SETTINGS = settings(
    max_examples=EXAMPLES,
    deadline=None,
    database=None,
    derandomize=True,
    suppress_health_check=list(HealthCheck),
    # No shrinking: against a live server it repeats a failing write hundreds of times; the
    # failing example is printed as drawn.
    phases=[Phase.explicit, Phase.generate],
)


def check_answer(account: Account, response: Any) -> None:
    """A 2xx, or a 4xx with docs/API.md's error body; never a 5xx."""
    account.answers.check(response, crashes_allowed=False)
    problem = answer_problem(response, crashes_allowed=False)
    assert problem is None, (
        f"{response.request.method} {response.request.path_url}: {problem}: {response.text[:300]}"
    )


def round_trip(
    account: Account,
    kind: str,
    create: tuple[str, str],
    body_: dict[str, Any],
    send_back: Callable[[dict[str, Any]], tuple[str, str, dict[str, Any]]],
) -> None:
    api = account.api
    STATS["examples"] += 1
    method, path = create
    response = api.request(method, path, json=plain(body_))
    check_answer(account, response)
    assert response.status_code in (200, 201), f"a valid {kind} was refused: {response.text}"
    written = response.json()[kind]
    trigger = TRIGGER_OF_KIND[kind]
    account.expected.append((f"{trigger}.created", written))

    entity_path = f"/v1/{'categories' if kind == 'category' else kind + 's'}/{written['id']}"
    got = api.get(entity_path)
    check_answer(account, got)
    assert got.status_code == 200, got.text
    assert got.json()[kind] == written, "the write's answer differs from its GET"
    account.replica.sync()
    assert account.replica.entities[(kind, written["id"])] == written, "the sync differs"

    method, path, again = send_back(got.json()[kind])
    sent_back = api.request(method, path, json=again)
    check_answer(account, sent_back)
    assert sent_back.status_code == 200, f"sending back what was got: {sent_back.text}"
    changed = sent_back.json()[kind]
    same = {k: v for k, v in changed.items() if k not in ("lastUpdated", "edited")}
    assert same == {k: v for k, v in written.items() if k not in ("lastUpdated", "edited")}
    account.expected.append((f"{trigger}.updated", changed))
    account.replica.sync()
    assert account.replica.entities[(kind, written["id"])] == changed
    STATS["writes"] += 2


def check_deliveries(account: Account) -> None:
    """Each acknowledged state reached the receiver as is; every committed change did."""
    receiver = account.receiver

    def delivered(event_type: str, entity: dict[str, Any]) -> bool:
        return any(
            (d.payload or {}).get("type") == event_type and (d.payload or {}).get("data") == entity
            for d in receiver.unique().values()
        )

    expected, account.expected = list(account.expected), []  # a failure here fails this test only
    changes = committed_changes(account.stack, account.user_id)
    wait_until(
        lambda: all(delivered(*e) for e in expected) and not undelivered(changes, receiver),
        DELIVERY_WAIT_S,
    )
    missing = [f"{t} {e}" for t, e in expected if not delivered(t, e)]
    STATS["deliveries"] += len(expected) - len(missing)
    STATS["changes"] += len(changes)
    assert missing == [], f"{len(missing)} acknowledged states not delivered: {missing[:3]}"
    assert undelivered(changes, receiver) == [], "committed changes not delivered"


def personal(account: Account) -> st.SearchStrategy[Any]:
    """A `workspaceId` of the catalog: left out, or the personal workspace's (webhooks deliver
    the personal workspace's changes only: docs/API.md, "Webhooks")."""
    return st.one_of(st.just(OMIT), st.just(account.refs["workspace"]))


def test_projects(account: Account) -> None:
    categories = st.one_of(st.just(OMIT), st.none(), st.just(account.refs["category"]))
    clients = st.one_of(st.just(OMIT), st.none(), st.just(account.refs["client"]))
    refs = {"categoryId": categories, "clientId": clients, "workspaceId": personal(account)}

    @SETTINGS
    @given(fields=body(models.ProjectFields, refs))
    def example(fields: dict[str, Any]) -> None:
        def patch(got: dict[str, Any]) -> tuple[str, str, dict[str, Any]]:
            return "PATCH", f"/v1/projects/{got['id']}", {"project": got}

        round_trip(account, "project", ("POST", "/v1/projects"), {"project": fields}, patch)

    example()
    check_deliveries(account)


def test_categories(account: Account) -> None:
    @SETTINGS
    @given(
        fields=body(models.CategoryFields, {"title": titles(), "workspaceId": personal(account)})
    )
    def example(fields: dict[str, Any]) -> None:
        def patch(got: dict[str, Any]) -> tuple[str, str, dict[str, Any]]:
            return "PATCH", f"/v1/categories/{got['id']}", {"category": got}

        round_trip(account, "category", ("POST", "/v1/categories"), {"category": fields}, patch)

    example()
    check_deliveries(account)


def test_clients(account: Account) -> None:
    @SETTINGS
    @given(fields=body(models.ClientFields, {"name": titles(), "workspaceId": personal(account)}))
    def example(fields: dict[str, Any]) -> None:
        def patch(got: dict[str, Any]) -> tuple[str, str, dict[str, Any]]:
            return "PATCH", f"/v1/clients/{got['id']}", {"client": got}

        round_trip(account, "client", ("POST", "/v1/clients"), {"client": fields}, patch)

    example()
    check_deliveries(account)


def test_tags(account: Account) -> None:
    @SETTINGS
    @given(fields=body(models.TagFields, {"name": tag_names(), "workspaceId": personal(account)}))
    def example(fields: dict[str, Any]) -> None:
        def patch(got: dict[str, Any]) -> tuple[str, str, dict[str, Any]]:
            return "PATCH", f"/v1/tags/{got['id']}", {"tag": got}

        # Names are unique per user (a name the account has is a 409): numbered, kept in range.
        fields = {**fields, "name": f"{STATS['examples']}.{fields['name']}".strip()[:100]}
        round_trip(account, "tag", ("POST", "/v1/tags"), {"tag": fields}, patch)

    example()
    check_deliveries(account)


def test_tasks(account: Account) -> None:
    projects = st.one_of(st.just(OMIT), st.just(account.refs["project"]))
    # A member of the task's workspace (the personal one: the account alone), or nobody.
    assignees = st.one_of(st.just(OMIT), st.none(), st.just(account.user_id))

    # docs/API.md, "Timers": a permanent task cannot be completed (409 permanent_task).
    tasks = body(models.TaskFields, {"projectId": projects, "assigneeId": assignees}).filter(
        lambda task: not (task.get("taskType") == "permanent" and task.get("isCompleted"))
    )

    @SETTINGS
    @given(fields=tasks)
    def example(fields: dict[str, Any]) -> None:
        def patch(got: dict[str, Any]) -> tuple[str, str, dict[str, Any]]:
            return "PATCH", f"/v1/tasks/{got['id']}", {"task": got}

        round_trip(account, "task", ("POST", "/v1/tasks"), {"task": fields}, patch)

    example()
    check_deliveries(account)


def test_subtasks(account: Account) -> None:
    task = account.refs["task"]

    @SETTINGS
    @given(fields=body(models.SubtaskFields, {"title": titles(), "taskId": st.just(OMIT)}))
    def example(fields: dict[str, Any]) -> None:
        def patch(got: dict[str, Any]) -> tuple[str, str, dict[str, Any]]:
            return "PATCH", f"/v1/subtasks/{got['id']}", {"subtask": got}

        create = ("POST", f"/v1/tasks/{task}/subtasks")
        round_trip(account, "subtask", create, {"subtask": fields}, patch)

    example()
    check_deliveries(account)


def test_sessions(account: Account) -> None:
    refs = account.refs
    task_refs = st.one_of(
        st.just({"id": refs["task"]}),
        body(models.SessionTaskRef, {"id": st.just(OMIT), "title": titles(),
                                     "projectId": st.just(refs["project"])}),
    )  # fmt: skip
    project_refs = st.one_of(st.just(OMIT), st.just({"id": refs["project"]}))
    sessions = body(
        models.SessionFields,
        {"startTimestamp": timestamps(SESSION_START_MAX), "subtaskId": st.just(OMIT)},
    )

    @SETTINGS
    @given(task=task_refs, project=project_refs, session=sessions)
    def example(task: dict[str, Any], project: Any, session: dict[str, Any]) -> None:
        request: dict[str, Any] = {"task": task, "session": session}
        if project is not OMIT and "id" not in task:
            request["project"] = project

        def put(got: dict[str, Any]) -> tuple[str, str, dict[str, Any]]:
            again = {"task": {"id": got["taskId"]}, "session": got}
            return "PUT", f"/v1/sessions/{got['id']}", again

        round_trip(account, "session", ("POST", "/v1/sessions"), request, put)

    example()
    check_deliveries(account)


def test_the_profile(account: Account) -> None:
    @SETTINGS
    @given(fields=body(models.UserPatch, {"defaultProject": st.just(OMIT)}))
    def example(fields: dict[str, Any]) -> None:
        STATS["examples"] += 1
        response = account.api.patch("/v1/me", json=plain(fields))
        check_answer(account, response)
        assert response.status_code == 200, f"a valid profile was refused: {response.text}"
        got = account.api.get("/v1/me")
        assert got.json() == response.json()
        again = account.api.patch("/v1/me", json=got.json())
        assert again.status_code == 200, again.text
        assert again.json() == got.json()

    example()


@pytest.mark.parametrize("zone_range", ["0001", "9999"])
def test_reports_in_every_time_zone(account: Account, zone_range: str) -> None:
    """groupBy=day in every IANA zone, over sessions at the first and last instants."""
    from zoneinfo import available_timezones

    api = account.api
    # At the ends of the documented range (stint.timeutil); `to` is exclusive.
    start = "0001-01-02T00:00:00Z" if zone_range == "0001" else "9999-12-22T23:00:00Z"
    response = api.post(
        "/v1/sessions",
        json={"task": {"id": account.refs["task"]},
              "session": {"startTimestamp": start, "duration": 3600}},
    )  # fmt: skip
    check_answer(account, response)
    assert response.status_code == 201, response.text
    window = (
        {"from": "0001-01-02T00:00:00Z", "to": "0001-12-31T00:00:00Z"}
        if zone_range == "0001"
        else {"from": "9999-01-01T00:00:00Z", "to": "9999-12-23T00:00:00Z"}
    )
    # The account's other examples may have sessions in the window too: every zone's totals
    # are the UTC report's (a zone changes the days, never what the range holds).
    utc = api.get("/v1/reports/summary", params={**window, "tz": "UTC", "groupBy": "project"})
    assert utc.status_code == 200, utc.text
    expected = utc.json()["totals"]["sessions"]
    assert expected >= 1
    failed = []
    for zone in sorted(available_timezones()):
        for group_by in ("day",):
            answer = api.get(
                "/v1/reports/summary", params={**window, "tz": zone, "groupBy": group_by}
            )
            account.answers.check(answer, crashes_allowed=False)
            if (
                answer_problem(answer, crashes_allowed=False)
                or answer.status_code != 200
                or answer.json()["totals"]["sessions"] != expected
            ):
                failed.append(f"{zone} {group_by}: {answer.status_code} {answer.text[:200]}")
        STATS["zones"] += 1
    assert failed == [], f"{len(failed)} reports failed: {failed[:5]}"


# What the workspace routes take (stint.models.workspaces): a workspace's name and settings, an
# invitation, a role. Shared workspaces are neither in the sync's entities nor delivered by
# webhooks (docs/API.md, "Workspaces"): each example is checked against GET, the sync's
# `workspaces` and the members' list instead.
BLANKS = " \t\n\r\f\v"  # what an invitation's email is trimmed of (docs/API.md, "Invitations")


def test_workspaces(account: Account) -> None:
    api = account.api

    @SETTINGS
    @given(fields=body(models.WorkspaceFields, {"name": titles()}))
    def example(fields: dict[str, Any]) -> None:
        STATS["examples"] += 1
        response = api.post("/v1/workspaces", json={"workspace": plain(fields)})
        check_answer(account, response)
        assert response.status_code == 201, f"a valid workspace was refused: {response.text}"
        written = response.json()["workspace"]
        path = f"/v1/workspaces/{written['id']}"
        got = api.get(path)
        check_answer(account, got)
        assert got.status_code == 200, got.text
        assert got.json()["workspace"] == written, "the write's answer differs from its GET"
        page = api.get("/v1/sync", params={"syncToken": "*"})
        check_answer(account, page)
        synced = {workspace["id"]: workspace for workspace in page.json()["workspaces"]}
        assert synced[written["id"]] == written, "the sync differs"
        # Its writable fields as got: the whole workspace as got is refused
        # (tests/api/test_workspaces.py, test_a_workspace_sent_back_as_got_is_accepted).
        again = {"workspace": {key: written[key] for key in ("name", "settings")}}
        sent_back = api.patch(path, json=again)
        check_answer(account, sent_back)
        assert sent_back.status_code == 200, f"sending back what was got: {sent_back.text}"
        changed = sent_back.json()["workspace"]
        assert {**changed, "lastUpdated": None} == {**written, "lastUpdated": None}
        deleted = api.delete(path)  # a user belongs to at most 50 workspaces
        check_answer(account, deleted)
        assert deleted.status_code == 204, deleted.text
        STATS["writes"] += 3

    example()


def test_invitations(account: Account) -> None:
    api = account.api
    workspace = create_workspace(api, "Invitations")
    path = f"/v1/workspaces/{workspace['id']}"

    @SETTINGS
    @given(fields=body(models.MemberBody))
    def example(fields: dict[str, Any]) -> None:
        STATS["examples"] += 1
        response = api.post(f"{path}/members", json=fields)
        check_answer(account, response)
        assert response.status_code == 201, f"a valid invitation was refused: {response.text}"
        invitation = response.json()["invitation"]
        assert invitation["email"] == fields["email"].strip(BLANKS).lower()
        assert invitation["role"] == fields.get("role", "member")
        assert invitation["workspaceId"] == workspace["id"]
        listed = api.get(f"{path}/members")
        check_answer(account, listed)
        assert listed.status_code == 200, listed.text
        assert invitation in listed.json()["invitations"], "not among the pending invitations"
        revoked = api.delete(f"{path}/invitations/{invitation['id']}")  # its email again next
        check_answer(account, revoked)
        assert revoked.status_code == 204, revoked.text
        STATS["writes"] += 2

    example()


def test_roles(account: Account) -> None:
    api = account.api
    workspace = create_workspace(api, "Roles")
    path = f"/v1/workspaces/{workspace['id']}/members"
    other = verified_user(account.stack)
    join(api, workspace["id"], other)
    other_id = uid(other)

    @SETTINGS
    @given(fields=body(models.MemberPatch))
    def example(fields: dict[str, Any]) -> None:
        STATS["examples"] += 1
        listing = api.get(path)
        assert listing.status_code == 200, listing.text
        before = next(m for m in listing.json()["members"] if m["userId"] == other_id)
        response = api.patch(f"{path}/{other_id}", json=plain(fields))
        check_answer(account, response)
        assert response.status_code == 200, f"a valid change was refused: {response.text}"
        member = response.json()["member"]
        # The role and the rates sent changed; the rest is as it was (a member's other fields
        # are accepted as sent back, and ignored).
        changed = {
            k: v for k, v in plain(fields).items() if k in ("role", "billableRate", "costRate")
        }
        assert member == {**before, **changed}, (member, before, fields)
        listed = api.get(path)
        check_answer(account, listed)
        assert member in listed.json()["members"], "the members' list differs"
        if member["role"] == "owner":
            # Handed over: the account is an admin, and the new owner hands it back.
            back = other.patch(f"{path}/{account.user_id}", json={"role": "owner"})
            check_answer(account, back)
            assert back.status_code == 200, back.text
        else:
            # The role as got changes nothing (the whole member as got is refused:
            # tests/api/test_workspaces.py, test_a_member_sent_back_as_got_is_accepted).
            again = api.patch(f"{path}/{other_id}", json={"role": member["role"]})
            check_answer(account, again)
            assert again.status_code == 200, f"sending back what was got: {again.text}"
            assert again.json()["member"] == member
        STATS["writes"] += 2

    example()

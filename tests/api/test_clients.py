"""docs/API.md, "Clients": clients as a synced kind of the workspace, a project's `clientId`, and
what clients take part in (sync, search, reports, roles)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any
from urllib.parse import urlencode

import pytest

from tests.api.conftest import Api, assert_error
from tests.api.test_sync import sync_all
from tests.api.workspace_helpers import Crew, make_crew

CLIENT_KEYS = {"id", "workspaceId", "name", "isArchived", "lastUpdated"}


def client(api: Api, name: str = "Acme", **fields: Any) -> dict[str, Any]:
    response = api.post("/v1/clients", json={"client": {"name": name, **fields}})
    assert response.status_code == 201, response.text
    made = dict(response.json()["client"])
    assert set(made) == CLIENT_KEYS
    assert response.headers["ETag"]
    assert response.headers["Location"].endswith(f"/v1/clients/{made['id']}")
    return made


def project(api: Api, title: str = "Site", **fields: Any) -> dict[str, Any]:
    return api.create("/v1/projects", "project", title=title, **fields)


def get_project(api: Api, project_id: str) -> dict[str, Any]:
    response = api.get(f"/v1/projects/{project_id}")
    assert response.status_code == 200, response.text
    return dict(response.json()["project"])


def listed(api: Api, query: str = "") -> list[dict[str, Any]]:
    response = api.get(f"/v1/clients{query}")
    assert response.status_code == 200, response.text
    return list(response.json()["clients"])


def me(api: Api) -> str:
    return str(api.get("/v1/me").json()["id"])


# ----------------------------------------------------------------------------- the routes


def test_client_lifecycle(api: Api) -> None:
    made = client(api, " Acme Corp ")
    assert made["name"] == "Acme Corp" and made["isArchived"] is False
    assert made["workspaceId"] == me(api)
    path = f"/v1/clients/{made['id']}"
    got = api.get(path)
    assert got.status_code == 200 and got.json() == {"client": made}
    renamed = api.patch(path, json={"client": {"name": "Acme"}})
    assert renamed.status_code == 200, renamed.text
    assert renamed.json()["client"]["name"] == "Acme"
    assert renamed.headers["ETag"] != got.headers["ETag"]
    assert listed(api) == [renamed.json()["client"]]
    # What was got may be sent back as it is: the read-only fields are ignored.
    sent_back = api.patch(path, json={"client": renamed.json()["client"]})
    assert sent_back.status_code == 200, sent_back.text
    assert sent_back.json()["client"]["name"] == "Acme"
    assert api.delete(path).status_code == 204
    assert_error(api.get(path), 404, "not_found")
    assert_error(api.patch(path, json={"client": {"name": "x"}}), 404, "not_found")
    assert_error(api.delete(path), 404, "not_found")
    assert listed(api, "?archived=all") == []


def test_archived_clients_are_listed_on_request(api: Api) -> None:
    active = client(api, "Active")
    archived = client(api, "Archived", isArchived=True)
    later = client(api, "Later")
    response = api.patch(f"/v1/clients/{later['id']}", json={"client": {"isArchived": True}})
    assert response.status_code == 200 and response.json()["client"]["isArchived"] is True
    assert {c["id"] for c in listed(api)} == {active["id"]}
    assert {c["id"] for c in listed(api, "?archived=false")} == {active["id"]}
    assert {c["id"] for c in listed(api, "?archived=true")} == {archived["id"], later["id"]}
    everything = {c["id"] for c in listed(api, "?archived=all")}
    assert everything == {active["id"], archived["id"], later["id"]}
    assert_error(api.get("/v1/clients?archived=maybe"), 400, "validation_error")
    # An archived client is still a client: it may be read and named by a project.
    assert api.get(f"/v1/clients/{archived['id']}").status_code == 200
    assert project(api, clientId=archived["id"])["clientId"] == archived["id"]


def test_client_bodies_are_checked(api: Api) -> None:
    def refused(body: Any, field: str) -> None:
        error = assert_error(api.post("/v1/clients", json=body), 400, "validation_error")
        assert any(d.get("field") == field for d in error["details"]), error

    refused({"client": {}}, "client.name")
    refused({"client": {"name": ""}}, "client.name")
    refused({"client": {"name": " \u200b "}}, "client.name")
    refused({"client": {"name": None}}, "client.name")
    refused({"client": {"name": "x" * 501}}, "client.name")
    refused({"client": {"name": "A", "isArchived": "true"}}, "client.isArchived")
    refused({"client": {"name": "A", "color": "red"}}, "client.color")
    refused({"client": {"name": "A", "id": "not an id"}}, "client.id")
    refused({"client": {"name": "A", "workspaceId": "nowhere"}}, "client.workspaceId")
    assert listed(api, "?archived=all") == []

    chosen = client(api, "Mine", id="client-1")
    assert chosen["id"] == "client-1"
    assert_error(
        api.post("/v1/clients", json={"client": {"id": "client-1", "name": "Again"}}),
        409,
        "conflict",
    )
    path = "/v1/clients/client-1"
    for body in (
        {"name": None},
        {"isArchived": None},
        {"id": "client-2"},
        {"workspaceId": "elsewhere"},
        {"lastUpdated": "yesterday"},
    ):
        assert_error(api.patch(path, json={"client": body}), 400, "validation_error")
    # Names need not be unique (docs/DESIGN.md, "Clients").
    twin = client(api, "Mine")
    assert twin["id"] != chosen["id"]
    assert sorted(c["name"] for c in listed(api)) == ["Mine", "Mine"]


def test_if_match(api: Api) -> None:
    made = api.post("/v1/clients", json={"client": {"name": "Acme"}})
    path = f"/v1/clients/{made.json()['client']['id']}"
    etag = made.headers["ETag"]
    stale = {"If-Match": '"1"'}
    assert_error(
        api.patch(path, json={"client": {"name": "B"}}, headers=stale), 412, "precondition_failed"
    )
    changed = api.patch(path, json={"client": {"name": "B"}}, headers={"If-Match": etag})
    assert changed.status_code == 200, changed.text
    assert_error(api.delete(path, headers={"If-Match": etag}), 412, "precondition_failed")
    assert api.get(path).json()["client"]["name"] == "B"
    assert api.delete(path, headers={"If-Match": changed.headers["ETag"]}).status_code == 204


def test_list_pages(api: Api) -> None:
    for i in range(5):
        client(api, f"C{i}")
    first = api.get("/v1/clients?limit=2")
    assert len(first.json()["clients"]) == 2 and first.json()["nextToken"]
    assert 'rel="next"' in first.headers["Link"]
    token = first.json()["nextToken"]
    second = api.get(f"/v1/clients?limit=10&nextToken={token}").json()
    assert len(second["clients"]) == 3 and "nextToken" not in second
    assert_error(api.get("/v1/clients?limit=0"), 400, "validation_error")
    assert_error(api.get("/v1/clients?limit=501"), 400, "validation_error")


# ----------------------------------------------------------------------------- isolation


def test_another_users_client_is_a_404(api: Api, other: Api) -> None:
    theirs = client(other, "Theirs")
    path = f"/v1/clients/{theirs['id']}"
    assert_error(api.get(path), 404, "not_found")
    assert_error(api.patch(path, json={"client": {"name": "Mine"}}), 404, "not_found")
    assert_error(api.delete(path), 404, "not_found")
    assert listed(api) == []
    error = assert_error(
        api.post("/v1/projects", json={"project": {"title": "P", "clientId": theirs["id"]}}),
        400,
        "validation_error",
    )
    assert error["details"][0]["field"] == "project.clientId"
    assert other.get(path).json()["client"] == theirs
    assert_error(api.get(f"/v1/clients?workspaceId={me(other)}"), 404, "not_found")


def test_a_project_names_a_client_of_its_own_workspace(stack: dict[str, Any]) -> None:
    crew = make_crew(stack, "Clients")
    personal = client(crew.owner, "Personal client")
    shared = client(crew.owner, "Shared client", workspaceId=crew.id)
    assert shared["workspaceId"] == crew.id
    assert [c["id"] for c in listed(crew.owner, f"?workspaceId={crew.id}")] == [shared["id"]]
    assert {c["id"] for c in listed(crew.owner)} == {personal["id"], shared["id"]}
    # A client of another workspace of the caller's is no client of the project's workspace.
    body = {"project": {"title": "P", "workspaceId": crew.id, "clientId": personal["id"]}}
    error = assert_error(crew.owner.post("/v1/projects", json=body), 400, "validation_error")
    assert error["details"][0]["field"] == "project.clientId"
    made = project(crew.owner, "P", workspaceId=crew.id, clientId=shared["id"])
    assert made["clientId"] == shared["id"]
    moved = crew.owner.patch(
        f"/v1/projects/{made['id']}", json={"project": {"clientId": personal["id"]}}
    )
    assert_error(moved, 400, "validation_error")
    # Every member reads the workspace's clients.
    assert crew.member.get(f"/v1/clients/{shared['id']}").json()["client"] == shared


# ----------------------------------------------------------------------------- roles


@pytest.fixture(scope="module")
def crew(stack: dict[str, Any]) -> Crew:
    return make_crew(stack, "Roles")


@pytest.fixture(scope="module")
def open_crew(stack: dict[str, Any]) -> Crew:
    return make_crew(stack, "Open", membersManageCatalog=True)


@pytest.mark.parametrize("role", ["owner", "admin", "manager", "member"])
def test_the_catalogs_roles_manage_clients(crew: Crew, role: str) -> None:
    actor = crew.by_role(role)
    body = {"client": {"name": f"By {role}", "workspaceId": crew.id}}
    kept = client(crew.owner, "Kept", workspaceId=crew.id)
    path = f"/v1/clients/{kept['id']}"
    if role == "member":
        assert_error(actor.post("/v1/clients", json=body), 403, "forbidden")
        patch = actor.patch(path, json={"client": {"name": "Changed"}})
        assert_error(patch, 403, "forbidden")
        assert_error(actor.delete(path), 403, "forbidden")
        assert actor.get(path).json()["client"] == kept
        assert kept["id"] in {c["id"] for c in listed(actor, f"?workspaceId={crew.id}")}
        return
    assert actor.post("/v1/clients", json=body).status_code == 201
    assert actor.patch(path, json={"client": {"name": "Changed"}}).status_code == 200
    assert actor.delete(path).status_code == 204


def test_members_manage_clients_with_members_manage_catalog(open_crew: Crew) -> None:
    made = client(open_crew.member, "Members' own", workspaceId=open_crew.id)
    path = f"/v1/clients/{made['id']}"
    assert open_crew.member.patch(path, json={"client": {"isArchived": True}}).status_code == 200
    assert open_crew.member.delete(path).status_code == 204


# ----------------------------------------------------------------------------- projects


def test_a_projects_client(api: Api) -> None:
    acme, beta = client(api, "Acme"), client(api, "Beta")
    plain = project(api, "Plain")
    assert plain["clientId"] is None
    inbox = [p for p in api.get("/v1/projects").json()["projects"] if p["id"] != plain["id"]]
    assert [p["clientId"] for p in inbox] == [None]  # the default project
    made = project(api, "Site", clientId=acme["id"])
    assert get_project(api, made["id"])["clientId"] == acme["id"]
    path = f"/v1/projects/{made['id']}"
    assert api.patch(path, json={"project": {"clientId": beta["id"]}}).status_code == 200
    assert get_project(api, made["id"])["clientId"] == beta["id"]
    assert api.patch(path, json={"project": {"clientId": None}}).status_code == 200
    assert get_project(api, made["id"])["clientId"] is None
    for bad in ("no-such-client", plain["id"]):  # a project's id is no client's
        error = assert_error(
            api.patch(path, json={"project": {"clientId": bad}}), 400, "validation_error"
        )
        assert error["details"][0]["field"] == "project.clientId"
    assert_error(
        api.patch(path, json={"project": {"clientId": "not an id!"}}), 400, "validation_error"
    )


def test_deleting_a_client_clears_its_projects(api: Api) -> None:
    acme, beta = client(api, "Acme"), client(api, "Beta")
    projects = [project(api, f"P{i}", clientId=acme["id"]) for i in range(3)]
    archived = project(api, "Old", clientId=acme["id"], isArchived=True)
    kept = project(api, "Beta's", clientId=beta["id"])
    _, token, _ = sync_all(api)
    assert api.delete(f"/v1/clients/{acme['id']}").status_code == 204
    for made in [*projects, archived]:
        assert get_project(api, made["id"])["clientId"] is None
    assert get_project(api, kept["id"])["clientId"] == beta["id"]
    page = api.get(f"/v1/sync?syncToken={token}").json()
    changed = {p["id"]: p for p in page["projects"]}
    assert set(changed) == {p["id"] for p in [*projects, archived]}
    assert all(p["clientId"] is None for p in changed.values())
    assert [(d["type"], d["id"]) for d in page["deleted"]] == [("client", acme["id"])]
    assert "clients" not in page


def test_a_client_with_more_projects_than_a_transaction_holds(api: Api) -> None:
    acme = client(api, "Acme")
    made = [project(api, f"P{i}", clientId=acme["id"]) for i in range(105)]
    assert api.delete(f"/v1/clients/{acme['id']}").status_code == 204
    projects = api.get("/v1/projects?archived=all&limit=500").json()["projects"]
    ours = [p for p in projects if p["id"] in {m["id"] for m in made}]
    assert len(ours) == 105 and all(p["clientId"] is None for p in ours)
    assert_error(api.get(f"/v1/clients/{acme['id']}"), 404, "not_found")


# ----------------------------------------------------------------------------- sync and search


def test_sync_lists_clients_and_their_deletion(api: Api) -> None:
    acme = client(api, "Acme")
    full, token, _ = sync_all(api)
    assert full.get("clients") == {acme["id"]: acme}
    first = api.get("/v1/sync").json()
    assert first["clients"] == [acme]
    beta = client(api, "Beta")
    renamed = api.patch(f"/v1/clients/{acme['id']}", json={"client": {"name": "Acme Ltd"}})
    page = api.get(f"/v1/sync?syncToken={token}").json()
    assert {c["id"]: c for c in page["clients"]} == {
        acme["id"]: renamed.json()["client"],
        beta["id"]: beta,
    }
    assert api.delete(f"/v1/clients/{beta['id']}").status_code == 204
    after = api.get(f"/v1/sync?syncToken={page['syncToken']}").json()
    assert "clients" not in after
    assert [(d["type"], d["id"]) for d in after["deleted"]] == [("client", beta["id"])]


def test_search_finds_clients(api: Api) -> None:
    client(api, "Acme")
    client(api, "Big acme")
    client(api, "ACME", isArchived=True)
    client(api, "Beta")
    response = api.get("/v1/search?" + urlencode({"type": "client", "name": "acme"}))
    assert response.status_code == 200, response.text
    results = response.json()["results"]
    assert [(r["title"], r["active"]) for r in results] == [
        ("Acme", True),
        ("Big acme", True),
        ("ACME", False),
    ]
    assert all(r["type"] == "client" and r["parentId"] is None for r in results)
    assert_error(api.get("/v1/search?type=client&parentId=x"), 400, "validation_error")


# ----------------------------------------------------------------------------- reports

FROM, TO = "2026-11-23T00:00:00Z", "2026-11-30T00:00:00Z"


def log(api: Api, task_id: str, start: str, duration: int) -> None:
    body = {"task": {"id": task_id}, "session": {"startTimestamp": start, "duration": duration}}
    response = api.post("/v1/sessions", json=body)
    assert response.status_code == 201, response.text


def test_reports_group_by_client(api: Api) -> None:
    """Acme: two projects (rates 100 and 50), Beta: one (no rate), and a project with no client;
    a project whose client is deleted joins the no-client group."""
    acme, beta, gone = client(api, "Acme"), client(api, "Beta"), client(api, "Gone")
    acme_site = project(api, "Acme site", clientId=acme["id"], hourlyRate=100)
    acme_app = project(api, "Acme app", clientId=acme["id"], hourlyRate=50)
    beta_site = project(api, "Beta site", clientId=beta["id"])
    own = project(api, "Own", hourlyRate=10)
    gone_site = project(api, "Gone site", clientId=gone["id"], hourlyRate=20)

    def task_of(made: dict[str, Any]) -> str:
        return str(api.create("/v1/tasks", "task", title="Work", projectId=made["id"])["id"])

    log(api, task_of(acme_site), "2026-11-23T09:00:00Z", 3600)  # 100.00
    log(api, task_of(acme_app), "2026-11-24T09:00:00Z", 1800)  # 25.00
    log(api, task_of(beta_site), "2026-11-24T10:00:00Z", 600)  # 0
    log(api, task_of(own), "2026-11-25T09:00:00Z", 360)  # 1.00
    log(api, task_of(gone_site), "2026-11-25T10:00:00Z", 180)  # 1.00
    assert api.delete(f"/v1/clients/{gone['id']}").status_code == 204

    query = urlencode({"from": FROM, "to": TO, "groupBy": "client"})
    response = api.get(f"/v1/reports/summary?{query}")
    assert response.status_code == 200, response.text
    report = response.json()
    assert report["groupBy"] == "client"
    groups = [
        (g["id"], g["title"], g["sessions"], g["duration"], Decimal(str(g["amount"])))
        for g in report["groups"]
    ]
    assert groups == [
        (acme["id"], "Acme", 2, 5400, Decimal("125")),
        (beta["id"], "Beta", 1, 600, Decimal("0")),
        (None, None, 2, 540, Decimal("2")),
    ]
    assert report["totals"]["duration"] == 6540
    assert Decimal(str(report["totals"]["amount"])) == Decimal("127")

    csv = api.get(f"/v1/reports/summary.csv?{query}")
    assert csv.status_code == 200, csv.text
    rows = csv.text.lstrip("\ufeff").splitlines()
    assert rows[0].split(",")[:2] == ["id", "title"] and len(rows) == 4

    weekly = api.get("/v1/reports/weekly?" + urlencode({"from": "2026-11-23", "groupBy": "client"}))
    assert weekly.status_code == 200, weekly.text
    week = weekly.json()
    assert [(g["id"], g["days"][:3]) for g in week["groups"]] == [
        (acme["id"], [3600, 1800, 0]),
        (beta["id"], [0, 600, 0]),
        (None, [0, 0, 540]),
    ]
    assert_error(
        api.get("/v1/reports/weekly?" + urlencode({"from": "2026-11-23", "groupBy": "day"})),
        400,
        "validation_error",
    )

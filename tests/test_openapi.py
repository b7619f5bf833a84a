"""openapi.json: committed, current, and in agreement with template.yaml and docs/API.md."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Annotated, Any

import pytest
from jsonschema import Draft202012Validator
from pydantic import TypeAdapter, ValidationError
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from local.template import load_template
from tools.openapi import OUTPUT, build_document, render

REPO = Path(__file__).resolve().parent.parent
REF = "#/components/schemas/"
METHODS = ("get", "post", "put", "patch", "delete")

# The status codes docs/API.md names for each route, besides the errors every route shares
# (checked by the rules below), grouped by subject. Routes docs/API.md names but
# the API does not serve yet are listed too, so a new route only has to agree with them.
DOCUMENTED_CODES: dict[tuple[str, str], set[int]] = {
    # User
    ("GET", "/v1/me"): {200},
    ("PATCH", "/v1/me"): {200},
    # Sync tokens
    ("GET", "/v1/sync"): {200, 400, 410},
    # Sessions (an unknown task.id is a 404)
    ("GET", "/v1/sessions"): {200, 403, 404},
    ("GET", "/v1/sessions/{sessionId}"): {200, 404},
    ("POST", "/v1/sessions"): {201, 404, 409},
    ("PUT", "/v1/sessions/{sessionId}"): {200, 201, 404},
    ("DELETE", "/v1/sessions/{sessionId}"): {204, 404},
    # Projects, categories, tasks, subtasks (a client id that exists is 409 conflict)
    ("GET", "/v1/projects"): {200, 404},
    ("POST", "/v1/projects"): {201, 409},
    ("GET", "/v1/projects/{projectId}"): {200, 404},
    ("PATCH", "/v1/projects/{projectId}"): {200, 404},
    ("DELETE", "/v1/projects/{projectId}"): {204, 404, 409},  # not_empty, default_project
    ("PUT", "/v1/projects/{projectId}/members/{userId}"): {200, 403, 404},
    ("DELETE", "/v1/projects/{projectId}/members/{userId}"): {204, 403, 404},
    ("GET", "/v1/categories"): {200, 404},
    ("POST", "/v1/categories"): {201, 409},
    ("GET", "/v1/categories/{categoryId}"): {200, 404},
    ("PATCH", "/v1/categories/{categoryId}"): {200, 404},
    ("DELETE", "/v1/categories/{categoryId}"): {204, 404},
    ("GET", "/v1/tasks"): {200, 404},
    ("GET", "/v1/projects/{projectId}/tasks"): {200, 404},
    ("POST", "/v1/tasks"): {201, 409},
    ("POST", "/v1/projects/{projectId}/tasks"): {201, 404, 409},
    ("GET", "/v1/tasks/{taskId}"): {200, 404},
    ("PATCH", "/v1/tasks/{taskId}"): {200, 404, 409},  # ?event=: as the events route
    ("DELETE", "/v1/tasks/{taskId}"): {204, 404, 409},  # not_empty
    ("POST", "/v1/tasks/{taskId}/events"): {200, 404, 409},  # permanent_task, conflict
    ("GET", "/v1/tasks/{taskId}/subtasks"): {200, 404},
    ("POST", "/v1/tasks/{taskId}/subtasks"): {201, 404, 409},
    ("GET", "/v1/subtasks/{subtaskId}"): {200, 404},
    ("PATCH", "/v1/subtasks/{subtaskId}"): {200, 404},
    ("DELETE", "/v1/subtasks/{subtaskId}"): {204, 404},
    # Timers
    ("GET", "/v1/timer"): {200},
    ("POST", "/v1/timer"): {201, 409},  # conflict: a completed task
    ("POST", "/v1/timer/stop"): {200, 404},  # no_running_timer
    # Workspaces
    ("GET", "/v1/workspaces"): {200},
    ("POST", "/v1/workspaces"): {201, 409},  # at most 50 a user
    ("GET", "/v1/workspaces/{workspaceId}"): {200, 404},
    ("PATCH", "/v1/workspaces/{workspaceId}"): {200, 403, 404, 412},
    ("DELETE", "/v1/workspaces/{workspaceId}"): {204, 403, 404, 409, 412},  # the personal: 409
    ("GET", "/v1/workspaces/{workspaceId}/members"): {200, 404},
    ("POST", "/v1/workspaces/{workspaceId}/members"): {201, 403, 404, 409},  # at most 200
    ("PATCH", "/v1/workspaces/{workspaceId}/members/{userId}"): {200, 403, 404, 409, 412},
    ("DELETE", "/v1/workspaces/{workspaceId}/members/{userId}"): {204, 403, 404, 409, 412},
    ("DELETE", "/v1/workspaces/{workspaceId}/invitations/{invitationId}"): {
        204,
        403,
        404,
        409,
        412,
    },
    ("GET", "/v1/invitations"): {200},
    ("POST", "/v1/invitations/{invitationId}/accept"): {200, 404, 409},  # the invitee only
    ("POST", "/v1/invitations/{invitationId}/decline"): {204, 404},
    ("GET", "/v1/workspaces/{workspaceId}/timers"): {200, 404},
    ("POST", "/v1/workspaces/{workspaceId}/timers/{timerId}/stop"): {200, 403, 404},
    # Approvals
    ("POST", "/v1/workspaces/{workspaceId}/approvals"): {201, 404, 409},
    ("GET", "/v1/workspaces/{workspaceId}/approvals"): {200, 403, 404},
    ("GET", "/v1/approvals/{approvalId}"): {200, 404},
    ("POST", "/v1/approvals/{approvalId}/approve"): {200, 403, 404, 409},
    ("POST", "/v1/approvals/{approvalId}/reject"): {200, 403, 404, 409},
    # Reports, search, webhooks
    # a projectId / parentId that names nothing of the caller's is a 404 (docs/API.md, "Errors")
    ("GET", "/v1/reports/summary"): {200, 403, 404},  # 403: another member's time
    ("GET", "/v1/reports/summary.csv"): {200, 403, 404},
    ("GET", "/v1/search"): {200, 404},
    ("POST", "/v1/webhooks"): {201, 409},  # at most 20 a user
    ("GET", "/v1/webhooks"): {200},
    ("DELETE", "/v1/webhooks/{webhookId}"): {204, 404},
    ("GET", "/v1/webhooks/{webhookId}"): {200, 404},
    ("PATCH", "/v1/webhooks/{webhookId}"): {200, 400, 404},  # a hookUrl as at subscribe time
    ("POST", "/v1/webhooks/{webhookId}/rotate-secret"): {200, 404},
    ("POST", "/v1/webhooks/{webhookId}/test"): {202, 404},
    ("GET", "/v1/webhooks/{webhookId}/deliveries"): {200, 404},
    # Tags (a name the caller has is a 409; at most 1,000)
    ("GET", "/v1/tags"): {200, 404},
    ("POST", "/v1/tags"): {201, 409},
    ("GET", "/v1/tags/{tagId}"): {200, 404},
    ("PATCH", "/v1/tags/{tagId}"): {200, 404, 409},
    ("DELETE", "/v1/tags/{tagId}"): {204, 404},
    # Clients (like categories)
    ("GET", "/v1/clients"): {200, 404},
    ("POST", "/v1/clients"): {201, 409},
    ("GET", "/v1/clients/{clientId}"): {200, 404},
    ("PATCH", "/v1/clients/{clientId}"): {200, 404},
    ("DELETE", "/v1/clients/{clientId}"): {204, 404},
    # Sessions in bulk (atomic: the failing operation's own status)
    ("POST", "/v1/sessions/batch"): {200, 404, 409, 412},
    # Detailed and weekly reports
    ("GET", "/v1/reports/detailed"): {200, 403, 404},
    ("GET", "/v1/reports/detailed.csv"): {200, 403, 404},
    ("GET", "/v1/reports/weekly"): {200, 403, 404},
    ("GET", "/v1/reports/weekly.csv"): {200, 403, 404},
}
# Where If-Match is honoured (docs/API.md, "Changing safely"): every PATCH, PUT and DELETE of an
# entity with
# an ETag, and a task event (conditional on the task's ETag, as `PATCH ?event=` is).
CONDITIONAL_POSTS = {("POST", "/v1/tasks/{taskId}/events")}
# A 412 without the If-Match header: an atomic batch's operation whose `ifMatch` (in the body)
# does not match refuses the batch with its own status (docs/API.md, "Sessions in bulk").
BODY_IF_MATCH = {("POST", "/v1/sessions/batch")}


def honours_if_match(method: str, path: str) -> bool:
    if (method, path) in CONDITIONAL_POSTS:
        return True
    return method in ("PATCH", "PUT", "DELETE")


# Success responses that are not one entity, so carry no ETag (docs/API.md, "Changing safely").
NOT_ONE_ENTITY = re.compile(
    r"List$|^SyncPage$|^WorkspaceTimers$|^Timer(Envelope|Started)$|^QueuedDeliveryEnvelope$"
    r"|^SummaryReport$|^SearchResults$|^DetailedReport$|^WeeklyReport$|^BatchResults$"
)


@pytest.fixture(scope="module")
def document() -> dict[str, Any]:
    content: dict[str, Any] = json.loads(OUTPUT.read_text(encoding="utf-8"))
    return content


def operations(document: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (method.upper(), path, operation)
        for path, item in document["paths"].items()
        for method, operation in item.items()
        if method in METHODS
    ]


def template_routes(*, authorized: bool = True) -> dict[tuple[str, str], list[str]]:
    """(METHOD, path) -> AuthorizationScopes, for the Api events of template.yaml with the
    authorizer (`authorized=False`: those with `Auth: {Authorizer: NONE}`)."""
    template = load_template(REPO / "template.yaml")
    routes = {}
    for logical_id in template.resources_of_type("AWS::Serverless::Function"):
        for event in (template.properties(logical_id).get("Events") or {}).values():
            if event.get("Type") == "Api":
                props = event["Properties"]
                auth = props.get("Auth") or {}
                if (auth.get("Authorizer") != "NONE") == authorized:
                    route = (str(props["Method"]).upper(), str(props["Path"]))
                    routes[route] = list(auth.get("AuthorizationScopes") or [])
    return routes


def test_committed_document_is_current() -> None:
    """Regenerate with `.venv/bin/python -m tools.openapi` (`make openapi`) and commit it."""
    generated = render(build_document())
    committed = OUTPUT.read_text(encoding="utf-8") if OUTPUT.exists() else ""
    if committed != generated:
        pytest.fail("openapi.json is stale: run `.venv/bin/python -m tools.openapi` and commit it")
    assert render(json.loads(committed)) == committed  # sorted, 2-space indent, newline


def test_routes_are_the_templates(document: dict[str, Any]) -> None:
    documented = {(method, path) for method, path, _ in operations(document)}
    assert documented == set(template_routes())
    assert document["openapi"] == "3.1.0"
    assert document["info"]["title"] == "Stint"
    # The committed document names the local stack; a stack's own names itself (tests/api).
    assert [server["url"] for server in document["servers"]] == ["http://127.0.0.1:3000"]


def test_only_the_oauth2_calls_and_the_reference_are_left_out_and_named(
    document: dict[str, Any],
) -> None:
    """Routes without the authorizer are left out (tools/openapi.py says why): they must be
    Tyme's three OAuth2 calls and the reference page (docs/DESIGN.md, "OAuth2"), and nothing
    else may slip out that way."""
    oauth = {("GET", "/v1/authorize"), ("POST", "/v1/access_token"), ("POST", "/v1/refresh_token")}
    reference = {("GET", "/docs"), ("GET", "/docs/{asset}"), ("GET", "/openapi.json")}
    assert set(template_routes(authorized=False)) == oauth | reference
    for _, path in oauth | reference:
        assert path not in document["paths"]
    for method, path in oauth:
        assert f"`{method} {path}`" in document["info"]["description"]
    for path in ("/docs", "/openapi.json"):
        assert f"`GET {path}`" in document["info"]["description"]


def test_each_operation_has_a_tag_a_summary_and_a_description(document: dict[str, Any]) -> None:
    tags = {tag["name"] for tag in document["tags"]}
    assert all(tag["description"] for tag in document["tags"])
    for method, path, operation in operations(document):
        where = f"{method} {path}"
        assert operation["summary"] != where and operation["summary"].endswith("."), where
        assert len(operation["tags"]) == 1 and operation["tags"][0] in tags, where
        assert len(operation.get("description") or "") > 20, where


def test_http_conventions_headers(document: dict[str, Any]) -> None:
    """docs/API.md, "Requests and answers": Location on a 201, Link on a page, Retry-After on a 429,
    X-Request-Id on every answer of the functions (the gateway's 401 and 429 have none)."""
    for method, path, operation in operations(document):
        where = f"{method} {path}"
        responses = operation["responses"]
        for status, response in responses.items():
            headers = response.get("headers") or {}
            assert ("X-Request-Id" in headers) == (status not in ("401", "429")), where + status
        if "201" in responses:
            assert responses["201"]["headers"]["Location"]["required"], where
        names = {p["name"] for p in operation.get("parameters", []) if p["in"] == "query"}
        assert ("Link" in responses.get("200", {}).get("headers", {})) == bool(
            names & {"nextToken", "syncToken"}
        ), where
        assert "Retry-After" in responses["429"]["headers"], where


def test_each_route_documents_its_status_codes(document: dict[str, Any]) -> None:
    for method, path, operation in operations(document):
        where = f"{method} {path}"
        assert (method, path) in DOCUMENTED_CODES, f"{where}: add its codes to DOCUMENTED_CODES"
        documented = {int(status) for status in operation["responses"]}
        missing = DOCUMENTED_CODES[(method, path)] - documented
        assert not missing, f"{method} {path}: {sorted(missing)} not documented"


def test_every_route_documents_the_shared_errors(document: dict[str, Any]) -> None:
    for method, path, operation in operations(document):
        where = f"{method} {path}"
        responses = operation["responses"]
        has_body = "requestBody" in operation
        expected = {401, 403, 429}
        if operation.get("parameters") or has_body:
            expected.add(400)
        if "{" in path:
            expected.add(404)
        if method == "POST":
            expected.add(409)
            assert "idempotency_conflict" in responses["409"]["description"], where
        if honours_if_match(method, path) or (method, path) in BODY_IF_MATCH:
            expected.add(412)
        else:
            assert "412" not in responses, f"{where}: takes no If-Match"
        if has_body:
            expected.add(413)
        assert expected <= {int(status) for status in responses}, where
        assert "422" not in responses, where
        for status, response in responses.items():
            body = (response.get("content") or {}).get("application/json", {}).get("schema")
            if status == "401":
                assert body == {"$ref": REF + "GatewayMessage"}, where
            elif status.startswith("4"):
                assert body == {"$ref": REF + "ErrorBody"}, f"{where} {status}"


def test_success_responses(document: dict[str, Any]) -> None:
    # A POST that is an action with nothing to return (declining an invitation) is a 204; one
    # whose work goes on after the answer (a webhook's test ping) is a 202.
    allowed = {"GET": {200}, "POST": {200, 201, 202, 204}, "PATCH": {200}, "PUT": {200, 201}}
    for method, path, operation in operations(document):
        success = {s: r for s, r in operation["responses"].items() if s.startswith("2")}
        if method == "DELETE" or "204" in success:
            assert list(success) == ["204"] and "content" not in success["204"], path
            continue
        assert success and {int(s) for s in success} <= allowed[method], f"{method} {path}"
        for status, response in success.items():
            if path.endswith(".csv"):  # a report's CSV form: text, and only text
                assert list(response["content"]) == ["text/csv"], path
                continue
            assert list(response["content"]) == ["application/json"], path
            schema = response["content"]["application/json"]["schema"]
            refs = [option["$ref"] for option in schema.get("anyOf", [schema])]
            if all(NOT_ONE_ENTITY.search(ref.removeprefix(REF)) for ref in refs):
                continue
            etag = (response.get("headers") or {}).get("ETag")
            assert etag and etag["required"], f"{method} {path} {status}: one entity, no ETag"


def test_request_headers(document: dict[str, Any]) -> None:
    for method, path, operation in operations(document):
        headers = {p["name"]: p for p in operation.get("parameters", []) if p["in"] == "header"}
        if method == "POST":
            assert headers["Idempotency-Key"]["schema"]["maxLength"] == 255, path
        else:
            assert "Idempotency-Key" not in headers, path
        assert ("If-Match" in headers) == honours_if_match(method, path), f"{method} {path}"
        assert "if-match" not in headers, f"{method} {path}: documented twice, or misspelt"


def test_security_has_the_templates_scopes(document: dict[str, Any]) -> None:
    """An OAuth2 scheme, so tools (and the reference page) see the scopes each route takes."""
    scheme = document["components"]["securitySchemes"]["cognito"]
    assert scheme["type"] == "oauth2"
    flow = scheme["flows"]["authorizationCode"]
    assert flow["authorizationUrl"].endswith("/oauth2/authorize")
    assert flow["tokenUrl"].endswith("/oauth2/token")
    routes = template_routes()
    assert set(flow["scopes"]) == {scope for scopes in routes.values() for scope in scopes}
    for method, path, operation in operations(document):
        granted = {scope for option in operation["security"] for scope in option["cognito"]}
        assert granted == set(routes[(method, path)]), f"{method} {path}"


def test_operation_ids_are_unique(document: dict[str, Any]) -> None:
    ids = [operation["operationId"] for _, _, operation in operations(document)]
    assert len(ids) == len(set(ids))
    assert all(re.fullmatch(r"[a-z][A-Za-z0-9]*", name) for name in ids), ids


def request_schemas(document: dict[str, Any]) -> set[str]:
    """The component schemas a request body reaches (through `$ref`s, transitively)."""
    schemas = document["components"]["schemas"]
    names: set[str] = set()
    todo = [
        json.dumps(operation["requestBody"])
        for _, _, operation in operations(document)
        if "requestBody" in operation
    ]
    while todo:
        for name in re.findall(r'"#/components/schemas/([^"]+)"', todo.pop()):
            if name not in names:
                names.add(name)
                todo.append(json.dumps(schemas[name]))
    return names


def test_optional_bodies_are_optional_request_bodies(document: dict[str, Any]) -> None:
    """A body a route may go without is `required: false` with its schema, never
    `anyOf[X, null]`: openapi-python-client raised `TypeError: Object of type Unset is not JSON
    serializable` on `stop_timer()` with no body (tests/client runs it)."""
    optional = set()
    for method, path, operation in operations(document):
        body = operation.get("requestBody")
        if body is None:
            continue
        assert isinstance(body.get("required"), bool), f"{method} {path}: say whether it is"
        if not body["required"]:
            optional.add((method, path))
        for media in body["content"].values():
            branches = media["schema"].get("anyOf", [media["schema"]])
            assert {"type": "null"} not in branches, f"{method} {path}: a null body offered"
            # Nor a union: openapi-python-client sent `Unset.to_dict()` for an optional one
            # (`PATCH /v1/tasks/{taskId}?event=` with no body: AttributeError).
            assert list(media["schema"]) == ["$ref"], f"{method} {path}: one schema"
    assert optional == {
        ("POST", "/v1/timer/stop"),
        ("POST", "/v1/workspaces/{workspaceId}/timers/{timerId}/stop"),
        ("PATCH", "/v1/tasks/{taskId}"),  # with ?event=, `{note}` or nothing
        ("POST", "/v1/approvals/{approvalId}/approve"),  # `{note}` or nothing
        ("POST", "/v1/approvals/{approvalId}/reject"),
    }


def test_request_fields_with_a_default_may_be_left_out(document: dict[str, Any]) -> None:
    """No property of a request body's schemas has a `default`, which openapi-typescript (its
    default options) types as a property the client must send: a session without `retroAdded`
    and `type` did not compile (tests/client runs it). The default is said in words, and is not
    required."""
    schemas = document["components"]["schemas"]
    reached = request_schemas(document)
    assert {"SessionBody", "SessionFields", "TimerStart", "SessionBatch"} <= reached
    for name in reached:
        for field, schema in schemas[name].get("properties", {}).items():
            assert "default" not in schema, f"{name}.{field}"
    said = {
        ("SessionFields", "retroAdded"): "Default: `false`",
        ("SessionFields", "type"): 'Default: `"session"`',
        ("TimerStart", "type"): 'Default: `"session"`',
        ("SessionBatch", "atomic"): "Default: `true`",
    }
    for (name, field), words in said.items():
        assert schemas[name]["properties"][field]["description"].endswith(words)
        assert field not in schemas[name].get("required", [])


def test_each_success_answer_has_one_schema(document: dict[str, Any]) -> None:
    """A generated client parses a union answer as the first member that parses: the task
    event's answer by `PATCH /v1/tasks/{id}?event=` was declared `anyOf[TaskEnvelope,
    TaskEventResult]`, and openapi-python-client read it as a TaskEnvelope, the session left
    untyped in its additional properties (tests/client runs it)."""
    for method, path, operation in operations(document):
        for status, response in operation["responses"].items():
            for media in (response.get("content") or {}).values():
                schema = media["schema"]
                assert not {"anyOf", "oneOf"} & set(schema), f"{method} {path} {status}"
    patched = document["paths"]["/v1/tasks/{taskId}"]["patch"]["responses"]["200"]
    assert patched["content"]["application/json"]["schema"] == {"$ref": REF + "TaskEventResult"}


def test_money_that_may_be_absent_has_no_default(document: dict[str, Any]) -> None:
    """A session's `amount` and `cost` are absent to those who do not see money (docs/API.md,
    "Money"): with `default: 0` openapi-typescript (default options) typed them as always
    there, and openapi-python-client's model defaulted them to 0 when built without them."""
    session = document["components"]["schemas"]["Session"]
    for field in ("amount", "cost", "billableRate", "costRate"):
        assert "default" not in session["properties"][field], field
        assert field not in session["required"], field


# ------------------------------------------------------------------- what the schemas state


def request_models() -> dict[str, type[Any]]:
    """Every request body model (stint.models.base.RequestBody's subclasses), by name: the
    component each one is in the document."""
    from stint.models.base import RequestBody

    found: dict[str, type[Any]] = {}
    todo: list[type[Any]] = [RequestBody]
    while todo:
        for subclass in todo.pop().__subclasses__():
            found[subclass.__name__] = subclass
            todo.append(subclass)
    return found


def validator_of(document: dict[str, Any], pointer: str) -> Draft202012Validator:
    """A validator of the document's schema at `pointer`, its `$ref`s resolved in the document."""
    registry: Registry[Any] = Registry().with_resource(
        "urn:openapi", Resource.from_contents(document, default_specification=DRAFT202012)
    )
    return Draft202012Validator(
        {"$ref": f"urn:openapi#{pointer}"},
        registry=registry,
        format_checker=Draft202012Validator.FORMAT_CHECKER,
    )


def takes_strings(schema: dict[str, Any]) -> str | None:
    """`string` for a string field (or nullable one), `array` for a list of strings."""
    branches = schema.get("anyOf", [schema])
    if any(branch.get("type") == "string" for branch in branches):
        return "string"
    if any(branch.get("items", {}).get("type") == "string" for branch in branches):
        return "array"
    return None


# Strings empty or of blanks alone (in every engine's `\s`), and plain ones.
BLANK = ["", " ", "\t\n", "\u3000"]
PLAIN = ["a", " a ", "Écrire", "#a1b2c3", "p-1", "2026-03-01T09:00:00Z"]


def field_adapter(field: Any) -> TypeAdapter[Any]:
    """A validator of one model field alone: its type and its constraints."""
    annotation = field.annotation
    if field.metadata:
        annotation = Annotated[(annotation, *field.metadata)]
    return TypeAdapter(annotation)


def disagreements(adapter: TypeAdapter[Any], schema: Draft202012Validator, shape: str) -> list[str]:
    """The probes on which the schema refuses what the server takes, or takes an empty or
    blank string the server refuses."""
    found = []
    for text in BLANK + PLAIN:
        value = [text] if shape == "array" else text
        try:
            adapter.validate_python(value)
            server_takes = True
        except ValidationError:
            server_takes = False
        document_takes = schema.is_valid(value)
        if server_takes and not document_takes:
            found.append(f"the schema refuses {value!r}, the server not")
        elif not server_takes and document_takes and text in BLANK:
            found.append(f"the server refuses {value!r}, the schema not")
    return found


def test_a_string_the_server_refuses_empty_or_blank_the_schema_refuses(
    document: dict[str, Any],
) -> None:
    """For every string field of every request body, derived from the models: a value the
    field's own validation (what the handler runs) refuses because it is empty or blank, the
    document's schema refuses too (`minLength`, `pattern`, `format`); and a value it accepts,
    the schema accepts (the schema never refuses what the server takes)."""
    schemas = document["components"]["schemas"]
    problems, checked = [], 0
    for name, model in request_models().items():
        for field_name, field in model.model_fields.items() if name in schemas else ():
            key = field.alias or field_name
            shape = takes_strings(schemas[name].get("properties", {}).get(key, {}))
            if shape is None:
                continue
            checked += 1
            pointer = f"/components/schemas/{name}/properties/{key}"
            for problem in disagreements(
                field_adapter(field), validator_of(document, pointer), shape
            ):
                problems.append(f"{name}.{key}: {problem}")
    assert checked > 40, checked
    assert not problems, "\n".join(problems)


def test_every_route_with_a_path_id_is_reached_by_a_link(document: dict[str, Any]) -> None:
    """Each operation that takes a path id is the target of a link (tools/openapi.py:
    `derived_links` and `LINKS`) whose parameters are all its path ids, from an operation that
    has its success response: readers and schemathesis' stateful phase reach it with real ids."""
    by_id = {operation["operationId"]: operation for _, _, operation in operations(document)}
    reached: dict[str, set[str]] = {}
    for _, _, operation in operations(document):
        for status, response in operation["responses"].items():
            for link in response.get("links", {}).values():
                assert status.startswith("2"), (operation["operationId"], status)
                reached.setdefault(link["operationId"], set()).update(link["parameters"])
    unreached = []
    for method, path, operation in operations(document):
        path_ids = {p["name"] for p in operation.get("parameters", []) if p["in"] == "path"}
        if path_ids and reached.get(operation["operationId"]) != path_ids:
            unreached.append(f"{method} {path}")
    assert not unreached, unreached
    assert set(reached) <= set(by_id)


def examples_in(node: Any, pointer: str = "") -> list[tuple[str, Any]]:
    """(pointer of the schema, example) for every example of a schema (`examples`, `example`)
    and of a media type (`example`: against its `schema`) in the document."""
    found: list[tuple[str, Any]] = []
    if isinstance(node, dict):
        if "schema" in node and "example" in node:
            found.append((f"{pointer}/schema", node["example"]))
        elif "type" in node or "anyOf" in node or "$ref" in node or "properties" in node:
            found += [(pointer, value) for value in node.get("examples", [])]
            if "example" in node:
                found.append((pointer, node["example"]))
        for key, value in node.items():
            if key not in ("examples", "example"):
                escaped = key.replace("~", "~0").replace("/", "~1")
                found += examples_in(value, f"{pointer}/{escaped}")
    elif isinstance(node, list):
        for index, value in enumerate(node):
            found += examples_in(value, f"{pointer}/{index}")
    return found


def test_every_example_is_valid_against_its_schema(document: dict[str, Any]) -> None:
    """Every example the document gives (tools/openapi.py, `add_examples`; the request bodies'
    own) is valid against its schema, formats included."""
    found = examples_in(document)
    assert len(found) > 250, len(found)
    invalid = [
        f"{pointer}: {value!r}"
        for pointer, value in found
        if not validator_of(document, pointer).is_valid(value)
    ]
    assert not invalid, invalid


def body_pointer(method: str, path: str) -> str:
    """The pointer of an operation's JSON request body schema."""
    escaped = path.replace("~", "~0").replace("/", "~1")
    return f"/paths/{escaped}/{method}/requestBody/content/application~1json/schema"


# A session's task and project by neither `id` nor `title`, each in a body otherwise valid.
UNNAMED = {
    "task": {"task": {"projectId": "p1", "isCompleted": True}},
    "project": {"task": {"title": "T"}, "project": {"workspaceId": "w1"}},
}
NAMED = [
    {"task": {"id": "t1"}},
    {"task": {"title": "T"}, "project": {"id": "p1"}},
    {"task": {"id": "t1", "title": "T"}, "project": {"title": "P", "workspaceId": "w1"}},
]


def test_the_single_session_routes_state_a_task_or_project_by_id_or_title(
    document: dict[str, Any],
) -> None:
    """docs/API.md, "Titles are reused": `task` (and `project`, when sent) by `id` or `title`.
    The bodies of `POST /v1/sessions` and `PUT /v1/sessions/{sessionId}` state it (the server's
    400 is tests/api/test_sessions.py's)."""
    for path, method in (("/v1/sessions", "post"), ("/v1/sessions/{sessionId}", "put")):
        body = validator_of(document, body_pointer(method, path))
        for field, unnamed in UNNAMED.items():
            assert not body.is_valid({**unnamed, "session": SESSION}), (method, path, field)
        for named in NAMED:
            assert body.is_valid({**named, "session": SESSION}), (method, path, named)


SESSION = {"startTimestamp": "2026-11-22T09:30:00Z", "duration": 60}


def batch_operations(body: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    """Each write operation of a batch with `body`'s task and project, beside a valid one."""
    valid = {"op": "create", "body": {**NAMED[0], "session": SESSION}}
    delete = {"op": "delete", "id": "s2"}
    return {
        "create": [valid, {"op": "create", "body": {**body, "session": SESSION}}],
        "replace": [{"op": "replace", "id": "s1", "body": {**body, "session": SESSION}}, delete],
    }


def test_an_atomic_batch_states_a_task_or_project_by_id_or_title(
    document: dict[str, Any],
) -> None:
    """docs/API.md, "Sessions in bulk": an atomic batch (`atomic: true`, or left out: its
    default) with an operation whose task or project is by neither `id` nor `title` is refused
    whole (a 400 with `error.index`), so its schema refuses it; a non-atomic batch answers it
    with 200 and that operation's 400 (tests/api/test_batch.py), so its schema allows it."""
    batch = validator_of(document, body_pointer("post", "/v1/sessions/batch"))
    for field, unnamed in UNNAMED.items():
        for op, operations in batch_operations(unnamed).items():
            for atomic in ({"atomic": True}, {}):
                assert not batch.is_valid({**atomic, "operations": operations}), (field, op, atomic)
            assert batch.is_valid({"atomic": False, "operations": operations}), (field, op)
    for named in NAMED:
        for op, operations in batch_operations(named).items():
            for atomic in ({"atomic": True}, {}, {"atomic": False}):
                assert batch.is_valid({**atomic, "operations": operations}), (named, op, atomic)
    # A null project is no project (`required` asks nothing of a null).
    operations = batch_operations({"task": {"title": "T"}, "project": None})["create"]
    assert batch.is_valid({"operations": operations})


def test_an_atomic_batch_states_its_25_operations(document: dict[str, Any]) -> None:
    """docs/API.md, "Sessions in bulk": an atomic batch holds at most 25 operations (a
    non-atomic one 100), so its schema says so where the server refuses it."""
    batch = validator_of(document, body_pointer("post", "/v1/sessions/batch"))
    create = batch_operations({"task": {"title": "T"}})["create"][0]
    for size, atomic, valid in ((25, True, True), (26, True, False), (26, False, True)):
        for sent in ({"atomic": atomic}, {}) if atomic else ({"atomic": atomic},):
            assert batch.is_valid({**sent, "operations": [create] * size}) is valid, (size, sent)


def test_an_object_states_its_rules_where_generators_keep_its_fields(
    document: dict[str, Any],
) -> None:
    """A schema with properties has no `anyOf` or `oneOf` of its own: openapi-python-client
    takes one for a union of its branches and types the object `Any`, openapi-typescript
    `unknown`, both dropping its fields (a task by id or title, stated so, did: tests/client
    runs both). A rule on the object's fields is an `allOf` of one, which both keep."""
    for name, schema in document["components"]["schemas"].items():
        if "properties" in schema:
            assert not {"anyOf", "oneOf"} & set(schema), name
    task = document["components"]["schemas"]["SessionTaskRef"]
    branches = [{"required": [name], "properties": {name: {}}} for name in ("id", "title")]
    assert task["allOf"] == [{"anyOf": branches}]

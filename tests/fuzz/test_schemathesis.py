"""Schemathesis: every operation of openapi.json against the running stack, with a real token.

Three tests drive it:

- `test_operation`, one per operation: schemathesis' examples, coverage (boundary values,
  missing and malformed parameters and bodies, wrong methods) and fuzzing phases, positive and
  negative data. Most ids it makes up name nothing, so these mostly meet 400s and 404s.
- `test_workflows`: stateful scenarios over the links between operations, those schemathesis
  infers (a created project's id fed to GET / PATCH / DELETE, ...) and those openapi.json
  declares (tools/openapi.py, `LINKS`: a workspace's members, invitations and timers), so
  existing entities are read, changed and deleted too. Each scenario has a second user with a
  verified email, the invitee: the invitations it makes go to them, and they accept or decline.
- `test_workspace_workflows`: the same over the workspace's operations alone and the links
  declared for them, which over the whole API rarely come up.

Every response is checked against the document: no 5xx, the status code, content type, headers
(the required `ETag`) and body schema the document gives for it, requests that break the
document are refused, requests that keep to it are accepted (`positive_data_acceptance`), a
request without the token is refused, and every 4xx except the authorizer's 401 is the
error body of docs/API.md. A request that keeps to the document may still be refused for a rule
JSON Schema cannot state; `ARGUED_REFUSALS` lists those rules (docs/DESIGN.md, "Schemathesis
and its argued refusals" argues each), and a 400 is accepted only when its error names one.

Deterministic (a fixed seed, derandomized, no example database) so CI sees the same cases each
run. `STINT_FUZZ_EXAMPLES` / `STINT_FUZZ_SCENARIOS` / `STINT_FUZZ_WORKSPACE_SCENARIOS` raise the
budget for a deeper run.
"""

from __future__ import annotations

import copy
import json
import os
import re
from pathlib import Path
from typing import Any, cast

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, Phase, settings
from hypothesis.errors import Flaky
from schemathesis import Case, CheckContext, Response
from schemathesis.core.parameters import ParameterLocation
from schemathesis.openapi.checks import RejectedPositiveData
from schemathesis.specs.openapi.checks import positive_data_acceptance

from tests.api.conftest import cognito, sign_up
from tests.fuzz.conftest import OPERATIONS, STATEFUL_2XX, STATS

OPENAPI = Path(__file__).resolve().parents[2] / "openapi.json"
SEED = 20261122
MAX_EXAMPLES = int(os.environ.get("STINT_FUZZ_EXAMPLES") or 60)  # per operation (fuzzing phase)
SCENARIOS = int(os.environ.get("STINT_FUZZ_SCENARIOS") or 90)
STEPS = 12  # calls per scenario, at most

SETTINGS: dict[str, Any] = {
    "seed": SEED,
    "generation": {
        "max-examples": MAX_EXAMPLES,
        "deterministic": True,
        "database": "none",
        # Unknown query parameters are ignored (only bodies forbid unknown fields).
        "allow-extra-parameters": False,
        # The real token is sent with every call; no made-up Authorization headers.
        "with-security-parameters": False,
    },
    "checks": {
        # Run as `positive_data_accepted` below, with the argued refusals; made-up ids name
        # nothing (404), made-up ETags match nothing (412), made-up ids may exist (409).
        "positive_data_acceptance": {
            "enabled": False,
            "expected-statuses": ["2xx", "401", "403", "404", "409", "412", "429"],
        },
        # schemathesis' list, and 413: a body over 256 KiB (an invalid one drawn long, in a
        # batch of many) is refused by its size before it is read (`payload_too_large`).
        "negative_data_rejection": {
            "expected-statuses": [
                *("400", "401", "403", "404", "405", "406", "409", "413", "415", "422"),
                *("428", "429", "5xx"),
            ],
        },
        # Another method on a route's path is the gateway's 404 not_found, not a 405
        # (docs/DESIGN.md, "HTTP conventions and browser apps"): API Gateway cannot tell it
        # from an unknown path.
        "unsupported_method": {"enabled": False},
    },
}
CONFIG = schemathesis.Config.from_dict(SETTINGS)
schema = schemathesis.openapi.from_path(OPENAPI, config=CONFIG)

ERROR_KEYS = {"code", "message", "details", "requestId", "index"}  # index: an atomic batch's

# Rules of docs/API.md that JSON Schema cannot state, each as the field its refusal names and
# its message (docs/DESIGN.md, "Schemathesis and its argued refusals"). A 400 for data the
# document allows is accepted only when every one of its details is one of these: a field in a
# batch's operation is `operations.N.body.` and the field. What the document now states (a
# title not empty nor blank, what a create requires, a session's task or project by id or
# title, in an atomic batch's operations too) is gone.
ANY_FIELD = r".*"
IDS = r"(^|\.)(id|\w*Id|tagIds(\.\d+)?|defaultProject|task)$"
ARGUED_REFUSALS: dict[str, tuple[str, str]] = {
    # docs/API.md: a body field naming an entity the caller does not have is a 400.
    "an id that names nothing of the caller's": (
        IDS,
        r"^no \w+ with id |was deleted$|^must equal the \w+ in the path$|^must be a subtask of"
        r"|^must not be an archived project$|^names a project the caller does not see$"
        r"|^a session stays in the workspace it was created in$",
    ),
    # docs/API.md, "Requests and answers": 1..500 characters *after trimming* (a longer one with
    # blanks around it is taken), one of them visible: zero-width characters are not, and JSON
    # Schema's `\S` takes them.
    "a title of invisible characters, or long before trimming": (
        r"(^|\.)(title|name|displayName|tags\.\d+)$",
        r"after trimming$|^must have a visible character",
    ),
    # A PATCH may send `workspaceId` back as it is; any other is a 400 (docs/API.md, "Where
    # things are"): a value equal to the stored one, which no schema knows.
    "a workspace fixed at creation": (
        r"(^|\.)workspaceId$",
        r"^is fixed when the entity is created$",
    ),
    # Timestamps: the documented range (0001-01-02 .. 9999-12-23, in each one's description),
    # which JSON Schema's date-time cannot state.
    "a timestamp outside the range": (
        r"(^|\.)(\w*Timestamp|lastUpdated|\w+At|from|to|start|end)$",
        r"^must be within ",
    ),
    # Reports: `to` after `from`, at most 367 days; `tz` an IANA zone (an open list).
    "a report range or time zone": (
        r"^(to|tz)$",
        r"^must be after from$|days after from$|not an IANA time zone",
    ),
    # A hook URL: https (http to loopback in local development only), a host, no credentials, no
    # port 0, resolving to public addresses only: checked by parsing and resolving it.
    "a hook URL": (
        r"(^|\.)hookUrl$",
        r"^its host |^must be an https URL|^must name a host$|^must not carry credentials$"
        r"|^is not a valid URL|^must not name port 0$|^must be at most \d+ characters$"
        r"|^must not contain a control character or blank ",
    ),
    # A webhook sent back as got passes, but its trigger type cannot change.
    "a webhook's trigger type": (
        r"(^|\.)triggerType$",
        r"^cannot change; subscribe another webhook",
    ),
    # Search: categories have no parent.
    "a search parent": (r"^parentId$", r"has no parent$"),
    # docs/API.md, "Requests and answers": no string holds a lone surrogate or U+0000 (not
    # encodable UTF-8), which no JSON Schema `string` excludes.
    "an unencodable string": (ANY_FIELD, r"lone surrogate or U\+0000|U\+0000 or a lone surrogate"),
    # docs/API.md, "Timers": Time Magic's `PATCH /v1/tasks/{id}?event=` takes `{note}` or
    # nothing, while the same route without `event` takes a task (one path, one body schema).
    "a task event's body": (
        r"^(body)?$",
        r"^With \?event= the body is|^The body must be \{\"task\"",
    ),
    # docs/API.md, "Requests and answers": JSON limits, which hold for every value, also where a
    # server-managed field sent back is ignored and so has no type in the document (a session's
    # `running`): a batch of 100 operations draws enough of them to meet one.
    "the JSON limits": (
        ANY_FIELD,
        r"more than \d+ digits$|longer than \d+ characters$|deeper than \d+ levels$",
    ),
    # docs/API.md, "Titles are reused": at most 20 tags a session, `tagIds` and `tags` (by name)
    # together.
    "tags by id and by name together": (r"(^|\.)session\.tags$", r"carries at most \d+ tags$"),
    # docs/API.md, "Sessions in bulk": 25 operations when atomic, and what one transaction holds.
    "an atomic batch": (
        r"^operations$",
        r"for one transaction|ways one transaction cannot hold$|in one workspace$",
    ),
    # docs/API.md, "Locked time and approvals": an approval's period, `to` not before `from`
    # and at most 366 days (two fields; a stateful run draws one once its routes are reached).
    "an approval's period": (
        r"^to$",
        r"^must not be before from$|^a period is at most \d+ days$",
    ),
    # docs/API.md, "Detailed and weekly reports": a weekly report's `from` is a calendar date.
    "a calendar date": (r"^from$", r"^must be a date"),
    # docs/API.md, "Where things are": a task's `assigneeId` is a member of its workspace (of
    # the personal one, its owner alone); like an id naming nothing, a made-up id is a 400.
    "an assignee who is not a member": (
        r"(^|\.)assigneeId$",
        r"^is not a member of the task's workspace$",
    ),
    # The `userId` parameter of the reports and `GET /v1/sessions` "needs `workspaceId`" (its
    # description): without it only the caller's own id is taken. One parameter that depends on
    # another is beyond OpenAPI's parameters.
    "another member's time without workspaceId": (
        r"^userId$",
        r"^another member's time needs workspaceId$",
    ),
    # Opaque page tokens: any string the client did not get from the server is malformed.
    "a page token the server did not give": (
        r"^nextToken$",
        r"^not a token this API issued to you for this request$|^malformed$|^$",
    ),
}
Rules = list[tuple[re.Pattern[str], re.Pattern[str]]]


def compiled(rules: dict[str, tuple[str, str]]) -> Rules:
    return [(re.compile(field), re.compile(message)) for field, message in rules.values()]


_ARGUED = compiled(ARGUED_REFUSALS)
# Opaque tokens: any string the client did not get from the server is malformed.
ARGUED_CODES = {"invalid_sync_token"}


def documented_error_body(ctx: CheckContext, response: Response, case: Case) -> bool | None:
    """Every 4xx except the authorizer's 401 is
    `{"error": {"code", "message", "details"?, "requestId"}}`."""
    if not 400 <= response.status_code < 500:
        return None
    if case.method.upper() != case.operation.method.upper():
        return None  # a probe with another method: the gateway's answer (see CONFIG)
    body = response.json()
    if response.status_code == 401 and body == {"message": "Unauthorized"}:
        return None
    assert isinstance(body, dict) and set(body) == {"error"}, f"not the error body: {body}"
    error = body["error"]
    assert isinstance(error, dict), f"not the error body: {body}"
    assert {"code", "message", "requestId"} <= set(error) <= ERROR_KEYS, f"not the body: {body}"
    assert isinstance(error["code"], str) and error["code"], f"no error code: {body}"
    assert isinstance(error["message"], str) and error["message"], f"no message: {body}"
    assert isinstance(error.get("details", []), list), f"details not a list: {body}"
    return True


def argued_refusal(response: Response) -> bool:
    """Whether a 400 is one of the ARGUED_REFUSALS (or an opaque token's code): each of its
    details, field and message, is an argued one."""
    try:
        error = response.json()["error"]
    except (ValueError, KeyError, TypeError):
        return False
    if error.get("code") in ARGUED_CODES:
        return True
    details = error.get("details") or [{"field": "", "message": error.get("message", "")}]
    return all(argued_detail(detail, _ARGUED) for detail in details)


def argued_detail(detail: dict[str, Any], rules: Rules) -> bool:
    field = str(detail.get("field", ""))
    message = str(detail.get("message", ""))
    return any(
        field_rule.search(field) and message_rule.search(message)
        for field_rule, message_rule in rules
    )


def positive_data_accepted(ctx: CheckContext, response: Response, case: Case) -> bool | None:
    """schemathesis' `positive_data_acceptance`, but for the ARGUED_REFUSALS."""
    try:
        return positive_data_acceptance(ctx, response, case)
    except RejectedPositiveData:
        if response.status_code == 400 and argued_refusal(response):
            STATS["argued refusals"] += 1
            return None
        raise


CHECKS = [documented_error_body, positive_data_accepted]


def auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@schema.parametrize()
def test_operation(case: Case, stack: dict[str, Any], token: str) -> None:
    OPERATIONS.add(case.operation.label)
    STATS["cases"] += 1
    case.call_and_validate(base_url=stack["ApiUrl"], headers=auth(token), additional_checks=CHECKS)


# An invitation reaches the user with its email verified, and only they accept or decline it
# (the inviter gets a 404: docs/API.md, "Invitations").
INVITE = "POST /v1/workspaces/{workspaceId}/members"
BODY = ParameterLocation.BODY
THE_INVITEES = {
    "POST /v1/invitations/{invitationId}/accept",
    "POST /v1/invitations/{invitationId}/decline",
}


def verified_user(stack: dict[str, Any]) -> dict[str, str]:
    """A new user whose email is verified (as confirming Cognito's code does): invitations
    reach them."""
    tokens = sign_up(stack)
    cognito(stack).admin_update_user_attributes(
        UserPoolId=stack["UserPoolId"],
        Username=tokens["email"],
        UserAttributes=[{"Name": "email_verified", "Value": "true"}],
    )
    return tokens


def shape_for_the_scenario(case: Case, invitee_email: str) -> None:
    """Valid bodies that a scenario's next steps build on, made to succeed: an invitation goes
    to the scenario's invitee. Its other fields are sent as drawn, and an invalid body as
    drawn."""
    body = case.body
    if not isinstance(body, dict) or (case.meta and case.meta.is_negative_at(BODY)):
        return
    if case.operation.label == INVITE and isinstance(body.get("email"), str):
        case.body = {**body, "email": invitee_email}


def run_workflows(stack: dict[str, Any], api: Any, scenarios: int, steps: int = STEPS) -> None:
    """Stateful scenarios over `api`'s operations and links, each response checked."""
    failures: list[BaseException] = []

    class Workflow(api.as_state_machine()):  # type: ignore[misc]
        def setup(self) -> None:
            # Each scenario starts from fresh accounts, so what a scenario meets depends on
            # its own steps only, not on the ones before it.
            STATS["scenarios"] += 1
            self.token = str(sign_up(stack)["AccessToken"])
            invitee = verified_user(stack)
            self.invitee_email = invitee["email"]
            self.invitee_token = invitee["AccessToken"]

        def before_call(self, case: Case) -> None:
            shape_for_the_scenario(case, self.invitee_email)

        def get_call_kwargs(self, case: Case) -> dict[str, Any]:
            token = self.invitee_token if case.operation.label in THE_INVITEES else self.token
            return {"base_url": stack["ApiUrl"], "headers": auth(token)}

        def call(self, case: Case, **kwargs: Any) -> Any:
            STATS["steps"] += 1
            response = super().call(case, **kwargs)
            if 200 <= response.status_code < 300:
                STATEFUL_2XX.add(case.operation.label)
            return response

        def validate_response(
            self, response: Any, case: Case, additional_checks: Any = None, **kwargs: Any
        ) -> None:
            checks = [*(additional_checks or []), *CHECKS]
            try:
                super().validate_response(response, case, additional_checks=checks, **kwargs)
            except Exception as failure:
                failures.append(failure)
                raise

    # Generation only, as schemathesis runs its stateful phase: replaying or shrinking a
    # scenario against a live server is not the same scenario.
    try:
        Workflow.run(
            settings=settings(
                max_examples=scenarios,
                stateful_step_count=steps,
                phases=[Phase.generate],
                deadline=None,
                derandomize=True,
                database=None,
                suppress_health_check=list(HealthCheck),
            )
        )
    except Flaky:
        # Hypothesis saw a replayed scenario take another path (the server's answers are not
        # a pure function of the choices); schemathesis' own engine ends the run likewise.
        # A check that failed on the way is still a failure.
        if failures:
            raise failures[0] from None


def test_workflows(stack: dict[str, Any]) -> None:
    run_workflows(stack, schema, SCENARIOS)


# The workspace's routes, and what puts a running timer in a workspace. Over the whole API a
# scenario picks each step among some 1,800 links, most of them inferred, and the workspace's
# own rarely come up in 12 steps. These scenarios take the workspace's operations alone, and
# only the links openapi.json declares (tools/openapi.py, `LINKS`: a new workspace's members,
# invitations revoked, accepted and declined by the invitee, roles, timers) and `TIMER_LINKS`:
# a project made in a new workspace, a task in it, its timer started, then stopped as the
# workspace's.
WORKSPACE_OPERATIONS = {
    *(f"{method} /v1/workspaces{path}" for method, path in [
        ("GET", ""), ("POST", ""), ("GET", "/{workspaceId}"), ("PATCH", "/{workspaceId}"),
        ("DELETE", "/{workspaceId}"), ("GET", "/{workspaceId}/members"),
        ("POST", "/{workspaceId}/members"), ("PATCH", "/{workspaceId}/members/{userId}"),
        ("DELETE", "/{workspaceId}/members/{userId}"),
        ("DELETE", "/{workspaceId}/invitations/{invitationId}"),
        ("GET", "/{workspaceId}/timers"), ("POST", "/{workspaceId}/timers/{timerId}/stop"),
    ]),
    "GET /v1/invitations",
    *THE_INVITEES,
    "POST /v1/projects",
    "POST /v1/projects/{projectId}/tasks",
    "POST /v1/timer",
}  # fmt: skip
# Links into request bodies: schemathesis reads the runtime expressions inside a body (merged
# into the body it draws), which OpenAPI does not define, so they are not in openapi.json.
TIMER_LINKS = {
    ("/v1/workspaces", "post", "201"): {
        "CreateProject": {
            "operationId": "createProject",
            "requestBody": {"project": {"workspaceId": "$response.body#/workspace/id"}},
        }
    },
    ("/v1/projects", "post", "201"): {
        "CreateTask": {
            "operationId": "createProjectTask",
            "parameters": {"projectId": "$response.body#/project/id"},
        }
    },
    ("/v1/projects/{projectId}/tasks", "post", "201"): {
        "StartTimer": {
            "operationId": "startTimer",
            "requestBody": {"taskId": "$response.body#/task/id"},
        }
    },
}
WORKSPACE_SCENARIOS = int(os.environ.get("STINT_FUZZ_WORKSPACE_SCENARIOS") or 40)
WORKSPACE_STEPS = int(os.environ.get("STINT_FUZZ_WORKSPACE_STEPS") or 20)


def workspace_schema() -> Any:
    """openapi.json's workspace operations with its links and TIMER_LINKS, no inferred ones."""
    document = json.loads(OPENAPI.read_text(encoding="utf-8"))
    for (path, method, status), links in TIMER_LINKS.items():
        response = document["paths"][path][method]["responses"][status]
        response.setdefault("links", {}).update(links)
    options = copy.deepcopy(SETTINGS)
    options["phases"] = {"stateful": {"inference": {"algorithms": []}}}
    config = schemathesis.Config.from_dict(options)
    api = schemathesis.openapi.from_dict(document, config=config)
    return api.include(lambda ctx: ctx.operation.label in WORKSPACE_OPERATIONS)


def test_workspace_workflows(stack: dict[str, Any]) -> None:
    run_workflows(stack, workspace_schema(), WORKSPACE_SCENARIOS, WORKSPACE_STEPS)


def test_the_stack_serves_the_committed_document(stack: dict[str, Any]) -> None:
    """As committed, but naming the stack itself: its URL and its user pool domain's OAuth2."""
    response = requests.get(stack["ApiUrl"] + "/openapi.json", timeout=30)
    assert response.status_code == 200
    served, committed = response.json(), json.loads(OPENAPI.read_text(encoding="utf-8"))
    assert [server["url"] for server in served.pop("servers")] == [stack["ApiUrl"]]
    flow = served["components"]["securitySchemes"]["cognito"]["flows"]["authorizationCode"]
    assert flow["authorizationUrl"] == stack["OAuthBaseUrl"] + "/oauth2/authorize"
    assert flow["tokenUrl"] == flow["refreshUrl"] == stack["OAuthBaseUrl"] + "/oauth2/token"
    committed.pop("servers")
    committed_flow = committed["components"]["securitySchemes"]["cognito"]["flows"]
    committed_flow["authorizationCode"].update(
        {key: flow[key] for key in ("authorizationUrl", "tokenUrl", "refreshUrl")}
    )
    assert served == committed


# A request body that is not JSON (Content-Type text/plain, multipart/form-data without a
# boundary) got Powertools' own 415 body, or crashed the handler (502); stint.api now refuses
# it first with 400 invalid_json.
@pytest.mark.parametrize("content_type", ["text/plain", "multipart/form-data"])
def test_a_body_that_is_not_json_gets_the_error_body(
    stack: dict[str, Any], token: str, content_type: str
) -> None:
    response = requests.post(
        stack["ApiUrl"] + "/v1/projects",
        data=json.dumps({"project": {"title": "x"}}),
        headers={**auth(token), "Content-Type": content_type},
        timeout=30,
    )
    assert 400 <= response.status_code < 500, response.text
    assert set(response.json()) == {"error"}, response.text


# Found by test_workflows: a nextToken that is base64 JSON but not an object (`MA` is `0`,
# `bnVsbA` is `null`) makes stint.store.Store._decode_page_token raise TypeError, a 502 on
# every list route. The fix belongs in store.py (check that the decoded key is a dict); until
# then this is an expected failure.
@pytest.mark.parametrize("path", ["/v1/projects", "/v1/categories", "/v1/tasks", "/v1/sessions"])
@pytest.mark.parametrize("next_token", ["MA", "bnVsbA"])
def test_a_next_token_that_is_not_a_json_object_is_a_400(
    stack: dict[str, Any], token: str, path: str, next_token: str
) -> None:
    response = requests.get(
        stack["ApiUrl"] + path, params={"nextToken": next_token}, headers=auth(token), timeout=30
    )
    assert response.status_code == 400, response.text
    assert response.json()["error"]["code"] == "validation_error", response.text


class _Answer:
    """A 400's body, as `argued_refusal` reads a response (an atomic batch's, with `index`)."""

    def __init__(self, *details: dict[str, str], index: int | None = None) -> None:
        error = {"code": "validation_error", "message": "x", "details": details}
        self.body = {"error": error if index is None else {**error, "index": index}}

    def json(self) -> Any:
        return self.body


def test_a_400_is_argued_only_when_each_detail_is_by_its_field_and_message() -> None:
    argued = {"field": "session.startTimestamp", "message": "must be within 0001-01-02 .."}
    other = {"field": "session.duration", "message": "Input should be a valid integer"}
    assert argued_refusal(cast(Response, _Answer(argued)))
    assert argued_refusal(cast(Response, _Answer({**argued, "field": "operations.3.body.to"})))
    # One argued detail does not excuse another reason in the same 400.
    assert not argued_refusal(cast(Response, _Answer(argued, other)))
    # An argued message under another field is not that refusal.
    assert not argued_refusal(cast(Response, _Answer({**argued, "field": "session.note"})))
    # What the document states now is no excuse: a create's required title, a blank title.
    assert not argued_refusal(
        cast(Response, _Answer({"field": "tag.name", "message": "is required"}))
    )
    # A task or project by neither id nor title: the single routes' documents state it, and an
    # atomic batch's (`if`/`then` on `atomic`): no excuse, with `index` or without.
    unnamed = {"field": "task", "message": "needs an id or a title"}
    assert not argued_refusal(cast(Response, _Answer(unnamed)))
    assert not argued_refusal(cast(Response, _Answer(unnamed, index=3)))
    assert not argued_refusal(cast(Response, _Answer({**unnamed, "field": "project"}, index=0)))
    # Its 25 operations too; what one transaction holds is argued.
    more = {"field": "operations", "message": "at most 25 when atomic"}
    assert not argued_refusal(cast(Response, _Answer(more)))
    held = {"field": "operations", "message": "too many items for one transaction"}
    assert argued_refusal(cast(Response, _Answer(held)))
    # An atomic batch's refusal (with `index`) is argued as any 400 is.
    assert argued_refusal(cast(Response, _Answer(argued, index=2)))
    # An approval's period longer than 366 days (the scenarios drew one).
    longer = {"field": "to", "message": "a period is at most 366 days"}
    assert argued_refusal(cast(Response, _Answer(longer)))

"""template.yaml: OAuth2 and every route's scopes (docs/API.md, "Base URL, tokens and scopes")."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from local.resources import OfflineProvisioner
from local.template import Template, load_template
from stint.kinds import KINDS
from stint.store import TOMBSTONE_PREFIX, alert_sk

REPO = Path(__file__).resolve().parent.parent
ADMIN = "aws.cognito.signin.user.admin"
OAUTH_ROUTES = {
    ("GET", "/v1/authorize"),
    ("POST", "/v1/access_token"),
    ("POST", "/v1/refresh_token"),
}
# The reference page and its document (docs/DESIGN.md, "The OpenAPI document"): public, like the
# OAuth2 calls.
DOCS_ROUTES = {("GET", "/docs"), ("GET", "/docs/{asset}"), ("GET", "/openapi.json")}


@pytest.fixture(scope="module")
def template() -> Template:
    return load_template(REPO / "template.yaml")


def one(template: Template, resource_type: str) -> tuple[str, dict[str, Any]]:
    resources = template.resources_of_type(resource_type)
    assert len(resources) == 1, f"{resource_type}: {sorted(resources)}"
    return next(iter(resources.items()))


def clients(template: Template) -> dict[str, dict[str, Any]]:
    return template.resources_of_type("AWS::Cognito::UserPoolClient")


def test_user_pool_domain_prefix_is_parameterized_and_unique_per_stack(
    template: Template,
) -> None:
    _, domain = one(template, "AWS::Cognito::UserPoolDomain")
    assert domain["Properties"]["UserPoolId"] == {"Ref": "UserPool"}
    parameter = template.section("Parameters")["AuthDomainPrefix"]
    assert parameter["Default"] == ""
    # By default: from the account and the stack's id, which no other deploy shares.
    generated = OfflineProvisioner(template).resolve(domain["Properties"]["Domain"])
    assert generated == "stint-123456789012-local"  # the local stack's pseudo parameters
    assert re.fullmatch(parameter["AllowedPattern"], generated)
    assert not re.search("aws|amazon|cognito", generated)  # Cognito refuses these in prefixes
    assert re.fullmatch(parameter["AllowedPattern"], "my-stint")
    assert not re.fullmatch(parameter["AllowedPattern"], "My_Stint")


def test_resource_server_has_read_and_write(template: Template) -> None:
    _, server = one(template, "AWS::Cognito::UserPoolResourceServer")
    properties = server["Properties"]
    assert properties["UserPoolId"] == {"Ref": "UserPool"}
    assert properties["Identifier"] == "stint"
    assert {scope["ScopeName"] for scope in properties["Scopes"]} == {"read", "write"}


def test_first_party_client_keeps_its_flows_and_adds_the_code_flow(template: Template) -> None:
    client = clients(template)["UserPoolClient"]
    properties = client["Properties"]
    assert properties["GenerateSecret"] is False  # public: PKCE instead of a secret
    assert {"ALLOW_USER_SRP_AUTH", "ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"} <= set(
        properties["ExplicitAuthFlows"]
    )
    assert properties["AllowedOAuthFlowsUserPoolClient"] is True
    assert properties["AllowedOAuthFlows"] == ["code"]
    assert set(properties["AllowedOAuthScopes"]) == {
        "openid",
        "email",
        "stint/read",
        "stint/write",
        ADMIN,
    }
    # The apps' redirect URIs and the reference page's (docs/DESIGN.md, "The OpenAPI document").
    resolved = OfflineProvisioner(template).resolve(properties["CallbackURLs"])
    api_url = OfflineProvisioner(template).resolve(template.section("Outputs")["ApiUrl"]["Value"])
    assert resolved == ["http://localhost:8080/callback", f"{api_url}/docs/oauth2-redirect.html"]
    assert properties["SupportedIdentityProviders"] == ["COGNITO"]
    assert client["DependsOn"] == "ResourceServer"  # its scopes must exist before it


def test_integration_client_is_confidential_with_the_stint_scopes(template: Template) -> None:
    client = clients(template)["IntegrationClient"]
    properties = client["Properties"]
    assert properties["GenerateSecret"] is True
    assert properties["AllowedOAuthFlowsUserPoolClient"] is True
    assert properties["AllowedOAuthFlows"] == ["code"]
    assert set(properties["AllowedOAuthScopes"]) == {"stint/read", "stint/write"}
    assert properties["CallbackURLs"] == {"Ref": "IntegrationCallbackUrls"}
    assert "ALLOW_USER_PASSWORD_AUTH" not in properties.get("ExplicitAuthFlows", [])
    assert client["DependsOn"] == "ResourceServer"


def test_callback_url_parameters(template: Template) -> None:
    parameters = template.section("Parameters")
    for name in ("AppCallbackUrls", "IntegrationCallbackUrls"):
        assert parameters[name]["Type"] == "CommaDelimitedList"
        for url in str(parameters[name]["Default"]).split(","):
            assert url.startswith(("https://", "http://localhost")), url


def test_outputs(template: Template) -> None:
    outputs = template.section("Outputs")
    # docs/DESIGN.md, "Deploying".
    assert {"ApiUrl", "UserPoolId", "UserPoolClientId", "UserPoolDomain", "TableName"} <= set(
        outputs
    )
    assert outputs["UserPoolDomain"]["Value"] == {"Ref": "UserPoolDomain"}
    assert outputs["IntegrationClientId"]["Value"] == {"Ref": "IntegrationClient"}
    stack = OfflineProvisioner(template)
    base_url = stack.resolve(outputs["OAuthBaseUrl"]["Value"])
    prefix = stack.ref("UserPoolDomain")  # the domain's Ref is its prefix
    assert base_url == f"https://{prefix}.auth.us-east-1.amazoncognito.com"
    assert not any("Secret" in name for name in outputs)  # secrets stay in Cognito


def test_oauth_function_serves_tymes_calls_without_a_token(template: Template) -> None:
    properties = template.properties("OAuthFunction")
    events = {
        (event["Properties"]["Method"], event["Properties"]["Path"]): event["Properties"]
        for event in properties["Events"].values()
    }
    assert set(events) == OAUTH_ROUTES
    assert all(event["Auth"] == {"Authorizer": "NONE"} for event in events.values())
    assert all(event["RestApiId"] == {"Ref": "StintApi"} for event in events.values())
    # It forwards to the domain the OAuthBaseUrl output names.
    variables = properties["Environment"]["Variables"]
    assert variables["OAUTH_BASE_URL"] == template.section("Outputs")["OAuthBaseUrl"]["Value"]
    assert "Policies" not in properties  # it calls no AWS API


def test_every_other_route_takes_the_first_party_scope_or_its_methods_stint_scope(
    template: Template,
) -> None:
    """GET: aws.cognito.signin.user.admin or stint/read; any other method: ... or stint/write.
    So a stint/read token reads and never writes, at API Gateway as at the local authorizer."""
    seen = set()
    for logical_id in template.resources_of_type("AWS::Serverless::Function"):
        for event in (template.properties(logical_id).get("Events") or {}).values():
            if event.get("Type") != "Api":
                continue
            properties = event["Properties"]
            route = (str(properties["Method"]).upper(), str(properties["Path"]))
            seen.add(route)
            if route in OAUTH_ROUTES | DOCS_ROUTES:
                assert properties["Auth"] == {"Authorizer": "NONE"}, route
                continue
            expected = {ADMIN, "stint/read" if route[0] == "GET" else "stint/write"}
            assert set(properties["Auth"]["AuthorizationScopes"]) == expected, route
            authorizer = properties["Auth"].get("Authorizer", "CognitoAuthorizer")  # the default
            assert authorizer == "CognitoAuthorizer", route
    assert seen > OAUTH_ROUTES | DOCS_ROUTES  # and other routes too
    api = template.properties("StintApi")["Auth"]
    assert api["DefaultAuthorizer"] == "CognitoAuthorizer"


def test_cors_is_configured_once_and_used_everywhere(template: Template) -> None:
    """docs/API.md, "Requests and answers": the preflights (SAM's Cors), the gateway's own answers
    and the
    functions' answers all take the AllowedOrigins parameter and Mappings.Cors."""
    parameter = template.section("Parameters")["AllowedOrigins"]
    assert parameter["Default"] == "*"
    stack = OfflineProvisioner(template)
    api = stack.resolve(template.properties("StintApi"))
    assert api["Auth"]["AddDefaultAuthorizerToCorsPreflight"] is False  # no token on preflights
    headers = stack.resolve(template.section("Mappings")["Cors"]["Headers"])
    assert api["Cors"] == {
        "AllowOrigin": "'*'",
        "AllowHeaders": f"'{headers['Allow']}'",
        "MaxAge": f"'{headers['MaxAge']}'",
    }
    assert {"Authorization", "Content-Type", "Idempotency-Key", "If-Match"} <= set(
        headers["Allow"].split(",")
    )
    exposed = {"ETag", "Location", "Retry-After", "Idempotent-Replayed", "X-Request-Id", "Link"}
    assert exposed <= set(headers["Expose"].split(","))
    responses = api["GatewayResponses"]
    assert {"DEFAULT_4XX", "DEFAULT_5XX"} <= set(responses)
    for name, response in responses.items():
        got = response["ResponseParameters"]["Headers"]
        assert got["Access-Control-Allow-Origin"] == "'*'", name
        assert got["Access-Control-Expose-Headers"] == f"'{headers['Expose']}'", name
        for body in (response.get("ResponseTemplates") or {}).values():
            assert '"requestId": "$context.requestId"' in body, name
    assert responses["THROTTLED"]["ResponseParameters"]["Headers"]["Retry-After"] == "'1'"
    variables = stack.resolve(template.section("Globals")["Function"]["Environment"]["Variables"])
    assert variables["CORS_ALLOW_ORIGIN"] == "*"
    assert variables["CORS_EXPOSE_HEADERS"] == headers["Expose"]


def test_the_dispatchers_filter_lets_every_kinds_changes_through(template: Template) -> None:
    """docs/API.md, "Webhooks": every kind (stint.kinds) has a webhook trigger, so the stream
    filter that wakes the dispatcher passes each kind's records and, since a deletion's event
    comes from its tombstone (stint.dispatch), each kind's tombstones."""
    dispatcher = template.resources["DispatcherFunction"]["Properties"]
    (source,) = [e for e in dispatcher["Events"].values() if e["Type"] == "DynamoDB"]
    patterns = [json.loads(f["Pattern"]) for f in source["Properties"]["FilterCriteria"]["Filters"]]
    prefixes = [rule["prefix"] for p in patterns for rule in p["dynamodb"]["Keys"]["sk"]["S"]]

    def passes(sk: str) -> bool:
        return any(sk.startswith(prefix) for prefix in prefixes)

    for kind in KINDS.values():
        assert passes(f"{kind.prefix}#some-id"), kind.name
        assert passes(f"{TOMBSTONE_PREFIX}{kind.prefix}#some-id"), kind.name
    assert passes(alert_sk("some-project", "2026-12", 80))  # budget alerts (stint.dispatch)


# What holds the users' data: the table, the user pool (every account) and the webhook queues
# (deliveries not yet made, events that could not be delivered).
DATA_TYPES = {"AWS::DynamoDB::Table", "AWS::Cognito::UserPool", "AWS::SQS::Queue"}
RETAINED = {
    "StintTable",
    "UserPool",
    "DeliveryQueue",
    "WebhookDeadLetterQueue",
    "RerateQueue",
    "RerateDeadLetterQueue",
}


def test_the_data_outlives_the_stack(template: Template) -> None:
    """`make delete` (and a replacement by an update) must not delete an account or an item:
    every resource that holds the users' data is retained. And every resource cfn-lint takes
    for stateful (its rule I3011, log groups among them) says what becomes of it."""
    from cfnlint.data import AdditionalSpecs
    from cfnlint.helpers import load_resource

    data = {i for i, r in template.resources.items() if r["Type"] in DATA_TYPES}
    assert data == RETAINED  # a new one is a decision: add it here
    for logical_id in data:
        resource = template.resources[logical_id]
        policies = (resource.get("DeletionPolicy"), resource.get("UpdateReplacePolicy"))
        assert policies == ("Retain", "Retain"), logical_id
    stateful = load_resource(AdditionalSpecs, "StatefulResources.json")["ResourceTypes"]
    for logical_id, resource in template.resources.items():
        if resource["Type"] in stateful:
            assert "DeletionPolicy" in resource, logical_id
            assert "UpdateReplacePolicy" in resource, logical_id

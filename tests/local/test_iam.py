"""Least privilege, checked: each function may call only what its template policy grants.

The local stack enforces every function's `Policies` on every AWS call it makes (local.iam),
so the whole API suite runs under the real template's permissions. These tests show the
check itself: what a call is evaluated against, and a stack whose template lacks one action
refusing exactly the calls that need it.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
import yaml

from local.iam import Policy, Statement, resources_of
from local.template import CloudFormationLoader, load_template
from local.testing import LOG_FILE, REPO, start_local_stack, stop
from tests.api.conftest import sign_up

TABLE = "arn:aws:dynamodb:us-east-1:123456789012:table/stint-local-StintTable"
POOL = "arn:aws:cognito-idp:us-east-1:123456789012:userpool/us-east-1_abc"


def test_the_resources_a_call_touches() -> None:
    assert resources_of("dynamodb", {"TableName": "stint-local-StintTable"}) == [TABLE]
    query = {"TableName": "stint-local-StintTable", "IndexName": "bySeq"}
    assert resources_of("dynamodb", query) == [f"{TABLE}/index/bySeq"]
    transaction = {"TransactItems": [{"Put": {"TableName": "stint-local-StintTable"}}] * 2}
    assert resources_of("dynamodb", transaction) == [TABLE]
    batch = {"RequestItems": {"stint-local-StintTable": {"Keys": []}}}
    assert resources_of("dynamodb", batch) == [TABLE]
    queue = {"QueueUrl": "http://127.0.0.1:5000/123456789012/stint-local-DeliveryQueue"}
    assert resources_of("sqs", queue) == [
        "arn:aws:sqs:us-east-1:123456789012:stint-local-DeliveryQueue"
    ]
    assert resources_of("cognito-idp", {"UserPoolId": "us-east-1_abc"}) == [POOL]


def test_an_action_is_allowed_only_on_the_resources_granted() -> None:
    policy = Policy(
        "TasksFunction",
        (
            Statement(("dynamodb:GetItem", "dynamodb:Query"), (TABLE, f"{TABLE}/index/*")),
            Statement(("cognito-idp:AdminGetUser",), (POOL,)),
        ),
    )
    assert policy.refusal("dynamodb:Query", [f"{TABLE}/index/byParent"]) is None
    assert policy.refusal("dynamodb:getitem", [TABLE]) is None  # actions ignore case
    refused = policy.refusal("dynamodb:PutItem", [TABLE])
    assert refused is not None and "TasksFunction is not authorized" in refused
    assert policy.refusal("dynamodb:GetItem", [TABLE.replace("Stint", "Other")]) is not None
    assert policy.refusal("cognito-idp:ListUsers", [POOL]) is not None


def test_every_function_of_the_template_has_inline_least_privilege_statements() -> None:
    """No `*` action or resource, no managed policy: what local.iam enforces is all there is.
    A function without `Policies` (OAuthFunction: it calls no AWS API) is granted nothing, and
    local.iam refuses any call it would make."""
    template = load_template(REPO / "template.yaml")
    without = set()
    for logical_id in template.resources_of_type("AWS::Serverless::Function"):
        policies = template.properties(logical_id).get("Policies")
        if policies is None:
            without.add(logical_id)
        for policy in policies or []:
            assert set(policy) == {"Statement"}, logical_id
            for statement in policy["Statement"]:
                actions = statement["Action"]
                assert all("*" not in action for action in actions), logical_id
                assert statement["Resource"] != "*", logical_id
    assert without == {"OAuthFunction"}


@pytest.fixture
def stack_without_transactions_for_tasks(tmp_path: Path) -> Iterator[dict[str, Any]]:
    """The real template, but TasksFunction's policy lacks dynamodb:TransactWriteItems."""
    raw = (REPO / "template.yaml").read_text(encoding="utf-8")
    # Short tags (!Ref) load as their long forms ({"Ref": ...}), which dump as plain YAML.
    template = yaml.load(raw, Loader=CloudFormationLoader)
    statement = template["Resources"]["TasksFunction"]["Properties"]["Policies"][0]["Statement"][0]
    statement["Action"].remove("dynamodb:TransactWriteItems")
    # Beside the real template, so that its relative CodeUri / ContentUri still resolve.
    path = REPO / f".iam-test-{os.getpid()}.yaml"
    path.write_text(yaml.safe_dump(template), encoding="utf-8")
    try:
        with pytest.MonkeyPatch.context() as patch:
            patch.delenv("STINT_OUTPUTS", raising=False)
            process, outputs = start_local_stack(tmp_path, template=path)
        yield {**outputs, "log": tmp_path / LOG_FILE}
        stop(process)
    finally:
        path.unlink(missing_ok=True)


def test_a_call_the_policy_does_not_grant_is_refused(
    stack_without_transactions_for_tasks: dict[str, Any],
) -> None:
    stack = stack_without_transactions_for_tasks
    token = sign_up(stack)["AccessToken"]
    headers = {"Authorization": f"Bearer {token}"}
    listed = requests.get(stack["ApiUrl"] + "/v1/tasks", headers=headers, timeout=30)
    assert listed.status_code == 200, listed.text  # Query is still granted
    created = requests.post(
        stack["ApiUrl"] + "/v1/tasks", json={"task": {"title": "x"}}, headers=headers, timeout=30
    )
    assert created.status_code == 502, created.text
    log = stack["log"].read_text(encoding="utf-8")
    assert (
        "AccessDenied: TasksFunction is not authorized to perform: dynamodb:TransactWriteItems"
        in log
    )
    # Other functions keep their own grants.
    project = requests.post(
        stack["ApiUrl"] + "/v1/projects",
        json={"project": {"title": "p"}},
        headers=headers,
        timeout=30,
    )
    assert project.status_code == 201, project.text

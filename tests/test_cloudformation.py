"""template.yaml, translated to plain CloudFormation by the SAM translator (as `sam deploy` does),
creates in moto's CloudFormation: the table with its indexes, TTL and stream, the user pool
with its clients, domain and resource server, the queues, the functions and the
dispatcher's event source mappings, the API's access log group, the alarms and their topic,
and (the stack is created with `SnapStart=Enabled`) the functions' published versions and
aliases.

What moto's CloudFormation cannot do, and so is adapted here (the template is not changed):
- Cognito resources (moto has no CloudFormation models for them) and a table's TTL (moto's
  table model ignores it): tests/moto_cloudformation.py adds them, through moto's own APIs.
- A RestApi from an OpenAPI `Body`: moto neither takes its name from the body nor imports its
  methods, so its Deployment fails ("The REST API doesn't contain any methods"). The RestApi
  gets a `Name` and its Deployment and Stage are left out; the API's routes are checked by
  `sam validate --lint`, tests/test_openapi.py and the local stack instead.
"""

from __future__ import annotations

import io
import json
import os
import re
import subprocess
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto import mock_aws

from tests import moto_cloudformation
from tools.translate import ARTIFACTS_BUCKET

REPO = Path(__file__).resolve().parent.parent
SAM_PYTHON = REPO / ".venv-sam" / "bin" / "python"
NOT_IN_MOTO = ("AWS::ApiGateway::Deployment", "AWS::ApiGateway::Stage")
# The functions behind stint.api (SnapStart, priming), and every function (alarms).
API_FUNCTIONS = {
    f"{name}Function"
    for name in ("Users", "Catalog", "Tasks", "Sessions", "Timer", "Workspaces", "Webhooks", "Sync")
} | {"ReportsFunction"}
ACCESS_LOG_FIELDS = {"requestId", "userId", "route", "status", "latencyMs"}


@pytest.fixture(scope="module")
def translated() -> dict[str, Any]:
    assert SAM_PYTHON.exists(), "the SAM venv is missing: run `make validate` (make test does)"
    result = subprocess.run(
        [str(SAM_PYTHON), "-m", "tools.translate", "template.yaml"],
        cwd=REPO,
        env={**os.environ, "AWS_DEFAULT_REGION": "us-east-1"},
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    template: dict[str, Any] = json.loads(result.stdout)
    return template


@pytest.fixture(scope="module")
def stack(translated: dict[str, Any]) -> Iterator[dict[str, Any]]:
    template = json.loads(json.dumps(translated))
    resources = template["Resources"]
    for logical_id in [k for k, r in resources.items() if r["Type"] in NOT_IN_MOTO]:
        del resources[logical_id]
    for resource in resources.values():
        if resource["Type"] == "AWS::ApiGateway::RestApi":
            resource["Properties"].setdefault("Name", "stint")
    with pytest.MonkeyPatch.context() as patch:
        for name, value in (
            ("AWS_DEFAULT_REGION", "us-east-1"),
            ("AWS_ACCESS_KEY_ID", "testing"),
            ("AWS_SECRET_ACCESS_KEY", "testing"),
        ):
            patch.setenv(name, value)
        for name in ("AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_DYNAMODB"):
            patch.delenv(name, raising=False)
        with mock_aws():
            moto_cloudformation.install()
            _upload_artifacts(resources)
            topic = boto3.client("sns").create_topic(Name="stint-alarms")["TopicArn"]
            cloudformation = boto3.client("cloudformation")
            cloudformation.create_stack(
                StackName="stint",
                TemplateBody=json.dumps(template),
                Capabilities=["CAPABILITY_IAM", "CAPABILITY_AUTO_EXPAND"],
                Parameters=[
                    {"ParameterKey": "SnapStart", "ParameterValue": "Enabled"},
                    {"ParameterKey": "AlarmTopicArn", "ParameterValue": topic},
                ],
            )
            description = cloudformation.describe_stacks(StackName="stint")["Stacks"][0]
            yield {
                "status": description["StackStatus"],
                "outputs": {o["OutputKey"]: o["OutputValue"] for o in description["Outputs"]},
                "resources": cloudformation.list_stack_resources(StackName="stint")[
                    "StackResourceSummaries"
                ],
                "template": translated,
                "topic": topic,
            }


def _upload_artifacts(resources: dict[str, Any]) -> None:
    """What `sam package` uploads: a zip per function and layer, at the keys the template names."""
    s3 = boto3.client("s3")
    s3.create_bucket(Bucket=ARTIFACTS_BUCKET)
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as zipped:
        zipped.writestr("app.py", "def lambda_handler(event, context):\n    return event\n")
    for resource in resources.values():
        code = resource["Properties"].get("Code") or resource["Properties"].get("Content") or {}
        if "S3Key" in code:
            s3.put_object(Bucket=ARTIFACTS_BUCKET, Key=code["S3Key"], Body=archive.getvalue())


def test_the_stack_is_created(stack: dict[str, Any]) -> None:
    assert stack["status"] == "CREATE_COMPLETE"
    failed = [r for r in stack["resources"] if r["ResourceStatus"] != "CREATE_COMPLETE"]
    assert not failed
    template_types = {r["Type"] for r in stack["template"]["Resources"].values()}
    created_types = {r["ResourceType"] for r in stack["resources"]}
    assert template_types - created_types == set(NOT_IN_MOTO)


def test_the_table(stack: dict[str, Any]) -> None:
    dynamodb = boto3.client("dynamodb")
    table = dynamodb.describe_table(TableName=stack["outputs"]["TableName"])["Table"]
    assert [i["IndexName"] for i in table["LocalSecondaryIndexes"]] == [
        "bySeq",
        "byParent",
        "byStart",
        "byStream",
    ]
    assert table["StreamSpecification"] == {
        "StreamEnabled": True,
        "StreamViewType": "NEW_AND_OLD_IMAGES",
    }
    assert table["LatestStreamArn"]
    assert table["BillingModeSummary"]["BillingMode"] == "PAY_PER_REQUEST"
    # moto's table keeps neither encryption nor point-in-time recovery from CloudFormation:
    # those are read from what CloudFormation was given.
    (declared,) = [
        r["Properties"]
        for r in stack["template"]["Resources"].values()
        if r["Type"] == "AWS::DynamoDB::Table"
    ]
    assert declared["SSESpecification"] == {"SSEEnabled": True}
    assert declared["PointInTimeRecoverySpecification"] == {"PointInTimeRecoveryEnabled": True}
    ttl = dynamodb.describe_time_to_live(TableName=table["TableName"])
    assert ttl["TimeToLiveDescription"] == {
        "TimeToLiveStatus": "ENABLED",
        "AttributeName": "expiresAt",
    }


def test_the_user_pool_and_its_clients(stack: dict[str, Any]) -> None:
    idp = boto3.client("cognito-idp")
    pool_id = stack["outputs"]["UserPoolId"]
    pool = idp.describe_user_pool(UserPoolId=pool_id)["UserPool"]
    assert pool["UsernameAttributes"] == ["email"]
    assert pool["LambdaConfig"]["PostConfirmation"].endswith(
        stack["outputs"].get("PostConfirmationFunctionName", "")
    )
    clients = idp.list_user_pool_clients(UserPoolId=pool_id, MaxResults=60)["UserPoolClients"]
    assert stack["outputs"]["UserPoolClientId"] in {c["ClientId"] for c in clients}
    first_party = idp.describe_user_pool_client(
        UserPoolId=pool_id, ClientId=stack["outputs"]["UserPoolClientId"]
    )["UserPoolClient"]
    assert "ALLOW_USER_PASSWORD_AUTH" in first_party["ExplicitAuthFlows"]
    # OAuth2 (docs/DESIGN.md, OAuth2): the domain, the resource server and the integrations client.
    described = idp.describe_user_pool_domain(Domain=stack["outputs"]["UserPoolDomain"])
    assert described["DomainDescription"]["UserPoolId"] == pool_id
    server = idp.describe_resource_server(UserPoolId=pool_id, Identifier="stint")
    scopes = {scope["ScopeName"] for scope in server["ResourceServer"]["Scopes"]}
    assert scopes == {"read", "write"}
    integration = idp.describe_user_pool_client(
        UserPoolId=pool_id, ClientId=stack["outputs"]["IntegrationClientId"]
    )["UserPoolClient"]
    assert integration["ClientSecret"] and integration["AllowedOAuthFlows"] == ["code"]
    assert set(integration["AllowedOAuthScopes"]) == {"stint/read", "stint/write"}


def test_the_queues(stack: dict[str, Any]) -> None:
    sqs = boto3.client("sqs")
    delivery = stack["outputs"]["DeliveryQueueUrl"]
    dead = stack["outputs"]["WebhookDeadLetterQueueUrl"]
    attributes = sqs.get_queue_attributes(QueueUrl=delivery, AttributeNames=["All"])["Attributes"]
    redrive = json.loads(attributes["RedrivePolicy"])
    dead_arn = sqs.get_queue_attributes(QueueUrl=dead, AttributeNames=["QueueArn"])["Attributes"]
    assert redrive["deadLetterTargetArn"] == dead_arn["QueueArn"]
    assert int(attributes["VisibilityTimeout"]) == 180


def test_the_functions_and_their_event_sources(stack: dict[str, Any]) -> None:
    functions = boto3.client("lambda").list_functions()["Functions"]
    templated = [
        r for r in stack["template"]["Resources"].values() if r["Type"] == "AWS::Lambda::Function"
    ]
    assert len(functions) == len(templated)
    assert {f["Runtime"] for f in functions} == {"python3.12"}
    # moto's functions ignore Architectures: read from what CloudFormation was given.
    assert {tuple(r["Properties"]["Architectures"]) for r in templated} == {("arm64",)}
    mappings = boto3.client("lambda").list_event_source_mappings()["EventSourceMappings"]
    sources = sorted(m["EventSourceArn"].split(":")[2] for m in mappings)
    # The dispatcher's and the re-rating's streams; the deliveries' and the re-rating jobs' queues.
    assert sources == ["dynamodb", "dynamodb", "sqs", "sqs"]


def _resources_of_type(stack: dict[str, Any], resource_type: str) -> dict[str, Any]:
    return {k: r for k, r in stack["template"]["Resources"].items() if r["Type"] == resource_type}


def test_the_api_writes_json_access_logs_to_a_log_group_it_keeps_30_days(
    stack: dict[str, Any],
) -> None:
    physical = {r["LogicalResourceId"]: r["PhysicalResourceId"] for r in stack["resources"]}
    groups = boto3.client("logs").describe_log_groups(logGroupNamePrefix="/aws/apigateway/")
    (group,) = groups["logGroups"]
    assert group["logGroupName"] == "/aws/apigateway/stint/access"
    assert group["retentionInDays"] == 30
    # moto creates no Stage (see above): its access log setting is read from the template.
    (stage,) = _resources_of_type(stack, "AWS::ApiGateway::Stage").values()
    setting = stage["Properties"]["AccessLogSetting"]
    assert setting["DestinationArn"] == {"Fn::GetAtt": ["ApiAccessLogGroup", "Arn"]}
    # Every $context variable replaced by a value of its kind: one JSON object.
    line = re.sub(
        r"\$context\.status|\$context\.\w+Latency|\$context\.requestTimeEpoch",
        "7",
        setting["Format"],
    )
    line = re.sub(r"\$context\.[\w.]+", "x", line)
    assert set(json.loads(line)) >= ACCESS_LOG_FIELDS
    # API Gateway logs through the account's CloudWatch role.
    account = boto3.client("apigateway").get_account()
    role = boto3.client("iam").get_role(RoleName=physical["ApiGatewayCloudWatchRole"])["Role"]
    assert account["cloudwatchRoleArn"] == role["Arn"]


def test_the_alarms_watch_queues_errors_throttles_and_the_stream_and_notify_the_topic(
    stack: dict[str, Any],
) -> None:
    alarms = boto3.client("cloudwatch").describe_alarms()["MetricAlarms"]
    assert len(alarms) == len(_resources_of_type(stack, "AWS::CloudWatch::Alarm")) == 7
    assert all(alarm["AlarmActions"] == [stack["topic"]] for alarm in alarms)
    assert all(alarm["OKActions"] == [stack["topic"]] for alarm in alarms)
    plain = {alarm["MetricName"]: alarm for alarm in alarms if alarm.get("MetricName")}
    assert set(plain) == {"ApproximateNumberOfMessagesVisible", "5XXError", "IteratorAge"}
    dead_letter = stack["outputs"]["WebhookDeadLetterQueueUrl"].rsplit("/", 1)[-1]
    assert plain["ApproximateNumberOfMessagesVisible"]["Dimensions"] == [
        {"Name": "QueueName", "Value": dead_letter}
    ]
    functions = {f["FunctionName"] for f in boto3.client("lambda").list_functions()["Functions"]}
    watched: dict[str, set[str]] = {"Errors": set(), "Throttles": set()}
    for alarm in alarms:
        metrics = [m["MetricStat"]["Metric"] for m in alarm.get("Metrics", []) if "MetricStat" in m]
        assert len(metrics) <= 10  # CloudWatch's limit for an alarm's metric math
        for metric in metrics:
            (dimension,) = metric["Dimensions"]
            watched[metric["MetricName"]].add(dimension["Value"])
    assert watched == {"Errors": functions, "Throttles": functions}


def test_snapstart_is_an_option_of_the_api_functions_with_an_alias_to_invoke(
    stack: dict[str, Any],
) -> None:
    functions = _resources_of_type(stack, "AWS::Lambda::Function")
    option = {"Fn::If": ["SnapStartOn", {"ApplyOn": "PublishedVersions"}, {"Ref": "AWS::NoValue"}]}
    snapstart = {name for name, f in functions.items() if f["Properties"].get("SnapStart")}
    assert snapstart == API_FUNCTIONS
    assert all(functions[name]["Properties"]["SnapStart"] == option for name in snapstart)
    assert stack["template"]["Conditions"]["SnapStartOn"] == {
        "Fn::Equals": [{"Ref": "SnapStart"}, "Enabled"]
    }
    client = boto3.client("lambda")
    for function in client.list_functions()["Functions"]:
        aliases = client.list_aliases(FunctionName=function["FunctionName"])["Aliases"]
        assert [alias["Name"] for alias in aliases] == ["live"]
        assert aliases[0]["FunctionVersion"] != "$LATEST"

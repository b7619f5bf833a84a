"""The local stack's pieces without a server: template, routing, claims, gateway, emulator."""

from __future__ import annotations

import copy
import json
import threading
import time
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto import mock_aws
from moto.core.responses import ActionResult
from moto.dynamodb.models.dynamo_type import Item
from moto.dynamodb.models.table import Table
from moto.dynamodb.parsing import validators
from werkzeug.test import EnvironBuilder

from local import patches
from local.authorizer import api_gateway_claims
from local.emulator import Emulator, HookError, SerializedApp
from local.functions import Function, split_environment
from local.gateway import gateway_response, proxy_response
from local.layout import CREDENTIALS
from local.routes import Api, Route, RouteTable
from local.template import NO_VALUE, Resolver, Template, TemplateError, load_template, merge_globals

# ----------------------------------------------------------------------------- template


class FakeResources:
    def ref(self, logical_id: str) -> str:
        return f"ref-of-{logical_id}"

    def get_att(self, logical_id: str, attribute: str) -> str:
        return f"{attribute}-of-{logical_id}"


TEMPLATE = """
Parameters:
  Stage: {Type: String, Default: prod}
  Size: {Type: Number, Default: 3}
  Names: {Type: CommaDelimitedList, Default: "a,b"}
Conditions:
  IsProd: !Equals [!Ref Stage, prod]
  IsDev: !Not [!Condition IsProd]
Mappings:
  Sizes: {prod: {memory: 512}}
Resources:
  Table: {Type: AWS::DynamoDB::Table}
  Thing:
    Type: Custom::Thing
    Properties:
      Ref: !Ref Table
      Att: !GetAtt Table.StreamArn
      AttList: !GetAtt [Table, Arn]
      Sub: !Sub "${AWS::StackName}-${Table}-${Table.Arn}-${!Literal}-${Stage}"
      SubVars: !Sub ["${a}/${b}", {a: !Ref Stage, b: x}]
      Join: !Join [",", [a, !Ref Size]]
      Select: !Select [1, !Ref Names]
      Split: !Split ["/", "x/y"]
      If: !If [IsProd, big, small]
      Dev: !If [IsDev, dev, !Ref AWS::NoValue]
      Map: !FindInMap [Sizes, !Ref Stage, memory]
      List: [one, !Ref AWS::NoValue, two]
"""


@pytest.fixture
def template(tmp_path: Path) -> Template:
    path = tmp_path / "template.yaml"
    path.write_text(TEMPLATE)
    return load_template(path)


def test_short_tags_load_in_long_form(template: Template) -> None:
    properties = template.properties("Thing")
    assert properties["Ref"] == {"Ref": "Table"}
    assert properties["Att"] == {"Fn::GetAtt": ["Table", "StreamArn"]}
    assert properties["AttList"] == {"Fn::GetAtt": ["Table", "Arn"]}
    assert properties["If"] == {"Fn::If": ["IsProd", "big", "small"]}


def test_intrinsics_resolve(template: Template) -> None:
    resolved = Resolver(template, FakeResources()).resolve(template.properties("Thing"))
    assert resolved == {
        "Ref": "ref-of-Table",
        "Att": "StreamArn-of-Table",
        "AttList": "Arn-of-Table",
        "Sub": "stint-local-ref-of-Table-Arn-of-Table-${Literal}-prod",
        "SubVars": "prod/x",
        "Join": "a,3",
        "Select": "b",
        "Split": ["x", "y"],
        "If": "big",
        "Map": 512,
        "List": ["one", "two"],
    }


def test_unknown_references_are_errors(template: Template) -> None:
    resolver = Resolver(template, FakeResources())
    with pytest.raises(TemplateError):
        resolver.resolve({"Ref": "Nothing"})
    with pytest.raises(TemplateError):
        resolver.resolve({"Fn::ImportValue": "x"})
    assert resolver.resolve({"Ref": "AWS::NoValue"}) is NO_VALUE


def test_globals_merge_like_sam() -> None:
    merged = merge_globals(
        {"Env": {"Variables": {"A": "1", "B": "1"}}, "Layers": ["l1"], "Memory": 128},
        {"Env": {"Variables": {"B": "2"}}, "Layers": ["l2"], "Memory": 256},
    )
    assert merged == {
        "Env": {"Variables": {"A": "1", "B": "2"}},
        "Layers": ["l1", "l2"],
        "Memory": 256,
    }
    assert merge_globals({"Ref": "X"}, {"Ref": "Y"}) == {"Ref": "Y"}


def test_the_repository_template_loads() -> None:
    template = load_template(Path(__file__).parents[2] / "template.yaml")
    assert template.resources_of_type("AWS::Serverless::Function")
    assert template.properties("UsersFunction")["MemorySize"] == 512  # from Globals


# ----------------------------------------------------------------------------- routing


def function(name: str = "Fn") -> Function:
    return Function(name, name, f"arn:{name}", Path("app.py"), "handler", 128, 3, {}, {}, [])


def table(*routes: tuple[str, str]) -> RouteTable:
    api = Api("Api", "id", "prod")
    entries = [Route(api, path, method, function(), None, ()) for method, path in routes]
    return RouteTable(entries, {"Api": api})


def matched(routes: RouteTable, method: str, path: str) -> tuple[str, str, dict[str, str]] | None:
    found = routes.match(method, path)
    return (found[0].method, found[0].path, found[1]) if found else None


def test_literal_beats_parameter_beats_greedy() -> None:
    routes = table(
        ("GET", "/v1/tasks/{taskId}"),
        ("GET", "/v1/tasks/today"),
        ("ANY", "/v1/{proxy+}"),
        ("GET", "/v1/projects/{projectId}/tasks"),
    )
    assert matched(routes, "GET", "/v1/tasks/today") == ("GET", "/v1/tasks/today", {})
    assert matched(routes, "GET", "/v1/tasks/t1") == ("GET", "/v1/tasks/{taskId}", {"taskId": "t1"})
    assert matched(routes, "GET", "/v1/projects/p1/tasks") == (
        "GET",
        "/v1/projects/{projectId}/tasks",
        {"projectId": "p1"},
    )
    assert matched(routes, "POST", "/v1/a/b") == ("ANY", "/v1/{proxy+}", {"proxy": "a/b"})


def test_method_is_chosen_after_the_resource() -> None:
    routes = table(("GET", "/v1/tasks/{taskId}"), ("ANY", "/v1/{proxy+}"))
    # API Gateway picks the most specific resource, then looks for the method on it.
    assert matched(routes, "DELETE", "/v1/tasks/t1") is None
    assert matched(routes, "GET", "/v1/tasks/t1/") == (
        "GET",
        "/v1/tasks/{taskId}",
        {"taskId": "t1"},
    )
    assert matched(routes, "GET", "/v1/tasks//") is None
    assert matched(routes, "GET", "/v2") is None


# ----------------------------------------------------------------------------- functions


def test_environment_split() -> None:
    a, b = function("A"), function("B")
    a.environment = {"TABLE": "t", "SERVICE": "a", "ONLY_A": "x"}
    b.environment = {"TABLE": "t", "SERVICE": "b"}
    shared, own = split_environment([a, b])
    assert shared == {"TABLE": "t", "ONLY_A": "x"}
    assert own == {"A": {"SERVICE": "a"}, "B": {"SERVICE": "b"}}


# ----------------------------------------------------------------------------- authorizer


def test_claims_as_api_gateway_writes_them() -> None:
    claims = api_gateway_claims(
        {
            "exp": 1_700_000_000,
            "iat": 1_699_996_400,
            "auth_time": 1_699_996_400,
            "cognito:groups": ["admin", "staff"],
            "email_verified": True,
            "sub": "s",
        }
    )
    assert claims == {
        "exp": "Tue Nov 14 22:13:20 UTC 2023",
        "iat": "Tue Nov 14 21:13:20 UTC 2023",
        "auth_time": "1699996400",
        "cognito:groups": "admin,staff",
        "email_verified": "true",
        "sub": "s",
    }


# ----------------------------------------------------------------------------- gateway


@pytest.mark.parametrize(
    "result",
    [
        None,
        "text",
        {"body": "no status"},
        {"statusCode": "abc"},
        {"statusCode": 200, "body": {"a": 1}},
        {"statusCode": 200, "body": "%%%", "isBase64Encoded": True},
        {"statusCode": 200, "headers": ["x"]},
    ],
)
def test_malformed_proxy_results(result: Any) -> None:
    assert proxy_response(result) is None


def test_proxy_result_headers() -> None:
    response = proxy_response(
        {
            "statusCode": "201",
            "headers": {"A": "1", "Set-Cookie": "dropped"},
            "multiValueHeaders": {"Set-Cookie": ["x=1", "y=2"]},
            "body": "{}",
        }
    )
    assert response is not None
    assert response.status_code == 201
    assert response.headers.getlist("Set-Cookie") == ["x=1", "y=2"]
    assert response.headers["A"] == "1"
    assert response.headers["Content-Type"] == "application/json"


def test_gateway_responses_fall_back_to_default_4xx() -> None:
    api = Api("Api", "id", "prod")
    api.gateway_responses = {
        "DEFAULT_4XX": {
            "ResponseParameters": {"Headers": {"Access-Control-Allow-Origin": "'*'"}},
            "ResponseTemplates": {"application/json": '{"error": $context.error.messageString}'},
        }
    }
    response = gateway_response(api, "UNAUTHORIZED", "rid")
    assert response.status_code == 401
    assert json.loads(response.get_data()) == {"error": "Unauthorized"}
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    default = gateway_response(Api("Api", "id", "prod"), "MISSING_AUTHENTICATION_TOKEN", "rid")
    assert (default.status_code, json.loads(default.get_data())) == (
        403,
        {"message": "Missing Authentication Token"},
    )


# ----------------------------------------------------------------------------- emulator


def run(app: SerializedApp, target: str = "", body: dict[str, Any] | None = None) -> str:
    environ = EnvironBuilder(
        method="POST", headers={"X-Amz-Target": target}, data=json.dumps(body or {})
    ).get_environ()
    status: list[str] = []
    chunks = app(environ, lambda s, headers, exc_info=None: status.append(s))
    return f"{status[0]} {b''.join(chunks).decode()}"


def test_requests_into_the_emulator_run_one_at_a_time() -> None:
    active, peak, counter = 0, 0, threading.Lock()

    def slow_app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        nonlocal active, peak
        with counter:
            active += 1
            peak = max(peak, active)
        time.sleep(0.01)
        with counter:
            active -= 1
        start_response("200 OK", [])
        return [b"ok"]

    app = SerializedApp(slow_app)
    threads = [threading.Thread(target=run, args=(app,)) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert peak == 1


def test_hooks_run_after_success_outside_the_lock() -> None:
    def ok_app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        start_response("200 OK", [("Content-Type", "application/json")])
        return [environ["wsgi.input"].read()]  # the body is still readable after the hook's read

    app = SerializedApp(ok_app)
    seen: list[dict[str, Any]] = []

    def hook(params: dict[str, Any]) -> None:
        seen.append(params)
        run(app)  # calls into the emulator again: would deadlock inside the lock

    def failing_hook(params: dict[str, Any]) -> None:
        raise HookError("UserLambdaValidationException", "nope")

    app.hooks = {"T.Ok": hook, "T.Fail": failing_hook}
    assert run(app, "T.Ok", {"Username": "u"}) == '200 OK {"Username": "u"}'
    assert seen == [{"Username": "u"}]
    assert run(app, "T.Fail") == (
        '400 Bad Request {"__type": "UserLambdaValidationException", "message": "nope"}'
    )


def test_transactions_copy_only_the_items_they_touch(monkeypatch: pytest.MonkeyPatch) -> None:
    """moto alone deep-copies the whole table per action; see local/patches.py."""
    patches.apply()
    copies = 0
    deepcopy = Item.__deepcopy__

    def counting(self: Item, memo: dict[int, Any]) -> Item:
        nonlocal copies
        copies += 1
        return deepcopy(self, memo)

    monkeypatch.setattr(Item, "__deepcopy__", counting)
    with mock_aws():
        dynamodb = boto3.client("dynamodb", region_name="us-east-1")
        dynamodb.create_table(
            TableName="t",
            AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
            KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
            BillingMode="PAY_PER_REQUEST",
        )
        for i in range(200):
            dynamodb.put_item(TableName="t", Item={"pk": {"S": f"item{i}"}})
        copies = 0
        dynamodb.transact_write_items(
            TransactItems=[
                {"Put": {"TableName": "t", "Item": {"pk": {"S": "item1"}, "v": {"S": "new"}}}},
                {"Put": {"TableName": "t", "Item": {"pk": {"S": "fresh"}}}},
            ]
        )
    assert copies <= 2


def _queries(dynamodb: Any) -> list[Any]:
    """Queries of every kind, every page of each: the table's, a local index's, a global one's."""
    answers = []
    queries: list[dict[str, Any]] = [
        {"KeyConditionExpression": "pk = :p", "ExpressionAttributeValues": {":p": {"S": "u3"}}},
        {
            "IndexName": "bySeq",
            "KeyConditionExpression": "pk = :p AND seq > :s",
            "ExpressionAttributeValues": {":p": {"S": "u1"}, ":s": {"N": "5"}},
            "ScanIndexForward": False,
        },
        {
            "IndexName": "byOther",
            "KeyConditionExpression": "other = :o",
            "ExpressionAttributeValues": {":o": {"S": "o2"}},
        },
        {"KeyConditionExpression": "pk = :p", "ExpressionAttributeValues": {":p": {"S": "none"}}},
        {
            "KeyConditionExpression": "pk = :p AND begins_with(sk, :s)",
            "ExpressionAttributeValues": {":p": {"S": "u2"}, ":s": {"S": "s04"}},
        },
    ]
    for query in queries:
        start: dict[str, Any] = {}
        while True:
            page = dynamodb.query(TableName="t", Limit=4, **query, **start)
            answers.append((page["Items"], page.get("LastEvaluatedKey")))
            if "LastEvaluatedKey" not in page:
                break
            start = {"ExclusiveStartKey": page["LastEvaluatedKey"]}

    def answer(response: dict[str, Any]) -> dict[str, Any]:
        return {k: v for k, v in response.items() if k != "ResponseMetadata"}

    key = {"pk": {"S": "apart"}, "sk": {"S": "s"}}  # in no partition queried above
    binary = {"b": {"B": b"\x00\xff"}}
    dynamodb.delete_item(TableName="t", Key=key)
    answers.append(answer(dynamodb.put_item(TableName="t", Item={**key, **binary})))
    answers.append(dynamodb.get_item(TableName="t", Key=key)["Item"])
    answers.append(
        answer(dynamodb.transact_get_items(TransactItems=[{"Get": {"TableName": "t", "Key": key}}]))
    )
    answers.append(
        answer(
            dynamodb.update_item(
                TableName="t",
                Key=key,
                UpdateExpression="SET c = :c",
                ReturnValues="ALL_NEW",
                ExpressionAttributeValues={":c": {"BOOL": True}},
            )
        )
    )
    streams = boto3.client(
        "dynamodbstreams",
        region_name="us-east-1",
        endpoint_url=dynamodb.meta.endpoint_url,
        **CREDENTIALS,
    )
    arn = dynamodb.describe_table(TableName="t")["Table"]["LatestStreamArn"]
    shard = streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"][0]["ShardId"]
    iterator = streams.get_shard_iterator(
        StreamArn=arn, ShardId=shard, ShardIteratorType="TRIM_HORIZON"
    )["ShardIterator"]
    for limit in (60, 2):  # the puts of the partitions, then those of a binary
        page = streams.get_records(ShardIterator=iterator, Limit=limit)
        answers.append(page["Records"])
        iterator = page["NextShardIterator"]
    return answers


def test_queries_read_only_their_partition_and_answers_are_as_moto_serializes_them(
    monkeypatch: pytest.MonkeyPatch, forget_moto_state: None
) -> None:
    """moto alone sorts the whole table for every query; see local/patches.py."""
    patches.apply()
    reads_of_the_table = 0
    all_items = Table.all_items

    def counting(self: Table) -> list[Item]:
        nonlocal reads_of_the_table
        reads_of_the_table += 1
        return all_items(self)

    monkeypatch.setattr(Table, "all_items", counting)
    emulator = Emulator().start()  # moto's server: mock_aws does not serve DynamoDB Streams
    try:
        dynamodb = emulator.client("dynamodb")
        dynamodb.create_table(
            TableName="t",
            AttributeDefinitions=[
                {"AttributeName": name, "AttributeType": kind}
                for name, kind in (("pk", "S"), ("sk", "S"), ("seq", "N"), ("other", "S"))
            ],
            KeySchema=[
                {"AttributeName": "pk", "KeyType": "HASH"},
                {"AttributeName": "sk", "KeyType": "RANGE"},
            ],
            LocalSecondaryIndexes=[
                {
                    "IndexName": "bySeq",
                    "KeySchema": [
                        {"AttributeName": "pk", "KeyType": "HASH"},
                        {"AttributeName": "seq", "KeyType": "RANGE"},
                    ],
                    "Projection": {"ProjectionType": "ALL"},
                }
            ],
            GlobalSecondaryIndexes=[
                {
                    "IndexName": "byOther",
                    "KeySchema": [{"AttributeName": "other", "KeyType": "HASH"}],
                    "Projection": {"ProjectionType": "ALL"},
                }
            ],
            BillingMode="PAY_PER_REQUEST",
            StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"},
        )
        for i in range(60):
            item = {"pk": {"S": f"u{i % 5}"}, "sk": {"S": f"s{i:03d}"}, "seq": {"N": str(i % 13)}}
            dynamodb.put_item(TableName="t", Item={**item, "other": {"S": f"o{i % 3}"}})
        patched = _queries(dynamodb)
        assert reads_of_the_table == 5  # the global index's 5 pages only
        monkeypatch.setattr(Table, "query", Table.query.__wrapped__)  # type: ignore[attr-defined]
        serialize = ActionResult.execute_result.__wrapped__  # type: ignore[attr-defined]
        monkeypatch.setattr(ActionResult, "execute_result", serialize)
        monkeypatch.setattr(patches, "DYNAMODB_TARGET", "through Flask")
        monkeypatch.setattr(validators, "deepcopy", copy.deepcopy)
        assert _queries(dynamodb) == patched
    finally:
        emulator.stop()
    assert [len(items) for items, _ in patched[:12]] == [4, 4, 4, 4, 2, 4, 4, 4, 4, 4, 0, 2]
    assert patched[-3]["Attributes"]["b"] == {"B": b"\x00\xff"}
    assert patched[-3]["Attributes"]["c"] == {"BOOL": True}
    assert [len(records) for records in patched[-2:]] == [60, 2]


# ----------------------------------------------------------------------------- CORS preflights


def test_sams_preflight_lists_the_resources_methods_and_options() -> None:
    """As samtranslator's swagger.py computes Access-Control-Allow-Methods."""
    from local.routes import ALL_METHODS, Cors

    cors = Cors.from_property({"AllowOrigin": "'*'", "AllowHeaders": "'A,B'", "MaxAge": "'600'"})
    assert cors == Cors(allow_origin="*", allow_headers="A,B", max_age="600")
    headers = cors.preflight_headers(["PATCH", "GET"])
    assert headers["Access-Control-Allow-Methods"] == "GET,OPTIONS,PATCH"
    assert cors.preflight_headers(["ANY"])["Access-Control-Allow-Methods"] == ",".join(ALL_METHODS)
    assert Cors.from_property("'https://app.example'") == Cors(allow_origin="https://app.example")
    assert Cors.from_property(None) is None

"""The HTTP front over real HTTP: routing, the proxy event, the response, gateway errors."""

from __future__ import annotations

import base64
import re
import time
import uuid
from typing import Any

import pytest

from tests.local.support import User, call, echo, forge

MISSING_TOKEN = {"message": "Missing Authentication Token"}


def test_path_parameter(stack: dict[str, Any], user: User) -> None:
    event = echo(call(stack, "GET", "/items/abc-1", user.access_token))["event"]
    assert event["resource"] == "/items/{itemId}"
    assert event["path"] == "/items/abc-1"
    assert event["pathParameters"] == {"itemId": "abc-1"}


def test_literal_segment_beats_parameter(stack: dict[str, Any], user: User) -> None:
    event = echo(call(stack, "GET", "/items/special", user.access_token))["event"]
    assert event["resource"] == "/items/special"
    assert event["pathParameters"] is None


def test_path_is_passed_percent_encoded(stack: dict[str, Any], user: User) -> None:
    event = echo(call(stack, "GET", "/items/a%20b", user.access_token))["event"]
    assert event["path"] == "/items/a%20b"
    assert event["pathParameters"] == {"itemId": "a%20b"}


def test_trailing_slash_is_the_same_resource(stack: dict[str, Any], user: User) -> None:
    assert echo(call(stack, "GET", "/items/", user.access_token))["event"]["resource"] == "/items"


@pytest.mark.parametrize("method", ["GET", "DELETE", "PUT"])
def test_greedy_proxy_with_any_method(stack: dict[str, Any], user: User, method: str) -> None:
    event = echo(call(stack, method, "/files/a/b/c.txt", user.access_token))["event"]
    assert event["resource"] == "/files/{proxy+}"
    assert event["httpMethod"] == method
    assert event["pathParameters"] == {"proxy": "a/b/c.txt"}


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/nowhere"),
        ("GET", "/items/a/b"),
        ("DELETE", "/items"),  # the resource exists, the method does not
        ("GET", "/files"),  # {proxy+} needs at least one segment
        ("GET", "/"),
    ],
)
def test_unknown_route_is_403_with_or_without_token(
    stack: dict[str, Any], user: User, method: str, path: str
) -> None:
    for token in (user.access_token, None):
        response = call(stack, method, path, token)
        assert response.status_code == 403
        assert response.json() == MISSING_TOKEN
        assert response.headers["x-amzn-ErrorType"] == "MissingAuthenticationTokenException"


def test_event_shape(stack: dict[str, Any], user: User) -> None:
    before = int(time.time() * 1000)
    response = call(
        stack,
        "GET",
        "/items?tag=a&tag=b&empty=&q=x%20y",
        user.access_token,
        headers={"X-Custom": "one", "x-lower-case": "kept"},
    )
    event = echo(response)["event"]
    assert set(event) == {
        "resource",
        "path",
        "httpMethod",
        "headers",
        "multiValueHeaders",
        "queryStringParameters",
        "multiValueQueryStringParameters",
        "pathParameters",
        "stageVariables",
        "requestContext",
        "body",
        "isBase64Encoded",
    }
    assert event["httpMethod"] == "GET"
    assert event["queryStringParameters"] == {"tag": "b", "empty": "", "q": "x y"}
    assert event["multiValueQueryStringParameters"] == {
        "tag": ["a", "b"],
        "empty": [""],
        "q": ["x y"],
    }
    assert event["pathParameters"] is None
    assert event["stageVariables"] is None
    assert event["body"] is None
    assert event["isBase64Encoded"] is False
    headers = event["headers"]
    assert headers["X-Custom"] == "one"
    assert headers["x-lower-case"] == "kept"  # names as the client wrote them
    assert headers["Authorization"] == f"Bearer {user.access_token}"
    assert headers["X-Forwarded-For"] == "127.0.0.1"
    assert event["multiValueHeaders"]["X-Custom"] == ["one"]

    context = event["requestContext"]
    assert context["resourcePath"] == "/items"
    assert context["httpMethod"] == "GET"
    assert context["stage"] == "test"  # the template's StageName parameter
    assert context["path"] == "/items"  # as requested: the local front has no stage prefix
    assert context["identity"]["sourceIp"] == "127.0.0.1"
    assert context["accountId"] == "123456789012"
    assert str(uuid.UUID(context["requestId"])) == context["requestId"]
    assert context["requestId"] == response.headers["x-amzn-RequestId"]
    assert before <= context["requestTimeEpoch"] <= int(time.time() * 1000)
    assert re.fullmatch(r"\d\d/\w{3}/\d{4}:\d\d:\d\d:\d\d \+0000", context["requestTime"])


def test_claims_are_strings_as_api_gateway_passes_them(stack: dict[str, Any], user: User) -> None:
    claims = echo(call(stack, "GET", "/items", user.access_token))["event"]["requestContext"][
        "authorizer"
    ]["claims"]
    assert claims["sub"] == user.sub
    assert claims["token_use"] == "access"
    assert claims["scope"] == "aws.cognito.signin.user.admin"
    assert claims["iss"] == f"https://cognito-idp.us-east-1.amazonaws.com/{stack['UserPoolId']}"
    assert all(isinstance(value, str) for value in claims.values())
    assert re.fullmatch(r"\w{3} \w{3} \d\d \d\d:\d\d:\d\d UTC \d{4}", claims["exp"])
    assert claims["auth_time"].isdigit()


def test_repeated_query_and_headers_without_a_query(stack: dict[str, Any], user: User) -> None:
    event = echo(call(stack, "GET", "/items", user.access_token))["event"]
    assert event["queryStringParameters"] is None
    assert event["multiValueQueryStringParameters"] is None


def test_lambda_context(stack: dict[str, Any], user: User) -> None:
    context = echo(call(stack, "GET", "/items", user.access_token))["context"]
    assert context["function_name"] == "stint-local-EchoFunction"
    assert context["function_version"] == "$LATEST"
    assert context["memory_limit_in_mb"] == "256"  # Globals.Function.MemorySize, a string
    assert context["invoked_function_arn"] == (
        "arn:aws:lambda:us-east-1:123456789012:function:stint-local-EchoFunction"
    )
    assert context["log_group_name"] == "/aws/lambda/stint-local-EchoFunction"
    assert uuid.UUID(context["aws_request_id"])
    assert 0 < context["remaining_ms"] <= 10_000  # Globals.Function.Timeout


def test_environment_and_layer(stack: dict[str, Any], user: User) -> None:
    body = echo(call(stack, "GET", "/items", user.access_token))
    assert body["environment"] == {
        "TABLE_NAME": stack["TableName"],
        "ECHO_ONLY": "yes",  # set by one function only: process-wide
        "POWERTOOLS_SERVICE_NAME": None,  # differs between functions: only during import
        "STINT_LOCAL": "1",
        "AWS_REGION": "us-east-1",
    }
    assert {
        "AWS_ENDPOINT_URL_DYNAMODB",
        "AWS_ENDPOINT_URL_DYNAMODB_STREAMS",
        "AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER",
    } <= set(body["endpoints"])
    assert body["layer"] == "from the fixture layer"


def test_text_body(stack: dict[str, Any], user: User) -> None:
    writer = forge(user.access_token, scope="fixture/write")
    event = echo(call(stack, "POST", "/items/i1/notes", writer, json={"note": "héllo"}))["event"]
    assert event["body"] == '{"note": "h\\u00e9llo"}'
    assert event["isBase64Encoded"] is False
    assert event["pathParameters"] == {"itemId": "i1"}


def test_binary_media_type_body_is_base64(stack: dict[str, Any], user: User) -> None:
    data = bytes(range(256))
    response = call(
        stack,
        "POST",
        "/files/upload",
        user.access_token,
        data=data,
        headers={"Content-Type": "application/octet-stream"},
    )
    event = echo(response)["event"]
    assert event["isBase64Encoded"] is True
    assert base64.b64decode(event["body"]) == data


def test_response_headers_and_status(stack: dict[str, Any], user: User) -> None:
    response = call(stack, "GET", "/items", user.access_token)
    assert response.headers["X-Single"] == "one"
    # multiValueHeaders win over headers for the same name
    assert response.raw.headers.getlist("Set-Cookie") == ["a=1", "b=2"]
    assert response.headers["Content-Type"] == "application/json"


def test_base64_response_is_decoded(stack: dict[str, Any], user: User) -> None:
    response = call(stack, "GET", "/files/binary", user.access_token)
    assert response.status_code == 200
    assert response.content == bytes(range(256))


@pytest.mark.parametrize("case", ["boom", "malformed"])
def test_failing_function_is_502(stack: dict[str, Any], user: User, case: str) -> None:
    response = call(stack, "GET", f"/files/{case}", user.access_token)
    assert response.status_code == 502
    assert response.json() == {"message": "Internal server error"}


def test_body_over_10_mb_is_the_templates_413(stack: dict[str, Any], user: User) -> None:
    response = call(stack, "POST", "/files/big", user.access_token, data=b"x" * (10 * 2**20 + 1))
    assert response.status_code == 413
    assert response.headers["X-Fixture"] == "gateway"  # GatewayResponses' literal header
    assert response.json() == {
        "error": {"code": "payload_too_large", "requestId": response.headers["x-amzn-RequestId"]}
    }


def test_body_of_10_mb_passes(stack: dict[str, Any], user: User) -> None:
    response = call(stack, "POST", "/files/big", user.access_token, data=b"x" * (10 * 2**20))
    assert response.status_code == 200


def test_route_without_authorizer(stack: dict[str, Any]) -> None:
    event = echo(call(stack, "GET", "/public"))["event"]
    assert "authorizer" not in event["requestContext"]

"""Cognito through the emulator's endpoint (boto3), the post-confirmation trigger, outputs."""

from __future__ import annotations

import json
import re
import uuid
from typing import Any

import pytest
import requests
from botocore.exceptions import ClientError
from pycognito import Cognito
from pycognito.aws_srp import AWSSRP

from tests.local.support import OUTPUT_KEYS, PASSWORD, call, claims_of, echo, new_user


def confirmation_event(dynamodb: Any, table: str, sub: str) -> dict[str, Any]:
    """The event the fixture's trigger stored for user `sub`."""
    item = dynamodb.get_item(
        TableName=table, Key={"pk": {"S": f"CONFIRMED#{sub}"}}, ConsistentRead=True
    ).get("Item")
    assert item is not None, f"the post-confirmation trigger did not run for {sub}"
    assert item["function"]["S"] == "stint-local-ConfirmedFunction"
    event: dict[str, Any] = json.loads(item["event"]["S"])
    return event


def test_outputs(stack: dict[str, Any]) -> None:
    assert set(stack) >= OUTPUT_KEYS
    assert re.fullmatch(r"http://127\.0\.0\.1:\d+", stack["ApiUrl"])
    assert stack["CognitoEndpointUrl"] == stack["ApiUrl"] + "/_local/aws"  # local/control.py
    assert stack["Region"] == "us-east-1"
    assert stack["TableName"] == "stint-local-Table"
    assert stack["StreamArn"].startswith(
        "arn:aws:dynamodb:us-east-1:123456789012:table/stint-local-Table/stream/"
    )


def test_resources_follow_the_template(stack: dict[str, Any], idp: Any, dynamodb: Any) -> None:
    table = dynamodb.describe_table(TableName=stack["TableName"])["Table"]
    assert table["BillingModeSummary"]["BillingMode"] == "PAY_PER_REQUEST"
    assert table["StreamSpecification"] == {"StreamEnabled": True, "StreamViewType": "NEW_IMAGE"}
    ttl = dynamodb.describe_time_to_live(TableName=stack["TableName"])["TimeToLiveDescription"]
    assert ttl == {"TimeToLiveStatus": "ENABLED", "AttributeName": "expiresAt"}
    pool = idp.describe_user_pool(UserPoolId=stack["UserPoolId"])["UserPool"]
    assert pool["Name"] == "stint-local-fixture"
    assert pool["Policies"]["PasswordPolicy"]["MinimumLength"] == 16
    assert pool["LambdaConfig"]["PostConfirmation"].endswith(
        ":function:stint-local-ConfirmedFunction"
    )
    client = idp.describe_user_pool_client(
        UserPoolId=stack["UserPoolId"], ClientId=stack["UserPoolClientId"]
    )["UserPoolClient"]
    assert client["ClientName"] == "stint-local-PoolClient"


def test_demo_user_signs_in_and_was_confirmed_through_the_trigger(
    stack: dict[str, Any], idp: Any, dynamodb: Any
) -> None:
    assert len(stack["DemoPassword"]) >= 16  # the fixture pool's policy
    tokens = idp.initiate_auth(
        ClientId=stack["UserPoolClientId"],
        AuthFlow="USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": stack["DemoUsername"], "PASSWORD": stack["DemoPassword"]},
    )["AuthenticationResult"]
    echo(call(stack, "GET", "/items", tokens["AccessToken"]))
    demo = idp.admin_get_user(UserPoolId=stack["UserPoolId"], Username=stack["DemoUsername"])
    event = confirmation_event(dynamodb, stack["TableName"], demo["Username"])
    assert event["request"]["userAttributes"]["name"] == "Demo"


def test_sign_up_confirm_sign_in_refresh(stack: dict[str, Any], idp: Any) -> None:
    user = new_user(idp, stack["UserPoolId"], stack["UserPoolClientId"])
    refreshed = idp.initiate_auth(
        ClientId=stack["UserPoolClientId"],
        AuthFlow="REFRESH_TOKEN_AUTH",
        AuthParameters={"REFRESH_TOKEN": user.refresh_token},
    )["AuthenticationResult"]
    assert refreshed["AccessToken"] != user.access_token
    claims = echo(call(stack, "GET", "/items", refreshed["AccessToken"]))["event"][
        "requestContext"
    ]["authorizer"]["claims"]
    assert claims["sub"] == user.sub


def test_admin_confirm_sign_up_runs_the_trigger(
    stack: dict[str, Any], idp: Any, dynamodb: Any
) -> None:
    user = new_user(idp, stack["UserPoolId"], stack["UserPoolClientId"])
    event = confirmation_event(dynamodb, stack["TableName"], user.sub)
    assert event["triggerSource"] == "PostConfirmation_AdminConfirmSignUp"
    assert event["version"] == "1"
    assert event["region"] == "us-east-1"
    assert event["userPoolId"] == stack["UserPoolId"]
    assert event["userName"] == user.sub  # the pool signs users in by email: username is the sub
    assert event["callerContext"] == {
        "awsSdkVersion": "aws-sdk-unknown-unknown",
        "clientId": "CLIENT_ID_NOT_APPLICABLE",
    }
    attributes = event["request"]["userAttributes"]
    assert attributes["sub"] == user.sub
    assert attributes["email"] == user.email
    assert attributes["cognito:user_status"] == "CONFIRMED"
    assert event["response"] == {}


def test_confirm_sign_up_runs_the_trigger(stack: dict[str, Any], idp: Any, dynamodb: Any) -> None:
    email = f"self-{uuid.uuid4().hex[:10]}@example.com"
    sub = idp.sign_up(
        ClientId=stack["UserPoolClientId"],
        Username=email,
        Password=PASSWORD,
        UserAttributes=[{"Name": "email", "Value": email}],
    )["UserSub"]
    idp.confirm_sign_up(
        ClientId=stack["UserPoolClientId"],
        Username=email,
        ConfirmationCode="123456",
        ClientMetadata={"source": "test"},
    )
    event = confirmation_event(dynamodb, stack["TableName"], sub)
    assert event["triggerSource"] == "PostConfirmation_ConfirmSignUp"
    assert event["callerContext"]["clientId"] == stack["UserPoolClientId"]
    assert event["request"]["clientMetadata"] == {"source": "test"}


def test_failing_trigger_is_a_user_lambda_validation_error(stack: dict[str, Any], idp: Any) -> None:
    email = f"reject-{uuid.uuid4().hex[:10]}@example.com"
    idp.sign_up(
        ClientId=stack["UserPoolClientId"],
        Username=email,
        Password=PASSWORD,
        UserAttributes=[{"Name": "email", "Value": email}],
    )
    with pytest.raises(ClientError) as raised:
        idp.admin_confirm_sign_up(UserPoolId=stack["UserPoolId"], Username=email)
    error = raised.value.response["Error"]
    assert error["Code"] == "UserLambdaValidationException"
    assert error["Message"] == "PostConfirmation failed with error the fixture rejects this user."
    user = idp.admin_get_user(UserPoolId=stack["UserPoolId"], Username=email)
    assert user["UserStatus"] == "CONFIRMED"  # as in Cognito: confirmed, the trigger failed


def test_pool_without_trigger_confirms_quietly(
    stack: dict[str, Any], idp: Any, dynamodb: Any
) -> None:
    pool = idp.create_user_pool(PoolName="no-trigger", UsernameAttributes=["email"])["UserPool"]
    client = idp.create_user_pool_client(
        UserPoolId=pool["Id"], ClientName="c", ExplicitAuthFlows=["ALLOW_USER_PASSWORD_AUTH"]
    )["UserPoolClient"]
    user = new_user(idp, pool["Id"], client["ClientId"])  # confirmed without an error
    assert idp.admin_get_user(UserPoolId=pool["Id"], Username=user.email)["UserStatus"] == (
        "CONFIRMED"
    )
    claims = claims_of(user.access_token)
    assert (claims["sub"], claims["client_id"]) == (user.sub, client["ClientId"])
    # No trigger ran: the fixture's, bound to the stack's pool, left no event for this user.
    ran = dynamodb.get_item(
        TableName=stack["TableName"],
        Key={"pk": {"S": f"CONFIRMED#{user.sub}"}},
        ConsistentRead=True,
    )
    assert "Item" not in ran, "a post-confirmation trigger ran for a pool that has none"


def pycognito_for(stack: dict[str, Any], monkeypatch: pytest.MonkeyPatch, username: str) -> Any:
    """A stock Cognito client (pycognito) for one user of the fixture pool, pointed at the local
    stack as README.md says: the endpoint by botocore's variable, the pool's keys by COGNITO_JWKS
    (pycognito would fetch them from AWS's address, the issuer of the emulator's tokens)."""
    endpoint = stack["CognitoEndpointUrl"]
    monkeypatch.setenv("AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER", endpoint)
    jwks = requests.get(f"{endpoint}/{stack['UserPoolId']}/.well-known/jwks.json", timeout=30)
    monkeypatch.setenv("COGNITO_JWKS", jwks.text)
    return Cognito(stack["UserPoolId"], stack["UserPoolClientId"], username=username)


def test_srp_sign_in_checks_the_password(
    stack: dict[str, Any], idp: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    user = new_user(idp, stack["UserPoolId"], stack["UserPoolClientId"], prefix="srp")
    client = pycognito_for(stack, monkeypatch, user.email)
    with pytest.raises(ClientError) as raised:
        client.authenticate(password=PASSWORD + "-wrong")
    error = raised.value.response["Error"]
    assert (error["Code"], error["Message"]) == (
        "NotAuthorizedException",
        "Incorrect username or password.",
    )
    assert client.access_token is None

    client.authenticate(password=PASSWORD)
    client.verify_tokens()  # signed with a key of the pool's JWKS, issued by the pool
    assert client.id_claims["email"] == user.email
    claims = echo(call(stack, "GET", "/items", client.access_token))["event"]["requestContext"][
        "authorizer"
    ]["claims"]
    assert claims["sub"] == user.sub


def test_srp_proof_is_for_the_user_who_asked(stack: dict[str, Any], idp: Any) -> None:
    """A proof made with one user's password does not sign in another user, and a secret block
    the pool did not issue is refused."""
    pool_id, client_id = stack["UserPoolId"], stack["UserPoolClientId"]
    mallory = new_user(idp, pool_id, client_id, prefix="mallory")
    victim = new_user(idp, pool_id, client_id, prefix="victim")
    srp = AWSSRP(mallory.email, PASSWORD, pool_id, client_id, client=idp)
    parameters = srp.get_auth_params()
    challenge = idp.initiate_auth(
        ClientId=client_id, AuthFlow="USER_SRP_AUTH", AuthParameters=parameters
    )
    assert challenge["ChallengeName"] == "PASSWORD_VERIFIER"
    assert challenge["ChallengeParameters"]["USER_ID_FOR_SRP"] == mallory.sub  # the user name
    proof = srp.process_challenge(challenge["ChallengeParameters"], parameters)
    for changed in ({"USERNAME": victim.email}, {"PASSWORD_CLAIM_SECRET_BLOCK": "c3RpbnQ="}):
        with pytest.raises(ClientError) as raised:
            idp.respond_to_auth_challenge(
                ClientId=client_id,
                ChallengeName="PASSWORD_VERIFIER",
                ChallengeResponses={**proof, **changed},
            )
        assert raised.value.response["Error"]["Code"] in {
            "NotAuthorizedException",
            "ResourceNotFoundException",
        }, changed

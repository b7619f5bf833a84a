"""The Cognito authorizer in front of every /v1 route: only valid access tokens of the pool."""

import json
import time
import uuid
from typing import Any

import jwt
import pytest
import requests
from jwt.utils import base64url_encode

from tests.api.conftest import Api, cognito, local_only, sign_up

pytestmark = pytest.mark.http  # over HTTP, against the run's shared local stack

UNAUTHORIZED = {"message": "Unauthorized"}


def _get_me(stack: dict[str, Any], authorization: str | None) -> requests.Response:
    headers = {"Authorization": authorization} if authorization is not None else {}
    return requests.get(stack["ApiUrl"] + "/v1/me", headers=headers, timeout=30)


def test_access_token_with_or_without_bearer(stack: dict[str, Any]) -> None:
    tokens = sign_up(stack)
    assert _get_me(stack, f"Bearer {tokens['AccessToken']}").status_code == 200
    assert _get_me(stack, tokens["AccessToken"]).status_code == 200


def test_refreshed_token_works(stack: dict[str, Any]) -> None:
    tokens = sign_up(stack)
    refreshed = cognito(stack).initiate_auth(
        ClientId=stack["UserPoolClientId"],
        AuthFlow="REFRESH_TOKEN_AUTH",
        AuthParameters={"REFRESH_TOKEN": tokens["RefreshToken"]},
    )["AuthenticationResult"]
    assert _get_me(stack, f"Bearer {refreshed['AccessToken']}").status_code == 200


@pytest.mark.parametrize(
    "authorization",
    [None, "", "Bearer", "Bearer not-a-jwt", "Bearer a.b.c", "Basic dXNlcjpwYXNz"],
)
def test_missing_or_malformed_token_is_401(
    stack: dict[str, Any], authorization: str | None
) -> None:
    response = _get_me(stack, authorization)
    assert response.status_code == 401
    assert response.json() == UNAUTHORIZED


def test_id_token_is_401(stack: dict[str, Any]) -> None:
    tokens = sign_up(stack)
    response = _get_me(stack, f"Bearer {tokens['IdToken']}")
    assert response.status_code == 401 and response.json() == UNAUTHORIZED


def test_tampered_token_is_401(stack: dict[str, Any]) -> None:
    header, payload, signature = sign_up(stack)["AccessToken"].split(".")
    claims = jwt.decode(f"{header}.{payload}.{signature}", options={"verify_signature": False})
    forged_payload = base64url_encode(json.dumps({**claims, "sub": str(uuid.uuid4())}).encode())
    assert (
        _get_me(stack, f"Bearer {header}.{forged_payload.decode()}.{signature}").status_code == 401
    )


@local_only
def test_expired_token_is_401(stack: dict[str, Any]) -> None:
    """Signed with the pool's own key, right issuer and use, but expired."""
    from moto.utilities.utils import load_resource

    claims = jwt.decode(sign_up(stack)["AccessToken"], options={"verify_signature": False})
    key = jwt.PyJWK(load_resource("cognitoidp/resources/jwks-private.json"))
    now = int(time.time())
    expired = jwt.encode(
        {**claims, "iat": now - 7200, "auth_time": now - 7200, "exp": now - 3600},
        key.key,
        algorithm="RS256",
        headers={"kid": "dummy"},
    )
    valid = jwt.encode(
        {**claims, "exp": now + 600}, key.key, algorithm="RS256", headers={"kid": "dummy"}
    )
    assert _get_me(stack, f"Bearer {valid}").status_code == 200  # the forgery itself is sound
    response = _get_me(stack, f"Bearer {expired}")
    assert response.status_code == 401 and response.json() == UNAUTHORIZED


@local_only
def test_token_from_a_foreign_pool_is_401(stack: dict[str, Any]) -> None:
    idp = cognito(stack)
    pool = idp.create_user_pool(
        PoolName=f"foreign-{uuid.uuid4().hex[:6]}", UsernameAttributes=["email"]
    )
    pool_id = pool["UserPool"]["Id"]
    client_id = idp.create_user_pool_client(
        UserPoolId=pool_id,
        ClientName="foreign",
        ExplicitAuthFlows=["ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"],
    )["UserPoolClient"]["ClientId"]
    tokens = sign_up(stack, pool_id=pool_id, client_id=client_id)
    response = _get_me(stack, f"Bearer {tokens['AccessToken']}")
    assert response.status_code == 401 and response.json() == UNAUTHORIZED


def test_demo_user_can_sign_in(stack: dict[str, Any]) -> None:
    auth = cognito(stack).initiate_auth(
        ClientId=stack["UserPoolClientId"],
        AuthFlow="USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": stack["DemoUsername"], "PASSWORD": stack["DemoPassword"]},
    )["AuthenticationResult"]
    me = Api(stack["ApiUrl"], auth["AccessToken"]).get("/v1/me")
    assert me.status_code == 200 and me.json()["email"] == stack["DemoUsername"]

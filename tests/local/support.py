"""Helpers for tests/local: users, forged tokens, calls to the fixture stack's API."""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jwt
import requests
from moto.utilities.utils import load_resource

FIXTURE_TEMPLATE = Path(__file__).parent / "fixture" / "template.yaml"
PASSWORD = "Fixture-password-1234"  # the fixture pool wants 16 characters
# What outputs.json holds for any template with a pool, a client and a table (README, "The local
# stack keeps its state").
OUTPUT_KEYS = {
    "ApiUrl",
    "Region",
    "UserPoolId",
    "UserPoolClientId",
    "CognitoEndpointUrl",
    "TableName",
    "DemoUsername",
    "DemoPassword",
}


@dataclass(frozen=True)
class User:
    email: str
    sub: str
    access_token: str
    id_token: str
    refresh_token: str


def new_user(idp: Any, pool_id: str, client_id: str, prefix: str = "user") -> User:
    """Sign up, confirm (as an admin) and sign in a new user."""
    email = f"{prefix}-{uuid.uuid4().hex[:10]}@example.com"
    sub = idp.sign_up(
        ClientId=client_id,
        Username=email,
        Password=PASSWORD,
        UserAttributes=[{"Name": "email", "Value": email}],
    )["UserSub"]
    idp.admin_confirm_sign_up(UserPoolId=pool_id, Username=email)
    tokens = idp.initiate_auth(
        ClientId=client_id,
        AuthFlow="USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": email, "PASSWORD": PASSWORD},
    )["AuthenticationResult"]
    return User(email, sub, tokens["AccessToken"], tokens["IdToken"], tokens["RefreshToken"])


def claims_of(token: str) -> dict[str, Any]:
    claims: dict[str, Any] = jwt.decode(token, options={"verify_signature": False})
    return claims


def sign(claims: dict[str, Any], key_id: str = "dummy") -> str:
    """`claims` signed with moto's private key (the one every emulated pool signs with)."""
    key = jwt.PyJWK(load_resource("cognitoidp/resources/jwks-private.json"))
    return jwt.encode(claims, key.key, algorithm="RS256", headers={"kid": key_id})


def forge(token: str, **changes: Any) -> str:
    """`token`'s claims with `changes`, signed as the emulator signs."""
    return sign({**claims_of(token), **changes})


def expired(token: str) -> str:
    now = int(time.time())
    return forge(token, iat=now - 7200, auth_time=now - 7200, exp=now - 60)


def call(
    stack: dict[str, Any],
    method: str,
    path: str,
    token: str | None = None,
    *,
    bearer: bool = True,
    **kwargs: Any,
) -> requests.Response:
    headers = dict(kwargs.pop("headers", {}))
    if token is not None:
        headers["Authorization"] = f"Bearer {token}" if bearer else token
    return requests.request(method, stack["ApiUrl"] + path, headers=headers, timeout=30, **kwargs)


def echo(response: requests.Response) -> dict[str, Any]:
    """The echo function's body (the event it got, its context and environment)."""
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body

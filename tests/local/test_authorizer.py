"""The Cognito user-pool authorizer: what passes, and every way to get API Gateway's 401."""

from __future__ import annotations

import time
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from tests.local.support import User, call, claims_of, echo, expired, forge, new_user, sign

UNAUTHORIZED = {"message": "Unauthorized"}


def assert_unauthorized(stack: dict[str, Any], token: str | None, path: str = "/items") -> None:
    response = call(stack, "GET", path, token)
    assert response.status_code == 401, response.text
    assert response.json() == UNAUTHORIZED
    assert response.headers["x-amzn-ErrorType"] == "UnauthorizedException"


def test_access_token_with_bearer(stack: dict[str, Any], user: User) -> None:
    echo(call(stack, "GET", "/items", user.access_token))


def test_raw_access_token_without_bearer(stack: dict[str, Any], user: User) -> None:
    echo(call(stack, "GET", "/items", user.access_token, bearer=False))


def test_missing_header(stack: dict[str, Any]) -> None:
    assert_unauthorized(stack, None)


@pytest.mark.parametrize("token", ["", "not-a-jwt", "a.b.c", "eyJhbGciOiJSUzI1NiJ9.e30.sig"])
def test_malformed_token(stack: dict[str, Any], token: str) -> None:
    assert_unauthorized(stack, token)


def test_forged_token_with_valid_claims_passes(stack: dict[str, Any], user: User) -> None:
    """The control for the forged tokens below: signing with moto's key is right."""
    echo(call(stack, "GET", "/items", forge(user.access_token)))


def test_expired_token(stack: dict[str, Any], user: User) -> None:
    assert_unauthorized(stack, expired(user.access_token))


def test_a_token_that_passed_is_refused_once_it_expired(stack: dict[str, Any], user: User) -> None:
    """The authorizer remembers the tokens it verified (local/authorizer.py) until their exp."""
    token = forge(user.access_token, exp=int(time.time()) + 2)
    echo(call(stack, "GET", "/items", token))
    time.sleep(2.5)
    assert_unauthorized(stack, token)


def test_token_signed_with_another_key(stack: dict[str, Any], user: User) -> None:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    token = jwt.encode(claims_of(user.access_token), key, "RS256", headers={"kid": "dummy"})
    assert_unauthorized(stack, token)


def test_token_with_unknown_key_id(stack: dict[str, Any], user: User) -> None:
    assert_unauthorized(stack, sign(claims_of(user.access_token), key_id="not-in-the-jwks"))


def test_token_from_another_user_pool(stack: dict[str, Any], idp: Any) -> None:
    pool = idp.create_user_pool(PoolName="another-pool", UsernameAttributes=["email"])["UserPool"]
    client = idp.create_user_pool_client(
        UserPoolId=pool["Id"], ClientName="another", ExplicitAuthFlows=["ALLOW_USER_PASSWORD_AUTH"]
    )["UserPoolClient"]
    stranger = new_user(idp, pool["Id"], client["ClientId"], prefix="stranger")
    assert_unauthorized(stack, stranger.access_token)


def test_id_token(stack: dict[str, Any], user: User) -> None:
    assert_unauthorized(stack, user.id_token)


def test_token_without_token_use(stack: dict[str, Any], user: User) -> None:
    claims = claims_of(user.access_token)
    del claims["token_use"]
    assert_unauthorized(stack, sign(claims))


def test_scope_not_in_the_routes_scopes(stack: dict[str, Any], user: User) -> None:
    assert_unauthorized(stack, forge(user.access_token, scope="fixture/other openid"))


def test_first_party_token_on_a_route_that_only_takes_write(
    stack: dict[str, Any], user: User
) -> None:
    response = call(stack, "POST", "/items/i1/notes", user.access_token, json={})
    assert response.status_code == 401
    assert response.json() == UNAUTHORIZED


def test_one_of_the_routes_scopes_is_enough(stack: dict[str, Any], user: User) -> None:
    token = forge(user.access_token, scope="openid fixture/read")
    claims = echo(call(stack, "GET", "/items", token))["event"]["requestContext"]["authorizer"]
    assert claims["claims"]["scope"] == "openid fixture/read"
    response = call(stack, "POST", "/items/i1/notes", token, json={})
    assert response.status_code == 401  # read is not write

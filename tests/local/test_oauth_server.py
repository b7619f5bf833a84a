"""local.oauth in-process over an emulator of its own: lifetimes (a clock we move), the signing
key against the authorizer, the checks Cognito makes at deploy time, and `localize`."""

from __future__ import annotations

import base64
import hashlib
import os
import re
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from werkzeug.test import Client as WsgiClient
from werkzeug.test import TestResponse

from local.authorizer import CognitoAuthorizer, JwksCache
from local.emulator import Emulator
from local.oauth import (
    CODE_TTL_S,
    SIGN_IN_TTL_S,
    AuthorizationServer,
    TokenSigner,
    UserPoolDomain,
    check_clients,
    hosted_url,
)
from local.template import TemplateError

CALLBACK = "http://localhost:9999/cb"
PASSWORD = "Unit-pass-1234"
VERIFIER = "v" * 64
CHALLENGE = base64.urlsafe_b64encode(hashlib.sha256(VERIFIER.encode()).digest()).decode()[:43]


class Clock:
    """Starts now (tokens must not be from the future); tests move it forward."""

    def __init__(self) -> None:
        self.now = time.time()

    def __call__(self) -> float:
        return self.now


@dataclass
class Pool:
    emulator: Emulator
    idp: Any
    id: str
    public: str  # a public client's id
    confidential: tuple[str, str]  # id, secret
    email: str


@pytest.fixture(scope="module")
def pool() -> Iterator[Pool]:
    emulator = Emulator().start()
    idp = emulator.client("cognito-idp")
    pool_id = idp.create_user_pool(PoolName="oauth-unit", UsernameAttributes=["email"])["UserPool"][
        "Id"
    ]
    idp.create_resource_server(
        UserPoolId=pool_id,
        Identifier="stint",
        Name="Stint",
        Scopes=[
            {"ScopeName": "read", "ScopeDescription": "r"},
            {"ScopeName": "write", "ScopeDescription": "w"},
        ],
    )
    oauth = {
        "AllowedOAuthFlowsUserPoolClient": True,
        "AllowedOAuthFlows": ["code"],
        "AllowedOAuthScopes": ["openid", "stint/read", "stint/write"],
        "CallbackURLs": [CALLBACK],
        "RefreshTokenValidity": 1,
        "TokenValidityUnits": {"RefreshToken": "days"},
    }
    public = idp.create_user_pool_client(UserPoolId=pool_id, ClientName="public", **oauth)
    confidential = idp.create_user_pool_client(
        UserPoolId=pool_id, ClientName="confidential", GenerateSecret=True, **oauth
    )["UserPoolClient"]
    email = "unit@example.com"
    idp.admin_create_user(
        UserPoolId=pool_id, Username=email, UserAttributes=[{"Name": "email", "Value": email}]
    )
    idp.admin_set_user_password(
        UserPoolId=pool_id, Username=email, Password=PASSWORD, Permanent=True
    )
    yield Pool(
        emulator,
        idp,
        pool_id,
        public["UserPoolClient"]["ClientId"],
        (confidential["ClientId"], confidential["ClientSecret"]),
        email,
    )
    emulator.stop()


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def server(pool: Pool, clock: Clock) -> AuthorizationServer:
    signer = TokenSigner.for_pool(JwksCache(pool.emulator.url), pool.id)
    return AuthorizationServer(pool.idp, pool.id, signer, clock=clock)


def sign_in_page(browser: WsgiClient, pool: Pool, **params: str) -> TestResponse:
    query = {
        "response_type": "code",
        "client_id": pool.public,
        "redirect_uri": CALLBACK,
        "scope": "openid stint/read",
        "code_challenge": CHALLENGE,
        "code_challenge_method": "S256",
        **params,
    }
    return browser.get("/oauth2/authorize", query_string=query)


def post_form(browser: WsgiClient, page: TestResponse, pool: Pool, password: str) -> TestResponse:
    found = re.search(r'name="login" value="([^"]+)"', page.get_data(as_text=True))
    assert found, page.get_data(as_text=True)
    form = {"login": found.group(1), "username": pool.email, "password": password}
    return browser.post("/oauth2/authorize", data=form)


def code_of(answer: TestResponse) -> str:
    assert answer.status_code == 302, answer.get_data(as_text=True)
    found = re.search(r"[?&]code=([^&]+)", answer.headers["Location"])
    assert found
    return found.group(1)


def redeem(browser: WsgiClient, pool: Pool, code: str) -> TestResponse:
    return browser.post(
        "/oauth2/token",
        data={
            "grant_type": "authorization_code",
            "client_id": pool.public,
            "code": code,
            "redirect_uri": CALLBACK,
            "code_verifier": VERIFIER,
        },
    )


def test_code_lives_five_minutes(server: AuthorizationServer, pool: Pool, clock: Clock) -> None:
    browser = WsgiClient(server)
    fresh = code_of(post_form(browser, sign_in_page(browser, pool), pool, PASSWORD))
    late = code_of(post_form(browser, sign_in_page(browser, pool), pool, PASSWORD))
    clock.now += CODE_TTL_S - 1
    assert redeem(browser, pool, fresh).status_code == 200
    clock.now += 2
    expired = redeem(browser, pool, late)
    assert expired.status_code == 400 and expired.json == {
        "error": "invalid_grant",
        "error_description": "The code is unknown, expired or not yours",
    }


def test_sign_in_page_expires(server: AuthorizationServer, pool: Pool, clock: Clock) -> None:
    browser = WsgiClient(server)
    page = sign_in_page(browser, pool)
    clock.now += SIGN_IN_TTL_S + 1
    answer = post_form(browser, page, pool, PASSWORD)
    assert answer.status_code == 400 and "expired" in answer.get_data(as_text=True)
    assert "Location" not in answer.headers


def test_refresh_token_lives_as_the_client_says(
    server: AuthorizationServer, pool: Pool, clock: Clock
) -> None:
    browser = WsgiClient(server)
    code = code_of(post_form(browser, sign_in_page(browser, pool), pool, PASSWORD))
    refresh_token = redeem(browser, pool, code).json["refresh_token"]  # type: ignore[index]
    form = {"grant_type": "refresh_token", "client_id": pool.public, "refresh_token": refresh_token}
    clock.now += 86400 - 1  # RefreshTokenValidity: 1 day
    assert browser.post("/oauth2/token", data=form).status_code == 200
    clock.now += 2
    assert browser.post("/oauth2/token", data=form).json["error"] == "invalid_grant"  # type: ignore[index]


def test_refresh_may_narrow_the_scopes_never_widen(server: AuthorizationServer, pool: Pool) -> None:
    browser = WsgiClient(server)
    code = code_of(post_form(browser, sign_in_page(browser, pool), pool, PASSWORD))
    refresh_token = redeem(browser, pool, code).json["refresh_token"]  # type: ignore[index]
    form = {"grant_type": "refresh_token", "client_id": pool.public, "refresh_token": refresh_token}
    narrower = browser.post("/oauth2/token", data={**form, "scope": "stint/read"})
    assert narrower.status_code == 200 and "id_token" not in narrower.json  # type: ignore[operator]
    wider = browser.post("/oauth2/token", data={**form, "scope": "stint/read stint/write"})
    assert wider.json["error"] == "invalid_scope"  # type: ignore[index]


def test_tokens_pass_the_local_authorizer_with_their_scopes_only(
    server: AuthorizationServer, pool: Pool
) -> None:
    browser = WsgiClient(server)
    code = code_of(post_form(browser, sign_in_page(browser, pool), pool, PASSWORD))
    tokens: Any = redeem(browser, pool, code).json
    authorizer = CognitoAuthorizer(
        "Cognito", (pool.id,), "Authorization", (), JwksCache(pool.emulator.url)
    )
    headers = {"authorization": f"Bearer {tokens['access_token']}"}
    claims = authorizer.authorize(headers, ("aws.cognito.signin.user.admin", "stint/read"))
    assert claims is not None and claims["token_use"] == "access"
    assert claims["client_id"] == pool.public and claims["scope"] == "openid stint/read"
    user = pool.idp.admin_get_user(UserPoolId=pool.id, Username=pool.email)
    assert claims["username"] == user["Username"]
    assert authorizer.authorize(headers, ("aws.cognito.signin.user.admin", "stint/write")) is None
    id_token = {"authorization": tokens["id_token"]}
    assert authorizer.authorize(id_token, ("stint/read",)) is None  # not an access token


def test_unconfirmed_or_disabled_users_do_not_sign_in(
    server: AuthorizationServer, pool: Pool
) -> None:
    browser = WsgiClient(server)
    pool.idp.admin_disable_user(UserPoolId=pool.id, Username=pool.email)
    try:
        refused = post_form(browser, sign_in_page(browser, pool), pool, PASSWORD)
    finally:
        pool.idp.admin_enable_user(UserPoolId=pool.id, Username=pool.email)
    assert refused.status_code == 200 and "Location" not in refused.headers
    other = "unconfirmed@example.com"
    pool.idp.sign_up(ClientId=pool.public, Username=other, Password=PASSWORD)
    page = sign_in_page(browser, pool)
    login = re.search(r'name="login" value="([^"]+)"', page.get_data(as_text=True))
    assert login
    answer = browser.post(
        "/oauth2/authorize",
        data={"login": login.group(1), "username": other, "password": PASSWORD},
    )
    assert answer.status_code == 200 and "not confirmed" in answer.get_data(as_text=True)


def test_deploy_time_checks_of_the_clients(pool: Pool) -> None:
    check_clients(pool.idp, pool.id)  # the fixture's clients are fine
    bad = pool.idp.create_user_pool_client(
        UserPoolId=pool.id, ClientName="bad-scope", AllowedOAuthScopes=["stint/admin"]
    )["UserPoolClient"]["ClientId"]
    try:
        with pytest.raises(TemplateError, match="stint/admin"):
            check_clients(pool.idp, pool.id)
    finally:
        pool.idp.delete_user_pool_client(UserPoolId=pool.id, ClientId=bad)
    for url, ok in [
        ("https://app.example/cb", True),
        ("myapp://callback", True),
        ("http://localhost:3000/cb", True),
        ("http://app.example/cb", False),
        ("https://app.example/cb#x", False),
    ]:
        client = pool.idp.create_user_pool_client(
            UserPoolId=pool.id, ClientName="urls", CallbackURLs=[url]
        )["UserPoolClient"]["ClientId"]
        try:
            if ok:
                check_clients(pool.idp, pool.id)
            else:
                with pytest.raises(TemplateError, match="callback URL"):
                    check_clients(pool.idp, pool.id)
        finally:
            pool.idp.delete_user_pool_client(UserPoolId=pool.id, ClientId=client)


def test_localize_points_the_domain_at_the_front(
    server: AuthorizationServer, pool: Pool, monkeypatch: pytest.MonkeyPatch
) -> None:
    domain = UserPoolDomain(hosted_url("stint-unit"), server)
    assert domain.url == "https://stint-unit.auth.us-east-1.amazoncognito.com"
    monkeypatch.setenv("STINT_UNIT_OAUTH", domain.url + "/oauth2/token")
    monkeypatch.setenv("STINT_UNIT_OTHER", "https://example.com")
    client_id, secret = pool.confidential
    outputs = domain.localize(
        "http://127.0.0.1:3000",
        [],
        {"OAuthBaseUrl": domain.url, "IntegrationClientId": client_id, "Public": pool.public},
    )
    assert os.environ["STINT_UNIT_OAUTH"] == "http://127.0.0.1:3000/oauth2/token"
    assert os.environ["STINT_UNIT_OTHER"] == "https://example.com"
    assert outputs == {
        "OAuthBaseUrl": "http://127.0.0.1:3000",
        "IntegrationClientId": client_id,
        "IntegrationClientSecret": secret,  # locally only
        "Public": pool.public,  # no secret, no ...Secret
    }

"""local.oauth's token endpoint: one client authentication per request (RFC 6749 2.3), every
failed one a 401 invalid_client."""

from __future__ import annotations

import base64
from typing import Any

import pytest
from werkzeug.test import Client as WsgiClient

from local.authorizer import JwksCache
from local.oauth import AuthorizationServer, TokenSigner
from tests.local import test_oauth_server
from tests.local.test_oauth_server import Pool

pool = test_oauth_server.pool  # the fixture: an emulator with a pool and its two clients

REFRESH = {"grant_type": "refresh_token", "refresh_token": "not-one-of-ours"}


@pytest.fixture
def browser(pool: Pool) -> WsgiClient:
    signer = TokenSigner.for_pool(JwksCache(pool.emulator.url), pool.id)
    return WsgiClient(AuthorizationServer(pool.idp, pool.id, signer))


def basic(client_id: str, secret: str) -> dict[str, str]:
    credentials = base64.b64encode(f"{client_id}:{secret}".encode()).decode()
    return {"Authorization": f"Basic {credentials}"}


def error_of(browser: WsgiClient, status: int, **request: Any) -> str:
    answer = browser.post("/oauth2/token", **request)
    assert answer.status_code == status, answer.get_data(as_text=True)
    assert answer.json is not None and set(answer.json) <= {"error", "error_description"}
    return str(answer.json["error"])


def test_the_control_an_authenticated_client_with_an_unknown_token(
    browser: WsgiClient, pool: Pool
) -> None:
    client_id, secret = pool.confidential
    assert error_of(browser, 400, data=REFRESH, headers=basic(client_id, secret)) == "invalid_grant"
    public = {**REFRESH, "client_id": pool.public}
    assert error_of(browser, 400, data=public) == "invalid_grant"


def test_two_client_authentications_are_refused(browser: WsgiClient, pool: Pool) -> None:
    client_id, secret = pool.confidential
    both = {**REFRESH, "client_id": client_id, "client_secret": secret}
    assert error_of(browser, 400, data=both, headers=basic(client_id, secret)) == "invalid_request"


def test_the_form_names_another_client_than_basic(browser: WsgiClient, pool: Pool) -> None:
    client_id, secret = pool.confidential
    other = {**REFRESH, "client_id": pool.public}
    assert error_of(browser, 401, data=other, headers=basic(client_id, secret)) == "invalid_client"


def test_a_public_client_sending_a_secret_is_not_authenticated_by_its_id(
    browser: WsgiClient, pool: Pool
) -> None:
    public = {**REFRESH, "client_id": pool.public}
    headers = basic(pool.public, "a-secret-it-has-not")
    assert error_of(browser, 401, data=public, headers=headers) == "invalid_client"


def test_an_unknown_client_is_a_401_with_basics_challenge(browser: WsgiClient) -> None:
    answer = browser.post("/oauth2/token", data={**REFRESH, "client_id": "nosuchclient"})
    assert answer.status_code == 401 and answer.json == {
        "error": "invalid_client",
        "error_description": "The client does not exist on this server.",
    }
    assert answer.headers["WWW-Authenticate"].startswith("Basic ")

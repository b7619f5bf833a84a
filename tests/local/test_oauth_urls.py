"""The URLs local.oauth writes come from the configuration (the client's callback URLs, the
front's URL), never from the request's Host header."""

from __future__ import annotations

import re

from werkzeug.test import Client as WsgiClient
from werkzeug.test import TestResponse

from local.authorizer import JwksCache
from local.oauth import AuthorizationServer, TokenSigner, UserPoolDomain, hosted_url
from tests.local import test_oauth_server
from tests.local.test_oauth_server import (
    CALLBACK,
    CHALLENGE,
    PASSWORD,
    VERIFIER,
    Pool,
    code_of,
    post_form,
)

pool = test_oauth_server.pool  # the fixture: an emulator with a pool and its two clients

FRONT = "http://127.0.0.1:3999"
EVIL = "evil.example"
FORGED_HOST = {"Host": EVIL}


def front_server(pool: Pool, front_url: str | None = FRONT) -> AuthorizationServer:
    signer = TokenSigner.for_pool(JwksCache(pool.emulator.url), pool.id)
    return AuthorizationServer(pool.idp, pool.id, signer, front_url=front_url)


def assert_no_evil_url(answer: TestResponse) -> None:
    assert EVIL not in answer.get_data(as_text=True)
    for name, value in answer.headers.items():
        assert EVIL not in value, (name, value)


def authorize(browser: WsgiClient, pool: Pool, **params: str) -> TestResponse:
    """The public client's authorize request, sent with a forged Host header."""
    query = {
        "response_type": "code",
        "client_id": pool.public,
        "redirect_uri": CALLBACK,
        "scope": "openid stint/read",
        "code_challenge": CHALLENGE,
        "code_challenge_method": "S256",
        **params,
    }
    return browser.get("/oauth2/authorize", query_string=query, headers=FORGED_HOST)


def form_action(page: TestResponse) -> str:
    found = re.search(r'<form method="post" action="([^"]+)"', page.get_data(as_text=True))
    assert found, page.get_data(as_text=True)
    return found.group(1)


def test_a_forged_host_header_is_written_nowhere(pool: Pool) -> None:
    browser = WsgiClient(front_server(pool))
    page = authorize(browser, pool)
    assert page.status_code == 200
    assert form_action(page) == f"{FRONT}/oauth2/authorize"
    assert_no_evil_url(page)

    login = re.findall(r'name="login" value="([^"]+)"', page.get_data(as_text=True))[0]
    signed_in = browser.post(
        "/oauth2/authorize",
        data={"login": login, "username": pool.email, "password": PASSWORD},
        headers=FORGED_HOST,
    )
    assert signed_in.headers["Location"].startswith(CALLBACK + "?")
    assert_no_evil_url(signed_in)

    tokens = browser.post(
        "/oauth2/token",
        data={
            "grant_type": "authorization_code",
            "client_id": pool.public,
            "code": code_of(signed_in),
            "redirect_uri": CALLBACK,
            "code_verifier": VERIFIER,
        },
        headers=FORGED_HOST,
    )
    assert tokens.status_code == 200, tokens.get_data(as_text=True)
    assert_no_evil_url(tokens)


def test_errors_under_a_forged_host_header_go_to_the_callback_url_or_a_page(pool: Pool) -> None:
    browser = WsgiClient(front_server(pool))
    refused = authorize(browser, pool, code_challenge_method="plain")  # back to the client
    assert refused.status_code == 302
    assert refused.headers["Location"].startswith(CALLBACK + "?error=invalid_request")
    assert_no_evil_url(refused)
    elsewhere = authorize(browser, pool, redirect_uri=f"https://{EVIL}/cb")  # not the client's
    assert elsewhere.status_code == 400 and "Location" not in elsewhere.headers
    assert "<form" not in elsewhere.get_data(as_text=True)


def test_the_form_posts_to_the_front_localize_names(pool: Pool) -> None:
    server = front_server(pool, front_url=None)
    browser = WsgiClient(server)
    assert form_action(authorize(browser, pool)) == "/oauth2/authorize"  # no front: the path
    UserPoolDomain(hosted_url("stint-urls"), server).localize(FRONT, [], {})
    page = authorize(browser, pool)
    assert form_action(page) == f"{FRONT}/oauth2/authorize"
    assert code_of(post_form(browser, page, pool, PASSWORD))

"""The URLs local.oauth writes come from the configuration (the client's callback URLs, the
front's URL), never from the request's Host header."""

from __future__ import annotations

import re
from typing import Any

from werkzeug.test import Client as WsgiClient
from werkzeug.test import TestResponse

from local.authorizer import JwksCache
from local.oauth import AuthorizationServer, TokenSigner, UserPoolDomain, hosted_url
from tests.local import test_oauth_server
from tests.local.test_oauth_server import (
    CALLBACK,
    PASSWORD,
    Pool,
    code_of,
    post_form,
    redeem,
    sign_in_page,
)

pool = test_oauth_server.pool  # the fixture: an emulator with a pool and its two clients

FRONT = "http://127.0.0.1:3999"
EVIL = "evil.example"


def forged_host_browser(server: AuthorizationServer) -> WsgiClient:
    """A client whose every request says `Host: evil.example`."""

    def forged(environ: dict[str, Any], start_response: Any) -> Any:
        return server({**environ, "HTTP_HOST": EVIL}, start_response)

    return WsgiClient(forged)


def front_server(pool: Pool, front_url: str | None = FRONT) -> AuthorizationServer:
    signer = TokenSigner.for_pool(JwksCache(pool.emulator.url), pool.id)
    return AuthorizationServer(pool.idp, pool.id, signer, front_url=front_url)


def assert_no_evil_url(answer: TestResponse) -> None:
    assert EVIL not in answer.get_data(as_text=True)
    for name, value in answer.headers.items():
        assert EVIL not in value, (name, value)


def form_action(page: TestResponse) -> str:
    found = re.search(r'<form method="post" action="([^"]+)"', page.get_data(as_text=True))
    assert found, page.get_data(as_text=True)
    return found.group(1)


def test_a_forged_host_header_is_written_nowhere(pool: Pool) -> None:
    browser = forged_host_browser(front_server(pool))
    page = sign_in_page(browser, pool)
    assert page.status_code == 200
    assert form_action(page) == f"{FRONT}/oauth2/authorize"
    assert_no_evil_url(page)
    signed_in = post_form(browser, page, pool, PASSWORD)
    assert signed_in.headers["Location"].startswith(CALLBACK + "?")
    assert_no_evil_url(signed_in)
    tokens = redeem(browser, pool, code_of(signed_in))
    assert tokens.status_code == 200, tokens.get_data(as_text=True)
    assert_no_evil_url(tokens)


def test_errors_under_a_forged_host_header_go_to_the_callback_url_or_a_page(pool: Pool) -> None:
    browser = forged_host_browser(front_server(pool))
    refused = sign_in_page(browser, pool, code_challenge_method="plain")  # back to the client
    assert refused.status_code == 302
    assert refused.headers["Location"].startswith(CALLBACK + "?error=invalid_request")
    assert_no_evil_url(refused)
    elsewhere = sign_in_page(browser, pool, redirect_uri=f"https://{EVIL}/cb")  # not the client's
    assert elsewhere.status_code == 400 and "Location" not in elsewhere.headers
    assert "<form" not in elsewhere.get_data(as_text=True)


def test_the_form_posts_to_the_front_localize_names(pool: Pool) -> None:
    server = front_server(pool, front_url=None)
    browser = forged_host_browser(server)
    assert form_action(sign_in_page(browser, pool)) == "/oauth2/authorize"  # no front: the path
    UserPoolDomain(hosted_url("stint-urls"), server).localize(FRONT, [], {})
    page = sign_in_page(browser, pool)
    assert form_action(page) == f"{FRONT}/oauth2/authorize"
    assert code_of(post_form(browser, page, pool, PASSWORD))

"""OAuth2 (docs/API.md, docs/DESIGN.md "OAuth2"): the code flow with PKCE, driven by a stock OAuth2
client library
(authlib) and a browser-like HTTP session that fills the real sign-in page's form.

`/oauth2/authorize` and `/oauth2/token` are the user pool domain's (`OAuthBaseUrl`); Tyme's
`/v1/authorize`, `/v1/access_token` and `/v1/refresh_token` are the API's (`ApiUrl`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Any
from urllib.parse import parse_qs, urljoin, urlsplit

import jwt
import pytest
import requests
from authlib.common.security import generate_token
from authlib.integrations.base_client import OAuthError
from authlib.integrations.requests_client import OAuth2Session
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.api.conftest import PASSWORD, Api, cognito, local_only, sign_up

# The sign-in page, its error pages and the token endpoint's checks are the local stack's; a
# deployed stack's are Cognito's managed login, whose page and answers differ.
pytestmark = [local_only, pytest.mark.http]

# The template's default callback URLs (parameters AppCallbackUrls, IntegrationCallbackUrls).
APP_CALLBACK = "http://localhost:8080/callback"
INTEGRATION_CALLBACK = "http://localhost:8080/integration/callback"
TIMEOUT = 30


# ----------------------------------------------------------------------------- a browser


@dataclass
class Form:
    action: str
    method: str
    fields: dict[str, str] = field(default_factory=dict)


class _FormParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.forms: list[Form] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = {name: value or "" for name, value in attrs}
        if tag == "form":
            self.forms.append(Form(attributes.get("action", ""), attributes.get("method", "get")))
        elif tag == "input" and self.forms and attributes.get("name"):
            self.forms[-1].fields[attributes["name"]] = attributes.get("value", "")


def sign_in_form(page: requests.Response) -> Form:
    """The page's form with a password field, as a browser would see it."""
    assert page.status_code == 200, page.text
    assert page.headers["Content-Type"].startswith("text/html")
    parser = _FormParser()
    parser.feed(page.text)
    forms = [form for form in parser.forms if "password" in form.fields]
    assert len(forms) == 1, page.text
    return forms[0]


def submit(browser: requests.Session, page: requests.Response, **values: str) -> requests.Response:
    """Fill the page's sign-in form and post it, as a browser does (no redirect followed)."""
    form = sign_in_form(page)
    assert form.method.lower() == "post"
    return browser.post(
        urljoin(page.url, form.action),
        data={**form.fields, **values},
        allow_redirects=False,
        timeout=TIMEOUT,
    )


def sign_in(
    authorize_url: str, email: str, password: str = PASSWORD
) -> tuple[requests.Session, requests.Response]:
    """Open the authorization URL in a fresh browser and sign in; the form's answer."""
    browser = requests.Session()
    page = browser.get(authorize_url, timeout=TIMEOUT)
    return browser, submit(browser, page, username=email, password=password)


def callback(answer: requests.Response, redirect_uri: str) -> dict[str, str]:
    """Where the sign-in redirected the browser: the redirect URI with its query parameters."""
    assert answer.status_code == 302, answer.text
    location = answer.headers["Location"]
    assert location.split("?")[0] == redirect_uri
    return {name: values[0] for name, values in parse_qs(urlsplit(location).query).items()}


# ----------------------------------------------------------------------------- fixtures


@pytest.fixture
def user(stack: dict[str, Any]) -> dict[str, str]:
    return sign_up(stack)


@pytest.fixture
def integration(stack: dict[str, Any]) -> tuple[str, str]:
    """The confidential client (its secret is an output of the local stack only)."""
    return stack["IntegrationClientId"], stack["IntegrationClientSecret"]


def oauth_base(stack: dict[str, Any]) -> str:
    return str(stack["OAuthBaseUrl"])


def app_session(stack: dict[str, Any], scope: str) -> OAuth2Session:
    """The first-party public client, as a native or single-page app would set authlib up."""
    return OAuth2Session(
        stack["UserPoolClientId"],
        scope=scope,
        redirect_uri=APP_CALLBACK,
        code_challenge_method="S256",
        token_endpoint_auth_method="none",
    )


def code_flow(stack: dict[str, Any], session: OAuth2Session, email: str) -> dict[str, Any]:
    """authorize -> sign-in page -> callback -> token, with PKCE; the token authlib keeps."""
    verifier = generate_token(64)
    url, state = session.create_authorization_url(
        oauth_base(stack) + "/oauth2/authorize", code_verifier=verifier
    )
    _, answer = sign_in(url, email)
    assert callback(answer, str(session.redirect_uri))["state"] == state
    token: dict[str, Any] = session.fetch_token(
        oauth_base(stack) + "/oauth2/token",
        authorization_response=answer.headers["Location"],
        code_verifier=verifier,
    )
    return token


def claims(token: str) -> dict[str, Any]:
    decoded: dict[str, Any] = jwt.decode(token, options={"verify_signature": False})
    return decoded


def api(stack: dict[str, Any], token: dict[str, Any]) -> Api:
    return Api(stack["ApiUrl"], token["access_token"])


def token_call(url: str, **kwargs: Any) -> requests.Response:
    return requests.post(url, timeout=TIMEOUT, **kwargs)


def assert_oauth_error(response: requests.Response, status: int, error: str) -> None:
    assert response.status_code == status, response.text
    body = response.json()
    assert body["error"] == error, body
    assert "access_token" not in body


# ----------------------------------------------------------------------------- the code flow


def test_pool_has_the_domain_the_resource_server_and_the_clients(stack: dict[str, Any]) -> None:
    idp = cognito(stack)
    pool = idp.describe_user_pool(UserPoolId=stack["UserPoolId"])["UserPool"]
    assert pool["Domain"] == stack["UserPoolDomain"]
    server = idp.describe_resource_server(UserPoolId=stack["UserPoolId"], Identifier="stint")
    scopes = {scope["ScopeName"] for scope in server["ResourceServer"]["Scopes"]}
    assert scopes == {"read", "write"}
    integration = idp.describe_user_pool_client(
        UserPoolId=stack["UserPoolId"], ClientId=stack["IntegrationClientId"]
    )["UserPoolClient"]
    assert integration["ClientSecret"] and integration["AllowedOAuthFlows"] == ["code"]
    assert integration["CallbackURLs"] == [INTEGRATION_CALLBACK]


def test_public_client_code_flow_with_pkce_refresh_and_a_read_only_token(
    stack: dict[str, Any], user: dict[str, str]
) -> None:
    session = app_session(stack, "openid email stint/read")
    refreshes: list[dict[str, Any]] = []
    session.register_compliance_hook("refresh_token_response", _record(refreshes))

    token = code_flow(stack, session, user["email"])

    assert token["token_type"] == "Bearer"
    assert token["expires_in"] == 3600  # the client's AccessTokenValidity: 60 minutes
    assert token["refresh_token"]
    access, identity = claims(token["access_token"]), claims(token["id_token"])
    assert access["token_use"] == "access"
    assert set(access["scope"].split()) == {"openid", "email", "stint/read"}
    assert access["client_id"] == stack["UserPoolClientId"]
    assert access["iss"].endswith("/" + stack["UserPoolId"])
    assert identity["token_use"] == "id" and identity["aud"] == stack["UserPoolClientId"]
    assert identity["email"] == user["email"]
    assert access["sub"] == identity["sub"] == claims(user["AccessToken"])["sub"]

    reader = api(stack, token)
    me = reader.get("/v1/me")
    assert me.status_code == 200, me.text
    assert me.json()["email"] == user["email"]
    refused = reader.post("/v1/projects", json={"project": {"title": "Not allowed"}})
    assert refused.status_code in (401, 403), refused.text
    assert reader.patch("/v1/me", json={"displayName": "x"}).status_code in (401, 403)

    refreshed = session.refresh_token(oauth_base(stack) + "/oauth2/token")
    assert refreshes and "refresh_token" not in refreshes[0]  # Cognito keeps the refresh token
    assert set(refreshes[0]) == {"access_token", "id_token", "token_type", "expires_in"}
    assert refreshed["access_token"] != token["access_token"]
    assert claims(refreshed["access_token"])["scope"] == access["scope"]
    assert api(stack, refreshed).get("/v1/me").status_code == 200


def _record(into: list[dict[str, Any]]) -> Any:
    def hook(response: requests.Response) -> requests.Response:
        into.append(response.json())
        return response

    return hook


def test_write_scope_writes_and_does_not_read(stack: dict[str, Any], user: dict[str, str]) -> None:
    token = code_flow(stack, app_session(stack, "stint/write"), user["email"])
    assert "id_token" not in token  # no openid scope, no ID token (as in Cognito)
    writer = api(stack, token)
    created = writer.post("/v1/projects", json={"project": {"title": "Written by OAuth"}})
    assert created.status_code == 201, created.text
    assert writer.get("/v1/projects").status_code in (401, 403)


def test_first_party_scope_allows_every_route(stack: dict[str, Any], user: dict[str, str]) -> None:
    token = code_flow(stack, app_session(stack, "aws.cognito.signin.user.admin"), user["email"])
    client = api(stack, token)
    assert client.get("/v1/me").status_code == 200
    assert client.post("/v1/projects", json={"project": {"title": "P"}}).status_code == 201


def test_id_token_is_not_an_access_token(stack: dict[str, Any], user: dict[str, str]) -> None:
    token = code_flow(stack, app_session(stack, "openid stint/read"), user["email"])
    assert Api(stack["ApiUrl"], token["id_token"]).get("/v1/me").status_code == 401


@pytest.mark.parametrize("auth_method", ["client_secret_basic", "client_secret_post"])
def test_confidential_client_with_its_secret(
    stack: dict[str, Any], user: dict[str, str], integration: tuple[str, str], auth_method: str
) -> None:
    client_id, secret = integration
    session = OAuth2Session(
        client_id,
        secret,
        scope="stint/read stint/write",
        redirect_uri=INTEGRATION_CALLBACK,
        code_challenge_method="S256",
        token_endpoint_auth_method=auth_method,
    )
    token = code_flow(stack, session, user["email"])
    assert "id_token" not in token
    assert set(claims(token["access_token"])["scope"].split()) == {"stint/read", "stint/write"}
    integration_api = api(stack, token)
    assert integration_api.get("/v1/me").status_code == 200
    assert integration_api.post("/v1/projects", json={"project": {"title": "I"}}).status_code == 201
    refreshed = session.refresh_token(oauth_base(stack) + "/oauth2/token")
    assert api(stack, refreshed).get("/v1/projects").status_code == 200


def test_confidential_client_may_skip_pkce(
    stack: dict[str, Any], user: dict[str, str], integration: tuple[str, str]
) -> None:
    client_id, secret = integration
    session = OAuth2Session(
        client_id, secret, scope="stint/read", redirect_uri=INTEGRATION_CALLBACK
    )
    url, _ = session.create_authorization_url(oauth_base(stack) + "/oauth2/authorize")
    _, answer = sign_in(url, user["email"])
    token = session.fetch_token(
        oauth_base(stack) + "/oauth2/token", authorization_response=answer.headers["Location"]
    )
    assert api(stack, token).get("/v1/me").status_code == 200


# ----------------------------------------------------------------------------- Tyme's calls


def test_tymes_three_calls(
    stack: dict[str, Any], user: dict[str, str], integration: tuple[str, str]
) -> None:
    client_id, secret = integration
    browser = requests.Session()
    params = {
        "response_type": "code",
        "client_id": client_id,
        "state": "tyme-state-42",
        "redirect_uri": INTEGRATION_CALLBACK,
    }
    redirect = browser.get(
        stack["ApiUrl"] + "/v1/authorize", params=params, allow_redirects=False, timeout=TIMEOUT
    )
    assert redirect.status_code == 302, redirect.text
    location = redirect.headers["Location"]
    assert location.startswith(oauth_base(stack) + "/oauth2/authorize?")
    assert {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()} == params
    page = browser.get(location, timeout=TIMEOUT)
    answer = submit(browser, page, username=user["email"], password=PASSWORD)
    returned = callback(answer, INTEGRATION_CALLBACK)
    assert returned["state"] == "tyme-state-42"

    # Tyme's documents show the parameters as a JSON object; a form works the same.
    exchanged = token_call(
        stack["ApiUrl"] + "/v1/access_token",
        json={
            "grant_type": "authorization_code",
            "code": returned["code"],
            "redirect_uri": INTEGRATION_CALLBACK,
            "client_id": client_id,
            "client_secret": secret,
        },
    )
    assert exchanged.status_code == 200, exchanged.text
    assert exchanged.headers["Cache-Control"] == "no-store"
    tokens = exchanged.json()
    assert set(tokens) == {"access_token", "refresh_token", "token_type", "expires_in"}
    assert api(stack, tokens).get("/v1/me").status_code == 200

    refreshed = token_call(
        stack["ApiUrl"] + "/v1/refresh_token",
        data={
            "grant_type": "refresh_token",
            "refresh_token": tokens["refresh_token"],
            "client_id": client_id,
            "client_secret": secret,
        },
    )
    assert refreshed.status_code == 200, refreshed.text
    assert set(refreshed.json()) == {"access_token", "token_type", "expires_in"}
    assert api(stack, refreshed.json()).get("/v1/me").status_code == 200


def test_tymes_token_calls_refuse_the_other_grant_and_bad_bodies(
    stack: dict[str, Any], integration: tuple[str, str]
) -> None:
    client_id, secret = integration
    credentials = {"client_id": client_id, "client_secret": secret}
    wrong_grant = token_call(
        stack["ApiUrl"] + "/v1/access_token",
        data={"grant_type": "refresh_token", "refresh_token": "x", **credentials},
    )
    assert_oauth_error(wrong_grant, 400, "unsupported_grant_type")
    not_a_form = token_call(
        stack["ApiUrl"] + "/v1/refresh_token",
        data="refresh_token=x",
        headers={"Content-Type": "text/plain"},
    )
    assert_oauth_error(not_a_form, 400, "invalid_request")
    not_an_object = token_call(stack["ApiUrl"] + "/v1/access_token", json=["code"])
    assert_oauth_error(not_an_object, 400, "invalid_request")
    # No grant_type: the route gives it; the unknown code is the domain's invalid_grant.
    unknown_code = token_call(
        stack["ApiUrl"] + "/v1/access_token",
        data={"code": "nope", "redirect_uri": INTEGRATION_CALLBACK, **credentials},
    )
    assert_oauth_error(unknown_code, 400, "invalid_grant")
    wrong_secret = token_call(
        stack["ApiUrl"] + "/v1/refresh_token",
        json={"refresh_token": "x", "client_id": client_id, "client_secret": secret + "x"},
    )
    assert_oauth_error(wrong_secret, 401, "invalid_client")


# ----------------------------------------------------------------------------- errors


@pytest.fixture
def verified(stack: dict[str, Any], user: dict[str, str]) -> tuple[str, str, str]:
    """A code of the public client: (code, its verifier, the user's email)."""
    verifier = generate_token(64)
    session = app_session(stack, "stint/read")
    url, _ = session.create_authorization_url(
        oauth_base(stack) + "/oauth2/authorize", code_verifier=verifier
    )
    _, answer = sign_in(url, user["email"])
    return callback(answer, APP_CALLBACK)["code"], verifier, user["email"]


def redeem(stack: dict[str, Any], code: str, verifier: str, **changes: str) -> requests.Response:
    data = {
        "grant_type": "authorization_code",
        "client_id": stack["UserPoolClientId"],
        "code": code,
        "redirect_uri": APP_CALLBACK,
        "code_verifier": verifier,
        **changes,
    }
    return token_call(oauth_base(stack) + "/oauth2/token", data=data)


def test_wrong_pkce_verifier(stack: dict[str, Any], verified: tuple[str, str, str]) -> None:
    code, verifier, _ = verified
    session = app_session(stack, "stint/read")
    with pytest.raises(OAuthError) as refused:
        session.fetch_token(
            oauth_base(stack) + "/oauth2/token",
            code=code,
            code_verifier=generate_token(64),
        )
    assert refused.value.error == "invalid_grant"
    # One attempt per code: the right verifier does not get it back.
    assert_oauth_error(redeem(stack, code, verifier), 400, "invalid_grant")


def test_missing_pkce_verifier(stack: dict[str, Any], verified: tuple[str, str, str]) -> None:
    code, _, _ = verified
    assert_oauth_error(redeem(stack, code, ""), 400, "invalid_grant")


def test_reused_code_is_refused_and_revokes_its_refresh_token(
    stack: dict[str, Any], verified: tuple[str, str, str]
) -> None:
    code, verifier, _ = verified
    first = redeem(stack, code, verifier)
    assert first.status_code == 200, first.text
    assert_oauth_error(redeem(stack, code, verifier), 400, "invalid_grant")
    refresh = token_call(
        oauth_base(stack) + "/oauth2/token",
        data={
            "grant_type": "refresh_token",
            "client_id": stack["UserPoolClientId"],
            "refresh_token": first.json()["refresh_token"],
        },
    )
    assert_oauth_error(refresh, 400, "invalid_grant")


def test_wrong_redirect_uri_at_the_token_endpoint(
    stack: dict[str, Any], verified: tuple[str, str, str]
) -> None:
    code, verifier, _ = verified
    other = redeem(stack, code, verifier, redirect_uri="http://localhost:8080/elsewhere")
    assert_oauth_error(other, 400, "invalid_grant")


def test_code_of_another_client(
    stack: dict[str, Any], verified: tuple[str, str, str], integration: tuple[str, str]
) -> None:
    code, verifier, _ = verified
    client_id, secret = integration
    stolen = redeem(stack, code, verifier, client_id=client_id, client_secret=secret)
    assert_oauth_error(stolen, 400, "invalid_grant")


def test_unregistered_redirect_uri_gets_an_error_page_not_a_redirect(
    stack: dict[str, Any],
) -> None:
    session = OAuth2Session(
        stack["UserPoolClientId"],
        redirect_uri="https://attacker.example/callback",
        code_challenge_method="S256",
    )
    url, _ = session.create_authorization_url(
        oauth_base(stack) + "/oauth2/authorize", code_verifier=generate_token(64)
    )
    page = requests.get(url, allow_redirects=False, timeout=TIMEOUT)
    assert page.status_code == 400 and "Location" not in page.headers
    assert "redirect_uri" in page.text and "<form" not in page.text


def test_unknown_client(stack: dict[str, Any]) -> None:
    page = requests.get(
        oauth_base(stack) + "/oauth2/authorize",
        params={"response_type": "code", "client_id": "nosuchclient", "redirect_uri": APP_CALLBACK},
        allow_redirects=False,
        timeout=TIMEOUT,
    )
    assert page.status_code == 400 and "Location" not in page.headers
    token = token_call(
        oauth_base(stack) + "/oauth2/token",
        data={"grant_type": "authorization_code", "client_id": "nosuchclient", "code": "x"},
    )
    assert_oauth_error(token, 401, "invalid_client")


def test_wrong_secret(stack: dict[str, Any], integration: tuple[str, str]) -> None:
    client_id, secret = integration
    data = {"grant_type": "refresh_token", "refresh_token": "x"}
    basic = token_call(
        oauth_base(stack) + "/oauth2/token", data=data, auth=(client_id, secret + "x")
    )
    assert_oauth_error(basic, 401, "invalid_client")
    assert basic.headers["WWW-Authenticate"].startswith("Basic")
    post = token_call(
        oauth_base(stack) + "/oauth2/token",
        data={**data, "client_id": client_id, "client_secret": "wrong"},
    )
    assert_oauth_error(post, 401, "invalid_client")
    no_secret = token_call(
        oauth_base(stack) + "/oauth2/token", data={**data, "client_id": client_id}
    )
    assert_oauth_error(no_secret, 401, "invalid_client")


def test_bad_password_shows_the_form_again_and_issues_no_code(
    stack: dict[str, Any], user: dict[str, str]
) -> None:
    session = app_session(stack, "stint/read")
    url, _ = session.create_authorization_url(
        oauth_base(stack) + "/oauth2/authorize", code_verifier=generate_token(64)
    )
    browser, answer = sign_in(url, user["email"], password="Wrong-pass-1234")
    assert answer.status_code == 200 and "Location" not in answer.headers
    assert "Incorrect username or password." in answer.text
    assert sign_in_form(answer).fields["username"] == user["email"]  # kept for the next try
    unknown = submit(browser, answer, username="nobody@example.com", password=PASSWORD)
    assert unknown.status_code == 200 and "Incorrect username or password." in unknown.text
    # The same page then signs the right password in.
    right = submit(browser, answer, username=user["email"], password=PASSWORD)
    assert "code" in callback(right, APP_CALLBACK)


@pytest.mark.parametrize(
    ("changes", "error"),
    [
        ({"code_challenge": None, "code_challenge_method": None}, "invalid_request"),  # no PKCE
        ({"code_challenge_method": "plain"}, "invalid_request"),
        ({"response_type": "token"}, "unsupported_response_type"),
        ({"scope": "stint/read stint/admin"}, "invalid_scope"),
    ],
)
def test_authorize_errors_go_back_to_the_client_with_the_state(
    stack: dict[str, Any], changes: dict[str, str | None], error: str
) -> None:
    params: dict[str, str | None] = {
        "response_type": "code",
        "client_id": stack["UserPoolClientId"],
        "redirect_uri": APP_CALLBACK,
        "state": "s-1",
        "scope": "stint/read",
        "code_challenge": "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM",
        "code_challenge_method": "S256",
        **changes,
    }
    answer = requests.get(
        oauth_base(stack) + "/oauth2/authorize",
        params={name: value for name, value in params.items() if value is not None},
        allow_redirects=False,
        timeout=TIMEOUT,
    )
    returned = callback(answer, APP_CALLBACK)
    assert returned["error"] == error and returned["state"] == "s-1"
    assert "code" not in returned


def test_integration_client_cannot_ask_for_first_party_scopes(
    stack: dict[str, Any], integration: tuple[str, str]
) -> None:
    client_id, _ = integration
    answer = requests.get(
        oauth_base(stack) + "/oauth2/authorize",
        params={
            "response_type": "code",
            "client_id": client_id,
            "redirect_uri": INTEGRATION_CALLBACK,
            "scope": "aws.cognito.signin.user.admin",
        },
        allow_redirects=False,
        timeout=TIMEOUT,
    )
    assert callback(answer, INTEGRATION_CALLBACK)["error"] == "invalid_scope"


def test_token_endpoint_errors(stack: dict[str, Any]) -> None:
    url = oauth_base(stack) + "/oauth2/token"
    client = {"client_id": stack["UserPoolClientId"]}
    unsupported = token_call(url, data={"grant_type": "client_credentials", **client})
    assert_oauth_error(unsupported, 400, "unsupported_grant_type")
    assert_oauth_error(token_call(url, data=client), 400, "invalid_request")  # no grant_type
    as_json = token_call(url, json={"grant_type": "refresh_token", **client})
    assert_oauth_error(as_json, 400, "invalid_request")
    twice = token_call(url, data=[("grant_type", "refresh_token")] * 2 + list(client.items()))
    assert_oauth_error(twice, 400, "invalid_request")
    assert requests.get(url, timeout=TIMEOUT).status_code == 405
    too_large = token_call(url, data={"grant_type": "refresh_token", "x": "y" * 70_000})
    assert_oauth_error(too_large, 413, "invalid_request")


# ----------------------------------------------------------------------------- junk


JUNK_FIELDS = st.dictionaries(
    st.sampled_from(
        [
            "grant_type",
            "code",
            "refresh_token",
            "redirect_uri",
            "client_id",
            "client_secret",
            "code_verifier",
            "scope",
            "x",
        ]
    ),
    st.text(max_size=40),
    max_size=6,
)


@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    path=st.sampled_from(["/oauth2/token", "/v1/access_token", "/v1/refresh_token"]),
    fields=JUNK_FIELDS,
    as_json=st.booleans(),
)
def test_junk_token_requests_are_oauth2_errors(
    stack: dict[str, Any], path: str, fields: dict[str, str], as_json: bool
) -> None:
    base = oauth_base(stack) if path.startswith("/oauth2") else stack["ApiUrl"]
    body = {"json": fields} if as_json else {"data": fields}
    response = token_call(base + path, **body)
    assert response.status_code in (400, 401), response.text
    assert set(response.json()) <= {"error", "error_description"}
    assert isinstance(response.json()["error"], str)


@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    query=st.dictionaries(
        st.sampled_from(
            [
                "response_type",
                "client_id",
                "redirect_uri",
                "scope",
                "state",
                "code_challenge",
                "code_challenge_method",
                "nonce",
            ]
        ),
        st.text(max_size=40),
        max_size=8,
    )
)
def test_junk_authorize_requests_are_refused(stack: dict[str, Any], query: dict[str, str]) -> None:
    response = requests.get(
        oauth_base(stack) + "/oauth2/authorize",
        params=query,
        allow_redirects=False,
        timeout=TIMEOUT,
    )
    # Without a real client_id no request is good: an error page, never a sign-in form.
    assert response.status_code == 400, response.text
    assert "<form" not in response.text


def test_junk_sign_in_posts_are_refused(stack: dict[str, Any]) -> None:
    url = oauth_base(stack) + "/oauth2/authorize"
    for data in ({}, {"login": "forged"}, {"login": "", "username": "a", "password": "b"}):
        answer = requests.post(url, data=data, allow_redirects=False, timeout=TIMEOUT)
        assert answer.status_code == 400 and "Location" not in answer.headers

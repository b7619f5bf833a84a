"""The WSGI app of `/oauth2/authorize` and `/oauth2/token`: authlib's `AuthorizationServer` on
werkzeug, as authlib's Flask integration puts it on Flask.

authlib runs the protocol: the authorize request's checks and its error redirects, client
authentication, the code and refresh grants, PKCE, RFC 6749's JSON errors. This module adapts
werkzeug's requests to authlib's (`create_oauth2_request`) and authlib's answers to werkzeug's
(`handle_response`), and adds what authlib leaves to the application: the sign-in page between
the authorize request and its code, the token endpoint's CORS, and the checks of a token request
authlib does not make (a form body, each parameter once, a `grant_type`, one client
authentication).

Every URL it writes comes from the configuration - the client's registered callback URLs and
the front's URL (`front_url`, set by `UserPoolDomain.localize`) - never from the request's
`Host` header.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Iterable
from typing import Any

from authlib.oauth2.rfc6749 import AuthorizationServer as OAuth2Server
from authlib.oauth2.rfc6749 import (
    InvalidClientError,
    InvalidGrantError,
    InvalidRequestError,
    OAuth2Error,
    OAuth2Payload,
    OAuth2Request,
    UnsupportedResponseTypeError,
)
from authlib.oauth2.rfc6749.util import extract_basic_authorization
from werkzeug.datastructures import Headers, MultiDict
from werkzeug.exceptions import RequestEntityTooLarge
from werkzeug.wrappers import Request, Response

from local.oauth.grants import (
    CognitoCodeGrant,
    CognitoRefreshTokenGrant,
    S256Challenge,
    authenticate_public_client,
)
from local.oauth.models import Authorization, Client, RefreshGrant, SignedIn, SignInRequest
from local.oauth.pages import error_page, sign_in_page
from local.oauth.pool import UserPool
from local.oauth.store import Clock, GrantStore
from local.oauth.tokens import CognitoTokens, TokenSigner
from local.routes import Cors
from local.servers import HOST

log = logging.getLogger("stint.local")

PATH_PREFIX = "/oauth2/"
AUTHORIZE_PATH = "/oauth2/authorize"
TOKEN_PATH = "/oauth2/token"
CODE_TTL_S = 300.0  # Cognito's authorization codes live 5 minutes
SIGN_IN_TTL_S = 900.0  # a sign-in page stays good this long
MAX_BODY_BYTES = 64 * 1024
FORM = "application/x-www-form-urlencoded"
# What may not repeat in a token request (RFC 6749 3.2: no parameter more than once).
TOKEN_PARAMETERS = (
    "grant_type",
    "code",
    "redirect_uri",
    "code_verifier",
    "refresh_token",
    "scope",
    "client_id",
    "client_secret",
)

StartResponse = Any


class _Request(Request):
    max_content_length = MAX_BODY_BYTES


class WerkzeugPayload(OAuth2Payload):
    """authlib's view of a request's OAuth2 parameters."""

    def __init__(self, parameters: MultiDict[str, str]) -> None:
        self._parameters = parameters

    @property
    def data(self) -> MultiDict[str, str]:
        return self._parameters  # .get: the first value (repeats are refused before)

    @property
    def datalist(self) -> dict[str, list[str]]:
        return {name: self._parameters.getlist(name) for name in self._parameters}


class WerkzeugOAuth2Request(OAuth2Request):
    """authlib's request: the query's parameters for the authorization endpoint (GET), the
    form's for the token endpoint (POST)."""

    def __init__(
        self,
        method: str,
        uri: str,
        headers: Headers | dict[str, str],
        args: MultiDict[str, str],
        form: MultiDict[str, str],
    ) -> None:
        super().__init__(method, uri, headers=headers)
        self._args = args
        self._form = form
        self.payload = WerkzeugPayload(args if method == "GET" else form)

    @property
    def args(self) -> MultiDict[str, str]:
        return self._args

    @property
    def form(self) -> MultiDict[str, str]:
        return self._form


class AuthorizationServer(OAuth2Server):
    """The user pool domain's OAuth2 endpoints for one pool of the emulator."""

    def __init__(
        self,
        idp: Any,
        pool_id: str,
        signer: TokenSigner,
        clock: Clock = time.time,
        code_ttl: float = CODE_TTL_S,
        cors: Cors | None = None,
        front_url: str | None = None,
    ) -> None:
        super().__init__()
        self.pool = UserPool(idp, pool_id)
        self.store = GrantStore(clock)
        self.clock = clock
        self.code_ttl = code_ttl
        self.cors = cors  # the API's: who may call the token endpoint from a page
        self.front_url = front_url  # where the front serves these endpoints
        self.register_token_generator("default", CognitoTokens(signer, self.pool, clock))
        self.register_client_auth_method("none", authenticate_public_client)
        self.register_grant(CognitoCodeGrant, [S256Challenge(required=True)])
        self.register_grant(CognitoRefreshTokenGrant)

    def url(self, path: str) -> str:
        """The front's URL of `path`; the path alone for a server not behind the front."""
        return (self.front_url or "") + path

    # -- what authlib asks of a framework and an application

    def query_client(self, client_id: str) -> Client | None:
        return self.pool.client(client_id)

    def save_token(self, token: dict[str, Any], request: OAuth2Request) -> None:
        """Keep the refresh token the code grant issues (access and ID tokens are JWTs, and a
        refresh issues no new refresh token)."""
        refresh_token = token.get("refresh_token")
        if refresh_token is None:
            return
        code = request.authorization_code
        expires_at = self.clock() + request.client.validity["RefreshToken"]
        grant = RefreshGrant(code.authorization, expires_at)
        self.store.add_refresh_token(refresh_token, grant, code)

    def signed_in(self, authorization: Authorization) -> SignedIn:
        """The user behind a code or a refresh token, as the token generator takes them."""
        user = self.pool.user(authorization.username)
        if user is None or not user.enabled:
            raise InvalidGrantError("The user no longer exists or is disabled")
        return SignedIn(user, authorization)

    def create_oauth2_request(self, request: Request | OAuth2Request) -> OAuth2Request:
        if isinstance(request, OAuth2Request):
            return request
        return WerkzeugOAuth2Request(
            request.method,
            self._request_uri(request.path),
            request.headers,
            request.args,
            request.form,
        )

    def _request_uri(self, path: str) -> str:
        """The URI of an authlib request, from the configuration, not from the `Host` header
        (authlib only checks that it is https or loopback)."""
        return (self.front_url or f"http://{HOST}") + path

    def handle_response(
        self, status: int, body: Any, headers: Iterable[tuple[str, str]]
    ) -> Response:
        content = json.dumps(body) if isinstance(body, dict) else body
        response = Response(content, status, headers=list(headers))
        response.headers.setdefault("Cache-Control", "no-store")  # codes and tokens: never cached
        return response

    def handle_error_response(self, request: OAuth2Request, error: OAuth2Error) -> Response:
        if isinstance(error, InvalidClientError):
            # Every failed client authentication is a 401 here (RFC 6749 5.2 requires it of a
            # Basic one only): authlib answers 400 to an unknown client_id in the form.
            error.status_code = 401
        return super().handle_error_response(request, error)

    def send_signal(self, name: str, *args: Any, **kwargs: Any) -> None:
        """authlib's signals (`after_authenticate_client`, ...): nothing listens here."""

    def get_authorization_grant(self, request: OAuth2Request) -> Any:
        """authlib's, but a response_type other than `code` is refused after the client and
        its redirect_uri are checked (an error page until they are), and without its value in
        the description (authlib refuses to build one with a quote or a non-ASCII character)."""
        if request.payload.response_type == "code":
            return super().get_authorization_grant(request)
        client = self.query_client(request.payload.client_id or "")
        if client is None:
            raise InvalidClientError(description="No app client has this client_id.")
        redirect_uri = CognitoCodeGrant.validate_authorization_redirect_uri(request, client)
        raise UnsupportedResponseTypeError(
            request.payload.response_type, "response_type must be code", redirect_uri=redirect_uri
        )

    # -- WSGI

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        started = time.perf_counter()
        request = _Request(environ)
        try:
            self.store.forget_expired()
            response = self._route(request)
        except RequestEntityTooLarge:
            log.info("%s %s: the body is over 64 KiB", request.method, request.path)
            too_large = InvalidRequestError("The body is over 64 KiB", status_code=413)
            response = self.handle_response(*too_large())
        except Exception:
            log.exception("%s %s: the local OAuth2 endpoint failed", request.method, request.path)
            response = Response("Internal error of the local OAuth2 endpoint", 500)
        elapsed_ms = (time.perf_counter() - started) * 1000
        log.info("%s %s %d %.1fms", request.method, request.path, response.status_code, elapsed_ms)
        return response(environ, start_response)

    def _route(self, request: Request) -> Response:
        if request.path == AUTHORIZE_PATH:
            if request.method == "GET":
                return self._authorize(request)
            if request.method == "POST":
                return self._sign_in(request.form)
            return _not_allowed("GET, POST")
        if request.path == TOKEN_PATH:
            return self._with_cors(self._token_endpoint(request))
        return Response("Not found", 404, mimetype="text/plain")

    # -- the token endpoint

    def _token_endpoint(self, request: Request) -> Response:
        if request.method == "OPTIONS" and self.cors is not None:
            return Response(status=204, headers=self._cors_preflight_headers())
        if request.method != "POST":
            return _not_allowed("POST")
        oauth_request = self.create_oauth2_request(request)
        malformed = _malformed_token_request(request)
        if malformed is not None:
            return self.handle_error_response(oauth_request, malformed)
        return self.create_token_response(oauth_request)

    def _cors_preflight_headers(self) -> dict[str, str]:
        assert self.cors is not None
        headers = self.cors.preflight_headers(["POST"])
        headers["Access-Control-Allow-Headers"] = "Authorization,Content-Type"
        return headers

    def _with_cors(self, response: Response) -> Response:
        if self.cors is not None:
            response.headers["Access-Control-Allow-Origin"] = self.cors.allow_origin
        return response

    # -- the authorization endpoint: the sign-in page, its form, the code

    def _authorize(self, request: Request) -> Response:
        oauth_request = self.create_oauth2_request(request)
        try:
            grant = self.get_consent_grant(oauth_request)
        except OAuth2Error as error:
            return self._authorize_error(oauth_request, error)
        parameters = oauth_request.payload.data
        sign_in = SignInRequest(
            client_id=grant.client.id,
            redirect_uri=grant.redirect_uri,
            scopes=tuple(oauth_request.scope.split()),
            state=parameters.get("state") or None,
            code_challenge=parameters.get("code_challenge") or None,
            nonce=parameters.get("nonce") or None,
            expires_at=self.clock() + SIGN_IN_TTL_S,
        )
        login = self.store.add_sign_in(sign_in)
        return sign_in_page(grant.client, sign_in, login, self.url(AUTHORIZE_PATH))

    def _sign_in(self, form: MultiDict[str, str]) -> Response:
        login = form.get("login", "")
        sign_in = self.store.sign_in(login)
        client = self.pool.client(sign_in.client_id) if sign_in else None
        if sign_in is None or client is None:
            return error_page("This sign-in page has expired. Start again from the app.")
        username = form.get("username", "").strip()
        user, problem = self.pool.check_password(client, username, form.get("password", ""))
        if user is None:
            action = self.url(AUTHORIZE_PATH)
            return sign_in_page(client, sign_in, login, action, error=problem, username=username)
        if not self.store.take_sign_in(login):  # another post of the form got here first
            return error_page("Already signed in.")
        return self._issue_code(sign_in, user)

    def _issue_code(self, sign_in: SignInRequest, user: Any) -> Response:
        """The authorize request checked again (its client may have changed since the page was
        shown), then the redirect with its code."""
        parameters = MultiDict(sign_in.authorize_parameters())
        uri = self._request_uri(AUTHORIZE_PATH)
        request = WerkzeugOAuth2Request("GET", uri, {}, parameters, MultiDict())
        try:
            grant = self.get_consent_grant(request, end_user=user)
            redirect = grant.create_authorization_response(grant.redirect_uri, user)
        except OAuth2Error as error:
            return self._authorize_error(request, error)
        scopes = " ".join(sign_in.scopes)
        log.info("%s signed in for client %s (%s)", user.username, sign_in.client_id, scopes)
        return self.handle_response(*redirect)

    def _authorize_error(self, request: OAuth2Request, error: OAuth2Error) -> Response:
        """Back to the client once its redirect_uri is checked (authlib sets `redirect_uri`
        on the error only then); before, an error page (RFC 6749 4.1.2.1)."""
        description = error.get_error_description() or error.error
        log.info("authorize: %s (%s)", error.error, description)
        if error.redirect_uri:
            return self.handle_error_response(request, error)
        return error_page(description)

    # -- the local stack's state

    def saved_state(self) -> dict[str, dict[str, Any]]:
        """What must outlive a restart of the local stack (local/persistence.py)."""
        return self.store.saved_state()

    def restore_state(self, state: dict[str, dict[str, Any]]) -> None:
        self.store.restore_state(state)


def _malformed_token_request(request: Request) -> OAuth2Error | None:
    """What authlib does not check of a token request (RFC 6749 2.3, 3.2, 4.1.3)."""
    if request.mimetype != FORM:
        return InvalidRequestError(f"Content-Type must be {FORM}")
    form = request.form
    repeated = [name for name in TOKEN_PARAMETERS if len(form.getlist(name)) > 1]
    if repeated:
        return InvalidRequestError(f"{repeated[0]} is given more than once")
    if not form.get("grant_type"):
        return InvalidRequestError("grant_type is required")
    if request.headers.get("Authorization") is not None:
        if form.get("client_secret"):
            return InvalidRequestError("Authenticate the client one way, not two")
        basic_client_id, _ = extract_basic_authorization(request.headers)
        if form.get("client_id") not in (None, "", basic_client_id):
            return InvalidClientError(description="client_id is not the authenticated one")
    return None


def _not_allowed(allow: str) -> Response:
    return Response("Method not allowed", 405, headers={"Allow": allow}, mimetype="text/plain")

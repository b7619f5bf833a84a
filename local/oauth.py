"""The user pool domain's OAuth2 endpoints, served by the local stack (contract section 12).

moto serves no user pool domain, so the local stack serves the template's one on its front
(`http://127.0.0.1:3000/oauth2/...`), over the emulated pool and its clients:

- `GET /oauth2/authorize` checks the request as Cognito does - `client_id`, `redirect_uri` one of
  the client's CallbackURLs, `response_type=code`, `scope` within the client's
  AllowedOAuthScopes (none: all of them), PKCE - and answers with a sign-in page (e-mail and
  password). Its form posts to `POST /oauth2/authorize`, which checks the password against the
  pool (AdminInitiateAuth on the emulator: the hosted UI checks it server-side, whatever the
  client's ExplicitAuthFlows) and redirects to `redirect_uri` with `code` and `state`; a wrong
  password shows the page again with an error.
- `POST /oauth2/token` (a form; client_secret_basic or client_secret_post for a client with a
  secret, `client_id` alone for a public one) redeems a code (`authorization_code`: the same
  `redirect_uri`, the PKCE `code_verifier`, one attempt, within 5 minutes) or a refresh token
  (`refresh_token`) for Cognito's token response. Errors are RFC 6749's JSON:
  `invalid_client` 401, `invalid_request`, `invalid_grant`, `unauthorized_client`,
  `unsupported_grant_type`, `invalid_scope` 400.

Errors found before `redirect_uri` is known to be the client's are an error page, never a
redirect to an unchecked URI (RFC 6749 4.1.2.1); later ones redirect with `error` and `state`.

A browser app redeems its code from its own origin, so `/oauth2/token` answers CORS as the API
does (the API's `Cors`: its allowed origin on every answer, a preflight `OPTIONS` answered 204).

Stricter than Cognito on purpose: a public client must use PKCE with S256 (RFC 9700); Cognito
takes a public client's code flow without it. Not served: the implicit and client-credentials
grants (the template allows neither), `/oauth2/userInfo`, `/logout`, a remembered sign-in.

Tokens carry Cognito's claims and are signed with the key moto signs every pool's tokens with
(it ships with moto), checked at start to be one whose public half the pool's JWKS serves, so
the local authorizer takes them as it takes moto's own. Sign-in pages, codes and refresh tokens
live in memory, as everything in the emulator does; this endpoint's refresh tokens are its own
(InitiateAuth's REFRESH_TOKEN_AUTH does not take them, nor does this endpoint take moto's).

The domain's URL (`https://<prefix>.auth.<region>.amazoncognito.com`) means the front here:
`UserPoolDomain.localize` puts the front's URL in its place in the functions' environment and
in the outputs, as AWS_ENDPOINT_URL points the SDK at the emulator.
"""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import hmac
import html
import json
import logging
import os
import re
import secrets
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, unquote, urlencode, urlsplit, urlunsplit

import jwt
from botocore.exceptions import ClientError
from moto.utilities.utils import load_resource
from werkzeug.datastructures import MultiDict
from werkzeug.exceptions import RequestEntityTooLarge
from werkzeug.wrappers import Request, Response

from local.authorizer import JwksCache, issuer_of
from local.functions import Function
from local.resources import Provisioner
from local.routes import Cors
from local.template import REGION, TemplateError

log = logging.getLogger("stint.local")

PATH_PREFIX = "/oauth2/"
CODE_TTL_S = 300.0  # Cognito's authorization codes live 5 minutes
SIGN_IN_TTL_S = 900.0  # a sign-in page stays good this long
MAX_BODY_BYTES = 64 * 1024
FORM = "application/x-www-form-urlencoded"
MOTO_PRIVATE_KEY = "cognitoidp/resources/jwks-private.json"
STANDARD_SCOPES = frozenset(
    {"openid", "email", "phone", "profile", "aws.cognito.signin.user.admin"}
)
CLIENT_ID = re.compile(r"[\w+]{1,128}")  # Cognito's ClientId pattern
PKCE_CHALLENGE = re.compile(r"[A-Za-z0-9_-]{43}")  # BASE64URL(SHA-256(verifier)), no padding
PKCE_VERIFIER = re.compile(r"[A-Za-z0-9._~-]{43,128}")  # RFC 7636 4.1
SECONDS = {"seconds": 1, "minutes": 60, "hours": 3600, "days": 86400}
# Cognito's defaults when a client sets no validity: (amount, unit).
DEFAULT_VALIDITY = {
    "AccessToken": (1, "hours"),
    "IdToken": (1, "hours"),
    "RefreshToken": (30, "days"),
}
INCORRECT = "Incorrect username or password."

Clock = Callable[[], float]
StartResponse = Callable[..., Any]


class OAuthError(Exception):
    """An OAuth2 error (RFC 6749 4.1.2.1, 5.2): its code, description and HTTP status."""

    def __init__(self, error: str, description: str, status: int = 400) -> None:
        super().__init__(description)
        self.error = error
        self.description = description
        self.status = status


class PageError(Exception):
    """An authorize request that cannot be sent back to the client: an error page."""


# ----------------------------------------------------------------------------- clients, users


@dataclass(frozen=True)
class Client:
    """An app client of the pool, as the OAuth2 endpoints see it."""

    id: str
    name: str
    secret: str | None
    callback_urls: tuple[str, ...]
    scopes: frozenset[str]
    code_flow: bool  # AllowedOAuthFlowsUserPoolClient with "code" in AllowedOAuthFlows
    validity: Mapping[str, int]  # "AccessToken" / "IdToken" / "RefreshToken" -> seconds

    @classmethod
    def from_description(cls, client: Mapping[str, Any]) -> Client:
        """From DescribeUserPoolClient's `UserPoolClient`."""
        units = client.get("TokenValidityUnits") or {}
        validity = {
            kind: int(client.get(f"{kind}Validity", amount)) * SECONDS[units.get(kind, unit)]
            for kind, (amount, unit) in DEFAULT_VALIDITY.items()
        }
        return cls(
            id=str(client["ClientId"]),
            name=str(client.get("ClientName") or client["ClientId"]),
            secret=client.get("ClientSecret"),
            callback_urls=tuple(client.get("CallbackURLs") or ()),
            scopes=frozenset(client.get("AllowedOAuthScopes") or ()),
            code_flow=bool(client.get("AllowedOAuthFlowsUserPoolClient"))
            and "code" in (client.get("AllowedOAuthFlows") or ()),
            validity=validity,
        )


@dataclass(frozen=True)
class User:
    username: str
    attributes: Mapping[str, str]
    enabled: bool
    status: str

    @property
    def sub(self) -> str:
        return self.attributes.get("sub", self.username)


# ----------------------------------------------------------------------------- grants


@dataclass(frozen=True)
class SignInRequest:
    """An authorize request that passed every check, waiting for the user's password."""

    client_id: str
    redirect_uri: str
    scopes: tuple[str, ...]
    state: str | None
    code_challenge: str | None
    nonce: str | None
    expires_at: float


@dataclass(frozen=True)
class Authorization:
    """What a signed-in user granted a client: behind a code, then behind a refresh token."""

    client_id: str
    username: str
    scopes: tuple[str, ...]
    nonce: str | None
    auth_time: int
    origin_jti: str  # Cognito: one per sign-in, in every token it leads to
    event_id: str


@dataclass
class Code:
    authorization: Authorization
    redirect_uri: str
    code_challenge: str | None
    expires_at: float
    redeemed: bool = False
    refresh_token: str | None = None  # the one it was redeemed for


@dataclass
class RefreshGrant:
    authorization: Authorization
    expires_at: float
    revoked: bool = False


# ----------------------------------------------------------------------------- signing


@dataclass(frozen=True)
class TokenSigner:
    """Signs tokens as the emulator signs the pool's: moto's key, the JWKS's key id, the issuer."""

    key: Any
    key_id: str
    issuer: str

    @classmethod
    def for_pool(cls, jwks: JwksCache, pool_id: str) -> TokenSigner:
        private = jwt.PyJWK(load_resource(MOTO_PRIVATE_KEY))
        numbers = private.key.public_key().public_numbers()
        for public in jwks.keys(pool_id):
            if public.key.public_numbers() == numbers:
                return cls(private.key, str(public.key_id), issuer_of(pool_id))
        raise TemplateError(f"{pool_id}: its JWKS does not serve moto's signing key; cannot sign")

    def sign(self, claims: Mapping[str, Any]) -> str:
        return jwt.encode(dict(claims), self.key, algorithm="RS256", headers={"kid": self.key_id})


# ----------------------------------------------------------------------------- the endpoints


class _Request(Request):
    max_content_length = MAX_BODY_BYTES


class AuthorizationServer:
    """The WSGI app of `/oauth2/authorize` and `/oauth2/token` for one user pool."""

    def __init__(
        self,
        idp: Any,
        pool_id: str,
        signer: TokenSigner,
        clock: Clock = time.time,
        code_ttl: float = CODE_TTL_S,
        cors: Cors | None = None,
    ) -> None:
        self.idp = idp
        self.pool_id = pool_id
        self.signer = signer
        self.clock = clock
        self.code_ttl = code_ttl
        self.cors = cors  # the API's: who may call the token endpoint from a page
        self._lock = threading.Lock()  # guards the three stores below
        self._sign_ins: dict[str, SignInRequest] = {}
        self._codes: dict[str, Code] = {}
        self._refresh_tokens: dict[str, RefreshGrant] = {}

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        started = time.perf_counter()
        request = _Request(environ)
        try:
            self._forget_expired()
            response = self._route(request)
        except RequestEntityTooLarge:
            response = _oauth_error(OAuthError("invalid_request", "The body is over 64 KiB", 413))
        except Exception:
            log.exception("%s %s: the local OAuth2 endpoint failed", request.method, request.path)
            response = Response("Internal error of the local OAuth2 endpoint", 500)
        elapsed_ms = (time.perf_counter() - started) * 1000
        log.info("%s %s %d %.1fms", request.method, request.path, response.status_code, elapsed_ms)
        return response(environ, start_response)

    def _route(self, request: Request) -> Response:
        if request.path == "/oauth2/authorize":
            if request.method == "GET":
                return self._authorize(request.args)
            if request.method == "POST":
                return self._sign_in(request.form)
            return _not_allowed("GET, POST")
        if request.path == "/oauth2/token":
            return self._with_cors(self._token_endpoint(request))
        return Response("Not found", 404, mimetype="text/plain")

    def _token_endpoint(self, request: Request) -> Response:
        if request.method == "OPTIONS" and self.cors is not None:
            return Response(status=204, headers=self._cors_preflight_headers())
        if request.method != "POST":
            return _not_allowed("POST")
        try:
            return _json(self._token(request))
        except OAuthError as error:
            return _oauth_error(error)

    def _cors_preflight_headers(self) -> dict[str, str]:
        assert self.cors is not None
        headers = self.cors.preflight_headers(["POST"])
        headers["Access-Control-Allow-Headers"] = "Authorization,Content-Type"
        return headers

    def _with_cors(self, response: Response) -> Response:
        if self.cors is not None:
            response.headers["Access-Control-Allow-Origin"] = self.cors.allow_origin
        return response

    # -- authorize: the sign-in page

    def _authorize(self, query: MultiDict[str, str]) -> Response:
        try:
            client, redirect_uri = self._client_and_redirect_uri(query)
        except PageError as error:
            return _page("Sign-in failed", f'<p class="error">{html.escape(str(error))}</p>', 400)
        try:
            request = self._sign_in_request(client, redirect_uri, query)
        except OAuthError as error:
            state = query.get("state") if len(query.getlist("state")) == 1 else None
            return _redirect(
                redirect_uri,
                {"error": error.error, "error_description": error.description, "state": state},
            )
        login = secrets.token_urlsafe(24)
        with self._lock:
            self._sign_ins[login] = request
        return _sign_in_page(client, request, login)

    def _client_and_redirect_uri(self, query: MultiDict[str, str]) -> tuple[Client, str]:
        """The client and its redirect URI, or a PageError: nothing can go back to the client."""
        client_ids, redirect_uris = query.getlist("client_id"), query.getlist("redirect_uri")
        if len(client_ids) != 1 or not client_ids[0]:
            raise PageError("The request needs exactly one client_id.")
        client = self.client(client_ids[0])
        if client is None:
            raise PageError("No app client has this client_id.")
        if len(redirect_uris) != 1 or redirect_uris[0] not in client.callback_urls:
            raise PageError("redirect_uri is not one of the app client's callback URLs.")
        return client, redirect_uris[0]

    def _sign_in_request(
        self, client: Client, redirect_uri: str, query: MultiDict[str, str]
    ) -> SignInRequest:
        """The checked request; an OAuthError goes back to `redirect_uri`."""
        response_type = _single(query, "response_type")
        if response_type != "code":
            raise OAuthError("unsupported_response_type", "response_type must be code")
        if not client.code_flow:
            raise OAuthError("unauthorized_client", "This client may not use the code flow")
        scopes = _requested_scopes(_single(query, "scope"), client.scopes)
        challenge = _single(query, "code_challenge")
        method = _single(query, "code_challenge_method")
        if challenge is None:
            if client.secret is None:
                raise OAuthError(
                    "invalid_request", "A public client must use PKCE (code_challenge, S256)"
                )
            if method is not None:
                raise OAuthError("invalid_request", "code_challenge_method without code_challenge")
        elif method != "S256":
            raise OAuthError("invalid_request", "code_challenge_method must be S256")
        elif not PKCE_CHALLENGE.fullmatch(challenge):
            raise OAuthError("invalid_request", "code_challenge is not a BASE64URL SHA-256 hash")
        return SignInRequest(
            client_id=client.id,
            redirect_uri=redirect_uri,
            scopes=scopes,
            state=_single(query, "state"),
            code_challenge=challenge,
            nonce=_single(query, "nonce"),
            expires_at=self.clock() + SIGN_IN_TTL_S,
        )

    # -- authorize: the sign-in form

    def _sign_in(self, form: MultiDict[str, str]) -> Response:
        login = form.get("login", "")
        with self._lock:
            request = self._sign_ins.get(login)
        client = self.client(request.client_id) if request else None
        if request is None or client is None:
            return _page(
                "Sign-in failed",
                '<p class="error">This sign-in page has expired. Start again from the app.</p>',
                400,
            )
        username = form.get("username", "").strip()
        user, problem = self._check_password(client, username, form.get("password", ""))
        if user is None:
            return _sign_in_page(client, request, login, error=problem, username=username)
        with self._lock:
            if self._sign_ins.pop(login, None) is None:  # another post of the form got here first
                return _page("Sign-in failed", '<p class="error">Already signed in.</p>', 400)
            code = secrets.token_urlsafe(32)
            now = self.clock()
            self._codes[code] = Code(
                authorization=Authorization(
                    client_id=client.id,
                    username=user.username,
                    scopes=request.scopes,
                    nonce=request.nonce,
                    auth_time=int(now),
                    origin_jti=str(uuid.uuid4()),
                    event_id=str(uuid.uuid4()),
                ),
                redirect_uri=request.redirect_uri,
                code_challenge=request.code_challenge,
                expires_at=now + self.code_ttl,
            )
        scopes = " ".join(request.scopes)
        log.info("%s signed in for client %s (%s)", user.username, client.id, scopes)
        return _redirect(request.redirect_uri, {"code": code, "state": request.state})

    def _check_password(
        self, client: Client, username: str, password: str
    ) -> tuple[User | None, str]:
        """The user, or None and what to tell them."""
        if not username or not password:
            return None, "Enter your email and your password."
        try:
            result = self.idp.admin_initiate_auth(
                UserPoolId=self.pool_id,
                ClientId=client.id,
                AuthFlow="ADMIN_USER_PASSWORD_AUTH",
                AuthParameters={"USERNAME": username, "PASSWORD": password},
            )
        except ClientError as error:
            code = error.response["Error"]["Code"]
            if code in ("NotAuthorizedException", "UserNotFoundException"):
                return None, INCORRECT
            if code == "UserNotConfirmedException":
                return None, "This account is not confirmed yet."
            raise
        if "AuthenticationResult" not in result:
            challenge = result.get("ChallengeName", "a challenge")
            return None, f"This account needs a step this page does not offer ({challenge})."
        user = self._user(username)
        if user is None or not user.enabled:
            return None, INCORRECT
        if user.status != "CONFIRMED":  # moto's admin flow signs unconfirmed users in; Cognito not
            return None, "This account is not confirmed yet."
        return user, ""

    # -- token

    def _token(self, request: Request) -> dict[str, Any]:
        if request.mimetype != FORM:
            raise OAuthError("invalid_request", f"Content-Type must be {FORM}")
        form = request.form
        client = self._authenticate(request.headers.get("Authorization"), form)
        grant_type = _required(form, "grant_type")
        if grant_type == "authorization_code":
            code = self._redeem(client, form)
            tokens = self._tokens(client, code.authorization)
            refresh_token = secrets.token_urlsafe(48)
            validity = client.validity["RefreshToken"]
            with self._lock:
                self._refresh_tokens[refresh_token] = RefreshGrant(
                    code.authorization, self.clock() + validity
                )
                code.refresh_token = refresh_token
            return {**tokens, "refresh_token": refresh_token}
        if grant_type == "refresh_token":
            return self._tokens(client, self._refreshed(client, form))
        raise OAuthError(
            "unsupported_grant_type", "grant_type must be authorization_code or refresh_token"
        )

    def _authenticate(self, header: str | None, form: MultiDict[str, str]) -> Client:
        """The client: client_secret_basic, client_secret_post, or a public client's id."""
        client_id, secret = _single(form, "client_id"), _single(form, "client_secret")
        if header is not None:
            if secret is not None:
                raise OAuthError("invalid_request", "Authenticate the client one way, not two")
            basic_id, secret = _basic_credentials(header)
            if client_id not in (None, basic_id):
                raise OAuthError("invalid_client", "client_id is not the authenticated one", 401)
            client_id = basic_id
        if not client_id:
            raise OAuthError("invalid_client", "No client authentication (client_id)", 401)
        client = self.client(client_id)
        if client is None:
            raise OAuthError("invalid_client", "Unknown client", 401)
        if client.secret is None:
            if secret is not None:
                raise OAuthError("invalid_client", "This client has no secret", 401)
        elif secret is None or not hmac.compare_digest(secret.encode(), client.secret.encode()):
            raise OAuthError("invalid_client", "Client authentication failed", 401)
        if not client.code_flow:
            raise OAuthError("unauthorized_client", "This client may not use the code flow")
        return client

    def _redeem(self, client: Client, form: MultiDict[str, str]) -> Code:
        value = _required(form, "code")
        redirect_uri = _required(form, "redirect_uri")
        verifier = _single(form, "code_verifier")
        with self._lock:
            code = self._codes.get(value)
            if (
                code is None
                or code.expires_at <= self.clock()
                or code.authorization.client_id != client.id
            ):
                raise OAuthError("invalid_grant", "The code is unknown, expired or not yours")
            if code.redeemed:  # RFC 6749 4.1.2: a code used twice revokes what it was used for
                grant = self._refresh_tokens.get(code.refresh_token or "")
                if grant is not None:
                    grant.revoked = True
                raise OAuthError("invalid_grant", "The code was used already")
            code.redeemed = True  # one attempt per code, right or wrong
        if redirect_uri != code.redirect_uri:
            raise OAuthError("invalid_grant", "redirect_uri is not the one the code was issued to")
        if code.code_challenge is None:
            if verifier is not None:
                raise OAuthError("invalid_grant", "The code was issued without a code_challenge")
        elif (
            verifier is None
            or not PKCE_VERIFIER.fullmatch(verifier)
            or not hmac.compare_digest(_s256(verifier), code.code_challenge)
        ):
            raise OAuthError("invalid_grant", "code_verifier does not match the code_challenge")
        return code

    def _refreshed(self, client: Client, form: MultiDict[str, str]) -> Authorization:
        value = _required(form, "refresh_token")
        with self._lock:
            grant = self._refresh_tokens.get(value)
        if (
            grant is None
            or grant.revoked
            or grant.expires_at <= self.clock()
            or grant.authorization.client_id != client.id
        ):
            raise OAuthError("invalid_grant", "The refresh token is unknown, revoked or expired")
        authorization = grant.authorization
        requested = _single(form, "scope")
        if requested is not None:  # RFC 6749 6: narrower scopes only
            scopes = _requested_scopes(requested, frozenset(authorization.scopes))
            authorization = dataclasses.replace(authorization, scopes=scopes)
        return authorization

    def _tokens(self, client: Client, authorization: Authorization) -> dict[str, Any]:
        """Cognito's token response (without the refresh token) for `authorization`."""
        user = self._user(authorization.username)
        if user is None or not user.enabled:
            raise OAuthError("invalid_grant", "The user no longer exists or is disabled")
        now = int(self.clock())
        groups = self._groups(user.username)
        common: dict[str, Any] = {
            "sub": user.sub,
            "iss": self.signer.issuer,
            "origin_jti": authorization.origin_jti,
            "event_id": authorization.event_id,
            "auth_time": authorization.auth_time,
            "iat": now,
            **({"cognito:groups": groups} if groups else {}),
        }
        access_token = self.signer.sign(
            {
                **common,
                "version": 2,
                "client_id": client.id,
                "token_use": "access",
                "scope": " ".join(authorization.scopes),
                "exp": now + client.validity["AccessToken"],
                "jti": str(uuid.uuid4()),
                "username": user.username,
            }
        )
        tokens = {
            "access_token": access_token,
            "expires_in": client.validity["AccessToken"],
            "token_type": "Bearer",
        }
        if "openid" in authorization.scopes:  # Cognito gives an ID token for openid only
            attributes = {
                name: value == "true" if name.endswith("_verified") else value
                for name, value in user.attributes.items()
            }
            tokens["id_token"] = self.signer.sign(
                {
                    **attributes,
                    **common,
                    "at_hash": _left_half_hash(access_token),
                    "aud": client.id,
                    "token_use": "id",
                    "cognito:username": user.username,
                    "exp": now + client.validity["IdToken"],
                    "jti": str(uuid.uuid4()),
                    **({"nonce": authorization.nonce} if authorization.nonce else {}),
                }
            )
        return tokens

    # -- the emulated pool

    def client(self, client_id: str) -> Client | None:
        """The pool's app client with this id, or None."""
        if not CLIENT_ID.fullmatch(client_id):
            return None
        try:
            description = self.idp.describe_user_pool_client(
                UserPoolId=self.pool_id, ClientId=client_id
            )["UserPoolClient"]
        except ClientError as error:
            if error.response["Error"]["Code"] == "ResourceNotFoundException":
                return None
            raise
        return Client.from_description(description)

    def _user(self, username: str) -> User | None:
        if not 0 < len(username) <= 128:
            return None
        try:
            user = self.idp.admin_get_user(UserPoolId=self.pool_id, Username=username)
        except ClientError as error:
            if error.response["Error"]["Code"] == "UserNotFoundException":
                return None
            raise
        return User(
            username=user["Username"],
            attributes={a["Name"]: a["Value"] for a in user.get("UserAttributes", [])},
            enabled=bool(user.get("Enabled", True)),
            status=str(user.get("UserStatus", "")),
        )

    def _groups(self, username: str) -> list[str]:
        groups = self.idp.admin_list_groups_for_user(UserPoolId=self.pool_id, Username=username)
        return [group["GroupName"] for group in groups.get("Groups", [])]

    def saved_state(self) -> dict[str, dict[str, Any]]:
        """What must outlive a restart of the local stack (local/persistence.py)."""
        with self._lock:
            return {
                "sign_ins": dict(self._sign_ins),
                "codes": dict(self._codes),
                "refresh_tokens": dict(self._refresh_tokens),
            }

    def restore_state(self, state: dict[str, dict[str, Any]]) -> None:
        with self._lock:
            self._sign_ins.update(state.get("sign_ins", {}))
            self._codes.update(state.get("codes", {}))
            self._refresh_tokens.update(state.get("refresh_tokens", {}))

    def _forget_expired(self) -> None:
        now = self.clock()
        with self._lock:
            for store in (self._sign_ins, self._codes, self._refresh_tokens):
                expired = [key for key, item in store.items() if item.expires_at <= now]
                for key in expired:
                    del store[key]


# ----------------------------------------------------------------------------- the stack's part


@dataclass
class UserPoolDomain:
    """The template's user pool domain: its hosted URL, and its endpoints served locally."""

    url: str  # https://<prefix>.auth.<region>.amazoncognito.com
    server: AuthorizationServer

    @property
    def mounts(self) -> dict[str, AuthorizationServer]:
        """Path prefix -> WSGI app, for the front."""
        return {PATH_PREFIX: self.server}

    @classmethod
    def from_stack(
        cls, stack: Provisioner, idp: Any, jwks: JwksCache, cors: Cors | None = None
    ) -> UserPoolDomain | None:
        """The template's domain (the first, if it has several), or None."""
        domains = [
            stack.resolve(stack.template.properties(logical_id))
            for logical_id, resource in stack.template.resources_of_type(
                "AWS::Cognito::UserPoolDomain"
            ).items()
            if stack.resolver.included(resource)
        ]
        if not domains:
            return None
        if len(domains) > 1:
            log.warning("only the first AWS::Cognito::UserPoolDomain is served locally")
        if "CustomDomainConfig" in domains[0]:
            log.warning("a custom domain is served at the front's URL locally")
        pool_id = str(domains[0]["UserPoolId"])
        check_clients(idp, pool_id)
        signer = TokenSigner.for_pool(jwks, pool_id)
        server = AuthorizationServer(idp, pool_id, signer, cors=cors)
        return cls(hosted_url(str(domains[0]["Domain"])), server)

    def localize(
        self, front_url: str, functions: list[Function], outputs: Mapping[str, Any]
    ) -> dict[str, Any]:
        """Point what names the domain's URL at `front_url`; the outputs, with client secrets.

        The functions' variables change in place (handlers read them per call). Each output
        holding the id of a client with a secret gets a `...Secret` output beside it
        (`IntegrationClientId` -> `IntegrationClientSecret`): locally only, never in AWS.
        """

        def local(value: Any) -> Any:
            if isinstance(value, str) and value.startswith(self.url):
                return front_url + value[len(self.url) :]
            return value

        for name, value in list(os.environ.items()):
            os.environ[name] = local(value)
        for function in functions:
            function.environment = {k: local(v) for k, v in function.environment.items()}
            function.own_environment = {k: local(v) for k, v in function.own_environment.items()}
        log.info("user pool domain %s: served at %s/oauth2/", self.url, front_url)
        localized = {name: local(value) for name, value in outputs.items()}
        for name, value in outputs.items():
            client = self.server.client(value) if isinstance(value, str) else None
            if client is not None and client.secret is not None:
                localized[re.sub(r"(Id)?$", "Secret", name, count=1)] = client.secret
        return localized

    def move_callback_urls(self, old_prefix: str, new_prefix: str) -> None:
        """Clients' callback URLs under `old_prefix` (the API's URL in AWS, as the reference
        page's redirect), or under an earlier run's front (a restored state: its port may have
        changed), are under `new_prefix` (the front) instead."""
        idp, pool_id = self.server.idp, self.server.pool_id

        def moved_url(url: str) -> str:
            if url.startswith(old_prefix):
                return new_prefix + url[len(old_prefix) :]
            earlier_front = _EARLIER_FRONT.match(url)
            return new_prefix + url[earlier_front.end() :] if earlier_front else url

        pages = idp.get_paginator("list_user_pool_clients").paginate(UserPoolId=pool_id)
        for summary in (client for page in pages for client in page["UserPoolClients"]):
            client = self.server.client(summary["ClientId"])
            if client is None:
                continue
            moved = [moved_url(url) for url in client.callback_urls]
            if moved == list(client.callback_urls):
                continue
            # moto merges an update into the client (Cognito would replace it whole).
            idp.update_user_pool_client(UserPoolId=pool_id, ClientId=client.id, CallbackURLs=moved)
            log.info("app client %s: callback URLs %s", client.name, ", ".join(moved))


# The origin of a local front (http on 127.0.0.1): only a localized callback URL has one.
_EARLIER_FRONT = re.compile(r"^http://127\.0\.0\.1:\d+(?=/)")


def hosted_url(prefix: str) -> str:
    """A Cognito domain prefix's URL (the managed login's and the OAuth2 endpoints')."""
    return f"https://{prefix}.auth.{REGION}.amazoncognito.com"


def check_clients(idp: Any, pool_id: str) -> None:
    """What Cognito refuses when the stack deploys: unknown scopes, callback URLs it forbids."""
    servers = idp.list_resource_servers(UserPoolId=pool_id, MaxResults=50)["ResourceServers"]
    known = STANDARD_SCOPES | {
        f"{server['Identifier']}/{scope['ScopeName']}"
        for server in servers
        for scope in server.get("Scopes", [])
    }
    pages = idp.get_paginator("list_user_pool_clients").paginate(UserPoolId=pool_id)
    for summary in (client for page in pages for client in page["UserPoolClients"]):
        client = idp.describe_user_pool_client(UserPoolId=pool_id, ClientId=summary["ClientId"])
        client = client["UserPoolClient"]
        where = f"app client {client.get('ClientName') or client['ClientId']}"
        unknown = set(client.get("AllowedOAuthScopes") or ()) - known
        if unknown:
            raise TemplateError(f"{where}: no resource server has the scopes {sorted(unknown)}")
        for url in client.get("CallbackURLs") or ():
            parts = urlsplit(url)
            web = parts.scheme in ("http", "https")
            if not parts.scheme or parts.fragment or (web and not parts.netloc):
                raise TemplateError(f"{where}: callback URL {url!r}: not absolute, or has a #")
            # 127.0.0.1: a callback URL an earlier run of the local front localized (restored).
            if parts.scheme == "http" and parts.hostname not in ("localhost", "127.0.0.1"):
                raise TemplateError(f"{where}: callback URL {url!r}: https (http for localhost)")


# ----------------------------------------------------------------------------- helpers


def _single(params: MultiDict[str, str], name: str) -> str | None:
    """A parameter given at most once (RFC 6749 3.1); an empty one counts as absent."""
    values = params.getlist(name)
    if len(values) > 1:
        raise OAuthError("invalid_request", f"{name} is given more than once")
    return values[0] if values and values[0] != "" else None


def _required(params: MultiDict[str, str], name: str) -> str:
    value = _single(params, name)
    if value is None:
        raise OAuthError("invalid_request", f"{name} is required")
    return value


def _requested_scopes(requested: str | None, allowed: frozenset[str]) -> tuple[str, ...]:
    """The requested scopes (none requested: all allowed), in a stable order."""
    scopes = set(requested.split()) if requested is not None else set(allowed)
    if not scopes or not scopes <= allowed:
        raise OAuthError("invalid_scope", f"scope must be among: {' '.join(sorted(allowed))}")
    return tuple(sorted(scopes))


def _basic_credentials(header: str) -> tuple[str, str]:
    """client_secret_basic: `Basic base64(urlencoded id ":" urlencoded secret)` (RFC 6749 2.3.1)."""
    scheme, _, value = header.strip().partition(" ")
    try:
        decoded = base64.b64decode(value.strip(), validate=True).decode()
    except ValueError:
        decoded = ""
    client_id, colon, secret = decoded.partition(":")
    if scheme.lower() != "basic" or not colon or not client_id:
        raise OAuthError("invalid_client", "Malformed Basic client authentication", 401)
    return unquote(client_id), unquote(secret)


def _s256(verifier: str) -> str:
    return base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).decode().rstrip("=")


def _left_half_hash(token: str) -> str:
    """OIDC's at_hash: the left half of the token's SHA-256, BASE64URL."""
    digest = hashlib.sha256(token.encode()).digest()
    return base64.urlsafe_b64encode(digest[: len(digest) // 2]).decode().rstrip("=")


def _redirect(uri: str, params: Mapping[str, str | None]) -> Response:
    """A 302 to `uri` with `params` added to its query (None values left out)."""
    parts = urlsplit(uri)
    query = parse_qsl(parts.query, keep_blank_values=True)
    query += [(name, value) for name, value in params.items() if value is not None]
    location = urlunsplit(parts._replace(query=urlencode(query)))
    return Response(status=302, headers={"Location": location, "Cache-Control": "no-store"})


def _json(content: Mapping[str, Any], status: int = 200) -> Response:
    return Response(
        json.dumps(content),
        status,
        headers={"Cache-Control": "no-store", "Pragma": "no-cache"},
        content_type="application/json;charset=UTF-8",
    )


def _oauth_error(error: OAuthError) -> Response:
    response = _json({"error": error.error, "error_description": error.description}, error.status)
    if error.status == 401:
        response.headers["WWW-Authenticate"] = 'Basic realm="oauth2"'
    return response


def _not_allowed(allow: str) -> Response:
    return Response("Method not allowed", 405, headers={"Allow": allow}, mimetype="text/plain")


PAGE = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
<style>
body {{ font-family: system-ui, sans-serif; max-width: 22rem; margin: 4rem auto; padding: 0 1rem; }}
label, input, button {{ display: block; width: 100%; box-sizing: border-box; }}
input {{ margin: .25rem 0 1rem; padding: .5rem; }}
button {{ padding: .6rem; }}
.error {{ color: #b00020; }}
</style>
</head>
<body>
<h1>{title}</h1>
{body}
</body>
</html>
"""

SIGN_IN_FORM = """<p>{client} asks for: {scopes}</p>
{error}<form method="post" action="/oauth2/authorize">
<input type="hidden" name="login" value="{login}">
<label for="username">Email</label>
<input id="username" name="username" type="email" autocomplete="username"
 value="{username}" required>
<label for="password">Password</label>
<input id="password" name="password" type="password" autocomplete="current-password" required>
<button type="submit">Sign in</button>
</form>
"""


def _page(title: str, body: str, status: int = 200) -> Response:
    return Response(
        PAGE.format(title=html.escape(title), body=body),
        status,
        headers={
            "Cache-Control": "no-store",
            # No script at all, and no framing (clickjacking of the password form).
            "Content-Security-Policy": (
                "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'"
            ),
            "X-Frame-Options": "DENY",
            "Referrer-Policy": "no-referrer",
        },
        content_type="text/html; charset=utf-8",
    )


def _sign_in_page(
    client: Client, request: SignInRequest, login: str, error: str = "", username: str = ""
) -> Response:
    body = SIGN_IN_FORM.format(
        client=html.escape(client.name),
        scopes=html.escape(", ".join(request.scopes)),
        error=f'<p class="error" role="alert">{html.escape(error)}</p>\n' if error else "",
        login=html.escape(login),
        username=html.escape(username),
    )
    return _page("Sign in to Stint", body)

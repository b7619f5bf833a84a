"""What the local OAuth2 server reads and keeps, as authlib's models.

An app client of the pool is authlib's `ClientMixin`; a code its `AuthorizationCodeMixin`; a
refresh token its `TokenMixin` (the parts of it the refresh grant asks). The dataclasses kept
(`SignInRequest`, `Authorization`, `Code`, `RefreshGrant`) are pickled with the local stack's
state: a field added later needs a default, so that a state saved before it still loads.
"""

from __future__ import annotations

import hmac
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from authlib.oauth2.rfc6749 import AuthorizationCodeMixin, ClientMixin, TokenMixin, scope_to_list

SECONDS = {"seconds": 1, "minutes": 60, "hours": 3600, "days": 86400}
# Cognito's defaults when a client sets no validity: (amount, unit).
DEFAULT_VALIDITY = {
    "AccessToken": (1, "hours"),
    "IdToken": (1, "hours"),
    "RefreshToken": (30, "days"),
}
CODE_GRANTS = frozenset({"authorization_code", "refresh_token"})
SECRET_METHODS = frozenset({"client_secret_basic", "client_secret_post"})


@dataclass(frozen=True)
class Client(ClientMixin):
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

    def get_client_id(self) -> str:
        return self.id

    def get_default_redirect_uri(self) -> None:
        return None  # Cognito wants redirect_uri in every authorize request

    def get_allowed_scope(self, scope: str | None) -> str | None:
        """The requested scopes (none requested: all the client's), sorted; None if one of
        them is not the client's (authlib answers invalid_scope)."""
        requested = set(scope_to_list(scope) or ()) or set(self.scopes)
        if not requested or not requested <= self.scopes:
            return None
        return " ".join(sorted(requested))

    def check_redirect_uri(self, redirect_uri: str) -> bool:
        return redirect_uri in self.callback_urls

    def check_client_secret(self, client_secret: str) -> bool:
        return self.secret is not None and hmac.compare_digest(
            client_secret.encode(), self.secret.encode()
        )

    def check_endpoint_auth_method(self, method: str, endpoint: str) -> bool:
        """A client with a secret authenticates with it (Basic or the form); one without, by
        its client_id alone ("none")."""
        return method in SECRET_METHODS if self.secret is not None else method == "none"

    def check_response_type(self, response_type: str) -> bool:
        return self.code_flow and response_type == "code"

    def check_grant_type(self, grant_type: str) -> bool:
        return self.code_flow and grant_type in CODE_GRANTS


@dataclass(frozen=True)
class User:
    username: str
    attributes: Mapping[str, str]
    enabled: bool
    status: str

    @property
    def sub(self) -> str:
        return self.attributes.get("sub", self.username)


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

    def authorize_parameters(self) -> dict[str, str]:
        """The authorize request's parameters, to check again when the password comes."""
        parameters = {
            "response_type": "code",
            "client_id": self.client_id,
            "redirect_uri": self.redirect_uri,
            "scope": " ".join(self.scopes),
            "state": self.state,
            "nonce": self.nonce,
            "code_challenge": self.code_challenge,
            "code_challenge_method": "S256" if self.code_challenge else None,
        }
        return {name: value for name, value in parameters.items() if value is not None}


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


@dataclass(frozen=True)
class SignedIn:
    """The user authlib hands the token generator: who, and the sign-in the tokens come from."""

    user: User
    authorization: Authorization


@dataclass
class Code(AuthorizationCodeMixin):
    authorization: Authorization
    redirect_uri: str
    code_challenge: str | None
    expires_at: float
    redeemed: bool = False
    refresh_token: str | None = None  # the one it was redeemed for

    @property
    def code_challenge_method(self) -> str | None:
        return "S256" if self.code_challenge else None  # the only method taken here

    def get_redirect_uri(self) -> str:
        return self.redirect_uri

    def get_scope(self) -> str:
        return " ".join(self.authorization.scopes)


@dataclass
class RefreshGrant(TokenMixin):
    authorization: Authorization
    expires_at: float
    revoked: bool = False

    def check_client(self, client: Client) -> bool:
        return self.authorization.client_id == client.id

    def get_scope(self) -> str:
        return " ".join(self.authorization.scopes)

"""authlib's grants as Cognito's user pool domain runs them, over the local server's store.

- `CognitoCodeGrant`: authlib's `AuthorizationCodeGrant`; redirect_uri required and one of the
  client's callback URLs; codes live 5 minutes, one attempt each, and a code used twice
  revokes the refresh token it was redeemed for (RFC 6749 4.1.2).
- `S256Challenge`: authlib's `CodeChallenge` (RFC 7636), S256 only, and required of a public
  client already at the authorization endpoint (RFC 9700; Cognito takes a public client's code
  flow without it). Every failed check of the verifier is `invalid_grant`, as RFC 7636 4.6 says
  of a wrong one.
- `CognitoRefreshTokenGrant`: authlib's `RefreshTokenGrant`; the same refresh token keeps
  working until it expires (Cognito issues no new one), for the scopes granted or narrower.
- `authenticate_public_client`: authlib's `none` client authentication, for a request that
  carries no credentials at all.
"""

from __future__ import annotations

import re
import uuid
from typing import Any

from authlib.oauth2.rfc6749 import (
    AuthorizationCodeGrant,
    InvalidGrantError,
    InvalidRequestError,
    OAuth2Request,
    RefreshTokenGrant,
)
from authlib.oauth2.rfc6749.authenticate_client import authenticate_none
from authlib.oauth2.rfc7636 import CodeChallenge

from local.oauth.models import Authorization, Client, Code, RefreshGrant, User

# The client authentications of the token endpoint, in the order authlib tries them.
AUTH_METHODS = ("client_secret_basic", "client_secret_post", "none")
PKCE_CHALLENGE = re.compile(r"[A-Za-z0-9_-]{43}")  # BASE64URL(SHA-256(verifier)), no padding


class CognitoCodeGrant(AuthorizationCodeGrant):
    TOKEN_ENDPOINT_AUTH_METHODS = AUTH_METHODS

    @staticmethod
    def validate_authorization_redirect_uri(request: OAuth2Request, client: Client) -> str:
        """authlib's check, without a default URI and without the URI in the description
        (authlib refuses to build a description with a quote or a non-ASCII character)."""
        redirect_uri: str | None = request.payload.redirect_uri
        if not redirect_uri or not client.check_redirect_uri(redirect_uri):
            raise InvalidRequestError("redirect_uri is not one of the app client's callback URLs.")
        return redirect_uri

    def save_authorization_code(self, code: str, request: OAuth2Request) -> None:
        user: User = request.user
        now = self.server.clock()
        authorization = Authorization(
            client_id=request.client.id,
            username=user.username,
            scopes=tuple(request.scope.split()),
            nonce=request.payload.data.get("nonce") or None,
            auth_time=int(now),
            origin_jti=str(uuid.uuid4()),
            event_id=str(uuid.uuid4()),
        )
        self.server.store.add_code(
            code,
            Code(
                authorization=authorization,
                redirect_uri=request.payload.redirect_uri,
                code_challenge=request.payload.data.get("code_challenge") or None,
                expires_at=now + self.server.code_ttl,
            ),
        )

    def query_authorization_code(self, code: str, client: Client) -> Code:
        return self.server.store.redeem(code, client.id)

    def delete_authorization_code(self, authorization_code: Code) -> None:
        """Nothing: a redeemed code stays (marked) until it expires, so that a second use of
        it finds it and revokes its refresh token."""

    def authenticate_user(self, authorization_code: Code) -> Any:
        return self.server.signed_in(authorization_code.authorization)


class CognitoRefreshTokenGrant(RefreshTokenGrant):
    TOKEN_ENDPOINT_AUTH_METHODS = AUTH_METHODS

    def authenticate_refresh_token(self, refresh_token: str) -> RefreshGrant:
        return self.server.store.refresh_grant(refresh_token)

    def authenticate_user(self, refresh_token: RefreshGrant) -> Any:
        return self.server.signed_in(refresh_token.authorization)

    def revoke_old_credential(self, refresh_token: RefreshGrant) -> None:
        """Nothing: Cognito's refresh token lives on until it expires."""


class S256Challenge(CodeChallenge):
    SUPPORTED_CODE_CHALLENGE_METHOD = ("S256",)

    def validate_code_challenge(self, grant: Any, redirect_uri: str) -> None:
        parameters = grant.request.payload.data
        challenge = parameters.get("code_challenge")
        if not challenge and grant.request.client.secret is None:
            raise InvalidRequestError("A public client must use PKCE (code_challenge, S256)")
        if challenge and parameters.get("code_challenge_method") != "S256":
            raise InvalidRequestError("code_challenge_method must be S256")
        super().validate_code_challenge(grant, redirect_uri)
        if challenge and not PKCE_CHALLENGE.fullmatch(challenge):
            raise InvalidRequestError("code_challenge is not a BASE64URL SHA-256 hash")

    def validate_code_verifier(self, grant: Any, result: Any) -> None:
        try:
            super().validate_code_verifier(grant, result)
        except InvalidRequestError as error:  # a verifier missing, malformed or not expected
            raise InvalidGrantError(error.description) from error


def authenticate_public_client(query_client: Any, request: OAuth2Request) -> Client | None:
    """authlib's `none`, unless the request has an Authorization header: a client that sends
    a secret there is not authenticated by its client_id alone (authlib's looks at the form)."""
    if request.headers.get("Authorization"):
        return None
    return authenticate_none(query_client, request)

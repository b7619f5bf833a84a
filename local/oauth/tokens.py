"""The tokens of the local OAuth2 server: Cognito's claims, signed as the emulator signs the
pool's own, so that the local authorizer takes them as it takes moto's."""

from __future__ import annotations

import base64
import hashlib
import secrets
import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import jwt
from authlib.oauth2.rfc6749 import scope_to_list
from moto.utilities.utils import load_resource

from local.authorizer import JwksCache, issuer_of
from local.oauth.models import Client, SignedIn
from local.oauth.pool import UserPool
from local.oauth.store import Clock
from local.template import TemplateError

MOTO_PRIVATE_KEY = "cognitoidp/resources/jwks-private.json"


@dataclass(frozen=True)
class TokenSigner:
    """Signs tokens as the emulator signs the pool's: moto's key, the JWKS's key id, the issuer."""

    key: Any
    key_id: str
    issuer: str

    @classmethod
    def for_pool(cls, jwks: JwksCache, pool_id: str) -> TokenSigner:
        """moto's key (it ships with moto), checked to be one the pool's JWKS serves."""
        private = jwt.PyJWK(load_resource(MOTO_PRIVATE_KEY))
        numbers = private.key.public_key().public_numbers()
        for public in jwks.keys(pool_id):
            if public.key.public_numbers() == numbers:
                return cls(private.key, str(public.key_id), issuer_of(pool_id))
        raise TemplateError(f"{pool_id}: its JWKS does not serve moto's signing key; cannot sign")

    def sign(self, claims: Mapping[str, Any]) -> str:
        return jwt.encode(dict(claims), self.key, algorithm="RS256", headers={"kid": self.key_id})


class CognitoTokens:
    """authlib's token generator (`register_token_generator`): Cognito's token response.

    An access token always; an ID token when the scopes hold `openid`; a refresh token of this
    endpoint's own (an opaque string the store keeps) when authlib asks for one.
    """

    def __init__(self, signer: TokenSigner, pool: UserPool, clock: Clock = time.time) -> None:
        self.signer = signer
        self.pool = pool
        self.clock = clock

    def __call__(
        self,
        grant_type: str,
        client: Client,
        user: SignedIn,
        scope: str | None = None,
        expires_in: int | None = None,
        include_refresh_token: bool = True,
    ) -> dict[str, Any]:
        scopes = sorted(set(scope_to_list(scope) or ()))  # as granted, whatever order was asked
        now = int(self.clock())
        authorization = user.authorization
        groups = self.pool.groups(user.user.username)
        common: dict[str, Any] = {
            "sub": user.user.sub,
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
                "scope": " ".join(scopes),
                "exp": now + client.validity["AccessToken"],
                "jti": str(uuid.uuid4()),
                "username": user.user.username,
            }
        )
        tokens: dict[str, Any] = {
            "access_token": access_token,
            "expires_in": client.validity["AccessToken"],
            "token_type": "Bearer",
        }
        if "openid" in scopes:  # Cognito gives an ID token for openid only
            tokens["id_token"] = self._id_token(client, user, common, access_token, now)
        if include_refresh_token:
            tokens["refresh_token"] = secrets.token_urlsafe(48)
        return tokens

    def _id_token(
        self,
        client: Client,
        user: SignedIn,
        common: Mapping[str, Any],
        access_token: str,
        now: int,
    ) -> str:
        attributes = {
            name: value == "true" if name.endswith("_verified") else value
            for name, value in user.user.attributes.items()
        }
        nonce = user.authorization.nonce
        return self.signer.sign(
            {
                **attributes,
                **common,
                "at_hash": _left_half_hash(access_token),
                "aud": client.id,
                "token_use": "id",
                "cognito:username": user.user.username,
                "exp": now + client.validity["IdToken"],
                "jti": str(uuid.uuid4()),
                **({"nonce": nonce} if nonce else {}),
            }
        )


def _left_half_hash(token: str) -> str:
    """OIDC's at_hash: the left half of the token's SHA-256, BASE64URL."""
    digest = hashlib.sha256(token.encode()).digest()
    return base64.urlsafe_b64encode(digest[: len(digest) // 2]).decode().rstrip("=")

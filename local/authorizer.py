"""API Gateway's Cognito user-pool authorizer, as it checks a REST API request.

The token comes from the authorizer's identity header (`Authorization`), with or without
a `Bearer ` prefix. It must be an RS256 JWT signed by a key in the pool's JWKS (fetched
from the emulator and cached, `JwksCache`), issued by one of the authorizer's pools (`iss`), not
expired, and - when the method has OAuth scopes - an access token whose `scope` holds at
least one of them. Without scopes on the method, API Gateway takes ID tokens as well.

A token that passed is remembered (up to `VERIFIED_TOKENS`) until its `exp`: its signature
and claims cannot change, and checking the RS256 signature again was most of the
authorizer's time on every request.

moto signs every pool's tokens with one key, so a token from another pool of the same
emulator is refused by the issuer check alone, as a real foreign pool's token would be.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import jwt

log = logging.getLogger("stint.local")

VERIFIED_TOKENS = 1024
_DATE_CLAIMS = ("exp", "iat")  # API Gateway writes these as dates, every other claim as is


class JwksCache:
    """Each pool's signing keys, from `{endpoint}/{pool}/.well-known/jwks.json`, by PyJWT's
    `PyJWKClient`: the key set is cached (5 minutes), and a key id it does not hold makes it
    fetch the set again once (at most once every `cooldown_s`: a flood of made-up key ids
    does not become a flood of fetches)."""

    def __init__(self, endpoint_url: str, cooldown_s: float = 30.0) -> None:
        self._endpoint_url = endpoint_url
        self._cooldown_s = cooldown_s
        self._clients: dict[str, jwt.PyJWKClient] = {}
        self._lock = threading.Lock()

    def key(self, pool_id: str, key_id: str | None) -> jwt.PyJWK | None:
        """The pool's key with this id, or None (no id, or none the pool's JWKS serves)."""
        if not key_id:
            return None
        try:
            return self._client(pool_id).get_signing_key(key_id)
        except jwt.PyJWKClientConnectionError:
            raise  # the emulator did not answer: a failure of the stack, not the token's
        except jwt.PyJWKClientError as error:
            log.info("authorizer: no key %r in the JWKS of pool %s (%s)", key_id, pool_id, error)
            return None

    def keys(self, pool_id: str) -> list[jwt.PyJWK]:
        """The pool's signing keys."""
        return self._client(pool_id).get_signing_keys()

    def _client(self, pool_id: str) -> jwt.PyJWKClient:
        with self._lock:
            if pool_id not in self._clients:
                url = f"{self._endpoint_url}/{pool_id}/.well-known/jwks.json"
                self._clients[pool_id] = jwt.PyJWKClient(
                    url, timeout=10, cooldown_duration=self._cooldown_s
                )
            return self._clients[pool_id]


@dataclass(frozen=True)
class CognitoAuthorizer:
    """One `COGNITO_USER_POOLS` authorizer of an API."""

    name: str
    pool_ids: tuple[str, ...]
    header: str
    scopes: tuple[str, ...]  # the authorizer's default scopes, for methods that name none
    jwks: JwksCache
    _verified: dict[str, dict[str, Any]] = field(default_factory=dict, compare=False, repr=False)

    def authorize(self, headers: Mapping[str, str], scopes: Sequence[str]) -> dict[str, str] | None:
        """The claims as API Gateway passes them on, or None for a 401 Unauthorized.

        `headers` maps lowercase header names to values.
        """
        token = headers.get(self.header.lower(), "").strip()
        if token[:7].lower() == "bearer ":
            token = token[7:].strip()
        if not token:
            return None
        claims = self._verified_claims(token)
        if claims is None:
            return None
        if scopes:
            granted = set(str(claims.get("scope", "")).split())
            if claims.get("token_use") != "access" or not granted & set(scopes):
                return None
        elif claims.get("token_use") not in ("access", "id"):
            return None
        return api_gateway_claims(claims)

    def _verified_claims(self, token: str) -> dict[str, Any] | None:
        known = self._verified.get(token)
        if known is not None and known["exp"] > time.time():
            return dict(known)
        claims = self._verify(token)
        if claims is not None:
            if len(self._verified) >= VERIFIED_TOKENS:
                self._verified.clear()
            self._verified[token] = claims
        return claims

    def _verify(self, token: str) -> dict[str, Any] | None:
        try:
            header = jwt.get_unverified_header(token)
            issuer = jwt.decode(token, options={"verify_signature": False}).get("iss")
        except jwt.PyJWTError as error:
            log.info("authorizer: 401, the token is not a JWT (%s)", error)
            return None
        pool_id = next((pool for pool in self.pool_ids if issuer == issuer_of(pool)), None)
        if pool_id is None:
            return None
        key = self.jwks.key(pool_id, header.get("kid"))
        if key is None:
            return None
        try:
            return dict(
                jwt.decode(
                    token,
                    key=key,
                    algorithms=["RS256"],
                    issuer=issuer_of(pool_id),
                    options={"require": ["exp", "iss", "token_use"], "verify_aud": False},
                )
            )
        except jwt.PyJWTError as error:
            log.info("authorizer: 401, the token of pool %s failed its check (%s)", pool_id, error)
            return None


def issuer_of(pool_id: str) -> str:
    """A pool's `iss`: its region is the id's prefix (`us-east-1_abc`)."""
    region = pool_id.split("_", 1)[0]
    return f"https://cognito-idp.{region}.amazonaws.com/{pool_id}"


def api_gateway_claims(claims: Mapping[str, Any]) -> dict[str, str]:
    """Claims as a REST API's `requestContext.authorizer.claims`: every value a string."""
    return {name: _claim_string(name, value) for name, value in claims.items()}


def _claim_string(name: str, value: Any) -> str:
    if name in _DATE_CLAIMS and isinstance(value, int | float):
        return time.strftime("%a %b %d %H:%M:%S UTC %Y", time.gmtime(value))  # C locale
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return ",".join(str(item) for item in value)  # e.g. cognito:groups "admin,staff"
    if isinstance(value, dict):
        return json.dumps(value)
    return str(value)

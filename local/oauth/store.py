"""Where the local OAuth2 server keeps sign-in pages, codes and refresh tokens: in memory, as
everything in the emulator, and in the local stack's saved state (`saved_state`)."""

from __future__ import annotations

import secrets
import threading
import time
from collections.abc import Callable
from typing import Any

from authlib.oauth2.rfc6749 import InvalidGrantError

from local.oauth.models import Code, RefreshGrant, SignInRequest

Clock = Callable[[], float]


class GrantStore:
    def __init__(self, clock: Clock = time.time) -> None:
        self.clock = clock
        self._lock = threading.Lock()  # guards the three stores below
        self._sign_ins: dict[str, SignInRequest] = {}  # by the sign-in page's login id
        self._codes: dict[str, Code] = {}
        self._refresh_tokens: dict[str, RefreshGrant] = {}

    # -- sign-in pages

    def add_sign_in(self, request: SignInRequest) -> str:
        """The new page's login id (its form posts it back)."""
        login = secrets.token_urlsafe(24)
        with self._lock:
            self._sign_ins[login] = request
        return login

    def sign_in(self, login: str) -> SignInRequest | None:
        with self._lock:
            return self._sign_ins.get(login)

    def take_sign_in(self, login: str) -> bool:
        """Use the page up; False if another post of its form did first."""
        with self._lock:
            return self._sign_ins.pop(login, None) is not None

    # -- codes

    def add_code(self, value: str, code: Code) -> None:
        with self._lock:
            self._codes[value] = code

    def redeem(self, value: str, client_id: str) -> Code:
        """The client's code, used up: one attempt per code, right or wrong."""
        with self._lock:
            code = self._codes.get(value)
            if (
                code is None
                or code.expires_at <= self.clock()
                or code.authorization.client_id != client_id
            ):
                raise InvalidGrantError("The code is unknown, expired or not yours")
            if code.redeemed:  # RFC 6749 4.1.2: a code used twice revokes what it was used for
                grant = self._refresh_tokens.get(code.refresh_token or "")
                if grant is not None:
                    grant.revoked = True
                raise InvalidGrantError("The code was used already")
            code.redeemed = True
            return code

    # -- refresh tokens

    def add_refresh_token(self, value: str, grant: RefreshGrant, code: Code) -> None:
        """A refresh token issued for `code`: revoked if the code is used again."""
        with self._lock:
            self._refresh_tokens[value] = grant
            code.refresh_token = value

    def refresh_grant(self, value: str) -> RefreshGrant:
        with self._lock:
            grant = self._refresh_tokens.get(value)
        if grant is None or grant.revoked or grant.expires_at <= self.clock():
            raise InvalidGrantError("The refresh token is unknown, revoked or expired")
        return grant

    # -- lifetimes and restarts

    def forget_expired(self) -> None:
        now = self.clock()
        with self._lock:
            for store in (self._sign_ins, self._codes, self._refresh_tokens):
                expired = [key for key, item in store.items() if item.expires_at <= now]
                for key in expired:
                    del store[key]

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

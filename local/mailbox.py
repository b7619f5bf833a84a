"""Verifying an email, locally: Cognito's GetUserAttributeVerificationCode and
VerifyUserAttribute, which moto lacks, with the "email" written to a mailbox file.

A user confirmed by an admin (`admin_confirm_sign_up`) has an unverified email, and Stint
matches invitations to a workspace to verified emails only (docs/DESIGN.md, "Workspaces"). In
AWS that user asks for a code (`GetUserAttributeVerificationCode` with their access token),
the pool emails it, and `VerifyUserAttribute` with the code sets `email_verified`. Locally the
same two calls work on the emulator (moto's Cognito answers them once `install()` ran), and
the email is one JSON line appended to the mailbox, `<state dir>/mailbox.jsonl`
(`{"sentAt", "to", "subject", "body", "code"}`), and logged.

As in AWS a code lives 24 hours and a new one replaces the last; a wrong code is
`CodeMismatchException`, an expired one `ExpiredCodeException`, an attribute the user has no
value for `InvalidParameterException`. The code is kept on moto's user, so a saved state keeps
it (local/persistence.py).
"""

from __future__ import annotations

import json
import logging
import secrets
import threading
import time
from pathlib import Path
from typing import Any

from moto.cognitoidp.exceptions import (
    CodeMismatchException,
    ExpiredCodeException,
    InvalidParameterException,
)
from moto.cognitoidp.models import cognitoidp_backends, find_account_region_by_value
from moto.cognitoidp.responses import CognitoIdpResponse
from moto.core.responses import ActionResult, EmptyResult

log = logging.getLogger("stint.local")

MAILBOX_FILE = "mailbox.jsonl"
CODE_LIFETIME_S = 24 * 3600
VERIFIABLE = {"email": "EMAIL", "phone_number": "SMS"}
DEFAULT_MESSAGE = "Your verification code is {####}. "
DEFAULT_SUBJECT = "Your verification code"
_CODES = "_stint_verification_codes"  # on moto's user: attribute name -> (code, expires at)
_INVALID_CODE = "Invalid code provided, please request a code again."


class Mailbox:
    """Where the local user pool's messages go: one JSON line each."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()

    def deliver(self, to: str, subject: str, body: str, code: str) -> None:
        message = {"sentAt": int(time.time()), "to": to, "subject": subject, "body": body}
        line = json.dumps({**message, "code": code}) + "\n"
        with self._lock:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with self.path.open("a", encoding="utf-8") as mailbox:
                mailbox.write(line)
        log.info("mail to %s: %r, in %s", to, body.strip(), self.path)


_mailbox: list[Mailbox] = []  # the one the emulator's pools deliver to (install)


def install(path: Path) -> Mailbox:
    """Give moto's Cognito the two calls, delivering to a mailbox at `path` (the last wins)."""
    _mailbox[:] = [Mailbox(path)]
    patched: Any = CognitoIdpResponse
    patched.get_user_attribute_verification_code = _get_user_attribute_verification_code
    patched.verify_user_attribute = _verify_user_attribute
    return _mailbox[0]


def _user_and_pool(response: Any, access_token: str) -> tuple[Any, Any]:
    """The user an access token of the emulator was issued to, and their pool (else moto's
    NotAuthorizedException, as GetUser answers)."""
    fallback = (response.current_account, response.region)
    account, region = find_account_region_by_value("access_token", access_token, fallback)
    backend = cognitoidp_backends[account][region]
    user = backend.get_user(access_token)
    return user, backend.describe_user_pool(user.user_pool_id)


def _get_user_attribute_verification_code(self: Any) -> ActionResult:
    user, pool = _user_and_pool(self, self._get_param("AccessToken"))
    name = str(self._get_param("AttributeName") or "")
    destination = user.attribute_lookup.get(name)
    if name not in VERIFIABLE or not destination:
        raise InvalidParameterException(f"The user has no {name or 'attribute'} to verify.")
    code = f"{secrets.randbelow(10**6):06d}"
    codes = user.__dict__.setdefault(_CODES, {})
    codes[name] = (code, time.time() + CODE_LIFETIME_S)
    config = pool.extended_config
    message = str(config.get("EmailVerificationMessage") or DEFAULT_MESSAGE)
    subject = str(config.get("EmailVerificationSubject") or DEFAULT_SUBJECT)
    if _mailbox:
        _mailbox[0].deliver(destination, subject, message.replace("{####}", code), code)
    details = {"Destination": _masked(destination), "DeliveryMedium": VERIFIABLE[name]}
    return ActionResult({"CodeDeliveryDetails": {**details, "AttributeName": name}})


def _verify_user_attribute(self: Any) -> EmptyResult:
    user, _ = _user_and_pool(self, self._get_param("AccessToken"))
    name = str(self._get_param("AttributeName") or "")
    codes = user.__dict__.get(_CODES, {})
    code, expires_at = codes.get(name, (None, 0.0))
    if code is None or not secrets.compare_digest(code, str(self._get_param("Code") or "")):
        raise CodeMismatchException(_INVALID_CODE)
    del codes[name]
    if expires_at < time.time():
        raise ExpiredCodeException(_INVALID_CODE)
    user.update_attributes([{"Name": f"{name}_verified", "Value": "true"}])
    return EmptyResult()


def _masked(destination: str) -> str:
    """As Cognito shows where it sent a code: `u***@e***`."""
    local, at, domain = destination.partition("@")
    return f"{local[:1]}***{at}{domain[:1]}***" if at else f"+*******{destination[-4:]}"

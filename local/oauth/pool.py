"""The emulated user pool, as the OAuth2 endpoints read it: its app clients, its users and
their groups, and the password check of the sign-in page."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from botocore.exceptions import ClientError

from local.oauth.models import Client, User

CLIENT_ID = re.compile(r"[\w+]{1,128}")  # Cognito's ClientId pattern
INCORRECT = "Incorrect username or password."
NOT_CONFIRMED = "This account is not confirmed yet."


class UserPool:
    def __init__(self, idp: Any, pool_id: str) -> None:
        self.idp = idp  # the emulator's cognito-idp client
        self.id = pool_id

    def client(self, client_id: str) -> Client | None:
        """The pool's app client with this id, or None."""
        if not CLIENT_ID.fullmatch(client_id):
            return None
        description = _unless_missing(
            "ResourceNotFoundException",
            lambda: self.idp.describe_user_pool_client(UserPoolId=self.id, ClientId=client_id),
        )
        return Client.from_description(description["UserPoolClient"]) if description else None

    def user(self, username: str) -> User | None:
        if not 0 < len(username) <= 128:
            return None
        user = _unless_missing(
            "UserNotFoundException",
            lambda: self.idp.admin_get_user(UserPoolId=self.id, Username=username),
        )
        if user is None:
            return None
        return User(
            username=user["Username"],
            attributes={a["Name"]: a["Value"] for a in user.get("UserAttributes", [])},
            enabled=bool(user.get("Enabled", True)),
            status=str(user.get("UserStatus", "")),
        )

    def groups(self, username: str) -> list[str]:
        groups = self.idp.admin_list_groups_for_user(UserPoolId=self.id, Username=username)
        return [group["GroupName"] for group in groups.get("Groups", [])]

    def check_password(
        self, client: Client, username: str, password: str
    ) -> tuple[User | None, str]:
        """The user, or None and what to tell them.

        AdminInitiateAuth on the emulator: the hosted UI checks the password server-side,
        whatever the client's ExplicitAuthFlows.
        """
        if not username or not password:
            return None, "Enter your email and your password."
        try:
            result = self.idp.admin_initiate_auth(
                UserPoolId=self.id,
                ClientId=client.id,
                AuthFlow="ADMIN_USER_PASSWORD_AUTH",
                AuthParameters={"USERNAME": username, "PASSWORD": password},
            )
        except ClientError as error:
            code = error.response["Error"]["Code"]
            if code in ("NotAuthorizedException", "UserNotFoundException"):
                return None, INCORRECT
            if code == "UserNotConfirmedException":
                return None, NOT_CONFIRMED
            raise
        if "AuthenticationResult" not in result:
            challenge = result.get("ChallengeName", "a challenge")
            return None, f"This account needs a step this page does not offer ({challenge})."
        user = self.user(username)
        if user is None or not user.enabled:
            return None, INCORRECT
        if user.status != "CONFIRMED":  # moto's admin flow signs unconfirmed users in; Cognito not
            return None, NOT_CONFIRMED
        return user, ""


def _unless_missing(missing: str, call: Callable[[], dict[str, Any]]) -> dict[str, Any] | None:
    """The emulator's answer to `call`, or None when it answers `missing` (no such thing)."""
    try:
        return call()
    except ClientError as error:
        if error.response["Error"]["Code"] == missing:
            return None
        raise

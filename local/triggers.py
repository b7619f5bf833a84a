"""Cognito Lambda triggers, run around the emulator's calls as Cognito runs them.

moto confirms users but runs no triggers. Here a successful `ConfirmSignUp`,
`AdminConfirmSignUp` or `ConfirmForgotPassword` reaching the emulator runs the pool's
`PostConfirmation` function (the ARN in the pool's LambdaConfig, which SAM fills from the
function's `Type: Cognito` event) with Cognito's event, before the call returns.

If the function raises, the caller gets Cognito's `UserLambdaValidationException` (400);
the user stays confirmed, as in Cognito.
"""

from __future__ import annotations

import logging
from typing import Any

from botocore.exceptions import ClientError

from local.emulator import Emulator, Hook, HookError
from local.functions import Runtime

log = logging.getLogger("stint.local")

_TARGET = "AWSCognitoIdentityProviderService."
# Cognito API call -> the post-confirmation trigger source it raises.
POST_CONFIRMATION_SOURCES = {
    "ConfirmSignUp": "PostConfirmation_ConfirmSignUp",
    "AdminConfirmSignUp": "PostConfirmation_AdminConfirmSignUp",
    "ConfirmForgotPassword": "PostConfirmation_ConfirmForgotPassword",
}


class CognitoTriggers:
    """Installs the trigger hooks in the emulator; runs functions through the runtime."""

    def __init__(self, emulator: Emulator, runtime: Runtime) -> None:
        self.emulator = emulator
        self.runtime = runtime

    def install(self) -> None:
        for action, source in POST_CONFIRMATION_SOURCES.items():
            self.emulator.app.hooks[_TARGET + action] = self._post_confirmation(source)

    def _post_confirmation(self, trigger_source: str) -> Hook:
        def hook(params: dict[str, Any]) -> None:
            self.post_confirmation(trigger_source, params)

        return hook

    def post_confirmation(self, trigger_source: str, params: dict[str, Any]) -> None:
        """Run the pool's PostConfirmation function for the user the call confirmed."""
        client_id = params.get("ClientId")
        pool = self._pool(params.get("UserPoolId"), client_id)
        if pool is None:
            return
        function = self.runtime.by_arn(str(pool["LambdaConfig"]["PostConfirmation"]))
        if function is None:
            log.warning("%s: PostConfirmation is not a function of this stack", pool["Id"])
            return
        idp = self.emulator.client("cognito-idp")
        user = idp.admin_get_user(UserPoolId=pool["Id"], Username=params["Username"])
        attributes = {item["Name"]: item["Value"] for item in user.get("UserAttributes", [])}
        attributes["cognito:user_status"] = user["UserStatus"]
        request: dict[str, Any] = {"userAttributes": attributes}
        if params.get("ClientMetadata"):
            request["clientMetadata"] = params["ClientMetadata"]
        event = {
            "version": "1",
            "region": self.emulator.region,
            "userPoolId": pool["Id"],
            "userName": user["Username"],
            "callerContext": {
                "awsSdkVersion": "aws-sdk-unknown-unknown",
                "clientId": client_id or "CLIENT_ID_NOT_APPLICABLE",
            },
            "triggerSource": trigger_source,
            "request": request,
            "response": {},
        }
        try:
            self.runtime.invoke(function, event)
        except Exception as error:
            log.exception("%s (%s) failed", function.logical_id, trigger_source)
            raise HookError(
                "UserLambdaValidationException", f"PostConfirmation failed with error {error}."
            ) from error

    def _pool(self, pool_id: str | None, client_id: str | None) -> dict[str, Any] | None:
        """The pool the call was about, if it has a PostConfirmation trigger."""
        idp = self.emulator.client("cognito-idp")
        pools = [
            pool
            for page in idp.get_paginator("list_user_pools").paginate(MaxResults=60)
            for pool in page["UserPools"]
            if (pool.get("LambdaConfig") or {}).get("PostConfirmation")
        ]
        if pool_id is not None:
            return next((pool for pool in pools if pool["Id"] == pool_id), None)
        return next((pool for pool in pools if _has_client(idp, pool["Id"], client_id)), None)


def _has_client(idp: Any, pool_id: str, client_id: str | None) -> bool:
    try:
        idp.describe_user_pool_client(UserPoolId=pool_id, ClientId=client_id or "")
    except ClientError:
        return False
    return True

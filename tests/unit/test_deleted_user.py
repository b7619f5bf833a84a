"""A user deleted from the pool whose profile was never made (the sign-up trigger did not run):
their still valid token is `401 {"message": "Unauthorized"}` (docs/API.md, "Errors"), not a 502
from AdminGetUser's UserNotFoundException."""

from __future__ import annotations

import boto3

from .handlers import call, pool_user


def test_a_deleted_user_without_a_profile_is_401(pool: str) -> None:
    user, email = pool_user(pool)
    boto3.client("cognito-idp").admin_delete_user(UserPoolId=pool, Username=email)
    answer = call("users", "GET", "/v1/me", user, username=email)
    assert answer.status == 401, answer.body
    assert answer.body == {"message": "Unauthorized"}

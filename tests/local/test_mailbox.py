"""Verifying an email on the local user pool (local/mailbox.py): the code is "emailed" to the
mailbox file, a wrong one is refused, the right one verifies the email, once."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.local.support import User, new_user


def email_verified(idp: Any, stack: dict[str, Any], user: User) -> str | None:
    found = idp.admin_get_user(UserPoolId=stack["UserPoolId"], Username=user.email)
    values = {a["Name"]: a["Value"] for a in found["UserAttributes"]}
    return values.get("email_verified")


def codes_sent_to(state_dir: Path, email: str) -> list[str]:
    lines = (state_dir / "mailbox.jsonl").read_text(encoding="utf-8").splitlines()
    mails = [json.loads(line) for line in lines]
    for mail in mails:
        assert mail["code"] in mail["body"]  # the code as the email's text says it
    return [mail["code"] for mail in mails if mail["to"] == email]


def test_a_user_confirmed_by_an_admin_verifies_their_email_with_the_mailed_code(
    stack: dict[str, Any], idp: Any, state_dir: Path
) -> None:
    user = new_user(idp, stack["UserPoolId"], stack["UserPoolClientId"])
    assert email_verified(idp, stack, user) != "true"  # admin_confirm_sign_up verifies nothing

    sent = idp.get_user_attribute_verification_code(
        AccessToken=user.access_token, AttributeName="email"
    )["CodeDeliveryDetails"]
    assert sent["DeliveryMedium"] == "EMAIL" and sent["AttributeName"] == "email"
    assert sent["Destination"].startswith(user.email[0]) and user.email not in sent["Destination"]
    [code] = codes_sent_to(state_dir, user.email)

    wrong = "000000" if code != "000000" else "111111"
    with pytest.raises(ClientError) as refused:
        idp.verify_user_attribute(AccessToken=user.access_token, AttributeName="email", Code=wrong)
    assert refused.value.response["Error"]["Code"] == "CodeMismatchException"
    assert email_verified(idp, stack, user) != "true"

    # A new code replaces the last one.
    idp.get_user_attribute_verification_code(AccessToken=user.access_token, AttributeName="email")
    first, second = codes_sent_to(state_dir, user.email)
    if first != second:
        with pytest.raises(ClientError) as replaced:
            idp.verify_user_attribute(
                AccessToken=user.access_token, AttributeName="email", Code=first
            )
        assert replaced.value.response["Error"]["Code"] == "CodeMismatchException"
    idp.verify_user_attribute(AccessToken=user.access_token, AttributeName="email", Code=second)
    assert email_verified(idp, stack, user) == "true"
    with pytest.raises(ClientError) as again:  # a code works once
        idp.verify_user_attribute(AccessToken=user.access_token, AttributeName="email", Code=second)
    assert again.value.response["Error"]["Code"] == "CodeMismatchException"


def test_a_code_needs_a_valid_access_token_and_an_attribute_the_user_has(
    stack: dict[str, Any], idp: Any, user: User
) -> None:
    with pytest.raises(ClientError) as unknown:
        idp.get_user_attribute_verification_code(AccessToken="not-a-token", AttributeName="email")
    assert unknown.value.response["Error"]["Code"] == "NotAuthorizedException"
    with pytest.raises(ClientError) as missing:
        idp.get_user_attribute_verification_code(
            AccessToken=user.access_token, AttributeName="phone_number"
        )
    assert missing.value.response["Error"]["Code"] == "InvalidParameterException"

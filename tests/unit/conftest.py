"""Unit tests run against moto in-process, with the table built from template.yaml itself."""

from __future__ import annotations

import functools
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto import mock_aws

from local import patches
from local.resources import Provisioner
from local.template import Template, load_template
from stint import aws, config
from stint.models import MemberBody
from stint.services import invitations
from stint.services.common import Caller
from tests import streams

TEMPLATE = Path(__file__).resolve().parents[2] / "template.yaml"


@functools.cache
def template() -> Template:
    """template.yaml, parsed once per test process (nothing changes it)."""
    return load_template(TEMPLATE)


@functools.cache
def sdk_client(service: str) -> Any:
    """A boto3 client kept for the process (made in a test's mock, it is served by every later
    test's: moto answers any client from its handler in botocore's)."""
    return boto3.client(service)  # type: ignore[call-overload]


@pytest.fixture
def table(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    # A table alone: no endpoint, and no user pool (`pool` names one) left by a test before.
    for name in ("AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_DYNAMODB", "USER_POOL_ID"):
        monkeypatch.delenv(name, raising=False)
    patches.apply()  # moto copies whole tables per transaction action without it
    # boto3's default session kept from test to test (moto would drop it): a new one reads
    # the SDK's data files again, a tenth of a second per test.
    with mock_aws(config={"core": {"reset_boto3_session": False}}):
        provisioner = Provisioner(template(), sdk_client)
        table_name = str(provisioner.ref("StintTable"))
        monkeypatch.setenv("TABLE_NAME", table_name)
        config.settings.cache_clear()
        aws.reset()
        with streams.checked() as broken:  # every transaction keeps the streams' rule
            yield table_name
        config.settings.cache_clear()
        aws.reset()
        assert not broken, broken


@pytest.fixture
def pool(table: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """The user pool as template.yaml declares it, in moto, named by USER_POOL_ID."""
    provisioner = Provisioner(template(), sdk_client)
    pool_id = str(provisioner.ref("UserPool"))
    monkeypatch.setenv("USER_POOL_ID", pool_id)
    config.settings.cache_clear()
    yield pool_id
    config.settings.cache_clear()


def pool_user(pool_id: str, n: int) -> tuple[Caller, str]:
    """A user of the pool with the verified email `member<n>@example.com`."""
    email = f"member{n}@example.com"
    attributes = [{"Name": "email", "Value": email}, {"Name": "email_verified", "Value": "true"}]
    created = sdk_client("cognito-idp").admin_create_user(
        UserPoolId=pool_id, Username=email, UserAttributes=attributes, MessageAction="SUPPRESS"
    )["User"]
    sub = next(a["Value"] for a in created["Attributes"] if a["Name"] == "sub")
    return Caller(user_id=sub, username=created["Username"]), email


def join(admin: Caller, workspace_id: str, member: Caller, email: str) -> None:
    """The admin invites the member's email; the member accepts."""
    invitation = invitations.invite(admin, workspace_id, MemberBody(email=email)).entity
    invitations.accept_invitation(member, invitation["id"])

"""`CognitoEndpointUrl` (the emulator's endpoint, every service) is the same URL at every
start on one port (local/control.py): a client made before a restart works after it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import boto3
import pytest

from local.testing import free_port, start_local_stack, stop
from tests.local.support import FIXTURE_TEMPLATE


@pytest.fixture(autouse=True)
def _local_stack_only(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("STINT_OUTPUTS", raising=False)  # these tests are about the local stack


def clients(outputs: dict[str, Any]) -> tuple[Any, Any]:
    endpoint, region = outputs["CognitoEndpointUrl"], outputs["Region"]
    return (
        boto3.client("dynamodb", region_name=region, endpoint_url=endpoint),
        boto3.client("cognito-idp", region_name=region, endpoint_url=endpoint),
    )


def test_a_client_kept_from_before_a_restart_still_works(tmp_path: Path) -> None:
    port = free_port()
    process, first = start_local_stack(tmp_path, template=FIXTURE_TEMPLATE, port=port)
    try:
        dynamodb, idp = clients(first)
        assert first["TableName"] in dynamodb.list_tables()["TableNames"]
        assert idp.describe_user_pool(UserPoolId=first["UserPoolId"])["UserPool"]
    finally:
        assert stop(process) == 0

    process, second = start_local_stack(tmp_path, template=FIXTURE_TEMPLATE, port=port)
    try:
        assert second["CognitoEndpointUrl"] == first["CognitoEndpointUrl"]
        assert second["ApiUrl"] == f"http://127.0.0.1:{port}"
        # The clients made for the first start, unchanged.
        assert first["TableName"] in dynamodb.list_tables()["TableNames"]
        pool = idp.describe_user_pool(UserPoolId=first["UserPoolId"])["UserPool"]
        assert pool["Id"] == first["UserPoolId"]
        users = idp.list_users(UserPoolId=first["UserPoolId"])["Users"]
        emails = {a["Value"] for u in users for a in u["Attributes"] if a["Name"] == "email"}
        assert first["DemoUsername"] in emails  # the state restored, served at the same URL
    finally:
        assert stop(process) == 0

"""The repository's own template.yaml runs: outputs, demo user, a real route, a clean stop."""

from __future__ import annotations

from pathlib import Path

import boto3
import pytest
import requests

from local.testing import start_local_stack, stop
from tests.local.support import OUTPUT_KEYS


def test_real_stack_starts_serves_and_stops(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("STINT_OUTPUTS", raising=False)
    process, outputs = start_local_stack(tmp_path)
    try:
        assert set(outputs) >= OUTPUT_KEYS
        assert outputs["DemoUsername"] == "demo@stint.local"
        idp = boto3.client(
            "cognito-idp", region_name="us-east-1", endpoint_url=outputs["CognitoEndpointUrl"]
        )
        tokens = idp.initiate_auth(
            ClientId=outputs["UserPoolClientId"],
            AuthFlow="USER_PASSWORD_AUTH",
            AuthParameters={
                "USERNAME": outputs["DemoUsername"],
                "PASSWORD": outputs["DemoPassword"],
            },
        )["AuthenticationResult"]
        me = requests.get(
            outputs["ApiUrl"] + "/v1/me",
            headers={"Authorization": f"Bearer {tokens['AccessToken']}"},
            timeout=30,
        )
        assert me.status_code == 200, me.text
        assert me.json()["email"] == "demo@stint.local"  # the trigger made the profile
        assert requests.get(outputs["ApiUrl"] + "/v1/me", timeout=30).status_code == 401
        nope = requests.get(outputs["ApiUrl"] + "/nope", timeout=30)  # the gateway response
        assert nope.status_code == 404 and nope.json()["error"]["code"] == "not_found"
    finally:
        assert stop(process) == 0
    assert not (tmp_path / "outputs.json").exists()
    log = (tmp_path / "local-stack.log").read_text()
    assert "Stint local stack listening on " + outputs["ApiUrl"] in log
    assert "GET /v1/me 200 " in log

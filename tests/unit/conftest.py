"""Unit tests run against moto in-process, with the table built from template.yaml itself."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import boto3
import pytest
from moto import mock_aws

from local import patches
from local.resources import Provisioner
from local.template import load_template
from stint import aws, config

TEMPLATE = Path(__file__).resolve().parents[2] / "template.yaml"


@pytest.fixture
def table(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    for name in ("AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_DYNAMODB"):
        monkeypatch.delenv(name, raising=False)
    patches.apply()  # moto copies whole tables per transaction action without it
    with mock_aws():
        provisioner = Provisioner(load_template(TEMPLATE), lambda service: boto3.client(service))
        table_name = str(provisioner.ref("StintTable"))
        monkeypatch.setenv("TABLE_NAME", table_name)
        config.settings.cache_clear()
        aws.reset()
        yield table_name
        config.settings.cache_clear()
        aws.reset()

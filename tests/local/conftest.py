"""A local stack of the fixture template (tests/local/fixture), started once per session."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest

from local.testing import start_local_stack, stop
from tests.local.support import FIXTURE_TEMPLATE, User, new_user


@pytest.fixture(scope="session")
def state_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The fixture stack's state directory (its outputs, log, mailbox)."""
    return tmp_path_factory.mktemp("fixture-stack")


@pytest.fixture(scope="session")
def stack(state_dir: Path) -> Iterator[dict[str, Any]]:
    with pytest.MonkeyPatch.context() as patch:
        patch.delenv("STINT_OUTPUTS", raising=False)  # these tests are about the local stack
        process, outputs = start_local_stack(state_dir, template=FIXTURE_TEMPLATE)
    yield outputs
    assert stop(process) == 0


@pytest.fixture(scope="session")
def idp(stack: dict[str, Any]) -> Any:
    return boto3.client(
        "cognito-idp", region_name=stack["Region"], endpoint_url=stack["CognitoEndpointUrl"]
    )


@pytest.fixture(scope="session")
def dynamodb(stack: dict[str, Any]) -> Any:
    # The emulator's one endpoint serves DynamoDB too.
    return boto3.client(
        "dynamodb", region_name=stack["Region"], endpoint_url=stack["CognitoEndpointUrl"]
    )


@pytest.fixture(scope="session")
def user(stack: dict[str, Any], idp: Any) -> User:
    """One signed-in user of the fixture pool, for tests that change nothing."""
    return new_user(idp, stack["UserPoolId"], stack["UserPoolClientId"])


@pytest.fixture
def forget_moto_state() -> Iterator[None]:
    """moto's state is this process's: what a test made in an in-process emulator is dropped
    after it, so that the next in-process emulator starts empty."""
    from local.persistence import _backend_dicts

    yield
    for _, _, backends in _backend_dicts().values():
        dict.clear(backends)

"""The generated client's tests run over HTTP against the run's shared local stack."""

from typing import Any

import pytest


@pytest.fixture(scope="session")
def stack(http_stack: dict[str, Any]) -> dict[str, Any]:
    return http_stack

"""GET /openapi.json: the document beside the template, served without a token (contract 13)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.local.support import FIXTURE_TEMPLATE, User, call

DOCUMENT = FIXTURE_TEMPLATE.parent / "openapi.json"


@pytest.mark.parametrize("with_token", [False, True])
def test_served_as_committed_with_or_without_a_token(
    stack: dict[str, Any], user: User, with_token: bool
) -> None:
    response = call(stack, "GET", "/openapi.json", user.access_token if with_token else None)
    assert response.status_code == 200, response.text
    assert response.headers["Content-Type"] == "application/json"
    assert response.content == DOCUMENT.read_bytes()  # the file as it is, byte for byte


@pytest.mark.parametrize("method", ["POST", "PUT", "DELETE"])
def test_only_get(stack: dict[str, Any], method: str) -> None:
    response = call(stack, method, "/openapi.json")
    assert response.status_code == 403
    assert response.json() == {"message": "Missing Authentication Token"}

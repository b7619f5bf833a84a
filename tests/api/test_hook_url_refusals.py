"""docs/API.md, "Webhooks": a hook URL that no delivery could ever reach is refused with a 400
naming the field, when subscribing and when moving a subscription. In this process: a refusal
needs no delivery (tests/api/test_webhooks.py, over HTTP, delivers)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.api.conftest import Api, assert_error


def assert_refused(response: Any, url: str, field: str) -> None:
    """A 400 naming the field; U+0000 is refused before, in any string of a body
    (docs/API.md, "Errors": `invalid_json`)."""
    if "\u0000" in url:
        assert_error(response, 400, "invalid_json")
        return
    error = assert_error(response, 400, "validation_error")
    assert error["message"].startswith(f"{field}: "), error


ALLOWED = "https://93.184.216.34/hook"
CONTROLS = [chr(c) for c in (*range(0x20), 0x7F)]
REFUSED = [
    *(c + ALLOWED for c in CONTROLS),  # a leading one: urlsplit drops it
    *(ALLOWED + c for c in CONTROLS),
    "https://93.184.216.34/ho" + "\u0000" + "ok",
    " " + ALLOWED,
    ALLOWED + " ",
    "https://93.184.216.34/a b",
    "https://93.184.216.34:0/hook",
    "https://192.88.99.1/hook",
    "https://[2620:4f:8000::1]/hook",
]


@pytest.mark.parametrize("url", REFUSED, ids=repr)
def test_an_undeliverable_hook_url_is_refused(api: Api, url: str) -> None:
    response = api.post("/v1/webhooks", json={"hookUrl": url, "triggerType": "task"})
    assert_refused(response, url, "hookUrl")
    assert api.get("/v1/webhooks").json() == {"webhooks": []}


@pytest.mark.parametrize("url", [" " + ALLOWED, "\u0000" + ALLOWED, ALLOWED + "\t",
                                 "https://93.184.216.34:0/hook"], ids=repr)  # fmt: skip
def test_moving_a_subscription_to_an_undeliverable_url_is_refused(api: Api, url: str) -> None:
    created = api.post("/v1/webhooks", json={"hookUrl": ALLOWED, "triggerType": "task"})
    assert created.status_code == 201, created.text
    webhook_id = created.json()["webhook"]["id"]
    path = f"/v1/webhooks/{webhook_id}"
    assert_refused(api.patch(path, json={"webhook": {"hookUrl": url}}), url, "webhook.hookUrl")
    assert api.get(path).json()["webhook"]["hookUrl"] == ALLOWED

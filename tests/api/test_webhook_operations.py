"""docs/API.md, "Webhooks": operations on one webhook, over the stack: get it, change it (re-enable,
move, pause; If-Match), rotate its secret (both signatures for 24 h), send it a test ping
through the ordinary delivery path, and read its delivery log (newest first, in pages)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from stint.timeutil import parse_timestamp
from tests.api.conftest import Api, assert_error, local_only
from tests.api.test_webhooks import Delivery, Receiver, hook_url, serving_receiver, subscribe

pytestmark = pytest.mark.http  # over HTTP, against the run's shared local stack

PUBLIC = {"id", "hookUrl", "triggerType", "status", "createdAt", "workspaceId"}


@pytest.fixture(scope="module")
def receiver() -> Iterator[Receiver]:
    with serving_receiver() as receiver:
        yield receiver


def unique(prefix: str) -> str:
    return f"/{prefix}/{time.monotonic_ns()}"


def ping(api: Api, webhook_id: str, **kwargs: Any) -> str:
    response = api.post(f"/v1/webhooks/{webhook_id}/test", **kwargs)
    assert response.status_code == 202, response.text
    body = response.json()
    assert set(body) == {"delivery"} and set(body["delivery"]) == {"id"}
    return str(body["delivery"]["id"])


def deliveries_of(receiver: Receiver, path: str, event_id: str) -> list[Delivery]:
    return [d for d in receiver.at(path) if d.headers.get("webhook-id") == event_id]


def log_of(api: Api, webhook_id: str, **params: Any) -> dict[str, Any]:
    response = api.get(f"/v1/webhooks/{webhook_id}/deliveries", params=params)
    assert response.status_code == 200, response.text
    return dict(response.json())


def wait_for_log(api: Api, webhook_id: str, done: Any, seconds: float = 40) -> list[dict[str, Any]]:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        entries = log_of(api, webhook_id)["deliveries"]
        if done(entries):
            return list(entries)
        time.sleep(0.3)
    raise AssertionError(f"the delivery log of {webhook_id}: {log_of(api, webhook_id)}")


def verifies(secret: str, delivery: Delivery) -> bool:
    try:
        Webhook(secret).verify(delivery.body, delivery.headers)
    except WebhookVerificationError:
        return False
    return True


# ----------------------------------------------------------------------------- GET and PATCH


def test_get_a_webhook_without_its_secret(api: Api, receiver: Receiver) -> None:
    created = api.post(
        "/v1/webhooks", json={"hookUrl": hook_url(receiver, "/one"), "triggerType": "task"}
    )
    assert created.status_code == 201, created.text
    webhook = created.json()["webhook"]
    got = api.get(f"/v1/webhooks/{webhook['id']}")
    assert got.status_code == 200, got.text
    assert got.json() == {"webhook": {k: webhook[k] for k in PUBLIC}}
    assert got.headers["ETag"] == created.headers["ETag"]
    assert created.headers["Location"].endswith(f"/v1/webhooks/{webhook['id']}")
    for missing in ("no-such-webhook", "not%20an%20id", "x" * 65):
        assert_error(api.get(f"/v1/webhooks/{missing}"), 404, "not_found")


def test_patch_moves_pauses_and_honours_if_match(api: Api, receiver: Receiver) -> None:
    webhook = subscribe(api, receiver, "/patch", "task")
    path = f"/v1/webhooks/{webhook['id']}"
    etag = api.get(path).headers["ETag"]
    moved = api.patch(path, json={"webhook": {"hookUrl": hook_url(receiver, "/moved")}})
    assert moved.status_code == 200, moved.text
    assert moved.json()["webhook"]["hookUrl"] == hook_url(receiver, "/moved")
    assert moved.headers["ETag"] != etag
    assert api.get(path).json() == moved.json()
    assert api.get(path).headers["ETag"] == moved.headers["ETag"]

    stale = {"If-Match": etag}
    paused = {"webhook": {"status": "disabled"}}
    assert_error(api.patch(path, json=paused, headers=stale), 412, "precondition_failed")
    assert_error(api.delete(path, headers=stale), 412, "precondition_failed")
    current = {"If-Match": moved.headers["ETag"]}
    done = api.patch(path, json=paused, headers=current)
    assert done.status_code == 200 and done.json()["webhook"]["status"] == "disabled"
    listed = api.get("/v1/webhooks").json()["webhooks"]
    assert listed == [done.json()["webhook"]]
    # Sent back as it was got: id, createdAt and the same triggerType are accepted.
    again = api.patch(path, json={"webhook": api.get(path).json()["webhook"]})
    assert again.status_code == 200 and again.json() == done.json()
    assert api.delete(path, headers={"If-Match": again.headers["ETag"]}).status_code == 204
    assert_error(api.get(path), 404, "not_found")
    assert_error(api.patch(path, json=paused), 404, "not_found")


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"webhook": {"hookUrl": "https://10.0.0.1/hook"}}, "webhook.hookUrl"),
        ({"webhook": {"hookUrl": "https://169.254.169.254/latest/"}}, "webhook.hookUrl"),
        ({"webhook": {"hookUrl": "ftp://example.com/hook"}}, "webhook.hookUrl"),
        ({"webhook": {"hookUrl": "https://" + "a" * 2048}}, "webhook.hookUrl"),
        ({"webhook": {"hookUrl": None}}, "webhook.hookUrl"),
        ({"webhook": {"status": "paused"}}, "webhook.status"),
        ({"webhook": {"status": None}}, "webhook.status"),
        ({"webhook": {"triggerType": "project"}}, "webhook.triggerType"),
        ({"webhook": {"id": "another"}}, "webhook.id"),
        ({"webhook": {"secret": "whsec_mine"}}, "webhook.secret"),
        ({"webhook": {"createdAt": "2026-11-22T09:30:00"}}, "webhook.createdAt"),
        ({"hookUrl": "https://example.com/hook"}, "webhook"),
        ({"webhook": "active"}, "webhook"),
    ],
)
def test_patch_refuses_a_bad_body(
    api: Api, receiver: Receiver, body: dict[str, Any], field: str
) -> None:
    webhook = subscribe(api, receiver, "/refused", "task")
    path = f"/v1/webhooks/{webhook['id']}"
    before = api.get(path)
    error = assert_error(api.patch(path, json=body), 400, "validation_error")
    fields = {detail.get("field") for detail in error.get("details", [])}
    assert field in error["message"] or field in fields, error
    after = api.get(path)
    assert after.json() == before.json() and after.headers["ETag"] == before.headers["ETag"]


def test_another_users_webhook_is_a_404_on_every_route(
    api: Api, other: Api, receiver: Receiver
) -> None:
    webhook = subscribe(api, receiver, "/theirs", "task")
    path = f"/v1/webhooks/{webhook['id']}"
    before = api.get(path)
    for response in (
        other.get(path),
        other.patch(path, json={"webhook": {"status": "disabled"}}),
        other.delete(path),
        other.post(f"{path}/rotate-secret"),
        other.post(f"{path}/test"),
        other.get(f"{path}/deliveries"),
    ):
        assert_error(response, 404, "not_found")
    after = api.get(path)
    assert after.json() == before.json() and after.headers["ETag"] == before.headers["ETag"]
    assert log_of(api, webhook["id"]) == {"deliveries": []}


def test_the_delivery_log_refuses_bad_parameters(api: Api, receiver: Receiver) -> None:
    webhook = subscribe(api, receiver, "/params", "task")
    path = f"/v1/webhooks/{webhook['id']}/deliveries"
    for params in ({"limit": "0"}, {"limit": "501"}, {"limit": "x"}, {"nextToken": "%%%"}):
        assert_error(api.get(path, params=params), 400, "validation_error")
    assert_error(api.get("/v1/webhooks/nope/deliveries"), 404, "not_found")


# ----------------------------------------------------------------------------- the test ping


@local_only  # the receiver listens on 127.0.0.1
def test_a_ping_arrives_signed_and_the_log_pages_newest_first(api: Api, receiver: Receiver) -> None:
    path = unique("ping")
    webhook = subscribe(api, receiver, path, "time")
    receiver.fail_first[path] = 2  # two failed attempts (500), then a delivery
    event_id = ping(api, webhook["id"], headers={"Idempotency-Key": f"ping-{path}"})
    replay = api.post(
        f"/v1/webhooks/{webhook['id']}/test", headers={"Idempotency-Key": f"ping-{path}"}
    )
    assert replay.status_code == 202 and replay.json() == {"delivery": {"id": event_id}}
    assert replay.headers["Idempotent-Replayed"] == "true"

    receiver.wait_for(path, lambda _: len(deliveries_of(receiver, path, event_id)) >= 3)
    attempts = deliveries_of(receiver, path, event_id)
    assert all(d.verified is not None for d in attempts)  # signed by the secret
    payload = attempts[-1].verified or {}
    assert payload == {
        "id": event_id,
        "type": "webhook.ping",
        "triggerType": "time",
        "occurredAt": payload["occurredAt"],
        "data": {"webhookId": webhook["id"]},
    }

    entries = wait_for_log(api, webhook["id"], lambda e: len(e) >= 3)
    assert [(e["attempt"], e["status"], e["responseStatus"], e["error"]) for e in entries] == [
        (3, "succeeded", 204, None),
        (2, "failed", 500, "HTTP 500"),
        (1, "failed", 500, "HTTP 500"),
    ]
    assert {e["id"] for e in entries} == {event_id}
    assert {e["eventType"] for e in entries} == {"webhook.ping"}
    moments = [parse_timestamp(e["attemptedAt"]) for e in entries]
    assert moments == sorted(moments, reverse=True)
    assert all(0 <= e["durationMs"] < 10_000 for e in entries)
    time.sleep(1)  # the replayed request queued no second ping
    assert len(receiver.at(path)) == 3

    pages, token = [], None
    while True:
        response = api.get(
            f"/v1/webhooks/{webhook['id']}/deliveries",
            params={"limit": 1, **({"nextToken": token} if token else {})},
        )
        assert response.status_code == 200, response.text
        pages.append(response.json()["deliveries"])
        token = response.json().get("nextToken")
        assert ("Link" in response.headers) == bool(token)
        if not token:
            break
    assert [entry for page in pages for entry in page] == entries
    assert all(len(page) <= 1 for page in pages)


def test_a_disabled_webhook_takes_no_ping(api: Api, receiver: Receiver) -> None:
    webhook = subscribe(api, receiver, "/paused", "task")
    path = f"/v1/webhooks/{webhook['id']}"
    assert api.patch(path, json={"webhook": {"status": "disabled"}}).status_code == 200
    assert_error(api.post(f"{path}/test"), 409, "webhook_disabled")
    assert_error(api.post("/v1/webhooks/nope/test"), 404, "not_found")


# ----------------------------------------------------------------------------- rotation


@local_only  # the receiver listens on 127.0.0.1
def test_after_a_rotation_either_secret_verifies(api: Api, receiver: Receiver) -> None:
    """For 24 h after a rotation, `webhook-signature` lists a signature by each secret, so a
    receiver holding either verifies. A second rotation ends the first one's overlap. (The end
    of the overlap itself is in tests/unit/test_delivery.py, with the clock moved.)"""
    path = unique("rotated")
    webhook = subscribe(api, receiver, path, "task")
    original = webhook["secret"]
    rotated = api.post(f"/v1/webhooks/{webhook['id']}/rotate-secret")
    assert rotated.status_code == 200, rotated.text
    first = rotated.json()["webhook"]["secret"]
    assert first.startswith("whsec_") and first != original
    assert {k: v for k, v in rotated.json()["webhook"].items() if k != "secret"} == {
        k: webhook[k] for k in PUBLIC
    }
    got = api.get(f"/v1/webhooks/{webhook['id']}")
    assert "secret" not in got.json()["webhook"]
    assert got.headers["ETag"] == rotated.headers["ETag"]

    receiver.secrets[path] = first
    event_id = ping(api, webhook["id"])
    (delivery,) = receiver.wait_for(path, lambda _: bool(deliveries_of(receiver, path, event_id)))
    assert len(delivery.headers["webhook-signature"].split(" ")) == 2
    assert verifies(original, delivery) and verifies(first, delivery)

    second = api.post(f"/v1/webhooks/{webhook['id']}/rotate-secret").json()["webhook"]["secret"]
    receiver.secrets[path] = second
    event_id = ping(api, webhook["id"])
    receiver.wait_for(path, lambda _: bool(deliveries_of(receiver, path, event_id)))
    (delivery,) = deliveries_of(receiver, path, event_id)
    assert verifies(second, delivery) and verifies(first, delivery)
    assert not verifies(original, delivery)


# ----------------------------------------------------------------------------- re-enabling


@local_only  # the receiver listens on 127.0.0.1
def test_a_disabled_webhook_is_re_enabled_with_its_failure_count_cleared(
    api: Api, receiver: Receiver
) -> None:
    path = unique("reenabled")
    webhook = subscribe(api, receiver, path, "category")
    url = f"/v1/webhooks/{webhook['id']}"
    receiver.fail_first[path] = 10**6
    for n in range(5):  # 5 events dead-lettered in a row disable it
        api.create("/v1/categories", "category", title=f"c{n}")
    deadline = time.monotonic() + 60
    while api.get(url).json()["webhook"]["status"] != "disabled":
        assert time.monotonic() < deadline, "not disabled"
        time.sleep(0.5)
    disabled = api.get(url)

    enabled = api.patch(
        url, json={"webhook": {"status": "active"}}, headers={"If-Match": disabled.headers["ETag"]}
    )
    assert enabled.status_code == 200, enabled.text
    assert enabled.json()["webhook"] == {**disabled.json()["webhook"], "status": "active"}
    # One more event dead-lettered: with the count cleared it is 1 of 5, not the 6th.
    after = api.create("/v1/categories", "category", title="after")
    wait_for_log(
        api,
        webhook["id"],
        lambda entries: any(
            e["attempt"] == 5 and _entity_of(receiver, path, e["id"]) == after["id"]
            for e in entries
        ),
        seconds=60,
    )
    receiver.fail_first[path] = 0
    healed = api.create("/v1/categories", "category", title="healed")
    receiver.wait_for(path, lambda _: healed["id"] in _delivered_ids(receiver, path))
    assert api.get(url).json()["webhook"]["status"] == "active"


def _delivered_ids(receiver: Receiver, path: str) -> set[str]:
    return {d.verified["data"]["id"] for d in receiver.at(path) if d.verified}


def _entity_of(receiver: Receiver, path: str, event_id: str) -> str | None:
    """The entity id of the event `event_id` at `path`."""
    for delivery in deliveries_of(receiver, path, event_id):
        if delivery.verified is not None:
            return str(delivery.verified["data"]["id"])
    return None

"""The local front's own defences (local/control.py, local/gateway.py, local/servers.py):
nothing under `/_local` answers a page of another origin, the events' host is the front's
own whatever the client's `Host` says, and a short body is a quick `400`."""

from __future__ import annotations

import json
import socket
import time
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import boto3
import pytest
import requests
from botocore.exceptions import ClientError

from tests.local.support import call, echo


def faults(stack: dict[str, Any]) -> dict[str, Any]:
    answer = requests.get(stack["ApiUrl"] + "/_local/faults", timeout=30)
    assert answer.status_code == 200, answer.text
    return dict(answer.json()["plan"])


@pytest.fixture
def no_faults(stack: dict[str, Any]) -> Iterator[None]:
    """Whatever a test switched on is switched off again, the way the README does it."""
    yield
    off = requests.post(stack["ApiUrl"] + "/_local/faults", json={}, timeout=30)
    assert off.status_code == 200, off.text


# ----------------------------------------------------------------------------- /_local

PLAN = json.dumps({"throttle": 1.0, "seed": 3})


def cross_site_attempts(stack: dict[str, Any]) -> dict[str, dict[str, str]]:
    """What a page elsewhere can make a browser send without a CORS preflight, or with one."""
    front = urlsplit(stack["ApiUrl"])
    other_port = f"http://127.0.0.1:{(front.port or 80) + 1}"  # same site, another origin
    return {
        "a form or a text/plain fetch": {"Content-Type": "text/plain"},
        "a form, url-encoded": {"Content-Type": "application/x-www-form-urlencoded"},
        "a body with no type (a Blob)": {},
        "JSON from another origin": {"Content-Type": "application/json", "Origin": "https://evil.example"},
        "JSON from another port": {"Content-Type": "application/json", "Origin": other_port},
        "a fetch the browser calls cross-site": {
            "Content-Type": "application/json", "Sec-Fetch-Site": "cross-site"
        },
        "a same-site fetch": {"Content-Type": "application/json", "Sec-Fetch-Site": "same-site"},
        "a rebound DNS name": {
            "Content-Type": "application/json", "Host": f"evil.example:{front.port}"
        },
    }  # fmt: skip


@pytest.mark.usefixtures("no_faults")
def test_no_page_of_another_origin_can_switch_faults_on(stack: dict[str, Any]) -> None:
    for name, headers in cross_site_attempts(stack).items():
        answer = requests.post(
            stack["ApiUrl"] + "/_local/faults", data=PLAN, headers=headers, timeout=30
        )
        assert answer.status_code in (403, 415), f"{name}: {answer.status_code} {answer.text}"
        assert faults(stack)["throttle"] == 0, f"{name} switched faults on"


@pytest.mark.usefixtures("no_faults")
def test_the_stacks_own_tools_still_can(stack: dict[str, Any]) -> None:
    own = {"Content-Type": "application/json", "Origin": stack["ApiUrl"]}
    for headers in (own, {"Content-Type": "application/json", "Sec-Fetch-Site": "same-origin"}):
        answer = requests.post(
            stack["ApiUrl"] + "/_local/faults", data=PLAN, headers=headers, timeout=30
        )
        assert answer.status_code == 200, answer.text
        assert faults(stack)["throttle"] == 1.0
        requests.post(stack["ApiUrl"] + "/_local/faults", json={}, timeout=30)


def test_the_whole_prefix_is_guarded(stack: dict[str, Any]) -> None:
    """The emulator under /_local/aws (CognitoEndpointUrl) too: the same call, sent for a page
    of another origin, is refused."""
    assert stack["CognitoEndpointUrl"] == stack["ApiUrl"] + "/_local/aws"
    dynamodb = boto3.client(
        "dynamodb", region_name=stack["Region"], endpoint_url=stack["CognitoEndpointUrl"]
    )
    assert stack["TableName"] in dynamodb.list_tables()["TableNames"]

    def from_a_page(request: Any, **_: Any) -> None:
        request.headers["Origin"] = "https://evil.example"

    dynamodb.meta.events.register_first("before-sign.dynamodb.ListTables", from_a_page)
    with pytest.raises(ClientError) as refused:
        dynamodb.list_tables()
    assert refused.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403
    unknown = requests.get(stack["ApiUrl"] + "/_local/nothing", timeout=30)
    assert unknown.status_code == 404


# ----------------------------------------------------------------------------- Host


def test_the_events_host_is_the_fronts_whatever_the_client_says(
    stack: dict[str, Any], user: Any
) -> None:
    front = urlsplit(stack["ApiUrl"])
    event = echo(
        call(
            stack,
            "GET",
            "/items",
            user.access_token,
            headers={"Host": "evil.example", "X-Forwarded-Proto": "https"},
        )
    )["event"]
    assert event["headers"]["Host"] == front.netloc
    assert event["requestContext"]["domainName"] == front.netloc
    assert event["headers"]["X-Forwarded-Proto"] == "http"
    assert "evil.example" not in json.dumps(event)


# ----------------------------------------------------------------------------- short bodies


def raw_request(stack: dict[str, Any], head: str, body: bytes, *, half_close: bool) -> bytes:
    """Send `head` and `body` on a socket of its own; everything answered within 5 s."""
    front = urlsplit(stack["ApiUrl"])
    with socket.create_connection((front.hostname, front.port), timeout=5) as connection:
        connection.sendall(head.replace("\n", "\r\n").encode() + body)
        if half_close:
            connection.shutdown(socket.SHUT_WR)
        answer = b""
        try:
            while chunk := connection.recv(65536):
                answer += chunk
                if b"\r\n\r\n" in answer and answer.endswith(b"}"):
                    break
        except TimeoutError:
            pass
    return answer


@pytest.mark.parametrize("half_close", [False, True], ids=["silent", "closed"])
@pytest.mark.parametrize("path", ["/items/a/notes", "/_local/faults"])
def test_a_body_shorter_than_its_length_is_a_quick_400(
    stack: dict[str, Any], user: Any, half_close: bool, path: str
) -> None:
    host = urlsplit(stack["ApiUrl"]).netloc
    head = (
        f"POST {path} HTTP/1.1\nHost: {host}\nAuthorization: Bearer {user.access_token}\n"
        "Content-Type: application/json\nContent-Length: 100\n\n"
    )
    started = time.monotonic()
    answer = raw_request(stack, head, b'{"note"', half_close=half_close)
    elapsed = time.monotonic() - started
    status_line, _, rest = answer.partition(b"\r\n")
    assert status_line.startswith(b"HTTP/1.1 400"), answer[:300]
    assert elapsed < 1.0, f"answered after {elapsed:.2f} s"
    error = json.loads(rest.partition(b"\r\n\r\n")[2])["error"]
    assert error["code"] in ("invalid_json", "validation_error")
    assert error["message"] and error["requestId"]

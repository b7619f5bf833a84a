"""docs/API.md, "Requests and answers": CORS as a browser enforces it: a page on another origin (a
server on
127.0.0.1 at another port) calls the API with fetch() and a bearer token, reads the ETag and
Location of a 201 and the error body of a 404."""

from __future__ import annotations

import http.server
import json
import threading
from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import Page

from tests.api.conftest import sign_up
from tests.browser.conftest import screenshot

APP = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>A browser app</title>
<style>body { font: 15px system-ui, sans-serif; margin: 2rem; } pre { background: #f4f4f4;
padding: 1rem; white-space: pre-wrap; word-break: break-all; }</style></head>
<body><h1>A browser app on another origin</h1><p id="origin"></p><pre id="result">running</pre>
<script>
const params = new URLSearchParams(location.hash.slice(1));
const api = params.get("api"), auth = {Authorization: "Bearer " + params.get("token")};
document.getElementById("origin").textContent = location.origin + " calls " + api;
async function run() {
  const created = await fetch(api + "/v1/projects", {
    method: "POST",
    headers: {...auth, "Content-Type": "application/json", "Idempotency-Key": crypto.randomUUID()},
    body: JSON.stringify({project: {title: "From the browser"}}),
  });
  const location_ = created.headers.get("Location");
  const fetched = await fetch(location_, {headers: auth});
  const missing = await fetch(api + "/v1/projects/no-such-project", {headers: auth});
  return {
    created: {status: created.status, etag: created.headers.get("ETag"), location: location_,
              requestId: created.headers.get("X-Request-Id"), body: await created.json()},
    fetched: {status: fetched.status, etag: fetched.headers.get("ETag")},
    missing: {status: missing.status, body: await missing.json(),
              requestId: missing.headers.get("X-Request-Id")},
  };
}
run().then(
  (result) => { document.getElementById("result").textContent = JSON.stringify(result, null, 2); },
  (error) => { document.getElementById("result").textContent = "FAILED: " + error; },
).finally(() => document.body.dataset.done = "yes");
</script></body></html>
"""


class _AppHandler(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        body = APP.encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        pass  # quiet


@pytest.fixture
def app_origin() -> Iterator[str]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _AppHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_a_page_on_another_origin_calls_the_api(
    page: Page, stack: dict[str, Any], app_origin: str
) -> None:
    assert app_origin != stack["ApiUrl"]
    token = sign_up(stack)["AccessToken"]
    page.goto(f"{app_origin}/#api={stack['ApiUrl']}&token={token}")
    page.wait_for_selector("body[data-done=yes]")
    text = page.locator("#result").inner_text()
    screenshot(page, "cross-origin-fetch")
    assert not text.startswith("FAILED"), text  # a CORS refusal is a TypeError in fetch()
    result = json.loads(text)
    created, fetched, missing = result["created"], result["fetched"], result["missing"]
    assert created["status"] == 201
    project = created["body"]["project"]
    assert created["location"] == f"{stack['ApiUrl']}/v1/projects/{project['id']}"
    assert created["etag"] and fetched == {"status": 200, "etag": created["etag"]}
    assert created["requestId"]
    assert missing["status"] == 404
    assert missing["body"]["error"]["code"] == "not_found"
    assert missing["body"]["error"]["requestId"] == missing["requestId"]

"""local.authorizer.JwksCache against a JWKS endpoint of our own: what it fetches, and when."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from local.authorizer import JwksCache

POOL = "us-east-1_jwksunit"


class JwksEndpoint:
    """Serves `/{POOL}/.well-known/jwks.json` with the public halves of `keys`; counts fetches."""

    def __init__(self) -> None:
        self.keys: dict[str, Any] = {}  # key id -> private key
        self.fetches = 0
        endpoint = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                endpoint.fetches += 1
                body = json.dumps({"keys": [endpoint.public_jwk(kid) for kid in endpoint.keys]})
                self.send_response(200 if self.path == f"/{POOL}/.well-known/jwks.json" else 404)
                self.send_header("Content-Type", "application/json")
                self.end_headers()
                self.wfile.write(body.encode())

            def log_message(self, format: str, *args: Any) -> None:
                pass  # quiet: the test counts the fetches

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}"

    def public_jwk(self, key_id: str) -> dict[str, Any]:
        jwk: dict[str, Any] = json.loads(
            jwt.algorithms.RSAAlgorithm.to_jwk(self.keys[key_id].public_key())
        )
        return {**jwk, "kid": key_id, "alg": "RS256", "use": "sig"}

    def add_key(self, key_id: str) -> None:
        self.keys[key_id] = rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture
def endpoint() -> Iterator[JwksEndpoint]:
    served = JwksEndpoint()
    thread = threading.Thread(target=served.server.serve_forever, daemon=True)
    thread.start()
    yield served
    served.server.shutdown()
    served.server.server_close()


def test_known_key_ids_are_served_from_the_cache(endpoint: JwksEndpoint) -> None:
    endpoint.add_key("k1")
    cache = JwksCache(endpoint.url)
    assert [key.key_id for key in cache.keys(POOL)] == ["k1"]
    for _ in range(3):
        key = cache.key(POOL, "k1")
        assert key is not None and key.key_id == "k1"
    assert endpoint.fetches == 1


def test_an_unknown_key_id_fetches_the_set_again_once(endpoint: JwksEndpoint) -> None:
    endpoint.add_key("k1")
    cache = JwksCache(endpoint.url, cooldown_s=0)
    assert cache.key(POOL, "k1") is not None
    endpoint.add_key("k2")  # the pool's keys rotate
    assert cache.key(POOL, "k2") is not None  # found by fetching the set again
    assert endpoint.fetches == 2
    assert cache.key(POOL, "nowhere") is None  # one more fetch, then refused
    assert endpoint.fetches == 3
    assert cache.key(POOL, None) is None and cache.key(POOL, "") is None  # no fetch for no id
    assert endpoint.fetches == 3


def test_refetches_wait_for_the_cooldown(endpoint: JwksEndpoint) -> None:
    endpoint.add_key("k1")
    cache = JwksCache(endpoint.url)  # 30 s between fetches for unknown key ids
    assert cache.key(POOL, "k1") is not None
    for _ in range(5):
        assert cache.key(POOL, "made-up") is None
    assert endpoint.fetches == 1

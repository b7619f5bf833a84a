"""Contract section 11: where webhooks may go (SSRF protection), outside and inside local mode."""

from __future__ import annotations

import socket
import time
from typing import Any

import pytest

from stint import hook_urls
from stint.hook_urls import ForbiddenUrl, check


def resolving_to(monkeypatch: pytest.MonkeyPatch, *addresses: str) -> None:
    """Make every host name resolve to `addresses` (no DNS in tests)."""

    def getaddrinfo(host: str, port: int, *args: Any, **kwargs: Any) -> list[Any]:
        family = socket.AF_INET6 if ":" in addresses[0] else socket.AF_INET
        return [(family, socket.SOCK_STREAM, 6, "", (a, port)) for a in addresses]

    monkeypatch.setattr(hook_urls.socket, "getaddrinfo", getaddrinfo)


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("https://127.0.0.1/hook", "loopback"),
        ("https://127.1.2.3:8443/hook", "loopback"),
        ("https://[::1]/hook", "loopback"),
        ("https://10.0.0.1/hook", "private"),
        ("https://192.168.0.7/hook", "private"),
        ("https://169.254.169.254/latest/meta-data/", "link-local"),
        ("https://[fe80::1]/hook", "link-local"),
        ("https://224.0.0.251/hook", "multicast"),
        ("https://[ff02::1]/hook", "multicast"),
        ("https://240.0.0.1/hook", "reserved"),
        ("https://0.0.0.0/hook", "unspecified"),
        ("https://[::ffff:192.168.0.1]/hook", "private"),
        ("http://93.184.216.34/hook", "https"),
        ("ftp://93.184.216.34/hook", "https"),
        ("https://user:secret@93.184.216.34/hook", "credentials"),
        ("https://93.184.216.34:99999/hook", "valid URL"),
        ("https:///hook", "host"),
        ("https://" + "a" * 2048, "2048"),
    ],
)
def test_refused_outside_local_mode(url: str, reason: str) -> None:
    with pytest.raises(ForbiddenUrl, match=reason):
        check(url, local=False)


@pytest.mark.parametrize("private", ["10.1.2.3", "172.20.0.5", "127.0.0.1", "fd00::5"])
def test_a_name_resolving_to_a_private_address_is_refused(
    monkeypatch: pytest.MonkeyPatch, private: str
) -> None:
    resolving_to(monkeypatch, private)
    with pytest.raises(ForbiddenUrl, match=r"hooks\.example\.com"):
        check("https://hooks.example.com/in", local=False)


def test_every_address_of_a_name_must_be_public(monkeypatch: pytest.MonkeyPatch) -> None:
    resolving_to(monkeypatch, "93.184.216.34", "10.0.0.9")
    with pytest.raises(ForbiddenUrl, match="private"):
        check("https://hooks.example.com/in", local=False)


def test_a_public_name_is_allowed_and_pinned(monkeypatch: pytest.MonkeyPatch) -> None:
    resolving_to(monkeypatch, "93.184.216.34")
    target = check("https://hooks.example.com:8443/in?x=1", local=False)
    assert (target.host, target.port, target.address) == (
        "hooks.example.com",
        8443,
        "93.184.216.34",
    )


def test_a_name_that_does_not_resolve_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    def fails(*_: Any, **__: Any) -> Any:
        raise socket.gaierror("no such name")

    monkeypatch.setattr(hook_urls.socket, "getaddrinfo", fails)
    with pytest.raises(ForbiddenUrl, match="does not resolve"):
        check("https://nowhere.example/in", local=False)


def test_local_mode_adds_http_and_loopback_only() -> None:
    assert check("http://127.0.0.1:8080/in", local=True).address == "127.0.0.1"
    assert check("http://[::1]:8080/in", local=True).address == "::1"
    for url in ("http://10.0.0.1/in", "http://169.254.169.254/", "ftp://127.0.0.1/"):
        with pytest.raises(ForbiddenUrl):
            check(url, local=True)


def test_local_mode_comes_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("STINT_LOCAL", raising=False)
    with pytest.raises(ForbiddenUrl):
        check("http://127.0.0.1/in")
    monkeypatch.setenv("STINT_LOCAL", "1")
    assert check("http://127.0.0.1/in").port == 80


def test_a_resolver_that_does_not_answer_is_refused_in_time(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def hangs(*_: Any, **__: Any) -> Any:
        time.sleep(2)
        raise socket.gaierror("too late")

    monkeypatch.setattr(hook_urls.socket, "getaddrinfo", hangs)
    monkeypatch.setattr(hook_urls, "DNS_TIMEOUT_SECONDS", 0.1)
    # The lookup answers "does not resolve" after 2 s: this message means it was not waited for.
    with pytest.raises(ForbiddenUrl, match=r"did not resolve within 0\.1 s"):
        check("https://slow.example/in", local=False)

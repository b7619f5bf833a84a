"""local/names.py: in the local stack a `.localhost` name resolves to loopback (RFC 6761), so a
webhook test has a host name that resolves; the check of production is unchanged."""

from __future__ import annotations

import socket
from collections.abc import Iterator

import pytest

from local import names
from stint.hook_urls import ForbiddenUrl, check

HOOK_URL = "https://hooks.localhost/in"


@pytest.fixture
def installed() -> Iterator[None]:
    names.install()
    try:
        yield
    finally:
        names.uninstall()


def test_a_localhost_name_resolves_to_loopback(installed: None) -> None:
    for host in ("hooks.localhost", "A.B.LOCALHOST.", b"hooks.localhost"):
        infos = socket.getaddrinfo(host, 443, type=socket.SOCK_STREAM)
        assert {info[4][0] for info in infos} == {"127.0.0.1"}, host
    infos = socket.getaddrinfo("hooks.localhost", 443, socket.AF_INET6, socket.SOCK_STREAM)
    assert {info[4][0] for info in infos} == {"::1"}


def test_other_names_go_to_the_system_resolver(installed: None) -> None:
    assert not names.is_localhost_name("localhost.example")
    assert not names.is_localhost_name("notlocalhost")
    with pytest.raises(OSError):
        socket.getaddrinfo("hooks.invalid", 443)  # RFC 6761: never resolves


def test_the_local_stack_accepts_it_and_production_does_not(installed: None) -> None:
    assert check(HOOK_URL, local=True).address == "127.0.0.1"
    with pytest.raises(ForbiddenUrl, match="a loopback address"):
        check(HOOK_URL, local=False)


def test_uninstalled_the_system_resolver_is_back() -> None:
    system = socket.getaddrinfo
    names.install()
    names.install()  # idempotent: one wrapper, around the system's resolver
    assert getattr(socket.getaddrinfo, names._ORIGINAL) is system
    names.uninstall()
    assert socket.getaddrinfo is system

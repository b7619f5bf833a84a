"""docs/API.md, "Webhooks": where webhooks may go (SSRF protection), outside and inside local
mode."""

from __future__ import annotations

import ipaddress
import re
import socket
import threading
import time
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

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


@pytest.mark.parametrize(
    "url",
    [
        "https://user:secret@93.184.216.34/hook",
        "https://user@93.184.216.34/hook",  # a user name alone is a credential too
        "https://:secret@93.184.216.34/hook",
        "https://@93.184.216.34/hook",  # an empty user name: still the userinfo part
    ],
)
def test_any_userinfo_is_refused(url: str) -> None:
    with pytest.raises(ForbiddenUrl, match="credentials"):
        check(url, local=False)


def test_a_url_of_2048_characters_is_allowed_and_one_more_is_not() -> None:
    base = "https://93.184.216.34/"
    longest = base + "a" * (2048 - len(base))
    assert check(longest, local=False).address == "93.184.216.34"
    with pytest.raises(ForbiddenUrl, match="2048"):
        check(longest + "a", local=False)


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


def test_the_name_looked_up_is_the_urls_host(monkeypatch: pytest.MonkeyPatch) -> None:
    """A resolver that knows one name: the check asks it for the URL's host, and only an
    unknown name fails to resolve."""
    names = {"hooks.example.com": "93.184.216.34", "inside.example.com": "10.0.0.9"}

    def getaddrinfo(host: str, port: int, *args: Any, **kwargs: Any) -> list[Any]:
        if host not in names:
            raise socket.gaierror(f"no such name: {host}")
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (names[host], port))]

    monkeypatch.setattr(hook_urls.socket, "getaddrinfo", getaddrinfo)
    assert check("https://hooks.example.com/in", local=False).address == "93.184.216.34"
    with pytest.raises(ForbiddenUrl, match="private"):
        check("https://inside.example.com/in", local=False)
    with pytest.raises(ForbiddenUrl, match="does not resolve"):
        check("https://other.example.com/in", local=False)


@pytest.mark.parametrize(
    ("url", "refused"),
    [
        ("https://93.184.216.34/hook", None),
        ("https://[2606:4700::1111]/hook", None),
        ("https://10.0.0.1/hook", "private"),
        ("https://[fe80::1]/hook", "link-local"),
    ],
)
def test_an_address_is_judged_without_dns(
    monkeypatch: pytest.MonkeyPatch, url: str, refused: str | None
) -> None:
    """A URL that names an address needs no resolver: while DNS fails, it is judged as
    always (a delivery to it does not fail with DNS)."""

    def fails(*_: Any, **__: Any) -> Any:
        raise socket.gaierror("DNS is down")

    monkeypatch.setattr(hook_urls.socket, "getaddrinfo", fails)
    if refused is None:
        assert check(url, local=False).port == 443
    else:
        with pytest.raises(ForbiddenUrl, match=refused):
            check(url, local=False)


def test_a_lookup_left_behind_does_not_hold_the_process(monkeypatch: pytest.MonkeyPatch) -> None:
    """Python waits at exit for every thread that is not a daemon: the lookup a hung resolver
    leaves behind must be one, or the process (a function's, a test run's) would wait for the
    resolver after the check gave up on it."""
    release = threading.Event()

    def hangs(*_: Any, **__: Any) -> Any:
        release.wait(10)
        raise socket.gaierror("too late")

    monkeypatch.setattr(hook_urls.socket, "getaddrinfo", hangs)
    monkeypatch.setattr(hook_urls, "DNS_TIMEOUT_SECONDS", 0.1)
    before = set(threading.enumerate())
    try:
        with pytest.raises(ForbiddenUrl, match="did not resolve"):
            check("https://slow.example/in", local=False)
        left = [thread for thread in threading.enumerate() if thread not in before]
        assert left, "the lookup is still running"
        assert all(thread.daemon for thread in left)
    finally:
        release.set()


# ----------------------------------------------------------------------------- IPv6 forms


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("https://[2002:a9fe:a9fe::]/", "6to4 address of a link-local"),  # 169.254.169.254
        ("https://[2002:a00:1::1]/hook", "6to4 address of a private"),  # 10.0.0.1
        ("https://[2002:7f00:1::]/hook", "6to4 address of a loopback"),  # 127.0.0.1
        ("https://[fec0::1]/hook", "site-local"),
        ("https://[feff:ffff::1]/hook", "site-local"),
        # Teredo: server 65.54.227.120 (public), client ~3fff:fdd2 = 192.0.2.45 (documentation)
        ("https://[2001:0:4136:e378:8000:63bf:3fff:fdd2]/hook", "Teredo \\(client\\)"),
        # Teredo: server 10.0.0.1
        ("https://[2001:0:a00:1:8000:63bf:a2ff:ff9c]/hook", "Teredo \\(server\\)"),
        ("https://[64:ff9b::a9fe:a9fe]/hook", "NAT64 address of a link-local"),
        ("https://[64:ff9b:1::5db8:d822]/hook", "local-use NAT64"),
        ("https://[::a9fe:a9fe]/hook", "IPv4-compatible address of a link-local"),
        ("https://[::5db8:d822]/hook", "IPv4-compatible"),  # deprecated even when public
        # The first IPv4-compatible address (:: and ::1 are not): it carries 0.0.0.2.
        ("https://[::2]/hook", r"IPv4-compatible address of a private address \(0\.0\.0\.2\)"),
        ("https://[::ffff:169.254.169.254]/hook", "IPv4-mapped address of a link-local"),
        ("https://[3fff::1]/hook", "documentation"),
    ],
)
def test_ipv6_forms_of_forbidden_addresses_are_refused(url: str, reason: str) -> None:
    with pytest.raises(ForbiddenUrl, match=reason):
        check(url, local=False)
    with pytest.raises(ForbiddenUrl, match=reason):
        check(url, local=True)  # local mode relaxes loopback only


@pytest.mark.parametrize(
    "url",
    [
        "https://[2606:4700::1111]/hook",
        "https://[2a00:1450:4001:80b::200e]:8443/hook",
        "https://[::ffff:93.184.216.34]/hook",
        "https://[64:ff9b::5db8:d822]/hook",  # NAT64 of 93.184.216.34 (what DNS64 answers)
        "https://[2002:5db8:d822::1]/hook",  # 6to4 of 93.184.216.34
    ],
)
def test_public_ipv6_addresses_are_allowed(url: str) -> None:
    assert check(url, local=False).port in (443, 8443)


def test_local_mode_allows_http_to_loopback_only() -> None:
    """docs/API.md, "Webhooks": local development may allow http to loopback, and only there."""
    for url in ("http://93.184.216.34/in", "http://[2606:4700::1111]/in"):
        with pytest.raises(ForbiddenUrl, match="https"):
            check(url, local=True)
        assert check(url.replace("http:", "https:"), local=True).port == 443
    assert check("http://[::ffff:127.0.0.1]:9000/in", local=True).port == 9000
    assert check("https://127.0.0.1/in", local=True).address == "127.0.0.1"


def test_local_mode_refuses_http_to_a_name_with_a_public_address(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    resolving_to(monkeypatch, "127.0.0.1", "93.184.216.34")
    with pytest.raises(ForbiddenUrl, match="https"):
        check("http://receiver.example/in", local=True)
    resolving_to(monkeypatch, "127.0.0.1")
    assert check("http://receiver.example/in", local=True).address == "127.0.0.1"


# The IANA special-purpose IPv4 ranges a webhook may not reach (written out here, not taken
# from the code or from Python's tables).
FORBIDDEN_IPV4 = [
    ipaddress.IPv4Network(n)
    for n in (
        "0.0.0.0/8",
        "10.0.0.0/8",
        "100.64.0.0/10",
        "127.0.0.0/8",
        "169.254.0.0/16",
        "172.16.0.0/12",
        "192.0.0.0/24",
        "192.0.2.0/24",
        "192.31.196.0/24",
        "192.52.193.0/24",
        "192.88.99.0/24",
        "192.168.0.0/16",
        "192.175.48.0/24",
        "198.18.0.0/15",
        "198.51.100.0/24",
        "203.0.113.0/24",
        "224.0.0.0/4",
        "240.0.0.0/4",
        "255.255.255.255/32",
    )
]
# Every IANA special-purpose range is refused, the globally reachable ones too (AS112, AMT).
SPECIAL_IPV4 = FORBIDDEN_IPV4
# Inside global unicast 2000::/3, the ranges that are not public or that embed IPv4.
SPECIAL_IPV6 = [
    ipaddress.IPv6Network(n)
    for n in ("2001::/23", "2001:db8::/32", "2002::/16", "2620:4f:8000::/48", "3fff::/20")
]

forbidden_ipv4 = st.sampled_from(FORBIDDEN_IPV4).flatmap(
    lambda network: st.ip_addresses(network=network)
)


def _without(
    network: ipaddress.IPv4Network, special: ipaddress.IPv4Network
) -> list[ipaddress.IPv4Network]:
    """`network` less `special` (two CIDR blocks are nested or apart)."""
    if special.subnet_of(network):
        return list(network.address_exclude(special))
    return [] if network.subnet_of(special) else [network]


def _public_ipv4_networks() -> list[ipaddress.IPv4Network]:
    public = [ipaddress.IPv4Network("0.0.0.0/0")]
    for special in SPECIAL_IPV4:
        public = [piece for network in public for piece in _without(network, special)]
    return public


# Drawn from the blocks between the special ranges, not filtered out of st.ip_addresses: that
# one draws from the special ranges on purpose, so often that the filter failed hypothesis'
# filter_too_much health check at times. Each block is as likely as any other, so the edges of
# the special ranges (where the small blocks are) come up often.
public_ipv4 = st.sampled_from(_public_ipv4_networks()).flatmap(
    lambda network: st.ip_addresses(network=network)
)
public_ipv6 = st.ip_addresses(network="2000::/3").filter(
    lambda a: not any(a in n for n in SPECIAL_IPV6)
)
bits16 = st.integers(0, 2**16 - 1)
bits32 = st.integers(0, 2**32 - 1)
bits80 = st.integers(0, 2**80 - 1)


def teredo(server: ipaddress.IPv4Address, client: ipaddress.IPv4Address, flags: int) -> int:
    """RFC 4380: 2001:0000:<server>:<flags>:<port, obscured>:<client, obscured>."""
    return (0x2001_0000 << 96) | (int(server) << 64) | (flags << 32) | (int(client) ^ 0xFFFFFFFF)


@st.composite
def ipv6_forms(draw: st.DrawFn, ipv4: st.SearchStrategy[Any]) -> tuple[str, ipaddress.IPv6Address]:
    """An IPv4 address from `ipv4` inside one of the IPv6 forms that carry one."""
    address = int(draw(ipv4))
    other = int(draw(public_ipv4))
    forms = {
        "IPv4-mapped": (0xFFFF << 32) | address,
        "NAT64": (0x64_FF9B << 96) | address,
        "6to4": (0x2002 << 112) | (address << 80) | draw(bits80),
        "Teredo (server)": teredo(ipaddress.IPv4Address(address), ipaddress.IPv4Address(other), 0),
        "Teredo (client)": teredo(ipaddress.IPv4Address(other), ipaddress.IPv4Address(address), 0),
    }
    if address > 1:  # ::0.0.0.1 is ::1, loopback itself
        forms["IPv4-compatible"] = address
    form = draw(st.sampled_from(sorted(forms)))
    flags = draw(st.integers(0, 2**32 - 1)) if form.startswith("Teredo") else 0
    return form, ipaddress.IPv6Address(forms[form] | (flags << 32 if flags else 0))


@settings(max_examples=400, deadline=None)
@given(ipv6_forms(forbidden_ipv4))
def test_every_ipv6_form_of_a_forbidden_ipv4_address_is_refused(
    case: tuple[str, ipaddress.IPv6Address],
) -> None:
    form, address = case
    with pytest.raises(ForbiddenUrl, match=re.escape(form)):
        check(f"https://[{address}]/hook", local=False)


@settings(max_examples=300, deadline=None)
@given(public_ipv6)
def test_every_public_ipv6_address_is_allowed(address: ipaddress.IPv6Address) -> None:
    assert check(f"https://[{address}]/hook", local=False).address == str(address)


@settings(max_examples=300, deadline=None)
@given(ipv6_forms(public_ipv4))
def test_ipv6_forms_of_public_ipv4_addresses(case: tuple[str, ipaddress.IPv6Address]) -> None:
    """Mapped, NAT64 and 6to4 forms of a public address reach it: allowed. Teredo and
    IPv4-compatible addresses are not public IPv6 addresses, whatever they carry."""
    form, address = case
    url = f"https://[{address}]/hook"
    if form in ("IPv4-mapped", "NAT64", "6to4"):
        assert check(url, local=False).address == str(address)
    else:
        with pytest.raises(ForbiddenUrl, match=form.split(" ")[0]):
            check(url, local=False)


# docs/API.md, "Webhooks": a URL no delivery could ever reach is refused when subscribing.
CONTROLS = [chr(c) for c in (*range(0x20), 0x7F)]
BLANKS = [" ", "\u00a0", "\u1680", "\u2000", "\u2028", "\u2029", "\u3000", "\u0085"]
PUBLIC_URL = "https://93.184.216.34:8443/hook/in?x=1#f"


@pytest.mark.parametrize("character", CONTROLS + BLANKS, ids=lambda c: f"U+{ord(c):04X}")
@pytest.mark.parametrize("local", [False, True])
def test_a_control_character_or_blank_anywhere_is_refused(character: str, local: bool) -> None:
    """Every control character (U+0000-U+001F, U+007F) and blank, at every position: before,
    in and after the URL (urlsplit drops some of them, which made a leading one pass)."""
    check(PUBLIC_URL, local=local)  # the URL itself is allowed
    for position in range(len(PUBLIC_URL) + 1):
        url = PUBLIC_URL[:position] + character + PUBLIC_URL[position:]
        with pytest.raises(ForbiddenUrl, match="control character or blank"):
            check(url, local=local)


@pytest.mark.parametrize("url", ["https://93.184.216.34:0/hook", "https://example.com:00/"])
def test_port_zero_is_refused(url: str) -> None:
    with pytest.raises(ForbiddenUrl, match="port 0"):
        check(url, local=False)


# IANA's special-purpose address registries (IPv4 and IPv6), one address of each entry that
# is not a translation form judged by the IPv4 address it carries (module docstring).
SPECIAL_PURPOSE = [
    "0.1.2.3", "10.0.0.1", "100.64.0.1", "127.0.0.1", "169.254.1.1", "172.16.0.1",
    "192.0.0.1", "192.0.0.9", "192.0.0.10", "192.0.0.170", "192.0.2.1", "192.31.196.1",
    "192.52.193.1", "192.88.99.1", "192.168.0.1", "192.175.48.1", "198.18.0.1",
    "198.51.100.1", "203.0.113.1", "240.0.0.1", "255.255.255.255",
    "::1", "::", "64:ff9b:1::1", "100::1", "100:0:0:1::1", "2001::1", "2001:1::1",
    "2001:1::2", "2001:1::3", "2001:2::1", "2001:3::1", "2001:4:112::1", "2001:10::1",
    "2001:20::1", "2001:30::1", "2001:db8::1", "2620:4f:8000::1", "3fff::1", "5f00::1",
    "fc00::1", "fe80::1",
]  # fmt: skip


@pytest.mark.parametrize("address", SPECIAL_PURPOSE)
def test_every_special_purpose_address_is_refused(address: str) -> None:
    host = f"[{address}]" if ":" in address else address
    with pytest.raises(ForbiddenUrl):
        check(f"https://{host}/hook", local=False)


@pytest.mark.parametrize(
    ("address", "reason"),
    [
        ("100.64.0.1", "a non-public address"),  # shared address space: neither private nor global
        ("100.127.255.254", "a non-public address"),
        # Globally reachable in IANA's registry, and so public to Python: refused by the list.
        ("192.0.0.9", "a special-purpose address"),  # PCP anycast
        ("192.0.0.10", "a special-purpose address"),  # TURN anycast
        ("192.31.196.1", "a special-purpose address"),  # AS112
        ("192.52.193.1", "a special-purpose address"),  # AMT
        ("192.175.48.1", "a special-purpose address"),  # AS112, direct delegation
    ],
)
def test_the_refusal_names_the_rule(address: str, reason: str) -> None:
    with pytest.raises(ForbiddenUrl, match=re.escape(f"is {reason} ({address})")):
        check(f"https://{address}/hook", local=False)

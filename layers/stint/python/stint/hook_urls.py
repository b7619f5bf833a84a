"""Where webhooks may be delivered (docs/DESIGN.md, "Webhooks"): SSRF protection.

A hook URL is `https`, at most 2048 characters, without a control character (U+0000-U+001F,
U+007F) or a blank anywhere (urlsplit silently drops some of them, so a URL it parses is not
the one stored), not on port 0, and its host must be, and resolve only to, public addresses:
never loopback, private, link-local (169.254.169.254 is the instance metadata service),
multicast, reserved, unspecified, site-local, nor in any entry of IANA's special-purpose
address registries (`_SPECIAL_PURPOSE`: some, like AS112 or AMT, are globally reachable but
are no webhook receiver). It is checked when a
webhook is subscribed and again at each delivery, because DNS can change in between; a
delivery then connects to the address that was checked, so a name cannot resolve to a public
address for the check and to a private one for the connection.

An IPv6 address that carries an IPv4 address (IPv4-mapped, IPv4-compatible, NAT64, 6to4,
Teredo's server and client) reaches that IPv4 address through a gateway or the host's own
stack, so each IPv4 address in it must pass the IPv4 rules: `2002:a9fe:a9fe::` (6to4) is
169.254.169.254. Where the IPv4 address is public, IPv4-mapped and well-known NAT64 (DNS64's
answer for an IPv4-only name) addresses are judged by it alone; the other forms are then
judged as IPv6 addresses (6to4 is global; Teredo, IPv4-compatible and local-use NAT64 are
not).

Local development mode (`STINT_LOCAL=1`, set by the local stack only) also allows loopback
addresses, and `http` to them only, so that a receiver on 127.0.0.1 can be used; nothing else
is relaxed.
"""

from __future__ import annotations

import ipaddress
import os
import socket
import threading
from dataclasses import dataclass
from typing import Any
from urllib.parse import SplitResult, urlsplit

MAX_LENGTH = 2048
DNS_TIMEOUT_SECONDS = 2.0
IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


class ForbiddenUrl(ValueError):
    """The URL may not receive webhooks; the message says why."""


@dataclass(frozen=True)
class Target:
    """A checked hook URL and the address a delivery connects to."""

    url: SplitResult
    host: str
    port: int
    address: str


def local_mode() -> bool:
    return os.environ.get("STINT_LOCAL") == "1"


def check(url: str, *, local: bool | None = None) -> Target:
    """The URL's delivery target, or ForbiddenUrl. Resolves the host name (DNS)."""
    local = local_mode() if local is None else local
    parts, port = _parsed(url)
    if parts.scheme != "https" and not (local and parts.scheme == "http"):
        raise ForbiddenUrl("must be an https URL")
    host = parts.hostname
    if not host:
        raise ForbiddenUrl("must name a host")
    if parts.username is not None or parts.password is not None:
        raise ForbiddenUrl("must not carry credentials")
    port = port or (443 if parts.scheme == "https" else 80)
    addresses = _resolve(host, port)
    for address in addresses:
        reason = _forbidden(address, local=local)
        if reason:
            raise ForbiddenUrl(f"its host {host} is {reason} ({address})")
    if parts.scheme == "http" and not all(_loopback(address) for address in addresses):
        raise ForbiddenUrl("must be an https URL (local development allows http to loopback)")
    return Target(parts, host, port, str(addresses[0]))


def _parsed(url: str) -> tuple[SplitResult, int | None]:
    """The URL's parts and port, if it is one a delivery could ever reach as it is written."""
    if len(url) > MAX_LENGTH:
        raise ForbiddenUrl(f"must be at most {MAX_LENGTH} characters")
    for position, character in enumerate(url):
        if ord(character) < 0x20 or character == "\x7f" or character.isspace():
            raise ForbiddenUrl(
                f"must not contain a control character or blank "
                f"(U+{ord(character):04X} at position {position})"
            )
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as error:
        raise ForbiddenUrl(f"is not a valid URL ({error})") from error
    if port == 0:
        raise ForbiddenUrl("must not name port 0")
    return parts, port


def _resolve(host: str, port: int) -> list[IPAddress]:
    try:
        return [ipaddress.ip_address(host)]
    except ValueError:
        pass  # a name, not an address
    infos = _lookup(host, port)
    # Every address it resolves to must be allowed: a client may connect to any of them.
    return list(dict.fromkeys(ipaddress.ip_address(info[4][0]) for info in infos))


def _lookup(host: str, port: int) -> list[Any]:
    """getaddrinfo, bounded: a resolver that does not answer must not hold a request (or a
    delivery) until the function's timeout. The lookup runs on a daemon thread, left behind
    when it overruns."""
    outcome: dict[str, Any] = {}

    def resolve() -> None:
        try:
            outcome["infos"] = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except (OSError, UnicodeError) as error:  # gaierror is an OSError
            outcome["error"] = error

    lookup = threading.Thread(target=resolve, daemon=True)
    lookup.start()
    lookup.join(DNS_TIMEOUT_SECONDS)
    if lookup.is_alive():
        raise ForbiddenUrl(f"its host {host} did not resolve within {DNS_TIMEOUT_SECONDS:g} s")
    if "error" in outcome:
        raise ForbiddenUrl(f"its host {host} does not resolve") from outcome["error"]
    infos: list[Any] = outcome["infos"]
    return infos


# IPv6 ranges that are not public whatever Python's tables (which vary by version) say.
_NOT_PUBLIC_IPV6 = (
    (ipaddress.IPv6Network("fec0::/10"), "a site-local address"),
    (ipaddress.IPv6Network("::/96"), "an IPv4-compatible address"),  # deprecated (RFC 4291)
    (ipaddress.IPv6Network("64:ff9b:1::/48"), "a local-use NAT64 address"),  # RFC 8215
    (ipaddress.IPv6Network("2001::/32"), "a Teredo address"),
    (ipaddress.IPv6Network("3fff::/20"), "a documentation address"),  # RFC 9637
)
# IANA's special-purpose address registries (iana-ipv4-special-registry and
# iana-ipv6-special-registry), every entry but the translation forms judged by the IPv4 address
# they carry (::ffff:0:0/96, 64:ff9b::/96, 2002::/16: see above). Python's `is_global` and
# `is_private` leave some out (and vary by version), so the list is explicit.
_SPECIAL_PURPOSE = tuple(
    ipaddress.ip_network(network)
    for network in (
        "0.0.0.0/8", "10.0.0.0/8", "100.64.0.0/10", "127.0.0.0/8", "169.254.0.0/16",
        "172.16.0.0/12", "192.0.0.0/24", "192.0.2.0/24", "192.31.196.0/24", "192.52.193.0/24",
        "192.88.99.0/24", "192.168.0.0/16", "192.175.48.0/24", "198.18.0.0/15",
        "198.51.100.0/24", "203.0.113.0/24", "240.0.0.0/4", "255.255.255.255/32",
        "::1/128", "::/128", "64:ff9b:1::/48", "100::/64", "100:0:0:1::/64", "2001::/23",
        "2001:db8::/32", "2620:4f:8000::/48", "3fff::/20", "5f00::/16", "fc00::/7",
        "fe80::/10",
    )
)  # fmt: skip
_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")  # RFC 6052, the well-known prefix
_IPV4_COMPATIBLE = ipaddress.IPv6Network("::/96")


def _loopback(address: IPAddress) -> bool:
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped.is_loopback  # ::ffff:127.0.0.1 is 127.0.0.1
    return address.is_loopback


def embedded_ipv4(address: ipaddress.IPv6Address) -> list[tuple[str, ipaddress.IPv4Address]]:
    """The IPv4 addresses an IPv6 address carries, each with the name of its form."""
    low32 = ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    found: list[tuple[str, ipaddress.IPv4Address]] = []
    if address.ipv4_mapped is not None:
        found.append(("an IPv4-mapped", address.ipv4_mapped))
    if address in _NAT64:
        found.append(("a NAT64", low32))
    if address in _IPV4_COMPATIBLE and int(address) > 1:  # not :: nor ::1
        found.append(("an IPv4-compatible", low32))
    if address.sixtofour is not None:
        found.append(("a 6to4", address.sixtofour))
    if address.teredo is not None:
        server, client = address.teredo
        found += [("a Teredo (server)", server), ("a Teredo (client)", client)]
    return found


def _forbidden(address: IPAddress, *, local: bool) -> str | None:
    """Why the address may not receive webhooks ("a private address", ...), or None."""
    if isinstance(address, ipaddress.IPv4Address):
        return _forbidden_ip(address, local=local)
    for form, ipv4 in embedded_ipv4(address):
        # Only an IPv4-mapped loopback address is this host; a 6to4 one goes to a relay.
        reason = _forbidden_ip(ipv4, local=local and form == "an IPv4-mapped")
        if reason:
            return f"{form} address of {reason} ({ipv4})"
    if address.ipv4_mapped is not None or address in _NAT64:
        return None  # it is its IPv4 address, which is allowed
    for network, reason in _NOT_PUBLIC_IPV6:
        if address in network and not address.is_loopback and not address.is_unspecified:
            return reason
    return _forbidden_ip(address, local=local)


def _forbidden_ip(address: IPAddress, *, local: bool) -> str | None:
    if address.is_loopback:
        return None if local else "a loopback address"
    checks = (
        ("is_unspecified", "an unspecified address"),
        ("is_link_local", "a link-local address"),
        ("is_multicast", "a multicast address"),
        ("is_reserved", "a reserved address"),
        ("is_private", "a private address"),
    )
    for attribute, reason in checks:
        if getattr(address, attribute):
            return reason
    if not address.is_global:  # shared (100.64/10), documentation ranges, ...
        return "a non-public address"
    if any(address in network for network in _SPECIAL_PURPOSE):
        return "a special-purpose address"
    return None

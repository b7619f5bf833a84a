"""Where webhooks may be delivered (contract section 11): SSRF protection.

A hook URL is `https`, at most 2048 characters, and its host must be, and resolve only to,
public addresses: never loopback, private, link-local (169.254.169.254 is the instance
metadata service), multicast, reserved or unspecified. It is checked when a webhook is
subscribed and again at each delivery, because DNS can change in between; a delivery then
connects to the address that was checked, so a name cannot resolve to a public address for
the check and to a private one for the connection.

Local development mode (`STINT_LOCAL=1`, set by the local stack only) also allows `http`, and
loopback addresses, so that a receiver on 127.0.0.1 can be used; nothing else is relaxed.
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
    if len(url) > MAX_LENGTH:
        raise ForbiddenUrl(f"must be at most {MAX_LENGTH} characters")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as error:
        raise ForbiddenUrl(f"is not a valid URL ({error})") from error
    allowed_schemes = ("https", "http") if local else ("https",)
    if parts.scheme not in allowed_schemes:
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
            raise ForbiddenUrl(f"its host {host} is {reason} address ({address})")
    return Target(parts, host, port, str(addresses[0]))


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


def _forbidden(address: IPAddress, *, local: bool) -> str | None:
    """Why the address may not receive webhooks ("a private", ...), or None."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped  # ::ffff:10.0.0.1 is 10.0.0.1
    if address.is_loopback:
        return None if local else "a loopback"
    checks = (
        ("is_unspecified", "an unspecified"),
        ("is_link_local", "a link-local"),
        ("is_multicast", "a multicast"),
        ("is_reserved", "a reserved"),
        ("is_private", "a private"),
    )
    for attribute, reason in checks:
        if getattr(address, attribute):
            return reason
    if not address.is_global:  # shared (100.64/10), documentation ranges, ...
        return "a non-public"
    return None

"""Names under `.localhost` resolve to loopback in the local stack, as RFC 6761 (section 6.3)
says every resolver should; the system's resolver here (glibc, no DNS at all on a machine
without a network) leaves them unresolved.

A webhook's URL must name a host that resolves to addresses a delivery may reach
(stint.hook_urls): in AWS, public ones only; in the local stack (`STINT_LOCAL=1`) loopback
too. A test that subscribes `https://hooks.localhost/in` thus gets a host name that resolves,
to 127.0.0.1, whatever the machine's DNS, so a valid webhook body is accepted, while every
check of production runs as it is: the name is resolved by `socket.getaddrinfo` and each
address judged. Nothing is relaxed in AWS, where this module is not loaded and loopback is
refused. Any other name goes to the system's resolver unchanged.
"""

from __future__ import annotations

import socket
from typing import Any

SUFFIX = ".localhost"
_ORIGINAL = "_stint_original"  # on the installed wrapper: the resolver it wraps


def is_localhost_name(host: Any) -> bool:
    """Whether `host` is a name under `.localhost` (not `localhost` itself, which the system
    resolves)."""
    if isinstance(host, bytes):
        host = host.decode("ascii", "replace")
    return isinstance(host, str) and host.lower().rstrip(".").endswith(SUFFIX)


def install() -> None:
    """Wrap `socket.getaddrinfo` (idempotent): a `.localhost` name is its loopback address."""
    if hasattr(socket.getaddrinfo, _ORIGINAL):
        return
    original = socket.getaddrinfo

    def getaddrinfo(
        host: Any, port: Any, family: int = 0, type: int = 0, proto: int = 0, flags: int = 0
    ) -> Any:
        if is_localhost_name(host):
            host = "::1" if family == socket.AF_INET6 else "127.0.0.1"
        return original(host, port, family, type, proto, flags)

    setattr(getaddrinfo, _ORIGINAL, original)
    socket.getaddrinfo = getaddrinfo


def uninstall() -> None:
    """Give the system's resolver back (the in-process stack, suspended)."""
    original = getattr(socket.getaddrinfo, _ORIGINAL, None)
    if original is not None:
        socket.getaddrinfo = original

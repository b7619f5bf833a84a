"""AWS clients, created once per process on first use (not at import: cold starts)."""

from __future__ import annotations

import threading
from typing import Any

_clients: dict[str, Any] = {}
# boto3's default session is not thread-safe while it creates clients; the local stack runs
# several execution environments in one process, so creation is serialized here.
_lock = threading.Lock()


def client(service: str) -> Any:
    found = _clients.get(service)
    if found is None:
        with _lock:
            found = _clients.get(service)
            if found is None:
                import boto3

                session: Any = boto3.session.Session()
                found = _clients[service] = session.client(service)
    return found


def reset() -> None:
    """Forget the clients (tests that switch endpoints or mocks)."""
    with _lock:
        _clients.clear()

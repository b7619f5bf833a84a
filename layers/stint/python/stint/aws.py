"""AWS clients, created once per process on first use (not at import: cold starts)."""

from __future__ import annotations

import threading
from typing import Any

_clients: dict[str, Any] = {}
_session: Any = None
_making = threading.Lock()
# botocore's retries, chosen rather than inherited (docs/DESIGN.md, "Retries and concurrency
# control"): the Lambda runtime's botocore may default to "legacy" mode, 10 attempts for
# DynamoDB with up to 25 s of backoff, longer than the functions' 15 s timeout. Standard mode
# retries throttling and 5xx with full jitter (up to 1 s, then 2 s) and never a
# TransactionCanceledException (the store decides about those); 3 attempts in all.
RETRIES = {"mode": "standard", "total_max_attempts": 3}


def client(service: str) -> Any:
    found = _clients.get(service)
    if found is None:
        # botocore's own session, not boto3's: Stint uses low-level clients only, and
        # `import boto3` also imports s3transfer and boto3's resource machinery, about a
        # quarter of a cold start's SDK cost (docs/DESIGN.md, "Performance"). One session for
        # every client (it reads the SDK's data files once), and one client made at a time:
        # botocore's sessions are not thread-safe, and threads (a delivery batch's) may come here
        # at once. The clients themselves are.
        with _making:
            found = _clients.get(service)
            if found is None:
                found = _clients[service] = _new_client(service)
    return found


def _new_client(service: str) -> Any:
    from botocore.config import Config
    from botocore.session import Session

    global _session
    if _session is None:
        _session = Session()
    return _session.create_client(service, config=Config(retries=RETRIES))  # type: ignore[arg-type]


def reset() -> None:
    """Forget the clients (tests that switch endpoints or mocks): the next read the endpoints
    and region of then. The session stays, and with it the credentials it read first (every
    test and local function runs with the same ones)."""
    _clients.clear()

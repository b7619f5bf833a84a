"""AWS clients, created once per process on first use (not at import: cold starts)."""

from __future__ import annotations

from typing import Any

_clients: dict[str, Any] = {}
# The SDK's data files (endpoints, retry rules, service models), read by the first client's
# session and lent to the later ones: each new botocore session would read and parse them again.
_loader: Any = None
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
        # quarter of a cold start's SDK cost (docs/DESIGN.md, "Performance"). A session of its
        # own for each client: threads (a delivery batch's) that come here at once each make
        # one with no session shared, and all use the first that was kept.
        from botocore.config import Config
        from botocore.session import Session

        global _loader
        session = Session()
        if _loader is None:
            _loader = session.get_component("data_loader")
        else:
            session.register_component("data_loader", _loader)
        config = Config(retries=RETRIES)  # type: ignore[arg-type]
        made = session.create_client(service, config=config)
        found = _clients.setdefault(service, made)
    return found


def reset() -> None:
    """Forget the clients (tests that switch endpoints or mocks)."""
    _clients.clear()

"""Page tokens of lists that are ordered in memory, not by a DynamoDB key (tags by name, a
detailed report's entries): the token is the sort key of the last item returned, and the next
page starts after it, so nothing is repeated or skipped while the list stays the same."""

from __future__ import annotations

from typing import Any

from stint import jsonio
from stint.store import next_token_value


def token_after(key: tuple[str, ...]) -> str:
    return jsonio.to_token(list(key))


def key_of_token(token: str, size: int) -> tuple[str, ...]:
    """The sort key a token holds (`size` strings); a token this API did not give is a 400."""

    def valid(key: Any) -> bool:
        return isinstance(key, list) and len(key) == size and all(isinstance(k, str) for k in key)

    return tuple(next_token_value(token, valid))

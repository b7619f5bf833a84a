"""Page tokens of lists that are ordered in memory, not by a DynamoDB key (tags by name, a
detailed report's entries): the token is the sort key of the last item returned, and the next
page starts after it, so nothing is repeated or skipped while the list stays the same."""

from __future__ import annotations

import base64
import binascii
import json

from stint import jsonio
from stint.errors import ValidationFailed


def token_after(key: tuple[str, ...]) -> str:
    return base64.urlsafe_b64encode(json.dumps(list(key)).encode()).decode().rstrip("=")


def key_of_token(token: str, size: int) -> tuple[str, ...]:
    """The sort key a token holds (`size` strings); a token this API did not give is a 400."""
    try:
        key = jsonio.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
        if not (
            isinstance(key, list) and len(key) == size and all(isinstance(k, str) for k in key)
        ):
            raise ValueError
    except jsonio.OverLimit as error:
        raise ValidationFailed(
            f"nextToken: {error}", code="invalid_json", details=[{"field": "nextToken"}]
        ) from error
    except (ValueError, binascii.Error, UnicodeDecodeError) as error:
        raise ValidationFailed("nextToken: malformed", details=[{"field": "nextToken"}]) from error
    return tuple(key)

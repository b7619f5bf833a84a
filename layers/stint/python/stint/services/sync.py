"""Delta sync (docs/DESIGN.md, "Sync"; docs/API.md, "Sync tokens").

A token holds the user's change sequence up to which the client has everything. A page is
one consistent query on the `bySeq` index for `token < seq <= upto`, where `upto` is the
counter read just before: every write with a seq up to it had committed when it was read
(the counter is written in the same transaction), so no write is ever skipped, and the cost is
the number of changes since the token, not the size of the account.
"""

from __future__ import annotations

import hashlib
import time
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from stint import jsonio
from stint.config import settings
from stint.errors import StintError, ValidationFailed
from stint.kinds import KINDS
from stint.services.common import Caller
from stint.store import Store, entity_of

FULL_SYNC = "*"


class SyncTokenExpired(StintError):
    status = 410
    code = "sync_token_expired"


def _invalid() -> ValidationFailed:
    return ValidationFailed(
        "syncToken: not a token this API issued to you; use * for a full sync",
        code="invalid_sync_token",
    )


@dataclass(frozen=True)
class SyncToken:
    seq: int  # the client has every change with a seq up to this
    issued: int  # epoch seconds: every change after `seq` was written after this moment
    user: str  # whose sequence it counts
    base: int | None = None  # while a full sync pages: tombstones up to here are not news

    def encode(self) -> str:
        fields = {"s": self.seq, "t": self.issued, "u": self.user, "b": self.base}
        return jsonio.to_token({k: v for k, v in fields.items() if v is not None})

    @classmethod
    def decode(cls, text: str) -> SyncToken:
        try:
            fields = jsonio.from_token(text)
            token = cls(fields["s"], fields["t"], fields["u"], fields.get("b"))
        except jsonio.OverLimit as error:
            raise ValidationFailed(f"syncToken: {error}", code="invalid_json") from error
        except (ValueError, KeyError, TypeError) as error:
            raise _invalid() from error
        numbers = [token.seq, token.issued] + ([token.base] if token.base is not None else [])
        if not all(isinstance(n, int) and not isinstance(n, bool) and n >= 0 for n in numbers):
            raise _invalid()
        if not isinstance(token.user, str):
            raise _invalid()
        return token


def _user_tag(user_id: str) -> str:
    return hashlib.sha256(user_id.encode()).hexdigest()[:12]


def sync(caller: Caller, sync_token: str | None, limit: int) -> dict[str, Any]:
    store = Store(caller.user_id)
    now = int(time.time())
    tag = _user_tag(caller.user_id)
    if sync_token in (None, "", FULL_SYNC):
        token = None
    else:
        assert sync_token is not None
        token = SyncToken.decode(sync_token)
        if token.user != tag:
            raise _invalid()
        if now - token.issued > settings().tombstone_retention_days * 86400:
            raise SyncTokenExpired("The sync token is older than the tombstone retention; sync *")
    upto = store.change_sequence()
    after = token.seq if token else 0
    if after > upto:
        raise _invalid()
    base = token.base if token else upto  # a full sync skips what was deleted before it
    records, has_more = store.changes(after, upto, limit)
    if has_more and records:
        # The next page goes on from here; changes after it are no older than this sync.
        next_token = SyncToken(int(records[-1]["seq"]), token.issued if token else now, tag, base)
    else:
        has_more = False
        next_token = SyncToken(upto, now, tag)
    page: dict[str, Any] = {"syncToken": next_token.encode(), "hasMore": has_more}
    grouped: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for record in records:
        if record["kind"] == "tombstone":
            if base is None or int(record["seq"]) > base:
                grouped["deleted"].append({k: record[k] for k in ("type", "id", "lastUpdated")})
        elif record["kind"] in KINDS:
            grouped[KINDS[record["kind"]].plural].append(entity_of(record))
    page.update(grouped)
    return page

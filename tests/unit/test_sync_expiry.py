"""docs/API.md, "Sync tokens": a token older than the tombstone retention is 410; one a day
younger still syncs; one ahead of the workspace's sequence is 400 (the services' own token, as
the API's edge unseals it: stint.page_tokens)."""

from __future__ import annotations

import time

import pytest

from stint.errors import ValidationFailed
from stint.services import sync as sync_service
from stint.services.common import Caller
from stint.services.sync import SyncToken, SyncTokenExpired, _user_tag

CALLER = Caller(user_id="expiry-user", username="expiry-user")


@pytest.mark.usefixtures("table")
def test_a_token_expires_with_the_tombstone_retention() -> None:
    first = sync_service.sync(CALLER, None, 100)
    token = SyncToken.decode(first["syncToken"], CALLER.user_id)
    day = 86400

    def aged(days: int) -> str:
        return SyncToken(
            token.positions, int(time.time()) - days * day, _user_tag(CALLER.user_id)
        ).encode()

    with pytest.raises(SyncTokenExpired):
        sync_service.sync(CALLER, aged(31), 100)
    assert sync_service.sync(CALLER, aged(29), 100)["hasMore"] is False
    ahead = SyncToken({CALLER.user_id: 1000}, int(time.time()), _user_tag(CALLER.user_id))
    with pytest.raises(ValidationFailed):
        sync_service.sync(CALLER, ahead.encode(), 100)

"""docs/API.md, "Sync tokens": what a sync token holds and which ones a sync takes.

A token is the services' own (the API's edge seals it: stint.page_tokens); one this API did not
issue to the caller, or one that cannot be what it issued, is `400 invalid_sync_token`, one past
Stint's JSON limits `400 invalid_json`, one older than the tombstone retention `410`.
"""

from __future__ import annotations

import time
from typing import Any

import pytest

from stint import jsonio
from stint.errors import ValidationFailed
from stint.services import sync as sync_service
from stint.services.common import Caller
from stint.services.sync import SyncToken, SyncTokenExpired, _user_tag, sync

USER = "token-user"
CALLER = Caller(user_id=USER, username=USER)
TAG = _user_tag(USER)
DAY = 86400


def _invalid(text: str) -> ValidationFailed:
    with pytest.raises(ValidationFailed) as caught:
        SyncToken.decode(text, USER)
    return caught.value


def test_a_token_holds_what_it_was_issued_with() -> None:
    token = SyncToken({USER: 7, "w1": 3}, 1_700_000_000, TAG, {"w1": 2}, ["w1"], {"w1": 1}, ["w1"])
    assert SyncToken.decode(token.encode(), USER) == token
    bare = SyncToken({USER: 7}, 1_700_000_000, TAG)
    assert SyncToken.decode(bare.encode(), USER) == bare  # no bases, overseen, mine, blind
    with_none_seen = SyncToken({USER: 7}, 1_700_000_000, TAG, {}, [], {}, [])
    assert SyncToken.decode(with_none_seen.encode(), USER) == with_none_seen


def test_a_tokens_fields_keep_their_names() -> None:
    """A client keeps a token across deploys: what one issued, the next reads (docs/DESIGN.md,
    "Sync": one letter a field)."""
    fields = {
        "p": {USER: 7, "w1": 3},
        "t": 1_700_000_000,
        "u": TAG,
        "b": {"w1": 2},
        "m": {"w1": 1},
        "w": ["w1"],
        "o": [USER],
    }
    token = SyncToken({USER: 7, "w1": 3}, 1_700_000_000, TAG, {"w1": 2}, [USER], {"w1": 1}, ["w1"])
    assert SyncToken.decode(jsonio.to_token(fields), USER) == token
    assert jsonio.from_token(token.encode()) == fields


def test_a_token_from_before_workspaces_is_the_personal_workspaces_position() -> None:
    old = SyncToken.decode(jsonio.to_token({"s": 5, "t": 1_700_000_000, "u": TAG}), USER)
    assert old == SyncToken({USER: 5}, 1_700_000_000, TAG, {}, None)
    paging = jsonio.to_token({"s": 5, "t": 1_700_000_000, "u": TAG, "b": 4})
    assert SyncToken.decode(paging, USER).bases == {USER: 4}
    unset = jsonio.to_token({"s": 5, "t": 1_700_000_000, "u": TAG, "b": None})
    assert SyncToken.decode(unset, USER).bases == {}


@pytest.mark.parametrize(
    "fields",
    [
        {"p": {USER: "7"}, "t": 1, "u": TAG},  # a position that is no number
        {"p": {USER: True}, "t": 1, "u": TAG},  # JSON's true is no position
        {"p": {USER: -1}, "t": 1, "u": TAG},
        {"p": {USER: 1.5}, "t": 1, "u": TAG},
        {"p": {USER: 1}, "t": -1, "u": TAG},
        {"p": {USER: 1}, "t": "1", "u": TAG},
        {"p": {USER: 1}, "t": 1, "u": TAG, "b": {USER: -2}},
        {"p": {USER: 1}, "t": 1, "u": 5},  # whose: not a user's tag
        {"p": {USER: 1}, "t": 1, "u": TAG, "o": [1]},  # overseen: not workspace ids
        {"p": {USER: 1}, "u": TAG},  # no issue time
        {"t": 1, "u": TAG},  # no positions
        {"p": {USER: 1}, "t": 1},  # no user
        {"p": [1, 2], "t": 1, "u": TAG},  # positions: no map
        {"p": {USER: 1}, "t": 1, "u": TAG, "o": 3},  # overseen: no list
        {"s": -1, "t": 1, "u": TAG},  # an old token's position
        {"s": 1, "t": 1, "u": TAG, "b": -1},
    ],
)
def test_a_token_that_cannot_be_one_issued_is_invalid(fields: dict[str, Any]) -> None:
    refused = _invalid(jsonio.to_token(fields))
    assert refused.code == "invalid_sync_token"
    assert refused.message.startswith("syncToken: not a token this API issued to you")


@pytest.mark.parametrize("text", ["not a token!", jsonio.to_token([1, 2]), jsonio.to_token("x")])
def test_text_that_holds_no_token_is_invalid(text: str) -> None:
    assert _invalid(text).code == "invalid_sync_token"


def test_a_token_past_the_json_limits_is_invalid_json() -> None:
    deep: Any = 0
    for _ in range(jsonio.MAX_DEPTH + 1):
        deep = [deep]
    refused = _invalid(jsonio.to_token({"p": {}, "t": 1, "u": TAG, "x": deep}))
    assert refused.code == "invalid_json"
    assert refused.message.startswith("syncToken: nested deeper than")


@pytest.mark.usefixtures("table")
@pytest.mark.parametrize("full", [None, "", "*"])
def test_no_token_or_star_is_a_full_sync(full: str | None) -> None:
    page = sync(CALLER, full, 100)
    token = SyncToken.decode(page["syncToken"], USER)
    assert token.positions == {USER: 0} and token.user == TAG and not page["hasMore"]


@pytest.mark.usefixtures("table")
def test_another_users_token_is_invalid() -> None:
    theirs = sync(Caller(user_id="someone-else", username="x"), None, 100)["syncToken"]
    with pytest.raises(ValidationFailed) as caught:
        sync(CALLER, theirs, 100)
    assert caught.value.code == "invalid_sync_token"


@pytest.mark.usefixtures("table")
def test_a_token_expires_the_second_after_the_retention(monkeypatch: pytest.MonkeyPatch) -> None:
    now = int(time.time())
    monkeypatch.setattr(sync_service.time, "time", lambda: now)
    retention = 30 * DAY

    def issued(at: int) -> str:
        return SyncToken({USER: 0}, at, TAG).encode()

    assert sync(CALLER, issued(now - retention), 100)["hasMore"] is False
    with pytest.raises(SyncTokenExpired) as caught:
        sync(CALLER, issued(now - retention - 1), 100)
    assert caught.value.status == 410 and caught.value.code == "sync_token_expired"
    # What to do about it, as docs/API.md ("Errors") says: a full sync.
    assert caught.value.message == "The sync token is older than the tombstone retention; sync *"

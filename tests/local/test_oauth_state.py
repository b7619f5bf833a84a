"""local.oauth's state across restarts: what it saves restores, and so does a state saved when
the endpoints were one module (its classes named `local.oauth.Code`, ...)."""

from __future__ import annotations

import pickle
import time

import pytest
from authlib.oauth2.rfc6749 import InvalidGrantError

from local.oauth.models import Authorization, Code, RefreshGrant, SignInRequest
from local.oauth.store import GrantStore

CALLBACK = "http://localhost:9999/cb"


def saved_store() -> GrantStore:
    store = GrantStore()
    authorization = Authorization("client", "user", ("openid", "stint/read"), None, 1, "o", "e")
    now = time.time()
    store.add_sign_in(SignInRequest("client", CALLBACK, ("openid",), "s", None, None, now + 900))
    code = Code(authorization, CALLBACK, None, now + 300)
    store.add_code("code", code)
    store.add_refresh_token("refresh", RefreshGrant(authorization, now + 3600), code)
    return store


def restored(snapshot: bytes) -> GrantStore:
    store = GrantStore()
    store.restore_state(pickle.loads(snapshot))
    return store


@pytest.mark.parametrize("module", ["local.oauth.models", "local.oauth"])
def test_saved_state_restores(module: str) -> None:
    snapshot = pickle.dumps(saved_store().saved_state(), protocol=0)  # text: names replaceable
    store = restored(snapshot.replace(b"clocal.oauth.models\n", f"c{module}\n".encode()))
    assert store.refresh_grant("refresh").get_scope() == "openid stint/read"
    code = store.redeem("code", "client")
    assert code.get_redirect_uri() == CALLBACK and code.code_challenge_method is None
    with pytest.raises(InvalidGrantError, match="used already"):
        store.redeem("code", "client")
    with pytest.raises(InvalidGrantError):  # revoked by the second use of its code
        store.refresh_grant("refresh")

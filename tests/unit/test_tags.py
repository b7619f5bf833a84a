"""Tags (docs/API.md, "Tags") through the services over moto: the 1,000-tag limit, and a tag's
delete against a session tagged while it runs."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from stint import store as stint_store
from stint.errors import Conflict
from stint.models import SessionBody, TagFields, TaskFields
from stint.services import sessions, tags
from stint.services.common import Caller
from stint.services.tasks import create_task

from .conftest import pool_user


def _session(caller: Caller, task_id: str, **fields: Any) -> sessions.Written:
    body = SessionBody.model_validate(
        {
            "task": {"id": task_id},
            "session": {"startTimestamp": "2026-11-22T09:30:00Z", "duration": 60, **fields},
        }
    )
    return sessions.write_session(caller, body)


def test_a_user_has_at_most_max_tags(pool: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(tags, "MAX_TAGS", 3)
    caller, _ = pool_user(pool, 1)
    create_task(caller, TaskFields(id="t", title="work"))
    made = [tags.create_tag(caller, TagFields(name=f"n{i}")).entity for i in range(2)]
    _session(caller, "t", tags=["third"])  # the third, created by a session
    with pytest.raises(Conflict, match="at most 3 tags"):
        tags.create_tag(caller, TagFields(name="fourth"))
    with pytest.raises(Conflict, match="at most 3 tags"):
        _session(caller, "t", tags=["fourth", "fifth"])
    assert _session(caller, "t", tags=["N0", "third"]).tags == []  # reused: no new tag
    tags.delete_tag(caller, made[0]["id"], if_match=None)
    assert tags.create_tag(caller, TagFields(name="fourth")).entity["name"] == "fourth"
    names, _ = tags.list_tags(caller, limit=10, next_token=None)
    assert [tag["name"] for tag in names] == ["fourth", "n1", "third"]


def test_a_session_tagged_while_the_tag_is_deleted_is_not_left_carrying_it(
    pool: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A write between the delete's query of the sessions and its commit: the delete reads
    again and takes the tag off that session too (or the write is refused: never left)."""
    caller, _ = pool_user(pool, 2)
    create_task(caller, TaskFields(id="t", title="work"))
    tag = tags.create_tag(caller, TagFields(name="doomed")).entity
    first = _session(caller, "t", tagIds=[tag["id"]]).session.entity
    real = stint_store.Store.query_all
    sneaked: list[str] = []

    def then_a_write(self: stint_store.Store, **kwargs: Any) -> Iterator[dict[str, Any]]:
        yield from real(self, **kwargs)
        if kwargs.get("prefix") == "SESSION#" and not sneaked:
            # The delete has read the sessions; another request tags one more.
            sneaked.append(_session(caller, "t", tagIds=[tag["id"]]).session.entity["id"])

    monkeypatch.setattr(stint_store.Store, "query_all", then_a_write)
    tags.delete_tag(caller, tag["id"], if_match=None)
    assert sneaked, "the write was made while the delete ran"
    for session_id in (first["id"], *sneaked):
        assert sessions.get_session(caller, session_id).entity["tagIds"] == []
    found, _ = sessions.list_sessions(
        caller, start=None, end=None, task_id=None, tag_id=tag["id"], limit=10, next_token=None
    )
    assert found == []

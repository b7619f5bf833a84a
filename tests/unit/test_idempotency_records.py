"""The records of Idempotency-Keys (stint.store.idempotency; docs/DESIGN.md, "Idempotency"): a
key's record answers until the second it expires, a record with no answer is none (the design
before left them "in_progress"), and a record is written only where no live one is."""

from __future__ import annotations

import pytest

from stint.store import IdempotencyRecords, dynamodb, to_item
from stint.store.keys import idempotency_sk

NOW = 1_800_000_000


def _put(records: IdempotencyRecords, response: str, *, now: int, expires_at: int) -> bool:
    request = records.put_request("key-1", "print", response, now=now, expires_at=expires_at)
    return records.put(request)


@pytest.mark.usefixtures("table")
def test_a_record_answers_until_the_second_it_expires() -> None:
    records = IdempotencyRecords("idem-user")
    assert records.live("key-1", now=NOW) is None
    assert _put(records, '{"statusCode": 201}', now=NOW, expires_at=NOW + 10)
    live = records.live("key-1", now=NOW + 10)
    assert live is not None
    assert (live["fingerprint"], live["response"], live["state"]) == (
        "print",
        '{"statusCode": 201}',
        "done",
    )
    assert records.live("key-1", now=NOW + 11) is None
    assert IdempotencyRecords("another-user").live("key-1", now=NOW) is None


@pytest.mark.usefixtures("table")
def test_a_record_is_written_only_where_none_is_live() -> None:
    records = IdempotencyRecords("idem-user")
    assert _put(records, "first", now=NOW, expires_at=NOW + 10)
    assert not _put(records, "second", now=NOW + 10, expires_at=NOW + 20)  # live to the second
    assert records.live("key-1", now=NOW + 10)["response"] == "first"  # type: ignore[index]
    assert _put(records, "third", now=NOW + 11, expires_at=NOW + 30)  # expired: replaced
    assert records.live("key-1", now=NOW + 11)["response"] == "third"  # type: ignore[index]


@pytest.mark.usefixtures("table")
def test_a_record_without_an_answer_is_none_and_is_replaced() -> None:
    records = IdempotencyRecords("idem-user")
    left = {"pk": records.pk, "sk": idempotency_sk("key-1"), "state": "in_progress"}
    dynamodb().put_item(TableName=records._table, Item=to_item({**left, "expiresAt": NOW + 99}))
    assert records.live("key-1", now=NOW) is None
    assert _put(records, "answer", now=NOW, expires_at=NOW + 10)
    assert records.live("key-1", now=NOW)["response"] == "answer"  # type: ignore[index]

"""The table's layout (stint.store.keys, its docstring) and the codec between values and
DynamoDB's attributes.

The layout is stored data: a deployed table holds items written by every earlier version, so
items written as the layout says must be what the store reads, whatever writes them now."""

from __future__ import annotations

import hashlib
from decimal import Decimal
from typing import Any

import pytest

from stint.errors import ValidationFailed
from stint.services.common import Caller
from stint.services.sync import sync
from stint.store import (
    BudgetMark,
    Guard,
    Put,
    PutProfile,
    Store,
    dynamodb,
    entity_of,
    from_item,
    to_item,
)
from stint.store.approvals import ApprovalStore
from stint.store.idempotency import IdempotencyRecords
from stint.store.keys import (
    alert_sk,
    attempt_sk,
    children_prefix,
    title_guard_sk,
    to_dynamo,
    user_of,
    workspace_of,
)
from stint.store.webhooks import WebhookStore
from stint.store.workspaces import WorkspaceStore, running_refs

USER = "layout-user"


def _raw_put(pk: str, sk: str, **values: Any) -> None:
    item = to_item({"pk": pk, "sk": sk, **values})
    dynamodb().put_item(TableName=Store(USER)._table, Item=item)


@pytest.mark.usefixtures("table")
def test_items_in_the_documented_layout_are_what_the_store_reads() -> None:
    pk = f"USER#{USER}"
    _raw_put(pk, "COUNTER", counter=7)
    _raw_put(pk, "PROJECT#p1", kind="project", id="p1", title="P1", seq=6)
    _raw_put(pk, "TOMB#PROJECT#p0", kind="tombstone", type="project", id="p0", seq=7)
    _raw_put(pk, "PROFILE", kind="profile", email="a@example.com", version=1)
    _raw_put(pk, "RUNNING", kind="guard", ref="s1")
    _raw_put(pk, "MEMBERSHIP#w1", kind="membership", workspaceId="w1")
    _raw_put(pk, "WEBHOOK#h1", kind="webhook", id="h1", url="https://example.com/h")
    digest = hashlib.sha256(b"key-1").hexdigest()
    _raw_put(pk, f"IDEMPOTENCY#{digest}", fingerprint="f", response="r", expiresAt=2**40)
    _raw_put("WS#w1", "WORKSPACE", kind="workspace", id="w1", name="Team", version=3)
    store = Store(USER)
    assert store.change_sequence() == 7
    assert store.get("project", "p1")["title"] == "P1"  # type: ignore[index]
    assert store.get_profile()["email"] == "a@example.com"  # type: ignore[index]
    assert store.get_guard("RUNNING") == "s1" and running_refs([USER, "nobody"]) == {USER: "s1"}
    assert WorkspaceStore.memberships(USER, limit=10, next_token=None) == (["w1"], None)
    assert WorkspaceStore.get("w1")["name"] == "Team"  # type: ignore[index]
    assert [w["id"] for w in WebhookStore(USER).webhooks()] == ["h1"]
    assert IdempotencyRecords(USER).live("key-1", now=0)["response"] == "r"  # type: ignore[index]
    changes, more = store.changes(5, 7, 10)
    assert [(r["kind"], r["id"]) for r in changes] == [("project", "p1"), ("tombstone", "p0")]
    assert not more


@pytest.mark.usefixtures("table")
def test_a_shared_workspaces_entities_are_in_its_partition() -> None:
    committed = Store(USER, "w9").commit([Put("project", {"id": "p", "title": "P"})])
    raw = dynamodb().get_item(
        TableName=Store(USER)._table,
        Key={"pk": {"S": "WS#w9"}, "sk": {"S": "PROJECT#p"}},
        ConsistentRead=True,
    )["Item"]
    record = from_item(raw)
    assert record["seq"] == committed.seq_of("project", "p") == 1
    assert record["workspaceId"] == "w9" and Store(USER).get("project", "p") is None


def test_partitions_name_their_user_or_workspace() -> None:
    assert user_of("USER#u1") == "u1" and user_of("WS#w1") is None
    assert user_of("INVITEE#a@example.com") is None
    assert workspace_of("WS#w1") == "w1" and workspace_of("USER#u1") == "u1"
    assert workspace_of("DELIVERIES#u1#h1") is None


def test_keys_that_sort_by_number_sort_as_text_too() -> None:
    def attempt(n: int) -> str:
        return attempt_sk({"attemptedAt": "2026-01-01T00:00:00Z", "id": "e", "attempt": n})

    assert attempt(9) < attempt(10) < attempt(100)
    assert alert_sk("p", "total", 80) < alert_sk("p", "total", 100)
    assert attempt(1).startswith("ATTEMPT#2026-01-01T00:00:00Z#e#")


@pytest.mark.parametrize(
    "value",
    [
        {"s": "text", "n": 5, "big": 10**30, "d": Decimal("12.30"), "f": 0.1, "neg": -7},
        {"yes": True, "no": False, "none": None, "list": [1, "a", [None]], "map": {"k": {}}},
        {"zero": 0, "small": Decimal("1E-130"), "half": Decimal("-0.5")},
    ],
)
def test_values_come_back_as_they_were_stored(value: dict[str, Any]) -> None:
    back = from_item(to_item(value))
    expected = {**value, "f": Decimal("0.1")} if "f" in value else value
    assert back == expected
    assert [type(v) for v in back.values()] == [type(v) for v in expected.values()]


OUTSIDE = "is outside the numbers that can be stored (38 digits, 1E-130 to 1E+126)"


@pytest.mark.parametrize(
    ("value", "rule"),
    [
        (Decimal("Infinity"), "must be a finite number"),
        (float("nan"), "must be a finite number"),
        (Decimal("1" * 39), OUTSIDE),
        (Decimal("1E+126"), OUTSIDE),
        (Decimal("-1E-131"), OUTSIDE),
        # Longer than Python writes an int as text (4300 digits): refused all the same.
        pytest.param(10**4301, OUTSIDE, id="int-of-4302-digits"),
        ("a \ud800 b", "is not valid UTF-8 text (a lone surrogate)"),
    ],
)
def test_a_value_dynamodb_cannot_hold_is_refused_naming_its_path(value: Any, rule: str) -> None:
    """The client reads the refusal (a 400): the field's path, and the rule it breaks."""
    with pytest.raises(ValidationFailed) as refused:
        to_item({"outer": {"list": [0, value]}})
    assert refused.value.details == [{"field": "outer.list[1]", "message": rule}]
    assert refused.value.message == f"outer.list[1]: {rule}"


def test_the_largest_numbers_dynamodb_holds_are_kept() -> None:
    for number in (Decimal("1" * 38), Decimal("9.9E+125"), Decimal("1E-130"), Decimal("1E38")):
        assert from_item(to_item({"n": number}))["n"] == number
    # Positional, never "1E+2"; a whole number comes back as an int.
    assert to_dynamo(Decimal("1E+2"), "n") == {"N": "100"}
    assert type(from_item(to_item({"n": Decimal("1E+2")}))["n"]) is int
    with pytest.raises(TypeError, match=r"^cannot store set$"):
        to_item({"s": {1, 2}})


def test_an_entity_is_its_record_without_the_items_bookkeeping() -> None:
    bookkeeping = {"pk": "USER#u", "sk": "S#s", "seq": 3, "parent": "x", "expiresAt": 1}
    stored = {**bookkeeping, "kind": "session", "start": "t", "keepRates": True, "id": "s"}
    assert entity_of(stored) == {"id": "s", "workspaceId": "u", "userId": "u"}
    task = entity_of({"pk": "USER#u", "kind": "task", "id": "t"})
    assert task == {"id": "t", "workspaceId": "u", "createdBy": "u", "assigneeId": None}
    shared = entity_of({"pk": "WS#w", "kind": "task", "id": "t", "createdBy": "m"})
    assert shared == {"id": "t", "workspaceId": "w", "createdBy": "m", "assigneeId": None}
    assert "userId" not in entity_of({"pk": "WS#w", "kind": "session", "id": "s"})
    project = entity_of({"pk": "WS#w", "kind": "project", "id": "p"})
    assert project == {"id": "p", "workspaceId": "w", "clientId": None}


@pytest.mark.usefixtures("table")
def test_a_tombstone_in_the_layout_is_a_deletion_to_sync() -> None:
    pk = f"USER#{USER}"
    _raw_put(pk, "COUNTER", counter=2)
    _raw_put(pk, "PROJECT#a", kind="project", id="a", title="A", seq=1)
    caller = Caller(user_id=USER, username=USER)
    token = sync(caller, None, 10)["syncToken"]
    _raw_put(pk, "COUNTER", counter=3)
    _raw_put(pk, "TOMB#PROJECT#b", kind="tombstone", type="project", id="b", seq=3, lastUpdated="t")
    page = sync(caller, token, 10)
    assert page["deleted"] == [{"type": "project", "id": "b", "lastUpdated": "t"}]


def test_a_title_guard_is_the_titles_normalized_spelling_in_its_scope() -> None:
    assert title_guard_sk("project", "all", " Deep  Work ") == title_guard_sk(
        "project", "all", "deep  work"
    )
    assert title_guard_sk("project", "all", "x").startswith("TITLE#PROJECT#all#")
    others = {title_guard_sk("task", "all", "x"), title_guard_sk("project", "p1", "x")}
    assert title_guard_sk("project", "all", "x") not in others
    assert title_guard_sk("project", "all", "x") != title_guard_sk("project", "all", "y")


@pytest.mark.usefixtures("table")
def test_each_item_the_store_writes_names_what_it_is() -> None:
    """Every item carries `kind`, naming what it is, whichever store writes it: the stream's
    readers (stint.dispatch, tools/backfill_streams) and sync tell an entity, an approval or a
    tombstone from bookkeeping by it, and a stored item outlives the code that wrote it."""
    user = f"USER#{USER}"
    store = Store(USER)
    store.commit([Guard("RUNNING", ref="s1", expect=None)])
    store.commit([PutProfile({"id": USER}, expect_version=None), BudgetMark("USAGE#p#total", None)])
    ApprovalStore("w1").write({"id": "a1", "userId": USER}, expect_version=None, periods=[])
    records = IdempotencyRecords(USER)
    assert records.put(records.put_request("key-1", "f", "r", now=0, expires_at=9))
    hooks = WebhookStore(USER)
    full = ValidationFailed("full")
    hooks.create({"id": "h1", "url": "https://example.com/h"}, limit=20, full=full)
    attempt = {"id": "e1", "attempt": 1, "attemptedAt": "2026-01-01T00:00:00Z"}
    hooks.log_delivery_attempt("h1", attempt, expires_at=9)
    WorkspaceStore.write({"id": "w1", "name": "Team"}, expect_version=None, joining=(USER,))
    digest = hashlib.sha256(b"key-1").hexdigest()
    expected = {
        (user, "RUNNING"): "guard",
        (user, "PROFILE"): "profile",
        (user, "USAGE#p#total"): "usage",
        ("WS#w1", f"LOCK#{USER}"): "lock",
        ("WS#w1", "APPROVAL#a1"): "approval",
        (user, f"IDEMPOTENCY#{digest}"): "idempotency",
        (user, "WEBHOOK#h1"): "webhook",
        (f"DELIVERIES#{USER}#h1", attempt_sk(attempt)): "attempt",
        ("WS#w1", "WORKSPACE"): "workspace",
        (user, "MEMBERSHIP#w1"): "membership",
    }
    found = {}
    for pk, sk in expected:
        item = dynamodb().get_item(
            TableName=store._table, Key={"pk": {"S": pk}, "sk": {"S": sk}}, ConsistentRead=True
        )["Item"]
        found[(pk, sk)] = from_item(item)["kind"]
    assert found == expected


@pytest.mark.usefixtures("table")
def test_a_shared_workspaces_items_are_on_the_catalogs_stream_or_their_members() -> None:
    start = "2026-01-01T00:00:00Z"
    session = {"id": "s1", "userId": "m1", "taskId": "t", "startTimestamp": start}
    Store(USER, "w7").commit([Put("project", {"id": "p1"}), Put("session", session)])
    streams = {
        sk: dynamodb().get_item(
            TableName=Store(USER)._table, Key={"pk": {"S": "WS#w7"}, "sk": {"S": sk}}
        )["Item"]["stream"]["S"]
        for sk in ("PROJECT#p1", "SESSION#s1")
    }
    # byStream (docs/DESIGN.md): `C#<seq>` or `U#<userId>#<seq>`, the seq zero-padded.
    assert streams == {"PROJECT#p1": "C#" + "1".zfill(15), "SESSION#s1": "U#m1#" + "2".zfill(15)}


@pytest.mark.usefixtures("table")
def test_a_parents_children_are_found_by_kind_or_all_together() -> None:
    store = Store(USER)
    start = "2026-01-01T00:00:00Z"
    store.commit(
        [
            Put("subtask", {"id": "st", "taskId": "t"}),
            Put("session", {"id": "s", "taskId": "t", "startTimestamp": start}),
            Put("session", {"id": "elsewhere", "taskId": "t2", "startTimestamp": start}),
        ]
    )
    assert [r["id"] for r in store.all_entities("session", parent=("task", "t"))] == ["s"]
    assert [r["id"] for r in store.all_entities("subtask", parent=("task", "t"))] == ["st"]
    every = store.query_all(prefix=children_prefix("task", "t"), index="byParent")
    assert sorted(r["id"] for r in every) == ["s", "st"]


@pytest.mark.usefixtures("table")
def test_a_users_own_items_are_in_their_partition_whichever_workspace_writes_them() -> None:
    """The profile and the running guard (`USER_ITEMS`) are the user's wherever they work: a
    commit in a shared workspace writes and clears them in the user's partition."""
    Store(USER, "w5").commit([Guard("RUNNING", ref="s1", expect=None)])
    Store(USER, "w5").commit([PutProfile({"email": "a@example.com"}, expect_version=None)])

    def stored(pk: str, sk: str) -> bool:
        key = {"pk": {"S": pk}, "sk": {"S": sk}}
        return "Item" in dynamodb().get_item(TableName=Store(USER)._table, Key=key)

    user = f"USER#{USER}"
    assert stored(user, "RUNNING") and stored(user, "PROFILE")
    assert not stored("WS#w5", "RUNNING") and not stored("WS#w5", "PROFILE")
    assert Store(USER, "w6").get_guard("RUNNING") == "s1"
    assert Store(USER).get_profile()["email"] == "a@example.com"  # type: ignore[index]
    Store(USER, "w6").commit([Guard("RUNNING", ref=None, expect="s1")])
    assert not stored(user, "RUNNING") and Store(USER).get_guard("RUNNING") is None

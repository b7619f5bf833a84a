"""One change per item (stint.store.merging): the changes of one unit of work that touch the
same item become one, in the place of the first, with the first's condition (it was read from
the table) and the later's effect; changes one transaction cannot hold together collide."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest

from stint.errors import Conflict, NotFound
from stint.store import Delete, Guard, Mark, Put, Require, Tally
from stint.store.keys import audience_sk
from stint.store.merging import ChangesCollide, merged
from stint.store.usage_changes import BudgetMark, Usage

TAKEN = Conflict("taken")
GONE = NotFound("gone")


def _project(title: str) -> dict[str, str]:
    return {"id": "p", "title": title}


def test_changes_of_distinct_items_are_left_as_they_are() -> None:
    changes = [Put("project", _project("a")), Put("task", {"id": "p"}), Tally("TAGS", 1)]
    assert merged(list(changes)) == changes


def test_two_writes_of_an_entity_keep_the_first_condition_and_the_last_value() -> None:
    created = Put("project", _project("one"), on_conflict=TAKEN)
    other = Tally("TAGS", 1)
    renamed = Put("project", _project("two"), expect_seq=9)
    assert merged([created, other, renamed]) == [
        Put("project", _project("two"), expect_seq=None, on_conflict=TAKEN),
        other,
    ]
    read = Put("project", _project("one"), expect_seq=4)
    assert merged([read, renamed]) == [Put("project", _project("two"), expect_seq=4)]


def test_a_deleted_entity_written_again_is_written_over_what_was_read() -> None:
    deleted = Delete("project", "p", 4, on_conflict=GONE)
    again = Put("project", _project("back"))
    assert merged([deleted, again]) == [Put("project", _project("back"), 4, on_conflict=GONE)]


def test_an_entity_written_then_deleted_is_deleted_as_read() -> None:
    written = Put("project", _project("x"), expect_seq=4, on_conflict=GONE)
    deleted = Delete("project", "p", 5)
    assert merged([written, deleted]) == [Delete("project", "p", 4, on_conflict=GONE)]
    # A session's tombstone goes on its member's stream (a shared workspace's `byStream`).
    session = Put("session", {"id": "s", "userId": "m"}, expect_seq=2)
    [change] = merged([session, Delete("session", "s", 2, owner="m")])
    assert change == Delete("session", "s", 2, owner="m") and change.stream_owner == "m"


def test_an_entity_created_then_deleted_must_still_not_exist() -> None:
    created = Put("project", _project("x"), on_conflict=TAKEN)
    merged_changes = merged([created, Delete("project", "p", -1)])
    assert merged_changes == [Guard("PROJECT#p", ref=None, expect=None, on_conflict=TAKEN)]


def test_two_takes_of_a_guard_hold_the_first_expectation_and_the_last_ref() -> None:
    first = Guard("RUNNING", ref="s1", expect="s0", on_conflict=TAKEN)
    later = Guard("RUNNING", ref="s2", expect="s1")
    assert merged([first, later]) == [Guard("RUNNING", "s2", "s0", on_conflict=TAKEN)]


def test_counts_add_up_and_marks_are_made_once() -> None:
    tallies = [Tally("TAGS", 2, limit=10), Tally("TAGS", -1), Tally("TAGS", 3)]
    assert merged(tallies) == [Tally("TAGS", 4, limit=10)]
    mark = Mark("project", "p", user_id="u1")
    assert merged([mark, Mark("project", "p", user_id="u1")]) == [mark]


def test_a_check_adds_nothing_to_a_write_of_its_item() -> None:
    write = Put("project", _project("x"), expect_seq=4)
    check = Require("project", "p", on_conflict=GONE)
    assert merged([write, check]) == [write]
    assert merged([check, write]) == [write]
    holding = Require("project", "p", holds=("categoryId", "c"))
    assert merged([check, holding]) == [holding]
    assert merged([holding, check]) == [holding]


def test_usage_additions_add_up_with_the_latest_alerts() -> None:
    first = Usage("USAGE#p#total", 60, Decimal("1.5"), version=2, alerted=[50])
    later = Usage("USAGE#p#total", 30, Decimal("0.5"))
    assert merged([first, later]) == [
        Usage("USAGE#p#total", 90, Decimal("2.0"), version=2, alerted=[50])
    ]
    alerting = Usage("USAGE#p#total", 0, Decimal(0), alerted=[50, 80])
    assert merged([first, alerting])[0].alerted == [50, 80]  # type: ignore[attr-defined]


def test_a_new_projects_recount_takes_in_its_first_sessions_usage() -> None:
    mark = BudgetMark("USAGE#p#total", None, recount=(0, Decimal(0)))
    usage = Usage("USAGE#p#total", 120, Decimal("2.25"))
    assert merged([mark, usage]) == [
        BudgetMark("USAGE#p#total", None, recount=(120, Decimal("2.25")))
    ]


@pytest.mark.parametrize(
    "changes",
    [
        [Delete("project", "p", 4), Delete("project", "p", 4)],
        [Tally("PROJECT#p", 1), Put("project", _project("x"))],
        [BudgetMark("USAGE#p#total", None), Usage("USAGE#p#total", 1, Decimal(0))],
        [
            BudgetMark("USAGE#p#total", None, recount=(0, Decimal(0))),
            Usage("USAGE#p#total", 1, Decimal(0), alerted=[50]),
        ],
        [Put("project", _project("x")), Usage("PROJECT#p", 1, Decimal(0))],
        [Mark("project", "p"), Tally(audience_sk("project", "p", None), 1)],
        [Tally(audience_sk("project", "p", None), 1), Mark("project", "p")],
    ],
)
def test_changes_one_transaction_cannot_hold_together_collide(changes: list[object]) -> None:
    first, later = (type(change).__name__ for change in changes)
    item = changes[0].item_sk  # type: ignore[attr-defined]
    # The message names both changes and the item, for the defect's log.
    with pytest.raises(ChangesCollide, match=f"^{first} then {later} of {re.escape(item)}$"):
        merged(changes)  # type: ignore[arg-type]

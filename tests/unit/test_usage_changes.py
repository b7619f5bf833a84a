"""The changes of a project's tracked work and budget (stint.store.usage_changes; docs/DESIGN.md,
"Budgets"), committed to moto: additions add up, the total's version orders every write planned
on it, a blind addition holds only while the project has no budget, and an alert is made once."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from stint.errors import Conflict
from stint.store import StaleRead, Store
from stint.store.usage_changes import BudgetMark, Once, Usage

TOTAL = "USAGE#p#total"
MONTH = "USAGE#p#2026-01"
BUDGET = {"kind": "time", "amount": 10, "period": "total", "alertAt": [80], "enforce": False}


def _item(store: Store, sk: str) -> dict[str, Any]:
    item = store.read(sk)
    assert item is not None
    return item


@pytest.mark.usefixtures("table")
def test_additions_add_up_and_the_totals_version_moves_with_each() -> None:
    store = Store("usage-user")
    store.commit([Usage(TOTAL, 60, Decimal("1.25"), version=0), Usage(MONTH, 60, Decimal("1.25"))])
    store.commit([Usage(TOTAL, 30, Decimal("0.50"), version=1)])
    total = _item(store, TOTAL)
    assert (total["seconds"], total["amount"], total["version"]) == (90, Decimal("1.75"), 2)
    assert total["kind"] == "usage"
    month = _item(store, MONTH)
    assert (month["seconds"], month["amount"]) == (60, Decimal("1.25")) and "version" not in month
    with pytest.raises(StaleRead):  # planned on version 1: someone changed it since
        store.commit([Usage(TOTAL, 5, Decimal(0), version=1)])
    with pytest.raises(StaleRead):  # planned on no item: there is one
        store.commit([Usage(TOTAL, 5, Decimal(0), version=0)])
    assert _item(store, TOTAL)["seconds"] == 90


@pytest.mark.usefixtures("table")
def test_a_blind_addition_holds_only_while_the_project_has_no_budget() -> None:
    store = Store("usage-user")
    store.commit([Usage(TOTAL, 60, Decimal(0), unbudgeted=True)])
    store.commit([Usage(TOTAL, 60, Decimal(0), unbudgeted=True)])
    assert (_item(store, TOTAL)["seconds"], _item(store, TOTAL)["version"]) == (120, 2)
    store.commit([BudgetMark(TOTAL, BUDGET)])
    assert _item(store, TOTAL)["budget"] == BUDGET and _item(store, TOTAL)["version"] == 3
    with pytest.raises(Conflict):
        store.commit([Usage(TOTAL, 1, Decimal(0), unbudgeted=True, on_conflict=Conflict("b"))])
    store.commit([BudgetMark(TOTAL, None)])  # the budget removed
    assert "budget" not in _item(store, TOTAL) and _item(store, TOTAL)["version"] == 4
    store.commit([Usage(TOTAL, 1, Decimal(0), unbudgeted=True)])
    assert _item(store, TOTAL)["seconds"] == 121


@pytest.mark.usefixtures("table")
def test_a_recount_and_an_exact_write_set_the_usage_and_alerts_are_kept() -> None:
    store = Store("usage-user")
    store.commit([Usage(MONTH, 500, Decimal("9"))])
    store.commit([Usage(MONTH, 42, Decimal("0.5"), exact=True, alerted=[80])])
    month = _item(store, MONTH)
    assert (month["seconds"], month["amount"], month["alerted"]) == (42, Decimal("0.5"), [80])
    store.commit([BudgetMark(TOTAL, BUDGET, recount=(3600, Decimal("12.5")))])
    total = _item(store, TOTAL)
    assert (total["seconds"], total["amount"], total["counted"]) == (3600, Decimal("12.5"), True)
    assert total["budget"] == BUDGET and total["version"] == 1


@pytest.mark.usefixtures("table")
def test_an_alert_is_made_once() -> None:
    store = Store("usage-user")
    alert = {"kind": "alert", "percent": 80}
    store.commit([Once("ALERT#p#total#080", alert)])
    assert _item(store, "ALERT#p#total#080")["percent"] == 80
    with pytest.raises(StaleRead):
        store.commit([Once("ALERT#p#total#080", alert)])
    with pytest.raises(Conflict):
        store.commit([Once("ALERT#p#total#080", alert, on_conflict=Conflict("made"))])

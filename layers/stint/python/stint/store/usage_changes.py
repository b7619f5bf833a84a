"""The changes of a project's tracked work and budget (docs/DESIGN.md, "Budgets"): `Usage` adds
work to a period's usage item, `BudgetMark` copies the budget onto the total usage item, and
`Once` writes an item that may exist only once (a budget alert). Like every change (`changes`),
each builds its own DynamoDB actions and says what its failed condition means.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from stint.errors import StintError
from stint.store.changes import Draft, ItemChange
from stint.store.keys import expecting, to_dynamo


@dataclass
class Usage(ItemChange):
    """Add tracked work (`seconds`, `amount`) to a project's usage item of a period (not an
    entity, no part in sync; docs/DESIGN.md, "Budgets"). On the period `total`, the item every
    write of the project's usage changes, it also moves `version`, and is conditioned: with
    `version` (as read, 0: no item yet), on nobody having changed the project's usage since;
    with `unbudgeted`, on the project still having no budget (a blind addition: additions
    commute, so it needs no read). `alerted`: the period's alerted percentages, as they become.
    """

    sk: str
    seconds: int
    amount: Decimal
    version: int | None = None
    unbudgeted: bool = False
    alerted: list[int] | None = None
    exact: bool = False  # `seconds` and `amount` are the period's, not added (a recount)
    on_conflict: StintError | None = None

    def actions(self, draft: Draft) -> None:
        names = {"#k": "kind", "#s": "seconds", "#a": "amount"}
        values: dict[str, Any] = {
            ":kind": {"S": "usage"},
            ":s": {"N": str(self.seconds)},
            ":a": to_dynamo(self.amount, "amount"),
        }
        sets, adds = ["#k = :kind"], ["#s :s", "#a :a"]
        if self.exact:
            sets, adds = [*sets, "#s = :s", "#a = :a"], []
        if self.alerted is not None:
            names["#al"] = "alerted"
            values[":al"] = to_dynamo(self.alerted, "alerted")
            sets.append("#al = :al")
        update: dict[str, Any] = {"Key": draft.key(self.sk)}
        if self.version is not None or self.unbudgeted:
            names["#v"] = "version"
            values[":one"] = {"N": "1"}
            adds.append("#v :one")
            if self.unbudgeted:
                names["#b"] = "budget"
                update["ConditionExpression"] = "attribute_not_exists(#b)"
            elif self.version:
                update["ConditionExpression"] = "#v = :old"
                values[":old"] = {"N": str(self.version)}
            else:
                update["ConditionExpression"] = "attribute_not_exists(#v)"
        added = f" ADD {', '.join(adds)}" if adds else ""
        update |= {
            "UpdateExpression": f"SET {', '.join(sets)}{added}",
            "ExpressionAttributeNames": names,
            "ExpressionAttributeValues": values,
        }
        draft.add("Update", update, self.if_condition_fails)


@dataclass
class BudgetMark(ItemChange):
    """Copy a project's budget (None: it has none) onto its total usage item, moving its
    `version`: a write of the project's usage planned on the budget as it was fails its
    condition and runs again (docs/DESIGN.md, "Budgets"). `recount`: the project's whole usage
    (seconds, amount), counted from its sessions (or zero: a new project), from which on the
    item counts every session (`counted`)."""

    sk: str
    budget: dict[str, Any] | None
    recount: tuple[int, Decimal] | None = None
    on_conflict: StintError | None = None

    def actions(self, draft: Draft) -> None:
        names = {"#k": "kind", "#v": "version", "#b": "budget"}
        values: dict[str, Any] = {":kind": {"S": "usage"}, ":one": {"N": "1"}}
        expression = "SET #k = :kind"
        if self.recount is not None:
            names |= {"#s": "seconds", "#a": "amount", "#c": "counted"}
            values |= {":s": {"N": str(self.recount[0])}, ":a": to_dynamo(self.recount[1], "a")}
            values[":yes"] = {"BOOL": True}
            expression += ", #s = :s, #a = :a, #c = :yes"
        if self.budget is not None:
            values[":b"] = to_dynamo(self.budget, "budget")
            expression += ", #b = :b ADD #v :one"
        else:
            expression += " ADD #v :one REMOVE #b"
        update = {
            "Key": draft.key(self.sk),
            "UpdateExpression": expression,
            "ExpressionAttributeNames": names,
            "ExpressionAttributeValues": values,
        }
        draft.add("Update", update, self.if_condition_fails)


@dataclass
class Once(ItemChange):
    """Write an item that must not exist yet (a budget alert: its creation is the event)."""

    sk: str
    values: dict[str, Any]
    on_conflict: StintError | None = None

    def actions(self, draft: Draft) -> None:
        put = {"Item": draft.item(self.sk, self.values), **expecting("pk", None)}
        draft.add("Put", put, self.if_condition_fails)

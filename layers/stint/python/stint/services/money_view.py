"""Money as the caller may read it (docs/API.md, "Money"): rates, amounts, costs and profits are
absent from what a member reads of a workspace whose `membersSeeRates` is off.

One rule on every answer (`hidden`, applied by the API's caller middleware to every route's
payload, sync pages included), so a route cannot forget it: each object of the answer that
names its `workspaceId` loses its money fields when the caller does not see money there. An
answer of the personal workspace only (its owner sees everything) reads nothing more.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from stint.services import access
from stint.services.common import Caller

# The fields that are money, wherever they are in an object of a workspace: a session's rates,
# amount and cost, a project's hourly rate and its members' rates, totals' amounts and profits.
MONEY_FIELDS = frozenset({"billableRate", "costRate", "hourlyRate", "amount", "cost", "profit"})


def _objects(value: Any) -> Iterator[dict[str, Any]]:
    """The objects of an answer that name the workspace they belong to."""
    if isinstance(value, dict):
        if isinstance(value.get("workspaceId"), str):
            yield value
            return
        for item in value.values():
            yield from _objects(item)
    elif isinstance(value, list):
        for item in value:
            yield from _objects(item)


# A `workspaceId` member of a JSON text (one inside a string is escaped, `\"`, and not matched).
_WORKSPACE_ID = re.compile(r'"workspaceId":\s*"([^"\\]*)"')


def names_shared(caller: Caller, text: str) -> bool:
    """Whether a JSON answer may hold an object of a shared workspace (else it is read as is,
    unparsed: an answer of the personal workspace only)."""
    return any(i != caller.user_id for i in _WORKSPACE_ID.findall(text))


def without_money(value: Any) -> Any:
    """`value` with every money field taken out, at any depth."""
    if isinstance(value, dict):
        return {k: without_money(v) for k, v in value.items() if k not in MONEY_FIELDS}
    if isinstance(value, list):
        return [without_money(item) for item in value]
    return value


def _holds_money(value: Any) -> bool:
    """Whether `value` has a money field, at any depth (else `without_money` leaves it as it
    is)."""
    if isinstance(value, dict):
        return any(k in MONEY_FIELDS or _holds_money(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_holds_money(item) for item in value)
    return False


def hidden(caller: Caller, payload: Any) -> Any:
    """The answer `payload` as `caller` may read it. Only the workspaces of objects that hold
    money are asked about (an invitation names its workspace, and holds none)."""
    shared = {o["workspaceId"] for o in _objects(payload) if _holds_money(o)} - {caller.user_id}
    blind = access.blind_to_money(caller, shared) if shared else set()
    return _hide(payload, blind) if blind else payload


def _hide(value: Any, blind: set[str]) -> Any:
    if isinstance(value, dict):
        if value.get("workspaceId") in blind:
            return without_money(value)
        return {k: _hide(v, blind) for k, v in value.items()}
    if isinstance(value, list):
        return [_hide(item, blind) for item in value]
    return value

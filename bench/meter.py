"""What DynamoDB calls cost: calls, items, and capacity units by DynamoDB's rules.

Shared by every benchmark. A `Meter` is attached to a boto3 DynamoDB client's events (see
`metered`) and counts, for every call made while attached:

- `calls` (and `by_operation`): round trips;
- `items`: items read (Query: its ScannedCount, i.e. what DynamoDB charged for, before any
  filter; GetItem / BatchGetItem: items returned) and `returned` (items handed back);
- `rcu` / `wcu`: capacity units **by DynamoDB's rules**, computed from the items' sizes:
  a strongly consistent read costs 1 unit per 4 KB (a Query page is summed, then rounded up
  once; GetItem and every BatchGetItem item rounded up on their own); a write 1 unit per 1 KB
  (PutItem / UpdateItem / DeleteItem), doubled for every action of a TransactWriteItems. For a
  Put the size is the item sent; for Update / Delete / ConditionCheck (whose item is not in the
  request) 1 KB is assumed, which holds for every Stint item but a team of many members;
- `rcu_needed`: the read units had every item been read once and nothing been read that was
  then dropped (Query pages count only the items they returned, an item read again is free):
  the capacity the same answer needs at the least, given the items it needs;
- `moto_capacity`: the `ConsumedCapacity` moto reports (ReturnConsumedCapacity=TOTAL is added
  to every call). moto answers a flat figure per call or item, not DynamoDB's: printed beside
  ours only to show that it is not the figure to read.

Every read Stint makes is strongly consistent, so reads are priced as such (eventually
consistent reads would cost half).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

READS = ("Query", "GetItem", "BatchGetItem", "Scan")
WRITES = ("PutItem", "UpdateItem", "DeleteItem", "TransactWriteItems", "BatchWriteItem")
_CONSUMED = (*READS, *WRITES, "TransactGetItems")


def item_size(item: dict[str, Any]) -> int:
    """An item's size as DynamoDB counts it (approximately): attribute names plus values."""
    return sum(len(name.encode()) + value_size(value) for name, value in item.items())


def value_size(value: dict[str, Any]) -> int:
    ((tag, data),) = value.items()
    if tag == "S":
        return len(data.encode())
    if tag == "N":
        return (len(data.strip("-").replace(".", "").lstrip("0")) + 1) // 2 + 1
    if tag == "M":
        return 3 + item_size(data)
    if tag == "L":
        return 3 + sum(1 + value_size(v) for v in data)
    return 1  # BOOL, NULL


def read_units(size: int) -> int:
    """Strongly consistent read units of `size` bytes (at least 1)."""
    return max(1, -(-size // 4096))


def write_units(size: int) -> int:
    """Write units of an item of `size` bytes (at least 1)."""
    return max(1, -(-size // 1024))


@dataclass
class Meter:
    """What the DynamoDB calls made while it is attached cost."""

    calls: int = 0
    items: int = 0  # items DynamoDB read (and charged for)
    returned: int = 0  # items it handed back (a Query's Count; GetItem's item)
    rcu: int = 0  # read units, by DynamoDB's rule
    wcu: int = 0  # write units, by DynamoDB's rule
    moto_capacity: float = 0.0  # as moto reports it
    # Read units had every item been read once and nothing filtered out (see `after`).
    rcu_needed: int = 0
    by_operation: Counter[str] = field(default_factory=Counter)
    # `rcu` by operation, a Query's by its index too (`Query bySeq`)
    rcu_by_operation: Counter[str] = field(default_factory=Counter)
    _seen: set[tuple[str, str]] = field(default_factory=set, repr=False)

    def before(
        self, params: dict[str, Any], model: Any, context: dict[str, Any] | None = None, **_: Any
    ) -> None:
        if context is not None:
            context["meter_index"] = params.get("IndexName")
        if model.name in _CONSUMED:
            params["ReturnConsumedCapacity"] = "TOTAL"
        if model.name in WRITES:
            self.wcu += _write_cost(model.name, params)

    def after(
        self,
        parsed: dict[str, Any],
        model: Any,
        context: dict[str, Any] | None = None,
        **_: Any,
    ) -> None:
        self.calls += 1
        self.by_operation[model.name] += 1
        rcu_before = self.rcu
        if model.name in ("Query", "Scan"):
            self.items += int(parsed.get("ScannedCount", 0))
            self.returned += int(parsed.get("Count", 0))
            self.rcu += read_units(sum(map(item_size, parsed.get("Items", []))))
            items = parsed.get("Items", [])
            new = self._new(items)
            # An empty page is needed (it is how absence is learnt); a page that brought only
            # items read before was not; one that brought new ones costs those.
            if new or not items:
                self.rcu_needed += read_units(sum(map(item_size, new)))
        elif model.name == "GetItem":
            item = parsed.get("Item")
            self.items += 1 if item else 0
            self.returned += 1 if item else 0
            self.rcu += read_units(item_size(item or {}))
            # A miss is needed (it is how absence is learnt); an item read again is not.
            if not item or self._new([item]):
                self.rcu_needed += read_units(item_size(item or {}))
        elif model.name == "BatchGetItem":
            found = [i for items in parsed.get("Responses", {}).values() for i in items]
            self.items += len(found)
            self.returned += len(found)
            # Each item rounded up to 4 KB on its own.
            self.rcu += sum(read_units(item_size(i)) for i in found)
            self.rcu_needed += sum(read_units(item_size(i)) for i in self._new(found))
        if self.rcu > rcu_before:
            index = (context or {}).get("meter_index")
            self.rcu_by_operation[f"{model.name} {index}" if index else model.name] += (
                self.rcu - rcu_before
            )
        consumed = parsed.get("ConsumedCapacity") or []
        for entry in consumed if isinstance(consumed, list) else [consumed]:
            self.moto_capacity += float(entry.get("CapacityUnits", 0))

    def _new(self, items: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """The items not read before while attached (by table key)."""
        new = []
        for item in items:
            key = (str(item.get("pk")), str(item.get("sk")))
            if key not in self._seen:
                self._seen.add(key)
                new.append(item)
        return new

    def operations(self) -> str:
        """`GetItem, Query x2`: the calls made, by operation."""
        return ", ".join(
            f"{name}{f' x{count}' if count > 1 else ''}"
            for name, count in sorted(self.by_operation.items())
        )


def _write_cost(operation: str, params: dict[str, Any]) -> int:
    if operation == "PutItem":
        return write_units(item_size(params.get("Item", {})))
    if operation in ("UpdateItem", "DeleteItem"):
        return 1  # the item is not in the request: assumed under 1 KB
    if operation == "BatchWriteItem":
        requests = [r for rs in params.get("RequestItems", {}).values() for r in rs]
        return sum(
            write_units(item_size(r["PutRequest"]["Item"])) if "PutRequest" in r else 1
            for r in requests
        )
    # TransactWriteItems: every action costs twice a plain write.
    total = 0
    for action in params.get("TransactItems", []):
        (kind, body), *_ = action.items()
        total += 2 * (write_units(item_size(body["Item"])) if kind == "Put" else 1)
    return total


@contextmanager
def metered(client: Any) -> Iterator[Meter]:
    """Count the DynamoDB calls `client` makes inside the block."""
    meter = Meter()
    events = client.meta.events
    events.register("provide-client-params.dynamodb", meter.before)
    events.register("after-call.dynamodb", meter.after)
    try:
        yield meter
    finally:
        events.unregister("provide-client-params.dynamodb", meter.before)
        events.unregister("after-call.dynamodb", meter.after)

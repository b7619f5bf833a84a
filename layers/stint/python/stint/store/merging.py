"""One change per item: a transaction touches an item once, so the changes of one unit of work
that touch the same item are merged into one (`merged`), or collide (`ChangesCollide`).
"""

from __future__ import annotations

import dataclasses

from stint.store.changes import Change, Delete, Guard, Mark, Put, Require, Tally
from stint.store.usage_changes import BudgetMark, Usage


class ChangesCollide(Exception):
    """Two changes of one item that one transaction cannot hold (e.g. a delete, then a check)."""


def merged(changes: list[Change]) -> list[Change]:
    """One change per item, as a transaction must touch an item once: several changes of one
    item (a session stopped by the next start, the running guard taken over twice, a task
    reused) as one, in the place of the first. Changes of distinct items are left as they are.
    """
    out: list[Change] = []
    where: dict[str, int] = {}
    for change in changes:
        sk = change.item_sk
        if sk not in where:
            where[sk] = len(out)
            out.append(change)
        else:
            out[where[sk]] = _combined(out[where[sk]], change)
    return out


def _combined(first: Change, later: Change) -> Change:
    """Both changes of one item as one: the first's condition (it was read from the table),
    the later's effect."""
    if isinstance(first, Require) or isinstance(later, Require):
        return _with_require(first, later)
    if isinstance(first, Put | Delete) and isinstance(later, Put):
        expect = first.expect_seq
        return Put(later.kind, later.entity, expect_seq=expect, on_conflict=first.on_conflict)
    if isinstance(first, Put) and isinstance(later, Delete):
        if first.expect_seq is None:  # created, then deleted: it must not have existed
            return Guard(first.item_sk, ref=None, expect=None, on_conflict=first.on_conflict)
        return Delete(
            later.kind,
            later.entity_id,
            first.expect_seq,
            on_conflict=first.on_conflict,
            owner=later.owner,
        )
    if isinstance(first, Guard) and isinstance(later, Guard):
        return Guard(first.sk, ref=later.ref, expect=first.expect, on_conflict=first.on_conflict)
    if isinstance(first, Mark) and isinstance(later, Mark):
        return first
    if isinstance(first, Tally) and isinstance(later, Tally):
        return dataclasses.replace(first, delta=first.delta + later.delta)
    if isinstance(later, Usage) and (usage := _with_usage(first, later)) is not None:
        return usage
    raise ChangesCollide(f"{type(first).__name__} then {type(later).__name__} of {first.item_sk}")


def _with_require(first: Change, later: Change) -> Change:
    """A change and a check of the same item: the check adds nothing to a write (the write's own
    condition checks more); of two checks, the one that checks more."""
    if isinstance(first, Require) and isinstance(later, Require) and first.holds is None:
        return later
    return first if isinstance(later, Require) else later


def _with_usage(first: Change, later: Usage) -> Change | None:
    """A usage addition after another change of its item, as one (None: they collide)."""
    if isinstance(first, Usage):
        alerted = first.alerted if later.alerted is None else later.alerted
        seconds, amount = first.seconds + later.seconds, first.amount + later.amount
        return dataclasses.replace(first, seconds=seconds, amount=amount, alerted=alerted)
    if isinstance(first, BudgetMark) and first.recount is not None and later.alerted is None:
        # A new project's first session (a title made the project).
        seconds, amount = first.recount
        return dataclasses.replace(first, recount=(seconds + later.seconds, amount + later.amount))
    return None

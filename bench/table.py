"""The one table `make bench` prints: each figure, its baseline, their ratio, the goal."""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass
from pathlib import Path


@dataclass(frozen=True)
class Figure:
    """One measured figure beside its baseline from the same run.

    `goal` is the bound on `value / baseline`: `("<=", 1.3)` or `(">=", 1.0)`; None when the
    figure is informative only (no goal).
    """

    name: str
    value: float
    baseline: float
    unit: str
    goal: tuple[str, float] | None = None
    baseline_name: str = ""

    @property
    def ratio(self) -> float:
        if self.baseline == 0:
            return 1.0 if self.value == 0 else math.inf
        return self.value / self.baseline

    @property
    def met(self) -> bool | None:
        if self.goal is None:
            return None
        sign, bound = self.goal
        # Ratios are printed with 2 decimals; compare what is printed.
        ratio = round(self.ratio, 2)
        return ratio <= bound if sign == "<=" else ratio >= bound


def number(value: float, unit: str) -> str:
    """A figure's value as the table writes it: thousands separated, its unit after it."""
    if unit in ("ms", "MB", "req/s", "s"):
        return f"{value:,.1f} {unit}"
    if value == int(value):
        return f"{int(value):,} {unit}".rstrip()
    return f"{value:,.2f} {unit}".rstrip()


def goal_text(figure: Figure) -> str:
    return f"{figure.goal[0]} {figure.goal[1]:g}x" if figure.goal else "-"


def met_text(figure: Figure) -> str:
    return {True: "met", False: "NOT MET", None: ""}[figure.met]


def render(figures: list[Figure]) -> str:
    """A plain-text table, one line per figure, and a closing count of goals met."""
    header = ("figure", "value", "baseline", "ratio", "goal", "")
    rows = [header]
    for figure in figures:
        baseline = number(figure.baseline, figure.unit)
        if figure.baseline_name:
            baseline = f"{baseline} ({figure.baseline_name})"
        rows.append(
            (
                figure.name,
                number(figure.value, figure.unit),
                baseline,
                f"{figure.ratio:.2f}x",
                goal_text(figure),
                met_text(figure),
            )
        )
    widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
    aligns = ("<", ">", "<", ">", "<", "<")
    lines = []
    for n, row in enumerate(rows):
        cells = [
            f"{cell:{align}{width}}" for cell, align, width in zip(row, aligns, widths, strict=True)
        ]
        lines.append("  ".join(cells).rstrip())
        if n == 0:
            lines.append("  ".join("-" * width for width in widths))
    with_goal = [f for f in figures if f.met is not None]
    met = sum(1 for f in with_goal if f.met)
    lines.append(f"goals met: {met} of {len(with_goal)}")
    return "\n".join(lines)


def write_json(figures: list[Figure], path: str | None) -> None:
    """Hand a benchmark's figures to `python -m bench` (which runs each in its own process)."""
    if path:
        rows = [asdict(figure) for figure in figures]
        Path(path).write_text(json.dumps(rows), encoding="utf-8")


def read_json(path: Path) -> list[Figure]:
    rows = json.loads(path.read_text(encoding="utf-8"))
    return [Figure(**{**row, "goal": tuple(row["goal"]) if row["goal"] else None}) for row in rows]

"""What the benchmarks share: timing, and the rows of the summary table of ``run_all.py``.

Every figure is measured against a baseline in the same run on the same machine, so the
ratio is meaningful even where the absolute time is not (a busy machine slows both).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

__all__ = ["Row", "best_of", "print_table"]


def best_of(func: Callable[[], object], repeat: int) -> float:
    """The best (least disturbed) wall time of ``repeat`` calls, in seconds."""
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        func()
        times.append(time.perf_counter() - start)
    return min(times)


@dataclass(frozen=True)
class Row:
    """One line of the table: a figure and its baseline, either an alternative (how many
    times faster kamxl is) or a floor (how many times the floor kamxl costs)."""

    figure: str
    value: str
    baseline: str
    baseline_value: str
    ratio: float  # alternative / kamxl, or kamxl / floor (or kamxl / an alternative it costs)
    target: str = ""
    met: bool | None = None  # None: no target
    floor: bool = False
    better: str = "faster"  # what a ratio above 1 means ("faster", "the fresh build")

    @property
    def ratio_text(self) -> str:
        number = f"{self.ratio:,.1f}" if self.ratio < 100 else f"{self.ratio:,.0f}"
        if self.floor:
            return f"{number}x the floor"
        return f"{number}x {self.better}"

    @property
    def verdict(self) -> str:
        if self.met is None:
            return ""
        return "met" if self.met else "NOT met"


def seconds(value: float) -> str:
    return f"{value * 1e3:.1f} ms" if value < 1 else f"{value:.2f} s"


def print_table(rows: Sequence[Row], *, markdown: bool = False) -> None:
    headers = ("figure", "kamxl", "baseline", "baseline", "ratio", "target")
    cells = [
        (
            r.figure,
            r.value,
            r.baseline,
            r.baseline_value,
            r.ratio_text,
            f"{r.target} ({r.verdict})" if r.target else "",
        )
        for r in rows
    ]
    if markdown:
        print("| " + " | ".join(headers) + " |")
        print("|" + "---|" * len(headers))
        for line in cells:
            print("| " + " | ".join(line) + " |")
        return
    widths = [max(len(h), *(len(c[i]) for c in cells)) for i, h in enumerate(headers)]
    print("  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True)))
    print("  ".join("-" * w for w in widths))
    for line in cells:
        print("  ".join(c.ljust(w) for c, w in zip(line, widths, strict=True)))

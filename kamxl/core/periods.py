"""Reporting periods: quarters (``2026-Q3``) and months (``2026-07``).

A period is text in the workbook; these functions parse it, order periods and step between
them, so that "the current quarter", "the previous quarter" and "the next two quarters" mean
the same thing in the recalc, the checks and the decks.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = ["Period", "parse_period"]

_PERIOD = re.compile(r"^\s*(\d{4})\s*-\s*(?:[Qq]([1-4])|(0?[1-9]|1[0-2]))\s*$")


@dataclass(frozen=True, order=True, slots=True)
class Period:
    """A quarter or a month. Ordered by the last month they cover, then quarters first."""

    end_month: int  # year * 12 + month index (0-11) of the period's last month
    is_month: bool
    year: int
    number: int  # quarter 1-4 or month 1-12

    @property
    def text(self) -> str:
        """The canonical text: ``2026-Q3`` or ``2026-07``."""
        return f"{self.year}-{self.number:02d}" if self.is_month else f"{self.year}-Q{self.number}"

    def __str__(self) -> str:
        return self.text

    def shift(self, steps: int) -> Period:
        """The period ``steps`` quarters (or months) later; negative steps go back."""
        per_year = 12 if self.is_month else 4
        index = self.year * per_year + self.number - 1 + steps
        return _make(index // per_year, index % per_year + 1, self.is_month)

    def previous(self) -> Period:
        return self.shift(-1)


def _make(year: int, number: int, is_month: bool) -> Period:
    last_month = number if is_month else number * 3
    return Period(year * 12 + last_month - 1, is_month, year, number)


def parse_period(text: object) -> Period | None:
    """The period written in ``text`` (``2026-Q3``, ``2026-q3``, ``2026-07``), else ``None``."""
    if not isinstance(text, str):
        return None
    match = _PERIOD.match(text)
    if match is None:
        return None
    year = int(match.group(1))
    if match.group(2):
        return _make(year, int(match.group(2)), is_month=False)
    return _make(year, int(match.group(3)), is_month=True)

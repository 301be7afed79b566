"""Per-row results of the vectorised functions.

A function computed over many accounts at once cannot raise for one bad account: it returns
a :class:`RowResults`, the value of each row plus the Excel error code of each row
(:data:`~kamxl.errors.NO_ERROR` where the row is fine). ``KAM_SCORES`` spills it as a column,
``KAM_SCORE`` takes its only row with :meth:`RowResults.scalar`, and the headless recalc
writes it into a workbook column.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from kamxl.errors import NO_ERROR, error_text, formula_error

__all__ = ["RowResults", "first_code"]


def first_code(*checks: tuple[np.ndarray, int]) -> np.ndarray:
    """Per-row error codes from ``(mask, code)`` checks listed from highest precedence down.

    A row gets the code of the first check whose mask is true for it, else ``NO_ERROR``.
    """
    if not checks:
        raise ValueError("first_code needs at least one check")
    codes = np.zeros(np.shape(checks[0][0]), dtype=np.int8)
    for mask, code in reversed(checks):
        codes[mask] = code
    return codes


@dataclass(frozen=True, slots=True)
class RowResults:
    """The values of a vectorised function and the Excel error code of each row."""

    values: np.ndarray
    errors: np.ndarray

    def __post_init__(self) -> None:
        if self.values.shape != self.errors.shape:
            raise ValueError("values and errors must have the same shape")

    def __len__(self) -> int:
        return len(self.values)

    @property
    def ok(self) -> np.ndarray:
        """True for the rows that have a value."""
        return self.errors == NO_ERROR

    def with_row_errors(self, codes: np.ndarray) -> RowResults:
        """These results with ``codes`` taking precedence wherever they are set.

        Used to give rows whose cells could not even be converted (incoming errors, text)
        their conversion error over whatever the computation found.
        """
        merged = np.where(codes != NO_ERROR, codes, self.errors).astype(np.int8)
        return RowResults(self.values, merged)

    def scalar(self) -> Any:
        """The value of a one-row result, raising the row's error as a kamxl exception."""
        if len(self) != 1:
            raise ValueError(f"scalar() needs one row, got {len(self)}")
        code = int(self.errors[0])
        if code != NO_ERROR:
            raise formula_error(code)
        return _plain(self.values[0])

    def to_list(self) -> list[Any]:
        """Each row's value, or its Excel error text, as plain Python values."""
        return [row[0] for row in self.to_column()]

    def to_column(self) -> list[list[Any]]:
        """The results as an n x 1 column of plain Python values (what Excel spills)."""
        column = self.values.reshape(-1, 1).tolist()
        for i in np.flatnonzero(self.errors).tolist():
            column[i][0] = error_text(int(self.errors[i]))
        return column


def _plain(value: Any) -> Any:
    """A numpy scalar as the equivalent Python value (what Excel and xlwings expect)."""
    return value.item() if isinstance(value, np.generic) else value

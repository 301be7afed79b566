"""What reading a workbook gives: typed sheets, settings, and every problem found.

:class:`KamWorkbook` is the typed model of a standard KAM workbook: one pandas DataFrame per
sheet (canonical English column names, plus ``_row``, the Excel row of each record), the
:class:`Settings` with their defaults, and :attr:`KamWorkbook.problems` -- every problem of
the workbook at once, each naming file, sheet, cell, value and what was expected.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from kamxl.core.rows import RowResults
from kamxl.errors import WorkbookInvalidError
from kamxl.workbook import schema

__all__ = [
    "NO_VALUE",
    "KamWorkbook",
    "Problem",
    "Settings",
    "Severity",
    "SheetData",
    "column_letter",
]


def column_letter(index: int) -> str:
    """The letters of a 0-based column index: 0 -> A, 26 -> AA."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


class Severity(StrEnum):
    ERROR = "error"  # the workbook breaks the contract: fix it
    WARNING = "warning"  # tolerated, but probably not what the author meant


class _NoValue:
    """Marks a problem that is not about one cell's value (a missing sheet or column)."""

    def __repr__(self) -> str:
        return "NO_VALUE"


NO_VALUE: Any = _NoValue()


def _show(value: Any) -> str:
    if isinstance(value, str):
        text = value if len(value) <= 60 else value[:57] + "..."
        return repr(text)
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, date):
        return value.isoformat()
    return repr(value) if value is not None else "blank"


@dataclass(frozen=True, slots=True)
class Problem:
    """One problem of a workbook, located as precisely as possible."""

    file: str
    sheet: str | None
    cell: str | None
    value: Any
    expected: str
    severity: Severity = Severity.ERROR

    @property
    def is_error(self) -> bool:
        return self.severity is Severity.ERROR

    @property
    def where(self) -> str:
        if self.sheet and self.cell:
            return f"{self.sheet}!{self.cell}"
        return self.sheet or ""

    def __str__(self) -> str:
        place = f"{self.file} {self.where}".strip()
        found = "" if self.value is NO_VALUE else f"{_show(self.value)}: "
        return f"{place}: {self.severity.value}: {found}{self.expected}"


@dataclass(frozen=True, slots=True)
class Settings:
    """The Settings sheet, typed, with the defaults of :data:`schema.SETTINGS`."""

    company: str = ""
    currency: str = "EUR"
    period: str | None = None
    previous_period: str | None = None
    language: str = "en"
    scale_min: float = 1.0
    scale_max: float = 5.0
    tier_thresholds: tuple[float, ...] = (70.0, 40.0)
    tier_labels: tuple[str, ...] = ("A", "B", "C")
    cut_attractiveness: float = 50.0
    cut_strength: float = 50.0
    red_max: float = 50.0
    amber_max: float = 75.0
    freshness_half_life_days: float = 90.0
    w_adoption: float = 0.3
    w_engagement: float = 0.3
    w_satisfaction: float = 0.2
    w_risk: float = 0.2
    as_of: date | None = None

    @property
    def health_weights(self) -> np.ndarray:
        """Weights of adoption, engagement, satisfaction and risk, in that order."""
        return np.array([self.w_adoption, self.w_engagement, self.w_satisfaction, self.w_risk])


@dataclass(slots=True)
class SheetData:
    """One sheet as read: the frame, where each column is, and the cell error codes."""

    name: str  # canonical sheet name
    title: str | None  # the sheet's name in the file (None when missing)
    frame: pd.DataFrame  # canonical columns + "_row"
    letters: dict[str, str] = field(default_factory=dict)  # column -> its letters in the file
    headers: dict[str, str] = field(default_factory=dict)  # column -> header as written
    #: Per column, the Excel error code of each row whose cell failed the check (``#VALUE!``
    #: for text in a number cell or a value not in its list, the error itself for an error
    #: cell, ``#NUM!`` for a number out of its range, ``#N/A`` for a blank required cell or a
    #: missing required column, ``#VALUE!`` for a duplicate or unknown ``account_id``). Every
    #: cell-level error of :attr:`KamWorkbook.problems` has its code here: it makes the
    #: headless recalc give an error where Excel would, and marks the inputs no figure may
    #: be computed from (:mod:`kamxl.workbook.validity`). Only columns with a bad cell appear.
    codes: dict[str, np.ndarray] = field(default_factory=dict)
    extra_columns: tuple[str, ...] = ()
    #: Computed columns as saved in the file (cached formula results, errors as
    #: :class:`~kamxl.workbook.reader.ExcelErrorCell`), row by row.
    cached: dict[str, list[Any]] = field(default_factory=dict)

    @property
    def present(self) -> bool:
        return self.title is not None

    def cell(self, column: str, row: int) -> str:
        """The address of ``column`` in Excel row ``row`` (``"F7"``)."""
        return f"{self.letters.get(column, '?')}{row}"

    def error_codes(self, column: str) -> np.ndarray:
        """Excel error codes of ``column`` row by row (0 where the cell was read)."""
        codes = self.codes.get(column)
        return codes if codes is not None else np.zeros(len(self.frame), dtype=np.int8)


@dataclass(slots=True)
class KamWorkbook:
    """A standard KAM workbook, read and typed."""

    path: Path
    settings: Settings
    sheets: dict[str, SheetData]
    problems: list[Problem]
    criteria_columns: tuple[str, ...] = ()  # criterion ids that have a column in Ratings
    cached_by_excel: bool = True  # False when the cached results were written by a library
    #: kamxl's results for the computed columns of Accounts (filled by the reader).
    computed: dict[str, RowResults] = field(default_factory=dict)
    #: Settings whose cell failed the check: key -> its address (``"Settings!B7"``). A figure
    #: that uses one of them is not computed (no default stands in for a bad setting).
    bad_settings: dict[str, str] = field(default_factory=dict)
    #: :class:`~kamxl.workbook.validity.BadInputs` of this workbook, made once when first
    #: asked for (by :func:`~kamxl.workbook.validity.bad_inputs`).
    validity: Any = field(default=None, repr=False, compare=False)

    def __getitem__(self, sheet: str) -> pd.DataFrame:
        """The frame of ``sheet`` (canonical name)."""
        return self.sheets[sheet].frame

    @property
    def accounts(self) -> pd.DataFrame:
        return self["Accounts"]

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.is_error]

    @property
    def is_valid(self) -> bool:
        return not self.errors

    def require_valid(self) -> None:
        """Raise :class:`~kamxl.errors.WorkbookInvalidError` listing every error when the
        workbook fails the check: the rule of every command that shows figures (summary,
        decks, batch, the ribbon) unless asked to keep going."""
        if self.errors:
            raise WorkbookInvalidError(self.path, self.problems)

    @property
    def period(self) -> str | None:
        return self.settings.period

    def criteria(self) -> pd.DataFrame:
        """The criteria that rate accounts (those with a Ratings column), in Criteria order."""
        frame = self["Criteria"]
        return frame[frame["criterion_id"].isin(self.criteria_columns)]

    def sheet_def(self, name: str) -> schema.SheetDef:
        return schema.sheet_def(name)

"""Which figures rest on bad input cells: a figure comes from valid inputs or not at all.

The reader gives every cell that fails the check an Excel error code
(:attr:`~kamxl.workbook.model.SheetData.codes`) and records the bad settings
(:attr:`~kamxl.workbook.model.KamWorkbook.bad_settings`). :class:`BadInputs` answers, for
any figure, "which bad cells is it computed from?": when the answer is not empty the figure
is not computed -- it is shown as missing, naming those cells -- and every other figure is
exactly what the corrected workbook would give.

What a figure rests on is the cells it reads, and the cells that decide which rows it
reads. A figure over the rows of a sheet selected by key columns (an account, a period, an
outcome...) rests on the value cells of the rows it selects, and on every row whose key
cell is bad, since that row may be one of them: a bad ``account_id`` in Surveys may be an
answer of any account. Sheets of one row per account (Ratings, Handshake) are looked up as
Excel's XLOOKUP does: a row with a bad ``account_id`` may only be the row of an account
that has no row of its own.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np

from kamxl.workbook import schema
from kamxl.workbook.compute import CRITERIA_INPUTS, HEALTH_COMPONENTS, ROW_INPUTS
from kamxl.workbook.model import KamWorkbook, SheetData
from kamxl.workbook.sheetxml import column_index

__all__ = ["BadCells", "BadInputs", "bad_inputs", "describe"]

#: Bad cells, as addresses like ``"Accounts!I4"``, in sheet and row order.
BadCells = tuple[str, ...]
#: A bad cell as sorted: sheet order, Excel row, column number, address.
_Cell = tuple[int, int, int, str]
_ADDRESS = re.compile(r"^(?P<title>.*)!(?P<letters>[A-Z]+)(?P<row>[0-9]+)$")

#: Computed columns of Accounts whose figures count the cells they are computed from.
_COMPUTED = frozenset(schema.COMPUTED_COLUMNS)
#: How many cells a note names before it counts the others.
NAMED_CELLS = 5


def describe(cells: Sequence[str], limit: int = NAMED_CELLS) -> str:
    """The cells as a note names them: ``Accounts!I4, Ratings!C7 and 3 more``."""
    shown = ", ".join(cells[:limit])
    more = len(cells) - limit
    return f"{shown} and {more} more" if more > 0 else shown


def bad_inputs(book: KamWorkbook) -> BadInputs:
    """The :class:`BadInputs` of ``book``, made once (once the workbook is read)."""
    if book.validity is None:
        book.validity = BadInputs(book)
    return book.validity


@dataclass(slots=True)
class _Taint:
    """The bad cells behind a computed column: for every row, and for some rows only."""

    every_row: set[_Cell] = field(default_factory=set)
    rows: dict[int, set[_Cell]] = field(default_factory=dict)

    def add(self, position: int, cells: Iterable[_Cell]) -> None:
        cells = set(cells)
        if cells:
            self.rows.setdefault(position, set()).update(cells)

    def union(self, *others: _Taint) -> _Taint:
        out = _Taint(set(self.every_row), {i: set(c) for i, c in self.rows.items()})
        for other in others:
            out.every_row |= other.every_row
            for i, cells in other.rows.items():
                out.add(i, cells)
        return out


class BadInputs:
    """The bad input cells of a workbook, asked figure by figure (see the module docs)."""

    def __init__(self, book: KamWorkbook) -> None:
        self.book = book
        self._order = {sheet.name: i for i, sheet in enumerate(schema.SHEETS)}
        self._titles = {
            (data.title or name): self._order.get(name, len(self._order))
            for name, data in book.sheets.items()
        }

    @cached_property
    def none(self) -> bool:
        """Whether every cell and setting passed the check (then no figure rests on a bad
        one, and nothing needs to be traced)."""
        return not self.book.bad_settings and not any(d.codes for d in self.book.sheets.values())

    # --- plain cells ---

    def bad(self, sheet: str, column: str) -> np.ndarray:
        """Per row of ``sheet``, whether its cell in ``column`` failed the check."""
        data = self.book.sheets[sheet]
        codes = data.codes.get(column)
        if codes is None:
            return np.zeros(len(data.frame), dtype=bool)
        return codes != 0

    def cells(self, sheet: str, columns: Iterable[str], rows: np.ndarray | None = None) -> BadCells:
        """The bad cells among ``columns`` of ``sheet`` at ``rows`` (a boolean mask over the
        sheet's rows; None for every row). Computed columns of Accounts count the cells they
        are computed from."""
        return _addresses(self._cells(sheet, columns, rows))

    def _cells(self, sheet: str, columns: Iterable[str], rows: np.ndarray | None) -> set[_Cell]:
        data = self.book.sheets[sheet]
        n = len(data.frame)
        chosen = np.ones(n, dtype=bool) if rows is None else np.asarray(rows, dtype=bool)
        found: set[_Cell] = set()
        for column in dict.fromkeys(columns):
            if sheet == "Accounts" and column in _COMPUTED:
                found |= self._computed_cells(column, chosen)
                continue
            for i in np.flatnonzero(self.bad(sheet, column) & chosen).tolist():
                found.add(self._cell(data, column, i))
        return found

    def settings(self, *keys: str) -> BadCells:
        """The cells of the bad settings among ``keys``."""
        return _addresses(self._settings(keys))

    def _settings(self, keys: Iterable[str]) -> set[_Cell]:
        bad = self.book.bad_settings
        return {self._setting_cell(bad[k]) for k in keys if k in bad}

    # --- rows selected by keys ---

    def possible(self, sheet: str, keys: Mapping[str, np.ndarray | None]) -> np.ndarray:
        """The rows of ``sheet`` that match every key, or may match it (its cell is bad).

        ``keys``: column -> boolean mask of the rows whose cell matches (None: any valid
        cell matches, e.g. an ``account_id`` for a figure of the whole portfolio)."""
        n = len(self.book.sheets[sheet].frame)
        possible = np.ones(n, dtype=bool)
        for column, match in keys.items():
            bad = self.bad(sheet, column)
            possible &= bad | (np.ones(n, dtype=bool) if match is None else np.asarray(match))
        return possible

    def surely(self, sheet: str, keys: Mapping[str, np.ndarray | None]) -> np.ndarray:
        """The rows of ``sheet`` that match every key with a valid cell."""
        n = len(self.book.sheets[sheet].frame)
        sure = np.ones(n, dtype=bool)
        for column, match in keys.items():
            sure &= ~self.bad(sheet, column)
            if match is not None:
                sure &= np.asarray(match, dtype=bool)
        return sure

    def selection(
        self, sheet: str, keys: Mapping[str, np.ndarray | None], values: Iterable[str] = ()
    ) -> BadCells:
        """The bad cells behind a figure over the rows of ``sheet`` that ``keys`` select,
        computed from their ``values`` columns: the key and value cells of every row it
        selects or may select."""
        return self.cells(sheet, [*keys, *values], self.possible(sheet, keys))

    def uncertain(self, sheet: str, keys: Mapping[str, np.ndarray | None]) -> BadCells:
        """The bad key cells of the rows that may or may not be selected: a list of the
        rows ``keys`` select is incomplete when this is not empty."""
        return self.cells(sheet, keys, self.possible(sheet, keys) & ~self.surely(sheet, keys))

    # --- computed columns of Accounts ---

    def computed(self, column: str, position: int) -> BadCells:
        """The bad cells behind the computed ``column`` of the account at frame
        ``position`` of Accounts."""
        taint = self._taints[column]
        return _addresses(taint.every_row | taint.rows.get(position, set()))

    def at(self, sheet: str, columns: Iterable[str], position: int) -> BadCells:
        """The bad cells among ``columns`` of the row at frame ``position`` of ``sheet``."""
        data = self.book.sheets[sheet]
        found: set[_Cell] = set()
        for column in dict.fromkeys(columns):
            if sheet == "Accounts" and column in _COMPUTED:
                taint = self._taints[column]
                found |= taint.every_row | taint.rows.get(position, set())
            elif column in data.codes and data.codes[column][position]:
                found.add(self._cell(data, column, position))
        return _addresses(found)

    def _computed_cells(self, column: str, rows: np.ndarray) -> set[_Cell]:
        taint = self._taints[column]
        cells = set(taint.every_row) if rows.any() else set()
        for i in np.flatnonzero(rows).tolist():
            cells |= taint.rows.get(i, set())
        return cells

    @cached_property
    def _taints(self) -> dict[str, _Taint]:
        """The bad cells behind each computed column of Accounts, as compute.py computes it."""
        if self.none:
            return {name: _Taint() for name in schema.COMPUTED_COLUMNS}
        accounts = self.book.sheets["Accounts"]
        own_id = self._per_row(accounts, ["account_id"])
        rated = self._rated(accounts).union(own_id)
        health = self._health(accounts).union(own_id)
        rows = {
            **{name: self._per_row(accounts, cells) for name, cells in ROW_INPUTS.items()},
            "health": health,
            "rag": health,
            **{name: rated for name in schema.COMPUTED_FROM_CRITERIA},
        }
        return {
            name: rows[name].union(_Taint(self._settings(keys)))
            for name, keys in schema.COMPUTED_SETTINGS.items()
        }

    def _per_row(self, data: SheetData, columns: Sequence[str]) -> _Taint:
        """Each row's own bad cells among ``columns``."""
        taint = _Taint()
        for column in columns:
            for i in np.flatnonzero(self.bad(data.name, column)).tolist():
                taint.add(i, [self._cell(data, column, i)])
        return taint

    def _rated(self, accounts: SheetData) -> _Taint:
        """Scores: the account's Ratings row (looked up), and every Criteria cell."""
        columns = ["account_id", *self.book.criteria_columns]
        taint = self._looked_up(accounts, "Ratings", columns)
        taint.every_row |= self._cells("Criteria", CRITERIA_INPUTS, None)
        return taint

    def _looked_up(self, accounts: SheetData, sheet: str, columns: Sequence[str]) -> _Taint:
        """The bad cells of each account's row of a one-row-per-account sheet; an account
        without a row of its own may have any row whose ``account_id`` is bad."""
        data = self.book.sheets[sheet]
        ids = data.frame["account_id"]
        first = {}
        for i, value in enumerate(ids.tolist()):
            if value is not None and value not in first:
                first[value] = i
        stray = self._cells(sheet, ["account_id"], None)
        row_cells = self._per_row(data, columns)
        taint = _Taint()
        for position, account in enumerate(accounts.frame["account_id"].tolist()):
            row = first.get(account)
            taint.add(position, stray if row is None else row_cells.rows.get(row, set()))
        return taint

    def _health(self, accounts: SheetData) -> _Taint:
        """Health: every Health row that is, or may be, the account's row of the period."""
        frame = self.book["Health"]
        period = frame["period"] == self.book.settings.period
        return self._by_account(
            accounts, "Health", ["account_id", "period", *HEALTH_COMPONENTS], {"period": period}
        )

    def _by_account(
        self,
        accounts: SheetData,
        sheet: str,
        columns: Sequence[str],
        keys: Mapping[str, np.ndarray],
    ) -> _Taint:
        """Per account, the bad ``columns`` cells of the rows of ``sheet`` that are, or may
        be, its rows selected by ``keys`` (besides the account): a row with a bad
        ``account_id`` counts for every account."""
        data = self.book.sheets[sheet]
        possible = self.possible(sheet, keys)
        row_cells = self._per_row(data, columns)
        id_bad = self.bad(sheet, "account_id")
        ids = data.frame["account_id"].tolist()
        every: set[_Cell] = set()
        by_id: dict[object, set[_Cell]] = {}
        for row, cells in row_cells.rows.items():
            if not possible[row]:
                continue
            if id_bad[row]:
                every |= cells
            else:
                by_id.setdefault(ids[row], set()).update(cells)
        taint = _Taint(every)
        for position, account in enumerate(accounts.frame["account_id"].tolist()):
            taint.add(position, by_id.get(account, set()))
        return taint

    # --- addresses ---

    def _cell(self, data: SheetData, column: str, position: int) -> _Cell:
        row = int(data.frame["_row"].iloc[position])
        letters = data.letters.get(column)
        title = data.title or data.name
        order = self._order.get(data.name, len(self._order))
        if letters is None:
            return (order, row, -1, f"{title}!{column}{row} (column {column} missing)")
        return (order, row, column_index(letters), f"{title}!{letters}{row}")

    def _setting_cell(self, address: str) -> _Cell:
        match = _ADDRESS.match(address)
        if match is None:
            return (-1, 0, 0, address)
        order = self._titles.get(match["title"], -1)
        return (order, int(match["row"]), column_index(match["letters"]), address)


def _addresses(cells: Iterable[_Cell]) -> BadCells:
    return tuple(cell[3] for cell in sorted(set(cells)))

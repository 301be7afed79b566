"""Reading a standard KAM workbook into a typed :class:`~kamxl.workbook.model.KamWorkbook`.

The cell values come from python-calamine (a Rust reader, many times faster than openpyxl).
Calamine reads error cells as empty text, so the sheet XML is also scanned for the cells
whose type is ``e`` (error): kamxl reports ``#N/A`` in a revenue cell as what it is, never as
a blank. The same scan finds the formula cells whose saved result cannot be trusted (none
saved, or saved by a program that does not calculate formulas) and the merged cells; the
formulas of the Accounts sheet are read on demand, to compare Excel's cached results with
kamxl's.

A data sheet's rows are those of its Excel Table (``tbl<Sheet>``) when it has one: the
header row is the table's first row, and its totals row (Excel's *Total Row*) is never data.
Rows below the table, totals rows typed by hand and merged cells are reported (the rules are
in docs/workbook.md, "What people do to workbooks").

Reading never stops at the first problem: every cell that is not what the contract expects
becomes a :class:`~kamxl.workbook.model.Problem` naming the file, the sheet, the cell, the
value and what was expected. Only a file that is not a workbook at all (or not a safe one)
raises.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta
from itertools import compress, pairwise
from operator import itemgetter
from pathlib import Path
from typing import Any, Final, Protocol

import numpy as np
import pandas as pd
import python_calamine

from kamxl.core.cells import date_serial_to_day
from kamxl.core.periods import parse_period
from kamxl.core.words import normalise_word
from kamxl.errors import (
    DIV0,
    NA,
    NUM,
    VALUE,
    NotAWorkbookError,
    UnsafeFileError,
    error_code,
    is_error_text,
)
from kamxl.workbook import schema
from kamxl.workbook.compute import fill_computed
from kamxl.workbook.formulas import uses_kam_functions
from kamxl.workbook.model import (
    NO_VALUE,
    KamWorkbook,
    Problem,
    Settings,
    Severity,
    SheetData,
    column_letter,
)
from kamxl.workbook.package import Package, Table, data_table
from kamxl.workbook.schema import Column, Kind, SheetDef, header_key
from kamxl.workbook.sheetxml import (
    EXCEL_COLUMNS,
    EXCEL_ROWS,
    column_index,
    formula_cells,
    scan_sheet,
    sheet_extent,
)

__all__ = [
    "CellRange",
    "ExcelErrorCell",
    "FileGrids",
    "GridSource",
    "SheetLayout",
    "UncalculatedFormula",
    "kam_formulas",
    "read_grids",
    "read_workbook",
]

_EPOCH: Final = date(1899, 12, 30)
_LAST_SERIAL: Final = 2_958_465  # 9999-12-31
_FIRST_DAY: Final = (pd.Timestamp.min + pd.Timedelta(days=1)).date()
_LAST_DAY: Final = pd.Timestamp.max.date()
#: Required columns whose cells may be blank: revenue of a future period is a forecast only
#: (checked against the current period once Settings are read).
_BLANK_ALLOWED: Final = {("Revenue", "revenue")}
_FAST_NUMBERS: Final = frozenset({float, int})
#: Problems listed per sheet, column and kind of problem; the others of the same kind are
#: counted in one more problem, so that a sheet of a million bad cells gives a readable
#: report (docs/security.md).
MAX_LISTED_PER_KIND: Final = 100
_DIGITS: Final = re.compile(r"[0-9]+")
_CURRENCY_CODE: Final = re.compile(r"[A-Z]{3}")
#: How far apart two amounts of the same figure may be and still agree (rounding to cents).
_SAME_AMOUNT: Final = 0.005
_LETTERS: Final = re.compile(r"^[A-Z]+")


@dataclass(frozen=True, slots=True)
class ExcelErrorCell:
    """A cell holding an Excel error (``#N/A``), as found in the sheet XML."""

    text: str

    def __str__(self) -> str:
        return self.text


@dataclass(frozen=True, slots=True)
class UncalculatedFormula:
    """A formula cell whose saved result cannot be trusted: none was saved (``saved`` is
    ``""``), or the file says its results were never calculated (``saved`` is what the
    writing program put there, XlsxWriter's 0). Its value is unknown to kamxl."""

    formula: str
    saved: Any = ""

    @property
    def result_saved(self) -> bool:
        return not (isinstance(self.saved, str) and self.saved == "")

    def __str__(self) -> str:
        return f"={self.formula}"


#: A range of cells: first row, first column, last row, last column (rows 1-based,
#: columns 0-based, as :func:`~kamxl.workbook.package.range_bounds` gives them).
CellRange = tuple[int, int, int, int]


@dataclass(frozen=True, slots=True)
class SheetLayout:
    """What a sheet's cells do not say: its Excel Tables and its merged ranges."""

    tables: tuple[Table, ...] = ()
    merged: tuple[CellRange, ...] = ()


# --- formulas of the computed columns -------------------------------------------------


def kam_formulas(book: KamWorkbook) -> dict[str, dict[int, str]]:
    """Per computed column of Accounts, the Excel row and formula of each cell holding a
    KAM_* formula (read from the file on demand: only ``check`` needs them)."""
    accounts = book.sheets["Accounts"]
    if not accounts.present:
        return {}
    columns = {
        column_index(accounts.letters[name]): name
        for name in schema.COMPUTED_COLUMNS
        if name in accounts.letters
    }
    with Package.open(book.path) as package:
        part = package.sheet_parts()[accounts.title]
        cells = formula_cells(package.stream(part), set(columns))
    uses: dict[str, bool] = {}
    found: dict[str, dict[int, str]] = {}
    for (r, c), formula in cells.items():
        if uses.setdefault(formula, uses_kam_functions(formula)):
            found.setdefault(columns[c], {})[r + 1] = formula
    return found


# --- the reading --------------------------------------------------------------------------


class GridSource(Protocol):
    """Where a workbook's cells come from: a saved file, or a workbook open in Excel.

    Each sheet is given as rows of cells from A1: ``""`` for an empty cell, an
    :class:`ExcelErrorCell` for an error cell, else the value (text, number, bool, date).
    """

    path: Path

    def titles(self) -> list[str]:
        """The worksheet names, in workbook order."""
        ...

    def rows(self, title: str) -> list[list[Any]]:
        """The cells of worksheet ``title``."""
        ...

    def cached_by_excel(self) -> bool:
        """Whether saved formula results are Excel's (False when a library wrote the file
        and asked Excel to recalculate on opening)."""
        ...


def _layout_of(source: GridSource, title: str) -> SheetLayout:
    """The tables and merged cells of a sheet, from a source that knows them (a saved
    file); none from one that does not (a workbook open in Excel gives values only)."""
    layout = getattr(source, "layout", None)
    return layout(title) if layout is not None else SheetLayout()


class FileGrids:
    """The cells of a saved workbook: python-calamine, plus what the sheet XML says that
    calamine does not (error cells, which it reads as blanks; formulas without a trusted
    result, which it reads as blanks or zeros; merged cells; the sheet's tables)."""

    def __init__(self, path: Path, package: Package, calamine: Any) -> None:
        self.path = path
        self.package = package
        self.calamine = calamine
        self.parts = package.sheet_parts()
        self._merged: dict[str, tuple[CellRange, ...]] = {}
        self._tables: dict[str, tuple[Table, ...]] = {}
        self._calculated = self.cached_by_excel()

    def titles(self) -> list[str]:
        return list(self.parts)

    def rows(self, title: str) -> list[list[Any]]:
        # kamxl's own scan first: it inflates the sheet through Package's bounded reader
        # (size, CRC and DTD checks) and bounds its grid, so calamine only ever reads a
        # part that passed those checks.
        part = self.parts[title]
        tables = self._tables[title] = tuple(self.package.tables(part))
        scan = scan_sheet(
            self.package.stream(part),
            every_formula=not self._calculated,
            formula_columns_skipped=_computed_letters(title, tables),
        )
        if scan.cells > self.package.limits.sheet_cells:
            self._check_extent(title, *sheet_extent(self.package.stream(part)))
        try:
            sheet = self.calamine.get_sheet_by_name(title)
            rows = sheet.to_python(skip_empty_area=False)
        except python_calamine.CalamineError as error:
            raise NotAWorkbookError(self.path, f"sheet {title} cannot be read: {error}") from None
        self._merged[title] = tuple(
            (top + 1, left, bottom + 1, right)
            for (top, left), (bottom, right) in sheet.merged_cell_ranges or ()
        )
        for (r, c), (formula, saved) in scan.formulas.items():
            if r < len(rows) and c < len(rows[r]):
                rows[r][c] = UncalculatedFormula(formula, rows[r][c] if saved else "")
        for (r, c), text in scan.errors.items():
            if r < len(rows) and c < len(rows[r]):
                rows[r][c] = ExcelErrorCell(text)
        return rows

    def layout(self, title: str) -> SheetLayout:
        """The sheet's tables and merged ranges (after :meth:`rows`, which scans them)."""
        return SheetLayout(self._tables.get(title, ()), self._merged.get(title, ()))

    def _check_extent(self, title: str, rows: int, columns: int) -> None:
        """Refuse a sheet that reaches beyond Excel's grid, or whose grid (read densely, from
        A1 to its last cell) exceeds :attr:`Limits.sheet_cells`."""
        letters = column_letter(max(columns, 1) - 1)
        if rows > EXCEL_ROWS or columns > EXCEL_COLUMNS:
            raise NotAWorkbookError(
                self.path,
                f"is damaged: sheet {title} has a cell beyond Excel's last cell XFD1048576 "
                f"(it reaches row {rows:,} and column {letters})",
            )
        limit = self.package.limits.sheet_cells
        if rows * columns > limit:
            raise UnsafeFileError(
                self.path,
                f"sheet {title} reaches row {rows:,} and column {letters} ({columns:,} "
                f"columns): {rows * columns:,} cells from A1 to {letters}{rows}, over kamxl's "
                f"limit of {limit:,} cells per sheet; delete the rows and columns beyond the "
                "table",
            )

    def cached_by_excel(self) -> bool:
        return not self.package.full_calc_on_load()


def _computed_letters(title: str, tables: Sequence[Table]) -> frozenset[bytes]:
    """The letters of the computed columns of a standard sheet's table (their formulas'
    results are kamxl's to compute, never input: the scan leaves them out)."""
    sheet = next((d for d in schema.SHEETS if header_key(d.name) == header_key(title)), None)
    table = data_table(tables, sheet.table) if sheet is not None else None
    if sheet is None or table is None:
        return frozenset()
    aliases = schema.header_aliases(sheet)
    computed = {c.name for c in sheet.columns if c.computed}
    return frozenset(
        column_letter(table.first_column + i).encode("ascii")
        for i, name in enumerate(table.columns)
        if aliases.get(header_key(name)) in computed
    )


def read_workbook(path: Path | str, *, as_of: date | None = None) -> KamWorkbook:
    """Read a standard KAM workbook; see the module docs.

    The computed columns of Accounts are computed by kamxl from the data
    (:func:`~kamxl.workbook.compute.compute_accounts`, plan freshness as of ``as_of``, the
    workbook's ``as_of`` setting or today), not taken from the cached results in the file.

    Raises :class:`~kamxl.errors.NotAWorkbookError` or :class:`~kamxl.errors.UnsafeFileError`
    when the file cannot be read at all; everything else is in ``problems``.
    """
    path = Path(path)
    with Package.open(path) as package:
        # Every part has passed kamxl's checks (sizes, CRC, DTD) before calamine opens the
        # file; the sheets the reader reads are checked one by one as they are read, by
        # FileGrids.rows, to inflate them once less.
        read = _read_sheet_parts(package.sheet_parts())
        package.verify(name for name in package.names if name not in read)
        try:
            calamine = python_calamine.CalamineWorkbook.from_path(str(path))
        except python_calamine.PasswordError:
            raise NotAWorkbookError(path, "is password-protected") from None
        except (python_calamine.CalamineError, OSError, ValueError) as error:
            raise NotAWorkbookError(path, f"cannot be read as a workbook: {error}") from None
        try:
            return read_grids(FileGrids(path, package, calamine), as_of=as_of)
        finally:
            calamine.close()


def _read_sheet_parts(parts: dict[str, str]) -> set[str]:
    """The parts of the sheets the reader reads: the standard sheets and Lists, found by
    name as :meth:`_Reader.grid` finds them."""
    wanted = {header_key(sheet.name) for sheet in schema.SHEETS} | {header_key("Lists")}
    first: dict[str, str] = {}
    for title, part in parts.items():
        first.setdefault(header_key(title), part)
    return {part for key, part in first.items() if key in wanted}


def read_grids(source: GridSource, *, as_of: date | None = None) -> KamWorkbook:
    """Read a standard KAM workbook from any :class:`GridSource` (a file, or a workbook open
    in Excel), with the same checks and the same computed columns."""
    book = _Reader(source).read()
    book.computed = fill_computed(book, as_of)
    return book


@dataclass
class _Grid:
    """A sheet's cells from A1, errors restored, and where its data lies.

    ``top`` is the grid index of the header row; the data rows are ``rows[top + 1:end]``;
    the rows from ``below`` on lie below the sheet's table (None without a table: every
    row after the header is data). ``merged`` are the sheet's merged ranges.
    """

    title: str
    rows: list[list[Any]]
    top: int = 0
    end: int | None = None
    below: int | None = None
    table: Table | None = None
    merged: tuple[CellRange, ...] = ()

    @property
    def header(self) -> list[Any]:
        return self.rows[self.top] if self.top < len(self.rows) else []

    @property
    def body(self) -> list[list[Any]]:
        return self.rows[self.top + 1 : self.end]


@dataclass
class _Reader:
    source: GridSource
    problems: list[Problem] = field(default_factory=list)
    list_values: dict[str, dict[str, str]] = field(default_factory=dict)
    aliases: dict[str, dict[str, str]] = field(default_factory=dict)
    settings_title: str = "Settings"
    #: settings whose cell failed the check: key -> address (KamWorkbook.bad_settings)
    bad_settings: dict[str, str] = field(default_factory=dict)
    #: per kind of problem (sheet, column, severity, message without its numbers): how
    #: many were found, and the first one past the listed ones.
    kinds: dict[tuple[Any, ...], list[Any]] = field(default_factory=dict)

    @property
    def path(self) -> Path:
        return self.source.path

    # --- problems ---

    def problem(
        self,
        sheet: str | None,
        cell: str | None,
        value: Any,
        expected: str,
        severity: Severity = Severity.ERROR,
    ) -> None:
        shown = str(value) if isinstance(value, (ExcelErrorCell, UncalculatedFormula)) else value
        letters = _LETTERS.match(cell) if cell else None
        key = (sheet, letters.group(0) if letters else None, severity, _DIGITS.sub("#", expected))
        problem = Problem(self.path.name, sheet, cell, shown, expected, severity)
        seen = self.kinds.setdefault(key, [0, None])
        seen[0] += 1
        if seen[0] <= MAX_LISTED_PER_KIND:
            self.problems.append(problem)
        elif seen[1] is None:
            seen[1] = problem  # the first one not listed stands for the others

    def _count_unlisted(self) -> None:
        """The first problem of each kind past :data:`MAX_LISTED_PER_KIND`, telling how many
        more there are (it keeps its cell, so a recalc is not blocked by it)."""
        for (_, letters, _, _), (count, first) in self.kinds.items():
            if first is None:
                continue
            where = f" in column {letters}" if letters else ""
            self.problems.append(
                replace(
                    first,
                    expected=f"{first.expected} (and {count - MAX_LISTED_PER_KIND - 1:,} more "
                    f"like it{where}: kamxl lists {MAX_LISTED_PER_KIND} problems of a kind "
                    "per column)",
                )
            )

    def setting_problem(self, key: str, cell: str, value: Any, expected: str) -> None:
        """A setting that fails the check: an error, and no figure computed from it."""
        self.problem(self.settings_title, cell or None, value, expected)
        self.bad_settings.setdefault(key, f"{self.settings_title}!{cell}" if cell else key)

    # --- sheets ---

    def grid(self, name: str) -> _Grid | None:
        """The sheet called ``name`` (compared as headers are), bounded by its table."""
        titles: dict[str, str] = {}
        for title in self.source.titles():
            titles.setdefault(header_key(title), title)
        title = titles.get(header_key(name))
        if title is None:
            return None
        rows = self.source.rows(title)
        layout = _layout_of(self.source, title)
        grid = _Grid(title, rows, merged=layout.merged)
        table = data_table(layout.tables, f"tbl{name}")
        if table is None:
            return grid
        if table.header_row is None:
            self.problem(
                title,
                None,
                NO_VALUE,
                f"table {table.name} ({table.ref}) has its header row switched off: switch it "
                "on (Table Design > Header Row) so that kamxl finds the columns (read as "
                "if row 1 held the headers)",
            )
            return grid
        grid.table = table
        grid.top = table.first_row - 1
        grid.end = table.last_data_row
        grid.below = table.last_row
        return grid

    def read(self) -> KamWorkbook:
        self._read_lists()
        sheets: dict[str, SheetData] = {}
        settings_grid = self.grid("Settings")
        raw_settings = self._raw_settings(settings_grid)
        scale = self._scale(raw_settings)
        criteria = self.read_sheet(schema.sheet_def("Criteria"))
        sheets["Criteria"] = criteria
        criterion_ids = self._criterion_ids(criteria)
        for sheet in schema.SHEETS:
            if sheet.name in ("Settings", "Criteria"):
                continue
            if sheet.name == "Ratings":
                sheets[sheet.name] = self.read_sheet(
                    sheet, extra=[_rating_column(c, scale) for c in criterion_ids]
                )
            else:
                sheets[sheet.name] = self.read_sheet(sheet)
        sheets["Settings"] = self._settings_sheet(settings_grid, raw_settings)
        settings = self._settings(raw_settings, sheets["Revenue"].frame)
        criteria_columns = self._check_criteria(sheets, criterion_ids)
        self._check_criteria_weights(sheets["Criteria"])
        self._check_keys(sheets, settings)
        self._check_revenue_totals(sheets, settings)
        self._count_unlisted()
        book = KamWorkbook(
            self.path,
            settings,
            sheets,
            self.problems,
            criteria_columns=criteria_columns,
            bad_settings=dict(self.bad_settings),
        )
        book.cached_by_excel = self.source.cached_by_excel()
        return book

    # --- Lists: extra list values and header aliases of this workbook ---

    def _read_lists(self) -> None:
        for name, definition in schema.LISTS.items():
            table = {normalise_word(v): v for v in definition.values}
            for code, label in zip(definition.values, definition.french, strict=True):
                table.setdefault(normalise_word(label), code)
            self.list_values[name] = table
        for sheet in schema.SHEETS:
            self.aliases[sheet.name] = schema.header_aliases(sheet)
        grid = self.grid("Lists")
        if grid is None or not grid.rows:
            return
        header = [header_key(h) if isinstance(h, str) else "" for h in grid.rows[0]]
        body = grid.rows[1:]
        for j, key in enumerate(header):
            if key in self.list_values:
                for row in body:
                    value = row[j] if j < len(row) else ""
                    if isinstance(value, str) and value.strip():
                        self.list_values[key].setdefault(normalise_word(value), value.strip())
        if {"sheet", "column", "alias"} <= set(header):
            s, c, a = header.index("sheet"), header.index("column"), header.index("alias")
            for row in body:
                sheet_name, column, alias = (
                    (row[s], row[c], row[a]) if len(row) > max(s, c, a) else ("", "", "")
                )
                sheet_key = {header_key(d.name): d.name for d in schema.SHEETS}.get(
                    header_key(sheet_name)
                )
                if sheet_key and isinstance(alias, str) and alias.strip():
                    canonical = self.aliases[sheet_key].get(header_key(column))
                    if canonical:
                        self.aliases[sheet_key].setdefault(header_key(alias), canonical)

    # --- a data sheet ---

    def read_sheet(self, sheet: SheetDef, extra: Sequence[Column] = ()) -> SheetData:
        columns = [*sheet.columns, *extra]
        grid = self.grid(sheet.name)
        if grid is None:
            severity = Severity.ERROR if sheet.name in schema.REQUIRED_SHEETS else Severity.WARNING
            consequence = "" if severity is Severity.ERROR else " (read as empty)"
            self.problem(
                sheet.name, None, NO_VALUE, f"sheet {sheet.name} is missing{consequence}", severity
            )
            return _empty_sheet(sheet.name, columns)
        header = grid.header
        header_row = grid.top + 1  # its Excel row
        aliases = dict(self.aliases[sheet.name])
        for col in extra:
            aliases[header_key(col.name)] = col.name
        positions: dict[str, int] = {}
        headers: dict[str, str] = {}
        extras: list[str] = []
        twice: set[str] = set()  # columns whose header appears twice: which one is meant?
        for j, text in enumerate(header):
            if isinstance(text, ExcelErrorCell) or not str(text).strip():
                continue
            canonical = aliases.get(header_key(text))
            if canonical is None:
                extras.append(str(text))
            elif canonical in positions:
                self.problem(
                    grid.title,
                    f"{column_letter(j)}{header_row}",
                    text,
                    f"column {canonical} appears twice "
                    f"(also in {column_letter(positions[canonical])}{header_row})",
                )
                twice.add(canonical)
            else:
                positions[canonical] = j
                headers[canonical] = str(text)
        for col in columns:
            if col.required and col.name not in positions:
                self.problem(grid.title, None, NO_VALUE, f"required column {col.name} is missing")
        key = positions.get(sheet.columns[0].name) if sheet.columns[0].required else None
        body = grid.body
        widths = set(map(len, body))
        width = max(widths, default=0)
        if len(widths) > 1:  # calamine's rows are rectangular; other sources may not be
            body = [row + [""] * (width - len(row)) for row in body]
        # Rows wholly blank (most of a sheet whose last cell lies far below its table) are
        # left out before the columns are built: a row is a candidate when one of its cells
        # is not "" (calamine reads an empty cell as "").
        candidates = np.fromiter(
            (i for i, row in enumerate(body) if row.count("") != width), dtype=np.int64
        )
        some = body if len(candidates) == len(body) else [body[i] for i in candidates.tolist()]
        table = list(zip(*some, strict=True)) if some else [()] * width
        # A row is filled when one of its input cells is; computed columns hold formula
        # results, not input, and do not count.
        filled_some = np.zeros(len(some), dtype=bool)
        inputs = set(range(width)) - {
            positions[c.name] for c in columns if c.computed and c.name in positions
        }
        for j in inputs:
            filled_some |= np.asarray(table[j], dtype=object) != ""
        filled = np.zeros(len(body), dtype=bool)
        filled[candidates[filled_some]] = True
        last = int(np.flatnonzero(filled)[-1]) + 1 if filled.any() else 0
        blank = np.flatnonzero(~filled[:last])
        for run in np.split(blank, np.flatnonzero(np.diff(blank) != 1) + 1) if blank.size else []:
            first, final = int(run[0]) + header_row + 1, int(run[-1]) + header_row + 1
            self.problem(
                grid.title,
                f"A{first}",
                NO_VALUE,
                f"row {first} is blank inside the table (skipped)"
                if first == final
                else f"rows {first} to {final} are blank inside the table "
                f"({final - first + 1:,} rows, skipped)",
                Severity.WARNING,
            )
        kept = np.flatnonzero(filled_some)  # indexes in ``some``
        known = set(positions.values())
        # Totals rows typed by hand: only rows whose key is blank or starts like a totals
        # label are looked at (one regular-expression match per row).
        keys = table[key] if key is not None and key < len(table) else ("",) * len(some)
        maybe = _maybe_totals(keys)
        totals = [i for i in maybe if filled_some[i] and _typed_totals(some[i], key, known)]
        for i in totals:
            self._typed_totals_problem(grid, int(candidates[i]) + header_row + 1, some[i], key)
        if totals:
            kept = np.setdiff1d(kept, totals)
        records = (candidates[kept] + grid.top + 1).tolist()  # grid row indexes
        every_row = len(kept) == len(some)

        def values_of(j: int) -> list[Any]:
            column = table[j] if j < len(table) else ("",) * len(some)
            return list(column) if every_row else [column[i] for i in kept.tolist()]

        data: dict[str, Any] = {}
        codes: dict[str, np.ndarray] = {}
        cached: dict[str, list[Any]] = {}
        merged = self._merged_cells(grid, records, columns, positions)
        for col in columns:
            j = positions.get(col.name)
            if j is None or col.computed:
                data[col.name] = _blank_column(col, len(records))
                if j is not None:  # formula results as saved: compared, never validated
                    cached[col.name] = [_as_saved(v) for v in values_of(j)]
                continue
            converter = _Converter(self, grid.title, column_letter(j), col, records)
            data[col.name], column_codes = converter.convert(values_of(j))
            if col.name in merged:  # reported once for the range: no other message
                column_codes = np.where(merged[col.name], VALUE, _or_zeros(column_codes, records))
            if col.required and (sheet.name, col.name) not in _BLANK_ALLOWED:
                column_codes = self._require(
                    grid.title, column_letter(j), col, data[col.name], column_codes, records
                )
            if column_codes is not None:
                codes[col.name] = column_codes
        for col in columns:  # no cell of these columns can be trusted
            if col.computed:
                continue
            if col.name in twice or (col.required and col.name not in positions):
                codes[col.name] = np.full(len(records), VALUE if col.name in twice else NA, np.int8)
        data["_row"] = np.array([i + 1 for i in records], dtype=np.int64)
        frame = pd.DataFrame(data)
        letters = {name: column_letter(j) for name, j in positions.items()}
        read = SheetData(
            sheet.name, grid.title, frame, letters, headers, codes, tuple(extras), cached
        )
        self._rows_below(grid, key, known)
        return read

    def _typed_totals_problem(
        self, grid: _Grid, row: int, cells: list[Any], key: int | None
    ) -> None:
        """A totals row typed in the data (not Excel's Total Row): left out, with a warning."""
        label, j = _totals_label(cells, key)
        self.problem(
            grid.title,
            f"{column_letter(j)}{row}",
            label,
            f"row {row} is a totals row typed in the table: not read (totals are not "
            "records; kamxl adds up the rows itself). Use Excel's Total Row (Table Design > "
            "Total Row) to show totals in the sheet",
            Severity.WARNING,
        )

    def _rows_below(self, grid: _Grid, key: int | None, known: set[int]) -> None:
        """Report the filled rows below the sheet's table: Excel's formulas on the table do
        not see them, and neither does kamxl. One holding a key (an ``account_id``) is an
        error, as it looks like a record left out of the table; any other (a note, a
        total typed below) a warning."""
        if grid.below is None or grid.table is None:
            return
        table = grid.table
        for i in range(grid.below, len(grid.rows)):
            cells = grid.rows[i]
            if cells.count("") == len(cells):
                continue
            row = i + 1
            where = f"row {row} is below the table {table.name} ({table.ref})"
            value = cells[key] if key is not None and key < len(cells) else ""
            if _typed_totals(cells, key, known):
                label, j = _totals_label(cells, key)
                self.problem(
                    grid.title,
                    f"{column_letter(j)}{row}",
                    label,
                    f"{where}: a totals row typed below the table, not read (totals are "
                    "not records)",
                    Severity.WARNING,
                )
            elif not _blank(value):
                self.problem(
                    grid.title,
                    f"{column_letter(key or 0)}{row}",
                    value,
                    f"{where} and is not read: if it is a record, resize the table to take "
                    "it in (Table Design > Resize Table), else move it out of the sheet",
                )
            else:
                j = next(j for j, v in enumerate(cells) if v != "")
                self.problem(
                    grid.title,
                    f"{column_letter(j)}{row}",
                    cells[j],
                    f"{where}: not read",
                    Severity.WARNING,
                )

    def _merged_cells(
        self,
        grid: _Grid,
        records: list[int],
        columns: Sequence[Column],
        positions: dict[str, int],
    ) -> dict[str, np.ndarray]:
        """Merged cells across data rows or over the columns of a record are an error: the
        value shows in every cell of the range but is saved in its first cell only, and
        kamxl cannot tell whether it belongs to each row or to all of them together (Excel
        Tables refuse merged cells). Returns, per input column, the records whose cell lies
        in such a range (each gets ``#VALUE!``). A merge in the header row only is a
        warning: the columns after its first have no header of their own."""
        header_row = grid.top + 1
        last_row = grid.end if grid.end is not None else len(grid.rows)
        inputs = {
            positions[c.name]: c.name for c in columns if c.name in positions and not c.computed
        }
        rows = np.array(records, dtype=np.int64) + 1  # Excel rows
        found: dict[str, np.ndarray] = {}
        for top, left, bottom, right in sorted(grid.merged):
            ref = f"{column_letter(left)}{top}:{column_letter(right)}{bottom}"
            if top <= header_row <= bottom and bottom == header_row and right > left:
                self.problem(
                    grid.title,
                    f"{column_letter(left)}{header_row}",
                    NO_VALUE,
                    f"header cells {ref} are merged: only {column_letter(left)}"
                    f"{header_row} has a header; unmerge them and give each column its own",
                    Severity.WARNING,
                )
                continue
            covered = [name for j, name in inputs.items() if left <= j <= right]
            if bottom <= header_row or top > last_row or not covered:
                continue
            self.problem(
                grid.title,
                f"{column_letter(left)}{max(top, header_row + 1)}",
                NO_VALUE,
                f"cells {ref} are merged ({', '.join(covered)}): a data table holds one value "
                "per cell, and kamxl cannot tell whether the value belongs to each row or to "
                "all of them; unmerge them (Home > Merge & Center > Unmerge Cells) and fill "
                "in each cell",
            )
            in_range = (rows >= top) & (rows <= bottom)
            for name in covered:
                found[name] = found.get(name, np.zeros(len(rows), dtype=bool)) | in_range
        return found

    def _require(
        self,
        title: str,
        letter: str,
        col: Column,
        values: Any,
        codes: np.ndarray | None,
        records: list[int],
    ) -> np.ndarray | None:
        """A blank cell in a required column is an error (a bad cell was reported already);
        the column's codes, with ``#N/A`` for each blank."""
        blank = pd.isna(pd.Series(values)).to_numpy()
        if codes is not None:
            blank = blank & (codes == 0)
        if not blank.any():
            return codes
        codes = np.zeros(len(records), dtype=np.int8) if codes is None else codes
        for i in np.flatnonzero(blank).tolist():
            self.problem(title, f"{letter}{records[i] + 1}", None, f"{col.name} is required")
            codes[i] = NA
        return codes

    # --- Settings ---

    def _raw_settings(self, grid: _Grid | None) -> dict[str, tuple[Any, str]]:
        """key -> (value, cell address) from the key/value table."""
        if grid is None:
            self.problem(
                "Settings",
                None,
                NO_VALUE,
                "sheet Settings is missing (defaults used)",
                Severity.WARNING,
            )
            return {}
        header = [header_key(h) if isinstance(h, str) else "" for h in grid.header]
        aliases = self.aliases["Settings"]
        names = [aliases.get(h, h) for h in header]
        if "key" not in names or "value" not in names:
            self.problem(
                grid.title,
                f"A{grid.top + 1}",
                NO_VALUE,
                "Settings needs the columns key and value (no setting can be read)",
            )
            for setting in schema.SETTINGS:  # none of them was read: no default stands in
                self.bad_settings[setting.key] = f"{grid.title}!A{grid.top + 1}"
            return {}
        k, v = names.index("key"), names.index("value")
        raw: dict[str, tuple[Any, str]] = {}
        known = {s.key for s in schema.SETTINGS}
        for i, row in enumerate(grid.body, start=grid.top + 2):
            key = row[k] if k < len(row) else ""
            if not isinstance(key, str) or not key.strip():
                continue
            name = header_key(key)
            if name not in known:
                self.problem(
                    grid.title,
                    f"{column_letter(k)}{i}",
                    key,
                    "unknown setting (ignored)",
                    Severity.WARNING,
                )
                continue
            if name in raw:
                self.problem(
                    grid.title,
                    f"{column_letter(k)}{i}",
                    key,
                    f"setting {name} given twice (also in row "
                    f"{_DIGITS.search(raw[name][1]).group(0)}): which one is meant?",
                )
                self.bad_settings.setdefault(name, f"{grid.title}!{column_letter(k)}{i}")
                continue
            raw[name] = (row[v] if v < len(row) else "", f"{column_letter(v)}{i}")
        self.settings_title = grid.title
        return raw

    def _setting(self, raw: dict[str, tuple[Any, str]], setting: schema.Setting) -> Any:
        value, cell = raw.get(setting.key, ("", ""))
        if _blank(value):
            return setting.default
        key = setting.key
        if isinstance(value, ExcelErrorCell):
            self.setting_problem(key, cell, value, f"{key}: an Excel error, not a value")
            return setting.default
        if isinstance(value, UncalculatedFormula):
            self.setting_problem(key, cell, value, uncalculated_message(key, value))
            return setting.default
        kind = setting.kind
        if kind is Kind.NUMBER:
            if isinstance(value, (int, float)) and not isinstance(value, bool):
                return float(value)
            self.setting_problem(key, cell, value, f"{key}: expected a number")
            return setting.default
        if kind is Kind.PERIOD:
            period = _period_of(value)
            if period is None:
                self.setting_problem(
                    key, cell, value, f"{key}: expected a period like 2026-Q3 or 2026-07"
                )
            return period
        if kind is Kind.DATE:
            day = _date_of(value)
            if day is None or not _readable_day(day):
                self.setting_problem(key, cell, value, f"{key}: expected a date")
                return None
            return day
        if kind is Kind.LIST and setting.list_name:
            code = self.list_values[setting.list_name].get(normalise_word(str(value)))
            if code is None:
                allowed = ", ".join(schema.LISTS[setting.list_name].values)
                self.setting_problem(key, cell, value, f"{key}: expected one of {allowed}")
                return setting.default
            return code
        return _as_text(value)

    def _scale(self, raw: dict[str, tuple[Any, str]]) -> tuple[float, float]:
        by_key = {s.key: s for s in schema.SETTINGS}
        low = self._quiet_number(raw, by_key["scale_min"])
        high = self._quiet_number(raw, by_key["scale_max"])
        return (low, high) if low < high else (1.0, 5.0)

    @staticmethod
    def _quiet_number(raw: dict[str, tuple[Any, str]], setting: schema.Setting) -> float:
        value = raw.get(setting.key, ("", ""))[0]
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return float(value)
        return float(setting.default)

    def _settings(self, raw: dict[str, tuple[Any, str]], revenue: pd.DataFrame) -> Settings:
        values = {s.key: self._setting(raw, s) for s in schema.SETTINGS}
        for key, default in (("tier_thresholds", "70,40"), ("tier_labels", "A,B,C")):
            text = values[key] if isinstance(values[key], str) else default
            parts = tuple(p.strip() for p in str(text).split(",") if p.strip())
            values[key] = parts
        try:
            values["tier_thresholds"] = tuple(float(p) for p in values["tier_thresholds"])
        except ValueError:
            self.setting_problem(
                "tier_thresholds",
                raw.get("tier_thresholds", ("", ""))[1],
                raw["tier_thresholds"][0],
                "tier_thresholds: expected numbers separated by commas, like 70,40",
            )
            values["tier_thresholds"] = (70.0, 40.0)
        self._check_sense(values, raw)
        if values["period"] is None and "period" not in self.bad_settings:
            values["period"] = _latest_period(revenue)
        if values["previous_period"] is None and values["period"] is not None:
            values["previous_period"] = parse_period(values["period"]).previous().text
        self._check_periods(values, raw)
        return Settings(**values)

    def _check_periods(self, values: dict[str, Any], raw: dict[str, tuple[Any, str]]) -> None:
        """``previous_period`` comes before ``period``, in the same kind (quarters or
        months): "+3 % on 2026-Q4" of a 2026-Q3 review would be a wrong claim."""
        current, previous = values["period"], values["previous_period"]
        if current is None or previous is None or "previous_period" in self.bad_settings:
            return
        now, before = parse_period(current), parse_period(previous)
        if now.is_month == before.is_month and before < now:
            return
        cell = raw.get("previous_period", raw.get("period", ("", "")))[1]
        key = "previous_period" if "previous_period" in raw else "period"
        self.setting_problem(
            key,
            cell,
            raw.get(key, (previous, ""))[0],
            f"previous_period ({previous}) must be a period before period ({current}), both "
            "quarters or both months",
        )
        self.bad_settings.setdefault("period", self.bad_settings[key])
        self.bad_settings.setdefault("previous_period", self.bad_settings[key])

    def _check_sense(self, values: dict[str, Any], raw: dict[str, tuple[Any, str]]) -> None:
        """The settings rules beyond their kinds (shared/spec/workbook.md): each broken rule
        is an error naming the cell, and every setting in it is bad (no figure uses it).
        A rule is checked only when its settings were read (a bad one is reported already).
        """

        def cell(key: str) -> str:
            return raw.get(key, ("", ""))[1]

        def shown(key: str) -> Any:
            value = raw.get(key, ("", ""))[0]
            return value if not _blank(value) else values[key]

        def read(*keys: str) -> bool:
            return not any(key in self.bad_settings for key in keys)

        def broken(keys: tuple[str, ...], expected: str) -> None:
            first, *others = keys
            self.setting_problem(first, cell(first), shown(first), expected)
            for other in others:
                address = cell(other)
                self.bad_settings.setdefault(
                    other, f"{self.settings_title}!{address}" if address else other
                )

        def where(key: str) -> str:
            address = cell(key)
            return f"{self.settings_title}!{address}" if address else "default"

        currency = values["currency"]
        if read("currency") and isinstance(currency, str):
            if _CURRENCY_CODE.fullmatch(currency.strip().upper()):
                values["currency"] = currency.strip().upper()
            else:
                broken(
                    ("currency",),
                    "currency: expected an ISO 4217 code of three letters, like EUR, USD or GBP",
                )
        thresholds, labels = values["tier_thresholds"], values["tier_labels"]
        if read("tier_thresholds") and any(b >= a for a, b in pairwise(thresholds)):
            broken(
                ("tier_thresholds",),
                "tier_thresholds: expected thresholds in strictly descending order, like 70,40",
            )
        if read("tier_thresholds", "tier_labels") and len(labels) != len(thresholds) + 1:
            self.setting_problem(
                "tier_labels",
                cell("tier_labels"),
                ",".join(labels),
                f"tier_labels: {len(labels)} labels for {len(thresholds)} thresholds "
                f"({','.join(f'{t:g}' for t in thresholds)}, {where('tier_thresholds')}): one "
                "more label than tier_thresholds is needed",
            )
        if read("scale_min", "scale_max") and values["scale_min"] >= values["scale_max"]:
            broken(
                ("scale_max", "scale_min"),
                f"scale_max must be above scale_min ({values['scale_min']:g}, "
                f"{where('scale_min')})",
            )
        if read("red_max", "amber_max") and values["red_max"] > values["amber_max"]:
            broken(
                ("red_max", "amber_max"),
                f"red_max must not be above amber_max ({values['amber_max']:g}, "
                f"{where('amber_max')}): health up to red_max is Red, up to amber_max Amber",
            )
        if read("freshness_half_life_days") and values["freshness_half_life_days"] <= 0:
            broken(
                ("freshness_half_life_days",),
                "freshness_half_life_days: expected a number of days above 0",
            )
        weights = ("w_adoption", "w_engagement", "w_satisfaction", "w_risk")
        for key in weights:
            if read(key) and values[key] < 0:
                broken((key,), f"{key}: expected a weight ≥ 0")
        if read(*weights) and all(values[key] == 0 for key in weights):
            given = [key for key in weights if cell(key)]
            broken(
                (*given, *(key for key in weights if key not in given)),
                f"the health weights {', '.join(weights)} are all 0 "
                f"({', '.join(where(key) for key in weights)}): health cannot be computed; "
                "give at least one a weight above 0",
            )

    def _settings_sheet(self, grid: _Grid | None, raw: dict[str, tuple[Any, str]]) -> SheetData:
        """The Settings as a frame of key, raw value and cell (values keep their own types)."""
        frame = pd.DataFrame(
            {
                "key": list(raw),
                "value": pd.Series([v for v, _ in raw.values()], dtype=object),
                "cell": [c for _, c in raw.values()],
            }
        )
        return SheetData("Settings", grid.title if grid else None, frame)

    # --- cross-sheet checks ---

    def _criterion_ids(self, criteria: SheetData) -> list[str]:
        ids: list[str] = []
        frame = criteria.frame
        repeated = frame["criterion_id"].duplicated(keep=False) & frame["criterion_id"].notna()
        if repeated.any():
            _mark(criteria, "criterion_id", repeated.to_numpy(), VALUE)
        for value, row in zip(frame["criterion_id"], frame["_row"], strict=True):
            if value is None:
                continue
            if value in ids:
                self.problem(
                    criteria.title,
                    criteria.cell("criterion_id", row),
                    value,
                    "criterion listed twice",
                )
            else:
                ids.append(value)
        return ids

    def _check_criteria(self, sheets: dict[str, SheetData], ids: list[str]) -> tuple[str, ...]:
        ratings = sheets["Ratings"]
        if not ratings.present:
            return ()
        rated = [c for c in ids if c in ratings.letters]
        criteria = sheets["Criteria"]
        for criterion in ids:
            if criterion not in ratings.letters:
                # scores over the other criteria only would be another number: no score
                unrated = (criteria.frame["criterion_id"] == criterion).to_numpy()
                _mark(criteria, "criterion_id", unrated, NA)
                self.problem(
                    ratings.title,
                    None,
                    NO_VALUE,
                    f"criterion {criterion} of Criteria has no column in Ratings (not rated)",
                )
        for extra in ratings.extra_columns:
            self.problem(
                ratings.title,
                None,
                NO_VALUE,
                f"column {extra} is not a criterion of Criteria (ignored by the scores)",
                Severity.WARNING,
            )
        return tuple(rated)

    def _check_criteria_weights(self, criteria: SheetData) -> None:
        """The criteria weights may not be all 0, nor those of one axis: no score (nor
        quadrant) can be computed from them. An error naming the weight cells, each of
        which gets ``#DIV/0!`` (what a weighted score over weights summing to 0 shows)."""
        frame = criteria.frame
        if not criteria.present or frame.empty:
            return
        read = (criteria.error_codes("weight") == 0) & frame["criterion_id"].notna().to_numpy()
        groups = [("the criteria", read)]
        for axis in schema.LISTS["axis"].values:
            groups.append((f"the {axis} criteria", read & (frame["axis"] == axis).to_numpy()))
        for what, chosen in groups:
            if not chosen.any() or (frame["weight"].to_numpy()[chosen] != 0).any():
                continue
            rows = frame["_row"].to_numpy()[chosen]
            cells = [criteria.cell("weight", int(row)) for row in rows]
            span = f"{cells[0]}:{cells[-1]}" if len(cells) > 1 else cells[0]
            self.problem(
                criteria.title,
                cells[0],
                0.0,
                f"weight: the weights of {what} are all 0 ({criteria.title}!{span}): no "
                "score can be computed from them; give at least one a weight above 0",
            )
            _mark(criteria, "weight", chosen, DIV0)
            if chosen is read:
                return  # all of them 0: so are those of each axis

    def _check_revenue_totals(self, sheets: dict[str, SheetData], settings: Settings) -> None:
        """An account's ``revenue_curr`` (``revenue_prev``) is the revenue of the current
        (previous) period: where the Revenue sheet has that account's revenue for the
        period too, the two must agree. When they differ, which one is right is unknown, so
        both are errors and no figure is computed from either."""
        accounts, revenue = sheets["Accounts"], sheets["Revenue"]
        if not (accounts.present and revenue.present):
            return
        for column, period in (
            ("revenue_curr", settings.period),
            ("revenue_prev", settings.previous_period),
        ):
            if period is None or column not in accounts.letters:
                continue
            rows = revenue.frame["period"] == period
            rows &= ~revenue.error_codes("account_id").astype(bool)
            rows &= ~revenue.error_codes("revenue").astype(bool)
            rows &= revenue.frame["revenue"].notna()
            if not rows.any():
                continue
            totals = revenue.frame[rows].groupby("account_id")["revenue"].sum()
            frame = accounts.frame
            typed = frame[column].to_numpy(dtype=np.float64)
            sheet_total = frame["account_id"].map(totals).to_numpy(dtype=np.float64)
            with np.errstate(invalid="ignore"):
                differ = ~np.isnan(typed) & ~np.isnan(sheet_total)
                differ &= np.abs(typed - sheet_total) > _SAME_AMOUNT
            differ &= ~accounts.error_codes(column).astype(bool)
            for i in np.flatnonzero(differ).tolist():
                account = frame["account_id"].iloc[i]
                self.problem(
                    accounts.title,
                    accounts.cell(column, int(frame["_row"].iloc[i])),
                    float(typed[i]),
                    f"{column} differs from the revenue of {account} for {period} in "
                    f"{revenue.title} ({sheet_total[i]:,.2f}): which one is right? make them "
                    "agree",
                )
                mine = (rows & (revenue.frame["account_id"] == account)).to_numpy()
                _mark(revenue, "revenue", mine, VALUE)
            if differ.any():
                _mark(accounts, column, differ, VALUE)

    def _check_keys(self, sheets: dict[str, SheetData], settings: Settings) -> None:
        accounts = sheets["Accounts"]
        for sheet_name in ("Accounts", "Ratings", "Handshake"):
            data = sheets[sheet_name]
            ids = data.frame[schema.ACCOUNT_ID]
            repeated = ids.duplicated(keep="first") & ids.notna()
            if repeated.any():
                # Every row of a repeated id is in doubt: which one is the account?
                _mark(data, schema.ACCOUNT_ID, ids.duplicated(keep=False).to_numpy(), VALUE)
                first_row = dict(
                    zip(ids[~ids.duplicated()], data.frame["_row"][~ids.duplicated()], strict=True)
                )
                for value, row in zip(ids[repeated], data.frame["_row"][repeated], strict=True):
                    self.problem(
                        data.title,
                        data.cell(schema.ACCOUNT_ID, row),
                        value,
                        f"duplicate account_id (also in row {first_row[value]}); "
                        "each account has one row",
                    )
        if not accounts.present:
            return
        known = pd.Index(accounts.frame[schema.ACCOUNT_ID].dropna().unique())
        for sheet in schema.SHEETS:
            data = sheets[sheet.name]
            if sheet.name in ("Settings", "Criteria", "Accounts") or not data.present:
                continue
            ids = data.frame[schema.ACCOUNT_ID]
            unknown = ids.notna() & ~ids.isin(known)
            if unknown.any():
                _mark(data, schema.ACCOUNT_ID, unknown.to_numpy(), NA)
            for value, row in zip(ids[unknown], data.frame["_row"][unknown], strict=True):
                self.problem(
                    data.title,
                    data.cell(schema.ACCOUNT_ID, row),
                    value,
                    "account_id not found in Accounts",
                )
        revenue = sheets["Revenue"]
        current = parse_period(settings.period) if settings.period else None
        if revenue.present and current is not None:
            frame = revenue.frame
            blank = frame["revenue"].isna() & ~revenue.error_codes("revenue").astype(bool)
            for position, period, row in zip(
                np.flatnonzero(blank.to_numpy()),
                frame.loc[blank, "period"],
                frame.loc[blank, "_row"],
                strict=True,
            ):
                parsed = parse_period(period)
                if parsed is not None and parsed <= current:
                    _mark(revenue, "revenue", np.array([position]), NA)
                    self.problem(
                        revenue.title,
                        revenue.cell("revenue", row),
                        None,
                        f"revenue is required for {period} (only future periods may be "
                        "forecast-only)",
                    )


def _mark(data: SheetData, column: str, rows: np.ndarray, code: int) -> None:
    """Give the cells of ``column`` at frame positions ``rows`` (a boolean mask or indexes)
    the error ``code``, unless they have one already."""
    codes = data.codes.get(column)
    if codes is None:
        codes = data.codes[column] = np.zeros(len(data.frame), dtype=np.int8)
    chosen = np.zeros(len(codes), dtype=bool)
    chosen[rows] = True
    codes[chosen & (codes == 0)] = code


def _or_zeros(codes: np.ndarray | None, records: Sequence[int]) -> np.ndarray:
    """A column's error codes, all 0 when it has none yet."""
    return codes if codes is not None else np.zeros(len(records), dtype=np.int8)


# --- cells ----------------------------------------------------------------------------------

#: What people type in the first cell of a totals row (compared as headers are, a colon
#: dropped): English and French, and Excel's Total Row label.
TOTALS_LABELS: Final = frozenset(
    {
        "total",
        "totals",
        "grand_total",
        "sum",
        "subtotal",
        "sub_total",
        "total_general",
        "sous_total",
        "somme",
        "totaux",
    }
)


_TOTALS_START: Final = re.compile(r"\s*(?:total|sum|sub|sous|grand)", re.IGNORECASE)
#: How a totals row's key may start: blank, or as a label (the key column's cells are
#: tested on their first character, in C).
_TOTALS_FIRST: Final = frozenset(["", *" \tTtSsGg"])
_FIRST: Final = itemgetter(slice(0, 1))


def _maybe_totals(keys: Sequence[Any]) -> list[int]:
    """The positions of the keys that are blank or start like a totals label: the rows
    :func:`_typed_totals` may find to be totals rows."""
    if all(map(str.__instancecheck__, keys)):
        return list(compress(range(len(keys)), map(_TOTALS_FIRST.__contains__, map(_FIRST, keys))))
    return [
        i
        for i, value in enumerate(keys)
        if value == "" or (type(value) is str and value[:1] in _TOTALS_FIRST)
    ]


def _looks_like_totals(value: Any) -> bool:
    """A cheap test before :func:`_is_totals_label`: text starting like a totals label."""
    return type(value) is str and _TOTALS_START.match(value) is not None


def _is_totals_label(value: Any) -> bool:
    return _looks_like_totals(value) and header_key(value.strip().rstrip(":")) in TOTALS_LABELS


def _totals_label(cells: Sequence[Any], key: int | None) -> tuple[Any, int]:
    """The label of a totals row and its column: its key cell when labelled, else its first
    filled cell."""
    if key is not None and key < len(cells) and _is_totals_label(cells[key]):
        return cells[key], key
    j = next((j for j, v in enumerate(cells) if v != ""), 0)
    return cells[j] if j < len(cells) else "", j


def _typed_totals(cells: Sequence[Any], key: int | None, known: set[int]) -> bool:
    """Whether a row is a totals row typed by hand: its key cell (``account_id``) reads
    Total (or Sum, Grand total, Sous-total...), or its key is blank and its first filled cell,
    in a column that is none of the sheet's (pandas' index column), reads so. A record whose
    name is "Total" is not one: the name column is one of the sheet's."""
    if key is not None and key < len(cells):
        if _is_totals_label(cells[key]):
            return True
        if not _blank(cells[key]):
            return False
    label, j = _totals_label(cells, key)
    return j not in known and _is_totals_label(label)


def _as_saved(value: Any) -> Any:
    """A computed cell's value as saved in the file (what a formula's marker hides)."""
    return value.saved if isinstance(value, UncalculatedFormula) else value


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _as_text(value: Any) -> str | None:
    if _blank(value):
        return None
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    return str(value)


def _date_of(value: Any) -> date | None:
    """The day of a date cell, or of an Excel serial number (None for a number that is not
    a date: negative, or past 9999-12-31, Excel's last)."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    number = isinstance(value, (int, float)) and not isinstance(value, bool)
    if number and 0 <= value <= _LAST_SERIAL:  # also False for NaN
        return _EPOCH + timedelta(days=date_serial_to_day(float(value)))
    return None


def _readable_day(day: date) -> bool:
    """Whether ``day`` fits the frames' datetime64[ns] columns (1677-09-22 to 2262-04-11);
    Excel's dates run to 9999, but a plan dated 2300 is a typing slip."""
    return _FIRST_DAY <= day <= _LAST_DAY


def _period_of(value: Any) -> str | None:
    if isinstance(value, (date, datetime)):  # Excel turned "2026-07" into a date
        return f"{value.year}-{value.month:02d}"
    period = parse_period(value) if isinstance(value, str) else None
    return period.text if period else None


def _latest_period(revenue: pd.DataFrame) -> str | None:
    if revenue.empty:
        return None
    actual = revenue.loc[revenue["revenue"].notna(), "period"].dropna()
    periods = [p for p in (parse_period(v) for v in actual.unique()) if p is not None]
    return max(periods).text if periods else None


def _rating_column(criterion: str, scale: tuple[float, float]) -> Column:
    return Column(criterion, Kind.NUMBER, minimum=scale[0], maximum=scale[1], description="rating")


def _blank_column(col: Column, length: int) -> Any:
    if col.kind in (Kind.NUMBER, Kind.INTEGER, Kind.FRACTION):
        return np.full(length, np.nan)
    if col.kind is Kind.DATE:
        return pd.Series([pd.NaT] * length, dtype="datetime64[ns]")
    return pd.Series([None] * length, dtype=object)


def _empty_sheet(name: str, columns: Iterable[Column]) -> SheetData:
    data = {col.name: _blank_column(col, 0) for col in columns}
    data["_row"] = np.array([], dtype=np.int64)
    return SheetData(name, None, pd.DataFrame(data))


_KIND_WORDS: Final = {
    Kind.NUMBER: "a number",
    Kind.INTEGER: "a whole number",
    Kind.FRACTION: "a number between 0 and 1 (a percentage)",
    Kind.DATE: "a date (typed as a real Excel date)",
    Kind.PERIOD: "a period like 2026-Q3 or 2026-07",
    Kind.TEXT: "text",
}


@dataclass
class _Converter:
    """Turns one column's cells into typed values, reporting each bad cell."""

    reader: _Reader
    title: str
    letter: str
    column: Column
    records: list[int]
    codes: np.ndarray | None = None

    def bad(self, index: int, value: Any, expected: str, code: int | None = None) -> None:
        self.reader.problem(self.title, f"{self.letter}{self.records[index] + 1}", value, expected)
        if code is not None:
            if self.codes is None:
                self.codes = np.zeros(len(self.records), dtype=np.int8)
            self.codes[index] = code

    def convert(self, values: list[Any]) -> tuple[Any, np.ndarray | None]:
        kind = self.column.kind
        if kind in (Kind.NUMBER, Kind.INTEGER, Kind.FRACTION):
            result: Any = self.numbers(values)
        elif kind is Kind.DATE:
            result = self.dates(values)
        elif kind is Kind.PERIOD:
            result = self.periods(values)
        elif kind is Kind.LIST:
            result = self.list_items(values)
        else:
            result = self.texts(values, _as_text, "text")
        return result, self.codes

    def _error(self, index: int, value: ExcelErrorCell | UncalculatedFormula) -> None:
        self.bad(index, value, *self._problem_of(value))

    def _problem_of(self, value: ExcelErrorCell | UncalculatedFormula) -> tuple[str, int]:
        """What is wrong with an error cell or an uncalculated formula, and its code."""
        if isinstance(value, UncalculatedFormula):
            return uncalculated_message(self.column.name, value), NA
        return (
            f"{self.column.name}: an Excel error, "
            f"expected {_KIND_WORDS.get(self.column.kind, 'a value')}",
            error_code(value.text) if is_error_text(value.text) else VALUE,
        )

    def numbers(self, values: list[Any]) -> np.ndarray:
        kinds = set(map(type, values))
        if kinds <= _FAST_NUMBERS:
            out = np.array(values, dtype=np.float64)
        elif kinds <= _FAST_NUMBERS | {str} and all(v == "" for v in values if type(v) is str):
            out = np.array([np.nan if type(v) is str else v for v in values], dtype=np.float64)
        else:
            out = np.full(len(values), np.nan)
            for i, value in enumerate(values):
                if _blank(value):
                    continue
                if isinstance(value, (int, float)) and not isinstance(value, bool):
                    out[i] = value
                elif isinstance(value, (ExcelErrorCell, UncalculatedFormula)):
                    self._error(i, value)
                else:
                    what = _describe(value)
                    self.bad(
                        i,
                        value,
                        f"{self.column.name}: {what}, expected {_KIND_WORDS[self.column.kind]}",
                        VALUE,
                    )
        self._check_range(out)
        return out

    def _check_range(self, out: np.ndarray) -> None:
        col = self.column
        present = ~np.isnan(out)
        if col.kind is Kind.INTEGER:
            for i in np.flatnonzero(present & (out != np.floor(out))).tolist():
                self.bad(i, float(out[i]), f"{col.name}: expected a whole number", NUM)
        low = -math.inf if col.minimum is None else col.minimum
        high = math.inf if col.maximum is None else col.maximum
        with np.errstate(invalid="ignore"):
            outside = present & ((out < low) | (out > high))
        for i in np.flatnonzero(outside).tolist():
            if col.description == "rating":
                expected = f"rating of {col.name} outside the scale {low:g}-{high:g}"
            elif col.maximum is None:
                expected = f"{col.name}: expected a value ≥ {low:g}"
            else:
                expected = f"{col.name}: expected a value between {low:g} and {high:g}"
            self.bad(i, float(out[i]), expected, NUM)

    def _by_value(
        self, values: list[Any], convert: Callable[[Any], tuple[Any, str | None]]
    ) -> list[Any]:
        """Convert each distinct value once (columns repeat values: statuses, periods,
        dates), report every bad cell, and return the converted column."""
        outcome: dict[tuple[type, Any], tuple[Any, str | None, int]] = {}
        for value in set(zip(map(type, values), values, strict=True)):
            raw = value[1]
            if isinstance(raw, (ExcelErrorCell, UncalculatedFormula)):
                message, code = self._problem_of(raw)
                outcome[value] = (None, message, code)
            else:
                result, message = convert(raw)
                outcome[value] = (result, message, VALUE)
        out = [outcome[(type(v), v)][0] for v in values]
        if any(o[1] for o in outcome.values()):
            for i, value in enumerate(values):
                _, message, code = outcome[(type(value), value)]
                if message:
                    self.bad(i, value, message, code)
        return out

    def dates(self, values: list[Any]) -> pd.Series:
        expected = _KIND_WORDS[Kind.DATE]

        def convert(value: Any) -> tuple[Any, str | None]:
            if _blank(value):
                return pd.NaT, None
            if isinstance(value, (date, datetime, int, float)) and not isinstance(value, bool):
                day = _date_of(value)
                if day is not None and _readable_day(day):
                    return pd.Timestamp(day), None
                if day is not None:
                    return pd.NaT, (
                        f"{self.column.name}: {day.isoformat()} is outside the dates kamxl "
                        f"reads ({_FIRST_DAY.isoformat()} to {_LAST_DAY.isoformat()})"
                    )
            return pd.NaT, f"{self.column.name}: {_describe(value)}, expected {expected}"

        return pd.Series(pd.to_datetime(self._by_value(values, convert)), dtype="datetime64[ns]")

    def periods(self, values: list[Any]) -> pd.Series:
        def convert(value: Any) -> tuple[Any, str | None]:
            period = _period_of(value)
            if period is None and not _blank(value):
                return None, f"{self.column.name}: expected a period like 2026-Q3 or 2026-07"
            return period, None

        return pd.Series(self._by_value(values, convert), dtype=object)

    def texts(self, values: list[Any], parse: Any, expected: str) -> pd.Series:
        if set(map(type, values)) == {str}:  # the common case: plain text
            return pd.Series([v.strip() or None for v in values], dtype=object)

        def convert(value: Any) -> tuple[Any, str | None]:
            text = parse(value)
            if text is None and not _blank(value):
                return None, f"{self.column.name}: expected {expected}"
            return text, None

        return pd.Series(self._by_value(values, convert), dtype=object)

    def list_items(self, values: list[Any]) -> pd.Series:
        name = self.column.list_name or ""
        table = self.reader.list_values[name]
        allowed = ", ".join(schema.LISTS[name].values)

        def convert(value: Any) -> tuple[Any, str | None]:
            text = _as_text(value)
            if text is None:
                return None, None
            code = table.get(normalise_word(text))
            if code is None:
                return text, f"{self.column.name}: not in the list {name} ({allowed})"
            return code, None

        return pd.Series(self._by_value(values, convert), dtype=object)


def uncalculated_message(name: str, value: UncalculatedFormula) -> str:
    """What an input formula without a trusted result means, and how to fix it."""
    if value.result_saved:
        why = (
            "a formula whose saved result was never calculated: the file was written by a "
            "program that does not calculate formulas (it saves 0 or nothing as every result)"
        )
    else:
        why = (
            "a formula with no saved result: the file was written by a program that does "
            "not calculate formulas"
        )
    return (
        f"{name}: {why}; open and save it in Excel or LibreOffice, or type the value "
        "(kamxl does not compute input formulas)"
    )


def _describe(value: Any) -> str:
    if isinstance(value, str):
        return "text"
    if isinstance(value, bool):
        return "TRUE/FALSE"
    if isinstance(value, (date, datetime)):
        return "a date"
    if isinstance(value, (time, timedelta)):
        return "a time"
    return type(value).__name__

"""Scanning worksheet XML for what python-calamine does not give: error cells, formulas (and
those whose saved result cannot be trusted), merged cells, and how far a sheet's cells reach.

The XML of a sheet is read in chunks cut at row starts, so that a sheet of any size is
scanned in bounded memory; only the cells of interest are matched by regular expressions
(a full XML parse of a large sheet costs seconds and hundreds of megabytes).

python-calamine reads a sheet as a dense grid from its first to its last cell: one cell at
``XFD1048576`` makes it allocate 17 billion cells and abort the process. :func:`scan_sheet`
therefore bounds the grid cheaply while it looks for error cells (two regular-expression
searches per chunk), and :func:`sheet_extent` finds the exact last row and column when that
bound is too large, before calamine ever sees the sheet.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Final

__all__ = [
    "EXCEL_COLUMNS",
    "EXCEL_ROWS",
    "SheetScan",
    "cell_index",
    "complete_rows",
    "error_cells",
    "formula_cells",
    "scan_sheet",
    "sheet_extent",
]

#: Excel's grid: rows 1 to 1,048,576, columns A to XFD.
EXCEL_ROWS: Final = 1_048_576
EXCEL_COLUMNS: Final = 16_384

_CELL_ADDRESS: Final = re.compile(rb'\br="([A-Z]{1,3})([0-9]{1,7})"')
_ERROR_CELL: Final = re.compile(
    rb'<(?:[A-Za-z_][\w.-]*:)?c\b([^>]*?\bt="e"[^>]*)>(.*?)</(?:[A-Za-z_][\w.-]*:)?c>', re.S
)
_VALUE: Final = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?v>([^<]*)</")
_FORMULA_CELL: Final = re.compile(
    rb"<(?:[A-Za-z_][\w.-]*:)?c\b([^>]*)>\s*<(?:[A-Za-z_][\w.-]*:)?f\b([^>]*?)"
    rb"(?:/>|>(.*?)</(?:[A-Za-z_][\w.-]*:)?f>)",
    re.S,
)
_SHARED_INDEX: Final = re.compile(rb'\bsi="([0-9]+)"')
# What follows a formula: its saved result (a value with some text), else none was saved.
_SAVED_RESULT: Final = re.compile(rb"\s*<(?:[A-Za-z_][\w.-]*:)?v>[^<]")
_TEXT_RESULT: Final = re.compile(rb"""\bt\s*=\s*["'](?:str|inlineStr)["']""")
# A formula cell without a saved result, as programs that do not calculate write it
# (openpyxl: ``<f>..</f><v></v>``; others: no ``<v>``): a cheap test before the full match.
_NO_RESULT_HINTS: Final = (
    b"</f></c>",
    b"/></c>",
    b"<v></v>",
    b"<v/>",
    b"<v />",
    b"</f>\n",
    b"</f> ",
)
_MERGED: Final = re.compile(rb"""<(?:[A-Za-z_][\w.-]*:)?mergeCell\b[^>]*?\bref=["']([^"']+)["']""")
# Bounds of a chunk's grid: no cell tag other than a plain address of one letter and at
# most six digits (A1 to Z999999), or of two letters and four digits (A1 to ZZ9999).
_BEYOND_Z999999: Final = re.compile(rb'<c(?! r="[A-Z][0-9]{1,6}")[\s/>]')
_BEYOND_ZZ9999: Final = re.compile(rb'<c(?! r="[A-Z]{1,2}[0-9]{1,4}")[\s/>]')
_TIERS: Final = ((_BEYOND_Z999999, 999_999, 26), (_BEYOND_ZZ9999, 9_999, 702))
# A cell tag with a namespace prefix (<x:c>), or one whose address is not its first attribute.
_PREFIXED_CELL: Final = re.compile(rb":c[\s/>]")
_UNADDRESSED_CELL: Final = re.compile(rb'<c(?! r=")[\s/>]')
_ADDRESS_LETTERS: Final = re.compile(rb'<c r="([A-Za-z]+)[0-9]')
_ADDRESS_DIGITS: Final = re.compile(rb'<c r="[A-Za-z]+([0-9]+)"')
_ROW_OR_CELL: Final = re.compile(
    rb"""<(?:[A-Za-z_][\w.-]*:)?(row|c)(?=[\s/>])((?:[^>"']|"[^"]*"|'[^']*')*)>"""
)
_R_VALUE: Final = re.compile(rb"""(?:^|\s)r\s*=\s*(?:"([^"]*)"|'([^']*)')""")
_ADDRESS: Final = re.compile(rb"^([A-Za-z]+)([0-9]+)$")


def cell_index(attributes: bytes) -> tuple[int, int] | None:
    """(row index, column index), both 0-based, of a cell's ``r`` attribute."""
    match = _CELL_ADDRESS.search(attributes)
    if match is None:
        return None
    letters, digits = match.groups()
    column = 0
    for char in letters:
        column = column * 26 + char - 64
    return int(digits) - 1, column - 1


def complete_rows(chunks: Iterable[bytes]) -> Iterator[bytes]:
    """Re-cut a stream of XML chunks at row starts, so that no cell is split in two."""
    carry = b""
    for chunk in chunks:
        buffer = carry + chunk
        cut = max(buffer.rfind(b"<row"), buffer.rfind(b":row "))
        if cut <= 0:
            carry = buffer
            continue
        yield buffer[:cut]
        carry = buffer[cut:]
    if carry:
        yield carry


def error_cells(chunks: Iterable[bytes]) -> dict[tuple[int, int], str]:
    """The error cells of a sheet: (row, column) -> error text."""
    found = {}
    for block in complete_rows(chunks):
        if b't="e"' in block:
            found.update(_errors_of(block))
    return found


def _errors_of(block: bytes) -> dict[tuple[int, int], str]:
    found = {}
    for match in _ERROR_CELL.finditer(block):
        where = cell_index(match.group(1))
        value = _VALUE.search(match.group(2))
        if where is not None and value is not None:
            found[where] = value.group(1).decode("utf-8", "replace")
    return found


def formula_cells(
    chunks: Iterable[bytes], columns: set[int] | None = None
) -> dict[tuple[int, int], str]:
    """Formula text of the cells in ``columns`` (all cells when None), keyed by 0-based (row,
    column); shared formulas are resolved to their master's text."""
    masters: dict[bytes, str] = {}
    found: dict[tuple[int, int], str] = {}
    followers: list[tuple[tuple[int, int], bytes]] = []
    texts: dict[bytes, str] = {}
    for block in complete_rows(chunks):
        for match in _FORMULA_CELL.finditer(block):
            where = cell_index(match.group(1))
            shared = _SHARED_INDEX.search(match.group(2) or b"")
            raw = match.group(3)
            wanted = where is not None and (columns is None or where[1] in columns)
            if raw:
                formula = texts.get(raw) or texts.setdefault(raw, _formula_text(raw))
                if shared:
                    masters[shared.group(1)] = formula
                if wanted:
                    found[where] = formula
            elif shared and wanted:
                followers.append((where, shared.group(1)))
    for where, index in followers:
        if index in masters:
            found[where] = masters[index]
    return found


def _formula_text(raw: bytes) -> str:
    """A formula as written in the XML, unescaped (``&lt;`` is ``<``)."""
    return html.unescape(raw.decode("utf-8", "replace"))


@dataclass
class SheetScan:
    """What one pass over a sheet's XML found: its error cells, the formula cells whose
    saved result cannot be trusted (keyed like the errors: formula text and whether a
    result was saved at all), its merged ranges (``"A5:A7"``), and a bound of its grid
    (``rows`` x ``columns`` is at least what a dense reader allocates; 0 when empty)."""

    errors: dict[tuple[int, int], str] = field(default_factory=dict)
    formulas: dict[tuple[int, int], tuple[str, bool]] = field(default_factory=dict)
    merged: list[str] = field(default_factory=list)
    rows: int = 0
    columns: int = 0

    @property
    def cells(self) -> int:
        return self.rows * self.columns


def scan_sheet(chunks: Iterable[bytes], *, every_formula: bool = False) -> SheetScan:
    """Error cells, untrusted formulas, merged cells and a cheap bound of the grid, in one
    pass.

    A formula's saved result is untrusted when there is none (a program that does not
    calculate formulas wrote the file: openpyxl, pandas), or, with ``every_formula``, always
    (the workbook says its results were not calculated: XlsxWriter saves 0 for every
    formula). Blocks without a formula, or without a sign of a missing result, cost one
    substring test each.

    Each chunk is bounded by the first tier it fits (every cell addressed within ``Z999999``,
    else within ``ZZ9999``); a chunk that fits none -- a cell beyond, a cell without its
    address first, a prefixed tag -- gets an unbounded size, and the caller asks
    :func:`sheet_extent` for the exact one.
    """
    scan = SheetScan()
    masters: dict[bytes, str] = {}  # shared formulas, by index: the master's text
    texts: dict[bytes, str] = {}  # formula texts, unescaped once (columns repeat them)
    for block in complete_rows(chunks):
        if b't="e"' in block:
            scan.errors.update(_errors_of(block))
        if b"<f" in block and (every_formula or any(h in block for h in _NO_RESULT_HINTS)):
            scan.formulas.update(_untrusted_formulas(block, masters, texts, every_formula))
        if b"mergeCell" in block:
            scan.merged += [m.decode("ascii", "replace") for m in _MERGED.findall(block)]
        if b"<c" not in block and b":c" not in block:
            continue
        rows = columns = EXCEL_ROWS * EXCEL_COLUMNS  # unbounded until a tier fits
        if _PREFIXED_CELL.search(block) is None:
            for pattern, tier_rows, tier_columns in _TIERS:
                if pattern.search(block) is None:
                    rows, columns = tier_rows, tier_columns
                    break
        scan.rows = max(scan.rows, rows)
        scan.columns = max(scan.columns, columns)
    return scan


def _untrusted_formulas(
    block: bytes, masters: dict[bytes, str], texts: dict[bytes, str], every_formula: bool
) -> dict[tuple[int, int], tuple[str, bool]]:
    """The formula cells of ``block`` without a saved result (all of them with
    ``every_formula``): (row, column) -> (formula text, whether a result was saved).

    The text of a shared formula's followers is their master's (as written in the master's
    cell: the references are the master's)."""
    found = {}
    for match in _FORMULA_CELL.finditer(block):
        raw, shared = match.group(3), _SHARED_INDEX.search(match.group(2) or b"")
        formula = ""
        if raw:
            formula = texts.get(raw) or texts.setdefault(raw, _formula_text(raw))
        if shared and raw:
            masters[shared.group(1)] = formula
        elif shared:
            formula = masters.get(shared.group(1), "")
        saved = _SAVED_RESULT.match(block, match.end()) is not None or (
            _TEXT_RESULT.search(match.group(1)) is not None  # a text result, "" included
        )
        if saved and not every_formula:
            continue
        where = cell_index(match.group(1))
        if where is not None:
            found[where] = (formula, saved)
    return found


def _column_number(letters: bytes) -> int:
    number = 0
    for char in letters.upper():
        number = number * 26 + char - 64
    return number


def sheet_extent(chunks: Iterable[bytes]) -> tuple[int, int]:
    """The last row and the last column (1-based) that a cell of the sheet reaches.

    Cells without an address are placed as Excel (and calamine) place them: after the
    previous cell of their row, in the row after the previous row. Empty cells count too
    (an overestimate is safe; Excel rarely writes one far away).
    """
    last_row = last_column = 0
    row = 0  # the current row's number, for rows and cells without an address
    for block in complete_rows(chunks):
        simple = _PREFIXED_CELL.search(block) is None and _UNADDRESSED_CELL.search(block) is None
        if simple:
            letters = set(_ADDRESS_LETTERS.findall(block))
            digits = set(_ADDRESS_DIGITS.findall(block))
            if letters:
                last_column = max(last_column, *map(_column_number, letters))
            if digits:
                last_row = max(last_row, *map(int, digits))
            row = _last_row_number(block, row)
            continue
        column = 0
        for match in _ROW_OR_CELL.finditer(block):
            value = _R_VALUE.search(match.group(2))
            address = (value.group(1) or value.group(2) or b"").strip() if value else b""
            if match.group(1) == b"row":
                row = int(address) if address.isdigit() else row + 1
                column = 0
                continue
            parts = _ADDRESS.match(address)
            if parts:
                column = _column_number(parts.group(1))
                cell_row = int(parts.group(2))
            else:
                column += 1
                cell_row = row
            last_row = max(last_row, cell_row)
            last_column = max(last_column, column)
    return last_row, last_column


def _last_row_number(block: bytes, row: int) -> int:
    """The number of the last row started in ``block`` (an upper bound when rows have no
    address: the previous number plus the rows of the block)."""
    start = max(block.rfind(b"<row"), 0)
    match = _ROW_OR_CELL.search(block, start)
    value = _R_VALUE.search(match.group(2)) if match and match.group(1) == b"row" else None
    address = (value.group(1) or value.group(2) or b"").strip() if value else b""
    return int(address) if address.isdigit() else row + block.count(b"<row")

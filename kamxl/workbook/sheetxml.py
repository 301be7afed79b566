"""Scanning worksheet XML for what python-calamine does not give: error cells, formulas (and
those whose saved result cannot be trusted), and how far a sheet's cells reach.

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
from functools import lru_cache
from typing import Final

__all__ = [
    "EXCEL_COLUMNS",
    "EXCEL_ROWS",
    "SheetScan",
    "cell_index",
    "column_index",
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
# A formula's text holds no "<" (XML escapes it): ``[^<]*`` scans it at once.
_FORMULA_CELL: Final = re.compile(
    rb"<(?:[A-Za-z_][\w.-]*:)?c\b([^>]*)>\s*<(?:[A-Za-z_][\w.-]*:)?f\b([^>]*?)"
    rb"(?:/>|>([^<]*)</(?:[A-Za-z_][\w.-]*:)?f>)"
)
_SHARED_INDEX: Final = re.compile(rb'\bsi="([0-9]+)"')
# What follows a formula: its saved result (a value with some text), else none was saved.
_SAVED_RESULT: Final = re.compile(rb"\s*<(?:[A-Za-z_][\w.-]*:)?v>[^<]")
_TEXT_RESULT: Final = re.compile(rb"""\bt\s*=\s*["'](?:str|inlineStr)["']""")
_SHOWN_FORMULA: Final = 100  # characters of a formula kept for a message
# A formula not followed by a saved result (openpyxl writes ``<f>..</f><v></v>``, others
# no ``<v>``; a text result "" is ``<v></v>`` too, told apart by the full match): one search
# over a block before the full match.
_MISSING_RESULT: Final = re.compile(rb"(?:</f>|<f\b[^>]*/>)(?!\s*<v>[^<])")
_MISSING_RESULT_ANY_FORM: Final = re.compile(  # the same, with namespace prefixes
    rb"(?:</(?:[A-Za-z_][\w.-]*:)?f>|<(?:[A-Za-z_][\w.-]*:)?f\b[^>]*/>)"
    rb"(?!\s*<(?:[A-Za-z_][\w.-]*:)?v>[^<])"
)
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
    result was saved at all), and a bound of its grid (``rows`` x ``columns`` is at least
    what a dense reader allocates; 0 when empty)."""

    errors: dict[tuple[int, int], str] = field(default_factory=dict)
    formulas: dict[tuple[int, int], tuple[str, bool]] = field(default_factory=dict)
    rows: int = 0
    columns: int = 0

    @property
    def cells(self) -> int:
        return self.rows * self.columns


def scan_sheet(
    chunks: Iterable[bytes],
    *,
    every_formula: bool = False,
    formula_columns_skipped: frozenset[bytes] = frozenset(),
) -> SheetScan:
    """Error cells, untrusted formulas and a cheap bound of the grid, in one pass.

    A formula's saved result is untrusted when there is none (a program that does not
    calculate formulas wrote the file: openpyxl, pandas), or, with ``every_formula``, always
    (the workbook says its results were not calculated: XlsxWriter saves 0 for every
    formula). Blocks without a formula, or without a sign of a missing result, cost one
    substring test each (``</f``, the end of a formula's text: its last letter is rare in
    sheet XML, which makes the test fast). The formulas of the columns whose letters are
    in ``formula_columns_skipped`` (computed columns, whose results are never input) are
    left out.

    Each chunk is bounded by the first tier it fits (every cell addressed within ``Z999999``,
    else within ``ZZ9999``); a chunk that fits none -- a cell beyond, a cell without its
    address first, a prefixed tag -- gets an unbounded size, and the caller asks
    :func:`sheet_extent` for the exact one.
    """
    scan = SheetScan()
    masters: dict[bytes, str] = {}  # shared formulas, by index: the master's text
    texts: dict[bytes, str] = {}  # formula texts, unescaped once (columns repeat them)
    skipped = formula_columns_skipped
    for block in complete_rows(chunks):
        if b't="e"' in block:
            scan.errors.update(_errors_of(block))
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
        plain = rows < EXCEL_ROWS  # every cell tag is <c r="A1"...>: the plain form
        if _may_hold_untrusted(block, every_formula, plain):
            found = _untrusted_formulas(block, masters, texts, every_formula, plain, skipped)
            scan.formulas.update(found)
    return scan


def _may_hold_untrusted(block: bytes, every_formula: bool, plain: bool) -> bool:
    """Whether ``block`` may hold a formula whose result is untrusted: any formula with
    ``every_formula``, else one not followed by a saved result. In a ``plain`` block (no
    prefixed tags) the test starts with substring searches: ``f`` (a byte search: most
    blocks of a sheet's data hold none, shared strings being in their own part), then
    ``</f``; a block of followers of a shared formula alone (``<f t="shared" si="0"/>``)
    is not looked at."""
    if every_formula:
        return b"<f" in block or (not plain and b":f" in block)
    if plain:
        return b"f" in block and b"</f" in block and _MISSING_RESULT.search(block) is not None
    return _MISSING_RESULT_ANY_FORM.search(block) is not None


def _untrusted_formulas(
    block: bytes,
    masters: dict[bytes, str],
    texts: dict[bytes, str],
    every_formula: bool,
    plain: bool = False,
    skipped: frozenset[bytes] = frozenset(),
) -> dict[tuple[int, int], tuple[str, bool]]:
    """The formula cells of ``block`` without a saved result (all of them with
    ``every_formula``), but those of the ``skipped`` columns: (row, column) -> (formula
    text, whether a result was saved).

    The text of a shared formula's followers is their master's (as written in the master's
    cell: the references are the master's). A ``plain`` block (every cell tag starts
    ``<c r="``) is read by one regular expression and its groups only (a block of a
    template-made sheet holds tens of thousands of formulas); another cell by cell."""
    if not plain:
        return _untrusted_formulas_of_any_form(block, masters, texts, every_formula, skipped)
    found = {}
    cells = _plain_formula(skipped).findall(block)
    for letters, digits, attributes, formula_attributes, raw, more, result in cells:
        saved = bool(result) or (
            b"t=" in attributes and _TEXT_RESULT.search(attributes) is not None
        )
        if saved and not every_formula:
            continue
        formula = _text_of(raw, formula_attributes, masters, texts)
        found[int(digits) - 1, _column_of_letters(letters)] = (
            formula + "..." if more else formula,
            saved,
        )
    return found


def _untrusted_formulas_of_any_form(
    block: bytes,
    masters: dict[bytes, str],
    texts: dict[bytes, str],
    every_formula: bool,
    skipped: frozenset[bytes],
) -> dict[tuple[int, int], tuple[str, bool]]:
    """:func:`_untrusted_formulas` for a block of any form, cell by cell."""
    left_out = {_column_of_letters(letters) for letters in skipped}
    found = {}
    for match in _FORMULA_CELL.finditer(block):
        saved = _SAVED_RESULT.match(block, match.end()) is not None or (
            _TEXT_RESULT.search(match.group(1)) is not None  # a text result, "" included
        )
        formula = _text_of(match.group(3) or b"", match.group(2) or b"", masters, texts)
        if saved and not every_formula:
            continue
        where = cell_index(match.group(1))
        if where is not None and where[1] not in left_out:
            found[where] = (formula, saved)
    return found


def _text_of(
    raw: bytes, attributes: bytes, masters: dict[bytes, str], texts: dict[bytes, str]
) -> str:
    """A formula's text: its own, or its shared master's for a follower (which has none);
    a master's text is remembered for the followers after it."""
    formula = (texts.get(raw) or texts.setdefault(raw, _formula_text(raw))) if raw else ""
    if b"si=" in attributes:
        shared = _SHARED_INDEX.search(attributes)
        if shared and raw:
            masters[shared.group(1)] = formula
        elif shared:
            formula = masters.get(shared.group(1), "")
    return formula


@lru_cache(maxsize=4096)
def _column_of_letters(letters: bytes) -> int:
    """The 0-based index of a column's letters (``b"A"`` is 0)."""
    return _column_number(letters) - 1


@lru_cache(maxsize=20_000)
def column_index(letters: str) -> int:
    """The 0-based index of a column's letters (``"A"`` is 0, ``"AA"`` 26): the inverse of
    :func:`~kamxl.workbook.model.column_letter`; cached, a sheet repeats its letters."""
    return _column_number(letters.encode("ascii")) - 1


@lru_cache(maxsize=64)
def _plain_formula(skipped: frozenset[bytes]) -> re.Pattern[bytes]:
    """A formula cell as Excel, LibreOffice, openpyxl and XlsxWriter write it (no prefix,
    its address first), outside the ``skipped`` columns: address, cell attributes, formula
    attributes, the first characters of its text (and whether there are more), and the
    first character of its saved result -- every field in one match, no long text copied.
    A cell of a skipped column fails at its address, before its formula is read."""
    others = b"(?!(?:%s)[0-9])" % b"|".join(sorted(skipped)) if skipped else b""
    return re.compile(
        rb'<c r="' + others + rb'([A-Z]{1,3})([0-9]{1,7})"([^>]*)>\s*<f([^>]*?)'
        rb"(?:/>|>([^<]{0,%d})([^<]?)[^<]*</f>)(\s*<v>[^<])?" % _SHOWN_FORMULA
    )


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

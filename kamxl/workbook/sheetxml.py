"""Scanning worksheet XML for what python-calamine does not give: error cells and formulas.

The XML of a sheet is read in chunks cut at row starts, so that a sheet of any size is
scanned in bounded memory; only the cells of interest are matched by regular expressions
(a full XML parse of a large sheet costs seconds and hundreds of megabytes).
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable, Iterator
from typing import Final

__all__ = ["cell_index", "complete_rows", "error_cells", "formula_cells"]

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
        if b't="e"' not in block:
            continue
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
                formula = texts.get(raw)
                if formula is None:
                    formula = texts[raw] = html.unescape(raw.decode("utf-8", "replace"))
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

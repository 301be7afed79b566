"""Headless recalc: writing kamxl's results into a copy of the user's workbook.

The output is the input with the computed cells of ``Accounts`` updated, and nothing else
touched. kamxl does not load and re-save the workbook with a spreadsheet library (openpyxl
drops charts, images, slicers, comments' formatting, form controls, extension lists and
more); it copies every part of the package byte for byte and rewrites only the Accounts
worksheet part (and, when a computed column must be added, its table part), editing the XML
in place:

- a cell holding a formula keeps it; kamxl's value becomes its cached result, as Excel saves
  it (``t="str"`` for text, ``t="e"`` for an error), so tools that read values see it and
  Excel keeps the formula live;
- a cell without a formula gets the value itself;
- a computed column missing from the sheet is added after the last column (and to the
  Accounts table when the table ends there; its header goes in the table's header row);
- the rows that are not accounts -- the table's header and totals rows (Excel's *Total
  Row*, whose ``SUBTOTAL`` formulas and saved results stay as they are), rows below the
  table, totals rows typed by hand -- are never written.

A computed cell whose input is bad gets the error Excel would show there, never a number;
:class:`RecalcReport` lists those cells and the bad inputs they come from.

Macros (``vbaProject.bin``), external links, custom XML -- every other part -- come through
unchanged. The output is written atomically and never over the input.
"""

from __future__ import annotations

import re
import zipfile
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any, Final

import numpy as np
from lxml import etree

from kamxl.core.rows import RowResults
from kamxl.errors import (
    NO_ERROR,
    NotAWorkbookError,
    OutputError,
    WorkbookInvalidError,
    error_text,
)
from kamxl.files import atomic_write, check_output
from kamxl.workbook import schema
from kamxl.workbook.compute import bad_inputs
from kamxl.workbook.model import KamWorkbook, column_letter
from kamxl.workbook.package import NS, Package, Table, data_table, range_bounds
from kamxl.workbook.reader import read_workbook
from kamxl.workbook.sheetpatch import CellWrite, excel_text, patch_cells, sheet_last_column
from kamxl.workbook.sheetxml import column_index
from kamxl.workbook.zipcopy import copy_package

__all__ = ["BadInputCells", "RecalcReport", "SheetEditor", "recalc_workbook", "write_computed"]

_MAIN: Final = NS["main"]
_C, _F, _V, _IS, _T, _ROW = (f"{{{_MAIN}}}{tag}" for tag in ("c", "f", "v", "is", "t", "row"))
_CELL_REF: Final = re.compile(r"^([A-Z]{1,3})([0-9]+)$")
_MACRO_CONTENT: Final = "application/vnd.ms-excel.sheet.macroEnabled.main+xml"


@dataclass(frozen=True, slots=True)
class BadInputCells:
    """Computed cells of one column that show an error because of the same bad inputs."""

    sheet: str
    column: str  # the computed column
    letters: str  # its letters in the sheet
    rows: tuple[int, ...]  # the Excel rows of the cells
    error: str  # the Excel error they show
    inputs: tuple[str, ...]  # the bad inputs: "Accounts!I7 (revenue_curr)", ...

    @property
    def cells(self) -> str:
        """``Accounts!T7``, or ``Accounts!T2:T31`` for the cells of several rows."""
        first, last = min(self.rows), max(self.rows)
        span = f"{self.letters}{first}" + (f":{self.letters}{last}" if last != first else "")
        return f"{self.sheet}!{span}"

    def __str__(self) -> str:
        count = f" ({len(self.rows):,} cells)" if len(self.rows) > 1 else ""
        return f"{self.cells}{count} {self.column}: {self.error} from {', '.join(self.inputs)}"


@dataclass(frozen=True, slots=True)
class RecalcReport:
    """What a recalc did."""

    output: Path
    accounts: int
    cells: int  # computed cells written
    formulas_kept: int  # of which held a formula (value written as cached result)
    added_columns: tuple[str, ...]
    errors: dict[str, int]  # Excel error text -> number of computed cells showing it
    #: The computed cells showing an error because an input is bad, grouped by column and
    #: inputs (a bad setting: the whole column in one group).
    bad_inputs: tuple[BadInputCells, ...] = ()

    @property
    def bad_input_cells(self) -> int:
        """How many computed cells show an error because of a bad input."""
        return sum(len(group.rows) for group in self.bad_inputs)


def recalc_workbook(
    source: Path | str,
    output: Path | str,
    *,
    as_of: date | None = None,
    overwrite: bool = False,
) -> RecalcReport:
    """Compute every computed column of Accounts and write the workbook to ``output``.

    The input is never modified: an ``output`` that is the input (through a symbolic or hard
    link, or another spelling of its path) is refused, even with ``overwrite``. An existing
    ``output`` is replaced only with ``overwrite``, and without it neither is one that
    appears while the workbook is computed.

    Raises :class:`~kamxl.errors.WorkbookInvalidError` when the workbook has no Accounts
    sheet (or lacks a column the computation needs).
    """
    source = Path(source)
    target = check_output(Path(output), overwrite=overwrite, inputs=(source,))
    book = read_workbook(source, as_of=as_of)
    blocking = [
        p
        for p in book.errors
        if p.sheet in (None, book.sheets["Accounts"].title) and p.cell is None
    ]
    if not book.sheets["Accounts"].present or blocking:
        raise WorkbookInvalidError(source, blocking or book.errors)
    return write_computed(book, book.computed, target, overwrite=overwrite)


def write_computed(
    book: KamWorkbook,
    results: dict[str, RowResults],
    target: Path,
    *,
    overwrite: bool = True,
) -> RecalcReport:
    """Write ``results`` into the Accounts cells of a copy of ``book``'s file at ``target``
    (an existing ``target`` is replaced only with ``overwrite``).

    The sheet is patched as text (:func:`~kamxl.workbook.sheetpatch.patch_cells`) when its
    XML has the usual form, and edited with lxml (:class:`SheetEditor`) otherwise.
    """
    with Package.open(book.path) as package:
        _check_extension(package, book.path, target)
        accounts = book.sheets["Accounts"]
        part = package.sheet_parts()[accounts.title]
        xml = package.read(part)
        editor = None
        letters = dict(accounts.letters)
        added = [name for name in schema.COMPUTED_COLUMNS if name not in letters]
        if added:  # new columns go after the sheet's last
            last_column = sheet_last_column(xml)
            if last_column is None:
                editor = SheetEditor(package.lxml(part))
                last_column = editor.max_column()
            for offset, name in enumerate(added, start=1):
                letters[name] = column_letter(last_column + offset)
        table = data_table(package.tables(part), schema.sheet_def("Accounts").table)
        header_row = table.header_row if table is not None and table.header_row else 1
        writes: dict[int, list[CellWrite]] = {}
        if added:
            writes[header_row] = [(column_index(letters[name]), name, NO_ERROR) for name in added]
        rows = accounts.frame["_row"].to_numpy().tolist()
        errors: dict[str, int] = {}
        for name in schema.COMPUTED_COLUMNS:
            result = results[name]
            column = column_index(letters[name])
            codes = result.errors.tolist()
            for excel_row, value, code in zip(rows, result.to_list(), codes, strict=True):
                cell_value = None if code != NO_ERROR else _cell_value(value)
                writes.setdefault(excel_row, []).append((column, cell_value, code))
                if code != NO_ERROR:
                    errors[error_text(code)] = errors.get(error_text(code), 0) + 1
        patched = patch_cells(xml, writes) if editor is None else None
        if patched is not None:
            sheet, kept = patched
        else:
            editor = editor or SheetEditor(package.lxml(part))
            kept = 0
            for excel_row, cells in writes.items():
                for column, value, code in cells:
                    kept += editor.set_value(excel_row, column_letter(column), value, code)
            sheet = editor.to_bytes()
        replacements = {part: sheet}
        if added and table is not None and table.header_row:
            replacements.update(_extend_table(package, table, added, letters))
        _copy_package(package, target, replacements, overwrite=overwrite)
    written = len(rows) * len(schema.COMPUTED_COLUMNS)
    return RecalcReport(
        target,
        len(rows),
        written,
        kept,
        tuple(added),
        errors,
        _bad_input_groups(book, results, letters),
    )


def _bad_input_groups(
    book: KamWorkbook, results: dict[str, RowResults], letters: dict[str, str]
) -> tuple[BadInputCells, ...]:
    """The computed cells showing an error because of a bad input, grouped by column,
    error and inputs, in column order."""
    accounts = book.sheets["Accounts"]
    rows = accounts.frame["_row"].to_numpy().tolist()
    groups: list[BadInputCells] = []
    for name, positions in bad_inputs(book).items():
        codes = results[name].errors
        by_cause: dict[tuple[int, tuple[str, ...]], list[int]] = {}
        for position, inputs in positions.items():
            if codes[position] != NO_ERROR:
                by_cause.setdefault((int(codes[position]), inputs), []).append(rows[position])
        for (code, inputs), excel_rows in by_cause.items():
            groups.append(
                BadInputCells(
                    accounts.title or "Accounts",
                    name,
                    letters[name],
                    tuple(excel_rows),
                    error_text(code),
                    inputs,
                )
            )
    return tuple(groups)


def _cell_value(value: Any) -> Any:
    if isinstance(value, (float, np.floating)):
        return float(value)
    return value


def _check_extension(package: Package, source: Path, target: Path) -> None:
    content_types = package.read("[Content_Types].xml").decode("utf-8", "replace")
    macro = _MACRO_CONTENT in content_types
    if macro and target.suffix.lower() != ".xlsm":
        raise OutputError(target, f"{source.name} holds macros: the output must end in .xlsm")
    if not macro and target.suffix.lower() != ".xlsx":
        raise OutputError(target, f"{source.name} has no macros: the output must end in .xlsx")


def _copy_package(
    package: Package, target: Path, replacements: dict[str, bytes], *, overwrite: bool
) -> None:
    """Copy every part of ``package`` to ``target`` (atomically), replacing some parts; the
    other parts keep their compressed bytes."""
    try:
        with package.path.open("rb") as source:
            atomic_write(
                target,
                lambda stream: copy_package(source, stream, replacements),
                overwrite=overwrite,
            )
    except (zipfile.BadZipFile, OSError) as error:  # the input changed since it was read
        raise NotAWorkbookError(package.path, f"is damaged: {error}") from None


def _split(ref: str) -> tuple[str, int]:
    match = _CELL_REF.match(ref)
    if match is None:
        raise ValueError(f"not a cell reference: {ref}")
    return match.group(1), int(match.group(2))


class SheetEditor:
    """In-place edits of a worksheet's cells, keeping everything else of the XML.

    Rows and cells are indexed once (row number -> column index -> element), so that
    writing a column of 100k results costs a dictionary lookup and an element per cell.
    """

    def __init__(self, root: etree._Element) -> None:
        self.root = root
        self.sheet_data = root.find(f"{{{_MAIN}}}sheetData")
        if self.sheet_data is None:
            self.sheet_data = etree.SubElement(root, f"{{{_MAIN}}}sheetData")
        self.rows: dict[int, etree._Element] = {}
        self.cells: dict[int, dict[int, etree._Element]] = {}
        self._last: dict[int, int] = {}  # row number -> its last column index
        self._grown: set[int] = set()  # rows given a new last cell (their spans to widen)
        previous = 0
        digits = "0123456789"
        for row in self.sheet_data.iterchildren(_ROW):
            r = row.get("r")
            number = int(r) if r else previous + 1
            if not r:
                row.set("r", str(number))
            previous = number
            self.rows[number] = row
            cells: dict[int, etree._Element] = {}
            column = -1
            for cell in row.iterchildren(_C):
                ref = cell.get("r")
                if ref:
                    column = column_index(ref.rstrip(digits))
                else:
                    column += 1
                    cell.set("r", f"{column_letter(column)}{number}")
                cells[column] = cell
            self.cells[number] = cells
            self._last[number] = column

    def max_column(self) -> int:
        return max(self._last.values(), default=-1)

    def _row(self, number: int) -> etree._Element:
        row = self.rows.get(number)
        if row is None:
            row = etree.Element(_ROW, r=str(number))
            later = [n for n in self.rows if n > number]
            if later:
                self.rows[min(later)].addprevious(row)
            else:
                self.sheet_data.append(row)
            self.rows[number] = row
            self.cells[number] = {}
            self._last[number] = -1
        return row

    def _cell(self, number: int, column: int, letters: str) -> etree._Element:
        cells = self.cells.get(number)
        cell = cells.get(column) if cells is not None else None
        if cell is not None:
            return cell
        row = self._row(number)
        cells = self.cells[number]
        if column > self._last[number]:  # the usual case: a new last cell of the row
            cell = etree.SubElement(row, _C, r=f"{letters}{number}")
            self._last[number] = column
            self._grown.add(number)
        else:
            cell = etree.Element(_C, r=f"{letters}{number}")
            cells[min(c for c in cells if c > column)].addprevious(cell)
        cells[column] = cell
        return cell

    def set_cell(self, ref: str, value: Any, code: int) -> int:
        """Write ``value`` (or the error ``code``) in ``ref``; 1 if the cell keeps a formula."""
        letters, number = _split(ref)
        return self.set_value(number, letters, value, code)

    def set_value(self, number: int, letters: str, value: Any, code: int) -> int:
        """:meth:`set_cell` for row ``number`` of the column ``letters``."""
        cell = self._cell(number, column_index(letters), letters)
        formula = None
        if len(cell):
            formula = cell.find(_F)
            for child in cell.findall(_V) + cell.findall(_IS):
                cell.remove(child)
        elif code == NO_ERROR and isinstance(value, float | int) and not isinstance(value, bool):
            cell.attrib.pop("t", None)  # the usual case: a number in a cell without a formula
            etree.SubElement(cell, _V).text = repr(float(value))
            return 0
        position = 0 if formula is None else cell.index(formula) + 1
        if code != NO_ERROR:
            cell.set("t", "e")
            cell.insert(position, _element(_V, error_text(code)))
        elif value is None or (isinstance(value, str) and value == ""):
            if formula is not None:
                cell.set("t", "str")
                cell.insert(position, _element(_V, ""))
            else:
                cell.attrib.pop("t", None)
        elif isinstance(value, str):
            if formula is not None:
                cell.set("t", "str")
                cell.insert(position, _element(_V, value))
            else:
                cell.set("t", "inlineStr")
                inline = etree.Element(_IS)
                inline.append(_element(_T, value))
                cell.insert(position, inline)
        else:
            cell.attrib.pop("t", None)
            cell.insert(position, _element(_V, repr(float(value))))
        return int(formula is not None)

    def to_bytes(self) -> bytes:
        self._update_spans()
        self._update_dimension()
        return etree.tostring(self.root, xml_declaration=True, encoding="UTF-8", standalone=True)

    def _update_spans(self) -> None:
        """Widen the ``spans`` hint of the rows that got a new last cell."""
        for number in self._grown:
            row = self.rows[number]
            spans = row.get("spans")
            if spans and ":" in spans:
                low, high = (int(x) for x in spans.split(":", 1))
                row.set("spans", f"{low}:{max(high, self._last[number] + 1)}")
        self._grown.clear()

    def _update_dimension(self) -> None:
        dimension = self.root.find(f"{{{_MAIN}}}dimension")
        if dimension is None or not self.cells:
            return
        last_row = max(self.rows)
        last_column = self.max_column()
        ref = dimension.get("ref", "A1")
        start = ref.split(":", 1)[0]
        dimension.set("ref", f"{start}:{column_letter(max(last_column, 0))}{last_row}")


def _element(tag: str, text: str) -> etree._Element:
    element = etree.Element(tag)
    element.text = excel_text(text)
    if text != text.strip():
        element.set("{http://www.w3.org/XML/1998/namespace}space", "preserve")
    return element


def _extend_table(
    package: Package, table: Table, added: list[str], letters: dict[str, str]
) -> dict[str, bytes]:
    """Add the new columns to the Accounts table when it ends where they start.

    The table keeps its rows: a totals row stays its last row (the new columns have no
    total), and its filter keeps covering the header and data rows only.
    """
    first_new = min(column_index(letters[name]) for name in added)
    if table.last_column != first_new - 1:
        return {}
    root = package.lxml(table.part)
    columns = root.find(f"{{{_MAIN}}}tableColumns")
    if columns is None:
        return {}
    next_id = max((int(c.get("id", "0")) for c in columns), default=0) + 1
    for offset, name in enumerate(added):
        etree.SubElement(columns, f"{{{_MAIN}}}tableColumn", id=str(next_id + offset), name=name)
    columns.set("count", str(len(columns)))
    last = column_letter(first_new + len(added) - 1)
    start = f"{column_letter(table.first_column)}{table.first_row}"
    root.set("ref", f"{start}:{last}{table.last_row}")
    auto_filter = root.find(f"{{{_MAIN}}}autoFilter")
    if auto_filter is not None:
        bounds = range_bounds(auto_filter.get("ref", ""))
        end_row = bounds[2] if bounds is not None else table.last_data_row
        auto_filter.set("ref", f"{start}:{last}{end_row}")
    return {
        table.part: etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)
    }

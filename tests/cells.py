"""Changing one cell of a saved workbook, as a user would in Excel, without any library
that re-saves the rest: the sheet's XML gets the new cell, every other part is copied."""

from __future__ import annotations

import re
import zipfile
from pathlib import Path
from typing import Any

from lxml import etree

from kamxl.workbook.package import Package

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_NS = {"m": MAIN}
ERROR = object()  # marks an error value: set_cell(..., ("#N/A", ERROR))
FORMULA = object()  # marks a formula saved without its result: ("H4*2", FORMULA)


def _column_number(letters: str) -> int:
    number = 0
    for char in letters:
        number = number * 26 + ord(char) - 64
    return number


def set_cell(source: Path, target: Path, sheet: str, address: str, value: Any) -> Path:
    """A copy of ``source`` at ``target`` whose cell ``sheet!address`` holds ``value``: text
    (an inline string), a number, ``("#N/A", ERROR)`` for an error cell, ``("H4*2",
    FORMULA)`` for a formula saved without its result (as a library that does not calculate
    writes it), or None to empty the cell (as the Delete key does)."""
    with Package.open(source) as package:
        part = package.sheet_parts()[sheet]
    with zipfile.ZipFile(source) as zin:
        root = etree.fromstring(zin.read(part))
        _put(root, address, value)
        data = etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)
        with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as zout:
            for info in zin.infolist():
                zout.writestr(info, data if info.filename == part else zin.read(info.filename))
    return target


def _put(root: etree._Element, address: str, value: Any) -> None:
    letters, row_number = re.fullmatch(r"([A-Z]+)([0-9]+)", address).groups()
    sheet_data = root.find("m:sheetData", _NS)
    row = sheet_data.find(f"m:row[@r='{row_number}']", _NS)
    if row is None:
        row = etree.SubElement(sheet_data, f"{{{MAIN}}}row", r=row_number)
    cell = row.find(f"m:c[@r='{address}']", _NS)
    if cell is None:
        cell = etree.Element(f"{{{MAIN}}}c", r=address)
        after = [c for c in row if _column_number(_letters(c.get("r"))) < _column_number(letters)]
        row.insert(row.index(after[-1]) + 1 if after else 0, cell)
    style = cell.get("s")
    for child in list(cell):
        cell.remove(child)
    for key in list(cell.attrib):
        if key not in ("r", "s"):
            del cell.attrib[key]
    if style is not None:
        cell.set("s", style)
    if value is None:
        return
    if isinstance(value, tuple) and value[1] is FORMULA:
        etree.SubElement(cell, f"{{{MAIN}}}f").text = value[0]
    elif isinstance(value, tuple) and value[1] is ERROR:
        cell.set("t", "e")
        etree.SubElement(cell, f"{{{MAIN}}}v").text = value[0]
    elif isinstance(value, str):
        cell.set("t", "inlineStr")
        inline = etree.SubElement(cell, f"{{{MAIN}}}is")
        etree.SubElement(inline, f"{{{MAIN}}}t").text = value
    else:
        etree.SubElement(cell, f"{{{MAIN}}}v").text = repr(float(value))


def _letters(address: str) -> str:
    return re.match(r"[A-Z]+", address).group(0)

"""Structural checks of a deck, read back with python-pptx (LibreOffice hides some overflow,
so what a user would see is also checked in the file itself)."""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import openpyxl
from lxml import etree
from pptx import Presentation
from pptx.util import Emu

from kamxl.deck.fit import MARGIN_X, MARGIN_Y, wrap

#: What must never show on a slide: template syntax, Python's missing values, Excel errors.
FORBIDDEN = re.compile(
    r"\{\{|\{%|\bNone\b|\bnan\b|\bNaN\b|#VALUE!|#N/A|#DIV/0!|#NUM!|#REF!|#NAME\?|undefined"
)


def shapes(container: Any) -> Iterator[Any]:
    for shape in container.shapes:
        yield shape
        if shape.shape_type == 6:  # group
            yield from shapes(shape)


def shape_texts(slide: Any) -> list[str]:
    """Every text on a slide: text frames, tables, chart titles, series names, point labels."""
    texts = []
    for shape in shapes(slide):
        if shape.has_text_frame:
            texts.append(shape.text_frame.text)
        if getattr(shape, "has_table", False) and shape.has_table:
            for row in shape.table.rows:
                texts.extend(cell.text for cell in row.cells)
        if getattr(shape, "has_chart", False) and shape.has_chart:
            texts.extend(chart_texts(shape.chart))
    return texts


def chart_texts(chart: Any) -> list[str]:
    texts = []
    xml = chart.part.blob.decode("utf-8", "replace")
    texts.extend(re.findall(r"<a:t>([^<]*)</a:t>", xml))
    texts.extend(re.findall(r"<c:v>([^<]*)</c:v>", xml))
    return texts


def chart_workbook_values(chart: Any) -> list[Any]:
    """Every cell value of the workbook embedded in a chart."""
    blob = chart.part.chart_workbook.xlsx_part.blob
    book = openpyxl.load_workbook(io.BytesIO(blob), data_only=True)
    return [
        c.value
        for ws in book.worksheets
        for row in ws.iter_rows()
        for c in row
        if c.value is not None
    ]


def notes(slide: Any) -> str:
    return slide.notes_slide.notes_text_frame.text if slide.has_notes_slide else ""


def everything(path: Path) -> list[str]:
    """All text of a deck: slides, charts (cached and embedded workbook) and notes."""
    prs = Presentation(str(path))
    out = []
    for slide in prs.slides:
        out.extend(shape_texts(slide))
        out.append(notes(slide))
        for shape in shapes(slide):
            if getattr(shape, "has_chart", False) and shape.has_chart:
                out.extend(str(v) for v in chart_workbook_values(shape.chart))
    return out


def raw_xml(path: Path) -> str:
    """The XML of every part of the deck, as one text (for leak searches)."""
    with zipfile.ZipFile(path) as z:
        return "\n".join(
            z.read(n).decode("utf-8", "replace")
            for n in z.namelist()
            if n.endswith((".xml", ".rels"))
        )


def xml_texts(pptx: Path) -> str:
    """Every text node and attribute value of every XML part of a deck, as written (python-pptx
    reads a line break as "\\v"; the layout white space between elements is left out)."""
    texts = []
    with zipfile.ZipFile(pptx) as deck:
        for name in deck.namelist():
            if name.endswith((".xml", ".rels")):
                for element in etree.fromstring(deck.read(name)).iter():
                    texts += [t for t in (element.text, element.tail) if t and t.strip()]
                    texts += element.attrib.values()
    return "\n".join(texts)


def kickers_and_titles(path: Path) -> list[tuple[str, str]]:
    prs = Presentation(str(path))
    out = []
    for slide in prs.slides:
        title = slide.shapes.title.text_frame.text if slide.shapes.title is not None else ""
        texts = [
            s.text_frame.text for s in slide.shapes if s.has_text_frame and s != slide.shapes.title
        ]
        kicker = texts[0] if texts else ""
        out.append((kicker, title.replace("\n", " ")))
    return out


def check_deck(path: Path) -> None:
    """Every shape inside the slide, no forbidden text anywhere, text fitted to its box."""
    prs = Presentation(str(path))
    width, height = prs.slide_width, prs.slide_height
    for number, slide in enumerate(prs.slides, start=1):
        for shape in shapes(slide):
            if shape.left is None:
                continue
            assert shape.left >= 0 and shape.top >= 0, (number, shape.name)
            assert shape.left + shape.width <= width + 1, (number, shape.name, "right")
            assert shape.top + shape.height <= height + 1, (number, shape.name, "bottom")
            if shape.has_text_frame and shape.text_frame.text.strip():
                assert_fits(shape, number)
        for text in [*shape_texts(slide), notes(slide)]:
            found = FORBIDDEN.search(text or "")
            assert found is None, (number, found.group(0) if found else "", text)


def assert_fits(shape: Any, number: int) -> None:
    """The text of a shape, at its run size, wraps into lines that fit the shape's height."""
    frame = shape.text_frame
    sizes = [r.font.size for p in frame.paragraphs for r in p.runs if r.font.size is not None]
    if not sizes:
        return
    size = Emu(max(sizes)).pt
    bold = any(r.font.bold for p in frame.paragraphs for r in p.runs)
    usable_width = Emu(shape.width - 2 * MARGIN_X).pt
    lines = sum(
        max(1, len(wrap(p.text, usable_width, size, bold=bold))) for p in frame.paragraphs if p.text
    )
    # A paragraph written by kamxl holds its measured lines separated by line breaks.
    lines = max(lines, frame.text.count("\n") + 1)
    needed = lines * size * 1.2
    available = Emu(shape.height - 2 * MARGIN_Y).pt
    assert needed <= available + 0.5, (number, shape.name, frame.text[:60], needed, available)


def plain(text: str) -> str:
    """``text`` with every run of spaces, line breaks and no-break spaces (which tie a
    number to its unit on a slide) as one space."""
    return re.sub(r"[ \t\r\n\v\u00a0\u202f]+", " ", text)

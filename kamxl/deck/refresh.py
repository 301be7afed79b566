"""Refreshing an edited deck from the workbook, keeping what the user did.

:func:`refresh_deck` reads the bindings of a deck (:mod:`kamxl.deck.binding`), builds the
same decks fresh in memory from the workbook (kind, account, audience and language from
the bindings) and copies, for each bound shape, the fresh content into the user's shape:

- a text goes into the user's paragraphs and runs (their formatting stays; a paragraph
  more clones the last one), fitted again to the user's box when the user resized it;
- a table keeps its header and its formatting: its rows grow (a data row's XML cloned, the
  banding kept) or shrink to the fresh rows, each row the fresh height;
- a chart gets the fresh series data (categories, values, names) in its own XML, so its
  formatting stays, and the fresh data goes into the data sheet of its own embedded
  workbook, whose other sheets stay.

A bound text or table whose content no longer matches its fingerprint was edited by the
user: it is kept and listed, unless ``overwrite_edits``. A binding the fresh build no longer
has (a section now empty, an account gone from the workbook) is reported and its shape left
as it is. Slides, the user's own shapes, notes, layouts and master are never touched.

Client safety: a deck holding any client binding is a client deck; its internal bindings
(a shape pasted from an internal deck) are never refreshed, so internal data never enters it.
"""

from __future__ import annotations

import copy
import html
import io
import re
import zipfile
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lxml import etree
from pptx import Presentation
from pptx.oxml.ns import qn
from pptx.util import Emu, Pt

from kamxl.deck.binding import (
    Binding,
    DeckId,
    binding_name,
    fingerprint,
    paragraph_lines,
    parse_name,
    placeholder_type,
    shape_content,
    text_of,
)
from kamxl.deck.build import Bound, Deck, chart_space
from kamxl.deck.context import Audience, DeckError
from kamxl.deck.fit import MARGIN_X, MARGIN_Y, WIDTH_SAFETY, fit
from kamxl.deck.style import GREY, RAG, TABLE, WHITESPACE_SYMBOL, TypeSize
from kamxl.errors import FileProblemError, KamxlError, NotAWorkbookError
from kamxl.workbook.model import KamWorkbook

__all__ = [
    "FolderResult",
    "NoBindingError",
    "NotADeckError",
    "RefreshReport",
    "book_for",
    "deck_files",
    "deck_ids",
    "refresh_deck",
    "refresh_file",
    "refresh_folder",
]

_P_TX_BODY = qn("p:txBody")
_A_TX_BODY = qn("a:txBody")
_A_P = qn("a:p")
_A_R = qn("a:r")
_A_BR = qn("a:br")
_A_FLD = qn("a:fld")
_A_T = qn("a:t")
_A_RPR = qn("a:rPr")
_A_END = qn("a:endParaRPr")
_A_TBL = qn("a:tbl")
_A_TR = qn("a:tr")
_A_TC = qn("a:tc")
_A_GRID_COL = qn("a:gridCol")
_A_TC_PR = qn("a:tcPr")
_A_XFRM = qn("a:xfrm")
_A_EXT = qn("a:ext")
_A_SOLID = qn("a:solidFill")
_A_SRGB = qn("a:srgbClr")
_P_XFRM = qn("p:xfrm")
_C_PLOT_AREA = qn("c:plotArea")
_C_SER = qn("c:ser")
_C_IDX = qn("c:idx")
_C_EXTERNAL_DATA = qn("c:externalData")
_C_ORDER = qn("c:order")
_C_DLBLS = qn("c:dLbls")
_C_DLBL = qn("c:dLbl")
_C_SCALING = qn("c:scaling")
_AXES = tuple(qn(f"c:{t}") for t in ("valAx", "catAx", "dateAx", "serAx"))
_RANGE = (qn("c:min"), qn("c:max"))
#: what comes after ``c:dLbls`` in a series of any chart kind
_AFTER_DLBLS = frozenset(
    qn(f"c:{t}")
    for t in (
        "trendline",
        "errBars",
        "cat",
        "val",
        "xVal",
        "yVal",
        "bubbleSize",
        "bubble3D",
        "smooth",
        "shape",
        "extLst",
    )
)
#: the parts of a chart series that hold its data (the rest is its formatting)
_SERIES_DATA = tuple(qn(f"c:{t}") for t in ("tx", "cat", "val", "xVal", "yVal", "bubbleSize"))
#: colours that say a status (red, amber, green; grey for "and N more"): a table cell takes
#: the fresh one, since the status may have changed
_STATUS_COLOURS = frozenset(str(c).upper() for c in (*RAG.values(), GREY))
#: the colours of red, amber and green: a text in one of them takes the fresh colour
_RAG = frozenset(str(c).upper() for c in RAG.values())
#: the symbols of a whitespace cell's state (bought, proposed, open ground): a cell showing
#: one takes the fresh cell's fill and colour, since they say the state too
_STATE_SYMBOLS = frozenset(WHITESPACE_SYMBOL[s] for s in ("bought", "proposed", "open"))
_P_SP_PR = qn("p:spPr")


class NotADeckError(FileProblemError):
    """A file to refresh that is no PowerPoint deck."""


class NoBindingError(FileProblemError):
    """A deck holds no kamxl binding: it was not made by kamxl, or its bindings are gone."""


@dataclass
class RefreshReport:
    """What a refresh did, each entry ``slide N: key`` (and why, where it says)."""

    decks: list[str] = field(default_factory=list)
    refreshed: list[str] = field(default_factory=list)
    unchanged: int = 0
    #: bound texts or tables the user edited, kept as the user wrote them
    kept: list[str] = field(default_factory=list)
    #: bindings that could not be refreshed, with the reason
    unbound: list[str] = field(default_factory=list)
    #: elements a fresh build has on a slide of the deck that the deck lacks
    new: list[str] = field(default_factory=list)


@dataclass
class _Shape:
    """A bound shape of the user's deck."""

    slide: int
    part: Any
    element: Any
    binding: Binding

    @property
    def where(self) -> str:
        return f"slide {self.slide}: {self.binding.key}"


@dataclass
class _Fresh:
    """A fresh build of one deck, its bound shapes by key."""

    deck: Deck
    shapes: dict[str, Bound]


def refresh_deck(
    data: bytes,
    book: KamWorkbook,
    *,
    overwrite_edits: bool = False,
    name: str = "deck",
    keep_going: bool = False,
) -> tuple[bytes, RefreshReport]:
    """The deck ``data`` (a .pptx) brought up to date from ``book``, and what was done.

    A workbook that fails the check refreshes nothing
    (:class:`~kamxl.errors.WorkbookInvalidError`) unless ``keep_going``, as for
    ``kamxl deck``. Raises :class:`NoBindingError` (naming ``name``) for a deck with no
    kamxl binding."""
    if not keep_going:
        book.require_valid()
    try:
        prs = Presentation(io.BytesIO(data))
    except Exception as error:  # not a zip, not a presentation: python-pptx's many errors
        raise NotADeckError(
            name, f"is not a PowerPoint deck (.pptx): {type(error).__name__}"
        ) from None
    shapes = list(_bound_shapes(prs))
    if not shapes:
        raise NoBindingError(
            name,
            "holds no kamxl binding: it was not made by kamxl (or its shapes were renamed), "
            "so there is nothing to refresh; build it with `kamxl deck`",
        )
    report = RefreshReport()
    client = any(s.binding.deck.audience != Audience.INTERNAL.value for s in shapes)
    fresh: dict[DeckId, _Fresh | str] = {}
    for deck_id in dict.fromkeys(s.binding.deck for s in shapes):
        if client and deck_id.audience == Audience.INTERNAL.value:
            fresh[deck_id] = "internal content in a client deck is never refreshed"
            continue
        fresh[deck_id] = _build(book, deck_id)
        if isinstance(fresh[deck_id], _Fresh):
            report.decks.append(deck_id.describe())
    final: dict[Any, str] = {}  # element -> the fingerprint its name will carry
    for shape in shapes:
        built = fresh[shape.binding.deck]
        final[shape.element] = shape.binding.fingerprint
        if isinstance(built, str):
            report.unbound.append(f"{shape.where} ({built})")
            continue
        source = built.shapes.get(shape.binding.key)
        if source is None:
            report.unbound.append(f"{shape.where} (no longer in the deck the workbook gives)")
            continue
        final[shape.element] = _refresh_shape(shape, source, overwrite_edits, report)
    _rename(shapes, final)
    report.new = _new_elements(shapes, fresh)
    buffer = io.BytesIO()
    prs.save(buffer)
    return buffer.getvalue(), report


def _build(book: KamWorkbook, deck_id: DeckId) -> _Fresh | str:
    """The fresh deck of ``deck_id``, sealed, or why there is none."""
    from kamxl.deck.make import DeckKind, _deck

    try:
        kind = DeckKind(deck_id.kind)
        audience = Audience(deck_id.audience)
        deck, _ = _deck(book, kind, deck_id.account, audience, deck_id.language, None, None)
    except ValueError:
        return f"unknown deck kind or audience {deck_id.kind!r}/{deck_id.audience!r}"
    except DeckError as error:
        return str(error)
    deck.seal()
    return _Fresh(deck, {b.key: b for b in deck.bound})


def _bound_shapes(prs: Any) -> Iterator[_Shape]:
    """Every bound shape of the deck, in slide order, with the placeholders whose binding a
    carrier holds (their own name lost, as LibreOffice does)."""
    for number, slide in enumerate(prs.slides, start=1):
        part = slide.part
        named: set[Any] = set()
        carried: list[tuple[Binding, tuple[str, str, str]]] = []
        for properties in slide._element.iter(qn("p:cNvPr")):
            binding = parse_name(properties.get("name"))
            if binding is None:
                continue
            element = properties.getparent().getparent()
            named.add(element)
            carried += [(binding, c) for c in binding.carried]
            yield _Shape(number, part, element, binding)
        for binding, (kind, key, print_) in carried:
            element = _placeholder(slide, kind)
            if element is not None and element not in named:
                named.add(element)
                yield _Shape(number, part, element, Binding(binding.deck, key, print_))


def _placeholder(slide: Any, kind: str) -> Any:
    for element in slide.shapes._spTree.iterchildren():
        if placeholder_type(element) == kind:
            return element
    return None


def _refresh_shape(
    shape: _Shape, source: Bound, overwrite_edits: bool, report: RefreshReport
) -> str:
    """Copy ``source`` (fresh) into ``shape``; returns the fingerprint its name keeps."""
    user_chart = chart_space(shape.part, shape.element)
    fresh_chart = chart_space(source.slide_part, source.element)
    now = shape_content(shape.element, user_chart)
    new = shape_content(source.element, fresh_chart)
    if now == new:
        report.unchanged += 1
        return source.fingerprint
    if (user_chart is None) != (fresh_chart is None):
        report.unbound.append(f"{shape.where} (the shape is no longer of its kind)")
        return shape.binding.fingerprint
    if user_chart is None and fingerprint(now) != shape.binding.fingerprint and not overwrite_edits:
        report.kept.append(shape.where)
        return shape.binding.fingerprint
    if user_chart is not None:
        _write_chart(shape, source, user_chart, fresh_chart)
    elif new.startswith("fill:"):
        _write_fill(shape.element, source.element)
    elif next(shape.element.iter(_A_TBL), None) is not None:
        _write_table(shape.element, source)
    else:
        _write_text(shape.element, source)
    report.refreshed.append(shape.where)
    return source.fingerprint


def _rename(shapes: Sequence[_Shape], final: dict[Any, str]) -> None:
    """Write each bound shape's binding again with the fingerprint of what it now holds
    (a carrier's placeholders' too)."""
    by_key = {(s.part, s.binding.key): final.get(s.element, s.binding.fingerprint) for s in shapes}
    for shape in shapes:
        names = shape.element.xpath("./*[1]/p:cNvPr")
        if not names or parse_name(names[0].get("name")) is None:
            continue  # a placeholder bound through its carrier: its name is not kamxl's
        carried = tuple(
            (kind, key, by_key.get((shape.part, key), print_))
            for kind, key, print_ in shape.binding.carried
        )
        binding = Binding(shape.binding.deck, shape.binding.key, final[shape.element], carried)
        names[0].set("name", binding_name(binding))


def _new_elements(shapes: Sequence[_Shape], fresh: dict[DeckId, _Fresh | str]) -> list[str]:
    """The fresh elements on the deck's slides (by their section and page) that the deck
    does not hold (a tile that now has a value), and the slides more of a section the deck
    holds (a table that now continues on a second slide)."""
    held = {(s.binding.deck, s.binding.key) for s in shapes}
    pages = {(s.binding.deck, _page(s.binding.key)) for s in shapes}
    sections = {(s.binding.deck, s.binding.key.split(".", 1)[0]) for s in shapes}
    new: dict[str, None] = {}
    for deck_id, built in fresh.items():
        if isinstance(built, str):
            continue
        for key in built.shapes:
            page = _page(key)
            if (deck_id, key) in held:
                continue
            if (deck_id, page) in pages:
                new[key] = None
            elif (deck_id, key.split(".", 1)[0]) in sections:
                new[f"{page} (a slide more)"] = None
    return list(new)


def _page(key: str) -> str:
    """The section and page of a key (``actions.p2.table`` -> ``actions.p2``)."""
    section, _, rest = key.partition(".")
    first = rest.split(".", 1)[0]
    return f"{section}.{first}" if first.startswith("p") and first[1:].isdigit() else section


# --- text -------------------------------------------------------------------------------------


def _write_text(element: Any, source: Bound) -> None:
    """The fresh text in the user's text body, fitted again to the user's box when it is not
    the box kamxl drew (moved only: the same lines)."""
    body = element.find(_P_TX_BODY)
    fresh_body = source.element.find(_P_TX_BODY)
    if body is None or fresh_body is None:
        return
    paragraphs = [list(paragraph_lines(p)) for p in fresh_body.findall(_A_P)]
    size = None
    box, fresh_box = _extent(element), _extent(source.element)
    user_size = _first_size(body)
    fresh_size = _first_size(fresh_body)
    if (
        source.text is not None
        and source.size is not None
        and box is not None
        and (box != fresh_box or (user_size is not None and user_size != fresh_size))
    ):
        largest = user_size if user_size is not None else Emu(source.size.size).pt
        smallest = min(Emu(source.size.minimum).pt, largest)
        width = Emu(max(box[0] - 2 * MARGIN_X, 0)).pt * WIDTH_SAFETY
        height = Emu(max(box[1] - 2 * MARGIN_Y, 0)).pt
        fitted = fit(
            source.text,
            width,
            height,
            TypeSize(Pt(largest), Pt(smallest)),
            bold=source.bold,
            one_line=source.one_line,
        )
        paragraphs = [list(fitted.lines)]
        size = fitted.size if fitted.size != largest else None
    user_colour, fresh_colour = _colour(body), _colour(fresh_body)
    _fill_body(body, paragraphs, size)
    if fresh_colour != user_colour and (fresh_colour in _RAG or user_colour in _RAG):
        _set_colour(body, fresh_body)  # a status colour follows the status


def _write_fill(element: Any, fresh_element: Any) -> None:
    """The fresh fill of a shape whose colour says a status (a tile's bar)."""
    sp_pr, fresh_sp_pr = element.find(_P_SP_PR), fresh_element.find(_P_SP_PR)
    fresh = None if fresh_sp_pr is None else fresh_sp_pr.find(_A_SOLID)
    if sp_pr is None or fresh is None:
        return
    old = sp_pr.find(_A_SOLID)
    if old is not None:
        sp_pr.replace(old, copy.deepcopy(fresh))
        return
    geometry = sp_pr.find(qn("a:prstGeom"))
    if geometry is not None:
        geometry.addnext(copy.deepcopy(fresh))


def _extent(element: Any) -> tuple[int, int] | None:
    """The width and height a shape sets itself (None: inherited from its layout)."""
    for xfrm in (element.find(f"{qn('p:spPr')}/{_A_XFRM}"), element.find(_P_XFRM)):
        if xfrm is not None and xfrm.find(_A_EXT) is not None:
            ext = xfrm.find(_A_EXT)
            return int(ext.get("cx")), int(ext.get("cy"))
    return None


def _first_size(body: Any) -> float | None:
    """The size in points of a text body's first run (None: inherited)."""
    for properties in body.iter(_A_RPR):
        if properties.get("sz"):
            return int(properties.get("sz")) / 100
    return None


def _fill_body(body: Any, paragraphs: Sequence[Sequence[str]], size: float | None) -> None:
    """Write ``paragraphs`` (each a list of lines) into ``body``: paragraph by paragraph into
    the user's, a paragraph more cloned from the last one, those left over removed."""
    existing = body.findall(_A_P)
    if not existing:
        existing = [etree.SubElement(body, _A_P)]
    previous = None
    for i, lines in enumerate(paragraphs or [[""]]):
        if i < len(existing):
            paragraph = existing[i]
        else:
            paragraph = copy.deepcopy(existing[-1])
            previous.addnext(paragraph)
        _fill_paragraph(paragraph, lines, size)
        previous = paragraph
    for extra in existing[len(paragraphs or [[""]]) :]:
        body.remove(extra)


def _fill_paragraph(paragraph: Any, lines: Sequence[str], size: float | None) -> None:
    """``lines`` in ``paragraph``, each run with the properties of the paragraph's first run
    (else its end's), a line break between lines; its paragraph properties stay."""
    runs = paragraph.findall(_A_R)
    end = paragraph.find(_A_END)
    if runs and runs[0].find(_A_RPR) is not None:
        template = copy.deepcopy(runs[0].find(_A_RPR))
    elif end is not None:
        template = copy.deepcopy(end)
        template.tag = _A_RPR
    else:
        template = etree.Element(_A_RPR)
    if size is not None:
        template.set("sz", str(round(size * 100)))
        if end is not None:
            end.set("sz", str(round(size * 100)))
    for child in list(paragraph):
        if child.tag in (_A_R, _A_BR, _A_FLD):
            paragraph.remove(child)
    for i, line in enumerate(lines or [""]):
        if i:
            brk = etree.Element(_A_BR)
            brk.append(copy.deepcopy(template))
            _before_end(paragraph, brk)
        run = etree.Element(_A_R)
        run.append(copy.deepcopy(template))
        etree.SubElement(run, _A_T).text = line
        _before_end(paragraph, run)


def _before_end(paragraph: Any, element: Any) -> None:
    end = paragraph.find(_A_END)
    if end is None:
        paragraph.append(element)
    else:
        end.addprevious(element)


# --- tables -----------------------------------------------------------------------------------


def _write_table(element: Any, source: Bound) -> None:
    """The fresh cells in the user's table: header and formatting kept, rows grown (a data
    row cloned, two back so the banding goes on) or shrunk, the frame as high as its rows.
    Columns the user resized get their cells fitted again to their widths."""
    table = next(element.iter(_A_TBL))
    fresh = next(source.element.iter(_A_TBL))
    columns = table.findall(f"{qn('a:tblGrid')}/{_A_GRID_COL}")
    fresh_columns = fresh.findall(f"{qn('a:tblGrid')}/{_A_GRID_COL}")
    rows, fresh_rows = table.findall(_A_TR), fresh.findall(_A_TR)
    if len(columns) != len(fresh_columns) or not rows:
        _replace_table(table, fresh, columns)
    else:
        for i, fresh_row in enumerate(fresh_rows):
            if i >= len(rows):
                model = rows[i - 2] if i - 2 >= 1 else rows[-1] if len(rows) > 1 else fresh_row
                row = copy.deepcopy(model)
                rows[-1].addnext(row)
                rows.append(row)
            _fill_row(rows[i], fresh_row)
        for extra in rows[len(fresh_rows) :]:
            table.remove(extra)
        widths = [int(c.get("w", "0")) for c in columns]
        if source.cells is not None and widths != [int(c.get("w", "0")) for c in fresh_columns]:
            _fit_cells(table.findall(_A_TR), source.cells, widths)
    height = sum(int(r.get("h", "0")) for r in table.findall(_A_TR))
    ext = element.find(f"{_P_XFRM}/{_A_EXT}")
    if ext is not None and height:
        ext.set("cy", str(height))


def _fit_cells(rows: Sequence[Any], cells: Sequence[Sequence[str]], widths: list[int]) -> None:
    """Each cell's text fitted again to the user's column widths as kamxl fits a table (the
    header bold), each row as high as its cells' lines need."""
    from kamxl.deck.build import _cell_fit, _row_height

    for i, (row, texts) in enumerate(zip(rows, cells, strict=False)):
        header = i == 0
        for cell, text, width in zip(row.findall(_A_TC), texts, widths, strict=False):
            body = cell.find(_A_TX_BODY)
            if body is None:
                continue
            fitted = _cell_fit(text, width, bold=header)
            size = fitted.size if fitted.size < Emu(TABLE.size).pt else None
            _fill_body(body, [list(fitted.lines)], size)
        row.set("h", str(_row_height(texts, widths, bold=header)))


def _replace_table(table: Any, fresh: Any, columns: Sequence[Any]) -> None:
    """The fresh table whole (its columns changed), its columns as wide as the user's table."""
    width = sum(int(c.get("w", "0")) for c in columns)
    new = copy.deepcopy(fresh)
    fresh_columns = new.findall(f"{qn('a:tblGrid')}/{_A_GRID_COL}")
    total = sum(int(c.get("w", "0")) for c in fresh_columns) or 1
    for column in fresh_columns:
        column.set("w", str(int(int(column.get("w", "0")) * (width or total) / total)))
    table.getparent().replace(table, new)


def _fill_row(row: Any, fresh_row: Any) -> None:
    row.set("h", fresh_row.get("h", row.get("h", "0")))
    for cell, fresh_cell in zip(row.findall(_A_TC), fresh_row.findall(_A_TC), strict=False):
        body, fresh_body = cell.find(_A_TX_BODY), fresh_cell.find(_A_TX_BODY)
        if body is None or fresh_body is None:
            cell.getparent().replace(cell, copy.deepcopy(fresh_cell))
            continue
        user_colour, fresh_colour = _colour(body), _colour(fresh_body)
        state = {text_of(body), text_of(fresh_body)} & _STATE_SYMBOLS
        _fill_body(body, [list(paragraph_lines(p)) for p in fresh_body.findall(_A_P)], None)
        if state:
            _set_cell_fill(cell, fresh_cell)
        if fresh_colour != user_colour and (
            state or fresh_colour in _STATUS_COLOURS or user_colour in _STATUS_COLOURS
        ):
            _set_colour(body, fresh_body)


def _set_cell_fill(cell: Any, fresh_cell: Any) -> None:
    """The fresh cell's fill (``a:tcPr``) on ``cell``: a whitespace cell's state."""
    properties, fresh = cell.find(_A_TC_PR), fresh_cell.find(_A_TC_PR)
    if properties is not None:
        cell.remove(properties)
    if fresh is not None:
        cell.find(_A_TX_BODY).addnext(copy.deepcopy(fresh))  # a:tcPr follows a:txBody


def _colour(body: Any) -> str | None:
    for properties in body.iter(_A_RPR):
        colour = properties.find(f"{_A_SOLID}/{_A_SRGB}")
        return None if colour is None else colour.get("val", "").upper()
    return None


def _set_colour(body: Any, fresh_body: Any) -> None:
    """The fresh status colour on every run of ``body``."""
    fresh = next((p.find(_A_SOLID) for p in fresh_body.iter(_A_RPR)), None)
    for properties in body.iter(_A_RPR):
        old = properties.find(_A_SOLID)
        if old is not None:
            properties.remove(old)
        if fresh is not None:
            properties.insert(_fill_index(properties), copy.deepcopy(fresh))


def _fill_index(properties: Any) -> int:
    """Where a fill goes among run properties (after a line, before effects and fonts)."""
    for i, child in enumerate(properties):
        if child.tag != qn("a:ln"):
            return i
    return len(properties)


# --- charts -----------------------------------------------------------------------------------


def _write_chart(shape: _Shape, source: Bound, chart: Any, fresh_chart: Any) -> None:
    """The fresh series data in the user's chart (its formatting kept), the fresh data in the
    data sheet of its embedded workbook (its other sheets kept)."""
    plots, fresh_plots = _plots(chart), _plots(fresh_chart)
    if [p.tag for p in plots] != [p.tag for p in fresh_plots]:
        _replace_chart(chart, fresh_chart)  # its kind of plots changed: kamxl's chart whole
        plots = fresh_plots = []
    for plot, fresh_plot in zip(plots, fresh_plots, strict=True):
        series, fresh_series = plot.findall(_C_SER), fresh_plot.findall(_C_SER)
        for i, fresh_one in enumerate(fresh_series):
            if i < len(series):
                _copy_series(series[i], fresh_one)
                continue
            new = copy.deepcopy(fresh_one)
            if series:
                series[-1].addnext(new)
            else:
                plot.insert(list(fresh_plot).index(fresh_one), new)
            series.append(new)
        for extra in series[len(fresh_series) :]:
            plot.remove(extra)
    _copy_axis_ranges(chart, fresh_chart)
    user_part = _chart_part(shape.part, shape.element)
    fresh_part = _chart_part(source.slide_part, source.element)
    fresh_xlsx = fresh_part.chart_workbook.xlsx_part
    if fresh_xlsx is None:
        return
    workbook = user_part.chart_workbook
    if workbook.xlsx_part is None:  # LibreOffice keeps no embedded workbook
        workbook.update_from_xlsx_blob(fresh_xlsx.blob)
        return
    blob = workbook.xlsx_part.blob
    if _sheet_count(blob) <= 1:  # only its data sheet: nothing of the user's to keep there
        workbook.xlsx_part.blob = fresh_xlsx.blob
        return
    workbook.xlsx_part.blob = _merged_workbook(blob, fresh_xlsx.blob)


def _sheet_count(xlsx: bytes) -> int:
    """How many worksheets an embedded workbook holds (from its zip listing: cheap)."""
    try:
        with zipfile.ZipFile(io.BytesIO(xlsx)) as archive:
            names = archive.namelist()
    except zipfile.BadZipFile:
        return 0
    return sum(n.startswith("xl/worksheets/") and n.endswith(".xml") for n in names)


def _replace_chart(chart: Any, fresh_chart: Any) -> None:
    """The fresh chart's XML in the user's chart part, but its link to the user's embedded
    workbook (which then gets the fresh data): a chart whose plots are no longer the same
    kinds (a forecast line now gone) cannot keep a stale series."""
    link = chart.find(_C_EXTERNAL_DATA)
    for child in list(chart):
        chart.remove(child)
    for child in fresh_chart:
        if child.tag != _C_EXTERNAL_DATA:
            chart.append(copy.deepcopy(child))
    if link is None:
        return
    after = [qn(t) for t in ("c:printSettings", "c:userShapes", "c:extLst")]
    follower = next((c for c in chart if c.tag in after), None)  # the schema's order
    if follower is None:
        chart.append(link)
    else:
        follower.addprevious(link)


def _plots(chart: Any) -> list[Any]:
    area = next(chart.iter(_C_PLOT_AREA), None)
    if area is None:
        return []
    return [child for child in area if child.tag.endswith("Chart")]


def _chart_part(slide_part: Any, element: Any) -> Any:
    reference = next(element.iter(qn("c:chart")))
    return slide_part.related_part(reference.get(qn("r:id")))


def _copy_axis_ranges(chart: Any, fresh_chart: Any) -> None:
    """Each axis' range (``c:scaling`` ``c:min``/``c:max``) as the fresh build computed it
    from the data (a bridge's value axis starts above zero when its steps are small; a
    stale minimum would hide a column that grew or fell): the axes are matched by kind, in
    order; their other formatting stays the user's."""
    for tag in _AXES:
        axes, fresh_axes = list(chart.iter(tag)), list(fresh_chart.iter(tag))
        for axis, fresh_axis in zip(axes, fresh_axes, strict=False):
            scaling, fresh_scaling = axis.find(_C_SCALING), fresh_axis.find(_C_SCALING)
            if scaling is None or fresh_scaling is None:
                continue
            for bound in _RANGE:
                old, new = scaling.find(bound), fresh_scaling.find(bound)
                if old is not None:
                    scaling.remove(old)
                if new is not None:
                    _scaling_insert(scaling, copy.deepcopy(new))


def _scaling_insert(scaling: Any, element: Any) -> None:
    """Put ``c:min`` or ``c:max`` at its place in ``c:scaling`` (logBase, orientation,
    max, min, extLst: the schema's order)."""
    order = [qn(f"c:{t}") for t in ("logBase", "orientation", "max", "min", "extLst")]
    rank = order.index(element.tag)
    follower = next((c for c in scaling if c.tag in order[rank + 1 :]), None)
    if follower is None:
        scaling.append(element)
    else:
        follower.addprevious(element)


def _copy_series(series: Any, fresh: Any) -> None:
    """The fresh name, categories and values in ``series``; its formatting stays. Its
    index and order become the fresh series' (unique across the chart's plots, as a
    series more in one plot would otherwise repeat another plot's index). Labels kamxl
    placed point by point (a bubble's account, a stakeholder's name) belong to their
    points: when the fresh series has such labels, its labels replace the user's."""
    for tag in (_C_IDX, _C_ORDER):
        number, fresh_number = series.find(tag), fresh.find(tag)
        if number is not None and fresh_number is not None:
            number.set("val", fresh_number.get("val"))
    for tag in _SERIES_DATA:
        new, old = fresh.find(tag), series.find(tag)
        if new is None:
            if old is not None:
                series.remove(old)
            continue
        if old is not None:
            series.replace(old, copy.deepcopy(new))
            continue
        before = new.getprevious()
        anchor = series.find(before.tag) if before is not None else None
        if anchor is not None:
            anchor.addnext(copy.deepcopy(new))
        else:
            series.append(copy.deepcopy(new))
    _copy_point_labels(series, fresh)


def _copy_point_labels(series: Any, fresh: Any) -> None:
    """The fresh series' labels (``c:dLbls``) in ``series`` when they name points one by one
    (a ``c:dLbl``) or the user's do: which point is labelled, and with what, follows the
    data. Labels set for the whole series (a number format, a font) stay the user's."""
    labels, fresh_labels = series.find(_C_DLBLS), fresh.find(_C_DLBLS)
    per_point = any(
        found is not None and found.find(_C_DLBL) is not None for found in (labels, fresh_labels)
    )
    if not per_point:
        return
    if labels is not None and fresh_labels is not None:
        series.replace(labels, copy.deepcopy(fresh_labels))
    elif labels is not None:
        series.remove(labels)
    else:  # before what follows labels in a series (the schema's order)
        follower = next((c for c in series if c.tag in _AFTER_DLBLS), None)
        if follower is None:
            series.append(copy.deepcopy(fresh_labels))
        else:
            follower.addprevious(copy.deepcopy(fresh_labels))


def _merged_workbook(user: bytes, fresh: bytes) -> bytes:
    """The user's embedded workbook with its data sheet (the one named as the fresh data
    sheet, else its first) holding the fresh data: values and number formats; its other
    sheets as they were."""
    from openpyxl import load_workbook

    try:
        fresh_stream = io.BytesIO(fresh)
        fresh_book = load_workbook(fresh_stream, read_only=True)
        user_book = load_workbook(io.BytesIO(user))
    except Exception:  # an embedded workbook openpyxl cannot read: replaced whole
        return fresh
    source = fresh_book.worksheets[0]
    names = user_book.sheetnames
    target = user_book[source.title] if source.title in names else user_book.worksheets[0]
    for row in target.iter_rows():
        for cell in row:
            cell.value = None
    for r, row in enumerate(source.iter_rows(), start=1):
        for c, cell in enumerate(row, start=1):
            number_format = getattr(cell, "number_format", None) or "General"
            if cell.value is None and number_format == "General":
                continue  # an empty cell of the read-only sheet
            written = target.cell(row=r, column=c)
            written.value = cell.value
            written.number_format = number_format
    fresh_book.close()
    out = io.BytesIO()
    user_book.save(out)
    return out.getvalue()


def refresh_file(
    deck: Path,
    book: KamWorkbook,
    out: Path,
    *,
    overwrite_edits: bool = False,
) -> RefreshReport:
    """Refresh the deck file ``deck`` into ``out`` (atomically; the caller has checked that
    ``out`` may be written)."""
    from kamxl.files import atomic_write

    data, report = refresh_deck(
        _read_deck(deck), book, overwrite_edits=overwrite_edits, name=str(deck)
    )
    atomic_write(out, data)
    return report


def _read_deck(path: Path) -> bytes:
    """The bytes of a user's deck, once it passed the safety checks every .pptx kamxl reads
    passes (:func:`kamxl.deck.template.check_presentation`: size limits, no DTD)."""
    from kamxl.deck.template import check_presentation

    try:
        check_presentation(path)
    except NotAWorkbookError as error:  # no .pptx at all (not a zip, another Office file)
        raise NotADeckError(path, f"is not a PowerPoint deck (.pptx): it {error.reason}") from None
    return Path(path).read_bytes()


# --- a folder of decks ------------------------------------------------------------------------

_BOUND_NAME = re.compile(rb'name="(kamxl\|[^"]*)"')


@dataclass(frozen=True, slots=True)
class FolderResult:
    """One deck of a folder refresh: its report, or why it was not refreshed."""

    path: Path
    report: RefreshReport | None = None
    error: str | None = None


def deck_ids(data: bytes) -> list[DeckId]:
    """The decks whose bindings a .pptx holds, read from its slides' XML (cheap: no
    presentation is built); empty for a file that is no deck or holds no binding."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            slides = [n for n in archive.namelist() if n.startswith("ppt/slides/slide")]
            texts = [archive.read(n) for n in slides]
    except zipfile.BadZipFile:
        return []
    found: dict[DeckId, None] = {}
    for text in texts:
        for match in _BOUND_NAME.finditer(text):
            binding = parse_name(html.unescape(match.group(1).decode("utf-8", "replace")))
            if binding is not None:
                found.setdefault(binding.deck)
    return list(found)


def book_for(ids: Sequence[DeckId], books: Sequence[KamWorkbook]) -> KamWorkbook:
    """The workbook a deck is refreshed from: the one whose Accounts hold every account the
    deck's bindings name (a portfolio review needs a batch of one workbook)."""
    if len(books) == 1:
        return books[0]
    accounts = {i.account for i in ids}
    if None in accounts:
        raise DeckError("a portfolio review is refreshed from one workbook: name only that one")
    for book in books:
        if accounts <= set(book.accounts["account_id"].dropna().astype(str)):
            return book
    raise DeckError(f"no workbook holds the account(s) {', '.join(sorted(map(str, accounts)))}")


def deck_files(folder: Path) -> list[Path]:
    """The .pptx files in ``folder`` and its sub-folders, in a stable order (PowerPoint's
    lock files ``~$...`` and hidden files left out)."""
    return sorted(
        p
        for p in Path(folder).rglob("*.pptx")
        if p.is_file() and not p.name.startswith(("~$", "."))
    )


def refresh_folder(
    folder: Path,
    books: Sequence[KamWorkbook],
    *,
    overwrite_edits: bool = False,
    done: Callable[[FolderResult], None] | None = None,
) -> list[FolderResult]:
    """Refresh every deck of ``folder`` in place (atomically), each from the workbook that
    holds its accounts (:func:`book_for`). A deck that cannot be refreshed (no binding, not a
    deck, its account in no workbook, a workbook failing the check) is reported and left as
    it is; the others are refreshed. ``done`` is called with each result as it comes."""
    from kamxl.files import atomic_write

    results = []
    for path in deck_files(folder):
        try:
            data = _read_deck(path)
            book = book_for(deck_ids(data), books)
            refreshed, report = refresh_deck(
                data, book, overwrite_edits=overwrite_edits, name=str(path)
            )
            atomic_write(path, refreshed)
            result = FolderResult(path, report)
        except KamxlError as error:
            result = FolderResult(path, error=str(error))
        except OSError as error:
            result = FolderResult(path, error=f"{path}: cannot be read or written: {error}")
        results.append(result)
        if done is not None:
            done(result)
    return results

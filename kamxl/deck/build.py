"""Laying the decks out with python-pptx.

:class:`Deck` puts slides on a template deck (the default one or a user's branded one,
through its "Title Slide" and "Title Only" layouts): a kicker above a one-line action title,
content in the grid of :mod:`kamxl.deck.style`, a footer with the account, the period, the
audience line and the slide number, and speaker notes. Every text is measured and fitted to
its box (:mod:`kamxl.deck.fit`); tables are measured row by row and continue on further
slides with the header repeated and "(2/3)" in the title.

:func:`build_qbr`, :func:`build_handshake` and :func:`build_portfolio` turn the contexts of
:mod:`kamxl.deck.context` into decks, with the words of :mod:`kamxl.deck.text`.
"""

from __future__ import annotations

import copy
import io
import math
import re
import zipfile
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime
from pathlib import Path
from typing import Any, Final

from lxml import etree
from pptx.dml.color import RGBColor
from pptx.enum.shapes import MSO_SHAPE
from pptx.enum.text import MSO_ANCHOR, PP_ALIGN
from pptx.opc.constants import CONTENT_TYPE as CT
from pptx.opc.constants import RELATIONSHIP_TYPE as RT
from pptx.opc.packuri import PackURI
from pptx.oxml.ns import qn
from pptx.parts.slide import NotesSlidePart
from pptx.presentation import Presentation as PresentationType
from pptx.shapes.autoshape import AutoShapeType, Shape
from pptx.slide import Slide
from pptx.text.text import TextFrame
from pptx.util import Emu, Inches, Pt

from kamxl.characters import clean_text
from kamxl.deck import charts, style
from kamxl.deck.binding import (
    CARRIED,
    Binding,
    DeckId,
    binding_name,
    fingerprint,
    placeholder_type,
    shape_content,
    slug,
)
from kamxl.deck.context import (
    OPEN_STATES,
    PLAN_RAG,
    Audience,
    HandshakeContext,
    Meta,
    Person,
    PortfolioContext,
    QbrContext,
    RevenueBridge,
    Whitespace,
    client_visible,
)
from kamxl.deck.fit import (
    ELLIPSIS,
    MARGIN_X,
    WIDTH_SAFETY,
    Fitted,
    fit,
    fit_in_shape,
    lines_height,
    shorten,
    text_width,
)
from kamxl.deck.style import (
    BODY,
    BRAND,
    CONTENT,
    FOOTER,
    FOOTER_BOX,
    GREY,
    GRID_COLUMNS,
    KICKER,
    KICKER_BOX,
    LIGHT,
    LINE,
    RAG,
    RAG_SYMBOL,
    TABLE,
    TEXT,
    TITLE,
    Box,
    TypeSize,
)
from kamxl.deck.template import TITLE_ONLY, TITLE_SLIDE, layout, load_template
from kamxl.deck.text import DASH, DeckText, money_unit
from kamxl.workbook import schema
from kamxl.workbook.kpis import Figure
from kamxl.workbook.validity import describe
from kamxl.workbook.zipcopy import copy_package

__all__ = ["Deck", "build_handshake", "build_portfolio", "build_qbr"]

_CELL_MARGIN_X = Inches(0.06)
_CELL_MARGIN_Y = Inches(0.035)
_LINE_SPACING = 1.2
#: The most lines a table cell shows before it is shortened with an ellipsis.
_CELL_MAX_LINES = 4


@dataclass(frozen=True, slots=True)
class Column:
    """A table column: header, width fraction, how values show, alignment."""

    header: str
    width: float
    show: Callable[[Any], str]
    align: PP_ALIGN = PP_ALIGN.LEFT
    #: The RAG status a value stands for (Red/Amber/Green), shown in its colour with its
    #: symbol; None for plain columns.
    tone: Callable[[Any], str | None] | None = None


@dataclass(slots=True)
class Bound:
    """A shape kamxl wrote with content computed from the workbook, and its key
    (:mod:`kamxl.deck.binding`). A text keeps what was given to the fitter (the text before
    wrapping, its size range, bold, one line), so that a refresh can fit it again to a box
    the user resized."""

    slide_part: Any
    element: Any
    key: str
    text: str | None = None
    size: TypeSize | None = None
    bold: bool = False
    one_line: bool = False
    #: the fingerprint written into the shape's name when the deck was sealed
    fingerprint: str = ""
    #: a table's cell texts before wrapping, header first (to fit them again to the
    #: columns of a table the user resized)
    cells: list[list[str]] | None = None


@dataclass(frozen=True, slots=True)
class Tile:
    """A KPI tile: label, value, and a line of context under it."""

    label: str
    value: str
    detail: str = ""
    rag: str | None = None


class Deck:
    """A deck being built on a template."""

    def __init__(
        self,
        template: Path | str | None,
        text: DeckText,
        footer: str,
        *,
        created: datetime | None = None,
    ) -> None:
        self.prs: PresentationType = load_template(template)
        self.text = text
        self.footer = footer
        #: The sections left out because they have nothing to show: (section, why).
        self.omitted: list[tuple[str, str]] = []
        #: the sections shown, in order (a QBR's: summary, scorecard...), and how many
        #: tiles its scorecard shows
        self.sections: list[str] = []
        self.scorecard_tiles = 0
        self._title_only = layout(self.prs, TITLE_ONLY)
        self._title_slide = layout(self.prs, TITLE_SLIDE)
        self._notes_pages = _NotesPages(self.prs)
        #: per deck constants, looked up once: the placeholders of each layout as python-pptx
        #: clones them, the title placeholder's size, the footer's shapes (for its line)
        self._placeholders: dict[str, list[Any]] = {}
        self._title_box: tuple[int, int] | None = None
        self._footer_shapes: tuple[str, list[Any]] | None = None
        #: what the deck is (kind, account, audience, language), written into each binding
        self.deck_id: DeckId | None = None
        #: every bound shape, in the order drawn (:meth:`seal` writes their names)
        self.bound: list[Bound] = []
        self._section = "deck"
        self._pages: dict[str, int] = {}
        #: per slide part: the key prefix of its slide and the keys used on it
        self._prefixes: dict[Any, str] = {}
        self._used: dict[Any, set[str]] = {}
        properties = self.prs.core_properties
        properties.author = "kamxl"
        properties.last_modified_by = "kamxl"
        stamp = created or datetime(2026, 1, 1)
        properties.created = properties.modified = stamp
        properties.revision = 1

    # --- bindings -------------------------------------------------------------------------

    def section(self, name: str) -> None:
        """Start a section of the deck: the slides drawn next have keys ``name``,
        ``name.p2``... (:mod:`kamxl.deck.binding`)."""
        self._section = name

    def _start_keys(self, slide: Slide) -> None:
        """Give a new slide its key prefix: its section, and its page from the second."""
        page = self._pages[self._section] = self._pages.get(self._section, 0) + 1
        prefix = self._section if page == 1 else f"{self._section}.p{page}"
        self._prefixes[slide.part] = prefix
        self._used[slide.part] = set()

    def _bind(
        self,
        slide: Slide,
        element: Any,
        key: str,
        *,
        text: str | None = None,
        size: TypeSize | None = None,
        bold: bool = False,
        one_line: bool = False,
    ) -> Bound:
        """Bind ``element`` of ``slide`` to ``key`` (made unique on the slide with ``.2``,
        ``.3``...; its section and page in front)."""
        part = slide.part
        if part not in self._prefixes:
            self._start_keys(slide)
        used = self._used[part]
        full, n = f"{self._prefixes[part]}.{key}", 1
        while full in used:
            n += 1
            full = f"{self._prefixes[part]}.{key}.{n}"
        used.add(full)
        bound = Bound(part, element, full, text, size, bold, one_line)
        self.bound.append(bound)
        return bound

    def seal(self) -> None:
        """Write each bound shape's binding into its name, with the fingerprint of what it
        now shows; a slide's placeholders' bindings are also carried by its first bound
        shape that is no placeholder (LibreOffice drops placeholder names)."""
        if self.deck_id is None:
            return
        carriers: dict[Any, Bound] = {}
        carried: dict[Any, list[tuple[str, str, str]]] = {}
        for bound in self.bound:
            bound.fingerprint = fingerprint(shape_content(bound.element, _chart_of(bound)))
            kind = placeholder_type(bound.element)
            if kind is None:
                carriers.setdefault(bound.slide_part, bound)
            elif kind in CARRIED:
                carried.setdefault(bound.slide_part, []).append(
                    (kind, bound.key, bound.fingerprint)
                )
        for bound in self.bound:
            extra = (
                carried.get(bound.slide_part, []) if carriers.get(bound.slide_part) is bound else []
            )
            name = binding_name(Binding(self.deck_id, bound.key, bound.fingerprint, tuple(extra)))
            bound.element.xpath("./*[1]/p:cNvPr")[0].set("name", name)

    # --- slides ---------------------------------------------------------------------------

    def title_slide(self, title: str, subtitle: str, lines: Sequence[str], notes: str) -> Slide:
        slide = self._add_slide(self._title_slide)
        self._start_keys(slide)
        for placeholder in slide.placeholders:
            kind = placeholder.placeholder_format.type
            if placeholder.placeholder_format.idx == 0:
                size = TypeSize(Pt(36), Pt(24))
                _fit_placeholder(placeholder, title, size, bold=True)
                self._bind(
                    slide,
                    placeholder._element,
                    "title",
                    text=title,
                    size=size,
                    bold=True,
                    one_line=True,
                )
            elif kind is not None and "SUBTITLE" in str(kind):
                size = TypeSize(Pt(18), Pt(12))
                _fit_placeholder(placeholder, subtitle, size)
                self._bind(
                    slide, placeholder._element, "subtitle", text=subtitle, size=size, one_line=True
                )
        lines = [line for line in lines if line]  # a cover line with nothing to say: none
        if lines:
            box = Box.inches(0.9, 5.6, 11.5, 1.0)
            self._text(slide, box, _lines(lines), BODY, color=GREY, key="lines")
        self._notes(slide, notes)
        return slide

    def slide(self, kicker: str, title: str, notes: str, *, tail: str = "") -> Slide:
        """A content slide: kicker, action title, footer, speaker notes.

        Every title has the one size :data:`~kamxl.deck.style.TITLE` on one line: a title too
        long is shortened at a word boundary (:func:`~kamxl.deck.fit.shorten`), and ``tail``
        (a page counter "(2/3)") is kept whole after it."""
        slide = self._add_slide(self._title_only)
        self._start_keys(slide)
        self._text(
            slide,
            KICKER_BOX,
            kicker.upper(),
            KICKER,
            bold=True,
            color=BRAND,
            one_line=True,
            key="kicker",
        )
        title_shape = slide.shapes.title
        size = self._title_size(title_shape)
        width = size[0] if size is not None else style.TITLE_BOX.width
        title = shorten(title, _line_width(width), TITLE.size.pt, bold=True, tail=tail)
        if title_shape is not None and size is not None:
            fit_in_shape(title_shape.text_frame, title, *size, TITLE, bold=True, one_line=True)
            self._bind(
                slide,
                title_shape._element,
                "title",
                text=title,
                size=TITLE,
                bold=True,
                one_line=True,
            )
        else:
            self._text(
                slide,
                style.TITLE_BOX,
                title,
                TITLE,
                bold=True,
                color=BRAND,
                one_line=True,
                key="title",
            )
        self._footer(slide)
        self._notes(slide, notes)
        return slide

    def fitting_title(self, *wordings: str, tail: str = "") -> str:
        """The first of ``wordings`` (the most telling first, each shorter than the one
        before) that fits the title line whole, with room for ``tail``; the last one if none
        does (:meth:`slide` then shortens it).

        A title cut with "…" loses its finding ("… health at 48…"), so a title whose words
        depend on the data (a risk's text, KAM names, large amounts) comes in several
        wordings, the last one short whatever the data."""
        width = self._title_width()
        for wording in wordings[:-1]:
            shown = shorten(wording, _line_width(width), TITLE.size.pt, bold=True, tail=tail)
            if not shown.removesuffix(tail).rstrip().endswith(ELLIPSIS):
                return wording
        return wordings[-1]

    def _title_width(self) -> int:
        """The width of a content slide's title: its layout's title placeholder, or the
        style's title box when the layout has none."""
        if self._title_box is not None:
            return self._title_box[0]
        for placeholder in self._title_only.placeholders:
            if placeholder.placeholder_format.idx == 0 and placeholder.width:
                return int(placeholder.width)
        return int(style.TITLE_BOX.width)

    def _add_slide(self, slide_layout: Any) -> Slide:
        """A new slide on ``slide_layout``, as python-pptx's ``add_slide`` makes it, cheaper.

        The layout's placeholders are cloned by python-pptx for the first slide of each
        layout and copied for the next ones (cloning looks each placeholder up in the layout,
        the master and the theme). Shape ids are then counted instead of searched ("turbo
        add": python-pptx searches every id of the slide for each shape added); kamxl adds
        every shape of a slide through its one shape tree, so the ids are the same."""
        slides = self.prs.slides
        r_id, slide = self.prs.part.add_slide(slide_layout)
        tree = slide.shapes._spTree
        key = str(slide_layout.part.partname)
        placeholders = self._placeholders.get(key)
        if placeholders is None:  # python-pptx clones the layout's placeholders once
            before = len(tree)
            slide.shapes.clone_layout_placeholders(slide_layout)
            self._placeholders[key] = [copy.deepcopy(e) for e in tree[before:]]
        else:  # then they are copied, as they were cloned (the ids are the slide's own)
            for element in placeholders:
                tree.append(copy.deepcopy(element))
        slides._sldIdLst.add_sldId(r_id)
        slide.shapes.turbo_add_enabled = True
        return slide

    def _title_size(self, title_shape: Any) -> tuple[int, int] | None:
        """The width and height of a content slide's title placeholder (inherited from the
        layout, the same on every content slide: looked up once), None without a title."""
        if title_shape is None:
            return None
        if self._title_box is None:
            self._title_box = (title_shape.width, title_shape.height)
        return self._title_box

    def _footer(self, slide: Slide) -> None:
        """The footer line and the slide number: drawn on the first content slide, then
        copied (the same line in the same box on every slide), with the slide's own shape
        ids and its number."""
        tree = slide.shapes._spTree
        if self._footer_shapes is None or self._footer_shapes[0] != self.footer:
            before = len(tree)
            self._draw_footer(slide)
            self._footer_shapes = (self.footer, [copy.deepcopy(e) for e in tree[before:]])
            return
        for i, element in enumerate(self._footer_shapes[1]):
            shape = copy.deepcopy(element)
            shape_id = slide.shapes._next_shape_id
            properties = shape.find(f"{_P_NV_SP_PR}/{_P_C_NV_PR}")
            properties.set("id", str(shape_id))
            properties.set("name", f"TextBox {shape_id - 1}")
            for number in shape.iter(_A_FLD):
                number.find(_A["t"]).text = str(len(self.prs.slides))
            tree.append(shape)
            if i == 0:  # the footer line (the slide number is a field PowerPoint updates)
                self._bind(slide, shape, "footer", text=self.footer, size=FOOTER, one_line=True)

    def _draw_footer(self, slide: Slide) -> None:
        left, right = _footer_boxes()
        self._text(slide, left, self.footer, FOOTER, color=GREY, one_line=True, key="footer")
        number = slide.shapes.add_textbox(right.left, right.top, right.width, right.height)
        frame = number.text_frame
        frame.margin_left = frame.margin_right = Inches(0.05)
        frame.margin_top = frame.margin_bottom = Inches(0.03)
        paragraph = frame.paragraphs[0]
        paragraph.alignment = PP_ALIGN.RIGHT
        _slide_number_field(paragraph, len(self.prs.slides), FOOTER.size, GREY)

    def _notes(self, slide: Slide, notes: str) -> None:
        """Set the speaker notes of ``slide`` (cleaned as every deck text is: the notes do
        not pass through :func:`~kamxl.deck.fit.fit`)."""
        body = self._notes_pages.add(slide)
        frame = TextFrame(body, None) if body is not None else slide.notes_slide.notes_text_frame
        frame.text = clean_text(notes)

    # --- content --------------------------------------------------------------------------

    def _text(
        self,
        slide: Slide,
        box: Box,
        text: str,
        size: TypeSize,
        *,
        bold: bool = False,
        color: RGBColor = TEXT,
        align: PP_ALIGN | None = None,
        anchor: MSO_ANCHOR = MSO_ANCHOR.TOP,
        one_line: bool = False,
        key: str = "text",
    ) -> Any:
        """A text box in ``box`` with ``text`` fitted to it, bound to ``key`` (a text
        drawn with no key of its own is ``text``, ``text.2``... in the order drawn)."""
        shape = _add_textbox(slide, box)
        fit_in_shape(
            shape.text_frame,
            text,
            box.width,
            box.height,
            size,
            bold=bold,
            color=color,
            align=align,
            one_line=one_line,
        )
        shape._element.txBody.bodyPr.set("anchor", anchor.xml_value)  # vertical_anchor
        self._bind(slide, shape._element, key, text=text, size=size, bold=bold, one_line=one_line)
        return shape

    def chart(
        self,
        slide: Slide,
        box: Box,
        has_data: bool,
        draw: Callable[[], Any],
        *,
        left_out: bool = False,
    ) -> None:
        """Draw a chart, or, without data, say so on the slide and in the speaker notes:
        that no data is recorded, or (``left_out``) that it rests on cells failing the
        check."""
        if has_data:
            tree = slide.shapes._spTree
            before = len(tree)
            draw()
            self._bind_drawn(slide, list(tree)[before:])
            return
        message = self.text.label("left_out_chart" if left_out else "no_data")
        self._text(
            slide,
            box,
            message,
            BODY,
            color=GREY,
            align=PP_ALIGN.CENTER,
            anchor=MSO_ANCHOR.MIDDLE,
            key="chart.message",
        )
        self._notes(slide, f"{slide.notes_slide.notes_text_frame.text} {message}".strip())

    def _bind_drawn(self, slide: Slide, elements: Sequence[Any]) -> None:
        """Bind what a chart function drew: its chart (``chart``) and its texts (labels,
        captions: ``chart.text``...); its other shapes (size key circles) show no figure."""
        for element in elements:
            if next(element.iter(_C_CHART), None) is not None:
                self._bind(slide, element, "chart")
            elif element.find(_P_TX_BODY) is not None and shape_content(element):
                self._bind(slide, element, "chart.text")

    def bullets(
        self, slide: Slide, box: Box, heading: str | None, items: Sequence[str], *, empty: str
    ) -> None:
        """A heading and a list of items, fitted together in ``box``."""
        top = box.top
        name = slug(heading) if heading else "list"
        if heading:
            self._text(
                slide,
                Box(box.left, top, box.width, Inches(0.4)),
                heading,
                BODY,
                bold=True,
                color=BRAND,
                one_line=True,
                key=f"{name}.heading",
            )
            rule = slide.shapes.add_connector(
                1, box.left, top + Inches(0.42), box.right, top + Inches(0.42)
            )
            rule.line.color.rgb = LINE
            rule.line.width = Pt(0.75)
            top += Inches(0.5)
        text = _lines(f"• {item}" for item in items) if items else empty
        self._text(
            slide,
            Box(box.left, top, box.width, box.bottom - top),
            text,
            BODY,
            color=TEXT if items else GREY,
            key=f"{name}.items",
        )

    def tiles(self, slide: Slide, box: Box, tiles: Sequence[Tile], per_row: int = 4) -> None:
        """KPI tiles in rows on the slide's grid: label, big value, a line of context, RAG
        accent. Each tile spans the same whole number of grid columns, so a row holds at
        most ``per_row`` tiles and only as many as divide ``box``'s columns evenly (on the
        12 columns: 1, 2, 3, 4 or 6; five tiles asked for a row make a row of four, the
        fifth starts the next row, under the first)."""
        per_row = _tiles_per_row(box.span, per_row)
        spans = (box.span // per_row,) * per_row
        rows = [tiles[i : i + per_row] for i in range(0, len(tiles), per_row)]
        for row_box, row in zip(box.rows(tuple(1.0 for _ in rows)), rows, strict=True):
            for tile_box, tile in zip(row_box.columns(spans), row, strict=False):
                _add_panel(slide, tile_box, LIGHT)
                accent = RAG.get(tile.rag or "", BRAND)
                bar = Box(tile_box.left, tile_box.top, Inches(0.06), tile_box.height)
                _add_panel(slide, bar, accent)
                # its colour says the tile's status: bound, so that a refresh recolours it
                self._bind(slide, slide.shapes._spTree[-1], f"tile.{slug(tile.label)}.accent")
                inner = Box(
                    tile_box.left + Inches(0.2),
                    tile_box.top + Inches(0.12),
                    tile_box.width - Inches(0.3),
                    tile_box.height - Inches(0.2),
                )
                label, value, detail = inner.rows((0.28, 0.42, 0.30), gap=Inches(0.02))
                name = f"tile.{slug(tile.label)}"  # keyed by what it shows, not where
                self._text(
                    slide,
                    label,
                    tile.label,
                    TypeSize(Pt(12), Pt(9)),
                    color=GREY,
                    one_line=True,
                    key=f"{name}.label",
                )
                self._text(
                    slide,
                    value,
                    tile.value,
                    TypeSize(Pt(28), Pt(14)),
                    bold=True,
                    color=TEXT,
                    one_line=True,
                    key=f"{name}.value",
                )
                if tile.detail:
                    self._text(
                        slide,
                        detail,
                        tile.detail,
                        TypeSize(Pt(11), Pt(9)),
                        color=accent if tile.rag else GREY,
                        one_line=True,
                        key=f"{name}.detail",
                    )

    def table(
        self,
        kicker: str,
        title: str,
        notes: str,
        columns: Sequence[Column],
        rows: Sequence[Sequence[Any]],
        *,
        box: Box = CONTENT,
        before: Callable[[Slide], None] | None = None,
        empty: str,
        paginate: bool = True,
    ) -> list[Slide]:
        """A table over as many slides as it needs, header repeated, "(2/3)" in the title.

        Each row's height is measured from its wrapped cells, so a page holds what fits.
        ``before`` draws extra content on the first slide (the table then starts lower:
        pass a smaller ``box``). A column of amounts shows them in one unit (the one its
        largest needs). Without ``paginate`` (a summarised list, where only the top rows
        matter) the table stays on one slide: the rows that do not fit are counted in a
        closing row "and N more".
        """
        columns, rows, dropped = _without_empty_columns(columns, rows)
        if dropped:  # "—" stands for one missing value among present ones, not a column
            notes = _sentences(notes, self.text("columns_left_out", names=dropped))
        columns = [
            _one_unit(self.text, c, [r[j] for r in rows if not isinstance(r, _Closing)])
            for j, c in enumerate(columns)
        ]
        widths = _column_widths(columns, box.width)
        header_height = _row_height([c.header for c in columns], widths, bold=True)
        heights = [_row_height(_shown(columns, row), widths) for row in rows]
        if not paginate:
            rows, heights = self._cut(columns, widths, rows, heights, box.height - header_height)
        pages: list[list[int]] = []
        used, page = header_height, []
        for i, height in enumerate(heights):
            if page and used + height > box.height:
                pages.append(page)
                used, page = header_height, []
            page.append(i)
            used += height
        pages.append(page)
        slides = []
        for number, indexes in enumerate(pages, start=1):
            heading, counter = title, ""
            if len(pages) > 1:  # "(2/3)" stays whole however the title is shortened
                heading = self.text("continued", title=title, page=number, pages=len(pages))
                if heading.startswith(title):
                    heading, counter = title, heading.removeprefix(title).strip()
            slide = self.slide(kicker, heading, notes, tail=counter)
            if before is not None and number == 1:
                before(slide)
            if not indexes:
                self._text(slide, box, empty, BODY, color=GREY, key="table.empty")
            else:
                self._draw_table(
                    slide,
                    box,
                    columns,
                    widths,
                    header_height,
                    [rows[i] for i in indexes],
                    [heights[i] for i in indexes],
                )
            slides.append(slide)
        return slides

    def _draw_table(
        self,
        slide: Slide,
        box: Box,
        columns: Sequence[Column],
        widths: list[int],
        header_height: int,
        rows: Sequence[Sequence[Any]],
        heights: list[int],
    ) -> None:
        shape = _new_table(slide, box, len(rows) + 1, widths, header_height + sum(heights))
        bound = self._bind(slide, shape._element, "table")
        bound.cells = [[c.header for c in columns]]
        table = shape.table
        table.rows[0].height = header_height
        white = RGBColor(0xFF, 0xFF, 0xFF)
        for j, column in enumerate(columns):
            _cell(
                table.cell(0, j)._tc,
                column.header,
                widths[j],
                bold=True,
                color=white,
                fill=BRAND,
                align=column.align,
            )
        for i, (row, height) in enumerate(zip(rows, heights, strict=True), start=1):
            table.rows[i].height = height
            bound.cells.append([])
            fill = LIGHT if i % 2 == 0 else white
            for j, (column, value, text) in enumerate(
                zip(columns, row, _shown(columns, row), strict=True)
            ):
                closing = isinstance(row, _Closing)  # "and N more": grey, from the left
                color = GREY if closing else TEXT
                rag = column.tone(value) if column.tone is not None and not closing else None
                if rag in RAG:
                    text = f"{RAG_SYMBOL[rag]} {text}"
                    color = RAG[rag]
                bound.cells[-1].append(text)
                _cell(
                    table.cell(i, j)._tc,
                    text,
                    widths[j],
                    color=color,
                    fill=fill,
                    align=PP_ALIGN.LEFT if closing else column.align,
                )

    def _cut(
        self,
        columns: Sequence[Column],
        widths: list[int],
        rows: Sequence[Sequence[Any]],
        heights: list[int],
        room: int,
    ) -> tuple[list[Sequence[Any]], list[int]]:
        """The rows that fit in ``room``, the last of them replaced by "and N more" when
        some do not fit (N counts the rows left out and those a closing row already
        counted)."""
        if sum(heights) <= room:
            return list(rows), heights
        total = sum(r.count if isinstance(r, _Closing) else 1 for r in rows)
        kept: list[Sequence[Any]] = []
        used = 0
        for row, height in zip(rows, heights, strict=True):
            if isinstance(row, _Closing) or used + height > room:
                break
            kept.append(row)
            used += height
        while kept:
            closing = _Closing.of(self.text, total - len(kept) + 1, len(columns))
            height = _row_height(_shown(columns, closing), widths)
            if used - _row_height(_shown(columns, kept[-1]), widths) + height <= room:
                kept[-1] = closing
                break
            used -= _row_height(_shown(columns, kept.pop()), widths)
        return kept, [_row_height(_shown(columns, r), widths) for r in kept]

    def to_bytes(self) -> bytes:
        """The deck as a .pptx, the same bytes for the same content.

        python-pptx stamps the current time into each chart's embedded workbook and into
        the zip entries; both are set to the deck's creation stamp, so that building the
        same deck twice gives the same file (caches and reviews can compare files).
        """
        stamp = self.prs.core_properties.created or datetime(2026, 1, 1)
        self.seal()
        for slide in self.prs.slides:
            # each chart of the slide, by the slide's relationships (not by building a proxy
            # for every shape)
            for relationship in slide.part.rels.values():
                if relationship.is_external or relationship.reltype != RT.CHART:
                    continue
                workbook = relationship.target_part.chart_workbook
                if workbook.xlsx_part is not None:
                    workbook.xlsx_part.blob = _fixed_zip(workbook.xlsx_part.blob, stamp)
        buffer = io.BytesIO()
        self.prs.save(buffer)
        return _fixed_zip(buffer.getvalue(), stamp)

    def save(self, path: Path) -> None:
        from kamxl.files import atomic_write

        atomic_write(Path(path), self.to_bytes())


class _NotesPages:
    """The notes pages of one deck, each a copy of the first.

    python-pptx makes each notes page by cloning the notes master's placeholders and by
    searching the whole package for a free part name (about 4 ms a slide); the notes page of
    a new slide does not depend on the slide, so the first one made is kept (before any
    text is written into it) and copied, under the next free name, with the same
    relationships in the same order."""

    _NAME = "/ppt/notesSlides/notesSlide%d.xml"

    def __init__(self, prs: PresentationType) -> None:
        self._prs = prs
        self._page: Any = None  # the first notes page, as made, before its text
        self._taken: set[str] = set()
        #: where the notes placeholder (the first body placeholder) is in the shape tree
        self._body_at: int | None = None

    def add(self, slide: Slide) -> Any:
        """Give ``slide`` its notes page, unless it has one already; the ``p:txBody`` of a
        copied page's notes placeholder (None: ask python-pptx for the notes text frame)."""
        if slide.has_notes_slide:
            return None
        if self._page is None:
            package = self._prs.part.package
            self._taken = {str(part.partname) for part in package.iter_parts()}
            page = slide.notes_slide  # python-pptx makes the first one
            self._page = copy.deepcopy(page.element)
            self._taken.add(str(page.part.partname))
            body = page.notes_placeholder
            if body is not None and body._element.txBody is not None:
                self._body_at = list(page.shapes._spTree).index(body._element)
            return None
        names = (self._NAME % n for n in range(1, len(self._taken) + 2))
        name = next(n for n in names if n not in self._taken)
        self._taken.add(name)
        package = self._prs.part.package
        page = copy.deepcopy(self._page)
        part = NotesSlidePart(PackURI(name), CT.PML_NOTES_SLIDE, package, page)
        part.relate_to(self._prs.part.notes_master_part, RT.NOTES_MASTER)
        part.relate_to(slide.part, RT.SLIDE)
        slide.part.relate_to(part, RT.NOTES_SLIDE)
        if self._body_at is None:
            return None
        return page.find(_P_C_SLD).find(_P_SP_TREE)[self._body_at].find(_P_TX_BODY)


_DOCUMENT_DATES = re.compile(rb"(<dcterms:(?:created|modified)[^>]*>)[^<]*(</dcterms:)")


def _fixed_zip(data: bytes, stamp: datetime) -> bytes:
    """``data`` (an Office zip) with fixed zip entry dates and document dates; the entries
    keep their compressed bytes."""
    when = stamp.strftime("%Y-%m-%dT%H:%M:%SZ").encode()
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        names = set(archive.namelist())
        core = archive.read("docProps/core.xml") if "docProps/core.xml" in names else None
    replacements = {}
    if core is not None:
        replacements["docProps/core.xml"] = _DOCUMENT_DATES.sub(rb"\g<1>" + when + rb"\g<2>", core)
    out = io.BytesIO()
    copy_package(io.BytesIO(data), out, replacements, date_time=(1980, 1, 1, 0, 0, 0))
    return out.getvalue()


# --- low-level helpers ----------------------------------------------------------------------


def _new_table(slide: Slide, box: Box, rows: int, widths: Sequence[int], height: int) -> Any:
    """A table of ``rows`` rows at ``box``'s top left, its columns ``widths`` wide and
    ``height`` high in all: a header row, no banding (kamxl's tables shade their own rows)."""
    shape = slide.shapes.add_table(rows, len(widths), box.left, box.top, sum(widths), height)
    table = shape.table
    table.first_row = True
    table.horz_banding = False
    for j, width in enumerate(widths):
        table.columns[j].width = width
    return shape


def _add_textbox(slide: Slide, box: Box) -> Shape:
    """A text box in ``box``: python-pptx's ``add_textbox``, without the look-up its shape
    factory makes to tell whether the new shape is a placeholder (it never is)."""
    shapes = slide.shapes
    shape_id = shapes._next_shape_id
    sp = shapes._spTree.add_textbox(
        shape_id, f"TextBox {shape_id - 1}", box.left, box.top, box.width, box.height
    )
    return Shape(sp, shapes)


_RECTANGLE = AutoShapeType(MSO_SHAPE.RECTANGLE)


def _tiles_per_row(columns: int, wanted: int) -> int:
    """How many tiles a row of ``columns`` grid columns holds: the most, up to ``wanted``,
    that share the columns evenly (every tile of a deck spans whole columns)."""
    return max(n for n in range(1, max(wanted, 1) + 1) if columns % n == 0)


def _equal_spans(count: int, columns: int = GRID_COLUMNS) -> tuple[int, ...]:
    """``count`` blocks of equal whole grid spans over ``columns`` columns (3 -> 4, 4, 4);
    ValueError when they cannot be equal (a layout bug, not a deck to build off the grid)."""
    if count < 1 or columns % count:
        raise ValueError(f"{count} equal blocks do not fit {columns} grid columns")
    return (columns // count,) * count


def _add_panel(slide: Slide, box: Box, colour: RGBColor) -> None:
    """A rectangle filled with ``colour``, without outline: what python-pptx's
    ``add_shape``, ``fill.solid()``, ``fill.fore_color.rgb`` and ``line.fill.background()``
    write, on the shape's element (without their proxies' look-ups)."""
    shapes = slide.shapes
    shape_id = shapes._next_shape_id
    name = f"{_RECTANGLE.basename} {shape_id - 1}"
    sp = shapes._spTree.add_autoshape(
        shape_id, name, _RECTANGLE.prst, box.left, box.top, box.width, box.height
    )
    sp_pr = sp.spPr
    sp_pr.get_or_change_to_solidFill().get_or_change_to_srgbClr().val = str(colour)
    sp_pr.get_or_add_ln().get_or_change_to_noFill()


def _footer_boxes() -> tuple[Box, Box]:
    """The footer's two boxes: the account, period and audience line; the slide number."""
    left, right = FOOTER_BOX.split((0.85, 0.15), gap=Inches(0.2))
    return left, right


def _footer_line(
    text: DeckText, *, account: str, period: Any, audience: str, company: str | None
) -> str:
    """The footer line, on one line of the footer box: a long account name (117 characters
    in the stress workbook) is shortened at a word boundary with "…" so that the period and
    the audience line ("Confidential — internal", "Prepared for ...") are always read; the
    full name stays in the titles, where it fits."""
    width, size = _line_width(_footer_boxes()[0].width), FOOTER.size.pt
    name = clean_text(str(account), one_line=True)
    ours = company or ""
    full = text("footer", account=name, period=period, audience=audience, company=ours)
    if text_width(full, size) <= width:
        return full
    rest = text("footer", account="", period=period, audience=audience, company=ours)
    times = max((len(full) - len(rest)) // max(len(name), 1), 1)  # the client footer: twice
    room = (width - text_width(rest, size)) / times
    short = shorten(name, room, size)
    return text("footer", account=short, period=period, audience=audience, company=ours)


def _line_width(box_width_emu: int) -> float:
    """The width in points one line of a text box of ``box_width_emu`` may fill, as
    :func:`~kamxl.deck.fit.fit_in_shape` measures it (insets and safety margin off)."""
    return Emu(max(box_width_emu - 2 * MARGIN_X, 0)).pt * WIDTH_SAFETY


def _title(deck: Deck, t: DeckText, name: str, wordings: int, **facts: Any) -> str:
    """The title macro ``name`` in the first of its ``wordings`` (``brief`` 0, 1, …, the
    shortest last) that fits the title line whole (:meth:`Deck.fitting_title`)."""
    return deck.fitting_title(*(t(name, brief=brief, **facts) for brief in range(wordings)))


def _fit_placeholder(placeholder: Any, text: str, size: TypeSize, *, bold: bool = False) -> None:
    """A title or subtitle placeholder: one field, fitted (line breaks in it are spaces)."""
    fit_in_shape(
        placeholder.text_frame,
        text,
        placeholder.width,
        placeholder.height,
        size,
        bold=bold,
        one_line=True,
    )


def _lines(items: Iterable[str]) -> str:
    """One text of ``items``, one per line: a line break inside an item (an account name
    with a line feed) would start an unmarked line, so each item is kept on its line."""
    return "\n".join(clean_text(item, one_line=True) for item in items)


def _slide_number_field(paragraph: Any, number: int, size: int, color: RGBColor) -> None:
    """A slide-number field (PowerPoint updates it when slides move), showing ``number``."""
    field = etree.SubElement(paragraph._p, qn("a:fld"))
    field.set("id", "{B6F15528-21DE-4FAA-801E-634DDDAF4B2B}")
    field.set("type", "slidenum")
    properties = etree.SubElement(field, qn("a:rPr"))
    properties.set("lang", "en-US")
    properties.set("sz", str(int(Emu(size).pt * 100)))
    fill = etree.SubElement(properties, qn("a:solidFill"))
    etree.SubElement(fill, qn("a:srgbClr")).set("val", str(color))
    etree.SubElement(properties, qn("a:latin")).set("typeface", style.FONT)
    etree.SubElement(field, qn("a:t")).text = str(number)
    end = paragraph._p.find(qn("a:endParaRPr"))
    if end is not None:
        paragraph._p.remove(end)
        paragraph._p.append(end)


def _column_widths(columns: Sequence[Column], width: int) -> list[int]:
    total = sum(c.width for c in columns)
    widths = [int(width * c.width / total) for c in columns]
    widths[-1] += width - sum(widths)
    return widths


def _usable(width: int) -> float:
    return Emu(max(width - 2 * _CELL_MARGIN_X, 0)).pt


def _cell_fit(text: str, width: int, *, bold: bool = False) -> Fitted:
    """The lines of one table cell, the same for measuring its row and for writing it."""
    return fit(text or " ", _usable(width) * 0.98, 1e9, TABLE, bold=bold, max_lines=_CELL_MAX_LINES)


def _row_height(texts: Sequence[str], widths: Sequence[int], *, bold: bool = False) -> int:
    """A row as high as its tallest cell, counted in the lines the cell will be written in
    (a word too wide for its column shows smaller, never broken: :func:`_cell_fit`)."""
    size = Emu(TABLE.size).pt
    lines = max(
        max(len(_cell_fit(text, width, bold=bold).lines), 1)
        for text, width in zip(texts, widths, strict=True)
    )
    return int(Pt(lines_height(lines, size, _LINE_SPACING)) + 2 * _CELL_MARGIN_Y + Pt(2))


_A = {
    name: qn(f"a:{name}")
    for name in (
        "txBody",
        "bodyPr",
        "lstStyle",
        "p",
        "pPr",
        "lnSpc",
        "spcPts",
        "r",
        "rPr",
        "br",
        "solidFill",
        "srgbClr",
        "latin",
        "t",
        "tcPr",
    )
}


_P_NV_SP_PR = qn("p:nvSpPr")
_P_C_NV_PR = qn("p:cNvPr")
_A_FLD = qn("a:fld")
_P_C_SLD = qn("p:cSld")
_P_SP_TREE = qn("p:spTree")
_P_TX_BODY = qn("p:txBody")
_C_CHART = qn("c:chart")


def _chart_of(bound: Bound) -> Any:
    """The chart XML (``c:chartSpace``) of a bound chart's graphic frame, None for any
    other shape."""
    return chart_space(bound.slide_part, bound.element)


def chart_space(slide_part: Any, element: Any) -> Any:
    """The chart XML of a graphic frame holding a chart (by the slide's relationship),
    None for any other shape."""
    reference = next(element.iter(_C_CHART), None)
    if reference is None:
        return None
    return slide_part.related_part(reference.get(qn("r:id")))._element


def _cell(
    tc: Any,
    text: str,
    width: int,
    *,
    bold: bool = False,
    color: RGBColor = TEXT,
    fill: RGBColor | None = None,
    align: PP_ALIGN = PP_ALIGN.LEFT,
) -> None:
    """Fill a table cell (``<a:tc>``): text fitted to the column, margins, anchor, fill.

    Written as XML directly -- the same elements python-pptx's cell, text frame and font
    properties write, without their per-property lookups (a QBR deck has hundreds of
    cells).
    """
    size = Emu(TABLE.size).pt
    fitted = _cell_fit(text, width, bold=bold)
    del tc[:]
    sub = etree.SubElement
    body = sub(tc, _A["txBody"])
    sub(body, _A["bodyPr"], wrap="square")
    sub(body, _A["lstStyle"])
    paragraph = sub(body, _A["p"])
    properties = sub(paragraph, _A["pPr"], algn=align.xml_value)
    spacing = sub(properties, _A["lnSpc"])
    sub(spacing, _A["spcPts"], val=str(Pt(size * _LINE_SPACING).centipoints))
    font_size = str(Pt(fitted.size).centipoints)
    for i, line in enumerate(fitted.lines):
        if i:
            sub(paragraph, _A["br"])
        run = sub(paragraph, _A["r"])
        run_properties = sub(run, _A["rPr"], sz=font_size, b="1" if bold else "0")
        sub(sub(run_properties, _A["solidFill"]), _A["srgbClr"], val=str(color))
        sub(run_properties, _A["latin"], typeface=style.FONT)
        sub(run, _A["t"]).text = line
    cell_properties = sub(
        tc,
        _A["tcPr"],
        marL=str(_CELL_MARGIN_X),
        marR=str(_CELL_MARGIN_X),
        marT=str(_CELL_MARGIN_Y),
        marB=str(_CELL_MARGIN_Y),
        anchor="ctr",
    )
    if fill is not None:
        sub(sub(cell_properties, _A["solidFill"]), _A["srgbClr"], val=str(fill))


def _copy(element: Any) -> Any:
    return copy.deepcopy(element)


# --- value formats --------------------------------------------------------------------------


def _shows(text: DeckText) -> dict[str, Callable[[Any], str]]:
    f = text.formats
    return {
        "text": lambda v: DASH if v is None else str(v),
        "money": f.money,
        "pct": f.pct,
        "num": f.num,
        "day": f.day,
        "status": text.status,
    }


def _sentences(*parts: str) -> str:
    """Speaker-note sentences written one after the other (those with nothing to say left
    out): each text template's output is trimmed, so the space between them is put here."""
    return " ".join(part for part in parts if part)


def _left_out_note(text: DeckText, left_out: dict[str, tuple[str, ...]]) -> str:
    """The speaker-notes paragraph naming what the deck leaves out and the cells that fail
    the check it would rest on (empty when nothing is left out)."""
    if not left_out:
        return ""
    items = [
        text("left_out_item", what=_figure_name(text, name), cells=describe(cells))
        for name, cells in left_out.items()
    ]
    return "\n" + text("left_out_note", count=len(items)) + "\n" + "\n".join(items)


def _figure_name(text: DeckText, name: str) -> str:
    """A left-out figure as the deck calls it: its label ("NRR"), and its period for a
    figure of one period ("revenue:2026-Q2" -> "Revenue · Q2 2026")."""
    key, _, period = name.partition(":")
    label = text.labels.get(key) or key.replace("_", " ")
    return f"{label} · {text.formats.period(period)}" if period else label


def _shown(columns: Sequence[Column], row: Sequence[Any]) -> list[str]:
    """The texts of a table row: each value as its column shows it (a closing row's cells
    as written)."""
    if isinstance(row, _Closing):
        return [str(v) for v in row]
    return [c.show(v) for c, v in zip(columns, row, strict=True)]


def _blank(value: Any) -> bool:
    return value is None or value == "" or (isinstance(value, float) and math.isnan(value))


def _without_empty_columns(
    columns: Sequence[Column], rows: Sequence[Sequence[Any]]
) -> tuple[list[Column], list[Sequence[Any]], list[str]]:
    """The table without its columns (the first aside) that have no value in any row, and
    the headers of those left out: a column of "—" only says nothing."""
    body = [r for r in rows if not isinstance(r, _Closing)]
    empty = {j for j in range(1, len(columns)) if body and all(_blank(r[j]) for r in body)}
    if not empty:
        return list(columns), list(rows), []
    keep = [j for j in range(len(columns)) if j not in empty]

    def kept(row: Sequence[Any]) -> Sequence[Any]:
        if isinstance(row, _Closing):
            closing = _Closing(row[j] for j in keep)
            closing.count = row.count
            return closing
        return [row[j] for j in keep]

    return (
        [columns[j] for j in keep],
        [kept(r) for r in rows],
        [columns[j].header for j in sorted(empty)],
    )


def _one_unit(text: DeckText, column: Column, values: Sequence[Any]) -> Column:
    """``column``, its amounts shown in one unit when it is a column of amounts."""
    money = text.formats.money
    if column.show != money:
        return column
    unit = money_unit(values)
    return replace(column, show=lambda v: money(v, unit))


def _table_rows(records: Sequence[dict[str, Any]], keys: Sequence[str]) -> list[list[Any]]:
    """The cells of a table: ``keys`` of each record, in order."""
    return [[record[key] for key in keys] for record in records]


def _top_and_more(
    items: Sequence[Any], most: int, more: Callable[[Sequence[Any]], Any], *, after: bool = False
) -> list[Any]:
    """A long list summarised (decks.md: top items and "and N more" before any pagination):
    ``items`` when they fit in ``most``; else the first ones, then one closing item
    ``more(rest)`` ("and 22 more (€3.1M)") built from the items left out. The closing item
    takes the last of the ``most`` places (a box with room for ``most`` lines), or comes
    after ``most`` items (``after``: a table that shows its top ``most`` and counts the rest)."""
    if len(items) <= most:
        return list(items)
    shown = most if after else most - 1
    return [*items[:shown], more(items[shown:])]


def _more_line(t: DeckText) -> Callable[[Sequence[Any]], str]:
    """The closing line of a bulleted list: "and N more"."""
    return lambda rest: t("more_rows", count=len(rest), amount=None)


def _more_row(t: DeckText, width: int) -> Callable[[Sequence[Any]], _Closing]:
    """The closing row of a table of ``width`` columns: "and N more", with the amount of the
    rest when every record left out has one ("and 22 more (€3.1M)")."""

    def closing(rest: Sequence[Any]) -> _Closing:
        amounts = [r.get("amount") if isinstance(r, dict) else None for r in rest]
        known = all(a is not None for a in amounts)
        return _Closing.of(t, len(rest), width, sum(amounts) if known else None)

    return closing


def _rows(items: Sequence[Any], keys: Sequence[str]) -> list[Any]:
    """:func:`_table_rows` of a summarised list: a closing row stays as it is."""
    return [item if isinstance(item, _Closing) else [item[k] for k in keys] for item in items]


def _count(value: Figure) -> int | None:
    """A count figure as a whole number (None when missing)."""
    return None if value.value is None else int(value.value)


# --- QBR ------------------------------------------------------------------------------------

#: Trend -> the symbol shown beside it (the symbol follows the trend, never the RAG colour).
TREND_SYMBOL = {"Up": "▲", "Down": "▼", "Same": "►"}
#: The most open opportunities a pipeline slide lists (the largest), then "and N more".
PIPELINE_ROWS = 8


def _rag_detail(text: DeckText, rag: str | None, trend: str | None) -> str:
    """ "Green · ▼ Down": the RAG word (its colour is the tile's), then the trend with the
    symbol of the trend."""
    parts = []
    if rag:
        parts.append(text.status(rag))
    if trend:
        parts.append(f"{TREND_SYMBOL.get(trend, '')} {text.status(trend)}".strip())
    return " · ".join(parts)


class _Closing(list):  # type: ignore[type-arg]
    """A table's closing row ("and 22 more (€3.1M)"): its cells show as written; ``count``
    is the number of rows it stands for."""

    count: int = 0

    @classmethod
    def of(cls, text: DeckText, count: int, width: int, amount: float | None = None) -> _Closing:
        row = cls([text("more_rows", count=count, amount=amount)] + [""] * (width - 1))
        row.count = count
        return row


class _SlideBuilder:
    """The text helpers every slide builder uses: ``t`` (the texts), ``f`` (the number
    formats), ``show`` (how a table cell shows a value)."""

    text: DeckText

    @property
    def t(self) -> DeckText:
        return self.text

    @property
    def f(self) -> Any:
        return self.text.formats

    @property
    def show(self) -> dict[str, Callable[[Any], str]]:
        return _shows(self.text)


@dataclass
class _Qbr(_SlideBuilder):
    """What the slide builders of a QBR share."""

    ctx: QbrContext
    deck: Deck
    text: DeckText
    client: bool
    missing: str

    @property
    def left_out(self) -> dict[str, tuple[str, ...]]:
        return self.ctx.left_out


@dataclass(frozen=True, slots=True)
class _Section:
    """A section of the QBR: its kicker label, whether it has something to show (else why
    it is left out, for the command's warning), and how it is drawn."""

    label: str
    shown: bool
    reason: str
    draw: Callable[[_Qbr], None]


def _trajectory_periods(ctx: QbrContext) -> int:
    """The periods with a revenue or a forecast: a trajectory needs two (one bar repeats
    the scorecard's revenue tile)."""
    return sum(
        1 for a, f in zip(ctx.actual, ctx.forecast, strict=True) if a is not None or f is not None
    )


def _qbr_sections(q: _Qbr) -> list[_Section]:
    """The sections of a QBR after its title and agenda, in order, for this audience: the
    client QBR tells the client's story (what we delivered, their spend and satisfaction,
    the joint team and plan, what we propose, the actions, next steps and governance)."""
    ctx, client, left = q.ctx, q.client, q.left_out
    revenue_known = ctx.revenue is not None or any(v is not None for v in ctx.actual)
    sections = [
        _Section(
            "summary",
            bool(_summary_columns(q)),
            "no win, watch point or ask",
            _summary_slide,
        ),
        _Section(
            "spend" if client else "scorecard",
            revenue_known or (ctx.nps.ok if ctx.nps else False) or "revenue" in left,
            "no revenue in Accounts and no survey answer in Surveys",
            _scorecard_slide,
        ),
        _Section(
            "spend_trend" if client else "trajectory",
            _trajectory_periods(ctx) > 1
            or any(k.startswith(("revenue:", "forecast:")) for k in left),
            "no revenue or forecast per period in Revenue"
            if not _trajectory_periods(ctx)
            else "one period of revenue only (the scorecard shows it)",
            _trajectory_slide,
        ),
        _line_bridge_section(ctx, client),
    ]
    if not client:
        sections.append(
            _Section(
                "health_trend",
                any(v is not None for _, values in ctx.health_series for v in values)
                or any(k.startswith("health:") for k in left),
                "no row in Health",
                _health_slide,
            )
        )
    sections += [
        _Section(
            "contacts" if client else "relationships",
            bool(ctx.people),
            "no stakeholder in Stakeholders" if "people" not in left else "",
            _relationship_slide,
        ),
        _Section(
            "joint_plan" if client else "objectives",
            bool(ctx.plan),
            ("no client-visible row in Plan" if client else "no row in Plan")
            if "plan" not in left
            else "",
            _objectives_slide,
        ),
        _Section(
            "proposals" if client else "pipeline",
            bool(ctx.opportunities),
            "no open opportunity in Opportunities" if "opportunities" not in left else "",
            _pipeline_slide,
        ),
    ]
    if not client:
        sections.append(
            _Section(
                "risks",
                bool(ctx.risks),
                "no open risk in Risks" if "risks" not in left else "",
                _risks_slide,
            )
        )
    sections += [
        _Section(
            "actions",
            bool(ctx.actions),
            "no open action in Actions" if "actions" not in left else "",
            _actions_slide,
        ),
        _Section(
            "next_steps_governance" if client else "next_steps",
            bool(ctx.next_steps or ctx.next_qbr or ctx.next_ebr) or "next_steps" in left,
            "no open action, no next QBR or EBR in Meetings",
            _next_steps_slide,
        ),
    ]
    return sections


#: The fewest sections a QBR lists in an agenda.
AGENDA_FROM: Final = 3
#: The sections that alone make no review when they hold a single tile: an account whose
#: QBR would show only its revenue tile is not built (:class:`kamxl.deck.make.NotBuilt`).
NO_REVIEW: Final = frozenset({"scorecard", "spend"})


def no_review(deck: Deck) -> bool:
    """True for a QBR that would show one figure alone (its revenue): no review to hold."""
    return set(deck.sections) <= NO_REVIEW and deck.scorecard_tiles <= 1


def build_qbr(ctx: QbrContext, *, template: Path | str | None = None) -> Deck:
    """The QBR deck of one account: title, agenda, then each section that has something to
    show (:func:`_qbr_sections`); those left out are in :attr:`Deck.omitted`."""
    meta = ctx.meta
    text = DeckText(meta.language, meta.currency)
    t = text
    client = meta.audience is Audience.CLIENT
    name = ctx.account.name
    deck = Deck(
        template,
        text,
        _footer_line(
            t, account=name, period=meta.period, audience=meta.audience.value, company=meta.company
        ),
        created=datetime(meta.as_of.year, meta.as_of.month, meta.as_of.day),
    )
    deck.deck_id = DeckId("qbr", ctx.account.account_id, meta.audience.value, meta.language)
    missing = " ".join(t("missing_note", what=w) for w in ctx.notes)
    q = _Qbr(ctx, deck, text, client, missing)
    named = client_visible(ctx.left_out) if client else ctx.left_out  # what the notes may name
    sections = _qbr_sections(q)
    shown = [s for s in sections if s.shown]
    deck.omitted = [(t.label(s.label), s.reason) for s in sections if not s.shown and s.reason]
    deck.sections = [s.label for s in shown]

    # Title: the account, the period, who prepared it, both teams.
    deck.section("cover")
    deck.title_slide(
        name,
        t("qbr_subtitle", period=meta.period),
        [
            t(
                "cover_line",
                account=name,
                company=meta.company or "",
                audience=meta.audience.value,
            ),
            t(
                "qbr_teams",
                our_team=ctx.our_team,
                client_team=ctx.client_team,
                next_qbr=ctx.next_qbr,
                client=client,
            ),
        ],
        t("notes_title", account=name, period=meta.period, next_qbr=ctx.next_qbr)
        + _left_out_note(t, named),
    )
    # Agenda: the sections that follow, by their kickers (a list of one or two says nothing).
    if len(shown) >= AGENDA_FROM:
        deck.section("agenda")
        slide = deck.slide(t.label("agenda"), t("agenda_title"), t("notes_agenda"))
        deck._text(
            slide,
            CONTENT,
            "\n".join(f"{i}.  {t.label(s.label)}" for i, s in enumerate(shown, start=1)),
            TypeSize(Pt(20), Pt(12)),
            color=TEXT,
        )
    for section in shown:
        deck.section(section.label)
        section.draw(q)
    return deck


def _summary_slide(q: _Qbr) -> None:
    """Executive summary: wins (delivered, for the client), watch points, asks."""
    ctx, t, meta = q.ctx, q.t, q.ctx.meta
    if q.client:
        title = _title(
            q.deck,
            t,
            "client_summary_title",
            3,
            period=meta.period,
            growth=ctx.growth,
            previous_period=meta.previous_period,
            nps=ctx.nps.value,
            nps_n=ctx.nps_answers,
        )
    else:
        title = _title(
            q.deck,
            t,
            "summary_title",
            3,
            period=meta.period,
            growth=ctx.growth,
            previous_period=meta.previous_period,
            health=ctx.health.value if ctx.health is not None else None,
            rag=ctx.health_rag,
            trend=ctx.health_trend,
        )
    counts = {
        key: None if key in q.left_out else len(items)
        for key, items in (("wins", ctx.wins), ("watch", ctx.watch), ("asks", ctx.asks))
    }
    slide = q.deck.slide(
        t.label("summary"),
        title,
        t("notes_summary", **counts) + (" " + q.missing if q.missing else ""),
    )
    columns = _summary_columns(q)
    for box, (heading, items) in zip(
        CONTENT.columns(_equal_spans(len(columns))), columns, strict=True
    ):
        q.deck.bullets(
            slide,
            box,
            t.label(heading),
            [t("item", kind=i.kind, facts=i.facts) for i in items],
            empty=DASH,  # a column with no item is shown only when its cells fail the check
        )


def _summary_columns(q: _Qbr) -> list[tuple[str, Sequence[Any]]]:
    """The summary's columns that have something to show, as (heading, items): a column
    with no item is left out ("Nothing to report" three times says nothing) and the others
    take its width; one whose cells fail the check stays, its "—" naming them in the notes."""
    ctx = q.ctx
    headings = ("delivered", "attention", "asks") if q.client else ("wins", "watch", "asks")
    return [
        (heading, items)
        for heading, key, items in zip(
            headings, ("wins", "watch", "asks"), (ctx.wins, ctx.watch, ctx.asks), strict=True
        )
        if items or key in q.left_out
    ]


def _scorecard_slide(q: _Qbr) -> None:
    """KPI scorecard (internal) or their spend and satisfaction (client)."""
    ctx, t, f, meta = q.ctx, q.t, q.f, q.ctx.meta
    title = t(
        "scorecard_title",
        growth=ctx.growth,
        previous_period=meta.previous_period,
        lead_line=ctx.lead_line,
        lead_change=ctx.lead_line_change,
        client=q.client,
    )
    if q.client:
        notes = t(
            "notes_spend",
            revenue=ctx.revenue,
            previous=ctx.revenue_previous,
            growth=ctx.growth,
            nps=ctx.nps.value,
            nps_n=ctx.nps_answers,
        )
    else:
        notes = t(
            "notes_scorecard",
            revenue=ctx.revenue,
            previous=ctx.revenue_previous,
            growth=ctx.growth,
            nps=ctx.nps.value,
            nps_n=ctx.nps_answers,
            health=ctx.health.value if ctx.health is not None else None,
        )
    # No comparison with a period that has no revenue ("— vs Q2 2026 (€0)" says nothing):
    # the tile shows the revenue alone and the notes say why.
    compared = ctx.growth is not None
    if not compared and ctx.revenue is not None and not ctx.revenue_previous:
        notes = _sentences(notes, t("no_previous_revenue", previous_period=meta.previous_period))
    # An NPS tile only with survey answers (or answers whose cells fail the check: "—");
    # without any, "— · 0 answers" says nothing: the notes say there is no survey.
    nps = Tile(
        t.label("nps"),
        f.num(ctx.nps.value),
        "" if ctx.nps_answers is None else t("nps_detail", count=ctx.nps_answers),
    )
    kpis = [] if q.client else _kpi_tiles(q, nps)
    not_shown = [  # those the notes do not already explain ("no survey answer ...")
        tile.label for key, tile, figure in kpis if not _has_value(figure) and key not in ctx.notes
    ]
    if not_shown:  # "—" stands for one missing value among present ones, not for a tile
        notes = _sentences(notes, t("columns_left_out", names=not_shown))
    slide = q.deck.slide(
        t.label("spend" if q.client else "scorecard"),
        title,
        notes + (" " + q.missing if q.missing else ""),
    )
    revenue = Tile(
        t.label("your_spend" if q.client else "revenue"),
        f.money(ctx.revenue),
        t(
            "revenue_detail",
            growth=ctx.growth,
            previous_period=meta.previous_period,
            previous=ctx.revenue_previous,
        )
        if compared
        else "",
    )
    if q.client:
        tiles = [revenue]
        if ctx.year_growth is not None:
            tiles.append(Tile(t.label("year_on_year"), f.signed_pct(ctx.year_growth)))
        tiles += [nps] if _has_value(ctx.nps) else []
        q.deck.tiles(slide, Box(CONTENT.left, CONTENT.top, CONTENT.width, Inches(2.2)), tiles, 3)
        q.deck.scorecard_tiles = len(tiles)
        return
    tiles = [revenue, *(tile for _, tile, figure in kpis if _has_value(figure))]
    q.deck.scorecard_tiles = len(tiles)
    # one row of tiles keeps the height of the client's row, not the whole content area
    area = CONTENT if len(tiles) > 4 else Box(CONTENT.left, CONTENT.top, CONTENT.width, Inches(2.2))
    q.deck.tiles(slide, area, tiles, per_row=4)


def _kpi_tiles(q: _Qbr, nps: Tile) -> list[tuple[str, Tile, Figure]]:
    """The internal scorecard's tiles after revenue, in order, as (key, tile, figure): the
    key is the one of the context's missing notes ("nps", "health", "margin")."""
    ctx, t, f = q.ctx, q.t, q.f
    kpis = [
        ("nrr", Tile(t.label("nrr"), f.pct(ctx.nrr.value)), ctx.nrr),
        ("grr", Tile(t.label("grr"), f.pct(ctx.grr.value)), ctx.grr),
    ]
    for key, label, figure in (
        ("margin", "margin", ctx.margin),
        ("sow", "sow", ctx.share_of_wallet),
    ):
        if figure is not None:
            kpis.append((key, Tile(t.label(label), f.pct(figure.value)), figure))
    kpis.append(("nps", nps, ctx.nps))
    if ctx.health is not None:
        rag = _rag_detail(q.text, ctx.health_rag, ctx.health_trend)
        health = Tile(t.label("health"), f.num(ctx.health.value), rag, ctx.health_rag)
        kpis.append(("health", health, ctx.health))
    if ctx.forecast_accuracy is not None:
        accuracy = Tile(t.label("forecast_accuracy"), f.pct(ctx.forecast_accuracy.value))
        kpis.append(("forecast_accuracy", accuracy, ctx.forecast_accuracy))
    return kpis


def _has_value(figure: Figure) -> bool:
    """A tile is shown with a value, or with "—" when its value rests on cells that fail the
    check (the notes name them); a KPI with no data to compute it from gets no tile."""
    return figure.ok or figure.from_bad_input


def _trajectory_slide(q: _Qbr) -> None:
    """Revenue per period: with the forecast (internal), the client's spend alone (client)."""
    ctx, t, f, deck = q.ctx, q.t, q.f, q.deck
    first = next((v for v in ctx.actual if v is not None), None)
    left_out = any(key.startswith(("revenue:", "forecast:")) for key in q.left_out)
    if q.client:
        slide = deck.slide(
            t.label("spend_trend"),
            t("trajectory_title", year_growth=ctx.year_growth, accuracy=None, client=True),
            t("notes_spend_trend", first=first, last=ctx.revenue, year_growth=ctx.year_growth)
            + " "
            + t("scale_note", symbol=f.symbol),
        )
        # the periods up to the last one with revenue (later ones hold only our forecast)
        shown = 1 + max((i for i, v in enumerate(ctx.actual) if v is not None), default=-1)
        deck.chart(
            slide,
            CONTENT,
            shown > 0,
            lambda: charts.add_bar_chart(
                slide,
                CONTENT,
                [f.period(p) for p in ctx.periods[:shown]],
                [None if v is None else v / 1000 for v in ctx.actual[:shown]],
                value_axis_title=t("revenue_axis", symbol=f.symbol, client=True),
                number_format="#,##0",
                horizontal=False,
                names=(t.label("your_spend"), ""),
            ),
            left_out=left_out,
        )
        return
    accuracy = ctx.forecast_accuracy.value if ctx.forecast_accuracy is not None else None
    slide = deck.slide(
        t.label("trajectory"),
        t("trajectory_title", year_growth=ctx.year_growth, accuracy=accuracy),
        t(
            "notes_trajectory",
            first=first,
            last=ctx.revenue,
            year_growth=ctx.year_growth,
            accuracy=accuracy,
        )
        + " "
        + t("scale_note", symbol=f.symbol),
    )
    deck.chart(
        slide,
        CONTENT,
        any(v is not None for v in (*ctx.actual, *ctx.forecast)),
        lambda: charts.add_revenue_chart(
            slide,
            CONTENT,
            [f.period(p) for p in ctx.periods],
            ctx.actual,
            ctx.forecast,
            names=(t.label("actual"), t.label("forecast")),
            value_axis_title=t("revenue_axis", symbol=f.symbol),
            number_format=charts.chart_formats(f.language).integer,
        ),
        left_out=left_out,
    )


def _line_bridge_section(ctx: QbrContext, client: bool) -> _Section:
    """The account's revenue bridge by product line, right after the trajectory (its own
    slide: one finding per action title, and the trajectory keeps the width its periods
    need). Client-safe: the client's own spend by line, actual revenue only."""
    line_bridge = ctx.line_bridge
    return _Section(
        "spend_bridge" if client else "bridge",
        line_bridge is not None and line_bridge.bridge is not None,
        line_bridge.reason if line_bridge is not None else "",
        _line_bridge_slide,
    )


def _line_bridge_slide(q: _Qbr) -> None:
    """5b. The revenue bridge of the account by product line, previous -> current period."""
    assert q.ctx.line_bridge is not None  # the section is shown only with a bridge
    kicker = "spend_bridge" if q.client else "bridge"
    _bridge_slide_of(q, q.ctx.line_bridge, kicker, "lines", client=q.client)


def _bridge_slide_of(
    builder: _SlideBuilder,
    revenue_bridge: RevenueBridge,
    kicker: str,
    kind: str,
    *,
    client: bool = False,
) -> None:
    """A revenue bridge slide: the action title and notes from its steps, the chart, and a
    line under it when the value axis does not start at zero. ``kind`` is ``accounts``
    (the portfolio) or ``lines`` (one account's product lines); a ``client`` title speaks
    of their spend, without "gained" and "lost"."""
    t, f = builder.t, builder.f
    deck: Deck = builder.deck  # type: ignore[attr-defined]
    b = revenue_bridge.bridge
    assert b is not None
    slide = deck.slide(
        t.label(kicker),
        t(
            "bridge_title",
            growth=b.growth,
            previous_period=revenue_bridge.previous_period,
            gained=b.gained,
            lost=b.lost_in_all,
            client=client,
        ),
        _sentences(
            t(
                "notes_bridge",
                kind=kind,
                previous=b.previous,
                current=b.current,
                previous_period=revenue_bridge.previous_period,
                period=revenue_bridge.period,
                lost=b.amount("lost"),
                contraction=b.amount("contraction"),
                expansion=b.amount("expansion"),
                new=b.amount("new"),
                counts=b.counts,
            ),
            t("scale_note", symbol=f.symbol),
        ),
    )
    chart_box, note_box = CONTENT.rows((1, 0.07), gap=Inches(0.05))
    categories = [
        f.period(revenue_bridge.previous_period),
        *(
            t("bridge_category", kind=kind, step=step, count=b.count(step))
            for step in ("lost", "contraction", "expansion", "new")
        ),
        f.period(revenue_bridge.period),
    ]
    bases = [c / 100 for c in b.bases()]
    steps = [c / 100 for c in b.cents]
    deck.chart(
        slide,
        chart_box,
        True,
        lambda: charts.add_bridge_chart(
            slide,
            chart_box,
            categories,
            bases,
            steps,
            names=(t.label("bridge_total"), t.label("bridge_down"), t.label("bridge_up")),
            value_axis_title=t("revenue_axis", symbol=f.symbol, client=client),
            number_format=charts.chart_formats(f.language).integer,
        ),
    )
    floor = charts.bridge_axis_floor([v / 1000 for v in bases], [v / 1000 for v in steps])
    if floor > 0:
        deck._text(
            slide,
            note_box,
            t("bridge_floor_note", floor=floor, symbol=f.symbol),
            TypeSize(Pt(10), Pt(9)),
            color=GREY,
            one_line=True,
            key="chart.floor",
        )


def _health_slide(q: _Qbr) -> None:
    """Health and its components per period (internal)."""
    ctx, t, f, deck, meta = q.ctx, q.t, q.f, q.deck, q.ctx.meta
    health = ctx.health.value if ctx.health is not None else None
    slide = deck.slide(
        t.label("health_trend"),
        t(
            "health_title",
            health=health,
            rag=ctx.health_rag,
            previous=ctx.health_previous,
            previous_period=meta.previous_period,
        ),
        t("notes_health", health=health, previous=ctx.health_previous),
    )
    deck.chart(
        slide,
        CONTENT,
        any(v is not None for _, values in ctx.health_series for v in values),
        lambda: charts.add_health_chart(
            slide,
            CONTENT,
            [f.period(p) for p in ctx.health_periods],
            [_health_line(t, name, values) for name, values in ctx.health_series],
            value_axis_title=t.label("health_axis"),
            rag_cuts=ctx.health_cuts,
            band_names=_band_names(t, ctx.health_cuts),
        ),
        left_out=any(key.startswith("health:") for key in q.left_out),
    )


def _health_line(t: DeckText, name: str, values: list[float | None]) -> tuple[str, list[Any]]:
    """A line of the health chart: risk (higher is worse) shown as 100 − risk, as it counts
    in health, so that every line reads "higher is better" over the RAG bands (a low risk
    drawn as itself sat in the red band)."""
    if name != "risk":
        return t.label(name), values
    return t.label("low_risk"), [None if v is None else 100 - v for v in values]


def _relationship_slide(q: _Qbr) -> None:
    """The relationship map (internal) or the joint team (client: names, titles, roles)."""
    ctx, t, f, deck, show = q.ctx, q.t, q.f, q.deck, q.show
    if q.client:
        deck.table(
            t.label("contacts"),
            t("contacts_title", count=len(ctx.people)),
            t("notes_team", count=len(ctx.people)),
            [
                Column(t.label("col_name"), 2, show["text"]),
                Column(t.label("col_title"), 2.5, show["text"]),
                Column(t.label("col_role"), 2, show["status"]),
            ],
            [[p.name, p.title, p.role] for p in _by_role(ctx.people)],
            empty=t.label("none"),
            paginate=False,  # the key roles first; the rest counted in "and N more"
        )
        return
    required = len(_required_roles())
    covered = required - len(ctx.missing_roles)
    stale_count = None if "stale_contacts" in q.left_out else len(ctx.stale_contacts)
    slide = deck.slide(
        t.label("relationships"),
        _title(
            deck,
            t,
            "relationships_title",
            4,
            covered=covered,
            required=required,
            missing=[t.status(r) for r in ctx.missing_roles],
            stale=stale_count,
        ),
        t("notes_relationships", coverage=ctx.coverage.value, stale=stale_count),
    )
    left, right = CONTENT.columns((8, 4))  # the map, its side panel
    deck.chart(
        slide,
        left,
        any(p.attitude is not None and p.power is not None for p in ctx.people),
        lambda: _relationship_chart(slide, left, ctx, q.text),
    )
    roles = [
        f"{'✓' if r not in ctx.missing_roles else '✗'} {t.status(r)}" for r in _required_roles()
    ]
    top, bottom = right.rows((0.5, 0.5))
    deck.bullets(
        slide,
        top,
        f"{t.label('coverage')} · {f.pct(ctx.coverage.value)}",
        roles,
        empty=t.label("none"),
    )
    stale = [f"{p.name} ({f.day(p.last_contact)})" for p in ctx.stale_contacts]
    deck.bullets(
        slide,
        bottom,
        t.label("not_seen"),
        _top_and_more(stale, 6, _more_line(t)),
        empty=DASH if stale_count is None else t.label("none"),
    )


def _objectives_slide(q: _Qbr) -> None:
    """Objectives and initiatives (the client-visible ones for the client)."""
    ctx, t, show = q.ctx, q.t, q.show
    good = sum(1 for p in ctx.plan if p["status"] in ("done", "on track"))
    q.deck.table(
        t.label("joint_plan" if q.client else "objectives"),
        t(
            "objectives_title",
            total=len(ctx.plan),
            good=good,
            late=sum(1 for p in ctx.plan if p["status"] == "late"),
            at_risk=sum(1 for p in ctx.plan if p["status"] == "at risk"),
        ),
        t("notes_objectives", total=len(ctx.plan), good=good),
        [
            Column(t.label("col_objective"), 3, show["text"]),
            Column(t.label("col_initiative"), 3, show["text"]),
            Column(t.label("col_owner"), 1.6, show["text"]),
            Column(t.label("col_client_owner"), 1.6, show["text"]),
            Column(t.label("col_due"), 1.3, show["day"]),
            Column(
                t.label("col_status"), 1.4, show["status"], tone=lambda v: PLAN_RAG.get(v or "")
            ),
        ],
        _table_rows(
            ctx.plan, ("objective", "initiative", "owner", "client_owner", "due", "status")
        ),
        empty=t.label("none"),
    )


def _pipeline_slide(q: _Qbr) -> None:
    """The open pipeline (internal: tiles and the largest deals) or what we propose next
    (client: proposals with amount and expected decision, no probability or stage)."""
    ctx, t, f, deck, show = q.ctx, q.t, q.f, q.deck, q.show
    count = len(ctx.opportunities)
    if q.client:
        columns = [
            Column(t.label("col_proposal"), 4.5, show["text"]),
            Column(t.label("col_type"), 1.6, show["status"]),
            Column(t.label("col_amount"), 1.6, show["money"], PP_ALIGN.RIGHT),
        ]
        keys = ["opportunity", "type", "amount"]
        if any(o.get("closed") is not None for o in ctx.opportunities):
            # a column of dashes says nothing: it shows when one date at least is known
            columns.append(Column(t.label("col_expected"), 1.8, show["day"]))
            keys.append("closed")
        deck.table(
            t.label("proposals"),
            t("proposals_title", count=count, value=ctx.pipeline_value),
            t("notes_proposals", count=count, value=ctx.pipeline_value),
            columns,
            _rows(_top_and_more(ctx.opportunities, PIPELINE_ROWS, _more_row(t, len(keys))), keys),
            empty=t.label("none"),
        )
        return
    win_rate = ctx.win_rate.value if ctx.win_rate is not None else None
    cycle = ctx.median_cycle.value if ctx.median_cycle is not None else None

    def pipeline_tiles(slide: Slide) -> None:
        deck.tiles(
            slide,
            Box(CONTENT.left, CONTENT.top, CONTENT.width, Inches(1.2)),
            [
                Tile(t.label("open_pipeline"), f.money(ctx.pipeline_value)),
                Tile(t.label("weighted"), f.money(ctx.weighted_pipeline)),
                Tile(t.label("win_rate"), f.pct(win_rate)),
                Tile(t.label("median_cycle"), DASH if cycle is None else f.days(cycle)),
            ],
        )

    below = Box(
        CONTENT.left, CONTENT.top + Inches(1.45), CONTENT.width, CONTENT.height - Inches(1.45)
    )
    deck.table(
        t.label("pipeline"),
        _title(
            q.deck,
            t,
            "pipeline_title",
            3,
            value=ctx.pipeline_value,
            weighted=ctx.weighted_pipeline,
            count=count,
            win_rate=win_rate,
        ),
        t(
            "notes_pipeline",
            value=ctx.pipeline_value,
            weighted=ctx.weighted_pipeline,
            win_rate=win_rate,
            cycle=cycle,
        ),
        [
            Column(t.label("col_opportunity"), 4, show["text"]),
            Column(t.label("col_type"), 1.4, show["status"]),
            Column(t.label("col_stage"), 1.6, lambda v: _stage(t, v, show["text"])),
            Column(t.label("col_amount"), 1.4, show["money"], PP_ALIGN.RIGHT),
            Column(t.label("col_probability"), 1.3, show["pct"], PP_ALIGN.RIGHT),
            Column(t.label("col_created"), 1.4, show["day"]),
        ],
        _rows(
            _top_and_more(ctx.opportunities, PIPELINE_ROWS, _more_row(t, 6)),
            ("opportunity", "type", "stage", "amount", "probability", "created"),
        ),
        box=below,
        before=pipeline_tiles,
        empty=t.label("none"),
        paginate=False,
    )


def _risks_slide(q: _Qbr) -> None:
    """Risks and mitigations (internal), the most severe first."""
    ctx, t, show = q.ctx, q.t, q.show
    risks = ctx.risks or []
    top = risks[0]["risk"] if risks else ""
    q.deck.table(
        t.label("risks"),
        _title(q.deck, t, "risks_title", 2, count=len(risks), top=top),
        t("notes_risks", count=len(risks)),
        [
            Column(t.label("col_risk"), 3.5, show["text"]),
            Column(t.label("col_level"), 1.2, show["status"]),
            Column(t.label("col_mitigation"), 3.5, show["text"]),
            Column(t.label("col_owner"), 1.8, show["text"]),
        ],
        _rows(
            _top_and_more([{**r, "amount": None} for r in risks], 8, _more_row(t, 4)),
            ("risk", "level", "mitigation", "owner"),
        ),
        empty=t.label("none"),
        paginate=False,
    )


def _stage(t: DeckText, value: Any, as_text: Callable[[Any], str]) -> str:
    """A stage cell in the deck's language when it is one of the stages kamxl knows
    ("négociation" -> "Negotiation"), else as the KAM wrote it."""
    code = schema.stage_code(value)
    return t.status(f"stage:{code}") if code else as_text(value)


def _by_role(people: Sequence[Person]) -> list[Person]:
    """The joint team, the people in the key roles first (in the order of those roles)."""
    order = {role: i for i, role in enumerate(_required_roles())}
    return sorted(people, key=lambda p: order.get(p.role, len(order)))


def _overdue(due: Any, meta: Meta) -> str | None:
    """A due date before the as-of date shows as Red (its symbol and colour): overdue."""
    return "Red" if isinstance(due, date) and due < meta.as_of else None


def _actions_slide(q: _Qbr) -> None:
    """The joint action plan with its RACI: every open action (it continues on further
    slides: every row matters)."""
    ctx, t, show, meta = q.ctx, q.t, q.show, q.ctx.meta
    overdue = sum(1 for a in ctx.actions if a["due"] is not None and a["due"] < meta.as_of)
    q.deck.table(
        t.label("actions"),
        t(
            "actions_title",
            count=len(ctx.actions),
            overdue=overdue,
            next_due=next((a["due"] for a in ctx.actions if a["due"]), None),
        ),
        t("notes_actions", count=len(ctx.actions)),
        [
            Column(t.label("col_action"), 3.6, show["text"]),
            Column(t.label("col_responsible"), 1.6, show["text"]),
            Column(t.label("col_accountable"), 1.6, show["text"]),
            Column(t.label("col_consulted"), 1.6, show["text"]),
            Column(t.label("col_informed"), 1.6, show["text"]),
            Column(t.label("col_due"), 1.3, show["day"], tone=lambda due: _overdue(due, meta)),
        ],
        _table_rows(
            ctx.actions, ("action", "responsible", "accountable", "consulted", "informed", "due")
        ),
        empty=t.label("none"),
    )


def _next_steps_slide(q: _Qbr) -> None:
    """Next steps, the next QBR and EBR (and, for the client, the sponsors: governance)."""
    ctx, t, f, deck = q.ctx, q.t, q.f, q.deck
    slide = deck.slide(
        t.label("next_steps_governance" if q.client else "next_steps"),
        t("next_steps_title", next_qbr=ctx.next_qbr),
        t("notes_next_steps", next_qbr=ctx.next_qbr),
    )
    left, right = CONTENT.columns((8, 4))  # the steps; the dates and sponsors beside
    deck.bullets(
        slide,
        left,
        None,
        [t("item", kind=i.kind, facts=i.facts) for i in ctx.next_steps],
        empty=DASH if "next_steps" in q.left_out else t.label("none"),
    )
    # a date not set yet is said by the title ("Next QBR to schedule"), not by a "—" tile
    tiles = [
        Tile(t.label(label), f.day(day))
        for label, day in (("next_qbr", ctx.next_qbr), ("next_ebr", ctx.next_ebr))
        if day is not None
    ]
    if tiles:
        deck.tiles(
            slide,
            Box(right.left, right.top, right.width, Inches(1.5) * len(tiles)),
            tiles,
            per_row=1,
        )
    client_sponsor, our_sponsor = ctx.sponsors
    if client_sponsor or our_sponsor:
        top = right.top + Inches(1.5) * len(tiles) + Inches(0.3)
        deck._text(
            slide,
            Box(right.left, top, right.width, Inches(0.9)),
            t("sponsors_line", client=client_sponsor, ours=our_sponsor),
            BODY,
            color=GREY,
        )


def _required_roles() -> tuple[str, ...]:
    from kamxl.core import REQUIRED_ROLES

    return REQUIRED_ROLES


def _band_names(text: DeckText, cuts: tuple[float, float] | None) -> tuple[str, str, str]:
    """The legend names of the health chart's RAG bands: the status word and its range."""
    red, amber = cuts or (0.0, 0.0)
    f = text.formats
    return (
        f"{text.status('Red')} ≤ {f.num(red)}",
        f"{text.status('Amber')} ≤ {f.num(amber)}",
        f"{text.status('Green')} > {f.num(amber)}",
    )


def _matrix_column(ctx: PortfolioContext, column: str) -> list[Any]:
    """A tiering-table value (tier, status) of each point of the matrix, None where it is
    unknown or in doubt."""
    rows = {row["account_id"]: row[column] for row in ctx.accounts}
    return [rows.get(account_id) for account_id in ctx.matrix_accounts]


def _relationship_chart(slide: Slide, box: Box, ctx: QbrContext, text: DeckText) -> None:
    """Stakeholders placed by attitude (x, in words) and power (y, 1..5), the most powerful
    named (:func:`kamxl.deck.charts.add_relationship_chart`)."""
    placed = [p for p in ctx.people if p.attitude is not None and p.power is not None]
    people = [
        (
            p.name,
            p.attitude,
            p.power,
            p.days_since_contact is not None and p.days_since_contact >= 90,
        )
        for p in placed
    ]
    charts.add_relationship_chart(
        slide,
        box,
        people,
        attitude_names=[text.label(f"attitude:{a}") for a in charts.ATTITUDES],
        x_title=text.label("col_attitude"),
        y_title=text.label("col_power"),
        stale_name=text.label("not_seen"),
        caption=lambda shown: text(
            "map_caption",
            labelled=len(shown.labelled),
            shown=shown.shown,
            stale=any(stale for *_, stale in people),
        ),
    )


# --- Handshake ------------------------------------------------------------------------------


def build_handshake(ctx: HandshakeContext, *, template: Path | str | None = None) -> Deck:
    """The one-slide executive handshake (client-safe by construction)."""
    meta = ctx.meta
    text = DeckText(meta.language, meta.currency)
    t, f = text, text.formats
    deck = Deck(
        template,
        text,
        _footer_line(
            t,
            account=ctx.account.name,
            period=meta.period,
            audience="client",
            company=meta.company,
        ),
        created=datetime(meta.as_of.year, meta.as_of.month, meta.as_of.day),
    )
    deck.deck_id = DeckId("handshake", ctx.account.account_id, "client", meta.language)
    deck.section("handshake")
    slide = deck.slide(
        t.label("handshake"),
        _title(deck, t, "handshake_title", 2, company=meta.company or ""),
        t(
            "notes_handshake",
            account=ctx.account.name,
            today=ctx.today,
            in_12=ctx.in_12_months,
            in_36=ctx.in_36_months,
        )
        + _left_out_note(t, ctx.left_out),
    )
    body = Box(CONTENT.left, CONTENT.top, CONTENT.width, CONTENT.height - Inches(0.45))
    left, middle, right = body.columns(_equal_spans(3))
    priorities, ambition = left.rows((0.5, 0.5), gap=Inches(0.15))
    deck.bullets(
        slide,
        priorities,
        t.label("priorities"),
        ctx.client_priorities,
        empty=DASH,
    )
    # Shared ambition: the statement, then the value trajectory today -> 12 -> 36 months.
    statement = [
        line for line in ctx.ambition if not any(ch.isdigit() for ch in line)
    ] or ctx.ambition[:1]
    top, figures = ambition.rows((0.45, 0.55), gap=Inches(0.05))
    deck.bullets(slide, top, t.label("ambition"), statement, empty=DASH)
    parts = figures.split((1, 0.3, 1, 0.3, 1), gap=Inches(0.04))
    steps = parts[::2]
    for arrow in parts[1::2]:
        _, arrow_box = arrow.rows((0.4, 0.6), gap=Inches(0.02))
        deck._text(
            slide,
            arrow_box,
            "→",
            TypeSize(Pt(18), Pt(12)),
            color=GREY,
            align=PP_ALIGN.CENTER,
            key="figures.arrow",
        )
    # keyed as the ambition block's figures (inside the block, on their own small layout)
    for box, step, label, value in zip(
        steps,
        ("today", "in_12", "in_36"),
        (t.label("today"), t.label("in_12"), t.label("in_36")),
        (ctx.today, ctx.in_12_months, ctx.in_36_months),
        strict=True,
    ):
        label_box, value_box = box.rows((0.4, 0.6), gap=Inches(0.02))
        deck._text(
            slide,
            label_box,
            label,
            TypeSize(Pt(11), Pt(9)),
            color=GREY,
            align=PP_ALIGN.CENTER,
            anchor=MSO_ANCHOR.BOTTOM,
            key=f"figures.{step}.label",
        )
        deck._text(
            slide,
            value_box,
            f.money(value),
            TypeSize(Pt(20), Pt(12)),
            bold=True,
            color=BRAND,
            align=PP_ALIGN.CENTER,
            key=f"figures.{step}",
        )
    initiatives, governance = middle.rows((0.5, 0.5), gap=Inches(0.15))
    deck.bullets(
        slide,
        initiatives,
        t.label("initiatives"),
        [
            t("initiative", name=i["initiative"], ours=i["owner"], theirs=i["client_owner"])
            for i in ctx.initiatives
        ],
        empty=DASH if "initiatives" in ctx.left_out else t.label("none"),
    )
    gov = [t("meeting", kind=m["type"], when=m["date"]) for m in ctx.meetings[:4]]
    gov.append(t("sponsors_line", client=ctx.sponsors[0], ours=ctx.sponsors[1]))
    deck.bullets(slide, governance, t.label("governance"), gov, empty=t.label("none"))
    # The asks block only when there is an ask (or its cells fail the check: "—"); without
    # one, the commitments take its height ("Asks: Nothing to report" says nothing).
    has_asks = bool(ctx.asks) or "asks" in ctx.left_out
    ours, theirs, *asks = right.rows((1, 1, 0.8) if has_asks else (1, 1), gap=Inches(0.15))
    deck.bullets(
        slide, ours, t.label("our_commitments"), ctx.our_commitments, empty=t.label("none")
    )
    deck.bullets(
        slide, theirs, t.label("client_commitments"), ctx.client_commitments, empty=t.label("none")
    )
    if has_asks:
        deck.bullets(slide, asks[0], t.label("asks"), ctx.asks, empty=DASH)
    line = Box(CONTENT.left, CONTENT.bottom - Inches(0.35), CONTENT.width, Inches(0.35))
    deck._text(
        slide,
        line,
        t(
            "validation",
            agreed_by=ctx.agreed_by,
            agreed_on=ctx.agreed_on,
            next_review=ctx.next_review,
        ),
        TypeSize(Pt(12), Pt(9)),
        bold=True,
        color=BRAND,
    )
    return deck


# --- Portfolio ------------------------------------------------------------------------------


#: The key accounts the tiering table shows (by score, then revenue; the rest are counted).
TIERING_TOP = 15
#: The stale plans the freshness table shows (the most stale first; the rest are counted).
STALE_TOP = 10


@dataclass
class _Portfolio(_SlideBuilder):
    """What the slide builders of the portfolio review share."""

    ctx: PortfolioContext
    deck: Deck
    text: DeckText


def _portfolio_cover(p: _Portfolio) -> None:
    """1. Title: our company and the period; the notes name what is left out."""
    ctx, deck, t = p.ctx, p.deck, p.t
    k, meta = ctx.kpis, ctx.meta
    deck.title_slide(  # its line also carries the title's binding (LibreOffice drops it)
        meta.company or t.label("portfolio_review"),
        t("portfolio_subtitle", period=meta.period),
        [t("cover_line", account="", company="", audience="internal")],
        t("notes_tiering", count=_count(k.accounts)) + _left_out_note(t, ctx.left_out),
    )


def _matrix_slide(p: _Portfolio) -> None:
    """2. Portfolio matrix: attractiveness by strength, bubble = revenue, by tier."""
    ctx, deck, t, f = p.ctx, p.deck, p.t, p.f
    k = ctx.kpis
    strategic = _count(k.quadrants.get("Strategic"))
    slide = deck.slide(
        t.label("matrix"),
        t("matrix_title", strategic=strategic, share=ctx.strategic_share),
        t("notes_matrix", strategic=strategic, share=ctx.strategic_share),
    )
    deck.chart(
        slide,
        CONTENT,
        bool(ctx.matrix),
        lambda: charts.add_matrix_chart(
            slide,
            CONTENT,
            ctx.matrix,
            cut_x=ctx.cut_strength,
            cut_y=ctx.cut_attractiveness,
            x_title=t.label("strength"),
            y_title=t.label("attractiveness"),
            quadrant_labels={q: t.status(q) for q in ("Strategic", "Star", "Status", "Streamline")},
            series_name=t.label("no_tier"),
            groups=_matrix_column(ctx, "tier"),
            key=[status == "key" for status in _matrix_column(ctx, "status")],
            group_names={tier: t("matrix_tier", tier=tier) for tier in ctx.tier_labels},
            caption=lambda shown: t(
                "matrix_caption",
                labelled=len(shown.labelled),
                shown=shown.shown,
                biggest=max(size for *_, size in ctx.matrix),
                name=max(ctx.matrix, key=lambda p: p[3])[0],
            ),
            size_label=f.money,
        ),
        left_out="matrix" in ctx.left_out,
    )


def _concentration_slide(p: _Portfolio) -> None:
    """3. Concentration: the Pareto curve with the top accounts' share on it."""
    ctx, deck, t, f = p.ctx, p.deck, p.t, p.f
    k = ctx.kpis
    top, of = ctx.top_accounts or (None, None)  # the top k of N accounts (1 of 3: not 20 %)
    slide = deck.slide(
        t.label("concentration"),
        t("concentration_title", top_share=k.top20_share.value, hhi=k.hhi.value, top=top, of=of),
        t(
            "notes_concentration",
            pareto=k.pareto_80.value,
            top_share=k.top20_share.value,
            effective=k.effective_n.value,
            top=top,
            of=of,
        ),
    )
    chart_box, tiles_box = CONTENT.columns((8, 4))  # the curve, its three tiles
    deck.chart(
        slide,
        chart_box,
        k.top20_share.ok,
        lambda: charts.add_pareto_chart(
            slide,
            chart_box,
            ctx.pareto[0],
            ctx.pareto[1],
            x_title=t.label("accounts_share"),
            y_title=t.label("revenue_share"),
            marker_x=k.top20_fraction.value,  # the corner of the top k accounts, on the curve
            language=f.language,
        ),
        left_out=k.top20_share.from_bad_input,
    )
    deck.tiles(
        slide,
        tiles_box,
        [
            Tile(t("top_share_label", top=top, of=of), f.pct(k.top20_share.value)),
            Tile(t.label("hhi"), f.num(k.hhi.value)),
            Tile(t.label("effective_n"), f.effective(k.effective_n.value)),
        ],
        per_row=1,
    )


def _tiering_slide(p: _Portfolio) -> None:
    """4. Tiering: the top accounts by score (then revenue), and N more."""
    ctx, deck, t, show = p.ctx, p.deck, p.t, p.show
    k = ctx.kpis
    accounts = _top_and_more(ctx.accounts, TIERING_TOP, _more_row(t, 7), after=True)
    more_accounts = max(len(ctx.accounts) - TIERING_TOP, 0)  # counted in the closing row
    top_tier = ctx.tier_labels[0]
    deck.table(
        t.label("tiering"),
        t(
            "tiering_title",
            top_tier=top_tier,
            count=_count(k.tiers.get(top_tier)),
            red=_count(k.rag.get("Red")),
            red_in_tier=sum(1 for a in ctx.accounts if a["tier"] == top_tier and a["rag"] == "Red"),
        ),
        _sentences(
            t("notes_tiering", count=len(ctx.accounts)),
            t("notes_top", shown=min(len(accounts), TIERING_TOP), more=more_accounts),
        ),
        [
            Column(t.label("col_account"), 3, show["text"]),
            Column(t.label("col_kam"), 1.8, show["text"]),
            Column(t.label("col_revenue"), 1.3, show["money"], PP_ALIGN.RIGHT),
            Column(t.label("col_score"), 1, show["num"], PP_ALIGN.RIGHT),
            Column(t.label("col_tier"), 0.8, show["text"], PP_ALIGN.CENTER),
            Column(t.label("col_quadrant"), 1.5, show["status"]),
            Column(t.label("col_health"), 1.4, show["status"], tone=lambda v: v),
        ],
        _rows(accounts, ("name", "kam", "revenue", "score", "tier", "quadrant", "rag")),
        empty=t.label("none"),
        paginate=False,
    )


def _retention_slide(p: _Portfolio) -> None:
    """5. Retention: NRR, GRR, logo retention, expansion; the accounts that moved."""
    ctx, deck, t, f, show = p.ctx, p.deck, p.t, p.f, p.show
    k, meta = ctx.kpis, ctx.meta

    def retention_tiles(slide: Slide) -> None:
        deck.tiles(
            slide,
            Box(CONTENT.left, CONTENT.top, CONTENT.width, Inches(1.5)),
            [
                Tile(t.label("nrr"), f.pct(k.nrr.value)),
                Tile(t.label("grr"), f.pct(k.grr.value)),
                Tile(t.label("logo_retention"), f.pct(k.logo_retention.value)),
                Tile(t.label("expansion"), f.pct(k.expansion.value)),
            ],
        )

    movement_tone = {"new": "Green", "up": "Green", "down": "Amber", "churned": "Red"}
    retention = (
        t.label("retention"),
        t("retention_title", nrr=k.nrr.value, grr=k.grr.value),
        t(
            "notes_retention",
            nrr=k.nrr.value,
            grr=k.grr.value,
            logo=k.logo_retention.value,
            expansion=k.expansion.value,
        ),
    )
    if "movements" in ctx.left_out:  # which accounts moved rests on bad cells: the tiles only
        retention_tiles(deck.slide(*retention))
    else:
        deck.table(
            *retention,
            [
                Column(t.label("col_account"), 3, show["text"]),
                Column(t.label("col_kam"), 1.8, show["text"]),
                Column(
                    f.period(meta.previous_period),
                    1.3,
                    show["money"],
                    PP_ALIGN.RIGHT,
                ),
                Column(f.period(meta.period), 1.3, show["money"], PP_ALIGN.RIGHT),
                Column(t.label("col_change"), 1.3, show["money"], PP_ALIGN.RIGHT),
                Column(
                    t.label("col_movement"),
                    1.4,
                    show["status"],
                    tone=lambda v: movement_tone.get(v or ""),
                ),
            ],
            [
                [m["name"], m["kam"], m["previous"], m["current"], m["change"], m["movement"]]
                for m in ctx.movements
            ],
            box=Box(
                CONTENT.left,
                CONTENT.top + Inches(1.75),
                CONTENT.width,
                CONTENT.height - Inches(1.75),
            ),
            before=retention_tiles,
            empty=t.label("none"),
        )


def _kam_load_slide(p: _Portfolio) -> None:
    """6. KAM load: key accounts per KAM against the norm band."""
    ctx, deck, t, f = p.ctx, p.deck, p.t, p.f
    if "kam_load" in ctx.left_out:
        return
    low, high = ctx.load_norm
    below = [name for name, count in ctx.kam_load if count < low]
    above = [name for name, count in ctx.kam_load if count > high]
    slide = deck.slide(
        t.label("kam_load"),
        _title(deck, t, "kam_load_title", 2, below=below, above=above, low=low, high=high),
        t("notes_kam_load", low=low, high=high),
    )
    deck.chart(
        slide,
        CONTENT,
        bool(ctx.kam_load),
        lambda: charts.add_bar_chart(
            slide,
            CONTENT,
            [n for n, _ in ctx.kam_load],
            [c for _, c in ctx.kam_load],
            value_axis_title=t.label("key_accounts"),
            number_format=charts.chart_formats(f.language).integer,
            band=(low, high),
            names=(t.label("key_accounts"), f"{t.label('norm')} {f.num(low)}–{f.num(high)}"),
        ),
    )


def _freshness_slide(p: _Portfolio) -> None:
    """7. Plan freshness: the stalest plans first, and N more."""
    ctx, deck, t, show = p.ctx, p.deck, p.t, p.show
    k = ctx.kpis
    if "stale_plans" in ctx.left_out:
        return
    if ctx.stale_plans and not ctx.any_plan_date:  # a table of every name would say only that
        deck.omitted.append(
            (t.label("freshness"), "no account has a plan_updated date in Accounts")
        )
        return
    stale = _top_and_more(ctx.stale_plans, STALE_TOP, _more_row(t, 6), after=True)
    more_stale = max(len(ctx.stale_plans) - STALE_TOP, 0)  # counted in the closing row
    deck.table(
        t.label("freshness"),
        t("freshness_title", count=_count(k.stale_plans), days=ctx.half_life_days),
        _sentences(
            t("notes_freshness", count=len(ctx.stale_plans)),
            t("notes_top", shown=min(len(stale), STALE_TOP), more=more_stale),
        ),
        [
            Column(t.label("col_account"), 3.5, show["text"]),
            Column(t.label("col_kam"), 2, show["text"]),
            Column(t.label("col_revenue"), 1.3, show["money"], PP_ALIGN.RIGHT),
            Column(t.label("col_updated"), 1.6, show["day"]),
            Column(t.label("col_days"), 1, show["num"], PP_ALIGN.RIGHT),
            Column(t.label("col_freshness"), 1.2, show["num"], PP_ALIGN.RIGHT),
        ],
        _rows(stale, ("name", "kam", "revenue", "updated", "days", "freshness")),
        empty=t.label("none"),
        paginate=False,
    )


def _portfolio_bridge_slide(p: _Portfolio) -> None:
    """8. Revenue bridge: previous revenue, lost accounts, contraction, expansion, new
    accounts, current revenue (Accounts revenue_prev -> revenue_curr)."""
    bridge = p.ctx.bridge
    if bridge is None or bridge.bridge is None:
        if bridge is not None and bridge.reason:
            p.deck.omitted.append((p.t.label("bridge"), bridge.reason))
        return
    _bridge_slide_of(p, bridge, "bridge", "accounts")


#: The key accounts the whitespace grid shows at most (the biggest revenue first; the rest
#: are counted in "and N more", and fewer when long names take more room).
WHITESPACE_TOP = 15
#: The product lines the whitespace grid has columns for (the biggest first): the notes
#: name the others.
WHITESPACE_LINES = 8
#: The account column of the whitespace grid, and the widest a product line's column gets.
_WS_ACCOUNT_WIDTH = Inches(3.4)
_WS_LINE_WIDTH = Inches(1.6)
#: The legend line under the whitespace grid.
_WS_LEGEND_HEIGHT = Inches(0.35)


def _whitespace_slide(p: _Portfolio) -> None:
    """9. Whitespace: key accounts (the biggest revenue first) × product lines, each cell
    bought (●, brand), proposed (◐, light tint) or open ground (○, white), a legend under it;
    the title counts the open cells over every key account and the lines shown."""
    ctx, deck, t = p.ctx, p.deck, p.t
    ws = ctx.whitespace
    if ws is None or not ws.lines:
        if ws is not None and ws.reason:
            deck.omitted.append((t.label("whitespace"), ws.reason))
        return
    shown_lines = ws.lines[:WHITESPACE_LINES]
    cells = ws.cells(WHITESPACE_LINES)
    open_cells = sum(1 for c in cells if c in OPEN_STATES)
    unknown = "unknown" in cells
    proposed = cells.count("proposed")
    accounts = ws.open_accounts(WHITESPACE_LINES)
    slide = deck.slide(
        t.label("whitespace"),
        t("whitespace_title", open=open_cells, accounts=accounts, proposed=proposed),
        t(
            "notes_whitespace",
            open=open_cells,
            accounts=accounts,
            proposed=proposed,
            more_lines=ws.lines[WHITESPACE_LINES:],
        ),
    )
    grid_box = Box(
        CONTENT.left, CONTENT.top, CONTENT.width, CONTENT.height - _WS_LEGEND_HEIGHT - Inches(0.1)
    )
    more, height = _whitespace_grid(slide, grid_box, t, shown_lines, ws)
    deck._bind(slide, slide.shapes[-1]._element, "table")
    symbols = style.WHITESPACE_SYMBOL
    legend_top = grid_box.top + height + Inches(0.1)  # right under the grid, however short
    deck._text(
        slide,
        Box(CONTENT.left, legend_top, CONTENT.width, _WS_LEGEND_HEIGHT),
        t(
            "whitespace_legend",
            bought=symbols["bought"],
            proposed=symbols["proposed"],
            open=symbols["open"],
            unknown=symbols["unknown"] if unknown else None,
        ),
        TypeSize(Pt(11), Pt(9)),
        color=GREY,
        one_line=True,
        key="legend",
    )
    if more:
        notes = slide.notes_slide.notes_text_frame.text
        shown = len(ws.accounts) - more
        deck._notes(slide, _sentences(notes, t("notes_top", shown=shown, more=more)))


def _whitespace_widths(box: Box, line_width: int, lines: int) -> list[int]:
    """The whitespace table's column widths: ``lines`` product lines of ``line_width``
    and the key account column, widened so that the table ends on a grid column's end
    (the fewest columns of ``box`` that hold the account column and the lines): the lines
    keep their width, the account names get the rest (and wrap less)."""
    needed = _WS_ACCOUNT_WIDTH + line_width * lines
    blocks = (box.first_columns(span) for span in range(1, box.span + 1))
    width = next((block.width for block in blocks if block.width >= needed), box.width)
    return [width - line_width * lines, *([line_width] * lines)]


def _whitespace_grid(
    slide: Slide, box: Box, t: DeckText, lines: list[str], ws: Whitespace
) -> tuple[int, int]:
    """Draw the whitespace table in ``box``: a header (key account, the lines), one row per
    key account while they fit (at most :data:`WHITESPACE_TOP`), then "and N more"; returns
    (N, the table's height): N is 0 when every account is shown."""
    line_width = min(_WS_LINE_WIDTH, (box.width - _WS_ACCOUNT_WIDTH) // max(len(lines), 1))
    widths = _whitespace_widths(box, line_width, len(lines))
    header = [t.label("col_key_account"), *lines]
    header_height = _row_height(header, widths, bold=True)
    rows: list[list[str]] = []
    heights: list[int] = []
    used = header_height
    closing_height = _row_height([t("more_rows", count=len(ws.accounts), amount=None)], widths[:1])
    for i, account in enumerate(ws.accounts):
        name, states = account.name, account.states
        height = _row_height([name, *(" " for _ in lines)], widths)
        last = i == len(ws.accounts) - 1
        room = box.height - used - (0 if last else closing_height)
        if (len(rows) == WHITESPACE_TOP and not last) or height > room:
            break
        rows.append([name, *states[: len(lines)]])
        heights.append(height)
        used += height
    more = len(ws.accounts) - len(rows)
    total = used + (closing_height if more else 0)
    table = _new_table(slide, box, len(rows) + 1 + (1 if more else 0), widths, total).table
    table.rows[0].height = header_height
    white = RGBColor(0xFF, 0xFF, 0xFF)
    for j, text in enumerate(header):
        align = PP_ALIGN.LEFT if j == 0 else PP_ALIGN.CENTER
        _cell(
            table.cell(0, j)._tc, text, widths[j], bold=True, color=white, fill=BRAND, align=align
        )
    look = {
        "bought": (white, style.BOUGHT),
        "proposed": (BRAND, style.PROPOSED),
        "open": (GREY, white),
        "unknown": (GREY, white),
    }
    for i, (row, height) in enumerate(zip(rows, heights, strict=True), start=1):
        table.rows[i].height = height
        _cell(table.cell(i, 0)._tc, row[0], widths[0], color=TEXT, fill=white)
        for j, state in enumerate(row[1:], start=1):
            colour, fill = look[state]
            symbol = style.WHITESPACE_SYMBOL[state]
            cell = table.cell(i, j)._tc
            _cell(cell, symbol, widths[j], color=colour, fill=fill, align=PP_ALIGN.CENTER)
    if more:
        last = len(rows) + 1
        table.rows[last].height = closing_height
        first = table.cell(last, 0)
        first.merge(table.cell(last, len(widths) - 1))
        _cell(
            first._tc, t("more_rows", count=more, amount=None), sum(widths), color=GREY, fill=white
        )
    return more, total


#: The portfolio review's slides, in the order of the decks spec.
PORTFOLIO_SLIDES: tuple[Callable[[_Portfolio], None], ...] = (
    _portfolio_cover,
    _matrix_slide,
    _concentration_slide,
    _tiering_slide,
    _retention_slide,
    _kam_load_slide,
    _freshness_slide,
    _portfolio_bridge_slide,
    _whitespace_slide,
)


def build_portfolio(ctx: PortfolioContext, *, template: Path | str | None = None) -> Deck:
    """The portfolio review of the whole workbook (internal): :data:`PORTFOLIO_SLIDES`."""
    meta = ctx.meta
    text = DeckText(meta.language, meta.currency)
    company = meta.company or text.label("portfolio_review")
    deck = Deck(
        template,
        text,
        _footer_line(text, account=company, period=meta.period, audience="internal", company=None),
        created=datetime(meta.as_of.year, meta.as_of.month, meta.as_of.day),
    )
    deck.deck_id = DeckId("portfolio", None, "internal", meta.language)
    portfolio = _Portfolio(ctx, deck, text)
    for slide in PORTFOLIO_SLIDES:
        deck.section(_section_key(slide))
        slide(portfolio)
    return deck


def _section_key(draw: Callable[..., None]) -> str:
    """The binding key of the slides a slide function draws, from its name
    (``_matrix_slide`` -> ``matrix``): stable whatever slides come before it."""
    return draw.__name__.strip("_").removesuffix("_slide")

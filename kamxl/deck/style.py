"""The look of every deck: the grid, the type scale and the palette (decks.md "Style").

One place for what a designer would put in a style guide, so that the template, the text
fitting, the charts and the slides agree: a 16:9 slide (13.333 x 7.5 in) with 0.5 in
margins, a small kicker above a one-line action title, a content area on a grid of 12
columns (0.25 in gutters; every block spans whole columns), and a footer; one
sans-serif family (Calibri, with its metric-compatible free twin Carlito); one brand colour,
greys, and the RAG colours used for status only (always with a word or symbol beside them).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from pptx.dml.color import RGBColor
from pptx.util import Emu, Inches, Pt

__all__ = [
    "BODY",
    "BOUGHT",
    "BRAND",
    "CONTENT",
    "FONT",
    "FOOTER",
    "FOOTER_BOX",
    "GREY",
    "GRID_COLUMNS",
    "GUTTER",
    "KICKER",
    "KICKER_BOX",
    "LIGHT",
    "LINE",
    "MARGIN",
    "MIN_SIZE",
    "PROPOSED",
    "RAG",
    "RAG_SYMBOL",
    "SLIDE_HEIGHT",
    "SLIDE_WIDTH",
    "STEP_DOWN",
    "STEP_UP",
    "TABLE",
    "TEXT",
    "TITLE",
    "TITLE_BOX",
    "WHITESPACE_SYMBOL",
    "Box",
    "TypeSize",
]

SLIDE_WIDTH: Final = Emu(12192000)  # PowerPoint's Widescreen (13.333 in)
SLIDE_HEIGHT: Final = Inches(7.5)
MARGIN: Final = Inches(0.5)

#: The font family; Carlito has Calibri's metrics, so text measured with it fits in Calibri.
FONT: Final = "Calibri"


@dataclass(frozen=True, slots=True)
class TypeSize:
    """A text role: its size and the smallest size it may shrink to when fitting."""

    size: Pt
    minimum: Pt


#: Titles 24-28 pt, body 12-16 pt, tables 10-12 pt; nothing below 9 pt.
MIN_SIZE: Final = Pt(9)
#: Every action title has the same size, on one line: a title too long is shortened at a
#: word boundary (:func:`kamxl.deck.fit.shorten`), never set smaller than its neighbours.
#: 24 pt (the low end of the spec's 24-28) keeps most findings whole on one line.
TITLE: Final = TypeSize(Pt(24), Pt(24))
KICKER: Final = TypeSize(Pt(12), Pt(10))
BODY: Final = TypeSize(Pt(14), Pt(10))
TABLE: Final = TypeSize(Pt(11), Pt(9))
FOOTER: Final = TypeSize(Pt(9), Pt(9))

BRAND: Final = RGBColor(0x1F, 0x4E, 0x79)  # the one brand colour (dark blue)
TEXT: Final = RGBColor(0x26, 0x26, 0x26)  # body text
GREY: Final = RGBColor(0x76, 0x76, 0x76)  # secondary text, forecasts, components
LINE: Final = RGBColor(0xBF, 0xBF, 0xBF)  # rules, gridlines, quadrant lines
LIGHT: Final = RGBColor(0xF2, 0xF2, 0xF2)  # table banding, panels

#: The steps of a revenue bridge (not a status, so no RAG colour): what grew in a mid blue
#: beside the brand's dark blue totals, what shrank in a mid grey. Apart in lightness, so
#: they read in grey scale and for colour-blind readers; their labels carry + and − too.
STEP_UP: Final = RGBColor(0x5B, 0x9B, 0xD5)
STEP_DOWN: Final = RGBColor(0xA6, 0xA6, 0xA6)
#: The whitespace grid: bought (brand), proposed (a light brand tint), open ground (white);
#: each cell carries its symbol too (● ◐ ○; — where it is not known), so colour is never
#: the only cue.
BOUGHT: Final = BRAND
PROPOSED: Final = RGBColor(0xDD, 0xEB, 0xF7)
WHITESPACE_SYMBOL: Final = {"bought": "●", "proposed": "◐", "open": "○", "unknown": "—"}

#: RAG colours, status only (readable with the word or symbol beside them).
RAG: Final = {
    "Red": RGBColor(0xC0, 0x39, 0x2B),
    "Amber": RGBColor(0xD4, 0x8A, 0x00),
    "Green": RGBColor(0x2E, 0x7D, 0x32),
}
#: A shape beside each RAG word, so status never rests on colour alone.
RAG_SYMBOL: Final = {"Red": "▼", "Amber": "◆", "Green": "▲"}


@dataclass(frozen=True, slots=True)
class Box:
    """A rectangle on the slide, in EMU (python-pptx's unit)."""

    left: int
    top: int
    width: int
    height: int

    @classmethod
    def inches(cls, left: float, top: float, width: float, height: float) -> Box:
        return cls(Inches(left), Inches(top), Inches(width), Inches(height))

    @property
    def right(self) -> int:
        return self.left + self.width

    @property
    def bottom(self) -> int:
        return self.top + self.height

    def split(self, fractions: tuple[float, ...], gap: int = Inches(0.3)) -> tuple[Box, ...]:
        """Columns of this box with the given width fractions and ``gap`` between them."""
        usable = self.width - gap * (len(fractions) - 1)
        boxes, left = [], self.left
        for fraction in fractions:
            width = Emu(int(usable * fraction / sum(fractions)))
            boxes.append(Box(left, self.top, width, self.height))
            left += width + gap
        return tuple(boxes)

    def columns(self, spans: tuple[int, ...]) -> tuple[Box, ...]:
        """Blocks of this box side by side, each ``spans[i]`` whole columns of the slide's
        grid wide, with the grid's gutter between them; the box itself must span whole
        columns (as :data:`CONTENT` and any block it was cut into do) and ``spans`` must fill
        it: ``CONTENT.columns((8, 4))``, ``right.columns((4,))``. So a block starts and ends
        on the same vertical lines on every slide."""
        first, count = _grid_span(self)
        if any(span < 1 for span in spans) or sum(spans) != count:
            raise ValueError(f"spans {spans} do not fill the {count} grid columns of {self}")
        boxes, start = [], first
        for span in spans:
            left, right = _column_start(start), _column_end(start + span - 1)
            boxes.append(Box(left, self.top, right - left, self.height))
            start += span
        return tuple(boxes)

    def first_columns(self, span: int) -> Box:
        """The block of this box's first ``span`` grid columns (a table narrower than the
        box, still ending on the grid)."""
        return self if span == self.span else self.columns((span, self.span - span))[0]

    @property
    def span(self) -> int:
        """How many grid columns this box spans (it must start and end on the grid)."""
        return _grid_span(self)[1]

    def rows(self, fractions: tuple[float, ...], gap: int = Inches(0.2)) -> tuple[Box, ...]:
        """Rows of this box with the given height fractions and ``gap`` between them."""
        usable = self.height - gap * (len(fractions) - 1)
        boxes, top = [], self.top
        for fraction in fractions:
            height = Emu(int(usable * fraction / sum(fractions)))
            boxes.append(Box(self.left, top, self.width, height))
            top += height + gap
        return tuple(boxes)


_INNER_WIDTH = 13.333 - 2 * 0.5
#: The grid of every content slide.
KICKER_BOX: Final = Box.inches(0.5, 0.35, _INNER_WIDTH, 0.35)
TITLE_BOX: Final = Box.inches(0.5, 0.7, _INNER_WIDTH, 0.75)
CONTENT: Final = Box.inches(0.5, 1.65, _INNER_WIDTH, 5.15)
FOOTER_BOX: Final = Box.inches(0.5, 7.0, _INNER_WIDTH, 0.3)

#: The grid of the content area: 12 columns, one gutter between them. 12 columns give
#: halves, thirds, quarters and 8 + 4 (a chart and its side panel).
GRID_COLUMNS: Final = 12
GUTTER: Final = Inches(0.25)


def _column_start(index: int) -> int:
    """The left edge of grid column ``index`` (0-11), in EMU: the columns and gutters
    share :data:`CONTENT`'s width exactly, each edge rounded to the EMU on its own so
    that no rounding adds up along a row."""
    pitch = (CONTENT.width + GUTTER) / GRID_COLUMNS
    return CONTENT.left + round(index * pitch)


def _column_end(index: int) -> int:
    """The right edge of grid column ``index`` (0-11), in EMU; the last one is CONTENT's."""
    pitch = (CONTENT.width + GUTTER) / GRID_COLUMNS
    return CONTENT.left + round((index + 1) * pitch - GUTTER)


def _grid_span(box: Box) -> tuple[int, int]:
    """(first column, column count) of a box that starts on a grid column's start and ends
    on a grid column's end; ValueError for a box off the grid (a layout bug)."""
    starts = [_column_start(i) for i in range(GRID_COLUMNS)]
    ends = [_column_end(i) for i in range(GRID_COLUMNS)]
    if box.left not in starts or box.right not in ends:
        raise ValueError(f"{box} is not on the {GRID_COLUMNS}-column grid")
    first, last = starts.index(box.left), ends.index(box.right)
    if last < first:
        raise ValueError(f"{box} spans no grid column")
    return first, last - first + 1

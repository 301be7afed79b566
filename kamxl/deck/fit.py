"""Measuring and fitting text with real font metrics, so that no text leaves its shape.

Why measure: the deck contract says no text ever leaves its shape or the slide, and a file
must be right *as written*. PowerPoint's "shrink text on overflow" autofit only runs when
PowerPoint itself lays the text out (and python-pptx cannot run it); LibreOffice silently lets
text overflow a box or hides it; a viewer, a converter or a thumbnail shows exactly what the
XML says. So kamxl measures every fitted text with the metrics of the font it will be shown
in, picks the largest size of its role (:class:`kamxl.deck.style.TypeSize`) at which it fits,
and only when even the role's minimum does not fit keeps whole lines and ends the last one with
"…". The lines are written as measured, so every renderer shows the same lines. Before it is
measured, every text is cleaned by :func:`kamxl.characters.clean_text` (control, bidi-override
and invisible characters dropped, line breaks normalised): what is measured is what is
written, and lxml never meets a character XML cannot hold.

Metrics: the deck font is Calibri (:data:`kamxl.deck.style.FONT`); Carlito, shipped in
``kamxl/deck/fonts`` under the SIL Open Font License, has exactly Calibri's advance widths, and
LibreOffice substitutes it for Calibri. Widths come from Pillow's FreeType binding
(``ImageFont.truetype(path, px).getlength(text)``). FreeType hints advances to whole pixels, so
at a small pixel size a width is off by up to half a pixel per glyph (about 1 % at 100 px).
We measure at a pixel size equal to the font's units-per-em (2048 for Carlito), where one pixel
is one font unit: every advance is then exactly the ``hmtx`` value, hinting cannot move it, and
a width in points is ``pixels * size_pt / units_per_em``. Measuring uses Pillow's basic layout
(no kerning): PowerPoint and LibreOffice kern pairs closer, never apart, so the measured width
is an upper bound. Characters the font lacks (the RAG symbols ▲◆▼, for instance, which a
renderer takes from a fallback font) count as one em, wider than nearly any glyph; a no-break
space counts as a space, which is how renderers show it.

Sizes are in points (float), widths and heights of boxes too; :func:`fit_in_shape` works in
EMU like python-pptx and converts. Line height is ``size * line_spacing`` (1.2 by default),
and :func:`fit_in_shape` writes that exact spacing into the paragraph, so what is measured is
what is rendered.
"""

from __future__ import annotations

import copy
import logging
import re
import struct
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Final

from lxml import etree
from PIL import ImageFont
from pptx.dml.color import RGBColor
from pptx.enum.text import PP_ALIGN
from pptx.oxml.ns import qn
from pptx.text.text import TextFrame, _Paragraph
from pptx.util import Emu, Inches, Length

from kamxl.characters import clean_text
from kamxl.deck.style import FONT, MIN_SIZE, TypeSize

__all__ = [
    "ELLIPSIS",
    "FONT_DIR",
    "LINE_SPACING",
    "MARGIN_X",
    "MARGIN_Y",
    "NO_BREAK",
    "WIDTH_SAFETY",
    "Fitted",
    "fit",
    "fit_in_shape",
    "join_units",
    "lines_height",
    "shorten",
    "text_width",
    "wrap",
]

log = logging.getLogger(__name__)

#: The shipped Carlito fonts (Calibri's metric-compatible twin) and their licence.
FONT_DIR: Final = Path(__file__).resolve().parent / "fonts"
_FONT_FILES: Final = {False: "Carlito-Regular.ttf", True: "Carlito-Bold.ttf"}

#: The mark that ends a shortened text.
ELLIPSIS: Final = "…"
#: Line height as a multiple of the font size, used for measuring and written into the deck.
LINE_SPACING: Final = 1.2
#: Text frame insets written by :func:`fit_in_shape` (python-pptx's defaults are 0.1/0.05 in).
MARGIN_X: Final = Inches(0.05)
MARGIN_Y: Final = Inches(0.03)
#: Share of the usable width that :func:`fit_in_shape` fills at most: a renderer that rounds
#: glyph positions differently must not find a measured line too long and wrap it again.
WIDTH_SAFETY: Final = 0.98
#: Sizes are tried from the role's size down to its minimum in steps of this many points.
STEP: Final = 0.5

#: Words a shortened text must not end on: they lead to the word that was cut (en, fr).
_DANGLING: Final = frozenset((
    "a", "an", "and", "as", "at", "by", "for", "from", "in", "into", "of", "on", "or", "the",
    "to", "with", "à", "au", "aux", "avec", "d'", "dans", "de", "des", "du", "en", "et", "l'",
    "la", "le", "les", "ou", "par", "pour", "sur", "un", "une",
))  # fmt: skip
#: The no-break space that ties a number to its unit (Carlito has its glyph).
NO_BREAK: Final = "\u202f"
_UNBREAKABLE_SPACES: Final = str.maketrans({"\u00a0": " "})
_SPACES: Final = re.compile(r"[ \t]+")  # word separators; a no-break space is not one
_HYPHEN_BREAK: Final = re.compile(r"(?<=\w-)(?=\w)")
#: A number, the spaces after it and the unit they lead to ("30 %", "16,9 M €", "120 j").
_NUMBER_UNIT: Final = re.compile(
    r"(?<=\d)[ \u202f]+(?P<unit>(?:(?:Mds|Md|bn|[kKM])[ \u202f]?)?(?:€|\$|£|%|‰)"
    r"|(?:pts?|CHF|EUR|USD|Mds|Md|bn|[kKM]|jours?|days?|j|d)(?!\w))"
)
_TRAILING_PUNCTUATION: Final = " \t,;:-–—"


# --- the fonts --------------------------------------------------------------------------------


@lru_cache(maxsize=2)
def _font_tables(bold: bool) -> tuple[int, frozenset[int]]:
    """The font's units per em and the code points its ``cmap`` maps to a glyph.

    Pillow does not say whether a font has a glyph (it measures the empty ``.notdef`` box
    instead), so the ``head`` and ``cmap`` tables are read here: a few lines of ``struct``
    rather than a runtime dependency on fontTools.
    """
    data = (FONT_DIR / _FONT_FILES[bold]).read_bytes()
    (num_tables,) = struct.unpack_from(">H", data, 4)
    tables: dict[bytes, int] = {}
    for i in range(num_tables):
        tag, _checksum, offset, _length = struct.unpack_from(">4sIII", data, 12 + 16 * i)
        tables[tag] = offset
    (units_per_em,) = struct.unpack_from(">H", data, tables[b"head"] + 18)
    cmap = tables[b"cmap"]
    (num_subtables,) = struct.unpack_from(">H", data, cmap + 2)
    covered: set[int] = set()
    for i in range(num_subtables):
        platform, encoding, offset = struct.unpack_from(">HHI", data, cmap + 4 + 8 * i)
        if platform == 0 or (platform == 3 and encoding in (1, 10)):
            covered |= _cmap_subtable(data, cmap + offset)
    return units_per_em, frozenset(covered)


def _cmap_subtable(data: bytes, at: int) -> set[int]:
    """Code points with a glyph in a format 4 or 12 ``cmap`` subtable (others are skipped)."""
    (fmt,) = struct.unpack_from(">H", data, at)
    covered: set[int] = set()
    if fmt == 4:
        (seg_count_x2,) = struct.unpack_from(">H", data, at + 6)
        n = seg_count_x2 // 2
        ends = struct.unpack_from(f">{n}H", data, at + 14)
        starts = struct.unpack_from(f">{n}H", data, at + 16 + seg_count_x2)
        deltas = struct.unpack_from(f">{n}h", data, at + 16 + 2 * seg_count_x2)
        range_at = at + 16 + 3 * seg_count_x2
        range_offsets = struct.unpack_from(f">{n}H", data, range_at)
        for seg, (start, end, delta, range_offset) in enumerate(
            zip(starts, ends, deltas, range_offsets, strict=True)
        ):
            for code in range(start, end + 1):
                if code == 0xFFFF:
                    continue
                if range_offset == 0:
                    glyph = (code + delta) & 0xFFFF
                else:
                    where = range_at + 2 * seg + range_offset + 2 * (code - start)
                    (glyph,) = struct.unpack_from(">H", data, where)
                    glyph = (glyph + delta) & 0xFFFF if glyph else 0
                if glyph:
                    covered.add(code)
    elif fmt == 12:
        (num_groups,) = struct.unpack_from(">I", data, at + 12)
        for g in range(num_groups):
            start, end, _glyph = struct.unpack_from(">III", data, at + 16 + 12 * g)
            covered.update(range(start, end + 1))
    return covered


@lru_cache(maxsize=8)
def _font(bold: bool, size_px: int) -> ImageFont.FreeTypeFont:
    """The Carlito face at ``size_px`` pixels, loaded once per (bold, size)."""
    return ImageFont.truetype(
        str(FONT_DIR / _FONT_FILES[bold]), size_px, layout_engine=ImageFont.Layout.BASIC
    )


@lru_cache(maxsize=65536)
def _width_em(text: str, bold: bool) -> float:
    """Width of one line of ``text`` in ems (multiply by the size in points to get points)."""
    units_per_em, covered = _font_tables(bold)
    font = _font(bold, units_per_em)
    text = text.translate(_UNBREAKABLE_SPACES)
    missing = sum(1 for ch in text if ord(ch) not in covered)
    if missing:
        text = "".join(ch for ch in text if ord(ch) in covered)
    return font.getlength(text) / units_per_em + missing


# --- measuring --------------------------------------------------------------------------------


def text_width(text: str, size_pt: float, bold: bool = False) -> float:
    """Width in points of ``text`` set in Calibri/Carlito at ``size_pt`` (no wrapping).

    A text with line breaks is as wide as its widest line. The text is measured as it is
    written: :func:`kamxl.characters.clean_text` first.
    """
    lines = clean_text(text).split("\n")
    return max(_width_em(line, bold) for line in lines) * size_pt


def lines_height(n_lines: int, size_pt: float, line_spacing: float = LINE_SPACING) -> float:
    """Height in points of ``n_lines`` lines at ``size_pt`` with ``line_spacing`` (× size)."""
    return n_lines * size_pt * line_spacing


def _hyphen_parts(word: str) -> list[str]:
    """A word cut after each of its own hyphens ("Dumont-Vasseur" -> "Dumont-", "Vasseur"):
    the only places a word may end a line inside, since the hyphen is already written."""
    return [part for part in _HYPHEN_BREAK.split(word) if part]


def join_units(text: str) -> str:
    """``text`` with every number tied to the unit that follows it by a no-break space.

    "30 %" typed with an ordinary space in a workbook, "16,9 M €" or "120 j" must never wrap
    apart: the space between a number and a unit (%, ‰, points, a currency, k/M/Md/bn, days)
    becomes U+202F NARROW NO-BREAK SPACE, which :func:`wrap` never breaks at. No-break spaces
    U+00A0 (Babel's French money) become U+202F too: Carlito has a glyph for U+202F (as wide
    as its space) and none for U+00A0, so what is measured is the glyph that is shown.
    Idempotent: a joined text is left as it is.
    """
    text = text.replace("\u00a0", NO_BREAK)
    return _NUMBER_UNIT.sub(lambda m: NO_BREAK + m.group("unit").replace(" ", NO_BREAK), text)


def _fits(text: str, width_pt: float, size_pt: float, bold: bool) -> bool:
    return text_width(text, size_pt, bold) <= width_pt


def wrap(text: str, width_pt: float, size_pt: float, bold: bool = False) -> list[str]:
    """Greedy word wrap of ``text`` into lines no wider than ``width_pt`` at ``size_pt``.

    The text is first cleaned as every deck text is (:func:`kamxl.characters.clean_text`:
    control and invisible characters dropped) and its numbers joined to their units
    (:func:`join_units`). Explicit line breaks ("\\n", also "\\r\\n", "\\v" and the others
    of :data:`kamxl.characters.LINE_BREAKS`) are kept, so "a\\n\\nb" gives an empty line
    between. Words are separated by spaces and tabs (runs of them become one space; a
    no-break space joins). A word is never broken inside: one alone wider than the line is
    cut only after its own hyphens ("Rochefoucauld-" / "Montmorency"), and a piece still too
    wide stays whole on its own line, wider than ``width_pt`` -- :func:`fit` then takes a
    smaller size or shortens the text with "…". Lines carry no trailing spaces. An empty
    text has no lines.
    """
    if not text:
        return []
    lines: list[str] = []
    for paragraph in join_units(clean_text(text)).split("\n"):
        line = ""
        for word in (w for w in _SPACES.split(paragraph) if w):
            candidate = f"{line} {word}" if line else word
            if _fits(candidate, width_pt, size_pt, bold):
                line = candidate
                continue
            parts = _hyphen_parts(word)
            if len(parts) == 1 or _fits(word, width_pt, size_pt, bold):
                if line:
                    lines.append(line)
                line = word  # whole, on its own line (maybe too wide: fit() decides)
                continue
            for k, part in enumerate(parts):  # too wide for any line: cut at its hyphens
                glue = " " if k == 0 and line else ""
                if line and not _fits(line + glue + part, width_pt, size_pt, bold):
                    lines.append(line)
                    line = part
                else:
                    line += glue + part
        lines.append(line)
    return lines


# --- fitting ----------------------------------------------------------------------------------


@dataclass(slots=True)
class Fitted:
    """Text fitted to a box: its lines, the size they are set in, whether text was cut.

    ``height`` is the height of the lines in points (``lines * size * line_spacing``).
    """

    lines: list[str]
    size: float
    truncated: bool
    height: float

    @property
    def text(self) -> str:
        """The fitted lines joined by line breaks."""
        return "\n".join(self.lines)


def _sizes(size: TypeSize) -> list[float]:
    """Sizes to try, largest first: the role's size down to its minimum, never below 9 pt."""
    floor = max(Length(size.minimum).pt, MIN_SIZE.pt)
    top = max(Length(size.size).pt, floor)
    sizes = []
    current = top
    while current > floor + 1e-9:
        sizes.append(current)
        current = round(current - STEP, 2)
    sizes.append(floor)
    return sizes


def _with_ellipsis(line: str, width_pt: float, size_pt: float, bold: bool) -> str:
    """``line`` cut at a word boundary so that it and "…" fit in ``width_pt``.

    Trailing punctuation before the cut goes ("cost, …" reads badly), and so does a short
    word that only leads to the next one ("Logistiques de…": :data:`_DANGLING`); a line with
    one word that cannot keep a whole word is cut by characters.
    """
    words = line.split(" ")
    while words:
        head = " ".join(words).rstrip(_TRAILING_PUNCTUATION)
        dangling = len(words) > 1 and head.rsplit(" ", 1)[-1].lower() in _DANGLING
        if head and not dangling and text_width(head + ELLIPSIS, size_pt, bold) <= width_pt:
            return head + ELLIPSIS
        if len(words) == 1:
            break
        words.pop()
    word = words[0] if words else ""
    while word and text_width(word + ELLIPSIS, size_pt, bold) > width_pt:
        word = word[:-1]
    return word + ELLIPSIS


def fit(
    text: str,
    width_pt: float,
    height_pt: float,
    size: TypeSize,
    *,
    bold: bool = False,
    line_spacing: float = LINE_SPACING,
    max_lines: int | None = None,
    one_line: bool = False,
) -> Fitted:
    """Fit ``text`` in a box of ``width_pt`` × ``height_pt`` points at the largest size possible.

    Every text a deck shows passes here first, and is cleaned as
    :func:`kamxl.characters.clean_text` says (control and invisible characters dropped, line
    breaks normalised); ``one_line`` is for a field the workbook's line breaks must not
    split (a title, a label): they become spaces there, and the text still wraps to fit.

    The width and height are the *usable* ones, inside the text frame's insets (margins):
    :func:`fit_in_shape` subtracts them. Sizes are tried from ``size.size`` down to
    ``size.minimum`` in 0.5 pt steps (never below :data:`kamxl.deck.style.MIN_SIZE`,
    whatever the role says); the first at which the wrapped lines fit the height (and
    ``max_lines``) wins. If even the minimum does not fit, the text keeps the minimum size and
    is shortened: as many whole lines as fit, the last cut at a word boundary and ended with
    "…", and ``truncated`` is set. A box too low for one line gets no lines (and a warning):
    that is a layout error, and overflowing would be worse.
    """
    text = clean_text(text, one_line=one_line)
    sizes = _sizes(size)
    if not text.strip():
        return Fitted([], sizes[0], False, 0.0)
    limit = max_lines if max_lines is not None else 10**9
    for size_pt in sizes:
        lines = wrap(text, width_pt, size_pt, bold)
        height = lines_height(len(lines), size_pt, line_spacing)
        if (
            len(lines) <= limit
            and height <= height_pt + 1e-9
            and all(_fits(line, width_pt, size_pt, bold) for line in lines)
        ):
            return Fitted(lines, size_pt, False, height)

    size_pt = sizes[-1]
    lines = wrap(text, width_pt, size_pt, bold)
    line_height = lines_height(1, size_pt, line_spacing)
    keep = min(limit, int((height_pt + 1e-9) // line_height), len(lines))
    if keep <= 0:
        log.warning("no room for one line of %.1f pt in %.1f pt: %.40r", size_pt, height_pt, text)
        return Fitted([], size_pt, True, 0.0)
    too_wide = next(
        (i for i, line in enumerate(lines[:keep]) if not _fits(line, width_pt, size_pt, bold)),
        None,
    )
    if too_wide is not None:  # a word wider than the box: the text ends there, with "…"
        keep = too_wide + 1
    kept = lines[:keep]
    kept[-1] = _with_ellipsis(kept[-1], width_pt, size_pt, bold)
    return Fitted(kept, size_pt, True, lines_height(keep, size_pt, line_spacing))


def shorten(text: str, width_pt: float, size_pt: float, bold: bool = False, tail: str = "") -> str:
    """``text`` on one line of ``width_pt`` at ``size_pt``, shortened if it must be, + ``tail``.

    The font size never changes (a title keeps the size of every title): a text too long is
    cut at a word boundary and ends with "…" (:data:`ELLIPSIS`), and a cut that would leave a
    parenthesis open ends before it ("… (12,6 M€ en…" reads badly). ``tail`` (a page
    counter "(2/3)") is kept whole after the text. The text is cleaned and its numbers tied
    to their units first, as :func:`wrap` does; line breaks become spaces.
    """
    text = join_units(clean_text(text, one_line=True)).strip()
    tail = join_units(clean_text(tail, one_line=True)).strip()
    joiner = " " if tail and text else ""
    if _fits(f"{text}{joiner}{tail}", width_pt, size_pt, bold):
        return f"{text}{joiner}{tail}"
    room = max(width_pt - text_width(f"{joiner}{tail}", size_pt, bold), 0.0)
    first = wrap(text, room, size_pt, bold)[0] if text else ""
    short = _with_ellipsis(first, room, size_pt, bold)
    words = short.removesuffix(ELLIPSIS).split(" ")
    while len(words) > 1 and " ".join(words).count("(") > " ".join(words).count(")"):
        words = words[: max(i for i, w in enumerate(words) if "(" in w)] or words[:1]
        short = " ".join(words).rstrip(_TRAILING_PUNCTUATION) + ELLIPSIS
    return f"{short}{joiner}{tail}"


# --- writing into a python-pptx text frame ----------------------------------------------------


_BULLET_TAGS: Final = tuple(
    qn(f"a:{tag}")
    for tag in (
        "buClrTx", "buClr", "buSzTx", "buSzPct", "buSzPts", "buFontTx", "buFont",
        "buNone", "buAutoNum", "buChar", "buBlip",
    )
)  # fmt: skip
_SPACING_AND_BULLET_TAGS: Final = (qn("a:lnSpc"), qn("a:spcBef"), qn("a:spcAft"), *_BULLET_TAGS)


def _set_run_properties(
    props: etree._Element, size_pt: float, bold: bool, color: RGBColor | None
) -> None:
    """Make ``props`` (an ``a:rPr`` or ``a:endParaRPr``) say: Calibri, this size, bold, colour.

    Earlier content is dropped; the font is set for Latin, East Asian and complex scripts so
    that no theme font can stand in for any character.
    """
    lang = props.get("lang")  # the language (for spelling) is kept, everything else goes
    for name in list(props.attrib):
        del props.attrib[name]
    for child in list(props):
        props.remove(child)
    if lang:
        props.set("lang", lang)
    props.set("sz", str(round(size_pt * 100)))
    props.set("b", "1" if bold else "0")
    if color is not None:
        fill = etree.SubElement(props, qn("a:solidFill"))
        etree.SubElement(fill, qn("a:srgbClr"), val=str(color))
    for script in ("a:latin", "a:ea", "a:cs"):
        etree.SubElement(props, qn(script), typeface=FONT)


_BODY_PR: Final = qn("a:bodyPr")
_P: Final = qn("a:p")
_PPR: Final = qn("a:pPr")
_AUTOFIT_TAGS: Final = frozenset(qn(t) for t in ("a:noAutofit", "a:normAutofit", "a:spAutoFit"))
#: what follows the autofit choice in a:bodyPr (schema order)
_AFTER_AUTOFIT: Final = frozenset(qn(t) for t in ("a:scene3d", "a:sp3d", "a:flatTx", "a:extLst"))
#: python-pptx's insets when none is written: one equal to it is not written either
_DEFAULT_INSETS: Final = {"lIns": Emu(91440), "tIns": Emu(45720), "rIns": Emu(91440),
                          "bIns": Emu(45720)}  # fmt: skip


def _set_frame(body_pr: etree._Element) -> None:
    """Make a text frame's ``a:bodyPr`` say: word wrap, no autofit, kamxl's insets -- what
    python-pptx's ``word_wrap``, ``auto_size`` and ``margin_*`` setters write, in their
    order, written directly (each setter searched the children)."""
    body_pr.set("wrap", "square")
    for child in list(body_pr):
        if child.tag in _AUTOFIT_TAGS:
            body_pr.remove(child)
    no_autofit = etree.Element(qn("a:noAutofit"))
    after = next((child for child in body_pr if child.tag in _AFTER_AUTOFIT), None)
    if after is None:
        body_pr.append(no_autofit)
    else:
        after.addprevious(no_autofit)
    for name, value in (("lIns", MARGIN_X), ("rIns", MARGIN_X), ("tIns", MARGIN_Y),
                        ("bIns", MARGIN_Y)):  # fmt: skip
        if value == _DEFAULT_INSETS[name]:
            body_pr.attrib.pop(name, None)
        else:
            body_pr.set(name, str(int(value)))


def _write_lines(
    paragraph: _Paragraph,
    lines: list[str],
    size_pt: float,
    bold: bool,
    color: RGBColor | None,
    line_spacing: float,
    align: PP_ALIGN | None,
) -> None:
    """Write ``lines`` into an empty ``paragraph`` as runs separated by ``<a:br/>``.

    The elements are those python-pptx's paragraph properties write, written directly (its
    setters search the children for their place each time)."""
    p = paragraph._p
    p_pr = p.find(_PPR)
    if p_pr is None:  # the first child of a:p
        p_pr = etree.Element(_PPR)
        p.insert(0, p_pr)
    if align is None:  # as python-pptx's alignment setter: None removes it
        p_pr.attrib.pop("algn", None)
    else:
        p_pr.set("algn", align.xml_value)
    p_pr.set("marL", "0")  # no inherited indent may narrow the measured width
    p_pr.set("indent", "0")
    for child in list(p_pr):
        if child.tag in _SPACING_AND_BULLET_TAGS:
            p_pr.remove(child)
    # first in a:pPr, in schema order: exact line spacing (as measured), no space before or
    # after, no bullet
    spacing = (("a:lnSpc", round(size_pt * line_spacing * 100)), ("a:spcBef", 0), ("a:spcAft", 0))
    for index, (tag, hundredths) in enumerate(spacing):
        element = etree.Element(qn(tag))
        etree.SubElement(element, qn("a:spcPts"), val=str(hundredths))
        p_pr.insert(index, element)
    p_pr.insert(len(spacing), etree.Element(qn("a:buNone")))
    # the runs and breaks are written as XML, each with a copy of one run-properties element:
    # python-pptx's add_run/add_br look their place up child by child (a third of a deck's time)
    props = etree.Element(qn("a:rPr"))
    _set_run_properties(props, size_pt, bold, color)
    for i, line in enumerate(lines):
        if i:
            etree.SubElement(p, qn("a:br")).append(copy.deepcopy(props))
        run = etree.SubElement(p, qn("a:r"))
        run.append(copy.deepcopy(props))
        etree.SubElement(run, qn("a:t")).text = line
    end = etree.SubElement(p, qn("a:endParaRPr"))  # the paragraph held only a:pPr
    _set_run_properties(end, size_pt, bold, color)


def fit_in_shape(
    text_frame: TextFrame,
    text: str,
    box_width_emu: int,
    box_height_emu: int,
    size: TypeSize,
    *,
    bold: bool = False,
    color: RGBColor | None = None,
    align: PP_ALIGN | None = None,
    line_spacing: float = LINE_SPACING,
    max_lines: int | None = None,
    one_line: bool = False,
) -> Fitted:
    """Fit ``text`` to a shape of ``box_width_emu`` × ``box_height_emu`` and write it there.

    The frame gets word wrap on, autofit off (nothing is left for a renderer to decide) and
    known insets (:data:`MARGIN_X` left/right, :data:`MARGIN_Y` top/bottom), which are taken
    off the box before fitting; the width is further kept to :data:`WIDTH_SAFETY` of the rest.
    The fitted lines go into ONE paragraph, separated by line breaks (``<a:br/>``): the
    renderer then shows exactly the measured lines, whatever its own wrapping would do; one
    paragraph has one set of properties, so no paragraph spacing from a template can slip in
    between lines, and the whole text stays one paragraph for whoever edits the slide. Every
    run, break and the paragraph end carry the font (:data:`kamxl.deck.style.FONT`), the
    fitted size, bold and colour; the line spacing is written as exact points
    (``size * line_spacing``), the value used for measuring; indents and bullets are cleared.
    ``align=None`` keeps the alignment the shape inherits (a layout's centred title, say).
    Whatever the frame held before is replaced. The text is cleaned by :func:`fit` (and
    ``one_line`` passed on to it).
    """
    _set_frame(text_frame._txBody.find(_BODY_PR))
    width_pt = Emu(max(box_width_emu - 2 * MARGIN_X, 0)).pt * WIDTH_SAFETY
    height_pt = Emu(max(box_height_emu - 2 * MARGIN_Y, 0)).pt
    fitted = fit(
        text,
        width_pt,
        height_pt,
        size,
        bold=bold,
        line_spacing=line_spacing,
        max_lines=max_lines,
        one_line=one_line,
    )
    body = text_frame._txBody
    paragraphs = body.findall(_P)
    for extra in paragraphs[1:]:
        body.remove(extra)
    p = paragraphs[0] if paragraphs else etree.SubElement(body, _P)
    for child in list(p):
        if child.tag != _PPR:
            p.remove(child)
    paragraph = _Paragraph(p, text_frame)
    _write_lines(paragraph, fitted.lines, fitted.size, bold, color, line_spacing, align)
    return fitted

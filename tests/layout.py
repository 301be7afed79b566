"""Layout checks of decks as LibreOffice renders them: what a person sees on the page.

A deck is converted to PDF (all decks of a run in one ``soffice`` call), every word's box is
read with ``pdftotext -bbox-layout`` (poppler) and every page is rendered to PNG with
``pdftoppm``. The checks then look for what an executive would object to:

- :func:`overlaps`: two text lines of different shapes drawn over each other;
- :func:`off_page`: a word outside its page or inside the 0.2 in border;
- :func:`empty_charts`: a chart whose data has points but whose frame shows no colour;
- :func:`broken_words`: a word of the source text split across two lines;
- :func:`split_units`: a number at the end of a line and its unit ("€", "M€", "%") on the next.

Lines are told apart from shapes with python-pptx: each PDF line is given to the smallest
shape whose frame holds its centre. Lines of one text frame may touch (a tight line spacing
makes their boxes overlap by a few percent); lines of two shapes, of two cells of a table or
of two labels of a chart must not overlap by more than :data:`OVERLAP_TOLERANCE` of a line.
"""

from __future__ import annotations

import re
import subprocess
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from lxml import etree
from PIL import Image
from pptx import Presentation

from tests.deckcheck import chart_texts, notes, shape_texts, shapes

#: Points per inch (PDF) and EMU per point (python-pptx).
POINT = 72.0
EMU_PER_POINT = 12_700
#: No word may come nearer the edge of the page than this (0.2 in).
BORDER = 0.2 * POINT
#: Two lines of different shapes overlap when they share more than this part of the area of
#: the smaller one (and more than 1 pt of width): consecutive lines of one paragraph share
#: about 8 % (LibreOffice's line boxes hold the font's whole ascent and descent, more than
#: its ink), and two axis labels meeting at a chart's corner about 10 %.
OVERLAP_TOLERANCE = 0.2
#: The resolution of the PNGs kept for people and read by :func:`empty_charts`.
DPI = 60
#: A pixel is drawn chart content when its colour is this far from grey (max - min of R, G,
#: B): kamxl draws data in colour (brand blue, RAG) and axes, grid and text in greys.
INK_SATURATION = 40
#: A chart with points must colour at least this many pixels of its frame at :data:`DPI`.
INK_PIXELS = 12

_XHTML = "{http://www.w3.org/1999/xhtml}"
_PUNCTUATION = "\"'()[]{}«»“”‘’.,;:!?…•·–—"
_NUMBER = re.compile(r"[-+−]?\d[\d.,\u00a0\u202f]*")
_SCALES = ("k", "K", "M", "Md", "Mds", "bn")
_UNIT = re.compile(r"(?:[kKM]|Md|bn|Mds)?€|%|pts?|EUR|[kKM]|Md|Mds|bn")


@dataclass(frozen=True, slots=True)
class Box:
    """A rectangle in PDF points, origin top left."""

    x0: float
    y0: float
    x1: float
    y1: float

    @property
    def height(self) -> float:
        return self.y1 - self.y0

    @property
    def centre(self) -> tuple[float, float]:
        return (self.x0 + self.x1) / 2, (self.y0 + self.y1) / 2

    def intersection(self, other: Box) -> tuple[float, float]:
        """Width and height shared with ``other`` (0 where they do not meet)."""
        width = min(self.x1, other.x1) - max(self.x0, other.x0)
        height = min(self.y1, other.y1) - max(self.y0, other.y0)
        return max(width, 0.0), max(height, 0.0)

    def holds(self, x: float, y: float, slack: float = 0.0) -> bool:
        return self.x0 - slack <= x <= self.x1 + slack and self.y0 - slack <= y <= self.y1 + slack

    @property
    def area(self) -> float:
        return (self.x1 - self.x0) * (self.y1 - self.y0)


@dataclass(frozen=True, slots=True)
class Word:
    text: str
    box: Box


@dataclass(slots=True)
class Line:
    """A line of text as pdftotext groups it, with the flow it belongs to (a flow is a run
    of text that reads on, line after line) and the shape it was drawn in."""

    words: list[Word]
    box: Box
    flow: int
    shape: int | None = None

    @property
    def text(self) -> str:
        return " ".join(w.text for w in self.words)


@dataclass(frozen=True, slots=True)
class Frame:
    """A shape of a slide: its frame in points, what it is and how many chart points it has."""

    name: str
    box: Box
    kind: str  # "text", "table", "chart" or "other"
    points: int = 0
    words: frozenset[str] = frozenset()
    texts: tuple[str, ...] = ()  # a chart's labels or a table's cells, each whole


@dataclass(slots=True)
class Page:
    number: int
    width: float
    height: float
    lines: list[Line] = field(default_factory=list)
    frames: list[Frame] = field(default_factory=list)
    png: Path | None = None


def read_pdf_words(pdf: Path) -> list[Page]:
    """Every page of ``pdf`` with its lines and words, from ``pdftotext -bbox-layout``."""
    xhtml = subprocess.run(
        ["pdftotext", "-bbox-layout", str(pdf), "-"], capture_output=True, check=True
    ).stdout
    root = etree.fromstring(xhtml, etree.XMLParser(recover=True, huge_tree=True))
    pages = []
    for number, page in enumerate(root.iter(f"{_XHTML}page"), start=1):
        found = Page(number, float(page.get("width")), float(page.get("height")))
        for flow_number, flow in enumerate(page.iter(f"{_XHTML}flow")):
            for line in flow.iter(f"{_XHTML}line"):
                words = [Word(w.text or "", _box(w)) for w in line.iter(f"{_XHTML}word")]
                found.lines.append(Line(words, _box(line), flow_number))
        pages.append(found)
    return pages


def _box(element: Any) -> Box:
    return Box(*(float(element.get(k)) for k in ("xMin", "yMin", "xMax", "yMax")))


def slide_frames(pptx: Path) -> list[list[Frame]]:
    """The frame of every shape of every slide, in points (python-pptx geometry)."""
    prs = Presentation(str(pptx))
    return [[_frame(s) for s in shapes(slide) if s.width is not None] for slide in prs.slides]


def _frame(shape: Any) -> Frame:
    box = Box(
        shape.left / EMU_PER_POINT,
        shape.top / EMU_PER_POINT,
        (shape.left + shape.width) / EMU_PER_POINT,
        (shape.top + shape.height) / EMU_PER_POINT,
    )
    if getattr(shape, "has_chart", False) and shape.has_chart:
        chart = shape.chart
        texts = tuple(" ".join(t.split()) for t in chart_texts(chart))
        return Frame(shape.name, box, "chart", chart_points(chart), frozenset(words(texts)), texts)
    if getattr(shape, "has_table", False) and shape.has_table:
        cells = tuple(" ".join(c.text.split()) for row in shape.table.rows for c in row.cells)
        return Frame(shape.name, box, "table", words=frozenset(words(cells)), texts=cells)
    if shape.has_text_frame and shape.text_frame.text.strip():
        return Frame(shape.name, box, "text", words=frozenset(words([shape.text_frame.text])))
    return Frame(shape.name, box, "other")


def chart_points(chart: Any) -> int:
    """How many points of the chart's series have a value that draws something (not blank,
    not zero)."""
    count = 0
    for plot in chart.plots:
        for series in plot.series:
            count += sum(1 for v in series.values if v is not None and v == v and v != 0)
    return count


def slide_vocabulary(pptx: Path) -> list[set[str]]:
    """The words of each slide's text (shapes, tables, charts, notes) as python-pptx reads it."""
    prs = Presentation(str(pptx))
    return [words([*shape_texts(slide), notes(slide)]) for slide in prs.slides]


def words(texts: Iterable[str]) -> set[str]:
    """The words of ``texts``, split at white space, stripped of surrounding punctuation."""
    found = set()
    for text in texts:
        for token in str(text).split():
            word = token.strip(_PUNCTUATION)
            if word:
                found.add(word)
    return found


def _frame_of(page: Page, box: Box, text: str) -> int | None:
    """The frame (text, table or chart) ``text`` drawn in ``box`` belongs to: of the frames
    holding its centre, one whose text has its words (two frames drawn over each other both
    hold it), the smallest if several."""
    x, y = box.centre
    holding = [
        (frame.box.area, index)
        for index, frame in enumerate(page.frames)
        if frame.kind in ("text", "table", "chart") and frame.box.holds(x, y, slack=1.0)
    ]
    own_words = words([text])
    own = [(a, i) for a, i in holding if own_words <= page.frames[i].words]
    return min(own or holding)[1] if holding else None


def place_lines(page: Page) -> None:
    """Give each line of ``page`` the frame it was drawn in (:func:`_frame_of`)."""
    for line in page.lines:
        line.shape = _frame_of(page, line.box, line.text)


def overlaps(page: Page) -> list[str]:
    """Pairs of lines of different shapes (or of a table's cells, or of a chart's labels)
    drawn over each other: sharing more than :data:`OVERLAP_TOLERANCE` of the smaller box."""
    found = []
    lines = sorted(page.lines, key=lambda line: line.box.y0)
    for i, first in enumerate(lines):
        for second in lines[i + 1 :]:
            if second.box.y0 >= first.box.y1:
                break  # this line and every later one start below ``first``
            width, height = first.box.intersection(second.box)
            smaller = min(first.box.area, second.box.area)
            if width <= 1.0 or width * height <= OVERLAP_TOLERANCE * smaller:
                continue
            same_frame = first.shape is not None and first.shape == second.shape
            if same_frame and page.frames[first.shape].kind == "text":
                continue  # lines of one text frame
            if same_frame and _one_label(page.frames[first.shape], first, second):
                continue  # a chart label wrapped over two lines
            found.append(f"slide {page.number}: {first.text!r} overlaps {second.text!r}")
    return found


def _one_label(frame: Frame, first: Line | Run, second: Line | Run) -> bool:
    """Whether two lines are one label of a chart or one cell of a table, wrapped (the
    renderer wraps chart labels with a tight line spacing)."""
    upper, lower = sorted((first, second), key=lambda line: line.box.y0)
    up, low = _text(upper), _text(lower)
    joined = (f"{up} {low}", up + low)
    return any(j in text for text in frame.texts for j in joined)


def _text(line: Line | Run) -> str:
    return " ".join(" ".join(w.text for w in line.words).split())


def off_page(page: Page) -> list[str]:
    """Words outside the page or inside its 0.2 in border; and the words of a text frame
    reaching past the page's edge that the page does not show (the PDF clips them)."""
    found = []
    shown: set[str] = set()
    for line in page.lines:
        shown |= words([line.text])
        for word in line.words:
            b = word.box
            if (
                b.x0 < BORDER
                or b.y0 < BORDER
                or b.x1 > page.width - BORDER
                or b.y1 > page.height - BORDER
            ):
                where = f"({b.x0:.0f}, {b.y0:.0f})-({b.x1:.0f}, {b.y1:.0f}) pt"
                found.append(f"slide {page.number}: {word.text!r} at {where}")
    for frame in page.frames:
        b = frame.box
        past_edge = b.x0 < 0 or b.y0 < 0 or b.x1 > page.width or b.y1 > page.height
        if frame.kind in ("text", "table") and past_edge and frame.words - shown:
            clipped = ", ".join(sorted(frame.words - shown))
            found.append(f"slide {page.number}: {clipped!r} of {frame.name!r} off the page")
    return found


def empty_charts(page: Page) -> list[str]:
    """Charts whose data has points but whose frame, on the page's PNG, has almost no
    coloured pixel outside its texts (labels, legend entries and their keys): nothing of
    the data was drawn."""
    if not any(frame.kind == "chart" and frame.points for frame in page.frames):
        return []
    if page.png is None:
        raise ValueError(f"page {page.number} has no PNG to look at")
    image = np.asarray(Image.open(page.png).convert("RGB")).astype(np.int16)
    scale = image.shape[1] / page.width
    found = []
    for frame in page.frames:
        if frame.kind != "chart" or frame.points == 0:
            continue
        inside = image[
            max(int(frame.box.y0 * scale), 0) : int(frame.box.y1 * scale) + 1,
            max(int(frame.box.x0 * scale), 0) : int(frame.box.x1 * scale) + 1,
        ]
        coloured = (inside.max(axis=2) - inside.min(axis=2)) > INK_SATURATION
        top, left = max(int(frame.box.y0 * scale), 0), max(int(frame.box.x0 * scale), 0)
        for line in page.lines:  # labels and legend entries (their key left of them)
            b = line.box
            coloured[
                max(int(b.y0 * scale) - top, 0) : max(int(b.y1 * scale) + 1 - top, 0),
                max(int((b.x0 - b.height) * scale) - left, 0) : max(
                    int(b.x1 * scale) + 1 - left, 0
                ),
            ] = False
        ink = int(coloured.sum())
        if ink < INK_PIXELS:
            found.append(
                f"slide {page.number}: chart {frame.name!r} has {frame.points} points "
                f"but draws {ink} coloured pixels"
            )
    return found


@dataclass(frozen=True, slots=True)
class Run:
    """The words of one line that belong to one frame: pdftotext joins the texts of frames
    side by side (three tiles, two columns) into one line; a run is one frame's part."""

    words: tuple[Word, ...]
    box: Box
    key: tuple[str, int]  # the frame, or the pdftotext flow of words in no frame


def _runs(page: Page) -> list[Run]:
    """The runs of every line; a word outside every frame (text overflowing its box) goes
    with the frame its flow was last in."""
    runs = []
    last_frame: dict[int, int] = {}
    for line in page.lines:
        groups: dict[tuple[str, int], list[Word]] = {}
        for word in line.words:
            frame = _frame_of(page, word.box, word.text)
            frame = last_frame.get(line.flow) if frame is None else frame
            if frame is not None:
                last_frame[line.flow] = frame
            key = ("frame", frame) if frame is not None else ("flow", line.flow)
            groups.setdefault(key, []).append(word)
        for key, grouped in groups.items():
            box = Box(
                min(w.box.x0 for w in grouped),
                min(w.box.y0 for w in grouped),
                max(w.box.x1 for w in grouped),
                max(w.box.y1 for w in grouped),
            )
            runs.append(Run(tuple(grouped), box, key))
    return runs


def _consecutive(page: Page) -> Iterable[tuple[Run, Run]]:
    """Each run of words and the run that continues it: in the same frame, on the next line
    down, overlapping it horizontally (the same column of text read on)."""
    runs = sorted(_runs(page), key=lambda run: (run.box.y0, run.box.x0))
    for i, first in enumerate(runs):
        height = first.box.height
        for second in runs[i + 1 :]:
            if second.box.y0 > first.box.y1 + height:
                break
            below = second.box.y0 >= first.box.y0 + 0.5 * height
            width, _ = first.box.intersection(Box(second.box.x0, 0, second.box.x1, 1e9))
            if second.key == first.key and below and width > 0:
                if _continues(page, first, second):
                    yield first, second
                break


def _continues(page: Page, first: Run, second: Run) -> bool:
    """Whether ``second`` reads on from ``first``: in a text frame, or in words of no frame,
    always; in a table or a chart only within one cell or one label (the next row of a
    column, the next label down are other texts)."""
    kind, index = first.key
    if kind != "frame" or page.frames[index].kind == "text":
        return True
    return _one_label(page.frames[index], first, second)


def broken_words(page: Page, vocabulary: set[str]) -> list[str]:
    """Lines that end in a fragment of a word the source text has whole (``vocabulary``):
    ``Montbé`` / ``liard``, or ``Montbé-`` / ``liard`` hyphenated by the renderer; a word
    cut over three lines is found at each cut (``Établis`` / ``semen`` / ``ts``). A break
    after a hyphen the word has (``Dumont-`` / ``Vasseur``) is fine."""
    inside_words = "\x00" + "\x00".join(sorted(vocabulary)) + "\x00"
    found = []
    for first, second in _consecutive(page):
        end = first.words[-1].text.lstrip(_PUNCTUATION)
        start = second.words[0].text.rstrip(_PUNCTUATION)
        if not (_has_letter(end) and _has_letter(start)):
            continue  # a bullet, a bracket or a number alone is no fragment of a word
        if end.strip(_PUNCTUATION) in vocabulary and start in vocabulary:
            continue  # two whole words
        if end.endswith("-") and end + start in inside_words:
            continue  # broken after the word's own hyphen
        if end + start in inside_words:
            found.append(f"slide {page.number}: {end!r} / {start!r} (a word broken)")
        elif end.endswith("-") and end[:-1] + start in inside_words:
            found.append(f"slide {page.number}: {end!r} / {start!r} (hyphenated)")
    return found


def _has_letter(text: str) -> bool:
    return any(c.isalpha() for c in text)


def split_units(page: Page) -> list[str]:
    """An amount ending a line whose unit starts the next (``16,8`` / ``M€``, ``16,9 M`` /
    ``€``, ``98`` / ``%``), or a currency sign ending a line whose number starts the next
    (``€`` / ``16.8M``)."""
    keep = _PUNCTUATION.replace("%", "")
    found = []
    for first, second in _consecutive(page):
        tail = [w.text.strip(keep) for w in first.words[-2:]]
        end, start = tail[-1], second.words[0].text.strip(keep)
        scaled = len(tail) == 2 and bool(_NUMBER.fullmatch(tail[0])) and end in _SCALES
        amount = " ".join(tail) if scaled else end
        sign_then_number = end in ("€", "$", "£", "EUR") and start[:1].isdigit()
        if ((scaled or _NUMBER.fullmatch(end)) and _UNIT.fullmatch(start)) or sign_then_number:
            found.append(f"slide {page.number}: {amount!r} / {start!r}")
    return found


@dataclass(slots=True)
class Rendered:
    """A deck as rendered: its pages (words, frames, PNG) and each slide's vocabulary."""

    pptx: Path
    pdf: Path
    pages: list[Page]
    vocabulary: list[set[str]]
    found: dict[str, list[str]] = field(default_factory=dict)  # check -> defects, once


def convert_to_pdf(pptx_files: Sequence[Path], out_dir: Path, profile: Path) -> None:
    """Convert every deck to PDF in one LibreOffice run (its own profile folder)."""
    out_dir.mkdir(parents=True, exist_ok=True)
    subprocess.run(
        [
            "soffice",
            f"-env:UserInstallation={profile.resolve().as_uri()}",
            "--headless",
            "--convert-to",
            "pdf",
            "--outdir",
            str(out_dir),
            *map(str, pptx_files),
        ],
        capture_output=True,
        check=True,
        timeout=600,
    )


def render(pptx: Path, pdf: Path, png_dir: Path, extra_words: set[str] = frozenset()) -> Rendered:
    """Read the converted ``pdf`` of ``pptx``: words, frames, and a PNG of every page kept in
    ``png_dir`` (``<deck>-<page>.png``). ``extra_words`` join each slide's vocabulary (the
    workbook's texts, which a deck may already have cut)."""
    png_dir.mkdir(parents=True, exist_ok=True)
    subprocess.run(
        ["pdftoppm", "-png", "-r", str(DPI), str(pdf), str(png_dir / pdf.stem)],
        capture_output=True,
        check=True,
    )
    own = re.compile(re.escape(pdf.stem) + r"-(\d+)\.png")
    numbered = [(int(m.group(1)), p) for p in png_dir.iterdir() if (m := own.fullmatch(p.name))]
    pngs = [p for _, p in sorted(numbered)]
    pages = read_pdf_words(pdf)
    frames = slide_frames(pptx)
    vocabulary = [v | extra_words for v in slide_vocabulary(pptx)]
    for page, slide_frames_, png in zip(pages, frames, pngs, strict=False):
        page.frames = slide_frames_
        page.png = png
        place_lines(page)
    return Rendered(pptx, pdf, pages, vocabulary)


CHECKS = ("overlap", "border", "chart", "broken_word", "unit_split")


def run_check(check: str, deck: Rendered) -> list[str]:
    """The defects ``check`` finds on every page of ``deck`` (worked out once per deck)."""
    if check not in deck.found:
        deck.found[check] = _check_pages(check, deck)
    return list(deck.found[check])


def _check_pages(check: str, deck: Rendered) -> list[str]:
    found: list[str] = []
    for page in deck.pages:
        if check == "overlap":
            found += overlaps(page)
        elif check == "border":
            found += off_page(page)
        elif check == "chart":
            found += empty_charts(page)
        elif check == "broken_word":
            found += broken_words(page, deck.vocabulary[page.number - 1])
        elif check == "unit_split":
            found += split_units(page)
        else:
            raise ValueError(f"no check {check!r}")
    return found

"""Native, editable PowerPoint charts with their data embedded (decks.md "Style" > "Charts").

Every chart is a real chart part with its own embedded workbook, so a reader can click "Edit
data" in PowerPoint and see the numbers behind it; nothing is a picture. The look follows the
style guide: 2-D only, no default titles (the slide's action title speaks), light grey major
gridlines on the value axis at most, units in the axis title or the number format, the brand
colour for the main series and greys for secondary, forecast and reference series, one font
(:data:`kamxl.deck.style.FONT`) at 9-12 pt.

PowerPoint and LibreOffice fill in different defaults for whatever a chart leaves unsaid, so
every legend, data label, axis and line used here is set explicitly: position, font size,
number format, colour, dash.

python-pptx cannot build every chart the decks need, so a few are finished in the chart XML,
always in the element order of the chart schema (ECMA-376 part 1, ``dml-chart.xsd``), and
checked against both renderers (PowerPoint and LibreOffice 7):

- **Combo column + line** (:func:`add_revenue_chart`): the chart is made as a clustered column
  chart with both series, then the forecast ``c:ser`` is moved into a new ``c:lineChart``
  placed right after the ``c:barChart`` in ``c:plotArea`` and sharing its two ``c:axId``
  values, so both plots use the same axes and the embedded sheet keeps one table.
- **Combo stacked area + lines** (:func:`add_health_chart`): the same move from a stacked
  ``c:areaChart`` whose three series are the red, amber and green bands at the workbook's
  health thresholds, so the lines draw over RAG zones.
- **Crossing axes as quadrant lines** (:func:`add_matrix_chart`): the matrix's axes cross at
  the cuts (``c:crossesAt``) with their labels kept at the plot edges, so the quadrant lines
  are the axes themselves. LibreOffice draws no error bars on bubble charts, so error bars,
  the usual trick, would leave the quadrants invisible there.
- **Series of one length** (:func:`add_matrix_chart`, :func:`add_relationship_chart`):
  LibreOffice draws nothing (or a dot) for a bubble or scatter series when a later series
  has more points, so every series (one per tier, then the helper; seen, not seen, the
  attitude words) is padded with blank points to the same count.
- **Error bars as guide lines** (:func:`add_pareto_chart`): ``c:errBars`` with
  ``c:errValType val="fixedVal"`` on the marker draw its dashed guides to both axes.
- **A band of overlapping bars** (:func:`add_bar_chart`): the norm band, a white base and
  the values are one clustered group with ``c:overlap`` 100, drawn in that order.
- **Manual plot-area layout** (:func:`add_matrix_chart`, :func:`add_relationship_chart`):
  ``c:plotArea/c:layout/c:manualLayout`` pins the inner plot rectangle, so labels can be
  placed in slide units by a model that keeps them apart (:func:`_place_labels`): a label
  that fits nowhere is left out, and a caption under the chart says so.
- **A scale bubble** (:func:`add_matrix_chart`): LibreOffice ignores ``c:bubbleScale``, so an
  invisible helper bubble sets the size of the biggest account bubble in both renderers.
- **Words on a value axis** (:func:`add_relationship_chart`): the attitude scale's words are
  labels of invisible points on the plot's bottom edge; conditional number formats hide
  tick labels outside the scale.
- **Number formats per language** (:func:`chart_formats`): literal narrow no-break spaces
  for French, so axes and labels read as the deck's text in every renderer and locale.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from copy import deepcopy
from dataclasses import dataclass
from itertools import pairwise
from typing import IO, Any, Final

from lxml import etree
from pptx.chart.chart import Chart
from pptx.chart.data import BubbleChartData, CategoryChartData, XyChartData
from pptx.chart.datalabel import DataLabels
from pptx.chart.xlsx import BubbleWorkbookWriter, CategoryWorkbookWriter, XyWorkbookWriter
from pptx.dml.color import RGBColor
from pptx.enum.chart import (
    XL_CHART_TYPE,
    XL_LABEL_POSITION,
    XL_LEGEND_POSITION,
    XL_MARKER_STYLE,
    XL_TICK_LABEL_POSITION,
    XL_TICK_MARK,
)
from pptx.enum.dml import MSO_LINE_DASH_STYLE
from pptx.enum.shapes import MSO_SHAPE
from pptx.enum.text import MSO_ANCHOR
from pptx.oxml import parse_xml
from pptx.oxml.ns import nsdecls, qn
from pptx.shapes.graphfrm import GraphicFrame
from pptx.text.text import Font
from pptx.util import Emu, Inches, Length, Pt, lazyproperty
from xlsxwriter import Workbook

from kamxl.characters import clean_text
from kamxl.deck import style

__all__ = [
    "ATTITUDES",
    "MAX_LABELLED_PEOPLE",
    "MAX_LABELLED_POINTS",
    "QUADRANTS",
    "ChartFormats",
    "MapLabels",
    "MatrixLabels",
    "add_bar_chart",
    "add_bridge_chart",
    "add_health_chart",
    "add_matrix_chart",
    "add_pareto_chart",
    "add_relationship_chart",
    "add_revenue_chart",
    "bridge_axis_floor",
    "chart_data_values",
    "chart_formats",
    "curve_value",
]

#: Text inside charts: tick labels, axis titles and legends.
CHART_TEXT: Final = Pt(10)
#: Data labels: the smallest size the style guide allows.
LABEL_TEXT: Final = style.MIN_SIZE
#: The matrix labels at most this many accounts (the biggest); more would be unreadable.
MAX_LABELLED_POINTS: Final = 30
#: Column and bar charts carry value labels only up to this many categories.
MAX_LABELLED_PERIODS: Final = 8
#: The four quadrants of the portfolio matrix, keyed as the caller's ``quadrant_labels``.
QUADRANTS: Final = ("Strategic", "Star", "Status", "Streamline")


@dataclass(frozen=True, slots=True)
class ChartFormats:
    """The number formats of one language for chart axes and data labels (decks.md "One
    number format per language everywhere, chart axes and data labels included").

    Excel number format strings, which PowerPoint and LibreOffice render the same on any
    machine: a separator written as ``,`` would follow the reader's system locale, so the
    French thousands separator is a literal narrow no-break space (U+202F, as the deck's
    text writes it), grouped by conditional sections (every group up to 999 999 999; the
    leading group of bigger numbers runs on).
    """

    integer: str
    percent: str


_NNBSP: Final = "\u202f"
_FORMATS: Final = {
    "en": ChartFormats("#,##0", "0%"),
    "fr": ChartFormats(f"[>=1000000]#{_NNBSP}###{_NNBSP}##0;[>=1000]#{_NNBSP}##0;0", f"0{_NNBSP}%"),
}


def chart_formats(language: str) -> ChartFormats:
    """The chart number formats of ``language`` (``en`` or ``fr``)."""
    try:
        return _FORMATS[language]
    except KeyError:
        raise ValueError(f"no chart number formats for language {language!r}") from None


_MAIN_LINE: Final = Pt(2.25)
_THIN_LINE: Final = Pt(1.25)
_HAIR_LINE: Final = Pt(0.75)
#: The biggest account bubble's diameter as a fraction of the renderers' default (which is a
#: quarter of the plot's smaller side).
_BUBBLE_FRACTION: Final = 0.4
_BUBBLE_ALPHA: Final = 65_000  # 65 % opaque: overlapping bubbles stay visible
_TINY_BUBBLE: Final = 1e-6  # relative size of the invisible helper bubbles


# ---------------------------------------------------------------------------------------------
# Embedded workbooks: python-pptx's writers, with strings always written as strings.
# ---------------------------------------------------------------------------------------------


class _SafeWorkbookMixin:
    """Write every string as text: a name such as ``=HYPERLINK(...)`` must never become a
    live formula (or a link) in the workbook embedded in the deck."""

    @contextmanager
    def _open_worksheet(self, xlsx_file: IO[bytes]) -> Iterator[tuple[Any, Any]]:
        options = {"in_memory": True, "strings_to_formulas": False, "strings_to_urls": False}
        workbook = Workbook(xlsx_file, options)
        worksheet = workbook.add_worksheet()
        yield workbook, worksheet
        workbook.close()


class _CategoryWriter(_SafeWorkbookMixin, CategoryWorkbookWriter):
    pass


class _XyWriter(_SafeWorkbookMixin, XyWorkbookWriter):
    pass


class _BubbleWriter(_SafeWorkbookMixin, BubbleWorkbookWriter):
    """Bubble tables (x, y, size), plus each point's label in column D so that "Edit data"
    shows which row is which account."""

    def _populate_worksheet(self, workbook: Any, worksheet: Any) -> None:
        super()._populate_worksheet(workbook, worksheet)
        labels: dict[int, Sequence[str]] = getattr(self._chart_data, "point_labels", {})
        for series in self._chart_data:
            names = labels.get(series.index)
            if names:
                offset = self.series_table_row_offset(series)
                worksheet.write_column(offset + 1, 3, list(names))


def _one_line(label: Any) -> Any:
    """A text label of a chart (a category, a series name, a point label, an axis title) as
    every deck text is, on one line (:func:`kamxl.characters.clean_text`); other labels
    (numbers, dates) as they are."""
    return clean_text(label, one_line=True) if isinstance(label, str) else label


class _CleanNames:
    """Series names cleaned as they enter the chart data: from there they go both into the
    chart XML (which cannot hold a control character) and into the embedded workbook."""

    def add_series(self, name: str, *args: Any, **kwargs: Any) -> Any:
        return super().add_series(_one_line(name), *args, **kwargs)  # type: ignore[misc]


class _CategoryData(_CleanNames, CategoryChartData):
    @property
    def categories(self) -> Any:
        return CategoryChartData.categories.fget(self)

    @categories.setter
    def categories(self, labels: Sequence[Any]) -> None:
        CategoryChartData.categories.fset(self, [_one_line(label) for label in labels])

    def add_category(self, label: Any) -> Any:
        return super().add_category(_one_line(label))

    @lazyproperty
    def _workbook_writer(self) -> _CategoryWriter:
        return _CategoryWriter(self)


class _XyData(_CleanNames, XyChartData):
    @lazyproperty
    def _workbook_writer(self) -> _XyWriter:
        return _XyWriter(self)


class _BubbleData(_CleanNames, BubbleChartData):
    def __init__(self, number_format: str = "General") -> None:
        super().__init__(number_format)
        self.point_labels: dict[int, Sequence[str]] = {}

    @lazyproperty
    def _workbook_writer(self) -> _BubbleWriter:
        return _BubbleWriter(self)


# ---------------------------------------------------------------------------------------------
# Small XML and formatting helpers.
# ---------------------------------------------------------------------------------------------


def _clean(value: float | None) -> float | None:
    """A number for the chart, or None for a gap (None, NaN and infinities are gaps)."""
    if value is None:
        return None
    number = float(value)
    return number if math.isfinite(number) else None


def _hex(colour: RGBColor) -> str:
    return str(colour)


def _blend(a: RGBColor, b: RGBColor, t: float) -> RGBColor:
    """The colour a fraction ``t`` of the way from ``a`` to ``b`` (shades between two greys)."""
    return RGBColor(*(round(x + (y - x) * t) for x, y in zip(a, b, strict=True)))


def _ln_xml(colour: RGBColor, width: Length, dash: str = "solid", *, declare: bool = False) -> str:
    """An ``a:ln`` outline (with the namespace declared when it is parsed on its own)."""
    ns = f" {nsdecls('a')}" if declare else ""
    return (
        f'<a:ln{ns} w="{int(width)}" cap="flat"><a:solidFill><a:srgbClr val="{_hex(colour)}"/>'
        f'</a:solidFill><a:prstDash val="{dash}"/><a:round/></a:ln>'
    )


def _insert_before(parent: etree._Element, child: etree._Element, *successors: str) -> None:
    """Insert ``child`` before the first of ``successors`` present in ``parent`` (schema order),
    or append it."""
    for tag in successors:
        found = parent.find(qn(tag))
        if found is not None:
            found.addprevious(child)
            return
    parent.append(child)


def _set_font(font: Font, size: Length, colour: RGBColor, *, bold: bool = False) -> None:
    """The deck's font, ``size``, ``bold`` and ``colour`` on a run's properties: what the
    setters of python-pptx's Font write (name, size, bold, solid colour, in that order), set
    on its element (the Font's colour proxy alone looked the fill up three times)."""
    r_pr = font._rPr
    if len(r_pr) == 0:  # an empty one (most are): the same elements, written directly
        r_pr.set("sz", str(Emu(size).centipoints))
        r_pr.set("b", "1" if bold else "0")
        etree.SubElement(etree.SubElement(r_pr, _SOLID_FILL), _SRGB_CLR, val=str(colour))
        etree.SubElement(r_pr, _LATIN, typeface=style.FONT)
        return
    r_pr.get_or_add_latin().typeface = style.FONT
    r_pr.sz = Emu(size).centipoints
    r_pr.b = bold
    r_pr.get_or_change_to_solidFill().get_or_change_to_srgbClr().val = str(colour)


_SOLID_FILL = qn("a:solidFill")
_SRGB_CLR = qn("a:srgbClr")
_LATIN = qn("a:latin")


def _new_chart(
    slide: Any, box: style.Box, chart_type: XL_CHART_TYPE, data: CategoryChartData | XyChartData
) -> GraphicFrame:
    """Add a chart in ``box`` with the deck's defaults: no title, no border, one font."""
    frame = slide.shapes.add_chart(chart_type, box.left, box.top, box.width, box.height, data)
    chart = frame.chart
    chart.has_title = False  # writes c:autoTitleDeleted val=1: no default title anywhere
    chart.has_legend = False
    _set_font(chart.font, CHART_TEXT, style.TEXT)
    space = chart._chartSpace
    if space.find(qn("c:roundedCorners")) is None:
        corners = parse_xml(f'<c:roundedCorners {nsdecls("c")} val="0"/>')
        _insert_before(space, corners, "c:AlternateContent", "c:style", "c:clrMapOvr", "c:chart")
    sp_pr = parse_xml(f"<c:spPr {nsdecls('c', 'a')}><a:noFill/><a:ln><a:noFill/></a:ln></c:spPr>")
    _insert_before(space, sp_pr, "c:txPr", "c:externalData", "c:printSettings", "c:userShapes")
    plot_area = _plot_area(chart)
    # A transparent plot area: PowerPoint and LibreOffice agree on "nothing" more than on
    # their different default fills. c:spPr comes after the axes (and c:dTable).
    plot_area.append(
        parse_xml(f"<c:spPr {nsdecls('c', 'a')}><a:noFill/><a:ln><a:noFill/></a:ln></c:spPr>")
    )
    _set_blanks_as_gaps(chart)
    return frame


def _plot_area(chart: Chart) -> etree._Element:
    """The chart's ``c:plotArea`` element."""
    return chart._chartSpace.find(qn("c:chart")).find(qn("c:plotArea"))


def _set_blanks_as_gaps(chart: Chart) -> None:
    """A missing value is a gap in the line, never a zero or a bridged segment."""
    chart_elm = chart._chartSpace.find(qn("c:chart"))
    blanks = chart_elm.find(qn("c:dispBlanksAs"))
    if blanks is None:
        blanks = parse_xml(f'<c:dispBlanksAs {nsdecls("c")} val="gap"/>')
        _insert_before(chart_elm, blanks, "c:showDLblsOverMax", "c:extLst")
    blanks.set("val", "gap")


def _style_axis_line(axis: Any, *, visible: bool, width: Length = _HAIR_LINE) -> None:
    line = axis.format.line
    if visible:
        line.color.rgb = style.LINE
        line.width = width
        line.dash_style = MSO_LINE_DASH_STYLE.SOLID
    else:
        line.fill.background()


def _set_axis_title(axis: Any, text: str, *, vertical: bool) -> None:
    """An axis title in the chart font, grey; vertical titles rotated explicitly (-90 degrees)
    because the two renderers default differently."""
    if not text:
        axis.has_title = False
        return
    axis.has_title = True
    frame = axis.axis_title.text_frame
    frame.text = _one_line(text)
    for run in frame.paragraphs[0].runs:
        _set_font(run.font, CHART_TEXT, style.GREY)
    body = axis.axis_title._title.find(qn("c:tx")).find(qn("c:rich")).find(qn("a:bodyPr"))
    body.set("rot", "-5400000" if vertical else "0")
    body.set("vert", "horz")


def _style_value_axis(
    axis: Any,
    *,
    title: str,
    number_format: str,
    vertical: bool,
    minimum: float | None = None,
    maximum: float | None = None,
    major_unit: float | None = None,
    gridlines: bool = True,
) -> None:
    """A value axis: light grey major gridlines (or none), no axis line, no tick marks,
    explicit number format and scale."""
    axis.visible = True
    axis.has_major_gridlines = gridlines
    axis.has_minor_gridlines = False
    if gridlines:
        grid = axis.major_gridlines.format.line
        grid.color.rgb = style.LINE
        grid.width = _HAIR_LINE
    axis.minimum_scale = minimum
    axis.maximum_scale = maximum
    axis.major_unit = major_unit
    axis.major_tick_mark = XL_TICK_MARK.NONE
    axis.minor_tick_mark = XL_TICK_MARK.NONE
    axis.tick_label_position = XL_TICK_LABEL_POSITION.NEXT_TO_AXIS
    labels = axis.tick_labels
    labels.number_format = number_format
    labels.number_format_is_linked = False
    _set_font(labels.font, CHART_TEXT, style.GREY)
    _style_axis_line(axis, visible=False)
    _set_axis_title(axis, title, vertical=vertical)


def _style_category_axis(axis: Any, *, title: str = "", vertical: bool = False) -> None:
    """A category axis: a thin grey base line, no gridlines, labels in the chart font."""
    axis.visible = True
    axis.has_major_gridlines = False
    axis.has_minor_gridlines = False
    axis.major_tick_mark = XL_TICK_MARK.NONE
    axis.minor_tick_mark = XL_TICK_MARK.NONE
    axis.tick_label_position = XL_TICK_LABEL_POSITION.LOW
    _set_font(axis.tick_labels.font, CHART_TEXT, style.TEXT)
    _style_axis_line(axis, visible=True)
    _set_axis_title(axis, title, vertical=vertical)


def _set_legend(chart: Chart, *, show: bool) -> None:
    """The legend at the bottom, outside the plot, in the chart font; or no legend."""
    chart.has_legend = show
    if not show:
        return
    legend = chart.legend
    legend.position = XL_LEGEND_POSITION.BOTTOM
    legend.include_in_layout = False
    _set_font(legend.font, CHART_TEXT, style.TEXT)


def _label_series(
    labels: DataLabels,
    *,
    number_format: str,
    position: XL_LABEL_POSITION,
    colour: RGBColor = style.TEXT,
    size: Length = LABEL_TEXT,
) -> None:
    """Value labels with every flag explicit (no legend key, no series or category name)."""
    labels.show_value = True
    labels.show_category_name = False
    labels.show_series_name = False
    labels.show_legend_key = False
    labels.show_percentage = False
    labels.number_format = number_format
    labels.number_format_is_linked = False
    labels.position = position
    _set_font(labels.font, size, colour)


def _label_background(dlbls: etree._Element) -> None:
    """A white fill behind data labels (``c:dLbls``) or one label (``c:dLbl``), so a line
    passing under a label does not cross its text (order: ..., numFmt, spPr, txPr, dLblPos,
    show...)."""
    sp_pr = parse_xml(
        f'<c:spPr {nsdecls("c", "a")}><a:solidFill><a:srgbClr val="FFFFFF"/></a:solidFill>'
        f"<a:ln><a:noFill/></a:ln></c:spPr>"
    )
    _insert_before(dlbls, sp_pr, "c:txPr", "c:dLblPos", "c:showLegendKey")


def _series_dlbls(ser: etree._Element) -> DataLabels:
    """The series-level data labels of any series (python-pptx only offers them for category
    series), created with every flag off."""
    return DataLabels(ser.get_or_add_dLbls())


def _point_label(
    ser: etree._Element,
    idx: int,
    *,
    text: str | None,
    position: XL_LABEL_POSITION,
    colour: RGBColor,
    size: Length = LABEL_TEXT,
    bold: bool = False,
    number_format: str | None = None,
    background: bool = False,
) -> etree._Element:
    """One point's label: custom ``text`` (rich text) or the point's value in
    ``number_format``, on a white ``background`` if asked (value labels only); every show
    flag explicit, position explicit."""
    dlbl = ser.get_or_add_dLbls().get_or_add_dLbl_for_point(idx)
    # python-pptx starts a point label with an empty c:spPr and a c:txPr; a rich-text label
    # keeps its formatting on the run instead (c:txPr beside c:tx breaks PowerPoint on
    # bubble charts, see python-pptx's DataLabel._get_or_add_rich).
    dlbl._remove_spPr()
    if text is not None:
        dlbl._remove_txPr()
        rich = dlbl.get_or_add_rich()
        rich.find(qn("a:bodyPr")).set("wrap", "none")
        paragraph = rich.find(qn("a:p"))
        for child in list(paragraph):
            paragraph.remove(child)
        paragraph.append(parse_xml(f"<a:pPr {nsdecls('a')}><a:defRPr/></a:pPr>"))
        run = parse_xml(f'<a:r {nsdecls("a")}><a:rPr lang="en-US"/><a:t/></a:r>')
        run.find(qn("a:t")).text = _one_line(text)
        paragraph.append(run)
        for r_pr in (paragraph.find(qn("a:pPr")).find(qn("a:defRPr")), run.find(qn("a:rPr"))):
            _set_font(Font(r_pr), size, colour, bold=bold)
    else:
        _set_font(
            Font(dlbl.get_or_add_txPr().find(qn("a:p")).get_or_add_pPr().get_or_add_defRPr()),
            size,
            colour,
            bold=bold,
        )
        if number_format is not None:
            num_fmt = parse_xml(f'<c:numFmt {nsdecls("c")} formatCode="" sourceLinked="0"/>')
            num_fmt.set("formatCode", number_format)
            _insert_before(dlbl, num_fmt, "c:spPr", "c:txPr", "c:dLblPos", "c:showLegendKey")
        if background:
            _label_background(dlbl)
    dlbl.get_or_add_dLblPos().val = position
    flags = {
        "c:showLegendKey": "0",
        "c:showVal": "1",
        "c:showCatName": "0",
        "c:showSerName": "0",
        "c:showPercent": "0",
        "c:showBubbleSize": "0",
    }
    for tag, val in flags.items():
        found = dlbl.find(qn(tag))
        if found is not None:
            found.set("val", val)
    return dlbl


def _err_bars_xml(
    direction: str | None,
    kind: str,
    value: float,
    colour: RGBColor,
    width: Length,
    dash: str = "solid",
    *,
    end_caps: bool = False,
) -> str:
    """A ``c:errBars`` element drawing a fixed-length line from its point, ``kind`` being
    plus, minus or both (CT_ErrBars order: errDir, errBarType, errValType, noEndCap, plus,
    minus, val, spPr). ``direction`` (x or y) is for XY and bubble series only."""
    err_dir = f'<c:errDir val="{direction}"/>' if direction else ""
    return (
        f'<c:errBars {nsdecls("c", "a")}>{err_dir}<c:errBarType val="{kind}"/>'
        f'<c:errValType val="fixedVal"/><c:noEndCap val="{0 if end_caps else 1}"/>'
        f'<c:val val="{float(value)!r}"/><c:spPr>{_ln_xml(colour, width, dash)}</c:spPr>'
        f"</c:errBars>"
    )


def _add_err_bars(ser: etree._Element, xml: str) -> None:
    """Add error bars to a series, after its labels and before its data (CT_*Ser order)."""
    _insert_before(ser, parse_xml(xml), "c:cat", "c:val", "c:xVal", "c:yVal", "c:extLst")


def _hide_series(ser: etree._Element) -> None:
    """No fill and no line for a helper series that only carries error bars or labels."""
    sp_pr = ser.get_or_add_spPr()
    for child in list(sp_pr):
        sp_pr.remove(child)
    sp_pr.append(parse_xml(f"<a:noFill {nsdecls('a')}/>"))
    sp_pr.append(parse_xml(f"<a:ln {nsdecls('a')}><a:noFill/></a:ln>"))


def _set_plot_layout(chart: Chart, x: float, y: float, w: float, h: float) -> None:
    """Pin the inner plot rectangle (fractions of the chart frame): c:layout is the first
    child of c:plotArea."""
    plot_area = _plot_area(chart)
    old = plot_area.find(qn("c:layout"))
    if old is not None:
        plot_area.remove(old)
    layout = parse_xml(
        f'<c:layout {nsdecls("c")}><c:manualLayout><c:layoutTarget val="inner"/>'
        f'<c:xMode val="edge"/><c:yMode val="edge"/><c:x val="{x:.4f}"/><c:y val="{y:.4f}"/>'
        f'<c:w val="{w:.4f}"/><c:h val="{h:.4f}"/></c:manualLayout></c:layout>'
    )
    plot_area.insert(0, layout)


def _solid_line(series: Any, colour: RGBColor, width: Length, dash: MSO_LINE_DASH_STYLE) -> None:
    """A solid ``colour`` line of ``width`` and ``dash`` for a series (or a point)."""
    _set_line(series.format._element.get_or_add_spPr(), colour, width, dash)


def _set_line(
    sp_pr: etree._Element, colour: RGBColor, width: Length, dash: MSO_LINE_DASH_STYLE
) -> None:
    """What python-pptx's ``line.color.rgb``, ``line.width`` and ``line.dash_style`` write
    into ``sp_pr``'s ``a:ln``, set on the elements (without the line and fill proxies)."""
    ln = sp_pr.get_or_add_ln()
    ln.get_or_change_to_solidFill().get_or_change_to_srgbClr().val = str(colour)
    ln.w = width
    ln.prstDash_val = dash


def _brand_bars(plot: Any, *, gap_width: int) -> Any:
    """The first series of a bar plot in the brand colour, one colour for every bar (negative
    bars too), no outline; returned for more styling."""
    plot.vary_by_categories = False
    plot.gap_width = gap_width
    bars = plot.series[0]
    bars.invert_if_negative = False
    bars.format.fill.solid()
    bars.format.fill.fore_color.rgb = style.BRAND
    bars.format.line.fill.background()
    return bars


def _marker(
    series: Any,
    colour: RGBColor | None,
    size: int = 7,
    shape: XL_MARKER_STYLE = XL_MARKER_STYLE.CIRCLE,
) -> None:
    """A filled marker (a circle unless told) in ``colour``, or no marker at all."""
    # what python-pptx's Marker style, size and format setters write, on the c:marker
    marker = series.marker._element.get_or_add_marker()
    marker._remove_symbol()
    if colour is None:
        marker._add_symbol().val = XL_MARKER_STYLE.NONE
        return
    marker._add_symbol().val = shape
    marker._remove_size()
    marker._add_size().val = size
    sp_pr = marker.get_or_add_spPr()
    sp_pr.get_or_change_to_solidFill().get_or_change_to_srgbClr().val = str(colour)
    _set_line(sp_pr, colour, Pt(0.75), MSO_LINE_DASH_STYLE.SOLID)


def _check_lengths(what: str, expected: int, *sequences: Sequence[Any]) -> None:
    """Every series has one value per category, and there is at least one category (an empty
    chart is the caller's "no data" case, shown as a note rather than an empty frame)."""
    if expected == 0:
        raise ValueError(f"{what}: no categories")
    for sequence in sequences:
        if len(sequence) != expected:
            raise ValueError(f"{what}: {len(sequence)} values for {expected} categories")


# ---------------------------------------------------------------------------------------------
# 1. Revenue trajectory: columns (actual) and a dashed line (forecast) on the same axes.
# ---------------------------------------------------------------------------------------------


def add_revenue_chart(
    slide: Any,
    box: style.Box,
    periods: list[str],
    actual: list[float | None],
    forecast: list[float | None],
    *,
    names: tuple[str, str],
    value_axis_title: str,
    number_format: str,
    scale: float = 1000.0,
) -> GraphicFrame:
    """Revenue per period: actual as brand columns, forecast as a grey dashed line with markers.

    Values are divided by ``scale`` (k€ by default) before they reach the chart, so the cached
    points and the embedded workbook hold the same scaled numbers. ``None`` is a gap in both
    (future periods have a forecast only; past periods may lack one). The columns carry value
    labels when there are at most :data:`MAX_LABELLED_PERIODS` periods, and so do forecast
    points that have no actual beside them (the future), in grey.

    A combo chart: python-pptx has no API for it, so the chart is built as clustered columns
    with both series and the forecast series is then moved into its own ``c:lineChart`` that
    shares the column chart's axes (see the module docstring).
    """
    _check_lengths("revenue chart", len(periods), actual, forecast)
    if not scale:
        raise ValueError("scale must not be zero")
    actual_values = [None if (v := _clean(x)) is None else v / scale for x in actual]
    forecast_values = [None if (v := _clean(x)) is None else v / scale for x in forecast]

    data = _CategoryData(number_format=number_format)
    data.categories = periods
    data.add_series(names[0], actual_values)
    data.add_series(names[1], forecast_values)
    frame = _new_chart(slide, box, XL_CHART_TYPE.COLUMN_CLUSTERED, data)
    chart = frame.chart

    line_chart = _move_series_to_line_chart(chart, series_index=1)

    columns = _brand_bars(chart.plots[0], gap_width=60)

    line = chart.plots[1].series[0]
    _solid_line(line, style.GREY, _MAIN_LINE, MSO_LINE_DASH_STYLE.DASH)
    _marker(line, style.GREY)
    line.smooth = False

    top = _nice_top([v for v in (*actual_values, *forecast_values) if v is not None])
    if len(periods) <= MAX_LABELLED_PERIODS:
        _label_series(
            columns.data_labels, number_format=number_format, position=XL_LABEL_POSITION.OUTSIDE_END
        )
        _label_background(columns.data_labels._element)  # the forecast line passes behind
        spots = _column_label_spots(actual_values, forecast_values, top, box.height)
        bar_ser = _plot_area(chart).find(qn("c:barChart")).find(qn("c:ser"))
        for idx, spot in enumerate(spots):
            if spot is None:
                _no_point_label(bar_ser, idx)
            elif spot != XL_LABEL_POSITION.OUTSIDE_END:
                _point_label(
                    bar_ser,
                    idx,
                    text=None,
                    position=spot,
                    colour=style.TEXT,
                    background=True,
                    number_format=number_format,
                )
        line_ser = line_chart.find(qn("c:ser"))
        _series_dlbls(line_ser)  # every flag off: only the points below are labelled
        for idx, (past, future) in enumerate(zip(actual_values, forecast_values, strict=True)):
            if past is None and future is not None:
                _point_label(
                    line_ser,
                    idx,
                    text=None,
                    position=XL_LABEL_POSITION.ABOVE,
                    colour=style.GREY,
                    background=True,
                    number_format=number_format,
                )

    _style_category_axis(chart.category_axis)
    _style_value_axis(
        chart.value_axis,
        title=value_axis_title,
        number_format=number_format,
        vertical=True,
        minimum=0,
        maximum=top,
    )
    # without a forecast the legend would name a series that draws nothing
    _set_legend(chart, show=any(v is not None for v in forecast_values))
    return frame


def _nice_top(values: Sequence[float]) -> float | None:
    """The value axis's top for ``values`` (0 at the bottom): a round number (1, 2, 2.5 or 5
    times a power of ten per step, five to six steps) with room above the highest value for
    its label. Set, not left to the renderer, so that where a label sits can be computed;
    None (the renderer's choice) with no positive value."""
    highest = max((v for v in values if v > 0), default=0.0)
    if highest <= 0:
        return None
    wanted = highest * 1.12
    power = 10.0 ** math.floor(math.log10(wanted / 6))
    step = next(m * power for m in (1, 2, 2.5, 5, 10) if wanted / (m * power) <= 6)
    return math.ceil(wanted / step) * step


#: The height of the plot of a revenue chart, as a share of its box (the rest: the legend,
#: the period names, the inner margins), for placing the column labels.
_REVENUE_PLOT_SHARE: Final = 0.78


def _column_label_spots(
    actual: Sequence[float | None],
    forecast: Sequence[float | None],
    top: float | None,
    box_height: Length,
) -> list[XL_LABEL_POSITION | None]:
    """Where each column's value label goes so that it sits under no forecast marker: one
    place for every column when one place suits them all (above the column, inside its top,
    in its middle, at its base: labels at one height read as a row), else each column the
    first of those that is clear, else nowhere (the axis and the notes still give the
    figure). Computed in axis units from the axis's ``top`` and the plot's height; a column
    with no actual has no label."""
    if top is None:
        return [XL_LABEL_POSITION.OUTSIDE_END if a is not None else None for a in actual]
    per_pt = top / (Emu(box_height).pt * _REVENUE_PLOT_SHARE)
    label = (Emu(LABEL_TEXT).pt * 1.4 + 3) * per_pt  # its box and the gap to the column
    marker = 6 * per_pt  # half a marker and a margin

    def clear(a: float, f: float | None) -> list[XL_LABEL_POSITION]:
        """The places clear of the forecast marker ``f`` for a column of height ``a``."""
        bands = {
            XL_LABEL_POSITION.OUTSIDE_END: (a, a + label),
            XL_LABEL_POSITION.INSIDE_END: (a - label, a),
            XL_LABEL_POSITION.CENTER: ((a - label) / 2, (a + label) / 2),
            XL_LABEL_POSITION.INSIDE_BASE: (0.0, label),
        }
        return [
            place
            for place, (low, high) in bands.items()
            if (place is XL_LABEL_POSITION.OUTSIDE_END or a - label > 0)
            and _clear_of(f, marker, low, high)
        ]

    places = [None if a is None else clear(a, f) for a, f in zip(actual, forecast, strict=True)]
    shown = [p for p in places if p is not None]
    common = [p for p in (shown[0] if shown else []) if all(p in other for other in shown)]
    if common:
        return [None if p is None else common[0] for p in places]
    return [p[0] if p else None for p in places]


def _clear_of(point: float | None, reach: float, low: float, high: float) -> bool:
    """Whether a marker at ``point`` (reaching ``reach`` either way) stays out of the band
    ``low``..``high`` (no marker: clear)."""
    return point is None or point + reach <= low or point - reach >= high


def _no_point_label(ser: etree._Element, idx: int) -> None:
    """No label for point ``idx`` of ``ser`` (a ``c:dLbl`` that deletes it)."""
    dlbl = ser.get_or_add_dLbls().get_or_add_dLbl_for_point(idx)
    for child in list(dlbl):
        if child.tag != qn("c:idx"):
            dlbl.remove(child)
    dlbl.append(parse_xml(f'<c:delete {nsdecls("c")} val="1"/>'))


def _move_series_to_line_chart(
    chart: Chart, series_index: int | list[int], group: str = "c:barChart"
) -> etree._Element:
    """Move ``c:ser`` elements (by position) of the chart's ``group`` (``c:barChart`` or
    ``c:areaChart``) into a new ``c:lineChart`` sharing its axes, placed right after it
    (CT_PlotArea: layout, the xCharts, the axes, spPr), so the lines draw on top.

    CT_LineChart order: grouping, varyColors, ser*, dLbls, dropLines, hiLowLines, upDownBars,
    marker, smooth, axId{2}. A series loses its bar-only parts (``c:invertIfNegative``,
    ``c:pictureOptions``, ``c:shape``); python-pptx adds the line-series parts
    (``c:marker``, ``c:smooth``) in CT_LineSer order afterwards.
    """
    plot_area = _plot_area(chart)
    source = plot_area.find(qn(group))
    every = source.findall(qn("c:ser"))
    indices = [series_index] if isinstance(series_index, int) else series_index
    line_chart = parse_xml(
        f'<c:lineChart {nsdecls("c")}><c:grouping val="standard"/><c:varyColors val="0"/>'
        f'<c:marker val="1"/></c:lineChart>'
    )
    for index in indices:
        ser = every[index]
        for tag in ("c:invertIfNegative", "c:pictureOptions", "c:shape"):
            for child in ser.findall(qn(tag)):
                ser.remove(child)
        line_chart.find(qn("c:marker")).addprevious(ser)
    for ax_id in source.findall(qn("c:axId")):
        line_chart.append(deepcopy(ax_id))
    source.addnext(line_chart)
    return line_chart


# ---------------------------------------------------------------------------------------------
# 2. Health trend: the health score in brand, its components in thin greys.
# ---------------------------------------------------------------------------------------------

#: The components' lines: muted hues apart from the brand and the RAG colours, each with its
#: own dash and marker, so they stay apart in print and for colour-blind readers.
_COMPONENT_STYLES: Final = (
    (RGBColor(0x6B, 0x5B, 0x95), MSO_LINE_DASH_STYLE.DASH, XL_MARKER_STYLE.SQUARE),
    (RGBColor(0x2F, 0x85, 0x80), MSO_LINE_DASH_STYLE.ROUND_DOT, XL_MARKER_STYLE.TRIANGLE),
    (RGBColor(0x8C, 0x6D, 0x4F), MSO_LINE_DASH_STYLE.LONG_DASH, XL_MARKER_STYLE.DIAMOND),
    (style.GREY, MSO_LINE_DASH_STYLE.DASH_DOT, XL_MARKER_STYLE.X),
)
#: RAG bands are the RAG colours this transparent (alpha, 1/1000 %): a tint behind the lines.
_BAND_ALPHA: Final = 14_000


def add_health_chart(
    slide: Any,
    box: style.Box,
    periods: list[str],
    series: list[tuple[str, list[float | None]]],
    *,
    value_axis_title: str,
    highlight_first: bool = True,
    rag_cuts: tuple[float, float] | None = None,
    band_names: tuple[str, str, str] = ("Red", "Amber", "Green"),
) -> GraphicFrame:
    """Health (0-100) over the periods with its components, over RAG bands.

    With ``highlight_first`` the first series is the health score: a thick brand line with
    markers and its latest value labelled. The others are components: thinner lines, each
    in its own muted hue with its own dash and marker (:data:`_COMPONENT_STYLES`). The value
    axis is fixed at 0-100 in steps of 20; the legend sits below the plot. ``None`` is a gap.

    ``rag_cuts`` (red_max, amber_max), the workbook's health thresholds, draws the red,
    amber and green zones (0 to red_max, to amber_max, to 100) behind the lines, named
    ``band_names`` in the legend: a stacked area chart of three band series (light tints of
    the RAG colours) with the lines moved into a ``c:lineChart`` on the same axes after it,
    so they draw on top (the technique of :func:`add_revenue_chart`).
    """
    if not series:
        raise ValueError("health chart: no series")
    _check_lengths("health chart", len(periods), *(values for _, values in series))
    data = _CategoryData(number_format="0")
    data.categories = periods
    bands = _rag_band_heights(rag_cuts) if rag_cuts is not None else []
    for name, height in zip(band_names, bands, strict=False):
        data.add_series(name, [height] * len(periods))
    for name, values in series:
        data.add_series(name, [_clean(v) for v in values])
    chart_type = XL_CHART_TYPE.AREA_STACKED if bands else XL_CHART_TYPE.LINE_MARKERS
    frame = _new_chart(slide, box, chart_type, data)
    chart = frame.chart
    if bands:
        _move_series_to_line_chart(
            chart,
            series_index=list(range(len(bands), len(bands) + len(series))),
            group="c:areaChart",
        )
        for band, colour in zip(chart.plots[0].series, _RAG_ORDER, strict=True):
            _tint(band._element, style.RAG[colour])
    plot = chart.plots[-1]
    plot.vary_by_categories = False

    lines = list(plot.series)
    components = lines[1:] if highlight_first else lines
    if highlight_first:
        health = lines[0]
        _solid_line(health, style.BRAND, Pt(3), MSO_LINE_DASH_STYLE.SOLID)
        _marker(health, style.BRAND, size=7)
        health.smooth = False
        values = [_clean(v) for v in series[0][1]]
        last = max((i for i, v in enumerate(values) if v is not None), default=None)
        if last is not None:
            _series_dlbls(health._element)
            _point_label(
                health._element,
                last,
                text=None,
                position=XL_LABEL_POSITION.ABOVE,
                colour=style.BRAND,
                size=CHART_TEXT,
                bold=True,
                background=True,
                number_format="0",
            )
    for i, line in enumerate(components):
        colour, dash, shape = _COMPONENT_STYLES[i % len(_COMPONENT_STYLES)]
        _solid_line(line, colour, Pt(1.5), dash)
        _marker(line, colour, size=5, shape=shape)
        line.smooth = False

    _style_category_axis(chart.category_axis)
    _style_value_axis(
        chart.value_axis,
        title=value_axis_title,
        number_format="0",
        vertical=True,
        minimum=0,
        maximum=100,
        major_unit=20,
        gridlines=not bands,
    )
    _set_legend(chart, show=True)
    return frame


#: The order of the RAG bands from the bottom of the health axis.
_RAG_ORDER: Final = ("Red", "Amber", "Green")


def _rag_band_heights(cuts: tuple[float, float]) -> list[float]:
    """The heights of the stacked red, amber and green bands on a 0-100 axis: 0 to
    red_max, red_max to amber_max, amber_max to 100 (thresholds clamped to 0-100)."""
    red, amber = (min(max(float(c), 0.0), 100.0) for c in cuts)
    amber = max(amber, red)
    return [red, amber - red, 100.0 - amber]


def _tint(ser: etree._Element, colour: RGBColor) -> None:
    """A band series' fill: ``colour`` very transparent, no outline."""
    _fill(ser, colour, _BAND_ALPHA)


# ---------------------------------------------------------------------------------------------
# 3. Portfolio matrix: bubbles on strength (x) x attractiveness (y), quadrant lines inside.
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Rect:
    """A rectangle in EMU, y growing downwards (slide coordinates)."""

    left: float
    top: float
    right: float
    bottom: float

    def overlap(self, other: _Rect) -> float:
        width = min(self.right, other.right) - max(self.left, other.left)
        height = min(self.bottom, other.bottom) - max(self.top, other.top)
        return width * height if width > 0 and height > 0 else 0.0

    def outside(self, bounds: _Rect) -> float:
        """The area of this rectangle that lies outside ``bounds``."""
        area = (self.right - self.left) * (self.bottom - self.top)
        return area - self.overlap(bounds)


#: Where a label may go around its bubble, in order of preference.
_LABEL_POSITIONS: Final = (
    XL_LABEL_POSITION.RIGHT,
    XL_LABEL_POSITION.LEFT,
    XL_LABEL_POSITION.ABOVE,
    XL_LABEL_POSITION.BELOW,
)


def _label_size(text: str, size: Length) -> tuple[float, float]:
    """Rough width and height of a one-line label in EMU (Calibri averages ~0.5 em a char;
    a little more is counted so that the rectangle holds the rendered text)."""
    return (len(text) * 0.52 + 0.8) * size, 1.4 * size


def _label_rect(
    position: XL_LABEL_POSITION, cx: float, cy: float, radius: float, w: float, h: float
) -> _Rect:
    gap = Pt(2)
    if position == XL_LABEL_POSITION.RIGHT:
        return _Rect(cx + radius + gap, cy - h / 2, cx + radius + gap + w, cy + h / 2)
    if position == XL_LABEL_POSITION.LEFT:
        return _Rect(cx - radius - gap - w, cy - h / 2, cx - radius - gap, cy + h / 2)
    if position == XL_LABEL_POSITION.ABOVE:
        return _Rect(cx - w / 2, cy - radius - gap - h, cx + w / 2, cy - radius - gap)
    return _Rect(cx - w / 2, cy + radius + gap, cx + w / 2, cy + radius + gap + h)


@dataclass(frozen=True, slots=True)
class _PlacedLabel:
    """A label the placement model kept: which point, on which side, and where (EMU)."""

    index: int
    position: XL_LABEL_POSITION
    rect: _Rect


def _place_labels(
    points: Sequence[tuple[str, float, float, float]],
    radii: Sequence[float],
    plot: _Rect,
    reserved: Sequence[_Rect],
    *,
    limit: int,
    bubble_scale: float = 0.7,
    first: Sequence[bool] | None = None,
) -> list[_PlacedLabel]:
    """The labels that fit: at most ``limit``, biggest bubbles first, each on the first side
    (right, left, above, below) where it overlaps no label already placed, no reserved
    rectangle (the quadrant names), no other bubble (its inner square, ``bubble_scale`` of the
    radius: a label may graze a round bubble's corner) and stays inside the plot. A point with
    no such side stays unlabelled: labels never overlap (decks.md "Charts stay readable").
    Points marked in ``first`` (key accounts) are tried before the others, biggest first.
    """
    centres = [
        (
            plot.left + x / 100 * (plot.right - plot.left),
            plot.bottom - y / 100 * (plot.bottom - plot.top),
        )
        for _, x, y, _ in points
    ]
    bubbles = [
        _Rect(
            cx - r * bubble_scale,
            cy - r * bubble_scale,
            cx + r * bubble_scale,
            cy + r * bubble_scale,
        )
        for (cx, cy), r in zip(centres, radii, strict=True)
    ]
    taken: list[_Rect] = list(reserved)
    kept: list[_PlacedLabel] = []
    ahead = first or [False] * len(points)
    for i in sorted(range(len(points)), key=lambda i: (not ahead[i], -points[i][3])):
        if len(kept) >= limit:
            break
        w, h = _label_size(points[i][0], LABEL_TEXT)
        cx, cy = centres[i]
        for position in _LABEL_POSITIONS:
            rect = _label_rect(position, cx, cy, radii[i], w, h)
            if rect.outside(plot) > 0 or any(rect.overlap(other) > 0 for other in taken):
                continue
            if any(rect.overlap(b) > 0 for j, b in enumerate(bubbles) if j != i):
                continue
            kept.append(_PlacedLabel(i, position, rect))
            taken.append(rect)
            break
    return kept


#: Bubble colours of the groups (tiers), best first: brand, a lighter brand, greys.
_GROUP_COLOURS: Final = (
    style.BRAND,
    _blend(style.BRAND, RGBColor(0xFF, 0xFF, 0xFF), 0.35),
    _blend(style.GREY, RGBColor(0xFF, 0xFF, 0xFF), 0.25),
    style.LINE,
)


@dataclass(frozen=True, slots=True)
class MatrixLabels:
    """What the matrix labelled: the names on the chart, and how many accounts it shows."""

    labelled: tuple[str, ...]
    shown: int


def _plot_frame(
    chart_box: style.Box, left: Length, right: Length, top: Length, bottom: Length
) -> tuple[tuple[float, float, float, float], _Rect]:
    """The inner plot of a chart in ``chart_box`` with these margins: as fractions of the
    box (x, y, width, height, for the manual layout) and as a rectangle in slide units (for
    placing labels)."""
    fx, fy = left / chart_box.width, top / chart_box.height
    fw = (chart_box.width - left - right) / chart_box.width
    fh = (chart_box.height - top - bottom) / chart_box.height
    plot = _Rect(
        chart_box.left + left,
        chart_box.top + top,
        chart_box.left + left + fw * chart_box.width,
        chart_box.top + top + fh * chart_box.height,
    )
    return (fx, fy, fw, fh), plot


def _pad(values: list[Any], length: int, blank: Any) -> list[Any]:
    return values + [blank] * (length - len(values))


def add_matrix_chart(
    slide: Any,
    box: style.Box,
    points: list[tuple[str, float, float, float]],
    *,
    cut_x: float,
    cut_y: float,
    x_title: str,
    y_title: str,
    quadrant_labels: dict[str, str] | None = None,
    series_name: str = "",
    groups: Sequence[str | None] | None = None,
    group_names: dict[str, str] | None = None,
    caption: Callable[[MatrixLabels], str] | None = None,
    size_label: Callable[[float], str] | None = None,
    key: Sequence[bool] | None = None,
) -> GraphicFrame:
    """The portfolio matrix as a bubble chart: one bubble per ``(name, x, y, size)`` with x =
    strength and y = attractiveness (both 0-100, clamped to the axes) and size = current
    revenue (a size of zero or less, or a missing one, is drawn as the smallest bubble, 1 %
    of the biggest). Points without x or y cannot be placed and are left out.

    ``groups`` gives each point's group (its tier), ``group_names`` the legend name of each
    group in legend order (brand for the first, lighter shades after; a point whose group is
    not named falls in a last group named ``series_name``). Without groups, one series named
    ``series_name`` and no legend.

    Techniques, all inside the chart so everything moves and resizes with it:

    - **Every series has the same number of points** (padded with blank points): LibreOffice
      (7.x) draws no bubble, or a dot, for a series when a later series has more points
      (the 3-account matrix rendered empty because of the 5-point helper series).
    - **Quadrant lines are the axes.** The horizontal axis crosses the vertical one at
      ``cut_y`` and the vertical axis crosses at ``cut_x`` (``c:crossesAt``), drawn as thin
      grey lines, with their tick labels kept at the plot edges (``tickLblPos="low"``); a
      thin grey frame closes the plot. LibreOffice draws no error bars on bubble charts.
    - **Bubble size.** Renderers draw the biggest bubble of a chart at a quarter of the
      plot's smaller side; PowerPoint would shrink that with ``c:bubbleScale`` but
      LibreOffice ignores it. So a helper series (the last) holds one invisible "scale"
      bubble (at the cut point) whose size makes the biggest account a bubble of
      :data:`_BUBBLE_FRACTION` of the default diameter in both, down to a quarter of that
      for hundreds of accounts so that they stay apart.
    - **Quadrant names** (``quadrant_labels`` keyed by :data:`QUADRANTS`): labels of
      invisible points of the helper series in the outer corners, small grey bold type.
    - **Account labels**: custom label text per point (names also in column D of the
      embedded sheet) on the accounts that can be labelled without any overlap, the ``key``
      accounts (a flag per point) first, then the others, each biggest first (at most
      :data:`MAX_LABELLED_POINTS`); the others are unlabelled points. ``caption``
      receives what was labelled and returns the line written under the chart (the size
      legend and "N accounts unlabelled"), in the deck's language.
    - **Size key** (``size_label`` formats a revenue): at the right of the caption line,
      circles for the biggest revenue and a round value below it, drawn at the diameters
      the renderers give those revenues (the same radius model that places the labels,
      checked against LibreOffice's rendering), each with its revenue beside it.
    """
    accounts, kinds, first = _matrix_points(points, groups, key)
    if not accounts:
        raise ValueError("matrix chart: no account with both x and y")
    biggest = max(size for *_, size in accounts)
    names = dict(group_names or {})
    order = [key for key in names if key in kinds] + (
        [None] if any(kind not in names for kind in kinds) else []
    )
    members = {
        key: [i for i, kind in enumerate(kinds) if (kind if kind in names else None) == key]
        for key in order
    }

    caption_h = _CAPTION_LINE * 2 if caption is not None or size_label is not None else 0
    legend_h = Pt(22) if groups is not None else 0
    chart_box = style.Box(box.left, box.top, box.width, box.height - caption_h)
    margin_left, margin_right, margin_top = Inches(0.7), Pt(14), Pt(10)
    margin_bottom = Inches(0.6) + legend_h
    (fx, fy, fw, fh), plot = _plot_frame(
        chart_box, margin_left, margin_right, margin_top, margin_bottom
    )
    plot_w, plot_h = plot.right - plot.left, plot.bottom - plot.top
    fraction = _bubble_fraction(len(accounts))

    corners = [(key, quadrant_labels[key]) for key in QUADRANTS if (quadrant_labels or {}).get(key)]
    length = max([1 + len(corners), *(len(m) for m in members.values())])
    data = _BubbleData(number_format="0")
    for key in order:
        series = data.add_series(
            names.get(key, series_name) if key else series_name, number_format="#,##0"
        )
        chosen = members[key]
        for i in chosen:
            series.add_data_point(*accounts[i][1:])
        for _ in range(length - len(chosen)):
            series.add_data_point(None, None, None)
        data.point_labels[series.index] = _pad([accounts[i][0] for i in chosen], length, "")
    helper = data.add_series(" / ".join(text for _, text in corners) or " ", number_format="0")
    helper.add_data_point(cut_x, cut_y, biggest / fraction**2)
    reserved: list[_Rect] = []
    corner_positions: list[XL_LABEL_POSITION] = []
    _, label_h = _label_size("X", LABEL_TEXT)
    dy = (label_h / 2 + Pt(4)) / plot_h * 100
    dx = Pt(4) / plot_w * 100
    spots = {
        "Star": (dx, 100 - dy, XL_LABEL_POSITION.RIGHT),
        "Strategic": (100 - dx, 100 - dy, XL_LABEL_POSITION.LEFT),
        "Streamline": (dx, dy, XL_LABEL_POSITION.RIGHT),
        "Status": (100 - dx, dy, XL_LABEL_POSITION.LEFT),
    }
    for key, text in corners:
        x, y, position = spots[key]
        helper.add_data_point(x, y, biggest * _TINY_BUBBLE)
        corner_positions.append(position)
        w, h = _label_size(text, LABEL_TEXT)
        cx, cy = plot.left + x / 100 * plot_w, plot.bottom - y / 100 * plot_h
        reserved.append(_label_rect(position, cx, cy, 0, w, h))
    for _ in range(length - 1 - len(corners)):
        helper.add_data_point(None, None, None)
    data.point_labels[helper.index] = _pad(["", *(text for _, text in corners)], length, "")

    frame = _new_chart(slide, chart_box, XL_CHART_TYPE.BUBBLE, data)
    chart = frame.chart
    _set_plot_layout(chart, fx, fy, fw, fh)
    # Written out although 100 is the default: the size comes from the scale bubble.
    _plot_area(chart).find(qn("c:bubbleChart")).get_or_add_bubbleScale().set("val", "100")
    *group_sers, helper_ser = chart._chartSpace.findall(
        ".//" + qn("c:bubbleChart") + "/" + qn("c:ser")
    )
    _hide_series(helper_ser)
    if corners:
        _series_dlbls(helper_ser)
        for idx, ((_, text), position) in enumerate(zip(corners, corner_positions, strict=True)):
            _point_label(
                helper_ser, idx + 1, text=text, position=position, colour=style.GREY, bold=True
            )

    max_radius = fraction * 0.25 * min(plot_w, plot_h) / 2
    radii = [max_radius * math.sqrt(size / biggest) for *_, size in accounts]
    placed = _place_labels(accounts, radii, plot, reserved, limit=MAX_LABELLED_POINTS, first=first)
    where = {label.index: label.position for label in placed}
    for n, (key, ser) in enumerate(zip(order, group_sers, strict=True)):
        colour = _GROUP_COLOURS[min(n, len(_GROUP_COLOURS) - 1)] if key else style.LINE
        if groups is None:
            colour = style.BRAND
        _bubble_fill(ser, colour)
        _series_dlbls(ser)
        for idx, i in enumerate(members[key]):
            if i in where:
                _point_label(ser, idx, text=accounts[i][0], position=where[i], colour=style.TEXT)

    x_axis, y_axis = _x_axis(chart), chart.value_axis
    for axis, title, vertical in ((x_axis, x_title, False), (y_axis, y_title, True)):
        _style_value_axis(
            axis,
            title=title,
            number_format="0",
            vertical=vertical,
            minimum=0,
            maximum=100,
            major_unit=25,
            gridlines=False,
        )
        _style_axis_line(axis, visible=True, width=Pt(1))
        axis.tick_label_position = XL_TICK_LABEL_POSITION.LOW
    y_axis.crosses_at = float(cut_y)  # the horizontal axis crosses the vertical at cut_y
    x_axis.crosses_at = float(cut_x)  # and the vertical axis crosses at cut_x
    _frame_plot_area(chart)
    _set_legend(chart, show=groups is not None)
    if groups is not None:
        _hide_legend_entries(chart, keep=set(range(len(order))))
    line = style.Box(box.left, chart_box.bottom, box.width, caption_h)
    if size_label is not None:
        keys = [(value, size_label(value)) for value in _size_key_values(biggest)]
        width = _size_key(slide, line, keys, max_radius, biggest)
        line = style.Box(line.left, line.top, max(line.width - width - Pt(12), 0), line.height)
    if caption is not None:
        result = MatrixLabels(tuple(accounts[p.index][0] for p in placed), len(accounts))
        _caption(slide, line, caption(result))
    return frame


def _size_key_values(biggest: float) -> list[float]:
    """The revenues of the size key: the biggest, and the round value (1, 2 or 5 x 10^k)
    at or below a quarter of it (a bubble of half its diameter)."""
    quarter = biggest / 4
    if quarter <= 0:
        return [biggest]
    power = 10.0 ** math.floor(math.log10(quarter))
    round_value = max(step * power for step in (1, 2, 5) if step * power <= quarter)
    return [biggest, round_value]


def _size_key(
    slide: Any,
    line: style.Box,
    keys: Sequence[tuple[float, str]],
    max_radius: float,
    biggest: float,
) -> int:
    """Draw the size key right-aligned in ``line``: per (revenue, text) a grey circle of the
    bubble diameter of that revenue and its text; returns the width used (EMU)."""
    gap = Pt(4)
    items = []
    for value, text in keys:
        diameter = 2 * max_radius * math.sqrt(value / biggest)
        width, _ = _label_size(text, LABEL_TEXT)
        items.append((diameter, _one_line(text), width))
    total = int(sum(d + gap + w + 2 * gap for d, _, w in items))
    x = line.right - total
    middle = line.top + line.height / 2
    for diameter, text, width in items:
        circle = slide.shapes.add_shape(
            MSO_SHAPE.OVAL,
            int(x),
            int(middle - diameter / 2),
            max(int(diameter), 1),
            max(int(diameter), 1),
        )
        circle.fill.solid()
        circle.fill.fore_color.rgb = _blend(style.GREY, _WHITE, 0.45)
        circle.line.fill.background()
        circle.shadow.inherit = False
        x += diameter + gap
        label = slide.shapes.add_textbox(int(x), int(line.top), int(width), int(line.height))
        frame = label.text_frame
        frame.word_wrap = False
        frame.vertical_anchor = MSO_ANCHOR.MIDDLE
        frame.margin_left = frame.margin_right = frame.margin_top = frame.margin_bottom = 0
        frame.text = text
        for run in frame.paragraphs[0].runs:
            _set_font(run.font, LABEL_TEXT, style.GREY)
        x += width + 2 * gap
    return total


def _matrix_points(
    points: list[tuple[str, float, float, float]],
    groups: Sequence[str | None] | None,
    key: Sequence[bool] | None,
) -> tuple[list[tuple[str, float, float, float]], list[str | None], list[bool]]:
    """The points that can be placed (x and y present), clamped to 0-100, with a size of at
    least 1 % of the biggest; and the group and the key flag of each."""
    for what, values in (("groups", groups), ("key flags", key)):
        if values is not None and len(values) != len(points):
            raise ValueError(f"matrix chart: {len(values)} {what} for {len(points)} points")
    kinds = list(groups) if groups is not None else [None] * len(points)
    flags = [bool(k) for k in key] if key is not None else [False] * len(points)
    kept = [
        (
            (
                _one_line(str(name)),  # as labelled: its size places the label
                min(max(fx, 0.0), 100.0),
                min(max(fy, 0.0), 100.0),
                _clean(size) or 0.0,
            ),
            kind,
            flag,
        )
        for (name, x, y, size), kind, flag in zip(points, kinds, flags, strict=True)
        if (fx := _clean(x)) is not None and (fy := _clean(y)) is not None
    ]
    biggest = max((p[3] for p, _, _ in kept), default=0.0)
    biggest = biggest if biggest > 0 else 1.0
    accounts = [(n, x, y, s if s > 0 else biggest * 0.01) for (n, x, y, s), _, _ in kept]
    return accounts, [kind for _, kind, _ in kept], [flag for *_, flag in kept]


def _bubble_fraction(count: int) -> float:
    """The biggest bubble's diameter as a fraction of the renderers' default: smaller as
    accounts get many (40 % up to 40 accounts, down to 15 % at 500 and more)."""
    if count <= 40:
        return _BUBBLE_FRACTION
    return max(0.15, _BUBBLE_FRACTION * math.sqrt(40 / count) * 1.5)


def _bubble_fill(ser: etree._Element, colour: RGBColor) -> None:
    """A bubble series' fill: ``colour`` at :data:`_BUBBLE_ALPHA`, a thin white outline so
    overlapping bubbles stay apart."""
    sp_pr = ser.get_or_add_spPr()
    for child in list(sp_pr):
        sp_pr.remove(child)
    sp_pr.append(
        parse_xml(
            f'<a:solidFill {nsdecls("a")}><a:srgbClr val="{_hex(colour)}">'
            f'<a:alpha val="{_BUBBLE_ALPHA}"/></a:srgbClr></a:solidFill>'
        )
    )
    sp_pr.append(parse_xml(_ln_xml(RGBColor(0xFF, 0xFF, 0xFF), Pt(0.5), declare=True)))


#: The height of a line of caption under a chart (9 pt type); a chart keeps two.
_CAPTION_LINE: Final = Pt(13)


def _caption(slide: Any, box: style.Box, text: str) -> None:
    """A one-line grey note under a chart (what it leaves unlabelled, its size key)."""
    if not text.strip():
        return
    shape = slide.shapes.add_textbox(box.left, box.top, box.width, box.height)
    frame = shape.text_frame
    frame.word_wrap = True
    frame.margin_left = frame.margin_right = frame.margin_top = frame.margin_bottom = 0
    frame.text = _one_line(text)
    for run in frame.paragraphs[0].runs:
        _set_font(run.font, LABEL_TEXT, style.GREY)


def _frame_plot_area(chart: Chart) -> None:
    """A thin grey frame around the plot (the matrix's outer edges)."""
    plot_area = _plot_area(chart)
    sp_pr = plot_area.find(qn("c:spPr"))
    for child in list(sp_pr):
        sp_pr.remove(child)
    sp_pr.append(parse_xml(f"<a:noFill {nsdecls('a')}/>"))
    sp_pr.append(parse_xml(_ln_xml(style.LINE, _HAIR_LINE, declare=True)))


def _x_axis(chart: Chart) -> Any:
    """The horizontal value axis of an XY or bubble chart (python-pptx's ``category_axis``
    returns it as a ValueAxis)."""
    return chart.category_axis


# ---------------------------------------------------------------------------------------------
# 4. Concentration: the Pareto (Lorenz-style) curve of cumulative revenue share.
# ---------------------------------------------------------------------------------------------


def add_pareto_chart(
    slide: Any,
    box: style.Box,
    account_share: list[float],
    revenue_share: list[float],
    *,
    x_title: str,
    y_title: str,
    marker_x: float | None = None,
    names: tuple[str, str] = ("", ""),
    marker_label: str | None = None,
    language: str = "en",
) -> GraphicFrame:
    """Cumulative revenue share (y) over the share of accounts (x), both 0-100 %.

    The curve is a brand line through the given points, starting at (0, 0) (added when the
    caller's first point is not the origin); a thin grey dashed diagonal shows an equal
    distribution. ``marker_x``, e.g. 0.2 for the top 20 % of accounts, puts a brand dot *on
    the curve*: its y is the curve's value there, interpolated linearly between the two
    points around it exactly as the straight segments are drawn (:func:`curve_value`). The
    dot is labelled with ``marker_label`` (or its y as a percentage) and has thin dashed
    guide lines to both axes, drawn as error bars. ``names`` are the legend entries of the
    curve and the diagonal; the legend shows only when both are given. Shares are fractions
    (0.2 = 20 %); the percent format is ``language``'s (:func:`chart_formats`).
    """
    _check_lengths("pareto chart", len(account_share), revenue_share)
    percent = chart_formats(language).percent
    pairs = [
        (fx, fy)
        for x, y in zip(account_share, revenue_share, strict=True)
        if (fx := _clean(x)) is not None and (fy := _clean(y)) is not None
    ]
    if not pairs or pairs[0] != (0.0, 0.0):
        pairs.insert(0, (0.0, 0.0))
    marker = None if marker_x is None else (float(marker_x), curve_value(pairs, marker_x))

    curve_name, diagonal_name = names
    data = _XyData(number_format=percent)
    curve = data.add_series(curve_name or y_title, number_format=percent)
    for x, y in pairs:
        curve.add_data_point(x, y)
    diagonal = data.add_series(diagonal_name or x_title, number_format=percent)
    diagonal.add_data_point(0.0, 0.0)
    diagonal.add_data_point(1.0, 1.0)
    if marker is not None:
        point = data.add_series(marker_label or " ", number_format=percent)
        point.add_data_point(*marker)

    frame = _new_chart(slide, box, XL_CHART_TYPE.XY_SCATTER_LINES_NO_MARKERS, data)
    chart = frame.chart
    plot = chart.plots[0]
    plot.vary_by_categories = False
    lines = list(plot.series)
    _solid_line(lines[0], style.BRAND, _MAIN_LINE, MSO_LINE_DASH_STYLE.SOLID)
    _marker(lines[0], None)
    lines[0].smooth = False
    _solid_line(lines[1], style.GREY, _HAIR_LINE, MSO_LINE_DASH_STYLE.DASH)
    _marker(lines[1], None)
    lines[1].smooth = False
    if marker is not None:
        dot = lines[2]
        dot.format.line.fill.background()
        _marker(dot, style.BRAND, size=8)
        dot.smooth = False
        ser = dot._element
        _series_dlbls(ser)
        _point_label(
            ser,
            0,
            text=marker_label,
            position=XL_LABEL_POSITION.RIGHT if marker[0] < 0.7 else XL_LABEL_POSITION.LEFT,
            colour=style.BRAND,
            size=CHART_TEXT,
            bold=True,
            background=True,
            number_format=percent,
        )
        _add_err_bars(
            ser, _err_bars_xml("x", "minus", marker[0], style.GREY, _HAIR_LINE, "sysDash")
        )
        _add_err_bars(
            ser, _err_bars_xml("y", "minus", marker[1], style.GREY, _HAIR_LINE, "sysDash")
        )

    for axis, title, vertical in (
        (_x_axis(chart), x_title, False),
        (chart.value_axis, y_title, True),
    ):
        _style_value_axis(
            axis,
            title=title,
            number_format=percent,
            vertical=vertical,
            minimum=0,
            maximum=1,
            major_unit=0.2,
            gridlines=vertical,
        )
    _set_legend(chart, show=bool(curve_name and diagonal_name))
    if chart.has_legend:
        _hide_legend_entries(chart, keep={0, 1})
    return frame


def curve_value(points: Sequence[tuple[float, float]], x: float) -> float:
    """The y of a curve of straight segments through ``points`` (sorted by x) at ``x``:
    linear between the two points around it, the end value beyond either end."""
    if not points:
        raise ValueError("curve_value: no points")
    if x <= points[0][0]:
        return points[0][1]
    for (x0, y0), (x1, y1) in pairwise(points):
        if x0 <= x <= x1:
            return y0 if x1 == x0 else y0 + (y1 - y0) * (x - x0) / (x1 - x0)
    return points[-1][1]


# ---------------------------------------------------------------------------------------------
# 5. Bars with an optional norm band (e.g. 5-15 key accounts per KAM).
# ---------------------------------------------------------------------------------------------


def add_bar_chart(
    slide: Any,
    box: style.Box,
    categories: list[str],
    values: list[float],
    *,
    value_axis_title: str,
    number_format: str = "0",
    band: tuple[float, float] | None = None,
    horizontal: bool = True,
    names: tuple[str, str] = ("", ""),
) -> GraphicFrame:
    """Brand bars with value labels; horizontal bars read top to bottom in the given order.

    ``band`` (low, high), e.g. the norm of 5-15 key accounts per KAM, is drawn as a shaded
    band from ``low`` to ``high`` behind every bar. All series are one clustered bar group
    whose bars overlap fully (``c:overlap`` 100, later series drawn on top) with a narrow
    gap, so the rows' bands read as one stripe: first the band series (``high``, a
    translucent grey), then a white base series (``low``) that blanks the band below
    ``low``, then the values (brand) over both.

    Why this way: it is native chart content (it moves, resizes and reorders with the bars
    and survives "Edit data") and it renders the same in PowerPoint and LibreOffice: a
    stacked band needs a second bar group on secondary axes, which LibreOffice scales and
    draws on its own (it shows the hidden axes and shares one gap width per axis group;
    tried again), and error-bar whiskers are a line, not a band. The value axis maximum is
    fixed to leave room for the band's upper end and the labels, with gridlines every fifth
    of it. ``names`` are the series names of the values and of the band (in the legend and
    the embedded sheet).
    """
    _check_lengths("bar chart", len(categories), values)
    cleaned = [_clean(v) for v in values]
    value_name, band_name = names
    data = _CategoryData(number_format=number_format)
    data.categories = categories
    maximum = None
    if band is not None:
        low, high = sorted((float(band[0]), float(band[1])))
        data.add_series(band_name or f"{low:g}-{high:g}", [high] * len(categories))
        data.add_series(" ", [low] * len(categories))
        top = max([high, *(v for v in cleaned if v is not None)])
        maximum = _nice_ceiling(top * 1.1)
    data.add_series(value_name or value_axis_title, cleaned)
    chart_type = XL_CHART_TYPE.BAR_CLUSTERED if horizontal else XL_CHART_TYPE.COLUMN_CLUSTERED
    frame = _new_chart(slide, box, chart_type, data)
    chart = frame.chart
    plot = chart.plots[0]
    plot.vary_by_categories = False
    if band is not None:
        plot.overlap = 100
        shade, base, bars = plot.series
        for series, colour, alpha in ((shade, style.GREY, 20_000), (base, _WHITE, 100_000)):
            series.invert_if_negative = False
            _fill(series._element, colour, alpha)
    else:
        (bars,) = plot.series
    plot.gap_width = 20 if band is not None else 80
    bars.invert_if_negative = False
    bars.format.fill.solid()
    bars.format.fill.fore_color.rgb = style.BRAND
    bars.format.line.fill.background()
    _label_series(
        bars.data_labels, number_format=number_format, position=XL_LABEL_POSITION.OUTSIDE_END
    )

    category_axis, value_axis = chart.category_axis, chart.value_axis
    _style_category_axis(category_axis)
    _style_value_axis(
        value_axis,
        title=value_axis_title,
        number_format=number_format,
        vertical=not horizontal,
        minimum=0,
        maximum=maximum,
        major_unit=None if maximum is None else _nice_ceiling(maximum / 5),
    )
    if horizontal:
        # First category on top; the value axis then crosses at the last (bottom) category.
        category_axis.reverse_order = True
        value_axis._element.find(qn("c:crosses")).set("val", "max")
    _set_legend(chart, show=band is not None)
    if band is not None:
        _hide_legend_entries(chart, keep={0, 2})
    return frame


_WHITE: Final = RGBColor(0xFF, 0xFF, 0xFF)


def _fill(ser: etree._Element, colour: RGBColor, alpha: int) -> None:
    """A series' fill: ``colour`` at ``alpha`` (1/1000 %), no outline."""
    sp_pr = ser.get_or_add_spPr()
    for child in list(sp_pr):
        sp_pr.remove(child)
    sp_pr.append(
        parse_xml(
            f'<a:solidFill {nsdecls("a")}><a:srgbClr val="{_hex(colour)}">'
            f'<a:alpha val="{alpha}"/></a:srgbClr></a:solidFill>'
        )
    )
    sp_pr.append(parse_xml(f"<a:ln {nsdecls('a')}><a:noFill/></a:ln>"))


def _nice_ceiling(value: float) -> float:
    """The smallest of 1, 2, 2.5, 5 x 10^k that is at least ``value`` (an axis maximum)."""
    if value <= 0:
        return 1.0
    power = 10.0 ** math.floor(math.log10(value))
    return next(step * power for step in (1, 2, 2.5, 5, 10) if step * power >= value)


def _hide_legend_entries(chart: Chart, *, keep: set[int]) -> None:
    """Delete the legend entries of every series except those whose ``c:idx`` is in ``keep``
    (CT_Legend order: legendPos, legendEntry*, layout, overlay, spPr, txPr)."""
    legend = chart._chartSpace.find(qn("c:chart")).find(qn("c:legend"))
    position = legend.find(qn("c:legendPos"))
    indices = sorted(
        int(ser.find(qn("c:idx")).get("val")) for ser in _plot_area(chart).iter(qn("c:ser"))
    )
    for idx in reversed([i for i in indices if i not in keep]):
        position.addnext(
            parse_xml(
                f'<c:legendEntry {nsdecls("c")}><c:idx val="{idx}"/><c:delete val="1"/>'
                f"</c:legendEntry>"
            )
        )


# ---------------------------------------------------------------------------------------------
# Revenue bridge: stacked columns on an invisible base (a waterfall any PowerPoint can edit).
# ---------------------------------------------------------------------------------------------

#: The steps of a bridge take at least this share of the value axis: when they are smaller
#: (a stable portfolio), the axis starts above zero and the slide says so.
_BRIDGE_MOVEMENT_SHARE: Final = 0.25


def bridge_axis_floor(bases: Sequence[float], steps: Sequence[float]) -> float:
    """Where the bridge's value axis starts: 0, unless the running total never comes near
    it and the steps would be slivers (they span less than a quarter of the highest bar);
    then a round number below the lowest point of the bridge, so the steps fill about
    two thirds of the plot. The caller states a floor above 0 under the chart."""
    tops = [base + step for base, step in zip(bases, steps, strict=True)]
    highest = max(tops)
    lowest = min(min(b for b in bases[1:-1]), steps[0], steps[-1])
    movement = highest - lowest
    if highest <= 0 or lowest <= 0 or movement >= _BRIDGE_MOVEMENT_SHARE * highest:
        return 0.0
    floor = lowest - max(movement, highest * 0.02) * 0.5
    power = 10.0 ** math.floor(math.log10(max(highest - floor, 1e-9)))
    return max(0.0, math.floor(floor / power) * power)


def _signed_format(number_format: str, sign: str) -> str:
    """``number_format`` with a literal ``sign`` before the number in every section
    (after a section's condition such as ``[>=1000]``): a step's label reads +1,200 or
    −400 while its bar holds the positive amount."""
    sections = []
    for section in number_format.split(";"):
        condition = section[: section.index("]") + 1] if section.startswith("[") else ""
        sections.append(f'{condition}"{sign}"{section[len(condition) :]}')
    return ";".join(sections)


def add_bridge_chart(
    slide: Any,
    box: style.Box,
    categories: list[str],
    bases: Sequence[float],
    steps: Sequence[float],
    *,
    names: tuple[str, str, str],
    value_axis_title: str,
    number_format: str,
    scale: float = 1000.0,
) -> GraphicFrame:
    """A revenue bridge: previous total, lost, contraction, expansion, new, current total.

    Six categories; ``steps`` the six amounts (each ≥ 0) and ``bases`` where each floats
    (0 for the totals), both in the currency, divided by ``scale`` for the chart (k€).
    Stacked columns: an invisible base series (no fill, no line, no label, out of the
    legend) carries each step to its height; the totals are brand columns, the down steps
    (lost, contraction) :data:`~kamxl.deck.style.STEP_DOWN`, the up steps (expansion, new)
    :data:`~kamxl.deck.style.STEP_UP`. Their labels use ``number_format`` (the deck's, fr
    ``6 000``), the steps signed (−400, +1,200). A step of 0 has no bar and no label.
    ``names`` are the series names (totals, down, up) of the legend and the embedded sheet.

    Why not Office 2016's waterfall (``cx:chart``): python-pptx cannot write it, it is not
    a chart in PowerPoint 2013 or earlier, and LibreOffice draws nothing for it. This one is
    a plain stacked column chart: "Edit data" in any PowerPoint shows the base and the
    steps. The value axis starts at :func:`bridge_axis_floor`.
    """
    _check_lengths("bridge chart", 6, categories, bases, steps)
    if len(categories) != 6:
        raise ValueError("a bridge chart has six categories")
    scaled_steps = [float(v) / scale for v in steps]
    scaled_bases = [float(v) / scale for v in bases]
    floor = bridge_axis_floor(scaled_bases, scaled_steps)

    def only(indexes: tuple[int, ...]) -> list[float | None]:
        return [scaled_steps[i] if i in indexes and scaled_steps[i] > 0 else None for i in range(6)]

    data = _CategoryData(number_format=number_format)
    data.categories = categories
    data.add_series(" ", [None, *scaled_bases[1:5], None])
    data.add_series(names[0], only((0, 5)))
    data.add_series(names[1], only((1, 2)))
    data.add_series(names[2], only((3, 4)))
    frame = _new_chart(slide, box, XL_CHART_TYPE.COLUMN_STACKED, data)
    chart = frame.chart
    plot = chart.plots[0]
    plot.vary_by_categories = False
    plot.gap_width = 50
    plot.overlap = 100
    base, totals, downs, ups = plot.series
    _hide_series(base._element)
    base.invert_if_negative = False
    for series, colour, sign in ((totals, style.BRAND, ""), (downs, style.STEP_DOWN, "−"),
                                 (ups, style.STEP_UP, "+")):  # fmt: skip
        series.invert_if_negative = False
        _fill(series._element, colour, 100_000)
        _label_series(
            series.data_labels,
            number_format=_signed_format(number_format, sign) if sign else number_format,
            position=XL_LABEL_POSITION.INSIDE_END if not sign else XL_LABEL_POSITION.CENTER,
            colour=_WHITE if not sign else style.TEXT,
        )
        if sign:
            _label_background(series.data_labels._element)
    _style_category_axis(chart.category_axis)
    _style_value_axis(
        chart.value_axis,
        title=value_axis_title,
        number_format=number_format,
        vertical=True,
        minimum=floor,
    )
    _set_legend(chart, show=True)
    _hide_legend_entries(chart, keep={1, 2, 3})
    return frame


# ---------------------------------------------------------------------------------------------
# 6. Relationship map: stakeholders by attitude (x, in words) and power (y).
# ---------------------------------------------------------------------------------------------

#: The attitude scale of the Stakeholders sheet (schema: -2 opponent ... 2 mentor).
ATTITUDES: Final = (-2, -1, 0, 1, 2)
#: The map names at most this many people (the most powerful); the others are points.
MAX_LABELLED_PEOPLE: Final = 20
#: Power tick labels 1-5 only: the axis runs 0-6 to leave room for labels at both ends.
_POWER_FORMAT: Final = '[<0.5]"";[>5.5]"";0'


@dataclass(frozen=True, slots=True)
class MapLabels:
    """What the relationship map labelled: the names on the chart, and how many it shows."""

    labelled: tuple[str, ...]
    shown: int


def _spread(people: Sequence[tuple[str, float, float, bool]]) -> list[tuple[float, float]]:
    """Each person's point, people on the same (attitude, power) spread side by side around
    it (at most half a step wide), so that no point hides another."""
    groups: dict[tuple[float, float], list[int]] = {}
    for i, (_, attitude, power, _) in enumerate(people):
        groups.setdefault((attitude, power), []).append(i)
    points: list[tuple[float, float]] = [(0.0, 0.0)] * len(people)
    for (attitude, power), members in groups.items():
        step = min(0.16, 0.5 / max(len(members) - 1, 1))
        for j, i in enumerate(members):
            points[i] = (attitude + (j - (len(members) - 1) / 2) * step, power)
    return points


def add_relationship_chart(
    slide: Any,
    box: style.Box,
    people: Sequence[tuple[str, float, float, bool]],
    *,
    attitude_names: Sequence[str],
    x_title: str,
    y_title: str,
    stale_name: str = "",
    caption: Callable[[MapLabels], str] | None = None,
) -> GraphicFrame:
    """The relationship map: one point per ``(name, attitude, power, stale)``, attitude (x)
    on the workbook's scale -2 (opponent) to 2 (mentor), power (y) 1 to 5; people not seen
    for 90+ days (``stale``) in grey (their own series, named ``stale_name``), the others in
    brand (named ``y_title``).

    - **Attitude in words.** The x axis has no tick labels; the five ``attitude_names``
      (for -2 ... 2, in the deck's language) are the labels of an invisible helper series
      on the bottom edge, written below it, so they stand under their columns outside the
      plot. The columns are split by light grey gridlines at the half steps.
    - **Integer power ticks outside the plot.** The y axis runs 0-6 in steps of 1 with its
      labels at the plot's left edge; a conditional number format hides 0 and 6.
    - **Labels never overlap.** Points sharing a spot are spread side by side
      (:func:`_spread`); names go on the most powerful people first, each on the first side
      (right, left, above, below) free of other labels and points and inside the plot, at
      most :data:`MAX_LABELLED_PEOPLE`; the rest stay unlabelled points. ``caption``
      receives what was labelled and returns the line written under the chart.
    """
    if not people:
        raise ValueError("relationship chart: no stakeholder with attitude and power")
    if len(attitude_names) != len(ATTITUDES):
        raise ValueError(f"relationship chart: {len(attitude_names)} attitude names, not 5")
    people = [(_one_line(str(n)), float(a), float(p), bool(s)) for n, a, p, s in people]
    points = _spread(people)
    caption_h = _CAPTION_LINE * 2 if caption is not None else 0
    chart_box = style.Box(box.left, box.top, box.width, box.height - caption_h)
    margin_left, margin_right, margin_top, margin_bottom = Inches(0.6), Pt(10), Pt(6), Inches(0.55)
    (fx, fy, fw, fh), plot = _plot_frame(
        chart_box, margin_left, margin_right, margin_top, margin_bottom
    )

    seen = [i for i, (*_, stale) in enumerate(people) if not stale]
    stale = [i for i, (*_, stale) in enumerate(people) if stale]
    groups = [
        (name, members, colour)
        for name, members, colour in (
            (y_title, seen, style.BRAND),
            (stale_name or y_title, stale, style.GREY),
        )
        if members
    ]
    # every series of one length, as in the matrix: LibreOffice draws no point of a scatter
    # series when a later one has more points (25 people, 13 of them not seen: none in brand)
    length = max(len(ATTITUDES), *(len(members) for _, members, _ in groups))
    data = _XyData(number_format="0")
    for name, members, _ in groups:
        series = data.add_series(name)
        for i in members:
            series.add_data_point(*points[i])
        for _ in range(length - len(members)):
            series.add_data_point(None, None)
    words = data.add_series(x_title)
    for attitude in ATTITUDES:
        words.add_data_point(float(attitude), 0.0)
    for _ in range(length - len(ATTITUDES)):
        words.add_data_point(None, None)
    frame = _new_chart(slide, chart_box, XL_CHART_TYPE.XY_SCATTER, data)
    chart = frame.chart
    _set_plot_layout(chart, fx, fy, fw, fh)
    *people_series, word_series = chart.plots[0].series
    for series, (_, _, colour) in zip(people_series, groups, strict=True):
        series.format.line.fill.background()
        _marker(series, colour, size=9)
    word_series.format.line.fill.background()
    _marker(word_series, None)
    _series_dlbls(word_series._element)
    for idx, name in enumerate(attitude_names):
        _point_label(
            word_series._element,
            idx,
            text=name,
            position=XL_LABEL_POSITION.BELOW,
            colour=style.GREY,
            size=CHART_TEXT,
        )

    placed = _place_map_labels(people, points, plot)
    where = {label.index: label.position for label in placed}
    for series, (_, members, _) in zip(people_series, groups, strict=True):
        _series_dlbls(series._element)
        for idx, i in enumerate(members):
            if i in where:
                _point_label(
                    series._element, idx, text=people[i][0], position=where[i], colour=style.TEXT
                )

    x_axis, y_axis = _x_axis(chart), chart.value_axis
    _style_value_axis(
        x_axis,
        title="",
        number_format="0",
        vertical=False,
        minimum=-2.5,
        maximum=2.5,
        major_unit=1,
    )
    x_axis.tick_label_position = XL_TICK_LABEL_POSITION.NONE
    _style_value_axis(
        y_axis,
        title=y_title,
        number_format=_POWER_FORMAT,
        vertical=True,
        minimum=0,
        maximum=6,
        major_unit=1,
    )
    y_axis.tick_label_position = XL_TICK_LABEL_POSITION.LOW
    x_axis.crosses_at = -2.5  # the power axis at the left edge,
    y_axis.crosses_at = 0.0  # the attitude axis at the bottom
    _frame_plot_area(chart)
    _set_legend(chart, show=False)
    if caption is not None:
        shown = MapLabels(tuple(people[p.index][0] for p in placed), len(people))
        _caption(slide, style.Box(box.left, chart_box.bottom, box.width, caption_h), caption(shown))
    return frame


def _place_map_labels(
    people: Sequence[tuple[str, float, float, bool]],
    points: Sequence[tuple[float, float]],
    plot: _Rect,
) -> list[_PlacedLabel]:
    """The map's labels, most powerful people first (:func:`_place_labels` on the map's
    axes: attitude -2.5..2.5 and power 0..6 as 0-100). A label stays on its person's side
    of the neutral column: the gridlines at -0.5 and 0.5 are reserved, so a long name never
    runs from a supporter into the neutral column or across it (where it would read as the
    other camp); a name that fits nowhere is left off the map, counted in the caption."""
    scaled = [
        (name, (x + 2.5) / 5 * 100, y / 6 * 100, power)
        for (name, _, power, _), (x, y) in zip(people, points, strict=True)
    ]
    radius = Pt(4.5)
    return _place_labels(
        scaled,
        [radius] * len(scaled),
        plot,
        _column_lines(plot),
        limit=MAX_LABELLED_PEOPLE,
        bubble_scale=1.0,
    )


def _column_lines(plot: _Rect) -> list[_Rect]:
    """The gridlines either side of the map's neutral column (attitude -0.5 and 0.5 of the
    axis -2.5..2.5), as thin rectangles no label may overlap."""
    width = plot.right - plot.left
    half = Pt(0.5)
    return [
        _Rect(x - half, plot.top, x + half, plot.bottom)
        for x in (plot.left + (edge + 2.5) / 5 * width for edge in (-0.5, 0.5))
    ]


# ---------------------------------------------------------------------------------------------
# 7. Reading a chart back.
# ---------------------------------------------------------------------------------------------


def chart_data_values(graphic_frame: GraphicFrame) -> dict[str, list[float | None]]:
    """Series name -> cached values (y values for XY and bubble series; ``None`` for a gap),
    over every plot of the chart in document order. A repeated name gets `` #2``, `` #3``."""
    result: dict[str, list[float | None]] = {}
    for plot in graphic_frame.chart.plots:
        for series in plot.series:
            key, n = series.name, 2
            while key in result:
                key, n = f"{series.name} #{n}", n + 1
            result[key] = list(series.values)
    return result

"""Native charts (kamxl.deck.charts): built on a 16:9 slide, saved, reopened and read back.

Each chart is checked for what a reader sees (types, series, gaps, axes, labels, legend), for
its embedded workbook (every cell a chart formula points at holds the cached value), and for
the element order of its XML against the chart schema (ECMA-376 ``dml-chart.xsd``), since an
element out of order makes PowerPoint "repair" (drop) the chart.
"""

from __future__ import annotations

import io
import itertools
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from lxml import etree
from pptx import Presentation
from pptx.chart.plot import BarPlot, BubblePlot, LinePlot, XyPlot
from pptx.enum.chart import (
    XL_CHART_TYPE,
    XL_LABEL_POSITION,
    XL_LEGEND_POSITION,
    XL_TICK_LABEL_POSITION,
)
from pptx.enum.shapes import MSO_SHAPE_TYPE
from pptx.oxml.ns import qn
from pptx.util import Pt

from kamxl.deck import charts, style

C = "http://schemas.openxmlformats.org/drawingml/2006/chart"
A = "http://schemas.openxmlformats.org/drawingml/2006/main"
NS = {"c": C, "a": A}

PERIODS = [f"{year}-Q{q}" for year in (2025, 2026) for q in (1, 2, 3, 4)]
ACTUAL = [420_000.0, 515_500.0, 610_200.0, 1_230_000.0, 1_480_000.0, 1_720_900.0, None, None]
FORECAST = [None, None, 650_000.0, 1_100_000.0, 1_500_000.0, 1_650_000.0, 1_850_000.0, 1_990_000.0]
HEALTH = [
    ("Health", [52.0, 58.0, 61.0, 66.0, 70.0, 74.0, 79.0, 83.0]),
    ("Engagement", [45.0, 50.0, 55.0, 62.0, 68.0, 72.0, 80.0, 88.0]),
    ("Satisfaction", [60.0, 62.0, 58.0, 64.0, 70.0, 76.0, 78.0, 81.0]),
    ("Adoption", [40.0, 48.0, 55.0, 60.0, None, 70.0, 75.0, 82.0]),
    ("Payment", [85.0, 88.0, 90.0, 86.0, 84.0, 87.0, 89.0, 90.0]),
]
ACCOUNTS = [
    (f"Account {i:02d}", 5.0 + (i * 37) % 90, 5.0 + (i * 53) % 90, 100_000.0 + 95_000.0 * i)
    for i in range(20)
]
QUADRANT_LABELS = {q: f"{q} quadrant" for q in charts.QUADRANTS}
TIERS = ["A" if i % 3 == 0 else "B" if i % 3 == 1 else None for i in range(len(ACCOUNTS))]
TIER_NAMES = {"A": "Tier A", "B": "Tier B", "C": "Tier C"}
RAG_CUTS = (40.0, 70.0)
BAND_NAMES = ("Red ≤ 40", "Amber ≤ 70", "Green > 70")
ATTITUDE_NAMES = ["Opponent", "Non-supporter", "Neutral", "Supporter", "Mentor"]
#: 40 stakeholders on 25 spots (attitude x power), every fifth not seen for 90+ days.
PEOPLE = [
    (f"Person {i:02d} Lastname", (i * 7) % 5 - 2, 1 + (i * 3) % 5, i % 5 == 0) for i in range(40)
]

# ---------------------------------------------------------------------------------------------
# Element order from the chart schema: for each complex type, its children in sequence order.
# Choices are flattened into the sequence at their place (members of one choice share a rank).
# ---------------------------------------------------------------------------------------------

_CHARTS = [
    "areaChart", "area3DChart", "lineChart", "line3DChart", "stockChart", "radarChart",
    "scatterChart", "pieChart", "pie3DChart", "doughnutChart", "barChart", "bar3DChart",
    "ofPieChart", "surfaceChart", "surface3DChart", "bubbleChart",
]  # fmt: skip
_AXES = ["valAx", "catAx", "dateAx", "serAx"]
#: CT_PlotArea: layout?, (a chart group)+, (an axis)*, dTable?, spPr?, extLst?
PLOT_AREA_ORDER: list[list[str]] = [["layout"], _CHARTS, _AXES, ["dTable"], ["spPr"], ["extLst"]]
_AX_HEAD = [
    "axId", "scaling", "delete", "axPos", "majorGridlines", "minorGridlines", "title", "numFmt",
    "majorTickMark", "minorTickMark", "tickLblPos", "spPr", "txPr", "crossAx",
    ["crosses", "crossesAt"],
]  # fmt: skip
_GROUP_DLBLS = [
    "numFmt", "spPr", "txPr", "dLblPos", "showLegendKey", "showVal", "showCatName",
    "showSerName", "showPercent", "showBubbleSize", "separator",
]  # fmt: skip
ORDER: dict[str, list[Any]] = {
    "chartSpace": [
        "date1904", "lang", "roundedCorners", "AlternateContent", "style", "clrMapOvr",
        "pivotSource", "protection", "chart", "spPr", "txPr", "externalData", "printSettings",
        "userShapes", "extLst",
    ],
    "chart": [
        "title", "autoTitleDeleted", "pivotFmts", "view3D", "floor", "sideWall", "backWall",
        "plotArea", "legend", "plotVisOnly", "dispBlanksAs", "showDLblsOverMax", "extLst",
    ],
    "plotArea": PLOT_AREA_ORDER,
    "barChart": [
        "barDir", "grouping", "varyColors", "ser", "dLbls", "gapWidth", "overlap", "serLines",
        "axId", "extLst",
    ],
    "lineChart": [
        "grouping", "varyColors", "ser", "dLbls", "dropLines", "hiLowLines", "upDownBars",
        "marker", "smooth", "axId", "extLst",
    ],
    "areaChart": ["grouping", "varyColors", "ser", "dLbls", "dropLines", "axId", "extLst"],
    "scatterChart": ["scatterStyle", "varyColors", "ser", "dLbls", "axId", "extLst"],
    "bubbleChart": [
        "varyColors", "ser", "dLbls", "bubble3D", "bubbleScale", "showNegBubbles",
        "sizeRepresents", "axId", "extLst",
    ],
    "barChart/ser": [
        "idx", "order", "tx", "spPr", "invertIfNegative", "pictureOptions", "dPt", "dLbls",
        "trendline", "errBars", "cat", "val", "shape", "extLst",
    ],
    "lineChart/ser": [
        "idx", "order", "tx", "spPr", "marker", "dPt", "dLbls", "trendline", "errBars", "cat",
        "val", "smooth", "extLst",
    ],
    "areaChart/ser": [
        "idx", "order", "tx", "spPr", "pictureOptions", "dPt", "dLbls", "trendline", "errBars",
        "cat", "val", "extLst",
    ],
    "scatterChart/ser": [
        "idx", "order", "tx", "spPr", "marker", "dPt", "dLbls", "trendline", "errBars", "xVal",
        "yVal", "smooth", "extLst",
    ],
    "bubbleChart/ser": [
        "idx", "order", "tx", "spPr", "invertIfNegative", "dPt", "dLbls", "trendline",
        "errBars", "xVal", "yVal", "bubbleSize", "bubble3D", "extLst",
    ],
    "dLbls": ["dLbl", "delete", *_GROUP_DLBLS, "showLeaderLines", "leaderLines", "extLst"],
    "dLbl": ["idx", "delete", "layout", "tx", *_GROUP_DLBLS, "extLst"],
    "errBars": [
        "errDir", "errBarType", "errValType", "noEndCap", "plus", "minus", "val", "spPr",
        "extLst",
    ],
    "valAx": [*_AX_HEAD, "crossBetween", "majorUnit", "minorUnit", "dispUnits", "extLst"],
    "catAx": [
        *_AX_HEAD, "auto", "lblAlgn", "lblOffset", "tickLblSkip", "tickMarkSkip",
        "noMultiLvlLbl", "extLst",
    ],
    "legend": ["legendPos", "legendEntry", "layout", "overlay", "spPr", "txPr", "extLst"],
    "scaling": ["logBase", "orientation", "max", "min", "extLst"],
    "manualLayout": ["layoutTarget", "xMode", "yMode", "wMode", "hMode", "x", "y", "w", "h"],
}  # fmt: skip


def _rank(order: list[Any], name: str) -> int | None:
    for rank, entry in enumerate(order):
        if name == entry or (isinstance(entry, list) and name in entry):
            return rank
    return None


def schema_order_errors(root: etree._Element) -> list[str]:
    """Every element of the chart namespace whose children are out of schema order."""
    errors = []
    for element in root.iter(f"{{{C}}}*"):
        name = etree.QName(element).localname
        if name == "ser":
            name = f"{etree.QName(element.getparent()).localname}/ser"
        order = ORDER.get(name)
        if order is None:
            continue
        ranks = []
        for child in element:
            if not isinstance(child.tag, str):
                continue
            rank = _rank(order, etree.QName(child).localname)
            if rank is None:
                errors.append(f"{name}: unexpected {etree.QName(child).localname}")
                continue
            ranks.append((rank, etree.QName(child).localname))
        for (r1, n1), (r2, n2) in itertools.pairwise(ranks):
            if r2 < r1:
                errors.append(f"{name}: {n2} after {n1}")
    return errors


# ---------------------------------------------------------------------------------------------
# Fixtures: one deck with every chart, saved and reopened.
# ---------------------------------------------------------------------------------------------


def new_presentation() -> Any:
    prs = Presentation()
    prs.slide_width, prs.slide_height = style.SLIDE_WIDTH, style.SLIDE_HEIGHT
    return prs


def blank_slide(prs: Any) -> Any:
    layout = prs.slide_layouts[6]
    assert layout.name == "Blank"
    return prs.slides.add_slide(layout)


BUILDERS: dict[str, Callable[[Any], Any]] = {
    "revenue": lambda slide: charts.add_revenue_chart(
        slide,
        style.CONTENT,
        PERIODS,
        ACTUAL,
        FORECAST,
        names=("Actual", "Forecast"),
        value_axis_title="Revenue (k€)",
        number_format="#,##0",
    ),
    "health": lambda slide: charts.add_health_chart(
        slide,
        style.CONTENT,
        PERIODS,
        HEALTH,
        value_axis_title="Health (0-100)",
        rag_cuts=RAG_CUTS,
        band_names=BAND_NAMES,
    ),
    "matrix": lambda slide: charts.add_matrix_chart(
        slide,
        style.CONTENT,
        ACCOUNTS,
        cut_x=50,
        cut_y=60,
        x_title="Strength",
        y_title="Attractiveness",
        quadrant_labels=QUADRANT_LABELS,
        series_name="No tier",
        groups=TIERS,
        group_names=TIER_NAMES,
        caption=lambda shown: f"{len(shown.labelled)} of {shown.shown} named",
    ),
    "map": lambda slide: charts.add_relationship_chart(
        slide,
        style.CONTENT.split((0.64, 0.36))[0],
        PEOPLE,
        attitude_names=ATTITUDE_NAMES,
        x_title="Attitude",
        y_title="Power",
        stale_name="Not seen for 90+ days",
        caption=lambda shown: f"{len(shown.labelled)} of {shown.shown} named",
    ),
    "pareto": lambda slide: charts.add_pareto_chart(
        slide,
        style.CONTENT.split((1, 1))[0],
        [0.25, 0.5, 0.75, 1.0],
        [0.6, 0.85, 0.95, 1.0],
        x_title="Share of accounts",
        y_title="Share of revenue",
        marker_x=0.25,
        names=("Cumulative revenue", "Equal distribution"),
    ),
    "bar": lambda slide: charts.add_bar_chart(
        slide,
        style.CONTENT.split((1, 1))[1],
        ["Ana", "Bo", "Chloé"],
        [3, 5, 7],
        value_axis_title="Key accounts per KAM",
        band=(5, 15),
        names=("Key accounts", "Norm"),
    ),
    "columns": lambda slide: charts.add_bar_chart(
        slide,
        style.CONTENT,
        ["Ana", "Bo", "Chloé"],
        [3, 5, 17],
        value_axis_title="Key accounts per KAM",
        band=(15, 5),
        horizontal=False,
    ),
}


@pytest.fixture(scope="module")
def deck(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """Every chart on its own slide; returns kind -> reopened graphic frame."""
    prs = new_presentation()
    for build in BUILDERS.values():
        build(blank_slide(prs))
    path: Path = tmp_path_factory.mktemp("charts") / "charts.pptx"
    prs.save(path)
    reopened = Presentation(path)
    frames = {}
    for kind, slide in zip(BUILDERS, reopened.slides, strict=True):
        (frame,) = [shape for shape in slide.shapes if shape.has_chart]
        frames[kind] = frame
    return frames


def xml_of(frame: Any) -> etree._Element:
    return frame.chart._chartSpace


def numbers(ser: etree._Element, part: str) -> list[float]:
    """The cached points of a series part (xVal, yVal, bubbleSize, val), gaps skipped."""
    return [float(v.text) for v in ser.findall(f"c:{part}//c:pt/c:v", NS)]


def ser_elements(frame: Any, group: str) -> list[etree._Element]:
    return xml_of(frame).findall(f".//c:plotArea/c:{group}/c:ser", NS)


# ---------------------------------------------------------------------------------------------
# Every chart.
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", list(BUILDERS))
def test_every_chart_is_in_schema_order(deck: dict[str, Any], kind: str) -> None:
    root = etree.fromstring(deck[kind].chart.part.blob)
    assert schema_order_errors(root) == []
    plot_area = root.find("c:chart/c:plotArea", NS)
    names = [etree.QName(child).localname for child in plot_area]
    ranks = [_rank(PLOT_AREA_ORDER, name) for name in names]
    assert None not in ranks, names
    assert ranks == sorted(ranks), names


def test_the_schema_check_sees_disorder() -> None:
    bad = etree.fromstring(
        f'<c:plotArea xmlns:c="{C}"><c:valAx/><c:barChart/><c:layout/></c:plotArea>'
    )
    assert schema_order_errors(bad) == [
        "plotArea: barChart after valAx",
        "plotArea: layout after barChart",
    ]


@pytest.mark.parametrize("kind", list(BUILDERS))
def test_every_chart_is_untitled_borderless_and_in_the_deck_font(
    deck: dict[str, Any], kind: str
) -> None:
    chart = deck[kind].chart
    assert chart.has_title is False
    root = xml_of(deck[kind])
    assert root.find("c:chart/c:autoTitleDeleted", NS).get("val") == "1"
    assert root.find("c:roundedCorners", NS).get("val") == "0"
    assert root.find("c:spPr/a:ln/a:noFill", NS) is not None
    assert chart.font.name == style.FONT
    assert chart.font.size == Pt(10)
    assert root.find("c:chart/c:dispBlanksAs", NS).get("val") == "gap"
    assert not root.findall(".//c:view3D", NS) and not root.findall(".//c:bar3DChart", NS)


@pytest.mark.parametrize("kind", list(BUILDERS))
def test_no_text_below_nine_points(deck: dict[str, Any], kind: str) -> None:
    root = xml_of(deck[kind])
    sizes = [int(rpr.get("sz")) for rpr in root.iter(qn("a:defRPr"), qn("a:rPr")) if rpr.get("sz")]
    assert sizes and min(sizes) >= 900 and max(sizes) <= 1200


@pytest.mark.parametrize("kind", list(BUILDERS))
def test_every_frame_is_inside_the_slide(deck: dict[str, Any], kind: str) -> None:
    frame = deck[kind]
    assert frame.left >= 0 and frame.top >= 0
    assert frame.left + frame.width <= style.SLIDE_WIDTH
    assert frame.top + frame.height <= style.SLIDE_HEIGHT


def _cells(sheet: Any, ref: str) -> list[Any]:
    match = re.fullmatch(r"Sheet1!\$([A-Z]+)\$(\d+)(?::\$([A-Z]+)\$(\d+))?", ref)
    assert match, ref
    first_col, first_row, last_col, last_row = match.groups()
    area = f"{first_col}{first_row}:{last_col or first_col}{last_row or first_row}"
    return [cell.value for row in sheet[area] for cell in row]


def _cached(ref_parent: etree._Element, cache: str) -> list[Any]:
    count = int(ref_parent.find(f"c:{cache}/c:ptCount", NS).get("val"))
    values: list[Any] = [None] * count
    for pt in ref_parent.findall(f"c:{cache}/c:pt", NS):
        values[int(pt.get("idx"))] = pt.findtext("c:v", namespaces=NS)
    return values


@pytest.mark.parametrize("kind", list(BUILDERS))
def test_the_embedded_workbook_holds_the_cached_numbers(deck: dict[str, Any], kind: str) -> None:
    """Every c:numRef/c:strRef formula points at cells holding exactly the cached points."""
    chart = deck[kind].chart
    workbook = openpyxl.load_workbook(io.BytesIO(chart.part.chart_workbook.xlsx_part.blob))
    sheet = workbook["Sheet1"]
    refs = xml_of(deck[kind]).findall(".//c:numRef", NS)
    assert refs
    for ref in refs:
        cells = _cells(sheet, ref.findtext("c:f", namespaces=NS))
        cached = _cached(ref, "numCache")
        assert len(cells) == len(cached)
        for cell, value in zip(cells, cached, strict=True):
            if value is None:
                assert cell is None
            else:
                assert cell == pytest.approx(float(value))
    for ref in xml_of(deck[kind]).findall(".//c:strRef", NS):
        cells = _cells(sheet, ref.findtext("c:f", namespaces=NS))
        cached = _cached(ref, "strCache")
        assert [c or "" for c in cells] == [str(v or "") for v in cached]


# ---------------------------------------------------------------------------------------------
# 1. Revenue.
# ---------------------------------------------------------------------------------------------


def test_revenue_is_columns_and_a_dashed_forecast_line_on_the_same_axes(
    deck: dict[str, Any],
) -> None:
    chart = deck["revenue"].chart
    bars, line = chart.plots
    assert isinstance(bars, BarPlot) and isinstance(line, LinePlot)
    assert [s.name for s in bars.series] == ["Actual"]
    assert [s.name for s in line.series] == ["Forecast"]
    bar_ids = [e.get("val") for e in bars._element.findall("c:axId", NS)]
    line_ids = [e.get("val") for e in line._element.findall("c:axId", NS)]
    assert bar_ids == line_ids
    assert len(chart._chartSpace.findall(".//c:plotArea/c:valAx", NS)) == 1
    (forecast,) = ser_elements(deck["revenue"], "lineChart")
    assert forecast.find("c:spPr/a:ln/a:prstDash", NS).get("val") == "dash"
    assert forecast.find("c:spPr/a:ln/a:solidFill/a:srgbClr", NS).get("val") == str(style.GREY)
    assert forecast.find("c:marker/c:symbol", NS).get("val") == "circle"
    assert forecast.find("c:smooth", NS).get("val") == "0"
    assert forecast.find("c:invertIfNegative", NS) is None
    (actual,) = ser_elements(deck["revenue"], "barChart")
    assert actual.find("c:spPr/a:solidFill/a:srgbClr", NS).get("val") == str(style.BRAND)


def test_revenue_values_are_scaled_with_gaps(deck: dict[str, Any]) -> None:
    values = charts.chart_data_values(deck["revenue"])
    assert values["Actual"] == [None if v is None else pytest.approx(v / 1000) for v in ACTUAL]
    assert values["Forecast"] == [None if v is None else pytest.approx(v / 1000) for v in FORECAST]
    (actual,) = ser_elements(deck["revenue"], "barChart")
    idx = {int(pt.get("idx")) for pt in actual.findall("c:val/c:numRef/c:numCache/c:pt", NS)}
    assert idx == {0, 1, 2, 3, 4, 5}  # no point at all for the future: a gap, not a zero
    assert actual.findtext("c:val/c:numRef/c:numCache/c:formatCode", namespaces=NS) == "#,##0"


def test_revenue_axes_legend_and_labels(deck: dict[str, Any]) -> None:
    chart = deck["revenue"].chart
    axis = chart.value_axis
    assert axis.minimum_scale == 0
    assert axis.has_major_gridlines and not axis.has_minor_gridlines
    assert axis.tick_labels.number_format == "#,##0"
    assert not axis.tick_labels.number_format_is_linked
    assert axis.axis_title.text_frame.text == "Revenue (k€)"
    assert not chart.category_axis.has_major_gridlines
    assert chart.has_legend
    assert chart.legend.position == XL_LEGEND_POSITION.BOTTOM
    assert not chart.legend.include_in_layout
    labels = chart.plots[0].series[0].data_labels
    assert labels.show_value and not labels.show_series_name and not labels.show_category_name
    assert labels.number_format == "#,##0" and not labels.number_format_is_linked
    assert labels.position == XL_LABEL_POSITION.OUTSIDE_END
    assert labels.font.size == Pt(9)
    # Forecast-only (future) points are labelled; the others are not.
    (forecast,) = ser_elements(deck["revenue"], "lineChart")
    dlbls = forecast.findall("c:dLbls/c:dLbl", NS)
    assert [int(d.find("c:idx", NS).get("val")) for d in dlbls] == [6, 7]
    assert all(d.find("c:numFmt", NS).get("formatCode") == "#,##0" for d in dlbls)
    assert forecast.find("c:dLbls/c:showVal", NS).get("val") == "0"


def test_a_column_label_never_sits_under_a_forecast_marker() -> None:
    """The stress account's Q2 2025: the forecast (4,040) just above the column (3,820) hid
    its label. A label goes above its column when the forecast marker is clear of it, else
    inside the column's top, else in its middle, else it is dropped."""
    prs = new_presentation()
    actual = [4179.0, 3820.0, 4404.0, 3000.0, 300.0]
    forecast = [4020.0, 4040.0, 4450.0, 2900.0, 250.0]
    frame = charts.add_revenue_chart(
        blank_slide(prs),
        style.CONTENT,
        ["T4 2024", "T2 2025", "T3 2026", "Q4", "Q5"],
        actual,
        forecast,
        names=("A", "F"),
        value_axis_title="k€",
        number_format="0",
        scale=1.0,
    )
    top = frame.chart.value_axis.maximum_scale
    assert top == 5000  # a round top, set: label places are computed from it
    spots = charts._column_label_spots(actual, forecast, top, style.CONTENT.height)
    position = charts.XL_LABEL_POSITION
    outside, inside, centre = position.OUTSIDE_END, position.INSIDE_END, position.CENTER
    assert spots == [outside, inside, centre, centre, None]
    bars = frame.chart._chartSpace.find(".//c:barChart/c:ser", NS)
    points = {int(d.find("c:idx", NS).get("val")): d for d in bars.findall("c:dLbls/c:dLbl", NS)}
    assert sorted(points) == [1, 2, 3, 4]
    assert points[1].find("c:dLblPos", NS).get("val") == "inEnd"
    assert points[2].find("c:dLblPos", NS).get("val") == "ctr"
    assert points[4].find("c:delete", NS).get("val") == "1"


def test_revenue_without_value_labels_beyond_eight_periods() -> None:
    prs = new_presentation()
    periods = [f"P{i}" for i in range(12)]
    frame = charts.add_revenue_chart(
        blank_slide(prs),
        style.CONTENT,
        periods,
        [100.0 * i for i in range(12)],
        [None] * 6 + [120.0 * i for i in range(6, 12)],
        names=("A", "F"),
        value_axis_title="k€",
        number_format="0",
        scale=1.0,
    )
    assert frame.chart._chartSpace.find(".//c:dLbls", NS) is None
    assert charts.chart_data_values(frame)["F"][:6] == [None] * 6


@pytest.mark.parametrize(
    "build",
    [
        lambda slide: charts.add_health_chart(slide, style.CONTENT, [], [], value_axis_title=""),
        lambda slide: charts.add_bar_chart(slide, style.CONTENT, [], [], value_axis_title=""),
        lambda slide: charts.add_matrix_chart(
            slide,
            style.CONTENT,
            [("no score", None, 50.0, 1.0)],
            cut_x=50,
            cut_y=50,
            x_title="x",
            y_title="y",
        ),
    ],
)
def test_an_empty_chart_is_refused(build: Callable[[Any], Any]) -> None:
    """No data is the caller's case for a note on the slide, never an empty chart frame."""
    with pytest.raises(ValueError):
        build(blank_slide(new_presentation()))


def test_revenue_rejects_mismatched_lengths() -> None:
    prs = new_presentation()
    with pytest.raises(ValueError, match="revenue chart"):
        charts.add_revenue_chart(
            blank_slide(prs),
            style.CONTENT,
            ["Q1", "Q2"],
            [1.0],
            [1.0, 2.0],
            names=("A", "F"),
            value_axis_title="k€",
            number_format="0",
        )


def test_names_are_never_formulas_in_the_embedded_workbook() -> None:
    prs = new_presentation()
    frame = charts.add_bar_chart(
        blank_slide(prs),
        style.CONTENT,
        ["=1+1", '=HYPERLINK("http://x")'],
        [1, 2],
        value_axis_title="=SUM(A1)",
    )
    blob = frame.chart.part.chart_workbook.xlsx_part.blob
    sheet = openpyxl.load_workbook(io.BytesIO(blob))["Sheet1"]
    for cell in (sheet["A2"], sheet["A3"], sheet["B1"]):
        assert cell.data_type == "s", cell.value
    assert sheet["A2"].value == "=1+1"


# ---------------------------------------------------------------------------------------------
# 2. Health.
# ---------------------------------------------------------------------------------------------


def test_health_lines_over_rag_bands(deck: dict[str, Any]) -> None:
    chart = deck["health"].chart
    _, lines = chart.plots
    assert isinstance(lines, LinePlot)
    values = charts.chart_data_values(deck["health"])
    assert values == {
        "Red ≤ 40": [40.0] * 8,
        "Amber ≤ 70": [30.0] * 8,
        "Green > 70": [30.0] * 8,
        **{name: v for name, v in HEALTH},
    }
    # The bands: a stacked area chart first (drawn under), the lines after it, same axes.
    plot_area = xml_of(deck["health"]).find("c:chart/c:plotArea", NS)
    groups = [etree.QName(child).localname for child in plot_area if "Chart" in child.tag]
    assert groups == ["areaChart", "lineChart"]
    assert plot_area.find("c:areaChart/c:grouping", NS).get("val") == "stacked"
    ax_ids = [[a.get("val") for a in plot_area.findall(f"c:{g}/c:axId", NS)] for g in groups]
    assert ax_ids[0] == ax_ids[1]
    for band, rag in zip(
        ser_elements(deck["health"], "areaChart"), ("Red", "Amber", "Green"), strict=True
    ):
        colour = band.find("c:spPr/a:solidFill/a:srgbClr", NS)
        assert colour.get("val") == str(style.RAG[rag])
        assert int(colour.find("a:alpha", NS).get("val")) <= 25_000  # a tint behind the lines
    health, *components = ser_elements(deck["health"], "lineChart")
    line = health.find("c:spPr/a:ln", NS)
    assert int(line.get("w")) == Pt(3)
    assert line.find("a:solidFill/a:srgbClr", NS).get("val") == str(style.BRAND)
    assert health.find("c:marker/c:symbol", NS).get("val") == "circle"
    (label,) = health.findall("c:dLbls/c:dLbl", NS)
    assert label.find("c:idx", NS).get("val") == "7"  # the last point
    assert label.find("c:numFmt", NS).get("formatCode") == "0"
    looks = set()
    for ser in components:
        ln = ser.find("c:spPr/a:ln", NS)
        assert int(ln.get("w")) < Pt(3)
        colour = ln.find("a:solidFill/a:srgbClr", NS).get("val")
        assert colour not in {str(style.BRAND), *(str(c) for c in style.RAG.values())}
        looks.add(
            (
                colour,
                ln.find("a:prstDash", NS).get("val"),
                ser.find("c:marker/c:symbol", NS).get("val"),
            )
        )
        assert ser.find("c:dLbls/c:dLbl", NS) is None
    # Told apart: every component differs from every other in colour, dash and marker.
    assert len({c for c, _, _ in looks}) == len({d for _, d, _ in looks}) == len(components)
    assert len({m for _, _, m in looks}) == len(components) and "none" not in {m for *_, m in looks}
    adoption = ser_elements(deck["health"], "lineChart")[3]
    idx = [int(pt.get("idx")) for pt in adoption.findall("c:val/c:numRef/c:numCache/c:pt", NS)]
    assert 4 not in idx  # the gap


def test_health_bands_follow_the_thresholds_clamped() -> None:
    assert charts._rag_band_heights((50, 75)) == [50, 25, 25]
    assert charts._rag_band_heights((-5, 120)) == [0, 100, 0]
    prs = new_presentation()
    frame = charts.add_health_chart(
        blank_slide(prs),
        style.CONTENT,
        ["Q1", "Q2"],
        [("Health", [60.0, 70.0])],
        value_axis_title="",
    )
    assert ser_elements(frame, "areaChart") == []  # no thresholds, no bands
    assert frame.chart.value_axis.has_major_gridlines  # gridlines only without bands


def test_health_axis_is_fixed_and_legend_below(deck: dict[str, Any]) -> None:
    chart = deck["health"].chart
    assert (chart.value_axis.minimum_scale, chart.value_axis.maximum_scale) == (0, 100)
    assert chart.value_axis.major_unit == 20
    assert chart.legend.position == XL_LEGEND_POSITION.BOTTOM
    assert not chart.legend.include_in_layout
    assert xml_of(deck["health"]).find("c:chart/c:legend/c:legendEntry", NS) is None  # all named


# ---------------------------------------------------------------------------------------------
# 3. Portfolio matrix.
# ---------------------------------------------------------------------------------------------


def _label_texts(ser: etree._Element) -> dict[int, str]:
    return {
        int(dlbl.find("c:idx", NS).get("val")): "".join(t.text for t in dlbl.iterfind(".//a:t", NS))
        for dlbl in ser.findall("c:dLbls/c:dLbl", NS)
    }


def _point_count(ser: etree._Element, part: str) -> int:
    return int(ser.find(f"c:{part}/c:numRef/c:numCache/c:ptCount", NS).get("val"))


def test_matrix_bubbles_are_one_series_per_tier_labelled_by_name(deck: dict[str, Any]) -> None:
    frame = deck["matrix"]
    (plot,) = frame.chart.plots
    assert isinstance(plot, BubblePlot)
    assert frame.chart.chart_type == XL_CHART_TYPE.BUBBLE
    *tiers, _ = ser_elements(frame, "bubbleChart")
    assert [s.name for s in plot.series][:-1] == ["Tier A", "Tier B", "No tier"]
    expected = {
        "A": [a for a, t in zip(ACCOUNTS, TIERS, strict=True) if t == "A"],
        "B": [a for a, t in zip(ACCOUNTS, TIERS, strict=True) if t == "B"],
        None: [a for a, t in zip(ACCOUNTS, TIERS, strict=True) if t is None],
    }
    fills = []
    for ser, members in zip(tiers, expected.values(), strict=True):
        assert numbers(ser, "xVal") == [pytest.approx(x) for _, x, _, _ in members]
        assert numbers(ser, "yVal") == [pytest.approx(y) for _, _, y, _ in members]
        assert numbers(ser, "bubbleSize") == [pytest.approx(s) for *_, s in members]
        names = {name for name, *_ in members}
        assert set(_label_texts(ser).values()) <= names
        for dlbl in ser.findall(".//c:dLbl", NS):
            assert dlbl.find("c:dLblPos", NS).get("val") in {"r", "l", "t", "b"}
            assert dlbl.find("c:txPr", NS) is None and dlbl.find("c:spPr", NS) is None
            assert dlbl.find(".//a:rPr", NS).get("sz") == "900"
        fill = ser.find("c:spPr/a:solidFill/a:srgbClr", NS)
        assert 60_000 <= int(fill.find("a:alpha", NS).get("val")) <= 70_000
        fills.append(fill.get("val"))
    assert fills[0] == str(style.BRAND) and len(set(fills)) == 3
    named = [name for ser in tiers for name in _label_texts(ser).values()]
    assert len(named) == len(set(named)) >= 15  # most of 20 spread accounts are named
    assert max(ACCOUNTS, key=lambda a: a[3])[0] in named  # the biggest first
    # The legend names the tiers, not the helper.
    assert frame.chart.has_legend
    entries = xml_of(frame).findall("c:chart/c:legend/c:legendEntry", NS)
    assert [
        (e.find("c:idx", NS).get("val"), e.find("c:delete", NS).get("val")) for e in entries
    ] == [("3", "1")]


def test_matrix_series_all_have_the_same_point_count() -> None:
    """LibreOffice draws no bubble for a series when a later one has more points: the one
    account of a 1-account matrix would vanish behind the 5-point helper."""
    groups = ["A", "B", "A", "C", "A", "A", "B"]
    for count in (1, 3, 7):
        prs = new_presentation()
        points = [(f"A{i}", 10.0 + 20 * i, 50.0, 100.0 + i) for i in range(count)]
        frame = charts.add_matrix_chart(
            blank_slide(prs),
            style.CONTENT,
            points,
            cut_x=50,
            cut_y=50,
            x_title="x",
            y_title="y",
            quadrant_labels=QUADRANT_LABELS,
            groups=["A", "B", "A", "C", "A", "A", "B"][:count],
            group_names=TIER_NAMES,
        )
        sers = ser_elements(frame, "bubbleChart")
        counts = {
            _point_count(ser, part) for ser in sers for part in ("xVal", "yVal", "bubbleSize")
        }
        sizes = [sum(1 for g in groups[:count] if g == k) for k in "ABC"]
        assert counts == {max(*sizes, 5)}, count


def test_matrix_caption_says_what_is_named(deck: dict[str, Any]) -> None:
    slide = deck["matrix"]._parent._parent
    texts = [shape.text_frame.text for shape in slide.shapes if shape.has_text_frame]
    named = sum(len(_label_texts(ser)) for ser in ser_elements(deck["matrix"], "bubbleChart"))
    named -= len(QUADRANT_LABELS)
    assert texts == [f"{named} of {len(ACCOUNTS)} named"]
    (box,) = [shape for shape in slide.shapes if shape.has_text_frame]
    assert box.top >= deck["matrix"].top + deck["matrix"].height  # under the chart
    assert box.top + box.height <= style.CONTENT.bottom


def test_matrix_names_are_in_the_embedded_sheet(deck: dict[str, Any]) -> None:
    blob = deck["matrix"].chart.part.chart_workbook.xlsx_part.blob
    sheet = openpyxl.load_workbook(io.BytesIO(blob))["Sheet1"]
    names = {sheet.cell(row=r, column=4).value for r in range(1, sheet.max_row + 1)}
    assert {name for name, *_ in ACCOUNTS} <= names


def test_matrix_quadrant_lines_are_the_axes_crossing_at_the_cuts(deck: dict[str, Any]) -> None:
    root = xml_of(deck["matrix"])
    x_axis, y_axis = root.findall(".//c:plotArea/c:valAx", NS)
    assert x_axis.find("c:axPos", NS).get("val") == "b"
    # Each axis element says where it crosses the other: the horizontal one at y = cut_y.
    assert float(x_axis.find("c:crossesAt", NS).get("val")) == 60
    assert float(y_axis.find("c:crossesAt", NS).get("val")) == 50
    for axis in (x_axis, y_axis):
        assert axis.find("c:scaling/c:min", NS).get("val") == "0.0"
        assert axis.find("c:scaling/c:max", NS).get("val") == "100.0"
        assert axis.find("c:tickLblPos", NS).get("val") == "low"
        assert axis.find("c:spPr/a:ln/a:solidFill/a:srgbClr", NS).get("val") == str(style.LINE)
        assert axis.find("c:majorGridlines", NS) is None
    chart = deck["matrix"].chart
    assert chart.value_axis.axis_title.text_frame.text == "Attractiveness"
    assert chart.category_axis.axis_title.text_frame.text == "Strength"


def test_matrix_layout_scale_and_quadrant_names(deck: dict[str, Any]) -> None:
    root = xml_of(deck["matrix"])
    layout = root.find("c:chart/c:plotArea/c:layout/c:manualLayout", NS)
    assert layout.find("c:layoutTarget", NS).get("val") == "inner"
    box = {k: float(layout.find(f"c:{k}", NS).get("val")) for k in "xywh"}
    assert box["x"] > 0 and box["y"] > 0
    assert box["x"] + box["w"] <= 1 and box["y"] + box["h"] <= 1
    assert root.find(".//c:bubbleScale", NS).get("val") == "100"
    helper = ser_elements(deck["matrix"], "bubbleChart")[-1]
    assert helper.find("c:spPr/a:noFill", NS) is not None
    sizes = numbers(helper, "bubbleSize")
    biggest = max(s for *_, s in ACCOUNTS)
    assert sizes[0] > 4 * biggest  # the invisible scale bubble keeps accounts modest
    labels = _label_texts(helper)
    assert sorted(labels.values()) == sorted(QUADRANT_LABELS.values())
    xs = numbers(helper, "xVal")
    ys = numbers(helper, "yVal")
    corner = {text: (xs[i], ys[i]) for i, text in labels.items()}
    assert corner["Strategic quadrant"][0] > 90 and corner["Strategic quadrant"][1] > 90
    assert corner["Star quadrant"][0] < 10 and corner["Star quadrant"][1] > 90
    assert corner["Status quadrant"][0] > 90 and corner["Status quadrant"][1] < 10
    assert corner["Streamline quadrant"][0] < 10 and corner["Streamline quadrant"][1] < 10


def test_matrix_labels_at_most_thirty_accounts_the_biggest() -> None:
    prs = new_presentation()
    # 40 accounts on a grid with room for every label: the 30 biggest (largest i) are named.
    points = [(f"A{i}", 6.0 + (i % 8) * 12, 8.0 + (i // 8) * 20, float(i + 1)) for i in range(40)]
    frame = charts.add_matrix_chart(
        blank_slide(prs), style.CONTENT, points, cut_x=50, cut_y=50, x_title="x", y_title="y"
    )
    ser = ser_elements(frame, "bubbleChart")[0]
    labels = _label_texts(ser)
    assert len(labels) == charts.MAX_LABELLED_POINTS
    assert set(labels.values()) == {f"A{i}" for i in range(10, 40)}
    assert len(ser_elements(frame, "bubbleChart")[1].findall(".//c:dLbl", NS)) == 0
    assert not frame.chart.has_legend  # no tiers: one series, no legend


def test_matrix_names_key_accounts_first() -> None:
    prs = new_presentation()
    points = [(f"A{i}", 6.0 + (i % 8) * 12, 8.0 + (i // 8) * 20, float(i + 1)) for i in range(40)]
    frame = charts.add_matrix_chart(
        blank_slide(prs),
        style.CONTENT,
        points,
        cut_x=50,
        cut_y=50,
        x_title="x",
        y_title="y",
        key=[i < 5 for i in range(40)],  # the five smallest are key accounts
    )
    labels = set(_label_texts(ser_elements(frame, "bubbleChart")[0]).values())
    assert labels == {f"A{i}" for i in (*range(5), *range(15, 40))}
    with pytest.raises(ValueError, match="key flags"):
        charts.add_matrix_chart(
            blank_slide(prs),
            style.CONTENT,
            points,
            cut_x=50,
            cut_y=50,
            x_title="x",
            y_title="y",
            key=[True],
        )


def _crowd(count: int, seed: int) -> list[tuple[str, float, float, float]]:
    import random

    rng = random.Random(seed)
    return [
        (
            f"Account {i} Holdings",
            rng.uniform(0, 100),
            rng.uniform(0, 100),
            rng.lognormvariate(12, 1),
        )
        for i in range(count)
    ]


@pytest.mark.parametrize("count", [3, 40, 120, 500])
def test_matrix_labels_never_overlap_in_the_placement_model(count: int) -> None:
    points = _crowd(count, count)
    plot = charts._Rect(Pt(60), Pt(60), Pt(900), Pt(400))
    radii = [Pt(12) * (size / max(p[3] for p in points)) ** 0.5 for *_, size in points]
    reserved = [charts._Rect(Pt(60), Pt(60), Pt(140), Pt(75))]
    placed = charts._place_labels(points, radii, plot, reserved, limit=charts.MAX_LABELLED_POINTS)
    assert 0 < len(placed) <= charts.MAX_LABELLED_POINTS
    rects = [label.rect for label in placed]
    for a, b in itertools.combinations([*rects, *reserved], 2):
        assert a.overlap(b) == 0
    for rect in rects:
        assert rect.outside(plot) == 0
    # Tried biggest first: the named accounts come in decreasing revenue.
    sizes = [points[label.index][3] for label in placed]
    assert sizes == sorted(sizes, reverse=True)


def test_matrix_at_500_accounts_names_some_and_says_so() -> None:
    prs = new_presentation()
    slide = blank_slide(prs)
    seen: list[charts.MatrixLabels] = []

    def caption(shown: charts.MatrixLabels) -> str:
        seen.append(shown)
        return f"{len(shown.labelled)} named"

    frame = charts.add_matrix_chart(
        slide,
        style.CONTENT,
        _crowd(500, 5),
        cut_x=50,
        cut_y=50,
        x_title="x",
        y_title="y",
        caption=caption,
    )
    (shown,) = seen
    assert shown.shown == 500 and 0 < len(shown.labelled) <= charts.MAX_LABELLED_POINTS
    ser = ser_elements(frame, "bubbleChart")[0]
    assert sorted(_label_texts(ser).values()) == sorted(shown.labelled)
    assert len(numbers(ser, "xVal")) == 500


def test_matrix_size_key_draws_revenues_at_their_bubble_sizes() -> None:
    prs = new_presentation()
    slide = blank_slide(prs)
    points = [("Big", 70.0, 70.0, 2_400_000.0), ("Small", 30.0, 30.0, 100_000.0)]
    charts.add_matrix_chart(
        slide,
        style.CONTENT,
        points,
        cut_x=50,
        cut_y=50,
        x_title="x",
        y_title="y",
        size_label=lambda value: f"{value / 1000:,.0f}k",
    )
    assert charts._size_key_values(2_400_000.0) == [2_400_000.0, 500_000.0]
    assert charts._size_key_values(1_990_000.0) == [1_990_000.0, 200_000.0]
    circles = [s for s in slide.shapes if s.shape_type == MSO_SHAPE_TYPE.AUTO_SHAPE]
    texts = [s.text_frame.text for s in slide.shapes if s.shape_type == MSO_SHAPE_TYPE.TEXT_BOX]
    assert texts == ["2,400k", "500k"]
    big, small = circles
    assert big.width == big.height and small.width == small.height
    assert small.width / big.width == pytest.approx((500_000 / 2_400_000) ** 0.5, rel=0.01)
    for shape in slide.shapes:
        assert shape.left + shape.width <= style.CONTENT.right
        assert shape.top + shape.height <= style.SLIDE_HEIGHT


def test_matrix_label_sides_avoid_neighbours() -> None:
    """Two accounts side by side: their labels go to opposite sides."""
    prs = new_presentation()
    points = [("Left one", 40.0, 50.0, 1.0), ("Right one", 44.0, 50.0, 1.0)]
    frame = charts.add_matrix_chart(
        blank_slide(prs), style.CONTENT, points, cut_x=50, cut_y=50, x_title="x", y_title="y"
    )
    ser = ser_elements(frame, "bubbleChart")[0]
    sides = [d.find("c:dLblPos", NS).get("val") for d in ser.findall(".//c:dLbl", NS)]
    assert sides[1] == "r" and sides[0] != "r"


# ---------------------------------------------------------------------------------------------
# 4. Pareto.
# ---------------------------------------------------------------------------------------------


def test_pareto_curve_diagonal_and_marker(deck: dict[str, Any]) -> None:
    frame = deck["pareto"]
    (plot,) = frame.chart.plots
    assert isinstance(plot, XyPlot)
    curve, diagonal, marker = ser_elements(frame, "scatterChart")
    x = numbers(curve, "xVal")
    y = numbers(curve, "yVal")
    assert (x, y) == ([0, 0.25, 0.5, 0.75, 1.0], [0, 0.6, 0.85, 0.95, 1.0])  # from (0, 0)
    assert curve.find("c:spPr/a:ln/a:solidFill/a:srgbClr", NS).get("val") == str(style.BRAND)
    assert curve.find("c:smooth", NS).get("val") == "0"
    assert diagonal.find("c:spPr/a:ln/a:prstDash", NS).get("val") == "dash"
    assert diagonal.find("c:spPr/a:ln/a:solidFill/a:srgbClr", NS).get("val") == str(style.GREY)
    assert numbers(diagonal, "xVal") == [0, 1]
    guides = {e.find("c:errDir", NS).get("val"): e for e in marker.findall("c:errBars", NS)}
    assert float(guides["x"].find("c:val", NS).get("val")) == 0.25
    assert float(guides["y"].find("c:val", NS).get("val")) == 0.6
    assert all(e.find("c:errBarType", NS).get("val") == "minus" for e in guides.values())
    (label,) = marker.findall("c:dLbls/c:dLbl", NS)
    assert label.find("c:numFmt", NS).get("formatCode") == "0%"


def test_pareto_marker_sits_on_the_curve_between_points() -> None:
    """3 accounts: 20 % of accounts falls inside the first segment (0 to 1/3), so the
    marker's y is interpolated on it, not the top-1 share (0.7) drawn off the curve."""
    prs = new_presentation()
    frame = charts.add_pareto_chart(
        blank_slide(prs),
        style.CONTENT,
        [0, 1 / 3, 2 / 3, 1],
        [0, 0.7, 0.9, 1.0],
        x_title="x",
        y_title="y",
        marker_x=0.2,
    )
    *_, marker = ser_elements(frame, "scatterChart")
    assert numbers(marker, "xVal") == [0.2]
    assert numbers(marker, "yVal") == [pytest.approx(0.7 * 0.2 * 3)]
    guides = {e.find("c:errDir", NS).get("val"): e for e in marker.findall("c:errBars", NS)}
    assert float(guides["y"].find("c:val", NS).get("val")) == pytest.approx(0.42)


def test_curve_value_interpolates_as_the_segments_are_drawn() -> None:
    points = [(0.0, 0.0), (0.25, 0.6), (0.5, 0.85), (1.0, 1.0)]
    assert charts.curve_value(points, 0.2) == pytest.approx(0.48)
    assert charts.curve_value(points, 0.25) == pytest.approx(0.6)
    assert charts.curve_value(points, 0.75) == pytest.approx(0.925)
    assert charts.curve_value(points, 1.5) == 1.0
    with pytest.raises(ValueError):
        charts.curve_value([], 0.2)


def test_pareto_axes_and_legend(deck: dict[str, Any]) -> None:
    chart = deck["pareto"].chart
    for axis in (chart.category_axis, chart.value_axis):
        assert (axis.minimum_scale, axis.maximum_scale) == (0, 1)
        assert axis.tick_labels.number_format == "0%"
    assert chart.value_axis.has_major_gridlines and not chart.category_axis.has_major_gridlines
    assert chart.legend.position == XL_LEGEND_POSITION.BOTTOM
    entries = xml_of(deck["pareto"]).findall("c:chart/c:legend/c:legendEntry", NS)
    assert [
        (e.find("c:idx", NS).get("val"), e.find("c:delete", NS).get("val")) for e in entries
    ] == [("2", "1")]


# ---------------------------------------------------------------------------------------------
# 5. Bars with a band.
# ---------------------------------------------------------------------------------------------


def test_bars_with_a_band(deck: dict[str, Any]) -> None:
    frame = deck["bar"]
    chart = frame.chart
    assert chart.chart_type == XL_CHART_TYPE.BAR_CLUSTERED
    assert charts.chart_data_values(frame) == {
        "Norm": [15, 15, 15],
        " ": [5, 5, 5],
        "Key accounts": [3, 5, 7],
    }
    band, base, bars = ser_elements(frame, "barChart")
    root = xml_of(frame)
    assert root.find(".//c:barChart/c:overlap", NS).get("val") == "100"  # one bar per row
    assert int(root.find(".//c:barChart/c:gapWidth", NS).get("val")) <= 25  # rows join
    shade = band.find("c:spPr/a:solidFill/a:srgbClr", NS)
    assert (
        shade.get("val") == str(style.GREY) and int(shade.find("a:alpha", NS).get("val")) < 50_000
    )
    blank = base.find("c:spPr/a:solidFill/a:srgbClr", NS)
    assert blank.get("val") == "FFFFFF" and blank.find("a:alpha", NS).get("val") == "100000"
    assert bars.find("c:spPr/a:solidFill/a:srgbClr", NS).get("val") == str(style.BRAND)
    assert root.find(".//c:errBars", NS) is None  # a band, not whiskers
    assert chart.value_axis.maximum_scale >= 15
    assert chart.category_axis.reverse_order  # first KAM on top
    labels = chart.plots[0].series[2].data_labels
    assert labels.show_value and labels.number_format == "0"
    assert labels.position == XL_LABEL_POSITION.OUTSIDE_END
    assert band.find("c:dLbls", NS) is None and base.find("c:dLbls", NS) is None
    assert chart.has_legend  # the band and the values, not the white base
    entries = root.findall("c:chart/c:legend/c:legendEntry", NS)
    assert [
        (e.find("c:idx", NS).get("val"), e.find("c:delete", NS).get("val")) for e in entries
    ] == [("1", "1")]


def test_columns_with_a_band(deck: dict[str, Any]) -> None:
    chart = deck["columns"].chart
    assert chart.chart_type == XL_CHART_TYPE.COLUMN_CLUSTERED
    assert not chart.category_axis.reverse_order
    assert chart.value_axis.maximum_scale >= 17
    band, base, _ = ser_elements(deck["columns"], "barChart")
    assert numbers(band, "val") == [15] * 3 and numbers(base, "val") == [5] * 3  # (15, 5) sorted


def test_bars_without_a_band_are_plain() -> None:
    prs = new_presentation()
    frame = charts.add_bar_chart(
        blank_slide(prs), style.CONTENT, ["a", "b"], [1.5, 2.5], value_axis_title="k€"
    )
    assert len(ser_elements(frame, "barChart")) == 1
    assert frame.chart._chartSpace.find(".//c:errBars", NS) is None
    assert frame.chart.value_axis.maximum_scale is None
    assert not frame.chart.has_legend


# ---------------------------------------------------------------------------------------------
# 6. Relationship map.
# ---------------------------------------------------------------------------------------------


def test_map_attitude_in_words_under_its_columns(deck: dict[str, Any]) -> None:
    frame = deck["map"]
    *_, words = ser_elements(frame, "scatterChart")
    assert numbers(words, "xVal") == [-2, -1, 0, 1, 2]
    assert set(numbers(words, "yVal")) == {0}  # on the bottom edge
    assert _label_texts(words) == dict(enumerate(ATTITUDE_NAMES))
    assert {d.find("c:dLblPos", NS).get("val") for d in words.findall(".//c:dLbl", NS)} == {"b"}
    assert words.find("c:marker/c:symbol", NS).get("val") == "none"
    x_axis, _ = xml_of(frame).findall(".//c:plotArea/c:valAx", NS)
    assert x_axis.find("c:tickLblPos", NS).get("val") == "none"  # the words stand for them
    assert float(x_axis.find("c:majorUnit", NS).get("val")) == 1


def test_map_power_in_integer_steps_outside_the_plot(deck: dict[str, Any]) -> None:
    chart = deck["map"].chart
    axis = chart.value_axis
    assert (axis.minimum_scale, axis.maximum_scale, axis.major_unit) == (0, 6, 1)
    assert axis.tick_label_position == XL_TICK_LABEL_POSITION.LOW
    assert axis.tick_labels.number_format == '[<0.5]"";[>5.5]"";0'  # 1-5 shown, not 0 or 6
    assert axis.axis_title.text_frame.text == "Power"


def test_map_names_the_most_powerful_without_overlap(deck: dict[str, Any]) -> None:
    frame = deck["map"]
    seen, stale, _ = ser_elements(frame, "scatterChart")
    assert [s.name for s in frame.chart.plots[0].series][:2] == ["Power", "Not seen for 90+ days"]
    assert len(numbers(seen, "xVal")) + len(numbers(stale, "xVal")) == len(PEOPLE)
    assert len(numbers(stale, "xVal")) == sum(1 for *_, s in PEOPLE if s)
    assert stale.find("c:marker/c:spPr/a:solidFill/a:srgbClr", NS).get("val") == str(style.GREY)
    names = list(_label_texts(seen).values()) + list(_label_texts(stale).values())
    assert 0 < len(names) <= charts.MAX_LABELLED_PEOPLE < len(PEOPLE)
    power = {name: p for name, _, p, _ in PEOPLE}
    assert max(power[n] for n in names) == 5
    # The placement model behind the labels: rectangles apart, inside the plot.
    points = charts._spread(PEOPLE)
    assert len(set(points)) == len(PEOPLE)  # no point hides another
    plot = charts._Rect(0, 0, Pt(500), Pt(300))
    placed = charts._place_map_labels(PEOPLE, points, plot)
    assert sorted(PEOPLE[p.index][0] for p in placed) == sorted(names)
    for a, b in itertools.combinations([p.rect for p in placed], 2):
        assert a.overlap(b) == 0


def test_a_map_label_stays_on_its_side_of_the_neutral_column() -> None:
    """A name that ran from a supporter across the line into the neutral column read as
    neutral: each label stays on its person's side of the neutral column's lines (opponents
    left of it, neutral inside it, supporters right of it), and a name that fits nowhere is
    left off the map (the caption counts it)."""
    people = [
        ("Christophe de La Rochefoucauld-Montmorency", 0, 5, False),
        ("Édouard Vasseur", -1, 5, False),
        ("Anne-Sophie Hennequin", 1, 5, False),
        ("Ana Lima", 0, 4, False),
        ("Jean-Baptiste Castelnau", 1, 2, False),
        ("Mathilde Vandenberghe", -1, 2, True),
    ]
    width = Pt(500)
    plot = charts._Rect(0, 0, width, Pt(300))
    placed = charts._place_map_labels(people, charts._spread(people), plot)
    names = {people[p.index][0] for p in placed}
    assert "Ana Lima" in names and "Christophe de La Rochefoucauld-Montmorency" not in names
    assert len(names) >= 4
    left_line, right_line = width * 2 / 5, width * 3 / 5
    for label in placed:
        attitude = people[label.index][1]
        if attitude < 0:
            assert label.rect.right <= left_line, people[label.index]
        elif attitude > 0:
            assert label.rect.left >= right_line, people[label.index]
        else:
            assert left_line <= label.rect.left and label.rect.right <= right_line


def test_map_caption(deck: dict[str, Any]) -> None:
    slide = deck["map"]._parent._parent
    (text,) = [shape.text_frame.text for shape in slide.shapes if shape.has_text_frame]
    assert text.endswith(f"of {len(PEOPLE)} named")
    assert int(text.split()[0]) <= charts.MAX_LABELLED_PEOPLE


# ---------------------------------------------------------------------------------------------
# 7. Number formats per language.
# ---------------------------------------------------------------------------------------------


def test_chart_formats_per_language() -> None:
    en, fr = charts.chart_formats("en"), charts.chart_formats("fr")
    assert (en.integer, en.percent) == ("#,##0", "0%")
    assert fr.percent == "0\u202f%"
    assert "," not in fr.integer and "#\u202f##0" in fr.integer
    with pytest.raises(ValueError):
        charts.chart_formats("de")


def test_french_charts_carry_french_formats() -> None:
    prs = new_presentation()
    fr = charts.chart_formats("fr")
    revenue = charts.add_revenue_chart(
        blank_slide(prs),
        style.CONTENT,
        PERIODS[:3],
        ACTUAL[:3],
        FORECAST[:3],
        names=("Réel", "Prévision"),
        value_axis_title="k€",
        number_format=fr.integer,
    )
    pareto = charts.add_pareto_chart(
        blank_slide(prs),
        style.CONTENT,
        [0.5, 1.0],
        [0.8, 1.0],
        x_title="x",
        y_title="y",
        marker_x=0.2,
        language="fr",
    )
    assert revenue.chart.value_axis.tick_labels.number_format == fr.integer
    assert revenue.chart.plots[0].series[0].data_labels.number_format == fr.integer
    for axis in (pareto.chart.value_axis, pareto.chart.category_axis):
        assert axis.tick_labels.number_format == "0\u202f%"
    *_, marker = ser_elements(pareto, "scatterChart")
    assert marker.find("c:dLbls/c:dLbl/c:numFmt", NS).get("formatCode") == "0\u202f%"


# ---------------------------------------------------------------------------------------------
# 8. Reading back.
# ---------------------------------------------------------------------------------------------


def test_chart_data_values_keeps_repeated_names_apart() -> None:
    prs = new_presentation()
    frame = charts.add_health_chart(
        blank_slide(prs), style.CONTENT, ["Q1"], [("x", [1.0]), ("x", [2.0])], value_axis_title=""
    )
    assert charts.chart_data_values(frame) == {"x": [1.0], "x #2": [2.0]}
    assert frame.chart.value_axis.has_title is False


def test_column_labels_sit_at_one_height_when_one_place_suits_every_column() -> None:
    """Forecast markers close to the columns' tops, above some and below others: the first
    place clear for each column alone differs from column to column (above, inside the top),
    a row of labels at random heights; one place clear for all puts every label there."""
    actual = [1975.0, 2040.0, 2110.0, 2080.0, 2150.0, 2210.0, 2315.0, 2373.0]
    forecast = [1800.0, 2010.0, 2400.0, 1990.0, 2260.0, 2200.0, 2450.0, 2640.0]
    top = charts._nice_top([*actual, *forecast])
    spots = charts._column_label_spots(actual, forecast, top, style.CONTENT.height)
    assert len(set(spots)) == 1 and spots[0] is not None, spots


def test_a_revenue_chart_without_forecast_has_no_legend_naming_it() -> None:
    prs = new_presentation()
    args = (style.CONTENT, ["Q2", "Q3"], [2235.0, 2520.0])
    names = {"names": ("Actual", "Forecast"), "value_axis_title": "k€", "number_format": "0"}
    without = charts.add_revenue_chart(blank_slide(prs), *args, [None, None], **names)
    assert not without.chart.has_legend
    with_forecast = charts.add_revenue_chart(blank_slide(prs), *args, [2200.0, 2600.0], **names)
    assert with_forecast.chart.has_legend

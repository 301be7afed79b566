"""The charts as LibreOffice draws them: one deck of charts converted once to PDF, then read
as pixels (pdftoppm) and as text (pdftotext).

- The portfolio matrix shows its bubbles for 1, 3, 40 and 500 accounts: pixels of each
  tier's bubble colour (alpha-blended on white as rendered) are counted inside the chart
  frame. The 3-account matrix used to render with no bubble at all.
- French charts print `6 000` and `68 %` (the deck's text formats), English ones `6,000` and
  `68%`, on axes and data labels alike.
"""

from __future__ import annotations

import random
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PIL import Image
from pptx import Presentation
from pptx.dml.color import RGBColor
from pptx.oxml.ns import qn

from kamxl.deck import charts, style

pytestmark = pytest.mark.skipif(
    any(shutil.which(tool) is None for tool in ("soffice", "pdftoppm", "pdftotext")),
    reason="LibreOffice and poppler-utils are not installed",
)

DPI = 50
MATRIX_COUNTS = (1, 3, 40, 500)
TIER_NAMES = {"A": "Tier A", "B": "Tier B", "C": "Tier C"}


#: (seen, not seen) people on the relationship maps rendered
RELATIONSHIP_COUNTS = [(12, 13), (7, 1)]


def _portfolio(count: int) -> tuple[list[tuple[str, float, float, float]], list[str]]:
    """``count`` accounts spread over the matrix, revenue log-normal, tiers A/B/C in turn."""
    rng = random.Random(count)
    points = [
        (
            f"Account {i} Holdings",
            rng.uniform(3, 97),
            rng.uniform(3, 97),
            rng.lognormvariate(12, 1),
        )
        for i in range(count)
    ]
    return points, ["ABC"[i % 3] for i in range(count)]


def _blank_slide(prs: Any) -> Any:
    return prs.slides.add_slide(prs.slide_layouts[6])


@pytest.fixture(scope="module")
def rendered(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """Build the charts, convert the deck once, and return the pages and frames."""
    folder = tmp_path_factory.mktemp("render")
    prs = Presentation()
    prs.slide_width, prs.slide_height = style.SLIDE_WIDTH, style.SLIDE_HEIGHT
    frames: dict[str, Any] = {}
    for count in MATRIX_COUNTS:
        points, tiers = _portfolio(count)
        frames[f"matrix:{count}"] = charts.add_matrix_chart(
            _blank_slide(prs),
            style.CONTENT,
            points,
            cut_x=50,
            cut_y=50,
            x_title="Strength",
            y_title="Attractiveness",
            quadrant_labels={q: q for q in charts.QUADRANTS},
            groups=tiers,
            group_names=TIER_NAMES,
        )
    for seen, stale in RELATIONSHIP_COUNTS:
        people = [(f"Seen {i}", i % 5 - 2, 1 + i % 5, False) for i in range(seen)]
        people += [(f"Stale {i}", 2 - i % 5, 5 - i % 5, True) for i in range(stale)]
        frames[f"map:{seen}:{stale}"] = charts.add_relationship_chart(
            _blank_slide(prs),
            style.CONTENT,
            people,
            attitude_names=["Opponent", "Non-supporter", "Neutral", "Supporter", "Mentor"],
            x_title="Attitude",
            y_title="Power",
            stale_name="Not seen",
        )
    for language in ("fr", "en"):
        formats = charts.chart_formats(language)
        frames[f"bars:{language}"] = charts.add_bar_chart(
            _blank_slide(prs),
            style.CONTENT,
            ["North", "South"],
            [6000.0, 2500.0],
            value_axis_title="k€",
            number_format=formats.integer,
            horizontal=False,
        )
        frames[f"pareto:{language}"] = charts.add_pareto_chart(
            _blank_slide(prs),
            style.CONTENT,
            [0.2, 1.0],
            [0.68, 1.0],
            x_title="Accounts",
            y_title="Revenue",
            marker_x=0.2,
            language=language,
        )
    source = folder / "charts.pptx"
    prs.save(source)
    subprocess.run(
        [
            "soffice",
            f"-env:UserInstallation=file://{folder}/profile",
            "--headless",
            "--convert-to",
            "pdf",
            "--outdir",
            str(folder),
            str(source),
        ],
        check=True,
        capture_output=True,
        timeout=300,
    )
    pdf = folder / "charts.pdf"
    subprocess.run(["pdftoppm", "-png", "-r", str(DPI), str(pdf), str(folder / "page")], check=True)
    pages = sorted(folder.glob("page-*.png"))
    assert len(pages) == len(prs.slides)
    texts = []
    for number in range(1, len(prs.slides) + 1):
        out = subprocess.run(
            ["pdftotext", "-f", str(number), "-l", str(number), "-raw", str(pdf), "-"],
            check=True,
            capture_output=True,
            text=True,
        ).stdout
        texts.append(out)
    kinds = list(frames)
    return {
        "frames": frames,
        "pages": dict(zip(kinds, pages, strict=True)),
        "texts": dict(zip(kinds, texts, strict=True)),
    }


def _series_colours(frame: Any) -> list[RGBColor]:
    """The bubble colours of the account series as LibreOffice paints them: the fill at its
    alpha over the white slide."""
    colours = []
    for ser in frame.chart._chartSpace.iter(qn("c:ser")):
        fill = ser.find(qn("c:spPr")).find(qn("a:solidFill"))
        if fill is None:
            continue  # the invisible helper
        rgb = fill.find(qn("a:srgbClr"))
        alpha = int(rgb.find(qn("a:alpha")).get("val")) / 100_000
        base = RGBColor.from_string(rgb.get("val"))
        colours.append(RGBColor(*(round(c * alpha + 255 * (1 - alpha)) for c in base)))
    return colours


def _pixels_of(page: Path, frame: Any, colour: RGBColor, tolerance: int = 14) -> int:
    """How many pixels inside the chart frame are within ``tolerance`` of ``colour``."""
    image = np.asarray(Image.open(page).convert("RGB"), dtype=int)
    scale = DPI / 914_400
    top, left = int(frame.top * scale), int(frame.left * scale)
    bottom, right = int((frame.top + frame.height) * scale), int((frame.left + frame.width) * scale)
    inside = image[top:bottom, left:right]
    close = np.abs(inside - np.array(tuple(colour))).max(axis=2) <= tolerance
    return int(close.sum())


@pytest.mark.parametrize(("seen", "stale"), RELATIONSHIP_COUNTS)
def test_relationship_map_shows_both_series_in_libreoffice(
    rendered: dict[str, Any], seen: int, stale: int
) -> None:
    """People seen lately in brand, the others in grey, whichever group is the larger (with
    more people not seen than seen, LibreOffice drew every point grey)."""
    frame = rendered["frames"][f"map:{seen}:{stale}"]
    page = rendered["pages"][f"map:{seen}:{stale}"]
    assert _pixels_of(page, frame, style.BRAND) >= 12 * seen, (seen, stale)
    assert _pixels_of(page, frame, style.GREY) >= 12 * stale, (seen, stale)


@pytest.mark.parametrize("count", MATRIX_COUNTS)
def test_matrix_bubbles_show_in_libreoffice(rendered: dict[str, Any], count: int) -> None:
    frame = rendered["frames"][f"matrix:{count}"]
    page = rendered["pages"][f"matrix:{count}"]
    # Still a PowerPoint bubble chart.
    assert frame.chart._chartSpace.find(".//" + qn("c:bubbleChart")) is not None
    colours = _series_colours(frame)
    assert len(colours) == min(count, 3)  # one series per tier present
    for colour in colours:
        # A bubble of the smallest tier is at least a few pixels across at 50 dpi.
        assert _pixels_of(page, frame, colour) >= 12, (count, colour)
    total = sum(_pixels_of(page, frame, colour) for colour in colours)
    assert total >= 40 * min(count, 3)


def _numbers(text: str) -> set[str]:
    """The numbers printed on a page, with their thin and no-break spaces as plain spaces."""
    text = text.replace("\u202f", " ").replace("\u00a0", " ")
    return set(re.findall(r"\d[\d ,.]*\d %|\d[\d ,.]*\d%|\d %|\d%|\d[\d ,.]*\d|\d", text))


def test_french_chart_numbers_in_libreoffice(rendered: dict[str, Any]) -> None:
    bars = _numbers(rendered["texts"]["bars:fr"])
    assert {"6 000", "2 500"} <= bars  # data labels and axis
    assert not any("," in n for n in bars)
    pareto = _numbers(rendered["texts"]["pareto:fr"])
    assert {"68 %", "100 %", "20 %"} <= pareto
    assert not any(n.endswith("%") and not n.endswith(" %") for n in pareto)


def test_english_chart_numbers_in_libreoffice(rendered: dict[str, Any]) -> None:
    bars = _numbers(rendered["texts"]["bars:en"])
    assert {"6,000", "2,500"} <= bars
    pareto = _numbers(rendered["texts"]["pareto:en"])
    assert {"68%", "100%", "20%"} <= pareto
    assert not any(n.endswith(" %") for n in pareto)

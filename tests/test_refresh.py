"""`kamxl refresh` as a KAM uses it: build, edit the deck by hand, change the workbook,
refresh; every edit kept, every bound value the one a fresh build shows.

The deck is edited with python-pptx the way a person does in PowerPoint (move and resize
a chart, recolour a title, rewrite a title, add, delete and reorder slides, type notes);
the workbook is changed with kamxl's writer (revenue of the account, a new opportunity, a
stakeholder and an action removed). Values are read back with python-pptx's own API, per
binding key (the fifth field of a kamxl shape name), not with kamxl's refresh code.
"""

from __future__ import annotations

import copy
import io
import shutil
import subprocess
import zipfile
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook
from pptx import Presentation
from pptx.dml.color import RGBColor
from pptx.util import Inches, Pt

from kamxl.deck.binding import DeckId
from kamxl.deck.build import build_portfolio, build_qbr
from kamxl.deck.context import Audience, portfolio_context, qbr_context
from kamxl.deck.refresh import NoBindingError, refresh_deck, refresh_folder
from kamxl.workbook.reader import read_workbook
from kamxl.workbook.sample import sample_portfolio

ACCOUNT = "ACC-004"
RED = RGBColor(0xC0, 0x10, 0x10)

Rows = dict[str, list[dict[str, Any]]]


# --- what a person sees, per binding key --------------------------------------------------


def key_of(shape: Any) -> str | None:
    """The binding key in a shape's name (None for a shape kamxl did not bind)."""
    parts = shape.name.split("|")
    return parts[5] if parts[0] == "kamxl" and len(parts) >= 7 else None


def shown(shape: Any) -> Any:
    """What a bound shape shows: its text, its table's cells, its chart's categories and
    series (name and values)."""
    if shape.has_chart:
        plots = []
        for plot in shape.chart.plots:
            categories = list(plot.categories) if plot.categories else []
            series = [(s.name, list(s.values), point_labels(s)) for s in plot.series]
            plots.append((categories, series))
        return plots, axis_ranges(shape.chart)
    if shape.has_table:
        return [[cell.text for cell in row.cells] for row in shape.table.rows]
    if not shape.text_frame.text and shape.fill.type is not None:  # a tile's status bar
        return f"fill:{shape.fill.fore_color.rgb}"
    return shape.text_frame.text


def point_labels(series: Any) -> list[tuple[str, str]]:
    """The labels a series gives its points one by one: (point index, text or "value")."""
    labels = []
    for label in series._element.iter(qn_c("dLbl")):
        texts = [
            t.text or ""
            for t in label.iter("{http://schemas.openxmlformats.org/drawingml/2006/main}t")
        ]
        labels.append((label.find(qn_c("idx")).get("val"), "".join(texts) or "value"))
    return labels


def axis_ranges(chart: Any) -> list[tuple[float | None, ...]]:
    """The minimum and maximum of each axis (None: automatic), as numbers (LibreOffice
    writes "0" where python-pptx writes "0.0")."""
    ranges = []
    for scaling in chart._chartSpace.iter(qn_c("scaling")):
        bounds = [scaling.find(qn_c(t)) for t in ("min", "max")]
        ranges.append(tuple(None if b is None else float(b.get("val")) for b in bounds))
    return ranges


def bound(data: bytes) -> dict[str, Any]:
    """Binding key -> what the shape shows, for every bound shape of a deck."""
    prs = Presentation(io.BytesIO(data))
    values: dict[str, Any] = {}
    for slide in prs.slides:
        for shape in slide.shapes:
            key = key_of(shape)
            if key is not None:
                values[key] = shown(shape)
    return values


def shape(prs: Any, key: str) -> Any:
    return next(s for slide in prs.slides for s in slide.shapes if key_of(s) == key)


def slide_of(prs: Any, key: str) -> Any:
    return next(slide for slide in prs.slides if any(key_of(s) == key for s in slide.shapes))


def title(slide: Any) -> Any:
    return slide.shapes.title


def where(data: bytes, key: str) -> str:
    """How a refresh report names the bound element ``key`` of a deck: "slide N: key"."""
    prs = Presentation(io.BytesIO(data))
    number = next(
        n for n, slide in enumerate(prs.slides, 1) if any(key_of(s) == key for s in slide.shapes)
    )
    return f"slide {number}: {key}"


# --- the workbook and its changes -----------------------------------------------------------


def changed(rows: Rows) -> Rows:
    """The sample portfolio a quarter's work later: ACC-004's revenue of the current period
    up by a fifth, a new large open opportunity, a stakeholder gone, an action done."""
    rows = copy.deepcopy(rows)
    for row in rows["Revenue"]:
        if row["account_id"] == ACCOUNT and row["period"] == "2026-Q3" and row["revenue"]:
            row["revenue"] = round(row["revenue"] * 1.2)
    for row in rows["Accounts"]:
        if row["account_id"] == ACCOUNT:
            row["revenue_curr"] = round(row["revenue_curr"] * 1.2)
    rows["Opportunities"].append(
        {
            "account_id": ACCOUNT,
            "opportunity": "Fleet telemetry retrofit",
            "type": "upsell",
            "amount": 640000,
            "created": date(2026, 9, 20),
            "outcome": "open",
            "stage": "proposal",
            "probability": 0.4,
            "closed": None,
        }
    )
    people = [r for r in rows["Stakeholders"] if r["account_id"] == ACCOUNT]
    rows["Stakeholders"].remove(people[-1])
    actions = [r for r in rows["Actions"] if r["account_id"] == ACCOUNT]
    actions[0]["status"] = "done"
    for row in rows["Health"]:  # from red to green
        if row["account_id"] == ACCOUNT and row["period"] == "2026-Q3":
            row.update(adoption=92, engagement=90, satisfaction=88, risk=12)
    return rows


@pytest.fixture
def books(make_book: Callable[..., Path]) -> tuple[Path, Path]:
    """The sample portfolio before and after :func:`changed`."""
    before = sample_portfolio()
    return make_book(before, "before.xlsx"), make_book(changed(before), "after.xlsx")


def qbr(book: Path, audience: Audience = Audience.INTERNAL) -> bytes:
    workbook = read_workbook(book)
    return build_qbr(qbr_context(workbook, ACCOUNT, audience=audience)).to_bytes()


# --- what a KAM does in PowerPoint ----------------------------------------------------------


def delete_slide(prs: Any, slide: Any) -> None:
    ids = prs.slides._sldIdLst
    entry = next(i for i in ids if int(i.get("id")) == slide.slide_id)
    prs.part.drop_rel(entry.rId)
    ids.remove(entry)


def swap_slides(prs: Any, first: Any, second: Any) -> None:
    """Swap two slides (``first`` before ``second``) in the slide list."""
    ids = prs.slides._sldIdLst
    a = next(i for i in ids if int(i.get("id")) == first.slide_id)
    b = next(i for i in ids if int(i.get("id")) == second.slide_id)
    after_b = b.getnext()
    a.addprevious(b)
    if after_b is not None:
        after_b.addprevious(a)
    else:
        ids.append(a)


def edit_qbr(data: bytes) -> tuple[bytes, dict[str, Any]]:
    """The QBR as a KAM leaves it: the revenue chart moved and made smaller, the scorecard
    title recoloured, the pipeline title rewritten, a slide of their own added, the risks
    slide deleted, health and relationships swapped, notes typed. Returns the deck and what
    was done, to check."""
    prs = Presentation(io.BytesIO(data))
    chart = shape(prs, "trajectory.chart")
    chart.left, chart.top = chart.left + Inches(1), chart.top + Inches(0.3)
    chart.width, chart.height = chart.width - Inches(2), chart.height - Inches(1)
    for paragraph in title(slide_of(prs, "scorecard.kicker")).text_frame.paragraphs:
        for run in paragraph.runs:
            run.font.color.rgb = RED
    title(slide_of(prs, "pipeline.kicker")).text_frame.text = "Our pipeline, as I tell it"
    mine = prs.slides.add_slide(prs.slide_layouts[-1])
    box = mine.shapes.add_textbox(Inches(1), Inches(1), Inches(6), Inches(1))
    box.text_frame.text = "Customer visit: photos"
    delete_slide(prs, slide_of(prs, "risks.kicker"))
    swap_slides(prs, slide_of(prs, "health_trend.kicker"), slide_of(prs, "relationships.kicker"))
    slide_of(prs, "scorecard.kicker").notes_slide.notes_text_frame.text = "Ask about the renewal."
    out = io.BytesIO()
    prs.save(out)
    edits = {
        "chart": (chart.left, chart.top, chart.width, chart.height),
        "slides": len(prs.slides),
    }
    return out.getvalue(), edits


def kickers(data: bytes) -> list[str]:
    """The section of each slide in order (by its kicker's key), "mine" for the user's."""
    prs = Presentation(io.BytesIO(data))
    order = []
    for slide in prs.slides:
        keys = [key_of(s) for s in slide.shapes]
        kicker = next((k for k in keys if k and k.endswith(".kicker")), None)
        order.append(kicker.removesuffix(".kicker") if kicker else "mine")
    return order


# --- the tests ------------------------------------------------------------------------------


def test_an_edited_qbr_keeps_every_edit_and_shows_the_new_numbers(
    books: tuple[Path, Path],
) -> None:
    before, after = books
    built = qbr(before)
    edited, edits = edit_qbr(built)
    fresh = bound(qbr(after))
    old = bound(built)
    # the workbook change is visible: the test would pass on a refresh that did nothing if not
    for key in (
        "scorecard.tile.revenue.value",
        "pipeline.table",
        "trajectory.chart",
        "scorecard.tile.health.accent",
        "scorecard.tile.health.detail",
    ):
        assert old[key] != fresh[key], key
    assert len(fresh["pipeline.table"]) == len(old["pipeline.table"]) + 1

    refreshed, report = refresh_deck(edited, read_workbook(after))
    values = bound(refreshed)

    # every bound value is a fresh build's, but the title the user rewrote and the slide
    # the user deleted
    deleted = {k for k in fresh if k.startswith("risks.")}
    kept = {"pipeline.title"}
    assert set(values) == set(fresh) - deleted
    for key in set(values) - kept:
        assert values[key] == fresh[key], key
    assert values["pipeline.title"] == "Our pipeline, as I tell it"
    assert report.kept == [where(edited, "pipeline.title")]
    assert report.unbound == [] and report.new == []
    assert "slide 5: trajectory.chart" in report.refreshed

    prs = Presentation(io.BytesIO(refreshed))
    chart = shape(prs, "trajectory.chart")
    assert (chart.left, chart.top, chart.width, chart.height) == edits["chart"]
    runs = [
        r for p in title(slide_of(prs, "scorecard.kicker")).text_frame.paragraphs for r in p.runs
    ]
    assert runs and all(r.font.color.rgb == RED for r in runs)
    assert title(slide_of(prs, "scorecard.kicker")).text_frame.text == fresh["scorecard.title"]
    assert len(prs.slides) == edits["slides"]
    order = kickers(refreshed)
    assert order[-1] == "mine" and "risks" not in order
    assert order.index("relationships") < order.index("health_trend")
    assert prs.slides[-1].shapes[-1].text_frame.text == "Customer visit: photos"
    notes = slide_of(prs, "scorecard.kicker").notes_slide.notes_text_frame.text
    assert notes == "Ask about the renewal."
    # the status colour follows the status: the health detail was red, it is green now
    fresh_prs = Presentation(io.BytesIO(qbr(after)))
    colours = [
        {
            r.font.color.rgb
            for p in shape(deck, "scorecard.tile.health.detail").text_frame.paragraphs
            for r in p.runs
        }
        for deck in (prs, fresh_prs)
    ]
    assert colours[0] == colours[1] == {RGBColor(0x2E, 0x7D, 0x32)}

    again, second = refresh_deck(refreshed, read_workbook(after))
    assert second.refreshed == [] and second.kept == [where(edited, "pipeline.title")]
    assert bound(again) == values


def test_overwrite_edits_replaces_the_title_the_user_rewrote(books: tuple[Path, Path]) -> None:
    before, after = books
    edited, _ = edit_qbr(qbr(before))
    refreshed, report = refresh_deck(edited, read_workbook(after), overwrite_edits=True)
    assert report.kept == []
    assert bound(refreshed)["pipeline.title"] == bound(qbr(after))["pipeline.title"]
    assert where(edited, "pipeline.title") in report.refreshed


def test_a_table_grows_and_shrinks_within_its_frame_keeping_its_formatting(
    books: tuple[Path, Path],
) -> None:
    before, after = books
    prs = Presentation(io.BytesIO(qbr(before)))
    table = shape(prs, "actions.table")
    for cell in table.table.rows[1].cells:  # the user makes the first action bold
        for paragraph in cell.text_frame.paragraphs:
            for run in paragraph.runs:
                run.font.bold = True
    header = table.table.rows[0].cells[0].text_frame.paragraphs[0].runs[0].font.size
    out = io.BytesIO()
    prs.save(out)
    refreshed, _ = refresh_deck(out.getvalue(), read_workbook(after))
    fresh = bound(qbr(after))
    table = shape(Presentation(io.BytesIO(refreshed)), "actions.table")
    assert shown(table) == fresh["actions.table"]
    assert len(table.table.rows) == len(fresh["actions.table"])  # one action fewer
    first = table.table.rows[1].cells[0].text_frame.paragraphs[0].runs[0].font
    assert first.bold is True
    assert table.table.rows[0].cells[0].text_frame.paragraphs[0].runs[0].font.size == header
    assert table.height == sum(row.height for row in table.table.rows)


def test_a_chart_keeps_its_formatting_and_the_other_sheets_of_its_workbook(
    books: tuple[Path, Path],
) -> None:
    before, after = books
    prs = Presentation(io.BytesIO(qbr(before)))
    chart = shape(prs, "trajectory.chart").chart
    chart.plots[0].series[0].format.fill.solid()
    chart.plots[0].series[0].format.fill.fore_color.rgb = RED
    chart.value_axis.tick_labels.font.size = Pt(15)
    part = chart.part.chart_workbook.xlsx_part
    workbook = load_workbook(io.BytesIO(part.blob))
    workbook.create_sheet("My notes")["A1"] = "Checked with finance"
    blob = io.BytesIO()
    workbook.save(blob)
    part.blob = blob.getvalue()
    out = io.BytesIO()
    prs.save(out)

    refreshed, _ = refresh_deck(out.getvalue(), read_workbook(after))
    fresh_prs = Presentation(io.BytesIO(qbr(after)))
    chart = shape(Presentation(io.BytesIO(refreshed)), "trajectory.chart").chart
    assert shown(shape(Presentation(io.BytesIO(refreshed)), "trajectory.chart")) == shown(
        shape(fresh_prs, "trajectory.chart")
    )
    assert chart.plots[0].series[0].format.fill.fore_color.rgb == RED
    assert chart.value_axis.tick_labels.font.size == Pt(15)
    embedded = load_workbook(io.BytesIO(chart.part.chart_workbook.xlsx_part.blob))
    assert embedded["My notes"]["A1"].value == "Checked with finance"
    fresh_sheet = load_workbook(
        io.BytesIO(shape(fresh_prs, "trajectory.chart").chart.part.chart_workbook.xlsx_part.blob)
    ).worksheets[0]
    data_sheet = embedded[fresh_sheet.title]
    assert [[c.value for c in row] for row in data_sheet.iter_rows()] == [
        [c.value for c in row] for row in fresh_sheet.iter_rows()
    ]


def test_an_edited_portfolio_review_is_refreshed(books: tuple[Path, Path]) -> None:
    before, after = books
    built = build_portfolio(portfolio_context(read_workbook(before))).to_bytes()
    prs = Presentation(io.BytesIO(built))
    matrix = shape(prs, "matrix.chart")
    matrix.left, matrix.width = matrix.left + Inches(0.5), matrix.width - Inches(1)
    tiering = slide_of(prs, "tiering.kicker")
    for run in title(tiering).text_frame.paragraphs[0].runs:
        run.font.color.rgb = RED
    out = io.BytesIO()
    prs.save(out)
    fresh = bound(build_portfolio(portfolio_context(read_workbook(after))).to_bytes())
    assert bound(built) != fresh
    refreshed, report = refresh_deck(out.getvalue(), read_workbook(after))
    assert bound(refreshed) == fresh
    assert report.kept == [] and report.unbound == []
    prs = Presentation(io.BytesIO(refreshed))
    assert shape(prs, "matrix.chart").width == matrix.width
    runs = title(slide_of(prs, "tiering.kicker")).text_frame.paragraphs[0].runs
    assert runs and all(r.font.color.rgb == RED for r in runs)


def whitespace_fills(data: bytes) -> list[list[str | None]]:
    """The fill colour of each cell of the whitespace grid (None: no fill)."""
    table = shape(Presentation(io.BytesIO(data)), "whitespace.table").table
    return [
        [str(c.fill.fore_color.rgb) if c.fill.type is not None else None for c in row.cells]
        for row in table.rows
    ]


def test_the_revenue_bridge_and_the_whitespace_grid_follow_the_workbook(
    make_book: Callable[..., Path],
) -> None:
    """A proposal on a product line a key account does not buy turns its open cell into a
    proposed one (symbol and fill), and a revenue change moves the bridge's steps."""
    rows = sample_portfolio()
    before = make_book(rows, "before.xlsx")
    built = build_portfolio(portfolio_context(read_workbook(before))).to_bytes()
    grid = bound(built)["whitespace.table"]
    header = grid[0]
    row, column = next(
        (i, j) for i, r in enumerate(grid[1:], 1) for j, c in enumerate(r) if c == "○"
    )
    account = next(a for a in rows["Accounts"] if a["name"] == grid[row][0])
    later = copy.deepcopy(rows)
    later["Opportunities"].append(
        {
            "account_id": account["account_id"],
            "opportunity": "Line extension",
            "type": "cross-sell",
            "amount": 250000,
            "created": date(2026, 9, 1),
            "outcome": "open",
            "stage": "proposal",
            "probability": 0.3,
            "closed": None,
            "product_line": header[column],
        }
    )
    for line in later["Revenue"]:  # the account's current revenue up by a half
        if line["account_id"] == account["account_id"] and line["period"] == "2026-Q3":
            line["revenue"] = round(line["revenue"] * 1.5)
    for other in later["Accounts"]:
        if other["account_id"] == account["account_id"]:
            other["revenue_curr"] = sum(
                r["revenue"]
                for r in later["Revenue"]
                if r["account_id"] == account["account_id"] and r["period"] == "2026-Q3"
            )
    after = read_workbook(make_book(later, "after.xlsx"))
    fresh_bytes = build_portfolio(portfolio_context(after)).to_bytes()
    fresh = bound(fresh_bytes)
    assert fresh["whitespace.table"][row][column] == "◐"
    assert fresh["portfolio_bridge.chart"] != bound(built)["portfolio_bridge.chart"]
    refreshed, report = refresh_deck(built, after)
    values = bound(refreshed)
    assert values["whitespace.table"] == fresh["whitespace.table"]
    assert values["portfolio_bridge.chart"] == fresh["portfolio_bridge.chart"]
    assert whitespace_fills(refreshed) == whitespace_fills(fresh_bytes)
    assert whitespace_fills(refreshed)[row][column] != whitespace_fills(built)[row][column]
    assert report.unbound == []


def test_a_deck_of_another_tool_gets_a_clear_message() -> None:
    prs = Presentation()
    prs.slides.add_slide(prs.slide_layouts[5]).shapes.title.text = "Quarterly review"
    out = io.BytesIO()
    prs.save(out)
    with pytest.raises(NoBindingError, match=r"theirs\.pptx: holds no kamxl binding"):
        refresh_deck(out.getvalue(), read_workbook_sample(), name="theirs.pptx")


def read_workbook_sample() -> Any:
    from tests.conftest import SAMPLE

    return read_workbook(SAMPLE)


def test_an_account_gone_from_the_workbook_is_reported_and_left_as_it_is(
    books: tuple[Path, Path], make_book: Callable[..., Path]
) -> None:
    before, _ = books
    rows = sample_portfolio()
    for sheet, records in rows.items():
        if records and "account_id" in records[0]:
            rows[sheet] = [r for r in records if r["account_id"] != ACCOUNT]
    gone = make_book(rows, "gone.xlsx")
    built = qbr(before)
    refreshed, report = refresh_deck(built, read_workbook(gone))
    assert report.refreshed == [] and report.decks == []
    assert len(report.unbound) == len(bound(built))
    assert all("'ACC-004' is not in Accounts" in line for line in report.unbound)
    assert bound(refreshed) == bound(built)


def test_a_client_deck_is_refreshed_with_the_client_build_only(
    books: tuple[Path, Path],
) -> None:
    """A client QBR into which an internal tile was pasted (the margin) is refreshed with
    the client build: the pasted shape is not refreshed (reported), and no internal figure
    of the changed workbook enters the deck."""
    before, after = books
    client = Presentation(io.BytesIO(qbr(before, Audience.CLIENT)))
    internal = Presentation(io.BytesIO(qbr(before)))
    margin = shape(internal, "scorecard.tile.contribution_margin.value")
    slide_of(client, "spend.kicker").shapes._spTree.append(copy.deepcopy(margin._element))
    out = io.BytesIO()
    client.save(out)
    refreshed, report = refresh_deck(out.getvalue(), read_workbook(after))
    assert report.decks == ["qbr ACC-004 (client, en)"]
    assert report.unbound == [
        "slide 4: scorecard.tile.contribution_margin.value "
        "(internal content in a client deck is never refreshed)"
    ]
    values = bound(refreshed)
    fresh_client = bound(qbr(after, Audience.CLIENT))
    assert {k: v for k, v in values.items() if "contribution_margin" not in k} == fresh_client
    # the pasted internal tile still shows what it showed: the changed margin never came in
    pasted = "scorecard.tile.contribution_margin.value"
    assert values[pasted] == bound(qbr(before))[pasted] != bound(qbr(after))[pasted]


def portfolio(book: Path) -> bytes:
    return build_portfolio(portfolio_context(read_workbook(book))).to_bytes()


@pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice is not installed")
@pytest.mark.parametrize("build", [qbr, portfolio], ids=["qbr", "portfolio"])
def test_a_deck_saved_by_libreoffice_keeps_its_bindings_and_refreshes(
    books: tuple[Path, Path], tmp_path: Path, build: Callable[[Path], bytes]
) -> None:
    before, after = books
    deck = tmp_path / "qbr.pptx"
    deck.write_bytes(build(before))
    resaved = tmp_path / "lo"
    subprocess.run(
        [
            "soffice",
            f"-env:UserInstallation=file://{tmp_path / 'profile'}",
            "--headless",
            "--convert-to",
            "pptx",
            "--outdir",
            str(resaved),
            str(deck),
        ],
        check=True,
        capture_output=True,
        timeout=240,
    )
    data = (resaved / "qbr.pptx").read_bytes()
    fresh = bound(build(after))
    placeholders = {k for k in fresh if k.endswith((".title", ".subtitle"))}
    assert set(bound(data)) == set(fresh) - placeholders  # LibreOffice drops those names
    refreshed, report = refresh_deck(data, read_workbook(after))
    assert report.kept == [] and report.unbound == []
    values = bound(refreshed)
    for key in set(fresh) - placeholders:
        assert values[key] == fresh[key], key
    prs = Presentation(io.BytesIO(refreshed))
    for key in placeholders:  # through the carrier (the kicker, the cover's lines)
        section = key.rsplit(".", 1)[0]
        carrier = f"{section}.lines" if section.endswith("cover") else f"{section}.kicker"
        slide = slide_of(prs, carrier)
        placeholder = next(
            s
            for s in slide.placeholders
            if ("sub" in key) == ("SUBTITLE" in str(s.placeholder_format.type))
        )
        assert placeholder.text_frame.text == fresh[key], key


def run(*args: str) -> tuple[int, str, str]:
    from click.testing import CliRunner

    from kamxl.cli import main

    result = CliRunner().invoke(main, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_the_command_refreshes_in_place_only_with_force_and_never_over_the_book(
    books: tuple[Path, Path], tmp_path: Path
) -> None:
    before, after = books
    deck = tmp_path / "qbr.pptx"
    edited, _ = edit_qbr(qbr(before))
    deck.write_bytes(edited)
    code, _, stderr = run("refresh", str(deck), "--book", str(after))
    assert code == 1 and "is the deck itself: refresh it in place with --force" in stderr
    assert deck.read_bytes() == edited
    code, _, stderr = run("refresh", str(deck), "--book", str(after), "-o", str(after), "--force")
    assert code == 1 and "never overwrites its inputs" in stderr
    out = tmp_path / "out.pptx"
    code, stdout, _ = run("refresh", str(deck), "--book", str(after), "-o", str(out))
    assert code == 0
    assert f"Refreshed qbr.pptx into {out}: " in stdout
    assert "(qbr ACC-004 (internal, en))" in stdout
    assert "Kept as you edited them (--overwrite-edits replaces them): 1\n" in stdout
    assert f"  {where(edited, 'pipeline.title')}\n" in stdout
    code, _, stderr = run("refresh", str(deck), "--book", str(after), "-o", str(out))
    assert code == 1 and "already exists" in stderr
    code, stdout, _ = run("refresh", str(deck), "--book", str(after), "--force")
    assert code == 0 and bound(deck.read_bytes()) == bound(out.read_bytes())
    fresh = bound(qbr(after))
    assert (
        bound(out.read_bytes())["scorecard.tile.revenue.value"]
        == fresh["scorecard.tile.revenue.value"]
    )


def test_the_command_names_a_deck_it_cannot_refresh(tmp_path: Path) -> None:
    from tests.conftest import SAMPLE

    theirs = tmp_path / "theirs.pptx"
    Presentation().save(str(theirs))
    code, _, stderr = run(
        "refresh", str(theirs), "--book", str(SAMPLE), "-o", str(tmp_path / "o.pptx")
    )
    assert code == 1
    assert f"kamxl: {theirs}: holds no kamxl binding" in stderr
    assert not (tmp_path / "o.pptx").exists()
    code, _, stderr = run(
        "refresh", str(SAMPLE), "--book", str(SAMPLE), "-o", str(tmp_path / "o.pptx")
    )
    assert code == 1 and "is not a PowerPoint deck (.pptx)" in stderr


def test_batch_refresh_goes_on_past_a_bad_deck(books: tuple[Path, Path], tmp_path: Path) -> None:
    before, after = books
    folder = tmp_path / "shared"
    (folder / "north").mkdir(parents=True)
    edited, _ = edit_qbr(qbr(before))
    (folder / "north" / "qbr.pptx").write_bytes(edited)
    (folder / "a theirs.pptx").write_bytes(_other_tool_deck())
    (folder / "broken.pptx").write_bytes(b"not a zip")
    client = folder / "client.pptx"
    client.write_bytes(qbr(before, Audience.CLIENT))
    code, stdout, stderr = run("batch", str(after), "--refresh", "-o", str(folder))
    assert code == 1
    assert "2 deck(s) refreshed, 2 not refreshed" in stdout
    assert "Refreshed north/qbr.pptx: " in stdout and "1 kept as edited" in stdout
    assert f"{folder / 'a theirs.pptx'}: holds no kamxl binding" in stderr
    assert f"{folder / 'broken.pptx'}: is not a PowerPoint deck" in stderr
    fresh = bound(qbr(after))
    refreshed = bound((folder / "north" / "qbr.pptx").read_bytes())
    assert refreshed["scorecard.tile.revenue.value"] == fresh["scorecard.tile.revenue.value"]
    assert bound(client.read_bytes()) == bound(qbr(after, Audience.CLIENT))
    assert (folder / "broken.pptx").read_bytes() == b"not a zip"


def _other_tool_deck() -> bytes:
    out = io.BytesIO()
    Presentation().save(out)
    return out.getvalue()


def test_the_refresh_button_refreshes_the_decks_of_the_output_folder(
    books: tuple[Path, Path], tmp_path: Path
) -> None:
    """The *Refresh decks* button, headless (the code a click runs): the QBR its QBR button
    wrote, edited since, refreshed from the changed workbook."""
    from kamxl.excel.ribbon import FileBook, dispatch

    before, after = books
    out = tmp_path / "out"
    dispatch("kam_qbr", FileBook(before, account=ACCOUNT, out=out))
    (deck,) = out.iterdir()
    edited, _ = edit_qbr(deck.read_bytes())
    deck.write_bytes(edited)
    book = FileBook(after, account=ACCOUNT, out=out)
    message = dispatch("kam_refresh", book)
    assert book.messages == [message]
    assert message.startswith(f"Refreshed 1 of 1 deck(s) in {out}: ")
    assert f"{deck.name}: 1 kept as you edited them, 0 not refreshed" in message
    fresh = bound(qbr(after))
    values = bound(deck.read_bytes())
    assert values["scorecard.tile.revenue.value"] == fresh["scorecard.tile.revenue.value"]
    assert values["pipeline.table"] == fresh["pipeline.table"]


def test_a_text_box_the_user_resized_gets_the_new_text_fitted_to_it(
    books: tuple[Path, Path],
) -> None:
    """The revenue detail made narrower and purple, the revenue value set in 40 pt: the
    new texts fit the user's boxes (smaller type, or shortened), in the user's colour, never
    larger than the user's size."""
    from kamxl.deck.fit import MARGIN_X, text_width

    before, after = books
    purple = RGBColor(0x70, 0x30, 0xA0)
    prs = Presentation(io.BytesIO(qbr(before)))
    detail = shape(prs, "scorecard.tile.revenue.detail")
    detail.width = int(detail.width * 0.45)
    for run in detail.text_frame.paragraphs[0].runs:
        run.font.color.rgb = purple
    value = shape(prs, "scorecard.tile.revenue.value")
    for run in value.text_frame.paragraphs[0].runs:
        run.font.size = Pt(40)
    out = io.BytesIO()
    prs.save(out)
    fresh = bound(qbr(after))
    refreshed, report = refresh_deck(out.getvalue(), read_workbook(after))
    prs = Presentation(io.BytesIO(refreshed))
    for key, largest in (
        ("scorecard.tile.revenue.detail", 11),
        ("scorecard.tile.revenue.value", 40),
    ):
        assert f"slide 4: {key}" in report.refreshed
        box = shape(prs, key)
        (paragraph,) = box.text_frame.paragraphs
        sizes = {run.font.size.pt for run in paragraph.runs}
        assert len(sizes) == 1 and min(sizes) <= largest
        room = (box.width - 2 * MARGIN_X) / 12700
        for line in box.text_frame.text.split("\v"):
            assert text_width(line, max(sizes), bold=key.endswith("value")) <= room
        shown_text = box.text_frame.text.replace("\v", " ").removesuffix("…").rstrip()
        assert shown_text and fresh[key].startswith(shown_text)
    runs = shape(prs, "scorecard.tile.revenue.detail").text_frame.paragraphs[0].runs
    assert all(run.font.color.rgb == purple for run in runs)


@pytest.mark.parametrize("account", ["A|1", "ACC%20=:x", "Zürich AG|ü", "a\"<&>'b"])
def test_a_binding_reads_back_whatever_the_account_id(account: str) -> None:
    from kamxl.deck.binding import Binding, DeckId, binding_name, parse_name

    binding = Binding(
        DeckId("qbr", account, "client", "fr"),
        "scorecard.tile.nps.value",
        "0123456789",
        (("title", "scorecard.title", "abcdef0123"),),
    )
    name = binding_name(binding)
    assert name.count("|") == 7 and parse_name(name) == binding


def test_a_deck_of_an_account_id_with_a_bar_refreshes(
    make_book: Callable[..., Path],
) -> None:
    from tests.conftest import mini_rows

    rows = mini_rows()
    for records in rows.values():
        for record in records:
            if record.get("account_id") == "A1":
                record["account_id"] = "A|1"
    book = read_workbook(make_book(rows))
    built = build_qbr(qbr_context(book, "A|1")).to_bytes()
    names = [s.name for slide in Presentation(io.BytesIO(built)).slides for s in slide.shapes]
    assert any(n.startswith("kamxl|qbr|A%7C1|internal|") for n in names)
    refreshed, report = refresh_deck(built, book)
    assert report.decks == ["qbr A|1 (internal, en)"] and report.unbound == []
    assert bound(refreshed) == bound(built)


def test_a_table_that_now_needs_a_slide_more_is_reported(
    books: tuple[Path, Path], make_book: Callable[..., Path]
) -> None:
    before, _ = books
    rows = sample_portfolio()
    model = next(r for r in rows["Actions"] if r["account_id"] == ACCOUNT)
    for n in range(30):
        rows["Actions"].append({**model, "action": f"Site walk-through number {n + 1}"})
    many = make_book(rows, "many.xlsx")
    fresh = bound(qbr(many))
    assert "actions.p2.table" in fresh
    refreshed, report = refresh_deck(qbr(before), read_workbook(many))
    assert "actions.p2 (a slide more)" in report.new
    assert bound(refreshed)["actions.table"] == fresh["actions.table"]
    assert "actions.p2.table" not in bound(refreshed)


@pytest.mark.parametrize("language", ["en", "fr"])
def test_every_deck_of_the_stress_workbook_refreshes_to_itself(
    language: str, tmp_path: Path
) -> None:
    """A deck refreshed from the workbook it was built from changes nothing: the stress
    workbook's decks (a 117-character name, 25 stakeholders, 30 open opportunities, long
    handshake texts), in English and in French, QBR internal and client, handshake and
    portfolio review."""
    from kamxl.deck.build import build_handshake
    from kamxl.deck.context import handshake_context
    from tests.stress import _LONG, build_stress_workbook

    book = read_workbook(build_stress_workbook(tmp_path / "stress.xlsx", language))
    decks = {
        "qbr": build_qbr(qbr_context(book, _LONG)),
        "client": build_qbr(qbr_context(book, _LONG, audience=Audience.CLIENT)),
        "handshake": build_handshake(handshake_context(book, _LONG)),
        "portfolio": build_portfolio(portfolio_context(book)),
    }
    for what, deck in decks.items():
        data = deck.to_bytes()
        refreshed, report = refresh_deck(data, book)
        assert report.refreshed == [] and report.kept == [], what
        assert report.unbound == [] and report.new == [], what
        assert report.unchanged == len(deck.bound), what
        assert bound(refreshed) == bound(data), what


def test_a_handshake_slide_is_refreshed_with_its_new_value_trajectory(
    books: tuple[Path, Path],
) -> None:
    from kamxl.deck.build import build_handshake
    from kamxl.deck.context import handshake_context

    before, after = books
    built = build_handshake(handshake_context(read_workbook(before), ACCOUNT)).to_bytes()
    fresh = bound(build_handshake(handshake_context(read_workbook(after), ACCOUNT)).to_bytes())
    assert bound(built) != fresh  # the revenue of the last twelve months changed
    refreshed, report = refresh_deck(built, read_workbook(after))
    assert report.decks == ["handshake ACC-004 (client, en)"]
    assert bound(refreshed) == fresh and report.refreshed


def test_a_chart_whose_kinds_of_plot_changed_is_kamxls_chart_whole(
    books: tuple[Path, Path],
) -> None:
    """The revenue chart had its forecast line taken out (a plot gone): no stale series can
    stay, the chart is the fresh one, its embedded workbook the user's with the new data."""
    before, after = books
    prs = Presentation(io.BytesIO(qbr(before)))
    chart = shape(prs, "trajectory.chart").chart
    area = chart._chartSpace.chart.plotArea
    line = area.find("{http://schemas.openxmlformats.org/drawingml/2006/chart}lineChart")
    assert line is not None
    area.remove(line)
    out = io.BytesIO()
    prs.save(out)
    refreshed, report = refresh_deck(out.getvalue(), read_workbook(after))
    assert "slide 5: trajectory.chart" in report.refreshed
    assert bound(refreshed)["trajectory.chart"] == bound(qbr(after))["trajectory.chart"]
    chart = shape(Presentation(io.BytesIO(refreshed)), "trajectory.chart").chart
    assert chart.part.chart_workbook.xlsx_part is not None
    indexes = [s.get("val") for s in chart._chartSpace.iter(qn_c("idx"))]
    assert len(indexes) == len(set(indexes))


def qn_c(tag: str) -> str:
    return f"{{http://schemas.openxmlformats.org/drawingml/2006/chart}}{tag}"


def test_columns_the_user_resized_get_their_cells_fitted_again(
    books: tuple[Path, Path],
) -> None:
    """The action column of the joint action plan made half as wide (the responsible one
    wider): each refreshed cell's lines fit its column, its words are the fresh ones."""
    from kamxl.deck.fit import text_width

    before, after = books
    prs = Presentation(io.BytesIO(qbr(before)))
    table = shape(prs, "actions.table").table
    first, second = table.columns[0], table.columns[1]
    half = first.width // 2
    first.width, second.width = first.width - half, second.width + half
    widths = [c.width for c in table.columns]
    out = io.BytesIO()
    prs.save(out)
    refreshed, _ = refresh_deck(out.getvalue(), read_workbook(after))
    fresh = bound(qbr(after))["actions.table"]
    table = shape(Presentation(io.BytesIO(refreshed)), "actions.table").table
    assert [c.width for c in table.columns] == widths
    wrapped = 0
    for i, (row, fresh_row) in enumerate(zip(table.rows, fresh, strict=True)):
        for j, (cell, fresh_text) in enumerate(zip(row.cells, fresh_row, strict=True)):
            lines = cell.text.split("\v")
            wrapped += len(lines) > len(fresh_text.split("\v"))
            assert " ".join(lines).split() == " ".join(fresh_text.split("\v")).split()
            room = (widths[j] - 2 * 54864) / 12700  # the cell's margins (0.06 in)
            for line in lines:
                size = cell.text_frame.paragraphs[0].runs[0].font.size.pt
                assert text_width(line, size, bold=i == 0) <= room, line
    assert wrapped  # the narrower column did wrap some actions on more lines


def _with_dtd(data: bytes) -> bytes:
    """The deck with a DTD declaring an entity in its first slide (an XML bomb's start)."""
    source, out = zipfile.ZipFile(io.BytesIO(data)), io.BytesIO()
    with zipfile.ZipFile(out, "w") as target:
        for name in source.namelist():
            part = source.read(name)
            if name == "ppt/slides/slide1.xml":
                head, rest = part.split(b"?>", 1)
                part = head + b'?><!DOCTYPE p:sld [<!ENTITY a "aaaaaaaaaa">]>' + rest
            target.writestr(name, part)
    return out.getvalue()


def test_a_deck_to_refresh_passes_the_safety_checks_of_every_file_read(
    books: tuple[Path, Path], tmp_path: Path
) -> None:
    """A deck holding a DTD (an XML bomb's start) is refused with its file and part named,
    before python-pptx reads it whole; in a folder it is reported and the others go on."""
    before, after = books
    folder = tmp_path / "decks"
    folder.mkdir()
    bad, good = folder / "bad.pptx", folder / "good.pptx"
    bad.write_bytes(_with_dtd(qbr(before)))
    good.write_bytes(qbr(before))
    code, _, stderr = run("refresh", str(bad), "--book", str(after), "-o", str(tmp_path / "o.pptx"))
    assert code == 1
    assert f"{bad}: part ppt/slides/slide1.xml declares a DTD or entities" in stderr
    assert not (tmp_path / "o.pptx").exists()
    results = refresh_folder(folder, [read_workbook(after)])
    assert [(r.path.name, r.error is None) for r in results] == [
        ("bad.pptx", False),
        ("good.pptx", True),
    ]
    assert "declares a DTD or entities" in (results[0].error or "")


def test_the_report_names_each_deck_once() -> None:
    assert DeckId("portfolio", None, "internal", "fr").describe() == "portfolio (internal, fr)"
    assert DeckId("qbr", "ACC-004", "client", "en").describe() == "qbr ACC-004 (client, en)"

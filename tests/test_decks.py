"""The decks built from the sample and from hand-made workbooks, read back with python-pptx."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from click.testing import CliRunner
from PIL import Image
from pptx import Presentation

from kamxl.cli import main
from kamxl.deck.context import Audience, qbr_context
from kamxl.deck.fit import join_units
from kamxl.deck.make import DeckKind, make_decks
from kamxl.workbook.reader import read_workbook
from tests.conftest import SAMPLE, mini_rows
from tests.deckcheck import (
    chart_texts,
    chart_workbook_values,
    check_deck,
    everything,
    kickers_and_titles,
    notes,
    raw_xml,
    shapes,
)

KEY_ACCOUNT = "ACC-004"  # Nordfjell Logistics: declining, Red, a blocker, risks


@pytest.fixture(scope="module")
def book() -> Any:
    return read_workbook(SAMPLE)


@pytest.fixture(scope="module")
def decks(book: Any, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    out = tmp_path_factory.mktemp("decks")
    built = make_decks(
        book, out, [DeckKind.QBR, DeckKind.HANDSHAKE], accounts=[KEY_ACCOUNT, "ACC-001"]
    )
    built += make_decks(book, out, [DeckKind.QBR], accounts=[KEY_ACCOUNT], audience=Audience.CLIENT)
    built += make_decks(book, out, [DeckKind.PORTFOLIO])
    paths = {}
    for item in built:
        client = "(client)" in item.path.name
        paths[f"{item.kind.value}:{item.account_id}{':client' if client else ''}"] = item.path
    return paths


QBR_KICKERS = [
    "Quarterly business review · Q3 2026",  # the title slide: its subtitle comes first
    "AGENDA",
    "EXECUTIVE SUMMARY",
    "KPI SCORECARD",
    "REVENUE TRAJECTORY",
    "REVENUE BRIDGE",  # by product line, right after the trajectory
    "HEALTH TREND",
    "RELATIONSHIP MAP",
    "OBJECTIVES AND INITIATIVES",
    "PIPELINE",
    "RISKS AND MITIGATIONS",
    "JOINT ACTION PLAN",
    "NEXT STEPS",
]


#: The client QBR tells the client's story: what we delivered, their spend and satisfaction,
#: the joint team, plan and actions, what we propose next, the governance.
CLIENT_KICKERS = [
    "Quarterly business review · Q3 2026",
    "AGENDA",
    "EXECUTIVE SUMMARY",
    "YOUR SPEND AND SATISFACTION",
    "YOUR SPEND WITH US",
    "YOUR SPEND BY PRODUCT LINE",  # the bridge by product line: their own spend
    "OUR JOINT TEAM",
    "OUR JOINT PLAN",
    "WHAT WE PROPOSE NEXT",
    "JOINT ACTION PLAN",
    "NEXT STEPS AND GOVERNANCE",
]


def test_qbr_slides_in_order(decks: dict[str, Path]) -> None:
    assert [k for k, _ in kickers_and_titles(decks[f"qbr:{KEY_ACCOUNT}"])] == QBR_KICKERS
    client = [k for k, _ in kickers_and_titles(decks[f"qbr:{KEY_ACCOUNT}:client"])]
    assert client == CLIENT_KICKERS
    # The agenda lists the sections that follow, by name.
    prs = Presentation(str(decks[f"qbr:{KEY_ACCOUNT}:client"]))
    agenda = "\n".join(t for s in prs.slides[1].shapes if s.has_text_frame for t in [s.text])
    assert [
        line.split(".", 1)[1].strip() for line in agenda.splitlines()[2 - len(CLIENT_KICKERS) :]
    ] == [k.capitalize() for k in (c.lower() for c in CLIENT_KICKERS[2:])]


def test_qbr_titles_state_the_finding(decks: dict[str, Path], book: Any) -> None:
    titles = dict(kickers_and_titles(decks[f"qbr:{KEY_ACCOUNT}"]))
    ctx = qbr_context(book, KEY_ACCOUNT)
    growth = round(-ctx.growth * 100)
    assert titles["KPI SCORECARD"] == f"Revenue down {growth}% on Q2 2026, led by Services"
    assert titles["HEALTH TREND"] == "Health down 15 points since Q2 2026, to 43 (Red)"
    assert titles["RELATIONSHIP MAP"].startswith("4 of 5 key roles covered; champion missing")


def test_qbr_charts_hold_the_workbook_numbers(decks: dict[str, Path], book: Any) -> None:
    prs = Presentation(str(decks[f"qbr:{KEY_ACCOUNT}"]))
    revenue = book["Revenue"]
    account = revenue[revenue["account_id"] == KEY_ACCOUNT]
    q3 = account[account["period"] == "2026-Q3"]["revenue"].sum()
    q4_forecast = account[account["period"] == "2026-Q4"]["forecast"].sum()
    chart = next(
        s.chart for s in shapes(prs.slides[4]) if getattr(s, "has_chart", False) and s.has_chart
    )
    types = [plot.__class__.__name__ for plot in chart.plots]
    assert types == ["BarPlot", "LinePlot"]
    actual = list(chart.plots[0].series[0].values)
    forecast = list(chart.plots[1].series[0].values)
    assert actual[7] == pytest.approx(q3 / 1000)  # k€
    assert actual[8] is None and forecast[8] == pytest.approx(q4_forecast / 1000)
    assert q3 / 1000 in [
        pytest.approx(v) for v in chart_workbook_values(chart) if isinstance(v, float)
    ]
    health = next(
        s.chart for s in shapes(prs.slides[6]) if getattr(s, "has_chart", False) and s.has_chart
    )
    assert [plot.__class__.__name__ for plot in health.plots] == ["AreaPlot", "LinePlot"]
    # Health is rounded once, as Excel shows it: the chart and the tile say the same number.
    assert list(health.plots[1].series[0].values)[-1] == 43
    tiles = [s.text_frame.text for s in shapes(prs.slides[3]) if s.has_text_frame]
    assert "43" in tiles and "42.7" not in "\n".join(everything(decks[f"qbr:{KEY_ACCOUNT}"]))
    # The RAG bands stack up to the workbook's thresholds (Settings red_max, amber_max).
    red, amber, green = (band.values[0] for band in health.plots[0].series)
    settings = book.settings
    assert (red, red + amber, red + amber + green) == (settings.red_max, settings.amber_max, 100)


@pytest.mark.parametrize(
    "key",
    [
        f"qbr:{KEY_ACCOUNT}",
        f"qbr:{KEY_ACCOUNT}:client",
        "qbr:ACC-001",
        "handshake:ACC-001",
        "portfolio:None",
    ],
)
def test_every_shape_inside_no_leftovers_text_fitted(decks: dict[str, Path], key: str) -> None:
    check_deck(decks[key])


def test_every_content_slide_has_notes_and_a_footer(decks: dict[str, Path]) -> None:
    prs = Presentation(str(decks[f"qbr:{KEY_ACCOUNT}"]))
    for number, slide in enumerate(prs.slides, start=1):
        assert len(notes(slide)) > 40, number
        if number > 1:
            texts = [s.text_frame.text for s in slide.shapes if s.has_text_frame]
            assert (
                "Nordfjell Logistics · Q3 2026 · Norvalis Industrial Systems · "
                "Confidential — internal"
            ) in texts
            assert str(number) in texts  # the slide-number field shows its number


def test_client_qbr_leaves_out_every_internal_field(decks: dict[str, Path], book: Any) -> None:
    internal_path = decks[f"qbr:{KEY_ACCOUNT}"]
    client_path = decks[f"qbr:{KEY_ACCOUNT}:client"]
    client_text = "\n".join(everything(client_path)) + raw_xml(client_path)
    internal_text = "\n".join(everything(internal_path))
    stakeholders = book["Stakeholders"]
    blockers = stakeholders[
        (stakeholders["account_id"] == KEY_ACCOUNT) & (stakeholders["role"] == "blocker")
    ]["name"]
    risks = book["Risks"][book["Risks"]["account_id"] == KEY_ACCOUNT]["risk"]
    plan = book["Plan"]
    hidden = plan[(plan["account_id"] == KEY_ACCOUNT) & (plan["client_visible"] != "yes")]
    assert len(blockers) and len(risks) and len(hidden)  # the sample has something to hide
    for secret in [*blockers, *risks, *hidden["objective"], *hidden["initiative"].dropna()]:
        shown = join_units(secret)  # "above 30 %" is laid out with its "%" tied to the 30
        assert shown in internal_text  # really there in the internal deck...
        assert secret not in client_text and shown not in client_text  # ...not in the client
    for label in (
        "Contribution margin",
        "Share of wallet",
        "Attitude",
        "Power",
        "RISKS AND MITIGATIONS",
        "Confidential",
    ):
        assert label not in client_text, label
    account = book.accounts.set_index("account_id").loc[KEY_ACCOUNT]
    for field in ("wallet", "variable_costs", "cost_to_serve"):
        assert (
            f"{account[field]:.1f}" not in client_text
            and str(int(account[field])) not in client_text
        )
    assert "Prepared for Nordfjell Logistics by Norvalis Industrial Systems" in client_text


def test_handshake_is_one_client_safe_slide(decks: dict[str, Path], book: Any) -> None:
    path = decks["handshake:ACC-001"]
    prs = Presentation(str(path))
    assert len(prs.slides) == 1
    text = "\n".join(everything(path))
    assert "Agreed by Sabine Roth, CEO on 12 Mar 2026 — next review 1 Apr 2027" in text
    assert "€9.1M" in text and "€11.2M" in text and "€17.5M" in text
    for internal in ("Confidential", "margin", "wallet", "Attitude"):
        assert internal not in text


def test_portfolio_matrix_and_summarised_tiering(decks: dict[str, Path], book: Any) -> None:
    path = decks["portfolio:None"]
    titles = [title for _, title in kickers_and_titles(path)]
    prs = Presentation(str(path))
    table = next(
        s.table for s in prs.slides[3].shapes if getattr(s, "has_table", False) and s.has_table
    )
    assert [c.text for c in table.rows[0].cells][:3] == ["Account", "KAM", "Revenue"]
    # the top 15 by score, then a closing row with how many more (decks.md: long lists)
    ranked = book.accounts.sort_values(["score", "revenue_curr"], ascending=False)
    more = len(ranked) - 15
    assert more > 0 and not titles[3].endswith(")") and "(1/" not in titles[4]
    rows = [[c.text for c in row.cells] for row in table.rows]
    assert len(rows) == 1 + 15 + 1
    assert [r[0] for r in rows[1:16]] == list(ranked["name"][:15])
    assert rows[-1][0] == f"and {more} more" and set(rows[-1][1:]) == {""}
    assert f"The table shows the first 15; {more} more are in the workbook." in notes(prs.slides[3])
    matrix = next(
        s.chart for s in shapes(prs.slides[1]) if getattr(s, "has_chart", False) and s.has_chart
    )
    assert matrix.plots[0].__class__.__name__ == "BubblePlot"
    scored = book.accounts.dropna(subset=["strength", "attractiveness"])
    names = set(scored[scored["revenue_curr"] > 0]["name"])
    labels = set(chart_texts(matrix))
    bubbles = {row[3].value for row in _sheet_rows(matrix)}
    assert names <= bubbles  # every scored account with revenue is a bubble
    named = names & labels
    assert len(named) >= len(names) * 2 // 3  # most are named, none overlapping (test_charts)
    biggest = scored.sort_values("revenue_curr").iloc[-1]["name"]
    assert biggest in named
    caption = [s.text_frame.text for s in prs.slides[1].shapes if s.has_text_frame][-1]
    assert caption.startswith("Bubble area = current revenue")
    if named != names:  # the others are said to be unlabelled
        assert f"Names shown for {len(named)} accounts, key accounts and the largest" in caption
        assert f"the other {len(names) - len(named)} are unlabelled" in caption
    assert "Hollbrook Print Services" not in labels | bubbles  # churned: no revenue, no bubble


def _sheet_rows(chart: Any) -> list[Any]:
    """The rows of a chart's embedded sheet (openpyxl cells)."""
    import io

    import openpyxl

    blob = chart.part.chart_workbook.xlsx_part.blob
    return list(openpyxl.load_workbook(io.BytesIO(blob)).worksheets[0].iter_rows(min_row=2))


def _hostile_rows() -> dict[str, list[dict[str, Any]]]:
    rows = mini_rows()
    rows["Accounts"][0]["name"] = "{{ 7*7 }} ../../../etc/passwd"
    rows["Accounts"][0]["kam"] = "{% for x in range(3) %}x{% endfor %}"
    rows["Plan"] = [
        {
            "account_id": "A1",
            "objective": '=HYPERLINK("http://evil")',
            "status": "late",
            "client_visible": "yes",
        }
    ]
    return rows


def test_hostile_cell_text_stays_literal_and_harmless(
    make_book: Callable[..., Path], tmp_path: Path
) -> None:
    book = read_workbook(make_book(_hostile_rows()))
    out = tmp_path / "out"
    out.mkdir()
    (built,) = make_decks(book, out, [DeckKind.QBR], accounts=["A1"])
    assert built.path.parent == out  # the name could not escape the folder
    assert built.path.resolve().parent == out.resolve()
    assert (
        "passwd" in built.path.name and "/" not in built.path.name and "\\" not in built.path.name
    )
    text = "\n".join(everything(built.path))
    assert "{{ 7*7 }} ../../../etc/passwd" in text  # shown as written, not rendered (49)
    assert "{% for x in range(3) %}x{% endfor %}" in text
    assert '=HYPERLINK("http://evil")' in text
    assert list(tmp_path.rglob("*passwd*")) == [built.path]  # nothing written elsewhere


def test_a_sparse_workbook_builds_with_the_missing_tiles_named_in_the_notes(
    make_book: Callable[..., Path], tmp_path: Path
) -> None:
    rows = mini_rows()
    rows["Health"] = [
        h for h in rows["Health"] if h["period"] != "2026-Q3" or h["account_id"] != "A2"
    ]
    rows["Health"].append({"account_id": "A2", "period": "2026-Q3", "adoption": None})
    book = read_workbook(make_book(rows))
    # A2: no revenue per period, health with missing components; no ratings
    (built,) = make_decks(book, tmp_path, [DeckKind.QBR], accounts=["A2"])
    check_deck(built.path)
    kickers = [k for k, _ in kickers_and_titles(built.path)]
    assert "REVENUE TRAJECTORY" not in kickers  # nothing to show: left out, and named
    assert ("Revenue trajectory", "no revenue or forecast per period in Revenue") in built.omitted
    prs = Presentation(str(built.path))
    scorecard = prs.slides[kickers.index("KPI SCORECARD")]
    texts = [s.text_frame.text for s in shapes(scorecard) if s.has_text_frame]
    assert "Net revenue retention" in texts and "80%" in texts
    # health cannot be computed (a component is missing): no "—" tile, the notes say why
    assert "—" not in texts and "Health" not in texts
    notes = scorecard.notes_slide.notes_text_frame.text
    assert "Health is not measured for this period" in notes
    assert "Not shown, no value recorded: Share of wallet, Forecast accuracy." in notes
    (portfolio,) = make_decks(book, tmp_path, [DeckKind.PORTFOLIO])
    check_deck(portfolio.path)


def test_long_tables_continue_with_the_header_repeated(
    make_book: Callable[..., Path], tmp_path: Path
) -> None:
    rows = mini_rows()
    rows["Actions"] = [
        {
            "account_id": "A1",
            "action": f"Action number {i} with a fairly long description to wrap",
            "responsible": "Ana",
            "status": "open",
        }
        for i in range(45)
    ]
    book = read_workbook(make_book(rows))
    (built,) = make_decks(book, tmp_path, [DeckKind.QBR], accounts=["A1"])
    check_deck(built.path)
    titles = [t for k, t in kickers_and_titles(built.path) if k == "JOINT ACTION PLAN"]
    assert len(titles) >= 3
    assert titles[0].endswith(f"(1/{len(titles)})") and titles[-1].endswith(
        f"({len(titles)}/{len(titles)})"
    )
    prs = Presentation(str(built.path))
    seen = []
    for slide in prs.slides:
        for shape in slide.shapes:
            if (
                getattr(shape, "has_table", False)
                and shape.has_table
                and shape.table.cell(0, 0).text == "Action"
            ):
                seen.extend(shape.table.cell(i, 0).text for i in range(1, len(shape.table.rows)))
    assert seen == [f"Action number {i} with a fairly long description to wrap" for i in range(45)]


def test_deck_command_and_existing_files(tmp_path: Path) -> None:
    runner = CliRunner()
    result = runner.invoke(
        main,
        ["deck", str(SAMPLE), "--kind", "handshake", "--account", "ACC-001", "-o", str(tmp_path)],
    )
    assert result.exit_code == 0, result.output
    assert "ACC-001 Brennholt Automotive Parts - Handshake 2026-Q3.pptx (1 slide)" in result.output
    again = runner.invoke(
        main,
        ["deck", str(SAMPLE), "--kind", "handshake", "--account", "ACC-001", "-o", str(tmp_path)],
    )
    assert again.exit_code == 1 and "already exists (use --force to replace it)" in again.stderr
    client_portfolio = runner.invoke(
        main,
        ["deck", str(SAMPLE), "--kind", "portfolio", "--audience", "client", "-o", str(tmp_path)],
    )
    assert (
        client_portfolio.exit_code == 1
        and "portfolio review is internal" in client_portfolio.stderr
    )
    unknown = runner.invoke(main, ["deck", str(SAMPLE), "--account", "NOPE", "-o", str(tmp_path)])
    assert unknown.exit_code == 1 and "not in Accounts: NOPE" in unknown.stderr


def test_pdf_without_libreoffice_says_so(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))  # no soffice on this PATH
    result = CliRunner().invoke(
        main,
        [
            "deck",
            str(SAMPLE),
            "--kind",
            "handshake",
            "--account",
            "ACC-001",
            "--pdf",
            "-o",
            str(tmp_path / "o"),
        ],
    )
    assert result.exit_code == 1
    assert (
        "LibreOffice is not installed, so no PDF was made (the .pptx decks were written)"
        in result.stderr
    )


def test_check_template_lists_what_is_missing(tmp_path: Path) -> None:
    from pptx import Presentation as New

    four_three = tmp_path / "old.pptx"
    New().save(four_three)
    result = CliRunner().invoke(main, ["deck", "--check-template", str(four_three)])
    assert result.exit_code == 1 and "slides are 4:3" in result.output


@pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice is not installed")
def test_decks_render_with_libreoffice(decks: dict[str, Path], tmp_path: Path) -> None:
    for key in (f"qbr:{KEY_ACCOUNT}", "handshake:ACC-001", "portfolio:None"):
        source = decks[key]
        pdf = tmp_path / (source.stem + ".pdf")
        subprocess.run(
            [
                "soffice",
                f"-env:UserInstallation=file://{tmp_path}/profile",
                "--headless",
                "--convert-to",
                "pdf",
                "--outdir",
                str(tmp_path),
                str(source),
            ],
            check=True,
            capture_output=True,
            timeout=240,
        )
        subprocess.run(
            ["pdftoppm", "-png", "-r", "30", str(pdf), str(tmp_path / source.stem[:7])], check=True
        )
        pages = sorted(tmp_path.glob(f"{source.stem[:7]}*.png"))
        assert len(pages) == len(Presentation(str(source)).slides)
        for page in pages:
            pixels = np.asarray(Image.open(page).convert("L"), dtype=float)
            assert pixels.std() > 5, page  # not a blank page
        for page in pages:
            page.unlink()


def test_french_decks(book: Any, tmp_path: Path) -> None:
    built = make_decks(
        book, tmp_path, [DeckKind.QBR, DeckKind.PORTFOLIO], accounts=[KEY_ACCOUNT], language="fr"
    )
    for item in built:
        check_deck(item.path)
    titles = [t for _, t in kickers_and_titles(built[0].path)]
    assert titles[3].startswith("Chiffre d’affaires en baisse de 8\u202f% sur le T2 2026")
    footer = "\n".join(everything(built[0].path))
    assert (
        "Nordfjell Logistics · T3 2026 · Norvalis Industrial Systems · Confidentiel — usage interne"
        in footer
    )

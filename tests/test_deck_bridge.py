"""The revenue bridge and the whitespace views, as a KAM reads them: built from small
workbooks made in each test, the chart values, the cells and the texts asserted against
figures worked out by hand from the rows."""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from pptx import Presentation
from pptx.enum.chart import XL_CHART_TYPE

from kamxl.deck.build import WHITESPACE_LINES, build_portfolio, build_qbr
from kamxl.deck.charts import chart_data_values
from kamxl.deck.context import Audience, portfolio_context, qbr_context
from kamxl.deck.make import DeckKind, make_decks
from kamxl.workbook.reader import read_workbook
from tests.conftest import mini_rows
from tests.deckcheck import check_deck, everything, kickers_and_titles, notes, plain, shapes


def _slide(deck: Any, kicker: str) -> Any:
    """The slide of ``deck`` (a built Deck) under ``kicker``."""
    prs = Presentation(io.BytesIO(deck.to_bytes()))
    for slide in prs.slides:
        texts = [s.text_frame.text for s in shapes(slide) if s.has_text_frame]
        if kicker in texts[:2]:
            return slide
    raise AssertionError(f"no slide {kicker!r}")


def _chart(slide: Any) -> Any:
    return next(s for s in shapes(slide) if getattr(s, "has_chart", False) and s.has_chart)


def _title(slide: Any) -> str:
    return plain(slide.shapes.title.text_frame.text)


# --- The portfolio's revenue bridge ---------------------------------------------------------

#: Five accounts, one per step: lost 100, contraction 300 -> 240, expansion 200 -> 450,
#: new 90, flat 500. Previous 1,100; current 1,280 (k€ in the chart: ÷ 1000).
BRIDGE_ACCOUNTS = [
    ("P1", "Lost Ltd", 100_000, 0),
    ("P2", "Shrink SA", 300_000, 240_000),
    ("P3", "Grow AG", 200_000, 450_000),
    ("P4", "New Co", 0, 90_000),
    ("P5", "Flat BV", 500_000, 500_000),
]


def _agree(rows: dict[str, list[dict[str, Any]]]) -> dict[str, list[dict[str, Any]]]:
    """Accounts revenue_prev and revenue_curr set to the sums of Revenue (the check makes
    them agree), 0 where Revenue has no row."""
    for account in rows["Accounts"]:
        for column, period in (("revenue_prev", "2026-Q2"), ("revenue_curr", "2026-Q3")):
            account[column] = sum(
                r.get("revenue") or 0
                for r in rows["Revenue"]
                if r["account_id"] == account["account_id"] and r["period"] == period
            )
    return rows


def _bridge_rows() -> dict[str, list[dict[str, Any]]]:
    rows = mini_rows()
    rows["Accounts"] = [
        {
            "account_id": aid,
            "name": name,
            "status": "key",
            "kam": "Ana",
            "revenue_prev": prev,
            "revenue_curr": curr,
        }
        for aid, name, prev, curr in BRIDGE_ACCOUNTS
    ]
    rows["Ratings"] = []
    rows["Health"] = []
    rows["Revenue"] = [
        {"account_id": aid, "period": period, "revenue": value, "product_line": "Equipment"}
        for aid, _, prev, curr in BRIDGE_ACCOUNTS
        for period, value in (("2026-Q2", prev), ("2026-Q3", curr))
    ]
    return rows


def test_the_portfolio_bridge_holds_the_accounts_figures(
    make_book: Callable[..., Path],
) -> None:
    book = read_workbook(make_book(_bridge_rows()))
    deck = build_portfolio(portfolio_context(book))
    slide = _slide(deck, "REVENUE BRIDGE")
    chart = _chart(slide)
    values = chart_data_values(chart)
    # base (invisible), totals, down steps, up steps, in k€
    assert values[" "] == [None, 1000.0, 940.0, 940.0, 1190.0, None]
    assert values["Total"] == [1100.0, None, None, None, None, 1280.0]
    assert values["Decrease"] == [None, 100.0, 60.0, None, None, None]
    assert values["Increase"] == [None, None, None, 250.0, 90.0, None]
    categories = list(chart.chart.plots[0].categories)
    assert categories == [
        "Q2 2026",
        "Lost accounts (1)",
        "Contraction (1)",
        "Expansion (1)",
        "New accounts (1)",
        "Q3 2026",
    ]
    assert _title(slide) == "Revenue up 16% on Q2 2026: €340K gained outweighs €160K lost"
    talk = plain(notes(slide))
    assert "from €1.1M in Q2 2026 to €1.3M in Q3 2026" in talk
    assert "€100K from 1 account lost" in talk and "€90K from 1 new account" in talk
    # the steps are signed in their labels, in the deck's number format
    xml = chart.chart._chartSpace.xml
    assert 'formatCode="&quot;−&quot;#,##0"' in xml
    assert 'formatCode="&quot;+&quot;#,##0"' in xml
    # The axis starts at zero: the steps are a large part of the bars.
    assert chart.chart.value_axis.minimum_scale == 0


def test_a_french_bridge_uses_the_french_number_format(make_book: Callable[..., Path]) -> None:
    rows = _bridge_rows()
    rows["Settings"].append({"key": "language", "value": "fr"})
    book = read_workbook(make_book(rows))
    deck = build_portfolio(portfolio_context(book, language="fr"))
    slide = _slide(deck, "PONT DE CHIFFRE D’AFFAIRES")
    xml = _chart(slide).chart._chartSpace.xml
    assert "[&gt;=1000]&quot;+&quot;#\u202f##0" in xml  # "+1 200"
    assert _title(slide).startswith("Chiffre d’affaires en hausse de 16 % sur le T2 2026 :")
    assert _title(slide).endswith(" : +340 k €, −160 k €")


def test_a_stable_portfolio_starts_the_axis_above_zero_and_says_so(
    make_book: Callable[..., Path],
) -> None:
    rows = _bridge_rows()
    for account in rows["Accounts"]:  # steps of a few percent of 10 M
        account["revenue_prev"] += 10_000_000
        account["revenue_curr"] += 10_000_000
    rows["Revenue"] = []
    book = read_workbook(make_book(rows))
    deck = build_portfolio(portfolio_context(book))
    slide = _slide(deck, "REVENUE BRIDGE")
    floor = _chart(slide).chart.value_axis.minimum_scale
    assert 0 < floor < 51_000  # below the lowest point of the bridge (k€)
    texts = [plain(s.text_frame.text) for s in shapes(slide) if s.has_text_frame]
    assert any(t.startswith("The value axis starts at ") and "not at zero" in t for t in texts)


def test_no_previous_revenue_leaves_the_bridge_out_and_says_why(
    make_book: Callable[..., Path], tmp_path: Path
) -> None:
    rows = _bridge_rows()
    rows["Revenue"] = [r for r in rows["Revenue"] if r["period"] == "2026-Q3"]
    for account in rows["Accounts"]:
        account["revenue_prev"] = 0
    book = read_workbook(make_book(rows))
    (built,) = make_decks(book, tmp_path, [DeckKind.PORTFOLIO], warn=lambda _: None)
    assert "REVENUE BRIDGE" not in [k for k, _ in kickers_and_titles(built.path)]
    assert dict(built.omitted)["Revenue bridge"] == "no revenue in Accounts for the previous period"


# --- The account's bridge by product line (QBR) ---------------------------------------------

#: A1's product lines: Equipment 100 -> stopped, Services 200 -> 150, Parts 300 -> 420,
#: Software new 80. Previous 600, current 650.
LINES = [
    ("Equipment", 100, None),
    ("Services", 200, 150),
    ("Parts", 300, 420),
    ("Software", None, 80),
]


def _line_rows() -> dict[str, list[dict[str, Any]]]:
    rows = mini_rows()
    rows["Revenue"] = [
        {"account_id": "A1", "period": period, "revenue": value, "product_line": line}
        for line, prev, curr in LINES
        for period, value in (("2026-Q2", prev), ("2026-Q3", curr))
        if value is not None
    ]
    rows["Revenue"].append(  # a forecast-only period: not in the bridge
        {"account_id": "A1", "period": "2026-Q4", "forecast": 700, "product_line": "Parts"}
    )
    rows["Accounts"][0].update(revenue_prev=600, revenue_curr=650)
    return rows


@pytest.mark.parametrize("audience", [Audience.INTERNAL, Audience.CLIENT])
def test_the_qbr_bridge_by_product_line_follows_the_trajectory(
    make_book: Callable[..., Path], audience: Audience
) -> None:
    book = read_workbook(make_book(_line_rows()))
    deck = build_qbr(qbr_context(book, "A1", audience=audience))
    kicker = "REVENUE BRIDGE" if audience is Audience.INTERNAL else "YOUR SPEND BY PRODUCT LINE"
    before = "REVENUE TRAJECTORY" if audience is Audience.INTERNAL else "YOUR SPEND WITH US"
    prs = Presentation(io.BytesIO(deck.to_bytes()))
    kickers = [
        [s.text_frame.text for s in shapes(slide) if s.has_text_frame][1] for slide in prs.slides
    ]
    assert kickers[kickers.index(before) + 1] == kicker
    slide = _slide(deck, kicker)
    chart = _chart(slide)
    values = chart_data_values(chart)
    assert values["Total"] == [0.6, None, None, None, None, 0.65]
    assert values["Decrease"] == [None, 0.1, 0.05, None, None, None]
    assert values["Increase"] == [None, None, None, 0.12, 0.08, None]
    assert values[" "] == [None, 0.5, 0.45, 0.45, 0.57, None]
    assert list(chart.chart.plots[0].categories)[1:5] == [
        "Lines stopped (1)",
        "Lines down (1)",
        "Lines up (1)",
        "New lines (1)",
    ]
    assert _title(slide) == (
        "Revenue up 8% on Q2 2026: €200 gained outweighs €150 lost"
        if audience is Audience.INTERNAL
        else "Your spend up 8% on Q2 2026: +€200, −€150"
    )


def test_a_client_bridge_carries_no_forecast(
    make_book: Callable[..., Path], tmp_path: Path
) -> None:
    rows = _line_rows()
    rows["Revenue"][0]["forecast"] = 98_765  # a forecast of the previous period
    book = read_workbook(make_book(rows))
    (built,) = make_decks(book, tmp_path, [DeckKind.QBR], accounts=["A1"], audience=Audience.CLIENT)
    check_deck(built.path)
    text = "\n".join(everything(built.path))
    assert "98765" not in text.replace(",", "").replace(" ", "")
    assert "YOUR SPEND BY PRODUCT LINE" in [k for k, _ in kickers_and_titles(built.path)]


def test_no_product_line_leaves_the_qbr_bridge_out_and_says_why(
    make_book: Callable[..., Path], tmp_path: Path
) -> None:
    book = read_workbook(make_book())  # mini_rows: Revenue has no product_line
    (built,) = make_decks(book, tmp_path, [DeckKind.QBR], accounts=["A1"], warn=lambda _: None)
    assert "REVENUE BRIDGE" not in [k for k, _ in kickers_and_titles(built.path)]
    assert dict(built.omitted)["Revenue bridge"] == "no product_line in Revenue for the two periods"


# --- Whitespace ---------------------------------------------------------------------------


def _whitespace_rows(keys: int = 3, extra_lines: int = 0) -> dict[str, list[dict[str, Any]]]:
    """``keys`` key accounts K01.. (revenue falling with the number) and one candidate; K01
    buys Equipment and Services, K02 buys Equipment and has an open Services deal (and a
    lost Software one), the others buy Parts; the candidate buys Software. ``extra_lines``
    more lines are proposed to K01 only."""
    rows = mini_rows()
    rows["Accounts"] = [
        {
            "account_id": f"K{i:02d}",
            "name": f"Key account {i}",
            "status": "key",
            "kam": "Ana",
            "revenue_prev": 1000 - i,
            "revenue_curr": 1000 - i,
        }
        for i in range(1, keys + 1)
    ] + [
        {
            "account_id": "C1",
            "name": "Candidate",
            "status": "candidate",
            "kam": "Ana",
            "revenue_prev": 5,
            "revenue_curr": 5000,
        }
    ]
    rows["Ratings"], rows["Health"] = [], []

    def sold(account: str, line: str, amount: float) -> dict[str, Any]:
        return {"account_id": account, "period": "2026-Q3", "revenue": amount, "product_line": line}

    rows["Revenue"] = [
        sold("K01", "Equipment", 600),
        sold("K01", "Services", 300),
        sold("K02", "Equipment", 500),
        sold("K02", "Parts", 0),  # no revenue: not bought
        *(sold(f"K{i:02d}", "Parts", 100) for i in range(3, keys + 1)),
        sold("C1", "Software", 5000),
        {"account_id": "K01", "period": "2026-Q2", "revenue": 50, "product_line": "Legacy"},
    ]

    def deal(account: str, line: str, outcome: str, amount: float = 10) -> dict[str, Any]:
        return {
            "account_id": account,
            "opportunity": f"{line} deal",
            "amount": amount,
            "outcome": outcome,
            "product_line": line,
        }

    rows["Opportunities"] = [
        deal("K02", "Services", "open"),
        deal("K02", "Software", "lost"),
        deal("K01", "Equipment", "open"),  # bought already: stays bought
        *(deal("K01", f"Line {n:02d}", "open", 100 - n) for n in range(extra_lines)),
    ]
    return _agree(rows)


def _grid(deck: Any) -> list[list[str]]:
    slide = _slide(deck, "WHITESPACE")
    table = next(s.table for s in slide.shapes if getattr(s, "has_table", False) and s.has_table)
    return [[cell.text for cell in row.cells] for row in table.rows]


def test_whitespace_marks_each_cell_bought_proposed_or_open(
    make_book: Callable[..., Path],
) -> None:
    book = read_workbook(make_book(_whitespace_rows()))
    deck = build_portfolio(portfolio_context(book))
    # lines: by current revenue (Software 5000 from the candidate, Equipment 1100, Services
    # 300, Parts 100), then the earlier period's (Legacy); no key account buys Software.
    assert _grid(deck) == [
        ["Key account", "Software", "Equipment", "Services", "Parts", "Legacy"],
        ["Key account 1", "○", "●", "●", "○", "○"],
        ["Key account 2", "○", "●", "◐", "○", "○"],
        ["Key account 3", "○", "○", "○", "●", "○"],
    ]
    slide = _slide(deck, "WHITESPACE")
    assert _title(slide) == "11 open cells across 3 key accounts; 1 proposed"
    texts = [plain(s.text_frame.text) for s in shapes(slide) if s.has_text_frame]
    legend = next(text for text in texts if text.startswith("● Bought"))
    assert "◐ Proposed" in legend and "○ Open ground" in legend


def test_many_key_accounts_and_lines_are_summarised(make_book: Callable[..., Path]) -> None:
    book = read_workbook(make_book(_whitespace_rows(keys=24, extra_lines=6)))
    deck = build_portfolio(portfolio_context(book))
    grid = _grid(deck)
    assert len(grid[0]) == 1 + WHITESPACE_LINES
    assert grid[-1][0].startswith("and ") and grid[-1][0].endswith(" more")
    shown = len(grid) - 2  # header and closing row
    assert int(grid[-1][0].split()[1]) == 24 - shown
    assert [row[0] for row in grid[1:4]] == ["Key account 1", "Key account 2", "Key account 3"]
    talk = plain(notes(_slide(deck, "WHITESPACE")))
    # 5 + 6 lines: the last three proposed lines are named in the notes
    assert "Product lines not shown (no room): Line 03, Line 04, Line 05." in talk
    assert f"{24 - shown} more are in the workbook" in talk


def test_no_key_account_or_no_line_leaves_whitespace_out(
    make_book: Callable[..., Path], tmp_path: Path
) -> None:
    book = read_workbook(make_book())  # mini_rows: one key account, no product_line
    (built,) = make_decks(book, tmp_path, [DeckKind.PORTFOLIO], warn=lambda _: None)
    assert "WHITESPACE" not in [k for k, _ in kickers_and_titles(built.path)]
    assert dict(built.omitted)["Whitespace"] == "no product_line in Revenue or Opportunities"


# --- The chart itself ---------------------------------------------------------------------


def test_the_step_labels_are_signed_in_every_section_of_the_number_format() -> None:
    from kamxl.deck.charts import _signed_format, chart_formats

    assert _signed_format("#,##0", "+") == '"+"#,##0'
    french = _signed_format(chart_formats("fr").integer, "−")
    assert french.split(";") == [
        '[>=1000000]"−"#\u202f###\u202f##0',
        '[>=1000]"−"#\u202f##0',
        '"−"0',
    ]


def test_the_axis_starts_at_zero_unless_the_steps_are_slivers() -> None:
    from kamxl.deck.charts import bridge_axis_floor

    # previous 1100, lost 100, contraction 60, expansion 250, new 90, current 1280
    assert bridge_axis_floor([0, 1000, 940, 940, 1190, 0], [1100, 100, 60, 250, 90, 1280]) == 0
    # the same steps on 10 M: the axis starts at a round number below the lowest point
    bases = [0, 10_000, 9_940, 9_940, 10_190, 0]
    steps = [10_100, 100, 60, 250, 90, 10_280]
    floor = bridge_axis_floor(bases, steps)
    assert 9_000 <= floor < 9_940 and floor == round(floor, -2)


def test_the_base_series_is_invisible_and_out_of_the_legend(
    make_book: Callable[..., Path],
) -> None:
    book = read_workbook(make_book(_bridge_rows()))
    deck = build_portfolio(portfolio_context(book))
    chart = _chart(_slide(deck, "REVENUE BRIDGE")).chart
    base = chart.plots[0].series[0]._element
    assert base.find(".//{*}spPr/{*}noFill") is not None
    assert base.find(".//{*}spPr/{*}ln/{*}noFill") is not None
    deleted = chart._chartSpace.findall(".//{*}legend/{*}legendEntry")
    assert [e.find("{*}idx").get("val") for e in deleted] == ["0"]
    assert chart.chart_type == XL_CHART_TYPE.COLUMN_STACKED  # editable in any PowerPoint


def test_a_current_period_not_recorded_yet_is_no_bridge_not_everything_lost(
    make_book: Callable[..., Path],
) -> None:
    rows = _line_rows()
    rows["Revenue"] = [r for r in rows["Revenue"] if r["period"] != "2026-Q3"]
    book = read_workbook(make_book(rows))
    ctx = qbr_context(book, "A1")
    assert ctx.line_bridge is not None and ctx.line_bridge.bridge is None
    assert ctx.line_bridge.reason == "no revenue in Revenue for the current period"


def test_revenue_without_a_product_line_makes_unknown_cells_not_open_ground(
    make_book: Callable[..., Path],
) -> None:
    rows = _whitespace_rows()
    rows["Revenue"].append(  # K03 has revenue this period that no product line names
        {"account_id": "K03", "period": "2026-Q3", "revenue": 40}
    )
    book = read_workbook(make_book(_agree(rows)))
    deck = build_portfolio(portfolio_context(book))
    assert _grid(deck)[3] == ["Key account 3", "—", "—", "—", "●", "—"]
    slide = _slide(deck, "WHITESPACE")
    assert _title(slide) == "7 open cells across 2 key accounts; 1 proposed"
    texts = [plain(s.text_frame.text) for s in shapes(slide) if s.has_text_frame]
    legend = next(text for text in texts if text.startswith("● Bought"))
    assert legend.endswith("— not known (revenue without a product line)")

"""One definition per label: a figure shown in several places (summary, decks) is the same
number everywhere, rounded as Excel rounds it; the portfolio margin is over the accounts
with cost data, and says how many."""

from __future__ import annotations

import re
import subprocess
import sys
from datetime import date
from pathlib import Path

import openpyxl
import pytest
from pptx import Presentation

from kamxl import core
from kamxl.deck.context import portfolio_context
from kamxl.deck.make import DeckKind, make_decks
from kamxl.deck.text import Formats
from kamxl.workbook.kpis import portfolio_kpis, stale_plans
from kamxl.workbook.reader import read_workbook
from tests.conftest import SAMPLE
from tests.deckcheck import kickers_and_titles

AS_OF = date(2026, 10, 15)


def _summary(path: Path) -> str:
    kamxl = Path(sys.executable).with_name("kamxl")
    done = subprocess.run(
        [str(kamxl), "summary", str(path)], capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_stale_plans_are_the_same_count_in_the_summary_and_the_portfolio_deck(
    tmp_path: Path,
) -> None:
    """The issue's case: "stale plans" was 5 in summary and 8 in the portfolio deck of the
    sample (freshness < 25 there, < 50 or no date here). One definition now: freshness below
    one half-life, or no update date."""
    book = read_workbook(SAMPLE)
    stale, bad = stale_plans(book)
    assert bad == ()
    count = int(stale.sum())
    fresh = book.accounts["freshness"]
    assert count == int(((fresh < 50) | book.accounts["plan_updated"].isna()).sum())
    assert portfolio_kpis(book).stale_plans.value == count
    ctx = portfolio_context(book)
    assert len(ctx.stale_plans) == count
    (deck,) = make_decks(book, tmp_path, [DeckKind.PORTFOLIO])
    titles = dict(kickers_and_titles(deck.path))
    assert titles["PLAN FRESHNESS"].startswith(f"{count} account plans are stale")
    line = next(x for x in _summary(SAMPLE).splitlines() if x.startswith("Stale plans"))
    assert re.search(rf"Stale plans\s+{count} \(freshness below 50 or no update date\)", line)


@pytest.mark.parametrize(
    ("value", "digits", "excel"),
    [
        (0.125, 0, "13%"),  # Python and Babel: 12%
        (0.145, 0, "15%"),  # stored as 0.14499999999999999
        (0.0125, 1, "1.3%"),
        (-0.125, 0, "-13%"),
        (0.005, 0, "1%"),
        (0.0049, 0, "0%"),
    ],
)
def test_percentages_round_half_away_from_zero_as_excel_shows_them(
    value: float, digits: int, excel: str
) -> None:
    assert Formats("en", "EUR").pct(value, digits) == excel


def test_numbers_and_money_round_as_excel_does() -> None:
    en, fr = Formats("en", "EUR"), Formats("fr", "EUR")
    assert en.num(2.5) == "3" and en.num(-2.5) == "-3" and en.num(0.125, 2) == "0.13"
    assert en.money(1_250_000) == "€1.3M" and en.money(850_500) == "€851K"
    assert fr.pct(0.125) == "13\u202f%"
    assert core.excel_round(2.675, 2) == 2.68  # 2.67499999... in binary, 2.68 in Excel
    assert core.excel_round(-0.0001, 2) == 0.0  # and never "-0"


def test_a_half_percent_in_a_deck_title_is_rounded_up(tmp_path: Path) -> None:
    """12.5 % growth shows as "13%" on the slide, as Excel shows it (it showed "12%")."""
    path = tmp_path / "half.xlsx"
    wb = openpyxl.load_workbook(SAMPLE)
    sheet = wb["Accounts"]
    sheet["H2"], sheet["I2"] = 2_000_000, 2_250_000  # ACC-001: +12.5 %
    revenue = wb["Revenue"]  # and its Revenue rows agree (Equipment, Services, Spare parts)
    for row, amount in ((20, 1_000_000), (21, 700_000), (22, 300_000)):  # 2026-Q2
        revenue[f"C{row}"] = amount
    for row, amount in ((23, 1_100_000), (24, 800_000), (25, 350_000)):  # 2026-Q3
        revenue[f"C{row}"] = amount
    wb.save(path)
    book = read_workbook(path, as_of=AS_OF)
    (deck,) = make_decks(book, tmp_path, [DeckKind.QBR], accounts=["ACC-001"], as_of=AS_OF)
    titles = dict(kickers_and_titles(deck.path))
    assert titles["KPI SCORECARD"].startswith("Revenue up 13% on Q2 2026"), titles


def test_the_portfolio_margin_leaves_out_accounts_without_cost_data(tmp_path: Path) -> None:
    """An account with no variable costs counted as a 100 % margin: a portfolio margin of
    31.7 % became higher as cost data went missing. It is now computed over the accounts
    with cost data, and says over how many."""
    path = tmp_path / "costs.xlsx"
    wb = openpyxl.load_workbook(SAMPLE)
    sheet = wb["Accounts"]
    for row in range(2, 12):  # ten accounts lose their cost data
        sheet[f"K{row}"] = None
        sheet[f"L{row}"] = None
    wb.save(path)
    book = read_workbook(path)
    k = portfolio_kpis(book)
    a = book.accounts
    known = a["variable_costs"].notna()
    revenue = a.loc[known, "revenue_curr"]
    expected = (
        revenue.sum() - a.loc[known, "variable_costs"].sum() - a.loc[known, "cost_to_serve"].sum()
    ) / revenue.sum()
    assert k.margin.value == pytest.approx(expected)
    assert k.margin_accounts.value == 20
    summed = (a["revenue_curr"].sum() - a["variable_costs"].sum() - a["cost_to_serve"].sum()) / a[
        "revenue_curr"
    ].sum()
    assert k.margin.value < summed  # the old figure, inflated by the ten accounts
    assert "(over 20 accounts with cost data)" in _summary(path)


def test_a_deck_and_the_summary_show_the_same_nrr(tmp_path: Path) -> None:
    book = read_workbook(SAMPLE)
    nrr = portfolio_kpis(book).nrr.value
    shown = Formats("en", "EUR").pct(nrr, 1)
    assert re.search(rf"Net / gross revenue retention\s+{re.escape(shown)} /", _summary(SAMPLE))
    (deck,) = make_decks(book, tmp_path, [DeckKind.PORTFOLIO])
    slides = Presentation(deck.path).slides
    title = dict(kickers_and_titles(deck.path))["RETENTION"]
    assert title.startswith(f"Net revenue retention {Formats('en', 'EUR').pct(nrr)}")
    assert len(slides) == 9  # the tiering table is summarised on one slide (top 15, "and N more")

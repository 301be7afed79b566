"""What the QBR says, as a KAM would write it: built from small workbooks made in each test,
the real text asserted.

Lost deals and overdue actions are watch points (an overdue action is no next step); stages
are read in both languages; a title joining two facts is true of the data; a trend's symbol
follows the trend; health is rounded once; a money column has one unit; our company is on
every cover and footer; the deck fits its data (a section with nothing to show is left out
and named; a QBR or a handshake without its core is not built); long lists are summarised,
only the joint action plan continues on further slides.
"""

from __future__ import annotations

import io
import re
from collections.abc import Callable
from dataclasses import replace
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from pptx import Presentation

from kamxl.cli import main
from kamxl.core.rounding import excel_round
from kamxl.deck.build import build_handshake, build_portfolio, build_qbr
from kamxl.deck.context import Audience, handshake_context, portfolio_context, qbr_context
from kamxl.deck.make import DeckKind, NotBuilt, make_decks
from kamxl.deck.style import CONTENT
from kamxl.deck.text import DeckText
from kamxl.workbook.reader import read_workbook
from tests.conftest import SAMPLE, mini_rows
from tests.deckcheck import check_deck, everything, kickers_and_titles, plain, shapes
from tests.stress import build_stress_workbook

AS_OF = date(2026, 10, 15)  # mini_rows' as-of date


def _rows(**sheets: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    """mini_rows with our company set and the given sheets added to."""
    rows = mini_rows()
    rows["Settings"].append({"key": "company", "value": "Northwind Partners"})
    for sheet, extra in sheets.items():
        rows.setdefault(sheet, []).extend(extra)
    return rows


def _deck_text(deck: Any) -> str:
    """Every text of the deck's slides, a line broken by the fitting joined again."""
    buffer = io.BytesIO(deck.to_bytes())
    texts = [
        shape.text_frame.text
        for slide in Presentation(buffer).slides
        for shape in shapes(slide)
        if shape.has_text_frame
    ]
    tables = [
        cell.text
        for slide in Presentation(io.BytesIO(deck.to_bytes())).slides
        for shape in slide.shapes
        if getattr(shape, "has_table", False) and shape.has_table
        for row in shape.table.rows
        for cell in row.cells
    ]
    return " ".join(" ".join([*texts, *tables]).replace("\v", " ").split(" "))


def _summary(deck: Any) -> list[str]:
    """The texts of the executive summary slide (the third)."""
    slide = Presentation(io.BytesIO(deck.to_bytes())).slides[2]
    return [s.text_frame.text.replace("\v", " ") for s in shapes(slide) if s.has_text_frame]


# --- Watch points ---------------------------------------------------------------------------

LOST = {
    "account_id": "A1",
    "opportunity": "Fleet renewal north",
    "type": "renewal",
    "stage": "closed",
    "amount": 710_000,
    "created": date(2026, 3, 1),
    "closed": date(2026, 10, 10),  # five days before the as-of date
    "outcome": "lost",
}
OVERDUE = {
    "account_id": "A1",
    "action": "Send the rollout plan",
    "responsible": "Ana",
    "due": date(2026, 9, 30),
    "status": "open",
}
UPCOMING = {
    "account_id": "A1",
    "action": "Book the steering committee",
    "responsible": "Ana",
    "due": date(2026, 11, 5),
    "status": "open",
}


@pytest.mark.parametrize(
    ("language", "lost", "overdue"),
    [
        (
            "en",
            "Lost Fleet renewal north (€710K) on 10 Oct 2026, 5 days ago",
            "Overdue since 30 Sep 2026: Send the rollout plan — Ana",
        ),
        (
            "fr",
            "Affaire perdue\u202f: Fleet renewal north (710\xa0k\xa0€), le 10 oct. 2026, "
            "il y a 5 jours",
            "En retard depuis le 30 sept. 2026\u202f: Send the rollout plan — Ana",
        ),
    ],
)
def test_a_lost_deal_and_an_overdue_action_are_watch_points(
    make_book: Callable[..., Path], language: str, lost: str, overdue: str
) -> None:
    rows = _rows(Opportunities=[LOST], Actions=[OVERDUE, UPCOMING])
    book = read_workbook(make_book(rows, language=language))
    ctx = qbr_context(book, "A1")
    assert [i.kind for i in ctx.watch][:2] == ["lost", "overdue"]
    text = DeckText(language, "EUR")
    watch = [text("item", kind=i.kind, facts=i.facts) for i in ctx.watch]
    assert watch[:2] == [lost, overdue]
    summary = plain("\n".join(_summary(build_qbr(ctx))))  # a number and its unit are tied
    assert plain(lost) in summary and plain(overdue) in summary
    # The overdue action is no next step; the upcoming one is.
    steps = [i.facts.get("name") for i in ctx.next_steps]
    assert "Send the rollout plan" not in steps and "Book the steering committee" in steps
    # The client deck knows nothing of our lost deals; the overdue joint action stays.
    client = qbr_context(book, "A1", audience=Audience.CLIENT)
    assert [i.kind for i in client.watch] == ["overdue"]
    assert "Fleet renewal north" not in _deck_text(build_qbr(client))


# --- Stages in both languages ---------------------------------------------------------------


@pytest.mark.parametrize("stage", ["proposal", "Proposition", "négociation", "NEGOCIATION"])
def test_a_deal_at_a_decision_stage_is_an_ask_in_either_language(
    make_book: Callable[..., Path], stage: str
) -> None:
    open_deal = {
        "account_id": "A1",
        "opportunity": "Data platform",
        "type": "upsell",
        "stage": stage,
        "amount": 850_000,
        "probability": 0.6,
        "created": date(2026, 6, 1),
        "outcome": "en cours",  # the French list value reads as "open"
    }
    early = {**open_deal, "opportunity": "Field service", "stage": "qualification"}
    book = read_workbook(make_book(_rows(Opportunities=[open_deal, early]), language="fr"))
    ctx = qbr_context(book, "A1")
    assert [(i.kind, i.facts["name"]) for i in ctx.asks] == [("decision", "Data platform")]
    text = DeckText("fr", "EUR")
    assert text("item", kind="decision", facts=ctx.asks[0].facts) == (
        "Décision attendue\u202f: Data platform (850\xa0k\xa0€)"
    )
    # The client is asked nothing about our stages: the deal is a proposal to them.
    client = qbr_context(book, "A1", audience=Audience.CLIENT)
    assert client.asks == []
    assert {"stage", "probability"}.isdisjoint(client.opportunities[0])


# --- Titles that never misstate -------------------------------------------------------------

_ALL_ONES = dict.fromkeys(
    (
        "rev_potential",
        "strategic_fit",
        "margin_potential",
        "complexity",
        "serve_cost",
        "relationship",
        "wallet_share",
        "competitive_pos",
        "exec_access",
    ),
    1,
)


@pytest.mark.parametrize(
    ("language", "title"),
    [
        ("fr", "1 compte de niveau A\u202f; 2 comptes au rouge sur la santé au total"),
        ("en", "1 A-tier account; 2 accounts Red on health in all"),
    ],
)
def test_the_tiering_title_says_which_tier_the_red_accounts_are_in(
    make_book: Callable[..., Path], language: str, title: str
) -> None:
    """The Red accounts are tier C, the top tier is Green: the title must not join them
    ("1 compte de niveau A, dont 2 au rouge" would say the A account is Red)."""
    rows = _rows(
        Health=[
            {
                "account_id": "A3",
                "period": "2026-Q3",
                "adoption": 10,
                "engagement": 10,
                "satisfaction": 10,
                "risk": 90,
            }
        ],
        Ratings=[{"account_id": "A3", **_ALL_ONES}],
    )
    book = read_workbook(make_book(rows, language=language))
    accounts = book.accounts.set_index("account_id")
    assert accounts.loc["A1", ["tier", "rag"]].tolist() == ["A", "Green"]
    assert set(accounts.loc[["A2", "A3"], "tier"]) == {"C"}
    assert set(accounts.loc[["A2", "A3"], "rag"]) == {"Red"}
    deck = build_portfolio(portfolio_context(book))
    kicker = DeckText(language, "EUR").label("tiering").upper()
    titles = [t for k, t in kickers_and_titles_of(deck) if k == kicker]
    assert titles and titles[0] == title
    # When the top tier holds a Red account, the title says so, and only then.
    text = DeckText(language, "EUR")
    joined = text("tiering_title", top_tier="A", count=3, red=1, red_in_tier=1)
    assert joined == (
        "3 A-tier accounts, 1 of them Red on health"
        if language == "en"
        else "3 comptes de niveau A, dont 1 au rouge sur la santé"
    )


def kickers_and_titles_of(deck: Any) -> list[tuple[str, str]]:
    path = Path("/tmp") / f"kamxl-content-{id(deck)}.pptx"
    deck.save(path)
    try:
        return kickers_and_titles(path)
    finally:
        path.unlink()


# --- Trend symbol, one rounding, one unit ---------------------------------------------------


def test_health_is_rounded_once_and_its_symbol_follows_the_trend(
    make_book: Callable[..., Path],
) -> None:
    rows = _rows(
        Health=[
            {
                "account_id": "A1",
                "period": "2026-Q2",
                "adoption": 95,
                "engagement": 95,
                "satisfaction": 95,
                "risk": 5,
            }
        ]
    )
    # 75, 62, 90, 33 with the default weights: 72.5, which Excel shows as 73 (Python's round
    # and Babel would say 72)
    rows["Health"][0].update(adoption=75, engagement=62, satisfaction=90, risk=33)
    book = read_workbook(make_book(rows))
    raw = float(book.accounts.set_index("account_id").loc["A1", "health"])
    assert raw == pytest.approx(72.5) and round(raw) == 72
    ctx = qbr_context(book, "A1")
    assert ctx.health is not None and ctx.health.value == excel_round(raw) == 73
    assert ctx.health_series[0][1][-1] == 73  # the chart's point is the same number
    assert ctx.health_trend == "Down"
    prs = Presentation(io.BytesIO(build_qbr(ctx).to_bytes()))
    kickers = [k for k, _ in kickers_and_titles_of(build_qbr(ctx))]
    scorecard = prs.slides[kickers.index("KPI SCORECARD")]
    texts = [s.text_frame.text for s in shapes(scorecard) if s.has_text_frame]
    assert "73" in texts
    assert "Green · ▼ Down" in texts or "Amber · ▼ Down" in texts
    assert not any("▲" in t and "Down" in t for t in texts)
    health = prs.slides[kickers.index("HEALTH TREND")]
    chart = next(s.chart for s in shapes(health) if getattr(s, "has_chart", False) and s.has_chart)
    assert list(chart.plots[1].series[0].values)[-1] == 73  # plots[0]: the RAG bands
    title = dict(kickers_and_titles_of(build_qbr(ctx)))["HEALTH TREND"]
    assert title.endswith("to 73 (Green)") or title.endswith("to 73 (Amber)")


def test_a_money_column_shows_one_unit(make_book: Callable[..., Path]) -> None:
    deal = {
        "account_id": "A1",
        "type": "upsell",
        "stage": "qualification",
        "probability": 0.3,
        "created": date(2026, 6, 1),
        "outcome": "open",
    }
    rows = _rows(
        Opportunities=[
            {**deal, "opportunity": "Big one", "amount": 2_400_000},
            {**deal, "opportunity": "Smaller one", "amount": 994_000},
        ]
    )
    book = read_workbook(make_book(rows))
    for audience in Audience:
        deck = build_qbr(qbr_context(book, "A1", audience=audience))
        prs = Presentation(io.BytesIO(deck.to_bytes()))
        cells = [
            cell.text
            for slide in prs.slides
            for shape in slide.shapes
            if getattr(shape, "has_table", False) and shape.has_table
            for row in shape.table.rows
            for cell in row.cells
        ]
        assert "€2.4M" in cells and "€1.0M" in cells, audience
        assert "€994K" not in cells


# --- Our company, both teams ----------------------------------------------------------------


def test_covers_and_footers_name_our_company_and_both_teams(
    make_book: Callable[..., Path],
) -> None:
    people = [
        {"account_id": "A1", "name": "Lea Roux", "title": "CIO", "role": "decision maker"},
        {"account_id": "A1", "name": "Max Weber", "title": "CFO", "role": "economic buyer"},
    ]
    book = read_workbook(make_book(_rows(Stakeholders=people)))
    client = build_qbr(qbr_context(book, "A1", audience=Audience.CLIENT))
    prs = Presentation(io.BytesIO(client.to_bytes()))
    cover = " ".join(s.text_frame.text for s in shapes(prs.slides[0]) if s.has_text_frame)
    assert "Prepared for Alpha Works by Northwind Partners" in cover
    # No attendees in Meetings: the client's side is its stakeholders.
    assert "Our team: Ana · Your team: Lea Roux, Max Weber" in cover
    for slide in list(prs.slides)[1:]:
        texts = [s.text_frame.text for s in shapes(slide) if s.has_text_frame]
        assert "Alpha Works · Q3 2026 · Prepared for Alpha Works by Northwind Partners" in texts
    internal = build_qbr(qbr_context(book, "A1"))
    prs = Presentation(io.BytesIO(internal.to_bytes()))
    cover = " ".join(s.text_frame.text for s in shapes(prs.slides[0]) if s.has_text_frame)
    assert "Northwind Partners · Confidential — internal" in cover
    assert "Client team: Lea Roux, Max Weber" in cover
    texts = [s.text_frame.text for s in shapes(prs.slides[1]) if s.has_text_frame]
    assert "Alpha Works · Q3 2026 · Northwind Partners · Confidential — internal" in texts


# --- Decks that fit their data --------------------------------------------------------------


def test_a_section_with_nothing_to_show_is_left_out_and_named(
    make_book: Callable[..., Path], tmp_path: Path
) -> None:
    book = read_workbook(make_book(_rows()))  # A1: revenue and health, no plan, no deals
    warnings: list[str] = []
    (built,) = make_decks(book, tmp_path, [DeckKind.QBR], accounts=["A1"], warn=warnings.append)
    check_deck(built.path)
    kickers = [k for k, _ in kickers_and_titles(built.path)]
    assert kickers[2:] == [  # no win, watch point or ask: no summary of three empty columns
        "KPI SCORECARD",
        "REVENUE TRAJECTORY",
        "HEALTH TREND",
    ]
    omitted = dict(built.omitted)
    assert omitted["Executive summary"] == "no win, watch point or ask"
    assert omitted["Pipeline"] == "no open opportunity in Opportunities"
    assert omitted["Joint action plan"] == "no open action in Actions"
    assert omitted["Objectives and initiatives"] == "no row in Plan"
    prs = Presentation(str(built.path))
    agenda = "\n".join(s.text_frame.text for s in prs.slides[1].shapes if s.has_text_frame)
    assert "Pipeline" not in agenda
    assert agenda.split("\n")[-1].split("\v") == [
        "1. KPI scorecard",
        "2. Revenue trajectory",
        "3. Health trend",
    ]
    assert "fill" not in "\n".join(everything(built.path)).lower()
    assert "Nothing to report" not in "\n".join(everything(built.path))
    # The command says it, naming the section and why.
    result = CliRunner().invoke(
        main, ["deck", str(book.path), "--account", "A1", "-o", str(tmp_path / "cli")]
    )
    assert result.exit_code == 0, result.output
    assert "left out the section 'Pipeline': no open opportunity in Opportunities" in result.output


def test_a_qbr_or_handshake_without_its_core_is_not_built(
    make_book: Callable[..., Path], tmp_path: Path
) -> None:
    book = read_workbook(make_book(_rows()))
    warnings: list[str] = []
    built = make_decks(
        book,
        tmp_path,
        [DeckKind.QBR, DeckKind.HANDSHAKE],
        accounts=["A1", "A3"],
        warn=warnings.append,
    )
    assert [(b.kind, b.account_id) for b in built] == [(DeckKind.QBR, "A1")]
    assert warnings == [
        "no QBR for A3: the account has nothing but its Accounts row; fill in its Revenue, "
        "Opportunities, Plan, Stakeholders, Actions or Meetings rows",
        "no handshake slide for A1: no agreement is recorded; fill in its Handshake row "
        "(client_priorities, shared_ambition, our_commitments, client_commitments, agreed_by, "
        "agreed_on)",
        "no handshake slide for A3: no agreement is recorded; fill in its Handshake row "
        "(client_priorities, shared_ambition, our_commitments, client_commitments, agreed_by, "
        "agreed_on)",
    ]
    with pytest.raises(NotBuilt, match="no QBR for A3"):
        make_decks(book, tmp_path / "..", [DeckKind.QBR], accounts=["A3"], overwrite=True)


def test_kind_all_for_the_client_skips_the_portfolio_and_says_so(
    make_book: Callable[..., Path], tmp_path: Path
) -> None:
    rows = _rows(
        Handshake=[
            {
                "account_id": "A1",
                "client_priorities": "Faster delivery",
                "agreed_by": "Lea Roux, CIO",
                "agreed_on": date(2026, 9, 1),
            }
        ]
    )
    path = make_book(rows)
    out = tmp_path / "out"
    result = CliRunner().invoke(
        main, ["deck", str(path), "--kind", "all", "--audience", "client", "-o", str(out)]
    )
    assert result.exit_code == 0, result.output
    assert "skipped the portfolio review: it is internal, it has no client version" in result.output
    assert sorted(p.name for p in out.iterdir()) == [
        "A1 Alpha Works - Handshake 2026-Q3.pptx",
        "A1 Alpha Works - QBR 2026-Q3 (client).pptx",
    ]
    alone = CliRunner().invoke(
        main, ["deck", str(path), "--kind", "portfolio", "--audience", "client", "-o", str(out)]
    )
    assert alone.exit_code != 0 and "the portfolio review is internal" in alone.output


def test_thirty_open_deals_make_one_pipeline_slide_the_largest_first(
    make_book: Callable[..., Path], tmp_path: Path
) -> None:
    deals = [
        {
            "account_id": "A1",
            "opportunity": f"Deal {i:02d}",
            "type": "upsell",
            "stage": "qualification",
            "amount": 100_000 + 10_000 * i,
            "probability": 0.2,
            "created": date(2026, 6, 1),
            "outcome": "open",
        }
        for i in range(30)
    ]
    actions = [{**UPCOMING, "action": f"Action {i:02d} with a longer text"} for i in range(40)]
    book = read_workbook(make_book(_rows(Opportunities=deals, Actions=actions)))
    for audience in Audience:
        (built,) = make_decks(
            book, tmp_path, [DeckKind.QBR], accounts=["A1"], audience=audience, overwrite=True
        )
        check_deck(built.path)
        kickers = [k for k, _ in kickers_and_titles(built.path)]
        pipeline = "WHAT WE PROPOSE NEXT" if audience is Audience.CLIENT else "PIPELINE"
        assert kickers.count(pipeline) == 1
        assert kickers.count("JOINT ACTION PLAN") >= 2  # every action matters: it continues
        prs = Presentation(str(built.path))
        table = next(
            s.table
            for s in prs.slides[kickers.index(pipeline)].shapes
            if getattr(s, "has_table", False) and s.has_table
        )
        first = [table.cell(i, 0).text for i in range(1, len(table.rows))]
        assert first[:7] == [f"Deal {i:02d}" for i in range(29, 22, -1)]  # largest first
        rest = sum(100_000 + 10_000 * i for i in range(23))
        assert first[7:] == [f"and 23 more (€{rest / 1e6:.1f}M)"]


def test_a_small_portfolio_says_which_top_accounts_its_share_counts() -> None:
    """With 3 accounts the "top 20 %" is the top account, a third of them: the title, the
    tile and the notes say so, and the chart's marker sits on the curve at 1/3, at the share
    the tile shows."""
    for language, title in (
        ("en", "Top 1 of 3 accounts makes 80% of revenue"),
        ("fr", "Le premier des 3 comptes représente 80 % du chiffre d’affaires"),
    ):
        text = DeckText(language, "EUR")
        shown = plain(text("concentration_title", top_share=0.8, hhi=None, top=1, of=3))
        assert shown == title
        assert "20" not in text("top_share_label", top=1, of=3)
        assert plain(text("top_accounts", top=6, of=30)) in (
            "Top 20% of accounts",
            "Les 20 % premiers comptes",  # a plain space: plain() above
        )


@pytest.fixture(scope="module")
def stress_book(tmp_path_factory: pytest.TempPathFactory) -> Any:
    from tests.stress import build_stress_workbook

    return read_workbook(build_stress_workbook(tmp_path_factory.mktemp("s") / "s.xlsx", "en"))


def _tables(deck: Any, kicker: str) -> list[list[list[str]]]:
    """The tables (rows of cell texts) of the slides under ``kicker``."""
    prs = Presentation(io.BytesIO(deck.to_bytes()))
    found = []
    for slide, (kick, _) in zip(prs.slides, kickers_and_titles_of(deck), strict=True):
        if kick == kicker:
            for shape in slide.shapes:
                if getattr(shape, "has_table", False) and shape.has_table:
                    found.append([[c.text for c in row.cells] for row in shape.table.rows])
    return found


def test_a_large_joint_team_is_one_slide_key_roles_first(stress_book: Any) -> None:
    ctx = qbr_context(stress_book, "STR-001", audience=Audience.CLIENT)
    assert len(ctx.people) > 20
    (table,) = _tables(build_qbr(ctx), "OUR JOINT TEAM")  # one slide, not two
    *people, closing = table[1:]
    assert plain(closing[0]) == f"and {len(ctx.people) - len(people)} more"
    roles = [row[2] for row in people]
    assert roles[0] == "Decision maker" and "User" not in roles[: len(set(roles)) - 1]


def test_an_overdue_action_shows_its_due_date_in_red(stress_book: Any) -> None:
    ctx = qbr_context(stress_book, "STR-001")
    overdue = [a for a in ctx.actions if a["due"] is not None and a["due"] < ctx.meta.as_of]
    (table, *_) = _tables(build_qbr(ctx), "JOINT ACTION PLAN")
    flagged = [row for row in table[1:] if row[-1].startswith("▼ ")]
    assert len(overdue) == 4 and len(flagged) == len(overdue)


def test_pipeline_stages_show_in_the_deck_language(stress_book: Any) -> None:
    (table,) = _tables(build_qbr(qbr_context(stress_book, "STR-001")), "PIPELINE")
    stages = {row[2] for row in table[1:-1]}  # the closing row "and N more" aside
    assert stages and stages <= {"Qualification", "Proposal", "Negotiation"}


def test_a_table_leaves_out_a_column_with_no_value_and_says_so_in_the_notes() -> None:
    from kamxl.deck.build import Column, Deck

    deck = Deck(None, DeckText("en", "EUR"), "footer")
    rows = [["Alpha", None, 3.0], ["Beta", None, float("nan")]]
    columns = [Column("Account", 2, str), Column("Health", 1, str), Column("Score", 1, str)]
    (slide,) = deck.table("TIERING", "Two accounts", "Notes.", columns, rows, empty="")
    (table,) = [s.table for s in slide.shapes if getattr(s, "has_table", False) and s.has_table]
    assert [c.text for c in table.rows[0].cells] == ["Account", "Score"]
    notes = slide.notes_slide.notes_text_frame.text
    assert plain(notes) == "Notes. Not shown, no value recorded: Health."


def test_a_next_qbr_not_set_is_said_by_the_title_not_by_a_dash(stress_book: Any) -> None:
    ctx = qbr_context(stress_book, "STR-001")
    assert ctx.next_qbr is None
    deck = build_qbr(ctx)
    prs = Presentation(io.BytesIO(deck.to_bytes()))
    (_, title), slide = kickers_and_titles_of(deck)[-1], prs.slides[-1]
    assert title == "Next QBR to schedule"
    texts = [s.text_frame.text.strip() for s in slide.shapes if s.has_text_frame]
    assert "—" not in texts and "Next QBR" not in texts[2:], texts


def _texts(slide: Any) -> list[str]:
    return [shape.text_frame.text for shape in slide.shapes if shape.has_text_frame]


def test_a_summary_column_with_nothing_is_left_out_and_the_others_widened() -> None:
    """ACC-016 has no win and no watch point, one ask: the summary is its one column, as wide
    as the content, not "Nothing to report" twice beside it."""
    book = read_workbook(SAMPLE)
    ctx = qbr_context(book, "ACC-016")
    assert not ctx.wins and not ctx.watch and ctx.asks
    summary = build_qbr(ctx).prs.slides[2]
    texts = _texts(summary)
    assert "EXECUTIVE SUMMARY" in texts
    assert "Asks" in texts and "Wins" not in texts and "Watch points" not in texts
    assert not any("Nothing to report" in text for text in texts)
    heading = next(s for s in summary.shapes if s.has_text_frame and s.text_frame.text == "Asks")
    assert heading.left == CONTENT.left and heading.width == CONTENT.width
    full = build_qbr(qbr_context(book, "ACC-001")).prs.slides[2]  # wins, watch points, asks
    assert {"Wins", "Watch points", "Asks"} <= set(_texts(full))


def test_the_handshake_shows_asks_only_when_there_is_one() -> None:
    ctx = handshake_context(read_workbook(SAMPLE), "ACC-001")
    for asks in ([], ["Access to the plant sensor data by 15 Nov"]):
        texts = _texts(build_handshake(replace(ctx, asks=asks)).prs.slides[0])
        assert ("Asks" in texts) is bool(asks), texts
        assert all(any(ask in text for text in texts) for ask in asks)


@pytest.mark.parametrize("audience", [Audience.INTERNAL, Audience.CLIENT])
def test_a_tile_with_nothing_to_say_is_left_out_and_the_notes_say_why(
    tmp_path: Path, audience: Audience
) -> None:
    """The near-empty stress account: revenue this quarter only, no survey, no health. Its
    scorecard is the revenue tile alone, not compared with a quarter of no revenue ("— vs Q2
    2026 (€0)"), and no NPS tile "— · 0 answers": "—" stands for one missing value among
    present ones. The notes say what is not shown and why."""
    book = read_workbook(build_stress_workbook(tmp_path / "stress.xlsx", "en"))
    ctx = qbr_context(book, "STR-003", audience=audience)
    assert ctx.revenue and not ctx.revenue_previous and not ctx.nps_answers
    deck = build_qbr(ctx)
    scorecard = deck.prs.slides[1]
    # no trajectory of one bar (it repeats the tile), no agenda of one item
    assert len(deck.prs.slides) == 2 and deck.sections == [scorecard_label(audience)]
    trajectory = "Your spend with us" if audience is Audience.CLIENT else "Revenue trajectory"
    assert (trajectory, "one period of revenue only (the scorecard shows it)") in deck.omitted
    texts = [text for text in _texts(scorecard) if text]
    assert texts[1] in ("KPI SCORECARD", "YOUR SPEND AND SATISFACTION")
    revenue = "Your spend" if audience is Audience.CLIENT else "Revenue"
    assert texts[3:] == ["2", revenue, "€185K"]  # slide number, then the one tile
    notes = scorecard.notes_slide.notes_text_frame.text
    assert "No revenue recorded for Q2 2026: revenue is not compared with it." in notes
    assert "No survey answer in the last twelve months: no NPS is shown." in notes
    assert "€0" not in notes and "—" not in notes


def scorecard_label(audience: Audience) -> str:
    return "spend" if audience is Audience.CLIENT else "scorecard"


@pytest.mark.parametrize("audience", [Audience.INTERNAL, Audience.CLIENT])
def test_a_qbr_that_would_show_only_the_revenue_tile_is_not_built(
    tmp_path: Path, audience: Audience
) -> None:
    """A review of one figure is no review: the command names what to fill in instead of
    writing a cover, an agenda of one item and one tile."""
    book = read_workbook(build_stress_workbook(tmp_path / "stress.xlsx", "en"))
    warnings: list[str] = []
    built = make_decks(
        book,
        tmp_path,
        [DeckKind.QBR],
        accounts=["STR-002", "STR-003"],
        audience=audience,
        warn=warnings.append,
    )
    assert [b.account_id for b in built] == ["STR-002"]
    assert warnings == [
        "no QBR for STR-003: its revenue is all it has to show; fill in its Health, "
        "Stakeholders, Opportunities, Plan, Actions or Meetings rows, or Revenue for more "
        "than one period"
    ]


def test_revenue_down_less_than_half_a_percent_is_no_watch_point() -> None:
    """ACC-030's revenue is 0.25 % below the quarter before: "Revenue down 0% on last
    period" misstates it; like the titles (flat within ±0.5 %), it is no watch point."""
    ctx = qbr_context(read_workbook(SAMPLE), "ACC-030")
    assert ctx.growth is not None and -0.005 < ctx.growth < 0
    assert "revenue_down" not in [item.kind for item in ctx.watch]
    assert "flat" in DeckText("en", "EUR")(
        "revenue_phrase", growth=ctx.growth, previous_period="2026-Q2"
    )


# --- The client's words -----------------------------------------------------------------------

#: Words of the seller's view of the client's money, which a client deck's titles never use.
_SELLER_WORDS = {
    "en": ("Revenue", "revenue", "gained", "lost"),
    "fr": ("Chiffre d’affaires", "chiffre d’affaires", "CA ", "perte", "gain"),
}


@pytest.mark.parametrize("language", ["en", "fr"])
def test_a_client_deck_speaks_of_their_spend_not_our_revenue(tmp_path: Path, language: str) -> None:
    """The client QBR's titles say "your spend" ("vos achats"), never "revenue", "lost" or
    "gained": the numbers are the internal deck's, the point of view the client's."""
    book = read_workbook(build_stress_workbook(tmp_path / "stress.xlsx", language))
    client = build_qbr(qbr_context(book, "STR-001", audience=Audience.CLIENT))
    internal = build_qbr(qbr_context(book, "STR-001"))
    titles = [s.shapes.title.text_frame.text for s in list(client.prs.slides)[1:]]
    for title in titles:
        assert not any(word in title for word in _SELLER_WORDS[language]), title
    spend = "Your spend" if language == "en" else "Vos achats"
    on_spend = [t for t in titles if spend in t or spend.lower() in t]
    assert len(on_spend) >= 4, titles  # summary, spend, spend over time, spend by line
    spend_slide = next(
        s for s in client.prs.slides if s.shapes.title.text_frame.text in on_spend[1:]
    )
    tile_labels = [sh.text_frame.text for sh in spend_slide.shapes if sh.has_text_frame]
    assert spend in tile_labels and "Revenue" not in tile_labels  # the tile says it too
    internal_titles = " ".join(s.shapes.title.text_frame.text for s in internal.prs.slides)
    figures = {f for t in on_spend for f in re.findall(r"\d[\d,.]*\u202f?%", t)}
    assert figures and all(f in internal_titles for f in figures), (figures, internal_titles)


def test_the_health_chart_draws_risk_as_it_counts_in_health() -> None:
    """Risk is "higher is worse": drawn as itself over the health bands, a low risk sat in
    the red band. The chart shows 100 − risk, named so, and every other line as recorded."""
    book = read_workbook(SAMPLE)
    deck = build_qbr(qbr_context(book, "ACC-001"))
    chart = next(
        s.chart
        for slide in deck.prs.slides
        for s in slide.shapes
        if s.has_chart and slide.shapes.title.text_frame.text.startswith("Health")
    )
    lines = {s.name: list(s.values) for plot in chart.plots for s in plot.series}
    health = book["Health"]
    mine = health[health["account_id"] == "ACC-001"].sort_values("period")
    risk = [100 - v for v in mine["risk"].tolist()]
    assert lines["Low risk (100 − risk)"][-len(risk) :] == risk
    assert lines["Adoption"][-len(risk) :] == mine["adoption"].tolist()
    assert "Risk" not in lines
    notes = next(
        s.notes_slide.notes_text_frame.text
        for s in deck.prs.slides
        if s.shapes.title.text_frame.text.startswith("Health")
    )
    assert "100 − risk" in notes

"""Typography of the decks (issue 14): one number format per language, one unit per table
column, one title size, footers that stay readable, and a portfolio review of 500 accounts
that summarises its long lists. Built with kamxl itself, read back with python-pptx (no
LibreOffice: the rendered checks are in test_layout.py)."""

from __future__ import annotations

import itertools
import math
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from pptx import Presentation
from pptx.oxml.ns import qn
from pptx.util import Inches

from kamxl.deck import build, style
from kamxl.deck.binding import parse_name
from kamxl.deck.build import Column, Deck
from kamxl.deck.context import Audience, portfolio_context
from kamxl.deck.fit import ELLIPSIS, NO_BREAK
from kamxl.deck.make import DeckKind, make_decks
from kamxl.deck.text import DeckText, Formats, money_unit
from kamxl.workbook.reader import read_workbook
from kamxl.workbook.template import build_workbook
from tests.conftest import SAMPLE
from tests.deckcheck import kickers_and_titles, notes
from tests.stress import (
    AS_OF,
    LONG_NAME,
    build_many_accounts_workbook,
    build_stress_workbook,
    many_accounts_rows,
)

NB = "\u00a0"


# --- formats ---------------------------------------------------------------------------------


def test_a_column_of_amounts_takes_the_unit_of_its_largest_value() -> None:
    en, fr = Formats("en", "EUR"), Formats("fr", "EUR")

    def column(formats: Formats, values: list[float | None]) -> list[str]:
        unit = money_unit(values)  # what a table does with a column of amounts
        return [formats.money(v, unit) for v in values]

    assert en.money(994_000) == "€994K"  # alone, an amount keeps its own unit
    assert column(en, [2_400_000, 994_000, None]) == ["€2.4M", "€1.0M", "—"]
    assert column(fr, [2_400_000, 994_000]) == [f"2,4{NB}M{NB}€", f"1,0{NB}M{NB}€"]
    assert column(en, [994_000, 5_400]) == ["€994K", "€5K"]
    assert column(en, [-1_250_000, 300_000]) == ["-€1.3M", "€0.3M"]  # half away from 0
    assert column(Formats("en", "USD"), [12, 3]) == ["$12", "$3"]
    assert column(en, []) == []
    # an amount too small for the column's unit is not shown as zero
    assert column(en, [2_400_000, 20_000, 0]) == ["€2.4M", "<€0.1M", "€0"]
    assert column(fr, [2_400_000, 0]) == [f"2,4{NB}M{NB}€", f"0{NB}€"]  # zero in any unit
    assert column(fr, [2_400_000, 400]) == [f"2,4{NB}M{NB}€", f"<0,1{NB}M{NB}€"]


def test_one_rounding_rule_for_the_effective_number_of_accounts() -> None:
    en, fr = Formats("en", "EUR"), Formats("fr", "EUR")
    assert [en.effective(v) for v in (373.04, 10.0, 9.96, 1.46, None)] == [
        "373",
        "10",
        "10.0",
        "1.5",
        "—",
    ]
    assert fr.effective(1.46) == "1,5" and fr.effective(373.04) == "373"


def test_days_and_percentages_in_the_language_format() -> None:
    en, fr = Formats("en", "EUR"), Formats("fr", "EUR")
    assert en.days(120) == f"120{NO_BREAK}d" and fr.days(120) == f"120{NO_BREAK}j"
    assert en.pct(0.68) == "68%" and fr.pct(0.68) == f"68{NO_BREAK}%"
    assert en.num(6000) == "6,000" and fr.num(6000) == f"6{NO_BREAK}000"


# --- the stress decks ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def stress_decks(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("typography")
    built: dict[str, Path] = {}
    for language in ("en", "fr"):
        book = read_workbook(build_stress_workbook(folder / f"{language}.xlsx", language))
        for kind, audience in (
            (DeckKind.QBR, Audience.INTERNAL),
            (DeckKind.QBR, Audience.CLIENT),
            (DeckKind.HANDSHAKE, Audience.INTERNAL),
            (DeckKind.PORTFOLIO, Audience.INTERNAL),
        ):
            out = folder / f"{language}-{kind.value}-{audience.value}"
            out.mkdir()
            accounts = [] if kind is DeckKind.PORTFOLIO else ["STR-001"]
            (deck,) = make_decks(book, out, [kind], accounts=accounts, audience=audience)
            built[out.name] = deck.path
    return built


def _title_runs(slide: Any) -> list:
    title = slide.shapes.title
    return [] if title is None else title.text_frame._txBody.findall(f".//{qn('a:r')}")


def test_every_title_of_the_stress_decks_has_one_size_and_one_line(
    stress_decks: dict[str, Path],
) -> None:
    sizes = set()
    for path in stress_decks.values():
        for slide in list(Presentation(str(path)).slides)[1:]:  # the cover has its own size
            runs = _title_runs(slide)
            assert runs, path.name
            sizes |= {run.find(qn("a:rPr")).get("sz") for run in runs}
            assert slide.shapes.title.text_frame._txBody.find(f".//{qn('a:br')}") is None
    assert sizes == {"2400"}


@pytest.fixture(scope="module")
def every_deck(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    """Every deck kind and audience of the stress workbook (en, fr: all three accounts) and
    of the sample (in English and French, the accounts whose titles were once cut)."""
    folder = tmp_path_factory.mktemp("titles")
    books = {
        language: read_workbook(build_stress_workbook(folder / f"{language}.xlsx", language))
        for language in ("en", "fr")
    }
    books["sample"] = read_workbook(SAMPLE)
    built: list[Path] = []
    for (source, book), language, audience in itertools.product(
        books.items(), ("en", "fr"), (Audience.INTERNAL, Audience.CLIENT)
    ):
        if source != "sample" and language != source:
            continue
        out = folder / f"{source}-{language}-{audience.value}"
        out.mkdir()
        kinds = [DeckKind.QBR, DeckKind.HANDSHAKE]
        kinds += [DeckKind.PORTFOLIO] if audience is Audience.INTERNAL else []
        accounts = ["ACC-001", "ACC-004", "ACC-016", "ACC-026"] if source == "sample" else []
        decks = make_decks(
            book,
            out,
            kinds,
            accounts=accounts,
            every=not accounts,
            audience=audience,
            language=language,
            warn=lambda _: None,  # the near-empty account has no handshake
        )
        built += [deck.path for deck in decks]
    return built


def test_no_title_is_shortened_it_has_a_wording_that_fits(
    every_deck: list[Path], many_portfolio: Path
) -> None:
    """A title cut with "…" loses its finding ("… santé à 48…"): each title has a shorter
    wording that fits one line, whatever the data (long names, long risks, big amounts)."""
    titles = {
        f"{path.parent.name}/{path.name} #{number}": slide.shapes.title.text_frame.text
        for path in [*every_deck, many_portfolio]
        for number, slide in enumerate(Presentation(str(path)).slides, start=1)
        if slide.shapes.title is not None
    }
    assert len(titles) > 250
    assert {where: title for where, title in titles.items() if ELLIPSIS in title} == {}


def test_a_page_counter_survives_a_shortened_title() -> None:
    """A table that continues (the joint action plan) has "(2/4)" in its title: a title too
    long for one line is shortened before the counter, never through it."""
    text = DeckText("fr", "EUR")
    deck = Deck(None, text, "pied de page")
    title = "Plan d’action commun : " + " ".join(["actions ouvertes avec échéances"] * 6)
    column = Column("Action", 1, str)
    slides = deck.table("PLAN", title, "", [column], [[f"Action {i}"] for i in range(60)], empty="")
    titles = [s.shapes.title.text_frame.text for s in slides]
    pages = len(slides)
    assert pages > 1
    assert [t.rsplit(" ", 1)[-1] for t in titles] == [f"({n}/{pages})" for n in range(1, pages + 1)]
    assert all(f"{ELLIPSIS} (" in t for t in titles), titles


def _footer(slide: Any) -> str:
    return next(
        s.text_frame.text
        for s in slide.shapes
        if s.has_text_frame and ("Q3 2026" in s.text_frame.text or "T3 2026" in s.text_frame.text)
    )


def test_a_long_account_name_is_shortened_in_the_footer(stress_decks: dict[str, Path]) -> None:
    for language, audience in (("en", "Prepared for"), ("fr", "Préparé pour")):
        footer = _footer(list(Presentation(str(stress_decks[f"{language}-qbr-client"])).slides)[-1])
        # the client footer names the account twice: too long for one line in full
        assert "\n" not in footer and LONG_NAME not in footer
        assert footer.count(ELLIPSIS) == 2 and audience in footer, footer
        assert footer.startswith(" ".join(LONG_NAME.split(" ")[:4]))
        before = footer.split(ELLIPSIS)[0]
        assert LONG_NAME.startswith(before) and LONG_NAME[len(before)] == " "  # a word boundary
    internal = _footer(list(Presentation(str(stress_decks["en-qbr-internal"])).slides)[-1])
    assert internal.startswith(LONG_NAME)  # where it fits, the full name stays


def test_french_amounts_and_percentages_keep_their_unit(stress_decks: dict[str, Path]) -> None:
    prs = Presentation(str(stress_decks["fr-handshake-internal"]))
    lines = [
        line
        for slide in prs.slides
        for shape in slide.shapes
        if shape.has_text_frame
        for line in shape.text_frame.text.split("\n")
    ]
    assert any(f"M{NO_BREAK}€" in line for line in lines)
    for line in lines:
        assert not line.rstrip().endswith((" M", NO_BREAK + "M")), line  # "€" would follow
        assert not line.startswith(("€", "%")), line


# --- 500 accounts ----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def many_portfolio(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("many")
    book = read_workbook(build_many_accounts_workbook(folder / "many.xlsx"))
    (deck,) = make_decks(book, folder, [DeckKind.PORTFOLIO])
    return deck.path


def _table_rows(slide: Any) -> list[list[str]]:
    table = next(s.table for s in slide.shapes if getattr(s, "has_table", False) and s.has_table)
    return [[cell.text for cell in row.cells] for row in table.rows]


def test_the_portfolio_of_500_accounts_summarises_its_long_lists(many_portfolio: Path) -> None:
    prs = Presentation(str(many_portfolio))
    slides = list(prs.slides)
    assert len(slides) <= 9  # was 65: 30 slides of tiering, 30 of stale plans
    kickers = {
        kicker: slide
        for (kicker, _title), slide in zip(kickers_and_titles(many_portfolio), slides, strict=True)
    }
    tiering = kickers["TIERING"]
    rows = _table_rows(tiering)
    assert len(rows) == 1 + 15 + 1 and rows[-1][0] == "and 485 more"
    assert "The table shows the first 15; 485 more are in the workbook." in notes(tiering)
    revenue = [r[2] for r in rows[1:16]]
    units = {value[-1] for value in revenue if value != "—"}
    assert len(units) == 1, revenue  # one unit for the column


def test_the_stale_plans_of_500_accounts_are_summarised(tmp_path: Path) -> None:
    book = read_workbook(_many_with_some_plan_dates(tmp_path / "many.xlsx"))
    (deck,) = make_decks(book, tmp_path, [DeckKind.PORTFOLIO])
    _, freshness = _slide_of(deck.path, "PLAN FRESHNESS")
    stale = _table_rows(freshness)
    assert len(stale) == 1 + 10 + 1 and stale[-1][0].startswith("and ")
    more = int(stale[-1][0].split(" ")[1].replace(",", ""))
    assert f"The table shows the first 10; {more:,} more are in the workbook." in notes(freshness)
    assert stale[0][:3] == ["Account", "KAM", "Revenue"]
    assert {r[2][-1] for r in stale[1:11]} == {"M"}  # one unit for the column
    assert all(r[3] != "—" for r in stale[1:11])  # the dated plans first


def _slide_of(path: Path, kicker: str) -> tuple[str, Any]:
    """The title and the slide of the deck at ``path`` whose kicker is ``kicker``."""
    slides = Presentation(str(path)).slides
    return next(
        (title, slide)
        for (k, title), slide in zip(kickers_and_titles(path), slides, strict=True)
        if k == kicker
    )


def _many_with_some_plan_dates(path: Path) -> Path:
    """The 500 accounts, one in three with a plan date (from fresh to a year old)."""
    rows = many_accounts_rows()
    for i, account in enumerate(rows["Accounts"]):
        if i % 3 == 0:
            account["plan_updated"] = AS_OF - timedelta(days=(i * 7) % 400)
    return build_workbook(path, rows=rows)


def test_stale_plans_are_ranked_dated_first_least_fresh_first_then_by_revenue(
    tmp_path: Path,
) -> None:
    """A stale plan with a date is a finding (it has aged); one with none says only that no
    date was kept: the dated ones lead the table, the least fresh first, then the undated,
    the biggest revenue first among equals."""
    book = read_workbook(_many_with_some_plan_dates(tmp_path / "many.xlsx"))
    plans = portfolio_context(book).stale_plans
    accounts = book.accounts.set_index("account_id")
    fresh = [accounts.loc[p["account_id"], "freshness"] for p in plans]
    missing = [math.isnan(f) for f in fresh]
    assert 0 < missing.count(False) < len(missing)
    assert missing == sorted(missing)  # the dated plans first
    assert plans[0]["updated"] is not None
    for one, two in itertools.pairwise(plans):
        a, b = (accounts.loc[p["account_id"]] for p in (one, two))
        if math.isnan(a["freshness"]) == math.isnan(b["freshness"]) and (
            math.isnan(a["freshness"]) or a["freshness"] == b["freshness"]
        ):
            assert a["revenue_curr"] >= b["revenue_curr"]  # among equals, the biggest first
        elif not math.isnan(b["freshness"]):
            assert a["freshness"] <= b["freshness"]


def test_a_portfolio_with_no_plan_date_leaves_plan_freshness_out(
    tmp_path: Path, many_portfolio: Path
) -> None:
    """No account of the 500 has a plan date: no table of 500 names "stale", and no slide
    telling the reader to fill in a sheet (decks spec): the section is left out, and the
    command says why."""
    assert "PLAN FRESHNESS" not in [kicker for kicker, _ in kickers_and_titles(many_portfolio)]
    book = read_workbook(build_many_accounts_workbook(tmp_path / "many.xlsx"))
    (deck,) = make_decks(book, tmp_path, [DeckKind.PORTFOLIO])
    assert ("Plan freshness", "no account has a plan_updated date in Accounts") in deck.omitted


def _unit(amount: str) -> str:
    return "M" if "M" in amount else "K" if ("K" in amount or "k" in amount) else ""


def _digits(text: str) -> str:
    return "".join(c for c in text if c.isdigit())


def test_every_table_column_of_amounts_has_one_unit(stress_decks: dict[str, Path]) -> None:
    columns = 0
    for path in stress_decks.values():
        for slide in Presentation(str(path)).slides:
            for shape in slide.shapes:
                if not (getattr(shape, "has_table", False) and shape.has_table):
                    continue
                rows = [[cell.text for cell in row.cells] for row in shape.table.rows][1:]
                for j in range(len(rows[0]) if rows else 0):
                    amounts = [  # a zero is zero in any unit ("€0")
                        row[j] for row in rows if "€" in row[j] and set(_digits(row[j])) != {"0"}
                    ]
                    if amounts:
                        columns += 1
                        assert len({_unit(a) for a in amounts}) == 1, (path.name, amounts)
    assert columns >= 4  # the pipeline, tiering, retention and freshness tables


def test_french_days_are_jours(stress_decks: dict[str, Path]) -> None:
    prs = Presentation(str(stress_decks["fr-qbr-internal"]))
    texts = [s.text_frame.text for slide in prs.slides for s in slide.shapes if s.has_text_frame]
    assert any(text.endswith(f"{NO_BREAK}j") for text in texts)  # the median cycle tile
    assert not any(text.endswith((f"{NO_BREAK}d", " d")) for text in texts)


def test_every_shape_of_a_content_slide_stays_inside_the_margins(
    every_deck: list[Path], many_portfolio: Path
) -> None:
    """decks.md "Style": a margin of 0.5 in. Every shape kamxl places on a content slide
    (kicker, title, text, tables, charts, tiles, rules) keeps 0.5 in from the left and right
    edges; the kicker starts 0.35 in from the top and the footer line ends 0.2 in from the
    bottom (the footer band), nothing beyond."""
    margin, width, height = Inches(0.5), Inches(13.333), Inches(7.5)
    outside = []
    for path in [*every_deck, many_portfolio]:
        for number, slide in enumerate(list(Presentation(str(path)).slides)[1:], start=2):
            for shape in slide.shapes:
                left, top = shape.left, shape.top
                right, bottom = left + shape.width, top + shape.height
                if (
                    left < margin - 1
                    or right > width - margin + 1
                    or top < Inches(0.35) - 1
                    or bottom > height - Inches(0.2) + 1
                ):
                    outside.append(f"{path.name} #{number} {shape.name}")
    assert outside == []


def test_one_helper_summarises_every_long_list() -> None:
    """Bullets, pipeline rows and portfolio tables: the top items and one "and N more"."""
    t = DeckText("en", "EUR")
    lines = [f"Contact {i}" for i in range(9)]
    assert build._top_and_more(lines[:6], 6, build._more_line(t)) == lines[:6]
    assert build._top_and_more(lines, 6, build._more_line(t)) == [*lines[:5], "and 4 more"]
    deals = [{"name": f"Deal {i}", "amount": 1_000_000.0} for i in range(5)]
    rows = build._rows(build._top_and_more(deals, 3, build._more_row(t, 2)), ("name", "amount"))
    assert rows[:2] == [["Deal 0", 1_000_000.0], ["Deal 1", 1_000_000.0]]
    assert list(rows[2]) == ["and 3 more (€3M)", ""] and rows[2].count == 3
    deals[4]["amount"] = None  # one amount missing: the rest has no total
    closing = build._top_and_more(deals, 3, build._more_row(t, 2))[-1]
    assert list(closing) == ["and 3 more", ""]
    # a table that shows its top 3 and counts the rest after them
    after = build._top_and_more(deals, 3, build._more_row(t, 2), after=True)
    assert len(after) == 4 and after[-1].count == 2
    assert build._top_and_more(deals[:3], 3, build._more_row(t, 2), after=True) == deals[:3]


# --- the grid --------------------------------------------------------------------------------

#: decks.md "Style": one grid of 12 columns over the content area (0.5 in to 13.333 - 0.5 in)
#: with a gutter of 0.25 in, written out here from the spec's numbers (not read from
#: kamxl's style), so that a wrong grid in kamxl fails too.
_GRID_LEFT, _GRID_WIDTH, _GUTTER = Inches(0.5), Inches(13.333 - 2 * 0.5), Inches(0.25)
#: A few EMU for the rounding of widths split in EMU (a hundredth of a point is 127 EMU).
_ON_GRID = 5


def _grid_edges() -> tuple[list[int], list[int]]:
    """The left edges (starts) and right edges (ends) of the grid's 12 columns, in EMU."""
    pitch = (_GRID_WIDTH + _GUTTER) / 12
    starts = [_GRID_LEFT + i * pitch for i in range(12)]
    return [round(s) for s in starts], [round(s + pitch - _GUTTER) for s in starts]


def _top_level_blocks(slide: Any) -> list[tuple[str, int, int]]:
    """The top-level blocks of a content slide, as (name, left, right): charts, tables, tile
    panels, bullet headings, their rules and lists, text blocks. Not the kicker and title
    above the content area, nor the footer band below it; not what is inside a block: a
    tile's accent, label, value and detail (``tile.``), a chart's own labels placed in the
    chart's coordinates (``chart.text``), the handshake's value trajectory figures
    (``figures.``)."""
    inner = (".tile.", ".chart.text", ".figures.")
    top_of_content, top_of_footer = Inches(1.65), Inches(7.0)
    blocks = []
    for shape in slide.shapes:
        if not top_of_content - _ON_GRID <= shape.top < top_of_footer - _ON_GRID:
            continue
        binding = parse_name(shape.name)
        if binding is not None and any(part in f".{binding.key}." for part in inner):
            continue
        name = binding.key if binding is not None else shape.name
        blocks.append((name, shape.left, shape.left + shape.width))
    return blocks


def _is_content(slide: Any) -> bool:
    """A content slide has a kicker (a cover has none; the handshake's one slide has one)."""
    keys = (parse_name(shape.name) for shape in slide.shapes)
    return any(key is not None and key.key.endswith(".kicker") for key in keys)


def test_every_block_of_a_content_slide_sits_on_the_grid(
    every_deck: list[Path], many_portfolio: Path
) -> None:
    """decks.md "Style": one grid for every slide. Every top-level block of every content
    slide (stress decks en and fr, internal and client; the sample's decks; 500 accounts)
    starts on a grid column's start and ends on a grid column's end, so that blocks line up
    from slide to slide (not 4.694 in on one slide, 4.744 in on the next)."""
    starts, ends = _grid_edges()
    off = []
    blocks = 0
    for path in [*every_deck, many_portfolio]:
        for number, slide in enumerate(Presentation(str(path)).slides, start=1):
            for name, left, right in _top_level_blocks(slide) if _is_content(slide) else []:
                blocks += 1
                if min(abs(left - s) for s in starts) > _ON_GRID or (
                    min(abs(right - e) for e in ends) > _ON_GRID
                ):
                    inches = f"{left / Inches(1):.3f}-{right / Inches(1):.3f} in"
                    off.append(f"{path.name} #{number} {name} {inches}")
    assert blocks > 500  # every kind of block of every deck was looked at
    assert off == [], "\n".join(off)


def test_blocks_are_laid_by_whole_grid_columns() -> None:
    """8 + 4 (a chart and its side panel) share the content width with one gutter; a
    block cut from the grid divides on the same grid; spans that do not fill it fail."""
    starts, ends = _grid_edges()
    chart, panel = style.CONTENT.columns((8, 4))
    assert (chart.left, chart.right, panel.left, panel.right) == (
        starts[0],
        ends[7],
        starts[8],
        ends[11],
    )
    assert panel.left - chart.right == _GUTTER
    assert [b.left for b in panel.columns((2, 2))] == [starts[8], starts[10]]
    assert panel.span == 4 and panel.first_columns(1).right == ends[8]
    with pytest.raises(ValueError):
        style.CONTENT.columns((5, 5))
    with pytest.raises(ValueError):
        panel.columns((8, 4))


def test_five_tiles_make_a_row_of_four_and_one_below() -> None:
    """A row of tiles divides its columns evenly: five asked for on 12 columns make four
    (3 columns each), the fifth under the first; three asked for on a side panel of 4
    columns make two a row (2 columns each)."""
    assert build._tiles_per_row(12, 5) == 4
    assert build._tiles_per_row(12, 3) == 3
    assert build._tiles_per_row(4, 3) == 2
    assert build._tiles_per_row(4, 1) == 1

"""Measuring and fitting text with Carlito's metrics (kamxl.deck.fit), with real values."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pptx import Presentation
from pptx.enum.text import MSO_AUTO_SIZE, PP_ALIGN
from pptx.util import Emu, Inches, Pt

from kamxl.deck import fit as fit_module
from kamxl.deck import style
from kamxl.deck.fit import (
    ELLIPSIS,
    FONT_DIR,
    MARGIN_X,
    MARGIN_Y,
    NO_BREAK,
    Fitted,
    fit,
    fit_in_shape,
    join_units,
    lines_height,
    shorten,
    text_width,
    wrap,
)
from kamxl.deck.style import BODY, TABLE, TITLE, TypeSize

PANGRAM = "The quick brown fox jumps over the lazy dog"
LONG = (
    "Revenue grew 12 % on last quarter, led by Services; the renewal of the platform "
    "contract in March and two new sites in Lyon and Lille add 1.4 M€ of annual value."
)


def fits(fitted: Fitted, width: float, height: float, line_spacing: float = 1.2) -> bool:
    """Whether every line of ``fitted`` is within ``width`` and all lines within ``height``."""
    return all(text_width(line, fitted.size) <= width for line in fitted.lines) and (
        lines_height(len(fitted.lines), fitted.size, line_spacing) <= height
    )


# --- the shipped fonts ---------------------------------------------------------------------------


def test_fonts_and_licence_are_shipped() -> None:
    for name in ("Carlito-Regular.ttf", "Carlito-Bold.ttf"):
        assert (FONT_DIR / name).stat().st_size > 100_000
    licence = (FONT_DIR / "OFL.txt").read_text(encoding="utf-8")
    assert "SIL OPEN FONT LICENSE Version 1.1" in licence
    assert 'Reserved Font Name "Carlito"' in licence
    assert "DISCLAIMER" in licence


def test_package_data_includes_the_fonts() -> None:
    import tomllib

    pyproject = tomllib.loads((Path(__file__).resolve().parents[1] / "pyproject.toml").read_text())
    patterns = pyproject["tool"]["setuptools"]["package-data"]["kamxl.deck"]
    assert "fonts/*.ttf" in patterns and "fonts/*.txt" in patterns


# --- measuring -----------------------------------------------------------------------------------


def test_widths_are_additive() -> None:
    # no kerning in the measure, so a text is as wide as its parts
    assert text_width("Revenue up", 14) == pytest.approx(
        text_width("Revenue", 14) + text_width(" ", 14) + text_width("up", 14), rel=1e-9
    )
    assert text_width("", 14) == 0


@pytest.mark.parametrize("bold", [False, True])
def test_widths_scale_linearly_with_size(bold: bool) -> None:
    at_10 = text_width(PANGRAM, 10, bold)
    assert text_width(PANGRAM, 20, bold) == pytest.approx(2 * at_10, rel=1e-9)
    assert text_width(PANGRAM, 9, bold) == pytest.approx(0.9 * at_10, rel=1e-9)


def test_wide_and_narrow_letters_and_bold() -> None:
    assert text_width("WWWW", 12) > 3 * text_width("iiii", 12)
    assert text_width(PANGRAM, 12, bold=True) > text_width(PANGRAM, 12)


def test_known_widths() -> None:
    # Calibri/Carlito advances, in 2048ths of an em: "W" 1822, "i" 470
    assert text_width("WWWW", 10) == pytest.approx(35.5859375, abs=1e-6)
    assert text_width("iiii", 10) == pytest.approx(9.1796875, abs=1e-6)
    assert text_width("a\nWWWW", 10) == text_width("WWWW", 10)  # the widest line


def test_missing_glyphs_count_as_one_em_and_no_break_space_as_space() -> None:
    # Carlito has no ▲ (a renderer takes it from a fallback font): an em is a safe bound
    assert text_width("▲", 10) == pytest.approx(10)
    assert text_width("12\u00a0%", 10) == pytest.approx(text_width("12 %", 10))


@pytest.mark.parametrize("bold", [False, True])
def test_widths_agree_with_fonttools_hmtx(bold: bool) -> None:
    from fontTools import ttLib as ttlib  # a test dependency: .[test]

    font = ttlib.TTFont(str(FONT_DIR / ("Carlito-Bold.ttf" if bold else "Carlito-Regular.ttf")))
    cmap, hmtx = font.getBestCmap(), font["hmtx"]
    units_per_em = font["head"].unitsPerEm
    for text in (PANGRAM, LONG.replace("€", "E"), "WWWW iiii 0123456789 %,;"):
        expected = sum(hmtx[cmap[ord(ch)]][0] for ch in text) * 11 / units_per_em
        assert text_width(text, 11, bold) == pytest.approx(expected, rel=0.02)
        assert text_width(text, 11, bold) == pytest.approx(expected, rel=1e-9)  # exact in fact
    # the cmap read without fontTools covers what fontTools sees
    assert set(cmap) <= fit_module._font_tables(bold)[1]


# --- wrapping ------------------------------------------------------------------------------------


WORDS = st.text(alphabet="abcdefghijklmnopqrstuvwxyzWMil.,%€0123456789", min_size=1, max_size=25)


@settings(max_examples=150, deadline=None)
@given(
    words=st.lists(WORDS, min_size=0, max_size=60),
    width=st.floats(min_value=15, max_value=600),
    size=st.sampled_from([9.0, 10.5, 12.0, 14.0, 20.0, 28.0]),
    bold=st.booleans(),
)
def test_wrap_never_makes_a_line_wider_than_the_width(
    words: list[str], width: float, size: float, bold: bool
) -> None:
    text = " ".join(words)
    lines = wrap(text, width, size, bold)
    for line in lines:
        assert line == line.strip()
        # only a word alone wider than the box may be wider than the box, on its own line
        assert text_width(line, size, bold) <= width or " " not in line
    joined = "".join(lines).replace(" ", "").replace(NO_BREAK, "")
    assert joined == text.replace(" ", "")  # nothing lost
    for word in words:  # a word is never split, whatever its width
        assert any(word in line for line in lines)


def test_wrap_is_greedy_and_keeps_explicit_newlines() -> None:
    width = text_width("Revenue grew 12 %", 12) + 0.01
    assert wrap("Revenue grew 12 % on last quarter", width, 12) == [
        f"Revenue grew 12{NO_BREAK}%",
        "on last quarter",
    ]
    assert wrap("First line\n\nthird   line  \r\nfourth", 500, 12) == [
        "First line",
        "",
        "third line",
        "fourth",
    ]
    assert wrap("", 100, 12) == []


def test_no_break_space_joins() -> None:
    width = text_width("Revenue 12", 12) + 0.01
    lines = wrap("Revenue 12\u00a0%", width, 12)
    assert lines == ["Revenue", f"12{NO_BREAK}%"]


def test_a_word_longer_than_the_line_is_never_broken() -> None:
    word = "Supercalifragilisticexpialidocious" * 3
    width = 100.0
    assert text_width(word, 14) > width
    assert wrap(f"a {word} b", width, 14) == ["a", word, "b"]  # whole, on its own line


def test_a_word_too_long_breaks_only_after_its_own_hyphens() -> None:
    text = "Christophe de La Rochefoucauld-Montmorency-Beauregard est venu"
    width = text_width("Rochefoucauld-Montmorency-", 12) + 0.01
    lines = wrap(text, width, 12)
    assert "Rochefoucauld-Montmorency-" in lines
    assert lines[lines.index("Rochefoucauld-Montmorency-") + 1].startswith("Beauregard")
    assert all(text_width(line, 12) <= width for line in lines)
    # a hyphenated word that fits a line is not cut
    assert wrap("Dumont-Vasseur", 500, 12) == ["Dumont-Vasseur"]


@pytest.mark.parametrize(
    ("typed", "joined"),
    [
        ("margin above 30 %", "margin above 30\u202f%"),  # a workbook's ordinary space
        ("16,9\u00a0M\u00a0€ in 12 months", "16,9\u202fM\u202f€ in 12 months"),  # Babel's fr money
        ("16,9 M € and 994 k€", "16,9\u202fM\u202f€ and 994\u202fk€"),
        ("Cycle médian 120 j, 3 pts, 2 M", "Cycle médian 120\u202fj, 3\u202fpts, 2\u202fM"),
        ("120 days late", "120\u202fdays late"),
        ("6\u202f000 accounts in 2026 Lyon", "6\u202f000 accounts in 2026 Lyon"),  # no unit
        ("3 Managers, 4 jalons, version 2 draft", "3 Managers, 4 jalons, version 2 draft"),
    ],
)
def test_join_units_ties_a_number_to_its_unit(typed: str, joined: str) -> None:
    assert join_units(typed) == joined
    assert join_units(joined) == joined  # idempotent


def test_carlito_has_the_no_break_space_glyph_and_measures_it_as_a_space() -> None:
    for bold in (False, True):
        assert ord(NO_BREAK) in fit_module._font_tables(bold)[1]
        assert text_width(f"30{NO_BREAK}%", 12, bold) == text_width("30 %", 12, bold)


@pytest.mark.parametrize("width_of", ["Objective: margin above 30", "Ambition 16,9 M", "16,9"])
def test_a_number_and_its_unit_never_wrap_apart(width_of: str) -> None:
    text = "Objective: margin above 30 % and Ambition 16,9\u00a0M\u00a0€ by 2027"
    width = text_width(width_of, 14) + 0.01  # the line would end right before the unit
    lines = wrap(text, width, 14)
    assert not any(line.endswith(("30", "16,9", " M")) for line in lines), lines
    assert any(f"30{NO_BREAK}%" in line for line in lines)
    assert any(f"16,9{NO_BREAK}M{NO_BREAK}€" in line for line in lines)
    words = [w for line in lines for w in line.split(" ")]
    assert words == join_units(text).split(" ")  # no word broken either


# --- fitting -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "width", "height", "role"),
    [
        (PANGRAM, 500, 40, TypeSize(Pt(28), Pt(20))),
        (LONG, 420, 100, TypeSize(Pt(28), Pt(20))),
        (LONG, 200, 100, BODY),
        (LONG, 150, 80, BODY),
        (LONG * 2, 400, 110, BODY),
        (LONG, 130, 90, TABLE),
        ("Stakeholder", 80, 20, TABLE),
    ],
)
def test_fit_returns_the_largest_size_that_fits(
    text: str, width: float, height: float, role: TypeSize
) -> None:
    fitted = fit(text, width, height, role)
    assert not fitted.truncated
    assert Pt(fitted.size) <= role.size and fitted.size >= role.minimum.pt
    assert fits(fitted, width, height)
    assert fitted.height == pytest.approx(lines_height(len(fitted.lines), fitted.size))
    assert fitted.lines == wrap(text, width, fitted.size)
    bigger = fitted.size + 0.5
    if bigger <= role.size.pt:
        n_lines = len(wrap(text, width, bigger))
        assert lines_height(n_lines, bigger) > height


def test_fit_keeps_the_role_size_when_the_text_fits() -> None:
    fitted = fit("Revenue up 12 %", 600, 60, BODY)
    assert fitted == Fitted([f"Revenue up 12{NO_BREAK}%"], 14.0, False, pytest.approx(16.8))


def test_long_text_is_truncated_at_the_minimum_size_with_an_ellipsis() -> None:
    text = " ".join([LONG] * 10)
    width, height = 200.0, 70.0
    fitted = fit(text, width, height, BODY)
    assert fitted.truncated
    assert fitted.size == 10.0  # BODY's minimum
    assert fitted.height <= height
    assert fitted.height == lines_height(len(fitted.lines), 10.0)
    assert len(fitted.lines) == int(height // (10 * 1.2))  # as many lines as fit
    assert fits(fitted, width, height)
    assert fitted.lines[-1].endswith(ELLIPSIS)
    kept = fitted.lines[-1].removesuffix(ELLIPSIS)
    assert not kept.endswith((" ", ",", ";"))
    # cut at a word boundary: the kept words start the line the full wrap had there
    full = wrap(text, width, 10.0)
    assert fitted.lines[:-1] == full[: len(fitted.lines) - 1]
    assert full[len(fitted.lines) - 1].startswith(kept)
    kept_text = "".join(fitted.lines).replace(" ", "").replace(NO_BREAK, "")[:-1]
    assert text.replace(" ", "").startswith(kept_text)


def test_max_lines_truncates_too() -> None:
    fitted = fit(LONG, 150, 500, BODY, max_lines=2)
    assert fitted.truncated and len(fitted.lines) == 2 and fitted.lines[-1].endswith(ELLIPSIS)
    assert fit("short", 150, 500, BODY, max_lines=1).lines == ["short"]


def test_a_word_wider_than_the_box_at_the_minimum_is_shortened_never_broken() -> None:
    word = "Pneumonoultramicroscopicsilicovolcanoconiosis" * 2
    fitted = fit(f"{word} and more", 120, 200, BODY)
    assert fitted.truncated and fitted.size == 10.0  # BODY's minimum
    assert len(fitted.lines) == 1 and fitted.lines[0].endswith(ELLIPSIS)
    assert word.startswith(fitted.lines[0].removesuffix(ELLIPSIS))
    assert fits(fitted, 120, 200)


def test_a_long_word_takes_a_smaller_size_rather_than_breaking() -> None:
    fitted = fit("Établissements Montbéliard", 80, 100, TypeSize(Pt(24), Pt(9)))
    assert not fitted.truncated
    assert fitted.lines == ["Établissements", "Montbéliard"]
    assert text_width("Établissements", fitted.size + 0.5) > 80  # the largest size that holds it


def test_shorten_keeps_the_size_and_cuts_at_a_word_boundary() -> None:
    title = "Revenue up 12 % on last quarter, led by Services and by the new sites in Lyon"
    assert shorten(title, 2000, 24, True) == join_units(title)
    width = text_width("Revenue up 12 % on last quarter, led", 24, True)
    short = shorten(title, width, 24, True)
    assert short.endswith(ELLIPSIS) and text_width(short, 24, True) <= width
    assert join_units(title).startswith(short.removesuffix(ELLIPSIS))
    assert short.removesuffix(ELLIPSIS) in (
        f"Revenue up 12{NO_BREAK}% on last quarter",
        "Revenue up 12\u202f% on last quarter, led",
    )
    # a page counter is kept whole; a parenthesis is never left open
    pipeline = "€29.3M open pipeline in 30 opportunities (€12.6M weighted); win rate 83%"
    width = text_width("€29.3M open pipeline in 30 opportunities (€12.6M (1/3)", 24, True)
    paged = shorten(pipeline, width, 24, True, tail="(1/3)")
    assert paged == f"€29.3M open pipeline in 30 opportunities{ELLIPSIS} (1/3)"


def test_fit_never_goes_below_9_pt() -> None:
    tiny_role = TypeSize(Pt(8), Pt(6))
    fitted = fit(" ".join([LONG] * 5), 100, 30, tiny_role)
    assert fitted.size == 9.0 and fitted.truncated and fits(fitted, 100, 30)
    assert fit("ok", 100, 30, tiny_role).size == 9.0
    for role in (TITLE, BODY, TABLE, style.KICKER, style.FOOTER):
        assert fit(LONG * 20, 50, 20, role).size >= 9.0


def test_explicit_newlines_are_kept() -> None:
    fitted = fit("Wins\n\nWatch points", 300, 200, BODY)
    assert fitted.lines == ["Wins", "", "Watch points"]
    assert fitted.text == "Wins\n\nWatch points"


def test_empty_text_and_a_box_too_low_for_one_line() -> None:
    assert fit("", 100, 100, BODY) == Fitted([], 14.0, False, 0.0)
    too_low = fit("Some text", 100, 5, BODY)
    assert too_low.lines == [] and too_low.truncated


# --- writing into a slide ------------------------------------------------------------------------


def test_fit_in_shape_writes_the_fitted_text(tmp_path: Path) -> None:
    prs = Presentation()
    prs.slide_width, prs.slide_height = style.SLIDE_WIDTH, style.SLIDE_HEIGHT
    slide = prs.slides.add_slide(prs.slide_layouts[6])
    box = slide.shapes.add_textbox(Inches(1), Inches(1), Inches(2.5), Inches(0.8))
    box.text_frame.text = "old text\nto be replaced"
    text = LONG + "\nSecond paragraph"
    fitted = fit_in_shape(
        box.text_frame,
        text,
        box.width,
        box.height,
        BODY,
        bold=True,
        color=style.BRAND,
        align=PP_ALIGN.CENTER,
    )
    path = tmp_path / "fit.pptx"
    prs.save(path)

    frame = Presentation(path).slides[0].shapes[0].text_frame
    assert frame.word_wrap is True
    assert frame.auto_size == MSO_AUTO_SIZE.NONE
    assert (frame.margin_left, frame.margin_right) == (MARGIN_X, MARGIN_X)
    assert (frame.margin_top, frame.margin_bottom) == (MARGIN_Y, MARGIN_Y)
    assert len(frame.paragraphs) == 1
    paragraph = frame.paragraphs[0]
    assert paragraph.text == fitted.text.replace("\n", "\v")  # python-pptx shows a:br as \v
    assert paragraph.alignment == PP_ALIGN.CENTER
    assert paragraph.line_spacing == Pt(fitted.size * 1.2)
    runs = paragraph.runs
    assert [run.text for run in runs] == fitted.lines
    for run in runs:
        assert run.font.name == style.FONT
        assert run.font.size == Pt(fitted.size)
        assert run.font.bold is True
        assert run.font.color.rgb == style.BRAND
    # the fit was made inside the margins
    usable_width = Emu(box.width - 2 * MARGIN_X).pt
    usable_height = Emu(box.height - 2 * MARGIN_Y).pt
    assert fits(fitted, usable_width, usable_height) or fitted.truncated
    assert all(text_width(line, fitted.size, bold=True) <= usable_width for line in fitted.lines)
    assert fitted.height <= usable_height
    # the XML: breaks and the paragraph end carry the size too, no bullet, no indent
    p = paragraph._p
    sizes = {el.get("sz") for el in p.xpath(".//a:rPr | .//a:endParaRPr")}
    assert sizes == {str(round(fitted.size * 100))}
    assert len(p.xpath("./a:br")) == len(fitted.lines) - 1
    assert p.xpath("./a:pPr/a:buNone")
    assert p.pPr.get("marL") == "0" and p.pPr.get("indent") == "0"


def test_fit_in_shape_truncates_in_a_small_box() -> None:
    prs = Presentation()
    slide = prs.slides.add_slide(prs.slide_layouts[6])
    box = slide.shapes.add_textbox(Inches(1), Inches(1), Inches(1.5), Inches(0.4))
    fitted = fit_in_shape(box.text_frame, LONG * 3, box.width, box.height, TABLE)
    assert fitted.truncated and fitted.size == 9.0
    assert box.text_frame.paragraphs[0].runs[-1].text.endswith(ELLIPSIS)
    assert fitted.height <= Emu(box.height - 2 * MARGIN_Y).pt


@pytest.mark.parametrize(
    "name",
    [
        "Compagnie Générale des Établissements Industriels et Logistiques de Montbéliard-Sochaux",
        "Renewal of the platform contract in March and two new sites in Lyon",
    ],
)
def test_a_shortened_text_never_ends_on_a_word_that_leads_on(name: str) -> None:
    for cut in range(20, len(name) - 5, 3):
        short = shorten(name, text_width(name[:cut], 24, True), 24, True)
        last = short.removesuffix(ELLIPSIS).rsplit(" ", 1)[-1].lower()
        assert last not in {"de", "des", "et", "of", "the", "and", "in"}, short
        assert name.startswith(short.removesuffix(ELLIPSIS))

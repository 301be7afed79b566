"""Any text in any cell: decks drop what must not reach a reader, terminals show it.

A cell (or a file name, a sheet name, a column header) may hold control characters (Excel
stores them as ``_x0007_``), terminal escape sequences, bidi overrides, invisible characters,
rich markup. Decks are built and open, LibreOffice renders them, a consolidated portfolio
is not failed by one such cell, and nothing kamxl prints carries an escape sequence or a
control character other than a newline (tests/test_injection.py checks every text column of
every deck; tests/test_fuzz.py draws such texts too).
"""

from __future__ import annotations

import io
import re
import shutil
import subprocess
import sys
import unicodedata
from pathlib import Path
from typing import Any

import pytest
import xlsxwriter
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st
from lxml import etree
from pptx import Presentation
from rich.console import Console

from kamxl.batch import PORTFOLIO_SOURCE, BatchReport, Failure, WorkbookResult, run_batch
from kamxl.characters import clean_text
from kamxl.cli import main
from kamxl.deck.make import DeckKind, make_decks
from kamxl.report import batch_progress, print_batch_report
from kamxl.terminal import printable
from kamxl.workbook.reader import read_workbook
from kamxl.workbook.template import build_workbook
from tests.conftest import assert_printable, mini_rows
from tests.deckcheck import everything

#: An ESC, a CSI, a BEL: what starts or ends a terminal escape sequence.
ESCAPES = ("\x1b", "\x9b", "\x07")


# --- clean_text: the text of decks and file names ----------------------------------------


@pytest.mark.parametrize(
    ("text", "multi_line", "one_line"),
    [
        ("Bell\x07 Ring", "Bell Ring", "Bell Ring"),
        ("Esc\x1b[31mRed\x9b0m", "Esc[31mRed0m", "Esc[31mRed0m"),
        ("Null\x00\x7f", "Null", "Null"),
        ("Nord\u202efjell\u2066!\u2069", "Nordfjell!", "Nordfjell!"),
        ("Zero\u200bWidth\ufeff\u2060", "ZeroWidth", "ZeroWidth"),
        ("Non\ufdd0\ufffe\U0010ffffchar", "Nonchar", "Nonchar"),
        ("lone\ud800surrogate", "lonesurrogate", "lonesurrogate"),
        ("a\r\nb\rc\vd\fe\x85f\u2028g\u2029h", "a\nb\nc\nd\ne\nf\ng\nh", "a b c d e f g h"),
        ("tab\there", "tab\there", "tab here"),
        ("_x0007_ typed", "_x0007_ typed", "_x0007_ typed"),
    ],
)
def test_clean_text_drops_what_no_reader_should_get(
    text: str, multi_line: str, one_line: str
) -> None:
    assert clean_text(text) == multi_line
    assert clean_text(text, one_line=True) == one_line


@pytest.mark.parametrize(
    "text",
    [
        "Zürich\u00a0Genève \u202f%",  # accents, no-break spaces
        "שלום\u200f (Tel Aviv)",  # a right-to-left mark
        "👩\u200d👩\u200d👧 می\u200cخواهم",  # joiners: an emoji family, Persian
        "{{ 7*7 }} [/bold] =1+1",
    ],
)
def test_clean_text_keeps_what_text_needs(text: str) -> None:
    assert clean_text(text) == clean_text(text, one_line=True) == text


@settings(max_examples=300, deadline=None)
@given(st.text(st.characters(codec=None), max_size=60))
def test_clean_text_gives_text_xml_and_utf8_hold(text: str) -> None:
    cleaned = clean_text(text)
    assert clean_text(cleaned) == cleaned  # stable
    cleaned.encode("utf-8")  # no lone surrogate
    etree.Element("t").text = cleaned  # lxml takes it: no control character XML cannot hold
    for char in cleaned:
        category = unicodedata.category(char)
        assert category != "Cc" or char in "\t\n", repr(char)
        assert char not in "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200b\ufeff"
    one_line = clean_text(text, one_line=True)
    assert "\n" not in one_line and "\t" not in one_line


def test_a_line_break_in_a_name_does_not_split_a_one_line_field(tmp_path: Path) -> None:
    """An account name pasted with a line feed, a tab and a vertical tab: the title slide,
    the footers and the file name show it on one line ("Alpha Works Ltd"), the risks table
    keeps the line break of a free-text cell (before: the title broke after "Alpha")."""
    rows = mini_rows()
    rows["Accounts"][0]["name"] = "Alpha\nWorks\tLtd\x0b"
    rows["Risks"] = [
        {"account_id": "A1", "risk": "Churn\nrisk", "likelihood": 4, "impact": 4, "status": "open"}
    ]
    book = read_workbook(build_workbook(tmp_path / "book.xlsx", rows=rows))
    (deck,) = make_decks(book, tmp_path, [DeckKind.QBR], accounts=["A1"])
    assert deck.path.name == "A1 Alpha Works Ltd - QBR 2026-Q3.pptx"
    slides = list(Presentation(str(deck.path)).slides)
    assert slides[0].shapes.title.text_frame.text == "Alpha Works Ltd"
    footers = [s.text_frame.text for slide in slides[1:] for s in slide.shapes if s.has_text_frame]
    assert sum(f.startswith("Alpha Works Ltd · Q3 2026") for f in footers) == len(slides) - 1
    cells = [
        cell.text
        for slide in slides
        for shape in slide.shapes
        if shape.has_table
        for row in shape.table.rows
        for cell in row.cells
    ]
    assert "Churn\vrisk" in cells  # python-pptx reads a line break as "\v"


# --- printable: what kamxl prints --------------------------------------------------------


def test_printable_shows_controls_as_escapes() -> None:
    assert printable("evil\x1b[2J\x1b]0;title\x07.xlsx") == "evil\\x1b[2J\\x1b]0;title\\x07.xlsx"
    assert printable("ok\rFAKE\tx\ny") == "ok\\rFAKE\\tx\\ny"
    assert printable("two\nlines\r\n", keep_newlines=True) == "two\nlines\\r\n"
    assert printable("\x9b31m \x85 \x00") == "\\x9b31m \\x85 \\x00"
    assert printable("report\u202excod.pptx") == "report\\u202excod.pptx"
    assert printable("a\u200bb\ufeff\u2028\u061c") == "a\\u200bb\\ufeff\\u2028\\u061c"
    assert printable("x\ud800\U0010ffff") == "x\\ud800\\U0010ffff"
    assert printable(7) == "7"
    # Text as typed stays as it is: accents, other scripts, emoji sequences, backslashes.
    for text in ["Zürich", "مرحبا", "👩\u200d👩\u200d👧", "C:\\Users\\ana", "{{ 7*7 }}", "[b]"]:
        assert printable(text) == text


def test_printable_escapes_rich_markup_when_asked() -> None:
    assert printable("[/bold] [red]x[/red]", markup=True) == "\\[/bold] \\[red]x\\[/red]"


@settings(max_examples=300, deadline=None)
@given(st.text(st.characters(codec=None) | st.sampled_from(["[", "]", "\\", "/", "\x1b"])))
def test_printed_text_has_no_control_and_rich_shows_it_as_is(text: str) -> None:
    shown = printable(text)
    assert_printable(shown)
    assert_printable(printable(text, keep_newlines=True))
    screen = io.StringIO()
    console = Console(file=screen, width=10_000, color_system=None, highlight=False, emoji=False)
    console.print(printable(text, markup=True), soft_wrap=True)  # never a MarkupError
    # rich's escape doubles a trailing backslash (a tag may follow the text in the markup)
    trailing = "\\" if shown.endswith("\\") and not shown.endswith("\\\\") else ""
    assert screen.getvalue() == shown + trailing + "\n"


# --- The command line ----------------------------------------------------------------------


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    """``kamxl ARGS`` in its own process, output to pipes (as in a log or a CI job), read
    byte for byte (text mode would turn a carriage return into a newline)."""
    kamxl = Path(sys.executable).with_name("kamxl")
    done = subprocess.run([str(kamxl), *args], capture_output=True, timeout=240, check=False)
    return subprocess.CompletedProcess(
        done.args, done.returncode, done.stdout.decode("utf-8"), done.stderr.decode("utf-8")
    )


def test_check_prints_cells_headers_and_file_names_safely(tmp_path: Path) -> None:
    """A column header and the file name carry escape sequences; check reports both, as
    escapes, one problem a line (before: the terminal got the ESC and the BEL)."""
    path = tmp_path / "book\x1b]0;pwned\x07.xlsx"
    book = xlsxwriter.Workbook(path)
    accounts = book.add_worksheet("Accounts")
    accounts.write_row(0, 0, ["account_id", "name", "status", "revenue_prev", "revenue_curr"])
    accounts.write_row(1, 0, ["A1", "Alpha", "key", 1, 2])
    ratings = book.add_worksheet("Ratings")
    ratings.write_row(0, 0, ["account_id", "Notes\x1b[2J\x9b31m\u202e"])  # not a criterion
    ratings.write_row(1, 0, ["A1", 3])
    book.close()
    result = _run("check", str(path))
    assert result.returncode == 1, result.stderr  # no Criteria sheet: an error
    assert_printable(result.stdout + result.stderr)
    assert (
        "book\\x1b]0;pwned\\x07.xlsx Ratings: warning: column Notes\\x1b[2J\\x9b31m\\u202e is not "
        "a criterion of Criteria" in result.stdout
    )
    assert result.stdout.splitlines()[-1].startswith("book\\x1b]0;pwned\\x07.xlsx: 1 error(s)")


def test_an_error_naming_a_file_is_printed_safely(tmp_path: Path) -> None:
    bad = tmp_path / "bad\x1b[2J\r.xlsx"
    bad.write_bytes(b"not a workbook")
    result = _run("summary", str(bad))
    assert result.returncode == 1 and result.stdout == ""
    assert_printable(result.stderr)
    assert result.stderr.startswith("kamxl: ") and "bad\\x1b[2J\\r.xlsx" in result.stderr


def test_a_list_of_problems_keeps_its_lines(tmp_path: Path) -> None:
    rows = mini_rows()
    rows["Accounts"][0]["revenue_curr"] = "12\x1b[2J000"
    rows["Accounts"][1]["revenue_curr"] = "lots\x07"
    book = build_workbook(tmp_path / "b.xlsx", rows=rows)
    result = CliRunner().invoke(main, ["summary", str(book)])
    assert result.exit_code == 1
    assert_printable(result.stderr)
    lines = result.stderr.splitlines()
    assert lines[0].endswith("2 problem(s) must be fixed first:")
    assert "Accounts!I2" in lines[1] and "Accounts!I3" in lines[2]


def test_summary_shows_names_as_they_are_typed_never_as_markup(tmp_path: Path) -> None:
    """A key account named like rich markup, a KAM with a bidi override, a company with an
    escape: the summary prints them literally (before: rich stopped on "[/bold]")."""
    rows = mini_rows()
    rows["Accounts"][0].update(name="[/bold]\x1b[2J Alpha", kam="\u202eAna")
    rows["Settings"].append({"key": "company", "value": "Our\x07Co [red]"})
    book = build_workbook(tmp_path / "b.xlsx", rows=rows)
    result = CliRunner().invoke(main, ["summary", str(book)])
    assert result.exit_code == 0, (result.output, result.exception)
    assert_printable(result.output)
    assert result.output.startswith("Our\\x07Co [red] — portfolio 2026-Q3")
    assert "[/bold]\\x1b[2J Alpha" in result.output and "\\u202eAna" in result.output


# --- Batch -------------------------------------------------------------------------------


def _renamed(prefix: str, **first_account: Any) -> dict[str, list[dict[str, Any]]]:
    """mini_rows with account ids ``<prefix>1..3`` and the first account's fields changed."""
    rows = mini_rows()
    for sheet in rows.values():
        for row in sheet:
            if "account_id" in row:
                row["account_id"] = prefix + row["account_id"][1:]
    rows["Accounts"][0].update(first_account)
    return rows


def test_a_control_character_does_not_fail_the_consolidated_portfolio(tmp_path: Path) -> None:
    """One workbook of two has control characters in an account name and a KAM: every deck
    is built, the portfolio of both included (before: the portfolio failed, "internal error
    (ValueError: All strings must be XML compatible...)")."""
    drive = tmp_path / "drive"
    drive.mkdir()
    build_workbook(drive / "north.xlsx", rows=_renamed("N"))
    build_workbook(
        drive / "south.xlsx", rows=_renamed("S", name="Bell\x07 Ring\x1b[0m", kam="\u202eBo\x00")
    )
    report = run_batch([drive], tmp_path / "out", kinds=["qbr", "portfolio"], jobs=1)
    assert report.ok, report.failures
    (portfolio,) = [o for o in report.outputs if o.source == PORTFOLIO_SOURCE]
    shown = "\n".join(everything(Path(portfolio.path)))
    assert "Bell Ring[0m" in shown and "Bo" in shown and "Alpha Works" in shown
    qbrs = sorted(Path(o.path).name for o in report.outputs if o.kind == "qbr")
    assert qbrs == ["N1 Alpha Works - QBR 2026-Q3.pptx", "S1 Bell Ring[0m - QBR 2026-Q3.pptx"]


def test_batch_prints_file_names_safely(tmp_path: Path) -> None:
    """A workbook named like rich markup with an escape, and a broken file whose name sets
    the terminal's title: the progress lines and the report show both names as typed,
    escapes made visible, never read as markup (before: "[bold]" vanished, the terminal
    got the escapes)."""
    drive = tmp_path / "drive"
    drive.mkdir()
    build_workbook(drive / "[bold]x[red]\x1b[2J.xlsx", rows=mini_rows())
    (drive / "evil\x1b]0;pwned\x07.xlsx").write_bytes(b"PK\x03\x04 broken")
    result = _run("batch", str(drive), "-o", str(tmp_path / "out"), "--jobs", "1")
    assert result.returncode == 1, result.stderr  # the broken file failed, the other is built
    assert_printable(result.stdout + result.stderr)
    assert "[bold]x[red]\\x1b[2J.xlsx: 1 deck(s)" in result.stderr
    assert "FAILED " in result.stdout and "evil\\x1b]0;pwned\\x07.xlsx" in result.stdout


def test_batch_report_and_progress_bar_show_text_as_text() -> None:
    source = "/drive/[/bold]\x1b[2J.xlsx"
    reason = f"{source}: 2 problem(s) must be fixed first:\n  x\x1b[1m\n  y"
    failure = Failure(source, "A1\x9b[31m", reason)
    report = BatchReport("2026-10-15T00:00:00", inputs=1, failures=[failure])
    report.warnings.append({"source": source, "message": "[red]careful\x07"})
    log = io.StringIO()
    print_batch_report(report, Console(file=log, width=200, color_system=None))
    assert_printable(log.getvalue())
    assert log.getvalue().splitlines()[1:] == [
        "FAILED /drive/[/bold]\\x1b[2J.xlsx [A1\\x9b[31m]: 2 problem(s) must be fixed first:",
        "  x\\x1b[1m",
        "  y",
        "warning: [red]careful\\x07",
    ]
    screen = io.StringIO()
    result = WorkbookResult(source, "k", failures=[failure])
    with batch_progress(Console(file=screen, force_terminal=True, width=120)) as progress:
        progress(result, 1, 1)  # the bar's description is the file name: markup escaped
    shown = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", screen.getvalue())  # the bar's own colours
    assert "/drive/[/bold]\\x1b[2J.xlsx: 0 deck(s), 1 failure(s)" in shown
    assert not any(char in shown for char in ESCAPES[1:])


# --- LibreOffice --------------------------------------------------------------------------


@pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice is not installed")
@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="poppler is not installed")
def test_libreoffice_renders_a_deck_of_control_characters(tmp_path: Path) -> None:
    """The portfolio review (tables, bubble and bar charts with the names) of a workbook whose
    account and KAM names hold control characters, converted by LibreOffice: every page is
    there and shows the names without them."""
    rows = mini_rows()
    rows["Accounts"][0].update(name="Bell\x07 Ring\u202e", kam="Esc\x1b[1mAna")
    rows["Accounts"][2].update(name="Zero\u200bWidth\x0bBreak", kam="Esc\x1b[1mAna")
    book = read_workbook(build_workbook(tmp_path / "controls.xlsx", rows=rows))
    out = tmp_path / "out"
    out.mkdir()
    (deck,) = make_decks(book, out, [DeckKind.PORTFOLIO], pdf=True)
    assert deck.pdf is not None
    text = subprocess.run(
        ["pdftotext", "-layout", str(deck.pdf), "-"],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    ).stdout
    pages = text.count("\f") + (not text.endswith("\f"))
    assert pages == len(Presentation(str(deck.path)).slides)
    assert "Bell Ring" in text and "Esc[1mAna" in text
    assert re.search(r"ZeroWidth\n.*\nBreak", text)  # a line break in a table cell: kept
    assert not any(char in text for char in ESCAPES)

"""What a first real user did that the sample never does (found by trying kamxl from a
fresh clone): each case gave a wrong figure, a wrong label or a lost file."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import openpyxl
from click.testing import CliRunner
from pptx import Presentation

from kamxl.batch import _folder_names
from kamxl.cli import main
from kamxl.deck.context import qbr_context
from kamxl.workbook.reader import read_workbook
from tests.conftest import SAMPLE


def _kamxl(*args: str) -> subprocess.CompletedProcess[str]:
    kamxl = Path(sys.executable).with_name("kamxl")
    return subprocess.run([str(kamxl), *args], capture_output=True, text=True, check=False)


def _settings(path: Path, **values: object) -> Path:
    wb = openpyxl.load_workbook(SAMPLE)
    for row in wb["Settings"].iter_rows(min_row=2):
        if row[0].value in values:
            row[1].value = values[row[0].value]
    wb.save(path)
    return path


def test_revenue_typed_in_accounts_must_agree_with_the_revenue_sheet(tmp_path: Path) -> None:
    """revenue_curr 1,000,000 while the Revenue sheet says 2,372,600 for the period: the
    QBR said "€1M, −57 %" on one slide and "up 14 %" from 2,372.6k on the next. Now check
    names both; with --keep-going neither the tile nor the period's point is shown."""
    path = tmp_path / "rev.xlsx"
    wb = openpyxl.load_workbook(SAMPLE)
    wb["Accounts"]["I2"] = 1_000_000
    wb.save(path)
    book = read_workbook(path)
    (problem,) = book.errors
    assert (problem.sheet, problem.cell, problem.value) == ("Accounts", "I2", 1_000_000)
    assert "differs from the revenue of ACC-001 for 2026-Q3 in Revenue (2,372,600.00)" in str(
        problem
    )
    ctx = qbr_context(book, "ACC-001")
    assert ctx.revenue is None and ctx.growth is None
    assert ctx.actual[ctx.periods.index("2026-Q3")] is None  # the sheet's figure is in doubt too
    assert ctx.actual[ctx.periods.index("2026-Q2")] is not None
    assert "revenue:2026-Q3" in ctx.left_out and "Revenue!C25" in ctx.left_out["revenue:2026-Q3"]


def test_periods_that_make_no_sense_are_errors(tmp_path: Path) -> None:
    """period 2026-Q2 with previous_period 2026-Q2 gave "revenue up 3% on Q2 2026" in a
    Q2 review; previous_period 2026-Q4 gave "up 3% on Q4 2026", a quarter still to come."""
    for values in ({"period": "2026-Q2"}, {"previous_period": "2026-Q4"}):
        book = read_workbook(_settings(tmp_path / "p.xlsx", **values))
        messages = [str(p) for p in book.errors]
        assert any(
            "previous_period" in m and "must be a period before period" in m for m in messages
        )
        assert "period" in book.bad_settings and "previous_period" in book.bad_settings


def test_a_currency_that_is_not_an_iso_code_or_fails_stops_even_with_keep_going(
    tmp_path: Path,
) -> None:
    """ "€" passed the check, and a currency cell holding #N/A became EUR in every amount of
    `summary --keep-going`: a default standing in for a bad setting."""
    book = read_workbook(_settings(tmp_path / "euro.xlsx", currency="€"))
    assert any("ISO 4217 code" in str(p) for p in book.errors)
    assert read_workbook(_settings(tmp_path / "lower.xlsx", currency="usd")).settings.currency == (
        "USD"
    )
    path = tmp_path / "na.xlsx"
    wb = openpyxl.load_workbook(SAMPLE)
    wb["Settings"]["B3"] = "=NA()"  # a formula whose saved result is #N/A (the currency row)
    wb.save(path)
    for args in (
        ["summary", str(path), "--keep-going"],
        ["deck", str(path), "-o", "x", "--keep-going"],
    ):
        done = _kamxl(*args[:1], *args[1:])
        assert done.returncode == 1, done.stdout
        assert "(currency) fails the check, and every amount is in it" in done.stderr
        assert "EUR" not in done.stdout


def test_summary_footnotes_every_label_that_rests_on_a_bad_setting(tmp_path: Path) -> None:
    """Ascending tier_thresholds left every Tier "—" with no footnote, and red_max above
    amber_max silently dropped the RAG word ("86" instead of "86 Green")."""
    path = _settings(tmp_path / "tiers.xlsx", tier_thresholds="40,70", red_max=80)
    done = _kamxl("summary", str(path), "--keep-going")
    assert done.returncode == 0, done.stderr
    row = next(line for line in done.stdout.splitlines() if "Brennholt" in line)
    assert "│ —" in row and "86 —" in row
    notes = [line for line in done.stdout.splitlines() if "not computed" in line]
    assert any("Settings!B9" in n for n in notes)  # tier_thresholds
    assert any("Settings!B13" in n and "Settings!B14" in n for n in notes)  # red/amber_max


def test_recalc_keeps_a_rows_own_error_over_a_bad_setting(tmp_path: Path) -> None:
    """The unrated account's tier is #N/A (no ratings); ascending tier_thresholds made it
    #NUM! like every other row: the incoming error comes first, as in Excel."""
    path = _settings(tmp_path / "t.xlsx", tier_thresholds="40,70", freshness_half_life_days=0)
    out = tmp_path / "r.xlsx"
    done = _kamxl("recalc", str(path), "-o", str(out))
    assert done.returncode == 1, done.stderr
    sheet = openpyxl.load_workbook(out, data_only=True)["Accounts"]
    assert sheet["S23"].value == "#N/A" and sheet["S2"].value == "#NUM!"  # tier
    assert sheet["X29"].value == "#N/A" and sheet["X2"].value == "#NUM!"  # freshness


def test_a_batch_report_never_replaces_a_left_out_workbook_even_with_force(
    tmp_path: Path,
) -> None:
    """`--exclude south --report share/south/Q3.json --force` replaced share/south/Q3.xlsx,
    a KAM's workbook the batch itself listed as left out, with the report summary."""
    share = tmp_path / "share"
    for region in ("north", "south"):
        (share / region).mkdir(parents=True)
    (share / "north" / "Q3.xlsx").write_bytes(SAMPLE.read_bytes())
    theirs = share / "south" / "Q3.xlsx"
    theirs.write_bytes(SAMPLE.read_bytes())
    args = [str(share), "-o", str(tmp_path / "out"), "--exclude", "south"]
    result = CliRunner().invoke(
        main, ["batch", *args, "--report", str(share / "south" / "Q3.json"), "--force"]
    )
    assert result.exit_code == 1, result.output
    assert "is a workbook that kamxl batch did not write" in result.output
    assert theirs.read_bytes() == SAMPLE.read_bytes()


def test_same_name_workbooks_never_name_folders_above_the_ones_given() -> None:
    """north/Q3.xlsx beside North/Q3.xlsx gave tmp-trial-nm-north-Q3-…: the folders above
    the drive in an output name, and still not told apart on a case-insensitive drive."""
    names = _folder_names(
        [Path("/srv/share/nm/north/Q3.xlsx"), Path("/srv/share/nm/North/Q3.xlsx")]
    )
    assert all(n.casefold().startswith("north-q3-") for n in names.values())
    assert len({n.casefold() for n in names.values()}) == 2
    assert not any("srv" in n or "share" in n for n in names.values())
    names = _folder_names([Path("/srv/x/a.xlsx"), Path("/srv/x/a.XLSX")])
    assert all(n.startswith("a-") and "srv" not in n for n in names.values())


def test_summary_of_a_workbook_without_a_period_never_prints_none(tmp_path: Path) -> None:
    template = tmp_path / "tpl.xlsx"
    assert _kamxl("template", "-o", str(template)).returncode == 0
    done = _kamxl("summary", str(template))
    assert done.returncode == 0, done.stderr
    assert "None" not in done.stdout and "no current period" in done.stdout


def test_each_deck_is_reported_as_it_is_written(tmp_path: Path) -> None:
    """Interrupted after 7 decks, `kamxl deck ... > log` left only "interrupted" in the log:
    the lines were printed once every deck was built. Now each deck is said as it is
    written, and a closed pipe (| head) ends quietly with SIGPIPE's code, not a traceback."""
    out = tmp_path / "decks"
    kamxl = Path(sys.executable).with_name("kamxl")
    with subprocess.Popen(
        [str(kamxl), "deck", str(SAMPLE), "--kind", "qbr", "-o", str(out)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    ) as run:
        first = run.stdout.readline()
        assert first.startswith("Wrote ") and first.rstrip().endswith("(13 slides)")
        assert len(list(out.glob("*.pptx"))) < 15  # said before the last deck was built
        run.communicate(timeout=300)
    assert run.returncode == 0
    code = (
        "from kamxl.cli import _reports_errors\n"
        "@_reports_errors\n"
        "def command():\n"
        "    raise BrokenPipeError(32, 'Broken pipe')\n"
        "command()\n"
    )
    piped = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert piped.returncode == 141 and piped.stderr == ""  # no traceback, no internal error
    deck = next(out.glob("ACC-001*.pptx"))
    assert len(Presentation(str(deck)).slides) == 13  # with the revenue bridge by product line

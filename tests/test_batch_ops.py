"""``kamxl batch`` for sales operations: workbooks that fail the check, accounts found in
two workbooks, currencies, ``--exclude``, workbooks of the same name, and nothing lost
(reports, decks and inputs never written over, outputs never read as inputs)."""

from __future__ import annotations

import json
import math
import shutil
from pathlib import Path
from typing import Any

import numpy as np
import openpyxl
import pytest
from click.testing import CliRunner

import kamxl
from kamxl.batch import CACHE_NAME, PORTFOLIO_SOURCE, excluded, run_batch
from kamxl.cli import main
from kamxl.workbook.merge import ConsolidationError, RatesError, merge_workbooks, read_rates
from kamxl.workbook.reader import read_workbook
from kamxl.workbook.template import build_workbook
from tests.deckcheck import everything
from tests.test_batch import renamed


def invoke(*args: str) -> Any:
    return CliRunner().invoke(main, ["batch", *args])


def with_bad_revenue(prefix: str) -> dict[str, list[dict[str, Any]]]:
    """The mini portfolio of ``prefix`` with a revenue typed as text (a common paste)."""
    rows = renamed(prefix)
    rows["Accounts"][0]["revenue_curr"] = "12 000"
    return rows


def in_currency(prefix: str, currency: str, names: str = "") -> dict[str, list[dict[str, Any]]]:
    rows = renamed(prefix, names)
    rows["Settings"].append({"key": "currency", "value": currency})
    return rows


@pytest.fixture
def drive(tmp_path: Path) -> Path:
    """Two good workbooks and one that fails the check (revenue typed as text)."""
    folder = tmp_path / "drive"
    folder.mkdir()
    build_workbook(folder / "north.xlsx", rows=renamed("N"))
    build_workbook(folder / "south.xlsx", rows=renamed("S"))
    build_workbook(folder / "typo.xlsx", rows=with_bad_revenue("T"))
    return folder


def portfolio_decks(folder: Path) -> list[Path]:
    return sorted(folder.glob("*Portfolio review*.pptx"))


# --- check errors fail that workbook; the portfolio never leaves one out ---------------------


def test_a_workbook_that_fails_the_check_fails_alone_and_the_portfolio_names_it(
    drive: Path, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    report = run_batch([drive], out, kinds=["qbr", "portfolio"], jobs=2)
    typo = str((drive / "typo.xlsx").resolve())
    by_source = {f.source: f.reason for f in report.failures}
    assert set(by_source) == {typo, PORTFOLIO_SOURCE}
    assert "1 problem(s) must be fixed first" in by_source[typo]
    assert "typo.xlsx Accounts!I2: error: '12 000': revenue_curr: text" in by_source[typo]
    assert sorted(o.account_id for o in report.outputs) == ["N1", "N3", "S1", "S3"]
    assert not (out / "typo").exists()  # no deck from a workbook that fails the check
    # never a partial sum: no portfolio without typo.xlsx, and it is named
    assert by_source[PORTFOLIO_SOURCE].startswith(
        "the portfolio is not built: 1 workbook(s) failed and would be missing from it "
        f"({typo}); fix them, or leave them out with --exclude"
    )
    assert portfolio_decks(out) == []

    # leaving it out deliberately builds the portfolio of the others, and says so
    left = run_batch([drive], out, kinds=["portfolio"], exclude=["typo.xlsx"])
    assert left.ok, left.failures
    assert [(o.source, o.reason) for o in left.left_out] == [(typo, "--exclude typo.xlsx")]
    assert len(portfolio_decks(out)) == 1

    # --keep-going builds it, each figure of a bad cell missing; the portfolio has it too
    going = run_batch([drive], tmp_path / "going", kinds=["qbr", "portfolio"], keep_going=True)
    assert going.ok, going.failures
    assert {o.account_id for o in going.outputs if o.kind == "qbr"} == {
        "N1", "N3", "S1", "S3", "T1", "T3"
    }  # fmt: skip
    assert any("revenue_curr: text" in w["message"] for w in going.warnings)


def test_the_merge_carries_every_bad_cell_and_setting(tmp_path: Path) -> None:
    rows = renamed("W")
    rows["Revenue"][0]["revenue"] = "lots"  # a bad cell outside Accounts
    rows["Revenue"].append({"account_id": "NOPE", "period": "2026-Q3", "revenue": 5})
    rows["Settings"].append({"key": "cut_strength", "value": "high"})
    west = read_workbook(build_workbook(tmp_path / "west.xlsx", rows=rows))
    north = read_workbook(build_workbook(tmp_path / "north.xlsx", rows=with_bad_revenue("N")))
    merged, _ = merge_workbooks([north, west])

    revenue = merged.sheets["Revenue"]
    assert len(revenue.frame) == len(north["Revenue"]) + len(west["Revenue"])
    assert "NOPE" in set(revenue.frame["account_id"])  # a row of a bad id is kept, marked
    offset = len(north["Revenue"])
    np.testing.assert_array_equal(
        revenue.error_codes("revenue")[offset:], west.sheets["Revenue"].error_codes("revenue")
    )
    np.testing.assert_array_equal(
        revenue.error_codes("account_id")[offset:],
        west.sheets["Revenue"].error_codes("account_id"),
    )
    assert revenue.error_codes("revenue")[offset] == 3  # #VALUE!, as in west.xlsx
    accounts = merged.sheets["Accounts"]
    assert accounts.error_codes("revenue_curr")[0] == 3  # north.xlsx's typo
    assert merged.bad_settings == {"cut_strength": "west.xlsx Settings!B12"}
    assert {str(p) for p in merged.errors} == {str(p) for p in north.errors + west.errors}
    for column, result in merged.computed.items():
        np.testing.assert_array_equal(
            result.errors,
            np.concatenate([north.computed[column].errors, west.computed[column].errors]),
        )


# --- an account_id found in two workbooks ----------------------------------------------------


def test_an_account_in_two_workbooks_is_refused_naming_both(drive: Path, tmp_path: Path) -> None:
    (drive / "typo.xlsx").unlink()
    copy = renamed("S")
    copy["Accounts"][0]["revenue_curr"] = 999  # S1 again, other figures
    build_workbook(drive / "copy.xlsx", rows=copy)
    # the first by file name (copy.xlsx) is also the broken one: it must not win either
    broken = with_bad_revenue("S")
    build_workbook(drive / "broken-copy.xlsx", rows=broken)
    report = run_batch([drive], tmp_path / "out", kinds=["portfolio"], keep_going=True)
    (failure,) = report.failures
    assert failure.source == PORTFOLIO_SOURCE
    south, copy_path, broken_path = (
        str((drive / name).resolve()) for name in ("south.xlsx", "copy.xlsx", "broken-copy.xlsx")
    )
    assert f"3 account(s) are in both {broken_path} and {copy_path} (S1, S2, S3)" in failure.reason
    assert f"3 account(s) are in both {broken_path} and {south} (S1, S2, S3)" in failure.reason
    assert "leave one of them out (--exclude)" in failure.reason
    assert portfolio_decks(tmp_path / "out") == []

    books = [read_workbook(drive / n) for n in ("north.xlsx", "south.xlsx", "copy.xlsx")]
    with pytest.raises(ConsolidationError, match=r"in both .*south\.xlsx and .*copy\.xlsx"):
        merge_workbooks(books)
    merged, notes = merge_workbooks(books[:2])
    assert sorted(merged.accounts["account_id"]) == ["N1", "N2", "N3", "S1", "S2", "S3"]
    assert merged.accounts["revenue_curr"].sum() == 2 * (120 + 40 + 30)
    assert notes == []


# --- currencies --------------------------------------------------------------------------------


@pytest.fixture
def currencies(tmp_path: Path) -> Path:
    folder = tmp_path / "currencies"
    folder.mkdir()
    build_workbook(folder / "euro.xlsx", rows=in_currency("E", "EUR"))
    build_workbook(folder / "dollar.xlsx", rows=in_currency("D", "USD", names=" Inc"))
    return folder


def test_workbooks_in_two_currencies_are_not_added_up_without_rates(
    currencies: Path, tmp_path: Path
) -> None:
    report = run_batch([currencies], tmp_path / "out", kinds=["portfolio"])
    (failure,) = report.failures
    euro, dollar = (str((currencies / n).resolve()) for n in ("euro.xlsx", "dollar.xlsx"))
    assert failure.source == PORTFOLIO_SOURCE
    assert f"the workbooks are in 2 currencies (USD: {dollar}; EUR: {euro})" in failure.reason
    assert "give the exchange rates with --rates FILE" in failure.reason
    assert portfolio_decks(tmp_path / "out") == []

    # a currency cell that failed the check is no one's currency: never taken as the default
    book = openpyxl.load_workbook(currencies / "dollar.xlsx")
    cell = next(row[1] for row in book["Settings"].iter_rows() if row[0].value == "currency")
    cell.value = "#N/A"  # an error value, as Excel saves it
    book.save(currencies / "dollar.xlsx")
    going = run_batch([currencies], tmp_path / "out", kinds=["portfolio"], keep_going=True)
    (failure,) = going.failures
    assert (
        f"the currency of {dollar} is not known (Settings!{cell.coordinate} failed the check)"
        in failure.reason
    )


def test_rates_convert_every_amount_to_the_report_currency(
    currencies: Path, tmp_path: Path
) -> None:
    rates = tmp_path / "rates.csv"
    rates.write_text("currency,EUR\nUSD,0.5\n")
    out = tmp_path / "out"
    code = invoke(
        str(currencies), "-o", str(out), "--kind", "portfolio", "--rates", str(rates),
        "--report", str(tmp_path / "report.json"),
    )  # fmt: skip
    assert code.exit_code == 0, code.output
    assert "the amounts of dollar.xlsx in USD are converted to EUR at 1 USD = 0.5 EUR" in (
        code.stdout
    )
    report = json.loads((tmp_path / "report.json").read_text())
    assert report["portfolio_currency"] == "EUR"
    (deck,) = portfolio_decks(out)
    text = everything(deck)
    assert "€60" in text and "€120" in text  # Alpha Works Inc: 120 USD = 60 EUR
    assert not any("$" in t for t in text)

    books = [read_workbook(currencies / n) for n in ("dollar.xlsx", "euro.xlsx")]
    merged, _ = merge_workbooks(books, rates=read_rates(rates))
    assert merged.settings.currency == "EUR"
    assert merged.accounts["revenue_curr"].tolist() == [60, 20, 15, 120, 40, 30]
    forecasts = merged["Revenue"]["forecast"].tolist()  # A3's revenue of the period has none
    assert [None if math.isnan(v) else v for v in forecasts] == [47.5, 55, None, 95, 110, None]
    # the ratios of each workbook are its own: a conversion leaves them as they are
    np.testing.assert_array_equal(
        np.asarray(merged.computed["margin"].values[:3], dtype=float),
        np.asarray(books[0].computed["margin"].values, dtype=float),
    )

    # a currency present without a rate is named; the report currency may be any
    rates.write_text("currency;USD\nEUR;2,0\n")
    merged, _ = merge_workbooks(books, rates=read_rates(rates))
    assert merged.settings.currency == "USD"
    assert merged.accounts["revenue_curr"].tolist() == [120, 40, 30, 240, 80, 60]
    rates.write_text("currency,GBP\nEUR,0.85\n")
    missing = r"rates\.csv has no rate for USD \(the currency of .*dollar\.xlsx\)"
    with pytest.raises(ConsolidationError, match=missing):
        merge_workbooks(books, rates=read_rates(rates))


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("", "is empty; expected a header like 'currency,EUR'"),
        ("USD,0.92\n", "line 1: 'USD,0.92': expected the header 'currency,<report currency>'"),
        ("currency,EUR\nUSD,abc\n", "line 2: 'abc': expected the value of 1 USD in EUR, a number"),
        ("currency,EUR\nUSD,-1\n", "line 2: '-1': expected the value of 1 USD in EUR"),
        ("currency,EUR\n# a note\nUSD,0.9\nUSD,0.91\n", "line 4: USD is given twice"),
        ("currency,EUR\ndollars,0.9\n", "line 2: 'dollars': expected a currency code of 3 letters"),
        ("currency,EUR\nEUR,1.1\n", "line 2: EUR is the report currency: its rate is 1"),
        ("currency,EUR\nUSD,0.9,1\n", "line 2: 'USD,0.9,1': expected a currency and its rate"),
        ("currency,EUR\nUSD,1_000\n", "line 2: '1_000': expected the value of 1 USD in EUR"),
    ],
)
def test_a_bad_rates_file_is_named_with_its_line(
    tmp_path: Path, content: str, message: str
) -> None:
    path = tmp_path / "rates.csv"
    path.write_text(content)
    with pytest.raises(RatesError) as caught:
        read_rates(path)
    assert str(caught.value).startswith(f"{path}: {message}")


def test_rates_are_for_the_portfolio(currencies: Path, tmp_path: Path) -> None:
    rates = tmp_path / "rates.csv"
    rates.write_text("currency,EUR\nUSD,0.5\n")
    result = invoke(str(currencies), "-o", str(tmp_path / "out"), "--rates", str(rates))
    assert result.exit_code == 2 and "use it with --kind portfolio" in result.output
    rates.write_text("currency,EUR\nUSD,x\n")
    bad = invoke(str(currencies), "-o", str(tmp_path / "o"), "--kind", "all", "--rates", str(rates))
    assert bad.exit_code == 1 and "rates.csv: line 2: 'x'" in bad.stderr
    assert not (tmp_path / "o").exists()  # refused before anything was built


# --- --exclude ---------------------------------------------------------------------------------


def test_exclude_leaves_matching_paths_out(drive: Path, tmp_path: Path) -> None:
    (drive / "archive" / "2025").mkdir(parents=True)
    shutil.copyfile(drive / "north.xlsx", drive / "archive" / "2025" / "old-north.xlsx")
    shutil.copyfile(drive / "south.xlsx", drive / "south-draft.xlsx")
    result = invoke(
        str(drive), "-o", str(tmp_path / "out"), "--report", str(tmp_path / "r.json"),
        "--exclude", "archive", "--exclude", "*-draft.xlsx", "--exclude", "typo.*",
        "--exclude", "nothing-matches-this",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    report = json.loads((tmp_path / "r.json").read_text())
    assert report["workbooks"] == 2 and report["workbooks_left_out"] == 3
    assert {(Path(o["source"]).name, o["reason"]) for o in report["left_out"]} == {
        ("old-north.xlsx", "--exclude archive"),
        ("south-draft.xlsx", "--exclude *-draft.xlsx"),
        ("typo.xlsx", "--exclude typo.*"),
    }
    summary = openpyxl.load_workbook(tmp_path / "r.xlsx")
    assert summary["Left out"].max_row == 4
    assert {Path(o["source"]).name for o in report["outputs"]} == {"north.xlsx", "south.xlsx"}

    root = drive.resolve()
    path = root / "archive" / "2025" / "old-north.xlsx"
    assert excluded(path, ["*/2025/*.xlsx"], root) == "*/2025/*.xlsx"  # a whole path
    assert excluded(path, ["archive/2025/*"], root) == "archive/2025/*"  # from the folder given
    assert excluded(path, ["old-*"], root) == "old-*"  # its name
    assert excluded(path, ["2025"], root) == "2025"  # one of its folders
    assert excluded(path, ["2024", "*.xlsm"], root) is None
    # the folders above the one given are not the batch's: they never exclude anything
    assert excluded(path, [root.parent.name, "drive"], root) is None
    everything_out = invoke(str(drive), "-o", str(tmp_path / "o2"), "--exclude", "*.xlsx")
    assert everything_out.exit_code == 2
    assert "(5 file(s) left out)" in everything_out.output


# --- workbooks of the same name ----------------------------------------------------------------


def test_workbooks_of_the_same_name_are_told_apart_by_their_folders(tmp_path: Path) -> None:
    drive = tmp_path / "drive"
    for region in ("north", "south", "east/emea", "west/emea"):
        (drive / region).mkdir(parents=True)
        build_workbook(drive / region / "Q3.xlsx", rows=renamed(region[0].upper()))
    build_workbook(drive / "alone.xlsx", rows=renamed("A"))
    build_workbook(drive / "north" / "q3 (copy).xlsx", rows=renamed("C"))
    report = run_batch([drive], tmp_path / "out", jobs=1)
    assert report.ok, report.failures
    folders = {Path(o.path).parent.name: Path(o.source) for o in report.outputs}
    assert {name: str(path.relative_to(drive.resolve())) for name, path in folders.items()} == {
        "north-Q3": "north/Q3.xlsx",
        "south-Q3": "south/Q3.xlsx",
        "east-emea-Q3": "east/emea/Q3.xlsx",  # emea-Q3 would not tell them apart
        "west-emea-Q3": "west/emea/Q3.xlsx",
        "alone": "alone.xlsx",
        "q3 (copy)": "north/q3 (copy).xlsx",
    }
    again = run_batch([drive], tmp_path / "out", jobs=1)
    assert {Path(o.path).parent.name for o in again.outputs} == set(folders)  # stable


# --- nothing lost ------------------------------------------------------------------------------


def test_the_report_never_replaces_a_file_it_did_not_write(drive: Path, tmp_path: Path) -> None:
    (drive / "typo.xlsx").unlink()
    out = tmp_path / "out"
    mine = tmp_path / "mine.json"
    mine.write_text('{"my": "notes"}')
    refused = invoke(str(drive), "-o", str(out), "--report", str(mine))
    assert refused.exit_code == 1
    assert f"{mine}: already exists and is not a report of kamxl batch (use --force" in (
        refused.stderr
    )
    assert mine.read_text() == '{"my": "notes"}' and not out.exists()  # refused up front

    spreadsheet = tmp_path / "budget.xlsx"
    spreadsheet.write_bytes(b"a user's spreadsheet")
    for extra in ([], ["--force"]):  # an .xlsx kamxl did not write: never, --force or not
        other = invoke(
            str(drive), "-o", str(out), "--report", str(tmp_path / "budget.json"), *extra
        )
        assert other.exit_code == 1
        assert f"{spreadsheet}: is a workbook that kamxl batch did not write" in other.stderr
        assert spreadsheet.read_bytes() == b"a user's spreadsheet"

    forced = invoke(str(drive), "-o", str(out), "--report", str(mine), "--force")
    assert forced.exit_code == 0, forced.output
    assert json.loads(mine.read_text())["report"] == "kamxl batch"
    again = invoke(str(drive), "-o", str(out), "--report", str(mine))  # its own: replaced
    assert again.exit_code == 0, again.output
    assert json.loads(mine.read_text())["decks_up_to_date"] == 4

    # an input workbook is never replaced, --force or not
    north = drive / "north.xlsx"
    before = north.read_bytes()
    for extra in ([], ["--force"]):
        input_report = invoke(
            str(drive), "-o", str(out), "--report", str(drive / "north.json"), *extra
        )
        assert input_report.exit_code == 1
        assert f"{north}: is one of the input workbooks; kamxl never overwrites" in (
            input_report.stderr
        )
    assert north.read_bytes() == before and not (drive / "north.json").exists()

    deep = tmp_path / "reports" / "2026" / "q3.json"  # its folder is made, like -o
    made = invoke(str(drive), "-o", str(out), "--report", str(deep))
    assert made.exit_code == 0 and deep.is_file() and deep.with_suffix(".xlsx").is_file()
    named_xlsx = invoke(str(drive), "-o", str(out), "--report", str(tmp_path / "r.xlsx"))
    assert named_xlsx.exit_code == 2 and "give the JSON report's name" in named_xlsx.output
    cache = out / CACHE_NAME
    over_cache = invoke(str(drive), "-o", str(out), "--report", str(cache), "--force")
    assert over_cache.exit_code == 2 and "that name is kamxl's own" in over_cache.output
    assert json.loads(cache.read_text())["workbooks"]  # the cache is untouched


def test_the_batch_never_reads_its_own_outputs(drive: Path, tmp_path: Path) -> None:
    (drive / "typo.xlsx").unlink()
    report_path = drive / "q3-report.json"  # saved among the inputs
    decks = drive / "decks"  # -o inside the input folder
    first = invoke(str(drive), "-o", str(decks), "--report", str(report_path))
    assert first.exit_code == 0, first.output
    # the next run: the report's .xlsx is not a workbook, nor anything in -o, even a
    # workbook copied there
    shutil.copyfile(drive / "north.xlsx", decks / "copy.xlsx")
    second = invoke(str(drive), "-o", str(decks), "--report", str(report_path))
    assert second.exit_code == 0, second.output
    report = json.loads(report_path.read_text())
    assert report["workbooks"] == 2 and report["failures"] == []
    assert {(Path(o["source"]).name, o["reason"]) for o in report["left_out"]} == {
        ("q3-report.xlsx", "a report of kamxl batch, not a workbook"),
        ("copy.xlsx", "inside the output folder: an output, not an input"),
    }
    # an output folder that holds the workbooks would mix decks and workbooks
    mixed = invoke(str(drive / "decks"), "-o", str(drive))
    assert mixed.exit_code == 2 and "holds the workbooks of" in mixed.output
    assert invoke(str(drive), "-o", str(drive)).exit_code == 2


def test_a_users_file_at_a_decks_path_is_not_replaced(drive: Path, tmp_path: Path) -> None:
    (drive / "typo.xlsx").unlink()
    out = tmp_path / "out"
    (out / "north").mkdir(parents=True)
    theirs = out / "north" / "N1 Alpha Works - QBR 2026-Q3.pptx"
    theirs.write_bytes(b"the KAM's own deck")
    first = invoke(str(drive), "-o", str(out))
    assert first.exit_code == 1
    assert (
        f"FAILED {(drive / 'north.xlsx').resolve()} [N1]: {theirs}: already exists and "
        "kamxl did not write it (use --force to replace it)"
    ) in first.stdout
    assert theirs.read_bytes() == b"the KAM's own deck"
    assert len(list(out.rglob("*.pptx"))) == 4  # the other decks are built

    # kamxl's own decks are rebuilt when their workbook changes...
    south_deck = out / "south" / "S1 Alpha Works - QBR 2026-Q3.pptx"
    before = south_deck.read_bytes()
    changed_figures = renamed("S")
    changed_figures["Accounts"][0]["revenue_curr"] = 125
    current = next(r for r in changed_figures["Revenue"] if r["period"] == "2026-Q3")
    current["revenue"] = 125  # the two figures of the period agree
    build_workbook(drive / "south.xlsx", rows=changed_figures)
    cache = json.loads((out / CACHE_NAME).read_text())
    cache["kamxl"] = "0.0.1"  # even those of another version of kamxl
    (out / CACHE_NAME).write_text(json.dumps(cache))
    rebuilt = run_batch([drive / "south.xlsx"], out)
    assert rebuilt.ok and len(rebuilt.built) == 2, rebuilt.failures
    assert south_deck.read_bytes() != before
    # ...but not once the KAM has changed one
    south_deck.write_bytes(south_deck.read_bytes() + b"edited")
    changed = run_batch([drive / "south.xlsx"], out, kinds=["qbr", "handshake"])
    assert [(f.account_id, f.reason) for f in changed.failures] == [
        ("S1", f"{south_deck}: was changed since kamxl wrote it (use --force to replace it)")
    ]
    assert south_deck.read_bytes().endswith(b"edited")
    forced = run_batch([drive], out, force=True)
    assert forced.ok, forced.failures
    assert theirs.read_bytes() != b"the KAM's own deck" and len(forced.built) == 4


def test_decks_of_a_worker_with_another_kamxl_are_refused() -> None:
    from kamxl.batch import DeckFile, WorkbookResult, _same_kamxl

    result = WorkbookResult(
        "/drive/north.xlsx",
        "key",
        decks=[DeckFile("qbr", "N1", "N1.pptx", b"PK", 12)],
        kamxl="0.0.1",  # what a worker of a cluster not upgraded sends back
    )
    _same_kamxl(result)
    assert result.decks == [] and [f.reason for f in result.failures] == [
        f"the worker runs kamxl 0.0.1, this machine kamxl {kamxl.__version__}: install the "
        "same version on the workers"
    ]


def test_a_workbook_folder_that_is_a_file_or_a_link_elsewhere_is_refused(
    drive: Path, tmp_path: Path
) -> None:
    (drive / "typo.xlsx").unlink()
    out = tmp_path / "out"
    out.mkdir()
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (out / "north").symlink_to(elsewhere, target_is_directory=True)
    (out / "south").write_text("a file of the user's, named like a workbook's folder")
    report = run_batch([drive], out, jobs=1)
    reasons = sorted({f.reason.split(": ", 1)[1] for f in report.failures})
    assert reasons == [
        "is a file, not a folder: kamxl writes decks there",
        f"would be written outside {out}",
    ]
    assert list(elsewhere.iterdir()) == []  # nothing written through the link
    assert (out / "south").read_text().startswith("a file of the user's")

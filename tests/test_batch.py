"""``kamxl batch``: many workbooks, one robust, incremental, deterministic run."""

from __future__ import annotations

import copy
import json
import os
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from click.testing import CliRunner

from kamxl.batch import (
    CACHE_NAME,
    LOCK_NAME,
    PORTFOLIO_SOURCE,
    BatchError,
    BatchReport,
    Failure,
    Output,
    find_workbooks,
    run_batch,
    summary_xlsx,
)
from kamxl.cli import main
from kamxl.errors import KamxlError
from kamxl.workbook.merge import merge_workbooks
from kamxl.workbook.reader import read_workbook
from tests.conftest import mini_rows


def renamed(prefix: str, names: str = "") -> dict[str, list[dict[str, Any]]]:
    """The mini portfolio with its accounts renamed ``A1`` -> ``<prefix>1`` (and key: A1, A3;
    A3 has its revenue of the period and both a handshake agreed, so that their decks have
    something to show)."""
    rows = copy.deepcopy(mini_rows())
    rows["Revenue"].append({"account_id": "A3", "period": "2026-Q3", "revenue": 30})
    rows["Handshake"] = [
        {"account_id": a, "client_priorities": "Faster delivery", "agreed_by": "Lea Roux"}
        for a in ("A1", "A3")
    ]
    for sheet in rows.values():
        for row in sheet:
            if "account_id" in row:
                row["account_id"] = prefix + row["account_id"][1:]
    for row in rows["Accounts"]:
        row["name"] = f"{row['name']}{names}"
        if row["account_id"].endswith("3"):
            row["status"] = "key"
    return rows


@pytest.fixture
def drive(tmp_path: Path) -> Path:
    """A shared drive: two good workbooks (one in a sub-folder), a corrupt one, a text file,
    an Excel lock file."""
    from kamxl.workbook.template import build_workbook

    folder = tmp_path / "drive"
    (folder / "south").mkdir(parents=True)
    build_workbook(folder / "north.xlsx", rows=renamed("N"))
    build_workbook(folder / "south" / "south.xlsx", rows=renamed("S"))
    (folder / "broken.xlsx").write_bytes(b"PK\x03\x04 this zip was cut short")
    (folder / "notes.txt").write_text("not a workbook")
    (folder / "~$north.xlsx").write_bytes(b"owner file of Excel")
    return folder


def invoke(*args: str) -> Any:
    return CliRunner().invoke(main, ["batch", *args])


def decks_in(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*.pptx"))}


def test_corrupt_workbook_is_reported_the_rest_built_then_incremental(
    drive: Path, tmp_path: Path
) -> None:
    out = tmp_path / "decks"
    report_path = tmp_path / "report.json"
    first = invoke(str(drive), "-o", str(out), "--jobs", "2", "--report", str(report_path))
    assert first.exit_code == 1, first.output
    built = sorted(str(p.relative_to(out)) for p in out.rglob("*.pptx"))
    assert built == [
        "north/N1 Alpha Works - QBR 2026-Q3.pptx",
        "north/N3 Gamma Labs - QBR 2026-Q3.pptx",
        "south/S1 Alpha Works - QBR 2026-Q3.pptx",
        "south/S3 Gamma Labs - QBR 2026-Q3.pptx",
    ]
    broken = str((drive / "broken.xlsx").resolve())
    assert f"FAILED {broken}: is a damaged zip file" in first.stdout
    assert "4 deck(s) built, 0 up to date, from 3 workbook(s)" in first.stdout
    assert "[3/3]" in first.stderr  # plain progress lines when not on a terminal

    report = json.loads(report_path.read_text())
    assert report["workbooks"] == 3 and report["decks_built"] == 4
    assert [f["source"] for f in report["failures"]] == [broken]
    assert report["failures"][0]["account_id"] is None
    assert {
        (Path(o["source"]).name, o["account_id"], o["kind"], o["built"]) for o in report["outputs"]
    } == {
        ("north.xlsx", "N1", "qbr", True),
        ("north.xlsx", "N3", "qbr", True),
        ("south.xlsx", "S1", "qbr", True),
        ("south.xlsx", "S3", "qbr", True),
    }
    # (a QBR leaves out the sections its account has nothing to show for: A3's has 2 slides,
    # title and scorecard: no win, watch point or ask, so no summary; one period of revenue,
    # so no trajectory of one bar; one section, so no agenda)
    assert all(Path(o["path"]).is_file() for o in report["outputs"])
    assert min(o["slides"] for o in report["outputs"]) == 2

    summary = openpyxl.load_workbook(tmp_path / "report.xlsx")
    assert summary.sheetnames == ["Summary", "Decks", "Failures", "Warnings", "Left out"]
    counts = {row[0]: row[1] for row in summary["Summary"].iter_rows(values_only=True)}
    assert counts["Decks built"] == 4 and counts["Failures"] == 1 and counts["Workbooks"] == 3
    assert summary["Failures"]["A2"].value == broken
    assert summary["Decks"].max_row == 5

    stamps = {p: p.stat().st_mtime_ns for p in out.rglob("*.pptx")}
    second = invoke(str(drive), "-o", str(out), "--jobs", "2")
    assert second.exit_code == 1  # the corrupt file still fails
    assert "0 deck(s) built, 4 up to date, from 3 workbook(s)" in second.stdout
    assert {p: p.stat().st_mtime_ns for p in out.rglob("*.pptx")} == stamps

    # a changed workbook is rebuilt, alone
    from kamxl.workbook.template import build_workbook

    build_workbook(drive / "north.xlsx", rows=renamed("N", names=" Renamed"))
    third = invoke(str(drive), "-o", str(out), "--jobs", "1")
    assert "2 deck(s) built, 2 up to date" in third.stdout
    assert (out / "north" / "N1 Alpha Works Renamed - QBR 2026-Q3.pptx").is_file()
    assert all(p.stat().st_mtime_ns == stamps[p] for p in (out / "south").glob("*.pptx"))

    # once the corrupt file is gone, the batch succeeds; --force rebuilds all
    (drive / "broken.xlsx").unlink()
    fourth = invoke(str(drive), "-o", str(out), "--force")
    assert fourth.exit_code == 0, fourth.output
    assert "4 deck(s) built, 0 up to date, from 2 workbook(s)" in fourth.stdout


def test_a_failing_account_does_not_stop_its_workbook(
    drive: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import kamxl.deck.make as make

    real = make.qbr_context

    def flaky(book: Any, account_id: str, **options: Any) -> Any:
        if account_id == "N1":
            raise make.DeckError("the plan of N1 is unreadable")
        if account_id == "S3":
            return 1 / 0  # a bug: reported as an internal error, not raised
        return real(book, account_id, **options)

    monkeypatch.setattr(make, "qbr_context", flaky)
    report = run_batch([drive / "north.xlsx", drive / "south"], tmp_path / "out", jobs=1)
    assert (report.failures[0].account_id, report.failures[0].reason) == (
        "N1",
        "the plan of N1 is unreadable",
    )
    assert report.failures[1].account_id == "S3"
    assert report.failures[1].reason.startswith("internal error ZeroDivisionError")
    assert sorted(o.account_id for o in report.outputs) == ["N3", "S1"]
    cache = json.loads((tmp_path / "out" / CACHE_NAME).read_text())
    assert cache["workbooks"] == {}  # both workbooks had a failure: both are tried again


def test_same_inputs_give_identical_decks(drive: Path, tmp_path: Path) -> None:
    paths = [drive / "north.xlsx", drive / "south"]
    run_batch(paths, tmp_path / "one", kinds=["all"], jobs=1)
    run_batch(paths, tmp_path / "two", kinds=["all"], jobs=2)
    one, two = decks_in(tmp_path / "one"), decks_in(tmp_path / "two")
    assert len(one) == 9  # 2 workbooks x 2 key accounts x (QBR + handshake) + 1 portfolio
    assert one == two  # byte for byte: fixed zip dates, document dates and ids
    with zipfile.ZipFile(next(iter((tmp_path / "one" / "north").glob("*QBR*")))) as deck:
        assert {i.date_time for i in deck.infolist()} == {(1980, 1, 1, 0, 0, 0)}
        core = deck.read("docProps/core.xml").decode()
        assert "2026-10-15T00:00:00Z" in core  # the workbook's as_of, not the build time


def test_portfolio_consolidates_workbooks(drive: Path, tmp_path: Path) -> None:
    (drive / "broken.xlsx").unlink()
    report = run_batch([drive], tmp_path / "out", kinds=["portfolio"], jobs=2)
    assert report.ok, report.failures
    portfolio = [o for o in report.outputs if o.kind == "portfolio"]
    assert len(portfolio) == 1 and portfolio[0].source == PORTFOLIO_SOURCE
    assert Path(portfolio[0].path).parent == tmp_path / "out"
    assert report.portfolio_currency == "EUR"

    books = [read_workbook(p) for p in sorted(find_workbooks([drive]), key=str)]
    merged, notes = merge_workbooks(books)
    assert sorted(merged.accounts["account_id"]) == ["N1", "N2", "N3", "S1", "S2", "S3"]
    assert merged.accounts["revenue_curr"].sum() == 2 * (120 + 40 + 30)
    assert notes == []

    again = run_batch([drive], tmp_path / "out", kinds=["portfolio"])
    assert not again.built and again.warnings == report.warnings  # up to date, same notes
    assert again.portfolio_currency == "EUR"


def test_an_interrupted_run_leaves_whole_decks_and_resumes(drive: Path, tmp_path: Path) -> None:
    (drive / "broken.xlsx").unlink()
    out = tmp_path / "out"

    def stop_after_first(result: Any, done: int, total: int) -> None:
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        run_batch([drive], out, jobs=1, progress=stop_after_first)
    assert not (out / LOCK_NAME).exists()
    assert not list(out.rglob(".kamxl-*.tmp"))
    for deck in out.rglob("*.pptx"):
        with zipfile.ZipFile(deck) as archive:
            assert archive.testzip() is None
    cached = json.loads((out / CACHE_NAME).read_text())["workbooks"]
    assert len(cached) == 1  # the first workbook finished before the interruption
    resumed = run_batch([drive], out, jobs=1)
    assert len(resumed.built) == 2 and len(resumed.up_to_date) == 1


def test_a_second_batch_on_the_same_folder_is_refused(drive: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    (out / LOCK_NAME).write_text(str(os.getpid()))  # a live process holds it
    with pytest.raises(
        BatchError, match=f"in use by another kamxl batch \\(process {os.getpid()}\\)"
    ):
        run_batch([drive / "north.xlsx"], out)
    result = invoke(str(drive / "north.xlsx"), "-o", str(out))
    assert result.exit_code == 1 and "in use by another kamxl batch" in result.stderr

    dead = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True
    )
    (out / LOCK_NAME).write_text(dead.stdout.strip())  # that process has ended
    report = run_batch([drive / "north.xlsx"], out)
    assert report.ok and len(report.built) == 2 and not (out / LOCK_NAME).exists()


def test_paths_folders_globs_and_usage_errors(drive: Path, tmp_path: Path) -> None:
    found = find_workbooks([drive])
    assert [p.name for p in found] == ["broken.xlsx", "north.xlsx", "south.xlsx"]
    assert find_workbooks([f"{drive}/**/s*.xlsx", drive / "south" / "south.xlsx"]) == [
        (drive / "south" / "south.xlsx").resolve()
    ]
    missing = invoke(str(drive / "nope"), "-o", str(tmp_path / "out"))
    assert missing.exit_code == 2 and "nope: no such file or folder" in missing.output
    no_match = invoke(f"{drive}/*.xlsb", "-o", str(tmp_path / "out"))
    assert no_match.exit_code == 2 and "no file matches" in no_match.output
    client = invoke(
        str(drive), "-o", str(tmp_path / "out"), "--kind", "all", "--audience", "client"
    )
    assert client.exit_code == 2 and "portfolio review is internal" in client.output
    new_report_folder = invoke(
        str(drive), "-o", str(tmp_path / "o"), "--report", str(tmp_path / "x" / "r.json")
    )
    assert new_report_folder.exit_code == 1  # broken.xlsx; the report's folder is made
    assert (tmp_path / "x" / "r.json").is_file() and (tmp_path / "x" / "r.xlsx").is_file()


def test_workbooks_of_the_same_name_get_their_own_folders(drive: Path, tmp_path: Path) -> None:
    (drive / "broken.xlsx").unlink()
    (drive / "east").mkdir()
    shutil.copyfile(drive / "north.xlsx", drive / "east" / "north.xlsx")
    report = run_batch([drive], tmp_path / "out", jobs=1)
    folders = sorted({Path(o.path).parent.name for o in report.outputs})
    assert folders == ["drive-north", "east-north", "south"]  # told apart by their folders
    assert sorted(
        Path(o.path).parent.name for o in run_batch([drive], tmp_path / "out").outputs
    ) == sorted(Path(o.path).parent.name for o in report.outputs)  # stable from run to run


def test_summary_keeps_hostile_text_as_text(tmp_path: Path) -> None:
    hostile = '=HYPERLINK("http://evil.example","click")'
    report = BatchReport(
        started="2026-11-22T10:00:00",
        inputs=1,
        outputs=[Output("+cmd|' /C calc'!A0", "qbr", "@SUM(1)", "-2+3", 12)],
        failures=[Failure(hostile, "A1", "=1+1")],
        warnings=[{"source": "x.xlsx", "message": "-1-1"}],
    )
    path = tmp_path / "summary.xlsx"
    path.write_bytes(summary_xlsx(report))
    book = openpyxl.load_workbook(path)
    cells = [
        book["Decks"]["A2"],
        book["Decks"]["C2"],
        book["Decks"]["D2"],
        book["Failures"]["A2"],
        book["Failures"]["C2"],
        book["Warnings"]["B2"],
    ]
    assert [c.value for c in cells] == [
        "+cmd|' /C calc'!A0",
        "@SUM(1)",
        "-2+3",
        hostile,
        "=1+1",
        "-1-1",
    ]
    assert {c.data_type for c in cells} == {"s"}  # text cells, never formulas
    with zipfile.ZipFile(path) as archive:
        sheets = "".join(
            archive.read(n).decode() for n in archive.namelist() if n.startswith("xl/worksheets/")
        )
    assert "<f>" not in sheets


def test_dask_executor_on_a_local_cluster(drive: Path, tmp_path: Path) -> None:
    import distributed  # a test dependency: .[test]

    (drive / "broken.xlsx").unlink()
    with distributed.LocalCluster(
        n_workers=1, threads_per_worker=2, processes=True, dashboard_address=None
    ) as cluster:
        report = run_batch(
            [drive],
            tmp_path / "dask",
            kinds=["qbr", "portfolio"],
            executor="dask",
            scheduler=cluster.scheduler_address,
        )
    assert report.ok, report.failures
    run_batch([drive], tmp_path / "local", kinds=["qbr", "portfolio"], jobs=1)
    assert decks_in(tmp_path / "dask") == decks_in(tmp_path / "local")
    assert len(decks_in(tmp_path / "dask")) == 5


def test_dask_executor_needs_a_reachable_scheduler(
    drive: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("kamxl.batch.DASK_CONNECT_TIMEOUT", "1s")
    with pytest.raises(KamxlError, match="needs --scheduler"):
        run_batch([drive], tmp_path / "out", executor="dask")
    with pytest.raises(
        BatchError, match=r"cannot reach the Dask scheduler at tcp://127\.0\.0\.1:9"
    ):
        run_batch(
            [drive / "north.xlsx"], tmp_path / "out", executor="dask", scheduler="tcp://127.0.0.1:9"
        )


def test_progress_is_a_bar_on_a_terminal_and_lines_in_a_log() -> None:
    import io

    from rich.console import Console

    from kamxl.batch import WorkbookResult
    from kamxl.report import batch_progress

    good = WorkbookResult("/drive/north.xlsx", "k", outputs=[Output("n", "qbr", "N1", "p", 12)])
    bad = WorkbookResult("/drive/bad.xlsx", "k", failures=[Failure("/drive/bad.xlsx", None, "x")])
    log = io.StringIO()
    with batch_progress(Console(file=log, force_terminal=False, width=200)) as progress:
        progress(good, 1, 2)
        progress(bad, 2, 2)
    assert log.getvalue().splitlines() == [
        "[1/2] /drive/north.xlsx: 1 deck(s) (0.0 s)",
        "[2/2] /drive/bad.xlsx: 0 deck(s), 1 failure(s) (0.0 s)",
    ]
    screen = io.StringIO()
    with batch_progress(Console(file=screen, force_terminal=True, width=100)) as progress:
        progress(good, 1, 2)
        progress(bad, 2, 2)
    shown = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", screen.getvalue())  # without the colours
    assert "/drive/bad.xlsx: 0 deck(s), 1 failure(s)" in shown  # failures stay on screen
    assert "2/2" in shown and "━" in shown  # the bar, with done/total
    assert "[1/2]" not in shown

"""The command line: each command end to end, its exit codes, and its documentation."""

from __future__ import annotations

import re
import shutil
from pathlib import Path
from typing import Any

import openpyxl
from click.testing import CliRunner

from kamxl.cli import main
from tests.conftest import ROOT, SAMPLE


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_every_command_is_documented() -> None:
    documented = set(re.findall(r"^## kamxl (\S+)", (ROOT / "docs" / "cli.md").read_text(), re.M))
    assert documented == set(main.commands)


def test_every_option_is_documented_in_its_command_section() -> None:
    import click

    text = (ROOT / "docs" / "cli.md").read_text()
    sections = dict(re.findall(r"^## kamxl (\S+)\n(.*?)(?=^## |\Z)", text, re.M | re.S))
    missing = []
    for name, command in main.commands.items():
        commands = command.commands.values() if isinstance(command, click.Group) else [command]
        for sub in commands:
            for param in sub.params:
                if not isinstance(param, click.Option):
                    continue
                if not any(re.search(rf"{opt}\b", sections[name]) for opt in param.opts):
                    missing.append(f"kamxl {name}: {max(param.opts, key=len)}")
    assert missing == []


def test_readme_and_ci_run_the_same_test_command() -> None:
    ci = (ROOT / ".ci" / "run").read_text().strip().splitlines()[-1]
    readme = (ROOT / "README.md").read_text()
    blocks = re.findall(r"```bash\n(.*?)\n```", readme, re.S)
    assert blocks[:2] == [
        "python -m pip install -q . && "
        "kamxl deck workbooks/sample_portfolio.xlsx --kind all -o decks --force",
        ci,
    ]


def test_template_and_check(tmp_path: Path) -> None:
    out = tmp_path / "t.xlsx"
    code, stdout, _ = run("template", "-o", str(out), "--lang", "fr")
    assert code == 0 and "template, fr" in stdout
    code, _, stderr = run("template", "-o", str(out))
    assert code == 1 and "already exists (use --force to replace it)" in stderr
    code, stdout, _ = run("check", str(out))
    assert code == 0 and stdout.strip() == "t.xlsx: no problems found"


def _insert_row_in_table(sheet: Any, row: int) -> None:
    """Insert a blank row inside the sheet's table, which grows by it as in Excel (openpyxl
    leaves the table's range as it was)."""
    sheet.insert_rows(row)
    for table in sheet.tables.values():
        start, end = table.ref.split(":")
        letters = end.rstrip("0123456789")
        table.ref = f"{start}:{letters}{int(end[len(letters) :]) + 1}"
        if table.autoFilter is not None:
            table.autoFilter.ref = table.ref


def test_check_lists_every_problem_and_exits_1(tmp_path: Path) -> None:
    path = tmp_path / "bad.xlsx"
    shutil.copyfile(SAMPLE, path)
    wb = openpyxl.load_workbook(path)
    wb["Accounts"]["I3"] = "lots"
    _insert_row_in_table(wb["Accounts"], 5)
    wb.save(path)
    code, stdout, _ = run("check", str(path))
    assert code == 1
    lines = stdout.strip().splitlines()
    assert lines[0] == "bad.xlsx Accounts!I3: error: 'lots': revenue_curr: text, expected a number"
    assert "bad.xlsx Accounts!A5: warning: row 5 is blank inside the table (skipped)" in lines
    assert lines[-1] == "bad.xlsx: 1 error(s), 1 warning(s)"


def test_check_strict_fails_on_warnings(tmp_path: Path) -> None:
    path = tmp_path / "warn.xlsx"
    shutil.copyfile(SAMPLE, path)
    wb = openpyxl.load_workbook(path)
    _insert_row_in_table(wb["Accounts"], 5)
    wb.save(path)
    assert run("check", str(path))[0] == 0
    assert run("check", "--strict", str(path))[0] == 1


def test_not_a_workbook_is_one_line_and_exit_1(tmp_path: Path) -> None:
    path = tmp_path / "report.xlsx"
    path.write_bytes(b"%PDF-1.7 ...")
    code, stdout, stderr = run("check", str(path))
    assert code == 1 and stdout == ""
    assert stderr.strip() == f"kamxl: {path}: is a PDF, not an Excel workbook"
    assert "Traceback" not in stderr


def test_recalc(tmp_path: Path) -> None:
    out = tmp_path / "out.xlsx"
    code, stdout, _ = run("recalc", str(SAMPLE), "-o", str(out), "--as-of", "2026-10-15")
    assert code == 0
    assert "30 accounts, 330 computed cells (330 formulas kept)" in stdout
    code, _, stderr = run("recalc", str(SAMPLE), "-o", str(SAMPLE), "--force")
    assert code == 1 and "is an input file" in stderr
    code, _, stderr = run("recalc", str(SAMPLE), "-o", str(out), "--as-of", "15/10/2026")
    assert code == 2 and "is not a date like 2026-10-15" in stderr


def test_summary_prints_the_portfolio_kpis() -> None:
    code, stdout, _ = run("summary", str(SAMPLE))
    assert code == 0
    assert "Norvalis Industrial Systems — portfolio 2026-Q3 (vs 2026-Q2)" in stdout
    assert "Net / gross revenue retention" in stdout and "102.3% / 98.7%" in stdout
    assert "Key accounts (15)" in stdout

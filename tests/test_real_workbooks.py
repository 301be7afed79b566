"""Workbooks as people make them, and what kamxl reads, computes and writes from each.

Each workbook here is made the way users make it, not with kamxl's own writer: Excel's
*Total Row* as Excel saves it (the OOXML of a table with ``totalsRowCount="1"`` and
``SUBTOTAL`` formulas with their saved results), the sample re-saved by LibreOffice,
``DataFrame.to_excel`` with the openpyxl and XlsxWriter engines (formula strings and a typed
"Total" row included), openpyxl scripts (merged cells, formulas without results), and
settings that make no sense. docs/workbook.md ("What people do to workbooks") states the
rules these tests hold kamxl to.
"""

from __future__ import annotations

import posixpath
import re
import shutil
import subprocess
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import openpyxl
import pandas as pd
import pytest
import python_calamine
from click.testing import CliRunner

from kamxl.cli import main
from kamxl.errors import DIV0, NA, NO_ERROR, NUM, VALUE
from kamxl.workbook import schema
from kamxl.workbook.check import check_workbook
from kamxl.workbook.model import KamWorkbook, Severity
from kamxl.workbook.package import Package
from kamxl.workbook.reader import read_grids, read_workbook
from kamxl.workbook.sheetxml import scan_sheet
from kamxl.workbook.writer import recalc_workbook
from tests.conftest import SAMPLE

MONEY = ("revenue_prev", "revenue_curr", "wallet", "variable_costs", "cost_to_serve")


# --- helpers: the OOXML of a workbook, edited as Excel would save it ------------------------


def _parts(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as archive:
        return {info.filename: archive.read(info) for info in archive.infolist()}


def _rewrite(path: Path, changes: dict[str, bytes]) -> None:
    """Replace parts of the package at ``path`` (the others unchanged, in their order)."""
    with zipfile.ZipFile(path) as archive:
        items = [(info, archive.read(info)) for info in archive.infolist()]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for info, data in items:
            archive.writestr(info, changes.get(info.filename, data))


def _sheet_part(path: Path, title: str) -> str:
    with Package.open(path) as package:
        return package.sheet_parts()[title]


def _table_part(path: Path, title: str) -> str:
    """The part of the (only) Excel Table of a sheet, from the sheet's relationships."""
    sheet = _sheet_part(path, title)
    folder, name = sheet.rsplit("/", 1)
    rels = _parts(path)[f"{folder}/_rels/{name}.rels"]
    (target,) = re.findall(rb'Type="[^"]*/table" Target="([^"]+)"', rels)
    return posixpath.normpath(posixpath.join(folder, target.decode()))


def _row_xml(path: Path, title: str, row: int) -> bytes:
    xml = _parts(path)[_sheet_part(path, title)]
    match = re.search(rb'<row r="%d"[ >].*?</row>' % row, xml, re.S)
    assert match is not None, f"no row {row}"
    return match.group(0)


def _set_cells(path: Path, title: str, cells: dict[str, Any]) -> Path:
    """Type values into cells of a sheet, as Excel saves them (a number, or text)."""
    part = _sheet_part(path, title)
    xml = _parts(path)[part]
    for ref, value in cells.items():
        if isinstance(value, str):
            new = f'<c r="{ref}" t="inlineStr"><is><t>{value}</t></is></c>'.encode()
        else:
            new = f'<c r="{ref}"><v>{value!r}</v></c>'.encode()
        xml, count = re.subn(
            rb'<c r="%s"(?:[^>]*/>|[^>]*>.*?</c>)' % ref.encode(), new, xml, count=1
        )
        assert count == 1, ref
    _rewrite(path, {part: xml})
    return path


def _copy(tmp_path: Path, name: str = "book.xlsx") -> Path:
    target = tmp_path / name
    shutil.copyfile(SAMPLE, target)
    return target


def _with_excel_total_row(path: Path) -> dict[str, float]:
    """Switch on the Total Row of the Accounts table of the sample at ``path`` as Excel
    saves it: a label "Total" (shared string) in account_id, ``SUBTOTAL(109,...)`` sums of
    the money columns and a ``SUBTOTAL(101,...)`` average of the score with their saved
    results, the table's ``ref`` grown by the row and ``totalsRowCount="1"``, its filter
    kept on the data, ``totalsRowLabel``/``totalsRowFunction`` on its columns. Returns the
    saved totals."""
    book = read_workbook(path)
    accounts = book.sheets["Accounts"]
    part, table = _sheet_part(path, "Accounts"), _table_part(path, "Accounts")
    parts = _parts(path)
    ref = re.search(rb' ref="(A1:X([0-9]+))"', parts[table])
    row = int(ref[2]) + 1
    strings = parts["xl/sharedStrings.xml"]
    unique = int(re.search(rb'uniqueCount="([0-9]+)"', strings).group(1))
    strings = re.sub(
        rb' count="([0-9]+)"', lambda m: b' count="%d"' % (int(m[1]) + 1), strings, count=1
    )
    strings = strings.replace(b'uniqueCount="%d"' % unique, b'uniqueCount="%d"' % (unique + 1))
    strings = strings.replace(b"</sst>", b"<si><t>Total</t></si></sst>")
    totals = {name: float(accounts.frame[name].sum()) for name in MONEY}
    totals["score"] = float(book.accounts["score"].mean())
    cells = {"account_id": f'<c r="A{row}" t="s"><v>{unique}</v></c>'}
    for name, value in totals.items():
        function = 101 if name == "score" else 109
        letter = accounts.letters[name]
        cells[name] = (
            f'<c r="{letter}{row}"><f>SUBTOTAL({function},tblAccounts[{name}])</f>'
            f"<v>{value!r}</v></c>"
        )
    order = sorted(cells, key=lambda n: (len(accounts.letters[n]), accounts.letters[n]))
    totals_row = f'<row r="{row}" spans="1:24">{"".join(cells[n] for n in order)}</row>'
    sheet = parts[part].replace(b"</sheetData>", totals_row.encode() + b"</sheetData>")
    sheet = re.sub(
        rb'<dimension ref="A1:([A-Z]+)[0-9]+"/>', rb'<dimension ref="A1:\g<1>%d"/>' % row, sheet
    )
    definition = parts[table].replace(
        b'ref="%s" totalsRowShown="0"' % ref[1],
        f'ref="A1:X{row}" totalsRowCount="1"'.encode(),
    )
    definition = definition.replace(
        b'name="account_id"', b'name="account_id" totalsRowLabel="Total"'
    )
    for name in totals:
        function = "average" if name == "score" else "sum"
        definition = definition.replace(
            f'name="{name}"'.encode(), f'name="{name}" totalsRowFunction="{function}"'.encode()
        )
    assert b'totalsRowCount="1"' in definition and b'<autoFilter ref="A1:X31"/>' in definition
    _rewrite(path, {part: sheet, table: definition, "xl/sharedStrings.xml": strings})
    return totals


def _libreoffice(source: Path, folder: Path) -> Path:
    """``source`` opened and saved as .xlsx by LibreOffice Calc headless."""
    if shutil.which("soffice") is None:
        pytest.skip("LibreOffice is not installed")
    folder.mkdir(parents=True, exist_ok=True)
    done = subprocess.run(
        [
            "soffice",
            f"-env:UserInstallation=file://{folder}/profile",
            "--headless",
            "--convert-to",
            "xlsx",
            "--outdir",
            str(folder),
            str(source),
        ],
        capture_output=True,
        text=True,
        timeout=240,
    )
    saved = folder / source.name
    assert saved.exists(), (
        f"LibreOffice Calc could not convert {source.name} (is the Debian package "
        f"libreoffice-calc installed?): {done.stdout} {done.stderr}"
    )
    return saved


def _messages(book: KamWorkbook | list[Any], severity: Severity | None = None) -> list[str]:
    problems = book.problems if isinstance(book, KamWorkbook) else book
    return [str(p) for p in problems if severity is None or p.severity is severity]


def _assert_same_portfolio(book: KamWorkbook, reference: KamWorkbook) -> None:
    """The same accounts, inputs and computed results as ``reference``."""
    assert book.accounts["account_id"].tolist() == reference.accounts["account_id"].tolist()
    for sheet in schema.SHEETS:
        if sheet.name == "Settings":
            continue
        inputs = [c.name for c in sheet.columns if not c.computed]
        ours = book[sheet.name][inputs].reset_index(drop=True)
        theirs = reference[sheet.name][inputs].reset_index(drop=True)
        pd.testing.assert_frame_equal(ours, theirs, check_dtype=False, obj=sheet.name)
    assert book.settings == reference.settings
    for name in schema.COMPUTED_COLUMNS:
        assert book.computed[name].to_list() == reference.computed[name].to_list(), name


@pytest.fixture(scope="module")
def sample_book() -> KamWorkbook:
    return read_workbook(SAMPLE)


# --- Excel's Total Row ---------------------------------------------------------------------


def test_an_excel_total_row_is_no_account(tmp_path: Path, sample_book: KamWorkbook) -> None:
    path = _copy(tmp_path)
    _with_excel_total_row(path)
    book = read_workbook(path)
    assert book.problems == []
    assert len(book.accounts) == 30 and "Total" not in book.accounts["account_id"].tolist()
    assert book.accounts["revenue_curr"].sum() == sample_book.accounts["revenue_curr"].sum()
    _assert_same_portfolio(book, sample_book)


def test_recalc_leaves_an_excel_total_row_exactly_as_it_is(tmp_path: Path) -> None:
    path = _copy(tmp_path)
    totals = _with_excel_total_row(path)
    out = tmp_path / "out.xlsx"
    report = recalc_workbook(path, out)
    assert report.accounts == 30
    assert _row_xml(out, "Accounts", 32) == _row_xml(path, "Accounts", 32)
    table = _table_part(path, "Accounts")
    assert _parts(out)[table] == _parts(path)[table]
    saved = openpyxl.load_workbook(out, data_only=True)["Accounts"]
    letters = read_workbook(out).sheets["Accounts"].letters
    assert saved[f"{letters['score']}32"].value == pytest.approx(totals["score"])  # not #N/A
    assert saved["A32"].value == "Total"


def _sample_inputs() -> pd.DataFrame:
    """The input columns of the sample's Accounts, as pandas reads them."""
    frame = pd.read_excel(SAMPLE, sheet_name="Accounts", engine="calamine")
    return frame[[c.name for c in schema.sheet_def("Accounts").columns if not c.computed]]


def _export_with_a_table(
    path: Path, top: int, table: dict[str, Any], rows: int = 30, title: str | None = None
) -> Path:
    """The sample exported with pandas (XlsxWriter engine), its Accounts inputs only from
    row ``top`` (0-based) made an Excel Table of ``rows`` rows below its headers (XlsxWriter
    writes tables as Excel does), a ``title`` above it."""
    frames = pd.read_excel(SAMPLE, sheet_name=None, engine="calamine")
    accounts = _sample_inputs()
    with pd.ExcelWriter(path, engine="xlsxwriter") as writer:
        for name, frame in frames.items():
            if name != "Accounts":
                frame.to_excel(writer, sheet_name=name, index=False)
        accounts.to_excel(writer, sheet_name="Accounts", index=False, startrow=top)
        sheet = writer.sheets["Accounts"]
        if title is not None:
            sheet.write(0, 0, title)
        last = (top + rows, len(accounts.columns) - 1)
        sheet.add_table(top, 0, *last, {"name": "tblAccounts", **table})
    return path


def test_recalc_adds_columns_to_a_table_with_a_total_row(tmp_path: Path) -> None:
    """A values-only export made an Excel Table with its Total Row (XlsxWriter writes
    tables as Excel does): recalc adds the computed columns to the table, keeps its totals
    row as its last row, and LibreOffice still evaluates the totals row's SUBTOTALs over
    the table."""
    accounts = _sample_inputs()
    columns: list[dict[str, Any]] = [{"header": name} for name in accounts.columns]
    columns[0]["total_string"] = "Total"
    for name in MONEY:
        columns[list(accounts.columns).index(name)].update(
            total_function="sum", total_value=float(accounts[name].sum())
        )
    path = _export_with_a_table(
        tmp_path / "export.xlsx", 0, {"columns": columns, "total_row": True}, rows=len(accounts) + 1
    )
    before = _row_xml(path, "Accounts", 32)
    assert b"SUBTOTAL(109,[revenue_curr])" in before
    out = tmp_path / "out.xlsx"
    report = recalc_workbook(path, out)
    assert report.added_columns == schema.COMPUTED_COLUMNS and report.accounts == 30
    assert _row_xml(out, "Accounts", 32) == before  # no computed cell in the totals row
    table = openpyxl.load_workbook(out)["Accounts"].tables["tblAccounts"]
    assert (table.ref, table.totalsRowCount) == ("A1:X32", 1)
    definition = _parts(out)[_table_part(out, "Accounts")]
    assert b'<autoFilter ref="A1:X31"/>' in definition
    assert definition.count(b"<tableColumn ") == 24 and b'count="24"' in definition
    book = read_workbook(out)
    assert len(book.accounts) == 30 and book.errors == []
    saved = _libreoffice(out, tmp_path / "lo")  # recalculates on opening (fullCalcOnLoad)
    sheet = openpyxl.load_workbook(saved, data_only=True)["Accounts"]
    revenue = book.sheets["Accounts"].letters["revenue_curr"]
    assert sheet[f"{revenue}32"].value == pytest.approx(accounts["revenue_curr"].sum())
    assert sheet["A1"].value == "account_id" and sheet["X1"].value == "freshness"
    table = openpyxl.load_workbook(saved)["Accounts"].tables["tblAccounts"]
    assert (table.ref, table.totalsRowCount) == ("A1:X32", 1)
    assert len(read_workbook(saved).accounts) == 30


def test_an_openpyxl_total_row_is_no_account(tmp_path: Path, sample_book: KamWorkbook) -> None:
    """A script's Total Row: totalsRowCount and SUBTOTAL formulas, no saved results."""
    path = _copy(tmp_path)
    wb = openpyxl.load_workbook(path)
    ws = wb["Accounts"]
    table = ws.tables["tblAccounts"]
    letters = sample_book.sheets["Accounts"].letters
    ws["A32"] = "Total"
    for name in MONEY:
        ws[f"{letters[name]}32"] = f"=SUBTOTAL(109,tblAccounts[{name}])"
    table.ref = "A1:X32"
    table.totalsRowCount = 1
    table.totalsRowShown = None
    wb.save(path)
    book = read_workbook(path)
    assert book.errors == []
    assert len(book.accounts) == 30
    assert book.accounts["revenue_curr"].sum() == sample_book.accounts["revenue_curr"].sum()


# --- rows below the table, title rows above it ----------------------------------------------


class _ValuesOnly:
    """The cells of a workbook as Excel gives them to the ribbon through xlwings
    (``kamxl.excel.ribbon.LiveGrids``): values sheet by sheet, no tables, no XML."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.book = python_calamine.CalamineWorkbook.from_path(str(path))

    def titles(self) -> list[str]:
        return list(self.book.sheet_names)

    def rows(self, title: str) -> list[list[Any]]:
        return self.book.get_sheet_by_name(title).to_python(skip_empty_area=False)

    def cached_by_excel(self) -> bool:
        return True


def test_an_excel_total_row_read_from_values_only(tmp_path: Path, sample_book: KamWorkbook) -> None:
    """In Excel (the ribbon), the cells come without the table's definition: Excel's Total
    Row, labelled Total, is a totals row by its label -- left out, with a warning."""
    path = _copy(tmp_path)
    _with_excel_total_row(path)
    book = read_grids(_ValuesOnly(path))
    assert [p.cell for p in book.problems] == ["A32"] and book.errors == []
    assert len(book.accounts) == 30
    _assert_same_portfolio(book, sample_book)


def test_a_table_with_its_header_row_switched_off(tmp_path: Path) -> None:
    path = _copy(tmp_path)
    table = _table_part(path, "Accounts")
    definition = _parts(path)[table].replace(b'ref="A1:X31"', b'ref="A2:X31" headerRowCount="0"')
    _rewrite(path, {table: definition})
    book = read_workbook(path)
    assert _messages(book) == [
        "book.xlsx Accounts: error: table tblAccounts (A2:X31) has its header row switched "
        "off: switch it on (Table Design > Header Row) so that kamxl finds the columns (read "
        "as if row 1 held the headers)"
    ]
    assert len(book.accounts) == 30


def test_rows_below_a_table_are_not_read_and_are_reported(tmp_path: Path) -> None:
    path = _copy(tmp_path)
    _with_excel_total_row(path)
    part = _sheet_part(path, "Accounts")
    xml = _parts(path)[part].replace(
        b"</sheetData>",
        b'<row r="33"><c r="A33" t="inlineStr"><is><t>ACC-031</t></is></c>'
        b'<c r="B33" t="inlineStr"><is><t>Typed below the totals</t></is></c>'
        b'<c r="I33"><v>500000</v></c></row>'
        b'<row r="35"><c r="B35" t="inlineStr"><is><t>Source: CRM, October</t></is></c></row>'
        b"</sheetData>",
    )
    _rewrite(path, {part: xml})
    book = read_workbook(path)
    assert len(book.accounts) == 30 and "ACC-031" not in book.accounts["account_id"].tolist()
    assert _messages(book) == [
        "book.xlsx Accounts!A33: error: 'ACC-031': row 33 is below the table tblAccounts "
        "(A1:X32) and is not read: if it is a record, resize the table to take it in "
        "(Table Design > Resize Table), else move it out of the sheet",
        "book.xlsx Accounts!B35: warning: 'Source: CRM, October': row 35 is below the table "
        "tblAccounts (A1:X32): not read",
    ]
    out = tmp_path / "out.xlsx"
    recalc_workbook(path, out)
    assert _row_xml(out, "Accounts", 33) == _row_xml(path, "Accounts", 33)


def test_a_table_under_title_rows(tmp_path: Path, sample_book: KamWorkbook) -> None:
    """A title above the table: the headers are the table's first row, and recalc puts the
    headers of the columns it adds there."""
    inputs = list(_sample_inputs().columns)
    path = _export_with_a_table(
        tmp_path / "titled.xlsx",
        2,
        {"columns": [{"header": n} for n in inputs]},
        title="Norvalis key accounts, October 2026",
    )
    book = read_workbook(path)
    assert book.errors == []
    assert book.accounts["_row"].tolist() == list(range(4, 34))
    for name in schema.COMPUTED_COLUMNS:
        assert book.computed[name].to_list() == sample_book.computed[name].to_list(), name
    out = tmp_path / "out.xlsx"
    recalc_workbook(path, out)
    sheet = openpyxl.load_workbook(out)["Accounts"]
    assert sheet["A1"].value == "Norvalis key accounts, October 2026"
    assert [sheet.cell(3, 14 + i).value for i in range(11)] == list(schema.COMPUTED_COLUMNS)
    assert sheet.tables["tblAccounts"].ref == "A3:X33"
    again = read_workbook(out)
    assert again.errors == [] and len(again.accounts) == 30


# --- LibreOffice ------------------------------------------------------------------------------


def test_the_sample_resaved_by_libreoffice(tmp_path: Path, sample_book: KamWorkbook) -> None:
    saved = _libreoffice(_copy(tmp_path, "sample.xlsx"), tmp_path / "lo")
    book = read_workbook(saved)
    assert book.errors == []
    _assert_same_portfolio(book, sample_book)
    out = tmp_path / "out.xlsx"
    report = recalc_workbook(saved, out)
    assert report.accounts == 30 and report.formulas_kept == report.cells
    assert report.bad_inputs == ()
    accounts = _sheet_part(saved, "Accounts")
    before, after = _parts(saved), _parts(out)
    assert before.keys() == after.keys()
    assert [n for n in before if before[n] != after[n]] == [
        accounts
    ]  # all else as LibreOffice saved it
    _assert_same_portfolio(read_workbook(out), sample_book)
    cells = openpyxl.load_workbook(out, data_only=True)["Accounts"]
    letter = sample_book.sheets["Accounts"].letters["score"]
    assert cells[f"{letter}2"].value == pytest.approx(sample_book.accounts.loc[0, "score"])


def test_libreoffice_keeps_the_total_row_and_kamxl_still_skips_it(
    tmp_path: Path, sample_book: KamWorkbook
) -> None:
    path = _copy(tmp_path)
    _with_excel_total_row(path)
    saved = _libreoffice(path, tmp_path / "lo")
    book = read_workbook(saved)
    assert book.errors == [] and len(book.accounts) == 30
    _assert_same_portfolio(book, sample_book)
    out = tmp_path / "out.xlsx"
    recalc_workbook(saved, out)
    assert _row_xml(out, "Accounts", 32) == _row_xml(saved, "Accounts", 32)


def test_saving_in_libreoffice_fixes_a_formula_without_result(tmp_path: Path) -> None:
    """What the message advises works: LibreOffice calculates the formula and saves its
    result, which kamxl then reads."""
    path = _copy(tmp_path)
    wb = openpyxl.load_workbook(path)
    wb["Accounts"]["J4"] = "=I4*2"  # wallet, written by a script: no result saved
    wb.save(path)
    book = read_workbook(path)
    (problem,) = [p for p in book.errors if p.cell == "J4"]
    assert "a formula with no saved result" in str(problem)
    fixed = read_workbook(_libreoffice(path, tmp_path / "lo"))
    assert not [p for p in fixed.errors if p.cell == "J4"]
    assert fixed.accounts.loc[2, "wallet"] == 2 * fixed.accounts.loc[2, "revenue_curr"]


# --- pandas ------------------------------------------------------------------------------------


def _pandas_export(
    path: Path,
    engine: str,
    edit: Callable[[pd.DataFrame], pd.DataFrame] | None = None,
    **options: Any,
) -> Path:
    """The sample as pandas writes it (every sheet, values only), Accounts edited first."""
    frames = pd.read_excel(SAMPLE, sheet_name=None, engine="calamine")
    with pd.ExcelWriter(path, engine=engine) as writer:
        for name, frame in frames.items():
            if name == "Accounts" and edit is not None:
                frame = edit(frame.copy())
            frame.to_excel(writer, sheet_name=name, **({"index": False} | options))
    return path


@pytest.mark.parametrize("engine", ["openpyxl", "xlsxwriter"])
def test_a_pandas_export_reads_as_the_sample(
    engine: str, tmp_path: Path, sample_book: KamWorkbook
) -> None:
    book = read_workbook(_pandas_export(tmp_path / "export.xlsx", engine))
    assert book.problems == []
    _assert_same_portfolio(book, sample_book)


def _with_formulas_and_a_total(frame: pd.DataFrame) -> pd.DataFrame:
    """A formula typed as a string in revenue_curr (row 4) and in wallet (row 6), and a
    "Total" row summing the numbers, as scripts do."""
    frame = frame.astype({"revenue_curr": object, "wallet": object})
    frame.loc[2, "revenue_curr"] = "=H4*1.1"
    frame.loc[4, "wallet"] = "=I6*2"
    total = frame.sum(numeric_only=True).astype(object)
    total["account_id"] = "Total"
    return pd.concat([frame, total.to_frame().T], ignore_index=True)


@pytest.mark.parametrize(
    ("engine", "why"),
    [
        ("openpyxl", "a formula with no saved result: the file was written by a program that "
         "does not calculate formulas"),
        ("xlsxwriter", "a formula whose saved result was never calculated: the file was "
         "written by a program that does not calculate formulas (it saves 0 or nothing as "
         "every result)"),
    ],
)  # fmt: skip
def test_pandas_formula_strings_and_a_typed_total_row(
    engine: str, why: str, tmp_path: Path, sample_book: KamWorkbook
) -> None:
    path = _pandas_export(tmp_path / "export.xlsx", engine, _with_formulas_and_a_total)
    book = read_workbook(path)
    fix = (
        "; open and save it in Excel or LibreOffice, or type the value (kamxl does not compute "
        "input formulas)"
    )
    assert _messages(book) == [
        "export.xlsx Accounts!A32: warning: 'Total': row 32 is a totals row typed in the "
        "table: not read (totals are not records; kamxl adds up the rows itself). Use Excel's "
        "Total Row (Table Design > Total Row) to show totals in the sheet",
        f"export.xlsx Accounts!I4: error: '=H4*1.1': revenue_curr: {why}{fix}",
        f"export.xlsx Accounts!J6: error: '=I6*2': wallet: {why}{fix}",
    ]
    accounts = book.sheets["Accounts"]
    assert len(accounts.frame) == 30
    assert accounts.codes["revenue_curr"].tolist() == [0, 0, NA] + [0] * 27
    assert accounts.codes["wallet"].tolist() == [0] * 4 + [NA] + [0] * 25
    assert [book.computed["margin"].errors[2], book.computed["sow"].errors[2]] == [NA, NA]
    assert book.computed["sow"].errors[4] == NA
    for name in schema.COMPUTED_COLUMNS:  # every other cell is the sample's
        ours, theirs = book.computed[name].to_list(), sample_book.computed[name].to_list()
        keep = [i for i in range(30) if not (name in ("margin", "sow") and i == 2)]
        keep = [i for i in keep if not (name == "sow" and i == 4)]
        assert [ours[i] for i in keep] == [theirs[i] for i in keep], name


def test_pandas_total_row_under_the_index_column(tmp_path: Path) -> None:
    """``df.loc["Total"] = df.sum(numeric_only=True)`` written with the index (pandas'
    default): the label is in the index column, which has no header, the key is blank."""

    def total(frame: pd.DataFrame) -> pd.DataFrame:
        frame.loc["Total"] = frame.sum(numeric_only=True)
        return frame

    book = read_workbook(_pandas_export(tmp_path / "export.xlsx", "openpyxl", total, index=True))
    assert len(book.accounts) == 30
    assert _messages(book, Severity.ERROR) == []
    assert [p.cell for p in book.problems] == ["A32"]


# --- cells people type -----------------------------------------------------------------------


def test_text_in_revenue_makes_recalc_list_the_cells_and_exit_1(tmp_path: Path) -> None:
    path = _set_cells(_copy(tmp_path), "Accounts", {"I7": "12 000"})
    out = tmp_path / "out.xlsx"
    result = CliRunner().invoke(main, ["recalc", str(path), "-o", str(out)])
    assert result.exit_code == 1, result.output
    letters = read_workbook(SAMPLE).sheets["Accounts"].letters
    margin, sow = letters["margin"], letters["sow"]
    assert result.output.splitlines()[1:] == [
        "2 computed cell(s) show an error because an input is bad (as Excel would):",
        f"  Accounts!{margin}7 margin: #VALUE! from Accounts!I7 (revenue_curr)",
        f"  Accounts!{sow}7 sow: #VALUE! from Accounts!I7 (revenue_curr)",
    ]
    cells = openpyxl.load_workbook(out, data_only=True)["Accounts"]
    assert [cells[f"{margin}7"].value, cells[f"{sow}7"].value] == ["#VALUE!", "#VALUE!"]
    assert isinstance(cells[f"{margin}8"].value, float)


def test_recalc_lists_a_bounded_number_of_cells(tmp_path: Path) -> None:
    path = _set_cells(_copy(tmp_path), "Accounts", {f"I{r}": "n/a" for r in range(2, 32)})
    result = CliRunner().invoke(main, ["recalc", str(path), "-o", str(tmp_path / "out.xlsx")])
    assert result.exit_code == 1
    lines = result.output.splitlines()
    assert lines[1] == "60 computed cell(s) show an error because an input is bad (as Excel would):"
    assert len(lines) == 2 + 20 + 1
    assert lines[-1] == "  ... and 40 more (kamxl check book.xlsx lists every bad input)"


def _plain_sheet_workbook(path: Path) -> Path:
    """The sample as a script writes it with openpyxl: plain ranges, no Excel Tables (so
    that cells can be merged, which Excel Tables refuse)."""
    frames = pd.read_excel(SAMPLE, sheet_name=None, engine="calamine")
    with pd.ExcelWriter(path, engine="openpyxl") as writer:
        for name, frame in frames.items():
            frame.to_excel(writer, sheet_name=name, index=False)
    return path


def test_merged_cells_in_a_data_table(tmp_path: Path, sample_book: KamWorkbook) -> None:
    path = _plain_sheet_workbook(tmp_path / "merged.xlsx")
    wb = openpyxl.load_workbook(path)
    ws = wb["Accounts"]
    ws.merge_cells("E5:E7")  # one KAM for three accounts, as a report shows it
    ws.merge_cells("I9:I10")  # one revenue over two accounts
    ws.merge_cells("C1:D1")  # a header over two columns
    wb.save(path)
    book = read_workbook(path)
    merged = (
        "are merged ({}): a data table holds one value per cell, and kamxl cannot tell "
        "whether the value belongs to each row or to all of them; unmerge them (Home > Merge "
        "& Center > Unmerge Cells) and fill in each cell"
    )
    assert _messages(book) == [
        "merged.xlsx Accounts!C1: warning: header cells C1:D1 are merged: only C1 has a "
        "header; unmerge them and give each column its own",
        f"merged.xlsx Accounts!E5: error: cells E5:E7 {merged.format('kam')}",
        f"merged.xlsx Accounts!I9: error: cells I9:I10 {merged.format('revenue_curr')}",
    ]
    accounts = book.sheets["Accounts"]
    assert accounts.codes["kam"].tolist() == [0] * 3 + [VALUE] * 3 + [0] * 24
    assert accounts.codes["revenue_curr"].tolist() == [0] * 7 + [VALUE] * 2 + [0] * 21
    margin = book.computed["margin"]
    expected = sample_book.computed["margin"].errors.copy()
    expected[7:9] = VALUE
    assert margin.errors.tolist() == expected.tolist()
    assert margin.to_list()[:7] == sample_book.computed["margin"].to_list()[:7]


def test_an_input_formula_without_result_in_an_optional_column(tmp_path: Path) -> None:
    """A wallet formula without a saved result is an error, not a blank wallet: no share
    of wallet is computed from it."""
    path = _copy(tmp_path)
    part = _sheet_part(path, "Accounts")
    xml = re.sub(
        rb'<c r="J5"[^>]*>.*?</c>', b'<c r="J5"><f>I5*2.5</f></c>', _parts(path)[part], count=1
    )
    _rewrite(path, {part: xml})
    book = read_workbook(path)
    assert _messages(book) == [
        "book.xlsx Accounts!J5: error: '=I5*2.5': wallet: a formula with no saved result: the "
        "file was written by a program that does not calculate formulas; open and save it "
        "in Excel or LibreOffice, or type the value (kamxl does not compute input formulas)"
    ]
    assert book.sheets["Accounts"].codes["wallet"][3] == NA
    assert book.computed["sow"].errors[3] == NA
    problems = check_workbook(path)
    assert [p.cell for p in problems if p.is_error] == ["J5"]


# --- settings that make no sense -------------------------------------------------------------


def _new_errors(book: KamWorkbook, reference: KamWorkbook, name: str) -> np.ndarray:
    """The error codes of computed column ``name`` in the rows where ``reference`` has a
    value (a row showing an error already, no Ratings row say, keeps its own)."""
    return book.computed[name].errors[reference.computed[name].ok]


def _setting_cells(book: KamWorkbook) -> dict[str, str]:
    frame = book.sheets["Settings"].frame
    return dict(zip(frame["key"], frame["cell"], strict=True))


_DESCENDING = "tier_thresholds: expected thresholds in strictly descending order, like 70,40"
_SCORES = ("attractiveness", "strength", "score", "completeness", "quadrant", "tier")
_ZERO_WEIGHTS = {"w_engagement": 0.0, "w_satisfaction": 0.0, "w_risk": 0.0}
#: (setting, value typed, other settings typed, the error, the computed columns it breaks,
#: the error Excel shows in the first of them where a value was).
SENSE_CASES = [
    ("tier_thresholds", "40,70", {}, _DESCENDING, ("tier",), NUM),
    ("tier_thresholds", "70,70", {}, _DESCENDING, ("tier",), VALUE),
    (
        "red_max",
        80.0,
        {},
        "red_max must not be above amber_max (75, Settings!B{amber_max}): health up to "
        "red_max is Red, up to amber_max Amber",
        ("rag",),
        NUM,
    ),
    (
        "freshness_half_life_days",
        0.0,
        {},
        "freshness_half_life_days: expected a number of days above 0",
        ("freshness",),
        NUM,
    ),
    (
        "scale_max",
        1.0,
        {},
        "scale_max must be above scale_min (1, Settings!B{scale_min})",
        _SCORES,
        NUM,
    ),
    ("w_risk", -0.2, {}, "w_risk: expected a weight ≥ 0", ("health", "rag"), NUM),
    (
        "w_adoption",
        0.0,
        _ZERO_WEIGHTS,
        "the health weights w_adoption, w_engagement, w_satisfaction, w_risk are all 0 "
        "(Settings!B{w_adoption}, Settings!B{w_engagement}, Settings!B{w_satisfaction}, "
        "Settings!B{w_risk}): health cannot be computed; give at least one a weight above 0",
        ("health", "rag"),
        DIV0,
    ),
    ("cut_strength", "high", {}, "cut_strength: expected a number", ("quadrant",), VALUE),
]


@pytest.mark.parametrize(("key", "value", "others", "expected", "columns", "code"), SENSE_CASES)
def test_settings_are_checked_for_sense(
    key: str,
    value: Any,
    others: dict[str, Any],
    expected: str,
    columns: tuple[str, ...],
    code: int | None,
    tmp_path: Path,
    sample_book: KamWorkbook,
) -> None:
    cells = _setting_cells(sample_book)
    path = _set_cells(
        _copy(tmp_path), "Settings", {cells[k]: v for k, v in {key: value, **others}.items()}
    )
    book = read_workbook(path)
    rows = {k: cell[1:] for k, cell in cells.items()}
    shown = repr(value) if isinstance(value, str) else f"{value:g}"
    assert _messages(book) == [
        f"book.xlsx Settings!{cells[key]}: error: {shown}: {expected.format(**rows)}"
    ]
    assert book.bad_settings[key] == f"Settings!{cells[key]}"
    for name in schema.COMPUTED_COLUMNS:
        if name in columns:  # never a number from a bad setting
            assert (book.computed[name].errors != NO_ERROR).all(), name
        else:
            assert book.computed[name].to_list() == sample_book.computed[name].to_list(), name
    if code is not None:  # the error Excel shows in the column the setting feeds
        assert (_new_errors(book, sample_book, columns[0]) == code).all()
    result = CliRunner().invoke(main, ["check", str(path)])
    assert result.exit_code == 1
    out = tmp_path / "out.xlsx"
    report = recalc_workbook(path, out)
    assert {g.column for g in report.bad_inputs} == set(columns)
    assert all(f"Settings!{cells[key]} ({key})" in g.inputs for g in report.bad_inputs)
    assert report.bad_input_cells == 30 * len(columns)


def test_criteria_weights_all_0(tmp_path: Path, sample_book: KamWorkbook) -> None:
    criteria = sample_book.sheets["Criteria"]
    weights = [criteria.cell("weight", row) for row in criteria.frame["_row"]]
    path = _set_cells(_copy(tmp_path), "Criteria", dict.fromkeys(weights, 0.0))
    book = read_workbook(path)
    assert _messages(book) == [
        f"book.xlsx Criteria!{weights[0]}: error: 0: weight: the weights of the criteria are "
        f"all 0 (Criteria!{weights[0]}:{weights[-1]}): no score can be computed from them; "
        "give at least one a weight above 0"
    ]
    assert book.sheets["Criteria"].codes["weight"].tolist() == [DIV0] * len(weights)
    for name in schema.COMPUTED_FROM_CRITERIA:
        assert (book.computed[name].errors != NO_ERROR).all(), name
    for name in ("margin", "sow", "health", "rag", "freshness"):
        assert book.computed[name].to_list() == sample_book.computed[name].to_list(), name


def test_the_weights_of_one_axis_all_0(tmp_path: Path, sample_book: KamWorkbook) -> None:
    criteria = sample_book.sheets["Criteria"]
    frame = criteria.frame
    strength = [criteria.cell("weight", r) for r in frame.loc[frame["axis"] == "strength", "_row"]]
    book = read_workbook(_set_cells(_copy(tmp_path), "Criteria", dict.fromkeys(strength, 0.0)))
    assert _messages(book) == [
        f"book.xlsx Criteria!{strength[0]}: error: 0: weight: the weights of the strength "
        f"criteria are all 0 (Criteria!{strength[0]}:{strength[-1]}): no score can be "
        "computed from them; give at least one a weight above 0"
    ]
    assert (_new_errors(book, sample_book, "strength") == DIV0).all()


def test_the_computed_columns_settings_are_data() -> None:
    """The mapping the footnotes read: every computed column, every key a setting."""
    keys = {s.key for s in schema.SETTINGS}
    assert tuple(schema.COMPUTED_SETTINGS) == schema.COMPUTED_COLUMNS
    assert all(set(used) <= keys for used in schema.COMPUTED_SETTINGS.values())
    assert set(schema.COMPUTED_COLUMNS) >= schema.COMPUTED_FROM_CRITERIA


def test_check_of_the_sample_finds_no_problem() -> None:
    assert check_workbook(SAMPLE) == []


def test_as_of_setting_feeds_freshness_only(tmp_path: Path, sample_book: KamWorkbook) -> None:
    """A bad as_of: freshness is an error everywhere, not a freshness as of today."""
    cells = _setting_cells(sample_book)
    book = read_workbook(_set_cells(_copy(tmp_path), "Settings", {cells["as_of"]: "soon"}))
    assert book.bad_settings == {"as_of": f"Settings!{cells['as_of']}"}
    assert (book.computed["freshness"].errors != NO_ERROR).all()
    assert (_new_errors(book, sample_book, "freshness") == VALUE).all()
    assert book.settings.as_of is None  # no default date stands in
    assert book.computed["health"].to_list() == sample_book.computed["health"].to_list()
    assert np.isnan(book.accounts["freshness"]).all()


# --- the scan of formulas without results, in every form a sheet's XML takes ------------------


@pytest.mark.parametrize("prefix", ["", "x:"])
def test_the_scan_finds_formulas_without_results_in_any_form(prefix: str) -> None:
    """Plain cells and prefixed ones (``<x:c>``), shared formulas (a follower has its
    master's text), a text result "" (a result), a cached number (a result, unless the
    workbook says its results were never calculated), computed columns left out."""
    p = prefix
    xml = (
        f'<{p}worksheet xmlns:x="m"><{p}sheetData><{p}row r="2">'
        f'<{p}c r="A2"><{p}f t="shared" ref="A2:A3" si="0">B2*2</{p}f></{p}c>'
        f'<{p}c r="B2" t="str"><{p}f>IF(C2="","",C2)</{p}f><{p}v></{p}v></{p}c>'
        f'<{p}c r="C2"><{p}f>D2+1</{p}f><{p}v>3</{p}v></{p}c>'
        f'<{p}c r="D2"><{p}f>KAM_SCORE(E2)</{p}f></{p}c>'
        f'</{p}row><{p}row r="3"><{p}c r="A3"><{p}f t="shared" si="0"/><{p}v></{p}v></{p}c>'
        f'</{p}row><{p}row r="4"><{p}c r="A4"><{p}v>1</{p}v></{p}c>'
        f"</{p}row></{p}sheetData></{p}worksheet>"
    ).encode()
    skipped = frozenset({b"D"})
    found = scan_sheet([xml], formula_columns_skipped=skipped).formulas
    assert found == {(1, 0): ("B2*2", False), (2, 0): ("B2*2", False)}
    every = scan_sheet([xml], every_formula=True, formula_columns_skipped=skipped).formulas
    assert every == {
        (1, 0): ("B2*2", False),
        (2, 0): ("B2*2", False),
        (1, 1): ('IF(C2="","",C2)', True),
        (1, 2): ("D2+1", True),
    }

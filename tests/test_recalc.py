"""Headless recalc: results written as Excel saves them, and nothing of the user's lost."""

from __future__ import annotations

import hashlib
import re
import struct
import zipfile
import zlib
from collections.abc import Callable
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
import xlsxwriter
from lxml import etree

from kamxl.errors import OutputError
from kamxl.workbook import schema
from kamxl.workbook.check import check_workbook
from kamxl.workbook.model import Severity
from kamxl.workbook.reader import read_workbook
from kamxl.workbook.template import build_workbook
from kamxl.workbook.writer import recalc_workbook
from tests.conftest import SAMPLE, mini_rows
from tests.ooxml import parts

MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _png() -> bytes:
    """A valid 1x1 PNG."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\x00\xff\x00\x00"))
        + chunk(b"IEND", b"")
    )


def test_recalc_writes_kamxl_results_as_cached_values_and_keeps_formulas(tmp_path: Path) -> None:
    before = sha(SAMPLE)
    out = tmp_path / "out.xlsx"
    report = recalc_workbook(SAMPLE, out)
    assert sha(SAMPLE) == before  # the input is never modified
    assert report.accounts == 30 and report.cells == 30 * len(schema.COMPUTED_COLUMNS)
    assert report.formulas_kept == report.cells
    book = read_workbook(SAMPLE)
    values = pd.read_excel(out, sheet_name="Accounts", engine="openpyxl")
    for name in ("score", "health", "margin", "freshness"):
        expected = book.accounts[name].tolist()
        got = values[name].tolist()
        assert got == pytest.approx(expected, nan_ok=True), name
    quadrants = values["quadrant"].astype(object).where(values["quadrant"].notna(), None)
    assert quadrants.tolist() == book.accounts["quadrant"].tolist()
    cached = openpyxl.load_workbook(out, data_only=True)["Accounts"]
    formulas = openpyxl.load_workbook(out)["Accounts"]
    header = {c.value: c.column_letter for c in formulas[1]}
    assert cached[f"{header['tier']}2"].value == book.accounts.loc[0, "tier"]
    assert "KAM_TIER" in formulas[f"{header['tier']}2"].value.text
    # Every other part of the package is the input's, byte for byte.
    a, b = parts(SAMPLE), parts(out)
    assert sorted(a) == sorted(b)
    assert [name for name in a if a[name] != b[name]] == []  # results already cached


def _rich_workbook(path: Path, vba: Path | None = None) -> Path:
    """A workbook a real KAM would have: extra sheets, a chart, an image, comments,
    hyperlinks, an extra column, validation, formatting -- and macros when ``vba``."""
    rows = mini_rows()
    draft = build_workbook(path.with_name("draft.xlsx"), rows=rows)
    book = read_workbook(draft)
    wb = xlsxwriter.Workbook(path)
    if vba is not None:
        wb.add_vba_project(str(vba))
    money = wb.add_format({"num_format": "#,##0 [$€]", "bold": True, "bg_color": "#FFEEAA"})
    ws = wb.add_worksheet("Accounts")
    headers = [
        "account_id",
        "name",
        "status",
        "revenue_prev",
        "revenue_curr",
        "variable_costs",
        "wallet",
        "my notes",
        "score",
        "tier",
    ]
    ws.write_row(0, 0, headers)
    for i, (_, acc) in enumerate(book.accounts.iterrows(), start=1):
        ws.write_row(i, 0, [acc["account_id"], acc["name"], acc["status"]])
        ws.write_number(i, 3, acc["revenue_prev"], money)
        ws.write_number(i, 4, acc["revenue_curr"], money)
        if acc["variable_costs"] == acc["variable_costs"]:
            ws.write_number(i, 5, acc["variable_costs"])
        ws.write_string(i, 7, f"note {i}")
        ws.write_number(i, 8, 12.5)  # a stale value, no formula
        ws.write_formula(i, 9, f"=KAM_TIER(I{i + 1})", None, "Z")  # a stale cached result
    ws.add_table(
        0,
        0,
        len(book.accounts),
        len(headers) - 1,
        {"name": "tblAccounts", "columns": [{"header": h} for h in headers]},
    )
    ws.write_comment("B2", "Key contact changed in May")
    ws.write_url("B3", "https://example.com/beta", string="Beta Foods")
    ws.data_validation(1, 2, 3, 2, {"validate": "list", "source": ["key", "candidate", "other"]})
    ws.conditional_format(
        1, 4, 3, 4, {"type": "cell", "criteria": ">", "value": 100, "format": money}
    )
    crit = wb.add_worksheet("Criteria")
    crit.write_row(0, 0, ["criterion_id", "label", "axis", "weight", "direction"])
    for j, c in enumerate(schema.DEFAULT_CRITERIA, start=1):
        crit.write_row(j, 0, [c.criterion_id, c.label, c.axis, c.weight, c.direction])
    ratings = wb.add_worksheet("Ratings")
    ids = [c.criterion_id for c in schema.DEFAULT_CRITERIA]
    ratings.write_row(0, 0, ["account_id", *ids])
    for i, r in enumerate(rows["Ratings"], start=1):
        ratings.write_row(i, 0, [r["account_id"], *[r.get(c) for c in ids]])
    dash = wb.add_worksheet("Dashboard")
    dash.write_column(0, 0, [3, 5, 2])
    chart = wb.add_chart({"type": "column"})
    chart.add_series({"values": "=Dashboard!$A$1:$A$3"})
    dash.insert_chart("C2", chart)
    logo = path.with_name("logo.png")
    logo.write_bytes(_png())
    dash.insert_image("C20", str(logo))
    wb.define_name("my_total", "=SUM(Dashboard!$A$1:$A$3)")
    wb.close()
    return path


@pytest.fixture
def fake_vba(tmp_path: Path) -> Path:
    path = tmp_path / "vbaProject.bin"
    path.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"macro bytes kept as they are" * 50)
    return path


@pytest.mark.parametrize("macros", [False, True])
def test_recalc_keeps_everything_it_does_not_own(
    tmp_path: Path, fake_vba: Path, macros: bool
) -> None:
    suffix = ".xlsm" if macros else ".xlsx"
    source = _rich_workbook(tmp_path / f"rich{suffix}", fake_vba if macros else None)
    out = tmp_path / f"out{suffix}"
    report = recalc_workbook(source, out)
    before, after = parts(source), parts(out)
    # Every part is still there; only the Accounts sheet (and its table, extended with the
    # missing computed columns) changed.
    assert sorted(before) == sorted(after)
    changed = sorted(name for name in before if before[name] != after[name])
    assert changed == ["xl/tables/table1.xml", "xl/worksheets/sheet1.xml"]
    if macros:
        with zipfile.ZipFile(out) as z:
            assert z.read("xl/vbaProject.bin") == fake_vba.read_bytes()
    assert set(report.added_columns) == set(schema.COMPUTED_COLUMNS) - {"score", "tier"}
    # Cells kamxl does not own are untouched, formatting included.
    old = _cells(source)
    new = _cells(out)
    owned = {"I", "J"} | {_letter(9 + i) for i in range(len(report.added_columns))}
    for ref, xml in old.items():
        if re.match(r"[A-Z]+", ref).group(0) not in owned or (ref.endswith("1") and len(ref) == 2):
            assert new[ref] == xml, ref
    # The stale value (no formula) is replaced; the formula keeps, its result updated.
    wb = openpyxl.load_workbook(out, data_only=True)
    ws = wb["Accounts"]
    expected = read_workbook(source).accounts
    assert ws["I2"].value == pytest.approx(expected.loc[0, "score"])
    assert ws["J2"].value == expected.loc[0, "tier"]
    assert openpyxl.load_workbook(out)["Accounts"]["J2"].value == "=KAM_TIER(I2)"
    table = openpyxl.load_workbook(out)["Accounts"].tables["tblAccounts"]
    assert table.ref == f"A1:{_letter(9 + len(report.added_columns))}4"
    assert [c.name for c in table.tableColumns][-len(report.added_columns) :] == list(
        report.added_columns
    )


def _letter(index: int) -> str:
    from kamxl.workbook.model import column_letter

    return column_letter(index)


def _cells(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as z:
        root = etree.fromstring(z.read("xl/worksheets/sheet1.xml"))
    return {c.get("r"): etree.tostring(c) for c in root.iter(f"{MAIN}c")}


def test_an_openpyxl_round_trip_would_lose_what_recalc_keeps(
    tmp_path: Path, fake_vba: Path
) -> None:
    """What openpyxl drops when it re-saves a workbook (the reason kamxl edits the XML)."""
    source = _rich_workbook(tmp_path / "rich.xlsm", fake_vba)
    resaved = tmp_path / "openpyxl.xlsm"
    openpyxl.load_workbook(source).save(resaved)
    ours = recalc_workbook(source, tmp_path / "ours.xlsm").output
    original, theirs, mine = parts(source), parts(resaved), parts(ours)
    assert "xl/vbaProject.bin" in set(original) - set(theirs)  # macros dropped
    rewritten = {name for name in set(original) & set(theirs) if original[name] != theirs[name]}
    assert {"xl/charts/chart1.xml", "xl/styles.xml", "xl/worksheets/sheet4.xml"} <= rewritten
    assert set(original) == set(mine)
    assert {name for name in original if original[name] != mine[name]} == {
        "xl/worksheets/sheet1.xml",
        "xl/tables/table1.xml",
    }


def test_recalc_refuses_to_overwrite_or_to_change_the_kind_of_file(
    tmp_path: Path, fake_vba: Path
) -> None:
    with pytest.raises(OutputError, match="is an input file"):
        recalc_workbook(SAMPLE, SAMPLE, overwrite=True)
    existing = tmp_path / "exists.xlsx"
    existing.write_bytes(b"mine")
    with pytest.raises(OutputError, match="already exists"):
        recalc_workbook(SAMPLE, existing)
    assert existing.read_bytes() == b"mine"
    recalc_workbook(SAMPLE, existing, overwrite=True)
    assert read_workbook(existing).problems == []
    macro_book = _rich_workbook(tmp_path / "m.xlsm", fake_vba)
    with pytest.raises(OutputError, match=r"holds macros: the output must end in \.xlsm"):
        recalc_workbook(macro_book, tmp_path / "m_out.xlsx")
    assert not (tmp_path / "m_out.xlsx").exists()
    assert list(tmp_path.glob(".kamxl-*")) == []  # no temporary file left behind


def test_recalc_of_a_workbook_without_accounts_is_a_clear_error(
    make_book: Callable[..., Path], tmp_path: Path
) -> None:
    path = make_book()
    wb = openpyxl.load_workbook(path)
    del wb["Accounts"]
    wb.save(path)
    from kamxl.errors import WorkbookInvalidError

    with pytest.raises(WorkbookInvalidError, match="sheet Accounts is missing"):
        recalc_workbook(path, tmp_path / "out.xlsx")


def _replace_in_part(path: Path, part: str, pattern: str, replacement: str) -> None:
    with zipfile.ZipFile(path) as z:
        items = [(info, z.read(info)) for info in z.infolist()]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for info, data in items:
            if info.filename == part:
                data, count = re.subn(pattern.encode(), replacement.encode(), data, count=1)
                assert count == 1
            z.writestr(info, data)


def test_check_reports_cached_results_that_differ_from_kamxl(sample_copy: Path) -> None:
    book = read_workbook(sample_copy)
    letter = book.sheets["Accounts"].letters["score"]
    _replace_in_part(
        sample_copy,
        "xl/worksheets/sheet2.xml",
        rf'(<c r="{letter}5"[^>]*>.*?<v>)[^<]*(</v>)',
        r"\g<1>99.5\g<2>",
    )
    problems = check_workbook(sample_copy)
    assert [p.severity for p in problems] == [Severity.WARNING]
    shown = round(book.accounts.loc[3, "score"], 6)
    assert str(problems[0]) == (
        f"sample.xlsx Accounts!{letter}5: warning: 99.5: score: Excel's saved result differs "
        f"from kamxl's ({shown}); recalculate in Excel (Ctrl+Alt+F9) or run kamxl recalc"
    )

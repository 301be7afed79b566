"""Reading workbooks: the sample, hand-made workbooks, and every kind of bad input.

Each bad input gives a clear message naming file, sheet, cell, value and what was expected,
and never a traceback.
"""

from __future__ import annotations

import io
import math
import zipfile
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
import openpyxl
import pytest
import xlsxwriter

from kamxl.errors import NotAWorkbookError
from kamxl.excel import udfs
from kamxl.workbook import schema
from kamxl.workbook.model import Severity
from kamxl.workbook.reader import read_workbook
from tests.conftest import SAMPLE, mini_rows


def messages(book: Any, severity: Severity | None = None) -> list[str]:
    return [str(p) for p in book.problems if severity is None or p.severity is severity]


# --- the sample ---------------------------------------------------------------------------


def test_sample_reads_without_problems_and_is_typed() -> None:
    book = read_workbook(SAMPLE)
    assert book.problems == []
    accounts = book.accounts
    assert len(accounts) == 30
    assert accounts["revenue_curr"].dtype == np.float64
    assert str(accounts["plan_updated"].dtype).startswith("datetime64")
    assert set(accounts["status"]) == {"key", "candidate", "other"}
    assert book.settings.period == "2026-Q3" and book.settings.as_of == date(2026, 10, 15)
    assert book.criteria_columns == tuple(c.criterion_id for c in schema.DEFAULT_CRITERIA)
    assert accounts["_row"].tolist() == list(range(2, 32))
    assert len(book["Revenue"]) > 30 * 8


def test_computed_columns_match_the_catalogue_called_as_excel_calls_it() -> None:
    """Every computed cell of the sample equals the UDF called with that row's cells."""
    book = read_workbook(SAMPLE)
    s = book.settings
    ratings = book["Ratings"].set_index("account_id")
    criteria = book["Criteria"]
    weights = criteria["weight"].tolist()
    directions = criteria["direction"].tolist()
    health = book["Health"]
    for _, account in book.accounts.iterrows():
        aid = account["account_id"]
        row = (
            [None if math.isnan(v) else v for v in ratings.loc[aid, criteria["criterion_id"]]]
            if aid in ratings.index
            else ["#N/A"] * len(weights)
        )
        expected_score = udfs.KAM_SCORE([row], weights, s.scale_min, s.scale_max, [directions])
        attractive = [
            r if a == "attractiveness" else None for r, a in zip(row, criteria["axis"], strict=True)
        ]
        expected_attr = udfs.KAM_SCORE(
            [attractive], weights, s.scale_min, s.scale_max, [directions]
        )
        _same(account["score"], expected_score, book.computed["score"], account.name)
        _same(
            account["attractiveness"], expected_attr, book.computed["attractiveness"], account.name
        )
        h = health[(health["account_id"] == aid) & (health["period"] == s.period)].iloc[0]
        comps = [
            [
                None if math.isnan(h[c]) else h[c]
                for c in ("adoption", "engagement", "satisfaction", "risk")
            ]
        ]
        expected_health = udfs.KAM_HEALTH(comps, list(s.health_weights), [[1, 1, 1, -1]])
        _same(account["health"], expected_health, book.computed["health"], account.name)
        expected_rag = udfs.KAM_RAG(expected_health, s.red_max, s.amber_max)
        assert book.computed["rag"].to_list()[account.name] == expected_rag
        expected_margin = udfs.KAM_MARGIN(
            account["revenue_curr"],
            _cell(account["variable_costs"]),
            _cell(account["cost_to_serve"]),
        )
        assert book.computed["margin"].to_list()[account.name] == expected_margin
        expected_fresh = udfs.KAM_FRESHNESS(
            None if account["plan_updated"] is pd_nat() else _date(account["plan_updated"]),
            s.as_of,
            s.freshness_half_life_days,
        )
        assert book.computed["freshness"].to_list()[account.name] == expected_fresh


def pd_nat() -> Any:
    import pandas as pd

    return pd.NaT


def _date(value: Any) -> Any:
    return None if value != value else value.date()  # NaT != NaT


def _cell(value: float) -> float | None:
    return None if math.isnan(value) else value


def _same(value: float, expected: Any, results: Any, index: int) -> None:
    shown = results.to_list()[index]
    assert shown == expected, (index, shown, expected)
    if not isinstance(expected, str):
        assert value == expected


# --- hand-made workbooks that follow the spec ---------------------------------------------


def _openpyxl_book(path: Path, sheets: dict[str, list[list[Any]]]) -> Path:
    """A workbook written by another tool: plain sheets, no tables, no formulas."""
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for title, rows in sheets.items():
        ws = wb.create_sheet(title)
        for row in rows:
            ws.append(row)
    wb.save(path)
    return path


def test_hand_made_workbook_with_its_own_order_criteria_and_settings(tmp_path: Path) -> None:
    """Columns in another order, extra columns and sheets, non-default settings and
    criteria, French headers: the values match the catalogue."""
    path = _openpyxl_book(
        tmp_path / "hand.xlsx",
        {
            "Notes": [["free text"], ["kept as it is"]],
            "Accounts": [
                [
                    "revenue_curr",
                    "nom",
                    "compte",
                    "my notes",
                    "revenue_prev",
                    "variable_costs",
                    "wallet",
                    "plan_updated",
                    "status",
                ],
                [500, "Kappa", "K1", "call back", 400, 200, 1000, date(2026, 6, 1), "clé"],
                [300, "Lambda", "K2", "", 300, None, None, None, "candidate"],
            ],
            "Criteria": [
                ["weight", "criterion_id", "axis", "label", "direction"],
                [2, "size", "attractiveness", "Size", "higher"],
                [1, "effort", "attractiveness", "Effort", "lower"],
                [3, "trust", "strength", "Trust", None],
            ],
            "Ratings": [
                ["trust", "account_id", "effort", "size", "comment"],
                [10, "K1", 2, 8, "x"],
                [None, "K2", 6, 0, ""],
            ],
            "Settings": [
                ["key", "value"],
                ["scale_min", 0],
                ["scale_max", 10],
                ["tier_thresholds", "80,60,30"],
                ["tier_labels", "A,B,C,D"],
                ["cut_attractiveness", 60],
                ["cut_strength", 40],
                ["period", "2026-07"],
                ["as_of", date(2026, 7, 31)],
                ["w_risk", 0.4],
            ],
            "Health": [
                ["account_id", "period", "risk", "adoption", "engagement", "satisfaction"],
                ["K1", "2026-07", 50, 60, None, 80],
            ],
        },
    )
    book = read_workbook(path)
    assert [p for p in book.problems if p.is_error] == []
    warnings = messages(book, Severity.WARNING)
    assert any("comment is not a criterion" in w for w in warnings)
    s = book.settings
    assert (s.scale_min, s.scale_max, s.tier_labels) == (0.0, 10.0, ("A", "B", "C", "D"))
    acc = book.accounts.set_index("account_id")
    # size 8 (w2), effort 2 lower (w1): (2*0.8 + 1*(1-0.2)) / 3 = 0.8 -> 80
    assert acc.loc["K1", "attractiveness"] == pytest.approx(
        udfs.KAM_SCORE([[8, 2]], [2, 1], 0, 10, [["higher", "lower"]])
    )
    assert acc.loc["K1", "attractiveness"] == pytest.approx(80.0)
    assert acc.loc["K1", "strength"] == pytest.approx(100.0)
    assert acc.loc["K1", "quadrant"] == "Strategic"
    # all criteria: (2*.8 + 1*.8 + 3*1) / 6 = 5.4/6 = 90 -> tier A (>= 80)
    assert acc.loc["K1", "score"] == pytest.approx(90.0)
    assert acc.loc["K1", "tier"] == "A"
    assert acc.loc["K1", "status"] == "key"  # French list label read as the code
    # K2: size 0, effort 6 lower: (2*0 + 1*0.4)/3 = 13.33; trust blank -> strength #N/A
    assert acc.loc["K2", "attractiveness"] == pytest.approx(40 / 3)
    assert book.computed["strength"].to_list()[1] == "#N/A"
    assert book.computed["quadrant"].to_list()[1] == "#N/A"
    assert acc.loc["K2", "tier"] == "D"  # score (0 + .4) / 3 = 13.3 < 30
    # health with w_risk 0.4: (60*.3 + 80*.2 + 50*.4)/(.3+.2+.4), engagement blank
    assert acc.loc["K1", "health"] == pytest.approx((18 + 16 + 20) / 0.9)
    assert acc.loc["K1", "margin"] == pytest.approx(0.6)
    assert acc.loc["K1", "sow"] == pytest.approx(0.5)
    # as_of 2026-07-31, updated 2026-06-01: 60 days, half-life 90
    assert acc.loc["K1", "freshness"] == pytest.approx(100 * 0.5 ** (60 / 90))


def test_headers_with_stray_spaces_or_another_case(tmp_path: Path) -> None:
    path = _openpyxl_book(
        tmp_path / "case.xlsx",
        {
            "accounts ": [
                [" Account_ID ", "NAME", "Revenue Prev", "REVENUE-CURR"],
                ["X1", "Xeno", 1, 2],
            ],
            "Criteria": [["criterion_id", "label", "axis", "weight"], ["c", "C", "strength", 1]],
            "Ratings": [["ACCOUNT ID", "C"], ["X1", 3]],
        },
    )
    book = read_workbook(path)
    assert messages(book, Severity.ERROR) == []
    assert book.accounts.loc[0, "revenue_curr"] == 2
    assert book.accounts.loc[0, "strength"] == 50.0


# --- bad input ----------------------------------------------------------------------------


def test_not_an_xlsx(tmp_path: Path) -> None:
    path = tmp_path / "notes.xlsx"
    path.write_text("account,revenue\nA,1\n")
    with pytest.raises(NotAWorkbookError, match=r"notes\.xlsx: is not an Excel workbook"):
        read_workbook(path)


def test_a_zip_that_is_not_a_workbook(tmp_path: Path) -> None:
    path = tmp_path / "letter.xlsx"
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("word/document.xml", "<w:document/>")
        z.writestr("[Content_Types].xml", "<Types/>")
    with pytest.raises(
        NotAWorkbookError, match="a zip file but a Word document, not an Excel workbook"
    ):
        read_workbook(path)


def test_an_empty_file_and_a_missing_file(tmp_path: Path) -> None:
    empty = tmp_path / "empty.xlsx"
    empty.write_bytes(b"")
    with pytest.raises(NotAWorkbookError, match="is empty"):
        read_workbook(empty)
    with pytest.raises(NotAWorkbookError, match="does not exist"):
        read_workbook(tmp_path / "nowhere.xlsx")


def test_a_password_protected_workbook(tmp_path: Path) -> None:
    import msoffcrypto  # a test dependency: .[test]
    from msoffcrypto.format.ooxml import OOXMLFile

    protected = tmp_path / "protected.xlsx"
    with SAMPLE.open("rb") as plain, protected.open("wb") as out:
        OOXMLFile(plain).encrypt("secret", out)
    assert msoffcrypto  # encrypted with a real password
    with pytest.raises(NotAWorkbookError, match="password-protected"):
        read_workbook(protected)


def test_a_missing_sheet(make_book: Callable[..., Path], tmp_path: Path) -> None:
    path = make_book()
    wb = openpyxl.load_workbook(path)
    del wb["Ratings"]
    del wb["Risks"]
    wb.save(path)
    book = read_workbook(path)
    errors = messages(book, Severity.ERROR)
    assert "book.xlsx Ratings: error: sheet Ratings is missing" in errors
    assert "book.xlsx Risks: warning: sheet Risks is missing (read as empty)" in messages(book)
    assert book.computed["score"].to_list()[0] == "#N/A"  # like XLOOKUP into nothing


def test_a_missing_required_column(make_book: Callable[..., Path]) -> None:
    path = make_book()
    wb = openpyxl.load_workbook(path)
    ws = wb["Accounts"]
    header = [c.value for c in ws[1]]
    ws.cell(1, header.index("revenue_curr") + 1).value = "turnover"
    wb.save(path)
    book = read_workbook(path)
    assert "book.xlsx Accounts: error: required column revenue_curr is missing" in messages(book)


def _edit(path: Path, sheet: str, cells: dict[str, Any]) -> Path:
    wb = openpyxl.load_workbook(path)
    for ref, value in cells.items():
        wb[sheet][ref] = value
    wb.save(path)
    return path


def test_duplicate_account_id(make_book: Callable[..., Path]) -> None:
    path = _edit(make_book(), "Accounts", {"A3": "A1"})
    assert (
        "book.xlsx Accounts!A3: error: 'A1': duplicate account_id (also in row 2); "
        "each account has one row" in messages(read_workbook(path))
    )


def test_a_rating_out_of_scale(make_book: Callable[..., Path]) -> None:
    path = _edit(make_book(), "Ratings", {"B2": 7})
    book = read_workbook(path)
    assert (
        "book.xlsx Ratings!B2: error: 7: rating of rev_potential outside the scale 1-5"
        in messages(book)
    )
    assert book.computed["score"].to_list()[0] == "#NUM!"  # as KAM_SCORE gives in Excel


def test_text_in_a_number_cell(make_book: Callable[..., Path]) -> None:
    path = _edit(make_book(), "Accounts", {"I2": "12 000"})
    book = read_workbook(path)
    assert (
        "book.xlsx Accounts!I2: error: '12 000': revenue_curr: text, expected a number"
        in messages(book)
    )
    assert book.computed["margin"].to_list()[0] == "#VALUE!"  # as KAM_MARGIN in Excel
    assert book.computed["margin"].to_list()[2] == pytest.approx(2 / 3)


def test_excel_error_cells(tmp_path: Path) -> None:
    rows = mini_rows()
    path = tmp_path / "errors.xlsx"
    from kamxl.workbook.template import build_workbook

    build_workbook(path, rows=rows)
    # Put real error cells (a formula whose saved result is an error) with XlsxWriter.
    buffer = io.BytesIO()
    wb = xlsxwriter.Workbook(buffer, {"in_memory": True})
    ws = wb.add_worksheet("Accounts")
    ws.write_row(0, 0, ["account_id", "name", "revenue_prev", "revenue_curr", "variable_costs"])
    ws.write_row(1, 0, ["E1", "Epsilon", 10])
    ws.write_formula(1, 3, "=VLOOKUP(1,Z1:Z2,2,0)", None, "#N/A")
    ws.write(1, 4, 5)
    ws.write_row(2, 0, ["E2", "Eta", 10, 20])
    ws.write_formula(2, 4, "=1/0", None, "#DIV/0!")
    ws2 = wb.add_worksheet("Criteria")
    ws2.write_row(0, 0, ["criterion_id", "label", "axis", "weight"])
    ws2.write_row(1, 0, ["c", "C", "strength", 1])
    wb.add_worksheet("Ratings").write_row(0, 0, ["account_id", "c"])
    wb.close()
    path.write_bytes(buffer.getvalue())
    book = read_workbook(path)
    found = messages(book, Severity.ERROR)
    assert (
        "errors.xlsx Accounts!D2: error: '#N/A': revenue_curr: an Excel error, expected a number"
        in found
    )
    assert (
        "errors.xlsx Accounts!E3: error: '#DIV/0!': variable_costs: an Excel error, "
        "expected a number" in found
    )
    margin = book.computed["margin"].to_list()
    assert margin == ["#N/A", "#DIV/0!"]  # the incoming error propagates, as in Excel


def test_blank_rows_inside_a_table(make_book: Callable[..., Path]) -> None:
    path = make_book()
    wb = openpyxl.load_workbook(path)
    ws = wb["Accounts"]
    ws.insert_rows(3)
    table = ws.tables["tblAccounts"]  # Excel grows the table when a row is inserted in it
    table.ref = table.autoFilter.ref = table.ref.replace("4", "5")
    wb.save(path)
    book = read_workbook(path)
    assert "book.xlsx Accounts!A3: warning: row 3 is blank inside the table (skipped)" in messages(
        book
    )
    assert book.accounts["account_id"].tolist() == ["A1", "A2", "A3"]
    assert book.accounts["_row"].tolist() == [2, 4, 5]
    assert messages(book, Severity.ERROR) == []


def test_unknown_account_list_value_period_and_date(make_book: Callable[..., Path]) -> None:
    path = make_book()
    wb = openpyxl.load_workbook(path)
    wb["Accounts"]["G3"] = "vip"
    wb["Health"]["A2"] = "A9"
    wb["Health"]["B3"] = "Q3 2026"
    wb["Accounts"]["M2"] = "2026-09-01"
    wb.save(path)
    found = messages(read_workbook(path))
    assert (
        "book.xlsx Accounts!G3: error: 'vip': status: not in the list status "
        "(key, candidate, other)" in found
    )
    assert "book.xlsx Health!A2: error: 'A9': account_id not found in Accounts" in found
    assert (
        "book.xlsx Health!B3: error: 'Q3 2026': period: expected a period like 2026-Q3 or 2026-07"
        in found
    )
    assert (
        "book.xlsx Accounts!M2: error: '2026-09-01': plan_updated: text, expected a date "
        "(typed as a real Excel date)" in found
    )


def test_every_problem_is_reported_at_once(make_book: Callable[..., Path]) -> None:
    path = _edit(make_book(), "Accounts", {"I2": "x", "I3": "y", "H4": "z"})
    assert len(messages(read_workbook(path), Severity.ERROR)) == 3


def _lean_big_workbook(path: Path, accounts: int) -> Path:
    """A values-only workbook of many accounts, as a CRM export would give."""
    wb = xlsxwriter.Workbook(path, {"constant_memory": True})
    criteria = [c.criterion_id for c in schema.DEFAULT_CRITERIA]
    ws = wb.add_worksheet("Accounts")
    ws.write_row(
        0, 0, ["account_id", "name", "status", "kam", "revenue_prev", "revenue_curr", "wallet"]
    )
    rng = np.random.default_rng(3)
    revenue = rng.integers(1_000, 1_000_000, size=(accounts, 2))
    for i in range(accounts):
        ws.write_row(
            i + 1,
            0,
            [f"A{i:06d}", f"Account {i}", "key", f"KAM {i % 37}", *revenue[i].tolist(), 2_000_000],
        )
    ws = wb.add_worksheet("Criteria")
    ws.write_row(0, 0, ["criterion_id", "label", "axis", "weight", "direction"])
    for j, c in enumerate(schema.DEFAULT_CRITERIA, start=1):
        ws.write_row(j, 0, [c.criterion_id, c.label, c.axis, c.weight, c.direction])
    ws = wb.add_worksheet("Ratings")
    ws.write_row(0, 0, ["account_id", *criteria])
    ratings = rng.integers(1, 6, size=(accounts, len(criteria)))
    for i in range(accounts):
        ws.write_row(i + 1, 0, [f"A{i:06d}", *ratings[i].tolist()])
    wb.close()
    return path


def test_a_workbook_of_50000_accounts(tmp_path: Path) -> None:
    book = read_workbook(_lean_big_workbook(tmp_path / "big.xlsx", 50_000))
    assert len(book.accounts) == 50_000
    assert messages(book, Severity.ERROR) == []
    assert book.computed["score"].ok.all()
    first = book["Ratings"].iloc[0]
    crit = list(schema.DEFAULT_CRITERIA)
    expected = udfs.KAM_SCORE(
        [[first[c.criterion_id] for c in crit]],
        [c.weight for c in crit],
        1,
        5,
        [[c.direction for c in crit]],
    )
    assert book.accounts.loc[0, "score"] == expected


def test_blank_required_cells(make_book: Callable[..., Path]) -> None:
    path = make_book()
    wb = openpyxl.load_workbook(path)
    wb["Accounts"]["B3"] = None  # name
    wb["Revenue"]["C2"] = None  # revenue of 2026-Q2, a past period
    wb["Revenue"].append(["A1", "2026-Q4", None, 130])  # a future period: forecast only
    wb["Revenue"].tables["tblRevenue"].ref = "A1:E4"
    wb.save(path)
    found = messages(read_workbook(path), Severity.ERROR)
    assert found == [
        "book.xlsx Accounts!B3: error: blank: name is required",
        "book.xlsx Revenue!C2: error: blank: revenue is required for 2026-Q2 "
        "(only future periods may be forecast-only)",
    ]


def test_opportunities_without_product_line_still_read(make_book: Callable[..., Path]) -> None:
    """``product_line`` of Opportunities is optional: a workbook made before it (or one that
    never fills it) reads without a problem, the column blank; a filled one reads as text."""
    rows = mini_rows()
    rows["Opportunities"] = [
        {"account_id": "A1", "opportunity": "Pumps", "amount": 10, "outcome": "open"},
        {"account_id": "A1", "opportunity": "Audit", "amount": 20, "outcome": "open"},
    ]
    path = make_book(rows)
    wb = openpyxl.load_workbook(path)
    ws = wb["Opportunities"]
    header = [c.value for c in ws[1]]
    ws.cell(1, header.index("product_line") + 1).value = "remarks"  # as an older workbook
    wb.save(path)
    book = read_workbook(path)
    assert messages(book, Severity.ERROR) == []
    assert book["Opportunities"]["product_line"].isna().all()
    assert book["Opportunities"]["opportunity"].tolist() == ["Pumps", "Audit"]

    rows["Opportunities"][0]["product_line"] = "Services"
    filled = read_workbook(make_book(rows, name="filled.xlsx"))
    assert filled["Opportunities"]["product_line"].tolist()[0] == "Services"

"""The stress workbook holds what it promises, reads without a problem, and is the same file
every time (the layout test's failures must be found again)."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import openpyxl
import pytest

from kamxl.workbook.reader import read_workbook
from tests.stress import (
    AS_OF,
    LONG_NAME,
    build_many_accounts_workbook,
    build_stress_workbook,
    stress_rows,
)


@pytest.mark.parametrize("language", ["en", "fr"])
def test_the_stress_workbook_reads_clean(tmp_path: Path, language: str) -> None:
    book = read_workbook(build_stress_workbook(tmp_path / "stress.xlsx", language))
    assert book.problems == []
    accounts = book.accounts.set_index("account_id")
    assert list(accounts.index) == ["STR-001", "STR-002", "STR-003"]
    assert accounts.loc["STR-001", "name"] == LONG_NAME
    assert len(LONG_NAME) == 117


def test_the_long_account_is_crowded() -> None:
    rows = stress_rows("en")
    people = [r for r in rows["Stakeholders"] if r["account_id"] == "STR-001"]
    deals = [r for r in rows["Opportunities"] if r["account_id"] == "STR-001"]
    assert len(people) == 25 and len({p["name"] for p in people}) == 25
    assert sum(d["outcome"] == "open" for d in deals) == 30
    assert sum(d["outcome"] == "won" for d in deals) == 5
    (lost,) = [d for d in deals if d["outcome"] == "lost"]
    assert (lost["amount"], lost["closed"]) == (710_000, AS_OF - timedelta(days=5))
    overdue = [
        a
        for a in rows["Actions"]
        if a["account_id"] == "STR-001" and a["status"] == "open" and a["due"] < AS_OF
    ]
    assert len(overdue) == 4


@pytest.mark.parametrize("language", ["en", "fr"])
def test_the_handshake_texts_are_long(language: str) -> None:
    (handshake,) = [r for r in stress_rows(language)["Handshake"] if r["account_id"] == "STR-001"]
    for key in ("client_priorities", "our_commitments", "client_commitments"):
        items = handshake[key].split("\n")
        assert len(items) >= 6, key
        assert all(60 <= len(item) <= 120 for item in items), [len(i) for i in items]


def test_the_bare_account_has_one_revenue_line_and_nothing_else() -> None:
    rows = stress_rows("en")
    for sheet, records in rows.items():
        count = sum(r.get("account_id") == "STR-003" for r in records)
        assert count == (1 if sheet in ("Accounts", "Revenue") else 0), sheet


def test_the_french_workbook_is_in_french(tmp_path: Path) -> None:
    book = openpyxl.load_workbook(build_stress_workbook(tmp_path / "fr.xlsx", "fr"))
    headers = [c.value for c in book["Opportunities"][1]]
    assert headers[:2] == ["compte", "opportunite"]
    outcomes = {row[8] for row in book["Opportunities"].iter_rows(min_row=2, values_only=True)}
    assert outcomes == {"en cours", "gagné", "perdu"}


def test_building_twice_gives_the_same_file(tmp_path: Path) -> None:
    first = build_stress_workbook(tmp_path / "a.xlsx", "fr").read_bytes()
    assert build_stress_workbook(tmp_path / "b.xlsx", "fr").read_bytes() == first


def test_the_many_accounts_workbook(tmp_path: Path) -> None:
    book = read_workbook(build_many_accounts_workbook(tmp_path / "many.xlsx"))
    assert book.problems == []
    assert len(book.accounts) == 500
    assert (book["Stakeholders"]["account_id"] == "M0001").sum() == 40

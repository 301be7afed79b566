"""Shared fixtures: the bundled workbooks and small hand-made portfolios."""

from __future__ import annotations

import re
import shutil
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "workbooks" / "sample_portfolio.xlsx"

#: Characters no deck may hold: controls XML cannot hold or nothing shows, bidi overrides
#: and isolates, invisible characters, noncharacters, lone surrogates (written out here, not
#: taken from kamxl).
NOT_IN_DECKS = re.compile(
    "[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\u200b\u2060\ufeff\ufdd0-\ufdef"
    "\ufffe\uffff\ud800-\udfff]"
)
#: What a terminal must never get from kamxl: C0 controls but the newline (an ESC starts an
#: escape sequence, a CR overwrites the line), DEL, C1 controls, bidi controls and marks,
#: line and paragraph separators, zero-width space and byte order mark.
NOT_PRINTED = re.compile(
    "[\x00-\x09\x0b-\x1f\x7f-\x9f\u061c\u200b\u200e\u200f\u202a-\u202e\u2066-\u2069"
    "\u2028\u2029\ufeff]"
)


def assert_printable(output: str) -> None:
    """``output`` (what kamxl printed) holds none of :data:`NOT_PRINTED`."""
    found = NOT_PRINTED.search(output)
    assert found is None, (found, output[max(found.start() - 80, 0) : found.end() + 80])


@pytest.fixture
def sample_copy(tmp_path: Path) -> Path:
    """A copy of the sample portfolio that a test may change."""
    target = tmp_path / "sample.xlsx"
    shutil.copyfile(SAMPLE, target)
    return target


def mini_rows() -> dict[str, list[dict[str, Any]]]:
    """A tiny portfolio whose figures are worked out by hand in the tests."""
    return {
        "Settings": [
            {"key": "period", "value": "2026-Q3"},
            {"key": "as_of", "value": date(2026, 10, 15)},
        ],
        "Accounts": [
            {
                "account_id": "A1",
                "name": "Alpha Works",
                "status": "key",
                "kam": "Ana",
                "revenue_prev": 100,
                "revenue_curr": 120,
                "wallet": 400,
                "variable_costs": 60,
                "cost_to_serve": 10,
                "plan_updated": date(2026, 9, 1),
            },
            {
                "account_id": "A2",
                "name": "Beta Foods",
                "status": "candidate",
                "kam": "Ana",
                "revenue_prev": 50,
                "revenue_curr": 40,
            },
            {
                "account_id": "A3",
                "name": "Gamma Labs",
                "status": "other",
                "kam": "Bo",
                "revenue_prev": 0,
                "revenue_curr": 30,
                "wallet": 20,
                "variable_costs": 10,
            },
        ],
        "Ratings": [
            {
                "account_id": "A1",
                "rev_potential": 5,
                "strategic_fit": 4,
                "margin_potential": 4,
                "complexity": 2,
                "serve_cost": 2,
                "relationship": 4,
                "wallet_share": 3,
                "competitive_pos": 4,
                "exec_access": 5,
            },
            {
                "account_id": "A2",
                "rev_potential": 2,
                "strategic_fit": None,
                "margin_potential": 3,
                "complexity": 4,
                "serve_cost": 3,
                "relationship": 2,
                "wallet_share": 2,
                "competitive_pos": 2,
                "exec_access": 1,
            },
        ],
        "Health": [
            {
                "account_id": "A1",
                "period": "2026-Q3",
                "adoption": 80,
                "engagement": 70,
                "satisfaction": 90,
                "risk": 20,
            },
            {
                "account_id": "A2",
                "period": "2026-Q3",
                "adoption": 40,
                "engagement": None,
                "satisfaction": 50,
                "risk": 70,
            },
            {
                "account_id": "A2",
                "period": "2026-Q2",
                "adoption": 90,
                "engagement": 90,
                "satisfaction": 90,
                "risk": 10,
            },
        ],
        "Revenue": [
            {"account_id": "A1", "period": "2026-Q2", "revenue": 100, "forecast": 95},
            {"account_id": "A1", "period": "2026-Q3", "revenue": 120, "forecast": 110},
        ],
    }


@pytest.fixture
def make_book(tmp_path: Path) -> Callable[..., Path]:
    """Build a standard workbook from rows (default: :func:`mini_rows`)."""

    def make(
        rows: dict[str, list[dict[str, Any]]] | None = None, name: str = "book.xlsx", **options: Any
    ) -> Path:
        from kamxl.workbook.template import build_workbook

        return build_workbook(
            tmp_path / name, rows=mini_rows() if rows is None else rows, **options
        )

    return make

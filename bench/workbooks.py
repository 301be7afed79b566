"""Workbooks for the benchmarks: the standard shape, any number of accounts, built fast.

``portfolio(path, accounts)`` writes a standard KAM workbook with values only (no formulas),
the way a CRM export or a script fills it: Accounts with every input column, Ratings,
Health and two quarters of Revenue, Criteria and Settings. Built with XlsxWriter in
constant-memory mode; cached by size in ``bench/.cache``.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import xlsxwriter

from kamxl.workbook import schema

CACHE = Path(__file__).resolve().parent / ".cache"


def portfolio(accounts: int, path: Path | None = None) -> Path:
    """The path of a values-only standard workbook of ``accounts`` accounts."""
    path = path or CACHE / f"portfolio_{accounts}.xlsx"
    if path.exists():
        return path
    path.parent.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(accounts)
    ids = [f"ACC-{i:06d}" for i in range(accounts)]
    temp = path.with_suffix(".tmp.xlsx")
    book = xlsxwriter.Workbook(temp, {"constant_memory": True})
    date_format = book.add_format({"num_format": "yyyy-mm-dd"})

    sheet = book.add_worksheet("Settings")
    sheet.write_row(0, 0, ["key", "value"])
    for i, (key, value) in enumerate(
        [("period", "2026-Q3"), ("previous_period", "2026-Q2"), ("company", "Bench Co")], start=1
    ):
        sheet.write_row(i, 0, [key, value])
    sheet.write(4, 0, "as_of")
    sheet.write_datetime(4, 1, dt.datetime(2026, 10, 15), date_format)

    sheet = book.add_worksheet("Criteria")
    sheet.write_row(0, 0, ["criterion_id", "label", "axis", "weight", "direction"])
    for i, c in enumerate(schema.DEFAULT_CRITERIA, start=1):
        sheet.write_row(i, 0, [c.criterion_id, c.label, c.axis, c.weight, c.direction])

    sheet = book.add_worksheet("Accounts")
    inputs = [c.name for c in schema.sheet_def("Accounts").columns if not c.computed]
    sheet.write_row(0, 0, inputs)
    revenue = rng.integers(10_000, 2_000_000, size=(accounts, 2)).astype(float)
    statuses = np.array(["key", "candidate", "other"])[rng.integers(0, 3, accounts)]
    updated = rng.integers(0, 400, accounts)
    for i, aid in enumerate(ids):
        r = i + 1
        prev, curr = revenue[i]
        sheet.write_row(
            r,
            0,
            [
                aid,
                f"Account {i}",
                "Manufacturing",
                "France",
                f"KAM {i % 40}",
                "Exec",
                str(statuses[i]),
                prev,
                curr,
                curr * 3.2,
                curr * 0.6,
                curr * 0.08,
            ],
        )
        sheet.write_datetime(
            r, 12, dt.datetime(2026, 10, 15) - dt.timedelta(days=int(updated[i])), date_format
        )

    sheet = book.add_worksheet("Ratings")
    criteria = [c.criterion_id for c in schema.DEFAULT_CRITERIA]
    sheet.write_row(0, 0, ["account_id", *criteria])
    ratings = rng.integers(1, 6, size=(accounts, len(criteria)))
    for i, aid in enumerate(ids):
        sheet.write_row(i + 1, 0, [aid, *ratings[i].tolist()])

    sheet = book.add_worksheet("Health")
    sheet.write_row(
        0, 0, ["account_id", "period", "adoption", "engagement", "satisfaction", "risk"]
    )
    health = rng.integers(0, 101, size=(accounts, 4))
    for i, aid in enumerate(ids):
        sheet.write_row(i + 1, 0, [aid, "2026-Q3", *health[i].tolist()])

    sheet = book.add_worksheet("Revenue")
    sheet.write_row(0, 0, ["account_id", "period", "revenue", "forecast"])
    row = 1
    for i, aid in enumerate(ids):
        for period, value in (("2026-Q2", revenue[i, 0]), ("2026-Q3", revenue[i, 1])):
            sheet.write_row(row, 0, [aid, period, value, value * 1.05])
            row += 1
    book.close()
    temp.replace(path)
    return path


def standard(accounts: int, path: Path | None = None) -> Path:
    """The path of a standard KAM workbook of ``accounts`` accounts made by the template
    builder: Excel Tables, and the computed columns of Accounts as live ``KAM_*`` formulas
    (the workbook a team keeps), with the same kind of random data as :func:`portfolio`."""
    from kamxl.workbook.template import build_workbook

    path = path or CACHE / f"standard_{accounts}.xlsx"
    if path.exists():
        return path
    path.parent.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(accounts + 1)
    ids = [f"ACC-{i:06d}" for i in range(accounts)]
    revenue = rng.integers(10_000, 2_000_000, size=(accounts, 2)).astype(float)
    statuses = np.array(["key", "candidate", "other"])[rng.integers(0, 3, accounts)]
    updated = rng.integers(0, 400, accounts)
    criteria = [c.criterion_id for c in schema.DEFAULT_CRITERIA]
    ratings = rng.integers(1, 6, size=(accounts, len(criteria)))
    health = rng.integers(0, 101, size=(accounts, 4))
    as_of = dt.date(2026, 10, 15)
    rows = {
        "Settings": [
            {"key": "period", "value": "2026-Q3"},
            {"key": "company", "value": "Bench Co"},
            {"key": "as_of", "value": as_of},
        ],
        "Accounts": [
            {
                "account_id": aid,
                "name": f"Account {i}",
                "segment": "Manufacturing",
                "country": "France",
                "kam": f"KAM {i % 40}",
                "exec_sponsor": "Exec",
                "status": str(statuses[i]),
                "revenue_prev": float(revenue[i, 0]),
                "revenue_curr": float(revenue[i, 1]),
                "wallet": float(revenue[i, 1] * 3.2),
                "variable_costs": float(revenue[i, 1] * 0.6),
                "cost_to_serve": float(revenue[i, 1] * 0.08),
                "plan_updated": as_of - dt.timedelta(days=int(updated[i])),
            }
            for i, aid in enumerate(ids)
        ],
        "Ratings": [
            {"account_id": aid, **dict(zip(criteria, map(int, ratings[i]), strict=True))}
            for i, aid in enumerate(ids)
        ],
        "Health": [
            {
                "account_id": aid,
                "period": "2026-Q3",
                **dict(
                    zip(
                        ("adoption", "engagement", "satisfaction", "risk"),
                        map(int, health[i]),
                        strict=True,
                    )
                ),
            }
            for i, aid in enumerate(ids)
        ],
        "Revenue": [
            {"account_id": aid, "period": period, "revenue": value, "forecast": value * 1.05}
            for i, aid in enumerate(ids)
            for period, value in (("2026-Q2", revenue[i, 0]), ("2026-Q3", revenue[i, 1]))
        ],
    }
    temp = path.with_suffix(".tmp.xlsx")
    build_workbook(temp, rows=rows)
    temp.replace(path)
    return path

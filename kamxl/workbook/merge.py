"""Consolidating many workbooks into one portfolio (the batch's ``--kind portfolio``).

Each workbook keeps what was computed from its own criteria and settings; the
consolidated workbook is the union of their records. An ``account_id`` found in two
workbooks is kept from the first (in the order given) and reported, so that no revenue is
counted twice.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from kamxl.core.rows import RowResults
from kamxl.workbook import schema
from kamxl.workbook.model import KamWorkbook, SheetData

__all__ = ["merge_workbooks"]


def merge_workbooks(
    books: Sequence[KamWorkbook], name: str = "portfolio"
) -> tuple[KamWorkbook, list[str]]:
    """One workbook holding every account of ``books``, and the notes of what was dropped.

    The settings (period, currency, language, cuts) are the first workbook's; workbooks of
    another period or currency are reported.
    """
    if not books:
        raise ValueError("merge_workbooks needs at least one workbook")
    notes: list[str] = []
    first = books[0]
    owner: dict[str, str] = {}
    keep_ids: list[set[str]] = []
    for book in books:
        ids: set[str] = set()
        shared: dict[str, list[str]] = {}  # first workbook -> accounts of this one also there
        for account in book.accounts["account_id"].dropna():
            if owner.get(account, str(book.path)) != str(book.path):
                shared.setdefault(owner[account], []).append(str(account))
            else:  # a duplicate inside one workbook is the reader's to report
                owner[account] = str(book.path)
                ids.add(account)
        keep_ids.append(ids)
        for first_path, accounts in shared.items():
            listed = ", ".join(accounts[:5]) + (
                f" and {len(accounts) - 5} more" if len(accounts) > 5 else ""
            )
            notes.append(
                f"{len(accounts)} account(s) of {book.path} are also in {first_path} "
                f"({listed}): counted once, from {first_path}"
            )
        for key in ("period", "currency"):
            if getattr(book.settings, key) != getattr(first.settings, key):
                notes.append(
                    f"{book.path} has {key} {getattr(book.settings, key)}, {first.path} "
                    f"{getattr(first.settings, key)}: the portfolio uses "
                    f"{getattr(first.settings, key)}"
                )
    sheets: dict[str, SheetData] = {}
    for sheet in [*(s.name for s in schema.SHEETS)]:
        parts = []
        for book, ids in zip(books, keep_ids, strict=True):
            frame = book[sheet]
            if "account_id" in frame:
                frame = frame[frame["account_id"].isin(ids)]
            parts.append(frame.assign(_source=book.path.name))
        frame = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()
        base = first.sheets[sheet]
        codes = {}
        if sheet == "Accounts":
            kept = [
                book.accounts["account_id"].isin(ids).to_numpy()
                for book, ids in zip(books, keep_ids, strict=True)
            ]
            for column in {c for book in books for c in book.sheets["Accounts"].codes}:
                codes[column] = np.concatenate(
                    [
                        book.sheets["Accounts"].error_codes(column)[mask]
                        for book, mask in zip(books, kept, strict=True)
                    ]
                )
        sheets[sheet] = SheetData(
            sheet, base.title or sheet, frame, dict(base.letters), dict(base.headers), codes
        )
    merged = KamWorkbook(
        Path(name),
        first.settings,
        sheets,
        problems=[],
        criteria_columns=first.criteria_columns,
        cached_by_excel=False,
    )
    masks = [
        book.accounts["account_id"].isin(ids).to_numpy()
        for book, ids in zip(books, keep_ids, strict=True)
    ]
    merged.computed = {
        column: RowResults(
            np.concatenate(
                [
                    np.asarray(b.computed[column].values, dtype=object)[m]
                    for b, m in zip(books, masks, strict=True)
                ]
            ),
            np.concatenate(
                [b.computed[column].errors[m] for b, m in zip(books, masks, strict=True)]
            ).astype(np.int8),
        )
        for column in schema.COMPUTED_COLUMNS
    }
    return merged, notes

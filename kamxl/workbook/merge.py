"""Consolidating many workbooks into one portfolio (the batch's ``--kind portfolio``).

Each workbook keeps what was computed from its own criteria and settings; the
consolidated workbook is the union of their records. A consolidation that would give a
wrong number is refused (:class:`ConsolidationError`, every reason listed), never made
with a guess:

- **an account_id found in two workbooks** is refused, naming the account and both
  workbooks: adding both records counts the account twice, and taking one of them would
  pick a figure kamxl cannot know is the right one (the same client kept by two KAMs, a
  copy left behind);
- **workbooks in several currencies** are refused unless exchange rates are given
  (:func:`read_rates`): every amount of a workbook is then converted to the report
  currency, and a currency without a rate is refused, named.

What a bad cell marks stays marked: the error codes of every sheet
(:attr:`SheetData.codes`), the bad settings of every workbook
(:attr:`KamWorkbook.bad_settings`, named with their workbook) and the problems are carried
into the consolidated workbook, so that a figure that is missing in a workbook's own decks
(``--keep-going``) is missing in the portfolio too. Rows whose ``account_id`` failed the
check are kept (they may belong to any account), never silently dropped.
"""

from __future__ import annotations

import csv
import dataclasses
import io
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from kamxl.core.rows import RowResults
from kamxl.errors import FileProblemError, KamxlError
from kamxl.workbook import schema
from kamxl.workbook.model import KamWorkbook, SheetData

__all__ = [
    "MONEY_COLUMNS",
    "ConsolidationError",
    "ExchangeRates",
    "RatesError",
    "merge_workbooks",
    "read_rates",
]

#: The columns that hold amounts of money, per sheet: what a rate converts. Every other
#: figure of a workbook is a count, a score or a ratio of its own amounts, which a
#: conversion leaves as it is (a margin rate, a share of wallet).
MONEY_COLUMNS: dict[str, tuple[str, ...]] = {
    "Accounts": ("revenue_prev", "revenue_curr", "wallet", "variable_costs", "cost_to_serve"),
    "Revenue": ("revenue", "forecast"),
    "Opportunities": ("amount",),
    "Plan": ("value",),
    "Handshake": ("ambition_12m", "ambition_36m"),
}
#: How many accounts a message names before it counts the others.
_LISTED = 5
_CURRENCY_CODE = re.compile(r"^[A-Z]{3}$")


class ConsolidationError(KamxlError):
    """The workbooks cannot make one portfolio without a wrong number; ``reasons`` lists
    why (shared accounts, currencies without a rate)."""

    def __init__(self, reasons: list[str]) -> None:
        super().__init__(
            "the portfolio is not built (it would show a wrong number):\n"
            + "\n".join(f"  {reason}" for reason in reasons)
        )
        self.reasons = reasons


class RatesError(FileProblemError):
    """The ``--rates`` file cannot be used; the message names the line and what is wrong."""


@dataclass(frozen=True, slots=True)
class ExchangeRates:
    """Rates to the report currency: ``rates[code]`` is the value of one unit of ``code``
    in ``currency`` (the report currency's own rate is 1)."""

    currency: str
    rates: dict[str, float]
    source: str = ""  # the file they came from, named in notes and errors

    def rate(self, code: str) -> float | None:
        """The rate of ``code`` (1 for the report currency), or None when there is none."""
        code = _currency(code)
        return 1.0 if code == self.currency else self.rates.get(code)


def _currency(code: str) -> str:
    return str(code or "").strip().upper()


def read_rates(path: Path | str) -> ExchangeRates:
    """Read an exchange-rates file: a header ``currency,<report currency>``, then one line
    per currency with the value of one unit of it in the report currency::

        currency,EUR
        USD,0.92
        GBP,1.17

    ``;`` may separate the cells instead of ``,`` (then ``0,92`` is read as 0.92, as a
    spreadsheet in a comma-decimal language saves it). Blank lines and lines starting with
    ``#`` are skipped. Every problem is a :class:`RatesError` naming the line: a code that
    is not three letters, a rate that is not a positive number, a currency given twice.
    """
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        raise RatesError(path, "is not a text file in UTF-8") from None
    except OSError as error:
        raise RatesError(path, f"cannot be read: {error.strerror or error}") from None
    lines = [
        (number, line)
        for number, line in enumerate(text.splitlines(), start=1)
        if line.strip() and not line.lstrip().startswith("#")
    ]
    if not lines:
        raise RatesError(path, "is empty; expected a header like 'currency,EUR' and its rates")
    delimiter = ";" if ";" in lines[0][1] else ","
    rows = [(number, _cells(line, delimiter)) for number, line in lines]
    number, header = rows[0]
    if (
        len(header) != 2
        or header[0].lower() != "currency"
        or not _CURRENCY_CODE.match(_currency(header[1]))
    ):
        raise RatesError(
            path,
            f"line {number}: {delimiter.join(header)!r}: expected the header "
            f"'currency{delimiter}<report currency>', like 'currency{delimiter}EUR'",
        )
    report = _currency(header[1])
    rates: dict[str, float] = {}
    for number, cells in rows[1:]:
        code, rate = _rate_line(path, number, cells, delimiter, report)
        if code in rates:
            raise RatesError(path, f"line {number}: {code} is given twice")
        if code == report and rate != 1:
            raise RatesError(path, f"line {number}: {code} is the report currency: its rate is 1")
        rates[code] = rate
    rates.pop(report, None)
    return ExchangeRates(report, rates, str(path))


def _cells(line: str, delimiter: str) -> list[str]:
    """The cells of one line of a CSV file, stripped."""
    return [cell.strip() for cell in next(csv.reader(io.StringIO(line), delimiter=delimiter))]


def _rate_line(
    path: Path, number: int, cells: list[str], delimiter: str, report: str
) -> tuple[str, float]:
    """One line of a rates file: its currency code and rate, checked."""
    shown = delimiter.join(cells)
    if len(cells) != 2:
        raise RatesError(
            path, f"line {number}: {shown!r}: expected a currency and its rate, like 'USD,0.92'"
        )
    code = _currency(cells[0])
    if not _CURRENCY_CODE.match(code):
        raise RatesError(
            path, f"line {number}: {cells[0]!r}: expected a currency code of 3 letters (USD)"
        )
    text = cells[1].replace(",", ".") if delimiter == ";" else cells[1]
    try:
        rate = float(text)
    except ValueError:
        rate = math.nan
    if not math.isfinite(rate) or rate <= 0 or not re.fullmatch(r"[0-9.eE+-]+", text):
        raise RatesError(
            path,
            f"line {number}: {cells[1]!r}: expected the value of 1 {code} in {report}, "
            "a number above 0 (like 0.92)",
        )
    return code, rate


def merge_workbooks(
    books: Sequence[KamWorkbook], name: str = "portfolio", *, rates: ExchangeRates | None = None
) -> tuple[KamWorkbook, list[str]]:
    """One workbook holding every account of ``books``, and the notes of what was done.

    The settings (period, language, cuts) are the first workbook's; the currency is the
    one currency of the workbooks, or the report currency of ``rates``. Raises
    :class:`ConsolidationError` (every reason listed) when an ``account_id`` is in two
    workbooks, or when the workbooks are in several currencies without ``rates`` (or a
    currency present has no rate).
    """
    if not books:
        raise ValueError("merge_workbooks needs at least one workbook")
    first = books[0]
    reasons = _shared_accounts(books) + _currency_problems(books, rates)
    if reasons:
        raise ConsolidationError(reasons)
    notes = [
        f"{book.path} has period {book.settings.period}, {first.path} "
        f"{first.settings.period}: the portfolio uses {first.settings.period}"
        for book in books
        if book.settings.period != first.settings.period
    ]
    currency = rates.currency if rates is not None else _currency(first.settings.currency)
    factors = [_factor(book, rates) for book in books]
    notes += _conversion_notes(books, factors, currency, rates)
    sheets = {sheet.name: _merged_sheet(sheet.name, books, factors) for sheet in schema.SHEETS}
    merged = KamWorkbook(
        Path(name),
        dataclasses.replace(first.settings, currency=currency or first.settings.currency),
        sheets,
        problems=[p for book in books for p in book.problems],
        criteria_columns=first.criteria_columns,
        cached_by_excel=False,
        bad_settings=_bad_settings(books),
    )
    merged.computed = {
        column: RowResults(
            np.concatenate([np.asarray(b.computed[column].values, dtype=object) for b in books]),
            np.concatenate([b.computed[column].errors for b in books]).astype(np.int8),
        )
        for column in schema.COMPUTED_COLUMNS
    }
    return merged, notes


def _listed(items: Sequence[str]) -> str:
    shown = ", ".join(items[:_LISTED])
    return shown + (f" and {len(items) - _LISTED} more" if len(items) > _LISTED else "")


def _shared_accounts(books: Sequence[KamWorkbook]) -> list[str]:
    """One reason per pair of workbooks that share accounts (a duplicate inside one
    workbook is the reader's to report)."""
    owner: dict[str, str] = {}
    shared: dict[tuple[str, str], list[str]] = {}
    for book in books:
        here = str(book.path)
        for account in dict.fromkeys(book.accounts["account_id"].dropna().astype(str)):
            if account in owner:
                shared.setdefault((owner[account], here), []).append(account)
            else:
                owner[account] = here
    return [
        f"{len(accounts)} account(s) are in both {one} and {other} ({_listed(accounts)}): "
        "keep each account in one workbook, or leave one of them out (--exclude)"
        for (one, other), accounts in shared.items()
    ]


def _currency_problems(books: Sequence[KamWorkbook], rates: ExchangeRates | None) -> list[str]:
    """Why the amounts of ``books`` cannot be added up: a currency setting that failed the
    check (its default is no one's currency), several currencies and no rates, or a
    currency without a rate."""
    unknown = [
        f"the currency of {book.path} is not known ({book.bad_settings['currency']} failed "
        "the check): its amounts cannot be added to the others'"
        for book in books
        if "currency" in book.bad_settings
    ]
    if unknown:
        return unknown
    by_currency: dict[str, list[str]] = {}
    for book in books:
        by_currency.setdefault(_currency(book.settings.currency), []).append(str(book.path))
    if rates is None:
        if len(by_currency) < 2:
            return []
        listed = "; ".join(
            f"{code or 'no currency'}: {_listed(paths)}" for code, paths in by_currency.items()
        )
        return [
            f"the workbooks are in {len(by_currency)} currencies ({listed}): amounts in "
            "different currencies cannot be added up; give the exchange rates with "
            "--rates FILE"
        ]
    return [
        f"{rates.source or 'the rates'} has no rate for {code or 'a blank currency'} "
        f"(the currency of {_listed(paths)}): add a line '{code or 'XXX'},<value of 1 "
        f"{code or 'XXX'} in {rates.currency}>'"
        for code, paths in by_currency.items()
        if rates.rate(code) is None
    ]


def _factor(book: KamWorkbook, rates: ExchangeRates | None) -> float:
    """What the amounts of ``book`` are multiplied by (1 without rates: one currency)."""
    if rates is None:
        return 1.0
    rate = rates.rate(book.settings.currency)
    assert rate is not None  # checked by _currency_problems
    return rate


def _conversion_notes(
    books: Sequence[KamWorkbook],
    factors: Sequence[float],
    currency: str,
    rates: ExchangeRates | None,
) -> list[str]:
    """What was converted, at which rate: one note per currency converted."""
    converted: dict[str, tuple[float, list[str]]] = {}
    for book, factor in zip(books, factors, strict=True):
        code = _currency(book.settings.currency)
        if code != currency:
            converted.setdefault(code, (factor, []))[1].append(book.path.name)
    source = f" ({Path(rates.source).name})" if rates is not None and rates.source else ""
    notes = [
        f"the amounts of {_listed(names)} in {code} are converted to {currency} at "
        f"1 {code} = {factor:g} {currency}{source}"
        for code, (factor, names) in converted.items()
    ]
    if notes:
        notes.insert(0, f"the portfolio is in {currency}")
    return notes


def _merged_sheet(sheet: str, books: Sequence[KamWorkbook], factors: Sequence[float]) -> SheetData:
    """``sheet`` of every workbook, one after the other (every row: the accounts of each
    workbook are its own, shared ones are refused before), amounts converted, with the
    error codes of every column that has a bad cell in any of them."""
    parts = []
    for book, factor in zip(books, factors, strict=True):
        frame = book[sheet]
        money = [c for c in MONEY_COLUMNS.get(sheet, ()) if c in frame]
        if factor != 1.0 and money:
            frame = frame.assign(
                **{c: pd.to_numeric(frame[c], errors="coerce") * factor for c in money}
            )
        parts.append(frame.assign(_source=book.path.name))
    frame = pd.concat(parts, ignore_index=True)
    columns = {c for book in books for c in book.sheets[sheet].codes}
    codes = {
        column: np.concatenate([book.sheets[sheet].error_codes(column) for book in books]).astype(
            np.int8
        )
        for column in sorted(columns)
    }
    base = books[0].sheets[sheet]
    return SheetData(
        sheet, base.title or sheet, frame, dict(base.letters), dict(base.headers), codes
    )


def _bad_settings(books: Sequence[KamWorkbook]) -> dict[str, str]:
    """Every workbook's bad settings, each address with its workbook's name (a figure of
    the portfolio adds up accounts computed with each workbook's settings)."""
    bad: dict[str, list[str]] = {}
    for book in books:
        for key, address in book.bad_settings.items():
            bad.setdefault(key, []).append(f"{book.path.name} {address}")
    return {key: ", ".join(addresses) for key, addresses in bad.items()}

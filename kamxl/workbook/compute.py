"""The computed columns of Accounts, computed headless with the engine the UDFs use.

:func:`compute_accounts` gives, for every account, what the template's formulas give in
Excel: the same core functions on the same inputs, in the same order, with the same error
when an input cell is bad (text in a number cell is ``#VALUE!``, an error cell propagates,
an account missing from Ratings or from this period's Health is ``#N/A``). Criteria,
weights, cuts, thresholds and health weights come from the workbook's own Criteria and
Settings.

A column computed with a bad setting (:data:`~kamxl.workbook.schema.COMPUTED_SETTINGS`) or
from a Criteria sheet with a bad cell (:data:`~kamxl.workbook.schema.COMPUTED_FROM_CRITERIA`)
is an error in every row, as Excel shows one there: no default ever stands in for a bad
setting. :func:`bad_inputs` names, for each computed cell that shows an error because of a
bad input, the input cells and settings it comes from (what ``kamxl recalc`` lists).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date

import numpy as np
import pandas as pd

from kamxl import core
from kamxl.core.rows import RowResults
from kamxl.errors import NA, NO_ERROR, VALUE, KamxlError, error_code, is_error_text
from kamxl.workbook import schema
from kamxl.workbook.model import KamWorkbook, SheetData

__all__ = [
    "CRITERIA_INPUTS",
    "HEALTH_COMPONENTS",
    "ROW_INPUTS",
    "bad_inputs",
    "compute_accounts",
    "day_numbers_of",
    "fill_computed",
    "first_error",
]

HEALTH_COMPONENTS: tuple[str, ...] = ("adoption", "engagement", "satisfaction", "risk")
_HEALTH_LOWER = np.array([False, False, False, True])
#: The Accounts input cells of the account's own row that each column is computed from
#: (the ratings, Health components and other computed columns it uses are looked up).
ROW_INPUTS: dict[str, tuple[str, ...]] = {
    "margin": ("revenue_curr", "variable_costs", "cost_to_serve"),
    "sow": ("revenue_curr", "wallet"),
    "freshness": ("plan_updated",),
}
#: The computed columns each computed column is computed from.
_UPSTREAM: dict[str, tuple[str, ...]] = {
    "quadrant": ("attractiveness", "strength"),
    "tier": ("score",),
    "rag": ("health",),
}
_SCORES: tuple[str, ...] = ("attractiveness", "strength", "score", "completeness")
#: The Criteria cells every score is computed from (through the template's lookups).
CRITERIA_INPUTS: tuple[str, ...] = ("criterion_id", "axis", "weight", "direction")


def first_error(codes: np.ndarray) -> np.ndarray:
    """Per row of an (n, k) array of cell error codes, the error a worksheet function shows
    for those cells: the first incoming Excel error (argument order, then cell order), else
    ``#VALUE!`` when a cell is not a number, else no error."""
    codes = np.asarray(codes, dtype=np.int8)
    if codes.ndim == 1:
        codes = codes[:, None]
    incoming = (codes != NO_ERROR) & (codes != VALUE)
    first = codes[np.arange(len(codes)), incoming.argmax(axis=1)] if codes.shape[1] else 0
    value_error = (codes == VALUE).any(axis=1)
    return np.where(incoming.any(axis=1), first, np.where(value_error, VALUE, NO_ERROR)).astype(
        np.int8
    )


def _codes(sheet: SheetData, columns: Sequence[str], rows: np.ndarray | None = None) -> np.ndarray:
    """The (n, k) cell error codes of ``columns``, optionally gathered at ``rows``
    (-1 = no such row, which XLOOKUP reports as ``#N/A``)."""
    stacked = np.column_stack([sheet.error_codes(c) for c in columns])
    return stacked if rows is None else _gather(stacked, rows, fill=NA)


def _guarded(
    n: int, compute: Callable[[], RowResults], own: np.ndarray | None = None
) -> RowResults:
    """Run a vectorised computation with each row's own error (``own``: the code of a row
    whose argument is an error or blank) taking precedence, as the incoming error comes
    first in Excel. An error about a shared argument (a blank weight, bad tier labels) is
    what every other row shows."""
    try:
        results = compute()
    except KamxlError as error:
        results = RowResults(np.full(n, np.nan, dtype=object), np.full(n, error.code, np.int8))
    return results if own is None else results.with_row_errors(own)


def _own(values: np.ndarray, codes: np.ndarray) -> np.ndarray:
    """A row's own error for a one-value argument: its cell's code, else #N/A when blank."""
    return np.where(codes != NO_ERROR, codes, np.where(np.isnan(values), NA, NO_ERROR)).astype(
        np.int8
    )


def _rows_of(keys: pd.Series, table: pd.DataFrame, key: str = schema.ACCOUNT_ID) -> np.ndarray:
    """For each key, the position of its first row in ``table`` (-1 when absent), as XLOOKUP
    finds it."""
    ids = table[key].reset_index(drop=True)
    first = ~ids.duplicated(keep="first") & ids.notna()
    positions = pd.Index(ids[first]).get_indexer(keys)
    rows = np.full(len(keys), -1, dtype=np.int64)
    found = positions >= 0
    rows[found] = np.flatnonzero(first.to_numpy())[positions[found]]
    return rows


def _gather(values: np.ndarray, rows: np.ndarray, fill: float = np.nan) -> np.ndarray:
    """``values[rows]`` with ``fill`` where a row is -1."""
    out = np.full((len(rows), *values.shape[1:]), fill, dtype=values.dtype)
    found = rows >= 0
    out[found] = values[rows[found]]
    return out


def _numbers(results: RowResults) -> np.ndarray:
    """The values of rows without error, NaN elsewhere (an error is not a number)."""
    out = np.full(len(results), np.nan)
    ok = results.ok
    out[ok] = np.asarray(results.values, dtype=object)[ok].astype(np.float64)
    return out


def day_numbers_of(dates: pd.Series) -> np.ndarray:
    """Day numbers (whole days since 1899-12-30) of a datetime column, NaN where blank."""
    days = dates.to_numpy(dtype="datetime64[D]")
    out = (days - np.datetime64("1899-12-30", "D")).astype(np.float64)
    out[np.isnat(days)] = np.nan
    return out


def _rated_criteria(book: KamWorkbook) -> list[str]:
    """The criteria with a Ratings column, in the order of those columns (the order Excel
    passes them in)."""
    letters = book.sheets["Ratings"].letters
    return sorted(book.criteria_columns, key=lambda c: _letters_order(letters[c]))


def _health_rows(book: KamWorkbook, keys: pd.Series) -> np.ndarray:
    """For each account, the position of its Health row of the current period (-1 when it
    has none), as the template's XLOOKUP finds it."""
    frame = book.sheets["Health"].frame
    in_period = np.flatnonzero((frame["period"] == book.settings.period).to_numpy())
    found = _rows_of(keys, frame.iloc[in_period])
    rows = np.full(len(keys), -1, dtype=np.int64)
    rows[found >= 0] = in_period[found[found >= 0]]
    return rows


def _criteria_code(book: KamWorkbook) -> int:
    """The error of a score computed from the Criteria sheet: the first error among its
    ids, axes, weights and directions (``#VALUE!`` before an incoming error, as
    :func:`first_error` orders them), else none."""
    criteria = book.sheets["Criteria"]
    codes = np.column_stack([criteria.error_codes(c) for c in CRITERIA_INPUTS]).reshape(1, -1)
    return int(first_error(codes)[0])


def _settings_code(book: KamWorkbook, keys: Sequence[str]) -> int:
    """The error a formula using the bad settings ``keys`` shows: the error held in a
    setting's cell, else ``#VALUE!`` (a value its function cannot take)."""
    from kamxl.workbook.reader import ExcelErrorCell  # the reader imports this module

    frame = book.sheets["Settings"].frame
    raw = dict(zip(frame["key"], frame["value"], strict=True)) if len(frame) else {}
    for key in keys:
        value = raw.get(key)
        if isinstance(value, ExcelErrorCell) and is_error_text(value.text):
            return error_code(value.text)
    return VALUE


def _bad_settings_of(book: KamWorkbook, name: str) -> list[str]:
    """The bad settings that computed column ``name`` is computed with."""
    return [key for key in schema.COMPUTED_SETTINGS[name] if key in book.bad_settings]


def _settled(book: KamWorkbook, name: str, result: RowResults, criteria_code: int) -> RowResults:
    """``result`` with every row an error when the column uses a bad setting or a bad
    Criteria sheet: a row that shows an error already keeps it, the others get the bad
    setting's error (Excel's, where the setting's own error is known)."""
    bad = _bad_settings_of(book, name)
    code = _settings_code(book, bad) if bad else NO_ERROR
    if code == NO_ERROR and name in schema.COMPUTED_FROM_CRITERIA:
        code = criteria_code
    if code == NO_ERROR:
        return result
    errors = np.where(result.errors != NO_ERROR, result.errors, code).astype(np.int8)
    return RowResults(result.values, errors)


def compute_accounts(book: KamWorkbook, as_of: date | None = None) -> dict[str, RowResults]:
    """Every computed column of Accounts, one :class:`RowResults` per column.

    ``as_of`` dates plan freshness; by default the workbook's ``as_of`` setting, else today.
    """
    settings = book.settings
    accounts = book.sheets["Accounts"]
    frame = accounts.frame
    n = len(frame)
    keys = frame[schema.ACCOUNT_ID]
    criteria_code = _criteria_code(book)
    results: dict[str, RowResults] = {}

    def settle(name: str, result: RowResults) -> RowResults:
        results[name] = _settled(book, name, result, criteria_code)
        return results[name]

    # Ratings in the order of the Ratings columns (the order Excel passes them in).
    ratings_sheet = book.sheets["Ratings"]
    criteria = _rated_criteria(book)
    rating_rows = _rows_of(keys, ratings_sheet.frame)
    ratings = _gather(ratings_sheet.frame[criteria].to_numpy(dtype=np.float64), rating_rows)
    rating_codes = (
        _codes(ratings_sheet, criteria, rating_rows)
        if criteria
        else np.where(rating_rows[:, None] >= 0, NO_ERROR, NA).astype(np.int8)
    )
    definitions = book["Criteria"].drop_duplicates("criterion_id").set_index("criterion_id")
    chosen = definitions.reindex(criteria)
    weights = chosen["weight"].to_numpy(dtype=np.float64)
    lower = (chosen["direction"] == "lower").to_numpy()
    axes = chosen["axis"].to_numpy(dtype=object)

    def score(keep: np.ndarray) -> RowResults:
        """KAM_SCORE over the criteria in ``keep`` (the others blank, as in the formula)."""
        codes = first_error(rating_codes[:, keep] if criteria else rating_codes)
        matrix = np.where(keep, ratings, np.nan)
        unrated = np.where(np.isnan(matrix).all(axis=1), NA, NO_ERROR) if criteria else NA
        return _guarded(
            n,
            lambda: core.weighted_scores(
                matrix, weights, settings.scale_min, settings.scale_max, lower
            ),
            np.where(codes != NO_ERROR, codes, unrated).astype(np.int8),
        )

    settle("attractiveness", score(axes == "attractiveness"))
    settle("strength", score(axes == "strength"))
    settle("score", score(np.ones(len(criteria), dtype=bool)))
    all_codes = first_error(rating_codes)
    settle(
        "completeness",
        _guarded(n, lambda: core.completeness(ratings, weights), all_codes),
    )
    attractiveness, strength = results["attractiveness"], results["strength"]
    axes_errors = first_error(np.column_stack([attractiveness.errors, strength.errors]))
    settle(
        "quadrant",
        _guarded(
            n,
            lambda: core.quadrants(
                _numbers(attractiveness),
                _numbers(strength),
                settings.cut_attractiveness,
                settings.cut_strength,
            ),
            axes_errors,
        ),
    )
    scores = results["score"]
    settle(
        "tier",
        _guarded(
            n,
            lambda: core.tiers(_numbers(scores), settings.tier_thresholds, settings.tier_labels),
            scores.errors,
        ),
    )
    money = {c: frame[c].to_numpy(dtype=np.float64) for c in ROW_INPUTS["margin"]}
    settle(
        "margin",
        core.margin_rates(*money.values()).with_row_errors(
            first_error(_codes(accounts, ROW_INPUTS["margin"]))
        ),
    )
    settle(
        "sow",
        core.shares_of_wallet(
            money["revenue_curr"], frame["wallet"].to_numpy(dtype=np.float64)
        ).with_row_errors(first_error(_codes(accounts, ROW_INPUTS["sow"]))),
    )
    health = settle("health", _health(book, keys))
    settle(
        "rag",
        _guarded(
            n,
            lambda: core.rags(_numbers(health), settings.red_max, settings.amber_max),
            health.errors,
        ),
    )
    reference = as_of or settings.as_of or date.today()
    reference_day = float(
        (np.datetime64(reference, "D") - np.datetime64("1899-12-30", "D")).astype(int)
    )
    updated = day_numbers_of(frame["plan_updated"])
    updated_codes = first_error(_codes(accounts, ROW_INPUTS["freshness"]))
    settle(
        "freshness",
        _guarded(
            n,
            lambda: core.freshness(updated, reference_day, settings.freshness_half_life_days),
            _own(updated, updated_codes),
        ),
    )
    return {name: results[name] for name in schema.COMPUTED_COLUMNS}


def _letters_order(letters: str) -> tuple[int, str]:
    return len(letters), letters


def _health(book: KamWorkbook, keys: pd.Series) -> RowResults:
    """KAM_HEALTH of each account's Health row for the current period (#N/A without one)."""
    sheet = book.sheets["Health"]
    rows = _health_rows(book, keys)
    components = _gather(sheet.frame[list(HEALTH_COMPONENTS)].to_numpy(dtype=np.float64), rows)
    codes = first_error(_codes(sheet, HEALTH_COMPONENTS, rows))
    return _guarded(
        len(keys),
        lambda: core.health_scores(components, book.settings.health_weights, _HEALTH_LOWER),
        np.where(codes != NO_ERROR, codes, np.where(rows < 0, NA, NO_ERROR)).astype(np.int8),
    )


# --- which bad inputs a computed cell comes from --------------------------------------------


def _bad_cells(
    sheet: SheetData, columns: Sequence[str], rows: np.ndarray | None = None
) -> dict[int, list[str]]:
    """Per account position, the addresses of its bad cells among ``columns`` of ``sheet``
    (``rows``: the position of the row of ``sheet`` each account looks up, -1 for none)."""
    found: dict[int, list[str]] = {}
    frame_rows = sheet.frame["_row"].to_numpy()
    for column in columns:
        codes = sheet.codes.get(column)
        if codes is None:
            continue
        at = codes if rows is None else _gather(codes, rows, fill=NO_ERROR)
        source = np.arange(len(at)) if rows is None else rows
        for position in np.flatnonzero(at).tolist():
            row = int(frame_rows[source[position]])
            found.setdefault(position, []).append(
                f"{sheet.title}!{sheet.cell(column, row)} ({column})"
            )
    return found


def bad_inputs(book: KamWorkbook) -> dict[str, dict[int, tuple[str, ...]]]:
    """For each computed column, the accounts (frame positions) whose cell shows an error
    because of a bad input, and that input: cells with an error code (``Accounts!I7
    (revenue_curr)``, the account's Ratings or Health row), bad settings (``Settings!B9
    (tier_thresholds)``) and bad Criteria cells. Errors that are Excel's normal results
    (no Ratings row, no Health row this period) are not there."""
    accounts = book.sheets["Accounts"]
    keys = accounts.frame[schema.ACCOUNT_ID]
    n = len(keys)
    everyone_criteria = [
        address
        for addresses in _bad_cells(book.sheets["Criteria"], CRITERIA_INPUTS).values()
        for address in addresses
    ]
    ratings = _bad_cells(
        book.sheets["Ratings"], _rated_criteria(book), _rows_of(keys, book.sheets["Ratings"].frame)
    )
    health = _bad_cells(book.sheets["Health"], HEALTH_COMPONENTS, _health_rows(book, keys))
    per_row: dict[str, dict[int, list[str]]] = {name: ratings for name in _SCORES}
    per_row["health"] = health
    for name, columns in ROW_INPUTS.items():
        per_row[name] = _bad_cells(accounts, columns)
    found: dict[str, dict[int, tuple[str, ...]]] = {}
    for name in schema.COMPUTED_COLUMNS:
        everyone = [f"{book.bad_settings[key]} ({key})" for key in _bad_settings_of(book, name)]
        if name in schema.COMPUTED_FROM_CRITERIA:
            everyone += everyone_criteria
        rows: dict[int, list[str]] = {}
        for source in (name, *_UPSTREAM.get(name, ())):
            for position, addresses in per_row.get(source, {}).items():
                rows.setdefault(position, []).extend(addresses)
        if everyone:
            for position in range(n):
                rows.setdefault(position, [])
        found[name] = {
            position: tuple(dict.fromkeys([*addresses, *everyone]))
            for position, addresses in sorted(rows.items())
        }
    return found


def fill_computed(book: KamWorkbook, as_of: date | None = None) -> dict[str, RowResults]:
    """Put the computed columns into the Accounts frame (NaN/None where a row has an error,
    the error codes in ``SheetData.codes``) and return them."""
    results = compute_accounts(book, as_of)
    accounts = book.sheets["Accounts"]
    for name, result in results.items():
        kind = schema.sheet_def("Accounts").column(name).kind
        values = np.asarray(result.values, dtype=object).copy()
        values[~result.ok] = None
        if kind in (schema.Kind.NUMBER, schema.Kind.FRACTION):
            accounts.frame[name] = pd.to_numeric(
                pd.Series(values, index=accounts.frame.index), errors="coerce"
            )
        else:
            accounts.frame[name] = pd.Series(values, index=accounts.frame.index, dtype=object)
        if (result.errors != NO_ERROR).any():
            accounts.codes[name] = result.errors
        else:
            accounts.codes.pop(name, None)
    return results

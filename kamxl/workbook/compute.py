"""The computed columns of Accounts, computed headless with the engine the UDFs use.

:func:`compute_accounts` gives, for every account, what the template's formulas give in
Excel: the same core functions on the same inputs, in the same order, with the same error
when an input cell is bad (text in a number cell is ``#VALUE!``, an error cell propagates,
an account missing from Ratings or from this period's Health is ``#N/A``). Criteria,
weights, cuts, thresholds and health weights come from the workbook's own Criteria and
Settings.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date

import numpy as np
import pandas as pd

from kamxl import core
from kamxl.core.rows import RowResults
from kamxl.errors import NA, NO_ERROR, VALUE, KamxlError
from kamxl.workbook import schema
from kamxl.workbook.model import KamWorkbook, SheetData

__all__ = [
    "HEALTH_COMPONENTS",
    "compute_accounts",
    "day_numbers_of",
    "fill_computed",
    "first_error",
]

HEALTH_COMPONENTS: tuple[str, ...] = ("adoption", "engagement", "satisfaction", "risk")
_CRITERIA_INPUTS = ("criterion_id", "axis", "weight", "direction")
_HEALTH_LOWER = np.array([False, False, False, True])


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


def _guarded(n: int, compute: Callable[[], RowResults]) -> RowResults:
    """Run a vectorised computation; an error about a shared argument (a blank weight, bad
    tier labels) is what every row shows, as in Excel."""
    try:
        return compute()
    except KamxlError as error:
        return RowResults(np.full(n, np.nan, dtype=object), np.full(n, error.code, dtype=np.int8))


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


def compute_accounts(book: KamWorkbook, as_of: date | None = None) -> dict[str, RowResults]:
    """Every computed column of Accounts, one :class:`RowResults` per column.

    ``as_of`` dates plan freshness; by default the workbook's ``as_of`` setting, else today.
    """
    settings = book.settings
    accounts = book.sheets["Accounts"]
    frame = accounts.frame
    n = len(frame)
    keys = frame[schema.ACCOUNT_ID]

    # Ratings in the order of the Ratings columns (the order Excel passes them in).
    ratings_sheet = book.sheets["Ratings"]
    criteria = sorted(book.criteria_columns, key=lambda c: _letters_order(ratings_sheet.letters[c]))
    rating_rows = _rows_of(keys, ratings_sheet.frame)
    ratings = _gather(ratings_sheet.frame[criteria].to_numpy(dtype=np.float64), rating_rows)
    rating_codes = (
        _codes(ratings_sheet, criteria, rating_rows)
        if criteria
        else np.where(rating_rows[:, None] >= 0, NO_ERROR, NA).astype(np.int8)
    )
    # A bad cell anywhere in Criteria breaks the template's lookups of weights, axes and
    # directions for every account (Excel shows the error there): no score is computed.
    criteria_codes = first_error(_codes(book.sheets["Criteria"], _CRITERIA_INPUTS))
    criteria_error = (
        int(criteria_codes[criteria_codes != NO_ERROR][0]) if criteria_codes.any() else 0
    )
    if criteria_error:
        rating_codes = np.where(rating_codes == NO_ERROR, criteria_error, rating_codes).astype(
            np.int8
        )
        if not criteria:
            rating_codes = np.full((n, 1), criteria_error, dtype=np.int8)
    definitions = book["Criteria"].drop_duplicates("criterion_id").set_index("criterion_id")
    chosen = definitions.reindex(criteria)
    weights = chosen["weight"].to_numpy(dtype=np.float64)
    lower = (chosen["direction"] == "lower").to_numpy()
    axes = chosen["axis"].to_numpy(dtype=object)

    def score(keep: np.ndarray) -> RowResults:
        """KAM_SCORE over the criteria in ``keep`` (the others blank, as in the formula)."""
        codes = first_error(rating_codes[:, keep] if criteria else rating_codes)
        matrix = np.where(keep, ratings, np.nan)
        return _guarded(
            n,
            lambda: core.weighted_scores(
                matrix, weights, settings.scale_min, settings.scale_max, lower
            ).with_row_errors(codes),
        )

    results: dict[str, RowResults] = {
        "attractiveness": score(axes == "attractiveness"),
        "strength": score(axes == "strength"),
        "score": score(np.ones(len(criteria), dtype=bool)),
    }
    all_codes = first_error(rating_codes)
    results["completeness"] = _guarded(
        n, lambda: core.completeness(ratings, weights).with_row_errors(all_codes)
    )
    attractiveness, strength = results["attractiveness"], results["strength"]
    results["quadrant"] = _guarded(
        n,
        lambda: core.quadrants(
            _numbers(attractiveness),
            _numbers(strength),
            settings.cut_attractiveness,
            settings.cut_strength,
        ).with_row_errors(first_error(np.column_stack([attractiveness.errors, strength.errors]))),
    )
    scores = results["score"]
    results["tier"] = _guarded(
        n,
        lambda: core.tiers(
            _numbers(scores), settings.tier_thresholds, settings.tier_labels
        ).with_row_errors(scores.errors),
    )
    money = frame[["revenue_curr", "variable_costs", "cost_to_serve", "wallet"]]
    margin_inputs = ["revenue_curr", "variable_costs", "cost_to_serve"]
    results["margin"] = core.margin_rates(
        *(money[c].to_numpy(dtype=np.float64) for c in margin_inputs)
    ).with_row_errors(first_error(_codes(accounts, margin_inputs)))
    results["sow"] = core.shares_of_wallet(
        money["revenue_curr"].to_numpy(dtype=np.float64), money["wallet"].to_numpy(dtype=np.float64)
    ).with_row_errors(first_error(_codes(accounts, ["revenue_curr", "wallet"])))
    health = results["health"] = _health(book, keys)
    results["rag"] = _guarded(
        n,
        lambda: core.rags(_numbers(health), settings.red_max, settings.amber_max).with_row_errors(
            health.errors
        ),
    )
    reference = as_of or settings.as_of or date.today()
    reference_day = float(
        (np.datetime64(reference, "D") - np.datetime64("1899-12-30", "D")).astype(int)
    )
    results["freshness"] = _guarded(
        n,
        lambda: core.freshness(
            day_numbers_of(frame["plan_updated"]), reference_day, settings.freshness_half_life_days
        ).with_row_errors(accounts.error_codes("plan_updated")),
    )
    return results


def _letters_order(letters: str) -> tuple[int, str]:
    return len(letters), letters


def _health(book: KamWorkbook, keys: pd.Series) -> RowResults:
    """KAM_HEALTH of each account's Health row for the current period (#N/A without one)."""
    sheet = book.sheets["Health"]
    frame = sheet.frame
    settings = book.settings
    in_period = np.flatnonzero((frame["period"] == settings.period).to_numpy())
    found = _rows_of(keys, frame.iloc[in_period])
    rows = np.full(len(keys), -1, dtype=np.int64)
    rows[found >= 0] = in_period[found[found >= 0]]
    components = _gather(frame[list(HEALTH_COMPONENTS)].to_numpy(dtype=np.float64), rows)
    codes = first_error(_codes(sheet, HEALTH_COMPONENTS, rows))
    return _guarded(
        len(keys),
        lambda: core.health_scores(
            components, settings.health_weights, _HEALTH_LOWER
        ).with_row_errors(codes),
    )


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

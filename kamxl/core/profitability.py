"""Profitability and value of an account: contribution margin, share of wallet, CLV, ROI.

:func:`margin_rates` and :func:`shares_of_wallet` work on one value per account (whole
columns); :func:`customer_lifetime_value` and :func:`program_roi` on single figures.
"""

from __future__ import annotations

import math

import numpy as np

from kamxl.core.rows import RowResults, first_code
from kamxl.errors import (
    DIV0,
    NA,
    NUM,
    NoDataError,
    OutOfDomainError,
    ZeroDenominatorError,
)

__all__ = [
    "customer_lifetime_value",
    "margin_accounts",
    "margin_rates",
    "portfolio_margin_rate",
    "portfolio_share_of_wallet",
    "program_roi",
    "shares_of_wallet",
]


def margin_rates(
    revenue: np.ndarray,
    variable_costs: np.ndarray,
    cost_to_serve: np.ndarray | float | None = None,
) -> RowResults:
    """Contribution margin rate (revenue − variable costs − cost to serve) ÷ revenue.

    A blank revenue or variable cost is ``#N/A`` (the margin is unknown); a blank cost to
    serve counts 0; a revenue of 0 is ``#DIV/0!``. The rate may be negative.
    """
    revenue = np.asarray(revenue, dtype=np.float64)
    variable_costs = np.asarray(variable_costs, dtype=np.float64)
    serve = np.nan_to_num(np.asarray(0.0 if cost_to_serve is None else cost_to_serve, float))
    with np.errstate(invalid="ignore", divide="ignore"):
        rates = (revenue - variable_costs - serve) / revenue
    errors = first_code((np.isnan(revenue) | np.isnan(variable_costs), NA), (revenue == 0, DIV0))
    return RowResults(rates, errors)


def shares_of_wallet(revenue: np.ndarray, wallet: np.ndarray) -> RowResults:
    """Share of wallet: our revenue ÷ the customer's total spend in our category (0--1).

    A blank revenue or wallet is ``#N/A``, a wallet of 0 ``#DIV/0!``; a negative value or a
    revenue above the wallet is ``#NUM!`` (the wallet estimate is wrong).
    """
    revenue = np.asarray(revenue, dtype=np.float64)
    wallet = np.asarray(wallet, dtype=np.float64)
    with np.errstate(invalid="ignore", divide="ignore"):
        shares = revenue / wallet
        impossible = (revenue < 0) | (wallet < 0) | (revenue > wallet)
    errors = first_code(
        (impossible, NUM), (np.isnan(revenue) | np.isnan(wallet), NA), (wallet == 0, DIV0)
    )
    return RowResults(shares, errors)


def _sum_present(values: np.ndarray | float | None) -> float:
    """The sum of the values present (NaN when none is)."""
    values = np.asarray(np.nan if values is None else values, dtype=np.float64).ravel()
    values = values[~np.isnan(values)]
    return float(values.sum()) if len(values) else math.nan


def margin_accounts(revenue: np.ndarray, variable_costs: np.ndarray) -> np.ndarray:
    """Per account, whether its margin is known: both its revenue and its variable costs are
    there (a blank cost to serve counts 0)."""
    revenue = np.asarray(revenue, dtype=np.float64).ravel()
    variable_costs = np.asarray(variable_costs, dtype=np.float64).ravel()
    return ~np.isnan(revenue) & ~np.isnan(variable_costs)


def portfolio_margin_rate(
    revenue: np.ndarray, variable_costs: np.ndarray, cost_to_serve: np.ndarray | None = None
) -> float:
    """The margin rate of several accounts together, over the accounts whose margin is known
    (:func:`margin_accounts`): an account without cost data says nothing about the margin,
    and counting its revenue would make it look 100 % profitable. The columns of those
    accounts are summed, then :func:`margin_rates` applies to the sums; no such account is
    ``#N/A``. Ranges of different lengths (one cost for several revenues) are summed as they
    are."""
    revenue = np.asarray(revenue, dtype=np.float64).ravel()
    variable_costs = np.asarray(variable_costs, dtype=np.float64).ravel()
    serve = None if cost_to_serve is None else np.asarray(cost_to_serve, np.float64).ravel()
    if len(revenue) == len(variable_costs) and (serve is None or len(serve) == len(revenue)):
        known = margin_accounts(revenue, variable_costs)
        if not known.any():
            raise NoDataError("no account has both a revenue and its variable costs")
        revenue, variable_costs = revenue[known], variable_costs[known]
        serve = None if serve is None else serve[known]
    sums = (_sum_present(revenue), _sum_present(variable_costs), _sum_present(serve))
    return margin_rates(*(np.array([x]) for x in sums)).scalar()


def portfolio_share_of_wallet(revenue: np.ndarray, wallet: np.ndarray) -> float:
    """The share of wallet of several accounts together.

    Revenue and wallet are summed over the accounts where both are known (an account whose
    wallet is unknown says nothing about our share); any account with an impossible pair
    (see :func:`shares_of_wallet`) makes the whole figure ``#NUM!``; no account with both
    values is ``#N/A``.
    """
    revenue = np.asarray(revenue, dtype=np.float64).ravel()
    wallet = np.asarray(wallet, dtype=np.float64).ravel()
    if (shares_of_wallet(revenue, wallet).errors == NUM).any():
        raise OutOfDomainError("a revenue is negative or above its wallet")
    both = ~np.isnan(revenue) & ~np.isnan(wallet)
    if not both.any():
        raise NoDataError("no account has both a revenue and a wallet")
    return shares_of_wallet(
        np.array([revenue[both].sum()]), np.array([wallet[both].sum()])
    ).scalar()


def customer_lifetime_value(
    annual_margin: float, retention: float, discount_rate: float, years: float | None = None
) -> float:
    """Discounted margin of a customer kept with probability ``retention`` each year.

    Σ_{t=1..T} m·r^t ÷ (1+d)^t over ``years`` T, or the infinite sum m·r ÷ (1 + d − r).
    ``#NUM!`` for r outside [0, 1], d < 0, T not a whole number ≥ 0, or an infinite sum that
    does not converge (r = 1, d = 0); a blank (NaN) value is ``#N/A``.
    """
    if not (math.isnan(retention) or 0 <= retention <= 1):
        raise OutOfDomainError(f"retention must be in [0, 1], got {retention}")
    if discount_rate < 0:
        raise OutOfDomainError(f"discount_rate must be ≥ 0, got {discount_rate}")
    if years is not None and (years < 0 or years != math.floor(years)):
        raise OutOfDomainError(f"years must be a whole number ≥ 0, got {years}")
    if math.isnan(annual_margin) or math.isnan(retention) or math.isnan(discount_rate):
        raise NoDataError("the margin, the retention and the discount rate are all needed")
    if years is None:
        if retention == 1 and discount_rate == 0:
            raise OutOfDomainError("an account kept forever and not discounted has no finite CLV")
        return annual_margin * retention / (1 + discount_rate - retention)
    if years == 0 or retention == 0:
        return 0.0
    q = retention / (1 + discount_rate)  # yearly factor, in (0, 1]
    if q == 1:
        return annual_margin * years
    # q + q² + … + q^T = q (1 − q^T) / (1 − q), with expm1 for accuracy when q is near 1.
    one_minus_q = (1 + discount_rate - retention) / (1 + discount_rate)
    return annual_margin * q * -math.expm1(years * math.log(q)) / one_minus_q


def program_roi(incremental_margin: float, program_cost: float) -> float:
    """Return on a key-account programme: (incremental margin − cost) ÷ cost."""
    if math.isnan(incremental_margin) or math.isnan(program_cost):
        raise NoDataError("the incremental margin and the programme cost are both needed")
    if program_cost == 0:
        raise ZeroDenominatorError("the programme cost is 0")
    return (incremental_margin - program_cost) / program_cost

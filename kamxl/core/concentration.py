"""Portfolio concentration: how much of the revenue a few accounts carry.

The Pareto view of the seeds ("20 % of the customers make 80 % of the revenue") and the
Herfindahl--Hirschman index say how dependent a business is on its largest accounts.
Revenues are one value per account: blanks (NaN) are ignored and negative values (credit
notes) are clipped to 0. N counts the accounts with a revenue, zeros included.
"""

from __future__ import annotations

import math

import numpy as np

from kamxl.errors import NoDataError, OutOfDomainError

__all__ = ["effective_n", "hhi", "pareto_ratio", "top_fraction", "top_share"]

#: Relative slack allowed for binary rounding when comparing shares and counts.
_ROUNDING = 1e-12


def _sorted_revenues(revenues: np.ndarray) -> tuple[np.ndarray, float]:
    """Revenues present, clipped at 0 and sorted largest first, and their total."""
    values = np.asarray(revenues, dtype=np.float64).ravel()
    values = np.clip(values[~np.isnan(values)], 0.0, None)
    values = -np.sort(-values)
    total = float(values.sum())
    if total == 0:
        raise NoDataError("the accounts have no revenue: total is 0")
    return values, total


def _check_fraction(value: float, what: str) -> None:
    if not 0 < value <= 1:
        raise OutOfDomainError(f"{what} must be in (0, 1], got {value}")


def pareto_ratio(revenues: np.ndarray, share: float = 0.8) -> float:
    """The smallest fraction k/N of accounts whose top k hold at least ``share`` of revenue."""
    _check_fraction(share, "share")
    values, _ = _sorted_revenues(revenues)
    cumulative = np.cumsum(values)
    reached = cumulative >= share * cumulative[-1] * (1 - _ROUNDING)
    k = int(np.argmax(reached)) + 1
    return k / len(values)


def _top_count(accounts: int, top: float) -> int:
    _check_fraction(top, "top")
    return max(1, math.ceil(top * accounts * (1 - _ROUNDING)))


def top_share(revenues: np.ndarray, top: float = 0.2) -> float:
    """The revenue share of the top ⌈top · N⌉ accounts."""
    _check_fraction(top, "top")
    values, total = _sorted_revenues(revenues)
    return float(values[: _top_count(len(values), top)].sum()) / total


def top_fraction(revenues: np.ndarray, top: float = 0.2) -> float:
    """The share of accounts that :func:`top_share` counts, ⌈top · N⌉ / N: ``top`` itself
    when N is a multiple of 1/top, more in a small portfolio (1 of 3 accounts is 33 %), so
    that a chart or a title states the share of accounts the figure is really about."""
    values, _ = _sorted_revenues(revenues)
    return _top_count(len(values), top) / len(values)


def hhi(revenues: np.ndarray) -> float:
    """The Herfindahl--Hirschman index Σ (100 · s_i)², near 0 (dispersed) to 10,000 (one)."""
    values, total = _sorted_revenues(revenues)
    return float(np.sum((100.0 * values / total) ** 2))


def effective_n(revenues: np.ndarray) -> float:
    """10,000 ÷ HHI: how many equal-sized accounts would give the same concentration."""
    return 10_000.0 / hhi(revenues)

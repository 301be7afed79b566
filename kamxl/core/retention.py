"""Revenue retention over a period: net and gross revenue retention, logos kept, expansion.

One value per account for the ``start`` and the ``end`` of the period. The cohort is the
accounts with start > 0; a blank or 0 end means the account churned; accounts with a blank
or 0 start are new and stay out of every figure.
"""

from __future__ import annotations

import numpy as np

from kamxl.errors import InvalidInputError, NoDataError

__all__ = ["expansion", "grr", "logo_retention", "nrr"]


def _cohort(start: np.ndarray, end: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    start = np.asarray(start, dtype=np.float64).ravel()
    end = np.asarray(end, dtype=np.float64).ravel()
    if start.shape != end.shape:
        raise InvalidInputError("start and end must have one value per account each")
    with np.errstate(invalid="ignore"):
        cohort = start > 0
    if not cohort.any():
        raise NoDataError("no account had revenue at the start of the period")
    return start[cohort], np.nan_to_num(end[cohort], nan=0.0)


def nrr(start: np.ndarray, end: np.ndarray) -> float:
    """Net revenue retention Σ end ÷ Σ start over the cohort (expansion included)."""
    s, e = _cohort(start, end)
    return float(e.sum() / s.sum())


def grr(start: np.ndarray, end: np.ndarray) -> float:
    """Gross revenue retention Σ min(end, start) ÷ Σ start: never above 1."""
    s, e = _cohort(start, end)
    return float(np.minimum(e, s).sum() / s.sum())


def logo_retention(start: np.ndarray, end: np.ndarray) -> float:
    """The share of the cohort's accounts still buying at the end of the period."""
    _, e = _cohort(start, end)
    return float(np.count_nonzero(e > 0) / len(e))


def expansion(start: np.ndarray, end: np.ndarray) -> float:
    """Revenue growth of the accounts that grew, Σ max(end − start, 0) ÷ Σ start."""
    s, e = _cohort(start, end)
    return float(np.maximum(e - s, 0.0).sum() / s.sum())

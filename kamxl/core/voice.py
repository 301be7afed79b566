"""Customer voice and account health: NPS, CES, CSAT, the health index, RAG status, trends.

Survey functions take the answers as one float array (NaN for a blank answer, skipped);
:func:`health_scores`, :func:`rags` and :func:`trends` work on one value per account.
"""

from __future__ import annotations

import numpy as np

from kamxl.core.rows import RowResults, first_code
from kamxl.core.scoring import weighted_scores
from kamxl.errors import NA, NoDataError, OutOfDomainError

__all__ = ["ces", "csat", "health_scores", "nps", "rags", "trends"]


def _answers(scores: np.ndarray, low: float, high: float, what: str) -> np.ndarray:
    values = np.asarray(scores, dtype=np.float64).ravel()
    values = values[~np.isnan(values)]
    if ((values < low) | (values > high)).any():
        raise OutOfDomainError(f"a {what} answer is outside {low:g}..{high:g}")
    if len(values) == 0:
        raise NoDataError(f"no {what} answer")
    return values


def nps(scores: np.ndarray) -> float:
    """Net Promoter Score: 100 · (share of 9--10 − share of 0--6), from −100 to 100."""
    values = np.asarray(scores, dtype=np.float64).ravel()
    present = values[~np.isnan(values)]
    if (present != np.floor(present)).any():
        raise OutOfDomainError("an NPS answer is not a whole number")
    values = _answers(values, 0, 10, "NPS")
    promoters = np.count_nonzero(values >= 9)
    detractors = np.count_nonzero(values <= 6)
    return 100.0 * (promoters - detractors) / len(values)


def ces(scores: np.ndarray, scale_max: float = 7.0) -> float:
    """Customer Effort Score: the mean answer on 1..scale_max."""
    if scale_max < 1:
        raise OutOfDomainError(f"scale_max must be ≥ 1, got {scale_max}")
    return float(_answers(scores, 1, scale_max, "CES").mean())


def csat(scores: np.ndarray) -> float:
    """Customer satisfaction: the share of answers 4 or 5 on a 1--5 scale."""
    values = _answers(scores, 1, 5, "CSAT")
    return np.count_nonzero(values >= 4) / len(values)


def health_scores(
    components: np.ndarray, weights: np.ndarray, lower: np.ndarray | None = None
) -> RowResults:
    """Account health 0--100: weighted mean of 0--100 components, ``lower`` ones inverted.

    The same computation as :func:`~kamxl.core.scoring.weighted_scores` on a 0--100 scale,
    so the error rules are those of ``KAM_SCORE``.
    """
    return weighted_scores(components, weights, 0.0, 100.0, lower)


def rags(values: np.ndarray, red_max: float = 50.0, amber_max: float = 75.0) -> RowResults:
    """Red/Amber/Green status: ``Red`` up to ``red_max``, ``Amber`` up to ``amber_max``."""
    if red_max > amber_max:
        raise OutOfDomainError(f"red_max ({red_max}) is above amber_max ({amber_max})")
    values = np.asarray(values, dtype=np.float64)
    status = np.where(values <= red_max, "Red", np.where(values <= amber_max, "Amber", "Green"))
    return RowResults(status.astype(object), first_code((np.isnan(values), NA)))


def trends(current: np.ndarray, previous: np.ndarray, tolerance: float = 0.0) -> RowResults:
    """``Up``, ``Down`` or ``Same``: the change from ``previous`` beyond ``tolerance``."""
    if tolerance < 0:
        raise OutOfDomainError(f"tolerance must be ≥ 0, got {tolerance}")
    current = np.asarray(current, dtype=np.float64)
    previous = np.asarray(previous, dtype=np.float64)
    change = current - previous
    with np.errstate(invalid="ignore"):
        direction = np.where(
            change > tolerance, "Up", np.where(change < -tolerance, "Down", "Same")
        )
    return RowResults(direction.astype(object), first_code((np.isnan(change), NA)))

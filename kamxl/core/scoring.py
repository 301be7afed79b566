"""Account scoring and segmentation: the selection matrix behind the key-account decision.

A portfolio is scored on weighted criteria (revenue potential, strategic fit, relationship
depth, ...) rated on a scale. The weighted score of all criteria ranks accounts; the scores
over the attractiveness and the strength criteria place them in the McDonald--Woodburn
portfolio matrix (:func:`quadrants`); thresholds on the score give tiers (:func:`tiers`).

Everything works on whole columns: ``ratings`` is an (accounts x criteria) float matrix with
NaN for a blank rating, and one call scores 100,000 accounts. Each account's score is
accumulated criterion by criterion in the same order whatever the number of accounts, so
scoring one account alone gives exactly the same float as scoring it in a portfolio.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from kamxl.core.rows import RowResults, first_code
from kamxl.errors import DIV0, NA, NUM, InvalidInputError, OutOfDomainError, ZeroDenominatorError

__all__ = [
    "QUADRANTS",
    "check_weights",
    "completeness",
    "quadrants",
    "score_contributions",
    "tiers",
    "weighted_scores",
]

#: The McDonald--Woodburn quadrants, by (attractiveness high?, strength high?).
QUADRANTS: dict[tuple[bool, bool], str] = {
    (True, True): "Strategic",
    (True, False): "Star",
    (False, True): "Status",
    (False, False): "Streamline",
}


def check_weights(weights: np.ndarray, what: str = "weights") -> np.ndarray:
    """Validate criterion weights: every weight present (``#VALUE!``) and ≥ 0 (``#NUM!``)."""
    weights = np.asarray(weights, dtype=np.float64).ravel()
    if np.isnan(weights).any():
        raise InvalidInputError(f"{what}: a weight is blank (put 0 to ignore a criterion)")
    if (weights < 0).any():
        raise OutOfDomainError(f"{what}: a weight is negative")
    return weights


def _matrix(ratings: np.ndarray, width: int) -> np.ndarray:
    ratings = np.asarray(ratings, dtype=np.float64)
    if ratings.ndim == 1:
        ratings = ratings.reshape(1, -1)
    if ratings.ndim != 2 or ratings.shape[1] != width:
        raise InvalidInputError(
            f"{ratings.shape[-1]} ratings for {width} weights: the ranges must match"
        )
    return ratings


@dataclass(frozen=True, slots=True)
class _Sums:
    """What a weighted score needs from each row, accumulated criterion by criterion."""

    points: np.ndarray  # Σ w·n over the criteria rated
    present_weight: np.ndarray  # Σ w over the criteria rated
    any_present: np.ndarray  # at least one criterion rated
    out_of_scale: np.ndarray  # a rating outside [scale_min, scale_max]


def _weighted_sums(
    ratings: np.ndarray,
    weights: np.ndarray,
    scale_min: float,
    scale_max: float,
    lower: np.ndarray,
) -> _Sums:
    """Accumulate Σ w·n and Σ w over the rated criteria of each row.

    The work runs one criterion at a time over a contiguous column of all accounts (a
    DataFrame's columns already are), adding in a fixed order that does not depend on the
    number of rows -- unlike a BLAS dot, whose blocking does -- so each account's score is
    bit-identical whether it is scored alone or among 100,000.
    """
    columns = np.ascontiguousarray(ratings.T)  # free for a column-major (pandas) matrix
    n = columns.shape[1]
    span = scale_max - scale_min
    points, present_weight = np.zeros(n), np.zeros(n)
    any_present = np.zeros(n, dtype=bool)
    present, normalised = np.empty(n, dtype=bool), np.empty(n)
    for column, weight, invert in zip(columns, weights.tolist(), lower.tolist(), strict=True):
        np.isnan(column, out=present)
        np.logical_not(present, out=present)
        np.subtract(column, scale_min, out=normalised)
        normalised /= span
        if invert:
            np.subtract(1.0, normalised, out=normalised)
        normalised *= weight
        np.add(points, normalised, out=points, where=present)
        np.add(present_weight, weight, out=present_weight, where=present)
        any_present |= present
    out_of_scale = np.zeros(n, dtype=bool)
    if columns.size and (
        np.fmin.reduce(columns, axis=None) < scale_min
        or np.fmax.reduce(columns, axis=None) > scale_max
    ):
        with np.errstate(invalid="ignore"):
            out_of_scale = ((columns < scale_min) | (columns > scale_max)).any(axis=0)
    return _Sums(points, present_weight, any_present, out_of_scale)


def _checked(
    ratings: np.ndarray,
    weights: np.ndarray,
    scale_min: float,
    scale_max: float,
    lower: np.ndarray | None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    weights = check_weights(weights)
    ratings = _matrix(ratings, len(weights))
    if not scale_min < scale_max:
        raise OutOfDomainError(f"scale_min ({scale_min}) must be below scale_max ({scale_max})")
    lower = np.zeros(len(weights), dtype=bool) if lower is None else np.asarray(lower, bool)
    if lower.shape != weights.shape:
        raise InvalidInputError("one direction per criterion is needed")
    return ratings, weights, lower


def weighted_scores(
    ratings: np.ndarray,
    weights: np.ndarray,
    scale_min: float = 1.0,
    scale_max: float = 5.0,
    lower: np.ndarray | None = None,
) -> RowResults:
    """The weighted score (0--100) of each row of ``ratings``.

    ``n = (r - scale_min) / (scale_max - scale_min)``, inverted (``1 - n``) for the criteria
    flagged in ``lower``; ``score = 100 · Σ w·n / Σ w`` over the criteria rated in that row.
    Row errors: a rating off the scale ``#NUM!``, no rating ``#N/A``, present weights summing
    to 0 ``#DIV/0!``. Bad weights or scale raise (they concern every row).
    """
    ratings, weights, lower = _checked(ratings, weights, scale_min, scale_max, lower)
    sums = _weighted_sums(ratings, weights, scale_min, scale_max, lower)
    with np.errstate(invalid="ignore", divide="ignore"):
        scores = 100.0 * (sums.points / sums.present_weight)
    errors = first_code(
        (sums.out_of_scale, NUM),
        (~sums.any_present, NA),
        (sums.present_weight == 0, DIV0),
    )
    return RowResults(scores, errors)


def completeness(ratings: np.ndarray, weights: np.ndarray) -> RowResults:
    """The share (0--1) of the total weight carried by the criteria rated in each row."""
    weights = check_weights(weights)
    ratings = _matrix(ratings, len(weights))
    total = float(weights.sum())
    if total == 0:
        raise ZeroDenominatorError("the weights sum to 0")
    # Ratings are not range-checked here: any present number counts as rated.
    present = np.where(np.isnan(ratings), np.nan, 0.0)
    sums = _weighted_sums(present, weights, -1.0, 1.0, np.zeros(len(weights), dtype=bool))
    return RowResults(sums.present_weight / total, np.zeros(len(ratings), dtype=np.int8))


def score_contributions(
    ratings: np.ndarray,
    weights: np.ndarray,
    scale_min: float = 1.0,
    scale_max: float = 5.0,
    lower: np.ndarray | None = None,
) -> tuple[np.ndarray, float]:
    """The points each criterion adds to one account's score, and the score.

    Contributions are ``100 · w·n / Σ present w`` (NaN for a blank rating); they add up to
    the score. Raises the score's error when the account has no score.
    """
    score = weighted_scores(ratings, weights, scale_min, scale_max, lower).scalar()
    ratings, weights, lower = _checked(ratings, weights, scale_min, scale_max, lower)
    row = ratings[0]
    normalised = (row - scale_min) / (scale_max - scale_min)
    normalised[lower] = 1.0 - normalised[lower]
    present = ~np.isnan(row)
    contributions = 100.0 * (normalised * weights) / float(weights[present].sum())
    return contributions, score


def quadrants(
    attractiveness: np.ndarray,
    strength: np.ndarray,
    cut_attractiveness: float = 50.0,
    cut_strength: float = 50.0,
) -> RowResults:
    """The portfolio-matrix quadrant of each account; a value equal to its cut counts as high.

    ``Strategic`` (attractive, strong), ``Star`` (attractive, not yet strong), ``Status``
    (less attractive, strong), ``Streamline`` (neither). A blank value is ``#N/A``.
    """
    attractiveness = np.asarray(attractiveness, dtype=np.float64)
    strength = np.asarray(strength, dtype=np.float64)
    high_a = attractiveness >= cut_attractiveness
    high_s = strength >= cut_strength
    values = np.empty(attractiveness.shape, dtype=object)
    for (a, s), name in QUADRANTS.items():
        values[(high_a == a) & (high_s == s)] = name
    errors = first_code((np.isnan(attractiveness) | np.isnan(strength), NA))
    return RowResults(values, errors)


def tiers(
    scores: np.ndarray,
    thresholds: Sequence[float] | np.ndarray = (70.0, 40.0),
    labels: Sequence[Any] = ("A", "B", "C"),
) -> RowResults:
    """The tier of each score: the first label whose threshold the score reaches.

    ``thresholds`` are in descending order (ties allowed, else ``#NUM!``); there is one more
    label than thresholds (else ``#VALUE!``), the last one for scores below every threshold.
    A blank score is ``#N/A``.
    """
    thresholds = np.asarray(thresholds, dtype=np.float64).ravel()
    if len(labels) != len(thresholds) + 1:
        raise InvalidInputError(
            f"{len(labels)} labels for {len(thresholds)} thresholds: one more label is needed"
        )
    if np.isnan(thresholds).any():
        raise InvalidInputError("a tier threshold is blank")
    if (np.diff(thresholds) > 0).any():
        raise OutOfDomainError("tier thresholds must be in descending order")
    scores = np.asarray(scores, dtype=np.float64)
    ascending = thresholds[::-1]
    # Number of thresholds above the score = index of the first threshold it reaches.
    index = len(thresholds) - np.searchsorted(ascending, scores, side="right")
    label_array = np.empty(len(labels), dtype=object)
    label_array[:] = list(labels)
    index = np.where(np.isnan(scores), len(labels) - 1, index)
    return RowResults(label_array[index], first_code((np.isnan(scores), NA)))

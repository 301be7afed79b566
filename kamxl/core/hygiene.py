"""Account plan hygiene: is the plan fresh, and does the relationship map cover the roles?

A plan nobody has touched for months is a plan nobody follows; a relationship map without an
economic buyer or an executive sponsor is a risk. Dates are day numbers (see
:mod:`kamxl.core.cells`).
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

from kamxl.core.rows import RowResults, first_code
from kamxl.core.words import normalise_word
from kamxl.errors import NA, NUM, NoDataError, OutOfDomainError

__all__ = ["REQUIRED_ROLES", "coverage", "freshness"]

#: The stakeholder roles a key account's relationship map should cover.
REQUIRED_ROLES: tuple[str, ...] = (
    "decision maker",
    "economic buyer",
    "influencer",
    "champion",
    "executive sponsor",
)


def freshness(
    last_update: np.ndarray, as_of: np.ndarray | float, half_life_days: float = 90.0
) -> RowResults:
    """Plan freshness 100 · 0.5^(age ÷ half-life): 100 when updated on ``as_of``, 50 after one
    half-life. A blank date is ``#N/A``; an update after ``as_of`` is ``#NUM!``."""
    if not half_life_days > 0:
        raise OutOfDomainError(f"half_life_days must be > 0, got {half_life_days}")
    last_update = np.asarray(last_update, dtype=np.float64)
    age = np.asarray(as_of, dtype=np.float64) - last_update
    with np.errstate(invalid="ignore"):
        values = 100.0 * np.exp2(-age / half_life_days)
        errors = first_code((age < 0, NUM), (np.isnan(age), NA))
    return RowResults(np.broadcast_to(values, errors.shape).copy(), errors)


def coverage(roles: Iterable[str | None], required: Iterable[str | None] = REQUIRED_ROLES) -> float:
    """The share of the ``required`` roles held by at least one stakeholder in ``roles``."""
    wanted = {normalise_word(r) for r in required if r is not None and r.strip()}
    if not wanted:
        raise NoDataError("no required role is given")
    present = {normalise_word(r) for r in roles if r is not None}
    return len(wanted & present) / len(wanted)

"""Pipeline and forecasting: win rate, sales cycle, and the accuracy of revenue forecasts.

Opportunity outcomes are words a KAM types (``won``, ``lost``, ``no decision``, ``open``, or
their French equivalents); :func:`outcome_codes` reads them. The forecast measures compare
forecast and actual revenue over the rows where both are present.
"""

from __future__ import annotations

from collections.abc import Iterable
from enum import IntEnum

import numpy as np

from kamxl.core.words import normalise_word
from kamxl.errors import InvalidInputError, NoDataError, OutOfDomainError, ZeroDenominatorError

__all__ = [
    "OUTCOME_WORDS",
    "Outcome",
    "bias",
    "forecast_accuracy",
    "mape",
    "median_cycle_days",
    "outcome_codes",
    "wape",
    "win_rate",
]


class Outcome(IntEnum):
    """Where an opportunity stands. ``NONE`` is a blank outcome cell."""

    NONE = -1
    OPEN = 0
    WON = 1
    LOST = 2
    NO_DECISION = 3


#: Accepted outcome words (compared after :func:`normalise_word`), English and French.
OUTCOME_WORDS: dict[str, Outcome] = {
    "open": Outcome.OPEN,
    "won": Outcome.WON,
    "lost": Outcome.LOST,
    "no decision": Outcome.NO_DECISION,
    "en cours": Outcome.OPEN,
    "gagne": Outcome.WON,
    "perdu": Outcome.LOST,
    "sans suite": Outcome.NO_DECISION,
}

_CLOSED = (Outcome.WON, Outcome.LOST, Outcome.NO_DECISION)


def outcome_codes(outcomes: Iterable[str | None]) -> np.ndarray:
    """Outcome words as :class:`Outcome` codes; an unknown word is ``#VALUE!``."""
    codes = []
    for i, text in enumerate(outcomes):
        if text is None or not text.strip():
            codes.append(Outcome.NONE)
            continue
        code = OUTCOME_WORDS.get(normalise_word(text))
        if code is None:
            raise InvalidInputError(
                f"outcome {i + 1} is {text!r}; expected won, lost, no decision or open "
                "(gagné, perdu, sans suite, en cours)"
            )
        codes.append(code)
    return np.array(codes, dtype=np.int8)


def win_rate(outcomes: np.ndarray, amounts: np.ndarray | None = None) -> float:
    """Won ÷ (won + lost + no decision), by count or, with ``amounts``, by value.

    Open and blank outcomes are left out; a blank amount counts as 0.
    """
    outcomes = np.asarray(outcomes, dtype=np.int8)
    closed = np.isin(outcomes, _CLOSED)
    won = outcomes == Outcome.WON
    if amounts is None:
        weights = np.ones(len(outcomes))
    else:
        weights = np.nan_to_num(np.asarray(amounts, dtype=np.float64))
        if weights.shape != outcomes.shape:
            raise InvalidInputError("one amount per outcome is needed")
        if (weights < 0).any():
            raise OutOfDomainError("an opportunity amount is negative")
    if not closed.any():
        raise NoDataError("no opportunity is closed")
    closed_value = float(weights[closed].sum())
    if closed_value == 0:
        raise ZeroDenominatorError("the closed opportunities are worth 0")
    return float(weights[won].sum()) / closed_value


def median_cycle_days(created: np.ndarray, closed: np.ndarray) -> float:
    """Median days from creation to closing, over the rows with both dates (day numbers)."""
    created = np.asarray(created, dtype=np.float64)
    closed = np.asarray(closed, dtype=np.float64)
    if created.shape != closed.shape:
        raise InvalidInputError("one closing date per creation date is needed")
    both = ~np.isnan(created) & ~np.isnan(closed)
    days = closed[both] - created[both]
    if (days < 0).any():
        raise OutOfDomainError("an opportunity closed before it was created")
    if len(days) == 0:
        raise NoDataError("no opportunity has both a creation and a closing date")
    return float(np.median(days))


def _paired(forecast: np.ndarray, actual: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    forecast = np.asarray(forecast, dtype=np.float64).ravel()
    actual = np.asarray(actual, dtype=np.float64).ravel()
    if forecast.shape != actual.shape:
        raise InvalidInputError("one actual per forecast is needed")
    both = ~np.isnan(forecast) & ~np.isnan(actual)
    if not both.any():
        raise NoDataError("no row has both a forecast and an actual")
    return forecast[both], actual[both]


def wape(forecast: np.ndarray, actual: np.ndarray) -> float:
    """Weighted absolute percentage error Σ|A − F| ÷ Σ|A|."""
    f, a = _paired(forecast, actual)
    total = float(np.abs(a).sum())
    if total == 0:
        raise ZeroDenominatorError("the actuals sum to 0")
    return float(np.abs(a - f).sum()) / total


def forecast_accuracy(forecast: np.ndarray, actual: np.ndarray) -> float:
    """Forecast accuracy max(0, 1 − WAPE)."""
    return max(0.0, 1.0 - wape(forecast, actual))


def bias(forecast: np.ndarray, actual: np.ndarray) -> float:
    """Forecast bias Σ(F − A) ÷ Σ A; positive when the forecast was too high."""
    f, a = _paired(forecast, actual)
    total = float(a.sum())
    if total == 0:
        raise ZeroDenominatorError("the actuals sum to 0")
    return float((f - a).sum()) / total


def mape(forecast: np.ndarray, actual: np.ndarray) -> float:
    """Mean absolute percentage error over the rows whose actual is not 0."""
    f, a = _paired(forecast, actual)
    nonzero = a != 0
    if not nonzero.any():
        raise ZeroDenominatorError("every actual is 0")
    return float(np.mean(np.abs(a[nonzero] - f[nonzero]) / np.abs(a[nonzero])))

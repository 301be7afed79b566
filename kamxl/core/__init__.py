"""The computation engine: pure functions on numpy arrays, no files, no Excel.

Every ``KAM_*`` worksheet function, the headless recalc, the decks and the batch runs call
these functions, so a figure is the same wherever it is shown. Functions over many accounts
return :class:`~kamxl.core.rows.RowResults` (a value and an error code per account);
functions that reduce a portfolio to one figure return a float or raise a
:class:`~kamxl.errors.FormulaError`.
"""

from __future__ import annotations

from kamxl.core.concentration import effective_n, hhi, pareto_ratio, top_fraction, top_share
from kamxl.core.hygiene import REQUIRED_ROLES, coverage, freshness
from kamxl.core.pipeline import (
    OUTCOME_WORDS,
    Outcome,
    bias,
    forecast_accuracy,
    mape,
    median_cycle_days,
    outcome_codes,
    wape,
    win_rate,
)
from kamxl.core.profitability import (
    customer_lifetime_value,
    margin_accounts,
    margin_rates,
    portfolio_margin_rate,
    portfolio_share_of_wallet,
    program_roi,
    shares_of_wallet,
)
from kamxl.core.retention import expansion, grr, logo_retention, nrr
from kamxl.core.rounding import excel_round
from kamxl.core.rows import RowResults
from kamxl.core.scoring import (
    QUADRANTS,
    completeness,
    quadrants,
    score_contributions,
    tiers,
    weighted_scores,
)
from kamxl.core.voice import ces, csat, health_scores, nps, rags, trends
from kamxl.core.words import normalise_word

__all__ = [
    "OUTCOME_WORDS",
    "QUADRANTS",
    "REQUIRED_ROLES",
    "Outcome",
    "RowResults",
    "bias",
    "ces",
    "completeness",
    "coverage",
    "csat",
    "customer_lifetime_value",
    "effective_n",
    "excel_round",
    "expansion",
    "forecast_accuracy",
    "freshness",
    "grr",
    "health_scores",
    "hhi",
    "logo_retention",
    "mape",
    "margin_accounts",
    "margin_rates",
    "median_cycle_days",
    "normalise_word",
    "nps",
    "nrr",
    "outcome_codes",
    "pareto_ratio",
    "portfolio_margin_rate",
    "portfolio_share_of_wallet",
    "program_roi",
    "quadrants",
    "rags",
    "score_contributions",
    "shares_of_wallet",
    "tiers",
    "top_fraction",
    "top_share",
    "trends",
    "wape",
    "weighted_scores",
    "win_rate",
]

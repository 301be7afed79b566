"""The KAM_* worksheet functions (the formula catalogue of ``shared/spec/formulas.md``).

Each function takes its arguments exactly as Excel passes them (2-D lists of cells, ``None``
for a blank, error text for an error cell, dates as ``datetime`` or serial numbers) and
returns what the cell shows: a number, a text, a 2-D list that spills, or an error text.
Each is a thin adapter: convert the cells (:mod:`kamxl.core.cells`), call the engine
(:mod:`kamxl.core`), let :func:`~kamxl.excel.adapter.excel_function` map errors. The
docstrings are the help Excel shows for the function.
"""

from __future__ import annotations

import math
from datetime import date
from typing import Any

import numpy as np

import kamxl
from kamxl import core
from kamxl.core import cells
from kamxl.errors import DIV0, InvalidInputError, error_text
from kamxl.excel.adapter import udf

__all__ = [
    "KAM_BIAS",
    "KAM_CES",
    "KAM_CLV",
    "KAM_COMPLETENESS",
    "KAM_COVERAGE",
    "KAM_CSAT",
    "KAM_CYCLE",
    "KAM_EFFECTIVE_N",
    "KAM_EXPANSION",
    "KAM_FORECAST_ACCURACY",
    "KAM_FRESHNESS",
    "KAM_GRR",
    "KAM_HEALTH",
    "KAM_HHI",
    "KAM_LOGO_RETENTION",
    "KAM_MAPE",
    "KAM_MARGIN",
    "KAM_NPS",
    "KAM_NRR",
    "KAM_PARETO",
    "KAM_QUADRANT",
    "KAM_RAG",
    "KAM_ROI",
    "KAM_SCORE",
    "KAM_SCORES",
    "KAM_SCORE_EXPLAIN",
    "KAM_SOW",
    "KAM_TIER",
    "KAM_TOPSHARE",
    "KAM_TREND",
    "KAM_VERSION",
    "KAM_WAPE",
    "KAM_WIN_RATE",
]

Cells = Any  # a cell, a 1-D list of cells or a 2-D list of rows, as Excel passes a range

#: What Excel's Insert Function dialog says of each argument.
ARGUMENTS: dict[str, str] = {
    "ratings": "The account's ratings, one cell per criterion (a row or a column).",
    "ratings_matrix": "Ratings of many accounts: one row per account, one column per criterion.",
    "weights": "The criterion weights (>= 0), one per rating, in the same order.",
    "scale_min": "Lowest rating of the scale (default 1).",
    "scale_max": "Highest rating of the scale (default 5).",
    "directions": 'Per criterion "higher" (or 1, blank) if high is good, "lower" (or -1) if bad.',
    "labels": "Criterion names shown in the first column (default C1, C2, ...).",
    "attractiveness": "The account's attractiveness score (0-100).",
    "strength": "Our strength with the account (0-100).",
    "cut_attractiveness": "Attractiveness from which an account counts as attractive (50).",
    "cut_strength": "Strength from which we count as strong (50).",
    "score": "The account's score (0-100).",
    "thresholds": "Score thresholds of the tiers, in descending order (default {70,40}).",
    "revenues": "Revenue per account (blanks ignored, negatives count 0).",
    "share": "Share of total revenue to reach (default 0.8).",
    "top": "Fraction of accounts at the top (default 0.2).",
    "start_revenue": "Revenue of each account at the start of the period.",
    "end_revenue": "Revenue of each account at the end of the period (blank or 0 = churned).",
    "revenue": "Our revenue (a cell, or a range summed).",
    "variable_costs": "Variable costs of that revenue (a cell or a range).",
    "cost_to_serve": "Cost to serve the account (optional, default 0).",
    "wallet": "The customer's total spend in our category.",
    "annual_margin": "Margin the account brings each year.",
    "retention": "Probability of keeping the account each year (0-1).",
    "discount_rate": "Yearly discount rate (e.g. 0.1).",
    "years": "Number of years (omit for an infinite horizon).",
    "incremental_margin": "Margin the programme brought in.",
    "program_cost": "What the programme cost.",
    "scores": "Survey answers (blanks skipped).",
    "values": "Health components on 0-100 (adoption, engagement, ...).",
    "value": "The value to classify (e.g. health 0-100).",
    "red_max": "Highest value still Red (default 50).",
    "amber_max": "Highest value still Amber (default 75).",
    "current": "The value now.",
    "previous": "The value before.",
    "tolerance": "Change smaller than this counts as Same (default 0).",
    "outcomes": "Outcome of each opportunity: won, lost, no decision, open (or French).",
    "amounts": "Amount of each opportunity (optional: win rate by value).",
    "created": "Creation date of each opportunity.",
    "closed": "Closing date of each opportunity.",
    "forecast": "Forecast revenue per period or account.",
    "actual": "Actual revenue, in the same order.",
    "last_update": "Date the account plan was last updated.",
    "as_of": "Date of the measure (default today).",
    "half_life_days": "Days after which freshness halves (default 90).",
    "roles": "Roles of the account's stakeholders.",
    "required": "Roles that must be covered (default: decision maker, economic buyer, ...).",
}


def _described(*names: str, **specific: str) -> dict[str, str]:
    """Descriptions of ``names`` from :data:`ARGUMENTS`, with function-specific ones."""
    return {name: specific.get(name, ARGUMENTS[name]) for name in [*names, *specific]}


# --- shared argument readers --------------------------------------------------------------


def _scale(scale_min: Cells, scale_max: Cells) -> tuple[float, float]:
    return (
        cells.optional_number(scale_min, "scale_min", 1.0),
        cells.optional_number(scale_max, "scale_max", 5.0),
    )


def _ratings_and_weights(ratings: Cells, weights: Cells) -> tuple[np.ndarray, np.ndarray]:
    r = cells.numbers(ratings, "ratings")
    w = cells.numbers(weights, "weights")
    cells.same_length("ratings and weights", r, w)
    return r, w


def _pairs(first: Cells, second: Cells, names: str) -> tuple[np.ndarray, np.ndarray]:
    a = cells.numbers(first, names)
    b = cells.numbers(second, names)
    cells.same_length(names, a, b)
    return a, b


def _one(values: np.ndarray | float) -> np.ndarray:
    return np.array([values], dtype=np.float64)


# --- scoring and segmentation -------------------------------------------------------------


@udf(arguments=_described("ratings", "weights", "scale_min", "scale_max", "directions"))
def KAM_SCORE(
    ratings: Cells,
    weights: Cells,
    scale_min: Cells = None,
    scale_max: Cells = None,
    directions: Cells = None,
) -> Any:
    """Weighted score 0-100 of one account's ratings on [scale_min, scale_max] (1-5).

    Criteria whose direction is "lower" or -1 count inverted; blank ratings are skipped and
    the weights renormalised. #N/A if nothing is rated.
    """
    r, w = _ratings_and_weights(ratings, weights)
    lower = cells.directions(directions, len(w))
    return core.weighted_scores(r, w, *_scale(scale_min, scale_max), lower).scalar()


@udf(
    arguments=_described("ratings_matrix", "weights", "scale_min", "scale_max", "directions"),
    rowwise=("ratings_matrix",),
)
def KAM_SCORES(
    ratings_matrix: Cells,
    weights: Cells,
    scale_min: Cells = None,
    scale_max: Cells = None,
    directions: Cells = None,
) -> Any:
    """Weighted scores 0-100 of many accounts at once, one per row of the ratings matrix.

    Returns a column that spills: row i is KAM_SCORE of row i of the matrix. A bad row shows
    its own error and leaves the other rows alone.
    """
    matrix, row_errors = cells.number_matrix(ratings_matrix, "ratings_matrix")
    w = cells.numbers(weights, "weights")
    lower = cells.directions(directions, len(w))
    if matrix.shape[1] != len(w):
        raise InvalidInputError(f"{matrix.shape[1]} criteria in the matrix, {len(w)} weights")
    scored = core.weighted_scores(matrix, w, *_scale(scale_min, scale_max), lower)
    return scored.with_row_errors(row_errors).to_column()


@udf(arguments=_described("ratings", "weights"))
def KAM_COMPLETENESS(ratings: Cells, weights: Cells) -> Any:
    """Share (0-1) of the total criterion weight that is rated for this account.

    1 when every criterion is rated; #DIV/0! when the weights sum to 0.
    """
    r, w = _ratings_and_weights(ratings, weights)
    return core.completeness(r, w).scalar()


@udf(arguments=_described("ratings", "weights", "scale_min", "scale_max", "directions", "labels"))
def KAM_SCORE_EXPLAIN(
    ratings: Cells,
    weights: Cells,
    scale_min: Cells = None,
    scale_max: Cells = None,
    directions: Cells = None,
    labels: Cells = None,
) -> Any:
    """Why an account scores what it scores: spills one row per criterion.

    Columns: label (C1, C2, ... without labels), contribution in points (they add up to
    KAM_SCORE), share of the score. A criterion not rated shows blanks.
    """
    r, w = _ratings_and_weights(ratings, weights)
    lower = cells.directions(directions, len(w))
    names = [None] * len(w) if labels is None else cells.cells(labels)
    if len(names) != len(w):
        raise InvalidInputError(f"{len(names)} labels for {len(w)} criteria")
    points, score = core.score_contributions(r, w, *_scale(scale_min, scale_max), lower)
    rows = []
    for k, (name, contribution) in enumerate(zip(names, points.tolist(), strict=True)):
        label = f"C{k + 1}" if name is None or name == "" else name
        if math.isnan(contribution):
            rows.append([label, None, None])
        else:
            share = contribution / score if score != 0 else error_text(DIV0)
            rows.append([label, contribution, share])
    return rows


@udf(arguments=_described("attractiveness", "strength", "cut_attractiveness", "cut_strength"))
def KAM_QUADRANT(
    attractiveness: Cells,
    strength: Cells,
    cut_attractiveness: Cells = None,
    cut_strength: Cells = None,
) -> Any:
    """Portfolio-matrix quadrant: Strategic, Star, Status or Streamline.

    Strategic = attractive and strong, Star = attractive not yet strong, Status = strong but
    less attractive, Streamline = neither. A value equal to its cut (50) is high.
    """
    return core.quadrants(
        _one(cells.number(attractiveness, "attractiveness")),
        _one(cells.number(strength, "strength")),
        cells.optional_number(cut_attractiveness, "cut_attractiveness", 50.0),
        cells.optional_number(cut_strength, "cut_strength", 50.0),
    ).scalar()


@udf(
    arguments=_described(
        "score", "thresholds", labels='Tier labels, one more than thresholds ({"A","B","C"}).'
    )
)
def KAM_TIER(score: Cells, thresholds: Cells = None, labels: Cells = None) -> Any:
    """Tier of a score: the first label whose threshold the score reaches.

    Thresholds in descending order (default {70,40}), one more label than thresholds
    (default {"A","B","C"}); below every threshold gives the last label.
    """
    value = cells.number(score, "score")
    limits = (70.0, 40.0) if thresholds is None else cells.numbers(thresholds, "thresholds")
    names = ("A", "B", "C") if labels is None else cells.cells(labels)
    if any(name is None or name == "" for name in names):
        raise InvalidInputError("a tier label is blank")
    return core.tiers(_one(value), limits, names).scalar()


# --- portfolio concentration ------------------------------------------------------------


@udf(arguments=_described("revenues", "share"))
def KAM_PARETO(revenues: Cells, share: Cells = None) -> Any:
    """Smallest fraction of accounts whose revenue reaches `share` (default 0.8) of the total.

    0.2 means the top 20% of accounts make 80% of revenue. Blanks ignored, negatives as 0.
    """
    fraction = cells.optional_number(share, "share", 0.8)
    return core.pareto_ratio(cells.numbers(revenues, "revenues"), fraction)


@udf(arguments=_described("revenues", "top"))
def KAM_TOPSHARE(revenues: Cells, top: Cells = None) -> Any:
    """Revenue share of the top `top` fraction of accounts (default 0.2: the top 20%)."""
    fraction = cells.optional_number(top, "top", 0.2)
    return core.top_share(cells.numbers(revenues, "revenues"), fraction)


@udf(arguments=_described("revenues"))
def KAM_HHI(revenues: Cells) -> Any:
    """Herfindahl-Hirschman index of revenue concentration, 0 to 10,000 (one account)."""
    return core.hhi(cells.numbers(revenues, "revenues"))


@udf(arguments=_described("revenues"))
def KAM_EFFECTIVE_N(revenues: Cells) -> Any:
    """Effective number of accounts: 10,000 / HHI, the count of equal accounts with the same
    concentration."""
    return core.effective_n(cells.numbers(revenues, "revenues"))


# --- revenue retention --------------------------------------------------------------------


@udf(arguments=_described("start_revenue", "end_revenue"))
def KAM_NRR(start_revenue: Cells, end_revenue: Cells) -> Any:
    """Net revenue retention: end revenue / start revenue of the accounts present at start.

    A blank or 0 end is a churned account; accounts with no start revenue are new and left
    out.
    """
    return core.nrr(*_pairs(start_revenue, end_revenue, "start_revenue and end_revenue"))


@udf(arguments=_described("start_revenue", "end_revenue"))
def KAM_GRR(start_revenue: Cells, end_revenue: Cells) -> Any:
    """Gross revenue retention: like KAM_NRR but each account counts at most its start
    revenue (expansion left out), so never above 1."""
    return core.grr(*_pairs(start_revenue, end_revenue, "start_revenue and end_revenue"))


@udf(arguments=_described("start_revenue", "end_revenue"))
def KAM_LOGO_RETENTION(start_revenue: Cells, end_revenue: Cells) -> Any:
    """Share of the accounts present at start that still buy at the end of the period."""
    return core.logo_retention(*_pairs(start_revenue, end_revenue, "start_revenue and end_revenue"))


@udf(arguments=_described("start_revenue", "end_revenue"))
def KAM_EXPANSION(start_revenue: Cells, end_revenue: Cells) -> Any:
    """Expansion: growth of the accounts that grew, as a share of start revenue."""
    return core.expansion(*_pairs(start_revenue, end_revenue, "start_revenue and end_revenue"))


# --- profitability and value ----------------------------------------------------------------


@udf(arguments=_described("revenue", "variable_costs", "cost_to_serve"))
def KAM_MARGIN(revenue: Cells, variable_costs: Cells, cost_to_serve: Cells = None) -> Any:
    """Contribution margin rate: (revenue - variable costs - cost to serve) / revenue.

    Ranges are summed first (a portfolio margin). May be negative; #DIV/0! for revenue 0.
    """
    return core.portfolio_margin_rate(
        cells.numbers(revenue, "revenue"),
        cells.numbers(variable_costs, "variable_costs"),
        None if cost_to_serve is None else cells.numbers(cost_to_serve, "cost_to_serve"),
    )


@udf(arguments=_described("revenue", "wallet"))
def KAM_SOW(revenue: Cells, wallet: Cells) -> Any:
    """Share of wallet: our revenue / the customer's total spend in our category (0-1).

    #N/A when the wallet is blank, #DIV/0! when it is 0, #NUM! when revenue exceeds it.
    """
    return core.portfolio_share_of_wallet(*_pairs(revenue, wallet, "revenue and wallet"))


@udf(arguments=_described("annual_margin", "retention", "discount_rate", "years"))
def KAM_CLV(
    annual_margin: Cells, retention: Cells, discount_rate: Cells, years: Cells = None
) -> Any:
    """Customer lifetime value: yearly margin kept with probability `retention`, discounted.

    Over `years` years, or forever when `years` is omitted (margin * r / (1 + d - r)).
    """
    return core.customer_lifetime_value(
        cells.number(annual_margin, "annual_margin"),
        cells.number(retention, "retention"),
        cells.number(discount_rate, "discount_rate"),
        cells.optional_number(years, "years", None),
    )


@udf(arguments=_described("incremental_margin", "program_cost"))
def KAM_ROI(incremental_margin: Cells, program_cost: Cells) -> Any:
    """Return on a key-account programme: (incremental margin - cost) / cost."""
    return core.program_roi(
        cells.number(incremental_margin, "incremental_margin"),
        cells.number(program_cost, "program_cost"),
    )


# --- customer voice and health --------------------------------------------------------------


@udf(arguments=_described("scores"))
def KAM_NPS(scores: Cells) -> Any:
    """Net Promoter Score, -100 to 100: % of 9-10 answers minus % of 0-6 answers."""
    return core.nps(cells.numbers(scores, "scores"))


@udf(arguments=_described("scores", scale_max="Highest answer of the effort scale (default 7)."))
def KAM_CES(scores: Cells, scale_max: Cells = None) -> Any:
    """Customer Effort Score: mean answer on 1 to scale_max (default 7)."""
    top = cells.optional_number(scale_max, "scale_max", 7.0)
    return core.ces(cells.numbers(scores, "scores"), top)


@udf(arguments=_described("scores"))
def KAM_CSAT(scores: Cells) -> Any:
    """Customer satisfaction: share of answers 4 or 5 on a 1-5 scale."""
    return core.csat(cells.numbers(scores, "scores"))


@udf(
    arguments=_described(
        "values", "directions", weights="Weight of each component (>= 0), in the same order."
    )
)
def KAM_HEALTH(values: Cells, weights: Cells, directions: Cells = None) -> Any:
    """Account health 0-100: weighted mean of 0-100 components (adoption, engagement, ...).

    Components whose direction is "lower" (such as risk) count as 100 - value; blank
    components are left out and the weights renormalised.
    """
    v = cells.numbers(values, "values")
    w = cells.numbers(weights, "weights")
    cells.same_length("values and weights", v, w)
    return core.health_scores(v, w, cells.directions(directions, len(w))).scalar()


@udf(arguments=_described("value", "red_max", "amber_max"))
def KAM_RAG(value: Cells, red_max: Cells = None, amber_max: Cells = None) -> Any:
    """Red / Amber / Green status: Red up to red_max (50), Amber up to amber_max (75)."""
    return core.rags(
        _one(cells.number(value, "value")),
        cells.optional_number(red_max, "red_max", 50.0),
        cells.optional_number(amber_max, "amber_max", 75.0),
    ).scalar()


@udf(arguments=_described("current", "previous", "tolerance"))
def KAM_TREND(current: Cells, previous: Cells, tolerance: Cells = None) -> Any:
    """Up, Down or Same: how `current` moved from `previous`, beyond `tolerance` (0)."""
    return core.trends(
        _one(cells.number(current, "current")),
        _one(cells.number(previous, "previous")),
        cells.optional_number(tolerance, "tolerance", 0.0),
    ).scalar()


# --- pipeline and forecasting ---------------------------------------------------------------


@udf(arguments=_described("outcomes", "amounts"))
def KAM_WIN_RATE(outcomes: Cells, amounts: Cells = None) -> Any:
    """Win rate: won / (won + lost + no decision), by count or by value with `amounts`.

    Outcomes in any case, English or French (gagné, perdu, sans suite, en cours); open and
    blank opportunities are left out.
    """
    codes = core.outcome_codes(cells.texts(outcomes, "outcomes"))
    if amounts is None:
        return core.win_rate(codes)
    values = cells.numbers(amounts, "amounts")
    cells.same_length("outcomes and amounts", codes, values)
    return core.win_rate(codes, values)


@udf(arguments=_described("created", "closed"))
def KAM_CYCLE(created: Cells, closed: Cells) -> Any:
    """Median sales cycle in days, from created to closed, over opportunities with both."""
    start = cells.day_numbers(created, "created")
    end = cells.day_numbers(closed, "closed")
    cells.same_length("created and closed", start, end)
    return core.median_cycle_days(start, end)


@udf(arguments=_described("forecast", "actual"))
def KAM_WAPE(forecast: Cells, actual: Cells) -> Any:
    """Weighted absolute percentage error of a forecast: sum|A - F| / sum|A|."""
    return core.wape(*_pairs(forecast, actual, "forecast and actual"))


@udf(arguments=_described("forecast", "actual"))
def KAM_FORECAST_ACCURACY(forecast: Cells, actual: Cells) -> Any:
    """Forecast accuracy: max(0, 1 - WAPE)."""
    return core.forecast_accuracy(*_pairs(forecast, actual, "forecast and actual"))


@udf(arguments=_described("forecast", "actual"))
def KAM_BIAS(forecast: Cells, actual: Cells) -> Any:
    """Forecast bias: sum(F - A) / sum(A); positive when forecasts were too high."""
    return core.bias(*_pairs(forecast, actual, "forecast and actual"))


@udf(arguments=_described("forecast", "actual"))
def KAM_MAPE(forecast: Cells, actual: Cells) -> Any:
    """Mean absolute percentage error of a forecast, over rows whose actual is not 0."""
    return core.mape(*_pairs(forecast, actual, "forecast and actual"))


# --- account plan hygiene -----------------------------------------------------------------


@udf(arguments=_described("last_update", "as_of", "half_life_days"), volatile=True)
def KAM_FRESHNESS(last_update: Cells, as_of: Cells = None, half_life_days: Cells = None) -> Any:
    """Plan freshness 0-100: 100 if updated on `as_of` (default today), halving every
    `half_life_days` (default 90)."""
    updated = cells.day_number(last_update, "last_update")
    today = cells.day_number(date.today(), "today")
    reference = cells.day_number(as_of, "as_of")
    half_life = cells.optional_number(half_life_days, "half_life_days", 90.0)
    return core.freshness(
        _one(updated), today if math.isnan(reference) else reference, half_life
    ).scalar()


@udf(arguments=_described("roles", "required"))
def KAM_COVERAGE(roles: Cells, required: Cells = None) -> Any:
    """Share of the required stakeholder roles covered by the relationship map.

    Default required roles: decision maker, economic buyer, influencer, champion,
    executive sponsor. Case does not matter.
    """
    wanted = core.REQUIRED_ROLES if required is None else cells.texts(required, "required")
    return core.coverage(cells.texts(roles, "roles"), wanted)


@udf(arguments=_described())
def KAM_VERSION() -> str:
    """The version of kamxl answering these functions (to check an add-in installation)."""
    return kamxl.__version__

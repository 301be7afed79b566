"""Portfolio KPIs of a workbook: the figures a sales director looks at first.

Each figure is computed with the catalogue's engine from the workbook's own data; a figure
that cannot be computed (no survey answer, no closed opportunity) is a :class:`Figure`
without value but with the reason, so that every output can show "—" and say why.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from kamxl import core
from kamxl.errors import FormulaError
from kamxl.workbook.compute import day_numbers_of
from kamxl.workbook.model import KamWorkbook

__all__ = ["Figure", "PortfolioKpis", "figure", "portfolio_kpis"]


@dataclass(frozen=True, slots=True)
class Figure:
    """A KPI value, or ``None`` with the Excel error and the reason it has no value."""

    value: float | None
    error: str | None = None
    reason: str | None = None

    @property
    def ok(self) -> bool:
        return self.value is not None


def figure(compute: Callable[..., float], *args: Any) -> Figure:
    """Evaluate a core function; a :class:`FormulaError` becomes a valueless Figure."""
    try:
        return Figure(float(compute(*args)))
    except FormulaError as error:
        return Figure(None, error.excel_code, str(error))


@dataclass(frozen=True, slots=True)
class PortfolioKpis:
    """The headline figures of a portfolio for the current period."""

    period: str | None
    previous_period: str | None
    accounts: int
    key_accounts: int
    revenue: float
    revenue_previous: float
    nrr: Figure
    grr: Figure
    logo_retention: Figure
    expansion: Figure
    pareto_80: Figure  # share of accounts making 80 % of revenue
    top20_share: Figure
    hhi: Figure
    effective_n: Figure
    margin: Figure
    share_of_wallet: Figure
    win_rate: Figure
    median_cycle_days: Figure
    nps: Figure
    nps_answers: int
    forecast_accuracy: Figure
    rag: dict[str, int]
    tiers: dict[str, int]
    quadrants: dict[str, int]
    stale_plans: int  # freshness below 25 (older than two half-lives)


def _counts(values: pd.Series) -> dict[str, int]:
    return {str(k): int(v) for k, v in values.dropna().value_counts().sort_index().items()}


def portfolio_kpis(book: KamWorkbook) -> PortfolioKpis:
    """The :class:`PortfolioKpis` of ``book`` (computed columns as kamxl computes them)."""
    accounts = book.accounts
    prev = accounts["revenue_prev"].to_numpy(dtype=np.float64)
    curr = accounts["revenue_curr"].to_numpy(dtype=np.float64)
    opportunities = book["Opportunities"]
    try:
        outcomes = core.outcome_codes(opportunities["outcome"].tolist())
    except FormulaError:
        outcomes = None
    surveys = book["Surveys"]["nps"].to_numpy(dtype=np.float64)
    revenue = book["Revenue"]
    current = revenue[revenue["period"] == book.period]
    return PortfolioKpis(
        period=book.period,
        previous_period=book.settings.previous_period,
        accounts=len(accounts),
        key_accounts=int((accounts["status"] == "key").sum()),
        revenue=float(np.nansum(curr)),
        revenue_previous=float(np.nansum(prev)),
        nrr=figure(core.nrr, prev, curr),
        grr=figure(core.grr, prev, curr),
        logo_retention=figure(core.logo_retention, prev, curr),
        expansion=figure(core.expansion, prev, curr),
        pareto_80=figure(core.pareto_ratio, curr, 0.8),
        top20_share=figure(core.top_share, curr, 0.2),
        hhi=figure(core.hhi, curr),
        effective_n=figure(core.effective_n, curr),
        margin=figure(
            core.portfolio_margin_rate,
            curr,
            accounts["variable_costs"].to_numpy(dtype=np.float64),
            accounts["cost_to_serve"].to_numpy(dtype=np.float64),
        ),
        share_of_wallet=figure(
            core.portfolio_share_of_wallet, curr, accounts["wallet"].to_numpy(dtype=np.float64)
        ),
        win_rate=(
            figure(core.win_rate, outcomes)
            if outcomes is not None
            else Figure(None, "#VALUE!", "an opportunity outcome is not in the list")
        ),
        median_cycle_days=figure(
            core.median_cycle_days,
            day_numbers_of(opportunities["created"]),
            day_numbers_of(opportunities["closed"]),
        ),
        nps=figure(core.nps, surveys),
        nps_answers=int(np.count_nonzero(~np.isnan(surveys))),
        forecast_accuracy=figure(
            core.forecast_accuracy,
            current["forecast"].to_numpy(dtype=np.float64),
            current["revenue"].to_numpy(dtype=np.float64),
        ),
        rag=_counts(accounts["rag"]),
        tiers=_counts(accounts["tier"]),
        quadrants={q: int((accounts["quadrant"] == q).sum()) for q in core.QUADRANTS.values()},
        stale_plans=int((accounts["freshness"] < 25).sum()),
    )

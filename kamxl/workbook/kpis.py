"""Portfolio KPIs of a workbook: the figures a sales director looks at first.

Each figure is computed with the catalogue's engine from the workbook's own data, and is
defined here once: the summary, the decks, the ribbon and the batch report all take it from
this module. A figure that cannot be computed is a :class:`Figure` without value but with
the reason, so that every output can show "—" and say why: either the data gives no value
(no survey answer, no closed opportunity: the Excel error a cell would show), or the figure
rests on cells that fail the check (:mod:`kamxl.workbook.validity`), which it names.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from kamxl import core
from kamxl.errors import FormulaError, UnusableSettingError, ZeroDenominatorError, error_text
from kamxl.workbook.compute import day_numbers_of
from kamxl.workbook.model import KamWorkbook
from kamxl.workbook.validity import BadCells, bad_inputs, describe

__all__ = [
    "ESSENTIAL_SETTINGS",
    "STALE_FRESHNESS",
    "Figure",
    "KeyAccount",
    "PortfolioKpis",
    "Tally",
    "account_figure",
    "account_label",
    "figure",
    "input_figure",
    "key_accounts",
    "portfolio_kpis",
    "require_essential_settings",
    "stale_plans",
    "unusable",
]

#: A plan is stale when its freshness is below this (older than one half-life), or when it
#: has no update date: the one definition of "stale plans" wherever they are counted.
STALE_FRESHNESS = 50.0


@dataclass(frozen=True, slots=True)
class Figure:
    """A KPI value, or ``None`` with the reason it has none: the Excel error the data gives,
    or the cells that fail the check it would be computed from (``bad_cells``)."""

    value: float | None
    error: str | None = None
    reason: str | None = None
    bad_cells: BadCells = ()

    @property
    def ok(self) -> bool:
        return self.value is not None

    @property
    def from_bad_input(self) -> bool:
        """Missing because it rests on cells that fail the check."""
        return bool(self.bad_cells)


#: The settings every output of a workbook needs: no amount without its currency, no
#: figure of "the period" without the period.
ESSENTIAL_SETTINGS: dict[str, str] = {
    "currency": "every amount is in it",
    "period": "every figure is of it",
    "previous_period": "every change is measured from it",
}


def require_essential_settings(book: KamWorkbook) -> None:
    """Raise :class:`~kamxl.errors.UnusableSettingError` when a setting of
    :data:`ESSENTIAL_SETTINGS` fails the check (``--keep-going`` cannot leave it out: it is
    in every figure)."""
    for key, why in ESSENTIAL_SETTINGS.items():
        if key in book.bad_settings:
            raise UnusableSettingError(
                book.path,
                f"{book.bad_settings[key]} ({key}) fails the check, and {why}: fix it first "
                "(kamxl check says what is wrong)",
            )


def unusable(bad: BadCells) -> Figure:
    """The figure that rests on the cells ``bad``: missing, naming them."""
    return Figure(None, None, f"computed from cells that fail the check: {describe(bad)}", bad)


def figure(compute: Callable[..., float], *args: Any, bad: BadCells = ()) -> Figure:
    """Evaluate a core function; a :class:`FormulaError` becomes a valueless Figure, and so
    does a figure resting on bad cells (``bad``), without being computed."""
    if bad:
        return unusable(bad)
    try:
        return Figure(float(compute(*args)))
    except FormulaError as error:
        return Figure(None, error.excel_code, str(error))


def count(value: int, bad: BadCells = ()) -> Figure:
    """A count as a figure (missing when it rests on bad cells)."""
    return unusable(bad) if bad else Figure(float(value))


@dataclass(frozen=True, slots=True)
class Tally:
    """How many accounts have each value (RAG, tier, quadrant), or ``None`` when the tally
    rests on cells that fail the check."""

    counts: dict[str, int] | None
    bad_cells: BadCells = ()

    @property
    def ok(self) -> bool:
        return self.counts is not None

    def get(self, key: str) -> Figure:
        """The count of ``key`` as a figure (0 when no account has it)."""
        if self.counts is None:
            return unusable(self.bad_cells)
        return Figure(float(self.counts.get(key, 0)))


def account_figure(book: KamWorkbook, column: str, position: int) -> Figure:
    """The computed ``column`` of the account at frame ``position`` of Accounts, as a
    figure: missing with its Excel error, or with the bad cells it is computed from."""
    bad = bad_inputs(book).computed(column, position)
    if bad:
        return unusable(bad)
    results = book.computed[column]
    code = int(results.errors[position])
    if code:
        text = error_text(code)
        return Figure(None, text, f"the workbook gives {text}")
    return Figure(float(results.values[position]))


def account_label(book: KamWorkbook, column: str, position: int) -> str | None:
    """The computed text ``column`` (tier, quadrant, rag) of the account at ``position``,
    or None when it is an error or rests on bad cells."""
    results = book.computed[column]
    text = results.values[position]
    if results.errors[position] or not isinstance(text, str):
        return None
    if bad_inputs(book).computed(column, position):
        return None
    return text


def input_figure(book: KamWorkbook, sheet: str, column: str, position: int) -> Figure:
    """The number typed in ``column`` of the row at ``position`` of ``sheet``: missing
    when blank, or when the cell fails the check (naming it)."""
    data = book.sheets[sheet]
    bad = bad_inputs(book).at(sheet, [column], position)
    if bad:
        return unusable(bad)
    value = data.frame[column].iloc[position]
    if pd.isna(value):
        return Figure(None, "#N/A", f"{column} is blank")
    return Figure(float(value))


@dataclass(frozen=True, slots=True)
class PortfolioKpis:
    """The headline figures of a portfolio for the current period."""

    period: str | None
    previous_period: str | None
    accounts: Figure
    key_accounts: Figure
    revenue: Figure
    revenue_previous: Figure
    growth: Figure  # revenue on the previous period
    nrr: Figure
    grr: Figure
    logo_retention: Figure
    expansion: Figure
    pareto_80: Figure  # share of accounts making 80 % of revenue
    top20_share: Figure
    top20_fraction: Figure  # the share of accounts top20_share counts (1 of 3: 33 %)
    hhi: Figure
    effective_n: Figure
    margin: Figure  # over the accounts with cost data
    margin_accounts: Figure  # how many accounts have cost data
    share_of_wallet: Figure
    win_rate: Figure
    median_cycle_days: Figure
    nps: Figure
    nps_answers: Figure
    forecast_accuracy: Figure
    rag: Tally
    tiers: Tally
    quadrants: Tally
    stale_plans: Figure  # how many plans are stale (see STALE_FRESHNESS)


def _counts(values: pd.Series) -> dict[str, int]:
    return {str(k): int(v) for k, v in values.dropna().value_counts().sort_index().items()}


def _numbers(frame: pd.DataFrame, column: str) -> np.ndarray:
    return frame[column].to_numpy(dtype=np.float64)


def portfolio_kpis(book: KamWorkbook) -> PortfolioKpis:
    """The :class:`PortfolioKpis` of ``book`` (computed columns as kamxl computes them)."""
    bad = bad_inputs(book)
    accounts = book.accounts

    def of_accounts(*columns: str) -> BadCells:
        """Bad cells of these columns in any account (and any bad account_id: a row whose
        id is in doubt may be a second row of an account)."""
        return bad.cells("Accounts", ["account_id", *columns])

    prev, curr = _numbers(accounts, "revenue_prev"), _numbers(accounts, "revenue_curr")
    retention = of_accounts("revenue_prev", "revenue_curr")
    revenue = of_accounts("revenue_curr")
    costs = of_accounts("revenue_curr", "variable_costs", "cost_to_serve")
    variable_costs, cost_to_serve = (
        _numbers(accounts, "variable_costs"),
        _numbers(accounts, "cost_to_serve"),
    )
    opportunities = book["Opportunities"]
    in_portfolio = {"account_id": None}
    surveys = book["Surveys"]
    answers = _numbers(surveys, "nps")
    answers_bad = bad.selection("Surveys", in_portfolio, ["nps"])
    current = (book["Revenue"]["period"] == book.period).to_numpy()
    revenue_rows = book["Revenue"][current]
    rag, tiers, quadrants = (of_accounts(c) for c in ("rag", "tier", "quadrant"))
    stale, stale_bad = stale_plans(book)
    return PortfolioKpis(
        period=book.period,
        previous_period=book.settings.previous_period,
        accounts=count(len(accounts), of_accounts()),
        key_accounts=count(int((accounts["status"] == "key").sum()), of_accounts("status")),
        revenue=figure(_total, curr, bad=revenue),
        revenue_previous=figure(_total, prev, bad=of_accounts("revenue_prev")),
        growth=figure(_growth, prev, curr, bad=retention),
        nrr=figure(core.nrr, prev, curr, bad=retention),
        grr=figure(core.grr, prev, curr, bad=retention),
        logo_retention=figure(core.logo_retention, prev, curr, bad=retention),
        expansion=figure(core.expansion, prev, curr, bad=retention),
        pareto_80=figure(core.pareto_ratio, curr, 0.8, bad=revenue),
        top20_share=figure(core.top_share, curr, 0.2, bad=revenue),
        top20_fraction=figure(core.top_fraction, curr, 0.2, bad=revenue),
        hhi=figure(core.hhi, curr, bad=revenue),
        effective_n=figure(core.effective_n, curr, bad=revenue),
        margin=figure(core.portfolio_margin_rate, curr, variable_costs, cost_to_serve, bad=costs),
        margin_accounts=count(int(core.margin_accounts(curr, variable_costs).sum()), bad=costs),
        share_of_wallet=figure(
            core.portfolio_share_of_wallet,
            curr,
            _numbers(accounts, "wallet"),
            bad=of_accounts("revenue_curr", "wallet"),
        ),
        win_rate=figure(
            _win_rate,
            opportunities["outcome"].tolist(),
            bad=bad.selection("Opportunities", in_portfolio, ["outcome"]),
        ),
        median_cycle_days=figure(
            core.median_cycle_days,
            day_numbers_of(opportunities["created"]),
            day_numbers_of(opportunities["closed"]),
            bad=bad.selection("Opportunities", in_portfolio, ["created", "closed"]),
        ),
        nps=figure(core.nps, answers, bad=answers_bad),
        nps_answers=count(
            int(np.count_nonzero(~np.isnan(answers))),
            answers_bad,
        ),
        forecast_accuracy=figure(
            core.forecast_accuracy,
            _numbers(revenue_rows, "forecast"),
            _numbers(revenue_rows, "revenue"),
            bad=bad.selection(
                "Revenue", {"account_id": None, "period": current}, ["forecast", "revenue"]
            )
            + bad.settings("period"),
        ),
        rag=Tally(None, rag) if rag else Tally(_counts(accounts["rag"])),
        tiers=Tally(None, tiers) if tiers else Tally(_counts(accounts["tier"])),
        quadrants=(
            Tally(None, quadrants)
            if quadrants
            else Tally({q: int((accounts["quadrant"] == q).sum()) for q in core.QUADRANTS.values()})
        ),
        stale_plans=count(int(stale.sum()), stale_bad),
    )


def _total(values: np.ndarray) -> float:
    """The sum of the values present (a blank is no revenue)."""
    return float(np.nansum(values))


def _growth(previous: np.ndarray, current: np.ndarray) -> float:
    """Revenue growth of the whole portfolio on the previous period."""
    before = _total(previous)
    if before == 0:
        raise ZeroDenominatorError("the previous revenue is 0")
    return _total(current) / before - 1


def _win_rate(outcomes: Sequence[str | None]) -> float:
    return core.win_rate(core.outcome_codes(outcomes))


def stale_plans(book: KamWorkbook) -> tuple[np.ndarray, BadCells]:
    """Per account, whether its plan is stale (freshness below :data:`STALE_FRESHNESS`, or
    no update date), and the bad cells that make any of it uncertain."""
    accounts = book.accounts
    stale = (accounts["freshness"] < STALE_FRESHNESS) | accounts["plan_updated"].isna()
    bad = bad_inputs(book).cells("Accounts", ["account_id", "plan_updated", "freshness"])
    return stale.to_numpy(dtype=bool), bad


@dataclass(frozen=True, slots=True)
class KeyAccount:
    """A key account as the summary lists it."""

    account_id: str
    name: str
    kam: str | None
    revenue: Figure
    score: Figure
    tier: str | None
    quadrant: str | None
    health: Figure
    rag: str | None
    #: the labels (tier, quadrant, rag) that rest on cells failing the check, and those cells
    left_out: dict[str, BadCells] = field(default_factory=dict)


def key_accounts(
    book: KamWorkbook, top: int | None = None
) -> tuple[list[KeyAccount], int, BadCells]:
    """The key accounts, largest revenue first (the ``top`` first ones, or all), each figure
    checked; how many there are; and the bad cells that make the list itself uncertain (an
    account whose status is bad may be key)."""
    bad = bad_inputs(book)
    accounts = book.accounts
    key = (accounts["status"] == "key").to_numpy()
    sure = bad.surely("Accounts", {"account_id": None, "status": key})
    uncertain = bad.uncertain("Accounts", {"account_id": None, "status": key})
    revenue = accounts["revenue_curr"].to_numpy(dtype=np.float64)
    positions = np.flatnonzero(sure)
    ranked = positions[np.argsort(-np.nan_to_num(revenue[positions], nan=-np.inf), kind="stable")]
    ids, names, kams = (accounts[c].tolist() for c in ("account_id", "name", "kam"))
    rows = []
    for position in ranked[:top].tolist():
        rows.append(
            KeyAccount(
                account_id=str(ids[position]),
                name=str(names[position] or ids[position]),
                kam=kams[position] if isinstance(kams[position], str) else None,
                revenue=input_figure(book, "Accounts", "revenue_curr", position),
                score=account_figure(book, "score", position),
                tier=account_label(book, "tier", position),
                quadrant=account_label(book, "quadrant", position),
                health=account_figure(book, "health", position),
                rag=account_label(book, "rag", position),
                left_out={
                    label: cells
                    for label in ("tier", "quadrant", "rag")
                    if (cells := bad.computed(label, position))
                },
            )
        )
    return rows, len(ranked), uncertain

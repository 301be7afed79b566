"""Portfolio KPIs of the sample, recomputed here independently with plain pandas."""

from __future__ import annotations

import pytest

from kamxl.workbook.kpis import portfolio_kpis
from kamxl.workbook.reader import read_workbook
from kamxl.workbook.reference import render
from tests.conftest import ROOT, SAMPLE


@pytest.fixture(scope="module")
def book():
    return read_workbook(SAMPLE)


def test_retention_and_concentration_by_hand(book) -> None:
    k = portfolio_kpis(book)
    a = book.accounts
    cohort = a[a["revenue_prev"] > 0]
    end = cohort["revenue_curr"].fillna(0)
    assert k.nrr.value == pytest.approx(end.sum() / cohort["revenue_prev"].sum())
    assert k.grr.value == pytest.approx(
        end.clip(upper=cohort["revenue_prev"]).sum() / cohort["revenue_prev"].sum()
    )
    assert k.logo_retention.value == pytest.approx((end > 0).mean())
    shares = a["revenue_curr"].clip(lower=0) / a["revenue_curr"].clip(lower=0).sum()
    assert k.hhi.value == pytest.approx(((100 * shares) ** 2).sum())
    top6 = a["revenue_curr"].nlargest(6).sum() / a["revenue_curr"].sum()  # ceil(0.2 * 30) = 6
    assert k.top20_share.value == pytest.approx(top6)
    cumulative = a["revenue_curr"].sort_values(ascending=False).cumsum() / a["revenue_curr"].sum()
    assert k.pareto_80.value == pytest.approx(((cumulative < 0.8).sum() + 1) / len(a))


def test_pipeline_voice_and_health_by_hand(book) -> None:
    k = portfolio_kpis(book)
    o = book["Opportunities"]
    closed = o[o["outcome"].isin(["won", "lost", "no decision"])]
    assert k.win_rate.value == pytest.approx((closed["outcome"] == "won").mean())
    both = o.dropna(subset=["created", "closed"])
    assert k.median_cycle_days.value == (both["closed"] - both["created"]).dt.days.median()
    nps = book["Surveys"]["nps"].dropna()
    assert k.nps.value == pytest.approx(100 * ((nps >= 9).mean() - (nps <= 6).mean()))
    assert k.nps_answers.value == len(nps)
    rev = book["Revenue"]
    q3 = rev[rev["period"] == "2026-Q3"].dropna(subset=["revenue", "forecast"])
    wape = (q3["revenue"] - q3["forecast"]).abs().sum() / q3["revenue"].abs().sum()
    assert k.forecast_accuracy.value == pytest.approx(max(0, 1 - wape))
    assert sum(k.rag.counts.values()) == book.accounts["rag"].notna().sum()
    assert k.key_accounts.value == 15


def test_workbook_reference_is_generated_from_the_schema() -> None:
    committed = (ROOT / "docs" / "workbook.md").read_text(encoding="utf-8")
    assert committed == render(), "run: python -m kamxl.workbook.reference > docs/workbook.md"

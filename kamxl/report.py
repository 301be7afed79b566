"""A text summary of a portfolio for the terminal (``kamxl summary``)."""

from __future__ import annotations

import math
import sys

from rich.console import Console
from rich.table import Table

from kamxl.workbook.kpis import Figure, portfolio_kpis
from kamxl.workbook.model import KamWorkbook

__all__ = ["print_summary"]


def _money(value: float, currency: str) -> str:
    if abs(value) >= 1e6:
        return f"{value / 1e6:,.2f} M {currency}"
    if abs(value) >= 1e3:
        return f"{value / 1e3:,.0f} k {currency}"
    return f"{value:,.0f} {currency}"


def _show(fig: Figure, kind: str) -> str:
    if not fig.ok or fig.value is None or math.isnan(fig.value):
        return f"— ({fig.error})"
    if kind == "%":
        return f"{fig.value:.1%}"
    if kind == "days":
        return f"{fig.value:.0f} days"
    return f"{fig.value:,.1f}"


def print_summary(book: KamWorkbook, console: Console | None = None) -> None:
    """Print the headline KPIs of ``book`` and its key accounts."""
    console = console or Console(highlight=False, width=None if sys.stdout.isatty() else 110)
    k = portfolio_kpis(book)
    currency = book.settings.currency
    company = book.settings.company or book.path.stem
    console.print(f"[bold]{company}[/bold] — portfolio {k.period} (vs {k.previous_period})")
    growth = (k.revenue / k.revenue_previous - 1) if k.revenue_previous else math.nan
    lines = [
        ("Accounts", f"{k.accounts} ({k.key_accounts} key)"),
        ("Revenue", f"{_money(k.revenue, currency)} ({growth:+.1%} on {k.previous_period})"),
        ("Net / gross revenue retention", f"{_show(k.nrr, '%')} / {_show(k.grr, '%')}"),
        (
            "Logo retention / expansion",
            f"{_show(k.logo_retention, '%')} / {_show(k.expansion, '%')}",
        ),
        ("Accounts making 80 % of revenue", _show(k.pareto_80, "%")),
        (
            "Top 20 % share / HHI / effective N",
            f"{_show(k.top20_share, '%')} / {_show(k.hhi, '')} / {_show(k.effective_n, '')}",
        ),
        (
            "Contribution margin / share of wallet",
            f"{_show(k.margin, '%')} / {_show(k.share_of_wallet, '%')}",
        ),
        (
            "Win rate / median cycle",
            f"{_show(k.win_rate, '%')} / {_show(k.median_cycle_days, 'days')}",
        ),
        ("NPS", f"{_show(k.nps, '')} (n = {k.nps_answers})"),
        ("Forecast accuracy", _show(k.forecast_accuracy, "%")),
        ("Health", ", ".join(f"{v} {r}" for r, v in k.rag.items()) or "—"),
        ("Quadrants", ", ".join(f"{v} {q}" for q, v in k.quadrants.items())),
        ("Stale plans", str(k.stale_plans)),
    ]
    kpis = Table(show_header=False, box=None, pad_edge=False)
    kpis.add_column(style="dim")
    kpis.add_column()
    for label, value in lines:
        kpis.add_row(label, value)
    console.print(kpis)
    accounts = book.accounts
    key = accounts[accounts["status"] == "key"].sort_values("revenue_curr", ascending=False)
    table = Table(title=f"Key accounts ({len(key)})", title_justify="left")
    for header in ("Account", "KAM", "Revenue", "Score", "Tier", "Quadrant", "Health"):
        table.add_column(header, justify="right" if header in ("Revenue", "Score") else "left")
    for _, row in key.iterrows():
        table.add_row(
            str(row["name"]),
            str(row["kam"] or "—"),
            _money(row["revenue_curr"], currency),
            "—" if math.isnan(row["score"]) else f"{row['score']:.0f}",
            row["tier"] or "—",
            row["quadrant"] or "—",
            "—" if math.isnan(row["health"]) else f"{row['health']:.0f} {row['rag']}",
        )
    console.print(table)
    if book.errors:
        console.print(
            f"[yellow]{len(book.errors)} problem(s) in the workbook: run kamxl check[/yellow]"
        )

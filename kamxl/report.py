"""What the terminal shows: the portfolio summary (``kamxl summary``) and the progress and
outcome of a batch (``kamxl batch``)."""

from __future__ import annotations

import contextlib
import math
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from rich.console import Console
from rich.table import Table
from rich.text import Text

from kamxl.terminal import printable
from kamxl.workbook.kpis import Figure, portfolio_kpis
from kamxl.workbook.model import KamWorkbook

if TYPE_CHECKING:
    from kamxl.batch import BatchReport, Progress, WorkbookResult

__all__ = ["batch_progress", "print_batch_report", "print_summary"]

#: How many warnings a batch prints (all of them are in the --report files).
BATCH_WARNINGS_SHOWN = 20


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
    currency = printable(book.settings.currency, markup=True)  # workbook text, in markup
    company = printable(book.settings.company or book.path.stem, markup=True)
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
            printable(row["name"], markup=True),
            printable(row["kam"] or "—", markup=True),
            _money(row["revenue_curr"], currency),
            "—" if math.isnan(row["score"]) else f"{row['score']:.0f}",
            printable(row["tier"] or "—", markup=True),
            row["quadrant"] or "—",
            "—" if math.isnan(row["health"]) else f"{row['health']:.0f} {row['rag']}",
        )
    console.print(table)
    if book.errors:
        console.print(
            f"[yellow]{len(book.errors)} problem(s) in the workbook: run kamxl check[/yellow]"
        )


def _say(console: Console, line: str) -> None:
    """Print one line of a batch as plain text: what it holds of workbooks (file names,
    account ids, problems) went through :func:`kamxl.terminal.printable`, and a
    :class:`~rich.text.Text` is never read as markup or emoji codes (``[/bold]``,
    ``:warning:``)."""
    console.print(Text(line), soft_wrap=True)


@contextlib.contextmanager
def batch_progress(console: Console | None = None) -> Iterator[Progress]:
    """A progress callback for :func:`kamxl.batch.run_batch`: a bar on a terminal, one
    plain line per workbook otherwise (logs of scheduled runs), on stderr. File names are
    shown through :func:`kamxl.terminal.printable`."""
    console = console or Console(stderr=True, highlight=False)
    if not console.is_terminal:

        def line(result: WorkbookResult, done: int, total: int) -> None:
            _say(console, f"[{done}/{total}] {_outcome(result)}")

        yield line
        return
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn

    with Progress(
        "[progress.description]{task.description}",
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        console=console,
        transient=True,
    ) as bar:
        task = bar.add_task("Building decks", total=None)

        def advance(result: WorkbookResult, done: int, total: int) -> None:
            if result.failures:
                _say(bar.console, _outcome(result))
            name = printable(Path(result.source).name, markup=True)  # the column reads markup
            bar.update(task, completed=done, total=total, description=name)

        yield advance


def _outcome(result: WorkbookResult) -> str:
    what = f"{len(result.outputs)} deck(s)" if not result.up_to_date else "up to date"
    failed = f", {len(result.failures)} failure(s)" if result.failures else ""
    return f"{printable(result.source)}: {what}{failed} ({result.seconds:.1f} s)"


def print_batch_report(report: BatchReport, console: Console | None = None) -> None:
    """The outcome of a batch: counts, then every failure and the first warnings.

    Everything a workbook or a file name brings is shown through
    :func:`kamxl.terminal.printable` (a failure's reason keeps its lines: a workbook that
    fails the check lists its problems one per line)."""
    console = console or Console(highlight=False, soft_wrap=True)
    built = len(report.built)
    standing = len(report.outputs) - built
    _say(
        console,
        f"{built} deck(s) built, {standing} up to date, from {report.inputs} workbook(s) "
        f"in {report.seconds:.1f} s; {len(report.failures)} failure(s), "
        f"{len(report.warnings)} warning(s)",
    )
    for failure in report.failures:
        where = f" [{printable(failure.account_id)}]" if failure.account_id else ""
        reason = printable(failure.reason.removeprefix(f"{failure.source}: "), keep_newlines=True)
        _say(console, f"FAILED {printable(failure.source)}{where}: {reason}")
    for warning in report.warnings[:BATCH_WARNINGS_SHOWN]:
        _say(console, f"warning: {printable(warning['message'])}")
    hidden = len(report.warnings) - BATCH_WARNINGS_SHOWN
    if hidden > 0:
        _say(console, f"... and {hidden} more warning(s): see --report FILE for all of them")

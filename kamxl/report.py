"""What the terminal shows: the portfolio summary (``kamxl summary``) and the progress and
outcome of a batch (``kamxl batch``)."""

from __future__ import annotations

import contextlib
import math
import sys
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from rich.console import Console
from rich.table import Table
from rich.text import Text

from kamxl import core
from kamxl.core.rounding import excel_round
from kamxl.deck.text import DASH, Formats
from kamxl.terminal import printable
from kamxl.workbook.kpis import (
    STALE_FRESHNESS,
    Figure,
    Tally,
    key_accounts,
    portfolio_kpis,
    require_essential_settings,
)
from kamxl.workbook.model import KamWorkbook
from kamxl.workbook.validity import describe

if TYPE_CHECKING:
    from kamxl.batch import BatchReport, Progress, WorkbookResult

__all__ = ["batch_progress", "print_batch_report", "print_summary", "summary_lines"]

#: How many key accounts the summary lists, largest revenue first (the others are counted).
KEY_ACCOUNTS_SHOWN = 25
#: How many warnings a batch prints (all of them are in the --report files).
BATCH_WARNINGS_SHOWN = 20


def _money(value: float, currency: str) -> str:
    """An amount for the terminal: 13.97 M EUR, 850 k EUR (Excel's rounding)."""
    for unit, name, digits in ((1e6, " M", 2), (1e3, " k", 0)):
        if abs(value) >= unit:
            return f"{excel_round(value / unit, digits):,.{digits}f}{name} {currency}"
    return f"{excel_round(value):,.0f} {currency}"


class _Footnotes:
    """The footnotes of a summary: one number per set of bad cells a missing figure rests
    on."""

    MARKS = "¹²³⁴⁵⁶⁷⁸⁹"

    def __init__(self) -> None:
        self.cells: dict[tuple[str, ...], str] = {}

    def mark(self, cells: tuple[str, ...]) -> str:
        if cells not in self.cells:
            n = len(self.cells)
            self.cells[cells] = self.MARKS[n] if n < len(self.MARKS) else f"[{n + 1}]"
        return self.cells[cells]

    def lines(self) -> list[str]:
        return [
            printable(
                f"{mark} not computed: it rests on cells that fail the check: {describe(cells)}"
            )
            for cells, mark in self.cells.items()
        ]


class _Shown:
    """How the summary shows figures: Excel's rounding (the decks' formats), "—" with the
    Excel error or a footnote for a missing figure."""

    def __init__(self, currency: str) -> None:
        self.formats = Formats("en", currency)
        self.notes = _Footnotes()

    def __call__(self, fig: Figure, kind: str = "") -> str:
        if not fig.ok or fig.value is None or math.isnan(fig.value):
            if fig.bad_cells:
                return f"{DASH}{self.notes.mark(fig.bad_cells)}"
            return f"{DASH} ({fig.error})" if fig.error else DASH
        f = self.formats
        if kind == "%":
            return f.pct(fig.value, 1)
        if kind == "money":
            return _money(fig.value, f.currency)
        if kind == "signed%":
            return f.signed_pct(fig.value, 1)
        if kind == "days":
            return f"{f.num(fig.value)} days"
        if kind == "count":
            return f.num(fig.value)
        return f.num(fig.value, 1)

    def label(self, text: str | None, bad: tuple[str, ...] = ()) -> str:
        """A label (tier, quadrant, RAG): "—" with a footnote when it rests on bad cells."""
        if bad:
            return f"{DASH}{self.notes.mark(bad)}"
        return text or DASH

    def tally(self, tally: Tally, keys: list[str] | None = None) -> str:
        if tally.counts is None:
            return f"{DASH}{self.notes.mark(tally.bad_cells)}"
        items = (
            tally.counts.items() if keys is None else ((k, tally.counts.get(k, 0)) for k in keys)
        )
        return ", ".join(f"{v} {k}" for k, v in items) or DASH


def summary_lines(book: KamWorkbook, shown: _Shown) -> list[tuple[str, str]]:
    """The headline KPIs of ``book`` as (label, shown value) lines."""
    k = portfolio_kpis(book)
    with_costs = shown(k.margin_accounts, "count")
    return [
        ("Accounts", f"{shown(k.accounts, 'count')} ({shown(k.key_accounts, 'count')} key)"),
        (
            "Revenue",
            f"{shown(k.revenue, 'money')} ({shown(k.growth, 'signed%')} on {k.previous_period})"
            if k.previous_period
            else shown(k.revenue, "money"),
        ),
        ("Net / gross revenue retention", f"{shown(k.nrr, '%')} / {shown(k.grr, '%')}"),
        (
            "Logo retention / expansion",
            f"{shown(k.logo_retention, '%')} / {shown(k.expansion, '%')}",
        ),
        ("Accounts making 80 % of revenue", shown(k.pareto_80, "%")),
        (
            "Top 20 % share / HHI / effective N",
            f"{shown(k.top20_share, '%')} / {shown(k.hhi)} / {shown(k.effective_n)}",
        ),
        (
            "Contribution margin / share of wallet",
            f"{shown(k.margin, '%')} (over {with_costs} accounts with cost data) / "
            f"{shown(k.share_of_wallet, '%')}",
        ),
        (
            "Win rate / median cycle",
            f"{shown(k.win_rate, '%')} / {shown(k.median_cycle_days, 'days')}",
        ),
        ("NPS", f"{shown(k.nps)} (n = {shown(k.nps_answers, 'count')})"),
        ("Forecast accuracy", shown(k.forecast_accuracy, "%")),
        ("Health", shown.tally(k.rag)),
        ("Quadrants", shown.tally(k.quadrants, list(core.QUADRANTS.values()))),
        (
            "Stale plans",
            f"{shown(k.stale_plans, 'count')} (freshness below {STALE_FRESHNESS:g} or no "
            "update date)",
        ),
    ]


def print_summary(book: KamWorkbook, console: Console | None = None) -> None:
    """Print the headline KPIs of ``book`` and its key accounts. A figure that rests on
    cells failing the check (with ``--keep-going``) shows "—" and a footnote naming them."""
    require_essential_settings(book)
    console = console or Console(highlight=False, width=None if sys.stdout.isatty() else 110)
    settings = book.settings
    shown = _Shown(printable(settings.currency))
    company = printable(settings.company or book.path.stem)  # workbook text: shown, inert
    period = (
        f"portfolio {settings.period} (vs {settings.previous_period})"
        if settings.period
        else "portfolio (no current period: set period in Settings, or add Revenue rows)"
    )
    console.print(Text(f"{company} — {period}", "bold"))
    kpis = Table(show_header=False, box=None, pad_edge=False)
    kpis.add_column(style="dim")
    kpis.add_column()
    for label, value in summary_lines(book, shown):
        kpis.add_row(Text(label), Text(value))
    console.print(kpis)
    rows, count, uncertain = key_accounts(book, top=KEY_ACCOUNTS_SHOWN)
    title = f"Key accounts ({count:,})"
    if count > KEY_ACCOUNTS_SHOWN:
        title += f", the {KEY_ACCOUNTS_SHOWN} largest"
    if uncertain:
        title += f" — the list may miss accounts{shown.notes.mark(uncertain)}"
    table = Table(title=Text(title), title_justify="left")
    for header in ("Account", "KAM", "Revenue", "Score", "Tier", "Quadrant", "Health"):
        table.add_column(header, justify="right" if header in ("Revenue", "Score") else "left")
    for row in rows:
        health = shown(row.health, "count")
        rag = shown.label(row.rag, row.left_out.get("rag", ()))
        cells = (
            row.name,
            row.kam or DASH,
            shown(row.revenue, "money"),
            shown(row.score, "count"),
            shown.label(row.tier, row.left_out.get("tier", ())),
            shown.label(row.quadrant, row.left_out.get("quadrant", ())),
            f"{health} {rag}" if row.health.ok and rag != DASH else health,
        )
        table.add_row(*(Text(printable(c)) for c in cells))
    console.print(table)
    if count > KEY_ACCOUNTS_SHOWN:
        console.print(
            Text(
                f"... and {count - KEY_ACCOUNTS_SHOWN:,} more key accounts "
                "(the portfolio review lists them all: kamxl deck BOOK --kind portfolio)"
            )
        )
    for line in shown.notes.lines():
        console.print(Text(line))
    if book.errors:
        console.print(
            Text(f"{len(book.errors)} problem(s) in the workbook: run kamxl check", "yellow")
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
    if report.left_out:
        _say(
            console,
            f"{len(report.left_out)} file(s) left out: "
            + "; ".join(printable(f"{o.source} ({o.reason})") for o in report.left_out[:5])
            + (" ..." if len(report.left_out) > 5 else ""),
        )
    if report.portfolio_currency:
        _say(console, f"portfolio amounts in {printable(report.portfolio_currency)}")
    for failure in report.failures:
        where = f" [{printable(failure.account_id)}]" if failure.account_id else ""
        reason = printable(failure.reason.removeprefix(f"{failure.source}: "), keep_newlines=True)
        _say(console, f"FAILED {printable(failure.source)}{where}: {reason}")
    # workbooks of the same name in different folders: say which one a warning is about
    names = Counter(Path(source).name for source in {w["source"] for w in report.warnings})
    for warning in report.warnings[:BATCH_WARNINGS_SHOWN]:
        source = warning["source"]
        which = f" ({source})" if names[Path(source).name] > 1 else ""
        _say(console, f"warning: {printable(warning['message'] + which)}")
    hidden = len(report.warnings) - BATCH_WARNINGS_SHOWN
    if hidden > 0:
        _say(console, f"... and {hidden} more warning(s): see --report FILE for all of them")

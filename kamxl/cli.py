"""The ``kamxl`` command: a thin layer over the library.

Each command translates its arguments, calls one library function and prints the outcome;
errors become one clear line on stderr. Exit codes: 0 done, 1 the work failed or found
problems, 2 the command was used wrongly.
"""

from __future__ import annotations

import functools
import os
import sys
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any, TypeVar

import click

import kamxl
from kamxl.errors import KamxlError

F = TypeVar("F", bound=Callable[..., Any])


def _reports_errors(command: F) -> F:
    """Turn kamxl errors into one line on stderr and exit code 1 (a traceback only with
    KAMXL_DEBUG=1, for a bug)."""

    @functools.wraps(command)
    def run(*args: Any, **kwargs: Any) -> Any:
        try:
            return command(*args, **kwargs)
        except KamxlError as error:
            click.echo(f"kamxl: {error}", err=True)
            sys.exit(1)
        except Exception as error:  # a bug: say so plainly
            if os.environ.get("KAMXL_DEBUG"):
                raise
            click.echo(
                f"kamxl: internal error ({type(error).__name__}: {error}); "
                "run again with KAMXL_DEBUG=1 for details and report it",
                err=True,
            )
            sys.exit(3)

    return run  # type: ignore[return-value]


class _Date(click.ParamType):
    name = "YYYY-MM-DD"

    def convert(self, value: Any, param: Any, ctx: Any) -> date:
        if isinstance(value, date):
            return value
        try:
            return date.fromisoformat(str(value))
        except ValueError:
            self.fail(f"{value!r} is not a date like 2026-10-15", param, ctx)


_EXISTING = click.Path(exists=True, dir_okay=False, path_type=Path)
_OUTPUT = click.Path(dir_okay=False, path_type=Path)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(kamxl.__version__, prog_name="kamxl")
def main() -> None:
    """kamxl: your KAM workbook as account plan, scoring matrix and KPI cockpit."""


@main.command()
@click.option("-o", "--output", type=_OUTPUT, required=True, help="Where to write the template.")
@click.option("--lang", type=click.Choice(["en", "fr"]), default="en", show_default=True)
@click.option("--force", is_flag=True, help="Replace OUTPUT if it exists.")
@_reports_errors
def template(output: Path, lang: str, force: bool) -> None:
    """Write the empty standard KAM workbook (tables, lists, formulas, guide)."""
    from kamxl.files import check_output
    from kamxl.workbook.template import build_workbook

    path = build_workbook(check_output(output, overwrite=force), language=lang)
    click.echo(f"Wrote {path} (template, {lang})")


@main.command()
@click.option("-o", "--output", type=_OUTPUT, required=True, help="Where to write the sample.")
@click.option("--force", is_flag=True, help="Replace OUTPUT if it exists.")
@_reports_errors
def sample(output: Path, force: bool) -> None:
    """Write the sample portfolio workbook (30 fictional accounts, computed cells filled)."""
    from kamxl.workbook.template import build_sample

    click.echo(f"Wrote {build_sample(output, overwrite=force)} (sample portfolio)")


@main.command()
@click.argument("book", type=_EXISTING)
@click.option("--strict", is_flag=True, help="Exit 1 on warnings too.")
@_reports_errors
def check(book: Path, strict: bool) -> None:
    """Report every problem of BOOK: file, sheet, cell, value and what was expected.

    Exits 1 if there is an error (or, with --strict, a warning).
    """
    from kamxl.workbook.check import check_workbook

    problems = check_workbook(book)
    for problem in problems:
        click.echo(str(problem))
    errors = sum(p.is_error for p in problems)
    warnings = len(problems) - errors
    if not problems:
        click.echo(f"{book.name}: no problems found")
    else:
        click.echo(f"{book.name}: {errors} error(s), {warnings} warning(s)")
    if errors or (strict and warnings):
        sys.exit(1)


@main.command()
@click.argument("book", type=_EXISTING)
@click.option("-o", "--output", type=_OUTPUT, required=True, help="The recalculated copy.")
@click.option("--as-of", type=_Date(), help="Date of plan freshness (default: as_of or today).")
@click.option("--force", is_flag=True, help="Replace OUTPUT if it exists.")
@_reports_errors
def recalc(book: Path, output: Path, as_of: date | None, force: bool) -> None:
    """Compute the computed columns of Accounts and write them to OUTPUT.

    BOOK is never modified. Formulas are kept, with kamxl's results as their saved values;
    everything else of the workbook comes through unchanged.
    """
    from kamxl.workbook.writer import recalc_workbook

    report = recalc_workbook(book, output, as_of=as_of, overwrite=force)
    errors = ", ".join(f"{n} {text}" for text, n in sorted(report.errors.items())) or "none"
    added = f"; added columns: {', '.join(report.added_columns)}" if report.added_columns else ""
    click.echo(
        f"Wrote {report.output}: {report.accounts} accounts, {report.cells} computed cells "
        f"({report.formulas_kept} formulas kept), cells with errors: {errors}{added}"
    )


@main.command()
@click.argument("book", type=_EXISTING)
@_reports_errors
def summary(book: Path) -> None:
    """Print the portfolio's headline KPIs (retention, concentration, pipeline, health)."""
    from kamxl.report import print_summary
    from kamxl.workbook.reader import read_workbook

    print_summary(read_workbook(book))


if __name__ == "__main__":  # pragma: no cover
    main()

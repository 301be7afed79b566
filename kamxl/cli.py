"""The ``kamxl`` command: a thin layer over the library.

Each command translates its arguments, calls one library function and prints the outcome;
errors become one clear line on stderr. Exit codes: 0 done, 1 the work failed or found
problems, 2 the command was used wrongly, 130 interrupted (Ctrl-C, SIGINT).
"""

from __future__ import annotations

import functools
import os
import signal
import sys
import threading
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any, NoReturn, TypeVar

import click

import kamxl
from kamxl.errors import KamxlError
from kamxl.interrupts import interrupts_caught, raise_if_interrupted
from kamxl.terminal import printable

F = TypeVar("F", bound=Callable[..., Any])


def _reports_errors(command: F) -> F:
    """Turn kamxl errors into one line on stderr and exit code 1 (a traceback only with
    KAMXL_DEBUG=1, for a bug). Messages name files and quote cells: they are printed
    through :func:`kamxl.terminal.printable` (a list of problems keeps its lines)."""

    @functools.wraps(command)
    def run(*args: Any, **kwargs: Any) -> Any:
        try:
            return command(*args, **kwargs)
        except KamxlError as error:
            click.echo(printable(f"kamxl: {error}", keep_newlines=True), err=True)
            sys.exit(1)
        except click.ClickException:  # usage errors: click prints them, exit code 2
            raise
        except BrokenPipeError:  # the reader went away (kamxl check BOOK | head): stop quietly
            _stop_writing()
        except Exception as error:  # a bug: say so plainly
            if os.environ.get("KAMXL_DEBUG"):
                raise
            click.echo(
                printable(
                    f"kamxl: internal error ({type(error).__name__}: {error}); "
                    "run again with KAMXL_DEBUG=1 for details and report it"
                ),
                err=True,
            )
            sys.exit(3)

    return run  # type: ignore[return-value]


def _stop_writing() -> NoReturn:
    """End as a program killed by SIGPIPE ends (exit code 141), without a traceback: the
    rest of the output has nowhere to go."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())  # Python's own flush at exit must not fail too
    sys.exit(128 + 13)


class _Commands(click.Group):
    """The ``kamxl`` group: an interrupt (Ctrl-C, SIGINT) ends any of its commands with one
    line on stderr and exit code 130, leaving no temporary file behind."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            with interrupts_caught():
                result = super().invoke(ctx)
                raise_if_interrupted()  # one a finaliser swallowed
        except KeyboardInterrupt:
            _interrupted()
        return result


def _interrupted() -> NoReturn:
    """Remove what this run was writing (each file is written to a temporary file first, so
    every file written before the interrupt is complete), say so, exit 130."""
    from kamxl.files import remove_own_unfinished

    in_main_thread = threading.current_thread() is threading.main_thread()
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN) if in_main_thread else None
    try:  # a second Ctrl-C must not stop the clean-up half-way
        remove_own_unfinished()
    finally:
        if previous is not None:
            signal.signal(signal.SIGINT, previous)
    click.echo("kamxl: interrupted; no file was left half-written", err=True)
    sys.exit(130)


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


def _deck_kinds(help: str) -> Callable[[F], F]:
    """The --kind option of the deck-building commands."""
    return click.option(
        "--kind",
        "kinds",
        type=click.Choice(["qbr", "handshake", "portfolio", "all"]),
        multiple=True,
        default=("qbr",),
        show_default=True,
        help=help,
    )


_keep_going = click.option(
    "--keep-going",
    is_flag=True,
    help="Go on when the workbook fails the check: each figure that depends on a bad cell "
    "is shown as missing, with a note naming the cells.",
)


def _valid(book: Any, keep_going: bool) -> None:
    """Stop (exit 1, every problem listed) when ``book`` fails the check, unless asked to
    keep going."""
    from kamxl.errors import WorkbookInvalidError

    if keep_going:
        return
    try:
        book.require_valid()
    except WorkbookInvalidError as error:
        raise WorkbookInvalidError(
            error.path,
            error.problems,
            hint="fix them (kamxl check lists them all), or run again with --keep-going to "
            "show every figure that does not depend on them",
        ) from None


_audience = click.option(
    "--audience", type=click.Choice(["internal", "client"]), default="internal", show_default=True
)


@click.group(cls=_Commands, context_settings={"help_option_names": ["-h", "--help"]})
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

    target = check_output(output, overwrite=force)
    path = build_workbook(target, language=lang, overwrite=force)
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
    for problem in problems:  # one line each, whatever the cells and sheet names hold
        click.echo(printable(problem))
    errors = sum(p.is_error for p in problems)
    warnings = len(problems) - errors
    if not problems:
        click.echo(printable(f"{book.name}: no problems found"))
    else:
        click.echo(printable(f"{book.name}: {errors} error(s), {warnings} warning(s)"))
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
    everything else of the workbook comes through unchanged. A computed cell whose input is
    bad gets the error Excel would show: those cells are listed, and the exit code is 1.
    """
    from kamxl.workbook.writer import recalc_workbook

    report = recalc_workbook(book, output, as_of=as_of, overwrite=force)
    errors = ", ".join(f"{n} {text}" for text, n in sorted(report.errors.items())) or "none"
    added = f"; added columns: {', '.join(report.added_columns)}" if report.added_columns else ""
    click.echo(
        f"Wrote {printable(report.output)}: {report.accounts} accounts, {report.cells} "
        f"computed cells ({report.formulas_kept} formulas kept), cells with errors: "
        f"{errors}{added}"
    )
    if not report.bad_inputs:
        return
    click.echo(
        f"{report.bad_input_cells:,} computed cell(s) show an error because an input is bad "
        "(as Excel would):"
    )
    for group in report.bad_inputs[:_LISTED_BAD_INPUTS]:
        click.echo(f"  {printable(str(group))}")
    more = len(report.bad_inputs) - _LISTED_BAD_INPUTS
    if more > 0:
        click.echo(
            f"  ... and {more:,} more (kamxl check {printable(book.name)} lists every bad input)"
        )
    sys.exit(1)


#: Lines of computed cells with a bad input that ``recalc`` prints (the rest are counted).
_LISTED_BAD_INPUTS = 20


@main.command()
@click.argument("book", type=_EXISTING, required=False)
@_deck_kinds("Deck to build (repeat for several; all = every kind).")
@click.option("--account", "accounts", multiple=True, help="Account id (repeat for several).")
@click.option("--all", "every", is_flag=True, help="Every account (default: the key accounts).")
@_audience
@click.option("--template", type=_EXISTING, help="Your branded .pptx (layouts by name).")
@click.option("--lang", type=click.Choice(["en", "fr"]), help="Default: the workbook's language.")
@click.option("--pdf", is_flag=True, help="Also write a PDF of each deck (needs LibreOffice).")
@click.option("-o", "--output", type=click.Path(file_okay=False, path_type=Path), help="Folder.")
@click.option("--force", is_flag=True, help="Replace decks that already exist.")
@click.option(
    "--check-template", "check_template", type=_EXISTING, help="List what a template lacks."
)
@_keep_going
@_reports_errors
def deck(
    book: Path | None,
    kinds: tuple[str, ...],
    accounts: tuple[str, ...],
    every: bool,
    audience: str,
    template: Path | None,
    lang: str | None,
    pdf: bool,
    output: Path | None,
    force: bool,
    check_template: Path | None,
    keep_going: bool,
) -> None:
    """Build the decks of BOOK into the folder -o: QBR per account, handshake, portfolio.

    With --check-template BRAND.pptx, only list what that template lacks for kamxl.
    """
    if check_template is not None:
        from kamxl.deck.template import check_template as check

        missing = check(check_template)
        for line in missing:  # layout and placeholder names come from the user's file
            click.echo(printable(f"{check_template.name}: {line}"))
        verdict = f"{len(missing)} problem(s)" if missing else "ready for kamxl"
        click.echo(printable(f"{check_template.name}: {verdict}"))
        sys.exit(1 if missing else 0)
    if book is None or output is None:
        raise click.UsageError("BOOK and -o/--output are needed (or --check-template)")
    from kamxl.deck.context import Audience, DeckError
    from kamxl.deck.make import deck_kinds, make_decks
    from kamxl.files import make_folder
    from kamxl.workbook.reader import read_workbook

    chosen = deck_kinds(kinds)
    workbook = read_workbook(book)
    _valid(workbook, keep_going)
    make_folder(output)  # once there is something to put in it
    try:
        built = make_decks(
            workbook,
            output,
            chosen,
            accounts=accounts,
            every=every,
            audience=Audience(audience),
            language=lang,
            template=template,
            overwrite=force,
            pdf=pdf,
            keep_going=True,  # checked above
            written=_say_written,  # each deck as it is written: an interrupt loses no line
            warn=_warn,
        )
    except DeckError as error:  # about the workbook's content: say which workbook
        raise DeckError(f"{book}: {error}") from None
    click.echo(f"{len(built)} deck(s) in {output}")
    if workbook.errors:
        click.echo(
            printable(f"{len(workbook.errors)} problem(s) in {book.name}: run kamxl check"),
            err=True,
        )


@main.command()
@click.argument("deck_file", metavar="DECK", type=_EXISTING)
@click.option("--book", type=_EXISTING, required=True, help="The workbook to refresh from.")
@click.option("-o", "--output", type=_OUTPUT, help="The refreshed copy (default: DECK itself).")
@click.option("--force", is_flag=True, help="Replace OUTPUT if it exists; without -o, DECK.")
@click.option(
    "--overwrite-edits", is_flag=True, help="Replace the texts you edited too (else kept)."
)
@_reports_errors
def refresh(
    deck_file: Path, book: Path, output: Path | None, force: bool, overwrite_edits: bool
) -> None:
    """Bring every number, table, chart and title of DECK up to date from BOOK.

    Your edits stay: positions, sizes, fonts, colours, your slides, shapes and notes; a
    text you rewrote is kept and listed (unless --overwrite-edits). Without -o, DECK is
    refreshed in place, only with --force (atomically). BOOK is never written.
    """
    from kamxl.deck.refresh import refresh_file
    from kamxl.errors import OutputError
    from kamxl.files import check_output
    from kamxl.workbook.reader import read_workbook

    target = output if output is not None else deck_file
    if not force and target.exists() and target.resolve() == deck_file.resolve():
        raise OutputError(target, "is the deck itself: refresh it in place with --force")
    check_output(target, overwrite=force, inputs=(book,))
    workbook = read_workbook(book)
    _valid(workbook, keep_going=False)
    report = refresh_file(deck_file, workbook, target, overwrite_edits=overwrite_edits)
    click.echo(
        printable(
            f"Refreshed {deck_file.name} into {target}: {len(report.refreshed)} element(s) "
            f"refreshed, {report.unchanged} unchanged ({'; '.join(report.decks) or 'no deck'})"
        )
    )
    sections = (
        ("Refreshed", report.refreshed),
        ("Kept as you edited them (--overwrite-edits replaces them)", report.kept),
        ("Could not refresh (left as they are)", report.unbound),
        ("In the workbook now, not in this deck (build the deck again to add them)", report.new),
    )
    for heading, items in sections:
        if items:
            click.echo(printable(f"{heading}: {len(items)}"))
            for item in items:
                click.echo(printable(f"  {item}"))


def _warn(message: str) -> None:
    """A deck or a section not built, and why (on stderr)."""
    click.echo(printable(f"kamxl: warning: {message}"), err=True)


def _say_written(item: Any) -> None:
    """One line per deck written (and what it left out, on stderr)."""
    extra = f" + {item.pdf.name}" if item.pdf else ""
    slides = "1 slide" if item.slides == 1 else f"{item.slides} slides"
    click.echo(f"Wrote {printable(item.path)} ({slides}){extra}")
    for section, why in item.omitted:
        _warn(f"{item.path.name}: left out the section {section!r}: {why}")
    if item.left_out:
        from kamxl.workbook.validity import describe

        cells = sorted({c for group in item.left_out.values() for c in group})
        click.echo(
            printable(
                f"  left out ({len(item.left_out)} figure(s) and section(s): "
                f"{', '.join(item.left_out)}): they rest on {describe(cells)}"
            ),
            err=True,
        )


@main.command()
@click.argument("paths", nargs=-1, required=True)
@click.option(
    "-o",
    "--output",
    type=click.Path(file_okay=False, path_type=Path),
    required=True,
    help="Folder of the decks (a sub-folder per workbook) and of the batch cache.",
)
@_deck_kinds("Deck to build (repeat for several); portfolio = one review of all workbooks.")
@_audience
@click.option("--lang", type=click.Choice(["en", "fr"]), help="Default: each workbook's language.")
@click.option("--template", type=_EXISTING, help="Your branded .pptx (layouts by name).")
@click.option("--jobs", type=click.IntRange(min=1), help="Worker processes (default: all cores).")
@click.option(
    "--report",
    type=_OUTPUT,
    help="Write the JSON report here (its folder created if needed), and an .xlsx beside it.",
)
@click.option(
    "--force",
    is_flag=True,
    help="Rebuild everything, and replace files in the way that kamxl did not write "
    "(never an input).",
)
@click.option(
    "--executor", type=click.Choice(["local", "dask"]), default="local", show_default=True
)
@click.option("--scheduler", help="The Dask scheduler's address (with --executor dask).")
@click.option(
    "--exclude",
    "exclude",
    multiple=True,
    metavar="GLOB",
    help="Leave out the workbooks whose name, folder or path matches GLOB (repeatable).",
)
@click.option(
    "--rates",
    type=_EXISTING,
    help="Exchange rates for a portfolio across currencies (CSV: currency,<report currency>).",
)
@click.option(
    "--refresh",
    "refresh_decks",
    is_flag=True,
    help="Refresh the decks in the -o folder (recursive) from the workbooks PATHS, in place.",
)
@click.option(
    "--overwrite-edits", is_flag=True, help="With --refresh: replace the texts users edited too."
)
@_keep_going
@_reports_errors
def batch(
    paths: tuple[str, ...],
    output: Path,
    kinds: tuple[str, ...],
    audience: str,
    lang: str | None,
    template: Path | None,
    jobs: int | None,
    report: Path | None,
    force: bool,
    executor: str,
    scheduler: str | None,
    exclude: tuple[str, ...],
    rates: Path | None,
    refresh_decks: bool,
    overwrite_edits: bool,
    keep_going: bool,
) -> None:
    """Build the decks of many workbooks: PATHS are files, folders (recursive) and globs.

    By default the QBR deck of every key account of every workbook. A workbook or an account
    that fails is reported and skipped; the others are built. Workbooks that did not change
    since the last run into the same folder are not rebuilt (--force rebuilds). Exits 1 if
    anything failed, 130 on Ctrl-C, 143 on SIGTERM.

    With --refresh, every deck in the -o folder is refreshed in place from the workbook of
    PATHS that holds its accounts (as kamxl refresh does); a deck that cannot be refreshed is
    reported and the others go on.
    """
    if refresh_decks:
        _refresh_batch(paths, output, exclude, overwrite_edits)
        return
    from kamxl.batch import (
        SIGTERM_EXIT,
        BatchUsageError,
        Terminated,
        run_batch,
        sigterm_as_interrupt,
    )
    from kamxl.deck.make import deck_kinds
    from kamxl.report import batch_progress, print_batch_report

    try:
        with sigterm_as_interrupt(), batch_progress() as progress:
            result = run_batch(
                paths,
                output,
                kinds=[k.value for k in deck_kinds(kinds)],
                audience=audience,
                language=lang,
                template=template,
                jobs=jobs,
                force=force,
                executor=executor,
                scheduler=scheduler,
                progress=progress,
                keep_going=keep_going,
                exclude=exclude,
                rates=rates,
                report=report,
            )
    except BatchUsageError as error:
        raise click.UsageError(str(error)) from None
    except Terminated:
        click.echo("kamxl: terminated; the decks written so far are complete and kept", err=True)
        sys.exit(SIGTERM_EXIT)
    except KeyboardInterrupt:
        click.echo("kamxl: interrupted; the decks written so far are complete and kept", err=True)
        sys.exit(130)
    print_batch_report(result)
    if result.files:
        click.echo(f"Report: {' and '.join(result.files)}")
    if not result.ok:
        sys.exit(1)


def _refresh_batch(
    paths: tuple[str, ...], folder: Path, exclude: tuple[str, ...], overwrite_edits: bool
) -> None:
    """``batch --refresh``: every deck of ``folder`` refreshed from the workbooks of
    ``paths``, one line per deck; exit 1 if one could not be refreshed."""
    from kamxl.batch import BatchUsageError, find_workbooks
    from kamxl.deck.refresh import FolderResult, refresh_folder
    from kamxl.workbook.reader import read_workbook

    if not folder.is_dir():
        raise click.UsageError(f"{folder}: no such folder of decks (-o, with --refresh)")
    try:
        books = [read_workbook(p) for p in find_workbooks(paths, exclude)]
    except BatchUsageError as error:
        raise click.UsageError(str(error)) from None
    if not books:
        raise click.UsageError("no workbook in PATHS to refresh the decks from")

    def say(result: FolderResult) -> None:
        name = result.path.relative_to(folder)
        if result.report is None:
            click.echo(
                printable(f"kamxl: not refreshed: {result.error}", keep_newlines=True), err=True
            )
            return
        r = result.report
        click.echo(
            printable(
                f"Refreshed {name}: {len(r.refreshed)} refreshed, {r.unchanged} unchanged, "
                f"{len(r.kept)} kept as edited, {len(r.unbound)} not refreshed"
            )
        )

    results = refresh_folder(folder, books, overwrite_edits=overwrite_edits, done=say)
    failed = sum(r.report is None for r in results)
    click.echo(f"{len(results) - failed} deck(s) refreshed, {failed} not refreshed, in {folder}")
    if failed:
        sys.exit(1)


@main.group()
def addin() -> None:
    """The Excel add-in: kamxl.xlam with the KAM tab and the KAM_* functions."""


@addin.command("build")
@click.option("-o", "--output", type=click.Path(file_okay=False, path_type=Path), required=True)
@click.option("--force", is_flag=True, help="Replace an existing kamxl.xlam.")
@_reports_errors
def addin_build(output: Path, force: bool) -> None:
    """Write kamxl.xlam into the folder -o."""
    from kamxl.excel.addin import build_addin

    click.echo(f"Wrote {build_addin(output, overwrite=force)}")


@addin.command("install")
@click.option(
    "--file", "path", type=_EXISTING, help="The kamxl.xlam to install (default: built now)."
)
@_reports_errors
def addin_install(path: Path | None) -> None:
    """Install the add-in for this user through xlwings (Windows, macOS)."""
    import tempfile

    from kamxl.excel.addin import build_addin, install_addin

    if path is None:
        with tempfile.TemporaryDirectory(prefix="kamxl-addin-") as folder:
            click.echo(install_addin(build_addin(folder)))
    else:
        click.echo(install_addin(path))


@addin.command("lite")
@click.option("-o", "--output", type=click.Path(file_okay=False, path_type=Path), required=True)
@click.option("--force", is_flag=True, help="Replace an existing main.py, requirements.txt.")
@_reports_errors
def addin_lite(output: Path, force: bool) -> None:
    """Write main.py and requirements.txt for xlwings Lite (Mac, Excel on the web) into -o."""
    from kamxl.excel.lite import write_lite

    for path in write_lite(output, overwrite=force):
        click.echo(f"Wrote {path}")


@main.command()
@click.argument("book", type=_EXISTING)
@_keep_going
@_reports_errors
def summary(book: Path, keep_going: bool) -> None:
    """Print the portfolio's headline KPIs (retention, concentration, pipeline, health)."""
    from kamxl.report import print_summary
    from kamxl.workbook.reader import read_workbook

    workbook = read_workbook(book)
    _valid(workbook, keep_going)
    print_summary(workbook)


if __name__ == "__main__":  # pragma: no cover
    main()

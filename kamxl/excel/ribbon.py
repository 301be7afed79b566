"""The KAM ribbon tab: one table of actions and one dispatcher.

Every button of the tab calls the same VBA callback, which runs
``kamxl.excel.ribbon.dispatch('<control id>')``; :data:`ACTIONS` maps the control id to its
label, icon and Python function, and the add-in's ribbon XML is generated from it
(:mod:`kamxl.excel.addin`). Adding a button is adding a row here: no VBA changes.

An action works on a :class:`KamBook`, a small interface with two implementations:

- :class:`LiveBook`, the workbook open in Excel (``xw.Book.caller()``), read through xlwings;
- :class:`FileBook`, a saved workbook: actions run headless (tests, the command line), the
  way xlwings' ``Book.set_mock_caller`` lets a macro be run from Python.

Both give the same :class:`~kamxl.workbook.model.KamWorkbook` (the same reader checks the
same cells), so a button and the command line give the same result.
"""

from __future__ import annotations

import os
import platform
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any, Protocol

import kamxl
from kamxl.errors import EXCEL_ERRORS, KamxlError
from kamxl.files import safe_filename
from kamxl.workbook.check import check_workbook
from kamxl.workbook.model import KamWorkbook, Problem
from kamxl.workbook.reader import ExcelErrorCell, read_grids, read_workbook

__all__ = [
    "ACTIONS",
    "Action",
    "ActionError",
    "FileBook",
    "KamBook",
    "LiveBook",
    "dispatch",
]


class ActionError(KamxlError):
    """A ribbon action cannot run (no account chosen, no Excel, ...)."""


class KamBook(Protocol):
    """What a ribbon action needs from a workbook."""

    name: str
    #: The xlwings version of the add-in whose button called (None when run headless).
    addin_xlwings: str | None

    def read(self) -> KamWorkbook:
        """The workbook's content, typed and checked."""
        ...

    def problems(self) -> list[Problem]:
        """Every problem of the workbook (what ``kamxl check`` reports)."""
        ...

    def active_account(self) -> str | None:
        """The account of the active row of Accounts, if the selection is there."""
        ...

    def ask_account(self, choices: list[str]) -> str | None:
        """Ask the user for an account id (None when cancelled or impossible)."""
        ...

    def output_dir(self) -> Path:
        """The folder where this workbook's outputs go (created if needed)."""
        ...

    def recalculate(self) -> str:
        """Recompute the computed columns; says what was done."""
        ...

    def show(self, message: str, *, error: bool = False) -> None:
        """Tell the user."""
        ...

    def open_folder(self, folder: Path) -> None:
        """Open ``folder`` in the file manager."""
        ...


def _outputs_next_to(path: Path) -> Path:
    folder = path.parent / f"{safe_filename(path.stem)} - kamxl"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


class FileBook:
    """A saved workbook, for headless runs: outputs next to it, messages collected."""

    def __init__(
        self, path: Path | str, *, account: str | None = None, out: Path | None = None
    ) -> None:
        self.path = Path(path)
        self.name = self.path.name
        self.addin_xlwings: str | None = None
        self.account = account
        self.out = out
        self.messages: list[str] = []
        self.opened: list[Path] = []
        self._book: KamWorkbook | None = None

    def read(self) -> KamWorkbook:
        if self._book is None:
            self._book = read_workbook(self.path)
        return self._book

    def problems(self) -> list[Problem]:
        return check_workbook(self.path)

    def active_account(self) -> str | None:
        return self.account

    def ask_account(self, choices: list[str]) -> str | None:
        return self.account if self.account in choices else None

    def output_dir(self) -> Path:
        if self.out is not None:
            self.out.mkdir(parents=True, exist_ok=True)
            return self.out
        return _outputs_next_to(self.path)

    def recalculate(self) -> str:
        from kamxl.workbook.writer import recalc_workbook

        target = (
            self.output_dir() / f"{safe_filename(self.path.stem)} (recalculated){self.path.suffix}"
        )
        report = recalc_workbook(self.path, target, overwrite=True)
        return f"Recalculated {report.accounts} accounts into {report.output}"

    def show(self, message: str, *, error: bool = False) -> None:
        self.messages.append(("Error: " if error else "") + message)

    def open_folder(self, folder: Path) -> None:
        self.opened.append(folder)


class LiveGrids:
    """The cells of a workbook open in Excel, read through xlwings (a
    :class:`~kamxl.workbook.reader.GridSource`)."""

    def __init__(self, book: Any) -> None:
        self.book = book
        self.path = Path(book.fullname or book.name)

    def titles(self) -> list[str]:
        return [sheet.name for sheet in self.book.sheets]

    def rows(self, title: str) -> list[list[Any]]:
        sheet = self.book.sheets[title]
        last = sheet.used_range.last_cell
        values = sheet.range((1, 1), (last.row, last.column)).options(ndim=2, err_to_str=True).value
        return [[_live_cell(v) for v in row] for row in values or []]

    def cached_by_excel(self) -> bool:
        return True


_ERROR_TEXTS = frozenset(EXCEL_ERRORS)  # what xlwings gives for an error cell (err_to_str)


def _live_cell(value: Any) -> Any:
    """A value as xlwings gives it, as the reader expects it (like calamine)."""
    if value is None:
        return ""
    if isinstance(value, str) and value in _ERROR_TEXTS:
        return ExcelErrorCell(value)
    if isinstance(value, datetime) and value.time() == datetime.min.time():
        return value.date()
    return value


class LiveBook:
    """The workbook open in Excel that called the ribbon (through xlwings)."""

    def __init__(self, book: Any, *, addin_xlwings: str | None = None) -> None:
        self.book = book
        self.name = book.name
        self.addin_xlwings = addin_xlwings
        self._read: KamWorkbook | None = None

    @classmethod
    def caller(cls, *, addin_xlwings: str | None = None) -> LiveBook:
        """The workbook the user is working in. Called from the add-in's ribbon, xlwings'
        ``Book.caller()`` is the add-in itself: the user's workbook is the active one."""
        import xlwings as xw

        return cls.of(xw.Book.caller(), addin_xlwings=addin_xlwings)

    @classmethod
    def of(cls, caller: Any, *, addin_xlwings: str | None = None) -> LiveBook:
        if str(caller.name).lower().endswith((".xlam", ".xla")):
            return cls(caller.app.books.active, addin_xlwings=addin_xlwings)
        return cls(caller, addin_xlwings=addin_xlwings)

    def read(self) -> KamWorkbook:
        if self._read is None:
            self._read = read_grids(LiveGrids(self.book))
        return self._read

    def problems(self) -> list[Problem]:
        return list(self.read().problems)

    def active_account(self) -> str | None:
        sheet = self.book.sheets.active
        if sheet.name.strip().casefold() != "accounts":
            return None
        row = self.book.app.selection.row
        accounts = self.read().sheets["Accounts"]
        match = accounts.frame[accounts.frame["_row"] == row]
        return None if match.empty else match.iloc[0]["account_id"]

    def ask_account(self, choices: list[str]) -> str | None:
        """No question asked: xlwings has no input box on both Windows and macOS (only
        ``app.api``, which differs), so the user is told to select a row instead."""
        return None

    def output_dir(self) -> Path:
        if self.book.fullname and Path(self.book.fullname).parent.exists():
            return _outputs_next_to(Path(self.book.fullname))
        folder = Path.home() / "Documents" / "kamxl"
        folder.mkdir(parents=True, exist_ok=True)
        return folder

    def recalculate(self) -> str:
        """Excel recalculates (``app.calculate()``, which xlwings offers on Windows and
        macOS: every formula whose inputs changed, and the volatile ``KAM_FRESHNESS``); a
        computed column that holds values instead of formulas gets kamxl's values, one
        write per column."""
        self.book.app.calculate()
        book = read_grids(LiveGrids(self.book))
        accounts = book.sheets["Accounts"]
        sheet = self.book.sheets[accounts.title]
        rows = accounts.frame["_row"].tolist()
        if not rows:
            return "No account to recalculate"
        first, last = min(rows), max(rows)
        written = []
        for name, result in book.computed.items():
            letter = accounts.letters.get(name)
            if letter is None or str(sheet.range(f"{letter}{first}").formula).startswith("="):
                continue  # a formula column: Excel has just recalculated it
            column = sheet.range(f"{letter}{first}:{letter}{last}")
            values = column.options(ndim=1).value
            for row, value in zip(rows, result.to_list(), strict=True):
                values[row - first] = value
            column.options(transpose=True).value = values
            written.append(name)
        filled = f"; values written in {', '.join(written)}" if written else ""
        return f"Recalculated {len(rows)} accounts{filled}"

    def show(self, message: str, *, error: bool = False) -> None:
        self.book.app.alert(message, title="kamxl", mode="critical" if error else "info")

    def open_folder(self, folder: Path) -> None:
        if platform.system() == "Windows":
            os.startfile(folder)  # type: ignore[attr-defined]
        elif platform.system() == "Darwin":
            subprocess.run(["open", str(folder)], check=False)
        else:
            subprocess.run(["xdg-open", str(folder)], check=False)


# --- the actions ------------------------------------------------------------------------------


def _account(book: KamBook) -> str:
    """The account a deck is for: the active row of Accounts, else asked for."""
    account = book.active_account()
    if account:
        return account
    choices = book.read().accounts["account_id"].dropna().astype(str).tolist()
    account = book.ask_account(choices)
    if not account:
        raise ActionError("select a row of the Accounts sheet first (the account of the deck)")
    return account


def _decks(book: KamBook, kind: str, *, account: bool, client: bool = False) -> str:
    """Build a deck of the workbook -- not from a workbook that fails the check: the
    buttons follow the rule of every command (a figure comes from valid inputs or not at
    all), and say what to fix."""
    from kamxl.deck.context import Audience
    from kamxl.deck.make import DeckKind, make_decks

    workbook = book.read()
    if workbook.errors:
        raise ActionError("No deck was built: " + check(book))
    built = make_decks(
        workbook,
        book.output_dir(),
        [DeckKind(kind)],
        accounts=[_account(book)] if account else (),
        audience=Audience.CLIENT if client else Audience.INTERNAL,
        overwrite=True,
    )
    return "Wrote " + ", ".join(str(b.path) for b in built)


def recalculate(book: KamBook) -> str:
    return book.recalculate()


def check(book: KamBook) -> str:
    problems = book.problems()
    if not problems:
        return f"{book.name}: no problems found"
    report = book.output_dir() / f"{safe_filename(Path(book.name).stem)} - check.txt"
    from kamxl.files import atomic_write

    atomic_write(report, "\n".join(str(p) for p in problems).encode("utf-8") + b"\n")
    errors = sum(p.is_error for p in problems)
    shown = "\n".join(str(p) for p in problems[:12])
    more = f"\n... {len(problems) - 12} more" if len(problems) > 12 else ""
    counts = f"{errors} error(s), {len(problems) - errors} warning(s)"
    return f"{counts}:\n{shown}{more}\nFull list: {report}"


def qbr(book: KamBook) -> str:
    return _decks(book, "qbr", account=True)


def client_qbr(book: KamBook) -> str:
    return _decks(book, "qbr", account=True, client=True)


def handshake(book: KamBook) -> str:
    return _decks(book, "handshake", account=True)


def portfolio(book: KamBook) -> str:
    return _decks(book, "portfolio", account=False)


def refresh_decks(book: KamBook) -> str:
    """Refresh every deck in the workbook's output folder (those its buttons wrote, edited
    since or not) from the workbook: the numbers, tables, charts and titles up to date, the
    user's edits kept (:mod:`kamxl.deck.refresh`); not from a workbook that fails the check."""
    from kamxl.deck.refresh import refresh_folder

    workbook = book.read()
    if workbook.errors:
        raise ActionError("No deck was refreshed: " + check(book))
    folder = book.output_dir()
    results = refresh_folder(folder, [workbook])
    if not results:
        return f"No deck to refresh in {folder}: build one with the deck buttons first"
    done = [r for r in results if r.report is not None]
    lines = [
        f"Refreshed {len(done)} of {len(results)} deck(s) in {folder}: "
        f"{sum(len(r.report.refreshed) for r in done if r.report)} element(s) brought up to "
        "date"
    ]
    for result in done:
        report = result.report
        if report is not None and (report.kept or report.unbound):
            lines.append(
                f"{result.path.name}: {len(report.kept)} kept as you edited them, "
                f"{len(report.unbound)} not refreshed"
            )
    lines += [f"Not refreshed: {r.error}" for r in results if r.report is None]
    return "\n".join(lines)


def open_output_folder(book: KamBook) -> str:
    folder = book.output_dir()
    book.open_folder(folder)
    return f"Opened {folder}"


def about(book: KamBook) -> str:
    """The versions that answer the add-in, and whether the add-in's xlwings (the one its
    VBA was built for, sent by the button) is the installed one."""
    import xlwings

    text = (
        f"kamxl {kamxl.__version__} (xlwings {xlwings.__version__}, Python "
        f"{platform.python_version()}, {sys.platform}) - {date.today().isoformat()}"
    )
    if book.addin_xlwings is None:
        return text
    from kamxl.excel.addin import xlwings_mismatch

    mismatch = xlwings_mismatch(book.addin_xlwings)
    if mismatch is None:
        return f"{text}\nThe add-in was built for this xlwings ({book.addin_xlwings})."
    return f"{text}\nWarning: {mismatch}"


@dataclass(frozen=True, slots=True)
class Action:
    """A button of the KAM tab."""

    control_id: str
    label: str
    image: str  # a built-in Office icon (imageMso)
    group: str
    tip: str
    run: Callable[[KamBook], str]
    size: str = "large"


#: The buttons of the KAM tab, in order; the ribbon XML is generated from this table.
ACTIONS: dict[str, Action] = {
    a.control_id: a
    for a in (
        Action(
            "kam_recalc",
            "Recalculate",
            "CalculateNow",
            "Workbook",
            "Recompute scores, tiers, health and every KAM_* formula.",
            recalculate,
        ),
        Action(
            "kam_check",
            "Check workbook",
            "ReviewSpellingAndGrammar",
            "Workbook",
            "List every problem: sheet, cell, value and what was expected.",
            check,
        ),
        Action(
            "kam_qbr",
            "QBR deck",
            "SlideNew",
            "Decks",
            "The QBR deck of the account of the active row in Accounts.",
            qbr,
        ),
        Action(
            "kam_client_qbr",
            "Client QBR",
            "SlidesFromOutline",
            "Decks",
            "The client-safe QBR deck (no internal field) of the active account.",
            client_qbr,
        ),
        Action(
            "kam_handshake",
            "Handshake slide",
            "ShapeStar",
            "Decks",
            "The one-page executive handshake of the active account.",
            handshake,
        ),
        Action(
            "kam_portfolio",
            "Portfolio deck",
            "ChartInsert",
            "Decks",
            "The portfolio review of the whole workbook.",
            portfolio,
        ),
        Action(
            "kam_refresh",
            "Refresh decks",
            "RefreshAll",
            "Decks",
            "Bring the decks in the output folder up to date from this workbook, keeping "
            "your edits.",
            refresh_decks,
        ),
        Action(
            "kam_open_folder",
            "Open output folder",
            "FileOpen",
            "Decks",
            "Open the folder where the decks and copies are written.",
            open_output_folder,
            "normal",
        ),
        Action(
            "kam_about",
            "About",
            "Info",
            "kamxl",
            "Which kamxl is installed (to check an installation).",
            about,
            "normal",
        ),
    )
}


def dispatch(
    control_id: str, book: KamBook | None = None, *, addin_xlwings: str | None = None
) -> str:
    """Run the action of ``control_id`` on ``book`` (default: the workbook that called).
    ``addin_xlwings`` is the xlwings version the calling add-in was built for (its VBA
    sends it), which *About* compares with the installed one.

    Whatever happens, the user is told: the action's message, or the error in one line.
    """
    target = book if book is not None else LiveBook.caller(addin_xlwings=addin_xlwings)
    action = ACTIONS.get(control_id)
    if action is None:
        message = f"unknown kamxl action {control_id!r}: reinstall the add-in (kamxl addin build)"
        target.show(message, error=True)
        return message
    try:
        message = action.run(target)
    except KamxlError as error:
        message = str(error)
        target.show(message, error=True)
        return message
    target.show(message)
    return message

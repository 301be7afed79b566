"""``kamxl check``: every problem of a workbook, at once.

The reader's problems (missing sheets and columns, bad cells, duplicates, unknown accounts)
plus, when Excel saved the workbook, the computed cells whose cached result differs from
what kamxl computes -- a sign that the workbook was not recalculated, or that Excel and
kamxl disagree (which must never happen).
"""

from __future__ import annotations

import math
from datetime import date
from pathlib import Path
from typing import Any

from kamxl.errors import NO_ERROR, error_text
from kamxl.workbook import schema
from kamxl.workbook.compute import compute_accounts
from kamxl.workbook.formulas import add_in_references
from kamxl.workbook.model import NO_VALUE, KamWorkbook, Problem, Severity
from kamxl.workbook.package import Package
from kamxl.workbook.reader import ExcelErrorCell, kam_formulas, read_workbook

__all__ = ["cached_mismatches", "check_workbook"]


def check_workbook(path: Path | str) -> list[Problem]:
    """Every problem of the workbook at ``path`` (errors first, then warnings)."""
    book = read_workbook(path)
    problems = list(book.problems) + cached_mismatches(book) + add_in_link_problems(book)
    return sorted(problems, key=lambda p: (not p.is_error,))


def add_in_link_problems(book: KamWorkbook) -> list[Problem]:
    """KAM_* formulas that will break on a colleague's computer, with the fix."""
    with Package.open(book.path) as package:
        references = add_in_references(package)
    problems = []
    for ref in references:
        more = f" and {len(ref.cells) - 1} more cell(s)" if len(ref.cells) > 1 else ""
        functions = ", ".join(ref.functions)
        if ref.form == "missing-add-in":
            text = (
                f"{functions} saved as unknown functions (_xludf.){more}: Excel did not have "
                "the kamxl add-in loaded. Fix: install it (kamxl addin install), then Find & "
                "Replace '_xludf.' with nothing"
            )
        else:
            where = ref.target or "an external file"
            text = (
                f"{functions} called through the add-in file {where}{more}; colleagues who "
                "do not have the add-in at exactly that path get #NAME? or #REF!. Fix: "
                "install the add-in (kamxl addin install), then Data > Edit Links > Change "
                f"Source to the installed kamxl.xlam, or Find & Replace {ref.prefix} with nothing"
            )
        problems.append(
            Problem(book.path.name, ref.sheet, ref.cells[0], NO_VALUE, text, Severity.WARNING)
        )
    return problems


def _saved_on(path: Path) -> date | None:
    with Package.open(path) as package:
        modified = package.modified()
    return modified.date() if modified else None


def _same(cached: Any, value: Any, code: int) -> bool:
    if code != NO_ERROR:
        return isinstance(cached, ExcelErrorCell) and cached.text == error_text(code)
    if isinstance(cached, ExcelErrorCell):
        return False
    if isinstance(value, str):
        return isinstance(cached, str) and cached == value
    if isinstance(cached, bool) or not isinstance(cached, (int, float)):
        return False
    return math.isclose(float(cached), float(value), rel_tol=1e-9, abs_tol=1e-9)


def cached_mismatches(book: KamWorkbook) -> list[Problem]:
    """Computed cells holding a KAM_* formula whose cached result is not kamxl's result.

    Skipped when the cached results were not computed by Excel (a workbook written by a
    library asks Excel to recalculate everything on opening). Freshness is compared as of
    the day the file was saved, when the workbook has no ``as_of`` setting.
    """
    formulas = kam_formulas(book) if book.cached_by_excel else {}
    if not formulas:
        return []
    results = book.computed
    if book.settings.as_of is None:
        saved = _saved_on(book.path)
        if saved is not None:
            results = {**results, "freshness": compute_accounts(book, saved)["freshness"]}
    accounts = book.sheets["Accounts"]
    position = {row: i for i, row in enumerate(accounts.frame["_row"].tolist())}
    problems = []
    for name in schema.COMPUTED_COLUMNS:
        cached = accounts.cached.get(name)
        if cached is None:
            continue
        result = results[name]
        for row in sorted(formulas.get(name, {})):
            i = position.get(row)
            if i is None:
                continue
            code = int(result.errors[i])
            value = result.values[i]
            if not _same(cached[i], value, code):
                kamxl = error_text(code) if code != NO_ERROR else value
                shown = round(kamxl, 6) if isinstance(kamxl, float) else kamxl
                problems.append(
                    Problem(
                        book.path.name,
                        accounts.title,
                        accounts.cell(name, row),
                        str(cached[i]) if isinstance(cached[i], ExcelErrorCell) else cached[i],
                        f"{name}: Excel's saved result differs from kamxl's ({shown}); "
                        "recalculate in Excel (Ctrl+Alt+F9) or run kamxl recalc",
                        Severity.WARNING,
                    )
                )
    return problems

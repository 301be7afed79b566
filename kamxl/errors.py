"""The one exception tree of kamxl.

Every exception kamxl raises is a :class:`KamxlError`. Each class carries the Excel error
code a worksheet function shows when that exception ends a calculation (``excel_code``),
so the add-in, the headless recalc and the batch all map failures the same way.

Vectorised functions cannot raise per row; they return an array of small integer error
codes instead (:data:`NO_ERROR` where the row is fine). The codes follow Excel's own
``ERROR.TYPE`` numbering, and :func:`error_text` / :func:`error_code` convert both ways.
"""

from __future__ import annotations

from typing import ClassVar

#: Excel error texts, in Excel's ``ERROR.TYPE`` order: the code of ``EXCEL_ERRORS[i]`` is i + 1.
EXCEL_ERRORS: tuple[str, ...] = (
    "#NULL!",
    "#DIV/0!",
    "#VALUE!",
    "#REF!",
    "#NAME?",
    "#NUM!",
    "#N/A",
    "#GETTING_DATA",
    "#SPILL!",
    "#CONNECT!",
    "#BLOCKED!",
    "#UNKNOWN!",
    "#FIELD!",
    "#CALC!",
    "#BUSY!",
    "#PYTHON!",
)

_CODE_OF_TEXT: dict[str, int] = {text: i + 1 for i, text in enumerate(EXCEL_ERRORS)}

NO_ERROR = 0
DIV0 = _CODE_OF_TEXT["#DIV/0!"]
VALUE = _CODE_OF_TEXT["#VALUE!"]
NUM = _CODE_OF_TEXT["#NUM!"]
NA = _CODE_OF_TEXT["#N/A"]


def is_error_text(value: object) -> bool:
    """True when ``value`` is the text of an Excel error cell, such as ``"#N/A"``."""
    return isinstance(value, str) and value in _CODE_OF_TEXT


def error_code(text: str) -> int:
    """The ``ERROR.TYPE`` code of an Excel error text."""
    return _CODE_OF_TEXT[text]


def error_text(code: int) -> str:
    """The Excel error text of an ``ERROR.TYPE`` code (``NO_ERROR`` is not an error)."""
    if not 1 <= code <= len(EXCEL_ERRORS):
        raise ValueError(f"not an Excel error code: {code}")
    return EXCEL_ERRORS[code - 1]


class KamxlError(Exception):
    """Base of every kamxl error; ``excel_code`` is what a worksheet cell shows for it."""

    excel_code: ClassVar[str] = "#VALUE!"

    @property
    def code(self) -> int:
        """The ``ERROR.TYPE`` number of :attr:`excel_code`."""
        return error_code(self.excel_code)


# --- Errors of a calculation (the formula catalogue) -------------------------------------


class FormulaError(KamxlError):
    """A catalogue function cannot give a result for its arguments."""


class InvalidInputError(FormulaError):
    """Wrong type or shape: text where a number is expected, lists of different lengths."""

    excel_code = "#VALUE!"


class OutOfDomainError(FormulaError):
    """A number outside its domain: a rating off the scale, a negative weight."""

    excel_code = "#NUM!"


class ZeroDenominatorError(FormulaError):
    """A denominator computed from the data present is 0."""

    excel_code = "#DIV/0!"


class NoDataError(FormulaError):
    """No applicable data at all: every rating blank, an empty cohort, a blank required cell."""

    excel_code = "#N/A"


class PropagatedExcelError(FormulaError):
    """An Excel error cell arrived as an argument; the result is that same error."""

    def __init__(self, excel_code: str, message: str | None = None) -> None:
        if not is_error_text(excel_code):
            raise ValueError(f"not an Excel error text: {excel_code!r}")
        super().__init__(message or f"an argument holds the Excel error {excel_code}")
        self._excel_code = excel_code

    @property  # type: ignore[override]
    def excel_code(self) -> str:  # instance-level: the incoming error, whatever it is
        return self._excel_code


_FORMULA_ERROR_OF_CODE: dict[int, type[FormulaError]] = {
    VALUE: InvalidInputError,
    NUM: OutOfDomainError,
    DIV0: ZeroDenominatorError,
    NA: NoDataError,
}


def formula_error(code: int, message: str | None = None) -> FormulaError:
    """The exception that shows as the Excel error ``code``."""
    cls = _FORMULA_ERROR_OF_CODE.get(code)
    if cls is None:
        return PropagatedExcelError(error_text(code), message)
    return cls(message or f"the result is {error_text(code)}")


# --- Errors of files: workbooks, templates, outputs --------------------------------------


class FileProblemError(KamxlError):
    """A file cannot be used; the message names the file and what is wrong."""

    def __init__(self, path: object, message: str) -> None:
        super().__init__(f"{path}: {message}")
        self.path = path
        self.reason = message


class NotAWorkbookError(FileProblemError):
    """The file is not an Excel workbook kamxl can read (not xlsx/xlsm, or encrypted)."""


class UnsafeFileError(FileProblemError):
    """The file breaks a safety limit (size, compression ratio, XML DTD/entities)."""


class WorkbookInvalidError(FileProblemError):
    """The workbook does not follow the contract; ``problems`` lists every problem found.

    The message lists the first :attr:`LISTED` errors and counts the others (the whole list
    is ``problems``, and ``kamxl check``'s report), so that it stays readable whatever the
    workbook.
    """

    LISTED: ClassVar[int] = 50

    def __init__(self, path: object, problems: list, *, hint: str | None = None) -> None:
        errors = [p for p in problems if getattr(p, "is_error", True)]
        lines = [f"  {p}" for p in errors[: self.LISTED]]
        if len(errors) > self.LISTED:
            lines.append(f"  ... and {len(errors) - self.LISTED:,} more (run kamxl check)")
        head = f"{len(errors)} problem(s) must be fixed first:"
        tail = [hint] if hint else []
        super().__init__(path, "\n".join([head, *lines, *tail]))
        self.problems = problems


class UnusableSettingError(FileProblemError):
    """A setting every figure of an output needs (the currency of every amount, the current
    period) fails the check: with ``--keep-going`` too, that output cannot be made."""


class OutputError(FileProblemError):
    """An output cannot be written: it exists (and overwriting was not asked), it would
    replace an input, or the folder is not writable."""


class TemplateError(FileProblemError):
    """A deck template lacks what kamxl needs."""

"""What every worksheet function does around its own computation.

:func:`excel_function` wraps a ``KAM_*`` function so that it behaves like an Excel function:

1. an Excel error cell in any argument propagates -- the first one in argument order, each
   range read row by row -- before anything else is looked at;
2. a :class:`~kamxl.errors.KamxlError` raised by the conversion or the engine becomes the
   error text the cell shows (``"#NUM!"``);
3. numpy scalars become plain Python values (what xlwings hands back to Excel).

:func:`udf` adds what Excel needs to find and describe the function: xlwings' ``@func`` and
``@arg`` declarations (category ``kamxl``, a description per argument, every argument
arriving as a 2-D range with error cells as their text) and a return converter that hands
Excel real error values instead of error text. xlwings' decorators only record metadata,
so the functions stay plain Python: they run and are tested anywhere, Excel or not.
"""

from __future__ import annotations

import functools
import inspect
import sys
from collections.abc import Callable
from dataclasses import dataclass
from types import ModuleType
from typing import Any, TypeVar

import numpy as np
from xlwings.conversion import Converter

from kamxl.core.cells import first_error_text
from kamxl.errors import KamxlError

__all__ = [
    "Argument",
    "Declaration",
    "ExcelErrors",
    "com_error_code",
    "declaration",
    "declarations",
    "excel_function",
    "udf",
]

F = TypeVar("F", bound=Callable[..., Any])


def excel_function(*, rowwise: tuple[str, ...] = ()) -> Callable[[F], F]:
    """Make ``func`` answer like a worksheet function (see the module docs).

    ``rowwise`` names the arguments whose error cells belong to one row of an array result
    (``KAM_SCORES``' matrix): they are left to the function instead of failing the call.
    """

    def decorate(func: F) -> F:
        signature = inspect.signature(func)
        scanned = [name for name in signature.parameters if name not in rowwise]

        @functools.wraps(func)
        def call(*args: Any, **kwargs: Any) -> Any:
            bound = signature.bind(*args, **kwargs)
            try:
                for name in scanned:
                    if name in bound.arguments:
                        incoming = first_error_text(bound.arguments[name])
                        if incoming is not None:
                            return incoming
                return _plain(func(*args, **kwargs))
            except KamxlError as error:
                return error.excel_code

        return call  # type: ignore[return-value]

    return decorate


def _plain(result: Any) -> Any:
    if isinstance(result, np.generic):
        return result.item()
    return result


#: Excel's XlCVError numbers of the error texts; Excel shows a COM error value whose code is
#: 0x800A0000 + this number as the error itself (VBA's CVErr).
_XL_CV_ERRORS: dict[str, int] = {
    "#NULL!": 2000,
    "#DIV/0!": 2007,
    "#VALUE!": 2015,
    "#REF!": 2023,
    "#NAME?": 2029,
    "#NUM!": 2036,
    "#N/A": 2042,
    "#GETTING_DATA": 2043,
    "#SPILL!": 2045,
    "#CONNECT!": 2046,
    "#BLOCKED!": 2047,
    "#UNKNOWN!": 2048,
    "#FIELD!": 2049,
    "#CALC!": 2050,
}


def com_error_code(text: str) -> int | None:
    """The (signed) COM error code under which Excel receives the error ``text``."""
    number = _XL_CV_ERRORS.get(text)
    return None if number is None else number - 2146828288  # 0x800A0000 as signed int


def _windows_error_value(code: int) -> Any:
    """A COM VT_ERROR variant (Windows only: xlwings UDFs run through pywin32)."""
    import pythoncom  # type: ignore[import-not-found]
    from win32com.client import VARIANT  # type: ignore[import-not-found]

    return VARIANT(pythoncom.VT_ERROR, code)


def _with_errors(value: Any, make_error: Callable[[int], Any]) -> Any:
    if isinstance(value, list):
        return [_with_errors(v, make_error) for v in value]
    if isinstance(value, str):
        code = com_error_code(value)
        if code is not None:
            return make_error(code)
    return value


class ExcelErrors(Converter):
    """xlwings return converter: error texts become real Excel errors in the cell.

    xlwings hands strings to Excel as text, so a result of ``"#N/A"`` would show as text
    that ``ISNA()`` and ``IFERROR()`` do not see. Used only when Excel calls the function:
    from Python, the functions return the error text.
    """

    make_error: Callable[[int], Any] = staticmethod(_windows_error_value)

    @classmethod
    def write_value(cls, value: Any, options: dict[str, Any]) -> Any:  # type: ignore[override]
        if sys.platform != "win32":  # UDFs run on Windows; elsewhere keep the text
            return value
        return _with_errors(value, cls.make_error)


@dataclass(frozen=True, slots=True)
class Argument:
    """One argument of a worksheet function, as Excel's Insert Function dialog shows it."""

    name: str
    doc: str
    optional: bool


@dataclass(frozen=True, slots=True)
class Declaration:
    """What Excel is told about a worksheet function, whatever brings it there: the VBA
    module of the Windows add-in (:mod:`kamxl.excel.vba`) or xlwings Lite
    (:mod:`kamxl.excel.lite`). Kept on the function, so it exists on every platform,
    where xlwings' own decorators record nothing."""

    name: str
    doc: str
    category: str
    volatile: bool
    arguments: tuple[Argument, ...]


_DECLARATION = "__kamxl_udf__"


def declaration(func: Callable[..., Any]) -> Declaration | None:
    """The :class:`Declaration` of a ``KAM_*`` function, ``None`` for any other callable."""
    found = getattr(func, _DECLARATION, None)
    return found if isinstance(found, Declaration) else None


def declarations(module: ModuleType) -> list[Declaration]:
    """The declared worksheet functions of ``module``, in the order xlwings' generator
    meets them (``dir(module)``: sorted by name)."""
    found = (declaration(getattr(module, name)) for name in dir(module))
    return [d for d in found if d is not None]


def udf(
    *, arguments: dict[str, str], rowwise: tuple[str, ...] = (), volatile: bool = False
) -> Callable[[F], F]:
    """Declare a worksheet function: :func:`excel_function` plus its xlwings declarations.

    ``arguments`` gives the description Excel shows for each argument (every argument of
    the function must have one). Each argument arrives as a 2-D list (``ndim=2``) with error
    cells as their text (``err_to_str``), as :mod:`kamxl.core.cells` expects. A
    ``volatile`` function is recalculated by Excel at every recalculation (one that reads
    today's date).
    """
    import xlwings as xw

    def decorate(func: F) -> F:
        parameters = inspect.signature(func).parameters
        missing = set(parameters) - set(arguments)
        if missing:
            raise TypeError(f"{func.__name__}: no description for {sorted(missing)}")
        declared = Declaration(
            name=func.__name__,
            doc=inspect.getdoc(func) or "",
            category=CATEGORY,
            volatile=volatile,
            arguments=tuple(
                Argument(name, arguments[name], p.default is not inspect.Parameter.empty)
                for name, p in parameters.items()
            ),
        )
        wrapped: Any = excel_function(rowwise=rowwise)(func)
        setattr(wrapped, _DECLARATION, declared)
        for argument in reversed(declared.arguments):
            wrapped = xw.arg(argument.name, ndim=2, err_to_str=True, doc=argument.doc)(wrapped)
        wrapped = xw.ret(ExcelErrors)(wrapped)
        return xw.func(category=declared.category, volatile=declared.volatile)(wrapped)

    return decorate


#: The category of the KAM_* functions in Excel's Insert Function dialog.
CATEGORY = "kamxl"

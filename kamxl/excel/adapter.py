"""What every worksheet function does around its own computation.

:func:`excel_function` wraps a ``KAM_*`` function so that it behaves like an Excel function:

1. an Excel error cell in any argument propagates -- the first one in argument order, each
   range read row by row -- before anything else is looked at;
2. a :class:`~kamxl.errors.KamxlError` raised by the conversion or the engine becomes the
   error text the cell shows (``"#NUM!"``);
3. numpy scalars become plain Python values (what xlwings hands back to Excel).

It needs no Excel and no xlwings, so the functions run and are tested anywhere.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from typing import Any, TypeVar

import numpy as np

from kamxl.core.cells import first_error_text
from kamxl.errors import KamxlError

__all__ = ["excel_function"]

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

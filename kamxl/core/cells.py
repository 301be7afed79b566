"""Excel-shaped values to numpy arrays.

Excel hands a worksheet function its arguments as cells: a range is a 2-D list of rows,
a single cell may come bare, a blank cell is ``None``, an error cell is its error text
(``"#N/A"``), a date is a ``datetime``/``date`` or an Excel serial number. The functions here
turn such arguments into the arrays the computation engine works on, and raise the
:mod:`kamxl.errors` exception whose Excel code the cell must show when an argument is not
acceptable. They are pure (no Excel, no files), so the add-in, the headless recalc and the
tests all convert the same way.

Conventions enforced here (see ``docs/formulas.md``):

- blanks (``None``, ``""``, a float NaN) become NaN, never 0;
- text is never a number, even ``"12"``; ``TRUE``/``FALSE`` and dates are not numbers either;
- an Excel error text in an argument raises :class:`~kamxl.errors.PropagatedExcelError`;
- a date argument accepts a date or a serial number (1900 date system) and is turned into a
  *day number*: whole days since 1899-12-30, the epoch that makes Excel serials from
  1900-03-01 on equal to their day number.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from itertools import chain
from numbers import Real
from typing import Any, Final

import numpy as np

from kamxl.core.words import normalise_word
from kamxl.errors import (
    NO_ERROR,
    VALUE,
    InvalidInputError,
    OutOfDomainError,
    PropagatedExcelError,
    error_code,
    is_error_text,
)

__all__ = [
    "cells",
    "date_serial_to_day",
    "day_number",
    "day_numbers",
    "directions",
    "first_error_text",
    "number",
    "number_matrix",
    "numbers",
    "optional_number",
    "same_length",
    "texts",
]

#: Types whose values are plain numbers (or ``None``) and can take numpy's fast conversion.
_FAST_NUMBER_TYPES: Final = frozenset(
    {float, int, type(None), np.float64, np.float32, np.int64, np.int32}
)
_EPOCH_ORDINAL: Final = date(1899, 12, 30).toordinal()
_UNIX_EPOCH_DAY: Final = date(1970, 1, 1).toordinal() - _EPOCH_ORDINAL


# --- shapes -----------------------------------------------------------------------------


def _is_row_list(value: object) -> bool:
    return isinstance(value, (list, tuple))


def cells(arg: Any) -> list[Any]:
    """All cells of an argument in reading order (row by row).

    A scalar is a list of one; a 1-D list is taken as it is; a 2-D list (a list of rows)
    is flattened. Rows of a 2-D list may have any length (Excel ranges are rectangular,
    and a caller passing rows of different lengths still means "these cells").
    """
    if isinstance(arg, np.ndarray):
        return arg.ravel().tolist()
    if _is_row_list(arg):
        if not arg:
            return []
        row_types = set(map(type, arg)) & {list, tuple}
        if not row_types:
            return list(arg)
        if not set(map(type, arg)) <= {list, tuple}:
            raise InvalidInputError("a range mixes rows and single cells")
        return list(chain.from_iterable(arg))
    return [arg]


def first_error_text(arg: Any) -> str | None:
    """The first Excel error text among the cells of ``arg`` (reading order), if any."""
    flat = cells(arg)
    if str not in set(map(type, flat)):
        return None
    for value in flat:
        if isinstance(value, str) and is_error_text(value):
            return value
    return None


def _is_blank(value: object) -> bool:
    return value is None or value == "" or (isinstance(value, float) and math.isnan(value))


def _describe(value: object) -> str:
    if isinstance(value, str):
        return f"text {value!r}"
    if isinstance(value, (bool, np.bool_)):
        return "TRUE" if value else "FALSE"
    if isinstance(value, (date, datetime)):
        return f"the date {value.isoformat()}"
    return f"{type(value).__name__} {value!r}"


# --- numbers ----------------------------------------------------------------------------


def _as_number(value: object, what: str, position: int) -> float:
    """One cell as a float (NaN for a blank); raises for anything that is not a number."""
    if _is_blank(value):
        return math.nan
    if isinstance(value, Real) and not isinstance(value, (bool, np.bool_)):
        return float(value)
    if isinstance(value, str) and is_error_text(value):
        raise PropagatedExcelError(value, f"{what}: cell {position + 1} holds {value}")
    raise InvalidInputError(f"{what}: cell {position + 1} holds {_describe(value)}, not a number")


def numbers(arg: Any, what: str = "value") -> np.ndarray:
    """The cells of ``arg`` as a 1-D float array, NaN where a cell is blank.

    Raises :class:`PropagatedExcelError` for an error cell (the first one) and
    :class:`InvalidInputError` for text, booleans, dates or anything else that is not a number.
    """
    if isinstance(arg, np.ndarray) and arg.dtype.kind in "fiu":
        return arg.astype(np.float64, copy=False).ravel()
    flat = cells(arg)
    if set(map(type, flat)) <= _FAST_NUMBER_TYPES:
        return np.array(flat, dtype=np.float64).reshape(len(flat))
    error = first_error_text(flat)
    if error is not None:
        raise PropagatedExcelError(error, f"{what} holds {error}")
    return np.array([_as_number(v, what, i) for i, v in enumerate(flat)], dtype=np.float64)


def number(arg: Any, what: str = "value") -> float:
    """A single-value argument as a float, NaN when the cell is blank.

    A blank required value is left to the engine, which turns NaN into ``#N/A`` after its
    own domain checks (so a ``#NUM!`` elsewhere still wins). A range of more than one cell is
    ``#VALUE!``.
    """
    flat = cells(arg)
    if len(flat) != 1:
        raise InvalidInputError(f"{what}: expected one value, got a range of {len(flat)} cells")
    return _as_number(flat[0], what, 0)


def optional_number(arg: Any, what: str, default: float | None) -> float | None:
    """A single optional value: ``default`` when omitted or blank."""
    value = number(arg, what)
    return default if math.isnan(value) else value


def number_matrix(arg: Any, what: str = "value") -> tuple[np.ndarray, np.ndarray]:
    """A 2-D range as a float matrix plus the error code of each row.

    Unlike :func:`numbers`, a bad cell does not raise: it leaves NaN in the matrix and marks
    its row, so that vectorised functions give that row its error and every other row its
    result. A row's code is its first incoming Excel error, else ``#VALUE!`` when a cell is not
    a number, else 0.
    """
    if isinstance(arg, np.ndarray) and arg.dtype.kind in "fiu":
        matrix = np.atleast_2d(arg.astype(np.float64, copy=False))
        return matrix, np.zeros(matrix.shape[0], dtype=np.int8)
    rows = _matrix_rows(arg)
    widths = set(map(len, rows))
    if len(widths) > 1:
        raise InvalidInputError(f"{what}: the rows of the range have different lengths")
    width = widths.pop() if widths else 0
    codes = np.zeros(len(rows), dtype=np.int8)
    if set(map(type, chain.from_iterable(rows))) <= _FAST_NUMBER_TYPES:
        return np.array(rows, dtype=np.float64).reshape(len(rows), width), codes
    matrix = np.full((len(rows), width), np.nan)
    for i, row in enumerate(rows):
        incoming = NO_ERROR
        for j, value in enumerate(row):
            if _is_blank(value):
                continue
            if isinstance(value, Real) and not isinstance(value, (bool, np.bool_)):
                matrix[i, j] = float(value)
            elif isinstance(value, str) and is_error_text(value):
                if incoming == NO_ERROR:
                    incoming = error_code(value)
            elif codes[i] == NO_ERROR:
                codes[i] = VALUE
        if incoming != NO_ERROR:
            codes[i] = incoming
    return matrix, codes


def _matrix_rows(arg: Any) -> list[Sequence[Any]]:
    if isinstance(arg, np.ndarray):
        return np.atleast_2d(arg).tolist()
    if _is_row_list(arg) and arg and set(map(type, arg)) <= {list, tuple}:
        return list(arg)
    if _is_row_list(arg) and not arg:
        return []
    return [cells(arg)]  # a single row given flat, or a single cell


# --- dates ------------------------------------------------------------------------------


def date_serial_to_day(serial: float) -> float:
    """An Excel serial number (1900 system) as a day number, whole days since 1899-12-30.

    Serials from 61 (1900-03-01) on equal their day number; below 60 Excel counts one day
    less because of its phantom 1900-02-29 (serial 60, taken as 1900-02-28). Negative serials
    are not dates.
    """
    if serial < 0:
        raise OutOfDomainError(f"{serial} is not an Excel date (negative serial)")
    whole = math.floor(serial)
    return float(whole + 1 if whole < 60 else whole)


def _date_to_day(value: object, what: str, position: int) -> float:
    if _is_blank(value):
        return math.nan
    if isinstance(value, datetime):
        value = value.date()
    if isinstance(value, date):
        return float(value.toordinal() - _EPOCH_ORDINAL)
    if isinstance(value, np.datetime64):
        if np.isnat(value):
            return math.nan
        return float(value.astype("datetime64[D]").astype(np.int64) + _UNIX_EPOCH_DAY)
    if isinstance(value, Real) and not isinstance(value, (bool, np.bool_)):
        return date_serial_to_day(float(value))
    if isinstance(value, str) and is_error_text(value):
        raise PropagatedExcelError(value, f"{what}: cell {position + 1} holds {value}")
    raise InvalidInputError(f"{what}: cell {position + 1} holds {_describe(value)}, not a date")


def day_numbers(arg: Any, what: str = "date") -> np.ndarray:
    """The cells of a date argument as day numbers (NaN where blank); see module docs."""
    flat = cells(arg)
    error = first_error_text(flat)
    if error is not None:
        raise PropagatedExcelError(error, f"{what} holds {error}")
    return np.array([_date_to_day(v, what, i) for i, v in enumerate(flat)], dtype=np.float64)


def day_number(arg: Any, what: str = "date") -> float:
    """A single date argument as a day number, NaN when the cell is blank."""
    flat = cells(arg)
    if len(flat) != 1:
        raise InvalidInputError(f"{what}: expected one date, got a range of {len(flat)} cells")
    return _date_to_day(flat[0], what, 0)


# --- text -------------------------------------------------------------------------------


def texts(arg: Any, what: str = "text") -> list[str | None]:
    """The cells of a text argument, ``None`` where blank; a number or a date is ``#VALUE!``."""
    flat = cells(arg)
    error = first_error_text(flat)
    if error is not None:
        raise PropagatedExcelError(error, f"{what} holds {error}")
    out: list[str | None] = []
    for i, value in enumerate(flat):
        if _is_blank(value):
            out.append(None)
        elif isinstance(value, str):
            out.append(value)
        else:
            raise InvalidInputError(f"{what}: cell {i + 1} holds {_describe(value)}, not text")
    return out


_DIRECTION_WORDS: Final = {"higher": False, "lower": True}


def directions(arg: Any, count: int, what: str = "directions") -> np.ndarray:
    """Which criteria are inverted (``lower``), as a boolean array of ``count`` items.

    ``None`` (the argument omitted) means every criterion is ``higher``. Otherwise one cell
    per criterion: ``higher``/``lower`` in any case, ``1``/``-1``, or blank for higher.
    """
    if arg is None:
        return np.zeros(count, dtype=bool)
    flat = cells(arg)
    if len(flat) != count:
        raise InvalidInputError(f"{what}: {len(flat)} cells for {count} criteria")
    error = first_error_text(flat)
    if error is not None:
        raise PropagatedExcelError(error, f"{what} holds {error}")
    return np.array([_direction(v, what, i) for i, v in enumerate(flat)], dtype=bool)


def _direction(value: object, what: str, position: int) -> bool:
    if _is_blank(value):
        return False
    if isinstance(value, str):
        word = normalise_word(value)
        if word in _DIRECTION_WORDS:
            return _DIRECTION_WORDS[word]
    elif isinstance(value, Real) and not isinstance(value, (bool, np.bool_)):
        if value == 1:
            return False
        if value == -1:
            return True
    raise InvalidInputError(
        f"{what}: cell {position + 1} holds {_describe(value)}; "
        "expected higher, lower, 1, -1 or blank"
    )


def same_length(what: str, *lists: Iterable[Any] | np.ndarray) -> None:
    """Raise ``#VALUE!`` unless every list has the same number of cells."""
    lengths = {len(x) for x in lists}  # type: ignore[arg-type]
    if len(lengths) > 1:
        raise InvalidInputError(f"{what}: the ranges have different numbers of cells")

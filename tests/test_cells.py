"""Excel-shaped arguments to arrays: shapes, blanks, text, errors and dates."""

from __future__ import annotations

import math
from datetime import date, datetime

import numpy as np
import pytest

from kamxl.core import cells
from kamxl.errors import InvalidInputError, OutOfDomainError, PropagatedExcelError


@pytest.mark.parametrize(
    ("arg", "expected"),
    [
        (5, [5]),
        ([1, 2, 3], [1, 2, 3]),
        ([[1, 2, 3]], [1, 2, 3]),  # a row
        ([[1], [2], [3]], [1, 2, 3]),  # a column
        ([[1, 2], [3, 4]], [1, 2, 3, 4]),  # 2-D, read row by row
        (np.array([[1, 2], [3, 4]]), [1, 2, 3, 4]),
        ([], []),
        (None, [None]),
    ],
)
def test_cells_reads_every_shape_row_by_row(arg: object, expected: list) -> None:
    assert cells.cells(arg) == expected


def test_cells_refuses_a_mix_of_rows_and_single_cells() -> None:
    with pytest.raises(InvalidInputError):
        cells.cells([[1, 2], 3])


def test_numbers_keeps_blanks_as_nan_never_zero() -> None:
    values = cells.numbers([[1, None, "", 2.5]])
    assert values[0] == 1 and values[3] == 2.5
    assert math.isnan(values[1]) and math.isnan(values[2])


@pytest.mark.parametrize("bad", ["12", " 3,5 ", True, False, date(2026, 1, 1), object()])
def test_numbers_refuses_what_is_not_a_number(bad: object) -> None:
    with pytest.raises(InvalidInputError):
        cells.numbers([[1, bad]])


def test_numbers_propagates_the_first_error_even_after_text() -> None:
    with pytest.raises(PropagatedExcelError) as caught:
        cells.numbers([["text", "#DIV/0!", "#N/A"]])
    assert caught.value.excel_code == "#DIV/0!"


def test_number_refuses_a_range_of_several_cells() -> None:
    with pytest.raises(InvalidInputError):
        cells.number([[1, 2]])
    assert cells.number([[7]]) == 7.0
    assert math.isnan(cells.number(None))
    assert cells.optional_number(None, "cut", 50.0) == 50.0


def test_number_matrix_marks_bad_rows_and_keeps_good_ones() -> None:
    matrix, codes = cells.number_matrix([[1, 2], ["x", 3], [True, "#REF!"], [None, None]])
    assert matrix.shape == (4, 2)
    assert codes.tolist() == [0, 3, 4, 0]  # #VALUE! = 3, #REF! = 4 (ERROR.TYPE numbers)
    assert matrix[0].tolist() == [1.0, 2.0]
    assert math.isnan(matrix[3, 0])


def test_number_matrix_refuses_ragged_rows() -> None:
    with pytest.raises(InvalidInputError):
        cells.number_matrix([[1, 2], [3]])


@pytest.mark.parametrize(
    ("value", "day"),
    [
        (date(2026, 1, 1), 46023),
        (datetime(2026, 1, 1, 23, 59), 46023),  # time of day ignored
        (46023, 46023),
        (46023.99, 46023),
        (np.datetime64("2026-01-01"), 46023),
        (date(1900, 3, 1), 61),
        (61, 61),
        (date(1900, 1, 1), 2),
        (1, 2),  # serial 1 is 1900-01-01: one day later than its day number
        (date(1900, 2, 28), 60),
        (59, 60),
    ],
)
def test_dates_and_serials_give_the_same_day(value: object, day: int) -> None:
    assert cells.day_number(value) == day


def test_negative_serial_is_not_a_date() -> None:
    with pytest.raises(OutOfDomainError):
        cells.day_numbers([[-1]])


@pytest.mark.parametrize("bad", ["2026-01-01", True])
def test_text_and_booleans_are_not_dates(bad: object) -> None:
    with pytest.raises(InvalidInputError):
        cells.day_numbers([bad])


@pytest.mark.parametrize(
    ("arg", "lower"),
    [
        (None, [False, False, False]),
        ([["higher", "LOWER", None]], [False, True, False]),
        ([[1, -1, 1.0]], [False, True, False]),
        ([[" Lower ", "higher", ""]], [True, False, False]),
    ],
)
def test_directions(arg: object, lower: list[bool]) -> None:
    assert cells.directions(arg, 3).tolist() == lower


@pytest.mark.parametrize(
    "bad", [[["down", "higher", "higher"]], [[0, 1, 1]], [[True, 1, 1]], [[1, 1]]]
)
def test_unknown_directions_are_refused(bad: object) -> None:
    with pytest.raises(InvalidInputError):
        cells.directions(bad, 3)


def test_texts_refuses_numbers() -> None:
    assert cells.texts([["won", None, ""]]) == ["won", None, None]
    with pytest.raises(InvalidInputError):
        cells.texts([["won", 3]])

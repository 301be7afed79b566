"""The xlwings declarations of the KAM_* functions, made by xlwings' real decorators.

On Linux, xlwings' ``func``/``arg``/``ret`` do nothing (the real ones live in
``xlwings.udfs``, which needs pywin32); tests/xlwings_real.py imports that real module with
pywin32 stood in for, so the UDF module is decorated exactly as on Windows. What xlwings
records is compared with kamxl's Declaration in tests/test_vba_udfs.py; here: every
function is declared, still computes, and its errors reach Excel as error values.
"""

from __future__ import annotations

import inspect
import sys
from collections.abc import Iterator
from types import ModuleType

import pytest

import kamxl.excel.udfs as udfs
from kamxl.excel.adapter import CATEGORY, ExcelErrors, com_error_code
from tests.xlwings_real import declared_by_xlwings


@pytest.fixture(scope="module")
def declared() -> Iterator[ModuleType]:
    with declared_by_xlwings("kamxl.excel.udfs") as (module, _):
        yield module


@pytest.mark.parametrize("name", udfs.__all__)
def test_every_function_is_declared_for_excel_with_its_help(
    declared: ModuleType, name: str
) -> None:
    function = getattr(declared, name)
    xlfunc = function.__xlfunc__
    assert xlfunc["category"] == CATEGORY
    assert xlfunc["ret"]["options"]["convert"] is ExcelErrors
    assert [a["name"] for a in xlfunc["args"]] == list(inspect.signature(function).parameters)
    for arg in xlfunc["args"]:
        assert arg["options"]["ndim"] == 2 and arg["options"]["err_to_str"] is True
        assert 10 <= len(arg["doc"]) <= 255, (name, arg["name"])
    assert inspect.getdoc(function) and xlfunc["ret"]["doc"] == function.__doc__


def test_declared_functions_still_compute(declared: ModuleType) -> None:
    assert declared.KAM_SCORE([[4, 5, 3]], [[0.5], [0.3], [0.2]]) == 77.5
    assert declared.KAM_TIER(69.9) == "B"


def test_error_codes_are_those_excel_uses() -> None:
    """Checked against xlwings' own table of the COM error codes Excel sends."""
    excel_codes = {
        -2146826281: "#DIV/0!",
        -2146826246: "#N/A",
        -2146826259: "#NAME?",
        -2146826288: "#NULL!",
        -2146826252: "#NUM!",
        -2146826265: "#REF!",
        -2146826273: "#VALUE!",
    }
    for code, text in excel_codes.items():
        assert com_error_code(text) == code
    assert com_error_code("#SPILL!") == -2146828288 + 2045
    assert com_error_code("Strategic") is None


def test_error_texts_become_error_values_only_for_excel_on_windows(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    result = [["Strategic", "#N/A"], [12.5, "#VALUE!"]]
    assert ExcelErrors.write_value(result, {}) == result  # not Windows: text kept
    monkeypatch.setattr(sys, "platform", "win32")
    monkeypatch.setattr(ExcelErrors, "make_error", staticmethod(lambda code: ("ERR", code)))
    assert ExcelErrors.write_value(result, {}) == [
        ["Strategic", ("ERR", -2146826246)],
        [12.5, ("ERR", -2146826273)],
    ]
    assert ExcelErrors.write_value("#DIV/0!", {}) == ("ERR", -2146826281)

"""The xlwings declarations of the KAM_* functions, checked without Excel.

On Linux, xlwings' ``func``/``arg``/``ret`` decorators do nothing (its real ones need
pywin32), so these tests swap in recording stand-ins, reload the UDF module, and check what
Windows xlwings would be told: category, a description per argument, raw 2-D arguments
with error cells as text, and the error-value return converter.
"""

from __future__ import annotations

import importlib
import inspect
import sys
from collections.abc import Iterator
from typing import Any

import pytest
import xlwings as xw

import kamxl.excel.udfs as udfs
from kamxl.excel.adapter import CATEGORY, ExcelErrors, com_error_code


class Recorder:
    """Stand-ins for xw.func / xw.arg / xw.ret that remember their calls per function."""

    def __init__(self) -> None:
        self.funcs: dict[str, dict[str, Any]] = {}
        self.args: dict[str, dict[str, dict[str, Any]]] = {}
        self.rets: dict[str, Any] = {}

    def func(self, **options: Any) -> Any:
        def decorate(f: Any) -> Any:
            self.funcs[f.__name__] = options
            return f

        return decorate

    def arg(self, name: str, convert: Any = None, **options: Any) -> Any:
        def decorate(f: Any) -> Any:
            self.args.setdefault(f.__name__, {})[name] = options
            return f

        return decorate

    def ret(self, convert: Any = None, **options: Any) -> Any:
        def decorate(f: Any) -> Any:
            self.rets[f.__name__] = convert
            return f

        return decorate


@pytest.fixture(scope="module")
def declared() -> Iterator[Recorder]:
    recorder = Recorder()
    saved = (xw.func, xw.arg, xw.ret)
    xw.func, xw.arg, xw.ret = recorder.func, recorder.arg, recorder.ret
    try:
        importlib.reload(udfs)
        yield recorder
    finally:
        xw.func, xw.arg, xw.ret = saved
        importlib.reload(udfs)


@pytest.mark.parametrize("name", udfs.__all__)
def test_every_function_is_declared_for_excel_with_its_help(declared: Recorder, name: str) -> None:
    assert declared.funcs[name] == {"category": CATEGORY}
    assert declared.rets[name] is ExcelErrors
    function = getattr(udfs, name)
    parameters = list(inspect.signature(function).parameters)
    assert list(declared.args.get(name, {})) == list(reversed(parameters)) or set(
        declared.args.get(name, {})
    ) == set(parameters)
    for parameter in parameters:
        options = declared.args[name][parameter]
        assert options["ndim"] == 2 and options["err_to_str"] is True
        assert 10 <= len(options["doc"]) <= 255, (name, parameter)
    assert inspect.getdoc(function)


def test_declared_functions_still_compute(declared: Recorder) -> None:
    assert udfs.KAM_SCORE([[4, 5, 3]], [[0.5], [0.3], [0.2]]) == 77.5
    assert udfs.KAM_TIER(69.9) == "B"


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

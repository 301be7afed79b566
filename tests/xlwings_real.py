"""xlwings' own Windows UDF code (``xlwings.udfs``), made importable on Linux for tests.

``xlwings.udfs`` holds the real ``xlfunc``/``xlarg``/``xlret`` decorators and the VBA
generator of *Import Python UDFs* (``generate_vba_wrapper``). It imports pywin32 at module
level, which exists only on Windows, so :func:`windows_udfs` puts three stand-ins in
``sys.modules`` first, each offering only a name the real pywin32 module has and that
``xlwings.udfs`` touches while it is imported (``pythoncom.CoInitialize``,
``pywintypes.com_error``, ``win32com.client.Dispatch``); none of them is called by the
decorators or the generator. Everything else is xlwings' real code.
"""

from __future__ import annotations

import importlib
import sys
import types
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import xlwings as xw

_STUBBED = ("pythoncom", "pywintypes", "win32com", "win32com.client", "xlwings.udfs")


def _not_on_linux(*args: Any, **kwargs: Any) -> Any:
    raise RuntimeError("pywin32 stand-in called: this needs Windows")


class _ComError(Exception):
    """Stand-in for pywintypes.com_error (only caught, never raised, by the generator)."""


@contextmanager
def windows_udfs() -> Iterator[types.ModuleType]:
    """``xlwings.udfs``, imported with pywin32 stood in for; removed again afterwards."""
    saved = {name: sys.modules.get(name) for name in _STUBBED}
    pythoncom = types.ModuleType("pythoncom")
    pythoncom.CoInitialize = _not_on_linux  # type: ignore[attr-defined]
    pywintypes = types.ModuleType("pywintypes")
    pywintypes.com_error = _ComError  # type: ignore[attr-defined]
    win32com = types.ModuleType("win32com")
    client = types.ModuleType("win32com.client")
    client.Dispatch = _not_on_linux  # type: ignore[attr-defined]
    win32com.client = client  # type: ignore[attr-defined]
    sys.modules.update({"pythoncom": pythoncom, "pywintypes": pywintypes, "win32com": win32com})
    sys.modules["win32com.client"] = client
    sys.modules.pop("xlwings.udfs", None)
    try:
        yield importlib.import_module("xlwings.udfs")
    finally:
        for name, module in saved.items():
            if module is None:
                sys.modules.pop(name, None)
            else:
                sys.modules[name] = module


@contextmanager
def declared_by_xlwings(module_name: str) -> Iterator[tuple[types.ModuleType, types.ModuleType]]:
    """``module_name`` re-imported with xlwings' real Windows decorators in place of the
    ones xlwings gives on Linux (which do nothing), so that each function carries the
    ``__xlfunc__`` that Windows xlwings records. Yields (that module, ``xlwings.udfs``)."""
    with windows_udfs() as udfs:
        saved = (xw.func, xw.arg, xw.ret)
        module = importlib.import_module(module_name)
        xw.func, xw.arg, xw.ret = udfs.xlfunc, udfs.xlarg, udfs.xlret  # type: ignore[assignment]
        try:
            yield importlib.reload(module), udfs
        finally:
            xw.func, xw.arg, xw.ret = saved  # type: ignore[assignment]
            importlib.reload(module)


class AddinWorkbook:
    """What ``generate_vba_wrapper`` reads of the COM Workbook it writes into: its ``Name``
    (an ``.xlam`` makes the wrapper pass ``ActiveWorkbook``)."""

    def __init__(self, name: str) -> None:
        self.Name = name

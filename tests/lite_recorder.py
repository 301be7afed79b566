"""pytest plugin: records every KAM_* call that the tests it runs make.

``python -m pytest TESTS -p tests.lite_recorder`` with ``KAMXL_RECORD_CALLS=FILE``: each
``KAM_*`` function of :mod:`kamxl.excel.udfs` is replaced, before the tests are collected,
by a wrapper that notes ``(name, args, kwargs)`` and calls it; at the end the calls are
pickled into FILE. tests/test_lite.py replays them through the generated xlwings Lite
``main.py``, so the catalogue's worked examples are the examples checked there too.
"""

from __future__ import annotations

import copy
import functools
import os
import pickle
from collections.abc import Callable
from typing import Any

import pytest

from kamxl.excel import udfs
from kamxl.excel.adapter import declaration

CALLS: list[tuple[str, tuple[Any, ...], dict[str, Any]]] = []


def _recording(name: str, function: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(function)
    def call(*args: Any, **kwargs: Any) -> Any:
        CALLS.append((name, copy.deepcopy(args), copy.deepcopy(kwargs)))
        return function(*args, **kwargs)

    return call


def pytest_configure(config: pytest.Config) -> None:
    for name in dir(udfs):
        function = getattr(udfs, name)
        if declaration(function) is not None:
            setattr(udfs, name, _recording(name, function))


def pytest_unconfigure(config: pytest.Config) -> None:
    with open(os.environ["KAMXL_RECORD_CALLS"], "wb") as out:
        pickle.dump(CALLS, out)

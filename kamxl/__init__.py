"""kamxl: key account management in Excel.

The package is layered, each layer importing only the ones below it:

- :mod:`kamxl.core` -- pure computation (scores, KPIs, the portfolio matrix) on numpy arrays;
- :mod:`kamxl.workbook` -- the standard KAM workbook: schema, template, reader, writer;
- :mod:`kamxl.deck` -- the PowerPoint decks built from a workbook;
- :mod:`kamxl.excel` and :mod:`kamxl.cli` -- the Excel add-in and the command line.

The entry points are importable from here; they load their layer on first use, so that
``import kamxl`` (and the Excel functions) start fast.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

__all__ = [
    "KamWorkbook",
    "__version__",
    "check_workbook",
    "read_workbook",
    "recalc_workbook",
]

_LAZY = {
    "KamWorkbook": "kamxl.workbook.model",
    "read_workbook": "kamxl.workbook.reader",
    "check_workbook": "kamxl.workbook.check",
    "recalc_workbook": "kamxl.workbook.writer",
}

if TYPE_CHECKING:  # pragma: no cover
    from kamxl.workbook.check import check_workbook
    from kamxl.workbook.model import KamWorkbook
    from kamxl.workbook.reader import read_workbook
    from kamxl.workbook.writer import recalc_workbook


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'kamxl' has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value

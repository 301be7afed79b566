"""kamxl: key account management in Excel.

The package is layered, each layer importing only the ones below it:

- :mod:`kamxl.core` -- pure computation (scores, KPIs, the portfolio matrix) on numpy arrays;
- :mod:`kamxl.workbook` -- the standard KAM workbook: schema, template, reader, writer;
- :mod:`kamxl.deck` -- the PowerPoint decks built from a workbook;
- :mod:`kamxl.excel` and :mod:`kamxl.cli` -- the Excel add-in and the command line.
"""

from __future__ import annotations

__version__ = "0.1.0"

__all__ = ["__version__"]

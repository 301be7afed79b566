"""KAM_* formulas as they are stored in saved workbooks.

Excel saves a call to an add-in function in several forms, depending on how the function
was found when the formula was typed:

- bare, ``KAM_SCORE(`` -- the functions were imported into the workbook (xlwings "Import
  Functions") or written by kamxl's template;
- through the add-in's path, ``'C:\\Users\\ana\\kamxl.xlam'!KAM_SCORE(``;
- through an external-link index, ``[1]!KAM_SCORE(`` (the path lives in
  ``xl/externalLinks/externalLink1.xml``);
- ``_xludf.KAM_SCORE(`` when Excel did not know the function at all (add-in missing).

:func:`kam_calls` recognises every form; :func:`add_in_links` lists the add-in paths a
workbook depends on, which colleagues without that exact path will not have.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Final

__all__ = ["KamCall", "kam_calls", "uses_kam_functions"]

_KAM_CALL: Final = re.compile(
    r"""(?<![A-Za-z0-9_.!'\]])"""
    r"""(?P<prefix>_xludf\.|\[\d+\]!|'[^']*'!|[A-Za-z0-9_.:\\/-]+\.xla[mx]?!)?"""
    r"""(?P<name>KAM_[A-Z0-9_]+)\(""",
    re.IGNORECASE,
)


@dataclass(frozen=True, slots=True)
class KamCall:
    """One call of a KAM_* function inside a formula."""

    name: str  # upper-case function name
    prefix: str  # "", "_xludf.", "[1]!", "'C:\\...\\kamxl.xlam'!"

    @property
    def form(self) -> str:
        """``bare``, ``missing-add-in``, ``external-link`` or ``add-in-path``."""
        if not self.prefix:
            return "bare"
        if self.prefix.lower() == "_xludf.":
            return "missing-add-in"
        if self.prefix.startswith("["):
            return "external-link"
        return "add-in-path"


def kam_calls(formula: str) -> list[KamCall]:
    """Every KAM_* call in ``formula``, whatever form Excel saved it in."""
    return [
        KamCall(m.group("name").upper(), m.group("prefix") or "")
        for m in _KAM_CALL.finditer(formula)
    ]


def uses_kam_functions(formula: str) -> bool:
    return _KAM_CALL.search(formula) is not None

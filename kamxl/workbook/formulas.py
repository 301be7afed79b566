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
from urllib.parse import unquote

from kamxl.workbook.model import column_letter
from kamxl.workbook.package import NS, Package
from kamxl.workbook.sheetxml import formula_cells

__all__ = [
    "AddInReference",
    "KamCall",
    "add_in_references",
    "external_link_targets",
    "kam_calls",
    "uses_kam_functions",
]

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


@dataclass(frozen=True, slots=True)
class AddInReference:
    """KAM_* calls of one sheet that depend on where the add-in was, or on its absence."""

    sheet: str
    form: str  # "add-in-path", "external-link" or "missing-add-in"
    prefix: str  # as stored: "'C:\\...\\kamxl.xlam'!", "[1]!", "_xludf."
    target: str | None  # the add-in file the formulas point to, when they point to one
    cells: tuple[str, ...]  # addresses, in sheet order
    functions: tuple[str, ...]


def external_link_targets(package: Package) -> dict[int, str]:
    """The file each external-link index (``[1]``, ``[2]``, ...) of the workbook points to."""
    book = package.xml("xl/workbook.xml")
    rels = package.relationships("xl/workbook.xml")
    targets: dict[int, str] = {}
    references = book.find(f"{{{NS['main']}}}externalReferences")
    if references is None:
        return targets
    for index, reference in enumerate(references, start=1):
        _, part = rels.get(reference.get(f"{{{NS['r']}}}id", ""), ("", ""))
        if not part or not package.has(part):
            continue
        for rel_type, target in package.relationships(part).values():
            if rel_type in ("externalLinkPath", "xlExternalLinkPath/xlPathMissing"):
                targets[index] = unquote(target.removeprefix("file:///"))
    return targets


def add_in_references(package: Package) -> list[AddInReference]:
    """Every KAM_* call of the workbook saved through an add-in path, an external link to
    an add-in, or as an unknown function (``_xludf.``), grouped by sheet and form."""
    links = external_link_targets(package)
    groups: dict[tuple[str, str, str], tuple[list[str], set[str], str | None]] = {}
    for title, part in package.sheet_parts().items():
        cells = formula_cells(package.stream(part))
        for (row, column), formula in sorted(cells.items()):
            for call in kam_calls(formula):
                if call.form == "bare":
                    continue
                target: str | None = None
                if call.form == "add-in-path":
                    target = call.prefix.rstrip("!").strip("'")
                elif call.form == "external-link":
                    target = links.get(int(call.prefix[1:-2]))
                key = (title, call.form, call.prefix)
                where, names, _ = groups.setdefault(key, ([], set(), target))
                address = f"{column_letter(column)}{row + 1}"
                if not where or where[-1] != address:
                    where.append(address)
                names.add(call.name)
    return [
        AddInReference(sheet, form, prefix, target, tuple(cells), tuple(sorted(names)))
        for (sheet, form, prefix), (cells, names, target) in groups.items()
    ]

"""KAM_* calls in the forms Excel saves them: bare, through the add-in's path, through an
external link, and as unknown functions (``_xludf.``). Each is recognised by recalc and by
check, which names the links colleagues will not have, with the fix."""

from __future__ import annotations

import re
import zipfile
from collections.abc import Callable
from pathlib import Path

import openpyxl
import pytest

from kamxl.workbook.check import check_workbook
from kamxl.workbook.formulas import add_in_references, external_link_targets, kam_calls
from kamxl.workbook.package import Package
from kamxl.workbook.reader import kam_formulas, read_workbook
from kamxl.workbook.writer import recalc_workbook

ADDIN = r"C:\Users\ana\AppData\Roaming\Microsoft\AddIns\kamxl.xlam"
LINK_TYPE = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/externalLink"


@pytest.mark.parametrize(
    ("formula", "form", "name"),
    [
        ('IF(A2="","",KAM_SCORE(B2:K2,W))', "bare", "KAM_SCORE"),
        (f"'{ADDIN}'!KAM_TIER(X2)", "add-in-path", "KAM_TIER"),
        ("kamxl.xlam!KAM_TIER(X2)", "add-in-path", "KAM_TIER"),
        ("[1]!KAM_QUADRANT(N2,O2)", "external-link", "KAM_QUADRANT"),
        ("_xludf.KAM_RAG(V2)", "missing-add-in", "KAM_RAG"),
        ("_XLUDF.kam_rag(V2)", "missing-add-in", "KAM_RAG"),
    ],
)
def test_every_form_is_recognised(formula: str, form: str, name: str) -> None:
    (call,) = kam_calls(formula)
    assert (call.name, call.form) == (name, form)


def test_lookalikes_are_not_kam_calls() -> None:
    assert kam_calls("MYKAM_SCORE(1)+SUM(KAM_TOTAL)") == []


MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
RELS = "http://schemas.openxmlformats.org/package/2006/relationships"
R = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
LINK_CONTENT = "application/vnd.openxmlformats-officedocument.spreadsheetml.externalLink+xml"
LINK_PART = "xl/externalLinks/externalLink1.xml"


def _relink(path: Path) -> None:
    """Rewrite the Accounts formulas of ``path`` into the three saved forms, with a real
    external link part for ``[1]!``."""
    with zipfile.ZipFile(path) as z:
        items = [(info.filename, z.read(info)) for info in z.infolist()]
    reference = '<externalReferences><externalReference r:id="rId999"/></externalReferences>'
    relationship = (
        f'<Relationship Id="rId999" Type="{LINK_TYPE}" Target="externalLinks/externalLink1.xml"/>'
    )
    override = f'<Override PartName="/{LINK_PART}" ContentType="{LINK_CONTENT}"/>'
    edits = {
        "xl/workbook.xml": ("</sheets>", "</sheets>" + reference),
        "xl/_rels/workbook.xml.rels": ("</Relationships>", relationship + "</Relationships>"),
        "[Content_Types].xml": ("</Types>", override + "</Types>"),
    }
    out = []
    for name, data in items:
        text = data.decode("utf-8")
        if name == "xl/worksheets/sheet2.xml":  # Accounts
            text = re.sub(r"(?<![\w.!])KAM_SCORE\(", "[1]!KAM_SCORE(", text)
            text = text.replace("KAM_TIER(", f"'{ADDIN}'!KAM_TIER(")
            text = text.replace("KAM_RAG(", "_xludf.KAM_RAG(")
        elif name in edits:
            text = text.replace(*edits[name])
        out.append((name, text))
    link = f'<externalLink xmlns="{MAIN}" xmlns:r="{R}"><externalBook r:id="rId1"/></externalLink>'
    path_rel = (
        f'<Relationship Id="rId1" Type="{LINK_TYPE}Path" Target="file:///{ADDIN}" '
        'TargetMode="External"/>'
    )
    out.append((LINK_PART, link))
    out.append(
        (
            "xl/externalLinks/_rels/externalLink1.xml.rels",
            f'<Relationships xmlns="{RELS}">{path_rel}</Relationships>',
        )
    )
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for name, text in out:
            z.writestr(name, text.encode("utf-8"))


@pytest.fixture
def relinked(make_book: Callable[..., Path]) -> Path:
    path = make_book(trust_cached_results=True)
    _relink(path)
    return path


def test_external_links_resolve_to_the_add_in_file(relinked: Path) -> None:
    with Package.open(relinked) as package:
        assert external_link_targets(package) == {1: ADDIN}
        references = {r.form: r for r in add_in_references(package)}
    assert set(references) == {"external-link", "add-in-path", "missing-add-in"}
    link = references["external-link"]
    assert (link.sheet, link.target, link.prefix, link.functions) == (
        "Accounts",
        ADDIN,
        "[1]!",
        ("KAM_SCORE",),
    )
    assert link.cells[:2] == ("N2", "O2")  # attractiveness, strength and score call KAM_SCORE
    assert references["add-in-path"].functions == ("KAM_TIER",)
    assert references["missing-add-in"].cells == ("W2", "W3", "W4")


def test_check_names_the_links_with_the_fix(relinked: Path) -> None:
    messages = [str(p) for p in check_workbook(relinked)]
    assert any(
        m.startswith(
            f"book.xlsx Accounts!N2: warning: KAM_SCORE called through the add-in file {ADDIN} and "
        )
        and "Data > Edit Links > Change Source" in m
        for m in messages
    ), messages
    assert any(
        "Accounts!W2: warning: KAM_RAG saved as unknown functions (_xludf.) and 2 more cell(s)" in m
        and "Find & Replace '_xludf.' with nothing" in m
        for m in messages
    ), messages


def test_recalc_and_the_cached_check_see_through_every_form(relinked: Path, tmp_path: Path) -> None:
    book = read_workbook(relinked)
    assert set(kam_formulas(book)) >= {"score", "tier", "rag"}
    out = recalc_workbook(relinked, tmp_path / "out.xlsx").output
    ws = openpyxl.load_workbook(out)["Accounts"]
    header = {c.value: c.column_letter for c in ws[1]}
    assert "[1]!KAM_SCORE(" in ws[f"{header['score']}2"].value.text  # formula kept
    values = openpyxl.load_workbook(out, data_only=True)["Accounts"]
    assert values[f"{header['tier']}2"].value == book.accounts.loc[0, "tier"]
    assert values[f"{header['rag']}2"].value == book.accounts.loc[0, "rag"]
    assert [p for p in check_workbook(out) if "differs" in p.expected] == []

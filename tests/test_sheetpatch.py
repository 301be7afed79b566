"""The fast text patch of a worksheet gives what the lxml editor gives, cell for cell, and
the package copy keeps unchanged parts' compressed bytes."""

from __future__ import annotations

import io
import random
import zipfile
import zlib
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from lxml import etree

from kamxl.errors import DIV0, NO_ERROR, error_code
from kamxl.workbook import sheetpatch
from kamxl.workbook.model import column_letter
from kamxl.workbook.package import Package
from kamxl.workbook.sheetpatch import patch_cells, sheet_last_column
from kamxl.workbook.writer import SheetEditor, recalc_workbook
from kamxl.workbook.zipcopy import PARALLEL_DEFLATE_FROM, copy_package, deflate
from tests.conftest import SAMPLE

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"


def canonical(xml: bytes) -> bytes:
    return etree.tostring(etree.fromstring(xml), method="c14n")


def with_editor(xml: bytes, writes: dict[int, list[tuple[int, Any, int]]]) -> tuple[bytes, int]:
    editor = SheetEditor(etree.fromstring(xml))
    kept = sum(
        editor.set_value(row, column_letter(column), value, code)
        for row, cells in writes.items()
        for column, value, code in cells
    )
    return editor.to_bytes(), kept


def sheet(rows: list[str], dimension: str = "A1:C3") -> bytes:
    return (
        f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<worksheet xmlns="{MAIN}" '
        'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
        f'<dimension ref="{dimension}"/><sheetData>{"".join(rows)}</sheetData>'
        '<pageMargins left="0.7" right="0.7" top="0.75" bottom="0.75" header="0.3" footer="0.3"/>'
        "</worksheet>"
    ).encode()


def test_formulas_kept_values_replaced_and_new_cells_appended() -> None:
    xml = sheet(
        [
            '<row r="1" spans="1:2"><c r="A1" t="s"><v>0</v></c><c r="B1" t="s"><v>1</v></c></row>',
            '<row r="2" spans="1:2"><c r="A2" s="3"><f>1+1</f><v>2</v></c>'
            '<c r="B2" s="4" t="str"><f>"x"</f><v>x</v><extLst><ext uri="u"/></extLst></c></row>',
        ],
        "A1:B2",
    )
    writes = {
        1: [(2, "score", NO_ERROR)],
        2: [(0, 7.5, NO_ERROR), (1, None, DIV0), (2, "A", NO_ERROR)],
    }
    patched = patch_cells(xml, writes)
    assert patched is not None
    text, kept = patched
    assert kept == 2
    assert canonical(text) == canonical(with_editor(xml, writes)[0])
    assert b'<c r="A2" s="3"><f>1+1</f><v>7.5</v></c>' in text
    assert (
        b'<c r="B2" s="4" t="e"><f>"x"</f><v>#DIV/0!</v><extLst><ext uri="u"/></extLst></c>' in text
    )
    assert b'<c r="C2" t="inlineStr"><is><t>A</t></is></c>' in text
    assert b'<row r="2" spans="1:3">' in text and b'<dimension ref="A1:C2"/>' in text
    assert text.endswith(b'footer="0.3"/></worksheet>')


@pytest.mark.parametrize(
    "xml",
    [
        b'<x:worksheet xmlns:x="'
        + MAIN.encode()
        + b'"><x:sheetData><x:row r="1"/></x:sheetData></x:worksheet>',
        sheet(['<row r="1"><c><v>1</v></c></row>']),  # a cell without r
        sheet(['<row r="1"><c r="B1"><v>1</v></c><c r="A1"><v>2</v></c></row>']),  # out of order
        sheet(['<row r="1"><c r="A1"><v><![CDATA[1]]></v></c></row>']),
    ],
)
def test_unusual_xml_is_left_to_the_general_editor(xml: bytes) -> None:
    assert patch_cells(xml, {1: [(0, 1.0, NO_ERROR)]}) is None


def test_a_row_to_create_is_left_to_the_general_editor() -> None:
    assert (
        patch_cells(sheet(['<row r="1"><c r="A1"><v>1</v></c></row>']), {5: [(0, 1.0, 0)]}) is None
    )
    assert sheet_last_column(sheet(['<row r="1"><c r="A1"/><c r="AB1"/></row>'])) == 27


cells = st.tuples(
    st.booleans(),  # formula
    st.sampled_from(["", ' s="2"', ' t="s"', ' s="5" t="str"']),
    st.booleans(),  # cached value
)
values = st.one_of(
    st.none(),
    st.floats(allow_nan=False, allow_infinity=False, width=64),
    st.integers(-(10**6), 10**6),
    st.text(alphabet=st.characters(codec="utf-8", exclude_categories=["Cs", "Cc"]), max_size=8),
    st.text(alphabet=" <>&\"'ab", max_size=5),
)


@settings(max_examples=150, deadline=None)
@given(
    layout=st.lists(st.dictionaries(st.integers(0, 12), cells, max_size=8), min_size=1, max_size=6),
    writes=st.dictionaries(
        st.integers(0, 5),
        st.lists(
            st.tuples(
                st.integers(0, 14), values, st.sampled_from([0, 0, 0, DIV0, error_code("#N/A")])
            )
        ),
        max_size=6,
    ),
)
def test_patch_equals_the_lxml_editor(
    layout: list[dict[int, tuple[bool, str, bool]]], writes: dict[int, list[Any]]
) -> None:
    rows = []
    for index, row in enumerate(layout, start=1):
        cells_xml = []
        for column in sorted(row):
            formula, attributes, cached = row[column]
            inner = ("<f>ROW()</f>" if formula else "") + ("<v>3</v>" if cached else "")
            ref = f' r="{column_letter(column)}{index}"'
            cells_xml.append(
                f"<c{ref}{attributes}>{inner}</c>" if inner else f"<c{ref}{attributes}/>"
            )
        last = max(row, default=0) + 1
        rows.append(f'<row r="{index}" spans="1:{last}">{"".join(cells_xml)}</row>')
    width = max((max(r, default=0) for r in layout), default=0)
    xml = sheet(rows, f"A1:{column_letter(width)}{len(layout)}")
    plan = {
        row + 1: list({c: (c, v, e) for c, v, e in cells}.values())
        for row, cells in writes.items()
        if row < len(layout) and cells
    }
    plan = {
        row: [(c, float(v) if isinstance(v, int) else v, e) for c, v, e in cells]
        for row, cells in plan.items()
    }
    patched = patch_cells(xml, plan)
    assert patched is not None
    text, kept = patched
    expected, expected_kept = with_editor(xml, plan)
    assert canonical(text) == canonical(expected)
    assert kept == expected_kept


def test_the_copy_keeps_unchanged_parts_compressed_bytes(tmp_path: Path) -> None:
    with Package.open(SAMPLE) as package:
        buffer = io.BytesIO()
        with SAMPLE.open("rb") as raw:
            copy_package(raw, buffer, {"xl/worksheets/sheet3.xml": b"<new/>"})
        source = package.zip
        copy = zipfile.ZipFile(buffer)
        assert copy.testzip() is None
        assert [i.filename for i in copy.infolist()] == [i.filename for i in source.infolist()]
        assert copy.read("xl/worksheets/sheet3.xml") == b"<new/>"
        for info in source.infolist():
            if info.filename == "xl/worksheets/sheet3.xml":
                continue
            mine = copy.getinfo(info.filename)
            assert (mine.CRC, mine.compress_size, mine.date_time) == (
                info.CRC,
                info.compress_size,
                info.date_time,
            )
            assert copy.read(info.filename) == source.read(info.filename)


def test_recalc_of_the_sample_patches_as_text_and_matches_the_editor(tmp_path: Path) -> None:
    out = recalc_workbook(SAMPLE, tmp_path / "fast.xlsx").output
    with Package.open(SAMPLE) as package:
        part = package.sheet_parts()["Accounts"]
        original = package.read(part)
    with Package.open(out) as package:
        fast = package.read(part)
    assert sheet_last_column(original) is not None  # the text patch served
    # the sample's cached results are kamxl's own: recalculating changes no value
    assert canonical(fast) == canonical(original)


@pytest.mark.parametrize("label", ["A_x0041_", "ctl\x01x", "tab\there", "\x1f"])
def test_text_results_round_trip_through_excel_escapes(label: str, tmp_path: Path) -> None:
    import python_calamine

    xml = sheet(['<row r="1"><c r="A1"><f>1</f><v>1</v></c></row>'], "A1")
    patched = patch_cells(xml, {1: [(0, label, NO_ERROR), (1, label, NO_ERROR)]})
    assert patched is not None
    editor = with_editor(xml, {1: [(0, label, NO_ERROR), (1, label, NO_ERROR)]})[0]
    assert canonical(patched[0]) == canonical(editor)
    buffer = io.BytesIO()
    with SAMPLE.open("rb") as raw:
        copy_package(raw, buffer, {"xl/worksheets/sheet1.xml": patched[0]})
    path = tmp_path / "escaped.xlsx"
    path.write_bytes(buffer.getvalue())
    values = python_calamine.CalamineWorkbook.from_path(str(path)).get_sheet_by_index(0)
    assert values.to_python()[0][:2] == [label, label]


formula_rows = st.lists(
    st.dictionaries(
        st.integers(0, 12),
        st.tuples(
            st.sampled_from(["", ' s="2"', ' s="5" t="str"', ' t="e"', ' cm="1" t="n"']),
            st.sampled_from(["", "<v>3</v>", "<v/>", "<v>#N/A</v>"]),
            st.sampled_from(
                ["<f>ROW()</f>", '<f t="array" ref="A1">1+1</f>', "<f>&quot;x&quot;</f>"]
            ),
        ),
        min_size=1,
        max_size=6,
    ),
    min_size=1,
    max_size=5,
)


@settings(max_examples=150, deadline=None)
@given(layout=formula_rows, data=st.data())
def test_formula_cells_patched_in_one_pass_as_row_by_row(
    layout: list[dict[int, tuple[str, str, str]]], data: st.DataObject
) -> None:
    """The one-pass patch of existing formula cells (a template-made workbook) writes the
    very bytes of the row-by-row patch, and what the lxml editor writes."""
    rows = [
        f'<row r="{number}">'
        + "".join(
            f'<c r="{column_letter(c)}{number}"{attributes}>{formula}{value}</c>'
            for c, (attributes, value, formula) in sorted(row.items())
        )
        + "</row>"
        for number, row in enumerate(layout, start=1)
    ]
    width = max(max(row) for row in layout)
    xml = sheet(rows, f"A1:{column_letter(width)}{len(layout)}")
    targets = [(number, c) for number, row in enumerate(layout, start=1) for c in row]
    chosen = data.draw(st.lists(st.sampled_from(targets), min_size=1, unique=True))
    plan: dict[int, list[tuple[int, Any, int]]] = {}
    for number, column in sorted(chosen):
        value = data.draw(values)
        value = float(value) if isinstance(value, int) else value
        plan.setdefault(number, []).append((column, value, data.draw(st.sampled_from([0, DIV0]))))
    one_pass = sheetpatch._patch_formula_cells(xml, plan)
    assert one_pass is not None
    assert one_pass == sheetpatch._patch_rows(xml, plan)
    assert one_pass == patch_cells(xml, plan)
    expected, expected_kept = with_editor(xml, plan)
    assert canonical(one_pass[0]) == canonical(expected)
    assert one_pass[1] == expected_kept == len(chosen)


@pytest.mark.parametrize(
    ("rows", "dimension", "plan"),
    [
        (
            ['<row r="1"><c r="A1"><f>1</f><v>1</v></c><c r="B1"><v>2</v></c></row>'],
            "A1:B1",
            [0, 1],
        ),
        (['<row r="1"><c r="A1"><f>1</f><v>1</v></c></row>'], "A1:A1", [0, 2]),  # a new cell
        (['<row r="1"><c r="A1"><f>1</f><v>1</v></c><c><v>2</v></c></row>'], "A1:B1", [0]),  # no r
        (['<row r="1"><c r="A1"><f>1</f></c><c r="A1"><f>2</f></c></row>'], "A1:A1", [0]),  # twice
        (['<row r="1"><c r="A1"><f>1</f><v>1</v><extLst/></c></row>'], "A1:A1", [0]),  # extensions
    ],
)
def test_other_cells_take_the_row_by_row_patch(
    rows: list[str], dimension: str, plan: list[int]
) -> None:
    xml = sheet(rows, dimension)
    writes = {1: [(column, 5.0, NO_ERROR) for column in plan]}
    assert sheetpatch._patch_formula_cells(xml, writes) is None
    general = sheetpatch._patch_rows(xml, writes)
    assert patch_cells(xml, writes) == general
    if general is not None:
        assert canonical(general[0]) == canonical(with_editor(xml, writes)[0])


@pytest.mark.parametrize("seed", [1, 2])
def test_a_large_part_deflated_in_pieces_is_one_stream(seed: int) -> None:
    rng = random.Random(seed)
    size = PARALLEL_DEFLATE_FROM * 2 + 12_345
    content = b"".join(
        rng.choice([b"<c r=", b'"A1"', b"KAM_SCORE(", bytes([rng.randrange(256)])])
        for _ in range(size // 5)
    )
    data = deflate(content)
    assert zlib.decompress(data, -15) == content
    assert all(deflate(content, threads=t) == data for t in (1, 2, 3))  # same bytes anywhere
    single = zlib.compressobj(6, zlib.DEFLATED, -15)
    assert len(data) < 1.01 * len(single.compress(content) + single.flush())
    buffer = io.BytesIO()
    with SAMPLE.open("rb") as raw:
        copy_package(raw, buffer, {"xl/worksheets/sheet3.xml": content})
    with zipfile.ZipFile(buffer) as copy:
        assert copy.testzip() is None
        assert copy.read("xl/worksheets/sheet3.xml") == content

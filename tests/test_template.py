"""The standard KAM workbook template: what `kamxl template` builds, read back part by part."""

from __future__ import annotations

import re
import zipfile
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner

from kamxl.cli import main
from kamxl.workbook import schema
from kamxl.workbook.formulas import kam_calls
from kamxl.workbook.reader import read_workbook
from kamxl.workbook.template import build_sample, computed_formulas
from tests.conftest import ROOT, SAMPLE
from tests.ooxml import differences

TEMPLATES = {
    "en": ROOT / "workbooks" / "kam_template.xlsx",
    "fr": ROOT / "workbooks" / "kam_template_fr.xlsx",
}
DATA_SHEETS = [s.name for s in schema.SHEETS]


@pytest.mark.parametrize("language", ["en", "fr"])
def test_committed_template_is_what_the_command_builds(language: str, tmp_path: Path) -> None:
    out = tmp_path / f"template_{language}.xlsx"
    result = CliRunner().invoke(main, ["template", "-o", str(out), "--lang", language])
    assert result.exit_code == 0, result.output
    assert differences(TEMPLATES[language], out) == []


def test_committed_sample_is_what_the_sample_builder_builds(tmp_path: Path) -> None:
    out = build_sample(tmp_path / "sample.xlsx")
    assert differences(SAMPLE, out) == []


@pytest.fixture(scope="module")
def template() -> openpyxl.Workbook:
    return openpyxl.load_workbook(TEMPLATES["en"])


def test_every_data_sheet_is_a_table_named_after_it_with_headers_in_row_1(template) -> None:
    for name in DATA_SHEETS:
        ws = template[name]
        assert list(ws.tables) == [f"tbl{name}"], name
        table = ws.tables[f"tbl{name}"]
        assert table.ref.startswith("A1:")
        headers = [c.name for c in table.tableColumns]
        expected = [c.name for c in schema.sheet_def(name).columns]
        if name == "Ratings":
            expected += [c.criterion_id for c in schema.DEFAULT_CRITERIA]
        if name == "Settings":
            expected += ["description"]
        assert headers == expected, name
        assert ws.freeze_panes is not None and ws.freeze_panes.endswith("2"), name


def test_list_columns_are_validated_from_the_lists_sheet(template) -> None:
    names = template.defined_names
    for sheet in schema.SHEETS:
        ws = template[sheet.name]
        rules = {rule.formula1: rule for rule in ws.data_validations.dataValidation}
        for j, col in enumerate(sheet.columns):
            if col.kind is schema.Kind.LIST:
                source = f"list_{col.list_name}"
                assert source in rules, f"{sheet.name}.{col.name}"
                letter = openpyxl.utils.get_column_letter(j + 1)
                assert f"{letter}2" in str(rules[source].sqref), f"{sheet.name}.{col.name}"
    for name, definition in schema.LISTS.items():
        ((title, cells),) = names[f"list_{name}"].destinations
        values = [c.value for row in template[title][cells] for c in row]
        assert values == list(definition.values), name


def test_number_percent_and_date_formats(template) -> None:
    ws = template["Accounts"]
    header = {c.value: c.column_letter for c in ws[1]}
    assert ws[f"{header['revenue_curr']}2"].number_format == "#,##0"
    assert ws[f"{header['completeness']}2"].number_format == "0%"
    assert ws[f"{header['margin']}2"].number_format == "0%"
    assert ws[f"{header['score']}2"].number_format == "0.0"
    assert ws[f"{header['plan_updated']}2"].number_format == "yyyy-mm-dd"


def test_rag_quadrant_and_tier_are_coloured(template) -> None:
    ws = template["Accounts"]
    header = {c.value: c.column_letter for c in ws[1]}
    ranges = {str(cf.sqref): [r.formula for r in cf.rules] for cf in ws.conditional_formatting}
    for column, words in (
        ("rag", ["Red", "Amber", "Green"]),
        ("quadrant", ["Strategic", "Star", "Status", "Streamline"]),
        ("tier", ["A", "B", "C"]),
    ):
        rules = ranges[f"{header[column]}2"]
        for word in words:
            assert [f'"{word}"'] in rules, (column, word)


def test_guide_explains_every_sheet(template) -> None:
    text = " ".join(str(c.value) for row in template["Guide"].iter_rows() for c in row if c.value)
    for sheet in schema.SHEETS:
        assert sheet.name in text and sheet.description in text


def test_computed_columns_are_kam_formulas_using_defined_names(template) -> None:
    ws = template["Accounts"]
    table = ws.tables["tblAccounts"]
    expected_function = {
        "attractiveness": "KAM_SCORE",
        "strength": "KAM_SCORE",
        "score": "KAM_SCORE",
        "completeness": "KAM_COMPLETENESS",
        "quadrant": "KAM_QUADRANT",
        "tier": "KAM_TIER",
        "margin": "KAM_MARGIN",
        "sow": "KAM_SOW",
        "health": "KAM_HEALTH",
        "rag": "KAM_RAG",
        "freshness": "KAM_FRESHNESS",
    }
    formulas = {
        c.name: c.calculatedColumnFormula for c in table.tableColumns if c.calculatedColumnFormula
    }
    assert set(formulas) == set(schema.COMPUTED_COLUMNS)
    defined = set(template.defined_names)
    for name, formula in formulas.items():
        text = str(formula.attr_text if hasattr(formula, "attr_text") else formula)
        assert expected_function[name] in [c.name for c in kam_calls(text)], name
        for used in re.findall(r"\bcfg_\w+", text):
            assert used in defined, (name, used)


def test_template_formula_cells_cache_a_blank_not_zero() -> None:
    with zipfile.ZipFile(TEMPLATES["en"]) as z:
        sheet = z.read("xl/worksheets/sheet2.xml").decode()
    assert sheet.count('cm="1" t="str"') == len(schema.COMPUTED_COLUMNS)
    assert "<v>0</v>" not in sheet


def test_french_template_reads_as_the_same_workbook() -> None:
    book = read_workbook(TEMPLATES["fr"])
    assert book.problems == []
    assert book.sheets["Accounts"].headers["account_id"] == "compte"
    assert book.sheets["Accounts"].headers["revenue_curr"] == "ca_courant"
    assert list(book["Criteria"]["axis"])[:2] == ["attractiveness", "attractiveness"]
    assert book.settings.language == "fr"
    wb = openpyxl.load_workbook(TEMPLATES["fr"])
    ((title, cells),) = wb.defined_names["list_outcome"].destinations
    assert [c.value for row in wb[title][cells] for c in row] == [
        "en cours",
        "gagné",
        "perdu",
        "sans suite",
    ]
    assert "Classeur KAM standard" in str(wb["Guide"]["A1"].value)


def test_formulas_follow_the_criteria_they_are_given() -> None:
    formulas = computed_formulas(["c1", "c9"], "en")
    assert "tblRatings[[c1]:[c9]]" in formulas["score"]
    assert formulas["quadrant"].startswith(
        '=IF(tblAccounts[[#This Row],[account_id]]="","",KAM_QUADRANT('
    )

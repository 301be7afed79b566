"""Formula injection and hostile names: what a workbook says stays text, and names never
build a path outside the output folder.

A cell typed as ``=HYPERLINK(...)``, ``+cmd|...``, ``-1+1`` or ``@SUM(...)`` (or any of them
behind a tab or a carriage return) is text to kamxl. Every spreadsheet kamxl writes keeps it
text: the workbooks ``build_workbook`` makes, the copy ``kamxl recalc`` writes, and the
workbooks embedded in the decks' charts (the batch summary is tested in test_batch.py).
"""

from __future__ import annotations

import io
import re
import unicodedata
import zipfile
from collections.abc import Iterator, Sequence
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from lxml import etree

from kamxl.deck.context import Audience
from kamxl.deck.make import DeckKind, make_decks
from kamxl.files import MAX_NAME_BYTES, safe_filename, safe_output_path
from kamxl.workbook import schema
from kamxl.workbook.reader import read_workbook
from kamxl.workbook.schema import Kind
from kamxl.workbook.template import build_workbook
from kamxl.workbook.writer import recalc_workbook
from tests.conftest import NOT_IN_DECKS, mini_rows
from tests.deckcheck import everything, xml_texts

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_C, _F, _V, _T, _IS = (f"{{{MAIN}}}{tag}" for tag in ("c", "f", "v", "t", "is"))

#: What a spreadsheet would run, link or compute if it were stored as a formula.
HOSTILE = (
    "=1+1",
    '=HYPERLINK("http://evil.example","click")',
    "=cmd|' /C calc'!A0",
    "+1+1",
    "+cmd|' /C notepad'!A0",
    "-1+1",
    "-2-3",
    "@SUM(1,1)",
    "\t=1+1",
    "\r=2+2",
    "\t\r@SUM(3,3)",
    "\r\n+4+4",
    "{=5+5}",
)


# --- Reading cells back from the XML, as a spreadsheet application does --------------------


_ESCAPE = re.compile(r"_x([0-9A-Fa-f]{4})_")


def _unescape(text: str) -> str:
    """OOXML's ``_xHHHH_`` escapes of characters XML cannot hold (``_x000D_`` is CR)."""
    return _ESCAPE.sub(lambda m: chr(int(m.group(1), 16)), text)


def _text_of(element: etree._Element | None) -> str:
    if element is None:
        return ""
    return _unescape("".join(t.text or "" for t in element.iter(_T)))


_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_PACKAGE_REL = "http://schemas.openxmlformats.org/package/2006/relationships"


def _sheet_parts(archive: zipfile.ZipFile) -> dict[str, str]:
    """Sheet title -> worksheet part name, from the workbook part and its relationships."""
    rels = etree.fromstring(archive.read("xl/_rels/workbook.xml.rels"))
    targets = {
        r.get("Id"): r.get("Target").lstrip("/").removeprefix("xl/")
        for r in rels.iter(f"{{{_PACKAGE_REL}}}Relationship")
    }
    book = etree.fromstring(archive.read("xl/workbook.xml"))
    return {
        s.get("name"): f"xl/{targets[s.get(f'{{{_REL}}}id')]}"
        for s in book.iter(f"{{{MAIN}}}sheet")
    }


class Sheets:
    """The cells of every worksheet of a workbook file: ref -> (type, formula, value)."""

    def __init__(self, path: Path) -> None:
        with zipfile.ZipFile(path) as archive:
            strings: list[str] = []
            if "xl/sharedStrings.xml" in archive.namelist():
                root = etree.fromstring(archive.read("xl/sharedStrings.xml"))
                strings = [_text_of(si) for si in root.iter(f"{{{MAIN}}}si")]
            self.cells: dict[str, dict[str, tuple[str, str | None, str]]] = {}
            for title, part in _sheet_parts(archive).items():
                cells = {}
                for cell in etree.fromstring(archive.read(part)).iter(_C):
                    kind = cell.get("t", "n")
                    formula = cell.find(_F)
                    if kind == "s":
                        value = strings[int(cell.findtext(_V))]
                    elif kind == "inlineStr":
                        value = _text_of(cell.find(_IS))
                    else:
                        value = _unescape(cell.findtext(_V) or "")
                    cells[cell.get("r")] = (
                        kind,
                        None if formula is None else (formula.text or ""),
                        value,
                    )
                self.cells[title] = cells

    def headers(self, sheet: str) -> dict[str, str]:
        """Header text -> column letters, from row 1."""
        out = {}
        for ref, (_, _, value) in self.cells[sheet].items():
            letters, row = re.match(r"([A-Z]+)([0-9]+)", ref).groups()
            if row == "1":
                out[value] = letters
        return out

    def cell(self, sheet: str, column: str, row: int) -> tuple[str, str | None, str]:
        return self.cells[sheet][f"{self.headers(sheet)[column]}{row}"]

    def formula_cells(self) -> Iterator[tuple[str, str, str]]:
        """(sheet, header of the column, ref) of every cell holding a formula."""
        for sheet, cells in self.cells.items():
            by_letters = {v: k for k, v in self.headers(sheet).items()}
            for ref, (_, formula, _) in cells.items():
                if formula is not None:
                    letters = re.match(r"[A-Z]+", ref).group(0)
                    yield sheet, by_letters.get(letters, "?"), ref


def assert_text_cell(cell: tuple[str, str | None, str], expected: str) -> None:
    kind, formula, value = cell
    assert formula is None, (expected, formula)  # never a formula...
    assert kind in ("s", "inlineStr"), (expected, kind)  # ...but a string...
    assert value == expected  # ...holding exactly what was typed


# --- A workbook with hostile text in every text column -------------------------------------


#: Every free-text column of the data sheets: where a user (or a CRM export) types anything.
TEXT_COLUMNS = [
    (sheet.name, column.name)
    for sheet in schema.SHEETS
    if sheet.name not in ("Settings", "Criteria", "Ratings")
    for column in sheet.columns
    if column.kind is Kind.TEXT and column.name != schema.ACCOUNT_ID and not column.computed
]

#: The other fields each sheet's hostile row needs (required columns, and what shows it).
REQUIRED = {
    "Accounts": {},
    "Revenue": {"period": "2026-Q3", "revenue": 5},
    "Stakeholders": {"role": "champion", "attitude": 1, "power": 4},
    "Opportunities": {"amount": 70, "outcome": "open", "stage": "proposal"},
    "Plan": {"status": "late", "client_visible": "yes"},
    "Risks": {"likelihood": 5, "impact": 5, "status": "open"},
    "Actions": {"status": "open", "due": date(2026, 11, 30)},
    "Meetings": {"type": "QBR", "date": date(2026, 12, 10)},
    "Handshake": {"agreed_on": date(2026, 3, 12), "next_review": date(2027, 4, 1)},
    "Surveys": {"date": date(2026, 9, 1), "nps": 9},
    "Health": {"period": "2026-Q2", "adoption": 50},
}


def hostile_rows(
    tier_labels: tuple[str, str, str] = ("=A", "+B", "@C"),
    hostile: Sequence[str] = HOSTILE,
) -> tuple[dict[str, list[dict[str, Any]]], dict[tuple[str, str], str]]:
    """mini_rows with a ``hostile`` text in every text column (first row of each sheet,
    account A1), the company name and the tier labels; and (sheet, column) -> the text."""
    rows = mini_rows()
    rows["Settings"] += [
        {"key": "company", "value": "@OurCo"},
        {"key": "tier_labels", "value": ",".join(tier_labels)},
    ]
    texts: dict[tuple[str, str], str] = {}
    firsts: dict[str, dict[str, Any]] = {}
    for i, (sheet, column) in enumerate(TEXT_COLUMNS):
        if sheet not in firsts:
            if sheet == "Accounts":
                firsts[sheet] = rows["Accounts"][0]
            else:
                firsts[sheet] = {"account_id": "A1", **REQUIRED[sheet]}
                rows.setdefault(sheet, []).insert(0, firsts[sheet])
        texts[(sheet, column)] = firsts[sheet][column] = hostile[i % len(hostile)]
    # the extra Revenue row is part of A1's revenue of the period: revenue_curr agrees
    rows["Accounts"][0]["revenue_curr"] += REQUIRED["Revenue"]["revenue"]
    return rows, texts


@pytest.fixture(scope="module")
def hostile(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[tuple[str, str], str]]:
    rows, texts = hostile_rows()
    path = build_workbook(tmp_path_factory.mktemp("hostile") / "hostile.xlsx", rows=rows)
    return path, texts


def assert_only_template_formulas(sheets: Sheets) -> None:
    """The only formulas are the template's own: the computed columns of Accounts."""
    found = list(sheets.formula_cells())
    assert found  # the template's KAM_* formulas are there...
    for sheet, header, ref in found:  # ...and nothing else is a formula
        assert sheet == "Accounts" and header in schema.COMPUTED_COLUMNS, (sheet, header, ref)


def test_every_hostile_column_is_covered() -> None:
    columns = set(TEXT_COLUMNS)
    for expected in [
        ("Accounts", "name"),
        ("Accounts", "kam"),
        ("Stakeholders", "name"),
        ("Plan", "objective"),
        ("Risks", "risk"),
        ("Risks", "mitigation"),
        ("Actions", "action"),
        ("Meetings", "attendees"),
        ("Handshake", "client_priorities"),
    ]:
        assert expected in columns
    assert len(columns) > 25
    assert {text[0] for text in HOSTILE} >= {"=", "+", "-", "@", "\t", "\r", "{"}


def test_build_workbook_stores_hostile_text_as_text(
    hostile: tuple[Path, dict[tuple[str, str], str]],
) -> None:
    path, texts = hostile
    sheets = Sheets(path)
    for (sheet, column), text in texts.items():
        assert_text_cell(sheets.cell(sheet, column, 2), text)
    settings_cells = sheets.cells["Settings"]
    company = next(ref for ref, cell in settings_cells.items() if cell[2] == "company")
    assert_text_cell(settings_cells[f"B{company[1:]}"], "@OurCo")
    assert_only_template_formulas(sheets)


def test_the_reader_gives_the_text_back(hostile: tuple[Path, dict[tuple[str, str], str]]) -> None:
    path, texts = hostile
    book = read_workbook(path)
    assert book.errors == []
    for (sheet, column), text in texts.items():
        frame = book.accounts if sheet == "Accounts" else book[sheet]
        value = frame[frame["account_id"] == "A1"].iloc[0][column]
        # The reader trims the white space around a cell's text (a tab or a CR before "="
        # included); what is left is the text itself, as a str.
        assert isinstance(value, str) and value == text.strip(), (sheet, column)
    assert book.settings.company == "@OurCo"


def _computed_texts(sheets: Sheets, column: str) -> list[tuple[str, str | None, str]]:
    letters = sheets.headers("Accounts")[column]
    return [
        cell
        for ref, cell in sheets.cells["Accounts"].items()
        if re.fullmatch(f"{letters}[0-9]+", ref) and ref != f"{letters}1"
    ]


@pytest.mark.parametrize(
    "labels", [("=A", "+B", "@C"), ("\t-1+1", '=HYPERLINK("http://evil.example")', "\r@SUM(1)")]
)
def test_recalc_keeps_hostile_text_as_text_and_writes_text_results_as_strings(
    labels: tuple[str, str, str], tmp_path: Path
) -> None:
    rows, texts = hostile_rows(labels)
    rows["Ratings"][1].update(strategic_fit=4, rev_potential=4, relationship=3, exec_access=3)
    source = build_workbook(tmp_path / "hostile.xlsx", rows=rows)
    out = recalc_workbook(source, tmp_path / "recalculated.xlsx").output
    before, after = Sheets(source), Sheets(out)
    for (sheet, column), text in texts.items():
        assert after.cell(sheet, column, 2) == before.cell(sheet, column, 2)
        assert_text_cell(after.cell(sheet, column, 2), text)
    assert_only_template_formulas(after)
    # The tiers are the labels, text results of the template's formula (t="str").
    trimmed = [label.strip() for label in labels]
    tiers = [cell for cell in _computed_texts(after, "tier") if cell[0] != "e"]
    assert len(tiers) == 2  # A1 and A2 have ratings; A3 has none (an error)
    for kind, formula, value in tiers:
        assert kind == "str" and formula is not None and "KAM_TIER" in formula
        assert value in trimmed
    book = read_workbook(out)
    assert set(book.accounts["tier"].dropna()) <= set(trimmed)
    assert book.accounts["name"].tolist()[0] == texts[("Accounts", "name")].strip()


def _without_formulas(source: Path, target: Path) -> Path:
    """``source`` with the formulas of its Accounts sheet removed (a user pasted values)."""
    with zipfile.ZipFile(source) as zin, zipfile.ZipFile(target, "w") as zout:
        part = _sheet_parts(zin)["Accounts"]
        for info in zin.infolist():
            data = zin.read(info.filename)
            if info.filename == part:
                data = re.sub(rb"<f\b[^>]*?(?:/>|>.*?</f>)", b"", data, flags=re.S)
                data = data.replace(b' cm="1"', b"")
            zout.writestr(info, data)
    return target


def test_recalc_writes_text_into_cells_without_formulas_as_strings(tmp_path: Path) -> None:
    rows, texts = hostile_rows(("=A", "+B", "@C"))
    built = build_workbook(tmp_path / "hostile.xlsx", rows=rows)
    source = _without_formulas(built, tmp_path / "values.xlsx")
    assert not list(Sheets(source).formula_cells())
    out = recalc_workbook(source, tmp_path / "recalculated.xlsx").output
    after = Sheets(out)
    assert not list(after.formula_cells())  # recalc wrote values, not formulas
    tiers = [cell for cell in _computed_texts(after, "tier") if cell[0] != "e"]
    assert [cell[2] for cell in tiers] == ["=A", "@C"]  # scores 78 and 26; A3 has none
    for cell in [*tiers, *_computed_texts(after, "quadrant"), *_computed_texts(after, "rag")]:
        if cell[0] != "e":
            assert cell[0] == "inlineStr" and cell[1] is None, cell
    assert read_workbook(out).accounts["tier"].tolist()[0] == "=A"
    for (sheet, column), text in texts.items():
        assert_text_cell(after.cell(sheet, column, 2), text)


def _embedded_workbooks(pptx: Path) -> dict[str, dict[str, bytes]]:
    """The parts of every workbook embedded in a deck (one per chart)."""
    out = {}
    with zipfile.ZipFile(pptx) as deck:
        for name in deck.namelist():
            if name.startswith("ppt/embeddings/") and name.endswith(".xlsx"):
                with zipfile.ZipFile(io.BytesIO(deck.read(name))) as book:
                    out[name] = {n: book.read(n) for n in book.namelist()}
    return out


#: The text columns each deck of account A1 shows.
SHOWN = {
    "qbr": [
        ("Accounts", "name"),
        ("Accounts", "kam"),
        ("Stakeholders", "name"),
        ("Opportunities", "opportunity"),
        ("Plan", "objective"),
        ("Risks", "risk"),
        ("Risks", "mitigation"),
        ("Actions", "action"),
    ],
    "qbr client": [("Accounts", "name"), ("Plan", "objective"), ("Actions", "action")],
    "handshake": [("Accounts", "name"), ("Handshake", "client_priorities")],
    "portfolio": [("Accounts", "name"), ("Accounts", "kam")],
}


def every_deck_of_a1(book: Any, out: Path) -> dict[str, Path]:
    """The decks of :data:`SHOWN` for account A1 (QBR internal and client, handshake,
    portfolio), built into ``out``."""
    kinds = [DeckKind.QBR, DeckKind.HANDSHAKE, DeckKind.PORTFOLIO]
    built = make_decks(book, out, kinds, accounts=["A1"])
    built += make_decks(book, out, [DeckKind.QBR], accounts=["A1"], audience=Audience.CLIENT)
    decks = {
        f"{b.kind.value}{' client' if '(client)' in b.path.name else ''}": b.path for b in built
    }
    assert set(decks) == set(SHOWN)
    return decks


def test_decks_show_hostile_text_literally_and_chart_workbooks_keep_it_text(
    hostile: tuple[Path, dict[tuple[str, str], str]], tmp_path: Path
) -> None:
    path, texts = hostile
    decks = every_deck_of_a1(read_workbook(path), tmp_path)
    for key, columns in SHOWN.items():
        text = "\n".join(everything(decks[key]))
        for column in columns:
            assert texts[column].strip() in text, (key, column)  # as typed, not computed
    # The portfolio's charts embed the account and KAM names in their workbooks: as text.
    embedded = _embedded_workbooks(decks["portfolio"])
    assert embedded
    strings = ""
    for parts in embedded.values():
        for name, data in parts.items():
            if name.startswith("xl/worksheets/"):
                assert b"<f>" not in data and b"<f " not in data, name
        strings += _shared_strings(parts.get("xl/sharedStrings.xml", b""))
    assert texts[("Accounts", "name")].strip() in strings
    assert texts[("Accounts", "kam")].strip() in strings


def _shared_strings(xml: bytes) -> str:
    if not xml:
        return ""
    return "\n".join(_text_of(si) for si in etree.fromstring(xml).iter(f"{{{MAIN}}}si"))


# --- Any character in any cell: decks drop what must not reach a reader --------------------

#: What pastes and exports bring into cells besides formulas: control characters (Excel
#: stores them as ``_x0007_``, the reader gives "\x07" back), terminal escapes, bidi
#: overrides and isolates, invisible characters, noncharacters, line breaks of every kind,
#: text that looks like Excel's escape, rich markup and Jinja.
CONTROL_TEXTS = (
    "Bell\x07 Ring",
    "Esc\x1b[31m Red\x1b[0m",
    "Null\x00 Byte\x7f",
    "Nord\u202efjell \u2066Isolate\u2069",
    "Zero\u200bWidth\ufeff Joiner\u2060",
    "Non\ufdd0char",
    "C1\x9b[2J\x85Next",
    "Line\x0bbreak\x0cform\u2028sep\ttab",
    "_x0007_ typed",
    "[/bold] [red]markup[/red]",
    "{{ 7*7 }} {% if 1 %}",
)


def _as_shown(text: str) -> str:
    """What a reader sees of ``text``: the characters of :data:`NOT_IN_DECKS` gone, every
    break and run of white space one space."""
    text = re.sub("\r\n|[\n\r\v\f\x85\u2028\u2029]", " ", text)
    return " ".join(NOT_IN_DECKS.sub("", text).split())


def test_control_characters_in_every_text_column_give_decks(tmp_path: Path) -> None:
    """Every text column holds control characters, escapes, bidi overrides, invisible
    characters and line breaks: every kind of deck is built (before: "All strings must be
    XML compatible" from lxml), python-pptx reads it back, each text shows without those
    characters, and none of them is anywhere in the deck's XML, its charts' workbooks or the
    deck's file name."""
    rows, texts = hostile_rows(hostile=CONTROL_TEXTS)
    book = read_workbook(build_workbook(tmp_path / "controls.xlsx", rows=rows))
    assert book.accounts["name"].iloc[0] == "Bell\x07 Ring"  # _x0007_ in the file, read back
    decks = every_deck_of_a1(book, tmp_path)
    for key, columns in SHOWN.items():
        deck = decks[key]
        assert NOT_IN_DECKS.search(deck.name) is None, deck.name
        shown = " ".join(" ".join(everything(deck)).split())
        for column in columns:
            assert _as_shown(texts[column]) in shown, (deck.name, column, shown[:300])
        found = NOT_IN_DECKS.search(xml_texts(deck))
        assert found is None, (deck.name, found)
        for parts in _embedded_workbooks(deck).values():
            strings = _shared_strings(parts.get("xl/sharedStrings.xml", b""))
            assert NOT_IN_DECKS.search(strings) is None, deck.name
    assert decks["qbr"].name == "A1 Bell Ring - QBR 2026-Q3.pptx"


# --- Names never build a path outside the output folder ------------------------------------

_RESERVED = re.compile(
    r"^(con|prn|aux|nul|com[0-9¹²³]|lpt[0-9¹²³]|conin\$|conout\$)\s*(\..*)?$", re.IGNORECASE
)
_FORBIDDEN = re.compile(r'[\x00-\x1f\x7f<>:"/\\|?*\u202a-\u202e\u2066-\u2069\ud800-\udfff]')

#: Pieces of names that try to escape a folder or upset a file system.
TRICKY = [
    "../",
    "..\\",
    "..",
    ".",
    "/",
    "\\",
    "/etc/passwd",
    "C:\\Windows\\",
    "\\\\server\\share\\",
    "~",
    "~$",
    "-",
    "\x00",
    "\t",
    "\n",
    " ",
    "CON",
    "nul",
    "Com1",
    "LPT¹",
    "CONIN$",
    ".pptx",
    ".tar.gz",
    "\u202e",  # right-to-left override: "evil\u202excod.pptx" shows as "evil.pptx.docx"
    "\u2066",
    "／",  # fullwidth solidus
    "＼",  # fullwidth reverse solidus
    "．",  # fullwidth full stop
    "․",  # one dot leader
    "‥",  # two dot leader
    "…",
    "∕",  # division slash
    "e\u0301",  # e + combining acute (NFC: é)
    "Å",  # angstrom sign (NFC: Å)
    "😀",
    "日本語",
    "\ud800",  # a lone surrogate
    "x" * 120,
    "é" * 90,
    "😀" * 70,
]

names = st.lists(
    st.one_of(st.sampled_from(TRICKY), st.text(max_size=12)), min_size=0, max_size=8
).map("".join)


@pytest.fixture(scope="module")
def out_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("out")


@settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(name=names, suffix=st.sampled_from([".pptx", ".xlsx", ".pdf", " (client).pptx"]))
@example(name="../../etc/evil", suffix=".pptx")
@example(name="/etc/passwd", suffix=".pptx")
@example(name="..", suffix=".pptx")
@example(name="CON", suffix=".pptx")
@example(name="../-CON", suffix=".pptx")  # found by Hypothesis: "-" left after "_"
@example(name="😀" * 300, suffix=".pptx")
@example(name="．．／．．／etc", suffix=".pptx")
def test_safe_output_path_stays_in_the_folder(name: str, suffix: str, out_folder: Path) -> None:
    path = safe_output_path(out_folder, name, suffix)
    assert path.parent == out_folder
    assert path.resolve().parent == out_folder.resolve()
    filename = path.name
    assert filename.endswith(suffix)
    stem = filename[: -len(suffix)]
    assert stem and stem == stem.strip(" .") and not stem.startswith(("-", "_"))
    assert not filename.startswith(".")  # never hidden
    assert len(filename.encode("utf-8")) <= MAX_NAME_BYTES
    assert _FORBIDDEN.search(filename) is None, filename
    assert _RESERVED.match(stem) is None, stem
    assert unicodedata.normalize("NFC", filename) == filename
    # The file system takes it, in that folder and nowhere else.
    path.write_bytes(b"x")
    assert [p.name for p in out_folder.iterdir()] == [filename]
    path.unlink()


@settings(max_examples=300, deadline=None)
@given(names)
def test_safe_filename_is_stable(name: str) -> None:
    once = safe_filename(name)
    assert once and len(once.encode("utf-8")) <= 200 and len(once) <= 100
    assert safe_filename(once) == once  # an already safe name is kept as it is


def test_a_long_name_keeps_its_ending() -> None:
    name = "ACC-9 " + "Internationale Gesellschaft für Logistik " * 4 + "- QBR 2026-Q3 (client)"
    safe = safe_filename(name)
    assert safe.startswith("ACC-9 Internationale") and safe.endswith("- QBR 2026-Q3 (client)")
    assert "…" in safe and len(safe) <= 100


@pytest.mark.parametrize(
    ("account_id", "name"),
    [
        ("A1", "../../etc/evil"),
        ("../A1", "/etc/evil"),
        ("..\\..\\A1", "C:\\evil\\..\\..\\x"),
        ("A1", ".."),
        ("A1", "CON"),
    ],
)
def test_a_deck_for_a_hostile_name_lands_in_the_output_folder(
    account_id: str, name: str, tmp_path: Path
) -> None:
    rows = mini_rows()
    rows["Accounts"][0].update(account_id=account_id, name=name)
    for sheet in ("Ratings", "Health", "Revenue"):
        for row in rows[sheet]:
            if row["account_id"] == "A1":
                row["account_id"] = account_id
    # an agreement recorded: a handshake without one is not built
    rows["Handshake"] = [{"account_id": account_id, "client_priorities": "Faster delivery"}]
    book = read_workbook(build_workbook(tmp_path / "book.xlsx", rows=rows))
    out = tmp_path / "deep" / "out"
    out.mkdir(parents=True)
    built = make_decks(book, out, [DeckKind.QBR, DeckKind.HANDSHAKE], accounts=[account_id])
    built += make_decks(book, out, [DeckKind.QBR], accounts=[account_id], audience=Audience.CLIENT)
    assert len(built) == 3 and len({b.path for b in built}) == 3
    for deck in built:
        assert deck.path.parent == out and deck.path.resolve().parent == out.resolve()
        assert not deck.path.name.startswith(".") and deck.path.is_file()
    written = sorted(p for p in tmp_path.rglob("*") if p.is_file())
    assert written == sorted([tmp_path / "book.xlsx", *(b.path for b in built)])


def test_client_and_internal_decks_of_a_long_name_keep_apart(tmp_path: Path) -> None:
    rows = mini_rows()
    rows["Accounts"][0]["name"] = "Internationale Gesellschaft für Logistik und Transport " * 3
    book = read_workbook(build_workbook(tmp_path / "book.xlsx", rows=rows))
    out = tmp_path / "out"
    out.mkdir()
    (internal,) = make_decks(book, out, [DeckKind.QBR], accounts=["A1"])
    (client,) = make_decks(book, out, [DeckKind.QBR], accounts=["A1"], audience=Audience.CLIENT)
    assert internal.path != client.path  # the client deck never replaces the internal one
    assert client.path.name.endswith("- QBR 2026-Q3 (client).pptx")
    assert internal.path.name.endswith("- QBR 2026-Q3.pptx")
    assert all(len(p.name.encode()) <= MAX_NAME_BYTES for p in (internal.path, client.path))

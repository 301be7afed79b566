"""Fuzzing: generated workbooks and corrupted files through every entry point.

The property, for any file: ``check_workbook``, ``recalc_workbook``, ``read_workbook`` and a
QBR deck (for the first key account, when reading succeeds), and the ``kamxl`` commands, end
with a result or a :class:`~kamxl.errors.KamxlError` whose message names the file -- never
another exception, never exit code 3, never a hang (each example is timed). A deck built
opens with python-pptx and holds no control, bidi-override or invisible character; what the
commands print holds no escape sequence and no control character but the newline.

Three sources of files: workbooks of random sheets, headers and cells written with
XlsxWriter; the standard portfolio with random damage, written with openpyxl; and the sample
workbook's bytes, truncated, overwritten or with one part's XML mangled. Text cells are
drawn from any character (control characters stored as Excel stores them, ``_x0007_``),
terminal escapes, bidi and invisible characters, rich markup and Jinja.
"""

from __future__ import annotations

import io
import math
import re
import tempfile
import time
import zipfile
from collections.abc import Callable
from datetime import date, datetime
from pathlib import Path
from typing import Any, TypeVar

import openpyxl
import pytest
import xlsxwriter
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kamxl.cli import main
from kamxl.deck.context import DeckError
from kamxl.deck.make import DeckKind, make_decks
from kamxl.errors import FileProblemError, KamxlError
from kamxl.workbook import schema
from kamxl.workbook.check import check_workbook
from kamxl.workbook.reader import read_workbook
from kamxl.workbook.writer import recalc_workbook
from tests.conftest import NOT_IN_DECKS, SAMPLE, assert_printable, mini_rows
from tests.deckcheck import everything, xml_texts

T = TypeVar("T")

# Numbers near 1e308 overflow to inf inside the KPIs (numpy warns); the property is about
# what comes out: a result or a clear error.
pytestmark = pytest.mark.filterwarnings("ignore:overflow encountered:RuntimeWarning")

#: Seconds one example may take, all entry points together.
TIME_CAP = 20.0

FUZZ = settings(
    max_examples=30,
    deadline=None,  # timed by TIME_CAP instead: the first example pays for imports
    derandomize=True,  # the same examples on every run: a failure is reproducible
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    print_blob=True,
)

# --- cells --------------------------------------------------------------------------------


HOSTILE_TEXTS = [
    "{{ 7*7 }}",
    "{% for x in range(9) %}x{% endfor %}",
    "../../../etc/passwd",
    "C:\\Windows\\System32",
    "CON",
    "NUL.txt",
    "report\u202excod.pptx",  # right-to-left override
    "مرحبا بالعالم",
    "שלום עולם",
    "🚀💥👩‍👩‍👧‍👦",
    "Zürich\tGenève\nBasel\r",
    '=HYPERLINK("http://evil")',
    "#N/A",
    "None",
    "nan",
    " ",
    "",
]
#: What pastes, exports and attackers put in text cells besides formulas: control
#: characters (Excel stores them as ``_x0007_``, and a typed "_x0007_" as "_x005F_x0007_"),
#: terminal escape sequences, bidi overrides and isolates, invisible characters,
#: noncharacters, line breaks of every kind, rich markup and emoji codes, Jinja.
NASTY_PIECES = [
    "\x07",
    "\x00",
    "\x1b[2J\x1b[H",
    "\x1b]0;pwned\x07",
    "\x1b[31m",
    "\x9b31m",
    "\x85",
    "\x7f",
    "\r",
    "\x0b",
    "\x0c",
    "\u2028",
    "\u202e",
    "\u2066",
    "\u200e",
    "\u200b",
    "\ufeff",
    "\ufdd0",
    "\uffff",
    "_x0007_",
    "_x001B_[2J",
    "_xD800_",
    "[/bold]",
    "[red]",
    "[link=http://evil.example]x[/link]",
    ":warning:",
    "{{ 7*7 }}",
    "{% raw %}",
    "{#",
]
nasty_texts = st.lists(
    st.one_of(
        st.sampled_from(NASTY_PIECES),
        st.sampled_from(["Alpha", " ", "Ré", "מ", "7"]),
        st.characters(categories=["Cc", "Cf", "Zl", "Zp", "Co", "Cn"]),
    ),
    min_size=1,
    max_size=6,
).map("".join)
ERRORS = ["#N/A", "#DIV/0!", "#REF!", "#VALUE!", "#NAME?", "#NUM!", "#NULL!"]
FORMULAS = ["=cmd|' /C calc'!A0", "=[1]Prices!$A$1", "=KAM_SCORE(1)", "=1/0", "=A1"]
IDS = ["A1", "A2", "A3", "a1", " A1 ", "X9"]
WORDS = [
    "key",
    "candidate",
    "other",
    "2026-Q3",
    "2026-Q2",
    "2026-07",
    "attractiveness",
    "strength",
    "higher",
    "lower",
    "open",
    "won",
    "yes",
    "no",
    "QBR",
]


@st.composite
def huge_texts(draw: st.DrawFn) -> str:
    """Long text up to Excel's 32,767 characters, without Hypothesis drawing each one."""
    length = draw(st.integers(1_000, 32_767))
    word = draw(st.sampled_from(["Lorem ipsum ", "Ünïcødé ", "العربية ", "🚀", "x"]))
    return (word * (length // len(word) + 1))[:length]


texts = st.one_of(
    st.sampled_from(HOSTILE_TEXTS),
    st.text(st.characters(exclude_categories=["Cs"]), max_size=40),  # Excel stores no lone
    nasty_texts,  # surrogate: "_xD800_" is how one would come
)
numbers = st.one_of(
    st.integers(-(10**12), 10**12),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([0, 1, 3, 5, 50, 100, 0.5, -1, 1e308, 5e-324]),
)
days = st.dates(date(1900, 3, 1), date(9999, 12, 31))
cells = st.one_of(
    st.none(),
    numbers,
    texts,
    st.sampled_from(IDS + WORDS),
    days,
    st.booleans(),
    st.sampled_from(ERRORS).map(lambda e: ("error", e)),
    st.sampled_from(FORMULAS).map(lambda f: ("formula", f)),
)
rare_cells = st.one_of(cells, huge_texts())

# --- workbooks ----------------------------------------------------------------------------

STANDARD = [sheet.name for sheet in schema.SHEETS] + ["Lists"]
COLUMNS = sorted({column.name for sheet in schema.SHEETS for column in sheet.columns})
_EXCEL_FORBIDDEN = set("[]:*?/\\")
sheet_names = st.one_of(
    st.sampled_from([*STANDARD, "accounts", "ACCOUNTS", "Guide", "Notes", "Données", "Sheet1"]),
    st.text(st.characters(blacklist_categories=("Cs", "Cc")), min_size=1, max_size=31).filter(
        lambda n: (
            not (set(n) & _EXCEL_FORBIDDEN)
            and len(n.encode("utf-16-le")) <= 62  # 31 characters as Excel counts them
            and n.strip()
            and n[0] != "'"
            and n[-1] != "'"
            and n.lower() != "history"
        )
    ),
)
headers = st.one_of(
    st.sampled_from(COLUMNS), texts, st.sampled_from(["", "compte", "nom", "#REF!"])
)


@st.composite
def random_workbooks(draw: st.DrawFn) -> list[tuple[str, list[Any], list[list[Any]]]]:
    """Sheets of random names (standard ones likely), headers (some missing, some twice)
    and cells of every type."""
    names = draw(st.lists(sheet_names, min_size=1, max_size=6, unique_by=str.lower))
    sheets = []
    for name in names:
        head = draw(st.lists(headers, max_size=10))
        width = max(len(head), 1)
        body = draw(st.lists(st.lists(rare_cells, max_size=width), max_size=8))
        sheets.append((name, head, body))
    return sheets


def write_xlsxwriter(path: Path, sheets: list[tuple[str, list[Any], list[list[Any]]]]) -> Path:
    book = xlsxwriter.Workbook(path, {"nan_inf_to_errors": True, "strings_to_formulas": False})
    day = book.add_format({"num_format": "yyyy-mm-dd"})
    for name, head, body in sheets:
        sheet = book.add_worksheet(name)
        for r, row in enumerate([head, *body]):
            for c, value in enumerate(row):
                _write_cell(sheet, r, c, value, day)
    book.close()
    return path


def _write_cell(sheet: Any, r: int, c: int, value: Any, day: Any) -> None:
    if value is None:
        return
    if isinstance(value, tuple) and value[0] == "error":
        sheet.write_formula(r, c, "=NA()", None, value[1])
    elif isinstance(value, tuple):
        sheet.write_formula(r, c, value[1], None, 0)
    elif isinstance(value, bool):
        sheet.write_boolean(r, c, value)
    elif isinstance(value, (int, float)):
        sheet.write_number(r, c, value)
    elif isinstance(value, date):
        sheet.write_datetime(r, c, datetime(value.year, value.month, value.day), day)
    else:
        sheet.write_string(r, c, value)


@st.composite
def damaged_portfolios(draw: st.DrawFn) -> dict[str, list[list[Any]]]:
    """The hand-made portfolio of the tests with random damage: sheets dropped, headers
    renamed or repeated, cells replaced, rows added; the key account's name and KAM often
    nasty texts (they reach the deck's title, tables, charts and file name)."""
    portfolio = {
        **mini_rows(),
        "Criteria": [c.row() for c in schema.DEFAULT_CRITERIA],
    }
    key_account = portfolio["Accounts"][0]
    for column in ("name", "kam"):
        if draw(st.booleans()):
            key_account[column] = draw(nasty_texts)
    sheets: dict[str, list[list[Any]]] = {}
    for name, records in portfolio.items():
        if draw(st.integers(0, 9)) == 9:  # (not 0: Hypothesis starts from the simplest draw)
            continue  # sheet dropped
        head: list[Any] = list(dict.fromkeys(key for record in records for key in record))
        body = [[record.get(key) for key in head] for record in records]
        if draw(st.integers(0, 2)) == 2:  # one sheet in three is damaged
            for _ in range(draw(st.integers(0, 2))):
                j = draw(st.integers(0, len(head) - 1))
                head[j] = draw(st.one_of(headers, st.sampled_from(head)))
            for _ in range(draw(st.integers(1, 6))):
                i = draw(st.integers(0, len(body) - 1))
                j = draw(st.integers(0, len(head) - 1))
                body[i][j] = draw(rare_cells)
            width = len(head)
            body += draw(st.lists(st.lists(cells, min_size=width, max_size=width), max_size=3))
        sheets[name] = [head, *body]
    extra = draw(st.lists(sheet_names, max_size=2))
    for name in extra:
        if name.lower() not in {n.lower() for n in sheets}:
            sheets[name] = draw(st.lists(st.lists(cells, max_size=4), max_size=4))
    return sheets or {"Notes": [["nothing here"]]}  # a workbook has at least one sheet


_EXCEL_ESCAPED = re.compile("_(?=x[0-9A-Fa-f]{4}_)|[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def excel_escaped(text: str) -> str:
    """``text`` as Excel stores it (openpyxl does not): each character XML cannot hold as
    ``_xHHHH_``, and the "_" of a typed ``_xHHHH_`` as ``_x005F_``, so that it stays text."""
    return _EXCEL_ESCAPED.sub(lambda m: f"_x{ord(m.group()):04X}_", text)


def write_openpyxl(path: Path, sheets: dict[str, list[list[Any]]]) -> Path:
    book = openpyxl.Workbook()
    book.remove(book.active)
    for name, rows in sheets.items():
        sheet = book.create_sheet(name)
        for r, row in enumerate(rows, start=1):
            for c, value in enumerate(row, start=1):
                if isinstance(value, tuple):
                    value = value[1]  # "#N/A" is stored as an error, "=..." as a formula
                elif isinstance(value, float) and not math.isfinite(value):
                    value = "#NUM!"
                elif isinstance(value, str):
                    value = excel_escaped(value)
                if value is not None:
                    sheet.cell(r, c, value)
    book.save(path)
    return path


# --- the property -------------------------------------------------------------------------


def outcome(call: Callable[[], T], path: Path, *, names: tuple[str, ...] = ()) -> T | None:
    """``call()``'s result, or None when it raised a KamxlError that names the file (or one
    of ``names``); any other exception fails the test."""
    try:
        return call()
    except DeckError as error:  # about the data of a workbook already read: no file to name
        assert str(error), error
        return None
    except KamxlError as error:
        assert isinstance(error, FileProblemError), repr(error)
        shown = str(error)
        assert any(name in shown for name in (path.name, *names)), shown
        assert "Traceback" not in shown
        return None


def command(*args: str) -> tuple[int, str]:
    """Run ``kamxl ARGS``: exit code 0 or 1, no internal error, and nothing printed that a
    terminal would take for a command (an escape sequence, a control character but the
    newline, a bidi override); returns the exit code and stderr."""
    result = CliRunner().invoke(main, list(args))
    assert result.exit_code in (0, 1), (result.exit_code, result.output, result.exception)
    assert "internal error" not in result.stderr and "Traceback" not in result.output
    assert_printable(result.stdout)
    assert_printable(result.stderr)
    return result.exit_code, result.stderr


def assert_deck_opens_clean(path: Path) -> None:
    """python-pptx reads the deck back (slides, tables, charts and their workbooks, notes),
    and neither the text of its XML nor its file name holds a character no deck may hold."""
    assert everything(path)
    assert NOT_IN_DECKS.search(path.name) is None, path.name
    found = NOT_IN_DECKS.search(xml_texts(path))
    assert found is None, (path.name, found)


def every_entry_point(path: Path) -> None:
    """check, recalc, read, a QBR deck and the commands on ``path``, within TIME_CAP."""
    start = time.perf_counter()
    folder = path.parent
    out = folder / f"out{path.suffix}"
    outcome(lambda: check_workbook(path), path)
    outcome(lambda: recalc_workbook(path, out, overwrite=True), path, names=(out.name,))
    book = outcome(lambda: read_workbook(path), path)
    if book is not None:
        accounts = book.accounts
        keys = accounts.loc[accounts["status"] == "key", "account_id"].dropna().astype(str)
        if len(keys):
            decks = folder / "decks"
            decks.mkdir(exist_ok=True)
            built = outcome(
                lambda: make_decks(
                    book,
                    decks,
                    [DeckKind.QBR],
                    accounts=[keys.iloc[0]],
                    overwrite=True,
                    keep_going=True,
                ),
                path,
            )
            assert built is None or built[0].path.parent == decks
            if built is not None:
                assert_deck_opens_clean(built[0].path)
    for args in (["check", str(path)], ["summary", str(path)]):
        _, stderr = command(*args)
        if stderr:  # a clear error: one line naming the file
            assert stderr.startswith("kamxl: ") and path.name in stderr, stderr
    assert list(folder.glob(".kamxl-*")) == []  # no temporary file left behind
    elapsed = time.perf_counter() - start
    assert elapsed < TIME_CAP, f"{elapsed:.1f} s"


@FUZZ
@given(sheets=random_workbooks())
def test_random_workbooks_give_a_result_or_a_clear_error(
    sheets: list[tuple[str, list[Any], list[list[Any]]]],
) -> None:
    with tempfile.TemporaryDirectory() as folder:
        every_entry_point(write_xlsxwriter(Path(folder) / "random.xlsx", sheets))


@FUZZ
@given(sheets=damaged_portfolios())
def test_damaged_portfolios_give_a_result_or_a_clear_error(
    sheets: dict[str, list[list[Any]]],
) -> None:
    with tempfile.TemporaryDirectory() as folder:
        every_entry_point(write_openpyxl(Path(folder) / "damaged.xlsx", sheets))


def test_the_generators_reach_decks_and_problems() -> None:
    """The portfolios generated are close enough to the contract to be read and to give
    decks, damaged enough to give problems, and their key accounts' names hold characters
    no deck may hold (read back from Excel's ``_x0007_``): the property above is not
    vacuous."""
    read = with_deck = with_problems = nasty_key_names = 0

    @settings(FUZZ, max_examples=15)
    @given(sheets=damaged_portfolios())
    def count(sheets: dict[str, list[list[Any]]]) -> None:
        nonlocal read, with_deck, with_problems, nasty_key_names
        with tempfile.TemporaryDirectory() as folder:
            path = write_openpyxl(Path(folder) / "damaged.xlsx", sheets)
            try:
                book = read_workbook(path)
            except KamxlError:
                return
            read += 1
            with_problems += bool(book.problems)
            key = book.accounts[book.accounts["status"] == "key"]
            with_deck += bool(len(key))
            names = " ".join(map(str, key["name"]))
            nasty_key_names += NOT_IN_DECKS.search(names) is not None

    count()
    assert read >= 10 and with_deck >= 5 and with_problems >= 5, (read, with_deck, with_problems)
    assert nasty_key_names >= 3, nasty_key_names


# --- corrupted bytes ----------------------------------------------------------------------

SAMPLE_BYTES = SAMPLE.read_bytes()
with zipfile.ZipFile(SAMPLE) as _archive:
    SAMPLE_PARTS = {info.filename: _archive.read(info.filename) for info in _archive.infolist()}
XML_PARTS = sorted(name for name in SAMPLE_PARTS if name.endswith((".xml", ".rels")))
TOKENS = [
    b"<",
    b">",
    b'"',
    b"&",
    b"&amp;",
    b"\x00",
    b"<!--",
    b"]]>",
    b'r="A0"',
    b'r="XFD1048576"',
    b'r="A99999999"',
    b'<c r="B2" t="s"><v>99999</v></c>',
    b't="e"',
    b"<v>1e999</v>",
    b"<row>",
    b"</row>",
    b"<f>",
    b"<!DOCTYPE x>",
]


@st.composite
def corrupted_bytes(draw: st.DrawFn) -> bytes:
    """The sample's bytes, cut short, or with bytes overwritten anywhere (headers, central
    directory, compressed data)."""
    data = bytearray(SAMPLE_BYTES)
    if draw(st.booleans()):
        return bytes(data[: draw(st.integers(0, len(data) - 1))])
    for _ in range(draw(st.integers(1, 20))):
        data[draw(st.integers(0, len(data) - 1))] = draw(st.integers(0, 255))
    return bytes(data)


@st.composite
def mangled_xml(draw: st.DrawFn) -> bytes:
    """The sample with one XML part mangled (slices deleted, characters replaced, tokens
    inserted) and zipped again: valid zips, damaged or surprising XML."""
    name = draw(st.sampled_from(XML_PARTS))
    xml = bytearray(SAMPLE_PARTS[name])
    for _ in range(draw(st.integers(1, 6))):
        at = draw(st.integers(0, len(xml) - 1))
        action = draw(st.sampled_from(["delete", "replace", "insert"]))
        if action == "delete":
            del xml[at : at + draw(st.integers(1, 40))]
        elif action == "replace":
            xml[at] = draw(st.integers(0x20, 0x7E))
        else:
            xml[at:at] = draw(st.sampled_from(TOKENS))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for part, data in SAMPLE_PARTS.items():
            archive.writestr(part, bytes(xml) if part == name else data)
    return buffer.getvalue()


@settings(FUZZ, max_examples=40)
@given(blob=st.one_of(corrupted_bytes(), mangled_xml()))
def test_corrupted_files_give_a_result_or_a_clear_error(blob: bytes) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "corrupted.xlsx"
        path.write_bytes(blob)
        start = time.perf_counter()
        outcome(lambda: check_workbook(path), path)
        outcome(lambda: recalc_workbook(path, Path(folder) / "out.xlsx"), path)
        code, stderr = command("check", str(path))
        assert code == 0 or stderr == "" or path.name in stderr, stderr
        assert time.perf_counter() - start < TIME_CAP


@pytest.mark.parametrize("cut", [0, 4, 30, len(SAMPLE_BYTES) // 2, len(SAMPLE_BYTES) - 22])
def test_a_truncated_file_is_named_as_damaged(tmp_path: Path, cut: int) -> None:
    """Cuts that matter: empty, the signature only, the first header, half, the end record."""
    path = tmp_path / "cut.xlsx"
    path.write_bytes(SAMPLE_BYTES[:cut])
    with pytest.raises(KamxlError) as caught:
        check_workbook(path)
    expected = "is empty, not an Excel workbook" if cut == 0 else "is a damaged zip file"
    assert str(caught.value).startswith(f"{path}: {expected}")


def test_dates_beyond_what_kamxl_holds_are_problems(make_book: Callable[..., Path]) -> None:
    """Found by the fuzzing above: a date past 2262 (Excel's run to 9999) and a serial past
    9999-12-31 in a date column crashed the reader; both are now problems of their cells."""
    rows = mini_rows()
    rows["Accounts"][0]["plan_updated"] = date(2300, 1, 1)
    rows["Accounts"][1]["plan_updated"] = 999_999_999_999
    rows["Settings"][1]["value"] = date(3000, 1, 1)  # as_of
    book = read_workbook(make_book(rows))
    assert [str(p) for p in book.errors] == [
        "book.xlsx Accounts!M2: error: 2300-01-01: plan_updated: 2300-01-01 is outside the "
        "dates kamxl reads (1677-09-22 to 2262-04-11)",
        "book.xlsx Accounts!M3: error: 999999999999: plan_updated: float, expected a date "
        "(typed as a real Excel date)",
        "book.xlsx Settings!B20: error: 401769: as_of: expected a date",  # 3000-01-01
    ]
    assert book.settings.as_of is None and book.accounts["plan_updated"].isna()[:2].all()

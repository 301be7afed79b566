"""The Excel add-in: kamxl.xlam read back part by part, and every ribbon action run headless.

Excel does not run here: the add-in's parts (ribbon XML, VBA sources, configuration) are
checked by reading them, the actions run on a saved workbook (FileBook, xlwings'
set_mock_caller pattern) and on stand-ins for xlwings' Book, Sheet and Range (LiveBook).
"""

from __future__ import annotations

import re
import zipfile
from datetime import date, datetime
from pathlib import Path
from typing import Any

import olefile
import openpyxl
import pandas as pd
import pytest
import xlwings
from click.testing import CliRunner
from lxml import etree
from oletools.olevba import VBA_Parser
from python_calamine import CalamineWorkbook

from kamxl.cli import main
from kamxl.excel import ribbon
from kamxl.excel.addin import (
    CALLBACK,
    CALLBACK_MODULE,
    CONFIG_SHEET,
    UDF_MODULE,
    addin_template,
    addin_xlwings_version,
    build_addin,
    ribbon_xml,
    xlwings_mismatch,
)
from kamxl.excel.ribbon import ACTIONS, FileBook, LiveBook, dispatch
from kamxl.excel.vbaproject import decompress, module_sources
from kamxl.workbook.reader import read_workbook
from tests.conftest import SAMPLE

CUSTOM_UI = "{http://schemas.microsoft.com/office/2006/01/customui}"


@pytest.fixture(scope="module")
def addin(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_addin(tmp_path_factory.mktemp("addin"))


def test_ribbon_buttons_are_the_actions_with_one_callback(addin: Path) -> None:
    with zipfile.ZipFile(addin) as z:
        ui = etree.fromstring(z.read("customUI/customUI.xml"))
        rels = z.read("_rels/.rels").decode()
    assert "customUI/customUI.xml" in rels  # the ribbon part is wired in
    (tab,) = ui.iter(f"{CUSTOM_UI}tab")
    assert tab.get("label") == "KAM"
    buttons = list(ui.iter(f"{CUSTOM_UI}button"))
    assert [b.get("id") for b in buttons] == list(ACTIONS)
    assert {b.get("onAction") for b in buttons} == {CALLBACK}
    for button in buttons:
        action = ACTIONS[button.get("id")]
        assert (button.get("label"), button.get("imageMso")) == (action.label, action.image)
    assert ribbon_xml() == etree.tostring(
        ui, xml_declaration=True, encoding="UTF-8", standalone=True
    )


def test_the_callback_dispatches_and_the_project_is_named_kamxl(addin: Path) -> None:
    with zipfile.ZipFile(addin) as z:
        project = z.read("xl/vbaProject.bin")
        sources = module_sources(project)
    with zipfile.ZipFile(addin_template()) as z:
        template = module_sources(z.read("xl/vbaProject.bin"))
    callback = sources[CALLBACK_MODULE]
    assert callback.startswith(f'Attribute VB_Name = "{CALLBACK_MODULE}"')
    assert "Sub RunMain(control As IRibbonControl)" in callback
    assert (
        "kamxl.excel.ribbon.dispatch('\" & control.ID & \"', "
        "addin_xlwings='\" & XLWINGS_VERSION & \"')" in callback
    )
    assert 'Public Const PROJECT_NAME As String = "kamxl"' in sources["xlwings"]
    assert sources["xlwings"].replace('"kamxl"', '"myaddin"') == template["xlwings"]
    for name in {"Dictionary", "Sheet2"}:
        assert sources[name] == template[name]  # xlwings' own, untouched
    # An independent reader (olefile) sees the project named kamxl and the new modules.
    with olefile.OleFileIO(project) as ole:
        listing = ole.openstream("PROJECT").read().decode("cp1252")
    assert 'Name="kamxl"' in listing and "MyAddin" not in listing
    assert {"Module=KamRibbon", "Module=xlwings_udfs", "Module=KamHelp"} <= set(
        listing.split("\r\n")
    )
    # ... and so does oletools, which finds every module with its code.
    parser = VBA_Parser(str(addin))
    found = {Path(path).stem: code for _, path, _, code in parser.extract_macros()}
    assert set(found) == set(sources)
    assert "control.ID" in found[CALLBACK_MODULE]
    assert "Function KAM_SCORE(ratings, weights, Optional scale_min" in found["xlwings_udfs"]


def _decompressed_streams(project: bytes) -> list[bytes]:
    """Every stream of a VBA project, and the dir and module streams decompressed."""
    streams = []
    with olefile.OleFileIO(project) as ole:
        for entry in ole.listdir():
            data = ole.openstream(entry).read()
            streams.append(data)
            if entry[-1] == "dir":
                streams.append(decompress(data))
    streams += [s.encode("utf-8") for s in module_sources(project).values()]
    return streams


def test_nothing_of_the_template_author_is_left(addin: Path) -> None:
    """No part, VBA stream or module names a developer's machine, user or the template's
    project name (workbook.xml's absPath, core.xml's author, MSForms' temp-folder cache)."""
    personal = re.compile(  # xlwings' comments show "/Users/<User>": a placeholder, not a user
        rb"(?i)\\users\\(?!<user>)|/users/(?!<user>)|felix|zumstein|myaddin|\\dev\\"
    )
    with zipfile.ZipFile(addin) as z:
        parts = {name: z.read(name) for name in z.namelist()}
    for name, data in parts.items():
        assert not personal.search(data), name
    for stream in _decompressed_streams(parts["xl/vbaProject.bin"]):
        assert not personal.search(stream)
        assert not personal.search(stream.replace(b"\0", b""))  # UTF-16 text too
    assert b"absPath" not in parts["xl/workbook.xml"]
    assert b"<dc:creator>kamxl</dc:creator>" in parts["docProps/core.xml"]
    # The template had all three: the check would have caught them.
    with zipfile.ZipFile(addin_template()) as z:
        assert personal.search(z.read("xl/workbook.xml"))
        assert personal.search(z.read("docProps/core.xml"))
        assert any(
            personal.search(s.replace(b"\0", b""))
            for s in _decompressed_streams(z.read("xl/vbaProject.bin"))
        )


def test_the_config_sheet_holds_only_what_kamxl_sets(addin: Path) -> None:
    with zipfile.ZipFile(addin) as z:
        workbook = z.read("xl/workbook.xml").decode()
    assert re.search(rf'<sheet name="{re.escape(CONFIG_SHEET)}"', workbook)
    rows = CalamineWorkbook.from_path(str(addin)).get_sheet_by_name(CONFIG_SHEET).to_python()
    assert [row[0] for row in rows] == ["UDF Modules"]  # column A: the keys xlwings reads
    assert rows[0][1] == UDF_MODULE
    assert "kamxl.conf" in rows[0][3] and "Interpreter_Win" in rows[0][3]  # the note in D1


def test_addin_commands(tmp_path: Path) -> None:
    runner = CliRunner()
    assert runner.invoke(main, ["addin", "build", "-o", str(tmp_path)]).exit_code == 0
    again = runner.invoke(main, ["addin", "build", "-o", str(tmp_path)])
    assert again.exit_code == 1 and "already exists (use --force" in again.stderr
    assert runner.invoke(main, ["addin", "build", "-o", str(tmp_path), "--force"]).exit_code == 0
    install = runner.invoke(main, ["addin", "install", "--file", str(tmp_path / "kamxl.xlam")])
    assert install.exit_code == 1
    assert "Excel is not available on linux" in install.stderr


def _with_xlwings_version(addin: Path, version: str, target: Path) -> Path:
    """A copy of the add-in whose VBA names another xlwings (as one built elsewhere would)."""
    from kamxl.excel.vbaproject import with_module_sources

    with zipfile.ZipFile(addin) as z:
        parts = {info: z.read(info.filename) for info in z.infolist()}
    for info, data in parts.items():
        if info.filename == "xl/vbaProject.bin":
            xlwings_module = module_sources(data)["xlwings"]
            changed = xlwings_module.replace(xlwings.__version__, version)
            parts[info] = with_module_sources(data, {"xlwings": changed})
    with zipfile.ZipFile(target, "w") as z:
        for info, data in parts.items():
            z.writestr(info, data)
    return target


def test_the_addin_names_the_installed_xlwings(addin: Path) -> None:
    assert addin_xlwings_version(addin) == xlwings.__version__
    with zipfile.ZipFile(addin) as z:
        xlwings_module = module_sources(z.read("xl/vbaProject.bin"))["xlwings"]
    assert f'"xlwings64-{xlwings.__version__}.dll"' in xlwings_module
    assert '"xlwings-" & XLWINGS_VERSION & ".applescript"' in xlwings_module
    assert xlwings_mismatch(xlwings.__version__) is None


def test_install_refuses_an_addin_of_another_xlwings_and_says_why(
    addin: Path, tmp_path: Path
) -> None:
    other = _with_xlwings_version(addin, "0.30.0", tmp_path / "kamxl.xlam")
    assert addin_xlwings_version(other) == "0.30.0"
    result = CliRunner().invoke(main, ["addin", "install", "--file", str(other)])
    assert result.exit_code == 1
    assert "built with xlwings 0.30.0" in result.stderr
    assert f"has xlwings {xlwings.__version__}" in result.stderr
    assert (
        "xlwings64-0.30.0.dll" in result.stderr and 'pip install "xlwings==0.30.0"' in result.stderr
    )


def test_install_refuses_a_file_that_is_not_the_addin(tmp_path: Path) -> None:
    text = tmp_path / "kamxl.xlam"
    text.write_text("not a workbook")
    for path, said in [
        (SAMPLE, "has no VBA project: it is not an add-in"),
        (text, "is not an Excel workbook"),
    ]:
        result = CliRunner().invoke(main, ["addin", "install", "--file", str(path)])
        assert result.exit_code == 1 and said in result.stderr, result.stderr
        assert "Traceback" not in result.stderr


def test_about_compares_the_addins_xlwings_with_the_installed_one() -> None:
    fake = FakeBook(SAMPLE)
    same = dispatch("kam_about", LiveBook(fake, addin_xlwings=xlwings.__version__))
    assert f"xlwings {xlwings.__version__}" in same and "built for this xlwings" in same
    other = dispatch("kam_about", LiveBook(fake, addin_xlwings="0.30.0"))
    assert "Warning: this kamxl.xlam was built with xlwings 0.30.0" in other
    assert fake.app._alerts[-1] == ("info", other)
    assert "Warning" not in dispatch("kam_about", FileBook(SAMPLE))


# --- the actions, headless -----------------------------------------------------------------


@pytest.mark.parametrize("control_id", list(ACTIONS))
def test_every_action_runs_headless_on_the_sample(control_id: str, tmp_path: Path) -> None:
    book = FileBook(SAMPLE, account="ACC-004", out=tmp_path)
    message = dispatch(control_id, book)
    assert book.messages == [message] and not message.startswith("Error")
    written = sorted(p.name for p in tmp_path.iterdir())
    expected = {
        "kam_recalc": ["sample_portfolio (recalculated).xlsx"],
        "kam_check": [],
        "kam_qbr": ["ACC-004 Nordfjell Logistics - QBR 2026-Q3.pptx"],
        "kam_client_qbr": ["ACC-004 Nordfjell Logistics - QBR 2026-Q3 (client).pptx"],
        "kam_handshake": ["ACC-004 Nordfjell Logistics - Handshake 2026-Q3.pptx"],
        "kam_portfolio": ["Norvalis Industrial Systems - Portfolio review 2026-Q3.pptx"],
        "kam_refresh": [],
        "kam_open_folder": [],
        "kam_about": [],
    }[control_id]
    assert written == expected
    if control_id == "kam_recalc":
        assert read_workbook(tmp_path / expected[0]).problems == []
    if control_id == "kam_open_folder":
        assert book.opened == [tmp_path]
    if control_id == "kam_refresh":
        assert message == f"No deck to refresh in {tmp_path}: build one with the deck buttons first"
    if control_id == "kam_about":
        import kamxl

        assert message.startswith(f"kamxl {kamxl.__version__} (xlwings ")


def test_a_deck_action_without_an_account_says_what_to_do(tmp_path: Path) -> None:
    book = FileBook(SAMPLE, out=tmp_path)
    message = dispatch("kam_qbr", book)
    assert book.messages == [f"Error: {message}"]
    assert message == "select a row of the Accounts sheet first (the account of the deck)"
    assert dispatch("kam_nope", book).startswith("unknown kamxl action 'kam_nope'")


def test_check_action_writes_the_full_list(tmp_path: Path) -> None:
    bad = tmp_path / "bad.xlsx"
    wb = openpyxl.load_workbook(SAMPLE)
    wb["Accounts"]["I3"] = "lots"
    wb.save(bad)
    message = dispatch("kam_check", FileBook(bad, out=tmp_path))
    assert message.startswith("1 error(s), 0 warning(s):\nbad.xlsx Accounts!I3: error: 'lots'")
    report = tmp_path / "bad - check.txt"
    assert report.read_text().startswith("bad.xlsx Accounts!I3: error:")


def test_deck_buttons_build_nothing_from_a_workbook_that_fails_the_check(tmp_path: Path) -> None:
    """The ribbon follows the rule of every command: text in a revenue cell gives no deck
    (the QBR showed NRR 0 %), and the message says what to fix and where the list is."""
    bad = tmp_path / "bad.xlsx"
    wb = openpyxl.load_workbook(SAMPLE)
    wb["Accounts"]["I2"] = "12 000"
    wb.save(bad)
    out = tmp_path / "out"
    for control_id in ("kam_qbr", "kam_client_qbr", "kam_handshake", "kam_portfolio"):
        book = FileBook(bad, account="ACC-001", out=out)
        message = dispatch(control_id, book)
        assert message.startswith("No deck was built: 1 error(s), 0 warning(s):\n"), message
        assert "bad.xlsx Accounts!I2: error: '12 000': revenue_curr: text" in message
        assert book.messages == ["Error: " + message]
    assert sorted(p.name for p in out.iterdir()) == ["bad - check.txt"]


# --- LiveBook on stand-ins for xlwings objects ------------------------------------------------
#
# A stand-in offers only what xlwings offers on BOTH Windows and macOS: its public names are
# checked against xlwings' real classes below, and none is ``api`` (the platform's own
# object model: COM on Windows, appscript on macOS). Bookkeeping of the tests is private.


def _address(a1: str) -> tuple[int, int]:
    letters, digits = re.match(r"([A-Z]+)(\d+)", a1).groups()
    column = 0
    for char in letters:
        column = column * 26 + ord(char) - 64
    return int(digits), column


class FakeRange:
    def __init__(self, sheet: FakeSheet, first: tuple[int, int], last: tuple[int, int]) -> None:
        self._sheet, self._first, self._last = sheet, first, last
        self.row, self.column = first
        self._options: dict[str, Any] = {}

    def options(self, **options: Any) -> FakeRange:
        self._options = options
        return self

    @property
    def last_cell(self) -> FakeRange:
        return FakeRange(self._sheet, self._last, self._last)

    @property
    def formula(self) -> str:
        value = self._sheet._formulas.get(self._first)
        return value or ""

    @property
    def value(self) -> Any:
        (r1, c1), (r2, c2) = self._first, self._last
        grid = [
            [self._sheet._cells.get((r, c)) for c in range(c1, c2 + 1)] for r in range(r1, r2 + 1)
        ]
        if self._options.get("ndim") == 1:
            return [row[0] for row in grid]
        return grid

    @value.setter
    def value(self, values: Any) -> None:
        if self._options.get("transpose"):
            for i, value in enumerate(values):
                self._sheet._cells[(self._first[0] + i, self._first[1])] = value
        else:
            self._sheet._cells[self._first] = values


class FakeSheet:
    def __init__(self, name: str, cells: dict[tuple[int, int], Any], formulas: dict) -> None:
        self.name, self._cells, self._formulas = name, cells, formulas

    @property
    def used_range(self) -> FakeRange:
        rows = max(r for r, _ in self._cells) if self._cells else 1
        columns = max(c for _, c in self._cells) if self._cells else 1
        return FakeRange(self, (1, 1), (rows, columns))

    def range(self, first: Any, last: Any = None) -> FakeRange:
        if isinstance(first, str) and ":" in first:
            first, last = first.split(":")
        start = _address(first) if isinstance(first, str) else first
        end = last if isinstance(last, tuple) else _address(last) if last else start
        return FakeRange(self, start, end)


class FakeSheets:
    def __init__(self, sheets: list[FakeSheet]) -> None:
        self._sheets = sheets
        self.active = sheets[0]

    def __iter__(self) -> Any:
        return iter(self._sheets)

    def __getitem__(self, key: Any) -> Any:
        if isinstance(key, str):
            return next(s for s in self._sheets if s.name == key)
        return self._sheets[key]


class FakeApp:
    def __init__(self) -> None:
        self._calculated = 0
        self._alerts: list[tuple[str, str]] = []
        self.selection: FakeRange | None = None

    def calculate(self) -> None:
        self._calculated += 1

    def alert(self, prompt: str, title: str | None = None, mode: str | None = None) -> None:
        self._alerts.append((mode or "info", prompt))


class FakeBook:
    """The parts of xlwings' Book that LiveBook uses, filled from a saved workbook."""

    def __init__(self, path: Path, *, drop_formulas: bool = False) -> None:
        values = openpyxl.load_workbook(path, data_only=True)
        formulas = openpyxl.load_workbook(path)
        self.name, self.fullname = path.name, str(path)
        self.app = FakeApp()
        sheets = []
        for ws in values.worksheets:
            cells, found = {}, {}
            for row in ws.iter_rows():
                for cell in row:
                    if cell.value is not None:
                        value = cell.value
                        if isinstance(value, datetime) and value.time() == datetime.min.time():
                            value = datetime(value.year, value.month, value.day)
                        cells[(cell.row, cell.column)] = value
            for row in formulas[ws.title].iter_rows():
                for cell in row:
                    text = getattr(cell.value, "text", cell.value)
                    if isinstance(text, str) and text.startswith("=") and not drop_formulas:
                        found[(cell.row, cell.column)] = text
            sheets.append(FakeSheet(ws.title, cells, found))
        self.sheets = FakeSheets(sheets)
        self.sheets.active = self.sheets["Accounts"]


def _public(instance: object) -> set[str]:
    return {name for name in dir(instance) if not name.startswith("_")}


def test_the_stand_ins_offer_only_what_xlwings_offers_on_both_platforms() -> None:
    import inspect as inspect_module

    import xlwings.main as real

    fake = FakeBook(SAMPLE)
    fake.app.selection = fake.sheets["Accounts"].range("A2")
    pairs = [
        (fake, real.Book),
        (fake.app, real.App),
        (fake.sheets, real.Sheets),
        (fake.sheets["Accounts"], real.Sheet),
        (fake.app.selection, real.Range),
    ]
    for stand_in, xlwings_class in pairs:
        assert "api" not in _public(stand_in)
        assert _public(stand_in) <= set(dir(xlwings_class)), (stand_in, xlwings_class)
    # Same call shapes as xlwings' own methods.
    alert = inspect_module.signature(real.App.alert).parameters
    assert list(alert)[:4] == ["self", "prompt", "title", "buttons"]
    assert list(inspect_module.signature(real.App.calculate).parameters) == ["self"]


def test_the_ribbon_calls_no_platform_object_model() -> None:
    """``.api`` is COM on Windows and appscript on macOS: an action using it fails on one."""
    source = Path(ribbon.__file__).read_text()
    code = "\n".join(line.split("#")[0] for line in source.splitlines())
    assert not re.search(r"\.api\b", code.replace("``app.api``", ""))


def test_livebook_reads_what_the_file_reader_reads() -> None:
    live = LiveBook(FakeBook(SAMPLE)).read()
    saved = read_workbook(SAMPLE)
    assert live.problems == []
    for column in ("account_id", "revenue_curr", "score", "tier", "health", "rag"):
        pd.testing.assert_series_equal(live.accounts[column], saved.accounts[column])
    assert live.computed["score"].to_list() == saved.computed["score"].to_list()
    assert live.settings == saved.settings


def test_livebook_active_row_caller_and_alerts(tmp_path: Path) -> None:
    fake = FakeBook(SAMPLE)
    fake.app.selection = FakeRange(fake.sheets["Accounts"], (5, 3), (5, 3))
    book = LiveBook(fake)
    assert book.active_account() == "ACC-004"  # row 5 of Accounts
    book.output_dir = lambda: tmp_path  # type: ignore[method-assign]
    message = dispatch("kam_handshake", book)
    assert fake.app._alerts == [("info", message)]
    assert (tmp_path / "ACC-004 Nordfjell Logistics - Handshake 2026-Q3.pptx").exists()
    # Called from the add-in's ribbon, Book.caller() is the add-in: the active book is used.
    addin_book = type(
        "Addin",
        (),
        {
            "name": "kamxl.xlam",
            "app": type("App", (), {"books": type("Books", (), {"active": fake})()})(),
        },
    )()
    assert LiveBook.of(addin_book).book is fake


def test_livebook_recalculate_fills_value_columns(tmp_path: Path) -> None:
    fake = FakeBook(SAMPLE, drop_formulas=True)
    accounts = fake.sheets["Accounts"]
    header = {accounts._cells[(1, c)]: c for c in range(1, 40) if (1, c) in accounts._cells}
    column = header["score"]
    for row in range(2, 32):
        accounts._cells[(row, column)] = 0.0  # stale values, no formulas
    message = LiveBook(fake).recalculate()
    assert fake.app._calculated == 1
    expected = read_workbook(SAMPLE).computed["score"].to_list()  # numbers, "#N/A" for one
    assert [accounts._cells[(row, column)] for row in range(2, 32)] == expected
    assert message.startswith("Recalculated 30 accounts; values written in attractiveness")


def test_ribbon_module_imports_no_excel() -> None:
    assert ribbon.dispatch and date  # importable and usable on Linux, no Excel needed

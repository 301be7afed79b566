"""Which configuration the add-in's xlwings code reads: emulated from xlwings' own VBA.

xlwings' ``GetConfig`` (in the add-in's ``xlwings`` module) looks a key up in layers and
stops at the first layer that has it, even with a blank value. The first version of
kamxl.xlam kept the template's blank ``Interpreter_Win``, ``PYTHONPATH`` and Conda keys on
its own sheet, which ``GetConfig`` reads before the user's file: the file docs/excel.md tells
an IT admin to edit was never read. These tests read the order of the layers, and how each
layer is read, from the VBA source inside the built add-in (so a change in xlwings fails
them), emulate that lookup on the built file, and check what a user's file decides.
"""

from __future__ import annotations

import csv
import itertools
import re
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from python_calamine import CalamineWorkbook

from kamxl.excel.addin import CONFIG_SHEET, UDF_MODULE, addin_template, build_addin
from kamxl.excel.vbaproject import module_sources


@pytest.fixture(scope="module")
def addin(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_addin(tmp_path_factory.mktemp("addin"))


def _xlwings_module(path: Path) -> str:
    with zipfile.ZipFile(path) as z:
        return module_sources(z.read("xl/vbaProject.bin"))["xlwings"]


def _procedure(source: str, name: str) -> str:
    found = re.search(rf"^Function {name}\(.*?^End Function", source, re.DOTALL | re.MULTILINE)
    assert found, f"xlwings' VBA has no Function {name}: xlwings changed, read it again"
    return found.group(0)


#: How each layer of GetConfig is recognised in its source, and what it reads.
_LAYERS = {
    "active workbook sheet": 'SheetExists(ActiveWorkbook, PROJECT_NAME & ".conf")',
    "add-in sheet": 'SheetExists(ThisWorkbook, PROJECT_NAME & ".conf")',
    "directory file": "FileExists(GetDirectoryConfigFilePath())",
    "user file": "FileExists(GetConfigFilePath())",
    "default": "GetConfig = default",
}


def lookup_order(source: str) -> list[str]:
    """The layers of ``GetConfig`` in the order its code tries them; each layer that finds
    the key must leave the function (``Exit Function``) before the next is tried."""
    body = _procedure(source, "GetConfig")
    positions = {layer: body.find(marker) for layer, marker in _LAYERS.items()}
    assert all(p >= 0 for p in positions.values()), positions
    order = sorted(positions, key=positions.__getitem__)
    for layer, following in itertools.pairwise(order):
        between = body[positions[layer] : positions[following]]
        assert "Exit Function" in between, f"{layer} does not stop the lookup"
    return order


def check_sheet_reader(source: str) -> None:
    """The emulation below reads a conf sheet as ``GetConfigFromSheet`` does."""
    body = _procedure(source, "GetConfigFromSheet")
    assert 'If sht.Range("A2") = "" Then' in body
    assert 'Set lastCell = sht.Range("A1").End(xlDown)' in body
    assert "d.Add UCase(cell.Value), cell.Offset(0, 1).Value" in body
    assert 'CreateObject("Scripting.Dictionary")' in body  # Exists(): case-sensitive


def check_file_reader(source: str) -> None:
    """The emulation below reads a conf file as ``GetConfigFromFile`` does."""
    body = _procedure(source, "GetConfigFromFile")
    assert "Input #iFileNum, sVarName, sVarValue" in body
    assert "If LCase(sVarName) = LCase(sName) Then" in body


def sheet_config(rows: list[list[object]]) -> dict[str, object]:
    """``GetConfigFromSheet``: column A from A1 to ``A1.End(xlDown)`` (A1 alone when A2 is
    blank), keys upper-cased, values from column B."""
    column = [row[0] if row else "" for row in rows]
    if len(column) < 2 or column[1] in ("", None):
        last = 0
    else:
        last = 1
        while last + 1 < len(column) and column[last + 1] not in ("", None):
            last += 1
    return {
        str(column[i]).upper(): (rows[i][1] if len(rows[i]) > 1 else "") for i in range(last + 1)
    }


def file_config(text: str | None, key: str) -> str | None:
    """``GetConfigFromFile``: ``"KEY","value"`` records, keys compared case-insensitively."""
    if text is None:
        return None
    for record in csv.reader(text.splitlines()):
        if len(record) >= 2 and record[0].lower() == key.lower():
            return record[1]
    return None


@dataclass
class Computer:
    """What ``GetConfig`` can see on a user's computer."""

    addin_sheet: list[list[object]]
    workbook_sheet: list[list[object]] | None = None
    directory_file: str | None = None
    user_file: str | None = None
    order: list[str] = field(default_factory=list)

    def get_config(self, key: str, default: str = "") -> object:
        for layer in self.order:
            if layer == "active workbook sheet" and self.workbook_sheet is not None:
                found = sheet_config(self.workbook_sheet)
                if key in found:
                    return found[key]
            elif layer == "add-in sheet":
                found = sheet_config(self.addin_sheet)
                if key in found:
                    return found[key]
            elif layer == "directory file":
                value = file_config(self.directory_file, key)
                if value is not None:
                    return value
            elif layer == "user file":
                value = file_config(self.user_file, key)
                if value is not None:
                    return value
            elif layer == "default":
                return default
        raise AssertionError("GetConfig has no default layer")


def _sheet_rows(path: Path, sheet: str) -> list[list[object]]:
    return CalamineWorkbook.from_path(str(path)).get_sheet_by_name(sheet).to_python()


USER_FILE = (
    '"INTERPRETER_WIN","C:\\Users\\ana\\AppData\\Local\\Programs\\Python\\Python311\\pythonw.exe"\n'
    '"INTERPRETER_MAC","/Library/Frameworks/Python.framework/Versions/3.11/bin/python3"\n'
    '"PYTHONPATH","\\\\share\\kamxl\\lib"\n'
    '"CONDA PATH",""\n'
    '"UDF MODULES","someone.else"\n'
)


@pytest.fixture(scope="module")
def computer(addin: Path) -> Computer:
    source = _xlwings_module(addin)
    check_sheet_reader(source)
    check_file_reader(source)
    return Computer(
        addin_sheet=_sheet_rows(addin, CONFIG_SHEET),
        user_file=USER_FILE,
        order=lookup_order(source),
    )


def test_xlwings_reads_the_addin_sheet_before_the_users_file(computer: Computer) -> None:
    assert computer.order == [
        "active workbook sheet",
        "add-in sheet",
        "directory file",
        "user file",
        "default",
    ]


def test_the_users_file_chooses_the_interpreter(computer: Computer) -> None:
    assert computer.get_config("INTERPRETER_WIN").endswith("Python311\\pythonw.exe")
    assert computer.get_config("INTERPRETER_MAC").endswith("3.11/bin/python3")
    assert computer.get_config("PYTHONPATH") == "\\\\share\\kamxl\\lib"
    assert computer.get_config("CONDA PATH") == ""
    # kamxl's own key stays kamxl's: the add-in sheet comes first.
    assert computer.get_config("UDF MODULES") == UDF_MODULE
    # Without a user file, xlwings' defaults apply.
    bare = Computer(addin_sheet=computer.addin_sheet, order=computer.order)
    assert bare.get_config("INTERPRETER_WIN", "") == ""
    assert bare.get_config("INTERPRETER", "pythonw") == "pythonw"


def test_a_file_next_to_the_workbook_and_a_workbook_sheet_come_first(computer: Computer) -> None:
    local = Computer(
        addin_sheet=computer.addin_sheet,
        directory_file='"INTERPRETER_WIN","D:\\team\\python.exe"\n',
        user_file=USER_FILE,
        order=computer.order,
    )
    assert local.get_config("INTERPRETER_WIN") == "D:\\team\\python.exe"
    sheet = Computer(
        addin_sheet=computer.addin_sheet,
        workbook_sheet=[["Interpreter_Win", "E:\\py\\python.exe"]],
        user_file=USER_FILE,
        order=computer.order,
    )
    assert sheet.get_config("INTERPRETER_WIN") == "E:\\py\\python.exe"


def test_no_key_xlwings_asks_for_is_on_the_addin_sheet_but_kamxls(
    addin: Path, computer: Computer
) -> None:
    asked = set(re.findall(r'GetConfig\("([^"]+)"', _xlwings_module(addin)))
    assert {"INTERPRETER_WIN", "INTERPRETER_MAC", "PYTHONPATH", "CONDA PATH"} <= asked
    assert set(sheet_config(computer.addin_sheet)) & asked == {"UDF MODULES"}


def test_the_template_sheet_would_hide_the_users_file(computer: Computer) -> None:
    """The emulation catches the first version's bug: xlwings' template sheet, with its
    blank keys, answers '' where the user's file names the interpreter."""
    template_rows = _sheet_rows(addin_template(), "_myaddin.conf")
    template = Computer(addin_sheet=template_rows, user_file=USER_FILE, order=computer.order)
    assert template.get_config("INTERPRETER_WIN") == ""
    assert template.get_config("PYTHONPATH") == ""

"""Every VBA module of the built kamxl.xlam compiled by an independent compiler: LibreOffice
Basic in VBA-support mode, driven headless (tests/lobasic_driver.py, one soffice for all).

Each module, as the add-in stores it, is prepared for each platform by tests/vbasyntax.py
(``Attribute`` lines blanked, ``Option VBASupport 1`` first, ``#If``/``#Const`` evaluated for
Windows 64-bit, Windows 32-bit, Mac, and the VBA 6 branches of Excel 2007 and Excel 2011 for
Mac, three ``VBA.vbXxxCompare`` constants written as their numbers), then compiled. A module
that does not compile fails the test with its module, platform, line and LibreOffice's
message; tests below prove the check fails on a parameter named ``end`` and on a syntax
error, with the right line, and that LibreOffice really compiles in VBA mode.

What LibreOffice's compiler catches, as Excel's does: syntax errors (a missing ``Then``, an
unterminated string, a block not closed, ``Exit Function`` in a ``Sub``, ``Next`` of the wrong
loop), reserved words used as names (``end``, ``loop``, ``print``), a procedure or a variable
defined twice, a ``GoTo`` to a label that does not exist.

What it does NOT catch, and only Excel does (found by trying each here, LibreOffice 7.4):

* names that do not exist: undeclared variables under ``Option Explicit``, calls of
  procedures that no module defines, unknown types (``As NoSuchType``), members of Excel's
  objects (``Application.Caller``): LibreOffice resolves names when the code runs;
* wrong numbers or types of arguments in a call of the project's own procedures;
* some syntax Excel refuses: a missing closing parenthesis at the end of a statement,
  ``Optional`` followed by a required parameter, ``Const`` defined twice, and a few names
  VBA reserves but LibreOffice does not (``Date`` as a parameter name: the reserved-word
  check of tests/test_vba_udfs.py covers those);
* ``Declare`` statements only as syntax: no DLL is loaded, ``PtrSafe``/``LongPtr`` are not
  checked against the bitness;
* the branches of ``#If`` no platform takes (``#If App = "Microsoft Word"``: Excel never
  compiles them either), and project-level conditional compilation arguments (kamxl sets
  none).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path
from typing import Any

import pytest

from kamxl.excel.addin import build_addin
from kamxl.excel.vba import HELP_MODULE, UDF_MODULE_NAME
from kamxl.excel.vbaproject import module_sources
from tests.vbasyntax import (
    OFFICE_CONSTANTS,
    PLATFORMS,
    VBA_SUPPORT,
    Platform,
    evaluate,
    for_libreoffice,
)

SYSTEM_PYTHON = Path("/usr/bin/python3")
DRIVER = Path(__file__).with_name("lobasic_driver.py")
DRIVER_TIMEOUT = 120  # seconds; the whole check takes a few (one soffice start)
WIN64, WIN32, MAC, WIN32_VBA6, MAC_VBA6 = PLATFORMS
MODULES = {"ThisWorkbook", "Dictionary", "KamRibbon", "Sheet2", "xlwings"}
MODULES |= {UDF_MODULE_NAME, HELP_MODULE}


def _module(name: str, *lines: str) -> str:
    """A module's source as Excel stores it: its VB_Name line first, CRLF line ends."""
    return "\r\n".join([f'Attribute VB_Name = "{name}"', *lines, ""])


# Modules the check must refuse, as (name, source, line LibreOffice must report).
PARAMETER_END = _module(
    "BadParameter",
    "Function KAM_NRR(start, end)",
    '    KAM_NRR = XLPy.CallUDF("kamxl.excel.udfs", "KAM_NRR", Array(start, end))',
    "End Function",
)
MISSING_THEN = _module(
    "BadSyntax",
    "'A function of the catalogue, with one word left out.",
    "Function KAM_CES(scores, Optional scale_max)",
    "    #If Win64 Then",
    "        If TypeOf Application.Caller Is Range On Error GoTo failed",
    "    #End If",
    '    KAM_CES = XLPy.CallUDF("kamxl.excel.udfs", "KAM_CES", Array(scores, scale_max))',
    "    Exit Function",
    "failed:",
    "    KAM_CES = Err.Description",
    "End Function",
)


# --- the preprocessor, without LibreOffice ----------------------------------------------------


def test_attribute_lines_become_blank_and_line_one_is_vba_support() -> None:
    source = _module(
        "KamHelp",
        "Option Explicit",
        "Public Sub Go()",
        'Attribute Go.VB_Description = "Registers the help."',
        '    Debug.Print "Attribute x = 1 stays: it is in a string"',
        "End Sub",
    )
    prepared = for_libreoffice(source, WIN64)
    assert prepared.offset == 0
    assert prepared.text.split("\n") == [
        VBA_SUPPORT,
        "Option Explicit",
        "Public Sub Go()",
        "",
        '    Debug.Print "Attribute x = 1 stays: it is in a string"',
        "End Sub",
        "",
    ]


def test_a_class_module_is_compiled_as_a_class() -> None:
    source = _module(
        "Dictionary",
        'Attribute VB_Base = "0{FCFB3D2A-A0FA-1068-A738-08002B3371B5}"',
        "Attribute VB_PredeclaredId = False",
        "Option Explicit",
    )
    lines = for_libreoffice(source, MAC).text.split("\n")
    assert lines == [VBA_SUPPORT, "Option ClassModule", "", "Option Explicit", ""]


def test_a_source_without_attribute_line_gets_vba_support_as_a_new_line() -> None:
    prepared = for_libreoffice("Sub A()\nEnd Sub\n", WIN32)
    assert prepared.offset == 1
    assert prepared.text.split("\n") == [VBA_SUPPORT, "Sub A()", "End Sub", ""]


XLWINGS_DECLARES = _module(
    "xlwings",
    '#Const App = "Microsoft Excel" \'Adjust when using outside of Excel',
    "#If VBA7 Then",
    "    #If Mac Then",
    '        Private Declare PtrSafe Function system Lib "libc.dylib" (ByVal c As String) As Long',
    "    #End If",
    "    #If Win64 Then",
    '        Const XLPyDLLName As String = "xlwings64.dll"',
    "    #Else",
    '        Private Const XLPyDLLName As String = "xlwings32.dll"',
    "    #End If",
    "#Else",
    '    Private Const XLPyDLLName As String = "xlwings32-vba6.dll"',
    "#End If",
    '#If App = "Microsoft Excel" Then',
    "    Const HOST = 1",
    '#ElseIf App = "Microsoft Word" Then',
    "    Const HOST = 2",
    "#Else",
    "    Const HOST = 3",
    "#End If",
    "#If MAC_OFFICE_VERSION >= 15 Then",
    "    Const NEW_MAC = True",
    "#End If",
)


@pytest.mark.parametrize(
    ("platform", "kept"),
    [
        (WIN64, ["xlwings64.dll", "HOST = 1"]),
        (WIN32, ["xlwings32.dll", "HOST = 1"]),
        (MAC, ["libc.dylib", "xlwings32.dll", "HOST = 1", "NEW_MAC"]),
        (WIN32_VBA6, ["xlwings32-vba6.dll", "HOST = 1"]),
        (MAC_VBA6, ["xlwings32-vba6.dll", "HOST = 1"]),
    ],
)
def test_conditional_compilation_keeps_the_branches_of_the_platform(
    platform: Platform, kept: list[str]
) -> None:
    source_lines = XLWINGS_DECLARES.split("\r\n")
    lines = for_libreoffice(XLWINGS_DECLARES, platform).text.split("\n")
    assert len(lines) == len(source_lines)
    code = [line for line in lines[1:] if line]
    assert all(any(part in line for line in code) for part in kept), code
    assert len(code) == len(kept)
    for number, line in enumerate(lines[1:], start=2):  # each line kept as it was, or blank
        assert line in ("", source_lines[number - 1])


def test_an_undefined_constant_is_empty_and_operators_are_vba_ones() -> None:
    assert evaluate("Mac Or Not UseScriptingDictionaryIfAvailable", {"Mac": 0}) == -1
    scripting = {"Mac": 0, "UseScriptingDictionaryIfAvailable": -1}
    assert evaluate("Mac Or Not UseScriptingDictionaryIfAvailable", scripting) == 0
    assert evaluate("MAC_OFFICE_VERSION >= 15", {}) == 0
    assert evaluate('App = "Microsoft Excel"', {"App": "Microsoft Excel"}) == -1
    assert evaluate('App = "Microsoft Excel"', {}) == 0
    assert evaluate("Not 0 And 0", {}) == 0  # Not binds tighter than And
    assert evaluate("1 + 2 * 3 = 7", {}) == -1
    assert evaluate("(1 Or 2) = 3 And True", {}) == -1
    assert evaluate('"a" & 1 = "a1"', {}) == -1


def test_a_const_in_a_branch_not_taken_is_not_defined() -> None:
    source = _module(
        "M",
        "#If Mac Then",
        "    #Const Fast = True",
        "#End If",
        "#If Fast Then",
        "    Sub OnlyOnMac()",
        "    End Sub",
        "#End If",
    )
    assert "OnlyOnMac" in for_libreoffice(source, MAC).text
    assert "OnlyOnMac" not in for_libreoffice(source, WIN64).text


@pytest.mark.parametrize(
    "lines",
    [
        ["#If Win64 Then", "Sub A()", "End Sub"],
        ["#Else", "Sub A()", "End Sub"],
        ["Sub A()", "End Sub", "#End If"],
        ["#If Win64", "#End If"],
        ["#If (Win64 Then", "#End If"],
    ],
)
def test_broken_conditional_compilation_is_refused(lines: list[str]) -> None:
    with pytest.raises(ValueError):
        for_libreoffice(_module("M", *lines), WIN64)


def test_vba_constants_become_numbers_in_code_only() -> None:
    source = _module(
        "Dictionary",
        "Public Enum CompareMethod",
        "    BinaryCompare = VBA.vbBinaryCompare ' was VBA.vbBinaryCompare",
        "    TextCompare = vba.VbTextCompare",
        "End Enum",
        'Const NAME = "VBA.vbTextCompare"',
    )
    lines = for_libreoffice(source, WIN64).text.split("\n")
    assert lines[2:6] == [
        "    BinaryCompare = 0 ' was VBA.vbBinaryCompare",
        "    TextCompare = 1",
        "End Enum",
        'Const NAME = "VBA.vbTextCompare"',
    ]
    assert OFFICE_CONSTANTS == {
        "VBA.vbBinaryCompare": 0,
        "VBA.vbTextCompare": 1,
        "VBA.vbDatabaseCompare": 2,
    }


@pytest.fixture(scope="module")
def addin_sources(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    addin = build_addin(tmp_path_factory.mktemp("addin"))
    with zipfile.ZipFile(addin) as package:
        return module_sources(package.read("xl/vbaProject.bin"))


def test_the_preparation_changes_nothing_else_in_the_addin(addin_sources: dict[str, str]) -> None:
    """Line for line, each prepared module is its source, a blank line (Attribute, #If and
    what a branch not taken holds), an Option line in place of the header, or a line with a
    VBA constant written as its number."""
    assert set(addin_sources) == MODULES
    for platform in PLATFORMS:
        for name, source in addin_sources.items():
            original = source.replace("\r\n", "\n").split("\n")
            prepared = for_libreoffice(source, platform)
            assert prepared.offset == 0, name
            lines = prepared.text.split("\n")
            assert len(lines) == len(original), name
            for number, (line, before) in enumerate(zip(lines, original, strict=True), 1):
                if line in ("", before):
                    continue
                if line in (VBA_SUPPORT, "Option ClassModule"):
                    assert before.startswith("Attribute VB_"), (name, number)
                    continue
                replaced = before
                for constant, value in OFFICE_CONSTANTS.items():
                    replaced = replaced.replace(constant, str(value))
                assert line == replaced, (platform.name, name, number)


# --- LibreOffice ------------------------------------------------------------------------------


def _libreoffice_missing() -> str | None:
    """Why the LibreOffice check cannot run here, or None."""
    if shutil.which("soffice") is None:
        return "LibreOffice (soffice) is not installed"
    if not SYSTEM_PYTHON.exists():
        return f"{SYSTEM_PYTHON} (the Python of python3-uno) does not exist"
    found = subprocess.run(
        [str(SYSTEM_PYTHON), "-c", "import uno"], capture_output=True, timeout=30, check=False
    )
    if found.returncode != 0:
        return f"{SYSTEM_PYTHON} cannot import uno (python3-uno is not installed)"
    return None


def _system_environment() -> dict[str, str]:
    """The environment of the system Python and the soffice it starts: the system's PATH and
    no variable of another Python. With a pyenv interpreter's folder first on the PATH (as
    ``pyenv``'s shims run pytest), soffice's Python script provider fails ("C++ code threw
    std::bad_alloc") and the error reader never runs."""
    foreign = ("PYENV", "_PYENV", "PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV", "CONDA")
    environment = {k: v for k, v in os.environ.items() if not k.startswith(foreign)}
    environment["PATH"] = "/usr/local/bin:/usr/bin:/bin"
    return environment


@pytest.fixture(scope="module")
def compiled(addin_sources: dict[str, str]) -> dict[str, dict[str, Any]]:
    """LibreOffice's verdict on every module for every platform, and on the bad modules;
    keyed ``module@platform`` (``BadParameter``, ``BadSyntax``, ``xlwings@no-vba-mode``)."""
    reason = _libreoffice_missing()
    if reason:
        pytest.skip(f"{reason}: CI (.ci/run) installs it")
    modules = []
    bad = {"BadParameter": PARAMETER_END, "BadSyntax": MISSING_THEN}
    # The bad modules go first, so that a good module after them shows that an error is
    # never carried over to the next module.
    for name, source in bad.items():
        prepared = for_libreoffice(source, WIN64)
        modules.append({"id": name, "name": name, "text": prepared.text})
    for platform in PLATFORMS:
        for name, source in addin_sources.items():
            prepared = for_libreoffice(source, platform)
            modules.append({"id": f"{name}@{platform.name}", "name": name, "text": prepared.text})
    no_vba = for_libreoffice(addin_sources["xlwings"], WIN64).text.replace(VBA_SUPPORT, "", 1)
    modules.append({"id": "xlwings@no-vba-mode", "name": "xlwings", "text": no_vba})
    run = subprocess.run(
        [str(SYSTEM_PYTHON), str(DRIVER)],
        input=json.dumps({"modules": modules, "timeout": DRIVER_TIMEOUT}),
        env=_system_environment(),
        capture_output=True,
        text=True,
        timeout=DRIVER_TIMEOUT + 30,
        check=False,
    )
    try:
        output = json.loads(run.stdout)
    except json.JSONDecodeError:
        pytest.fail(f"the driver printed no JSON (status {run.returncode}): {run.stderr[-2000:]}")
    assert run.returncode == 0 and "error" not in output, (output.get("error"), run.stderr)
    results = {result["id"]: result for result in output["results"]}
    assert list(results) == [module["id"] for module in modules]
    print(f"LibreOffice: {output.get('soffice')}, seconds: {output['seconds']}", file=sys.stderr)
    return results


def test_every_module_compiles_on_every_platform(compiled: dict[str, dict[str, Any]]) -> None:
    failures = [
        f"{key}: line {result['line']}: {result['message']}"
        for key, result in compiled.items()
        if "@" in key and not key.endswith("@no-vba-mode") and not result["compiled"]
    ]
    assert failures == []
    checked = {key for key in compiled if "@" in key and not key.endswith("@no-vba-mode")}
    assert checked == {f"{m}@{p.name}" for m in MODULES for p in PLATFORMS}
    assert all(compiled[key]["attempts"] == 1 for key in checked)


def test_the_check_finds_a_parameter_named_end(compiled: dict[str, dict[str, Any]]) -> None:
    result = compiled["BadParameter"]
    assert not result["compiled"]
    assert result["line"] == 2  # Function KAM_NRR(start, end)
    assert result["message"] == "Symbol expected."


def test_the_check_finds_a_syntax_error(compiled: dict[str, dict[str, Any]]) -> None:
    result = compiled["BadSyntax"]
    assert not result["compiled"]
    assert result["line"] == 5  # If TypeOf Application.Caller Is Range On Error GoTo failed
    assert "Then" in result["message"]


def test_libreoffice_compiles_in_vba_mode(
    compiled: dict[str, dict[str, Any]], addin_sources: dict[str, str]
) -> None:
    """Without ``Option VBASupport 1`` the xlwings module does not compile (LibreOffice Basic
    has no ``PtrSafe``), so the modules that compile above were compiled as VBA."""
    result = compiled["xlwings@no-vba-mode"]
    assert not result["compiled"]
    lines = for_libreoffice(addin_sources["xlwings"], WIN64).text.split("\n")
    assert "Declare PtrSafe Function" in lines[result["line"] - 1]

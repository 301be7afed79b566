"""xlwings Lite: the generated main.py runs with numpy and xlwings only, declares every KAM_*
function as kamxl.excel.udfs does, and answers as kamxl.excel.udfs does.

main.py runs in a subprocess (``python -I -S``) whose only packages are copies of the
installed numpy and xlwings distributions, xlwings without its separately licensed
``xlwings/pro`` folder: there ``from xlwings import func, arg`` are xlwings' open-source
placeholders that only return the function, and no xlwings PRO code can run (kamxl is a
commercial product; see docs/excel.md). The arguments are shaped as Lite shapes them for
``@arg(..., ndim=2, err_to_str=True)``, as read in xlwings 0.37.8
(``xlwings/pro/udfs_officejs.py`` ``to_scalar`` / ``custom_functions_call`` and
``xlwings/pro/_xlofficejs.py`` ``_clean_value_data_element``): see :func:`lite_argument`.
"""

from __future__ import annotations

import ast
import copy
import inspect
import math
import os
import pickle
import shutil
import subprocess
import sys
from collections.abc import Iterator
from datetime import date, datetime
from importlib import metadata
from numbers import Real
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from click.testing import CliRunner

import kamxl
from kamxl.cli import main as cli
from kamxl.errors import EXCEL_ERRORS, KamxlError
from kamxl.excel import lite, udfs
from kamxl.excel.adapter import Declaration, declarations
from tests.conftest import ROOT

DECLARATIONS: dict[str, Declaration] = {d.name: d for d in declarations(udfs)}
#: The error values an Office.js custom function can return; Lite turns these texts into them.
LITE_ERROR_VALUES = ("#DIV/0!", "#N/A", "#NAME?", "#NULL!", "#NUM!", "#REF!", "#VALUE!")


# --- the arguments as xlwings Lite passes them --------------------------------------------------


class Unrepresentable(Exception):
    """A test argument that no Excel cell can hold (NaN, an empty range, a jagged one...)."""


def excel_serial(value: date) -> float:
    """The serial number Excel stores for a date (1900 system, with its phantom 1900-02-29:
    serials below 61 are one less than the days since 1899-12-30)."""
    day = value.date() if isinstance(value, datetime) else value
    if day < date(1900, 1, 1):
        raise Unrepresentable(f"{value}: Excel holds no date before 1900")
    days = (day - date(1899, 12, 30)).days
    serial = float(days if day >= date(1900, 3, 1) else days - 1)
    if isinstance(value, datetime):
        midnight = datetime.combine(day, datetime.min.time())
        serial += (value - midnight).total_seconds() / 86400
    return serial


def lite_cell(value: Any) -> Any:
    """One cell as Lite hands it over: Office.js values through Pyodide (a whole number is
    an ``int``), an empty cell or ``""`` as ``None``, an error cell as its text, a date as its
    serial number (a date cell reaches Office.js as a number)."""
    if isinstance(value, np.generic):
        value = value.item()
    if value is None or value == "":
        return None
    if isinstance(value, (bool, str)):
        return value
    if isinstance(value, (date, datetime)):
        value = excel_serial(value)
    if isinstance(value, Real):
        number = float(value)
        if not math.isfinite(number):
            raise Unrepresentable(f"{value!r} is no cell value")
        return int(number) if number.is_integer() else number
    raise Unrepresentable(f"{value!r} is no cell value")


def excel_matrix(value: Any) -> list[list[Any]]:
    """A test argument as the rectangular range of cells Excel would pass."""
    if isinstance(value, np.ndarray):
        value = value.tolist()
    if not isinstance(value, (list, tuple)):
        return [[value]]
    if not value:
        raise Unrepresentable("an empty range")
    if all(not isinstance(row, (list, tuple)) for row in value):
        return [list(value)]  # a flat list is one row
    if not all(isinstance(row, (list, tuple)) and row for row in value):
        raise Unrepresentable("rows mixed with cells, or an empty row")
    if len({len(row) for row in value}) > 1:
        raise Unrepresentable("a jagged range")
    if any(isinstance(cell, (list, tuple)) for row in value for cell in row):
        raise Unrepresentable("a range of ranges")
    return [list(row) for row in value]


def lite_argument(value: Any) -> Any:
    """An argument as Lite passes it to ``@arg(name, ndim=2, err_to_str=True)``.

    An omitted argument (``None``) stays ``None``; a single empty cell too (``to_scalar``
    unwraps a 1x1 range and an empty one gets the argument's default, ``None``); anything
    else is a list of rows of :func:`lite_cell` values (``ndim=2`` wraps a single cell).
    """
    if value is None:
        return None
    matrix = excel_matrix(value)
    if len(matrix) == 1 and len(matrix[0]) == 1 and matrix[0][0] is None:
        return None
    return [[lite_cell(cell) for cell in row] for row in matrix]


def lite_call(name: str, args: tuple[Any, ...], kwargs: dict[str, Any]) -> list[Any]:
    """A recorded call as Lite makes it: every argument by position (an omitted one, or a
    blank cell given for a required one, as ``None``)."""
    bound = inspect.signature(getattr(udfs, name)).bind(*args, **kwargs)
    return [lite_argument(bound.arguments.get(a.name)) for a in DECLARATIONS[name].arguments]


# --- the clean environment and the calls ---------------------------------------------------------


def _copy_distribution(name: str, target: Path) -> None:
    """Copy the installed files of distribution ``name`` into ``target`` (as
    ``pip install --target`` lays them out), leaving out xlwings' PRO folder."""
    dist = metadata.distribution(name)
    base = Path(str(dist.locate_file("")))
    for file in dist.files or []:
        parts = Path(str(file)).parts
        if parts[0] == ".." or "__pycache__" in parts or parts[:2] == ("xlwings", "pro"):
            continue
        source = base / file
        if source.is_file():
            (target / file).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target / file)


@pytest.fixture(scope="session")
def lite_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder with only numpy and xlwings (the installed versions, xlwings without pro)."""
    site = tmp_path_factory.mktemp("lite-site")
    for name in ("numpy", "xlwings"):
        _copy_distribution(name, site)
    return site


@pytest.fixture(scope="session")
def lite_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("lite")
    lite.write_lite(folder)
    return folder


def _record(tests: str, out: Path) -> list[tuple[str, tuple[Any, ...], dict[str, Any]]]:
    env = {**os.environ, "KAMXL_RECORD_CALLS": str(out)}
    command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"]
    command += ["-p", "tests.lite_recorder", tests]
    done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stdout[-3000:]
    with out.open("rb") as stream:
        return pickle.load(stream)


def _error_cell_calls(
    recorded: list[tuple[str, tuple[Any, ...], dict[str, Any]]],
) -> Iterator[tuple[str, list[Any]]]:
    """For each function, its first catalogue call with an error cell put into each argument
    in turn: alone (an omitted argument given as that cell too), then inside the range."""
    seen = set()
    for name, args, kwargs in recorded:
        try:
            call = lite_call(name, args, kwargs)
        except Unrepresentable:
            continue
        if name in seen:
            continue
        seen.add(name)
        for k, value in enumerate(call):
            for error in ("#REF!", "#SPILL!"):
                replaced = [[[error]]]
                if value is not None:
                    replaced.append(copy.deepcopy(value))
                    replaced[-1][-1][-1] = error
                for argument in replaced:
                    yield name, [*call[:k], argument, *call[k + 1 :]]


@pytest.fixture(scope="session")
def calls(tmp_path_factory: pytest.TempPathFactory) -> list[tuple[str, list[Any]]]:
    """The catalogue's worked examples as Lite calls, plus error cells in every argument."""
    recorded = _record("tests/test_catalogue_spec.py", tmp_path_factory.mktemp("rec") / "c")
    found: list[tuple[str, list[Any]]] = []
    for name, args, kwargs in recorded:
        try:
            found.append((name, lite_call(name, args, kwargs)))
        except Unrepresentable:
            continue
    errors = list(_error_cell_calls(recorded))
    assert {name for name, _ in errors} == {n for n, d in DECLARATIONS.items() if d.arguments}
    return found + errors


@pytest.fixture(scope="session")
def lite_run(
    lite_site: Path,
    lite_folder: Path,
    calls: list[tuple[str, list[Any]]],
    tmp_path_factory: pytest.TempPathFactory,
) -> dict[str, Any]:
    """What the runner found running main.py on the calls in the clean environment."""
    work = tmp_path_factory.mktemp("run")
    (work / "calls.pickle").write_bytes(pickle.dumps(calls))
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "XLWINGS"))}
    command = [sys.executable, "-I", "-S", str(ROOT / "tests" / "lite_runner.py"), str(lite_site)]
    command += [str(lite_folder / "main.py"), str(work / "calls.pickle"), str(work / "out")]
    done = subprocess.run(command, cwd=work, env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-3000:]
    return pickle.loads((work / "out").read_bytes())


def same(got: Any, expected: Any) -> bool:
    """Equal values of the same types, recursively (NaN equals NaN)."""
    if type(got) is not type(expected):
        return False
    if isinstance(expected, list):
        return len(got) == len(expected) and all(map(same, got, expected))
    if isinstance(expected, float) and math.isnan(expected):
        return math.isnan(got)
    return bool(got == expected)


def in_process(name: str, args: list[Any]) -> tuple[str, Any]:
    try:
        return "value", getattr(udfs, name)(*copy.deepcopy(args))
    except Exception as error:  # compared with what main.py raised
        return "raised", type(error).__name__


# --- the tests -----------------------------------------------------------------------------------


def test_the_environment_has_only_numpy_and_xlwings(lite_run: dict[str, Any]) -> None:
    assert lite_run["flags"] == {"isolated": 1, "no_site": 1}
    assert lite_run["before"] == {
        "numpy": True,
        "xlwings": True,
        "xlwings.pro": False,
        "kamxl": False,
        "pandas": False,
        "openpyxl": False,
        "python_calamine": False,
    }
    # after main.py ran every call: kamxl is the one embedded in main.py, nothing more came
    assert lite_run["kamxl_origin"] == "kamxl (embedded)"
    third_party = set(lite_run["packages"]) - set(sys.stdlib_module_names)
    assert third_party <= {"numpy", "xlwings", "kamxl", "main", "__main__", "xlwingslib"}


def test_main_py_answers_every_call_as_kamxl_excel_udfs(
    lite_run: dict[str, Any], calls: list[tuple[str, list[Any]]]
) -> None:
    assert lite_run["functions"] == sorted(DECLARATIONS)
    assert len(lite_run["results"]) == len(calls)
    differ = [
        (name, args, got, expected)
        for (name, args), got in zip(calls, lite_run["results"], strict=True)
        if not same(got, expected := in_process(name, args))
    ]
    assert differ == []
    # the replay covers every function, with results, errors and error cells
    assert {name for name, _ in calls} == set(DECLARATIONS)
    values = [r for kind, r in lite_run["results"] if kind == "value"]
    assert len(values) == len(calls) > 500
    errors = {r for r in values if isinstance(r, str) and r in EXCEL_ERRORS}
    assert {"#N/A", "#VALUE!", "#NUM!", "#DIV/0!", "#REF!", "#SPILL!"} <= errors
    assert any(isinstance(r, list) for r in values)  # spilled arrays


def test_the_replay_holds_every_kind_of_lite_argument(calls: list[tuple[str, list[Any]]]) -> None:
    """The calls hold what Lite passes: omitted arguments, single blank cells (None), blanks
    in ranges, error cells, serial-number dates, whole numbers as int, booleans, text."""
    arguments = [a for _, args in calls for a in args]
    cells = [c for a in arguments if a is not None for row in a for c in row]
    assert None in arguments
    assert None in cells and "#N/A" in cells and True in cells
    assert any(isinstance(c, int) and not isinstance(c, bool) for c in cells)
    assert any(isinstance(c, float) for c in cells) and any(isinstance(c, str) for c in cells)
    dates = [
        cell
        for name, args in calls
        if name in ("KAM_CYCLE", "KAM_FRESHNESS")
        for a in args
        if a is not None
        for cell in a[0]
    ]
    assert any(isinstance(c, float) and c > 40000 for c in dates)  # a date and time
    assert any(type(c) is int and c > 40000 for c in dates)  # a date: a whole number


def test_every_error_kamxl_computes_is_one_lite_returns_as_an_error() -> None:
    """Lite turns a returned error text into an error value only for the errors an Office.js
    function can return; every error kamxl's own checks raise is one of them (an incoming
    #SPILL!, #CALC!... is passed on as its text: docs/excel.md)."""
    raised = {cls.excel_code for cls in _subclasses(KamxlError) if isinstance(cls.excel_code, str)}
    assert raised <= set(LITE_ERROR_VALUES)
    assert {"#N/A", "#VALUE!", "#NUM!", "#DIV/0!"} <= raised


def _subclasses(cls: type) -> Iterator[type]:
    for sub in cls.__subclasses__():
        yield sub
        yield from _subclasses(sub)


def _decorator(node: ast.expr) -> tuple[str, list[Any], dict[str, Any]]:
    if isinstance(node, ast.Name):
        return node.id, [], {}
    assert isinstance(node, ast.Call) and isinstance(node.func, ast.Name), ast.dump(node)
    args = [ast.literal_eval(a) for a in node.args]
    return node.func.id, args, {k.arg: ast.literal_eval(k.value) for k in node.keywords}


def _module_functions(path: Path) -> dict[str, ast.FunctionDef]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return {n.name: n for n in tree.body if isinstance(n, ast.FunctionDef)}


def test_every_function_is_declared_as_its_declaration_says(lite_folder: Path) -> None:
    functions = _module_functions(lite_folder / "main.py")
    declared = {name: node for name, node in functions.items() if node.decorator_list}
    assert sorted(declared) == sorted(DECLARATIONS)
    for name, node in declared.items():
        expected = DECLARATIONS[name]
        parameters = inspect.signature(getattr(udfs, name)).parameters
        decorators = [_decorator(d) for d in node.decorator_list]
        assert decorators[0] == ("func", [], {"volatile": True} if expected.volatile else {})
        assert decorators[1:] == [
            ("arg", [a.name], {"ndim": 2, "err_to_str": True, "doc": a.doc})
            for a in expected.arguments
        ]
        assert ast.get_docstring(node, clean=False) == expected.doc
        assert [a.arg for a in node.args.args] == list(parameters)
        defaults = [ast.literal_eval(d) for d in node.args.defaults]
        assert defaults == [
            p.default for p in parameters.values() if p.default is not inspect.Parameter.empty
        ]
        assert len(defaults) == sum(a.optional for a in expected.arguments)
        # Lite reads annotations as converters: there must be none
        assert node.returns is None and all(a.annotation is None for a in node.args.args)
        assert not (node.args.vararg or node.args.kwarg or node.args.kwonlyargs)
    assert DECLARATIONS["KAM_FRESHNESS"].volatile


def test_main_py_embeds_the_installed_kamxl_modules_verbatim(lite_folder: Path) -> None:
    tree = ast.parse((lite_folder / "main.py").read_text(encoding="utf-8"))
    assigned = next(
        n.value
        for n in tree.body
        if isinstance(n, ast.Assign) and getattr(n.targets[0], "id", "") == "_KAMXL_SOURCES"
    )
    sources = ast.literal_eval(assigned)
    for name, (is_package, source) in sources.items():
        path = ROOT / Path(*name.split("."))
        file = path / "__init__.py" if is_package else path.with_suffix(".py")
        assert source == file.read_text(encoding="utf-8"), name
    assert {"kamxl.errors", "kamxl.excel.udfs", "kamxl.excel.adapter", "kamxl.core.cells"} <= set(
        sources
    )
    # the minimal set: nothing of the workbook, decks, files or command line
    assert not {n for n in sources if n.startswith(("kamxl.workbook", "kamxl.deck"))}
    assert not {"kamxl.files", "kamxl.cli", "kamxl.excel.addin", "kamxl.core.periods"} & set(
        sources
    )


def test_a_module_that_needs_more_than_numpy_is_refused() -> None:
    with pytest.raises(lite.LiteError, match="which xlwings Lite does not have"):
        lite.bundled_modules("kamxl.workbook.reader")


def test_requirements_name_numpy_and_xlwings_only(lite_folder: Path) -> None:
    lines = (lite_folder / "requirements.txt").read_text(encoding="utf-8").splitlines()
    wanted = [line for line in lines if line and not line.startswith("#")]
    assert wanted == ["numpy", f"xlwings>={lite.XLWINGS_CHECKED},<1.0"]
    assert metadata.version("xlwings") == lite.XLWINGS_CHECKED  # checked against this one


def test_main_py_can_be_run_again_in_the_same_python(lite_folder: Path) -> None:
    """Lite runs main.py again after each edit: the new run's kamxl replaces the old one."""
    namespace: dict[str, Any] = {"__name__": "main"}
    code = compile((lite_folder / "main.py").read_text(encoding="utf-8"), "main.py", "exec")
    saved = {n: m for n, m in sys.modules.items() if n == "kamxl" or n.startswith("kamxl.")}
    meta_path = list(sys.meta_path)
    try:
        exec(code, namespace)
        first = sys.modules["kamxl.errors"]
        exec(code, namespace)
        assert sys.modules["kamxl.errors"] is not first
        assert sum(getattr(f, "kamxl_lite", False) for f in sys.meta_path) == 1
        assert namespace["KAM_VERSION"]() == kamxl.__version__
    finally:
        sys.meta_path[:] = meta_path
        for name in [n for n in sys.modules if n == "kamxl" or n.startswith("kamxl.")]:
            del sys.modules[name]
        sys.modules.update(saved)


def test_cli_writes_the_lite_files_and_never_overwrites_without_force(tmp_path: Path) -> None:
    out = tmp_path / "lite"
    result = CliRunner().invoke(cli, ["addin", "lite", "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in out.iterdir()) == sorted(lite.LITE_FILES)
    assert (out / "main.py").read_text(encoding="utf-8") == lite.main_source()
    assert f"Wrote {out / 'main.py'}" in result.stdout
    (out / "main.py").write_text("mine", encoding="utf-8")
    result = CliRunner().invoke(cli, ["addin", "lite", "-o", str(out)])
    assert result.exit_code == 1
    assert "already exists (use --force to replace it)" in result.stderr
    assert (out / "main.py").read_text(encoding="utf-8") == "mine"
    result = CliRunner().invoke(cli, ["addin", "lite", "-o", str(out), "--force"])
    assert result.exit_code == 0
    assert (out / "main.py").read_text(encoding="utf-8") == lite.main_source()


def test_a_folder_that_cannot_be_made_is_a_clear_error(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from kamxl.cli import main

    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    for command in (["addin", "lite"], ["addin", "build"]):
        result = CliRunner().invoke(main, [*command, "-o", str(blocker / "sub")])
        assert result.exit_code == 1, result.output
        assert f"{blocker / 'sub'}: cannot be created" in result.output
        assert "Traceback" not in result.output and "internal error" not in result.output

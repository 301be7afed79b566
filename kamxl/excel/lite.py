"""The KAM_* functions for xlwings Lite: Excel on macOS, on the web (and on Windows).

xlwings' VBA UDFs exist only on Windows. xlwings Lite, an Office add-in, runs Python in
Pyodide inside Excel and registers the functions of the ``main.py`` typed into its editor
(today one module) as Excel custom functions, installing the packages of its
``requirements.txt``. :func:`lite_files` generates both from kamxl's real modules:

- ``main.py`` embeds the sources of :mod:`kamxl.excel.udfs` and of every kamxl module it
  imports (:mod:`kamxl.errors`, :mod:`kamxl.core`, :mod:`kamxl.excel.adapter`...), read now
  from the installed kamxl, and serves them to ``import`` from memory; then it declares
  each ``KAM_*`` function from its :class:`~kamxl.excel.adapter.Declaration` (same name,
  arguments, defaults, help text, volatility) as a thin call of the real function. So the
  code that computes a cell is the code of :mod:`kamxl.excel.udfs`, nothing copied by hand;
- ``requirements.txt`` asks for numpy and xlwings only: the functions need nothing else
  (no pandas, openpyxl or python-calamine, which Pyodide may lack).

How Lite hands the arguments over and takes the result (xlwings 0.37.8,
``xlwings/pro/udfs_officejs.py`` ``custom_functions_call`` and ``xlwings/pro/_xlofficejs.py``,
read, never run by kamxl's tests; see docs/excel.md):

- every argument is declared ``ndim=2``: a range arrives as a list of rows, a single cell
  as ``[[value]]``; an omitted argument and a single blank cell arrive as ``None``;
- ``err_to_str=True``: an error cell arrives as its text (``"#N/A"``), as
  :mod:`kamxl.core.cells` expects (without it Lite would pass ``None``, a blank);
- a blank cell inside a range is ``None``; a date is its serial number (Lite does not build
  dates), which kamxl accepts as a date;
- a returned text ``"#DIV/0!"``, ``"#N/A"``, ``"#NAME?"``, ``"#NULL!"``, ``"#NUM!"``,
  ``"#REF!"`` or ``"#VALUE!"`` (alone or in a spilled array) becomes that Excel error value,
  so the functions return their error text as they do everywhere, with no return converter.
"""

from __future__ import annotations

import ast
import importlib.util
import inspect
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Final

import kamxl
from kamxl.errors import KamxlError
from kamxl.excel import adapter
from kamxl.files import atomic_write, check_output, make_folder

__all__ = [
    "LITE_FILES",
    "ROOT_MODULE",
    "LiteError",
    "bundled_modules",
    "lite_files",
    "main_source",
    "requirements_source",
    "write_lite",
]

#: The module whose KAM_* functions xlwings Lite gets.
ROOT_MODULE: Final = "kamxl.excel.udfs"
#: The files the xlwings Lite editor takes, in the order of its tabs.
LITE_FILES: Final = ("main.py", "requirements.txt")
#: The packages beyond the standard library that the embedded modules may import.
LITE_PACKAGES: Final = frozenset({"numpy", "xlwings"})
#: Imports that only run on Windows (the classic add-in's COM error values), never in Lite.
WINDOWS_ONLY: Final = frozenset({"pythoncom", "win32com"})
#: The oldest xlwings whose Lite conversion kamxl was checked against (see module docs).
XLWINGS_CHECKED: Final = "0.37.8"


class LiteError(KamxlError):
    """The xlwings Lite files cannot be generated (a module imports what Lite lacks)."""


# --- the modules main.py embeds ---------------------------------------------------------------


def bundled_modules(root: str = ROOT_MODULE) -> dict[str, tuple[bool, str]]:
    """The kamxl modules ``root`` needs, by name: (is a package, source text).

    The closure of ``root``'s kamxl imports (and their parent packages), read from the
    installed kamxl. Raises :class:`LiteError` if one of them imports a package that is
    neither the standard library nor numpy or xlwings.
    """
    found: dict[str, tuple[bool, str]] = {}
    pending = [root]
    while pending:
        name = pending.pop()
        if name in found:
            continue
        spec = importlib.util.find_spec(name)
        if spec is None or spec.origin is None:
            raise LiteError(f"module {name} not found")
        source = Path(spec.origin).read_text(encoding="utf-8")
        found[name] = (spec.submodule_search_locations is not None, source)
        needed = set(_kamxl_imports(name, found[name][0], source))
        needed |= {name.rsplit(".", k)[0] for k in range(1, name.count(".") + 1)}
        pending.extend(sorted(needed - found.keys()))
    return dict(sorted(found.items()))


def _kamxl_imports(module: str, is_package: bool, source: str) -> Iterator[str]:
    """The kamxl modules that ``module`` imports; checks its other imports as it goes."""
    package = module if is_package else module.rpartition(".")[0]
    for node, local in _imports(ast.parse(source)):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        else:
            base = importlib.util.resolve_name("." * node.level + (node.module or ""), package)
            targets = [base]
            if base == "kamxl" or base.startswith("kamxl."):
                targets += [
                    f"{base}.{alias.name}"
                    for alias in node.names
                    if _is_module(f"{base}.{alias.name}")
                ]
        for target in targets:
            top = target.split(".")[0]
            if top == "kamxl":
                yield target
            elif top in sys.stdlib_module_names or top in LITE_PACKAGES:
                continue
            elif not (local and top in WINDOWS_ONLY):
                raise LiteError(f"{module} imports {target}, which xlwings Lite does not have")


def _is_module(name: str) -> bool:
    """Whether ``name`` (``package.attribute``) names a module rather than an attribute."""
    try:
        return importlib.util.find_spec(name) is not None
    except ModuleNotFoundError:  # the parent is a module, not a package
        return False


def _imports(tree: ast.AST) -> Iterator[tuple[ast.Import | ast.ImportFrom, bool]]:
    """Every import of ``tree`` and whether it sits in a function; skips the bodies of
    ``if TYPE_CHECKING:`` (never run)."""

    def walk(node: ast.AST, local: bool) -> Iterator[tuple[ast.Import | ast.ImportFrom, bool]]:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.If) and _is_type_checking(child.test):
                for stmt in child.orelse:
                    yield from walk(stmt, local)
                continue
            if isinstance(child, (ast.Import, ast.ImportFrom)):
                yield child, local
            inner = local or isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef))
            yield from walk(child, inner)

    yield from walk(tree, False)


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


# --- main.py ----------------------------------------------------------------------------------

_HEADER: Final = '''\
"""kamxl {version}: the KAM_* worksheet functions for xlwings Lite.

Generated by `kamxl addin lite`: do not edit, generate it again from the kamxl you want.
Paste this file into the main.py tab of the xlwings Lite editor and requirements.txt into
its requirements.txt tab. It holds the sources of the kamxl modules the functions need
({count} modules, read from kamxl {version}) and serves them to `import` from memory; the
functions at the end are declarations that call them (see docs/excel.md of kamxl).
"""

import importlib.abc
import importlib.util
import sys

from xlwings import arg, func

# name: (is a package, source) of each embedded kamxl module
_KAMXL_SOURCES = {{
'''

_LOADER: Final = '''\
}


class _EmbeddedKamxl(importlib.abc.MetaPathFinder, importlib.abc.InspectLoader):
    """Imports the kamxl modules above from their embedded sources."""

    kamxl_lite = True

    def find_spec(self, fullname, path=None, target=None):
        if fullname not in _KAMXL_SOURCES:
            return None
        return importlib.util.spec_from_loader(
            fullname, self, origin=f"{fullname} (embedded)", is_package=self.is_package(fullname)
        )

    def is_package(self, fullname):
        return _KAMXL_SOURCES[fullname][0]

    def get_source(self, fullname):
        return _KAMXL_SOURCES[fullname][1]

    def get_code(self, fullname):
        filename = f"<kamxl {fullname.replace('.', '/')}.py>"
        return compile(self.get_source(fullname), filename, "exec", dont_inherit=True)


def _install_kamxl():
    """Serve kamxl from this file, forgetting one a previous run of main.py loaded."""
    sys.meta_path[:] = [f for f in sys.meta_path if not getattr(f, "kamxl_lite", False)]
    for name in [n for n in sys.modules if n == "kamxl" or n.startswith("kamxl.")]:
        del sys.modules[name]
    sys.meta_path.insert(0, _EmbeddedKamxl())


_install_kamxl()

from kamxl.excel import udfs as _udfs  # noqa: E402
'''


def main_source() -> str:
    """The text of the generated ``main.py`` (see the module docs)."""
    from kamxl.excel import udfs

    modules = bundled_modules()
    parts = [_HEADER.format(version=kamxl.__version__, count=len(modules))]
    for name, (is_package, source) in modules.items():
        parts.append(f"    {name!r}: ({is_package!r}, {_string_literal(source)}),\n")
    parts.append(_LOADER)
    for found in adapter.declarations(udfs):
        parts.append("\n\n" + _declared_function(found, getattr(udfs, found.name)))
    return "".join(parts)


def _string_literal(text: str) -> str:
    """``text`` as a Python expression that reads line by line (exact, any characters)."""
    lines = text.splitlines(keepends=True) or [""]
    body = "".join(f"        {line!r}\n" for line in lines)
    return f"(\n{body}    )"


def _declared_function(found: adapter.Declaration, function: object) -> str:
    """A ``KAM_*`` function of main.py: Lite's declarations, then a call of the real one."""
    parameters = inspect.signature(function).parameters  # type: ignore[arg-type]
    lines = ["@func(volatile=True)" if found.volatile else "@func"]
    signature = []
    for argument in found.arguments:
        lines.append(f"@arg({argument.name!r}, ndim=2, err_to_str=True, doc={argument.doc!r})")
        default = parameters[argument.name].default
        if argument.optional:
            if ast.literal_eval(repr(default)) != default:
                raise LiteError(f"{found.name}: default of {argument.name} is not a literal")
            signature.append(f"{argument.name}={default!r}")
        else:
            signature.append(argument.name)
    names = ", ".join(a.name for a in found.arguments)
    lines += [
        f"def {found.name}({', '.join(signature)}):",
        f"    {found.doc!r}",
        f"    return _udfs.{found.name}({names})",
    ]
    return "\n".join(lines) + "\n"


# --- requirements.txt and the files --------------------------------------------------------


def requirements_source() -> str:
    """The generated ``requirements.txt``: numpy (Pyodide's own build, not pinned, as Lite
    advises) and an xlwings at least as recent as the one kamxl was checked against."""
    return (
        f"# kamxl {kamxl.__version__}: what the KAM_* functions of main.py need\n"
        "numpy\n"
        f"xlwings>={XLWINGS_CHECKED},<1.0\n"
    )


def lite_files() -> dict[str, str]:
    """The files for the xlwings Lite editor, by name (:data:`LITE_FILES`)."""
    return {"main.py": main_source(), "requirements.txt": requirements_source()}


def write_lite(folder: Path, *, overwrite: bool = False) -> list[Path]:
    """Write :func:`lite_files` into ``folder`` (created if missing); returns their paths.

    An existing file is replaced only with ``overwrite``; every target is checked before
    any is written, and each is written atomically (as ``kamxl addin build`` does).
    """
    files = lite_files()
    make_folder(Path(folder))
    targets = {name: check_output(Path(folder) / name, overwrite=overwrite) for name in files}
    return [
        atomic_write(targets[name], text.encode("utf-8"), overwrite=overwrite)
        for name, text in files.items()
    ]

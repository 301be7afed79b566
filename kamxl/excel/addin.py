"""Building and installing ``kamxl.xlam``, the Excel add-in with the KAM tab and the
``KAM_*`` worksheet functions.

The add-in is xlwings' own ribbon add-in template (``quickstart_addin_ribbon.xlam``, shipped
inside the installed xlwings, so its VBA names that xlwings' version), changed without Excel
so that it works on first install:

- the ribbon XML (``customUI/customUI.xml``) is generated from
  :data:`kamxl.excel.ribbon.ACTIONS`: a "KAM" tab whose every button calls the same VBA
  callback, ``KamRibbon.RunMain``, which runs ``kamxl.excel.ribbon.dispatch(<control id>)``
  (a new button needs no VBA change);
- the VBA project is ``kamxl``, its callback module ``KamRibbon``; the xlwings module's
  ``PROJECT_NAME`` is ``kamxl``, so the configuration is read from a ``kamxl.conf``;
- the ``xlwings_udfs`` module holds the ``KAM_*`` functions, exactly as xlwings' *Import
  Python UDFs* would write it (:mod:`kamxl.excel.vba`), so nobody has to trust VBA project
  access or import anything; ``KamHelp`` gives Excel each function's help when the add-in
  opens (``ThisWorkbook``'s ``Workbook_Open``);
- the add-in's ``kamxl.conf`` sheet holds only what kamxl sets (``UDF Modules``): xlwings'
  ``GetConfig`` reads this sheet before the user's ``kamxl.conf`` file, so any key here,
  even blank, would hide the interpreter an IT admin sets there;
- nothing of the template's author is left: no ``absPath`` of his machine in
  ``workbook.xml``, no author in ``docProps/core.xml``, no unused MSForms reference with
  his temp folder in the VBA project.

The VBA sources are written as MS-OVBA prescribes (source only, no compiled p-code), so
Excel compiles them when it first opens the add-in (:mod:`kamxl.excel.vbaproject`).
"""

from __future__ import annotations

import io
import os
import re
import subprocess
import sys
import zipfile
from pathlib import Path
from typing import Final
from xml.sax.saxutils import escape

from lxml import etree

from kamxl.errors import KamxlError
from kamxl.excel import udfs
from kamxl.excel.adapter import declarations
from kamxl.excel.ribbon import ACTIONS
from kamxl.excel.vba import HELP_MODULE, UDF_MODULE_NAME, help_module, udf_module
from kamxl.excel.vbaproject import ProjectEdit, edit_project, module_sources
from kamxl.files import atomic_write, check_output, make_folder
from kamxl.workbook.package import Package

__all__ = [
    "ADDIN_NAME",
    "CALLBACK_MODULE",
    "CONFIG_SHEET",
    "UDF_MODULE",
    "AddinError",
    "addin_template",
    "addin_xlwings_version",
    "build_addin",
    "install_addin",
    "ribbon_xml",
    "xlwings_mismatch",
]

ADDIN_NAME: Final = "kamxl.xlam"
UDF_MODULE: Final = "kamxl.excel.udfs"
PROJECT_NAME: Final = "kamxl"
CONFIG_SHEET: Final = f"{PROJECT_NAME}.conf"
CALLBACK_MODULE: Final = "KamRibbon"
CALLBACK: Final = f"{CALLBACK_MODULE}.RunMain"
_CUSTOM_UI: Final = "http://schemas.microsoft.com/office/2006/01/customui"
_TEMPLATE_PROJECT: Final = "myaddin"
_TEMPLATE_CALLBACK_MODULE: Final = "RibbonMyAddin"
_UNUSED_REFERENCE: Final = "MSForms"  # no module uses it; it carries the author's temp path
_XLWINGS_VERSION = re.compile(r'Public Const XLWINGS_VERSION As String = "([^"]+)"')

_CALLBACK_SOURCE: Final = (
    "Sub RunMain(control As IRibbonControl)\n"
    "    ' Every button of the KAM tab calls this one macro: Python finds the action by the\n"
    "    ' button's id in kamxl.excel.ribbon.ACTIONS, so a new button needs no VBA change.\n"
    "    ' The add-in's xlwings version goes along, for the About button to compare.\n"
    '    RunPython "import kamxl.excel.ribbon; kamxl.excel.ribbon.dispatch(\'" & control.ID '
    '& "\', addin_xlwings=\'" & XLWINGS_VERSION & "\')"\n'
    "End Sub\n"
)

_OPEN_SOURCE: Final = (
    "Private Sub Workbook_Open()\n"
    "    ' The help of the KAM_* functions (Insert Function), as xlwings' import gives it.\n"
    f"    {HELP_MODULE}.RegisterKamFunctions\n"
    "End Sub\n"
)


class AddinError(KamxlError):
    """The add-in cannot be built or installed here."""


def addin_template() -> Path:
    """xlwings' ribbon add-in template, from the installed xlwings."""
    import xlwings

    path = Path(xlwings.__file__).parent / "quickstart_addin_ribbon.xlam"
    if not path.exists():
        raise AddinError(f"xlwings {xlwings.__version__} has no ribbon add-in template at {path}")
    return path


def ribbon_xml() -> bytes:
    """The KAM tab: one group per action group, one button per action, one callback."""
    ui = etree.Element(f"{{{_CUSTOM_UI}}}customUI", nsmap={None: _CUSTOM_UI})
    tabs = etree.SubElement(
        etree.SubElement(ui, f"{{{_CUSTOM_UI}}}ribbon"), f"{{{_CUSTOM_UI}}}tabs"
    )
    tab = etree.SubElement(tabs, f"{{{_CUSTOM_UI}}}tab", id="kamxlTab", label="KAM")
    groups: dict[str, etree._Element] = {}
    for action in ACTIONS.values():
        group = groups.get(action.group)
        if group is None:
            group_id = "kam_group_" + "".join(c for c in action.group.lower() if c.isalnum())
            group = etree.SubElement(tab, f"{{{_CUSTOM_UI}}}group", id=group_id, label=action.group)
            groups[action.group] = group
        etree.SubElement(
            group,
            f"{{{_CUSTOM_UI}}}button",
            id=action.control_id,
            label=action.label,
            size=action.size,
            imageMso=action.image,
            screentip=action.label,
            supertip=action.tip,
            onAction=CALLBACK,
        )
    return etree.tostring(ui, xml_declaration=True, encoding="UTF-8", standalone=True)


def _line_end(source: str) -> str:
    return "\r\n" if "\r\n" in source else "\n"


def _with_code(source: str, code: str, *, keep_code: bool = False) -> str:
    """A module with ``code``: its ``Attribute`` header kept, and its old code too when
    ``keep_code`` (a document module, whose header binds it to its workbook)."""
    end = _line_end(source)
    lines = source.splitlines()
    header = [line for line in lines if line.startswith("Attribute ")]
    kept = [line for line in lines if not line.startswith("Attribute ")] if keep_code else []
    while kept and not kept[-1].strip():
        kept.pop()
    return end.join([*header, *kept, *code.splitlines()]) + end


def _with_project_name(source: str) -> str:
    old = f'Public Const PROJECT_NAME As String = "{_TEMPLATE_PROJECT}"'
    if old not in source:
        raise AddinError("the xlwings VBA module has no PROJECT_NAME to set: xlwings changed?")
    return source.replace(old, f'Public Const PROJECT_NAME As String = "{PROJECT_NAME}"')


def _vba(project: bytes) -> bytes:
    """The template's VBA project made kamxl's (see the module docs)."""
    sources = module_sources(project)
    for name in (_TEMPLATE_CALLBACK_MODULE, "xlwings", "ThisWorkbook"):
        if name not in sources:
            raise AddinError(f"the xlwings add-in template has no VBA module {name}")
    functions = declarations(udfs)
    return edit_project(
        project,
        ProjectEdit(
            project_name=PROJECT_NAME,
            renames={_TEMPLATE_CALLBACK_MODULE: CALLBACK_MODULE},
            added={
                UDF_MODULE_NAME: udf_module(UDF_MODULE, functions),
                HELP_MODULE: help_module(functions),
            },
            sources={
                CALLBACK_MODULE: _with_code(sources[_TEMPLATE_CALLBACK_MODULE], _CALLBACK_SOURCE),
                "xlwings": _with_project_name(sources["xlwings"]),
                "ThisWorkbook": _with_code(sources["ThisWorkbook"], _OPEN_SOURCE, keep_code=True),
            },
            dropped_references=(_UNUSED_REFERENCE,),
        ),
    )


def _inline_cell(reference: str, text: str) -> str:
    return f'<c r="{reference}" t="inlineStr"><is><t>{escape(text)}</t></is></c>'


#: Where an IT admin sets the interpreter (xlwings' GetConfigFilePath for PROJECT_NAME).
USER_CONFIG_WINDOWS: Final = rf"%USERPROFILE%\.{PROJECT_NAME}\{PROJECT_NAME}.conf"
USER_CONFIG_MAC: Final = f"~/Library/Containers/com.microsoft.Excel/Data/{PROJECT_NAME}.conf"


def config_sheet_xml(code_name: str) -> bytes:
    """The add-in's ``kamxl.conf`` sheet: ``UDF Modules`` in A1:B1 and nothing else in
    column A (xlwings reads A1 down to the last filled cell), and a note in D1 for whoever
    opens the add-in looking for the interpreter setting."""
    note = (
        "kamxl reads only the key in A1:B1 from this sheet. Set Interpreter_Win, "
        f"Interpreter_Mac, PYTHONPATH, Conda Path/Env in {USER_CONFIG_WINDOWS} (Windows) or "
        f"{USER_CONFIG_MAC} (macOS): a key in column A here would hide that file."
    )
    row = _inline_cell("A1", "UDF Modules") + _inline_cell("B1", UDF_MODULE)
    row += _inline_cell("D1", note)
    return (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        f'<sheetPr codeName="{escape(code_name)}"/><dimension ref="A1:D1"/>'
        '<sheetViews><sheetView tabSelected="1" workbookViewId="0"/></sheetViews>'
        '<sheetFormatPr defaultRowHeight="15"/>'
        '<cols><col min="1" max="1" width="16" customWidth="1"/>'
        '<col min="2" max="2" width="20" customWidth="1"/></cols>'
        f'<sheetData><row r="1">{row}</row></sheetData>'
        '<pageMargins left="0.7" right="0.7" top="0.75" bottom="0.75" header="0.3" footer="0.3"/>'
        "</worksheet>"
    ).encode()


def _sheet_code_name(sheet: bytes) -> str:
    found = re.search(rb'<sheetPr[^>]*codeName="([^"]+)"', sheet)
    if found is None:
        raise AddinError("the add-in template's configuration sheet has no code name")
    return found.group(1).decode()


def _workbook_xml(workbook: bytes, conf: str) -> bytes:
    """``workbook.xml`` with the sheet renamed and without the ``absPath`` (the folder the
    template was last saved in, on its author's machine)."""
    renamed = workbook.replace(f'name="{conf}"'.encode(), f'name="{CONFIG_SHEET}"'.encode())
    return re.sub(
        rb"<mc:AlternateContent[^>]*>\s*<mc:Choice[^>]*>\s*<x15ac:absPath[^>]*/>\s*"
        rb"</mc:Choice>\s*</mc:AlternateContent>",
        b"",
        renamed,
    )


def _core_xml(core: bytes) -> bytes:
    """``docProps/core.xml`` with kamxl as author, instead of the template's."""
    core = re.sub(rb"<dc:creator>[^<]*</dc:creator>", b"<dc:creator>kamxl</dc:creator>", core)
    return re.sub(
        rb"<cp:lastModifiedBy>[^<]*</cp:lastModifiedBy>",
        b"<cp:lastModifiedBy>kamxl</cp:lastModifiedBy>",
        core,
    )


def build_addin(out_dir: Path | str, *, overwrite: bool = False) -> Path:
    """Write ``kamxl.xlam`` into ``out_dir`` (see the module docs); returns its path. An
    existing ``kamxl.xlam`` is replaced only with ``overwrite``."""
    folder = make_folder(Path(out_dir))
    target = check_output(folder / ADDIN_NAME, overwrite=overwrite)
    with Package.open(addin_template()) as package:
        sheets = package.sheet_parts()
        conf = f"_{_TEMPLATE_PROJECT}.conf"
        if conf not in sheets:
            raise AddinError(f"the xlwings add-in template has no {conf} sheet")
        replacements = {
            "customUI/customUI.xml": ribbon_xml(),
            "xl/vbaProject.bin": _vba(package.read("xl/vbaProject.bin")),
            "xl/workbook.xml": _workbook_xml(package.read("xl/workbook.xml"), conf),
            "docProps/app.xml": package.read("docProps/app.xml").replace(
                conf.encode(), CONFIG_SHEET.encode()
            ),
            "docProps/core.xml": _core_xml(package.read("docProps/core.xml")),
            sheets[conf]: config_sheet_xml(_sheet_code_name(package.read(sheets[conf]))),
        }
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as out:
            for info in package.zip.infolist():
                data = replacements.get(info.filename)
                out.writestr(info, data if data is not None else package.read(info.filename))
    return atomic_write(target, buffer.getvalue(), overwrite=overwrite)


def addin_xlwings_version(path: Path | str) -> str:
    """The xlwings version an add-in's VBA was made for: it loads ``xlwings64-<it>.dll``
    (Windows) and calls ``xlwings-<it>.applescript`` (macOS), which only that xlwings
    version installs."""
    with Package.open(Path(path)) as package:
        if not package.has("xl/vbaProject.bin"):
            raise AddinError(f"{path} has no VBA project: it is not an add-in (kamxl.xlam)")
        for source in module_sources(package.read("xl/vbaProject.bin")).values():
            found = _XLWINGS_VERSION.search(source)
            if found:
                return found.group(1)
    raise AddinError(f"{path} has no xlwings VBA module: it is not kamxl.xlam")


def xlwings_mismatch(addin_version: str) -> str | None:
    """Why an add-in made for xlwings ``addin_version`` cannot work with the installed
    xlwings, and the fix; ``None`` when they agree."""
    import xlwings

    installed = xlwings.__version__
    if addin_version == installed:
        return None
    return (
        f"this kamxl.xlam was built with xlwings {addin_version}, but this computer's Python "
        f"has xlwings {installed}: the add-in would look for xlwings64-{addin_version}.dll "
        f"(Windows) or xlwings-{addin_version}.applescript (macOS) and fail. Either build the "
        f"add-in here (kamxl addin install, without --file), or install the matching xlwings "
        f'(python -m pip install "xlwings=={addin_version}")'
    )


def install_addin(path: Path | str) -> str:
    """Install the add-in for the current user through xlwings (Windows and macOS), after
    checking that its xlwings version is the installed one."""
    path = Path(path)
    if not path.exists():
        raise AddinError(f"{path} does not exist: run kamxl addin build first")
    mismatch = xlwings_mismatch(addin_xlwings_version(path))
    if mismatch is not None:
        raise AddinError(f"{path.name}: {mismatch}")
    if sys.platform not in ("win32", "darwin"):
        raise AddinError(
            f"Excel is not available on {sys.platform}: build the add-in here "
            "(kamxl addin build -o DIR) and install it on the Windows or macOS computers of "
            "the team with: kamxl addin install (see docs/excel.md)"
        )
    command = [sys.executable, "-m", "xlwings.cli", "addin", "install", "-f", str(path)]
    result = subprocess.run(
        command, capture_output=True, text=True, check=False, env=dict(os.environ)
    )
    if result.returncode != 0:
        raise AddinError(f"xlwings could not install {path.name}: {result.stderr.strip()[-400:]}")
    return result.stdout.strip() or f"Installed {path.name}"

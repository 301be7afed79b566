"""Building and installing ``kamxl.xlam``, the Excel add-in with the KAM tab.

The add-in is xlwings' own ribbon add-in template (``quickstart_addin_ribbon.xlam``, shipped
inside xlwings) with four changes, made without Excel:

- the ribbon XML (``customUI/customUI.xml``) is generated from
  :data:`kamxl.excel.ribbon.ACTIONS`: a "KAM" tab whose every button calls the same VBA
  callback;
- that callback (module ``RibbonMyAddin``) runs
  ``kamxl.excel.ribbon.dispatch(<control id>)``, so a new button needs no VBA change;
- the xlwings VBA module's ``PROJECT_NAME`` is ``kamxl``, so its configuration is the
  add-in's ``kamxl.conf`` sheet (or ``%USERPROFILE%\\.kamxl\\kamxl.conf``);
- the ``kamxl.conf`` sheet names ``kamxl.excel.udfs`` as the UDF module.

The VBA sources are rewritten as MS-OVBA prescribes (source only, no compiled p-code),
so Excel compiles them when it first opens the add-in (:mod:`kamxl.excel.vbaproject`).
"""

from __future__ import annotations

import io
import os
import subprocess
import sys
import zipfile
from pathlib import Path
from typing import Final

from lxml import etree

from kamxl.errors import KamxlError
from kamxl.excel.ribbon import ACTIONS
from kamxl.excel.vbaproject import module_sources, with_module_sources
from kamxl.files import atomic_write, check_output
from kamxl.workbook.package import NS, Package
from kamxl.workbook.writer import SheetEditor

__all__ = [
    "ADDIN_NAME",
    "CALLBACK_MODULE",
    "UDF_MODULE",
    "AddinError",
    "addin_template",
    "build_addin",
    "install_addin",
    "ribbon_xml",
]

ADDIN_NAME: Final = "kamxl.xlam"
UDF_MODULE: Final = "kamxl.excel.udfs"
CALLBACK_MODULE: Final = "RibbonMyAddin"
CALLBACK: Final = f"{CALLBACK_MODULE}.RunMain"
PROJECT_NAME: Final = "kamxl"
_CUSTOM_UI: Final = "http://schemas.microsoft.com/office/2006/01/customui"
_TEMPLATE_PROJECT: Final = "myaddin"

_CALLBACK_SOURCE: Final = (
    "Sub RunMain(control As IRibbonControl)\n"
    "    ' Every button of the KAM tab calls this one macro: Python finds the action by the\n"
    "    ' button's id in kamxl.excel.ribbon.ACTIONS, so a new button needs no VBA change.\n"
    '    RunPython "import kamxl.excel.ribbon; kamxl.excel.ribbon.dispatch(\'" & control.ID '
    '& "\')"\n'
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


def _with_callback(source: str) -> str:
    """The callback module: its ``Attribute`` header kept, its code replaced."""
    end = _line_end(source)
    header = [line for line in source.splitlines() if line.startswith("Attribute ")]
    return end.join(header) + end + _CALLBACK_SOURCE.replace("\n", end)


def _with_project_name(source: str) -> str:
    old = f'Public Const PROJECT_NAME As String = "{_TEMPLATE_PROJECT}"'
    if old not in source:
        raise AddinError("the xlwings VBA module has no PROJECT_NAME to set: xlwings changed?")
    return source.replace(old, f'Public Const PROJECT_NAME As String = "{PROJECT_NAME}"')


def _vba(project: bytes) -> bytes:
    sources = module_sources(project)
    for name in (CALLBACK_MODULE, "xlwings"):
        if name not in sources:
            raise AddinError(f"the xlwings add-in template has no VBA module {name}")
    return with_module_sources(
        project,
        {
            CALLBACK_MODULE: _with_callback(sources[CALLBACK_MODULE]),
            "xlwings": _with_project_name(sources["xlwings"]),
        },
    )


def _config_sheet(package: Package, part: str) -> bytes:
    """The configuration sheet with ``UDF Modules`` set to kamxl's UDF module."""
    strings = [
        "".join(si.itertext())
        for si in package.xml("xl/sharedStrings.xml").findall(f"{{{NS['main']}}}si")
    ]
    editor = SheetEditor(package.lxml(part))
    for number, cells in editor.cells.items():
        first = cells.get(0)
        value = first.find(f"{{{NS['main']}}}v") if first is not None else None
        if (
            value is not None
            and first.get("t") == "s"
            and strings[int(value.text)] == "UDF Modules"
        ):
            editor.set_cell(f"B{number}", UDF_MODULE, 0)
            return editor.to_bytes()
    raise AddinError("the xlwings add-in template has no 'UDF Modules' setting")


def build_addin(out_dir: Path | str, *, overwrite: bool = False) -> Path:
    """Write ``kamxl.xlam`` into ``out_dir`` (see the module docs); returns its path. An
    existing ``kamxl.xlam`` is replaced only with ``overwrite``."""
    folder = Path(out_dir)
    folder.mkdir(parents=True, exist_ok=True)
    target = check_output(folder / ADDIN_NAME, overwrite=overwrite)
    with Package.open(addin_template()) as package:
        sheets = package.sheet_parts()
        conf = f"_{_TEMPLATE_PROJECT}.conf"
        if conf not in sheets:
            raise AddinError(f"the xlwings add-in template has no {conf} sheet")
        rename = (f'name="{conf}"'.encode(), f'name="{PROJECT_NAME}.conf"'.encode())
        replacements = {
            "customUI/customUI.xml": ribbon_xml(),
            "xl/vbaProject.bin": _vba(package.read("xl/vbaProject.bin")),
            "xl/workbook.xml": package.read("xl/workbook.xml").replace(*rename),
            "docProps/app.xml": package.read("docProps/app.xml").replace(
                conf.encode(), f"{PROJECT_NAME}.conf".encode()
            ),
            sheets[conf]: _config_sheet(package, sheets[conf]),
        }
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as out:
            for info in package.zip.infolist():
                data = replacements.get(info.filename)
                out.writestr(info, data if data is not None else package.read(info.filename))
    return atomic_write(target, buffer.getvalue(), overwrite=overwrite)


def install_addin(path: Path | str) -> str:
    """Install the add-in for the current user through xlwings (Windows and macOS)."""
    path = Path(path)
    if sys.platform not in ("win32", "darwin"):
        raise AddinError(
            f"Excel is not available on {sys.platform}: build the add-in here "
            "(kamxl addin build -o DIR) and install it on the Windows or macOS computers of "
            "the team with: kamxl addin install (see docs/excel.md)"
        )
    if not path.exists():
        raise AddinError(f"{path} does not exist: run kamxl addin build first")
    command = [sys.executable, "-m", "xlwings.cli", "addin", "install", "-f", str(path)]
    result = subprocess.run(
        command, capture_output=True, text=True, check=False, env=dict(os.environ)
    )
    if result.returncode != 0:
        raise AddinError(f"xlwings could not install {path.name}: {result.stderr.strip()[-400:]}")
    return result.stdout.strip() or f"Installed {path.name}"

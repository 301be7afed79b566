"""The VBA that makes the ``KAM_*`` functions exist in Windows Excel, written without Excel.

Two modules of ``kamxl.xlam`` come from here, both generated from the functions'
:class:`~kamxl.excel.adapter.Declaration`:

- ``xlwings_udfs``: one VBA ``Function`` per ``KAM_*`` function, each handing its arguments
  to Python through xlwings (``XLPy.CallUDF``). It is, line for line, the module that
  xlwings' *Import Python UDFs* writes (``xlwings.udfs.generate_vba_wrapper``, which needs
  Excel and pywin32): tests/test_vba_udfs.py runs xlwings' own generator on the same
  functions and compares. Writing it at build time spares every user the *Trust access to
  the VBA project object model* setting and the import step.
- ``KamHelp``: registers each function's description, category and argument descriptions
  with ``Application.MacroOptions`` when the add-in opens (what xlwings' import does once,
  through COM). A failure there never stops the add-in: the functions work without help.

Every name that reaches VBA is checked against VBA's reserved identifiers ([MS-VBAL]
3.3.5.2), since one module that does not compile takes every function down with it (the
first kamxl had ``Function KAM_NRR(start, end)``).
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterable
from typing import Final

from xlwings.utils import VBAWriter

from kamxl.excel.adapter import Declaration

__all__ = [
    "HELP_MODULE",
    "UDF_MODULE_NAME",
    "VBA_RESERVED",
    "check_vba_names",
    "function_help",
    "help_module",
    "udf_module",
    "vba_string",
]

#: The module xlwings' import writes and replaces; kamxl writes the same one.
UDF_MODULE_NAME: Final = "xlwings_udfs"
#: kamxl's module that registers the functions' help when the add-in opens.
HELP_MODULE: Final = "KamHelp"

#: VBA's reserved identifiers ([MS-VBAL] 3.3.5.2: statement and marker keywords, operator
#: identifiers, reserved names and types, special forms, literals, Rem, names reserved for
#: the implementation and for the future). None may name a function, argument or module.
_RESERVED_WORDS = """
    Call Case Close Const Declare DefBool DefByte DefCur DefDate DefDbl DefInt DefLng
    DefLngLng DefLngPtr DefObj DefSng DefStr DefVar Dim Do Else ElseIf End EndIf Enum Erase
    Event Exit For Friend Function Get Global GoSub GoTo If Implements Input Let Lock Loop
    LSet Next On Open Option Print Private Public Put RaiseEvent ReDim Resume Return RSet
    Seek Select Set Static Stop Sub Type Unlock Wend While With Write
    Any As ByRef ByVal Each In New Shared Until WithEvents Optional ParamArray Preserve Spc
    Tab Then To
    AddressOf And Eqv Imp Is Like Mod Not Or TypeOf Xor
    Abs CBool CByte CCur CDate CDbl CDec CInt CLng CLngLng CLngPtr CSng CStr CVar CVErr Date
    Debug DoEvents Fix Int Len LenB Me PSet Scale Sgn String
    Array Circle InputB LBound UBound
    Boolean Byte Currency Double Integer Long LongLong LongPtr Single Variant
    True False Nothing Empty Null Rem
    Attribute LineInput VB_Base VB_Control VB_Creatable VB_Customizable VB_Description
    VB_Exposed VB_Ext_KEY VB_GlobalNameSpace VB_HelpID VB_Invoke_Func VB_Invoke_Property
    VB_Invoke_PropertyPut VB_Invoke_PropertyPutRef VB_MemberFlags VB_Name VB_PredeclaredId
    VB_ProcData VB_TemplateDerived VB_UserMemId VB_VarDescription VB_VarHelpID
    VB_VarMemberFlags VB_VarProcData VB_VarUserMemId
    CDecl Decimal DefDec
"""
VBA_RESERVED: Final = frozenset(word.casefold() for word in _RESERVED_WORDS.split())

_VBA_IDENTIFIER = re.compile(r"[A-Za-z][A-Za-z0-9_]*")
_MAX_IDENTIFIER = 255  # [MS-VBAL] 3.3.5: an identifier has at most 255 characters
_MAX_LINE = 1023  # VBA refuses a longer physical line
_MAX_HELP = 255  # Excel's limit for a description given to MacroOptions
_CODE_PAGE: Final = "cp1252"  # the add-in project's code page (PROJECTCODEPAGE 1252)


def check_vba_names(names: Iterable[str], what: str) -> None:
    """Refuse a name VBA would not compile: not an identifier, too long, or reserved."""
    for name in names:
        if not _VBA_IDENTIFIER.fullmatch(name) or len(name) > _MAX_IDENTIFIER:
            raise ValueError(f"{what} {name!r} is not a VBA identifier")
        if name.casefold() in VBA_RESERVED:
            raise ValueError(f"{what} {name!r} is a reserved word of VBA: rename it")


def _check_declaration(declared: Declaration) -> None:
    check_vba_names([declared.name], "function")
    check_vba_names([a.name for a in declared.arguments], f"argument of {declared.name}")


def udf_module(module_name: str, functions: list[Declaration]) -> str:
    """The ``xlwings_udfs`` module of an add-in for ``functions`` of Python module
    ``module_name``: what ``xlwings.udfs.import_udfs`` writes into an ``.xlam`` (its
    header, then ``generate_vba_wrapper``'s code per function, in ``dir()`` order), with
    the CRLF line ends VBA stores."""
    out = io.StringIO()
    vba = VBAWriter(out)
    vba.writeln(f'Attribute VB_Name = "{UDF_MODULE_NAME}"')
    vba.writeln("'Autogenerated code by xlwings - changes will be lost with next import!")
    vba.writeln("""#Const App = "Microsoft Excel" 'Adjust when using outside of Excel""")
    for declared in sorted(functions, key=lambda d: d.name):
        _check_declaration(declared)
        _write_wrapper(vba, module_name, declared)
    return out.getvalue().replace("\n", "\r\n")


def _write_wrapper(vba: VBAWriter, module_name: str, declared: Declaration) -> None:
    """One function, as ``generate_vba_wrapper`` writes a non-async ``Function`` without
    ``caller``/varargs, called in the wizard, in an add-in (hence ``ActiveWorkbook``)."""
    name = declared.name
    signature = ", ".join(("Optional " if a.optional else "") + a.name for a in declared.arguments)
    arguments = "Array(" + ", ".join(a.name for a in declared.arguments) + ")"
    call = f'XLPy.CallUDF("{module_name}", "{name}", {arguments}'
    with vba.block(f"Function {name}({signature})"):
        if declared.volatile:
            vba.writeln("Application.Volatile")
        with vba.block('#If App = "Microsoft Excel" Then'):
            vba.writeln("If TypeOf Application.Caller Is Range Then On Error GoTo failed")
            vba.writeln(f"{name} = {call}, ActiveWorkbook, Application.Caller)")
            vba.writeln("Exit Function")
        with vba.block("#Else"):
            vba.writeln(f"{name} = {call})")
            vba.writeln("Exit Function")
        vba.writeln("#End If")
        vba.write_label("failed")
        vba.writeln(f"{name} = Err.Description")
    vba.writeln("End Function")
    vba.writeln("")


def function_help(declared: Declaration) -> str:
    """The one-line description Excel shows for a function: its docstring, its lines
    joined, cut at a word within Excel's 255 characters."""
    return _one_line(declared.doc)


def _one_line(text: str) -> str:
    line = " ".join(text.split())
    if len(line) <= _MAX_HELP:
        return line
    cut = line[: _MAX_HELP - 3].rsplit(" ", 1)[0]
    return cut + "..."


def vba_string(text: str) -> str:
    """``text`` as a VBA string expression: a quoted literal (quotes doubled), with any
    character the project's code page lacks, and any control character, as ``ChrW(n)``."""
    parts: list[str] = []
    literal: list[str] = []
    for character in text:
        if _literal_safe(character):
            literal.append('""' if character == '"' else character)
            continue
        if literal:
            parts.append('"' + "".join(literal) + '"')
            literal = []
        parts.append(f"ChrW({ord(character)})")
    if literal or not parts:
        parts.append('"' + "".join(literal) + '"')
    return " & ".join(parts)


def _literal_safe(character: str) -> bool:
    if ord(character) < 32 or ord(character) > 0xFFFF:
        return False
    try:
        character.encode(_CODE_PAGE)
    except UnicodeEncodeError:
        return False
    return True


def help_module(functions: list[Declaration]) -> str:
    """The ``KamHelp`` module: ``RegisterKamFunctions`` tells Excel each function's
    description, category and argument descriptions (``Application.MacroOptions``, Excel
    2010 and later for the arguments), as xlwings' import does. ``ThisWorkbook`` calls it
    when the add-in opens."""
    lines = [
        f'Attribute VB_Name = "{HELP_MODULE}"',
        "' Written by kamxl (kamxl addin build): the help Excel shows for the KAM_* functions",
        "' in Insert Function and Ctrl+Shift+A. Rebuild the add-in instead of editing this.",
        "Option Explicit",
        "",
        "Public Sub RegisterKamFunctions()",
        "    ' A failure leaves the functions working, only without their help.",
        "    On Error Resume Next",
    ]
    ordered = sorted(functions, key=lambda d: d.name)
    lines += [f"    Describe{d.name}" for d in ordered]
    lines += [
        "    ThisWorkbook.Saved = True",
        "End Sub",
        "",
        "Private Sub Describe(ByVal functionName As String, ByVal help As String, "
        "ByVal category As String, argumentHelp As Variant)",
        '    Dim qualified As String: qualified = "\'" & ThisWorkbook.Name & "\'!" & functionName',
        "    If IsArray(argumentHelp) And Val(Application.Version) >= 14 Then",
        "        Application.MacroOptions Macro:=qualified, Description:=help, "
        "Category:=category, ArgumentDescriptions:=argumentHelp",
        "    Else",
        "        Application.MacroOptions Macro:=qualified, Description:=help, Category:=category",
        "    End If",
        "End Sub",
    ]
    for declared in ordered:
        _check_declaration(declared)
        lines += ["", *_describe_sub(declared)]
    for line in lines:
        if len(line) > _MAX_LINE:
            raise ValueError(f"a line of the {HELP_MODULE} module is too long for VBA: {line}")
    return "\r\n".join(lines) + "\r\n"


def _describe_sub(declared: Declaration) -> list[str]:
    lines = [f"Private Sub Describe{declared.name}()"]
    count = len(declared.arguments)
    if count:
        lines.append(f"    Dim arguments(0 To {count - 1}) As String")
        lines += [
            f"    arguments({i}) = {vba_string(_one_line(a.doc))}"
            for i, a in enumerate(declared.arguments)
        ]
        argument_help = "arguments"
    else:
        argument_help = "Empty"
    lines.append(
        f'    Describe "{declared.name}", {vba_string(function_help(declared))}, '
        f"{vba_string(declared.category)}, {argument_help}"
    )
    lines.append("End Sub")
    return lines

"""A VBA module's source made ready for LibreOffice Basic's compiler (in VBA-support mode).

LibreOffice Basic compiles VBA code when a module starts with ``Option VBASupport 1``, but it
does not take four things of a module as Excel stores it; :func:`for_libreoffice` deals with
exactly those, and changes nothing else:

* ``Attribute ...`` lines (``Attribute VB_Name = "xlwings"``, ``Attribute X.VB_Description =
  ...``): the VBA editor hides them and Excel's compiler reads them as module metadata, not
  code. They become blank lines, so that every line keeps its number.
* ``Option VBASupport 1`` takes the place of line 1 when that is an ``Attribute`` line
  (``Attribute VB_Name`` is always line 1 of a module Excel stores), so line numbers still
  match; any other source gets it as a new line 1 and :attr:`Prepared.offset` 1. A class or
  document module (``Attribute VB_Base`` names its base class: Dictionary, ThisWorkbook,
  Sheet2) is compiled by Excel as a class, so it also gets ``Option ClassModule`` -- what
  LibreOffice's own VBA import writes for a class module -- in place of line 2.
* Conditional compilation (``#Const``, ``#If ... Then``, ``#ElseIf``, ``#Else``,
  ``#End If``): LibreOffice Basic has none. Excel evaluates it before compiling, with the
  constants of the platform it runs on (:data:`PLATFORMS`) and the module's ``#Const``s, and
  compiles only the lines of the branches taken: so does :func:`for_libreoffice`, for one
  platform at a time. The directive lines and the lines of branches not taken become blank.
* VBA's own enumeration constants where LibreOffice refuses them: LibreOffice accepts only
  literals (and its own constants) as the value of an ``Enum`` member or a ``Const``, so the
  Dictionary module's ``BinaryCompare = VBA.vbBinaryCompare`` is a "Syntax error." to it,
  while Excel takes any constant expression there. :data:`OFFICE_CONSTANTS` lists the names
  replaced by their values (the ``VbCompareMethod`` values VBA defines: Excel sees the same
  number) -- in code only, never in strings or comments.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = [
    "OFFICE_CONSTANTS",
    "PLATFORMS",
    "Platform",
    "Prepared",
    "evaluate",
    "for_libreoffice",
]

VBA_SUPPORT = "Option VBASupport 1"
CLASS_MODULE = "Option ClassModule"

# Name -> the value Excel gives it, for names LibreOffice's compiler refuses where Excel takes
# them; see the module docstring. Every entry says which module needs it and why.
OFFICE_CONSTANTS: dict[str, int] = {
    # Dictionary (VBA-tools' Dictionary, bundled with xlwings): Public Enum CompareMethod's
    # members are VBA.VbCompareMethod values, which LibreOffice does not take in an Enum.
    "VBA.vbBinaryCompare": 0,
    "VBA.vbTextCompare": 1,
    "VBA.vbDatabaseCompare": 2,
}


_TRUE, _FALSE = -1, 0  # VBA's True and False
Value = int | float | str | None  # None is VBA's Empty: an undefined constant


@dataclass(frozen=True)
class Platform:
    """An Office VBA host, by the conditional compilation constants VBA defines on it."""

    name: str
    description: str
    constants: dict[str, Value]


def _constants(*, vba7: bool, win32: bool, win64: bool, mac: bool, **more: int) -> dict[str, Value]:
    """The predefined constants (VBA6 is True from Office 2000 on), and ``more``."""
    flags = {"VBA6": True, "VBA7": vba7, "Win16": False, "Win32": win32, "Win64": win64, "Mac": mac}
    return {name: _TRUE if on else _FALSE for name, on in flags.items()} | more


# Every branch of the add-in's #If VBA7 / Win64 / Mac / MAC_OFFICE_VERSION blocks is taken by
# one of these. MAC_OFFICE_VERSION exists from Office 2016 for Mac on (15; 16 from 2019 on).
PLATFORMS: tuple[Platform, ...] = (
    Platform(
        "win64",
        "Excel 2010 or later, 64-bit, on Windows",
        _constants(vba7=True, win32=True, win64=True, mac=False),
    ),
    Platform(
        "win32",
        "Excel 2010 or later, 32-bit, on Windows",
        _constants(vba7=True, win32=True, win64=False, mac=False),
    ),
    Platform(
        "mac",
        "Excel 2019 or later (Microsoft 365) on macOS",
        _constants(vba7=True, win32=False, win64=False, mac=True, MAC_OFFICE_VERSION=16),
    ),
    Platform(
        "win32-vba6",
        "Excel 2007 on Windows (VBA 6: the #Else of #If VBA7)",
        _constants(vba7=False, win32=True, win64=False, mac=False),
    ),
    Platform(
        "mac-vba6",
        "Excel 2011 for Mac (VBA 6, no MAC_OFFICE_VERSION)",
        _constants(vba7=False, win32=False, win64=False, mac=True),
    ),
)


@dataclass(frozen=True)
class Prepared:
    """A module's source for LibreOffice: ``text``, and ``offset`` lines added before line 1
    (0 or 1), so that LibreOffice's line ``n`` is line ``n - offset`` of the module."""

    text: str
    offset: int


_VB_BASE = re.compile(r"\s*Attribute\s+VB_Base\s*=", re.IGNORECASE)
_ATTRIBUTE = re.compile(r"\s*Attribute\s+[A-Za-z_][\w.]*\s*=", re.IGNORECASE)
_DIRECTIVE = re.compile(r"\s*#\s*(Const|If|ElseIf|Else|End\s*If)\b(.*)$", re.IGNORECASE)
_THEN = re.compile(r"^(.*)\bThen\s*$", re.IGNORECASE)
_CONST = re.compile(r"^\s*([A-Za-z][\w]*)\s*=(.*)$")


def _replace_constants(line: str) -> str:
    """``line`` with every :data:`OFFICE_CONSTANTS` name in its code (not in a string literal,
    not in the ``'`` comment) replaced by its value."""
    if not OFFICE_CONSTANTS:
        return line
    pattern = re.compile(
        r"(?<![\w.])(" + "|".join(re.escape(n) for n in OFFICE_CONSTANTS) + r")(?![\w.])",
        re.IGNORECASE,
    )
    values = {name.lower(): str(value) for name, value in OFFICE_CONSTANTS.items()}
    code = _strip_comment(line)
    parts = re.split(r'("(?:[^"]|"")*")', code)  # odd indices: string literals
    for i in range(0, len(parts), 2):
        parts[i] = pattern.sub(lambda m: values[m.group(1).lower()], parts[i])
    return "".join(parts) + line[len(code) :]


def _strip_comment(text: str) -> str:
    """``text`` up to a ``'`` comment that is not inside a string literal."""
    quoted = False
    for i, char in enumerate(text):
        if char == '"':
            quoted = not quoted
        elif char == "'" and not quoted:
            return text[:i]
    return text


# --- conditional compilation expressions ------------------------------------------------------

_TOKEN = re.compile(
    r'\s*(?:(?P<number>\d+(?:\.\d+)?)|(?P<string>"(?:[^"]|"")*")|(?P<name>[A-Za-z_]\w*)'
    r"|(?P<op><>|<=|>=|[-+*/&=<>()\\^]))"
)
_WORD_OPERATORS = {"and", "or", "not", "xor", "eqv", "imp", "mod"}


def _tokens(expression: str) -> list[tuple[str, str]]:
    tokens = []
    pos = 0
    text = expression.rstrip()
    while pos < len(text):
        match = _TOKEN.match(text, pos)
        if match is None or match.end() == pos:
            raise ValueError(f"cannot read conditional compilation expression {expression!r}")
        kind = match.lastgroup
        value = match.group(kind)
        if kind == "name" and value.lower() in _WORD_OPERATORS:
            kind, value = "op", value.lower()
        tokens.append((kind, value))
        pos = match.end()
    return tokens


def _number(value: Value) -> int | float:
    if value is None:
        return 0
    if isinstance(value, str):
        raise ValueError(f"a string ({value!r}) where conditional compilation needs a number")
    return value


def _compare(op: str, left: Value, right: Value) -> int:
    if isinstance(left, str) or isinstance(right, str):
        a = "" if left is None else left
        b = "" if right is None else right
        if not (isinstance(a, str) and isinstance(b, str)):
            raise ValueError("conditional compilation compares a string with a number")
    else:
        a, b = _number(left), _number(right)
    result = {
        "=": a == b,
        "<>": a != b,
        "<": a < b,
        ">": a > b,
        "<=": a <= b,
        ">=": a >= b,
    }[op]
    return _TRUE if result else _FALSE


class _Parser:
    """Recursive descent over VBA's operator precedence (arithmetic, ``&``, comparison,
    ``Not``, ``And``, ``Or``/``Xor``, ``Eqv``, ``Imp``), the logical operators bitwise on
    integers as in VBA (``True`` is -1)."""

    def __init__(self, tokens: list[tuple[str, str]], constants: dict[str, Value]) -> None:
        self.tokens = tokens
        self.pos = 0
        self.constants = {name.lower(): value for name, value in constants.items()}

    def peek(self) -> tuple[str, str] | None:
        return self.tokens[self.pos] if self.pos < len(self.tokens) else None

    def take(self, *ops: str) -> str | None:
        token = self.peek()
        if token is not None and token[0] == "op" and token[1] in ops:
            self.pos += 1
            return token[1]
        return None

    def parse(self) -> Value:
        value = self.imp()
        if self.peek() is not None:
            raise ValueError(f"unexpected {self.peek()[1]!r} in a conditional compilation line")
        return value

    def imp(self) -> Value:
        left = self.eqv()
        while self.take("imp"):
            left = ~int(_number(left)) | int(_number(self.eqv()))
        return left

    def eqv(self) -> Value:
        left = self.or_()
        while self.take("eqv"):
            left = ~(int(_number(left)) ^ int(_number(self.or_())))
        return left

    def or_(self) -> Value:
        left = self.and_()
        while op := self.take("or", "xor"):
            right = int(_number(self.and_()))
            left = int(_number(left)) | right if op == "or" else int(_number(left)) ^ right
        return left

    def and_(self) -> Value:
        left = self.not_()
        while self.take("and"):
            left = int(_number(left)) & int(_number(self.not_()))
        return left

    def not_(self) -> Value:
        if self.take("not"):
            return ~int(_number(self.not_()))
        return self.comparison()

    def comparison(self) -> Value:
        left = self.concatenation()
        while op := self.take("=", "<>", "<", ">", "<=", ">="):
            left = _compare(op, left, self.concatenation())
        return left

    def concatenation(self) -> Value:
        left = self.additive()
        while self.take("&"):
            right = self.additive()
            left = f"{'' if left is None else left}{'' if right is None else right}"
        return left

    def additive(self) -> Value:
        left = self.multiplicative()
        while op := self.take("+", "-"):
            right = self.multiplicative()
            if op == "+" and isinstance(left, str) and isinstance(right, str):
                left = left + right
            else:
                a, b = _number(left), _number(right)
                left = a + b if op == "+" else a - b
        return left

    def multiplicative(self) -> Value:
        left = self.unary()
        while op := self.take("*", "/", "\\", "mod"):
            a, b = _number(left), _number(self.unary())
            if op == "*":
                left = a * b
            elif op == "/":
                left = a / b
            elif op == "\\":
                left = int(a) // int(b)
            else:
                left = int(a) % int(b)
        return left

    def unary(self) -> Value:
        if self.take("-"):
            return -_number(self.unary())
        if self.take("+"):
            return _number(self.unary())
        return self.primary()

    def primary(self) -> Value:
        token = self.peek()
        if token is None:
            raise ValueError("a conditional compilation expression ends too early")
        kind, text = token
        self.pos += 1
        if kind == "number":
            return float(text) if "." in text else int(text)
        if kind == "string":
            return text[1:-1].replace('""', '"')
        if kind == "name":
            lowered = text.lower()
            if lowered == "true":
                return _TRUE
            if lowered == "false":
                return _FALSE
            if lowered == "empty":
                return None
            return self.constants.get(lowered)  # an undefined constant is Empty
        if text == "(":
            value = self.imp()
            if not self.take(")"):
                raise ValueError("a ( without its ) in a conditional compilation expression")
            return value
        raise ValueError(f"unexpected {text!r} in a conditional compilation expression")


def evaluate(expression: str, constants: dict[str, Value]) -> Value:
    """The value of a conditional compilation expression (``Mac Or Not X``, ``App = "x"``,
    ``MAC_OFFICE_VERSION >= 15``) given the constants defined; an undefined one is Empty
    (``None``), as in VBA. Raises :class:`ValueError` for what it cannot read."""
    return _Parser(_tokens(expression), constants).parse()


def _truth(value: Value) -> bool:
    if isinstance(value, str):
        raise ValueError(f"a string ({value!r}) as the condition of #If")
    return _number(value) != 0


# --- the module -------------------------------------------------------------------------------


@dataclass
class _Branch:
    """An open ``#If`` block: is its enclosing code active, has a branch been taken, and is
    the current branch active."""

    outer_active: bool
    taken: bool
    active: bool


def for_libreoffice(source: str, platform: Platform) -> Prepared:
    """``source`` (a VBA module as Excel stores it) as LibreOffice Basic must see it to compile
    what Excel compiles on ``platform``: see the module docstring. Line ``n`` of the result is
    line ``n - offset`` of ``source``.

    Raises :class:`ValueError` for a conditional compilation block that is not closed, a
    ``#Else``/``#End If`` without ``#If``, or an expression it cannot read.
    """
    lines = source.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    constants: dict[str, Value] = dict(platform.constants)
    stack: list[_Branch] = []
    out: list[str] = []
    attributes: set[int] = set()  # indices of the Attribute lines blanked
    is_class = False
    for number, line in enumerate(lines, start=1):
        active = not stack or stack[-1].active
        directive = _DIRECTIVE.match(line)
        if directive is not None:
            keyword = re.sub(r"\s+", " ", directive.group(1).lower())
            rest = _strip_comment(directive.group(2))
            where = f"line {number}"
            if keyword == "const":
                if active:
                    match = _CONST.match(rest)
                    if match is None:
                        raise ValueError(f"{where}: #Const needs a name = value")
                    constants[match.group(1)] = evaluate(match.group(2), constants)
            elif keyword in ("if", "elseif"):
                then = _THEN.match(rest)
                if then is None:
                    raise ValueError(f"{where}: #{directive.group(1)} without Then")
                if keyword == "if":
                    condition = active and _truth(evaluate(then.group(1), constants))
                    stack.append(_Branch(active, condition, condition))
                else:
                    if not stack:
                        raise ValueError(f"{where}: #ElseIf without #If")
                    branch = stack[-1]
                    take = (
                        branch.outer_active
                        and not branch.taken
                        and _truth(evaluate(then.group(1), constants))
                    )
                    branch.active = take
                    branch.taken = branch.taken or take
            elif keyword == "else":
                if not stack:
                    raise ValueError(f"{where}: #Else without #If")
                branch = stack[-1]
                branch.active = branch.outer_active and not branch.taken
                branch.taken = True
            else:  # end if
                if not stack:
                    raise ValueError(f"{where}: #End If without #If")
                stack.pop()
            out.append("")
            continue
        if not active:
            out.append("")
        elif _ATTRIBUTE.match(line):
            attributes.add(len(out))
            is_class = is_class or _VB_BASE.match(line) is not None
            out.append("")
        else:
            out.append(_replace_constants(line))
    if stack:
        raise ValueError(f"{len(stack)} #If block(s) not closed by #End If")
    offset = 0
    for index, option in enumerate([VBA_SUPPORT, *([CLASS_MODULE] if is_class else [])]):
        if index in attributes and all(i in attributes for i in range(index)):
            out[index] = option  # the module's header: Attribute lines, now blank
        else:
            out.insert(index, option)
            offset += 1
    return Prepared("\n".join(out), offset)

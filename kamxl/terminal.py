"""Text that kamxl did not write, made safe to print on a terminal.

A cell, a sheet name or a file name can hold terminal escape sequences (``"\\x1b[2J"``
clears the screen, ``"\\x1b]0;...\\x07"`` retitles the window, some terminals run more), a
carriage return that overwrites what was printed before it, or a right-to-left override
that reverses a figure. And rich, which prints the summary and the batch progress, reads
``[...]`` as markup: a name like ``[/bold]`` would even stop it with an error.

:func:`printable` is the one way kamxl prints such text: every control character and every
character of :mod:`kamxl.characters` is shown as a Python-style escape, visible and
unambiguous (``"\\x1b"``, ``"\\r"``, ``"\\u202e"``), and, for rich, markup is escaped.
"""

from __future__ import annotations

import re
from typing import Final

from kamxl.characters import BIDI_MARKS, BIDI_OVERRIDES, INVISIBLE, NONCHARACTERS, SURROGATES

__all__ = ["printable"]

_HIDDEN: Final = f"\x7f-\x9f\u2028\u2029{BIDI_MARKS}{BIDI_OVERRIDES}{INVISIBLE}{SURROGATES}"
_ESCAPED: Final = re.compile(f"[\x00-\x1f{_HIDDEN}{NONCHARACTERS}]")
_ESCAPED_BUT_NEWLINES: Final = re.compile(f"[\x00-\x09\x0b-\x1f{_HIDDEN}{NONCHARACTERS}]")
_SHORT: Final = {"\t": "\\t", "\n": "\\n", "\r": "\\r"}


def _escape(match: re.Match[str]) -> str:
    char = match.group()
    code = ord(char)
    if char in _SHORT:
        return _SHORT[char]
    if code < 0x100:
        return f"\\x{code:02x}"
    return f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}"


#: A backslash before a "[" that opens no rich tag (rich.markup.escape leaves those).
_BACKSLASH_BRACKET = re.compile(r"\\\[(?![a-z#/@][^[]*?\])")


def printable(text: object, *, keep_newlines: bool = False, markup: bool = False) -> str:
    """``text`` (made a string) safe to print: C0 and C1 controls, DEL, bidirectional
    controls and marks, line and paragraph separators, invisible characters, noncharacters
    and lone surrogates shown as escapes (``\\x1b``, ``\\r``, ``\\u202e``), the way Python's
    ``repr`` shows them; everything else, accents and emoji included, as it is.

    ``keep_newlines`` keeps line feeds, for a message of several lines (kamxl's own error
    messages); a carriage return is always escaped. ``markup`` also escapes rich markup
    (``[bold]`` shows as ``[bold]``), for text printed inside rich markup: a table cell, a
    progress description (as rich's own ``escape`` does, a trailing backslash is doubled,
    since a tag may follow).
    """
    pattern = _ESCAPED_BUT_NEWLINES if keep_newlines else _ESCAPED
    shown = pattern.sub(_escape, str(text))
    if markup:
        from rich.markup import escape

        shown = escape(shown)
        # rich's renderer also reads a backslash before a "[" that opens no tag as an
        # escape, and drops it: one more keeps it ("C:\[x" prints as it is)
        shown = _BACKSLASH_BRACKET.sub(r"\\\\[", shown)
    return shown

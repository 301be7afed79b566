"""The characters of workbook text that must not reach a reader as they are.

A cell can hold any character: Excel stores the ones XML cannot hold as ``_x0007_`` and the
reader gives them back (``"\\x07"``), and a paste from a web page, a PDF or a CRM brings
invisible ones. Some of them break a file (lxml refuses a control character in a deck's
XML), others mislead a reader: a right-to-left override turns ``105 %`` into ``% 501`` after
it, a zero-width space makes two equal-looking names differ, a line break splits a one-line
title.

This module names those characters once, for every output:

- :func:`clean_text` gives the text a document may hold -- slides, tables, speaker notes,
  charts and their embedded workbooks, file names: the characters are **dropped**, line
  breaks of every kind become ``"\\n"`` (or a space in a one-line field);
- :func:`kamxl.terminal.printable` gives the text a terminal may print: the same characters,
  and every other control, are **shown** as escapes (``\\x1b``, ``\\u202e``).

What is dropped from a document (docs/security.md, "Any text in any cell"):

- control characters C0 (but tab and line feed), DEL and C1, which XML 1.0 cannot hold or
  which nothing displays;
- bidirectional embeddings, overrides and isolates (U+202A-U+202E, U+2066-U+2069), which
  reorder the text after them -- figures included; the marks LRM, RLM and ALM are kept:
  they only place neutral characters in right-to-left text and cannot reverse anything;
- invisible characters with no use in a name or a sentence: zero-width space (U+200B),
  word joiner and invisible operators (U+2060-U+2064), byte order mark (U+FEFF), Mongolian
  vowel separator (U+180E) and interlinear annotation marks (U+FFF9-U+FFFB); the zero-width
  joiner and non-joiner are kept (emoji sequences, Persian and Indic scripts need them);
- Unicode noncharacters (U+FDD0-U+FDEF and the last two code points of every plane) and
  lone surrogates, which no font shows and UTF-8 cannot encode.
"""

from __future__ import annotations

import re
from typing import Final

__all__ = [
    "BIDI_MARKS",
    "BIDI_OVERRIDES",
    "INVISIBLE",
    "LINE_BREAKS",
    "NONCHARACTERS",
    "SURROGATES",
    "clean_text",
]

#: Bidirectional embeddings, overrides (U+202A-U+202E) and isolates (U+2066-U+2069), as
#: regular-expression ranges.
BIDI_OVERRIDES: Final = "\u202a-\u202e\u2066-\u2069"
#: The bidirectional marks ALM, LRM and RLM.
BIDI_MARKS: Final = "\u061c\u200e\u200f"
#: Invisible format characters that no name or sentence needs.
INVISIBLE: Final = "\u180e\u200b\u2060-\u2064\ufeff\ufff9-\ufffb"
#: Lone surrogates (a Python string may hold them; UTF-8 cannot).
SURROGATES: Final = "\ud800-\udfff"
#: The 66 Unicode noncharacters: U+FDD0-U+FDEF and U+nFFFE, U+nFFFF on all 17 planes.
NONCHARACTERS: Final = "\ufdd0-\ufdef" + "".join(
    f"{chr(plane << 16 | 0xFFFE)}{chr(plane << 16 | 0xFFFF)}" for plane in range(17)
)
#: Line breaks as :meth:`str.splitlines` knows them (CR LF first: one break, not two).
LINE_BREAKS: Final = re.compile("\r\n|[\n\r\v\f\x1c\x1d\x1e\x85\u2028\u2029]")

_DROPPED: Final = re.compile(
    f"[\x00-\x08\x0b-\x1f\x7f-\x9f{BIDI_OVERRIDES}{INVISIBLE}{SURROGATES}{NONCHARACTERS}]+"
)
_ONE_LINE_SPACES: Final = re.compile("[\t\n]")


def clean_text(text: str, *, one_line: bool = False) -> str:
    """``text`` as a deck or a file name may hold it: the characters listed in the module
    docstring dropped, every line break (CR LF, CR, VT, FF, NEL, U+2028...) a ``"\\n"``.

    ``one_line`` is for fields shown on one line (a title, a chart category, a file name):
    line breaks and tabs become spaces there. The result of a result is itself; a text
    with nothing to clean is returned as it is, at the cost of one scan.
    """
    if text.isprintable():  # no control, format, separator or unassigned character: fast
        return text
    text = _DROPPED.sub("", LINE_BREAKS.sub("\n", text))
    return _ONE_LINE_SPACES.sub(" ", text) if one_line else text

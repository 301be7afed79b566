"""Bindings: what each number, table, chart and computed title of a deck shows.

Every shape kamxl writes with content computed from the workbook carries its binding in its
shape name (``p:cNvPr/@name``), which PowerPoint keeps through editing, copy and save and
LibreOffice keeps through a re-save for text boxes, tables and charts::

    kamxl|qbr|ACC-004|internal|en|scorecard.tile.nrr.value|3f2a9c01d4

that is: the deck kind, the account (``*`` for the portfolio review), the audience, the
language, the element's key and a fingerprint of what kamxl wrote there. Fields are
percent-escaped, so an account id holding ``|`` cannot shift the others.

Keys are semantic: ``<section>[.p<page>].<element>`` where the section is the slide's part of
the deck (``scorecard``, ``pipeline``, ``matrix``...), the page counts the slides of a
section that continues (``actions.p2.table``), and the element says what it shows (a tile
by its label: ``scorecard.tile.nps.value``; ``title``, ``kicker``, ``footer``, ``table``,
``chart1``). A tile left out or added never changes another's key.

LibreOffice drops the names of placeholders (the slide titles), so the binding of a slide's
title and subtitle placeholders is also written into a carrier shape of the same slide
(its kicker, or the cover's lines) as extra fields ``title=<key>:<fingerprint>``.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Final
from urllib.parse import quote, unquote

from pptx.oxml.ns import qn

__all__ = [
    "PREFIX",
    "Binding",
    "DeckId",
    "binding_name",
    "chart_text",
    "fingerprint",
    "paragraph_lines",
    "parse_name",
    "placeholder_type",
    "shape_content",
    "slug",
    "text_of",
]

#: The first field of every kamxl binding.
PREFIX: Final = "kamxl"
#: The account field of a deck about the whole portfolio.
ALL_ACCOUNTS: Final = "*"
#: Placeholder types whose binding a carrier repeats (LibreOffice drops placeholder names).
CARRIED: Final = ("title", "subTitle")

_A_T = qn("a:t")
_A_P = qn("a:p")
_A_BR = qn("a:br")
_A_TBL = qn("a:tbl")
_A_TR = qn("a:tr")
_A_TC = qn("a:tc")
_C_V = qn("c:v")
_C_SER = qn("c:ser")
_P_PH = qn("p:ph")


@dataclass(frozen=True, slots=True)
class DeckId:
    """Which deck a binding belongs to: what a fresh build of it needs."""

    kind: str
    account: str | None
    audience: str
    language: str

    def fields(self) -> list[str]:
        account = ALL_ACCOUNTS if self.account is None else self.account
        return [self.kind, account, self.audience, self.language]

    def describe(self) -> str:
        """The deck in words, for the refresh report ("qbr ACC-004 (client, en)", "portfolio
        (internal, fr)")."""
        who = "" if self.account is None else f" {self.account}"  # the portfolio: all
        return f"{self.kind}{who} ({self.audience}, {self.language})"


@dataclass(frozen=True, slots=True)
class Binding:
    """One bound shape: its deck, key, fingerprint, and the placeholders it carries
    (``placeholder type -> (key, fingerprint)``)."""

    deck: DeckId
    key: str
    fingerprint: str
    carried: tuple[tuple[str, str, str], ...] = ()


def _escape(field: str) -> str:
    return quote(field, safe="-._~*")


def binding_name(binding: Binding) -> str:
    """The shape name that carries ``binding``."""
    fields = [PREFIX, *binding.deck.fields(), binding.key, binding.fingerprint]
    text = "|".join(_escape(f) for f in fields)
    for kind, key, print_ in binding.carried:
        text += f"|{_escape(kind)}={_escape(key)}:{_escape(print_)}"
    return text


def parse_name(name: str | None) -> Binding | None:
    """The binding a shape name carries, None for any other name (a user's shape, a shape
    of another tool, a binding mangled beyond reading)."""
    if not name or not name.startswith(PREFIX + "|"):
        return None
    fields = name.split("|")
    if len(fields) < 7:
        return None
    kind, account, audience, language, key, print_ = (unquote(f) for f in fields[1:7])
    carried = []
    for extra in fields[7:]:
        kind_field, _, rest = extra.partition("=")
        key_field, _, print_field = rest.partition(":")
        if kind_field and key_field:
            carried.append((unquote(kind_field), unquote(key_field), unquote(print_field)))
    deck = DeckId(kind, None if account == ALL_ACCOUNTS else account, audience, language)
    return Binding(deck, key, print_, tuple(carried))


def slug(text: str) -> str:
    """A key part from a label: its words in lower case joined by ``_``, without digits
    ("Share of wallet" -> ``share_of_wallet``, "Role coverage 80%" -> ``role_coverage``): a
    label holding a figure keeps its key when the figure changes."""
    words, word = [], []
    for char in text.casefold():
        if char.isalpha():
            word.append(char)
        elif word:
            words.append("".join(word))
            word = []
    if word:
        words.append("".join(word))
    return "_".join(words) or "x"


def placeholder_type(element: Any) -> str | None:
    """The placeholder type of a shape element (``title``, ``subTitle``, ``body``...), None
    for a shape that is no placeholder. A title placeholder of a title slide
    (``ctrTitle``) counts as ``title``."""
    for ph in element.iter(_P_PH):
        kind = ph.get("type", "body")
        return "title" if kind == "ctrTitle" else kind
    return None


def paragraph_lines(paragraph: Any) -> Iterator[str]:
    """The lines of a paragraph (``a:p``), split at its line breaks."""
    line: list[str] = []
    for child in paragraph:
        if child.tag == _A_BR:
            yield "".join(line)
            line = []
        else:
            line.extend(t.text or "" for t in child.iter(_A_T))
    yield "".join(line)


def text_of(body: Any) -> str:
    """The text of a text body (``p:txBody``/``a:txBody``), lines joined by line feeds,
    whatever the breaks (paragraphs or line breaks), its spaces at line ends ignored: what
    a person sees, not how it is split."""
    lines = [line.strip() for p in body.iter(_A_P) for line in paragraph_lines(p)]
    return "\n".join(lines).strip()


def _number(text: str | None) -> str:
    """A chart value as text, the same however a program wrote it (``1200``, ``1200.0``)."""
    try:
        value = float(text or "")
    except ValueError:
        return text or ""
    return repr(value) if math.isfinite(value) else text or ""


def chart_text(chart_space: Any) -> str:
    """What a chart shows: per series its name, categories and values, as text."""
    parts = []
    for series in chart_space.iter(_C_SER):
        parts.append("|".join(_number(v.text) for v in series.iter(_C_V)))
    return "\n".join(parts)


def shape_content(element: Any, chart_space: Any = None) -> str:
    """What a bound shape shows, as text: its text, its table's cells (a tab between cells,
    a line feed between rows), (given its chart part's XML) its chart's data, or for a shape
    without text (a tile's status bar) its fill colour, ``fill:C0392B``."""
    if chart_space is not None:
        return chart_text(chart_space)
    table = next(element.iter(_A_TBL), None)
    if table is not None:
        rows = []
        for row in table.iter(_A_TR):
            rows.append("\t".join(text_of(cell) for cell in row.iter(_A_TC)))
        return "\n".join(rows)
    body = element.find(qn("p:txBody"))
    text = "" if body is None else text_of(body)
    if text:
        return text
    colour = element.find(f"{qn('p:spPr')}/{qn('a:solidFill')}/{qn('a:srgbClr')}")
    return "" if colour is None else f"fill:{colour.get('val', '').upper()}"


def fingerprint(content: str) -> str:
    """The fingerprint of a shape's content: 10 hex digits of its SHA-256."""
    return hashlib.sha256(content.encode("utf-8")).hexdigest()[:10]

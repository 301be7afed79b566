"""The words of the decks: kamxl's own Jinja2 templates, rendered in a sandbox.

Each language has one template file (``kamxl/deck/text/en.j2``, ``fr.j2``) holding macros --
one per slide title, label, summary item and talk track -- and a ``LABELS`` table. The
builder calls a macro with data (numbers, dates, the workbook's texts) and gets text back.

Two rules keep workbook content inert:

- only kamxl's template files are ever compiled; workbook text reaches Jinja2 as macro
  arguments -- data -- and is output as it is (a cell holding ``{{ 7*7 }}`` shows
  ``{{ 7*7 }}``);
- the environment is a :class:`~jinja2.sandbox.SandboxedEnvironment` with
  :class:`~jinja2.StrictUndefined`: a template can call no unsafe attribute, and a missing
  value is an error, never an empty string on a slide.

Numbers, currency, percentages, dates and periods are formatted for the language with Babel.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from datetime import date, datetime
from functools import cache, lru_cache
from typing import Any

from babel.dates import format_date
from babel.numbers import (
    format_compact_currency,
    format_decimal,
    format_percent,
    get_currency_symbol,
)
from jinja2 import PackageLoader, StrictUndefined
from jinja2.sandbox import SandboxedEnvironment

from kamxl.core.periods import parse_period
from kamxl.core.rounding import excel_round

__all__ = ["DASH", "LANGUAGES", "DeckText", "Formats", "money_unit"]

LANGUAGES = ("en", "fr")
_LAYOUT_SPACE = re.compile(r"[ \t\r\n]+")
#: What a missing figure shows as (with a note in the speaker notes).
DASH = "—"


def _missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


class Formats:
    """Number, currency, percent, date and period formats of one language."""

    def __init__(self, language: str, currency: str) -> None:
        self.language = language
        self.currency = currency or "EUR"

    def money(self, value: Any, unit: float | None = None) -> str:
        """Compact currency: €1.2M, 1,2 M €; €850K, 850 k € (a decimal for millions only).

        ``unit`` (1e6, 1e3 or 1) forces the unit, so that a table column shows one unit
        (:func:`money_unit`): €1.0M beside €2.4M, not €994K."""
        if _missing(value):
            return DASH
        value = float(value)
        if value == 0:  # zero in any unit: "€0", not "€0.0M"
            return format_compact_currency(0, self.currency, locale=self.language)
        if unit is None:  # the amount's own unit; Babel may move it up after rounding
            unit = money_unit((value,))
            digits = 1 if unit == 1e6 else 0
            shown = excel_round(value / unit, digits) * unit  # Excel's rounding, not Babel's
            return format_compact_currency(
                shown, self.currency, locale=self.language, fraction_digits=digits
            )
        digits = 1 if unit == 1e6 else 0
        # Babel's own writing of a whole number of that unit, e.g. "€7M", "7 k €"
        shape = format_compact_currency(
            7 * unit, self.currency, locale=self.language, fraction_digits=0
        )
        shown = excel_round(value / unit, digits)
        pattern = "#,##0" if digits == 0 else "#,##0." + "0" * digits
        if shown == 0 and value != 0:  # €20K in a millions column: "<€0.1M", not "€0.0M"
            step = format_decimal(10.0**-digits, pattern, locale=self.language)
            return ("-" if value < 0 else "") + "<" + shape.replace("7", step, 1)
        number = format_decimal(abs(shown), pattern, locale=self.language)
        return ("-" if shown < 0 else "") + shape.replace("7", number, 1)

    def effective(self, value: Any) -> str:
        """An effective number of accounts (1 / HHI): whole from 10 up ("373"), one decimal
        below ("1.5", fr "1,5"), where the decimal still tells two portfolios apart."""
        if _missing(value):
            return DASH
        return self.num(value, 0 if abs(float(value)) >= 10 else 1)

    def days(self, value: Any) -> str:
        """A number of days with the language's short unit: en "120 d", fr "120 j" (the
        number and unit tied by a no-break space)."""
        if _missing(value):
            return DASH
        return f"{self.num(value)}\u202f{'j' if self.language == 'fr' else 'd'}"

    @property
    def symbol(self) -> str:
        """The currency symbol (€, $, CHF)."""
        return get_currency_symbol(self.currency, locale=self.language)

    def pct(self, value: Any, digits: int = 0) -> str:
        if _missing(value):
            return DASH
        pattern = "#,##0%" if digits == 0 else "#,##0." + "0" * digits + "%"
        shown = excel_round(float(value) * 100, digits) / 100  # Excel's rounding, not Babel's
        text = format_percent(shown, pattern, locale=self.language)
        return text.replace("%", "\u202f%") if self.language == "fr" else text

    def signed_pct(self, value: Any, digits: int = 0) -> str:
        if _missing(value):
            return DASH
        shown = excel_round(float(value) * 100, digits)
        sign = "+" if shown > 0 else "−" if shown < 0 else "±"
        return sign + self.pct(abs(float(value)), digits)

    def num(self, value: Any, digits: int = 0) -> str:
        if _missing(value):
            return DASH
        pattern = "#,##0" if digits == 0 else "#,##0." + "0" * digits
        shown = excel_round(float(value), digits)  # Excel's rounding, not Babel's
        return format_decimal(shown, pattern, locale=self.language)

    def day(self, value: Any) -> str:
        if _missing(value):
            return DASH
        if isinstance(value, datetime):
            value = value.date()
        return format_date(value, "d MMM yyyy", locale=self.language)

    def period(self, value: Any) -> str:
        """2026-Q3 as Q3 2026 (T3 2026 in French); 2026-07 as Jul 2026."""
        parsed = parse_period(value) if isinstance(value, str) else None
        if parsed is None:
            return DASH if _missing(value) else str(value)
        if parsed.is_month:
            return format_date(
                date(parsed.year, parsed.number, 1), "MMM yyyy", locale=self.language
            )
        quarter = "T" if self.language == "fr" else "Q"
        return f"{quarter}{parsed.number} {parsed.year}"

    def filters(self) -> dict[str, Callable[..., str]]:
        return {
            "money": self.money,
            "pct": self.pct,
            "signed_pct": self.signed_pct,
            "num": self.num,
            "effective": self.effective,
            "days": self.days,
            "day": self.day,
            "period": self.period,
        }


def money_unit(values: Any) -> float:
    """The one unit a table column shows its amounts in: the unit of its largest amount
    (millions from a million, thousands from a thousand, else units)."""
    largest = max((abs(float(v)) for v in values if not _missing(v)), default=0.0)
    return 1e6 if largest >= 1e6 else 1e3 if largest >= 1e3 else 1.0


@cache
def _environment() -> SandboxedEnvironment:
    return SandboxedEnvironment(
        loader=PackageLoader("kamxl.deck", "text"),
        undefined=StrictUndefined,
        autoescape=False,
        trim_blocks=True,
        lstrip_blocks=True,
    )


@lru_cache(maxsize=32)
def _compiled(language: str, currency: str) -> tuple[Formats, Any]:
    """The formats and the macros of a language and currency, compiled once per process
    (compiling the templates costs far more than building a deck's text)."""
    formats = Formats(language, currency)
    environment = _environment().overlay()
    environment.filters.update(formats.filters())
    return formats, environment.get_template(f"{language}.j2").make_module()


class DeckText:
    """The macros of one language, ready to be called with data."""

    def __init__(self, language: str, currency: str) -> None:
        if language not in LANGUAGES:
            raise ValueError(f"language must be one of {', '.join(LANGUAGES)}, not {language!r}")
        self.formats, self._module = _compiled(language, currency)
        self.labels: dict[str, str] = self._module.LABELS

    def __call__(self, macro: str, **values: Any) -> str:
        """Render ``macro`` with ``values``; runs of ordinary whitespace (the template's own
        layout) become one space, no-break spaces (French typography) are kept."""
        function = getattr(self._module, macro, None)
        if function is None:
            raise KeyError(f"no text template {macro!r}")
        return _LAYOUT_SPACE.sub(" ", str(function(**values))).strip(" ")

    def label(self, key: str) -> str:
        """A fixed label (table header, axis title, status word) in this language."""
        return self.labels[key]

    def status(self, value: str | None) -> str:
        """A list value (RAG, quadrant, plan status, role...) in this language."""
        if value is None:
            return DASH
        return self.labels.get(f"value:{value}", value)

"""Rounding as Excel shows numbers: half away from zero, on the 15 significant digits
Excel keeps.

Python's ``round`` and Babel's formats round half to even on the binary value, so 12.5 %
shows as "12 %" where Excel shows "13 %", and 0.145 (stored as 0.14499999...) shows as
"14 %" where Excel shows "15 %". Every number kamxl displays goes through
:func:`excel_round` first, so a deck, the summary and Excel agree to the last digit.
"""

from __future__ import annotations

import math
from decimal import ROUND_HALF_UP, Context, Decimal

__all__ = ["excel_round"]

#: Enough digits for any float's integer part (up to 1.8e308) and 15 decimals.
_WIDE = Context(prec=340)


def excel_round(value: float, digits: int = 0) -> float:
    """``value`` rounded to ``digits`` decimals (negative: tens, hundreds...) half away from
    zero, as Excel's ROUND and number formats do. NaN and infinities come back unchanged."""
    if not math.isfinite(value) or (abs(value) >= 1e15 and digits >= 0):
        return value  # no decimals left to round in 15 significant digits
    exact = Decimal(f"{value:.15g}")
    step = Decimal(1).scaleb(-digits)
    # + 0.0 turns -0.0 (a small negative rounded away) into 0.0: Excel shows "0 %", not "-0 %"
    return float(exact.quantize(step, rounding=ROUND_HALF_UP, context=_WIDE)) + 0.0

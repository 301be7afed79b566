"""Deck time per kind -- QBR, handshake, portfolio -- against python-pptx's own floor.

The workbook (the bundled sample portfolio; for the big review, bench/workbooks.py's
500 accounts) is read once, as the batch and the ribbon do;
each deck is then built from its context and turned into the bytes of its file (charts,
fitted text, deterministic zip), the median of several accounts. The floor is python-pptx
opening the same template and saving it unchanged: what any deck made with python-pptx
costs before its first shape.

Run: ``python bench/bench_decks.py [--repeat 8]``.
"""

from __future__ import annotations

import argparse
import io
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import Row, print_table, seconds
from pptx import Presentation

import workbooks
from kamxl.deck.build import build_handshake, build_portfolio, build_qbr
from kamxl.deck.context import handshake_context, portfolio_context, qbr_context
from kamxl.deck.template import DEFAULT_TEMPLATE
from kamxl.workbook.reader import read_workbook

SAMPLE = Path(__file__).resolve().parents[1] / "workbooks" / "sample_portfolio.xlsx"


def median_of(build: Callable[[str], bytes], accounts: list[str]) -> float:
    times = []
    for account in accounts:
        start = time.perf_counter()
        build(account)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def floor() -> bytes:
    buffer = io.BytesIO()
    Presentation(str(DEFAULT_TEMPLATE)).save(buffer)
    return buffer.getvalue()


def run(repeat: int = 8) -> dict[str, float]:
    book = read_workbook(SAMPLE)
    keys = book.accounts.loc[book.accounts["status"] == "key", "account_id"].tolist()
    accounts = (keys * repeat)[:repeat]
    build_qbr(qbr_context(book, keys[0])).to_bytes()  # imports, fonts, compiled text: once
    big = read_workbook(workbooks.portfolio(500))  # made once, cached in bench/.cache
    return {
        "qbr": median_of(lambda a: build_qbr(qbr_context(book, a)).to_bytes(), accounts),
        "handshake": median_of(
            lambda a: build_handshake(handshake_context(book, a)).to_bytes(), accounts
        ),
        "portfolio": median_of(
            lambda a: build_portfolio(portfolio_context(book)).to_bytes(), accounts[:4]
        ),
        "floor": median_of(lambda a: floor(), accounts),
        "portfolio_500": median_of(
            lambda a: build_portfolio(portfolio_context(big)).to_bytes(), accounts[:3]
        ),
    }


def rows(r: dict[str, float]) -> list[Row]:
    label = "python-pptx open + save template"
    return [
        Row("QBR deck (12 slides)", seconds(r["qbr"]), label, seconds(r["floor"]),
            r["qbr"] / r["floor"], "< 150 ms", r["qbr"] < 0.150, floor=True),
        Row("handshake slide", seconds(r["handshake"]), label, seconds(r["floor"]),
            r["handshake"] / r["floor"], floor=True),
        Row("portfolio review (30 accounts)", seconds(r["portfolio"]), label,
            seconds(r["floor"]), r["portfolio"] / r["floor"], floor=True),
        Row("portfolio review (500 accounts)", seconds(r["portfolio_500"]), label,
            seconds(r["floor"]), r["portfolio_500"] / r["floor"], "< 2 s",
            r["portfolio_500"] < 2.0, floor=True),
    ]  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=8)
    args = parser.parse_args()
    print_table(rows(run(args.repeat)))


if __name__ == "__main__":
    main()

"""Deck time per kind -- QBR, handshake, portfolio -- against python-pptx's own floor.

The workbook (the bundled sample portfolio; for the big review, bench/workbooks.py's
500 accounts) is read once, as the batch and the ribbon do;
each deck is then built from its context and turned into the bytes of its file (charts,
fitted text, deterministic zip), the median of several accounts. The floor is python-pptx
opening the same template and saving it unchanged: what any deck made with python-pptx
costs before its first shape.

The refresh (``kamxl refresh``) is measured beside the fresh build of the same QBR: a QBR
of the sample, edited as a KAM does (its revenue chart moved and resized, a title
rewritten), refreshed from the sample with every account's current revenue up by a fifth
(so every revenue figure, title and chart changes): the fresh build in memory, the copy
into the edited deck and its bytes; against the fresh build of the same QBR from the
changed workbook, to its file's bytes (what ``kamxl deck`` costs for it).

Run: ``python bench/bench_decks.py [--repeat 8]``.
"""

from __future__ import annotations

import argparse
import io
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import Row, print_table, seconds
from pptx import Presentation
from pptx.util import Inches

import workbooks
from kamxl.deck.build import build_handshake, build_portfolio, build_qbr
from kamxl.deck.context import handshake_context, portfolio_context, qbr_context
from kamxl.deck.refresh import refresh_deck
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


def edited_qbr(book: Any, account: str) -> bytes:
    """The QBR of ``account`` as a KAM leaves it: the revenue chart moved and made
    smaller, the pipeline title rewritten."""
    prs = Presentation(io.BytesIO(build_qbr(qbr_context(book, account)).to_bytes()))
    for slide in prs.slides:
        for shape in slide.shapes:
            if "|trajectory.chart|" in shape.name:
                shape.left, shape.width = shape.left + Inches(1), shape.width - Inches(2)
            if "|pipeline.title|" in shape.name:
                shape.text_frame.text = "Our pipeline, as I tell it"
    out = io.BytesIO()
    prs.save(out)
    return out.getvalue()


def changed_book(folder: Path) -> Any:
    """The sample with every account's current revenue up by a fifth."""
    from kamxl.workbook.sample import sample_portfolio
    from kamxl.workbook.template import build_workbook

    rows = sample_portfolio()
    period = next(r["value"] for r in rows["Settings"] if r["key"] == "period")
    for row in rows["Revenue"]:
        if row["period"] == period and row["revenue"]:
            row["revenue"] = round(row["revenue"] * 1.2)
    for row in rows["Accounts"]:
        row["revenue_curr"] = round(row["revenue_curr"] * 1.2)
    return read_workbook(build_workbook(folder / "changed.xlsx", rows=rows))


def run(repeat: int = 8) -> dict[str, float]:
    book = read_workbook(SAMPLE)
    keys = book.accounts.loc[book.accounts["status"] == "key", "account_id"].tolist()
    accounts = (keys * repeat)[:repeat]
    build_qbr(qbr_context(book, keys[0])).to_bytes()  # imports, fonts, compiled text: once
    big = read_workbook(workbooks.portfolio(500))  # made once, cached in bench/.cache
    with tempfile.TemporaryDirectory() as folder:
        changed = changed_book(Path(folder))
    edited = {a: edited_qbr(book, a) for a in keys}
    refresh_deck(edited[keys[0]], changed)  # warm, as the build above
    return {
        "qbr_changed": median_of(lambda a: build_qbr(qbr_context(changed, a)).to_bytes(), accounts),
        "refresh": median_of(lambda a: refresh_deck(edited[a], changed)[0], accounts),
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
        Row("QBR deck (12-13 slides)", seconds(r["qbr"]), label, seconds(r["floor"]),
            r["qbr"] / r["floor"], "< 150 ms", r["qbr"] < 0.150, floor=True),
        Row("refresh of an edited QBR (12-13 slides)", seconds(r["refresh"]),
            "fresh build of the same QBR", seconds(r["qbr_changed"]),
            r["refresh"] / r["qbr_changed"], "< 200 ms", r["refresh"] < 0.200,
            better="the fresh build"),
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

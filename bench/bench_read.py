"""Reading a 50,000-account workbook: kamxl against openpyxl and python-calamine alone.

Each reader runs in its own process (so that its peak memory is its own) on the same
values-only standard workbook (``bench/workbooks.py``):

- ``kamxl``: ``kamxl.read_workbook`` -- calamine, the error-cell scan, typing and every check
  of the contract, and the computed columns of Accounts;
- ``calamine``: python-calamine reading every sheet to Python lists (the floor);
- ``openpyxl read-only``: its fastest mode, values of every sheet;
- ``openpyxl``: ``load_workbook`` as most scripts call it.

Run: ``python bench/bench_read.py [--accounts 50000]``. Prints seconds, peak memory and ratios.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import Row, print_table, seconds


def read(reader: str, path: str) -> None:
    """Read ``path`` with ``reader`` (imports not timed); print time and peak memory as JSON."""
    if reader == "kamxl":
        from kamxl.workbook.reader import read_workbook

        start = time.perf_counter()
        book = read_workbook(path)
        assert not book.errors, book.errors[:3]
        rows = len(book.accounts)
    elif reader == "calamine":
        import python_calamine

        start = time.perf_counter()
        book = python_calamine.CalamineWorkbook.from_path(path)
        rows = sum(len(book.get_sheet_by_name(n).to_python()) for n in book.sheet_names)
    elif reader == "openpyxl-read-only":
        import openpyxl

        start = time.perf_counter()
        book = openpyxl.load_workbook(path, read_only=True, data_only=True)
        rows = sum(sum(1 for _ in ws.iter_rows(values_only=True)) for ws in book.worksheets)
    else:
        import openpyxl

        start = time.perf_counter()
        book = openpyxl.load_workbook(path)
        rows = sum(ws.max_row for ws in book.worksheets)
    seconds = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"seconds": seconds, "peak_mb": peak, "rows": rows}))


def measure(reader: str, path: Path, repeat: int) -> dict[str, float]:
    runs = []
    for _ in range(repeat):
        out = subprocess.run(
            [sys.executable, __file__, "--reader", reader, "--file", str(path)],
            check=True,
            capture_output=True,
            text=True,
        ).stdout
        runs.append(json.loads(out.strip().splitlines()[-1]))
    best = min(runs, key=lambda r: r["seconds"])
    return best


READERS = ("kamxl", "calamine", "openpyxl-read-only", "openpyxl")


def run(accounts: int = 50_000, repeat: int = 3) -> dict[str, dict[str, float]]:
    """Best time and peak memory of each reader on the same ``accounts``-account workbook."""
    from workbooks import portfolio

    path = portfolio(accounts)
    return {r: measure(r, path, repeat if r != "openpyxl" else 1) for r in READERS}


def rows(results: dict[str, dict[str, float]], accounts: int) -> list[Row]:
    kamxl = results["kamxl"]
    what = f"read {accounts:,} accounts"
    return [
        Row(
            what,
            seconds(kamxl["seconds"]),
            name,
            seconds(results[name]["seconds"]),
            results[name]["seconds"] / kamxl["seconds"],
        )
        for name in ("openpyxl", "openpyxl-read-only")
    ] + [
        Row(
            what,
            seconds(kamxl["seconds"]),
            "python-calamine alone",
            seconds(results["calamine"]["seconds"]),
            kamxl["seconds"] / results["calamine"]["seconds"],
            floor=True,
        ),
        Row(
            f"{what}: peak memory",
            f"{kamxl['peak_mb']:.0f} MB",
            "openpyxl",
            f"{results['openpyxl']['peak_mb']:.0f} MB",
            results["openpyxl"]["peak_mb"] / kamxl["peak_mb"],
            "< 500 MB",
            kamxl["peak_mb"] < 500,
            better="less memory",
        ),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--accounts", type=int, default=50_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--reader")
    parser.add_argument("--file")
    args = parser.parse_args()
    if args.reader:
        read(args.reader, args.file)
        return
    from workbooks import portfolio

    path = portfolio(args.accounts)
    size = path.stat().st_size / 2**20
    print(f"Reading a {args.accounts:,}-account standard workbook ({size:.1f} MB, values only)")
    results = run(args.accounts, args.repeat)
    base = results["kamxl"]["seconds"]
    for reader, r in results.items():
        print(
            f"  {reader:<20} {r['seconds']:8.2f} s  peak {r['peak_mb']:6.0f} MB  "
            f"{r['seconds'] / base:6.2f} x kamxl"
        )
    print_table(rows(results, args.accounts))


if __name__ == "__main__":
    main()

"""Every benchmark of kamxl, one table: each figure against a baseline of the same run.

- ``KAM_SCORES`` on 100k accounts x 10 criteria vs a per-row loop and a bare numpy dot;
- reading a 50,000-account workbook vs openpyxl (both modes) and python-calamine alone;
- ``kamxl recalc`` of 1,000 and 5,000 accounts vs LibreOffice headless recalculating them;
- deck time per kind vs python-pptx opening and saving the template;
- a batch of 200 workbooks with ``--jobs 1`` and ``--jobs 2`` vs only reading them.

Run: ``python bench/run_all.py [--quick] [--markdown]``. ``--quick`` shrinks every size
(a smoke run of a minute); the figures of ``bench/README.md`` are the full run's.
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import bench_batch
import bench_core
import bench_decks
import bench_read
import bench_recalc
from common import Row, print_table


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes: a smoke run")
    parser.add_argument("--markdown", action="store_true", help="print a Markdown table")
    args = parser.parse_args()
    quick = args.quick
    started = time.perf_counter()
    table: list[Row] = []
    steps = [
        ("scores", lambda: bench_core.rows(
            bench_core.measure(10_000 if quick else 100_000, loop_sample=500 if quick else 5_000))),
        ("read", lambda: bench_read.rows(
            bench_read.run(2_000 if quick else 50_000, 1 if quick else 3),
            2_000 if quick else 50_000)),
        ("recalc", lambda: bench_recalc.rows(
            bench_recalc.run((500,) if quick else (1_000, 5_000)))),
        ("decks", lambda: bench_decks.rows(bench_decks.run(2 if quick else 8))),
        ("batch", lambda: bench_batch.rows(bench_batch.run(6 if quick else 200))),
    ]  # fmt: skip
    for name, step in steps:
        print(f"... {name}", file=sys.stderr, flush=True)
        table += step()
    cpu = platform.processor() or platform.machine()
    print(
        f"kamxl benchmarks: {os.cpu_count()} cores ({cpu}), Python {platform.python_version()}, "
        f"{time.perf_counter() - started:.0f} s{' (quick)' if quick else ''}\n"
    )
    print_table(table, markdown=args.markdown)


if __name__ == "__main__":
    main()

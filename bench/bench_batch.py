"""A batch of sample-like workbooks: decks per second with 1 and 2 worker processes.

The workbooks are what a sales-ops team finds on its shared drive: one per KAM, each the
slice of the sample portfolio (``kamxl sample``) that one KAM manages -- about ten accounts,
five of them key, with their revenue history, health, plan, risks, stakeholders and
pipeline -- under its own account ids and with its own revenue scale, recalculated like the
sample. They are built once into ``bench/.cache/batch_<N>/``.

Figures, each run on the same workbooks:

- **read floor**: only reading them (``kamxl.read_workbook``, every check of the contract and
  the computed columns), with the same number of worker processes;
- **batch**: ``run_batch`` (``kamxl batch``) building the QBR deck of every key account,
  ``--force`` so that nothing is skipped, with ``--jobs 1`` and ``--jobs 2``.

Run: ``python bench/bench_batch.py [--workbooks 200]``.
"""

from __future__ import annotations

import argparse
import copy
import random
import shutil
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import Row, print_table, seconds

from kamxl.batch import find_workbooks, run_batch
from kamxl.workbook.reader import read_workbook
from workbooks import CACHE


def kam_workbook(index: int, path: Path) -> Path:
    """One KAM's workbook: the slice of the sample portfolio of KAM ``index % 3``."""
    from kamxl.workbook.sample import sample_portfolio
    from kamxl.workbook.template import build_workbook
    from kamxl.workbook.writer import recalc_workbook

    rows = sample_portfolio()
    kams = sorted({a["kam"] for a in rows["Accounts"]})
    kam = kams[index % len(kams)]
    mine = {a["account_id"] for a in rows["Accounts"] if a["kam"] == kam}
    scale = random.Random(index).uniform(0.5, 2.0)
    sliced: dict[str, list[dict[str, Any]]] = {}
    for sheet, records in rows.items():
        kept = []
        for record in records:
            if "account_id" in record and record["account_id"] not in mine:
                continue
            record = copy.deepcopy(record)
            if "account_id" in record:
                record["account_id"] = f"W{index:03d}-{record['account_id']}"
            for column in ("revenue_prev", "revenue_curr", "revenue", "forecast", "wallet"):
                if isinstance(record.get(column), int | float):
                    record[column] = round(record[column] * scale)
            kept.append(record)
        sliced[sheet] = kept
    draft = path.with_name(f".{path.stem}.draft.xlsx")
    build_workbook(draft, rows=sliced, trust_cached_results=True)
    recalc_workbook(draft, path, overwrite=True)
    draft.unlink()
    return path


def workbooks(count: int) -> Path:
    folder = CACHE / f"batch_{count}"
    if len(list(folder.glob("kam_*.xlsx"))) == count:
        return folder
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    started = time.perf_counter()
    for index in range(count):
        kam_workbook(index, folder / f"kam_{index:03d}.xlsx")
    print(f"built {count} workbooks in {time.perf_counter() - started:.1f} s (cached)")
    return folder


def _read(path: Path) -> int:
    return len(read_workbook(path).accounts)


def read_floor(paths: list[Path], jobs: int) -> float:
    started = time.perf_counter()
    if jobs == 1:
        for path in paths:
            _read(path)
    else:
        with ProcessPoolExecutor(jobs) as pool:
            list(pool.map(_read, paths, chunksize=4))
    return time.perf_counter() - started


def plain_loop(paths: list[Path]) -> float:
    """Seconds of the same work without the batch: read each workbook, write its decks."""
    from kamxl.deck.make import DeckKind, make_decks

    with tempfile.TemporaryDirectory(prefix="kamxl-bench-loop-") as out:
        make_decks(read_workbook(paths[0]), Path(out), [DeckKind.QBR])  # warm: not timed
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="kamxl-bench-loop-") as out:
        for path in paths:
            folder = Path(out) / path.stem
            folder.mkdir()
            make_decks(read_workbook(path), folder, [DeckKind.QBR])
    return time.perf_counter() - started


def run(count: int = 200) -> list[dict[str, float]]:
    """For ``--jobs 1`` and ``--jobs 2``: seconds of reading only and of the batch, and of
    the same work in a plain loop."""
    folder = workbooks(count)
    paths = find_workbooks([folder])
    loop = plain_loop(paths)
    results = []
    for jobs in (1, 2):
        floor = read_floor(paths, jobs)
        with tempfile.TemporaryDirectory(prefix="kamxl-bench-batch-") as out:
            report = run_batch([folder], Path(out), jobs=jobs, force=True)
        assert report.ok, report.failures[:3]
        results.append(
            {
                "jobs": jobs,
                "workbooks": len(paths),
                "decks": len(report.built),
                "floor": floor,
                "batch": report.seconds,
                "loop": loop,
            }
        )
    return results


def rows(results: list[dict[str, float]]) -> list[Row]:
    table = []
    for r in results:
        ratio = r["batch"] / r["floor"]
        what = f"batch {r['workbooks']:.0f} workbooks --jobs {r['jobs']:.0f}"
        table.append(
            Row(
                what,
                seconds(r["batch"]),
                "same work, plain loop",
                seconds(r["loop"]),
                r["loop"] / r["batch"],
            )
        )
        table.append(
            Row(
                what,
                f"{r['decks'] / r['batch']:.1f} decks/s",
                "reading them only",
                seconds(r["floor"]),
                ratio,
                "within 2x the floor",
                ratio <= 2,
                floor=True,
            )
        )
    return table


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workbooks", type=int, default=200)
    args = parser.parse_args()
    results = run(args.workbooks)
    one, two = results
    print(f"{one['workbooks']:.0f} workbooks, {one['decks']:.0f} QBR decks (every key account)")
    print_table(rows(results))
    print(f"speed-up of --jobs 2 over --jobs 1: {one['batch'] / two['batch']:.2f}x")


if __name__ == "__main__":
    main()

"""KAM_SCORES on 100,000 accounts x 10 criteria: the engine against its alternatives.

Prints, for the same ratings matrix and weights:

- the engine (``kamxl.core.weighted_scores``) on a float matrix, as the headless recalc calls it;
- ``KAM_SCORES`` as Excel calls it, on a 2-D list of cells (conversion included);
- a per-row loop of ``KAM_SCORE`` (what a column of single-account formulas costs);
- the floor: a bare numpy ``ratings @ weights`` over the same matrix (no blanks, no checks).

Run: ``python bench/bench_core.py [--accounts N] [--criteria K] [--loop-sample M]``.
The per-row loop is timed on a sample of rows and scaled, to keep the run short.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import Row, best_of, seconds

from kamxl import core
from kamxl.excel.udfs import KAM_SCORE, KAM_SCORES


def measure(
    accounts: int = 100_000, criteria: int = 10, loop_sample: int = 5_000, repeat: int = 7
) -> dict[str, float]:
    """Seconds of each way of scoring the same ``accounts`` x ``criteria`` ratings."""
    rng = np.random.default_rng(42)
    n, k = accounts, criteria
    ratings = rng.integers(1, 6, size=(n, k)).astype(np.float64)
    ratings[rng.random((n, k)) < 0.05] = np.nan  # 5 % of ratings blank, as in real workbooks
    weights = rng.random(k) + 0.1
    lower = np.arange(k) % 4 == 3
    directions = ["lower" if flag else "higher" for flag in lower]
    dense = np.nan_to_num(ratings, nan=3.0)
    cells = [[None if np.isnan(x) else x for x in row] for row in ratings.tolist()]

    engine = best_of(lambda: core.weighted_scores(ratings, weights, 1, 5, lower), repeat)
    udf = best_of(lambda: KAM_SCORES(cells, weights.tolist(), 1, 5, directions), 3)
    floor = best_of(lambda: dense @ weights, repeat)
    sample = cells[:loop_sample]
    w = weights.tolist()
    per_row = best_of(lambda: [KAM_SCORE([row], w, 1, 5, directions) for row in sample], 1)

    check = core.weighted_scores(ratings[:50], weights, 1, 5, lower).to_list()
    assert check == [KAM_SCORE([row], w, 1, 5, directions) for row in cells[:50]]
    return {
        "accounts": n,
        "criteria": k,
        "sample": len(sample),
        "engine": engine,
        "udf": udf,
        "floor": floor,
        "loop": per_row * n / len(sample),
    }


def rows(r: dict[str, float]) -> list[Row]:
    """The lines of the summary table."""
    what = f"KAM_SCORES {r['accounts']:,.0f} x {r['criteria']:.0f}"
    return [
        Row(
            what,
            seconds(r["engine"]),
            "per-row KAM_SCORE loop",
            seconds(r["loop"]),
            r["loop"] / r["engine"],
        ),
        Row(
            what,
            seconds(r["engine"]),
            "numpy dot, no checks",
            seconds(r["floor"]),
            r["engine"] / r["floor"],
            floor=True,
        ),
        Row(
            "KAM_SCORES on Excel cells",
            seconds(r["udf"]),
            "per-row KAM_SCORE loop",
            seconds(r["loop"]),
            r["loop"] / r["udf"],
        ),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--accounts", type=int, default=100_000)
    parser.add_argument("--criteria", type=int, default=10)
    parser.add_argument("--loop-sample", type=int, default=5_000)
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()
    r = measure(args.accounts, args.criteria, args.loop_sample, args.repeat)
    n, engine, loop, udf, floor = r["accounts"], r["engine"], r["loop"], r["udf"], r["floor"]
    print(f"KAM_SCORES on {n:,.0f} accounts x {r['criteria']:.0f} criteria (5 % blank ratings)")
    lines = [
        ("engine: core.weighted_scores (float matrix)", engine),
        ("KAM_SCORES on Excel-shaped cells (2-D list)", udf),
        (f"per-row loop of KAM_SCORE (scaled from {r['sample']:,.0f} rows)", loop),
        ("floor: numpy ratings @ weights (no checks)", floor),
    ]
    for label, value in lines:
        print(f"  {label:<58} {value * 1e3:10.2f} ms")
    print("ratios")
    print(f"  per-row loop / engine        {loop / engine:10.0f} x faster with one array call")
    print(f"  per-row loop / KAM_SCORES    {loop / udf:10.0f} x")
    print(f"  engine / floor               {engine / floor:10.1f} x the memory-bandwidth floor")
    print(f"  engine per account           {engine / n * 1e9:10.1f} ns")


if __name__ == "__main__":
    main()

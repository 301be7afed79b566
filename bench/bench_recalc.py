"""``kamxl recalc`` of 1,000- and 5,000-account workbooks against LibreOffice headless.

Without Excel, a team that wants the computed columns of a saved workbook refreshed would
open it in LibreOffice headless, recalculate everything and save it again:
``soffice --convert-to xlsx`` with the profile set to recalculate OOXML files on load
(``OOXMLRecalcMode`` = always). That is the baseline, on the same file: the standard
workbook made by the template builder, whose computed columns are live ``KAM_*`` formulas
(``bench/workbooks.py``, ``standard``).

LibreOffice cannot evaluate ``KAM_*`` (they are Excel add-in functions): it recalculates
every formula of the workbook and they come out as ``#NAME?``, which the benchmark checks --
so its time is a lower bound of what a real recalculation would cost it. Its start-up is
measured alone (converting the empty template) and reported, so that the comparison without
it is also visible. kamxl is timed on the same file (formulas kept, values refreshed) and on
a values-only export of the same size (the computed columns added), each the best of 3.

Run: ``python bench/bench_recalc.py [--accounts 1000 5000]``.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import Row, best_of, print_table, seconds

from kamxl.workbook.template import build_workbook
from kamxl.workbook.writer import recalc_workbook
from workbooks import portfolio, standard

_ALWAYS_RECALCULATE = """<?xml version="1.0" encoding="UTF-8"?>
<oor:items xmlns:oor="http://openoffice.org/2001/registry"
 xmlns:xs="http://www.w3.org/2001/XMLSchema" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
<item oor:path="/org.openoffice.Office.Calc/Formula/Load"><prop oor:name="OOXMLRecalcMode"
 oor:op="fuse"><value>0</value></prop></item>
</oor:items>
"""


class LibreOffice:
    """soffice headless with a profile of its own that recalculates OOXML files on load."""

    def __init__(self, work: Path) -> None:
        executable = shutil.which("soffice") or shutil.which("libreoffice")
        if executable is None:
            raise SystemExit("LibreOffice is needed: apt-get install libreoffice-calc")
        self.executable = executable
        self.profile = work / "profile"
        (self.profile / "user").mkdir(parents=True)
        (self.profile / "user" / "registrymodifications.xcu").write_text(_ALWAYS_RECALCULATE)
        self.out = work / "out"
        self.out.mkdir()

    def recalc(self, path: Path) -> float:
        """Seconds to open, recalculate and save ``path`` as .xlsx."""
        command = [
            self.executable,
            f"-env:UserInstallation=file://{self.profile}",
            "--headless",
            "--convert-to",
            "xlsx:Calc MS Excel 2007 XML",
            "--outdir",
            str(self.out),
            str(path),
        ]
        start = time.perf_counter()
        subprocess.run(command, check=True, capture_output=True, timeout=600)
        elapsed = time.perf_counter() - start
        if not (self.out / path.name).exists():
            raise RuntimeError(f"LibreOffice wrote nothing for {path}")
        return elapsed

    def recalculated(self, path: Path) -> bool:
        """Whether LibreOffice's copy of ``path`` shows its own results of the KAM_* cells."""
        with zipfile.ZipFile(self.out / path.name) as archive:
            return any(
                b"#NAME?" in archive.read(name)
                for name in archive.namelist()
                if name.startswith("xl/worksheets/")
            )


def run(sizes: tuple[int, ...] = (1_000, 5_000)) -> list[dict[str, float]]:
    results = []
    with tempfile.TemporaryDirectory(prefix="kamxl-bench-recalc-") as folder:
        work = Path(folder)
        office = LibreOffice(work)
        empty = build_workbook(work / "empty.xlsx")
        office.recalc(empty)  # the first start creates the profile: not timed
        startup = min(office.recalc(empty) for _ in range(2))
        for accounts in sizes:
            book, values_only = standard(accounts), portfolio(accounts)
            kamxl = best_of(lambda b=book: recalc_workbook(b, work / "k.xlsx", overwrite=True), 3)
            added = best_of(
                lambda v=values_only: recalc_workbook(v, work / "v.xlsx", overwrite=True), 3
            )
            libreoffice = office.recalc(book)
            assert office.recalculated(book), "LibreOffice did not recalculate"
            results.append(
                {
                    "accounts": accounts,
                    "kamxl": kamxl,
                    "kamxl_values_only": added,
                    "libreoffice": libreoffice,
                    "startup": startup,
                }
            )
    return results


def rows(results: list[dict[str, float]]) -> list[Row]:
    table = []
    for r in results:
        n = int(r["accounts"])
        target = ("< 0.5 s", r["kamxl"] < 0.5) if n == 5_000 else ("", None)
        table += [
            Row(f"recalc {n:,} accounts", seconds(r["kamxl"]), "LibreOffice recalc + save",
                seconds(r["libreoffice"]), r["libreoffice"] / r["kamxl"], *target),
            Row(f"recalc {n:,} accounts", seconds(r["kamxl"]), "LibreOffice minus start-up",
                seconds(r["libreoffice"] - r["startup"]),
                (r["libreoffice"] - r["startup"]) / r["kamxl"]),
            Row(f"recalc {n:,} values-only (adds columns)", seconds(r["kamxl_values_only"]),
                "LibreOffice recalc + save", seconds(r["libreoffice"]),
                r["libreoffice"] / r["kamxl_values_only"],
                *(("< 0.5 s", r["kamxl_values_only"] < 0.5) if n == 5_000 else ("", None))),
        ]  # fmt: skip
    return table


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--accounts", type=int, nargs="+", default=[1_000, 5_000])
    args = parser.parse_args()
    results = run(tuple(args.accounts))
    print(f"LibreOffice start-up alone (empty template): {results[0]['startup']:.2f} s")
    print_table(rows(results))


if __name__ == "__main__":
    main()

"""The Dask executor on a real cluster: a scheduler and a worker started as their own
processes (``dask scheduler``, ``dask worker``) in folders of their own, as on other
machines. The caller sends each workbook's bytes and writes the decks that come back into
its own output folder; the worker touches nothing of the caller's disk (a CPython audit
hook in the worker process records every file it opens or lists)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from kamxl.batch import run_batch
from tests.test_batch import decks_in, renamed

#: Run in the worker process (``dask worker --preload``): note every file event that
#: names a path under the caller's folder.
AUDIT = """
import os
import sys

FORBIDDEN = os.environ["KAMXL_TEST_CALLER"]
LOG = os.environ["KAMXL_TEST_AUDIT_LOG"]
EVENTS = {"open", "os.listdir", "os.scandir", "os.mkdir", "os.rename", "os.remove",
          "os.chdir", "os.chmod", "os.truncate", "os.utime", "shutil.copyfile",
          "shutil.rmtree", "os.symlink", "os.link"}


def _hook(event, args):
    if event not in EVENTS:
        return
    for arg in args:
        if isinstance(arg, (str, bytes, os.PathLike)):
            path = os.path.abspath(os.fsdecode(arg))
            if path.startswith(FORBIDDEN):
                with open(LOG, "a", encoding="utf-8") as log:
                    log.write(f"{os.getpid()} {event} {path}\\n")


sys.addaudithook(_hook)
with open(LOG, "a", encoding="utf-8") as log:
    log.write(f"{os.getpid()} audit hook in place\\n")
"""


def start(args: list[str], cwd: Path, log: Path, env: dict[str, str]) -> subprocess.Popen[bytes]:
    cwd.mkdir(parents=True, exist_ok=True)
    with log.open("wb") as stream:
        return subprocess.Popen(
            [sys.executable, "-m", "dask", *args],
            cwd=cwd,
            stdout=stream,
            stderr=subprocess.STDOUT,
            env=env,
        )


@pytest.fixture
def cluster(tmp_path: Path) -> Iterator[tuple[str, Path, Path]]:
    """A scheduler and a worker, each a process of its own in its own folder; yields the
    scheduler's address, the folder of the cluster and the caller's folder."""
    from distributed import Client

    caller = tmp_path / "caller"
    caller.mkdir()
    folder = tmp_path / "cluster"
    folder.mkdir()
    (folder / "audit_preload.py").write_text(AUDIT)
    env = {
        **os.environ,
        "KAMXL_TEST_CALLER": str(caller),
        "KAMXL_TEST_AUDIT_LOG": str(folder / "audit.log"),
        "PYTHONPATH": os.pathsep.join(  # the preload module
            filter(None, [str(folder), os.environ.get("PYTHONPATH")])
        ),
    }
    scheduler_file = folder / "scheduler.json"
    scheduler = start(
        ["scheduler", "--host", "127.0.0.1", "--port", "0", "--no-dashboard",
         "--scheduler-file", str(scheduler_file)],
        folder / "scheduler", folder / "scheduler.log", env,
    )  # fmt: skip
    worker = None
    try:
        deadline = time.monotonic() + 60
        while not scheduler_file.exists() or not scheduler_file.read_text().strip():
            assert scheduler.poll() is None, (folder / "scheduler.log").read_text()
            assert time.monotonic() < deadline, "the scheduler did not start"
            time.sleep(0.2)
        address = json.loads(scheduler_file.read_text())["address"]
        worker = start(
            ["worker", "--scheduler-file", str(scheduler_file), "--nworkers", "1",
             "--nthreads", "2", "--no-dashboard", "--preload", "audit_preload",
             "--local-directory", str(folder / "worker" / "spill")],
            folder / "worker", folder / "worker.log", env,
        )  # fmt: skip
        with Client(address, timeout="30s") as client:
            client.wait_for_workers(1, timeout=60)
        yield address, folder, caller
    finally:
        for process in (worker, scheduler):
            if process is not None:
                process.terminate()
        for process in (worker, scheduler):
            if process is not None:
                try:
                    process.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    process.kill()


def test_dask_workers_need_nothing_of_the_callers_disk(
    cluster: tuple[str, Path, Path], tmp_path: Path
) -> None:
    from kamxl.workbook.template import build_workbook

    address, folder, caller = cluster
    drive = caller / "drive"
    (drive / "north").mkdir(parents=True)
    (drive / "south").mkdir()
    build_workbook(drive / "north" / "Q3.xlsx", rows=renamed("N"))
    build_workbook(drive / "south" / "Q3.xlsx", rows=renamed("S"))
    run = subprocess.run(
        [sys.executable, "-m", "kamxl.cli", "batch", "drive", "-o", "out", "--kind", "qbr",
         "--kind", "portfolio", "--executor", "dask", "--scheduler", address,
         "--report", "report.json"],
        cwd=caller, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert run.returncode == 0, run.stdout + run.stderr
    assert "5 deck(s) built" in run.stdout

    # the decks are in the caller's output folder, and nowhere else
    decks = decks_in(caller / "out")
    assert sorted(decks) == [
        "north-Q3/N1 Alpha Works - QBR 2026-Q3.pptx",
        "north-Q3/N3 Gamma Labs - QBR 2026-Q3.pptx",
        "portfolio - Portfolio review 2026-Q3.pptx",
        "south-Q3/S1 Alpha Works - QBR 2026-Q3.pptx",
        "south-Q3/S3 Gamma Labs - QBR 2026-Q3.pptx",
    ]
    assert list(folder.rglob("*.pptx")) == []
    assert [p for p in caller.rglob("*.pptx") if not p.is_relative_to(caller / "out")] == []
    report = json.loads((caller / "report.json").read_text())
    assert len(report["outputs"]) == 5
    for output in report["outputs"]:  # paths the caller can open
        path = Path(output["path"])
        assert path.is_absolute() and path.is_file() and path.is_relative_to(caller / "out")

    # the same bytes as a local run
    run_batch([drive], tmp_path / "local", kinds=["qbr", "portfolio"], jobs=1)
    assert decks == decks_in(tmp_path / "local")

    # the worker process ran the audit hook, and never touched the caller's folder
    audit = (folder / "audit.log").read_text().splitlines()
    assert any(line.endswith("audit hook in place") for line in audit), audit
    assert [line for line in audit if not line.endswith("audit hook in place")] == []

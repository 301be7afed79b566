"""Faults of unattended runs: a batch killed mid-way, two batches at once, a disk that
fills up, a folder kamxl may not write in. Nothing half-written, nothing lost, a clear
error."""

from __future__ import annotations

import contextlib
import errno
import json
import os
import re
import resource
import signal
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path
from typing import Any

import pytest
from pptx import Presentation

from kamxl import files
from kamxl.batch import CACHE_NAME, LOCK_NAME, BatchError, run_batch
from tests.conftest import SAMPLE
from tests.test_batch import renamed


@pytest.fixture
def drive(tmp_path: Path) -> Path:
    """Six small workbooks (two key accounts each) and the sample (15 key accounts)."""
    from kamxl.workbook.template import build_workbook

    folder = tmp_path / "drive"
    folder.mkdir()
    for index in range(6):
        build_workbook(folder / f"kam{index}.xlsx", rows=renamed(f"K{index}-"))
    (folder / "sample.xlsx").write_bytes(SAMPLE.read_bytes())
    return folder


def kamxl(*args: str, **options: Any) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "kamxl.cli", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
        **options,
    )


def decks_are_whole(folder: Path) -> int:
    """Every .pptx under ``folder`` opens (zip and python-pptx); how many there are."""
    decks = list(folder.rglob("*.pptx"))
    for deck in decks:
        with zipfile.ZipFile(deck) as archive:
            assert archive.testzip() is None, deck
        assert len(Presentation(str(deck)).slides) >= 1
    return len(decks)


def wait_for(condition: Any, timeout: float = 120.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("timed out waiting")
        time.sleep(0.02)


def test_a_batch_killed_mid_way_leaves_whole_decks_and_resumes(drive: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    run = kamxl("batch", str(drive), "-o", str(out), "--jobs", "1")
    # kill it (SIGKILL: no clean-up of any kind) once it has finished a workbook and is
    # inside another one
    wait_for(lambda: (out / CACHE_NAME).exists() and len(list(out.rglob("*.pptx"))) >= 3)
    os.killpg(run.pid, signal.SIGKILL)
    run.wait()
    assert run.returncode == -signal.SIGKILL
    before = decks_are_whole(out)  # whatever was written is complete
    assert (out / LOCK_NAME).exists()  # the dead run's lock stays behind...
    done = json.loads((out / CACHE_NAME).read_text())["workbooks"]
    assert 1 <= len(done) < 7

    resumed = kamxl("batch", str(drive), "-o", str(out), "--jobs", "2")
    stdout, stderr = resumed.communicate(timeout=300)
    assert resumed.returncode == 0, stderr  # ...and is taken over
    expected = 6 * 2 + 15
    assert f"{expected - sum(len(e['outputs']) for e in done.values())} deck(s) built" in stdout
    assert decks_are_whole(out) == expected >= before
    assert not list(out.rglob(".kamxl-*.tmp")) and not (out / LOCK_NAME).exists()


def test_two_batches_on_one_folder_one_waits_its_turn(drive: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    first = kamxl("batch", str(drive), "-o", str(out), "--jobs", "1")
    wait_for(lambda: (out / LOCK_NAME).exists())
    second = kamxl("batch", str(drive), "-o", str(out), "--jobs", "1")
    _, second_err = second.communicate(timeout=120)
    assert second.returncode == 1
    assert f"in use by another kamxl batch (process {first.pid})" in second_err
    first_out, first_err = first.communicate(timeout=300)
    assert first.returncode == 0, first_err
    assert "27 deck(s) built" in first_out
    assert decks_are_whole(out) == 27
    again = kamxl("batch", str(drive), "-o", str(out))
    again_out, _ = again.communicate(timeout=120)
    assert again.returncode == 0 and "0 deck(s) built, 27 up to date" in again_out


def _limit_file_size() -> None:
    """In the child: files may not grow beyond 40 kB (writes then fail with EFBIG, as on a
    full disk; SIGXFSZ ignored so that the write fails instead of killing the process)."""
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    resource.setrlimit(resource.RLIMIT_FSIZE, (40_000, 40_000))


def test_a_disk_that_fills_up_gives_a_clear_error_and_keeps_what_was_built(
    drive: Path, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    assert run_batch([drive / "kam0.xlsx"], out).ok  # built before the disk filled up
    kept = {p: p.read_bytes() for p in out.rglob("*.pptx")}
    run = kamxl("batch", str(drive), "-o", str(out), "--force", preexec_fn=_limit_file_size)
    stdout, stderr = run.communicate(timeout=300)
    assert run.returncode == 1, stderr
    assert "Traceback" not in stderr + stdout
    failed = [line for line in stdout.splitlines() if line.startswith("FAILED")]
    assert failed and all("cannot be written" in f and "File too large" in f for f in failed)
    assert {p: p.read_bytes() for p in kept} == kept  # the decks of before are untouched
    assert decks_are_whole(out) == len(kept)
    assert not list(out.rglob(".kamxl-*.tmp"))


def test_no_space_left_is_named_as_such(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, drive: Path
) -> None:
    real_fsync = os.fsync

    def full(descriptor: int) -> None:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(os, "fsync", full)
    report = run_batch([drive / "kam1.xlsx"], tmp_path / "out", jobs=1)
    monkeypatch.setattr(os, "fsync", real_fsync)
    assert [f.account_id for f in report.failures] == ["K1-1", "K1-3"]
    assert all("cannot be written: No space left on device" in f.reason for f in report.failures)
    assert [w["message"] for w in report.warnings] == [
        f"the batch cache was not saved: {tmp_path / 'out' / CACHE_NAME}: cannot be written: "
        "No space left on device"
    ]
    assert not list((tmp_path / "out").rglob("*.pptx"))
    assert not list((tmp_path / "out").rglob(".kamxl-*.tmp"))


def test_a_folder_kamxl_may_not_write_in(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, drive: Path
) -> None:
    from click.testing import CliRunner

    from kamxl.cli import main

    folder = tmp_path / "read-only"
    folder.mkdir()
    if os.geteuid() == 0:  # root writes anywhere: refuse at the system call kamxl makes
        import tempfile

        def refused(*args: Any, **kwargs: Any) -> Any:
            raise PermissionError(errno.EACCES, os.strerror(errno.EACCES))

        monkeypatch.setattr(tempfile, "mkstemp", refused)
    else:
        folder.chmod(0o555)
    try:
        result = CliRunner().invoke(
            main, ["deck", str(drive / "kam2.xlsx"), "-o", str(folder), "--kind", "handshake"]
        )
        recalc = CliRunner().invoke(
            main, ["recalc", str(drive / "kam2.xlsx"), "-o", str(folder / "r.xlsx")]
        )
    finally:
        folder.chmod(0o755)
    assert result.exit_code == 1
    assert f"cannot write in {folder}: Permission denied" in result.stderr
    assert recalc.exit_code == 1
    assert f"cannot write in {folder}: Permission denied" in recalc.stderr
    assert list(folder.iterdir()) == []


def _stat(pid: int) -> list[str] | None:
    """The fields of /proc/PID/stat after the command name (state, ppid, ...)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None


def descendants(pid: int) -> set[int]:
    """Every process started by ``pid``, and by them (Linux)."""
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        fields = _stat(int(entry.name)) if entry.name.isdigit() else None
        if fields:
            parents[int(entry.name)] = int(fields[1])
    found: set[int] = set()
    frontier = {pid}
    while frontier:
        frontier = {child for child, parent in parents.items() if parent in frontier} - found
        found |= frontier
    return found


def finished_workbooks(out: Path) -> dict[str, Any]:
    """The workbooks the batch cache of ``out`` records as done (none while there is none)."""
    try:
        return json.loads((out / CACHE_NAME).read_text())["workbooks"]
    except (OSError, ValueError, KeyError):
        return {}


def running(pid: int) -> bool:
    fields = _stat(pid)
    return fields is not None and fields[0] not in ("Z", "X")  # a zombie is dead


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
@pytest.mark.parametrize(
    ("signum", "exit_code"),
    [(signal.SIGTERM, 143), (signal.SIGINT, 130), (signal.SIGKILL, -signal.SIGKILL)],
    ids=["SIGTERM", "SIGINT", "SIGKILL"],
)
def test_workers_die_with_the_batch(
    drive: Path, tmp_path: Path, signum: int, exit_code: int
) -> None:
    """What ``timeout``, cron and CI do: signal the batch process alone (not its group);
    its workers must not outlive it, nor hold the caller's pipes."""
    out = tmp_path / "out"
    run = kamxl("batch", str(drive), "-o", str(out), "--jobs", "2")
    family: set[int] = set()

    def busy() -> bool:
        family.update(descendants(run.pid))
        return sum(map(running, family)) >= 2 and len(finished_workbooks(out)) >= 1

    try:
        wait_for(busy)  # the workers, at least one workbook done, others under way
        os.kill(run.pid, signum)
        sent = time.monotonic()
        _, stderr = run.communicate(timeout=60)  # returns once no process holds the pipes
        assert time.monotonic() - sent < 20, "the caller's pipes stayed open"
        assert run.returncode == exit_code, stderr
        wait_for(lambda: not any(running(p) for p in family), timeout=10)
    finally:  # whatever happened, leave no process behind
        with contextlib.suppress(ProcessLookupError):
            os.killpg(run.pid, signal.SIGKILL)
    assert "Traceback" not in stderr
    if signum == signal.SIGKILL:
        assert (out / LOCK_NAME).exists()  # no clean-up of any kind: taken over below
    else:
        word = "terminated" if signum == signal.SIGTERM else "interrupted"
        assert f"kamxl: {word}; the decks written so far are complete and kept" in stderr
        assert not (out / LOCK_NAME).exists()  # released
        return
    (out / "kam0").mkdir(exist_ok=True)
    # what a killed run leaves: a temporary file named after its (dead) owner on this machine
    left = f".kamxl-{run.pid}@{files._host()}.k1ll3d.tmp"
    (out / "kam0" / left).write_bytes(b"half a deck")
    resumed = kamxl("batch", str(drive), "-o", str(out), "--jobs", "2")
    resumed_out, resumed_err = resumed.communicate(timeout=300)
    assert resumed.returncode == 0, resumed_err
    removed = re.search(r"removed (\d+) unfinished file\(s\) of an interrupted run", resumed_out)
    assert removed and int(removed[1]) >= 1  # ours, and any the killed run left
    assert decks_are_whole(out) == 6 * 2 + 15
    assert not list(out.rglob(".kamxl-*.tmp")) and not (out / LOCK_NAME).exists()
    # the scratch folders of the killed workers are gone too
    scratch = Path(tempfile.gettempdir())
    assert [p for pid in family for p in scratch.glob(f"kamxl-batch-{pid}-*")] == []


def test_a_lock_held_on_another_machine_is_not_taken_over(drive: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    (out / LOCK_NAME).write_text(json.dumps({"pid": 1, "host": "build-server-7"}))
    with pytest.raises(BatchError, match=r"in use by another kamxl batch \(process 1 on build-"):
        run_batch([drive / "kam0.xlsx"], out)
    assert (out / LOCK_NAME).exists()


def test_a_lock_whose_process_id_was_reused_is_taken_over(drive: Path, tmp_path: Path) -> None:
    """A batch killed long ago: its process id now belongs to another process (here, this
    one), started at another time."""
    import socket

    out = tmp_path / "out"
    out.mkdir()
    holder = {"pid": os.getpid(), "host": socket.gethostname(), "started": "1"}
    (out / LOCK_NAME).write_text(json.dumps(holder))
    report = run_batch([drive / "kam0.xlsx"], out)
    assert report.ok and not (out / LOCK_NAME).exists()


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_a_worker_killed_fails_its_workbooks_not_the_batch(drive: Path, tmp_path: Path) -> None:
    """The kernel's out-of-memory killer ends a worker: the workbooks it had are failures,
    the batch ends as usual, and the next run builds them."""
    out = tmp_path / "out"
    run = kamxl("batch", str(drive), "-o", str(out), "--jobs", "2")
    try:

        def worker() -> int | None:
            for pid in descendants(run.pid):
                command = Path(f"/proc/{pid}/cmdline").read_bytes() if running(pid) else b""
                if b"spawn_main" in command and b"resource_tracker" not in command:
                    return pid
            return None

        wait_for(lambda: worker() is not None and len(finished_workbooks(out)) >= 1)
        os.kill(worker() or 0, signal.SIGKILL)
        stdout, stderr = run.communicate(timeout=120)
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(run.pid, signal.SIGKILL)
    assert run.returncode == 1, stderr
    assert "Traceback" not in stdout + stderr
    assert "the worker building it stopped" in stdout
    assert not (out / LOCK_NAME).exists()
    resumed = kamxl("batch", str(drive), "-o", str(out), "--jobs", "2")
    _, resumed_err = resumed.communicate(timeout=300)
    assert resumed.returncode == 0, resumed_err
    assert decks_are_whole(out) == 6 * 2 + 15

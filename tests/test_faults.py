"""Faults of unattended runs: a batch killed mid-way, two batches at once, a disk that
fills up, a folder kamxl may not write in. Nothing half-written, nothing lost, a clear
error."""

from __future__ import annotations

import errno
import json
import os
import resource
import signal
import subprocess
import sys
import time
import zipfile
from pathlib import Path
from typing import Any

import pytest
from pptx import Presentation

from kamxl.batch import CACHE_NAME, LOCK_NAME, run_batch
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
    assert "cannot be written: File too large" in stdout
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

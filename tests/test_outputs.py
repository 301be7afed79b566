"""Nothing lost: what every command (but batch) may write, and what an interrupted or killed
run leaves behind.

- no command writes over an existing file without --force, not even one that appears while
  it works, and none writes over one of its own inputs, --force or not;
- a killed run's temporary files are removed by the next kamxl writing in the folder, never
  those of a run still going (nor another machine's);
- SIGINT ends every command with exit code 130, one line on stderr and no temporary file.

Real ``kamxl`` processes get real signals. Where a write is too quick to catch (a template
is written in a fraction of a millisecond), the process runs on a slow disk: the real kamxl,
started by a few lines that make ``os.fsync`` take a while before it syncs, as a network
drive does.
"""

from __future__ import annotations

import copy
import errno
import os
import signal
import subprocess
import sys
import time
import zipfile
from collections.abc import Callable, Iterator, Set
from pathlib import Path
from typing import Any, BinaryIO

import pytest
from click.testing import CliRunner

from kamxl.cli import main
from kamxl.deck.make import soffice
from kamxl.deck.template import DEFAULT_TEMPLATE
from kamxl.files import remove_unfinished
from tests.conftest import SAMPLE, mini_rows

pytestmark = pytest.mark.skipif(
    not Path("/proc/self/stat").exists(), reason="signals to processes, watched through /proc"
)

DECK = "ACC-001 Brennholt Automotive Parts - Handshake 2026-Q3.pptx"
INTERRUPTED = "kamxl: interrupted; no file was left half-written\n"
#: The real kamxl on a slow disk: every fsync waits a while first.
SLOW_DISK = """\
import os, time
real_fsync = os.fsync
def slow_fsync(descriptor):
    time.sleep({delay})
    real_fsync(descriptor)
os.fsync = slow_fsync
from kamxl.cli import main
main(prog_name="kamxl")
"""


_STARTED: list[subprocess.Popen[str]] = []


@pytest.fixture(autouse=True)
def _no_process_left() -> Iterator[None]:
    """A test that fails half-way leaves no stopped kamxl behind it."""
    yield
    while _STARTED:
        run = _STARTED.pop()
        if run.poll() is None:
            run.kill()
            run.communicate(timeout=60)


def kamxl(*args: str | Path, slow_disk: float = 0.0) -> subprocess.Popen[str]:
    """A ``kamxl`` process, in its own session (a signal reaches it alone); on a slow disk,
    every fsync waits ``slow_disk`` seconds."""
    start = ["-c", SLOW_DISK.format(delay=slow_disk)] if slow_disk else ["-m", "kamxl.cli"]
    run = subprocess.Popen(
        [sys.executable, *start, *map(str, args)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    _STARTED.append(run)
    return run


def finished(run: subprocess.Popen[str], timeout: float = 300) -> tuple[int, str, str]:
    stdout, stderr = run.communicate(timeout=timeout)
    return run.returncode, stdout, stderr


def temporaries(folder: Path) -> set[Path]:
    """kamxl's temporary files in ``folder`` and below."""
    return set(folder.rglob(".kamxl-*.tmp"))


def state(pid: int) -> str:
    """The process state of ``pid`` (R, S, D, T stopped, Z zombie...)."""
    return Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()[0]


def wait_for(condition: Callable[[], bool], timeout: float = 120.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("timed out waiting")
        time.sleep(0.005)


def stop_mid_write(
    run: subprocess.Popen[str], folder: Path, known: Set[Path] = frozenset()
) -> set[Path]:
    """Stop ``run`` (SIGSTOP) while it is writing in ``folder``, between its checks and its
    rename: while a temporary file of it (one not ``known``) is there. Returns them."""
    deadline = time.monotonic() + 240
    while time.monotonic() < deadline:
        if run.poll() is not None:
            raise AssertionError(f"ended before writing in {folder}: {run.communicate()}")
        if temporaries(folder) - known:
            os.kill(run.pid, signal.SIGSTOP)
            wait_for(lambda: state(run.pid) == "T")
            caught = temporaries(folder) - known
            if caught:
                return caught
            os.kill(run.pid, signal.SIGCONT)  # it had just finished that file: the next one
        time.sleep(0.002)
    raise AssertionError(f"no temporary file in {folder}")


def killed_mid_write(
    run: subprocess.Popen[str], folder: Path, known: Set[Path] = frozenset()
) -> set[Path]:
    """SIGKILL ``run`` while it writes in ``folder``; the temporary files it leaves."""
    left = stop_mid_write(run, folder, known)
    os.kill(run.pid, signal.SIGKILL)
    run.communicate(timeout=60)
    assert run.returncode == -signal.SIGKILL
    assert temporaries(folder) - known == left
    return left


def is_whole(path: Path) -> bool:
    with zipfile.ZipFile(path) as package:
        return package.testzip() is None


@pytest.fixture(scope="module")
def big_book() -> Path:
    """The 5,000-account standard workbook of the benchmarks (its recalc writes for about
    half a second: a SIGKILL catches it mid-write without any help)."""
    from bench.workbooks import standard

    return standard(5_000)


def writes(out: Path) -> dict[str, tuple[list[str | Path], Path]]:
    """Each writing command (arguments, the file it writes) into the folder ``out``."""
    return {
        "template": (["template", "-o", out / "t.xlsx"], out / "t.xlsx"),
        "sample": (["sample", "-o", out / "s.xlsx"], out / "s.xlsx"),
        "recalc": (["recalc", SAMPLE, "-o", out / "r.xlsx"], out / "r.xlsx"),
        "deck": (
            ["deck", SAMPLE, "--kind", "handshake", "--account", "ACC-001", "-o", out],
            out / DECK,
        ),
        "addin build": (["addin", "build", "-o", out], out / "kamxl.xlam"),
    }


COMMANDS = list(writes(Path()))


# --- never over a file without --force, never over an input -----------------------------------


@pytest.mark.parametrize("command", COMMANDS)
def test_no_command_replaces_a_file_that_appears_while_it_works(
    command: str, tmp_path: Path
) -> None:
    args, output = writes(tmp_path)[command]
    first = kamxl(*args, slow_disk=2.0)
    stop_mid_write(first, tmp_path)  # past its checks: the output did not exist then
    code, _, stderr = finished(kamxl(*args))  # meanwhile another run writes it
    assert code == 0, stderr
    theirs = output.stat()
    os.kill(first.pid, signal.SIGCONT)
    code, _, stderr = finished(first)
    assert code == 1 and stderr == f"kamxl: {output}: already exists (use --force to replace it)\n"
    assert (output.stat().st_ino, output.stat().st_mtime_ns) == (theirs.st_ino, theirs.st_mtime_ns)
    assert is_whole(output) and temporaries(tmp_path) == set()


def test_without_hard_links_a_last_check_guards_the_rename(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """On FAT and some network shares ``link`` fails with EPERM: kamxl checks the name just
    before the rename instead."""
    from kamxl.errors import OutputError
    from kamxl.files import atomic_write

    def no_hard_links(source: Any, target: Any, **options: Any) -> None:
        raise OSError(errno.EPERM, os.strerror(errno.EPERM))

    monkeypatch.setattr(os, "link", no_hard_links)
    new = atomic_write(tmp_path / "new.bin", b"new", overwrite=False)
    assert new.read_bytes() == b"new"
    with pytest.raises(OutputError, match=r"already exists \(use --force to replace it\)"):
        atomic_write(new, b"other", overwrite=False)
    (tmp_path / "dangling.bin").symlink_to(tmp_path / "nowhere")
    with pytest.raises(OutputError, match="already exists"):
        atomic_write(tmp_path / "dangling.bin", b"other", overwrite=False)
    assert new.read_bytes() == b"new" and temporaries(tmp_path) == set()
    assert not (tmp_path / "nowhere").exists()


def test_sample_leaves_the_files_beside_it_alone(tmp_path: Path) -> None:
    users = tmp_path / ".sample.draft.xlsx"  # where kamxl 0.1 put its draft
    users.write_bytes(b"the user's own file")
    result = CliRunner().invoke(main, ["sample", "-o", str(tmp_path / "sample.xlsx")])
    assert result.exit_code == 0, result.output
    assert users.read_bytes() == b"the user's own file"
    assert sorted(p.name for p in tmp_path.iterdir()) == [".sample.draft.xlsx", "sample.xlsx"]


def spellings(book: Path) -> Iterator[Path]:
    """The same file under other names: a link, a hard link, paths through other folders."""
    folder = book.parent
    (folder / "sub").mkdir()
    (folder / "alias.xlsx").symlink_to(book)
    os.link(book, folder / "hard.xlsx")
    (folder / "here").symlink_to(folder, target_is_directory=True)
    yield folder / "alias.xlsx"
    yield folder / "hard.xlsx"
    yield folder / "sub" / ".." / book.name
    yield folder / "here" / book.name
    yield Path(os.path.relpath(book))


def test_recalc_never_writes_over_its_input_under_any_name(sample_copy: Path) -> None:
    before = sample_copy.read_bytes()
    for name in spellings(sample_copy):
        for force in ([], ["--force"]):
            result = CliRunner().invoke(main, ["recalc", str(sample_copy), "-o", str(name), *force])
            assert result.exit_code == 1, (name, result.output)
            assert result.stderr == (
                f"kamxl: {name}: is an input file; kamxl never overwrites its inputs\n"
            )
    assert sample_copy.read_bytes() == before
    assert (sample_copy.parent / "alias.xlsx").is_symlink()
    assert (sample_copy.parent / "hard.xlsx").read_bytes() == before


def test_a_deck_never_replaces_its_template_or_its_workbook_even_with_force(
    tmp_path: Path,
) -> None:
    out = tmp_path / "decks"
    out.mkdir()
    template = out / DECK  # the branded template, kept where the deck would go
    template.write_bytes(DEFAULT_TEMPLATE.read_bytes())
    args = ["deck", str(SAMPLE), "--kind", "handshake", "--account", "ACC-001", "-o", str(out)]
    result = CliRunner().invoke(main, [*args, "--template", str(template), "--force"])
    assert result.exit_code == 1
    assert result.stderr == (
        f"kamxl: {template}: is an input file; kamxl never overwrites its inputs\n"
    )
    assert template.read_bytes() == DEFAULT_TEMPLATE.read_bytes()
    template.unlink()
    book = out / "portfolio.xlsx"
    book.write_bytes(SAMPLE.read_bytes())
    args[1] = str(book)
    for make_alias in (Path.symlink_to, Path.hardlink_to):  # the deck's name, for the workbook
        make_alias(template, book)
        result = CliRunner().invoke(main, [*args, "--force"])
        assert result.exit_code == 1, result.output
        assert "is an input file; kamxl never overwrites its inputs" in result.stderr
        assert book.read_bytes() == SAMPLE.read_bytes() and template.samefile(book)
        template.unlink()


@pytest.mark.skipif(soffice() is None, reason="needs LibreOffice")
def test_pdf_never_replaces_a_users_pdf_without_force(tmp_path: Path) -> None:
    pdf = (tmp_path / DECK).with_suffix(".pdf")
    pdf.write_bytes(b"%PDF-1.7 the user's own copy")
    args = ["deck", str(SAMPLE), "--kind", "handshake", "--account", "ACC-001"]
    result = CliRunner().invoke(main, [*args, "--pdf", "-o", str(tmp_path)])
    assert result.exit_code == 1
    assert result.stderr == f"kamxl: {pdf}: already exists (use --force to replace it)\n"
    assert pdf.read_bytes() == b"%PDF-1.7 the user's own copy"
    assert not (tmp_path / DECK).exists()  # checked before the deck was built
    result = CliRunner().invoke(main, [*args, "--pdf", "-o", str(tmp_path), "--force"])
    assert result.exit_code == 0, result.output
    assert pdf.read_bytes().startswith(b"%PDF-") and len(pdf.read_bytes()) > 10_000


@pytest.mark.parametrize(("first", "second"), [("A/1", "A_1"), ("ab-1", "AB-1")])
def test_two_decks_never_share_a_file(
    first: str, second: str, make_book: Callable[..., Path], tmp_path: Path
) -> None:
    rows: dict[str, list[dict[str, Any]]] = copy.deepcopy(mini_rows())
    rows["Accounts"] = rows["Accounts"][:2]
    for row, account_id in zip(rows["Accounts"], (first, second), strict=True):
        row.update(account_id=account_id, name="Alpha Works", status="key")
    rows["Ratings"] = rows["Health"] = rows["Revenue"] = []
    book = make_book(rows)
    out = tmp_path / "decks"
    args = ["deck", str(book), "--kind", "handshake", "--all", "-o", str(out), "--force"]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 1, result.output
    assert result.stderr.endswith(
        f"would hold both the handshake deck of {first} and the handshake deck of {second} "
        "(their names differ only by case or by characters a file name cannot hold): make "
        "the account ids more distinct\n"
    )
    assert list(out.iterdir()) == []


# --- a killed run's temporary files -------------------------------------------------------------


def test_a_killed_recalc_leaves_temporary_files_the_next_run_removes(
    big_book: Path, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    out.mkdir()
    old = out / ".kamxl-k2x9_a0q.tmp"  # kamxl 0.1 named no owner: removed once a day old
    old.write_bytes(b"left by kamxl 0.1")
    os.utime(old, (time.time() - 2 * 86_400,) * 2)
    recent = out / ".kamxl-z8w7v6u5.tmp"  # ... and may still be written: kept
    recent.write_bytes(b"kamxl 0.1 writing")
    still_writing = kamxl("template", "-o", out / "t.xlsx", slow_disk=30.0)
    alive = stop_mid_write(still_writing, out, {old, recent})
    killed = killed_mid_write(
        kamxl("recalc", big_book, "-o", out / "big.xlsx"), out, alive | {old, recent}
    )
    (dead,) = killed
    assert not (out / "big.xlsx").exists()
    elsewhere = dead.with_name(dead.name.replace("@", "@other-machine-", 1))
    elsewhere.write_bytes(b"another machine's run: kamxl cannot tell whether it is over")

    code, _, stderr = finished(kamxl("recalc", SAMPLE, "-o", out / "next.xlsx"))

    assert code == 0, stderr
    assert temporaries(out) == alive | {elsewhere, recent}


@pytest.mark.parametrize(("killed", "cleaner"), [("deck", "template"), ("sample", "deck")])
def test_a_killed_run_of_any_command_is_cleaned_up_by_the_next(
    killed: str, cleaner: str, tmp_path: Path
) -> None:
    args, output = writes(tmp_path)[killed]
    left = killed_mid_write(kamxl(*args, slow_disk=30.0), tmp_path)
    assert left and not output.exists()
    args, output = writes(tmp_path)[cleaner]
    code, _, stderr = finished(kamxl(*args))
    assert code == 0, stderr
    assert is_whole(output) and temporaries(tmp_path) == set()


def test_remove_unfinished_keeps_the_files_of_live_runs(tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    dead = killed_mid_write(
        kamxl("template", "-o", tmp_path / "a" / "t.xlsx", slow_disk=30.0), tmp_path
    )
    running = kamxl("template", "-o", tmp_path / "b" / "t.xlsx", slow_disk=30.0)
    alive = stop_mid_write(running, tmp_path, dead)
    assert set(remove_unfinished(tmp_path)) == dead
    assert temporaries(tmp_path) == alive
    running.kill()
    running.communicate(timeout=60)
    assert set(remove_unfinished(tmp_path)) == alive


def test_a_zombie_is_not_alive() -> None:
    from kamxl.files import process_alive

    sleeper = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        assert process_alive(sleeper.pid) and process_alive(os.getpid())
    finally:
        sleeper.kill()
    wait_for(lambda: state(sleeper.pid) == "Z")  # dead, not yet reaped by its parent (us)
    assert not process_alive(sleeper.pid)
    sleeper.wait()
    assert not process_alive(sleeper.pid) and not process_alive(0)


# --- SIGINT -------------------------------------------------------------------------------------


@pytest.mark.parametrize("command", COMMANDS)
def test_sigint_mid_write_exits_130_leaving_no_temporary_file(command: str, tmp_path: Path) -> None:
    args, output = writes(tmp_path)[command]
    run = kamxl(*args, slow_disk=30.0)
    stop_mid_write(run, tmp_path)
    os.kill(run.pid, signal.SIGINT)
    os.kill(run.pid, signal.SIGCONT)
    code, _, stderr = finished(run, timeout=60)
    assert (code, stderr) == (130, INTERRUPTED)
    assert not output.exists() and temporaries(tmp_path) == set()


def reading(run: subprocess.Popen[str], book: Path) -> None:
    """Wait until ``run`` has ``book`` open: it is inside its command."""
    target = str(book.resolve())

    def has_it_open() -> bool:
        if run.poll() is not None:
            raise AssertionError(f"ended before reading {book}: {run.communicate()}")
        folder = Path(f"/proc/{run.pid}/fd")
        try:
            return any(os.readlink(fd) == target for fd in folder.iterdir())
        except OSError:  # a descriptor closed meanwhile
            return False

    wait_for(has_it_open)


@pytest.mark.parametrize("command", ["check", "summary", "recalc", "deck"])
def test_sigint_while_reading_exits_130(command: str, big_book: Path, tmp_path: Path) -> None:
    extra = {"recalc": ["-o", tmp_path / "out.xlsx"], "deck": ["--all", "-o", tmp_path]}
    run = kamxl(command, big_book, *extra.get(command, []))
    reading(run, big_book)
    os.kill(run.pid, signal.SIGINT)
    code, stdout, stderr = finished(run, timeout=60)
    assert (code, stdout, stderr) == (130, "", INTERRUPTED)
    assert list(tmp_path.iterdir()) == []


def test_an_interrupt_a_finaliser_swallowed_still_stops_the_output(
    tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    """Ctrl-C landing in a ``__del__`` is swallowed by Python ("Exception ignored"); kamxl
    recorded it, so the file being written never takes its name, and nothing is printed."""
    from kamxl import interrupts
    from kamxl.files import atomic_write

    class Finaliser:
        def __del__(self) -> None:
            os.kill(os.getpid(), signal.SIGINT)  # the handler runs here, inside __del__
            time.sleep(0.01)

    def write(stream: BinaryIO) -> None:
        stream.write(b"half")
        Finaliser()  # collected at once: its KeyboardInterrupt is swallowed
        stream.write(b" and the rest")

    handler, hook = signal.getsignal(signal.SIGINT), sys.unraisablehook
    with interrupts.interrupts_caught(), pytest.raises(KeyboardInterrupt):
        atomic_write(tmp_path / "out.txt", write)
    assert list(tmp_path.iterdir()) == []
    assert "KeyboardInterrupt" not in capfd.readouterr().err
    # left behind as found: the handler, the hook, and no interrupt recorded
    assert (signal.getsignal(signal.SIGINT), sys.unraisablehook) == (handler, hook)
    assert atomic_write(tmp_path / "after.txt", b"later").read_bytes() == b"later"

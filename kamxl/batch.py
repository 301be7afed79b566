"""Batch runs: every deck of every workbook of a shared drive, robustly and fast.

:func:`run_batch` (``kamxl batch``) turns a set of workbooks into their decks:

- **one task per workbook**, run in parallel processes (or on a Dask cluster); a workbook
  or an account that fails is reported and skipped, never stopping the batch. A workbook
  that fails the check is a failure (its problems are the reason) unless ``keep_going``;
- **workers compute, the caller writes**: a task carries the workbook's bytes (and the
  template's), the worker returns each deck's bytes, and this process writes them into its
  own output folder. Workers need nothing of the caller's disk (a Dask worker on another
  machine), and only one process ever writes in the output folder;
- **incremental**: a workbook whose content, kamxl version, template and options are
  unchanged is not rebuilt (``.kamxl-batch-cache.json`` in the output folder); ``force``
  rebuilds. A workbook with a failure is never marked up to date, so the next run tries
  it again;
- **safe**: each deck is written atomically into a folder per workbook; a file at a deck's
  path that kamxl did not write (or that was changed since) is never replaced without
  ``force``, an input never; the output folder is locked while a batch runs in it, and the
  cache is saved as results come in, so an interrupted run resumes where it was. Workers
  die with the batch (SIGINT, SIGTERM, SIGKILL); batch never reads its own outputs
  (reports, anything in the output folder) as inputs;
- **consolidated**: the ``portfolio`` kind gives one portfolio review of the accounts of
  all the workbooks (:mod:`kamxl.workbook.merge`); it is never built without one of them
  (a workbook that failed is named instead), with an account in two workbooks, or across
  currencies without exchange rates;
- **reported**: every output with its source, every warning and failure with its reason,
  every workbook left out and why, in a JSON report and an ``.xlsx`` summary for managers
  (:func:`write_reports`).

Decks are deterministic (same inputs, same bytes), so a rebuild that changed nothing shows
no difference.
"""

from __future__ import annotations

import contextlib
import ctypes
import fnmatch
import glob
import hashlib
import io
import json
import multiprocessing
import os
import shutil
import signal
import socket
import sys
import tempfile
import threading
import time
import traceback
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import kamxl
from kamxl.errors import FileProblemError, KamxlError, OutputError
from kamxl.files import (
    atomic_write,
    make_folder,
    process_alive,
    process_started,
    remove_unfinished,
    safe_filename,
)

__all__ = [
    "BatchError",
    "BatchReport",
    "BatchUsageError",
    "DeckFile",
    "Failure",
    "LeftOut",
    "Output",
    "Task",
    "Terminated",
    "WorkbookResult",
    "build_workbook_decks",
    "excluded",
    "find_workbooks",
    "run_batch",
    "sigterm_as_interrupt",
    "write_reports",
]

CACHE_NAME = ".kamxl-batch-cache.json"
LOCK_NAME = ".kamxl-batch.lock"
PORTFOLIO_SOURCE = "(all workbooks)"
#: What marks a report kamxl batch wrote: the JSON's ``"report"`` and the ``.xlsx``
#: summary's custom document property ``kamxl`` (so that it may be replaced by the next
#: report, and is never read as a workbook).
REPORT_MARK = "kamxl batch"
_XLSX_MARK = "batch report"
_WORKBOOK_SUFFIXES = (".xlsx", ".xlsm")
_EXECUTORS = ("local", "dask")
#: How long to wait for a Dask scheduler to answer.
DASK_CONNECT_TIMEOUT = "20s"
#: Tasks sent ahead per worker: enough to keep them busy, few enough that the workbooks'
#: bytes waiting to be computed stay few in memory.
TASKS_AHEAD_PER_WORKER = 2
#: The exit code of a batch stopped by SIGTERM (128 + 15, the shell's convention).
SIGTERM_EXIT = 128 + 15
_SCRATCH_PREFIX = "kamxl-batch-"
_PR_SET_PDEATHSIG = 1  # linux/prctl.h
_LARGEST_REPORT = 64 * 2**20  # a JSON file larger than this is not read to be recognised


class BatchError(KamxlError):
    """The batch cannot start: the output folder is in use, the cluster is unreachable."""


class BatchUsageError(BatchError):
    """The batch was asked wrongly: a path that matches nothing, options that conflict."""


class Terminated(KeyboardInterrupt):
    """SIGTERM stopped the batch (:func:`sigterm_as_interrupt`): it stops as for Ctrl-C."""


@dataclass(frozen=True, slots=True)
class Output:
    """A deck of the batch: what, from which workbook, where; ``built`` is False for a deck
    left as it was because its workbook did not change."""

    source: str
    kind: str
    account_id: str | None
    path: str
    slides: int
    built: bool = True


@dataclass(frozen=True, slots=True)
class Failure:
    """Something the batch could not build, and why (``account_id`` None: the whole
    workbook)."""

    source: str
    account_id: str | None
    reason: str


@dataclass(frozen=True, slots=True)
class LeftOut:
    """A file the paths named that the batch did not take as a workbook, and why."""

    source: str
    reason: str


@dataclass(frozen=True, slots=True)
class FileBytes:
    """A file sent to a worker: its name and its content."""

    name: str
    data: bytes


@dataclass(frozen=True, slots=True)
class DeckFile:
    """A deck a worker built, for the caller to write: its file name, bytes and slides."""

    kind: str
    account_id: str | None
    name: str
    data: bytes
    slides: int


@dataclass(frozen=True, slots=True)
class Task:
    """One workbook to turn into decks (picklable: sent to worker processes or a cluster,
    with everything the worker needs: it reads nothing of the caller's disk)."""

    source: str  # the workbook's path on the caller's machine (names it in reports)
    workbook: FileBytes
    kinds: tuple[str, ...]  # per-account kinds (qbr, handshake); may be empty
    audience: str
    language: str | None
    template: FileBytes | None  # None: the default template of kamxl
    key: str  # what the outputs depend on: content, kamxl version, template, options
    keep_book: bool = False  # return the read workbook (to consolidate a portfolio)
    keep_going: bool = False  # build from a workbook that fails the check (figures missing)


@dataclass
class WorkbookResult:
    """What a task did to its workbook."""

    source: str
    key: str
    outputs: list[Output] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    failures: list[Failure] = field(default_factory=list)
    seconds: float = 0.0
    up_to_date: bool = False  # nothing to do: the decks of the last run stand
    book: Any = None  # the KamWorkbook, when the task asked for it
    decks: list[DeckFile] = field(default_factory=list)  # built, not yet written
    kamxl: str = kamxl.__version__  # the version that built the decks (a worker's)
    currency: str | None = None  # the portfolio's currency


@dataclass
class BatchReport:
    """The whole run: the JSON report is :meth:`as_dict`."""

    started: str
    finished: str = ""
    inputs: int = 0
    outputs: list[Output] = field(default_factory=list)
    up_to_date: list[str] = field(default_factory=list)  # workbooks not rebuilt
    warnings: list[dict[str, str]] = field(default_factory=list)
    failures: list[Failure] = field(default_factory=list)
    seconds: float = 0.0
    left_out: list[LeftOut] = field(default_factory=list)
    portfolio_currency: str | None = None  # the currency of the portfolio's amounts
    files: tuple[str, ...] = ()  # the report files written (JSON, .xlsx)

    @property
    def ok(self) -> bool:
        return not self.failures

    @property
    def built(self) -> list[Output]:
        return [o for o in self.outputs if o.built]

    def as_dict(self) -> dict[str, Any]:
        return {
            "report": REPORT_MARK,
            "kamxl": kamxl.__version__,
            "started": self.started,
            "finished": self.finished,
            "seconds": round(self.seconds, 3),
            "workbooks": self.inputs,
            "decks_built": len(self.built),
            "decks_up_to_date": len(self.outputs) - len(self.built),
            "workbooks_up_to_date": len(self.up_to_date),
            "workbooks_left_out": len(self.left_out),
            "failures_count": len(self.failures),
            "portfolio_currency": self.portfolio_currency,
            "outputs": [asdict(o) for o in self.outputs],
            "up_to_date": self.up_to_date,
            "left_out": [asdict(o) for o in self.left_out],
            "warnings": self.warnings,
            "failures": [asdict(f) for f in self.failures],
        }


# --- inputs ------------------------------------------------------------------------------------


def find_workbooks(paths: Iterable[str | Path], exclude: Sequence[str] = ()) -> list[Path]:
    """The workbooks named by ``paths``: files, folders (searched recursively) and glob
    patterns (``**`` included), each once, in a stable order, without those ``exclude``
    matches (:func:`excluded`). Excel's lock files (``~$...``) and hidden files are left
    out; a path that matches nothing is an error (a typo must not give an empty batch that
    looks successful)."""
    found = _workbooks_in(_named(paths))
    return [path for path, root in found.items() if excluded(path, exclude, root) is None]


def _named(paths: Iterable[str | Path]) -> list[Path]:
    """The files and folders ``paths`` name (glob patterns expanded)."""
    named: list[Path] = []
    for item in paths:
        text = str(item)
        if glob.has_magic(text):
            matches = sorted(Path(m) for m in glob.glob(text, recursive=True))
            if not matches:
                raise BatchUsageError(f"{text}: no file matches")
        else:
            matches = [Path(text)]
        for match in matches:
            if not match.exists():
                raise BatchUsageError(f"{match}: no such file or folder")
        named += matches
    return named


def _workbooks_in(named: Iterable[Path]) -> dict[Path, Path]:
    """The workbooks in the files and folders ``named``, each (resolved) with the folder
    it was found in (the folder named, or a named file's own folder)."""
    found: dict[Path, Path] = {}
    for match in named:
        if match.is_dir():
            candidates = sorted(
                p for p in match.rglob("*") if p.suffix.lower() in _WORKBOOK_SUFFIXES
            )
        else:
            candidates = [match]
        for candidate in candidates:
            if candidate.name.startswith(("~$", ".")) or candidate.is_dir():
                continue
            root = (match if match.is_dir() else match.parent).resolve()
            found.setdefault(candidate.resolve(), root)
    return found


def excluded(path: Path, patterns: Sequence[str], root: Path | None = None) -> str | None:
    """The first of ``patterns`` (``--exclude GLOB``) that leaves ``path`` out, or None.

    A pattern leaves a workbook out when it matches (:func:`fnmatch.fnmatch`: ``*``, ``?``,
    ``[abc]``; ``*`` also crosses folders) its file name, the name of one of its folders
    below ``root`` (the folder given on the command line), its path from ``root`` or from
    the current folder, or its whole path: ``'old*'``, ``archive``, ``'2025/*.xlsx'``,
    ``drive/test.xlsx``, ``'*/archive/*'``.
    """
    path = Path(path)
    names = [path.name, path.as_posix()]
    if root is not None and root in path.parents:
        inside = path.relative_to(root)
        names += [inside.as_posix(), *inside.parent.parts]
    with contextlib.suppress(ValueError):
        names.append(path.relative_to(Path.cwd()).as_posix())
    for pattern in patterns:
        if any(fnmatch.fnmatch(name, pattern) for name in names):
            return pattern
    return None


def _inputs(
    named: Sequence[Path], exclude: Sequence[str], out_dir: Path
) -> tuple[list[Path], list[LeftOut]]:
    """The workbooks of the batch, and the files left out: those ``exclude`` matches, and
    kamxl's own outputs (anything inside the output folder, a report of kamxl batch)."""
    out = out_dir.resolve()
    for folder in named:
        folder = folder.resolve()
        if folder.is_dir() and (folder == out or out in folder.parents):
            raise BatchUsageError(
                f"-o {out_dir}: holds the workbooks of {folder}; give an output folder "
                "outside the workbooks (the decks and the cache must not mix with them)"
            )
    workbooks: list[Path] = []
    left_out: list[LeftOut] = []
    for path, root in _workbooks_in(named).items():
        pattern = excluded(path, exclude, root)
        if pattern is not None:
            left_out.append(LeftOut(str(path), f"--exclude {pattern}"))
        elif out in path.parents:
            left_out.append(LeftOut(str(path), "inside the output folder: an output, not an input"))
        elif _is_report_xlsx(path):
            left_out.append(LeftOut(str(path), "a report of kamxl batch, not a workbook"))
        else:
            workbooks.append(path)
    return workbooks, left_out


def _folder_names(workbooks: Sequence[Path]) -> dict[Path, str]:
    """The output folder of each workbook: its name; workbooks of the same name get the
    shortest end of their folder path that tells them apart (``north/Q3.xlsx`` and
    ``south/Q3.xlsx`` -> ``north-Q3`` and ``south-Q3``), stable from run to run. Names are
    compared as a case-insensitive file system does."""
    depth = dict.fromkeys(workbooks, 0)
    while True:
        names = {path: _folder_name(path, depth[path]) for path in workbooks}
        same = Counter(names.values())  # a folder further up can only tell apart these
        folders: dict[str, set[Path]] = {}
        for path in workbooks:
            folders.setdefault(names[path], set()).add(path.parent)
        deeper = [
            p
            for p in workbooks
            if same[names[p]] > 1
            and len(folders[names[p]]) > 1  # in one folder (a.xlsx, a.XLSX): no folder helps
            and depth[p] < len(p.parent.parts) - 1
        ]
        if not deeper:
            break
        for path in deeper:
            depth[path] += 1
    clashes = Counter(name.casefold() for name in names.values())
    for path in workbooks:  # names a case-insensitive drive cannot tell apart: a digest
        if clashes[names[path].casefold()] > 1:
            digest = hashlib.sha256(str(path).encode()).hexdigest()[:8]
            names[path] = f"{names[path]}-{digest}"
    return names


def _folder_name(path: Path, depth: int) -> str:
    """``path``'s name with its ``depth`` last folders before it, joined by ``-``."""
    folders = path.parent.parts[1:][-depth:] if depth else ()
    return safe_filename("-".join([*(safe_filename(f) for f in folders), safe_filename(path.stem)]))


def _digest(path: Path) -> str:
    sha = hashlib.sha256()
    with path.open("rb") as stream:
        for block in iter(lambda: stream.read(1 << 20), b""):
            sha.update(block)
    return sha.hexdigest()


# --- reports of earlier runs -------------------------------------------------------------------


def _is_report_xlsx(path: Path) -> bool:
    """Whether ``path`` is an ``.xlsx`` summary kamxl batch wrote (its document property)."""
    from kamxl.workbook.package import Package

    try:
        with Package.open(path) as package:
            if not package.has("docProps/custom.xml"):
                return False
            properties = package.xml("docProps/custom.xml")
    except KamxlError:  # not readable: not a report (as an input, it fails with its reason)
        return False
    return any(
        node.tag.endswith("property")
        and node.get("name") == "kamxl"
        and "".join(node.itertext()) == _XLSX_MARK
        for node in properties.iter()
    )


def _is_report_json(path: Path) -> bool:
    """Whether ``path`` is a JSON report kamxl batch wrote (its ``"report"`` mark)."""
    try:
        if path.stat().st_size > _LARGEST_REPORT:
            return False
        data = json.loads(path.read_bytes())
    except (OSError, ValueError):
        return False
    return isinstance(data, dict) and data.get("report") == REPORT_MARK


def _report_files(path: Path) -> tuple[Path, Path]:
    """The JSON report at ``path`` and the ``.xlsx`` summary beside it."""
    path = Path(path).expanduser()
    if path.suffix.lower() in _WORKBOOK_SUFFIXES:
        raise BatchUsageError(
            f"--report {path}: give the JSON report's name (like report.json); the .xlsx "
            "summary is written beside it"
        )
    if path.name.startswith(".kamxl-"):  # the cache, the lock, an unfinished file
        raise BatchUsageError(f"--report {path}: that name is kamxl's own; choose another")
    return path, path.with_suffix(".xlsx")


def _check_report(path: Path, *, force: bool, inputs: Sequence[Path]) -> tuple[Path, Path]:
    """The report files, if they may be written: never over an input workbook, nor the
    ``.xlsx`` summary over any workbook kamxl batch did not write (``force`` or not); the
    JSON over an existing file only when it is a report of kamxl batch or ``force``."""
    targets = _report_files(path)
    identities = {_identity(p) for p in inputs}
    for target, ours in zip(targets, (_is_report_json, _is_report_xlsx), strict=True):
        if _identity(target) in identities - {None}:
            raise OutputError(
                target, "is one of the input workbooks; kamxl never overwrites its inputs"
            )
        if target.is_dir():
            raise OutputError(target, "is a folder, not a file")
        if (
            target is targets[1]
            and os.path.lexists(target)
            and (target.is_symlink() or not ours(target))
        ):  # a workbook (a left-out input, anyone's file): never replaced, --force or not
            raise OutputError(
                target,
                "is a workbook that kamxl batch did not write; the .xlsx summary never "
                "replaces one, --force or not: choose another --report name",
            )
        if os.path.lexists(target) and not force and (target.is_symlink() or not ours(target)):
            raise OutputError(
                target,
                "already exists and is not a report of kamxl batch (use --force to replace it)",
            )
    return targets


def write_reports(
    report: BatchReport, path: Path, *, force: bool = False, inputs: Sequence[Path] = ()
) -> tuple[Path, Path]:
    """The JSON report at ``path`` and the ``.xlsx`` summary beside it (same name), in a
    folder created if needed. An earlier report of kamxl batch is replaced; any other
    existing file only with ``force``; an input workbook never."""
    json_path, xlsx_path = _check_report(path, force=force, inputs=inputs)
    make_folder(json_path.parent)
    atomic_write(json_path, json.dumps(report.as_dict(), indent=2, ensure_ascii=False).encode())
    atomic_write(xlsx_path, summary_xlsx(report))
    return json_path, xlsx_path


# --- one workbook (in a worker) ----------------------------------------------------------------


def build_workbook_decks(task: Task) -> WorkbookResult:
    """Read one workbook and build its decks, a deck at a time (a bad account fails that
    account only; a bug is reported as an internal error, not raised). Runs in a worker,
    in a scratch folder of the worker's own: the decks come back as bytes."""
    from kamxl.deck.make import selected_accounts
    from kamxl.workbook.reader import read_workbook

    started = time.perf_counter()
    result = WorkbookResult(task.source, task.key)
    with _scratch() as scratch:
        local = scratch / safe_filename(task.workbook.name)
        places = {str(local): task.source, task.workbook.name: task.source}
        with _reported(result, None, places):
            _place(local, task.workbook.data)
            template = None
            if task.template is not None:
                template = scratch / "template" / safe_filename(task.template.name)
                places[str(template)] = task.template.name
                _place(template, task.template.data)
            book = read_workbook(local)
            book.path = Path(task.workbook.name)  # as the caller names it
            result.warnings = [str(p) for p in book.problems if not p.is_error or task.keep_going]
            if not task.keep_going:
                book.require_valid()  # a workbook that fails the check gives no deck
            if task.keep_book:
                result.book = book
            for account in selected_accounts(book) if task.kinds else []:
                for kind in task.kinds:
                    with _reported(result, account, places):
                        result.decks += _rendered(
                            book,
                            kind,
                            account,
                            scratch,
                            audience=task.audience,
                            language=task.language,
                            template=template,
                            warn=result.warnings.append,
                        )
    result.seconds = time.perf_counter() - started
    return result


def _place(path: Path, data: bytes) -> None:
    """Write a worker's own copy of a file into its scratch folder."""
    try:
        path.parent.mkdir(exist_ok=True)
        path.write_bytes(data)
    except OSError as error:
        raise OutputError(
            path, f"cannot be written (the worker's copy): {error.strerror or error}"
        ) from None


def _rendered(
    book: Any,
    kind: str,
    account: str | None,
    scratch: Path,
    *,
    audience: str,
    language: str | None,
    template: Path | None,
    warn: Callable[[str], None] | None = None,
) -> list[DeckFile]:
    """The deck of ``kind`` for ``account`` (None: the portfolio), built in ``scratch``
    under the name the deck would have anywhere, and read back as bytes. A deck whose core
    is missing is not built: ``warn`` says why (without it, it is a failure)."""
    from kamxl.deck.context import Audience
    from kamxl.deck.make import DeckKind, make_decks

    folder = scratch / "decks"
    folder.mkdir(exist_ok=True)
    built = make_decks(
        book,
        folder,
        [DeckKind(kind)],
        accounts=[account] if account is not None else (),
        audience=Audience(audience),
        language=language,
        template=template,
        overwrite=True,
        keep_going=True,  # checked by the caller
        warn=warn,
    )
    decks = []
    for deck in built:
        decks.append(
            DeckFile(
                deck.kind.value,
                deck.account_id,
                deck.path.name,
                deck.path.read_bytes(),
                deck.slides,
            )
        )
        deck.path.unlink()
    return decks


@contextlib.contextmanager
def _reported(
    result: WorkbookResult, account: str | None, places: dict[str, str] | None = None
) -> Iterator[None]:
    """Turn an error into a failure of ``result`` (of the account, or the whole workbook).

    ``places`` maps a worker's own copy of a file to the caller's path of it, so that a
    reason names the file as the caller knows it.
    """
    try:
        yield
    except KamxlError as error:
        reason = str(error)
        if isinstance(error, FileProblemError) and str(error.path) in (places or {}):
            reason = f"{(places or {})[str(error.path)]}: {error.reason}"
        result.failures.append(Failure(result.source, account, reason))
    except Exception as error:  # a bug must not stop the batch: report it where it happened
        where = traceback.extract_tb(error.__traceback__)[-1]
        reason = (
            f"internal error {type(error).__name__}: {error} "
            f"({Path(where.filename).name}:{where.lineno}); please report it"
        )
        result.failures.append(Failure(result.source, account, reason))


@contextlib.contextmanager
def _scratch() -> Iterator[Path]:
    """A private folder of this process in the system's temporary folder, removed after
    use; the folders a killed process left (its process is gone) are removed first."""
    base = Path(tempfile.gettempdir())
    for leftover in base.glob(f"{_SCRATCH_PREFIX}*-*"):
        owner = leftover.name[len(_SCRATCH_PREFIX) :].split("-", 1)[0]
        if owner.isdigit() and not process_alive(int(owner)) and not leftover.is_symlink():
            shutil.rmtree(leftover, ignore_errors=True)
    folder = Path(tempfile.mkdtemp(prefix=f"{_SCRATCH_PREFIX}{os.getpid()}-", dir=base))
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


# --- workers die with the batch ----------------------------------------------------------------


def _worker_started(batch: int) -> None:
    """Set up a worker process of the local pool: it dies with the batch ``batch`` however
    the batch ends (SIGKILL included), leaves Ctrl-C to the batch, and holds none of the
    caller's terminal or pipes (everything it has to say comes back in its results)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C reaches the whole process group
    if hasattr(signal, "SIGTERM"):
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
    if sys.platform.startswith("linux"):  # the kernel kills us when the batch dies
        with contextlib.suppress(OSError, AttributeError):
            ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    if os.getppid() != batch:  # it died before that was in place
        os._exit(1)
    threading.Thread(target=_watch_batch, args=(batch,), daemon=True).start()
    devnull = os.open(os.devnull, os.O_RDWR)
    for stream in (0, 1, 2):
        os.dup2(devnull, stream)
    os.close(devnull)


def _watch_batch(batch: int) -> None:
    """In a worker: end the process as soon as the batch that started it is gone (every
    platform; the end of the parent's sentinel pipe, or a new parent process id)."""
    parent = multiprocessing.parent_process()
    if parent is not None:
        parent.join()
    else:
        while os.getppid() == batch:
            time.sleep(0.5)
    os._exit(1)


@contextlib.contextmanager
def sigterm_as_interrupt() -> Iterator[None]:
    """Within: SIGTERM (what ``timeout``, cron and CI send) stops the batch as Ctrl-C does,
    raising :class:`Terminated`: the workers are stopped, the lock released, the decks
    written so far are whole. A second SIGTERM ends the process at once."""
    if not hasattr(signal, "SIGTERM") or threading.current_thread() is not threading.main_thread():
        yield
        return

    def stop(signum: int, frame: Any) -> None:
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        raise Terminated

    previous = signal.signal(signal.SIGTERM, stop)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


# --- the output folder, the cache and the lock -------------------------------------------------


class _OutputFolder:
    """The output folder as the batch writes it: decks arrive as bytes, each is written
    atomically; a file in the way is replaced only when kamxl wrote it (as recorded in the
    cache, unchanged since) or with ``force``; an input workbook never.

    What kamxl writes is recorded before it is written (``save`` saves the record): a
    batch killed while writing leaves no deck of its own that the next run would take for
    a user's file.
    """

    def __init__(
        self,
        root: Path,
        written: dict[str, list[str]],
        force: bool,
        inputs: Sequence[Path],
        save: Callable[[], None],
    ) -> None:
        self.root = root
        self.written = written  # path inside root -> sha256 of what kamxl wrote there
        self.force = force
        self.save = save
        self._inputs = {_identity(p) for p in inputs} - {None}

    def write_decks(self, result: WorkbookResult, folder: str) -> None:
        """Write the decks of ``result`` into ``folder`` (a workbook's own; "" for the
        output folder itself); each deck written is an output, each refused a failure."""
        ready: list[tuple[DeckFile, Path, str]] = []
        for deck in result.decks:
            with _reported(result, deck.account_id):
                path = self._target(folder, deck.name)
                digest = hashlib.sha256(deck.data).hexdigest()
                standing = self._standing(path)  # what is there: kamxl's, or forced away
                self.written[self._key(path)] = [*standing, digest]
                ready.append((deck, path, digest))
        if ready:
            self.save()
        for deck, path, digest in ready:
            with _reported(result, deck.account_id):
                atomic_write(path, deck.data)
                self.written[self._key(path)] = [digest]
                result.outputs.append(
                    Output(result.source, deck.kind, deck.account_id, str(path), deck.slides)
                )
        result.decks = []

    def _target(self, folder: str, name: str) -> Path:
        """Where the deck ``name`` of ``folder`` goes, the folder made."""
        place = self.root / folder if folder else self.root
        try:
            place.mkdir(exist_ok=True)
        except FileExistsError:
            raise OutputError(place, "is a file, not a folder: kamxl writes decks there") from None
        except OSError as error:
            raise OutputError(place, f"cannot be created: {error.strerror or error}") from None
        if place.resolve() != self.root.resolve() / folder or Path(name).name != name:
            raise OutputError(place / name, f"would be written outside {self.root}")
        return place / name

    def _key(self, path: Path) -> str:
        return path.relative_to(self.root).as_posix()

    def _standing(self, path: Path) -> list[str]:
        """The digest of the file at ``path`` when kamxl may replace it (none when there
        is no file); raises when it may not: an input, or a file kamxl did not write (or
        that was changed since) without ``force``."""
        if _identity(path) in self._inputs:
            raise OutputError(
                path, "is one of the input workbooks; kamxl never overwrites its inputs"
            )
        if not os.path.lexists(path):
            return []
        if self.force:
            return []
        recorded = self.written.get(self._key(path), [])
        if path.is_symlink() or not recorded:
            raise OutputError(
                path, "already exists and kamxl did not write it (use --force to replace it)"
            )
        digest = _digest(path)
        if digest not in recorded:
            raise OutputError(path, "was changed since kamxl wrote it (use --force to replace it)")
        return [digest]


def _identity(path: Path) -> tuple[int, int] | None:
    """The file ``path`` is (device, inode), through links; None when there is none."""
    try:
        status = os.stat(path)
    except OSError:
        return None
    return status.st_dev, status.st_ino


def _load_cache(out_dir: Path) -> tuple[dict[str, Any], dict[str, list[str]]]:
    """The entries of the last runs (empty for another kamxl version or a damaged cache),
    and the files kamxl wrote in ``out_dir`` with their digests (whatever the version: a
    deck written by an older kamxl is still kamxl's; two digests for a file that was being
    replaced when a run was killed)."""
    try:
        data = json.loads((out_dir / CACHE_NAME).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}, {}
    if not isinstance(data, dict):
        return {}, {}
    written = data.get("written")
    written = {
        str(k): [str(d) for d in v]
        for k, v in (written.items() if isinstance(written, dict) else ())
        if isinstance(v, list) and os.path.lexists(out_dir / str(k))
    }
    entries = data.get("workbooks") if data.get("kamxl") == kamxl.__version__ else None
    return (entries if isinstance(entries, dict) else {}), written


def _save_cache(
    out_dir: Path, entries: dict[str, Any], written: dict[str, list[str]], report: BatchReport
) -> None:
    """Save the cache; if it cannot be written (a full disk), say so once in the report and
    go on: the decks stand, the next run just rebuilds more."""
    data = {"kamxl": kamxl.__version__, "workbooks": entries, "written": written}
    try:
        atomic_write(out_dir / CACHE_NAME, json.dumps(data, indent=1, sort_keys=True).encode())
    except OutputError as error:
        warning = {"source": str(out_dir), "message": f"the batch cache was not saved: {error}"}
        if warning not in report.warnings:
            report.warnings.append(warning)


def _fresh(entry: Any, key: str) -> bool:
    """Whether a cache entry is for ``key`` and its decks are all still there."""
    return (
        isinstance(entry, dict)
        and entry.get("key") == key
        and all(Path(o["path"]).is_file() for o in entry.get("outputs", []))
    )


@contextlib.contextmanager
def _locked(out_dir: Path) -> Iterator[None]:
    """Refuse a second batch on the same output folder; the lock of a run that died (its
    process is gone, on this machine) is taken over."""
    lock = out_dir / LOCK_NAME
    holder = {
        "pid": os.getpid(),
        "host": socket.gethostname(),
        "started": process_started(os.getpid()),
    }
    for _attempt in range(2):
        try:
            handle = os.open(lock, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
        except FileExistsError:
            try:
                owner = lock.read_text(encoding="utf-8").strip()
            except OSError:
                owner = ""
            if _holder_gone(owner):
                lock.unlink(missing_ok=True)
                continue
            raise BatchError(
                f"{out_dir} is in use by another kamxl batch ({_holder_text(owner)}); wait "
                f"for it to finish, or delete {lock.name} there if no batch is running"
            ) from None
        with os.fdopen(handle, "w") as stream:
            stream.write(json.dumps(holder))
        break
    try:
        yield
    finally:
        lock.unlink(missing_ok=True)


def _holder(owner: str) -> dict[str, Any]:
    """What a lock file says of its holder (a bare process id: an older kamxl's lock)."""
    if owner.isdigit():
        return {"pid": int(owner), "host": socket.gethostname(), "started": None}
    with contextlib.suppress(ValueError):
        data = json.loads(owner)
        if isinstance(data, dict) and isinstance(data.get("pid"), int):
            return data
    return {}


def _holder_gone(owner: str) -> bool:
    """Whether the holder of a lock is known to be gone: a process of this machine that
    no longer runs, or whose id now belongs to a process started at another time."""
    holder = _holder(owner)
    if not holder or holder.get("host") != socket.gethostname():
        return False
    pid = holder["pid"]
    if not process_alive(pid):
        return True
    started = holder.get("started")
    return started is not None and process_started(pid) not in (None, started)


def _holder_text(owner: str) -> str:
    holder = _holder(owner)
    if not holder:
        return "process ?"
    here = holder.get("host") == socket.gethostname()
    return f"process {holder['pid']}" + ("" if here else f" on {holder.get('host')}")


# --- running -----------------------------------------------------------------------------------


Progress = Callable[[WorkbookResult, int, int], None]


def run_batch(
    paths: Sequence[str | Path],
    out_dir: Path,
    *,
    kinds: Sequence[str] = ("qbr",),
    audience: str = "internal",
    language: str | None = None,
    template: Path | None = None,
    jobs: int | None = None,
    force: bool = False,
    executor: str = "local",
    scheduler: str | None = None,
    progress: Progress | None = None,
    keep_going: bool = False,
    exclude: Sequence[str] = (),
    rates: Path | None = None,
    report: Path | None = None,
) -> BatchReport:
    """Build the decks of every workbook of ``paths`` into ``out_dir``.

    ``kinds``: ``qbr`` and ``handshake`` (for each key account of each workbook) and
    ``portfolio`` (one review of all the workbooks' accounts; ``rates``: an exchange-rates
    file, :func:`kamxl.workbook.merge.read_rates`, for workbooks in several currencies).
    ``jobs``: worker processes (default: all cores). ``exclude``: glob patterns of paths
    to leave out (:func:`excluded`). ``progress`` is called once per workbook, as it
    finishes. A workbook that fails the check is a failure (its problems listed) unless
    ``keep_going``: then its decks show each figure that depends on a bad cell as missing.
    ``force`` rebuilds everything and replaces files in the way that kamxl did not write
    (never an input). ``report``: where to write the JSON report and its ``.xlsx`` summary
    (:func:`write_reports`), checked before anything is built.
    """
    from kamxl.deck.make import deck_kinds
    from kamxl.deck.template import DEFAULT_TEMPLATE, load_template
    from kamxl.workbook.merge import read_rates

    kinds = [kind.value for kind in deck_kinds(kinds)]
    consolidate = "portfolio" in kinds
    _check_use(kinds, audience, executor, jobs, rates)
    out_dir = Path(out_dir).expanduser().absolute()  # the report names decks wherever it is read
    report_folder = _report_files(report)[0].parent if report is not None else None
    workbooks, left_out = _inputs(_named(paths), exclude, out_dir)
    if not workbooks:
        raise BatchUsageError(
            "no workbook (.xlsx, .xlsm) in "
            + ", ".join(map(str, paths))
            + (f" ({len(left_out)} file(s) left out)" if left_out else "")
        )
    if report is not None:
        _check_report(report, force=force, inputs=workbooks)
    exchange = read_rates(rates) if rates is not None else None
    template_file = None
    if template is not None:
        load_template(template)  # checked once, here: a bad template is one clear error
        template_file = FileBytes(Path(template).name, Path(template).read_bytes())
    for folder in (out_dir, report_folder):
        if folder is not None:
            make_folder(folder)
    template_digest = (
        hashlib.sha256(template_file.data).hexdigest()
        if template_file
        else _digest(Path(DEFAULT_TEMPLATE))
    )
    per_account = tuple(k for k in kinds if k != "portfolio")
    options = json.dumps([per_account, audience, language, template_digest, keep_going])
    result_report = BatchReport(
        datetime.now().isoformat(timespec="seconds"), inputs=len(workbooks), left_out=left_out
    )
    started = time.perf_counter()
    folders = _folder_names(workbooks)
    with _locked(out_dir):
        unfinished = remove_unfinished(out_dir)
        if unfinished:
            result_report.warnings.append(
                {
                    "source": str(out_dir),
                    "message": f"removed {len(unfinished)} unfinished file(s) of an "
                    "interrupted run",
                }
            )
        cache, written = _load_cache(out_dir)
        if force:
            cache = {}
        entries = dict(cache)
        destination = _OutputFolder(
            out_dir,
            written,
            force,
            workbooks,
            lambda: _save_cache(out_dir, entries, written, result_report),
        )
        keys = {p: _hash(_digest(p), options) for p in workbooks}
        portfolio_key = _hash(
            *(f"{p}={keys[p]}" for p in workbooks),
            options,
            "portfolio",
            json.dumps(asdict(exchange), sort_keys=True) if exchange else "",
        )
        portfolio_fresh = consolidate and _fresh(cache.get(PORTFOLIO_SOURCE), portfolio_key)
        planned: list[tuple[Path, tuple[str, ...]]] = []
        for path in workbooks:
            fresh = _fresh(cache.get(str(path)), keys[path])
            if fresh:
                entry = cache[str(path)]
                result_report.up_to_date.append(str(path))
                result_report.outputs += [Output(**o, built=False) for o in entry["outputs"]]
                result_report.warnings += [
                    {"source": str(path), "message": w} for w in entry["warnings"]
                ]
            if not fresh or (consolidate and not portfolio_fresh):
                planned.append((path, () if fresh else per_account))
        tasks = (
            _task(
                path,
                options,
                kinds=kinds_of_it,
                audience=audience,
                language=language,
                template=template_file,
                keep_book=consolidate and not portfolio_fresh,
                keep_going=keep_going,
            )
            for path, kinds_of_it in planned
        )
        books: dict[str, Any] = {}
        standing = set(result_report.up_to_date)
        try:
            done = len(workbooks) - len(planned)
            results = contextlib.closing(_execute(tasks, len(planned), jobs, executor, scheduler))
            with results as finished:  # closed at once on an interruption: workers stop
                for result in finished:
                    done += 1
                    _same_kamxl(result)
                    destination.write_decks(result, folders[Path(result.source)])
                    if result.book is not None:
                        result.book.path = Path(result.source)
                        books[result.source] = result.book
                    if result.source in standing:  # read for the portfolio only
                        result.up_to_date = True
                        result_report.failures += result.failures
                    else:
                        _record(result, result_report, entries)
                        # an interrupted run resumes from here
                        _save_cache(out_dir, entries, written, result_report)
                    if progress is not None:
                        progress(result, done, len(workbooks))
            if consolidate and portfolio_fresh:
                entry = cache[PORTFOLIO_SOURCE]
                result_report.outputs += [Output(**o, built=False) for o in entry["outputs"]]
                result_report.warnings += [
                    {"source": PORTFOLIO_SOURCE, "message": w} for w in entry["warnings"]
                ]
                result_report.portfolio_currency = entry.get("currency")
            elif consolidate:
                missing = [str(p) for p in workbooks if str(p) not in books]
                result = _consolidated_portfolio(
                    [books[str(p)] for p in workbooks if str(p) in books],
                    missing,
                    destination,
                    language=language,
                    template=template,
                    rates=exchange,
                )
                result.key = portfolio_key
                result_report.portfolio_currency = result.currency
                _record(result, result_report, entries)
        finally:
            _save_cache(out_dir, entries, written, result_report)
    result_report.outputs.sort(key=lambda o: (o.source, o.kind, o.account_id or ""))
    result_report.failures.sort(key=lambda f: (f.source, f.account_id or ""))
    result_report.seconds = time.perf_counter() - started
    result_report.finished = datetime.now().isoformat(timespec="seconds")
    if report is not None:
        try:
            files = write_reports(result_report, report, force=force, inputs=workbooks)
        except OutputError as error:  # the decks stand: say so with the rest of the outcome
            result_report.failures.append(
                Failure(str(report), None, f"the report was not written: {error}")
            )
        else:
            result_report.files = tuple(map(str, files))
    return result_report


def _check_use(
    kinds: Sequence[str], audience: str, executor: str, jobs: int | None, rates: Path | None
) -> None:
    """Refuse options that contradict each other (usage errors, before anything is read)."""
    consolidate = "portfolio" in kinds
    if executor not in _EXECUTORS:
        raise BatchUsageError(f"executor {executor!r}: use one of {', '.join(_EXECUTORS)}")
    if consolidate and audience == "client":
        raise BatchUsageError("the portfolio review is internal: it has no client version")
    if jobs is not None and jobs < 1:
        raise BatchUsageError(f"--jobs {jobs}: give at least 1")
    if rates is not None and not consolidate:
        raise BatchUsageError(
            "--rates converts the portfolio's amounts: use it with --kind portfolio"
        )


def _task(path: Path, options: str, **settings: Any) -> Task | WorkbookResult:
    """The task of the workbook at ``path``: its bytes (checked as a package first, so that
    a file too large is refused before it is read), the key of those very bytes and
    ``settings``; or the failure of a workbook that cannot be read."""
    from kamxl.workbook.package import Package

    source = str(path)
    try:
        with Package.open(path):
            pass
        data = path.read_bytes()
    except KamxlError as error:
        return WorkbookResult(source, "", failures=[Failure(source, None, str(error))])
    except OSError as error:
        reason = f"{path}: cannot be read: {error.strerror or error}"
        return WorkbookResult(source, "", failures=[Failure(source, None, reason)])
    key = _hash(hashlib.sha256(data).hexdigest(), options)
    return Task(source, FileBytes(path.name, data), key=key, **settings)


def _same_kamxl(result: WorkbookResult) -> None:
    """A result built by another version of kamxl (a cluster worker not upgraded) is a
    failure: its decks would not be the ones this version builds."""
    if result.kamxl != kamxl.__version__:
        result.decks, result.outputs, result.book = [], [], None
        result.failures.append(
            Failure(
                result.source,
                None,
                f"the worker runs kamxl {result.kamxl}, this machine kamxl "
                f"{kamxl.__version__}: install the same version on the workers",
            )
        )


def _record(result: WorkbookResult, report: BatchReport, entries: dict[str, Any]) -> None:
    """Add what a workbook gave to the report, and to the cache if it all went well (a
    workbook with a failure is tried again next run)."""
    report.outputs += result.outputs
    report.failures += result.failures
    report.warnings += [{"source": result.source, "message": w} for w in result.warnings]
    if result.failures:
        entries.pop(result.source, None)
    else:
        entries[result.source] = {
            "key": result.key,
            "outputs": [_cached(o) for o in result.outputs],
            "warnings": result.warnings,
        }
        if result.currency is not None:
            entries[result.source]["currency"] = result.currency


def _hash(*parts: str) -> str:
    return hashlib.sha256("|".join((kamxl.__version__, *parts)).encode()).hexdigest()


def _cached(output: Output) -> dict[str, Any]:
    record = asdict(output)
    del record["built"]
    return record


Item = Task | WorkbookResult  # a task to run, or a workbook that failed before it could be sent


def _execute(
    items: Iterable[Item], count: int, jobs: int | None, executor: str, scheduler: str | None
) -> Iterator[WorkbookResult]:
    """The results of ``items`` (``count`` of them), as they finish."""
    if not count:
        return
    if executor == "dask":
        yield from _on_dask(items, scheduler)
        return
    workers = min(jobs or os.cpu_count() or 1, count)
    if workers == 1:
        for item in items:
            yield item if isinstance(item, WorkbookResult) else build_workbook_decks(item)
        return
    pool = ProcessPoolExecutor(
        max_workers=workers,
        mp_context=multiprocessing.get_context("spawn"),  # no inherited threads or handlers
        initializer=_worker_started,
        initargs=(os.getpid(),),
    )
    finished = False
    try:
        yield from _as_they_finish(
            items,
            lambda task: pool.submit(build_workbook_decks, task),
            lambda pending: wait(pending, return_when=FIRST_COMPLETED).done,
            workers * TASKS_AHEAD_PER_WORKER,
        )
        finished = True
    finally:
        if finished:
            pool.shutdown(wait=True)
        else:  # interrupted: the workers stop now, not after their workbook
            _stop_workers(pool)


def _stop_workers(pool: ProcessPoolExecutor) -> None:
    """End the pool's worker processes at once (an interrupted batch)."""
    kill = getattr(pool, "kill_workers", None)  # Python 3.14
    if kill is not None:
        kill()
    else:
        for process in list((getattr(pool, "_processes", None) or {}).values()):
            with contextlib.suppress(Exception):
                process.kill()
    pool.shutdown(wait=False, cancel_futures=True)


def _as_they_finish(
    items: Iterable[Item],
    submit: Callable[[Task], Any],
    first_done: Callable[[set[Any]], Iterable[Any]],
    ahead: int,
) -> Iterator[WorkbookResult]:
    """Submit ``items`` (at most ``ahead`` waiting at a time: a workbook's bytes are read
    when it is sent) and yield their results as they finish."""
    items = iter(items)
    pending: dict[Any, Task] = {}
    more = True
    while True:
        while more and len(pending) < ahead:
            item = next(items, None)
            if item is None:
                more = False
            elif isinstance(item, WorkbookResult):
                yield item
            else:
                try:
                    pending[submit(item)] = item
                except Exception as error:  # the pool broke: a worker was killed
                    yield _stopped(item, error)
        if not pending:
            return
        for future in first_done(set(pending)):
            yield _result(future, pending.pop(future))


def _result(future: Any, task: Task) -> WorkbookResult:
    """A finished future's result; a worker that died is a failure of its workbook."""
    try:
        return future.result()
    except Exception as error:
        return _stopped(task, error)


def _stopped(task: Task, error: Exception) -> WorkbookResult:
    """The failure of a workbook whose worker stopped (killed, out of memory)."""
    reason = f"the worker building it stopped ({type(error).__name__}: {error})"
    return WorkbookResult(task.source, task.key, failures=[Failure(task.source, None, reason)])


def _on_dask(items: Iterable[Item], scheduler: str | None) -> Iterator[WorkbookResult]:
    """The same tasks on an existing Dask cluster (``pip install 'kamxl[dask]'``).

    The workers need kamxl (the same version) installed, nothing else: each task carries
    its workbook's bytes, each result its decks' bytes.
    """
    try:
        from dask.distributed import Client
        from dask.distributed import wait as dask_wait
    except ImportError:
        raise BatchError("the dask executor needs Dask: pip install 'kamxl[dask]'") from None
    if not scheduler:
        raise BatchUsageError(
            "--executor dask needs --scheduler ADDRESS (like tcp://10.0.0.5:8786)"
        )
    try:
        client = Client(scheduler, timeout=DASK_CONNECT_TIMEOUT)
    except (OSError, TimeoutError) as error:
        raise BatchError(f"cannot reach the Dask scheduler at {scheduler}: {error}") from None
    with client:
        threads = sum(client.nthreads().values())
        yield from _as_they_finish(
            items,
            lambda task: client.submit(build_workbook_decks, task, pure=False),
            lambda pending: dask_wait(list(pending), return_when="FIRST_COMPLETED").done,
            max(threads, 2) * TASKS_AHEAD_PER_WORKER,
        )


def _consolidated_portfolio(
    books: list[Any],
    missing: list[str],
    destination: _OutputFolder,
    *,
    language: str | None,
    template: Path | None,
    rates: Any,
) -> WorkbookResult:
    """One portfolio review of the accounts of all ``books``; none when a workbook of the
    batch is ``missing`` (it failed): a portfolio without it would show wrong totals."""
    from kamxl.workbook.merge import merge_workbooks

    result = WorkbookResult(PORTFOLIO_SOURCE, "")
    if missing:
        listed = ", ".join(missing[:5]) + (
            f" and {len(missing) - 5} more" if len(missing) > 5 else ""
        )
        result.failures.append(
            Failure(
                PORTFOLIO_SOURCE,
                None,
                f"the portfolio is not built: {len(missing)} workbook(s) failed and would be "
                f"missing from it ({listed}); fix them, or leave them out with --exclude to "
                "build the portfolio of the others",
            )
        )
        return result
    with _reported(result, None):
        merged, result.warnings = merge_workbooks(
            sorted(books, key=lambda b: str(b.path)), rates=rates
        )
        result.currency = merged.settings.currency
        with _scratch() as scratch:
            result.decks = _rendered(
                merged,
                "portfolio",
                None,
                scratch,
                audience="internal",
                language=language,
                template=template,
            )
        destination.write_decks(result, "")
    return result


# --- reports -----------------------------------------------------------------------------------


def summary_xlsx(report: BatchReport) -> bytes:
    """A workbook for managers: the counts, then every deck, failure, warning and workbook
    left out. It carries kamxl's mark (a document property), so that a later batch
    recognises it: replaced by the next report, never read as a workbook.

    Every text is written as text (XlsxWriter's ``write_string``): a text from a workbook
    starting with ``=``, ``+``, ``-`` or ``@`` never becomes a formula here.
    """
    import xlsxwriter

    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True})
    book.set_custom_property("kamxl", _XLSX_MARK)
    bold = book.add_format({"bold": True})
    data = report.as_dict()
    counts = [
        ("kamxl", data["kamxl"]),
        ("Started", data["started"]),
        ("Finished", data["finished"]),
        ("Seconds", data["seconds"]),
        ("Workbooks", data["workbooks"]),
        ("Workbooks up to date", data["workbooks_up_to_date"]),
        ("Workbooks left out", data["workbooks_left_out"]),
        ("Decks built", data["decks_built"]),
        ("Decks up to date", data["decks_up_to_date"]),
        ("Failures", data["failures_count"]),
        ("Warnings", len(data["warnings"])),
        ("Portfolio currency", data["portfolio_currency"]),
    ]
    sheet = book.add_worksheet("Summary")
    for i, (label, value) in enumerate(counts):
        sheet.write_string(i, 0, label, bold)
        _write(sheet, i, 1, value)
    sheet.set_column(0, 0, 22)
    sheet.set_column(1, 1, 22)
    tables = {
        "Decks": (["source", "kind", "account_id", "path", "slides", "built"], data["outputs"]),
        "Failures": (["source", "account_id", "reason"], data["failures"]),
        "Warnings": (["source", "message"], data["warnings"]),
        "Left out": (["source", "reason"], data["left_out"]),
    }
    for title, (columns, records) in tables.items():
        sheet = book.add_worksheet(title)
        for j, column in enumerate(columns):
            sheet.write_string(0, j, column, bold)
        for i, record in enumerate(records, start=1):
            for j, column in enumerate(columns):
                _write(sheet, i, j, record.get(column))
        sheet.set_column(0, len(columns) - 1, 30)
        sheet.freeze_panes(1, 0)
        if records:
            sheet.autofilter(0, 0, len(records), len(columns) - 1)
    book.close()
    return buffer.getvalue()


def _write(sheet: Any, row: int, column: int, value: Any) -> None:
    if isinstance(value, bool):
        sheet.write_boolean(row, column, value)
    elif isinstance(value, int | float):
        sheet.write_number(row, column, value)
    elif value is not None:
        sheet.write_string(row, column, str(value))

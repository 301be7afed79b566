"""Batch runs: every deck of every workbook of a shared drive, robustly and fast.

:func:`run_batch` (``kamxl batch``) turns a set of workbooks into their decks:

- **one task per workbook**, run in parallel processes (or on a Dask cluster); a workbook
  or an account that fails is reported and skipped, never stopping the batch;
- **incremental**: a workbook whose content, kamxl version, template and options are
  unchanged is not rebuilt (``.kamxl-batch-cache.json`` in the output folder); ``force``
  rebuilds. A workbook with a failure is never marked up to date, so the next run tries
  it again;
- **safe**: each deck is written atomically (an interrupted run leaves no half-written
  deck) into a folder per workbook; the output folder is locked while a batch runs in it,
  and the cache is saved as results come in, so an interrupted run resumes where it was;
- **consolidated**: the ``portfolio`` kind gives one portfolio review of the accounts of
  all the workbooks (an ``account_id`` found in two workbooks is reported, counted once);
- **reported**: every output with its source, every warning and failure with its reason, in
  a JSON report and an ``.xlsx`` summary for managers (:func:`write_reports`).

Decks are deterministic (same inputs, same bytes), so a rebuild that changed nothing shows
no difference.
"""

from __future__ import annotations

import contextlib
import glob
import hashlib
import io
import json
import os
import time
import traceback
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor, as_completed
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import kamxl
from kamxl.errors import KamxlError, OutputError
from kamxl.files import atomic_write, remove_unfinished, safe_filename

__all__ = [
    "BatchError",
    "BatchReport",
    "BatchUsageError",
    "Failure",
    "Output",
    "Task",
    "WorkbookResult",
    "build_workbook_decks",
    "find_workbooks",
    "run_batch",
    "write_reports",
]

CACHE_NAME = ".kamxl-batch-cache.json"
LOCK_NAME = ".kamxl-batch.lock"
PORTFOLIO_SOURCE = "(all workbooks)"
_WORKBOOK_SUFFIXES = (".xlsx", ".xlsm")
_EXECUTORS = ("local", "dask")
#: How long to wait for a Dask scheduler to answer.
DASK_CONNECT_TIMEOUT = "20s"


class BatchError(KamxlError):
    """The batch cannot start: the output folder is in use, the cluster is unreachable."""


class BatchUsageError(BatchError):
    """The batch was asked wrongly: a path that matches nothing, options that conflict."""


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
class Task:
    """One workbook to turn into decks (picklable: sent to worker processes or a cluster)."""

    source: str
    out_dir: str  # this workbook's own folder
    kinds: tuple[str, ...]  # per-account kinds (qbr, handshake); may be empty
    audience: str
    language: str | None
    template: str | None
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

    @property
    def ok(self) -> bool:
        return not self.failures

    @property
    def built(self) -> list[Output]:
        return [o for o in self.outputs if o.built]

    def as_dict(self) -> dict[str, Any]:
        return {
            "kamxl": kamxl.__version__,
            "started": self.started,
            "finished": self.finished,
            "seconds": round(self.seconds, 3),
            "workbooks": self.inputs,
            "decks_built": len(self.built),
            "decks_up_to_date": len(self.outputs) - len(self.built),
            "workbooks_up_to_date": len(self.up_to_date),
            "failures_count": len(self.failures),
            "outputs": [asdict(o) for o in self.outputs],
            "up_to_date": self.up_to_date,
            "warnings": self.warnings,
            "failures": [asdict(f) for f in self.failures],
        }


# --- inputs ------------------------------------------------------------------------------------


def find_workbooks(paths: Iterable[str | Path]) -> list[Path]:
    """The workbooks named by ``paths``: files, folders (searched recursively) and glob
    patterns (``**`` included), each once, in a stable order. Excel's lock files (``~$...``)
    and hidden files are left out; a path that matches nothing is an error (a typo must not
    give an empty batch that looks successful)."""
    found: dict[Path, None] = {}
    for item in paths:
        text = str(item)
        if glob.has_magic(text):
            matches = sorted(Path(m) for m in glob.glob(text, recursive=True))
            if not matches:
                raise BatchUsageError(f"{text}: no file matches")
        else:
            matches = [Path(text)]
        for match in matches:
            if match.is_dir():
                candidates = sorted(
                    p for p in match.rglob("*") if p.suffix.lower() in _WORKBOOK_SUFFIXES
                )
            elif match.exists():
                candidates = [match]
            else:
                raise BatchUsageError(f"{match}: no such file or folder")
            for candidate in candidates:
                if candidate.name.startswith(("~$", ".")) or candidate.is_dir():
                    continue
                found[candidate.resolve()] = None
    return list(found)


def _folder_names(workbooks: Sequence[Path]) -> dict[Path, str]:
    """The output folder of each workbook: its name, made unique (and stable from run to
    run) with a short digest of its path when two workbooks share a name."""
    names = {path: safe_filename(path.stem) for path in workbooks}
    clashes = Counter(name.casefold() for name in names.values())
    return {
        path: name
        if clashes[name.casefold()] == 1
        else f"{name}-{hashlib.sha256(str(path).encode()).hexdigest()[:8]}"
        for path, name in names.items()
    }


def _digest(path: Path) -> str:
    sha = hashlib.sha256()
    with path.open("rb") as stream:
        for block in iter(lambda: stream.read(1 << 20), b""):
            sha.update(block)
    return sha.hexdigest()


# --- one workbook ------------------------------------------------------------------------------


def build_workbook_decks(task: Task) -> WorkbookResult:
    """Read one workbook and build its decks, a deck at a time (a bad account fails that
    account only; a bug is reported as an internal error, not raised). Runs in a worker."""
    from kamxl.deck.context import Audience
    from kamxl.deck.make import DeckKind, make_decks, selected_accounts
    from kamxl.workbook.reader import read_workbook

    started = time.perf_counter()
    result = WorkbookResult(task.source, task.key)
    with _reported(result, None):
        book = read_workbook(Path(task.source))
        result.warnings = [str(p) for p in book.problems if not p.is_error or task.keep_going]
        if not task.keep_going:
            book.require_valid()  # a workbook that fails the check gives no deck
        if task.keep_book:
            result.book = book
        if task.kinds:
            out = Path(task.out_dir)
            out.mkdir(parents=True, exist_ok=True)
            for account in selected_accounts(book):
                for kind in task.kinds:
                    with _reported(result, account):
                        built = make_decks(
                            book,
                            out,
                            [DeckKind(kind)],
                            accounts=[account],
                            audience=Audience(task.audience),
                            language=task.language,
                            template=Path(task.template) if task.template else None,
                            overwrite=True,
                            keep_going=True,  # checked above
                        )
                        result.outputs += [
                            Output(task.source, b.kind.value, b.account_id, str(b.path), b.slides)
                            for b in built
                        ]
    result.seconds = time.perf_counter() - started
    return result


@contextlib.contextmanager
def _reported(result: WorkbookResult, account: str | None) -> Iterator[None]:
    """Turn an error into a failure of ``result`` (of the account, or the whole workbook)."""
    try:
        yield
    except KamxlError as error:
        result.failures.append(Failure(result.source, account, str(error)))
    except Exception as error:  # a bug must not stop the batch: report it where it happened
        where = traceback.extract_tb(error.__traceback__)[-1]
        reason = (
            f"internal error {type(error).__name__}: {error} "
            f"({Path(where.filename).name}:{where.lineno}); please report it"
        )
        result.failures.append(Failure(result.source, account, reason))


# --- the cache and the lock --------------------------------------------------------------------


def _load_cache(out_dir: Path) -> dict[str, Any]:
    """The entries of the last runs (empty for another kamxl version or a damaged cache)."""
    try:
        data = json.loads((out_dir / CACHE_NAME).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    if not isinstance(data, dict) or data.get("kamxl") != kamxl.__version__:
        return {}
    entries = data.get("workbooks")
    return entries if isinstance(entries, dict) else {}


def _save_cache(out_dir: Path, entries: dict[str, Any], report: BatchReport) -> None:
    """Save the cache; if it cannot be written (a full disk), say so once in the report and
    go on: the decks stand, the next run just rebuilds more."""
    data = {"kamxl": kamxl.__version__, "workbooks": entries}
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
    process is gone) is taken over."""
    lock = out_dir / LOCK_NAME
    for _attempt in range(2):
        try:
            handle = os.open(lock, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
        except FileExistsError:
            try:
                owner = lock.read_text(encoding="utf-8").strip()
            except OSError:
                owner = ""
            if owner.isdigit() and not _alive(int(owner)):
                lock.unlink(missing_ok=True)
                continue
            raise BatchError(
                f"{out_dir} is in use by another kamxl batch (process {owner or '?'}); wait "
                f"for it to finish, or delete {lock.name} there if no batch is running"
            ) from None
        with os.fdopen(handle, "w") as stream:
            stream.write(str(os.getpid()))
        break
    try:
        yield
    finally:
        lock.unlink(missing_ok=True)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process
        return True
    return True


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
) -> BatchReport:
    """Build the decks of every workbook of ``paths`` into ``out_dir``.

    ``kinds``: ``qbr`` and ``handshake`` (for each key account of each workbook) and
    ``portfolio`` (one review of all the workbooks' accounts). ``jobs``: worker processes
    (default: all cores). ``progress`` is called once per workbook, as it finishes.
    A workbook that fails the check is a failure (its problems listed) unless
    ``keep_going``: then its decks show each figure that depends on a bad cell as missing.
    """
    from kamxl.deck.make import deck_kinds
    from kamxl.deck.template import DEFAULT_TEMPLATE

    kinds = [kind.value for kind in deck_kinds(kinds)]
    if executor not in _EXECUTORS:
        raise BatchUsageError(f"executor {executor!r}: use one of {', '.join(_EXECUTORS)}")
    if "portfolio" in kinds and audience == "client":
        raise BatchUsageError("the portfolio review is internal: it has no client version")
    if jobs is not None and jobs < 1:
        raise BatchUsageError(f"--jobs {jobs}: give at least 1")
    workbooks = find_workbooks(paths)
    if not workbooks:
        raise BatchUsageError("no workbook (.xlsx, .xlsm) in " + ", ".join(map(str, paths)))
    out_dir = Path(out_dir)
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise OutputError(out_dir, f"cannot be created: {error.strerror or error}") from None
    per_account = tuple(k for k in kinds if k != "portfolio")
    consolidate = "portfolio" in kinds
    options = json.dumps(
        [per_account, audience, language, _digest(Path(template or DEFAULT_TEMPLATE)), keep_going]
    )
    report = BatchReport(datetime.now().isoformat(timespec="seconds"), inputs=len(workbooks))
    started = time.perf_counter()
    folders = _folder_names(workbooks)
    with _locked(out_dir):
        unfinished = remove_unfinished(out_dir)
        if unfinished:
            report.warnings.append(
                {
                    "source": str(out_dir),
                    "message": f"removed {len(unfinished)} unfinished file(s) of an "
                    "interrupted run",
                }
            )
        cache = {} if force else _load_cache(out_dir)
        entries = dict(cache)
        keys = {p: _hash(_digest(p), options) for p in workbooks}
        portfolio_key = _hash(*(f"{p}={keys[p]}" for p in workbooks), options, "portfolio")
        portfolio_fresh = consolidate and _fresh(cache.get(PORTFOLIO_SOURCE), portfolio_key)
        tasks: list[Task] = []
        for path in workbooks:
            fresh = _fresh(cache.get(str(path)), keys[path])
            if fresh:
                entry = cache[str(path)]
                report.up_to_date.append(str(path))
                report.outputs += [Output(**o, built=False) for o in entry["outputs"]]
                report.warnings += [{"source": str(path), "message": w} for w in entry["warnings"]]
            if fresh and (portfolio_fresh or not consolidate):
                continue
            tasks.append(
                Task(
                    str(path),
                    str(out_dir / folders[path]),
                    () if fresh else per_account,
                    audience,
                    language,
                    str(template) if template else None,
                    keys[path],
                    keep_book=consolidate and not portfolio_fresh,
                    keep_going=keep_going,
                )
            )
        books = []
        standing = set(report.up_to_date)
        try:
            done = len(workbooks) - len(tasks)
            for result in _execute(tasks, jobs, executor, scheduler):
                done += 1
                if result.book is not None:
                    books.append(result.book)
                if result.source in standing:  # read for the portfolio only
                    result.up_to_date = True
                    report.failures += result.failures
                else:
                    _record(result, report, entries)
                    _save_cache(out_dir, entries, report)  # an interrupted run resumes from here
                if progress is not None:
                    progress(result, done, len(workbooks))
            if consolidate and portfolio_fresh:
                entry = cache[PORTFOLIO_SOURCE]
                report.outputs += [Output(**o, built=False) for o in entry["outputs"]]
                report.warnings += [
                    {"source": PORTFOLIO_SOURCE, "message": w} for w in entry["warnings"]
                ]
            elif consolidate:
                result = _consolidated_portfolio(books, out_dir, language, template)
                result.key = portfolio_key
                _record(result, report, entries)
        finally:
            _save_cache(out_dir, entries, report)
    report.outputs.sort(key=lambda o: (o.source, o.kind, o.account_id or ""))
    report.failures.sort(key=lambda f: (f.source, f.account_id or ""))
    report.seconds = time.perf_counter() - started
    report.finished = datetime.now().isoformat(timespec="seconds")
    return report


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


def _hash(*parts: str) -> str:
    return hashlib.sha256("|".join((kamxl.__version__, *parts)).encode()).hexdigest()


def _cached(output: Output) -> dict[str, Any]:
    record = asdict(output)
    del record["built"]
    return record


def _execute(
    tasks: list[Task], jobs: int | None, executor: str, scheduler: str | None
) -> Iterator[WorkbookResult]:
    """The results of ``tasks``, as they finish."""
    if not tasks:
        return
    if executor == "dask":
        yield from _on_dask(tasks, scheduler)
        return
    workers = min(jobs or os.cpu_count() or 1, len(tasks))
    if workers == 1:
        for task in tasks:
            yield build_workbook_decks(task)
        return
    pool = ProcessPoolExecutor(max_workers=workers)
    try:
        futures: dict[Future[WorkbookResult], Task] = {
            pool.submit(build_workbook_decks, task): task for task in tasks
        }
        for future in as_completed(futures):
            yield _result(future, futures[future])
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def _result(future: Any, task: Task) -> WorkbookResult:
    """A finished future's result; a worker that died is a failure of its workbook."""
    try:
        return future.result()
    except Exception as error:
        reason = f"the worker building it stopped ({type(error).__name__}: {error})"
        return WorkbookResult(task.source, task.key, failures=[Failure(task.source, None, reason)])


def _on_dask(tasks: list[Task], scheduler: str | None) -> Iterator[WorkbookResult]:
    """The same tasks on an existing Dask cluster (``pip install 'kamxl[dask]'``).

    The workers need kamxl installed and the workbooks and the output folder at the same
    paths (a shared drive).
    """
    try:
        from dask.distributed import Client
        from dask.distributed import as_completed as finished
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
        futures = client.map(build_workbook_decks, tasks, pure=False)
        by_key = {future.key: task for future, task in zip(futures, tasks, strict=True)}
        for future in finished(futures):
            yield _result(future, by_key[future.key])


def _consolidated_portfolio(
    books: list[Any], out_dir: Path, language: str | None, template: Path | None
) -> WorkbookResult:
    """One portfolio review of the accounts of all ``books``."""
    from kamxl.deck.make import DeckKind, make_decks
    from kamxl.workbook.merge import merge_workbooks

    result = WorkbookResult(PORTFOLIO_SOURCE, "")
    if not books:
        result.failures.append(Failure(PORTFOLIO_SOURCE, None, "no workbook could be read"))
        return result
    with _reported(result, None):
        merged, result.warnings = merge_workbooks(sorted(books, key=lambda b: str(b.path)))
        built = make_decks(
            merged,
            out_dir,
            [DeckKind.PORTFOLIO],
            language=language,
            template=template,
            overwrite=True,
            keep_going=True,  # each workbook was checked by its task
        )
        result.outputs += [
            Output(PORTFOLIO_SOURCE, b.kind.value, None, str(b.path), b.slides) for b in built
        ]
    return result


# --- reports -----------------------------------------------------------------------------------


def write_reports(report: BatchReport, path: Path) -> tuple[Path, Path]:
    """The JSON report at ``path`` and the ``.xlsx`` summary beside it (same name)."""
    path = Path(path)
    if not path.parent.is_dir():
        raise OutputError(path, f"folder {path.parent} does not exist")
    atomic_write(path, json.dumps(report.as_dict(), indent=2, ensure_ascii=False).encode())
    summary = path.with_suffix(".xlsx")
    atomic_write(summary, summary_xlsx(report))
    return path, summary


def summary_xlsx(report: BatchReport) -> bytes:
    """A workbook for managers: the counts, then every deck, failure and warning.

    Every text is written as text (XlsxWriter's ``write_string``): a text from a workbook
    starting with ``=``, ``+``, ``-`` or ``@`` never becomes a formula here.
    """
    import xlsxwriter

    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True})
    bold = book.add_format({"bold": True})
    data = report.as_dict()
    counts = [
        ("kamxl", data["kamxl"]),
        ("Started", data["started"]),
        ("Finished", data["finished"]),
        ("Seconds", data["seconds"]),
        ("Workbooks", data["workbooks"]),
        ("Workbooks up to date", data["workbooks_up_to_date"]),
        ("Decks built", data["decks_built"]),
        ("Decks up to date", data["decks_up_to_date"]),
        ("Failures", data["failures_count"]),
        ("Warnings", len(data["warnings"])),
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

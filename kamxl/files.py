"""Writing output files safely.

kamxl never leaves a half-written file and never overwrites a user's file unless asked:

- :func:`atomic_write` writes to a temporary file in the destination folder, flushes it to
  disk, then renames it over the destination in one step (a reader sees the old file or the
  new one, never a mix; a crash leaves at most a ``.kamxl-*.tmp`` file behind); without
  ``overwrite`` the last step never replaces a file, even one that appeared meanwhile;
- :func:`check_output` refuses an existing output without ``overwrite=True`` and an output
  that is one of the inputs;
- a temporary file's name tells its owner (``.kamxl-<pid>@<host>.<random>.tmp``): the next
  kamxl that writes in the folder removes the ones whose process is dead (a run killed
  mid-write), never those of a process still running (:func:`remove_unfinished`);
- a symbolic link at the output path is never written through: it counts as an existing
  output (even when it points nowhere), one pointing to an input is refused as the input,
  and with ``overwrite=True`` the link itself is replaced by the new file -- the file it
  pointed to is left untouched (docs/security.md);
- :func:`safe_filename` turns an account name into a file name that stays inside the output
  folder, whatever the name holds (``../``, slashes and their Unicode look-alikes, reserved
  Windows names, control characters), and that any file system takes (255 bytes at most,
  with :func:`safe_output_path`).
"""

from __future__ import annotations

import contextlib
import errno
import os
import re
import socket
import stat
import sys
import tempfile
import threading
import time
import unicodedata
from collections.abc import Callable, Iterator
from functools import cache
from pathlib import Path
from typing import BinaryIO

from kamxl.characters import clean_text
from kamxl.errors import OutputError
from kamxl.interrupts import raise_if_interrupted

__all__ = [
    "atomic_write",
    "check_output",
    "process_alive",
    "remove_own_unfinished",
    "remove_unfinished",
    "safe_filename",
    "safe_output_path",
    "scratch_file",
]

_TEMP_PREFIX = ".kamxl-"
_TEMP_SUFFIX = ".tmp"
#: A temporary file of kamxl names its owner: ``.kamxl-<pid>@<host>.<random>.tmp``.
_OWNED_TEMP = re.compile(r"^\.kamxl-(?P<pid>[0-9]+)@(?P<host>[A-Za-z0-9_-]+)\.[a-z0-9_]+\.tmp$")
#: The temporary files of kamxl 0.1 named no owner (``.kamxl-<8 random>.tmp``): one not
#: changed for :data:`UNOWNED_TEMP_AGE` seconds is from a run long dead.
_UNOWNED_TEMP = re.compile(r"^\.kamxl-[a-z0-9_]{8}\.tmp$")
UNOWNED_TEMP_AGE = 24 * 3600
#: Errors of ``link`` on a file system without hard links (FAT, some network shares).
_NO_HARD_LINKS = frozenset(
    {errno.EPERM, errno.ENOTSUP, errno.EOPNOTSUPP, errno.ENOSYS, errno.EXDEV, errno.EMLINK}
)
_EXISTS = "already exists (use --force to replace it)"
#: The temporary files this process is writing now (their names), and the folders it wrote
#: temporary files in (swept of dead runs' files once, emptied of its own on an interrupt).
_writing: set[str] = set()
_folders: set[str] = set()
_registry = threading.Lock()

#: Device names Windows reserves, with or without an extension (``NUL.txt``, ``COM¹``).
_WINDOWS_RESERVED = re.compile(
    r"^(con|prn|aux|nul|com[0-9¹²³]|lpt[0-9¹²³]|conin\$|conout\$)\s*(\..*)?$", re.IGNORECASE
)
#: Path separators, characters Windows refuses and the bidirectional marks, kept by
#: :func:`kamxl.characters.clean_text` (which drops the control characters, the overrides
#: that can disguise an extension, "report\u202excod.pptx", and lone surrogates first).
_UNSAFE_CHARACTERS = re.compile(r'[<>:"/\\|?*\u061c\u200e\u200f]+')
#: ASCII characters that mean something in a path: a look-alike (fullwidth "／", "．", one
#: dot leader "․") is replaced by its ASCII form before the rules above apply.
_PATH_SIGNIFICANT = frozenset('./\\:*?"<>|')
#: The longest file name of the common file systems: 255 bytes (ext4, APFS) or 255 UTF-16
#: units (NTFS); 255 bytes of UTF-8 fit both.
MAX_NAME_BYTES = 255
_ELLIPSIS = "…"


def make_folder(folder: Path) -> Path:
    """Create the output ``folder`` (and its parents) if missing; one that cannot be made
    is an :class:`~kamxl.errors.OutputError` naming it, not a traceback."""
    try:
        Path(folder).mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise OutputError(Path(folder), f"cannot be created: {error.strerror or error}") from None
    return Path(folder)


def check_output(path: Path, *, overwrite: bool = False, inputs: tuple[Path, ...] = ()) -> Path:
    """Validate an output path before any work is done; returns it resolved."""
    target = Path(path).expanduser()
    for source in inputs:
        if _same_file(target, Path(source)):
            raise OutputError(target, "is an input file; kamxl never overwrites its inputs")
    if os.path.lexists(target) and not overwrite:  # a link, even a dangling one, exists
        raise OutputError(target, _EXISTS)
    if target.is_dir():
        raise OutputError(target, "is a folder, not a file")
    if not target.parent.exists():
        raise OutputError(target, f"folder {target.parent} does not exist")
    return target


def _same_file(a: Path, b: Path) -> bool:
    try:
        return a.samefile(b)
    except OSError:  # one of them does not exist
        return a.resolve() == b.resolve()


# --- temporary files and their owners ----------------------------------------------------------


@cache
def _host() -> str:
    """This machine's name as it appears in a temporary file's name."""
    return re.sub(r"[^A-Za-z0-9-]+", "_", socket.gethostname()).strip("_")[:63] or "localhost"


def _owned_temporary(folder: Path, output: Path) -> tuple[int, Path]:
    """A new temporary file in ``folder``, for ``output``, named after this process (open
    descriptor, path) and recorded as being written; the dead runs' files of ``folder`` are
    removed first."""
    _sweep_once(folder)
    prefix = f"{_TEMP_PREFIX}{os.getpid()}@{_host()}."
    try:
        handle, name = tempfile.mkstemp(prefix=prefix, suffix=_TEMP_SUFFIX, dir=folder)
    except OSError as error:
        raise OutputError(output, f"cannot write in {folder}: {error.strerror or error}") from error
    temp = Path(name)
    with _registry:
        _writing.add(temp.name)
    return handle, temp


def _release(temp: Path, *, remove: bool) -> None:
    """``temp`` is no longer being written (and is deleted, with ``remove``)."""
    if remove:
        temp.unlink(missing_ok=True)
    with _registry:
        _writing.discard(temp.name)


@contextlib.contextmanager
def scratch_file(folder: Path) -> Iterator[Path]:
    """An empty file in ``folder`` for an intermediate result (the sample's draft workbook),
    named and cleaned up as :func:`atomic_write`'s temporary files are: deleted at the end,
    or, if the process is killed, by the next kamxl writing in ``folder``."""
    handle, temp = _owned_temporary(Path(folder), Path(folder))
    os.close(handle)
    try:
        yield temp
    finally:
        _release(temp, remove=True)


def process_alive(pid: int) -> bool:
    """Whether process ``pid`` runs on this machine (a zombie, dead but not yet reaped by its
    parent, does not)."""
    if pid <= 0:
        return False
    if sys.platform == "win32":  # os.kill would end the process there
        return _windows_process_alive(pid)
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process
        return True
    return not _zombie(pid)


def _stat(pid: int) -> list[str] | None:
    """The fields of ``/proc/PID/stat`` after the command's name (state first); None where
    there is no /proc (macOS, Windows) or no such process."""
    try:
        status = Path(f"/proc/{pid}/stat").read_text(encoding="ascii", errors="replace")
    except OSError:
        return None
    return status.rpartition(")")[2].split()


def _zombie(pid: int) -> bool:
    fields = _stat(pid)  # no /proc: a zombie counts as alive, which keeps its files
    return bool(fields) and fields[0] in ("Z", "X")


def process_started(pid: int) -> str | None:
    """When process ``pid`` started (Linux: clock ticks since boot), to tell it from a
    later process that got the same id; None where this is not known."""
    fields = _stat(pid)
    return fields[19] if fields and len(fields) > 19 else None


def _windows_process_alive(pid: int) -> bool:  # pragma: no cover - Windows only
    import ctypes

    kernel32 = ctypes.WinDLL("kernel32", use_last_error=True)  # type: ignore[attr-defined]
    handle = kernel32.OpenProcess(0x1000, False, pid)  # PROCESS_QUERY_LIMITED_INFORMATION
    if not handle:
        return ctypes.get_last_error() == 5  # ERROR_ACCESS_DENIED: it exists
    try:
        code = ctypes.c_ulong()
        if not kernel32.GetExitCodeProcess(handle, ctypes.byref(code)):
            return True
        return code.value == 259  # STILL_ACTIVE
    finally:
        kernel32.CloseHandle(handle)


def _owner_gone(entry: os.DirEntry[str]) -> bool:
    """Whether the temporary file ``entry`` was left by a kamxl that is no longer running.

    A file of this process is gone unless it is being written now; one of another process of
    this machine, when that process has ended; one of another machine is never judged (kamxl
    cannot see its processes: that machine's next run removes it). A file of kamxl 0.1, which
    named no owner, is gone when nothing changed it for :data:`UNOWNED_TEMP_AGE` seconds.
    """
    match = _OWNED_TEMP.match(entry.name)
    if match is None:
        if not _UNOWNED_TEMP.match(entry.name):
            return False
        try:
            return time.time() - entry.stat(follow_symlinks=False).st_mtime > UNOWNED_TEMP_AGE
        except OSError:
            return False
    if match["host"] != _host():
        return False
    pid = int(match["pid"])
    if pid == os.getpid():
        with _registry:
            return entry.name not in _writing
    return not process_alive(pid)


def _temporaries(folder: Path) -> list[os.DirEntry[str]]:
    """The temporary files of kamxl directly in ``folder`` (links excluded)."""
    try:
        with os.scandir(folder) as entries:
            return [
                entry
                for entry in entries
                if entry.name.startswith(_TEMP_PREFIX)
                and entry.name.endswith(_TEMP_SUFFIX)
                and entry.is_file(follow_symlinks=False)
            ]
    except OSError:
        return []


def _remove(entries: list[os.DirEntry[str]]) -> list[Path]:
    removed = []
    for entry in entries:
        try:
            os.unlink(entry.path)
        except OSError:  # removed by another run meanwhile, or still open (Windows)
            continue
        removed.append(Path(entry.path))
    return removed


def _sweep(folder: Path) -> list[Path]:
    """Remove the temporary files of dead kamxl runs directly in ``folder``."""
    return _remove([entry for entry in _temporaries(folder) if _owner_gone(entry)])


def _sweep_once(folder: Path) -> None:
    """:func:`_sweep` ``folder`` the first time this process writes in it."""
    key = os.path.abspath(folder)
    with _registry:
        first = key not in _folders
        _folders.add(key)
    if first:
        _sweep(Path(key))


def remove_unfinished(folder: Path) -> list[Path]:
    """Delete the temporary files that interrupted kamxl runs left in ``folder`` and below
    (the ``.kamxl-*.tmp`` of :func:`atomic_write`; nothing else); returns them.

    Only the files of runs that are over are removed: a file whose owner (named in it) is
    still running is being written and is kept, as is one of another machine (see
    :func:`_owner_gone`). Symbolic links to folders are not followed.
    """
    removed: list[Path] = []
    for here, _dirs, _files in os.walk(folder):
        removed += _sweep(Path(here))
    return removed


def remove_own_unfinished() -> list[Path]:
    """Delete every temporary file of this process, in every folder it wrote in; returns
    them. For an interrupted command, just before it exits: whatever it was writing will
    never be finished."""
    with _registry:
        folders = sorted(_folders)
        _writing.clear()
    mine = f"{_TEMP_PREFIX}{os.getpid()}@{_host()}."
    removed: list[Path] = []
    for folder in folders:
        removed += _remove([e for e in _temporaries(Path(folder)) if e.name.startswith(mine)])
    return removed


@contextlib.contextmanager
def _temporary_beside(path: Path) -> Iterator[tuple[BinaryIO, Path]]:
    handle, temp = _owned_temporary(path.parent, path)
    try:
        with os.fdopen(handle, "wb") as stream:
            yield stream, temp
            stream.flush()
            os.fsync(stream.fileno())
    except OutputError:
        _release(temp, remove=True)
        raise
    except OSError as error:  # a full disk often shows only when the data is flushed
        _release(temp, remove=True)
        raise OutputError(path, f"cannot be written: {error.strerror or error}") from error
    except BaseException:
        _release(temp, remove=True)
        raise


def atomic_write(
    path: Path, write: Callable[[BinaryIO], None] | bytes, *, overwrite: bool = True
) -> Path:
    """Write ``path`` atomically: ``write`` gets a binary stream (or ``bytes`` are written).

    The file appears complete at ``path`` or not at all. With ``overwrite=False`` an existing
    file is never replaced, even one that appeared while this one was being written (another
    run, the user saving): :class:`~kamxl.errors.OutputError` "already exists", and nothing
    is changed. The permissions of an existing file at ``path`` are kept; a new file gets the
    usual ``0o666 & ~umask``. When ``path`` is a symbolic link, the rename replaces the link
    itself with a new file (with the usual permissions): the file the link pointed to is
    neither written nor changed.
    """
    path = Path(path)
    with _temporary_beside(path) as (stream, temp):
        try:
            if isinstance(write, bytes):
                stream.write(write)
            else:
                write(stream)
        except OSError as error:
            raise OutputError(path, f"cannot be written: {error.strerror or error}") from error
    try:
        raise_if_interrupted()  # a Ctrl-C swallowed while writing: no output appears
        _copy_mode(path, temp)
        _publish(temp, path, overwrite=overwrite)
    except OutputError:
        _release(temp, remove=True)
        raise
    except OSError as error:
        _release(temp, remove=True)
        raise OutputError(path, f"cannot be written: {error.strerror or error}") from error
    except BaseException:
        _release(temp, remove=True)
        raise
    _release(temp, remove=False)
    return path


def _publish(temp: Path, path: Path, *, overwrite: bool) -> None:
    """Give the finished ``temp`` its name ``path`` in one step; without ``overwrite``, a
    step that fails if ``path`` exists (a hard link then the temporary name removed, or on
    Windows a rename, which never replaces), so that no file is replaced unasked."""
    if overwrite:
        os.replace(temp, path)
        return
    if sys.platform == "win32":  # pragma: no cover - Windows only
        try:
            os.rename(temp, path)
        except FileExistsError:
            raise OutputError(path, _EXISTS) from None
        return
    try:
        os.link(temp, path)
    except FileExistsError:  # a link, even a dangling one, exists
        raise OutputError(path, _EXISTS) from None
    except OSError as error:
        if error.errno not in _NO_HARD_LINKS:
            raise
        if os.path.lexists(path):  # a file system without hard links: checked, then renamed
            raise OutputError(path, _EXISTS) from None
        os.replace(temp, path)
        return
    with contextlib.suppress(OSError):  # published: a name left over is swept up later
        temp.unlink()


def _copy_mode(existing: Path, temp: Path) -> None:
    try:
        status = existing.lstat()
        if stat.S_ISLNK(status.st_mode):  # the link is replaced: its target's mode is not ours
            raise FileNotFoundError(existing)
        mode = status.st_mode & 0o7777
    except FileNotFoundError:
        umask = os.umask(0)
        os.umask(umask)
        mode = 0o666 & ~umask
    os.chmod(temp, mode)


def safe_filename(
    name: str, *, default: str = "untitled", max_length: int = 100, max_bytes: int = 200
) -> str:
    """A file name built from ``name`` that cannot leave its folder or upset Windows.

    Drops the characters no deck text holds either (:func:`kamxl.characters.clean_text`:
    controls, bidirectional overrides, invisible characters; line breaks and tabs become
    spaces), so a file is named as its slides show the account. Keeps letters (accents
    included), digits, spaces, dots, dashes and underscores; turns path separators,
    characters Windows refuses and bidirectional marks (and their Unicode look-alikes) into
    ``_``; never returns ``.``, ``..``, an empty name, a hidden name or a reserved Windows
    device name. A name longer than ``max_length`` characters or
    ``max_bytes`` bytes of UTF-8 is shortened in the middle (``head…tail``), so that what
    ends it -- the kind of deck, the period, "(client)" -- is kept.
    """
    text = unicodedata.normalize("NFC", clean_text(str(name), one_line=True))
    text = "".join(_ascii_if_path_significant(char) for char in text)
    text = _UNSAFE_CHARACTERS.sub("_", text)
    text = re.sub(r"_+", "_", re.sub(r"\s+", " ", text))
    text = text.lstrip(" ._-").rstrip(" ._")  # all of it before the reserved-name check
    if _WINDOWS_RESERVED.match(text):  # prefixed before shortening: the limits hold after
        text = f"{default}_{text}"
    text = _shorten(text, max_length, max_bytes).lstrip(" ._-").rstrip(" ._")
    return text or default


def _ascii_if_path_significant(char: str) -> str:
    if char == _ELLIPSIS:  # what shortening inserts: a name is kept as it is made
        return char
    folded = unicodedata.normalize("NFKC", char)
    return folded if folded != char and not _PATH_SIGNIFICANT.isdisjoint(folded) else char


def _utf8_size(text: str) -> int:
    return len(text.encode("utf-8"))


def _head(text: str, length: int, size: int) -> str:
    """The longest start of ``text`` of at most ``length`` characters and ``size`` bytes."""
    text = text[: max(length, 0)]
    return text.encode("utf-8")[: max(size, 0)].decode("utf-8", "ignore")


def _shorten(text: str, max_length: int, max_bytes: int) -> str:
    """``text`` within both limits, cut in the middle: ``head…tail``."""
    if len(text) <= max_length and _utf8_size(text) <= max_bytes:
        return text
    tail = _head(text[::-1], max_length // 3, max_bytes // 3)[::-1].lstrip()
    room = max_length - len(tail) - len(_ELLIPSIS)
    head = _head(text, room, max_bytes - _utf8_size(tail) - _utf8_size(_ELLIPSIS)).rstrip()
    return f"{head}{_ELLIPSIS}{tail}"


def safe_output_path(folder: Path, name: str, suffix: str) -> Path:
    """``folder / (safe_filename(name) + suffix)``, checked to lie inside ``folder``; the
    whole file name fits in :data:`MAX_NAME_BYTES` bytes."""
    folder = Path(folder)
    room = MAX_NAME_BYTES - _utf8_size(suffix)
    candidate = folder / f"{safe_filename(name, max_bytes=min(200, room))}{suffix}"
    if candidate.parent != folder or candidate.resolve().parent != folder.resolve():
        raise OutputError(candidate, f"would be written outside {folder}")
    return candidate

"""Writing output files safely.

kamxl never leaves a half-written file and never overwrites a user's file unless asked:

- :func:`atomic_write` writes to a temporary file in the destination folder, flushes it to
  disk, then renames it over the destination in one step (a reader sees the old file or the
  new one, never a mix; a crash leaves at most a ``.kamxl-*.tmp`` file behind);
- :func:`check_output` refuses an existing output without ``overwrite=True`` and an output
  that is one of the inputs;
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
import os
import re
import stat
import tempfile
import unicodedata
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import BinaryIO

from kamxl.characters import clean_text
from kamxl.errors import OutputError

__all__ = [
    "atomic_write",
    "check_output",
    "remove_unfinished",
    "safe_filename",
    "safe_output_path",
]

_TEMP_PREFIX = ".kamxl-"
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


def check_output(path: Path, *, overwrite: bool = False, inputs: tuple[Path, ...] = ()) -> Path:
    """Validate an output path before any work is done; returns it resolved."""
    target = Path(path).expanduser()
    for source in inputs:
        if _same_file(target, Path(source)):
            raise OutputError(target, "is an input file; kamxl never overwrites its inputs")
    if os.path.lexists(target) and not overwrite:  # a link, even a dangling one, exists
        raise OutputError(target, "already exists (use --force to replace it)")
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


@contextlib.contextmanager
def _temporary_beside(path: Path) -> Iterator[tuple[BinaryIO, Path]]:
    folder = path.parent
    try:
        handle, name = tempfile.mkstemp(prefix=_TEMP_PREFIX, suffix=".tmp", dir=folder)
    except OSError as error:
        raise OutputError(path, f"cannot write in {folder}: {error.strerror or error}") from error
    temp = Path(name)
    try:
        with os.fdopen(handle, "wb") as stream:
            yield stream, temp
            stream.flush()
            os.fsync(stream.fileno())
    except OutputError:
        temp.unlink(missing_ok=True)
        raise
    except OSError as error:  # a full disk often shows only when the data is flushed
        temp.unlink(missing_ok=True)
        raise OutputError(path, f"cannot be written: {error.strerror or error}") from error
    except BaseException:
        temp.unlink(missing_ok=True)
        raise


def remove_unfinished(folder: Path) -> list[Path]:
    """Delete the temporary files an interrupted kamxl left in ``folder`` and below (the
    ``.kamxl-*.tmp`` of :func:`atomic_write`; nothing else); returns them.

    Call it only when no kamxl is writing there (the batch does, holding its folder lock).
    """
    removed = []
    for temp in Path(folder).rglob(f"{_TEMP_PREFIX}*.tmp"):
        if temp.is_file() and not temp.is_symlink():
            temp.unlink(missing_ok=True)
            removed.append(temp)
    return removed


def atomic_write(path: Path, write: Callable[[BinaryIO], None] | bytes) -> Path:
    """Write ``path`` atomically: ``write`` gets a binary stream (or ``bytes`` are written).

    The file appears complete at ``path`` or not at all. The permissions of an existing file
    at ``path`` are kept; a new file gets the usual ``0o666 & ~umask``. When ``path`` is a
    symbolic link, the rename replaces the link itself with a new file (with the usual
    permissions): the file the link pointed to is neither written nor changed.
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
        _copy_mode(path, temp)
        os.replace(temp, path)
    except OSError as error:
        temp.unlink(missing_ok=True)
        raise OutputError(path, f"cannot be written: {error.strerror or error}") from error
    return path


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

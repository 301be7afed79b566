"""Opening Office files (xlsx, xlsm, pptx) safely.

Files reach kamxl from e-mail attachments, shared drives and CRM exports. Before any parser
sees one, :meth:`Package.open` checks what it is and that it is safe to unpack (the rules
and their reasons are in docs/security.md):

- it must be a zip package (an encrypted workbook or an old ``.xls`` is an OLE file and is
  named as such; a damaged zip is named as damaged);
- size limits (:data:`LIMITS`): the file, the number of parts, each part and the total
  unpacked, and the compression ratio of large parts -- a zip bomb is refused before it is
  inflated;
- the sizes the zip headers declare are not trusted: every part is inflated by kamxl's own
  bounded reader (:meth:`Package.read`, :meth:`Package.stream`), which stops with
  :class:`~kamxl.errors.UnsafeFileError` as soon as a part unpacks to more than its header
  declares, and checks each part's CRC; :meth:`Package.verify` runs that check over the parts
  a third-party reader (python-calamine) is about to open;
- XML parts are parsed without DTDs: a ``<!DOCTYPE`` or ``<!ENTITY`` before the root
  element (the carrier of entity-expansion bombs and external entities; Office never writes
  one) is refused, with defusedxml for read-only parsing and a locked-down lxml parser where
  a part must be rewritten verbatim.
"""

from __future__ import annotations

import posixpath
import re
import struct
import threading
import zipfile
import zlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, BinaryIO, Final

import defusedxml.ElementTree as SafeET
from defusedxml import DefusedXmlException
from lxml import etree

from kamxl.errors import NotAWorkbookError, UnsafeFileError
from kamxl.workbook.sheetxml import column_index

__all__ = [
    "LIMITS",
    "NS",
    "Limits",
    "Package",
    "Table",
    "data_table",
    "range_bounds",
    "size_text",
]

NS: Final = {
    "main": "http://schemas.openxmlformats.org/spreadsheetml/2006/main",
    "r": "http://schemas.openxmlformats.org/officeDocument/2006/relationships",
    "rel": "http://schemas.openxmlformats.org/package/2006/relationships",
    "cp": "http://schemas.openxmlformats.org/package/2006/metadata/core-properties",
    "dcterms": "http://purl.org/dc/terms/",
}


@dataclass(frozen=True, slots=True)
class Limits:
    """What kamxl accepts to unpack (documented in docs/security.md)."""

    file_bytes: int = 256 * 2**20  # the file on disk
    parts: int = 10_000  # zip entries
    part_bytes: int = 1 * 2**30  # one part, unpacked
    total_bytes: int = 2 * 2**30  # all parts, unpacked
    ratio_threshold_bytes: int = 16 * 2**20  # parts larger than this must ...
    max_ratio: float = 200.0  # ... not be compressed more than this
    prolog_bytes: int = 1 * 2**20  # what may stand before the root element of an XML part
    sheet_cells: int = 32 * 2**20  # a sheet's grid, from A1 to its last row and column


LIMITS: Final = Limits()

_OLE_MAGIC: Final = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_ZIP_MAGIC: Final = b"PK\x03\x04"
_LOCAL_HEADER: Final = struct.Struct("<4s5H3I2H")  # a zip entry's local file header
_READ_BYTES: Final = 256 * 2**10  # compressed bytes read from the file at a time
_HEAD_BYTES: Final = 64 * 2**10  # what is inflated first to check a part's prolog
_SPACE: Final = b" \t\r\n"
_XML_SUFFIXES: Final = (".xml", ".rels", ".vml")
_METHODS: Final = frozenset({zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED})  # what Office writes
_LOCKED_PARSER: Final = etree.XMLParser(
    resolve_entities=False, no_network=True, load_dtd=False, huge_tree=True
)

_RANGE: Final = re.compile(r"^\$?([A-Z]{1,3})\$?([0-9]{1,7})(?::\$?([A-Z]{1,3})\$?([0-9]{1,7}))?$")

_KIND_OF_PACKAGE: Final = {
    "xl/workbook.xml": "an Excel workbook",
    "word/document.xml": "a Word document",
    "ppt/presentation.xml": "a PowerPoint presentation",
}


_EXTENSIONS: Final = {
    "xl/workbook.xml": ".xlsx or .xlsm",
    "ppt/presentation.xml": ".pptx",
}


def size_text(size: float) -> str:
    """A size as people read it: ``"1,000 bytes"``, ``"97.7 KiB"``, ``"256 MiB"``, ``"3.5 GiB"``."""
    if size < 2**10:
        return f"{size:,.0f} bytes"
    for unit, scale in (("GiB", 2**30), ("MiB", 2**20), ("KiB", 2**10)):
        if size >= scale:
            return f"{size / scale:,.1f}".removesuffix(".0") + f" {unit}"
    raise AssertionError  # unreachable: size >= 1 KiB here


def _describe_other(head: bytes, expect: str) -> str:
    """Why a file that is not a zip package is not the Office file expected."""
    what = _KIND_OF_PACKAGE.get(expect, "an Office file")
    extensions = _EXTENSIONS.get(expect, "")
    if not head:
        return f"is empty, not {what}"
    if head.startswith(b"%PDF"):
        return f"is a PDF, not {what}"
    if head.lstrip().startswith((b"<", b"\xef\xbb\xbf<")):
        return f"is an XML or HTML file, not {what} ({extensions})"
    return f"is not {what} ({extensions}); it looks like text or another format"


def _as_utf8(head: bytes) -> bytes:
    """``head`` re-encoded as UTF-8 when it is UTF-16 XML (so that a DTD cannot hide behind
    another encoding); other bytes unchanged."""
    if head.startswith((b"\xff\xfe", b"<\x00")):
        encoding = "utf-16-le"
    elif head.startswith((b"\xfe\xff", b"\x00<")):
        encoding = "utf-16-be"
    else:
        return head
    even = head[: len(head) - len(head) % 2]
    return even.decode(encoding, "replace").lstrip("\ufeff").encode("utf-8")


def _prolog_verdict(head: bytes) -> str:
    """What stands before the root element of the XML whose first bytes are ``head``.

    ``"dtd"``: a markup declaration (``<!DOCTYPE``, ``<!ENTITY``, ...) comes before the root
    element; ``"root"``: the root element (or anything that is not XML) comes first, after
    only the XML declaration, processing instructions, comments and white space;
    ``"more"``: ``head`` ends inside the prolog. Comments are skipped as comments, so a
    ``<`` inside one cannot pass for the root element and hide a DTD behind it.
    """
    text = _as_utf8(head)
    i = 3 if text.startswith(b"\xef\xbb\xbf") else 0
    end = len(text)
    while True:
        while i < end and text[i] in _SPACE:
            i += 1
        if i >= end:
            return "more"
        rest = text[i : i + 4]
        if rest.startswith(b"<?"):
            close, skip = text.find(b"?>", i + 2), 2
        elif rest == b"<!--":
            close, skip = text.find(b"-->", i + 4), 3
        elif b"<!--".startswith(rest):  # cut off inside "<!--"
            return "more"
        elif rest.startswith(b"<!"):
            return "dtd"
        else:
            return "root"
        if close < 0:
            return "more"
        i = close + skip


@dataclass(frozen=True, slots=True)
class Table:
    """An Excel Table (``xl/tables/tableN.xml``) of a worksheet: where its rows are.

    ``ref`` spans the header row (``header_rows``, 0 or 1), the data rows and the totals row
    (Excel's *Total Row*, ``totals_rows``); rows are 1-based, columns 0-based.
    """

    name: str
    part: str
    ref: str
    first_row: int
    last_row: int
    first_column: int
    last_column: int
    header_rows: int = 1
    totals_rows: int = 0
    columns: tuple[str, ...] = ()  # the names of its columns, from its first

    @property
    def header_row(self) -> int | None:
        """The Excel row of the headers (None when the table's header row is switched off)."""
        return self.first_row if self.header_rows else None

    @property
    def last_data_row(self) -> int:
        """The Excel row of the last data row (the totals row is not data)."""
        return self.last_row - self.totals_rows


def range_bounds(ref: str) -> tuple[int, int, int, int] | None:
    """(first row, first column, last row, last column) of a range such as ``"B5:C7"``
    (or one cell): rows 1-based, columns 0-based; None when ``ref`` is not a range."""
    match = _RANGE.match(ref.strip().upper())
    if match is None:
        return None
    first_letters, first_row, last_letters, last_row = match.groups()
    return (
        int(first_row),
        column_index(first_letters),
        int(last_row or first_row),
        column_index(last_letters or first_letters),
    )


def _table_of(part: str, root: Any) -> Table | None:
    """The :class:`Table` of a parsed table part (None when its ``ref`` is not a range)."""
    ref = root.get("ref", "")
    bounds = range_bounds(ref)
    if bounds is None:
        return None

    def count(attribute: str, default: int) -> int:
        text = root.get(attribute, "")
        return int(text) if text.isdigit() else default

    return Table(
        name=root.get("displayName") or root.get("name") or "",
        part=part,
        ref=ref,
        first_row=bounds[0],
        last_row=bounds[2],
        first_column=bounds[1],
        last_column=bounds[3],
        header_rows=min(count("headerRowCount", 1), 1),
        totals_rows=count("totalsRowCount", 0),
        columns=tuple(
            column.get("name", "") for column in root.iter(f"{{{NS['main']}}}tableColumn")
        ),
    )


def data_table(tables: Iterable[Table], name: str) -> Table | None:
    """The table holding a sheet's data: the one named ``name`` (``tblAccounts``, any
    case), else the sheet's only table, else the one that starts highest (then leftmost)."""
    tables = list(tables)
    for table in tables:
        if table.name.casefold() == name.casefold():
            return table
    if not tables:
        return None
    return min(tables, key=lambda t: (t.first_row, t.first_column))


class Package:
    """An Office zip package that passed the safety checks; read its parts through it.

    Parts are read by kamxl's own bounded inflater, not by :mod:`zipfile` (which trusts the
    sizes of the zip headers): see :meth:`chunks`.
    """

    def __init__(
        self, path: Path, archive: zipfile.ZipFile, limits: Limits, file: BinaryIO | None = None
    ) -> None:
        self.path = path
        self.zip = archive
        self.limits = limits
        self._infos = {info.filename: info for info in archive.infolist()}
        self._names = set(self._infos)
        self._file = file if file is not None else archive.fp
        # The zip reads the same file object: share its lock (when it has one) so that a
        # seek and a read of one reader never interleave with the other's.
        self._lock = getattr(archive, "_lock", None) or threading.RLock()

    # --- opening ------------------------------------------------------------------------

    @classmethod
    def open(
        cls, path: Path | str, expect: str = "xl/workbook.xml", limits: Limits = LIMITS
    ) -> Package:
        """Open ``path`` as a package holding ``expect`` (the main part), or raise a clear error."""
        path = Path(path)
        try:
            size = path.stat().st_size
            stream = path.open("rb")
        except FileNotFoundError:
            raise NotAWorkbookError(path, "does not exist") from None
        except IsADirectoryError:
            raise NotAWorkbookError(path, "is a folder, not a file") from None
        except OSError as error:
            raise NotAWorkbookError(path, f"cannot be read: {error.strerror or error}") from None
        try:
            return cls._open(path, stream, size, expect, limits)
        except BaseException:
            stream.close()
            raise

    @classmethod
    def _open(cls, path: Path, stream: BinaryIO, size: int, expect: str, limits: Limits) -> Package:
        try:
            head = stream.read(8)
            content = b""
            if head.startswith(_OLE_MAGIC):
                stream.seek(0)
                content = stream.read(min(size, 64 * 2**20))
        except OSError as error:
            raise NotAWorkbookError(path, f"cannot be read: {error.strerror or error}") from None
        what = _KIND_OF_PACKAGE.get(expect, "an Office file")
        if head.startswith(_OLE_MAGIC):
            if "EncryptedPackage".encode("utf-16-le") in content:
                raise NotAWorkbookError(
                    path,
                    "is password-protected; open it in Excel, remove the password "
                    "(File > Info > Protect Workbook) and save it again",
                )
            raise NotAWorkbookError(
                path,
                "is an old binary Office file (.xls/.ppt); open it and save it as "
                f"{'.xlsx' if expect.startswith('xl/') else '.pptx'}",
            )
        if not head.startswith(_ZIP_MAGIC):
            raise NotAWorkbookError(path, _describe_other(head, expect))
        if size > limits.file_bytes:
            raise UnsafeFileError(
                path,
                f"is {size_text(size)}; kamxl reads files up to {size_text(limits.file_bytes)}",
            )
        try:
            stream.seek(0)
            archive = zipfile.ZipFile(stream)
        # zipfile reports a damaged central directory with any of these (a bad version
        # number is NotImplementedError, a name that is not UTF-8 is UnicodeDecodeError).
        except (
            zipfile.BadZipFile,
            OSError,
            EOFError,
            ValueError,
            NotImplementedError,
            struct.error,
        ) as error:
            raise NotAWorkbookError(path, f"is a damaged zip file ({error})") from None
        package = cls(path, archive, limits, stream)
        try:
            package._check_sizes()
            if expect not in package._names:
                found = next((k for k in _KIND_OF_PACKAGE if k in package._names), None)
                kind = _KIND_OF_PACKAGE[found] if found else "not an Office file"
                raise NotAWorkbookError(
                    path,
                    f"is a zip file but {kind}, not {what} (no {expect} inside)"
                    if found
                    else f"is a zip file but not {what} (no {expect} inside)",
                )
        except BaseException:
            archive.close()
            raise
        return package

    def _check_sizes(self) -> None:
        """The limits, on the sizes the zip headers declare (before anything is inflated);
        :meth:`chunks` then holds every part to its declared size."""
        infos = self.zip.infolist()
        limits = self.limits
        if len(infos) > limits.parts:
            raise UnsafeFileError(self.path, f"holds {len(infos):,} parts (limit {limits.parts:,})")
        total = 0
        for info in infos:
            total += info.file_size
            if info.file_size > limits.part_bytes:
                raise UnsafeFileError(
                    self.path,
                    f"part {info.filename} unpacks to {size_text(info.file_size)} "
                    f"(limit {size_text(limits.part_bytes)} per part)",
                )
            if info.file_size > limits.ratio_threshold_bytes:
                ratio = info.file_size / max(info.compress_size, 1)
                if ratio > limits.max_ratio:
                    raise UnsafeFileError(
                        self.path,
                        f"part {info.filename} is compressed {ratio:.0f}:1 "
                        f"(limit {limits.max_ratio:.0f}:1 for parts over "
                        f"{size_text(limits.ratio_threshold_bytes)}): a zip bomb?",
                    )
        if total > limits.total_bytes:
            raise UnsafeFileError(
                self.path,
                f"unpacks to {size_text(total)} in all (limit {size_text(limits.total_bytes)})",
            )

    def close(self) -> None:
        self.zip.close()
        self._file.close()

    def __enter__(self) -> Package:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- parts --------------------------------------------------------------------------

    def has(self, name: str) -> bool:
        return name in self._names

    @property
    def names(self) -> list[str]:
        """The part names, in zip order."""
        return list(self._infos)

    def _damaged(self, name: str, what: str) -> NotAWorkbookError:
        return NotAWorkbookError(self.path, f"is damaged: part {name} {what}")

    def _raw(self, offset: int, size: int) -> bytes:
        with self._lock:
            self._file.seek(offset)
            return self._file.read(size)

    def chunks(self, name: str, size: int = 8 * 2**20) -> Iterator[bytes]:
        """The unpacked bytes of part ``name``, at most ``size`` bytes at a time.

        The part is inflated here, with :mod:`zlib`, never trusting its zip header: memory
        stays bounded by ``size`` whatever the compression, reading stops with
        :class:`~kamxl.errors.UnsafeFileError` as soon as the data unpacks to more than the
        header declares (the declared sizes are the ones the limits were checked on), and
        a part whose data is cut short or fails its CRC is named as damaged.
        """
        size = max(size, 1)  # zlib takes 0 for "no limit"
        info = self._infos.get(name)
        if info is None:
            raise NotAWorkbookError(self.path, f"is damaged: part {name} is missing")
        if info.flag_bits & 0x1:
            raise self._damaged(name, "is encrypted (Office never encrypts single parts)")
        if info.compress_type not in _METHODS:
            raise self._damaged(
                name,
                f"uses zip compression method {info.compress_type}; Office files use deflate "
                "(open the file in Excel and save it again)",
            )
        try:
            header = self._raw(info.header_offset, _LOCAL_HEADER.size)
        except (OSError, ValueError) as error:
            raise self._damaged(name, f"cannot be read ({error})") from None
        if len(header) < _LOCAL_HEADER.size or not header.startswith(_ZIP_MAGIC):
            raise self._damaged(name, "has no valid zip header")
        *_, name_length, extra_length = _LOCAL_HEADER.unpack(header)
        position = info.header_offset + _LOCAL_HEADER.size + name_length + extra_length
        declared = info.file_size
        left = info.compress_size
        inflater = zlib.decompressobj(-15) if info.compress_type == zipfile.ZIP_DEFLATED else None
        pending = b""
        total = crc = 0
        while True:
            if not pending and left > 0:
                try:
                    pending = self._raw(position, min(left, _READ_BYTES))
                except (OSError, ValueError) as error:
                    raise self._damaged(name, f"cannot be read ({error})") from None
                if not pending:
                    raise self._damaged(name, "is cut short (the file is truncated)")
                position += len(pending)
                left -= len(pending)
            if inflater is None:
                out, pending = pending[: declared + 1 - total], b""
            else:
                try:
                    out = inflater.decompress(pending, size)
                except zlib.error as error:
                    raise self._damaged(name, f"cannot be inflated ({error})") from None
                pending = inflater.unconsumed_tail
            total += len(out)
            if total > declared:
                raise UnsafeFileError(
                    self.path,
                    f"part {name} unpacks to more than the {declared:,} bytes its zip header "
                    "declares: a damaged file or a zip bomb (refused)",
                )
            crc = zlib.crc32(out, crc)
            if out:
                yield out
            finished = inflater.eof if inflater is not None else left <= 0
            if finished:
                break
            if not out and not pending and left <= 0:
                raise self._damaged(name, "is cut short (its compressed data ends early)")
        if total != declared or crc != info.CRC:
            raise self._damaged(name, "fails its checksum (the file is corrupt)")

    def read(self, name: str) -> bytes:
        """The bytes of a part, inflated by :meth:`chunks` (bounded by its declared size)."""
        return b"".join(self.chunks(name))

    def head(self, name: str, size: int = _HEAD_BYTES) -> bytes:
        """The first ``size`` bytes of a part, unpacked (the rest is never inflated)."""
        parts: list[bytes] = []
        got = 0
        for chunk in self.chunks(name, min(size, 8 * 2**20)):
            parts.append(chunk)
            got += len(chunk)
            if got >= size:
                break
        return b"".join(parts)[:size]

    def _refuse_dtd(self, name: str, head: bytes, complete: bool = False) -> None:
        """Refuse a part whose prolog declares a DTD or entities.

        A DTD can only stand in the prolog, before the root element, so the head of the part
        is enough (the whole part is never scanned for this); a prolog longer than
        :attr:`Limits.prolog_bytes` is refused too (Office writes a one-line declaration).
        ``complete`` says that ``head`` is the whole part.
        """
        verdict = _prolog_verdict(head)
        if verdict == "more" and not complete and len(head) < self.limits.prolog_bytes:
            head = self.head(name, self.limits.prolog_bytes)
            complete = len(head) < self.limits.prolog_bytes
            verdict = _prolog_verdict(head)
        if verdict == "dtd":
            raise UnsafeFileError(
                self.path,
                f"part {name} declares a DTD or entities (refused: XML bomb or "
                "external entity risk; Office never writes one)",
            )
        if verdict == "more" and not complete:
            raise UnsafeFileError(
                self.path,
                f"part {name} has more than {size_text(self.limits.prolog_bytes)} before its "
                "root element (refused: Office writes a one-line XML declaration)",
            )

    def stream(self, name: str, chunk: int = 8 * 2**20) -> Iterator[bytes]:
        """The unpacked bytes of a part in chunks, after the DTD check (memory stays small
        whatever the size of the part)."""
        self._refuse_dtd(name, self.head(name))
        yield from self.chunks(name, chunk)

    def verify(self, names: Iterable[str] | None = None) -> None:
        """Inflate parts (all of them by default) to the end, discarding the data: each must
        unpack to exactly its declared size and CRC, and an XML part (``.xml``, ``.rels``,
        ``.vml``) must not declare a DTD.

        Run before handing the file to a reader that does not go through :meth:`chunks`
        (python-calamine), so that what it reads has passed kamxl's checks.
        """
        for name in self.names if names is None else names:
            head = b""
            for chunk in self.chunks(name, 2**20):
                if len(head) < _HEAD_BYTES:
                    head += chunk[: _HEAD_BYTES - len(head)]
            # The XML parts of the package; an SVG picture may carry a DTD, but no reader of
            # kamxl's ever parses a picture.
            if name.lower().endswith(_XML_SUFFIXES):
                self._refuse_dtd(name, head, complete=len(head) < _HEAD_BYTES)

    def xml(self, name: str) -> Any:
        """A part parsed read-only with defusedxml (stdlib ElementTree elements)."""
        data = self.read(name)
        self._refuse_dtd(name, data, complete=True)
        try:
            return SafeET.fromstring(data, forbid_dtd=True)
        except DefusedXmlException as error:
            raise UnsafeFileError(self.path, f"part {name}: {error}") from None
        except SafeET.ParseError as error:
            raise NotAWorkbookError(
                self.path, f"is damaged: part {name} is not XML ({error})"
            ) from None

    def lxml(self, name: str) -> etree._Element:
        """A part parsed with lxml for rewriting it verbatim (prefixes and order kept)."""
        data = self.read(name)
        self._refuse_dtd(name, data, complete=True)
        try:
            return etree.fromstring(data, _LOCKED_PARSER)
        except etree.XMLSyntaxError as error:
            raise NotAWorkbookError(
                self.path, f"is damaged: part {name} is not XML ({error})"
            ) from None

    # --- relationships and workbook structure ---------------------------------------------

    def relationships(self, part: str) -> dict[str, tuple[str, str]]:
        """Relationship id -> (type, target part) of ``part``."""
        folder, base = posixpath.split(part)
        rels_name = posixpath.join(folder, "_rels", base + ".rels")
        if not self.has(rels_name):
            return {}
        rels = {}
        for rel in self.xml(rels_name).findall(f"{{{NS['rel']}}}Relationship"):
            target = rel.get("Target", "")
            if rel.get("TargetMode") == "External":
                resolved = target
            elif target.startswith("/"):
                resolved = target.lstrip("/")
            else:
                resolved = posixpath.normpath(posixpath.join(folder, target))
            rels[rel.get("Id", "")] = (rel.get("Type", "").rsplit("/", 1)[-1], resolved)
        return rels

    def tables(self, sheet_part: str) -> list[Table]:
        """The Excel Tables of the worksheet ``sheet_part``, in the order of its
        relationships (tiny parts: read whole)."""
        tables = []
        for rel_type, target in self.relationships(sheet_part).values():
            if rel_type == "table" and self.has(target):
                table = _table_of(target, self.xml(target))
                if table is not None:
                    tables.append(table)
        return tables

    def sheet_parts(self) -> dict[str, str]:
        """Worksheet name -> part name, in workbook order (chart sheets left out)."""
        book = self.xml("xl/workbook.xml")
        rels = self.relationships("xl/workbook.xml")
        parts: dict[str, str] = {}
        for sheet in book.iter(f"{{{NS['main']}}}sheet"):
            rel_type, target = rels.get(sheet.get(f"{{{NS['r']}}}id", ""), ("", ""))
            if rel_type == "worksheet":
                parts[sheet.get("name", "")] = target
        return parts

    def full_calc_on_load(self) -> bool:
        """True when the workbook asks Excel to recalculate everything on opening, i.e. its
        cached formula results were not computed by Excel (written by a library)."""
        calc = self.xml("xl/workbook.xml").find(f"{{{NS['main']}}}calcPr")
        return calc is not None and calc.get("fullCalcOnLoad") in ("1", "true")

    def modified(self) -> datetime | None:
        """When the file was last saved, from its core properties."""
        if not self.has("docProps/core.xml"):
            return None
        node = self.xml("docProps/core.xml").find(f"{{{NS['dcterms']}}}modified")
        if node is None or not node.text:
            return None
        try:
            return datetime.fromisoformat(node.text.strip().replace("Z", "+00:00"))
        except ValueError:
            return None

"""Opening Office files (xlsx, xlsm, pptx) safely.

Files reach kamxl from e-mail attachments, shared drives and CRM exports. Before any parser
sees one, :meth:`Package.open` checks what it is and that it is safe to unpack:

- it must be a zip package (an encrypted workbook or an old ``.xls`` is an OLE file and is
  named as such);
- size limits (:data:`LIMITS`): the file, the number of parts, each part and the total
  unpacked, and the compression ratio of large parts -- a zip bomb is refused before it is
  inflated;
- XML parts are parsed without DTDs: any ``<!DOCTYPE`` (the carrier of entity-expansion
  bombs and external entities; Office never writes one) is refused, with defusedxml for
  read-only parsing and a locked-down lxml parser where a part must be rewritten verbatim.
"""

from __future__ import annotations

import posixpath
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, Final

import defusedxml.ElementTree as SafeET
from defusedxml import DefusedXmlException
from lxml import etree

from kamxl.errors import NotAWorkbookError, UnsafeFileError

__all__ = ["LIMITS", "NS", "Limits", "Package"]

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


LIMITS: Final = Limits()

_OLE_MAGIC: Final = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_ZIP_MAGIC: Final = b"PK\x03\x04"
_DOCTYPE: Final = re.compile(rb"<!DOCTYPE|<!ENTITY", re.IGNORECASE)
_ROOT_START: Final = re.compile(rb"<[A-Za-z_]")
_LOCKED_PARSER: Final = etree.XMLParser(
    resolve_entities=False, no_network=True, load_dtd=False, huge_tree=True
)

_KIND_OF_PACKAGE: Final = {
    "xl/workbook.xml": "an Excel workbook",
    "word/document.xml": "a Word document",
    "ppt/presentation.xml": "a PowerPoint presentation",
}


_EXTENSIONS: Final = {
    "xl/workbook.xml": ".xlsx or .xlsm",
    "ppt/presentation.xml": ".pptx",
}


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


class Package:
    """An Office zip package that passed the safety checks; read its parts through it."""

    def __init__(self, path: Path, archive: zipfile.ZipFile, limits: Limits) -> None:
        self.path = path
        self.zip = archive
        self.limits = limits
        self._names = {info.filename for info in archive.infolist()}

    # --- opening ------------------------------------------------------------------------

    @classmethod
    def open(
        cls, path: Path | str, expect: str = "xl/workbook.xml", limits: Limits = LIMITS
    ) -> Package:
        """Open ``path`` as a package holding ``expect`` (the main part), or raise a clear error."""
        path = Path(path)
        try:
            size = path.stat().st_size
            with path.open("rb") as stream:
                head = stream.read(8)
                if head.startswith(_OLE_MAGIC):
                    stream.seek(0)
                    content = stream.read(min(size, 64 * 2**20))
        except FileNotFoundError:
            raise NotAWorkbookError(path, "does not exist") from None
        except IsADirectoryError:
            raise NotAWorkbookError(path, "is a folder, not a file") from None
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
                f"is {size / 2**20:.0f} MiB; kamxl reads files up to "
                f"{limits.file_bytes / 2**20:.0f} MiB",
            )
        try:
            archive = zipfile.ZipFile(path)
        except (zipfile.BadZipFile, OSError) as error:
            raise NotAWorkbookError(path, f"is a damaged zip file ({error})") from None
        package = cls(path, archive, limits)
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
        infos = self.zip.infolist()
        limits = self.limits
        if len(infos) > limits.parts:
            raise UnsafeFileError(self.path, f"holds {len(infos)} parts (limit {limits.parts})")
        total = 0
        for info in infos:
            total += info.file_size
            if info.file_size > limits.part_bytes:
                raise UnsafeFileError(
                    self.path,
                    f"part {info.filename} unpacks to {info.file_size / 2**20:.0f} MiB "
                    f"(limit {limits.part_bytes / 2**20:.0f} MiB)",
                )
            if info.file_size > limits.ratio_threshold_bytes:
                ratio = info.file_size / max(info.compress_size, 1)
                if ratio > limits.max_ratio:
                    raise UnsafeFileError(
                        self.path,
                        f"part {info.filename} is compressed {ratio:.0f}:1 "
                        f"(limit {limits.max_ratio:.0f}:1): a zip bomb?",
                    )
        if total > limits.total_bytes:
            raise UnsafeFileError(
                self.path,
                f"unpacks to {total / 2**20:.0f} MiB (limit {limits.total_bytes / 2**20:.0f} MiB)",
            )

    def close(self) -> None:
        self.zip.close()

    def __enter__(self) -> Package:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- parts --------------------------------------------------------------------------

    def has(self, name: str) -> bool:
        return name in self._names

    def read(self, name: str) -> bytes:
        """The bytes of a part (sizes were checked on opening)."""
        try:
            return self.zip.read(name)
        except KeyError:
            raise NotAWorkbookError(self.path, f"is damaged: part {name} is missing") from None
        except (zipfile.BadZipFile, OSError, EOFError) as error:
            raise NotAWorkbookError(self.path, f"is damaged: part {name}: {error}") from None

    def _refuse_dtd(self, name: str, head: bytes) -> None:
        """Refuse a part whose prolog declares a DTD or entities.

        A DTD can only stand in the prolog, before the root element, so the head of the part
        is enough (the whole part is never scanned for this).
        """
        root = _ROOT_START.search(head)
        prolog = head[: root.start()] if root else head
        if _DOCTYPE.search(prolog):
            raise UnsafeFileError(
                self.path,
                f"part {name} declares a DTD or entities (refused: XML bomb or "
                "external entity risk; Office never writes one)",
            )

    def head(self, name: str, size: int = 65536) -> bytes:
        """The first ``size`` bytes of a part, unpacked."""
        try:
            with self.zip.open(name) as stream:
                return stream.read(size)
        except KeyError:
            raise NotAWorkbookError(self.path, f"is damaged: part {name} is missing") from None
        except (zipfile.BadZipFile, OSError, EOFError) as error:
            raise NotAWorkbookError(self.path, f"is damaged: part {name}: {error}") from None

    def stream(self, name: str, chunk: int = 8 * 2**20) -> Iterator[bytes]:
        """The unpacked bytes of a part in chunks, after the DTD check (memory stays small
        whatever the size of the part)."""
        self._refuse_dtd(name, self.head(name))
        try:
            with self.zip.open(name) as stream:
                while data := stream.read(chunk):
                    yield data
        except (zipfile.BadZipFile, OSError, EOFError) as error:
            raise NotAWorkbookError(self.path, f"is damaged: part {name}: {error}") from None

    def xml(self, name: str) -> Any:
        """A part parsed read-only with defusedxml (stdlib ElementTree elements)."""
        data = self.read(name)
        self._refuse_dtd(name, data)
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
        self._refuse_dtd(name, data)
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

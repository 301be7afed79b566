"""Read and rewrite the VBA source of an Office ``vbaProject.bin``, without Office.

The KAM add-in ``kamxl.xlam`` is the xlwings ribbon add-in template with two modules
changed (the ribbon callback in ``RibbonMyAddin`` and ``PROJECT_NAME`` in ``xlwings``).
Excel does not run here, so the change is made in the file itself, the way [MS-OVBA]
lets any writer make it:

* ``vbaProject.bin`` is an OLE compound file ([MS-CFB]). Its ``VBA`` storage holds the
  ``dir`` stream (project and module records, compressed), the ``_VBA_PROJECT`` stream
  (version-dependent data) and one stream per module.
* A module stream is a performance cache (p-code compiled by one Office build) followed,
  at the module's ``TextOffset`` (MODULEOFFSET record in ``dir``), by its source text as
  a CompressedContainer ([MS-OVBA] 2.4.1 compression).
* A conforming writer writes no performance cache: every module stream is its compressed
  source alone and its MODULEOFFSET is 0; ``_VBA_PROJECT`` is just its 7 version-
  independent bytes with ``Version`` 0xFFFF ([MS-OVBA] 2.3.4.1). Office finds the version
  is not its own, ignores every cache and compiles the project from source.

:func:`with_module_sources` writes exactly that: the modules asked for get the new source,
every other module keeps its source (its cache dropped), the ``__SRP_*`` cache streams go,
and everything else -- ``PROJECT``, ``PROJECTwm``, names, CLSIDs -- is carried over. The
compound file is read with ``olefile`` and written by the small writer below, because
``olefile`` cannot write streams of a new size.

The compression and the compound-file layout follow the published specifications
[MS-OVBA] (sections 2.3.4 and 2.4.1) and [MS-CFB] (version 3, 512-byte sectors).
"""

from __future__ import annotations

import codecs
import io
import itertools
import re
import struct
import uuid
from dataclasses import dataclass, field

import olefile

__all__ = [
    "VBA_PROJECT_STREAM",
    "ProjectEdit",
    "Storage",
    "compress",
    "decompress",
    "edit_project",
    "module_sources",
    "read_compound_file",
    "with_module_sources",
    "write_compound_file",
]

# ---------------------------------------------------------------------------------------------
# [MS-OVBA] 2.4.1 compression
# ---------------------------------------------------------------------------------------------

_CHUNK = 4096  # decompressed bytes per chunk
_SIGNATURE = 0x01  # CompressedContainer.SignatureByte
_CHUNK_SIGNATURE = 0b011  # CompressedChunkHeader.CompressedChunkSignature
_RAW_HEADER = 0x3FFF  # raw chunk: size field 4095 (4098 bytes in all), signature 0b011, flag 0


def _copy_token_bits(difference: int) -> int:
    """BitCount of a CopyToken at ``difference`` bytes into its chunk ([MS-OVBA] 2.4.1.3.19.1).

    The offset part of a CopyToken takes just enough bits to reach back to the chunk start,
    ``ceil(log2(difference))`` but at least 4; the length part gets the other bits.
    """
    return max((difference - 1).bit_length(), 4)


def decompress(data: bytes) -> bytes:
    """Decompress an [MS-OVBA] CompressedContainer (section 2.4.1.3.1).

    Raises :class:`ValueError` for a wrong signature byte, a bad chunk header or a
    CopyToken that points before the start of its chunk.
    """
    if not data or data[0] != _SIGNATURE:
        raise ValueError("not an MS-OVBA compressed container: the first byte must be 0x01")
    out = bytearray()
    pos = 1
    end = len(data)
    while pos < end:
        if pos + 2 > end:
            raise ValueError(f"compressed container cut off in a chunk header at byte {pos}")
        header = data[pos] | (data[pos + 1] << 8)
        if (header >> 12) & 0b111 != _CHUNK_SIGNATURE:
            raise ValueError(f"bad CompressedChunkSignature at byte {pos}")
        chunk_end = min(pos + (header & 0x0FFF) + 3, end)
        pos += 2
        if not header & 0x8000:
            # Raw chunk (2.4.1.3.3): 4096 bytes stored as they are.
            if header & 0x0FFF != 0x0FFF:
                raise ValueError(f"raw chunk at byte {pos - 2} is not 4096 bytes long")
            out += data[pos : pos + _CHUNK]
            pos += _CHUNK
            continue
        chunk_start = len(out)
        while pos < chunk_end:
            # TokenSequence (2.4.1.3.4): a FlagByte, then up to eight tokens.
            flags = data[pos]
            pos += 1
            for bit in range(8):
                if pos >= chunk_end:
                    break
                if not (flags >> bit) & 1:
                    out.append(data[pos])  # LiteralToken
                    pos += 1
                    continue
                if pos + 2 > chunk_end:
                    raise ValueError(f"CopyToken cut off at byte {pos}")
                token = data[pos] | (data[pos + 1] << 8)
                pos += 2
                difference = len(out) - chunk_start
                bit_count = _copy_token_bits(difference)
                length = (token & (0xFFFF >> bit_count)) + 3
                offset = (token >> (16 - bit_count)) + 1
                if difference == 0 or offset > difference:
                    raise ValueError(f"CopyToken at byte {pos - 2} points before its chunk")
                source = len(out) - offset
                if offset >= length:
                    out += out[source : source + length]
                else:  # overlapping copy: the copied run repeats itself
                    pattern = bytes(out[source:])
                    out += (pattern * (length // offset + 1))[:length]
    return bytes(out)


def _compress_chunk(chunk: bytes) -> bytes:
    """One CompressedChunk (header included) for up to 4096 bytes ([MS-OVBA] 2.4.1.3.7).

    Matching follows 2.4.1.3.19.4: at each position the longest earlier match in the
    chunk wins, the nearest one among equals, and it is then cut to the CopyToken's
    maximum length; matches shorter than 3 bytes stay literals. Candidates are found
    through a table of 3-byte prefixes instead of the specification's scan of every
    earlier position, which gives the same choice (and the specification's examples 3.2.1
    to 3.2.3 byte for byte). When the tokens need more than 4096 bytes the chunk is stored
    raw, padded with zeros to 4096 bytes as 2.4.1.3.10 says.

    Office itself searches fewer candidates and so often compresses a little less; any
    valid CompressedContainer decompresses the same.
    """
    size = len(chunk)
    body = bytearray()
    prefixes: dict[bytes, list[int]] = {}

    def remember(position: int) -> None:
        if position + 3 <= size:
            prefixes.setdefault(chunk[position : position + 3], []).append(position)

    pos = 0
    while pos < size:
        flag_at = len(body)
        body.append(0)
        flags = 0
        for bit in range(8):
            if pos >= size:
                break
            best_length = 0
            best_candidate = 0
            if pos + 3 <= size:
                longest_possible = size - pos
                for candidate in reversed(prefixes.get(chunk[pos : pos + 3], ())):
                    length = 3
                    while (
                        length < longest_possible
                        and chunk[candidate + length] == chunk[pos + length]
                    ):
                        length += 1
                    if length > best_length:
                        best_length = length
                        best_candidate = candidate
                        if length == longest_possible:
                            break
            if best_length >= 3:
                bit_count = _copy_token_bits(pos)
                length = min(best_length, (0xFFFF >> bit_count) + 3)
                offset = pos - best_candidate
                token = ((offset - 1) << (16 - bit_count)) | (length - 3)
                body += token.to_bytes(2, "little")
                flags |= 1 << bit
                for position in range(pos, pos + length):
                    remember(position)
                pos += length
            else:
                body.append(chunk[pos])
                remember(pos)
                pos += 1
        body[flag_at] = flags
    if len(body) > _CHUNK:
        return _RAW_HEADER.to_bytes(2, "little") + chunk.ljust(_CHUNK, b"\x00")
    header = (len(body) + 2 - 3) | (_CHUNK_SIGNATURE << 12) | 0x8000
    return header.to_bytes(2, "little") + bytes(body)


def compress(data: bytes) -> bytes:
    """Compress ``data`` into an [MS-OVBA] CompressedContainer (section 2.4.1.3.6).

    ``decompress(compress(data)) == data`` for any ``data`` whose last chunk (the bytes
    after the last multiple of 4096) fits the token encoding, which all text does. The
    format cannot represent an incompressible last chunk of more than about 3640 bytes
    exactly: the specification stores it as a raw chunk padded with zero bytes to 4096,
    and so does this function.
    """
    out = bytearray([_SIGNATURE])
    for start in range(0, len(data), _CHUNK):
        out += _compress_chunk(bytes(data[start : start + _CHUNK]))
    return bytes(out)


# ---------------------------------------------------------------------------------------------
# [MS-CFB] compound files
# ---------------------------------------------------------------------------------------------

_SECTOR = 512
_MINI_SECTOR = 64
_MINI_CUTOFF = 4096
_ENTRIES_PER_SECTOR = _SECTOR // 128
_IDS_PER_SECTOR = _SECTOR // 4
_HEADER_DIFAT = 109
_FREESECT = 0xFFFFFFFF
_ENDOFCHAIN = 0xFFFFFFFE
_FATSECT = 0xFFFFFFFD
_NOSTREAM = 0xFFFFFFFF
_MAX_NAME = 31  # UTF-16 code units, the terminating null not counted
_ILLEGAL_NAME_CHARACTERS = frozenset("/\\:!")
_STORAGE, _STREAM, _ROOT = 1, 2, 5
_RED, _BLACK = 0, 1
_DIRENTRY = struct.Struct("<64sHBBIII16sIQQIQ")
_CFB_SIGNATURE = bytes.fromhex("D0CF11E0A1B11AE1")
_NO_CLSID = bytes(16)


@dataclass
class Storage:
    """A storage of a compound file: a folder of named streams (``bytes``) and storages.

    ``children`` maps each name to a stream's bytes or a storage. ``clsid`` is the 16-byte
    class id as stored in the file, ``state_bits`` the user flags, ``created``/``modified``
    the FILETIME stamps (0 when unset). The root storage (always named ``Root Entry`` in the
    file) is a :class:`Storage` too; its creation time is always written as 0 ([MS-CFB]
    2.6.2).
    """

    children: dict[str, Storage | bytes] = field(default_factory=dict)
    clsid: bytes = _NO_CLSID
    state_bits: int = 0
    created: int = 0
    modified: int = 0


def _cfb_key(name: str) -> tuple[int, tuple[int, ...]]:
    """Sort key of a directory entry name ([MS-CFB] 2.6.4).

    A shorter name (in UTF-16 code units) sorts first; names of equal length compare code
    unit by code unit after upper-casing each one.
    """
    units = struct.unpack(f"<{len(name.encode('utf-16-le')) // 2}H", name.encode("utf-16-le"))
    upper = []
    for unit in units:
        if 0xD800 <= unit <= 0xDFFF:  # half of a surrogate pair: compared as it is
            upper.append(unit)
            continue
        folded = chr(unit).upper()
        upper.append(ord(folded) if len(folded) == 1 and ord(folded) <= 0xFFFF else unit)
    return len(units), tuple(upper)


def _check_name(name: str) -> None:
    """Refuse a name [MS-CFB] 2.6.1 does not allow: empty, over 31 units, or with ``/\\:!``."""
    units = len(name.encode("utf-16-le")) // 2
    if not 1 <= units <= _MAX_NAME:
        raise ValueError(f"compound file entry name {name!r} must have 1 to 31 characters")
    if _ILLEGAL_NAME_CHARACTERS & set(name) or "\x00" in name:
        raise ValueError(f"compound file entry name {name!r} contains / \\ : ! or NUL")


@dataclass
class _Entry:
    """One directory entry while the file is being laid out."""

    name: str
    kind: int
    clsid: bytes = _NO_CLSID
    state_bits: int = 0
    created: int = 0
    modified: int = 0
    data: bytes = b""
    left: int = _NOSTREAM
    right: int = _NOSTREAM
    child: int = _NOSTREAM
    color: int = _BLACK
    start: int = _ENDOFCHAIN
    size: int = 0

    def pack(self) -> bytes:
        encoded = self.name.encode("utf-16-le") + b"\x00\x00"
        return _DIRENTRY.pack(
            encoded,
            len(encoded),
            self.kind,
            self.color,
            self.left,
            self.right,
            self.child,
            self.clsid,
            self.state_bits,
            self.created,
            self.modified,
            self.start,
            self.size,
        )


_UNUSED_ENTRY = _DIRENTRY.pack(
    b"", 0, 0, 0, _NOSTREAM, _NOSTREAM, _NOSTREAM, _NO_CLSID, 0, 0, 0, 0, 0
)


def _sibling_tree(entries: list[_Entry], ids: list[int]) -> int:
    """Link ``ids`` (siblings, sorted by :func:`_cfb_key`) as a red-black tree; return its root.

    The tree is the balanced binary search tree that takes the middle entry as the root of
    each range. Every level but the deepest is then full, so colouring everything black
    except the deepest level -- red unless that level is full too -- gives every path from
    the root the same number of black entries and never two reds in a row ([MS-CFB] 2.6.4).
    """
    depths: dict[int, int] = {}

    def build(lo: int, hi: int, depth: int) -> int:
        if lo >= hi:
            return _NOSTREAM
        mid = (lo + hi) // 2
        node = ids[mid]
        depths[node] = depth
        entries[node].left = build(lo, mid, depth + 1)
        entries[node].right = build(mid + 1, hi, depth + 1)
        return node

    root = build(0, len(ids), 0)
    if ids:
        deepest = max(depths.values())
        full = len(ids) == 2 ** (deepest + 1) - 1
        for node, depth in depths.items():
            red = depth == deepest and depth > 0 and not full
            entries[node].color = _RED if red else _BLACK
    return root


def _directory(root: Storage) -> list[_Entry]:
    """The directory entries of ``root`` and everything in it, the root first (stream ID 0)."""
    entries = [_Entry("Root Entry", _ROOT, root.clsid, root.state_bits, 0, root.modified)]

    def add(storage: Storage, parent: int) -> None:
        keyed = []
        for name, child in storage.children.items():
            _check_name(name)
            keyed.append((_cfb_key(name), name, child))
        keyed.sort(key=lambda item: item[0])
        for (key, name, _), (next_key, next_name, _) in itertools.pairwise(keyed):
            if key == next_key:
                raise ValueError(f"entry names {name!r} and {next_name!r} clash in a storage")
        ids = []
        for _, name, child in keyed:
            ids.append(len(entries))
            if isinstance(child, Storage):
                entries.append(
                    _Entry(
                        name,
                        _STORAGE,
                        child.clsid,
                        child.state_bits,
                        child.created,
                        child.modified,
                        start=0,  # [MS-CFB] 2.6.3: a storage has no sectors
                    )
                )
            else:
                entries.append(_Entry(name, _STREAM, data=bytes(child)))
        entries[parent].child = _sibling_tree(entries, ids)
        for node, (_, _, child) in zip(ids, keyed, strict=True):
            if isinstance(child, Storage):
                add(child, node)

    add(root, 0)
    return entries


def _chain(fat: list[int], first: int, count: int) -> None:
    """Record ``count`` consecutive sectors from ``first`` as one chain in ``fat``."""
    for sector in range(first, first + count - 1):
        fat[sector] = sector + 1
    if count:
        fat[first + count - 1] = _ENDOFCHAIN


def _sectors(size: int, sector: int = _SECTOR) -> int:
    """How many sectors of ``sector`` bytes hold ``size`` bytes."""
    return -(-size // sector)


def write_compound_file(root: Storage) -> bytes:
    """Serialise ``root`` as a version 3 compound file ([MS-CFB], 512-byte sectors).

    Layout: header, FAT sectors, directory, MiniFAT, mini stream, then the streams of 4096
    bytes or more, each in consecutive sectors. Streams under 4096 bytes live in the mini
    stream (64-byte mini sectors) as the specification requires; an empty stream has no
    sector at all (start ENDOFCHAIN). The FAT is located by the DIFAT in the header, which
    holds 109 sector numbers: a file needing more FAT sectors (about 7 MB) is refused.
    Storages keep their CLSID, state bits and time stamps; each storage's children form a
    valid red-black tree.
    """
    entries = _directory(root)
    mini_stream = bytearray()
    minifat: list[int] = []
    large: list[_Entry] = []
    for entry in entries:
        if entry.kind != _STREAM:
            continue
        entry.size = len(entry.data)
        if entry.size >= _MINI_CUTOFF:
            large.append(entry)
        elif entry.size:
            entry.start = len(minifat)
            count = _sectors(entry.size, _MINI_SECTOR)
            minifat.extend([_FREESECT] * count)
            _chain(minifat, entry.start, count)
            mini_stream += entry.data.ljust(count * _MINI_SECTOR, b"\x00")

    directory_sectors = _sectors(len(entries) * 128)
    minifat_sectors = _sectors(len(minifat) * 4)
    mini_stream_sectors = _sectors(len(mini_stream))
    large_sectors = sum(_sectors(entry.size) for entry in large)
    others = directory_sectors + minifat_sectors + mini_stream_sectors + large_sectors
    fat_sectors = 1
    while fat_sectors * _IDS_PER_SECTOR < fat_sectors + others:
        fat_sectors += 1
    if fat_sectors > _HEADER_DIFAT:
        raise ValueError(
            f"compound file too large: it needs {fat_sectors} FAT sectors and only "
            f"{_HEADER_DIFAT} are supported (no DIFAT sectors)"
        )

    fat = [_FREESECT] * (fat_sectors * _IDS_PER_SECTOR)
    for sector in range(fat_sectors):
        fat[sector] = _FATSECT
    directory_start = fat_sectors
    _chain(fat, directory_start, directory_sectors)
    minifat_start = directory_start + directory_sectors
    _chain(fat, minifat_start, minifat_sectors)
    mini_stream_start = minifat_start + minifat_sectors
    _chain(fat, mini_stream_start, mini_stream_sectors)
    next_sector = mini_stream_start + mini_stream_sectors
    for entry in large:
        count = _sectors(entry.size)
        entry.start = next_sector
        _chain(fat, next_sector, count)
        next_sector += count

    entries[0].start = mini_stream_start if mini_stream else _ENDOFCHAIN
    entries[0].size = len(mini_stream)

    difat = list(range(fat_sectors)) + [_FREESECT] * (_HEADER_DIFAT - fat_sectors)
    header = struct.pack(
        "<8s16sHHHHH6sIIIIIIIII109I",
        _CFB_SIGNATURE,
        _NO_CLSID,
        0x003E,  # minor version
        0x0003,  # major version 3: 512-byte sectors
        0xFFFE,  # byte order: little-endian
        9,  # sector shift: 2**9 = 512
        6,  # mini sector shift: 2**6 = 64
        bytes(6),
        0,  # number of directory sectors: always 0 in version 3
        fat_sectors,
        directory_start,
        0,  # transaction signature
        _MINI_CUTOFF,
        minifat_start if minifat_sectors else _ENDOFCHAIN,
        minifat_sectors,
        _ENDOFCHAIN,  # first DIFAT sector: none
        0,
        *difat,
    )

    out = io.BytesIO()
    out.write(header)
    out.write(struct.pack(f"<{len(fat)}I", *fat))
    directory = b"".join(entry.pack() for entry in entries)
    unused = directory_sectors * _ENTRIES_PER_SECTOR - len(entries)
    out.write(directory + _UNUSED_ENTRY * unused)
    if minifat_sectors:
        padded = minifat + [_FREESECT] * (minifat_sectors * _IDS_PER_SECTOR - len(minifat))
        out.write(struct.pack(f"<{len(padded)}I", *padded))
    out.write(bytes(mini_stream).ljust(mini_stream_sectors * _SECTOR, b"\x00"))
    for entry in large:
        out.write(entry.data.ljust(_sectors(entry.size) * _SECTOR, b"\x00"))
    return out.getvalue()


def _clsid_bytes(text: str) -> bytes:
    """The 16 stored bytes of a CLSID that olefile shows as text ('' for none)."""
    return uuid.UUID(text).bytes_le if text else _NO_CLSID


def read_compound_file(data: bytes) -> Storage:
    """Read a whole compound file into a :class:`Storage` tree (with ``olefile``).

    Raises :class:`ValueError` when ``data`` is not a compound file olefile can read.
    """
    try:
        ole = olefile.OleFileIO(io.BytesIO(data))  # a file object: never taken for a path
    except OSError as error:
        raise ValueError(f"not a readable compound file: {error}") from None
    try:

        def load(entry: olefile.olefile.OleDirectoryEntry, path: list[str]) -> Storage:
            storage = Storage(
                clsid=_clsid_bytes(entry.clsid),
                state_bits=entry.dwUserFlags,
                created=entry.createTime,
                modified=entry.modifyTime,
            )
            for kid in entry.kids:
                kid_path = [*path, kid.name]
                if kid.entry_type == olefile.STGTY_STORAGE:
                    storage.children[kid.name] = load(kid, kid_path)
                elif kid.entry_type == olefile.STGTY_STREAM:
                    storage.children[kid.name] = ole.openstream(kid_path).read()
            return storage

        return load(ole.root, [])
    finally:
        ole.close()


# ---------------------------------------------------------------------------------------------
# [MS-OVBA] VBA project
# ---------------------------------------------------------------------------------------------

#: ``_VBA_PROJECT`` as a conforming writer writes it ([MS-OVBA] 2.3.4.1): Reserved1 0x61CC,
#: Version 0xFFFF (so Office ignores every performance cache), Reserved2 0x00, Reserved3
#: 0x0001 and no PerformanceCache. Reserved3 is "undefined, MUST be ignored"; 0x0001 is the
#: value of the specification's own example (3.1.1) and of the xlwings template.
VBA_PROJECT_STREAM = b"\xcc\x61\xff\xff\x00\x01\x00"

_PROJECTCODEPAGE = 0x0003
_PROJECTVERSION = 0x0009  # its size field says 4 but 6 bytes follow ([MS-OVBA] 2.3.4.2.1.11)
_PROJECTVERSION_DATA = 6
_MODULENAME = 0x0019
_MODULENAMEUNICODE = 0x0047
_MODULESTREAMNAME = 0x001A
_MODULESTREAMNAMEUNICODE = 0x0032
_MODULEOFFSET = 0x0031
_MODULE_TERMINATOR = 0x002B
_SRP_PREFIX = "__srp_"
_VB_NAME = re.compile(r'\AAttribute\s+VB_Name\s*=\s*"([^"]*)"', re.IGNORECASE)


@dataclass
class _Record:
    """One record of the ``dir`` stream: Id, the Size field as stored, and the data."""

    id: int
    size_field: int
    data: bytes

    def pack(self) -> bytes:
        return struct.pack("<HI", self.id, self.size_field) + self.data


def _parse_dir(data: bytes) -> list[_Record]:
    """Split the decompressed ``dir`` stream into records ([MS-OVBA] 2.3.4.2).

    Every record is Id (2 bytes), Size (4 bytes) and Size bytes of data, except
    PROJECTVERSION whose Size field (Reserved, 4) is followed by 6 bytes. Packing the
    records again gives back ``data`` unchanged.
    """
    records = []
    pos = 0
    while pos < len(data):
        if pos + 6 > len(data):
            raise ValueError(f"dir stream cut off in a record header at byte {pos}")
        record_id, size_field = struct.unpack_from("<HI", data, pos)
        size = _PROJECTVERSION_DATA if record_id == _PROJECTVERSION else size_field
        if pos + 6 + size > len(data):
            raise ValueError(f"dir stream record 0x{record_id:04X} at byte {pos} is cut off")
        records.append(_Record(record_id, size_field, data[pos + 6 : pos + 6 + size]))
        pos += 6 + size
    return records


@dataclass
class _Module:
    """What the ``dir`` stream says about one module: its MODULE records, MODULENAME to the
    Terminator, in ``dir`` order."""

    name: str
    stream_name: str
    offset: int
    offset_record: _Record
    records: list[_Record] = field(default_factory=list)


def _python_codec(code_page: int) -> str:
    """The Python codec of a Windows code page (PROJECTCODEPAGE)."""
    name = {65001: "utf-8", 10000: "mac_roman", 1200: "utf-16-le"}.get(code_page, f"cp{code_page}")
    try:
        return codecs.lookup(name).name
    except LookupError:
        raise ValueError(f"VBA project code page {code_page} is not supported") from None


def _modules(records: list[_Record]) -> tuple[str, list[_Module]]:
    """The project's codec and its modules, in ``dir`` order."""
    codec = "cp1252"
    for record in records:
        if record.id == _PROJECTCODEPAGE:
            codec = _python_codec(struct.unpack("<H", record.data)[0])
            break
    modules: list[_Module] = []
    current: dict[int, _Record] = {}
    run: list[_Record] = []
    for record in records:
        if record.id == _MODULENAME:
            current, run = {}, []
        current.setdefault(record.id, record)
        run.append(record)
        if record.id != _MODULE_TERMINATOR or _MODULENAME not in current:
            continue
        if _MODULESTREAMNAME not in current or _MODULEOFFSET not in current:
            raise ValueError("a MODULE record of the dir stream lacks its stream name or offset")
        if _MODULENAMEUNICODE in current:
            name = current[_MODULENAMEUNICODE].data.decode("utf-16-le")
        else:
            name = current[_MODULENAME].data.decode(codec)
        if _MODULESTREAMNAMEUNICODE in current:
            stream_name = current[_MODULESTREAMNAMEUNICODE].data.decode("utf-16-le")
        else:
            stream_name = current[_MODULESTREAMNAME].data.decode(codec)
        offset_record = current[_MODULEOFFSET]
        offset = struct.unpack("<I", offset_record.data)[0]
        modules.append(_Module(name, stream_name, offset, offset_record, run))
        current, run = {}, []
    return codec, modules


def _child(storage: Storage, name: str) -> tuple[str, Storage | bytes] | None:
    """The child of ``storage`` named ``name``, compared case-insensitively as [MS-CFB] does."""
    key = _cfb_key(name)
    for child_name, child in storage.children.items():
        if _cfb_key(child_name) == key:
            return child_name, child
    return None


def _stream(storage: Storage, name: str) -> tuple[str, bytes]:
    found = _child(storage, name)
    if found is None or isinstance(found[1], Storage):
        raise ValueError(f"the VBA storage has no stream {name!r}")
    return found[0], found[1]


def _vba_storage(root: Storage) -> Storage:
    """The ``VBA`` storage of the project (at the root of a ``vbaProject.bin``, or deeper)."""
    pending = [root]
    while pending:
        storage = pending.pop(0)
        found = _child(storage, "VBA")
        if found is not None and isinstance(found[1], Storage) and _child(found[1], "dir"):
            return found[1]
        pending.extend(c for c in storage.children.values() if isinstance(c, Storage))
    raise ValueError("no VBA project here: no VBA storage with a dir stream")


def _open_project(vba_project: bytes) -> tuple[Storage, Storage, list[_Record], str, list[_Module]]:
    root = read_compound_file(vba_project)
    vba = _vba_storage(root)
    records = _parse_dir(decompress(_stream(vba, "dir")[1]))
    codec, modules = _modules(records)
    return root, vba, records, codec, modules


def module_sources(vba_project: bytes) -> dict[str, str]:
    """Each module's name and its source text, as stored in ``vba_project`` (a vbaProject.bin).

    The text is decoded with the project's code page (PROJECTCODEPAGE) and kept exactly:
    the ``Attribute VB_...`` lines and the line ends are part of it.
    """
    _, vba, _, codec, modules = _open_project(vba_project)
    return _sources(vba, modules, codec)


def _sources(vba: Storage, modules: list[_Module], codec: str) -> dict[str, str]:
    sources = {}
    for module in modules:
        stream = _stream(vba, module.stream_name)[1]
        sources[module.name] = decompress(stream[module.offset :]).decode(codec)
    return sources


def _encode_source(module: str, source: str, codec: str) -> bytes:
    """``source`` in the project's code page, after checking that it names ``module``."""
    match = _VB_NAME.match(source)
    if match is None or match.group(1).lower() != module.lower():
        raise ValueError(
            f'the new source of module {module!r} must start with Attribute VB_Name = "{module}"'
        )
    try:
        return source.encode(codec)
    except UnicodeEncodeError as error:
        raise ValueError(
            f"the new source of module {module!r} has {error.object[error.start : error.end]!r}, "
            f"which the project's code page ({codec}) cannot encode"
        ) from None


def with_module_sources(vba_project: bytes, sources: dict[str, str]) -> bytes:
    """A copy of ``vba_project`` (a vbaProject.bin) whose named modules have new source text.

    ``sources`` maps module names (as :func:`module_sources` gives them) to their complete
    new text, ``Attribute VB_Name`` line first. The whole project is written source only,
    as [MS-OVBA] asks of a writer: every module stream is its CompressedContainer alone
    and its MODULEOFFSET 0 (in a recompressed ``dir``); ``_VBA_PROJECT`` is
    :data:`VBA_PROJECT_STREAM`; the ``__SRP_*`` cache streams are left out. A module not
    named keeps its source: a stream that holds only source stays byte for byte, and one
    with a performance cache keeps the compressed source that Office wrote after it.
    Every other stream and storage is carried over unchanged.

    Raises :class:`ValueError` for a module name the project does not have, for a source
    that does not start with its module's ``Attribute VB_Name`` line or has characters the
    project's code page lacks, and for one the format cannot hold exactly (see
    :func:`compress`; real VBA source always compresses enough).
    """
    return edit_project(vba_project, ProjectEdit(sources=sources))


@dataclass(frozen=True)
class ProjectEdit:
    """What :func:`edit_project` changes in a VBA project; each part may be left empty.

    - ``project_name``: the project's name (PROJECTNAME in ``dir``, ``Name=`` in PROJECT);
    - ``renames``: module old name -> new name (its ``dir`` records, its stream, its
      ``Attribute VB_Name`` line, PROJECT and PROJECTwm);
    - ``added``: new standard (procedural) modules, name -> source;
    - ``sources``: new source of existing modules, by their name after ``renames``;
    - ``dropped_references``: names of library references to remove (REFERENCENAME and the
      records of that reference), for a reference no module uses.
    """

    project_name: str | None = None
    renames: dict[str, str] = field(default_factory=dict)
    added: dict[str, str] = field(default_factory=dict)
    sources: dict[str, str] = field(default_factory=dict)
    dropped_references: tuple[str, ...] = ()


_PROJECTNAME = 0x0004
_PROJECTMODULES = 0x000F
_REFERENCENAME = 0x0016
_MODULETYPE_PROCEDURAL = 0x0021
_DIR_TERMINATOR = 0x0010
_PROJECT_MODULE_KEYS = ("document=", "module=", "class=", "baseclass=", "package=")


def _text_record(record_id: int, text: str, codec: str) -> _Record:
    data = text.encode(codec)
    return _Record(record_id, len(data), data)


def _module_records(name: str, codec: str) -> list[_Record]:
    """The MODULE records of a new standard module ([MS-OVBA] 2.3.4.2.3.2): no doc
    string, source at offset 0, help context 0, cookie 0xFFFF (as a writer must write)."""
    return [
        _text_record(_MODULENAME, name, codec),
        _text_record(_MODULENAMEUNICODE, name, "utf-16-le"),
        _text_record(_MODULESTREAMNAME, name, codec),
        _text_record(_MODULESTREAMNAMEUNICODE, name, "utf-16-le"),
        _Record(0x001C, 0, b""),  # MODULEDOCSTRING
        _Record(0x0048, 0, b""),  # its Unicode form
        _Record(_MODULEOFFSET, 4, struct.pack("<I", 0)),
        _Record(0x001E, 4, struct.pack("<I", 0)),  # MODULEHELPCONTEXT
        _Record(0x002C, 2, struct.pack("<H", 0xFFFF)),  # MODULECOOKIE
        _Record(_MODULETYPE_PROCEDURAL, 0, b""),
        _Record(_MODULE_TERMINATOR, 0, b""),
    ]


def _check_module_name(name: str) -> None:
    if not re.fullmatch(r"[A-Za-z][A-Za-z0-9_]{0,30}", name):
        raise ValueError(
            f"{name!r} is not a VBA module name (a letter, then letters, digits or _, "
            "at most 31 characters)"
        )


def _renamed_source(source: str, new: str) -> str:
    return _VB_NAME.sub(f'Attribute VB_Name = "{new}"', source, count=1)


def _drop_references(records: list[_Record], names: tuple[str, ...], codec: str) -> None:
    """Remove each named reference: its REFERENCENAME record and every record up to the next
    reference of another name or the PROJECTMODULES record."""
    for name in names:
        wanted = name.encode(codec)
        starts = [i for i, r in enumerate(records) if r.id == _REFERENCENAME and r.data == wanted]
        if not starts:
            raise ValueError(f"the VBA project has no reference named {name!r}")
        end = starts[0]
        while (
            end < len(records)
            and records[end].id != _PROJECTMODULES
            and not (records[end].id == _REFERENCENAME and records[end].data != wanted)
        ):
            end += 1
        del records[starts[0] : end]


def _project_stream(
    text: str, project_name: str | None, renames: dict[str, str], added: list[str]
) -> str:
    """The PROJECT stream ([MS-OVBA] 2.3.1) with the new project name, renamed modules
    (their ``Module=`` and ``[Workspace]`` lines) and a ``Module=`` line per added module."""
    lower = {old.lower(): new for old, new in renames.items()}
    lines = text.split("\r\n")
    out: list[str] = []
    last_module_line = -1
    for line in lines:
        key, sep, value = line.partition("=")
        if sep and key.lower() == "name" and project_name is not None:
            line = f'Name="{project_name}"'
        elif sep and (key.lower() + "=") in _PROJECT_MODULE_KEYS:
            module, slash, rest = value.partition("/")
            if module.lower() in lower:
                line = f"{key}={lower[module.lower()]}{slash}{rest}"
            last_module_line = len(out)
        elif sep and key.lower() in lower:  # a [Workspace] line
            line = f"{lower[key.lower()]}={value}"
        out.append(line)
    if added and last_module_line < 0:
        raise ValueError("the PROJECT stream lists no module")
    out[last_module_line + 1 : last_module_line + 1] = [f"Module={name}" for name in added]
    return "\r\n".join(out)


def _name_map(modules: list[_Module], codec: str) -> bytes:
    """The PROJECTwm stream ([MS-OVBA] 2.3.3): each module's name in MBCS and UTF-16."""
    return (
        b"".join(
            m.name.encode(codec) + b"\0" + m.name.encode("utf-16-le") + b"\0\0" for m in modules
        )
        + b"\0\0"
    )


def edit_project(vba_project: bytes, edit: ProjectEdit) -> bytes:
    """A copy of ``vba_project`` (a vbaProject.bin) changed as ``edit`` says, written source
    only as :func:`with_module_sources` describes.

    Raises :class:`ValueError` for a module to rename or edit that the project lacks, a new
    name that is taken or is not a VBA name, and for what :func:`with_module_sources` refuses.
    """
    root, vba, records, codec, modules = _open_project(vba_project)
    by_name = {module.name.lower(): module for module in modules}
    for old, new in edit.renames.items():
        if old.lower() not in by_name:
            known = ", ".join(module.name for module in modules)
            raise ValueError(f"no module named {old} in the VBA project ({known})")
        _check_module_name(new)
    renamed = {by_name[old.lower()].name: new for old, new in edit.renames.items()}
    names_after = [renamed.get(m.name, m.name).lower() for m in modules]
    for name in edit.added:
        _check_module_name(name)
        if name.lower() in names_after:
            raise ValueError(f"the VBA project already has a module named {name}")
        names_after.append(name.lower())
    if len(set(names_after)) != len(names_after):
        raise ValueError("two modules of the VBA project would have the same name")

    sources = _sources(vba, modules, codec)
    wanted = {name.lower(): text for name, text in edit.sources.items()}
    spelled = {name.lower(): name for name in edit.sources}
    for module in modules:
        new = renamed.get(module.name)
        if new is None:
            continue
        for record in module.records:
            if record.id in (_MODULENAME, _MODULESTREAMNAME):
                record.data = new.encode(codec)
            elif record.id in (_MODULENAMEUNICODE, _MODULESTREAMNAMEUNICODE):
                record.data = new.encode("utf-16-le")
            else:
                continue
            record.size_field = len(record.data)
        old_stream, _ = _stream(vba, module.stream_name)
        del vba.children[old_stream]
        # Its VB_Name line names the new module, in its old source or in the one given.
        wanted[new.lower()] = _renamed_source(wanted.get(new.lower(), sources[module.name]), new)
        module.name = module.stream_name = new
        vba.children[new] = b""  # filled below from its source

    for name, source in edit.added.items():
        new_records = _module_records(name, codec)
        terminator = max(i for i, r in enumerate(records) if r.id == _DIR_TERMINATOR)
        records[terminator:terminator] = new_records
        modules.append(_Module(name, name, 0, new_records[6], new_records))
        vba.children[name] = b""
        wanted[name.lower()] = source
    for record in records:
        if record.id == _PROJECTMODULES:
            record.data = struct.pack("<H", len(modules))
        elif record.id == _PROJECTNAME and edit.project_name is not None:
            record.data = edit.project_name.encode(codec)
            record.size_field = len(record.data)
    _drop_references(records, edit.dropped_references, codec)

    by_name = {module.name.lower(): module for module in modules}
    unknown = sorted(spelled.get(name, name) for name in wanted if name not in by_name)
    if unknown:
        known = ", ".join(module.name for module in modules)
        raise ValueError(f"no module named {', '.join(unknown)} in the VBA project ({known})")
    for module in modules:
        stream_name, stream = _stream(vba, module.stream_name)
        if module.name.lower() in wanted:
            encoded = _encode_source(module.name, wanted[module.name.lower()], codec)
            container = compress(encoded)
            if decompress(container) != encoded:
                raise ValueError(
                    f"the new source of module {module.name!r} cannot be stored exactly: its "
                    "last 4096-byte chunk hardly compresses, and MS-OVBA would pad it with zeros"
                )
            vba.children[stream_name] = container
        elif module.offset:
            container = stream[module.offset :]
            decompress(container)  # refuse to carry over a source that cannot be read
            vba.children[stream_name] = container
        module.offset_record.data = struct.pack("<I", 0)

    dir_name, _ = _stream(vba, "dir")
    vba.children[dir_name] = compress(b"".join(record.pack() for record in records))
    found = _child(vba, "_VBA_PROJECT")
    vba.children[found[0] if found else "_VBA_PROJECT"] = VBA_PROJECT_STREAM
    for name in [n for n in vba.children if n.lower().startswith(_SRP_PREFIX)]:
        del vba.children[name]
    if edit.project_name is not None or edit.renames or edit.added:
        _rewrite_project_streams(root, vba, edit, renamed, modules, codec)
    return write_compound_file(root)


def _rewrite_project_streams(
    root: Storage,
    vba: Storage,
    edit: ProjectEdit,
    renamed: dict[str, str],
    modules: list[_Module],
    codec: str,
) -> None:
    """PROJECT and PROJECTwm, which sit beside the VBA storage, told of the changes."""
    parent = _parent_of(root, vba)
    project_name, project = _stream(parent, "PROJECT")
    parent.children[project_name] = _project_stream(
        project.decode(codec), edit.project_name, renamed, list(edit.added)
    ).encode(codec)
    found = _child(parent, "PROJECTwm")
    if found is not None:
        parent.children[found[0]] = _name_map(modules, codec)


def _parent_of(root: Storage, target: Storage) -> Storage:
    pending = [root]
    while pending:
        storage = pending.pop(0)
        if any(child is target for child in storage.children.values()):
            return storage
        pending.extend(c for c in storage.children.values() if isinstance(c, Storage))
    raise ValueError("the VBA storage has no parent storage")

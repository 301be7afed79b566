"""Copying an Office package with a few parts replaced, without recompressing the rest.

``kamxl recalc`` changes one or two parts of a workbook; recompressing every other part (the
data sheets, pictures, ``vbaProject.bin``) would cost most of its time and change bytes it
does not own. :func:`copy_package` copies each unchanged entry's compressed bytes as they
are -- same method, same CRC, same date -- and deflates only the replaced parts.

The zip written is the plain form every Office reader takes: no zip64 (kamxl's size limits
keep packages far below 4 GiB and 65,535 entries), no data descriptors, no encryption.
"""

from __future__ import annotations

import os
import struct
import zipfile
import zlib
from concurrent.futures import ThreadPoolExecutor
from typing import BinaryIO, Final

__all__ = ["copy_package", "deflate"]

_LOCAL: Final = struct.Struct("<4sHHHHHIIIHH")
_CENTRAL: Final = struct.Struct("<4sBBHHHHHIIIHHHHHII")
_END: Final = struct.Struct("<4sHHHHIIH")
_UTF8_NAME: Final = 0x800
_KEPT_FLAGS: Final = 0x806  # UTF-8 names and the deflate speed hints; not bit 3
#: Parts from this size on are deflated in pieces on several threads.
PARALLEL_DEFLATE_FROM: Final = 8 * 1024 * 1024
_WINDOW: Final = 32 * 1024  # deflate's window: what a piece may refer back to
_MAX_PIECES: Final = 4


def copy_package(
    source: BinaryIO,
    target: BinaryIO,
    replacements: dict[str, bytes],
    *,
    date_time: tuple[int, int, int, int, int, int] | None = None,
) -> None:
    """Write the zip ``source`` (a seekable binary stream) to ``target`` in the same entry
    order, with ``replacements`` (part name -> new content) deflated and every other entry
    copied compressed; ``date_time`` replaces every entry's date (for reproducible files)."""
    central: list[bytes] = []
    offset = 0
    with zipfile.ZipFile(source) as archive:
        for info in archive.infolist():
            name = info.filename.encode("utf-8")
            flags = (info.flag_bits & _KEPT_FLAGS) | (_UTF8_NAME if not name.isascii() else 0)
            time, date = _dos_time(date_time or info.date_time)
            if info.filename in replacements:
                content = replacements[info.filename]
                data = deflate(content)
                method, crc, size = zipfile.ZIP_DEFLATED, zlib.crc32(content), len(content)
                flags &= _UTF8_NAME
            else:
                data = _compressed_bytes(source, info)
                method, crc, size = info.compress_type, info.CRC, info.file_size
            target.write(
                _LOCAL.pack(
                    b"PK\x03\x04", 20, flags, method, time, date, crc, len(data), size, len(name), 0
                )
            )
            target.write(name)
            target.write(data)
            central.append(
                _CENTRAL.pack(
                    b"PK\x01\x02",
                    20,
                    info.create_system,
                    20,
                    flags,
                    method,
                    time,
                    date,
                    crc,
                    len(data),
                    size,
                    len(name),
                    0,
                    0,
                    0,
                    0,
                    info.external_attr,
                    offset,
                )
                + name
            )
            offset += _LOCAL.size + len(name) + len(data)
    directory = b"".join(central)
    target.write(directory)
    count = len(central)
    target.write(_END.pack(b"PK\x05\x06", 0, 0, count, count, len(directory), offset, 0))


def deflate(content: bytes, *, threads: int | None = None) -> bytes:
    """``content`` as a raw deflate stream (level 6, what Office writes).

    A large part (a worksheet of formulas runs to tens of MB) is cut into pieces deflated on
    threads at once -- zlib releases the GIL -- the way pigz does it: each piece but the last
    ends on a byte boundary (``Z_SYNC_FLUSH``) and each piece but the first is primed with
    the 32 KiB before it, so the pieces put end to end are one stream any inflater reads, and
    about as small as a single-thread one. How the part is cut depends on its size alone, not
    on the machine: the same part gives the same bytes everywhere, whatever ``threads``.
    """
    pieces = min(_MAX_PIECES, len(content) // (PARALLEL_DEFLATE_FROM // 2))
    if pieces < 2:
        compressor = zlib.compressobj(6, zlib.DEFLATED, -15)
        return compressor.compress(content) + compressor.flush()
    step = -(-len(content) // pieces)
    view = memoryview(content)

    def piece(start: int) -> bytes:
        window = view[max(start - _WINDOW, 0) : start]
        compressor = (
            zlib.compressobj(6, zlib.DEFLATED, -15, zdict=window)
            if start
            else zlib.compressobj(6, zlib.DEFLATED, -15)
        )
        data = compressor.compress(view[start : start + step])
        last = start + step >= len(content)
        return data + compressor.flush(zlib.Z_FINISH if last else zlib.Z_SYNC_FLUSH)

    with ThreadPoolExecutor(threads or min(os.cpu_count() or 1, pieces)) as pool:
        return b"".join(pool.map(piece, range(0, len(content), step)))


def _compressed_bytes(raw: BinaryIO, info: zipfile.ZipInfo) -> bytes:
    """An entry's data as stored in the zip (after checking its local header)."""
    raw.seek(info.header_offset)
    header = raw.read(_LOCAL.size)
    if len(header) != _LOCAL.size or header[:4] != b"PK\x03\x04":
        raise zipfile.BadZipFile(f"damaged local header of {info.filename}")
    name_length, extra_length = _LOCAL.unpack(header)[-2:]
    raw.seek(info.header_offset + _LOCAL.size + name_length + extra_length)
    data = raw.read(info.compress_size)
    if len(data) != info.compress_size:
        raise zipfile.BadZipFile(f"{info.filename} is cut short")
    return data


def _dos_time(when: tuple[int, int, int, int, int, int]) -> tuple[int, int]:
    year, month, day, hour, minute, second = when
    year = min(max(year, 1980), 2107)
    return (hour << 11) | (minute << 5) | (second // 2), ((year - 1980) << 9) | (month << 5) | day

"""Hostile files: zip and XML bombs, huge sheets and cells, external links, macros, symbolic
links -- each through check, read, recalc, the command line and (where reading succeeds) a
QBR deck.

Every test asserts what kamxl does: the exact error (its class, the file, what is wrong and
the limit it broke), or the right result; that it does it quickly and in bounded memory;
and that it never follows a link or runs anything while doing it (an audit hook watches).
docs/security.md describes the rules tested here.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import struct
import subprocess
import sys
import textwrap
import time
import tracemalloc
import zipfile
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

import pytest
import xlsxwriter
from click.testing import CliRunner

from kamxl.cli import main
from kamxl.deck.context import Audience
from kamxl.deck.make import DeckKind, deck_name, make_decks
from kamxl.errors import (
    KamxlError,
    NotAWorkbookError,
    OutputError,
    UnsafeFileError,
    WorkbookInvalidError,
)
from kamxl.files import atomic_write
from kamxl.workbook import schema
from kamxl.workbook.check import check_workbook
from kamxl.workbook.package import LIMITS, Limits, Package, size_text
from kamxl.workbook.reader import MAX_LISTED_PER_KIND, read_workbook
from kamxl.workbook.writer import recalc_workbook
from tests.conftest import ROOT, SAMPLE, mini_rows
from tests.deckcheck import check_deck, shape_texts

# --- crafting zip files -------------------------------------------------------------------


@dataclass(frozen=True)
class Entry:
    """A zip entry as stored: its compressed bytes and what its headers declare."""

    name: str
    data: bytes
    crc: int
    size: int  # the unpacked size the headers declare
    method: int = zipfile.ZIP_DEFLATED


def deflated(name: str, content: bytes) -> Entry:
    compressor = zlib.compressobj(6, zlib.DEFLATED, -15)
    return Entry(
        name, compressor.compress(content) + compressor.flush(), zlib.crc32(content), len(content)
    )


def _segment(data: bytes) -> bytes:
    """``data`` deflated as a byte-aligned run of blocks that refers to nothing before it
    (a full flush), so that segments can be concatenated into one stream."""
    compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
    return compressor.compress(data) + compressor.flush(zlib.Z_FULL_FLUSH)


def repeated(
    name: str, head: bytes, chunk: bytes, copies: int, tail: bytes, declared: int | None = None
) -> Entry:
    """An entry holding ``head + chunk * copies + tail`` without that content ever being in
    memory: ``chunk`` is compressed once and its compressed form repeated. ``declared`` makes
    the headers lie about the unpacked size."""
    crc = zlib.crc32(head)
    for _ in range(copies):
        crc = zlib.crc32(chunk, crc)
    crc = zlib.crc32(tail, crc)
    finish = zlib.compressobj(9, zlib.DEFLATED, -15).flush(zlib.Z_FINISH)
    data = _segment(head) + _segment(chunk) * copies + _segment(tail) + finish
    size = len(head) + len(chunk) * copies + len(tail)
    return Entry(name, data, crc, size if declared is None else declared)


def write_zip(path: Path, entries: list[Entry]) -> Path:
    """A zip of ``entries`` exactly as given (headers included), without zip64."""
    local, central = bytearray(), bytearray()
    for entry in entries:
        name = entry.name.encode()
        fixed = (entry.method, 0, 0x21, entry.crc, len(entry.data), entry.size, len(name))
        central += struct.pack(
            "<4s6H3I5H2I", b"PK\x01\x02", 20, 20, 0, *fixed, 0, 0, 0, 0, 0, len(local)
        )
        central += name
        local += struct.pack("<4s5H3I2H", b"PK\x03\x04", 20, 0, *fixed, 0) + name + entry.data
    end = struct.pack(
        "<4s4H2IH", b"PK\x05\x06", 0, 0, len(entries), len(entries), len(central), len(local), 0
    )
    path.write_bytes(bytes(local + central + end))
    return path


def parts_of(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as archive:
        return {info.filename: archive.read(info.filename) for info in archive.infolist()}


def rebuilt(source: Path, target: Path, **changed: Entry) -> Path:
    """``source`` rewritten entry by entry, with the entries named in ``changed`` (keyed by
    part name) replaced by crafted ones."""
    entries = [
        changed.get(name) or deflated(name, content) for name, content in parts_of(source).items()
    ]
    return write_zip(target, entries)


def edited(source: Path, target: Path, edits: dict[str, Callable[[bytes], bytes]]) -> Path:
    """``source`` with some parts' content changed by ``edits`` (part name -> function)."""
    parts = parts_of(source)
    entries = [
        deflated(name, edits[name](data) if name in edits else data) for name, data in parts.items()
    ]
    return write_zip(target, entries)


def accounts_part(path: Path) -> str:
    with Package.open(path) as package:
        return package.sheet_parts()["Accounts"]


# --- watching what kamxl does -------------------------------------------------------------

_WATCHED: list[tuple[str, tuple[Any, ...]]] | None = None
_RISKY_EVENTS = (
    "subprocess.Popen",
    "os.system",
    "os.exec",
    "os.posix_spawn",
    "os.spawn",
    "os.startfile",
)


def _audit(event: str, args: tuple[Any, ...]) -> None:
    if _WATCHED is not None and (event in _RISKY_EVENTS or event in ("open", "socket.connect")):
        _WATCHED.append((event, args))


sys.addaudithook(_audit)


@contextlib.contextmanager
def watched() -> Iterator[list[tuple[str, tuple[Any, ...]]]]:
    """The audit events (files opened, processes started, connections) raised inside."""
    global _WATCHED
    _WATCHED = events = []
    try:
        yield events
    finally:
        _WATCHED = None


def processes(events: list[tuple[str, tuple[Any, ...]]]) -> list[str]:
    return [event for event, _ in events if event in _RISKY_EVENTS or event == "socket.connect"]


def opened(events: list[tuple[str, tuple[Any, ...]]]) -> list[str]:
    return [str(args[0]) for event, args in events if event == "open" and args]


@contextlib.contextmanager
def bounded(seconds: float, megabytes: float) -> Iterator[None]:
    """Fail unless the block runs within ``seconds`` and allocates at most ``megabytes`` at
    once (Python allocations, zlib's buffers included)."""
    tracemalloc.start()
    start = time.perf_counter()
    try:
        yield
    finally:
        elapsed = time.perf_counter() - start
        peak = tracemalloc.get_traced_memory()[1] / 2**20
        tracemalloc.stop()
    assert elapsed < seconds, f"took {elapsed:.1f} s"
    assert peak < megabytes, f"allocated {peak:.0f} MiB"


def cli(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, list(args))
    return result.exit_code, result.stdout, result.stderr


def assert_refused(path: Path, error: type[KamxlError], reason: str, tmp: Path) -> None:
    """check, read, recalc and ``kamxl check`` all refuse ``path`` with ``error`` whose
    message is ``path: reason``; nothing is written, nothing is run."""
    out = tmp / "refused-out.xlsx"
    calls: list[Callable[[Path], Any]] = [
        check_workbook,
        read_workbook,
        lambda p: recalc_workbook(p, out),
    ]
    with watched() as events:
        for call in calls:
            with pytest.raises(error) as caught:
                call(path)
            assert type(caught.value) is error
            assert str(caught.value) == f"{path}: {reason}"
        code, stdout, stderr = cli("check", str(path))
    assert (code, stdout, stderr) == (1, "", f"kamxl: {path}: {reason}\n")
    assert processes(events) == []
    assert not out.exists() and list(tmp.glob(".kamxl-*")) == []


MiB = 2**20
A_MEBIBYTE = b"A" * MiB


# --- zip bombs ----------------------------------------------------------------------------


def _strings_bomb(copies: int, declared: int | None = None) -> Entry:
    """xl/sharedStrings.xml of the sample with one string of ``copies`` MiB of "A" (valid
    XML: inflated, it would be a real shared string table)."""
    original = parts_of(SAMPLE)["xl/sharedStrings.xml"]
    cut = original.index(b"<si>")
    return repeated(
        "xl/sharedStrings.xml",
        original[:cut] + b"<si><t>",
        A_MEBIBYTE,
        copies,
        b"</t></si>" + original[cut:],
        declared,
    )


def test_zip_bomb_refused_by_its_compression_ratio(tmp_path: Path) -> None:
    """350 KiB on disk, 256 MiB unpacked, honest headers: refused on the headers alone."""
    entry = _strings_bomb(256)
    bomb = rebuilt(SAMPLE, tmp_path / "bomb.xlsx", **{entry.name: entry})
    assert bomb.stat().st_size < 400 * 2**10 and entry.size > 256 * MiB
    ratio = entry.size / len(entry.data)
    assert ratio > 900
    with bounded(seconds=10, megabytes=32):
        assert_refused(
            bomb,
            UnsafeFileError,
            f"part xl/sharedStrings.xml is compressed {ratio:.0f}:1 (limit 200:1 for parts "
            "over 16 MiB): a zip bomb?",
            tmp_path,
        )


def test_zip_bomb_declaring_gigabytes_refused_before_inflating(tmp_path: Path) -> None:
    """The central directory declares 3.5 GiB for a sheet: refused by the part limit."""
    part = accounts_part(SAMPLE)
    original = parts_of(SAMPLE)[part]
    entry = repeated(part, original, b"", 0, b"", declared=int(3.5 * 2**30))
    bomb = rebuilt(SAMPLE, tmp_path / "gigabytes.xlsx", **{part: entry})
    assert bomb.stat().st_size < 200 * 2**10
    with bounded(seconds=10, megabytes=32):
        assert_refused(
            bomb,
            UnsafeFileError,
            f"part {part} unpacks to 3.5 GiB (limit 1 GiB per part)",
            tmp_path,
        )


@pytest.mark.parametrize("part", ["xl/sharedStrings.xml", "accounts sheet"])
def test_zip_bomb_with_lying_headers_stopped_while_inflating(tmp_path: Path, part: str) -> None:
    """The headers declare the part's usual size; the data inflates to 256 MiB. kamxl never
    trusts the headers: it stops inflating past the declared size, with little memory,
    before python-calamine (which would read the whole part) sees the file."""
    if part == "xl/sharedStrings.xml":
        declared = len(parts_of(SAMPLE)[part])
        entry = _strings_bomb(256, declared=declared)
    else:
        part = accounts_part(SAMPLE)
        original = parts_of(SAMPLE)[part]
        cut = original.index(b"<sheetData>")
        declared = len(original)
        entry = repeated(
            part, original[:cut] + b"<!--", A_MEBIBYTE, 256, b"-->" + original[cut:], declared
        )
    bomb = rebuilt(SAMPLE, tmp_path / "lying.xlsx", **{part: entry})
    assert bomb.stat().st_size < 400 * 2**10
    with bounded(seconds=10, megabytes=32):
        assert_refused(
            bomb,
            UnsafeFileError,
            f"part {part} unpacks to more than the {declared:,} bytes its zip header declares: "
            "a damaged file or a zip bomb (refused)",
            tmp_path,
        )


def test_a_lying_part_is_refused_by_every_reading_path(tmp_path: Path) -> None:
    """Package's own reads (read, head, stream, verify) all hold a part to its declared size."""
    entry = _strings_bomb(64, declared=5_000)
    bomb = rebuilt(SAMPLE, tmp_path / "lying.xlsx", **{entry.name: entry})
    reason = (
        "part xl/sharedStrings.xml unpacks to more than the 5,000 bytes its zip header "
        "declares: a damaged file or a zip bomb (refused)"
    )
    with bounded(seconds=5, megabytes=48), Package.open(bomb) as package:
        for read in (package.read, package.head, lambda n: b"".join(package.stream(n))):
            with pytest.raises(UnsafeFileError) as caught:
                read(entry.name)
            assert caught.value.reason == reason
        with pytest.raises(UnsafeFileError, match="5,000 bytes its zip header declares"):
            package.verify()
        assert package.head(entry.name, 100).startswith(b"<?xml")  # the start is readable


# --- XML bombs ----------------------------------------------------------------------------

LAUGHS = (
    b'<?xml version="1.0"?>\n<!DOCTYPE sst [\n<!ENTITY lol "lol">\n'
    + b"".join(
        b'<!ENTITY lol%d "%s">\n' % (i, (b"&lol%d;" % (i - 1) if i > 1 else b"&lol;") * 10)
        for i in range(1, 10)
    )
    + b"]>\n"
)
XXE = b'<?xml version="1.0"?>\n<!DOCTYPE sst [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>\n'


def _with_prolog(prolog: bytes, reference: bytes) -> Callable[[bytes], bytes]:
    """An edit giving a part a new prolog and an entity reference in its first text."""

    def edit(data: bytes) -> bytes:
        body = data[data.index(b"<", data.index(b"?>")) :]
        return prolog + body.replace(b"</t>", reference + b"</t>", 1)

    return edit


@pytest.mark.parametrize(
    ("part", "prolog", "reference"),
    [
        ("xl/sharedStrings.xml", LAUGHS, b"&lol9;"),  # a billion laughs: 3 GB once expanded
        ("xl/sharedStrings.xml", XXE, b"&xxe;"),  # the content of /etc/passwd
        # A "<" inside a comment must not pass for the root element and hide the DTD.
        ("accounts", b'<?xml version="1.0"?><!-- <worksheet> -->' + XXE[22:], b""),
        ("docProps/app.xml", XXE, b"&xxe;"),  # a part the reader never uses
    ],
    ids=["billion-laughs", "xxe", "dtd-after-comment", "unused-part"],
)
def test_xml_entities_are_refused_never_expanded(
    tmp_path: Path, part: str, prolog: bytes, reference: bytes
) -> None:
    part = accounts_part(SAMPLE) if part == "accounts" else part
    bomb = edited(SAMPLE, tmp_path / "entities.xlsx", {part: _with_prolog(prolog, reference)})
    assert b"<!DOCTYPE" in parts_of(bomb)[part]
    with bounded(seconds=10, megabytes=64), watched() as events:
        assert_refused(
            bomb,
            UnsafeFileError,
            f"part {part} declares a DTD or entities (refused: XML bomb or external entity "
            "risk; Office never writes one)",
            tmp_path,
        )
    assert not [name for name in opened(events) if "passwd" in name]


def test_a_picture_with_a_dtd_is_never_parsed_and_kept(tmp_path: Path) -> None:
    """SVG pictures often carry a DOCTYPE: kamxl parses no picture, so it refuses none, and
    a recalc copies it byte for byte."""
    svg = XXE.replace(b"sst", b"svg") + b'<svg xmlns="http://www.w3.org/2000/svg">&xxe;</svg>'
    parts = parts_of(SAMPLE)
    parts["xl/media/logo.svg"] = svg
    path = write_zip(tmp_path / "picture.xlsx", [deflated(n, d) for n, d in parts.items()])
    with watched() as events:
        assert check_workbook(path) == []
        recalc_workbook(path, tmp_path / "out.xlsx")
    assert parts_of(tmp_path / "out.xlsx")["xl/media/logo.svg"] == svg
    assert not [name for name in opened(events) if "passwd" in name]


def test_a_dtd_in_utf16_is_refused(tmp_path: Path) -> None:
    text = parts_of(SAMPLE)["docProps/core.xml"].decode("utf-8")
    body = text[text.index("?>") + 2 :]
    utf16 = ('<?xml version="1.0" encoding="UTF-16"?>' + XXE[22:].decode() + body).encode("utf-16")
    bomb = edited(SAMPLE, tmp_path / "utf16.xlsx", {"docProps/core.xml": lambda _: utf16})
    with pytest.raises(UnsafeFileError, match=r"part docProps/core\.xml declares a DTD"):
        check_workbook(bomb)


def test_a_prolog_past_the_limit_is_refused(tmp_path: Path) -> None:
    padding = b"<!--" + b" " * LIMITS.prolog_bytes + b"-->"
    book = edited(
        SAMPLE,
        tmp_path / "prolog.xlsx",
        {"xl/styles.xml": lambda data: data.replace(b"?>", b"?>" + padding, 1)},
    )
    assert_refused(
        book,
        UnsafeFileError,
        "part xl/styles.xml has more than 1 MiB before its root element (refused: Office "
        "writes a one-line XML declaration)",
        tmp_path,
    )


# --- a sheet down to row 1,048,576 ------------------------------------------------------------

_BIG_SHEET_RUN = textwrap.dedent(
    """
    import json, resource, sys, time
    from pathlib import Path
    from kamxl.deck.make import DeckKind, make_decks
    from kamxl.workbook.check import check_workbook
    from kamxl.workbook.reader import read_workbook
    from kamxl.workbook.writer import recalc_workbook

    path, out = Path(sys.argv[1]), Path(sys.argv[2])
    start = time.perf_counter()
    problems = [str(p) for p in check_workbook(path)]
    checked = time.perf_counter() - start
    report = recalc_workbook(path, out / "recalculated.xlsx")
    book = read_workbook(path)
    (deck,) = make_decks(book, out, [DeckKind.QBR], accounts=["A1"], keep_going=True)
    print(json.dumps({
        "problems": problems,
        "check_seconds": checked,
        "seconds": time.perf_counter() - start,
        "peak_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "accounts": report.accounts,
        "rows": book.accounts["_row"].tolist(),
        "tiers": [None if t is None else str(t) for t in book.accounts["tier"].tolist()],
        "deck_slides": deck.slides,
    }))
    """
)


def _last_row_cell(
    make_book: Callable[..., Path], tmp_path: Path, cell: bytes, dimension: bytes
) -> Path:
    source = make_book()
    part = accounts_part(source)

    def edit(data: bytes) -> bytes:
        data = re.sub(rb'<dimension ref="[^"]*"/>', b'<dimension ref="' + dimension + b'"/>', data)
        return data.replace(b"</sheetData>", cell + b"</sheetData>")

    return edited(source, tmp_path / "big.xlsx", {part: edit})


def test_data_in_the_last_excel_row_is_read_in_bounded_time_and_memory(
    make_book: Callable[..., Path], tmp_path: Path
) -> None:
    """A stray value in Accounts!A1048576 (and a dimension of A1:X1048576), far below the
    Accounts table: kamxl reads the three accounts of the table, says once that the stray
    row is below the table and not read, recalculates and builds the deck -- in a separate
    process whose peak memory is measured."""
    pytest.importorskip("resource")
    cell = b'<row r="1048576"><c r="A1048576" t="inlineStr"><is><t>Z9</t></is></c></row>'
    path = _last_row_cell(make_book, tmp_path, cell, b"A1:X1048576")
    out = tmp_path / "out"
    out.mkdir()
    run = subprocess.run(
        [sys.executable, "-c", _BIG_SHEET_RUN, str(path), str(out)],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=ROOT,
        check=False,
    )
    assert run.returncode == 0, run.stderr[-3000:]
    result = json.loads(run.stdout)
    assert result["problems"] == [
        "big.xlsx Accounts!A1048576: error: 'Z9': row 1048576 is below the table tblAccounts "
        "(A1:X4) and is not read: if it is a record, resize the table to take it in (Table "
        "Design > Resize Table), else move it out of the sheet",
    ]
    assert result["accounts"] == 3 and result["rows"] == [2, 3, 4]
    assert result["tiers"] == ["A", "C", None]  # as without the stray row
    sheet = parts_of(out / "recalculated.xlsx")[accounts_part(path)]
    assert not re.findall(rb'<c r="[N-X]1048576"', sheet)  # not an account: nothing written
    plain = tmp_path / "plain"
    plain.mkdir()
    (deck,) = make_decks(
        read_workbook(make_book(name="plain.xlsx")),
        plain,
        [DeckKind.QBR],
        accounts=["A1"],
        keep_going=True,
    )
    assert result["deck_slides"] == deck.slides  # the QBR of the workbook without the stray row
    assert result["check_seconds"] < 20 and result["seconds"] < 90, result
    assert result["peak_mib"] < 2048, result  # python-calamine's dense grid: ~1.1 GiB


def test_a_cell_in_the_last_excel_cell_is_refused_quickly(
    make_book: Callable[..., Path], tmp_path: Path
) -> None:
    """XFD1048576 would make python-calamine allocate 17 billion cells (and abort the
    process): kamxl refuses the sheet from its own scan, before calamine sees it."""
    cell = b'<row r="1048576"><c r="XFD1048576"><v>1</v></c></row>'
    path = _last_row_cell(make_book, tmp_path, cell, b"A1:X4")
    with bounded(seconds=10, megabytes=64):
        assert_refused(
            path,
            UnsafeFileError,
            "sheet Accounts reaches row 1,048,576 and column XFD (16,384 columns): "
            "17,179,869,184 cells from A1 to XFD1048576, over kamxl's limit of 33,554,432 "
            "cells per sheet; delete the rows and columns beyond the table",
            tmp_path,
        )


def test_cells_without_addresses_cannot_hide_how_far_a_sheet_reaches(
    make_book: Callable[..., Path], tmp_path: Path
) -> None:
    """Cells without an ``r`` address are placed one after the other, as Excel places them:
    3,000 of them in row 1,048,576 reach column DKJ."""
    cell = b'<row r="1048576">' + b"<c><v>1</v></c>" * 3000 + b"</row>"
    path = _last_row_cell(make_book, tmp_path, cell, b"A1:X4")
    with bounded(seconds=10, megabytes=64):
        assert_refused(
            path,
            UnsafeFileError,
            "sheet Accounts reaches row 1,048,576 and column DKJ (3,000 columns): "
            "3,145,728,000 cells from A1 to DKJ1048576, over kamxl's limit of 33,554,432 "
            "cells per sheet; delete the rows and columns beyond the table",
            tmp_path,
        )


def test_a_cell_beyond_the_excel_grid_is_damage(
    make_book: Callable[..., Path], tmp_path: Path
) -> None:
    cell = b'<row r="2000000"><c r="A2000000"><v>1</v></c></row>'
    path = _last_row_cell(make_book, tmp_path, cell, b"A1:X4")
    assert_refused(
        path,
        NotAWorkbookError,
        "is damaged: sheet Accounts has a cell beyond Excel's last cell XFD1048576 (it "
        "reaches row 2,000,000 and column X)",
        tmp_path,
    )


def _bad_revenue_workbook(path: Path, accounts: int) -> Path:
    """A values-only workbook whose every revenue_curr is text (a CRM export gone wrong)."""
    book = xlsxwriter.Workbook(path, {"constant_memory": True})
    sheet = book.add_worksheet("Accounts")
    sheet.write_row(0, 0, ["account_id", "name", "status", "revenue_prev", "revenue_curr"])
    for i in range(1, accounts + 1):
        sheet.write_row(i, 0, [f"X{i}", f"Account {i}", "key", 100, "lots"])
    sheet = book.add_worksheet("Criteria")
    sheet.write_row(0, 0, ["criterion_id", "label", "axis", "weight", "direction"])
    for j, c in enumerate(schema.DEFAULT_CRITERIA, start=1):
        sheet.write_row(j, 0, [c.criterion_id, c.label, c.axis, c.weight, c.direction])
    sheet = book.add_worksheet("Ratings")
    sheet.write_row(0, 0, ["account_id", *[c.criterion_id for c in schema.DEFAULT_CRITERIA]])
    book.close()
    return path


def test_many_bad_cells_give_a_short_report(tmp_path: Path) -> None:
    """20,000 accounts whose revenue is text: 100 listed, the rest counted in one more; recalc
    is not blocked by the count, and the command prints a readable report."""
    path = _bad_revenue_workbook(tmp_path / "book.xlsx", 20_000)
    book = read_workbook(path)
    revenue = [p for p in book.problems if p.cell and p.cell.startswith("E")]
    assert len(revenue) == MAX_LISTED_PER_KIND + 1 == 101
    assert [p.cell for p in revenue[:3]] == ["E2", "E3", "E4"]
    assert str(revenue[-1]) == (
        "book.xlsx Accounts!E102: error: 'lots': revenue_curr: text, expected a number (and "
        "19,899 more like it in column E: kamxl lists 100 problems of a kind per column)"
    )
    assert recalc_workbook(path, tmp_path / "out.xlsx").accounts == 20_000
    code, stdout, _ = cli("check", str(path))
    assert code == 1 and len(stdout.splitlines()) == len(book.problems) + 1 < 120
    problems = [p for p in book.problems if p.is_error]
    message = str(WorkbookInvalidError(path, problems))
    assert len(message.splitlines()) == 1 + WorkbookInvalidError.LISTED + 1
    assert message.endswith(f"  ... and {len(problems) - 50:,} more (run kamxl check)")


# --- the longest cell Excel holds -------------------------------------------------------------

EXCEL_LONGEST = 32_767


def test_a_32767_character_name_and_free_text_go_through_check_recalc_and_deck(
    make_book: Callable[..., Path], tmp_path: Path
) -> None:
    name = ("Alpha Works " + "Ünïcødé words that go on " * 2_000)[:EXCEL_LONGEST]
    priorities = ("Grow in Asia with the new line. " * 2_000)[:EXCEL_LONGEST]
    rows = mini_rows()
    rows["Accounts"][0]["name"] = name
    rows["Accounts"][0]["sector"] = "S" * EXCEL_LONGEST  # one word: no space to wrap at
    rows["Handshake"] = [{"account_id": "A1", "client_priorities": priorities}]
    rows["Plan"] = [{"account_id": "A1", "objective": priorities, "client_visible": "yes"}]
    path = make_book(rows)
    assert check_workbook(path) == []
    book = read_workbook(path)
    assert len(book.accounts.loc[0, "name"]) == EXCEL_LONGEST
    out = tmp_path / "out.xlsx"
    recalc_workbook(path, out)
    recalculated = read_workbook(out)
    assert recalculated.accounts.loc[0, "name"] == name
    assert recalculated.accounts["score"].tolist() == pytest.approx(
        book.accounts["score"].tolist(), nan_ok=True
    )
    decks = tmp_path / "decks"
    decks.mkdir()
    (deck,) = make_decks(book, decks, [DeckKind.QBR], accounts=["A1"])
    check_deck(deck.path)  # every shape inside the slide, every text fitted to its box
    assert len(deck.path.name.encode()) <= 255 and deck.path.parent == decks
    from pptx import Presentation

    longest = max(
        len(t) for slide in Presentation(str(deck.path)).slides for t in shape_texts(slide)
    )
    assert longest < 2_000  # shortened to fit, never 32,767 characters on a slide


# --- external links and DDE ---------------------------------------------------------------

_LINK = "file:///C:/Users/ana/secret%20prices.xlsx"
_DDE = b"<f>cmd|' /C calc'!A0</f>"


def _linked_book(make_book: Callable[..., Path], tmp_path: Path) -> Path:
    """A workbook with an external link (to a file, through [1]) and DDE formulas."""
    source = make_book()
    part = accounts_part(source)

    def sheet(data: bytes) -> bytes:
        data = re.sub(
            rb'(<row r="1"[^>]*>.*?)</row>',
            lambda m: m.group(1) + b'<c r="Y1" t="inlineStr"><is><t>notes</t></is></c></row>',
            data,
            count=1,
            flags=re.S,
        )
        cells = b'<c r="Y2">' + _DDE + b'<v>0</v></c><c r="Z2"><f>[1]Prices!$A$1</f><v>5</v></c>'
        return re.sub(
            rb'(<row r="2"[^>]*>.*?)</row>',
            lambda m: m.group(1) + cells + b"</row>",
            data,
            count=1,
            flags=re.S,
        )

    def book_xml(data: bytes) -> bytes:
        return data.replace(
            b"</sheets>",
            b"</sheets><externalReferences>"
            b'<externalReference r:id="rIdLink1"/></externalReferences>',
        )

    def rels(data: bytes) -> bytes:
        return data.replace(
            b"</Relationships>",
            b'<Relationship Id="rIdLink1" Type="http://schemas.openxmlformats.org/officeDocument/'
            b'2006/relationships/externalLink" Target="externalLinks/externalLink1.xml"/>'
            b"</Relationships>",
        )

    def types(data: bytes) -> bytes:
        return data.replace(
            b"</Types>",
            b'<Override PartName="/xl/externalLinks/externalLink1.xml" ContentType="application/'
            b'vnd.openxmlformats-officedocument.spreadsheetml.externalLink+xml"/></Types>',
        )

    linked = edited(
        source,
        tmp_path / "linked.xlsx",
        {
            part: sheet,
            "xl/workbook.xml": book_xml,
            "xl/_rels/workbook.xml.rels": rels,
            "[Content_Types].xml": types,
        },
    )
    parts = parts_of(linked)
    link = (
        b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<externalLink xmlns="http://'
        b'schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats'
        b'.org/officeDocument/2006/relationships"><externalBook r:id="rId1"><sheetNames><sheetName '
        b'val="Prices"/></sheetNames></externalBook></externalLink>'
    )
    link_rels = (
        b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<Relationships xmlns="http://'
        b'schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="'
        b'http://schemas.openxmlformats.org/officeDocument/2006/relationships/externalLinkPath" '
        b'Target="' + _LINK.encode() + b'" TargetMode="External"/></Relationships>'
    )
    parts["xl/externalLinks/externalLink1.xml"] = link
    parts["xl/externalLinks/_rels/externalLink1.xml.rels"] = link_rels
    return write_zip(linked, [deflated(name, data) for name, data in parts.items()])


def test_external_links_and_dde_are_never_followed_and_kept_as_they_are(
    make_book: Callable[..., Path], tmp_path: Path
) -> None:
    path = _linked_book(make_book, tmp_path)
    out = tmp_path / "out.xlsx"
    decks = tmp_path / "decks"
    decks.mkdir()
    with watched() as events:
        problems = check_workbook(path)
        recalc_workbook(path, out)
        make_decks(read_workbook(path), decks, [DeckKind.QBR], accounts=["A1"])
    assert processes(events) == []  # no DDE server started, no connection made
    assert not [name for name in opened(events) if "secret" in name or "calc" in name]
    assert [p for p in problems if p.is_error] == []  # formulas in a free column are data
    before, after = parts_of(path), parts_of(out)
    for name in (
        "xl/externalLinks/externalLink1.xml",
        "xl/externalLinks/_rels/externalLink1.xml.rels",
        "xl/workbook.xml",
        "xl/_rels/workbook.xml.rels",
        "[Content_Types].xml",
    ):
        assert after[name] == before[name], name
    sheet = after[accounts_part(path)]
    assert _DDE in sheet and b"<f>[1]Prices!$A$1</f><v>5</v>" in sheet


def test_a_kam_function_through_an_external_link_is_reported_with_its_target(
    make_book: Callable[..., Path], tmp_path: Path
) -> None:
    """The one link check reports: KAM_* called through [1]! (the add-in's path)."""
    path = _linked_book(make_book, tmp_path)
    part = accounts_part(path)
    through_link = edited(
        path,
        tmp_path / "kam_link.xlsx",
        {part: lambda data: data.replace(b",KAM_SCORE(", b",[1]!KAM_SCORE(", 1)},
    )
    warnings = [str(p) for p in check_workbook(through_link) if not p.is_error]
    assert any(
        "KAM_SCORE called through the add-in file C:/Users/ana/secret prices.xlsx" in w
        for w in warnings
    ), warnings


# --- macros -------------------------------------------------------------------------------

VBA = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b'Sub Auto_Open(): Shell "calc": End Sub ' * 40
MACRO_MAIN = b"application/vnd.ms-excel.sheet.macroEnabled.main+xml"


def _macro_book(make_book: Callable[..., Path], tmp_path: Path) -> Path:
    source = make_book()

    def types(data: bytes) -> bytes:
        data = data.replace(
            b"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml",
            MACRO_MAIN,
        )
        return data.replace(
            b"<Override ",
            b'<Default Extension="bin" ContentType="application/vnd.ms-office.vbaProject"/>'
            b"<Override ",
            1,
        )

    def rels(data: bytes) -> bytes:
        return data.replace(
            b"</Relationships>",
            b'<Relationship Id="rIdVba" Type="http://schemas.microsoft.com/office/2006/relationships/'
            b'vbaProject" Target="vbaProject.bin"/></Relationships>',
        )

    path = edited(
        source,
        tmp_path / "macros.xlsm",
        {"[Content_Types].xml": types, "xl/_rels/workbook.xml.rels": rels},
    )
    parts = parts_of(path)
    parts["xl/vbaProject.bin"] = VBA
    return write_zip(path, [deflated(name, data) for name, data in parts.items()])


def test_macros_are_never_run_and_kept_byte_for_byte(
    make_book: Callable[..., Path], tmp_path: Path
) -> None:
    path = _macro_book(make_book, tmp_path)
    out = tmp_path / "out.xlsm"
    decks = tmp_path / "decks"
    decks.mkdir()
    with watched() as events:
        assert [p for p in check_workbook(path) if p.is_error] == []
        recalc_workbook(path, out)
        make_decks(read_workbook(path), decks, [DeckKind.QBR], accounts=["A1"])
    assert processes(events) == []
    after = parts_of(out)
    assert hashlib.sha256(after["xl/vbaProject.bin"]).digest() == hashlib.sha256(VBA).digest()
    assert after["[Content_Types].xml"] == parts_of(path)["[Content_Types].xml"]
    assert MACRO_MAIN in after["[Content_Types].xml"]
    with pytest.raises(OutputError) as caught:
        recalc_workbook(path, tmp_path / "out.xlsx")
    assert str(caught.value) == (
        f"{tmp_path / 'out.xlsx'}: macros.xlsm holds macros: the output must end in .xlsm"
    )
    assert not (tmp_path / "out.xlsx").exists()


# --- symbolic links at the output -------------------------------------------------------------

needs_symlinks = pytest.mark.skipif(
    sys.platform == "win32", reason="symbolic links need a privilege on Windows"
)


@needs_symlinks
def test_recalc_never_writes_through_a_symlink(tmp_path: Path) -> None:
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    secret = outside / "keep.xlsx"
    secret.write_bytes(b"not yours")
    folder = tmp_path / "out"
    folder.mkdir()
    link = folder / "result.xlsx"
    link.symlink_to(secret)
    with pytest.raises(OutputError) as caught:
        recalc_workbook(SAMPLE, link)
    assert str(caught.value) == f"{link}: already exists (use --force to replace it)"
    recalc_workbook(SAMPLE, link, overwrite=True)  # replaces the link, not its target
    assert not link.is_symlink() and read_workbook(link).problems == []
    assert secret.read_bytes() == b"not yours"
    dangling = folder / "dangling.xlsx"
    dangling.symlink_to(outside / "created.xlsx")
    with pytest.raises(OutputError, match="already exists"):
        recalc_workbook(SAMPLE, dangling)
    recalc_workbook(SAMPLE, dangling, overwrite=True)
    assert not dangling.is_symlink() and not (outside / "created.xlsx").exists()


@needs_symlinks
def test_a_symlink_to_the_input_is_the_input(sample_copy: Path, tmp_path: Path) -> None:
    before = sample_copy.read_bytes()
    link = tmp_path / "alias.xlsx"
    link.symlink_to(sample_copy)
    for overwrite in (False, True):
        with pytest.raises(OutputError) as caught:
            recalc_workbook(sample_copy, link, overwrite=overwrite)
        assert caught.value.reason == "is an input file; kamxl never overwrites its inputs"
    assert sample_copy.read_bytes() == before and link.is_symlink()
    code, _, stderr = cli("recalc", str(sample_copy), "-o", str(link), "--force")
    assert (
        code == 1
        and stderr == f"kamxl: {link}: is an input file; kamxl never overwrites its inputs\n"
    )


@needs_symlinks
def test_a_deck_never_goes_through_a_symlink_out_of_its_folder(tmp_path: Path) -> None:
    book = read_workbook(SAMPLE)
    key = book.accounts.loc[book.accounts["status"] == "key", "account_id"].iloc[0]
    folder = tmp_path / "decks"
    folder.mkdir()
    outside = tmp_path / "outside.pptx"
    outside.write_bytes(b"keep")
    name = deck_name(DeckKind.QBR, book, key, Audience.INTERNAL)
    planted = folder / f"{name}.pptx"
    planted.symlink_to(outside)
    for overwrite in (False, True):
        with pytest.raises(OutputError) as caught:
            make_decks(book, folder, [DeckKind.QBR], accounts=[key], overwrite=overwrite)
        assert caught.value.reason == f"would be written outside {folder}"
    assert outside.read_bytes() == b"keep" and planted.is_symlink()


@needs_symlinks
def test_an_output_folder_that_is_a_symlink_is_the_users_choice(tmp_path: Path) -> None:
    real = tmp_path / "real"
    real.mkdir()
    alias = tmp_path / "alias"
    alias.symlink_to(real, target_is_directory=True)
    recalc_workbook(SAMPLE, alias / "out.xlsx")
    book = read_workbook(SAMPLE)
    key = book.accounts.loc[book.accounts["status"] == "key", "account_id"].iloc[0]
    (deck,) = make_decks(book, alias, [DeckKind.QBR], accounts=[key])
    assert sorted(p.name for p in real.iterdir()) == sorted(["out.xlsx", deck.path.name])


@needs_symlinks
def test_atomic_write_replaces_a_link_with_a_new_file(tmp_path: Path) -> None:
    target = tmp_path / "target.bin"
    target.write_bytes(b"old")
    target.chmod(0o600)
    link = tmp_path / "link.bin"
    link.symlink_to(target)
    atomic_write(link, b"new")
    assert link.read_bytes() == b"new" and not link.is_symlink()
    assert target.read_bytes() == b"old" and target.stat().st_mode & 0o777 == 0o600
    umask = os.umask(0)
    os.umask(umask)
    assert link.stat().st_mode & 0o777 == 0o666 & ~umask  # not the target's permissions


# --- the limits: documented, and each error names the limit and what was found --------------


def _documented_limits() -> dict[str, str]:
    text = (ROOT / "docs" / "security.md").read_text()
    rows = re.findall(r"^\|[^|]+\|\s*([^|]+?)\s*\|\s*`([A-Za-z_]+)`\s*\|$", text, re.M)
    return {name: value for value, name in rows}


def test_docs_list_the_limits_of_the_code() -> None:
    expected = {
        "file_bytes": size_text(LIMITS.file_bytes),
        "parts": f"{LIMITS.parts:,}",
        "part_bytes": size_text(LIMITS.part_bytes),
        "total_bytes": size_text(LIMITS.total_bytes),
        "ratio_threshold_bytes": size_text(LIMITS.ratio_threshold_bytes),
        "max_ratio": f"{LIMITS.max_ratio:.0f}:1",
        "prolog_bytes": size_text(LIMITS.prolog_bytes),
        "sheet_cells": f"{LIMITS.sheet_cells:,}",
        "MAX_LISTED_PER_KIND": f"{MAX_LISTED_PER_KIND:,}",
    }
    assert {f.name for f in fields(Limits)} | {"MAX_LISTED_PER_KIND"} == set(expected)
    assert _documented_limits() == expected


def test_each_limit_names_itself_and_what_was_found() -> None:
    """Each limit, lowered under the sample, refuses it with the limit and the size found
    (the figures come from the sample, read with zipfile)."""
    with zipfile.ZipFile(SAMPLE) as archive:
        infos = archive.infolist()
    sheet = max(infos, key=lambda info: info.file_size)
    assert sheet.filename.startswith("xl/worksheets/")
    total = sum(info.file_size for info in infos)
    ratio = sheet.file_size / sheet.compress_size
    cases = [
        (
            Limits(file_bytes=50_000),
            f"is {size_text(SAMPLE.stat().st_size)}; kamxl reads files up to 48.8 KiB",
        ),
        (Limits(parts=10), f"holds {len(infos)} parts (limit 10)"),
        (
            Limits(part_bytes=100_000),
            f"part {sheet.filename} unpacks to {size_text(sheet.file_size)} (limit 97.7 KiB "
            "per part)",
        ),
        (Limits(total_bytes=500_000), f"unpacks to {size_text(total)} in all (limit 488.3 KiB)"),
        (
            Limits(ratio_threshold_bytes=100_000, max_ratio=10),
            f"part {sheet.filename} is compressed {ratio:.0f}:1 (limit 10:1 for parts over "
            "97.7 KiB): a zip bomb?",
        ),
    ]
    assert SAMPLE.stat().st_size > 50_000 and len(infos) > 10 and ratio > 10
    for limits, reason in cases:
        with pytest.raises(UnsafeFileError) as caught:
            Package.open(SAMPLE, limits=limits)
        assert str(caught.value) == f"{SAMPLE}: {reason}"
    assert size_text(1_000) == "1,000 bytes" and size_text(3.5 * 2**30) == "3.5 GiB"


def test_the_sample_is_far_inside_every_limit() -> None:
    with Package.open(SAMPLE) as package:
        package.verify()  # every part inflated, sizes, CRCs and prologs checked
        sizes = [info.file_size for info in package.zip.infolist()]
    assert sum(sizes) < LIMITS.total_bytes / 1000 and len(sizes) < LIMITS.parts


# --- damaged zips are damaged, not bugs ---------------------------------------------------------

_STYLES = "is damaged: part xl/styles.xml"


@pytest.mark.parametrize(
    ("damage", "reason"),
    [
        ("version", "is a damaged zip file (zip file version 21.9)"),
        ("encrypted", f"{_STYLES} is encrypted (Office never encrypts single parts)"),
        (
            "method",
            f"{_STYLES} uses zip compression method 14; Office files use deflate (open the "
            "file in Excel and save it again)",
        ),
        (
            "deflate",
            f"{_STYLES} cannot be inflated (Error -3 while decompressing data: invalid block type)",
        ),
        ("crc", f"{_STYLES} fails its checksum (the file is corrupt)"),
        ("short", f"{_STYLES} is cut short (its compressed data ends early)"),
    ],
)
def test_a_damaged_zip_is_named_as_damaged(tmp_path: Path, damage: str, reason: str) -> None:
    """Damage that zipfile and zlib report with their own exceptions (NotImplementedError,
    zlib.error, RuntimeError) is a clear NotAWorkbookError, never an internal error."""
    entries = [deflated(name, data) for name, data in parts_of(SAMPLE).items()]
    index = next(i for i, e in enumerate(entries) if e.name == "xl/styles.xml")
    styles = entries[index]
    if damage == "encrypted":
        path = write_zip(tmp_path / "d.xlsx", entries)
        data = _set_central_field(bytearray(path.read_bytes()), "xl/styles.xml", 8, 1)
        path.write_bytes(bytes(data))  # general purpose flag bit 0: encrypted
    else:
        if damage == "method":
            entries[index] = Entry(styles.name, styles.data, styles.crc, styles.size, method=14)
        elif damage == "deflate":
            entries[index] = Entry(styles.name, b"\xff" * len(styles.data), styles.crc, styles.size)
        elif damage == "crc":
            entries[index] = Entry(styles.name, styles.data, styles.crc ^ 1, styles.size)
        elif damage == "short":
            entries[index] = Entry(
                styles.name, styles.data[: len(styles.data) // 2], styles.crc, styles.size
            )
        path = write_zip(tmp_path / "d.xlsx", entries)
        if damage == "version":
            data = _set_central_field(bytearray(path.read_bytes()), "[Content_Types].xml", 6, 219)
            path.write_bytes(bytes(data))
    assert_refused(path, NotAWorkbookError, reason, tmp_path)


def _set_central_field(data: bytearray, name: str, offset: int, value: int) -> bytearray:
    """Set a 2-byte field of ``name``'s central directory record (offset from its start)."""
    start = data.index(b"PK\x01\x02")
    while True:
        name_length = struct.unpack_from("<H", data, start + 28)[0]
        if data[start + 46 : start + 46 + name_length] == name.encode():
            struct.pack_into("<H", data, start + offset, value)
            return data
        extra, comment = struct.unpack_from("<HH", data, start + 30)
        start += 46 + name_length + extra + comment

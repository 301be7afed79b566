"""kamxl.excel.vbaproject: VBA source read and rewritten in a vbaProject.bin, no Excel needed.

The checks lean on independent readers: ``oletools`` (its MS-OVBA decompressor, its dir
stream parser and its macro extractor) and ``olefile`` (its compound-file reader, with
incorrect structures raised as errors), and on the worked examples of [MS-OVBA] 3.2.
"""

from __future__ import annotations

import io
import random
import uuid
import warnings
import zipfile
from pathlib import Path

import olefile
import pytest
import xlwings
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kamxl.excel.vbaproject import (
    VBA_PROJECT_STREAM,
    Storage,
    compress,
    decompress,
    module_sources,
    read_compound_file,
    with_module_sources,
    write_compound_file,
)

with warnings.catch_warnings():  # oletools still calls pyparsing's old names on import
    warnings.simplefilter("ignore", DeprecationWarning)
    from oletools import olevba
    from oletools.olevba import VBA_Parser, decompress_stream

TEMPLATE = Path(xlwings.__file__).parent / "quickstart_addin_ribbon.xlam"
MODULES = ["ThisWorkbook", "Dictionary", "RibbonMyAddin", "Sheet2", "xlwings"]
NOSTREAM = 0xFFFFFFFF

# [MS-OVBA] 3.2.1 (no compression), 3.2.2 (normal), 3.2.3 (maximum): decompressed, compressed.
SPEC_NO_COMPRESSION = (
    b"abcdefghijklmnopqrstuv.",
    bytes.fromhex("0119B000616263646566676800696A6B6C6D6E6F70007172737475762E"),
)
SPEC_NORMAL = (
    b"#aaabcdefaaaaghijaaaaaklaaamnopqaaaaaaaaaaaarstuvwxyzaaa",
    bytes.fromhex(
        "012FB00023616161626364658266007061676869"
        "6A013808616B6C00206D6E6F7006710270040072"
        "73747576107778797A002C"
    ),
)
# An earlier edition printed other (equally valid) offsets for three CopyTokens of 3.2.2.
SPEC_NORMAL_EARLIER = (
    SPEC_NORMAL[0],
    bytes.fromhex(
        "012FB00023616161626364658266007061676869"
        "6A013808616B6C00306D6E6F7006710270041072"
        "73747576107778797A003C"
    ),
)
SPEC_MAXIMUM = (b"a" * 73, bytes.fromhex("0103B0026145" + "00"))


@pytest.fixture(scope="module")
def template() -> bytes:
    """The xlwings ribbon add-in's vbaProject.bin."""
    with zipfile.ZipFile(TEMPLATE) as package:
        return package.read("xl/vbaProject.bin")


@pytest.fixture(scope="module")
def new_sources(template: bytes) -> dict[str, str]:
    """New text for RibbonMyAddin and xlwings, as kamxl changes them."""
    old = module_sources(template)
    ribbon = (
        'Attribute VB_Name = "RibbonMyAddin"\r\n'
        "Sub RunMain(control As IRibbonControl)\r\n"
        '    RunPython "import kamxl.ribbon; kamxl.ribbon.main()"\r\n'
        "End Sub\r\n"
    )
    name_line = 'Public Const PROJECT_NAME As String = "myaddin"'
    assert old["xlwings"].count(name_line) == 1
    xlwings_module = old["xlwings"].replace(
        name_line, 'Public Const PROJECT_NAME As String = "kamxl"'
    )
    return {"RibbonMyAddin": ribbon, "xlwings": xlwings_module}


@pytest.fixture(scope="module")
def rewritten(template: bytes, new_sources: dict[str, str]) -> bytes:
    return with_module_sources(template, new_sources)


def oletools_modules(vba_project: bytes) -> dict[str, tuple[str, int]]:
    """Module name -> (stream name, TextOffset), as oletools' own dir parser reads them."""
    ole = olefile.OleFileIO(vba_project)
    project = olevba.VBA_Project(ole, "", "PROJECT", "VBA/dir", relaxed=False)
    list(project.parse_modules())
    return {m.name: (m.streamname, m.textoffset) for m in project.modules}


def stream(vba_project: bytes, path: str) -> bytes:
    return olefile.OleFileIO(vba_project).openstream(path).read()


def xlam_with(vba_project: bytes) -> bytes:
    """The template add-in re-zipped with another vbaProject.bin."""
    out = io.BytesIO()
    with zipfile.ZipFile(TEMPLATE) as source, zipfile.ZipFile(out, "w") as target:
        for item in source.infolist():
            data = source.read(item)
            target.writestr(item, vba_project if item.filename == "xl/vbaProject.bin" else data)
    return out.getvalue()


# --- compression ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "example", [SPEC_NO_COMPRESSION, SPEC_NORMAL, SPEC_NORMAL_EARLIER, SPEC_MAXIMUM]
)
def test_decompress_gives_the_specification_examples(example: tuple[bytes, bytes]) -> None:
    plain, packed = example
    assert decompress(packed) == plain


@pytest.mark.parametrize("example", [SPEC_NO_COMPRESSION, SPEC_NORMAL, SPEC_MAXIMUM])
def test_compress_gives_the_specification_examples(example: tuple[bytes, bytes]) -> None:
    plain, packed = example
    assert compress(plain) == packed


def _texts(size: int) -> dict[str, bytes]:
    rng = random.Random(size)
    words = ["Dim", "As", "String", "End", "Sub", "If", "Then", "x", "=", "1", "\r\n", "    "]
    text = "".join(rng.choice(words) + " " for _ in range(size))[:size]
    return {
        "repetitive": (b'Attribute VB_Name = "M"\r\n' * (size // 25 + 1))[:size],
        "random text": text.encode("ascii"),
        "random letters": bytes(rng.choice(b"abcdefghijklmnopqrstuvwxyz") for _ in range(size)),
        "random bytes": rng.randbytes(size),
    }


@pytest.mark.parametrize("size", [0, 1, 4095, 4096, 4097, 20000])
@pytest.mark.parametrize("kind", ["repetitive", "random text", "random letters", "random bytes"])
def test_round_trip(size: int, kind: str) -> None:
    data = _texts(size)[kind]
    assert len(data) == size
    packed = compress(data)
    assert packed[0] == 1
    assert decompress_stream(packed) == decompress(packed)
    unpacked = decompress(packed)
    if kind == "random bytes" and size == 4095:
        # Incompressible and short of a whole chunk: [MS-OVBA] 2.4.1.3.10 stores it as a raw
        # chunk (header 0x3FFF) padded with zeros to 4096 bytes -- the format has no exact form.
        assert packed[1:3] == b"\xff\x3f"
        assert unpacked == data + b"\x00"
    elif unpacked != data:
        # The same happens to any last chunk of over 3640 bytes that barely compresses.
        assert kind in ("random letters", "random bytes")
        assert size % 4096 > 3640
        assert packed[-4098:-4096] == b"\xff\x3f"
        assert unpacked == data + bytes(-size % 4096)
    if kind == "repetitive" and size >= 4096:
        assert len(packed) < size // 10


VBA_ALPHABET = "Dim As Long\r\n\t'\"()=+-.,_0123456789abcdefxyzé"
VBA_WORDS = ["Dim", "As", "Long", "String", "If", "Then", "End", "Sub", "x", "y", "=", "+", "é"]
VBA_WORDS += ["\r\n", "    ", "'", '"', "(", ")", ".", "0", "1", "2", "Function", "Set", "Next"]
long_texts = st.builds(  # source-like text, redundant as real VBA is, across chunk boundaries
    lambda words, seed: " ".join(random.Random(seed).choices(VBA_WORDS, k=words)),
    st.integers(1000, 5000),
    st.integers(0, 2**32),
)
long_binaries = st.builds(
    lambda size, seed: random.Random(seed).randbytes(size),
    st.integers(3000, 13000),
    st.integers(0, 2**32),
)


@settings(max_examples=60, deadline=None)
@given(st.one_of(st.text(alphabet=VBA_ALPHABET, max_size=3640), long_texts))
def test_text_round_trips_exactly(text: str) -> None:
    data = text.encode("cp1252")
    packed = compress(data)
    assert decompress(packed) == data
    assert decompress_stream(packed) == data


@settings(max_examples=60, deadline=None)
@given(st.one_of(st.binary(), long_binaries))
def test_any_bytes_round_trip_up_to_the_formats_padding(data: bytes) -> None:
    unpacked = decompress(compress(data))
    assert decompress_stream(compress(data)) == unpacked
    assert unpacked[: len(data)] == data
    padding = unpacked[len(data) :]
    assert padding == bytes(len(padding))
    if padding:  # only a raw last chunk is padded, and only up to the chunk's end
        assert len(unpacked) % 4096 == 0
        assert len(data) % 4096 > 3640


@pytest.mark.parametrize(
    "broken",
    [
        b"",
        b"\x00\x02\xb0\x00abc",  # wrong container signature
        b"\x01\x02\xa0\x00abc",  # wrong chunk signature
        b"\x01\x03\xb0\x01\x00\x00",  # a CopyToken first: nothing to copy from
        b"\x01\x02\x30abc",  # raw chunk that is not 4096 bytes
    ],
)
def test_decompress_refuses_broken_containers(broken: bytes) -> None:
    with pytest.raises(ValueError):
        decompress(broken)


def test_decompress_agrees_with_oletools_on_the_template(template: bytes) -> None:
    modules = oletools_modules(template)
    assert sorted(modules) == sorted(MODULES)
    dir_stream = stream(template, "VBA/dir")
    assert decompress(dir_stream) == decompress_stream(dir_stream)
    for stream_name, offset in modules.values():
        container = stream(template, f"VBA/{stream_name}")[offset:]
        assert decompress(container) == decompress_stream(container)
        assert len(decompress(container)) > 200


def test_compress_output_agrees_with_oletools(template: bytes) -> None:
    for text in module_sources(template).values():
        data = text.encode("cp1252")
        assert decompress_stream(compress(data)) == data


# --- module sources ---------------------------------------------------------------------------


def test_module_sources_of_the_template(template: bytes) -> None:
    sources = module_sources(template)
    assert list(sources) == MODULES
    assert "Sub RunMain(control As IRibbonControl)" in sources["RibbonMyAddin"]
    assert 'PROJECT_NAME As String = "myaddin"' in sources["xlwings"]
    for name, text in sources.items():
        assert text.startswith(f'Attribute VB_Name = "{name}"')
    # Line ends are kept as stored: Office wrote CRLF, xlwings' build wrote its module with LF.
    assert "\r\n" in sources["Dictionary"]
    assert "\n" in sources["xlwings"]
    assert "\r\n" not in sources["xlwings"]


def test_module_sources_match_oletools_extraction(template: bytes) -> None:
    parser = VBA_Parser("addin.xlam", data=TEMPLATE.read_bytes())
    extracted = {path.split("/")[-1]: code for _, path, _, code in parser.extract_macros()}
    assert extracted == module_sources(template)


# --- rewriting --------------------------------------------------------------------------------


def test_rewritten_project_has_the_new_sources(
    template: bytes, rewritten: bytes, new_sources: dict[str, str]
) -> None:
    expected = module_sources(template) | new_sources
    assert module_sources(rewritten) == expected
    parser = VBA_Parser("kamxl.xlam", data=xlam_with(rewritten))
    extracted = {path.split("/")[-1]: code for _, path, _, code in parser.extract_macros()}
    assert extracted == expected
    assert 'PROJECT_NAME As String = "kamxl"' in extracted["xlwings"]
    assert "kamxl.ribbon.main()" in extracted["RibbonMyAddin"]


def test_rewritten_project_is_source_only(template: bytes, rewritten: bytes) -> None:
    before = oletools_modules(template)
    after = oletools_modules(rewritten)
    assert {name: offset for name, (_, offset) in after.items()} == dict.fromkeys(MODULES, 0)
    assert stream(rewritten, "VBA/_VBA_PROJECT") == VBA_PROJECT_STREAM
    assert bytes.fromhex("CC61FFFF000100") == VBA_PROJECT_STREAM
    for name in ["ThisWorkbook", "Dictionary", "Sheet2"]:
        # The p-code is gone; the compressed source Office wrote after it is kept.
        stream_name, offset = before[name]
        assert offset > 0
        original = stream(template, f"VBA/{stream_name}")
        assert stream(rewritten, f"VBA/{stream_name}") == original[offset:]


def test_rewritten_project_keeps_everything_else(template: bytes, rewritten: bytes) -> None:
    old = olefile.OleFileIO(template)
    new = olefile.OleFileIO(rewritten, raise_defects=olefile.DEFECT_INCORRECT)
    assert new.listdir(storages=True) == old.listdir(storages=True)
    for path in ["PROJECT", "PROJECTwm"]:
        assert new.openstream(path).read() == old.openstream(path).read()
    assert new.root.clsid == old.root.clsid
    assert new.getclsid("VBA") == old.getclsid("VBA")
    assert not [p for p in new.listdir() if p[-1].lower().startswith("__srp_")]


def test_rewriting_again_changes_nothing(rewritten: bytes) -> None:
    assert with_module_sources(rewritten, {}) == rewritten


def test_what_is_not_a_compound_file_is_refused() -> None:
    with pytest.raises(ValueError, match="compound file"):
        module_sources(b"PK\x03\x04 not an OLE file" * 100)


def test_unknown_module_is_refused(template: bytes) -> None:
    with pytest.raises(ValueError, match="NoSuchModule"):
        with_module_sources(template, {"NoSuchModule": 'Attribute VB_Name = "NoSuchModule"\r\n'})


def test_source_must_name_its_module(template: bytes) -> None:
    with pytest.raises(ValueError, match="VB_Name"):
        with_module_sources(template, {"RibbonMyAddin": "Sub RunMain()\r\nEnd Sub\r\n"})
    with pytest.raises(ValueError, match="VB_Name"):
        with_module_sources(template, {"RibbonMyAddin": 'Attribute VB_Name = "xlwings"\r\n'})


def test_source_must_fit_the_code_page(template: bytes) -> None:
    with pytest.raises(ValueError, match="code page"):
        with_module_sources(template, {"RibbonMyAddin": 'Attribute VB_Name = "RibbonMyAddin"\n→'})


def test_source_the_format_cannot_hold_exactly_is_refused(template: bytes) -> None:
    rng = random.Random(7)
    noise = "".join(chr(rng.randrange(0x21, 0x7F)) for _ in range(3800))
    with pytest.raises(ValueError, match="cannot be stored exactly"):
        with_module_sources(
            template, {"RibbonMyAddin": 'Attribute VB_Name = "RibbonMyAddin"\r\n' + noise}
        )


def test_performance_cache_streams_are_dropped(template: bytes) -> None:
    tree = read_compound_file(template)
    vba = tree.children["VBA"]
    assert isinstance(vba, Storage)
    vba.children["__SRP_0"] = b"\x01" * 5000
    vba.children["__SRP_1"] = b"\x02" * 100
    with_cache = write_compound_file(tree)
    assert ["VBA", "__SRP_0"] in olefile.OleFileIO(with_cache).listdir()
    cleaned = olefile.OleFileIO(with_module_sources(with_cache, {}))
    assert not [p for p in cleaned.listdir() if p[-1].startswith("__SRP_")]
    assert len(cleaned.listdir()) == len(olefile.OleFileIO(template).listdir())


# --- compound file writer ---------------------------------------------------------------------


def _cfb_key(name: str) -> tuple[int, list[int]]:
    return len(name), [ord(c.upper()) for c in name]


def check_red_black_trees(data: bytes) -> None:
    """Every storage's children form a red-black search tree ([MS-CFB] 2.6.4)."""
    ole = olefile.OleFileIO(data, raise_defects=olefile.DEFECT_INCORRECT)
    entries = {e.sid: e for e in ole.direntries if e is not None}

    def black_height(sid: int, low: str | None, high: str | None, parent_red: bool) -> int:
        if sid == NOSTREAM:
            return 1
        entry = entries[sid]
        if low is not None:
            assert _cfb_key(low) < _cfb_key(entry.name)
        if high is not None:
            assert _cfb_key(entry.name) < _cfb_key(high)
        red = entry.color == 0
        assert not (red and parent_red), "two red entries in a row"
        left = black_height(entry.sid_left, low, entry.name, red)
        right = black_height(entry.sid_right, entry.name, high, red)
        assert left == right, "paths with different numbers of black entries"
        return left + (0 if red else 1)

    for entry in entries.values():
        if entry.entry_type in (olefile.STGTY_STORAGE, olefile.STGTY_ROOT):
            if entry.sid_child != NOSTREAM:
                assert entries[entry.sid_child].color == 1, "a tree's root must be black"
            black_height(entry.sid_child, None, None, False)
        if entry.entry_type == olefile.STGTY_STORAGE:
            assert (entry.isectStart, entry.size) == (0, 0)


def test_template_rewrite_has_valid_trees(rewritten: bytes) -> None:
    check_red_black_trees(rewritten)
    assert len(rewritten) % 512 == 0


def test_writer_reproduces_the_template_streams(template: bytes) -> None:
    copy = write_compound_file(read_compound_file(template))
    old = olefile.OleFileIO(template)
    new = olefile.OleFileIO(copy, raise_defects=olefile.DEFECT_INCORRECT)
    assert new.listdir(storages=True) == old.listdir(storages=True)
    for path in old.listdir():
        assert new.openstream(path).read() == old.openstream(path).read()
    check_red_black_trees(copy)


SIZES = [0, 1, 63, 64, 65, 4095, 4096, 4097, 5000, 70000]
NAME_CHARACTERS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_ .-é"
names = st.text(alphabet=NAME_CHARACTERS, min_size=1, max_size=31)


def _unique(children: list[tuple[str, Storage | bytes]]) -> dict[str, Storage | bytes]:
    out: dict[str, Storage | bytes] = {}
    seen: set[str] = set()
    for name, child in children:
        if name.upper() not in seen:
            seen.add(name.upper())
            out[name] = child
    return out


streams = st.builds(
    lambda size, seed: random.Random(seed).randbytes(size),
    st.sampled_from(SIZES),
    st.integers(0, 1000),
)


def storages(children: st.SearchStrategy[Storage | bytes]) -> st.SearchStrategy[Storage]:
    return st.builds(
        lambda kids, clsid, stamps: Storage(
            children=_unique(kids), clsid=clsid, created=stamps, modified=stamps + 1
        ),
        st.lists(st.tuples(names, children), max_size=9),
        st.sampled_from([bytes(16), uuid.UUID(int=0x1234).bytes_le, bytes(range(16))]),
        st.sampled_from([0, 132000000000000000]),
    )


trees = st.builds(
    lambda kids, clsid: Storage(children=_unique(kids), clsid=clsid),
    st.lists(
        st.tuples(names, st.one_of(streams, storages(st.one_of(streams, storages(streams))))),
        max_size=12,
    ),
    st.sampled_from([bytes(16), bytes(range(16))]),
)


def _paths(storage: Storage, prefix: list[str]) -> list[list[str]]:
    out = []
    for name, child in storage.children.items():
        out.append([*prefix, name])
        if isinstance(child, Storage):
            out.extend(_paths(child, [*prefix, name]))
    return out


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(trees)
def test_writer_output_reads_back_identically(tree: Storage) -> None:
    data = write_compound_file(tree)
    ole = olefile.OleFileIO(data, raise_defects=olefile.DEFECT_INCORRECT)
    expected = sorted(_paths(tree, []))
    assert sorted(ole.listdir(storages=True)) == expected
    for path in expected:
        item = tree
        for name in path:
            assert isinstance(item, Storage)
            item = item.children[name]
        if isinstance(item, bytes):
            assert ole.openstream(path).read() == item
        else:
            shown = str(uuid.UUID(bytes_le=item.clsid)).upper() if any(item.clsid) else ""
            assert ole.getclsid(path) == shown
    check_red_black_trees(data)
    assert read_compound_file(data) == tree


@pytest.mark.parametrize("count", range(0, 40))
def test_sibling_trees_of_every_size_are_red_black(count: int) -> None:
    tree = Storage(children={f"s{i:03d}": bytes([i]) * i for i in range(count)})
    data = write_compound_file(tree)
    check_red_black_trees(data)
    assert read_compound_file(data) == tree


def test_writer_refuses_what_it_cannot_write() -> None:
    with pytest.raises(ValueError, match="FAT sectors"):
        write_compound_file(Storage(children={"big": bytes(109 * 128 * 512)}))
    with pytest.raises(ValueError, match="1 to 31"):
        write_compound_file(Storage(children={"x" * 32: b""}))
    with pytest.raises(ValueError, match="contains"):
        write_compound_file(Storage(children={"a/b": b""}))
    with pytest.raises(ValueError, match="clash"):
        write_compound_file(Storage(children={"Name": b"", "NAME": b""}))

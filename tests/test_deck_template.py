"""The default deck template and the check of a user's template (kamxl.deck.template)."""

from __future__ import annotations

import posixpath
import re
import tomllib
import zipfile
from pathlib import Path

import pytest
from lxml import etree
from pptx import Presentation
from pptx.enum.shapes import PP_PLACEHOLDER
from pptx.util import Inches

from kamxl.deck import style
from kamxl.deck.template import (
    DEFAULT_TEMPLATE,
    REQUIRED_LAYOUTS,
    TITLE_ONLY,
    TITLE_SLIDE,
    build_default_template,
    check_template,
    layout,
    load_template,
)
from kamxl.errors import FileProblemError, NotAWorkbookError, TemplateError, UnsafeFileError
from tests.conftest import ROOT, SAMPLE
from tests.ooxml import differences

COMMITTED = ROOT / "decks" / "templates" / "kamxl_default.pptx"
A = "{http://schemas.openxmlformats.org/drawingml/2006/main}"
P = "{http://schemas.openxmlformats.org/presentationml/2006/main}"
REL = "{http://schemas.openxmlformats.org/package/2006/relationships}"
FOOTER_TYPES = {PP_PLACEHOLDER.DATE, PP_PLACEHOLDER.FOOTER, PP_PLACEHOLDER.SLIDE_NUMBER}


def box_of(shape) -> style.Box:
    return style.Box(shape.left, shape.top, shape.width, shape.height)


def xml(path: Path, part: str) -> etree._Element:
    with zipfile.ZipFile(path) as archive:
        return etree.fromstring(archive.read(part))


# --- the committed template ------------------------------------------------------------------


def test_committed_template_is_a_fresh_build(tmp_path: Path) -> None:
    fresh = build_default_template(tmp_path / "fresh.pptx")
    assert differences(COMMITTED, fresh) == []


def test_building_twice_gives_the_same_bytes(tmp_path: Path) -> None:
    one = build_default_template(tmp_path / "one.pptx").read_bytes()
    two = build_default_template(tmp_path / "two.pptx").read_bytes()
    assert one == two


def test_default_template_is_found_as_package_data() -> None:
    assert DEFAULT_TEMPLATE.name == "kamxl_default.pptx"
    assert DEFAULT_TEMPLATE.is_file()
    assert differences(COMMITTED, DEFAULT_TEMPLATE) == []


def test_template_is_16_9_with_exactly_the_two_layouts() -> None:
    presentation = Presentation(str(COMMITTED))
    assert (presentation.slide_width, presentation.slide_height) == (
        style.SLIDE_WIDTH,
        style.SLIDE_HEIGHT,
    )
    assert len(presentation.slide_masters) == 1
    assert [each.name for each in presentation.slide_layouts] == [TITLE_SLIDE, TITLE_ONLY]
    assert len(presentation.slides) == 0


def test_layouts_hold_the_placeholders_of_the_contract() -> None:
    presentation = Presentation(str(COMMITTED))
    for name, roles in REQUIRED_LAYOUTS.items():
        found = layout(presentation, name)
        types = [ph.placeholder_format.type for ph in found.placeholders]
        assert len(types) == len(roles), (name, types)
        for accepted in roles.values():
            assert any(kind in accepted for kind in types), (name, types)


def test_title_placeholders_sit_on_the_title_box() -> None:
    presentation = Presentation(str(COMMITTED))
    (title,) = layout(presentation, TITLE_ONLY).placeholders
    assert title.placeholder_format.type == PP_PLACEHOLDER.TITLE
    assert box_of(title) == style.TITLE_BOX
    master_title = next(
        ph
        for ph in presentation.slide_master.placeholders
        if ph.placeholder_format.type == PP_PLACEHOLDER.TITLE
    )
    assert box_of(master_title) == style.TITLE_BOX
    # A slide made on the layout inherits the position.
    slide = presentation.slides.add_slide(layout(presentation, TITLE_ONLY))
    assert box_of(slide.shapes.title) == style.TITLE_BOX


def test_title_slide_shapes_stay_inside_the_slide() -> None:
    presentation = Presentation(str(COMMITTED))
    for shape in layout(presentation, TITLE_SLIDE).shapes:
        assert shape.left >= 0 and shape.top >= 0
        assert shape.left + shape.width <= style.SLIDE_WIDTH
        assert shape.top + shape.height <= style.SLIDE_HEIGHT


def test_no_date_footer_or_slide_number_placeholders() -> None:
    presentation = Presentation(str(COMMITTED))
    holders = [presentation.slide_master, *presentation.slide_layouts]
    for holder in holders:
        kinds = {ph.placeholder_format.type for ph in holder.placeholders}
        assert not kinds & FOOTER_TYPES, holder.name


def test_theme_is_kamxl_in_calibri() -> None:
    theme = xml(COMMITTED, "ppt/theme/theme1.xml")
    assert theme.get("name") == "kamxl"
    for kind in ("majorFont", "minorFont"):
        (latin,) = theme.iter(f"{A}{kind}")
        assert latin.find(f"{A}latin").get("typeface") == style.FONT == "Calibri"
    accent1 = theme.find(f".//{A}clrScheme/{A}accent1/{A}srgbClr")
    assert accent1.get("val") == str(style.BRAND)
    # No shadows, bevels or gradients for shapes drawn without their own style.
    assert not list(theme.iter(f"{A}outerShdw"))
    assert not list(theme.iter(f"{A}gradFill"))


def test_master_styles_follow_the_style_guide() -> None:
    master = xml(COMMITTED, "ppt/slideMasters/slideMaster1.xml")
    assert master.find(f"{P}cSld").get("name") == "kamxl"
    background = master.find(f"{P}cSld/{P}bg//{A}srgbClr")
    assert background.get("val") == "FFFFFF"
    title = master.find(f"{P}txStyles/{P}titleStyle/{A}lvl1pPr")
    assert title.get("algn") == "l"
    run = title.find(f"{A}defRPr")
    assert run.get("sz") == str(round(style.TITLE.size.pt * 100)) == "2400"
    assert run.get("b") == "1"
    assert run.find(f"{A}solidFill/{A}srgbClr").get("val") == str(style.BRAND)
    body = master.find(f"{P}txStyles/{P}bodyStyle/{A}lvl1pPr/{A}defRPr")
    assert body.get("sz") == "1400"
    assert body.find(f"{A}solidFill/{A}srgbClr").get("val") == str(style.TEXT)
    anchor = next(
        sp.find(f"{P}txBody/{A}bodyPr")
        for sp in master.iter(f"{P}sp")
        if sp.find(f".//{P}ph").get("type") == "title"
    )
    assert anchor.get("anchor") == "b"


def test_core_properties_are_fixed() -> None:
    properties = Presentation(str(COMMITTED)).core_properties
    assert properties.author == "kamxl"
    assert properties.created.year == properties.modified.year == 2026
    assert (properties.created.month, properties.created.day) == (1, 1)


# --- no orphan parts -------------------------------------------------------------------------


def reachability(path: Path) -> tuple[set[str], set[str], list[str]]:
    """(names in the zip, names reached from the package relationships, dangling targets)."""
    with zipfile.ZipFile(path) as archive:
        names = set(archive.namelist())
        reached = {"[Content_Types].xml"}
        dangling: list[str] = []
        todo = [""]  # "" is the package itself, whose relationships are _rels/.rels
        while todo:
            part = todo.pop()
            folder, base = posixpath.split(part)
            rels = posixpath.join(folder, "_rels", base + ".rels")
            if rels not in names:
                continue
            reached.add(rels)
            for rel in etree.fromstring(archive.read(rels)).iter(f"{REL}Relationship"):
                if rel.get("TargetMode") == "External":
                    continue
                target = rel.get("Target", "")
                name = (
                    target.lstrip("/")
                    if target.startswith("/")
                    else posixpath.normpath(posixpath.join(folder, target))
                )
                if name not in names:
                    dangling.append(f"{rels} -> {target}")
                elif name not in reached:
                    reached.add(name)
                    todo.append(name)
    return names, reached, dangling


def test_every_part_is_reachable_and_every_relationship_resolves() -> None:
    names, reached, dangling = reachability(COMMITTED)
    assert dangling == []
    assert names - reached == set()
    assert sorted(n for n in names if n.startswith("ppt/slideLayouts/")) == [
        "ppt/slideLayouts/_rels/slideLayout1.xml.rels",
        "ppt/slideLayouts/_rels/slideLayout2.xml.rels",
        "ppt/slideLayouts/slideLayout1.xml",
        "ppt/slideLayouts/slideLayout2.xml",
    ]


def test_content_types_name_only_parts_that_exist() -> None:
    types = xml(COMMITTED, "[Content_Types].xml")
    with zipfile.ZipFile(COMMITTED) as archive:
        names = set(archive.namelist())
    overrides = [o.get("PartName").lstrip("/") for o in types if o.get("PartName")]
    assert overrides and set(overrides) <= names


def test_the_reachability_walk_sees_an_orphan(tmp_path: Path) -> None:
    copy = tmp_path / "orphan.pptx"
    with zipfile.ZipFile(COMMITTED) as source, zipfile.ZipFile(copy, "w") as target:
        for info in source.infolist():
            target.writestr(info, source.read(info.filename))
        target.writestr("ppt/slideLayouts/slideLayout3.xml", "<x/>")
    names, reached, _ = reachability(copy)
    assert names - reached == {"ppt/slideLayouts/slideLayout3.xml"}


# --- checking a user's template --------------------------------------------------------------


def test_default_template_passes_the_check() -> None:
    assert check_template(COMMITTED) == []


def test_python_pptx_default_is_reported_as_4_3(tmp_path: Path) -> None:
    path = tmp_path / "office.pptx"
    Presentation().save(str(path))
    problems = check_template(path)
    assert len(problems) == 1, problems
    assert problems[0].startswith("slides are 4:3 (10 x 7.5 in); kamxl lays decks out on 16:9")
    assert "refuses" in problems[0]


def test_16_9_at_another_size_is_reported(tmp_path: Path) -> None:
    presentation = Presentation(str(COMMITTED))
    presentation.slide_width, presentation.slide_height = Inches(10), Inches(5.625)
    path = tmp_path / "small.pptx"
    presentation.save(str(path))
    (problem,) = check_template(path)
    assert problem.startswith("slides are 16:9 but 10 x 5.625 in;")


def test_the_powerpoint_widescreen_size_is_accepted(tmp_path: Path) -> None:
    presentation = Presentation(str(COMMITTED))
    presentation.slide_width = 12192000  # PowerPoint's own "Widescreen", 13 1/3 in exactly
    path = tmp_path / "widescreen.pptx"
    presentation.save(str(path))
    assert check_template(path) == []


def without(tmp_path: Path, name: str) -> Path:
    presentation = Presentation(str(COMMITTED))
    layouts = presentation.slide_layouts
    layouts.remove(layouts.get_by_name(name))
    path = tmp_path / f"without {name}.pptx"
    presentation.save(str(path))
    return path


def test_missing_title_only_layout_is_reported(tmp_path: Path) -> None:
    assert check_template(without(tmp_path, TITLE_ONLY)) == [
        'layout "Title Only" is missing (kamxl uses it for every content slide)'
    ]


def test_missing_title_slide_layout_is_reported(tmp_path: Path) -> None:
    assert check_template(without(tmp_path, TITLE_SLIDE)) == [
        'layout "Title Slide" is missing (kamxl uses it for the first slide of each deck)'
    ]


def test_missing_subtitle_placeholder_is_reported(tmp_path: Path) -> None:
    presentation = Presentation(str(COMMITTED))
    title_slide = layout(presentation, TITLE_SLIDE)
    for ph in list(title_slide.placeholders):
        if ph.placeholder_format.type == PP_PLACEHOLDER.SUBTITLE:
            ph.element.getparent().remove(ph.element)
    path = tmp_path / "no subtitle.pptx"
    presentation.save(str(path))
    (problem,) = check_template(path)
    assert problem.startswith('layout "Title Slide" has no subtitle placeholder')


def test_a_text_file_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "brand.pptx"
    path.write_text("not a presentation\n")
    with pytest.raises(FileProblemError) as caught:
        check_template(path)
    message = str(caught.value)
    assert str(path) in message
    assert "not a PowerPoint presentation (.pptx)" in message


def test_a_workbook_is_a_clear_error() -> None:
    with pytest.raises(NotAWorkbookError, match="an Excel workbook, not a PowerPoint"):
        check_template(SAMPLE)


def test_a_missing_file_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(FileProblemError, match="does not exist"):
        check_template(tmp_path / "nowhere.pptx")


def rewritten(tmp_path: Path, name: str, edit) -> Path:
    """A copy of the default template with one part changed by ``edit(bytes) -> bytes``."""
    copy = tmp_path / "edited.pptx"
    with zipfile.ZipFile(COMMITTED) as source, zipfile.ZipFile(copy, "w") as target:
        for info in source.infolist():
            data = source.read(info.filename)
            target.writestr(info, edit(data) if info.filename == name else data)
    return copy


def test_a_potx_is_named_as_such(tmp_path: Path) -> None:
    path = rewritten(
        tmp_path,
        "[Content_Types].xml",
        lambda data: data.replace(b"presentation.main+xml", b"template.main+xml"),
    )
    with pytest.raises(TemplateError, match=r"PowerPoint template \(\.potx\)"):
        check_template(path)


def test_a_dtd_is_refused(tmp_path: Path) -> None:
    path = rewritten(
        tmp_path,
        "ppt/theme/theme1.xml",
        lambda data: re.sub(rb"\?>", b'?><!DOCTYPE x [<!ENTITY e "e">]>', data, count=1),
    )
    with pytest.raises(UnsafeFileError, match="DTD"):
        check_template(path)


# --- using a template ------------------------------------------------------------------------


def test_layout_by_name_or_a_clear_error() -> None:
    presentation = Presentation(str(COMMITTED))
    assert layout(presentation, TITLE_ONLY).name == TITLE_ONLY
    with pytest.raises(TemplateError, match='has no layout "Two Content"'):
        layout(presentation, "Two Content")


def test_load_template_refuses_a_template_with_problems(tmp_path: Path) -> None:
    path = tmp_path / "office.pptx"
    Presentation().save(str(path))
    with pytest.raises(TemplateError, match="slides are 4:3"):
        load_template(path)


SECTIONS = (
    '<p:extLst xmlns:p="http://schemas.openxmlformats.org/presentationml/2006/main">'
    '<p:ext uri="{521415D9-36F7-43E2-AB2F-B90AF26B5E84}">'
    '<p14:sectionLst xmlns:p14="http://schemas.microsoft.com/office/powerpoint/2010/main">'
    '<p14:section name="Examples" id="{0F4E5B1A-2C3D-4E5F-8A9B-0C1D2E3F4A5B}">'
    '<p14:sldIdLst><p14:sldId id="256"/><p14:sldId id="257"/></p14:sldIdLst>'
    "</p14:section></p14:sectionLst></p:ext></p:extLst>"
)


def test_load_template_drops_the_example_slides_of_a_user_template(tmp_path: Path) -> None:
    presentation = Presentation(str(COMMITTED))
    presentation.slides.add_slide(layout(presentation, TITLE_ONLY)).shapes.title.text = "Example"
    notes = presentation.slides.add_slide(layout(presentation, TITLE_SLIDE)).notes_slide
    notes.notes_text_frame.text = "Say hello"
    presentation.element.append(etree.fromstring(SECTIONS))
    path = tmp_path / "branded.pptx"
    presentation.save(str(path))
    loaded = load_template(path)
    assert len(loaded.slides) == 0
    loaded.slides.add_slide(layout(loaded, TITLE_SLIDE))
    out = tmp_path / "deck.pptx"
    loaded.save(str(out))
    names, reached, dangling = reachability(out)
    assert (names - reached, dangling) == (set(), [])
    assert sum(n.startswith("ppt/slides/slide") for n in names) == 1
    assert not any(n.startswith("ppt/notesSlides/") for n in names)
    assert b"sectionLst" not in zipfile.ZipFile(out).read("ppt/presentation.xml")


def test_load_template_defaults_to_kamxl_template() -> None:
    presentation = load_template()
    assert [each.name for each in presentation.slide_layouts] == [TITLE_SLIDE, TITLE_ONLY]


# --- packaging -------------------------------------------------------------------------------


def test_pyproject_lists_every_package_and_ships_the_template() -> None:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    on_disk = {
        ".".join(folder.relative_to(ROOT).parts)
        for folder in [ROOT / "kamxl", *(ROOT / "kamxl").rglob("*")]
        if folder.is_dir() and any(folder.glob("*.py"))
    }
    assert set(config["packages"]) == on_disk | {"kamxl.deck.templates"}
    assert config["package-dir"] == {"kamxl.deck.templates": "decks/templates"}
    assert "*.pptx" in config["package-data"]["kamxl.deck.templates"]

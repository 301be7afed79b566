"""The deck template: kamxl's clean default, and checking a user's branded template.

Every deck is built on a template ``.pptx``: its slide master gives the background, the fonts
and the colours, and kamxl takes two of its slide layouts BY NAME (:data:`REQUIRED_LAYOUTS`),
standard Office names found in most corporate templates:

- ``"Title Slide"`` with a title and a subtitle placeholder, for the first slide of a deck;
- ``"Title Only"`` with a title placeholder, for every content slide: kamxl puts the slide's
  action title in that placeholder and draws the kicker, tables, charts, text and footer
  itself in the grid of :mod:`kamxl.deck.style`.

:func:`build_default_template` writes kamxl's own template (decks/templates/
kamxl_default.pptx, :data:`DEFAULT_TEMPLATE`) from python-pptx's default: 16:9, only those two
layouts, Calibri, the palette of :mod:`kamxl.deck.style`, the title placeholder on
:data:`~kamxl.deck.style.TITLE_BOX`, no date/footer/slide-number placeholders (kamxl draws
its own footer). Building twice gives the same file (fixed dates and zip timestamps), so the
committed template can be checked against a fresh build.

:func:`check_template` tells, in plain sentences, everything a user's template lacks; a deck
is refused on a template with any problem (:func:`load_template`), including slides that are
not 16:9 at 13.333 x 7.5 in: the grid is in inches, so stretching it would misplace every
shape, and rescaling a template is the designer's job, done once in PowerPoint.
"""

from __future__ import annotations

import importlib.resources
import io
import zipfile
from collections.abc import Callable, Mapping
from datetime import datetime
from fractions import Fraction
from pathlib import Path
from types import MappingProxyType
from typing import Final

from lxml import etree
from pptx import Presentation
from pptx.enum.shapes import PP_PLACEHOLDER
from pptx.opc.constants import CONTENT_TYPE as CT
from pptx.opc.constants import RELATIONSHIP_TYPE as RT
from pptx.opc.package import Part
from pptx.opc.packuri import PackURI
from pptx.oxml import parse_xml
from pptx.oxml.ns import nsdecls, qn
from pptx.presentation import Presentation as PresentationType
from pptx.slide import SlideLayout
from pptx.util import Emu, Inches, Pt

from kamxl.deck import style
from kamxl.deck.style import Box
from kamxl.errors import TemplateError
from kamxl.files import atomic_write
from kamxl.workbook.package import Package

__all__ = [
    "DEFAULT_TEMPLATE",
    "REQUIRED_LAYOUTS",
    "TITLE_ONLY",
    "TITLE_SLIDE",
    "build_default_template",
    "check_template",
    "layout",
    "load_template",
]

TITLE_SLIDE: Final = "Title Slide"
TITLE_ONLY: Final = "Title Only"

#: The contract with a template: layout name -> placeholder role -> the placeholder types
#: that fill that role. Layouts are found by name, placeholders by type.
REQUIRED_LAYOUTS: Final[Mapping[str, Mapping[str, frozenset[PP_PLACEHOLDER]]]] = MappingProxyType(
    {
        TITLE_SLIDE: MappingProxyType(
            {
                "title": frozenset({PP_PLACEHOLDER.TITLE, PP_PLACEHOLDER.CENTER_TITLE}),
                "subtitle": frozenset({PP_PLACEHOLDER.SUBTITLE}),
            }
        ),
        TITLE_ONLY: MappingProxyType({"title": frozenset({PP_PLACEHOLDER.TITLE})}),
    }
)

#: Why kamxl needs each layout, for the messages of :func:`check_template`.
_USE: Final = {
    TITLE_SLIDE: "for the first slide of each deck",
    TITLE_ONLY: "for every content slide",
}

_TEMPLATE_NAME: Final = "kamxl_default.pptx"
_SOURCE_FOLDER: Final = Path(__file__).resolve().parents[2] / "decks" / "templates"


def _default_template() -> Path:
    """Where the default template is: the data of the package ``kamxl.deck.templates``.

    pyproject.toml maps that package to the folder decks/templates, so an installed kamxl
    (wheel or editable) finds the file through importlib.resources; a source checkout that
    was never installed falls back to the folder beside the package.
    """
    try:
        resource = importlib.resources.files("kamxl.deck.templates") / _TEMPLATE_NAME
    except ModuleNotFoundError:
        return _SOURCE_FOLDER / _TEMPLATE_NAME
    if isinstance(resource, Path) and resource.is_file():
        return resource
    return _SOURCE_FOLDER / _TEMPLATE_NAME


#: kamxl's own template (built by :func:`build_default_template`, shipped with the package).
DEFAULT_TEMPLATE: Final[Path] = _default_template()

# --- building the default template ---------------------------------------------------------

#: Stamped as creation and modification date, so that building twice gives the same file.
_FIXED_DATE: Final = datetime(2026, 1, 1)
_ZIP_DATE: Final = (2026, 1, 1, 0, 0, 0)
#: python-pptx's (and PowerPoint's) default left/right text inset; the text boxes kamxl draws
#: keep it too, so text starts 0.1 in inside every box of the grid, titles included.
_INSET: Final = Emu(91440)
#: PowerPoint counts guide positions in 1/8 pt (1587.5 EMU).
_GUIDE_UNIT: Final = 1587.5

_COVER_TITLE_SIZE: Final = Pt(36)
_COVER_SUBTITLE_SIZE: Final = Pt(18)
_DEEPER_LEVEL_SIZE: Final = Pt(12)
#: The title slide: the title block ends above the middle, a short brand rule under it
#: (aligned with the text, not the box), the subtitle below, a thin brand band at the foot.
_COVER_TITLE: Final = Box(style.MARGIN, Inches(1.5), style.TITLE_BOX.width, Inches(2.3))
_COVER_RULE: Final = Box(style.MARGIN + _INSET, Inches(3.98), Inches(1.2), Inches(0.06))
_COVER_SUBTITLE: Final = Box(style.MARGIN, Inches(4.2), style.TITLE_BOX.width, Inches(2.2))
_COVER_BAND: Final = Box(0, style.SLIDE_HEIGHT - Inches(0.12), style.SLIDE_WIDTH, Inches(0.12))

_NAME: Final = "kamxl"
_TITLE_PROMPT: Final = "Click to edit Master title style"


def _centipoints(size: int) -> int:
    """A font size in EMU (python-pptx's ``Pt``) as DrawingML's hundredths of a point."""
    return round(Emu(size).pt * 100)


def _xfrm(box: Box) -> str:
    return (
        f'<a:xfrm><a:off x="{box.left}" y="{box.top}"/>'
        f'<a:ext cx="{box.width}" cy="{box.height}"/></a:xfrm>'
    )


def _run_properties(size: int, color: object, *, bold: bool = False, title: bool = False) -> str:
    """A ``defRPr`` in the theme fonts (``+mj`` for titles, ``+mn`` for text)."""
    font = "mj" if title else "mn"
    weight = ' b="1"' if bold else ""
    return (
        f'<a:defRPr sz="{_centipoints(size)}"{weight} kern="1200">'
        f'<a:solidFill><a:srgbClr val="{color}"/></a:solidFill>'
        f'<a:latin typeface="+{font}-lt"/><a:ea typeface="+{font}-ea"/>'
        f'<a:cs typeface="+{font}-cs"/></a:defRPr>'
    )


def _title_style() -> str:
    """The master title style: 24 pt (:data:`kamxl.deck.style.TITLE`), bold, brand colour,
    left aligned, tight leading."""
    return (
        f"<p:titleStyle {nsdecls('a', 'p')}>"
        '<a:lvl1pPr algn="l" defTabSz="914400" rtl="0" eaLnBrk="1" latinLnBrk="0"'
        ' hangingPunct="1"><a:lnSpc><a:spcPct val="90000"/></a:lnSpc>'
        '<a:spcBef><a:spcPct val="0"/></a:spcBef><a:buNone/>'
        f"{_run_properties(style.TITLE.size, style.BRAND, bold=True, title=True)}"
        "</a:lvl1pPr></p:titleStyle>"
    )


def _body_style() -> str:
    """The master body style: 14 pt in the text colour, 12 pt for the deeper levels."""
    step = Inches(0.25)
    levels = []
    for level in range(1, 10):
        size = style.BODY.size if level == 1 else _DEEPER_LEVEL_SIZE
        bullet = "•" if level % 2 else "–"
        levels.append(
            f'<a:lvl{level}pPr marL="{step * level}" indent="-{step}" algn="l"'
            ' defTabSz="914400" rtl="0" eaLnBrk="1" latinLnBrk="0" hangingPunct="1">'
            '<a:spcBef><a:spcPts val="600"/></a:spcBef>'
            f'<a:buFont typeface="Arial"/><a:buChar char="{bullet}"/>'
            f"{_run_properties(size, style.TEXT)}</a:lvl{level}pPr>"
        )
    return f"<p:bodyStyle {nsdecls('a', 'p')}>{''.join(levels)}</p:bodyStyle>"


def _placeholder(
    shape_id: int,
    name: str,
    ph: str,
    box: Box,
    *,
    body: str = "<a:bodyPr/>",
    list_style: str = "<a:lstStyle/>",
    prompts: tuple[str, ...] = (_TITLE_PROMPT,),
) -> str:
    """A placeholder ``p:sp`` at ``box`` with one prompt paragraph per level."""
    paragraphs = "".join(
        f'<a:p><a:pPr lvl="{level}"/><a:r><a:rPr lang="en-US"/><a:t>{prompt}</a:t></a:r></a:p>'
        if level
        else f'<a:p><a:r><a:rPr lang="en-US"/><a:t>{prompt}</a:t></a:r></a:p>'
        for level, prompt in enumerate(prompts)
    )
    return (
        f"<p:sp {nsdecls('a', 'p')}><p:nvSpPr>"
        f'<p:cNvPr id="{shape_id}" name="{name}"/>'
        '<p:cNvSpPr><a:spLocks noGrp="1"/></p:cNvSpPr>'
        f"<p:nvPr>{ph}</p:nvPr></p:nvSpPr>"
        f'<p:spPr>{_xfrm(box)}<a:prstGeom prst="rect"><a:avLst/></a:prstGeom></p:spPr>'
        f"<p:txBody>{body}{list_style}{paragraphs}</p:txBody></p:sp>"
    )


def _rectangle(shape_id: int, name: str, box: Box, color: object) -> str:
    """A filled rectangle without outline, drawn on a layout (decoration, not a placeholder)."""
    return (
        f"<p:sp {nsdecls('a', 'p')}><p:nvSpPr>"
        f'<p:cNvPr id="{shape_id}" name="{name}"/><p:cNvSpPr/><p:nvPr userDrawn="1"/>'
        f'</p:nvSpPr><p:spPr>{_xfrm(box)}<a:prstGeom prst="rect"><a:avLst/></a:prstGeom>'
        f'<a:solidFill><a:srgbClr val="{color}"/></a:solidFill><a:ln><a:noFill/></a:ln>'
        "</p:spPr></p:sp>"
    )


def _set_shapes(element: etree._Element, shapes: list[str]) -> None:
    """Replace the shapes of a master's or layout's tree by ``shapes`` (group header kept)."""
    tree = element.find(f"{qn('p:cSld')}/{qn('p:spTree')}")
    for child in list(tree):
        if child.tag not in (qn("p:nvGrpSpPr"), qn("p:grpSpPr")):
            tree.remove(child)
    for shape in shapes:
        tree.append(parse_xml(shape))


def _set_white_background(element: etree._Element) -> None:
    common = element.find(qn("p:cSld"))
    for old in common.findall(qn("p:bg")):
        common.remove(old)
    common.insert(
        0,
        parse_xml(
            f'<p:bg {nsdecls("a", "p")}><p:bgPr><a:solidFill><a:srgbClr val="FFFFFF"/>'
            "</a:solidFill><a:effectLst/></p:bgPr></p:bg>"
        ),
    )


def _set_default_size(list_style: etree._Element) -> None:
    """Text without a size of its own (text boxes, tables) is body size, in the text colour."""
    for run in list_style.iter(qn("a:defRPr")):
        if run.get("sz") is not None:
            run.set("sz", str(_centipoints(style.BODY.size)))


_TITLE_BODY: Final = (
    '<a:bodyPr vert="horz" wrap="square" lIns="91440" tIns="45720" rIns="91440" bIns="45720"'
    ' rtlCol="0" anchor="b"><a:normAutofit/></a:bodyPr>'
)
_TEXT_BODY: Final = (
    '<a:bodyPr vert="horz" wrap="square" lIns="91440" tIns="45720" rIns="91440" bIns="45720"'
    ' rtlCol="0" anchor="t"><a:normAutofit/></a:bodyPr>'
)


def _style_master(presentation: PresentationType) -> None:
    """White background, title and body placeholders on the grid, no footer placeholders."""
    element = presentation.slide_master.element
    element.find(qn("p:cSld")).set("name", _NAME)
    _set_white_background(element)
    _set_shapes(
        element,
        [
            _placeholder(
                2, "Title Placeholder 1", '<p:ph type="title"/>', style.TITLE_BOX, body=_TITLE_BODY
            ),
            _placeholder(
                3,
                "Text Placeholder 2",
                '<p:ph type="body" idx="1"/>',
                style.CONTENT,
                body=_TEXT_BODY,
                prompts=("Click to edit Master text styles", "Second level", "Third level"),
            ),
        ],
    )
    styles = element.find(qn("p:txStyles"))
    styles.replace(styles.find(qn("p:titleStyle")), parse_xml(_title_style()))
    styles.replace(styles.find(qn("p:bodyStyle")), parse_xml(_body_style()))
    _set_default_size(styles.find(qn("p:otherStyle")))


def _style_title_only(layout_: SlideLayout) -> None:
    """Only the title placeholder, at TITLE_BOX (the kicker, content and footer are kamxl's)."""
    _set_shapes(
        layout_.element,
        [_placeholder(2, "Title 1", '<p:ph type="title"/>', style.TITLE_BOX)],
    )


def _style_title_slide(layout_: SlideLayout) -> None:
    """A large brand-coloured title, a short brand rule, a grey subtitle, a band at the foot."""
    title_style = (
        f'<a:lstStyle><a:lvl1pPr><a:defRPr sz="{_centipoints(_COVER_TITLE_SIZE)}"/>'
        "</a:lvl1pPr></a:lstStyle>"
    )
    subtitle_style = (
        '<a:lstStyle><a:lvl1pPr marL="0" indent="0" algn="l"><a:spcBef><a:spcPts val="300"/>'
        f"</a:spcBef><a:buNone/>{_run_properties(_COVER_SUBTITLE_SIZE, style.GREY)}"
        "</a:lvl1pPr></a:lstStyle>"
    )
    _set_shapes(
        layout_.element,
        [
            _placeholder(
                2,
                "Title 1",
                '<p:ph type="ctrTitle"/>',
                _COVER_TITLE,
                body='<a:bodyPr anchor="b"><a:normAutofit/></a:bodyPr>',
                list_style=title_style,
            ),
            _placeholder(
                3,
                "Subtitle 2",
                '<p:ph type="subTitle" idx="1"/>',
                _COVER_SUBTITLE,
                body='<a:bodyPr anchor="t"><a:normAutofit/></a:bodyPr>',
                list_style=subtitle_style,
                prompts=("Click to edit Master subtitle style",),
            ),
            _rectangle(4, "Brand rule", _COVER_RULE, style.BRAND),
            _rectangle(5, "Brand band", _COVER_BAND, style.BRAND),
        ],
    )


def _keep_only_required_layouts(presentation: PresentationType) -> None:
    """Remove every other layout from the master; python-pptx then leaves their parts out.

    ``SlideLayouts.remove`` takes the layout out of the master's ``sldLayoutIdLst`` and drops
    the master's relationship to it; a part no relationship reaches is not saved.
    """
    layouts = presentation.slide_master.slide_layouts
    for each in list(layouts):
        if each.name not in REQUIRED_LAYOUTS:
            layouts.remove(each)
    # Tidy part names: slideLayout1.xml, slideLayout2.xml in master order.
    for number, each in enumerate(layouts, start=1):
        each.part.partname = PackURI(f"/ppt/slideLayouts/slideLayout{number}.xml")


def _edit_blob(part: Part, edit: Callable[[etree._Element], None]) -> None:
    """Rewrite a part python-pptx keeps as bytes (theme, view properties, app properties)."""
    root = etree.fromstring(part.blob)
    edit(root)
    part._blob = etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)


_A: Final = "http://schemas.openxmlformats.org/drawingml/2006/main"


def _style_theme(theme: etree._Element) -> None:
    """Theme "kamxl": Calibri for titles and text, the palette of kamxl.deck.style."""
    theme.set("name", _NAME)
    colors = theme.find(f"{{{_A}}}themeElements/{{{_A}}}clrScheme")
    colors.set("name", _NAME)
    for slot, color in (
        ("dk1", style.TEXT),
        ("dk2", style.BRAND),
        ("lt2", style.LIGHT),
        ("accent1", style.BRAND),
        ("accent2", style.GREY),
        ("hlink", style.BRAND),
    ):
        holder = colors.find(f"{{{_A}}}{slot}")
        for child in list(holder):
            holder.remove(child)
        etree.SubElement(holder, f"{{{_A}}}srgbClr", val=str(color))
    fonts = theme.find(f"{{{_A}}}themeElements/{{{_A}}}fontScheme")
    fonts.set("name", _NAME)
    for kind in ("majorFont", "minorFont"):
        fonts.find(f"{{{_A}}}{kind}/{{{_A}}}latin").set("typeface", style.FONT)
    formats = theme.find(f"{{{_A}}}themeElements/{{{_A}}}fmtScheme")
    formats.getparent().replace(formats, etree.fromstring(_FLAT_FORMATS))


#: Flat shape styles: a shape drawn without its own fill, line or effect gets a solid fill,
#: a plain line and no shadow, gradient or bevel (python-pptx's shapes refer to the theme's
#: third fill and second effect, which were a gradient and a shadow).
_FLAT_FORMATS: Final = (
    f'<a:fmtScheme xmlns:a="{_A}" name="{_NAME}">'
    + "<a:fillStyleLst>"
    + '<a:solidFill><a:schemeClr val="phClr"/></a:solidFill>' * 3
    + "</a:fillStyleLst><a:lnStyleLst>"
    + "".join(
        f'<a:ln w="{width}" cap="flat" cmpd="sng" algn="ctr"><a:solidFill>'
        '<a:schemeClr val="phClr"/></a:solidFill><a:prstDash val="solid"/>'
        '<a:miter lim="800000"/></a:ln>'
        for width in (Pt(0.75), Pt(1.5), Pt(2.25))
    )
    + "</a:lnStyleLst><a:effectStyleLst>"
    + "<a:effectStyle><a:effectLst/></a:effectStyle>" * 3
    + "</a:effectStyleLst><a:bgFillStyleLst>"
    + '<a:solidFill><a:schemeClr val="phClr"/></a:solidFill>' * 3
    + "</a:bgFillStyleLst></a:fmtScheme>"
)


def _guides(view: etree._Element) -> None:
    """Guides on the grid in PowerPoint's normal view: the margins and the content area."""
    p = "http://schemas.openxmlformats.org/presentationml/2006/main"
    guides = view.find(f".//{{{p}}}guideLst")
    for child in list(guides):
        guides.remove(child)
    for orient, emu in (
        ("horz", style.KICKER_BOX.top),
        ("horz", style.CONTENT.top),
        ("horz", style.CONTENT.bottom),
        ("horz", style.FOOTER_BOX.top),
        (None, style.MARGIN),
        (None, style.SLIDE_WIDTH - style.MARGIN),
    ):
        guide = etree.SubElement(guides, f"{{{p}}}guide")
        if orient:
            guide.set("orient", orient)
        guide.set("pos", str(round(emu / _GUIDE_UNIT)))


_APP_PROPERTIES: Final = (
    b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    b'<Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/extended-properties"'
    b' xmlns:vt="http://schemas.openxmlformats.org/officeDocument/2006/docPropsVTypes">'
    b"<TotalTime>0</TotalTime><Words>0</Words><Application>kamxl</Application>"
    b"<PresentationFormat>Widescreen</PresentationFormat><Paragraphs>0</Paragraphs>"
    b"<Slides>0</Slides><Notes>0</Notes><HiddenSlides>0</HiddenSlides><MMClips>0</MMClips>"
    b'<ScaleCrop>false</ScaleCrop><HeadingPairs><vt:vector size="2" baseType="variant">'
    b"<vt:variant><vt:lpstr>Theme</vt:lpstr></vt:variant><vt:variant><vt:i4>1</vt:i4>"
    b"</vt:variant></vt:vector></HeadingPairs><TitlesOfParts>"
    b'<vt:vector size="1" baseType="lpstr"><vt:lpstr>kamxl</vt:lpstr></vt:vector>'
    b"</TitlesOfParts><LinksUpToDate>false</LinksUpToDate><SharedDoc>false</SharedDoc>"
    b"<HyperlinksChanged>false</HyperlinksChanged><AppVersion>16.0000</AppVersion>"
    b"</Properties>"
)


def _style_package(presentation: PresentationType) -> None:
    """Slide size, default text size, document properties; drop the 4:3 thumbnail and the
    Mac printer settings of python-pptx's template (an unreached part is not saved)."""
    presentation.slide_width = style.SLIDE_WIDTH
    presentation.slide_height = style.SLIDE_HEIGHT
    size = presentation.element.find(qn("p:sldSz"))
    size.attrib.pop("type", None)  # "screen4x3" is a named size; 16:9 custom has none
    _set_default_size(presentation.element.find(qn("p:defaultTextStyle")))

    part = presentation.part
    package = part.package
    for r_id, rel in list(package._rels.items()):
        if rel.reltype == RT.THUMBNAIL:
            package.drop_rel(r_id)
    for r_id, rel in list(part.rels.items()):
        if rel.reltype == RT.PRINTER_SETTINGS:
            part.drop_rel(r_id)
        elif rel.reltype == RT.THEME:
            _edit_blob(rel.target_part, _style_theme)
        elif rel.reltype == RT.VIEW_PROPS:
            _edit_blob(rel.target_part, _guides)
    for rel in package._rels.values():
        if rel.reltype == RT.EXTENDED_PROPERTIES:
            rel.target_part._blob = _APP_PROPERTIES

    properties = presentation.core_properties
    properties.author = _NAME
    properties.last_modified_by = _NAME
    properties.title = "kamxl default template"
    properties.subject = "Decks built by kamxl from a KAM workbook"
    properties.comments = ""
    properties.revision = 1
    properties.created = _FIXED_DATE
    properties.modified = _FIXED_DATE


def _fixed_zip(data: bytes) -> bytes:
    """The same package with fixed entry dates, so that two builds give the same bytes."""
    out = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(data)) as source,
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target,
    ):
        for info in source.infolist():
            entry = zipfile.ZipInfo(info.filename, date_time=_ZIP_DATE)
            entry.compress_type = zipfile.ZIP_DEFLATED
            entry.external_attr = 0o644 << 16
            target.writestr(entry, source.read(info.filename))
    return out.getvalue()


def build_default_template(path: Path | str) -> Path:
    """Write kamxl's default deck template to ``path`` (atomically) and return the path.

    Built from python-pptx's own default template, so nothing but this code is needed to
    rebuild it: 16:9, only the layouts of :data:`REQUIRED_LAYOUTS`, restyled after
    :mod:`kamxl.deck.style`. The result is deterministic.
    """
    presentation = Presentation()
    _keep_only_required_layouts(presentation)
    _style_master(presentation)
    for each in presentation.slide_master.slide_layouts:
        if each.name == TITLE_ONLY:
            _style_title_only(each)
        else:
            _style_title_slide(each)
    _style_package(presentation)
    buffer = io.BytesIO()
    presentation.save(buffer)
    return atomic_write(Path(path), _fixed_zip(buffer.getvalue()))


# --- using and checking a template ---------------------------------------------------------


def layout(
    presentation: PresentationType, name: str, source: object = "the deck template"
) -> SlideLayout:
    """The slide layout called ``name`` (first master first), or a TemplateError naming it."""
    for master in presentation.slide_masters:
        for each in master.slide_layouts:
            if each.name == name:
                return each
    use = _USE.get(name)
    raise TemplateError(
        source, f'has no layout "{name}"' + (f" (kamxl uses it {use})" if use else "")
    )


_ZIP_MAGIC: Final = b"PK\x03\x04"
_OLE_MAGIC: Final = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_MAIN_PART: Final = "ppt/presentation.xml"
_OTHER_MAIN_TYPES: Final = {
    CT.PML_TEMPLATE_MAIN: "is a PowerPoint template (.potx); open it in PowerPoint and save "
    "it as a presentation (.pptx)",
    CT.PML_SLIDESHOW_MAIN: "is a PowerPoint show (.ppsx); open it in PowerPoint and save it "
    "as a presentation (.pptx)",
}


def _open(path: Path) -> PresentationType:
    """Open a user's template after the safety checks of :class:`Package`, or raise."""
    check_presentation(path)
    try:
        return Presentation(str(path))
    except Exception as error:  # python-pptx raises KeyError, ValueError, lxml errors...
        raise TemplateError(
            path, f"cannot be opened as a PowerPoint presentation ({error})"
        ) from None


def check_presentation(path: Path | str) -> None:
    """The safety checks of :class:`Package` on a user's .pptx (a template, a deck to
    refresh) before python-pptx reads it whole: size limits (file, parts, compression
    ratio), no DTD or entity in any XML part, a presentation and not a template or show;
    raises a :class:`~kamxl.errors.FileProblemError` naming the file."""
    path = Path(path)
    with Package.open(path, expect=_MAIN_PART) as package:
        for name in package.zip.namelist():
            if name.endswith((".xml", ".rels")):
                package.xml(name)  # refuses DTDs and entities, and damaged XML
        types = package.xml("[Content_Types].xml")
        for override in types:
            if override.get("PartName") == f"/{_MAIN_PART}":
                message = _OTHER_MAIN_TYPES.get(override.get("ContentType", ""))
                if message:
                    raise TemplateError(path, message)


def _inches(emu: int) -> str:
    return f"{Emu(emu).inches:.3f}".rstrip("0").rstrip(".")


_RATIOS: Final = (Fraction(16, 9), Fraction(4, 3), Fraction(16, 10), Fraction(3, 2))


def _ratio(width: int, height: int) -> str:
    """The name of a slide's proportions: "4:3", "16:10", or "1.41:1"."""
    actual = width / height
    for ratio in _RATIOS:
        if abs(actual - ratio) / ratio < 0.005:
            return f"{ratio.numerator}:{ratio.denominator}"
    return f"{actual:.2f}:1"


def _size_problem(presentation: PresentationType) -> str | None:
    width, height = presentation.slide_width, presentation.slide_height
    tolerance = Inches(0.01)
    if (
        abs(width - style.SLIDE_WIDTH) <= tolerance
        and abs(height - style.SLIDE_HEIGHT) <= tolerance
    ):
        return None
    expected = f"{_inches(style.SLIDE_WIDTH)} x {_inches(style.SLIDE_HEIGHT)} in"
    actual = f"{_inches(width)} x {_inches(height)} in"
    ratio = _ratio(width, height)
    said = f"slides are {ratio} ({actual})" if ratio != "16:9" else f"slides are 16:9 but {actual}"
    return (
        f"{said}; kamxl lays decks out on 16:9 slides of {expected} and refuses other sizes, "
        "as its grid would fall off the slide or leave it half empty: in PowerPoint, choose "
        f"Design > Slide Size > Widescreen ({expected}), check the master and layouts, "
        "and save the template again"
    )


def _problems(presentation: PresentationType) -> list[str]:
    problems = []
    size = _size_problem(presentation)
    if size:
        problems.append(size)
    for name, roles in REQUIRED_LAYOUTS.items():
        try:
            found = layout(presentation, name)
        except TemplateError:
            problems.append(f'layout "{name}" is missing (kamxl uses it {_USE[name]})')
            continue
        types = {ph.placeholder_format.type for ph in found.placeholders}
        for role, accepted in roles.items():
            if not types & accepted:
                problems.append(
                    f'layout "{name}" has no {role} placeholder (kamxl puts the {role} of '
                    f"the slide in it)"
                )
    return problems


def check_template(path: Path | str) -> list[str]:
    """Everything a deck template lacks for kamxl, one sentence each ([] when it is usable).

    Raises a :class:`~kamxl.errors.FileProblemError` naming the file when it is not a
    PowerPoint presentation that can be opened safely at all.
    """
    return _problems(_open(Path(path)))


def load_template(path: Path | str | None = None) -> PresentationType:
    """The presentation a deck is built on: the default template, or a user's checked one.

    A user's template with any problem is refused with every problem listed; slides the
    template holds (examples, instructions) are removed, so the deck holds only its own.
    """
    if path is None:
        return Presentation(str(DEFAULT_TEMPLATE))
    path = Path(path)
    presentation = _open(path)
    problems = _problems(presentation)
    if problems:
        raise TemplateError(
            path,
            "cannot be used as a deck template:\n" + "\n".join(f"  - {p}" for p in problems),
        )
    _remove_slides(presentation)
    return presentation


_P14: Final = "http://schemas.microsoft.com/office/powerpoint/2010/main"


def _remove_slides(presentation: PresentationType) -> None:
    """Remove every slide of a template, and what points at them (sections, custom shows).

    A slide is dropped with its relationship (python-pptx then leaves out its part and its
    notes); custom shows and sections go too: they list the template's slides, not the
    deck's.
    """
    root = presentation.element
    slide_ids = root.find(qn("p:sldIdLst"))
    if slide_ids is None:
        return
    for custom_shows in root.findall(qn("p:custShowLst")):
        root.remove(custom_shows)
    for slide_id in list(slide_ids):
        slide_ids.remove(slide_id)
        presentation.part.drop_rel(slide_id.get(qn("r:id")))
    for sections in list(root.iter(f"{{{_P14}}}sectionLst")):
        extension = sections.getparent()
        extensions = extension.getparent()
        extensions.remove(extension)
        if len(extensions) == 0:
            extensions.getparent().remove(extensions)

"""DOCX backend: a declaration set as a Word document (the printed 申报表 forms).

`render(dset, options) -> bytes` writes the 部门整体 form first (if present), then each
项目绩效目标表, each on its own page with its title. The tables are built once as logical
grids (backends/docx_grid.py) and written as `<w:tbl>` XML in one pass; the package is
zipped by hand with fixed timestamps and part order, so two renders of the same model
are byte-identical. The set's canonical JSON (backends/jsonout.py) is embedded in a
custom XML part for a lossless `perfdsl import` (`read_embedded_json`).

This module must not validate, must not see syntax, must not read the clock and must
not import python-docx or lxml at module import time (lxml is imported only when a
`--reference-docx` is given or an embedded part is read back).
"""

from __future__ import annotations

import base64
import hashlib
import io
import itertools
import re
import uuid
import zipfile
from collections.abc import Iterable, Iterator, Mapping
from datetime import datetime
from typing import Any

from perfdsl.model import Declaration, DeclarationSet
from perfdsl.profile_load import Page

from . import docx_grid as g
from . import layout_grid as lg
from .common import compiler_version, fixed_time, ordered, unit_name

EXTENSION = ".docx"

W_NS = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
R_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PKG_REL_NS = "http://schemas.openxmlformats.org/package/2006/relationships"
CT_NS = "http://schemas.openxmlformats.org/package/2006/content-types"
PROV_NS = "urn:perfdsl:provenance:1"
REL_OFFICE_DOC = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument"
REL_CORE = "http://schemas.openxmlformats.org/package/2006/relationships/metadata/core-properties"
REL_APP = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/extended-properties"
REL_STYLES = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles"
REL_SETTINGS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/settings"
REL_FOOTER = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/footer"
REL_CUSTOM_XML = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/customXml"
REL_CUSTOM_XML_PROPS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/customXmlProps"
CT_MAIN = "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"
CT_STYLES = "application/vnd.openxmlformats-officedocument.wordprocessingml.styles+xml"
CT_SETTINGS = "application/vnd.openxmlformats-officedocument.wordprocessingml.settings+xml"
CT_FOOTER = "application/vnd.openxmlformats-officedocument.wordprocessingml.footer+xml"
CT_CORE = "application/vnd.openxmlformats-package.core-properties+xml"
CT_APP = "application/vnd.openxmlformats-officedocument.extended-properties+xml"
CT_CUSTOM_PROPS = "application/vnd.openxmlformats-officedocument.customXmlProperties+xml"
CT_RELS = "application/vnd.openxmlformats-package.relationships+xml"

XML_DECL = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'

# A4 portrait, 2 cm left/right margins, 2.5 cm top, 2 cm bottom (twips).
PAGE_W, PAGE_H = 11906, 16838
MARGIN_L = MARGIN_R = 1134
MARGIN_T, MARGIN_B = 1418, 1134
DEFAULT_TEXT_WIDTH = PAGE_W - MARGIN_L - MARGIN_R

# ----------------------------------------------------------------------------------------
# Static parts of the built-in template
# ----------------------------------------------------------------------------------------


def _rfonts(east: str, ascii_: str = "Times New Roman") -> str:
    return f'<w:rFonts w:ascii="{ascii_}" w:hAnsi="{ascii_}" w:eastAsia="{east}" w:cs="{ascii_}"/>'


_LANG = '<w:lang w:val="en-US" w:eastAsia="zh-CN" w:bidi="ar-SA"/>'


def _pstyle(sid: str, name: str, ppr: str, rpr: str, based: str = "Normal") -> str:
    return (f'<w:style w:type="paragraph" w:customStyle="1" w:styleId="{sid}"><w:name w:val="{name}"/>'
            f'<w:basedOn w:val="{based}"/><w:qFormat/><w:pPr>{ppr}</w:pPr><w:rPr>{rpr}</w:rPr></w:style>')


def own_styles(page: Page) -> dict[str, str]:
    """Our own styles, from the form's page settings (sizes in half-points). With
    --reference-docx, any of these the reference document defines (same styleId) wins;
    the missing ones are added."""
    def hp(points: float) -> int:
        return max(2, round(points * 2))

    t, st, c = hp(page.title_size), hp(page.subtitle_size), hp(page.font_size)
    bold = "<w:b/><w:bCs/>" if page.title_bold else ""
    return {
        "PerfdslTitle": _pstyle(
            "PerfdslTitle", "perfdsl 表名",
            '<w:keepNext/><w:spacing w:before="120" w:after="120" w:line="240" w:lineRule="auto"/>'
            '<w:jc w:val="center"/><w:outlineLvl w:val="0"/>',
            f'{_rfonts(page.title_font, page.title_font)}{bold}<w:sz w:val="{t}"/><w:szCs w:val="{t}"/>{_LANG}'),
        "PerfdslSubtitle": _pstyle(
            "PerfdslSubtitle", "perfdsl 年度",
            '<w:keepNext/><w:spacing w:before="0" w:after="200"/><w:jc w:val="center"/>',
            f'{_rfonts(page.subtitle_font)}<w:sz w:val="{st}"/><w:szCs w:val="{st}"/>{_LANG}'),
        "PerfdslCell": _pstyle(
            "PerfdslCell", "perfdsl 表格文字",
            '<w:snapToGrid w:val="0"/><w:spacing w:before="0" w:after="0" w:line="260" w:lineRule="atLeast"/>',
            f'{_rfonts(page.font)}<w:sz w:val="{c}"/><w:szCs w:val="{c}"/>{_LANG}'),
        "PerfdslLabel": _pstyle(
            "PerfdslLabel", "perfdsl 表格栏目", '<w:jc w:val="center"/>',
            f'{_rfonts(page.font)}<w:sz w:val="{c}"/><w:szCs w:val="{c}"/>{_LANG}', based="PerfdslCell"),
        "PerfdslHead": _pstyle(
            "PerfdslHead", "perfdsl 表头", '<w:jc w:val="center"/>',
            f'{_rfonts(page.head_font, page.head_font)}<w:sz w:val="{c}"/><w:szCs w:val="{c}"/>{_LANG}',
            based="PerfdslCell"),
        "PerfdslText": _pstyle(
            "PerfdslText", "perfdsl 表外文字",
            '<w:spacing w:before="60" w:after="60"/><w:jc w:val="left"/>',
            f'{_rfonts(page.font)}<w:sz w:val="{c}"/><w:szCs w:val="{c}"/>{_LANG}'),
        "PerfdslSpacer": _pstyle(
            "PerfdslSpacer", "perfdsl 间隔",
            '<w:snapToGrid w:val="0"/><w:spacing w:before="0" w:after="0" w:line="20" w:lineRule="exact"/>',
            '<w:sz w:val="2"/><w:szCs w:val="2"/>'),
        "PerfdslFooter": _pstyle(
            "PerfdslFooter", "perfdsl 页脚", '<w:jc w:val="center"/>',
            f'{_rfonts(page.font)}<w:sz w:val="18"/><w:szCs w:val="18"/>{_LANG}'),
    }


DEFAULT_PAGE = Page()
OWN_STYLES = own_styles(DEFAULT_PAGE)


def styles_xml(page: Page) -> str:
    return (
        XML_DECL
        + f'<w:styles xmlns:w="{W_NS}">'
        '<w:docDefaults><w:rPrDefault><w:rPr>'
        f'{_rfonts(page.font)}<w:kern w:val="2"/><w:sz w:val="21"/><w:szCs w:val="21"/>{_LANG}'
        '</w:rPr></w:rPrDefault><w:pPrDefault><w:pPr><w:spacing w:after="0" w:line="240" w:lineRule="auto"/>'
        '</w:pPr></w:pPrDefault></w:docDefaults>'
        '<w:style w:type="paragraph" w:default="1" w:styleId="Normal"><w:name w:val="Normal"/><w:qFormat/>'
        '<w:pPr><w:widowControl w:val="0"/><w:jc w:val="both"/></w:pPr>'
        f'<w:rPr>{_rfonts(page.font)}{_LANG}</w:rPr></w:style>'
        '<w:style w:type="character" w:default="1" w:styleId="DefaultParagraphFont">'
        '<w:name w:val="Default Paragraph Font"/><w:uiPriority w:val="1"/><w:semiHidden/><w:unhideWhenUsed/></w:style>'
        '<w:style w:type="table" w:default="1" w:styleId="TableNormal"><w:name w:val="Normal Table"/>'
        '<w:uiPriority w:val="99"/><w:semiHidden/><w:unhideWhenUsed/><w:tblPr><w:tblInd w:w="0" w:type="dxa"/>'
        '<w:tblCellMar><w:top w:w="0" w:type="dxa"/><w:left w:w="108" w:type="dxa"/>'
        '<w:bottom w:w="0" w:type="dxa"/><w:right w:w="108" w:type="dxa"/></w:tblCellMar></w:tblPr></w:style>'
        '<w:style w:type="numbering" w:default="1" w:styleId="NoList"><w:name w:val="No List"/>'
        '<w:uiPriority w:val="99"/><w:semiHidden/><w:unhideWhenUsed/></w:style>'
        + "".join(own_styles(page).values())
        + "</w:styles>"
    )


STYLES_XML = styles_xml(DEFAULT_PAGE)

SETTINGS_XML = (
    XML_DECL
    + f'<w:settings xmlns:w="{W_NS}"><w:zoom w:percent="100"/><w:defaultTabStop w:val="420"/>'
    '<w:characterSpacingControl w:val="compressPunctuation"/>'
    '<w:compat><w:compatSetting w:name="compatibilityMode" w:uri="http://schemas.microsoft.com/office/word" w:val="15"/>'
    '</w:compat><w:themeFontLang w:val="en-US" w:eastAsia="zh-CN"/></w:settings>'
)

def footer_xml(text: str) -> str:
    """The page footer; `{page}` and `{pages}` become PAGE / NUMPAGES fields."""
    parts = []
    for piece in re.split(r"(\{page\}|\{pages\})", text):
        if piece == "{page}":
            parts.append('<w:fldSimple w:instr=" PAGE "><w:r><w:t>1</w:t></w:r></w:fldSimple>')
        elif piece == "{pages}":
            parts.append('<w:fldSimple w:instr=" NUMPAGES "><w:r><w:t>1</w:t></w:r></w:fldSimple>')
        elif piece:
            parts.append(f'<w:r><w:t xml:space="preserve">{g.esc(piece)}</w:t></w:r>')
    return (XML_DECL + f'<w:ftr xmlns:w="{W_NS}" xmlns:r="{R_NS}"><w:p><w:pPr><w:pStyle w:val="PerfdslFooter"/></w:pPr>'
            + "".join(parts) + "</w:p></w:ftr>")


FOOTER_XML = footer_xml(DEFAULT_PAGE.footer)


def _twips(cm: float) -> int:
    return round(cm * 1440 / 2.54)


def page_geometry(page: Page) -> tuple[int, int, tuple[int, int, int, int]]:
    """(width, height, (top, right, bottom, left)) in twips."""
    w, h = (PAGE_H, PAGE_W) if page.orientation == "landscape" else (PAGE_W, PAGE_H)
    top, right, bottom, left = (_twips(x) for x in page.margins)
    return w, h, (top, right, bottom, left)


def sectpr_xml(page: Page) -> str:
    w, h, (top, right, bottom, left) = page_geometry(page)
    orient = ' w:orient="landscape"' if page.orientation == "landscape" else ""
    footer = '<w:footerReference w:type="default" r:id="rIdFooter1"/>' if page.footer else ""
    return (f'<w:sectPr>{footer}<w:pgSz w:w="{w}" w:h="{h}"{orient}/>'
            f'<w:pgMar w:top="{top}" w:right="{right}" w:bottom="{bottom}" w:left="{left}" '
            'w:header="851" w:footer="567" w:gutter="0"/>'
            '<w:cols w:space="425"/><w:docGrid w:linePitch="312"/></w:sectPr>')


def page_text_width(page: Page) -> int:
    w, _h, (_t, right, _b, left) = page_geometry(page)
    return w - left - right


DEFAULT_SECTPR = sectpr_xml(DEFAULT_PAGE)


ROOT_RELS = (
    XML_DECL
    + f'<Relationships xmlns="{PKG_REL_NS}">'
    f'<Relationship Id="rId1" Type="{REL_OFFICE_DOC}" Target="word/document.xml"/>'
    f'<Relationship Id="rId2" Type="{REL_CORE}" Target="docProps/core.xml"/>'
    f'<Relationship Id="rId3" Type="{REL_APP}" Target="docProps/app.xml"/>'
    "</Relationships>"
)

DOC_RELS = (
    XML_DECL
    + f'<Relationships xmlns="{PKG_REL_NS}">'
    f'<Relationship Id="rIdStyles" Type="{REL_STYLES}" Target="styles.xml"/>'
    f'<Relationship Id="rIdSettings" Type="{REL_SETTINGS}" Target="settings.xml"/>'
    f'<Relationship Id="rIdFooter1" Type="{REL_FOOTER}" Target="footer1.xml"/>'
    f'<Relationship Id="rIdPerfdslProvenance" Type="{REL_CUSTOM_XML}" Target="../customXml/item1.xml"/>'
    "</Relationships>"
)

CONTENT_TYPES = (
    XML_DECL
    + f'<Types xmlns="{CT_NS}">'
    f'<Default Extension="rels" ContentType="{CT_RELS}"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    f'<Override PartName="/word/document.xml" ContentType="{CT_MAIN}"/>'
    f'<Override PartName="/word/styles.xml" ContentType="{CT_STYLES}"/>'
    f'<Override PartName="/word/settings.xml" ContentType="{CT_SETTINGS}"/>'
    f'<Override PartName="/word/footer1.xml" ContentType="{CT_FOOTER}"/>'
    f'<Override PartName="/docProps/core.xml" ContentType="{CT_CORE}"/>'
    f'<Override PartName="/docProps/app.xml" ContentType="{CT_APP}"/>'
    f'<Override PartName="/customXml/itemProps1.xml" ContentType="{CT_CUSTOM_PROPS}"/>'
    "</Types>"
)

# ----------------------------------------------------------------------------------------
# Body
# ----------------------------------------------------------------------------------------

_SPACER = '<w:p><w:pPr><w:pStyle w:val="PerfdslSpacer"/></w:pPr></w:p>'


_PAGE_BREAK_SPACER = '<w:p><w:pPr><w:pStyle w:val="PerfdslSpacer"/><w:pageBreakBefore/></w:pPr></w:p>'


def _title_para(text: str, style: str, page: Page, base: Page, brk: str) -> str:
    """The title/subtitle paragraph; direct formatting only where this form's page
    settings differ from the document's styles (a set mixing profiles)."""
    if style == "PerfdslTitle":
        differs = (page.title_font, page.title_size, page.title_bold) != (base.title_font, base.title_size,
                                                                           base.title_bold)
        font, size, bold = page.title_font, page.title_size, page.title_bold
    else:
        differs = (page.subtitle_font, page.subtitle_size) != (base.subtitle_font, base.subtitle_size)
        font, size, bold = page.subtitle_font, page.subtitle_size, False
    if not differs:
        return g.paragraph(text, style, extra_ppr=brk)
    hp = max(2, round(size * 2))
    b = "<w:b/><w:bCs/>" if bold else '<w:b w:val="0"/>'
    rpr = (f'<w:rPr>{_rfonts(font, font)}{b}'
           f'<w:sz w:val="{hp}"/><w:szCs w:val="{hp}"/></w:rPr>')
    return (f'<w:p><w:pPr><w:pStyle w:val="{style}"/>{brk}</w:pPr>'
            f'<w:r>{rpr}<w:t xml:space="preserve">{g.esc(text)}</w:t></w:r></w:p>')


def _declaration_xml(decl: Declaration, first: bool, width: int, base: Page) -> Iterator[str]:
    f = lg.form(decl)
    brk = "" if first else "<w:pageBreakBefore/>"
    if not f.title_in_grid and f.title:
        yield _title_para(f.title, "PerfdslTitle", f.page, base, brk)
        brk = ""
    if not f.subtitle_in_grid and f.subtitle:
        yield _title_para(f.subtitle, "PerfdslSubtitle", f.page, base, brk)
        brk = ""
    for line in f.above:
        yield g.paragraph(line, "PerfdslText", extra_ppr=brk)
        brk = ""
    if brk:  # the table comes first on a new page: a 1-pt paragraph carries the break
        yield _PAGE_BREAK_SPACER
    for i, grid in enumerate(f.tables):
        if i:
            # Two tables (layout one_table = false): a 1-pt paragraph keeps the indicator
            # table a table of its own, so its heading row repeats on every page.
            yield _SPACER
        yield from g.iter_table_xml(grid, grid.twips(width))
    for note in f.notes:
        yield g.paragraph(note, "PerfdslText")


def document_page(dset: DeclarationSet) -> Page:
    """The page settings of the document: those of its first form."""
    decls = ordered(dset)
    return decls[0].profile.page if decls else DEFAULT_PAGE


def body_xml(dset: DeclarationSet, text_width: int | None = None) -> str:
    return "".join(iter_body_xml(dset, text_width))


def iter_body_xml(dset: DeclarationSet, text_width: int | None = None) -> Iterator[str]:
    """The body in pieces (a table row each): streamed into the zip, never one string."""
    base = document_page(dset)
    width = text_width if text_width is not None else page_text_width(base)
    for i, d in enumerate(ordered(dset)):
        yield from _declaration_xml(d, i == 0, width, base)
    yield _SPACER  # Word wants a paragraph after the last table


def _document_xml(body: Iterable[str], sectpr: str) -> Iterator[str]:
    yield XML_DECL + f'<w:document xmlns:w="{W_NS}" xmlns:r="{R_NS}"><w:body>'
    yield from body
    yield sectpr + "</w:body></w:document>"


# ----------------------------------------------------------------------------------------
# Properties and provenance
# ----------------------------------------------------------------------------------------




def document_title(dset: DeclarationSet) -> str:
    decls = ordered(dset)
    if not decls:
        return dset.name
    title, _sub = decls[0].heading()
    if decls[0].kind != "department" and len(decls) == 1:
        name = decls[0].text(decls[0].profile.title_field) if decls[0].profile.title_field else ""
        return f"{title}（{name}）" if name else title
    return title or dset.name


def _core_xml(dset: DeclarationSet, when: datetime, version: str) -> str:
    stamp = when.strftime("%Y-%m-%dT%H:%M:%SZ")
    dept = dset.department
    creator = unit_name(dept) if dept is not None else ""
    subject = f"{dset.year}年度预算绩效目标" if dset.year else "预算绩效目标"
    return (
        XML_DECL
        + '<cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/core-properties" '
        'xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:dcterms="http://purl.org/dc/terms/" '
        'xmlns:dcmitype="http://purl.org/dc/dcmitype/" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">'
        f"<dc:title>{g.esc(document_title(dset))}</dc:title>"
        f"<dc:subject>{g.esc(subject)}</dc:subject>"
        + (f"<dc:creator>{g.esc(creator)}</dc:creator>" if creator else "")
        + "<cp:keywords>预算绩效目标申报表</cp:keywords>"
        f"<dc:description>{g.esc(f'由 {version} 生成')}</dc:description>"
        f'<dcterms:created xsi:type="dcterms:W3CDTF">{stamp}</dcterms:created>'
        f'<dcterms:modified xsi:type="dcterms:W3CDTF">{stamp}</dcterms:modified>'
        "</cp:coreProperties>"
    )


def _app_xml(version: str) -> str:
    return (XML_DECL + '<Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/extended-properties" '
            'xmlns:vt="http://schemas.openxmlformats.org/officeDocument/2006/docPropsVTypes">'
            f"<Application>{g.esc(version)}</Application><DocSecurity>0</DocSecurity></Properties>")


_CHUNK = 1 << 20  # characters (or base64 bytes, a multiple of 3) per piece of a streamed part


def _provenance_parts(json_bytes: bytes, version: str) -> tuple[Iterator[str], str]:
    """customXml item (the JSON, as XML text, or base64 when XML cannot hold it) and its
    itemProps part. The sha256 lets the reader prove it got the exact bytes back. The item
    comes in pieces, so the JSON is never copied whole a second time."""
    digest = hashlib.sha256(json_bytes).hexdigest()
    text = json_bytes.decode("utf-8")
    if "\r" in text or g._BAD_XML.search(text):
        encoding = "base64"
        payload: Iterator[str] = (base64.b64encode(json_bytes[i:i + 3 * _CHUNK]).decode("ascii")
                                  for i in range(0, len(json_bytes), 3 * _CHUNK))
    else:
        encoding = "xml-text"
        payload = (g.esc(text[i:i + _CHUNK]) for i in range(0, len(text), _CHUNK))
    head = (XML_DECL + f'<perfdsl xmlns="{PROV_NS}" compiler="{g.esc(version)}" format="perfdsl-json" '
            f'encoding="{encoding}" sha256="{digest}">')
    item = itertools.chain((head,), payload, ("</perfdsl>",))
    guid = "{" + str(uuid.UUID(bytes=bytes.fromhex(digest[:32]))).upper() + "}"
    props = (XML_DECL + '<ds:datastoreItem xmlns:ds="http://schemas.openxmlformats.org/officeDocument/2006/customXml" '
             f'ds:itemID="{guid}"><ds:schemaRefs><ds:schemaRef ds:uri="{PROV_NS}"/></ds:schemaRefs></ds:datastoreItem>')
    return item, props


def _item_rels(props_name: str) -> str:
    return (XML_DECL + f'<Relationships xmlns="{PKG_REL_NS}">'
            f'<Relationship Id="rId1" Type="{REL_CUSTOM_XML_PROPS}" Target="{props_name}"/></Relationships>')


# ----------------------------------------------------------------------------------------
# Zip
# ----------------------------------------------------------------------------------------

_FIRST = ("[Content_Types].xml", "_rels/.rels", "word/document.xml", "word/_rels/document.xml.rels")


def _set_compress_level(info: zipfile.ZipInfo, level: int) -> None:
    """What writestr(compresslevel=) sets: `compress_level` from Python 3.13, `_compresslevel` before."""
    try:
        info.compress_level = level  # type: ignore[attr-defined]
    except AttributeError:
        info._compresslevel = level  # type: ignore[attr-defined]


def _zip(parts: Mapping[str, bytes | Iterable[str]], when: datetime) -> bytes:
    """A deterministic zip: fixed part order, fixed times and attributes, deflate.
    A part given as pieces of text is streamed into its entry (compressed as it comes)."""
    names = [n for n in _FIRST if n in parts] + sorted(n for n in parts if n not in _FIRST)
    dt = (when.year, when.month, when.day, when.hour, when.minute, when.second - when.second % 2)
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for name in names:
            info = zipfile.ZipInfo(name, date_time=dt)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.create_system = 0
            info.external_attr = 0
            data = parts[name]
            if isinstance(data, bytes):
                zf.writestr(info, data, compresslevel=3)
                continue
            _set_compress_level(info, 3)
            with zf.open(info, "w") as fh:
                pieces: list[str] = []
                size = 0
                for piece in data:
                    pieces.append(piece)
                    size += len(piece)
                    if size >= _CHUNK:
                        fh.write("".join(pieces).encode())
                        pieces, size = [], 0
                fh.write("".join(pieces).encode())
    return buf.getvalue()


# ----------------------------------------------------------------------------------------
# render
# ----------------------------------------------------------------------------------------




def render(dset: DeclarationSet, options: Any = None) -> bytes:
    """The .docx bytes for `dset` (any subset: department only, one project, ...)."""
    from . import jsonout

    version = compiler_version(options)
    when = fixed_time(dset, getattr(options, "source_date_epoch", None))
    json_bytes = jsonout.render(dset)
    reference = getattr(options, "reference_docx", None) if options is not None else None
    if reference:
        from . import docx_reference

        return _zip(docx_reference.build_parts(reference, dset, json_bytes, version, when), when)

    item, props = _provenance_parts(json_bytes, version)
    page = document_page(dset)
    parts: dict[str, bytes | Iterable[str]] = {
        "[Content_Types].xml": CONTENT_TYPES.encode(),
        "_rels/.rels": ROOT_RELS.encode(),
        "word/document.xml": _document_xml(iter_body_xml(dset), sectpr_xml(page)),
        "word/_rels/document.xml.rels": DOC_RELS.encode(),
        "word/styles.xml": styles_xml(page).encode(),
        "word/settings.xml": SETTINGS_XML.encode(),
        "word/footer1.xml": footer_xml(page.footer or " ").encode(),
        "docProps/core.xml": _core_xml(dset, when, version).encode(),
        "docProps/app.xml": _app_xml(version).encode(),
        "customXml/item1.xml": item,
        "customXml/itemProps1.xml": props.encode(),
        "customXml/_rels/item1.xml.rels": _item_rels("itemProps1.xml").encode(),
    }
    return _zip(parts, when)


# ----------------------------------------------------------------------------------------
# Reading the provenance back (for `perfdsl import`)
# ----------------------------------------------------------------------------------------

_PROV_RE = re.compile(rb"<perfdsl\b[^>]*\bxmlns=\"" + re.escape(PROV_NS.encode()) + rb"\"")


def is_provenance_part(data: bytes) -> bool:
    return _PROV_RE.search(data[:4096]) is not None


def read_embedded_json(data: bytes) -> bytes | None:
    """The canonical JSON a perfdsl-made .docx carries, or None (not ours, or damaged)."""
    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, OSError, ValueError):
        return None
    from xml.etree import ElementTree as ET

    with zf:
        for name in sorted(zf.namelist()):
            if not (name.startswith("customXml/") and name.endswith(".xml")) or "/_rels/" in name:
                continue
            try:
                raw = zf.read(name)
            except (zipfile.BadZipFile, OSError, KeyError, ValueError):
                continue
            if not is_provenance_part(raw):
                continue
            try:
                root = ET.fromstring(raw)
                if root.get("encoding") == "base64":
                    payload = base64.b64decode((root.text or "").strip(), validate=True)
                else:
                    payload = (root.text or "").encode("utf-8")
            except (ET.ParseError, ValueError):
                return None
            if hashlib.sha256(payload).hexdigest() != root.get("sha256"):
                return None
            return payload
    return None

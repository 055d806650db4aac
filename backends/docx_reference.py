"""DOCX backend, part 3: `--reference-docx` (start from the user's document, like pandoc).

Takes every part of the reference .docx (styles, theme, numbering, headers, footers,
page setup in the final `w:sectPr`), clears the body but keeps its final sectPr, puts the
perfdsl forms in, adds the perfdsl styles the reference lacks, replaces the core
properties and adds the provenance custom XML part. The result is a dict of parts for
backends/docx.py to zip. It must not validate declarations, must not read the clock, and
is imported only when a reference document is given (it needs lxml).
"""

from __future__ import annotations

import posixpath
from datetime import datetime
from typing import Any

from perfdsl.backends import BackendInputError
from perfdsl.model import DeclarationSet

from . import docx as d


class ReferenceDocxError(BackendInputError):
    """The reference document cannot be used (not a .docx, or no main document part)."""


def _rels_name(part: str) -> str:
    head, tail = posixpath.split(part)
    return posixpath.join(head, "_rels", tail + ".rels")


def _resolve(base_part: str, target: str) -> str:
    if target.startswith("/"):
        return target.lstrip("/")
    return posixpath.normpath(posixpath.join(posixpath.dirname(base_part), target))


def read_reference(path: str) -> dict[str, bytes]:
    """Every part of the reference document, through the same gate as `perfdsl import`
    (perfdsl.importer.safety.read_zip: size, zip bomb, macros, DOCTYPE/entities)."""
    from perfdsl.importer.safety import MAX_FILE, ImportFailure, read_zip, sniff

    try:
        with open(path, "rb") as fh:
            data = fh.read(MAX_FILE + 1)
    except OSError as exc:
        raise ReferenceDocxError(f"参考文档 {path} 无法读取：{exc.strerror}") from exc
    try:
        parts = read_zip(data, f"参考文档 {path}", "Word（.docx）", want=lambda _name: True)
    except ImportFailure as exc:
        if sniff(data) == "other":
            raise ReferenceDocxError(f"参考文档 {path} 不是有效的 .docx 文件（文件内容不是 Office Open XML 压缩包）") from exc
        raise ReferenceDocxError(str(exc)) from exc
    if "[Content_Types].xml" not in parts or "_rels/.rels" not in parts:
        raise ReferenceDocxError(f"参考文档 {path} 缺少 [Content_Types].xml 或 _rels/.rels")
    return parts


def build_parts(path: str, dset: DeclarationSet, json_bytes: bytes, version: str, when: datetime) -> dict[str, bytes]:
    from perfdsl.importer.safety import ImportFailure

    try:
        return _build_parts(read_reference(path), path, dset, json_bytes, version, when)
    except ImportFailure as exc:  # a part too big to parse, or not XML
        raise ReferenceDocxError(str(exc)) from exc


def _build_parts(parts: dict[str, bytes], path: str, dset: DeclarationSet, json_bytes: bytes, version: str,
                 when: datetime) -> dict[str, bytes]:
    from lxml import etree

    from perfdsl.importer.safety import parse_xml

    parser = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False)

    def parse(name: str) -> Any:
        return parse_xml(parts[name], f"参考文档 {path}", name)

    def dump(root: Any) -> bytes:
        return etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)

    pr = f"{{{d.PKG_REL_NS}}}Relationship"
    root_rels = parse("_rels/.rels")
    main = None
    for rel in root_rels.iter(pr):
        if rel.get("Type") == d.REL_OFFICE_DOC:
            main = _resolve("", rel.get("Target", ""))
    if main is None or main not in parts:
        raise ReferenceDocxError(f"参考文档 {path} 没有正文部件（word/document.xml）")
    main_rels_name = _rels_name(main)
    ctypes = parse("[Content_Types].xml")
    ct_override = f"{{{d.CT_NS}}}Override"

    def set_override(part: str, ctype: str) -> None:
        pn = "/" + part
        for o in ctypes.iter(ct_override):
            if o.get("PartName") == pn:
                o.set("ContentType", ctype)
                return
        etree.SubElement(ctypes, ct_override, PartName=pn, ContentType=ctype)

    def drop_override(part: str) -> None:
        for o in list(ctypes.iter(ct_override)):
            if o.get("PartName") == "/" + part:
                ctypes.remove(o)

    # --- document rels: drop an old perfdsl provenance item, find styles ----------------
    if main_rels_name in parts:
        doc_rels = parse(main_rels_name)
    else:
        doc_rels = etree.Element(f"{{{d.PKG_REL_NS}}}Relationships", nsmap={None: d.PKG_REL_NS})
    styles_part = None
    for rel in list(doc_rels.iter(pr)):
        target = _resolve(main, rel.get("Target", ""))
        if rel.get("Type") == d.REL_STYLES:
            styles_part = target
        if rel.get("Type") == d.REL_CUSTOM_XML and target in parts and d.is_provenance_part(parts[target]):
            doc_rels.remove(rel)
            item_rels = _rels_name(target)
            if item_rels in parts:
                for irel in parse(item_rels).iter(pr):
                    props = _resolve(target, irel.get("Target", ""))
                    parts.pop(props, None)
                    drop_override(props)
                parts.pop(item_rels, None)
            parts.pop(target, None)

    # --- styles: add ours where the reference has no style with that id ------------------
    w = f"{{{d.W_NS}}}"
    if styles_part is None or styles_part not in parts:
        styles_part = _resolve(main, "styles.xml")
        parts[styles_part] = d.styles_xml(d.document_page(dset)).encode()
        rid = _free_id(doc_rels, "rIdPerfdslStyles", pr)
        etree.SubElement(doc_rels, pr, Id=rid, Type=d.REL_STYLES, Target=posixpath.relpath(styles_part, posixpath.dirname(main)))
        set_override(styles_part, d.CT_STYLES)
    else:
        styles = parse(styles_part)
        have = {s.get(f"{w}styleId") for s in styles.iter(f"{w}style")}
        for sid, xml in d.own_styles(d.document_page(dset)).items():
            if sid not in have:
                styles.append(etree.fromstring(f'<w:styles xmlns:w="{d.W_NS}">{xml}</w:styles>'.encode(), parser)[0])
        parts[styles_part] = dump(styles)

    # --- body: keep the final sectPr, put our content in -------------------------------
    doc = parse(main)
    body = doc.find(f"{w}body")
    if body is None:
        raise ReferenceDocxError(f"参考文档 {path} 的正文没有 w:body")
    sectpr = body.find(f"{w}sectPr")
    for child in list(body):
        if child is not sectpr:
            body.remove(child)
    text_width = _text_width(sectpr, w)
    frag = etree.fromstring(
        f'<w:body xmlns:w="{d.W_NS}" xmlns:r="{d.R_NS}">{d.body_xml(dset, text_width)}</w:body>'.encode(), parser)
    pos = 0
    for child in list(frag):
        body.insert(pos, child)
        pos += 1
    parts[main] = dump(doc)

    # --- provenance custom XML part --------------------------------------------------
    n = 1
    while f"customXml/item{n}.xml" in parts or f"customXml/itemProps{n}.xml" in parts:
        n += 1
    item_name, props_name = f"customXml/item{n}.xml", f"customXml/itemProps{n}.xml"
    item, props = d._provenance_parts(json_bytes, version)
    parts[item_name] = "".join(item).encode()
    parts[props_name] = props.encode()
    parts[_rels_name(item_name)] = d._item_rels(posixpath.basename(props_name)).encode()
    set_override(props_name, d.CT_CUSTOM_PROPS)
    rid = _free_id(doc_rels, "rIdPerfdslProvenance", pr)
    etree.SubElement(doc_rels, pr, Id=rid, Type=d.REL_CUSTOM_XML,
                     Target=posixpath.relpath(item_name, posixpath.dirname(main)))
    parts[main_rels_name] = dump(doc_rels)
    _ensure_default(ctypes, "xml", "application/xml", etree)
    _ensure_default(ctypes, "rels", d.CT_RELS, etree)

    # --- core properties from the source -------------------------------------------------
    core = None
    for rel in root_rels.iter(pr):
        if rel.get("Type") == d.REL_CORE:
            core = _resolve("", rel.get("Target", ""))
    if core is None:
        core = "docProps/core.xml"
        etree.SubElement(root_rels, pr, Id=_free_id(root_rels, "rIdPerfdslCore", pr), Type=d.REL_CORE, Target=core)
        parts["_rels/.rels"] = dump(root_rels)
    parts[core] = d._core_xml(dset, when, version).encode()
    set_override(core, d.CT_CORE)
    parts["[Content_Types].xml"] = dump(ctypes)
    return parts


def _free_id(rels: Any, want: str, pr: str) -> str:
    ids = {r.get("Id") for r in rels.iter(pr)}
    rid, n = want, 1
    while rid in ids:
        n += 1
        rid = f"{want}{n}"
    return rid


def _ensure_default(ctypes: Any, ext: str, ctype: str, etree: Any) -> None:
    tag = f"{{{d.CT_NS}}}Default"
    for e in ctypes.iter(tag):
        if (e.get("Extension") or "").lower() == ext:
            return
    ctypes.insert(0, etree.Element(tag, Extension=ext, ContentType=ctype))


def _text_width(sectpr: Any, w: str) -> int:
    """Usable width (twips) of the reference's page: page width minus margins."""
    if sectpr is None:
        return d.DEFAULT_TEXT_WIDTH
    try:
        pgsz = sectpr.find(f"{w}pgSz")
        pgmar = sectpr.find(f"{w}pgMar")
        width = int(pgsz.get(f"{w}w")) if pgsz is not None else d.PAGE_W
        if pgmar is None:
            return width - d.MARGIN_L - d.MARGIN_R
        left = int(pgmar.get(f"{w}left", d.MARGIN_L))
        right = int(pgmar.get(f"{w}right", d.MARGIN_R))
        gutter = int(pgmar.get(f"{w}gutter", 0))
        tw = width - left - right - gutter
        return tw if tw > 1000 else d.DEFAULT_TEXT_WIDTH
    except (TypeError, ValueError):
        return d.DEFAULT_TEXT_WIDTH

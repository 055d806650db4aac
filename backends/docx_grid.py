"""DOCX backend, part 1: a logical grid (backends/layout_grid.py) as `<w:tbl>` XML.

The grids come from the profile's layout data through `layout_grid.form`, the step
DOCX, XLSX and HTML share; this module only writes them as WordprocessingML in one
pass, the way pandoc's Writers/Docx/Table.hs does. It must not validate, must not read
syntax, must not know a province, must not import python-docx or lxml (it is pure
Python string building, so it stays fast), and must not know about zip packages (that
is backends/docx.py).
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from functools import lru_cache

from .layout_grid import HEAD, LABEL, SUBTITLE, TITLE, VALUE, Cell, Grid, Row, balance

__all__ = ["Cell", "Grid", "Row", "balance", "esc", "keep_flags", "paragraph", "runs", "table_xml"]

# ----------------------------------------------------------------------------------------
# XML
# ----------------------------------------------------------------------------------------

_BAD_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")
_SPECIAL = re.compile('[&<>"\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]')
STYLE_FOR_ROLE = {LABEL: "PerfdslLabel", VALUE: "PerfdslCell", HEAD: "PerfdslHead", TITLE: "PerfdslTitle",
                  SUBTITLE: "PerfdslSubtitle"}


def esc(text: str) -> str:
    """Escape text for XML element content and attribute values; drop illegal chars."""
    if _SPECIAL.search(text) is None:
        return text
    if _BAD_XML.search(text):
        text = _BAD_XML.sub("", text)
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")


def runs(text: str) -> str:
    """A run for `text`; newlines become <w:br/>, tabs <w:tab/>."""
    if not text:
        return ""
    if "\n" not in text and "\t" not in text and "\r" not in text:
        return f'<w:r><w:t xml:space="preserve">{esc(text)}</w:t></w:r>'
    parts = []
    for i, line in enumerate(text.replace("\r\n", "\n").replace("\r", "\n").split("\n")):
        if i:
            parts.append("<w:br/>")
        for j, chunk in enumerate(line.split("\t")):
            if j:
                parts.append("<w:tab/>")
            if chunk:
                parts.append(f'<w:t xml:space="preserve">{esc(chunk)}</w:t>')
    return "<w:r>" + "".join(parts) + "</w:r>"


@lru_cache(maxsize=8192)
def paragraph(text: str, style: str, align: str | None = None, extra_ppr: str = "") -> str:
    jc = f'<w:jc w:val="{align}"/>' if align else ""
    return f'<w:p><w:pPr><w:pStyle w:val="{style}"/>{extra_ppr}{jc}</w:pPr>{runs(text)}</w:p>'


_BORDER = "".join(
    f'<w:{side} w:val="single" w:sz="4" w:space="0" w:color="000000"/>'
    for side in ("top", "left", "bottom", "right", "insideH", "insideV")
)


def table_xml(grid: Grid, widths: Sequence[int]) -> str:
    """The `<w:tbl>` for `grid`, one pass; row spans become vMerge restart/continue."""
    return "".join(iter_table_xml(grid, widths))


def iter_table_xml(grid: Grid, widths: Sequence[int]) -> Iterator[str]:
    """`table_xml` in pieces, one per row, so a huge table is never one string in memory."""
    ncol = len(widths)
    total = sum(widths)
    out: list[str] = [
        f'<w:tbl><w:tblPr><w:tblW w:w="{total}" w:type="dxa"/><w:jc w:val="center"/>'
        f"<w:tblBorders>{_BORDER}</w:tblBorders>"
        '<w:tblLayout w:type="fixed"/>'
        '<w:tblCellMar><w:left w:w="85" w:type="dxa"/><w:right w:w="85" w:type="dxa"/></w:tblCellMar>'
        '<w:tblLook w:val="0000" w:firstRow="0" w:lastRow="0" w:firstColumn="0" w:lastColumn="0" w:noHBand="1" w:noVBand="1"/>'
        "</w:tblPr><w:tblGrid>"
    ]
    out.extend(f'<w:gridCol w:w="{w}"/>' for w in widths)
    out.append("</w:tblGrid>")
    yield "".join(out)
    keeps = keep_flags(grid.rows)
    edge = [0]
    for w_ in widths:
        edge.append(edge[-1] + w_)
    tcpr_cache: dict[tuple[int, int, int], str] = {}

    def tc_open(col: int, span: int, vm: int) -> str:
        """`<w:tc><w:tcPr>…</w:tcPr>` for a cell at `col` spanning `span`; vm 0/1 restart/2 continue."""
        key = (col, span, vm)
        got = tcpr_cache.get(key)
        if got is None:
            gs = f'<w:gridSpan w:val="{span}"/>' if span > 1 else ""
            vms = ("", '<w:vMerge w:val="restart"/>', "<w:vMerge/>")[vm]
            got = (f'<w:tc><w:tcPr><w:tcW w:w="{edge[col + span] - edge[col]}" w:type="dxa"/>{gs}{vms}'
                   '<w:vAlign w:val="center"/></w:tcPr>')
            tcpr_cache[key] = got
        return got

    # pending[col] = [rows still covered, span] for vertical merges in progress
    pending: dict[int, list[int]] = {}
    for row, keep in zip(grid.rows, keeps, strict=True):
        out = []
        add = out.append
        trpr = "<w:cantSplit/><w:tblHeader/>" if row.header else "<w:cantSplit/>"
        add(f'<w:tr><w:trPr>{trpr}<w:trHeight w:val="340"/></w:trPr>')
        kn = "<w:keepNext/>" if keep else ""
        col = 0
        cells = iter(row.cells)
        while col < ncol:
            pend = pending.get(col)
            if pend is not None:
                span = pend[1]
                add(tc_open(col, span, 2))
                add(paragraph("", "PerfdslCell", None, kn))
                add("</w:tc>")
                pend[0] -= 1
                if pend[0] == 0:
                    del pending[col]
                col += span
                continue
            cell = next(cells, None)
            if cell is None:  # a short row: fill the rest with an empty cell
                cell = Cell(span=ncol - col)
            span = min(cell.span, ncol - col)
            vm = 0
            if cell.rows > 1:
                vm = 1
                pending[col] = [cell.rows - 1, span]
            add(tc_open(col, span, vm))
            style = STYLE_FOR_ROLE[cell.role]
            align = cell.align
            texts = cell.paras
            if not texts:
                add(paragraph("", style, align, kn))
            else:
                w = edge[col + span] - edge[col]
                for t in texts:
                    add(paragraph(balance(t, w) if cell.balanced else t, style, align, kn))
            add("</w:tc>")
            col += span
        add("</w:tr>")
        yield "".join(out)
    yield "</w:tbl>"


# A merged block longer than this many rows may break across pages (else Word would
# push very long blocks to the next page and leave a mostly empty page behind).
KEEP_MAX = 14


def keep_flags(rows: Sequence[Row]) -> list[bool]:
    """Which rows stay on the page of the next row: the header row, the rows of a
    vertically merged block (so a 一级/二级 label is not cut off from its rows), and rows
    marked `keep`."""
    keep = [r.keep or r.header for r in rows]
    for i, row in enumerate(rows):
        for cell in row.cells:
            if 1 < cell.rows <= KEEP_MAX:
                for j in range(i, min(i + cell.rows - 1, len(rows))):
                    keep[j] = True
    return keep



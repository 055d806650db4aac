"""Office files → rectangular cell grids with merged cells filled in.

A DOCX body becomes its tables (and the paragraphs between them), read with a small
lxml walker over `w:tr`/`w:tc` (python-docx's `row.cells` is 10× slower): `gridSpan`
repeats a cell to the right, `vMerge` continues the cell above, `gridBefore` pads, text
split across runs is joined, `w:br` is a line break, content controls (`w:sdt`) are
looked through. An XLSX workbook becomes one grid per sheet, read with openpyxl in
normal mode (read-only mode has no merged ranges); merged ranges are filled from their
top-left cell and numbers are shown with the decimals of their number format.

Every cell keeps its `origin` (the top-left of its merge) so callers can tell a merged
continuation from a value that is really repeated. This module must not interpret the
grids (that is detect.py/build.py) and must only ever parse parts checked by safety.py.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import attrs

from perfdsl.importer.safety import ImportFailure, xml_parser

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
MAX_ROWS = 20000
MAX_COLS = 200


@attrs.frozen
class GCell:
    text: str
    origin: tuple[int, int]  # (row, col) of the top-left cell of its merge


@attrs.define
class Table:
    name: str  # "表2" or "工作表“指标”"
    rows: list[list[GCell]]
    before: list[str] = attrs.Factory(list)  # DOCX paragraphs between the previous table and this one
    sheet: bool = False
    hidden: bool = False

    def pos(self, r: int, c: int) -> str:
        """A cell's position for messages: `表2 第5行第3列` / `工作表“X” 第5行第3列（C5）`."""
        where = f"{self.name} 第{r + 1}行第{c + 1}列"
        if self.sheet:
            where += f"（{col_letter(c)}{r + 1}）"
        return where


@attrs.define
class Book:
    kind: str  # docx | xlsx
    tables: list[Table]
    trailing: list[str] = attrs.Factory(list)  # DOCX paragraphs after the last table


def col_letter(c: int) -> str:
    s = ""
    c += 1
    while c:
        c, rem = divmod(c - 1, 26)
        s = chr(65 + rem) + s
    return s


# ----------------------------------------------------------------------------------------
# DOCX
# ----------------------------------------------------------------------------------------


def _para_text(p: Any) -> str:
    out: list[str] = []
    for el in p.iter(f"{W}t", f"{W}tab", f"{W}br", f"{W}cr", f"{W}noBreakHyphen"):
        parent = el.getparent()
        if parent is None or parent.tag in (f"{W}tabs", f"{W}pPr", f"{W}rPr"):
            continue
        if el.tag == f"{W}t":
            out.append(el.text or "")
        elif el.tag == f"{W}tab":
            out.append("\t")
        elif el.tag == f"{W}noBreakHyphen":
            out.append("-")
        else:
            out.append("\n")
    return "".join(out)


def _children(el: Any, tag: str) -> Iterator[Any]:
    """Children with `tag`, looking through content controls (w:sdt/w:sdtContent)."""
    for ch in el:
        if ch.tag == tag:
            yield ch
        elif ch.tag == f"{W}sdt":
            content = ch.find(f"{W}sdtContent")
            if content is not None:
                yield from _children(content, tag)
        elif ch.tag in (f"{W}customXml", f"{W}smartTag"):
            yield from _children(ch, tag)


def _cell_text(tc: Any) -> str:
    return "\n".join(_para_text(p) for p in _children(tc, f"{W}p")).strip()


def _val(el: Any, default: str | None = None) -> str | None:
    return el.get(f"{W}val", default) if el is not None else default


def docx_table(tbl: Any, name: str) -> Table:
    rows: list[list[GCell]] = []
    for r, tr in enumerate(_children(tbl, f"{W}tr")):
        if r >= MAX_ROWS:
            raise ImportFailure(f"{name} 超过 {MAX_ROWS} 行，已拒绝。")
        row: list[GCell] = []
        trpr = tr.find(f"{W}trPr")
        before = _val(trpr.find(f"{W}gridBefore")) if trpr is not None else None
        for _ in range(int(before) if before and before.isdigit() else 0):
            row.append(GCell("", (r, len(row))))
        prev = rows[-1] if rows else []
        for tc in _children(tr, f"{W}tc"):
            pr = tc.find(f"{W}tcPr")
            span, cont, hcont = 1, False, False
            if pr is not None:
                gs = _val(pr.find(f"{W}gridSpan"))
                if gs and gs.isdigit():
                    span = max(1, min(int(gs), MAX_COLS))
                vm = pr.find(f"{W}vMerge")
                if vm is not None:
                    cont = _val(vm, "continue") == "continue"
                hm = pr.find(f"{W}hMerge")
                hcont = hm is not None and _val(hm, "continue") == "continue"
            c = len(row)
            if c >= MAX_COLS:
                break
            if cont and c < len(prev):
                above = prev[c]
                cells = [GCell(above.text, above.origin)] * span
                if c + span <= len(prev):
                    cells = [GCell(prev[c + i].text, prev[c + i].origin) for i in range(span)]
            elif hcont and row:
                cells = [GCell(row[-1].text, row[-1].origin)] * span
            else:
                cell = GCell(_cell_text(tc), (r, c))
                cells = [cell] * span
            row.extend(cells)
        rows.append(row)
    width = max((len(r) for r in rows), default=0)
    for r, row in enumerate(rows):
        while len(row) < width:
            row.append(GCell("", (r, len(row))))
    return Table(name, rows)


def _main_part(parts: dict[str, bytes]) -> str:
    rels = parts.get("_rels/.rels", b"")
    m = re.search(rb'Type="[^"]*/officeDocument"[^>]*Target="/?([^"]+)"', rels) or \
        re.search(rb'Target="/?([^"]+)"[^>]*Type="[^"]*/officeDocument"', rels)
    if m:
        name = m.group(1).decode("utf-8", "replace")
        if name in parts:
            return name
    return "word/document.xml"


def read_docx(parts: dict[str, bytes], fname: str) -> Book:
    from lxml import etree

    main = _main_part(parts)
    if main not in parts:
        raise ImportFailure(f"{fname} 中没有正文（{main}），不是有效的 Word 文件。")
    try:
        root = etree.fromstring(parts[main], xml_parser())
    except etree.XMLSyntaxError as exc:
        raise ImportFailure(f"{fname} 的正文 XML 已损坏：{exc}") from exc
    body = root.find(f"{W}body")
    if body is None:
        raise ImportFailure(f"{fname} 中没有正文，不是有效的 Word 文件。")
    tables: list[Table] = []
    paras: list[str] = []

    def walk(el: Any) -> None:
        for ch in el:
            if ch.tag == f"{W}p":
                t = _para_text(ch).strip()
                if t:
                    paras.append(t)
            elif ch.tag == f"{W}tbl":
                t = docx_table(ch, f"表{len(tables) + 1}")
                t.before = list(paras)
                paras.clear()
                tables.append(t)
                for nested in ch.iter(f"{W}tbl"):
                    if nested is not ch:
                        tables.append(docx_table(nested, f"表{len(tables) + 1}（嵌套）"))
            elif ch.tag in (f"{W}sdt",):
                content = ch.find(f"{W}sdtContent")
                if content is not None:
                    walk(content)
            elif ch.tag in (f"{W}customXml",):
                walk(ch)

    walk(body)
    return Book("docx", tables, list(paras))


# ----------------------------------------------------------------------------------------
# XLSX
# ----------------------------------------------------------------------------------------

_DEC_FMT = re.compile(r"0\.(0+)")


def number_text(v: Any, fmt: str | None) -> str:
    """A cell value as the sheet shows it (decimals of the number format, percent)."""
    if v is None:
        return ""
    if isinstance(v, bool):
        return "是" if v else "否"
    if isinstance(v, datetime):
        return v.strftime("%Y-%m-%d") if (v.hour, v.minute, v.second) == (0, 0, 0) else v.strftime("%Y-%m-%d %H:%M")
    if isinstance(v, date):
        return v.strftime("%Y-%m-%d")
    if isinstance(v, (int, float)):
        f = fmt or "General"
        d = Decimal(repr(v)) if isinstance(v, float) else Decimal(v)
        percent = "%" in f
        if percent:
            d = d * 100
        m = _DEC_FMT.search(f)
        if m:
            d = d.quantize(Decimal(1).scaleb(-len(m.group(1))))
        elif f.strip() in ("0", "0%", "#,##0", "#,##0%"):
            d = d.quantize(Decimal(1))
        elif d == d.to_integral_value():
            d = d.quantize(Decimal(1))
        else:
            d = d.normalize()
        text = format(d, "f")
        return text + "%" if percent else text
    return str(v)


def read_xlsx(data: bytes, fname: str) -> tuple[Book, Any]:
    """The sheets as grids, and the openpyxl workbook (for the embedded JSON)."""
    import warnings

    import openpyxl
    from openpyxl.worksheet import _reader
    from openpyxl.worksheet.merge import MergedCellRange

    # openpyxl styles the border of every merged range while loading (~12 ms a range,
    # 2.2 s for the seed workbook); we only need the ranges, so bind them plainly.
    def bind_merged_cells(self: Any) -> None:
        merged = self.parser.merged_cells
        for cr in (merged.mergeCell if merged is not None else ()):
            self.ws.merged_cells.add(MergedCellRange(self.ws, cr.ref))

    original = _reader.WorksheetReader.bind_merged_cells
    try:
        _reader.WorksheetReader.bind_merged_cells = bind_merged_cells  # type: ignore[method-assign]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            wb = openpyxl.load_workbook(io.BytesIO(data), data_only=True, keep_vba=False, keep_links=False)
    except Exception as exc:  # openpyxl raises many types on broken files
        raise ImportFailure(f"{fname} 无法作为 Excel 文件读取：{type(exc).__name__}：{exc}") from exc
    finally:
        _reader.WorksheetReader.bind_merged_cells = original  # type: ignore[method-assign]
    tables: list[Table] = []
    for ws in wb.worksheets:
        if ws.max_row > MAX_ROWS or ws.max_column > MAX_COLS:
            raise ImportFailure(f"{fname} 的工作表“{ws.title}”有 {ws.max_row} 行 {ws.max_column} 列，超过上限，已拒绝。")
        nrow, ncol = ws.max_row, ws.max_column
        rows: list[list[GCell]] = []
        values: dict[tuple[int, int], str] = {}
        for row in ws.iter_rows(min_row=1, max_row=nrow, max_col=ncol):
            for cell in row:
                if cell.value is not None and cell.__class__.__name__ != "MergedCell":
                    values[(cell.row - 1, cell.column - 1)] = number_text(cell.value, cell.number_format)
        origin: dict[tuple[int, int], tuple[int, int]] = {}
        for rng in ws.merged_cells.ranges:
            top = (rng.min_row - 1, rng.min_col - 1)
            for r in range(rng.min_row - 1, min(rng.max_row, nrow)):
                for c in range(rng.min_col - 1, min(rng.max_col, ncol)):
                    origin[(r, c)] = top
        for r in range(nrow):
            out = []
            for c in range(ncol):
                o = origin.get((r, c), (r, c))
                out.append(GCell(values.get(o, "").strip(), o))
            rows.append(out)
        tables.append(Table(f"工作表“{ws.title}”", rows, sheet=True, hidden=ws.sheet_state != "visible"))
    return Book("xlsx", tables), wb

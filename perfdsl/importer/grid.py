"""Office files → rectangular cell grids with merged cells filled in.

A DOCX body becomes its tables (and the paragraphs between them), read with a small
lxml walker over `w:tr`/`w:tc` (python-docx's `row.cells` is 10× slower): `gridSpan`
repeats a cell to the right, `vMerge` continues the cell above, `gridBefore` pads, text
split across runs is joined, `w:br` is a line break, content controls (`w:sdt`) are
looked through, hidden runs (`w:vanish`) are left out and reported. An XLSX workbook
becomes one grid per visible sheet (xlsx_read.py streams it); merged ranges are filled
from their top-left cell, hidden rows/columns are left out and reported, and numbers
are shown with the decimals of their number format.

Every grid cell is paid for from the file's CellBudget before it is made, so a small
file describing a huge grid is refused in well under a second. Every cell keeps its
`origin` (the top-left of its merge) so callers can tell a merged continuation from a
value that is really repeated. This module must not interpret the grids (that is
detect.py/build.py) and must only ever parse parts checked by safety.py.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import attrs

from perfdsl.importer.safety import CellBudget, ImportFailure, parse_xml

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
    notes: list[str] = attrs.Factory(list)  # what the user must know: hidden content, formulas (position: text)


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


_OFF = ("0", "false", "off")


class DocxText:
    """Visible text of paragraphs, with Word's hidden text (`w:vanish`, `w:specVanish`, set on
    the run, its character style or its paragraph style, following `basedOn`) left out and
    collected. `w:webHidden` only hides text in Web Layout view; it prints, so it is kept."""

    def __init__(self, parts: dict[str, bytes], main: str, fname: str) -> None:
        self.style_hidden: dict[str, bool | None] = {}  # style id → hidden, following basedOn
        self.default_para_style: str | None = None
        self.default_hidden = False
        self._load_styles(parts, main, fname)

    def _load_styles(self, parts: dict[str, bytes], main: str, fname: str) -> None:
        from perfdsl.importer.xlsx_read import _rels

        styles = next((t for typ, t in _rels(parts, main, fname).values() if typ.endswith("/styles")), None)
        if styles is None or styles not in parts:
            return
        root = parse_xml(parts[styles], fname, styles)
        defaults = root.find(f"{W}docDefaults/{W}rPrDefault/{W}rPr")
        self.default_hidden = _vanish(defaults) is True
        own: dict[str, bool | None] = {}
        based: dict[str, str] = {}
        for st in root.iter(f"{W}style"):
            sid = st.get(f"{W}styleId") or ""
            own[sid] = _vanish(st.find(f"{W}rPr"))
            b = st.find(f"{W}basedOn")
            if b is not None and _val(b):
                based[sid] = _val(b) or ""
            if st.get(f"{W}type") == "paragraph" and (st.get(f"{W}default") or "").lower() in ("1", "true"):
                self.default_para_style = sid
        for sid in own:
            seen: set[str] = set()
            cur: str | None = sid
            while cur is not None and cur not in seen and own.get(cur) is None:
                seen.add(cur)
                cur = based.get(cur)
            self.style_hidden[sid] = own.get(cur) if cur is not None else None

    def run_hidden(self, run: Any, para_style: str | None) -> bool:
        """Direct formatting, else the character style, else the paragraph style, else the defaults."""
        rpr = run.find(f"{W}rPr")
        direct = _vanish(rpr)
        if direct is not None:
            return direct
        rs = rpr.find(f"{W}rStyle") if rpr is not None else None
        for sid in (_val(rs) if rs is not None else None, para_style):
            if sid is not None and self.style_hidden.get(sid) is not None:
                return bool(self.style_hidden[sid])
        return self.default_hidden

    def paragraph(self, p: Any) -> tuple[str, str]:
        """(visible text, hidden text) of one paragraph."""
        ps = p.find(f"{W}pPr/{W}pStyle")
        para_style = _val(ps) if ps is not None else self.default_para_style
        out: list[str] = []
        hid: list[str] = []
        cache: dict[Any, bool] = {}
        for el in p.iter(f"{W}t", f"{W}tab", f"{W}br", f"{W}cr", f"{W}noBreakHyphen"):
            parent = el.getparent()
            if parent is None or parent.tag in (f"{W}tabs", f"{W}pPr", f"{W}rPr"):
                continue
            if el.tag == f"{W}t":
                piece = el.text or ""
            elif el.tag == f"{W}tab":
                piece = "\t"
            elif el.tag == f"{W}noBreakHyphen":
                piece = "-"
            else:
                piece = "\n"
            hidden = False
            if parent.tag == f"{W}r":
                if parent not in cache:
                    cache[parent] = self.run_hidden(parent, para_style)
                hidden = cache[parent]
            (hid if hidden else out).append(piece)
        return "".join(out), "".join(hid)

    def cell(self, tc: Any) -> tuple[str, str]:
        shown: list[str] = []
        hidden: list[str] = []
        for p in _children(tc, f"{W}p"):
            a, b = self.paragraph(p)
            shown.append(a)
            if b.strip():
                hidden.append(b.strip())
        return "\n".join(shown).strip(), " ".join(hidden)


def _vanish(rpr: Any) -> bool | None:
    """True/False when run properties say hidden/not hidden, None when they say nothing."""
    if rpr is None:
        return None
    for tag in ("vanish", "specVanish"):
        el = rpr.find(f"{W}{tag}")
        if el is not None:
            if (_val(el) or "true").lower() not in _OFF:
                return True
            if tag == "vanish":
                return False
    return None


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


def _val(el: Any, default: str | None = None) -> str | None:
    return el.get(f"{W}val", default) if el is not None else default


def _count(text: str | None, limit: int) -> int:
    return min(int(text), limit) if text and text.isdigit() and len(text) < 10 else 0


def docx_table(tbl: Any, name: str, reader: DocxText, budget: CellBudget, notes: list[str]) -> Table:
    rows: list[list[GCell]] = []
    table = Table(name, rows)
    for r, tr in enumerate(_children(tbl, f"{W}tr")):
        if r >= MAX_ROWS:
            raise ImportFailure(f"{name} 超过 {MAX_ROWS} 行，已拒绝。")
        row: list[GCell] = []
        trpr = tr.find(f"{W}trPr")
        before = _count(_val(trpr.find(f"{W}gridBefore")) if trpr is not None else None, MAX_COLS)
        budget.take(before, f"{name} 第{r + 1}行")
        for _ in range(before):
            row.append(GCell("", (r, len(row))))
        prev = rows[-1] if rows else []
        for tc in _children(tr, f"{W}tc"):
            pr = tc.find(f"{W}tcPr")
            span, cont, hcont = 1, False, False
            if pr is not None:
                span = max(1, _count(_val(pr.find(f"{W}gridSpan")), MAX_COLS))
                vm = pr.find(f"{W}vMerge")
                if vm is not None:
                    cont = _val(vm, "continue") == "continue"
                hm = pr.find(f"{W}hMerge")
                hcont = hm is not None and _val(hm, "continue") == "continue"
            c = len(row)
            if c >= MAX_COLS:
                break
            span = min(span, MAX_COLS - c)
            budget.take(span, f"{name} 第{r + 1}行")
            if cont and c < len(prev):
                above = prev[c]
                cells = [above] * span
                if c + span <= len(prev):
                    cells = prev[c:c + span]
            elif hcont and row:
                cells = [row[-1]] * span
            else:
                text, hidden = reader.cell(tc)
                if hidden:
                    notes.append(f"{table.pos(r, c)}：有隐藏文字“{hidden}”（Word 中设为隐藏，不显示也不打印），未导入"
                                 + (f"；导入的是看得到的“{text}”" if text else ""))
                cell = GCell(text, (r, c))
                cells = [cell] * span
            row.extend(cells)
        rows.append(row)
    width = max((len(r) for r in rows), default=0)
    budget.take(sum(width - len(row) for row in rows), name)
    for r, row in enumerate(rows):
        while len(row) < width:
            row.append(GCell("", (r, len(row))))
    return table


def _main_part(parts: dict[str, bytes]) -> str:
    rels = parts.get("_rels/.rels", b"")
    m = re.search(rb'Type="[^"]*/officeDocument"[^>]*Target="/?([^"]+)"', rels) or \
        re.search(rb'Target="/?([^"]+)"[^>]*Type="[^"]*/officeDocument"', rels)
    if m:
        name = m.group(1).decode("utf-8", "replace")
        if name in parts:
            return name
    return "word/document.xml"


def read_docx(parts: dict[str, bytes], fname: str, budget: CellBudget | None = None) -> Book:
    main = _main_part(parts)
    if main not in parts:
        raise ImportFailure(f"{fname} 中没有正文（{main}），不是有效的 Word 文件。")
    root = parse_xml(parts[main], fname, main)
    body = root.find(f"{W}body")
    if body is None:
        raise ImportFailure(f"{fname} 中没有正文，不是有效的 Word 文件。")
    budget = budget or CellBudget(fname)
    reader = DocxText(parts, main, fname)
    tables: list[Table] = []
    paras: list[str] = []
    notes: list[str] = []

    def walk(el: Any) -> None:
        for ch in el:
            if ch.tag == f"{W}p":
                t, hidden = reader.paragraph(ch)
                t = t.strip()
                if hidden.strip():
                    notes.append(f"正文段落“{t[:30]}”：有隐藏文字“{hidden.strip()}”（Word 中设为隐藏，不显示也不打印），未导入")
                if t:
                    paras.append(t)
            elif ch.tag == f"{W}tbl":
                t = docx_table(ch, f"表{len(tables) + 1}", reader, budget, notes)
                t.before = list(paras)
                paras.clear()
                tables.append(t)
                for nested in ch.iter(f"{W}tbl"):
                    if nested is not ch:
                        tables.append(docx_table(nested, f"表{len(tables) + 1}（嵌套）", reader, budget, notes))
            elif ch.tag in (f"{W}sdt",):
                content = ch.find(f"{W}sdtContent")
                if content is not None:
                    walk(content)
            elif ch.tag in (f"{W}customXml",):
                walk(ch)

    walk(body)
    return Book("docx", tables, list(paras), notes)


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


def read_xlsx(parts: dict[str, bytes], fname: str, budget: CellBudget | None = None) -> tuple[Book, list[list[Any]] | None]:
    """The sheets as grids (what Excel shows), and the rows of perfdsl's `_perfdsl` data sheet."""
    from perfdsl.importer.xlsx_read import DATA_SHEET, read_workbook

    budget = budget or CellBudget(fname)
    tables: list[Table] = []
    notes: list[str] = []
    data_rows: list[list[Any]] | None = None
    for sh in read_workbook(parts, fname, budget, MAX_ROWS, MAX_COLS):
        if sh.title == DATA_SHEET:
            data_rows = [[sh.cells.get((r, c)) for c in range(sh.ncol)] for r in range(sh.nrow)]
            continue
        name = f"工作表“{sh.title}”"
        if sh.state != "visible":
            if sh.cells:
                notes.append(f"{name}：是隐藏的工作表（{len(sh.cells)} 个非空单元格），未导入；"
                             "如需导入，请在 Excel 中取消隐藏后再导入")
            continue
        tables.append(_sheet_table(sh, name, notes))
    return Book("xlsx", tables, notes=notes), data_rows


def _sheet_table(sh: Any, name: str, notes: list[str]) -> Table:
    nrow, ncol = sh.nrow, sh.ncol
    table = Table(name, [], sheet=True)
    for (r, c), note in sorted(sh.notes):
        notes.append(f"{table.pos(r, c)}：{note}")

    def shown(r: int, c: int) -> bool:
        return r not in sh.hidden_rows and c not in sh.hidden_cols

    origin: dict[tuple[int, int], tuple[int, int]] = {}
    visible_merge: set[tuple[int, int]] = set()
    area = 0
    for r1, c1, r2, c2 in sh.merges:
        if r1 >= nrow or c1 >= ncol:
            continue
        r2, c2 = min(r2, nrow - 1), min(c2, ncol - 1)
        area += (r2 - r1 + 1) * (c2 - c1 + 1)
        if area > nrow * ncol:
            raise ImportFailure(f"{name} 的合并单元格互相重叠（文件已损坏或是恶意构造的），已拒绝。")
        any_shown = False
        for r in range(r1, r2 + 1):
            for c in range(c1, c2 + 1):
                origin[(r, c)] = (r1, c1)
                any_shown = any_shown or shown(r, c)
        if any_shown:
            visible_merge.add((r1, c1))
    texts = {pos: number_text(v, sh.formats.get(pos)).strip() for pos, v in sh.cells.items()}
    hidden: dict[str, list[str]] = {}
    for (r, c), t in sorted(texts.items()):
        if t and not shown(r, c) and (r, c) not in visible_merge:
            key = f"第{r + 1}行（隐藏行）" if r in sh.hidden_rows else f"{col_letter(c)} 列（隐藏列）"
            hidden.setdefault(key, []).append(f"{col_letter(c)}{r + 1} {t}")
    for key, items in hidden.items():
        shown_items = " / ".join(items[:50]) + (f" ……（共 {len(items)} 个）" if len(items) > 50 else "")
        notes.append(f"{name} {key}：Excel 中不显示，未导入：{shown_items}")
    for r in range(nrow):
        out = []
        for c in range(ncol):
            o = origin.get((r, c), (r, c))
            visible = shown(r, c) if o == (r, c) else (o in visible_merge and shown(r, c))
            out.append(GCell(texts.get(o, "") if visible else "", o))
        table.rows.append(out)
    return table

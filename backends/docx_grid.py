"""DOCX backend, part 1: the logical grids of a declaration's tables and their XML.

This module turns one `Declaration` into plain data (`Grid`: rows of cells with column
and row spans) and writes that data as WordprocessingML `<w:tbl>` text in one pass, the
way pandoc's Writers/Docx/Table.hs does. It must not validate, must not read syntax,
must not import python-docx or lxml (it is pure Python string building, so it stays
fast), and must not know about zip packages (that is backends/docx.py).

Layouts (profile `layout`):
- ``gansu-dept``: the 甘肃 部门整体 header grid (职能, 基本信息, 人员情况, 预算情况).
- ``gansu-project``: the 甘肃 项目绩效目标表 header (two label/value pairs per row, then
  one pair per row).
- anything else (``project``): one label/value row per shown field, in profile order.
Unknown fields (`Field.known == False`) and present fields the layout does not place
become extra label/value rows at the end, so nothing is lost.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Iterator, Sequence
from functools import lru_cache
from typing import NamedTuple

import attrs

from perfdsl.model import Declaration, Field

# ----------------------------------------------------------------------------------------
# Logical grid
# ----------------------------------------------------------------------------------------

LABEL = "label"  # a form label (centred)
VALUE = "value"  # a value (left or centred)
HEAD = "head"  # a column heading (bold, centred)


class Cell(NamedTuple):
    """One cell of a logical grid: paragraphs, column span, row span, role, alignment.
    (A NamedTuple: a declaration has hundreds of cells and this is the hot path.)"""

    paras: tuple[str, ...] = ()
    span: int = 1
    rows: int = 1
    role: str = VALUE
    align: str = "center"  # center | left
    balanced: bool = False  # break a too-long text into even lines (form labels)


class Row(NamedTuple):
    cells: tuple[Cell, ...]
    header: bool = False  # repeat on every page (w:tblHeader)
    keep: bool = False  # keep on the same page as the next row (w:keepNext on its paragraphs)


@attrs.frozen
class Grid:
    """A table: column keys (for widths), rows. Cells covered by a row span are omitted."""

    columns: tuple[str, ...]
    rows: tuple[Row, ...]


def label(text: str, span: int = 1, rows: int = 1) -> Cell:
    return Cell((text,), span, rows, LABEL, "center", balanced=True)


def head(text: str, span: int = 1, rows: int = 1, balanced: bool = False) -> Cell:
    return Cell((text,), span, rows, HEAD, "center", balanced)


def value(paras: str | Sequence[str], span: int = 1, rows: int = 1, align: str = "center") -> Cell:
    if isinstance(paras, str):
        return Cell((paras,) if paras else (), span, rows, VALUE, align)
    return Cell(tuple(paras), span, rows, VALUE, align)


# ----------------------------------------------------------------------------------------
# Header layouts
# ----------------------------------------------------------------------------------------

# The header grids use the same eight columns as the standard indicator table, so the two
# tables line up on the page as in the printed form.
HEADER_COLUMNS = ("level1", "level2", "name", "op", "value", "unit", "指标值内容", "备注")
NCOL = len(HEADER_COLUMNS)

_TRUE = {"true", "是", "yes", "y", "1", "对", "✓", "√"}
_FALSE = {"false", "否", "no", "n", "0", "不"}
_PLACEHOLDER = re.compile(r"\{([^{}]+)\}")


class _Reader:
    """Reads header fields of one declaration and remembers which keys a layout used."""

    def __init__(self, decl: Declaration) -> None:
        self.decl = decl
        self.used: set[str] = set()

    def label(self, key: str, fallback: str | None = None) -> str:
        self.used.add(key)
        spec = self.decl.profile.field(key)
        if spec is not None:
            return spec.label
        f = self.decl.field(key)
        if f is not None and f.label:
            return f.label
        return fallback if fallback is not None else key

    def text(self, key: str) -> str:
        self.used.add(key)
        f = self.decl.field(key)
        if f is not None and f.type == "bool":
            return bool_text(f.text)
        return self.decl.text(key)

    def paras(self, key: str) -> list[str]:
        """A field as paragraphs: list items numbered by the profile, else its text."""
        self.used.add(key)
        f = self.decl.field(key)
        if f is not None and f.type == "list":
            return self.decl.list_items(key)
        t = self.text(key)
        return [t] if t else []

    def composite(self, name: str) -> str:
        """The profile composite, or "" when none of its fields is filled in."""
        fmt = self.decl.profile.composites.get(name, "")
        keys = _PLACEHOLDER.findall(fmt)
        self.used.update(keys)
        if not any(self.decl.field(k) is not None and not self.decl.field(k).is_empty for k in keys):  # type: ignore[union-attr]
            return ""
        return self.decl.composite(name)


def bool_text(text: str | None) -> str:
    if text is None:
        return ""
    low = text.strip().lower()
    if low in _TRUE:
        return "是"
    if low in _FALSE:
        return "否"
    return text


def _full(r: _Reader, key: str, first: int = 1) -> tuple[Cell, ...]:
    """label in column 0 (spanning `first` columns), value over the rest."""
    return (label(r.label(key), span=first), value(r.paras(key), span=NCOL - first, align="left"))


def _dept_rows(r: _Reader) -> list[Row]:
    rows: list[Row] = []
    add = rows.append
    add(Row((label(r.label("单位名称")), value(r.text("单位名称"), span=7))))
    add(Row((label(r.label("联系人")), value(r.text("联系人"), span=2),
             label(r.label("联系电话"), span=2), value(r.text("联系电话"), span=3))))
    # 部门（单位）职能: six rows under one label
    add(Row((label("部门（单位）职能", rows=6), value(r.label("职能依据"), span=7, align="left"))))
    add(Row((value(r.paras("职能依据"), span=7, align="left"),)))
    add(Row((value(r.label("职能"), span=7, align="left"),)))
    add(Row((value(r.paras("职能"), span=7, align="left"),)))
    add(Row((value(r.label("核心职能"), span=7, align="left"),)))
    add(Row((value(r.paras("核心职能"), span=7, align="left"),)))
    add(Row((label(r.label("年度绩效目标")), value(r.paras("年度绩效目标"), span=7, align="left"))))
    # 部门（单位）基本信息: five rows
    add(Row((label("部门（单位）基本信息", rows=5),
             value(f"{r.label('直属单位.数量')}，包括：", span=7, align="left"))))
    for k in ("直属单位.数量", "直属单位.名单"):
        r.used.add(k)
    add(Row((value(r.composite("直属单位"), span=7, align="left"),)))
    add(Row((value(r.label("直属单位.纳入填报"), span=5, align="left"),
             value(r.text("直属单位.纳入填报"), span=2))))
    add(Row((value(f"{r.label('内设职能部门.数量')}，包括：", span=7, align="left"),)))
    add(Row((value(r.composite("内设职能部门"), span=7, align="left"),)))
    # 人员情况: three rows
    add(Row((label("人员情况", rows=3), label(r.label("人员情况.内容"), span=2),
             value(r.text("人员情况.内容"), span=5, align="left"))))
    add(Row((label(r.label("人员情况.编制数"), span=2), value(r.text("人员情况.编制数"), span=5))))
    add(Row((label(r.label("人员情况.在职人员总数"), span=2), value(r.text("人员情况.在职人员总数"), span=5))))
    # 预算情况（万元）: a heading row and two three-row blocks
    unit = r.decl.profile.money_unit or "万元"
    money = f"预算金额（{unit}）"
    add(Row((label(f"预算情况（{unit}）", rows=7), head("按支出类型分", span=2, balanced=True),
             head(money, balanced=True), head("按来源类型分", span=2, balanced=True),
             head(money, span=2, balanced=True))))
    left = (
        ("基本支出", ("预算情况.基本支出.人员经费", "预算情况.基本支出.公用经费", "预算情况.基本支出.合计")),
        ("项目支出", ("预算情况.项目支出.本级", "预算情况.项目支出.对下转移支付", "预算情况.项目支出.合计")),
    )
    right = iter((
        "预算情况.上级财政补助", "预算情况.上级财政补助2", "预算情况.本级财政安排",
        "预算情况.其他资金", "预算情况.收入预算合计", "预算情况.支出预算合计",
    ))
    for group, keys in left:
        for i, key in enumerate(keys):
            rk = next(right)
            cells = [label(group, rows=3)] if i == 0 else []
            cells += [label(r.label(key)), value(r.text(key)), label(r.label(rk), span=2), value(r.text(rk), span=2)]
            add(Row(tuple(cells)))
    return rows


_PROJECT_PAIRS = (
    ("一级项目名称", "二级项目名称"),
    ("项目分类", "申报属性"),
    ("资金用途", "主管部门"),
    ("项目开始日期", "项目完成日期"),
)
_PROJECT_SINGLE = (
    "基本情况", "项目立项必要性", "保障项目实施的制度措施", "项目实施计划", "组织实施单位",
    "监督管理单位", "项目实施单位", "政策依据", "其他依据", "需要说明的其他情况", "年度绩效目标",
)


def _gansu_project_rows(r: _Reader) -> list[Row]:
    rows: list[Row] = []
    for a, b in _PROJECT_PAIRS:
        rows.append(Row((label(r.label(a)), value(r.text(a), span=2),
                         label(r.label(b)), value(r.text(b), span=4))))
    for key in _PROJECT_SINGLE:
        rows.append(Row(_full(r, key)))
    return rows


def _generic_rows(r: _Reader) -> list[Row]:
    rows = []
    for spec in r.decl.profile.fields:
        if spec.show:
            rows.append(Row(_full(r, spec.key, first=2)))
        else:
            r.used.add(spec.key)
    return rows


def _extra_rows(r: _Reader, first: int) -> list[Row]:
    """Present fields no layout row showed: unknown fields, and known shown ones."""
    rows = []
    for f in r.decl.fields:
        if f.key in r.used:
            continue
        spec = r.decl.profile.field(f.key) if f.known else None
        if spec is not None and (not spec.show or spec.key in r.used):
            continue
        rows.append(Row((label(f.label or f.key, span=first), value(_field_paras(r, f), span=NCOL - first, align="left"))))
    return rows


def _field_paras(r: _Reader, f: Field) -> list[str]:
    if f.type == "list":
        if f.known and r.decl.profile.field(f.key) is not None:
            return r.decl.list_items(f.key)
        return list(f.items)
    if f.type == "bool":
        t = bool_text(f.text)
        return [t] if t else []
    if f.text:
        return [f.text]
    return list(f.items)


def header_grid(decl: Declaration) -> Grid:
    r = _Reader(decl)
    layout = decl.profile.layout
    if layout == "gansu-dept":
        rows = _dept_rows(r)
        first = 1
    elif layout == "gansu-project":
        rows = _gansu_project_rows(r)
        first = 1
    else:
        rows = _generic_rows(r)
        first = 2
    rows += _extra_rows(r, first)
    return Grid(HEADER_COLUMNS, tuple(rows))


# ----------------------------------------------------------------------------------------
# Indicator table
# ----------------------------------------------------------------------------------------

_FIXED = ("level1", "level2", "name", "op", "value", "unit")


def indicator_columns(decl: Declaration) -> list[tuple[str, str]]:
    """(key, label) of every column: the profile's, then extra keys the indicators use."""
    prof = decl.profile
    cols = [(c.key, c.label) for c in prof.columns]
    keys = {c.key for c in prof.columns}
    for fixed in _FIXED:  # a profile that forgot a fixed column still shows the data
        if fixed not in keys:
            cols.insert(_FIXED.index(fixed), (fixed, fixed))
            keys.add(fixed)
    for ind in decl.indicators:
        for k, _v in ind.columns:
            if k in keys:
                continue
            col = prof.column(k)
            if col is not None and col.key in keys:
                continue
            cols.append((k, k))
            keys.add(k)
    return cols


def _column_names(decl: Declaration, key: str) -> tuple[str, ...]:
    """The names an indicator's extra column may be stored under for column `key`."""
    col = decl.profile.column(key)
    if col is None:
        return (key,)
    return (key, *(n for n in (col.key, col.label, *col.aliases) if n != key))


def _extra_value(ind_columns: tuple[tuple[str, str], ...], names: tuple[str, ...]) -> str:
    if not ind_columns:
        return ""
    found = dict(ind_columns)
    for n in names:
        v = found.get(n)
        if v is not None:
            return v
    return ""


def indicator_grid(decl: Declaration) -> Grid:
    cols = indicator_columns(decl)
    keys = tuple(k for k, _ in cols)
    names = {k: _column_names(decl, k) for k in keys if k not in _FIXED}
    rows: list[Row] = [Row(tuple(head(lab) for _k, lab in cols), header=True)]
    op_display = decl.profile.op_display
    for l1, l2s in decl.groups():
        n1 = sum(len(inds) for _l2, inds in l2s)
        first1 = True
        for l2, inds in l2s:
            first2 = True
            for ind in inds:
                t = ind.target
                cells: list[Cell] = []
                for key in keys:
                    if key == "level1":
                        if first1:
                            cells.append(value(l1, rows=n1))
                    elif key == "level2":
                        if first2:
                            cells.append(value(l2, rows=len(inds)))
                    elif key == "name":
                        cells.append(value(ind.name, align="left"))
                    elif key == "op":
                        cells.append(value(op_display(t.op)))
                    elif key == "value":
                        cells.append(value(t.value_text()))
                    elif key == "unit":
                        cells.append(value(t.unit or ""))
                    else:
                        cells.append(value(_extra_value(ind.columns, names[key])))
                rows.append(Row(tuple(cells)))
                first1 = first2 = False
    return Grid(keys, tuple(rows))


# ----------------------------------------------------------------------------------------
# Widths
# ----------------------------------------------------------------------------------------

# Relative widths (twips at a 9638-twip text width) of the indicator columns.
_WEIGHTS = {"level1": 1400, "level2": 1200, "name": 1950, "op": 1000, "value": 1250, "unit": 1000,
            "指标值内容": 1050, "备注": 788}
_EXTRA_WEIGHT = 950


def column_widths(keys: Iterable[str], total: int) -> list[int]:
    """Integer twips per grid column, summing exactly to `total`."""
    weights = [_WEIGHTS.get(k, _EXTRA_WEIGHT) for k in keys]
    s = sum(weights) or 1
    widths = [w * total // s for w in weights]
    rest = total - sum(widths)
    big = max(range(len(widths)), key=lambda i: weights[i]) if widths else 0
    if widths:
        widths[big] += rest
    return widths


# ----------------------------------------------------------------------------------------
# XML
# ----------------------------------------------------------------------------------------

_BAD_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")
_SPECIAL = re.compile('[&<>"\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]')
STYLE_FOR_ROLE = {LABEL: "PerfdslLabel", VALUE: "PerfdslCell", HEAD: "PerfdslHead"}


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


# Label text is 10 pt: a wide (CJK) character takes 200 twips, a narrow one about 100;
# the cell loses 2 x 85 twips of margin.
_CHAR = 200
_MARGIN = 170
_NO_BREAK_BEFORE = set("）】》〕」』，、。：；！？）%％")
_NO_BREAK_AFTER = set("（【《〔「『(")
_CLOSE = set("）】》〕」』)")


def _cw(ch: str) -> int:
    return _CHAR if unicodedata.east_asian_width(ch) in ("W", "F") else _CHAR // 2


@lru_cache(maxsize=4096)
def balance(text: str, width: int) -> str:
    """Break a label that does not fit on one line into lines of about equal width, at
    a place where Chinese typesetting allows it ("部门（单位）/基本信息", not "部门（单/位）…")."""
    if "\n" in text or not text:
        return text
    widths = [_cw(c) for c in text]
    depth, inside = 0, []  # no break inside brackets: "部门（单位）", not "部门（单/位）"
    for c in text:
        inside.append(depth > 0)
        depth += (c in _NO_BREAK_AFTER) - (c in _CLOSE)
        depth = max(depth, 0)
    total = sum(widths)
    room = max(width - _MARGIN, _CHAR)
    if total <= room:
        return text
    lines = -(-total // room)
    # A trailing "（万元）" goes to a line of its own when both parts fit: "年度资金总额/（万元）".
    m = re.search(r"[（(][^（()）]*[）)]$", text)
    if m and m.start() > 0:
        head_w, tail_w = sum(widths[:m.start()]), sum(widths[m.start():])
        if head_w <= room and tail_w <= room:
            return text[:m.start()] + "\n" + text[m.start():]
    out: list[str] = []
    start = 0
    for k in range(1, lines):
        goal = total * k / lines
        best, best_cost = None, None
        acc = sum(widths[:start])
        for pos in range(start + 1, len(text)):
            acc += widths[pos - 1]
            if acc - sum(widths[:start]) > room:
                break
            if text[pos] in _NO_BREAK_BEFORE or text[pos - 1] in _NO_BREAK_AFTER or inside[pos]:
                continue
            cost = abs(acc - goal)
            if best_cost is None or cost <= best_cost:
                best, best_cost = pos, cost
        if best is None:
            return text  # no good place: let Word wrap it
        out.append(text[start:best])
        start = best
    out.append(text[start:])
    if any(sum(_cw(c) for c in line) > room for line in out):
        return text
    return "\n".join(out)

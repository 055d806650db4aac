"""An .xlsx workbook → one cell grid per sheet, streamed from the checked XML parts.

Why not openpyxl: its normal mode builds a Python object for every cell a file describes
before we can look at the sizes (a 5 KB file with one cell at GR20000 cost 1.4 GB), its
read-only mode drops merged ranges, hidden rows and columns, and it cannot tell "a formula
without a saved result" from "an empty cell". This reader walks each sheet's XML once
with lxml's iterparse, keeping only the cells that have a value, and refuses a sheet as
soon as a cell lies beyond MAX_ROWS/MAX_COLS or the grids of all sheets together would
pass the file's CellBudget. Merged ranges are read from the XML before the rows (a regex
over the part) and are clipped to the cells that have content, so a merge cannot make
a grid bigger.

What is hidden in Excel is not imported but reported: hidden sheets (except perfdsl's own
very hidden `_perfdsl` data sheet), hidden rows and columns (also zero height/width). A
formula without a saved result and a cached error value (#DIV/0!) are read as empty and reported.
Numbers are shown with the decimals of their number format, dates as dates (also the
Chinese built-in formats 27–36, 50–58). It only ever parses parts checked by safety.py.
"""

from __future__ import annotations

import functools
import io
import posixpath
import re
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

import attrs

from perfdsl.importer.safety import MAX_CELLS, CellBudget, ImportFailure, parse_xml

S = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
R_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PKG = "{http://schemas.openxmlformats.org/package/2006/relationships}"
DATA_SHEET = "_perfdsl"
MAX_STRINGS = 4 * MAX_CELLS  # shared strings (a cell uses one; some writers keep unused ones)
MAX_NOTES = 200  # formula/error notes listed one by one per sheet

_V, _F, _IS = f"{S}v", f"{S}f", f"{S}is"
_REF = re.compile(r"^\$?([A-Za-z]{1,3})\$?(\d{1,7})$")
_MERGE = re.compile(rb'<(?:[A-Za-z_][\w.-]*:)?mergeCell\b[^>]*?\bref="([^"]*)"')
_BUILTIN_FMT = {0: "General", 1: "0", 2: "0.00", 3: "#,##0", 4: "#,##0.00", 9: "0%", 10: "0.00%",
                11: "0.00E+00", 12: "# ?/?", 13: "# ??/??", 37: "#,##0 ;(#,##0)", 38: "#,##0 ;[Red](#,##0)",
                39: "#,##0.00;(#,##0.00)", 40: "#,##0.00;[Red](#,##0.00)", 48: "##0.0E+0", 49: "@"}
# Built-in date/time formats: 14–22 and 45–47 everywhere, 27–36 and 50–58 in Chinese Excel.
_DATE_IDS = set(range(14, 23)) | set(range(27, 37)) | set(range(45, 48)) | set(range(50, 59))
_DATE_CHARS = re.compile(r"[dmyhsDMYHS年月日时分秒]")


@attrs.define
class Sheet:
    title: str
    state: str  # visible | hidden | veryHidden
    cells: dict[tuple[int, int], Any]  # (row, col) → value (str, int, float, bool, datetime)
    formats: dict[tuple[int, int], str]
    merges: list[tuple[int, int, int, int]]  # r1 c1 r2 c2, 0-based, inclusive
    hidden_rows: set[int]
    hidden_cols: set[int]
    nrow: int
    ncol: int
    notes: list[tuple[tuple[int, int], str]]  # (row, col) → what to tell the user


@functools.lru_cache(maxsize=4096)
def col_index(letters: str) -> int:
    n = 0
    for ch in letters.upper():
        n = n * 26 + ord(ch) - 64
    return n - 1


def cell_ref(ref: str) -> tuple[int, int] | None:
    m = _REF.match(ref)
    if not m:
        return None
    return int(m.group(2)) - 1, col_index(m.group(1))


def _rels(parts: dict[str, bytes], part: str, fname: str) -> dict[str, tuple[str, str]]:
    """Relationship id → (type, target part) for `part`."""
    head, tail = posixpath.split(part)
    name = posixpath.join(head, "_rels", tail + ".rels")
    if name not in parts:
        return {}
    out: dict[str, tuple[str, str]] = {}
    for rel in parse_xml(parts[name], fname, name).iter(f"{PKG}Relationship"):
        target = rel.get("Target", "")
        if rel.get("TargetMode") == "External":
            continue
        full = target.lstrip("/") if target.startswith("/") else posixpath.normpath(posixpath.join(head, target))
        out[rel.get("Id", "")] = (rel.get("Type", ""), full)
    return out


def _workbook_part(parts: dict[str, bytes], fname: str) -> str:
    for typ, target in _rels(parts, "", fname).values():
        if typ.endswith("/officeDocument") and target in parts:
            return target
    if "xl/workbook.xml" in parts:
        return "xl/workbook.xml"
    raise ImportFailure(f"{fname} 中没有工作簿（xl/workbook.xml），不是有效的 Excel 文件。")


def _text(el: Any) -> str:
    """A shared or inline string: its `t` and rich-text runs, not the phonetic (rPh) guide."""
    out = []
    for t in el.iter(f"{S}t"):
        parent = t.getparent()
        if parent is not None and parent.tag == f"{S}rPh":
            continue
        out.append(t.text or "")
    return "".join(out)


def _shared_strings(raw: bytes, fname: str) -> list[str]:
    from lxml import etree

    out: list[str] = []
    t_tag = f"{S}t"
    try:
        for _ev, si in etree.iterparse(io.BytesIO(raw), events=("end",), tag=f"{S}si", resolve_entities=False,
                                        no_network=True, load_dtd=False, huge_tree=False):
            if len(si) == 1 and si[0].tag == t_tag:
                out.append(si[0].text or "")
            else:
                out.append(_text(si))
            si.clear()
            while si.getprevious() is not None:
                del si.getparent()[0]
            if len(out) > MAX_STRINGS:
                raise ImportFailure(f"{fname} 的共享字符串超过 {MAX_STRINGS:,} 个，已拒绝。")
    except etree.XMLSyntaxError as exc:
        raise ImportFailure(f"{fname} 的共享字符串表已损坏：{exc}") from exc
    return out


def _styles(raw: bytes | None, fname: str, part: str) -> tuple[list[str], list[bool]]:
    """Each cell style's number format and whether it shows a date."""
    if not raw:
        return [], []
    root = parse_xml(raw, fname, part)
    custom: dict[int, str] = {}
    nf = root.find(f"{S}numFmts")
    for f in (nf if nf is not None else ()):
        try:
            custom[int(f.get("numFmtId", ""))] = f.get("formatCode", "")
        except ValueError:
            continue
    fmts: list[str] = []
    dates: list[bool] = []
    xfs = root.find(f"{S}cellXfs")
    for xf in (xfs if xfs is not None else ()):
        try:
            fid = int(xf.get("numFmtId", "0"))
        except ValueError:
            fid = 0
        code = custom.get(fid) or _BUILTIN_FMT.get(fid, "General")
        fmts.append(code)
        dates.append(fid in _DATE_IDS if fid not in custom else _is_date_format(code))
    return fmts, dates


def _is_date_format(code: str) -> bool:
    if code.lower() in ("general", "@"):
        return False
    bare = re.sub(r'"[^"]*"|\\.|\[[^\]]*\]|_.|\*.', "", code.split(";")[0])
    return bool(_DATE_CHARS.search(bare))


def excel_date(serial: float, date1904: bool) -> datetime:
    if date1904:
        return datetime(1904, 1, 1) + timedelta(days=serial)
    base = datetime(1899, 12, 30) if serial >= 61 else datetime(1899, 12, 31)
    return base + timedelta(days=serial)


def _number(text: str) -> int | float:
    t = text.strip()
    if re.fullmatch(r"[+-]?\d+", t):
        return int(t)
    return float(t)


def _merges(raw: bytes) -> list[tuple[int, int, int, int]]:
    out = []
    for m in _MERGE.finditer(raw):
        a, _, b = m.group(1).decode("ascii", "replace").partition(":")
        p, q = cell_ref(a), cell_ref(b or a)
        if p is None or q is None:
            continue
        out.append((min(p[0], q[0]), min(p[1], q[1]), max(p[0], q[0]), max(p[1], q[1])))
    return out


class _Limits:
    def __init__(self, max_rows: int, max_cols: int, budget: CellBudget) -> None:
        self.max_rows, self.max_cols, self.budget = max_rows, max_cols, budget


def read_sheet(raw: bytes, title: str, state: str, strings: list[str], fmts: list[str], dates: list[bool],
               date1904: bool, limits: _Limits, fname: str) -> Sheet:
    from lxml import etree

    from perfdsl.importer.grid import col_letter

    merges = _merges(raw)
    if len(merges) > limits.budget.limit:
        raise ImportFailure(f"{fname} 的工作表“{title}”有 {len(merges):,} 个合并区域，超过上限，已拒绝。")
    cells: dict[tuple[int, int], Any] = {}
    formats: dict[tuple[int, int], str] = {}
    notes: list[tuple[tuple[int, int], str]] = []
    hidden_rows: set[int] = set()
    hidden_cols: set[int] = set()
    nrow = ncol = 0
    base = limits.budget.used
    row_i = -1
    col_i = -1
    more = 0
    last_ref: str | None = None  # reference of the last empty cell (read only when needed)
    c_tag = f"{S}c"
    where = f"工作表“{title}”"
    try:
        for ev, el in etree.iterparse(io.BytesIO(raw), events=("start", "end"), resolve_entities=False,
                                       no_network=True, load_dtd=False, huge_tree=False,
                                       tag=(f"{S}c", f"{S}row", f"{S}col", f"{S}sheetData")):
            tag = el.tag
            if ev == "start":
                if tag == f"{S}row":  # attributes are complete at the start tag
                    try:
                        row_i = int(el.get("r", "")) - 1
                    except ValueError:
                        row_i += 1
                    col_i = -1
                    last_ref = None
                    if row_i < limits.max_rows and (_on(el.get("hidden")) or _zero(el.get("ht"))):
                        hidden_rows.add(row_i)
                continue
            if tag == c_tag:
                ref = el.get("r")
                if not len(el):  # no value, no formula: only styled; its place matters only to the next cell
                    last_ref = ref
                    el.clear()
                    continue
                if last_ref is not None:
                    prev = cell_ref(last_ref)
                    col_i = prev[1] if prev is not None else col_i + 1
                    last_ref = None
                pos = cell_ref(ref) if ref else None
                if pos is None:  # no (usable) reference: the next cell of the current row
                    pos = (max(row_i, 0), col_i + 1)
                r, c = pos
                col_i = c
                value, fmt, note = _cell_value(el, strings, fmts, dates, date1904)
                el.clear()
                if note:
                    if len(notes) < MAX_NOTES:
                        notes.append(((r, c), note))
                    else:
                        more += 1
                if value is None or value == "":
                    continue
                if r >= limits.max_rows or c >= limits.max_cols:
                    raise ImportFailure(
                        f"{fname} 的{where}在 {col_letter(c)}{r + 1} 有内容，超过 {limits.max_rows:,} 行、"
                        f"{limits.max_cols} 列的上限，已拒绝。如果那是误输入的内容，请删除后再导入。")
                nrow, ncol = max(nrow, r + 1), max(ncol, c + 1)
                if base + nrow * ncol > limits.budget.limit:
                    limits.budget.refuse(base + nrow * ncol, f"{where}的 {col_letter(c)}{r + 1}")
                cells[(r, c)] = value
                if fmt:
                    formats[(r, c)] = fmt
            elif tag == f"{S}row":
                el.clear()
                while el.getprevious() is not None:
                    del el.getparent()[0]
            elif tag == f"{S}col":
                if _on(el.get("hidden")) or _zero(el.get("width")):
                    try:
                        lo, hi = int(el.get("min", "0")) - 1, int(el.get("max", "0")) - 1
                    except ValueError:
                        lo, hi = 0, -1
                    hidden_cols.update(range(max(lo, 0), min(hi, limits.max_cols - 1) + 1))
            else:  # end of sheetData: the merged ranges were read before; nothing else is needed
                break
    except etree.XMLSyntaxError as exc:
        raise ImportFailure(f"{fname} 的{where}的 XML 已损坏：{exc}") from exc
    if more:
        notes.append(((nrow, 0), f"另有 {more} 个单元格是没有保存结果的公式或错误值，未逐一列出"))
    return Sheet(title, state, cells, formats, merges, hidden_rows, hidden_cols, nrow, ncol, notes)


def _on(v: str | None) -> bool:
    return (v or "").strip().lower() in ("1", "true")


def _zero(v: str | None) -> bool:
    try:
        return v is not None and float(v) == 0
    except ValueError:
        return False


def _cell_value(el: Any, strings: list[str], fmts: list[str], dates: list[bool],
                date1904: bool) -> tuple[Any, str | None, str | None]:
    """(value, number format, note) of one `<c>` element."""
    t = el.get("t", "n")
    f = v = is_ = None
    for ch in el:
        tag = ch.tag
        if tag == _V:
            v = ch
        elif tag == _F:
            f = ch
        elif tag == _IS:
            is_ = ch
    try:
        s = int(el.get("s", "0"))
    except ValueError:
        s = 0
    fmt = fmts[s] if 0 <= s < len(fmts) else None
    is_date = dates[s] if 0 <= s < len(dates) else False
    if t == "inlineStr":
        return (_text(is_) if is_ is not None else ""), None, None
    if v is None or v.text is None:
        if f is not None:
            formula = (f.text or "").strip()
            shown = f"“={formula}”" if formula else "（共享公式）"
            return None, None, (f"是公式{shown}，但文件中没有保存计算结果（文件由程序生成、未在 Excel 中保存过），"
                                "已按空值导入；请在 Excel 或 WPS 中打开并保存后再导入")
        return None, None, None
    text = v.text
    if t == "s":
        try:
            return strings[int(text)], None, None
        except (ValueError, IndexError):
            return "", None, None
    if t in ("str", "e"):
        if t == "e":
            return None, None, f"是错误值“{text}”（公式无法计算），已按空值导入；请在 Excel 中改正公式后再导入"
        return text, None, None
    if t == "b":
        return text.strip() in ("1", "true"), None, None
    if t == "d":
        try:
            return datetime.fromisoformat(text.strip().rstrip("Z")), None, None
        except ValueError:
            return text, None, None
    try:
        num = _number(text)
    except ValueError:
        return text, None, None
    if is_date:
        try:
            return excel_date(float(num), date1904), None, None
        except (OverflowError, ValueError):
            pass
    return num, fmt, None


def read_workbook(parts: dict[str, bytes], fname: str, budget: CellBudget, max_rows: int,
                  max_cols: int) -> Iterator[Sheet]:
    """Every sheet in workbook order (the `_perfdsl` sheet too), each bounded as it is read."""
    wb_part = _workbook_part(parts, fname)
    rels = _rels(parts, wb_part, fname)
    root = parse_xml(parts[wb_part], fname, wb_part)
    pr = root.find(f"{S}workbookPr")
    date1904 = pr is not None and _on(pr.get("date1904"))
    strings: list[str] = []
    styles_raw: bytes | None = None
    styles_name = ""
    for typ, target in rels.values():
        if typ.endswith("/sharedStrings") and target in parts:
            strings = _shared_strings(parts[target], fname)
        elif typ.endswith("/styles") and target in parts:
            styles_raw, styles_name = parts[target], target
    fmts, dates = _styles(styles_raw, fname, styles_name)
    limits = _Limits(max_rows, max_cols, budget)
    sheets = root.find(f"{S}sheets")
    for sh in (sheets if sheets is not None else ()):
        title = sh.get("name", "")
        rid = sh.get(f"{{{R_NS}}}id", "")
        typ, target = rels.get(rid, ("", ""))
        if not typ.endswith("/worksheet") or target not in parts:
            continue  # chart sheets, dialog sheets: no cells
        state = sh.get("state", "visible")
        sheet = read_sheet(parts[target], title, state, strings, fmts, dates, date1904, limits, fname)
        budget.take(sheet.nrow * sheet.ncol, f"工作表“{title}”")
        yield sheet

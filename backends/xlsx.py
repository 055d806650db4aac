"""XLSX backend: a declaration set as an Excel workbook.

`render(dset, options) -> bytes` writes, with XlsxWriter (imported inside `render`):
- one sheet per declaration laid out like the printed form, from the same logical grid
  as the DOCX backend (backends/layout_grid.py, drawn from the profile's layout data):
  title, header grid with merged label cells, the indicator table with 一级/二级 merged
  vertically, notes, borders, wrap, the profile's fonts, A4 fitted to the page width;
- a flat sheet 指标清单, one indicator per row and no merged cells (the shape budget
  systems' import templates take), headed with the profile's column labels, numbers
  and weights as numeric cells with the written decimals;
- a very hidden sheet `_perfdsl` holding the canonical JSON (backends/jsonout.py) as
  base64 in chunks of at most 32,000 characters (Excel's cell limit is 32,767), with its
  SHA-256, so `perfdsl import` reads the workbook back exactly (`read_embedded_json`).

Text is never turned into a formula or a link: the workbook is created with
`strings_to_formulas`/`strings_to_urls` off and all user text goes through
`write_string`. The bytes are reproducible: XlsxWriter zips with fixed timestamps and
the document dates are fixed (SOURCE_DATE_EPOCH, else 1 January of the set's year).

This module must not validate, must not see syntax and must not read the clock.
"""

from __future__ import annotations

import base64
import gc
import hashlib
import io
import re
from collections.abc import Iterable, Iterator, Sequence
from decimal import Decimal
from functools import lru_cache
from typing import Any

from perfdsl.model import Declaration, DeclarationSet, Indicator

from . import layout_grid as lg
from .common import compiler_version, fixed_time, ordered, unit_name

EXTENSION = ".xlsx"

FLAT_SHEET = "指标清单"
DATA_SHEET = "_perfdsl"
DATA_MAGIC = "perfdsl-json-base64"
CHUNK = 32000
FLAT_COLUMNS = ("表/项目名称", "一级指标", "二级指标", "三级指标", "指标值类型", "指标值", "度量单位", "指标值内容", "备注")

# Total width of a form sheet in Excel character units (fits A4 portrait at ~100%).
FORM_WIDTH = 92.0
LINE_HEIGHT = 14.0  # points per wrapped line of 10-pt 宋体
MIN_ROW_HEIGHT = 18.0

_BAD_SHEET_CHARS = re.compile(r"[\[\]:*?/\\\x00-\x1f]")


# ----------------------------------------------------------------------------------------
# Helpers (pure)
# ----------------------------------------------------------------------------------------


def sheet_name(wanted: str, taken: set[str]) -> str:
    """A legal, unique sheet name (≤ 31 characters, no []:*?/\\, not starting with ')."""
    base = _BAD_SHEET_CHARS.sub("_", wanted).strip().strip("'") or "表"
    base = base[:31]
    name = base
    n = 2
    while name.lower() in {t.lower() for t in taken} or name.lower() in (FLAT_SHEET.lower(), DATA_SHEET.lower()):
        suffix = f"({n})"
        name = base[: 31 - len(suffix)] + suffix
        n += 1
    taken.add(name)
    return name


_NARROW = re.compile(r"[\x00-\u2e7f]+")


def display_width(text: str) -> int:
    """Width in Excel character units: CJK and full-width characters (above U+2E7F) count 2.
    (The length plus the number of wide characters, counted in C: the row heights of a
    form measure every text in it.)"""
    return len(text) + len(_NARROW.sub("", text))


@lru_cache(maxsize=16384)
def _line_widths(text: str) -> tuple[int, ...]:
    return tuple(display_width(line) for line in text.split("\n"))


def lines_needed(paras: Sequence[str], width: float) -> int:
    cap = max(int(width) - 1, 1)
    if type(paras) is tuple:
        return _lines_needed(paras, cap)
    return _count_lines(paras, cap)


def _count_lines(paras: Sequence[str], cap: int) -> int:
    n = 0
    for p in paras or ("",):
        for w in _line_widths(p):
            n += max(1, -(-w // cap))
    return n


@lru_cache(maxsize=16384)
def _lines_needed(paras: tuple[str, ...], cap: int) -> int:
    return _count_lines(paras, cap)


def number_format(value: Decimal) -> str:
    """The Excel number format showing `value` with its written decimals."""
    exp = value.as_tuple().exponent
    places = -exp if isinstance(exp, int) and exp < 0 else 0
    return "0" if places == 0 else "0." + "0" * places


def as_double(value: Decimal) -> float | None:
    """`value` as a float if the float shows it exactly at its written precision."""
    digits = value.as_tuple().digits
    if len(digits) > 15 or not value.is_finite():
        return None
    f = float(value)
    return f if Decimal(repr(f)) == value else None






def column_value(decl: Declaration, ind: Indicator, key: str) -> str:
    """An extra column's text for `ind` (profile aliases taken into account)."""
    found = dict(ind.columns)
    if key in found:
        return found[key]
    col = decl.profile.column(key)
    if col is not None:
        for n in (col.key, col.label, *col.aliases):
            if n in found:
                return found[n]
    return ""


def flat_extra_keys(decls: Sequence[Declaration]) -> list[str]:
    """Extra column keys beyond 指标值内容/备注, in order of first use."""
    out: list[str] = []
    for d in decls:
        for ind in d.indicators:
            for k, _v in ind.columns:
                col = d.profile.column(k)
                key = col.key if col is not None else k
                if key not in ("指标值内容", "备注") and key not in out:
                    out.append(key)
    return out


def chunks(text: str, size: int = CHUNK) -> list[str]:
    return [text[i:i + size] for i in range(0, len(text), size)] or [""]


# ----------------------------------------------------------------------------------------
# Writing
# ----------------------------------------------------------------------------------------


class _Formats:
    def __init__(self, wb: Any, page: lg.Page) -> None:
        size = page.font_size
        base = {"font_name": page.font, "font_size": size, "border": 1, "text_wrap": True, "valign": "vcenter"}
        self.wb = wb
        self.base = base
        self._cell: dict[tuple[str, str], Any] = {}
        self.head_font = page.head_font
        self.title = wb.add_format({"font_name": page.title_font, "font_size": page.title_size,
                                    "bold": page.title_bold, "align": "center", "valign": "vcenter"})
        self.subtitle = wb.add_format({"font_name": page.subtitle_font, "font_size": page.subtitle_size,
                                       "align": "center", "valign": "vcenter"})
        self.text = wb.add_format({"font_name": page.font, "font_size": size, "align": "left",
                                   "valign": "vcenter", "text_wrap": True})
        self.flat_head = wb.add_format({**base, "bold": True, "align": "center", "bg_color": "#D9D9D9"})
        self.flat_text = wb.add_format({**base, "align": "left"})
        self._num: dict[tuple[str, str], Any] = {}

    def for_cell(self, role: str, align: str) -> Any:
        key = (role, align)
        if key not in self._cell:
            extra: dict[str, Any] = {"align": align}
            if role == lg.HEAD:
                extra.update(bold=True, font_name=self.head_font)
            elif role == lg.TITLE:
                return self.title
            elif role == lg.SUBTITLE:
                return self.subtitle
            self._cell[key] = self.wb.add_format({**self.base, **extra})
        return self._cell[key]

    def number(self, fmt: str, align: str = "center") -> Any:
        key = (fmt, align)
        if key not in self._num:
            self._num[key] = self.wb.add_format({**self.base, "align": align, "num_format": fmt})
        return self._num[key]


def _text(cell: lg.Cell) -> str:
    return "\n".join(cell.paras)


@lru_cache(maxsize=4096)
def _number_cell(text: str) -> tuple[float | None, str]:
    """(as_double, number_format) of the Decimal written `text` (str(Decimal) keeps the
    digits and the exponent, so equal texts are the same number at the same precision)."""
    value = Decimal(text)
    return as_double(value), number_format(value)


def _number(value: Decimal) -> tuple[float | None, str]:
    return _number_cell(str(value))


def _row_pixels(height: float) -> int:
    """A row height in pixels, as Worksheet.set_row stores it."""
    return int(height * 4.0 / 3.0 + 0.5)


def _set_widths(ws: Any, widths: Sequence[float]) -> None:
    """As ws.set_column(c, c, width) for each column c (widths of at least one character,
    no format or options), without its per-call argument handling."""
    from xlsxwriter.worksheet import ColumnInfo

    if len(widths) > ws.xls_colmax or any(w < 1.0 for w in widths):
        for c, w in enumerate(widths):
            ws.set_column(c, c, w)
        return
    digit, pad = ws.max_digit_width, ws.cell_padding
    for c, w in enumerate(widths):
        ws.col_info[c] = ColumnInfo(width=int(w * digit + 0.5) + pad, column_format=None, hidden=False, level=0,
                                    collapsed=False)
    if widths:
        ws.col_size_changed = True


def _write_grid(ws: Any, fm: _Formats, grid: lg.Grid, top: int, widths: list[float]) -> int:
    """Write `grid` from row `top`; returns the next free row. Heights are estimated.

    Every grid position gets a cell: a cell's value at its top-left position, and a
    formatted blank at every other position a merged range covers (those blanks carry the
    range's borders). On our worksheet (xlsx_sheet.FastWorksheet) the rows are rendered to
    XML as they are stored (_grid_rows); anywhere else, and for a grid crossing the sheet's
    last row or column, XlsxWriter's own checked calls write it (_grid_checked).
    tests/test_xlsx_fast.py compares the bytes with a writer using only those calls."""
    from . import xlsx_sheet

    if not grid.rows:
        return top
    if (xlsx_sheet.renders_rows(ws) and top + len(grid.rows) <= ws.xls_rowmax
            and len(widths) <= ws.xls_colmax):
        return _grid_rows(ws, fm, grid, top, widths)
    end = _grid_checked(ws, fm, grid, top, widths)
    if xlsx_sheet.renders_rows(ws):
        xlsx_sheet.number_formats_in_order(ws, top, max(ws.table, default=top))
    return end


def _grid_checked(ws: Any, fm: _Formats, grid: lg.Grid, top: int, widths: list[float]) -> int:
    """`grid` written with XlsxWriter's public calls (merge_range, write_*, set_row)."""
    ncol = len(widths)
    covered: set[tuple[int, int]] = set()
    heights: dict[int, int] = {}
    for i, row in enumerate(grid.rows):
        r = top + i
        col = 0
        cells = iter(row.cells)
        while col < ncol:
            if (r, col) in covered:
                col += 1
                continue
            cell = next(cells, None) or lg.Cell(span=ncol - col)
            span = max(1, min(cell.span, ncol - col))
            nrows = max(1, cell.rows)
            fmt = fm.for_cell(cell.role, cell.align)
            if span > 1 or nrows > 1:
                ws.merge_range(r, col, r + nrows - 1, col + span - 1, "", fmt)
                covered.update((rr, cc) for rr in range(r, r + nrows) for cc in range(col, col + span))
            dbl, nf = _number(cell.number) if cell.number is not None else (None, "")
            text = _text(cell)
            if dbl is not None:
                ws.write_number(r, col, dbl, fm.number(nf, cell.align))
            elif text:
                ws.write_string(r, col, text, fmt)
            else:
                ws.write_blank(r, col, None, fmt)
            if nrows == 1:
                heights[r] = max(heights.get(r, 1), lines_needed(list(cell.paras), sum(widths[col:col + span])))
            col += span
    for r, n in heights.items():
        ws.set_row(r, max(MIN_ROW_HEIGHT, n * LINE_HEIGHT + 4))
    return top + len(grid.rows)


def _grid_rows(ws: Any, fm: _Formats, grid: lg.Grid, top: int, widths: list[float]) -> int:
    """_write_grid on our worksheet: each row's cells rendered to XML as they are stored
    (FastWorksheet.xml_rows), left to right and row by row, the order in which XlsxWriter
    writes cells and numbers their formats (xlsx_sheet.CellXml). What is stored is what
    merge_range, write_string/write_number/write_blank and set_row would store, without
    their per-cell work (A1 parsing, overlap checks a grid cannot have, a dimension check per
    cell: every row covers columns 0 to the last, so two corners set the dimensions)."""
    from . import xlsx_sheet

    ncol = len(widths)
    n = len(grid.rows)
    end = top + n
    names = xlsx_sheet.col_names(ncol)
    cx = ws.cell_xml
    number_ends = cx.number
    # row -> start column -> (end column, the blanks' format entry (see fmts), None if no
    # blanks are written): the positions merged ranges from rows above cover
    below: dict[int, dict[int, tuple[int, Any]]] = {}
    heights: dict[int, int] = {}
    merges = ws.merge
    rendered = ws.xml_rows
    # role -> align -> [format, its blank's text, its string's text] (texts taken at first use)
    fmts: dict[str, dict[str, list[Any]]] = {}
    str_table = ws.str_table
    sst = str_table._get_shared_string_index
    sst_index = str_table.string_table  # text -> index (until the workbook closes)
    short = ws.xls_strmax // 2
    rowmax = ws.xls_rowmax
    caps: dict[int, int] = {}  # column * 16385 + span -> characters per line (spans < 16385)
    lines_of = _lines_needed
    hits = 0  # strings the table already had: what _get_shared_string_index counts for them
    ws._check_dimensions(top, 0)
    ws._check_dimensions(end - 1, ncol - 1)
    for i, row in enumerate(grid.rows):
        r = top + i
        rs = str(r + 1)
        out: list[str] = []
        col = 0
        cells = iter(row.cells)
        runs = below.pop(r, None)
        gaps: list[int] | None = None  # columns left without a cell (a range refused by the sheet's end)
        need_r = 0
        while col < ncol:
            if runs is not None:
                run = runs.get(col)
                if run is not None:
                    stop, bent = run
                    if bent is None:
                        gaps = [*(gaps or ()), *range(col, stop)]
                    else:
                        e = bent[1]
                        if e is None:
                            e = bent[1] = cx.blank_end(bent[0])
                        for c in range(col, stop):
                            out.append(f'<c r="{names[c]}{rs}{e}')
                    col = stop
                    continue
            cell = next(cells, None)
            if cell is None:
                cell = lg.Cell(span=ncol - col)
            paras, cspan, crows, role, align, _bal, num = cell
            span = cspan if cspan <= ncol - col else ncol - col
            if span < 1:
                span = 1
            nrows = crows if crows > 1 else 1
            by_align = fmts.get(role)
            if by_align is None:
                by_align = fmts[role] = {}
            ent = by_align.get(align)
            if ent is None:
                ent = by_align[align] = [fm.for_cell(role, align), None, None]
            # the cell itself
            if num is not None and (got := _number(num))[0] is not None:
                nfmt = fm.number(got[1], align)
                e = number_ends.get(id(nfmt)) or cx.number_end(nfmt)
                out.append(f'<c r="{names[col]}{rs}{e}{got[0]:.16G}</v></c>')
            elif paras and (text := paras[0] if len(paras) == 1 else "\n".join(paras)):
                if len(text) <= short:
                    # as sst(text) (ws.str_table._get_shared_string_index), without the call
                    idx = sst_index.get(text)
                    if idx is None:
                        idx = sst(text)
                    else:
                        hits += 1  # (added to str_table.count at the end)
                else:
                    idx = _long_string(ws, r, col, text, ent[0])
                e = ent[2]
                if e is None:
                    e = ent[2] = cx.string_end(ent[0])
                out.append(f'<c r="{names[col]}{rs}{e}{idx}</v></c>')
            else:
                e = ent[1]
                if e is None:
                    e = ent[1] = cx.blank_end(ent[0])
                out.append(f'<c r="{names[col]}{rs}{e}')
            # the rest of a merged range: blanks to the right now, below when their rows come
            if span > 1 or nrows > 1:
                if r + nrows > rowmax:
                    # a range ending beyond the sheet: merge_range refuses it (no merge, no
                    # blanks); the positions stay taken
                    if span > 1:
                        gaps = [*(gaps or ()), *range(col + 1, col + span)]
                    bent = None
                else:
                    merges.append([r, col, r + nrows - 1, col + span - 1])
                    if span > 1:
                        e = ent[1]
                        if e is None:
                            e = ent[1] = cx.blank_end(ent[0])
                        for c in range(col + 1, col + span):
                            out.append(f'<c r="{names[c]}{rs}{e}')
                    bent = ent
                for rr in range(r + 1, r + nrows):
                    runs_rr = below.get(rr)
                    if runs_rr is None:
                        runs_rr = below[rr] = {}
                    runs_rr[col] = (col + span, bent)
            if nrows == 1:  # a row gets a height from its one-row cells (at least one line)
                if need_r == 0:
                    need_r = 1
                if paras:
                    cap = caps.get(col * 16385 + span)
                    if cap is None:
                        cap = caps[col * 16385 + span] = max(int(sum(widths[col:col + span])) - 1, 1)
                    # one paragraph at most cap/2 characters long (each at most 2 wide) fits one line
                    if len(paras) > 1 or 2 * len(paras[0]) > cap or "\n" in paras[0]:
                        need = lines_of(paras, cap) if type(paras) is tuple else _count_lines(paras, cap)
                        if need > need_r:
                            need_r = need
            col += span
        _put_row(rendered, r, ncol, gaps, out)
        if need_r:
            heights[r] = need_r
    str_table.count += hits
    for rr in sorted(below):  # ranges reaching below the grid
        _overhang_row(ws, rr, below[rr])
    pixels_of: dict[int, int] = {}
    set_height = cx.set_height
    for r, lines in heights.items():
        pixels = pixels_of.get(lines)
        if pixels is None:
            pixels = pixels_of[lines] = _row_pixels(max(MIN_ROW_HEIGHT, lines * LINE_HEIGHT + 4))
        set_height(ws, r, pixels)
    return end


def _put_row(rendered: dict[int, tuple[int, int, str]], r: int, ncol: int, gaps: list[int] | None,
             out: list[str]) -> None:
    """Store row `r`'s rendered cells: columns 0..ncol-1 but `gaps`."""
    if gaps is None:
        rendered[r] = (0, ncol - 1, "".join(out))
        return
    filled = [c for c in range(ncol) if c not in set(gaps)]
    if filled:
        rendered[r] = (filled[0], filled[-1], "".join(out))


def _overhang_row(ws: Any, r: int, runs: dict[int, tuple[int, Any]]) -> None:
    """A row below a grid holding only the blanks of ranges merged from inside the grid."""
    from . import xlsx_sheet

    rs = str(r + 1)
    out: list[str] = []
    filled: list[int] = []
    for col in sorted(runs):
        stop, bent = runs[col]
        if bent is None:
            continue
        e = ws.cell_xml.blank_end(bent[0])
        names = xlsx_sheet.col_names(stop)
        for c in range(col, stop):
            out.append(f'<c r="{names[c]}{rs}{e}')
            filled.append(c)
    if filled:
        ws._check_dimensions(r, filled[0])
        ws._check_dimensions(r, filled[-1])
        ws.xml_rows[r] = (filled[0], filled[-1], "".join(out))


def _long_string(ws: Any, r: int, col: int, text: str, fmt: Any) -> int:
    """The shared-string index of a text long enough that XlsxWriter may cut it (at 32,767
    UTF-16 units): its own write_string decides, and the cell it stores is taken back."""
    ws._write_string(r, col, text, fmt)
    cells = ws.table[r]
    idx: int = cells.pop(col)[0]
    if not cells:
        del ws.table[r]
    return idx


def _line(ws: Any, row: int, ncol: int, text: str, fmt: Any, height: float) -> None:
    """A line of text across the sheet (title, subtitle, a line above or below the table):
    what `merge_range(row, 0, row, ncol - 1, "", fmt)`, `write_string(row, 0, text, fmt)`
    and `set_row(row, height)` store (tests/test_xlsx_fast.py compares the bytes), rendered
    on our worksheet; past the sheet's last row, or for a text long enough to be cut, or
    anywhere else, those calls themselves."""
    from . import xlsx_sheet

    fast = xlsx_sheet.renders_rows(ws)
    if not fast or row >= ws.xls_rowmax or ncol > ws.xls_colmax or len(text) > ws.xls_strmax // 2:
        if ncol > 1:
            ws.merge_range(row, 0, row, ncol - 1, "", fmt)
        ws.write_string(row, 0, text, fmt)
        ws.set_row(row, height)
        if fast:
            xlsx_sheet.number_formats_in_order(ws, row, row)
        return
    ws._check_dimensions(row, 0)
    cx = ws.cell_xml
    rs = str(row + 1)
    if text:
        first = f'<c r="A{rs}{cx.string_end(fmt)}{ws.str_table._get_shared_string_index(text)}</v></c>'
    else:
        first = f'<c r="A{rs}{cx.blank_end(fmt)}'
    out = [first]
    if ncol > 1:
        ws._check_dimensions(row, ncol - 1)
        ws.merge.append([row, 0, row, ncol - 1])
        e = cx.blank_end(fmt)
        names = xlsx_sheet.col_names(ncol)
        out += [f'<c r="{names[c]}{rs}{e}' for c in range(1, ncol)]
    ws.xml_rows[row] = (0, ncol - 1, "".join(out))
    ws.cell_xml.set_height(ws, row, _row_pixels(height))


def _form_sheet(wb: Any, fm: _Formats, decl: Declaration, name: str) -> None:
    ws = wb.add_worksheet(name)
    form = lg.form(decl)
    grid_widths = form.tables[0].widths if form.tables else (1.0,)
    ncol = len(grid_widths)
    total = sum(grid_widths) or 1.0
    widths = [FORM_WIDTH * w / total for w in grid_widths]
    _set_widths(ws, [round(w, 2) for w in widths])
    row = 0

    def line(text: str, fmt: Any, height: float) -> None:
        nonlocal row
        _line(ws, row, ncol, text, fmt, height)
        row += 1

    if form.title and not form.title_in_grid:
        line(form.title, fm.title, 30)
    if form.subtitle and not form.subtitle_in_grid:
        line(form.subtitle, fm.subtitle, 20)
    for text in form.above:
        line(text, fm.text, 18)
    repeat = None
    for i, grid in enumerate(form.tables):
        if i:
            row += 1  # two tables: one empty row between them
            if grid.rows and grid.rows[0].header:
                repeat = row
        row = _write_grid(ws, fm, grid, row, widths)
    for note in form.notes:
        line(note, fm.text, max(MIN_ROW_HEIGHT, lines_needed([note], FORM_WIDTH) * LINE_HEIGHT + 4))
    ws.set_paper(9)  # A4
    if form.page.orientation == "landscape":
        ws.set_landscape()
    else:
        ws.set_portrait()
    ws.fit_to_pages(1, 0)
    ws.center_horizontally()
    top, right, bottom, left = (m / 2.54 for m in form.page.margins)
    ws.set_margins(left=left, right=right, top=top, bottom=bottom)
    if repeat is not None:
        ws.repeat_rows(repeat)
    if form.page.footer:
        footer = form.page.footer.replace("&", "&&").replace("{page}", "&P").replace("{pages}", "&N")
        ws.set_footer("&C" + footer)
    ws.hide_gridlines(2)


FASP2_OPS = {"ge": "≥", "gt": "＞", "eq": "＝", "lt": "＜", "le": "≤", "qual": "定性"}


def flat_targets(decl: Declaration, ind: Indicator, dialect: str) -> list[tuple[str, str, str | Decimal]]:
    """(三级 name, operator as printed, 指标值) rows for one indicator in the flat sheet.

    The FASP2 import rejects "-" in 指标值, so there a range is split into its two bounds.
    """
    t = ind.target
    value: str | Decimal = t.value if t.op in ("eq", "ge", "le", "gt", "lt") and t.value is not None \
        else t.value_text()
    if dialect != "fasp2":
        # A form may print "=" as nothing (安徽: `100%`); the list's operator column is never blank.
        return [(ind.name, decl.profile.op_display(t.op) or FASP2_OPS.get(t.op, t.op), value)]
    if t.op == "range" and t.low is not None and t.high is not None:
        return [(f"{ind.name}（下限）", FASP2_OPS["ge"], t.low), (f"{ind.name}（上限）", FASP2_OPS["le"], t.high)]
    return [(ind.name, FASP2_OPS.get(t.op, t.op), value)]


_FLAT_KEYS = ("level1", "level2", "name", "op", "value", "unit")
_NOTE_KEYS = ("指标值内容", "备注")


def flat_headings(decls: Sequence[Declaration]) -> tuple[list[str], list[str]]:
    """(headings, note keys) of the flat sheet. The labels are the profile's (the first
    declaration's): 目标值 where the form says 目标值. A label another column already uses
    falls back to the standard one, so no two columns share a heading. 指标值内容/备注
    appear only when a profile prints them or an indicator fills them."""
    labels = dict(zip(("表/项目名称", *_FLAT_KEYS, *_NOTE_KEYS), FLAT_COLUMNS, strict=True))
    if decls:
        prof = decls[0].profile
        for c in prof.columns:
            if c.key in labels and c.label and c.label not in labels.values():
                labels[c.key] = c.label
    notes = []
    for key in _NOTE_KEYS:
        printed = any(c.key == key and not c.optional for d in decls for c in d.profile.columns)
        used = any(column_value(d, i, key) for d in decls for i in d.indicators)
        if printed or used:
            notes.append(key)
    heads = [labels["表/项目名称"], *(labels[k] for k in _FLAT_KEYS), *(labels[k] for k in notes)]
    return heads, notes


def _is_weight(decls: Sequence[Declaration], key: str) -> bool:
    return any(key == d.profile.weight_column for d in decls)


def _flat_rows(decls: Sequence[Declaration], dialect: str, notes: Sequence[str], extra: Sequence[str],
               weights: set[str]) -> Iterator[list[str | Decimal]]:
    """The flat sheet's rows below the heading: one per indicator target (see flat_targets),
    the note and extra columns as `column_value` reads them (names looked up once per
    profile and column), weights as numbers."""
    names: dict[tuple[int, str], tuple[str, ...]] = {}

    def names_of(d: Declaration, key: str) -> tuple[str, ...]:
        # the names column_value tries, in its order: the key, then the profile column's
        # key, label and aliases
        got = names.get((id(d.profile), key))
        if got is None:
            col = d.profile.column(key)
            got = (key,) if col is None else tuple(dict.fromkeys((key, col.key, col.label, *col.aliases)))
            names[(id(d.profile), key)] = got
        return got

    for d in decls:
        note_names = [names_of(d, k) for k in notes]
        extra_names = [(k, names_of(d, k)) for k in extra]
        for ind in d.ordered_indicators():
            found = dict(ind.columns) if ind.columns else None
            for name, op, value in flat_targets(d, ind, dialect):
                row: list[str | Decimal] = [d.title, ind.level1, ind.level2, name, op, value, ind.target.unit or ""]
                if found is None:
                    row += [""] * (len(notes) + len(extra))
                    yield row
                    continue
                for ns in note_names:
                    row.append(next((found[n] for n in ns if n in found), ""))
                for k, ns in extra_names:
                    text = next((found[n] for n in ns if n in found), "")
                    num = lg.number_of(text) if k in weights and text else None
                    row.append(num if num is not None else text)
                yield row


def _flat_cells(ws: Any, fm: Any, rows: Iterable[list[str | Decimal]], ncols: int) -> int:
    """Store the flat sheet's rows from row 1; returns the next row number.

    On our worksheet each row is rendered to XML as it is stored, as in _grid_rows: every
    row fills columns 0..ncols-1, so the heading row and the last row's last cell set the
    dimensions (checked at the end); rows beyond Excel's last one are dropped, as
    XlsxWriter's writers drop them, and a string long enough to be cut is cut by
    XlsxWriter's own write_string. Anywhere else, XlsxWriter's public calls.
    tests/test_xlsx_fast.py compares the bytes with a writer using only those calls."""
    from . import xlsx_sheet

    text_fmt = fm.flat_text
    if not xlsx_sheet.renders_rows(ws):
        return _flat_checked(ws, fm, rows)
    cx = ws.cell_xml
    number_ends = cx.number
    rendered = ws.xml_rows
    names = xlsx_sheet.col_names(ncols)
    str_table = ws.str_table
    sst = str_table._get_shared_string_index
    known: dict[str, str] = {}  # text -> the XML after its reference (texts repeat row after row)
    short = ws.xls_strmax // 2
    rowmax = ws.xls_rowmax
    blank_e = string_e = ""  # the flat text format's ends (its xf index taken at its first cell)
    hits = 0  # (added to str_table.count at the end)
    r = 1
    for row in rows:
        if r >= rowmax:
            r += 1
            continue  # XlsxWriter drops cells beyond the sheet (its writers return -1)
        rs = str(r + 1)
        out: list[str] = []
        for c, v in enumerate(row):
            if type(v) is not str and isinstance(v, Decimal):
                dbl, nf = _number(v)
                if dbl is not None:
                    nfmt = fm.number(nf, "center")
                    e = number_ends.get(id(nfmt)) or cx.number_end(nfmt)
                    out.append(f'<c r="{names[c]}{rs}{e}{dbl:.16G}</v></c>')
                    continue
                v = format(v, "f")
            if not blank_e:
                blank_e, string_e = cx.blank_end(text_fmt), cx.string_end(text_fmt)
            if not v:
                out.append(f'<c r="{names[c]}{rs}{blank_e}')
            elif (tail := known.get(v)) is not None:
                hits += 1  # what _get_shared_string_index counts for a string it has
                out.append(f'<c r="{names[c]}{rs}{tail}')
            elif len(v) <= short:
                tail = known[v] = f"{string_e}{sst(v)}</v></c>"
                out.append(f'<c r="{names[c]}{rs}{tail}')
            else:
                out.append(f'<c r="{names[c]}{rs}{string_e}{_long_string(ws, r, c, v, text_fmt)}</v></c>')
        if out:
            rendered[r] = (0, len(out) - 1, "".join(out))
        r += 1
    str_table.count += hits
    if 1 < r <= rowmax:
        ws._check_dimensions(r - 1, ncols - 1)
    elif r > rowmax:
        ws._check_dimensions(rowmax - 1, ncols - 1)
    return r


def _flat_checked(ws: Any, fm: Any, rows: Iterable[list[str | Decimal]]) -> int:
    """_flat_cells with XlsxWriter's public calls."""
    r = 1
    for row in rows:
        for c, v in enumerate(row):
            if type(v) is not str and isinstance(v, Decimal):
                dbl, nf = _number(v)
                if dbl is not None:
                    ws.write_number(r, c, dbl, fm.number(nf, "center"))
                    continue
                v = format(v, "f")
            if v:
                ws.write_string(r, c, v, fm.flat_text)
            else:
                ws.write_blank(r, c, None, fm.flat_text)
        r += 1
    return r


def _flat_heads(ws: Any, heads: Sequence[str], fmt: Any) -> None:
    """The flat sheet's heading row: `write_string(0, c, heading, fmt)` for each column,
    rendered on our worksheet (headings are short: none is cut)."""
    from . import xlsx_sheet

    if not xlsx_sheet.renders_rows(ws) or not heads or any(len(h) > ws.xls_strmax // 2 for h in heads):
        for c, h in enumerate(heads):
            ws.write_string(0, c, h, fmt)
        if xlsx_sheet.renders_rows(ws):
            xlsx_sheet.number_formats_in_order(ws, 0, 0)
        return
    ws._check_dimensions(0, 0)
    ws._check_dimensions(0, len(heads) - 1)
    e = ws.cell_xml.string_end(fmt)
    sst = ws.str_table._get_shared_string_index
    names = xlsx_sheet.col_names(len(heads))
    ws.xml_rows[0] = (0, len(heads) - 1, "".join(f'<c r="{names[c]}1{e}{sst(h)}</v></c>' for c, h in enumerate(heads)))


def _flat_sheet(wb: Any, fm: _Formats, decls: Sequence[Declaration], dialect: str = "native") -> None:
    ws = wb.add_worksheet(FLAT_SHEET)
    extra = flat_extra_keys(decls)
    fixed, notes = flat_headings(decls)
    heads = fixed + extra
    _flat_heads(ws, heads, fm.flat_head)
    _set_widths(ws, [24, 12, 16, 36, 10, 10, 10] + [16, 14][:len(notes)] + [12] * len(extra))
    weights = {k for k in extra if _is_weight(decls, k)}
    r = _flat_cells(ws, fm, _flat_rows(decls, dialect, notes, extra, weights), len(heads))
    ws.freeze_panes(1, 0)
    ws.autofilter(0, 0, max(r - 1, 0), len(heads) - 1)
    ws.set_paper(9)
    ws.set_landscape()
    ws.fit_to_pages(1, 0)
    ws.repeat_rows(0)


def _data_sheet(wb: Any, json_bytes: bytes) -> None:
    ws = wb.add_worksheet(DATA_SHEET)
    payload = base64.b64encode(json_bytes).decode("ascii")
    parts = chunks(payload)
    ws.write_string(0, 0, DATA_MAGIC)
    ws.write_string(0, 1, hashlib.sha256(json_bytes).hexdigest())
    ws.write_number(0, 2, len(parts))
    for i, part in enumerate(parts, start=1):
        ws.write_string(i, 0, part)
    ws.very_hidden()




def preload() -> None:
    """Import XlsxWriter now (build -j calls this before forking its workers, which then
    share the import instead of each paying for it, about 25 ms of CPU)."""
    from . import jsonout, xlsx_sheet  # noqa: F401


def render(dset: DeclarationSet, options: Any = None) -> bytes:
    """The .xlsx bytes for `dset`."""
    # The cyclic GC is off while the workbook is built, as in parser._run: rendering makes
    # some hundred thousand short-lived, acyclic objects (cells, XML strings), and every
    # collection they trigger also rescans the build's whole model (about 10% of the XLSX
    # build's CPU time). The workbook's own reference cycles are collected after.
    gc_was = gc.isenabled()
    gc.disable()
    try:
        return _render(dset, options)
    finally:
        if gc_was:
            gc.enable()


def _render(dset: DeclarationSet, options: Any) -> bytes:
    from . import jsonout, xlsx_sheet

    when = fixed_time(dset, getattr(options, "source_date_epoch", None))
    buf = io.BytesIO()
    # XlsxWriter's Workbook with faster writers for worksheets and shared strings, same XML
    # (xlsx_sheet.py; tests/test_xlsx_fast.py compares the bytes with XlsxWriter's own)
    wb = xlsx_sheet.FastWorkbook(buf, {
        "in_memory": True, "strings_to_formulas": False, "strings_to_urls": False,
        "strings_to_numbers": False, "nan_inf_to_errors": False,
    })
    decls = ordered(dset)
    dept = dset.department
    wb.set_properties({
        "title": decls[0].heading()[0] if decls else dset.name,
        "subject": f"{dset.year}年度预算绩效目标" if dset.year else "预算绩效目标",
        "author": unit_name(dept) if dept is not None else "",
        "keywords": "预算绩效目标申报表",
        "comments": f"由 {compiler_version(options)} 生成",
        "created": when,
    })
    fm = _Formats(wb, decls[0].profile.page if decls else lg.Page())
    taken: set[str] = set()
    for d in decls:
        wanted = "部门整体" if d.kind == "department" else (d.title or "项目")
        _form_sheet(wb, fm, d, sheet_name(wanted, taken))
    _flat_sheet(wb, fm, decls, getattr(options, "dialect", "native"))
    _data_sheet(wb, jsonout.render(dset))
    if decls:
        wb.worksheets()[0].activate()
    wb.close()
    _release(wb)
    return buf.getvalue()


def _release(wb: Any) -> None:
    """Empty the closed workbook's cell tables, so its cells are freed at once by reference
    counting instead of waiting for the cyclic GC (the workbook's objects refer to each
    other); the cyclic collection after a render then has little left to look at."""
    for ws in wb.worksheets():
        ws.table.clear()
        if hasattr(ws, "xml_rows"):
            ws.xml_rows.clear()
        ws.row_info.clear()
        ws.row_sizes.clear()
        ws.merge.clear()
        ws.merged_cells.clear()


# ----------------------------------------------------------------------------------------
# Reading the embedded JSON back (for `perfdsl import`)
# ----------------------------------------------------------------------------------------


def embedded_json_from_rows(rows: Sequence[Sequence[Any]]) -> bytes | None:
    """The JSON from the `_perfdsl` sheet's rows (values), or None if absent/damaged."""
    if not rows or len(rows[0]) < 3 or rows[0][0] != DATA_MAGIC:
        return None
    digest, count = rows[0][1], rows[0][2]
    try:
        n = int(count)
        payload = "".join(str(rows[i][0] or "") for i in range(1, n + 1))
        data = base64.b64decode(payload, validate=True)
    except (ValueError, TypeError, IndexError):
        return None
    if hashlib.sha256(data).hexdigest() != digest:
        return None
    return data

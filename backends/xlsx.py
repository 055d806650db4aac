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


def _write_grid(ws: Any, fm: _Formats, grid: lg.Grid, top: int, widths: list[float]) -> int:
    """Write `grid` from row `top`; returns the next free row. Heights are estimated.

    Every grid position gets a cell: a cell's value at its top-left position, and a
    formatted blank at every other position a merged range covers (those blanks carry the
    range's borders). This stores exactly what XlsxWriter's `merge_range`,
    `write_string`/`write_number`/`write_blank` and `set_row` store, without their per-cell
    overhead (A1 parsing, overlap checks a grid cannot have, one dimension check per cell:
    the grid covers full rows from column 0 to the last, so the first and last corner set
    the dimensions). Grids beyond Excel's row limit, and strings long enough to be
    truncated, go through XlsxWriter's own checked writers. tests/test_xlsx_fast.py
    compares the bytes with a writer using only those public calls."""
    from xlsxwriter.worksheet import CellBlankTuple, CellNumberTuple, CellStringTuple, RowInfo

    ncol = len(widths)
    nrows_total = len(grid.rows)
    if not nrows_total:
        return top
    # row -> columns a merged range from a row above covers (the rest of a range's first
    # row is skipped by the span itself)
    covered: dict[int, set[int]] = {}
    heights: dict[int, int] = {}
    merges = ws.merge
    fmts: dict[str, dict[str, Any]] = {}  # role -> align -> format
    table = ws.table
    direct = top + nrows_total <= ws.xls_rowmax and ncol <= ws.xls_colmax and not ws.constant_memory
    if direct:
        ws._check_dimensions(top, 0)
        ws._check_dimensions(top + nrows_total - 1, ncol - 1)
    str_table = ws.str_table
    sst = str_table._get_shared_string_index
    sst_index = str_table.string_table  # text -> index (until the workbook closes)
    new = tuple.__new__  # CellStringTuple((idx, fmt)) without the namedtuple's Python __new__
    short = ws.xls_strmax // 2
    blank_of: dict[int, Any] = {}
    caps: dict[int, int] = {}  # column * 16385 + span -> characters per line (spans < 16385)
    lines_of = _lines_needed
    rowmax, colmax = ws.xls_rowmax, ws.xls_colmax

    for i, row in enumerate(grid.rows):
        r = top + i
        col = 0
        cells = iter(row.cells)
        cells_r = table[r] if direct else None
        need_r = 0
        taken = covered.get(r)
        while col < ncol:
            if taken is not None and col in taken:
                col += 1
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
            fmt = by_align.get(align)
            if fmt is None:
                fmt = by_align[align] = fm.for_cell(role, align)
            if (span > 1 or nrows > 1) and (r + nrows > rowmax or col + span > colmax):
                # a range ending beyond the sheet: merge_range refuses it (no merge, no
                # blanks); the positions stay taken
                for rr in range(r + 1, r + nrows):
                    covered.setdefault(rr, set()).update(range(col, col + span))
            elif span > 1 or nrows > 1:
                merges.append([r, col, r + nrows - 1, col + span - 1])
                if direct:
                    if r + nrows > top + nrows_total:
                        ws._check_dimensions(r + nrows - 1, col + span - 1)
                    b = blank_of.get(id(fmt))
                    if b is None:
                        b = blank_of[id(fmt)] = CellBlankTuple(fmt)
                    for cc in range(col + 1, col + span):
                        cells_r[cc] = b
                    for rr in range(r + 1, r + nrows):
                        below = table[rr]
                        covered.setdefault(rr, set()).update(range(col, col + span))
                        for cc in range(col, col + span):
                            below[cc] = b
                else:
                    for rr in range(r, r + nrows):
                        if rr != r:
                            covered.setdefault(rr, set()).update(range(col, col + span))
                        for cc in range(col, col + span):
                            if rr != r or cc != col:
                                ws._write_blank(rr, cc, None, fmt)
            if num is not None and (dbl := as_double(num)) is not None:
                nfmt = fm.number(number_format(num), align)
                if direct:
                    cells_r[col] = new(CellNumberTuple, (dbl, nfmt))
                else:
                    ws._write_number(r, col, dbl, nfmt)
            elif paras and (text := paras[0] if len(paras) == 1 else "\n".join(paras)):
                if direct and len(text) <= short:
                    # as sst(text) (ws.str_table._get_shared_string_index), without the call
                    idx = sst_index.get(text)
                    if idx is None:
                        idx = sst(text)
                    else:
                        str_table.count += 1
                    cells_r[col] = new(CellStringTuple, (idx, fmt))
                else:
                    ws._write_string(r, col, text, fmt)
            elif direct:
                b = blank_of.get(id(fmt))
                if b is None:
                    b = blank_of[id(fmt)] = CellBlankTuple(fmt)
                cells_r[col] = b
            else:
                ws._write_blank(r, col, None, fmt)
            if nrows == 1:  # a row gets a height from its one-row cells (at least one line)
                if need_r == 0:
                    need_r = 1
                if paras:
                    cap = caps.get(col * 16385 + span)
                    if cap is None:
                        cap = caps[col * 16385 + span] = max(int(sum(widths[col:col + span])) - 1, 1)
                    need = lines_of(paras, cap) if type(paras) is tuple else _count_lines(paras, cap)
                    if need > need_r:
                        need_r = need
            col += span
        if need_r:
            heights[r] = need_r
    if direct:
        row_info = ws.row_info
        row_sizes = ws.row_sizes
        pixels_of: dict[int, int] = {}
        for r, n in heights.items():
            # as ws.set_row(r, height): the height in pixels, a RowInfo, the row size
            pixels = pixels_of.get(n)
            if pixels is None:
                pixels = pixels_of[n] = int(max(MIN_ROW_HEIGHT, n * LINE_HEIGHT + 4) * 4.0 / 3.0 + 0.5)
            row_info[r] = RowInfo(height=pixels, row_format=None, hidden=False, level=0, collapsed=False)
            row_sizes[r] = [pixels, False]
    else:
        for r, n in heights.items():
            ws.set_row(r, max(MIN_ROW_HEIGHT, n * LINE_HEIGHT + 4))
    return top + nrows_total


def _line(ws: Any, row: int, ncol: int, text: str, fmt: Any, height: float) -> None:
    """A line of text across the sheet (title, subtitle, a line above or below the table):
    stored as `merge_range(row, 0, row, ncol - 1, "", fmt)`, `write_string(row, 0, text,
    fmt)` and `set_row(row, height)` store it (tests/test_xlsx_fast.py compares the bytes),
    without their per-cell checks; past the sheet's last row, or for a text long enough to
    be cut, those calls themselves."""
    from xlsxwriter.worksheet import CellBlankTuple, CellStringTuple, RowInfo

    if row >= ws.xls_rowmax or ncol > ws.xls_colmax or ws.constant_memory or len(text) > ws.xls_strmax // 2:
        if ncol > 1:
            ws.merge_range(row, 0, row, ncol - 1, "", fmt)
        ws.write_string(row, 0, text, fmt)
        ws.set_row(row, height)
        return
    ws._check_dimensions(row, 0)
    cells = ws.table[row]
    blank = CellBlankTuple(fmt)
    if ncol > 1:
        ws._check_dimensions(row, ncol - 1)
        ws.merge.append([row, 0, row, ncol - 1])
        for c in range(1, ncol):
            cells[c] = blank
    cells[0] = CellStringTuple(ws.str_table._get_shared_string_index(text), fmt) if text else blank
    pixels = int(height * 4.0 / 3.0 + 0.5)
    ws.row_info[row] = RowInfo(height=pixels, row_format=None, hidden=False, level=0, collapsed=False)
    ws.row_sizes[row] = [pixels, False]


def _form_sheet(wb: Any, fm: _Formats, decl: Declaration, name: str) -> None:
    ws = wb.add_worksheet(name)
    form = lg.form(decl)
    grid_widths = form.tables[0].widths if form.tables else (1.0,)
    ncol = len(grid_widths)
    total = sum(grid_widths) or 1.0
    widths = [FORM_WIDTH * w / total for w in grid_widths]
    for c, w in enumerate(widths):
        ws.set_column(c, c, round(w, 2))
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

    Cells are stored directly, as in _write_grid: every row fills columns 0..ncols-1, so
    the heading row and the last row's last cell set the dimensions (checked at the end).
    Beyond Excel's row limit, and for strings long enough to be truncated, XlsxWriter's
    own checked writers decide. tests/test_xlsx_fast.py compares the bytes with a writer
    using only XlsxWriter's public calls."""
    from xlsxwriter.worksheet import CellBlankTuple, CellNumberTuple, CellStringTuple

    write_string = ws._write_string
    text_fmt = fm.flat_text
    table = ws.table
    str_table = ws.str_table
    sst = str_table._get_shared_string_index
    known: dict[str, Any] = {}  # text -> its cell (the table's texts repeat row after row)
    new = tuple.__new__  # a cell tuple without the namedtuple's Python __new__
    short = ws.xls_strmax // 2
    rowmax = ws.xls_rowmax
    blank = CellBlankTuple(text_fmt)
    r = 1
    for row in rows:
        if r >= rowmax:
            r += 1
            continue  # XlsxWriter drops cells beyond the sheet (its writers return -1)
        cells = table[r]
        for c, v in enumerate(row):
            if type(v) is not str and isinstance(v, Decimal):
                dbl = as_double(v)
                if dbl is not None:
                    cells[c] = new(CellNumberTuple, (dbl, fm.number(number_format(v), "center")))
                    continue
                v = format(v, "f")
            if not v:
                cells[c] = blank
            elif (hit := known.get(v)) is not None:
                str_table.count += 1  # what _get_shared_string_index does for a string it has
                cells[c] = hit
            elif len(v) <= short:
                cells[c] = known[v] = new(CellStringTuple, (sst(v), text_fmt))
            else:
                write_string(r, c, v, text_fmt)
        r += 1
    if 1 < r <= rowmax:
        ws._check_dimensions(r - 1, ncols - 1)
    elif r > rowmax:
        ws._check_dimensions(rowmax - 1, ncols - 1)
    return r


def _flat_sheet(wb: Any, fm: _Formats, decls: Sequence[Declaration], dialect: str = "native") -> None:
    ws = wb.add_worksheet(FLAT_SHEET)
    extra = flat_extra_keys(decls)
    fixed, notes = flat_headings(decls)
    heads = fixed + extra
    for c, h in enumerate(heads):
        ws.write_string(0, c, h, fm.flat_head)
    widths = [24, 12, 16, 36, 10, 10, 10] + [16, 14][:len(notes)] + [12] * len(extra)
    for c, w in enumerate(widths):
        ws.set_column(c, c, w)
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

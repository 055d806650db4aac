"""Layout → logical grid: the backend-neutral picture of one declaration's form.

`form(decl)` reads the declaration's profile layout (perfdsl/profile_load.Layout, parsed
from the profile's TOML) and returns a `Form`: title, subtitle, lines above the table,
one or two `Grid`s (rows of cells with column spans, row spans, roles and texts), notes
under the table and the page settings. DOCX, XLSX and HTML all draw this one picture;
none of them knows a province. This module must not validate, must not see syntax and
must not import an Office library.

Rules every backend gets for free:
- header cells come from the layout grid; `{键}` prints a field's value (list fields as
  numbered paragraphs), `{@键}` its label, `{$金额单位}` the profile's money unit;
- present fields no layout cell shows (unknown fields, say) are added as label/value
  rows under the header, so nothing is lost;
- the indicator table prints the profile's columns; optional columns only when an
  indicator fills them; columns the indicators use that the profile does not name are
  appended; when the form is one table, the header cells to their left widen;
- indicators are in the profile's 一级/二级 order, then in the author's order;
- an indicator's `[列名: 文字]` naming the 指标值类型 / 指标值 / 单位 column prints that
  text there instead (what the form printed), so such a value is never dropped.
"""

from __future__ import annotations

import operator
import re
import unicodedata
from collections.abc import Sequence
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from itertools import pairwise
from typing import TYPE_CHECKING, NamedTuple

import attrs

from perfdsl.layout_notation import PLACEHOLDER, GridCell
from perfdsl.model import Declaration, Field, Indicator, Target
from perfdsl.profile_load import EXTRA_WIDTH, Column, Layout, Page

if TYPE_CHECKING:
    from perfdsl.profiles import Profile

LABEL = "label"  # a form label (centred, broken into balanced lines when too long)
VALUE = "value"  # a value
HEAD = "head"  # a column heading (bold)
TITLE = "title"  # the form's title printed inside the table
SUBTITLE = "subtitle"


class Cell(NamedTuple):
    """One cell: paragraphs, column span, row span, role, alignment, whether a too-long
    text is broken into even lines, and the exact number behind a numeric text (XLSX
    writes it as a number cell)."""

    paras: tuple[str, ...] = ()
    span: int = 1
    rows: int = 1
    role: str = VALUE
    align: str = "center"
    balanced: bool = False
    number: Decimal | None = None


_new_cell = tuple.__new__


class Row(NamedTuple):
    cells: tuple[Cell, ...]
    header: bool = False  # repeat on every page (only meaningful as a table's first rows)
    keep: bool = False  # keep with the next row


@attrs.frozen
class Grid:
    """A table: relative column widths, rows. Cells covered by a span are omitted."""

    widths: tuple[float, ...]
    rows: tuple[Row, ...]
    columns: tuple[str, ...] = ()  # column keys where known (indicator columns), else ""

    def twips(self, total: int) -> list[int]:
        return scale(self.widths, total)


@attrs.frozen
class Form:
    title: str
    subtitle: str
    above: tuple[str, ...]
    tables: tuple[Grid, ...]
    notes: tuple[str, ...]
    page: Page
    title_in_grid: bool = False  # the header grid prints the title itself
    subtitle_in_grid: bool = False


def scale(weights: Sequence[float], total: int) -> list[int]:
    """Integer widths in proportion to `weights`, summing exactly to `total`."""
    if not weights:
        return []
    s = sum(weights) or 1.0
    out = [int(w * total / s) for w in weights]
    big = max(range(len(out)), key=lambda i: weights[i])
    out[big] += total - sum(out)
    return out


# ----------------------------------------------------------------------------------------
# Texts
# ----------------------------------------------------------------------------------------

_TRUE = {"true", "是", "yes", "y", "1", "对", "✓", "√"}
_FALSE = {"false", "否", "no", "n", "0", "不"}


def bool_text(text: str | None) -> str:
    if text is None:
        return ""
    low = text.strip().lower()
    if low in _TRUE:
        return "是"
    if low in _FALSE:
        return "否"
    return text


class _Reader:
    """Field texts of one declaration; remembers which keys the layout used."""

    def __init__(self, decl: Declaration) -> None:
        self.decl = decl
        self.used: set[str] = set()
        self.shown: set[str] = set()  # keys whose value the form prints (filled or not)
        self.title, self.subtitle = decl.heading()
        # decl.field(key), looked up without a scan of the fields each time
        self.fields: dict[str, Field] = {}
        for f in decl.fields:
            self.fields.setdefault(f.key, f)
        prof = decl.profile
        for fmt in (prof.title, *((prof.subtitle,) if self.subtitle else ())):
            for k in PLACEHOLDER.findall(fmt):
                self.shown.update(self._keys(k.strip()))

    def _keys(self, key: str) -> list[str]:
        """`key` and, for a composite, the fields it is made of."""
        prof = self.decl.profile
        if key in prof.composites and prof.field(key) is None:
            return [key, *(k.strip() for k in PLACEHOLDER.findall(prof.composites[key]))]
        return [key]

    def label(self, key: str) -> str:
        self.used.add(key)
        spec = self.decl.profile.field(key)
        if spec is not None:
            return spec.label
        f = self.fields.get(key)
        return f.label if f is not None and f.label else key

    def text(self, key: str) -> str:
        self.used.add(key)
        self.shown.update(self._keys(key))
        prof = self.decl.profile
        if key in prof.composites and prof.field(key) is None:
            return self.composite(key)
        f = self.fields.get(key)
        if f is not None and f.type == "bool":
            return bool_text(f.text)
        return self.decl.text(key)

    def paras(self, key: str) -> list[str]:
        self.used.add(key)
        self.shown.update(self._keys(key))
        f = self.fields.get(key)
        if f is not None and f.type == "list":
            return self.decl.list_items(key)
        t = self.text(key)
        return [t] if t else []

    def filled(self, key: str) -> bool:
        prof = self.decl.profile
        if key in prof.composites and prof.field(key) is None:
            return any(self.filled(k) for k in PLACEHOLDER.findall(prof.composites[key]))
        f = self.fields.get(key)
        return f is not None and not f.is_empty

    def composite(self, name: str) -> str:
        keys = PLACEHOLDER.findall(self.decl.profile.composites.get(name, ""))
        self.used.update(keys)
        if not any(self.filled(k) for k in keys):
            return ""
        return self.decl.composite(name)

    def reserved(self, name: str) -> str:
        if name == "金额单位":
            return self.decl.profile.money_unit
        if name == "表名":
            return self.title
        if name == "副标题":
            return self.subtitle
        return ""

    def fill(self, template: str) -> str:
        """`template` with every `{…}` replaced (PLACEHOLDER.sub, left to right, over the
        template's parts taken apart once: `_parts`)."""
        out = []
        for kind, text in _parts(template):
            if kind == "":
                out.append(text)
            elif kind == "@":
                out.append(self.label(text))
            elif kind == "$":
                out.append(self.reserved(text))
            else:
                out.append(self.text(text))
        return "".join(out)

    def cell_paras(self, template: str, role: str) -> list[str]:
        whole, values, placeholders = _template(template)
        if whole is not None:
            return self.paras(whole)
        if role == VALUE:
            if values and not any(self.filled(k) for k in values):
                self.used.update(values)
                for k in values:
                    self.shown.update(self._keys(k))
                return []
        t = self.fill(template) if placeholders else template
        return [t] if t else []


@lru_cache(maxsize=4096)
def _parts(template: str) -> tuple[tuple[str, str], ...]:
    """A template taken apart as PLACEHOLDER.sub sees it: ("", literal text), ("@", label
    key), ("$", reserved name), ("=", field key), in order (a `{…}`'s text stripped, then
    the `@`/`$` cut off)."""
    out: list[tuple[str, str]] = []
    pos = 0
    for m in PLACEHOLDER.finditer(template):
        if m.start() > pos:
            out.append(("", template[pos:m.start()]))
        ref = m.group(1).strip()
        if ref.startswith("@"):
            out.append(("@", ref[1:]))
        elif ref.startswith("$"):
            out.append(("$", ref[1:]))
        else:
            out.append(("=", ref))
        pos = m.end()
    if pos < len(template):
        out.append(("", template[pos:]))
    return tuple(out)


@lru_cache(maxsize=4096)
def _template(template: str) -> tuple[str | None, tuple[str, ...], bool]:
    """What a cell template is made of (a layout's templates are few and repeat on every
    declaration): the field key when the whole template is one `{键}`, the keys of its
    value placeholders (not `{@…}`/`{$…}`), whether it has placeholders at all."""
    whole = PLACEHOLDER.fullmatch(template.strip())
    key = whole.group(1).strip() if whole and not whole.group(1).strip().startswith(("@", "$")) else None
    values = tuple(r.strip() for r in PLACEHOLDER.findall(template) if not r.strip().startswith(("@", "$")))
    return key, values, PLACEHOLDER.search(template) is not None


# ----------------------------------------------------------------------------------------
# Placed cells (row, col) before they become rows
# ----------------------------------------------------------------------------------------


@attrs.define
class _Placed:
    row: int
    col: int
    span: int
    rows: int
    cell: Cell


class _Body(NamedTuple):
    """The indicator rows of a table: `rows[i]` holds row top+i's cells as (col, span, rows,
    cell) in column order, each cell already with its span and rows; `tall` the (row, col,
    span, rows) of the ones taller than a row (merged 一级/二级)."""

    top: int
    rows: list[list[tuple[int, int, int, Cell]]]
    tall: list[tuple[int, int, int, int]]


_NO_BODY = _Body(0, [], [])


def _header_cells(r: _Reader, layout: Layout, ncols: int) -> tuple[list[_Placed], int, int]:
    """The header grid's cells, then rows for fields it does not show. Returns the cells,
    the number of rows and the label width used for added rows."""
    decl = r.decl
    placed: list[_Placed] = []
    first = 2
    nrows = 0
    if layout.header is not None:
        used = r.used
        for row, col, span, rows, fixed, labels, gc in _header_plan(decl.profile):
            if fixed is None:
                fixed = _grid_cell(r, gc)
            elif labels:
                used.update(labels)
            placed.append(_Placed(row, col, span, rows, fixed))
        nrows = layout.header_rows
        firsts = [p for p in placed if p.row == 0 and p.col == 0]
        first = firsts[0].span if firsts and firsts[0].span < ncols else 1
    else:
        for spec in decl.profile.fields:
            if not spec.show:
                r.used.add(spec.key)
                continue
            placed.append(_Placed(nrows, 0, first, 1, _label(r.label(spec.key))))
            placed.append(_Placed(nrows, first, ncols - first, 1, _value(r.paras(spec.key), "left")))
            nrows += 1
    for f in decl.fields:  # nothing is lost: present fields the layout did not show
        if f.key in r.used:
            continue
        spec = decl.profile.field(f.key) if f.known else None
        if spec is not None and (not spec.show or spec.key in r.used):
            continue
        r.shown.add(f.key)
        placed.append(_Placed(nrows, 0, first, 1, _label(f.label or f.key)))
        placed.append(_Placed(nrows, first, ncols - first, 1, _value(_field_paras(r, f), "left")))
        nrows += 1
    return placed, nrows, first


_Plan = tuple[tuple[int, int, int, int, "Cell | None", tuple[str, ...], GridCell], ...]
_HEADER_PLANS: dict[int, tuple[Profile, _Plan]] = {}


def _header_plan(prof: Profile) -> _Plan:
    """(row, col, span, rows, the cell if it is the same on every declaration, the label keys
    it uses, the layout cell) for each header cell of `prof`'s layout, worked out once per
    profile. A cell is the same everywhere when it is fixed text, or text with labels the
    profile defines (`{@键}`) and `{$金额单位}`: what `_grid_cell` makes of it reads no
    field and only notes the label keys as used."""
    got = _HEADER_PLANS.get(id(prof))
    if got is not None and got[0] is prof:
        return got[1]
    plan = tuple((gc.row, gc.col, gc.span, gc.rows, *_constant_cell(prof, gc), gc) for gc in prof.layout.header or ())
    if len(_HEADER_PLANS) >= 256:  # profiles are few; a long-running server may load many
        _HEADER_PLANS.clear()
    _HEADER_PLANS[id(prof)] = (prof, plan)  # (the profile kept alive: its id stays its own)
    return plan


def _constant_cell(prof: Profile, gc: GridCell) -> tuple[Cell | None, tuple[str, ...]]:
    parts = _parts(gc.text)
    if not all(kind == "" or (kind == "@" and prof.field(text) is not None) or (kind == "$" and text == "金额单位")
               for kind, text in parts):
        return None, ()
    text = "".join(t if kind == "" else prof.money_unit if kind == "$" else prof.field(t).label  # type: ignore[union-attr]
                   for kind, t in parts)
    cell = Cell((text,) if text else (), gc.span, gc.rows, gc.role, gc.align, balanced=gc.role in (LABEL, HEAD))
    return cell, tuple(t for kind, t in parts if kind == "@")


def _grid_cell(r: _Reader, gc: GridCell) -> Cell:
    if not _template(gc.text)[2]:  # fixed text (most labels): the same cell on every declaration
        return _fixed_cell(gc.text, gc.span, gc.rows, gc.role, gc.align)
    paras = tuple(r.cell_paras(gc.text, gc.role))
    return Cell(paras, gc.span, gc.rows, gc.role, gc.align, balanced=gc.role in (LABEL, HEAD))


@lru_cache(maxsize=4096)
def _fixed_cell(text: str, span: int, rows: int, role: str, align: str) -> Cell:
    """The cell of a layout cell without placeholders (what _grid_cell makes of it: the
    reader gives such a template back unchanged and notes nothing)."""
    return Cell((text,) if text else (), span, rows, role, align, balanced=role in (LABEL, HEAD))


def _label(text: str) -> Cell:
    return Cell((text,), role=LABEL, balanced=True)


def _value(paras: Sequence[str], align: str = "center", number: Decimal | None = None) -> Cell:
    # Cell(paras, role=VALUE, align=align, number=number), built directly: one per indicator cell
    kept = tuple(paras) if None not in paras else tuple(p for p in paras if p is not None)
    return _new_cell(Cell, (kept, 1, 1, VALUE, align, False, number))


def _level(name: str) -> Cell:
    """An 一级/二级 name: broken between words when the column is narrow (生态环境/成本指标)."""
    return Cell((name,), role=VALUE, balanced=True)


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


# ----------------------------------------------------------------------------------------
# Indicator table
# ----------------------------------------------------------------------------------------

FIXED = ("level1", "level2", "name", "op", "value", "unit", "target", "side")
# Value columns an indicator may print differently with `[列名: 文字]` naming the column by its
# label (a published form whose 指标值类型 says 定量 beside a text value, say).
PRINTED_AS = ("op", "value", "unit", "target")


def _names(decl: Declaration, col: Column) -> tuple[str, ...]:
    """The names an indicator's `[键: 值]` may use for column `col`."""
    spec = decl.profile.column(col.key)
    names = [col.key, col.label, *col.aliases]
    if spec is not None:
        names += [spec.key, spec.label, *spec.aliases]
    return tuple(dict.fromkeys(names))


def column_value(decl: Declaration, ind: Indicator, names: Sequence[str]) -> str:
    if not ind.columns:
        return ""
    found = dict(ind.columns)
    for n in names:
        v = found.get(n)
        if v is not None:
            return v
    return ""


def indicator_columns(decl: Declaration) -> list[tuple[Column, bool]]:
    """(column, inserted) for the printed indicator columns: the layout's (optional ones
    only when used), then columns the indicators use that the profile does not name.
    `inserted` marks columns that are not part of the layout's base grid."""
    cols = list(decl.profile.layout.columns)
    used = {k for ind in decl.indicators for k, _v in ind.columns}
    out: list[tuple[Column, bool]] = []
    claimed: set[str] = set()
    for c in cols:
        names = _names(decl, c)
        claimed.update(names)
        if c.optional and not any(n in used for n in names):
            continue
        out.append((c, c.optional))
    for ind in decl.indicators:
        for k, _v in ind.columns:
            if k in claimed:
                continue
            spec = decl.profile.column(k)
            if spec is not None and spec.key in claimed:
                continue
            out.append((Column(k, k, EXTRA_WIDTH), True))
            claimed.add(k)
    return out


def ordered_indicators(decl: Declaration) -> list[tuple[str, list[tuple[str, list[Indicator]]]]]:
    """Indicators grouped by 一级 then 二级: the profile's order, then the author's."""
    return decl.groups()


def target_text(decl: Declaration, t: Target, fmt: str) -> str:
    """The combined 指标值 cell: `≥90%`, `=100.00(%)`, `8个`, `≤1000万元`."""
    if t.op == "qual":
        return t.text or ""
    op = "" if t.op == "range" else decl.profile.op_display(t.op)
    parts = {"op": op, "value": t.value_text(), "unit": t.unit or ""}
    return re.sub(r"\{(op|value|unit)\}", lambda m: parts[m.group(1)], fmt)


def number_of(text: str) -> Decimal | None:
    try:
        d = Decimal(text.strip())
    except (InvalidOperation, ValueError):
        return None
    return d if d.is_finite() else None


def _indicator_cells(decl: Declaration, cols: list[Column], top: int) -> tuple[list[_Placed], int, _Body]:
    """The indicator table from row `top`: the heading, side and field cells as placed cells;
    the indicator rows themselves as a `_Body` (built row by row, in column order)."""
    layout = decl.profile.layout
    placed: list[_Placed] = []
    groups = ordered_indicators(decl)
    n_ind = sum(len(inds) for _l1, l2s in groups for _l2, inds in l2s)
    starts = []
    c = 0
    for col in cols:
        starts.append(c)
        c += col.span
    row = top
    if layout.heading:
        for col, start in zip(cols, starts, strict=True):
            if col.key == "side":
                continue
            placed.append(_Placed(row, start, col.span, 1, Cell((col.label,), role=HEAD, balanced=True)))
        row += 1
    body_top = row
    for col, start in zip(cols, starts, strict=True):  # the vertical side label
        if col.key == "side":
            rows = (row - top) + max(n_ind, 0)
            if col.label != "^" and rows > 0:
                placed.append(_Placed(top, start, col.span, rows, Cell((col.label,), role=LABEL, balanced=True)))
        elif col.field and n_ind > 0:  # a header field beside every indicator row (flat exports)
            r = _Reader(decl)
            placed.append(_Placed(body_top, start, col.span, n_ind, _value(r.paras(col.field))))
    names = {col.key: _names(decl, col) for col in cols if col.key not in FIXED and not col.field}
    weight_names = {decl.profile.weight_column}
    merge = set(layout.merge)
    # the columns that get a cell on an indicator row, with what each needs
    plan = [(col.key, start, col.span, col, col.key in PRINTED_AS,
             names.get(col.key, ()), col.key in weight_names or col.label in weight_names)
            for col, start in zip(cols, starts, strict=True) if col.key != "side" and not col.field]
    op_display = decl.profile.op_display
    new = _new_cell
    merge1, merge2 = "level1" in merge, "level2" in merge
    rows_out: list[list[tuple[int, int, int, Cell]]] = []
    tall: list[tuple[int, int, int, int]] = []  # (row, col, span, rows) of the merged 一级/二级 cells
    row = body_top
    for l1, l2s in groups:
        n1 = sum(len(inds) for _l2, inds in l2s)
        first1 = True
        for l2, inds in l2s:
            first2 = True
            for ind in inds:
                t = ind.target
                given = dict(ind.columns) if ind.columns else None
                out: list[tuple[int, int, int, Cell]] = []
                for k, start, span, col, printable, col_names, is_weight in plan:
                    cell: Cell
                    rows = 1
                    if k == "level1":
                        if merge1:
                            if not first1:
                                continue  # covered by the merged cell above
                            rows = n1
                        cell = _level(l1)
                    elif k == "level2":
                        if merge2:
                            if not first2:
                                continue
                            rows = len(inds)
                        cell = _level(l2)
                    # _value(...) built directly for the one-text cells: (paras, 1, 1, VALUE, align, False, number)
                    elif k == "name":
                        v = ind.name
                        cell = new(Cell, ((v,) if v is not None else (), 1, 1, VALUE, "left", False, None))
                    elif k == "op":
                        v = op_display(t.op)
                        cell = new(Cell, ((v,) if v is not None else (), 1, 1, VALUE, "center", False, None))
                    elif k == "value":
                        num = t.value if t.op in ("eq", "ge", "le", "gt", "lt") else None
                        v = t.value_text()
                        cell = new(Cell, ((v,) if v is not None else (), 1, 1, VALUE, "center", False, num))
                    elif k == "unit":
                        cell = new(Cell, ((t.unit or "",), 1, 1, VALUE, "center", False, None))
                    elif k == "target":
                        cell = _value((target_text(decl, t, col.format),))
                    elif given is None:  # an extra column the indicator does not fill
                        cell = _EMPTY_VALUE
                    else:
                        text = ""
                        for n in col_names:  # column_value(decl, ind, col_names)
                            got = given.get(n)
                            if got is not None:
                                text = got
                                break
                        num = number_of(text) if is_weight and text else None
                        cell = _value((text,) if text else (), number=num)
                    if printable and given is not None:
                        printed = given.get(k)  # `[指标值类型: 定量]`: the cell as the form prints it
                        if printed is not None:
                            cell = _value((printed,))
                    if rows > 1:
                        tall.append((row, start, span, rows))
                    # the cell with its placed span and rows, as _rows gives it
                    out.append((start, span, rows,
                                cell if cell[1] == span and cell[2] == rows else new(Cell, (cell[0], span, rows, *cell[3:]))))
                rows_out.append(out)
                row += 1
                first1 = first2 = False
    return placed, row, _Body(body_top, rows_out, tall)


# ----------------------------------------------------------------------------------------
# Putting it together
# ----------------------------------------------------------------------------------------


def _widen(placed: list[_Placed], inserts: list[int]) -> None:
    """Make room for grid columns inserted at base positions `inserts`: a cell absorbs an
    insertion at its right edge or inside it; cells to the right move over."""
    if not inserts:
        return
    for p in placed:
        c, s = p.col, p.span
        before = sum(1 for q in inserts if q <= c and not (q == 0 and c == 0))
        inside = sum(1 for q in inserts if c < q <= c + s or (q == 0 and c == 0))
        p.col, p.span = c + before, s + inside


def _rows(placed: list[_Placed], nrows: int, ncols: int, header_rows: set[int],
          keep: set[int] = frozenset(), body: _Body = _NO_BODY) -> tuple[Row, ...]:  # type: ignore[assignment]
    """The grid's rows: each row's cells (the placed ones, then the `body` rows' ones) in
    column order, every grid position no cell covers (neither one starting in the row nor a
    taller one from above) given an empty cell, so each row is complete."""
    by_row: dict[int, list[tuple[int, int, int, Cell]]] = {}
    below: dict[int, list[tuple[int, int]]] = {}  # row -> column ranges taller cells cover
    talls = [(p.row, p.col, p.span, p.rows) for p in placed if p.rows > 1]
    for p in placed:
        got = by_row.get(p.row)
        if got is None:
            got = by_row[p.row] = []
        got.append((p.col, p.span, p.rows, p.cell))
    # rows holding body cells only (already in column order)
    in_order = set()
    for i, cells in enumerate(body.rows):
        r = body.top + i
        got = by_row.get(r)
        if got is None:
            by_row[r] = list(cells)
            in_order.add(r)
        else:
            got.extend(cells)
    for row, c0, span, rows in (*talls, *body.tall):
        c1 = c0 + span if c0 + span < ncols else ncols
        if c1 > c0:
            for rr in range(row + 1, row + rows if row + rows < nrows else nrows):
                runs = below.get(rr)
                if runs is None:
                    below[rr] = [(c0, c1)]
                else:
                    runs.append((c0, c1))
    full = (1 << ncols) - 1
    new = _new_cell
    out = []
    for r in range(nrows):
        cells_r = by_row.get(r)
        if cells_r is None:
            cells_r = []
        # the covered positions, as bits
        mask = 0
        for c0, span, rows, _cell in cells_r:
            if rows > 0:
                c1 = c0 + span if c0 + span < ncols else ncols
                if c1 > c0:
                    mask |= ((1 << (c1 - c0)) - 1) << c0
        runs_r = below.get(r)
        if runs_r is not None:
            for c0, c1 in runs_r:
                mask |= ((1 << (c1 - c0)) - 1) << c0
        ordered = r in in_order
        if mask != full:
            ordered = False
            cc = 0
            while cc < ncols:
                if mask >> cc & 1:
                    cc += 1
                    continue
                start = cc
                while cc < ncols and not mask >> cc & 1:
                    cc += 1
                cells_r.append((start, cc - start, 1, _EMPTY))
        if not ordered and len(cells_r) > 1:
            cells_r.sort(key=_first)
        # each cell with its placed span and rows (Cell(paras, span, rows, *rest), as _replace, cheaper)
        cells = tuple([c if c[1] == span and c[2] == rows else new(Cell, (c[0], span, rows, *c[3:]))
                       for _c0, span, rows, c in cells_r])
        out.append(_new_row(Row, (cells, r in header_rows, r in keep)))
    return tuple(out)


_first = operator.itemgetter(0)
_EMPTY = Cell()
_EMPTY_VALUE = _value(())  # what an extra column shows for an indicator without `[列名: 文字]`
_new_row = tuple.__new__


def form(decl: Declaration) -> Form:
    """The logical picture of `decl`'s form."""
    return _form(decl)[0]


def printed_fields(decl: Declaration) -> frozenset[str]:
    """The header-field keys whose values `decl`'s form prints somewhere (a header cell, the
    lines above or below the table, the title, a column beside the indicators, or a row
    added for a field the layout has no place for). A field not here cannot be read back
    from the visible tables."""
    return frozenset(_form(decl)[1].shown)


def unprinted_fields(decl: Declaration) -> tuple[str, ...]:
    """The profile's fields the form never prints, whatever their value, in profile order:
    hidden (`show = false`) and in no cell, line or title of the layout. (A shown field the
    layout has no cell for gets a row of its own when filled.)"""
    shown = printed_fields(decl)
    return tuple(f.key for f in decl.profile.fields if not f.show and f.key not in shown)


def _form(decl: Declaration) -> tuple[Form, _Reader]:
    layout = decl.profile.layout
    page = decl.profile.page
    r = _Reader(decl)
    chosen = indicator_columns(decl)
    cols = [c for c, _ins in chosen]
    base_widths = list(layout.widths)
    ncols = len(base_widths)
    r.used.update(c.field for c in cols if c.field)  # printed in the indicator table
    if decl.indicators:
        r.shown.update(c.field for c in cols if c.field)
    header, hrows, _first = _header_cells(r, layout, ncols)
    # grid positions of inserted (optional / extra) columns, in base coordinates
    inserts: list[int] = []
    widths: list[float] = []
    pos = 0
    for c, ins in chosen:
        if ins:
            inserts.append(pos)
        else:
            pos += c.span
    pos = 0
    base_iter = iter(base_widths)
    for c, ins in chosen:
        if ins:
            widths.append(c.width)
        else:
            widths.extend(next(base_iter, EXTRA_WIDTH) for _ in range(c.span))
    widths.extend(base_iter)  # a layout grid wider than its indicator columns
    _widen(header, inserts)
    total_cols = len(widths)
    above = tuple(r.fill(t) for t in page.above)
    notes = tuple(r.fill(t) for t in page.notes)
    title, subtitle = r.title, r.subtitle
    keys = tuple(k for c in cols for k in [c.key] + [""] * (c.span - 1))
    if layout.one_table:
        inds, end, body = _indicator_cells(decl, cols, hrows)
        placed = header + inds
        _side_continue(placed, cols, hrows, end if body.rows else None)
        # the indicator heading stays with the first indicator row
        grid = Grid(tuple(widths), _rows(placed, end, total_cols, set(), {hrows} if layout.heading else set(), body=body),
                    keys)
        tables: tuple[Grid, ...] = (grid,)
    else:
        inds, end, body = _indicator_cells(decl, cols, 0)
        head_grid = Grid(tuple(widths), _rows(header, hrows, total_cols, set()), ())
        ind_grid = Grid(tuple(widths), _rows(inds, end, total_cols, {0} if layout.heading else set(), body=body), keys)
        tables = (head_grid, ind_grid) if hrows else (ind_grid,)
    return Form(title, subtitle, above, tables, notes, page, layout.title_in_grid, layout.subtitle_in_grid), r


def _side_continue(placed: list[_Placed], cols: list[Column], top: int, body_end: int | None) -> None:
    """A side column labelled `^` continues the header cell above it down the table (to the
    end of the lowest cell: the placed ones, and the indicator rows, if any, ending at `body_end`)."""
    start = 0
    for col in cols:
        if col.key == "side" and col.label == "^":
            above = [p for p in placed if p.row < top and p.col == start and p.row + p.rows == top]
            body = max((p.row + p.rows for p in placed), default=top)
            if body_end is not None:
                body = max(body, body_end)
            if above:
                above[0].rows += body - top
        start += col.span


# ----------------------------------------------------------------------------------------
# Line breaking of labels (used by DOCX at its real widths, by XLSX at nominal ones)
# ----------------------------------------------------------------------------------------

# Label text is 10 pt: a wide (CJK) character takes 200 twips, a narrow one about 100;
# the cell loses 2 x 85 twips of margin.
_CHAR = 200
_MARGIN = 170
_NO_BREAK_BEFORE = set("）】》〕」』，、。：；！？）%％")
_NO_BREAK_AFTER = set("（【《〔「『(")
_CLOSE = set("）】》〕」』)")

# Words of form labels: a label breaks only between words (二级项目/名称, never 二级项/目名称).
WORDS = frozenset("""
一级 二级 三级 项目 名称 日期 开始 完成 计划 单位 部门 主管 实施 组织 监督 管理 分类 申报 属性 用途 资金
基本 情况 信息 立项 必要性 保障 制度 措施 政策 依据 其他 需要 说明 的 年度 绩效 目标 指标 总体 中期 长期
职能 核心 直属 内设 人员 编制 编制数 在职 总数 预算 金额 财政 拨款 补助 安排 收入 支出 合计 其中 当年 上年
结转 申请 总额 来源 性质 类别 类型 度量 计量 内容 备注 权重 方向性 指标值 联系人 联系 电话 负责人 经费
公用 本级 对下 转移 支付 上级 按 分 填报 范围 纳入 一并 本表 包括 任务 主要 工作 概述 项目期 代码 及
成本 产出 效益 满意度 数量 质量 时效 经济 社会 生态 环境 可持续 影响 服务 对象 部门 履职 效果 能力 建设
长效 人力 资源 档案 重点 采购 财务 资产 投入 公众 或
""".split())
_MAX_WORD = max(len(w) for w in WORDS)


def _cw(ch: str) -> int:
    return _CHAR if unicodedata.east_asian_width(ch) in ("W", "F") else _CHAR // 2


@lru_cache(maxsize=8192)
def natural_breaks(text: str) -> frozenset[int]:
    """Positions where `text` may break: between words (longest known word first; two
    unknown characters are taken to be one word), after ，、：；and closing brackets,
    before opening ones; never inside brackets, never before closing punctuation."""
    segs: list[tuple[int, bool]] = []  # (start, known word)
    i, n = 0, len(text)
    while i < n:
        for size in range(min(_MAX_WORD, n - i), 1, -1):
            if text[i:i + size] in WORDS:
                segs.append((i, True))
                i += size
                break
        else:
            segs.append((i, text[i] in WORDS))
            i += 1
    bounds = {b for (_a, ka), (b, kb) in pairwise(segs) if ka or kb}
    depth = 0
    inside = []
    for c in text:
        inside.append(depth > 0)
        depth = max(depth + (c in _NO_BREAK_AFTER) - (c in _CLOSE), 0)
    ok = set()
    for pos in range(1, n):
        if text[pos] in _NO_BREAK_BEFORE or text[pos - 1] in _NO_BREAK_AFTER or inside[pos]:
            continue
        if pos in bounds or text[pos - 1] in "，、：；）)" or text[pos] in "（(":
            ok.add(pos)
    return frozenset(ok)


@lru_cache(maxsize=4096)
def balance(text: str, width: int) -> str:
    """Break a label that does not fit on one line of `width` twips into lines of about
    equal width, only at natural points ("部门（单位）/基本信息", "二级项目/名称").
    Returns the text unchanged when it fits or when no natural break fits."""
    if "\n" in text or not text:
        return text
    widths = [_cw(c) for c in text]
    total = sum(widths)
    room = max(width - _MARGIN, _CHAR)
    if total <= room:
        return text
    # A trailing "（万元）" goes to a line of its own when both parts fit: "年度资金总额/（万元）".
    m = re.search(r"[（(][^（()）]*[）)]$", text)
    if m and m.start() > 0:
        head_w, tail_w = sum(widths[:m.start()]), sum(widths[m.start():])
        if head_w <= room and tail_w <= room and m.start() in natural_breaks(text) | {m.start()}:
            return text[:m.start()] + "\n" + text[m.start():]
    breaks = sorted(natural_breaks(text))
    prefix = [0]
    for w in widths:
        prefix.append(prefix[-1] + w)
    # fewest lines first, then the most even split (small dynamic programme)
    n = len(text)
    # dp[pos] = (lines, max line width, cuts) for text[:pos]
    dp: dict[int, tuple[int, int, list[int]]] = {0: (0, 0, [])}
    for pos in [*breaks, n]:
        cands = []
        for start, (lines, worst, cuts) in dp.items():
            if start >= pos:
                continue
            w = prefix[pos] - prefix[start]
            if w > room:
                continue
            cands.append((lines + 1, max(worst, w), [*cuts, pos]))
        if cands:
            dp[pos] = min(cands, key=lambda c: (c[0], c[1], [-x for x in c[2]]))
    best = dp.get(n)
    if best is None:
        return text  # no natural break fits: the backend widens or lets the line wrap
    cuts = [0, *best[2]]
    return "\n".join(text[a:b] for a, b in pairwise(cuts))

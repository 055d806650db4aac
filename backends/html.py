"""HTML backend: a declaration set as one self-contained web page that prints as the forms.

`render(dset, options) -> bytes` writes the 部门整体 form first, then each 项目绩效目标表,
each starting a new printed page, from the same logical grids as the DOCX (merged cells,
labels, column widths; backends/layout_grid.py, drawn from the profile's layout data). Print CSS sets A4 with the DOCX margins,
宋体 with CJK fallbacks, black borders, and a repeated heading row on the indicator table.
The page has no external assets and needs no script. Jinja2 templates (shipped in
backends/templates/) escape every text.

`perfdsl serve` reuses `forms_html` with `CellMark`s: findings and changes drawn on the
cells they are about (`cell_keys` says which cell shows which field or indicator column).

All layout access goes through one adapter, `_form(decl)`: title, subtitle, the tables
with their column widths, and the indicators in the order the last table lists them
(its last rows). When the profile-driven layout function (layout → logical grid) lands,
only that adapter changes. This module must not validate, must not see syntax, must not
read the clock, and is deterministic (same model, same bytes).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from functools import lru_cache
from typing import Any

import attrs

from perfdsl.model import Declaration, DeclarationSet, Indicator

from . import docx_grid as g
from . import layout_grid as lg
from .common import compiler_version, ordered

EXTENSION = ".html"

# The DOCX text width (A4 minus 2 cm margins) in twips: balanced label breaks and column
# widths are computed at the same width, so lines break where they break in Word.
TEXT_WIDTH = 9638

# Cell keys: ("field", key) for a header value cell; ("ind", l1, l2, name, column) for an
# indicator cell; ("l1", l1) and ("l2", l1, l2) for the merged group cells.
CellKey = tuple[str, ...]
Position = tuple[int, int, int]  # (grid index, row index, cell index in the row)


@attrs.frozen
class CellMark:
    """What `perfdsl serve` draws on a cell: CSS classes, a hover title, an old → new change,
    and the ids of findings listed under the form."""

    classes: tuple[str, ...] = ()
    title: str = ""
    old: str | None = None
    new: str | None = None
    refs: tuple[str, ...] = ()

    def merge(self, other: CellMark) -> CellMark:
        title = "\n".join(t for t in (self.title, other.title) if t)
        return CellMark(tuple(dict.fromkeys((*self.classes, *other.classes))), title,
                        other.old if other.old is not None else self.old,
                        other.new if other.new is not None else self.new,
                        (*self.refs, *other.refs))


# ----------------------------------------------------------------------------------------
# The one adapter to the layout data
# ----------------------------------------------------------------------------------------


# Grids are rows of cells with `paras`, `span`, `rows`, `role`, `align`, `balanced`; rows
# have `cells` and `header`; a grid has `rows` and `columns` (column keys, "" if none).
LABEL, HEAD = g.LABEL, g.HEAD
_balance = g.balance  # breaks a too-long label into even lines at a given width (twips)


@attrs.frozen
class FormLayout:
    """What the HTML needs of one declaration's form, whatever computes the layout."""

    title: str
    subtitle: str
    tables: tuple[tuple[Any, tuple[int, ...]], ...]  # each grid and its column widths (twips)
    indicators: tuple[Indicator, ...]  # the last len(indicators) rows of the last table, in order
    above: tuple[str, ...] = ()  # lines printed between the title and the table
    notes: tuple[str, ...] = ()  # lines printed under the table


def _form(decl: Declaration) -> FormLayout:
    """The logical tables of one declaration's form, in print order, from the profile's
    layout data (backends/layout_grid.py, the same picture DOCX and XLSX draw)."""
    f = lg.form(decl)
    tables = tuple((grid, tuple(grid.twips(TEXT_WIDTH))) for grid in f.tables)
    inds = tuple(decl.ordered_indicators())
    return FormLayout("" if f.title_in_grid else f.title, "" if f.subtitle_in_grid else f.subtitle,
                      tables, inds, f.above, f.notes)


# ----------------------------------------------------------------------------------------
# Which cell shows what
# ----------------------------------------------------------------------------------------


def _columns_of(grid: Any, ncol: int) -> list[list[int]]:
    """For every row, the grid column where each of its cells starts (row spans honoured)."""
    covered: dict[int, list[int]] = {}  # col -> [rows left, span]
    out: list[list[int]] = []
    for row in grid.rows:
        starts: list[int] = []
        col = 0
        cells = iter(row.cells)
        while col < ncol:
            pend = covered.get(col)
            if pend is not None:
                pend[0] -= 1
                span = pend[1]
                if pend[0] == 0:
                    del covered[col]
                col += span
                continue
            cell = next(cells, None)
            if cell is None:
                break
            span = max(1, min(cell.span, ncol - col))
            if cell.rows > 1:
                covered[col] = [cell.rows - 1, span]
            starts.append(col)
            col += span
        out.append(starts)
    return out


def cell_keys(decl: Declaration, form: FormLayout | None = None) -> dict[CellKey, Position]:
    """Where each field value and indicator cell of `decl` is drawn.

    Indicators fill the last rows of the last table, one row each, in `form.indicators`
    order; their cells are named by the table's column keys. A header field's value is
    the cell right of the cell carrying its label (a repeated label, such as 合计, is
    matched in profile field order).
    """
    form = form if form is not None else _form(decl)
    out: dict[CellKey, Position] = {}
    labels: dict[str, list[Position]] = {}  # a label may repeat (合计): its cells in order
    for gi, (grid, _w) in enumerate(form.tables):
        for ri, row in enumerate(grid.rows):
            for ci, cell in enumerate(row.cells):
                if cell.role == LABEL and len(cell.paras) == 1 and ci + 1 < len(row.cells):
                    labels.setdefault(cell.paras[0], []).append((gi, ri, ci + 1))
    specs = [(s.key, s.label) for s in decl.profile.fields]
    known = {k for k, _ in specs}
    specs += [(f.key, f.label or f.key) for f in decl.fields if f.key not in known]
    for key, lab in specs:
        queue = labels.get(lab)
        if queue:
            out[("field", key)] = queue.pop(0)
    if not form.tables or not form.indicators:
        return out
    gi = len(form.tables) - 1
    table, widths = form.tables[gi]
    starts = _columns_of(table, len(widths))
    first = len(table.rows) - len(form.indicators)
    for k, ind in enumerate(form.indicators):
        ri = first + k
        if ri < 0:
            continue
        for ci, col in enumerate(starts[ri]):
            key = table.columns[col] if col < len(table.columns) else ""
            pos = (gi, ri, ci)
            if key:
                out.setdefault(("ind", *ind.path, key), pos)
            if key == "level1":
                out.setdefault(("l1", ind.level1), pos)
            elif key == "level2":
                out.setdefault(("l2", ind.level1, ind.level2), pos)
    return out


# ----------------------------------------------------------------------------------------
# Table view model
# ----------------------------------------------------------------------------------------


def _percent_widths(twips: Sequence[int]) -> list[str]:
    total = sum(twips) or 1
    return [f"{w * 100 / total:.2f}%" for w in twips]


def _cell_view(cell: Any, width: int, mark: CellMark | None) -> dict[str, Any]:
    paras = [_balance(t, width) if cell.balanced else t for t in cell.paras]
    classes = [cell.role, "left" if cell.align == "left" else "center"]
    if mark is not None:
        classes.extend(mark.classes)
    return {
        "tag": "th" if cell.role == HEAD else "td",
        "span": cell.span, "rows": cell.rows, "paras": [p.split("\n") for p in paras],
        "cls": " ".join(classes), "mark": mark,
    }


def table_view(grid: Any, twips: Sequence[int],
               marks: Mapping[tuple[int, int], CellMark] | None = None) -> dict[str, Any]:
    """Rows of cell dicts for the template; `twips` the column widths; `marks` by (row, cell) index."""
    edges = [0]
    for w in twips:
        edges.append(edges[-1] + w)
    starts = _columns_of(grid, len(twips))
    head: list[list[dict[str, Any]]] = []
    body: list[list[dict[str, Any]]] = []
    marks = marks or {}
    ncol = len(twips)
    for ri, row in enumerate(grid.rows):
        cells = []
        for ci, (cell, col) in enumerate(zip(row.cells, starts[ri], strict=False)):
            span = max(1, min(cell.span, ncol - col))
            cells.append(_cell_view(cell._replace(span=span), edges[col + span] - edges[col], marks.get((ri, ci))))
        (head if row.header and not body else body).append(cells)
    return {"widths": _percent_widths(twips), "head": head, "body": body}


def declaration_view(decl: Declaration, marks: Mapping[Position, CellMark] | None = None,
                     anchor: str = "", notes: Sequence[Mapping[str, str]] = ()) -> dict[str, Any]:
    form = _form(decl)
    tables = []
    for gi, (grid, twips) in enumerate(form.tables):
        local = {(ri, ci): m for (gj, ri, ci), m in (marks or {}).items() if gj == gi}
        tables.append(table_view(grid, twips, local))
    return {"title": form.title, "subtitle": form.subtitle, "above": form.above, "below": form.notes, "tables": tables, "kind": decl.kind, "anchor": anchor,
            "notes": list(notes)}


# ----------------------------------------------------------------------------------------
# Templates
# ----------------------------------------------------------------------------------------


@lru_cache(maxsize=1)
def environment() -> Any:
    """The Jinja2 environment (autoescape on for every template) with the backend templates."""
    import jinja2

    env = jinja2.Environment(
        loader=jinja2.PackageLoader("perfdsl.backends", "templates"),
        autoescape=True, trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True,
        undefined=jinja2.StrictUndefined,
    )
    return env


def page_css() -> Any:
    """The form and print stylesheet (as safe markup), shared by the built page and `perfdsl serve`."""
    from markupsafe import Markup

    return Markup(environment().get_template("forms.css.j2").render())


def forms_html(dset: DeclarationSet, marks: Mapping[int, Mapping[Position, CellMark]] | None = None,
               notes: Mapping[int, Sequence[Mapping[str, str]]] | None = None) -> Any:
    """The forms of `dset` as escaped HTML markup (no page around them). `marks` and
    `notes` (findings about a form but no cell of it: id, severity, code, message) are by
    declaration index in print order (`ordered(dset)`)."""
    from markupsafe import Markup

    decls = ordered(dset)
    views = [declaration_view(d, (marks or {}).get(i), anchor=f"d{i}", notes=(notes or {}).get(i, ()))
             for i, d in enumerate(decls)]
    return Markup(environment().get_template("forms.html.j2").render(decls=views))


def render(dset: DeclarationSet, options: Any = None) -> bytes:
    """The .html bytes for `dset`: one page, styles inline, no scripts."""
    from .docx import document_title

    page = environment().get_template("page.html.j2").render(
        title=document_title(dset), css=page_css(), forms=forms_html(dset),
        generator=compiler_version(options),
    )
    return page.encode("utf-8")


def render_index(entries: Iterable[Mapping[str, Any]], options: Any = None) -> bytes:
    """An index page for several built sets: each entry has name, href, declarations, indicators."""
    page = environment().get_template("index.html.j2").render(
        entries=list(entries), css=page_css(), generator=compiler_version(options))
    return page.encode("utf-8")

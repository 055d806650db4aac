"""HTML backend: a declaration set as one self-contained web page that prints as the forms.

`render(dset, options) -> bytes` writes the 部门整体 form first, then each 项目绩效目标表,
each starting a new printed page, from the same logical grids as the DOCX (merged cells,
labels, column widths; backends/docx_grid.py). Print CSS sets A4 with the DOCX margins,
宋体 with CJK fallbacks, black borders, and a repeated heading row on the indicator table.
The page has no external assets and needs no script. Jinja2 templates (shipped in
backends/templates/) escape every text.

`perfdsl serve` reuses `forms_html` with `CellMark`s: findings and changes drawn on the
cells they are about (`cell_keys` says which cell shows which field or indicator column).

All layout access goes through `_grids(decl)`: when the profile-driven layout function
lands, only that adapter changes. This module must not validate, must not see syntax,
must not read the clock, and is deterministic (same model, same bytes).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from functools import lru_cache
from typing import Any

import attrs

from perfdsl.model import Declaration, DeclarationSet

from . import docx_grid as g
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


def _grids(decl: Declaration) -> list[g.Grid]:
    """The logical tables of one declaration's form, in print order (header, indicators)."""
    return [g.header_grid(decl), g.indicator_grid(decl)]


# ----------------------------------------------------------------------------------------
# Which cell shows what
# ----------------------------------------------------------------------------------------


def _columns_of(grid: g.Grid) -> list[list[int]]:
    """For every row, the grid column where each of its cells starts (row spans honoured)."""
    ncol = len(grid.columns)
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


def cell_keys(decl: Declaration, grids: Sequence[g.Grid] | None = None) -> dict[CellKey, Position]:
    """Where each field value and indicator cell of `decl` is drawn.

    The indicator table has one row per indicator in `decl.groups()` order after its
    heading row; a header field's value is the cell right of the cell carrying its label.
    """
    grids = list(grids) if grids is not None else _grids(decl)
    out: dict[CellKey, Position] = {}
    labels: dict[str, list[Position]] = {}  # a label may repeat (合计): its cells in order
    for ri, row in enumerate(grids[0].rows):
        for ci, cell in enumerate(row.cells):
            if cell.role == g.LABEL and len(cell.paras) == 1 and ci + 1 < len(row.cells):
                labels.setdefault(cell.paras[0], []).append((0, ri, ci + 1))
    specs = [(s.key, s.label) for s in decl.profile.fields]
    known = {k for k, _ in specs}
    specs += [(f.key, f.label or f.key) for f in decl.fields if f.key not in known]
    for key, lab in specs:
        queue = labels.get(lab)
        if queue:
            out[("field", key)] = queue.pop(0)
    if len(grids) > 1:
        table = grids[1]
        starts = _columns_of(table)
        inds = [ind for _l1, l2s in decl.groups() for _l2, group in l2s for ind in group]
        for ri, ind in enumerate(inds, start=1):
            if ri >= len(table.rows):
                break
            for ci, col in enumerate(starts[ri]):
                key = table.columns[col]
                pos = (1, ri, ci)
                out.setdefault(("ind", *ind.path, key), pos)
                if key == "level1":
                    out.setdefault(("l1", ind.level1), pos)
                elif key == "level2":
                    out.setdefault(("l2", ind.level1, ind.level2), pos)
    return out


# ----------------------------------------------------------------------------------------
# Table view model
# ----------------------------------------------------------------------------------------


def _percent_widths(keys: Sequence[str]) -> list[str]:
    twips = g.column_widths(keys, TEXT_WIDTH)
    total = sum(twips) or 1
    return [f"{w * 100 / total:.2f}%" for w in twips]


def _cell_view(cell: g.Cell, width: int, mark: CellMark | None) -> dict[str, Any]:
    paras = [g.balance(t, width) if cell.balanced else t for t in cell.paras]
    classes = [cell.role, "left" if cell.align == "left" else "center"]
    if mark is not None:
        classes.extend(mark.classes)
    return {
        "tag": "th" if cell.role == g.HEAD else "td",
        "span": cell.span, "rows": cell.rows, "paras": [p.split("\n") for p in paras],
        "cls": " ".join(classes), "mark": mark,
    }


def table_view(grid: g.Grid, marks: Mapping[tuple[int, int], CellMark] | None = None) -> dict[str, Any]:
    """Rows of cell dicts for the template; `marks` by (row, cell) index."""
    twips = g.column_widths(grid.columns, TEXT_WIDTH)
    edges = [0]
    for w in twips:
        edges.append(edges[-1] + w)
    starts = _columns_of(grid)
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
    return {"widths": _percent_widths(grid.columns), "head": head, "body": body}


def declaration_view(decl: Declaration, marks: Mapping[Position, CellMark] | None = None,
                     anchor: str = "") -> dict[str, Any]:
    title, subtitle = decl.heading()
    tables = []
    for gi, grid in enumerate(_grids(decl)):
        local = {(ri, ci): m for (gj, ri, ci), m in (marks or {}).items() if gj == gi}
        tables.append(table_view(grid, local))
    return {"title": title, "subtitle": subtitle, "tables": tables, "kind": decl.kind, "anchor": anchor}


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


def forms_html(dset: DeclarationSet, marks: Mapping[int, Mapping[Position, CellMark]] | None = None) -> Any:
    """The forms of `dset` as escaped HTML markup (no page around them); `marks` by
    declaration index in print order (`ordered(dset)`)."""
    from markupsafe import Markup

    decls = ordered(dset)
    views = [declaration_view(d, (marks or {}).get(i), anchor=f"d{i}") for i, d in enumerate(decls)]
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

"""Loading a profile's data: `extends`, schema checks, the layout, all as diagnostics.

`load_data(pid, raw)` follows the `extends` chain (cycles and missing parents are
reported, never raised), checks every file of the chain against the schema
(perfdsl/profile_schema.py) and merges them. `build_layout` turns the merged `[layout]`,
`[page]` and `columns` into `Layout`/`Page` values and reports layout cells that name
undefined fields and grid rows that do not add up. Every problem becomes a `Diagnostic`
located at the profile file, line and column of the key (`locate`).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from perfdsl import record
from perfdsl.diagnostics import Diagnostic, diag
from perfdsl.layout_notation import RESERVED, GridCell, parse_grid, references
from perfdsl.profile_schema import COLUMN, PAGE, Problem, check_keys, dotted, merge, suggest
from perfdsl.source import Span

# ----------------------------------------------------------------------------------------
# Where a key is written (tomllib keeps no positions)
# ----------------------------------------------------------------------------------------

_HEADER = re.compile(r"^\s*(\[\[?)\s*([^\]]+?)\s*\]\]?\s*(#.*)?$")
_KEY = re.compile(r'^\s*("(?:[^"\\]|\\.)*"|[A-Za-z0-9_\-.\u4e00-\u9fff]+)\s*=')


def _key_parts(text: str) -> tuple[str, ...]:
    parts = re.findall(r'"((?:[^"\\]|\\.)*)"|([^."\s]+)', text)
    return tuple(a or b for a, b in parts)


def locate(text: str) -> dict[tuple[str | int, ...], tuple[int, int]]:
    """Key path → (line, column) for every table header and `key =` line of a TOML text."""
    out: dict[tuple[str | int, ...], tuple[int, int]] = {}
    counts: dict[tuple[str | int, ...], int] = {}
    current: tuple[str | int, ...] = ()
    in_multiline = False
    for n, line in enumerate(text.split("\n"), start=1):
        if in_multiline:
            if line.count('"""') % 2 == 1:
                in_multiline = False
            continue
        m = _HEADER.match(line)
        if m and not _KEY.match(line):
            parts = _key_parts(m.group(2))
            if m.group(1) == "[[":
                idx = counts.get(parts, 0)
                counts[parts] = idx + 1
                current = (*parts, idx)
            else:
                current = parts
            out.setdefault(current, (n, line.index(m.group(1)) + 1))
            continue
        km = _KEY.match(line)
        if km:
            path = (*current, *_key_parts(km.group(1)))
            out.setdefault(path, (n, line.index(km.group(1)) + 1))
            if line.count('"""') % 2 == 1:
                in_multiline = True
    return out


@record.frozen
class SourceText:
    """A profile file: its display path (for spans) and its text (for lines)."""

    path: str
    text: str

    @staticmethod
    def of(source: str) -> SourceText:
        if source.startswith("内置:"):
            name = source.split(":", 1)[1]
            from perfdsl.marshalcache import data_file  # no importlib.resources at start

            text = data_file("data/profiles", name)
            return SourceText(f"perfdsl/data/profiles/{name}", text)
        try:
            return SourceText(source, Path(source).read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError):
            return SourceText(source, "")

    def grid_offset(self, path: tuple[str | int, ...]) -> int:
        """Lines between the key's line and the grid string's first line (TOML drops a
        newline right after the opening triple quotes)."""
        line, _c = locate(self.text).get(path, (1, 1))
        lines = self.text.split("\n")
        if 0 < line <= len(lines):
            rest = lines[line - 1]
            for q in ('"""', "'''"):
                if q in rest:
                    return 1 if not rest.split(q, 1)[1].strip() else 0
        return 1

    def ref_span(self, path: tuple[str | int, ...], extra_line: int, text: str) -> Span:
        """The span of `text` on the grid line `extra_line` below the key `path`."""
        base = self.span(path, extra_line)
        lines = self.text.split("\n")
        line = lines[base.line - 1] if 0 < base.line <= len(lines) else ""
        col = line.find(text) + 1
        return Span.point(self.path, base.line, col, len(text)) if col > 0 else base

    def span(self, path: tuple[str | int, ...], extra_line: int | None = None, col: int | None = None) -> Span:
        where = locate(self.text)
        p = path
        while p and p not in where and (*p, 0) not in where:
            p = p[:-1]
        if p not in where and (*p, 0) in where:  # a list of tables: its first [[…]]
            p = (*p, 0)
        line, c = where.get(p, (1, 1))
        if extra_line is not None:
            return Span.point(self.path, line + extra_line, col or 1)
        return Span.point(self.path, line, c, len(str(path[-1])) if path and p == path else 1)


def _diag(src: SourceText, pid: str, problem: Problem) -> Diagnostic:
    return diag(problem.code, src.span(problem.path), help=problem.help, profile=pid, **problem.args)


# ----------------------------------------------------------------------------------------
# extends + schema
# ----------------------------------------------------------------------------------------


def load_data(pid: str, raw: dict[str, tuple[dict[str, Any], str]],
              fallback: dict[str, str] | None = None) -> tuple[dict[str, Any], list[Diagnostic], dict[str, SourceText]]:
    """The merged data of profile `pid`, the problems of every file in its chain, and for
    each top-level key the file that last set it (to point layout problems there).

    A missing parent is reported (PD-C007) and replaced by its closest id, else by the
    default profile of the kind (`fallback`); a cycle (PD-C006) is cut and the default
    profile taken as the base, so one typo does not bury the user in follow-on errors."""
    chain: list[str] = []
    problems: list[Diagnostic] = []
    at = pid
    while True:
        chain.append(at)
        data, source = raw[at]
        parent = data.get("extends")
        if not isinstance(parent, str) or not parent:
            break
        if parent in chain:
            src = SourceText.of(source)
            problems.append(diag("PD-C006", src.span(("extends",)), profile=at,
                                 cycle=" → ".join([*chain, parent])))
            parent = _default_for(raw, data, fallback, chain)
        elif parent not in raw:
            src = SourceText.of(source)
            near = suggest(parent, raw)
            problems.append(diag("PD-C007", src.span(("extends",)), profile=at, parent=parent,
                                 help=f"是不是“{near}”？" if near else None))
            parent = near if near is not None and near not in chain else _default_for(raw, data, fallback, chain)
        if parent is None:
            break
        at = parent
    merged: dict[str, Any] = {}
    owner: dict[str, SourceText] = {}
    for name in reversed(chain):
        data, source = raw[name]
        src = SourceText.of(source)
        for p in check_keys(data):
            problems.append(_diag(src, name, p))
        merged = merge(merged, data)
        for key in data:
            owner[key] = src
        replaced = data.get("replace") if isinstance(data.get("replace"), list) else []
        own_layout = data.get("layout") if isinstance(data.get("layout"), dict) else {}
        if "fields" in replaced and "header" not in own_layout and isinstance(merged.get("layout"), dict):
            # A child that replaces the fields whole and draws no header of its own does not
            # inherit its parent's header grid (it names the parent's fields): one row per field.
            merged["layout"] = {k: v for k, v in merged["layout"].items() if k != "header"}
    merged["id"] = pid
    return merged, problems, owner


def _default_for(raw: dict[str, tuple[dict[str, Any], str]], data: dict[str, Any],
                 fallback: dict[str, str] | None, chain: list[str]) -> str | None:
    kind = data.get("kind") if data.get("kind") in ("department", "project") else "project"
    pid = (fallback or {}).get(str(kind))
    return pid if pid in raw and pid not in chain else None


# ----------------------------------------------------------------------------------------
# Layout values
# ----------------------------------------------------------------------------------------

DEFAULT_WIDTHS = {"side": 6.0, "level1": 14.0, "level2": 12.0, "name": 19.5, "op": 10.0, "value": 12.5,
                  "unit": 10.0, "target": 14.0, "指标值内容": 10.5, "备注": 7.88}
EXTRA_WIDTH = 9.5


@record.frozen
class Column:
    """An indicator table column as the layout prints it."""

    key: str
    label: str
    width: float
    span: int = 1
    optional: bool = False
    format: str = "{op}{value}{unit}"
    aliases: tuple[str, ...] = ()
    field: str = ""  # print this header field's value beside all indicator rows


@record.frozen
class Page:
    orientation: str = "portrait"
    margins: tuple[float, float, float, float] = (2.5, 2.0, 2.0, 2.0)
    title_font: str = "黑体"
    title_size: float = 18
    title_bold: bool = True
    subtitle_font: str = "楷体"
    subtitle_size: float = 14
    font: str = "宋体"
    font_size: float = 10
    head_font: str = "黑体"
    footer: str = "第 {page} 页  共 {pages} 页"
    above: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()


@record.frozen
class Layout:
    """A form's layout: the header grid (None: one row per shown field), the grid column
    widths, the indicator columns, and whether header and indicators are one table."""

    header: tuple[GridCell, ...] | None
    header_rows: int
    widths: tuple[float, ...]
    columns: tuple[Column, ...]
    one_table: bool = True
    merge: tuple[str, ...] = ("level1", "level2")
    heading: bool = True
    title_in_grid: bool = False
    subtitle_in_grid: bool = False


def _page(data: dict[str, Any]) -> Page:
    p = data.get("page") if isinstance(data.get("page"), dict) else {}
    assert isinstance(p, dict)
    kw: dict[str, Any] = {}
    for name, spec in PAGE.items():
        if name not in p:
            continue
        v = p[name]
        if spec.type == "number-list":
            if isinstance(v, list) and len(v) == 4:
                kw[name] = tuple(float(x) for x in v)
        elif spec.type == "string-list":
            kw[name] = tuple(v)
        elif spec.type == "number":
            kw[name] = float(v)
        else:
            kw[name] = v
    return Page(**kw)


def build_layout(data: dict[str, Any], field_keys: set[str], composites: set[str],
                 owner: dict[str, SourceText], pid: str) -> tuple[Layout, Page, list[Diagnostic]]:
    problems: list[Diagnostic] = []
    cols_src = owner.get("columns")
    columns: list[Column] = []
    for i, c in enumerate(data.get("columns", ())):
        if not isinstance(c, dict) or not isinstance(c.get("key"), str):
            continue
        key = c["key"]
        span = c.get("span", 1) if isinstance(c.get("span", 1), int) else 1
        width = c.get("width")
        if not isinstance(width, int | float) or isinstance(width, bool) or width <= 0:
            width = DEFAULT_WIDTHS.get(key, EXTRA_WIDTH) * (span if key in DEFAULT_WIDTHS else 1)
        field = c.get("field") if isinstance(c.get("field"), str) else ""
        columns.append(Column(key, str(c.get("label", key)), float(width), max(span, 1), bool(c.get("optional", False)),
                              str(c.get("format", COLUMN["format"].default)), tuple(c.get("aliases", ())), field))
        if field and field not in field_keys and cols_src is not None:
            near = suggest(field, field_keys)
            problems.append(diag("PD-C004", cols_src.span(("columns", i, "field")), profile=pid, ref=field,
                                 help=f"是不是“{near}”？" if near else None))
        if span < 1 and cols_src is not None:
            problems.append(diag("PD-C005", cols_src.span(("columns", i, "span")), profile=pid,
                                 detail=f"列“{key}”的 span 必须至少为 1"))
    lay = data.get("layout") if isinstance(data.get("layout"), dict) else {}
    assert isinstance(lay, dict)
    src = owner.get("layout")
    widths_raw = lay.get("widths")
    widths = tuple(float(w) for w in widths_raw) if isinstance(widths_raw, list) and widths_raw else ()
    base_cols = sum(c.span for c in columns if not c.optional)
    ncols = len(widths) if widths else None
    header: tuple[GridCell, ...] | None = None
    nrows = 0
    title_in = sub_in = False
    grid_text = lay.get("header")
    if isinstance(grid_text, str) and grid_text.strip():
        grid = parse_grid(grid_text, ncols)
        header, nrows = grid.cells, grid.nrows
        offset = src.grid_offset(("layout", "header")) if src is not None else 1
        for gp in grid.problems:
            assert src is not None
            problems.append(diag(gp.code, src.span(("layout", "header"), extra_line=gp.line + offset, col=gp.col),
                                 profile=pid, help=gp.help, **gp.args))
        known = field_keys | composites
        for cell in header:
            for ref in references(cell.text):
                name = ref[1:] if ref.startswith(("@", "$")) else ref
                if ref.startswith("$"):
                    ok = name in RESERVED
                    choices: Any = RESERVED
                elif ref.startswith("@"):
                    ok, choices = name in field_keys, field_keys
                else:
                    ok, choices = name in known, known
                if not ok and src is not None:
                    near = suggest(name, choices)
                    problems.append(diag("PD-C004", src.ref_span(("layout", "header"), cell.line + offset, "{" + ref + "}"),
                                         profile=pid, ref="{" + ref + "}",
                                         help=f"是不是“{{{ref[0] if ref[0] in '@$' else ''}{near}}}”？" if near else None))
            title_in |= "{$表名}" in cell.text
            sub_in |= "{$副标题}" in cell.text
        if ncols is None:
            ncols = grid.ncols
    one_table = bool(lay.get("one_table", True))
    if ncols is not None and columns and base_cols != ncols and (one_table or widths):
        where = cols_src.span(("columns",)) if cols_src is not None else Span.point("", 1, 1)
        problems.append(diag("PD-C005", where, profile=pid,
                             detail=f"指标表各列共占 {base_cols} 列，表头网格是 {ncols} 列",
                             help="网格列数由 [layout] widths 决定（可能继承自父模板）：改 widths 或各列的 span，"
                                  "或用 replace = [\"layout\"] 不继承父模板的版式"))
    if not widths:
        widths = tuple(w for c in columns if not c.optional for w in [c.width / c.span] * c.span)
    if ncols is not None and len(widths) != ncols:
        widths = tuple(widths[i] if i < len(widths) else EXTRA_WIDTH for i in range(ncols))
    merge_cols = tuple(m for m in lay.get("merge", ("level1", "level2")) if isinstance(m, str))
    layout = Layout(header, nrows, widths, tuple(columns), one_table, merge_cols,
                    bool(lay.get("heading", True)), title_in, sub_in)
    return layout, _page(data), problems


def describe(path: tuple[str | int, ...]) -> str:
    return dotted(path)

"""The layout grid notation of profiles: text rows of `|`-separated cells → placed cells.

A profile's `[layout] header` is a small grid written as text, one line per table row:

    {@单位名称} | {单位名称} *7
    {@联系人}   | {联系人} *2 | {@联系电话} *2 | {联系电话} *3
    部门（单位）职能 | {@职能依据} *7 left
    ^               | {职能依据} *7 left

A cell is fixed text, `{键}` (a field's value, or a composite), `{@键}` (a field's label)
or `{$名称}` (金额单位, 表名, 副标题), or a mix (`（{年度}年度）`). After the text come
optional attributes: `*N` spans N columns; `left`/`center`/`right` align; `label`,
`value`, `head`, `title`, `subtitle` set the role. `<` continues the cell on its left
(one more column), `^` continues the cell above (one more row, as wide as that cell).
A cell holding only whitespace is an empty cell; `"…"` quotes text that would otherwise
read as notation. Lines that are blank or start with `#` are skipped.

This module only parses and places; it knows no province and no backend. Problems are
returned with their line offset inside the grid text, so the loader can point at the
TOML line.
"""

from __future__ import annotations

import re

from perfdsl import record

ROLES = ("label", "value", "head", "title", "subtitle")
ALIGNS = ("left", "center", "right")
RESERVED = ("金额单位", "表名", "副标题")
PLACEHOLDER = re.compile(r"\{([^{}]+)\}")
_SPAN = re.compile(r"^\*(\d+)$")


@record.frozen
class GridCell:
    text: str  # a template: fixed text with {键} / {@键} / {$名称}
    row: int
    col: int
    span: int
    rows: int
    role: str
    align: str
    line: int  # 0-based line inside the grid text


@record.frozen
class GridProblem:
    code: str  # PD-C004 / PD-C005
    line: int  # 0-based line inside the grid text
    col: int  # 1-based character column in that line
    args: dict[str, str]
    help: str | None = None


@record.frozen
class ParsedGrid:
    cells: tuple[GridCell, ...]
    nrows: int
    ncols: int
    problems: tuple[GridProblem, ...] = ()


def references(template: str) -> list[str]:
    """The placeholders of a cell template, e.g. ["@单位名称", "年度", "$金额单位"]."""
    return [m.group(1).strip() for m in PLACEHOLDER.finditer(template)]


def _split(line: str) -> list[tuple[str, int]]:
    """Cells of one line with their 1-based start column; `|` inside "…" does not split."""
    cells: list[tuple[str, int]] = []
    buf: list[str] = []
    start = 1
    quoted = False
    for i, ch in enumerate(line, start=1):
        if ch == '"':
            quoted = not quoted
        if ch == "|" and not quoted:
            cells.append(("".join(buf), start))
            buf = []
            start = i + 1
            continue
        buf.append(ch)
    cells.append(("".join(buf), start))
    if cells and not cells[0][0].strip() and line.lstrip().startswith("|"):
        cells = cells[1:]
    if len(cells) > 1 and not cells[-1][0].strip() and line.rstrip().endswith("|"):
        cells = cells[:-1]
    return cells


@record.frozen
class _Token:
    kind: str  # cell | up | left
    text: str = ""
    span: int = 1
    role: str = ""
    align: str = ""
    col: int = 1


_ATTRS = re.compile(r"^(?P<text>.*?)(?P<attrs>(?:(?:^|\s+)(?:\*\d+|left|center|right|label|value|head|title|subtitle))*)$",
                    re.S)


def _token(raw: str, col: int) -> _Token | GridProblem:
    s = raw.strip()
    if s == "^":
        return _Token("up", col=col)
    if s == "<":
        return _Token("left", col=col)
    m = _ATTRS.match(s)
    assert m is not None
    text = m.group("text").strip()
    span, role, align = 1, "", ""
    for w in m.group("attrs").split():
        sm = _SPAN.match(w)
        if sm:
            span = int(sm.group(1))
        elif w in ROLES:
            role = w
        else:
            align = w
    if len(text) >= 2 and text.startswith('"') and text.endswith('"'):
        text = text[1:-1].replace('\\"', '"')
    if span < 1:
        return GridProblem("PD-C005", 0, col, {"detail": f"“{s}”的列数必须至少为 1"})
    return _Token("cell", text, span, role, align, col)


def _is_attr(word: str) -> bool:
    return bool(_SPAN.match(word)) or word in ROLES or word in ALIGNS


def parse_grid(text: str, ncols: int | None) -> ParsedGrid:
    """Place the cells of `text`. `ncols` None: the first row's width sets it."""
    problems: list[GridProblem] = []
    cells: list[dict[str, object]] = []
    occ: list[list[int]] = []  # occ[row][col] = cell index
    row = 0
    width = ncols
    for ln, line in enumerate(text.split("\n")):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        slots: list[int] = []
        ok = True
        for raw, col in _split(line):
            tok = _token(raw, col)
            if isinstance(tok, GridProblem):
                problems.append(record.evolve(tok, line=ln))
                ok = False
                break
            c = len(slots)
            if tok.kind == "up":
                above = occ[row - 1][c] if row > 0 and c < len(occ[row - 1]) else None
                cell = cells[above] if above is not None else None
                if cell is None or cell["col"] != c or int(cell["row"]) + int(cell["rows"]) != row:  # type: ignore[call-overload]
                    problems.append(GridProblem("PD-C005", ln, col, {"detail": f"第 {c + 1} 列的“^”上方没有可以向下合并的格"}))
                    ok = False
                    break
                cell["rows"] = int(cell["rows"]) + 1  # type: ignore[call-overload]
                slots.extend([above] * int(cell["span"]))  # type: ignore[list-item, call-overload]
            elif tok.kind == "left":
                left = slots[-1] if slots else None
                cell = cells[left] if left is not None else None
                if cell is None or cell["row"] != row:
                    problems.append(GridProblem("PD-C005", ln, col, {"detail": "“<”左边没有可以向右合并的格"}))
                    ok = False
                    break
                cell["span"] = int(cell["span"]) + 1  # type: ignore[call-overload]
                slots.append(left)  # type: ignore[arg-type]
            else:
                cells.append({"text": tok.text, "row": row, "col": c, "span": tok.span, "rows": 1,
                              "role": tok.role, "align": tok.align, "line": ln})
                slots.extend([len(cells) - 1] * tok.span)
        if ok:
            if width is None:
                width = len(slots)
            if len(slots) != width:
                problems.append(GridProblem("PD-C005", ln, 1, {
                    "detail": f"这一行共 {len(slots)} 列，网格应为 {width} 列"}))
        occ.append(slots)
        row += 1
    placed = []
    for c in cells:
        text_ = str(c["text"])
        role = str(c["role"]) or _default_role(text_)
        placed.append(GridCell(text_, int(c["row"]), int(c["col"]), int(c["span"]), int(c["rows"]),  # type: ignore[call-overload]
                               role, str(c["align"]) or "center", int(c["line"])))  # type: ignore[call-overload]
    return ParsedGrid(tuple(placed), row, width or 0, tuple(problems))


def _default_role(text: str) -> str:
    """A cell that prints a field's value is a value cell; fixed text and labels are labels."""
    for ref in references(text):
        if not ref.startswith(("@", "$")):
            return "value"
    return "label"

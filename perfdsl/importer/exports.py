"""Sheets of system exports that hold no indicator table.

Budget systems export a declaration over several sheets:
- a key/value sheet (`项目 | 内容`, or `栏目 | 填报内容`): one header field per row, the
  department's (or a project's) header;
- a record sheet: a heading row of field labels, then one row per declaration (one
  project per row), joined by name to the rows of a flat indicator sheet.

`classify(lines)` tells them apart by shape; build.py joins them to the declarations.
It must not build syntax nor read files.
"""

from __future__ import annotations

import attrs

from perfdsl.importer.detect import DECL_KEY, norm_label
from perfdsl.importer.values import clean, squash

KV_HEADINGS = {("项目", "内容"), ("栏目", "内容"), ("栏目", "填报内容"), ("项目", "填报内容"), ("名称", "内容"),
               ("字段", "值"), ("字段名称", "字段值"), ("指标", "内容")}
NAME_LABELS = (*DECL_KEY, "名称", "单位名称", "部门名称")


@attrs.define
class Records:
    """A record sheet: labels, then per row (name, [(label, value)], where)."""

    name_label: str
    rows: list[tuple[str, list[tuple[str, str]], str]]


def _texts(ln: object) -> list[tuple[int, str]]:
    return [(c, g.text) for c, g in ln.new_cells() if squash(g.text)]  # type: ignore[attr-defined]


def classify(lines: list) -> tuple[str, object]:
    """("kv", the lines to read as a header zone) | ("records", Records) | ("", None)."""
    rows = [ln for ln in lines if ln.table is not None and _texts(ln)]
    if not rows:
        return "", None
    first = _texts(rows[0])
    widest = max(len(_texts(ln)) for ln in rows)
    heads = tuple(norm_label(t) for _c, t in first)
    if len(heads) == 2 and heads in KV_HEADINGS:
        return "kv", rows[1:]
    labels = [norm_label(t) for _c, t in first]
    name_col = next((c for (c, _t), lab in zip(first, labels, strict=True) if lab in NAME_LABELS), None)
    if len(first) >= 3 and name_col is not None and len(rows) >= 2:
        cols = [(c, t) for c, t in first]
        out: list[tuple[str, list[tuple[str, str]], str]] = []
        for ln in rows[1:]:
            cells = ln.cells
            pairs = [(clean(t), clean(cells[c].text) if c < len(cells) else "") for c, t in cols]
            nm = clean(cells[name_col].text) if name_col < len(cells) else ""
            if nm:
                out.append((nm, [(k, v) for k, v in pairs if v], ln.pos(name_col)))
        return "records", Records(clean(first[[c for c, _t in first].index(name_col)][1]), out)
    if widest <= 3:
        return "kv", rows
    return "", None

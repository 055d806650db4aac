"""The canonical JSON (backends/jsonout.py) back into a syntax tree, for exact imports.

Files perfdsl wrote carry this JSON; turning it into an `ast.Document` that resolves to
the same model is what makes `perfdsl import` of those files lossless. Names are the
official full names, numbers keep their written text, each declaration names its
profile. It must not read files and must not guess: a JSON it does not understand is
an `ImportFailure`.
"""

from __future__ import annotations

import json
from decimal import Decimal, InvalidOperation
from typing import Any

from perfdsl import ast
from perfdsl.importer.safety import ImportFailure


def _seg(*parts: str) -> ast.Path:
    return ast.Path(tuple(ast.Segment(p) for p in parts))


def _qty(text: Any, unit: str | None) -> ast.Quantity:
    try:
        return ast.Quantity(str(text), Decimal(str(text)), unit or None)
    except (InvalidOperation, ValueError) as exc:
        raise ImportFailure(f"内嵌数据中的数值“{text}”无效") from exc


def target(t: dict[str, Any]) -> tuple[ast.Target, list[ast.Attr]]:
    op = t.get("op")
    unit = t.get("unit")
    if op == "qual":
        attrs_ = [ast.Attr("度量单位", unit)] if unit else []
        return ast.Qualitative(ast.Text(t.get("text") or "")), attrs_
    if op == "range":
        return ast.Range(_qty(t["low"], None), _qty(t["high"], unit)), []
    if op in ("eq", "ge", "le", "gt", "lt"):
        return ast.Comparison(op, _qty(t["value"], unit)), []
    raise ImportFailure(f"内嵌数据中的运算符“{op}”无法识别")


def indicators_body(inds: list[dict[str, Any]]) -> list[ast.Stmt]:
    """Indicators in their order, consecutive runs grouped by 一级 then 二级."""
    rows = []
    for ind in inds:
        tgt, extra = target(ind["target"])
        attrs_ = tuple(extra + [ast.Attr(k, v) for k, v in (ind.get("columns") or {}).items()])
        rows.append((ind["level1"], ind["level2"], ast.Indicator(_seg(ind["name"]), tgt, attrs_)))
    return group_runs(rows)


def group_runs(rows: list[tuple[str, str, ast.Indicator]]) -> list[ast.Stmt]:
    """`一级 { 二级 { … } }` blocks for consecutive runs (order kept exactly); a 二级 run of
    one indicator is written dotted (`二级.名称 …`)."""
    out: list[ast.Stmt] = []
    i = 0
    while i < len(rows):
        l1 = rows[i][0]
        j = i
        while j < len(rows) and rows[j][0] == l1:
            j += 1
        body: list[ast.Stmt] = []
        k = i
        while k < j:
            l2 = rows[k][1]
            m = k
            while m < j and rows[m][1] == l2:
                m += 1
            nodes = [r[2] for r in rows[k:m]]
            if len(nodes) == 1:
                n = nodes[0]
                body.append(ast.Indicator(_seg(l2, *n.path.parts), n.target, n.attrs))
            else:
                body.append(ast.Group(_seg(l2), tuple(nodes)))
            k = m
        out.append(ast.Group(_seg(l1), tuple(body)))
        i = j
    return out


def field_stmt(f: dict[str, Any]) -> ast.Field:
    key = _seg(*str(f["key"]).split("."))
    if f.get("type") == "list":
        return ast.Field(key, None, tuple(ast.Item(str(i)) for i in f.get("items") or ()))
    text = f.get("text")
    return ast.Field(key, None if text is None else ast.Text(str(text)))


def declaration(d: dict[str, Any]) -> ast.Declaration:
    kind = d.get("kind")
    if kind not in ("department", "project"):
        raise ImportFailure(f"内嵌数据中的表类型“{kind}”无法识别")
    body: list[ast.Stmt] = [ast.Field(_seg("模板"), ast.Text(str(d["profile"])))]
    body += [field_stmt(f) for f in d.get("fields") or ()]
    body += indicators_body(list(d.get("indicators") or ()))
    return ast.Declaration(kind, d.get("title") or None, tuple(body))


def document_from_json(data: bytes, path: str = "") -> ast.Document:
    try:
        obj = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ImportFailure(f"内嵌数据不是有效的 JSON：{exc}") from exc
    if not isinstance(obj, dict) or obj.get("format") != "perfdsl":
        raise ImportFailure("内嵌数据不是 perfdsl 的格式")
    try:
        decls = tuple(declaration(d) for d in obj.get("declarations") or ())
    except (KeyError, TypeError, AttributeError) as exc:
        raise ImportFailure(f"内嵌数据缺少必要的项：{exc}") from exc
    return ast.Document(path, decls)

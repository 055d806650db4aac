"""An indicator name with a colon must not silently become a header field (PD-S009,
"指标名称需要引号", the code the parser also uses for names with other special characters).

`产出.数量.指标1:安置小区物业费 = 8 个` parses as the field `产出.数量.指标1` with the value
`安置小区物业费 = 8 个` (the grammar's `键: 值`), so the indicator would be lost. This pass
runs right after parsing: a field whose value is exactly the rest of an indicator (a name,
then an operator and a number, or 定性 …, or 区间 …) under a path of two or more segments
is reported as an error whose fix quotes the name (`产出.数量."指标1:安置小区物业费" = 8 个`),
and is dropped from the document, so it does not also turn up as a header field.

It works on the AST and the source text only (the fix keeps the colon exactly as written,
half- or full-width), so it is independent of how the parser is built.
"""

from __future__ import annotations

import re

from perfdsl import ast, record
from perfdsl.diagnostics import Diagnostic, Fix, diag
from perfdsl.source import Span, line_of

_OPS = r"(?:>=|<=|==|=|>|<|≥|≤|≧|≦|＝|＞＝|＜＝|＞=|＜=|>＝|<＝|＞|＜)"
_NUM = r"[+\-－]?[0-9０-９]"
TAIL = re.compile(
    rf"^(?P<name>[^\s=＝<>＜＞≤≥≦≧\[\]［］#]+?)[ \t\u3000]*"
    rf"(?P<rest>{_OPS}[ \t\u3000]*{_NUM}.*|(?<=[ \t\u3000])定性[ \t\u3000]+\S.*|(?<=[ \t\u3000])区间值?[ \t\u3000]*{_NUM}.*)$")


def _quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def check(doc: ast.Document, text: str) -> tuple[ast.Document, list[Diagnostic]]:
    """The document without indicator-looking fields, and a PD-S009 for each."""
    diags: list[Diagnostic] = []
    bodies = [_body(d.body, (), text, diags) for d in doc.declarations]
    if not diags:  # (nothing dropped: the same document)
        return doc, []
    decls = tuple(d if body is d.body else record.evolve(d, body=body)
                  for d, body in zip(doc.declarations, bodies, strict=True))
    return record.evolve(doc, declarations=decls), diags


def check_statement(st: ast.Stmt, text: str, diags: list[Diagnostic],
                    prefix: tuple[str, ...] = ()) -> ast.Stmt | None:
    """`check` for one statement of a declaration, as the parser hands it over
    (perfdsl.stream): the statement as `check` would leave it, or None where `check` drops
    it; its PD-S009 findings join `diags`. `prefix`: the texts of the groups it is in."""
    kind = type(st)
    if kind is not ast.Group and (kind is not ast.Field or not _looks_like_indicator(st, len(prefix))):
        return st  # (the common case: nothing to look at; = `_body` of one statement)
    kept = _body((st,), prefix, text, diags)
    return kept[0] if kept else None


def _body(stmts: tuple[ast.Stmt, ...], prefix: tuple[str, ...], text: str,
          diags: list[Diagnostic]) -> tuple[ast.Stmt, ...]:
    """`stmts` without the indicator-looking fields; the same tuple when nothing is dropped."""
    out: list[ast.Stmt] | None = None  # built only once something changes
    for i, st in enumerate(stmts):
        new: ast.Stmt | None = st
        kind = type(st)
        if kind is ast.Group:
            inner = prefix + tuple(s.text for s in st.path.segments)
            # an indicator path is 一级.二级.名称: deeper groups hold none (and nesting
            # depth is the user's, so this walk must stay shallow)
            if len(inner) <= 2:
                body = _body(st.body, inner, text, diags)
                if body is not st.body:
                    new = record.evolve(st, body=body)  # (only where something was dropped)
        elif kind is ast.Field and _looks_like_indicator(st, len(prefix)):
            d = _diagnostic(st, text, prefix)
            if d is not None:
                diags.append(d)
                new = None
        if new is not st and out is None:
            out = list(stmts[:i])
        if out is not None and new is not None:
            out.append(new)
    return stmts if out is None else tuple(out)


def _looks_like_indicator(st: ast.Field, depth: int) -> bool:
    if st.value is None or st.value.style != "plain" or st.items:
        return False
    return looks_like_indicator(depth + len(st.key.segments), st.value.text)


def looks_like_indicator(parts: int, value: str) -> bool:
    """Whether a field of `parts` key segments (with its groups') and the plain `value`, no
    items, may be an indicator whose name holds a colon (then `check` looks closer)."""
    return 2 <= parts <= 3 and TAIL.match(value) is not None  # 一级.二级.名称, the name cut at its colon


def _diagnostic(st: ast.Field, text: str, prefix: tuple[str, ...]) -> Diagnostic | None:
    assert st.value is not None
    m = TAIL.match(st.value.text)
    last = st.key.segments[-1]
    if m is None or last.quoted or not 0 < last.span.line == st.value.span.line:
        return None
    line = line_of(text, last.span.line)  # (the text is not split into lines: issue #16)
    start = last.span.col - 1
    end = st.value.span.col - 1 + len(m.group("name"))
    written = line[start:end]  # 指标1:安置小区物业费, with the colon as written
    colon = re.search(r"[ \t\u3000]*[:：][ \t\u3000]*", written)
    if colon is None:
        return None
    name = written[:colon.start()] + colon.group().strip() + written[colon.end():]
    span = Span(last.span.path, last.span.line, last.span.col, last.span.line, end + 1)
    key = ".".join(s.text for s in st.key.segments)
    chars = "、".join(dict.fromkeys(f"“{c}”" for c in re.findall(r"[:：]", name)))
    return diag("PD-S009", span, path=prefix + tuple(s.text for s in st.key.segments[:-1]) + (name,),
                name=name, chars=chars,
                help=f"不加引号时，冒号把这一行变成了表头字段“{key}”（值为“{st.value.text}”），指标就丢了",
                fix=Fix(span, _quote(name), f"给名称加上英文双引号：{_quote(name)}"))

"""Document outline: declarations › 一级 › 二级 › indicators (plus header fields).

Built from the resolved model of the one document (official full names, grouped by
一级 and 二级 however the author nested the blocks). The caller supplies `to_range`, which
turns a perfdsl Span into an LSP Range in the negotiated encoding. Pure: no I/O.
"""

from __future__ import annotations

from collections.abc import Callable

from lsprotocol import types

from perfdsl.model import Declaration
from perfdsl.profiles import KIND_ZH
from perfdsl.source import Span

ToRange = Callable[[Span], types.Range]


def _cover(spans: list[Span]) -> Span:
    first = min(spans, key=lambda s: (s.line, s.col))
    last = max(spans, key=lambda s: (s.end_line, s.end_col))
    return Span(first.path, first.line, first.col, last.end_line, last.end_col)


def _target_text(decl: Declaration, ind: object) -> str:
    t = ind.target  # type: ignore[attr-defined]
    op = decl.profile.op_display(t.op)
    unit = f" {t.unit}" if t.unit and t.op != "qual" else ""
    return f"{op} {t.value_text()}{unit}".strip()


def document_symbols(decls: tuple[Declaration, ...], to_range: ToRange) -> list[types.DocumentSymbol]:
    out: list[types.DocumentSymbol] = []
    for decl in decls:
        if not decl.span.line:
            continue
        children: list[types.DocumentSymbol] = []
        for f in decl.fields:
            if f.span.line:
                r = to_range(f.span)
                children.append(types.DocumentSymbol(
                    name=f.label, kind=types.SymbolKind.Property, range=r, selection_range=r,
                    detail="表头字段"))
        for l1, l2s in decl.groups():
            l2_symbols: list[types.DocumentSymbol] = []
            l1_spans: list[Span] = []
            for l2, inds in l2s:
                ind_symbols = []
                for ind in inds:
                    ind_symbols.append(types.DocumentSymbol(
                        name=ind.name, kind=types.SymbolKind.Field, range=to_range(ind.span),
                        selection_range=to_range(ind.name_span if ind.name_span.line else ind.span),
                        detail=_target_text(decl, ind)))
                spans = [i.span for i in inds]
                l1_spans.extend(spans)
                r = to_range(_cover(spans))
                l2_symbols.append(types.DocumentSymbol(
                    name=l2, kind=types.SymbolKind.Class, range=r, selection_range=to_range(spans[0]),
                    detail="二级指标", children=ind_symbols))
            r = to_range(_cover(l1_spans))
            children.append(types.DocumentSymbol(
                name=l1, kind=types.SymbolKind.Module, range=r, selection_range=to_range(l1_spans[0]),
                detail="一级指标", children=l2_symbols))
        head = Span(decl.span.path, decl.span.line, decl.span.col, decl.span.line, decl.span.col + 1)
        out.append(types.DocumentSymbol(
            name=f"{KIND_ZH.get(decl.kind, decl.kind)} {decl.title}".strip(), kind=types.SymbolKind.Namespace,
            range=to_range(decl.span), selection_range=to_range(head),
            detail=f"模板 {decl.profile.id}", children=children))
    return out

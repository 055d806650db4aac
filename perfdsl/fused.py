"""Fused statements: a plain indicator or field line goes from the line shape's match to the model.

With a stream sink (perfdsl.stream, `compile_text`), a statement the line shapes
(perfdsl.lineshapes) read is normally built as syntax nodes (segments, path, quantity,
comparison, indicator and their spans), pushed, reduced by the generic LALR loop into the
declaration's statement list, handed to the `DeclStream` (`fastpath._stream_reduce`), fed
to the resolver, turned into a `model.Indicator` and thrown away. Two shortcuts, both only
where the result is the same:

- `reducer`: the statement list's reduction (`__decl_star_n`) is done by the runner right
  after the line, exactly as `fastpath._stream_reduce` and the goto after it would do it.
  Where that applies is derived from the LALR tables (`lineshapes._list_reduces`: the
  state the statement is pushed in reduces the list on every lookahead, and the state after
  reads the next token with the same lexer and accepts nothing the state before declines).
- `fuser`: a comparison or qualitative indicator without attributes, or a field without
  items, written where the declaration's stream would feed it straight to the resolver (no
  waiver waiting above it, the profile known, its group open and not too deep), is built
  by the resolver from the match's positions (`_DeclResolver.plain_indicator`,
  `plain_field`), with no syntax node at all, when nothing about it may need a finding:
  its 一级/二级 pair already resolved (`_DeclResolver._levels`, shared per profile), three
  segments, a number short enough not to be PD-S007; a field the profile knows, not
  repeated, that does not look like an indicator with a colon in its name (PD-S009).
  Anything else (waivers, attributes, ranges, the lines before `模板:`, every statement that
  may have a finding) goes the usual way.

tests/test_streaming.py compiles every input fused and not, groups whole and statement by
statement, and unstreamed, and compares declarations (every span), waivers and diagnostics
in order.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

# kind -> the slot that must not have matched: an indicator's first attribute, a field's items
UNLESS = {"comparison": "ca0", "qualitative": "qa0", "field": "fi"}
LATER_SEGMENTS = ("s1", "s2", "s3")  # (lineshapes.MAX_SEGMENTS)
_new = tuple.__new__


def reducer(sink: Any, top: frozenset[int]) -> Callable[[Any, tuple[int, int], list[int], list[Any]], None]:
    """`reduce(node, (size, after), state_stack, value_stack)`: the statement list's reduction
    for `node`, just completed (the stacks end with the start state and what is below it):
    = `fastpath._stream_reduce` and the goto after it."""
    from perfdsl.fastpath import _Tree

    def offer(node: Any, below: int, values: list[Any]) -> bool:
        fn = sink.fn
        if fn is None:
            return False
        if below in top:  # a statement of the declaration's own list
            fn(node, None)
            return True
        return bool(sink.nested and fn(node, values))

    def reduce(node: Any, eff: tuple[int, int], state_stack: list[int], value_stack: list[Any]) -> None:
        size, after = eff
        if size == 2:  # one more statement: the list and its state stay where they are
            lst = value_stack.pop()
            if not offer(node, state_stack[-2], value_stack):
                lst.children.append(node)
            value_stack.append(lst)
        else:  # the list's first statement
            taken = offer(node, state_stack[-1], value_stack)
            state_stack.append(after)
            value_stack.append(_Tree([]) if taken else _Tree([node]))

    return reduce


def fuser(sink: Any, top: frozenset[int]) -> tuple[Callable[..., Any], Callable[..., Any]]:
    """(`fuse`, `build`).

    `fuse(kind, m, text, line, ls, p, tok, eff, state_stack, value_stack)`: the indicator or
    field of the shape's match `m` built straight into the model, and the stacks left as the
    list's reduction leaves them: where it went (the `DeclStream` or the group's `_Frame`), or
    None (nothing changed) where it must go the usual way.

    `build(kind, stream, where, prefix, m, text, line, ls, p, tok)`: the same for the next
    line of a run (perfdsl.shaperun `runner`), once the place is known: its span or None."""
    from perfdsl.colon_names import looks_like_indicator
    from perfdsl.fastpath import _Tree
    from perfdsl.numbers import MAX_INTEGER_DIGITS, fold_number
    from perfdsl.parser import _CTX, OP_NAMES, _unquote
    from perfdsl.source import Span

    def fuse(kind: str, m: Any, text: str, line: int, ls: int, p: str, tok: Any, eff: tuple[int, int],
             state_stack: list[int], value_stack: list[Any]) -> Any:
        unless = UNLESS.get(kind)
        if unless is None or m.start(unless) >= 0 or tok[2] != line:
            return None
        stream = sink.fused
        # where the statement list's reduction would hand it (fastpath._stream_reduce): the
        # declaration's own body, or the open group `take` would feed it in
        below = state_stack[-3] if eff[0] == 2 else state_stack[-2]  # (the entry token is still on)
        if below in top:
            where = stream if stream.fused_top() else None
        else:
            where = stream.fused_frame(value_stack, eff[0]) if sink.nested else None
        if where is None:
            return None
        span = build(kind, stream, where, () if where is stream else where.texts, m, text, line, ls, p, tok)
        if span is None:
            return None
        where.last = span
        del state_stack[-1]  # = the list's reduction, the statement taken
        del value_stack[-1]
        if eff[0] == 1:  # the list's first statement: an empty list
            state_stack.append(eff[1])
            value_stack.append(_Tree([]))
        return where

    def build(kind: str, stream: Any, where: Any, prefix: tuple[str, ...], m: Any, text: str, line: int, ls: int,
              p: str, tok: Any) -> Any:
        if kind == "field":
            return field(stream, where, prefix, m, text, line, ls, p, tok)
        return indicator(kind, stream, prefix, m, text, line, ls, p, tok)

    def indicator(kind: str, stream: Any, prefix: tuple[str, ...], m: Any, text: str, line: int, ls: int, p: str,
                  tok: Any) -> Any:
        """The indicator of the match given to the resolver: its span, or None (nothing done)."""
        a, b = m.span("s1")
        if not prefix:  # 一级.二级.名称 on the line
            c, d = m.span("s2")
            if a < 0 or c < 0 or m.start("s3") >= 0:
                return None
            words = _CTX.words
            w1, w2 = tok[1], text[a:b]
            w1, w2, w3 = words.setdefault(w1, w1), words.setdefault(w2, w2), text[c:d]
            ncol, nend = c - ls + 1, d - ls + 1
        elif len(prefix) == 1:  # 二级.名称 in a 一级 group
            if a < 0 or m.start("s2") >= 0:
                return None
            w2 = tok[1]
            w1, w2, w3 = prefix[0], _CTX.words.setdefault(w2, w2), text[a:b]
            ncol, nend = a - ls + 1, b - ls + 1
        elif len(prefix) == 2 and a < 0:  # 名称 in a 一级.二级 group
            w1, w2 = prefix
            w3, ncol, nend = tok[1], tok[3], tok[5]
        else:
            return None
        if kind == "comparison":  # (= _Builder.quantity, comparison; resolve's _target)
            a, b = m.span("cn")
            if b - a > MAX_INTEGER_DIGITS:  # (maybe PD-S007)
                return None
            value = Decimal(fold_number(text[a:b]))
            ua, ub = m.span("cu")
            if ua >= 0:
                unit: str | None = text[ua:ub]
            else:
                ua, ub = m.span("cp")
                unit = text[ua + 1:ub - 1] if ua >= 0 else None
            end = (ub if ua >= 0 else b) - ls + 1
            op, qual = OP_NAMES[m.group("op")], None
            tcol = m.start("op") - ls + 1
            ucol, uend = (ua - ls + 1, end) if ua >= 0 else (None, None)
        else:  # qualitative (= _Builder.plain_text or quoted_text, qualitative)
            a, b = m.span("qv")
            if a >= 0:
                qual = text[a:b]
            else:
                a, b = m.span("qs")
                qual = _unquote(text[a:b])
            op, value, unit, ucol, uend = "qual", None, None, None, None
            end, tcol = b - ls + 1, m.start("qk") - ls + 1
        if not stream.resolver.plain_indicator(w1, w2, w3, op, value, unit, qual,
                                               (p, line, tok[3], end, ncol, nend, ucol, uend, tcol)):
            return None
        return _new(Span, (p, line, tok[3], line, end))

    def field(stream: Any, where: Any, prefix: tuple[str, ...], m: Any, text: str, line: int, ls: int, p: str,
              tok: Any) -> Any:
        """The field of the match given to the resolver: its span, or None (nothing done)."""
        segs = [tok[1]]
        end = tok[5]
        for g in LATER_SEGMENTS:
            a, b = m.span(g)
            if a < 0:
                break
            segs.append(text[a:b])
            end = b - ls + 1
        parts = (*prefix, *segs)
        a, b = m.span("fv")
        if a >= 0:  # = _Builder.plain_text
            value: str | None = text[a:b]
            end = b - ls + 1
            span = _new(Span, (p, line, tok[3], line, end))
            at = _new(Span, (p, line, a - ls + 1, line, end))
            if (where is stream or where.colon) and looks_like_indicator(len(parts), value):  # (maybe PD-S009)
                return None
        else:
            value = None
            span = at = _new(Span, (p, line, tok[3], line, end))
        return span if stream.resolver.plain_field(parts, value, at, span) else None

    return fuse, build

"""Running the line shapes: the compiled `Shapes` and the runners perfdsl.fastpath calls.

perfdsl.lineshapes derives the shapes from the grammar's tables (what each regex matches,
in which LALR state, and how the stacks change after it); this module compiles that data
and, at the top of the replay loop, matches a line and builds the nodes the builder would
build (or hands a plain statement to perfdsl.fused), changing the stacks as the replay
would. The hand-written part is only the construction, each step marked with the builder
method it stands for; tests/test_fastpath.py and tests/test_streaming.py compare the result
with Lark and with the unstreamed compile.
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

from perfdsl.lineshapes import HEADER, MAX_ATTRS, MAX_SEGMENTS, STATS, VERSION

_new = tuple.__new__


class Shapes:
    """The compiled shapes: `entry` is the state after a statement's first NAME."""

    def __init__(self, data: dict[str, Any]) -> None:
        self.entry: int = data["entry"]
        self.pattern: str = data["pattern"]
        self.kinds: dict[str, list[str]] = data["kinds"]
        self.starts: dict[int, dict[str, Any]] = data["starts"]
        self.ends: dict[int, dict[str, Any]] = data["ends"]
        self.lists: dict[int, dict[int, tuple[int, int]]] = data["lists"]
        self.header: dict[str, Any] = data["header"]
        self._match: Any = None

    @property
    def match(self) -> Any:
        if self._match is None:  # compiled on first use (a one-file check may never need it)
            self._match = re.compile(self.pattern).match
        return self._match


def load(data: dict[str, Any] | None) -> Shapes | None:
    """The shapes of derived `data` (from the cache or `derive`), compiled; None if there are
    none or the data is not what this version derives (then the replay does everything)."""
    if not data or data.get("version") != VERSION:
        return None
    try:
        shapes = Shapes(data)
        shapes.match  # noqa: B018 (compiled now: a shape that cannot compile is never half-used)
        for end in shapes.ends.values():
            re.compile(end["pattern"])
            dict(end["gotos"])
            for lead in end.get("leads", {}).values():  # (a closer: see `closer`)
                re.compile(lead + end["pattern"])
            dict(end.get("lists", {}))
        if shapes.header:
            re.compile(shapes.header["pattern"])
            list(shapes.header["states"])
        return shapes
    except (KeyError, TypeError, ValueError, AttributeError, IndexError, re.error):
        return None


def runners(shapes: Shapes, builder: Any, on_nl: Any, token: type, sink: Any = None,
            top: frozenset[int] = frozenset()) -> dict[int, Any]:
    """state -> the function that tries the shapes in that state (see `runner`, `line_end`).

    `sink`, `top`: the fast path's stream sink (thread-local) and the states a declaration's
    own statement list starts in; with them a complete statement is handed over (or put in
    its list) by the runner itself (perfdsl.fused), None: every statement list reduction
    stays in the generic loop."""
    out = {shapes.entry: runner(shapes, builder, on_nl, token, sink, top)}
    for state, end in shapes.ends.items():
        if "size" in end:
            out.update(closer(state, end, builder, on_nl, token, sink, top))
        else:
            out[state] = line_end(end, builder, on_nl, token)
    head = shapes.header
    if head and head["start"] not in out:
        out[head["start"]] = header(head, builder, on_nl, token)
    return out


def newline(text: str, start: int, end: int, line: int, line_start: int, on_nl: Any, always: bool,
            token: type) -> tuple[int, int]:
    """The _NL token `text[start:end]`: the lexer callback sees it (`on_nl`: always, or, when it
    is perfdsl.parser's own, only if the token holds a comment), then the line counter moves
    on. Returns the line and the offset of its start after the token."""
    nl_line, nl_col = line, start - line_start + 1
    value = text[start:end]  # (short: cheaper than searching `text` between offsets)
    k = value.count("\n")
    if k:
        line += k
        line_start = start + value.rindex("\n") + 1
    if always or "#" in value:
        on_nl(_new(token, ("_NL", value, nl_line, nl_col, line, end - line_start + 1)))
    return line, line_start


def line_end(end: dict[str, Any], builder: Any, on_nl: Any, token: type) -> Any:
    """The runner for `rule: TERMINAL _NL` after TERMINAL: the rest of the line is its _NL;
    the node is the builder's own method called on the TERMINAL token."""
    from perfdsl import parser

    method = getattr(builder, end["method"])
    gotos = end["gotos"]
    compiled: list[Any] = []
    nl_needs_call = on_nl is not parser._on_nl
    hits = STATS

    def run(text: str, pos: int, line: int, line_start: int, state_stack: list[int],
            value_stack: list[Any]) -> tuple[int, int, int, Any] | None:
        target = gotos.get(state_stack[-2])
        if target is None:
            return None
        if not compiled:
            compiled.append(re.compile(end["pattern"]).match)
        m = compiled[0](text, pos)
        if m is None:
            hits["declined"] += 1
            return None
        nl_start, nl_end = m.span("nl")
        line, line_start = newline(text, nl_start, nl_end, line, line_start, on_nl, nl_needs_call, token)
        node = method([value_stack[-1]])
        hits[end["method"]] = hits.get(end["method"], 0) + 1
        del state_stack[-1]
        value_stack[-1] = node
        state_stack.append(target)
        return nl_end, line, line_start, None

    return run


def handed_next(m: Any, group: str, text: str, end: int, line: int, line_start: int,
                token: type) -> tuple[int, int, int, Any]:
    """A runner's return after a line read whole: (where the loop goes on, line, line start,
    the next statement's first NAME if the match read it in `group`, as the lexer would)."""
    a, b = m.span(group)
    if a < 0:
        return end, line, line_start, None
    STATS["next"] += 1
    return b, line, line_start, _new(token, ("NAME", text[a:b], line, a - line_start + 1, line, b - line_start + 1))


def header(head: dict[str, Any], builder: Any, on_nl: Any, token: type) -> Any:
    """The runner for a declaration's header line at the start of a chunk (see `_header`): the
    tokens as the generic loop would lex them, the one-token rules reduced by the builder's
    own methods, the recorded states pushed, and the next NAME handed back."""
    from perfdsl import parser

    states = tuple(head["states"])
    recipe = [(None, v) if type(v) is str else (getattr(builder, v[0]), v[1]) for v in head["values"]]
    terms = dict(HEADER)
    compiled: list[Any] = []
    nl_needs_call = on_nl is not parser._on_nl
    hits = STATS

    def run(text: str, pos: int, line: int, line_start: int, state_stack: list[int],
            value_stack: list[Any]) -> tuple[int, int, int, Any] | None:
        if len(state_stack) != 1:
            return None
        if not compiled:
            compiled.append(re.compile(head["pattern"]).match)
        m = compiled[0](text, pos)
        if m is None:
            return None
        nl_start, nl_end = m.span("hnl")
        if "\n" in text[pos:nl_start]:  # (the columns below assume one line)
            return None
        values = []
        for method, slot in recipe:
            if not slot:
                values.append(None)
                continue
            a, b = m.span(slot)  # = the generic loop's FastToken
            tok = _new(token, (terms[slot], text[a:b], line, a - line_start + 1, line, b - line_start + 1))
            values.append(tok if method is None else method([tok]))
        line, line_start = newline(text, nl_start, nl_end, line, line_start, on_nl, nl_needs_call, token)
        state_stack.extend(states)
        value_stack.extend(values)
        hits["header"] += 1
        return handed_next(m, "hx", text, nl_end, line, line_start, token)

    return run


def closer(entry: int, end: dict[str, Any], builder: Any, on_nl: Any, token: type, sink: Any,
           top: frozenset[int]) -> dict[int, Any]:
    """The runners for a longer rule ending in `TERMINAL _NL` (a group's `}`, see `_closers`):
    in the state after TERMINAL (`entry`, the generic loop shifted it) and in each state that
    shifts TERMINAL into it (`leads`: the regex reads TERMINAL too). One regex reads the rest
    of the line (and the next NAME), the rule is reduced as the generic loop reduces it, then
    its `?rule`s and, with a sink, the statement list."""
    from perfdsl import fused, parser
    from perfdsl.fastpath import kept_children

    method = getattr(builder, end["method"])
    size, include, gotos = end["size"], end["include"], end["gotos"]
    lists = end["lists"] if sink is not None else {}
    reduce = fused.reducer(sink, top)
    nl_needs_call = on_nl is not parser._on_nl
    hits = STATS
    n = size - 1  # the rule's symbols on the stack (its _NL is not shifted yet)
    compiled: dict[int, Any] = {}  # state -> match, compiled on first use

    def matcher(state: int) -> Any:
        found = compiled.get(state)
        if found is None:
            lead = end["leads"].get(state, "") if state != entry else ""
            found = compiled[state] = re.compile(lead + end["pattern"]).match
        return found

    def run(text: str, pos: int, line: int, line_start: int, state_stack: list[int],
            value_stack: list[Any]) -> tuple[int, int, int, Any] | None:
        state = state_stack[-1]
        lead = state != entry  # (TERMINAL not shifted yet: its state is not on the stack)
        below = state_stack[-size + lead]
        if gotos.get(below) is None:
            return None
        m = matcher(state)(text, pos)
        if m is None:
            if not lead:
                hits["declined"] += 1
            return None
        if lead:  # = the generic loop's shift of TERMINAL (filtered: no value)
            state_stack.append(entry)
            value_stack.append(None)
        nl_start, nl_end = m.span("nl")
        line, line_start = newline(text, nl_start, nl_end, line, line_start, on_nl, nl_needs_call, token)
        reduce_rule(below, state_stack, value_stack)
        hits["closer"] += 1
        return handed_next(m, "nx", text, nl_end, line, line_start, token)

    def reduce_rule(below: int, state_stack: list[int], value_stack: list[Any]) -> None:
        """= the generic loop's reduce of the rule (fastpath._parse), its goto and unit rules,
        and the statement list's reduction."""
        children = value_stack[-n:]
        children.append(None)  # (the _NL, a filtered terminal)
        node = method(kept_children(children, include))
        del state_stack[-n:]
        del value_stack[-n:]
        eff = lists.get(below)
        if eff is not None:
            reduce(node, eff, state_stack, value_stack)
        else:
            state_stack.append(gotos[below])
            value_stack.append(node)

    return {entry: run, **{state: run for state in end["leads"]}}


def runner(shapes: Shapes, builder: Any, on_nl: Any, token: type, sink: Any = None,
           top: frozenset[int] = frozenset()) -> Any:
    """A function that tries the shapes at the top of the replay loop (see fastpath._parse).

    `run(text, pos, line, line_start, state_stack, value_stack)`: with the stacks ending in
    (start state, entry) / (…, the first NAME token), and `pos` just after that NAME. On a
    match the stacks are changed as the replay would have changed them and the new
    (pos, line, line_start, next token or None) is returned; otherwise None and nothing is
    changed. The next token (the following statement's first NAME) is the one the lexer
    would read next, at the new `pos` minus its length: the loop takes it as lexed.
    """
    from perfdsl import ast, fused, parser
    from perfdsl.diagnostics import diag
    from perfdsl.numbers import MAX_INTEGER_DIGITS, fold_number, too_large
    from perfdsl.source import Span

    ctx = parser._CTX
    op_names = parser.OP_NAMES
    fold_grouped = parser._FOLD_GROUPED
    unquote = parser._unquote
    attrs_of = builder._attrs
    # parser._on_nl only collects comments: for an _NL without “#” calling it changes nothing
    nl_needs_call = on_nl is not parser._on_nl
    starts = shapes.starts
    kinds = shapes.kinds
    match = shapes.match
    hits = STATS
    later_segments = tuple(f"s{i}" for i in range(2, MAX_SEGMENTS))
    Segment, Path, Quantity, Comparison, Indicator = ast.Segment, ast.Path, ast.Quantity, ast.Comparison, ast.Indicator
    Text, Field = ast.Text, ast.Field
    attr_groups = {k: tuple(f"{k}a{i}" for i in range(MAX_ATTRS)) for k in "cqr"}
    lists = shapes.lists if sink is not None else {}
    reduce = fused.reducer(sink, top)
    fuse, build = fused.fuser(sink, top) if sink is not None else (None, None)
    unless_slot = fused.UNLESS

    def quantity(p: str, text: str, line: int, ls: int, m: Any, num: str, unit: str, paren: str) -> Any:
        # = _Builder.quantity
        a, b = m.span(num)
        t = text[a:b]
        if "," not in t and "，" not in t:
            raw = fold_number(t)
            value = Decimal(raw)
        else:
            raw = t.translate(fold_grouped)
            value = Decimal(fold_number(t))
        first = _new(Span, (p, line, a - ls + 1, line, b - ls + 1))
        if len(t) > MAX_INTEGER_DIGITS and too_large(value):
            ctx.diags.append(diag("PD-S007", first, text=t, limit=MAX_INTEGER_DIGITS))
        ua, ub = m.span(unit)
        if ua < 0:
            ua, ub = m.span(paren)
            if ua < 0:
                return _new(Quantity, (raw, value, None, first, None))
            unit_text = text[ua + 1:ub - 1]
        else:
            unit_text = text[ua:ub]
        end = ub - ls + 1
        uspan = _new(Span, (p, line, ua - ls + 1, line, end))
        unit_text = ctx.words.setdefault(unit_text, unit_text)
        return _new(Quantity, (raw, value, unit_text, _new(Span, (p, line, first[2], line, end)), uspan))

    def attrs(text: str, line: int, ls: int, m: Any, groups: tuple[str, ...]) -> tuple[tuple[Any, ...], int]:
        """(= _Builder._attrs of the ATTR tokens, the end column of the last one)"""
        toks = []
        for g in groups:
            a, b = m.span(g)
            if a < 0:
                break
            toks.append(_new(token, ("ATTR", text[a:b], line, a - ls + 1, line, b - ls + 1)))
        return attrs_of(toks), toks[-1][5]

    def run(text: str, pos: int, line: int, line_start: int, state_stack: list[int],
            value_stack: list[Any]) -> tuple[int, int, int, Any] | None:
        at = starts.get(state_stack[-2])
        if at is None:
            return None
        m = match(text, pos)
        if m is None:
            hits["declined"] += 1
            return None
        kind, nl, nx = kinds[m.lastgroup]
        info = at.get(kind)
        nl_start, nl_end = m.span(nl)
        if info is None or "\n" in text[pos:nl_start]:  # (spans below assume one line)
            hits["declined"] += 1
            return None
        ls = line_start
        p = ctx.path
        tok = value_stack[-1]
        eff = lists.get(state_stack[-2])
        if eff is not None:
            eff = eff.get(info if type(info) is int else info.get("goto", (None,))[0])
        where = fuse(kind, m, text, line, ls, p, tok, eff, state_stack, value_stack) \
            if eff is not None and fuse is not None and sink.fused is not None else None
        if where is not None:
            # the model's indicator or field is built and the statement handed over: no syntax nodes
            line, ls = newline(text, nl_start, nl_end, line, ls, on_nl, nl_needs_call, token)
            hits["fused"] += 1
            r = finish(kind, m, nx, text, nl_end, line, ls)
            return run_of(where, p, text, r, state_stack) if r[3] is not None else r
        first, path = path_of(m, text, line, ls, p, tok)
        node = node_of(kind, m, text, line, ls, p, first, path)
        line, ls = newline(text, nl_start, nl_end, line, ls, on_nl, nl_needs_call, token)
        push(kind, m, info, eff, first, path, node, state_stack, value_stack)
        return finish(kind, m, nx, text, nl_end, line, ls)

    def path_of(m: Any, text: str, line: int, ls: int, p: str, tok: Any) -> tuple[Any, Any]:
        """(the first NAME's span, the path) = _Builder.segment, _Builder.path: the first NAME
        is the token on the stack."""
        first = _new(Span, (p, tok[2], tok[3], tok[4], tok[5]))
        a, b = m.span("s1")
        if a < 0:
            return first, _new(Path, ((_new(Segment, (tok[1], first, False)),), first))
        words = ctx.words  # the leading segments share one copy of each word (as _Builder.path)
        t = tok[1]
        segs = [_new(Segment, (words.setdefault(t, t), first, False))]
        for g in later_segments:
            c, d = m.span(g)
            if c < 0:
                break
            t = text[a:b]
            segs.append(_new(Segment, (words.setdefault(t, t), _new(Span, (p, line, a - ls + 1, line, b - ls + 1)),
                                       False)))
            a, b = c, d
        segs.append(_new(Segment, (text[a:b], _new(Span, (p, line, a - ls + 1, line, b - ls + 1)), False)))
        return first, _new(Path, (tuple(segs), _new(Span, (p, first[1], first[2], line, b - ls + 1))))

    def node_of(kind: str, m: Any, text: str, line: int, ls: int, p: str, first: Any, path: Any) -> Any:
        """The statement's node (an indicator), a field's value (or None), or None (a group's head)."""
        if kind == "comparison":
            qty = quantity(p, text, line, ls, m, "cn", "cu", "cp")
            a, b = m.span("op")
            op_text = text[a:b]
            op_text = ctx.words.setdefault(op_text, op_text)
            target = _new(Comparison, (op_names[op_text], qty, op_text, _new(Span, (p, line, a - ls + 1, line,
                                                                                   b - ls + 1))))
            if m.start("ca0") < 0:
                return _new(Indicator, (path, target, (), _new(Span, (p, first[1], first[2], line, qty[3][4])), ()))
            found, end = attrs(text, line, ls, m, attr_groups["c"])
            return _new(Indicator, (path, target, found, _new(Span, (p, first[1], first[2], line, end)), ()))
        if kind == "qualitative":
            a, b = m.span("qk")
            kw_span = _new(Span, (p, line, a - ls + 1, line, b - ls + 1))
            kw = text[a:b]
            a, b = m.span("qv")
            if a >= 0:  # = _Builder.plain_text
                value = _new(Text, (text[a:b], "plain", _new(Span, (p, line, a - ls + 1, line, b - ls + 1))))
            else:  # = _Builder.quoted_text
                a, b = m.span("qs")
                value = Text(unquote(text[a:b]), "quoted", _new(Span, (p, line, a - ls + 1, line, b - ls + 1)))
            target = ast.Qualitative(value, kw, kw_span)
            found, end = attrs(text, line, ls, m, attr_groups["q"]) if m.start("qa0") >= 0 else ((), value[2][4])
            return Indicator(path, target, found, _new(Span, (p, first[1], first[2], line, end)))
        if kind == "ranged":
            a, b = m.span("rk")
            kw_span = _new(Span, (p, line, a - ls + 1, line, b - ls + 1))
            kw = text[a:b]
            low = quantity(p, text, line, ls, m, "rl", "lu", "lp")
            a, b = m.span("rs")
            sep = text[a:b]
            high = quantity(p, text, line, ls, m, "rh", "hu", "hp")
            target = ast.Range(low, high, kw, sep, kw_span)
            found, end = attrs(text, line, ls, m, attr_groups["r"]) if m.start("ra0") >= 0 else ((), high[3][4])
            return Indicator(path, target, found, _new(Span, (p, first[1], first[2], line, end)))
        if kind == "field":
            a, b = m.span("fv")  # = _Builder.plain_text
            return None if a < 0 else _new(Text, (text[a:b], "plain", _new(Span, (p, line, a - ls + 1, line,
                                                                                   b - ls + 1))))
        return None

    def push(kind: str, m: Any, info: Any, eff: Any, first: Any, path: Any, node: Any, state_stack: list[int],
             value_stack: list[Any]) -> None:
        """The stacks as the replay leaves them after the line (the entry state and token off)."""
        del value_stack[-1]
        del state_stack[-1]
        if kind == "field" and m.start("fi") < 0 and "goto" in info:
            # complete: = _Builder.field(children), no items
            last = path[1] if node is None else node[2]
            node = _new(Field, (path, node, (), _new(Span, (first[0], first[1], first[2], last[3], last[4])), ()))
            info = info["goto"][0]
        elif kind == "field":  # items follow: the stack as after _NL, for the replay
            if node is None:
                state_stack.extend(info[""])
                value_stack.extend((path, None, None))
            else:
                state_stack.extend(info["fv"])
                value_stack.extend((path, None, node, None))
            return
        elif kind == "group":  # a group's head: the stack as after _NL, for the replay
            state_stack.extend(info[""])
            value_stack.extend((path, None, None))
            return
        if eff is not None:  # the statement list's reduction, here (see perfdsl.fused)
            reduce(node, eff, state_stack, value_stack)
        else:
            state_stack.append(info)
            value_stack.append(node)

    def run_of(where: Any, p: str, text: str, r: tuple[int, int, int, Any],
               state_stack: list[int]) -> tuple[int, int, int, Any]:
        """After a fused line that read the next NAME (`r`): the following lines fused as well
        while they can be, in the same place, each one more statement of the same list (so
        nothing on the stacks, the declaration's stream, its open groups or the resolver
        changes between them); the first that cannot goes back to the generic loop, with its
        NAME as the next token (it then comes back to `one`)."""
        pos, line, ls, tok = r
        at, at_lists = starts.get(state_stack[-1]), lists.get(state_stack[-1])
        if at is None or at_lists is None:
            return r
        stream = sink.fused
        prefix = () if where is stream else where.texts
        while True:
            m = match(text, pos)
            if m is None:
                return pos, line, ls, tok
            kind, nl, nx = kinds[m.lastgroup]
            info = at.get(kind)
            if info is None:
                return pos, line, ls, tok
            eff = at_lists.get(info if type(info) is int else info.get("goto", (None,))[0])
            if eff is None or eff[0] != 2:
                return pos, line, ls, tok
            unless = unless_slot.get(kind)
            nl_start, nl_end = m.span(nl)
            if unless is None or m.start(unless) >= 0 or "\n" in text[pos:nl_start] or tok[2] != line:
                return pos, line, ls, tok
            span = build(kind, stream, where, prefix, m, text, line, ls, p, tok)
            if span is None:
                return pos, line, ls, tok
            where.last = span
            line, ls = newline(text, nl_start, nl_end, line, ls, on_nl, nl_needs_call, token)
            hits["fused"] += 1
            pos, line, ls, tok = finish(kind, m, nx, text, nl_end, line, ls)
            if tok is None:
                return pos, line, ls, tok

    def finish(kind: str, m: Any, nx: str, text: str, nl_end: int, line: int,
               ls: int) -> tuple[int, int, int, Any]:
        """The runner's result: the next statement's first NAME, as the lexer would read it next
        (see _next), if the regex read it."""
        hits[kind] += 1
        a, b = m.span(nx) if nx else (-1, -1)
        if a >= 0:
            name = text[a:b]
            if "\n" not in name:
                hits["next"] += 1
                return b, line, ls, _new(token, ("NAME", name, line, a - ls + 1, line, b - ls + 1))
        return nl_end, line, ls, None

    return run

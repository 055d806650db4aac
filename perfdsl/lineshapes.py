"""Line-level statement shapes for the fast path: one regex match and direct AST nodes per line.

This module derives the shapes from the grammar's tables; perfdsl.shaperun compiles and runs them.

perfdsl.fastpath replays Lark's LALR parser token by token. Most lines of a declaration
are one of a few statement shapes (an indicator `产出.数量.人数 >= 2600 人`, a field
`年度: 2024`, a group head `产出 {`, an item `- 文字`). For those, this module matches the
rest of the line with one regex and builds the nodes the builder would build, without
replaying each shift and reduce.

What is written by hand here is only each shape's *token sequence* (`TEMPLATES`, over the
grammar's terminal names, e.g. path CMP NUMBER (UNIT|PAREN_UNIT)? ATTR{0,2} _NL) and the
code that builds its nodes (the same values as perfdsl.parser._Builder). Everything else
is derived from the tables the fast path reads out of Lark (`derive`):

- where a shape applies: in the state after the first NAME of a statement, when the state
  below is one with a goto on `indicator` (a statement may start there);
- every concrete token sequence of each template is run through the LALR tables from each
  such state: a shape is enabled there only if all its sequences are accepted, reduce
  through exactly the builder methods the hand-written construction stands for, and leave
  the expected symbols on the stack (`_expect`);
- the regex of each token is its terminal's own regex (`pattern.to_regexp()`), guarded so
  that it matches only where the contextual lexer of the state it is lexed in would produce
  that token: a negative lookahead over the terminals that come *before* it in that
  lexer's order (Lark's scanner takes the first alternative that matches; terminals that
  cannot start with the same character are left out, perfdsl.firstchars), matched atomically as
  the scanner matches it. Ignored whitespace between tokens is guarded the same way. So a
  line the regex matches is tokenised exactly as Lark's lexer would tokenise it; anything
  else falls back to the token-by-token replay;
- rules of the form `rule: TERMINAL _NL` (item, waiver) are found in the tables
  (`_line_ends`): after the replay shifted TERMINAL, one regex reads the _NL and the
  builder's own method builds the node.

A shape ends in one of two ways (`mode`):
- "goto": the statement is complete at its _NL (indicators; a field no `- item` follows).
  The node is pushed with the goto of its nonterminal (through `?stmt`), and the following
  reductions (the statement list) run in the generic loop. Used only where the state Lark
  lexes the next token in (after _NL) and the pushed state read the next token the same
  way and accept the same tokens.
- "prefix": the statement goes on (a field's items, a group's body): the stack is left as
  the replay would leave it after _NL (the states from the simulation, the nodes), and
  the generic loop continues.
The regex also reads the next statement's first NAME where that lexer would read one
(`_next`), and hands it to the loop as its next token.

Also derived from the tables: where the runner may do the statement list's reduction itself
(`_list_reduces`, used with perfdsl.fused, which builds plain indicators and fields straight
into the model), and rules longer than two symbols that end in `TERMINAL _NL` (a group's
closing `}`, `_closers`): one regex reads the `}`, its _NL and the next NAME, and the rule is
reduced as the generic loop would reduce it. Optional parts are written `(?:x|)`, not
`(?:x)?`: the same match, but Python's engine runs `?` over a group as a general repeat in
which every branch and lookahead copies all ~80 capture marks.

Compiling the regex costs ~10–30 ms, so perfdsl.fastpath uses the shapes only once a
process has parsed enough text (SHAPES_AFTER_CHARS). tests/test_fastpath.py compares the
result with Lark (whole AST, spans, diagnostics, comments) and counts shape hits.
"""

from __future__ import annotations

import re
import sys
from typing import Any

from perfdsl import firstchars

VERSION = 17  # part of the fast path's cache key: bump when templates or construction change
MAX_SEGMENTS = 4  # a path of more segments goes to the replay (PD-S008 territory anyway)
MAX_ATTRS = 2

# Hits per shape kind, and lines where a shape was tried but none matched (this process).
STATS: dict[str, int] = {"declined": 0, "comparison": 0, "qualitative": 0, "ranged": 0, "field": 0, "group": 0,
                         "item": 0, "waiver": 0, "next": 0, "fused": 0,
                         "closer": 0, "header": 0}

_new = tuple.__new__
_ATOMIC_GROUPS = sys.version_info >= (3, 11)  # `(?>…)`; before 3.11 a capturing lookahead does the same

# --- templates: token sequences over the grammar's terminal names ----------------------
# ("tok", slot, TERMINAL) | ("opt", [nodes]) | ("alt", [[nodes], [nodes], ...])
# | ("follows", slot): an empty group where the next token is one the state after _NL shifts
# | ("next", slot, TERMINAL): the next token, read ahead (never simulated: it is a lookahead)


# A declaration's header line, from the start state of a chunk (`decl: DECL_KW title? _LBRACE _NL …`,
# the written title only: a quoted or missing one goes to the replay). See `_header`.
HEADER = (("hk", "DECL_KW"), ("ht", "TITLE"), ("hl", "_LBRACE"), ("hnl", "_NL"))


def _tok(slot: str, term: str) -> tuple[str, str, str]:
    return ("tok", slot, term)


def _opt(*nodes: Any) -> tuple[str, list[Any]]:
    return ("opt", list(nodes))


def _alt(*branches: list[Any]) -> tuple[str, list[Any]]:
    return ("alt", list(branches))


def _path_rest(i: int = 1) -> list[Any]:
    """The path after its first NAME (already shifted by the replay): (_DOT NAME){0,3}."""
    if i >= MAX_SEGMENTS:
        return []
    return [_opt(_tok(f"d{i}", "_DOT"), _tok(f"s{i}", "NAME"), *_path_rest(i + 1))]


def _attrs(prefix: str, i: int = 0) -> list[Any]:
    if i >= MAX_ATTRS:
        return []
    return [_opt(_tok(f"{prefix}a{i}", "ATTR"), *_attrs(prefix, i + 1))]


def _next(slot: str) -> tuple[str, str, str]:
    """The next statement's first NAME, read ahead where the lexer of the state after _NL
    would read it (an empty match otherwise): handed to the replay loop as its next token."""
    return ("next", slot, "NAME")


def _unit(prefix: str) -> Any:
    return _opt(_alt([_tok(f"{prefix}u", "UNIT")], [_tok(f"{prefix}p", "PAREN_UNIT")]))


# kind -> (tail template after the path, the _NL slot (names the kind in `lastgroup`), mode)
TEMPLATES: dict[str, tuple[list[Any], str, str]] = {
    "comparison": ([_tok("op", "CMP"), _tok("cn", "NUMBER"), _unit("c"), *_attrs("c"), _tok("cnl", "_NL"),
                    _next("cx")], "cnl", "goto"),
    "qualitative": ([_tok("qk", "QUAL_KW"), _alt([_tok("qv", "QUAL_TEXT")], [_tok("qs", "STRING")]), *_attrs("q"),
                     _tok("qnl", "_NL"), _next("qx")],
                    "qnl", "goto"),
    "ranged": ([_tok("rk", "RANGE_KW"), _tok("rl", "NUMBER"), _unit("l"), _tok("rs", "RANGE_SEP"),
                _tok("rh", "NUMBER"), _unit("h"), *_attrs("r"), _tok("rnl", "_NL"), _next("rx")], "rnl", "goto"),
    # A field goes on with `- items` on the next lines: if the lexer would read one next
    # (`fi` matches, empty), the stack is left for the replay ("prefix"); otherwise the field
    # is complete and pushed like an indicator.
    "field": ([_tok("fc", "_COLON"), _opt(_tok("fv", "FIELD_TEXT")), _tok("fnl", "_NL"), ("follows", "fi"),
               _next("fx")], "fnl", "prefix"),
    "group": ([_tok("gb", "_LBRACE"), _tok("gnl", "_NL"), _next("gx")], "gnl", "prefix"),
}


def _sequences(nodes: list[Any]) -> list[list[tuple[str, str]]]:
    """Every concrete token sequence [(slot, TERMINAL), …] of a template."""
    out: list[list[tuple[str, str]]] = [[]]
    for node in nodes:
        if node[0] in ("follows", "next"):
            continue
        if node[0] == "tok":
            out = [[*s, (node[1], node[2])] for s in out]
        elif node[0] == "opt":
            out = [s + t for s in out for t in [[], *_sequences(node[1])]]
        else:
            out = [s + t for s in out for b in node[1] for t in _sequences(b)]
    return out


def _star(sym: str) -> bool:
    return sym.startswith("__")


def _expect(kind: str, seq: list[tuple[str, str]]) -> tuple[list[str], list[str]]:
    """The builder methods the construction stands for, and the symbols on the stack above
    the start state before the statement's own reduce (goto) or at the end (prefix)."""
    slots = {slot for slot, _t in seq}
    n = sum(1 for s in slots if re.fullmatch(r"s\d", s))
    attrs = any(re.fullmatch(r"[a-z]a\d", s) for s in slots)
    methods = ["segment"] * n + ["path"]
    if kind == "comparison":
        return [*methods, "quantity", "comparison"], ["path", "CMP", "quantity"] + (["*"] if attrs else []) + ["_NL"]
    if kind == "qualitative":
        return [*methods, "plain_text" if "qv" in slots else "quoted_text", "qualitative"], \
            ["path", "QUAL_KW", "qual_value"] + (["*"] if attrs else []) + ["_NL"]
    if kind == "ranged":
        return [*methods, "quantity", "quantity", "ranged"], \
            ["path", "RANGE_KW", "quantity", "RANGE_SEP", "quantity"] + (["*"] if attrs else []) + ["_NL"]
    if kind == "field":
        value = "fv" in slots
        return [*methods, *(["plain_text"] if value else []), "field"], \
            ["path", "_COLON", *(["value"] if value else []), "_NL"]
    return methods, ["path", "_LBRACE", "_NL"]  # group head


def _simulate(actions: dict[int, dict[str, tuple[bool, int]]], rules: list[Any], start: int,
              seq: list[tuple[str, str]]) -> tuple[list[int], list[str], dict[str, int], list[str]] | None:
    """Run token types through the LALR tables from `start`: (state stack, symbol stack,
    the state each slot is lexed in, builder methods reduced), or None if rejected."""
    stack, syms = [start], []
    lexed: dict[str, int] = {}
    methods: list[str] = []
    for slot, term in seq:
        lexed[slot] = stack[-1]  # the contextual lexer runs in the state before the reductions
        while True:
            act = actions.get(stack[-1], {}).get(term)
            if act is None:
                return None
            if act[0]:
                stack.append(act[1])
                syms.append(term)
                break
            origin, size, method = rules[act[1]][0], rules[act[1]][1], rules[act[1]][2]
            if size >= len(stack):  # would pop the start state: not inside one statement
                return None
            if size:
                del stack[-size:]
                del syms[-size:]
            if method:
                methods.append(method)
            goto = actions.get(stack[-1], {}).get(origin)
            if goto is None or not goto[0]:
                return None
            stack.append(goto[1])
            syms.append(origin)
    return stack, syms, lexed, methods


def derive(data: dict[str, Any]) -> dict[str, Any]:
    """The shapes for the fast path's derived `data` (plain data, cached with it)."""
    actions: dict[int, dict[str, tuple[bool, int]]] = data["actions"]
    rules = data["rules"]
    lexer_of: dict[int, int] = data["lexer_of"]
    orders: list[list[tuple[str, str]]] = data["lexers"]
    nonterminals = {r[0] for r in rules}
    filtered = set(data["filtered"])
    if len(data["ignore"]) != 1:
        return {}
    ignore = data["ignore"][0]
    regex_of: dict[str, str] = {}
    for order in orders:
        for name, rx in order:
            if regex_of.setdefault(name, rx) != rx or re.compile(rx).groups:
                return {}
    starts = sorted(s for s, row in actions.items() if "indicator" in row and "NAME" in row and row["NAME"][0])
    after_name = {actions[s]["NAME"][1] for s in starts}
    if len(after_name) != 1:  # one state after a statement's first NAME, or no shapes
        return {}
    entry = after_name.pop()

    if any(data["unless"]) or not re.fullmatch(r"\[[^\[\]]*\]\+", regex_of.get(ignore, "")):
        return {}  # keywords rewritten by the lexer, or an ignored terminal that may follow itself
    per_start: dict[int, dict[str, Any]] = {}
    slot_lexers: dict[str, set[int]] = {}
    follows: dict[str, set[int]] = {}
    kinds: list[str] = []
    for kind, (tail, _nl, mode) in TEMPLATES.items():
        template = _path_rest() + tail
        seqs = _sequences(template)
        enabled: dict[int, Any] = {}
        for s in starts:
            info = _check(kind, mode, s, seqs, actions, rules, lexer_of, nonterminals, filtered, slot_lexers,
                          orders, follows)
            if info is not None:
                enabled[s] = info
        if enabled:
            kinds.append(kind)
            for s, info in enabled.items():
                per_start.setdefault(s, {})[kind] = info
    if not kinds:
        return {}
    lexer_slots = {slot: sorted(ls) for slot, ls in slot_lexers.items()}
    firsts = {name: firstchars.first(rx) for name, rx in regex_of.items()}
    shares: dict[tuple[str, str], bool] = {}
    every_char: list[list[str]] = []  # built at most once, dropped with this call

    def every() -> list[str]:
        if not every_char:
            every_char.append(firstchars.every_char())
        return every_char[0]

    def may_share(a: str, b: str) -> bool:
        if (a, b) not in shares:
            shares[a, b] = firstchars.may_share_first(firsts[a], firsts[b], every)
        return shares[a, b]

    def tok_rx(slot: str, term: str) -> str:
        states = lexer_slots.get(slot, [])
        before: list[str] = []
        ign_before: list[str] = []
        for li in states:
            names = [n for n, _r in orders[li]]
            if term not in names or ignore not in names:
                raise ValueError("a token outside its lexer")
            for n in names[:names.index(term)]:
                if n not in before and may_share(n, term):
                    before.append(n)
            for n in names[:names.index(ignore)]:
                if n not in ign_before and may_share(n, ignore):
                    ign_before.append(n)
        gap = _atomic(f"w_{slot}", regex_of[ignore], ign_before, regex_of)
        return _optional(gap) + _atomic(slot, regex_of[term], before, regex_of)

    def follows_rx(slot: str) -> str:
        """An empty group `slot` where the lexer would read a `follows` terminal next."""
        alts = []
        for term, lexers in sorted(follows.items()):
            before: list[str] = []
            ign_before: list[str] = []
            for li in sorted(lexers):
                names = [n for n, _r in orders[li]]
                before += [n for n in names[:names.index(term)] if n not in before and may_share(n, term)]
                ign_before += [n for n in names[:names.index(ignore)] if n not in ign_before and may_share(n, ignore)]
            gap = _atomic(f"w_{slot}_{term}", regex_of[ignore], ign_before, regex_of)
            guard = "|".join(f"(?:{regex_of[n]})" for n in before)
            alts.append(_optional(gap) + (f"(?!{guard})" if guard else "") + f"(?:{regex_of[term]})")
        return _optional(f"(?=(?:{'|'.join(alts)}))(?P<{slot}>)") if alts else ""

    def next_rx(kind: str, slot: str, term: str) -> str:
        """An optional group `slot`: the next token, where the lexer after _NL reads `term`."""
        before: list[str] = []
        for li in lexer_slots.get(f"next:{kind}", []):
            names = [n for n, _r in orders[li]]
            if term not in names:
                return ""
            before += [n for n in names[:names.index(term)] if n not in before and may_share(n, term)]
        if term in filtered or term in data["callback_types"] or not lexer_slots.get(f"next:{kind}"):
            return ""
        return _optional(_atomic(slot, regex_of[term], before, regex_of))

    def rx(nodes: list[Any], kind: str = "") -> str:
        parts = []
        for node in nodes:
            if node[0] == "next":
                parts.append(next_rx(kind, node[1], node[2]))
            elif node[0] == "follows":
                parts.append(follows_rx(node[1]))
            elif node[0] == "tok":
                parts.append(tok_rx(node[1], node[2]))
            elif node[0] == "opt":
                parts.append(_optional(rx(node[1], kind)))
            else:
                parts.append("(?:" + "|".join(rx(b, kind) for b in node[1]) + ")")
        return "".join(parts)

    try:
        tails = "|".join(rx(TEMPLATES[k][0], k) for k in kinds)
        pattern = rx(_path_rest()) + f"(?:{tails})"
    except ValueError:
        return {}
    names: dict[str, list[str]] = {}  # the last group -> [kind, its _NL slot, its next-token slot]
    for k in kinds:
        tail, nl, _mode = TEMPLATES[k]
        nx = [node[1] for node in tail if node[0] == "next"]
        names[nl] = [k, nl, nx[0] if nx and f"(?P<{nx[0]}>" in pattern else ""]
        if names[nl][2]:
            names[nx[0]] = names[nl]
    if follows and "field" in kinds:
        names["fi"] = names["fnl"]  # (the last group when an item follows)
    ends = _line_ends(actions, rules, lexer_of, orders, nonterminals, ignore, regex_of, may_share)
    for state, found in _closers(data, nonterminals, may_share).items():
        ends.setdefault(state, found)
    return {"version": VERSION, "entry": entry, "pattern": pattern, "kinds": names, "starts": per_start,
            "ends": ends, "lists": _list_reduces(per_start, data, nonterminals),
            "header": _header(data, nonterminals, may_share)}


def _same_lexer(data: dict[str, Any]) -> Any:
    """`same(a, b)`: states `a` and `b` lex alike (Lark may build equal lexers twice)."""
    lexer_of = data["lexer_of"]

    def same(a: int, b: int) -> bool:
        i, j = lexer_of[a], lexer_of[b]
        return data["lexers"][i] == data["lexers"][j] and data["unless"][i] == data["unless"][j]

    return same


def _closers(data: dict[str, Any], nonterminals: set[str], may_share: Any) -> dict[int, Any]:
    """Rules longer than two symbols that end in `TERMINAL _NL` (a group's closing `}`), found
    in the tables: for the state after TERMINAL (`entry`, shifted by the generic loop), the
    rule (its size, method and how its children are kept, as the generic loop reduces it),
    the regex of the rest of the line (its _NL and, where the lexer after _NL would read one,
    the next statement's first NAME), and per state below the rule the state to push the
    node in (`?rule` reductions followed) and the statement list's reduction after it.

    Used only where every state on the way (after _NL, the rule's goto, the unit reductions)
    reads the next token with the same lexer and reduces on every token the final state
    accepts, so a token Lark would decline is declined here too."""
    from perfdsl.fastpath import _is_list_rule

    actions, rules, lexer_of, orders = data["actions"], data["rules"], data["lexer_of"], data["lexers"]
    same = _same_lexer(data)
    origin_list = data.get("stream_origin") or ""
    if "_NL" not in data["filtered"] or len(data["ignore"]) != 1:
        return {}
    ignore = data["ignore"][0]
    regex_of = {name: rx for order in orders for name, rx in order}

    def terms(state: int) -> set[str]:
        return {sym for sym in actions[state] if sym not in nonterminals}

    def names_of(state: int) -> list[str]:
        return [n for n, _r in orders[lexer_of[state]]]

    def token_rx(slot: str, term: str, state: int) -> str:
        """`term` lexed in `state` (after ignored whitespace), as its lexer would lex it."""
        names = [n for n, _r in orders[lexer_of[state]]]
        before = [n for n in names[:names.index(term)] if may_share(n, term)]
        ign_before = [n for n in names[:names.index(ignore)] if may_share(n, ignore)]
        return _optional(_atomic('w_' + slot, regex_of[ignore], ign_before, regex_of)) + \
            _atomic(slot, regex_of[term], before, regex_of)

    out: dict[int, Any] = {}
    for state, row in sorted(actions.items()):
        for term, act in sorted(row.items()):
            if term in nonterminals or not act[0] or term == "_NL":
                continue
            entry = act[1]
            nl = actions[entry].get("_NL")
            if nl is None or not nl[0] or len(actions[entry]) != 1:
                continue
            if entry in out:  # another state shifting TERMINAL into it: it may read TERMINAL too
                if out[entry]["term"] == term and term in data["filtered"] and ignore in names_of(state):
                    out[entry]["leads"][state] = token_rx("lead", term, state)
                continue
            last = nl[1]
            row_last = {sym: a for sym, a in actions[last].items() if sym not in nonterminals}
            chosen = {a[1] for a in row_last.values() if not a[0]}
            if not row_last or any(a[0] for a in row_last.values()) or len(chosen) != 1:
                continue
            origin, size, method, expand1, include = rules[chosen.pop()]
            if size <= 2 or not method or expand1:
                continue
            gotos, lists = {}, {}
            for below, brow in actions.items():
                goto = brow.get(origin)
                if goto is None or not goto[0] or not same(goto[1], last):
                    continue
                target = _through_unit_rules(goto[1], below, actions, rules, nonterminals,
                                             lambda state, last=last: same(state, last))
                eff = _list_reduce(below, target, actions, rules, same, nonterminals, origin_list, _is_list_rule)
                final = eff[1] if eff is not None else target
                if not same(final, last) or not terms(final) <= terms(last) & terms(target):
                    continue
                gotos[below] = target
                if eff is not None:
                    lists[below] = eff
            if not gotos:
                continue
            if ignore not in names_of(entry) or "_NL" not in names_of(entry):
                continue
            pattern = token_rx("nl", "_NL", entry)
            if "NAME" in names_of(last) and ignore in names_of(last) and "NAME" not in data["filtered"] \
                    and "NAME" not in data["callback_types"]:  # (read as Lark reads the next token: after _NL)
                pattern += _optional(token_rx('nx', 'NAME', last))
            leads = {state: token_rx("lead", term, state)} if term in data["filtered"] and \
                ignore in names_of(state) else {}
            out[entry] = {"method": method, "size": size, "include": include, "gotos": gotos, "lists": lists,
                          "pattern": pattern, "term": term, "leads": leads}
    return out


def _header(data: dict[str, Any], nonterminals: set[str], may_share: Any) -> dict[str, Any]:
    """The `HEADER` line read by one regex at the start of a chunk, or {} (the replay reads it).

    Simulated on the LALR table from the start state: each token is lexed in the state the
    generic loop would lex it in (its regex guarded as the closers' are, after optional
    ignored whitespace), each reduction on the way must be a one-token rule with a builder
    method (`title: TITLE`), and the stacks after the line's _NL are recorded: `states` to
    push, and `values` (a token's slot, "" for a filtered terminal, [method, slot] for a
    reduced token). Then, where that state's lexer would read one, the next NAME (`hx`)."""
    actions, rules, lexer_of, orders = data["actions"], data["rules"], data["lexer_of"], data["lexers"]
    if len(data["ignore"]) != 1 or "_NL" not in data["filtered"]:
        return {}
    ignore = data["ignore"][0]
    regex_of = {name: rx for order in orders for name, rx in order}
    filtered, callbacks = set(data["filtered"]), set(data["callback_types"])

    def names_of(state: int) -> list[str]:
        return [n for n, _r in orders[lexer_of[state]]]

    def token_rx(slot: str, term: str, state: int) -> str:
        names = names_of(state)
        before = [n for n in names[:names.index(term)] if may_share(n, term)]
        ign_before = [n for n in names[:names.index(ignore)] if may_share(n, ignore)]
        return _optional(_atomic("w_" + slot, regex_of[ignore], ign_before, regex_of)) + \
            _atomic(slot, regex_of[term], before, regex_of)

    stack: list[int] = [data["start"]]
    values: list[Any] = []
    pattern = ""
    for slot, term in HEADER:
        if term not in names_of(stack[-1]) or ignore not in names_of(stack[-1]):
            return {}
        if (term in callbacks) != (term == "_NL") or (term == "_NL") != (slot == "hnl"):
            return {}
        pattern += token_rx(slot, term, stack[-1])  # (lexed in the state on top before any reduction)
        act = actions[stack[-1]].get(term)
        while act is not None and not act[0]:  # a reduction with `term` as lookahead
            origin, size, method, expand1, include = rules[act[1]]
            if size != 1 or not method or expand1 or include is not None or type(values[-1]) is not str \
                    or not values[-1]:
                return {}
            values[-1] = [method, values[-1]]
            stack.pop()
            goto = actions[stack[-1]].get(origin)
            if goto is None or not goto[0]:
                return {}
            stack.append(goto[1])
            act = actions[stack[-1]].get(term)
        if act is None:
            return {}
        stack.append(act[1])
        values.append("" if term in filtered else slot)
    last = stack[-1]
    if "NAME" in names_of(last) and ignore in names_of(last) and "NAME" not in filtered and "NAME" not in callbacks:
        pattern += _optional(token_rx("hx", "NAME", last))  # (read as Lark reads the next token: after _NL)
    return {"start": data["start"], "pattern": pattern, "states": stack[1:], "values": values}


def _list_reduces(per_start: dict[int, dict[str, Any]], data: dict[str, Any],
                  nonterminals: set[str]) -> dict[int, dict[int, tuple[int, int]]]:
    """start state -> {state a complete statement is pushed in: (size, state after)} where the
    next reduction is that of the declaration's statement list (`__decl_star_n`, where the
    stream sink is offered the statement, fastpath._stream_reduce), for every lookahead.

    The runner then does that reduction itself, without the generic loop: size 1 (the list's
    first statement) leaves the start state and pushes the list in `state after`; size 2 (one
    more statement) pops the list and the start state and pushes them back (the start state is
    the list's goto). Used only where the state after reads the next token with the same lexer
    and accepts no token the pushed state would not have reduced on (so both decline alike)."""
    from perfdsl.fastpath import _is_list_rule

    actions, rules = data["actions"], data["rules"]
    origin = data.get("stream_origin") or ""
    same_lexer = _same_lexer(data)

    out: dict[int, dict[int, tuple[int, int]]] = {}
    for start, per_kind in per_start.items():
        pushed = {info for info in per_kind.values() if type(info) is int}
        pushed |= {info["goto"][0] for info in per_kind.values() if type(info) is dict and "goto" in info}
        for state in sorted(pushed):
            found = _list_reduce(start, state, actions, rules, same_lexer, nonterminals, origin, _is_list_rule)
            if found is not None:
                out.setdefault(start, {})[state] = found
    return out


def _list_reduce(start: int, state: int, actions: Any, rules: Any, same_lexer: Any,
                 nonterminals: set[str], origin: str, is_list_rule: Any) -> tuple[int, int] | None:
    terms = {sym: act for sym, act in actions[state].items() if sym not in nonterminals}
    chosen = {act[1] for act in terms.values() if not act[0]}
    if not origin or not terms or any(act[0] for act in terms.values()) or len(chosen) != 1:
        return None
    rule_origin, size, _method, _expand1, include = rules[chosen.pop()]
    if rule_origin != origin or not is_list_rule(size, include):
        return None
    if size == 1:
        goto = actions[start].get(origin)
        if goto is None or not goto[0]:
            return None
        after = goto[1]
    else:  # the start state must be the list's goto: every way into it is on the list symbol
        into = [sym for row in actions.values() for sym, act in row.items() if act[0] and act[1] == start]
        if not into or any(sym != origin for sym in into):
            return None
        after = start
    accepted = {sym for sym in actions[after] if sym not in nonterminals}
    if not same_lexer(after, state) or not accepted <= set(terms):
        return None
    return size, after


def _line_ends(actions: Any, rules: Any, lexer_of: dict[int, int], orders: list[list[tuple[str, str]]],
               nonterminals: set[str], ignore: str, regex_of: dict[str, str], may_share: Any) -> dict[int, Any]:
    """Rules of the form `rule: TERMINAL _NL` (item, waiver), found in the tables: for the
    state after TERMINAL (`entry`), the builder method, the regex of the rest of the line and,
    per state below, the state to push the node in (the generic loop lexes the next token
    there: it must use the lexer Lark uses after _NL, and `?rule` reductions are followed)."""
    ends: dict[int, Any] = {}
    for below, row in sorted(actions.items()):
        for term, act in sorted(row.items()):
            if term in nonterminals or not act[0]:
                continue
            entry = act[1]
            nl = actions[entry].get("_NL")
            if nl is None or not nl[0] or len(actions[entry]) != 1:
                continue  # the state after TERMINAL must expect exactly _NL
            last = nl[1]
            terms = [a for sym, a in actions[last].items() if sym not in nonterminals]
            chosen = {a[1] for a in terms if not a[0]}
            if not terms or any(a[0] for a in terms) or len(chosen) != 1:
                continue
            origin, size, method, expand1, include = rules[chosen.pop()]
            if size != 2 or not method or expand1 or [list(i) for i in include or ()] != [[0, False]]:
                continue  # the method must get exactly [the TERMINAL token]
            goto = actions[below].get(origin)
            if goto is None or not goto[0] or lexer_of[goto[1]] != lexer_of[last]:
                continue
            target = _through_unit_rules(goto[1], below, actions, rules, nonterminals,
                                         lambda state, last=last: lexer_of[state] == lexer_of[last])
            found = ends.setdefault(entry, {"method": method, "gotos": {}})
            if found["method"] != method:
                return {}
            found["gotos"][below] = target
    for entry, found in ends.items():
        names = [n for n, _r in orders[lexer_of[entry]]]
        before = [n for n in names[:names.index("_NL")] if may_share(n, "_NL")]
        ign_before = [n for n in names[:names.index(ignore)] if may_share(n, ignore)]
        found["pattern"] = _optional(_atomic('w_nl', regex_of[ignore], ign_before, regex_of)) + \
            _atomic("nl", regex_of["_NL"], before, regex_of)
    return ends


def _optional(regex: str) -> str:
    """`(?:regex)?`, written as an alternation with an empty branch: the same match (greedy:
    `regex` first, then nothing), but Python's engine compiles `(?:…)?` over anything longer
    than one character into a general repeat, inside which every branch and lookahead saves
    all the capture groups' marks (a copy of the whole marks array): with the shapes' ~80
    named groups that was a quarter of the line shapes' time."""
    return f"(?:{regex}|)"


def _atomic(name: str, regex: str, before: list[str], regex_of: dict[str, str]) -> str:
    """`regex` matched as the scanner matches it (first match, no backtracking into it),
    only where none of the terminals `before` it matches."""
    guard = "|".join(f"(?:{regex_of[n]})" for n in before)
    if _ATOMIC_GROUPS:
        atom = f"(?P<{name}>(?>{regex}))" if not name.startswith("w_") else f"(?>{regex})"
    else:  # a lookahead is atomic: capture in it, then consume what it captured
        atom = f"(?=(?P<{name}>{regex}))(?P={name})"
    return (f"(?!{guard})" if guard else "") + atom


def _complete(start: int, stack: list[int], actions: Any, rules: Any, lexer_of: dict[int, int],
              orders: list[list[tuple[str, str]]], nonterminals: set[str], method: str,
              follows: dict[str, set[int]]) -> int | None:
    """For a prefix shape whose rule may be complete at the end of the line (a field without
    items): the state to push its node in when the next token is none of the terminals the
    state after _NL shifts (`follows`: those terminals, with the lexers the runtime lookahead
    must use), or None.

    Lark lexes the next token in the state after _NL (`last`); the generic loop will lex it in
    the pushed state. They agree when the pushed state's lexer order is `last`'s without the
    shifted terminals (then `last`'s lexer picks one of those, or the same as the other)."""
    last = stack[-1]
    terms = {sym: act for sym, act in actions[last].items() if sym not in nonterminals}
    shifted = {sym for sym, act in terms.items() if act[0]}
    chosen = {act[1] for act in terms.values() if not act[0]}
    if len(chosen) != 1:
        return None
    origin, size, name = rules[chosen.pop()][:3]
    if size != len(stack) - 1 or name != method:
        return None
    order = [n for n, _r in orders[lexer_of[last]]]

    def agrees(state: int) -> bool:
        keys = {sym for sym in actions[state] if sym not in nonterminals}
        return keys == set(terms) - shifted and \
            [n for n, _r in orders[lexer_of[state]]] == [n for n in order if n not in shifted]

    goto = actions[start].get(origin)
    if goto is None or not goto[0] or not agrees(goto[1]):
        return None
    for t in shifted:
        follows.setdefault(t, set()).add(lexer_of[last])
    return _through_unit_rules(goto[1], start, actions, rules, nonterminals, agrees)


def _check(kind: str, mode: str, start: int, seqs: list[list[tuple[str, str]]], actions: Any, rules: Any,
           lexer_of: dict[int, int], nonterminals: set[str], filtered: set[str],
           slot_lexers: dict[str, set[int]], orders: list[list[tuple[str, str]]],
           follows: dict[str, set[int]]) -> Any:
    """The shape's data for `start`, or None if any of its sequences does not behave as expected."""
    goto_state: int | None = None
    complete = True
    prefix: dict[str, list[int]] = {}
    lexers: dict[str, set[int]] = {}
    for seq in seqs:
        full = [("s0", "NAME"), *seq]
        sim = _simulate(actions, rules, start, full)
        if sim is None:
            return None
        stack, syms, lexed, methods = sim
        want_methods, want_syms = _expect(kind, full)
        got_syms = ["*" if _star(s) else s for s in syms]
        if got_syms != want_syms:
            return None
        if mode == "goto":
            last = stack[-1]
            terms = {sym: act for sym, act in actions[last].items() if sym not in nonterminals}
            reduce_rules = {act[1] for act in terms.values() if not act[0]}
            if not terms or any(act[0] for act in terms.values()) or len(reduce_rules) != 1:
                return None
            rule = rules[reduce_rules.pop()]
            if rule[1] != len(stack) - 1 or not rule[2] or [*methods, rule[2]] != want_methods:
                return None
            goto = actions[start].get(rule[0])
            if goto is None or not goto[0] or lexer_of[goto[1]] != lexer_of[last]:
                return None
            target = _through_unit_rules(goto[1], start, actions, rules, nonterminals,
                                         lambda state, last=last: lexer_of[state] == lexer_of[last])
            if goto_state is not None and goto_state != target:
                return None
            goto_state = target
        else:
            done = want_methods[-1:] if want_methods[-1:] == [kind] else []  # the rule's own method, if any
            if methods + done != want_methods or any(t not in nonterminals and t not in filtered for t in syms):
                return None  # (the replay pushes no token for a filtered terminal: None)
            key = "fv" if any(slot == "fv" for slot, _t in seq) else ""
            if prefix.setdefault(key, stack[1:]) != stack[1:]:
                return None
            if done and complete:  # complete unless a shifted terminal follows: where does it go then?
                target = _complete(start, stack, actions, rules, lexer_of, orders, nonterminals, kind, follows)
                if target is None or (goto_state is not None and goto_state != target):
                    complete = False  # (always left to the replay then)
                goto_state = target
        for slot, state in lexed.items():
            if slot != "s0":
                lexers.setdefault(slot, set()).add(lexer_of[state])
        lexers.setdefault(f"next:{kind}", set()).add(lexer_of[stack[-1]])  # where the next token is lexed
    for slot, ls in lexers.items():
        slot_lexers.setdefault(slot, set()).update(ls)
    if mode == "goto":
        return goto_state
    if complete and goto_state is not None:
        prefix["goto"] = [goto_state]
    return prefix


def _through_unit_rules(state: int, start: int, actions: Any, rules: Any, nonterminals: set[str],
                       agrees: Any) -> int:
    """Follow `?rule: x` reductions (expand1, one child: the node itself, e.g. `?stmt: indicator`)
    from `state`, while each state on the way reads the next token as the state Lark lexes it
    in does (`agrees`) and does nothing but that reduction. A statement list
    (`__decl_star_*`) is never passed: its reductions stay in the generic loop."""
    while True:
        terms = [act for sym, act in actions[state].items() if sym not in nonterminals]
        chosen = {act[1] for act in terms if not act[0]}
        if not terms or any(act[0] for act in terms) or len(chosen) != 1:
            return state
        origin, size, method, expand1 = rules[chosen.pop()][:4]
        if size != 1 or not expand1 or method or _star(origin):
            return state
        goto = actions[start].get(origin)
        if goto is None or not goto[0] or not agrees(goto[1]):
            return state
        state = goto[1]


# --- runtime ---------------------------------------------------------------------------

"""The grammar-derived fast path: Lark's own LALR tables and lexers, run without Lark.

grammar/perfdsl.lark stays the only definition of the syntax. Everything this module
knows about it is *derived* from the compiled Lark parser, never written by hand:

- the terminals and, for every parser state, the contextual lexer's terminal order
  (`pattern.to_regexp()`, after Lark's own priority sort and its string-vs-regex
  "unless" rewriting), the ignored terminals and the lexer callback terminals;
- the LALR(1) action/goto table and, for every rule (`Lark.rules`), how its children
  are filtered and inlined (`_x`/`__x_star_n` rules, `?rule`, filtered `_TERMINALS`) and
  which builder method it calls.

`parse` replays exactly what Lark's LALR parser and contextual lexer do (same regexes in
the same order, same shift/reduce decisions, same callbacks on the same children), minus
Lark's per-token machinery (Token objects, line counter, wrapper chains). It only ever
*accepts*: on the first character no terminal matches, or the first token the table has
no action for, it returns None and the caller gives the chunk to Lark unchanged, so
every syntax error, recovery and message stays Lark's. tests/test_fastpath.py compares
the two over the corpus, all fixtures, the examples and generated and mutated inputs.

What is derived is cached as `marshal` data (plain dicts, tuples and strings, never
pickle; perfdsl.marshalcache) beside Lark's grammar cache, keyed by the grammar text, the
Lark version, the Python version and this module's format, so a file the fast path
accepts never imports Lark. A cache entry that is unreadable, stale, fails its checksum
or does not have the expected shape is ignored and derived again. A grammar change changes the key: the fast path
follows it without any edit here.
"""

from __future__ import annotations

import gc
import os
import re
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from perfdsl.record import Record, fields

FORMAT = 3  # bump when the shape of the derived data changes
_new = tuple.__new__

# Accepted / declined chunks in this process (reported by benchmarks/run.py).
STATS = {"accepted": 0, "declined": 0}
# The line shapes (perfdsl.lineshapes) are one regex that takes ~10–30 ms to compile and save
# ~5–10 µs per statement: they are used once this process has parsed this many characters
# (about 3,000 statements: a one-file check never pays for them, a corpus check uses them
# from its ~30th file on, one big declaration at once).
SHAPES_AFTER_CHARS = 64_000
# Plain indicator lines go from the line shape straight to the resolver (perfdsl.fused) when
# a stream sink is active; False: always through the syntax nodes (tests compare the two).
FUSED = True


class FastToken(Record):
    """A token with the attributes the builder reads from Lark's `Token`."""

    __slots__ = ()
    _fields = ("type", "value", "line", "column", "end_line", "end_column")
    type, value, line, column, end_line, end_column = fields(*_fields)

    def __new__(cls, type: str, value: str, line: int, column: int, end_line: int, end_column: int) -> FastToken:
        return _new(cls, (type, value, line, column, end_line, end_column))


class _Tree:
    """What Lark builds for a rule without a callback (only ever inlined into its parent)."""

    __slots__ = ("children",)

    def __init__(self, children: list[Any]) -> None:
        self.children = children


class Tables:
    """The derived data, compiled for use: matchers per parser state, actions, rules."""

    def __init__(self, data: dict[str, Any], material: str | None = None) -> None:
        self.start: int = data["start"]
        self.end: int = data["end"]
        self.ignore = frozenset(data["ignore"])
        self.newline_types = frozenset(data["newline_types"])
        self.callback_types = frozenset(data["callback_types"])
        self.filtered = frozenset(data["filtered"])
        # Compiled on first use, as Lark does: a one-file check reaches only some of the states.
        self.match: dict[int, Callable[..., Any]] = _Matchers(data["lexers"], data["lexer_of"])
        unless = [{t: re.compile(p) for t, p in u.items()} for u in data["unless"]]
        self.unless: dict[int, dict[str, Any]] = {s: unless[i] for s, i in data["lexer_of"].items() if unless[i]}
        self.actions: dict[int, dict[str, tuple[bool, int]]] = data["actions"]
        self.rules: list[tuple[str, int, str, bool, tuple[tuple[int, bool], ...] | None]] = data["rules"]
        self.bound: dict[int, dict[int, dict[str, tuple[bool, Any]]]] = {}  # id(builder) -> bound actions
        # The rules that grow a declaration's top-level statement list (Lark's `__decl_star_N`
        # for `decl: … stmt* …`): where `parse(sink=…)` hands each finished statement over.
        # Lark shares one list rule between `decl` and `group` (both write `stmt*`): the
        # states in which a declaration's own list starts (`stream_states`, derived) tell the
        # top level from a group's body.
        self.stream_states = frozenset(data["stream_states"])
        self.stream_origins = frozenset(o for o, size, _m, _e, include in self.rules
                                        if o == data["stream_origin"] and _is_list_rule(size, include))
        if not self.stream_states or any(o == data["stream_origin"] and not _is_list_rule(size, include)
                                         for o, size, _m, _e, include in self.rules):
            self.stream_origins = frozenset()  # an unexpected shape: hand nothing over
        self.sink = threading.local()  # .fn: the sink of this thread's parse; .states: its state stack
        # Line-level statement shapes (perfdsl.lineshapes), derived from the same data when
        # first wanted (`_shapes`), cached beside it when `material` is this grammar's.
        self.data = data
        self.material = material
        self.shapes: Any = False  # not yet loaded
        self.runners: dict[tuple[int, int], Any] = {}  # (id(builder), id(on_nl)) -> shape runner
        self.parsed_chars = 0  # text given to `parse` in this process (see SHAPES_AFTER_CHARS)


def _is_list_rule(size: int, include: tuple[tuple[int, bool], ...] | None) -> bool:
    """`x*` as Lark writes it: `__x_star_n: item` or `__x_star_n: __x_star_n item`."""
    return (size == 1 and include is None) or (size == 2 and include == ((0, True), (1, False)))


def _stream_reduce(sink: threading.local, top: frozenset[int], children: list[Any]) -> _Tree:
    """The reduce of a `__decl_star_n` rule: offer the new statement to the sink, if any.

    A statement of the declaration's own list is always handed over (`fn(stmt, None)`);
    one of a nested list (a group's body: Lark shares the rule) is offered with the value
    stack below the list (`fn(stmt, values)`: the open groups' path nodes are on it), and
    the sink says whether it took it. A statement handed over is not kept in the list, so
    its declaration or group node is built without it.
    """
    fn = getattr(sink, "fn", None)
    if fn is not None:
        if sink.states[-1] in top:  # (the children are already popped)
            fn(children[-1], None)
            return children[0] if len(children) == 2 else _Tree([])
        if sink.nested and fn(children[-1], sink.values):
            return children[0] if len(children) == 2 else _Tree([])
    if len(children) == 2:
        children[0].children.append(children[1])
        return children[0]
    return _Tree([children[0]])


class _Matchers(dict):  # type: ignore[type-arg]
    """state -> the `match` of its lexer's scanner regex, compiled when first asked for."""

    def __init__(self, lexers: list[list[tuple[str, str]]], lexer_of: dict[int, int]) -> None:
        super().__init__()
        self._lexers, self._lexer_of = lexers, lexer_of
        self._compiled: dict[int, Callable[..., Any]] = {}

    def __missing__(self, state: int) -> Callable[..., Any]:
        i = self._lexer_of[state]
        found = self._compiled.get(i)
        if found is None:
            found = self._compiled[i] = re.compile(_scanner_pattern(self._lexers[i])).match
        self[state] = found
        return found


def _scanner_pattern(order: list[tuple[str, str]]) -> str:
    """Lark's scanner regex for one lexer state (`Scanner._build_mres`): `(?P<NAME>regex)`
    for each terminal, in the lexer's order, so `lastgroup` names the terminal Lark picks."""
    return "|".join(f"(?P<{name}>{regex})" for name, regex in order)


def parse(tables: Tables, text: str, builder: Any, on_nl: Callable[[Any], Any],
          first_line: int = 1, *, sink: Callable[[Any, Any], Any] | None = None,
          nested: bool = False, fused: Any = None) -> list[Any] | None:
    """The value Lark's `parse(text)` would return with `builder` as transformer, or None.

    `first_line`: the line number of `text`'s first line in the file (Lark's line counter
    started there, as perfdsl.parser does for each declaration).
    `sink(stmt, values)`: given each statement of a declaration as soon as it is parsed
    (see `_stream_reduce`; those of groups' bodies only if `nested`); the nodes are then
    built without the statements it takes. `fused`: the sink's `DeclStream`, whose resolver
    the line shapes may give plain indicators without building their nodes (perfdsl.fused).

    None means "not fully accepted": the caller must give `text` to Lark.
    """
    gc_was = gc.isenabled()
    gc.disable()  # as in parser._run: the value stack is rescanned otherwise
    tables.sink.fn = sink
    tables.sink.nested = nested
    tables.sink.fused = fused if sink is not None and FUSED else None
    try:
        result = _parse(tables, text, builder, on_nl, first_line)
    finally:
        tables.sink.fn = tables.sink.states = tables.sink.values = tables.sink.fused = None
        if gc_was:
            gc.enable()
    STATS["declined" if result is None else "accepted"] += 1
    return result


def _parse(tables: Tables, text: str, builder: Any, on_nl: Callable[[Any], Any],
           first_line: int = 1) -> list[Any] | None:
    match = tables.match
    unless = tables.unless
    ignore = tables.ignore
    newline_types = tables.newline_types
    callback_types = tables.callback_types
    filtered = tables.filtered  # (a frozenset: do not reuse the name below)
    actions = tables.bound.get(id(builder))
    if actions is None:  # reduce actions carry their rule, with the builder's method bound
        actions = tables.bound[id(builder)] = _bind(tables, builder)
    tables.parsed_chars += len(text)  # (first: one big declaration uses the shapes at once)
    shape_at = _shape_runners(tables, builder, on_nl)
    state_stack = [tables.start]
    value_stack: list[Any] = []
    tables.sink.states = state_stack  # (read by _stream_reduce)
    tables.sink.values = value_stack
    end_state = tables.end
    pos = 0
    size_text = len(text)
    line = first_line
    line_start = 0
    typ = "$END"
    while True:
        if pos < size_text:
            run_shape = shape_at.get(state_stack[-1])  # e.g. after a statement's first NAME: line shapes
            r = run_shape(text, pos, line, line_start, state_stack, value_stack) if run_shape is not None else None
            if r is not None:  # the shape pushed the line's nodes and maybe read the next token
                pos, line, line_start, tok = r
                if tok is None:
                    continue
                typ = tok[0]
            else:
                m = match[state_stack[-1]](text, pos)
                if m is None:
                    return None
                typ = m.lastgroup
                end = m.end()
                value = text[pos:end]
                tline, tcol = line, pos - line_start + 1
                if typ in newline_types:
                    k = value.count("\n")
                    if k:
                        line += k
                        line_start = pos + value.rindex("\n") + 1
                pos = end
                if typ in ignore:
                    continue
                if unless:
                    u = unless.get(state_stack[-1], {}).get(typ)
                    if u is not None:  # Lark's UnlessCallback: a keyword the regex also matched
                        um = u.fullmatch(value)
                        if um is not None:
                            typ = um.lastgroup
                if typ in callback_types:  # (derive() refuses a callback on an "unless" terminal)
                    tok = on_nl(_new(FastToken, (typ, value, tline, tcol, line, end - line_start + 1)))
                    if typ in filtered:
                        tok = None
                elif typ in filtered:  # no rule keeps it: no token object needed
                    tok = None
                else:
                    tok = _new(FastToken, (typ, value, tline, tcol, line, end - line_start + 1))  # = FastToken(...)
        else:
            tok = None
            typ = "$END"
        while True:
            act = actions[state_stack[-1]].get(typ)
            if act is None:
                return None
            if act[0]:  # shift
                if typ == "$END":
                    return None
                state_stack.append(act[1])
                value_stack.append(tok)
                break
            origin, size, cb, expand1, include = act[1]
            if size:
                children = value_stack[-size:]
                del state_stack[-size:]
                del value_stack[-size:]
            else:
                children = []
            if include is not None:
                children = kept_children(children, include)
            if expand1 and len(children) == 1:
                result = children[0]
            else:
                result = cb(children) if cb is not None else _Tree(children)
            goto = actions[state_stack[-1]].get(origin)
            if goto is None or not goto[0]:
                return None
            state_stack.append(goto[1])
            value_stack.append(result)
            if typ == "$END" and goto[1] == end_state:
                out = value_stack[-1]
                return out if isinstance(out, list) else None


def use_shapes_now() -> None:
    """Use the line shapes from the next text on (they are compiled when first used): for a
    run known to be long enough to pay for them (perfdsl.parallel; forked workers inherit
    this), instead of after SHAPES_AFTER_CHARS of text in each process. A run whose files
    all come from the file cache (`--cache`) parses nothing and compiles nothing."""
    found = tables()
    if found is not None:
        found.parsed_chars = max(found.parsed_chars, SHAPES_AFTER_CHARS)


def fusing(tables: Tables) -> bool:
    """Whether plain indicators will be fused (perfdsl.fused) in the next parse: then handing
    groups' bodies over statement by statement costs less than building the groups' nodes,
    and perfdsl.parser does so in files of any size (perfdsl.stream.GROUPS_AFTER_CHARS)."""
    return FUSED and tables.parsed_chars >= SHAPES_AFTER_CHARS and not env_flag("PERFDSL_NO_SHAPES")


_ENV_KEYS: dict[str, Any] = {}


def env_flag(name: str) -> bool:
    """`bool(os.environ.get(name))`, read afresh at every call (tests set the flags with
    monkeypatch while running) but without `os.environ`'s per-call key encoding (~0.7 µs, and
    the fast path asks up to three times per declaration): the key is encoded once and looked
    up in the mapping's own data, which every `os.environ[...] = …`, `del` and `putenv`-backed
    update changes. A replaced `os.environ` without that data is asked the ordinary way."""
    env = os.environ
    data = getattr(env, "_data", None)
    encode = getattr(env, "encodekey", None)
    if type(data) is not dict or encode is None:
        return bool(env.get(name))
    key = _ENV_KEYS.get(name)
    if key is None:
        key = _ENV_KEYS[name] = encode(name)
    return bool(data.get(key))


def kept_children(children: list[Any], include: tuple[tuple[int, bool], ...]) -> list[Any]:
    """The children a rule's callback gets (Lark's `ChildFilter`): those at the `include`
    positions, the children of an inlined one (`_x`, `__x_star_n`) in its place."""
    kept: list[Any] = []
    for i, inline in include:
        if inline:
            kept = kept + children[i].children if kept else children[i].children
        else:
            kept.append(children[i])
    return kept


def _shape_runners(tables: Tables, builder: Any, on_nl: Callable[[Any], Any]) -> dict[int, Any]:
    """state -> the line-shape runner to try there (perfdsl.lineshapes), or {}: shapes build
    what perfdsl.parser._Builder builds, so they run only with that builder."""
    if tables.parsed_chars < SHAPES_AFTER_CHARS or env_flag("PERFDSL_NO_SHAPES"):
        return _NO_SHAPES
    cls = type(builder)
    if cls.__name__ != "_Builder" or cls.__module__ != "perfdsl.parser":
        return _NO_SHAPES
    key = (id(builder), id(on_nl))
    found = tables.runners.get(key)
    if found is None:
        shapes = _shapes(tables)
        if shapes is None:
            return _NO_SHAPES
        from perfdsl import shaperun

        sink = tables.sink if tables.stream_origins else None  # (see perfdsl.fused)
        found = tables.runners[key] = shaperun.runners(shapes, builder, on_nl, FastToken, sink, tables.stream_states)
    return found


def _shapes(tables: Tables) -> Any:
    """The tables' line shapes (perfdsl.shaperun.Shapes) or None: loaded from their own cache
    entry (keyed by the tables' material and the shapes' version) or derived, on first use."""
    if tables.shapes is not False:
        return tables.shapes
    from perfdsl import lineshapes, marshalcache, shaperun

    material = None
    if tables.material is not None:
        material = f"{tables.material}\0shapes {lineshapes.VERSION} {lineshapes.TEMPLATES!r}"
    data = marshalcache.load("lineshapes", material) if material is not None else None
    shapes = shaperun.load(data)
    if shapes is None:
        try:
            data = lineshapes.derive(tables.data)
        except Exception:  # (a grammar the shapes do not understand: the replay does everything)
            data = {}
        if material is not None:
            marshalcache.store("lineshapes", material, data)
        shapes = shaperun.load(data)
    tables.shapes = shapes
    return shapes


_NO_SHAPES: dict[int, Any] = {}


def _bind(tables: Tables, builder: Any) -> dict[int, dict[str, tuple[bool, Any]]]:
    """The action table with each reduce's rule inlined: (origin, size, method, expand1, include)."""
    from functools import partial

    stream = partial(_stream_reduce, tables.sink, tables.stream_states)
    rules = [(origin, size, stream, False, None) if origin in tables.stream_origins else
             (origin, size, getattr(builder, name) if name else None, expand1, include)
             for origin, size, name, expand1, include in tables.rules]
    return {state: {sym: (act[0], act[1] if act[0] else rules[act[1]]) for sym, act in row.items()}
            for state, row in tables.actions.items()}


# --- deriving the tables from Lark, and caching them --------------------------------------


def grammar_text() -> str:
    """grammar/perfdsl.lark, read as a file (no importlib.resources at start)."""
    from perfdsl.marshalcache import data_file

    return data_file("grammar", "perfdsl.lark")


def _lark_version() -> str | None:
    """Lark's version without importing it (its __init__ assigns __version__)."""
    from importlib.util import find_spec

    try:
        spec = find_spec("lark")
    except (ImportError, ValueError):
        return None
    if spec is None or not spec.origin:
        return None
    try:
        src = Path(spec.origin).read_text(encoding="utf-8")
    except OSError:
        return None
    m = re.search(r"""^__version__\s*(?::\s*str\s*)?=\s*["']([^"']+)["']""", src, re.M)
    return m.group(1) if m else None


def _builder_methods(builder_cls: type) -> str:
    return ",".join(sorted(n for n in dir(builder_cls) if not n.startswith("_")))


_TABLES: dict[str, Tables | None] = {}


def tables() -> Tables | None:
    """The fast path's tables for the current grammar, or None if they cannot be had."""
    if env_flag("PERFDSL_NO_FASTPATH"):
        return None
    found = _TABLES.get("current", False)
    if found is not False:
        return found  # type: ignore[return-value]
    result: Tables | None
    try:
        result = _load_or_derive()
    except Exception:  # a Lark whose internals differ: everything goes to Lark
        result = None
    _TABLES["current"] = result
    return result


def cache_material() -> str | None:
    """What the derived tables depend on: the cache entry is used only if this is equal."""
    from perfdsl.parser import _Builder

    version = _lark_version()
    if version is None:
        return None
    return f"fastpath {FORMAT}\0{grammar_text()}\0lark {version}\0python {sys.version_info[:3]}\0" \
           f"{_builder_methods(_Builder)}"


def _load_or_derive() -> Tables | None:
    from perfdsl import marshalcache

    material = cache_material()
    if material is not None:
        data = marshalcache.load("fastpath", material)
        if data is not None:
            try:
                return Tables(data, material)
            except (re.error, KeyError, TypeError, ValueError, IndexError, AttributeError):
                pass
    from perfdsl.parser import _Builder, get_parser

    data = derive(get_parser(), _Builder)
    if material is not None:
        marshalcache.store("fastpath", material, data)
    return Tables(data, material)


def derive(lark_parser: Any, builder_cls: type) -> dict[str, Any]:
    """Read the tables out of a compiled Lark (LALR, contextual lexer) parser.

    Raises if the parser uses something the fast path does not replay (then `tables()`
    returns None and everything goes to Lark).
    """
    from lark.lexer import UnlessCallback
    from lark.parsers.lalr_analysis import Shift

    frontend = lark_parser.parser
    table = frontend.parser.parser.parse_table
    lexer = frontend.lexer
    conf = lark_parser.lexer_conf
    if lark_parser.options.parser != "lalr" or type(lexer).__name__ != "ContextualLexer":
        raise ValueError("the fast path replays LALR with the contextual lexer only")
    if conf.g_regex_flags or conf.use_bytes or lark_parser.options.maybe_placeholders:
        raise ValueError("unsupported lexer or tree options")
    if lark_parser.options.propagate_positions or lark_parser.options.keep_all_tokens:
        raise ValueError("unsupported tree options")
    if lark_parser.options.postlex is not None:
        raise ValueError("a postlexer is not replayed")
    user_callbacks = set(conf.callbacks)
    if user_callbacks & set(conf.ignore):
        raise ValueError("callbacks on ignored terminals are not replayed")
    term_names = {t.name for t in lark_parser.terminals}
    if any(hasattr(builder_cls, name) for name in term_names):
        raise ValueError("terminal callbacks on the transformer are not replayed")

    # Terminals that every rule drops (`_NAME`): the fast path builds no token for them.
    kept = {str(sym.name) for rule in lark_parser.rules for sym in rule.expansion if sym.is_term and not sym.filter_out}
    filtered = {str(name) for name in term_names if name not in kept}
    rule_index: dict[Any, int] = {}
    rules: list[tuple[str, int, str, bool, tuple[tuple[int, bool], ...] | None]] = []
    for rule in lark_parser.rules:
        opts = rule.options
        if opts.keep_all_tokens or getattr(opts, "template_source", None):
            raise ValueError("unsupported rule options")
        include = tuple((i, (not sym.is_term) and sym.name.startswith("_"))
                        for i, sym in enumerate(rule.expansion) if not (sym.is_term and sym.filter_out))
        needs_filter = len(include) < len(rule.expansion) or any(inline for _i, inline in include)
        name = str(rule.alias or rule.origin.name)  # Lark's names may be Token (str subclasses)
        method = name if hasattr(builder_cls, name) else ""
        if not method and not rule.origin.name.startswith("_") and not opts.expand1:
            raise ValueError(f"rule {name} has no builder method")
        rule_index[rule] = len(rules)
        rules.append((str(rule.origin.name), len(rule.expansion), method, bool(opts.expand1 and not rule.alias),
                      include if needs_filter else None))

    actions: dict[int, dict[str, tuple[bool, int]]] = {}
    for state, acts in table.states.items():
        row: dict[str, tuple[bool, int]] = {}
        for sym, (action, arg) in acts.items():
            if action is Shift:
                row[str(sym)] = (True, int(arg))
            else:
                row[str(sym)] = (False, rule_index[arg])
        actions[int(state)] = row

    stream_origin, stream_states = _stream_states(lark_parser, table, Shift)

    lexers: list[list[tuple[str, str]]] = []
    unless: list[dict[str, str]] = []
    lexer_of: dict[int, int] = {}
    seen: dict[int, int] = {}
    newline_types: set[str] = set()
    for state, basic in lexer.lexers.items():
        if id(basic) not in seen:
            scanner = basic.scanner  # builds it: terminal order after Lark's own rewriting
            order = [(str(t.name), str(t.pattern.to_regexp())) for t in scanner.terminals]
            if len(scanner._mres) != 1 or scanner._mres[0].pattern != _scanner_pattern(order):
                raise ValueError("the scanner is not one alternation of its terminals")
            lexers.append(order)
            u: dict[str, str] = {}
            for tname, cb in basic.callback.items():
                if isinstance(cb, UnlessCallback):
                    if len(cb.scanner._mres) != 1:
                        raise ValueError("unsupported unless scanner")
                    u[str(tname)] = str(cb.scanner._mres[0].pattern)
                elif cb is not conf.callbacks.get(tname):  # e.g. a CallChain (unless + user callback)
                    raise ValueError(f"unsupported lexer callback on {tname}")
            unless.append(u)
            newline_types |= {str(n) for n in basic.newline_types}
            seen[id(basic)] = len(lexers) - 1
        lexer_of[int(state)] = seen[id(basic)]
    return {
        "format": FORMAT,
        "start": int(table.start_states["start"]),
        "end": int(table.end_states["start"]),
        "ignore": sorted(str(n) for n in conf.ignore),
        "newline_types": sorted(newline_types),
        "callback_types": sorted(str(n) for n in user_callbacks),
        "filtered": sorted(filtered),
        "lexers": lexers,
        "unless": unless,
        "lexer_of": lexer_of,
        "actions": actions,
        "rules": rules,
        "stream_origin": stream_origin,
        "stream_states": sorted(stream_states),
    }


def _stream_states(lark_parser: Any, table: Any, shift: Any) -> tuple[str, list[int]]:
    """The statement list of `decl` (the start rule's item) and the states in which it starts.

    The list is the `__x_star_n` symbol in the rules of the start rule's own items (`decl`
    for `start: … decl*`); its start states are found by walking the symbols before it in
    each such rule from every state that can shift the first of them. ("", []) if the
    grammar has no such list: then nothing is handed over while parsing.
    """
    start_items = {sym.name for rule in lark_parser.rules if rule.origin.name == "start"
                   for sym in rule.expansion if not sym.is_term}
    start_items |= {sym.name for rule in lark_parser.rules if rule.origin.name in start_items
                    and rule.origin.name.startswith("__") for sym in rule.expansion if not sym.is_term}
    found: set[int] = set()
    origin = ""
    for rule in lark_parser.rules:
        if rule.origin.name not in start_items or rule.origin.name.startswith("_"):
            continue
        names = [str(sym.name) for sym in rule.expansion]
        lists = [i for i, n in enumerate(names) if n.startswith(f"__{rule.origin.name}_star_")]
        if len(lists) != 1:
            continue
        k = lists[0]
        if origin and names[k] != origin:
            return "", []
        origin = names[k]
        for state in table.states:
            cur: Any = state
            for sym in names[:k]:
                act = table.states[cur].get(sym)
                if act is None or act[0] is not shift:
                    cur = None
                    break
                cur = act[1]
            if cur is not None and origin in table.states[cur]:
                found.add(int(cur))
    return origin, sorted(found)

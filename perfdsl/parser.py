"""Parse .perf text into the AST, reporting every syntax error in one pass.

Lark LALR(1) with the contextual lexer and an inline transformer: no parse tree is
built, the AST comes straight out of the parser (measured ~48x faster than Earley and
~25 MB instead of 2 GB on 50k lines). Errors are recovered at statement level (panic
mode): the rest of the bad line is skipped and the LALR stack is unwound to a state
where a new statement or declaration may start. If even that fails, parsing restarts at
the next declaration header. Lark's own messages never reach the user.
"""

from __future__ import annotations

import os
import re
import sys
import threading
from collections.abc import Callable
from decimal import Decimal
from functools import lru_cache
from pathlib import Path as FsPath
from typing import TYPE_CHECKING, Any

from perfdsl import ast, fastpath
from perfdsl.diagnostics import Diagnostic, diag
from perfdsl.numbers import MAX_INTEGER_DIGITS, fold_number, too_large
from perfdsl.source import Span

if TYPE_CHECKING:  # Lark is imported only when a chunk goes to it (perfdsl.fastpath)
    from lark import Lark
    from lark.exceptions import UnexpectedInput

OP_NAMES = {
    ">=": "ge", "≥": "ge", "≧": "ge", "＞＝": "ge", "＞=": "ge", ">＝": "ge",
    "<=": "le", "≤": "le", "≦": "le", "＜＝": "le", "＜=": "le", "<＝": "le",
    "=": "eq", "==": "eq", "＝": "eq",
    ">": "gt", "＞": "gt",
    "<": "lt", "＜": "lt",
}

_HEADER_REST = r"[^\n]*[{｛][ \t\u3000]*(#.*)?$"  # (after the keyword: to the line's `{`, maybe a comment)
_DECL_HEADER = re.compile(r"^[ \t\u3000]*(部门整体|项目)" + _HEADER_REST, re.M)
# The headers that start a chunk (`_chunks`): not indented, on a line after the first. Found
# from the newline before them: the regex engine then skips to each "\n" at C speed instead
# of trying `^` at every character (a corpus file: ~10 µs → ~1.7 µs).
_CHUNK_HEADER = re.compile(r"\n(部门整体|项目)" + _HEADER_REST, re.M)
_WAIVER_RE = re.compile(r"^#\[\s*allow\s*[(（](?P<body>.*)[)）]\s*\]\s*$")
_REASON_RE = re.compile(r"(?:理由|reason)\s*[=＝:：]\s*(?:\"(?P<a>[^\"]*)\"|“(?P<b>[^”]*)”|(?P<c>[^,，)）]+))")
_CODE_RE = re.compile(r"^[A-Za-z]{2}-[A-Za-z]\d{3}$")
_ATTR_RE = re.compile(r"^\s*([^:：]+?)\s*[:：]\s*(.*?)\s*$", re.S)
# _new(Span, (path, line, col, end_line, end_col)) is Span(path, line, ...) without a Python
# frame; on the hottest paths only, always with every field in order (see perfdsl.ast).
_new = _span = tuple.__new__
_FastToken = fastpath.FastToken
_FOLD_GROUPED = str.maketrans("０１２３４５６７８９．，－＋", "0123456789.,-+")


def _grammar_text() -> str:
    return fastpath.grammar_text()


def _cache_dir() -> FsPath | None:
    from perfdsl.marshalcache import cache_dir

    return cache_dir()


@lru_cache(maxsize=1)
def get_parser() -> Lark:
    """The LALR parser, cached on disk keyed by grammar text and library versions."""
    import hashlib

    import lark
    from lark import Lark

    grammar = _grammar_text()
    key = hashlib.sha256(
        f"{grammar}\0{lark.__version__}\0{sys.version_info[:3]}".encode()
    ).hexdigest()[:16]
    cache: str | bool = False
    folder = _cache_dir()
    if folder is not None and not os.environ.get("PERFDSL_NO_CACHE"):
        cache = str(folder / f"grammar-{key}.lark.cache")
    kwargs: dict[str, Any] = dict(
        parser="lalr", lexer="contextual", propagate_positions=False, maybe_placeholders=False
    )
    kwargs["transformer"] = _builder()
    kwargs["lexer_callbacks"] = {"_NL": _on_nl}
    try:
        return Lark(grammar, cache=cache, **kwargs)
    except OSError:
        return Lark(grammar, **kwargs)


class _Context(threading.local):
    """Per-parse state; the one cached Lark instance reads it through `_CTX`."""

    def __init__(self) -> None:
        self.path = ""
        self.diags: list[Diagnostic] = []
        self.comments: list[ast.Comment] = []
        # One copy of each repeated word (一级/二级 names, units, operators) per parse:
        # a million indicators would otherwise hold a million copies of “产出” (issue #16).
        self.words: dict[str, str] = {}


_CTX = _Context()


def _on_nl(tok: Any) -> Any:
    """Lexer callback: comments live inside _NL tokens; keep them for the formatter."""
    if "#" in tok.value:
        line = tok.line or 1
        col = tok.column or 1
        for part in tok.value.split("\n"):
            idx = part.find("#")
            if idx >= 0:
                _CTX.comments.append(ast.Comment(line, col + idx, part[idx:].rstrip()))
            line += 1
            col = 1
    return tok


class _Builder:
    """Rule callbacks that build AST nodes directly, one method per rule (or alias).

    A plain object, not a lark Transformer: Lark (`transformer=`) and the fast path
    (perfdsl.fastpath) both call `method(children)` with the same children, so the two
    build the same tree. Tokens are Lark `Token`s or `fastpath.FastToken`s; both have
    `type`, `value`, `line`, `column`, `end_line`, `end_column`.
    """

    @property
    def src(self) -> str:
        return _CTX.path

    @property
    def diags(self) -> list[Diagnostic]:
        return _CTX.diags

    def _cover(self, children: list[Any]) -> Span:
        """The span from the first child's start to the last child's end.

        Computed from the children's own spans, so Lark's propagate_positions (a wrapper
        around every callback) is not needed.
        """
        path = _CTX.path
        first = last = None
        for c in children:
            first = _span_of(path, c)
            if first is not None:
                break
        for c in reversed(children):
            last = _span_of(path, c)
            if last is not None:
                break
        if first is None or last is None:
            return Span(path, 0, 0, 0, 0)
        return Span(path, first.line, first.col, last.end_line, last.end_col)

    def _tspan(self, tok: Any) -> Span:
        return token_span(_CTX.path, tok)

    # --- paths -----------------------------------------------------------------------
    def segment(self, children: list[Any]) -> ast.Segment:
        tok = children[0]
        if tok.type == "STRING":
            return ast.Segment(_unquote(tok.value), token_span(_CTX.path, tok), True)
        return _new(ast.Segment, (tok.value, token_span(_CTX.path, tok), False))

    def path(self, segs: list[ast.Segment]) -> ast.Path:
        # = self._cover(segs): every segment has a token's span (hot: ~3 per indicator)
        first, last = segs[0].span, segs[-1].span
        if len(segs) > 1:  # the leading segments (一级, 二级) repeat: share one copy of each
            words = _CTX.words
            for i in range(len(segs) - 1):
                seg = segs[i]
                text = seg[0]
                shared = words.setdefault(text, text)
                if shared is not text:
                    segs[i] = _new(ast.Segment, (shared, seg[1], seg[2]))
        else:  # one segment: the path's span is the segment's (the same values; one object)
            return _new(ast.Path, ((segs[0],), first))
        return _new(ast.Path, (tuple(segs), _new(Span, (first[0], first[1], first[2], last[3], last[4]))))

    # --- values ----------------------------------------------------------------------
    def plain_text(self, children: list[Any]) -> ast.Text:
        tok = children[0]
        return _new(ast.Text, (tok.value, "plain", token_span(_CTX.path, tok)))

    def quoted_text(self, children: list[Any]) -> ast.Text:
        tok = children[0]
        return ast.Text(_unquote(tok.value), "quoted", token_span(_CTX.path, tok))

    def block_text(self, children: list[Any]) -> ast.Text:
        tok = children[0]
        return ast.Text(_dedent_block(tok.value[3:-3]), "block", token_span(_CTX.path, tok))

    def quantity(self, children: list[Any]) -> ast.Quantity:
        num = children[0]
        text = num.value
        unit = children[1] if len(children) > 1 else None
        raw = fold_number(text) if "," not in text and "，" not in text else \
            text.translate(_FOLD_GROUPED)
        value = Decimal(fold_number(text))
        if len(text) > MAX_INTEGER_DIGITS and too_large(value):  # (never with 20 characters or fewer)
            self.diags.append(diag("PD-S007", self._tspan(num), text=text, limit=MAX_INTEGER_DIGITS))
        path = _CTX.path
        first = token_span(path, num)
        if unit is None:
            return _new(ast.Quantity, (raw, value, None, first, None))
        uspan = token_span(path, unit)
        # A unit in brackets (PAREN_UNIT, `100.00(%)` as Shanghai's forms print it) means the unit inside.
        unit_text = unit.value[1:-1] if unit.type == "PAREN_UNIT" else unit.value
        unit_text = _CTX.words.setdefault(unit_text, unit_text)
        return _new(ast.Quantity, (raw, value, unit_text, _new(Span, (path, first[1], first[2], uspan[3], uspan[4])),
                                   uspan))

    # --- statements ------------------------------------------------------------------
    def field(self, children: list[Any]) -> ast.Field:
        key: ast.Path = children[0]
        value = None
        items: list[ast.Item] = []
        for c in children[1:]:
            if isinstance(c, ast.Text):
                value = c
            elif isinstance(c, ast.Item):
                items.append(c)
        last = children[-1]  # the key, value or last item: each has a span from a token
        return ast.Field(key, value, tuple(items), _between(key.span, last.span))

    def item(self, children: list[Any]) -> ast.Item:
        tok = children[0]
        text = tok.value[1:].strip(" \t\u3000")
        return ast.Item(text, token_span(_CTX.path, tok))

    def _attrs(self, toks: list[Any]) -> tuple[ast.Attr, ...]:
        if not toks:
            return ()
        out = []
        for tok in toks:
            inner = tok.value[1:-1]
            m = _ATTR_RE.match(inner)
            if not m:
                self.diags.append(diag("PD-S006", self._tspan(tok), text=tok.value))
                continue
            out.append(ast.Attr(m.group(1), m.group(2), self._tspan(tok)))
        return tuple(out)

    def comparison(self, children: list[Any]) -> ast.Indicator:
        path, op, qty, *rest = children
        op_text = _CTX.words.setdefault(op.value, op.value)
        target = _new(ast.Comparison, (OP_NAMES[op_text], qty, op_text, token_span(_CTX.path, op)))
        return _new(ast.Indicator, (path, target, self._attrs(rest), _between(path.span, rest[-1] if rest else qty.span),
                                    ()))

    def bare(self, children: list[Any]) -> ast.Indicator:
        """A quantity with no operator (`8 个`, as Anhui's forms print it): "=", written
        as nothing (op_text ""); resolve accepts it where the profile allows it."""
        path, qty, *rest = children
        target = ast.Comparison("eq", qty, "", qty.span)
        return ast.Indicator(path, target, self._attrs(rest), self._cover(children))

    def ranged(self, children: list[Any]) -> ast.Indicator:
        path, kw, low, sep, high, *rest = children
        target = ast.Range(low, high, kw.value, sep.value, token_span(_CTX.path, kw))
        return ast.Indicator(path, target, self._attrs(rest), _between(path.span, rest[-1] if rest else high.span))

    def qualitative(self, children: list[Any]) -> ast.Indicator:
        path, kw, value, *rest = children
        target = ast.Qualitative(value, kw.value, token_span(_CTX.path, kw))
        return ast.Indicator(path, target, self._attrs(rest), _between(path.span, rest[-1] if rest else value.span))

    def group(self, children: list[Any]) -> ast.Group:
        path, *body = children
        if not body and path[1][1]:  # (a streamed group's body was handed over: = the _cover of [path])
            span = path[1]
            return _new(ast.Group, (path, (), _new(Span, (_CTX.path, span[1], span[2], span[3], span[4])), ()))
        return ast.Group(path, _attach_waivers(body), self._cover(children))

    def waiver(self, children: list[Any]) -> ast.Waiver:
        tok = children[0]
        return parse_waiver(tok.value, token_span(_CTX.path, tok))

    top_waiver = waiver

    def title(self, children: list[Any]) -> tuple[str, Span]:
        tok = children[0]
        text = _unquote(tok.value) if tok.type == "STRING" else tok.value.strip()
        return text, token_span(_CTX.path, tok)

    def decl(self, children: list[Any]) -> ast.Declaration:
        kw = children[0]
        title: str | None = None
        title_span: Span | None = None
        body = children[1:]
        if body and type(body[0]) is tuple:  # (title, span)
            title, title_span = body[0]
            body = body[1:]
        kind = "department" if kw.value == "部门整体" else "project"
        return ast.Declaration(kind, title, _attach_waivers(body), self._cover(children),
                               kind_text=kw.value, title_span=title_span)

    def start(self, children: list[Any]) -> list[Any]:
        return list(children)


def _between(first: Span, last: Any) -> Span:
    """`_cover` where the first child is a node and the last a node's span or a token."""
    if not isinstance(last, Span):
        last = token_span(first.path, last)
    return _span(Span, (first[0], first[1], first[2], last[3], last[4]))  # = Span(path, line, col, end_line, end_col)


def _span_of(path: str, node: Any) -> Span | None:
    kind = type(node)
    if kind is _FastToken:  # (neither it nor a plain tuple has a `span`: the checks below in another order)
        return _span(Span, (path, node[2], node[3], node[4], node[5]))  # = token_span(path, node)
    if kind is tuple:  # a title (title, span), or nothing with a span
        return node[1] if len(node) == 2 and isinstance(node[1], Span) else None
    span = getattr(node, "span", None)
    if span is not None:  # an AST node
        return span if isinstance(span, Span) and span.line else None
    if type(node) is tuple and len(node) == 2 and isinstance(node[1], Span):  # a title
        return node[1]
    if hasattr(node, "end_column"):  # a token (Lark's or the fast path's)
        return token_span(path, node)
    return None


def token_span(path: str, tok: Any) -> Span:
    """A token's span; the same formula as perfdsl.syntax_errors.token_span, without Lark."""
    if type(tok) is _FastToken:  # (type, value, line, column, end_line, end_column), all set
        return _span(Span, (path, tok[2], tok[3], tok[4], tok[5]))
    line = tok.line or 0
    col = tok.column or 0
    return Span(path, line, col, tok.end_line or line, tok.end_column or col + len(tok.value))


def _unquote(text: str) -> str:
    body = text[1:-1]
    if "\\" not in body:
        return body
    return re.sub(r"\\(.)", lambda m: {"n": "\n", "t": "\t"}.get(m.group(1), m.group(1)), body)


def _dedent_block(body: str) -> str:
    lines = body.split("\n")
    if lines and not lines[0].strip():
        lines = lines[1:]
    if lines and not lines[-1].strip():
        lines = lines[:-1]
    indents = [len(ln) - len(ln.lstrip(" \t\u3000")) for ln in lines if ln.strip()]
    cut = min(indents) if indents else 0
    return "\n".join(ln[cut:] for ln in lines)


def parse_waiver(raw: str, span: Span) -> ast.Waiver:
    m = _WAIVER_RE.match(raw.strip())
    if not m:
        return ast.Waiver((), None, span, raw, error="应写成 #[allow(代码, 理由 = \"……\")]")
    body = m.group("body")
    reason = None
    rm = _REASON_RE.search(body)
    if rm:
        reason = (rm.group("a") or rm.group("b") or rm.group("c") or "").strip()
        body = body[: rm.start()]
    codes = tuple(c.strip() for c in re.split(r"[,，]", body) if c.strip())
    bad = [c for c in codes if not _CODE_RE.match(c)]
    if not codes or bad:
        what = "、".join(bad) if bad else "没有诊断代码"
        return ast.Waiver(codes, reason, span, raw, error=f"诊断代码不对：{what}")
    return ast.Waiver(tuple(c.upper() for c in codes), reason or None, span, raw)


def _attach_waivers(items: list[Any]) -> tuple[Any, ...]:
    """Give each waiver to the statement that follows it; a trailing waiver stays alone."""
    out: list[Any] = []
    pending: list[ast.Waiver] = []
    for it in items:
        if isinstance(it, ast.Waiver):
            pending.append(it)
            continue
        if pending and hasattr(it, "waivers"):
            it = it._replace(waivers=tuple(pending) + it.waivers)
            pending = []
        out.append(it)
    out.extend(pending)
    return tuple(out)


def _chunks(text: str) -> list[tuple[int, int]]:
    """(start line (1-based), start offset) of the top-level chunks: one per declaration header.

    Each declaration is parsed on its own, so a declaration the parser cannot recover
    from does not hide the problems of the others. Waiver and comment lines directly
    above a header belong to its chunk. Found with one regex scan of the text: the text
    is not split into lines (for a 50 MB file those were another ~110 MB, issue #16).
    """
    starts = [(1, 0)]
    line, counted = 1, 0  # line number of offset `counted`
    for m in _CHUNK_HEADER.finditer(text):  # (= the _DECL_HEADER lines after the first, not indented)
        pos = m.start() + 1
        line += text.count("\n", counted, pos)
        counted = pos
        j, start = line, pos
        while j > 1:  # comment and waiver lines directly above
            prev = text.rfind("\n", 0, start - 1) + 1
            if not text[prev:start - 1].lstrip().startswith("#"):
                break
            j, start = j - 1, prev
        if j > starts[-1][0]:
            starts.append((j, start))
    return starts


def parse_text(text: str, path: str = "<输入>", *, fast: bool = True,
               stream: Callable[[str], Any] | None = None) -> tuple[ast.Document, list[Diagnostic]]:
    """Parse one file's text. Never raises on user input.

    Each chunk (one declaration) first goes to the grammar-derived fast path
    (perfdsl.fastpath); a chunk it does not fully accept goes to Lark unchanged, so every
    syntax error, recovery and message is Lark's. `fast=False` sends every chunk to Lark
    (the differential test compares the two).

    `stream(kind)`, if given, is asked for a consumer for each chunk the fast path parses
    (`kind` is department | project); the consumer's `take(stmt, values)` is then offered
    the declaration's statements one by one while it is parsed (perfdsl.stream; one whose
    `fuses` is true is also given plain statements without their nodes, perfdsl.fused), and the
    declaration node in the document has no body but spans it all (issue #16: a huge
    declaration's syntax tree is never whole in memory). A consumer whose chunk is declined, or turns out
    to hold more than one declaration, is dropped and the chunk parsed as usual; the
    consumers kept are the ones whose `close(decl)` was called, with the declaration's node.
    """
    diags: list[Diagnostic] = []
    comments: list[ast.Comment] = []
    decls: list[ast.Declaration] = []
    stray: list[ast.Waiver] = []
    _CTX.path, _CTX.diags, _CTX.comments, _CTX.words = path, diags, comments, {}

    starts = _chunks(text)
    tables = fastpath.tables() if fast else None
    for n, (first, offset) in enumerate(starts):
        # The chunk is lexed from its first line on (not padded with the lines before it:
        # that made a file of many declarations quadratic, issue #16). A file of one
        # declaration is its own chunk (text[0:] is text: no copy).
        chunk = text[offset:starts[n + 1][1]] if n + 1 < len(starts) else text[offset:]
        if tables is not None:
            if _COMMENTS_ONLY.match(chunk) is not None:  # (a file's heading comment: its own chunk)
                _comments_of(chunk, first, comments)
                continue
            consumer = None
            if stream is not None and tables.stream_origins:
                kind = _DECL_HEADER.search(chunk)
                if kind is not None:  # (none: comments and waivers only; anything else is parsed whole, the same)
                    consumer = stream("department" if kind.group(1) == "部门整体" else "project")
            result = _run_fast(tables, chunk, diags, comments, first, consumer)
            if result is not None:
                _collect(result, decls, stray)
                continue
        _parse_chunk_with_lark(chunk, path, text, diags, decls, stray, first)
    uniq = sorted(dict.fromkeys(comments), key=_comment_place) if len(comments) > 1 else comments
    return ast.Document(path, tuple(decls), tuple(uniq), tuple(stray)), list(dict.fromkeys(diags)) if diags else []


def _comment_place(c: ast.Comment) -> tuple[int, int]:
    return c[0], c[1]  # (line, col)


# A chunk of comment and blank lines only (no waiver `#[`, nothing else): the grammar reads it
# as one _NL token (`start: _NL? …`, COMMENT inside _NL, spaces ignored), so all the parse
# would give is its comments, as `_on_nl` collects them (tests/test_fastpath.py compares).
_COMMENTS_ONLY = re.compile(r"(?:[ \t\u3000]*(?:#(?!\[)[^\n]*)?\n)*[ \t\u3000]*(?:#(?!\[)[^\n]*)?\Z")


def _comments_of(chunk: str, first_line: int, comments: list[ast.Comment]) -> None:
    """The comments `_on_nl` collects from `chunk` (one that `_COMMENTS_ONLY` matches)."""
    for i, part in enumerate(chunk.split("\n")):
        idx = part.find("#")
        if idx >= 0:
            comments.append(ast.Comment(first_line + i, idx + 1, part[idx:].rstrip()))


def _run_fast(tables: fastpath.Tables, chunk: str, diags: list[Diagnostic],
              comments: list[ast.Comment], first_line: int = 1, consumer: Any = None) -> list[Any] | None:
    """The chunk through the fast path; its findings join `diags`/`comments` only if it is accepted.

    With a `consumer`, the declaration's statements are fed to it as they are parsed; if
    the chunk then holds one declaration, its node gets the span it would have had with
    its body (to the end of the last statement) and goes to `consumer.close`; otherwise
    the consumer is dropped and the chunk parsed again without it.
    """
    scratch_d: list[Diagnostic] = []
    scratch_c: list[ast.Comment] = []
    _CTX.diags, _CTX.comments = scratch_d, scratch_c
    # A consumer that `fuses` (perfdsl.stream.DeclStream) takes plain statements straight from
    # the line shapes (perfdsl.fused); then it is offered groups' bodies in files of any size.
    fuses = consumer if getattr(consumer, "fuses", False) and fastpath.fusing(tables) else None
    try:
        result = fastpath.parse(tables, chunk, _builder(), _on_nl, first_line,
                                sink=consumer.take if consumer is not None else None,
                                nested=consumer is not None and (consumer.groups or fuses is not None),
                                fused=fuses)
    finally:
        _CTX.diags, _CTX.comments = diags, comments
    if result is not None and consumer is not None:
        found = [i for i, x in enumerate(result) if isinstance(x, ast.Declaration)]
        if len(found) > 1:  # (an indented second header: not a chunk of its own)
            return _run_fast(tables, chunk, diags, comments, first_line)
        if found:  # (none: only comments or waivers before the first header; nothing was fed)
            decl = result[found[0]]
            last = consumer.last
            if last is not None and (last[3], last[4]) > (decl.span[3], decl.span[4]):
                span = _span(Span, (decl.span[0], decl.span[1], decl.span[2], last[3], last[4]))
                decl = _new(ast.Declaration, (*decl[:3], span, *decl[4:]))  # = decl._replace(span=span)
            result[found[0]] = consumer.close(decl)
    if result is not None:
        diags.extend(scratch_d)
        comments.extend(scratch_c)
    return result


@lru_cache(maxsize=1)
def _builder() -> _Builder:
    return _Builder()


def _parse_chunk_with_lark(chunk: str, path: str, text: str, diags: list[Diagnostic],
                           decls: list[ast.Declaration], stray: list[ast.Waiver], first_line: int = 1) -> None:
    from lark.exceptions import UnexpectedInput

    from perfdsl.syntax_errors import Recovery

    parser = get_parser()
    recovery = Recovery(path, text, diags)
    try:
        result = _run(parser, chunk, recovery, first_line)
    except UnexpectedInput as e:  # recovery declined: report if not yet reported
        if recovery.failed_at is None:
            recovery.report(e)
        if _at_end(e):
            # The file ends inside a declaration (a missing “}”): PD-S003 is reported;
            # close the open blocks and parse again so everything written inside it
            # is still checked rather than silently skipped.
            closed = _parse_closed(parser, chunk, path, text, diags, first_line)
            if closed is not None:
                _collect(closed, decls, stray)
        return
    _collect(result, decls, stray)
def _parse_from_line(parser: Lark, text: str, recovery: Callable[[Any], bool], first_line: int) -> list[Any]:
    """Lark's `parse(text, on_error=…)` with the lexer's line counter starting at `first_line`,
    so tokens and errors carry the file's line numbers without lexing the lines before."""
    from lark.lexer import LexerState, LexerThread, LineCounter

    try:
        from lark.utils import TextSlice

        source: Any = TextSlice.cast_from(text)
    except ImportError:  # Lark before TextSlice lexes plain strings
        source = text
    counter = LineCounter("\n")
    counter.line = first_line
    frontend = parser.parser
    thread = LexerThread(frontend.lexer, LexerState(source, counter))
    start = frontend._verify_start(None)
    return frontend.parser.parse(thread, start, on_error=recovery)  # type: ignore[no-any-return]


MAX_CLOSERS = 4  # a declaration, and groups up to 一级 and 二级 (deeper is PD-S008 anyway)


def _at_end(e: UnexpectedInput) -> bool:
    from lark.exceptions import UnexpectedEOF, UnexpectedToken

    return isinstance(e, UnexpectedEOF) or (isinstance(e, UnexpectedToken) and e.token.type == "$END")


def _parse_closed(parser: Lark, chunk: str, path: str, text: str, diags: list[Diagnostic],
                  first_line: int = 1) -> list[Any] | None:
    """`chunk` with up to MAX_CLOSERS “}” appended; its new syntax findings join `diags`."""
    from lark.exceptions import UnexpectedInput

    from perfdsl.syntax_errors import Recovery

    for k in range(1, MAX_CLOSERS + 1):
        scratch: list[Diagnostic] = []
        try:
            result = _run(parser, chunk + "\n}" * k + "\n", Recovery(path, text, scratch), first_line)
        except UnexpectedInput:
            continue
        diags.extend(d for d in scratch if d.code != "PD-S003" and d not in diags)
        return result
    return None


def _collect(result: list[Any], decls: list[ast.Declaration], stray: list[ast.Waiver]) -> None:
    for it in _attach_waivers(result):
        if isinstance(it, ast.Declaration):
            decls.append(it)
        elif isinstance(it, ast.Waiver):
            stray.append(it)


def _run(parser: Lark, text: str, recovery: Callable[[Any], bool], first_line: int = 1) -> list[Any]:
    """Parse `text`, whose first line is line `first_line` of the file."""
    import gc

    gc_was = gc.isenabled()
    gc.disable()  # the generational GC rescanning a growing value stack costs ~2x
    try:
        if first_line == 1:
            return parser.parse(text, on_error=recovery)  # type: ignore[no-any-return]
        return _parse_from_line(parser, text, recovery, first_line)
    finally:
        if gc_was:
            gc.enable()

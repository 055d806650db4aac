"""Streaming compile: statements go to the resolver while the parser is still reading.

`compile_text` gives the parser a `StreamedDecls` (`parse_text(stream=…)`). For each
declaration the grammar-derived fast path parses, the parser hands every finished
statement to that declaration's `DeclStream` (perfdsl.fastpath `_stream_reduce`), and
builds the declaration and group nodes without the statements it took. The stream does
what would otherwise happen to the whole syntax tree: it gives each statement the waivers
written above it (as the parser's `_attach_waivers`), runs the colon check
(perfdsl.colon_names) and feeds the resolver. So the syntax tree of a huge declaration is
never whole in memory (issue #16); the result is exactly that of parsing first and
resolving after (tests/test_streaming.py compares the two, diagnostics and waivers in order).

Groups (`产出 { 数量 { … } }`) are streamed too, once the profile is known: the open
groups' path nodes are on the parser's value stack (the first statement of a group's body
opens a `_Frame` for it), each statement of the body goes to the resolver with the
group's segments as prefix, and when the group's own node arrives (built without a body)
its span is completed and the waivers above it are given their place. A group that opens
before the profile is known (the first top-level `模板:` picks it) is kept whole and
resolved when it is complete, as everything else before the profile is.
"""

from __future__ import annotations

from typing import Any

from perfdsl import ast, colon_names
from perfdsl.diagnostics import Diagnostic
from perfdsl.resolve import _DeclResolver
from perfdsl.source import Span

_new = tuple.__new__
# A group's body is handed over statement by statement only in files at least this long:
# it saves memory only on huge inputs, and costs ~3% of a corpus check in small files
# (an extra call per statement). Tests set it to 0 to compare the two ways on every input.
# When the parse fuses plain statements (perfdsl.fused), the parser hands groups' bodies over
# in files of any size (fastpath.fusing): then it is the cheaper way.
GROUPS_AFTER_CHARS = 1_000_000


class StreamedDecls(dict[tuple[int, int], "DeclStream"]):
    """The `stream` argument of `perfdsl.parser.parse_text` for one file: makes a
    `DeclStream` per declaration and keeps those the parser closed, keyed by where their
    declaration starts, for `resolve_document(streamed=…)`."""

    def __init__(self, text: str, profile_dirs: tuple[str, ...]) -> None:
        super().__init__()
        self.text = text
        self.profile_dirs = profile_dirs
        self.groups = len(text) >= GROUPS_AFTER_CHARS  # hand over groups' bodies too
        self.syntax_diags: list[Diagnostic] = []  # PD-S009 (colon names) of the closed ones

    def __call__(self, kind: str) -> DeclStream:
        return DeclStream(kind, self)

    def in_order(self, colon_diags: list[Diagnostic]) -> list[Diagnostic]:
        """PD-S009 of the declarations parsed whole (`colon_names.check` of the document:
        those Lark parsed, or a chunk of two declarations) and of the streamed ones, in the
        order `check` gives for the whole document: by place (each list is already)."""
        if not colon_diags or not self.syntax_diags:
            return colon_diags or self.syntax_diags
        return sorted((*colon_diags, *self.syntax_diags), key=lambda d: (d.span[1], d.span[2]))


class _Frame:
    """A group whose body is being handed over statement by statement."""

    # Defaults as class attributes (a frame is opened for every group: only what differs is set).
    keep = False  # opened before the profile was known: its statements stay in the tree
    skip = False  # too deep (PD-S008): its statements are not resolved
    record = False  # the resolver knows it (open_group): its waivers get a place
    segs: tuple[ast.Segment, ...] = ()
    texts: tuple[str, ...] = ()
    colon = False  # the colon check looks inside (as colon_names does to depth 2)
    index = 0
    waivers: tuple[ast.Waiver, ...] = ()
    last: Span | None = None

    def __init__(self, path: ast.Path) -> None:
        self.path = path
        self.pending: list[ast.Waiver] = []


def _with_waivers(pending: list[ast.Waiver], st: ast.Stmt) -> ast.Stmt | None:
    """As the parser's `_attach_waivers`, one statement at a time: a waiver waits in `pending`
    (None); any other statement gets the waivers waiting above it."""
    if isinstance(st, ast.Waiver):
        pending.append(st)
        return None
    if pending:
        st = st._replace(waivers=(*pending, *st.waivers))
        pending.clear()
    return st


class DeclStream:
    """One declaration's statements, handed over by the parser as they are parsed."""

    def __init__(self, kind: str, owner: StreamedDecls) -> None:
        self.resolver = _DeclResolver(kind, owner.profile_dirs)
        self.owner = owner
        self.syntax_diags: list[Diagnostic] = []
        self.pending: list[ast.Waiver] = []  # waivers waiting for the next top-level statement
        self.last: Span | None = None  # the last top-level statement's span: where the declaration ends
        self.frames: list[_Frame] = []
        self.groups = owner.groups  # (read by the parser: offer the statements of groups too)
        self.fuses = True  # (read by the parser: plain statements may come without syntax nodes)

    def take(self, st: Any, values: list[Any] | None) -> bool:
        """The parser's sink: `st` finished in the declaration's own body (`values` None), or
        in a group's body (`values`: the parser's value stack, holding the open groups' paths).
        True if the statement was taken (the parser then leaves it out of the tree)."""
        frames = self.frames
        if values is None:
            depth = 0
        elif frames and len(values) >= 3 and values[-3] is frames[-1].path:
            depth = len(frames)  # (the common case: one more statement of the innermost group;
            # a group's list sits above `path _LBRACE _NL`, the two tokens kept as None)
        elif len(frames) >= 2 and len(values) >= 3 and values[-3] is frames[-2].path:
            depth = len(frames) - 1  # (a group closing inside its parent group)
        else:
            depth = sum(1 for v in values if type(v) is ast.Path)
        closed = None
        if len(frames) > depth:  # `st` is the node of the innermost open group: it is complete
            closed = frames.pop()
            assert not frames[depth:] and type(st) is ast.Group and st.path is closed.path
        if len(frames) < depth:
            assert values is not None
            self._open_to(values)
        frame = frames[-1] if frames else None
        if frame is not None and frame.keep:
            return False
        if closed is not None and not closed.keep:
            self._finished(frame, self._close(closed, st))
        elif frame is None:
            self.feed(st)
        else:
            self._child(frame, st)
        return True

    # --- fused statements (perfdsl.fused) ---------------------------------------------
    def fused_top(self) -> bool:
        """A plain indicator finishing now in the declaration's own body may skip its syntax
        nodes: `feed` would give it straight to the resolver (no waiver waits above it)."""
        return not self.pending and not self.frames

    def fused_frame(self, values: list[Any], above: int) -> _Frame | None:
        """The open group a plain indicator finishing now in a group's body would be fed in
        (`take` with `values`, the parser's value stack but for its top `above` entries, which
        hold no path), when `_child` would give it straight to the resolver; else None. The
        groups `take` would open for it are opened now (the same steps, a moment earlier)."""
        frames = self.frames
        if not frames or len(values) < 3 + above or values[-3 - above] is not frames[-1].path:
            unframed = self._unframed(values)
            if not unframed:  # (the top level, or `st` would close a group)
                return None
            for path in unframed:  # (as `take` would open them)
                self._open(path)
        frame = frames[-1]
        if frame.keep or frame.skip or frame.pending:
            return None
        return frame

    def feed(self, st: ast.Stmt) -> None:
        """A complete top-level statement."""
        self.last = st.span
        if type(st) is ast.Indicator and not self.pending:  # (nothing to attach or check)
            self.resolver.feed(st)
            return
        st = _with_waivers(self.pending, st)
        kept = colon_names.check_statement(st, self.owner.text, self.syntax_diags) if st is not None else None
        if kept is not None:
            self.resolver.feed(kept)

    def close(self, decl: ast.Declaration) -> ast.Declaration:
        """The parser is done with `decl` (its node, without a body): keep this stream for it."""
        assert not self.frames
        for w in self.pending:  # waivers at the end of the body stay alone
            self.resolver.feed(w)
        self.pending = []
        self.owner[(decl.span.line, decl.span.col)] = self
        self.owner.syntax_diags.extend(self.syntax_diags)
        return decl

    # --- groups ----------------------------------------------------------------------
    def _open_to(self, values: list[Any]) -> None:
        """Open a frame for each group path on the value stack that has none yet."""
        for path in self._unframed(values):
            self._open(path)

    def _unframed(self, values: list[Any]) -> list[ast.Path]:
        """The group paths on the value stack that have no frame yet: those above the innermost
        frame's path (the frames are the stack's first paths, in order), found from the top."""
        found = []
        if not self.frames:
            return [v for v in values if type(v) is ast.Path]
        last = self.frames[-1].path
        for i in range(len(values) - 1, -1, -1):
            v = values[i]
            if v is last:
                found.reverse()
                return found
            if type(v) is ast.Path:
                found.append(v)
        return [v for v in values if type(v) is ast.Path][len(self.frames):]  # (the frames' paths are not all there)

    def _open(self, path: ast.Path) -> None:
        parent = self.frames[-1] if self.frames else None
        frame = _Frame(path)
        self.frames.append(frame)
        if (parent is not None and parent.keep) or (parent is None and self.resolver.waiting):
            frame.keep = True
            return
        pending = parent.pending if parent is not None else self.pending
        if pending:
            frame.waivers = tuple(pending)  # the waivers above the group are its own
            pending.clear()
        if parent is not None and parent.skip:  # inside a group too deep: never looked at
            frame.skip = True
            return
        prefix = parent.segs if parent is not None else ()
        frame.segs, frame.index, frame.skip = self.resolver.open_group(prefix, path)
        frame.record = True
        frame.texts = (parent.texts if parent is not None else ()) + tuple([s[0] for s in path[0]])  # (texts)
        frame.colon = (parent is None or parent.colon) and len(frame.texts) <= 2

    def _child(self, frame: _Frame, st: ast.Stmt) -> None:
        frame.last = st.span
        if frame.skip:
            return
        st = _with_waivers(frame.pending, st)
        if st is None:
            return
        if frame.colon:
            kept = colon_names.check_statement(st, self.owner.text, self.syntax_diags, frame.texts)
            if kept is None:
                return
            st = kept
        self.resolver.feed(st, frame.segs)

    def _close(self, frame: _Frame, group: ast.Group) -> ast.Group:
        """The node of a group whose body was handed over: its span reaches its last statement."""
        last = frame.last
        if last is not None:
            span = group.span
            if (last[3], last[4]) > (span[3], span[4]):  # = group._replace(span=…)
                group = _new(ast.Group, (group[0], group[1], _new(Span, (span[0], span[1], span[2], last[3], last[4])),
                                         group[3]))
        if not frame.skip:
            for w in frame.pending:  # waivers at the end of the group's body stay alone
                self.resolver.feed(w, frame.segs)
        if frame.record:
            self.resolver.close_group(frame.index, frame.waivers, group.span)
        return group

    def _finished(self, parent: _Frame | None, group: ast.Group) -> None:
        """A group whose statements were all handed over is one statement of its parent."""
        if parent is None:
            self.last = group.span
        else:
            parent.last = group.span

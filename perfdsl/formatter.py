"""Lossless formatting of .perf source text: `format_source(text, path)`.

It parses the text, prints the tree with perfdsl/printer.py and puts back what the tree
does not hold: own-line and trailing comments (at their statements), and blank-line
grouping (one blank line where the source had one or more). Header fields keep the
author's order. Waivers are part of the tree and are printed in canonical form.

It refuses (returns None) when the source has syntax errors, and when the result would
mean something else: the output is parsed and resolved again and the resolved model
(the JSON backend's view of each declaration), the waivers and the comments must be equal.
It must not write files; `perfdsl fmt` does that.
"""

from __future__ import annotations

import json
from typing import Any

import attrs

from perfdsl import ast
from perfdsl.diagnostics import Diagnostic, diag
from perfdsl.parser import parse_text
from perfdsl.printer import Printer, PrintError, fold_unit
from perfdsl.resolve import MAX_DEPTH
from perfdsl.source import Span, line_of


@attrs.frozen
class _C:
    line: int
    text: str
    own_line: bool


class TriviaPrinter(Printer):
    """The canonical printer plus the comments and blank lines of a source text."""

    def __init__(self, text: str, comments: tuple[ast.Comment, ...]) -> None:
        super().__init__()
        self.lines = text.split("\n")
        self.comments: list[_C] = []
        for c in comments:
            before = self.lines[c.line - 1][: c.col - 1] if 0 < c.line <= len(self.lines) else ""
            self.comments.append(_C(c.line, c.text.rstrip(), not before.strip()))
        self.used: set[int] = set()
        self.last_src = 0

    def _blank_between(self, a: int, b: int) -> bool:
        return any(not self.lines[i - 1].strip() for i in range(a + 1, b) if 0 < i <= len(self.lines))

    def _gap(self, line: int) -> None:
        if self._blank_between(self.last_src, line):
            self.blank()

    def _flush(self, upto: int | None, depth: int) -> None:
        for i, c in enumerate(self.comments):
            if i in self.used or (upto is not None and c.line >= upto):
                continue
            self.used.add(i)
            self._gap(c.line)
            super().emit(depth, c.text)
            self.last_src = max(self.last_src, c.line)

    def before(self, line: int, depth: int) -> None:
        if not line:
            return
        self._flush(line, depth)
        self._gap(line)

    def trailing(self, line: int) -> str:
        if not line:
            return ""
        for i, c in enumerate(self.comments):
            if c.line == line and not c.own_line and i not in self.used:
                self.used.add(i)
                return " " + c.text
        return ""

    def emit(self, depth: int, text: str, src_line: int = 0) -> None:
        super().emit(depth, text, src_line)
        self.last_src = max(self.last_src, src_line)

    def closing_line(self, node: ast.Declaration | ast.Group) -> int:
        if not node.span.line:
            return 0
        start = node.span.line
        if node.body:
            last = node.body[-1]
            start = self.closing_line(last) if isinstance(last, ast.Group) else last.span.end_line
        for i in range(start + 1, len(self.lines) + 1):
            if self.lines[i - 1].lstrip(" \t\u3000").startswith(("}", "｝")):
                return i
        return 0

    def finish(self) -> None:
        self._flush(None, 0)


def _fail(path: str, message: str) -> Diagnostic:
    # Not a checker finding: a refusal of the formatter (see docs/review.md).
    return diag("PD-F001", Span.point(path, 1, 1), detail=message)


def _statement_key(st: Any, prefix: tuple[str, ...]) -> tuple[str, ...]:
    if isinstance(st, ast.Declaration):
        return (st.kind, st.title or "")
    if isinstance(st, (ast.Group, ast.Indicator)):
        return prefix + st.path.parts
    if isinstance(st, ast.Field):
        return prefix + st.key.parts + (":",)
    return (*prefix, "<waiver>")


def _waiver_signature(doc: ast.Document) -> list[tuple[Any, ...]]:
    """Every waiver with what it stands before: moving one would change its scope."""
    out: list[tuple[Any, ...]] = [("stray", w.codes, w.reason, w.error is None) for w in doc.stray_waivers]
    stack: list[tuple[tuple[str, ...], Any]] = [((), d) for d in reversed(doc.declarations)]
    while stack:
        prefix, node = stack.pop()
        key = _statement_key(node, prefix)
        ws = (node,) if isinstance(node, ast.Waiver) else node.waivers
        out.extend((key, w.codes, w.reason, w.error is None) for w in ws)
        if isinstance(node, ast.Declaration):
            stack.extend((key, s) for s in reversed(node.body))
        elif isinstance(node, ast.Group):
            stack.extend((key, s) for s in reversed(node.body))
    return out


def _fold_units(obj: Any) -> Any:
    """The printer folds full-width unit punctuation; compare models modulo that fold."""
    if isinstance(obj, dict):
        return {k: fold_unit(v) if k == "unit" and isinstance(v, str) else _fold_units(v)
                for k, v in obj.items()}
    if isinstance(obj, list):
        return [_fold_units(v) for v in obj]
    return obj


def _model(doc: ast.Document) -> str:
    from perfdsl.backends.jsonout import declaration_json
    from perfdsl.resolve import resolve_document

    resolved, rdiags = resolve_document(doc)
    decls = [_fold_units(declaration_json(d)) for d in resolved.declarations]
    codes = sorted((d.code, fold_unit(d.message)) for d in rdiags)
    return json.dumps({"declarations": decls, "resolve": codes}, ensure_ascii=False, sort_keys=True)


def _too_deep(doc: ast.Document) -> Diagnostic | None:
    """Groups nested deeper than an indicator path can go (PD-S008): refuse, never recurse on them.

    Measured iteratively, because the nesting depth is in the user's hands.
    """
    stack: list[tuple[Any, int]] = [(d, 0) for d in doc.declarations]
    while stack:
        node, depth = stack.pop()
        for st in node.body:
            if isinstance(st, ast.Group):
                d = depth + len(st.path.segments)
                if d > MAX_DEPTH:
                    return diag("PD-S008", st.path.span, depth=d)
                stack.append((st, d))
    return None


def _profile_of(decl: ast.Declaration, profile_dirs: tuple[str, ...] = ()) -> Any:
    """The declaration's profile as `check` resolves it, or None when its `模板` names a
    profile that cannot be found here (its fields' order is then not ours to decide)."""
    from perfdsl.profiles import default_profile, find_profile

    for st in decl.body:
        if isinstance(st, ast.Field) and st.key.parts in {("模板",), ("profile",)} and st.value:
            return find_profile(st.value.text, profile_dirs)
    return default_profile(decl.kind, profile_dirs)


def sort_header_fields(text: str, doc: ast.Document, profile_dirs: tuple[str, ...] = ()) -> str:
    """The source with each declaration's leading header fields in the profile's order.

    Works on source lines, so every field moves together with the comments, waivers and
    blank lines written above it and its trailing comment. Only the run of fields that
    opens a declaration is sorted (up to the first group or indicator); `模板` stays
    first, fields the profile does not know keep their order after the known ones.
    """
    edits: list[tuple[int, int, list[str]]] = []
    for decl in doc.declarations:
        run = []
        for st in decl.body:
            if not isinstance(st, ast.Field):
                break
            run.append(st)
        if len(run) < 2 or not decl.span.line:
            continue
        profile = _profile_of(decl, profile_dirs)
        if profile is None:
            continue
        index = {f.key: i for i, f in enumerate(profile.fields)}
        chunks: list[tuple[tuple[int, int, int], list[str]]] = []
        prev_end = decl.span.line
        for n, st in enumerate(run):
            key = ".".join(st.key.parts)
            rank = (0, 0, n) if key in ("模板", "profile") else (1, index.get(key, len(index)), n)
            # (lines by number: the whole text is split only if a field moves, issue #16)
            chunks.append((rank, [line_of(text, k) for k in range(prev_end + 1, st.span.end_line + 1)]))
            prev_end = st.span.end_line
        ordered = sorted(chunks, key=lambda c: c[0])
        if [c[0] for c in ordered] != [c[0] for c in chunks]:
            edits.append((decl.span.line, prev_end, [ln for _r, ch in ordered for ln in ch]))
    if not edits:
        return text
    lines = text.split("\n")
    for start, end, new in reversed(edits):
        lines[start:end] = new
    return "\n".join(lines)


def format_source(text: str, path: str = "<输入>",
                  profile_dirs: tuple[str, ...] = ()) -> tuple[str | None, list[Diagnostic]]:
    """The canonical text of a .perf source, or None and the reasons for refusing.

    `profile_dirs` are the user's profile folders for this file (perfdsl.api.profile_dirs_for):
    header fields are ordered by the declaration's own profile. May raise ProfileError."""
    original, diags = parse_text(text, path)
    errors = [d for d in diags if d.severity == "error"]
    if errors:
        return None, errors
    too_deep = _too_deep(original)
    if too_deep is not None:
        return None, [too_deep]
    # Header fields in profile order first (a line-level move), then the canonical print.
    # Each proof below is needed only when its step changed the text: an unchanged text
    # means the same thing, so a file already in canonical form is parsed once (issue #16:
    # `fmt --check` of a huge file within 2× of `check`).
    sorted_text = sort_header_fields(text, original, profile_dirs)
    doc = original
    if sorted_text != text:
        text = sorted_text
        doc, diags = parse_text(text, path)
        if [d for d in diags if d.severity == "error"] or _model(doc) != _model(original) or \
                sorted(map(repr, _waiver_signature(doc))) != sorted(map(repr, _waiver_signature(original))):
            return None, [_fail(path, "按模板顺序排列字段会改变申报表的含义，已放弃写入（这是 perfdsl 的缺陷，请报告）")]
    try:
        out = TriviaPrinter(text, doc.comments).document(doc)
    except PrintError as exc:
        return None, [_fail(path, f"无法格式化：{exc}")]
    if out == text:
        return out, []
    doc2, diags2 = parse_text(out, path)
    if [d for d in diags2 if d.severity == "error"]:
        return None, [_fail(path, "格式化结果无法重新解析，已放弃写入（这是 perfdsl 的缺陷，请报告）")]
    if [c.text.rstrip() for c in doc.comments] != [c.text for c in doc2.comments]:
        return None, [_fail(path, "格式化会丢失或挪动注释，已放弃写入（这是 perfdsl 的缺陷，请报告）")]
    if _waiver_signature(doc) != _waiver_signature(doc2) or _model(doc) != _model(doc2):
        return None, [_fail(path, "格式化会改变申报表的含义，已放弃写入（这是 perfdsl 的缺陷，请报告）")]
    return out, []

"""Print a syntax tree in perfdsl's one canonical layout.

`format_document(doc)` works on any `ast.Document`, including trees built by hand (the
importers, the language server) whose spans are all `NO_SPAN` and that carry no comments.
The formatter (perfdsl/formatter.py) drives the same `Printer` with the source text so
that comments and blank lines survive; that is the only difference.

Canonical style (documented in docs/review.md): two spaces per block level; `key: value`;
half-width `:` `{` `}` `.`; ASCII operators `=` `>=` `<=` `>` `<`; `定性`; `区间 500-1940 元`;
one space between number and unit; attributes `[key: value]` separated by one space; list
items `- text` one level below their field; multi-line texts as `\"\"\"` blocks; texts and
names quoted only when they would not re-parse as plain text.

It must not resolve, check or reorder anything: what is printed is what the tree says.
Content the language cannot express (an attribute value containing `]`, a list item
containing ` #`, a carriage return) raises `PrintError` rather than printing something that
would read back differently.
"""

from __future__ import annotations

import re

from perfdsl import ast
from perfdsl.numbers import decimal_text

INDENT = "  "
OP_TEXT = {"eq": "=", "ge": ">=", "le": "<=", "gt": ">", "lt": "<"}
KIND_TEXT = {"department": "部门整体", "project": "项目"}

_NAME_BAD = re.compile(r'[\s.．:：=＝<>＜＞≤≥≦≧{}｛｝#"\[\]［］]')
_WS_HASH = re.compile(r"[ \t\u3000]#")
_WS_HASH_BRACKET = re.compile(r"[ \t\u3000][#\[［]")
_EDGE_WS = " \t\u3000"
_UNIT_RE = re.compile(
    r"[%％‰]|(?:(?!至)[A-Za-z\u4e00-\u9fff²³㎡])+(?:[/／.·•．・*](?:(?!至)[A-Za-z\u4e00-\u9fff²³㎡])+)*"
)


class PrintError(ValueError):
    """The tree holds something the .perf language cannot write down (Chinese message)."""


# --- leaf helpers ----------------------------------------------------------------------


def quote(text: str) -> str:
    """A double-quoted string literal that the parser reads back as `text`."""
    if "\r" in text:
        raise PrintError(f"文字中含有回车符，无法写入 .perf：{text!r}")
    body = text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\t", "\\t")
    return f'"{body}"'


def segment_text(seg: ast.Segment) -> str:
    """A path segment: bare when it is a valid NAME, quoted otherwise."""
    t = seg.text
    if not t or _NAME_BAD.search(t) or t[0] in "-－•":
        return quote(t)
    return t


def path_text(path: ast.Path) -> str:
    return ".".join(segment_text(s) for s in path.segments)


def _plain_ok(text: str, extra_start: str, inner: re.Pattern[str]) -> bool:
    if not text or "\n" in text or "\r" in text:
        return False
    if re.match(r"\s", text) or text[0] in '#"' + extra_start:
        return False
    if text[-1] in _EDGE_WS or text[-1].isspace() or inner.search(text):  # a trailing NBSP is stripped too
        return False
    return True


def field_text_ok(text: str) -> bool:
    """True when `text` reads back unchanged as an unquoted field value."""
    return _plain_ok(text, "", _WS_HASH)


def qual_text_ok(text: str) -> bool:
    """True when `text` reads back unchanged as an unquoted qualitative target."""
    return _plain_ok(text, "[［", _WS_HASH_BRACKET)


def _block_ok(text: str) -> bool:
    if "\n" not in text or '"""' in text or "\r" in text:
        return False
    lines = text.split("\n")
    if not lines[0].strip() or not lines[-1].strip():
        return False
    for ln in lines:
        if ln and not ln.strip():
            return False  # whitespace-only line: the block dedent would eat it
        if ln != ln.rstrip():
            return False  # trailing whitespace: printed lines are right-stripped
    return any(ln.strip() and ln[0] not in _EDGE_WS for ln in lines)


def title_text(title: str) -> str:
    if (title and not re.match(r"\s", title) and title[0] not in '{｛"#' and "{" not in title
            and "｛" not in title and "\n" not in title and title == title.strip()):
        return title
    return quote(title)


_UNIT_FOLD = str.maketrans("％／．", "%/.")


def fold_unit(unit: str) -> str:
    """Full-width `％` `／` `．` in a unit become half-width; nothing else changes."""
    return unit.translate(_UNIT_FOLD)


def quantity_text(q: ast.Quantity, with_unit: bool = True) -> str:
    raw = q.raw or decimal_text(q.value)
    if with_unit and q.unit:
        unit = fold_unit(q.unit)
        if not _UNIT_RE.fullmatch(unit):
            raise PrintError(f"计量单位“{q.unit}”不能直接写在数值后面")
        return f"{raw} {unit}"
    return raw


def target_text(t: ast.Target) -> str:
    if isinstance(t, ast.Comparison):
        if not t.op_text and t.op == "eq" and t.op_span.line:
            # a bare quantity as the author wrote it (`8 个`, parsed: it has a position) stays
            # bare, since its profile decides what it means; built nodes (import) print "="
            return quantity_text(t.quantity)
        return f"{OP_TEXT[t.op]} {quantity_text(t.quantity)}"
    if isinstance(t, ast.Range):
        lu, hu = t.low.unit, t.high.unit
        low = quantity_text(t.low, with_unit=bool(lu and hu and lu != hu))
        high = quantity_text(t.high, with_unit=False)
        unit = hu or lu
        if unit:
            high = quantity_text(ast.Quantity(t.high.raw, t.high.value, unit))
        return f"区间 {low}-{high}"
    text = t.value.text
    return f"定性 {text if qual_text_ok(text) else quote(text)}"


def attr_text(a: ast.Attr) -> str:
    key, value = a.key.strip(), a.value.strip()
    bad = "]］\n\r"
    if not key or any(c in key for c in bad + ":：") or any(c in value for c in bad):
        raise PrintError(f"附加项“{a.key}: {a.value}”含有不能写入 [名称: 内容] 的字符（] 或换行）")
    return f"[{key}: {value}]"


def item_text(it: ast.Item) -> str:
    t = it.text.strip(_EDGE_WS)
    if "\n" in t or "\r" in t or _WS_HASH.search(t):
        raise PrintError(f"列表项“{it.text}”含有换行或“ #”，无法写成 - 列表项")
    return f"- {t}" if t else "-"


def waiver_text(w: ast.Waiver) -> str:
    """Canonical `#[allow(CODE, 理由 = "…")]`, or the line as written if that is not exact."""
    from perfdsl.parser import parse_waiver  # local: the printer must stay importable cheaply

    if w.error is None and w.codes:
        body = ", ".join(w.codes)
        if w.reason is not None:
            reason = f'"{w.reason}"' if '"' not in w.reason else f"“{w.reason}”"
            body += f", 理由 = {reason}"
        canon = f"#[allow({body})]"
        back = parse_waiver(canon, w.span)
        if back.codes == w.codes and back.reason == w.reason and back.error is None:
            return canon
    if w.raw.strip():
        return w.raw.strip()
    raise PrintError("豁免没有可写出的内容")


# --- the printer -----------------------------------------------------------------------


class Printer:
    """Emit lines for a document. Subclasses add trivia (comments, blank lines) via hooks."""

    def __init__(self) -> None:
        self.out: list[str] = []

    # Hooks; the plain printer has no source, so they do nothing.
    def before(self, line: int, depth: int) -> None:
        """Called before output that comes from source line `line` (0 = no source)."""

    def trailing(self, line: int) -> str:
        """A trailing comment (with its leading space) for output from source `line`."""
        return ""

    def finish(self) -> None:
        """Called once at the end of the document."""

    def emit(self, depth: int, text: str, src_line: int = 0) -> None:
        self.out.append((INDENT * depth + text + self.trailing(src_line)).rstrip())

    def blank(self) -> None:
        if self.out and self.out[-1] != "" and not self.out[-1].endswith("{"):
            self.out.append("")

    # --- structure ---------------------------------------------------------------------
    def document(self, doc: ast.Document) -> str:
        items: list[ast.Declaration | ast.Waiver] = [*doc.declarations, *doc.stray_waivers]
        if all(i.span.line for i in items):
            items.sort(key=lambda i: i.span.line)
        for i, item in enumerate(items):
            if i:
                self.blank()
            if isinstance(item, ast.Waiver):
                self.waiver(item, 0)
            else:
                self.declaration(item)
        self.finish()
        while self.out and self.out[-1] == "":
            self.out.pop()
        return "\n".join(self.out) + "\n" if self.out else ""

    def waiver(self, w: ast.Waiver, depth: int) -> None:
        self.before(w.span.line, depth)
        self.emit(depth, waiver_text(w), w.span.line)

    def waivers(self, ws: tuple[ast.Waiver, ...], depth: int) -> None:
        for w in ws:
            self.waiver(w, depth)

    def declaration(self, d: ast.Declaration) -> None:
        self.waivers(d.waivers, 0)
        self.before(d.span.line, 0)
        head = KIND_TEXT.get(d.kind, d.kind_text or d.kind)
        if d.title:
            head += " " + title_text(d.title)
        self.emit(0, head + " {", d.span.line)
        self.body(d.body, 1)
        self.close(d, 0)

    def close(self, node: ast.Declaration | ast.Group, depth: int) -> None:
        line = self.closing_line(node)
        self.before(line, depth + 1)
        while self.out and self.out[-1] == "":
            self.out.pop()
        self.emit(depth, "}", line)

    def closing_line(self, node: ast.Declaration | ast.Group) -> int:
        return 0

    def body(self, stmts: tuple[ast.Stmt, ...], depth: int) -> None:
        prev: ast.Stmt | None = None
        for st in stmts:
            if prev is not None and depth == 1 and not _line_of(st) and _wants_gap(prev, st):
                self.blank()
            self.statement(st, depth)
            prev = st

    def statement(self, st: ast.Stmt, depth: int) -> None:
        if isinstance(st, ast.Waiver):
            self.waiver(st, depth)
            return
        self.waivers(st.waivers, depth)
        self.before(_line_of(st), depth)
        if isinstance(st, ast.Group):
            self.emit(depth, path_text(st.path) + " {", _line_of(st))
            self.body(st.body, depth + 1)
            self.close(st, depth)
        elif isinstance(st, ast.Indicator):
            parts = [path_text(st.path), target_text(st.target), *(attr_text(a) for a in st.attrs)]
            self.emit(depth, " ".join(parts), st.span.end_line or st.span.line)
        else:
            self.field(st, depth)

    def field(self, f: ast.Field, depth: int) -> None:
        key = path_text(f.key) + ":"
        v = f.value
        line = _line_of(f)
        if v is None:
            self.emit(depth, key, line)
        elif "\n" in v.text and _block_ok(v.text):
            self.emit(depth, key + ' """', line)
            for ln in v.text.split("\n"):
                self.out.append((INDENT * (depth + 1) + ln).rstrip() if ln else "")
            self.emit(depth + 1, '"""', v.span.end_line)
        else:
            text = v.text if field_text_ok(v.text) else quote(v.text)
            self.emit(depth, f"{key} {text}", v.span.end_line or line)
        for it in f.items:
            self.before(it.span.line, depth + 1)
            self.emit(depth + 1, item_text(it), it.span.line)


def _line_of(st: ast.Stmt) -> int:
    if isinstance(st, ast.Field):
        return st.key.span.line or st.span.line
    if isinstance(st, (ast.Group, ast.Indicator)):
        return st.path.span.line or st.span.line
    return st.span.line


def _wants_gap(prev: ast.Stmt, st: ast.Stmt) -> bool:
    """Blank lines for trees without positions: around every top-level block."""
    return isinstance(st, ast.Group) or isinstance(prev, ast.Group)


def format_document(doc: ast.Document) -> str:
    """The canonical text of `doc` (ends with one newline; empty document → empty text)."""
    return Printer().document(doc)


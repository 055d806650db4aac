"""Syntax errors in Chinese, and recovery so that every error is reported in one run.

Lark's LALR `on_error` hands us each error with the live parser. We say what was found
and what was expected in words (`TERMINAL_ZH`; `interactive_parser.accepts()` gives the
exact expected set), then recover at statement level (panic mode): skip the rest of the
bad line and unwind the LALR stack to a state where a new statement or declaration may
start. Lark's own exception texts and terminal names never reach the user.
"""

from __future__ import annotations

import re

from lark import Token
from lark.exceptions import UnexpectedCharacters, UnexpectedEOF, UnexpectedInput, UnexpectedToken

from perfdsl.cnnum import chinese_quantity
from perfdsl.diagnostics import Diagnostic, Fix, diag
from perfdsl.numbers import other_digits
from perfdsl.source import Span, line_of

# Chinese words for terminals, in the order they are listed in messages.
TERMINAL_ZH: dict[str, str] = {
    "NAME": "名称",
    "STRING": "带引号的文字",
    "_COLON": "冒号“:”",
    "CMP": "比较运算符（= ≥ ≤ > <）",
    "QUAL_KW": "“定性”",
    "RANGE_KW": "“区间”",
    "NUMBER": "数值",
    "UNIT": "计量单位",
    "PAREN_UNIT": "括号中的计量单位",
    "RANGE_SEP": "区间分隔符（- ~ 至）",
    "FIELD_TEXT": "文字",
    "QUAL_TEXT": "文字",
    "BLOCK": "多行文字（\"\"\"……\"\"\"）",
    "ITEM": "列表项（以 - 开头）",
    "ATTR": "附加项 [名称: 内容]",
    "_LBRACE": "“{”",
    "_RBRACE": "“}”",
    "_DOT": "“.”",
    "DECL_KW": "“部门整体”或“项目”",
    "TITLE": "声明名称",
    "WAIVER": "豁免 #[allow(…)]",
    "_NL": "换行",
    "$END": "文件结尾",
}


def token_span(path: str, tok: Token) -> Span:
    return Span(path, tok.line or 0, tok.column or 0, tok.end_line or tok.line or 0,
                tok.end_column or (tok.column or 0) + len(tok))



# What ends an indicator's path: the last operator that is followed by a value.
_TARGET_OP = re.compile(
    r"(?:＞＝|＜＝|>=|<=|==|[=≥≤≧≦＝＞＜><])(?=[ \t\u3000]*[+\-－]?[0-9０-９])"
    r"|(?<=[ \t\u3000])(?:定性|区间值|区间)(?=[ \t\u3000]+\S)"
)
# Characters that may not appear in an unquoted name (docs/language.md), whitespace included.
_NAME_SPECIAL = re.compile(r"[:：=＝<>＜＞≤≥≦≧#{}｛｝\[\]［］ \t\u3000]")


def unquoted_name(line_text: str, col: int) -> tuple[int, int, str] | None:
    """(start, end, name) of an indicator name that needs quotes, when the error at 1-based
    `col` lies inside it: `产出.数量.完成率(>=90%) >= 3 个` fails at the name's own `>=`.

    The name is the last path segment before the statement's real operator (the last one
    followed by a value), from the segment holding the first special character. Indices
    are 0-based code points, end exclusive.
    """
    ops = list(_TARGET_OP.finditer(line_text))
    if not ops:
        return None
    indent = len(line_text) - len(line_text.lstrip(" \t\u3000"))
    end = len(line_text[:ops[-1].start()].rstrip(" \t\u3000"))
    path = line_text[indent:end]
    special = _NAME_SPECIAL.search(path)
    if special is None or '"' in path:
        return None
    dot = max(path.rfind(".", 0, special.start()), path.rfind("．", 0, special.start()))
    start = indent + dot + 1
    if not start - 1 <= col - 1 <= end or start >= end or dot < 0:
        return None
    if path.lstrip().startswith(("#", "-", "－", "部门整体", "项目 ")):
        return None
    return start, end, line_text[start:end]


_BLANKS = re.compile(r"(?:[ \t\u3000]*(?:#(?!\[)[^\n]*)?\n)*[ \t\u3000]*")


class Recovery:
    """Panic-mode error recovery for Lark's LALR `on_error`."""

    def __init__(self, path: str, text: str, diags: list[Diagnostic]) -> None:
        self.src = path
        self.text = text
        self.diags = diags
        self.resume_states: set[int] | None = None
        self.failed_at: int | None = None
        self._scan_line = 1
        self._outer_open: list[str] = []
        self._scan_stack: list[tuple[str, ...]] = []

    def _expected(self, e: UnexpectedInput) -> str:
        try:
            names = set(e.interactive_parser.accepts())  # type: ignore[union-attr]
        except Exception:
            names = set(getattr(e, "expected", ()) or getattr(e, "allowed", ()) or ())
        order = list(TERMINAL_ZH)
        words: list[str] = []
        for n in sorted(names, key=lambda n: order.index(n) if n in order else 99):
            w = TERMINAL_ZH.get(n)
            if w is None and n.isidentifier() is False:
                w = f"“{n}”"
            if w and w not in words:
                words.append(w)
        return "、".join(words) if words else "别的内容"

    def _block_prefix(self, line: int) -> tuple[str, ...]:
        """The path prefix of the group blocks open at `line` (`产出 { 数量 { …`). Errors come in
        line order, so the scan goes on from where it stopped: linear in the file overall."""
        if line < self._scan_line:
            self._scan_line, self._scan_stack = 1, []
        while self._scan_line < line:
            here = self._line_text(self._scan_line).strip()
            self._scan_line += 1
            if here.startswith(("}", "｝")):
                if self._scan_stack:
                    self._scan_stack.pop()
            elif here.endswith(("{", "｛")):
                head = here[:-1].strip()
                decl = head.startswith(("项目", "部门整体")) and " " in head
                self._scan_stack.append(() if decl else _written_path(head))
        return tuple(p for seg in self._scan_stack for p in seg)

    def _unclosed(self, end_line: int) -> tuple[int, int, str] | None:
        """(line, column, text before “{”) of the innermost block still open at `end_line`,
        scanning from the declaration header at or before it (one chunk, one declaration)."""
        start = end_line
        while start > 1 and not _DECL_START.match(self._line_text(start)):
            start -= 1
        stack: list[tuple[int, int, str]] = []
        for n in range(start, end_line + 1):
            raw = self._line_text(n)
            here = raw.strip()
            if here.startswith(("}", "｝")):
                if stack:
                    stack.pop()
            elif here.endswith(("{", "｛")) and not here.startswith("#"):
                col = len(raw) - len(raw.lstrip()) + 1
                stack.append((n, col, here[:-1].strip()))
        self._outer_open = [_block_name(h) for _l, _c, h in stack[:-1]]
        return stack[-1] if stack else None

    def _line_text(self, line: int) -> str:
        return line_of(self.text, line)  # line starts indexed once: linear in the errors

    def report(self, e: UnexpectedInput) -> None:
        line, col = e.line, e.column
        expected = self._expected(e)
        if (isinstance(e, UnexpectedToken) and e.token.type == "$END") or isinstance(e, UnexpectedEOF):
            body = self.text.rstrip("\n")
            last_line = body[body.rfind("\n") + 1:]
            span = Span.point(self.src, body.count("\n") + 1, len(last_line) + 1)
            end_line = e.line if isinstance(e, UnexpectedToken) and (e.line or 0) > 0 else body.count("\n") + 1
            opened = self._unclosed(end_line)
            if opened is not None and "“}”" in expected:
                # Say which block is open, at its opening line: the end of the file is not where to look.
                oline, ocol, head = opened
                what = _block_name(head)
                while end_line > oline and not self._line_text(end_line).strip():
                    end_line -= 1
                last = Span.point(self.src, end_line, len(self._line_text(end_line).rstrip()) + 1)
                self.diags.append(diag(
                    "PD-S003", Span(self.src, oline, ocol, oline, ocol + len(head)), block=what, expected="结束的 }",
                    help=f"在{what}的最后一行之后补上独占一行的“}}”"
                         + ("；外层的" + "、".join(reversed(self._outer_open)) + "也没有结束，各补一个“}”"
                            if self._outer_open else ""),
                    related=((last, f"{what}到这里就结束了"),) if end_line != oline else ()))
                return
            self.diags.append(diag("PD-S003", span, block="", expected=expected))
            return
        if isinstance(e, UnexpectedToken):
            tok = e.token
            span = token_span(self.src, tok)
            first = re.match(r"\S+", str(tok))
            found = "行尾" if tok.type == "_NL" or not first else f"“{_short(first.group(0))}”"
            if tok.type == "_NL":
                span = Span.point(self.src, line, col)
            elif first is not None and first.end() < len(str(tok)):
                # The caret covers the word shown, not the rest of what the lexer grabbed.
                span = Span(self.src, span.line, span.col, span.line, span.col + first.end())
        else:
            assert isinstance(e, UnexpectedCharacters)
            # e.pos_in_stream counts from the chunk's start, not the file's: use line and column.
            here = self._line_text(line)
            ch = here[col - 1] if col - 1 < len(here) else "\n"
            span = Span.point(self.src, line, col)
            if ch == "\n":
                found = "行尾"
            else:
                rest = self._line_text(line)[col - 1:]
                word = re.match(r"[^\s]+", rest)
                found = f"“{_short(word.group(0) if word else ch)}”"
                if word:
                    span = Span(self.src, line, col, line, col + len(word.group(0)))
        # Digits of another script (٢٦٠٠, 𝟐𝟕𝟎): say so, and offer the 0-9 spelling.
        word = found.strip("“”")
        ascii_word, scripts = other_digits(word) if found != "行尾" else (word, [])
        if scripts:
            self.diags.append(diag(
                "PD-S001", span, found=f"“{word}”（{'、'.join(scripts)}）",
                expected=f"用 0-9 书写的数值（{ascii_word}）",
                help="数值只能用 0-9（或全角 ０-９）书写；这些字符看起来像数字，但不是",
                fix=Fix(span, ascii_word, f"改为 {ascii_word}")))
            return
        # A name with a character that has a meaning in the language: say it needs quotes.
        named = unquoted_name(self._line_text(line), col)
        if named is not None:
            start, end, name = named
            chars = "、".join(dict.fromkeys(f"“{c}”" if c.strip() else "空格"
                                             for c in _NAME_SPECIAL.findall(name)))
            nspan = Span(self.src, line, start + 1, line, end + 1)
            path = self._block_prefix(line) + _written_path(self._line_text(line)[:start]) + (name,)
            self.diags.append(diag("PD-S009", nspan, name=_short(name, 40), chars=chars, path=path,
                                   fix=Fix(nspan, f'"{name}"', "给名称加上英文双引号")))
            return
        # A comparison followed by text: the most common mistake, with its own code.
        before = self._line_text(line)[: col - 1]
        # `定性` with nothing after it: the value is empty (the same finding as `定性 ""`).
        qual_m = re.search(r"(?:^|[ \t\u3000])(定性)[ \t\u3000]*$", before)
        if qual_m and found == "行尾":
            path = self._block_prefix(line) + _written_path(before[:qual_m.start(1)])
            kw = Span(self.src, line, qual_m.start(1) + 1, line, qual_m.end(1) + 1)
            self.diags.append(diag("PD-V005", kw, path=path, name=path[-1] if path else "",
                                   help="在“定性”后面写出目标，如：定性 明显提高"))
            return
        sci = re.search(r"[0-9０-９][eE][+\-]?$", before)
        if sci and re.match(r"“[0-9]", found):
            self.diags.append(diag(
                "PD-S001", Span(self.src, line, col - len(sci.group(0)) + 1, line, col + len(found) - 2),
                found=f"科学计数法“{sci.group(0)[1:]}{found.strip('“”')}”",
                expected="写出完整的十进制数值（如 1000000，而不是 1e6）"))
            return
        cmp_m = re.search(r"(>=|<=|==|=|>|<|≥|≤|≧|≦|＝|＞＝|＜＝|＞|＜)\s*$", before)
        if cmp_m and re.match(r"“[\u4e00-\u9fffA-Za-z“]", found):
            op = cmp_m.group(1)
            word = found.strip("“”")
            path = self._block_prefix(line) + _written_path(before[:cmp_m.start()])
            qty = chinese_quantity(word)
            if qty is not None:
                number = f"{qty[0]} {qty[1]}" if qty[1] else str(qty[0])
                self.diags.append(diag(
                    "PD-V001", span, op=op, text=word, path=path,
                    help=f"数值要用阿拉伯数字书写：{op} {number}",
                    fix=Fix(span, number, f"改为 {number}")))
            else:
                self.diags.append(diag(
                    "PD-V001", span, op=op, text=word, path=path,
                    help=f"若这是定性指标，写成：定性 {word}"))
            return
        if isinstance(e, UnexpectedCharacters) and found != "行尾":
            self.diags.append(diag("PD-S002", span, char=found.strip("“”"), expected=expected))
        else:
            self.diags.append(diag("PD-S001", span, found=found, expected=expected))

    def __call__(self, e: UnexpectedInput) -> bool:
        self.report(e)
        ip = e.interactive_parser  # type: ignore[union-attr]
        ps = ip.parser_state
        if self.resume_states is None:
            states = ps.parse_conf.parse_table.states
            self.resume_states = {
                s for s, acts in states.items()
                if ("NAME" in acts and "_RBRACE" in acts) or ("DECL_KW" in acts and "WAIVER" in acts and "NAME" not in acts)
            }
        if isinstance(e, UnexpectedToken) and e.token.type == "$END":
            return False
        lx = ip.lexer_thread.state
        if not (isinstance(e, UnexpectedToken) and e.token.type == "_NL"):
            pos = lx.line_ctr.char_pos
            # The text being lexed (one padded chunk), not the whole file: offsets differ.
            full = getattr(lx.text, "text", lx.text)
            nl = full.find("\n", pos)
            nl = len(full) if nl < 0 else nl + 1
            # Also skip the blank and comment lines that follow, and the next line's
            # indentation: the parser must resume at a statement, not at a newline.
            nl = _BLANKS.match(full, nl).end()  # type: ignore[union-attr]
            lx.line_ctr.feed(full[pos:nl])
        while ps.state_stack[-1] not in self.resume_states and len(ps.state_stack) > 1:
            ps.state_stack.pop()
            ps.value_stack.pop()
        ok = ps.state_stack[-1] in self.resume_states
        if not ok:
            self.failed_at = e.line
        return ok


_DECL_START = re.compile(r"^(?:项目|部门整体)(?:[ \t\u3000]|$)")


def _block_name(head: str) -> str:
    """`项目“边界测试二”`, `部门整体“…”` or `分组“产出.数量”`, for a block's opening text."""
    m = re.match(r"^(项目|部门整体)[ \t\u3000]*(.*)$", head)
    if m:
        title = m.group(2).strip().strip('"')
        return f"{m.group(1)}“{_short(title, 40)}”" if title else m.group(1)
    return f"分组“{_short(head, 40)}”"


def _written_path(text: str) -> tuple[str, ...]:
    """The segments of a path as written (`产出.数量.人数`), quotes removed."""
    text = text.strip()
    if not text or ('"' not in text and re.search(r"[\s:：{}]", text)):
        return ()
    return tuple(p.strip().strip('"') for p in re.split(r"[.．](?=(?:[^\"]*\"[^\"]*\")*[^\"]*$)", text) if p.strip())


def _short(text: str, limit: int = 20) -> str:
    text = text.replace("\n", "⏎")
    return text if len(text) <= limit else text[:limit] + "…"

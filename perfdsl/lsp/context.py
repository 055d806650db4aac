"""Where is the cursor? A text-only reading of a .perf file for editor features.

While a person types, the file is usually broken, so completion and hover cannot wait
for a clean parse. This module reads the raw lines: the block stack (declaration and
group blocks) above a line, the profile of the enclosing declaration, and the pieces of
one line (path segments, operator, number, unit) with their code-point columns. It
only reads text; it must not report diagnostics or depend on pygls.
"""

from __future__ import annotations

import re

import attrs

from perfdsl.profiles import Profile, default_profile, find_profile

NAME_CHARS = r"[^\s.．:：=＝<>＜＞≤≥≦≧{}｛｝#\"\[\]［］]"
_SEG = rf"(?:{NAME_CHARS}+|\"(?:[^\"\\\n]|\\.)*\")"
_PATH = re.compile(rf"({_SEG})((?:[.．]{_SEG})*)")
_DECL = re.compile(r"^\s*(部门整体|项目)(?=[\s{｛\"]|$)")
_OPEN = re.compile(r"[{｛]\s*(?:#.*)?$")
_CLOSE = re.compile(r"^\s*[}｝]")
_PROFILE_LINE = re.compile(r"^\s*(?:模板|profile)\s*[:：]\s*(\S+)")
CMP = re.compile(r"＞＝|＜＝|＞=|＜=|>＝|<＝|>=|<=|==|[=≥≤≧≦＝＞＜><]")
_NUMBER = re.compile(r"[+\-－]?[0-9０-９]+(?:[,，][0-9０-９]{3})*(?:[.．][0-9０-９]+)?")
_UNIT = re.compile(r"[%％‰]|(?:(?!至)[A-Za-z\u4e00-\u9fff²³㎡])+(?:[/／.·•．・*](?:(?!至)[A-Za-z\u4e00-\u9fff²³㎡])+)*")
_RANGE_SEP = re.compile(r"\s*(?:-|~|～|－|—|至)\s*")


@attrs.frozen
class Piece:
    text: str
    start: int  # 0-based code-point index in the line
    end: int  # exclusive


@attrs.frozen
class LineInfo:
    indent: int
    segments: tuple[Piece, ...] = ()
    op: Piece | None = None  # a comparison operator, 定性, 区间 or the field colon / block brace
    numbers: tuple[Piece, ...] = ()
    units: tuple[Piece, ...] = ()
    after_path: str = ""  # the text after the path


def _unquote(seg: str) -> str:
    return seg[1:-1] if len(seg) >= 2 and seg.startswith('"') and seg.endswith('"') else seg


def scan_line(line: str) -> LineInfo:
    """The pieces of one statement line: path segments, operator, numbers and units."""
    stripped = line.lstrip(" \t\u3000")
    indent = len(line) - len(stripped)
    if not stripped or stripped.startswith(("#", "-", "－", "•", "}", "｝")) or _DECL.match(line):
        return LineInfo(indent)
    m = _PATH.match(line, indent)
    if m is None:
        return LineInfo(indent)
    segs: list[Piece] = []
    pos = m.start()
    for part in re.finditer(rf"{_SEG}", m.group(0)):
        s = m.start() + part.start()
        segs.append(Piece(_unquote(part.group(0)), s, s + len(part.group(0))))
    pos = m.end()
    rest = line[pos:]
    ws = len(rest) - len(rest.lstrip(" \t\u3000"))
    at = pos + ws
    op: Piece | None = None
    numbers: list[Piece] = []
    units: list[Piece] = []
    cm = CMP.match(line, at)
    kw = re.compile(r"定性|区间值|区间").match(line, at)
    if cm:
        op = Piece(cm.group(0), cm.start(), cm.end())
        _quantities(line, cm.end(), numbers, units, allow_range=False)
    elif kw:
        op = Piece(kw.group(0), kw.start(), kw.end())
        if kw.group(0).startswith("区间"):
            _quantities(line, kw.end(), numbers, units, allow_range=True)
    elif at < len(line) and line[at] in ":：{｛":
        op = Piece(line[at], at, at + 1)
    return LineInfo(indent, tuple(segs), op, tuple(numbers), tuple(units), rest)


def _quantities(line: str, pos: int, numbers: list[Piece], units: list[Piece], allow_range: bool) -> None:
    for _ in range(2 if allow_range else 1):
        while pos < len(line) and line[pos] in " \t\u3000":
            pos += 1
        nm = _NUMBER.match(line, pos)
        if not nm:
            return
        numbers.append(Piece(nm.group(0), nm.start(), nm.end()))
        pos = nm.end()
        while pos < len(line) and line[pos] in " \t\u3000":
            pos += 1
        um = _UNIT.match(line, pos)
        if um:
            units.append(Piece(um.group(0), um.start(), um.end()))
            pos = um.end()
        if allow_range:
            sep = _RANGE_SEP.match(line, pos)
            if not sep:
                return
            pos = sep.end()


@attrs.frozen
class Block:
    kind: str  # department | project | group
    line: int  # 0-based line of the opening brace
    path: tuple[str, ...] = ()


def block_stack(lines: list[str], line: int) -> list[Block]:
    """The blocks open at the start of `line` (0-based), outermost first."""
    stack: list[Block] = []
    in_block_text = False
    for i in range(min(line, len(lines))):
        text = lines[i]
        if text.count('"""') % 2 == 1:
            in_block_text = not in_block_text
            continue
        if in_block_text:
            continue
        if _CLOSE.match(text):
            if stack:
                stack.pop()
            continue
        if not _OPEN.search(text):
            continue
        dm = _DECL.match(text)
        if dm:
            stack = [Block("department" if dm.group(1) == "部门整体" else "project", i)]
            continue
        info = scan_line(text)
        if info.segments and info.op is not None and info.op.text in "{｛":
            stack.append(Block("group", i, tuple(s.text for s in info.segments)))
    return stack


def group_prefix(stack: list[Block]) -> tuple[str, ...]:
    out: tuple[str, ...] = ()
    for b in stack:
        if b.kind == "group":
            out += b.path
    return out


def declaration_profile(lines: list[str], stack: list[Block], profile_dirs: tuple[str, ...]) -> Profile | None:
    """The profile of the declaration the stack is inside (its `模板:` line, or the default)."""
    if not stack or stack[0].kind == "group":
        return None
    decl = stack[0]
    depth = 0
    for text in lines[decl.line:]:
        if _CLOSE.match(text):
            depth -= 1
            if depth <= 0:
                break
        elif _OPEN.search(text):
            depth += 1
        pm = _PROFILE_LINE.match(text)
        if pm and depth == 1:
            try:
                prof = find_profile(pm.group(1), profile_dirs)
            except Exception:  # a broken user profile must not break the editor
                prof = None
            if prof is not None:
                return prof
            break
    return default_profile(decl.kind, profile_dirs)


def short_name(name: str) -> str:
    """The short form authors write: 数量指标 → 数量 (only for names ending in 指标)."""
    return name[:-2] if name.endswith("指标") and len(name) > 2 else name

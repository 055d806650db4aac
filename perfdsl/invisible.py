"""Invisible and bidirectional control characters ("Trojan Source"): which, their names, and
how to show them.

Such a character makes two names that look the same differ, or makes a line display in an
order other than the one it is read in. perfdsl reports them (PD-T001) and, wherever it shows
text back to the user (diagnostic excerpts, `diff`), writes them visibly as `⟨U+200B⟩`.
"""

from __future__ import annotations

import re

NAMES = {
    0x061C: "阿拉伯字母标记", 0x200B: "零宽空格", 0x200C: "零宽非连接符", 0x200D: "零宽连接符",
    0x200E: "从左到右标记", 0x200F: "从右到左标记", 0x202A: "从左到右嵌入", 0x202B: "从右到左嵌入",
    0x202C: "方向格式结束", 0x202D: "从左到右覆盖", 0x202E: "从右到左覆盖", 0x2060: "词连接符",
    0x2061: "不可见函数应用", 0x2062: "不可见乘号", 0x2063: "不可见分隔符", 0x2064: "不可见加号",
    0x2066: "从左到右隔离", 0x2067: "从右到左隔离", 0x2068: "首字强隔离", 0x2069: "方向隔离结束",
    0xFEFF: "零宽不换行空格（BOM）",
}
PATTERN = re.compile("[" + "".join(re.escape(chr(c)) for c in NAMES) + "]")
_VISIBLE = {c: f"⟨U+{c:04X}⟩" for c in NAMES}


def describe(ch: str) -> str:
    """`U+200B（零宽空格）`."""
    return f"U+{ord(ch):04X}（{NAMES.get(ord(ch), '不可见字符')}）"


def visible(text: str) -> str:
    """`text` with every invisible or bidi control character written as `⟨U+XXXX⟩`."""
    return text.translate(_VISIBLE) if PATTERN.search(text) else text


def visible_span(line: str, col: int, end_col: int) -> tuple[str, int, int]:
    """`line` made visible, with 1-based columns `col`..`end_col` moved to match."""
    if not PATTERN.search(line):
        return line, col, end_col

    def shift(c: int) -> int:
        prefix = line[: max(c - 1, 0)]
        return c + sum(len(_VISIBLE[ord(m.group(0))]) - 1 for m in PATTERN.finditer(prefix))

    return visible(line), shift(col), shift(end_col)

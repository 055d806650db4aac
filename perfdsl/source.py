"""Source files and spans.

A `Span` locates a piece of text: 1-based line and column, columns counted in Unicode
code points (SARIF `unicodeCodePoints`). `SourceFile` decodes bytes the way perfdsl
promises (UTF-8, with or without BOM, CRLF or LF) and never raises on user input:
undecodable bytes are reported by `decode_source` as a problem for the caller to turn
into a diagnostic.
"""

from __future__ import annotations

import re
import unicodedata
from array import array
from functools import lru_cache

from perfdsl.record import Record, fields

_new = tuple.__new__


class Span(Record):
    """Where a piece of text is: `path`, 1-based `line`/`col`, `end_line`/`end_col` (exclusive).

    A `perfdsl.record.Record` (one tuple), not an attrs class: a corpus check builds
    about 700k of them.
    """

    __slots__ = ()
    _fields = ("path", "line", "col", "end_line", "end_col")
    path, line, col, end_line, end_col = fields(*_fields)

    def __new__(cls, path: str, line: int, col: int, end_line: int, end_col: int) -> Span:
        return _new(cls, (path, line, col, end_line, end_col))

    @staticmethod
    def point(path: str, line: int, col: int, width: int = 1) -> Span:
        return Span(path, line, col, line, col + max(width, 1))


NO_SPAN = Span("", 0, 0, 0, 0)


def display_width(text: str) -> int:
    """Terminal columns taken by `text`: East Asian wide and full-width characters count 2."""
    width = 0
    for ch in text:
        if unicodedata.combining(ch):
            continue
        width += 2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1
    return width


class SourceFile(Record):
    __slots__ = ()
    _fields = ("path", "text")
    path, text = fields(*_fields)

    def __new__(cls, path: str, text: str) -> SourceFile:
        return _new(cls, (path, text))

    def line_text(self, line: int) -> str:
        return line_of(self.text, line)


def line_of(text: str, line: int) -> str:
    """Line `line` (1-based) of `text`, or "". The line starts are found once per text, so
    reporting many findings in a huge file stays linear (it used to split the whole text
    for every finding: issue #16)."""
    starts = _line_starts(text)
    if not 1 <= line <= len(starts):
        return ""
    start = starts[line - 1]
    end = starts[line] - 1 if line < len(starts) else len(text)
    return text[start:end]


@lru_cache(maxsize=4)
def _line_starts(text: str) -> array[int]:
    starts = array("q", [0])
    starts.extend(m.end() for m in _NEWLINE.finditer(text))
    return starts


_NEWLINE = re.compile("\n")


class DecodeProblem(Record):
    """Why a file's bytes are not readable text: a Chinese message and where it happened.

    Returned, never raised: the caller turns it into a PD-S004 diagnostic.
    """

    __slots__ = ()
    _fields = ("message", "guessed", "line", "col")
    message, guessed, line, col = fields(*_fields)

    def __new__(cls, message: str, guessed: str | None, line: int, col: int) -> DecodeProblem:
        return _new(cls, (message, guessed, line, col))


def decode_source(path: str, data: bytes) -> tuple[SourceFile | None, DecodeProblem | None]:
    """Decode a .perf file. UTF-8 (BOM allowed) only; CRLF and lone CR become LF.

    A GBK/GB18030 file is not silently guessed: the caller gets a problem that names the
    encoding and how to convert it (the documented choice, see docs/reliability.md).
    """
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        msg = ("文件是 UTF-16 编码（Windows 记事本的“Unicode”），perfdsl 只读取 UTF-8。"
               "请在记事本“另存为”时选择“UTF-8”编码，或用 iconv -f UTF-16 -t UTF-8 转换")
        return None, DecodeProblem(msg, "UTF-16", 1, 1)
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        before = data[: exc.start]
        line = before.count(b"\n") + 1
        col = len(before[before.rfind(b"\n") + 1 :].decode("utf-8", errors="replace")) + 1
        guessed = None
        try:
            data.decode("gb18030")
            guessed = "GB18030/GBK"
        except UnicodeDecodeError:
            guessed = None
        if guessed:
            msg = (f"文件不是 UTF-8 编码，看起来是 {guessed} 编码（Windows 记事本的旧默认）。"
                   f"请转换为 UTF-8 后再试，例如：iconv -f GB18030 -t UTF-8 原文件 > 新文件，"
                   f"或在记事本“另存为”时选择“UTF-8”编码")
        else:
            msg = "文件不是有效的 UTF-8 文本（可能是二进制文件或其他编码），请以 UTF-8 编码保存"
        return None, DecodeProblem(msg, guessed, line, col)
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    if "\x00" in text:
        idx = text.index("\x00")
        line = text.count("\n", 0, idx) + 1
        col = idx - (text.rfind("\n", 0, idx) + 1) + 1
        return None, DecodeProblem("文件中含有空字符（NUL），这不是文本文件", None, line, col)
    return SourceFile(path, text), None

"""Convert between perfdsl spans and LSP positions.

perfdsl spans are 1-based line/column counted in Unicode code points (end column
exclusive). LSP positions are 0-based and, by default, count UTF-16 code units, so a CJK
character is one unit and a character outside the BMP (𠀀, emoji) is two. A client may
negotiate utf-8 or utf-32 instead; every function takes the encoding. Pure functions:
no pygls, no I/O.
"""

from __future__ import annotations

UTF16 = "utf-16"
UTF8 = "utf-8"
UTF32 = "utf-32"


def _units(ch: str, encoding: str) -> int:
    cp = ord(ch)
    if encoding == UTF8:
        return 1 if cp < 0x80 else 2 if cp < 0x800 else 3 if cp < 0x10000 else 4
    if encoding == UTF32:
        return 1
    return 2 if cp > 0xFFFF else 1


def units_before(line_text: str, index: int, encoding: str = UTF16) -> int:
    """Code units taken by the first `index` code points of `line_text` (index clamped)."""
    index = max(0, min(index, len(line_text)))
    if encoding == UTF32:
        return index
    return sum(_units(ch, encoding) for ch in line_text[:index])


def index_from_units(line_text: str, units: int, encoding: str = UTF16) -> int:
    """The code-point index in `line_text` of a client character offset (clamped).

    An offset that falls inside a surrogate pair (or a UTF-8 sequence) maps to the
    character it splits, never past it.
    """
    if units <= 0:
        return 0
    if encoding == UTF32:
        return min(units, len(line_text))
    seen = 0
    for i, ch in enumerate(line_text):
        seen += _units(ch, encoding)
        if seen > units:
            return i
        if seen == units:
            return i + 1
    return len(line_text)


def split_lines(text: str) -> list[str]:
    return text.split("\n")


def to_position(lines: list[str], line: int, col: int, encoding: str = UTF16) -> tuple[int, int]:
    """LSP (line, character) of perfdsl 1-based (line, col); out-of-range values clamp."""
    if not lines:
        return 0, 0
    if line < 1:
        return 0, 0
    if line > len(lines):
        last = len(lines) - 1
        return last, units_before(lines[last], len(lines[last]), encoding)
    text = lines[line - 1]
    return line - 1, units_before(text, max(col, 1) - 1, encoding)


def span_to_range(lines: list[str], line: int, col: int, end_line: int, end_col: int,
                  encoding: str = UTF16) -> tuple[tuple[int, int], tuple[int, int]]:
    """LSP start and end of a perfdsl span; an empty or unknown span covers one character."""
    if line <= 0:
        return (0, 0), (0, 0)
    start = to_position(lines, line, col, encoding)
    if end_line < line or (end_line == line and end_col <= col):
        end_line, end_col = line, col + 1
    end = to_position(lines, end_line, end_col, encoding)
    return start, end


def from_position(lines: list[str], line: int, character: int, encoding: str = UTF16) -> tuple[int, int]:
    """perfdsl 1-based (line, col) of an LSP position."""
    if not lines:
        return 1, 1
    li = max(0, min(line, len(lines) - 1))
    return li + 1, index_from_units(lines[li], character, encoding) + 1

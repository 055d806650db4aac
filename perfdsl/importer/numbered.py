"""Numbered text → list items, numbering removed.

People write a list field (部门职能, 年度绩效目标, …) as numbered items, as separate
paragraphs or run together in one paragraph:

    1. 负责全县……工作。 2. 负责全县社会保险登记……。 3. 负责全民参保工作。
    1、维护辖区安全2、改善环境            （1）……（2）……          (一)……(二)……
    目标1：按月完成……。 目标2：按月支付……。                         ①……②……

`split_numbered` finds such a run and returns its items. It only accepts markers that
count 1, 2, 3, … in one style, so numbers in the text are not taken for markers:
decimals (`1.5万元`), dates (`2025.1.1`), `第1、2季度`, `1、2号楼` are never split.
Text before the first marker (an introduction) is kept as an item of its own: nothing
is dropped. It must stay free of profile knowledge (the caller applies it to list fields).
"""

from __future__ import annotations

import re
import unicodedata

import attrs

_CN = "一二三四五六七八九十"
_FULLWIDTH_DIGITS = str.maketrans("０１２３４５６７８９", "0123456789")
_CIRCLED = "①②③④⑤⑥⑦⑧⑨⑩⑪⑫⑬⑭⑮⑯⑰⑱⑲⑳"

# Each style: a regex whose group "n" is the number. Arabic markers are never preceded
# by a digit, a decimal point or 第, and `N.`/`N、` never followed by a digit.
_NOT_AFTER = r"(?<![0-9.．第])"
_STYLES: dict[str, re.Pattern[str]] = {
    "target": re.compile(r"目标\s*(?P<n>\d{1,2})\s*(?:[：:]|[、.．](?!\d))\s*"),
    "paren": re.compile(r"[（(]\s*(?P<n>\d{1,2})\s*[）)]\s*"),
    "cn_paren": re.compile(rf"[（(]\s*(?P<n>[{_CN}]{{1,3}})\s*[）)]\s*"),
    "dot": re.compile(_NOT_AFTER + r"(?P<n>\d{1,2})\s*[.．](?![0-9.．])\s*"),
    "comma": re.compile(_NOT_AFTER + r"(?P<n>\d{1,2})\s*、(?![0-9])\s*"),
    "rparen": re.compile(_NOT_AFTER + r"(?<![（(])(?P<n>\d{1,2})\s*[）)]\s*"),
    "cn_comma": re.compile(rf"(?<![{_CN}第])(?P<n>[{_CN}]{{1,3}})、\s*"),
    "circled": re.compile(rf"(?P<n>[{_CIRCLED}])\s*"),
}
_TRAILING = " \t\n\u3000"  # only blank space: punctuation is part of the written item


@attrs.frozen
class _Mark:
    start: int
    end: int
    n: int


def _cn_number(text: str) -> int | None:
    """一 … 九十九 (enough for any list)."""
    if not text or any(c not in _CN for c in text):
        return None
    if text == "十":
        return 10
    if "十" in text:
        tens, _, ones = text.partition("十")
        if "十" in ones:
            return None
        t = _CN.index(tens) + 1 if tens else 1
        o = _CN.index(ones) + 1 if ones else 0
        return t * 10 + o if t < 10 and o < 10 else None
    return _CN.index(text) + 1 if len(text) == 1 else None


def _number(style: str, raw: str) -> int | None:
    if style == "circled":
        return _CIRCLED.index(raw) + 1
    if style.startswith("cn_"):
        return _cn_number(raw)
    return int(raw)


def _marks(style: str, text: str) -> list[_Mark]:
    out = []
    for m in _STYLES[style].finditer(text):
        n = _number(style, m.group("n"))
        if n is not None:
            out.append(_Mark(m.start(), m.end(), n))
    return out


def _runs(marks: list[_Mark]) -> list[list[_Mark]]:
    """Every run 1, 2, 3, … (each next mark the first one after the previous)."""
    runs = []
    for i, first in enumerate(marks):
        if first.n != 1:
            continue
        run = [first]
        for m in marks[i + 1:]:
            if m.n == run[-1].n + 1 and m.start >= run[-1].end:
                run.append(m)
        runs.append(run)
    return runs


def _items(text: str, run: list[_Mark]) -> list[str] | None:
    items = []
    for k, m in enumerate(run):
        end = run[k + 1].start if k + 1 < len(run) else len(text)
        item = _tidy(text[m.end:end])
        if not item:
            return None  # `一、二、三级` and the like: markers with nothing between are not a list
        items.append(item)
    return items


def _tidy(text: str) -> str:
    """An item's text: a line broken inside it is joined (without a space next to CJK)."""
    out = ""
    for ln in text.strip(_TRAILING).split("\n"):
        ln = ln.strip(" \t\u3000")
        if not ln:
            continue
        if out and not (_wide(out[-1]) or _wide(ln[0])):
            out += " "
        out += ln
    return out.strip(_TRAILING)


def _wide(ch: str) -> bool:
    return unicodedata.east_asian_width(ch) in ("W", "F")


def split_numbered(text: str) -> list[str] | None:
    """The items of the numbered list `text` is, numbering removed; None when it is not one.

    One marker is enough when the text starts with it (`1. 负责……`); otherwise at least
    two (1 and 2). Among several styles (items numbered `1.` holding `（1）` sub-items) the
    run that starts first wins, then the longer one.
    """
    if not text or not text.strip():
        return None
    probe = text.translate(_FULLWIDTH_DIGITS)  # same length: positions stay valid
    lead = len(probe) - len(probe.lstrip())
    best: tuple[tuple[int, int], list[str], str] | None = None
    for style in _STYLES:
        for run in _runs(_marks(style, probe)):
            at_start = run[0].start == lead
            if len(run) < 2 and not at_start:
                continue
            items = _items(text, run)
            if items is None:
                continue
            rank = (run[0].start, -len(run))
            if best is None or rank < best[0]:
                best = (rank, items, _tidy(text[: run[0].start]))
    if best is None:
        return None
    _rank, items, intro = best
    return [intro, *items] if intro else items

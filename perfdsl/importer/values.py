"""Read an indicator's value cells as people write them, into an AST target.

Handles the separate 指标值类型/指标值/度量单位 columns, a single 指标值 cell with the
operator and unit glued on (`≤1000万元`, `100%`, `≥95%`, `1种`, `95%以上`), Shanghai's
`=100.00(%)`, ranges (`500-1940元`, `500～1940`, `500至1940`), words for operators
(大于等于, 不低于, 不超过 …) and everything else as a 定性 text (`2025年年底前`, `良好`).

It is pure: text in, `ast.Target` (+ extra attributes and notes for the user) out. It must
not know about cells, files or profiles, and it never guesses a number out of a text that
is not one: a value whose tail is not a known unit stays qualitative.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from decimal import Decimal, InvalidOperation

import attrs

from perfdsl import ast
from perfdsl.numbers import other_digits
from perfdsl.units import parse_unit

OP_WORDS: tuple[tuple[str, str], ...] = (
    ("大于等于", "ge"), ("大于或等于", "ge"), ("不低于", "ge"), ("不少于", "ge"), ("不小于", "ge"),
    ("小于等于", "le"), ("小于或等于", "le"), ("不高于", "le"), ("不超过", "le"), ("不多于", "le"),
    ("不大于", "le"), (">=", "ge"), ("≥", "ge"), ("≧", "ge"), ("<=", "le"), ("≤", "le"), ("≦", "le"),
    ("==", "eq"), ("=", "eq"), ("等于", "eq"), (">", "gt"), ("大于", "gt"), ("高于", "gt"),
    ("<", "lt"), ("小于", "lt"), ("低于", "lt"),
)
OP_COLUMN: dict[str, str] = {
    "定性": "qual", "定性指标": "qual", "区间": "range", "区间值": "range", "定量": "", "定量指标": "",
    "定量(其他)": "", "正向": "", "反向": "", **{w: op for w, op in OP_WORDS},
}
SUFFIX_OPS = (("以上", "ge"), ("及以上", "ge"), ("以下", "le"), ("及以下", "le"), ("以内", "le"))

_NUM = r"[+-]?\d+(?:\.\d+)?"
_NUM_RE = re.compile(rf"^({_NUM})(.*)$")
_RANGE_RE = re.compile(rf"^({_NUM})\s*([^\d\s~～至到—–,\-]*)\s*(?:-|~|～|至|到|—|–)\s*({_NUM})\s*(.*)$")
_PRINTABLE_UNIT = re.compile(
    r"[%‰]|(?:(?!至)[A-Za-z\u4e00-\u9fff²³㎡])+(?:[/.·•．・*](?:(?!至)[A-Za-z\u4e00-\u9fff²³㎡])+)*"
)
_THOUSANDS = re.compile(r"(?<=\d),(?=\d{3}(?!\d))")
_BRACKET_RANGE_RE = re.compile(rf"^[\[［(（]\s*({_NUM})\s*[,，]\s*({_NUM})\s*[\]］)）]\s*(.*)$")


def clean(text: str | None) -> str:
    """A cell's text as written: unified line breaks, NFC, no edge whitespace (incl. 全角空格)."""
    if not text:
        return ""
    t = text.replace("\r\n", "\n").replace("\r", "\n").replace("\xa0", " ")
    return unicodedata.normalize("NFC", t).strip(" \t\n\u3000")


_FOLD = {c: c - 0xFEE0 for c in range(0xFF01, 0xFF5F)} | {0x3000: 0x20}
_SPACE = re.compile(r"\s+")


def fold(text: str | None) -> str:
    """`clean`, then full-width ASCII (Ｎ％＝（）：) folded to half-width, 全角空格 to a space."""
    return clean(text).translate(_FOLD)


@functools.lru_cache(maxsize=65536)
def _squash(text: str) -> str:
    return _SPACE.sub("", fold(text))


def squash(text: str | None) -> str:
    """`fold` and remove all whitespace (for numbers, operators, units, labels)."""
    return _squash(text) if text else ""


@attrs.frozen
class Parsed:
    target: ast.Target
    unit_attr: str | None = None  # 度量单位 for a qualitative value; 原度量单位 for a comparison
    notes: tuple[str, ...] = ()  # what the user should check (Chinese)
    # the 指标值类型 cell as written, kept for a 定性 value whose type cell says otherwise
    # (`定量` beside `按月安排`): backends/layout_grid prints it back from `[指标值类型: 定量]`
    op_attr: str | None = None


def _unit(text: str) -> str | None:
    """A unit as written (brackets removed), or None when `text` is not a known unit."""
    t = text.strip()
    if t.startswith("(") and t.endswith(")"):
        t = t[1:-1].strip()
    if not t:
        return ""
    if t == "%" or parse_unit(t) is not None:
        return t
    return None


def _qty(raw: str, unit: str | None) -> ast.Quantity | None:
    try:
        return ast.Quantity(raw.lstrip("+"), Decimal(raw), unit or None)
    except InvalidOperation:
        return None


def _op_prefix(text: str) -> tuple[str | None, str, str]:
    for word, op in OP_WORDS:
        if text.startswith(word):
            return op, word, text[len(word):]
    return None, "", text


def op_from_column(text: str | None) -> tuple[str | None, bool]:
    """(op, known): the operator a 指标值类型/指标性质 cell names ("" = 定量, decide by value)."""
    t = squash(text)
    if not t:
        return None, True
    if t in OP_COLUMN:
        return OP_COLUMN[t], True
    return None, False


def parse_value(value: str | None, op_text: str | None = None, unit_text: str | None = None) -> Parsed:
    """The target of one indicator from its value cell and, when present, its operator and unit cells."""
    raw_value = clean(value)
    v, scripts = other_digits(_THOUSANDS.sub("", squash(value)))
    parsed = _parse_value(raw_value, v, op_text, unit_text)
    if isinstance(parsed.target, ast.Qualitative) and clean(op_text) and op_from_column(op_text)[0] != "qual":
        parsed = attrs.evolve(parsed, op_attr=clean(op_text))
    if scripts and not isinstance(parsed.target, ast.Qualitative):
        # other scripts' digits are not part of the language: write them as 0-9, and say so
        note = f"指标值“{raw_value}”中有{'、'.join(scripts)}，已改写为 0-9 的数字导入，请核对"
        return attrs.evolve(parsed, notes=(note, *parsed.notes))
    return parsed


def _parse_value(raw_value: str, v: str, op_text: str | None, unit_text: str | None) -> Parsed:
    col_unit = squash(unit_text)
    col_op, op_known = op_from_column(op_text)
    notes: list[str] = []
    if op_text and not op_known:
        notes.append(f"指标值类型“{clean(op_text)}”无法识别，已按指标值判断")

    if col_op == "qual":
        if v and _NUM_RE.match(v) and _NUM_RE.match(v).group(2) == "":  # type: ignore[union-attr]
            notes.append(f"定性指标的指标值“{raw_value}”是数字，请核对指标值类型")
        return Parsed(ast.Qualitative(ast.Text(raw_value)), col_unit or None, tuple(notes))

    # a glued operator word at the front (≥95%, 不低于90%, =100.00(%))
    op, op_written, rest = _op_prefix(v)
    if col_op in ("ge", "le", "gt", "lt", "eq"):
        if op is not None and op != col_op:
            notes.append(f"指标值类型“{clean(op_text)}”与指标值“{raw_value}”中的符号不一致，已按指标值类型")
        op = col_op
        op_written = clean(op_text)

    # ranges
    m = _RANGE_RE.match(rest) if op is None or col_op == "range" else None
    mb = _BRACKET_RANGE_RE.match(rest) if m is None and (op is None or col_op == "range") else None
    if m or mb:
        if m:
            lo, lo_unit, hi, hi_unit = m.group(1), m.group(2), m.group(3), m.group(4)
        else:
            assert mb is not None
            lo, lo_unit, hi, hi_unit = mb.group(1), "", mb.group(2), mb.group(3)
        u_lo, u_hi = _unit(lo_unit), _unit(hi_unit)
        if u_lo is not None and u_hi is not None:
            unit = u_hi or u_lo or _unit(col_unit) or ""
            low, high = _qty(lo, u_lo or None), _qty(hi, unit or None)
            if low is not None and high is not None:
                if u_lo and u_hi and u_lo == u_hi:
                    low = low._replace(unit=None)
                return Parsed(ast.Range(low, high), None, tuple(notes))

    m2 = _NUM_RE.match(rest)
    if m2:
        number, tail = m2.group(1), m2.group(2)
        for word, sop in SUFFIX_OPS:
            if op is None and tail.endswith(word):
                op, tail = sop, tail[: -len(word)]
                op_written = word
                break
        unit = _unit(tail)
        if unit is not None:
            if unit and col_unit and squash(unit).strip("()") != col_unit.strip("()"):
                if _unit(col_unit):
                    # two units for one number (28.8万元 beside %): neither is chosen; the
                    # cells are kept as printed, the value as text (`check` reports it)
                    notes.append(f"指标值“{raw_value}”中的单位与度量单位“{col_unit}”不一致，"
                                 "已照原样作为文字导入，请核对")
                    return Parsed(ast.Qualitative(ast.Text(raw_value)), col_unit, tuple(notes))
                notes.append(f"指标值中的单位“{unit}”与度量单位“{col_unit}”不一致，已按指标值中的单位")
            if not unit:
                unit = _unit(col_unit) or ""
                if col_unit and not unit:
                    if _PRINTABLE_UNIT.fullmatch(col_unit):
                        unit = col_unit  # kept as written; `perfdsl check` reports an unknown unit
                    else:
                        notes.append(f"度量单位“{clean(unit_text)}”无法写在数值后面，已作为附加项“原度量单位”保留")
                        q = _qty(number, None)
                        if q is not None:
                            return Parsed(ast.Comparison(op or "eq", q, op_written), clean(unit_text), tuple(notes))
            q = _qty(number, unit or None)
            if q is not None:
                return Parsed(ast.Comparison(op or "eq", q, op_written), None, tuple(notes))
    if col_op in ("ge", "le", "gt", "lt", "eq", "range") and v:
        notes.append(f"指标值类型为“{clean(op_text)}”，但指标值“{raw_value}”不是数值，已按定性处理")
    text = raw_value
    return Parsed(ast.Qualitative(ast.Text(text)), col_unit or None, tuple(notes))

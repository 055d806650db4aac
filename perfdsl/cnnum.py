"""Chinese-numeral quantities (百分之九十, 三百, 一千二百五十, 九成) as exact decimals.

Used only to suggest the number form when a comparison was written with Chinese numerals
(PD-V001); the language itself takes 0-9 digits.
"""

from __future__ import annotations

import re
from decimal import Decimal

_DIGITS = {"零": 0, "〇": 0, "一": 1, "壹": 1, "二": 2, "两": 2, "贰": 2, "三": 3, "叁": 3, "四": 4, "肆": 4,
           "五": 5, "伍": 5, "六": 6, "陆": 6, "七": 7, "柒": 7, "八": 8, "捌": 8, "九": 9, "玖": 9}
_SMALL = {"十": 10, "拾": 10, "百": 100, "佰": 100, "千": 1000, "仟": 1000}
_BIG = {"万": 10_000, "萬": 10_000, "亿": 100_000_000, "億": 100_000_000}
_CHARS = "".join(_DIGITS) + "".join(_SMALL) + "".join(_BIG) + "点"
_NUMERAL = re.compile(f"[{_CHARS}]+")


def _integer(text: str) -> int | None:
    if not text:
        return None
    if all(c in _DIGITS for c in text) and len(text) > 1 and ("〇" in text or "零" in text):  # 二〇二六
        return int("".join(str(_DIGITS[c]) for c in text))
    total = section = 0
    digit: int | None = None
    for c in text:
        if c in _DIGITS:
            if digit is not None:
                if _DIGITS[c] != 0 and digit != 0:
                    return None  # 三四: two digits in a row are not a number here
            digit = _DIGITS[c]
        elif c in _SMALL:
            section += (1 if digit is None else digit) * _SMALL[c]
            digit = None
        elif c in _BIG:
            section += digit or 0
            if section == 0:
                return None
            total = (total + section) * _BIG[c]
            section, digit = 0, None
        else:
            return None
    return total + section + (digit or 0)


def _number(text: str) -> Decimal | None:
    whole, sep, frac = text.partition("点")
    n = _integer(whole) if whole else (0 if sep else None)
    if n is None:
        return None
    if not sep:
        return Decimal(n)
    if not frac or any(c not in _DIGITS for c in frac):
        return None
    return Decimal(f"{n}.{''.join(str(_DIGITS[c]) for c in frac)}")


def chinese_quantity(text: str) -> tuple[Decimal, str] | None:
    """(value, unit) for a quantity written in Chinese numerals, else None.

    `百分之九十` → (90, "%"), `九成` → (90, "%"), `九成五` → (95, "%"), `三百` → (300, ""),
    `一千二百五十人` → (1250, "人"). Exact: decimals keep their written digits.
    """
    text = text.strip()
    if text.startswith("百分之"):
        n = _number(text[3:])
        return (n, "%") if n is not None else None
    m = re.fullmatch(f"([{''.join(_DIGITS)}])成([{''.join(_DIGITS)}]?)", text)
    if m:
        tenths = _DIGITS[m.group(1)] * 10 + (_DIGITS[m.group(2)] if m.group(2) else 0)
        return Decimal(tenths), "%"
    m = _NUMERAL.match(text)
    if m is None:
        return None
    n = _number(m.group(0))
    if n is None:
        return None
    unit = text[m.end():].strip()
    if unit:
        from perfdsl.units import parse_unit  # a known unit only: 一般, 一致, 十分满意 are words

        if parse_unit(unit) is None:
            return None
    return n, unit

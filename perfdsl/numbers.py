"""Exact numbers as written.

Numbers are `decimal.Decimal` built from the written text, so `322.5` stays `322.5` and
`100.00` stays `100.00`. Full-width digits and punctuation are folded first; thousands
separators are dropped. No float ever touches a value.
"""

from __future__ import annotations

from contextlib import AbstractContextManager
from decimal import Context, Decimal, InvalidOperation, localcontext

_FOLD = str.maketrans("０１２３４５６７８９．，－＋", "0123456789.,-+")
MAX_INTEGER_DIGITS = 20


def fold_number(text: str) -> str:
    """Full-width digits to ASCII, thousands separators removed."""
    if text.isascii():  # nothing to fold: no copy (one per number in a huge file)
        return text.replace(",", "")
    return text.translate(_FOLD).replace(",", "")


def parse_decimal(text: str) -> Decimal | None:
    """The exact Decimal of a written number, or None if `text` is not one."""
    folded = fold_number(text.strip())
    if not folded or folded.lower() in {"nan", "inf", "-inf", "infinity"}:
        return None
    if any(c not in "0123456789.+-" for c in folded):
        return None
    try:
        return Decimal(folded)
    except InvalidOperation:
        return None


def integer_digits(value: Decimal) -> int:
    _sign, digits, exp = value.as_tuple()
    assert isinstance(exp, int)
    return max(len(digits) + exp, 0)


MAX_FRACTION_DIGITS = 20


def fraction_digits(value: Decimal) -> int:
    exp = value.as_tuple().exponent
    return -exp if isinstance(exp, int) and exp < 0 else 0


def too_large(value: Decimal) -> bool:
    """Beyond what a declaration can mean: more than 20 integer or 20 decimal digits."""
    return integer_digits(value) > MAX_INTEGER_DIGITS or fraction_digits(value) > MAX_FRACTION_DIGITS


def decimal_text(value: Decimal) -> str:
    """Plain (non-scientific) text of a Decimal, keeping its written precision."""
    text = format(value, "f")
    return text


def tolerance(*values: Decimal) -> Decimal:
    """Half a unit of the finest written precision among `values` (Beancount's rule)."""
    finest = 0
    for v in values:
        exp = v.as_tuple().exponent
        if isinstance(exp, int):
            finest = min(finest, exp)
    return Decimal(5).scaleb(finest - 1)


EXACT_PRECISION = 200


def exact() -> AbstractContextManager[Context]:
    """A decimal context wide enough that sums and 元↔万元 conversions never round.

    Numbers have at most MAX_INTEGER_DIGITS integer digits (PD-S007) and a modest number
    of decimals, so 200 significant digits keep every operation we do exact.
    """
    return localcontext(_EXACT)  # localcontext works on a copy: _EXACT itself is never changed


_EXACT = Context(prec=EXACT_PRECISION)


_SCRIPT_ZH = (
    ("EXTENDED ARABIC-INDIC", "波斯文（扩展阿拉伯-印度）数字"),
    ("ARABIC-INDIC", "阿拉伯-印度数字"),
    ("MATHEMATICAL", "数学粗体/双线数字"),
    ("FULLWIDTH", "全角数字"),
    ("DEVANAGARI", "天城文数字"),
    ("BENGALI", "孟加拉文数字"),
    ("THAI", "泰文数字"),
    ("MYANMAR", "缅甸文数字"),
    ("TIBETAN", "藏文数字"),
    ("MONGOLIAN", "蒙古文数字"),
)


def other_digits(text: str) -> tuple[str, list[str]]:
    """`text` with every decimal digit of another script (٢٦٠٠, 𝟐𝟕𝟎, ２６) as 0-9, and the Chinese
    names of those scripts (empty when there were none). Full-width digits are part of the
    language and folded silently by the caller; they are named here too when present."""
    import unicodedata

    out: list[str] = []
    scripts: list[str] = []
    for ch in text:
        if ch.isdigit() and not ("0" <= ch <= "9"):
            d = unicodedata.decimal(ch, None)
            if d is not None:
                out.append(str(d))
                name = unicodedata.name(ch, "")
                zh = next((z for key, z in _SCRIPT_ZH if name.startswith(key)), f"其他文字的数字（{name or ch}）")
                if zh not in scripts:
                    scripts.append(zh)
                continue
        out.append(ch)
    return "".join(out), scripts

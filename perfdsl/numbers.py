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
    return localcontext(Context(prec=EXACT_PRECISION))

"""`units.to_unit` keeps each pair's exact ratio (a cache): it converts exactly as
`Unit.convert` does, digit for digit, and says None for units that do not convert."""

from __future__ import annotations

from decimal import Decimal

from perfdsl.units import known_units, parse_unit, to_unit

VALUES = [Decimal("5004000"), Decimal("500.4"), Decimal("0.001"), Decimal("123456789.123456"), Decimal("1E+3")]


def test_to_unit_is_convert_digit_for_digit() -> None:
    units = [*known_units(), "万元/人.年", "元/人", "元/平方米", "万元/公里", "%", "xyz"]
    converted = 0
    for a in units:
        for b in units:
            ua, ub = parse_unit(a), parse_unit(b)
            for value in VALUES:
                got = to_unit(value, a, b)
                if ua is None or ub is None or not ua.compatible(ub):
                    assert got is None, (a, b)
                    continue
                want = ua.convert(value, ub)
                assert got is not None and got.as_tuple() == want.as_tuple(), (a, b, value)
                converted += 1
    assert converted > 100


def test_yuan_and_wan_yuan() -> None:
    assert str(to_unit(Decimal("5004000"), "元", "万元")) == "500.4"
    assert str(to_unit(Decimal("500.4"), "万元", "元")) == "5004000.0"
    # wider than the default 28 digits: the exact context (perfdsl.numbers.exact) keeps them all
    assert str(to_unit(Decimal("123456789012345678901234.5"), "万元", "元")) == "1234567890123456789012345000.0"

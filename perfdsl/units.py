"""A small unit algebra of our own: dimension vectors with exact factors.

A unit is a factor (an exact `Fraction`) and a vector of base exponents. Atoms come from
perfdsl/data/units.toml. Compound units follow the Chinese convention: everything after
the first `/` is the denominator, and `.`, `·`, `•`, `．`, `・`, `*` and further `/` all
separate factors there, so `元/人.年` is 元 per (人·年) — the trap pint falls into. Values
are Decimals and conversions are exact. pint was measured and rejected (startup cost,
silent misreading of 元/人.年, float-ish Decimal artefacts).
"""

from __future__ import annotations

import re
from decimal import Decimal
from fractions import Fraction
from functools import lru_cache

from perfdsl import record

_SEP = re.compile(r"[.·•．・*／/]")
# Full-width forms that mean exactly the same unit: the model keeps the half-width one,
# so `100 ％` and `100 %` (what `perfdsl fmt` writes) give the same JSON and no diff.
_CANONICAL = str.maketrans("％／．", "%/.")


def canonical_unit(text: str | None) -> str | None:
    """The unit as the model stores it: full-width ％ ／ ． folded to % / . (nothing else).
    One shared string per unit (a huge declaration repeats a few units a million times)."""
    return None if text is None else _canonical(text)


@lru_cache(maxsize=4096)
def _canonical(text: str) -> str:
    return text.translate(_CANONICAL)


@record.frozen
class Unit:
    text: str
    factor: Fraction
    dims: tuple[tuple[str, int], ...]  # sorted (base, exponent), exponent != 0

    @property
    def category(self) -> str:
        """money, percent, count, time, length, area, mass, volume, rate, …"""
        if len(self.dims) == 1 and self.dims[0][1] == 1:
            return _table().bases.get(self.dims[0][0], "other")
        if any(e < 0 for _, e in self.dims):
            return "rate"
        return "other"

    @property
    def numerator_category(self) -> str:
        for base, exp in self.dims:
            if exp > 0:
                return _table().bases.get(base, "other")
        return "other"

    def compatible(self, other: Unit) -> bool:
        return self.dims == other.dims

    def convert(self, value: Decimal, to: Unit) -> Decimal:
        """Exact conversion of `value` from this unit to `to` (same dimension)."""
        from perfdsl.numbers import exact

        ratio = self.factor / to.factor
        with exact():
            return value * Decimal(ratio.numerator) / Decimal(ratio.denominator)


@record.frozen
class _Table:
    bases: dict[str, str]
    atoms: dict[str, tuple[str, Fraction]]
    confusions: dict[str, str]


@lru_cache(maxsize=1)
def _table() -> _Table:
    from perfdsl.marshalcache import data_file, load_toml  # cached parse: no tomllib at start

    raw = load_toml(data_file("data", "units.toml"), "units")
    atoms = {name: (base, Fraction(factor)) for name, (base, factor) in raw["units"].items()}
    return _Table(dict(raw["bases"]), atoms, dict(raw.get("confusions", {})))


def _combine(parts: list[tuple[str, int]]) -> tuple[Fraction, dict[str, int]] | None:
    factor = Fraction(1)
    dims: dict[str, int] = {}
    table = _table()
    for name, sign in parts:
        atom = table.atoms.get(name)
        if atom is None:
            return None
        base, f = atom
        factor = factor * f if sign > 0 else factor / f
        dims[base] = dims.get(base, 0) + sign
    return factor, dims


@lru_cache(maxsize=4096)
def parse_unit(text: str) -> Unit | None:
    """The unit written as `text`, or None if any atom is unknown."""
    t = text.strip().replace("（", "(").replace("）", ")")
    if t.startswith("(") and t.endswith(")"):
        t = t[1:-1]
    if not t:
        return None
    num, slash, den = t.replace("／", "/").partition("/")
    parts: list[tuple[str, int]] = [(a, 1) for a in _SEP.split(num) if a]
    if slash:
        parts += [(a, -1) for a in _SEP.split(den) if a]
    if not parts:
        return None
    combined = _combine(parts)
    if combined is None:
        return None
    factor, dims = combined
    return Unit(text, factor, tuple(sorted((b, e) for b, e in dims.items() if e)))


@lru_cache(maxsize=4096)
def unit_category(text: str) -> str | None:
    """`parse_unit(text).category`, or None for a unit that does not parse; kept per text, since
    the rules ask it for every indicator (the property walks the unit's dimensions each time)."""
    unit = parse_unit(text)
    return None if unit is None else unit.category


def unknown_atoms(text: str) -> list[str]:
    t = text.strip().replace("／", "/")
    num, _slash, den = t.partition("/")
    atoms = [a for a in _SEP.split(num) if a] + [a for a in _SEP.split(den) if a]
    return [a for a in atoms if a not in _table().atoms]


def suggest(text: str, limit: int = 3) -> list[str]:
    """Known units that look like `text` (for “did you mean” help)."""
    names = list(_table().atoms)
    meant = _table().confusions.get(text)
    out = [meant] if meant else []
    import difflib  # only when suggesting

    out += [n for n in difflib.get_close_matches(text, names, n=limit, cutoff=0.4) if n not in out]
    if not out:
        # A unit glued to a noun (人数, 元钱): try its prefixes and suffixes.
        for i in range(len(text) - 1, 0, -1):
            for cand in (text[:i], text[-i:]):
                if cand in _table().atoms and cand not in out:
                    out.append(cand)
    return out[:limit]


def known_units() -> list[str]:
    return list(_table().atoms)



def to_unit(value: Decimal, unit_text: str, target_text: str) -> Decimal | None:
    """Convert a value between two unit texts; None when they are not compatible.
    The same arithmetic as `Unit.convert`, with the exact ratio kept per pair of texts."""
    ratio = _ratio(unit_text, target_text)
    if ratio is None:
        return None
    from perfdsl.numbers import exact

    numerator, denominator = ratio
    with exact():
        return value * numerator / denominator


@lru_cache(maxsize=256)
def _ratio(unit_text: str, target_text: str) -> tuple[Decimal, Decimal] | None:
    """`Unit.convert`'s factor ratio from one unit text to another, as two exact Decimals;
    None when the units do not parse or are not compatible (a Fraction division is ~2 µs)."""
    a, b = parse_unit(unit_text), parse_unit(target_text)
    if a is None or b is None or not a.compatible(b):
        return None
    ratio = a.factor / b.factor
    return Decimal(ratio.numerator), Decimal(ratio.denominator)

"""Rules on an indicator's operator, value and unit."""

from __future__ import annotations

import re
from collections.abc import Iterator
from decimal import Decimal
from functools import lru_cache

from perfdsl.checks.parts import HIGH, LEVEL1, LEVEL2, NAME, OP, TARGET, UNIT, VALUE
from perfdsl.diagnostics import Diagnostic, Fix, diag
from perfdsl.model import Declaration, Indicator
from perfdsl.source import Span
from perfdsl.units import parse_unit, suggest, unit_category, unknown_atoms

_NUMERIC_TEXT = re.compile(r"^\s*[≥≤<>=＝＞＜]?\s*[+\-]?[0-9０-９][0-9０-９,，.．]*\s*(%|％|[\u4e00-\u9fff/A-Za-z.·]{0,6})\s*$")
_GROWTH = ("增长", "比上年", "倍", "提高", "增幅", "增加")


def _unit_span(ind: Indicator) -> Span:
    return ind.unit_span or ind.span


def check_values(decl: Declaration) -> Iterator[Diagnostic]:
    """定性 needs text: an empty one is no target (PD-V005); one that is just a number (with a
    unit) is a mistake (PD-V002)."""
    for ind in decl.indicators:
        t = ind[TARGET]
        if t[OP] != "qual":
            continue
        if not (t.text or "").strip():
            yield diag("PD-V005", ind.span, path=ind.path, name=ind.name,
                       help="写出可考核的目标，例如：定性 2025年年底前完成；有数值的写成 >= 2600 人")
            continue
        if t.text and _NUMERIC_TEXT.match(t.text):
            m = re.match(r"^\s*([≥≤<>=＝＞＜]?)\s*([+\-]?[0-9０-９][0-9０-９,，.．]*)\s*(.*?)\s*$", t.text)
            if m and m.group(3) and parse_unit(m.group(3)) is None:
                continue  # “5情效” is words that start with a digit, not a number with a unit
            fix = None
            if m and ind.target_span is not None:
                # Replace only `定性 …`: the path may be partly in a group block, and attributes stay.
                op = {"≥": ">=", "≤": "<=", ">": ">", "<": "<", "＞": ">", "＜": "<"}.get(m.group(1), "=")
                fix = Fix(ind.target_span, f"{op} {m.group(2)} {m.group(3)}".rstrip(), "改为定量指标")
            yield diag("PD-V002", ind.span, path=ind.path, text=t.text, fix=fix,
                       help="有数值的目标应写成 = ≥ ≤ 等定量指标")


def check_units(decl: Declaration) -> Iterator[Diagnostic]:
    for ind in decl.indicators:
        t = ind[TARGET]
        if t[OP] == "qual":
            if t[UNIT]:
                yield diag("PD-U003", ind.span, path=ind.path, name=ind.name, unit=t.unit)
            continue
        if not t[UNIT]:
            yield diag("PD-U002", ind.span, path=ind.path, name=ind.name,
                       help="例如：>= 2600 人、= 100 %、<= 156 万元")
            continue
        if parse_unit(t[UNIT]) is None:
            fits = unit_replacements(ind.path, t.unit)
            cands = fits or suggest((unknown_atoms(t.unit) or [t.unit])[0])
            help_text = f"是否应为“{'”或“'.join(cands[:3])}”？" if cands else None
            fix = None
            if fits and ind.unit_span:
                fix = Fix(_unit_span(ind), fits[0], f"改为 {fits[0]}")
            yield diag("PD-U001", _unit_span(ind), path=ind.path, unit=t.unit, help=help_text, fix=fix)


# (category words, acceptable unit categories, expected wording) by kind of indicator
_SATISFACTION = ("满意度指标", frozenset({"percent"}), "百分比（%）")
_RATIO = ("比率类指标（名称以“率”结尾）", frozenset({"percent"}), "百分比（%）")
_COST = ("成本指标", frozenset({"money", "rate"}), "货币单位（元、万元）")
_COUNT = ("数量指标", frozenset({"count", "length", "area", "mass", "volume", "time", "rate", "other", "ratio", "grade"}),
          "计数单位（人、人次、户、个……）")


_PEOPLE = re.compile(r"(人数|人员|人次)$|人$")


def unit_mismatch(path: tuple[str, str, str], unit_text: str) -> tuple[str, str] | None:
    """(category words, expected wording) when `unit_text` does not suit the indicator at `path` (PD-U004)."""
    return _mismatch(path[0], path[1], path[2], unit_text)


@lru_cache(maxsize=1024)
def _level_facts(l1: str, l2: str, unit_text: str) -> tuple[str, tuple[str, frozenset[str], str] | None] | None:
    """What PD-U004 needs to know that does not depend on the name: the unit's category for an
    indicator under `l1`/`l2` (None: the unit does not parse), and the kind of indicator the
    二级 alone makes it (the name can still make it a 满意度 or 比率 indicator)."""
    cat = unit_category(unit_text)
    if cat is None:
        return None
    if cat == "rate" and "成本" in (l1 + l2) and parse_unit(unit_text).numerator_category != "money":  # type: ignore[union-attr]
        cat = "other"
    if "满意度" in l2:
        return cat, _SATISFACTION
    if "成本" in l1 or "成本" in l2:
        return cat, _COST
    if l2.startswith("数量"):
        return cat, _COUNT
    return cat, None


def _mismatch(l1: str, l2: str, name: str, unit_text: str) -> tuple[str, str] | None:
    facts = _level_facts(l1, l2, unit_text)  # a few per declaration: cached
    if facts is None:
        return None
    cat, spec = facts
    # The kind of indicator: 满意度 (in the 二级 or the name), else a name ending in 率, else the 二级's.
    if spec is not _SATISFACTION:
        if "满意度" in name:
            spec = _SATISFACTION
        elif name.endswith("率"):
            spec = _RATIO
    if spec is not None:
        words, ok, expected = spec
        if cat not in ok:
            return words, expected
    # People counted with a non-person unit (Sichuan: 230 人 written as 个); every match holds a 人.
    if cat == "count" and "人" in name and _PEOPLE.search(name):
        unit = parse_unit(unit_text)
        base = unit.dims[0][0] if unit.dims else ""  # type: ignore[union-attr]
        if base not in ("人", "人次"):
            return "人数类指标", "“人”或“人次”"
    return None


def hint_rank(path: tuple[str, str, str], unit_text: str) -> int:
    """0 for a unit of the kind the indicator's name suggests, 1 otherwise."""
    l1, l2, name = path
    unit = parse_unit(unit_text)
    if unit is None:
        return 2
    base = unit.dims[0][0] if len(unit.dims) == 1 else ""
    if _PEOPLE.search(name) or "人数" in name:
        return 0 if base in ("人", "人次") else 1
    if "户" in name:
        return 0 if base == "户" else 1
    if "成本" in (l1 + l2) or any(w in name for w in ("资金", "金额", "经费")):
        return 0 if unit.category == "money" else 1
    if name.endswith(("率", "比例")) or "满意度" in (l2 + name):
        return 0 if unit.category == "percent" else 1
    return 1


def unit_replacements(path: tuple[str, str, str], unit_text: str) -> list[str]:
    """Whole-unit replacements for a unit with one unknown part, fit for the indicator, likeliest first.

    Each candidate parses and does not make the indicator's category wrong (no PD-U004),
    so applying any of them clears PD-U001 without raising another finding.
    """
    bad = unknown_atoms(unit_text) or [unit_text]
    if len(bad) != 1:
        return []
    out: list[str] = []
    for cand in suggest(bad[0], limit=8):
        fixed = unit_text.replace(bad[0], cand, 1)
        if fixed in out or parse_unit(fixed) is None or unit_mismatch(path, fixed) is not None:
            continue
        out.append(fixed)
    return sorted(out, key=lambda u: hint_rank(path, u))  # stable: suggest's order within a rank


def check_unit_category(decl: Declaration) -> Iterator[Diagnostic]:
    for ind in decl.indicators:
        t = ind[TARGET]
        unit = t[UNIT]
        if not unit or t[OP] == "qual":
            continue
        found = _mismatch(ind[LEVEL1], ind[LEVEL2], ind[NAME], unit)
        if found is not None:
            words, expected = found
            yield diag("PD-U004", _unit_span(ind), path=ind.path, name=ind.name, category=words,
                       expected=expected, unit=unit)


_HUNDRED = Decimal(100)
_STATES_VALUE = ("ge", "eq", "gt")


def check_percentages(decl: Declaration) -> Iterator[Diagnostic]:
    floor = Decimal(decl.profile.satisfaction_floor)
    for ind in decl.indicators:
        t = ind[TARGET]
        unit = t[UNIT]
        is_pct = bool(unit) and unit_category(unit) == "percent"
        if is_pct:
            op = t[OP]  # the bound a target states: a range's upper end, or the value of = ≥ >
            bound = t[HIGH] if op == "range" else t[VALUE] if op in _STATES_VALUE else None
            if bound is not None and bound > _HUNDRED and not any(w in ind[NAME] for w in _GROWTH):
                yield diag("PD-P001", ind.span, path=ind.path, name=ind.name, value=format(bound, "f"))
        if "满意度" in ind[LEVEL2] or "满意度" in ind[NAME]:
            if t.op == "qual":
                continue
            if t.op not in ("ge", "gt"):
                yield diag("PD-P002", ind.span, path=ind.path, name=ind.name,
                           detail=f"应使用“≥”，这里是“{decl.profile.op_display(t.op)}”")
            elif is_pct and t.value is not None and t.value < floor:
                yield diag("PD-P002", ind.span, path=ind.path, name=ind.name,
                           detail=f"的目标 {format(t.value, 'f')}% 低于 {floor}%")

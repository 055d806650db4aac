"""Rules on an indicator's operator, value and unit."""

from __future__ import annotations

import re
from collections.abc import Iterator
from decimal import Decimal

from perfdsl.diagnostics import Diagnostic, Fix, diag
from perfdsl.model import Declaration, Indicator
from perfdsl.source import Span
from perfdsl.units import parse_unit, suggest, unknown_atoms

_NUMERIC_TEXT = re.compile(r"^\s*[≥≤<>=＝＞＜]?\s*[+\-]?[0-9０-９][0-9０-９,，.．]*\s*(%|％|[\u4e00-\u9fff/A-Za-z.·]{0,6})\s*$")
_GROWTH = ("增长", "比上年", "倍", "提高", "增幅", "增加")


def _unit_span(ind: Indicator) -> Span:
    return ind.unit_span or ind.span


def check_values(decl: Declaration) -> Iterator[Diagnostic]:
    """定性 needs text: an empty one is no target (PD-V005); one that is just a number (with a
    unit) is a mistake (PD-V002)."""
    for ind in decl.indicators:
        t = ind.target
        if t.op == "qual" and not (t.text or "").strip():
            yield diag("PD-V005", ind.span, path=ind.path, name=ind.name,
                       help="写出可考核的目标，例如：定性 2025年年底前完成；有数值的写成 >= 2600 人")
            continue
        if t.op == "qual" and t.text and _NUMERIC_TEXT.match(t.text):
            m = re.match(r"^\s*([≥≤<>=＝＞＜]?)\s*([+\-]?[0-9０-９][0-9０-９,，.．]*)\s*(.*?)\s*$", t.text)
            if m and m.group(3) and parse_unit(m.group(3)) is None:
                continue  # “5情效” is words that start with a digit, not a number with a unit
            fix = None
            if m:
                op = {"≥": ">=", "≤": "<=", ">": ">", "<": "<", "＞": ">", "＜": "<"}.get(m.group(1), "=")
                fix = Fix(ind.span, f"{'.'.join(ind.written)} {op} {m.group(2)} {m.group(3)}".rstrip(),
                          "改为定量指标")
            yield diag("PD-V002", ind.span, path=ind.path, text=t.text, fix=fix,
                       help="有数值的目标应写成 = ≥ ≤ 等定量指标")


def check_units(decl: Declaration) -> Iterator[Diagnostic]:
    for ind in decl.indicators:
        t = ind.target
        if t.op == "qual":
            if t.unit:
                yield diag("PD-U003", ind.span, path=ind.path, name=ind.name, unit=t.unit)
            continue
        if not t.unit:
            yield diag("PD-U002", ind.span, path=ind.path, name=ind.name,
                       help="例如：>= 2600 人、= 100 %、<= 156 万元")
            continue
        if parse_unit(t.unit) is None:
            bad = unknown_atoms(t.unit) or [t.unit]
            cands = suggest(bad[0])
            help_text = f"是否应为“{'”或“'.join(cands)}”？" if cands else None
            fix = None
            if cands and ind.unit_span and len(bad) == 1:
                fixed = t.unit.replace(bad[0], cands[0], 1)
                fix = Fix(_unit_span(ind), fixed, f"改为 {fixed}")
            yield diag("PD-U001", _unit_span(ind), path=ind.path, unit=t.unit, help=help_text, fix=fix)


def _category_of(ind: Indicator) -> tuple[str, set[str], str] | None:
    """(category words, acceptable unit categories, expected wording) for the indicator."""
    l1, l2, name = ind.level1, ind.level2, ind.name
    if "满意度" in l2 or "满意度" in name:
        return "满意度指标", {"percent"}, "百分比（%）"
    if name.endswith("率"):
        return "比率类指标（名称以“率”结尾）", {"percent"}, "百分比（%）"
    if "成本" in l1 or "成本" in l2:
        return "成本指标", {"money", "rate"}, "货币单位（元、万元）"
    if l2.startswith("数量"):
        return "数量指标", {"count", "length", "area", "mass", "volume", "time", "rate", "other", "ratio", "grade"}, \
            "计数单位（人、人次、户、个……）"
    return None


def check_unit_category(decl: Declaration) -> Iterator[Diagnostic]:
    for ind in decl.indicators:
        t = ind.target
        if t.op == "qual" or not t.unit:
            continue
        unit = parse_unit(t.unit)
        if unit is None:
            continue
        cat = unit.category
        if cat == "rate" and "成本" in (ind.level1 + ind.level2) and unit.numerator_category != "money":
            cat = "other"
        spec = _category_of(ind)
        if spec is not None:
            words, ok, expected = spec
            if cat not in ok:
                yield diag("PD-U004", _unit_span(ind), path=ind.path, name=ind.name, category=words,
                           expected=expected, unit=t.unit)
                continue
        # People counted with a non-person unit (Sichuan: 230 人 written as 个).
        if cat == "count" and re.search(r"(人数|人员|人次)$|人$", ind.name):
            base = unit.dims[0][0] if unit.dims else ""
            if base not in ("人", "人次"):
                yield diag("PD-U004", _unit_span(ind), path=ind.path, name=ind.name, category="人数类指标",
                           expected="“人”或“人次”", unit=t.unit)


def check_percentages(decl: Declaration) -> Iterator[Diagnostic]:
    floor = Decimal(decl.profile.satisfaction_floor)
    for ind in decl.indicators:
        t = ind.target
        unit = parse_unit(t.unit) if t.unit else None
        is_pct = unit is not None and unit.category == "percent"
        if is_pct and t.op in ("ge", "eq", "gt") and t.value is not None and t.value > 100 \
                and not any(w in ind.name for w in _GROWTH):
            yield diag("PD-P001", ind.span, path=ind.path, name=ind.name, value=format(t.value, "f"))
        if is_pct and t.op == "range" and t.high is not None and t.high > 100 \
                and not any(w in ind.name for w in _GROWTH):
            yield diag("PD-P001", ind.span, path=ind.path, name=ind.name, value=format(t.high, "f"))
        if "满意度" in ind.level2 or "满意度" in ind.name:
            if t.op == "qual":
                continue
            if t.op not in ("ge", "gt"):
                yield diag("PD-P002", ind.span, path=ind.path, name=ind.name,
                           detail=f"应使用“≥”，这里是“{decl.profile.op_display(t.op)}”")
            elif is_pct and t.value is not None and t.value < floor:
                yield diag("PD-P002", ind.span, path=ind.path, name=ind.name,
                           detail=f"的目标 {format(t.value, 'f')}% 低于 {floor}%")

"""Money arithmetic: totals, balance, cost ceilings and the set-wide project total.

All arithmetic is Decimal. The tolerance is implied by the written precision (half a
unit of the finest decimal place written, as Beancount infers balance tolerances), and
an empty cell counts as zero. 元 and 万元 are converted exactly before comparing.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from decimal import Decimal
from itertools import chain
from operator import itemgetter

from perfdsl.checks import fastexit
from perfdsl.checks.parts import COLUMNS
from perfdsl.diagnostics import Diagnostic, diag
from perfdsl.model import Declaration, DeclarationSet, Field, Indicator
from perfdsl.numbers import exact, parse_decimal, tolerance
from perfdsl.source import Span
from perfdsl.units import to_unit, unit_category

_columns, _column_key = itemgetter(COLUMNS), itemgetter(0)


def _fmt(v: Decimal) -> str:
    return format(v, "f")


def _label(decl: Declaration, key: str) -> str:
    """A label that says which 合计 is meant: 基本支出合计, not just 合计."""
    spec = decl.profile.field(key)
    label = spec.plain_label if spec else key
    if label in ("合计", "小计"):
        parts = key.split(".")
        if len(parts) >= 2:
            return parts[-2] + label
    return label


def _num(f: Field | None) -> Decimal | None:
    return f.number if f is not None else None


_field_key = Field.key.fget
# The last index built, with the fields it indexes: several rules ask for the same
# declaration's in turn (one tuple, read and replaced whole).
_last_index: tuple[tuple[Field, ...], dict[str, Field]] = ((), {})


def fields_by_key(decl: Declaration) -> dict[str, Field]:
    """`decl.field(key)` for every key at once (the first field written with each key).
    Shared by the rules that ask for it: read it, never change it."""
    global _last_index
    fields = decl.fields
    last = _last_index
    if last[0] is fields:
        return last[1]
    index = dict(zip(map(_field_key, reversed(fields)), reversed(fields), strict=True))
    _last_index = (fields, index)
    return index


def check_sums(decl: Declaration) -> Iterator[Diagnostic]:
    if not decl.profile.sums:
        return
    with exact():
        yield from list(_check_sums(decl, fields_by_key(decl)))


def _check_sums(decl: Declaration, by_key: dict[str, Field]) -> Iterator[Diagnostic]:
    for rule in decl.profile.sums:
        total_f = by_key.get(rule.total)
        stated = _num(total_f)
        if total_f is None or stated is None:
            continue
        values = [(p, _num(by_key.get(p))) for p in rule.parts]
        if all(v is None for _p, v in values):
            continue
        computed = sum((v for _p, v in values if v is not None), Decimal(0))
        if computed == stated:  # within any tolerance (it is always positive)
            continue
        tol = tolerance(stated, *(v for _p, v in values if v is not None))
        if abs(computed - stated) > tol:
            names = _part_labels(decl, rule.parts)
            shown = " + ".join(f"{names[p]} {_fmt(v)}" for p, v in values if v is not None)
            related = tuple((by_key[p].span, names[p]) for p, v in values if v is not None)
            empty = [names[p] for p, v in values if v is None]
            yield diag("PD-M001", total_f.span, path=tuple(rule.total.split(".")), path_kind="field",
                       total_label=_label(decl, rule.total), stated=_fmt(stated), parts=shown,
                       computed=_fmt(computed), diff=_fmt(abs(computed - stated)), related=related,
                       help=f"未填写的组成部分：{'、'.join(empty)}" if empty else None)


def _part_labels(decl: Declaration, keys: tuple[str, ...]) -> dict[str, str]:
    """Each part's label; a label the profile gives to several fields (上海表的两个“其他资金”)
    is told by the field's key (年度其他资金) instead."""
    shared = Counter(f.plain_label for f in decl.profile.fields)
    labels = {k: _label(decl, k) for k in keys}
    return {k: (k if shared[v] > 1 else v) for k, v in labels.items()}


def check_balance(decl: Declaration) -> Iterator[Diagnostic]:
    if decl.profile.balance is None:
        return
    inc_key, exp_key = decl.profile.balance
    by_key = fields_by_key(decl)
    inc_f, exp_f = by_key.get(inc_key), by_key.get(exp_key)
    inc, exp = _num(inc_f), _num(exp_f)
    if inc is None or exp is None or exp_f is None:
        return
    with exact():
        differs = abs(inc - exp) > tolerance(inc, exp)
    if differs:
        yield diag("PD-M002", exp_f.span, path=tuple(exp_key.split(".")), path_kind="field", income=_fmt(inc), expense=_fmt(exp),
                   diff=_fmt(abs(inc - exp)))


def cost_indicator(decl: Declaration) -> Indicator | None:
    """The 成本控制数 / 项目总成本 indicator: a money ceiling."""
    for ind in decl.indicators:
        t = ind.target
        if t.op not in ("le", "eq", "lt") or t.value is None or not t.unit:
            continue
        if unit_category(t.unit) != "money":  # None: the unit does not parse
            continue
        if "成本控制" in ind.name or "总成本" in ind.name:
            return ind
    return None


def project_amount(decl: Declaration) -> tuple[Decimal, Span] | None:
    """A project's annual amount in the profile's money unit: its 年度资金总额, else its cost ceiling."""
    key = decl.profile.project_amount_field
    f = decl.field(key) if key else None
    if f is not None and f.number is not None:
        return f.number, f.span
    ind = cost_indicator(decl)
    if ind is None or ind.target.value is None or ind.target.unit is None:
        return None
    conv = to_unit(ind.target.value, ind.target.unit, decl.profile.money_unit)
    return (conv, ind.span) if conv is not None else None


def check_cost_control(decl: Declaration) -> Iterator[Diagnostic]:
    key = decl.profile.budget_field
    budget_f = fields_by_key(decl).get(key) if key else None
    budget = _num(budget_f)
    if budget is None:  # no budget: the cost indicator need not be looked for
        return
    ind = cost_indicator(decl)
    if ind is None or ind.target.value is None or ind.target.unit is None:
        return
    with exact():
        yield from list(_check_cost_control(decl, key, budget, ind))  # type: ignore[arg-type]


def _check_cost_control(decl: Declaration, key: str, budget: Decimal, ind: Indicator) -> Iterator[Diagnostic]:
    value = to_unit(ind.target.value, ind.target.unit, decl.profile.money_unit)  # type: ignore[arg-type]
    if value is None:
        return
    if value - budget > tolerance(budget, value):  # precision of the converted figure (5004000 元 = 500.4 万元)
        spec = decl.profile.field(key)
        yield diag("PD-M003", ind.span, path=ind.path, name=ind.name,
                   value=f"{_fmt(ind.target.value)} {ind.target.unit}",
                   budget_label=spec.plain_label if spec else key, budget=f"{_fmt(budget)} {decl.profile.money_unit}")


def check_projects_total(dset: DeclarationSet) -> Iterator[Diagnostic]:
    with exact():
        yield from list(_check_projects_total(dset))


def _check_projects_total(dset: DeclarationSet) -> Iterator[Diagnostic]:
    dept = dset.department
    if dept is None or not dset.projects:
        return
    key = dept.profile.projects_total_field
    total_f = dept.field(key) if key else None
    stated = _num(total_f)
    if total_f is None or stated is None:
        return
    amounts = []
    for p in dset.projects:
        a = project_amount(p)
        if a is None:
            return  # a project without any amount: the sum cannot be known
        conv = a[0] if p.profile.money_unit == dept.profile.money_unit else \
            to_unit(a[0], p.profile.money_unit, dept.profile.money_unit)
        if conv is None:
            return
        amounts.append((conv, a[1], p.title))
    computed = sum((a for a, _s, _t in amounts), Decimal(0))
    tol = tolerance(stated, *(a for a, _s, _t in amounts))
    if abs(computed - stated) > tol:
        yield diag("PD-M004", total_f.span, path=tuple(key.split(".")), path_kind="field", stated=_fmt(stated), count=len(amounts),
                   computed=_fmt(computed), diff=_fmt(abs(computed - stated)),
                   related=tuple((s, f"{t}：{_fmt(a)}") for a, s, t in amounts))


def check_weights(decl: Declaration) -> Iterator[Diagnostic]:
    """权重: when a table weights its indicators, each weight is a positive number and they sum
    to the profile's total (100). Severity is the profile's: published tables do sum to 90."""
    key = decl.profile.weight_column
    if fastexit.ENABLED and key not in map(_column_key, chain.from_iterable(map(_columns, decl.indicators))):
        return  # no indicator has a column named `key` (looked for in C)
    if all(ind.column(key) is None for ind in decl.indicators):  # (no list: a million indicators, issue #16)
        return
    weighted = [(ind, ind.column(key)) for ind in decl.indicators]
    total = Decimal(0)
    ok = True
    sev = decl.profile.weight_severity
    for ind, raw in weighted:
        value = parse_decimal(raw.rstrip("%％")) if raw is not None else None
        if value is None or value <= 0:
            yield diag("PD-M005", ind.column_span(key) or ind.span, path=ind.path, severity=sev,
                       detail=f"{f'“{ind.name}”' if ind.name else '名称为空的指标'}的{key}"
                              f"{'没有填写' if raw is None else f'“{raw}”不是正数'}")
        if value is None:  # a missing weight: the sum cannot be told
            ok = False
            continue
        total += value  # a zero or negative weight still counts in the sum (it may be wrong too)
    want = Decimal(decl.profile.weight_total)
    if ok and total != want:
        # The sum is wrong: point at the weights themselves (each one listed), not at an indicator.
        spans = [(ind.column_span(key) or ind.span, ind, raw) for ind, raw in weighted]
        first = spans[0]
        related = tuple((sp, f"{ind.name}：{key} {raw}") for sp, ind, raw in spans[1:])
        yield diag("PD-M005", first[0], path=(), severity=sev, related=related,
                   detail=f"全部指标的{key}合计为 {_sum_text([str(raw) for _s, _i, raw in spans])} = {_fmt(total)}，"
                          f"应为 {_fmt(want)}（相差 {_fmt(abs(want - total))}）")


def _sum_text(terms: list[str], limit: int = 12) -> str:
    """`20 + 30 + 20`, shortened in the middle for long lists."""
    if len(terms) > limit:
        terms = [*terms[:limit - 2], "…", terms[-1]]
    return " + ".join(terms)

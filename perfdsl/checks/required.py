"""Rules on required parts: header fields, 一级 groups, counts, and names in a set."""

from __future__ import annotations

from collections.abc import Iterator
from operator import itemgetter

from perfdsl.checks.money import fields_by_key
from perfdsl.checks.parts import LEVEL1
from perfdsl.diagnostics import Diagnostic, diag
from perfdsl.model import Declaration, DeclarationSet
from perfdsl.profiles import KIND_ZH, FieldSpec
from perfdsl.source import Span

_level1 = itemgetter(LEVEL1)  # (perfdsl.checks.parts)


def _head(decl: Declaration) -> Span:
    s = decl.span
    return Span(s.path, s.line, s.col, s.line, s.col + 2)


# The required fields of each profile's field list, by the list's identity (a profile is
# loaded once and shared; the list is kept with its entry, so its id is not reused).
_required: dict[int, tuple[tuple[FieldSpec, ...], tuple[FieldSpec, ...]]] = {}


def required_specs(specs: tuple[FieldSpec, ...]) -> tuple[FieldSpec, ...]:
    hit = _required.get(id(specs))
    if hit is not None and hit[0] is specs:
        return hit[1]
    found = tuple(spec for spec in specs if spec.required)
    if len(_required) >= 64:  # profiles built anew (tests, a server): keep the table small
        _required.clear()
    _required[id(specs)] = (specs, found)
    return found


def check_required_fields(decl: Declaration) -> Iterator[Diagnostic]:
    by_key = fields_by_key(decl)
    for spec in required_specs(decl.profile.fields):
        f = by_key.get(spec.key)
        if f is None or f.is_empty:
            span = f.span if f is not None else _head(decl)
            yield diag("PD-R001", span, path=tuple(spec.key.split(".")), path_kind="field", label=spec.plain_label, key=spec.key,
                       help=f"补上：{spec.key}: ……")


def check_required_groups(decl: Declaration) -> Iterator[Diagnostic]:
    present = set(map(_level1, decl.indicators)) | set(decl.attempted_level1)
    for name in decl.profile.required_level1:
        if name not in present:
            yield diag("PD-R002", _head(decl), path=(name,), name=name,
                       help=f"例如：{name.removesuffix('指标')}.…  或用 #[allow(PD-R002, 理由 = \"……\")] 说明不适用")


def check_counts(decl: Declaration) -> Iterator[Diagnostic]:
    counts = decl.profile.counts
    by_key = fields_by_key(decl) if counts else {}
    for count_key, list_key in counts:
        cf, lf = by_key.get(count_key), by_key.get(list_key)
        if cf is None or cf.number is None or lf is None or not lf.items:
            continue
        if cf.number != len(lf.items):
            spec = decl.profile.field(count_key)
            yield diag("PD-R006", cf.span, path=tuple(count_key.split(".")), path_kind="field",
                       label=spec.plain_label if spec else count_key, count=format(cf.number, "f"), listed=len(lf.items))


def check_set_titles(dset: DeclarationSet) -> Iterator[Diagnostic]:
    dept: Declaration | None = None
    seen: dict[str, Declaration] = {}
    for d in dset.declarations:
        if d.kind == "department":
            if dept is not None:
                yield diag("PD-D002", _head(d), other=dept.title, related=((_head(dept), "第一份部门整体声明"),))
            else:
                dept = d
            continue
        first = seen.get(d.title)
        if first is not None:
            yield diag("PD-D001", _head(d), kind=KIND_ZH[d.kind], title=d.title,
                       related=((_head(first), "第一次声明"),))
        else:
            seen[d.title] = d

"""The typed model: what a declaration means, after resolution against its profile.

This is the one model every check and every backend works on. Names are the official
full names (产出指标, 数量指标), numbers are exact Decimals with their written precision,
texts are verbatim. Spans are kept so checks can point at the source; backends ignore
them. Backends never validate and never see syntax.
"""

from __future__ import annotations

from decimal import Decimal

from perfdsl import record
from perfdsl.profiles import Profile
from perfdsl.source import NO_SPAN, Span


@record.frozen
class Target:
    """An indicator's target: operator (eq ge le gt lt qual range) and value."""

    op: str
    value: Decimal | None = None  # eq ge le gt lt
    low: Decimal | None = None  # range
    high: Decimal | None = None  # range
    unit: str | None = None
    text: str | None = None  # qual

    def value_text(self) -> str:
        """The 指标值 cell as the form prints it (without operator and unit)."""
        if self.op == "qual":
            return self.text or ""
        if self.op == "range":
            return f"{_num(self.low)}-{_num(self.high)}"
        return _num(self.value)


def _num(v: Decimal | None) -> str:
    return "" if v is None else format(v, "f")


@record.frozen
class Indicator:
    level1: str
    level2: str
    name: str
    target: Target
    columns: tuple[tuple[str, str], ...] = ()  # extra columns: (key, text), e.g. ("备注", "按月发放")
    span: Span = NO_SPAN
    name_span: Span = NO_SPAN
    written: tuple[str, str, str] = ("", "", "")  # the path as the author wrote it
    unit_span: Span | None = None  # where the unit was written, for precise carets
    target_span: Span | None = None  # from the operator to the end of the value, for fixes
    column_spans: tuple[tuple[str, Span], ...] = ()  # where each extra column was written

    @property
    def path(self) -> tuple[str, str, str]:
        return (self.level1, self.level2, self.name)

    def column(self, key: str) -> str | None:
        for k, v in self.columns:
            if k == key:
                return v
        return None

    def column_span(self, key: str) -> Span | None:
        for k, sp in self.column_spans:
            if k == key:
                return sp
        return None


def hierarchy_order(indicators: tuple[Indicator, ...] | list[Indicator], profile: Profile) -> tuple[Indicator, ...]:
    """Indicators in the profile's 一级/二级 order, the author's order within a 二级.
    Levels the profile does not know follow the known ones, in order of first appearance.
    The one order of DOCX, XLSX and JSON."""
    l1_index: dict[str, int] = {}
    l2_index: dict[tuple[str, str], int] = {}
    for i, l1 in enumerate(profile.hierarchy):
        l1_index[l1.name] = i
        for j, l2 in enumerate(l1.children):
            l2_index[(l1.name, l2.name)] = j
    first1: dict[str, int] = {}
    first2: dict[tuple[str, str], int] = {}
    for n, ind in enumerate(indicators):
        first1.setdefault(ind.level1, n)
        first2.setdefault((ind.level1, ind.level2), n)
    big = 10**6

    def key(ind: Indicator) -> tuple[int, int, int, int]:
        a = l1_index.get(ind.level1, big)
        b = l2_index.get((ind.level1, ind.level2), big)
        return (a, first1[ind.level1] if a == big else 0, b, first2[(ind.level1, ind.level2)] if b == big else 0)

    return tuple(sorted(indicators, key=key))


@record.frozen
class Field:
    """A header field. `text` is verbatim; `number` is set for int/money/year fields."""

    key: str
    label: str
    type: str = "text"
    text: str | None = None
    items: tuple[str, ...] = ()
    number: Decimal | None = None
    known: bool = True
    span: Span = NO_SPAN

    @property
    def is_empty(self) -> bool:
        return not self.text and not self.items


@record.frozen
class Declaration:
    kind: str  # department | project
    title: str
    profile: Profile
    fields: tuple[Field, ...]
    indicators: tuple[Indicator, ...]
    span: Span = NO_SPAN
    path: str = ""
    # 一级 groups the author wrote indicators for that could not be resolved (a misspelt
    # 二级, say): reported already, so not reported again as a missing group.
    attempted_level1: tuple[str, ...] = ()
    # False when the profile named is unknown (PD-H005): `profile` is then a fallback the author
    # never chose, and the rules that depend on it are not run.
    profile_known: bool = True

    def field(self, key: str) -> Field | None:
        for f in self.fields:
            if f.key == key:
                return f
        return None

    def text(self, key: str) -> str:
        f = self.field(key)
        if f is None:
            spec = self.profile.field(key)
            return spec.default or "" if spec else ""
        if f.type == "list":
            return "、".join(f.items)
        return f.text or ""

    def ordered_indicators(self) -> tuple[Indicator, ...]:
        """The indicators as every output prints them: the profile's 一级/二级 order, then
        the author's order (`hierarchy_order`)."""
        return hierarchy_order(self.indicators, self.profile)

    def groups(self) -> list[tuple[str, list[tuple[str, list[Indicator]]]]]:
        """Indicators grouped by 一级 then 二级, in the profile's order (`ordered_indicators`)."""
        out: dict[str, dict[str, list[Indicator]]] = {}
        for ind in self.ordered_indicators():
            out.setdefault(ind.level1, {}).setdefault(ind.level2, []).append(ind)
        return [(l1, list(l2s.items())) for l1, l2s in out.items()]

    def list_items(self, key: str) -> list[str]:
        """A list field's items, numbered with the profile's item format."""
        f = self.field(key)
        spec = self.profile.field(key)
        fmt = spec.item_format if spec else "{text}"
        if f is None:
            return []
        return [fmt.format(n=i, text=t) for i, t in enumerate(f.items, 1)]

    def composite(self, name: str) -> str:
        """A text the form builds from several fields (profile `composites`)."""
        fmt = self.profile.composites.get(name)
        if not fmt:
            return ""
        import re

        def sub(m: re.Match[str]) -> str:
            return self.text(m.group(1))

        return re.sub(r"\{([^{}]+)\}", sub, fmt)

    def heading(self) -> tuple[str, str]:
        """The form's title and subtitle with header fields filled in."""
        import re

        def fill(fmt: str) -> str:
            return re.sub(r"\{([^{}]+)\}", lambda m: self.text(m.group(1)), fmt)

        subtitle = fill(self.profile.subtitle) if self.profile.subtitle else ""
        if subtitle and not self.text("年度"):
            subtitle = ""
        return fill(self.profile.title), subtitle


@record.frozen
class DeclarationSet:
    """A 部门整体 declaration and its projects (one folder, or one file)."""

    name: str
    declarations: tuple[Declaration, ...]
    root: str = ""

    @property
    def department(self) -> Declaration | None:
        for d in self.declarations:
            if d.kind == "department":
                return d
        return None

    @property
    def projects(self) -> tuple[Declaration, ...]:
        return tuple(d for d in self.declarations if d.kind == "project")

    @property
    def year(self) -> str:
        for d in self.declarations:
            if d.text("年度"):
                return d.text("年度")
        return ""

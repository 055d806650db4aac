"""The typed model: what a declaration means, after resolution against its profile.

This is the one model every check and every backend works on. Names are the official
full names (产出指标, 数量指标), numbers are exact Decimals with their written precision,
texts are verbatim. Spans are kept so checks can point at the source; backends ignore
them. Backends never validate and never see syntax.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from perfdsl import record
from perfdsl.profiles import Profile
from perfdsl.record import Record, fields
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


_new = tuple.__new__
_INDICATOR_FIELDS = ("level1", "level2", "name", "target", "columns", "span", "name_span", "written",
                     "unit_span", "target_span", "column_spans")


class Indicator(Record):
    """One indicator of the model (a `perfdsl.record.Record`, written out by hand).

    Its fields are those of the constructor (`_fields`), but it is stored compactly, since
    a declaration may hold a million of them (issue #16): the written path as three
    strings, and the four spans (`span`, `name_span`, `unit_span`, `target_span`), which
    nearly always lie on one line of one file, as that file, that line and their columns;
    each `Span` is built when asked for. Four separate spans and the `written` tuple took
    about 420 bytes per indicator, this takes about 80. Spans on several lines or files are
    kept as they are. Equality, hashing, `repr`, `_replace`, pickling and `attrs.evolve`
    work on the fields, as for any record.
    """

    __slots__ = ()
    _fields = _INDICATOR_FIELDS

    def __new__(cls, level1: str, level2: str, name: str, target: Target, columns: tuple[tuple[str, str], ...] = (),
                span: Span = NO_SPAN, name_span: Span = NO_SPAN, written: tuple[str, str, str] = ("", "", ""),
                unit_span: Span | None = None, target_span: Span | None = None,
                column_spans: tuple[tuple[str, Span], ...] = ()) -> Indicator:
        w1, w2, w3 = written
        path, line = span[0], span[1]
        if (span[3] == line and name_span[0] == path and name_span[1] == line == name_span[3]
                and (unit_span is None or (unit_span[0] == path and unit_span[1] == line == unit_span[3]))
                and (target_span is None or (target_span[0] == path and target_span[1] == line == target_span[3]))):
            return _new(cls, (level1, level2, name, target, columns, column_spans, w1, w2, w3, path, line,
                              span[2], span[4], name_span[2], name_span[4],
                              None if unit_span is None else unit_span[2], None if unit_span is None else unit_span[4],
                              None if target_span is None else target_span[2],
                              None if target_span is None else target_span[4]))
        return _new(cls, (level1, level2, name, target, columns, column_spans, w1, w2, w3,
                          (span, name_span, unit_span, target_span)))

    level1, level2, name, target, columns, column_spans = fields("level1", "level2", "name", "target", "columns",
                                                                  "column_spans")

    @property
    def written(self) -> tuple[str, str, str]:
        """The path as the author wrote it."""
        return (self[6], self[7], self[8])

    def _span(self, i: int) -> Span | None:
        if len(self) == 10:
            return self[9][i]  # type: ignore[no-any-return]
        col = self[11 + 2 * i]
        if col is None:
            return None
        line = self[10]
        return _new(Span, (self[9], line, col, line, self[12 + 2 * i]))

    @property
    def span(self) -> Span:
        return self._span(0)  # type: ignore[return-value]

    @property
    def line(self) -> int:
        """`span.line`, without building the span."""
        return self[10] if len(self) != 10 else self[9][0].line  # type: ignore[no-any-return]

    @property
    def name_span(self) -> Span:
        """Where the name (三级指标) was written."""
        return self._span(1)  # type: ignore[return-value]

    @property
    def unit_span(self) -> Span | None:
        """Where the unit was written, for precise carets."""
        return self._span(2)

    @property
    def target_span(self) -> Span | None:
        """From the operator to the end of the value, for fixes."""
        return self._span(3)

    def _asdict(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in _INDICATOR_FIELDS}

    def __getnewargs__(self) -> tuple[Any, ...]:
        return tuple(getattr(self, name) for name in _INDICATOR_FIELDS)

    def __repr__(self) -> str:
        inner = ", ".join(f"{name}={getattr(self, name)!r}" for name in _INDICATOR_FIELDS)
        return f"Indicator({inner})"

    def _replace(self, **changes: Any) -> Indicator:
        values = self._asdict()
        for key, value in changes.items():
            if key not in values:
                raise TypeError(f"Indicator has no field {key}")
            values[key] = value
        return Indicator(**values)

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

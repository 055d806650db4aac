"""Resolve the AST against a profile: the pass that turns syntax into the model.

It flattens group blocks (a block prefixes its path to everything inside), maps short
names to official full names through the profile's aliases, types header fields
(money, counts, codes, yes/no) and records the waivers' scopes. Problems become
diagnostics; nothing here raises on user input, and nothing written is dropped: unknown
fields and columns are kept (and reported).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from decimal import Decimal
from typing import TYPE_CHECKING

from perfdsl import ast, record
from perfdsl.diagnostics import Diagnostic, Fix, diag
from perfdsl.model import Declaration, Field, Indicator, Target
from perfdsl.numbers import MAX_INTEGER_DIGITS, parse_decimal, too_large
from perfdsl.profiles import KIND_ZH, Level1, Profile, default_profile, find_profile, profile_ids
from perfdsl.source import NO_SPAN, Span
from perfdsl.units import canonical_unit

if TYPE_CHECKING:
    from perfdsl.stream import DeclStream

PROFILE_KEYS = ("模板", "profile")
_PROFILE_PARTS = frozenset((k,) for k in PROFILE_KEYS)
MAX_DEPTH = 3
# Findings of the resolver that depend on which profile is in force (its hierarchy, fields,
# columns, field types, operator conventions): not reported when the profile is unknown.
PROFILE_DEPENDENT = frozenset(("PD-H001", "PD-H002", "PD-H003", "PD-H007", "PD-R003", "PD-R005", "PD-R007", "PD-V006"))
_CODE_NAME = re.compile(r"^\s*(\S+)\s+(\S.*)$")
# A number as most fields write it (ASCII digits, at most 20 before and after the point): its
# value is `parse_decimal`'s and it is never `too_large`, so neither needs to run for it.
_PLAIN_NUMBER = re.compile(r"[0-9]{1,20}(?:\.[0-9]{1,20})?")
_new_tuple = tuple.__new__


@record.frozen
class WaiverScope:
    waiver: ast.Waiver
    scope: Span  # the statement the waiver stands before


@record.frozen
class Resolved:
    declarations: tuple[Declaration, ...]
    waivers: tuple[WaiverScope, ...]


# id(profile) -> (the profile, its successful 一级/二级 lookups). A successful lookup has no
# finding and depends only on the profile and the two texts, so every declaration resolved
# against the same (immutable) profile object can reuse it: the first indicator of each
# pair in a declaration then costs no more than the others (and may be fused, perfdsl.fused).
_LEVELS: dict[int, tuple[Profile, dict[tuple[str, str], tuple[Level1, str]]]] = {}
_MAX_PROFILES = 64


def _levels_of(profile: Profile) -> dict[tuple[str, str], tuple[Level1, str]]:
    found = _LEVELS.get(id(profile))
    if found is None or found[0] is not profile:  # (a new profile object, e.g. a profile file edited)
        if len(_LEVELS) >= _MAX_PROFILES:
            _LEVELS.clear()
        found = _LEVELS[id(profile)] = (profile, {})
    return found[1]


# id(profile) -> (the profile, where each of its fields goes in a declaration's field order):
# the same for every declaration resolved against the same (immutable) profile object.
_ORDER: dict[int, tuple[Profile, dict[str, int]]] = {}


def _order_of(profile: Profile) -> dict[str, int]:
    found = _ORDER.get(id(profile))
    if found is None or found[0] is not profile:
        if len(_ORDER) >= _MAX_PROFILES:
            _ORDER.clear()
        found = _ORDER[id(profile)] = (profile, {f.key: i for i, f in enumerate(profile.fields)})
    return found[1]


def _join(parts: tuple[str, ...]) -> str:
    return ".".join(parts)


def _drain(items: list[ast.Stmt]) -> Iterator[ast.Stmt]:
    """Each statement of `items`, letting go of it as it is taken: once resolved, a
    statement's syntax nodes are freed, unless the model keeps a part of them (issue #16:
    a million indicators' syntax trees and models were alive together)."""
    for i in range(len(items)):
        st = items[i]
        items[i] = None  # type: ignore[call-overload]
        yield st


class _DeclResolver:
    """One declaration's resolution, fed statement by statement.

    `feed` takes the declaration's top-level statements in order, as the parser hands them
    over (perfdsl.parser's `stream`: a huge declaration's syntax never exists whole, issue
    #16) or from a finished syntax tree; `finish` takes the declaration's own node (its
    body already fed) and returns the model. Statements before the profile is known (the
    first top-level `模板:` field picks it; without one, the default profile of the kind,
    known only at the end) wait in a buffer, so the result does not depend on how the
    statements arrived.
    """

    def __init__(self, kind: str, profile_dirs: tuple[str, ...]) -> None:
        self.kind = kind
        self.profile_dirs = profile_dirs
        self.diags: list[Diagnostic] = []
        self.waivers: list[WaiverScope] = []
        self.fields: dict[str, Field] = {}
        self.indicators: list[Indicator] = []
        self.attempted: list[str] = []
        # (level-1 text, level-2 text) -> (level 1, level-2 name), for lookups that succeeded
        # (a failed lookup reports a diagnostic at each indicator, so it is not cached); shared
        # by the declarations resolved against the same profile (`_levels_of`).
        self._levels: dict[tuple[str, str], tuple[Level1, str]] = {}
        self.profile_known = True
        self.profile: Profile = None  # type: ignore[assignment]  # set by _use_profile
        self._waiting: list[ast.Stmt] | None = []  # statements fed before the profile is known

    # --- profile ---------------------------------------------------------------------
    def _use_profile(self, profile: Profile) -> None:
        self.profile = profile
        self._levels = _levels_of(profile)
        self.diags.extend(profile.problems)  # a broken profile file (PD-C…), at its own lines
        waiting, self._waiting = self._waiting, None
        if waiting:
            self._walk(_drain(waiting))

    def _pick_profile(self, st: ast.Field) -> Profile:
        name = st.value.text if st.value else ""
        prof = find_profile(name, self.profile_dirs) if name else None
        if prof is None:
            self.profile_known = False
            self.diags.append(self._unknown_profile(st, name))
            return default_profile(self.kind, self.profile_dirs)
        if prof.kind != self.kind:
            self.diags.append(diag(
                "PD-H006", st.value.span if st.value else st.span, profile=prof.id,
                profile_kind=KIND_ZH.get(prof.kind, prof.kind), decl_kind=KIND_ZH[self.kind]))
        return prof

    def _unknown_profile(self, st: ast.Field, name: str) -> Diagnostic:
        """PD-H005, with the closest profile of this declaration's kind as a did-you-mean."""
        import difflib  # only for a suggestion

        span = st.value.span if st.value else st.span
        close = difflib.get_close_matches(name.strip().lower(), profile_ids(self.profile_dirs), n=5, cutoff=0.6)
        for pid in close:
            cand = find_profile(pid, self.profile_dirs)
            if cand is not None and cand.kind == self.kind and st.value is not None:
                return diag("PD-H005", span, name=name, help=f"是否应为“{pid}”？", fix=Fix(span, pid, f"改为 {pid}"))
        kinds = [p for p in profile_ids(self.profile_dirs)
                 if (c := find_profile(p, self.profile_dirs)) is not None and c.kind == self.kind]
        return diag("PD-H005", span, name=name, help="可用的模板：" + "、".join(kinds) if kinds else None)

    # --- walk ------------------------------------------------------------------------
    @property
    def waiting(self) -> bool:
        """True while the profile is not known yet (statements fed now are kept for later)."""
        return self._waiting is not None

    def feed(self, st: ast.Stmt, prefix: tuple[ast.Segment, ...] = ()) -> None:
        """Resolve one statement (or keep it until the profile is known). `prefix`: the
        segments of the groups it is written in, when a group's body is fed statement by
        statement (`open_group`; only once the profile is known)."""
        waiting = self._waiting
        if waiting is None:
            kind = type(st)
            if kind is ast.Indicator and not st.waivers:  # (the common cases, without the walk)
                self._indicator(prefix, st)
            elif kind is ast.Field and not st.waivers:
                self._field(prefix, st)
            else:
                self._walk(iter((st,)), prefix)
            return
        assert not prefix, "a group's statements are fed one by one only once the profile is known"
        waiting.append(st)
        if isinstance(st, ast.Field) and st.key.parts in _PROFILE_PARTS:
            self._use_profile(self._pick_profile(st))

    def finish(self, decl: ast.Declaration) -> Declaration:
        """The model of `decl`, whose body has been fed (the body `decl` carries is ignored)."""
        if self._waiting is not None:
            self._use_profile(default_profile(self.kind, self.profile_dirs))
        self.waivers[:0] = [WaiverScope(w, decl.span) for w in decl.waivers]
        self.decl = decl if not decl.body else decl._replace(body=())
        self._title()
        if not self.profile_known:
            # The profile named is unknown (PD-H005): findings computed against a fallback the
            # user never chose would bury it. Only what does not depend on the profile stays.
            self.diags = [d for d in self.diags if d.code not in PROFILE_DEPENDENT]
        return self._build()

    def open_group(self, prefix: tuple[ast.Segment, ...], path: ast.Path) -> tuple[tuple[ast.Segment, ...], int, bool]:
        """A group whose statements will be fed one by one (`feed(st, segments)`) before the
        group itself is complete: (its segments, where its waivers go, whether its body is
        skipped for being too deep, PD-S008), as `_walk` does on meeting the whole group."""
        segs = prefix + path.segments
        index = len(self.waivers)
        if len(segs) > MAX_DEPTH:
            self.diags.append(diag("PD-S008", path.span, depth=len(segs)))
            return segs, index, True
        return segs, index, False

    def close_group(self, index: int, waivers: tuple[ast.Waiver, ...], span: Span) -> None:
        """The group opened with `open_group` is complete: the waivers written above it get its
        span, in the place `_walk` would have given them (before its statements' waivers)."""
        if waivers:
            self.waivers[index:index] = [WaiverScope(w, span) for w in waivers]

    def _walk(self, top: Iterator[ast.Stmt], prefix: tuple[ast.Segment, ...] = ()) -> None:
        # Iterative walk (no recursion: nesting depth is user-controlled).
        stack: list[tuple[tuple[ast.Segment, ...], Iterator[ast.Stmt]]] = [(prefix, top)]
        while stack:
            prefix, it = stack[-1]
            st = next(it, None)
            if st is None:
                stack.pop()
                continue
            kind = type(st)
            if kind is ast.Indicator and not st.waivers:  # (the common case first)
                self._indicator(prefix, st)
                continue
            if kind is ast.Waiver:
                self.waivers.append(WaiverScope(st, st.span))
                continue
            for w in st.waivers:
                self.waivers.append(WaiverScope(w, st.span))
            if kind is ast.Group:
                segs = prefix + st.path.segments
                if len(segs) > MAX_DEPTH:
                    self.diags.append(diag("PD-S008", st.path.span, depth=len(segs)))
                    continue
                stack.append((segs, _drain(list(st.body))))
            elif kind is ast.Field:
                self._field(prefix, st)
            elif kind is ast.Indicator:
                self._indicator(prefix, st)

    def _title(self) -> None:
        tf = self.profile.title_field
        if not tf:
            return
        if tf not in self.fields and self.decl.title:
            span = self.decl.title_span or self.decl.span
            spec = self.profile.field(tf)
            self.fields[tf] = Field(tf, spec.label if spec else tf, "text", self.decl.title, span=span)

    def _build(self) -> Declaration:
        order = _order_of(self.profile)
        known = sorted((f for f in self.fields.values() if f.known), key=lambda f: order.get(f.key, 10**6))
        unknown = [f for f in self.fields.values() if not f.known]
        tf = self.profile.title_field
        title = self.decl.title or (self.fields[tf].text if tf in self.fields else "") or ""
        return Declaration(
            kind=self.decl.kind, title=title or "", profile=self.profile,
            fields=tuple(known + unknown), indicators=tuple(self.indicators),
            span=self.decl.span, path=self.decl.span.path,
            attempted_level1=tuple(dict.fromkeys(self.attempted)), profile_known=self.profile_known,
        )

    # --- fields ----------------------------------------------------------------------
    def _field(self, prefix: tuple[ast.Segment, ...], st: ast.Field) -> None:
        segs = prefix + st.key.segments if prefix else st.key.segments
        parts = (segs[0][0],) if len(segs) == 1 else tuple([s[0] for s in segs])  # (Segment.text)
        if parts in _PROFILE_PARTS:
            return
        key = parts[0] if len(parts) == 1 else _join(parts)
        spec = self.profile.field(key)
        value_text = st.value.text if st.value else None
        items = tuple([i.text for i in st.items]) if st.items else ()
        for i in st.items:
            if not i.text:
                self.diags.append(diag("PD-R008", i.span, path=parts, path_kind="field"))
        if spec is None and self._indicator_as_field(prefix, st, parts):
            return
        if spec is None:
            if not self.profile.allow_unknown_fields:
                self.diags.append(diag("PD-R003", st.key.span, path=parts, path_kind="field", profile=self.profile.id, key=key))
            ftype = "list" if items and value_text is None else "text"
            fld = Field(key, key, ftype, value_text, items, known=False, span=st.span)
        else:
            key = spec.key
            fld = self._typed(spec.key, spec.label, spec.type, value_text, items, st)
        if key in self.fields:
            self.diags.append(diag("PD-R004", st.key.span, path=parts, path_kind="field", label=fld.label))
            return
        self.fields[key] = fld

    def _indicator_as_field(self, prefix: tuple[ast.Segment, ...], st: ast.Field, parts: tuple[str, ...]) -> bool:
        """PD-H007: `产出.时效.完成时间: 2026年12月底前` is an indicator written with a colon, not a
        header field (issue #11: such a line never silently becomes one). True when reported."""
        if len(parts) < 2:
            return False
        l1 = self.profile.resolve_level1(parts[0])
        if l1 is None and not (prefix and self.profile.find_level2_anywhere(st.key.parts[0])):
            return False
        shown = list(parts)
        l2 = None
        if l1 is not None:
            shown[0] = l1.name
            l2 = self.profile.resolve_level2(l1, parts[1])
            if l2 is not None:
                shown[1] = l2.name
        fix = None
        value = st.value
        if (l2 is not None and len(parts) == 3 and value is not None and value.style == "plain"
                and value.text.strip() and not st.items and value.span.line == st.key.span.end_line):
            k = st.key.span
            colon = Span(k.path, k.end_line, k.end_col, value.span.line, value.span.col)
            fix = Fix(colon, " 定性 ", "把冒号改成“定性”")
        text = f"{_join(st.key.parts)} 定性 {value.text}" if value is not None and value.text.strip() else None
        self.diags.append(diag(
            "PD-H007", st.key.span, path=tuple(shown), key=_join(parts), fix=fix,
            help=f"指标写成：{text}" if text else "指标写成 一级.二级.名称 运算符 数值，或 一级.二级.名称 定性 文字"))
        return True

    def _typed(self, key: str, label: str, ftype: str, text: str | None, items: tuple[str, ...],
               st: ast.Field) -> Field:
        return self._typed_at(key, label, ftype, text, items, st.value.span if st.value else st.span, st.span)

    def _typed_at(self, key: str, label: str, ftype: str, text: str | None, items: tuple[str, ...],
                  span: Span, st_span: Span) -> Field:
        """The field `key` of type `ftype`; `span`: its value's (its own, `st_span`, if none)."""
        if ftype == "list":
            if text is not None and not items:
                items = (text,)
            return Field(key, label, ftype, None, items, span=st_span)
        if items:
            text = "\n".join(([text] if text else []) + list(items))
        number: Decimal | None = None
        if text is not None and text.strip():
            parts = tuple(key.split(".")) if "." in key else (key,)
            if ftype in ("int", "money", "year"):
                plain = _PLAIN_NUMBER.fullmatch(text) is not None
                number = Decimal(text) if plain else parse_decimal(text)  # (plain: = parse_decimal, never too large)
                if not plain and number is not None and too_large(number):
                    self.diags.append(diag("PD-S007", span, path=parts, path_kind="field", text=text,
                                           limit=MAX_INTEGER_DIGITS))
                    return Field(key, label, ftype, text, (), None, span=st_span)
                ok = number is not None
                if ok and ftype in ("int", "year"):
                    assert number is not None
                    ok = number == number.to_integral_value() and "." not in text
                if ok and ftype == "year":
                    ok = len(text.strip()) == 4
                if not ok:
                    expected = {"int": "整数", "money": "金额（数值）", "year": "四位年份"}[ftype]
                    self.diags.append(diag("PD-R005", span, path=parts, path_kind="field", label=label, expected=expected, text=text))
                    number = None
            elif ftype == "code" and not _CODE_NAME.match(text):
                self.diags.append(diag("PD-R005", span, path=parts, path_kind="field", label=label,
                                       expected="“代码 名称”（如 3 其他项目）", text=text))
            elif ftype == "bool" and text.strip() not in ("是", "否"):
                self.diags.append(diag("PD-R005", span, path=parts, path_kind="field", label=label, expected="“是”或“否”", text=text))
        return Field(key, label, ftype, text, (), number, span=st_span)

    # --- indicators ------------------------------------------------------------------
    def _indicator(self, prefix: tuple[ast.Segment, ...], st: ast.Indicator) -> None:
        segs = prefix + st.path.segments if prefix else st.path.segments
        if len(segs) != 3:
            written = tuple(s.text for s in segs)
            self.diags.append(diag("PD-H004", st.path.span, path=written, depth=len(segs),
                                   path_text=_join(written)))
            l1 = self.profile.resolve_level1(segs[0].text) if segs else None
            if l1 is not None:  # its group was written (no second finding, PD-R002, for it)
                self.attempted.append(l1.name)
            return
        s1, s2, s3 = segs
        written = (s1[0], s2[0], s3[0])  # (Segment.text)
        hit = self._levels.get(written[:2])
        if hit is not None:
            level1, level2 = hit
        else:
            found = self._level1(s1, s2, written)
            if found is None:
                return
            level1 = found
            name2 = self._level2(level1, s2, written)
            if name2 is None:
                self.attempted.append(level1.name)
                return
            level2 = name2
            self._levels[written[:2]] = (level1, level2)
        name = written[2]
        target, unit_attr = self._target(st, (level1.name, level2, name))
        columns: list[tuple[str, str]] = []
        column_spans: list[tuple[str, Span]] = []
        for at in st.attrs:
            if at.key.strip() in ("度量单位", "计量单位", "单位"):
                unit_attr = at.value
                continue
            col = self.profile.column(at.key)
            if col is None:
                if at.key.strip() not in self.profile.optional_columns:
                    self.diags.append(diag("PD-R007", at.span, path=(level1.name, level2, s3.text),
                                           profile=self.profile.id, key=at.key))
                columns.append((at.key.strip(), at.value))
                column_spans.append((at.key.strip(), at.span))
            else:
                columns.append((col.key, at.value))
                column_spans.append((col.key, at.span))
        if unit_attr is not None and target.op == "qual":
            target = record.evolve(target, unit=unit_attr)
        self.indicators.append(Indicator(  # (positional: level1, level2, name, target, columns, span,
            # name_span, written, unit_span, target_span, column_spans)
            level1.name, level2, name, target, tuple(columns), st.span, s3.span, written,
            _unit_span(st.target), _target_span(st.target), tuple(column_spans),
        ))

    def plain_field(self, parts: tuple[str, ...], text: str | None, span: Span, st_span: Span) -> bool:
        """What `_field` makes of a field without items whose key's texts (with its groups')
        are `parts`, value `text` (None: none) at `span` (the field's own, `st_span`, if
        none), from a line shape's match rather than syntax nodes (perfdsl.fused). False,
        with nothing done, unless the profile is known, the profile knows the field and it is
        not a repeat (where `_field` may look further or report)."""
        if self._waiting is not None:
            return False
        if parts in _PROFILE_PARTS:
            return True
        spec = self.profile.field(parts[0] if len(parts) == 1 else _join(parts))
        if spec is None or spec.key in self.fields:
            return False
        self.fields[spec.key] = self._typed_at(spec.key, spec.label, spec.type, text, (), span, st_span)
        return True

    def plain_indicator(self, w1: str, w2: str, w3: str, op: str, value: Decimal | None, unit: str | None,
                        text: str | None, at: tuple[str, int, int, int, int, int, int | None, int | None, int]) -> bool:
        """What `_indicator` makes of a comparison (`op`, `value`, `unit` as written) or
        qualitative (`op` "qual", `text`) indicator without attributes written `w1.w2.w3`,
        given where it is (`at`: path, line, the columns of the statement's start and end,
        of the name, of the unit (None) and of the operator) rather than syntax nodes
        (perfdsl.fused). False, with nothing done, unless the profile is known and the
        一级/二级 pair is already resolved (a pair that is not may need a diagnostic)."""
        hit = self._levels.get((w1, w2))
        if hit is None or self._waiting is not None:
            return False
        level1, level2 = hit
        if op == "qual":  # = Target("qual", text=…)
            target = _new_tuple(Target, (op, None, None, None, None, text))
        else:  # = Target(op, value=…, unit=…)
            target = _new_tuple(Target, (op, value, None, None, canonical_unit(unit), None))
        path, line, col, end, ncol, nend, ucol, uend, tcol = at
        # = Indicator(level1.name, level2, w3, target, (), span, name_span, written, unit_span,
        # target_span, ()), all spans on one line (stored as columns; the target ends with it)
        self.indicators.append(_new_tuple(Indicator, (level1.name, level2, w3, target, (), (), w1, w2, w3, path, line,
                                                      col, end, ncol, nend, ucol, uend, tcol, end)))
        return True

    def _level1(self, s1: ast.Segment, s2: ast.Segment, written: tuple[str, ...]) -> Level1 | None:
        l1 = self.profile.resolve_level1(s1.text)
        if l1 is not None:
            return l1
        as_l2 = self.profile.find_level2_anywhere(s1.text)
        if as_l2 and "成本" in s1.text:
            owner = as_l2[0][0].name
            self.diags.append(diag(
                "PD-H003", s1.span, path=written,
                detail=f"模板“{self.profile.id}”中成本指标是“{owner}”下的二级指标，这里却用作一级指标",
                help=f"写成 {owner.removesuffix('指标')}.{s1.text}.… 或换用成本为一级指标的模板（如 mof2021）"))
            return None
        names = [n for h in self.profile.hierarchy for n in (h.name, h.name.removesuffix("指标"), *h.aliases)]
        import difflib  # only for a suggestion

        close = difflib.get_close_matches(s1.text, names, n=1, cutoff=0.3)
        help_text = None
        fix = None
        if as_l2:
            owner = as_l2[0][0].name
            help_text = f"“{s1.text}”是二级指标，属于“{owner}”；是否漏写了一级指标？"
        elif close:
            help_text = f"是否应为“{close[0]}”？"
            # Offer the fix only when the 二级 name written next fits under it (else a new PD-H002).
            l1_fix = self.profile.resolve_level1(close[0])
            if l1_fix is not None and self.profile.resolve_level2(l1_fix, s2.text) is not None:
                fix = Fix(s1.span, close[0], f"改为 {close[0]}")
        self.diags.append(diag("PD-H001", s1.span, path=written, help=help_text, fix=fix,
                               name=s1.text, profile=self.profile.id))
        return None

    def _level2(self, l1: Level1, s2: ast.Segment, written: tuple[str, ...]) -> str | None:
        l2 = self.profile.resolve_level2(l1, s2.text)
        if l2 is not None:
            return l2.name
        path = (l1.name, s2.text, written[2])
        if self.profile.resolve_level1(s2.text) is not None and "成本" in s2.text:
            self.diags.append(diag(
                "PD-H003", s2.span, path=path,
                detail=f"模板“{self.profile.id}”中成本指标是一级指标，这里却用作“{l1.name}”下的二级指标",
                help=f"写成 成本.经济成本.{written[2]}，或换用成本为二级指标的模板（如 mof2015）"))
            return None
        names = [n for c in l1.children for n in (c.name, c.name.removesuffix("指标"), *c.aliases)]
        import difflib  # only for a suggestion

        close = difflib.get_close_matches(s2.text, names, n=1, cutoff=0.3)
        elsewhere = [a.name for a, _b in self.profile.find_level2_anywhere(s2.text)]
        help_text = None
        fix = None
        if elsewhere:
            help_text = f"“{s2.text}”属于一级指标“{elsewhere[0]}”"
        elif close:
            help_text = f"是否应为“{close[0]}”？"
            fix = Fix(s2.span, close[0], f"改为 {close[0]}")
        else:
            help_text = "可用的二级指标：" + "、".join(c.name for c in l1.children)
        self.diags.append(diag("PD-H002", s2.span, path=path, help=help_text, fix=fix, name=s2.text, parent=l1.name))
        return None

    def _target(self, st: ast.Indicator, written: tuple[str, ...]) -> tuple[Target, str | None]:
        t = st.target
        if isinstance(t, ast.Comparison):
            if not t.op_text and not self.profile.bare_equals:  # `8 个` with no operator
                q = t.quantity
                shown = f"{q.raw} {q.unit}" if q.unit else q.raw
                self.diags.append(diag("PD-V006", q.span, path=written, value=shown, profile=self.profile.id,
                                       fix=Fix(q.span, f"= {shown}", f"写成 = {shown}")))
            q = t.quantity  # = Target(t.op, value=q.value, unit=…), without the keyword call
            return _new_tuple(Target, (t.op, q.value, None, None, canonical_unit(q.unit), None)), None
        if isinstance(t, ast.Range):
            lu, hu = canonical_unit(t.low.unit), canonical_unit(t.high.unit)
            if lu and hu and lu != hu:
                self.diags.append(diag("PD-V004", t.low.span, path=written, low_unit=lu, high_unit=hu))
            if t.low.value >= t.high.value and (not lu or not hu or lu == hu):
                unit = hu or lu or ""
                if t.low.value == t.high.value and t.op_span != NO_SPAN:  # one point: it is an "="
                    fix = Fix(Span(t.op_span.path, t.op_span.line, t.op_span.col,
                                   t.high.span.end_line, t.high.span.end_col),
                              f"= {t.low.raw} {unit}".rstrip(), "两端相同，写成等于")
                else:
                    fix = Fix(Span(t.low.span.path, t.low.span.line, t.low.span.col,
                                   t.high.span.end_line, t.high.span.end_col),
                              f"{t.high.raw}-{t.low.raw}{unit}", "交换上下限")
                self.diags.append(diag("PD-V003", t.low.span, path=written,
                                       low=t.low.raw, high=t.high.raw, fix=fix))
            return Target("range", low=t.low.value, high=t.high.value, unit=hu or lu), None
        assert isinstance(t, ast.Qualitative)
        return Target("qual", text=t.value.text), None


def _target_span(t: ast.Target) -> Span | None:
    """The operator and value as written (`定性 100%`, `>= 2600 人`), without attributes."""
    op = t.op_span
    if not op[1] and op == NO_SPAN:  # (a real span is never on line 0: one comparison)
        return None
    if isinstance(t, ast.Comparison):
        last = t.quantity.unit_span or t.quantity.span
    elif isinstance(t, ast.Range):
        last = t.high.unit_span or t.high.span
    else:
        last = t.value.span
    if not last[1] and last == NO_SPAN:
        return None
    return _new_tuple(Span, (op[0], op[1], op[2], last[3], last[4]))  # = Span(path, line, col, end_line, end_col)


def _unit_span(t: ast.Target) -> Span | None:
    if isinstance(t, ast.Comparison):
        return t.quantity.unit_span
    if isinstance(t, ast.Range):
        return t.high.unit_span or t.low.unit_span
    return None


def full_paths(diags: list[Diagnostic], decls: tuple[Declaration, ...]) -> list[Diagnostic]:
    """Indicator paths of findings made before resolution (syntax errors: PD-V001, PD-S009) in
    the resolved full names (产出指标 › 数量指标 › …), like every other finding; a path that
    does not resolve under its declaration's profile keeps its written text."""
    out: list[Diagnostic] = []
    for d in diags:
        decl = None
        if d.path_kind == "indicator" and len(d.path) >= 2:
            # the last declaration opened before the finding (a declaration's span may end
            # early where a syntax error broke it)
            decl = max((x for x in decls if x.span.path == d.span.path and x.span.line <= d.span.line),
                       key=lambda x: x.span.line, default=None)
        if decl is None or not decl.profile_known:
            out.append(d)
            continue
        l1 = decl.profile.resolve_level1(d.path[0])
        if l1 is None:
            out.append(d)
            continue
        l2 = decl.profile.resolve_level2(l1, d.path[1])
        path = (l1.name, l2.name if l2 is not None else d.path[1], *d.path[2:])
        out.append(record.evolve(d, path=path) if path != d.path else d)
    return out


def resolve_document(doc: ast.Document, profile_dirs: tuple[str, ...] = (),
                     streamed: dict[tuple[int, int], DeclStream] | None = None) -> tuple[Resolved, list[Diagnostic]]:
    """The model of `doc`'s declarations, and the problems found.

    A caller that has no further use for `doc` can hand it over as
    `resolve_document(box.pop(), …)`: each statement's syntax nodes are then freed as soon
    as it is resolved, so a huge declaration's syntax tree and model are never both whole
    in memory (issue #16). A caller that keeps `doc` loses nothing: it is not changed.
    `streamed`: declarations whose body the parser already handed to a `DeclStream` (keyed
    by where the declaration starts); their nodes here carry no body.
    """
    decls: list[ast.Declaration | None] = list(doc.declarations)
    stray = doc.stray_waivers
    del doc  # (the Document, and its tuple of declarations, can go now)
    diags: list[Diagnostic] = []
    out: list[Declaration] = []
    waivers: list[WaiverScope] = [WaiverScope(w, w.span) for w in stray]
    for i in range(len(decls)):
        decl = decls[i]
        decls[i] = None  # this loop holds the only reference to the body now
        assert decl is not None
        fed = streamed.pop((decl.span.line, decl.span.col), None) if streamed else None
        if fed is not None:
            r = fed.resolver
        else:
            r = _DeclResolver(decl.kind, profile_dirs)
            body = list(decl.body)
            decl = decl._replace(body=())
            for st in _drain(body):
                r.feed(st)
            del body
        out.append(r.finish(decl))
        diags.extend(r.diags)
        waivers.extend(r.waivers)
        del r, decl
    return Resolved(tuple(out), tuple(waivers)), diags

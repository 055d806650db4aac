"""Semantic diff of two collections of declarations: what changed in meaning, not in lines.

`diff_declarations(old, new)` matches declarations by kind and title (plus the file when a
title repeats), indicators by 一级/二级/三级 path (an indicator whose 三级 name reappears
under another 二级 is a move), header fields by key. It reports indicators added, removed
or moved; target changes with their direction (收紧/放宽 per operator) and percent change;
operator and unit changes; wording-only changes (qualitative text, extra columns); header
field changes, money fields with the difference. Unchanged things produce nothing.
Rendering: `render_text`, `render_markdown`, `render_json`. It must not read files or git;
perfdsl/commands/diff_cmd.py does that.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from decimal import Decimal
from importlib import resources
from typing import Any

import attrs

from perfdsl.invisible import visible
from perfdsl.model import Declaration, Field, Indicator, Target

KIND_ZH = {"department": "部门整体", "project": "项目"}
OP_SHOW = {"eq": "=", "ge": "≥", "le": "≤", "gt": ">", "lt": "<", "qual": "定性", "range": "区间"}
NOTHING = "没有变化。"
PATH_SEP = " › "

# Change kinds, with their Chinese labels.
LABELS = {
    "declaration_added": "新增声明",
    "declaration_removed": "删除声明",
    "indicator_added": "新增指标",
    "indicator_removed": "删除指标",
    "indicator_moved": "指标移动",
    "target_changed": "指标值变化",
    "operator_changed": "运算符变化",
    "unit_changed": "单位变化",
    "wording_changed": "措辞变化",
    "field_added": "新增字段",
    "field_removed": "删除字段",
    "field_changed": "字段变化",
    "money_changed": "金额变化",
    "weight_changed": "权重变化",
}
POINTS = "个百分点"


@attrs.frozen
class Change:
    kind: str  # one of LABELS
    decl_kind: str
    decl_title: str
    path: tuple[str, ...] = ()  # indicator path or field key parts
    old: str | None = None
    new: str | None = None
    direction: str | None = None  # tightened | loosened | None
    percent: str | None = None  # "+7.7%"
    difference: str | None = None  # money: "+100,000.00"; percentage targets: "+5" (points)
    unit: str | None = None  # of `difference`: 万元, 元, 个百分点
    note: str = ""

    def to_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind, "label": LABELS[self.kind],
            "declaration": {"kind": self.decl_kind, "title": self.decl_title},
            "path": list(self.path), "old": self.old, "new": self.new,
            "direction": self.direction, "percent": self.percent,
            "difference": self.difference, "unit": self.unit, "note": self.note,
        }


def _num(v: Decimal | None) -> str:
    return "" if v is None else format(v, "f")


def target_text(t: Target, with_op: bool = True) -> str:
    unit = f" {t.unit}" if t.unit else ""
    if t.op == "qual":
        return f"定性 {t.text or ''}" if with_op else (t.text or "")
    if t.op == "range":
        body = f"{_num(t.low)}-{_num(t.high)}{unit}"
        return f"区间 {body}" if with_op else body
    body = f"{_num(t.value)}{unit}"
    return f"{OP_SHOW[t.op]} {body}" if with_op else body


def percent(old: Decimal, new: Decimal) -> str | None:
    if old == 0:
        return None
    pct = ((new - old) / abs(old) * 100).quantize(Decimal("0.1"))
    sign = "+" if pct > 0 else ""
    return f"{sign}{pct}%"


def money_text(d: Decimal) -> str:
    """A money difference with its sign and thousands separators, at least to the fen:
    `+100,000.00`, `-22.50`, `+0.125` (finer written precision is kept)."""
    exp = d.as_tuple().exponent
    places = min(exp if isinstance(exp, int) else 0, -2)
    q = d.quantize(Decimal(1).scaleb(places))
    return ("+" if q > 0 else "") + format(q, ",f")


def points_text(old: Decimal, new: Decimal) -> str:
    """A change of a percentage in percentage points: 90 → 95 is `+5`."""
    d = new - old
    return ("+" if d > 0 else "") + format(d, "f")


def _category(unit: str | None) -> str:
    from perfdsl.units import parse_unit

    u = parse_unit(unit) if unit else None
    return u.category if u is not None else ""


def direction(op: str, old: Target, new: Target) -> str | None:
    """Tightened or loosened: for ≥/> a higher value is tightened, for ≤/< a lower one."""
    if op in ("ge", "gt") and old.value is not None and new.value is not None:
        return "tightened" if new.value > old.value else "loosened"
    if op in ("le", "lt") and old.value is not None and new.value is not None:
        return "tightened" if new.value < old.value else "loosened"
    if op == "range" and None not in (old.low, old.high, new.low, new.high):
        assert old.low is not None and old.high is not None and new.low is not None and new.high is not None
        if new.low >= old.low and new.high <= old.high:
            return "tightened"
        if new.low <= old.low and new.high >= old.high:
            return "loosened"
    return None


def in_unit(target: Target, unit: str | None) -> Target | None:
    """`target` restated in `unit` when the two units measure the same thing (万元 ↔ 元), else None.
    The conversion is exact (Decimal, unit factors are powers of ten or integers)."""
    if not unit or not target.unit:
        return None
    from perfdsl.numbers import exact
    from perfdsl.units import to_unit

    with exact():
        vals = {}
        for name in ("value", "low", "high"):
            v = getattr(target, name)
            if v is None:
                continue
            c = to_unit(v, target.unit, unit)
            if c is None:
                return None
            vals[name] = c
    if not vals:
        return None
    from perfdsl import record

    return record.evolve(target, unit=unit, **vals)


DIRECTION_ZH = {"tightened": "收紧", "loosened": "放宽"}


def _decl_key(d: Declaration) -> tuple[str, str]:
    return (d.kind, d.title)


def _keyed(decls: Iterable[tuple[str, Declaration]]) -> dict[tuple[str, ...], Declaration]:
    items = list(decls)
    counts: dict[tuple[str, str], int] = {}
    for _rel, d in items:
        counts[_decl_key(d)] = counts.get(_decl_key(d), 0) + 1
    out: dict[tuple[str, ...], Declaration] = {}
    for rel, d in items:
        key: tuple[str, ...] = _decl_key(d)
        if counts[key] > 1:  # a repeated title: tell them apart by file
            key = (*key, rel)
        out.setdefault(key, d)
    return out


def diff_declarations(old: Iterable[tuple[str, Declaration]],
                      new: Iterable[tuple[str, Declaration]]) -> list[Change]:
    """Changes from `old` to `new`, each given as (file relative to its root, declaration)."""
    a, b = _keyed(old), _keyed(new)
    changes: list[Change] = []
    for key, d in a.items():
        if key not in b:
            changes.append(Change("declaration_removed", d.kind, d.title))
    for key, d in b.items():
        if key not in a:
            changes.append(Change("declaration_added", d.kind, d.title))
        else:
            changes.extend(_diff_decl(a[key], d))
    return changes


def _diff_decl(a: Declaration, b: Declaration) -> list[Change]:
    return _diff_fields(a, b) + _diff_indicators(a, b)


def _field_value(f: Field) -> str:
    if f.type == "list":
        return "；".join(f.items)
    return f.text or ""


def _diff_fields(a: Declaration, b: Declaration) -> list[Change]:
    out: list[Change] = []
    fa = {f.key: f for f in a.fields}
    fb = {f.key: f for f in b.fields}
    k, t = b.kind, b.title
    for key, f in fa.items():
        if key not in fb and not f.is_empty:
            out.append(Change("field_removed", k, t, tuple(f.key.split(".")), old=_field_value(f)))
    for key, g in fb.items():
        f = fa.get(key)
        if f is None:
            if not g.is_empty:
                out.append(Change("field_added", k, t, tuple(g.key.split(".")), new=_field_value(g)))
            continue
        if _field_value(f) == _field_value(g) and f.number == g.number:
            continue
        if g.type == "money" and (f.number is not None or g.number is not None):
            old_n, new_n = f.number or Decimal(0), g.number or Decimal(0)
            if f.number is not None and g.number is not None and old_n == new_n:
                continue  # same amount written differently (322.5 vs 322.50)
            out.append(Change("money_changed", k, t, tuple(g.key.split(".")), old=_field_value(f) or None,
                              new=_field_value(g) or None, difference=money_text(new_n - old_n),
                              unit=b.profile.money_unit,
                              percent=percent(old_n, new_n) if f.number is not None else None))
            continue
        if f.type == "list" or g.type == "list":
            gone = [i for i in f.items if i not in g.items]
            came = [i for i in g.items if i not in f.items]
            note = "；".join([*(f"删除“{i}”" for i in gone), *(f"新增“{i}”" for i in came)]) or "顺序调整"
            out.append(Change("field_changed", k, t, tuple(g.key.split(".")), old=_field_value(f), new=_field_value(g),
                              note=note))
            continue
        out.append(Change("field_changed", k, t, tuple(g.key.split(".")), old=_field_value(f) or None,
                          new=_field_value(g) or None))
    return out


def _diff_indicators(a: Declaration, b: Declaration) -> list[Change]:
    out: list[Change] = []
    k, t = b.kind, b.title
    weight = b.profile.weight_column
    ia: dict[tuple[str, str, str], Indicator] = {}
    for ind in a.indicators:
        ia.setdefault(ind.path, ind)
    ib: dict[tuple[str, str, str], Indicator] = {}
    for ind in b.indicators:
        ib.setdefault(ind.path, ind)
    removed = [p for p in ia if p not in ib]
    added = [p for p in ib if p not in ia]
    moved: list[tuple[tuple[str, str, str], tuple[str, str, str]]] = []
    # A removed name that reappears elsewhere is a move: prefer the same 一级, then any.
    # Candidates are indexed by name, so this stays linear in the number of indicators.
    by_name: dict[str, list[tuple[str, str, str]]] = {}
    for q in added:
        by_name.setdefault(q[2], []).append(q)
    taken: set[tuple[str, str, str]] = set()
    for p in removed:
        cands = [q for q in by_name.get(p[2], ()) if q not in taken]
        match = next((q for q in cands if q[0] == p[0]), None) or (cands[0] if cands else None)
        if match is not None:
            moved.append((p, match))
            taken.add(match)
    gone = {p for p, _q in moved}
    removed = [p for p in removed if p not in gone]
    added = [q for q in added if q not in taken]
    for p in removed:
        out.append(Change("indicator_removed", k, t, p, old=target_text(ia[p].target)))
    for p in added:
        out.append(Change("indicator_added", k, t, p, new=target_text(ib[p].target)))
    for p, q in moved:
        out.append(Change("indicator_moved", k, t, q, old=PATH_SEP.join(p[:2]), new=PATH_SEP.join(q[:2])))
        out.extend(_diff_indicator(k, t, q, ia[p], ib[q], weight))
    for p, ind in ib.items():
        if p in ia:
            out.extend(_diff_indicator(k, t, p, ia[p], ind, weight))
    return out


def _diff_indicator(k: str, t: str, path: tuple[str, ...], a: Indicator, b: Indicator,
                    weight: str = "权重") -> list[Change]:
    out: list[Change] = []
    ta, tb = a.target, b.target
    if ta.op != tb.op:
        out.append(Change("operator_changed", k, t, path, old=target_text(ta), new=target_text(tb)))
    elif ta.op == "qual":
        if ta.text != tb.text:
            out.append(Change("wording_changed", k, t, path, old=ta.text, new=tb.text, note="定性指标值"))
        if (ta.unit or "") != (tb.unit or ""):
            out.append(Change("unit_changed", k, t, path, old=ta.unit, new=tb.unit))
    else:
        shown_old = ta  # as written; `ta` may be restated in `tb`'s unit (500 万元 → 5000000 元)
        if (ta.unit or "") != (tb.unit or "") and (conv := in_unit(ta, tb.unit)) is not None:
            ta = conv
        same_value = (ta.value, ta.low, ta.high) == (tb.value, tb.low, tb.high)
        if (ta.unit or "") != (tb.unit or ""):
            out.append(Change("unit_changed", k, t, path, old=target_text(ta), new=target_text(tb),
                              note="数值未变" if same_value else "数值同时变化"))
        elif shown_old is not ta and same_value:
            out.append(Change("unit_changed", k, t, path, old=target_text(shown_old), new=target_text(tb),
                              note="换算后数值相同"))
        elif not same_value:
            both = ta.value is not None and tb.value is not None
            category = _category(tb.unit)
            pct = diff = unit = None
            if both and category == "percent":  # a change of a rate is told in points, not percent
                assert ta.value is not None and tb.value is not None
                diff, unit = points_text(ta.value, tb.value), POINTS
            elif both:
                assert ta.value is not None and tb.value is not None
                pct = percent(ta.value, tb.value)
                if category == "money":
                    diff, unit = money_text(tb.value - ta.value), tb.unit
            out.append(Change("target_changed", k, t, path,
                              old=target_text(shown_old, with_op=False), new=target_text(tb, with_op=False),
                              direction=direction(ta.op, ta, tb), percent=pct, difference=diff, unit=unit,
                              note=OP_SHOW[ta.op]))
    ca, cb = dict(a.columns), dict(b.columns)
    for key in [*ca, *(c for c in cb if c not in ca)]:
        if ca.get(key) != cb.get(key):
            kind = "weight_changed" if key == weight else "wording_changed"
            out.append(Change(kind, k, t, path, old=ca.get(key), new=cb.get(key), note=key))
    return out


# --- rendering -------------------------------------------------------------------------


def describe(c: Change) -> str:
    """One Chinese line for a change, e.g. `享受待遇人数 ≥ 2600 → 2800 人（+7.7%，收紧）`."""
    where = PATH_SEP.join(c.path)
    if c.kind == "target_changed":
        old, new = c.old or "", c.new or ""
        unit = ""
        parts_o, parts_n = old.rsplit(" ", 1), new.rsplit(" ", 1)
        if c.unit == POINTS:  # `90% → 95%`
            old, new = old.replace(" ", ""), new.replace(" ", "")
        elif len(parts_o) == 2 and len(parts_n) == 2 and parts_o[1] == parts_n[1]:
            old, new, unit = parts_o[0], parts_n[0], " " + parts_n[1]
        extra = "，".join(x for x in (_amount(c), c.percent, DIRECTION_ZH.get(c.direction or "")) if x)
        tail = f"（{extra}）" if extra else ""
        return f"{where} {c.note} {old} → {new}{unit}{tail}"
    if c.kind == "weight_changed":
        return f"{where} {c.note} {c.old if c.old is not None else '（无）'} → {c.new if c.new is not None else '（无）'}"
    if c.kind in ("indicator_added",):
        return f"{LABELS[c.kind]}：{where} {c.new}"
    if c.kind in ("indicator_removed",):
        return f"{LABELS[c.kind]}：{where} {c.old}"
    if c.kind == "indicator_moved":
        return f"{LABELS[c.kind]}：{c.path[-1]} 从 {c.old} 移到 {c.new}"
    if c.kind in ("declaration_added", "declaration_removed"):
        return f"{LABELS[c.kind]}：{KIND_ZH.get(c.decl_kind, c.decl_kind)} {c.decl_title}"
    if c.kind == "money_changed":
        extra = "，".join(x for x in (_amount(c), c.percent) if x)
        unit = f" {c.unit}" if c.unit and c.new else ""
        return f"{LABELS[c.kind]}：{where} {c.old or '（空）'} → {c.new or '（空）'}{unit}（{extra}）"
    if c.kind == "field_added":
        return f"{LABELS[c.kind]}：{where}：{c.new}"
    if c.kind == "field_removed":
        return f"{LABELS[c.kind]}：{where}（原为：{c.old}）"
    label = LABELS[c.kind] + (f"（{c.note}）" if c.note and c.kind != "field_changed" else "")
    text = f"{label}：{where}：{c.old if c.old is not None else '（无）'} → {c.new if c.new is not None else '（无）'}"
    if c.kind == "field_changed" and c.note:
        text += f"（{c.note}）"
    return text


def _amount(c: Change) -> str | None:
    """`+100,000.00 元`, `+5 个百分点`."""
    if c.difference is None:
        return None
    return f"{c.difference} {c.unit}" if c.unit else c.difference


def _by_decl(changes: list[Change]) -> list[tuple[str, list[Change]]]:
    groups: dict[str, list[Change]] = {}
    for c in changes:
        groups.setdefault(f"{KIND_ZH.get(c.decl_kind, c.decl_kind)} {c.decl_title}", []).append(c)
    return list(groups.items())


def render_text(changes: list[Change]) -> str:
    if not changes:
        return NOTHING + "\n"
    lines: list[str] = []
    for head, cs in _by_decl(changes):
        lines.append(head)
        lines.extend(f"  {describe(c)}" for c in cs)
        lines.append("")
    lines.append(f"共 {len(changes)} 处变化。")
    return visible("\n".join(lines)) + "\n"  # an added zero-width space shows as ⟨U+200B⟩


# Backslash-escaped in Markdown (inline syntax: emphasis, code, links, images, tables,
# strikethrough, math, mentions); `&`, `<` and `>` become HTML entities instead.
_MD_SPECIAL = {ord(c): "\\" + c for c in "\\`*_[]()!|~$@#"}
_HTML = {ord("&"): "&amp;", ord("<"): "&lt;", ord(">"): "&gt;"}


def md_escape(text: str | None) -> str:
    """One table cell or heading of the review comment: no text can open HTML (a comment,
    a tag), start Markdown syntax or add table cells or rows. Invisible characters are
    shown as `⟨U+200B⟩`; line breaks become `<br>`."""
    if text is None or text == "":
        return "—"
    body = visible(text).translate(_MD_SPECIAL).translate(_HTML)
    return body.replace("\r\n", "<br>").replace("\r", "<br>").replace("\n", "<br>")


def _markdown_rows(changes: list[Change]) -> list[dict[str, Any]]:
    groups = []
    for head, cs in _by_decl(changes):
        rows = []
        for c in cs:
            note = "，".join(x for x in (_amount(c), c.percent, DIRECTION_ZH.get(c.direction or ""),
                                        c.note if c.kind not in ("target_changed", "weight_changed") else None)
                             if x)
            old, new = c.old, c.new
            if c.kind == "target_changed":
                old, new = f"{c.note} {old}", f"{c.note} {new}"
            rows.append({"kind": LABELS[c.kind], "path": PATH_SEP.join(c.path), "old": old, "new": new,
                         "note": note, "change": c.to_json()})
        groups.append({"head": head, "rows": rows})
    return groups


def render_markdown(changes: list[Change], template: str | None = None) -> str:
    """The review comment, rendered with Jinja2 from perfdsl/data/templates/diff.md.j2
    (or the user's `template` text), so a unit can shape its own pull-request comment."""
    if not changes:
        return NOTHING + "\n"
    import jinja2  # lazy: only this output format needs it

    if template is None:
        template = resources.files("perfdsl.data").joinpath("templates/diff.md.j2").read_text(encoding="utf-8")
    import markupsafe

    # Autoescape on: whatever a template prints unfiltered is at least HTML-escaped; the
    # `md` filter escapes Markdown and HTML fully and marks its result safe.
    env = jinja2.Environment(autoescape=True, keep_trailing_newline=True, undefined=jinja2.StrictUndefined)
    env.filters["md"] = lambda v: markupsafe.Markup(md_escape("" if v is None else str(v)))
    return env.from_string(template).render(groups=_markdown_rows(changes), total=len(changes))


def render_json(changes: list[Change]) -> str:
    return json.dumps({"changed": bool(changes), "changes": [c.to_json() for c in changes]},
                      ensure_ascii=False, indent=2) + "\n"


RENDERERS = {"text": render_text, "markdown": render_markdown, "json": render_json}

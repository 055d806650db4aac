"""Completion items for the cursor position, computed from the raw text.

What is offered depends on where the cursor is (see context.py): a declaration keyword
outside any declaration; 一级 names and header field names at the start of a line; the
二级 names of the 一级 already written (`产出.` offers 数量指标/质量指标/时效指标); 三级
names seen elsewhere in the declaration set under the same 二级; operators after a
complete path; units after a number. Each item's label is the full official name and
its detail says what it is; the text inserted is the short form authors write
(`数量` for 数量指标), which the resolver maps back to the official name. It must not
parse, check or touch the workspace: the server passes in the names it knows.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from decimal import Decimal

from lsprotocol import types

from perfdsl.lsp.context import (
    CMP,
    NAME_CHARS,
    block_stack,
    declaration_profile,
    group_prefix,
    short_name,
)
from perfdsl.lsp.positions import UTF16, units_before
from perfdsl.profiles import KIND_ZH, Profile
from perfdsl.units import known_units, parse_unit

OPERATORS: tuple[tuple[str, str, str], ...] = (
    (">=", "ge", "大于等于"),
    ("<=", "le", "小于等于"),
    ("=", "eq", "等于"),
    (">", "gt", "大于"),
    ("<", "lt", "小于"),
    ("定性", "qual", "定性指标：后面写文字描述"),
    ("区间", "range", "区间值：下限-上限，如 区间 90-100 %"),
)

_SEG = rf"(?:{NAME_CHARS}+|\"(?:[^\"\\\n]|\\.)*\")"
_PATH_IN_PROGRESS = re.compile(rf"^[ \t\u3000]*((?:{_SEG}[.．])*)({NAME_CHARS}*)$")
_AFTER_PATH = re.compile(rf"^[ \t\u3000]*({_SEG}(?:[.．]{_SEG})*)[ \t\u3000]+(\S*)$")
_NUM = r"[+\-－]?[0-9０-９]+(?:[,，][0-9０-９]{3})*(?:[.．][0-9０-９]+)?"
_UNIT_CHARS = r"[%％‰A-Za-z\u4e00-\u9fff²³㎡/／.·•．・*]*"
_AFTER_NUMBER = re.compile(
    rf"^[ \t\u3000]*{_SEG}(?:[.．]{_SEG})*[ \t\u3000]*"
    rf"(?:(?:{CMP.pattern})[ \t\u3000]*{_NUM}|(?:区间值|区间)[ \t\u3000]*{_NUM}(?:[ \t\u3000]*{_UNIT_CHARS})?"
    rf"[ \t\u3000]*(?:-|~|～|－|—|至)[ \t\u3000]*{_NUM})[ \t\u3000]*({_UNIT_CHARS})$"
)

UNIT_CATEGORY_ZH = {
    "money": "货币单位", "percent": "百分比", "count": "计数单位", "time": "时间单位", "length": "长度单位",
    "area": "面积单位", "mass": "质量单位", "volume": "体积单位", "rate": "复合单位", "score": "分值",
}


def _strip_segment(seg: str) -> str:
    return seg[1:-1] if seg.startswith('"') and seg.endswith('"') and len(seg) >= 2 else seg


def _split_path(text: str) -> list[str]:
    return [_strip_segment(s) for s in re.findall(rf"{_SEG}", text)]


def _in_comment(prefix: str) -> bool:
    quoted = False
    for ch in prefix:
        if ch == '"':
            quoted = not quoted
        elif ch == "#" and not quoted:
            return True
    return False


class _Maker:
    """Builds items whose text edit replaces the word being typed."""

    def __init__(self, line_no: int, line: str, start: int, end: int, encoding: str) -> None:
        rng = types.Range(
            types.Position(line_no, units_before(line, start, encoding)),
            types.Position(line_no, units_before(line, end, encoding)),
        )
        self.rng = rng
        self.typed = line[start:end]
        self.items: list[types.CompletionItem] = []
        self.seen: set[str] = set()
        self.inserts: dict[str, str] = {}

    def add(self, label: str, insert: str, detail: str, kind: types.CompletionItemKind,
            doc: str | None = None, filter_text: str | None = None) -> None:
        if label in self.seen:
            return
        self.seen.add(label)
        self.inserts[label] = insert
        self.items.append(types.CompletionItem(
            label=label, kind=kind, detail=detail,
            documentation=types.MarkupContent(types.MarkupKind.Markdown, doc) if doc else None,
            sort_text=f"{len(self.items):04d}",
            filter_text=filter_text or (label if insert == label else f"{label} {insert}"),
            text_edit=types.TextEdit(self.rng, insert),
        ))

    def result(self) -> list[types.CompletionItem]:
        """The items that match what is typed so far, those that start with it first.

        Filtering here, not only in the client, matters for Chinese: some clients (Neovim's
        omnifunc) filter only ASCII words, so typing 满 would otherwise offer every item.
        """
        typed = self.typed.strip()
        if not typed:
            return self.items
        starts, inside = [], []
        for item in self.items:
            words = (item.label, self.inserts[item.label])
            if any(w.startswith(typed) for w in words):
                starts.append(item)
            elif any(typed in w for w in words):
                inside.append(item)
        out = starts + inside
        for i, item in enumerate(out):
            item.sort_text = f"{i:04d}"
        return out


def complete(lines: list[str], line_no: int, col: int, *, profile_dirs: tuple[str, ...] = (),
             known_names: Iterable[tuple[str, str, str]] = (), encoding: str = UTF16) -> list[types.CompletionItem]:
    """Completion items at 0-based `line_no`, code-point index `col`."""
    if not 0 <= line_no < len(lines):
        return []
    line = lines[line_no]
    col = max(0, min(col, len(line)))
    prefix = line[:col]
    if _in_comment(prefix):
        return []
    stack = block_stack(lines, line_no)
    if not stack:
        m = re.match(rf"^[ \t\u3000]*({NAME_CHARS}*)$", prefix)
        if not m:
            return []
        mk = _Maker(line_no, line, m.start(1), col, encoding)
        mk.add("部门整体", "部门整体", "声明：部门（单位）整体绩效目标申报表", types.CompletionItemKind.Keyword)
        mk.add("项目", "项目", "声明：项目绩效目标表", types.CompletionItemKind.Keyword)
        return mk.result()
    profile = declaration_profile(lines, stack, profile_dirs)
    if profile is None:
        return []
    gp = group_prefix(stack)

    m = _AFTER_NUMBER.match(prefix)
    if m:
        mk = _Maker(line_no, line, m.start(1), col, encoding)
        _units(mk, profile)
        return mk.result()
    m = _PATH_IN_PROGRESS.match(prefix)
    if m:
        before = tuple(_split_path(m.group(1)))
        mk = _Maker(line_no, line, m.start(2), col, encoding)
        _path_items(mk, profile, gp + before, known_names)
        return mk.result()
    m = _AFTER_PATH.match(prefix)
    if m and not re.match(r"[0-9０-９:：{｛]", m.group(2) or "x"):
        full = gp + tuple(_split_path(m.group(1)))
        if _is_indicator_path(profile, full):
            mk = _Maker(line_no, line, m.start(2), col, encoding)
            for text, op, desc in OPERATORS:
                shown = profile.op_display(op)
                mk.add(text, f"{text} ", f"{desc}（表中显示为“{shown}”）", types.CompletionItemKind.Operator)
            return mk.result()
    return []


def _is_indicator_path(profile: Profile, full: tuple[str, ...]) -> bool:
    return len(full) == 3 and profile.resolve_level1(full[0]) is not None


def _path_items(mk: _Maker, profile: Profile, full: tuple[str, ...],
                known_names: Iterable[tuple[str, str, str]]) -> None:
    depth = len(full)
    where = f"模板 {profile.id}（{profile.name}）"
    if depth == 0:
        for l1 in profile.hierarchy:
            children = "、".join(c.name for c in l1.children)
            mk.add(l1.name, short_name(l1.name), f"一级指标 · {where}", types.CompletionItemKind.Module,
                   doc=f"**{l1.name}**（一级指标）\n\n二级指标：{children}")
    if depth == 1:
        l1 = profile.resolve_level1(full[0])
        if l1 is not None:
            for l2 in l1.children:
                mk.add(l2.name, short_name(l2.name), f"二级指标 · {l1.name} › {l2.name} · {where}",
                       types.CompletionItemKind.Class,
                       doc=f"**{l2.name}**（二级指标，属于一级指标“{l1.name}”）\n\n定义于{where}")
    if depth == 2:
        l1 = profile.resolve_level1(full[0])
        l2 = profile.resolve_level2(l1, full[1]) if l1 is not None else None
        if l1 is not None and l2 is not None:
            for k1, k2, name in known_names:
                if k1 == l1.name and k2 == l2.name:
                    mk.add(name, name, f"三级指标 · {l1.name} › {l2.name} › {name}（本声明集中已使用）",
                           types.CompletionItemKind.Field)
            for name in l2.indicators:
                mk.add(name, name, f"三级指标 · {l1.name} › {l2.name} › {name}（{where}的常用指标）",
                       types.CompletionItemKind.Field)
    # Header fields whose key continues the path typed so far.
    key_prefix = ".".join(full)
    for spec in profile.fields:
        if key_prefix and not spec.key.startswith(key_prefix + "."):
            continue
        rest = spec.key[len(key_prefix) + 1:] if key_prefix else spec.key
        need = "（必填）" if spec.required else ""
        mk.add(rest, f"{rest}: ", f"表头字段 · {spec.label}{need} · {where}", types.CompletionItemKind.Property,
               doc=f"**{spec.label}**（{_FIELD_TYPE_ZH.get(spec.type, spec.type)}）")
    if depth == 0 and "模板" not in mk.seen:
        mk.add("模板", "模板: ", f"选择模板（{KIND_ZH.get(profile.kind, '')}），当前为 {profile.id}",
               types.CompletionItemKind.Property)


_FIELD_TYPE_ZH = {"text": "文字", "list": "列表", "int": "整数", "money": "金额", "code": "代码 名称",
                  "bool": "是/否", "year": "年份", "date": "日期"}


def unit_detail(name: str) -> str:
    """“货币单位 · 1 万元 = 10000 元” style detail for a unit."""
    unit = parse_unit(name)
    if unit is None:
        return "计量单位"
    cat = UNIT_CATEGORY_ZH.get(unit.category, "计量单位")
    if len(unit.dims) == 1 and unit.factor != 1:
        base = unit.dims[0][0]
        for other in known_units():
            ou = parse_unit(other)
            if ou is not None and ou.dims == unit.dims and ou.factor == 1:
                amount = unit.convert(Decimal(1), ou)
                return f"{cat} · 1 {name} = {format(amount.normalize(), 'f')} {other}"
        return f"{cat}（{base}）"
    return cat


def _units(mk: _Maker, profile: Profile) -> None:
    preferred = [profile.money_unit, "%", "人", "人次", "户", "个", "元", "次", "项", "天"]
    names = [u for u in preferred if u in known_units()] + sorted(known_units())
    for u in names:
        mk.add(u, u, unit_detail(u), types.CompletionItemKind.Unit)

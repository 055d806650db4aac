"""Hover text for an indicator path segment, a header field key, a number or a unit.

Shows the full official name, what level it is, the profile that defines it and, for
money, the value converted between 万元 and 元 (exactly, with perfdsl.units). Works on
the raw line (context.py) so it keeps working while the file is broken. It must not
run checks.
"""

from __future__ import annotations

from decimal import Decimal

import attrs

from perfdsl.lsp.context import Piece, block_stack, declaration_profile, group_prefix, scan_line
from perfdsl.numbers import decimal_text, parse_decimal
from perfdsl.profiles import KIND_ZH, Profile
from perfdsl.units import parse_unit, to_unit


@attrs.frozen
class HoverText:
    markdown: str
    start: int  # code-point columns of the hovered piece, 0-based
    end: int


def _where(profile: Profile) -> str:
    return f"定义于模板 `{profile.id}`（{profile.name}，{profile.source}）"


def money_alternative(unit: str) -> str | None:
    """The same money unit scaled the other way: 万元 → 元, 元 → 万元, 万元/人 → 元/人."""
    u = parse_unit(unit)
    if u is None or u.numerator_category != "money":
        return None
    if "万元" in unit:
        return unit.replace("万元", "元", 1)
    i = unit.find("元")
    if i >= 0:
        return unit[:i] + "万元" + unit[i + 1:]
    return None


def convert_money(value: Decimal, unit: str) -> str | None:
    alt = money_alternative(unit)
    if alt is None:
        return None
    out = to_unit(value, unit, alt)
    if out is None:
        return None
    return f"{decimal_text(value)} {unit} = {format(out.normalize(), 'f')} {alt}"


def _pick(pieces: tuple[Piece, ...], col: int) -> int | None:
    for i, p in enumerate(pieces):
        if p.start <= col < p.end:
            return i
    for i, p in enumerate(pieces):
        if col == p.end:
            return i
    return None


def hover_at(lines: list[str], line_no: int, col: int, profile_dirs: tuple[str, ...] = ()) -> HoverText | None:
    if not 0 <= line_no < len(lines):
        return None
    line = lines[line_no]
    info = scan_line(line)
    stack = block_stack(lines, line_no)
    profile = declaration_profile(lines, stack, profile_dirs)
    if profile is None:
        return None
    gp = group_prefix(stack)
    idx = _pick(info.units, col)
    if idx is not None:
        unit = info.units[idx]
        num = info.numbers[idx] if idx < len(info.numbers) else None
        return HoverText(_unit_text(unit.text, num.text if num else None, profile), unit.start, unit.end)
    idx = _pick(info.numbers, col)
    if idx is not None and idx < len(info.units):
        num = info.numbers[idx]
        return HoverText(_unit_text(info.units[idx].text, num.text, profile), num.start, num.end)
    idx = _pick(info.segments, col)
    if idx is None:
        return None
    seg = info.segments[idx]
    full = gp + tuple(s.text for s in info.segments)
    level = len(gp) + idx  # 0-based position of the hovered segment in the full path
    text = _segment_text(profile, full, level, info.op.text if info.op else "")
    return HoverText(text, seg.start, seg.end) if text else None


def _segment_text(profile: Profile, full: tuple[str, ...], level: int, op: str) -> str | None:
    key = ".".join(full[: level + 1])
    if op in (":", "：") or profile.resolve_level1(full[0]) is None:
        spec = profile.field(".".join(full)) if op in (":", "：") else None
        spec = spec or profile.field(key)
        if spec is not None:
            need = "，必填" if spec.required else ""
            return f"**{spec.label}**（表头字段{need}）\n\n{_where(profile)}"
        if any(f.key.startswith(key + ".") for f in profile.fields):
            return f"**{key}**（表头字段分组）\n\n{_where(profile)}"
        if level == 0:
            return (f"**{full[0]}**：模板 `{profile.id}` 中没有这个一级指标或字段\n\n"
                    f"可用的一级指标：{'、'.join(h.name for h in profile.hierarchy)}")
        return None
    l1 = profile.resolve_level1(full[0])
    assert l1 is not None
    if level == 0:
        children = "、".join(c.name for c in l1.children)
        return f"**{l1.name}**（一级指标）\n\n二级指标：{children}\n\n{_where(profile)}"
    if len(full) < 2:
        return None
    l2 = profile.resolve_level2(l1, full[1])
    if level == 1:
        if l2 is None:
            return (f"**{full[1]}**：不是一级指标“{l1.name}”下的二级指标\n\n"
                    f"可用的二级指标：{'、'.join(c.name for c in l1.children)}")
        return f"**{l2.name}**（二级指标）\n\n一级指标：{l1.name}\n\n{_where(profile)}"
    if level == 2 and l2 is not None:
        kind = KIND_ZH.get(profile.kind, "")
        return (f"**{full[2]}**（三级指标）\n\n指标路径：{l1.name} › {l2.name} › {full[2]}\n\n"
                f"{_where(profile)}（{kind}）")
    return None


def _unit_text(unit: str, number: str | None, profile: Profile) -> str:
    from perfdsl.lsp.completion import unit_detail

    parts = [f"**{unit}**（计量单位）", unit_detail(unit)]
    if parse_unit(unit) is None:
        parts = [f"**{unit}**：不认识的计量单位"]
    value = parse_decimal(number) if number else None
    if value is not None:
        conv = convert_money(value, unit)
        if conv:
            parts.append(conv)
    if parse_unit(unit) is not None and parse_unit(unit).numerator_category == "money":  # type: ignore[union-attr]
        parts.append(f"模板 `{profile.id}` 的金额单位为 {profile.money_unit}")
    return "\n\n".join(parts)

"""Quick fixes: code actions for diagnostics, as workspace edits.

Three sources: a diagnostic's own `fix` (span + replacement, written by the checker:
misspelt 一级/二级 name, range bounds swapped, 定性 with a number…); an unknown unit
(PD-U001) replaced by each known unit that looks like it; and a missing unit (PD-U002)
added after the number, the likely unit first. Pure: the caller passes the document
lines, the diagnostics and a Span → Range converter; nothing is applied here.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal, InvalidOperation

from lsprotocol import types

from perfdsl.checks.targets import hint_rank, unit_mismatch, unit_replacements
from perfdsl.diagnostics import Diagnostic
from perfdsl.lsp.context import scan_line
from perfdsl.source import Span
from perfdsl.units import unknown_atoms

ToRange = Callable[[Span], types.Range]


def likely_units(path: tuple[str, ...], money_unit: str, values: tuple[str, ...] = ()) -> list[str]:
    """Units to propose for an indicator without one, the likeliest first.

    Only units that suit the indicator's category (no PD-U004 once added) are offered;
    a percentage is not offered for a value over 100.
    """
    full = (*path, "", "", "")[:3]
    p3 = (full[0], full[1], full[2])
    numbers = [n for n in (_number(v) for v in values) if n is not None]
    over_100 = any(n > 100 for n in numbers)
    out = []
    for unit in (money_unit, "元", "%", "人", "人次", "户", "个", "次", "项", "天"):
        if unit in out or unit_mismatch(p3, unit) is not None or (unit == "%" and over_100):
            continue
        out.append(unit)
    ranked = sorted(out, key=lambda u: hint_rank(p3, u))
    return ranked[:5]


def _number(text: str) -> Decimal | None:
    try:
        return Decimal(text.translate(_FULL_WIDTH).replace(",", ""))
    except InvalidOperation:
        return None


_FULL_WIDTH = str.maketrans("０１２３４５６７８９．，－", "0123456789.,-")


def code_actions(uri: str, lines: list[str], pairs: list[tuple[Diagnostic, types.Diagnostic]],
                 to_range: ToRange, money_unit: str = "万元") -> list[types.CodeAction]:
    """Quick fixes for the diagnostics, without duplicates; the first per diagnostic is preferred."""
    out: list[types.CodeAction] = []
    for pd, lsp_diag in pairs:
        if pd.waived:
            continue
        found: list[tuple[str, list[types.TextEdit]]] = []
        if pd.fix is not None:
            desc = pd.fix.description or f"改为“{pd.fix.replacement}”"
            found.append((f"{desc}（{pd.code}）", [types.TextEdit(to_range(pd.fix.span), pd.fix.replacement)]))
        if pd.code == "PD-U002":
            found.extend(_add_unit(lines, pd, to_range, money_unit))
        if pd.code == "PD-U001":
            found.extend(_replace_unit(lines, pd, to_range))
        seen: set[str] = set()
        for title, edits in found:
            key = repr([(e.range, e.new_text) for e in edits])
            if key in seen:
                continue
            seen.add(key)
            out.append(types.CodeAction(
                title=title, kind=types.CodeActionKind.QuickFix, diagnostics=[lsp_diag],
                is_preferred=len(seen) == 1, edit=types.WorkspaceEdit(changes={uri: edits})))
    return out


def _indicator_line(lines: list[str], pd: Diagnostic) -> tuple[int, str] | None:
    line_no = pd.span.line
    if not 1 <= line_no <= len(lines):
        return None
    return line_no, lines[line_no - 1]


Found = list[tuple[str, list[types.TextEdit]]]


def _add_unit(lines: list[str], pd: Diagnostic, to_range: ToRange, money_unit: str) -> Found:
    found = _indicator_line(lines, pd)
    if found is None:
        return []
    line_no, text = found
    info = scan_line(text)
    if not info.numbers:
        return []
    ends = [n.end for n in info.numbers]
    out: Found = []
    for unit in likely_units(pd.path, money_unit, tuple(n.text for n in info.numbers)):
        changes = [types.TextEdit(to_range(Span(pd.span.path, line_no, e + 1, line_no, e + 1)), f" {unit}")
                   for e in ends]
        out.append((f"添加计量单位“{unit}”（{pd.code}）", changes))
    return out


def _replace_unit(lines: list[str], pd: Diagnostic, to_range: ToRange) -> Found:
    """Each fitting replacement of the unit the diagnostic points at (its span is the unit)."""
    sp = pd.span
    if not 1 <= sp.line <= len(lines) or sp.end_line != sp.line:
        return []
    unit_text = lines[sp.line - 1][sp.col - 1:sp.end_col - 1]
    if not unit_text or not unknown_atoms(unit_text) or len(pd.path) != 3:
        return []
    path: tuple[str, str, str] = (pd.path[0], pd.path[1], pd.path[2])
    return [(f"把计量单位“{unit_text}”改为“{cand}”（{pd.code}）", [types.TextEdit(to_range(sp), cand)])
            for cand in unit_replacements(path, unit_text)]

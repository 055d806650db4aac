"""Quick fixes: code actions for diagnostics, as workspace edits.

Three sources: a diagnostic's own `fix` (span + replacement, written by the checker:
misspelt 一级/二级 name, range bounds swapped, 定性 with a number…); an unknown unit
(PD-U001) replaced by each known unit that looks like it; and a missing unit (PD-U002)
added after the number, the likely unit first. Pure: the caller passes the document
lines, the diagnostics and a Span → Range converter; nothing is applied here.
"""

from __future__ import annotations

from collections.abc import Callable

from lsprotocol import types

from perfdsl.diagnostics import Diagnostic
from perfdsl.lsp.context import scan_line
from perfdsl.source import Span
from perfdsl.units import suggest, unknown_atoms

ToRange = Callable[[Span], types.Range]


def _edit(uri: str, rng: types.Range, text: str) -> types.WorkspaceEdit:
    return types.WorkspaceEdit(changes={uri: [types.TextEdit(rng, text)]})


def likely_units(path: tuple[str, ...], money_unit: str) -> list[str]:
    """Units to propose for an indicator without one, the likeliest first."""
    name = path[-1] if path else ""
    joined = "".join(path)
    if name.endswith("率") or "满意度" in joined or name.endswith("比例"):
        return ["%"]
    if "成本" in joined or "资金" in name or "金额" in name or "经费" in name:
        return [money_unit, "元"]
    if "人数" in name or "人员" in name:
        return ["人", "人次"]
    if "户" in name:
        return ["户"]
    return ["个", "人", "次", "项", "%"]


def code_actions(uri: str, lines: list[str], pairs: list[tuple[Diagnostic, types.Diagnostic]],
                 to_range: ToRange, money_unit: str = "万元") -> list[types.CodeAction]:
    out: list[types.CodeAction] = []
    for pd, lsp_diag in pairs:
        if pd.waived:
            continue
        if pd.fix is not None:
            desc = pd.fix.description or f"改为“{pd.fix.replacement}”"
            out.append(types.CodeAction(
                title=f"{desc}（{pd.code}）", kind=types.CodeActionKind.QuickFix, diagnostics=[lsp_diag],
                is_preferred=True, edit=_edit(uri, to_range(pd.fix.span), pd.fix.replacement)))
        if pd.code == "PD-U002":
            out.extend(_add_unit(uri, lines, pd, lsp_diag, to_range, money_unit))
        if pd.code == "PD-U001":
            out.extend(_replace_unit(uri, lines, pd, lsp_diag, to_range))
    return out


def _indicator_line(lines: list[str], pd: Diagnostic) -> tuple[int, str] | None:
    line_no = pd.span.line
    if not 1 <= line_no <= len(lines):
        return None
    return line_no, lines[line_no - 1]


def _add_unit(uri: str, lines: list[str], pd: Diagnostic, lsp_diag: types.Diagnostic,
              to_range: ToRange, money_unit: str) -> list[types.CodeAction]:
    found = _indicator_line(lines, pd)
    if found is None:
        return []
    line_no, text = found
    info = scan_line(text)
    if not info.numbers:
        return []
    out = []
    ends = [n.end for n in info.numbers]
    for i, unit in enumerate(likely_units(pd.path, money_unit)):
        changes = [types.TextEdit(to_range(Span(pd.span.path, line_no, e + 1, line_no, e + 1)), f" {unit}")
                   for e in ends]
        out.append(types.CodeAction(
            title=f"添加计量单位“{unit}”（{pd.code}）", kind=types.CodeActionKind.QuickFix,
            diagnostics=[lsp_diag], is_preferred=i == 0, edit=types.WorkspaceEdit(changes={uri: changes})))
    return out


def _replace_unit(uri: str, lines: list[str], pd: Diagnostic, lsp_diag: types.Diagnostic,
                  to_range: ToRange) -> list[types.CodeAction]:
    found = _indicator_line(lines, pd)
    if found is None:
        return []
    line_no, text = found
    out = []
    for piece in scan_line(text).units:
        bad = unknown_atoms(piece.text)
        if not bad:
            continue
        atom = bad[0]
        offset = piece.text.find(atom)
        start = piece.start + offset
        for i, cand in enumerate(suggest(atom)):
            span = Span(pd.span.path, line_no, start + 1, line_no, start + len(atom) + 1)
            out.append(types.CodeAction(
                title=f"把计量单位“{atom}”改为“{cand}”（{pd.code}）", kind=types.CodeActionKind.QuickFix,
                diagnostics=[lsp_diag], is_preferred=i == 0, edit=_edit(uri, to_range(span), cand)))
    return out

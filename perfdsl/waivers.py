"""Waivers: `#[allow(PD-M001, 理由 = "…")]` accepts a finding with a written reason.

A waiver covers the statement written right after it (a field, an indicator, a group
block or a whole declaration). Waived findings are kept, marked 已豁免 with their reason;
they no longer count as errors. A waiver without a reason is itself an error, and a
waiver that matches nothing is reported so stale ones get cleaned up. Syntax errors
cannot be waived.
"""

from __future__ import annotations

from collections.abc import Callable

from perfdsl import record
from perfdsl.diagnostics import Diagnostic, catalog, diag
from perfdsl.resolve import WaiverScope

UNWAIVABLE_PREFIXES = ("PD-S", "PD-W", "PD-L")  # PD-L: a submission must not hide its own profiles
# Codes only some runs can produce (`check --against`): a waiver for them is not reported
# as unused by a run that did not look for them.
OPTIONAL_CODES = ("PD-A001",)


def apply_waivers(diags: list[Diagnostic], scopes: list[WaiverScope]) -> list[Diagnostic]:
    out: list[Diagnostic] = []
    valid = catalog()
    for ws in scopes:
        w = ws.waiver
        if w.error:
            out.append(diag("PD-S005", w.span, detail=w.error))
            continue
        if not w.reason:
            out.append(diag("PD-W001", w.span))
        for code in w.codes:
            if code not in valid or code.startswith(UNWAIVABLE_PREFIXES):
                out.append(diag("PD-W003", w.span, waived_code=code))
    waived, used = waive(diags, scopes)
    out.extend(waived)
    out.extend(unused_waivers(scopes, used, lambda code: code not in OPTIONAL_CODES))
    return out


def waive(diags: list[Diagnostic], scopes: list[WaiverScope]) -> tuple[list[Diagnostic], set[tuple[int, str]]]:
    """Mark the findings a waiver covers; also returns which (waiver, code) pairs were used.

    A finding is covered by the first waiver (in `scopes` order) that names its code and
    whose scope holds its line. Each finding looks only at the waivers naming its code."""
    out: list[Diagnostic] = []
    used: set[tuple[int, str]] = set()
    by_code = _by_code(scopes)
    for d in diags:
        candidates = by_code.get(d.code)
        hit = None if candidates is None or d.code.startswith(UNWAIVABLE_PREFIXES) else _covering(d, candidates)
        if hit is None:
            out.append(d)
            continue
        i, ws = hit
        used.add((i, d.code))
        out.append(record.evolve(d, waived=True, waiver_reason=ws.waiver.reason or "（未写理由）"))
    return out, used


def _by_code(scopes: list[WaiverScope]) -> dict[str, list[tuple[int, WaiverScope]]]:
    """The usable waivers naming each code, in `scopes` order."""
    out: dict[str, list[tuple[int, WaiverScope]]] = {}
    for i, ws in enumerate(scopes):
        if ws.waiver.error:
            continue
        for code in dict.fromkeys(ws.waiver.codes):
            out.setdefault(code, []).append((i, ws))
    return out


def _covering(d: Diagnostic, candidates: list[tuple[int, WaiverScope]]) -> tuple[int, WaiverScope] | None:
    span = d.span
    for i, ws in candidates:
        s = ws.scope
        if s.path == span.path and s.line <= span.line <= s.end_line:
            return i, ws
    return None


def unused_waivers(scopes: list[WaiverScope], used: set[tuple[int, str]],
                   wanted: Callable[[str], bool]) -> list[Diagnostic]:
    """PD-W002 for each waived code (among `wanted`) that matched nothing."""
    valid = catalog()
    out = []
    for i, ws in enumerate(scopes):
        w = ws.waiver
        if w.error:
            continue
        for code in w.codes:
            if (code in valid and not code.startswith(UNWAIVABLE_PREFIXES) and (i, code) not in used
                    and wanted(code)):
                out.append(diag("PD-W002", w.span, waived_code=code))
    return out

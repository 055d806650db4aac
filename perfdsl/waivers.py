"""Waivers: `#[allow(PD-M001, 理由 = "…")]` accepts a finding with a written reason.

A waiver covers the statement written right after it (a field, an indicator, a group
block or a whole declaration). Waived findings are kept, marked 已豁免 with their reason;
they no longer count as errors. A waiver without a reason is itself an error, and a
waiver that matches nothing is reported so stale ones get cleaned up. Syntax errors
cannot be waived.
"""

from __future__ import annotations

from perfdsl import record
from perfdsl.diagnostics import Diagnostic, catalog, diag
from perfdsl.resolve import WaiverScope

UNWAIVABLE_PREFIXES = ("PD-S", "PD-W", "PD-L")  # PD-L: a submission must not hide its own profiles


def apply_waivers(diags: list[Diagnostic], scopes: list[WaiverScope]) -> list[Diagnostic]:
    out: list[Diagnostic] = []
    used: set[tuple[int, str]] = set()
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
    for d in diags:
        if d.code.startswith(UNWAIVABLE_PREFIXES):
            out.append(d)
            continue
        hit = None
        for i, ws in enumerate(scopes):
            w, s = ws.waiver, ws.scope
            if w.error or d.code not in w.codes or s.path != d.span.path:
                continue
            if s.line <= d.span.line <= s.end_line:
                hit = (i, ws)
                break
        if hit is None:
            out.append(d)
            continue
        i, ws = hit
        used.add((i, d.code))
        out.append(record.evolve(d, waived=True, waiver_reason=ws.waiver.reason or "（未写理由）"))
    for i, ws in enumerate(scopes):
        w = ws.waiver
        if w.error:
            continue
        for code in w.codes:
            if code in valid and not code.startswith(UNWAIVABLE_PREFIXES) and (i, code) not in used:
                out.append(diag("PD-W002", w.span, waived_code=code))
    return out

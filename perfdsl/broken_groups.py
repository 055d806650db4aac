"""一级 groups the author wrote on lines that did not make it into the model.

A line with a syntax error (or an indicator-looking field dropped as PD-S009) never becomes
an indicator, so without this pass PD-R002 ("缺少一级指标") would also fire for its group:
a second, false finding for one mistake. This pass reads the first path segment of each
such line and records its 一级 on the declaration as `attempted_level1`, the same field
resolve fills for indicators whose 二级 was wrong. It reads text only; it never raises.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Sequence

from perfdsl import record
from perfdsl.diagnostics import Diagnostic
from perfdsl.model import Declaration

_HEAD = re.compile(r'[ \t\u3000]*"?([^\s."：:=<>＝＜＞≥≤{}\[\]#]+)')


def _level1_of(decl: Declaration, line: str) -> str | None:
    m = _HEAD.match(line)
    if m is None:
        return None
    seg = m.group(1)
    l1 = decl.profile.resolve_level1(seg)
    if l1 is not None:
        return l1.name
    owners = {a.name for a, _b in decl.profile.find_level2_anywhere(seg)}  # inside a `产出 {` block
    return owners.pop() if len(owners) == 1 else None


def with_attempted_groups(decls: Sequence[Declaration], errors: Sequence[Diagnostic],
                          text: str) -> tuple[Declaration, ...]:
    """`decls` (of one file, in order) with the groups of their broken lines marked as attempted.
    A broken line belongs to the last declaration that starts before it (after a syntax error,
    a declaration's own span may end early)."""
    lines = text.split("\n")
    starts = [d.span.line for d in decls]
    found: dict[int, list[str]] = {}
    for d in errors:
        if d.severity != "error" or not 0 < d.span.line <= len(lines):
            continue
        owner = bisect_right(starts, d.span.line) - 1
        if owner < 0:
            continue
        name = _level1_of(decls[owner], lines[d.span.line - 1])
        if name is not None:
            found.setdefault(owner, []).append(name)
    out = list(decls)
    for i, names in found.items():
        decl = out[i]
        out[i] = record.evolve(decl, attempted_level1=tuple(dict.fromkeys((*decl.attempted_level1, *names))))
    return tuple(out)

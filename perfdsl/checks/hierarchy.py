"""Rules on the indicator hierarchy that need the whole table.

Unknown or misplaced 一级/二级 names are found while resolving (perfdsl/resolve.py),
where the written text and its span are at hand. This module holds what only shows on
the whole table.
"""

from __future__ import annotations

from collections.abc import Iterator
from operator import itemgetter

from perfdsl.checks import fastexit
from perfdsl.checks.parts import LEVEL2
from perfdsl.diagnostics import Diagnostic, diag
from perfdsl.model import Declaration

_level2 = itemgetter(LEVEL2)  # (perfdsl.checks.parts)


def check_mixed_hierarchy(decl: Declaration) -> Iterator[Diagnostic]:
    """成本指标 used both as an 一级 and as an 二级 in one table (2015 and 2021 mixed)."""
    if fastexit.ENABLED and "成本指标" not in set(map(_level2, decl.indicators)):  # the usual case
        return
    as_l1 = [i for i in decl.indicators if i.level1 == "成本指标"]
    as_l2 = [i for i in decl.indicators if i.level2 == "成本指标"]
    if as_l1 and as_l2:
        first = as_l2[0]
        yield diag("PD-H003", first.span, path=first.path,
                   detail="成本指标既作一级指标（财预〔2021〕101号）又作二级指标（财预〔2015〕88号）")

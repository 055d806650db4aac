"""The per-indicator passes read an indicator's parts by index (perfdsl.checks.parts):
each index gives the same value as the named field, on compact and spread indicators."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from perfdsl.api import check_paths
from perfdsl.checks import parts
from perfdsl.model import Indicator, Target
from perfdsl.source import Span

from conftest import PROJECT_END, PROJECT_START

TARGETS = [Target("range", None, Decimal("1"), Decimal("150.5"), "%", None),
           Target("ge", Decimal("2600"), unit="人"), Target("qual", text="年底前完成")]


def _indicators(target: Target) -> list[Indicator]:
    one_line = Indicator("产出指标", "数量指标", "服务人数", target, (("权重", "10"),),
                         Span("a.perf", 3, 3, 3, 30), Span("a.perf", 3, 9, 3, 13))
    spread = Indicator("效益指标", "社会效益指标", "获得感", target, (),
                       Span("a.perf", 3, 3, 5, 2), Span("b.perf", 4, 1, 4, 4))
    assert len(one_line) != len(spread)  # the two storage forms (perfdsl.model.Indicator)
    return [one_line, spread]


@pytest.mark.parametrize("target", TARGETS)
def test_indexes_read_the_named_fields(target: Target) -> None:
    for ind in _indicators(target):
        assert (ind[parts.LEVEL1], ind[parts.LEVEL2], ind[parts.NAME]) == (ind.level1, ind.level2, ind.name)
        assert ind[parts.TARGET] is ind.target and ind[parts.COLUMNS] is ind.columns
        t = ind[parts.TARGET]
        assert (t[parts.OP], t[parts.VALUE], t[parts.HIGH], t[parts.UNIT], t[parts.TEXT]) == \
            (t.op, t.value, t.high, t.unit, t.text)


# --- PD-P001 reads the bound a target states: just over 100 counts, 100 and ≤ do not ---------

def _percent_decl(target: str) -> str:
    return PROJECT_START + f"  产出.数量.服务人数 >= 100 人\n  产出.质量.验收合格率 {target}\n" + PROJECT_END + "}\n"


@pytest.mark.parametrize(("target", "reported"), [
    ("= 100.01 %", True), (">= 100.5 %", True), ("> 101 %", True), ("区间 90-100.01 %", True),
    ("= 100 %", False), ("= 100.00 %", False), ("<= 150 %", False), ("< 150 %", False),
    ("区间 100.5-100 %", False), ("= 150 万元", False),
])
def test_percent_over_100(target: str, reported: bool, tmp_path: Path) -> None:
    path = tmp_path / "p.perf"
    path.write_text(_percent_decl(target), encoding="utf-8")
    found = [d for d in check_paths([str(path)], jobs=1).diagnostics if d.code == "PD-P001"]
    assert [d.span.line for d in found] == ([9] if reported else [])

"""Where the per-indicator passes read an indicator's parts: by index, not by property.

`Indicator` and `Target` are tuples (perfdsl.record); each named field is a property that
calls an `itemgetter`. A rule that reads four or five fields of every indicator spends a
quarter of its time in those calls (docs/performance.md §3.8.1), so the hot loops read
`ind[NAME]` instead of `ind.name`. The indexes are taken from the classes' own field
getters, so they follow the model if its layout changes; tests/test_check_parts.py checks
them on compact and spread indicators.
"""

from __future__ import annotations

from operator import itemgetter
from typing import Any

from perfdsl.model import Indicator, Target


def _index(prop: Any) -> int:
    getter = prop.fget
    assert isinstance(getter, itemgetter)
    index: int = getter.__reduce__()[1][0]
    return index


LEVEL1 = _index(Indicator.level1)
LEVEL2 = _index(Indicator.level2)
NAME = _index(Indicator.name)
TARGET = _index(Indicator.target)
COLUMNS = _index(Indicator.columns)

OP = _index(Target.op)
VALUE = _index(Target.value)
HIGH = _index(Target.high)
UNIT = _index(Target.unit)
TEXT = _index(Target.text)

"""Whole-declaration fast exits of the declaration rules, and the switch that turns them off.

Several rules first test a whole declaration at once (a set of its names, one search for
a character over its texts joined, the set of its 二级 names) and look at each indicator
only when that test may find something; most declarations have no finding, so most cost
a set or a join and one search instead of the per-indicator pass (docs/performance.md
§3.8). The test only decides whether the per-indicator pass runs: that pass is the rule's
definition, so codes, messages, spans and order stay exactly the same.

`ENABLED = False` makes every rule run its per-indicator pass on every declaration.
tests/test_check_fast_exits.py compares every diagnostic both ways, so a fast exit that
skipped a finding fails the build.
"""

from __future__ import annotations

ENABLED = True

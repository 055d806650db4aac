"""Checks: each rule is a function that yields diagnostics.

Declaration rules take `(decl)`; set rules take `(dset)`. They are listed in order in
`DECLARATION_RULES` and `SET_RULES` (like sqlglot's optimizer RULES tuple), run one after
the other, and never raise on user input. A new rule is a function added here, with its
code in perfdsl/data/diagnostics.toml and a failing and a passing fixture in tests.
Most declarations have no finding: several rules test the whole declaration first and run
their per-indicator pass only when that test may find something (perfdsl.checks.fastexit).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from perfdsl.checks import hierarchy, money, names, origin, required, targets, text
from perfdsl.diagnostics import Diagnostic
from perfdsl.model import Declaration, DeclarationSet

DeclRule = Callable[[Declaration], Iterable[Diagnostic]]
SetRule = Callable[[DeclarationSet], Iterable[Diagnostic]]

# (rule, reads the profile). A rule that reads the profile's hierarchy, fields, sums or thresholds
# is skipped for a declaration whose profile is unknown (PD-H005): its `profile` is only a fallback.
DECLARATION_RULES: tuple[tuple[DeclRule, bool], ...] = (
    (origin.check_profile_origin, True),
    (targets.check_values, False),
    (targets.check_units, False),
    (targets.check_unit_category, False),
    (targets.check_percentages, True),
    (names.check_names, False),
    (names.check_placeholders, False),
    (text.check_confusable_names, False),
    (hierarchy.check_mixed_hierarchy, True),
    (required.check_required_fields, True),
    (required.check_required_groups, True),
    (required.check_counts, True),
    (money.check_sums, True),
    (money.check_balance, True),
    (money.check_cost_control, True),
    (money.check_weights, True),
)

SET_RULES: tuple[SetRule, ...] = (
    required.check_set_titles,
    money.check_projects_total,
)


def run_checks(dset: DeclarationSet) -> list[Diagnostic]:
    out: list[Diagnostic] = []
    extend = out.extend
    every = [rule for rule, _reads in DECLARATION_RULES]
    profile_free = [rule for rule, reads_profile in DECLARATION_RULES if not reads_profile]
    for decl in dset.declarations:
        for rule in every if decl.profile_known else profile_free:
            extend(rule(decl))
    for srule in SET_RULES:
        extend(srule(dset))
    return out

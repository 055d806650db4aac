"""Checks: each rule is a function that yields diagnostics.

Declaration rules take `(decl)`; set rules take `(dset)`. They are listed in order in
`DECLARATION_RULES` and `SET_RULES` (like sqlglot's optimizer RULES tuple), run one after
the other, and never raise on user input. A new rule is a function added here, with its
code in perfdsl/data/diagnostics.toml and a failing and a passing fixture in tests.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from perfdsl.checks import hierarchy, money, names, origin, required, targets, text
from perfdsl.diagnostics import Diagnostic
from perfdsl.model import Declaration, DeclarationSet

DeclRule = Callable[[Declaration], Iterable[Diagnostic]]
SetRule = Callable[[DeclarationSet], Iterable[Diagnostic]]

DECLARATION_RULES: tuple[DeclRule, ...] = (
    origin.check_profile_origin,
    targets.check_values,
    targets.check_units,
    targets.check_unit_category,
    targets.check_percentages,
    names.check_names,
    names.check_placeholders,
    text.check_confusable_names,
    hierarchy.check_mixed_hierarchy,
    required.check_required_fields,
    required.check_required_groups,
    required.check_counts,
    money.check_sums,
    money.check_balance,
    money.check_cost_control,
    money.check_weights,
)

# Rules that read the profile's hierarchy, fields, sums or thresholds: skipped for a declaration
# whose profile is unknown (PD-H005), whose `profile` is only a fallback.
PROFILE_RULES: frozenset[DeclRule] = frozenset((
    origin.check_profile_origin,
    targets.check_percentages,
    hierarchy.check_mixed_hierarchy,
    required.check_required_fields,
    required.check_required_groups,
    required.check_counts,
    money.check_sums,
    money.check_balance,
    money.check_cost_control,
    money.check_weights,
))

SET_RULES: tuple[SetRule, ...] = (
    required.check_set_titles,
    money.check_projects_total,
)


def run_checks(dset: DeclarationSet) -> list[Diagnostic]:
    out: list[Diagnostic] = []
    for decl in dset.declarations:
        for rule in DECLARATION_RULES:
            if decl.profile_known or rule not in PROFILE_RULES:
                out.extend(rule(decl))
    for srule in SET_RULES:
        out.extend(srule(dset))
    return out

"""Where a declaration's rules come from: a user profile that replaces a built-in one is announced."""

from __future__ import annotations

from collections.abc import Iterator

from perfdsl.diagnostics import Diagnostic, diag
from perfdsl.model import Declaration
from perfdsl.profiles import shadows_builtin
from perfdsl.source import Span


def check_profile_origin(decl: Declaration) -> Iterator[Diagnostic]:
    """PD-L001: the profile in force shadows a built-in one (it could relax any rule)."""
    if shadows_builtin(decl.profile):
        s = decl.span
        yield diag("PD-L001", Span(s.path, s.line, s.col, s.line, s.col + 2),
                   profile=decl.profile.id, source=decl.profile.source,
                   help="审核他人提交的申报表时，加 --no-local-profiles（或设置 PERFDSL_NO_LOCAL_PROFILES=1）只用内置模板")

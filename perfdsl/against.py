"""Review against a baseline (last year's folder or a git revision): `check --against`.

`load_baseline(spec)` reads the baseline's .perf files (perfdsl/revisions.py, in memory)
and resolves their declarations. `changes_for(decl, baseline)` is the semantic diff of one
declaration with its counterpart (perfdsl/semdiff.py: the same data as `perfdsl diff
--format json`). `apply(set_result, baseline)` adds a PD-A001 warning for every loosened
target (a lower value for ≥/>, a higher one for ≤/<, a wider range), carrying the old
value, and settles it with the source's waivers. `perfdsl serve` uses the same functions,
so the review site, the terminal and SARIF show the same findings.

Declarations are matched by kind and title (a repeated title by its file name). This
module never writes files and never raises on user errors in the baseline: a broken
baseline file simply has fewer declarations to compare with.
"""

from __future__ import annotations

import os
from pathlib import Path

import attrs

from perfdsl import record
from perfdsl.api import SetResult, compile_bytes, profile_dirs_for
from perfdsl.diagnostics import Diagnostic, diag
from perfdsl.model import Declaration
from perfdsl.semdiff import Change, diff_declarations, target_text
from perfdsl.source import Span
from perfdsl.waivers import unused_waivers, waive

CODE = "PD-A001"


@attrs.frozen
class Baseline:
    label: str  # as the user wrote it: "HEAD~1", "2024/"
    declarations: tuple[tuple[str, Declaration], ...]  # (shown path, declaration)
    is_revision: bool = False

    def match(self, decl: Declaration) -> tuple[str, Declaration] | None:
        """The baseline declaration `decl` is compared with, if any."""
        found = [(p, d) for p, d in self.declarations if d.kind == decl.kind and d.title == decl.title]
        if len(found) > 1 and decl.path:
            same = [(p, d) for p, d in found if Path(p).name == Path(decl.path).name]
            found = same or found
        return found[0] if found else None


def load_baseline(spec: str, profile_dirs: tuple[str, ...] = (), under: str | None = None,
                  local_profiles: bool = True) -> Baseline:
    """The baseline named by `spec` (folder, file or git revision). Raises UsageError.
    `local_profiles=False` ignores profiles/ folders beside the baseline's files."""
    from perfdsl.api import UsageError
    from perfdsl.revisions import RevisionError, read_side, toplevel

    # git runs in the checked folder, so `--against HEAD` means that folder's repository.
    cwd = None
    if under is not None:
        cwd = under if os.path.isdir(under) else (os.path.dirname(os.path.abspath(under)) or None)
    try:
        label, files = read_side(spec, cwd=cwd, under=under)
    except RevisionError as exc:
        raise UsageError(str(exc)) from exc
    is_rev = not os.path.exists(spec)
    top = toplevel(cwd) if is_rev else ""
    decls: list[tuple[str, Declaration]] = []
    for path, data in files:
        # Profiles of a revision's file are looked up beside its work-tree twin.
        disk = os.path.join(top, path) if is_rev else path
        shown = f"{label}:{path}" if is_rev else path
        res = compile_bytes(shown, data, profile_dirs_for(disk, profile_dirs, local_profiles))
        decls.extend((shown, d) for d in res.declarations)
    return Baseline(label, tuple(decls), is_rev)


def changes_for(decl: Declaration, baseline: Baseline) -> list[Change]:
    """What changed in `decl` since the baseline (a new declaration: declaration_added)."""
    old = baseline.match(decl)
    if old is None:
        return diff_declarations([], [("", decl)])
    return diff_declarations([("", old[1])], [("", decl)])


def loosened(decl: Declaration, baseline: Baseline) -> list[Diagnostic]:
    """A PD-A001 warning for every target of `decl` looser than in the baseline."""
    old = baseline.match(decl)
    if old is None:
        return []
    old_path, old_decl = old
    olds = {ind.path: ind for ind in old_decl.indicators}
    news = {ind.path: ind for ind in decl.indicators}
    out = []
    for ch in diff_declarations([("", old_decl)], [("", decl)]):
        if ch.kind not in ("target_changed", "operator_changed"):
            continue
        new_ind = news.get(ch.path)  # type: ignore[call-overload]
        old_ind = olds.get(ch.path)  # type: ignore[call-overload]
        if new_ind is None or old_ind is None:
            continue
        # A number that became a wording (≥ 90% → 定性 满意) can no longer be measured: looser too.
        unmeasured = ch.kind == "operator_changed" and old_ind.target.op != "qual" and new_ind.target.op == "qual"
        if not unmeasured and (ch.kind != "target_changed" or ch.direction != "loosened"):
            continue
        span = new_ind.span
        if span.end_line != span.line:  # point at the indicator's own line
            span = Span(span.path, span.line, span.col, span.line, span.col + len(new_ind.written[2] or new_ind.name))
        related = ()
        if old_ind.span.line > 0:
            related = ((Span(old_path, old_ind.span.line, old_ind.span.col, old_ind.span.line, old_ind.span.col),
                        "原值"),)
        out.append(diag(CODE, span, path=new_ind.path, related=related, name=new_ind.name,
                        base=baseline.label, old=target_text(old_ind.target), new=target_text(new_ind.target),
                        percent=f"（{ch.percent}）" if ch.percent else ""))
    return out


def apply(sres: SetResult, baseline: Baseline) -> SetResult:
    """`sres` with the PD-A001 findings of its declarations added and waived as written."""
    found = [d for decl in sres.dset.declarations for d in loosened(decl, baseline)]
    waived, used = waive(found, list(sres.waivers))
    extra = waived + unused_waivers(list(sres.waivers), used, lambda code: code == CODE)
    if not extra:
        return sres
    diags = sorted(set(sres.diagnostics) | set(extra), key=Diagnostic.sort_key)
    return record.evolve(sres, diagnostics=tuple(diags))

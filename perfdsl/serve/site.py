"""The review site's data: every declaration set under one folder, checked and summarised.

`Site(root)` finds the sets under `root` (perfdsl.api.discover), keeps only files that
really lie under it (a symlink out of the folder is ignored), checks each set (and, with
`against`, compares it with the baseline: PD-A001 findings and changes, perfdsl/against.py)
and keeps the results. `refresh(paths)` re-checks only the sets whose files changed.
Pages are rendered by perfdsl/serve/pages.py from what this module holds.

A set is known by its id, the posix path of its folder relative to `root` ("." for the
root itself). Requests name sets by id and are looked up in a dict: no request path is
ever joined to a filesystem path. Nothing here writes to the sources, and no user error
raises: a broken file is a set with diagnostics.
"""

from __future__ import annotations

import logging
import os
import threading
from collections import Counter
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import attrs

from perfdsl.api import SetResult, UsageError, check_set, discover, profile_dirs_for
from perfdsl.cache import FileCache
from perfdsl.diagnostics import Diagnostic
from perfdsl.model import Declaration
from perfdsl.profiles import ProfileError, local_profiles_allowed
from perfdsl.source import SourceFile
from perfdsl.units import to_unit

log = logging.getLogger("perfdsl.serve")


@attrs.frozen
class Summary:
    """One index row."""

    unit: str
    declarations: int
    indicators: int
    quantitative: int
    budget: Decimal | None  # the department's 支出预算合计 (profile budget_field)
    projects: Decimal | None  # sum of the projects' 年度资金总额 (profile project_amount_field)
    errors: int
    warnings: int
    waived: int
    codes: tuple[str, ...]  # every code found (waived or not), sorted

    @property
    def quant_share(self) -> Decimal | None:
        if not self.indicators:
            return None
        return (Decimal(self.quantitative) * 100 / self.indicators).quantize(Decimal("0.1"))


@attrs.frozen
class SetEntry:
    id: str
    root: str
    files: tuple[str, ...]
    result: SetResult
    sources: dict[str, SourceFile]
    summary: Summary
    version: int = 0


INDEX_MONEY_UNIT = "万元"  # the index's money columns are headed （万元）


def _money(decl: Declaration, key: str) -> Decimal | None:
    """The money field `key` in 万元 (the index's unit), whatever the profile's money unit."""
    if not key:
        return None
    f = decl.field(key)
    if f is None:
        return None
    value = f.number
    if value is None:
        try:
            value = Decimal((f.text or "").strip().replace(",", "")) if f.text else None
        except InvalidOperation:
            return None
    if value is None or decl.profile.money_unit == INDEX_MONEY_UNIT:
        return value
    return to_unit(value, decl.profile.money_unit, INDEX_MONEY_UNIT)


def summarise(sres: SetResult) -> Summary:
    dset = sres.dset
    dept = dset.department
    unit = (dept.text(dept.profile.title_field) if dept is not None and dept.profile.title_field else "") or dset.name
    inds = [i for d in dset.declarations for i in d.indicators]
    budget = _money(dept, dept.profile.budget_field) if dept is not None else None
    amounts = [a for d in dset.projects if (a := _money(d, d.profile.project_amount_field)) is not None]
    diags = sres.diagnostics
    return Summary(
        unit=unit, declarations=len(dset.declarations), indicators=len(inds),
        quantitative=sum(1 for i in inds if i.target.op != "qual"),
        budget=budget, projects=sum(amounts, Decimal(0)) if amounts else None,
        errors=sum(1 for d in diags if d.severity == "error" and not d.waived),
        warnings=sum(1 for d in diags if d.severity == "warning" and not d.waived),
        waived=sum(1 for d in diags if d.waived),
        codes=tuple(sorted({d.code for d in diags})),
    )


def _inside(path: str, root_real: str) -> bool:
    real = os.path.realpath(path)
    return real == root_real or real.startswith(root_real + os.sep)


class Site:
    """All sets under `root`, checked; thread-safe refresh for the file watcher."""

    def __init__(self, root: str, profile_dirs: tuple[str, ...] = (), against: str | None = None,
                 local_profiles: bool | None = None) -> None:
        if not os.path.isdir(root):
            raise UsageError(f"找不到文件夹：{root}")
        self.root = os.path.abspath(root)
        self.root_real = os.path.realpath(root)
        self.profile_dirs = profile_dirs
        self.local_profiles = local_profiles_allowed() if local_profiles is None else local_profiles
        self.cache = FileCache(persistent=False)
        self.lock = threading.Lock()
        self.generation = 0
        self.baseline = None
        self.against_label = against
        if against is not None:
            from perfdsl.against import load_baseline

            self.baseline = load_baseline(against, profile_dirs, under=self.root, local_profiles=self.local_profiles)
        self.sets: dict[str, SetEntry] = {}
        self.scan_error: str | None = None
        self.problems: tuple[str, ...] = ()  # sets that could not be checked (a broken profile, …)
        self._scan_and_check(set())

    # --- discovery and checking ---------------------------------------------------------

    def _units(self) -> list[tuple[str, list[str]]]:
        try:
            found = discover([self.root])
        except UsageError as exc:  # no .perf file (yet): an empty site, not a crash
            self.scan_error = str(exc)
            return []
        self.scan_error = None
        units = []
        for root, files in found:
            if not _inside(root, self.root_real):
                continue
            kept = [f for f in files if _inside(f, self.root_real)]  # a symlink out of root: ignored
            if kept:
                units.append((root, kept))
        return units

    def set_id(self, root: str) -> str:
        rel = os.path.relpath(root, self.root)
        return Path(rel).as_posix()

    def _check(self, root: str, files: list[str]) -> tuple[SetResult, dict[str, SourceFile]]:
        sres, sources = check_set(root, files, profile_dirs_for(root, self.profile_dirs, self.local_profiles),
                                  self.cache)
        if self.baseline is not None:
            from perfdsl.against import apply

            sres = apply(sres, self.baseline)
        return sres, sources

    def _scan_and_check(self, changed: set[str]) -> set[str]:
        """Rediscover; (re)check new sets, sets whose file list changed and sets in `changed`."""
        units = self._units()
        fresh: dict[str, SetEntry] = {}
        touched: set[str] = set()
        problems: list[str] = []
        for root, files in units:
            sid = self.set_id(root)
            old = self.sets.get(sid)
            if old is not None and old.files == tuple(files) and sid not in changed:
                fresh[sid] = old
                problems.extend(p for p in self.problems if p.startswith(f"{sid}："))
                continue
            try:
                sres, sources = self._check(root, files)
            except ProfileError as exc:  # a broken profile file: say so, keep the last good result
                problems.append(f"{sid}：{exc}")
                touched.add(sid)
                if old is not None:
                    fresh[sid] = old
                continue
            except Exception as exc:  # a perfdsl defect must not take the site down
                log.exception("perfdsl serve: 检查 %s 时出错", root)
                problems.append(f"{sid}：perfdsl 内部错误（{type(exc).__name__}），这是 perfdsl 的缺陷，请报告")
                touched.add(sid)
                if old is not None:
                    fresh[sid] = old
                continue
            fresh[sid] = SetEntry(sid, root, tuple(files), sres, sources, summarise(sres),
                                  (old.version + 1) if old is not None else 0)
            touched.add(sid)
        gone = set(self.sets) - set(fresh)
        with self.lock:
            self.sets = dict(sorted(fresh.items()))
            self.problems = tuple(problems)
            if touched or gone:
                self.generation += 1
        return touched | gone

    def refresh(self, paths: set[str]) -> set[str]:
        """Re-check after `paths` changed on disk; returns the ids of the sets that changed.
        A changed profile re-checks every set."""
        if any(Path(p).suffix == ".toml" for p in paths):
            return self._scan_and_check(set(self.sets))
        changed = set()
        for p in paths:
            folder = os.path.dirname(os.path.abspath(p))
            changed.add(self.set_id(folder))
        return self._scan_and_check(changed)

    # --- queries ------------------------------------------------------------------------

    def get(self, sid: str) -> SetEntry | None:
        return self.sets.get(sid)

    def entries(self) -> list[SetEntry]:
        return list(self.sets.values())

    def code_counts(self) -> Counter[str]:
        """Unwaived findings by code over all sets."""
        c: Counter[str] = Counter()
        for e in self.sets.values():
            c.update(d.code for d in e.result.diagnostics if not d.waived)
        return c

    def shown_path(self, path: str) -> str:
        """A diagnostic's file as the reviewer sees it: relative to the site's folder."""
        if not path or (":" in path and not os.path.exists(path)):  # REV:path of a baseline
            return path
        try:
            rel = os.path.relpath(os.path.abspath(path), self.root)
        except ValueError:
            return path
        return path if rel.startswith("..") else Path(rel).as_posix()


def sort_entries(entries: list[SetEntry], key: str, descending: bool) -> list[SetEntry]:
    """Index order by a column; None values last whatever the direction."""
    def value(e: SetEntry) -> Any:
        s = e.summary
        return {
            "unit": s.unit, "id": e.id, "declarations": s.declarations, "indicators": s.indicators,
            "budget": s.budget, "projects": s.projects, "errors": s.errors, "warnings": s.warnings,
            "waived": s.waived, "quant": s.quant_share,
        }.get(key, e.id)

    present = [e for e in entries if value(e) is not None]
    missing = [e for e in entries if value(e) is None]
    present.sort(key=lambda e: (value(e), e.id), reverse=descending)
    return present + missing


def findings_of(entry: SetEntry, code: str) -> list[Diagnostic]:
    return [d for d in entry.result.diagnostics if d.code == code]

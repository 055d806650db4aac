"""The library API: files and folders in, declaration sets and diagnostics out.

`check_paths` is the whole front end: discover the sets, read and decode each file,
parse, resolve, run the checks, apply the waivers. It is pure apart from reading the
given files, so a batch engine can map it over many inputs. It never raises on user
errors; a path that does not exist is a `UsageError` for the CLI to report (exit 2).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from perfdsl import colon_names, record
from perfdsl.checks import run_checks
from perfdsl.checks.text import check_invisible
from perfdsl.diagnostics import Diagnostic, diag, has_errors, sort_key
from perfdsl.model import Declaration, DeclarationSet
from perfdsl.resolve import WaiverScope, full_paths, resolve_document
from perfdsl.source import SourceFile, Span, decode_source
from perfdsl.stream import StreamedDecls
from perfdsl.waivers import apply_waivers

if TYPE_CHECKING:
    from perfdsl.cache import FileCache

SUFFIX = ".perf"


class UsageError(Exception):
    """A problem with how perfdsl was called (missing path, …): exit code 2."""


@record.frozen
class FileResult:
    source: SourceFile | None
    declarations: tuple[Declaration, ...]
    waivers: tuple[WaiverScope, ...]
    diagnostics: tuple[Diagnostic, ...]


@record.frozen
class SetResult:
    dset: DeclarationSet
    diagnostics: tuple[Diagnostic, ...]
    waivers: tuple[WaiverScope, ...] = ()  # kept for checks run later (check --against)

    @property
    def has_errors(self) -> bool:
        return has_errors(list(self.diagnostics))


@record.frozen
class Result:
    sets: tuple[SetResult, ...]
    sources: dict[str, SourceFile]

    @property
    def diagnostics(self) -> list[Diagnostic]:
        return [d for s in self.sets for d in s.diagnostics]

    @property
    def has_errors(self) -> bool:
        return any(s.has_errors for s in self.sets)


def discover(paths: list[str], on_warning: Callable[[str], None] | None = None) -> list[tuple[str, list[str]]]:
    """Group the inputs into declaration sets: (set root, files).

    A file is a set of its own. A folder with .perf files directly inside is one set (of
    those files); its subfolders, and those of a folder without .perf files, are sets of
    their own, so a county's units each check on their own. Folder symlinks are followed
    but each real folder is read once (perfdsl.walk); a skipped loop is a warning, printed
    on stderr unless `on_warning` takes it.
    """
    from perfdsl.walk import walk_perf_folders

    warn = on_warning or _stderr_warning
    out: list[tuple[str, list[str]]] = []
    for p in paths:
        path = Path(p)
        if path.is_file():
            out.append((str(path), [str(path)]))
            continue
        if not path.is_dir():
            raise UsageError(f"找不到文件或文件夹：{p}")
        found_before = len(out)
        try:
            for folder, files in walk_perf_folders(str(path), warn):
                if files:
                    out.append((folder, files))
        except OSError as exc:
            raise UsageError(f"无法读取文件夹 {exc.filename or p}：{exc.strerror}") from exc
        if len(out) == found_before:
            raise UsageError(f"文件夹 {p} 及其子文件夹中没有 .perf 文件")
    return out


def _stderr_warning(message: str) -> None:
    sys.stderr.write(f"perfdsl：警告：{message}\n")


def profile_dirs_for(root: str, extra: tuple[str, ...] = (), local: bool = True) -> tuple[str, ...]:
    """Where a set's profiles are looked up: `extra`, then profiles/ beside it or one level up
    (unless `local` is False: a reviewer checking someone else's folder trusts only their own).
    The one discovery every command uses (perfdsl.profilesearch)."""
    from perfdsl.profilesearch import profile_dirs_for as dirs_for

    return dirs_for(root, extra, local)


def compile_text(text: str, path: str, profile_dirs: tuple[str, ...] = (), *, stream: bool = True) -> FileResult:
    """Parse and resolve one file's text (no set-level checks).

    `stream=False` parses the whole syntax tree first and then resolves it (the result is
    the same; tests compare the two)."""
    return _compile(SourceFile(path, text), profile_dirs, stream)


def _compile(source: SourceFile, profile_dirs: tuple[str, ...], stream: bool = True) -> FileResult:
    """`compile_text` of `source` (compile_bytes passes its decoded source: no second FileResult)."""
    from perfdsl.parser import parse_text  # lazy: a cache hit never loads Lark

    text, path = source.text, source.path
    # Each declaration's statements are resolved as the parser hands them over (issue #16):
    # the syntax tree of a huge declaration is never whole in memory.
    streamed = StreamedDecls(text, profile_dirs) if stream else None
    doc, diags = parse_text(text, path, stream=streamed)
    doc, colon_diags = colon_names.check(doc, text)  # `指标1:名称 = 8 个` is not a header field
    diags = [*diags, *(streamed.in_order(colon_diags) if streamed is not None else colon_diags)]
    box = [doc]
    del doc  # handed over: resolve frees each statement's syntax once it is resolved (issue #16)
    resolved, rdiags = resolve_document(box.pop(), profile_dirs, streamed)
    if any(d.severity == "error" for d in diags):  # groups written on broken lines are not missing
        from perfdsl.broken_groups import with_attempted_groups

        resolved = record.evolve(resolved, declarations=with_attempted_groups(resolved.declarations, diags, text))
    all_diags = full_paths(diags, resolved.declarations) + rdiags
    all_diags.extend(check_invisible(text, path, resolved.declarations))
    if not resolved.declarations and not any(d.severity == "error" for d in all_diags):
        all_diags.append(diag("PD-D003", Span.point(path, 1, 1)))
    return FileResult(source, resolved.declarations, resolved.waivers, tuple(all_diags))


def compile_file(path: str, profile_dirs: tuple[str, ...] = (), cache: FileCache | None = None) -> FileResult:
    try:
        with open(path, "rb") as fh:  # (not pathlib: ~4 µs less per file, 2% of a small file's compile)
            data = fh.read()
    except OSError as exc:
        raise UsageError(f"无法读取文件 {path}：{exc.strerror}") from exc
    if cache is not None:
        return _cached(cache, path, data, profile_dirs)
    box = [data]
    del data  # handed over: the bytes are freed once decoded (a 50 MB file: 50 MB less, issue #16)
    return compile_bytes(path, box.pop(), profile_dirs)


def _cached(cache: FileCache, path: str, data: bytes, profile_dirs: tuple[str, ...]) -> FileResult:
    return cache.get_or_compile(path, data, profile_dirs, lambda: compile_bytes(path, data, profile_dirs))


def compile_bytes(path: str, data: bytes, profile_dirs: tuple[str, ...] = ()) -> FileResult:
    source, problem = decode_source(path, data)
    del data
    if problem is not None or source is None:
        assert problem is not None
        d = diag("PD-S004", Span.point(path, problem.line, problem.col), detail=problem.message)
        return FileResult(None, (), (), (d,))
    return _compile(source, profile_dirs)


def build_set(name: str, files: list[FileResult], root: str = "") -> SetResult:
    decls = [d for f in files for d in f.declarations]
    decls.sort(key=lambda d: 0 if d.kind == "department" else 1)  # stable: file order kept
    dset_name = next((d.title for d in decls if d.kind == "department" and d.title), name)
    dset = DeclarationSet(dset_name, tuple(decls), root=root or name)
    diags = [d for f in files for d in f.diagnostics]
    diags.extend(run_checks(dset))
    scopes = [w for f in files for w in f.waivers]
    final = apply_waivers(diags, scopes)
    final = sorted(dict.fromkeys(final), key=sort_key)  # not set(): ties keep a stable order
    return SetResult(dset, tuple(final), tuple(scopes))


def check_set(root: str, files: list[str], dirs: tuple[str, ...],
              cache: FileCache | None = None) -> tuple[SetResult, dict[str, SourceFile]]:
    """Compile and check one declaration set; also returns its sources by path."""
    results = [compile_file(f, dirs, cache) for f in files]
    sources = {r.source.path: r.source for r in results if r.source is not None}
    label = Path(root).stem if os.path.isfile(root) else Path(root).name
    return build_set(label, results, root), sources


def units_for(paths: list[str], profile_dirs: tuple[str, ...] = (),
              local_profiles: bool | None = None) -> list[tuple[str, list[str], tuple[str, ...]]]:
    """The (set root, files, profile dirs) units for `paths`; a missing path raises UsageError.

    `local_profiles=False` ignores profiles/ folders beside the inputs (None:
    $PERFDSL_NO_LOCAL_PROFILES decides).
    """
    from perfdsl.profiles import local_profiles_allowed

    local = local_profiles_allowed() if local_profiles is None else local_profiles
    return [(root, files, profile_dirs_for(root, profile_dirs, local)) for root, files in discover(paths)]


def iter_check(paths: list[str], profile_dirs: tuple[str, ...] = (), *, jobs: int | None = None,
               use_cache: bool = False, local_profiles: bool | None = None,
               against: str | None = None, slim: bool = False) -> Iterator[tuple[Any, ...]]:
    """Check `paths` set by set, in input order, so a caller can report and drop each set.

    Discovery (and reading the `against` baseline: a folder or git revision, for PD-A001)
    happens before this returns: a missing path raises UsageError up front.
    Memory then stays flat however many sets there are. `local_profiles=False` ignores
    profiles/ folders beside the inputs (None: $PERFDSL_NO_LOCAL_PROFILES decides).
    Items are (SetResult, sources). With `slim`, items are (`perfdsl.parallel.SetReport`,
    sources, paths): the report has the name and diagnostics but no model, `sources`
    holds only the files the diagnostics point into (for excerpts) and `paths` lists
    every source file of the set. That is what `perfdsl check` prints, and all a worker
    sends back.
    """
    from perfdsl import parallel

    units = units_for(paths, profile_dirs, local_profiles)
    if against is None:
        if slim:  # the workers send back reports, not models
            return parallel.report_sets(units, jobs=jobs, use_cache=use_cache)
        return parallel.check_sets(units, jobs=jobs, use_cache=use_cache)  # type: ignore[no-any-return]
    from perfdsl import against as against_mod
    from perfdsl.profiles import local_profiles_allowed

    local = local_profiles_allowed() if local_profiles is None else local_profiles
    base = against_mod.load_baseline(against, profile_dirs, under=paths[0] if len(paths) == 1 else None,
                                     local_profiles=local)
    results = ((against_mod.apply(s, base), srcs) for s, srcs in
               parallel.check_sets(units, jobs=jobs, use_cache=use_cache))
    if slim:  # PD-A001 needs the models: applied here, then slimmed
        return (parallel.slim_result(s, srcs) for s, srcs in results)
    return results


def check_paths(paths: list[str], profile_dirs: tuple[str, ...] = (), *,
                jobs: int | None = None, use_cache: bool = False, local_profiles: bool | None = None,
                against: str | None = None) -> Result:
    """Check `paths`. `jobs` > 1 checks sets in parallel (same result, same order);
    `use_cache` reuses compiled files across runs from the user cache dir (perfdsl.cache);
    `local_profiles` as in `iter_check`; `against` (a folder or git revision) adds PD-A001
    for targets loosened since then."""
    sets: list[SetResult] = []
    sources: dict[str, SourceFile] = {}
    for sres, srcs in iter_check(paths, profile_dirs, jobs=jobs, use_cache=use_cache,
                                 local_profiles=local_profiles, against=against):
        sets.append(sres)
        sources.update(srcs)
    return Result(tuple(sets), sources)


def load_sets(paths: list[str], profile_dirs: tuple[str, ...] = ()) -> tuple[list[DeclarationSet], list[Diagnostic]]:
    """Convenience: the declaration sets and all diagnostics for `paths`."""
    res = check_paths(paths, profile_dirs)
    return [s.dset for s in res.sets], res.diagnostics

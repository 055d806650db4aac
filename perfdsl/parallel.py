"""Run the front end over many declaration sets on several cores, in a deterministic order.

Each (root, files, profile dirs) unit is handled by a module-level worker function, and
`_map` yields the results in input order, so the output is byte-identical to a
sequential run whatever `jobs` is. Small inputs (one unit, fewer than
MIN_FILES_FOR_POOL files, or `jobs` <= 1) run in-process with the same functions: a pool
costs more than it saves for the single file an editor checks on save, and
multiprocessing is only imported when a pool is used.

What travels back from a worker is what the caller needs, never more (issue 15):
- `check_sets` (library: `check_paths`, `iter_check`): the whole result, pickled with
  profiles by reference (perfdsl.cache);
- `report_sets` (`perfdsl check`): a `SetReport` (the set's diagnostics) and the
  sources of the files its diagnostics point into, for excerpts. No model: pickling the
  model to the parent cost more CPU than the parallel check saved;
- `build_sets` (`perfdsl build`): the report, plus the rendered files as bytes; the
  workers render.

This module must not print, must not change any result, and must not hide a worker's
exception: a `UsageError` raised for a set is raised again in the caller.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterator, Sequence
from typing import TYPE_CHECKING, Any

from perfdsl.record import Record, fields

if TYPE_CHECKING:
    from perfdsl.api import SetResult
    from perfdsl.diagnostics import Diagnostic
    from perfdsl.source import SourceFile

Unit = tuple[str, list[str], tuple[str, ...]]  # (set root, files, profile dirs)
# A run of at least this many files uses the fast path's line shapes from its first file on
# (perfdsl.fastpath.SHAPES_AFTER_CHARS is about 30 files' text).
SHAPES_FROM_FILES = 30

# Below this many files a pool does not pay for itself (fork + result transfer).
MIN_FILES_FOR_POOL = 8
# The smallest piece of work sent to a worker at once (see `guided_chunks`).
MIN_CHUNK = 5

_new = tuple.__new__


class SetReport(Record):
    """What `perfdsl check` needs of a set: its name and its (sorted) diagnostics."""

    __slots__ = ()
    _fields = ("name", "diagnostics")
    name, diagnostics = fields(*_fields)

    def __new__(cls, name: str, diagnostics: tuple[Diagnostic, ...]) -> SetReport:
        return _new(cls, (name, diagnostics))

    @property
    def has_errors(self) -> bool:
        return any(d.severity == "error" and not d.waived for d in self.diagnostics)


def default_jobs() -> int:
    """The number of cores this process may use."""
    try:
        return max(1, len(os.sched_getaffinity(0)))  # type: ignore[attr-defined]
    except (AttributeError, OSError):
        return max(1, os.cpu_count() or 1)


def effective_jobs(jobs: int | None, units: Sequence[Unit]) -> int:
    """How many worker processes to use for `units` (1 means in-process)."""
    if jobs is None or jobs <= 1 or len(units) < 2:
        return 1
    if sum(len(files) for _root, files, _dirs in units) < MIN_FILES_FOR_POOL:
        return 1
    return min(jobs, len(units))


def _context() -> Any:
    import multiprocessing

    # fork shares the already imported compiler with the workers (no re-import per worker).
    if sys.platform != "win32" and "fork" in multiprocessing.get_all_start_methods():
        return multiprocessing.get_context("fork")
    return multiprocessing.get_context("spawn")


_WORKER_CACHES: dict[bool, Any] = {}


def _worker_cache(use_cache: bool) -> Any:
    """The file cache (`--cache`); without it none: perfdsl.cache (pickle, hashlib) is not imported."""
    if not use_cache:
        return None
    from perfdsl.cache import FileCache

    found = _WORKER_CACHES.get(use_cache)
    if found is None:
        found = _WORKER_CACHES[use_cache] = FileCache(persistent=use_cache)
    return found


def _map(fn: Callable[..., Any], units: Sequence[Unit], jobs: int | None, *args: Any) -> Iterator[Any]:
    """`fn(unit, *args)` for each unit, in order; in-process or on a fork pool."""
    n = effective_jobs(jobs, units)
    if sum(len(unit[1]) for unit in units) >= SHAPES_FROM_FILES:  # (before forking: workers inherit it)
        from perfdsl import fastpath

        fastpath.use_shapes_now()
    if n <= 1:
        _WORKER_CACHES.clear()  # a fresh in-run memo per call, as before
        for unit in units:
            yield fn(unit, *args)
        return
    from concurrent.futures import ProcessPoolExecutor  # lazy: ~10-20 ms a single-file check never pays

    from perfdsl import fastpath

    if fastpath.tables() is None:  # load the grammar once in the parent; forked workers inherit it
        from perfdsl.parser import get_parser

        get_parser()
    with ProcessPoolExecutor(max_workers=n, mp_context=_context()) as pool:
        futures = [pool.submit(_run_chunk, fn, list(units[a:b]), args) for a, b in guided_chunks(len(units), n)]
        for future in futures:
            yield from future.result()


def guided_chunks(count: int, workers: int) -> list[tuple[int, int]]:
    """(start, end) of the pieces `count` units are sent to `workers` processes in: each
    piece an (4 × workers)th of what is left, at least MIN_CHUNK (guided self-scheduling).
    Big pieces first keep the number of round trips low; small pieces last keep the
    workers finishing together: with fixed pieces of ~30 sets one worker sat idle for up
    to a piece's time (~0.07 s of a 1.1 s corpus check, docs/performance.md §3.3)."""
    out: list[tuple[int, int]] = []
    start = 0
    while start < count:
        size = max(MIN_CHUNK, (count - start) // (4 * workers))
        out.append((start, min(count, start + size)))
        start += size
    return out


def _run_chunk(fn: Callable[..., Any], units: list[Unit], args: tuple[Any, ...]) -> list[Any]:
    return [fn(unit, *args) for unit in units]


# --- full results (library) --------------------------------------------------------------


def _check_unit(unit: Unit, use_cache: bool) -> Any:
    from perfdsl.api import check_set

    root, files, dirs = unit
    return check_set(root, files, dirs, _worker_cache(use_cache))


def _check_unit_pickled(unit: Unit, use_cache: bool) -> bytes:
    from perfdsl import cache

    return cache.dumps(_check_unit(unit, use_cache), unit[2])


def check_sets(units: Sequence[Unit], jobs: int | None = None, use_cache: bool = False) -> Iterator[Any]:
    """Yield `check_set(root, files, dirs, cache)` for each unit, in the order given."""
    if effective_jobs(jobs, units) <= 1:
        yield from _map(_check_unit, units, 1, use_cache)
        return
    from perfdsl import cache

    for data in _map(_check_unit_pickled, units, jobs, use_cache):
        yield cache.loads(data)


# --- slim results (CLI) ------------------------------------------------------------------


def slim_result(sres: SetResult, sources: dict[str, SourceFile]) -> tuple[SetReport, dict[str, SourceFile], list[str]]:
    """The report, the sources its diagnostics point into, and every source path (in order)."""
    wanted = {d.span.path for d in sres.diagnostics}
    excerpts = {p: s for p, s in sources.items() if p in wanted}
    return SetReport(sres.dset.name, sres.diagnostics), excerpts, list(sources)


def _report_unit(unit: Unit, use_cache: bool) -> tuple[SetReport, dict[str, SourceFile], list[str]]:
    return slim_result(*_check_unit(unit, use_cache))


def report_sets(units: Sequence[Unit], jobs: int | None = None,
                use_cache: bool = False) -> Iterator[tuple[SetReport, dict[str, SourceFile], list[str]]]:
    """Yield (report, excerpt sources, all source paths) for each unit, in order."""
    return _map(_report_unit, units, jobs, use_cache)


def _build_unit(unit: Unit, use_cache: bool, render: Callable[[SetResult], Any]) -> tuple[Any, ...]:
    sres, sources = _check_unit(unit, use_cache)
    return (*slim_result(sres, sources), render(sres))


def build_sets(units: Sequence[Unit], render: Callable[[SetResult], Any], jobs: int | None = None,
               use_cache: bool = False) -> Iterator[tuple[Any, ...]]:
    """Yield (report, excerpt sources, all source paths, render(set result)) for each unit, in order.

    `render` runs where the set was checked (a worker): only its return value (bytes)
    comes back. It must be picklable (a module-level function or a partial of one).
    """
    return _map(_build_unit, units, jobs, use_cache, render)

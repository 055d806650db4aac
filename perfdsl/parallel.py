"""Run the front end over many declaration sets on several cores, in a deterministic order.

`check_sets` maps `perfdsl.api.check_set` over (root, files, profile dirs) units with a
process pool and yields the results in input order, so the output is byte-identical to
a sequential run whatever `jobs` is. Results travel back pickled with profiles by
reference (perfdsl.cache), so the parent shares one object per profile instead of one
copy per set. Small inputs (one unit, or `jobs` <= 1) run in-process: a pool costs more
than it saves for the single file an editor checks on save, and multiprocessing is only
imported when a pool is used.

This module must not print, must not change any result, and must not hide a worker's
exception: a `UsageError` raised for a set is raised again in the caller.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator, Sequence
from typing import Any

Unit = tuple[str, list[str], tuple[str, ...]]  # (set root, files, profile dirs)

# Below this many files a pool does not pay for itself (fork + result transfer).
MIN_FILES_FOR_POOL = 8


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


def _work(unit: Unit, use_cache: bool) -> bytes:
    from perfdsl import cache
    from perfdsl.api import check_set

    root, files, dirs = unit
    fcache = _worker_cache(use_cache)
    return cache.dumps(check_set(root, files, dirs, fcache), dirs)


_WORKER_CACHES: dict[bool, Any] = {}


def _worker_cache(use_cache: bool) -> Any:
    from perfdsl.cache import FileCache

    found = _WORKER_CACHES.get(use_cache)
    if found is None:
        found = _WORKER_CACHES[use_cache] = FileCache(persistent=use_cache)
    return found


def check_sets(units: Sequence[Unit], jobs: int | None = None, use_cache: bool = False) -> Iterator[Any]:
    """Yield `check_set(root, files, dirs, cache)` for each unit, in the order given."""
    from perfdsl import cache
    from perfdsl.api import check_set

    n = effective_jobs(jobs, units)
    if n <= 1:
        fcache = cache.FileCache(persistent=use_cache)
        for root, files, dirs in units:
            yield check_set(root, files, dirs, fcache)
        return
    from concurrent.futures import ProcessPoolExecutor  # lazy: ~10-20 ms a single-file check never pays

    from perfdsl.parser import get_parser

    get_parser()  # load the grammar once in the parent; forked workers inherit it
    chunk = max(1, len(units) // (n * 8))
    with ProcessPoolExecutor(max_workers=n, mp_context=_context()) as pool:
        for data in pool.map(_work, units, [use_cache] * len(units), chunksize=chunk):
            yield cache.loads(data)
